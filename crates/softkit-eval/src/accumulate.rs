//! From matched detections to a precision/recall curve sampled at the recall thresholds
//! (pycocotools' `accumulate`, one category, area range, maxDets and IoU threshold at a time).

use crate::matching::DtState;

/// `np.spacing(1)`: the gap between 1.0 and the next double, added to precision denominators.
const SPACING_ONE: f64 = f64::EPSILON;

/// What every curve of one category, area range and maxDets shares: the detections' scores in
/// ranking order, the number of ground truth to recall, and the recall thresholds to sample at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ranking<'a> {
    pub(crate) scores: &'a [f64],
    pub(crate) n_pos: usize,
    pub(crate) rec_thrs: &'a [f64],
}

/// Reusable buffers for [`pr_curve`].
#[derive(Default)]
pub(crate) struct CurveScratch {
    /// Precision at each true positive, in ranking order (then made non-increasing).
    precision: Vec<f64>,
    /// Ranking position of each true positive.
    position: Vec<usize>,
}

/// Builds the curve of detections already sorted by descending score.
///
/// `states` gives each detection's outcome in that order and `scores` its score; `n_pos` is the
/// number of non-ignored ground truth (at least one). Writes the interpolated precision and the
/// score at each recall threshold into `q` and `ss` (zero where the recall is never reached) and
/// returns the final recall (zero without detections).
///
/// # Runtime and Performance
///
/// pycocotools builds recall and precision at every position of the ranking, makes the
/// precision non-increasing from the right, then samples it at `searchsorted(rc, recThrs,
/// "left")`. Recall only rises at a true positive, so every sampled position is a true positive
/// (or the first position, for a threshold of zero), and the best precision at or after a
/// position is the best precision among the true positives there: a false positive or an
/// ignored detection never has a higher precision than the true positive before it. So only the
/// true positives are stored, and the values read out are the same doubles, computed by the same
/// expressions: `tp / (fp + tp + eps)` and `tp / n_pos`.
pub(crate) fn pr_curve(
    states: impl Iterator<Item = DtState>,
    ranking: &Ranking<'_>,
    scratch: &mut CurveScratch,
    q: &mut [f64],
    ss: &mut [f64],
) -> f64 {
    let (pr, at) = (&mut scratch.precision, &mut scratch.position);
    pr.clear();
    at.clear();
    // Counts are exact in f64 far beyond any detection count; numpy's cumsum gives the same values.
    let (mut tp, mut fp) = (0_u64, 0_u64);
    let mut nd = 0;
    for (i, s) in states.enumerate() {
        nd = i + 1;
        fp += u64::from(s == DtState::FalsePositive);
        if s == DtState::TruePositive {
            tp += 1;
            let tpf = tp as f64;
            pr.push(tpf / (fp as f64 + tpf + SPACING_ONE));
            at.push(i);
        }
    }
    debug_assert_eq!(nd, ranking.scores.len());
    finish_curve(pr, at, nd, ranking, q, ss)
}

/// The most IoU thresholds that [`pr_curves_bits`] takes at once (the bits of a `u32`).
pub(crate) const MAX_BIT_THRESHOLDS: usize = 32;

/// One detection's outcomes at every IoU threshold: bit `t` of `tp` (of `fp`) is set when it is
/// a true (a false) positive at threshold `t`; neither bit when it is ignored there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StateBits {
    pub(crate) tp: u32,
    pub(crate) fp: u32,
}

impl StateBits {
    /// Packs the states of one detection at thresholds `0..states.len()` (at most 32).
    pub(crate) fn pack(states: &[DtState]) -> Self {
        debug_assert!(states.len() <= MAX_BIT_THRESHOLDS);
        let mut bits = StateBits::default();
        for (t, &s) in states.iter().enumerate() {
            bits.tp |= u32::from(s == DtState::TruePositive) << t;
            bits.fp |= u32::from(s == DtState::FalsePositive) << t;
        }
        bits
    }
}

/// Reusable buffers for [`pr_curves_bits`]: one [`CurveScratch`] per threshold.
#[derive(Default)]
pub(crate) struct BitsScratch {
    curves: Vec<CurveScratch>,
}

/// [`pr_curve`] at every IoU threshold in one pass over the ranking, with the outcomes packed as
/// [`StateBits`]: the same values, for `nt <= 32` thresholds.
///
/// `q` and `ss` hold `nt` rows of `rec_thrs.len()` values and `recall` one value per threshold.
pub(crate) fn pr_curves_bits(
    bits: impl Iterator<Item = StateBits>,
    nt: usize,
    ranking: &Ranking<'_>,
    scratch: &mut BitsScratch,
    q: &mut [f64],
    ss: &mut [f64],
    recall: &mut [f64],
) {
    assert!(nt <= MAX_BIT_THRESHOLDS);
    let nr = ranking.rec_thrs.len();
    debug_assert!(q.len() == nt * nr && ss.len() == nt * nr && recall.len() == nt);
    let curves = &mut scratch.curves;
    curves.resize_with(nt.max(curves.len()), CurveScratch::default);
    for c in curves.iter_mut() {
        c.precision.clear();
        c.position.clear();
    }
    let mut tp = [0_u64; MAX_BIT_THRESHOLDS];
    // False positives at threshold t: `fp_all + fp[t]`, where `fp_all` counts the detections
    // that are false positives at every threshold (most of them), so those cost one addition.
    let mut fp = [0_u64; MAX_BIT_THRESHOLDS];
    let mut fp_all = 0_u64;
    let every_threshold = if nt == MAX_BIT_THRESHOLDS { u32::MAX } else { (1_u32 << nt) - 1 };
    let mut nd = 0;
    for (i, b) in bits.enumerate() {
        nd = i + 1;
        let mut tp_bits = b.tp;
        while tp_bits != 0 {
            let t = tp_bits.trailing_zeros() as usize;
            tp_bits &= tp_bits - 1;
            tp[t] += 1;
            let tpf = tp[t] as f64;
            // A detection is a true or a false positive at one threshold, never both: fp[t] is
            // the count before it, as in pycocotools' cumulative sums.
            curves[t].precision.push(tpf / ((fp_all + fp[t]) as f64 + tpf + SPACING_ONE));
            curves[t].position.push(i);
        }
        if b.fp == every_threshold {
            fp_all += 1;
        } else {
            let mut fp_bits = b.fp;
            while fp_bits != 0 {
                fp[fp_bits.trailing_zeros() as usize] += 1;
                fp_bits &= fp_bits - 1;
            }
        }
    }
    debug_assert_eq!(nd, ranking.scores.len());
    for (t, c) in curves.iter_mut().take(nt).enumerate() {
        let rows = t * nr..(t + 1) * nr;
        recall[t] = finish_curve(&mut c.precision, &c.position, nd, ranking, &mut q[rows.clone()], &mut ss[rows]);
    }
}

/// Interpolates and samples one curve from its true positives: `pr` is the precision at each
/// true positive in ranking order, `at` its position, `nd` the number of detections ranked.
fn finish_curve(pr: &mut [f64], at: &[usize], nd: usize, ranking: &Ranking<'_>, q: &mut [f64], ss: &mut [f64]) -> f64 {
    let Ranking { scores, n_pos, rec_thrs } = *ranking;
    let npig = n_pos as f64;
    q.fill(0.0);
    ss.fill(0.0);
    if nd == 0 {
        // searchsorted gives 0 for every threshold, and pycocotools' read of pr[0] fails at once.
        return 0.0;
    }
    make_non_increasing(pr);
    let n_tp = pr.len();
    for (ri, &thr) in rec_thrs.iter().enumerate() {
        // The first true-positive count k whose recall k / n_pos is not below the threshold:
        // `searchsorted(rc, thr, "left")` lands on the k-th true positive (on position 0 for k = 0).
        // `k / n_pos < thr` is monotone in k: start at the estimate `ceil(thr * n_pos)` (a float
        // to integer cast saturates, and sends NaN to 0) and step to the exact boundary with
        // pycocotools' own expression, which costs a division or two instead of a binary search.
        let below = |k: usize| (k as f64) / npig < thr;
        let mut lo = ((thr * npig).ceil() as usize).min(n_tp + 1);
        while lo > 0 && !below(lo - 1) {
            lo -= 1;
        }
        while lo <= n_tp && below(lo) {
            lo += 1;
        }
        if lo == 0 {
            q[ri] = pr.first().copied().unwrap_or(0.0);
            ss[ri] = scores[0];
        } else if lo <= n_tp {
            q[ri] = pr[lo - 1];
            ss[ri] = scores[at[lo - 1]];
        } else {
            // As in pycocotools, the first threshold that no position reaches ends the sampling;
            // it and every later threshold keep their zero.
            break;
        }
    }
    n_tp as f64 / npig
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

#[cfg(test)]
mod tests {
    use super::DtState::{FalsePositive as Fp, Ignored as Ig, TruePositive as Tp};
    use super::*;

    /// pycocotools' accumulate for one cell, transcribed position by position: the oracle for
    /// [`pr_curve`], which stores the true positives only.
    fn reference_curve(
        states: &[DtState],
        scores: &[f64],
        n_pos: usize,
        rec_thrs: &[f64],
    ) -> (Vec<f64>, Vec<f64>, f64) {
        let npig = n_pos as f64;
        let (mut rc, mut pr) = (Vec::new(), Vec::new());
        let (mut tp, mut fp) = (0.0_f64, 0.0_f64);
        for s in states {
            match s {
                Tp => tp += 1.0,
                Fp => fp += 1.0,
                Ig => {}
            }
            rc.push(tp / npig);
            pr.push(tp / (fp + tp + SPACING_ONE));
        }
        let recall = rc.last().copied().unwrap_or(0.0);
        make_non_increasing(&mut pr);
        let (mut q, mut ss) = (vec![0.0; rec_thrs.len()], vec![0.0; rec_thrs.len()]);
        sample_at_recalls(&rc, &pr, scores, rec_thrs, &mut q, &mut ss);
        (q, ss, recall)
    }

    /// For each recall threshold `r`, takes the first position whose recall is `>= r`
    /// (`np.searchsorted(rc, recThrs, side="left")`) and reads precision and score there; the
    /// first threshold that no position reaches ends the sampling.
    fn sample_at_recalls(rc: &[f64], pr: &[f64], scores: &[f64], rec_thrs: &[f64], q: &mut [f64], ss: &mut [f64]) {
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

    #[test]
    fn true_positive_curve_equals_the_position_by_position_transcription() {
        // A small deterministic generator: rankings of every mix of outcomes, including none.
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut thr_sets = vec![crate::linspace(0.0, 1.0, 101), vec![0.0, 0.25, 0.3, 0.5, 0.75, 0.8, 0.1]];
        thr_sets.push(vec![-0.5, f64::NAN, 0.2, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        let mut scratch = CurveScratch::default();
        for case in 0..3000 {
            let n = (next() % 40) as usize;
            let weights = [next() % 4, next() % 4, next() % 4];
            let states: Vec<DtState> = (0..n)
                .map(|_| {
                    let r = next() % (weights.iter().sum::<u64>() + 1);
                    if r < weights[0] {
                        Tp
                    } else if r < weights[0] + weights[1] {
                        Fp
                    } else {
                        Ig
                    }
                })
                .collect();
            let mut scores: Vec<f64> = (0..n).map(|_| (next() % 1000) as f64 / 1000.0).collect();
            scores.sort_by(|a, b| b.partial_cmp(a).unwrap());
            let n_tp = states.iter().filter(|&&s| s == Tp).count();
            let n_pos = n_tp.max(1) + (next() % 3) as usize;
            let thrs = &thr_sets[case % thr_sets.len()];
            let (q_ref, ss_ref, recall_ref) = reference_curve(&states, &scores, n_pos, thrs);
            let (mut q, mut ss) = (vec![7.0; thrs.len()], vec![7.0; thrs.len()]);
            let ranking = Ranking { scores: &scores, n_pos, rec_thrs: thrs };
            let recall = pr_curve(states.iter().copied(), &ranking, &mut scratch, &mut q, &mut ss);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(recall.to_bits(), recall_ref.to_bits(), "case {case}: {states:?}");
            assert_eq!(bits(&q), bits(&q_ref), "case {case}: {states:?}");
            assert_eq!(bits(&ss), bits(&ss_ref), "case {case}: {states:?}");
        }
    }

    #[test]
    fn bit_parallel_curves_equal_the_transcription_at_every_threshold() {
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let thrs = crate::linspace(0.0, 1.0, 101);
        let nr = thrs.len();
        let mut scratch = BitsScratch::default();
        for case in 0..500 {
            let nt = [1, 10, 32][case % 3];
            let n = (next() % 60) as usize;
            // [n, nt] states; a detection's outcome varies by threshold.
            let states: Vec<DtState> = (0..n * nt).map(|_| [Tp, Fp, Fp, Ig][(next() % 4) as usize]).collect();
            let scores: Vec<f64> = (0..n).map(|i| 1.0 - i as f64 / 64.0).collect();
            let n_pos = 1 + (next() % 40) as usize;
            let packed: Vec<StateBits> = states.chunks(nt).map(StateBits::pack).collect();
            let (mut q, mut ss, mut recall) = (vec![7.0; nt * nr], vec![7.0; nt * nr], vec![7.0; nt]);
            let ranking = Ranking { scores: &scores, n_pos, rec_thrs: &thrs };
            pr_curves_bits(packed.into_iter(), nt, &ranking, &mut scratch, &mut q, &mut ss, &mut recall);
            for t in 0..nt {
                let column: Vec<DtState> = (0..n).map(|d| states[d * nt + t]).collect();
                let (q_ref, ss_ref, recall_ref) = reference_curve(&column, &scores, n_pos, &thrs);
                assert_eq!(recall[t].to_bits(), recall_ref.to_bits(), "case {case}, t {t}");
                assert_eq!(&q[t * nr..(t + 1) * nr], &q_ref[..], "case {case}, t {t}");
                assert_eq!(&ss[t * nr..(t + 1) * nr], &ss_ref[..], "case {case}, t {t}");
            }
        }
    }

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
        let ranking = Ranking { scores: &scores, n_pos: 2, rec_thrs: &thrs };
        let recall = pr_curve(states.into_iter(), &ranking, &mut CurveScratch::default(), &mut q, &mut ss);
        assert_eq!(recall, 1.0);
        let p1 = 1.0 / (1.0 + f64::EPSILON);
        let p4 = 2.0 / (3.0 + f64::EPSILON);
        assert_eq!(q, [p1, p1, p4, p4]);
        assert_eq!(ss, [0.9, 0.9, 0.6, 0.6]);
    }

    #[test]
    fn no_detections_give_zero_recall_and_zero_precision() {
        let (mut q, mut ss) = ([1.0; 3], [1.0; 3]);
        let recall = pr_curve(
            std::iter::empty(),
            &Ranking { scores: &[], n_pos: 3, rec_thrs: &[0.0, 0.5, 1.0] },
            &mut CurveScratch::default(),
            &mut q,
            &mut ss,
        );
        assert_eq!(recall, 0.0);
        assert_eq!(q, [0.0; 3]);
        assert_eq!(ss, [0.0; 3]);
    }
}
