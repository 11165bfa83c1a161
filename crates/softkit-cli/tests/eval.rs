//! `softkit eval`, `softkit ablate` and `softkit nms --gt` on the real data of `../shared/data`:
//! pycocotools' numbers reproduced, and bad input refused with a clear message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn softkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_softkit")).args(args).output().expect("the softkit binary runs")
}

/// A file of `../shared/data` beside the repository; a missing file fails with the path expected.
fn data(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(relative);
    assert!(path.exists(), "test data missing: expected {} (../shared/data beside the repository)", path.display());
    path.to_str().expect("UTF-8 path").to_string()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softkit-cli-eval-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn temp_file(name: &str, contents: &str) -> String {
    let path = temp_dir().join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_string()
}

fn read_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(value: &serde_json::Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(|v| v.as_f64().expect("a number")).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const GT: &str = "coco-val2014-100/instances_val2014_100.json";
const CANDIDATES: &str = "yolox-nano/candidates_val2017_100.json";

/// Runs `softkit eval` on the parity set and checks its 12 stats against the recorded pycocotools ones.
fn eval_parity(iou_type: &str, results: &str) -> (serde_json::Value, String, Vec<f64>) {
    let json = temp_dir().join(format!("parity-{iou_type}.json")).to_str().unwrap().to_string();
    let out = softkit(&[
        "eval",
        "--gt",
        &data(GT),
        "--dt",
        &data(&format!("coco-val2014-100/{results}")),
        "--iou-type",
        iou_type,
        "--json",
        &json,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = read_json(&json);
    let stats = floats(&written["stats"]);
    let expected =
        floats(&read_json(&data("coco-val2014-100/expected_pycocotools.json"))[format!("{iou_type}:{results}")]);
    assert_eq!(stats.len(), 12);
    for (i, (got, want)) in stats.iter().zip(&expected).enumerate() {
        assert!((got - want).abs() <= 1e-9, "{iou_type} stat {i}: softkit {got}, pycocotools {want}");
    }
    (written, text(&out.stdout), expected)
}

#[test]
fn eval_reproduces_pycocotools_segm_on_the_parity_set() {
    let (_, stdout, _) = eval_parity("segm", "instances_val2014_fakesegm100_results.json");
    assert_eq!(stdout.lines().count(), 12, "{stdout}");
}

#[test]
fn eval_reproduces_pycocotools_on_the_parity_set() {
    let (written, stdout, expected) = eval_parity("bbox", "instances_val2014_fakebbox100_results.json");
    // The printed summary is pycocotools' 12 lines, with the same numbers to 3 decimals.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 12, "{stdout}");
    assert!(lines[0].starts_with(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = "));
    for (line, want) in lines.iter().zip(&expected) {
        assert!(line.ends_with(&format!("= {want:.3}")), "{line} vs {want}");
    }
    // Per-class AP: one entry per category, -1 for a category with no ground truth.
    let per_class = written["per_class_ap"].as_object().unwrap();
    assert_eq!(per_class.len(), 80);
    assert!(per_class.values().all(|v| v.as_f64().is_some_and(|ap| ap == -1.0 || (0.0..=1.0).contains(&ap))));
    assert!(per_class.values().any(|v| v.as_f64() == Some(-1.0)));
}

#[test]
fn ablate_reproduces_the_reference_figures() {
    let json = temp_dir().join("ablate.json").to_str().unwrap().to_string();
    let out = softkit(&["ablate", "--candidates", &data(CANDIDATES), "--gt", &data(GT), "--json", &json]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("on the 11 images with ground truth"), "{stdout}");
    let written = read_json(&json);
    assert_eq!(written["images"].as_array().unwrap().len(), 11);
    let rows = written["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        23,
        "7 hard thresholds, linear, 3 gaussian sigmas, 2 DIoU, OpenCV adaptive, 2 Matrix, 2 Fast, Cluster-NMS + SPM, \
         weighted Cluster-NMS, soft voting, WBF and NMW"
    );
    for fusion in ["WBF (one model), IoU 0.55", "NMW (one model), IoU 0.55"] {
        assert!(rows.iter().any(|r| r["method"] == fusion), "no row {fusion}");
    }
    let ap = |method: &str| -> f64 {
        let row = rows.iter().find(|r| r["method"] == method).unwrap_or_else(|| panic!("no row {method}"));
        floats(&row["stats"])[0]
    };
    // The data README's figures for a plain class-wise reference, scored by pycocotools.
    for (method, expected) in [("hard NMS, IoU 0.65", 0.3858), ("Soft-NMS gaussian, sigma 0.5", 0.3842)] {
        let got = ap(method);
        assert!((got - expected).abs() <= 1e-4, "{method}: AP {got}, expected {expected}");
        let line = stdout.lines().find(|l| l.starts_with(method)).unwrap();
        let printed: f64 = line[method.len()..].split_whitespace().next().unwrap().parse().unwrap();
        assert!((printed - got).abs() <= 5e-5, "{line}");
    }
    for row in rows {
        let stats = floats(&row["stats"]);
        assert!(stats[0] > 0.3 && stats[0] < 0.45, "{row}: implausible AP");
        assert!(stats[1] >= stats[0] && stats[8] > 0.0, "{row}");
    }
}

#[test]
fn nms_with_gt_evaluates_the_images_of_the_ground_truth() {
    let out = softkit(&["nms", "--input", &data(CANDIDATES), "--method", "hard", "--iou", "0.65", "--gt", &data(GT)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("on 11 of the input's 100 images"), "{stdout}");
    let first = stdout.lines().find(|l| l.contains("IoU=0.50:0.95 | area=   all | maxDets=100")).unwrap();
    assert!(first.ends_with("= 0.386"), "{first}");
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let gt = temp_file(
        "gt.json",
        r#"{"images": [{"id": 1}], "categories": [{"id": 1}, {"id": 2}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#,
    );
    let unknown_image = temp_file(
        "unknown_image.json",
        r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
            {"image_id": 42, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.8}]"#,
    );
    let unknown_category = temp_file(
        "unknown_category.json",
        r#"[{"image_id": 1, "category_id": 7, "bbox": [0, 0, 10, 10], "score": 0.9}]"#,
    );
    let malformed = temp_file("malformed.json", "[{\"image_id\": 1,\n \"bbox\": [0, 0, 1, 1],, }]");
    let short_bbox =
        temp_file("short_bbox.json", r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10], "score": 0.9}]"#);
    let cases = [
        (unknown_image.as_str(), "results[1].image_id = 42 is not an image of the ground truth".to_string()),
        (unknown_category.as_str(), "results[0].category_id = 7 is not a category of the ground truth".to_string()),
        (
            malformed.as_str(),
            format!("malformed JSON in {malformed}: results[0]: key must be a string at line 2 column 23"),
        ),
        (short_bbox.as_str(), "results[0].bbox has 3 numbers; expected 4".to_string()),
        ("/nonexistent/dt.json", "cannot read /nonexistent/dt.json".to_string()),
    ];
    for (dt, expected) in cases {
        let out = softkit(&["eval", "--gt", &gt, "--dt", dt]);
        assert!(!out.status.success(), "{dt} should fail");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&expected), "{dt}: expected {expected:?} in {stderr:?}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty(), "no summary on failure");
    }

    // NMS-AP is defined on boxes only.
    let out = softkit(&["eval", "--gt", &gt, "--dt", &unknown_category, "--iou-type", "segm", "--nms-ap"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--nms-ap works on boxes only (--iou-type bbox), not --iou-type segm"),
        "{}",
        text(&out.stderr)
    );
    // Keypoint evaluation of box results names the first result without keypoints.
    let boxes = temp_file("boxes.json", r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]"#);
    let out = softkit(&["eval", "--gt", &gt, "--dt", &boxes, "--iou-type", "keypoints"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("has no keypoints, which keypoint evaluation needs"), "{}", text(&out.stderr));

    // A candidate table's class indices only mean COCO category ids against the COCO categories.
    let out = softkit(&["ablate", "--candidates", &data(CANDIDATES), "--gt", &gt]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{gt}: categories = [1, 2] (2 ids) are not the 80 COCO category ids")),
        "{stderr}"
    );

    // `nms --gt` with COCO results input: an unknown category names the input row.
    let out = softkit(&["nms", "--input", &unknown_category, "--method", "hard", "--gt", &gt]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("input row 0 (image 1): category_id = 7 is not a category"), "{stderr}");
}
