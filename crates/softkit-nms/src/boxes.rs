//! The familiar entry points for axis-aligned `[x1, y1, x2, y2]` boxes with IoU.

use softkit_geom::{BoxMeasure, BoxSet, Coord};

use crate::{Kept, NmsError, SuppressParams, suppress, suppress_batched};

fn box_set<'a, T: Coord, U: Coord>(boxes: &'a [[T; 4]], scores: &[U]) -> Result<BoxSet<'a, T>, NmsError> {
    if boxes.len() != scores.len() {
        return Err(NmsError::LengthMismatch {
            field: "scores",
            found: scores.len(),
            reference: "boxes",
            expected: boxes.len(),
        });
    }
    Ok(BoxSet::new(boxes, BoxMeasure::Iou, 0.0)?)
}

/// Hard NMS with torchvision's semantics: the indices of the kept boxes in non-increasing score
/// order (ties to the lower index). A box is removed when its IoU with a kept box exceeds
/// `iou_threshold`.
///
/// # Errors
///
/// [`NmsError`] for mismatched lengths, NaN/inf values, `x2 < x1`, or a threshold outside `[0, 1]`.
///
/// # Examples
///
/// ```
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [0.0, 1.0, 10.0, 11.0], [20.0, 20.0, 30.0, 30.0]];
/// let keep = softkit_nms::nms(&boxes, &[0.9_f32, 0.95, 0.5], 0.5)?;
/// assert_eq!(keep, vec![1, 2]);
/// # Ok::<(), softkit_nms::NmsError>(())
/// ```
pub fn nms<T: Coord, U: Coord>(boxes: &[[T; 4]], scores: &[U], iou_threshold: f64) -> Result<Vec<usize>, NmsError> {
    let set = box_set(boxes, scores)?;
    Ok(suppress(&set, scores, &SuppressParams::hard(iou_threshold))?.indices)
}

/// Class-aware hard NMS (torchvision's `batched_nms`): boxes with different labels never
/// suppress each other. Indices come in non-increasing score order, ties to the lower index.
///
/// # Errors
///
/// As [`nms`], plus a length mismatch for `labels`.
///
/// # Examples
///
/// ```
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [0.0, 1.0, 10.0, 11.0]];
/// let keep = softkit_nms::batched_nms(&boxes, &[0.9_f32, 0.8], &[0, 1], 0.5)?;
/// assert_eq!(keep, vec![0, 1]);
/// # Ok::<(), softkit_nms::NmsError>(())
/// ```
pub fn batched_nms<T: Coord, U: Coord>(
    boxes: &[[T; 4]],
    scores: &[U],
    labels: &[i64],
    iou_threshold: f64,
) -> Result<Vec<usize>, NmsError> {
    let set = box_set(boxes, scores)?;
    Ok(suppress_batched(&set, scores, labels, &SuppressParams::hard(iou_threshold))?.indices)
}

/// Soft-NMS (or hard NMS, by `params.policy`) on boxes with IoU in continuous coordinates:
/// kept indices in selection order and their decayed scores.
///
/// For the legacy "+1" pixel convention or another measure, build a
/// [`BoxSet`](softkit_geom::BoxSet) and call [`suppress`].
///
/// # Errors
///
/// As [`nms`], plus an invalid `sigma` or `score_threshold`.
///
/// # Examples
///
/// ```
/// use softkit_nms::{soft_nms, SuppressParams};
///
/// let boxes = [[0.0_f64, 0.0, 10.0, 10.0], [0.0, 5.0, 10.0, 15.0]];
/// let kept = soft_nms(&boxes, &[0.9_f64, 0.8], &SuppressParams::linear(0.3))?;
/// assert_eq!(kept.indices, vec![0, 1]);
/// assert!((kept.scores[1] - 0.8 * (1.0 - 1.0 / 3.0)).abs() < 1e-12);
/// # Ok::<(), softkit_nms::NmsError>(())
/// ```
pub fn soft_nms<T: Coord, U: Coord>(boxes: &[[T; 4]], scores: &[U], params: &SuppressParams) -> Result<Kept, NmsError> {
    let set = box_set(boxes, scores)?;
    suppress(&set, scores, params)
}
