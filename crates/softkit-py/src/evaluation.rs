//! `coco_eval`: COCO evaluation (pycocotools' `COCOeval`) of ground truth and results given as
//! file paths or as JSON text; the VOC protocol (DOTA), ActivityNet's temporal mAP and AP|R40 of
//! 3-D boxes on rows of numbers.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use softkit_eval::{
    AreaRange, DtRecord, EvalError, EvalInput, Evaluation, GtRecord, ImageEval, KEYPOINT_STAT_NAMES, PairIous, Params,
    STAT_NAMES, VocParams, accumulate_images, activitynet_thresholds, coco_ious, evaluate_activitynet, evaluate_bbox,
    evaluate_coco, evaluate_coco_images, evaluate_keypoints_with_sigmas, evaluate_r40, evaluate_segm,
    evaluate_voc_coco, nms_ap_filter,
};
use softkit_geom::{
    BevIou, Box3dOrigin, Boxes3d, COCO_KEYPOINT_SIGMAS, Geometry, Iou, Keypoints, Masks, Oks, PairView, Polygons,
    RotatedBoxes, Segments, XywhBoxes,
};
use softkit_io::{CocoGroundTruth, CocoResults, Detection, IoError, integer_id};

use std::sync::{Arc, OnceLock};

use crate::guard::{Size, compute};

/// A JSON document: a path to read, or text the wrapper serialised from the dict or list passed
/// as the argument `name`.
enum Source {
    Path(String),
    Text { text: String, name: &'static str },
}

impl Source {
    fn new(value: String, is_path: bool, name: &'static str) -> Self {
        if is_path { Source::Path(value) } else { Source::Text { text: value, name } }
    }

    fn ground_truth(&self) -> Result<CocoGroundTruth, IoError> {
        match self {
            Source::Path(p) => CocoGroundTruth::from_path(p),
            Source::Text { text, name } => CocoGroundTruth::from_serialised_json(text, name),
        }
    }

    fn results(&self, gt: &CocoGroundTruth) -> Result<CocoResults, IoError> {
        match self {
            Source::Path(p) => CocoResults::from_path(p, gt),
            Source::Text { text, name } => CocoResults::from_serialised_json(text, gt, name),
        }
    }
}

/// Ground truth and results, with a note for each that wrote ids as floats.
fn load(gt: &Source, dt: &Source) -> Result<(CocoGroundTruth, CocoResults, Vec<String>), IoError> {
    let ground_truth = gt.ground_truth()?;
    let results = dt.results(&ground_truth)?;
    let name = |source: &Source| match source {
        Source::Path(p) => p.clone(),
        Source::Text { name, .. } => name.to_string(),
    };
    let notes = [(ground_truth.float_ids(), name(gt)), (results.float_ids(), name(dt))]
        .into_iter()
        .filter_map(|(note, origin)| note.map(|note| format!("{origin}: {note}")))
        .collect();
    Ok((ground_truth, results, notes))
}

/// Passes each note on as a Python `UserWarning`.
fn warn_each(py: Python<'_>, notes: &[String]) -> PyResult<()> {
    for note in notes {
        let message = std::ffi::CString::new(note.as_str()).unwrap_or_default();
        PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyUserWarning>(), &message, 2)?;
    }
    Ok(())
}

/// The area ranges from `area_rng` (`[min, max]` pairs) and `area_rng_lbl`, as pycocotools pairs
/// `areaRng` with `areaRngLbl`; `defaults` are the iou type's (their labels go with any list of
/// as many ranges).
fn area_ranges(
    ranges: Option<Vec<(f64, f64)>>,
    labels: Option<Vec<String>>,
    defaults: &[AreaRange],
) -> Result<Vec<AreaRange>, EvalError> {
    let ranges: Vec<(f64, f64)> = ranges.unwrap_or_else(|| defaults.iter().map(|r| (r.min, r.max)).collect());
    let labels: Vec<String> = match labels {
        Some(labels) => labels,
        None if ranges.len() == defaults.len() => defaults.iter().map(|r| r.label.clone()).collect(),
        None => {
            let names: Vec<String> = defaults.iter().map(|r| format!("{:?}", r.label)).collect();
            return Err(EvalError::Params {
                field: "area_rng_lbl",
                reason: format!(
                    "area_rng has {} ranges; pass area_rng_lbl with one label each (the summary reads {})",
                    ranges.len(),
                    names.join(", ")
                ),
            });
        }
    };
    if labels.len() != ranges.len() {
        return Err(EvalError::Params {
            field: "area_rng_lbl",
            reason: format!("has {} labels but area_rng has {} ranges", labels.len(), ranges.len()),
        });
    }
    Ok(ranges.into_iter().zip(labels).map(|((min, max), label)| AreaRange::new(label, min, max)).collect())
}

/// Which evaluation to run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bbox,
    Segm,
    Keypoints,
    Rotated,
    Polygon,
    Box3d,
    Bev,
    Segment,
    NmsAp,
}

/// What the evaluation produced, before it becomes Python objects.
struct Outcome {
    evaluation: Evaluation,
    stats: Vec<f64>,
    /// The detections NMS-AP kept (NMS-AP only).
    kept: Option<Vec<usize>>,
    /// Notes on ids read from floats, for warnings.
    notes: Vec<String>,
}

fn reshaped<'py>(py: Python<'py>, flat: &[f64], shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_slice(py, flat).reshape(shape)?.into_any())
}

/// pycocotools' `Params` fields as the Python wrapper passes them, in a dict (`None`: the iou
/// type's default).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct RawParams {
    iou_thrs: Option<Vec<f64>>,
    rec_thrs: Option<Vec<f64>>,
    max_dets: Option<Vec<usize>>,
    area_rng: Option<Vec<(f64, f64)>>,
    area_rng_lbl: Option<Vec<String>>,
    use_cats: bool,
    img_ids: Option<Vec<i64>>,
    cat_ids: Option<Vec<i64>>,
    /// pycocotools' `kpt_oks_sigmas` (keypoints; `None`: COCO's 17).
    kpt_oks_sigmas: Option<Vec<f64>>,
}

impl RawParams {
    /// The evaluator's parameters, with `kind`'s defaults for what is `None`.
    pub(crate) fn params(&mut self, kind: Kind) -> Result<Params, EvalError> {
        let defaults = if kind == Kind::Keypoints { Params::keypoints() } else { Params::default() };
        Ok(Params {
            img_ids: self.img_ids.take(),
            cat_ids: self.cat_ids.take(),
            area_rngs: area_ranges(self.area_rng.take(), self.area_rng_lbl.take(), &defaults.area_rngs)?,
            iou_thrs: self.iou_thrs.take().unwrap_or(defaults.iou_thrs),
            rec_thrs: self.rec_thrs.take().unwrap_or(defaults.rec_thrs),
            max_dets: self.max_dets.take().unwrap_or(defaults.max_dets),
            use_cats: self.use_cats,
        })
    }

    pub(crate) fn sigmas(&self) -> &[f64] {
        self.kpt_oks_sigmas.as_deref().unwrap_or(&COCO_KEYPOINT_SIGMAS)
    }
}

fn run<'py>(py: Python<'py>, gt: Source, dt: Source, kind: Kind, mut raw: RawParams) -> PyResult<Bound<'py, PyDict>> {
    // Parsing, checking and evaluating all run without the GIL.
    let outcome = compute(py, Size::Unbounded, move || {
        let params = raw.params(kind)?;
        let (gt, dt, notes) = load(&gt, &dt)?;
        let (evaluation, kept) = match kind {
            Kind::Bbox => (evaluate_bbox(&gt, &dt, &params)?, None),
            Kind::Segm => (evaluate_segm(&gt, &dt, &params)?, None),
            Kind::Keypoints => (evaluate_keypoints_with_sigmas(&gt, &dt, &params, raw.sigmas())?, None),
            Kind::Rotated => (evaluate_coco::<RotatedBoxes, _>(&gt, &dt, &Iou, &params)?, None),
            Kind::Polygon => (evaluate_coco::<Polygons, _>(&gt, &dt, &Iou, &params)?, None),
            Kind::Box3d => (evaluate_coco::<Boxes3d, _>(&gt, &dt, &Iou, &params)?, None),
            Kind::Bev => (evaluate_coco::<Boxes3d, _>(&gt, &dt, &BevIou, &params)?, None),
            Kind::Segment => (evaluate_coco::<Segments, _>(&gt, &dt, &Iou, &params)?, None),
            Kind::NmsAp => {
                let kept = nms_ap_filter(&gt, &dt)?;
                (evaluate_bbox(&gt, &dt.select(&kept), &params)?, Some(kept))
            }
        };
        let stats =
            if kind == Kind::Keypoints { evaluation.keypoint_stats().to_vec() } else { evaluation.stats()?.to_vec() };
        Ok::<Outcome, EvalError>(Outcome { evaluation, stats, kept, notes })
    })?;
    warn_each(py, &outcome.notes)?;
    let ev = &outcome.evaluation;
    let [t, r, k, a, m] = ev.shape();
    let out = PyDict::new(py);
    out.set_item("stats", outcome.stats)?;
    let names: &[&str] = if kind == Kind::Keypoints { &KEYPOINT_STAT_NAMES } else { &STAT_NAMES };
    out.set_item("stat_names", names.to_vec())?;
    let per_class = PyDict::new(py);
    for c in ev.class_ap() {
        per_class.set_item(c.category_id, c.ap)?;
    }
    out.set_item("per_class_ap", per_class)?;
    out.set_item("precision", reshaped(py, ev.precision(), &[t, r, k, a, m])?)?;
    out.set_item("recall", reshaped(py, ev.recall(), &[t, k, a, m])?)?;
    out.set_item("scores", reshaped(py, ev.scores(), &[t, r, k, a, m])?)?;
    out.set_item("img_ids", ev.img_ids().to_vec())?;
    out.set_item("cat_ids", ev.cat_ids().to_vec())?;
    out.set_item("iou_thrs", ev.iou_thrs().to_vec())?;
    out.set_item("rec_thrs", ev.rec_thrs().to_vec())?;
    out.set_item("max_dets", ev.max_dets().to_vec())?;
    if let Some(kept) = outcome.kept {
        let kept: Vec<i64> = kept.into_iter().map(|i| i as i64).collect();
        out.set_item("kept", PyArray1::from_vec(py, kept))?;
    }
    Ok(out)
}

/// COCO evaluation of `kind` ("bbox", "segm", "keypoints", or "nms_ap" for OVDEval's NMS-AP on
/// boxes); returns a dict of the summary stats (12 for boxes and masks, 10 for keypoints), AP per
/// category, the precision, recall and scores arrays with pycocotools' axes, and for NMS-AP the
/// indices of the detections it kept.
#[pyfunction]
pub(crate) fn coco_eval<'py>(
    py: Python<'py>,
    gt: String,
    gt_is_path: bool,
    dt: String,
    dt_is_path: bool,
    kind: &str,
    params: RawParams,
) -> PyResult<Bound<'py, PyDict>> {
    run(py, Source::new(gt, gt_is_path, "gt"), Source::new(dt, dt_is_path, "dt"), kind_of(kind)?, params)
}

/// pycocotools' `evalImgs` for `kind` (any iou type but NMS-AP), kept in Rust: an
/// [`EvalImages`] over categories, area ranges and images, whose entries become pycocotools'
/// dicts only when read. `dt_ids` gives the results' ids (default: 1, 2, ... in order, as
/// `loadRes` numbers them).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn coco_eval_images<'py>(
    py: Python<'py>,
    gt: String,
    gt_is_path: bool,
    dt: String,
    dt_is_path: bool,
    kind: &str,
    mut params: RawParams,
    dt_ids: Option<Vec<i64>>,
    dt_boxes: Option<BoxColumns<'py>>,
) -> PyResult<EvalImages> {
    let kind = kind_of(kind)?;
    // Box results as columns: read without a round trip through JSON text.
    let detections = dt_boxes.map(|c| c.detections()).transpose()?;
    let (gt, dt) = (Source::new(gt, gt_is_path, "gt"), Source::new(dt, dt_is_path, "dt"));
    let (images, notes) = compute(py, Size::Unbounded, move || {
        let p = params.params(kind)?;
        let (gt, dt, notes) = match detections {
            None => load(&gt, &dt)?,
            Some(detections) => {
                let ground_truth = gt.ground_truth()?;
                let results = CocoResults::from_detections(detections, &ground_truth)?;
                (ground_truth, results, Vec::new())
            }
        };
        if let Some(ids) = &dt_ids
            && ids.len() != dt.len()
        {
            let reason = format!("has {} ids but there are {} results", ids.len(), dt.len());
            return Err(EvalError::Params { field: "dt_ids", reason });
        }
        let sigmas = params.sigmas().to_vec();
        let inputs = EvalInputs { gt: Arc::new(gt), dt: Arc::new(dt), kind, params: p, sigmas, dt_ids };
        Ok::<_, EvalError>((EvalImages::evaluate(inputs)?, notes))
    })?;
    warn_each(py, &notes)?;
    Ok(images)
}

/// pycocotools' `evaluate()` and `accumulate()` of `kind` at once (any iou type but NMS-AP).
fn evaluation_of(inputs: &EvalInputs) -> Result<Evaluation, EvalError> {
    let (gt, dt, p) = (&*inputs.gt, &*inputs.dt, &inputs.params);
    match inputs.kind {
        Kind::Bbox => evaluate_coco::<XywhBoxes, _>(gt, dt, &Iou, p),
        Kind::Segm => evaluate_coco::<Masks, _>(gt, dt, &Iou, p),
        Kind::Keypoints => evaluate_keypoints_with_sigmas(gt, dt, p, &inputs.sigmas),
        Kind::Rotated => evaluate_coco::<RotatedBoxes, _>(gt, dt, &Iou, p),
        Kind::Polygon => evaluate_coco::<Polygons, _>(gt, dt, &Iou, p),
        Kind::Box3d => evaluate_coco::<Boxes3d, _>(gt, dt, &Iou, p),
        Kind::Bev => evaluate_coco::<Boxes3d, _>(gt, dt, &BevIou, p),
        Kind::Segment => evaluate_coco::<Segments, _>(gt, dt, &Iou, p),
        Kind::NmsAp => {
            let reason = "NMS-AP has no evalImgs: evaluate its kept results as \"bbox\"".to_string();
            Err(EvalError::Params { field: "iou_type", reason })
        }
    }
}

/// pycocotools' `evalImgs` records of `kind` (any iou type but NMS-AP).
fn eval_images(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    kind: Kind,
    p: &Params,
    sigmas: &[f64],
    ids: Option<&[i64]>,
) -> Result<Vec<Option<ImageEval>>, EvalError> {
    Ok(match kind {
        Kind::Bbox => evaluate_coco_images::<XywhBoxes, _>(gt, dt, &Iou, p, ids)?,
        Kind::Segm => evaluate_coco_images::<Masks, _>(gt, dt, &Iou, p, ids)?,
        // `evaluation_of` ran first and checked the keypoints (counts, use_cats) the records assume.
        Kind::Keypoints => evaluate_coco_images::<Keypoints, _>(gt, dt, &Oks::new(sigmas), p, ids)?,
        Kind::Rotated => evaluate_coco_images::<RotatedBoxes, _>(gt, dt, &Iou, p, ids)?,
        Kind::Polygon => evaluate_coco_images::<Polygons, _>(gt, dt, &Iou, p, ids)?,
        Kind::Box3d => evaluate_coco_images::<Boxes3d, _>(gt, dt, &Iou, p, ids)?,
        Kind::Bev => evaluate_coco_images::<Boxes3d, _>(gt, dt, &BevIou, p, ids)?,
        Kind::Segment => evaluate_coco_images::<Segments, _>(gt, dt, &Iou, p, ids)?,
        Kind::NmsAp => {
            let reason = "NMS-AP has no evalImgs: evaluate its kept results as \"bbox\"".to_string();
            return Err(EvalError::Params { field: "iou_type", reason });
        }
    })
}

/// pycocotools' `COCOeval.ious` of `kind` (any iou type but NMS-AP).
fn ious_of(inputs: &EvalInputs) -> Result<Vec<PairIous>, EvalError> {
    let (gt, dt, p) = (&*inputs.gt, &*inputs.dt, &inputs.params);
    Ok(match inputs.kind {
        Kind::Bbox => coco_ious::<XywhBoxes, _>(gt, dt, &Iou, p)?,
        Kind::Segm => coco_ious::<Masks, _>(gt, dt, &Iou, p)?,
        Kind::Keypoints => coco_ious::<Keypoints, _>(gt, dt, &Oks::new(&inputs.sigmas), p)?,
        Kind::Rotated => coco_ious::<RotatedBoxes, _>(gt, dt, &Iou, p)?,
        Kind::Polygon => coco_ious::<Polygons, _>(gt, dt, &Iou, p)?,
        Kind::Box3d => coco_ious::<Boxes3d, _>(gt, dt, &Iou, p)?,
        Kind::Bev => coco_ious::<Boxes3d, _>(gt, dt, &BevIou, p)?,
        Kind::Segment => coco_ious::<Segments, _>(gt, dt, &Iou, p)?,
        Kind::NmsAp => Vec::new(),
    })
}

/// What an evaluation read, kept for `evalImgs` and `ious`: the ground truth, the results, the
/// iou type, the parameters, the keypoint sigmas and the results' ids (`None`: 1, 2, ... in order).
pub(crate) struct EvalInputs {
    pub(crate) gt: Arc<CocoGroundTruth>,
    pub(crate) dt: Arc<CocoResults>,
    pub(crate) kind: Kind,
    pub(crate) params: Params,
    pub(crate) sigmas: Vec<f64>,
    pub(crate) dt_ids: Option<Vec<i64>>,
}

/// Box results as numpy columns: `image_id`, `category_id`, `score` and `bbox` `(N, 4)`.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct BoxColumns<'py> {
    image_id: numpy::PyReadonlyArray1<'py, i64>,
    category_id: numpy::PyReadonlyArray1<'py, i64>,
    score: numpy::PyReadonlyArray1<'py, f64>,
    bbox: PyReadonlyArray2<'py, f64>,
}

impl BoxColumns<'_> {
    fn detections(&self) -> PyResult<Vec<Detection>> {
        let (images, cats, scores) = (self.image_id.as_array(), self.category_id.as_array(), self.score.as_array());
        let boxes = self.bbox.as_array();
        let n = images.len();
        if cats.len() != n || scores.len() != n || boxes.shape() != [n, 4] {
            return Err(PyValueError::new_err("the box result columns differ in length"));
        }
        Ok((0..n)
            .map(|i| Detection {
                image_id: images[i],
                category_id: cats[i],
                bbox: [boxes[[i, 0]], boxes[[i, 1]], boxes[[i, 2]], boxes[[i, 3]]],
                score: scores[i],
            })
            .collect())
    }
}

/// `evalImgs` held in Rust: `len`, and entry `i` as `None` or pycocotools' dict, built on read;
/// and `ious`, computed on request from the inputs the evaluation read.
///
/// `evaluate()` matches and accumulates at once (the curves `accumulate()` gives for the same
/// parameters); the per-image records are made only when `evalImgs` is read or `accumulate()`
/// gets other parameters.
#[pyclass(module = "softkit._native", name = "EvalImages", frozen)]
pub(crate) struct EvalImages {
    inputs: EvalInputs,
    /// The curves at `inputs.params`.
    evaluation: Evaluation,
    len: usize,
    images: OnceLock<Vec<Option<ImageEval>>>,
}

impl EvalImages {
    /// Evaluates `inputs` (call without the GIL).
    pub(crate) fn evaluate(inputs: EvalInputs) -> Result<Self, EvalError> {
        let evaluation = evaluation_of(&inputs)?;
        let n_cat = if evaluation.use_cats() { evaluation.cat_ids().len() } else { 1 };
        let len = n_cat * evaluation.area_rngs().len() * evaluation.img_ids().len();
        Ok(EvalImages { inputs, evaluation, len, images: OnceLock::new() })
    }

    fn records(&self, py: Python<'_>) -> PyResult<&[Option<ImageEval>]> {
        if let Some(images) = self.images.get() {
            return Ok(images);
        }
        let i = &self.inputs;
        let images = compute(py, Size::Unbounded, || {
            eval_images(&i.gt, &i.dt, i.kind, &i.params, &i.sigmas, i.dt_ids.as_deref())
        })?;
        Ok(self.images.get_or_init(|| images))
    }
}

#[pymethods]
impl EvalImages {
    /// pycocotools' `ious`: `{(imgId, catId): ndarray [D, G] float64, or [] where the image has
    /// no detection or no ground truth of the category}`, over the evaluated images and
    /// categories (`catId` -1 without categories).
    fn ious<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let pairs = compute(py, Size::Unbounded, || ious_of(&self.inputs))?;
        let out = PyDict::new(py);
        for pair in pairs {
            let key = (pair.image_id, pair.category_id);
            if pair.dt == 0 || pair.gt == 0 {
                out.set_item(key, pyo3::types::PyList::empty(py))?;
            } else {
                out.set_item(key, PyArray1::from_vec(py, pair.values).reshape([pair.dt, pair.gt])?)?;
            }
        }
        Ok(out)
    }

    /// Held, never changed: a copy is the same object.
    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }

    fn __len__(&self) -> usize {
        self.len
    }

    /// Entry `index` (`0 <= index < len`; the Python wrapper handles negative indices and slices).
    fn get<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        match self.records(py)?.get(index) {
            None => Err(pyo3::exceptions::PyIndexError::new_err(format!("evalImgs index {index} out of range"))),
            Some(None) => Ok(py.None().into_bound(py)),
            Some(Some(e)) => Ok(image_dict(py, e)?.into_any()),
        }
    }

    /// pycocotools' `accumulate` over these records: `(precision, recall, scores)`.
    fn accumulate<'py>(&self, py: Python<'py>, mut params: RawParams) -> PyResult<Curves<'py>> {
        let p = params.params(self.inputs.kind).map_err(|e| PyValueError::new_err(e.to_string()))?;
        if p == self.inputs.params {
            return curves(py, &self.evaluation);
        }
        let images = self.records(py)?;
        let ev = compute(py, Size::Unbounded, || accumulate_images(images.iter().flatten(), &p))?;
        curves(py, &ev)
    }
}

/// `(precision, recall, scores)` with pycocotools' axes.
type Curves<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>);

fn curves<'py>(py: Python<'py>, ev: &Evaluation) -> PyResult<Curves<'py>> {
    let [t, r, k, a, m] = ev.shape();
    Ok((
        reshaped(py, ev.precision(), &[t, r, k, a, m])?,
        reshaped(py, ev.recall(), &[t, k, a, m])?,
        reshaped(py, ev.scores(), &[t, r, k, a, m])?,
    ))
}

/// One `evalImgs` entry with pycocotools' keys and types: float `[T, D]` and `[T, G]` match
/// arrays, an int `gtIgnore`, a bool `dtIgnore`, lists for the ids and scores.
fn image_dict<'py>(py: Python<'py>, e: &ImageEval) -> PyResult<Bound<'py, PyDict>> {
    let (d, g) = (e.dt_ids.len(), e.gt_ids.len());
    // A record has a detection or a ground truth, whose matrix has a row per threshold.
    let t = e.dt_matches.len().checked_div(d).unwrap_or(e.gt_matches.len() / g.max(1));
    let out = PyDict::new(py);
    out.set_item("image_id", e.image_id)?;
    out.set_item("category_id", e.category_id)?;
    out.set_item("aRng", e.area_range.to_vec())?;
    out.set_item("maxDet", e.max_det)?;
    out.set_item("dtIds", e.dt_ids.clone())?;
    out.set_item("gtIds", e.gt_ids.clone())?;
    out.set_item("dtMatches", PyArray1::from_slice(py, &e.dt_matches).reshape([t, d])?)?;
    out.set_item("gtMatches", PyArray1::from_slice(py, &e.gt_matches).reshape([t, g])?)?;
    out.set_item("dtScores", e.dt_scores.clone())?;
    // numpy makes an empty list float64, a list of 0/1 flags int64.
    if g == 0 {
        out.set_item("gtIgnore", PyArray1::<f64>::zeros(py, 0, false))?;
    } else {
        let gt_ignore: Vec<i64> = e.gt_ignore.iter().map(|&ig| i64::from(ig)).collect();
        out.set_item("gtIgnore", PyArray1::from_vec(py, gt_ignore))?;
    }
    out.set_item("dtIgnore", PyArray1::from_slice(py, &e.dt_ignore).reshape([t, d])?)?;
    Ok(out)
}

/// pycocotools' `accumulate` over `evalImgs` (a list of `None` or its dicts, as
/// `coco_eval_images` returns them or a training loop merged them): `(precision, recall, scores)`
/// with pycocotools' axes, for the images, categories, area ranges and maxDets of `params`.
#[pyfunction]
pub(crate) fn coco_accumulate<'py>(
    py: Python<'py>,
    eval_imgs: Vec<Option<Bound<'py, PyDict>>>,
    mut params: RawParams,
) -> PyResult<Curves<'py>> {
    let records = eval_imgs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_ref().map(|e| image_eval(e).map_err(|err| named(err, i))))
        .collect::<PyResult<Vec<ImageEval>>>()?;
    let ev = compute(py, Size::Unbounded, move || {
        let p = params.params(Kind::Bbox)?;
        accumulate_images(&records, &p)
    })?;
    curves(py, &ev)
}

/// `err` with the place of the record that caused it.
fn named(err: PyErr, index: usize) -> PyErr {
    PyValueError::new_err(format!("evalImgs[{index}]: {err}"))
}

/// One `evalImgs` dict as a record.
fn image_eval(e: &Bound<'_, PyDict>) -> PyResult<ImageEval> {
    let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        e.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("has no {key:?}")))
    };
    let flags =
        |key: &str| -> PyResult<Vec<bool>> { Ok(numbers(&get(key)?, key)?.into_iter().map(|v| v != 0.0).collect()) };
    let area: Vec<f64> = get("aRng")?.extract()?;
    let [low, high] = area[..] else {
        return Err(PyValueError::new_err(format!("aRng = {area:?} is not [min, max]")));
    };
    Ok(ImageEval {
        image_id: get("image_id")?.extract()?,
        category_id: get("category_id")?.extract()?,
        area_range: [low, high],
        max_det: get("maxDet")?.extract()?,
        dt_ids: get("dtIds")?.extract()?,
        gt_ids: get("gtIds")?.extract()?,
        dt_matches: numbers(&get("dtMatches")?, "dtMatches")?,
        gt_matches: numbers(&get("gtMatches")?, "gtMatches")?,
        dt_scores: numbers(&get("dtScores")?, "dtScores")?,
        gt_ignore: flags("gtIgnore")?,
        dt_ignore: flags("dtIgnore")?,
    })
}

/// The numbers of an array (float, integer or bool, any shape, row-major) or a list.
fn numbers(value: &Bound<'_, PyAny>, key: &str) -> PyResult<Vec<f64>> {
    if let Ok(a) = value.extract::<PyReadonlyArrayDyn<'_, f64>>() {
        return Ok(a.as_array().iter().copied().collect());
    }
    if let Ok(a) = value.extract::<PyReadonlyArrayDyn<'_, i64>>() {
        return Ok(a.as_array().iter().map(|&v| v as f64).collect());
    }
    if let Ok(a) = value.extract::<PyReadonlyArrayDyn<'_, bool>>() {
        return Ok(a.as_array().iter().map(|&v| f64::from(u8::from(v))).collect());
    }
    value.extract::<Vec<f64>>().map_err(|_| PyValueError::new_err(format!("{key} is not an array of numbers")))
}

pub(crate) fn kind_of(kind: &str) -> PyResult<Kind> {
    Ok(match kind {
        "bbox" => Kind::Bbox,
        "segm" => Kind::Segm,
        "keypoints" => Kind::Keypoints,
        "rotated" => Kind::Rotated,
        "polygon" => Kind::Polygon,
        "box3d" => Kind::Box3d,
        "bev" => Kind::Bev,
        "segment" => Kind::Segment,
        "nms_ap" => Kind::NmsAp,
        other => return Err(PyValueError::new_err(format!("iou_type = {other:?} is invalid: expected {IOU_TYPES}"))),
    })
}

const IOU_TYPES: &str =
    "\"bbox\", \"segm\", \"keypoints\", \"rotated\", \"polygon\", \"box3d\", \"bev\" or \"segment\"";

/// The VOC protocol (the DOTA devkit's `voc_eval`) of `iou_type` "bbox", "rotated" or "polygon":
/// returns `(mAP, [(category_id, ground truth, detections, AP, recall, precision)])`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn voc_eval<'py>(
    py: Python<'py>,
    gt: String,
    gt_is_path: bool,
    dt: String,
    dt_is_path: bool,
    iou_type: &str,
    iou_threshold: f64,
    metric: &str,
) -> PyResult<(f64, Vec<VocRow<'py>>)> {
    let params = VocParams { iou_threshold, metric: metric.parse().map_err(PyValueError::new_err)? };
    let (gt, dt) = (Source::new(gt, gt_is_path, "gt"), Source::new(dt, dt_is_path, "dt"));
    let iou_type = iou_type.to_string();
    let (ev, notes) = compute(py, Size::Unbounded, move || {
        let (gt, dt, notes) = load(&gt, &dt)?;
        let ev = match iou_type.as_str() {
            "bbox" => evaluate_voc_coco::<XywhBoxes, _>(&gt, &dt, &Iou, &params),
            "rotated" => evaluate_voc_coco::<RotatedBoxes, _>(&gt, &dt, &Iou, &params),
            "polygon" => evaluate_voc_coco::<Polygons, _>(&gt, &dt, &Iou, &params),
            other => Err(EvalError::Params {
                field: "iou_type",
                reason: format!("{other:?} is not \"bbox\", \"rotated\" or \"polygon\""),
            }),
        }?;
        Ok::<_, EvalError>((ev, notes))
    })?;
    warn_each(py, &notes)?;
    let rows = ev
        .classes
        .iter()
        .map(|c| {
            let curve = |v: &[f64]| PyArray1::from_vec(py, v.to_vec());
            (c.category_id, c.ground_truth, c.detections, c.ap, curve(&c.recall), curve(&c.precision))
        })
        .collect();
    Ok((ev.map(), rows))
}

type VocRow<'py> = (i64, usize, usize, f64, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// `(thresholds, labels, ap[t][c])`.
type ActivityNetRows = (Vec<f64>, Vec<i64>, Vec<Vec<f64>>);

/// ActivityNet's temporal detection mAP: `ground_truth` rows `[video, label, start, end]`,
/// `predictions` rows `[video, label, start, end, score]`. Returns `(thresholds, labels, ap
/// [T][C])`; the classes are the labels of the ground truth.
#[pyfunction]
pub(crate) fn activitynet_eval(
    py: Python<'_>,
    ground_truth: PyReadonlyArray2<'_, f64>,
    predictions: PyReadonlyArray2<'_, f64>,
    thresholds: Option<Vec<f64>>,
) -> PyResult<ActivityNetRows> {
    let gt_rows: Vec<Vec<f64>> = ground_truth.as_array().rows().into_iter().map(|r| r.to_vec()).collect();
    let dt_rows: Vec<Vec<f64>> = predictions.as_array().rows().into_iter().map(|r| r.to_vec()).collect();
    let thresholds = thresholds.unwrap_or_else(activitynet_thresholds);
    let ev = compute(py, Size::Unbounded, move || -> Result<_, EvalError> {
        let (gt_ids, dt_ids) = (integer_ids(&gt_rows, "ground_truth")?, integer_ids(&dt_rows, "predictions")?);
        let segments = |rows: &[Vec<f64>], list: &str| {
            let segments: Vec<[f64; 2]> = rows.iter().map(|r| [r[2], r[3]]).collect();
            Segments::new(&segments).map_err(|e| IoError::Geometry { item: list.into(), source: e })
        };
        let (gt_segments, dt_segments) = (segments(&gt_rows, "ground_truth")?, segments(&dt_rows, "predictions")?);
        let gts = gt_records(&gt_ids, &gt_segments);
        let dts = dt_records(&dt_ids, &dt_rows, 4, &dt_segments);
        let (videos, labels) = ids_of(&gt_ids, &dt_ids);
        let input = EvalInput { image_ids: &videos, category_ids: &labels, gts: &gts, dts: &dts };
        evaluate_activitynet(&input, &PairView::new(dt_segments, gt_segments, Iou), &thresholds)
    })?;
    Ok((ev.thresholds, ev.category_ids, ev.ap))
}

/// AP|R40 of 3-D boxes (KITTI's interpolation, without its difficulty filters): ground truth rows
/// `[frame, label, x, y, z, dx, dy, dz, heading]`, detection rows the same plus `score`; `iou` is
/// `"3d"` or `"bev"`. Returns `[(label, AP)]` for the labels with ground truth.
#[pyfunction]
pub(crate) fn r40_eval(
    py: Python<'_>,
    ground_truth: PyReadonlyArray2<'_, f64>,
    detections: PyReadonlyArray2<'_, f64>,
    iou_threshold: f64,
    iou: &str,
    box_origin: &str,
) -> PyResult<Vec<(i64, f64)>> {
    let origin: Box3dOrigin = box_origin.parse().map_err(PyValueError::new_err)?;
    let bev = match iou {
        "3d" => false,
        "bev" => true,
        other => return Err(PyValueError::new_err(format!("iou = {other:?} is invalid: expected \"3d\" or \"bev\""))),
    };
    let gt_rows: Vec<Vec<f64>> = ground_truth.as_array().rows().into_iter().map(|r| r.to_vec()).collect();
    let dt_rows: Vec<Vec<f64>> = detections.as_array().rows().into_iter().map(|r| r.to_vec()).collect();
    compute(py, Size::Unbounded, move || -> Result<_, EvalError> {
        let (gt_ids, dt_ids) = (integer_ids(&gt_rows, "ground_truth")?, integer_ids(&dt_rows, "detections")?);
        let boxes = |rows: &[Vec<f64>], list: &str| {
            let boxes: Vec<[f64; 7]> = rows.iter().map(|r| std::array::from_fn(|k| r[k + 2])).collect();
            Boxes3d::new(&boxes, origin).map_err(|e| IoError::Geometry { item: list.into(), source: e })
        };
        let (gt_boxes, dt_boxes) = (boxes(&gt_rows, "ground_truth")?, boxes(&dt_rows, "detections")?);
        let gts = gt_records(&gt_ids, &gt_boxes);
        let dts = dt_records(&dt_ids, &dt_rows, 9, &dt_boxes);
        let (frames, labels) = ids_of(&gt_ids, &dt_ids);
        let input = EvalInput { image_ids: &frames, category_ids: &labels, gts: &gts, dts: &dts };
        if bev {
            evaluate_r40(&input, &PairView::new(dt_boxes, gt_boxes, BevIou), iou_threshold)
        } else {
            evaluate_r40(&input, &PairView::new(dt_boxes, gt_boxes, Iou), iou_threshold)
        }
    })
}

/// The `[id, label]` leading each row, as integers; errors name the row.
fn integer_ids(rows: &[Vec<f64>], list: &str) -> Result<Vec<(i64, i64)>, EvalError> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let id = |k: usize, field: &'static str| {
                integer_id(r[k]).ok_or_else(|| EvalError::Params {
                    field,
                    reason: format!("{list}[{i}] = {} is not an integer id", r[k]),
                })
            };
            Ok((id(0, "image")?, id(1, "label")?))
        })
        .collect()
}

/// Ground-truth records, one per row, with the geometry's sizes.
fn gt_records<G: Geometry>(ids: &[(i64, i64)], geometry: &G) -> Vec<GtRecord> {
    ids.iter()
        .enumerate()
        .map(|(i, &(image_id, category_id))| GtRecord {
            id: i as i64 + 1,
            image_id,
            category_id,
            area: geometry.area(i),
            iscrowd: false,
            ignore: false,
        })
        .collect()
}

/// Detection records, one per row, the score in column `score_column`.
fn dt_records<G: Geometry>(ids: &[(i64, i64)], rows: &[Vec<f64>], score_column: usize, geometry: &G) -> Vec<DtRecord> {
    ids.iter()
        .zip(rows)
        .enumerate()
        .map(|(i, (&(image_id, category_id), r))| DtRecord {
            image_id,
            category_id,
            area: geometry.area(i),
            score: r[score_column],
        })
        .collect()
}

/// Every image id of both lists, and the ground truth's labels.
fn ids_of(gt: &[(i64, i64)], dt: &[(i64, i64)]) -> (Vec<i64>, Vec<i64>) {
    let mut images: Vec<i64> = gt.iter().chain(dt).map(|&(i, _)| i).collect();
    images.sort_unstable();
    images.dedup();
    (images, gt.iter().map(|&(_, l)| l).collect())
}
