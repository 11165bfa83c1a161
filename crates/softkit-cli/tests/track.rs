//! `softkit track` and `softkit mot-eval` on the TUD sequences: py-motmetrics' published figures,
//! a folder with an overall row, the tracker end to end, and clear errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/mot");

fn softkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_softkit")).args(args).output().expect("the softkit binary runs")
}

fn data(path: &str) -> String {
    let full = format!("{MOT}/{path}");
    assert!(Path::new(&full).exists(), "test data missing: expected {full} (../shared/data beside the repository)");
    full
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softkit-cli-track-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn mot_eval_reproduces_py_motmetrics_on_the_tud_sequences() {
    // py-motmetrics 1.4.0's figures (IDF1, MOTA, MOTP), per sequence.
    for (seq, idf1, mota, motp) in [("TUD-Campus", 0.5577, 0.5265, 0.2772), ("TUD-Stadtmitte", 0.6446, 0.5640, 0.3459)]
    {
        let out_json = temp(&format!("{seq}.json"));
        let out = softkit(&[
            "mot-eval",
            "--gt",
            &data(&format!("{seq}/gt.txt")),
            "--tracks",
            &data(&format!("{seq}/test.txt")),
            "--json",
            out_json.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let report = json(&out_json);
        let m = &report["sequences"][seq];
        for (name, want) in [("idf1", idf1), ("mota", mota), ("motp", motp)] {
            let got = m[name].as_f64().unwrap();
            assert!((got - want).abs() < 5e-5, "{seq} {name}: {got} vs {want}");
        }
        assert!(text(&out.stdout).contains(seq));
        let hota = m["hota"].as_f64().unwrap();
        assert!(hota > 0.0 && hota < 1.0);
    }
}

#[test]
fn a_folder_gets_a_row_per_sequence_and_an_overall_row() {
    let out_json = temp("folder.json");
    let out = softkit(&["mot-eval", "--gt", MOT, "--tracks", MOT, "--json", out_json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("TUD-Campus") && stdout.contains("TUD-Stadtmitte") && stdout.contains("OVERALL"),
        "{stdout}"
    );
    let report = json(&out_json);
    let (campus, stadt, overall) =
        (&report["sequences"]["TUD-Campus"], &report["sequences"]["TUD-Stadtmitte"], &report["overall"]);
    let count = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap();
    for k in ["num_objects", "num_false_positives", "num_misses", "num_switches", "num_unique_objects"] {
        assert_eq!(count(overall, k), count(campus, k) + count(stadt, k), "{k}");
    }
    assert!(overall["hota"].as_f64().is_some());
    let mota = overall["mota"].as_f64().unwrap();
    let by_hand = 1.0
        - (count(overall, "num_misses") + count(overall, "num_switches") + count(overall, "num_false_positives"))
            as f64
            / count(overall, "num_objects") as f64;
    assert_eq!(mota, by_hand);
}

#[test]
fn no_hota_skips_hota_and_keeps_the_rest() {
    let (with, without) = (temp("with.json"), temp("without.json"));
    let gt = data("TUD-Campus/gt.txt");
    let tracks = data("TUD-Campus/test.txt");
    for (path, extra) in [(&with, None), (&without, Some("--no-hota"))] {
        let mut args = vec!["mot-eval", "--gt", &gt, "--tracks", &tracks, "--json", path.to_str().unwrap()];
        args.extend(extra);
        let out = softkit(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let (with, without) = (json(&with), json(&without));
    let (a, b) = (&with["sequences"]["TUD-Campus"], &without["sequences"]["TUD-Campus"]);
    assert!(b.get("hota").is_none() && a.get("hota").is_some());
    assert_eq!(a["idf1"], b["idf1"]);
    assert_eq!(a["mota"], b["mota"]);
}

#[test]
fn track_then_mot_eval_end_to_end() {
    // The TUD test boxes as detections (they carry no scores: --no-scores).
    let tracks = temp("campus_tracks.txt");
    let out = softkit(&[
        "track",
        "--detections",
        &data("TUD-Campus/test.txt"),
        "--output",
        tracks.to_str().unwrap(),
        "--no-scores",
        "--nms",
        "0.7",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&tracks).unwrap();
    assert!(written.lines().count() > 100, "{written}");
    assert!(written.lines().all(|l| l.split(',').count() == 10));
    let out_json = temp("campus_tracked.json");
    let out = softkit(&[
        "mot-eval",
        "--gt",
        &data("TUD-Campus/gt.txt"),
        "--tracks",
        tracks.to_str().unwrap(),
        "--json",
        out_json.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = json(&out_json);
    let m = report["sequences"].as_object().unwrap().values().next().unwrap();
    assert!(m["mota"].as_f64().unwrap() > 0.4, "{m}");
    assert!(m["idf1"].as_f64().unwrap() > 0.4, "{m}");
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let malformed = temp("malformed.txt");
    std::fs::write(&malformed, "1,1,0,0,10,10,1\n2,1,0,zero,10,10,1\n").unwrap();
    let duplicate = temp("duplicate.txt");
    std::fs::write(&duplicate, "1,1,0,0,10,10,1\n1,1,5,5,10,10,1\n").unwrap();
    let m = malformed.to_str().unwrap();
    let d = duplicate.to_str().unwrap();
    let cases: [(Vec<&str>, String); 4] = [
        (vec!["mot-eval", "--gt", m, "--tracks", m], format!(r#"{m}:2: y = "zero" is not a number"#)),
        (vec!["mot-eval", "--gt", d, "--tracks", d], format!("{d}: rows[1]: id 1 appears twice in frame 1")),
        (vec!["track", "--detections", m, "--output", "/nonexistent/never.txt"], format!(r#"{m}:2: y = "zero""#)),
        (vec!["mot-eval", "--gt", m, "--tracks", m, "--max-distance", "2"], "max_distance = 2 is invalid".to_string()),
    ];
    for (args, expected) in cases {
        let out = softkit(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&expected), "{args:?}: expected {expected:?} in {stderr:?}");
    }
}
