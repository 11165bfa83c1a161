//! Suppression of 1-D time segments (the engine's line sweep) against the plain O(n^2) paper
//! loop: every policy, both measures, every scope, with ties, duplicates, touching ends, long
//! segments among short ones, negative scores and `max_output`.

mod common;

use common::{
    RefKept, RefParams, Rng, assert_kept_eq, groups_by_label, hard_nms_ref, labels, merge_lists, soft_nms_ref,
};
use proptest::prelude::*;
use softkit_geom::{IntersectMeasure, Segments, SetView};
use softkit_nms::{SuppressParams, suppress, suppress_batched, suppress_per_image};

/// Temporal IoU (or intersection over the shorter segment), written plainly.
fn t_overlap(a: [f64; 2], b: [f64; 2], measure: IntersectMeasure) -> f64 {
    let inter = (a[1].min(b[1]) - a[0].max(b[0])).max(0.0);
    if inter <= 0.0 {
        return 0.0;
    }
    let (la, lb) = (a[1] - a[0], b[1] - b[0]);
    match measure {
        IntersectMeasure::Iou => inter / (la + lb - inter),
        IntersectMeasure::IoMin => inter / la.min(lb),
    }
}

fn params_grid() -> Vec<SuppressParams> {
    let mut out = vec![SuppressParams::hard(0.0), SuppressParams::hard(0.3), SuppressParams::hard(0.7)];
    for nt in [0.0, 0.3, 0.8] {
        out.push(SuppressParams::linear(nt));
    }
    for sigma in [0.05, 0.5, 2.0] {
        out.push(SuppressParams::gaussian(sigma));
    }
    out.push(SuppressParams::gaussian(0.5).with_score_threshold(0.3));
    out.push(SuppressParams::linear(0.3).with_score_threshold(f64::NEG_INFINITY));
    let mut top = SuppressParams::gaussian(0.5);
    top.max_output = Some(7);
    out.push(top);
    let mut top_hard = SuppressParams::hard(0.5);
    top_hard.max_output = Some(3);
    out.push(top_hard);
    out
}

/// The reference for one scope: the eager loop, or torchvision's hard loop (input scores).
fn reference(
    segs: &[[f64; 2]],
    scores: &[f64],
    params: &SuppressParams,
    measure: IntersectMeasure,
) -> Vec<(usize, f64)> {
    let overlap = |i: usize, j: usize| t_overlap(segs[i], segs[j], measure);
    match params.policy {
        softkit_nms::Policy::Hard { iou_threshold } => {
            let kept = hard_nms_ref(segs.len(), overlap, scores, iou_threshold);
            let limit = params.max_output.unwrap_or(usize::MAX);
            kept.into_iter().take(limit).map(|i| (i, scores[i])).collect()
        }
        _ => {
            let r = soft_nms_ref(segs.len(), overlap, scores, &RefParams::from(params));
            r.indices.into_iter().zip(r.scores).collect()
        }
    }
}

fn as_ref_kept(pairs: &[(usize, f64)]) -> RefKept {
    RefKept { indices: pairs.iter().map(|p| p.0).collect(), scores: pairs.iter().map(|p| p.1).collect(), tied: false }
}

fn check(segs: &[[f64; 2]], scores: &[f64], context: &str) {
    for measure in [IntersectMeasure::Iou, IntersectMeasure::IoMin] {
        let set = SetView::of(Segments::new(segs).unwrap(), measure);
        for params in params_grid() {
            let kept = suppress(&set, scores, &params).unwrap();
            let expected = reference(segs, scores, &params, measure);
            assert_kept_eq(&kept, &as_ref_kept(&expected), &format!("{context}, {measure:?}, {params:?}"));
        }
    }
}

/// Segments of the scene: `clusters` groups (0 for uniform), lengths in `len`, over `duration`.
fn scene(
    rng: &mut Rng,
    n: usize,
    duration: f64,
    len: (f64, f64),
    clusters: usize,
    levels: u32,
) -> (Vec<[f64; 2]>, Vec<f64>) {
    let centres: Vec<f64> = (0..clusters).map(|_| rng.uniform(0.0, duration)).collect();
    let mut segs = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    for _ in 0..n {
        let length = rng.uniform(len.0, len.1);
        let start = if centres.is_empty() {
            rng.uniform(0.0, duration)
        } else {
            centres[rng.below(centres.len())] + rng.uniform(-0.3, 0.3) * length
        };
        segs.push([start, start + length]);
        let s = 1.0 - rng.unit();
        scores.push(if levels > 0 { (s * f64::from(levels)).ceil() / f64::from(levels) } else { s });
    }
    (segs, scores)
}

#[test]
fn random_timelines_match_the_paper_loop() {
    let mut rng = Rng::new(41);
    for n in [0, 1, 2, 3, 20, 150, 600] {
        // Sparse (mostly singletons), dense runs past the eager loop's size, and clustered.
        let specs =
            [(10.0 * n as f64, (1.0, 8.0), 0), (3.0 * n as f64, (1.0, 60.0), 0), (100.0, (2.0, 30.0), n / 25 + 1)];
        for (duration, len, clusters) in specs {
            for levels in [0, 4] {
                let (segs, scores) = scene(&mut rng, n, duration.max(1.0), len, clusters, levels);
                check(
                    &segs,
                    &scores,
                    &format!("n {n}, duration {duration}, len {len:?}, clusters {clusters}, levels {levels}"),
                );
            }
        }
    }
}

#[test]
fn long_segments_among_short_ones() {
    // A few segments span hundreds of short ones: the window's backward scans would be long, so
    // those runs go through the grid; the answer must not change.
    let mut rng = Rng::new(43);
    let (mut segs, mut scores) = scene(&mut rng, 400, 2000.0, (1.0, 6.0), 0, 0);
    for k in 0..6 {
        let start = k as f64 * 300.0;
        segs.insert(k * 50, [start, start + 900.0]);
        scores.insert(k * 50, rng.unit());
    }
    check(&segs, &scores, "long over short");
}

#[test]
fn ties_duplicates_and_touching_ends() {
    // Identical segments, equal scores, segments that only touch (IoU 0), points, nested ones.
    let segs = [
        [0.0, 10.0],
        [0.0, 10.0],
        [10.0, 20.0],
        [20.0, 20.0],
        [20.0, 30.0],
        [2.0, 4.0],
        [0.0, 10.0],
        [5.0, 15.0],
        [-5.0, 0.0],
        [30.0, 31.0],
    ];
    let scores = [0.5, 0.5, 0.5, 0.9, 0.5, 0.5, 0.7, 0.5, 0.5, 0.5];
    check(&segs, &scores, "hand-made ties");
    let zeros = [-0.0, 0.0, -0.0, 0.0, 0.0, -0.0, 0.0, 0.0, -0.0, 0.0];
    check(&segs, &zeros, "signed zeros");
}

#[test]
fn negative_scores_merge_runs_in_loop_order() {
    // Decays raise negative scores towards 0, so a run's selections need not descend; the runs
    // must then interleave as the global loop does.
    let mut rng = Rng::new(47);
    for _ in 0..20 {
        let (segs, scores) = scene(&mut rng, 80, 200.0, (1.0, 20.0), 0, 0);
        let scores: Vec<f64> = scores.iter().map(|s| s - 0.6).collect();
        let set = SetView::of(Segments::new(&segs).unwrap(), IntersectMeasure::Iou);
        for params in [SuppressParams::gaussian(0.5), SuppressParams::linear(0.2)] {
            let params = params.with_score_threshold(f64::NEG_INFINITY);
            let kept = suppress(&set, &scores, &params).unwrap();
            let expected = reference(&segs, &scores, &params, IntersectMeasure::Iou);
            assert_kept_eq(&kept, &as_ref_kept(&expected), &format!("negative scores, {params:?}"));
        }
    }
}

#[test]
fn far_offsets_and_huge_spans() {
    let mut rng = Rng::new(53);
    let (segs, scores) = scene(&mut rng, 200, 500.0, (1.0, 40.0), 0, 0);
    let shifted: Vec<[f64; 2]> = segs.iter().map(|s| [s[0] + 1e12, s[1] + 1e12]).collect();
    check(&shifted, &scores, "offset 1e12");
    // Starts spread so wide that the bucket scale overflows: one bucket, one comparison sort.
    let wide = [[-1e308, -1e308 + 1e292], [0.0, 1.0], [0.5, 2.0], [1e308, 1e308]];
    check(&wide, &[0.9, 0.8, 0.7, 0.6], "range overflows");
}

#[test]
fn scopes_match_per_label_references() {
    let mut rng = Rng::new(59);
    let (segs, scores) = scene(&mut rng, 900, 1500.0, (1.0, 60.0), 0, 8);
    let label = labels(&mut rng, segs.len(), 3);
    let image: Vec<i64> = (0..segs.len()).map(|_| rng.below(4) as i64).collect();
    let set = SetView::of(Segments::new(&segs).unwrap(), IntersectMeasure::Iou);
    for params in params_grid() {
        let lists: Vec<Vec<(usize, f64)>> = groups_by_label(&label)
            .into_iter()
            .map(|g| {
                let (s, c): (Vec<_>, Vec<_>) = g.iter().map(|&i| (segs[i], scores[i])).unzip();
                reference(&s, &c, &params, IntersectMeasure::Iou).into_iter().map(|(k, v)| (g[k], v)).collect()
            })
            .collect();
        let merged = merge_lists(&lists, params.max_output.unwrap_or(usize::MAX));
        let kept = suppress_batched(&set, &scores, &label, &params).unwrap();
        assert_kept_eq(&kept, &as_ref_kept(&merged), &format!("batched, {params:?}"));

        // Per image and label: images in ascending id, each merged over its labels.
        let mut expected = Vec::new();
        for img in 0..4 {
            let lists: Vec<Vec<(usize, f64)>> = groups_by_label(&label)
                .into_iter()
                .map(|g| {
                    let g: Vec<usize> = g.into_iter().filter(|&i| image[i] == img).collect();
                    let (s, c): (Vec<_>, Vec<_>) = g.iter().map(|&i| (segs[i], scores[i])).unzip();
                    reference(&s, &c, &params, IntersectMeasure::Iou).into_iter().map(|(k, v)| (g[k], v)).collect()
                })
                .collect();
            expected.extend(merge_lists(&lists, params.max_output.unwrap_or(usize::MAX)));
        }
        let kept = suppress_per_image(&set, &scores, &image, &label, &params).unwrap();
        assert_kept_eq(&kept, &as_ref_kept(&expected), &format!("per image, {params:?}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_small_timeline_matches_the_paper_loop(
        raw in prop::collection::vec((0u8..40, 0u8..12, 0u8..6), 0..40),
        sigma in 0.05f64..2.0,
        nt in 0.0f64..1.0,
    ) {
        // Coarse integer grids force exact ties, duplicates and touching ends.
        let segs: Vec<[f64; 2]> = raw.iter().map(|&(s, l, _)| [f64::from(s), f64::from(s) + f64::from(l)]).collect();
        let scores: Vec<f64> = raw.iter().map(|&(_, _, q)| f64::from(q) / 5.0).collect();
        let set = SetView::of(Segments::new(&segs).unwrap(), IntersectMeasure::Iou);
        for params in [SuppressParams::hard(nt), SuppressParams::linear(nt), SuppressParams::gaussian(sigma)] {
            let kept = suppress(&set, &scores, &params).unwrap();
            let expected = reference(&segs, &scores, &params, IntersectMeasure::Iou);
            assert_kept_eq(&kept, &as_ref_kept(&expected), &format!("{params:?}"));
        }
    }
}
