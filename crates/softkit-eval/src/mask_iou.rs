//! Mask IoU on run-length masks, as pycocotools' `iou` computes it for `segm` evaluation.

use softkit_geom::Rle;

use crate::{PairOverlap, bbox_iou};

/// Detection and ground-truth masks, measured by [`Rle::iou`] with COCO's crowd rule.
///
/// As pycocotools' `rleIou`, the runs of a pair are only walked when the pair's tight boxes
/// overlap; the boxes are computed once, here. This changes no value: masks whose boxes are
/// disjoint share no pixel.
///
/// # Examples
///
/// ```
/// use softkit_eval::{MaskOverlap, PairOverlap};
/// use softkit_geom::Rle;
///
/// let dt = [Rle::from_mask(1, 4, &[1, 1, 0, 0])?];
/// let gt = [Rle::from_mask(1, 4, &[0, 1, 1, 1])?, Rle::from_mask(1, 4, &[0, 0, 0, 1])?];
/// let masks = MaskOverlap::new(&dt, &gt);
/// assert_eq!(masks.overlap(0, 0, false), 0.25);
/// assert_eq!(masks.overlap(0, 0, true), 0.5);
/// assert_eq!(masks.overlap(0, 1, false), 0.0);
/// # Ok::<(), softkit_geom::MaskError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MaskOverlap<'a> {
    dt: &'a [Rle],
    gt: &'a [Rle],
    dt_boxes: Vec<[f64; 4]>,
    gt_boxes: Vec<[f64; 4]>,
}

impl<'a> MaskOverlap<'a> {
    /// Wraps the masks, indexed like the evaluation's detections and ground truth.
    pub fn new(dt: &'a [Rle], gt: &'a [Rle]) -> Self {
        MaskOverlap {
            dt,
            gt,
            dt_boxes: dt.iter().map(Rle::bbox).collect(),
            gt_boxes: gt.iter().map(Rle::bbox).collect(),
        }
    }
}

impl PairOverlap for MaskOverlap<'_> {
    fn overlap(&self, dt: usize, gt: usize, crowd: bool) -> f64 {
        if bbox_iou(&self.dt_boxes[dt], &self.gt_boxes[gt], crowd) > 0.0 {
            self.dt[dt].iou(&self.gt[gt], crowd)
        } else {
            0.0
        }
    }
}
