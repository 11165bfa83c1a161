//! 3-D boxes `(x, y, z, dx, dy, dz, heading)` (lidar detection): exact 3-D IoU as the bird's-eye
//! rotated intersection times the overlap in height.

use crate::format::{TOO_SMALL, underflowing_side};
use crate::{Bounded, Coord, Envelope, GeomError, Geometry, Intersect, Iou, Measure, RotatedBoxes, RotatedFormat};

/// Where a 3-D box's `z` sits.
///
/// # Examples
///
/// ```
/// use softkit_geom::Box3dOrigin;
///
/// assert_eq!("bottom".parse::<Box3dOrigin>(), Ok(Box3dOrigin::Bottom));
/// assert_eq!("centre".parse::<Box3dOrigin>(), Ok(Box3dOrigin::Centre));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Box3dOrigin {
    /// `z` is the box's centre (OpenPCDet, the default).
    #[default]
    Centre,
    /// `z` is the bottom face's centre (mmdet3d's LiDAR boxes).
    Bottom,
}

impl std::str::FromStr for Box3dOrigin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "centre" | "center" | "gravity" => Ok(Box3dOrigin::Centre),
            "bottom" | "lidar" => Ok(Box3dOrigin::Bottom),
            other => Err(format!(
                "box origin = {other:?} is invalid: expected \"centre\" (or \"center\", \"gravity\") or \"bottom\" (or \"lidar\")"
            )),
        }
    }
}

/// A validated column of 3-D boxes `(x, y, z, dx, dy, dz, heading)` in OpenPCDet's convention:
/// the centre, the sizes along the box's own axes, and the yaw about `z`, which turns the `dx`
/// axis from `+x` towards `+y` (the bird's-eye view is a [`RotatedBoxes`] `(x, y, dx, dy,
/// heading)`).
///
/// # Usage
///
/// Measure it with [`Iou`](crate::Iou) (3-D IoU: the bird's-eye intersection area times the
/// height overlap, over the union of volumes) through a [`SetView`](crate::SetView) or a
/// [`PairView`](crate::PairView). Bird's-eye IoU, which lidar NMS often uses, is the
/// [`bev`](Boxes3d::bev) column measured by [`ShapeMeasure`](crate::ShapeMeasure) or `Iou`.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Box3dOrigin, Boxes3d, Geometry, Iou, Measure};
///
/// // Two cars side by side, half overlapping, and the first one again, stacked above it.
/// let boxes = [[0.0_f64, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0], [2.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0], [0.0, 0.0, 1.5, 4.0, 2.0, 1.5, 0.0]];
/// let cars = Boxes3d::new(&boxes, Box3dOrigin::Centre)?;
/// assert_eq!(cars.area(0), 12.0); // its volume
/// assert!((Iou.between(&cars, 0, &cars, 1) - 1.0 / 3.0).abs() < 1e-12);
/// assert_eq!(Iou.between(&cars, 0, &cars, 2), 0.0); // touching faces share no volume
/// assert_eq!(Iou.between(cars.bev(), 0, cars.bev(), 2), 1.0); // the same footprint
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Boxes3d {
    bev: RotatedBoxes,
    /// `[bottom, top]` of each box.
    heights: Vec<[f64; 2]>,
}

/// The largest coordinate magnitude of a 3-D box: volumes, products of three sizes, and their
/// unions stay finite in `f64`.
const MAX_MAGNITUDE_3D: f64 = 1e100;

/// What a 3-D coordinate beyond [`MAX_MAGNITUDE_3D`] is told.
const TOO_LARGE_3D: &str =
    "a magnitude of at most 1e100, beyond which volumes overflow float64 (rescale the coordinates)";

impl Boxes3d {
    /// Validates `boxes` (finite, sizes at least 0), with `z` at `origin`.
    ///
    /// # Errors
    ///
    /// [`GeomError::Item`] naming the first bad box (`boxes3d[i]`) and field.
    pub fn new<T: Coord>(boxes: &[[T; 7]], origin: Box3dOrigin) -> Result<Self, GeomError> {
        const FIELDS: [&str; 7] = ["x", "y", "z", "dx", "dy", "dz", "heading"];
        let mut bev = Vec::with_capacity(boxes.len());
        let mut heights = Vec::with_capacity(boxes.len());
        for (index, b) in boxes.iter().enumerate() {
            let b = b.map(|v| v.to_f64());
            let bad = |field, value, expected| GeomError::Item { items: "boxes3d", index, field, value, expected };
            if let Some((field, &value)) = FIELDS.iter().zip(&b).find(|(_, v)| !v.is_finite()) {
                return Err(bad(field, value, "a finite number"));
            }
            if let Some((field, &value)) = FIELDS[..6].iter().zip(&b).find(|(_, v)| v.abs() > MAX_MAGNITUDE_3D) {
                return Err(bad(field, value, TOO_LARGE_3D));
            }
            if let Some(axis) = (3..6).find(|&axis| b[axis] < 0.0) {
                return Err(bad(FIELDS[axis], b[axis], "a size >= 0"));
            }
            if let Some(side) = underflowing_side(&[b[3], b[4], b[5]]) {
                return Err(bad(FIELDS[3 + side], b[3 + side], TOO_SMALL));
            }
            let [x, y, z, dx, dy, dz, heading] = b;
            bev.push([x, y, dx, dy, heading]);
            let bottom = if origin == Box3dOrigin::Bottom { z } else { z - 0.5 * dz };
            heights.push([bottom, bottom + dz]);
        }
        Ok(Self { bev: RotatedBoxes::new(&bev, RotatedFormat::Radians)?, heights })
    }

    /// The bird's-eye view: rotated boxes `(x, y, dx, dy, heading)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Box3dOrigin, Boxes3d};
    ///
    /// let boxes = Boxes3d::new(&[[1.0, 2.0, 0.5, 4.0, 2.0, 1.5, 0.3]], Box3dOrigin::Centre)?;
    /// assert_eq!(boxes.bev().get(0), [1.0, 2.0, 4.0, 2.0, 0.3]);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn bev(&self) -> &RotatedBoxes {
        &self.bev
    }

    /// The bird's-eye view, owned: for suppression by bird's-eye IoU.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Box3dOrigin, Boxes3d, Geometry};
    ///
    /// let boxes = Boxes3d::new(&[[0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0]], Box3dOrigin::Centre)?;
    /// let footprints = boxes.into_bev();
    /// assert_eq!(footprints.area(0), 8.0);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn into_bev(self) -> RotatedBoxes {
        self.bev
    }

    /// `[bottom, top]` of box `i`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Box3dOrigin, Boxes3d};
    ///
    /// let row = [[0.0, 0.0, 1.0, 4.0, 2.0, 1.5, 0.0]];
    /// assert_eq!(Boxes3d::new(&row, Box3dOrigin::Centre)?.heights(0), [0.25, 1.75]);
    /// assert_eq!(Boxes3d::new(&row, Box3dOrigin::Bottom)?.heights(0), [1.0, 2.5]);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn heights(&self, i: usize) -> [f64; 2] {
        self.heights[i]
    }
}

impl Geometry for Boxes3d {
    #[inline]
    fn len(&self) -> usize {
        self.heights.len()
    }

    /// The volume.
    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.bev.area(i) * (self.heights[i][1] - self.heights[i][0])
    }
}

impl Bounded<3> for Boxes3d {
    #[inline]
    fn envelope(&self, i: usize) -> Envelope<3> {
        let (plane, [bottom, top]) = (self.bev.envelope(i), self.heights[i]);
        Envelope::new([plane.min[0], plane.min[1], bottom], [plane.max[0], plane.max[1], top])
    }
}

impl Intersect for Boxes3d {
    #[inline]
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        let (a, b) = (self.heights[i], other.heights[j]);
        let height = a[1].min(b[1]) - a[0].max(b[0]);
        if height <= 0.0 {
            return 0.0;
        }
        self.bev.intersection(i, &other.bev, j) * height
    }
}

/// Bird's-eye-view IoU of 3-D boxes: the IoU of their [`bev`](Boxes3d::bev) footprints, heights
/// ignored. For evaluation (a [`PairView`](crate::PairView)); suppression by BEV takes the
/// footprints themselves, whose envelopes have no height.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BevIou, Box3dOrigin, Boxes3d, Measure};
///
/// let stacked = [[0.0_f64, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0], [0.0, 0.0, 5.0, 4.0, 2.0, 1.5, 0.0]];
/// let boxes = Boxes3d::new(&stacked, Box3dOrigin::Centre)?;
/// assert_eq!(BevIou.between(&boxes, 0, &boxes, 1), 1.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BevIou;

impl Measure<Boxes3d> for BevIou {
    fn between(&self, a: &Boxes3d, i: usize, b: &Boxes3d, j: usize) -> f64 {
        Iou.between(a.bev(), i, b.bev(), j)
    }

    fn crowd(&self, dt: &Boxes3d, i: usize, gt: &Boxes3d, j: usize) -> f64 {
        Iou.crowd(dt.bev(), i, gt.bev(), j)
    }

    fn finite_reach(&self) -> bool {
        // Boxes apart in height still overlap in the bird's-eye view: their 3-D envelopes say
        // nothing about this measure.
        false
    }
}
