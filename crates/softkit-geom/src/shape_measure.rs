//! Measures of shapes bounded by straight edges (rotated boxes, polygons): IoU, GIoU and
//! intersection over the smaller shape, chosen at run time.

use crate::measure::union_ratio;
use crate::{Intersect, IoMin, Iou, Measure, Symmetric};

/// A geometry whose two items have a convex hull of measurable area: the enclosing shape of
/// generalised IoU.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Hull, RotatedBoxes, RotatedFormat};
///
/// let boxes = RotatedBoxes::new(&[[0.5_f64, 0.5, 1.0, 1.0, 0.0], [2.5, 0.5, 1.0, 1.0, 0.0]], RotatedFormat::Radians)?;
/// assert_eq!(boxes.hull_area(0, &boxes, 1), 3.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Hull: Intersect {
    /// The area of the convex hull of item `i` of `self` and item `j` of `other`.
    fn hull_area(&self, i: usize, other: &Self, j: usize) -> f64;

    /// An upper bound of [`intersection`](Intersect::intersection), cheaper than it: hard NMS
    /// skips the exact clip of a pair whose bound already keeps it under the threshold. The two
    /// round differently, so a bound computed near the intersection is widened by a relative
    /// 1e-9 to stay above it.
    fn intersection_bound(&self, i: usize, other: &Self, j: usize) -> f64;

    /// Whether item `i` is convex: a convex item that contains the other is their hull.
    fn is_convex(&self, i: usize) -> bool;
}

/// The relative margin by which an intersection bound is widened: well above the rounding of the
/// clip and of the bound (a few units in the last place), far below any threshold's resolution.
pub(crate) const BOUND_MARGIN: f64 = 1e-9;

/// Which overlap measure of rotated boxes or polygons to use, chosen at run time (a Python
/// keyword, a CLI flag).
///
/// - `Iou`: intersection over union, with COCO's crowd rule in evaluation.
/// - `Giou`: generalised IoU, IoU minus the share of the convex hull of the pair that the union
///   leaves empty (the hull takes the place of the enclosing box). In `[-1, 1]`.
/// - `IoMin`: intersection over the smaller shape (StarDist's overlap).
///
/// # Examples
///
/// ```
/// use softkit_geom::{Measure, Polygons, ShapeMeasure};
///
/// let polygons = Polygons::uniform(&[[0.0_f64, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0],
///                                    [0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]], 4)?;
/// assert_eq!(ShapeMeasure::Iou.between(&polygons, 0, &polygons, 1), 0.25);
/// assert_eq!(ShapeMeasure::IoMin.between(&polygons, 0, &polygons, 1), 1.0);
/// assert_eq!("giou".parse::<ShapeMeasure>(), Ok(ShapeMeasure::Giou));
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ShapeMeasure {
    /// Intersection over union.
    #[default]
    Iou,
    /// Generalised IoU over the convex hull of the pair.
    Giou,
    /// Intersection over the smaller shape.
    IoMin,
}

impl std::str::FromStr for ShapeMeasure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "iou" => Ok(ShapeMeasure::Iou),
            "giou" => Ok(ShapeMeasure::Giou),
            "iomin" => Ok(ShapeMeasure::IoMin),
            other => Err(format!("measure = {other:?} is invalid: expected \"iou\", \"giou\" or \"iomin\"")),
        }
    }
}

impl<G: Hull> Measure<G> for ShapeMeasure {
    #[inline]
    fn between(&self, a: &G, i: usize, b: &G, j: usize) -> f64 {
        match self {
            ShapeMeasure::Iou => Iou.between(a, i, b, j),
            ShapeMeasure::IoMin => IoMin.between(a, i, b, j),
            ShapeMeasure::Giou => {
                let (area_a, area_b) = (a.area(i), b.area(j));
                let inter = a.intersection(i, b, j);
                let iou = union_ratio(inter, area_a, area_b);
                // A convex item containing the other is the hull: exactly, rather than rounded.
                let contained = inter >= area_a.min(area_b);
                let union = area_a + area_b - inter;
                // The hull holds the union; a hull computed far from the origin of its frame can
                // round below it, which would lift GIoU above IoU.
                let hull = match (contained, area_a >= area_b) {
                    (true, true) if a.is_convex(i) => area_a,
                    (true, false) if b.is_convex(j) => area_b,
                    _ => a.hull_area(i, b, j).max(union),
                };
                if hull > 0.0 { iou - (hull - union) / hull } else { iou }
            }
        }
    }

    #[inline]
    fn crowd(&self, dt: &G, i: usize, gt: &G, j: usize) -> f64 {
        match self {
            ShapeMeasure::Iou => Iou.crowd(dt, i, gt, j),
            _ => self.between(dt, i, gt, j),
        }
    }

    #[inline]
    fn exceeds(&self, a: &G, i: usize, b: &G, j: usize, threshold: f64) -> bool {
        // IoU and IoMin grow with the intersection, so a bound `x` on it bounds them: IoU <=
        // x / (area_a + area_b - x), IoMin <= x / min(area_a, area_b). Written without the
        // division; the bound's margin keeps the skip clear of the exact value's rounding.
        let skip = match self {
            ShapeMeasure::Iou | ShapeMeasure::IoMin => {
                let (x, area_a, area_b) = (a.intersection_bound(i, b, j), a.area(i), b.area(j));
                let whole = if *self == ShapeMeasure::Iou { area_a + area_b - x } else { area_a.min(area_b) };
                x < threshold * whole
            }
            ShapeMeasure::Giou => false,
        };
        !skip && self.between(a, i, b, j) > threshold
    }
}

impl Symmetric for ShapeMeasure {}
