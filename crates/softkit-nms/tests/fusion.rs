//! Fusion against a plain transcription of ensemble-boxes' loops (every cluster scanned, every
//! fused item recomputed from its members), on boxes and segments, with weights, every
//! confidence, both methods and the extreme thresholds. (Parity with ensemble-boxes itself is in
//! the Python suite.)

use softkit_geom::Fusable;
use softkit_nms::{Confidence, FusionError, FusionMethod, FusionParams, ModelDetections, Source, fuse};
use softkit_sim::Rng;

/// One model's columns.
struct Model<G> {
    items: Vec<G>,
    scores: Vec<f64>,
    labels: Vec<i64>,
}

impl<G> Model<G> {
    fn view(&self) -> ModelDetections<'_, G> {
        ModelDetections { items: &self.items, scores: &self.scores, labels: &self.labels }
    }
}

/// Fused items as `(label, score, item, sources)`, by non-increasing score.
type Rows<G> = Vec<(i64, f64, G, Vec<Source>)>;

/// The plain algorithm: ensemble-boxes' loops, written for clarity.
fn reference<G: Fusable>(models: &[Model<G>], params: &FusionParams) -> Rows<G> {
    let weights = params.weights.clone().unwrap_or(vec![1.0; models.len()]);
    let max = weights.iter().copied().fold(0.0, f64::max);
    let nmw = params.method == FusionMethod::Nmw;
    // (score, weight, model, index, label, item)
    let mut entries = Vec::new();
    for (m, model) in models.iter().enumerate() {
        let w = if nmw { weights[m] / max } else { weights[m] };
        for k in 0..model.items.len() {
            if model.scores[k] >= params.skip_threshold && model.items[k].size() != 0.0 {
                entries.push((model.scores[k] * w, w, m, k, model.labels[k], model.items[k]));
            }
        }
    }
    let mut labels: Vec<i64> = entries.iter().map(|e| e.4).collect();
    labels.sort();
    labels.dedup();
    let mut rows = Vec::new();
    for label in labels {
        let mut mine: Vec<_> = entries.iter().filter(|e| e.4 == label).collect();
        mine.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.2, a.3).cmp(&(b.2, b.3))));
        let mut clusters: Vec<Vec<usize>> = Vec::new();
        let mut anchors: Vec<G> = Vec::new();
        for (p, e) in mine.iter().enumerate() {
            let mut best: Option<(f64, usize)> = None;
            for (c, anchor) in anchors.iter().enumerate() {
                let iou = anchor.iou(&e.5);
                if iou > params.iou_threshold && best.is_none_or(|(b, _)| iou > b) {
                    best = Some((iou, c));
                }
            }
            match best {
                None => {
                    clusters.push(vec![p]);
                    anchors.push(e.5);
                }
                Some((_, c)) => {
                    clusters[c].push(p);
                    if !nmw {
                        anchors[c] = average(clusters[c].iter().map(|&q| (mine[q].0, mine[q].5)));
                    }
                }
            }
        }
        for (c, members) in clusters.iter().enumerate() {
            let n = members.len() as f64;
            let scores: Vec<f64> = members.iter().map(|&q| mine[q].0).collect();
            let conf: f64 = scores.iter().sum();
            let (item, score) = match params.method {
                FusionMethod::Nmw => {
                    let best = mine[members[0]].5;
                    (average(members.iter().map(|&q| (mine[q].0 * mine[q].5.iou(&best), mine[q].5))), scores[0])
                }
                FusionMethod::Wbf { confidence, allows_overflow } => {
                    let models_in: Vec<usize> = members.iter().map(|&q| mine[q].2).collect();
                    let in_cluster: f64 = members.iter().map(|&q| mine[q].1).sum();
                    let present: f64 = (0..models.len()).filter(|m| models_in.contains(m)).map(|m| weights[m]).sum();
                    let absent: f64 = (0..models.len()).filter(|m| !models_in.contains(m)).map(|m| weights[m]).sum();
                    let total: f64 = weights.iter().sum();
                    let score = match confidence {
                        Confidence::Avg if allows_overflow => conf / n * n / total,
                        Confidence::Avg => conf / n * n.min(models.len() as f64) / total,
                        Confidence::Max => scores.iter().copied().fold(f64::MIN, f64::max) / max,
                        Confidence::BoxAndModelAvg => conf / n * n / in_cluster * present / total,
                        Confidence::AbsentModelAwareAvg => conf / n * n / (in_cluster + absent),
                    };
                    (anchors[c], score)
                }
            };
            let sources: Vec<Source> = members.iter().map(|&q| Source { model: mine[q].2, index: mine[q].3 }).collect();
            rows.push((label, score, item, sources));
        }
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.3[0].cmp(&b.3[0])));
    rows
}

/// Members averaged by weight, coordinate by coordinate; equally when the weights are all 0 (a
/// cluster of zero scores, where ensemble-boxes divides by 0).
fn average<G: Fusable>(members: impl Iterator<Item = (f64, G)>) -> G {
    let mut members: Vec<(f64, G)> = members.collect();
    if members.iter().all(|m| m.0 == 0.0) {
        members.iter_mut().for_each(|m| m.0 = 1.0);
    }
    let mut out = G::zero();
    let total: f64 = members.iter().map(|m| m.0).sum();
    for (k, v) in out.coords_mut().iter_mut().enumerate() {
        *v = members.iter().map(|(w, g)| w * g.coords()[k]).sum::<f64>() / total;
    }
    out
}

fn boxes(rng: &mut Rng, models: usize, objects: usize, labels: usize) -> Vec<Model<[f64; 4]>> {
    let truth: Vec<([f64; 4], i64)> = (0..objects)
        .map(|_| {
            let (w, h) = (rng.uniform(0.02, 0.3), rng.uniform(0.02, 0.3));
            let (x, y) = (rng.uniform(0.0, 1.0 - w), rng.uniform(0.0, 1.0 - h));
            ([x, y, x + w, y + h], rng.below(labels) as i64)
        })
        .collect();
    (0..models)
        .map(|_| {
            let mut model = Model { items: Vec::new(), scores: Vec::new(), labels: Vec::new() };
            for (b, label) in &truth {
                if rng.below(5) == 0 {
                    continue;
                }
                let (w, h) = (b[2] - b[0], b[3] - b[1]);
                let j = |rng: &mut Rng, s: f64| rng.uniform(-0.1, 0.1) * s;
                let (x1, y1) = (b[0] + j(rng, w), b[1] + j(rng, h));
                model.items.push([x1, y1, (b[2] + j(rng, w)).max(x1 + 1e-3), (b[3] + j(rng, h)).max(y1 + 1e-3)]);
                // A quarter of the scores tie.
                let score = if rng.below(4) == 0 { rng.below(4) as f64 / 4.0 } else { rng.unit() };
                model.scores.push(score);
                model.labels.push(*label);
            }
            model
        })
        .collect()
}

fn check<G: Fusable + PartialEq + std::fmt::Debug>(models: &[Model<G>], params: &FusionParams) {
    let views: Vec<_> = models.iter().map(Model::view).collect();
    let fused = fuse(&views, params).unwrap();
    let expected = reference(models, params);
    assert_eq!(fused.items.len(), expected.len(), "{params:?}");
    for (k, (label, score, item, sources)) in expected.iter().enumerate() {
        assert_eq!(fused.labels[k], *label);
        assert_eq!(fused.sources(k), sources.as_slice(), "cluster {k} under {params:?}");
        assert!((fused.scores[k] - score).abs() <= 1e-12, "{} vs {score}", fused.scores[k]);
        for (a, b) in fused.items[k].coords().iter().zip(item.coords()) {
            assert!((a - b).abs() <= 1e-12, "{:?} vs {item:?}", fused.items[k]);
        }
    }
}

fn methods() -> Vec<FusionMethod> {
    let mut all = vec![FusionMethod::Nmw];
    for confidence in [Confidence::Avg, Confidence::Max, Confidence::BoxAndModelAvg, Confidence::AbsentModelAwareAvg] {
        all.push(FusionMethod::Wbf { confidence, allows_overflow: false });
    }
    all.push(FusionMethod::Wbf { confidence: Confidence::Avg, allows_overflow: true });
    all
}

#[test]
fn boxes_equal_the_plain_algorithm() {
    for seed in 0..12 {
        let mut rng = Rng::new(seed);
        let models = boxes(&mut rng, 1 + seed as usize % 5, 60, 3);
        for method in methods() {
            for t in [0.0, 0.3, 0.55, 0.9, 1.0] {
                let mut params = FusionParams::new(method).with_iou_threshold(t).with_skip_threshold(0.05);
                if seed % 2 == 1 {
                    params = params.with_weights((0..models.len()).map(|m| 0.5 + m as f64).collect());
                }
                check(&models, &params);
            }
        }
    }
}

#[test]
fn many_boxes_equal_the_plain_algorithm_on_the_parallel_path() {
    let mut rng = Rng::new(99);
    let models = boxes(&mut rng, 3, 2000, 4);
    check(&models, &FusionParams::wbf());
    check(&models, &FusionParams::nmw().with_iou_threshold(0.4));
}

#[test]
fn segments_equal_the_plain_algorithm() {
    for seed in 0..8 {
        let mut rng = Rng::new(1000 + seed);
        let models: Vec<Model<[f64; 2]>> = boxes(&mut rng, 3, 80, 2)
            .into_iter()
            .map(|m| Model {
                items: m.items.iter().map(|b| [b[0], b[2]]).collect(),
                scores: m.scores,
                labels: m.labels,
            })
            .collect();
        for method in methods() {
            check(&models, &FusionParams::new(method).with_iou_threshold(0.5));
        }
    }
}

#[test]
fn every_item_is_in_exactly_one_cluster() {
    let mut rng = Rng::new(5);
    let models = boxes(&mut rng, 4, 200, 5);
    let views: Vec<_> = models.iter().map(Model::view).collect();
    let fused = fuse(&views, &FusionParams::wbf()).unwrap();
    let mut seen: Vec<Source> = fused.members.clone();
    seen.sort();
    let all: Vec<Source> = models
        .iter()
        .enumerate()
        .flat_map(|(model, m)| (0..m.items.len()).map(move |index| Source { model, index }))
        .collect();
    assert_eq!(seen, all);
}

/// Models, parameters, and the start of the error they give.
type Case<'a> = (Vec<ModelDetections<'a, [f64; 4]>>, FusionParams, &'static str);

#[test]
fn bad_input_is_named() {
    let ok = [[0.1, 0.1, 0.5, 0.5]];
    let model = |items: &'static [[f64; 4]], scores: &'static [f64]| ModelDetections { items, scores, labels: &[0] };
    let cases: Vec<Case<'_>> = vec![
        (
            vec![model(&[[0.1, f64::NAN, 0.5, 0.5]], &[0.5])],
            FusionParams::wbf(),
            "boxes_list[0][0] y1 = NaN is not finite",
        ),
        (vec![model(&[[0.1, 0.6, 0.5, 0.5]], &[0.5])], FusionParams::wbf(), "boxes_list[0][0] has y2 = 0.5 < y1 = 0.6"),
        (vec![model(&[[0.1, 0.1, 0.5, 0.5]], &[-1.0])], FusionParams::wbf(), "scores_list[0][0] = -1 is invalid"),
        (vec![model(&[[0.1, 0.1, 0.5, 0.5]], &[0.5, 0.4])], FusionParams::wbf(), "scores_list[0] has 2 entries"),
        (
            vec![ModelDetections { items: &ok, scores: &[0.5], labels: &[] }],
            FusionParams::wbf(),
            "labels_list[0] has 0 entries but boxes_list[0] has 1",
        ),
        (
            vec![model(&[[0.1, 0.1, 0.5, 0.5]], &[0.5])],
            FusionParams::wbf().with_weights(vec![1.0, 2.0]),
            "weights has 2",
        ),
        (
            vec![model(&[[0.1, 0.1, 0.5, 0.5]], &[0.5])],
            FusionParams::wbf().with_weights(vec![f64::INFINITY]),
            "weights[0] = inf",
        ),
        (vec![model(&[[0.1, 0.1, 0.5, 0.5]], &[0.5])], FusionParams::nmw().with_iou_threshold(-0.1), "iou_thr = -0.1"),
        (
            vec![model(&[[0.1, 0.1, 0.5, 0.5]], &[0.5])],
            FusionParams::nmw().with_skip_threshold(f64::NAN),
            "skip_box_thr = NaN",
        ),
    ];
    for (models, params, message) in cases {
        let err = fuse(&models, &params).unwrap_err();
        assert!(err.to_string().starts_with(message), "{err} does not start with {message}");
    }
    assert!(matches!(
        fuse::<[f64; 4]>(&[], &FusionParams::wbf().with_weights(vec![1.0])),
        Err(FusionError::WeightCount { found: 1, expected: 0 })
    ));
}
