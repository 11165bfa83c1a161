//! The top-k rule shared by the set and peak heads: by score, ties to the lower index.

/// The indices of the `k` largest `scores` (among those `keep` accepts), by non-increasing
/// score with ties going to the lower index: the order a stable descending sort gives, so the
/// result does not depend on the platform's selection algorithm (`torch.topk` leaves ties
/// unspecified).
pub(crate) fn top_k(scores: &[f32], k: usize, keep: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).filter(|&i| keep(i)).collect();
    let by_rank = |&a: &usize, &b: &usize| scores[b].total_cmp(&scores[a]).then(a.cmp(&b));
    if k < order.len() {
        // Partition first: top-k over 300 x 80 logits need not sort all 24,000.
        order.select_nth_unstable_by(k, by_rank);
        order.truncate(k);
    }
    order.sort_unstable_by(by_rank);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_lower_index() {
        let scores = [0.5, 0.9, 0.5, 0.9, 0.1];
        assert_eq!(top_k(&scores, 3, |_| true), vec![1, 3, 0]);
        assert_eq!(top_k(&scores, 10, |i| i != 1), vec![3, 0, 2, 4]);
        assert_eq!(top_k(&scores, 0, |_| true), Vec::<usize>::new());
    }
}
