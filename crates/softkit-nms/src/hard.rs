//! Hard NMS: one sort, then each kept item removes its undecided neighbours.

use crate::grid::Neighbours;

/// A key whose ascending order is descending `score` (`-0.0` equal to `0.0`), so that sorting
/// `(key, index)` pairs visits items by score with ties to the lower index, without the
/// indirect, branchy comparator of sorting indices by looked-up scores.
#[inline]
pub(crate) fn descending_key(score: f64) -> u64 {
    let bits = (score + 0.0).to_bits();
    let ascending = if bits >> 63 == 1 { !bits } else { bits | 1 << 63 };
    !ascending
}

/// The score whose [`descending_key`] is `key` (`0.0` for either zero).
#[inline]
pub(crate) fn score_of_key(key: u64) -> f64 {
    let ascending = !key;
    f64::from_bits(if ascending >> 63 == 1 { ascending & !(1 << 63) } else { !ascending })
}

/// Item indices by non-increasing score, ties to the lower index.
pub(crate) fn visiting_order(scores: &[f64]) -> Vec<u32> {
    // Scores that came in as f32 (the common case) fit a 32-bit key beside the 32-bit index, and
    // a sort of plain u64 runs at the speed of sorting the scores themselves.
    if scores.iter().all(|&s| f64::from(s as f32) == s) {
        let mut packed: Vec<u64> =
            scores.iter().enumerate().map(|(i, &s)| (descending_key_f32(s as f32) as u64) << 32 | i as u64).collect();
        packed.sort_unstable();
        packed.into_iter().map(|k| k as u32).collect()
    } else {
        let mut keyed: Vec<(u64, u32)> =
            scores.iter().enumerate().map(|(i, &s)| (descending_key(s), i as u32)).collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, i)| i).collect()
    }
}

/// As [`descending_key`], for an `f32` score.
#[inline]
fn descending_key_f32(score: f32) -> u32 {
    let bits = (score + 0.0).to_bits();
    let ascending = if bits >> 31 == 1 { !bits } else { bits | 1 << 31 };
    !ascending
}

/// Greedy hard NMS with torchvision's semantics: visit items by non-increasing score (ties to the
/// lower index) and keep one unless a kept item overlaps it by more than the threshold
/// (`exceeds`).
pub(crate) fn select(
    scores: &[f64],
    grid: &impl Neighbours,
    exceeds: impl Fn(u32, u32) -> bool,
    limit: usize,
) -> Vec<(u32, f64)> {
    let order = visiting_order(scores);
    // An item is decided once it is visited or removed; a kept item only looks at undecided ones,
    // which all come later in the order.
    let mut decided = vec![false; scores.len()];
    let mut kept = Vec::new();
    for &i in &order {
        if kept.len() >= limit {
            break;
        }
        softkit_geom::interrupt::poll();
        if decided[i as usize] {
            continue;
        }
        decided[i as usize] = true;
        kept.push((i, scores[i as usize]));
        grid.for_each_neighbour(i, |j| {
            if !decided[j as usize] && exceeds(i, j) {
                decided[j as usize] = true;
            }
        });
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::{descending_key, descending_key_f32, score_of_key};

    #[test]
    fn key_order_is_descending_score() {
        let scores = [f64::MAX, 2.5, 1.0, 1e-300, 0.0, -0.0, -1e-300, -1.0, -2.5, f64::MIN];
        for pair in scores.windows(2) {
            assert!(descending_key(pair[0]) <= descending_key(pair[1]), "{pair:?}");
        }
        assert_eq!(descending_key(0.0), descending_key(-0.0));
        for &s in &scores {
            assert_eq!(score_of_key(descending_key(s)).to_bits(), (s + 0.0).to_bits(), "{s}");
        }
        let narrow = [f32::MAX, 2.5, 1.0, 1e-30, 0.0, -1e-30, -1.0, f32::MIN];
        for pair in narrow.windows(2) {
            assert!(descending_key_f32(pair[0]) < descending_key_f32(pair[1]), "{pair:?}");
        }
        assert_eq!(descending_key_f32(0.0), descending_key_f32(-0.0));
    }
}
