//! The one-to-one (NMS-free) heads of YOLOv10 and YOLO26: `(1, 300, 6)` rows of x1, y1, x2, y2,
//! score, class, or `(1, 300, 7)` oriented rows of cx, cy, w, h, score, class, angle.

use crate::yolox::check_threshold;
use crate::{Candidates, DecodeError, HeadTensor};

/// An end-to-end head: the top-k is inside the graph, so decoding is a confidence filter and a
/// cap, and no suppression follows.
///
/// # Examples
///
/// ```
/// use softkit_decode::{EndToEndHead, HeadTensor};
///
/// let rows = [
///     10.0_f32, 10.0, 20.0, 20.0, 0.9, 3.0, // x1 y1 x2 y2 score class
///     30.0, 30.0, 40.0, 40.0, 0.1, 0.0,
/// ];
/// let head = EndToEndHead { score_threshold: 0.25, max_det: 300 };
/// let c = head.decode_boxes(&HeadTensor::new("output", &[1, 2, 6], &rows)?)?;
/// assert_eq!((c.labels, c.scores), (vec![3], vec![0.9]));
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EndToEndHead {
    /// Keep rows scoring above this (the graph always fills all its rows).
    pub score_threshold: f32,
    /// Keep at most this many rows, in the graph's order (by score).
    pub max_det: usize,
}

impl Default for EndToEndHead {
    /// Validation settings: threshold 0.001, 300 rows.
    fn default() -> Self {
        EndToEndHead { score_threshold: 0.001, max_det: 300 }
    }
}

impl EndToEndHead {
    /// Decodes `(1, rows, 6)`: `[x1, y1, x2, y2, score, class]` in input pixels, the class a
    /// whole number written as a float. Rows keep their order.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Shape`] for another width, [`DecodeError::ClassValue`] for a class that is
    /// not a whole number `>= 0`, [`DecodeError::InvalidParameter`] for a NaN threshold.
    pub fn decode_boxes(&self, output: &HeadTensor) -> Result<Candidates<[f32; 4]>, DecodeError> {
        let mut out = Candidates::default();
        self.decode(output, 6, |row, class| out.push([row[0], row[1], row[2], row[3]], row[4], class))?;
        Ok(out)
    }

    /// Decodes `(1, rows, 7)`: `[cx, cy, w, h, score, class, angle]` (radians), ultralytics'
    /// end-to-end OBB export.
    ///
    /// # Errors
    ///
    /// As [`decode_boxes`](Self::decode_boxes).
    pub fn decode_rotated(&self, output: &HeadTensor) -> Result<Candidates<[f32; 5]>, DecodeError> {
        let mut out = Candidates::default();
        self.decode(output, 7, |row, class| out.push([row[0], row[1], row[2], row[3], row[6]], row[4], class))?;
        Ok(out)
    }

    fn decode(&self, output: &HeadTensor, width: usize, mut emit: impl FnMut(&[f32], u32)) -> Result<(), DecodeError> {
        check_threshold(self.score_threshold)?;
        let expected = format!("(1, rows, {width})");
        let &[_, found] = output.unbatched(2, &expected)? else { unreachable!("rank 2") };
        if found != width {
            return Err(output.shape_error(&expected));
        }
        let mut kept = 0;
        for (index, row) in output.data().chunks_exact(width).enumerate() {
            if kept == self.max_det {
                break;
            }
            let class = row[5];
            if !(class >= 0.0 && class.fract() == 0.0 && class < u32::MAX as f32) {
                return Err(DecodeError::ClassValue { row: index, value: class });
            }
            if row[4] > self.score_threshold {
                emit(row, class as u32);
                kept += 1;
            }
        }
        Ok(())
    }
}
