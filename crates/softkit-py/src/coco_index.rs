//! The Rust side of `softkit.coco.COCO`: a ground truth or a results list parsed once (from a
//! file's bytes, or from a list of box results read column by column), held here and evaluated
//! from here, so that the Python dicts pycocotools builds exist only when someone reads them.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use softkit_io::{CocoGroundTruth, CocoResults, Detection};

use crate::evaluation::{EvalImages, EvalInputs, Kind, RawParams, kind_of};
use crate::guard::{Size, compute};

/// A COCO ground truth parsed in Rust (`softkit.coco.COCO` over an annotation file).
#[pyclass(module = "softkit._native", name = "CocoGtIndex", frozen)]
pub(crate) struct CocoGtIndex {
    pub(crate) gt: Arc<CocoGroundTruth>,
}

#[pymethods]
impl CocoGtIndex {
    /// pycocotools' `getImgIds()`: the image ids in file order, each at its first place.
    fn image_ids(&self) -> Vec<i64> {
        let mut seen = std::collections::HashSet::new();
        self.gt.image_ids_as_written().iter().copied().filter(|id| seen.insert(*id)).collect()
    }

    /// pycocotools' `getCatIds()`: the category ids in file order, repeats kept.
    fn category_ids(&self) -> Vec<i64> {
        self.gt.category_ids_as_written().to_vec()
    }

    /// The number of annotations.
    fn __len__(&self) -> usize {
        self.gt.annotations().len()
    }

    /// Held, never changed: a copy is the same object.
    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }

    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }
}

/// Results parsed in Rust and checked against a [`CocoGtIndex`] (`softkit.coco.COCO.loadRes`).
#[pyclass(module = "softkit._native", name = "CocoResultsIndex", frozen)]
pub(crate) struct CocoResultsIndex {
    pub(crate) gt: Arc<CocoGroundTruth>,
    pub(crate) dt: Arc<CocoResults>,
}

#[pymethods]
impl CocoResultsIndex {
    /// The number of results.
    fn __len__(&self) -> usize {
        self.dt.len()
    }

    /// Whether these results were checked against `gt`.
    fn checked_against(&self, gt: &CocoGtIndex) -> bool {
        Arc::ptr_eq(&self.gt, &gt.gt)
    }

    /// Whether every result holds what iou type `kind` evaluates, as `loadRes` leaves it: a box
    /// for "bbox" (every kind of results has one), a segmentation for "segm", keypoints for
    /// "keypoints". Other iou types are evaluated from the Python dicts.
    fn evaluates(&self, kind: &str) -> bool {
        let n = self.dt.len();
        match kind {
            "bbox" => true,
            "segm" => self.dt.segmentations().len() == n && self.dt.segmentations().iter().all(Option::is_some),
            "keypoints" => self.dt.keypoints().len() == n && self.dt.keypoints().iter().all(Option::is_some),
            _ => false,
        }
    }

    /// Held, never changed: a copy is the same object.
    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }

    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }
}

fn text(data: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(data).map_err(|e| format!("the file is not UTF-8: {e}"))
}

/// Parses a COCO ground-truth file's bytes. Raises `ValueError` when softkit's reader rejects the
/// file or reads an id written as a float (the caller then indexes it in Python, as pycocotools does).
#[pyfunction]
pub(crate) fn coco_gt_index(py: Python<'_>, data: &[u8]) -> PyResult<CocoGtIndex> {
    let gt = compute(py, Size::Unbounded, || {
        let gt = CocoGroundTruth::from_json_str(text(data)?).map_err(|e| e.to_string())?;
        match gt.float_ids() {
            Some(note) => Err(format!("ids written as floats: {note}")),
            None => Ok(gt),
        }
    })?;
    Ok(CocoGtIndex { gt: Arc::new(gt) })
}

/// Parses a COCO results file's bytes against `gt` (`loadRes`' rules). Raises `ValueError` when
/// softkit's reader rejects them or reads an id written as a float.
#[pyfunction]
pub(crate) fn coco_results_index(py: Python<'_>, gt: &CocoGtIndex, data: &[u8]) -> PyResult<CocoResultsIndex> {
    let ground_truth = gt.gt.clone();
    let dt = compute(py, Size::Unbounded, || {
        let dt = CocoResults::from_json_str(text(data)?, &ground_truth).map_err(|e| e.to_string())?;
        match dt.float_ids() {
            Some(note) => Err(format!("ids written as floats: {note}")),
            None => Ok(dt),
        }
    })?;
    Ok(CocoResultsIndex { gt: gt.gt.clone(), dt: Arc::new(dt) })
}

/// Box results from a list (or tuple) of dicts, read straight into columns: `None` unless every
/// result is a dict with an integer `image_id` and `category_id`, a number `score` and a `bbox` of
/// four numbers, the first `bbox` non-empty, and all of them pass softkit's checks against `gt`
/// (the caller then takes pycocotools' path, whose errors name the result).
#[pyfunction]
pub(crate) fn coco_box_results(
    py: Python<'_>,
    gt: &CocoGtIndex,
    results: &Bound<'_, PyAny>,
) -> PyResult<Option<CocoResultsIndex>> {
    let items: Vec<Bound<'_, PyAny>> = if let Ok(list) = results.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = results.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Ok(None);
    };
    let keys = (intern!(py, "image_id"), intern!(py, "category_id"), intern!(py, "bbox"), intern!(py, "score"));
    let mut detections = Vec::with_capacity(items.len());
    for item in &items {
        let Ok(d) = item.cast::<PyDict>() else { return Ok(None) };
        let (Some(image), Some(cat), Some(bbox), Some(score)) =
            (d.get_item(keys.0)?, d.get_item(keys.1)?, d.get_item(keys.2)?, d.get_item(keys.3)?)
        else {
            return Ok(None);
        };
        let (Ok(image_id), Ok(category_id), Ok(score)) =
            (image.extract::<i64>(), cat.extract::<i64>(), score.extract::<f64>())
        else {
            return Ok(None);
        };
        let Some(bbox) = four_numbers(&bbox) else { return Ok(None) };
        detections.push(Detection { image_id, category_id, bbox, score });
    }
    if items.is_empty() {
        return Ok(None);
    }
    let ground_truth = gt.gt.clone();
    let dt = py.detach(|| CocoResults::from_detections(detections, &ground_truth));
    Ok(dt.ok().map(|dt| CocoResultsIndex { gt: gt.gt.clone(), dt: Arc::new(dt) }))
}

/// A `bbox` of four numbers (a list, or any sequence), or `None`.
fn four_numbers(value: &Bound<'_, PyAny>) -> Option<[f64; 4]> {
    if let Ok(list) = value.cast::<PyList>() {
        if list.len() != 4 {
            return None;
        }
        let mut out = [0.0; 4];
        for (k, v) in list.iter().enumerate() {
            out[k] = v.extract::<f64>().ok()?;
        }
        return Some(out);
    }
    let v: Vec<f64> = value.extract().ok()?;
    <[f64; 4]>::try_from(v).ok()
}

/// pycocotools' `evaluate()` of results held in Rust against the ground truth they were checked
/// against: `evalImgs` as an [`EvalImages`] (which also gives `ious`).
#[pyfunction]
pub(crate) fn coco_eval_indexed(
    py: Python<'_>,
    gt: &CocoGtIndex,
    dt: &CocoResultsIndex,
    kind: &str,
    mut params: RawParams,
) -> PyResult<EvalImages> {
    let kind = kind_of(kind)?;
    if kind == Kind::NmsAp {
        return Err(PyValueError::new_err("NMS-AP has no evalImgs: evaluate its kept results as \"bbox\""));
    }
    let (ground_truth, results) = (gt.gt.clone(), dt.dt.clone());
    compute(py, Size::Unbounded, move || {
        let p = params.params(kind)?;
        let sigmas = params.sigmas().to_vec();
        EvalImages::evaluate(EvalInputs { gt: ground_truth, dt: results, kind, params: p, sigmas, dt_ids: None })
    })
}
