//! The one question the matching loop asks of a geometry: how much does detection `d` overlap
//! ground truth `g`?

/// Overlap between detections and ground-truth objects, by index.
///
/// The COCO matching loop is the same for every geometry; only this measure changes (box IoU,
/// mask IoU, OKS, rotated-box IoU, ...). Implement it once for a geometry and [`evaluate`]
/// gives AP, AR and the precision/recall arrays for it.
///
/// `dt` and `gt` index the `dts` and `gts` slices of the [`EvalInput`] being evaluated. `crowd`
/// is the ground truth's `iscrowd`: pycocotools then divides the intersection by the
/// detection's own area instead of by the union, so that one crowd region can absorb many
/// detections.
///
/// # Examples
///
/// A one-dimensional "geometry" (intervals) plugs in with a few lines:
///
/// ```
/// use softkit_eval::PairOverlap;
///
/// struct Intervals { dt: Vec<(f64, f64)>, gt: Vec<(f64, f64)> }
///
/// impl PairOverlap for Intervals {
///     fn overlap(&self, dt: usize, gt: usize, crowd: bool) -> f64 {
///         let (a, b) = (self.dt[dt], self.gt[gt]);
///         let inter = (a.1.min(b.1) - a.0.max(b.0)).max(0.0);
///         let union = if crowd { a.1 - a.0 } else { (a.1 - a.0) + (b.1 - b.0) - inter };
///         if inter > 0.0 { inter / union } else { 0.0 }
///     }
/// }
///
/// let s = Intervals { dt: vec![(0.0, 2.0)], gt: vec![(1.0, 3.0)] };
/// assert_eq!(s.overlap(0, 0, false), 1.0 / 3.0);
/// assert_eq!(s.overlap(0, 0, true), 0.5);
/// ```
///
/// [`evaluate`]: crate::evaluate
/// [`EvalInput`]: crate::EvalInput
pub trait PairOverlap: Sync {
    /// The overlap of detection `dt` with ground truth `gt`, in `[0, 1]`.
    fn overlap(&self, dt: usize, gt: usize, crowd: bool) -> f64;
}
