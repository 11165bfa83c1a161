//! Soft-NMS with a lazy max-heap: a selected item decays only its neighbours, in place, and a
//! decayed item's heap entry becomes a stale upper bound that is refreshed only if it reaches the top.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::Policy;
use crate::grid::Grid;

/// A heap entry: an item and the score it had when pushed. The heap pops the highest score,
/// ties to the lower index, so the first valid pop is exactly the paper's argmax.
#[derive(Clone, Copy, Debug)]
struct Entry {
    score: f64,
    index: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.index.cmp(&self.index))
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

/// Greedy Soft-NMS (Bodla et al. 2017): repeatedly select the highest current score, multiply
/// every remaining item's score by `policy.weight(overlap)`, and drop items that fall below
/// `score_threshold`. Returns local indices with their scores at selection.
///
/// Scores are multiplied in selection order, so the floating-point result equals the eager
/// paper loop's. Each item has one heap entry at a time, holding a score at least its current
/// one; a popped entry that is out of date is pushed back with the current score. So the first
/// up-to-date pop is the true maximum, and decays cost no heap operation.
pub(crate) fn select<const D: usize>(
    scores: &[f64],
    grid: &Grid<D>,
    overlap: impl Fn(u32, u32) -> f64,
    policy: &Policy,
    score_threshold: f64,
    limit: usize,
) -> Vec<(u32, f64)> {
    let mut current = scores.to_vec();
    let mut alive = vec![true; scores.len()];
    let mut heap: BinaryHeap<Entry> =
        current.iter().enumerate().map(|(i, &score)| Entry { score, index: i as u32 }).collect();
    let mut selected = Vec::new();
    while selected.len() < limit {
        let Some(Entry { score, index: i }) = heap.pop() else { break };
        if !alive[i as usize] {
            continue; // dropped below the threshold since this push
        }
        let now = current[i as usize];
        if now < score {
            heap.push(Entry { score: now, index: i }); // decayed since this push
            continue;
        }
        if now > score {
            continue; // a negative score rose towards 0; its newer entry is in the heap
        }
        alive[i as usize] = false;
        selected.push((i, score));
        grid.for_each_neighbour(i, |j| {
            let j_us = j as usize;
            if !alive[j_us] {
                return;
            }
            let weight = policy.weight(overlap(i, j));
            if weight >= 1.0 {
                return;
            }
            let before = current[j_us];
            // `+ 0.0`: a negative score times a zero weight is -0.0, which must tie with 0.0.
            current[j_us] = current[j_us] * weight + 0.0;
            if current[j_us] < score_threshold {
                alive[j_us] = false;
            } else if current[j_us] > before {
                heap.push(Entry { score: current[j_us], index: j });
            }
        });
    }
    selected
}
