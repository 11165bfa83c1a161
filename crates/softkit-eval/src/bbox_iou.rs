//! Box IoU on `[x, y, width, height]`, bit for bit as pycocotools' `bbIou` (maskApi.c).

use crate::PairOverlap;

/// IoU of two `[x, y, width, height]` boxes, with COCO's crowd rule.
///
/// Computed in the same order of floating-point operations as pycocotools' C `bbIou`: the right
/// edge is `x + width`, the areas are `width * height` (not `(x2 - x1) * (y2 - y1)`, which can
/// differ in the last bit), the union is `dt_area + gt_area - inter`, and for a crowd ground truth
/// the union is the detection's area. Disjoint or touching boxes give `0`.
///
/// # Examples
///
/// ```
/// use softkit_eval::bbox_iou;
///
/// let dt = [0.0, 0.0, 2.0, 2.0];
/// let gt = [1.0, 0.0, 2.0, 2.0];
/// assert_eq!(bbox_iou(&dt, &gt, false), 2.0 / 6.0);
/// assert_eq!(bbox_iou(&dt, &gt, true), 0.5);
/// ```
#[inline]
pub fn bbox_iou(dt: &[f64; 4], gt: &[f64; 4], crowd: bool) -> f64 {
    let w = (dt[2] + dt[0]).min(gt[2] + gt[0]) - dt[0].max(gt[0]);
    if w <= 0.0 {
        return 0.0;
    }
    let h = (dt[3] + dt[1]).min(gt[3] + gt[1]) - dt[1].max(gt[1]);
    if h <= 0.0 {
        return 0.0;
    }
    let inter = w * h;
    let dt_area = dt[2] * dt[3];
    let union = if crowd { dt_area } else { dt_area + gt[2] * gt[3] - inter };
    inter / union
}

/// Detection and ground-truth boxes as `[x, y, width, height]`, measured by [`bbox_iou`].
///
/// # Examples
///
/// ```
/// use softkit_eval::{BboxOverlap, PairOverlap};
///
/// let dt = [[0.0, 0.0, 10.0, 10.0]];
/// let gt = [[5.0, 0.0, 10.0, 10.0]];
/// let boxes = BboxOverlap { dt: &dt, gt: &gt };
/// assert_eq!(boxes.overlap(0, 0, false), 50.0 / 150.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BboxOverlap<'a> {
    /// Detection boxes, indexed like the evaluation's detections.
    pub dt: &'a [[f64; 4]],
    /// Ground-truth boxes, indexed like the evaluation's ground truth.
    pub gt: &'a [[f64; 4]],
}

impl PairOverlap for BboxOverlap<'_> {
    #[inline]
    fn overlap(&self, dt: usize, gt: usize, crowd: bool) -> f64 {
        bbox_iou(&self.dt[dt], &self.gt[gt], crowd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crowd_union_is_the_detection_area() {
        // The detection lies inside the crowd region: IoU 1 under the crowd rule.
        let crowd = [0.0, 0.0, 100.0, 100.0];
        let dt = [10.0, 10.0, 5.0, 5.0];
        assert_eq!(bbox_iou(&dt, &crowd, true), 1.0);
        assert_eq!(bbox_iou(&dt, &crowd, false), 25.0 / 10_000.0);
    }

    #[test]
    fn touching_and_empty_boxes_give_zero() {
        assert_eq!(bbox_iou(&[0.0, 0.0, 1.0, 1.0], &[1.0, 0.0, 1.0, 1.0], false), 0.0);
        assert_eq!(bbox_iou(&[0.0, 0.0, 0.0, 1.0], &[0.0, 0.0, 1.0, 1.0], false), 0.0);
    }

    #[test]
    fn areas_come_from_width_and_height_not_from_the_corners() {
        // (x + w) - x is not w here, so an IoU built from corner differences (as softkit-geom's
        // xyxy `box_iou_pair` is) differs in the last bits from pycocotools' bbIou; matching
        // thresholds compare IoUs exactly, so the evaluator measures on xywh.
        let dt = [0.1, 0.2, 0.7, 0.3];
        let gt = [0.3, 0.1, 0.9, 0.35];
        let ours = bbox_iou(&dt, &gt, false);
        let w = (dt[2] + dt[0]).min(gt[2] + gt[0]) - f64::max(dt[0], gt[0]);
        let h = (dt[3] + dt[1]).min(gt[3] + gt[1]) - f64::max(dt[1], gt[1]);
        assert_eq!(ours, (w * h) / (dt[2] * dt[3] + gt[2] * gt[3] - w * h));
        let xyxy = |b: [f64; 4]| [b[0], b[1], b[0] + b[2], b[1] + b[3]];
        let geom = softkit_geom::box_iou_pair(&xyxy(dt), &xyxy(gt), 0.0);
        assert_ne!(geom.to_bits(), ours.to_bits());
        assert!((geom - ours).abs() < 1e-15);
    }
}
