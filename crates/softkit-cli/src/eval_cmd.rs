//! `softkit eval`: COCO evaluation of a results file, printed as pycocotools prints it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use softkit_eval::{
    CocoGroundTruth, CocoResults, Evaluation, KEYPOINT_STAT_NAMES, Params, STAT_NAMES, VocMetric, VocParams,
    evaluate_coco, evaluate_voc_coco,
};
use softkit_geom::{BevIou, Boxes3d, Iou, Polygons, RotatedBoxes, Segments};
use softkit_io::{ensure_not_an_input, write_atomic};

use crate::scoring::{load_ground_truth, load_results};

/// What the results describe, as pycocotools' `iouType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum IouType {
    /// Boxes, `[x, y, width, height]`.
    Bbox,
    /// Masks (RLE or polygons).
    Segm,
    /// Keypoints, scored by OKS.
    Keypoints,
    /// Rotated boxes, each object's `rbox` `[cx, cy, w, h, angle]` (angle in radians, turning
    /// +x towards +y), by exact polygon IoU.
    Rotated,
    /// Polygons, each object's one-polygon `segmentation`, by exact polygon IoU (not rasterised).
    Polygon,
    /// 3-D boxes, each object's `box3d` `[x, y, z, dx, dy, dz, heading]` (z at the centre), by 3-D IoU.
    Box3d,
    /// The same 3-D boxes by their bird's-eye-view IoU.
    Bev,
    /// Time segments, each object's `segment` `[start, end]`, by temporal IoU.
    Segment,
}

impl IouType {
    fn name(self) -> &'static str {
        match self {
            IouType::Bbox => "bbox",
            IouType::Segm => "segm",
            IouType::Keypoints => "keypoints",
            IouType::Rotated => "rotated",
            IouType::Polygon => "polygon",
            IouType::Box3d => "box3d",
            IouType::Bev => "bev",
            IouType::Segment => "segment",
        }
    }
}

/// The evaluation protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Protocol {
    /// COCO's: AP over IoU 0.50:0.95, area ranges and maxDets, printed as pycocotools prints it.
    Coco,
    /// VOC's, as the DOTA devkit reports rotated detection: AP per class at one IoU threshold
    /// (`--voc-iou`), 11-point or area under the curve (`--voc-metric`), difficult objects ignored.
    Voc,
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
    /// The protocol: COCO's, or VOC's as DOTA reports it.
    #[arg(long, value_enum, default_value = "coco")]
    protocol: Protocol,
    /// VOC protocol: `07` (11-point, as the DOTA devkit reports; the default) or `area` (area
    /// under the curve).
    #[arg(long)]
    voc_metric: Option<VocMetric>,
    /// VOC protocol: a detection matches when its IoU is above this (default 0.5).
    #[arg(long)]
    voc_iou: Option<f64>,
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
        return Err(format!("--nms-ap works on boxes only (--iou-type bbox), not --iou-type {}", args.iou_type.name()));
    }
    // Every flag is checked before any file is read.
    match args.protocol {
        Protocol::Voc => {
            if args.nms_ap || args.plot.is_some() {
                return Err("--nms-ap and --plot belong to --protocol coco".into());
            }
            if let Some(iou) = args.voc_iou.filter(|iou| !(0.0..=1.0).contains(iou)) {
                return Err(format!("--voc-iou {iou} is invalid: expected a value in [0, 1]"));
            }
            if !matches!(args.iou_type, IouType::Bbox | IouType::Rotated | IouType::Polygon) {
                let name = args.iou_type.name();
                return Err(format!("--protocol voc scores bbox, rotated or polygon, not --iou-type {name}"));
            }
        }
        Protocol::Coco => {
            if args.voc_iou.is_some() || args.voc_metric.is_some() {
                return Err("--voc-iou and --voc-metric belong to --protocol voc".into());
            }
        }
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
    let dt = load_results(&args.dt, &gt)?;
    let err = |e: softkit_eval::EvalError| e.to_string();
    if args.protocol == Protocol::Voc {
        return run_voc(args, &gt, &dt, start);
    }
    let mut note = String::new();
    let (ev, summary, json) = match args.iou_type {
        IouType::Keypoints => {
            let ev = softkit_eval::evaluate_keypoints(&gt, &dt, &Params::keypoints()).map_err(err)?;
            let json = stats_json(&ev, &ev.keypoint_stats(), &KEYPOINT_STAT_NAMES);
            let summary = ev.keypoint_summary();
            (ev, summary, json)
        }
        shape @ (IouType::Rotated | IouType::Polygon | IouType::Box3d | IouType::Bev | IouType::Segment) => {
            let params = Params::default();
            let ev = match shape {
                IouType::Rotated => evaluate_coco::<RotatedBoxes, _>(&gt, &dt, &Iou, &params),
                IouType::Polygon => evaluate_coco::<Polygons, _>(&gt, &dt, &Iou, &params),
                IouType::Box3d => evaluate_coco::<Boxes3d, _>(&gt, &dt, &Iou, &params),
                IouType::Bev => evaluate_coco::<Boxes3d, _>(&gt, &dt, &BevIou, &params),
                _ => evaluate_coco::<Segments, _>(&gt, &dt, &Iou, &params),
            }
            .map_err(err)?;
            let summary = ev.summary().map_err(err)?;
            let json = summary_json(&ev)?;
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

/// `--protocol voc`: the per-class table and the mAP, and `{"map", "per_class_ap"}` for `--json`.
fn run_voc(args: &EvalArgs, gt: &CocoGroundTruth, dt: &CocoResults, start: Instant) -> Result<(), String> {
    let params = VocParams { iou_threshold: args.voc_iou.unwrap_or(0.5), metric: args.voc_metric.unwrap_or_default() };
    let ev = match args.iou_type {
        IouType::Bbox => evaluate_voc_coco::<softkit_geom::XywhBoxes, _>(gt, dt, &Iou, &params),
        IouType::Rotated => evaluate_voc_coco::<RotatedBoxes, _>(gt, dt, &Iou, &params),
        _ => evaluate_voc_coco::<Polygons, _>(gt, dt, &Iou, &params),
    }
    .map_err(|e| e.to_string())?;
    print!("{}", ev.summary());
    if let Some(path) = &args.json {
        let per_class: serde_json::Map<String, serde_json::Value> =
            ev.classes.iter().map(|c| (c.category_id.to_string(), c.ap.into())).collect();
        write_json(path, &serde_json::json!({"map": ev.map(), "per_class_ap": per_class}))?;
    }
    eprintln!(
        "softkit eval: {} detections, {} classes, VOC {:?} at IoU > {} ({:.1} ms){}",
        dt.len(),
        ev.classes.len(),
        params.metric,
        params.iou_threshold,
        start.elapsed().as_secs_f64() * 1e3,
        args.json.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default()
    );
    Ok(())
}
