//! Axis-aligned boxes in `[x1, y1, x2, y2]` form and their overlap measures.

use crate::{Coord, Envelope, GeomError, Overlap};

const FIELDS: [&str; 4] = ["x1", "y1", "x2", "y2"];

/// Which overlap measure a [`BoxSet`] reports.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, box_iou_pair, box_giou};
///
/// let a = [0.0, 0.0, 1.0, 1.0];
/// let b = [2.0, 0.0, 3.0, 1.0];
/// assert_eq!(BoxMeasure::Iou.between(&a, &b, 0.0), box_iou_pair(&a, &b, 0.0));
/// assert!(BoxMeasure::Giou.between(&a, &b, 0.0) < 0.0);
/// assert_eq!(BoxMeasure::Giou.between(&a, &b, 0.0), box_giou(&a, &b, 0.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BoxMeasure {
    /// Intersection over union.
    #[default]
    Iou,
    /// Generalised IoU (Rezatofighi et al. 2019): IoU minus the share of the enclosing box
    /// that the union leaves empty. In `[-1, 1]`.
    Giou,
    /// Distance IoU (Zheng et al. 2020): IoU minus the squared centre distance over the squared
    /// diagonal of the enclosing box. In `[-1, 1]`.
    Diou,
}

impl BoxMeasure {
    /// The measure between two `[x1, y1, x2, y2]` boxes.
    pub fn between(self, a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
        match self {
            BoxMeasure::Iou => box_iou_pair(a, b, pixel_offset),
            BoxMeasure::Giou => box_giou(a, b, pixel_offset),
            BoxMeasure::Diou => box_diou(a, b, pixel_offset),
        }
    }
}

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

#[inline]
fn iou_with_areas(a: &[f64; 4], b: &[f64; 4], area_a: f64, area_b: f64, pixel_offset: f64) -> f64 {
    let inter = intersection(a, b, pixel_offset);
    if inter <= 0.0 {
        return 0.0;
    }
    // A zero union can only come from degenerate boxes; report no overlap rather than NaN.
    let union = area_a + area_b - inter;
    if union > 0.0 { inter / union } else { 0.0 }
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
    iou_with_areas(a, b, box_area(a, pixel_offset), box_area(b, pixel_offset), pixel_offset)
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
    let iou = box_iou_pair(a, b, pixel_offset);
    let (w, h) = enclosing(a, b, pixel_offset);
    let diagonal2 = w * w + h * h;
    if diagonal2 <= 0.0 {
        return iou;
    }
    let dx = (a[0] + a[2] - b[0] - b[2]) * 0.5;
    let dy = (a[1] + a[3] - b[1] - b[3]) * 0.5;
    iou - (dx * dx + dy * dy) / diagonal2
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
    for (index, b) in boxes.iter().enumerate() {
        let b = widen(b);
        for (field, &value) in FIELDS.iter().zip(&b) {
            if !value.is_finite() {
                return Err(GeomError::NonFinite { index, field, value });
            }
        }
        for axis in 0..2 {
            if b[axis + 2] < b[axis] {
                return Err(GeomError::Inverted {
                    index,
                    field: FIELDS[axis + 2],
                    value: b[axis + 2],
                    lower_field: FIELDS[axis],
                    lower: b[axis],
                });
            }
        }
    }
    Ok(())
}

/// Widens a box to `f64`.
#[inline]
pub(crate) fn widen<T: Coord>(b: &[T; 4]) -> [f64; 4] {
    [b[0].to_f64(), b[1].to_f64(), b[2].to_f64(), b[3].to_f64()]
}

pub(crate) fn check_pixel_offset(pixel_offset: f64) -> Result<(), GeomError> {
    if pixel_offset.is_finite() && pixel_offset >= 0.0 {
        Ok(())
    } else {
        Err(GeomError::InvalidParameter {
            name: "pixel_offset",
            value: pixel_offset,
            expected: "a finite value >= 0 (0 for continuous coordinates, 1 for the legacy +1 convention)",
        })
    }
}

/// A validated, borrowed set of `[x1, y1, x2, y2]` boxes with precomputed areas.
///
/// # Usage
///
/// Build it once per set of candidates and hand it to the suppression engine or the evaluator.
/// The boxes are borrowed, not copied, in their own precision (`f32` or `f64`).
///
/// # Runtime and Performance
///
/// Construction validates every box and computes its area in one pass, `O(n)`. Each
/// [`Overlap::overlap`] call is a handful of flops.
///
/// # Type Parameters
///
/// - `T`: the coordinate type of the borrowed boxes, `f32` or `f64`.
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
#[derive(Debug, Clone)]
pub struct BoxSet<'a, T: Coord> {
    boxes: &'a [[T; 4]],
    areas: Vec<f64>,
    measure: BoxMeasure,
    pixel_offset: f64,
}

impl<'a, T: Coord> BoxSet<'a, T> {
    /// Validates `boxes` and prepares them for overlap queries under `measure`.
    ///
    /// # Errors
    ///
    /// [`GeomError`] naming the first box with a non-finite coordinate or `x2 < x1` / `y2 < y1`,
    /// or an invalid `pixel_offset` (negative or not finite).
    pub fn new(boxes: &'a [[T; 4]], measure: BoxMeasure, pixel_offset: f64) -> Result<Self, GeomError> {
        check_pixel_offset(pixel_offset)?;
        validate_boxes(boxes)?;
        let areas = boxes.iter().map(|b| box_area(&widen(b), pixel_offset)).collect();
        Ok(Self { boxes, areas, measure, pixel_offset })
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
}

impl<T: Coord> Overlap for BoxSet<'_, T> {
    #[inline]
    fn len(&self) -> usize {
        self.boxes.len()
    }

    #[inline]
    fn overlap(&self, i: usize, j: usize) -> f64 {
        let (a, b) = (self.get(i), self.get(j));
        match self.measure {
            BoxMeasure::Iou => iou_with_areas(&a, &b, self.areas[i], self.areas[j], self.pixel_offset),
            other => other.between(&a, &b, self.pixel_offset),
        }
    }

    #[inline]
    fn envelope(&self, i: usize) -> Envelope {
        let b = self.get(i);
        // With the +1 convention, boxes that touch at an edge still share a pixel column.
        Envelope::new([b[0], b[1]], [b[2] + self.pixel_offset, b[3] + self.pixel_offset])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for measure in [BoxMeasure::Iou, BoxMeasure::Giou, BoxMeasure::Diou] {
            let set = BoxSet::new(&boxes, measure, 0.0).unwrap();
            assert!(set.overlap(0, 1) <= 0.0);
        }
        // Touching boxes share a pixel column under the +1 convention.
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 1.0).unwrap();
        assert!(set.overlap(0, 1) > 0.0);
        assert!(set.envelope(0).intersects(&set.envelope(1)));
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
