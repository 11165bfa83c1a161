//! Average precision at one overlap threshold over 40 recall positions (KITTI's "R40"), the
//! number 3-D detection reports, here without KITTI's difficulty filters.

use std::collections::HashMap;

use softkit_geom::PairOverlap;

use crate::{EvalError, EvalInput};

/// AP|R40 per class at `threshold`, for every category of `input` that has ground truth (in
/// ascending id).
///
/// Per class, detections go by non-increasing score (ties to the lower index); each takes the
/// *free* ground truth of its frame (image) with the highest overlap (ties to the lower index),
/// a true positive when that overlap is at least `threshold`. At each recall `r` of
/// `1/40, 2/40, ..., 1`, the precision is the best one reached at recall `r` or more (0 if none
/// is), and AP is their mean.
///
/// This is KITTI's R40 interpolation without its difficulty levels (height, occlusion,
/// truncation), DontCare regions, neighbouring-class ignores or score-threshold sweep, and with
/// `>=` where the devkit tests `>`.
///
/// # Errors
///
/// [`EvalError`] for a threshold outside `[0, 1]` or a non-finite score.
///
/// # Examples
///
/// ```
/// use softkit_eval::{DtRecord, EvalInput, GtRecord, evaluate_r40};
/// use softkit_geom::{Box3dOrigin, Boxes3d, Iou, PairView};
///
/// let car = [10.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0];
/// let gts = [GtRecord { id: 1, image_id: 0, category_id: 1, area: 12.0, iscrowd: false, ignore: false }];
/// let dts = [DtRecord { image_id: 0, category_id: 1, area: 12.0, score: 0.9 }];
/// let pairs = PairView::new(Boxes3d::new(&[car], Box3dOrigin::Centre)?, Boxes3d::new(&[car], Box3dOrigin::Centre)?, Iou);
/// let input = EvalInput { image_ids: &[0], category_ids: &[1], gts: &gts, dts: &dts };
/// assert_eq!(evaluate_r40(&input, &pairs, 0.7)?, vec![(1, 1.0)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_r40<O: PairOverlap>(
    input: &EvalInput<'_>,
    overlap: &O,
    threshold: f64,
) -> Result<Vec<(i64, f64)>, EvalError> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(EvalError::Params { field: "iou_threshold", reason: format!("{threshold} is not in [0, 1]") });
    }
    if let Some((i, d)) = input.dts.iter().enumerate().find(|(_, d)| !d.score.is_finite()) {
        return Err(EvalError::NonFinite { item: format!("dts[{i}]"), field: "score", value: d.score });
    }
    let mut categories: Vec<i64> = input.gts.iter().map(|g| g.category_id).collect();
    categories.retain(|c| input.category_ids.contains(c));
    categories.sort_unstable();
    categories.dedup();
    Ok(categories.into_iter().map(|c| (c, class_ap(input, overlap, threshold, c))).collect())
}

fn class_ap<O: PairOverlap>(input: &EvalInput<'_>, overlap: &O, threshold: f64, category: i64) -> f64 {
    let mut by_frame: HashMap<i64, Vec<usize>> = HashMap::new();
    for (g, gt) in input.gts.iter().enumerate().filter(|(_, gt)| gt.category_id == category) {
        by_frame.entry(gt.image_id).or_default().push(g);
    }
    let positives: usize = by_frame.values().map(Vec::len).sum();
    let mut order: Vec<usize> = (0..input.dts.len()).filter(|&d| input.dts[d].category_id == category).collect();
    order.sort_by(|&a, &b| input.dts[b].score.total_cmp(&input.dts[a].score));
    let mut used = vec![false; input.gts.len()];
    let (mut tp, mut points) = (0.0, Vec::with_capacity(order.len()));
    for (rank, &d) in order.iter().enumerate() {
        let mut best: Option<(f64, usize)> = None;
        for &g in by_frame.get(&input.dts[d].image_id).map_or(&[][..], Vec::as_slice) {
            let o = overlap.overlap(d, g, false);
            if !used[g] && best.is_none_or(|(max, _)| o > max) {
                best = Some((o, g));
            }
        }
        if let Some((o, g)) = best
            && o >= threshold
        {
            used[g] = true;
            tp += 1.0;
        }
        points.push((tp / positives as f64, tp / (rank + 1) as f64));
    }
    let recalls = crate::linspace(1.0 / 40.0, 1.0, 40);
    let total: f64 = recalls
        .iter()
        .map(|&r| points.iter().filter(|(recall, _)| *recall >= r).map(|(_, p)| *p).fold(0.0, f64::max))
        .sum();
    total / 40.0
}
