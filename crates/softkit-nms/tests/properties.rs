//! Property tests of the suppression engine: invariants that hold for every scene and parameter
//! set, checked with proptest (which shrinks any failure to a small scene).

mod common;

use std::collections::HashSet;

use common::{Rng, SceneSpec, assert_kept_eq, iou, labels, scene, soft_nms_boxes};
use proptest::prelude::*;
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_nms::{Kept, Policy, SuppressParams, batched_nms, nms, soft_nms, suppress, suppress_batched};

/// Boxes on a 200 x 200 canvas, sides 0..60 (a tenth of them degenerate), scores in [0, 1).
fn scenes(max_n: usize) -> impl Strategy<Value = (Vec<[f64; 4]>, Vec<f64>)> {
    let side = || prop_oneof![1 => Just(0.0), 9 => 0.0..60.0f64];
    prop::collection::vec((0.0..200.0f64, 0.0..200.0f64, side(), side(), 0.0..1.0f64), 0..max_n).prop_map(|rows| {
        let boxes = rows.iter().map(|&(x, y, w, h, _)| [x, y, x + w, y + h]).collect();
        let scores = rows.iter().map(|r| r.4).collect();
        (boxes, scores)
    })
}

/// Any policy with its default score threshold.
fn policies() -> impl Strategy<Value = SuppressParams> {
    prop_oneof![
        (0.0..=1.0f64).prop_map(SuppressParams::hard),
        (0.0..=1.0f64).prop_map(SuppressParams::linear),
        (0.01..5.0f64).prop_map(SuppressParams::gaussian),
    ]
}

/// Any policy, with the default, a fixed or no score threshold.
fn params() -> impl Strategy<Value = SuppressParams> {
    let threshold =
        prop_oneof![Just(None), Just(Some(f64::NEG_INFINITY)), Just(Some(0.0)), (0.0..0.6f64).prop_map(Some),];
    (policies(), threshold).prop_map(|(p, t)| match t {
        Some(t) => p.with_score_threshold(t),
        None => p,
    })
}

/// Any policy with a threshold low enough that (almost) every item takes part.
fn params_keeping_most() -> impl Strategy<Value = SuppressParams> {
    (policies(), prop_oneof![Just(0.001), Just(f64::NEG_INFINITY), Just(0.0)])
        .prop_map(|(p, t)| p.with_score_threshold(t))
}

fn run(boxes: &[[f64; 4]], scores: &[f64], params: &SuppressParams) -> Kept {
    soft_nms(boxes, scores, params).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_the_reference((boxes, scores) in scenes(120), params in params()) {
        assert_kept_eq(&run(&boxes, &scores, &params), &soft_nms_boxes(&boxes, &scores, &params), "proptest scene");
    }

    #[test]
    fn kept_is_a_subset_without_duplicates((boxes, scores) in scenes(150), params in params()) {
        let kept = run(&boxes, &scores, &params);
        prop_assert_eq!(kept.indices.len(), kept.scores.len());
        let mut seen = HashSet::new();
        for (&i, &s) in kept.indices.iter().zip(&kept.scores) {
            prop_assert!(i < boxes.len(), "index {} out of range", i);
            prop_assert!(seen.insert(i), "index {} kept twice", i);
            prop_assert!(s >= params.score_threshold, "kept score {} below threshold {}", s, params.score_threshold);
        }
        // Items that start below the threshold are never selected.
        for &i in &kept.indices {
            prop_assert!(scores[i] >= params.score_threshold);
        }
    }

    #[test]
    fn decayed_scores_never_exceed_originals((boxes, scores) in scenes(150), params in params()) {
        let kept = run(&boxes, &scores, &params);
        for (&i, &s) in kept.indices.iter().zip(&kept.scores) {
            prop_assert!(s <= scores[i], "index {}: kept score {} above original {}", i, s, scores[i]);
            if matches!(params.policy, Policy::Hard { .. }) {
                prop_assert_eq!(s, scores[i]);
            }
        }
    }

    #[test]
    fn selection_order_scores_never_increase((boxes, scores) in scenes(150), params in params()) {
        let kept = run(&boxes, &scores, &params);
        for pair in kept.scores.windows(2) {
            prop_assert!(pair[0] >= pair[1], "scores increase: {} then {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn hard_output_is_a_fixed_point((boxes, scores) in scenes(150), thr in 0.0..=1.0f64) {
        let keep = nms(&boxes, &scores, thr).unwrap();
        let sub_boxes: Vec<[f64; 4]> = keep.iter().map(|&i| boxes[i]).collect();
        let sub_scores: Vec<f64> = keep.iter().map(|&i| scores[i]).collect();
        // Re-running on the kept boxes (in kept order) keeps all of them, in the same order.
        prop_assert_eq!(nms(&sub_boxes, &sub_scores, thr).unwrap(), (0..keep.len()).collect::<Vec<_>>());
        // And the kept set is maximal: every removed box overlaps a kept one by more than thr.
        let kept: HashSet<usize> = keep.iter().copied().collect();
        for i in (0..boxes.len()).filter(|i| !kept.contains(i)) {
            prop_assert!(keep.iter().any(|&k| iou(&boxes[k], &boxes[i]) > thr), "box {} removed by nobody", i);
        }
        // `Policy::Hard` through `suppress` is `nms`.
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        prop_assert_eq!(suppress(&set, &scores, &SuppressParams::hard(thr)).unwrap().indices, keep);
    }

    #[test]
    fn output_is_independent_of_input_order(
        (boxes, scores, perm) in scenes(150).prop_flat_map(|(b, s)| {
            let n = b.len();
            (Just(b), Just(s), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
        }),
        params in params(),
    ) {
        let distinct: HashSet<u64> = scores.iter().map(|s| s.to_bits()).collect();
        prop_assume!(distinct.len() == scores.len());
        // A tie between decayed scores legitimately depends on input order.
        prop_assume!(!soft_nms_boxes(&boxes, &scores, &params).tied);
        let kept = run(&boxes, &scores, &params);
        // Position k of the permuted input holds original item perm[k].
        let p_boxes: Vec<[f64; 4]> = perm.iter().map(|&i| boxes[i]).collect();
        let p_scores: Vec<f64> = perm.iter().map(|&i| scores[i]).collect();
        let p_kept = run(&p_boxes, &p_scores, &params);
        let mapped: Vec<usize> = p_kept.indices.iter().map(|&k| perm[k]).collect();
        prop_assert_eq!(mapped, kept.indices);
        // The same products in the same order: bit-identical scores.
        prop_assert_eq!(p_kept.scores, kept.scores);
    }

    #[test]
    fn max_output_gives_a_prefix((boxes, scores) in scenes(150), params in params(), k in 0usize..160) {
        let full = run(&boxes, &scores, &params);
        let top = run(&boxes, &scores, &params.with_max_output(k));
        let m = k.min(full.indices.len());
        prop_assert_eq!(&top.indices[..], &full.indices[..m]);
        prop_assert_eq!(&top.scores[..], &full.scores[..m]);
    }

    #[test]
    fn batched_never_suppresses_across_labels(
        (boxes, scores) in scenes(150),
        params in params(),
        label_seed in any::<u64>(),
        label_count in 1usize..6,
        k in prop::option::of(0usize..100),
    ) {
        let labels = labels(&mut Rng::new(label_seed), boxes.len(), label_count);
        let params = match k { Some(k) => params.with_max_output(k), None => params };
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        let merged = suppress_batched(&set, &scores, &labels, &params).unwrap();
        let full = suppress_batched(&set, &scores, &labels, &SuppressParams { max_output: None, ..params }).unwrap();
        // max_output cuts the merged list.
        let m = k.unwrap_or(usize::MAX).min(full.indices.len());
        prop_assert_eq!(&merged.indices[..], &full.indices[..m]);
        prop_assert_eq!(&merged.scores[..], &full.scores[..m]);
        for pair in full.scores.windows(2) {
            prop_assert!(pair[0] >= pair[1], "merged scores increase: {} then {}", pair[0], pair[1]);
        }
        // Each label's share of the merged list is exactly that label suppressed on its own.
        for label in labels.iter().copied().collect::<HashSet<i64>>() {
            let members: Vec<usize> = (0..boxes.len()).filter(|&i| labels[i] == label).collect();
            let sub_boxes: Vec<[f64; 4]> = members.iter().map(|&i| boxes[i]).collect();
            let sub_scores: Vec<f64> = members.iter().map(|&i| scores[i]).collect();
            let alone = run(&sub_boxes, &sub_scores, &SuppressParams { max_output: None, ..params });
            let share: Vec<(usize, f64)> =
                full.indices.iter().zip(&full.scores).filter(|(i, _)| labels[**i] == label).map(|(&i, &s)| (i, s)).collect();
            let expected: Vec<(usize, f64)> =
                alone.indices.iter().zip(&alone.scores).map(|(&k, &s)| (members[k], s)).collect();
            prop_assert_eq!(share, expected, "label {}", label);
        }
        if matches!(params.policy, Policy::Hard { .. }) && params.max_output.is_none() && params.score_threshold == f64::NEG_INFINITY {
            let Policy::Hard { iou_threshold } = params.policy else { unreachable!() };
            prop_assert_eq!(batched_nms(&boxes, &scores, &labels, iou_threshold).unwrap(), full.indices);
        }
    }
}

/// Runs `f` on a fresh pool of `threads` threads.
fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        assert_eq!(rayon::current_num_threads(), threads);
        f()
    })
}

proptest! {
    // Each case is thousands of boxes; a few cases cover the parallel path.
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn same_result_on_one_and_two_threads(
        seed in any::<u64>(),
        n in 4500usize..9000,
        label_count in 2usize..120,
        dense in any::<bool>(),
        params in params_keeping_most(),
    ) {
        let mut rng = Rng::new(seed);
        let spec = if dense { SceneSpec::dense(n) } else { SceneSpec::sparse(n) };
        let (boxes, scores) = scene(&mut rng, &spec);
        // The engine goes parallel from 4096 items above the threshold; make sure this case does.
        prop_assert!(scores.iter().filter(|&&s| s >= params.score_threshold).count() > 4096);
        let labels = labels(&mut rng, n, label_count);
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        let one = on_threads(1, || suppress_batched(&set, &scores, &labels, &params).unwrap());
        let two = on_threads(2, || suppress_batched(&set, &scores, &labels, &params).unwrap());
        prop_assert_eq!(&one, &two);
        let four = on_threads(4, || suppress_batched(&set, &scores, &labels, &params).unwrap());
        prop_assert_eq!(&one, &four);
        let hard_one = on_threads(1, || batched_nms(&boxes, &scores, &labels, 0.5).unwrap());
        let hard_two = on_threads(2, || batched_nms(&boxes, &scores, &labels, 0.5).unwrap());
        prop_assert_eq!(hard_one, hard_two);
    }
}
