//! `weighted_boxes_fusion` and `non_maximum_weighted`: box fusion over several models.

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::Fusable;
use softkit_nms::{Confidence, FusionMethod, FusionParams, ModelDetections, Voting, fuse, vote};

use crate::arrays::values;
use crate::geometry::flat_to_rows;
use crate::guard::{Size, compute};

/// The keyword options, as the Python wrapper passes them (a dict).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct FuseOptions {
    /// `"wbf"` or `"nmw"`.
    method: String,
    conf_type: String,
    allows_overflow: bool,
    iou_thr: f64,
    skip_box_thr: f64,
    weights: Option<Vec<f64>>,
}

impl FuseOptions {
    fn params(&self) -> PyResult<FusionParams> {
        let method = match self.method.as_str() {
            "wbf" => {
                let confidence: Confidence = self.conf_type.parse().map_err(PyValueError::new_err)?;
                FusionMethod::Wbf { confidence, allows_overflow: self.allows_overflow }
            }
            _ => FusionMethod::Nmw,
        };
        let params = FusionParams::new(method).with_iou_threshold(self.iou_thr).with_skip_threshold(self.skip_box_thr);
        Ok(match &self.weights {
            Some(w) => params.with_weights(w.clone()),
            None => params,
        })
    }
}

/// The fused `(boxes, scores, labels)`.
type FusedArrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>);

/// Each model's boxes, scores and labels, concatenated: `counts` holds, per model, how many
/// rows of each it owns.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct Models<'py> {
    boxes: PyReadonlyArray2<'py, f64>,
    scores: PyReadonlyArray1<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
    counts: Vec<[usize; 3]>,
}

/// Fuses the models' items: `[x1, y1, x2, y2]` boxes (`geometry="box"`), `[start, end]`
/// segments or 3-D boxes `[x, y, z, dx, dy, dz, heading]`. Boxes must be normalised to `[0, 1]`,
/// as ensemble-boxes expects (it clips them silently).
#[pyfunction]
pub(crate) fn fuse_boxes<'py>(
    py: Python<'py>,
    models: Models<'py>,
    options: FuseOptions,
    geometry: &str,
) -> PyResult<FusedArrays<'py>> {
    match geometry {
        "box" => fuse_rows::<4>(py, models, options, check_unit_range),
        "segment" => fuse_rows::<2>(py, models, options, |_, _| Ok(())),
        "box3d" => fuse_rows::<7>(py, models, options, |_, _| Ok(())),
        other => Err(PyValueError::new_err(format!(
            "geometry = {other:?} is invalid: fusion takes \"box\", \"segment\" or \"box3d\""
        ))),
    }
}

/// Fuses rows of `W` coordinates, after checking each model's rows with `check`.
fn fuse_rows<'py, const W: usize>(
    py: Python<'py>,
    models: Models<'py>,
    options: FuseOptions,
    check: fn(&[[f64; W]], usize) -> Result<(), String>,
) -> PyResult<FusedArrays<'py>>
where
    [f64; W]: Fusable,
{
    let params = options.params()?;
    let rows = rows_of::<W>(&models.boxes)?;
    let (scores, labels) = (values(&models.scores), values(&models.labels));
    let totals = models.counts.iter().fold([0; 3], |t, c| [t[0] + c[0], t[1] + c[1], t[2] + c[2]]);
    if totals != [rows.len(), scores.len(), labels.len()] {
        return Err(PyValueError::new_err("the per-model counts do not add up to the concatenated arrays"));
    }
    let fused = compute(py, Size::Items(rows.len()), || {
        let (mut split, mut at) = (Vec::with_capacity(models.counts.len()), [0; 3]);
        for (m, c) in models.counts.iter().enumerate() {
            let items = &rows[at[0]..at[0] + c[0]];
            check(items, m)?;
            let (scores, labels) = (&scores[at[1]..at[1] + c[1]], &labels[at[2]..at[2] + c[2]]);
            split.push(ModelDetections { items, scores, labels });
            at = [at[0] + c[0], at[1] + c[1], at[2] + c[2]];
        }
        fuse(&split, &params).map_err(|e| e.to_string())
    })?;
    let flat: Vec<f64> = fused.items.iter().flatten().copied().collect();
    let boxes = flat_to_rows(py, flat, fused.items.len(), W)?;
    Ok((boxes, PyArray1::from_vec(py, fused.scores), PyArray1::from_vec(py, fused.labels)))
}

/// An `(N, W)` C-contiguous float64 array as rows (the wrapper makes it contiguous).
fn rows_of<'a, const W: usize>(array: &'a PyReadonlyArray2<'_, f64>) -> PyResult<&'a [[f64; W]]> {
    let width = array.shape()[1];
    if width != W {
        return Err(PyValueError::new_err(format!("rows must have {W} coordinates, got {width}")));
    }
    let flat = array.as_slice().map_err(|_| PyValueError::new_err("coordinates must be C-contiguous"))?;
    Ok(flat.as_chunks::<W>().0)
}

/// Normalised coordinates lie in `[0, 1]` (NaN is left to the engine, which names it).
fn check_unit_range(items: &[[f64; 4]], model: usize) -> Result<(), String> {
    for (index, item) in items.iter().enumerate() {
        if let Some(k) = item.iter().position(|v| *v < 0.0 || *v > 1.0) {
            let (name, value) = (<[f64; 4] as Fusable>::NAMES[k], item[k]);
            return Err(format!(
                "boxes_list[{model}][{index}] {name} = {value} is outside [0, 1]: normalise the coordinates \
                 (ensemble-boxes clips them silently)"
            ));
        }
    }
    Ok(())
}

/// The voted coordinates of each kept item (`softkit.box_voting`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn vote_boxes<'py>(
    py: Python<'py>,
    boxes: PyReadonlyArray2<'py, f64>,
    scores: PyReadonlyArray1<'py, f64>,
    labels: Option<PyReadonlyArray1<'py, i64>>,
    keep: PyReadonlyArray1<'py, i64>,
    iou_threshold: f64,
    voting: &str,
    geometry: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let voting: Voting = voting.parse().map_err(PyValueError::new_err)?;
    let (scores, labels) = (values(&scores), labels.as_ref().map(values));
    let keep = values(&keep);
    if let Some(position) = keep.iter().position(|&k| k < 0) {
        let value = keep[position];
        return Err(PyValueError::new_err(format!("keep[{position}] = {value} names no item: indices are >= 0")));
    }
    let keep: Vec<usize> = keep.iter().map(|&k| k as usize).collect();
    fn voted<const W: usize>(
        py: Python<'_>,
        rows: &[[f64; W]],
        args: (&[f64], Option<&[i64]>, &[usize], f64, Voting),
    ) -> PyResult<Vec<f64>>
    where
        [f64; W]: Fusable,
    {
        let (scores, labels, keep, threshold, voting) = args;
        let out = compute(py, Size::Items(rows.len()), || vote(rows, scores, labels, keep, threshold, voting))?;
        Ok(out.into_iter().flatten().collect())
    }
    let args = (&*scores, labels.as_deref(), &keep[..], iou_threshold, voting);
    let (flat, width) = match geometry {
        "box" => (voted::<4>(py, rows_of::<4>(&boxes)?, args)?, 4),
        "segment" => (voted::<2>(py, rows_of::<2>(&boxes)?, args)?, 2),
        "box3d" => (voted::<7>(py, rows_of::<7>(&boxes)?, args)?, 7),
        other => {
            return Err(PyValueError::new_err(format!(
                "geometry = {other:?} is invalid: voting takes \"box\", \"segment\" or \"box3d\""
            )));
        }
    };
    flat_to_rows(py, flat, keep.len(), width)
}
