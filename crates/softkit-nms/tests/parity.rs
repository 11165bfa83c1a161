//! Parity of the engine's hard NMS and Soft-NMS with the plain O(n^2) paper reference, on random
//! and adversarial scenes: indices must be equal and scores equal to 1e-12 relative.

mod common;

use common::{
    RefKept, Rng, SceneSpec, assert_kept_eq, batched_hard_ref, batched_soft_ref, hard_nms_boxes, hard_nms_ref, iou,
    iou_px, labels, scene, soft_nms_boxes, soft_nms_ref, widen,
};
use softkit_geom::{BoxMeasure, BoxSet, box_diou};
use softkit_nms::{Kept, SuppressParams, batched_nms, nms, soft_nms, suppress, suppress_batched, suppress_per_image};

const SIZES: [usize; 10] = [0, 1, 2, 3, 17, 33, 200, 700, 1500, 3000];

/// The soft parameter grid every random scene runs under.
fn soft_params() -> Vec<SuppressParams> {
    let mut out = Vec::new();
    for nt in [0.0, 0.3, 0.5, 0.8, 1.0] {
        out.push(SuppressParams::linear(nt));
    }
    for sigma in [0.05, 0.5, 2.0, 1e3] {
        out.push(SuppressParams::gaussian(sigma));
    }
    for t in [0.0, 0.1, 0.5, f64::NEG_INFINITY] {
        out.push(SuppressParams::linear(0.3).with_score_threshold(t));
        out.push(SuppressParams::gaussian(0.5).with_score_threshold(t));
    }
    out
}

/// Checks hard NMS on one scene through `nms`, `suppress(hard)` and `soft_nms(hard)`.
fn check_hard(boxes: &[[f64; 4]], scores: &[f64], thr: f64, context: &str) {
    let expected = hard_nms_boxes(boxes, scores, thr);
    let got = nms(boxes, scores, thr).unwrap();
    assert_eq!(got, expected, "{context}: nms at {thr}");
    let set = BoxSet::new(boxes, BoxMeasure::Iou, 0.0).unwrap();
    let kept = suppress(&set, scores, &SuppressParams::hard(thr)).unwrap();
    assert_eq!(kept.indices, got, "{context}: suppress(hard) differs from nms at {thr}");
    // Hard NMS reports the input scores.
    let expected_scores: Vec<f64> = got.iter().map(|&i| scores[i]).collect();
    assert_eq!(kept.scores, expected_scores, "{context}: hard NMS must report the input scores");
    assert_eq!(soft_nms(boxes, scores, &SuppressParams::hard(thr)).unwrap(), kept, "{context}: soft_nms(hard)");
}

/// Checks one soft configuration through `soft_nms` and `suppress`.
fn check_soft(boxes: &[[f64; 4]], scores: &[f64], params: &SuppressParams, context: &str) -> Kept {
    let expected = soft_nms_boxes(boxes, scores, params);
    let kept = soft_nms(boxes, scores, params).unwrap();
    assert_kept_eq(&kept, &expected, &format!("{context}, {params:?}"));
    let set = BoxSet::new(boxes, BoxMeasure::Iou, 0.0).unwrap();
    assert_eq!(suppress(&set, scores, params).unwrap(), kept, "{context}: suppress differs from soft_nms");
    kept
}

#[test]
fn hard_nms_matches_reference_on_random_scenes() {
    let mut rng = Rng::new(1);
    for n in SIZES {
        for spec in [SceneSpec::sparse(n), SceneSpec::dense(n)] {
            let (boxes, scores) = scene(&mut rng, &spec);
            for thr in [0.0, 0.3, 0.5, 0.65, 0.9, 1.0] {
                check_hard(&boxes, &scores, thr, &format!("{spec:?}"));
            }
        }
    }
}

#[test]
fn linear_soft_nms_matches_reference_on_random_scenes() {
    let mut rng = Rng::new(2);
    for n in SIZES {
        for spec in [SceneSpec::sparse(n), SceneSpec::dense(n)] {
            let (boxes, scores) = scene(&mut rng, &spec);
            for params in soft_params().iter().filter(|p| matches!(p.policy, softkit_nms::Policy::Linear { .. })) {
                check_soft(&boxes, &scores, params, &format!("{spec:?}"));
            }
        }
    }
}

#[test]
fn gaussian_soft_nms_matches_reference_on_random_scenes() {
    let mut rng = Rng::new(3);
    for n in SIZES {
        for spec in [SceneSpec::sparse(n), SceneSpec::dense(n)] {
            let (boxes, scores) = scene(&mut rng, &spec);
            for params in soft_params().iter().filter(|p| matches!(p.policy, softkit_nms::Policy::Gaussian { .. })) {
                check_soft(&boxes, &scores, params, &format!("{spec:?}"));
            }
        }
    }
}

#[test]
fn max_output_matches_reference() {
    let mut rng = Rng::new(4);
    for n in [50, 800, 2500] {
        let (boxes, scores) = scene(&mut rng, &SceneSpec::dense(n));
        for k in [0, 1, 2, 7, 100, n - 1, n, n + 5] {
            for base in [SuppressParams::hard(0.5), SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
                let params = base.with_max_output(k);
                check_soft(&boxes, &scores, &params, &format!("dense n={n} k={k}"));
            }
        }
    }
}

#[test]
fn f32_inputs_match_reference_on_widened_values() {
    let mut rng = Rng::new(5);
    for n in [33, 600, 2000] {
        let (boxes, scores) = scene(&mut rng, &SceneSpec::dense(n));
        let boxes32: Vec<[f32; 4]> = boxes.iter().map(|b| b.map(|v| v as f32)).collect();
        let scores32: Vec<f32> = scores.iter().map(|&s| s as f32).collect();
        let wide = widen(&boxes32);
        let wide_scores: Vec<f64> = scores32.iter().map(|&s| f64::from(s)).collect();
        for thr in [0.3, 0.65] {
            assert_eq!(nms(&boxes32, &scores32, thr).unwrap(), hard_nms_boxes(&wide, &wide_scores, thr), "f32 n={n}");
        }
        for params in [SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
            let expected = soft_nms_boxes(&wide, &wide_scores, &params);
            assert_kept_eq(&soft_nms(&boxes32, &scores32, &params).unwrap(), &expected, &format!("f32 n={n}"));
            // Mixed precision: f32 boxes, f64 scores.
            assert_kept_eq(&soft_nms(&boxes32, &wide_scores, &params).unwrap(), &expected, &format!("mixed n={n}"));
        }
    }
}

/// Runs every policy on an adversarial scene.
fn check_all(boxes: &[[f64; 4]], scores: &[f64], context: &str) {
    for thr in [0.0, 0.3, 0.5, 0.7, 1.0] {
        check_hard(boxes, scores, thr, context);
    }
    for params in soft_params() {
        check_soft(boxes, scores, &params, context);
    }
}

#[test]
fn exact_score_ties() {
    let mut rng = Rng::new(6);
    for n in [40, 400, 2000] {
        for spec in [
            SceneSpec { score_levels: 4, ..SceneSpec::dense(n) },
            SceneSpec { score_levels: 1, ..SceneSpec::sparse(n) },
        ] {
            let (boxes, scores) = scene(&mut rng, &spec);
            check_all(&boxes, &scores, &format!("ties {spec:?}"));
        }
    }
    // All scores equal on overlapping boxes: the lowest index must win every round.
    let boxes: Vec<[f64; 4]> = (0..50).map(|i| [i as f64, 0.0, i as f64 + 10.0, 10.0]).collect();
    let scores = vec![0.5; 50];
    check_all(&boxes, &scores, "equal scores on a staircase");
    assert_eq!(nms(&boxes, &scores, 0.5).unwrap()[..3], [0, 4, 8]);
}

#[test]
fn identical_boxes() {
    for n in [2, 5, 40, 300] {
        let boxes = vec![[3.0, 4.0, 13.0, 24.0]; n];
        let mut rng = Rng::new(n as u64);
        let scores: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
        check_all(&boxes, &scores, &format!("{n} identical boxes"));
        let equal = vec![0.7; n];
        check_all(&boxes, &equal, &format!("{n} identical boxes, equal scores"));
        assert_eq!(nms(&boxes, &equal, 0.99).unwrap(), vec![0]);
        // IoU 1 gives linear weight 0: the rest are dropped at the default threshold...
        let kept = soft_nms(&boxes, &equal, &SuppressParams::linear(0.3)).unwrap();
        assert_eq!(kept.indices, vec![0]);
        // ...but a decayed score of exactly 0 is not below a threshold of 0, so they survive.
        let kept = soft_nms(&boxes, &equal, &SuppressParams::linear(0.3).with_score_threshold(0.0)).unwrap();
        assert_eq!(kept.indices, (0..n).collect::<Vec<_>>());
        assert!(kept.scores[1..].iter().all(|&s| s == 0.0));
    }
}

#[test]
fn zero_area_boxes() {
    let mut rng = Rng::new(7);
    let mut boxes = Vec::new();
    for _ in 0..300 {
        let (x, y) = (rng.uniform(0.0, 100.0), rng.uniform(0.0, 100.0));
        let len = rng.uniform(0.0, 30.0);
        // Points, horizontal segments and vertical segments.
        boxes.push([x, y, x, y]);
        boxes.push([x, y, x + len, y]);
        boxes.push([x, y, x, y + len]);
    }
    let scores: Vec<f64> = (0..boxes.len()).map(|_| rng.unit()).collect();
    check_all(&boxes, &scores, "zero-area boxes");
    // Nothing overlaps anything, so hard NMS at threshold 0 keeps everything.
    assert_eq!(nms(&boxes, &scores, 0.0).unwrap().len(), boxes.len());
    // Zero-area boxes among real ones.
    let (mut real, mut real_scores) = scene(&mut rng, &SceneSpec::dense(500));
    real.extend_from_slice(&boxes);
    real_scores.extend_from_slice(&scores);
    check_all(&real, &real_scores, "zero-area boxes among real ones");
}

#[test]
fn nested_boxes() {
    let mut boxes = Vec::new();
    for k in 0..60 {
        let d = k as f64 * 0.5;
        boxes.push([d, d, 100.0 - d, 100.0 - d]);
    }
    for order in [0, 1, 2] {
        let scores: Vec<f64> = (0..boxes.len())
            .map(|k| match order {
                0 => 1.0 - k as f64 / 100.0,
                1 => 0.2 + k as f64 / 100.0,
                _ => ((k * 37) % 60) as f64 / 60.0 + 0.01,
            })
            .collect();
        check_all(&boxes, &scores, &format!("nested boxes, order {order}"));
    }
    // IoU of nested boxes exactly at the threshold: `>` keeps, so [0,0,4,1] and [0,0,2,1] (IoU 0.5) both survive.
    let pair = [[0.0, 0.0, 4.0, 1.0], [0.0, 0.0, 2.0, 1.0]];
    assert_eq!(iou(&pair[0], &pair[1]), 0.5);
    assert_eq!(nms(&pair, &[0.9, 0.8], 0.5).unwrap(), vec![0, 1]);
    assert_eq!(nms(&pair, &[0.9, 0.8], 0.4999).unwrap(), vec![0]);
    let kept = soft_nms(&pair, &[0.9, 0.8], &SuppressParams::linear(0.5)).unwrap();
    assert_eq!((kept.indices, kept.scores), (vec![0, 1], vec![0.9, 0.8]));
    let kept = soft_nms(&pair, &[0.9, 0.8], &SuppressParams::linear(0.25)).unwrap();
    assert_eq!((kept.indices, kept.scores), (vec![0, 1], vec![0.9, 0.4]));
    let kept = soft_nms(&pair, &[0.9, 0.8], &SuppressParams::gaussian(0.5)).unwrap();
    assert_eq!(kept.scores[1], 0.8 * (-0.5_f64).exp());
}

#[test]
fn boxes_touching_at_edges() {
    // A 40 x 40 lattice of unit cells: every neighbour shares an edge or a corner, IoU 0.
    let mut boxes = Vec::new();
    for i in 0..40 {
        for j in 0..40 {
            boxes.push([i as f64, j as f64, i as f64 + 1.0, j as f64 + 1.0]);
        }
    }
    let mut rng = Rng::new(8);
    let scores: Vec<f64> = (0..boxes.len()).map(|_| rng.unit()).collect();
    check_all(&boxes, &scores, "touching lattice");
    assert_eq!(nms(&boxes, &scores, 0.0).unwrap().len(), boxes.len());
    let kept = soft_nms(&boxes, &scores, &SuppressParams::linear(0.0).with_score_threshold(0.0)).unwrap();
    let mut sorted = scores.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(kept.scores, sorted, "touching boxes must never decay");
    // Overlapping lattice (2 x 2 boxes on a unit step) mixed in.
    let over: Vec<[f64; 4]> = boxes.iter().map(|b| [b[0], b[1], b[2] + 1.0, b[3] + 1.0]).collect();
    check_all(&over, &scores, "overlapping lattice");
}

#[test]
fn huge_boxes_over_many_small() {
    let mut rng = Rng::new(9);
    let (mut boxes, mut scores) = scene(&mut rng, &SceneSpec { size: (2.0, 10.0), ..SceneSpec::sparse(2500) });
    // Boxes that span far more than 256 grid cells, at the top, middle and bottom of the scores.
    let huge = [
        [-10.0, -10.0, 1010.0, 1010.0],
        [0.0, 0.0, 1000.0, 500.0],
        [300.0, 0.0, 320.0, 1000.0],
        [5.0, 5.0, 995.0, 995.0],
    ];
    for (k, h) in huge.iter().enumerate() {
        boxes.push(*h);
        scores.push([1.5, 0.5, 0.0005, 0.25][k]);
    }
    check_all(&boxes, &scores, "huge boxes over many small");
    // Huge boxes each weakly overlapping small boxes that overlap each other.
    let mut boxes2 = vec![[0.0, 0.0, 100.0, 100.0]];
    let mut scores2 = vec![0.95];
    for k in 0..400 {
        let x = (k % 20) as f64 * 5.0;
        let y = (k / 20) as f64 * 5.0;
        boxes2.push([x, y, x + 9.0, y + 9.0]);
        scores2.push(rng.unit());
    }
    check_all(&boxes2, &scores2, "huge box over an overlapping carpet");
}

#[test]
fn all_boxes_at_the_same_point() {
    let boxes = vec![[5.0, 5.0, 5.0, 5.0]; 500];
    let mut rng = Rng::new(10);
    let scores: Vec<f64> = (0..500).map(|_| rng.unit()).collect();
    check_all(&boxes, &scores, "same point");
    assert_eq!(nms(&boxes, &scores, 0.0).unwrap().len(), 500);
    // Same point plus a box through it.
    let mut with_box = boxes.clone();
    with_box.push([0.0, 0.0, 10.0, 10.0]);
    let mut with_scores = scores.clone();
    with_scores.push(0.5);
    check_all(&with_box, &with_scores, "same point plus a box through it");
}

#[test]
fn large_coordinate_offsets() {
    let mut rng = Rng::new(11);
    for offset in [1e6, -1e6, 1e7] {
        for spec in [SceneSpec { offset, ..SceneSpec::dense(1500) }, SceneSpec { offset, ..SceneSpec::sparse(1500) }] {
            let (boxes, scores) = scene(&mut rng, &spec);
            check_all(&boxes, &scores, &format!("offset {offset}"));
        }
    }
    // Tiny boxes far from the origin: IoU rounding in f64 must match a plain computation.
    let mut boxes = Vec::new();
    for _ in 0..600 {
        let (x, y) = (1e6 + rng.uniform(0.0, 5.0), 1e6 + rng.uniform(0.0, 5.0));
        boxes.push([x, y, x + rng.uniform(0.0, 1.0), y + rng.uniform(0.0, 1.0)]);
    }
    let scores: Vec<f64> = (0..600).map(|_| rng.unit()).collect();
    check_all(&boxes, &scores, "tiny boxes at 1e6");
}

#[test]
fn coordinates_outside_the_f32_range() {
    // f64 boxes whose coordinates overflow f32 (1e39) or underflow to its subnormals (1e-42):
    // the engine may index them in lower precision, but must not lose a single pair.
    let mut rng = Rng::new(19);
    for scale in [1e39, 1e100, 1e-42, 1e-145] {
        let (unit, scores) = scene(&mut rng, &SceneSpec::dense(1200));
        let boxes: Vec<[f64; 4]> = unit.iter().map(|b| b.map(|v| v * scale)).collect();
        check_all(&boxes, &scores, &format!("scale {scale:e}"));
    }
    // Boxes of side ~1e31 around 1e39: f64 resolves them, f32 cannot represent the position.
    let (unit, scores) = scene(&mut rng, &SceneSpec::dense(1200));
    let shifted: Vec<[f64; 4]> = unit.iter().map(|b| b.map(|v| v * 1e29 + 1e39)).collect();
    check_all(&shifted, &scores, "offset 1e39");
    // Beyond these, areas overflow or underflow float64: refused, never a wrong IoU.
    for (scale, field) in [(1e149, "x1"), (1e-300, "width")] {
        let boxes: Vec<[f64; 4]> = unit.iter().map(|b| b.map(|v| v * scale)).collect();
        let err = nms(&boxes, &scores, 0.5).unwrap_err().to_string();
        assert!(err.contains(&format!(".{field} = ")) && err.contains("rescale the coordinates"), "{scale:e}: {err}");
    }
}

#[test]
fn decay_landing_exactly_on_the_score_threshold_is_kept() {
    // IoU 0.5 (nested) with linear Nt 0.3 halves 0.25 to 0.125, exactly the threshold.
    let boxes = [[0.0, 0.0, 4.0, 1.0], [0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 2.0, 1.0]];
    let params = SuppressParams::linear(0.3).with_score_threshold(0.125);
    let kept = soft_nms(&boxes, &[0.9, 0.25, 0.2], &params).unwrap();
    assert_kept_eq(&kept, &soft_nms_boxes(&boxes, &[0.9, 0.25, 0.2], &params), "exact threshold");
    assert_eq!(kept.indices, vec![0, 1]);
    assert_eq!(kept.scores, vec![0.9, 0.125]);
    // An initial score exactly at the threshold is selectable; one just below is not.
    let far = [[0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]];
    let kept = soft_nms(&far, &[0.125, 0.124_999_999], &params).unwrap();
    assert_eq!(kept.indices, vec![0]);
}

#[test]
fn negative_scores() {
    let mut rng = Rng::new(12);
    let (boxes, scores) = scene(&mut rng, &SceneSpec::dense(800));
    // Shift into [-0.5, 0.5): decaying a negative score raises it, which reorders the greedy loop.
    let shifted: Vec<f64> = scores.iter().map(|s| s - 0.5).collect();
    for thr in [0.3, 0.7] {
        check_hard(&boxes, &shifted, thr, "negative scores");
    }
    for params in soft_params().into_iter().filter(|p| p.score_threshold <= 0.0) {
        check_soft(&boxes, &shifted, &params, "negative scores");
    }
}

/// Two disjoint boxes scored -0.0 and 0.0, which compare equal.
const SIGNED_ZERO_BOXES: [[f64; 4]; 2] = [[0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]];
const SIGNED_ZERO_SCORES: [f64; 2] = [-0.0, 0.0];

#[test]
fn signed_zero_scores_tie_by_index_in_hard_nms() {
    // -0.0 == 0.0: the lower index must win, as for any other tie (torchvision's stable sort).
    assert_eq!(hard_nms_boxes(&SIGNED_ZERO_BOXES, &SIGNED_ZERO_SCORES, 0.5), vec![0, 1]);
    assert_eq!(nms(&SIGNED_ZERO_BOXES, &SIGNED_ZERO_SCORES, 0.5).unwrap(), vec![0, 1]);
}

#[test]
fn signed_zero_scores_tie_by_index_in_soft_nms() {
    for params in [SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
        let params = params.with_score_threshold(f64::NEG_INFINITY);
        let expected = soft_nms_boxes(&SIGNED_ZERO_BOXES, &SIGNED_ZERO_SCORES, &params);
        assert_eq!(expected.indices, vec![0, 1]);
        assert_kept_eq(&soft_nms(&SIGNED_ZERO_BOXES, &SIGNED_ZERO_SCORES, &params).unwrap(), &expected, "signed zero");
    }
}

#[test]
fn signed_zero_scores_tie_by_index_across_labels() {
    // The merge across labels must treat them as a tie too.
    assert_eq!(batched_hard_ref(&SIGNED_ZERO_BOXES, &SIGNED_ZERO_SCORES, &[1, 0], 0.5), vec![0, 1]);
    assert_eq!(batched_nms(&SIGNED_ZERO_BOXES, &SIGNED_ZERO_SCORES, &[1, 0], 0.5).unwrap(), vec![0, 1]);
}

/// Box 1 (score -0.5) is a copy of box 0, so linear decay multiplies it by 1 - IoU = 0 and leaves
/// -0.0; box 2 sits apart at 0.0. The two zeros tie, so the lower index, 1, goes first.
const DECAY_ZERO_BOXES: [[f64; 4]; 3] = [[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 6.0, 6.0]];
const DECAY_ZERO_SCORES: [f64; 3] = [0.9, -0.5, 0.0];

fn keep_every_score() -> SuppressParams {
    SuppressParams::linear(0.3).with_score_threshold(f64::NEG_INFINITY)
}

#[test]
fn signed_zero_from_a_decay_ties_by_index() {
    let expected = soft_nms_boxes(&DECAY_ZERO_BOXES, &DECAY_ZERO_SCORES, &keep_every_score());
    assert_eq!(expected.indices, vec![0, 1, 2]);
    let kept = soft_nms(&DECAY_ZERO_BOXES, &DECAY_ZERO_SCORES, &keep_every_score()).unwrap();
    assert_kept_eq(&kept, &expected, "decayed -0.0");
}

#[test]
fn signed_zero_from_a_decay_ties_by_index_across_labels() {
    // Box 1 decays to -0.0 in label 0; box 2 is 0.0 in label 1.
    let labels = [0, 0, 1];
    let expected = batched_soft_ref(&DECAY_ZERO_BOXES, &DECAY_ZERO_SCORES, &labels, &keep_every_score(), 0.0);
    assert_eq!(expected.indices, vec![0, 1, 2]);
    let set = BoxSet::new(&DECAY_ZERO_BOXES, BoxMeasure::Iou, 0.0).unwrap();
    let kept = suppress_batched(&set, &DECAY_ZERO_SCORES, &labels, &keep_every_score()).unwrap();
    assert_kept_eq(&kept, &expected, "decayed -0.0, batched");
}

#[test]
fn grid_cell_boundaries_with_ulp_nudges() {
    // Corners on a lattice of the typical box size, each nudged by at most one ulp, so that boxes
    // touch, or overlap by an ulp, exactly at the spatial index's cell boundaries. Hard NMS at 0
    // and a tiny Gaussian sigma react to any positive IoU, so a missed neighbour shows.
    let nudge = |rng: &mut Rng, v: f64| match rng.below(3) {
        0 => v,
        1 => v.next_up(),
        _ => v.next_down(),
    };
    let mut rng = Rng::new(17);
    for step in [1.0, 0.1, 0.75, 2.0, 1.0 / 3.0, 1024.0] {
        for base in [0.0, 1e6 * step, -37.0 * step] {
            let n = 2000;
            let mut boxes = Vec::with_capacity(n);
            for _ in 0..n {
                let mut b = [0.0; 4];
                for axis in 0..2 {
                    let cell = rng.below(30) as f64;
                    let lo = nudge(&mut rng, base + cell * step);
                    let width = [0.0, step, step, 2.0 * step, 0.5 * step][rng.below(5)];
                    let hi = nudge(&mut rng, lo + width);
                    b[axis] = lo;
                    b[axis + 2] = hi.max(lo);
                }
                // Sides of a few subnormals (nudged up from 0) have an area float64 cannot hold,
                // which the boxes' validation refuses: such a box becomes a line.
                if (b[2] - b[0]) * (b[3] - b[1]) < f64::MIN_POSITIVE {
                    b[3] = b[1];
                }
                boxes.push(b);
            }
            let scores: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
            let context = format!("ulp lattice step {step} base {base}");
            for thr in [0.0, 0.5] {
                check_hard(&boxes, &scores, thr, &context);
            }
            for params in [
                SuppressParams::gaussian(1e-30).with_score_threshold(f64::NEG_INFINITY),
                SuppressParams::linear(0.0),
                SuppressParams::gaussian(0.5),
            ] {
                check_soft(&boxes, &scores, &params, &context);
            }
        }
    }
    // Boxes straddling zero by a denormal: their widths round, so `x2 - x1` understates them.
    let mut boxes = Vec::new();
    for k in 0..200 {
        let tiny = [1e-17, 5e-324, 1e-300][k % 3];
        let x = (k % 20) as f64;
        boxes.push([x - tiny, -tiny, x + 1.0, 1.0]);
        boxes.push([x + 1.0, 0.0, x + 2.0 + tiny, 1.0 + tiny]);
    }
    let scores: Vec<f64> = (0..boxes.len()).map(|_| rng.unit()).collect();
    check_all(&boxes, &scores, "boxes straddling zero");
}

#[test]
fn sizes_across_many_orders_of_magnitude() {
    // Log-uniform sizes from 1e-6 to 1e6 on a 1e6 canvas: many levels of the spatial index.
    let mut rng = Rng::new(18);
    for n in [500, 3000] {
        let mut boxes = Vec::with_capacity(n);
        for _ in 0..n {
            let (w, h) = (10f64.powf(rng.uniform(-6.0, 6.0)), 10f64.powf(rng.uniform(-6.0, 6.0)));
            let (x, y) = (rng.uniform(0.0, 1e6), rng.uniform(0.0, 1e6));
            boxes.push([x, y, x + w, y + h]);
        }
        // Clusters of near-copies at every scale, so that suppression happens at every level.
        for k in 0..n / 4 {
            let b = boxes[k];
            let (w, h) = (b[2] - b[0], b[3] - b[1]);
            let (dx, dy) = (rng.uniform(-0.2, 0.2) * w, rng.uniform(-0.2, 0.2) * h);
            boxes.push([b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy]);
        }
        let scores: Vec<f64> = (0..boxes.len()).map(|_| rng.unit()).collect();
        check_all(&boxes, &scores, &format!("sizes over 12 decades, n={n}"));
    }
}

#[test]
fn legacy_pixel_offset_matches_reference() {
    // Integer boxes under the "+1" convention of `cpu_soft_nms`: touching boxes share a pixel.
    let mut rng = Rng::new(13);
    for n in [30, 500, 2000] {
        let boxes: Vec<[f64; 4]> = (0..n)
            .map(|_| {
                let (x, y) = (rng.below(300) as f64, rng.below(300) as f64);
                [x, y, x + rng.below(40) as f64, y + rng.below(40) as f64]
            })
            .collect();
        let scores: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 1.0).unwrap();
        let overlap = |i: usize, j: usize| iou_px(&boxes[i], &boxes[j], 1.0);
        for params in soft_params().into_iter().chain([SuppressParams::hard(0.3), SuppressParams::hard(0.0)]) {
            let expected = soft_nms_ref(n, overlap, &scores, &(&params).into());
            assert_kept_eq(&suppress(&set, &scores, &params).unwrap(), &expected, &format!("+1, n={n}, {params:?}"));
        }
        let labels = labels(&mut rng, n, 7);
        let params = SuppressParams::gaussian(0.5);
        let expected = batched_soft_ref(&boxes, &scores, &labels, &params, 1.0);
        assert_kept_eq(&suppress_batched(&set, &scores, &labels, &params).unwrap(), &expected, "+1 batched");
    }
    // Touching at an edge: continuous IoU 0, but two 10 x 10 pixel boxes sharing a column under "+1".
    let touching = [[0.0, 0.0, 9.0, 9.0], [9.0, 0.0, 18.0, 9.0]];
    assert_eq!(iou_px(&touching[0], &touching[1], 1.0), 10.0 / 190.0);
    let set = BoxSet::new(&touching, BoxMeasure::Iou, 1.0).unwrap();
    assert_eq!(suppress(&set, &[0.9, 0.8], &SuppressParams::hard(0.05)).unwrap().indices, vec![0]);
    assert_eq!(nms(&touching, &[0.9, 0.8], 0.0).unwrap(), vec![0, 1]);
}

#[test]
fn diou_measure_matches_reference() {
    // The engine's grid must stay exact for a measure that goes negative on disjoint boxes.
    let mut rng = Rng::new(14);
    for n in [40, 1500] {
        let (boxes, scores) = scene(&mut rng, &SceneSpec::dense(n));
        let set = BoxSet::new(&boxes, BoxMeasure::DIOU, 0.0).unwrap();
        let overlap = |i: usize, j: usize| box_diou(&boxes[i], &boxes[j], 0.0);
        for thr in [0.0, 0.3, 0.6] {
            let kept = suppress(&set, &scores, &SuppressParams::hard(thr)).unwrap();
            assert_eq!(kept.indices, hard_nms_ref(n, overlap, &scores, thr), "DIoU-NMS n={n} thr={thr}");
        }
        for params in [SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
            let expected = soft_nms_ref(n, overlap, &scores, &(&params).into());
            assert_kept_eq(&suppress(&set, &scores, &params).unwrap(), &expected, &format!("DIoU n={n}"));
        }
    }
}

#[test]
fn batched_matches_per_label_reference() {
    let mut rng = Rng::new(15);
    // 80 labels; the 6000-box scenes take the parallel path.
    for (n, dense) in [(300, true), (2000, false), (6000, true), (6000, false)] {
        let spec = if dense { SceneSpec::dense(n) } else { SceneSpec::sparse(n) };
        let (boxes, scores) = scene(&mut rng, &spec);
        let labels = labels(&mut rng, n, 80);
        for thr in [0.3, 0.65] {
            let expected = batched_hard_ref(&boxes, &scores, &labels, thr);
            assert_eq!(batched_nms(&boxes, &scores, &labels, thr).unwrap(), expected, "batched_nms n={n} thr={thr}");
        }
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        for params in [
            SuppressParams::hard(0.5),
            SuppressParams::linear(0.3),
            SuppressParams::gaussian(0.5),
            SuppressParams::gaussian(0.5).with_max_output(100),
            SuppressParams::linear(0.5).with_score_threshold(0.2).with_max_output(n / 3),
        ] {
            let expected = batched_soft_ref(&boxes, &scores, &labels, &params, 0.0);
            let kept = suppress_batched(&set, &scores, &labels, &params).unwrap();
            assert_kept_eq(&kept, &expected, &format!("batched n={n} {params:?}"));
        }
    }
}

#[test]
fn per_image_matches_the_per_image_batched_reference() {
    let mut rng = Rng::new(17);
    // Twelve images with unsorted, negative and huge ids; the 6000-box scene takes the parallel path.
    let ids = [9, -4, i64::MAX, 0, 31, 7, i64::MIN, 12, 100, 5, -1, 64];
    for (n, dense) in [(500, true), (6000, false), (6000, true)] {
        let spec = if dense { SceneSpec::dense(n) } else { SceneSpec::sparse(n) };
        let (boxes, scores) = scene(&mut rng, &spec);
        let labels = labels(&mut rng, n, 10);
        let images: Vec<i64> = (0..n).map(|_| ids[rng.below(ids.len())]).collect();
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        for params in [SuppressParams::hard(0.5), SuppressParams::gaussian(0.5).with_max_output(40)] {
            let mut expected = RefKept { indices: Vec::new(), scores: Vec::new(), tied: false };
            let mut sorted_ids = ids;
            sorted_ids.sort_unstable();
            for image in sorted_ids {
                let rows: Vec<usize> = (0..n).filter(|&r| images[r] == image).collect();
                let pick = |v: &[f64]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
                let sub_boxes: Vec<[f64; 4]> = rows.iter().map(|&r| boxes[r]).collect();
                let sub_labels: Vec<i64> = rows.iter().map(|&r| labels[r]).collect();
                let r = batched_soft_ref(&sub_boxes, &pick(&scores), &sub_labels, &params, 0.0);
                expected.indices.extend(r.indices.iter().map(|&k| rows[k]));
                expected.scores.extend(r.scores);
            }
            let kept = suppress_per_image(&set, &scores, &images, &labels, &params).unwrap();
            assert_kept_eq(&kept, &expected, &format!("per image n={n} {params:?}"));
        }
    }
}

#[test]
fn batched_with_tied_scores_and_extreme_labels() {
    let mut rng = Rng::new(16);
    let n = 5000;
    let (boxes, scores) = scene(&mut rng, &SceneSpec { score_levels: 5, ..SceneSpec::dense(n) });
    let values = [i64::MIN, -1, 0, 1, i64::MAX];
    let labels: Vec<i64> = (0..n).map(|_| values[rng.below(values.len())]).collect();
    let expected = batched_hard_ref(&boxes, &scores, &labels, 0.5);
    assert_eq!(batched_nms(&boxes, &scores, &labels, 0.5).unwrap(), expected, "tied batched_nms");
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
    for params in [SuppressParams::linear(0.3), SuppressParams::gaussian(0.5).with_max_output(777)] {
        let expected = batched_soft_ref(&boxes, &scores, &labels, &params, 0.0);
        assert_kept_eq(&suppress_batched(&set, &scores, &labels, &params).unwrap(), &expected, "tied batched soft");
    }
    // One label for all is plain suppression.
    let one = vec![3; n];
    for params in [SuppressParams::hard(0.5), SuppressParams::gaussian(0.5)] {
        assert_eq!(
            suppress_batched(&set, &scores, &one, &params).unwrap(),
            suppress(&set, &scores, &params).unwrap(),
            "single label"
        );
    }
    // Identical boxes, one per label, never suppress each other.
    let same = vec![[0.0, 0.0, 10.0, 10.0]; 80];
    let distinct: Vec<i64> = (0..80).collect();
    let equal = vec![0.5; 80];
    assert_eq!(batched_nms(&same, &equal, &distinct, 0.0).unwrap(), (0..80).collect::<Vec<_>>());
}
