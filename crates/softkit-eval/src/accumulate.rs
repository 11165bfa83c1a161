//! From matched detections to a precision/recall curve sampled at the recall thresholds
//! (pycocotools' `accumulate`, one category, area range, maxDets and IoU threshold at a time).

use crate::matching::DtState;

/// `np.spacing(1)`: the gap between 1.0 and the next double, added to precision denominators.
const SPACING_ONE: f64 = f64::EPSILON;

/// Reusable buffers for [`pr_curve`].
#[derive(Default)]
pub(crate) struct CurveScratch {
    recall: Vec<f64>,
    precision: Vec<f64>,
}

/// Builds the curve of detections already sorted by descending score.
///
/// `states` gives each detection's outcome in that order and `scores` its score; `n_pos` is the
/// number of non-ignored ground truth. Writes the interpolated precision and the score at each
/// recall threshold into `q` and `ss` (zero where the recall is never reached) and returns the
/// final recall (zero without detections).
pub(crate) fn pr_curve(
    states: impl Iterator<Item = DtState>,
    scores: &[f64],
    n_pos: usize,
    rec_thrs: &[f64],
    scratch: &mut CurveScratch,
    q: &mut [f64],
    ss: &mut [f64],
) -> f64 {
    let npig = n_pos as f64;
    let (rc, pr) = (&mut scratch.recall, &mut scratch.precision);
    rc.clear();
    pr.clear();
    let (mut tp, mut fp) = (0.0_f64, 0.0_f64);
    for s in states {
        match s {
            DtState::TruePositive => tp += 1.0,
            DtState::FalsePositive => fp += 1.0,
            DtState::Ignored => {}
        }
        rc.push(tp / npig);
        pr.push(tp / (fp + tp + SPACING_ONE));
    }
    debug_assert_eq!(rc.len(), scores.len());
    let recall = rc.last().copied().unwrap_or(0.0);
    make_non_increasing(pr);
    sample_at_recalls(rc, pr, scores, rec_thrs, q, ss);
    recall
}

/// Replaces each precision by the maximum precision at any later position, scanning from the
/// right (the "interpolated" precision of the PASCAL/COCO protocol).
pub(crate) fn make_non_increasing(pr: &mut [f64]) {
    for i in (1..pr.len()).rev() {
        if pr[i] > pr[i - 1] {
            pr[i - 1] = pr[i];
        }
    }
}

/// For each recall threshold `r`, takes the first position whose recall is `>= r`
/// (`np.searchsorted(rc, recThrs, side="left")`) and reads precision and score there.
///
/// As in pycocotools, the first threshold that no position reaches ends the sampling; it and
/// every later threshold keep the zero already in `q` and `ss`.
pub(crate) fn sample_at_recalls(
    rc: &[f64],
    pr: &[f64],
    scores: &[f64],
    rec_thrs: &[f64],
    q: &mut [f64],
    ss: &mut [f64],
) {
    q.fill(0.0);
    ss.fill(0.0);
    for (ri, &thr) in rec_thrs.iter().enumerate() {
        let pi = rc.partition_point(|&x| x < thr);
        if pi >= rc.len() {
            break;
        }
        q[ri] = pr[pi];
        ss[ri] = scores[pi];
    }
}

#[cfg(test)]
mod tests {
    use super::DtState::{FalsePositive as Fp, Ignored as Ig, TruePositive as Tp};
    use super::*;

    #[test]
    fn interpolation_takes_the_best_precision_to_the_right() {
        let mut pr = vec![1.0, 0.5, 0.6667, 0.5, 0.6];
        make_non_increasing(&mut pr);
        assert_eq!(pr, [1.0, 0.6667, 0.6667, 0.6, 0.6]);
    }

    #[test]
    fn searchsorted_left_picks_the_first_position_reaching_the_threshold() {
        let rc = [0.25, 0.5, 0.5, 0.75];
        let pr = [1.0, 0.9, 0.8, 0.7];
        let sc = [0.9, 0.8, 0.7, 0.6];
        let thrs = [0.0, 0.25, 0.3, 0.5, 0.75, 0.8, 0.1];
        let (mut q, mut ss) = ([9.0; 7], [9.0; 7]);
        sample_at_recalls(&rc, &pr, &sc, &thrs, &mut q, &mut ss);
        // 0.8 is never reached: it and every later threshold (even 0.1) stay at zero.
        assert_eq!(q, [1.0, 1.0, 0.9, 0.9, 0.7, 0.0, 0.0]);
        assert_eq!(ss, [0.9, 0.9, 0.8, 0.8, 0.6, 0.0, 0.0]);
    }

    #[test]
    fn curve_of_a_small_ranking() {
        // TP, FP, ignored, TP over 2 positives: recall 0.5, 0.5, 0.5, 1.0.
        let states = [Tp, Fp, Ig, Tp];
        let scores = [0.9, 0.8, 0.7, 0.6];
        let thrs = [0.0, 0.5, 0.51, 1.0];
        let (mut q, mut ss) = ([0.0; 4], [0.0; 4]);
        let recall = pr_curve(states.into_iter(), &scores, 2, &thrs, &mut CurveScratch::default(), &mut q, &mut ss);
        assert_eq!(recall, 1.0);
        let p1 = 1.0 / (1.0 + f64::EPSILON);
        let p4 = 2.0 / (3.0 + f64::EPSILON);
        assert_eq!(q, [p1, p1, p4, p4]);
        assert_eq!(ss, [0.9, 0.9, 0.6, 0.6]);
    }

    #[test]
    fn no_detections_give_zero_recall_and_zero_precision() {
        let (mut q, mut ss) = ([1.0; 3], [1.0; 3]);
        let recall =
            pr_curve(std::iter::empty(), &[], 3, &[0.0, 0.5, 1.0], &mut CurveScratch::default(), &mut q, &mut ss);
        assert_eq!(recall, 0.0);
        assert_eq!(q, [0.0; 3]);
        assert_eq!(ss, [0.0; 3]);
    }
}
