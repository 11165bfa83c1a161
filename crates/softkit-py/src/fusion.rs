//! `weighted_boxes_fusion` and `non_maximum_weighted`: box fusion over several models.

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::Fusable;
use softkit_nms::{Confidence, FusionMethod, FusionParams, ModelDetections, fuse};

use crate::arrays::{box_rows, values};
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

/// Fuses the models' boxes. Coordinates must be normalised to `[0, 1]`, as ensemble-boxes
/// expects (it clips them silently).
#[pyfunction]
pub(crate) fn fuse_boxes<'py>(
    py: Python<'py>,
    models: Models<'py>,
    options: FuseOptions,
) -> PyResult<FusedArrays<'py>> {
    let params = options.params()?;
    let (rows, scores, labels) = (box_rows(&models.boxes), values(&models.scores), values(&models.labels));
    let totals = models.counts.iter().fold([0; 3], |t, c| [t[0] + c[0], t[1] + c[1], t[2] + c[2]]);
    if totals != [rows.len(), scores.len(), labels.len()] {
        return Err(PyValueError::new_err("the per-model counts do not add up to the concatenated arrays"));
    }
    let fused = compute(py, Size::Items(rows.len()), || {
        let (mut split, mut at) = (Vec::with_capacity(models.counts.len()), [0; 3]);
        for (m, c) in models.counts.iter().enumerate() {
            let items = &rows[at[0]..at[0] + c[0]];
            check_unit_range(items, m)?;
            let (scores, labels) = (&scores[at[1]..at[1] + c[1]], &labels[at[2]..at[2] + c[2]]);
            split.push(ModelDetections { items, scores, labels });
            at = [at[0] + c[0], at[1] + c[1], at[2] + c[2]];
        }
        fuse(&split, &params).map_err(|e| e.to_string())
    })?;
    let flat: Vec<f64> = fused.items.iter().flatten().copied().collect();
    let boxes = flat_to_rows(py, flat, fused.items.len(), 4)?;
    Ok((boxes, PyArray1::from_vec(py, fused.scores), PyArray1::from_vec(py, fused.labels)))
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
