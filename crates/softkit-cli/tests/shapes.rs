//! `softkit nms --geometry rotated|polygon` and `softkit eval --iou-type rotated|polygon`,
//! `--protocol voc`, end to end.

mod common;

use std::path::PathBuf;

use common::{softkit, stderr, temp_file};

fn read_json(path: &PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Three rotated candidates of one image and class: a 10 x 2 bar, the same bar a quarter turn
/// later (a cross: IoU 4 / 36), and the bar again, half a turn later (the same bar: IoU 1).
const ROTATED: &str = r#"{"images": [{"id": 1, "width": 100, "height": 100}], "candidates": [
    [1, 0, 50, 50, 10, 2, 0.0, 0.9],
    [1, 0, 50, 50, 10, 2, 1.5707963267948966, 0.8],
    [1, 0, 50, 50, 10, 2, 3.141592653589793, 0.7]]}"#;

#[test]
fn rotated_hard_nms_keeps_the_cross_and_drops_the_turned_copy() {
    let input = temp_file("rotated.json", ROTATED);
    let output = input.with_file_name("rotated_kept.json");
    let args = ["nms", "--geometry", "rotated", "--method", "hard", "--iou", "0.5"];
    let out =
        softkit(&[&args[..], &["--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let written = read_json(&output);
    let kept: Vec<f64> = written.as_array().unwrap().iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert_eq!(kept, vec![0.9, 0.8]);
    // Each kept row is written back as read, class index 0 as COCO category 1.
    assert_eq!(written[1]["rbox"], serde_json::json!([50.0, 50.0, 10.0, 2.0, std::f64::consts::FRAC_PI_2]));
    assert_eq!(written[1]["category_id"], 1);
}

#[test]
fn degrees_read_as_radians_do() {
    let degrees = ROTATED.replace("1.5707963267948966", "90").replace("3.141592653589793", "180");
    let input = temp_file("degrees.json", &degrees);
    let output = input.with_file_name("degrees_kept.json");
    let out = softkit(&[
        "nms",
        "--geometry",
        "rotated",
        "--rbox-format",
        "degrees",
        "--method",
        "linear",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scores: Vec<f64> =
        read_json(&output).as_array().unwrap().iter().map(|r| r["score"].as_f64().unwrap()).collect();
    // Linear Soft-NMS at 0.3: the cross keeps its score (IoU 1/9); the turned copy (IoU 1 with
    // the first bar) decays to 0 and is dropped.
    assert_eq!(scores, vec![0.9, 0.8]);
}

#[test]
fn polygon_results_decay_by_exact_polygon_iou() {
    // Two squares overlapping by half (IoU 1/3), the second given clockwise, in one image and
    // category; a third square in another category.
    let input = temp_file(
        "polygons.json",
        r#"[{"image_id": 3, "category_id": 7, "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]], "score": 0.9},
            {"image_id": 3, "category_id": 7, "segmentation": [[5, 0, 5, 10, 15, 10, 15, 0]], "score": 0.8},
            {"image_id": 3, "category_id": 8, "segmentation": [[5, 0, 15, 0, 15, 10, 5, 10]], "score": 0.7}]"#,
    );
    let output = input.with_file_name("polygons_kept.json");
    let out = softkit(&[
        "nms",
        "--geometry",
        "polygon",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = read_json(&output);
    let rows: Vec<(i64, f64)> = written
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["category_id"].as_i64().unwrap(), r["score"].as_f64().unwrap()))
        .collect();
    let decayed = 0.8 * (-(1.0_f64 / 3.0).powi(2) / 0.5).exp();
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[0], rows[1].0), ((7, 0.9), 8));
    assert_eq!(rows[2].0, 7);
    assert!((rows[2].1 - decayed).abs() < 1e-12, "{} vs {decayed}", rows[2].1);
    assert_eq!(written[2]["segmentation"], serde_json::json!([[5.0, 0.0, 5.0, 10.0, 15.0, 10.0, 15.0, 0.0]]));
}

const GT: &str = r#"{"images": [{"id": 1}], "categories": [{"id": 1}, {"id": 2}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "area": 20, "iscrowd": 0, "rbox": [50, 50, 10, 2, 0.5],
         "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]]},
        {"id": 2, "image_id": 1, "category_id": 2, "area": 20, "iscrowd": 0, "rbox": [20, 20, 10, 2, 1.0],
         "segmentation": [[20, 20, 30, 20, 30, 30, 20, 30]], "difficult": 1}]}"#;

#[test]
fn rotated_and_polygon_evaluation_score_perfect_detections_at_one() {
    let gt = temp_file("gt.json", GT);
    let rotated = temp_file(
        "rotated_dt.json",
        r#"[{"image_id": 1, "category_id": 1, "rbox": [50, 50, 10, 2, 0.5], "score": 0.9}]"#,
    );
    let out =
        softkit(&["eval", "--gt", gt.to_str().unwrap(), "--dt", rotated.to_str().unwrap(), "--iou-type", "rotated"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    // Category 2 has an object and no detection, so the mean over categories is 0.5.
    assert!(
        summary.contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500"),
        "{summary}"
    );

    let polygons = temp_file(
        "polygon_dt.json",
        r#"[{"image_id": 1, "category_id": 1, "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]], "score": 0.9},
            {"image_id": 1, "category_id": 2, "segmentation": [[20, 20, 30, 20, 30, 30, 20, 30]], "score": 0.8}]"#,
    );
    let json = gt.with_file_name("voc.json");
    let out = softkit(&[
        "eval",
        "--gt",
        gt.to_str().unwrap(),
        "--dt",
        polygons.to_str().unwrap(),
        "--iou-type",
        "polygon",
        "--protocol",
        "voc",
        "--voc-metric",
        "area",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Category 2's only object is difficult: it has no ground truth to count, and the mean
    // skips it.
    let written = read_json(&json);
    assert_eq!(written["map"], 1.0);
    assert_eq!(written["per_class_ap"]["2"], serde_json::Value::Null);
}

#[test]
fn shape_flags_and_rows_are_checked_with_their_names() {
    let input = temp_file("rotated_flags.json", ROTATED);
    let run = |extra: &[&str]| {
        softkit(&[&["nms", "--input", input.to_str().unwrap(), "--output", "/dev/null"], extra].concat())
    };
    let out = run(&["--geometry", "rotated", "--pixel-offset", "1"]);
    assert!(stderr(&out).contains("--pixel-offset 1 applies to --geometry box only"), "{}", stderr(&out));
    let out = run(&["--geometry", "rotated", "--measure", "diou"]);
    assert!(stderr(&out).contains("--measure: measure = \"diou\" is invalid"), "{}", stderr(&out));
    let out = run(&["--geometry", "rotated", "--rbox-format", "le90"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "candidates[2].angle = 3.141592653589793 is invalid: an angle in [-pi/2, pi/2] radians (le90) (image 1)"
        ),
        "{}",
        stderr(&out)
    );

    let short = temp_file("short.json", r#"{"candidates": [[1, 0, 0.9, 0, 0, 4, 0]]}"#);
    let out = softkit(&["nms", "--geometry", "polygon", "--input", short.to_str().unwrap(), "--output", "/dev/null"]);
    assert!(
        stderr(&out).contains("candidates[0] has 2 vertices; a polygon needs at least 3 (image 1)"),
        "{}",
        stderr(&out)
    );
    let crossed = temp_file("bowtie.json", r#"{"candidates": [[1, 0, 0.9, 0, 0, 2, 2, 2, 0, 0, 2]]}"#);
    let out = softkit(&["nms", "--geometry", "polygon", "--input", crossed.to_str().unwrap(), "--output", "/dev/null"]);
    assert!(
        stderr(&out).contains(
            "candidates[0] is not simple: its edges from vertex 0 and from vertex 2 cross or touch (image 1)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn three_d_and_segment_evaluation_read_their_fields() {
    let gt = temp_file(
        "gt3.json",
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 12, "iscrowd": 0,
                             "box3d": [0, 0, 0, 4, 2, 1.5, 0.3], "segment": [0, 10]}]}"#,
    );
    // A box stacked above the object: the same footprint, no shared volume.
    let stacked = temp_file(
        "dt3.json",
        r#"[{"image_id": 1, "category_id": 1, "box3d": [0, 0, 3, 4, 2, 1.5, 0.3], "score": 0.9}]"#,
    );
    let ap50 = |iou_type: &str, dt: &PathBuf| {
        let out =
            softkit(&["eval", "--gt", gt.to_str().unwrap(), "--dt", dt.to_str().unwrap(), "--iou-type", iou_type]);
        assert!(out.status.success(), "{}", stderr(&out));
        let summary = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = summary.lines().nth(1).unwrap().to_string();
        line.rsplit(' ').next().unwrap().parse::<f64>().unwrap()
    };
    assert_eq!(ap50("bev", &stacked), 1.0);
    assert_eq!(ap50("box3d", &stacked), 0.0);
    let segment =
        temp_file("dt_segment.json", r#"[{"image_id": 1, "category_id": 1, "segment": [1, 10], "score": 0.9}]"#);
    assert_eq!(ap50("segment", &segment), 1.0); // tIoU 0.9
}
