//! `softkit eval`: COCO evaluation of a results file, printed as pycocotools prints it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use softkit_eval::{CocoResults, Evaluation, KEYPOINT_STAT_NAMES, Params, STAT_NAMES};
use softkit_io::{ensure_not_an_input, write_atomic};

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
    /// COCO results (`[{"image_id", "category_id", "bbox", "segmentation" or "keypoints", "score"}, ...]`).
    #[arg(long)]
    dt: String,
    /// The geometry to evaluate (keypoints: OKS with the 17 COCO sigmas, pycocotools' 10-line summary).
    #[arg(long, value_enum, default_value = "bbox")]
    iou_type: IouType,
    /// Score with NMS-AP (OVDEval): per image, remove the predictions, of any label, that are a
    /// runner-up (IoU > 0.5) for some ground-truth box and the best match for none, then run COCO
    /// bbox AP. Boxes only.
    #[arg(long)]
    nms_ap: bool,
    /// Also write `{"stats": [...], "stat_names": [...], "per_class_ap": {"category_id": ap}}` to this file.
    #[arg(long)]
    json: Option<String>,
    /// Also write PNG reports to this directory (created if missing): `pr_curves.png` (precision
    /// against recall at IoU 0.50, 0.75 and the mean over 0.50:0.95, area all, largest maxDets,
    /// averaged over the categories with ground truth), `per_class_ap.png` (AP per category,
    /// sorted), and `summary.json` (the `--json` content).
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

/// `{"stats": [...], "per_class_ap": {...}}`, with the stat names for readers of the file.
pub(crate) fn summary_json(ev: &Evaluation) -> Result<serde_json::Value, String> {
    let stats = ev.stats().map_err(|e| e.to_string())?;
    Ok(stats_json(ev, &stats, &STAT_NAMES))
}

fn stats_json(ev: &Evaluation, stats: &[f64], names: &[&str]) -> serde_json::Value {
    let per_class: serde_json::Map<String, serde_json::Value> =
        ev.class_ap().into_iter().map(|c| (c.category_id.to_string(), c.ap.into())).collect();
    serde_json::json!({
        "stats": stats,
        "stat_names": names,
        "per_class_ap": per_class,
    })
}

/// Writes `value` as pretty JSON, all or nothing; the error names the file.
pub(crate) fn write_json(path: impl AsRef<Path>, value: &serde_json::Value) -> Result<(), String> {
    let path = path.as_ref();
    let text = serde_json::to_string_pretty(value).map_err(|e| format!("{}: {e}", path.display()))?;
    write_atomic(path, (text + "\n").as_bytes()).map_err(|e| e.to_string())
}

/// Refuses an output that is one of the inputs, before anything is read.
pub(crate) fn check_outputs(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), String> {
    for &(flag, output) in outputs {
        ensure_not_an_input(flag, output, inputs).map_err(|e| e.to_string())?;
    }
    Ok(())
}

pub(crate) fn run(args: &EvalArgs) -> Result<(), String> {
    if args.nms_ap && args.iou_type != IouType::Bbox {
        let name = if args.iou_type == IouType::Segm { "segm" } else { "keypoints" };
        return Err(format!("--nms-ap works on boxes only (--iou-type bbox), not --iou-type {name}"));
    }
    let inputs = [("--gt", Path::new(&args.gt)), ("--dt", Path::new(&args.dt))];
    let mut outputs: Vec<(&str, PathBuf)> = args.json.iter().map(|j| ("--json", PathBuf::from(j))).collect();
    if let Some(dir) = &args.plot {
        outputs.extend(crate::plots::FILES.iter().map(|name| ("--plot", dir.join(name))));
    }
    let outputs: Vec<(&str, &Path)> = outputs.iter().map(|(f, p)| (*f, p.as_path())).collect();
    check_outputs(&outputs, &inputs)?;
    let start = Instant::now();
    let gt = load_ground_truth(&args.gt)?;
    let dt = CocoResults::from_path(&args.dt, &gt).map_err(|e| e.to_string())?;
    let err = |e: softkit_eval::EvalError| e.to_string();
    let mut note = String::new();
    let (ev, summary, json) = match args.iou_type {
        IouType::Keypoints => {
            let ev = softkit_eval::evaluate_keypoints(&gt, &dt, &Params::keypoints()).map_err(err)?;
            let json = stats_json(&ev, &ev.keypoint_stats(), &KEYPOINT_STAT_NAMES);
            let summary = ev.keypoint_summary();
            (ev, summary, json)
        }
        IouType::Bbox | IouType::Segm => {
            let ev = if args.nms_ap {
                let kept = softkit_eval::nms_ap_filter(&gt, &dt).map_err(err)?;
                note = format!(", NMS-AP removed {} of them", dt.len() - kept.len());
                softkit_eval::evaluate_bbox(&gt, &dt.select(&kept), &Params::default())
            } else if args.iou_type == IouType::Bbox {
                softkit_eval::evaluate_bbox(&gt, &dt, &Params::default())
            } else {
                softkit_eval::evaluate_segm(&gt, &dt, &Params::default())
            }
            .map_err(err)?;
            let summary = ev.summary().map_err(err)?;
            let json = summary_json(&ev)?;
            (ev, summary, json)
        }
    };
    print!("{summary}");
    if let Some(path) = &args.json {
        write_json(path, &json)?;
    }
    let plotted = match &args.plot {
        Some(dir) => {
            let written = {
                let measure = if args.iou_type == IouType::Keypoints { "OKS" } else { "IoU" };
                crate::plots::write_plots(dir, &ev, &gt, &json, measure)?
            };
            format!(
                " -> {}, {}, {}",
                written.pr_curves.display(),
                written.per_class_ap.display(),
                written.summary.display()
            )
        }
        None => String::new(),
    };
    eprintln!(
        "softkit eval: {} detections{note} on {} images, {} categories ({:.1} ms){}{plotted}",
        dt.len(),
        ev.img_ids().len(),
        ev.cat_ids().len(),
        start.elapsed().as_secs_f64() * 1e3,
        args.json.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default()
    );
    Ok(())
}
