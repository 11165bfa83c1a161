//! Rotated boxes `(cx, cy, w, h, angle)`: their encodings, validation, corners and exact
//! intersection areas.
//!
//! ```text
//!   x grows to the right, y grows downwards (image coordinates)
//!
//!      +---------------------> x
//!      |           h-axis (-sin a, cos a)
//!      |             \
//!      |        c3 ___\______ c2          u = (w/2)(cos a, sin a)
//!      |          /    \     \            v = (h/2)(-sin a, cos a)
//!      |         /  (cx, cy)--\--> w-axis (cos a, sin a), a > 0 turns +x towards +y
//!      |        /_____________/
//!      v      c0             c1           corners c0..c3 = c - u - v, c + u - v, c + u + v, c - u + v
//!      y
//! ```
//!
//! A positive angle turns the width axis from `+x` towards `+y`: counter-clockwise in the
//! mathematician's y-up frame, and therefore *clockwise as seen on a screen*, where y points down.
//! This is the convention of mmrotate (`obb2poly`), ultralytics' OBB heads (`xywhr`), OpenCV's
//! `RotatedRect`/`boxPoints` (in degrees) and shapely's `rotate`. Only the unit and the range of
//! the angle differ between them, and a box is the same box in every range: `(w, h, a)`,
//! `(w, h, a + pi)` and `(h, w, a + pi/2)` cover the same points.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use crate::convex::{Point, hull_area, intersection_area, translated};
use crate::{Bounded, Coord, Envelope, GeomError, Geometry, Hull, Intersect, SetView, ShapeMeasure};

/// How the five numbers of a rotated box `(cx, cy, w, h, angle)` write the angle: its unit, and
/// for mmrotate's conventions the range it must lie in.
///
/// Every format describes the same geometry (see the [module](self) sketch); the range formats
/// only check the range, which catches degrees passed as radians. [`convert_rotated`] moves boxes
/// between formats, and writes the range formats in their canonical form.
///
/// # Examples
///
/// ```
/// use softkit_geom::RotatedFormat;
///
/// assert_eq!("le90".parse::<RotatedFormat>(), Ok(RotatedFormat::Le90));
/// assert_eq!("opencv".parse::<RotatedFormat>(), Ok(RotatedFormat::Degrees));
/// assert_eq!(RotatedFormat::Degrees.radians(90.0), std::f64::consts::FRAC_PI_2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RotatedFormat {
    /// Radians, any value (ultralytics `xywhr`, the internal form).
    #[default]
    Radians,
    /// Degrees, any value (OpenCV's `RotatedRect`, `cv2.minAreaRect`, `cv2.boxPoints`).
    Degrees,
    /// mmrotate's "le90": radians in `[-pi/2, pi/2]`; written with `w >= h` (the long edge).
    Le90,
    /// mmrotate's "le135": radians in `[-pi/4, 3 pi/4]`; written with `w >= h`.
    Le135,
    /// mmrotate's "oc" (OpenCV's pre-4.5.1 `minAreaRect`): radians in `(0, pi/2]`.
    Oc,
}

impl std::str::FromStr for RotatedFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "radians" | "rad" | "xywhr" => Ok(RotatedFormat::Radians),
            "degrees" | "deg" | "opencv" => Ok(RotatedFormat::Degrees),
            "le90" => Ok(RotatedFormat::Le90),
            "le135" => Ok(RotatedFormat::Le135),
            "oc" => Ok(RotatedFormat::Oc),
            other => Err(format!(
                "rotated format = {other:?} is invalid: expected \"radians\", \"degrees\" (or \"opencv\"), \"le90\", \"le135\" or \"oc\""
            )),
        }
    }
}

impl RotatedFormat {
    /// The angle `value`, written in this format, in radians.
    pub fn radians(self, value: f64) -> f64 {
        match self {
            RotatedFormat::Degrees => value.to_radians(),
            _ => value,
        }
    }

    /// The closed range an angle in radians must lie in, and its description.
    fn range(self) -> Option<(f64, f64, &'static str)> {
        match self {
            RotatedFormat::Radians | RotatedFormat::Degrees => None,
            RotatedFormat::Le90 => Some((-FRAC_PI_2, FRAC_PI_2, "an angle in [-pi/2, pi/2] radians (le90)")),
            RotatedFormat::Le135 => Some((-FRAC_PI_4, 3.0 * FRAC_PI_4, "an angle in [-pi/4, 3 pi/4] radians (le135)")),
            RotatedFormat::Oc => Some((0.0, FRAC_PI_2, "an angle in (0, pi/2] radians (oc)")),
        }
    }

    /// Checks every box: finite numbers, sizes at least 0, and the angle within this format's
    /// range. Returns the boxes in radians.
    ///
    /// # Errors
    ///
    /// [`GeomError::RotatedBox`] naming the first bad box, its field and its value.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::RotatedFormat;
    ///
    /// let ok = RotatedFormat::Degrees.validate(&[[0.0_f64, 0.0, 4.0, 2.0, 90.0]])?;
    /// assert_eq!(ok[0][4], std::f64::consts::FRAC_PI_2);
    /// let err = RotatedFormat::Le90.validate(&[[0.0_f64, 0.0, 4.0, 2.0, 90.0]]).unwrap_err();
    /// assert_eq!(err.to_string(), "rboxes[0].angle = 90 is invalid: an angle in [-pi/2, pi/2] radians (le90)");
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn validate<T: Coord>(self, boxes: &[[T; 5]]) -> Result<Vec<[f64; 5]>, GeomError> {
        const FIELDS: [&str; 5] = ["cx", "cy", "w", "h", "angle"];
        let bad = |index, field, value, expected| Err(GeomError::RotatedBox { index, field, value, expected });
        boxes
            .iter()
            .enumerate()
            .map(|(index, b)| {
                let b = b.map(|v| v.to_f64());
                for (field, &value) in FIELDS.iter().zip(&b) {
                    if !value.is_finite() {
                        return bad(index, field, value, "a finite number");
                    }
                }
                for axis in [2, 3] {
                    if b[axis] < 0.0 {
                        return bad(index, FIELDS[axis], b[axis], "a size >= 0");
                    }
                }
                let angle = self.radians(b[4]);
                if let Some((low, high, expected)) = self.range() {
                    let below = if self == RotatedFormat::Oc { angle <= low } else { angle < low };
                    if below || angle > high {
                        return bad(index, "angle", b[4], expected);
                    }
                }
                Ok([b[0], b[1], b[2], b[3], angle])
            })
            .collect()
    }

    /// Writes a box given in radians in this format.
    fn encode(self, b: [f64; 5]) -> [f64; 5] {
        let [cx, cy, w, h, angle] = b;
        // The long edge first, then the angle folded by pi (a box turned by pi is the same box).
        let long_edge = |low: f64| {
            let (w, h, angle) = if w >= h { (w, h, angle) } else { (h, w, angle + FRAC_PI_2) };
            [cx, cy, w, h, fold(angle, low)]
        };
        match self {
            RotatedFormat::Radians => b,
            RotatedFormat::Degrees => [cx, cy, w, h, angle.to_degrees()],
            RotatedFormat::Le90 => long_edge(-FRAC_PI_2),
            RotatedFormat::Le135 => long_edge(-FRAC_PI_4),
            RotatedFormat::Oc => {
                // Into (0, pi/2]: fold by pi/2, swapping the sides with each quarter turn.
                let folded = fold(angle, 0.0);
                let (w, h, angle) = if folded > FRAC_PI_2 { (h, w, folded - FRAC_PI_2) } else { (w, h, folded) };
                if angle == 0.0 { [cx, cy, h, w, FRAC_PI_2] } else { [cx, cy, w, h, angle] }
            }
        }
    }
}

/// `angle + k pi` in `[low, low + pi)`.
fn fold(angle: f64, low: f64) -> f64 {
    let folded = low + (angle - low).rem_euclid(PI);
    if folded >= low + PI { low } else { folded }
}

/// Converts rotated boxes between [`RotatedFormat`]s. The boxes stay the same boxes; the range
/// formats come out canonical (long edge first for le90 and le135).
///
/// # Errors
///
/// As [`RotatedFormat::validate`] for the input format.
///
/// # Examples
///
/// ```
/// use softkit_geom::{RotatedFormat, convert_rotated};
///
/// // OpenCV's ((10, 20), (2, 6), 30 degrees) in le90: the long side first.
/// let le90 = convert_rotated(&[[10.0_f64, 20.0, 2.0, 6.0, 30.0]], RotatedFormat::Degrees, RotatedFormat::Le90)?;
/// let [cx, cy, w, h, angle] = le90[0];
/// assert_eq!((cx, cy, w, h), (10.0, 20.0, 6.0, 2.0));
/// assert!((angle - 120_f64.to_radians() + std::f64::consts::PI).abs() < 1e-12);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub fn convert_rotated<T: Coord>(
    boxes: &[[T; 5]],
    from: RotatedFormat,
    to: RotatedFormat,
) -> Result<Vec<[f64; 5]>, GeomError> {
    Ok(from.validate(boxes)?.into_iter().map(|b| to.encode(b)).collect())
}

/// The corners of a rotated box given in radians, in counter-clockwise ring order (in the y-up
/// sense that the shoelace formula counts positive): `c - u - v`, `c + u - v`, `c + u + v`,
/// `c - u + v`.
///
/// # Examples
///
/// ```
/// let corners = softkit_geom::rotated_corners(&[0.0, 0.0, 4.0, 2.0, 0.0]);
/// assert_eq!(corners, [[-2.0, -1.0], [2.0, -1.0], [2.0, 1.0], [-2.0, 1.0]]);
/// ```
pub fn rotated_corners(b: &[f64; 5]) -> [[f64; 2]; 4] {
    let [cx, cy, w, h, angle] = *b;
    let (sin, cos) = angle.sin_cos();
    let (u, v) = ([0.5 * w * cos, 0.5 * w * sin], [-0.5 * h * sin, 0.5 * h * cos]);
    [
        [cx - u[0] - v[0], cy - u[1] - v[1]],
        [cx + u[0] - v[0], cy + u[1] - v[1]],
        [cx + u[0] + v[0], cy + u[1] + v[1]],
        [cx - u[0] + v[0], cy - u[1] + v[1]],
    ]
}

/// A validated column of rotated boxes `(cx, cy, w, h, angle)` with precomputed corners, areas
/// and envelopes.
///
/// # Usage
///
/// Build it from boxes in any [`RotatedFormat`]; measure it with [`Iou`], [`IoMin`](crate::IoMin)
/// or [`ShapeMeasure`] (which adds GIoU) through a [`SetView`] (suppression, see
/// [`RotatedSet`]) or a [`PairView`](crate::PairView) (evaluation).
///
/// # Runtime and Performance
///
/// Construction is `O(n)`. An intersection translates both boxes next to the origin (so that
/// huge coordinates keep their digits) and clips one by the other with a Sutherland–Hodgman
/// clipper on the stack, about a hundred nanoseconds; boxes whose envelopes miss cost a compare.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, Intersect, RotatedBoxes, RotatedFormat};
///
/// // A 4 x 4 square, and the same square turned by 45 degrees.
/// let boxes = RotatedBoxes::new(&[[0.0_f64, 0.0, 4.0, 4.0, 0.0], [0.0, 0.0, 4.0, 4.0, 45.0]], RotatedFormat::Degrees)?;
/// assert_eq!(boxes.area(1), 16.0);
/// let octagon = 32.0 * (2f64.sqrt() - 1.0); // the regular octagon both squares share
/// assert!((boxes.intersection(0, &boxes, 1) - octagon).abs() < 1e-12);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RotatedBoxes {
    boxes: Vec<[f64; 5]>,
    corners: Vec<[Point; 4]>,
    areas: Vec<f64>,
}

impl RotatedBoxes {
    /// Validates `boxes`, written in `format`, and precomputes their corners and areas.
    ///
    /// # Errors
    ///
    /// [`GeomError::RotatedBox`] naming the first box with a non-finite number, a negative size
    /// or an angle outside `format`'s range.
    pub fn new<T: Coord>(boxes: &[[T; 5]], format: RotatedFormat) -> Result<Self, GeomError> {
        let boxes = format.validate(boxes)?;
        let corners = boxes.iter().map(rotated_corners).collect();
        let areas = boxes.iter().map(|b| b[2] * b[3]).collect();
        Ok(Self { boxes, corners, areas })
    }

    /// Box `i` in radians, as validated.
    pub fn get(&self, i: usize) -> [f64; 5] {
        self.boxes[i]
    }

    /// The corners of box `i` (see [`rotated_corners`]).
    pub fn corners(&self, i: usize) -> [[f64; 2]; 4] {
        self.corners[i]
    }
}

impl Geometry for RotatedBoxes {
    #[inline]
    fn len(&self) -> usize {
        self.boxes.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.areas[i]
    }
}

impl Bounded<2> for RotatedBoxes {
    #[inline]
    fn envelope(&self, i: usize) -> Envelope<2> {
        ring_envelope(&self.corners[i])
    }
}

impl Intersect for RotatedBoxes {
    #[inline]
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        if self.areas[i] <= 0.0 || other.areas[j] <= 0.0 || !self.envelope(i).intersects(&other.envelope(j)) {
            return 0.0;
        }
        let origin = [self.boxes[i][0], self.boxes[i][1]];
        intersection_area(&translated(&self.corners[i], origin), &translated(&other.corners[j], origin))
    }
}

impl Hull for RotatedBoxes {
    fn hull_area(&self, i: usize, other: &Self, j: usize) -> f64 {
        let origin = [self.boxes[i][0], self.boxes[i][1]];
        hull_area(&translated(&self.corners[i], origin), &translated(&other.corners[j], origin))
    }
}

/// The envelope of a ring of points.
pub(crate) fn ring_envelope(ring: &[Point]) -> Envelope<2> {
    let mut envelope = Envelope::new([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in ring {
        for (axis, &value) in p.iter().enumerate() {
            envelope.min[axis] = envelope.min[axis].min(value);
            envelope.max[axis] = envelope.max[axis].max(value);
        }
    }
    envelope
}

/// Rotated boxes under a [`ShapeMeasure`]: the [`Overlap`](crate::Overlap) set that rotated
/// suppression walks.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Overlap, RotatedFormat, RotatedSet, ShapeMeasure};
///
/// let boxes = [[0.0_f32, 0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 2.0, 1.0, std::f32::consts::PI]];
/// let set = RotatedSet::new(&boxes, RotatedFormat::Radians, ShapeMeasure::Iou)?;
/// assert!((set.overlap(0, 1) - 1.0).abs() < 1e-6); // half a turn: the same box
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub type RotatedSet = SetView<RotatedBoxes, ShapeMeasure>;

impl SetView<RotatedBoxes, ShapeMeasure> {
    /// Validates `boxes` and prepares them for overlap queries under `measure`.
    ///
    /// # Errors
    ///
    /// As [`RotatedBoxes::new`].
    pub fn new<T: Coord>(boxes: &[[T; 5]], format: RotatedFormat, measure: ShapeMeasure) -> Result<Self, GeomError> {
        Ok(SetView::of(RotatedBoxes::new(boxes, format)?, measure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Iou, Measure};

    #[test]
    fn a_quarter_turn_swaps_the_sides() {
        let boxes =
            RotatedBoxes::new(&[[0.0, 0.0, 4.0, 2.0, 0.0], [0.0, 0.0, 2.0, 4.0, FRAC_PI_2]], RotatedFormat::Radians)
                .unwrap();
        assert!((Iou.between(&boxes, 0, &boxes, 1) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn far_apart_and_empty_boxes_do_not_intersect() {
        let boxes = RotatedBoxes::new(
            &[[0.0, 0.0, 4.0, 2.0, 0.3], [100.0, 0.0, 4.0, 2.0, 0.3], [0.0, 0.0, 0.0, 2.0, 0.3]],
            RotatedFormat::Radians,
        )
        .unwrap();
        assert_eq!(boxes.intersection(0, &boxes, 1), 0.0);
        assert_eq!(Iou.between(&boxes, 0, &boxes, 2), 0.0);
    }

    #[test]
    fn huge_coordinates_keep_their_digits() {
        let (c, d) = (1.0e7, 0.25);
        let boxes =
            RotatedBoxes::new(&[[c, c, 1.0, 1.0, 0.0], [c + d, c, 1.0, 1.0, 0.0]], RotatedFormat::Radians).unwrap();
        assert!((boxes.intersection(0, &boxes, 1) - 0.75).abs() < 1e-9);
    }

    #[test]
    fn every_format_round_trips_to_the_same_box() {
        let input = [[3.0, 4.0, 2.0, 6.0, 2.5], [0.0, 0.0, 5.0, 5.0, -3.0], [1.0, 1.0, 3.0, 1.0, 0.0]];
        let reference = RotatedBoxes::new(&input, RotatedFormat::Radians).unwrap();
        for to in [RotatedFormat::Degrees, RotatedFormat::Le90, RotatedFormat::Le135, RotatedFormat::Oc] {
            let converted = convert_rotated(&input, RotatedFormat::Radians, to).unwrap();
            let again = RotatedBoxes::new(&converted, to).unwrap();
            for i in 0..input.len() {
                let iou = Iou.between(&reference, i, &again, i);
                assert!((iou - 1.0).abs() < 1e-9, "{to:?} box {i}: {:?} -> {:?} (IoU {iou})", input[i], converted[i]);
            }
        }
    }

    #[test]
    fn names_the_bad_field() {
        let err = RotatedBoxes::new(&[[0.0, 0.0, 1.0, 1.0, 0.0], [0.0, 0.0, -1.0, 1.0, 0.0]], RotatedFormat::Radians)
            .unwrap_err();
        assert_eq!(err.to_string(), "rboxes[1].w = -1 is invalid: a size >= 0");
        let err = RotatedBoxes::new(&[[0.0, 0.0, 1.0, 1.0, f64::NAN]], RotatedFormat::Radians).unwrap_err();
        assert_eq!(err.to_string(), "rboxes[0].angle = NaN is invalid: a finite number");
        let err = RotatedBoxes::new(&[[0.0, 0.0, 1.0, 1.0, 0.0]], RotatedFormat::Oc).unwrap_err();
        assert_eq!(err.to_string(), "rboxes[0].angle = 0 is invalid: an angle in (0, pi/2] radians (oc)");
    }
}
