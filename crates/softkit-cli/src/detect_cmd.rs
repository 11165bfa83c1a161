//! `softkit detect`: an ONNX detector run end to end on a folder of images, in pure Rust: read,
//! letterbox, infer (tract), decode the head, suppress, write COCO results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use softkit_decode::{
    Candidates, CenterNetHead, ChannelOrder, ClassActivation, DecodeError, DetrHead, EndToEndHead, HeadKind,
    HeadTensor, Identified, InputSpec, OnnxModel, OpTime, Placement, Yolov8Head, YoloxHead, identify_head, read_image,
};
use softkit_eval::CocoGroundTruth;
use softkit_geom::{
    Box3dOrigin, BoxFormat, BoxMeasure, BoxSet, COCO_KEYPOINT_SIGMAS, RotatedFormat, RotatedSet, ShapeMeasure,
    rotated_corners,
};
use softkit_io::{
    Detections, ImageInfo, ShapeDetections, ShapeKind, ensure_not_an_input, write_atomic, write_coco_results,
    write_shape_results,
};
use softkit_nms::{SuppressParams, suppress_batched};

use crate::draw::draw_detections;
use crate::nms_cmd::{GeometryArg, NmsArgs, NmsMethod};
use crate::scoring::{evaluate_on, evaluated_images, kept_results, load_ground_truth};
use crate::shape_nms::{Column, evaluate_kept};

/// Arguments of `softkit detect`.
#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub(crate) struct DetectArgs {
    /// The ONNX model (run on tract, on one thread).
    #[arg(long)]
    pub(crate) model: String,
    /// A folder of JPEG and PNG images, read in file-name order.
    #[arg(long)]
    pub(crate) images: String,
    /// The head: `auto` (from the output shapes and the ONNX metadata), `yolox` (1, anchors, 5 +
    /// classes), `yolov8` (1, 4 + classes, anchors), `e2e` (1, rows, 6: YOLOv10/YOLO26), `detr`
    /// (logits (1, Q, C) and normalised cxcywh boxes (1, Q, 4)) or `centernet` (heatmap, offset
    /// and size maps).
    #[arg(long, default_value = "auto")]
    pub(crate) decoder: String,
    /// Suppression after decoding: a `softkit nms --method` policy (`gaussian`, `hard`, `linear`,
    /// `diou`, `matrix`, ...) or `none` [default: gaussian after yolox and yolov8 heads, none
    /// after the NMS-free heads].
    #[arg(long)]
    pub(crate) method: Option<String>,
    /// Overlap threshold of the policy (as `softkit nms --iou`).
    #[arg(long)]
    pub(crate) iou: Option<f64>,
    /// Width of the policy's penalty (as `softkit nms --sigma`).
    #[arg(long)]
    pub(crate) sigma: Option<f64>,
    /// Candidates scoring at or below this are not decoded, and suppressed ones whose score falls
    /// below it are dropped (YOLOX and ultralytics validate at 0.001).
    #[arg(long, default_value_t = 0.001)]
    pub(crate) conf: f64,
    /// Keep at most this many detections per image, by score (COCO evaluates 100).
    #[arg(long, default_value_t = 100)]
    pub(crate) max_det: usize,
    /// `detr` and `centernet`: how many (query, class) pairs or peaks the top-k keeps [default:
    /// 300 for detr, 100 for centernet].
    #[arg(long)]
    pub(crate) top_k: Option<usize>,
    /// `detr`: `sigmoid` (RT-DETR, DINO), `softmax` (DETR, no-object class last) or `none`
    /// (probabilities); `centernet`: `sigmoid` or `none` for the heatmap.
    #[arg(long, default_value = "sigmoid")]
    pub(crate) activation: ClassActivation,
    /// `centernet`: input pixels per heatmap cell.
    #[arg(long, default_value_t = 4.0)]
    pub(crate) down_ratio: f32,
    /// Where the resized image sits in the input: `top-left` or `centre` [default: top-left for
    /// yolox, centre for the others].
    #[arg(long)]
    pub(crate) letterbox: Option<Placement>,
    /// The model's channel order, `rgb` or `bgr` [default: bgr for yolox, rgb for the others].
    #[arg(long)]
    pub(crate) channels: Option<ChannelOrder>,
    /// Divides pixel values 0..255 [default: 1 for yolox, 255 for the others, as ultralytics divides].
    #[arg(long)]
    pub(crate) pixel_divisor: Option<f32>,
    /// The input's width and height, for a model whose size is not fixed: `--input-size 640,640`.
    #[arg(long, value_delimiter = ',', num_args = 1)]
    pub(crate) input_size: Option<Vec<u32>>,
    /// Where to write the COCO results JSON (optional with `--gt`).
    #[arg(long, required_unless_present = "gt")]
    pub(crate) output: Option<String>,
    /// COCO ground truth: image ids from its `file_name`s, class i as its i-th category by id,
    /// and the detections evaluated right away on its images.
    #[arg(long)]
    pub(crate) gt: Option<String>,
    /// Write each image with its detections drawn, as PNG, into this folder.
    #[arg(long)]
    pub(crate) draw: Option<String>,
    /// `--draw` draws the detections scoring at least this.
    #[arg(long, default_value_t = 0.3)]
    pub(crate) draw_threshold: f64,
    /// Class names, one per line in class-index order, for `--draw`.
    #[arg(long)]
    pub(crate) classes: Option<String>,
    /// Write each image's stage times (milliseconds), their medians, and the first image's
    /// inference by operator (5 more runs of it) as JSON here.
    #[arg(long)]
    pub(crate) timings: Option<String>,
}

/// The stages of one image, in milliseconds.
const STAGES: [&str; 5] = ["read", "letterbox", "inference", "decode", "suppress"];

pub(crate) fn run(args: &DetectArgs) -> Result<(), String> {
    let files = image_files(&args.images)?;
    let outputs: Vec<(&str, &Path)> = [("--output", &args.output), ("--timings", &args.timings)]
        .into_iter()
        .filter_map(|(flag, path)| path.as_deref().map(|p| (flag, Path::new(p))))
        .collect();
    let mut inputs = vec![("--model", Path::new(&args.model))];
    inputs.extend(args.gt.as_deref().map(|gt| ("--gt", Path::new(gt))));
    for (flag, output) in &outputs {
        ensure_not_an_input(flag, output, &inputs).map_err(|e| e.to_string())?;
    }
    let forced = match args.decoder.as_str() {
        "auto" => None,
        name => Some(name.parse::<HeadKind>().map_err(|e| format!("--decoder: {e}, or \"auto\""))?),
    };
    let input_size = match args.input_size.as_deref() {
        None => None,
        Some(&[w, h]) if w > 0 && h > 0 => Some([w, h]),
        Some(other) => return Err(format!("--input-size {other:?}: expected a width and a height, both >= 1")),
    };
    let model = OnnxModel::load(Path::new(&args.model), input_size).map_err(|e| e.to_string())?;
    let [w, h] = model.input_size().map(|s| s as usize);
    let head = identify_head(model.outputs(), model.metadata(), [w, h], forced).map_err(|e| e.to_string())?;
    let suppression = args.suppression(head.kind)?;
    let gt = args.gt.as_deref().map(GroundTruth::load).transpose()?;
    let ids = image_ids(&files, gt.as_ref())?;
    let class_names = args.classes.as_deref().map(read_class_names).transpose()?;
    let spec = args.input_spec(head.kind, model.input_size())?;
    eprintln!(
        "softkit detect: {} -> head {} ({}); {}; {} images",
        args.model,
        head.kind,
        head.reason,
        suppression.as_ref().map_or("no suppression".to_string(), |(method, _)| format!("{method} suppression")),
        files.len()
    );
    if let Some(dir) = &args.draw {
        std::fs::create_dir_all(dir).map_err(|e| format!("--draw {dir}: {e}"))?;
        // Drawn PNGs are named after the images: into the image folder they would replace its PNGs.
        if std::fs::canonicalize(dir).ok() == std::fs::canonicalize(&args.images).ok() {
            return Err(format!("--draw {dir} is the --images folder: the drawings would overwrite its PNG images"));
        }
    }

    let mut dets = Detections {
        images: Vec::with_capacity(files.len()),
        candidate_table: false,
        image_ids: Vec::new(),
        category_ids: Vec::new(),
        boxes: Vec::new(),
        format: BoxFormat::Xyxy,
        scores: Vec::new(),
        float_ids: None,
    };
    // An oriented head's boxes, in original pixels and radians; `dets.boxes` holds their
    // axis-aligned hulls (for drawing).
    let mut rboxes: Vec<[f64; 5]> = Vec::new();
    let mut kept: Vec<(usize, f64)> = Vec::new();
    let mut times: Vec<[f64; 5]> = Vec::with_capacity(files.len());
    let mut profiled_input: Option<Vec<f32>> = None;
    let progress = ProgressBar::new(files.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} images, {per_sec}, {eta} left")
            .map_err(|e| e.to_string())?,
    );
    for (file, &image_id) in files.iter().zip(&ids) {
        let mut clock = Clock::start();
        let (image, note) = read_image(file).map_err(|e| e.to_string())?;
        if let Some(note) = note {
            progress.suspend(|| eprintln!("softkit: note: {}: {note}", file.display()));
        }
        let read_ms = clock.lap();
        let (tensor, letterbox) = spec.letterbox(&image).map_err(|e| e.to_string())?;
        let letterbox_ms = clock.lap();
        if args.timings.is_some() && profiled_input.is_none() {
            profiled_input = Some(tensor.clone());
        }
        let raw = model.run(tensor).map_err(|e| e.to_string())?;
        let inference_ms = clock.lap();
        let decoded = args.decode(&head, &model, &raw).map_err(|e| format!("{}: {e}", file.display()))?;
        let first = dets.len();
        let (labels, scores) = decoded.labels_and_scores();
        for (&label, &score) in labels.iter().zip(scores) {
            let category = match &gt {
                Some(gt) => gt.category_of(label).map_err(|e| format!("{}: {e}", file.display()))?,
                None => i64::from(label),
            };
            dets.image_ids.push(image_id);
            dets.category_ids.push(category);
            dets.scores.push(f64::from(score));
        }
        match &decoded {
            Decoded::Boxes(c) => dets.boxes.extend(c.geometry.iter().map(|b| letterbox.box_to_original(*b))),
            Decoded::Rotated(c) => {
                for b in &c.geometry {
                    let rbox = letterbox.rotated_to_original(*b);
                    dets.boxes.push(hull(&rbox));
                    rboxes.push(rbox);
                }
            }
        }
        let decode_ms = clock.lap();
        let oriented = head.kind.is_oriented().then_some(rboxes.as_slice());
        let image_kept = suppress_image(&dets, oriented, first, suppression.as_ref().map(|(_, p)| p), args.max_det)?;
        let suppress_ms = clock.lap();
        if let Some(dir) = &args.draw {
            let shown: Vec<(usize, f64)> =
                image_kept.iter().copied().filter(|&(_, s)| s >= args.draw_threshold).collect();
            let target = Path::new(dir).join(file.file_stem().unwrap_or_default()).with_extension("png");
            draw_detections(&image, &dets, oriented, &shown, class_names.as_deref(), &target)?;
        }
        kept.extend(image_kept);
        dets.images.push(ImageInfo {
            id: image_id,
            file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
            width: image.width(),
            height: image.height(),
        });
        times.push([read_ms, letterbox_ms, inference_ms, decode_ms, suppress_ms]);
        progress.inc(1);
    }
    progress.finish_and_clear();

    let rotated_table = head.kind.is_oriented().then(|| rotated_detections(&dets, rboxes));
    if let Some(output) = &args.output {
        match &rotated_table {
            Some(table) => write_shape_results(output, table, &kept),
            None => write_coco_results(output, &dets, &kept),
        }
        .map_err(|e| e.to_string())?;
    }
    let medians = stage_medians(&times);
    let [_, _, inference, decode, suppress] = medians;
    eprintln!(
        "softkit detect: {} candidates -> {} kept{}; median per image: {}; decode + suppress = {:.2}% of inference",
        dets.len(),
        kept.len(),
        args.output.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default(),
        STAGES.iter().zip(medians).map(|(s, t)| format!("{s} {t:.2} ms")).collect::<Vec<_>>().join(", "),
        100.0 * (decode + suppress) / inference.max(f64::MIN_POSITIVE)
    );
    if let (Some(path), Some(input)) = (&args.timings, profiled_input) {
        // Inference by operator, on the first image, after the timed loop so it does not skew it.
        let ops = model.profile_ops(input, OP_PROFILE_RUNS).map_err(|e| e.to_string())?;
        write_timings(path, &files, &times, &medians, &ops)?;
    }
    if let Some(gt) = &gt {
        let img_ids = evaluated_images(&dets, &gt.truth);
        if img_ids.is_empty() {
            return Err(format!(
                "--gt {}: none of the images is an image of the ground truth, so there is nothing to evaluate",
                args.gt.as_deref().unwrap_or_default()
            ));
        }
        if let Some(table) = &rotated_table {
            let set =
                RotatedSet::new(&table.rboxes, RotatedFormat::Radians, ShapeMeasure::Iou).map_err(|e| e.to_string())?;
            let column = Column::Rotated(set);
            return evaluate_kept(&gt.truth, table, &column, &kept, Box3dOrigin::Centre, &COCO_KEYPOINT_SIGMAS);
        }
        let results = kept_results(&dets, &kept, &gt.truth)?;
        let ev = evaluate_on(&gt.truth, &results, &img_ids)?;
        println!(
            "COCO bbox evaluation on {} of the {} images (those in the ground truth):",
            img_ids.len(),
            files.len()
        );
        print!("{}", ev.summary().map_err(|e| e.to_string())?);
    }
    Ok(())
}

impl DetectArgs {
    /// The policy after this head, checked as `softkit nms` checks it, or `None`.
    fn suppression(&self, kind: HeadKind) -> Result<Option<(NmsMethod, SuppressParams)>, String> {
        let name = match self.method.as_deref() {
            Some(name) => name,
            None if kind.is_nms_free() => "none",
            None => "gaussian",
        };
        if name == "none" {
            if let Some((flag, value)) =
                [("--iou", self.iou), ("--sigma", self.sigma)].into_iter().find(|f| f.1.is_some())
            {
                return Err(format!(
                    "{flag} {} applies to a suppression --method, not none",
                    value.unwrap_or_default()
                ));
            }
            return Ok(None);
        }
        let method: NmsMethod = name.parse().map_err(|e| format!("--method: {e}, or \"none\""))?;
        if matches!(method, NmsMethod::Wbf | NmsMethod::Nmw) {
            return Err(format!(
                "--method {method} fuses several models' results: run softkit fuse on detect's outputs"
            ));
        }
        let nms = NmsArgs {
            input: self.model.clone(),
            geometry: GeometryArg::Box,
            rbox_format: softkit_geom::RotatedFormat::Radians,
            box_origin: softkit_geom::Box3dOrigin::Centre,
            measure: None,
            sigmas: None,
            visibility_threshold: None,
            method,
            iou: self.iou,
            sigma: self.sigma,
            eta: None,
            beta: None,
            score_threshold: self.conf,
            max_det: self.max_det,
            pixel_offset: 0.0,
            output: None,
            gt: None,
        };
        let params = nms.params().map_err(|e| e.replace("--score-threshold", "--conf"))?;
        Ok(Some((method, params)))
    }

    /// How images become this model's input: the head family's convention, with the flags'
    /// overrides.
    fn input_spec(&self, kind: HeadKind, size: [u32; 2]) -> Result<InputSpec, String> {
        let base = if kind == HeadKind::Yolox { InputSpec::yolox(size) } else { InputSpec::ultralytics(size) };
        let divisor = self.pixel_divisor.unwrap_or(base.divisor);
        if !(divisor.is_finite() && divisor > 0.0) {
            return Err(format!("--pixel-divisor {divisor} is invalid: expected a finite number > 0"));
        }
        Ok(InputSpec {
            placement: self.letterbox.unwrap_or(base.placement),
            channels: self.channels.unwrap_or(base.channels),
            divisor,
            ..base
        })
    }

    /// Decodes one image's raw outputs with the identified head, in input pixels.
    fn decode(&self, head: &Identified, model: &OnnxModel, raw: &[Vec<f32>]) -> Result<Decoded, DecodeError> {
        const ROLES: [&str; 3] = ["output", "boxes", "size"];
        let tensors: Vec<HeadTensor> = head
            .outputs
            .iter()
            .zip(ROLES)
            .map(|(&i, role)| {
                let role = match (head.kind, role) {
                    (HeadKind::Detr, "output") => "logits",
                    (HeadKind::CenterNet, "output") => "heatmap",
                    (HeadKind::CenterNet, "boxes") => "offset",
                    (_, role) => role,
                };
                HeadTensor::new(role, &model.outputs()[i].shape, &raw[i])
            })
            .collect::<Result<_, _>>()?;
        let conf = self.conf as f32;
        let [w, h] = model.input_size();
        let yolov8 = Yolov8Head { score_threshold: conf, multi_label: true };
        let end2end = EndToEndHead { score_threshold: conf, max_det: usize::MAX };
        let boxes = match head.kind {
            HeadKind::Yolov8Obb => return yolov8.decode_rotated(&tensors[0]).map(Decoded::Rotated),
            HeadKind::EndToEndObb => return end2end.decode_rotated(&tensors[0]).map(Decoded::Rotated),
            HeadKind::Yolox => YoloxHead::new([w as usize, h as usize], conf).decode(&tensors[0]),
            HeadKind::Yolov8 => yolov8.decode_boxes(&tensors[0]),
            HeadKind::EndToEnd => end2end.decode_boxes(&tensors[0]),
            HeadKind::Detr => DetrHead {
                activation: self.activation,
                top_k: self.top_k.unwrap_or(300),
                score_threshold: conf,
                size: [w as f32, h as f32],
            }
            .decode(&tensors[0], &tensors[1]),
            HeadKind::CenterNet => CenterNetHead {
                top_k: self.top_k.unwrap_or(100),
                score_threshold: conf,
                down_ratio: self.down_ratio,
                heat_is_logits: self.activation == ClassActivation::Sigmoid,
            }
            .decode_boxes(&tensors[0], &tensors[1], &tensors[2]),
        };
        boxes.map(Decoded::Boxes)
    }
}

/// One image's decoded candidates: axis-aligned boxes, or an oriented head's rotated boxes.
enum Decoded {
    Boxes(Candidates<[f32; 4]>),
    Rotated(Candidates<[f32; 5]>),
}

impl Decoded {
    fn labels_and_scores(&self) -> (&[u32], &[f32]) {
        match self {
            Decoded::Boxes(c) => (&c.labels, &c.scores),
            Decoded::Rotated(c) => (&c.labels, &c.scores),
        }
    }
}

/// The axis-aligned box around a rotated box.
fn hull(rbox: &[f64; 5]) -> [f64; 4] {
    let corners = rotated_corners(rbox);
    let (xs, ys) = (corners.map(|c| c[0]), corners.map(|c| c[1]));
    let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
    let max = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    [min(xs), min(ys), max(xs), max(ys)]
}

/// The rows of an oriented head as a rotated-box table, to write and evaluate as `softkit nms
/// --geometry rotated` does.
fn rotated_detections(dets: &Detections, rboxes: Vec<[f64; 5]>) -> ShapeDetections {
    let mut table = ShapeDetections::new(ShapeKind::Rotated, dets.images.clone(), false);
    table.image_ids.clone_from(&dets.image_ids);
    table.category_ids.clone_from(&dets.category_ids);
    table.scores.clone_from(&dets.scores);
    table.rboxes = rboxes;
    table
}

/// The kept `(row, score)` pairs of the image whose rows start at `first`: suppressed class-wise
/// (by rotated IoU when `rboxes` holds an oriented head's boxes), or (with no policy) every row by
/// score, ties by row; at most `max_det`.
fn suppress_image(
    dets: &Detections,
    rboxes: Option<&[[f64; 5]]>,
    first: usize,
    params: Option<&SuppressParams>,
    max_det: usize,
) -> Result<Vec<(usize, f64)>, String> {
    let boxes = &dets.boxes[first..];
    let scores = &dets.scores[first..];
    let mut kept: Vec<(usize, f64)> = match params {
        Some(params) => {
            let labels = &dets.category_ids[first..];
            let out = match rboxes {
                Some(rboxes) => {
                    let set = RotatedSet::new(&rboxes[first..], RotatedFormat::Radians, ShapeMeasure::Iou);
                    suppress_batched(&set.map_err(|e| e.to_string())?, scores, labels, params)
                }
                None => {
                    let set = BoxSet::new(boxes, BoxMeasure::Iou, 0.0).map_err(|e| e.to_string())?;
                    suppress_batched(&set, scores, labels, params)
                }
            }
            .map_err(|e| e.to_string())?;
            out.indices.into_iter().zip(out.scores).map(|(i, s)| (first + i, s)).collect()
        }
        None => {
            let mut rows: Vec<(usize, f64)> = scores.iter().enumerate().map(|(i, &s)| (first + i, s)).collect();
            rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            rows
        }
    };
    kept.truncate(max_det);
    Ok(kept)
}

/// The JPEG and PNG files of a folder, by file name.
fn image_files(dir: &str) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("--images {dir}: {e}"))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("--images {dir}: {e}"))?.path();
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
        if path.is_file() && matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png")) {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(format!("--images {dir}: the folder holds no JPEG or PNG image (.jpg, .jpeg, .png)"));
    }
    files.sort();
    Ok(files)
}

/// `--gt`: the ground truth, its images' file names, and its category ids in ascending order.
struct GroundTruth {
    truth: CocoGroundTruth,
    file_ids: BTreeMap<String, i64>,
    categories: Vec<i64>,
    path: String,
}

impl GroundTruth {
    fn load(path: &str) -> Result<Self, String> {
        let truth = load_ground_truth(path)?;
        let file_ids = truth.image_file_names().map(|(name, id)| (name.to_string(), id)).collect();
        let categories = truth.category_ids();
        Ok(GroundTruth { truth, file_ids, categories, path: path.to_string() })
    }

    /// Class index `label` as the ground truth's category id: its `label`-th id, ascending.
    fn category_of(&self, label: u32) -> Result<i64, String> {
        self.categories.get(label as usize).copied().ok_or_else(|| {
            format!("class index {label} has no category: --gt {} has {} categories", self.path, self.categories.len())
        })
    }
}

/// Each file's image id: with `--gt`, the id of its `file_name` there; otherwise (or for a file
/// the ground truth lacks) the file stem when it is an integer, as COCO names files. If some file
/// has neither, every file is numbered from 1 in name order instead, and the user is told.
fn image_ids(files: &[PathBuf], gt: Option<&GroundTruth>) -> Result<Vec<i64>, String> {
    let resolved: Option<Vec<i64>> = files
        .iter()
        .map(|f| {
            let name = f.file_name()?.to_string_lossy();
            gt.and_then(|gt| gt.file_ids.get(name.as_ref()).copied())
                .or_else(|| f.file_stem()?.to_string_lossy().parse().ok())
        })
        .collect();
    let ids = match resolved {
        Some(ids) => ids,
        None => {
            eprintln!(
                "softkit: note: not every image file name is an integer{}, so images are numbered 1..{} in file-name order",
                if gt.is_some() { " or a file_name of --gt" } else { "" },
                files.len()
            );
            (1..=files.len() as i64).collect()
        }
    };
    let mut seen = BTreeMap::new();
    for (file, &id) in files.iter().zip(&ids) {
        if let Some(other) = seen.insert(id, file) {
            return Err(format!("{} and {} both map to image id {id}", other.display(), file.display()));
        }
    }
    Ok(ids)
}

/// `--classes`: one name per line.
fn read_class_names(path: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--classes {path}: {e}"))?;
    Ok(text.lines().map(|l| l.trim().to_string()).collect())
}

/// Stage timing: milliseconds since the last lap.
struct Clock(Instant);

impl Clock {
    fn start() -> Self {
        Clock(Instant::now())
    }

    fn lap(&mut self) -> f64 {
        let now = Instant::now();
        let ms = (now - self.0).as_secs_f64() * 1e3;
        self.0 = now;
        ms
    }
}

/// The median of each stage over the images.
fn stage_medians(times: &[[f64; 5]]) -> [f64; 5] {
    std::array::from_fn(|stage| {
        let mut column: Vec<f64> = times.iter().map(|t| t[stage]).collect();
        column.sort_by(f64::total_cmp);
        match column.len() {
            0 => 0.0,
            n if n % 2 == 1 => column[n / 2],
            n => (column[n / 2 - 1] + column[n / 2]) / 2.0,
        }
    })
}

/// Runs of the first image that `--timings` times operator by operator.
const OP_PROFILE_RUNS: usize = 5;

/// `--timings`: per-image stage times, their medians, and inference by operator, in milliseconds.
fn write_timings(
    path: &str,
    files: &[PathBuf],
    times: &[[f64; 5]],
    medians: &[f64; 5],
    ops: &[OpTime],
) -> Result<(), String> {
    let stages = |t: &[f64; 5]| -> serde_json::Map<String, serde_json::Value> {
        STAGES.iter().zip(t).map(|(s, v)| (format!("{s}_ms"), serde_json::json!(v))).collect()
    };
    let images: Vec<serde_json::Value> = files
        .iter()
        .zip(times)
        .map(|(f, t)| {
            let mut row = stages(t);
            row.insert("file".into(), serde_json::json!(f.display().to_string()));
            serde_json::Value::Object(row)
        })
        .collect();
    let ops: Vec<serde_json::Value> =
        ops.iter().map(|o| serde_json::json!({ "op": o.op, "nodes": o.nodes, "ms": o.ms })).collect();
    let doc = serde_json::json!({ "median": stages(medians), "images": images, "inference_by_op": ops });
    write_atomic(path, doc.to_string().as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_integer_stems_or_are_numbered() {
        let files: Vec<PathBuf> = ["000000000139.jpg", "000000000285.png"].iter().map(PathBuf::from).collect();
        assert_eq!(image_ids(&files, None).unwrap(), vec![139, 285]);
        let named: Vec<PathBuf> = ["b.jpg", "a1.png"].iter().map(PathBuf::from).collect();
        assert_eq!(image_ids(&named, None).unwrap(), vec![1, 2]);
        let clash: Vec<PathBuf> = ["7.jpg", "7.png"].iter().map(PathBuf::from).collect();
        assert!(image_ids(&clash, None).unwrap_err().contains("both map to image id 7"));
    }

    #[test]
    fn medians_per_stage() {
        let t = [[1.0, 2.0, 3.0, 4.0, 5.0], [3.0, 2.0, 1.0, 0.0, 9.0]];
        assert_eq!(stage_medians(&t), [2.0, 2.0, 2.0, 2.0, 7.0]);
    }
}
