//! Axis-aligned boxes in `[x1, y1, x2, y2]` form and their overlap measures.

use crate::measure::union_ratio;
use crate::{
    Bounded, BoxFormat, Coord, Envelope, GeomError, Geometry, Intersect, IoMin, Iou, Measure, SetView, Symmetric,
};

/// Which overlap measure a [`BoxSet`] reports: a [`Measure`] of [`Boxes`] chosen at run time
/// (from a Python keyword or a CLI flag).
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, Boxes, Measure};
///
/// let boxes = [[0.0_f64, 0.0, 1.0, 1.0], [2.0, 0.0, 3.0, 1.0]];
/// let column = Boxes::new(&boxes, 0.0)?;
/// assert_eq!(BoxMeasure::Iou.between(&column, 0, &column, 1), 0.0);
/// assert!(BoxMeasure::Giou.between(&column, 0, &column, 1) < 0.0);
/// assert_eq!("diou".parse::<BoxMeasure>(), Ok(BoxMeasure::DIOU));
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum BoxMeasure {
    /// Intersection over union.
    #[default]
    Iou,
    /// Generalised IoU (Rezatofighi et al. 2019): IoU minus the share of the enclosing box
    /// that the union leaves empty. In `[-1, 1]`.
    Giou,
    /// Distance IoU (Zheng et al. 2020): IoU minus `(d^2 / c^2)^beta`, the squared centre
    /// distance `d^2` over the squared diagonal `c^2` of the enclosing box, to the power `beta`.
    /// In `[-1, 1]`. The paper's DIoU and DIoU-NMS have `beta = 1` ([`BoxMeasure::DIOU`]); its
    /// Cluster-NMS follow-up and the YOLOv4 code (`beta_nms`, 0.6) tune it.
    Diou {
        /// Exponent of the distance penalty, `> 0`.
        beta: f64,
    },
    /// Intersection over the smaller box ([`IoMin`]).
    IoMin,
}

impl BoxMeasure {
    /// DIoU as the paper defines it, `beta = 1`.
    pub const DIOU: BoxMeasure = BoxMeasure::Diou { beta: 1.0 };
}

impl std::str::FromStr for BoxMeasure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "iou" => Ok(BoxMeasure::Iou),
            "giou" => Ok(BoxMeasure::Giou),
            "diou" => Ok(BoxMeasure::DIOU),
            "iomin" => Ok(BoxMeasure::IoMin),
            other => Err(format!("measure = {other:?} is invalid: expected \"iou\", \"giou\", \"diou\" or \"iomin\"")),
        }
    }
}

impl BoxMeasure {
    /// The measure between two `[x1, y1, x2, y2]` boxes.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::BoxMeasure;
    ///
    /// let (big, small) = ([0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 2.0, 2.0]);
    /// assert_eq!(BoxMeasure::IoMin.pair(&big, &small, 0.0), 1.0);
    /// assert_eq!(BoxMeasure::Iou.pair(&big, &small, 0.0), 1.0 / 16.0);
    /// ```
    pub fn pair(self, a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
        match self {
            BoxMeasure::Iou => box_iou_pair(a, b, pixel_offset),
            BoxMeasure::Giou => box_giou(a, b, pixel_offset),
            BoxMeasure::Diou { beta } => diou_with(a, b, pixel_offset, beta),
            BoxMeasure::IoMin => {
                let smaller = box_area(a, pixel_offset).min(box_area(b, pixel_offset));
                let inter = intersection(a, b, pixel_offset);
                if inter > 0.0 && smaller > 0.0 { inter / smaller } else { 0.0 }
            }
        }
    }
}

impl<T: Coord> Measure<Boxes<'_, T>> for BoxMeasure {
    #[inline]
    fn between(&self, a: &Boxes<'_, T>, i: usize, b: &Boxes<'_, T>, j: usize) -> f64 {
        match self {
            // The column's precomputed areas.
            BoxMeasure::Iou => Iou.between(a, i, b, j),
            BoxMeasure::IoMin => IoMin.between(a, i, b, j),
            _ => self.pair(&a.get(i), &b.get(j), a.pixel_offset),
        }
    }
}

impl Symmetric for BoxMeasure {}

/// The area of an `[x1, y1, x2, y2]` box, `(x2 - x1 + offset) * (y2 - y1 + offset)`.
///
/// `pixel_offset` is `0.0` for continuous coordinates and `1.0` for the legacy convention in
/// which `x2` is the last pixel column inside the box.
///
/// # Examples
///
/// ```
/// assert_eq!(softkit_geom::box_area(&[0.0, 0.0, 9.0, 9.0], 1.0), 100.0);
/// ```
#[inline]
pub fn box_area(b: &[f64; 4], pixel_offset: f64) -> f64 {
    (b[2] - b[0] + pixel_offset) * (b[3] - b[1] + pixel_offset)
}

// Plain comparisons rather than `f64::min`/`max`: coordinates are validated finite, and the NaN
// handling of `min`/`max` roughly doubles the cost of the hottest function in suppression.
#[inline]
fn lesser(a: f64, b: f64) -> f64 {
    if a < b { a } else { b }
}

#[inline]
fn greater(a: f64, b: f64) -> f64 {
    if a > b { a } else { b }
}

#[inline]
fn intersection(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
    let w = lesser(a[2], b[2]) - greater(a[0], b[0]) + pixel_offset;
    let h = lesser(a[3], b[3]) - greater(a[1], b[1]) + pixel_offset;
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

/// Intersection over union of two `[x1, y1, x2, y2]` boxes; `0.0` when the union is empty.
///
/// # Examples
///
/// ```
/// use softkit_geom::box_iou_pair;
///
/// let iou = box_iou_pair(&[0.0, 0.0, 2.0, 2.0], &[1.0, 0.0, 3.0, 2.0], 0.0);
/// assert!((iou - 1.0 / 3.0).abs() < 1e-12);
/// ```
pub fn box_iou_pair(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
    union_ratio(intersection(a, b, pixel_offset), box_area(a, pixel_offset), box_area(b, pixel_offset))
}

fn enclosing(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> (f64, f64) {
    let w = greater(a[2], b[2]) - lesser(a[0], b[0]) + pixel_offset;
    let h = greater(a[3], b[3]) - lesser(a[1], b[1]) + pixel_offset;
    (w, h)
}

/// Generalised IoU of two `[x1, y1, x2, y2]` boxes.
///
/// # Examples
///
/// ```
/// use softkit_geom::box_giou;
///
/// // Disjoint boxes: IoU is 0 and the enclosing box is half empty.
/// let g = box_giou(&[0.0, 0.0, 1.0, 1.0], &[3.0, 0.0, 4.0, 1.0], 0.0);
/// assert!((g - (-0.5)).abs() < 1e-12);
/// ```
pub fn box_giou(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
    let (area_a, area_b) = (box_area(a, pixel_offset), box_area(b, pixel_offset));
    let inter = intersection(a, b, pixel_offset);
    let union = area_a + area_b - inter;
    let iou = if union > 0.0 { inter / union } else { 0.0 };
    let (w, h) = enclosing(a, b, pixel_offset);
    let hull = w * h;
    if hull > 0.0 { iou - (hull - union) / hull } else { iou }
}

/// Distance IoU of two `[x1, y1, x2, y2]` boxes.
///
/// # Examples
///
/// ```
/// use softkit_geom::box_diou;
///
/// // Same size, centres 2 apart, enclosing diagonal sqrt(3^2 + 1^2).
/// let d = box_diou(&[0.0, 0.0, 1.0, 1.0], &[2.0, 0.0, 3.0, 1.0], 0.0);
/// assert!((d - (-4.0 / 10.0)).abs() < 1e-12);
/// ```
pub fn box_diou(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
    diou_with(a, b, pixel_offset, 1.0)
}

/// DIoU with the distance penalty raised to `beta` (see [`BoxMeasure::Diou`]).
fn diou_with(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64, beta: f64) -> f64 {
    let iou = box_iou_pair(a, b, pixel_offset);
    let (w, h) = enclosing(a, b, pixel_offset);
    let diagonal2 = w * w + h * h;
    if diagonal2 <= 0.0 {
        return iou;
    }
    let dx = (a[0] + a[2] - b[0] - b[2]) * 0.5;
    let dy = (a[1] + a[3] - b[1] - b[3]) * 0.5;
    let penalty = (dx * dx + dy * dy) / diagonal2;
    iou - if beta == 1.0 { penalty } else { penalty.powf(beta) }
}

/// Checks that every box is finite with `x1 <= x2` and `y1 <= y2`.
///
/// # Examples
///
/// ```
/// use softkit_geom::validate_boxes;
///
/// assert!(validate_boxes(&[[0.0_f64, 0.0, 1.0, 1.0]]).is_ok());
/// let err = validate_boxes(&[[0.0_f64, 0.0, 1.0, 1.0], [5.0, 0.0, 4.0, 1.0]]).unwrap_err();
/// assert_eq!(err.to_string(), "boxes[1].x2 = 4 is less than x1 = 5");
/// ```
pub fn validate_boxes<T: Coord>(boxes: &[[T; 4]]) -> Result<(), GeomError> {
    BoxFormat::Xyxy.validate(boxes)
}

/// Widens a box to `f64`.
#[inline]
pub(crate) fn widen<T: Coord>(b: &[T; 4]) -> [f64; 4] {
    [b[0].to_f64(), b[1].to_f64(), b[2].to_f64(), b[3].to_f64()]
}

/// Checks a pixel offset: in `[0, 1]` (0 for continuous coordinates, 1 for the legacy "+1"
/// convention). A larger offset means nothing, and a huge one overflows every area.
///
/// # Errors
///
/// [`GeomError::InvalidParameter`] naming `pixel_offset` and its value.
///
/// # Examples
///
/// ```
/// assert!(softkit_geom::check_pixel_offset(1.0).is_ok());
/// assert!(softkit_geom::check_pixel_offset(-1.0).unwrap_err().to_string().starts_with("pixel_offset = -1 is invalid"));
/// assert!(softkit_geom::check_pixel_offset(2.7e180).is_err());
/// ```
pub fn check_pixel_offset(pixel_offset: f64) -> Result<(), GeomError> {
    if (0.0..=1.0).contains(&pixel_offset) {
        Ok(())
    } else {
        Err(GeomError::InvalidParameter {
            name: "pixel_offset",
            value: pixel_offset,
            expected: "a value in [0, 1] (0 for continuous coordinates, 1 for the legacy +1 convention)",
        })
    }
}

/// A validated, borrowed column of `[x1, y1, x2, y2]` boxes with precomputed areas: the
/// engine's box geometry.
///
/// # Usage
///
/// Build it once per set of candidates; measure it with [`Iou`], [`BoxMeasure`] or any other
/// [`Measure`] of boxes, through a [`SetView`] (suppression, see [`BoxSet`]) or a
/// [`PairView`](crate::PairView). The boxes are borrowed, not copied, in their own precision
/// (`f32` or `f64`).
///
/// `pixel_offset` is `0.0` for continuous coordinates and `1.0` for the legacy convention in
/// which `x2` is the last pixel column inside the box (a box `[0, 0, 9, 9]` is 10 × 10).
///
/// # Runtime and Performance
///
/// Construction validates every box and computes its area in one pass, `O(n)`. An intersection
/// is a handful of flops.
///
/// # Type Parameters
///
/// - `T`: the coordinate type of the borrowed boxes, `f32` or `f64`.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Boxes, Geometry, Intersect};
///
/// let boxes = [[0.0_f32, 0.0, 9.0, 9.0], [5.0, 0.0, 14.0, 9.0]];
/// let legacy = Boxes::new(&boxes, 1.0)?;
/// assert_eq!(legacy.area(0), 100.0);
/// assert_eq!(legacy.intersection(0, &legacy, 1), 50.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Boxes<'a, T: Coord> {
    boxes: &'a [[T; 4]],
    areas: Vec<f64>,
    pixel_offset: f64,
}

impl<'a, T: Coord> Boxes<'a, T> {
    /// Validates `boxes` and precomputes their areas.
    ///
    /// # Errors
    ///
    /// [`GeomError`] naming the first box with a non-finite coordinate or `x2 < x1` / `y2 < y1`,
    /// or an invalid `pixel_offset` (negative or not finite).
    pub fn new(boxes: &'a [[T; 4]], pixel_offset: f64) -> Result<Self, GeomError> {
        check_pixel_offset(pixel_offset)?;
        validate_boxes(boxes)?;
        let areas = boxes.iter().map(|b| box_area(&widen(b), pixel_offset)).collect();
        Ok(Self { boxes, areas, pixel_offset })
    }

    /// The borrowed boxes.
    pub fn boxes(&self) -> &'a [[T; 4]] {
        self.boxes
    }

    /// The box at `i`, widened to `f64`.
    #[inline]
    pub fn get(&self, i: usize) -> [f64; 4] {
        widen(&self.boxes[i])
    }

    /// The pixel offset the areas were computed with.
    pub fn pixel_offset(&self) -> f64 {
        self.pixel_offset
    }
}

impl<T: Coord> Geometry for Boxes<'_, T> {
    #[inline]
    fn len(&self) -> usize {
        self.boxes.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.areas[i]
    }
}

impl<T: Coord> Bounded<2> for Boxes<'_, T> {
    #[inline]
    fn envelope(&self, i: usize) -> Envelope<2> {
        let b = self.get(i);
        // With the +1 convention, boxes that touch at an edge still share a pixel column.
        Envelope::new([b[0], b[1]], [b[2] + self.pixel_offset, b[3] + self.pixel_offset])
    }
}

impl<T: Coord> Intersect for Boxes<'_, T> {
    #[inline]
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        intersection(&self.get(i), &other.get(j), self.pixel_offset)
    }
}

/// A validated, borrowed set of `[x1, y1, x2, y2]` boxes under a [`BoxMeasure`]: the
/// [`Overlap`](crate::Overlap) set that box suppression walks.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, BoxSet, Overlap};
///
/// // Legacy "+1" convention: [0, 0, 9, 9] is a 10 x 10 box.
/// let boxes = [[0.0_f32, 0.0, 9.0, 9.0], [5.0, 0.0, 14.0, 9.0]];
/// let set = BoxSet::new(&boxes, BoxMeasure::Iou, 1.0)?;
/// assert!((set.overlap(0, 1) - 50.0 / 150.0).abs() < 1e-12);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub type BoxSet<'a, T> = SetView<Boxes<'a, T>, BoxMeasure>;

impl<'a, T: Coord> SetView<Boxes<'a, T>, BoxMeasure> {
    /// Validates `boxes` and prepares them for overlap queries under `measure`.
    ///
    /// # Errors
    ///
    /// As [`Boxes::new`], and [`GeomError::InvalidParameter`] for a DIoU `beta` that is not a
    /// finite number `> 0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{BoxMeasure, BoxSet};
    ///
    /// let err = BoxSet::new(&[[0.0_f64, 0.0, 1.0, 1.0]], BoxMeasure::Diou { beta: 0.0 }, 0.0).unwrap_err();
    /// assert_eq!(err.to_string(), "beta = 0 is invalid: a finite number > 0");
    /// ```
    pub fn new(boxes: &'a [[T; 4]], measure: BoxMeasure, pixel_offset: f64) -> Result<Self, GeomError> {
        if let BoxMeasure::Diou { beta } = measure
            && !(beta.is_finite() && beta > 0.0)
        {
            return Err(GeomError::InvalidParameter { name: "beta", value: beta, expected: "a finite number > 0" });
        }
        Ok(SetView::of(Boxes::new(boxes, pixel_offset)?, measure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Overlap;

    #[test]
    fn identical_boxes_have_iou_one() {
        let b = [1.0, 2.0, 3.0, 5.0];
        assert_eq!(box_iou_pair(&b, &b, 0.0), 1.0);
        assert_eq!(box_giou(&b, &b, 0.0), 1.0);
        assert_eq!(box_diou(&b, &b, 0.0), 1.0);
    }

    #[test]
    fn zero_area_boxes_have_zero_iou() {
        let p = [1.0, 1.0, 1.0, 1.0];
        assert_eq!(box_iou_pair(&p, &p, 0.0), 0.0);
        // With the +1 convention a single pixel has area 1.
        assert_eq!(box_iou_pair(&p, &p, 1.0), 1.0);
    }

    #[test]
    fn nested_box_iou_is_area_ratio() {
        let outer = [0.0, 0.0, 10.0, 10.0];
        let inner = [2.0, 2.0, 7.0, 7.0];
        assert!((box_iou_pair(&outer, &inner, 0.0) - 0.25).abs() < 1e-15);
        assert!((box_giou(&outer, &inner, 0.0) - 0.25).abs() < 1e-15);
    }

    #[test]
    fn disjoint_envelopes_imply_nonpositive_overlap() {
        let boxes = [[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]];
        for measure in
            [BoxMeasure::Iou, BoxMeasure::Giou, BoxMeasure::DIOU, BoxMeasure::Diou { beta: 0.6 }, BoxMeasure::IoMin]
        {
            let set = BoxSet::new(&boxes, measure, 0.0).unwrap();
            assert!(set.overlap(0, 1) <= 0.0);
        }
        // Touching boxes share a pixel column under the +1 convention.
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 1.0).unwrap();
        assert!(set.overlap(0, 1) > 0.0);
        assert!(set.envelope(0).unwrap().intersects(&set.envelope(1).unwrap()));
    }

    #[test]
    fn rejects_bad_pixel_offset() {
        let boxes = [[0.0, 0.0, 1.0, 1.0]];
        let err = BoxSet::new(&boxes, BoxMeasure::Iou, -1.0).unwrap_err();
        assert!(err.to_string().starts_with("pixel_offset = -1 is invalid"));
    }

    #[test]
    fn names_inverted_y() {
        let err = validate_boxes(&[[0.0_f32, 3.0, 1.0, 2.0]]).unwrap_err();
        assert_eq!(err.to_string(), "boxes[0].y2 = 2 is less than y1 = 3");
    }
}
