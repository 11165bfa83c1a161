//! Invalid input is rejected with an error whose message names the field and the value; empty
//! input is not an error.

use softkit_geom::{BoxMeasure, BoxSet, GeomError};
use softkit_nms::{
    Kept, NmsError, SuppressParams, batched_nms, nms, soft_nms, suppress, suppress_batched, suppress_per_image,
};

const GOOD: [[f64; 4]; 3] = [[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [50.0, 50.0, 60.0, 60.0]];
const SCORES: [f64; 3] = [0.9, 0.8, 0.7];
const LABELS: [i64; 3] = [0, 1, 0];

/// Errors compared through `Debug`, which also covers the variant and its fields (NaN != NaN).
fn same(a: &NmsError, b: &NmsError) {
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

/// The message of `err`, after checking every entry point gives the same one for `boxes`/`scores`.
fn box_error<T: softkit_geom::Coord>(boxes: &[[T; 4]], scores: &[T]) -> String {
    let labels = vec![0; boxes.len()];
    let err = nms(boxes, scores, 0.5).unwrap_err();
    same(&batched_nms(boxes, scores, &labels, 0.5).unwrap_err(), &err);
    for params in [SuppressParams::hard(0.5), SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
        same(&soft_nms(boxes, scores, &params).unwrap_err(), &err);
    }
    err.to_string()
}

#[test]
fn non_finite_coordinates() {
    let mut boxes = GOOD;
    boxes[0][2] = f64::NAN;
    assert_eq!(box_error(&boxes, &SCORES), "boxes[0].x2 = NaN is not finite");
    let err = nms(&boxes, &SCORES, 0.5).unwrap_err();
    assert!(matches!(err, NmsError::Geometry(GeomError::NonFinite { index: 0, field: "x2", .. })), "{err:?}");

    let mut boxes = GOOD;
    boxes[2][1] = f64::INFINITY;
    assert_eq!(box_error(&boxes, &SCORES), "boxes[2].y1 = inf is not finite");
    let mut boxes = GOOD;
    boxes[1][0] = f64::NEG_INFINITY;
    assert_eq!(box_error(&boxes, &SCORES), "boxes[1].x1 = -inf is not finite");
    let mut boxes = GOOD;
    boxes[1][3] = f64::NAN;
    assert_eq!(box_error(&boxes, &SCORES), "boxes[1].y2 = NaN is not finite");
    // f32 input reports the same way.
    let boxes32 = [[0.0_f32, 0.0, 1.0, 1.0], [0.0, f32::NAN, 1.0, 1.0]];
    assert_eq!(box_error(&boxes32, &[0.5_f32, 0.4]), "boxes[1].y1 = NaN is not finite");
    // The first bad box is the one named.
    let mut boxes = GOOD;
    boxes[1][0] = f64::NAN;
    boxes[2][0] = f64::NAN;
    assert_eq!(box_error(&boxes, &SCORES), "boxes[1].x1 = NaN is not finite");
}

#[test]
fn inverted_corners() {
    let mut boxes = GOOD;
    boxes[1] = [5.0, 0.0, 4.0, 1.0];
    assert_eq!(box_error(&boxes, &SCORES), "boxes[1].x2 = 4 is less than x1 = 5");
    let err = nms(&boxes, &SCORES, 0.5).unwrap_err();
    assert!(matches!(err, NmsError::Geometry(GeomError::Inverted { index: 1, field: "x2", .. })), "{err:?}");
    let mut boxes = GOOD;
    boxes[0] = [0.0, 3.0, 1.0, 2.5];
    assert_eq!(box_error(&boxes, &SCORES), "boxes[0].y2 = 2.5 is less than y1 = 3");
    // Far apart, as from swapped xywh / xyxy columns.
    let mut boxes = GOOD;
    boxes[2] = [100.0, 100.0, 10.0, 20.0];
    assert_eq!(box_error(&boxes, &SCORES), "boxes[2].x2 = 10 is less than x1 = 100");
    // Equal corners (zero area) are valid.
    let mut boxes = GOOD;
    boxes[1] = [3.0, 3.0, 3.0, 3.0];
    assert_eq!(nms(&boxes, &SCORES, 0.5).unwrap(), vec![0, 1, 2]);
}

#[test]
fn non_finite_scores() {
    let cases = [
        ([f64::NAN, 0.8, 0.7], "scores[0] = NaN is not finite"),
        ([0.9, f64::NAN, 0.7], "scores[1] = NaN is not finite"),
        ([0.9, 0.8, f64::INFINITY], "scores[2] = inf is not finite"),
        ([0.9, f64::NEG_INFINITY, 0.7], "scores[1] = -inf is not finite"),
    ];
    for (scores, message) in cases {
        assert_eq!(box_error(&GOOD, &scores), message);
        let err = nms(&GOOD, &scores, 0.5).unwrap_err();
        assert!(matches!(err, NmsError::NonFiniteScore { .. }), "{err:?}");
        let set = BoxSet::new(&GOOD, BoxMeasure::Iou, 0.0).unwrap();
        assert_eq!(suppress(&set, &scores, &SuppressParams::gaussian(0.5)).unwrap_err().to_string(), message);
        assert_eq!(
            suppress_batched(&set, &scores, &LABELS, &SuppressParams::linear(0.3)).unwrap_err().to_string(),
            message
        );
    }
    // A NaN below any threshold is still an error, not silently dropped.
    let scores = [0.9, 0.8, f64::NAN];
    let params = SuppressParams::gaussian(0.5).with_score_threshold(0.85);
    assert_eq!(soft_nms(&GOOD, &scores, &params).unwrap_err().to_string(), "scores[2] = NaN is not finite");
    // f32 scores.
    let err = nms(&[[0.0_f32, 0.0, 1.0, 1.0]], &[f32::INFINITY], 0.5).unwrap_err();
    assert_eq!(err.to_string(), "scores[0] = inf is not finite");
}

#[test]
fn length_mismatches() {
    let err = nms(&GOOD, &SCORES[..2], 0.5).unwrap_err();
    assert_eq!(err.to_string(), "scores has 2 entries but boxes has 3");
    assert_eq!(err, NmsError::LengthMismatch { field: "scores", found: 2, reference: "boxes", expected: 3 });
    assert_eq!(nms(&GOOD[..1], &SCORES, 0.5).unwrap_err().to_string(), "scores has 3 entries but boxes has 1");
    assert_eq!(
        soft_nms(&GOOD, &[0.5; 4], &SuppressParams::gaussian(0.5)).unwrap_err().to_string(),
        "scores has 4 entries but boxes has 3"
    );
    assert_eq!(
        batched_nms(&GOOD, &SCORES, &LABELS[..2], 0.5).unwrap_err().to_string(),
        "labels has 2 entries but boxes has 3"
    );
    assert_eq!(
        batched_nms(&GOOD, &SCORES, &[0; 5], 0.5).unwrap_err().to_string(),
        "labels has 5 entries but boxes has 3"
    );
    let set = BoxSet::new(&GOOD, BoxMeasure::Iou, 0.0).unwrap();
    let params = SuppressParams::gaussian(0.5);
    assert_eq!(suppress(&set, &SCORES[..1], &params).unwrap_err().to_string(), "scores has 1 entries but boxes has 3");
    assert_eq!(
        suppress_batched(&set, &SCORES, &[], &params).unwrap_err().to_string(),
        "labels has 0 entries but boxes has 3"
    );
    assert_eq!(
        suppress_batched(&set, &SCORES[..2], &LABELS, &params).unwrap_err().to_string(),
        "scores has 2 entries but boxes has 3"
    );
    assert_eq!(
        suppress_per_image(&set, &SCORES, &[7, 7], &LABELS, &params).unwrap_err().to_string(),
        "image_ids has 2 entries but boxes has 3"
    );
    assert_eq!(
        suppress_per_image(&set, &SCORES, &[7, 7, 8], &LABELS[..1], &params).unwrap_err().to_string(),
        "labels has 1 entries but boxes has 3"
    );
    // Scores and labels must match the boxes even when there are no boxes.
    let none: [[f64; 4]; 0] = [];
    assert_eq!(nms(&none, &[0.5], 0.5).unwrap_err().to_string(), "scores has 1 entries but boxes has 0");
    assert_eq!(
        batched_nms(&none, &[] as &[f64], &[1], 0.5).unwrap_err().to_string(),
        "labels has 1 entries but boxes has 0"
    );
}

/// The message of the error every entry point gives for `params`.
fn param_error(params: &SuppressParams) -> String {
    let err = soft_nms(&GOOD, &SCORES, params).unwrap_err();
    assert!(matches!(err, NmsError::InvalidParameter { .. }), "{err:?}");
    let set = BoxSet::new(&GOOD, BoxMeasure::Iou, 0.0).unwrap();
    same(&suppress(&set, &SCORES, params).unwrap_err(), &err);
    same(&suppress_batched(&set, &SCORES, &LABELS, params).unwrap_err(), &err);
    same(&params.validate().unwrap_err(), &err);
    err.to_string()
}

#[test]
fn bad_sigma() {
    let expected = |v: &str| format!("sigma = {v} is invalid: a finite number > 0");
    assert_eq!(param_error(&SuppressParams::gaussian(-0.5)), expected("-0.5"));
    assert_eq!(param_error(&SuppressParams::gaussian(0.0)), expected("0"));
    assert_eq!(param_error(&SuppressParams::gaussian(-0.0)), expected("-0"));
    assert_eq!(param_error(&SuppressParams::gaussian(f64::NAN)), expected("NaN"));
    assert_eq!(param_error(&SuppressParams::gaussian(f64::INFINITY)), expected("inf"));
    // The smallest positive sigma is valid.
    assert!(soft_nms(&GOOD, &SCORES, &SuppressParams::gaussian(f64::MIN_POSITIVE)).is_ok());
}

#[test]
fn iou_threshold_outside_unit_interval() {
    let expected = |v: &str| format!("iou_threshold = {v} is invalid: a number in [0, 1]");
    for (thr, shown) in
        [(1.5, "1.5"), (-0.1, "-0.1"), (f64::NAN, "NaN"), (f64::INFINITY, "inf"), (1.000_000_1, "1.0000001")]
    {
        assert_eq!(param_error(&SuppressParams::hard(thr)), expected(shown));
        assert_eq!(param_error(&SuppressParams::linear(thr)), expected(shown));
        assert_eq!(nms(&GOOD, &SCORES, thr).unwrap_err().to_string(), expected(shown));
        assert_eq!(batched_nms(&GOOD, &SCORES, &LABELS, thr).unwrap_err().to_string(), expected(shown));
    }
    // Both ends are valid.
    assert_eq!(nms(&GOOD, &SCORES, 0.0).unwrap(), vec![0, 2]);
    assert_eq!(nms(&GOOD, &SCORES, 1.0).unwrap(), vec![0, 1, 2]);
}

#[test]
fn bad_score_threshold() {
    let expected = |v: &str| format!("score_threshold = {v} is invalid: a number, or -inf to keep every score");
    for base in [SuppressParams::hard(0.5), SuppressParams::linear(0.3), SuppressParams::gaussian(0.5)] {
        assert_eq!(param_error(&base.with_score_threshold(f64::NAN)), expected("NaN"));
        assert_eq!(param_error(&base.with_score_threshold(f64::INFINITY)), expected("inf"));
        // -inf keeps every score; any finite value is allowed, even above every score.
        assert!(soft_nms(&GOOD, &SCORES, &base.with_score_threshold(f64::NEG_INFINITY)).is_ok());
        assert_eq!(soft_nms(&GOOD, &SCORES, &base.with_score_threshold(2.0)).unwrap(), Kept::default());
    }
}

#[test]
fn bad_pixel_offset() {
    let err = BoxSet::new(&GOOD, BoxMeasure::Iou, -1.0).unwrap_err();
    let tail = "is invalid: a value in [0, 1] (0 for continuous coordinates, 1 for the legacy +1 convention)";
    assert_eq!(err.to_string(), format!("pixel_offset = -1 {tail}"));
    assert_eq!(
        BoxSet::new(&GOOD, BoxMeasure::Iou, f64::NAN).unwrap_err().to_string(),
        format!("pixel_offset = NaN {tail}")
    );
    // Found by the fuzzer: an offset of 2.7e180 overflowed every area, and IoU came out NaN.
    assert_eq!(
        BoxSet::new(&GOOD, BoxMeasure::Giou, 2.7e180).unwrap_err().to_string(),
        format!("pixel_offset = 2.7e180 {tail}")
    );
}

#[test]
fn empty_input_is_an_empty_result() {
    let none: [[f32; 4]; 0] = [];
    let no_scores: [f32; 0] = [];
    assert_eq!(nms(&none, &no_scores, 0.5).unwrap(), Vec::<usize>::new());
    assert_eq!(batched_nms(&none, &no_scores, &[], 0.5).unwrap(), Vec::<usize>::new());
    let set = BoxSet::new(&none, BoxMeasure::Iou, 0.0).unwrap();
    for params in
        [SuppressParams::hard(0.5), SuppressParams::linear(0.3), SuppressParams::gaussian(0.5).with_max_output(3)]
    {
        assert_eq!(soft_nms(&none, &no_scores, &params).unwrap(), Kept::default());
        assert_eq!(suppress(&set, &no_scores, &params).unwrap(), Kept::default());
        assert_eq!(suppress_batched(&set, &no_scores, &[], &params).unwrap(), Kept::default());
    }
    // max_output 0 on non-empty input is empty too.
    assert_eq!(soft_nms(&GOOD, &SCORES, &SuppressParams::gaussian(0.5).with_max_output(0)).unwrap(), Kept::default());
    // Parameters are still checked on empty input.
    assert_eq!(
        soft_nms(&none, &no_scores, &SuppressParams::gaussian(-1.0)).unwrap_err().to_string(),
        "sigma = -1 is invalid: a finite number > 0"
    );
    assert_eq!(
        nms(&none, &no_scores, 2.0).unwrap_err().to_string(),
        "iou_threshold = 2 is invalid: a number in [0, 1]"
    );
}
