//! A geometry written only in this file, 1-D time segments, gets hard NMS, Soft-NMS and COCO AP
//! through the generic paths (`SetView`, `PairView`, the engine and the protocol), with no code of
//! its own anywhere else. Each result is checked against a plain reference written here.

use softkit_eval::{DtRecord, EvalInput, GtRecord, Params, evaluate};
use softkit_geom::{Bounded, Envelope, Geometry, Intersect, Iou, Measure, PairView, SetView, Symmetric, XywhBoxes};
use softkit_nms::{Policy, SuppressParams, suppress, suppress_batched};
use softkit_sim::Rng;

/// Time segments `[start, end]`: the whole geometry, in three short impls.
struct Segments(Vec<[f64; 2]>);

impl Geometry for Segments {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn area(&self, i: usize) -> f64 {
        self.0[i][1] - self.0[i][0]
    }
}

impl Bounded<1> for Segments {
    fn envelope(&self, i: usize) -> Envelope<1> {
        Envelope::new([self.0[i][0]], [self.0[i][1]])
    }
}

impl Intersect for Segments {
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        let (a, b) = (self.0[i], other.0[j]);
        (a[1].min(b[1]) - a[0].max(b[0])).max(0.0)
    }
}

/// A measure with no finite reach: a Gaussian of the centres' distance, never zero. The engine
/// must compare such items all against all.
struct CentreKernel;

impl Measure<Segments> for CentreKernel {
    fn between(&self, a: &Segments, i: usize, b: &Segments, j: usize) -> f64 {
        let centre = |s: &Segments, k: usize| (s.0[k][0] + s.0[k][1]) * 0.5;
        let d = centre(a, i) - centre(b, j);
        (-d * d / 50.0).exp()
    }

    fn finite_reach(&self) -> bool {
        false
    }
}

impl Symmetric for CentreKernel {}

/// Temporal IoU, written plainly.
fn tiou(a: [f64; 2], b: [f64; 2]) -> f64 {
    let inter = (a[1].min(b[1]) - a[0].max(b[0])).max(0.0);
    let union = (a[1] - a[0]) + (b[1] - b[0]) - inter;
    if inter > 0.0 && union > 0.0 { inter / union } else { 0.0 }
}

/// The paper's greedy loop, O(n²): select the best current score (ties to the lower index),
/// decay the rest by the policy's weight, drop what falls below the threshold.
fn greedy_reference(
    n: usize,
    scores: &[f64],
    overlap: impl Fn(usize, usize) -> f64,
    params: &SuppressParams,
) -> Vec<(usize, f64)> {
    let mut current: Vec<f64> = scores.to_vec();
    let mut alive: Vec<bool> = current.iter().map(|&s| s >= params.score_threshold).collect();
    let mut kept = Vec::new();
    while let Some(best) = (0..n).filter(|&i| alive[i]).fold(None, |best: Option<usize>, i| match best {
        Some(b) if current[b] >= current[i] => Some(b),
        _ => Some(i),
    }) {
        alive[best] = false;
        kept.push((best, current[best]));
        for j in 0..n {
            if !alive[j] {
                continue;
            }
            let o = overlap(best, j);
            let w = match params.policy {
                Policy::Hard { iou_threshold } => {
                    // Removed outright, whatever the score threshold.
                    alive[j] = o <= iou_threshold;
                    1.0
                }
                Policy::Linear { iou_threshold } => {
                    if o > iou_threshold {
                        1.0 - o
                    } else {
                        1.0
                    }
                }
                Policy::Gaussian { sigma } => {
                    if o > 0.0 {
                        (-o * o / sigma).exp()
                    } else {
                        1.0
                    }
                }
                other => unreachable!("a greedy reference, not {other:?}"),
            };
            current[j] *= w;
            if current[j] < params.score_threshold {
                alive[j] = false;
            }
        }
    }
    kept
}

fn random_segments(rng: &mut Rng, n: usize) -> (Vec<[f64; 2]>, Vec<f64>) {
    let segments = (0..n)
        .map(|_| {
            let start = rng.uniform(0.0, 500.0);
            [start, start + rng.uniform(1.0, 40.0)]
        })
        .collect();
    let scores = (0..n).map(|_| rng.unit()).collect();
    (segments, scores)
}

fn as_pairs(kept: &softkit_nms::Kept) -> Vec<(usize, f64)> {
    kept.indices.iter().copied().zip(kept.scores.iter().copied()).collect()
}

#[test]
fn segments_get_hard_nms_and_soft_nms_from_the_engine() {
    let mut rng = Rng::new(5);
    for _ in 0..20 {
        let (spans, scores) = random_segments(&mut rng, 300);
        let set = SetView::of(Segments(spans.clone()), Iou);
        for params in [SuppressParams::hard(0.5), SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
            let kept = suppress(&set, &scores, &params).unwrap();
            let reference = greedy_reference(spans.len(), &scores, |i, j| tiou(spans[i], spans[j]), &params);
            assert_eq!(as_pairs(&kept), reference, "{params:?}");
        }
        // Per label too: segments of different labels never interact.
        let labels: Vec<i64> = (0..spans.len()).map(|_| rng.below(3) as i64).collect();
        let kept = suppress_batched(&set, &scores, &labels, &SuppressParams::hard(0.5)).unwrap();
        let mut reference: Vec<(usize, f64)> = (0..3)
            .flat_map(|label| {
                let rows: Vec<usize> = (0..spans.len()).filter(|&i| labels[i] == label).collect();
                let local_scores: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
                let params = SuppressParams::hard(0.5);
                greedy_reference(rows.len(), &local_scores, |a, b| tiou(spans[rows[a]], spans[rows[b]]), &params)
                    .into_iter()
                    .map(|(a, s)| (rows[a], s))
                    .collect::<Vec<_>>()
            })
            .collect();
        reference.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        assert_eq!(as_pairs(&kept), reference);
    }
}

#[test]
fn a_measure_with_no_finite_reach_is_compared_all_against_all() {
    let mut rng = Rng::new(9);
    let (spans, scores) = random_segments(&mut rng, 200);
    let set = SetView::of(Segments(spans.clone()), CentreKernel);
    let params = SuppressParams::gaussian(0.5);
    let kept = suppress(&set, &scores, &params).unwrap();
    let segments = Segments(spans.clone());
    let reference =
        greedy_reference(spans.len(), &scores, |i, j| CentreKernel.between(&segments, i, &segments, j), &params);
    assert_eq!(as_pairs(&kept), reference);
    // Far-apart segments still decay each other a little: the grid alone would have missed them.
    let far = [[0.0, 1.0], [12.0, 13.0]];
    let set = SetView::of(Segments(far.to_vec()), CentreKernel);
    let kept = suppress(&set, &[0.9, 0.8], &params).unwrap();
    assert!(kept.scores[1] < 0.8 * 0.999, "{kept:?}");
}

/// Ground truth and detections of a few "videos", as records plus their segments.
struct Scene {
    gts: Vec<GtRecord>,
    gt_spans: Vec<[f64; 2]>,
    dts: Vec<DtRecord>,
    dt_spans: Vec<[f64; 2]>,
}

fn scene(rng: &mut Rng) -> Scene {
    let mut s = Scene { gts: Vec::new(), gt_spans: Vec::new(), dts: Vec::new(), dt_spans: Vec::new() };
    for video in 1..=6 {
        for _ in 0..rng.below(6) + 1 {
            let start = rng.uniform(0.0, 300.0);
            let span = [start, start + rng.uniform(5.0, 60.0)];
            let category_id = rng.below(2) as i64 + 1;
            let id = s.gts.len() as i64 + 1;
            let area = span[1] - span[0];
            s.gts.push(GtRecord { id, image_id: video, category_id, area, iscrowd: false, ignore: false });
            s.gt_spans.push(span);
            // A few detections near each object, and their labels mostly right.
            for _ in 0..rng.below(4) {
                let shift = rng.normal() * 5.0;
                let detected = [span[0] + shift, span[1] + shift + rng.normal() * 3.0_f64.abs()];
                let detected = [detected[0], detected[1].max(detected[0] + 0.5)];
                let label = if rng.unit() < 0.8 { category_id } else { 3 - category_id };
                let area = detected[1] - detected[0];
                s.dts.push(DtRecord { image_id: video, category_id: label, area, score: rng.unit() });
                s.dt_spans.push(detected);
            }
        }
    }
    s
}

#[test]
fn segments_get_coco_ap_from_the_protocol() {
    let mut rng = Rng::new(3);
    let params = Params {
        area_rngs: vec![softkit_eval::AreaRange::new("all", 0.0, 1e10)],
        max_dets: vec![100],
        ..Params::default()
    };
    for _ in 0..10 {
        let s = scene(&mut rng);
        let input = EvalInput { image_ids: &[1, 2, 3, 4, 5, 6], category_ids: &[1, 2], gts: &s.gts, dts: &s.dts };
        let segments = PairView::new(Segments(s.dt_spans.clone()), Segments(s.gt_spans.clone()), Iou);
        let ev = evaluate(&input, &segments, &params).unwrap();
        // The same segments as boxes of height 1: the same IoUs through the box geometry whose
        // AP matches pycocotools, so the same precision, bit for bit.
        let boxes = |spans: &[[f64; 2]]| spans.iter().map(|s| [s[0], 0.0, s[1] - s[0], 1.0]).collect::<Vec<_>>();
        let as_boxes = PairView::new(
            XywhBoxes::new(boxes(&s.dt_spans)).unwrap(),
            XywhBoxes::new(boxes(&s.gt_spans)).unwrap(),
            Iou,
        );
        let reference = evaluate(&input, &as_boxes, &params).unwrap();
        assert_eq!(ev.precision(), reference.precision());
        assert_eq!(ev.recall(), reference.recall());
        let ap = ev.class_ap();
        assert!(ap.iter().all(|c| (0.0..=1.0).contains(&c.ap) || c.ap == -1.0), "{ap:?}");
    }
}

#[test]
fn perfect_segments_score_ap_one() {
    let gts = [GtRecord { id: 1, image_id: 1, category_id: 1, area: 10.0, iscrowd: false, ignore: false }];
    let dts = [DtRecord { image_id: 1, category_id: 1, area: 10.0, score: 0.9 }];
    let input = EvalInput { image_ids: &[1], category_ids: &[1], gts: &gts, dts: &dts };
    let pairs = PairView::new(Segments(vec![[5.0, 15.0]]), Segments(vec![[5.0, 15.0]]), Iou);
    let stats = evaluate(&input, &pairs, &Params::default()).unwrap().stats().unwrap();
    assert!((stats[0] - 1.0).abs() < 1e-15, "{stats:?}");
}
