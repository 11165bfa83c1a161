//! Merging per-scope results into one deterministic list.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The head of one scope's list during a k-way merge.
struct Head {
    score: f64,
    index: u32,
    scope: usize,
    at: usize,
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.index.cmp(&self.index))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

/// Merges lists that are each in non-increasing score order into one such list, keeping each
/// list's own order and breaking ties between lists by the lower index. Stops at `limit` items.
pub(crate) fn by_score(mut lists: Vec<Vec<(u32, f64)>>, limit: Option<usize>) -> Vec<(u32, f64)> {
    let limit = limit.unwrap_or(usize::MAX);
    if lists.len() == 1 {
        let mut only = lists.pop().unwrap_or_default();
        only.truncate(limit);
        return only;
    }
    let total = lists.iter().map(Vec::len).sum::<usize>().min(limit);
    let mut heads: BinaryHeap<Head> = lists
        .iter()
        .enumerate()
        .filter_map(|(scope, list)| list.first().map(|&(index, score)| Head { score, index, scope, at: 0 }))
        .collect();
    let mut merged = Vec::with_capacity(total);
    while merged.len() < total {
        let Some(head) = heads.pop() else { break };
        merged.push((head.index, head.score));
        if let Some(&(index, score)) = lists[head.scope].get(head.at + 1) {
            heads.push(Head { score, index, scope: head.scope, at: head.at + 1 });
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_list_order_and_breaks_ties_by_index() {
        let a = vec![(5, 0.9), (1, 0.5)];
        let b = vec![(3, 0.9), (2, 0.5), (0, 0.1)];
        assert_eq!(by_score(vec![a.clone(), b.clone()], None), vec![(3, 0.9), (5, 0.9), (1, 0.5), (2, 0.5), (0, 0.1)]);
        assert_eq!(by_score(vec![a, b], Some(2)), vec![(3, 0.9), (5, 0.9)]);
    }
}
