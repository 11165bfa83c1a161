//! The pair view that the evaluator matches: detections measured against ground truth.

use crate::{Geometry, Measure};

/// Overlap between detections and ground-truth objects, by index: what the COCO matching loop
/// asks of a geometry.
///
/// Every geometry gets it generically through [`PairView`]. `crowd` is the ground truth's
/// `iscrowd`: COCO then divides the intersection by the detection's own area instead of by the
/// union, so that one crowd region can absorb many detections.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Iou, PairOverlap, PairView, XywhBoxes};
///
/// let dt = XywhBoxes::new(vec![[0.0, 0.0, 2.0, 2.0]])?;
/// let gt = XywhBoxes::new(vec![[1.0, 0.0, 2.0, 2.0]])?;
/// let pairs = PairView::new(dt, gt, Iou);
/// assert_eq!(pairs.overlap(0, 0, false), 2.0 / 6.0);
/// assert_eq!(pairs.overlap(0, 0, true), 0.5);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait PairOverlap: Sync {
    /// The overlap of detection `dt` with ground truth `gt`.
    fn overlap(&self, dt: usize, gt: usize, crowd: bool) -> f64;
}

/// Detections and ground truth of one geometry, measured pairwise: the [`PairOverlap`] that the
/// evaluator matches, for any geometry and [`Measure`] (symmetric or not: OKS takes its scale
/// from the ground truth).
///
/// # Type Parameters
///
/// - `G`: the geometry column of both sides.
/// - `M`: the measure; detections are its first argument, ground truth its second.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Masks, Iou, PairOverlap, PairView, Rle};
///
/// let dt = Masks::new(vec![Rle::from_mask(1, 4, &[1, 1, 0, 0])?]);
/// let gt = Masks::new(vec![Rle::from_mask(1, 4, &[0, 1, 1, 1])?]);
/// let pairs = PairView::new(dt, gt, Iou);
/// assert_eq!(pairs.overlap(0, 0, false), 0.25);
/// assert_eq!(pairs.overlap(0, 0, true), 0.5);
/// # Ok::<(), softkit_geom::MaskError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PairView<G, M> {
    dt: G,
    gt: G,
    measure: M,
}

impl<G: Geometry, M: Measure<G>> PairView<G, M> {
    /// Measures the detections `dt` against the ground truth `gt` by `measure`.
    pub fn new(dt: G, gt: G, measure: M) -> Self {
        Self { dt, gt, measure }
    }
}

impl<G: Geometry, M: Measure<G>> PairOverlap for PairView<G, M> {
    #[inline]
    fn overlap(&self, dt: usize, gt: usize, crowd: bool) -> f64 {
        if crowd {
            self.measure.crowd(&self.dt, dt, &self.gt, gt)
        } else {
            self.measure.between(&self.dt, dt, &self.gt, gt)
        }
    }
}
