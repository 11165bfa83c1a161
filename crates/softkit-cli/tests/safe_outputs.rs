//! Outputs never destroy data: an output that names an input is refused before anything is read,
//! every file is written all or nothing (a SIGKILL at any moment leaves the old file or the new
//! one, complete), and flags are checked, by the name the user typed, before the data is touched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

fn softkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_softkit")).args(args).output().expect("the softkit binary runs")
}

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softkit-cli-safe-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const RESULTS: &str = r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]"#;
const GT: &str = r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
  "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#;
const MOT: &str = "1,1,0,0,10,10,1,-1,-1,-1\n";

#[test]
fn an_output_that_names_an_input_is_refused_and_the_input_survives() {
    let d = dir("same");
    let (results, gt, mot) = (d.join("results.json"), d.join("gt.json"), d.join("gt.txt"));
    std::fs::write(&results, RESULTS).unwrap();
    std::fs::write(&gt, GT).unwrap();
    std::fs::write(&mot, MOT).unwrap();
    let (r, g, m) = (results.to_str().unwrap(), gt.to_str().unwrap(), mot.to_str().unwrap());
    let dotted = format!("{}/./results.json", d.display());
    let cases: [(Vec<&str>, &str); 7] = [
        (vec!["nms", "--input", r, "--output", r], "--output"),
        (vec!["nms", "--input", r, "--output", &dotted], "--output"),
        (vec!["nms", "--input", r, "--gt", g, "--output", g], "is the same file as --gt"),
        (vec!["eval", "--gt", g, "--dt", r, "--json", g], "--json"),
        (vec!["ablate", "--candidates", r, "--gt", g, "--json", r], "--json"),
        (vec!["track", "--detections", m, "--output", m], "--output"),
        (vec!["mot-eval", "--gt", m, "--tracks", m, "--json", m], "--json"),
    ];
    for (args, flag) in cases {
        let out = softkit(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(flag) && stderr.contains("refusing to overwrite an input"), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&results).unwrap(), RESULTS);
    assert_eq!(std::fs::read_to_string(&gt).unwrap(), GT);
    assert_eq!(std::fs::read_to_string(&mot).unwrap(), MOT);
}

#[test]
fn flags_are_checked_first_and_named_as_typed() {
    // The input does not exist: every flag error must come before any attempt to read it.
    let missing = "/nonexistent/candidates.json";
    let cases: [(Vec<&str>, &str); 5] = [
        (vec!["--iou", "0.5"], "--iou 0.5 does not apply to --method gaussian"),
        (
            vec!["--method", "hard", "--sigma", "0.5"],
            "--sigma 0.5 applies to --method gaussian, matrix and cluster-spm only, not --method hard",
        ),
        (vec!["--method", "linear", "--iou", "7"], "--iou: iou_threshold = 7 is invalid"),
        (vec!["--sigma", "-1"], "--sigma: sigma = -1 is invalid"),
        (vec!["--pixel-offset", "-1"], "--pixel-offset: pixel_offset = -1 is invalid"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["nms", "--input", missing, "--output", "/tmp/never-written.json"];
        args.extend(flags);
        let out = softkit(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: expected {expected:?} in {stderr:?}");
        assert!(!stderr.contains("candidates.json"), "a flag error must come first: {stderr}");
    }
}

/// A candidate table large enough that writing its results takes a while.
fn big_table(path: &Path) {
    let mut text = String::from("{\"candidates\": [");
    for i in 0..300_000 {
        let (x, y) = ((i * 37 % 9_000) as f64, (i * 91 % 9_000) as f64);
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "[{}, {}, {x}, {y}, {}, {}, 0.{:06}]",
            i / 3_000,
            i % 80,
            x + 20.0,
            y + 20.0,
            100_000 + i
        ));
    }
    text.push_str("]}");
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_kill_during_the_write_leaves_the_old_output_or_the_new_one_never_a_partial_file() {
    let d = dir("kill");
    let (input, output) = (d.join("candidates.json"), d.join("results.json"));
    big_table(&input);
    let args = [
        "nms",
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
        "--method",
        "hard",
        "--max-det",
        "100000",
    ];
    // A complete run, for the new content and how long a run takes.
    let start = Instant::now();
    assert!(softkit(&args).status.success());
    let full = start.elapsed();
    let new = std::fs::read(&output).unwrap();
    assert!(new.len() > 1_000_000, "the output should be large: {} bytes", new.len());
    let old = b"[] (the previous output)".to_vec();
    let mut killed_mid_run = 0;
    for step in 0..24 {
        std::fs::write(&output, &old).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_softkit"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill points spread over the whole run, the write at its end included.
        std::thread::sleep(full.mul_f64(step as f64 / 20.0));
        let _ = child.kill();
        let status = child.wait().unwrap();
        killed_mid_run += usize::from(!status.success());
        let now = std::fs::read(&output).unwrap();
        assert!(now == old || now == new, "step {step}: a partial file of {} bytes", now.len());
    }
    // A killed writer may leave its hidden `.results.json.PID.softkit-partial`; never a partial output.
    assert!(killed_mid_run > 5, "the kills should land mid-run ({killed_mid_run} did)");
}
