//! The plain greedy algorithm, written the slow and obvious way, as the engine's oracle: every
//! pair is measured, nothing is indexed or cached.
//!
//! The engine promises to return exactly what this returns, for every geometry and scope: the
//! same indices in the same order, and the same decayed scores bit for bit (scores are multiplied
//! in selection order, `score * weight + 0.0`).

use softkit_geom::Overlap;
use softkit_nms::{Policy, SuppressParams};

/// The scope of a suppression, as the three engine entry points define it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `suppress`: one set.
    Set,
    /// `suppress_batched`: one set per label, merged by score.
    Batched,
    /// `suppress_per_image`: one set per image and label; images ascending, each image's labels
    /// merged by score.
    PerImage,
}

/// What the engine should return for `scores` (already finite) under `params` and `scope`.
pub(crate) fn greedy<const D: usize, S: Overlap<D> + ?Sized>(
    set: &S,
    scores: &[f64],
    images: &[i64],
    labels: &[i64],
    params: &SuppressParams,
    scope: Scope,
) -> Vec<(usize, f64)> {
    let scores: Vec<f64> = scores.iter().map(|s| s + 0.0).collect();
    let key = |i: usize| match scope {
        Scope::Set => (0, 0),
        Scope::Batched => (0, labels[i]),
        Scope::PerImage => (images[i], labels[i]),
    };
    let mut members: Vec<usize> = (0..set.len()).filter(|&i| scores[i] >= params.score_threshold).collect();
    members.sort_by_key(|&i| (key(i), i));
    let mut out = Vec::new();
    let mut rest = &members[..];
    while let Some(&first) = rest.first() {
        let image = key(first).0;
        let in_image = rest.iter().take_while(|&&i| key(i).0 == image).count();
        let (of_image, later) = rest.split_at(in_image);
        let lists: Vec<Vec<(usize, f64)>> =
            of_image.chunk_by(|&a, &b| key(a) == key(b)).map(|scope| one_scope(set, scope, &scores, params)).collect();
        out.extend(merge(lists, params.max_output));
        rest = later;
    }
    out
}

/// The paper's loop over one scope (`members` ascending): select the highest current score, ties
/// to the lower index; decay or remove every other remaining member.
fn one_scope<const D: usize, S: Overlap<D> + ?Sized>(
    set: &S,
    members: &[usize],
    scores: &[f64],
    params: &SuppressParams,
) -> Vec<(usize, f64)> {
    let mut current: Vec<Option<f64>> = members.iter().map(|&i| Some(scores[i])).collect();
    let limit = params.max_output.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    while out.len() < limit {
        let mut best: Option<(usize, f64)> = None;
        for (k, c) in current.iter().enumerate() {
            if let Some(c) = *c
                && best.is_none_or(|(_, b)| c > b)
            {
                best = Some((k, c));
            }
        }
        let Some((k, score)) = best else { break };
        current[k] = None;
        let i = members[k];
        out.push((i, score));
        for (c, &j) in current.iter_mut().zip(members) {
            let Some(now) = *c else { continue };
            let o = set.overlap(i, j);
            match params.policy {
                Policy::Hard { iou_threshold } => {
                    if o > iou_threshold {
                        *c = None;
                    }
                }
                policy => {
                    let w = policy.weight(o);
                    if w < 1.0 {
                        let decayed = now * w + 0.0;
                        *c = (decayed >= params.score_threshold).then_some(decayed);
                    }
                }
            }
        }
    }
    out
}

/// The engine's merge of per-scope lists: repeatedly take the head with the highest score
/// (`total_cmp`), ties to the lower index; at most `limit` items.
fn merge(mut lists: Vec<Vec<(usize, f64)>>, limit: Option<usize>) -> Vec<(usize, f64)> {
    let limit = limit.unwrap_or(usize::MAX);
    if lists.len() == 1 {
        let mut only = lists.pop().unwrap_or_default();
        only.truncate(limit);
        return only;
    }
    let mut at = vec![0; lists.len()];
    let mut out = Vec::new();
    while out.len() < limit {
        let mut best: Option<(usize, (usize, f64))> = None;
        for (l, list) in lists.iter().enumerate() {
            let Some(&head) = list.get(at[l]) else { continue };
            let better = best.is_none_or(|(_, b)| head.1.total_cmp(&b.1).then(b.0.cmp(&head.0)).is_gt());
            if better {
                best = Some((l, head));
            }
        }
        let Some((l, head)) = best else { break };
        at[l] += 1;
        out.push(head);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use softkit_geom::{BoxMeasure, BoxSet};

    #[test]
    fn soft_nms_decays_and_keeps_order() {
        let boxes = [[0.0_f64, 0.0, 10.0, 10.0], [0.0, 5.0, 10.0, 15.0], [50.0, 50.0, 60.0, 60.0]];
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        let kept = greedy(&set, &[0.9, 0.8, 0.7], &[0; 3], &[0; 3], &SuppressParams::linear(0.3), Scope::Set);
        assert_eq!(kept.iter().map(|k| k.0).collect::<Vec<_>>(), vec![0, 2, 1]);
        assert_eq!(kept[2].1, 0.8 * (1.0 - 1.0 / 3.0) + 0.0);
    }

    #[test]
    fn merges_labels_by_score_and_images_in_order() {
        let boxes = [[0.0_f64, 0.0, 10.0, 10.0]; 4];
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        let (images, labels) = ([7, 3, 7, 3], [0, 0, 0, 1]);
        let params = SuppressParams::hard(0.5);
        let kept = greedy(&set, &[0.9, 0.8, 0.7, 0.95], &images, &labels, &params, Scope::PerImage);
        assert_eq!(kept.iter().map(|k| k.0).collect::<Vec<_>>(), vec![3, 1, 0]);
    }
}
