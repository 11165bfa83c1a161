use crate::Envelope;

/// An indexed set of geometries with an overlap measure between any two of its members.
///
/// This is the one abstraction that the suppression engine and the evaluator rely on: every
/// geometry (axis-aligned boxes, and later rotated boxes, polygons, 3-D boxes, segments,
/// keypoints) implements it once and gets every policy and every metric.
///
/// # Contract
///
/// - `overlap(i, j) == overlap(j, i)`, and it is finite.
/// - If the envelopes of `i` and `j` do not intersect, `overlap(i, j) <= 0`. Suppression policies
///   treat an overlap of zero or less as "no interaction", which is what lets a spatial index skip
///   those pairs without changing the result.
///
/// Implementations precompute what repeated queries need (areas, vertices), so `overlap` is a
/// cheap pure function of two indices.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, BoxSet, Overlap};
///
/// let boxes = [[0.0_f64, 0.0, 4.0, 4.0], [2.0, 2.0, 6.0, 6.0], [10.0, 10.0, 11.0, 11.0]];
/// let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0)?;
/// assert_eq!(set.len(), 3);
/// assert!((set.overlap(0, 1) - 4.0 / 28.0).abs() < 1e-12);
/// assert_eq!(set.overlap(0, 2), 0.0);
/// assert!(!set.envelope(0).intersects(&set.envelope(2)));
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Overlap: Sync {
    /// Number of items in the set.
    fn len(&self) -> usize;

    /// Whether the set holds no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The overlap between items `i` and `j` (IoU or one of its relatives).
    fn overlap(&self, i: usize, j: usize) -> f64;

    /// A rectangle outside which item `i` overlaps nothing.
    fn envelope(&self, i: usize) -> Envelope;
}
