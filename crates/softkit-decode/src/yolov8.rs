//! The one-to-many heads of YOLOv8 and YOLO11: `(1, 4 + classes, anchors)`, cx cy w h in input
//! pixels and sigmoid class scores, no objectness; the OBB variant adds an angle row.

use crate::yolox::check_threshold;
use crate::{Candidates, DecodeError, HeadTensor};

/// An ultralytics one-to-many head (detection, or oriented boxes with `obb`).
///
/// # Examples
///
/// ```
/// use softkit_decode::{HeadTensor, Yolov8Head};
///
/// // Two anchors (columns), two classes: rows cx, cy, w, h, then the class scores.
/// let output = [
///     10.0_f32, 50.0, // cx
///     10.0, 50.0, // cy
///     4.0, 8.0, // w
///     4.0, 8.0, // h
///     0.9, 0.1, // class 0
///     0.3, 0.7, // class 1
/// ];
/// let head = Yolov8Head { score_threshold: 0.25, ..Yolov8Head::default() };
/// let c = head.decode_boxes(&HeadTensor::new("output", &[1, 6, 2], &output)?)?;
/// // Every (anchor, class) pair above 0.25, anchor-major.
/// assert_eq!(c.labels, vec![0, 1, 1]);
/// assert_eq!(c.geometry[2], [46.0, 46.0, 54.0, 54.0]);
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Yolov8Head {
    /// Keep the (anchor, class) pairs scoring above this (ultralytics: 0.25 to predict, 0.001 to
    /// validate).
    pub score_threshold: f32,
    /// Keep every class above the threshold (ultralytics' validation, `multi_label=True`), or only
    /// each anchor's best class (its prediction; ties go to the lower class).
    pub multi_label: bool,
}

impl Default for Yolov8Head {
    /// Validation settings: threshold 0.001, every class.
    fn default() -> Self {
        Yolov8Head { score_threshold: 0.001, multi_label: true }
    }
}

impl Yolov8Head {
    /// Decodes a detection head, `(1, 4 + classes, anchors)`, into `[x1, y1, x2, y2]` boxes in
    /// input pixels, anchor-major then class order.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Shape`] if the head has fewer than 5 rows; [`DecodeError::InvalidParameter`]
    /// for a NaN threshold.
    pub fn decode_boxes(&self, output: &HeadTensor) -> Result<Candidates<[f32; 4]>, DecodeError> {
        let head = Columns::of(output, 0)?;
        let mut out = Candidates::default();
        self.for_each_pair(&head, |anchor, score, class| {
            let [cx, cy, w, h] = head.xywh(anchor);
            out.push([cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0], score, class);
        })?;
        Ok(out)
    }

    /// Decodes an oriented head, `(1, 4 + classes + 1, anchors)` whose last row is the angle in
    /// radians (ultralytics' OBB export), into `[cx, cy, w, h, angle]` rotated boxes.
    ///
    /// # Errors
    ///
    /// As [`decode_boxes`](Self::decode_boxes), with 6 rows at least.
    pub fn decode_rotated(&self, output: &HeadTensor) -> Result<Candidates<[f32; 5]>, DecodeError> {
        let head = Columns::of(output, 1)?;
        let mut out = Candidates::default();
        self.for_each_pair(&head, |anchor, score, class| {
            let [cx, cy, w, h] = head.xywh(anchor);
            out.push([cx, cy, w, h, head.value(head.rows - 1, anchor)], score, class);
        })?;
        Ok(out)
    }

    /// Calls `emit(anchor, score, class)` for the pairs above the threshold, anchor-major.
    ///
    /// The head is stored class-row by class-row, so it is scanned row by row (contiguous reads)
    /// and the passing pairs are put in anchor order afterwards.
    fn for_each_pair(&self, head: &Columns, mut emit: impl FnMut(usize, f32, u32)) -> Result<(), DecodeError> {
        check_threshold(self.score_threshold)?;
        if self.multi_label {
            let mut pairs: Vec<(usize, u32, f32)> = Vec::new();
            for class in 0..head.classes {
                let row = head.row(4 + class);
                pairs.extend(
                    row.iter()
                        .enumerate()
                        .filter(|&(_, &s)| s > self.score_threshold)
                        .map(|(a, &s)| (a, class as u32, s)),
                );
            }
            pairs.sort_unstable_by_key(|&(anchor, class, _)| (anchor, class));
            for (anchor, class, score) in pairs {
                emit(anchor, score, class);
            }
        } else {
            // The first maximum, as torch's `max(1)` returns on CPU: a later class wins only if higher.
            let mut best = vec![(0_u32, f32::NEG_INFINITY); head.anchors];
            for class in 0..head.classes {
                for (b, &s) in best.iter_mut().zip(head.row(4 + class)) {
                    if s > b.1 {
                        *b = (class as u32, s);
                    }
                }
            }
            for (anchor, (class, score)) in best.into_iter().enumerate() {
                if score > self.score_threshold {
                    emit(anchor, score, class);
                }
            }
        }
        Ok(())
    }
}

/// A `(rows, anchors)` head read column by column.
struct Columns<'a> {
    data: &'a [f32],
    rows: usize,
    anchors: usize,
    classes: usize,
}

impl<'a> Columns<'a> {
    /// The head's columns; `extra_rows` after the class rows (the angle) are not classes.
    fn of(output: &HeadTensor<'a>, extra_rows: usize) -> Result<Self, DecodeError> {
        let expected = if extra_rows == 0 { "(1, 4 + classes, anchors)" } else { "(1, 4 + classes + 1, anchors)" };
        let &[rows, anchors] = output.unbatched(2, expected)? else { unreachable!("rank 2") };
        if rows < 5 + extra_rows {
            return Err(output.shape_error(expected));
        }
        Ok(Columns { data: output.data(), rows, anchors, classes: rows - 4 - extra_rows })
    }

    fn row(&self, row: usize) -> &'a [f32] {
        &self.data[row * self.anchors..(row + 1) * self.anchors]
    }

    fn value(&self, row: usize, anchor: usize) -> f32 {
        self.data[row * self.anchors + anchor]
    }

    fn xywh(&self, anchor: usize) -> [f32; 4] {
        [0, 1, 2, 3].map(|row| self.value(row, anchor))
    }
}
