//! The `softkit` binary end to end: good runs, and clear errors with a non-zero exit for bad input.

mod common;

use common::{softkit, stderr, temp_file};

#[test]
fn suppresses_a_coco_results_file_per_image_and_category() {
    let input = temp_file(
        "results.json",
        r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
            {"image_id": 1, "category_id": 1, "bbox": [1, 0, 10, 10], "score": 0.8},
            {"image_id": 1, "category_id": 2, "bbox": [1, 0, 10, 10], "score": 0.7},
            {"image_id": 2, "category_id": 1, "bbox": [1, 0, 10, 10], "score": 0.6}]"#,
    );
    let output = input.with_file_name("hard.json");
    let out =
        softkit(&["nms", "--input", input.to_str().unwrap(), "--method", "hard", "--output", output.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let kept: Vec<(i64, i64, f64)> = written
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["image_id"].as_i64().unwrap(), r["category_id"].as_i64().unwrap(), r["score"].as_f64().unwrap()))
        .collect();
    // The duplicate of category 1 in image 1 goes; the other category and the other image stay.
    assert_eq!(kept, vec![(1, 1, 0.9), (1, 2, 0.7), (2, 1, 0.6)]);
}

#[test]
fn gaussian_writes_decayed_scores() {
    let input = temp_file(
        "cands.json",
        r#"{"images": [], "candidates": [[5, 0, 0, 0, 10, 10, 0.9], [5, 0, 0, 0, 10, 10, 0.8]]}"#,
    );
    let output = input.with_file_name("gauss.json");
    let out = softkit(&["nms", "--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let second = written[1]["score"].as_f64().unwrap();
    assert!((second - 0.8 * (-1.0_f64 / 0.5).exp()).abs() < 1e-12);
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let inverted = temp_file("inverted.json", r#"{"candidates": [[3, 0, 10, 0, 5, 10, 0.9]]}"#);
    let malformed = temp_file("malformed.json", "[{\"image_id\": 1,\n \"bbox\": [0, 0, 1, 1],, }]");
    let cases: [(Vec<&str>, String); 5] = [
        (
            vec!["nms", "--input", inverted.to_str().unwrap()],
            format!("{}: candidates[0].x2 = 5 is less than x1 = 10 (image 3)", inverted.display()),
        ),
        (
            vec!["nms", "--input", malformed.to_str().unwrap()],
            // The same words as `softkit eval` for the same file: one parser reads both.
            format!("malformed JSON in {}: results[0]: key must be a string at line 2 column 23", malformed.display()),
        ),
        (vec!["nms", "--input", "/nonexistent/x.json"], "/nonexistent/x.json: No such file or directory".into()),
        (vec!["nms", "--input", inverted.to_str().unwrap(), "--sigma", "-1"], "sigma = -1 is invalid".into()),
        (
            vec!["nms", "--input", inverted.to_str().unwrap(), "--method", "hard", "--iou", "2"],
            "iou_threshold = 2 is invalid".into(),
        ),
    ];
    for (mut args, expected) in cases {
        let out_path = inverted.with_file_name("never.json");
        args.extend(["--output", out_path.to_str().unwrap()]);
        let out = softkit(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr(&out).contains(&expected), "{args:?}: expected {expected:?} in {:?}", stderr(&out));
        assert!(!out_path.exists(), "no output on failure");
    }
}

#[test]
fn demo_sizes_are_checked_before_anything_is_allocated() {
    for (flag, value, expected) in [
        ("--classes", "10000000000", "--classes 10000000000: the demo needs 1 to 1000000 classes"),
        ("--objects", "10000000000", "--objects 10000000000: the demo needs 1 to 1000000 objects"),
        ("--objects", "0", "--objects 0: the demo needs 1 to 1000000 objects"),
        ("--image-size", "inf", "--image-size inf: the demo needs an image of 64 to 1000000 px"),
    ] {
        let out = softkit(&["demo", flag, value]);
        assert_eq!(out.status.code(), Some(1), "{flag} {value}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{flag} {value}: {}", stderr(&out));
    }
}

#[test]
fn demo_runs_and_reports_every_method() {
    let out = softkit(&["demo", "--objects", "20", "--repeats", "3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for method in ["hard NMS, IoU 0.5", "Soft-NMS linear, Nt 0.3", "Soft-NMS gaussian, sigma 0.5"] {
        assert!(text.contains(method), "demo output lacks {method}:\n{text}");
    }
    assert!(text.contains("/20"), "recall is reported against the 20 objects:\n{text}");
    // AP and AP50 sit before the time, the last column.
    let header = text.lines().find(|l| l.starts_with("method")).unwrap();
    assert!(header.contains(" AP ") && header.contains(" AP50 "), "{header}");
    for line in text.lines().filter(|l| l.starts_with("hard NMS") || l.starts_with("Soft-NMS")) {
        let columns: Vec<&str> = line.split_whitespace().collect();
        let ap: f64 = columns[columns.len() - 3].parse().unwrap();
        let ap50: f64 = columns[columns.len() - 2].parse().unwrap();
        assert!(0.0 < ap && ap <= ap50 && ap50 <= 1.0, "{line}");
    }
}
