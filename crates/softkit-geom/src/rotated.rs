//! Rotated boxes `(cx, cy, w, h, angle)`: their encodings, validation, corners and exact
//! intersection areas. The angle convention is drawn on [`RotatedBoxes`].

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use crate::convex::{Point, hull_area};
use crate::format::{MAX_MAGNITUDE, TOO_LARGE, TOO_SMALL, underflowing_side};
use crate::shape_measure::BOUND_MARGIN;
use crate::{Bounded, Coord, Envelope, GeomError, Geometry, Hull, Intersect, SetView, ShapeMeasure};

/// How the five numbers of a rotated box `(cx, cy, w, h, angle)` write the angle: its unit, and
/// for mmrotate's conventions the range it must lie in.
///
/// Every format describes the same geometry (see the sketch on [`RotatedBoxes`]); the range formats
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
                    if *field != "angle" && value.abs() > MAX_MAGNITUDE {
                        return bad(index, field, value, TOO_LARGE);
                    }
                }
                for axis in [2, 3] {
                    if b[axis] < 0.0 {
                        return bad(index, FIELDS[axis], b[axis], "a size >= 0");
                    }
                }
                if let Some(side) = underflowing_side(&[b[2], b[3]]) {
                    return bad(index, FIELDS[2 + side], b[2 + side], TOO_SMALL);
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
/// # Convention
///
/// ```text
///   image coordinates, drawn at a = 0       a > 0 turns the w-axis from +x towards +y:
///                                          clockwise on a screen, where y points down
///     +------------------------------> x
///     |   c0 +-------------+ c1            u = (w/2)(cos a, sin a)
///     |      |  (cx, cy) --|--> w-axis     v = (h/2)(-sin a, cos a)
///     |   c3 +------|------+ c2            c0 = c - u - v,  c1 = c + u - v
///     |             v h-axis               c2 = c + u + v,  c3 = c - u + v
///     v y
/// ```
///
/// A positive angle turns the width axis from `+x` towards `+y`: counter-clockwise in the
/// mathematician's y-up frame, and therefore *clockwise as seen on a screen*, where y points down.
/// This is the convention of mmrotate (`obb2poly`), ultralytics' OBB heads (`xywhr`), OpenCV's
/// `RotatedRect`/`boxPoints` (in degrees) and shapely's `rotate`. Only the unit and the range of
/// the angle differ between them, and a box is the same box in every range: `(w, h, a)`,
/// `(w, h, a + pi)` and `(h, w, a + pi/2)` cover the same points.
///
/// # Usage
///
/// Build it from boxes in any [`RotatedFormat`]; measure it with [`Iou`](crate::Iou), [`IoMin`](crate::IoMin)
/// or [`ShapeMeasure`] (which adds GIoU) through a [`SetView`] (suppression, see
/// [`RotatedSet`]) or a [`PairView`](crate::PairView) (evaluation).
///
/// # Runtime and Performance
///
/// Construction is `O(n)`. An intersection works in the smaller box's own frame (so that huge
/// coordinates and thin boxes keep their digits): a separating-axis test rejects disjoint
/// pairs in about 10 ns, and the area of the other box inside it is a closed-form sum over its
/// four edges (Green's theorem), under 100 ns. Boxes along the image axes overlap as
/// `[x1, y1, x2, y2]` boxes do.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, Intersect, RotatedBoxes, RotatedFormat};
///
/// // A 4 x 4 square, and the same square turned by 45 degrees.
/// let boxes = RotatedBoxes::new(&[[0.0_f64, 0.0, 4.0, 4.0, 0.0], [0.0, 0.0, 4.0, 4.0, 45.0]], RotatedFormat::Degrees)?;
/// assert!((boxes.area(1) - 16.0).abs() < 1e-12); // the area of its corners
/// let octagon = 32.0 * (2f64.sqrt() - 1.0); // the regular octagon both squares share
/// assert!((boxes.intersection(0, &boxes, 1) - octagon).abs() < 1e-12);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RotatedBoxes {
    boxes: Vec<[f64; 5]>,
    /// What a query reads, one cache line per box.
    frames: Vec<Frame>,
}

/// A box as a frame: a pair is clipped in the first box's own frame, where that box is
/// axis-aligned and centred, so huge centres never enter the arithmetic.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
struct Frame {
    centre: [f64; 2],
    /// Half the sides: the corners are `±half` in the frame.
    half: [f64; 2],
    /// `[cos, sin]` of the angle.
    turn: [f64; 2],
    /// `w * h`, bit for bit (halving and doubling are exact); for a box along the image axes,
    /// the area of its rounded corners, as box IoU takes it, so that it overlaps itself fully.
    area: f64,
}

impl RotatedBoxes {
    /// Validates `boxes`, written in `format`, and precomputes their corners and areas.
    ///
    /// # Errors
    ///
    /// [`GeomError::RotatedBox`] naming the first box with a non-finite number, a negative size
    /// or an angle outside `format`'s range.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Geometry, RotatedBoxes, RotatedFormat};
    ///
    /// let boxes = RotatedBoxes::new(&[[10.0_f32, 20.0, 4.0, 2.0, 30.0]], RotatedFormat::Degrees)?;
    /// assert_eq!(boxes.area(0), 8.0);
    /// assert!((boxes.get(0)[4] - 30_f64.to_radians()).abs() < 1e-7); // stored in radians
    /// let err = RotatedBoxes::new(&[[10.0_f32, 20.0, 4.0, -2.0, 0.0]], RotatedFormat::Radians).unwrap_err();
    /// assert_eq!(err.to_string(), "rboxes[0].h = -2 is invalid: a size >= 0");
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn new<T: Coord>(boxes: &[[T; 5]], format: RotatedFormat) -> Result<Self, GeomError> {
        let boxes = format.validate(boxes)?;
        let frames = boxes
            .iter()
            .map(|b| {
                let mut frame =
                    Frame { centre: [b[0], b[1]], half: [0.5 * b[2], 0.5 * b[3]], turn: axis_snapped(b[4]), area: 0.0 };
                frame.area = if frame.axis_aligned() {
                    let ([x1, x2], [y1, y2]) = (frame.corners_along(0), frame.corners_along(1));
                    (x2 - x1) * (y2 - y1)
                } else {
                    b[2] * b[3]
                };
                frame
            })
            .collect();
        Ok(Self { boxes, frames })
    }

    /// Box `i` in radians, as validated.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{RotatedBoxes, RotatedFormat};
    ///
    /// let boxes = RotatedBoxes::new(&[[5.0, 5.0, 4.0, 2.0, 90.0]], RotatedFormat::Degrees)?;
    /// assert_eq!(boxes.get(0), [5.0, 5.0, 4.0, 2.0, std::f64::consts::FRAC_PI_2]);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn get(&self, i: usize) -> [f64; 5] {
        self.boxes[i]
    }

    /// The corners of box `i` (see [`rotated_corners`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{RotatedBoxes, RotatedFormat};
    ///
    /// let boxes = RotatedBoxes::new(&[[1.0, 1.0, 2.0, 2.0, 0.0]], RotatedFormat::Radians)?;
    /// let mut corners = boxes.corners(0).to_vec();
    /// corners.sort_by(|a, b| a.partial_cmp(b).unwrap());
    /// assert_eq!(corners, vec![[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 2.0]]);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn corners(&self, i: usize) -> [[f64; 2]; 4] {
        rotated_corners(&self.boxes[i])
    }
}

/// `[cos, sin]` of an angle, exactly `0` or `±1` within 1e-15 of a quarter turn: `fl(pi / 2)` is
/// not `pi / 2`, and a box written at a quarter turn means the quarter turn (snapping moves a
/// corner by less than 1e-15 of the box's size).
fn axis_snapped(angle: f64) -> [f64; 2] {
    let (sin, cos) = angle.sin_cos();
    const NEAR: f64 = 1e-15;
    if sin.abs() < NEAR {
        [cos.signum(), 0.0]
    } else if cos.abs() < NEAR {
        [0.0, sin.signum()]
    } else {
        [cos, sin]
    }
}

impl Frame {
    /// Whether this box is the smaller of the pair by area, then by its longer side, then by
    /// position: a choice that does not depend on the pair's order, so the measure is symmetric.
    #[inline]
    fn smaller_than(&self, other: &Frame) -> bool {
        let key = |f: &Frame| [f.area, f.half[0].max(f.half[1]), f.centre[0], f.centre[1], f.turn[0], f.turn[1]];
        key(self).iter().zip(key(other)).find(|(a, b)| a != &b).is_some_and(|(a, b)| *a < b)
    }

    /// The pair in the order it is measured: the frame of the smaller box (see
    /// [`Frame::smaller_than`]), then the other box. Its coordinates stay near 0, where a thin
    /// box keeps its digits, the larger one's rounding is small next to its own area, and the
    /// result does not depend on the pair's order.
    #[inline]
    fn measuring_pair<'a>(&'a self, other: &'a Frame) -> (&'a Frame, &'a Frame) {
        if other.smaller_than(self) { (other, self) } else { (self, other) }
    }

    /// The area two boxes along the image axes share, from their corners: the arithmetic of
    /// `[x1, y1, x2, y2]` box IoU and of pycocotools. `None` when either box is turned.
    #[inline]
    fn aligned_intersection(&self, b: &Frame) -> Option<f64> {
        if !(self.axis_aligned() && b.axis_aligned()) {
            return None;
        }
        let side = |axis: usize| {
            let (lo, hi) = (self.corners_along(axis), b.corners_along(axis));
            (lo[1].min(hi[1]) - lo[0].max(hi[0])).max(0.0)
        };
        Some(side(0) * side(1))
    }

    /// Whether the box's sides run along the image axes.
    #[inline]
    fn axis_aligned(&self) -> bool {
        self.turn[0] == 0.0 || self.turn[1] == 0.0
    }

    #[inline]
    fn area(&self) -> f64 {
        self.area
    }

    /// Half the sides of the envelope.
    #[inline]
    fn reach(&self) -> [f64; 2] {
        let ([hx, hy], (cos, sin)) = (self.half, (self.turn[0].abs(), self.turn[1].abs()));
        [hx * cos + hy * sin, hx * sin + hy * cos]
    }

    /// The lowest and highest coordinate of the box along an image axis.
    #[inline]
    fn corners_along(&self, axis: usize) -> [f64; 2] {
        let reach = self.reach()[axis];
        [self.centre[axis] - reach, self.centre[axis] + reach]
    }

    #[inline]
    fn envelope(&self) -> Envelope<2> {
        let (c, r) = (self.centre, self.reach());
        Envelope::new([c[0] - r[0], c[1] - r[1]], [c[0] + r[0], c[1] + r[1]])
    }

    /// The corners of box `b` in this box's frame, counter-clockwise. The relative turn comes
    /// from the stored sines and cosines, so two boxes of equal angle are exactly unturned
    /// relative to each other.
    #[inline]
    fn corners_of(&self, b: &Frame) -> [Point; 4] {
        let ([ca, sa], [cb, sb]) = (self.turn, b.turn);
        let (d, e) = (b.centre[0] - self.centre[0], b.centre[1] - self.centre[1]);
        let centre = [ca * d + sa * e, ca * e - sa * d];
        let (cos, sin) = (cb * ca + sb * sa, sb * ca - cb * sa);
        let (u, v) = ([b.half[0] * cos, b.half[0] * sin], [-b.half[1] * sin, b.half[1] * cos]);
        [
            [centre[0] - u[0] - v[0], centre[1] - u[1] - v[1]],
            [centre[0] + u[0] - v[0], centre[1] + u[1] - v[1]],
            [centre[0] + u[0] + v[0], centre[1] + u[1] + v[1]],
            [centre[0] - u[0] + v[0], centre[1] - u[1] + v[1]],
        ]
    }

    /// An upper bound of the area two boxes share: in each box's own frame, the other's
    /// envelope meets the box in a rectangle, and the shared area lies in both rectangles.
    /// It is 0 exactly when a side of either box separates them (the separating-axis test);
    /// touching boxes are not separated.
    #[inline]
    fn shared_bound(&self, b: &Frame) -> f64 {
        let ([ca, sa], [cb, sb]) = (self.turn, b.turn);
        let (d, e) = (b.centre[0] - self.centre[0], b.centre[1] - self.centre[1]);
        let (cos, sin) = ((cb * ca + sb * sa).abs(), (sb * ca - cb * sa).abs());
        let (ha, hb) = (self.half, b.half);
        // The overlap of [-h, h] with [c - r, c + r] along one axis of one frame.
        let overlap = |c: f64, h: f64, r: f64| (h.min(c + r) - (-h).max(c - r)).max(0.0);
        let in_a = overlap(ca * d + sa * e, ha[0], hb[0] * cos + hb[1] * sin)
            * overlap(ca * e - sa * d, ha[1], hb[0] * sin + hb[1] * cos);
        let in_b = overlap(-(cb * d + sb * e), hb[0], ha[0] * cos + ha[1] * sin)
            * overlap(-(cb * e - sb * d), hb[1], ha[0] * sin + ha[1] * cos);
        in_a.min(in_b)
    }
}

impl Geometry for RotatedBoxes {
    #[inline]
    fn len(&self) -> usize {
        self.boxes.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.frames[i].area()
    }
}

impl Bounded<2> for RotatedBoxes {
    #[inline]
    fn envelope(&self, i: usize) -> Envelope<2> {
        self.frames[i].envelope()
    }
}

impl Intersect for RotatedBoxes {
    #[inline]
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        let (a, b) = (&self.frames[i], &other.frames[j]);
        let smaller = a.area().min(b.area());
        if smaller <= 0.0 {
            return 0.0;
        }
        if let Some(shared) = a.aligned_intersection(b) {
            return shared.min(smaller);
        }
        let bound = a.shared_bound(b);
        if bound <= 0.0 {
            return 0.0;
        }
        let (frame, moved) = a.measuring_pair(b);
        // Rounding may push the area past the smaller box, and past the bound when the moved
        // box's corners lie far out (a box thousands of times longer than the other is wide):
        // the area is never more than either.
        area_in_centred_box(&frame.corners_of(moved), frame.half).min(smaller).min(bound)
    }
}

/// The area of a counter-clockwise polygon inside the box `[-half, half]`, by Green's theorem:
/// the area is the integral, along the polygon's edges, of `-g(y) dx` over the box's x-range,
/// with `g(y) = clamp(y, -half_y, half_y) + half_y`. Each edge contributes one closed-form strip
/// (a vertical edge none), so there is no ring to build and no degenerate vertex to handle.
fn area_in_centred_box(polygon: &[Point; 4], half: [f64; 2]) -> f64 {
    let [hx, hy] = half;
    let mut sum = 0.0;
    let mut p = polygon[3];
    for &q in polygon {
        if p[0] != q[0] {
            let (xa, xb) = (p[0].min(q[0]).max(-hx), p[0].max(q[0]).min(hx));
            if xa < xb {
                let strip = strip_under(p, q, xa, xb, hy);
                // Left to right is the lower boundary (subtracted), right to left the upper.
                sum += if q[0] > p[0] { -strip } else { strip };
            }
        }
        p = q;
    }
    sum.max(0.0)
}

/// `∫ (clamp(y(x), -h, h) + h) dx` over `[xa, xb]` (inside the edge's x-range), along the line
/// through `p` and `q` (not vertical).
#[inline(always)]
fn strip_under(p: Point, q: Point, xa: f64, xb: f64, h: f64) -> f64 {
    let slope = (q[1] - p[1]) / (q[0] - p[0]);
    let (ya, yb) = (p[1] + (xa - p[0]) * slope, p[1] + (xb - p[0]) * slope);
    let (lo, hi) = if ya < yb { (ya, yb) } else { (yb, ya) };
    let len = xb - xa;
    if lo >= h {
        2.0 * h * len
    } else if hi <= -h {
        0.0
    } else if lo >= -h && hi <= h {
        (0.5 * (ya + yb) + h) * len
    } else {
        // y is linear in x, so the share of the length below -h, inside, and above h is the
        // share of the y-range there.
        let range = hi - lo;
        let below = if lo < -h { ((-h).min(hi) - lo) / range } else { 0.0 };
        let above = if hi > h { (hi - h.max(lo)) / range } else { 0.0 };
        let (inside_lo, inside_hi) = (lo.max(-h), hi.min(h));
        len * (above * 2.0 * h + (1.0 - below - above) * (0.5 * (inside_lo + inside_hi) + h))
    }
}

/// The corners of the box `[-half, half]`, counter-clockwise.
fn centred_box(half: [f64; 2]) -> [Point; 4] {
    [[-half[0], -half[1]], [half[0], -half[1]], [half[0], half[1]], [-half[0], half[1]]]
}

impl Hull for RotatedBoxes {
    fn hull_area(&self, i: usize, other: &Self, j: usize) -> f64 {
        let (frame, moved) = self.frames[i].measuring_pair(&other.frames[j]);
        // The hull holds both boxes, whatever the rounding of far-out corners.
        hull_area(&centred_box(frame.half), &frame.corners_of(moved)).max(frame.area()).max(moved.area())
    }

    #[inline]
    fn intersection_bound(&self, i: usize, other: &Self, j: usize) -> f64 {
        let (a, b) = (&self.frames[i], &other.frames[j]);
        // Boxes along the axes are measured from their corners, which rounding can set a hair
        // apart from the half sides the bound uses: their intersection is the bound.
        let bound = a.aligned_intersection(b).unwrap_or_else(|| a.shared_bound(b)).min(a.area()).min(b.area());
        bound * (1.0 + BOUND_MARGIN)
    }

    fn is_convex(&self, _i: usize) -> bool {
        true
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
