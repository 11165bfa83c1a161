//! `softkit fuse`: several models' detection files fused per image and category (WBF or NMW).

use std::path::Path;
use std::time::Instant;

use clap::{Args, ValueEnum};
use softkit_geom::BoxFormat;
use softkit_io::{Detections, ensure_not_an_input, write_coco_results};
use softkit_nms::{Confidence, FusionError, FusionMethod, FusionParams, ModelDetections, fuse};

use crate::scoring::{evaluate_on, evaluated_images, kept_results, load_gt_for, read_input};

/// Arguments of `softkit fuse`.
#[derive(Args, Debug)]
pub(crate) struct FuseArgs {
    /// Two or more detection files, one per model: COCO results lists or candidate tables (as
    /// `softkit nms --input` reads them). Boxes stay in pixels; fusion does not need them
    /// normalised.
    #[arg(long, num_args = 1.., required = true)]
    pub(crate) inputs: Vec<String>,
    /// `wbf` (weighted boxes fusion) or `nmw` (non-maximum weighted).
    #[arg(long, value_enum, default_value = "wbf")]
    pub(crate) method: MethodArg,
    /// One weight per input, comma-separated [default: 1 each].
    #[arg(long, value_delimiter = ',')]
    pub(crate) weights: Option<Vec<f64>>,
    /// IoU above which a box joins a cluster.
    #[arg(long, default_value_t = 0.55)]
    pub(crate) iou: f64,
    /// Boxes scoring below this are left out (ensemble-boxes' `skip_box_thr`).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) skip: f64,
    /// WBF only: how a fused box is scored: `avg`, `max`, `box_and_model_avg` or
    /// `absent_model_aware_avg` [default: avg].
    #[arg(long)]
    pub(crate) conf_type: Option<String>,
    /// WBF with `avg` only: let the fused score count every member, not at most one per model.
    #[arg(long)]
    pub(crate) allows_overflow: bool,
    /// Where to write the fused boxes as COCO results (optional with `--gt`).
    #[arg(long, required_unless_present = "gt")]
    pub(crate) output: Option<String>,
    /// COCO ground truth: evaluate the fused boxes on the images it lists and print the summary.
    #[arg(long)]
    pub(crate) gt: Option<String>,
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum MethodArg {
    /// Weighted boxes fusion.
    Wbf,
    /// Non-maximum weighted.
    Nmw,
}

impl FuseArgs {
    /// The fusion parameters, checked, with errors naming the flags.
    fn params(&self) -> Result<FusionParams, String> {
        let method = match self.method {
            MethodArg::Wbf => {
                let confidence: Confidence =
                    self.conf_type.as_deref().unwrap_or("avg").parse().map_err(|e| format!("--conf-type: {e}"))?;
                if self.allows_overflow && confidence != Confidence::Avg {
                    return Err("--allows-overflow applies to --conf-type avg only".into());
                }
                FusionMethod::Wbf { confidence, allows_overflow: self.allows_overflow }
            }
            MethodArg::Nmw if self.conf_type.is_some() || self.allows_overflow => {
                let flag = if self.conf_type.is_some() { "--conf-type" } else { "--allows-overflow" };
                return Err(format!("{flag} applies to --method wbf only"));
            }
            MethodArg::Nmw => FusionMethod::Nmw,
        };
        if !(0.0..=1.0).contains(&self.iou) {
            return Err(format!("--iou {} is invalid: expected a number in [0, 1]", self.iou));
        }
        if !self.skip.is_finite() {
            return Err(format!("--skip {} is invalid: expected a finite number", self.skip));
        }
        if let Some(weights) = &self.weights {
            if weights.len() != self.inputs.len() {
                return Err(format!(
                    "--weights has {} values but there are {} inputs",
                    weights.len(),
                    self.inputs.len()
                ));
            }
            if let Some(bad) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
                return Err(format!("--weights: {bad} is not a finite number >= 0"));
            }
            if weights.iter().all(|&w| w == 0.0) {
                return Err("--weights are all 0".into());
            }
        }
        let params = FusionParams::new(method).with_iou_threshold(self.iou).with_skip_threshold(self.skip);
        Ok(match &self.weights {
            Some(w) => params.with_weights(w.clone()),
            None => params,
        })
    }
}

pub(crate) fn run(args: &FuseArgs) -> Result<(), String> {
    let params = args.params()?;
    if let Some(output) = &args.output {
        let mut inputs: Vec<(&str, &Path)> = args.inputs.iter().map(|p| ("--inputs", Path::new(p))).collect();
        inputs.extend(args.gt.as_deref().map(|gt| ("--gt", Path::new(gt))));
        ensure_not_an_input("--output", Path::new(output), &inputs).map_err(|e| e.to_string())?;
    }
    let models: Vec<Detections> = args.inputs.iter().map(|p| read_input(p)).collect::<Result<_, _>>()?;
    let tables = models.iter().filter(|d| d.candidate_table).count();
    let gt = load_gt_for(args.gt.as_deref(), tables > 0)?;
    let start = Instant::now();
    let fused = fuse_per_image(&args.inputs, &models, &params)?;
    let elapsed = start.elapsed();
    let rows: Vec<(usize, f64)> = fused.scores.iter().copied().enumerate().collect();
    if let Some(output) = &args.output {
        write_coco_results(output, &fused, &rows).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "softkit fuse: {} boxes from {} inputs -> {} fused ({:?}, {:.1} ms){}",
        models.iter().map(Detections::len).sum::<usize>(),
        models.len(),
        fused.len(),
        args.method,
        elapsed.as_secs_f64() * 1e3,
        args.output.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default()
    );
    if let Some(gt) = &gt {
        let img_ids = evaluated_images(&fused, gt);
        if img_ids.is_empty() {
            return Err("--gt: none of the fused images is an image of the ground truth".into());
        }
        let results = kept_results(&fused, &rows, gt)?;
        let ev = evaluate_on(gt, &results, &img_ids)?;
        println!("COCO bbox evaluation of {} fused boxes on {} images:", results.len(), img_ids.len());
        print!("{}", ev.summary().map_err(|e| e.to_string())?);
    }
    Ok(())
}

/// Fuses each image's detections across the models; the result lists images in ascending id,
/// each image's fused boxes by non-increasing score.
pub(crate) fn fuse_per_image(
    paths: &[String],
    models: &[Detections],
    params: &FusionParams,
) -> Result<Detections, String> {
    let corners: Vec<Vec<[f64; 4]>> = models.iter().map(Detections::xyxy).collect();
    // Each model's rows grouped by image: (image, row) sorted.
    let by_image: Vec<Vec<(i64, usize)>> = models
        .iter()
        .map(|d| {
            let mut rows: Vec<(i64, usize)> = d.image_ids.iter().copied().zip(0..).collect();
            rows.sort_unstable();
            rows
        })
        .collect();
    let mut images: Vec<i64> = by_image.iter().flatten().map(|&(image, _)| image).collect();
    images.sort_unstable();
    images.dedup();
    let mut out = Detections {
        images: Vec::new(),
        candidate_table: false,
        image_ids: Vec::new(),
        category_ids: Vec::new(),
        boxes: Vec::new(),
        format: BoxFormat::Xyxy,
        scores: Vec::new(),
        float_ids: None,
    };
    let mut cursors = vec![0usize; models.len()];
    for image in images {
        // Each model's rows of this image, gathered into columns.
        let columns: Vec<ImageRows> = (0..models.len())
            .map(|m| {
                let rows = &by_image[m];
                let start = cursors[m];
                let end = start + rows[start..].iter().take_while(|&&(i, _)| i == image).count();
                cursors[m] = end;
                let rows: Vec<usize> = rows[start..end].iter().map(|&(_, r)| r).collect();
                ImageRows {
                    items: rows.iter().map(|&r| corners[m][r]).collect(),
                    scores: rows.iter().map(|&r| models[m].scores[r]).collect(),
                    labels: rows.iter().map(|&r| models[m].category_ids[r]).collect(),
                    rows,
                }
            })
            .collect();
        let views: Vec<ModelDetections<'_, [f64; 4]>> =
            columns.iter().map(|c| ModelDetections { items: &c.items, scores: &c.scores, labels: &c.labels }).collect();
        let fused = fuse(&views, params).map_err(|e| {
            // Name the file and row rather than the position within this image.
            let place = |model: usize, index: usize| {
                format!("{} row {} (image {image})", paths[model], columns[model].rows[index])
            };
            match e {
                FusionError::NonFiniteCoordinate { model, index, .. }
                | FusionError::Inverted { model, index, .. }
                | FusionError::Score { model, index, .. } => format!("{}: {e}", place(model, index)),
                other => other.to_string(),
            }
        })?;
        for ((item, score), label) in fused.items.into_iter().zip(fused.scores).zip(fused.labels) {
            out.image_ids.push(image);
            out.category_ids.push(label);
            out.boxes.push(item);
            out.scores.push(score);
        }
    }
    Ok(out)
}

/// One model's rows of one image, as fusion's columns, with the row each came from.
struct ImageRows {
    items: Vec<[f64; 4]>,
    scores: Vec<f64>,
    labels: Vec<i64>,
    rows: Vec<usize>,
}

/// The first `max_det` rows of each image of `fused` (whose rows come by image, then by
/// non-increasing score), as `(row, score)` pairs.
pub(crate) fn top_per_image(fused: &Detections, max_det: usize) -> Vec<(usize, f64)> {
    let mut kept = Vec::new();
    let mut start = 0;
    for group in fused.image_ids.chunk_by(|a, b| a == b) {
        kept.extend((start..start + group.len().min(max_det)).map(|r| (r, fused.scores[r])));
        start += group.len();
    }
    kept
}
