//! The ActivityNet challenge's temporal detection mAP (`ANETdetection`): per class, AP at each
//! tIoU threshold from the interpolated precision/recall curve, averaged over classes and then
//! over thresholds.

use std::collections::HashMap;

use softkit_geom::PairOverlap;

use crate::{EvalError, EvalInput};

/// ActivityNet's tIoU thresholds, `np.linspace(0.5, 0.95, 10)` (so the ninth is
/// `0.8999999999999999`).
///
/// # Examples
///
/// ```
/// let t = softkit_eval::activitynet_thresholds();
/// assert_eq!((t.len(), t[0], t[9]), (10, 0.5, 0.95));
/// assert_eq!(t[8], 0.8999999999999999);
/// ```
pub fn activitynet_thresholds() -> Vec<f64> {
    crate::linspace(0.5, 0.95, 10)
}

/// The outcome of [`evaluate_activitynet`]: AP per threshold and class.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityNetEvaluation {
    /// The tIoU thresholds.
    pub thresholds: Vec<f64>,
    /// The classes, in ascending id.
    pub category_ids: Vec<i64>,
    /// `ap[t][c]`: AP of class `c` at threshold `t`.
    pub ap: Vec<Vec<f64>>,
}

impl ActivityNetEvaluation {
    /// The mAP at each threshold: the mean over classes.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_eval::ActivityNetEvaluation;
    ///
    /// let ev = ActivityNetEvaluation { thresholds: vec![0.5, 0.75], category_ids: vec![1, 2], ap: vec![vec![1.0, 0.5], vec![0.5, 0.0]] };
    /// assert_eq!(ev.map_per_threshold(), vec![0.75, 0.25]);
    /// assert_eq!(ev.average_map(), 0.5);
    /// ```
    pub fn map_per_threshold(&self) -> Vec<f64> {
        self.ap
            .iter()
            .map(|row| if row.is_empty() { 0.0 } else { row.iter().sum::<f64>() / row.len() as f64 })
            .collect()
    }

    /// The average mAP: the mean of [`map_per_threshold`](Self::map_per_threshold).
    pub fn average_map(&self) -> f64 {
        let per = self.map_per_threshold();
        if per.is_empty() { 0.0 } else { per.iter().sum::<f64>() / per.len() as f64 }
    }
}

/// ActivityNet's temporal detection evaluation over records and a pair overlap (tIoU, indexed by
/// positions in `dts` and `gts`), for every category of `input` (an image is a video).
///
/// Per class, predictions go by non-increasing score (ties to the lower index; the challenge's
/// own sort leaves ties unspecified). Each visits the ground truth of its video and class by
/// decreasing tIoU (ties to the lower index): at each threshold, the first one not yet matched
/// there makes it a true positive, and the first with a tIoU below the threshold ends the search
/// as a false positive. A class with no prediction has AP 0 and still counts in the mean.
///
/// # Errors
///
/// [`EvalError`] for a threshold outside `[0, 1]` or a non-finite score.
///
/// # Examples
///
/// ```
/// use softkit_eval::{DtRecord, EvalInput, GtRecord, evaluate_activitynet};
/// use softkit_geom::{Iou, PairView, Segments};
///
/// let gts = [GtRecord { id: 1, image_id: 7, category_id: 3, area: 10.0, iscrowd: false, ignore: false }];
/// let dts = [DtRecord { image_id: 7, category_id: 3, area: 10.0, score: 0.9 }];
/// // tIoU 8 / 12 = 0.67: a hit at 0.5, 0.55, 0.6 and 0.65, a miss above.
/// let pairs = PairView::new(Segments::new(&[[2.0, 12.0]])?, Segments::new(&[[0.0, 10.0]])?, Iou);
/// let input = EvalInput { image_ids: &[7], category_ids: &[3], gts: &gts, dts: &dts };
/// let ev = evaluate_activitynet(&input, &pairs, &softkit_eval::activitynet_thresholds())?;
/// assert_eq!(ev.map_per_threshold()[..5], [1.0, 1.0, 1.0, 1.0, 0.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_activitynet<O: PairOverlap>(
    input: &EvalInput<'_>,
    overlap: &O,
    thresholds: &[f64],
) -> Result<ActivityNetEvaluation, EvalError> {
    if let Some(&t) = thresholds.iter().find(|t| !(0.0..=1.0).contains(*t)) {
        return Err(EvalError::Params { field: "thresholds", reason: format!("{t} is not in [0, 1]") });
    }
    if let Some((i, d)) = input.dts.iter().enumerate().find(|(_, d)| !d.score.is_finite()) {
        return Err(EvalError::NonFinite { item: format!("dts[{i}]"), field: "score", value: d.score });
    }
    let mut category_ids = input.category_ids.to_vec();
    category_ids.sort_unstable();
    category_ids.dedup();
    let per_class: Vec<Vec<f64>> = category_ids.iter().map(|&c| class_ap(input, overlap, thresholds, c)).collect();
    let ap = (0..thresholds.len()).map(|t| per_class.iter().map(|aps| aps[t]).collect()).collect();
    Ok(ActivityNetEvaluation { thresholds: thresholds.to_vec(), category_ids, ap })
}

/// One class's AP at each threshold.
fn class_ap<O: PairOverlap>(input: &EvalInput<'_>, overlap: &O, thresholds: &[f64], category: i64) -> Vec<f64> {
    let mut by_video: HashMap<i64, Vec<usize>> = HashMap::new();
    for (g, gt) in input.gts.iter().enumerate().filter(|(_, gt)| gt.category_id == category) {
        by_video.entry(gt.image_id).or_default().push(g);
    }
    let positives: usize = by_video.values().map(Vec::len).sum();
    let mut order: Vec<usize> = (0..input.dts.len()).filter(|&d| input.dts[d].category_id == category).collect();
    if order.is_empty() || positives == 0 {
        return vec![0.0; thresholds.len()];
    }
    order.sort_by(|&a, &b| input.dts[b].score.total_cmp(&input.dts[a].score));
    let mut matched = vec![vec![false; input.gts.len()]; thresholds.len()];
    let mut hits = vec![vec![false; order.len()]; thresholds.len()];
    for (rank, &d) in order.iter().enumerate() {
        let Some(candidates) = by_video.get(&input.dts[d].image_id) else { continue };
        let mut scored: Vec<(f64, usize)> = candidates.iter().map(|&g| (overlap.overlap(d, g, false), g)).collect();
        // By decreasing tIoU, ties to the lower ground-truth index.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (t, &threshold) in thresholds.iter().enumerate() {
            for &(tiou, g) in &scored {
                if tiou < threshold {
                    break;
                }
                if !matched[t][g] {
                    matched[t][g] = true;
                    hits[t][rank] = true;
                    break;
                }
            }
        }
    }
    hits.iter().map(|row| interpolated_ap(row, positives)).collect()
}

/// The challenge's `interpolated_prec_rec` over a ranked hit list.
fn interpolated_ap(hits: &[bool], positives: usize) -> f64 {
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut recall = vec![0.0];
    let mut precision = vec![0.0];
    for &hit in hits {
        if hit {
            tp += 1.0
        } else {
            fp += 1.0
        }
        recall.push(tp / positives as f64);
        precision.push(tp / (tp + fp));
    }
    recall.push(1.0);
    precision.push(0.0);
    for i in (0..precision.len() - 1).rev() {
        precision[i] = precision[i].max(precision[i + 1]);
    }
    let steps: Vec<f64> = (1..recall.len())
        .filter(|&i| recall[i] != recall[i - 1])
        .map(|i| (recall[i] - recall[i - 1]) * precision[i])
        .collect();
    softkit_geom::pairwise_sum(&steps)
}
