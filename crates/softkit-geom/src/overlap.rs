//! The set view that the suppression engine walks: one column measured against itself.

use crate::{Bounded, Envelope, Geometry, Measure, Symmetric};

/// An indexed set of items with a symmetric overlap between any two of its members: what the
/// suppression engine walks.
///
/// Every geometry gets it generically through [`SetView`]; implement it by hand only for a set
/// that is not a column of one geometry.
///
/// # Contract
///
/// - `overlap(i, j) == overlap(j, i)`, and it is finite.
/// - If `envelope(i)` and `envelope(j)` are both `Some` and disjoint, `overlap(i, j) <= 0`.
///   Suppression policies treat an overlap of zero or less as "no interaction", which is what
///   lets a spatial index skip those pairs without changing the result. `None` means the item
///   may overlap anything, and the engine compares it with every other item.
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
/// let (a, c) = (set.envelope(0).unwrap(), set.envelope(2).unwrap());
/// assert!(!a.intersects(&c));
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Overlap<const D: usize>: Sync {
    /// Number of items in the set.
    fn len(&self) -> usize;

    /// Whether the set holds no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The overlap between items `i` and `j` (IoU or one of its relatives).
    fn overlap(&self, i: usize, j: usize) -> f64;

    /// Whether `overlap(i, j) > threshold`: what hard NMS asks. A set may answer "no" from a
    /// cheap bound without computing the overlap; the answer must equal the comparison's.
    #[inline]
    fn exceeds(&self, i: usize, j: usize, threshold: f64) -> bool {
        self.overlap(i, j) > threshold
    }

    /// `Some(overlap(i, j))` when it exceeds `threshold`, else `None`: what Soft-NMS asks. A set
    /// may answer `None` from a cheap bound; a value it returns must be `overlap`'s.
    #[inline]
    fn overlap_above(&self, i: usize, j: usize, threshold: f64) -> Option<f64> {
        let value = self.overlap(i, j);
        (value > threshold).then_some(value)
    }

    /// A box outside which item `i` overlaps nothing, or `None` when its reach is unbounded.
    fn envelope(&self, i: usize) -> Option<Envelope<D>>;

    /// A box outside which item `i` overlaps nothing by more than `threshold` (`>= 0`): if
    /// `reach(i, t)` and `reach(j, t)` are both `Some` and disjoint, `overlap(i, j) <= t`. Hard
    /// NMS and linear Soft-NMS ignore overlaps up to their threshold, so a measure that never
    /// reaches zero (OKS) still gets a finite reach there. By default the [`Overlap::envelope`].
    fn reach(&self, i: usize, threshold: f64) -> Option<Envelope<D>> {
        let _ = threshold;
        self.envelope(i)
    }
}

/// A geometry column measured against itself: the [`Overlap`] set that suppression walks, for any
/// [`Bounded`] geometry and [`Symmetric`] measure.
///
/// # Usage
///
/// Build the column (which validates it), pick a measure, and hand the view to
/// `softkit_nms::suppress`. [`BoxSet`](crate::BoxSet) is the view of `[x1, y1, x2, y2]` boxes.
///
/// # Type Parameters
///
/// - `G`: the geometry column ([`Boxes`](crate::Boxes), [`Masks`](crate::Masks), ...).
/// - `M`: the measure ([`Iou`](crate::Iou), [`IoMin`](crate::IoMin), [`BoxMeasure`](crate::BoxMeasure), ...).
///
/// # Examples
///
/// ```
/// use softkit_geom::{Boxes, IoMin, Overlap, SetView};
///
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [2.0, 2.0, 4.0, 4.0]];
/// let set = SetView::of(Boxes::new(&boxes, 0.0)?, IoMin);
/// assert_eq!(set.overlap(0, 1), 1.0);
/// assert_eq!(set.overlap(1, 0), 1.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SetView<G, M> {
    geometry: G,
    measure: M,
}

impl<G: Geometry, M: Measure<G> + Symmetric> SetView<G, M> {
    /// Measures `geometry` against itself by `measure`.
    pub fn of(geometry: G, measure: M) -> Self {
        Self { geometry, measure }
    }
}

impl<G, M> SetView<G, M> {
    /// The geometry column.
    pub fn geometry(&self) -> &G {
        &self.geometry
    }

    /// The measure.
    pub fn measure(&self) -> &M {
        &self.measure
    }
}

impl<const D: usize, G: Bounded<D>, M: Measure<G> + Symmetric> Overlap<D> for SetView<G, M> {
    #[inline]
    fn len(&self) -> usize {
        self.geometry.len()
    }

    #[inline]
    fn overlap(&self, i: usize, j: usize) -> f64 {
        self.measure.between(&self.geometry, i, &self.geometry, j)
    }

    #[inline]
    fn exceeds(&self, i: usize, j: usize, threshold: f64) -> bool {
        self.measure.exceeds(&self.geometry, i, &self.geometry, j, threshold)
    }

    #[inline]
    fn overlap_above(&self, i: usize, j: usize, threshold: f64) -> Option<f64> {
        self.measure.between_above(&self.geometry, i, &self.geometry, j, threshold)
    }

    #[inline]
    fn envelope(&self, i: usize) -> Option<Envelope<D>> {
        self.measure.finite_reach().then(|| self.geometry.envelope(i))
    }

    #[inline]
    fn reach(&self, i: usize, threshold: f64) -> Option<Envelope<D>> {
        let margin = self.measure.reach_margin(&self.geometry, i, threshold)?;
        Some(self.geometry.envelope(i).widened(margin))
    }
}
