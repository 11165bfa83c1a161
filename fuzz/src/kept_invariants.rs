//! What every successful suppression returns, whatever the geometry: valid, unique indices;
//! finite scores that never grew and never fell below the threshold; selection order; and the
//! `max_output` cap.

use softkit_nms::{Kept, Policy, SuppressParams};

use crate::reference::Scope;

/// The columns a suppression reads besides the geometry.
#[derive(Clone, Debug, Default)]
pub(crate) struct Columns {
    pub(crate) scores: Vec<f64>,
    pub(crate) images: Vec<i64>,
    pub(crate) labels: Vec<i64>,
}

/// Checks `kept` against the input columns. `ordered` says whether selection order must also
/// be non-increasing score order, which holds when every weight lies in `[0, 1]` (overlaps in
/// `[-1, 1]`) and no score is negative.
pub(crate) fn check(kept: &Kept, columns: &Columns, params: &SuppressParams, scope: Scope, ordered: bool) {
    let n = columns.scores.len();
    assert_eq!(kept.indices.len(), kept.scores.len(), "indices and scores differ in length");
    let mut seen = vec![false; n];
    for (&i, &s) in kept.indices.iter().zip(&kept.scores) {
        assert!(i < n, "kept index {i} is out of range for {n} items");
        assert!(!seen[i], "index {i} is kept twice");
        seen[i] = true;
        assert!(s.is_finite(), "kept score {s} of item {i} is not finite");
        assert!(s >= params.score_threshold, "kept score {s} of item {i} is below the threshold");
        let input = columns.scores[i] + 0.0;
        if matches!(params.policy, Policy::Hard { .. }) {
            assert_eq!(s.to_bits(), input.to_bits(), "hard NMS changed the score of item {i}");
        }
        if input >= 0.0 {
            assert!(s <= input, "the score of item {i} grew from {input} to {s}");
        }
    }
    let image = |i: usize| if scope == Scope::PerImage { columns.images[i] } else { 0 };
    let pairs: Vec<(usize, f64)> = kept.indices.iter().copied().zip(kept.scores.iter().copied()).collect();
    for w in pairs.windows(2) {
        let ((a, sa), (b, sb)) = (w[0], w[1]);
        assert!(image(a) <= image(b), "images out of order: item {a} before item {b}");
        let nonnegative = columns.scores.iter().all(|&s| s >= 0.0);
        if ordered && nonnegative && image(a) == image(b) {
            assert!(sa > sb || (sa == sb && a < b), "selection order broken: ({a}, {sa}) before ({b}, {sb})");
        }
    }
    if let Some(limit) = params.max_output {
        for group in pairs.chunk_by(|x, y| image(x.0) == image(y.0)) {
            assert!(group.len() <= limit, "{} items kept in one image, max_output {limit}", group.len());
        }
    }
}
