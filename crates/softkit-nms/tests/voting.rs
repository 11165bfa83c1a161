//! Box voting and 3-D box fusion against plain references written from the papers.

use softkit_geom::Fusable;
use softkit_nms::{FusionParams, ModelDetections, SuppressParams, Voting, fuse, nms, vote};
use softkit_sim::Rng;

fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let w = a[2].min(b[2]) - a[0].max(b[0]);
    let h = a[3].min(b[3]) - a[1].max(b[1]);
    if w <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    let inter = w * h;
    inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
}

/// A dense scene: clusters of jittered boxes, a few labels, some tied scores.
fn scene(rng: &mut Rng, n: usize) -> (Vec<[f64; 4]>, Vec<f64>, Vec<i64>) {
    let centres: Vec<[f64; 2]> = (0..4).map(|_| [rng.uniform(0.0, 100.0), rng.uniform(0.0, 100.0)]).collect();
    let boxes = (0..n)
        .map(|_| {
            let c = centres[rng.below(centres.len())];
            let (x, y) = (c[0] + rng.uniform(-3.0, 3.0), c[1] + rng.uniform(-3.0, 3.0));
            let (w, h) = (rng.uniform(15.0, 25.0), rng.uniform(15.0, 25.0));
            [x, y, x + w, y + h]
        })
        .collect();
    let scores = (0..n).map(|_| (rng.uniform(0.0, 1.0) * 8.0).round() / 8.0).collect();
    let labels = (0..n).map(|_| rng.below(2) as i64).collect();
    (boxes, scores, labels)
}

/// Detectron's `box_voting` (scoring 'ID'): each kept box becomes the score-weighted mean of the
/// boxes of its label whose IoU with it is at least the threshold.
fn detectron_voting(boxes: &[[f64; 4]], scores: &[f64], labels: &[i64], kept: &[usize], t: f64) -> Vec<[f64; 4]> {
    kept.iter()
        .map(|&k| {
            let (mut sum, mut total) = ([0.0; 4], 0.0);
            for j in 0..boxes.len() {
                if labels[j] == labels[k] && (j == k || iou(&boxes[k], &boxes[j]) >= t) {
                    for c in 0..4 {
                        sum[c] += scores[j] * boxes[j][c];
                    }
                    total += scores[j];
                }
            }
            sum.map(|v| v / total)
        })
        .collect()
}

/// Weighted Cluster-NMS: rows of the kept boxes of the converged upper-triangular IoU matrix,
/// weights `(C * (C > t) + I) * s`.
fn weighted_cluster(boxes: &[[f64; 4]], scores: &[f64], labels: &[i64], kept: &[usize], t: f64) -> Vec<[f64; 4]> {
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let rank: Vec<usize> = {
        let mut r = vec![0; boxes.len()];
        for (p, &i) in order.iter().enumerate() {
            r[i] = p;
        }
        r
    };
    kept.iter()
        .map(|&i| {
            let (mut sum, mut total) = (boxes[i].map(|v| v * scores[i]), scores[i]);
            for j in 0..boxes.len() {
                let c = iou(&boxes[i], &boxes[j]);
                if labels[j] == labels[i] && rank[j] > rank[i] && c > t {
                    for k in 0..4 {
                        sum[k] += c * scores[j] * boxes[j][k];
                    }
                    total += c * scores[j];
                }
            }
            sum.map(|v| v / total)
        })
        .collect()
}

#[test]
fn voting_equals_the_plain_references() {
    let mut rng = Rng::new(21);
    for case in 0..60 {
        let n = 1 + rng.below(80);
        let (boxes, scores, labels) = scene(&mut rng, n);
        let kept = softkit_nms::batched_nms(&boxes, &scores, &labels, 0.5).unwrap();
        for t in [0.5, 0.8] {
            let got = vote(&boxes, &scores, Some(&labels), &kept, t, Voting::Score).unwrap();
            let want = detectron_voting(&boxes, &scores, &labels, &kept, t);
            let got_cluster = vote(&boxes, &scores, Some(&labels), &kept, t, Voting::Cluster).unwrap();
            let want_cluster = weighted_cluster(&boxes, &scores, &labels, &kept, t);
            for (g, w) in got.iter().zip(&want).chain(got_cluster.iter().zip(&want_cluster)) {
                if w.iter().all(|v| v.is_finite()) {
                    for c in 0..4 {
                        assert!((g[c] - w[c]).abs() <= 1e-9 * w[c].abs().max(1.0), "case {case}: {g:?} vs {w:?}");
                    }
                } else {
                    // All voters scored 0: softkit takes their plain mean, the formula divides by 0.
                    assert!(g.iter().all(|v| v.is_finite()), "case {case}: {g:?}");
                }
            }
        }
    }
}

#[test]
fn voting_leaves_a_lone_box_and_its_score_alone() {
    let boxes = [[0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0]];
    let kept = nms(&boxes, &[0.9, 0.8], 0.5).unwrap();
    for voting in [Voting::Score, Voting::Cluster] {
        assert_eq!(vote(&boxes, &[0.9, 0.8], None, &kept, 0.5, voting).unwrap(), boxes.to_vec());
    }
}

#[test]
fn voting_names_bad_input() {
    let boxes = [[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 4.0, 10.0]];
    let err =
        |b: &[[f64; 4]], s: &[f64], k: &[usize], t| vote(b, s, None, k, t, Voting::Score).unwrap_err().to_string();
    assert_eq!(err(&boxes, &[0.9, 0.8], &[0], 0.5), "boxes[1].x2 = 4 is less than x1 = 5");
    let good = &boxes[..1];
    assert_eq!(err(good, &[0.9, 0.8], &[0], 0.5), "scores has 2 entries but boxes has 1");
    assert_eq!(err(good, &[0.9], &[3], 0.5), "keep[0] = 3 names no item: there are 1");
    assert_eq!(err(good, &[f64::NAN], &[0], 0.5), "scores[0] = NaN is not finite");
    assert!(err(good, &[-0.5], &[0], 0.5).starts_with("scores[0] = -0.5 is negative"));
    assert!(err(good, &[0.5], &[0], 1.5).starts_with("iou_threshold = 1.5 is invalid"));
}

/// A 3-D box `[x, y, z, dx, dy, dz, heading]`.
type Box3 = [f64; 7];

#[test]
fn box3d_fusion_averages_position_and_sizes_and_keeps_the_best_heading() {
    let a: Box3 = [10.0, 5.0, 1.0, 4.0, 2.0, 1.5, 0.30];
    let b: Box3 = [10.4, 5.2, 1.1, 4.2, 2.0, 1.5, 0.10];
    let far: Box3 = [40.0, 5.0, 1.0, 4.0, 2.0, 1.5, 1.0];
    let lidar = ModelDetections { items: &[a, far], scores: &[0.6, 0.5], labels: &[1, 1] };
    let camera = ModelDetections { items: &[b], scores: &[0.9], labels: &[1] };
    let fused = fuse(&[lidar, camera], &FusionParams::wbf()).unwrap();
    assert_eq!(fused.len(), 2);
    let merged = fused.items[0];
    for c in 0..6 {
        assert!((merged[c] - (0.9 * b[c] + 0.6 * a[c]) / 1.5).abs() < 1e-12, "coordinate {c}");
    }
    assert_eq!(merged[6], b[6], "the heading is the best box's, not a mean of angles");
    assert_eq!(fused.items[1], far);
    assert!(a.iou(&b) > 0.55);
    let nmw = fuse(&[lidar, camera], &FusionParams::nmw()).unwrap();
    assert_eq!(nmw.items[0][6], b[6]);
    let bad = ModelDetections { items: &[[0.0, 0.0, 0.0, -1.0, 1.0, 1.0, 0.0]], scores: &[0.5], labels: &[0] };
    let err = fuse(&[bad], &FusionParams::wbf()).unwrap_err().to_string();
    assert_eq!(err, "boxes_list[0][0] dx = -1 is negative: expected a size >= 0");
}

/// Cross-modal fusion as DroneVehicle's RGB-infrared detectors do it: per-modality weights (here
/// from an illumination estimate the caller made), weighted boxes fusion, then hard NMS on the
/// fused boxes. At night the infrared boxes pull the fused box and its score.
#[test]
fn cross_modal_fusion_is_weighted_fusion_then_suppression() {
    let rgb = [[100.0, 100.0, 140.0, 120.0], [300.0, 200.0, 340.0, 220.0]];
    let infrared = [[104.0, 101.0, 144.0, 121.0], [301.0, 199.0, 341.0, 219.0], [500.0, 50.0, 540.0, 70.0]];
    let (rgb_scores, ir_scores) = ([0.5, 0.6], [0.9, 0.8, 0.7]);
    let illumination = 0.2; // dark: trust the infrared camera
    let weights = vec![illumination, 1.0 - illumination];
    let models = [
        ModelDetections { items: &rgb[..], scores: &rgb_scores, labels: &[0, 0] },
        ModelDetections { items: &infrared[..], scores: &ir_scores, labels: &[0, 0, 0] },
    ];
    let fused = fuse(&models, &FusionParams::wbf().with_weights(weights)).unwrap();
    let kept = softkit_nms::suppress_batched(
        &softkit_geom::BoxSet::new(&fused.items, softkit_geom::BoxMeasure::Iou, 0.0).unwrap(),
        &fused.scores,
        &fused.labels,
        &SuppressParams::hard(0.5),
    )
    .unwrap();
    assert_eq!(kept.indices.len(), 3, "three vehicles");
    // The first vehicle: members weighted by score x modality weight.
    let (wr, wi) = (0.5 * 0.2, 0.9 * 0.8);
    let x1 = (wr * rgb[0][0] + wi * infrared[0][0]) / (wr + wi);
    let first = fused.items.iter().position(|b| (b[1] - 100.0).abs() < 2.0).unwrap();
    assert!((fused.items[first][0] - x1).abs() < 1e-12);
    assert!(fused.items[first][0] > 103.0, "pulled towards the infrared box");
}
