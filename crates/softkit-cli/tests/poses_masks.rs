//! `softkit nms --geometry keypoints|mask`, end to end: pose rows and results by mmpose's OKS,
//! run-length masks by mask IoU, written back as read, and evaluated with `--gt`.

mod common;

use std::path::{Path, PathBuf};

use common::{softkit, stderr, temp_file};

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs `nms` on `input` with `args`, returns the written results.
fn nms(input: &Path, args: &[&str]) -> serde_json::Value {
    let output = input.with_extension("kept.json");
    let out =
        softkit(&[&["nms", "--input", input.to_str().unwrap(), "--output", output.to_str().unwrap()], args].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    read_json(&output)
}

fn scores(written: &serde_json::Value) -> Vec<f64> {
    written.as_array().unwrap().iter().map(|r| r["score"].as_f64().unwrap()).collect()
}

/// mmpose's OKS of two 2-keypoint poses with sigma 0.1 each, written plainly.
fn oks(a: [[f64; 2]; 2], b: [[f64; 2]; 2], area_a: f64, area_b: f64) -> f64 {
    let scale = (area_a + area_b) / 2.0 + f64::EPSILON;
    let term = |p: [f64; 2], q: [f64; 2]| {
        let d2 = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
        (-(d2 / 0.04 / scale / 2.0)).exp()
    };
    (term(a[0], b[0]) + term(a[1], b[1])) / 2.0
}

/// Three poses of one image and class: a pose, the same pose half a pixel to the right (OKS
/// about 0.97), and a pose far away. Rows are `[image_id, class_index, score, area, x1, y1, v1,
/// x2, y2, v2]`.
const POSES: &str = r#"{"images": [{"id": 1, "width": 100, "height": 100}], "candidates": [
    [1, 0, 0.9, 100, 0, 0, 2, 10, 0, 2],
    [1, 0, 0.8, 100, 0.5, 0, 2, 10.5, 0, 2],
    [1, 0, 0.7, 100, 50, 50, 2, 60, 50, 2]]}"#;

#[test]
fn pose_rows_are_suppressed_by_oks() {
    let input = temp_file("poses.json", POSES);
    let close = oks([[0.0, 0.0], [10.0, 0.0]], [[0.5, 0.0], [10.5, 0.0]], 100.0, 100.0);
    assert!(close > 0.9);
    let hard = nms(&input, &["--geometry", "keypoints", "--sigmas", "0.1,0.1", "--method", "hard", "--iou", "0.9"]);
    assert_eq!(scores(&hard), vec![0.9, 0.7]);
    assert_eq!(hard[1]["keypoints"], serde_json::json!([50.0, 50.0, 2.0, 60.0, 50.0, 2.0]));
    assert_eq!(hard[1]["area"], 100.0);
    assert_eq!(hard[1]["category_id"], 1);

    let soft = nms(&input, &["--geometry", "keypoints", "--sigmas", "0.1,0.1", "--sigma", "0.5"]);
    let far = oks([[0.0, 0.0], [10.0, 0.0]], [[50.0, 50.0], [60.0, 50.0]], 100.0, 100.0);
    let decayed = 0.8 * (-close * close / 0.5).exp() * (-far * far / 0.5).exp();
    let got = scores(&soft);
    assert_eq!(got[..2], [0.9, 0.7]);
    assert!((got[2] - decayed).abs() < 1e-12, "{} vs {decayed}", got[2]);

    // A visibility threshold above every v counts no keypoint: OKS 0, nothing decays.
    let none = nms(&input, &["--geometry", "keypoints", "--sigmas", "0.1,0.1", "--visibility-threshold", "2"]);
    assert_eq!(scores(&none), vec![0.9, 0.8, 0.7]);
}

#[test]
fn pose_results_take_their_area_from_area_then_bbox_then_keypoints() {
    // The same pair of poses three ways: the scale, and so the OKS, follows the area read.
    let results = |second: &str| {
        format!(
            r#"[{{"image_id": 1, "category_id": 1, "keypoints": [0, 0, 2, 10, 0, 2], "area": 100, "score": 0.9}},
                {{"image_id": 1, "category_id": 1, "keypoints": [3, 0, 2, 13, 0, 2], {second} "score": 0.8}}]"#
        )
    };
    let decayed = |area_b: f64| {
        let o = oks([[0.0, 0.0], [10.0, 0.0]], [[3.0, 0.0], [13.0, 0.0]], 100.0, area_b);
        0.8 * (-o * o / 0.5).exp()
    };
    for (name, second, area_b) in [
        ("area", r#""area": 400,"#, 400.0),
        ("bbox", r#""bbox": [0, 0, 20, 10],"#, 200.0),
        ("extent", "", 0.0), // the keypoints lie on a line: their box has no area
    ] {
        let input = temp_file(&format!("pose_results_{name}.json"), &results(second));
        let written = nms(&input, &["--geometry", "keypoints", "--sigmas", "0.1,0.1"]);
        let got = scores(&written)[1];
        assert!((got - decayed(area_b)).abs() < 1e-12, "{name}: {got} vs {}", decayed(area_b));
    }
}

/// Two 4 x 4 masks of one image: columns 0-1 and columns 1-2 (IoU 4 / 12), and one of another
/// category; counts are column-major runs, as COCO writes them.
const MASKS: &str = r#"[
    {"image_id": 2, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [0, 8, 8]}, "score": 0.9},
    {"image_id": 2, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [4, 8, 4]}, "score": 0.8},
    {"image_id": 2, "category_id": 3, "segmentation": {"size": [4, 4], "counts": [4, 8, 4]}, "score": 0.7}]"#;

#[test]
fn masks_are_suppressed_by_mask_iou() {
    let input = temp_file("masks.json", MASKS);
    let hard = nms(&input, &["--geometry", "mask", "--method", "hard", "--iou", "0.3"]);
    assert_eq!(scores(&hard), vec![0.9, 0.7]);
    let kept = nms(&input, &["--geometry", "mask", "--method", "hard", "--iou", "0.34"]);
    assert_eq!(scores(&kept), vec![0.9, 0.8, 0.7]);
    let soft = nms(&input, &["--geometry", "mask"]);
    let decayed = 0.8 * (-(1.0_f64 / 3.0).powi(2) / 0.5).exp();
    assert!((scores(&soft)[2] - decayed).abs() < 1e-12);
    // Masks are written as COCO's compressed counts; the written file suppresses as the input
    // did, so the masks survived the round trip.
    assert_eq!(soft[2]["segmentation"]["size"], serde_json::json!([4, 4]));
    assert!(soft[2]["segmentation"]["counts"].is_string());
    let again = temp_file("masks_again.json", &soft.to_string());
    let hard_again = nms(&again, &["--geometry", "mask", "--method", "hard", "--iou", "0.3"]);
    assert_eq!(scores(&hard_again).len(), 2);
    let measure = nms(&input, &["--geometry", "mask", "--measure", "iomin", "--method", "hard", "--iou", "0.45"]);
    assert_eq!(scores(&measure), vec![0.9, 0.7]); // IoMin 4 / 8
}

#[test]
fn pose_and_mask_evaluation_score_perfect_detections_at_one() {
    let gt = temp_file(
        "gt_poses_masks.json",
        r#"{"images": [{"id": 1, "width": 4, "height": 4}], "categories": [{"id": 1}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 8, "iscrowd": 0,
                             "bbox": [0, 0, 2, 4], "num_keypoints": 2,
                             "keypoints": [0, 0, 2, 1, 3, 2],
                             "segmentation": {"size": [4, 4], "counts": [0, 8, 8]}}]}"#,
    );
    let ap = |geometry: &str, dt: &PathBuf| {
        let (input, gt) = (dt.to_str().unwrap(), gt.to_str().unwrap());
        let out = softkit(&["nms", "--geometry", geometry, "--sigmas", "0.1,0.1", "--input", input, "--gt", gt]);
        assert!(out.status.success(), "{}", stderr(&out));
        let summary = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = summary.lines().nth(1).unwrap().to_string();
        assert!(line.contains("Average Precision"), "{summary}");
        line.rsplit(' ').next().unwrap().parse::<f64>().unwrap()
    };
    let pose = temp_file(
        "dt_pose.json",
        r#"[{"image_id": 1, "category_id": 1, "keypoints": [0, 0, 2, 1, 3, 2], "score": 0.9}]"#,
    );
    assert_eq!(ap("keypoints", &pose), 1.0);
    let mask = temp_file(
        "dt_mask.json",
        r#"[{"image_id": 1, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [0, 8, 8]}, "score": 0.9}]"#,
    );
    let out = softkit(&["nms", "--geometry", "mask", "--input", mask.to_str().unwrap(), "--gt", gt.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().ends_with(" 1.000"), "{}", stderr(&out));
}

#[test]
fn pose_and_mask_input_errors_name_the_field() {
    let poses = temp_file("poses_errors.json", POSES);
    let run = |input: &Path, extra: &[&str]| {
        let out = softkit(&[&["nms", "--input", input.to_str().unwrap(), "--output", "/dev/null"], extra].concat());
        assert!(!out.status.success());
        stderr(&out)
    };
    let err = run(&poses, &["--geometry", "keypoints"]);
    assert!(err.contains("candidates[0] has 2 keypoints, but there are 17 sigmas (--sigmas) (image 1)"), "{err}");
    let err = run(&poses, &["--geometry", "keypoints", "--measure", "iou"]);
    assert!(err.contains("--measure: unknown measure \"iou\": poses are measured by \"oks\""), "{err}");
    let err = run(&poses, &["--geometry", "box", "--sigmas", "0.1"]);
    assert!(err.contains("--sigmas applies to --geometry keypoints only"), "{err}");
    let err = run(&poses, &["--geometry", "keypoints", "--sigmas", "0.1,-1"]);
    assert!(err.contains("--sigmas: -1 is not a finite number > 0"), "{err}");
    let err = run(&poses, &["--geometry", "mask"]);
    assert!(err.contains("candidates cannot hold masks"), "{err}");

    let odd = temp_file("pose_odd.json", r#"{"candidates": [[1, 0, 0.9, 100, 0, 0, 2, 10]]}"#);
    let err = run(&odd, &["--geometry", "keypoints"]);
    assert!(err.contains("candidates[0]"), "{err}");
    let nan = temp_file(
        "pose_nan.json",
        r#"[{"image_id": 1, "category_id": 1, "keypoints": [0, 0, 2], "area": -1, "score": 0.9}]"#,
    );
    let err = run(&nan, &["--geometry", "keypoints", "--sigmas", "0.1"]);
    assert!(err.contains("results[0]: poses[0].area = -1 is invalid: a finite number >= 0"), "{err}");

    let sizes = temp_file(
        "mask_sizes.json",
        r#"[{"image_id": 2, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [0, 16]}, "score": 0.9},
            {"image_id": 2, "category_id": 1, "segmentation": {"size": [2, 8], "counts": [0, 16]}, "score": 0.8}]"#,
    );
    let err = run(&sizes, &["--geometry", "mask"]);
    assert!(
        err.contains("results[1].segmentation is 2 x 8 (height x width) but results[0], of the same image 2, is 4 x 4"),
        "{err}"
    );
    let polygon = temp_file(
        "mask_polygon.json",
        r#"[{"image_id": 2, "category_id": 1, "segmentation": [[0, 0, 2, 0, 2, 2]], "score": 0.9}]"#,
    );
    let err = run(&polygon, &["--geometry", "mask"]);
    assert!(err.contains("results[0].segmentation is a polygon; mask suppression needs a run-length mask"), "{err}");
    let bad = temp_file(
        "mask_bad.json",
        r#"[{"image_id": 2, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [0, 15]}, "score": 0.9}]"#,
    );
    let err = run(&bad, &["--geometry", "mask"]);
    assert!(err.contains("results[0].segmentation: RLE counts sum to 15"), "{err}");
}
