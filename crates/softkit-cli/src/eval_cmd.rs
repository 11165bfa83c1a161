//! `softkit eval`: COCO evaluation of a results file, printed as pycocotools prints it.

use std::time::Instant;

use clap::{Args, ValueEnum};
use softkit_eval::{CocoResults, Evaluation, STAT_NAMES};

use crate::scoring::load_ground_truth;

/// What the results describe, as pycocotools' `iouType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum IouType {
    /// Boxes, `[x, y, width, height]`.
    Bbox,
    /// Masks (RLE or polygons).
    Segm,
    /// Keypoints, scored by OKS.
    Keypoints,
}

/// Arguments of `softkit eval`.
#[derive(Args, Debug)]
pub(crate) struct EvalArgs {
    /// COCO ground truth (`instances_*.json`).
    #[arg(long)]
    gt: String,
    /// COCO results (`[{"image_id", "category_id", "bbox" or "segmentation", "score"}, ...]`).
    #[arg(long)]
    dt: String,
    /// The geometry to evaluate.
    #[arg(long, value_enum, default_value = "bbox")]
    iou_type: IouType,
    /// Also write `{"stats": [12 numbers], "per_class_ap": {"category_id": ap}}` to this file.
    #[arg(long)]
    json: Option<String>,
}

/// `{"stats": [...], "per_class_ap": {...}}`, with the stat names for readers of the file.
pub(crate) fn summary_json(ev: &Evaluation) -> Result<serde_json::Value, String> {
    let stats = ev.stats().map_err(|e| e.to_string())?;
    let per_class: serde_json::Map<String, serde_json::Value> =
        ev.class_ap().into_iter().map(|c| (c.category_id.to_string(), c.ap.into())).collect();
    Ok(serde_json::json!({
        "stats": stats.to_vec(),
        "stat_names": STAT_NAMES,
        "per_class_ap": per_class,
    }))
}

/// Writes `value` as pretty JSON; the error names the file.
pub(crate) fn write_json(path: &str, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| format!("{path}: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{path}: {e}"))
}

pub(crate) fn run(args: &EvalArgs) -> Result<(), String> {
    let evaluate = match args.iou_type {
        IouType::Bbox => softkit_eval::evaluate_bbox,
        IouType::Segm => softkit_eval::evaluate_segm,
        IouType::Keypoints => return Err("--iou-type keypoints: not yet supported (bbox and segm are)".into()),
    };
    let start = Instant::now();
    let gt = load_ground_truth(&args.gt)?;
    let dt = CocoResults::from_path(&args.dt, &gt).map_err(|e| e.to_string())?;
    let ev = evaluate(&gt, &dt, &softkit_eval::Params::default()).map_err(|e| e.to_string())?;
    print!("{}", ev.summary().map_err(|e| e.to_string())?);
    if let Some(path) = &args.json {
        write_json(path, &summary_json(&ev)?)?;
    }
    eprintln!(
        "softkit eval: {} detections on {} images, {} categories ({:.1} ms){}",
        dt.len(),
        ev.img_ids().len(),
        ev.cat_ids().len(),
        start.elapsed().as_secs_f64() * 1e3,
        args.json.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default()
    );
    Ok(())
}
