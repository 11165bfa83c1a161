//! COCO boxes `[x, y, width, height]`, intersected in pycocotools' order of operations.

use std::borrow::Cow;

use crate::{Bounded, BoxFormat, Envelope, GeomError, Geometry, Intersect};

/// A validated column of `[x, y, width, height]` boxes (the COCO `bbox`), with the areas and the
/// intersections of pycocotools' `bbIou`, bit for bit.
///
/// The right edge is `x + width` and the area `width * height` (not `(x2 - x1) * (y2 - y1)`,
/// which can differ in the last bit), so [`Iou`](crate::Iou) on this column equals pycocotools'
/// box IoU exactly, crowd rule included, and COCO matching thresholds compare the same numbers.
/// It is also OVDEval's IoU (`w1 h1 + w2 h2 - inter`).
///
/// # Examples
///
/// ```
/// use softkit_geom::{Iou, Measure, XywhBoxes};
///
/// let dt = XywhBoxes::new(vec![[0.1, 0.2, 0.7, 0.3]])?;
/// let gt = XywhBoxes::new(vec![[0.3, 0.1, 0.9, 0.35]])?;
/// let w = (0.1_f64 + 0.7).min(0.3 + 0.9) - 0.3;
/// let h = (0.2_f64 + 0.3).min(0.1 + 0.35) - 0.2;
/// assert_eq!(Iou.between(&dt, 0, &gt, 0), w * h / (0.7 * 0.3 + 0.9 * 0.35 - w * h));
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct XywhBoxes<'a> {
    boxes: Cow<'a, [[f64; 4]]>,
    areas: Vec<f64>,
}

impl<'a> XywhBoxes<'a> {
    /// Validates the boxes (finite, non-negative width and height) and precomputes their areas.
    ///
    /// # Errors
    ///
    /// [`GeomError`] naming the first offending box, field (`x`, `y`, `w`, `h`) and value.
    pub fn new(boxes: impl Into<Cow<'a, [[f64; 4]]>>) -> Result<Self, GeomError> {
        let boxes = boxes.into();
        BoxFormat::Xywh.validate(&boxes)?;
        let areas = boxes.iter().map(|b| b[2] * b[3]).collect();
        Ok(Self { boxes, areas })
    }

    /// The box at `i`.
    #[inline]
    pub fn get(&self, i: usize) -> [f64; 4] {
        self.boxes[i]
    }
}

impl Geometry for XywhBoxes<'_> {
    #[inline]
    fn len(&self) -> usize {
        self.boxes.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.areas[i]
    }
}

impl Bounded<2> for XywhBoxes<'_> {
    fn envelope(&self, i: usize) -> Envelope<2> {
        xywh_envelope(&self.boxes[i])
    }
}

impl Intersect for XywhBoxes<'_> {
    #[inline]
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        xywh_intersection(&self.boxes[i], &other.boxes[j])
    }
}

/// The envelope of an `[x, y, width, height]` box.
#[inline]
pub(crate) fn xywh_envelope(b: &[f64; 4]) -> Envelope<2> {
    Envelope::new([b[0], b[1]], [b[0] + b[2], b[1] + b[3]])
}

/// pycocotools' `bbIou` intersection: `0` unless both overlaps are positive.
#[inline]
pub(crate) fn xywh_intersection(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    if w <= 0.0 {
        return 0.0;
    }
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if h <= 0.0 {
        return 0.0;
    }
    w * h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Iou, Measure};

    fn iou(dt: [f64; 4], gt: [f64; 4], crowd: bool) -> f64 {
        let (dt, gt) = (XywhBoxes::new(vec![dt]).unwrap(), XywhBoxes::new(vec![gt]).unwrap());
        if crowd { Iou.crowd(&dt, 0, &gt, 0) } else { Iou.between(&dt, 0, &gt, 0) }
    }

    #[test]
    fn crowd_union_is_the_detection_area() {
        // The detection lies inside the crowd region: IoU 1 under the crowd rule.
        let crowd = [0.0, 0.0, 100.0, 100.0];
        let dt = [10.0, 10.0, 5.0, 5.0];
        assert_eq!(iou(dt, crowd, true), 1.0);
        assert_eq!(iou(dt, crowd, false), 25.0 / 10_000.0);
    }

    #[test]
    fn touching_and_empty_boxes_give_zero() {
        assert_eq!(iou([0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0], false), 0.0);
        assert_eq!(iou([0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0], false), 0.0);
        assert_eq!(iou([3.0, 3.0, 0.0, 0.0], [3.0, 3.0, 0.0, 0.0], false), 0.0);
    }

    #[test]
    fn areas_come_from_width_and_height_not_from_the_corners() {
        // (x + w) - x is not w here, so an IoU built from corner differences (as the engine's
        // xyxy `box_iou_pair` is) differs in the last bits from pycocotools' bbIou; matching
        // thresholds compare IoUs exactly, so the evaluator measures on xywh.
        let dt = [0.1, 0.2, 0.7, 0.3];
        let gt = [0.3, 0.1, 0.9, 0.35];
        let ours = iou(dt, gt, false);
        let w = (dt[2] + dt[0]).min(gt[2] + gt[0]) - f64::max(dt[0], gt[0]);
        let h = (dt[3] + dt[1]).min(gt[3] + gt[1]) - f64::max(dt[1], gt[1]);
        assert_eq!(ours, (w * h) / (dt[2] * dt[3] + gt[2] * gt[3] - w * h));
        let xyxy = |b: [f64; 4]| [b[0], b[1], b[0] + b[2], b[1] + b[3]];
        let corners = crate::box_iou_pair(&xyxy(dt), &xyxy(gt), 0.0);
        assert_ne!(corners.to_bits(), ours.to_bits());
        assert!((corners - ours).abs() < 1e-15);
    }

    #[test]
    fn iou_exactly_one_half() {
        assert_eq!(iou([0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0], false), 0.5);
    }

    #[test]
    fn negative_sizes_are_refused() {
        let err = XywhBoxes::new(vec![[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, -2.5, 1.0]]).unwrap_err();
        assert_eq!(err.to_string(), "boxes[1].w = -2.5 is negative");
    }
}
