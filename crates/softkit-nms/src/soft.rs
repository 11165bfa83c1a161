//! Soft-NMS with a lazy max-heap: a selected item decays only its neighbours, in place, and a
//! decayed item's heap entry becomes a stale upper bound that is refreshed only if it reaches the top.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::SuppressParams;
use crate::grid::Neighbours;

/// A heap entry: an item, its rank and the score it had when pushed. The heap pops the highest
/// score, ties to the lower rank, so the first valid pop is exactly the paper's argmax.
#[derive(Clone, Copy, Debug)]
struct Entry {
    score: f64,
    rank: u32,
    index: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.rank.cmp(&self.rank))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// The buffers of one [`select`] call, kept between calls so that many small sets (the runs of a
/// sweep) allocate once.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    current: Vec<f64>,
    alive: Vec<bool>,
    heap: BinaryHeap<Entry>,
}

/// Greedy Soft-NMS (Bodla et al. 2017): repeatedly select the highest current score (ties to the
/// lower `rank`), multiply every remaining item's score by `params.policy.weight(overlap)`, and
/// drop items that fall below `params.score_threshold`. `overlap` gives `None` for a pair whose
/// overlap is at most the policy's inert threshold, where the weight is exactly 1. Appends the selected items, as indices
/// into `scores`, with their scores at selection.
///
/// Scores are multiplied in selection order, so the floating-point result equals the eager
/// paper loop's. Each item has one heap entry at a time, holding a score at least its current
/// one; a popped entry that is out of date is pushed back with the current score. So the first
/// up-to-date pop is the true maximum, and decays cost no heap operation.
pub(crate) fn select(
    scratch: &mut Scratch,
    scores: &[f64],
    rank: impl Fn(u32) -> u32,
    neighbours: &impl Neighbours,
    overlap: impl Fn(u32, u32) -> Option<f64>,
    params: &SuppressParams,
    selected: &mut Vec<(u32, f64)>,
) {
    let Scratch { current, alive, heap } = scratch;
    current.clear();
    current.extend_from_slice(scores);
    alive.clear();
    alive.resize(scores.len(), true);
    heap.clear();
    heap.extend(current.iter().enumerate().map(|(i, &score)| Entry { score, rank: rank(i as u32), index: i as u32 }));
    let limit = params.max_output.unwrap_or(usize::MAX);
    let mut count = 0;
    while count < limit {
        let Some(top) = heap.pop() else { break };
        softkit_geom::interrupt::poll();
        let (score, i) = (top.score, top.index);
        if !alive[i as usize] {
            continue; // dropped below the threshold since this push
        }
        let now = current[i as usize];
        if now < score {
            heap.push(Entry { score: now, ..top }); // decayed since this push
            continue;
        }
        if now > score {
            continue; // a negative score rose towards 0; its newer entry is in the heap
        }
        alive[i as usize] = false;
        selected.push((i, score));
        count += 1;
        neighbours.for_each_neighbour(i, |j| {
            let j_us = j as usize;
            if !alive[j_us] {
                return;
            }
            let Some(o) = overlap(i, j) else { return };
            let weight = params.policy.weight(o);
            if weight >= 1.0 {
                return;
            }
            let before = current[j_us];
            current[j_us] = decayed(before, weight);
            if current[j_us] < params.score_threshold {
                alive[j_us] = false;
            } else if current[j_us] > before {
                heap.push(Entry { score: current[j_us], rank: rank(j), index: j });
            }
        });
    }
}

/// `score` scaled by a selection's `weight`. `+ 0.0`: a negative score times a zero weight is
/// -0.0, which must tie with 0.0.
#[inline]
fn decayed(score: f64, weight: f64) -> f64 {
    score * weight + 0.0
}

/// The same selection as [`select`] for a handful of items, by the paper's eager loop: each step
/// scans every current score for the best, so there is no heap and no branch on its order.
/// Cheaper than the heap up to a few dozen items.
pub(crate) fn select_few(
    scratch: &mut Scratch,
    scores: &[f64],
    rank: impl Fn(u32) -> u32,
    neighbours: &impl Neighbours,
    overlap: impl Fn(u32, u32) -> Option<f64>,
    params: &SuppressParams,
    selected: &mut Vec<(u32, f64)>,
) {
    // Selected and dropped items hold -inf, below every finite score.
    let current = &mut scratch.current;
    current.clear();
    current.extend_from_slice(scores);
    let limit = params.max_output.unwrap_or(usize::MAX);
    let mut count = 0;
    while count < limit {
        softkit_geom::interrupt::poll();
        let mut best = 0;
        for (p, &score) in current.iter().enumerate().skip(1) {
            let top = current[best];
            if score > top || (score == top && rank(p as u32) < rank(best as u32)) {
                best = p;
            }
        }
        let score = current[best];
        if score == f64::NEG_INFINITY {
            break;
        }
        current[best] = f64::NEG_INFINITY;
        selected.push((best as u32, score));
        count += 1;
        neighbours.for_each_neighbour(best as u32, |j| {
            let j_us = j as usize;
            if current[j_us] == f64::NEG_INFINITY {
                return;
            }
            let Some(o) = overlap(best as u32, j) else { return };
            let weight = params.policy.weight(o);
            if weight < 1.0 {
                let now = decayed(current[j_us], weight);
                current[j_us] = if now < params.score_threshold { f64::NEG_INFINITY } else { now };
            }
        });
    }
}
