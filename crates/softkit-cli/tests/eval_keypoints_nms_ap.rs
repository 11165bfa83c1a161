//! `softkit eval --iou-type keypoints` and `softkit eval --nms-ap`: the summaries pycocotools and
//! OVDEval print, on small hand-made files and on the parity set of `../shared/data`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn softkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_softkit")).args(args).output().expect("the softkit binary runs")
}

fn data(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(relative);
    assert!(path.exists(), "test data missing: expected {} (../shared/data beside the repository)", path.display());
    path.to_str().expect("UTF-8 path").to_string()
}

fn temp_file(name: &str, contents: &str) -> String {
    let dir: PathBuf = std::env::temp_dir().join(format!("softkit-cli-kp-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn stats(path: &str) -> Vec<f64> {
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["stats"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

/// 17 keypoints `[x, y, 2]` spread over a person's box at `(x0, y0)`.
fn skeleton(x0: f64, y0: f64, shift: f64) -> String {
    let points: Vec<String> =
        (0..17).map(|i| format!("{}, {}, 2", x0 + 3.0 * i as f64 + shift, y0 + 6.0 * i as f64)).collect();
    format!("[{}]", points.join(", "))
}

#[test]
fn keypoints_print_the_ten_line_summary() {
    let gt = temp_file(
        "kp_gt.json",
        &format!(
            r#"{{"images": [{{"id": 1}}, {{"id": 2}}], "categories": [{{"id": 1, "name": "person"}}],
                "annotations": [
                  {{"id": 1, "image_id": 1, "category_id": 1, "area": 5000, "iscrowd": 0, "bbox": [10, 10, 50, 100],
                    "num_keypoints": 17, "keypoints": {}}},
                  {{"id": 2, "image_id": 2, "category_id": 1, "area": 20000, "iscrowd": 0, "bbox": [10, 10, 50, 100],
                    "num_keypoints": 17, "keypoints": {}}}]}}"#,
            skeleton(10.0, 10.0, 0.0),
            skeleton(10.0, 10.0, 0.0)
        ),
    );
    // Image 1: exact. Image 2: every keypoint 40 px off, OKS about 0.2: a miss at every threshold.
    let dt = temp_file(
        "kp_dt.json",
        &format!(
            r#"[{{"image_id": 1, "category_id": 1, "keypoints": {}, "score": 0.9}},
                {{"image_id": 2, "category_id": 1, "keypoints": {}, "score": 0.8}}]"#,
            skeleton(10.0, 10.0, 0.0),
            skeleton(10.0, 10.0, 40.0)
        ),
    );
    let json = temp_file("kp_summary.json", "");
    let out = softkit(&["eval", "--gt", &gt, "--dt", &dt, "--iou-type", "keypoints", "--json", &json]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 10, "{stdout}");
    assert_eq!(lines[0], " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.505");
    assert_eq!(lines[3], " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets= 20 ] = 1.000");
    assert_eq!(lines[4], " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets= 20 ] = 0.000");
    assert_eq!(lines[5], " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 0.500");
    let s = stats(&json);
    assert_eq!(s.len(), 10);
    assert!((s[0] - 0.504950495049505).abs() < 1e-12, "{s:?}");
    assert_eq!(s[8], 1.0);
    assert_eq!(s[9], 0.0);
}

#[test]
fn nms_ap_removes_a_hedge_and_scores_lower() {
    let gt = temp_file(
        "hedge_gt.json",
        r#"{"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1}, {"id": 2}],
            "annotations": [
              {"id": 1, "image_id": 1, "category_id": 1, "area": 400, "iscrowd": 0, "bbox": [0, 0, 20, 20]},
              {"id": 2, "image_id": 2, "category_id": 2, "area": 400, "iscrowd": 0, "bbox": [0, 0, 20, 20]}]}"#,
    );
    let dt = temp_file(
        "hedge_dt.json",
        r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.9},
            {"image_id": 2, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.6},
            {"image_id": 2, "category_id": 2, "bbox": [0, 0, 20, 20], "score": 0.5}]"#,
    );
    let (plain, nms) = (temp_file("plain.json", ""), temp_file("nms.json", ""));
    let out = softkit(&["eval", "--gt", &gt, "--dt", &dt, "--json", &plain]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = softkit(&["eval", "--gt", &gt, "--dt", &dt, "--nms-ap", "--json", &nms]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("3 detections, NMS-AP removed 1 of them"), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 12);
    let (plain, nms) = (stats(&plain), stats(&nms));
    assert!((plain[0] - 1.0).abs() < 1e-12, "{plain:?}");
    assert!((nms[0] - 0.5).abs() < 1e-12, "{nms:?}");
}

#[test]
fn nms_ap_on_the_parity_set_never_exceeds_ap_recall() {
    let gt = data("coco-val2014-100/instances_val2014_100.json");
    let dt = data("coco-val2014-100/instances_val2014_fakebbox100_results.json");
    let (plain, nms) = (temp_file("parity_plain.json", ""), temp_file("parity_nms.json", ""));
    assert!(softkit(&["eval", "--gt", &gt, "--dt", &dt, "--json", &plain]).status.success());
    let out = softkit(&["eval", "--gt", &gt, "--dt", &dt, "--nms-ap", "--json", &nms]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let removed: usize = stderr
        .split("NMS-AP removed ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no removal count in {stderr:?}"));
    let (plain, nms) = (stats(&plain), stats(&nms));
    // Removing detections can only lose matches: recall at every maxDets is at most the plain one.
    for i in 6..9 {
        assert!(nms[i] <= plain[i] + 1e-12, "stat {i}: {} > {}", nms[i], plain[i]);
    }
    assert!(removed > 0, "the fake detections hedge some objects");
    assert!(nms[0] > 0.0 && nms[0] != plain[0], "{nms:?} vs {plain:?}");
}
