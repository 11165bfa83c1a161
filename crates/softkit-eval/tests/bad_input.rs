//! Bad input gets an error whose message names the item, the field and the value.

use softkit_eval::{AreaRange, CocoGroundTruth, CocoResults, Detection, IoError, Params, evaluate_bbox};

const GT: &str = r#"{
  "images": [{"id": 1}, {"id": 2}],
  "categories": [{"id": 1, "name": "a"}, {"id": 3, "name": "b"}],
  "annotations": [
    {"id": 10, "image_id": 1, "category_id": 1, "area": 100.0, "iscrowd": 0, "bbox": [0, 0, 10, 10]},
    {"id": 11, "image_id": 2, "category_id": 3, "area": 50.0, "iscrowd": 1, "bbox": [5, 5, 10, 5]}
  ]
}"#;

fn gt() -> CocoGroundTruth {
    CocoGroundTruth::from_json_str(GT).expect("valid ground truth")
}

fn results_err(text: &str) -> String {
    CocoResults::from_json_str(text, &gt()).expect_err("bad results must be rejected").to_string()
}

fn gt_err(text: &str) -> String {
    CocoGroundTruth::from_json_str(text).expect_err("bad ground truth must be rejected").to_string()
}

#[test]
fn result_on_an_unknown_image() {
    let msg = results_err(
        r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5},
            {"image_id": 999, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]"#,
    );
    assert_eq!(msg, "results[1].image_id = 999 is not an image of the ground truth");
}

#[test]
fn result_with_an_unknown_category() {
    let msg = results_err(r#"[{"image_id": 2, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}]"#);
    assert_eq!(msg, "results[0].category_id = 2 is not a category of the ground truth");
}

#[test]
fn bbox_of_the_wrong_length() {
    let msg = results_err(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 0.5}]"#);
    assert_eq!(msg, "results[0].bbox has 3 numbers; expected 4 ([x, y, width, height])");
    let msg = results_err(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1, 7], "score": 0.5}]"#);
    assert_eq!(msg, "results[0].bbox has 5 numbers; expected 4 ([x, y, width, height])");
}

#[test]
fn bbox_with_a_negative_side() {
    let msg = results_err(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -2.5, 1], "score": 0.5}]"#);
    assert_eq!(msg, "results[0].bbox width = -2.5 is negative");
    let msg = gt_err(
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0, "bbox": [0, 0, 1, -1]}]}"#,
    );
    assert_eq!(msg, "annotations[0].bbox height = -1 is negative");
}

#[test]
fn bbox_holding_a_string() {
    let msg = results_err(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, "0", 1, 1], "score": 0.5}]"#);
    assert_eq!(
        msg,
        "results is not in the COCO format: results[0].bbox[1]: invalid type: string \"0\", expected a number at line 1 column 50"
    );
}

#[test]
fn malformed_json_reports_line_and_column() {
    let msg = results_err("[{\"image_id\": 1,\n  \"category_id\": 1 \"bbox\": [0, 0, 1, 1]}]");
    assert_eq!(msg, "malformed JSON in results: results[0]: expected `,` or `}` at line 2 column 20");
    let msg = gt_err("{\"images\": [");
    assert_eq!(msg, "malformed JSON in ground truth: images: EOF while parsing a list at line 1 column 12");
}

#[test]
fn malformed_json_in_a_file_names_the_file() {
    let dir = std::env::temp_dir().join(format!("softkit-eval-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("results.json");
    std::fs::write(&path, "[{\"image_id\": 1,}]").unwrap();
    let msg = CocoResults::from_path(&path, &gt()).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(msg, format!("malformed JSON in {}: results[0]: trailing comma at line 1 column 17", path.display()));
}

#[test]
fn missing_file() {
    let err = CocoGroundTruth::from_path("/nonexistent/instances.json").unwrap_err();
    assert!(matches!(err, IoError::Read { .. }));
    assert_eq!(err.to_string(), "cannot read /nonexistent/instances.json: No such file or directory (os error 2)");
}

#[test]
fn missing_fields_are_named() {
    let msg = results_err(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1]}]"#);
    assert_eq!(msg, "results is not in the COCO format: results[0]: missing field `score` at line 1 column 56");
    let msg = gt_err(
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "bbox": [0, 0, 1, 1]}]}"#,
    );
    assert_eq!(msg, "ground truth is not in the COCO format: annotations[0]: missing field `area` at line 2 column 90");
    let msg = results_err(r#"{"image_id": 1}"#);
    assert_eq!(msg, "results is not in the COCO format: invalid type: map, expected a sequence at line 1 column 0");
}

#[test]
fn iscrowd_must_be_zero_one_or_boolean() {
    let msg = gt_err(
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 2, "bbox": [0, 0, 1, 1]}]}"#,
    );
    assert_eq!(
        msg,
        "ground truth is not in the COCO format: annotations[0].iscrowd: invalid value: integer `2`, expected iscrowd as 0, 1, false or true at line 2 column 78"
    );
    let ok = CocoGroundTruth::from_json_str(
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": true, "bbox": [0, 0, 1, 1]}]}"#,
    )
    .unwrap();
    assert!(ok.annotations()[0].iscrowd);
}

#[test]
fn ground_truth_referring_to_unlisted_images_categories_or_repeating_ids() {
    let ann = |id: i64, image: i64, cat: i64| {
        format!(
            r#"{{"id": {id}, "image_id": {image}, "category_id": {cat}, "area": 1, "iscrowd": 0, "bbox": [0, 0, 1, 1]}}"#
        )
    };
    let doc = |anns: &[String]| {
        format!(r#"{{"images": [{{"id": 1}}], "categories": [{{"id": 1}}], "annotations": [{}]}}"#, anns.join(","))
    };
    assert_eq!(
        gt_err(&doc(&[ann(1, 1, 1), ann(2, 4, 1)])),
        "annotations[1].image_id = 4 is not an image of the ground truth"
    );
    assert_eq!(gt_err(&doc(&[ann(1, 1, 7)])), "annotations[0].category_id = 7 is not a category of the ground truth");
    // No `categories` key at all: named as such, not as an unknown id.
    let no_categories = format!(r#"{{"images": [{{"id": 1}}], "annotations": [{}]}}"#, ann(1, 1, 1));
    assert_eq!(
        gt_err(&no_categories),
        "the ground truth has no categories, which each annotation's category_id must name"
    );
    assert_eq!(
        gt_err(&doc(&[ann(5, 1, 1), ann(6, 1, 1), ann(5, 1, 1)])),
        "annotations[2].id = 5 repeats the id of annotations[0]"
    );
}

#[test]
fn ground_truth_without_a_bbox_cannot_be_box_evaluated() {
    let gt = CocoGroundTruth::from_json_str(
        r#"{"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1}], "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0, "bbox": [0, 0, 1, 1]},
            {"id": 2, "image_id": 2, "category_id": 1, "area": 1, "iscrowd": 0}]}"#,
    )
    .unwrap();
    let dt = CocoResults::default();
    let err = evaluate_bbox(&gt, &dt, &Params::default()).unwrap_err();
    assert_eq!(err.to_string(), "annotations[1] has no bbox, which bbox evaluation needs");
    // Outside the evaluated images it does not matter.
    let only_first = Params { img_ids: Some(vec![1]), ..Params::default() };
    assert!(evaluate_bbox(&gt, &dt, &only_first).is_ok());
}

#[test]
fn detections_made_in_memory_are_checked_too() {
    let d = Detection { image_id: 1, category_id: 1, bbox: [0.0, 0.0, 1.0, 1.0], score: f64::NAN };
    let err = CocoResults::from_detections(vec![d], &gt()).unwrap_err();
    assert_eq!(err.to_string(), "results[0].score = NaN is not finite");
    let d = Detection { image_id: 2, category_id: 3, bbox: [0.0, 0.0, 1.0, -1.0], score: 0.5 };
    let err = CocoResults::from_detections(vec![d], &gt()).unwrap_err();
    assert_eq!(err.to_string(), "results[0].bbox height = -1 is negative");
}

#[test]
fn unusable_parameters() {
    let dt = CocoResults::default();
    let cases = [
        (Params { max_dets: vec![], ..Params::default() }, "invalid parameter max_dets: must not be empty"),
        (
            Params { iou_thrs: vec![0.5, f64::NAN], ..Params::default() },
            "invalid parameter iou_thrs: [1] = NaN is not a number in [0, 1]",
        ),
        (Params { rec_thrs: vec![], ..Params::default() }, "invalid parameter rec_thrs: must not be empty"),
        (Params { area_rngs: vec![], ..Params::default() }, "invalid parameter area_rngs: must not be empty"),
        (
            Params { area_rngs: vec![AreaRange::new("all", 0.0, f64::NAN)], ..Params::default() },
            "invalid parameter area_rngs: [0] = [0, NaN] holds NaN",
        ),
    ];
    for (params, want) in cases {
        assert_eq!(evaluate_bbox(&gt(), &dt, &params).unwrap_err().to_string(), want);
    }
    let two = Params { max_dets: vec![1, 10], ..Params::default() };
    let ev = evaluate_bbox(&gt(), &dt, &two).unwrap();
    assert_eq!(
        ev.stats().unwrap_err().to_string(),
        "invalid parameter max_dets: the summary reads max_dets[0..3] but there are 2 values"
    );
}
