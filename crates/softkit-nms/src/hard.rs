//! Hard NMS: one sort, then each kept item removes its undecided neighbours.

use std::cmp::Ordering;

use crate::grid::Grid;

/// Greedy hard NMS with torchvision's semantics: visit items by non-increasing score (ties to the
/// lower index) and keep one unless a kept item overlaps it by more than `iou_threshold`.
pub(crate) fn select(
    scores: &[f64],
    grid: &mut Grid,
    overlap: impl Fn(u32, u32) -> f64,
    iou_threshold: f64,
    limit: usize,
) -> Vec<(u32, f64)> {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        scores[b as usize].partial_cmp(&scores[a as usize]).unwrap_or(Ordering::Equal).then(a.cmp(&b))
    });
    // An item is decided once it is visited or removed; a kept item only looks at undecided ones,
    // which all come later in the order.
    let mut decided = vec![false; scores.len()];
    let mut kept = Vec::new();
    for &i in &order {
        if kept.len() >= limit {
            break;
        }
        if decided[i as usize] {
            continue;
        }
        decided[i as usize] = true;
        kept.push((i, scores[i as usize]));
        grid.for_each_neighbour(i, |j| {
            if !decided[j as usize] && overlap(i, j) > iou_threshold {
                decided[j as usize] = true;
            }
        });
    }
    kept
}
