//! Inputs that `cargo fuzz` (the `fuzz/` crate) found to crash the engine, each kept as a test
//! once fixed. The reproducers themselves are in `fuzz/regressions/`.

use softkit_geom::{BoxMeasure, BoxSet, Polygons, SetView, ShapeMeasure};
use softkit_nms::{SuppressParams, nms, suppress, suppress_batched};

/// `fuzz/regressions/engine/grid-points-on-a-line`: more than 32 items of size 0 spread along one
/// axis made the grid's cell size 0, and counting its cells overflowed (`usize::MAX + 1`; in release
/// builds a wrapped count and an index out of bounds).
#[test]
fn points_on_a_line_share_a_grid() {
    let boxes: Vec<[f64; 4]> = (0..40).map(|i| [i as f64, 3.0, i as f64, 3.0]).collect();
    let scores: Vec<f64> = (0..40).map(|i| 1.0 - i as f64 / 100.0).collect();
    // Boxes of area 0 overlap nothing: all are kept, by score.
    assert_eq!(nms(&boxes, &scores, 0.5).unwrap(), (0..40).collect::<Vec<_>>());
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
    let kept = suppress(&set, &scores, &SuppressParams::gaussian(0.5)).unwrap();
    assert_eq!(kept.scores, scores);

    // The case the fuzzer found: 37 degenerate polygons, one at x = 28, the rest at the origin.
    let mut rings = vec![vec![[28.0_f64, 0.0]; 8]];
    rings.extend((0..36).map(|_| vec![[0.0_f64, 0.0]; 3]));
    let polygons = Polygons::from_rings(&rings).unwrap();
    let set = SetView::of(polygons, ShapeMeasure::Iou);
    let labels: Vec<i64> = (0..37).map(|i| i % 2).collect();
    let kept = suppress_batched(&set, &[0.0; 37], &labels, &SuppressParams::gaussian(0.5).with_score_threshold(0.0));
    assert_eq!(kept.unwrap().indices.len(), 37);
}
