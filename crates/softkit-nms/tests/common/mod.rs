//! Plain O(n^2) reference implementations, written from the paper (Bodla et al. 2017,
//! `cpu_soft_nms`) and torchvision's `nms`, independent of the engine, plus a deterministic PRNG
//! and scene generators. Every test file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use softkit_nms::{Kept, Policy, SuppressParams};

pub use softkit_sim::Rng;

/// IoU of two `[x1, y1, x2, y2]` boxes; `pixel_offset` is 0 for continuous coordinates and 1 for
/// the legacy "+1" convention of `cpu_soft_nms`.
pub fn iou_px(a: &[f64; 4], b: &[f64; 4], pixel_offset: f64) -> f64 {
    let area_a = (a[2] - a[0] + pixel_offset) * (a[3] - a[1] + pixel_offset);
    let area_b = (b[2] - b[0] + pixel_offset) * (b[3] - b[1] + pixel_offset);
    let w = (a[2].min(b[2]) - a[0].max(b[0]) + pixel_offset).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1]) + pixel_offset).max(0.0);
    let inter = w * h;
    let union = area_a + area_b - inter;
    // Written as `> 0` so that a NaN union also gives 0.
    if inter > 0.0 && union > 0.0 { inter / union } else { 0.0 }
}

/// IoU in continuous coordinates.
pub fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    iou_px(a, b, 0.0)
}

/// Widens `f32` boxes to `f64`, exactly.
pub fn widen(boxes: &[[f32; 4]]) -> Vec<[f64; 4]> {
    boxes.iter().map(|b| b.map(f64::from)).collect()
}

/// The reference's own copy of the policy, so a mistake in the engine's `Policy::weight` cannot
/// leak into the reference.
#[derive(Clone, Copy, Debug)]
pub enum RefPolicy {
    /// Remove if overlap > nt.
    Hard(f64),
    /// Multiply by `1 - o` if o > nt.
    Linear(f64),
    /// Multiply by `exp(-o^2 / sigma)`.
    Gaussian(f64),
}

/// Parameters of a reference run.
#[derive(Clone, Copy, Debug)]
pub struct RefParams {
    /// The policy.
    pub policy: RefPolicy,
    /// Items whose current score is below this are dropped.
    pub score_threshold: f64,
    /// Stop after this many selections.
    pub max_output: usize,
}

impl From<&SuppressParams> for RefParams {
    fn from(p: &SuppressParams) -> Self {
        let policy = match p.policy {
            Policy::Hard { iou_threshold } => RefPolicy::Hard(iou_threshold),
            Policy::Linear { iou_threshold } => RefPolicy::Linear(iou_threshold),
            Policy::Gaussian { sigma } => RefPolicy::Gaussian(sigma),
            other => unreachable!("the greedy reference runs greedy policies, not {other:?}"),
        };
        Self { policy, score_threshold: p.score_threshold, max_output: p.max_output.unwrap_or(usize::MAX) }
    }
}

/// The result of a reference run.
#[derive(Clone, Debug, Default)]
pub struct RefKept {
    /// Selected indices in selection order.
    pub indices: Vec<usize>,
    /// Score of each at selection.
    pub scores: Vec<f64>,
    /// Whether some argmax step had to break an exact tie (then input order matters).
    pub tied: bool,
}

/// Eager paper loop (`cpu_soft_nms`) over items `0..n` with the overlap `overlap(i, j)`.
///
/// Each step takes the highest current score among the remaining items (ties to the lower index),
/// emits it, then weights every remaining item and drops those below `score_threshold`.
pub fn soft_nms_ref(n: usize, overlap: impl Fn(usize, usize) -> f64, scores: &[f64], p: &RefParams) -> RefKept {
    assert_eq!(scores.len(), n);
    let mut current = scores.to_vec();
    // Kept in ascending index order, so "first max found" is "lowest index".
    let mut remaining: Vec<usize> = (0..n).filter(|&i| scores[i] >= p.score_threshold).collect();
    let mut out = RefKept::default();
    while !remaining.is_empty() && out.indices.len() < p.max_output {
        let mut best = 0;
        for k in 1..remaining.len() {
            if current[remaining[k]] > current[remaining[best]] {
                best = k;
            }
        }
        let top = current[remaining[best]];
        if remaining.iter().filter(|&&j| current[j] == top).count() > 1 {
            out.tied = true;
        }
        let i = remaining.remove(best);
        out.indices.push(i);
        out.scores.push(top);
        remaining.retain(|&j| {
            let o = overlap(i, j);
            let w = match p.policy {
                RefPolicy::Hard(nt) => {
                    if o > nt {
                        return false;
                    }
                    1.0
                }
                RefPolicy::Linear(nt) => {
                    if o > nt {
                        1.0 - o
                    } else {
                        1.0
                    }
                }
                RefPolicy::Gaussian(sigma) => {
                    if o <= 0.0 {
                        1.0
                    } else {
                        (-(o * o) / sigma).exp()
                    }
                }
            };
            current[j] *= w;
            current[j] >= p.score_threshold
        });
    }
    out
}

/// Reference Soft-NMS on boxes with IoU.
pub fn soft_nms_boxes(boxes: &[[f64; 4]], scores: &[f64], params: &SuppressParams) -> RefKept {
    soft_nms_ref(boxes.len(), |i, j| iou(&boxes[i], &boxes[j]), scores, &params.into())
}

/// Reference hard NMS with torchvision semantics: stable sort by score descending (ties keep the
/// lower index first), keep a box unless its overlap with an already kept box exceeds `thr`.
pub fn hard_nms_ref(n: usize, overlap: impl Fn(usize, usize) -> f64, scores: &[f64], thr: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].partial_cmp(&scores[a]).expect("finite scores"));
    let mut kept: Vec<usize> = Vec::new();
    for i in order {
        if kept.iter().all(|&k| overlap(k, i) <= thr) {
            kept.push(i);
        }
    }
    kept
}

/// Reference hard NMS on boxes with IoU.
pub fn hard_nms_boxes(boxes: &[[f64; 4]], scores: &[f64], thr: f64) -> Vec<usize> {
    hard_nms_ref(boxes.len(), |i, j| iou(&boxes[i], &boxes[j]), scores, thr)
}

/// Merges per-label lists: repeatedly take the list head with the highest score, ties to the
/// lower index, so each list keeps its own order. Stops after `limit` items.
pub fn merge_lists(lists: &[Vec<(usize, f64)>], limit: usize) -> Vec<(usize, f64)> {
    let mut at = vec![0usize; lists.len()];
    let mut live: Vec<usize> = (0..lists.len()).filter(|&l| !lists[l].is_empty()).collect();
    let mut out = Vec::new();
    while !live.is_empty() && out.len() < limit {
        let mut best = 0;
        for k in 1..live.len() {
            let (bi, bs) = lists[live[best]][at[live[best]]];
            let (ci, cs) = lists[live[k]][at[live[k]]];
            if cs > bs || (cs == bs && ci < bi) {
                best = k;
            }
        }
        let l = live[best];
        out.push(lists[l][at[l]]);
        at[l] += 1;
        if at[l] == lists[l].len() {
            live.remove(best);
        }
    }
    out
}

/// Groups `0..labels.len()` by label, each group in ascending index order.
pub fn groups_by_label(labels: &[i64]) -> Vec<Vec<usize>> {
    let mut map: std::collections::BTreeMap<i64, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        map.entry(l).or_default().push(i);
    }
    map.into_values().collect()
}

/// Reference batched Soft-NMS (or hard NMS through the soft loop): run each label on its own,
/// then merge. `max_output` applies to the merged list.
pub fn batched_soft_ref(
    boxes: &[[f64; 4]],
    scores: &[f64],
    labels: &[i64],
    params: &SuppressParams,
    pixel_offset: f64,
) -> RefKept {
    let rp = RefParams::from(params);
    let lists: Vec<Vec<(usize, f64)>> = groups_by_label(labels)
        .into_iter()
        .map(|g| {
            let sub_scores: Vec<f64> = g.iter().map(|&i| scores[i]).collect();
            let r = soft_nms_ref(g.len(), |a, b| iou_px(&boxes[g[a]], &boxes[g[b]], pixel_offset), &sub_scores, &rp);
            r.indices.iter().zip(&r.scores).map(|(&k, &s)| (g[k], s)).collect()
        })
        .collect();
    let merged = merge_lists(&lists, rp.max_output);
    RefKept { indices: merged.iter().map(|p| p.0).collect(), scores: merged.iter().map(|p| p.1).collect(), tied: false }
}

/// Reference batched hard NMS (torchvision `batched_nms`): per label, merged by score.
pub fn batched_hard_ref(boxes: &[[f64; 4]], scores: &[f64], labels: &[i64], thr: f64) -> Vec<usize> {
    let lists: Vec<Vec<(usize, f64)>> = groups_by_label(labels)
        .into_iter()
        .map(|g| {
            let sub_scores: Vec<f64> = g.iter().map(|&i| scores[i]).collect();
            hard_nms_ref(g.len(), |a, b| iou(&boxes[g[a]], &boxes[g[b]]), &sub_scores, thr)
                .into_iter()
                .map(|k| (g[k], scores[g[k]]))
                .collect()
        })
        .collect();
    merge_lists(&lists, usize::MAX).into_iter().map(|p| p.0).collect()
}

/// Relative closeness for scores: `|a - b| <= 1e-12 * max(|a|, |b|)`.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// Panics with the first difference unless `kept` equals `reference` (indices exactly, scores to
/// 1e-12 relative).
pub fn assert_kept_eq(kept: &Kept, reference: &RefKept, context: &str) {
    assert_eq!(kept.indices.len(), kept.scores.len(), "{context}: indices and scores differ in length");
    let n = kept.indices.len().min(reference.indices.len());
    for k in 0..n {
        assert_eq!(
            kept.indices[k],
            reference.indices[k],
            "{context}: selection {k} differs (engine {} @ {}, reference {} @ {}); engine len {}, reference len {}",
            kept.indices[k],
            kept.scores[k],
            reference.indices[k],
            reference.scores[k],
            kept.indices.len(),
            reference.indices.len()
        );
        assert!(
            close(kept.scores[k], reference.scores[k]),
            "{context}: score of selection {k} (index {}) differs: engine {:e}, reference {:e}",
            kept.indices[k],
            kept.scores[k],
            reference.scores[k]
        );
    }
    assert_eq!(
        kept.indices.len(),
        reference.indices.len(),
        "{context}: engine kept {} items, reference {}",
        kept.indices.len(),
        reference.indices.len()
    );
}

/// How to draw a random scene.
#[derive(Clone, Copy, Debug)]
pub struct SceneSpec {
    /// Number of boxes.
    pub n: usize,
    /// Side of the square canvas the boxes live in.
    pub canvas: f64,
    /// Box side range.
    pub size: (f64, f64),
    /// 0 for uniform placement; otherwise boxes are jittered copies around this many objects,
    /// like a detector's raw candidates.
    pub clusters: usize,
    /// Quantise scores to this many levels (to force exact ties), or 0 for continuous scores.
    pub score_levels: u32,
    /// Added to every coordinate.
    pub offset: f64,
}

impl SceneSpec {
    /// Uniform boxes of side 8..60 on a 1000 canvas, continuous scores.
    pub fn sparse(n: usize) -> Self {
        Self { n, canvas: 1000.0, size: (8.0, 60.0), clusters: 0, score_levels: 0, offset: 0.0 }
    }

    /// Candidates clustered around `n / 20 + 1` objects.
    pub fn dense(n: usize) -> Self {
        Self { n, canvas: 600.0, size: (10.0, 200.0), clusters: n / 20 + 1, score_levels: 0, offset: 0.0 }
    }
}

/// Draws boxes and scores (scores in `(0, 1]`).
pub fn scene(rng: &mut Rng, spec: &SceneSpec) -> (Vec<[f64; 4]>, Vec<f64>) {
    let objects: Vec<[f64; 4]> = (0..spec.clusters)
        .map(|_| {
            let (w, h) = (rng.uniform(spec.size.0, spec.size.1), rng.uniform(spec.size.0, spec.size.1));
            let (x, y) = (rng.uniform(0.0, spec.canvas), rng.uniform(0.0, spec.canvas));
            [x, y, w, h]
        })
        .collect();
    let mut boxes = Vec::with_capacity(spec.n);
    let mut scores = Vec::with_capacity(spec.n);
    for _ in 0..spec.n {
        let (x, y, w, h) = if objects.is_empty() {
            let (w, h) = (rng.uniform(spec.size.0, spec.size.1), rng.uniform(spec.size.0, spec.size.1));
            (rng.uniform(0.0, spec.canvas), rng.uniform(0.0, spec.canvas), w, h)
        } else {
            let o = objects[rng.below(objects.len())];
            let j = 0.25;
            (
                o[0] + rng.uniform(-j, j) * o[2],
                o[1] + rng.uniform(-j, j) * o[3],
                o[2] * rng.uniform(0.7, 1.3),
                o[3] * rng.uniform(0.7, 1.3),
            )
        };
        boxes.push([x + spec.offset, y + spec.offset, x + w + spec.offset, y + h + spec.offset]);
        let s = 1.0 - rng.unit();
        scores.push(if spec.score_levels > 0 {
            (s * f64::from(spec.score_levels)).ceil() / f64::from(spec.score_levels)
        } else {
            s
        });
    }
    (boxes, scores)
}

/// Draws `n` labels from `count` distinct, deliberately irregular `i64` values.
pub fn labels(rng: &mut Rng, n: usize, count: usize) -> Vec<i64> {
    let values: Vec<i64> = (0..count as i64).map(|k| (k * 7919 - 40 * 7919) ^ (k << 40)).collect();
    (0..n).map(|_| values[rng.below(count)]).collect()
}
