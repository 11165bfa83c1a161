//! `softkit eval --plot DIR` on the parity set: two readable PNG files of the expected size and
//! a JSON summary with pycocotools' numbers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The parity set, beside the repository.
const PARITY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/coco-val2014-100/");

fn softkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_softkit")).args(args).output().expect("the softkit binary runs")
}

fn data(name: &str) -> String {
    let path = format!("{PARITY}{name}");
    assert!(Path::new(&path).exists(), "test data missing: expected {path} (../shared/data beside the repository)");
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softkit-cli-plots-test-{}-{name}", std::process::id()));
    // A stale directory from an earlier run must not make a missing file look written.
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(value: &serde_json::Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(|v| v.as_f64().expect("a number")).collect()
}

/// Checks the PNG signature and the IHDR chunk, and returns (width, height, file size).
fn png_size(path: &Path) -> (u32, u32, usize) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.len() > 24, "{}: too short for a PNG", path.display());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}: not a PNG signature", path.display());
    // The first chunk is IHDR: length 13, type, then width and height as big-endian u32.
    assert_eq!(&bytes[8..16], b"\x00\x00\x00\x0dIHDR", "{}: no IHDR chunk first", path.display());
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (width, height, bytes.len())
}

#[test]
fn eval_plot_writes_pr_curves_per_class_ap_and_summary() {
    let dir = temp_dir("bbox").join("nested/reports");
    let out = softkit(&[
        "eval",
        "--gt",
        &data("instances_val2014_100.json"),
        "--dt",
        &data("instances_val2014_fakebbox100_results.json"),
        "--plot",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("pr_curves.png"), "{}", text(&out.stderr));

    let summary = read_json(&dir.join("summary.json"));
    let stats = floats(&summary["stats"]);
    let expected = floats(
        &read_json(Path::new(&data("expected_pycocotools.json")))["bbox:instances_val2014_fakebbox100_results.json"],
    );
    assert_eq!(stats.len(), 12);
    for (i, (got, want)) in stats.iter().zip(&expected).enumerate() {
        assert!((got - want).abs() <= 1e-9, "stat {i}: softkit {got}, pycocotools {want}");
    }
    let per_class = summary["per_class_ap"].as_object().expect("per_class_ap");
    assert_eq!(per_class.len(), 80);
    let with_gt = per_class.values().filter(|v| v.as_f64().is_some_and(|ap| ap > -1.0)).count();
    assert_eq!(with_gt, 70, "10 of the 80 categories have no ground truth in the parity set");

    // A blank white 1000x750 PNG deflates to about 4 KB; curves, grid and text make far more.
    let (width, height, size) = png_size(&dir.join("pr_curves.png"));
    assert_eq!((width, height), (1000, 750));
    assert!(size > 20_000, "pr_curves.png is {size} bytes: blank?");
    // One bar per category with ground truth: 150 px of title and axis, 18 px a bar.
    let (width, height, size) = png_size(&dir.join("per_class_ap.png"));
    assert_eq!((width, height), (1000, 150 + 18 * with_gt as u32));
    assert!(size > 20_000, "per_class_ap.png is {size} bytes: blank?");
}

#[test]
fn eval_plot_names_a_directory_it_cannot_create() {
    let dir = temp_dir("blocked");
    std::fs::create_dir_all(&dir).unwrap();
    // A file where the directory should be.
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let target = blocker.join("plots");
    let out = softkit(&[
        "eval",
        "--gt",
        &data("instances_val2014_100.json"),
        "--dt",
        &data("instances_val2014_fakebbox100_results.json"),
        "--plot",
        target.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains(target.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("cannot create the directory"), "{stderr}");
}

/// 17 keypoints `[x, y, 2]` spread over a person's box at `(x0, y0)`.
fn skeleton(x0: f64, y0: f64, shift: f64) -> String {
    let points: Vec<String> =
        (0..17).map(|i| format!("{}, {}, 2", x0 + 3.0 * i as f64 + shift, y0 + 6.0 * i as f64)).collect();
    format!("[{}]", points.join(", "))
}

#[test]
fn eval_plot_works_for_keypoints() {
    let dir = temp_dir("keypoints");
    std::fs::create_dir_all(&dir).unwrap();
    let gt = dir.join("kp_gt.json");
    let annotation = |id: u32, area: u32| {
        format!(
            r#"{{"id": {id}, "image_id": {id}, "category_id": 1, "area": {area}, "iscrowd": 0,
                "bbox": [10, 10, 50, 100], "num_keypoints": 17, "keypoints": {}}}"#,
            skeleton(10.0, 10.0, 0.0)
        )
    };
    std::fs::write(
        &gt,
        format!(
            r#"{{"images": [{{"id": 1}}, {{"id": 2}}], "categories": [{{"id": 1, "name": "person"}}],
                "annotations": [{}, {}]}}"#,
            annotation(1, 5000),
            annotation(2, 20000)
        ),
    )
    .unwrap();
    // Image 1 exact, image 2 every keypoint 40 px off: AP 0.505, as pycocotools gives.
    let dt = dir.join("kp_dt.json");
    std::fs::write(
        &dt,
        format!(
            r#"[{{"image_id": 1, "category_id": 1, "keypoints": {}, "score": 0.9}},
                {{"image_id": 2, "category_id": 1, "keypoints": {}, "score": 0.8}}]"#,
            skeleton(10.0, 10.0, 0.0),
            skeleton(10.0, 10.0, 40.0)
        ),
    )
    .unwrap();
    let plots = dir.join("plots");
    let out = softkit(&[
        "eval",
        "--gt",
        gt.to_str().unwrap(),
        "--dt",
        dt.to_str().unwrap(),
        "--iou-type",
        "keypoints",
        "--plot",
        plots.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = read_json(&plots.join("summary.json"));
    let stats = floats(&summary["stats"]);
    assert_eq!(stats.len(), 10);
    assert!((stats[0] - 0.504950495049505).abs() < 1e-12, "{stats:?}");
    assert_eq!(png_size(&plots.join("pr_curves.png")).0, 1000);
    let (width, height, _) = png_size(&plots.join("per_class_ap.png"));
    assert_eq!((width, height), (1000, 150 + 18));
}
