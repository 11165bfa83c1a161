//! Run-length masks as a geometry: pixel counts, and intersections walked run by run.

use crate::xywh::{xywh_envelope, xywh_intersection};
use crate::{Bounded, Envelope, Geometry, Intersect, Rle};

/// A column of COCO run-length masks ([`Rle`]), with their areas and tight boxes precomputed.
///
/// Areas are pixel counts and intersections count shared pixels, so [`Iou`](crate::Iou) on this
/// column is pycocotools' mask IoU (`segm` evaluation), crowd rule included. As in pycocotools'
/// `rleIou`, the runs of a pair are walked only when the pair's tight boxes overlap; that changes no
/// value, since masks whose boxes are disjoint share no pixel. Masks of different sizes (different
/// images) share no pixel either.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, Intersect, Masks, Rle};
///
/// let masks = Masks::new(vec![Rle::from_mask(2, 2, &[1, 1, 0, 1])?, Rle::from_mask(2, 2, &[0, 1, 1, 1])?]);
/// assert_eq!(masks.area(0), 3.0);
/// assert_eq!(masks.intersection(0, &masks, 1), 2.0);
/// # Ok::<(), softkit_geom::MaskError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Masks {
    masks: Vec<Rle>,
    areas: Vec<f64>,
    /// pycocotools' `toBbox` of each mask, `[x, y, width, height]`.
    boxes: Vec<[f64; 4]>,
}

impl Masks {
    /// Wraps the masks; a run-length mask is valid by construction.
    pub fn new(masks: Vec<Rle>) -> Self {
        let areas = masks.iter().map(|m| m.area() as f64).collect();
        let boxes = masks.iter().map(Rle::bbox).collect();
        Self { masks, areas, boxes }
    }

    /// The mask at `i`.
    pub fn get(&self, i: usize) -> &Rle {
        &self.masks[i]
    }

    /// The first mask, if any: the size every other mask of a column should share.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{Masks, Rle};
    ///
    /// let masks = Masks::new(vec![Rle::new(2, 3, vec![1, 4, 1])?]);
    /// assert_eq!(masks.first().map(|m| (m.height(), m.width())), Some((2, 3)));
    /// assert!(Masks::new(Vec::new()).first().is_none());
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn first(&self) -> Option<&Rle> {
        self.masks.first()
    }
}

impl Geometry for Masks {
    #[inline]
    fn len(&self) -> usize {
        self.masks.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.areas[i]
    }
}

impl Bounded<2> for Masks {
    fn envelope(&self, i: usize) -> Envelope<2> {
        xywh_envelope(&self.boxes[i])
    }
}

impl Intersect for Masks {
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        if xywh_intersection(&self.boxes[i], &other.boxes[j]) > 0.0 {
            self.masks[i].intersection_area(&other.masks[j]) as f64
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Iou, Measure};

    #[test]
    fn iou_matches_the_run_length_iou() {
        let a = Rle::from_mask(3, 3, &[1, 1, 0, 1, 1, 0, 0, 0, 0]).unwrap();
        let b = Rle::from_mask(3, 3, &[0, 1, 1, 0, 1, 1, 0, 0, 1]).unwrap();
        let masks = Masks::new(vec![a.clone(), b.clone()]);
        for crowd in [false, true] {
            let ours = if crowd { Iou.crowd(&masks, 0, &masks, 1) } else { Iou.between(&masks, 0, &masks, 1) };
            assert_eq!(ours, a.iou(&b, crowd));
        }
    }

    #[test]
    fn different_sizes_and_disjoint_boxes_share_nothing() {
        let a = Rle::from_mask(1, 4, &[1, 1, 0, 0]).unwrap();
        let b = Rle::from_mask(1, 4, &[0, 0, 1, 1]).unwrap();
        let c = Rle::from_mask(4, 1, &[1, 1, 0, 0]).unwrap();
        let masks = Masks::new(vec![a, b, c]);
        assert_eq!(masks.intersection(0, &masks, 1), 0.0);
        assert_eq!(masks.intersection(0, &masks, 2), 0.0);
    }
}
