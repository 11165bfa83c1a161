//! Greedy matching of one image's detections to its ground truth (pycocotools' `evaluateImg`).

/// What one detection counts as at one IoU threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DtState {
    /// Neither a true nor a false positive: matched to an ignored ground truth, or unmatched
    /// with an area outside the range.
    Ignored,
    /// Matched to a ground truth that counts.
    TruePositive,
    /// Unmatched, inside the area range.
    FalsePositive,
}

/// One image (and category) ready for matching.
pub(crate) struct ImageMatch<'a> {
    /// IoUs, `D x G` row-major: detections in score order, ground truth in input order.
    pub(crate) ious: &'a [f64],
    /// Ground-truth ids; a match to id 0 is treated as no match, as pycocotools does.
    pub(crate) gt_ids: &'a [i64],
    /// Ground-truth `iscrowd`.
    pub(crate) gt_crowd: &'a [bool],
    /// Ground truth ignored in this area range (`ignore`, or `area` outside the range).
    pub(crate) gt_ignore: &'a [bool],
    /// Detections whose area is outside the range.
    pub(crate) dt_area_out: &'a [bool],
}

/// Where [`match_image`] writes: detection `d` at threshold `t` goes to `d * stride + offset +
/// t` of `states` (and of `matches`, the matched ground truth's position, or [`NO_MATCH`]), so
/// that one call per area range can fill a `[D, A, T]` array (`stride = A * T`, `offset = a * T`).
pub(crate) struct MatchOut<'a> {
    pub(crate) states: &'a mut [DtState],
    pub(crate) matches: Option<&'a mut [u32]>,
    pub(crate) stride: usize,
    pub(crate) offset: usize,
}

/// A detection that matched no ground truth, in [`MatchOut::matches`].
pub(crate) const NO_MATCH: u32 = u32::MAX;

/// Reusable buffers for [`match_image`].
#[derive(Default)]
pub(crate) struct MatchScratch {
    order: Vec<usize>,
    taken: Vec<bool>,
    /// Each detection's highest IoU with any ground truth.
    row_max: Vec<f64>,
}

/// Matches detections to ground truth at every threshold and writes one state (and optionally
/// the matched ground truth) per `(detection, threshold)` into `out`.
///
/// The rules, in pycocotools' order:
/// - Ground truth is visited non-ignored first, each group in input order (a stable sort).
/// - A detection takes the ground truth with the highest IoU ≥ `min(t, 1 - 1e-10)`; on equal IoU
///   the later one in visiting order wins.
/// - A ground truth already taken at this threshold is skipped unless it is a crowd.
/// - Once the detection holds a non-ignored match, the search stops at the first ignored one.
/// - A detection matched to an ignored ground truth is ignored, and so is an unmatched one whose
///   area is outside the range.
pub(crate) fn match_image(m: &ImageMatch<'_>, iou_thrs: &[f64], scratch: &mut MatchScratch, out: MatchOut<'_>) {
    let MatchOut { states, mut matches, stride, offset } = out;
    if let Some(matches) = matches.as_deref_mut() {
        for d in 0..m.dt_area_out.len() {
            matches[d * stride + offset..d * stride + offset + iou_thrs.len()].fill(NO_MATCH);
        }
    }
    let n_gt = m.gt_ids.len();
    let n_dt = m.dt_area_out.len();
    debug_assert_eq!(m.ious.len(), n_gt * n_dt);
    debug_assert!(offset + iou_thrs.len() <= stride && states.len() == stride * n_dt);
    if n_gt == 0 {
        // Nothing to match: every detection is a false positive, or ignored outside the range.
        for (d, &out) in m.dt_area_out.iter().enumerate() {
            let state = if out { DtState::Ignored } else { DtState::FalsePositive };
            states[d * stride + offset..d * stride + offset + iou_thrs.len()].fill(state);
        }
        return;
    }
    let order = &mut scratch.order;
    order.clear();
    order.extend((0..n_gt).filter(|&g| !m.gt_ignore[g]));
    order.extend((0..n_gt).filter(|&g| m.gt_ignore[g]));
    // A detection below the threshold with every ground truth matches nothing: skip the search.
    let row_max = &mut scratch.row_max;
    row_max.clear();
    row_max.extend(
        m.ious
            .chunks_exact(n_gt)
            .map(|row| row.iter().fold(f64::NEG_INFINITY, |a, &b| if b > a || b.is_nan() { b } else { a })),
    );
    let taken = &mut scratch.taken;
    for (t, &thr) in iou_thrs.iter().enumerate() {
        taken.clear();
        taken.resize(n_gt, false);
        let cap = thr.min(1.0 - 1e-10);
        for d in 0..n_dt {
            // A NaN IoU (which the search would take) keeps its row's maximum NaN.
            if row_max[d] < cap {
                // Below the threshold with every ground truth: unmatched.
                let state = if m.dt_area_out[d] { DtState::Ignored } else { DtState::FalsePositive };
                states[d * stride + offset + t] = state;
                continue;
            }
            let ious = &m.ious[d * n_gt..(d + 1) * n_gt];
            let mut best_iou = cap;
            let mut best: Option<usize> = None;
            for &g in order.iter() {
                if taken[g] && !m.gt_crowd[g] {
                    continue;
                }
                if let Some(b) = best
                    && !m.gt_ignore[b]
                    && m.gt_ignore[g]
                {
                    break;
                }
                if ious[g] < best_iou {
                    continue;
                }
                best_iou = ious[g];
                best = Some(g);
            }
            // pycocotools records the match as the ground truth's id, and later reads an id of 0
            // as "unmatched".
            let matched = best.is_some_and(|g| m.gt_ids[g] != 0);
            let ignored = best.is_some_and(|g| m.gt_ignore[g]) || (!matched && m.dt_area_out[d]);
            if let Some(g) = best {
                taken[g] = true;
                if let Some(matches) = matches.as_deref_mut() {
                    matches[d * stride + offset + t] = g as u32;
                }
            }
            states[d * stride + offset + t] = if ignored {
                DtState::Ignored
            } else if matched {
                DtState::TruePositive
            } else {
                DtState::FalsePositive
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DtState::{FalsePositive as Fp, Ignored as Ig, TruePositive as Tp};
    use super::*;

    fn run(
        ious: &[f64],
        gt_ids: &[i64],
        crowd: &[bool],
        ignore: &[bool],
        area_out: &[bool],
        thrs: &[f64],
    ) -> Vec<DtState> {
        let m = ImageMatch { ious, gt_ids, gt_crowd: crowd, gt_ignore: ignore, dt_area_out: area_out };
        // match_image writes `[D, T]`; the expectations read `[T, D]`.
        let (nt, nd) = (thrs.len(), area_out.len());
        let mut states = vec![Ig; nt * nd];
        let out = MatchOut { states: &mut states, matches: None, stride: nt, offset: 0 };
        match_image(&m, thrs, &mut MatchScratch::default(), out);
        (0..nt * nd).map(|i| states[(i % nd) * nt + i / nd]).collect()
    }

    #[test]
    fn each_ground_truth_is_taken_once_in_score_order() {
        // Two detections on one ground truth: the first (higher score) takes it.
        let s = run(&[0.9, 0.95], &[1], &[false], &[false], &[false, false], &[0.5]);
        assert_eq!(s, [Tp, Fp]);
    }

    #[test]
    fn a_crowd_absorbs_many_detections_which_are_ignored() {
        let s = run(&[0.6, 0.7], &[1], &[true], &[true], &[false, false], &[0.5]);
        assert_eq!(s, [Ig, Ig]);
    }

    #[test]
    fn search_stops_at_the_first_ignored_once_a_real_match_is_held() {
        // gt 0 ignored (higher IoU), gt 1 real: the real one is visited first and kept.
        let s = run(&[0.9, 0.6], &[1, 2], &[false, false], &[true, false], &[false], &[0.5]);
        assert_eq!(s, [Tp]);
        // Without a real match above the threshold, the ignored one is taken and the detection ignored.
        let s = run(&[0.9, 0.4], &[1, 2], &[false, false], &[true, false], &[false], &[0.5]);
        assert_eq!(s, [Ig]);
    }

    #[test]
    fn equal_ious_go_to_the_later_ground_truth() {
        // Both at 0.5: the second wins, so a second detection can still take the first.
        let s = run(&[0.5, 0.5, 0.5, 0.0], &[1, 2], &[false, false], &[false, false], &[false, false], &[0.5]);
        assert_eq!(s, [Tp, Tp]);
    }

    #[test]
    fn thresholds_are_capped_below_one_and_inclusive() {
        let s = run(&[1.0 - 1e-10], &[1], &[false], &[false], &[false], &[1.0]);
        assert_eq!(s, [Tp]);
        let s = run(&[0.75], &[1], &[false], &[false], &[false], &[0.5, 0.75, 0.8]);
        assert_eq!(s, [Tp, Tp, Fp]);
    }

    #[test]
    fn unmatched_detections_outside_the_area_range_are_ignored() {
        let s = run(&[0.1], &[1], &[false], &[false], &[true], &[0.5]);
        assert_eq!(s, [Ig]);
        // Matched ones are not, whatever their area.
        let s = run(&[0.9], &[1], &[false], &[false], &[true], &[0.5]);
        assert_eq!(s, [Tp]);
    }

    #[test]
    fn without_ground_truth_detections_are_false_positives_or_ignored() {
        let s = run(&[], &[], &[], &[], &[false, true, false], &[0.5, 0.75]);
        assert_eq!(s, [Fp, Ig, Fp, Fp, Ig, Fp]);
    }

    #[test]
    fn a_nan_iou_is_taken_as_the_search_takes_it() {
        // pycocotools' `ious[d, g] < iou` is false for NaN, so the NaN becomes the best match.
        let s = run(&[0.1, f64::NAN], &[1, 2], &[false, false], &[false, false], &[false], &[0.5]);
        assert_eq!(s, [Tp]);
    }

    #[test]
    fn writes_land_at_the_stride_and_offset() {
        let m = ImageMatch {
            ious: &[0.9, 0.0],
            gt_ids: &[1],
            gt_crowd: &[false],
            gt_ignore: &[false],
            dt_area_out: &[false, false],
        };
        let mut states = vec![Ig; 2 * 5];
        let out = MatchOut { states: &mut states, matches: None, stride: 5, offset: 3 };
        match_image(&m, &[0.5, 0.95], &mut MatchScratch::default(), out);
        assert_eq!(states, [Ig, Ig, Ig, Tp, Fp, Ig, Ig, Ig, Fp, Fp]);
    }

    #[test]
    fn a_match_to_ground_truth_id_zero_counts_as_unmatched() {
        let s = run(&[0.9], &[0], &[false], &[false], &[false], &[0.5]);
        assert_eq!(s, [Fp]);
        let s = run(&[0.9], &[0], &[false], &[false], &[true], &[0.5]);
        assert_eq!(s, [Ig]);
    }
}
