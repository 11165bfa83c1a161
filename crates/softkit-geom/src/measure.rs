//! Measures of overlap between two items of a geometry, and the two that every [`Intersect`]
//! geometry gets for free: IoU (with COCO's crowd rule) and intersection over the smaller item.

use crate::Intersect;

/// How much item `i` of one column overlaps item `j` of another column of the same geometry.
///
/// Measures are small values (often unit structs) so that one geometry can be measured several
/// ways: boxes by [`Iou`], GIoU or DIoU, masks by [`Iou`] or [`IoMin`], keypoints by OKS.
///
/// # Contract
///
/// - The value is finite, and `1` means a perfect match.
/// - If [`finite_reach`](Measure::finite_reach) is `true`, items whose envelopes
///   ([`Bounded`](crate::Bounded)) are disjoint measure `0` or less. Suppression treats a measure
///   of `0` or less as "no interaction", which is what lets a spatial index skip such pairs.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Boxes, IoMin, Iou, Measure};
///
/// let boxes = [[0.0_f64, 0.0, 4.0, 4.0], [0.0, 0.0, 2.0, 2.0]];
/// let column = Boxes::new(&boxes, 0.0)?;
/// assert_eq!(Iou.between(&column, 0, &column, 1), 0.25);
/// assert_eq!(IoMin.between(&column, 0, &column, 1), 1.0); // the small box lies inside the big one
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Measure<G: ?Sized>: Sync {
    /// The measure between item `i` of `a` and item `j` of `b` (`a` and `b` may be the same
    /// column). In evaluation, `a` holds the detections and `b` the ground truth.
    fn between(&self, a: &G, i: usize, b: &G, j: usize) -> f64;

    /// The measure of detection `i` against a *crowd* ground truth `j` (COCO's `iscrowd`): by
    /// default the plain measure. [`Iou`] divides by the detection's own size instead of the union,
    /// so that one crowd region can absorb many detections.
    fn crowd(&self, dt: &G, i: usize, gt: &G, j: usize) -> f64 {
        self.between(dt, i, gt, j)
    }

    /// Whether `between(a, i, b, j) > threshold`. A measure may answer "no" from a cheap bound
    /// without computing the value; the answer must equal the comparison's.
    #[inline]
    fn exceeds(&self, a: &G, i: usize, b: &G, j: usize, threshold: f64) -> bool {
        self.between(a, i, b, j) > threshold
    }

    /// `Some(between(a, i, b, j))` when it exceeds `threshold`, else `None`: what Soft-NMS asks,
    /// since overlaps up to its policy's threshold change nothing. A measure may answer `None`
    /// from a cheap bound; a value it returns must be `between`'s, bit for bit.
    #[inline]
    fn between_above(&self, a: &G, i: usize, b: &G, j: usize, threshold: f64) -> Option<f64> {
        let value = self.between(a, i, b, j);
        (value > threshold).then_some(value)
    }

    /// Whether items with disjoint envelopes always measure `0` or less. A measure with no finite
    /// reach (OKS, whose Gaussian never reaches zero) returns `false`, and suppression then
    /// compares its items all against all.
    fn finite_reach(&self) -> bool {
        true
    }

    /// How far item `i` of `g` reaches beyond its envelope at `threshold` (`>= 0`): two items
    /// whose envelopes, each widened by its margin, are disjoint measure at most `threshold`.
    /// `None` when no margin bounds it. By default `0` for a measure with a finite reach (disjoint
    /// envelopes measure `0` or less), else `None`; OKS overrides it, so that hard NMS on poses
    /// compares only nearby ones.
    fn reach_margin(&self, g: &G, i: usize, threshold: f64) -> Option<f64> {
        let _ = (g, i, threshold);
        self.finite_reach().then_some(0.0)
    }
}

/// A borrowed measure measures as the measure does.
impl<G: ?Sized, M: Measure<G> + ?Sized> Measure<G> for &M {
    #[inline]
    fn between(&self, a: &G, i: usize, b: &G, j: usize) -> f64 {
        (**self).between(a, i, b, j)
    }

    #[inline]
    fn crowd(&self, dt: &G, i: usize, gt: &G, j: usize) -> f64 {
        (**self).crowd(dt, i, gt, j)
    }

    #[inline]
    fn exceeds(&self, a: &G, i: usize, b: &G, j: usize, threshold: f64) -> bool {
        (**self).exceeds(a, i, b, j, threshold)
    }

    #[inline]
    fn between_above(&self, a: &G, i: usize, b: &G, j: usize, threshold: f64) -> Option<f64> {
        (**self).between_above(a, i, b, j, threshold)
    }

    fn finite_reach(&self) -> bool {
        (**self).finite_reach()
    }

    fn reach_margin(&self, g: &G, i: usize, threshold: f64) -> Option<f64> {
        (**self).reach_margin(g, i, threshold)
    }
}

impl<M: Symmetric + ?Sized> Symmetric for &M {}

/// A [`Measure`] whose value does not depend on the order of the two items. Only symmetric
/// measures drive suppression ([`SetView`](crate::SetView)): the greedy loop asks "how much does
/// the selected item overlap this one?" and must get one answer.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Iou, Symmetric};
///
/// fn usable_for_suppression<M: Symmetric>(_: &M) {}
/// usable_for_suppression(&Iou);
/// ```
pub trait Symmetric {}

/// Intersection over union: `inter / (area_a + area_b - inter)`, for any [`Intersect`]
/// geometry; `0` when the items do not intersect or the union is empty.
///
/// With COCO's crowd rule ([`Measure::crowd`]) the union is the detection's own size.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Iou, Measure, XywhBoxes};
///
/// let dt = XywhBoxes::new(vec![[10.0, 10.0, 5.0, 5.0]])?;
/// let gt = XywhBoxes::new(vec![[0.0, 0.0, 100.0, 100.0]])?;
/// assert_eq!(Iou.between(&dt, 0, &gt, 0), 25.0 / 10_000.0);
/// assert_eq!(Iou.crowd(&dt, 0, &gt, 0), 1.0); // inside the crowd region
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Iou;

impl<G: Intersect + ?Sized> Measure<G> for Iou {
    #[inline]
    fn between(&self, a: &G, i: usize, b: &G, j: usize) -> f64 {
        union_ratio(a.intersection(i, b, j), a.area(i), b.area(j))
    }

    #[inline]
    fn crowd(&self, dt: &G, i: usize, gt: &G, j: usize) -> f64 {
        let inter = dt.intersection(i, gt, j);
        if inter <= 0.0 { 0.0 } else { ratio(inter, dt.area(i)) }
    }
}

impl Symmetric for Iou {}

/// Intersection over the smaller of the two items (StarDist's overlap for star-convex
/// polygons): `1` when one item lies inside the other, whatever their sizes.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Boxes, IoMin, Measure};
///
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [5.0, 0.0, 7.0, 10.0], [8.0, 0.0, 18.0, 10.0]];
/// let column = Boxes::new(&boxes, 0.0)?;
/// assert_eq!(IoMin.between(&column, 0, &column, 1), 1.0);
/// assert_eq!(IoMin.between(&column, 0, &column, 2), 0.2);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IoMin;

impl<G: Intersect + ?Sized> Measure<G> for IoMin {
    #[inline]
    fn between(&self, a: &G, i: usize, b: &G, j: usize) -> f64 {
        let inter = a.intersection(i, b, j);
        if inter <= 0.0 {
            return 0.0;
        }
        let (area_a, area_b) = (a.area(i), b.area(j));
        ratio(inter, if area_a < area_b { area_a } else { area_b })
    }
}

impl Symmetric for IoMin {}

/// [`Iou`] or [`IoMin`], chosen at run time (a Python keyword, a CLI flag), for any
/// [`Intersect`] geometry.
///
/// # Examples
///
/// ```
/// use softkit_geom::{IntersectMeasure, Measure, Segments};
///
/// let segments = Segments::new(&[[0.0_f64, 10.0], [2.0, 4.0]])?;
/// assert_eq!(IntersectMeasure::Iou.between(&segments, 0, &segments, 1), 0.2);
/// assert_eq!("iomin".parse::<IntersectMeasure>()?.between(&segments, 0, &segments, 1), 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IntersectMeasure {
    /// [`Iou`].
    #[default]
    Iou,
    /// [`IoMin`].
    IoMin,
}

impl std::str::FromStr for IntersectMeasure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "iou" => Ok(IntersectMeasure::Iou),
            "iomin" => Ok(IntersectMeasure::IoMin),
            other => Err(format!("measure = {other:?} is invalid: expected \"iou\" or \"iomin\"")),
        }
    }
}

impl<G: Intersect + ?Sized> Measure<G> for IntersectMeasure {
    #[inline]
    fn between(&self, a: &G, i: usize, b: &G, j: usize) -> f64 {
        match self {
            IntersectMeasure::Iou => Iou.between(a, i, b, j),
            IntersectMeasure::IoMin => IoMin.between(a, i, b, j),
        }
    }

    #[inline]
    fn crowd(&self, dt: &G, i: usize, gt: &G, j: usize) -> f64 {
        match self {
            IntersectMeasure::Iou => Iou.crowd(dt, i, gt, j),
            IntersectMeasure::IoMin => IoMin.crowd(dt, i, gt, j),
        }
    }
}

impl Symmetric for IntersectMeasure {}

/// `inter / (area_a + area_b - inter)`, or `0` for no intersection. The sum first, then the
/// intersection: pycocotools' order, so that the union is bit-exact.
#[inline]
pub(crate) fn union_ratio(inter: f64, area_a: f64, area_b: f64) -> f64 {
    if inter <= 0.0 { 0.0 } else { ratio(inter, area_a + area_b - inter) }
}

/// `inter / whole`, or `0` when `whole` is not positive (only degenerate items have an empty
/// union) or overflowed to infinity, so that a measure is never NaN.
#[inline]
fn ratio(inter: f64, whole: f64) -> f64 {
    // Sizes that overflow to infinity give inf / inf: no fraction can be told, so none is claimed.
    if whole > 0.0 && whole.is_finite() { inter / whole } else { 0.0 }
}
