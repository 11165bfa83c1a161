//! One MOT sequence in columns, grouped by frame: what the metrics compare and the CLI reads.

use crate::TrackError;

/// A sequence of frames, each with the ids and boxes `[x, y, width, height]` of its objects (or
/// of a tracker's hypotheses).
///
/// # Usage
///
/// Build it from parallel columns in any row order; rows are grouped by frame (ascending), and
/// within a frame keep their input order. Construction checks every box (finite, no negative
/// size) and that no id appears twice in one frame.
///
/// # Examples
///
/// ```
/// use softkit_track::Sequence;
///
/// let seq = Sequence::new(&[2, 1, 2], &[5, 5, 6], &[[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 4.0, 4.0], [9.0, 9.0, 2.0, 2.0]])?;
/// assert_eq!(seq.frame_ids(), &[1, 2]);
/// let second = seq.frame(1);
/// assert_eq!(second.ids, &[5, 6]);
/// assert_eq!(second.boxes[1], [9.0, 9.0, 2.0, 2.0]);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sequence {
    frame_ids: Vec<i64>,
    /// Frame `k` holds rows `starts[k]..starts[k + 1]`.
    starts: Vec<usize>,
    ids: Vec<i64>,
    boxes: Vec<[f64; 4]>,
}

/// The objects of one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame<'a> {
    /// The frame number.
    pub frame: i64,
    /// The ids of its objects.
    pub ids: &'a [i64],
    /// Their boxes, `[x, y, width, height]`.
    pub boxes: &'a [[f64; 4]],
}

impl Sequence {
    /// Groups the rows `(frames[i], ids[i], boxes[i])` by frame.
    ///
    /// # Errors
    ///
    /// [`TrackError`] for columns of different lengths, a non-finite number, a negative width or
    /// height, or an id that appears twice in one frame (each naming the row).
    pub fn new(frames: &[i64], ids: &[i64], boxes: &[[f64; 4]]) -> Result<Self, TrackError> {
        for (field, found) in [("ids", ids.len()), ("boxes", boxes.len())] {
            if found != frames.len() {
                return Err(TrackError::LengthMismatch { field, found, reference: "frames", expected: frames.len() });
            }
        }
        for (row, b) in boxes.iter().enumerate() {
            check_box(b, || format!("rows[{row}]"))?;
        }
        let mut order: Vec<usize> = (0..frames.len()).collect();
        order.sort_by_key(|&r| frames[r]);
        let mut seq = Sequence::default();
        for group in order.chunk_by(|&a, &b| frames[a] == frames[b]) {
            seq.frame_ids.push(frames[group[0]]);
            seq.starts.push(seq.ids.len());
            let mut seen: Vec<(i64, usize)> = group.iter().map(|&r| (ids[r], r)).collect();
            seen.sort_unstable();
            if let Some(pair) = seen.windows(2).find(|p| p[0].0 == p[1].0) {
                let (first, row) = (pair[0].1.min(pair[1].1), pair[0].1.max(pair[1].1));
                return Err(TrackError::DuplicateId { row, id: pair[0].0, frame: frames[row], first });
            }
            seq.ids.extend(group.iter().map(|&r| ids[r]));
            seq.boxes.extend(group.iter().map(|&r| boxes[r]));
        }
        seq.starts.push(seq.ids.len());
        Ok(seq)
    }

    /// The frame numbers, ascending, each once.
    pub fn frame_ids(&self) -> &[i64] {
        &self.frame_ids
    }

    /// The `k`-th frame (in ascending frame order).
    ///
    /// # Panics
    ///
    /// If `k` is not below the number of frames.
    pub fn frame(&self, k: usize) -> Frame<'_> {
        let rows = self.starts[k]..self.starts[k + 1];
        Frame { frame: self.frame_ids[k], ids: &self.ids[rows.clone()], boxes: &self.boxes[rows] }
    }

    /// The frame numbered `frame`, if the sequence has it.
    pub fn find(&self, frame: i64) -> Option<Frame<'_>> {
        self.frame_ids.binary_search(&frame).ok().map(|k| self.frame(k))
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frame_ids.len()
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.frame_ids.is_empty()
    }

    /// Number of rows (objects over all frames).
    pub fn rows(&self) -> usize {
        self.ids.len()
    }
}

/// Checks one `[x, y, width, height]` box: finite, no negative size.
pub(crate) fn check_box(b: &[f64; 4], item: impl Fn() -> String) -> Result<(), TrackError> {
    for (field, &value) in ["x", "y", "w", "h"].iter().zip(b) {
        if !value.is_finite() {
            return Err(TrackError::NonFinite { item: item(), field, value });
        }
    }
    for (field, value) in [("w", b[2]), ("h", b[3])] {
        if value < 0.0 {
            return Err(TrackError::NegativeSize { item: item(), field, value });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_named() {
        let err = Sequence::new(&[1], &[1], &[[0.0, f64::NAN, 1.0, 1.0]]).unwrap_err();
        assert_eq!(err.to_string(), "rows[0].y = NaN is not finite");
        let err = Sequence::new(&[1], &[1], &[[0.0, 0.0, -1.0, 1.0]]).unwrap_err();
        assert_eq!(err.to_string(), "rows[0].w = -1 is negative");
        let err = Sequence::new(&[1, 2], &[1], &[[0.0; 4]; 2]).unwrap_err();
        assert_eq!(err.to_string(), "ids has 1 entries but frames has 2");
    }

    #[test]
    fn frames_sort_and_keep_row_order_within_a_frame() {
        let seq = Sequence::new(&[3, 1, 3, 1], &[9, 8, 2, 1], &[[0.0; 4]; 4]).unwrap();
        assert_eq!(seq.frame_ids(), &[1, 3]);
        assert_eq!(seq.frame(0).ids, &[8, 1]);
        assert_eq!(seq.frame(1).ids, &[9, 2]);
        assert!(seq.find(2).is_none());
        assert_eq!(seq.rows(), 4);
    }
}
