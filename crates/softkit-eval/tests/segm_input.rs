//! Mask evaluation: loading rules (pycocotools' `loadRes`, `annToRLE`) and bad input, each error
//! naming the item, the field and the value.

use softkit_eval::{
    AreaRange, CocoGroundTruth, CocoResults, IoError, Params, Segmentation, evaluate_bbox, evaluate_segm,
};

/// One 10×10 image with a 4×4 square (pixels 2..6 in both axes) as a polygon.
const GT: &str = r#"{
  "images": [{"id": 1, "height": 10, "width": 10}, {"id": 2}],
  "categories": [{"id": 1}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 1, "area": 16, "iscrowd": 0, "bbox": [2, 2, 4, 4],
     "segmentation": [[2, 2, 6, 2, 6, 6, 2, 6]]}
  ]
}"#;

/// The same square as a compressed RLE (written by pycocotools' `encode`).
const SQUARE: &str = r#"{"size": [10, 10], "counts": "f04600000V1"}"#;

fn gt() -> CocoGroundTruth {
    CocoGroundTruth::from_json_str(GT).unwrap()
}

fn gt_with(annotation: &str) -> Result<CocoGroundTruth, IoError> {
    CocoGroundTruth::from_json_str(&GT.replace(
        r#""segmentation": [[2, 2, 6, 2, 6, 6, 2, 6]]}"#,
        &format!(r#""segmentation": [[2, 2, 6, 2, 6, 6, 2, 6]]}}, {annotation}"#),
    ))
}

/// Precision is `tp / (tp + fp + eps)` in pycocotools, so 1 reads as 0.9999999999999998.
fn assert_close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-12, "{got} != {want}");
}

fn results(text: &str) -> Result<CocoResults, IoError> {
    CocoResults::from_json_str(text, &gt())
}

#[test]
fn mask_results_take_area_and_box_from_the_mask() {
    let dt =
        results(&format!(r#"[{{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {SQUARE}}}]"#)).unwrap();
    assert_eq!(dt.areas(), &[16.0]);
    assert_eq!(dt.detections()[0].bbox, [2.0, 2.0, 4.0, 4.0]);
    let stats = evaluate_segm(&gt(), &dt, &Params::default()).unwrap().stats().unwrap();
    assert!((stats[0] - 1.0).abs() < 1e-15, "the mask equals the ground truth: {stats:?}");
    // bbox evaluation of mask results uses the boxes loadRes derived.
    let stats = evaluate_bbox(&gt(), &dt, &Params::default()).unwrap().stats().unwrap();
    assert!((stats[0] - 1.0).abs() < 1e-15);
}

#[test]
fn a_first_result_with_a_bbox_makes_box_areas() {
    // A true positive (the square) and a higher-scored false positive: a 2×2 mask in a 5×5 box.
    // pycocotools' loadRes takes the box branch when the first result has a bbox, so the false
    // positive's area is 25, not 4. With a range "small" = [0, 20], an unmatched detection
    // outside the range is ignored: precision stays 1 with box areas, and halves with mask areas.
    let fp_mask = "[[7, 7, 9, 7, 9, 9, 7, 9]]";
    let with_boxes = format!(
        r#"[{{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [2, 2, 4, 4], "segmentation": {SQUARE}}},
            {{"image_id": 1, "category_id": 1, "score": 0.95, "bbox": [7, 7, 5, 5], "segmentation": {fp_mask}}}]"#
    );
    let without_boxes = format!(
        r#"[{{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {SQUARE}}},
            {{"image_id": 1, "category_id": 1, "score": 0.95, "segmentation": {fp_mask}}}]"#
    );
    let params = Params {
        area_rngs: vec![AreaRange::new("all", 0.0, 1e10), AreaRange::new("small", 0.0, 20.0)],
        ..Params::default()
    };
    let dt = results(&with_boxes).unwrap();
    assert_eq!(dt.areas(), &[16.0, 25.0]);
    let ev = evaluate_segm(&gt(), &dt, &params).unwrap();
    assert_close(ev.precision_at(0, 100, 0, 0, 2), 0.5); // "all": the false positive counts
    assert_close(ev.precision_at(0, 100, 0, 1, 2), 1.0); // "small": it is outside the range

    let dt = results(&without_boxes).unwrap();
    assert_eq!(dt.areas(), &[16.0, 4.0]);
    let ev = evaluate_segm(&gt(), &dt, &params).unwrap();
    assert_close(ev.precision_at(0, 100, 0, 0, 2), 0.5);
    assert_close(ev.precision_at(0, 100, 0, 1, 2), 0.5);
}

#[test]
fn box_results_without_masks_are_their_rectangles() {
    let dt = results(r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [2, 2, 4, 2]}]"#).unwrap();
    let ev = evaluate_segm(&gt(), &dt, &Params::default()).unwrap();
    // The rectangle covers 8 of the square's 16 pixels: IoU 0.5, a match at 0.50 only.
    assert_eq!(ev.recall_at(0, 0, 0, 2), 1.0);
    assert_eq!(ev.recall_at(1, 0, 0, 2), 0.0);
}

#[test]
fn uncompressed_and_crowd_ground_truth() {
    // A crowd region covering the right half of the image, as uncompressed counts.
    let gt = gt_with(
        r#"{"id": 2, "image_id": 1, "category_id": 1, "area": 50, "iscrowd": 1,
            "segmentation": {"size": [10, 10], "counts": [50, 50]}}"#,
    )
    .unwrap();
    assert!(matches!(&gt.segmentations()[1], Some(Segmentation::Rle(r)) if r.area() == 50));
    // A detection inside the crowd region: unmatched against the square, so it would be a false
    // positive, but the crowd absorbs it (IoU = intersection / detection area = 1).
    let dt = CocoResults::from_json_str(
        &format!(
            r#"[{{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {SQUARE}}},
                {{"image_id": 1, "category_id": 1, "score": 0.8,
                  "segmentation": [[7, 0, 10, 0, 10, 3, 7, 3]]}}]"#
        ),
        &gt,
    )
    .unwrap();
    assert_eq!(dt.areas(), &[16.0, 9.0]);
    let stats = evaluate_segm(&gt, &dt, &Params::default()).unwrap().stats().unwrap();
    assert!((stats[0] - 1.0).abs() < 1e-15, "{stats:?}");
}

#[test]
fn malformed_counts_are_named() {
    let err = results(
        r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {"size": [10, 10], "counts": "f0 4"}}]"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "results[0].segmentation: RLE counts string: character ' ' at byte 2 is outside '0'..='o'"
    );
    let err = gt_with(
        r#"{"id": 2, "image_id": 1, "category_id": 1, "area": 5, "iscrowd": 1,
            "segmentation": {"size": [10, 10], "counts": [50, 49]}}"#,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "annotations[1].segmentation: RLE counts sum to 99, but size [10, 10] has 100 pixels");
    let err =
        results(r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {"counts": "f04"}}]"#).unwrap_err();
    assert!(matches!(err, IoError::Shape { .. }), "{err}");
    assert!(err.to_string().contains("missing field `size`"), "{err}");
}

#[test]
fn bad_polygons_fail_mask_evaluation_only() {
    let gt = gt_with(
        r#"{"id": 2, "image_id": 1, "category_id": 1, "area": 5, "iscrowd": 0, "bbox": [0, 0, 1, 1],
            "segmentation": [[0, 0, 1, 1]]}"#,
    )
    .unwrap();
    let dt =
        CocoResults::from_json_str(r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [2, 2, 4, 4]}]"#, &gt)
            .unwrap();
    // pycocotools' bbox evaluation never looks at segmentations; neither does softkit's.
    evaluate_bbox(&gt, &dt, &Params::default()).unwrap();
    let err = evaluate_segm(&gt, &dt, &Params::default()).unwrap_err();
    assert_eq!(err.to_string(), "annotations[1].segmentation: polygons[0] has 2 points; a polygon needs at least 3");
    let err =
        results(r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": [[0, 0, 1, 1, 2]]}]"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "results[0].segmentation: polygons[0] has 5 coordinates; expected an even number ([x0, y0, x1, y1, ...])"
    );
}

#[test]
fn missing_masks_sizes_and_fields_are_named() {
    let gt2 = gt_with(r#"{"id": 2, "image_id": 1, "category_id": 1, "area": 5, "iscrowd": 0, "bbox": [0, 0, 1, 1]}"#)
        .unwrap();
    let dt =
        CocoResults::from_json_str(r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [2, 2, 4, 4]}]"#, &gt2)
            .unwrap();
    let err = evaluate_segm(&gt2, &dt, &Params::default()).unwrap_err();
    assert_eq!(err.to_string(), "annotations[1] has no segmentation, which mask evaluation needs");

    // Image 2 has no height and width: a polygon on it loads (polygon evaluation needs no mask,
    // and takes the polygon's own extent and area) but cannot be rasterised for mask evaluation.
    let dt =
        results(r#"[{"image_id": 2, "category_id": 1, "score": 0.9, "segmentation": [[0, 0, 4, 0, 4, 4]]}]"#).unwrap();
    assert_eq!((dt.detections()[0].bbox, dt.areas()[0]), ([0.0, 0.0, 4.0, 4.0], 8.0));
    let err = evaluate_segm(&gt(), &dt, &Params::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "results[0]: image 2 has no height and width in the ground truth, which rasterising its segmentation needs"
    );

    // A mask of the wrong size for its image.
    let dt = results(
        r#"[{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {"size": [5, 20], "counts": "0T3"}}]"#,
    )
    .unwrap();
    let err = evaluate_segm(&gt(), &dt, &Params::default()).unwrap_err();
    assert_eq!(err.to_string(), "results[0].segmentation has size [5, 20], but image 1 is [10, 10]");

    // loadRes reads every result the way it reads the first.
    let err = results(&format!(
        r#"[{{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": {SQUARE}}},
            {{"image_id": 1, "category_id": 1, "score": 0.8, "bbox": [0, 0, 1, 1]}}]"#
    ))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "results[1] has no segmentation, which every result needs when the first one has no bbox"
    );
    let err = results(&format!(
        r#"[{{"image_id": 1, "category_id": 1, "score": 0.9, "bbox": [0, 0, 1, 1]}},
            {{"image_id": 1, "category_id": 1, "score": 0.8, "segmentation": {SQUARE}}}]"#
    ))
    .unwrap_err();
    assert_eq!(err.to_string(), "results[1] has no bbox, which every result needs when the first one has a bbox");
}
