//! Which decoder reads a model: the head family from its output shapes and ONNX metadata.

use std::collections::BTreeMap;

use crate::DecodeError;
use crate::yolox::grid_cells;

/// A detector head family, named as `softkit detect --decoder` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadKind {
    /// YOLOX: `(1, anchors, 5 + classes)` over stride 8/16/32 grids.
    Yolox,
    /// YOLOv8/YOLO11 one-to-many: `(1, 4 + classes, anchors)`.
    Yolov8,
    /// Its oriented variant: `(1, 4 + classes + 1, anchors)`, the angle last.
    Yolov8Obb,
    /// YOLOv10/YOLO26 one-to-one: `(1, rows, 6)`.
    EndToEnd,
    /// Its oriented variant: `(1, rows, 7)`.
    EndToEndObb,
    /// DETR-style: logits `(1, queries, classes)` and boxes `(1, queries, 4)`.
    Detr,
    /// CenterNet: heatmap `(1, classes, H, W)`, offset and size `(1, 2, H, W)`.
    CenterNet,
}

impl HeadKind {
    const ALL: [HeadKind; 7] = [
        HeadKind::Yolox,
        HeadKind::Yolov8,
        HeadKind::Yolov8Obb,
        HeadKind::EndToEnd,
        HeadKind::EndToEndObb,
        HeadKind::Detr,
        HeadKind::CenterNet,
    ];

    /// The name `--decoder` takes.
    pub fn name(self) -> &'static str {
        match self {
            HeadKind::Yolox => "yolox",
            HeadKind::Yolov8 => "yolov8",
            HeadKind::Yolov8Obb => "yolov8-obb",
            HeadKind::EndToEnd => "e2e",
            HeadKind::EndToEndObb => "e2e-obb",
            HeadKind::Detr => "detr",
            HeadKind::CenterNet => "centernet",
        }
    }

    /// Whether the head ranks or suppresses inside the graph, so that no NMS should follow.
    pub fn is_nms_free(self) -> bool {
        matches!(self, HeadKind::EndToEnd | HeadKind::EndToEndObb | HeadKind::Detr | HeadKind::CenterNet)
    }

    /// Whether the head gives rotated boxes.
    pub fn is_oriented(self) -> bool {
        matches!(self, HeadKind::Yolov8Obb | HeadKind::EndToEndObb)
    }
}

impl std::fmt::Display for HeadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for HeadKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HeadKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = HeadKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown decoder {s:?}: expected one of {}", names.join(", "))
        })
    }
}

/// A model output as the runner reports it: its name and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputInfo {
    /// The output's name in the graph.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

/// A head that was recognised: its family, which outputs the decoder reads (in its argument
/// order: the output; logits then boxes; heatmap, offset, size), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    /// The head family.
    pub kind: HeadKind,
    /// Indices into the model's outputs, in the decoder's argument order.
    pub outputs: Vec<usize>,
    /// What gave it away, for the user (`the shape (1, 3549, 85) over the 416 x 416 grids`).
    pub reason: String,
}

/// Recognises the head of a model from its `outputs`, its ONNX `metadata` (ultralytics writes
/// `end2end` and `task`) and its input `[width, height]`, or checks that the `forced` family
/// fits them.
///
/// The rules, in order: ultralytics' `end2end` metadata with a `(1, rows, 6 | 7)` output; one
/// `(1, cells, 5 + classes)` output whose rows number the stride 8/16/32 grid cells (YOLOX); one
/// `(1, 4 + classes, cells)` output (YOLOv8, oriented when the metadata's `task` is `obb`); one
/// `(1, rows, 6 | 7)` output with at most 1,000 rows (end-to-end); two `(1, queries, n)` outputs,
/// one 4 wide (DETR); three `(1, n, H, W)` outputs, two with 2 channels (CenterNet; the names
/// `reg`/`offset` and `wh`/`size` order the two when present).
///
/// # Errors
///
/// [`DecodeError::UnknownHead`], naming every output's shape, when no rule fits (or the forced
/// family does not).
///
/// # Examples
///
/// ```
/// use std::collections::BTreeMap;
/// use softkit_decode::{HeadKind, OutputInfo, identify_head};
///
/// let outputs = [OutputInfo { name: "output".into(), shape: vec![1, 3549, 85] }];
/// let found = identify_head(&outputs, &BTreeMap::new(), [416, 416], None)?;
/// assert_eq!(found.kind, HeadKind::Yolox);
/// let e2e = [OutputInfo { name: "output0".into(), shape: vec![1, 300, 6] }];
/// assert_eq!(identify_head(&e2e, &BTreeMap::new(), [640, 640], None)?.kind, HeadKind::EndToEnd);
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
pub fn identify_head(
    outputs: &[OutputInfo],
    metadata: &BTreeMap<String, String>,
    input_size: [usize; 2],
    forced: Option<HeadKind>,
) -> Result<Identified, DecodeError> {
    let cells = grid_cells(input_size, &[8, 16, 32]).ok();
    let flag = |key: &str| metadata.get(key).map(|v| v.trim().to_ascii_lowercase());
    let end2end = flag("end2end").is_some_and(|v| v == "true" || v == "1");
    let obb = flag("task").is_some_and(|v| v == "obb");
    let kinds: Vec<HeadKind> = match forced {
        Some(kind) => vec![kind],
        None => HeadKind::ALL.to_vec(),
    };
    for kind in kinds {
        if let Some((outputs, reason)) = arrange(kind, outputs, cells, end2end, obb, forced.is_some()) {
            return Ok(Identified { kind, outputs, reason });
        }
    }
    let shapes: Vec<String> = outputs.iter().map(|o| format!("{} {:?}", o.name, o.shape)).collect();
    let what = match forced {
        Some(kind) => format!("do not fit the {kind} decoder"),
        None => "fit no decoder (yolox, yolov8, yolov8-obb, e2e, e2e-obb, detr, centernet)".to_string(),
    };
    Err(DecodeError::UnknownHead(format!(
        "the model's outputs [{}] {what}; see `softkit detect --help` for each head's shapes",
        shapes.join(", ")
    )))
}

/// The outputs that `kind` reads, in its argument order, and why, if its shapes fit. A `forced`
/// kind needs only the shapes; a guessed one also needs the metadata's word where shapes are
/// ambiguous.
fn arrange(
    kind: HeadKind,
    outputs: &[OutputInfo],
    cells: Option<usize>,
    end2end: bool,
    obb: bool,
    forced: bool,
) -> Option<(Vec<usize>, String)> {
    let rank3 = |o: &OutputInfo| match o.shape.as_slice() {
        [1, a, b] | [a, b] => Some((*a, *b)),
        _ => None,
    };
    let single = match outputs {
        [only] => rank3(only).map(|dims| (dims, format!("{:?}", only.shape))),
        _ => None,
    };
    match kind {
        HeadKind::Yolox => {
            let ((rows, width), shape) = single?;
            // ultralytics' end2end metadata comes first: a 21-row table on a 32 x 32 input is not YOLOX.
            ((forced || !end2end) && Some(rows) == cells && width >= 6)
                .then(|| (vec![0], format!("one output {shape}, a row per cell of the stride 8/16/32 grids")))
        }
        HeadKind::Yolov8 | HeadKind::Yolov8Obb => {
            let ((rows, anchors), shape) = single?;
            let fits = (forced || Some(anchors) == cells) && rows >= 5 + usize::from(kind == HeadKind::Yolov8Obb);
            let wanted = forced || obb == (kind == HeadKind::Yolov8Obb);
            (fits && wanted).then(|| {
                let why = if obb { ", and the metadata's task = obb" } else { "" };
                (vec![0], format!("one output {shape}, a column per anchor{why}"))
            })
        }
        HeadKind::EndToEnd | HeadKind::EndToEndObb => {
            let ((rows, width), shape) = single?;
            let width_fits = width == if kind == HeadKind::EndToEnd { 6 } else { 7 };
            let why = if end2end { "the metadata's end2end = true" } else { "at most 1,000 rows" };
            (width_fits && (forced || end2end || rows <= 1000)).then(|| (vec![0], format!("one output {shape}, {why}")))
        }
        HeadKind::Detr => {
            let [a, b] = outputs else { return None };
            let ((qa, wa), (qb, wb)) = (rank3(a)?, rank3(b)?);
            let order = match (wa, wb) {
                (_, 4) if qa == qb => vec![0, 1],
                (4, _) if qa == qb => vec![1, 0],
                _ => return None,
            };
            Some((order, format!("logits and boxes over {qa} queries")))
        }
        HeadKind::CenterNet => {
            let [_, _, _] = outputs else { return None };
            let dims: Vec<(usize, usize, usize)> = outputs
                .iter()
                .map(|o| match o.shape.as_slice() {
                    [1, c, h, w] | [c, h, w] => Some((*c, *h, *w)),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            if dims.iter().any(|d| (d.1, d.2) != (dims[0].1, dims[0].2)) {
                return None;
            }
            let named = |words: &[&str]| {
                outputs.iter().position(|o| words.iter().any(|w| o.name.to_ascii_lowercase().contains(w)))
            };
            // The heatmap is named so, or else is the one map without 2 channels.
            let heat = named(&["hm", "heat"]).or_else(|| {
                let odd: Vec<usize> = (0..3).filter(|&i| dims[i].0 != 2).collect();
                (odd.len() == 1).then(|| odd[0])
            })?;
            let rest: Vec<usize> = (0..3).filter(|&i| i != heat).collect();
            if rest.iter().any(|&i| dims[i].0 != 2) {
                return None;
            }
            let offset = named(&["reg", "offset"]).filter(|i| rest.contains(i)).unwrap_or(rest[0]);
            let size = rest.iter().copied().find(|&i| i != offset)?;
            Some((vec![heat, offset, size], format!("a heatmap {:?} with offset and size maps", outputs[heat].shape)))
        }
    }
}
