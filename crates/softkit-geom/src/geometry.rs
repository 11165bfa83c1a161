//! What every geometry says about itself: how many items it holds, their sizes, their
//! envelopes, and how much two of them intersect.

use crate::Envelope;

/// An indexed column of geometries of one kind: boxes, masks, keypoints, time segments...
///
/// A geometry is written once, as a type implementing this trait (plus [`Bounded`] and, where
/// intersection is defined, [`Intersect`]). Suppression ([`Overlap`](crate::Overlap), through
/// [`SetView`](crate::SetView)) and evaluation ([`PairOverlap`](crate::PairOverlap), through
/// [`PairView`](crate::PairView)) then take it with no code of their own.
///
/// # Usage
///
/// Constructors validate every item (finite coordinates, ordered corners, ...), so a column that
/// exists is valid, and its methods never fail. Columns precompute what repeated queries need
/// (areas, boxes), so each query is a cheap pure function of indices.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Boxes, Geometry};
///
/// let boxes = [[0.0_f32, 0.0, 4.0, 2.0], [1.0, 1.0, 2.0, 2.0]];
/// let column = Boxes::new(&boxes, 0.0)?;
/// assert_eq!(column.len(), 2);
/// assert_eq!(column.area(0), 8.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Geometry: Sync {
    /// Number of items.
    fn len(&self) -> usize;

    /// Whether the column holds no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of item `i` that overlap ratios divide by: a length (1-D), an area (2-D) or a
    /// volume (3-D). For keypoints it is the object's `area` field, the scale of OKS.
    fn area(&self, i: usize) -> f64;
}

/// A geometry whose items each fit in an axis-aligned [`Envelope`] of `D` dimensions.
///
/// Outside its envelope an item covers nothing, so items with disjoint envelopes never
/// intersect. A spatial index built over the envelopes lets a query visit only neighbours.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Bounded, Boxes, Envelope};
///
/// let boxes = [[1.0_f64, 2.0, 3.0, 5.0]];
/// let column = Boxes::new(&boxes, 0.0)?;
/// assert_eq!(column.envelope(0), Envelope::new([1.0, 2.0], [3.0, 5.0]));
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Bounded<const D: usize>: Geometry {
    /// The envelope of item `i`.
    fn envelope(&self, i: usize) -> Envelope<D>;
}

/// A geometry in which two items have an intersection of measurable size.
///
/// From it, [`Iou`](crate::Iou) (with COCO's crowd rule) and [`IoMin`](crate::IoMin) follow for
/// free.
///
/// # Contract
///
/// `intersection(i, other, j)` is finite, at least `0`, symmetric, and at most the smaller of
/// the two items' [`area`](Geometry::area)s; items whose envelopes are disjoint intersect in `0`.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Boxes, Intersect};
///
/// let boxes = [[0.0_f32, 0.0, 4.0, 4.0], [2.0, 2.0, 6.0, 6.0]];
/// let column = Boxes::new(&boxes, 0.0)?;
/// assert_eq!(column.intersection(0, &column, 1), 4.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub trait Intersect: Geometry {
    /// The size of the intersection of item `i` of `self` with item `j` of `other`.
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64;
}
