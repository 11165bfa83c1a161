//! The policies that decide each item from its overlaps with the items ranked above it, as their
//! papers' matrix forms do: Matrix NMS, Fast NMS, Cluster-NMS's score penalty, and OpenCV's
//! adaptive threshold.
//!
//! Every one of them reads row `i` of the upper-triangular overlap matrix only through pairs that
//! the spatial index finds, in rank order, so that an item's inputs (its compensation, whether
//! hard NMS keeps it) are final before any item below it reads them. One pass, no matrix.

use crate::grid::Neighbours;
use crate::hard::{descending_key, visiting_order};
use crate::{MatrixKernel, Policy, SuppressParams};

/// Runs a non-greedy `params.policy` over one scope. `overlap(i, j)` is `Some` for the pairs whose
/// overlap exceeds the policy's inert threshold; `exceeds(i, j, t)` says whether it exceeds `t`.
/// Returns `(item, score)` by non-increasing score, ties to the lower index, at most
/// `params.max_output` of them.
pub(crate) fn select(
    scores: &[f64],
    neighbours: &impl Neighbours,
    overlap: impl Fn(u32, u32) -> Option<f64>,
    exceeds: impl Fn(u32, u32, f64) -> bool,
    params: &SuppressParams,
) -> Vec<(u32, f64)> {
    let order = visiting_order(scores);
    let ranked = Ranked::new(&order, neighbours);
    let above = |i: u32, visit: &mut dyn FnMut(u32)| ranked.for_each_above(i, visit);
    let limit = params.max_output.unwrap_or(usize::MAX);
    let rescored = match params.policy {
        Policy::Matrix { kernel } => matrix(scores, &ranked, kernel, &overlap),
        Policy::ClusterPenalty { iou_threshold, sigma } => {
            let mut kept = vec![false; scores.len()];
            let mut rescored = Vec::with_capacity(scores.len());
            for &i in &order {
                softkit_geom::interrupt::poll();
                let (mut suppressed, mut penalty) = (false, 1.0);
                above(i, &mut |j| {
                    if kept[j as usize] {
                        suppressed |= exceeds(j, i, iou_threshold);
                        if let Some(o) = overlap(j, i) {
                            penalty *= (-o * o / sigma).exp();
                        }
                    }
                });
                kept[i as usize] = !suppressed;
                rescored.push((i, scores[i as usize] * penalty));
            }
            rescored
        }
        Policy::Fast { iou_threshold } => {
            let mut kept = Vec::new();
            for &i in &order {
                if kept.len() >= limit {
                    break;
                }
                softkit_geom::interrupt::poll();
                let mut suppressed = false;
                above(i, &mut |j| suppressed = suppressed || exceeds(j, i, iou_threshold));
                if !suppressed {
                    kept.push((i, scores[i as usize]));
                }
            }
            return kept;
        }
        Policy::Adaptive { iou_threshold, eta } => {
            let (mut kept, mut is_kept) = (Vec::new(), vec![false; scores.len()]);
            let mut threshold = iou_threshold;
            for &i in &order {
                if kept.len() >= limit {
                    break;
                }
                softkit_geom::interrupt::poll();
                let mut suppressed = false;
                above(i, &mut |j| suppressed = suppressed || (is_kept[j as usize] && exceeds(j, i, threshold)));
                if suppressed {
                    continue;
                }
                is_kept[i as usize] = true;
                kept.push((i, scores[i as usize]));
                if eta < 1.0 && threshold > 0.5 {
                    threshold *= eta;
                }
            }
            return kept;
        }
        Policy::Hard { .. } | Policy::Linear { .. } | Policy::Gaussian { .. } => {
            unreachable!("greedy policies run in `hard` and `soft`")
        }
    };
    let mut kept: Vec<(u32, f64)> = rescored.into_iter().filter(|&(_, s)| s >= params.score_threshold).collect();
    kept.sort_unstable_by_key(|&(i, s)| (descending_key(s), i));
    kept.truncate(limit);
    kept
}

/// Matrix NMS (SOLOv2): item `j`'s score times `min(1, min_i f(o_ij) / f(c_i))` over the items `i`
/// above it, where `c_i` is `i`'s largest overlap with an item above `i`. A pair that does not
/// overlap contributes `1 / f(c_i) >= 1`, and the top item contributes `f(o_0j) <= 1`, so only
/// overlapping pairs can set the minimum. A linear term with `c_i = 1` divides by zero (SOLOv2
/// gives infinity, or NaN for `o_ij = 1`); it is skipped, which leaves `j` to the item that
/// `i` duplicates, whose term is then `f(1) = 0`.
fn matrix<N: Neighbours>(
    scores: &[f64],
    ranked: &Ranked<'_, N>,
    kernel: MatrixKernel,
    overlap: impl Fn(u32, u32) -> Option<f64>,
) -> Vec<(u32, f64)> {
    let mut compensation = vec![0.0_f64; scores.len()];
    let mut rescored = Vec::with_capacity(scores.len());
    for &j in ranked.order {
        softkit_geom::interrupt::poll();
        let (mut largest, mut decay) = (0.0_f64, 1.0_f64);
        ranked.for_each_above(j, &mut |i| {
            let Some(o) = overlap(i, j) else { return };
            largest = largest.max(o);
            let base = kernel.decay(compensation[i as usize]);
            if base > 0.0 {
                decay = decay.min(kernel.decay(o) / base);
            }
        });
        compensation[j as usize] = largest;
        rescored.push((j, scores[j as usize] * decay));
    }
    rescored
}

/// The items in rank order, and each item's rank, over a spatial index.
struct Ranked<'a, N> {
    order: &'a [u32],
    rank: Vec<u32>,
    neighbours: &'a N,
}

impl<'a, N: Neighbours> Ranked<'a, N> {
    fn new(order: &'a [u32], neighbours: &'a N) -> Self {
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        Self { order, rank, neighbours }
    }

    /// Calls `visit(j)` for each neighbour `j` of `i` ranked above it.
    #[inline]
    fn for_each_above(&self, i: u32, visit: &mut dyn FnMut(u32)) {
        let rank_i = self.rank[i as usize];
        self.neighbours.for_each_neighbour(i, |j| {
            if self.rank[j as usize] < rank_i {
                visit(j)
            }
        });
    }
}
