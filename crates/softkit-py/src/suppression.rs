//! `nms`, `batched_nms` and `soft_nms`.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::{BoxMeasure, BoxSet, Coord, Overlap};
use softkit_nms::{Kept, NmsError, Policy, PolicyKind, SuppressParams, suppress, suppress_batched, suppress_per_image};

use crate::arrays::{BoxArray, ScoreArray, values, with_boxes, with_scores};
use crate::guard::{Size, compute};

pub(crate) type KeptArrays<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// The columns that scope a suppression: none (one set), labels, or images and labels.
pub(crate) struct Scope<'py> {
    pub(crate) labels: Option<PyReadonlyArray1<'py, i64>>,
    pub(crate) image_ids: Option<PyReadonlyArray1<'py, i64>>,
}

fn run<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    scores: ScoreArray<'py>,
    scope: Scope<'py>,
    params: SuppressParams,
    measure: BoxMeasure,
    pixel_offset: f64,
) -> PyResult<Kept> {
    let labels = scope.labels.as_ref().map(values);
    let image_ids = scope.image_ids.as_ref().map(values);
    with_boxes!(boxes, |boxes| with_scores!(scores, |scores| compute(py, Size::Items(boxes.len()), || {
        let set = BoxSet::new(boxes, measure, pixel_offset)?;
        scoped(&set, scores, image_ids.as_deref(), labels.as_deref(), &params)
    })))
}

/// Suppresses `set` in the scope its columns define: per image and label, per label, or whole.
/// The engine checks that scores, labels and image ids match the set.
pub(crate) fn scoped<const D: usize, S: Overlap<D>, T: Coord>(
    set: &S,
    scores: &[T],
    image_ids: Option<&[i64]>,
    labels: Option<&[i64]>,
    params: &SuppressParams,
) -> Result<Kept, NmsError> {
    match (image_ids, labels) {
        (Some(images), Some(labels)) => suppress_per_image(set, scores, images, labels, params),
        (Some(images), None) => suppress_per_image(set, scores, images, &vec![0; images.len()], params),
        (None, Some(labels)) => suppress_batched(set, scores, labels, params),
        (None, None) => suppress(set, scores, params),
    }
}

pub(crate) fn indices(py: Python<'_>, kept: Vec<usize>) -> Bound<'_, PyArray1<i64>> {
    PyArray1::from_vec(py, kept.into_iter().map(|i| i as i64).collect())
}

/// Hard NMS with torchvision semantics; returns kept indices by non-increasing score.
#[pyfunction]
pub(crate) fn nms<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    scores: ScoreArray<'py>,
    iou_threshold: f64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let scope = Scope { labels: None, image_ids: None };
    let kept = run(py, boxes, scores, scope, SuppressParams::hard(iou_threshold), BoxMeasure::Iou, 0.0)?;
    Ok(indices(py, kept.indices))
}

/// Class-aware hard NMS with torchvision semantics.
#[pyfunction]
pub(crate) fn batched_nms<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    scores: ScoreArray<'py>,
    labels: PyReadonlyArray1<'py, i64>,
    iou_threshold: f64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let scope = Scope { labels: Some(labels), image_ids: None };
    let kept = run(py, boxes, scores, scope, SuppressParams::hard(iou_threshold), BoxMeasure::Iou, 0.0)?;
    Ok(indices(py, kept.indices))
}

/// The keyword options of `soft_nms`, as the Python wrapper passes them (a dict).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct SoftNmsOptions<'py> {
    method: String,
    sigma: f64,
    iou_threshold: f64,
    score_threshold: f64,
    pub(crate) labels: Option<PyReadonlyArray1<'py, i64>>,
    pub(crate) image_ids: Option<PyReadonlyArray1<'py, i64>>,
    max_output: Option<usize>,
    pixel_offset: f64,
    pub(crate) measure: String,
    /// OpenCV's adaptive threshold factor; 1 leaves the threshold fixed.
    eta: f64,
    /// DIoU's distance exponent; 1 is the paper's DIoU.
    beta: f64,
}

impl SoftNmsOptions<'_> {
    /// The engine's parameters from the keyword options.
    pub(crate) fn params(&self) -> PyResult<SuppressParams> {
        let kind: PolicyKind = self.method.parse().map_err(PyValueError::new_err)?;
        let policy = match kind {
            _ if self.eta == 1.0 => kind.with(self.iou_threshold, self.sigma),
            PolicyKind::Hard => Policy::Adaptive { iou_threshold: self.iou_threshold, eta: self.eta },
            _ => {
                let eta = self.eta;
                return Err(PyValueError::new_err(format!(
                    "eta = {eta} applies to method='hard' only, not method='{kind}'"
                )));
            }
        };
        let params = SuppressParams::new(policy).with_score_threshold(self.score_threshold);
        Ok(match self.max_output {
            Some(k) => params.with_max_output(k),
            None => params,
        })
    }
}

/// Soft-NMS (Bodla et al. 2017): kept indices in selection order and their decayed scores.
#[pyfunction]
pub(crate) fn soft_nms<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    scores: ScoreArray<'py>,
    options: SoftNmsOptions<'py>,
) -> PyResult<KeptArrays<'py>> {
    let params = options.params()?;
    let scope = Scope { labels: options.labels, image_ids: options.image_ids };
    let measure = match options.measure.parse().map_err(PyValueError::new_err)? {
        BoxMeasure::Diou { .. } => BoxMeasure::Diou { beta: options.beta },
        _ if options.beta != 1.0 => {
            let (beta, measure) = (options.beta, &options.measure);
            return Err(PyValueError::new_err(format!(
                "beta = {beta} applies to measure='diou' only, not {measure:?}"
            )));
        }
        other => other,
    };
    let kept = run(py, boxes, scores, scope, params, measure, options.pixel_offset)?;
    Ok((indices(py, kept.indices), PyArray1::from_vec(py, kept.scores)))
}

/// Sorts a copy of the scores with `sort_unstable`: the floor for any exact greedy NMS,
/// measured through the same call overhead as the functions above. For benchmarks.
#[pyfunction]
pub(crate) fn sort_floor(py: Python<'_>, scores: ScoreArray<'_>) -> PyResult<usize> {
    with_scores!(scores, |scores| compute(py, Size::Items(scores.len()), || {
        let mut copy = scores.to_vec();
        copy.sort_unstable_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
        Ok::<usize, NmsError>(copy.len())
    }))
}
