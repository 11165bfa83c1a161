//! Box voting: after suppression, each kept item's coordinates become a weighted mean of the
//! items around it, the "soft voting" of Detectron and the weighted variant of Cluster-NMS.

use rayon::prelude::*;
use softkit_geom::{Fusable, GeomError};

use crate::NmsError;
use crate::fusion::{weighted_mean, with_unaveraged_of};
use crate::hard::descending_key;

/// Which items vote for a kept item's coordinates, and with what weight.
///
/// | voting | voters | weight |
/// |---|---|---|
/// | `Score` (Detectron's `box_voting`, `scoring_method='ID'`) | every item of the kept item's label with IoU `>= iou_threshold`, the kept item included | its score |
/// | `Cluster` (Weighted Cluster-NMS, Zheng et al. 2021) | the kept item, and each item of its label ranked below it with IoU `> iou_threshold` | the kept item's score; `IoU x score` for the others |
///
/// Ranks are by input score, ties to the lower index. The kept item's score is unchanged.
///
/// # Examples
///
/// ```
/// use softkit_nms::Voting;
///
/// assert_eq!("cluster".parse::<Voting>(), Ok(Voting::Cluster));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Voting {
    /// Score-weighted mean of the items overlapping the kept one by at least the threshold.
    Score,
    /// The kept item and the lower-ranked items above the threshold, weighted by IoU × score.
    Cluster,
}

impl std::str::FromStr for Voting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "score" => Ok(Voting::Score),
            "cluster" => Ok(Voting::Cluster),
            other => Err(format!(r#"voting = {other:?} is invalid: expected "score" or "cluster""#)),
        }
    }
}

/// The voted coordinates of each `kept` item (indices into `items`, as a suppression returns
/// them), in the order of `kept`.
///
/// Items vote only within their label when `labels` is given. A kept item whose voters' weights
/// sum to 0 (all scores 0) gets their plain mean. Coordinates that fusion does not average (a
/// 3-D box's heading) stay the kept item's.
///
/// # Runtime and Performance
///
/// Each kept item measures every item of its label: `O(kept x items of a label)` IoUs, the kept
/// items in parallel. The result is the same for any thread count.
///
/// # Errors
///
/// [`NmsError`] for a length mismatch, a non-finite or inverted item, a negative or non-finite
/// score, a kept index out of range, or a threshold outside `[0, 1]`.
///
/// # Examples
///
/// ```
/// use softkit_nms::{vote, Voting};
///
/// let boxes = [[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 11.0, 10.0], [50.0, 50.0, 60.0, 60.0]];
/// let voted = vote(&boxes, &[0.9, 0.3, 0.8], None, &[0, 2], 0.5, Voting::Score)?;
/// assert!((voted[0][0] - 0.3 * 1.0 / 1.2).abs() < 1e-12); // pulled towards the second box
/// assert_eq!(voted[1], boxes[2]); // alone: unchanged
/// # Ok::<(), softkit_nms::NmsError>(())
/// ```
pub fn vote<G: Fusable>(
    items: &[G],
    scores: &[f64],
    labels: Option<&[i64]>,
    kept: &[usize],
    iou_threshold: f64,
    voting: Voting,
) -> Result<Vec<G>, NmsError> {
    check(items, scores, labels, kept, iou_threshold)?;
    let label = |i: usize| labels.map_or(0, |l| l[i]);
    // Items grouped by label, so that a kept item measures only its own label's.
    let mut by_label: Vec<(i64, u32)> = (0..items.len()).map(|i| (label(i), i as u32)).collect();
    by_label.sort_unstable();
    let key = |i: usize| (descending_key(scores[i]), i);
    let voted = |&k: &usize| {
        softkit_geom::interrupt::poll();
        let own = label(k);
        let start = by_label.partition_point(|&(l, _)| l < own);
        let end = by_label.partition_point(|&(l, _)| l <= own);
        let voters: Vec<(f64, &G)> = by_label[start..end]
            .iter()
            .filter_map(|&(_, j)| {
                let j = j as usize;
                if j == k {
                    return Some((scores[k], &items[k]));
                }
                let iou = items[k].iou(&items[j]);
                match voting {
                    Voting::Score => (iou >= iou_threshold).then_some((scores[j], &items[j])),
                    Voting::Cluster => (iou > iou_threshold && key(j) > key(k)).then_some((iou * scores[j], &items[j])),
                }
            })
            .collect();
        with_unaveraged_of(weighted_mean(voters.into_iter()), &items[k])
    };
    Ok(if kept.len() * items.len() >= PARALLEL_MIN_PAIRS {
        kept.par_iter().map(voted).collect()
    } else {
        kept.iter().map(voted).collect()
    })
}

/// Below this many IoUs a call runs on the calling thread.
const PARALLEL_MIN_PAIRS: usize = 1 << 16;

fn check<G: Fusable>(
    items: &[G],
    scores: &[f64],
    labels: Option<&[i64]>,
    kept: &[usize],
    iou_threshold: f64,
) -> Result<(), NmsError> {
    let mismatch = |field, found| NmsError::LengthMismatch { field, found, reference: "boxes", expected: items.len() };
    if scores.len() != items.len() {
        return Err(mismatch("scores", scores.len()));
    }
    if let Some(labels) = labels
        && labels.len() != items.len()
    {
        return Err(mismatch("labels", labels.len()));
    }
    if !(0.0..=1.0).contains(&iou_threshold) {
        let (name, value) = ("iou_threshold", iou_threshold);
        return Err(NmsError::InvalidParameter { name, value, expected: "a number in [0, 1]" });
    }
    for (index, item) in items.iter().enumerate() {
        let c = item.coords();
        if let Some(k) = c.iter().position(|v| !v.is_finite()) {
            return Err(GeomError::NonFinite { index, field: G::NAMES[k], value: c[k] }.into());
        }
        if let Some(&(lo, hi)) = G::ORDERED.iter().find(|&&(lo, hi)| c[hi] < c[lo]) {
            let (field, value, lower_field, lower) = (G::NAMES[hi], c[hi], G::NAMES[lo], c[lo]);
            return Err(GeomError::Inverted { index, field, value, lower_field, lower }.into());
        }
        if let Some(&k) = G::SIZES.iter().find(|&&k| c[k] < 0.0) {
            return Err(GeomError::NegativeSize { index, field: G::NAMES[k], value: c[k] }.into());
        }
    }
    if let Some(index) = scores.iter().position(|s| !s.is_finite()) {
        return Err(NmsError::NonFiniteScore { index, value: scores[index] });
    }
    if let Some(index) = scores.iter().position(|&s| s < 0.0) {
        return Err(NmsError::NegativeScore { index, value: scores[index] });
    }
    if let Some(position) = kept.iter().position(|&k| k >= items.len()) {
        return Err(NmsError::UnknownIndex { field: "keep", position, value: kept[position], len: items.len() });
    }
    Ok(())
}
