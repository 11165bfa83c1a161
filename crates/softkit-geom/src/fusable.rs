//! Items that fusion merges: coordinate tuples that average, and that measure by IoU against any
//! tuple of their kind, averaged or not.

use crate::box_iou_pair;
use crate::convex::intersection_area;
use crate::rotated_corners;

/// A coordinate tuple that box fusion (WBF, NMW) can merge: `[x1, y1, x2, y2]` boxes, `[start,
/// end]` segments and 3-D boxes `[x, y, z, dx, dy, dz, heading]` (OpenPCDet's, `z` at the centre).
///
/// Fusion matches an item against the running average of a cluster, which is no member of any
/// column, so it measures tuples directly rather than through a [`Geometry`](crate::Geometry)
/// column. A fused item is the weighted mean of its members, coordinate by coordinate.
///
/// # Examples
///
/// ```
/// use softkit_geom::Fusable;
///
/// let (a, b) = ([0.0, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]);
/// assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-12);
/// assert_eq!(a.size(), 4.0);
/// assert_eq!([2.0, 4.0].iou(&[4.0, 5.0]), 0.0); // touching segments share nothing
/// ```
pub trait Fusable: Copy + Send + Sync + 'static {
    /// The coordinates' names, for error messages (`x1, y1, x2, y2` or `start, end`).
    const NAMES: &'static [&'static str];

    /// Pairs `(low, high)` of coordinates where `high >= low` must hold.
    const ORDERED: &'static [(usize, usize)];

    /// Coordinates that are sizes and must be `>= 0`.
    const SIZES: &'static [usize] = &[];

    /// How many leading coordinates fusion averages; the rest (a 3-D box's heading, which no
    /// mean of angles represents) come from the cluster's best item.
    const AVERAGED: usize;

    /// How many leading axes the spatial search indexes (1 or 2).
    const AXES: usize;

    /// The coordinates.
    fn coords(&self) -> &[f64];

    /// The coordinates, to write.
    fn coords_mut(&mut self) -> &mut [f64];

    /// The tuple of zeros, to sum into.
    fn zero() -> Self;

    /// Intersection over union; 0 when the union is empty.
    fn iou(&self, other: &Self) -> f64;

    /// The area (length for a segment); fusion skips items of size 0, as ensemble-boxes does.
    fn size(&self) -> f64;

    /// The centre on the indexed axes (unused axes 0).
    fn centre(&self) -> [f64; 2];

    /// Half the sides of the box around [`Fusable::centre`] outside which no item's centre lies
    /// when its IoU with this one exceeds `threshold` (in `(0, 1]`), per indexed axis.
    ///
    /// Along an axis of extents `a` (this item) and `b`, IoU above `t` needs an overlap `o > t
    /// max(a, b)` (the intersection is at most `o` times the other axes' extents of either item,
    /// and exceeds `t` times either area), so `t a < b < a / t`; and the centres lie within `(a +
    /// b) / 2 - o`. The largest such distance is `a max(1 - t, (1 / t - 1) / 2)`.
    fn reach(&self, threshold: f64) -> [f64; 2];
}

/// The reach along one axis of an extent `len` at IoU threshold `t`, with a margin for rounding.
#[inline]
fn axis_reach(len: f64, threshold: f64) -> f64 {
    len * (1.0 - threshold).max(0.5 * (1.0 / threshold - 1.0)) * (1.0 + 1e-9)
}

impl Fusable for [f64; 4] {
    const NAMES: &'static [&'static str] = &["x1", "y1", "x2", "y2"];
    const ORDERED: &'static [(usize, usize)] = &[(0, 2), (1, 3)];
    const AVERAGED: usize = 4;
    const AXES: usize = 2;

    #[inline]
    fn coords(&self) -> &[f64] {
        self
    }

    #[inline]
    fn coords_mut(&mut self) -> &mut [f64] {
        self
    }

    #[inline]
    fn zero() -> Self {
        [0.0; 4]
    }

    #[inline]
    fn iou(&self, other: &Self) -> f64 {
        box_iou_pair(self, other, 0.0)
    }

    #[inline]
    fn size(&self) -> f64 {
        (self[2] - self[0]) * (self[3] - self[1])
    }

    #[inline]
    fn centre(&self) -> [f64; 2] {
        [0.5 * (self[0] + self[2]), 0.5 * (self[1] + self[3])]
    }

    #[inline]
    fn reach(&self, threshold: f64) -> [f64; 2] {
        [axis_reach(self[2] - self[0], threshold), axis_reach(self[3] - self[1], threshold)]
    }
}

impl Fusable for [f64; 2] {
    const NAMES: &'static [&'static str] = &["start", "end"];
    const ORDERED: &'static [(usize, usize)] = &[(0, 1)];
    const AVERAGED: usize = 2;
    const AXES: usize = 1;

    #[inline]
    fn coords(&self) -> &[f64] {
        self
    }

    #[inline]
    fn coords_mut(&mut self) -> &mut [f64] {
        self
    }

    #[inline]
    fn zero() -> Self {
        [0.0; 2]
    }

    #[inline]
    fn iou(&self, other: &Self) -> f64 {
        let inter = self[1].min(other[1]) - self[0].max(other[0]);
        if inter <= 0.0 {
            return 0.0;
        }
        let union = (self[1] - self[0]) + (other[1] - other[0]) - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    #[inline]
    fn size(&self) -> f64 {
        self[1] - self[0]
    }

    #[inline]
    fn centre(&self) -> [f64; 2] {
        [0.5 * (self[0] + self[1]), 0.0]
    }

    #[inline]
    fn reach(&self, threshold: f64) -> [f64; 2] {
        [axis_reach(self[1] - self[0], threshold), 0.0]
    }
}

/// A 3-D box `[x, y, z, dx, dy, dz, heading]`, `z` at the centre: 3-D IoU, averaged position and
/// sizes, the best member's heading.
impl Fusable for [f64; 7] {
    const NAMES: &'static [&'static str] = &["x", "y", "z", "dx", "dy", "dz", "heading"];
    const ORDERED: &'static [(usize, usize)] = &[];
    const SIZES: &'static [usize] = &[3, 4, 5];
    const AVERAGED: usize = 6;
    const AXES: usize = 2;

    #[inline]
    fn coords(&self) -> &[f64] {
        self
    }

    #[inline]
    fn coords_mut(&mut self) -> &mut [f64] {
        self
    }

    #[inline]
    fn zero() -> Self {
        [0.0; 7]
    }

    fn iou(&self, other: &Self) -> f64 {
        let height = (self[2] + 0.5 * self[5]).min(other[2] + 0.5 * other[5])
            - (self[2] - 0.5 * self[5]).max(other[2] - 0.5 * other[5]);
        if height <= 0.0 {
            return 0.0;
        }
        let footprint = |b: &Self| rotated_corners(&[b[0], b[1], b[3], b[4], b[6]]);
        let inter = intersection_area(&footprint(self), &footprint(other)) * height;
        let union = self.size() + other.size() - inter;
        if inter > 0.0 && union > 0.0 { inter / union } else { 0.0 }
    }

    #[inline]
    fn size(&self) -> f64 {
        self[3] * self[4] * self[5]
    }

    #[inline]
    fn centre(&self) -> [f64; 2] {
        [self[0], self[1]]
    }

    /// IoU above `t` puts the footprints' overlap at `>= t` times this footprint's area `A`
    /// (the volume overlap divided by a height overlap of at most this height), inside this
    /// footprint, of diagonal `D`. So the other footprint is at least `t A / D` wide, and at
    /// most `A / t^2` in area (its volume is below `V / t` and its height above `t` times this
    /// one's), hence at most `D / t^3` long. The centres lie within the two half-diagonals,
    /// `D / 2 + D / (sqrt(2) t^3)`.
    fn reach(&self, threshold: f64) -> [f64; 2] {
        let diagonal = self[3].hypot(self[4]);
        let r = (0.5 * diagonal + diagonal / (std::f64::consts::SQRT_2 * threshold.powi(3))) * (1.0 + 1e-9);
        [r, r]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reach is a true bound: every pair above the threshold has centres within it.
    #[test]
    fn reach_bounds_every_pair_above_the_threshold() {
        let mut rng = softkit_sim::Rng::new(7);
        let mut near = 0;
        for _ in 0..200_000 {
            let (x, y) = (rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.3));
            let a = [x, y, x + rng.uniform(1e-3, 0.5), y + rng.uniform(1e-3, 0.5)];
            // Around a: shifted and resized, so that many pairs sit near each bound.
            let (w, h) = (a[2] - a[0], a[3] - a[1]);
            let (bw, bh) = (w * rng.uniform(0.2, 5.0), h * rng.uniform(0.2, 5.0));
            let (bx, by) = (a[0] + w * rng.uniform(-1.5, 1.5), a[1] + h * rng.uniform(-1.5, 1.5));
            let b = [bx, by, bx + bw, by + bh];
            for t in [0.05, 0.3, 0.5, 0.55, 0.9] {
                if a.iou(&b) > t {
                    let (ca, cb, r) = (a.centre(), b.centre(), a.reach(t));
                    let (dx, dy) = ((ca[0] - cb[0]).abs(), (ca[1] - cb[1]).abs());
                    assert!(dx <= r[0] && dy <= r[1], "{a:?} {b:?} {t}");
                    near += usize::from(dx > 0.8 * r[0] || dy > 0.8 * r[1]);
                }
            }
        }
        // The bound is close, not merely true: some pairs come within 20% of it.
        assert!(near > 0, "no pair came within 20% of the bound");
    }

    #[test]
    fn segment_reach_bounds_every_pair_above_the_threshold() {
        let mut rng = softkit_sim::Rng::new(8);
        for _ in 0..100_000 {
            let a = [0.0, rng.uniform(0.01, 1.0)];
            let s = rng.uniform(-1.5, 1.5);
            let b = [s, s + a[1] * rng.uniform(0.2, 5.0)];
            for t in [0.05, 0.3, 0.5, 0.9] {
                if a.iou(&b) > t {
                    assert!((a.centre()[0] - b.centre()[0]).abs() <= a.reach(t)[0], "{a:?} {b:?} {t}");
                }
            }
        }
    }

    #[test]
    fn segment_iou_is_the_plain_formula() {
        assert_eq!([0.0, 4.0].iou(&[2.0, 6.0]), 2.0 / 6.0);
        assert_eq!([0.0, 4.0].iou(&[5.0, 6.0]), 0.0);
        assert_eq!([1.0, 1.0].iou(&[1.0, 1.0]), 0.0);
    }

    /// 3-D IoU of tuples equals the [`Boxes3d`](crate::Boxes3d) column's, and the reach bounds
    /// every pair above the threshold, including long thin and flat boxes at any heading.
    #[test]
    fn box3d_iou_matches_the_column_and_reach_bounds_every_pair() {
        use crate::{Box3dOrigin, Boxes3d, Iou, Measure};
        let mut rng = softkit_sim::Rng::new(9);
        let mut above = 0;
        for _ in 0..60_000 {
            let size = |rng: &mut softkit_sim::Rng| rng.uniform(0.05, 4.0);
            let a = [0.0, 0.0, 0.0, size(&mut rng), size(&mut rng), size(&mut rng), rng.uniform(-3.2, 3.2)];
            let scale = rng.uniform(0.2, 3.0);
            let b = [
                rng.uniform(-2.0, 2.0) * a[3],
                rng.uniform(-2.0, 2.0) * a[4],
                rng.uniform(-0.5, 0.5) * a[5],
                a[3] * scale * rng.uniform(0.3, 3.0),
                a[4] * scale * rng.uniform(0.3, 3.0),
                a[5] * rng.uniform(0.3, 3.0),
                a[6] + rng.uniform(-0.6, 0.6),
            ];
            let column = Boxes3d::new(&[a, b], Box3dOrigin::Centre).unwrap();
            let iou = a.iou(&b);
            assert!((iou - Iou.between(&column, 0, &column, 1)).abs() < 1e-12, "{a:?} {b:?}");
            assert!((iou - b.iou(&a)).abs() < 1e-12);
            for t in [0.1, 0.3, 0.55, 0.8] {
                if iou > t {
                    above += 1;
                    let (r, d) = (a.reach(t), (b[0] - a[0]).abs().max((b[1] - a[1]).abs()));
                    assert!(d <= r[0], "{a:?} {b:?} {t}");
                }
            }
        }
        // The bound is a worst case over needles and slabs, far from these pairs; it is proven in
        // `reach`'s doc, and this checks it holds where pairs do exceed the threshold.
        assert!(above > 1000, "too few pairs above a threshold: {above}");
    }
}
