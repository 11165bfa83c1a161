//! Items that fusion merges: coordinate tuples that average, and that measure by IoU against any
//! tuple of their kind, averaged or not.

use crate::box_iou_pair;

/// A coordinate tuple that box fusion (WBF, NMW) can merge: `[x1, y1, x2, y2]` boxes and
/// `[start, end]` segments.
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
}
