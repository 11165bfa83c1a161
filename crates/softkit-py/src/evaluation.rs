//! `coco_eval`: COCO evaluation (pycocotools' `COCOeval`) of ground truth and results given as
//! file paths or as JSON text.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use softkit_eval::{
    AreaRange, CocoGroundTruth, CocoResults, EvalError, Evaluation, Params, evaluate_bbox, evaluate_segm,
};

use crate::guard::compute;

/// pycocotools' `areaRngLbl`, the labels the summary looks up.
const DEFAULT_AREA_LABELS: [&str; 4] = ["all", "small", "medium", "large"];

/// A JSON document: a path to read, or text the wrapper serialised from a dict or list.
enum Source {
    Path(String),
    Text(String),
}

impl Source {
    fn new(value: String, is_path: bool) -> Self {
        if is_path { Source::Path(value) } else { Source::Text(value) }
    }

    fn ground_truth(&self) -> Result<CocoGroundTruth, EvalError> {
        match self {
            Source::Path(p) => CocoGroundTruth::from_path(p),
            Source::Text(t) => CocoGroundTruth::from_json_str(t),
        }
    }

    fn results(&self, gt: &CocoGroundTruth) -> Result<CocoResults, EvalError> {
        match self {
            Source::Path(p) => CocoResults::from_path(p, gt),
            Source::Text(t) => CocoResults::from_json_str(t, gt),
        }
    }
}

/// The area ranges from `area_rng` (`[min, max]` pairs) and `area_rng_lbl`, as pycocotools pairs
/// `areaRng` with `areaRngLbl`.
fn area_ranges(ranges: Option<Vec<(f64, f64)>>, labels: Option<Vec<String>>) -> Result<Vec<AreaRange>, EvalError> {
    let defaults = Params::default().area_rngs;
    let ranges: Vec<(f64, f64)> = ranges.unwrap_or_else(|| defaults.iter().map(|r| (r.min, r.max)).collect());
    let labels: Vec<String> = match labels {
        Some(labels) => labels,
        None if ranges.len() == DEFAULT_AREA_LABELS.len() => DEFAULT_AREA_LABELS.map(String::from).to_vec(),
        None => {
            return Err(EvalError::Params {
                field: "area_rng_lbl",
                reason: format!(
                    "area_rng has {} ranges; pass area_rng_lbl with one label each (the summary reads \"all\", \
                     \"small\", \"medium\" and \"large\")",
                    ranges.len()
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

/// What the evaluation produced, before it becomes Python objects.
struct Outcome {
    evaluation: Evaluation,
    stats: [f64; 12],
}

fn reshaped<'py>(py: Python<'py>, flat: &[f64], shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_slice(py, flat).reshape(shape)?.into_any())
}

/// COCO evaluation; returns a dict of the 12 stats, AP per category, and the precision, recall
/// and scores arrays with pycocotools' axes.
#[pyfunction]
#[pyo3(signature = (gt, gt_is_path, dt, dt_is_path, iou_type, iou_thrs, rec_thrs, max_dets, area_rng, area_rng_lbl, use_cats, img_ids, cat_ids))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn coco_eval<'py>(
    py: Python<'py>,
    gt: String,
    gt_is_path: bool,
    dt: String,
    dt_is_path: bool,
    iou_type: &str,
    iou_thrs: Option<Vec<f64>>,
    rec_thrs: Option<Vec<f64>>,
    max_dets: Option<Vec<usize>>,
    area_rng: Option<Vec<(f64, f64)>>,
    area_rng_lbl: Option<Vec<String>>,
    use_cats: bool,
    img_ids: Option<Vec<i64>>,
    cat_ids: Option<Vec<i64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let evaluate = match iou_type {
        "bbox" => evaluate_bbox,
        "segm" => evaluate_segm,
        "keypoints" => {
            return Err(PyValueError::new_err(
                "iou_type = \"keypoints\": not yet supported (\"bbox\" and \"segm\" are)",
            ));
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "iou_type = {other:?} is invalid: expected \"bbox\", \"segm\" or \"keypoints\""
            )));
        }
    };
    let (gt, dt) = (Source::new(gt, gt_is_path), Source::new(dt, dt_is_path));
    // Parsing, checking and evaluating all run without the GIL.
    let outcome = compute(py, move || {
        let defaults = Params::default();
        let params = Params {
            img_ids,
            cat_ids,
            iou_thrs: iou_thrs.unwrap_or(defaults.iou_thrs),
            rec_thrs: rec_thrs.unwrap_or(defaults.rec_thrs),
            max_dets: max_dets.unwrap_or(defaults.max_dets),
            area_rngs: area_ranges(area_rng, area_rng_lbl)?,
            use_cats,
        };
        let gt = gt.ground_truth()?;
        let dt = dt.results(&gt)?;
        let evaluation = evaluate(&gt, &dt, &params)?;
        let stats = evaluation.stats()?;
        Ok::<Outcome, EvalError>(Outcome { evaluation, stats })
    })?;
    let ev = &outcome.evaluation;
    let [t, r, k, a, m] = ev.shape();
    let out = PyDict::new(py);
    out.set_item("stats", outcome.stats.to_vec())?;
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
    Ok(out)
}
