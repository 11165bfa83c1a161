//! The non-greedy policies (Matrix NMS, Fast NMS, Cluster-NMS with and without its score penalty,
//! OpenCV's adaptive threshold) against plain, dense O(n^2) references written from the papers'
//! matrix forms, independent of the engine: every scope, ties, `score_threshold`, `max_output`,
//! rotated boxes and segments, DIoU-NMS, and hand-computed examples.
//!
//! The references build the whole overlap matrix of the ranked items (score descending, ties to
//! the lower index), mask it to the upper triangle of each scope (SOLOv2's label matrix), and
//! apply the paper's formula to it, column by column.

mod common;

use std::collections::BTreeMap;

use common::{Rng, close, iou};
use proptest::prelude::*;
use softkit_geom::{BoxMeasure, BoxSet, Iou, Overlap, RotatedFormat, RotatedSet, Segments, SetView, ShapeMeasure};
use softkit_nms::{
    Kept, MatrixKernel, Policy, PolicyKind, SuppressParams, suppress, suppress_batched, suppress_per_image,
};

/// Which items may interact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Everything is one scope (`suppress`).
    Set,
    /// One scope per label (`suppress_batched`).
    Batched,
    /// One scope per image and label (`suppress_per_image`).
    PerImage,
}

const SCOPES: [Scope; 3] = [Scope::Set, Scope::Batched, Scope::PerImage];

/// The columns of a scene: scores, and the image and label of each item.
#[derive(Clone, Copy)]
struct Rows<'a> {
    scores: &'a [f64],
    images: &'a [i64],
    labels: &'a [i64],
}

impl Rows<'_> {
    /// The scope an item belongs to.
    fn key(&self, scope: Scope, i: usize) -> (i64, i64) {
        match scope {
            Scope::Set => (0, 0),
            Scope::Batched => (0, self.labels[i]),
            Scope::PerImage => (self.images[i], self.labels[i]),
        }
    }
}

/// `f` of Matrix NMS, the reference's own copy (SOLOv2: `1 - x`, or `exp(-sigma x^2)`).
fn kernel_f(kernel: MatrixKernel, x: f64) -> f64 {
    match kernel {
        MatrixKernel::Linear => 1.0 - x,
        MatrixKernel::Gaussian { sigma } => (-sigma * x * x).exp(),
    }
}

/// Column maxima of a square matrix, as torch's `.max(0)`.
fn column_max(matrix: &[Vec<f64>]) -> Vec<f64> {
    let m = matrix.len();
    (0..m).map(|j| matrix.iter().map(|row| row[j]).fold(f64::NEG_INFINITY, f64::max)).collect()
}

/// SOLOv2's `matrix_nms` on the masked overlap matrix (`iou_matrix * label_matrix`, ranked): the
/// decay coefficient of each column, or `None` when a denominator `f(compensate_i)` is zero (the
/// linear kernel on an exact duplicate), where the formula is undefined.
fn matrix_decay(masked: &[Vec<f64>], kernel: MatrixKernel) -> Option<Vec<f64>> {
    // compensate_iou, _ = (iou_matrix * label_matrix).max(0)
    let compensate = column_max(masked);
    let denominators: Vec<f64> = compensate.iter().map(|&c| kernel_f(kernel, c)).collect();
    if denominators.contains(&0.0) {
        return None;
    }
    // decay_coefficient, _ = (f(decay_iou) / f(compensate_iou)).min(0), over every row.
    let m = masked.len();
    let decay = (0..m)
        .map(|j| {
            masked.iter().zip(&denominators).map(|(row, &d)| kernel_f(kernel, row[j]) / d).fold(f64::INFINITY, f64::min)
        })
        .collect();
    Some(decay)
}

/// Cluster-NMS (Zheng et al. 2021) on `b = triu(IoU, 1)` (masked per scope): iterate
/// `A = C; maxA = A.max(0); E = maxA <= thr; C = diag(E) B` until `A == C`. Returns the kept
/// columns and the converged `C`.
fn cluster(b: &[Vec<f64>], thr: f64) -> (Vec<bool>, Vec<Vec<f64>>) {
    let m = b.len();
    let mut c = b.to_vec();
    for _ in 0..m + 2 {
        let a = c;
        let keep: Vec<bool> = column_max(&a).iter().map(|&x| x <= thr).collect();
        c = b.iter().zip(&keep).map(|(row, &k)| if k { row.clone() } else { vec![0.0; m] }).collect();
        if a == c {
            return (keep, c);
        }
    }
    panic!("Cluster-NMS did not converge within {} iterations", m + 2);
}

/// The dense reference over items `0..n`: `overlap(i, j)` is the measure, `rows` the columns,
/// `scope` the grouping. `Policy::Hard` runs plain Cluster-NMS (whose fixed point the paper proves
/// is hard NMS). Returns `(item, score)` in the engine's documented output order, or `None` when
/// linear Matrix NMS would divide by zero.
fn reference(
    n: usize,
    overlap: impl Fn(usize, usize) -> f64,
    rows: Rows<'_>,
    scope: Scope,
    params: &SuppressParams,
) -> Option<Vec<(usize, f64)>> {
    let s = rows.scores;
    // Items below the score threshold take no part in anything.
    let mut order: Vec<usize> = (0..n).filter(|&i| s[i] >= params.score_threshold).collect();
    // Rank: score descending, ties to the lower input index.
    order.sort_by(|&a, &b| s[b].partial_cmp(&s[a]).unwrap().then(a.cmp(&b)));
    let m = order.len();
    let key = |r: usize| rows.key(scope, order[r]);
    // triu(IoU, 1) times the label matrix: row a ranked above column b, in the same scope.
    let masked: Vec<Vec<f64>> = (0..m)
        .map(|a| (0..m).map(|b| if a < b && key(a) == key(b) { overlap(order[a], order[b]) } else { 0.0 }).collect())
        .collect();
    let limit = params.max_output.unwrap_or(usize::MAX);
    let rescored: Vec<(usize, f64)> = match params.policy {
        Policy::Matrix { kernel } => {
            let decay = matrix_decay(&masked, kernel)?;
            (0..m).map(|r| (order[r], s[order[r]] * decay[r])).collect()
        }
        Policy::Fast { iou_threshold } => {
            let max = column_max(&masked);
            (0..m).filter(|&r| max[r] <= iou_threshold).map(|r| (order[r], s[order[r]])).collect()
        }
        Policy::Hard { iou_threshold } => {
            let (keep, _) = cluster(&masked, iou_threshold);
            (0..m).filter(|&r| keep[r]).map(|r| (order[r], s[order[r]])).collect()
        }
        Policy::ClusterPenalty { iou_threshold, sigma } => {
            let (_, c) = cluster(&masked, iou_threshold);
            // scores = prod(exp(-C^2 / sigma), 0) * scores
            (0..m)
                .map(|r| {
                    let penalty: f64 = c.iter().map(|row| (-row[r] * row[r] / sigma).exp()).product();
                    (order[r], s[order[r]] * penalty)
                })
                .collect()
        }
        Policy::Adaptive { iou_threshold, eta } => {
            // OpenCV's NMSFast_, one threshold and one count per scope.
            let mut threshold: BTreeMap<(i64, i64), f64> = BTreeMap::new();
            let mut count: BTreeMap<(i64, i64), usize> = BTreeMap::new();
            let mut kept = vec![false; m];
            for r in 0..m {
                let thr = *threshold.entry(key(r)).or_insert(iou_threshold);
                let taken = count.entry(key(r)).or_insert(0);
                if *taken == limit {
                    continue;
                }
                if (0..r).any(|a| kept[a] && key(a) == key(r) && overlap(order[a], order[r]) > thr) {
                    continue;
                }
                kept[r] = true;
                *taken += 1;
                if eta < 1.0 && thr > 0.5 {
                    threshold.insert(key(r), thr * eta);
                }
            }
            (0..m).filter(|&r| kept[r]).map(|r| (order[r], s[order[r]])).collect()
        }
        Policy::Linear { .. } | Policy::Gaussian { .. } => unreachable!("greedy policies have their own tests"),
    };
    let kept: Vec<(usize, f64)> = rescored.into_iter().filter(|&(_, v)| v >= params.score_threshold).collect();
    Some(finish(kept, rows, scope, limit))
}

/// Orders kept items as the engine documents: by new score descending, ties to the lower index;
/// per image in ascending id (with `max_output` per image) for `PerImage`, else one list.
fn finish(mut kept: Vec<(usize, f64)>, rows: Rows<'_>, scope: Scope, limit: usize) -> Vec<(usize, f64)> {
    let image = |i: usize| if scope == Scope::PerImage { rows.images[i] } else { 0 };
    kept.sort_by(|a, b| image(a.0).cmp(&image(b.0)).then(b.1.partial_cmp(&a.1).unwrap()).then(a.0.cmp(&b.0)));
    let mut out = Vec::new();
    for group in kept.chunk_by(|a, b| image(a.0) == image(b.0)) {
        out.extend(group.iter().take(limit));
    }
    out
}

/// Runs the engine in `scope`.
fn engine<const D: usize, S: Overlap<D>>(set: &S, rows: Rows<'_>, scope: Scope, params: &SuppressParams) -> Kept {
    match scope {
        Scope::Set => suppress(set, rows.scores, params),
        Scope::Batched => suppress_batched(set, rows.scores, rows.labels, params),
        Scope::PerImage => suppress_per_image(set, rows.scores, rows.images, rows.labels, params),
    }
    .unwrap()
}

/// Panics unless the engine's result equals the reference: indices exactly, scores to 1e-12
/// relative.
fn assert_matches(kept: &Kept, expected: &[(usize, f64)], context: &str) {
    let want: Vec<usize> = expected.iter().map(|p| p.0).collect();
    assert_eq!(
        kept.indices, want,
        "{context}: indices differ\n engine scores {:?}\n reference {:?}",
        kept.scores, expected
    );
    assert_eq!(kept.scores.len(), expected.len(), "{context}");
    for (k, (&got, &(i, want))) in kept.scores.iter().zip(expected).enumerate() {
        assert!(close(got, want), "{context}: score of selection {k} (index {i}): engine {got:e}, reference {want:e}");
    }
}

/// A scene of boxes with scores, two images and labels (three values for the batched scope, two
/// for the per-image one).
#[derive(Clone, Debug)]
struct Scene {
    boxes: Vec<[f64; 4]>,
    scores: Vec<f64>,
    images: Vec<i64>,
    labels: Vec<i64>,
    image_labels: Vec<i64>,
}

/// Deliberately irregular label and image values.
const LABELS: [i64; 3] = [-3, 11, 1 << 40];
const IMAGES: [i64; 2] = [9, -4];

impl Scene {
    /// `n` boxes of side 5..40 in a `field` x `field` square; scores in `(0, 1]`, quantised to
    /// `tie_levels` levels (exact ties) unless it is 0.
    fn random(rng: &mut Rng, n: usize, field: f64, tie_levels: u32) -> Self {
        let mut scene = Scene { boxes: vec![], scores: vec![], images: vec![], labels: vec![], image_labels: vec![] };
        for _ in 0..n {
            let (w, h) = (rng.uniform(5.0, 40.0), rng.uniform(5.0, 40.0));
            let (x, y) = (rng.uniform(0.0, field), rng.uniform(0.0, field));
            scene.boxes.push([x, y, x + w, y + h]);
            let s = 1.0 - rng.unit();
            let levels = f64::from(tie_levels);
            scene.scores.push(if tie_levels > 0 { (s * levels).ceil() / levels } else { s });
            scene.images.push(IMAGES[rng.below(2)]);
            scene.labels.push(LABELS[rng.below(3)]);
            scene.image_labels.push(LABELS[rng.below(2)]);
        }
        scene
    }

    fn rows(&self, scope: Scope) -> Rows<'_> {
        let labels = if scope == Scope::PerImage { &self.image_labels } else { &self.labels };
        Rows { scores: &self.scores, images: &self.images, labels }
    }
}

/// Every non-greedy policy at a few parameters, plus hard NMS (checked against Cluster-NMS).
fn policies() -> Vec<Policy> {
    vec![
        Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } },
        Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 0.5 } },
        Policy::Matrix { kernel: MatrixKernel::Linear },
        Policy::Fast { iou_threshold: 0.0 },
        Policy::Fast { iou_threshold: 0.3 },
        Policy::Fast { iou_threshold: 0.7 },
        Policy::Fast { iou_threshold: 1.0 },
        Policy::ClusterPenalty { iou_threshold: 0.5, sigma: 0.2 },
        Policy::ClusterPenalty { iou_threshold: 0.3, sigma: 1.0 },
        Policy::ClusterPenalty { iou_threshold: 0.8, sigma: 0.05 },
        Policy::Adaptive { iou_threshold: 0.9, eta: 0.8 },
        Policy::Adaptive { iou_threshold: 0.7, eta: 0.95 },
        Policy::Adaptive { iou_threshold: 0.6, eta: 0.5 },
        Policy::Adaptive { iou_threshold: 0.5, eta: 1.0 },
        Policy::Adaptive { iou_threshold: 1.0, eta: 0.7 },
        Policy::Hard { iou_threshold: 0.0 },
        Policy::Hard { iou_threshold: 0.3 },
        Policy::Hard { iou_threshold: 0.5 },
        Policy::Hard { iou_threshold: 0.7 },
    ]
}

/// Each policy with its default score threshold, none, and 0.35; with and without `max_output`.
fn params_grid() -> Vec<SuppressParams> {
    let mut out = Vec::new();
    for policy in policies() {
        let base = SuppressParams::new(policy);
        for p in [base, base.with_score_threshold(f64::NEG_INFINITY), base.with_score_threshold(0.35)] {
            out.push(p);
            out.push(p.with_max_output(4));
        }
    }
    out
}

/// Engine against reference on one box scene, every policy and scope.
fn check_boxes(scene: &Scene, context: &str) {
    let set = BoxSet::new(&scene.boxes, BoxMeasure::Iou, 0.0).unwrap();
    let boxes = &scene.boxes;
    for params in params_grid() {
        for scope in SCOPES {
            let rows = scene.rows(scope);
            let context = format!("{context}, {scope:?}, {params:?}");
            let expected = reference(boxes.len(), |i, j| iou(&boxes[i], &boxes[j]), rows, scope, &params)
                .unwrap_or_else(|| panic!("{context}: a random scene has an exact duplicate"));
            assert_matches(&engine(&set, rows, scope, &params), &expected, &context);
        }
    }
}

#[test]
fn seeded_scenes_match_the_dense_references() {
    for seed in 0..120u64 {
        let mut rng = Rng::new(seed);
        let n = rng.below(61);
        let tie_levels = if seed % 2 == 0 { 0 } else { 8 };
        let scene = Scene::random(&mut rng, n, 100.0, tie_levels);
        check_boxes(&scene, &format!("seed {seed}, n {n}"));
    }
}

#[test]
fn crowded_scenes_with_exact_score_ties_match() {
    // Every score one of three values, 40 boxes in a 50 x 50 field: long chains of overlaps, in
    // which Fast NMS, Cluster-NMS and the compensation of Matrix NMS differ most from each other.
    for seed in 1000..1040u64 {
        let mut rng = Rng::new(seed);
        let scene = Scene::random(&mut rng, 40, 50.0, 3);
        check_boxes(&scene, &format!("crowded seed {seed}"));
    }
}

#[test]
fn plain_cluster_nms_is_hard_nms() {
    // The paper's theorem, on the reference side: the iteration's fixed point is greedy hard NMS.
    for seed in 0..60u64 {
        let mut rng = Rng::new(seed + 7);
        let n = rng.below(50);
        let scene = Scene::random(&mut rng, n, 80.0, 5);
        let boxes = &scene.boxes;
        let set = BoxSet::new(boxes, BoxMeasure::Iou, 0.0).unwrap();
        for thr in [0.0, 0.2, 0.45, 0.5, 0.9, 1.0] {
            let rows = scene.rows(Scope::Set);
            let params = SuppressParams::new(PolicyKind::Cluster.with(thr, 0.5));
            assert_eq!(params.policy, Policy::Hard { iou_threshold: thr });
            let clustered =
                reference(boxes.len(), |i, j| iou(&boxes[i], &boxes[j]), rows, Scope::Set, &params).unwrap();
            let clustered: Vec<usize> = clustered.iter().map(|p| p.0).collect();
            let greedy = common::hard_nms_ref(boxes.len(), |i, j| iou(&boxes[i], &boxes[j]), &scene.scores, thr);
            assert_eq!(clustered, greedy, "seed {seed}, thr {thr}: Cluster-NMS's fixed point is not greedy NMS");
            assert_eq!(engine(&set, rows, Scope::Set, &params).indices, clustered, "seed {seed}, thr {thr}");
        }
    }
}

#[test]
fn matrix_nms_by_hand() {
    // A = [0, 0, 10, 10] (0.9), B = [5, 0, 15, 10] (0.8), C = [8, 0, 18, 10] (0.7).
    // IoU(A, B) = 50 / 150 = 1/3, IoU(A, C) = 20 / 180 = 1/9, IoU(B, C) = 70 / 130 = 7/13.
    // Compensation: c_A = 0, c_B = 1/3, c_C = 7/13 (unused: C is last).
    let boxes = [[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], [8.0, 0.0, 18.0, 10.0]];
    let scores = [0.9, 0.8, 0.7];
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();

    // Linear: decay_B = (1 - 1/3) / 1 = 2/3; decay_C = min((1 - 1/9) / 1, (1 - 7/13) / (1 - 1/3))
    // = min(8/9, 9/13) = 9/13. Scores 0.9, 0.8 * 2/3 = 0.5333.., 0.7 * 9/13 = 0.4846..
    let linear = SuppressParams::new(Policy::Matrix { kernel: MatrixKernel::Linear });
    let kept = suppress(&set, &scores, &linear).unwrap();
    assert_matches(&kept, &[(0, 0.9), (1, 0.8 * 2.0 / 3.0), (2, 0.7 * 9.0 / 13.0)], "linear by hand");
    assert!((kept.scores[1] - 0.533_333_333_333).abs() < 1e-12);
    assert!((kept.scores[2] - 0.484_615_384_615).abs() < 1e-12);
    // At a threshold of 0.5, C goes and B stays.
    let kept = suppress(&set, &scores, &linear.with_score_threshold(0.5)).unwrap();
    assert_eq!(kept.indices, vec![0, 1]);

    // Gaussian, sigma = 2 (multiplying): decay_B = exp(-2/9) = 0.800737..;
    // decay_C = min(exp(-2/81), exp(-2 (7/13)^2) / exp(-2/9)) = exp(-98/169 + 2/9) = 0.699311..
    let gaussian = SuppressParams::new(Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } });
    let kept = suppress(&set, &scores, &gaussian).unwrap();
    let (b, c) = (0.8 * (-2.0_f64 / 9.0).exp(), 0.7 * (-98.0_f64 / 169.0 + 2.0 / 9.0).exp());
    assert_matches(&kept, &[(0, 0.9), (1, b), (2, c)], "gaussian by hand");
    assert!((kept.scores[1] - 0.640_589_922).abs() < 1e-9, "{}", kept.scores[1]);
    assert!((kept.scores[2] - 0.489_517_837).abs() < 1e-9, "{}", kept.scores[2]);

    // The compensation matters: with a far-away C' = [0, 50, 10, 60] behind B, C' keeps its score
    // (every term is 1 / f(c_i) >= 1 or f(0) = 1).
    let boxes = [[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0], [0.0, 50.0, 10.0, 60.0]];
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
    let kept = suppress(&set, &scores, &linear).unwrap();
    assert_matches(&kept, &[(0, 0.9), (2, 0.7), (1, 0.8 * 2.0 / 3.0)], "far item");
}

#[test]
fn chain_by_hand_separates_fast_hard_cluster_and_adaptive() {
    // A = [0, 0, 10, 10] (0.9), B = [3, 0, 13, 10] (0.8), C = [6, 0, 16, 10] (0.7).
    // IoU(A, B) = IoU(B, C) = 70 / 130 = 7/13 = 0.538..; IoU(A, C) = 40 / 160 = 0.25.
    let boxes = [[0.0, 0.0, 10.0, 10.0], [3.0, 0.0, 13.0, 10.0], [6.0, 0.0, 16.0, 10.0]];
    let scores = [0.9, 0.8, 0.7];
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
    let run = |policy| suppress(&set, &scores, &SuppressParams::new(policy)).unwrap();
    // Fast NMS: B removes C although B itself goes.
    assert_eq!(run(Policy::Fast { iou_threshold: 0.5 }).indices, vec![0]);
    // Hard NMS (= Cluster-NMS): B goes, so C stays.
    assert_eq!(run(Policy::Hard { iou_threshold: 0.5 }).indices, vec![0, 2]);
    // The score penalty: only kept items (A) penalise. B: 0.8 exp(-(7/13)^2 / 0.2) = 0.18771..,
    // C: 0.7 exp(-0.25^2 / 0.2) = 0.7 exp(-0.3125) = 0.51213..
    let kept = run(Policy::ClusterPenalty { iou_threshold: 0.5, sigma: 0.2 });
    let (b, c) = (0.8 * (-(49.0_f64 / 169.0) / 0.2).exp(), 0.7 * (-0.3125_f64).exp());
    assert_matches(&kept, &[(0, 0.9), (2, c), (1, b)], "cluster penalty by hand");
    assert!((c - 0.512_131).abs() < 1e-6 && (b - 0.187_712).abs() < 1e-6, "{b} {c}");
    // Adaptive: at 0.6 with eta = 1 everything stays; with eta = 0.5 the threshold falls to 0.3
    // after A, which then removes B (0.538 > 0.3) but not C (0.25).
    assert_eq!(run(Policy::Adaptive { iou_threshold: 0.6, eta: 1.0 }).indices, vec![0, 1, 2]);
    assert_eq!(run(Policy::Adaptive { iou_threshold: 0.6, eta: 0.5 }).indices, vec![0, 2]);
    // It only falls while above 0.5: from 0.5 it stays (C kept at 0.25); from 0.51 it falls to
    // 0.051 after A, and C goes too.
    assert_eq!(run(Policy::Adaptive { iou_threshold: 0.5, eta: 0.1 }).indices, vec![0, 2]);
    assert_eq!(run(Policy::Adaptive { iou_threshold: 0.51, eta: 0.1 }).indices, vec![0]);
}

#[test]
fn matrix_nms_on_exact_duplicates() {
    // A, A', A'' the same box (0.9, 0.8, 0.7); D = [5, 0, 15, 10] overlaps each by 1/3 (0.6).
    let a = [0.0, 0.0, 10.0, 10.0];
    let boxes = [a, a, a, [5.0, 0.0, 15.0, 10.0]];
    let scores = [0.9, 0.8, 0.7, 0.6];
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
    let rows = Rows { scores: &scores, images: &[0; 4], labels: &[0; 4] };

    // Linear: c_A' = c_A'' = 1, so f(c) = 0. SOLOv2's formula divides by zero there; the engine
    // skips those terms. A' and A'' decay by f(1) / f(0) = 0 from A; D by (1 - 1/3) / 1 from A.
    let linear = SuppressParams::new(Policy::Matrix { kernel: MatrixKernel::Linear });
    assert!(reference(4, |i, j| iou(&boxes[i], &boxes[j]), rows, Scope::Set, &linear).is_none());
    let kept = suppress(&set, &scores, &linear).unwrap();
    assert_matches(&kept, &[(0, 0.9), (3, 0.6 * 2.0 / 3.0)], "linear duplicates");
    let all = linear.with_score_threshold(f64::NEG_INFINITY);
    let kept = suppress(&set, &scores, &all).unwrap();
    assert_matches(&kept, &[(0, 0.9), (3, 0.4), (1, 0.0), (2, 0.0)], "linear duplicates, every score");
    assert!(kept.scores.iter().all(|s| s.is_finite()));

    // Gaussian: no zero denominator, the literal formula applies. A' and A'' decay by exp(-2);
    // D by exp(-2/9) (A's term; A''s is exp(-2/9) / exp(-2), larger).
    let gaussian = SuppressParams::new(Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } })
        .with_score_threshold(f64::NEG_INFINITY);
    let expected = reference(4, |i, j| iou(&boxes[i], &boxes[j]), rows, Scope::Set, &gaussian).unwrap();
    let e2 = (-2.0_f64).exp();
    let by_hand = [(0, 0.9), (3, 0.6 * (-2.0_f64 / 9.0).exp()), (1, 0.8 * e2), (2, 0.7 * e2)];
    assert_matches(&suppress(&set, &scores, &gaussian).unwrap(), &by_hand, "gaussian duplicates");
    assert_eq!(expected.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 3, 1, 2]);
    for (&(_, got), &(_, want)) in expected.iter().zip(&by_hand) {
        assert!(close(got, want), "reference {got} against by hand {want}");
    }
}

#[test]
fn matrix_nms_on_rotated_boxes_and_segments() {
    let kernels = [MatrixKernel::Gaussian { sigma: 2.0 }, MatrixKernel::Gaussian { sigma: 0.7 }, MatrixKernel::Linear];
    let mut other = vec![
        Policy::ClusterPenalty { iou_threshold: 0.5, sigma: 0.2 },
        Policy::Fast { iou_threshold: 0.4 },
        Policy::Adaptive { iou_threshold: 0.8, eta: 0.8 },
    ];
    other.extend(kernels.map(|kernel| Policy::Matrix { kernel }));
    for seed in 0..40u64 {
        let mut rng = Rng::new(seed + 500);
        let n = rng.below(45);
        let scene = Scene::random(&mut rng, n, 60.0, if seed % 3 == 0 { 6 } else { 0 });
        let rotated: Vec<[f64; 5]> = (0..n)
            .map(|_| {
                let (w, h) = (rng.uniform(5.0, 30.0), rng.uniform(5.0, 30.0));
                [rng.uniform(0.0, 60.0), rng.uniform(0.0, 60.0), w, h, rng.uniform(-3.2, 3.2)]
            })
            .collect();
        let rset = RotatedSet::new(&rotated, RotatedFormat::Radians, ShapeMeasure::Iou).unwrap();
        let segments: Vec<[f64; 2]> = (0..n)
            .map(|_| {
                let start = rng.uniform(0.0, 100.0);
                [start, start + rng.uniform(1.0, 25.0)]
            })
            .collect();
        let sset = SetView::of(Segments::new(&segments).unwrap(), Iou);
        for policy in &other {
            for scope in SCOPES {
                for params in [SuppressParams::new(*policy), SuppressParams::new(*policy).with_max_output(3)] {
                    let rows = scene.rows(scope);
                    let context = format!("seed {seed}, {scope:?}, {params:?}");
                    let r_overlap = |i: usize, j: usize| Overlap::<2>::overlap(&rset, i, j);
                    let expected = reference(n, r_overlap, rows, scope, &params).unwrap();
                    assert_matches(&engine(&rset, rows, scope, &params), &expected, &format!("rotated {context}"));
                    let s_overlap = |i: usize, j: usize| Overlap::<1>::overlap(&sset, i, j);
                    let expected = reference(n, s_overlap, rows, scope, &params).unwrap();
                    assert_matches(&engine(&sset, rows, scope, &params), &expected, &format!("segments {context}"));
                }
            }
        }
    }
}

/// DIoU (Zheng et al. 2020) from its definition: IoU minus (d^2 / c^2)^beta, `d` the distance of
/// the centres and `c` the diagonal of the smallest enclosing box.
fn diou(a: &[f64; 4], b: &[f64; 4], beta: f64) -> f64 {
    let (dx, dy) = ((a[0] + a[2]) / 2.0 - (b[0] + b[2]) / 2.0, (a[1] + a[3]) / 2.0 - (b[1] + b[3]) / 2.0);
    let (cw, ch) = (a[2].max(b[2]) - a[0].min(b[0]), a[3].max(b[3]) - a[1].min(b[1]));
    iou(a, b) - ((dx * dx + dy * dy) / (cw * cw + ch * ch)).powf(beta)
}

#[test]
fn diou_nms_matches_the_greedy_definition() {
    let beta = 0.6;
    for seed in 0..80u64 {
        let mut rng = Rng::new(seed + 9000);
        let n = rng.below(60);
        let scene = Scene::random(&mut rng, n, 100.0, if seed % 2 == 0 { 0 } else { 10 });
        let boxes = &scene.boxes;
        let set = BoxSet::new(boxes, BoxMeasure::Diou { beta }, 0.0).unwrap();
        for i in 0..n {
            for j in 0..n {
                let (got, want) = (set.overlap(i, j), diou(&boxes[i], &boxes[j], beta));
                assert!((got - want).abs() < 1e-12, "seed {seed}: DIoU({i}, {j}) engine {got}, formula {want}");
            }
        }
        for thr in [0.0, 0.3, 0.5, 0.7] {
            for scope in [Scope::Set, Scope::Batched] {
                let rows = scene.rows(scope);
                // Greedy DIoU-NMS per scope: keep j unless a kept item of its scope has DIoU > thr.
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| scene.scores[b].partial_cmp(&scene.scores[a]).unwrap().then(a.cmp(&b)));
                let mut kept: Vec<usize> = Vec::new();
                for &j in &order {
                    let same = |k: usize| rows.key(scope, k) == rows.key(scope, j);
                    if kept.iter().all(|&k| !same(k) || diou(&boxes[k], &boxes[j], beta) <= thr) {
                        kept.push(j);
                    }
                }
                let expected: Vec<(usize, f64)> = kept.iter().map(|&i| (i, scene.scores[i])).collect();
                let params = SuppressParams::hard(thr);
                let context = format!("DIoU-NMS seed {seed}, thr {thr}, {scope:?}");
                assert_matches(&engine(&set, rows, scope, &params), &expected, &context);
            }
        }
    }
}

#[test]
fn max_output_and_score_threshold_are_respected() {
    for seed in 0..40u64 {
        let mut rng = Rng::new(seed + 300);
        let scene = Scene::random(&mut rng, 50, 100.0, if seed % 2 == 0 { 0 } else { 6 });
        let set = BoxSet::new(&scene.boxes, BoxMeasure::Iou, 0.0).unwrap();
        for policy in policies() {
            for scope in SCOPES {
                let rows = scene.rows(scope);
                for t in [f64::NEG_INFINITY, 0.05, 0.3, 0.6] {
                    let params = SuppressParams::new(policy).with_score_threshold(t);
                    let full = engine(&set, rows, scope, &params);
                    let context = format!("seed {seed}, {scope:?}, {params:?}");
                    assert_eq!(full, engine(&set, rows, scope, &params), "{context}: two runs differ");
                    for (&i, &s) in full.indices.iter().zip(&full.scores) {
                        assert!(s >= t && scene.scores[i] >= t, "{context}: index {i} kept at {s}");
                        assert!(s <= scene.scores[i], "{context}: index {i} rose to {s}");
                        if !matches!(policy, Policy::Matrix { .. } | Policy::ClusterPenalty { .. }) {
                            assert_eq!(s, scene.scores[i], "{context}");
                        }
                    }
                    // Items below the threshold take no part: dropping them first changes nothing.
                    let sub: Vec<usize> = (0..50).filter(|&i| scene.scores[i] >= t).collect();
                    let pick = |v: &[i64]| sub.iter().map(|&i| v[i]).collect::<Vec<i64>>();
                    let (boxes, scores): (Vec<[f64; 4]>, Vec<f64>) =
                        sub.iter().map(|&i| (scene.boxes[i], scene.scores[i])).unzip();
                    let (images, labels) = (pick(rows.images), pick(rows.labels));
                    let sub_set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
                    let sub_rows = Rows { scores: &scores, images: &images, labels: &labels };
                    let sub_kept = engine(&sub_set, sub_rows, scope, &params);
                    let mapped: Vec<usize> = sub_kept.indices.iter().map(|&k| sub[k]).collect();
                    let full_pairs: Vec<(usize, f64)> = full.indices.iter().copied().zip(full.scores.clone()).collect();
                    let mapped = Kept { indices: mapped, scores: sub_kept.scores };
                    assert_matches(&mapped, &full_pairs, &format!("{context}: items below the threshold took part"));
                    // `max_output` gives a prefix: of the whole list, or of each image's.
                    // (`max_output = 0` has its own tests below.)
                    for k in [1, 3, 7] {
                        let top = engine(&set, rows, scope, &params.with_max_output(k));
                        let expected: Vec<(usize, f64)> = if scope == Scope::PerImage {
                            let mut out = Vec::new();
                            let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
                            for (&i, &s) in full.indices.iter().zip(&full.scores) {
                                let taken = seen.entry(scene.images[i]).or_insert(0);
                                if *taken < k {
                                    *taken += 1;
                                    out.push((i, s));
                                }
                            }
                            out
                        } else {
                            full.indices.iter().copied().zip(full.scores.iter().copied()).take(k).collect()
                        };
                        assert_matches(&top, &expected, &format!("{context}, max_output {k}"));
                    }
                }
            }
        }
    }
}

#[test]
fn large_scopes_are_the_same_on_any_thread_count() {
    // Over 4096 items the engine runs the scopes in parallel; the result must not depend on it,
    // and must still match the dense reference run on each scope alone.
    let mut rng = Rng::new(77);
    let scene = Scene::random(&mut rng, 4500, 1000.0, 20);
    let set = BoxSet::new(&scene.boxes, BoxMeasure::Iou, 0.0).unwrap();
    let pool = |threads: usize| rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let (one, four) = (pool(1), pool(4));
    for policy in [
        Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } },
        Policy::Matrix { kernel: MatrixKernel::Linear },
        Policy::Fast { iou_threshold: 0.3 },
        Policy::ClusterPenalty { iou_threshold: 0.5, sigma: 0.2 },
        Policy::Adaptive { iou_threshold: 0.8, eta: 0.7 },
    ] {
        for scope in [Scope::Batched, Scope::PerImage] {
            let rows = scene.rows(scope);
            let params = SuppressParams::new(policy).with_max_output(900);
            let context = format!("{scope:?}, {params:?}");
            let kept = four.install(|| engine(&set, rows, scope, &params));
            assert_eq!(kept, one.install(|| engine(&set, rows, scope, &params)), "{context}: 1 vs 4 threads");
            assert_eq!(kept, engine(&set, rows, scope, &params), "{context}: default pool");
            // The reference, scope by scope, merged as the engine documents.
            let mut scopes: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
            for i in 0..scene.boxes.len() {
                scopes.entry(rows.key(scope, i)).or_default().push(i);
            }
            let mut merged = Vec::new();
            for members in scopes.values() {
                let scores: Vec<f64> = members.iter().map(|&i| scene.scores[i]).collect();
                let zeros = vec![0; members.len()];
                let sub_rows = Rows { scores: &scores, images: &zeros, labels: &zeros };
                let overlap = |a: usize, b: usize| iou(&scene.boxes[members[a]], &scene.boxes[members[b]]);
                let local = reference(members.len(), overlap, sub_rows, Scope::Set, &params).unwrap();
                merged.extend(local.into_iter().map(|(a, s)| (members[a], s)));
            }
            let expected = finish(merged, rows, scope, 900);
            assert_matches(&kept, &expected, &context);
        }
    }
}

/// A three-box scene for the `max_output = 0` tests.
fn three_boxes() -> Scene {
    Scene {
        boxes: vec![[0.0, 0.0, 10.0, 10.0], [3.0, 0.0, 13.0, 10.0], [50.0, 50.0, 60.0, 60.0]],
        scores: vec![0.9, 0.8, 0.7],
        images: vec![IMAGES[0], IMAGES[1], IMAGES[0]],
        labels: vec![LABELS[0], LABELS[0], LABELS[1]],
        image_labels: vec![LABELS[0], LABELS[1], LABELS[0]],
    }
}

#[test]
fn max_output_zero_keeps_nothing() {
    let scene = three_boxes();
    let set = BoxSet::new(&scene.boxes, BoxMeasure::Iou, 0.0).unwrap();
    for policy in policies() {
        for scope in SCOPES {
            let params = SuppressParams::new(policy).with_max_output(0);
            assert_eq!(engine(&set, scene.rows(scope), scope, &params), Kept::default(), "{scope:?}, {params:?}");
        }
    }
}

/// `suppress` over one set has no merge to truncate the list: the greedy-order policies must stop
/// before their first item.
#[test]
fn max_output_zero_keeps_nothing_under_fast_and_adaptive() {
    let scene = three_boxes();
    let set = BoxSet::new(&scene.boxes, BoxMeasure::Iou, 0.0).unwrap();
    for policy in [Policy::Fast { iou_threshold: 0.5 }, Policy::Adaptive { iou_threshold: 0.7, eta: 0.9 }] {
        let params = SuppressParams::new(policy).with_max_output(0);
        assert_eq!(suppress(&set, &scene.scores, &params).unwrap(), Kept::default(), "{params:?}");
    }
}

/// Boxes on a 100 x 100 field, sides 1..40, scores in [0, 1) or on a coarse grid (ties), two
/// images and three labels.
fn prop_scenes(max_n: usize) -> impl Strategy<Value = Scene> {
    let score = prop_oneof![0.0..1.0f64, (0u32..=4).prop_map(|k| f64::from(k) / 4.0)];
    let row = (0.0..100.0f64, 0.0..100.0f64, 1.0..40.0f64, 1.0..40.0f64, score, 0usize..2, 0usize..3, 0usize..2);
    prop::collection::vec(row, 0..max_n).prop_map(|rows| Scene {
        boxes: rows.iter().map(|&(x, y, w, h, ..)| [x, y, x + w, y + h]).collect(),
        scores: rows.iter().map(|r| r.4).collect(),
        images: rows.iter().map(|r| IMAGES[r.5]).collect(),
        labels: rows.iter().map(|r| LABELS[r.6]).collect(),
        image_labels: rows.iter().map(|r| LABELS[r.7]).collect(),
    })
}

fn prop_scope() -> impl Strategy<Value = Scope> {
    prop_oneof![Just(Scope::Set), Just(Scope::Batched), Just(Scope::PerImage)]
}

/// The default score threshold, none, or one in [0, 0.6); `max_output` in 0..12 or none.
fn with_options(policy: impl Strategy<Value = Policy>) -> impl Strategy<Value = SuppressParams> {
    let threshold = prop_oneof![Just(None), Just(Some(f64::NEG_INFINITY)), (0.0..0.6f64).prop_map(Some)];
    (policy, threshold, prop::option::of(0usize..12)).prop_map(|(policy, t, k)| {
        let mut p = SuppressParams::new(policy);
        if let Some(t) = t {
            p = p.with_score_threshold(t);
        }
        p.max_output = k;
        p
    })
}

fn check_prop(scene: &Scene, scope: Scope, params: &SuppressParams) -> Result<(), TestCaseError> {
    let boxes = &scene.boxes;
    let rows = scene.rows(scope);
    let expected = reference(boxes.len(), |i, j| iou(&boxes[i], &boxes[j]), rows, scope, params);
    // Exact duplicates make linear Matrix NMS's formula divide by zero (tested by hand above).
    prop_assume!(expected.is_some());
    let set = BoxSet::new(boxes, BoxMeasure::Iou, 0.0).unwrap();
    assert_matches(&engine(&set, rows, scope, params), &expected.unwrap(), &format!("{scope:?}, {params:?}"));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matrix_nms_matches_solov2s_formula(
        scene in prop_scenes(50),
        scope in prop_scope(),
        params in with_options(prop_oneof![
            Just(MatrixKernel::Linear),
            (0.05..8.0f64).prop_map(|sigma| MatrixKernel::Gaussian { sigma }),
        ].prop_map(|kernel| Policy::Matrix { kernel })),
    ) {
        check_prop(&scene, scope, &params)?;
    }

    #[test]
    fn cluster_penalty_matches_the_iterated_matrix(
        scene in prop_scenes(50),
        scope in prop_scope(),
        params in with_options((0.0..=1.0f64, 0.02..3.0f64)
            .prop_map(|(iou_threshold, sigma)| Policy::ClusterPenalty { iou_threshold, sigma })),
    ) {
        check_prop(&scene, scope, &params)?;
    }

    #[test]
    fn fast_adaptive_and_cluster_match_their_definitions(
        scene in prop_scenes(50),
        scope in prop_scope(),
        params in with_options(prop_oneof![
            (0.0..=1.0f64).prop_map(|iou_threshold| Policy::Fast { iou_threshold }),
            (0.0..=1.0f64).prop_map(|iou_threshold| Policy::Hard { iou_threshold }),
            (0.0..=1.0f64, 0.05..=1.0f64).prop_map(|(iou_threshold, eta)| Policy::Adaptive { iou_threshold, eta }),
        ]),
    ) {
        check_prop(&scene, scope, &params)?;
    }
}
