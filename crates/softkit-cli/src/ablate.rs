//! `softkit ablate`: the Soft-NMS paper's experiment. Every suppression policy, and WBF and NMW
//! with the candidates as one model, on the same raw candidates, each scored by COCO AP on the
//! images that have ground truth, in one table.

use std::path::Path;
use std::time::Instant;

use clap::Args;
use softkit_geom::BoxMeasure;
use softkit_io::Detections;
use softkit_nms::{FusionParams, MatrixKernel, Policy, SuppressParams, Voting, vote};

use crate::eval_cmd::{check_outputs, write_json};
use crate::fuse_cmd::{fuse_per_image, top_per_image};
use crate::nms_cmd::{box_set, suppress};
use crate::scoring::{check_class_mapping, evaluate_on, evaluated_images, kept_results, load_ground_truth, read_input};

/// Arguments of `softkit ablate`.
#[derive(Args, Debug)]
pub(crate) struct AblateArgs {
    /// Raw candidates: a candidate table (`{"images", "candidates": [[image_id, class_index, x1, y1,
    /// x2, y2, score]]}`) or a COCO results list, before any suppression.
    #[arg(long)]
    candidates: String,
    /// COCO ground truth; only the candidates' images that it lists are suppressed and evaluated.
    #[arg(long)]
    gt: String,
    /// Keep at most this many boxes per image after suppression, by score.
    #[arg(long, default_value_t = 100)]
    max_det: usize,
    /// Boxes whose (decayed) score falls below this are dropped.
    #[arg(long, default_value_t = 0.001)]
    score_threshold: f64,
    /// Also write every row (method, the 12 stats, suppression time) to this JSON file.
    #[arg(long)]
    json: Option<String>,
}

/// One row of the table: a policy over a measure, then optionally box voting.
struct Method {
    name: String,
    params: SuppressParams,
    measure: BoxMeasure,
    /// Voting after suppression: who votes, above which IoU.
    voting: Option<(Voting, f64)>,
}

impl Method {
    fn new(name: impl Into<String>, policy: Policy) -> Self {
        Self { name: name.into(), params: SuppressParams::new(policy), measure: BoxMeasure::Iou, voting: None }
    }
}

/// The policies of the table, in print order.
fn methods() -> Vec<Method> {
    let mut out: Vec<Method> = [0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.8]
        .into_iter()
        .map(|iou| Method::new(format!("hard NMS, IoU {iou}"), Policy::Hard { iou_threshold: iou }))
        .collect();
    out.push(Method::new("Soft-NMS linear, Nt 0.3", Policy::Linear { iou_threshold: 0.3 }));
    for sigma in [0.3, 0.5, 1.0] {
        out.push(Method::new(format!("Soft-NMS gaussian, sigma {sigma:.1}"), Policy::Gaussian { sigma }));
    }
    for (name, beta) in [("DIoU-NMS, IoU 0.5", 1.0), ("DIoU-NMS, IoU 0.5, beta 0.6", 0.6)] {
        let measure = BoxMeasure::Diou { beta };
        out.push(Method { measure, ..Method::new(name, Policy::Hard { iou_threshold: 0.5 }) });
    }
    out.push(Method::new("OpenCV adaptive, IoU 0.7, eta 0.9", Policy::Adaptive { iou_threshold: 0.7, eta: 0.9 }));
    out.push(Method::new(
        "Matrix NMS gaussian, sigma 2",
        Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } },
    ));
    out.push(Method::new("Matrix NMS linear", Policy::Matrix { kernel: MatrixKernel::Linear }));
    for iou in [0.5, 0.65] {
        out.push(Method::new(format!("Fast NMS, IoU {iou}"), Policy::Fast { iou_threshold: iou }));
    }
    out.push(Method::new("Cluster-NMS + SPM, IoU 0.5", Policy::ClusterPenalty { iou_threshold: 0.5, sigma: 0.2 }));
    let cluster = Method::new("Weighted Cluster-NMS, IoU 0.5", Policy::Hard { iou_threshold: 0.5 });
    out.push(Method { voting: Some((Voting::Cluster, 0.8)), ..cluster });
    let voted = Method::new("Soft-NMS gaussian + soft voting", Policy::Gaussian { sigma: 0.5 });
    out.push(Method { voting: Some((Voting::Score, 0.8)), ..voted });
    out
}

pub(crate) fn run(args: &AblateArgs) -> Result<(), String> {
    // Every flag is checked before any file is read.
    let methods: Vec<Method> = methods()
        .into_iter()
        .map(|m| Method {
            params: m.params.with_score_threshold(args.score_threshold).with_max_output(args.max_det),
            ..m
        })
        .collect();
    for method in &methods {
        method.params.validate().map_err(|e| format!("--score-threshold: {e}"))?;
    }
    if let Some(json) = &args.json {
        let inputs = [("--candidates", Path::new(&args.candidates)), ("--gt", Path::new(&args.gt))];
        check_outputs(&[("--json", Path::new(json))], &inputs)?;
    }
    let all = read_input(&args.candidates)?;
    // Checked whole, so that a bad row is named by its place in the file, not in the subset.
    box_set(&args.candidates, &all, &all.xyxy(), BoxMeasure::Iou, 0.0)?;
    let gt = load_ground_truth(&args.gt)?;
    if all.candidate_table {
        check_class_mapping(&gt, &args.gt)?;
    }
    let img_ids = evaluated_images(&all, &gt);
    if img_ids.is_empty() {
        return Err(format!(
            "--gt {}: none of the images of {} is an image of the ground truth, so there is nothing to evaluate",
            args.gt, args.candidates
        ));
    }
    // Images without ground truth cannot change any AP, so they are not suppressed at all.
    let rows: Vec<usize> = (0..all.len()).filter(|&r| img_ids.binary_search(&all.image_ids[r]).is_ok()).collect();
    let dets = &all.select(&rows);
    let n_candidates = dets.len();
    println!(
        "softkit ablate: {n_candidates} candidates on the {} images with ground truth; class-wise suppression, \
         at most {} boxes per image, COCO bbox AP (pycocotools protocol)\n",
        img_ids.len(),
        args.max_det
    );
    println!(
        "{:<34} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9}",
        "method", "AP", "AP50", "AP75", "APs", "APm", "APl", "AR100", "nms (ms)"
    );
    let mut rows = Vec::new();
    for Method { name, params, measure, voting } in methods {
        let start = Instant::now();
        let kept = suppress(&args.candidates, dets, &params, measure, 0.0)?;
        let voted = voting.map(|(voting, threshold)| voted(dets, &kept, voting, threshold)).transpose()?;
        let millis = start.elapsed().as_secs_f64() * 1e3;
        let results = kept_results(voted.as_ref().unwrap_or(dets), &kept, &gt)?;
        let stats = evaluate_on(&gt, &results, &img_ids)?.stats().map_err(|e| e.to_string())?;
        println!(
            "{name:<34} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {millis:>9.1}",
            stats[0], stats[1], stats[2], stats[3], stats[4], stats[5], stats[8]
        );
        rows.push(serde_json::json!({
            "method": name,
            "stats": stats.to_vec(),
            "kept": results.len(),
            "nms_ms": millis,
        }));
    }
    // Fusion merges what suppression drops: the candidates as one model's output.
    for (name, params) in
        [("WBF (one model), IoU 0.55", FusionParams::wbf()), ("NMW (one model), IoU 0.55", FusionParams::nmw())]
    {
        let params = params.with_skip_threshold(args.score_threshold);
        let start = Instant::now();
        let fused = fuse_per_image(std::slice::from_ref(&args.candidates), std::slice::from_ref(dets), &params)?;
        let millis = start.elapsed().as_secs_f64() * 1e3;
        let kept = top_per_image(&fused, args.max_det);
        let results = kept_results(&fused, &kept, &gt)?;
        let stats = evaluate_on(&gt, &results, &img_ids)?.stats().map_err(|e| e.to_string())?;
        println!(
            "{name:<34} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {millis:>9.1}",
            stats[0], stats[1], stats[2], stats[3], stats[4], stats[5], stats[8]
        );
        rows.push(
            serde_json::json!({ "method": name, "stats": stats.to_vec(), "kept": results.len(), "nms_ms": millis }),
        );
    }
    println!("\nAP is averaged over IoU 0.50:0.95; AR100 is recall with at most 100 detections per image.");
    if let Some(path) = &args.json {
        let value = serde_json::json!({
            "candidates": args.candidates,
            "ground_truth": args.gt,
            "images": img_ids,
            "stat_names": softkit_eval::STAT_NAMES,
            "rows": rows,
        });
        write_json(path, &value)?;
    }
    Ok(())
}

/// `dets` with each kept row's box replaced by its vote among the rows of its image and category.
fn voted(dets: &Detections, kept: &[(usize, f64)], voting: Voting, threshold: f64) -> Result<Detections, String> {
    // One label per (image, category), so that votes stay within both.
    let mut scopes: Vec<(i64, i64)> = dets.image_ids.iter().copied().zip(dets.category_ids.iter().copied()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let labels: Vec<i64> = (0..dets.len())
        .map(|r| scopes.binary_search(&(dets.image_ids[r], dets.category_ids[r])).unwrap_or_default() as i64)
        .collect();
    let rows: Vec<usize> = kept.iter().map(|&(r, _)| r).collect();
    let boxes = vote(&dets.xyxy(), &dets.scores, Some(&labels), &rows, threshold, voting).map_err(|e| e.to_string())?;
    let mut out = dets.clone();
    out.boxes = dets.xyxy();
    out.format = softkit_geom::BoxFormat::Xyxy;
    for (&r, b) in rows.iter().zip(boxes) {
        out.boxes[r] = b;
    }
    Ok(out)
}
