//! The NMS family behind `softkit nms --method` on the real candidate table of `../shared/data`:
//! each method's written rows against the library's on the same rows (Matrix, Fast, Cluster-NMS
//! with its score penalty, DIoU-NMS, OpenCV's adaptive threshold), `cluster` as hard NMS, the
//! fusions as `softkit fuse` does them, and the rows `softkit ablate` gained.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{softkit, stderr, temp_file};
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_io::{Detections, read_detections};
use softkit_nms::{FusionParams, MatrixKernel, ModelDetections, Policy, SuppressParams, fuse, suppress_per_image};

const CANDIDATES: &str = "yolox-nano/candidates_val2017_100.json";
const GT: &str = "coco-val2014-100/instances_val2014_100.json";

/// A file of `../shared/data` beside the repository; a missing file fails with the path expected.
fn data(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(relative);
    assert!(path.exists(), "test data missing: expected {} (../shared/data beside the repository)", path.display());
    path.to_str().expect("UTF-8 path").to_string()
}

/// A fresh path in this test process's temporary folder (nothing there yet).
fn output(name: &str) -> String {
    let path = temp_file(&format!("nms-family-{name}"), "");
    std::fs::remove_file(&path).unwrap();
    path.to_str().unwrap().to_string()
}

/// The candidate table, read once by `softkit-io` as the CLI reads it.
fn candidates() -> &'static Detections {
    static DETS: OnceLock<Detections> = OnceLock::new();
    DETS.get_or_init(|| read_detections(data(CANDIDATES)).expect("the candidate table reads"))
}

/// One COCO result as written.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    image_id: i64,
    category_id: i64,
    /// `[x, y, w, h]`.
    bbox: [f64; 4],
    score: f64,
}

impl Row {
    /// The row from a box's corners.
    fn from_corners(image_id: i64, category_id: i64, [x1, y1, x2, y2]: [f64; 4], score: f64) -> Self {
        Row { image_id, category_id, bbox: [x1, y1, x2 - x1, y2 - y1], score }
    }
}

/// The rows of a COCO results file.
fn read_rows(path: &str) -> Vec<Row> {
    let value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value
        .as_array()
        .expect("a results list")
        .iter()
        .map(|r| {
            let bbox: Vec<f64> = r["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            Row {
                image_id: r["image_id"].as_i64().unwrap(),
                category_id: r["category_id"].as_i64().unwrap(),
                bbox: bbox.try_into().expect("4 numbers"),
                score: r["score"].as_f64().unwrap(),
            }
        })
        .collect()
}

/// `softkit nms --input <candidates> <args> --output <name>`; the written rows.
fn nms(name: &str, args: &[&str]) -> Vec<Row> {
    let out_path = output(name);
    let input = data(CANDIDATES);
    let run = softkit(&[&["nms", "--input", input.as_str()], args, &["--output", out_path.as_str()]].concat());
    assert!(run.status.success(), "softkit nms {args:?}: {}", stderr(&run));
    let method = args.iter().skip_while(|&&a| a != "--method").nth(1).expect("a --method");
    assert!(stderr(&run).contains("88907 candidates in 100 images -> "), "{}", stderr(&run));
    assert!(stderr(&run).contains(&format!("({method}, ")), "{}", stderr(&run));
    read_rows(&out_path)
}

/// The library's kept rows: the CLI's defaults (score threshold 0.001, 100 per image), per image
/// and category, in the engine's order.
fn library(policy: Policy, measure: BoxMeasure) -> Vec<Row> {
    let dets = candidates();
    let boxes = dets.xyxy();
    let set = BoxSet::new(&boxes, measure, 0.0).unwrap();
    let params = SuppressParams::new(policy).with_score_threshold(0.001).with_max_output(100);
    let kept = suppress_per_image(&set, &dets.scores, &dets.image_ids, &dets.category_ids, &params).unwrap();
    kept.indices
        .iter()
        .zip(&kept.scores)
        .map(|(&r, &score)| Row::from_corners(dets.image_ids[r], dets.category_ids[r], boxes[r], score))
        .collect()
}

/// Row for row: the same image, category, box (to 1e-9) and score (to 1e-9), in the same order.
fn assert_same(what: &str, got: &[Row], want: &[Row]) {
    assert_eq!(got.len(), want.len(), "{what}: {} rows written, {} expected", got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9;
        assert!(
            g.image_id == w.image_id
                && g.category_id == w.category_id
                && close(g.score, w.score)
                && g.bbox.iter().zip(&w.bbox).all(|(&a, &b)| close(a, b)),
            "{what}: row {k} is {g:?}, expected {w:?}"
        );
    }
}

#[test]
fn each_new_policy_writes_the_library_rows() {
    let diou = |beta| BoxMeasure::Diou { beta };
    let gaussian = |sigma| Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma } };
    let cases: Vec<(&str, Vec<&str>, Policy, BoxMeasure)> = vec![
        // Matrix NMS's sigma defaults to SOLOv2's 2, which multiplies.
        ("matrix", vec!["--method", "matrix"], gaussian(2.0), BoxMeasure::Iou),
        ("matrix-sigma", vec!["--method", "matrix", "--sigma", "0.5"], gaussian(0.5), BoxMeasure::Iou),
        (
            "matrix-linear",
            vec!["--method", "matrix-linear"],
            Policy::Matrix { kernel: MatrixKernel::Linear },
            BoxMeasure::Iou,
        ),
        ("fast", vec!["--method", "fast"], Policy::Fast { iou_threshold: 0.5 }, BoxMeasure::Iou),
        ("fast-0.65", vec!["--method", "fast", "--iou", "0.65"], Policy::Fast { iou_threshold: 0.65 }, BoxMeasure::Iou),
        // Cluster-NMS's score penalty: sigma defaults to the paper's 0.2, the threshold to 0.5.
        (
            "cluster-spm",
            vec!["--method", "cluster-spm"],
            Policy::ClusterPenalty { iou_threshold: 0.5, sigma: 0.2 },
            BoxMeasure::Iou,
        ),
        (
            "cluster-spm-set",
            vec!["--method", "cluster-spm", "--iou", "0.6", "--sigma", "0.5"],
            Policy::ClusterPenalty { iou_threshold: 0.6, sigma: 0.5 },
            BoxMeasure::Iou,
        ),
        // DIoU-NMS is hard NMS on DIoU, beta 1 unless given.
        ("diou", vec!["--method", "diou"], Policy::Hard { iou_threshold: 0.5 }, diou(1.0)),
        ("diou-0.6", vec!["--method", "diou", "--iou", "0.6"], Policy::Hard { iou_threshold: 0.6 }, diou(1.0)),
        ("diou-beta", vec!["--method", "diou", "--beta", "0.6"], Policy::Hard { iou_threshold: 0.5 }, diou(0.6)),
        // OpenCV's adaptive threshold.
        (
            "adaptive",
            vec!["--method", "hard", "--iou", "0.7", "--eta", "0.9"],
            Policy::Adaptive { iou_threshold: 0.7, eta: 0.9 },
            BoxMeasure::Iou,
        ),
    ];
    // Hard NMS at each threshold used, so that no case may pass as plain hard NMS.
    let mut written: Vec<(String, Vec<Row>)> = [0.5, 0.6, 0.65, 0.7]
        .into_iter()
        .map(|t| (format!("hard NMS, IoU {t}"), library(Policy::Hard { iou_threshold: t }, BoxMeasure::Iou)))
        .collect();
    for (name, args, policy, measure) in cases {
        let got = nms(name, &args);
        assert_same(&format!("softkit nms {}", args.join(" ")), &got, &library(policy, measure));
        // Every image keeps at most 100 rows, and every score passes the threshold.
        let mut per_image = std::collections::BTreeMap::new();
        for row in &got {
            *per_image.entry(row.image_id).or_insert(0) += 1;
            assert!(row.score >= 0.001 && row.score <= 1.0, "{name}: {row:?}");
        }
        assert!(per_image.values().all(|&n| n <= 100) && per_image.values().any(|&n| n == 100), "{name}");
        written.push((name.to_string(), got));
    }
    // No two of these agree: the comparisons above are not vacuous.
    for (i, (a, rows_a)) in written.iter().enumerate() {
        for (b, rows_b) in &written[i + 1..] {
            assert_ne!(rows_a, rows_b, "{a} and {b} wrote the same rows");
        }
    }
}

#[test]
fn cluster_is_hard_nms() {
    for iou in [None, Some("0.3"), Some("0.65")] {
        let extra: Vec<&str> = iou.map(|t| vec!["--iou", t]).unwrap_or_default();
        let tag = iou.unwrap_or("default");
        let cluster = nms(&format!("cluster-{tag}"), &[&["--method", "cluster"], &extra[..]].concat());
        let hard = nms(&format!("hard-{tag}"), &[&["--method", "hard"], &extra[..]].concat());
        assert_eq!(cluster, hard, "--method cluster and hard at --iou {tag}");
        let threshold = iou.map_or(0.5, |t| t.parse().unwrap());
        assert_same(
            &format!("softkit nms --method cluster --iou {threshold}"),
            &cluster,
            &library(Policy::Hard { iou_threshold: threshold }, BoxMeasure::Iou),
        );
    }
}

#[test]
fn adaptive_threshold_edges_are_hard_nms() {
    // OpenCV lowers the threshold only while it is above 0.5, so from 0.5 it never moves; eta 1
    // never lowers it.
    assert_eq!(nms("eta-at-0.5", &["--method", "hard", "--eta", "0.9"]), nms("hard-0.5", &["--method", "hard"]));
    assert_eq!(
        nms("eta-1", &["--method", "hard", "--iou", "0.7", "--eta", "1"]),
        nms("hard-0.7", &["--method", "hard", "--iou", "0.7"])
    );
    // `--measure iou` or `diou` beside `--method diou` changes nothing: the method measures by DIoU.
    let beta = ["--method", "diou", "--beta", "0.6"];
    let plain = nms("diou-plain", &beta);
    assert_eq!(nms("diou-measure-diou", &[&beta[..], &["--measure", "diou"]].concat()), plain);
    assert_eq!(nms("diou-measure-iou", &[&beta[..], &["--measure", "iou"]].concat()), plain);
}

#[test]
fn fast_nms_keeps_a_subset_of_hard_nms() {
    // With no cap per image, Fast NMS (which also lets removed boxes remove) keeps a subset of
    // hard NMS's boxes, at their input scores.
    for iou in ["0.5", "0.65"] {
        let cap = ["--max-det", "100000", "--iou", iou];
        let fast = nms(&format!("fast-all-{iou}"), &[&["--method", "fast"], &cap[..]].concat());
        let hard = nms(&format!("hard-all-{iou}"), &[&["--method", "hard"], &cap[..]].concat());
        assert!(fast.len() < hard.len(), "--iou {iou}: fast kept {}, hard {}", fast.len(), hard.len());
        for row in &fast {
            assert!(hard.contains(row), "--iou {iou}: fast kept {row:?}, which hard NMS did not");
        }
    }
}

/// The first `max_det` rows of each image (rows come image by image).
fn top_per_image(rows: Vec<Row>, max_det: usize) -> Vec<Row> {
    rows.chunk_by(|a, b| a.image_id == b.image_id).flat_map(|group| group.iter().take(max_det).cloned()).collect()
}

#[test]
fn fusions_are_softkit_fuse_and_the_library() {
    let input = data(CANDIDATES);
    let dets = candidates();
    let boxes = dets.xyxy();
    let mut images = dets.image_ids.clone();
    images.sort_unstable();
    images.dedup();
    for (method, iou) in [("wbf", None), ("nmw", None), ("wbf", Some("0.7")), ("nmw", Some("0.4"))] {
        let extra: Vec<&str> = iou.map(|t| vec!["--iou", t]).unwrap_or_default();
        let tag = format!("{method}-{}", iou.unwrap_or("default"));
        let got = nms(&tag, &[&["--method", method], &extra[..]].concat());
        // `softkit fuse` of the one file, with the same skip threshold, cut to 100 per image.
        let fused_path = output(&format!("fuse-{tag}"));
        let threshold = iou.unwrap_or("0.55");
        let run = softkit(&[
            "fuse",
            "--inputs",
            &input,
            "--method",
            method,
            "--iou",
            threshold,
            "--skip",
            "0.001",
            "--output",
            &fused_path,
        ]);
        assert!(run.status.success(), "{}", stderr(&run));
        let fused = top_per_image(read_rows(&fused_path), 100);
        assert_same(&format!("softkit nms --method {method} --iou {threshold} vs softkit fuse"), &got, &fused);
        // The library, image by image, the file as one model.
        let params = if method == "wbf" { FusionParams::wbf() } else { FusionParams::nmw() };
        let params = params.with_iou_threshold(threshold.parse().unwrap()).with_skip_threshold(0.001);
        let mut want = Vec::new();
        for &image in &images {
            let rows: Vec<usize> = (0..dets.len()).filter(|&r| dets.image_ids[r] == image).collect();
            let items: Vec<[f64; 4]> = rows.iter().map(|&r| boxes[r]).collect();
            let scores: Vec<f64> = rows.iter().map(|&r| dets.scores[r]).collect();
            let labels: Vec<i64> = rows.iter().map(|&r| dets.category_ids[r]).collect();
            let out = fuse(&[ModelDetections { items: &items, scores: &scores, labels: &labels }], &params).unwrap();
            for k in 0..out.items.len().min(100) {
                want.push(Row::from_corners(image, out.labels[k], out.items[k], out.scores[k]));
            }
        }
        assert_same(&format!("softkit nms --method {method} --iou {threshold} vs fuse"), &got, &want);
    }
}

/// The AP that `softkit nms --gt` prints (3 decimals).
fn printed_ap(args: &[&str]) -> f64 {
    let (input, gt) = (data(CANDIDATES), data(GT));
    let run = softkit(&[&["nms", "--input", input.as_str(), "--gt", gt.as_str()], args].concat());
    assert!(run.status.success(), "{}", stderr(&run));
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let line = stdout.lines().find(|l| l.contains("(AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]")).unwrap();
    line.rsplit("= ").next().unwrap().trim().parse().unwrap()
}

#[test]
fn ablate_lists_every_new_row_as_the_nms_methods_score() {
    let json = output("ablate.json");
    let run = softkit(&["ablate", "--candidates", &data(CANDIDATES), "--gt", &data(GT), "--json", &json]);
    assert!(run.status.success(), "{}", stderr(&run));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = written["rows"].as_array().unwrap();
    let row = |method: &str| -> &serde_json::Value {
        rows.iter().find(|r| r["method"] == method).unwrap_or_else(|| panic!("ablate has no row {method:?}"))
    };
    // Each new row, with the `softkit nms` flags that run the same policy, where there are some.
    let new_rows: [(&str, &[&str]); 10] = [
        ("DIoU-NMS, IoU 0.5", &["--method", "diou"]),
        ("DIoU-NMS, IoU 0.5, beta 0.6", &["--method", "diou", "--beta", "0.6"]),
        ("OpenCV adaptive, IoU 0.7, eta 0.9", &["--method", "hard", "--iou", "0.7", "--eta", "0.9"]),
        ("Matrix NMS gaussian, sigma 2", &["--method", "matrix"]),
        ("Matrix NMS linear", &["--method", "matrix-linear"]),
        ("Fast NMS, IoU 0.5", &["--method", "fast"]),
        ("Fast NMS, IoU 0.65", &["--method", "fast", "--iou", "0.65"]),
        ("Cluster-NMS + SPM, IoU 0.5", &["--method", "cluster-spm"]),
        ("Weighted Cluster-NMS, IoU 0.5", &[]),
        ("Soft-NMS gaussian + soft voting", &[]),
    ];
    let fusions: [(&str, &[&str]); 2] =
        [("WBF (one model), IoU 0.55", &["--method", "wbf"]), ("NMW (one model), IoU 0.55", &["--method", "nmw"])];
    for (name, args) in new_rows.iter().chain(&fusions) {
        let r = row(name);
        let stats: Vec<f64> = r["stats"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(stats.len(), 12, "{name}");
        assert!(stats.iter().all(|s| s.is_finite() && (0.0..=1.0).contains(s)), "{name}: {stats:?}");
        assert!(stats[0] > 0.0 && stats[1] >= stats[0], "{name}: {stats:?}");
        assert!(r["kept"].as_u64().is_some_and(|k| k > 0), "{name}: {r}");
        assert!(r["nms_ms"].as_f64().is_some_and(|ms| ms.is_finite() && ms >= 0.0), "{name}: {r}");
        // The same policy through `softkit nms --gt` scores the same AP (printed to 3 decimals).
        if !args.is_empty() {
            let printed = printed_ap(args);
            assert!(
                (printed - stats[0]).abs() <= 5e-4 + 1e-12,
                "{name}: ablate AP {}, nms {args:?} {printed}",
                stats[0]
            );
        }
    }
    // Voting moves the kept boxes and drops none.
    for (voted, plain) in [
        ("Weighted Cluster-NMS, IoU 0.5", "hard NMS, IoU 0.5"),
        ("Soft-NMS gaussian + soft voting", "Soft-NMS gaussian, sigma 0.5"),
    ] {
        assert_eq!(row(voted)["kept"], row(plain)["kept"], "{voted} vs {plain}");
        assert_ne!(row(voted)["stats"], row(plain)["stats"], "{voted} vs {plain}: voting changed nothing");
    }
}
