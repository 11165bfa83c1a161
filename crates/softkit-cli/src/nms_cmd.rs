//! `softkit nms`: suppression over a detection file, per image and category.

use std::path::Path;
use std::time::Instant;

use clap::{Args, ValueEnum};
use softkit_geom::{
    Box3dOrigin, BoxMeasure, BoxSet, IntersectMeasure, RotatedFormat, ShapeMeasure, check_pixel_offset,
};
use softkit_io::{Detections, ensure_not_an_input, write_coco_results};
use softkit_nms::{NmsError, PolicyKind, SuppressParams, suppress_per_image};

use crate::scoring::{evaluate_on, evaluated_images, kept_results, load_gt_for, read_input};

/// Arguments of `softkit nms`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub(crate) struct NmsArgs {
    /// A candidate table (`{"images", "candidates": [rows]}`) or a COCO results list. A box row is
    /// `[image_id, class_index, x1, y1, x2, y2, score]`, a rotated one `[image_id, class_index, cx,
    /// cy, w, h, angle, score]`, a polygon one `[image_id, class_index, score, x1, y1, x2, y2, ...]`;
    /// results carry `bbox`, `rbox` or a one-polygon `segmentation`.
    #[arg(long)]
    pub(crate) input: String,
    /// What the rows hold: `box`, `rotated` (`cx, cy, w, h, angle`), `polygon`, `segment`
    /// (`start, end`), `box3d` (`x, y, z, dx, dy, dz, heading`, by 3-D IoU), `bev` (the same
    /// rows by bird's-eye IoU), `keypoints` (poses by mmpose's OKS: rows `[image_id,
    /// class_index, score, area, x1, y1, v1, ...]` or results with `keypoints`) or `mask`
    /// (results with run-length `segmentation`s).
    #[arg(long, value_enum, default_value = "box")]
    pub(crate) geometry: GeometryArg,
    /// How rotated boxes write the angle: `radians` (turning +x towards +y), `degrees` (OpenCV's
    /// RotatedRect), or mmrotate's `le90`, `le135`, `oc` (radians, range-checked).
    #[arg(long, default_value = "radians")]
    pub(crate) rbox_format: RotatedFormat,
    /// Where a 3-D box's `z` sits: `centre` (OpenPCDet) or `bottom` (mmdet3d's LiDAR boxes).
    #[arg(long, default_value = "centre")]
    pub(crate) box_origin: Box3dOrigin,
    /// The overlap measure: `iou`, `iomin` (intersection over the smaller shape), `giou` (boxes,
    /// rotated boxes, polygons), `diou` (boxes) or `oks` (keypoints) [default: `oks` for
    /// keypoints, else `iou`].
    #[arg(long)]
    pub(crate) measure: Option<String>,
    /// Keypoints only: the OKS standard deviation of each keypoint, comma-separated [default:
    /// COCO's 17 person sigmas].
    #[arg(long, value_delimiter = ',')]
    pub(crate) sigmas: Option<Vec<f64>>,
    /// Keypoints only: count a keypoint only if visible above this in both poses (mmpose's
    /// `vis_thr`) [default: every keypoint counts].
    #[arg(long)]
    pub(crate) visibility_threshold: Option<f64>,
    /// The suppression policy: `hard` (remove boxes overlapping a kept one by more than `--iou`),
    /// `linear` (scale by `1 - IoU` above `--iou`) or `gaussian` (scale by `exp(-IoU^2 / sigma)`).
    #[arg(long, default_value = "gaussian")]
    pub(crate) method: PolicyKind,
    /// IoU threshold of hard and linear NMS [default: 0.5 for hard, 0.3 (the paper's Nt) for
    /// linear]; gaussian has none.
    #[arg(long)]
    pub(crate) iou: Option<f64>,
    /// Width of the Gaussian penalty [default: 0.5]; gaussian only.
    #[arg(long)]
    pub(crate) sigma: Option<f64>,
    /// Boxes whose (decayed) score falls below this are dropped.
    #[arg(long, default_value_t = 0.001)]
    pub(crate) score_threshold: f64,
    /// Keep at most this many boxes per image, by score (COCO evaluates 100).
    #[arg(long, default_value_t = 100)]
    pub(crate) max_det: usize,
    /// 1 for the legacy "+1" pixel convention in box areas, 0 for continuous coordinates.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) pixel_offset: f64,
    /// Where to write the COCO results JSON (optional with `--gt`).
    #[arg(long, required_unless_present = "gt")]
    pub(crate) output: Option<String>,
    /// COCO ground truth: evaluate the kept boxes right after suppression, on the images it lists,
    /// and print pycocotools' summary.
    #[arg(long)]
    pub(crate) gt: Option<String>,
}

/// `--geometry`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GeometryArg {
    /// Axis-aligned boxes.
    Box,
    /// Rotated boxes.
    Rotated,
    /// Simple polygons.
    Polygon,
    /// Time segments.
    Segment,
    /// 3-D boxes by 3-D IoU.
    Box3d,
    /// 3-D boxes by bird's-eye IoU.
    Bev,
    /// Poses by OKS.
    Keypoints,
    /// Run-length masks.
    Mask,
}

impl NmsArgs {
    /// The suppression parameters, checked, with errors naming the flags as typed. A flag that the
    /// method does not use is an error rather than silently ignored.
    pub(crate) fn params(&self) -> Result<SuppressParams, String> {
        match (self.method, self.iou, self.sigma) {
            (PolicyKind::Gaussian, Some(iou), _) => {
                return Err(format!(
                    "--iou {iou} does not apply to --method gaussian, which decays by exp(-IoU^2 / sigma) at every \
                     overlap: set --sigma, or use --method hard or linear"
                ));
            }
            (PolicyKind::Hard | PolicyKind::Linear, _, Some(sigma)) => {
                return Err(format!("--sigma {sigma} applies to --method gaussian only, not --method {}", self.method));
            }
            _ => {}
        }
        let default_iou = if self.method == PolicyKind::Hard { 0.5 } else { 0.3 };
        let params = SuppressParams::new(self.method.with(self.iou.unwrap_or(default_iou), self.sigma.unwrap_or(0.5)))
            .with_score_threshold(self.score_threshold)
            .with_max_output(self.max_det);
        params.validate().map_err(|e| {
            let flag = match &e {
                NmsError::InvalidParameter { name: "sigma", .. } => "--sigma",
                NmsError::InvalidParameter { name: "score_threshold", .. } => "--score-threshold",
                _ => "--iou",
            };
            format!("{flag}: {e}")
        })?;
        check_pixel_offset(self.pixel_offset).map_err(|e| format!("--pixel-offset: {e}"))?;
        let keypoints = self.geometry == GeometryArg::Keypoints;
        if !keypoints && (self.sigmas.is_some() || self.visibility_threshold.is_some()) {
            let flag = if self.sigmas.is_some() { "--sigmas" } else { "--visibility-threshold" };
            return Err(format!("{flag} applies to --geometry keypoints only, not --geometry {:?}", self.geometry));
        }
        let measure = self.measure_name();
        if self.geometry == GeometryArg::Box {
            measure.parse::<BoxMeasure>().map_err(|e| format!("--measure: {e}"))?;
        } else {
            let checked = match self.geometry {
                GeometryArg::Rotated | GeometryArg::Polygon | GeometryArg::Bev => {
                    measure.parse::<ShapeMeasure>().map(drop)
                }
                GeometryArg::Keypoints if measure != "oks" => {
                    Err(format!("unknown measure {measure:?}: poses are measured by \"oks\""))
                }
                GeometryArg::Keypoints => Ok(()),
                _ => measure.parse::<IntersectMeasure>().map(drop),
            };
            checked.map_err(|e| format!("--measure: {e} for --geometry {:?}", self.geometry))?;
            if self.pixel_offset != 0.0 {
                return Err(format!("--pixel-offset {} applies to --geometry box only", self.pixel_offset));
            }
        }
        if let Some(sigmas) = &self.sigmas
            && let Some(bad) = sigmas.iter().find(|s| !(s.is_finite() && **s > 0.0))
        {
            return Err(format!("--sigmas: {bad} is not a finite number > 0"));
        }
        if let Some(t) = self.visibility_threshold
            && !t.is_finite()
        {
            return Err(format!("--visibility-threshold: {t} is not a finite number"));
        }
        Ok(params)
    }

    /// The `--measure` as given, or the geometry's default.
    pub(crate) fn measure_name(&self) -> &str {
        self.measure.as_deref().unwrap_or(if self.geometry == GeometryArg::Keypoints { "oks" } else { "iou" })
    }
}

/// Suppresses every image of `dets` class-wise (the engine's per-image scope); returns
/// `(row, score)` pairs, images in ascending id order, each image's rows by non-increasing score.
pub(crate) fn suppress(
    input: &str,
    dets: &Detections,
    params: &SuppressParams,
    measure: BoxMeasure,
    pixel_offset: f64,
) -> Result<Vec<(usize, f64)>, String> {
    let boxes = dets.xyxy();
    let set = box_set(input, dets, &boxes, measure, pixel_offset)?;
    let kept = suppress_per_image(&set, &dets.scores, &dets.image_ids, &dets.category_ids, params)
        .map_err(|e| e.to_string())?;
    Ok(kept.indices.into_iter().zip(kept.scores).collect())
}

/// The rows' boxes, checked; an error names the row as the file does.
pub(crate) fn box_set<'a>(
    input: &str,
    dets: &Detections,
    boxes: &'a [[f64; 4]],
    measure: BoxMeasure,
    pixel_offset: f64,
) -> Result<BoxSet<'a, f64>, String> {
    BoxSet::new(boxes, measure, pixel_offset).map_err(|e| match e.index() {
        Some(row) => crate::scoring::row_error(input, dets.candidate_table, dets.image_ids[row], &e),
        None => e.to_string(),
    })
}

pub(crate) fn run(args: &NmsArgs) -> Result<(), String> {
    let params = args.params()?;
    let input = Path::new(&args.input);
    if let Some(output) = &args.output {
        let mut inputs = vec![("--input", input)];
        inputs.extend(args.gt.as_deref().map(|gt| ("--gt", Path::new(gt))));
        ensure_not_an_input("--output", Path::new(output), &inputs).map_err(|e| e.to_string())?;
    }
    if args.geometry != GeometryArg::Box {
        return crate::shape_nms::run(args, &params);
    }
    let measure: BoxMeasure = args.measure_name().parse()?;
    let dets = &read_input(&args.input)?;
    let gt = load_gt_for(args.gt.as_deref(), dets.candidate_table)?;
    let start = Instant::now();
    let kept = suppress(&args.input, dets, &params, measure, args.pixel_offset)?;
    let elapsed = start.elapsed();
    if let Some(output) = &args.output {
        write_coco_results(output, dets, &kept).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "softkit nms: {} candidates in {} images -> {} kept ({:?}, {:.1} ms){}",
        dets.len(),
        input_image_count(dets),
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
        let total = input_image_count(dets);
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

/// Images of the input: a candidate table's image list, and the images its rows name.
fn input_image_count(dets: &Detections) -> usize {
    let mut ids: Vec<i64> = dets.images.iter().map(|i| i.id).chain(dets.image_ids.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}
