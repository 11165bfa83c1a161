//! `softkit nms`: suppression over a detection file, per image and category.

use std::time::Instant;

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_io::{Detections, write_coco_results};
use softkit_nms::{SuppressParams, suppress_batched};

use crate::scoring::{check_class_mapping, evaluate_on, evaluated_images, kept_results, load_ground_truth, read_input};

/// Which suppression policy to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Method {
    /// Classic NMS: remove boxes overlapping a kept one by more than `--iou`.
    Hard,
    /// Linear Soft-NMS: scale by `1 - IoU` above `--iou`.
    Linear,
    /// Gaussian Soft-NMS: scale by `exp(-IoU^2 / sigma)`.
    Gaussian,
}

/// Arguments of `softkit nms`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub(crate) struct NmsArgs {
    /// A candidate table (`{"images", "candidates": [[image_id, class_index, x1, y1, x2, y2, score]]}`)
    /// or a COCO results list.
    #[arg(long)]
    input: String,
    /// The suppression policy.
    #[arg(long, value_enum, default_value = "gaussian")]
    method: Method,
    /// IoU threshold of hard and linear NMS [default: 0.5 for hard, 0.3 (the paper's Nt) for linear].
    #[arg(long)]
    iou: Option<f64>,
    /// Width of the Gaussian penalty.
    #[arg(long, default_value_t = 0.5)]
    sigma: f64,
    /// Boxes whose (decayed) score falls below this are dropped.
    #[arg(long, default_value_t = 0.001)]
    score_threshold: f64,
    /// Keep at most this many boxes per image, by score (COCO evaluates 100).
    #[arg(long, default_value_t = 100)]
    max_det: usize,
    /// 1 for the legacy "+1" pixel convention in box areas, 0 for continuous coordinates.
    #[arg(long, default_value_t = 0.0)]
    pixel_offset: f64,
    /// Where to write the COCO results JSON (optional with `--gt`).
    #[arg(long, required_unless_present = "gt")]
    output: Option<String>,
    /// COCO ground truth: evaluate the kept boxes right after suppression, on the images it lists,
    /// and print pycocotools' summary.
    #[arg(long)]
    gt: Option<String>,
}

impl NmsArgs {
    pub(crate) fn params(&self) -> SuppressParams {
        match self.method {
            Method::Hard => SuppressParams::hard(self.iou.unwrap_or(0.5)),
            Method::Linear => SuppressParams::linear(self.iou.unwrap_or(0.3)),
            Method::Gaussian => SuppressParams::gaussian(self.sigma),
        }
        .with_score_threshold(self.score_threshold)
        .with_max_output(self.max_det)
    }
}

/// Suppresses every image of `dets` class-wise; returns `(row, score)` pairs, images in ascending
/// id order, each image's rows by non-increasing score.
pub(crate) fn suppress_per_image(
    dets: &Detections,
    images: &[(i64, Vec<usize>)],
    params: &SuppressParams,
    pixel_offset: f64,
) -> Result<Vec<(usize, f64)>, String> {
    let per_image: Vec<Result<Vec<(usize, f64)>, String>> = images
        .par_iter()
        .map(|(image_id, rows)| {
            let rows = rows.as_slice();
            let boxes: Vec<[f64; 4]> = rows.iter().map(|&r| dets.boxes[r]).collect();
            let scores: Vec<f64> = rows.iter().map(|&r| dets.scores[r]).collect();
            let labels: Vec<i64> = rows.iter().map(|&r| dets.category_ids[r]).collect();
            let in_image = |e: &dyn std::fmt::Display| format!("image {image_id}: {e}");
            let set = BoxSet::new(&boxes, BoxMeasure::Iou, pixel_offset).map_err(|e| in_image(&e))?;
            let kept = suppress_batched(&set, &scores, &labels, params).map_err(|e| in_image(&e))?;
            Ok(kept.indices.into_iter().zip(kept.scores).map(|(i, s)| (rows[i], s)).collect())
        })
        .collect();
    per_image.into_iter().try_fold(Vec::new(), |mut all, image| {
        all.extend(image?);
        Ok(all)
    })
}

pub(crate) fn run(args: &NmsArgs) -> Result<(), String> {
    let params = args.params();
    params.validate().map_err(|e| e.to_string())?;
    let input = read_input(&args.input)?;
    let dets = &input.dets;
    // Load the ground truth before the work, so that a bad file fails fast.
    let gt = match &args.gt {
        Some(path) => {
            let gt = load_ground_truth(path)?;
            if input.candidate_table {
                check_class_mapping(&gt, path)?;
            }
            Some(gt)
        }
        None => None,
    };
    let images = dets.rows_by_image();
    let start = Instant::now();
    let kept = suppress_per_image(dets, &images, &params, args.pixel_offset)?;
    let elapsed = start.elapsed();
    if let Some(output) = &args.output {
        write_coco_results(output, dets, &kept).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "softkit nms: {} candidates in {} images -> {} kept ({:?}, {:.1} ms){}",
        dets.len(),
        images.len(),
        kept.len(),
        args.method,
        elapsed.as_secs_f64() * 1e3,
        args.output.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default()
    );
    if let Some(gt) = &gt {
        let img_ids = evaluated_images(dets, gt);
        if img_ids.is_empty() {
            return Err(format!(
                "--gt {}: none of the input's images is an image of the ground truth, so there is nothing to evaluate",
                args.gt.as_deref().unwrap_or_default()
            ));
        }
        let results = kept_results(dets, &kept, gt)?;
        let ev = evaluate_on(gt, &results, &img_ids)?;
        let total = input_image_count(dets, &images);
        println!(
            "COCO bbox evaluation on {} of the input's {} images (those in the ground truth), {} kept boxes:",
            img_ids.len(),
            total,
            results.len()
        );
        print!("{}", ev.summary().map_err(|e| e.to_string())?);
    }
    Ok(())
}

/// Images of the input: a candidate table's image list, or the images its rows name.
fn input_image_count(dets: &Detections, images: &[(i64, Vec<usize>)]) -> usize {
    let mut ids: Vec<i64> = dets.images.iter().map(|i| i.id).chain(images.iter().map(|(id, _)| *id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}
