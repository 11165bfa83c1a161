//! YOLOX's dense head: `(1, anchors, 5 + classes)` over stride grids, objectness times class
//! probability.

use crate::{Candidates, DecodeError, HeadTensor};

/// What a YOLOX head needs besides its output: the input size, the strides and the threshold.
///
/// # Examples
///
/// ```
/// use softkit_decode::{HeadTensor, YoloxHead};
///
/// // One 32 x 32 input at stride 32: a single anchor. Its row: dx, dy, log w, log h,
/// // objectness, then two class probabilities.
/// let row = [0.5_f32, 0.5, 0.0, 0.0, 0.9, 0.2, 0.8];
/// let head = YoloxHead { input_size: [32, 32], strides: vec![32], score_threshold: 0.5 };
/// let c = head.decode(&HeadTensor::new("output", &[1, 1, 7], &row)?)?;
/// // Only class 1 passes: 0.9 * 0.8 = 0.72. The box is 32 wide, centred at (16, 16).
/// assert_eq!(c.labels, vec![1]);
/// assert_eq!(c.geometry, vec![[0.0, 0.0, 32.0, 32.0]]);
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct YoloxHead {
    /// The model input's `[width, height]` in pixels.
    pub input_size: [usize; 2],
    /// The grids' strides, in the order the rows come (8, 16, 32 for every YOLOX).
    pub strides: Vec<usize>,
    /// Keep the (anchor, class) pairs scoring above this.
    pub score_threshold: f32,
}

impl YoloxHead {
    /// The head of a model with the given input size, at strides 8, 16 and 32.
    pub fn new(input_size: [usize; 2], score_threshold: f32) -> Self {
        YoloxHead { input_size, strides: vec![8, 16, 32], score_threshold }
    }

    /// Decodes `output`, `(1, anchors, 5 + classes)` with rows `[dx, dy, log w, log h,
    /// objectness, class probabilities...]` (the export's sigmoids already applied, as YOLOX's
    /// ONNX export does with `decode_in_inference=False`).
    ///
    /// Anchor `i` of the stride-`s` grid of `W/s` columns sits at cell `(i % cols, i / cols)`; its
    /// centre is `(d + cell) * s` and its size `exp(log) * s`. Every (anchor, class) pair whose
    /// score `objectness * probability` (in `f32`, as numpy computes it) exceeds the threshold
    /// becomes a row, anchor-major then class order. Boxes are in input pixels.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Shape`] if the rows do not number the grids' cells or hold no class;
    /// [`DecodeError::InvalidParameter`] for a zero or non-dividing stride or a NaN threshold.
    pub fn decode(&self, output: &HeadTensor) -> Result<Candidates<[f32; 4]>, DecodeError> {
        check_threshold(self.score_threshold)?;
        let cells = grid_cells(self.input_size, &self.strides)?;
        let expected = format!("(1, {cells}, 5 + classes), one row per cell of the stride {:?} grids", self.strides);
        let &[anchors, width] = output.unbatched(2, &expected)? else { unreachable!("rank 2") };
        if anchors != cells || width < 6 {
            return Err(output.shape_error(&expected));
        }
        let mut out = Candidates::default();
        let mut rows = output.data().chunks_exact(width);
        for &stride in &self.strides {
            let cols = self.input_size[0] / stride;
            let s = stride as f32;
            for (cell, row) in rows.by_ref().take(cols * (self.input_size[1] / stride)).enumerate() {
                let objectness = row[4];
                // Most anchors pass no class: test 8 classes at a time without branching, and
                // compute the box (two exps) only for an anchor that has a passing class.
                let mut corners = None;
                let mut box_of = || {
                    *corners.get_or_insert_with(|| {
                        let (gx, gy) = ((cell % cols) as f32, (cell / cols) as f32);
                        let (cx, cy) = ((row[0] + gx) * s, (row[1] + gy) * s);
                        let (w, h) = (row[2].exp() * s, row[3].exp() * s);
                        [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]
                    })
                };
                let (blocks, tail) = row[5..].as_chunks::<LANES>();
                for (block, probabilities) in blocks.iter().enumerate() {
                    let scores: [f32; LANES] = probabilities.map(|p| objectness * p);
                    if scores.iter().fold(false, |any, &score| any | (score > self.score_threshold)) {
                        for (lane, &score) in scores.iter().enumerate() {
                            if score > self.score_threshold {
                                out.push(box_of(), score, (block * LANES + lane) as u32);
                            }
                        }
                    }
                }
                for (lane, &p) in tail.iter().enumerate() {
                    let score = objectness * p;
                    if score > self.score_threshold {
                        out.push(box_of(), score, (blocks.len() * LANES + lane) as u32);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Classes tested at once: eight `f32` lanes, one AVX register.
const LANES: usize = 8;

/// The number of cells of the stride grids over an input, each stride dividing both sides.
pub(crate) fn grid_cells(input_size: [usize; 2], strides: &[usize]) -> Result<usize, DecodeError> {
    let bad = strides.iter().find(|&&s| s == 0 || !input_size[0].is_multiple_of(s) || !input_size[1].is_multiple_of(s));
    if strides.is_empty() || bad.is_some() {
        return Err(DecodeError::InvalidParameter {
            name: "strides",
            value: format!("{strides:?} for input size {}x{}", input_size[0], input_size[1]),
            expected: "one or more strides, each dividing the input's width and height",
        });
    }
    Ok(strides.iter().map(|s| (input_size[0] / s) * (input_size[1] / s)).sum())
}

/// A score threshold must be a number (any number: below 0 keeps everything).
pub(crate) fn check_threshold(threshold: f32) -> Result<(), DecodeError> {
    if threshold.is_nan() {
        return Err(DecodeError::InvalidParameter {
            name: "score_threshold",
            value: threshold.to_string(),
            expected: "a number",
        });
    }
    Ok(())
}
