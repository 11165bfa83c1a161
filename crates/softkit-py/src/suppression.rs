//! `nms`, `batched_nms` and `soft_nms`.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_nms::{Kept, NmsError, SuppressParams, suppress, suppress_batched};

use crate::arrays::{BoxArray, ScoreArray, values, with_boxes, with_scores};
use crate::guard::compute;

type KeptArrays<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

fn run<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    scores: ScoreArray<'py>,
    labels: Option<PyReadonlyArray1<'py, i64>>,
    params: SuppressParams,
    pixel_offset: f64,
) -> PyResult<Kept> {
    let labels = labels.as_ref().map(values);
    with_boxes!(boxes, |boxes| with_scores!(scores, |scores| compute(py, || {
        // The engine checks that scores and labels match the boxes.
        let set = BoxSet::new(boxes, BoxMeasure::Iou, pixel_offset)?;
        match labels.as_deref() {
            Some(labels) => suppress_batched(&set, scores, labels, &params),
            None => suppress(&set, scores, &params),
        }
    })))
}

fn indices(py: Python<'_>, kept: Vec<usize>) -> Bound<'_, PyArray1<i64>> {
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
    let kept = run(py, boxes, scores, None, SuppressParams::hard(iou_threshold), 0.0)?;
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
    let kept = run(py, boxes, scores, Some(labels), SuppressParams::hard(iou_threshold), 0.0)?;
    Ok(indices(py, kept.indices))
}

/// Soft-NMS (Bodla et al. 2017): kept indices in selection order and their decayed scores.
#[pyfunction]
#[pyo3(signature = (boxes, scores, method, sigma, iou_threshold, score_threshold, labels, max_output, pixel_offset))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn soft_nms<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    scores: ScoreArray<'py>,
    method: &str,
    sigma: f64,
    iou_threshold: f64,
    score_threshold: f64,
    labels: Option<PyReadonlyArray1<'py, i64>>,
    max_output: Option<usize>,
    pixel_offset: f64,
) -> PyResult<KeptArrays<'py>> {
    let params = match method {
        "gaussian" => SuppressParams::gaussian(sigma),
        "linear" => SuppressParams::linear(iou_threshold),
        "hard" => SuppressParams::hard(iou_threshold),
        other => {
            return Err(PyValueError::new_err(format!(
                "method = {other:?} is invalid: expected \"gaussian\", \"linear\" or \"hard\""
            )));
        }
    }
    .with_score_threshold(score_threshold);
    let params = match max_output {
        Some(k) => params.with_max_output(k),
        None => params,
    };
    let kept = run(py, boxes, scores, labels, params, pixel_offset)?;
    Ok((indices(py, kept.indices), PyArray1::from_vec(py, kept.scores)))
}

/// Sorts a copy of the scores with `sort_unstable`: the floor for any exact greedy NMS,
/// measured through the same call overhead as the functions above. For benchmarks.
#[pyfunction]
pub(crate) fn sort_floor(py: Python<'_>, scores: ScoreArray<'_>) -> PyResult<usize> {
    with_scores!(scores, |scores| compute(py, || {
        let mut copy = scores.to_vec();
        copy.sort_unstable_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
        Ok::<usize, NmsError>(copy.len())
    }))
}
