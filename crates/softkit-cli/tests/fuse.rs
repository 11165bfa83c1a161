//! `softkit fuse` end to end: per image and category, against the library's `fuse` on the same
//! rows; flags checked before any file is read; bad rows named by file.

mod common;

use common::{softkit, stderr, temp_file};
use softkit_nms::{FusionParams, ModelDetections, fuse};

/// Model A and model B: two images, two categories; image 2 only in model A.
const MODEL_A: &str = r#"[
    {"image_id": 1, "category_id": 3, "bbox": [10, 10, 40, 40], "score": 0.9},
    {"image_id": 1, "category_id": 3, "bbox": [100, 100, 20, 20], "score": 0.6},
    {"image_id": 1, "category_id": 5, "bbox": [12, 10, 40, 40], "score": 0.7},
    {"image_id": 2, "category_id": 3, "bbox": [0, 0, 5, 5], "score": 0.5}
]"#;
const MODEL_B: &str = r#"[
    {"image_id": 1, "category_id": 3, "bbox": [14, 10, 40, 42], "score": 0.8},
    {"image_id": 1, "category_id": 5, "bbox": [200, 200, 10, 10], "score": 0.4}
]"#;

fn read_json(path: &std::path::Path) -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The corners of a COCO `[x, y, w, h]`.
fn corners(b: [f64; 4]) -> [f64; 4] {
    [b[0], b[1], b[0] + b[2], b[1] + b[3]]
}

#[test]
fn fuses_each_image_and_category_as_the_library_does() {
    let (a, b) = (temp_file("fuse_a.json", MODEL_A), temp_file("fuse_b.json", MODEL_B));
    let output = a.with_file_name("fused.json");
    let out = softkit(&[
        "fuse",
        "--inputs",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--weights",
        "2,1",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = read_json(&output);
    // Image 1 by the library, category by category (labels never fuse across).
    let params = FusionParams::wbf().with_weights(vec![2.0, 1.0]);
    let image1_a =
        [corners([10.0, 10.0, 40.0, 40.0]), corners([100.0, 100.0, 20.0, 20.0]), corners([12.0, 10.0, 40.0, 40.0])];
    let image1_b = [corners([14.0, 10.0, 40.0, 42.0]), corners([200.0, 200.0, 10.0, 10.0])];
    let expected = fuse(
        &[
            ModelDetections { items: &image1_a, scores: &[0.9, 0.6, 0.7], labels: &[3, 3, 5] },
            ModelDetections { items: &image1_b, scores: &[0.8, 0.4], labels: &[3, 5] },
        ],
        &params,
    )
    .unwrap();
    let image1: Vec<&serde_json::Value> = rows.iter().filter(|r| r["image_id"] == 1).collect();
    assert_eq!(image1.len(), expected.items.len());
    for (row, k) in image1.iter().zip(0..) {
        let bbox: Vec<f64> = row["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let c = expected.items[k];
        let want = [c[0], c[1], c[2] - c[0], c[3] - c[1]];
        for (got, want) in bbox.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{bbox:?} vs {want:?}");
        }
        assert_eq!(row["category_id"], expected.labels[k]);
        assert!((row["score"].as_f64().unwrap() - expected.scores[k]).abs() < 1e-12);
    }
    // The two category-3 boxes that overlap fused: four clusters in image 1, not five.
    assert_eq!(image1.len(), 4);
    // Image 2, seen by model A alone: its box as is, its score scaled by A's share of the weights.
    let image2: Vec<&serde_json::Value> = rows.iter().filter(|r| r["image_id"] == 2).collect();
    assert_eq!(image2.len(), 1);
    assert_eq!(image2[0]["bbox"], serde_json::json!([0.0, 0.0, 5.0, 5.0]));
    assert!((image2[0]["score"].as_f64().unwrap() - 0.5 * 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn flags_are_checked_before_any_file_is_read() {
    let missing = "/nonexistent/softkit-fuse-input.json";
    let cases: [(&[&str], &str); 6] = [
        (&["--weights", "1"], "--weights has 1 values but there are 2 inputs"),
        (&["--weights", "1,-2"], "--weights: -2 is not a finite number >= 0"),
        (&["--iou", "1.5"], "--iou 1.5 is invalid"),
        (&["--method", "nmw", "--conf-type", "max"], "--conf-type applies to --method wbf only"),
        (&["--conf-type", "max", "--allows-overflow"], "--allows-overflow applies to --conf-type avg only"),
        (&["--conf-type", "mean"], "--conf-type: conf_type = \"mean\" is invalid"),
    ];
    for (flags, message) in cases {
        let args =
            [&["fuse", "--inputs", missing, missing, "--output", "/tmp/softkit-fuse-never.json"][..], flags].concat();
        let out = softkit(&args);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(message), "{flags:?}: {}", stderr(&out));
    }
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let a = temp_file("fuse_same.json", MODEL_A);
    let out = softkit(&["fuse", "--inputs", a.to_str().unwrap(), "--output", a.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--output"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&a).unwrap(), MODEL_A);
}

#[test]
fn a_bad_row_is_named_by_file() {
    let bad = MODEL_A.replace("\"score\": 0.6", "\"score\": -0.6");
    let a = temp_file("fuse_bad.json", &bad);
    let out = softkit(&[
        "fuse",
        "--inputs",
        a.to_str().unwrap(),
        "--output",
        a.with_file_name("fused_bad.json").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("fuse_bad.json row 1 (image 1)") && err.contains("= -0.6 is invalid"), "{err}");
}
