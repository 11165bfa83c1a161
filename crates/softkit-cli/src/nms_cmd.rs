//! `softkit nms`: suppression over a detection file, per image and category.

use std::path::Path;
use std::time::Instant;

use clap::{Args, ValueEnum};
use softkit_geom::{
    Box3dOrigin, BoxMeasure, BoxSet, IntersectMeasure, RotatedFormat, ShapeMeasure, check_pixel_offset,
};
use softkit_io::{Detections, ensure_not_an_input, write_coco_results};
use softkit_nms::{FusionParams, NmsError, Policy, PolicyKind, SuppressParams, suppress_per_image};

use crate::fuse_cmd::{fuse_per_image, top_per_image};
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
    /// The policy: `hard` (remove boxes overlapping a kept one by more than `--iou`), `linear`
    /// (scale by `1 - IoU` above `--iou`), `gaussian` (scale by `exp(-IoU^2 / sigma)`), `diou`
    /// (hard NMS on DIoU, boxes), `matrix` and `matrix-linear` (SOLOv2's Matrix NMS), `fast`
    /// (YOLACT), `cluster` (Cluster-NMS, whose result is hard NMS's), `cluster-spm` (with its score
    /// penalty), or the fusions `wbf` and `nmw` (the input as one model, boxes).
    #[arg(long, default_value = "gaussian")]
    pub(crate) method: NmsMethod,
    /// Overlap threshold [default: 0.5; 0.3 (the paper's Nt) for linear]; gaussian and matrix
    /// have none; 0.55 for wbf and nmw.
    #[arg(long)]
    pub(crate) iou: Option<f64>,
    /// Width of the penalty: gaussian [default: 0.5], matrix [default: 2, which multiplies, as in
    /// SOLOv2], cluster-spm [default: 0.2].
    #[arg(long)]
    pub(crate) sigma: Option<f64>,
    /// Hard NMS only: OpenCV's adaptive threshold, multiplied by this after each kept box while
    /// above 0.5 (`cv2.dnn.NMSBoxes`'s `eta`) [default: 1, fixed].
    #[arg(long)]
    pub(crate) eta: Option<f64>,
    /// `--method diou` only: the exponent of DIoU's distance term [default: 1, the paper's].
    #[arg(long)]
    pub(crate) beta: Option<f64>,
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

/// `--method`: a suppression policy, DIoU-NMS, or a fusion of the input as one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NmsMethod {
    /// A policy of the engine.
    Policy(PolicyKind),
    /// Hard NMS on DIoU.
    Diou,
    /// Weighted boxes fusion.
    Wbf,
    /// Non-maximum weighted.
    Nmw,
}

impl NmsMethod {
    /// The engine's policy kind (hard for DIoU-NMS), or `None` for the fusions.
    fn kind(self) -> Option<PolicyKind> {
        match self {
            NmsMethod::Policy(kind) => Some(kind),
            NmsMethod::Diou => Some(PolicyKind::Hard),
            NmsMethod::Wbf | NmsMethod::Nmw => None,
        }
    }
}

impl std::str::FromStr for NmsMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "diou" => Ok(NmsMethod::Diou),
            "wbf" => Ok(NmsMethod::Wbf),
            "nmw" => Ok(NmsMethod::Nmw),
            _ => s.parse().map(NmsMethod::Policy).map_err(|e| format!("{e}, \"diou\", \"wbf\", \"nmw\"")),
        }
    }
}

impl std::fmt::Display for NmsMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NmsMethod::Policy(kind) => kind.fmt(f),
            NmsMethod::Diou => f.write_str("diou"),
            NmsMethod::Wbf => f.write_str("wbf"),
            NmsMethod::Nmw => f.write_str("nmw"),
        }
    }
}

impl std::fmt::Display for GeometryArg {
    /// The name as typed on the command line (`box3d`, not `Box3d`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.to_possible_value().expect("no variant is skipped");
        f.write_str(value.get_name())
    }
}

impl NmsArgs {
    /// The suppression parameters, checked, with errors naming the flags as typed. A flag that the
    /// method does not use is an error rather than silently ignored. For the fusions, the hard
    /// NMS placeholder that carries `--score-threshold` and `--max-det`.
    pub(crate) fn params(&self) -> Result<SuppressParams, String> {
        let method = self.method;
        let kind = method.kind().unwrap_or(PolicyKind::Hard);
        let fusion = method.kind().is_none();
        match (self.iou, self.sigma) {
            (Some(iou), _) if kind == PolicyKind::Gaussian => {
                return Err(format!(
                    "--iou {iou} does not apply to --method gaussian, which decays by exp(-IoU^2 / sigma) at every \
                     overlap: set --sigma, or use --method hard or linear"
                ));
            }
            (Some(iou), _) if kind.default_iou().is_none() => {
                return Err(format!("--iou {iou} does not apply to --method {method}, which decays at every overlap"));
            }
            (_, Some(sigma)) if fusion || kind.default_sigma().is_none() => {
                return Err(format!(
                    "--sigma {sigma} applies to --method gaussian, matrix and cluster-spm only, not --method {method}"
                ));
            }
            _ => {}
        }
        if let Some(eta) = self.eta
            && method != NmsMethod::Policy(PolicyKind::Hard)
        {
            return Err(format!("--eta {eta} applies to --method hard only, not --method {method}"));
        }
        if let Some(beta) = self.beta
            && method != NmsMethod::Diou
        {
            return Err(format!("--beta {beta} applies to --method diou only, not --method {method}"));
        }
        let iou = self.iou.or(kind.default_iou()).unwrap_or(0.5);
        let policy = match self.eta {
            Some(eta) => Policy::Adaptive { iou_threshold: iou, eta },
            None => kind.with(iou, self.sigma.or(kind.default_sigma()).unwrap_or(0.5)),
        };
        let params =
            SuppressParams::new(policy).with_score_threshold(self.score_threshold).with_max_output(self.max_det);
        params.validate().map_err(|e| {
            let flag = match &e {
                NmsError::InvalidParameter { name: "sigma", .. } => "--sigma",
                NmsError::InvalidParameter { name: "score_threshold", .. } => "--score-threshold",
                NmsError::InvalidParameter { name: "eta", .. } => "--eta",
                _ => "--iou",
            };
            format!("{flag}: {e}")
        })?;
        if fusion && self.geometry != GeometryArg::Box {
            return Err(format!("--method {method} fuses boxes only, not --geometry {}", self.geometry));
        }
        check_pixel_offset(self.pixel_offset).map_err(|e| format!("--pixel-offset: {e}"))?;
        let keypoints = self.geometry == GeometryArg::Keypoints;
        if !keypoints && (self.sigmas.is_some() || self.visibility_threshold.is_some()) {
            let flag = if self.sigmas.is_some() { "--sigmas" } else { "--visibility-threshold" };
            return Err(format!("{flag} applies to --geometry keypoints only, not --geometry {}", self.geometry));
        }
        let measure = self.measure_name();
        if method == NmsMethod::Diou && !matches!(measure, "iou" | "diou") {
            return Err(format!("--measure {measure} does not apply to --method diou, which measures by DIoU"));
        }
        if self.geometry == GeometryArg::Box {
            self.box_measure()?;
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
            checked.map_err(|e| format!("--measure: {e} for --geometry {}", self.geometry))?;
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

    /// The box measure: DIoU with `--beta` for `--method diou`, else `--measure`.
    fn box_measure(&self) -> Result<BoxMeasure, String> {
        if self.method == NmsMethod::Diou {
            let beta = self.beta.unwrap_or(1.0);
            if !(beta.is_finite() && beta > 0.0) {
                return Err(format!("--beta {beta} is invalid: expected a finite number > 0"));
            }
            return Ok(BoxMeasure::Diou { beta });
        }
        self.measure_name().parse().map_err(|e| format!("--measure: {e}"))
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
    let measure = args.box_measure()?;
    let read = read_input(&args.input)?;
    let gt = load_gt_for(args.gt.as_deref(), read.candidate_table)?;
    let start = Instant::now();
    let (fused, kept);
    let dets = match args.method {
        NmsMethod::Wbf | NmsMethod::Nmw => {
            let method = if args.method == NmsMethod::Wbf { FusionParams::wbf() } else { FusionParams::nmw() };
            let fusion = method.with_iou_threshold(args.iou.unwrap_or(0.55)).with_skip_threshold(args.score_threshold);
            fused = fuse_per_image(std::slice::from_ref(&args.input), std::slice::from_ref(&read), &fusion)?;
            kept = top_per_image(&fused, args.max_det);
            &fused
        }
        _ => {
            kept = suppress(&args.input, &read, &params, measure, args.pixel_offset)?;
            &read
        }
    };
    let elapsed = start.elapsed();
    if let Some(output) = &args.output {
        write_coco_results(output, dets, &kept).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "softkit nms: {} candidates in {} images -> {} kept ({}, {:.1} ms){}",
        read.len(),
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
