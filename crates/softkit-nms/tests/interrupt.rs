//! An interrupt request stops suppression at its next poll, with the `Interrupted` payload and no
//! output; once cleared, the same call runs to the end. Its own test binary: the flag is
//! process-wide, and would stop the other tests' calls too.

use std::panic::{AssertUnwindSafe, catch_unwind};

use softkit_geom::interrupt::{self, Interrupted};
use softkit_geom::{IntersectMeasure, Segments, SetView};
use softkit_nms::{SuppressParams, soft_nms, suppress};

/// One suppression call, returning how many items it kept.
type Call<'a> = Box<dyn Fn() -> usize + 'a>;

#[test]
fn a_requested_interrupt_unwinds_every_loop_and_clears() {
    let boxes: Vec<[f64; 4]> = (0..200).map(|i| [f64::from(i), 0.0, f64::from(i) + 5.0, 5.0]).collect();
    let scores: Vec<f64> = (0..200).map(|i| 1.0 - f64::from(i) / 400.0).collect();
    let segments: Vec<[f64; 2]> = boxes.iter().map(|b| [b[0], b[2]]).collect();
    let set = SetView::of(Segments::new(&segments).unwrap(), IntersectMeasure::Iou);
    let calls: Vec<(&str, Call<'_>)> = vec![
        ("box hard", Box::new(|| soft_nms(&boxes, &scores, &SuppressParams::hard(0.5)).unwrap().indices.len())),
        ("box gaussian", Box::new(|| soft_nms(&boxes, &scores, &SuppressParams::gaussian(0.5)).unwrap().indices.len())),
        ("segment hard", Box::new(|| suppress(&set, &scores, &SuppressParams::hard(0.5)).unwrap().indices.len())),
        ("segment linear", Box::new(|| suppress(&set, &scores, &SuppressParams::linear(0.3)).unwrap().indices.len())),
    ];
    for (name, call) in &calls {
        let expected = call();
        interrupt::request();
        let stopped = catch_unwind(AssertUnwindSafe(call));
        interrupt::clear();
        let payload = stopped.expect_err(name);
        assert!(payload.downcast_ref::<Interrupted>().is_some(), "{name}: another panic");
        assert_eq!(call(), expected, "{name}: after clear");
    }
}
