//! Soft-NMS with a lazy max-heap: a selected item decays only its neighbours, and each decay
//! pushes a fresh heap entry while the old one goes stale.

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
/// paper loop's.
pub(crate) fn select(
    scores: &[f64],
    grid: &mut Grid,
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
        if !alive[i as usize] || current[i as usize].to_bits() != score.to_bits() {
            continue; // stale: the item was selected, dropped or decayed since this push
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
            let decayed = current[j_us] * weight;
            current[j_us] = decayed;
            if decayed < score_threshold {
                alive[j_us] = false;
            } else {
                heap.push(Entry { score: decayed, index: j });
            }
        });
    }
    selected
}
