//! `hota` against TrackEval 1.0's `HOTA.eval_sequence` and `combine_sequences`: the two TUD
//! sequences and seeded synthetic ones with crossings, occlusions, id swaps, empty frames, exact
//! ties and degenerate boxes (fixture: `tests/fixtures/make_hota_fixture.py`). Every component, at
//! every threshold and averaged, must equal TrackEval's to 1e-9; in fact each is the same double.

use serde_json::Value;
use softkit_track::{HOTA_ALPHAS, Hota, Sequence, hota};

const MOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/mot");

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hota_cases.json");
    let text = std::fs::read_to_string(path).expect("the fixture is in the repository");
    serde_json::from_str(&text).unwrap()
}

/// A float the fixture writes as Python's `repr`, read exactly.
fn exact(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// A MOTChallenge CSV (`frame, id, x, y, w, h, conf, ...`); ground-truth rows with `conf < 1` are
/// dropped (zero-marked objects). The user-facing reader lives elsewhere.
fn read_mot(path: &str, is_gt: bool) -> Sequence {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (mut frames, mut ids, mut boxes) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Vec<f64> = line.split(',').map(|s| s.trim().parse().unwrap()).collect();
        if is_gt && v[6] < 1.0 {
            continue;
        }
        frames.push(v[0] as i64);
        ids.push(v[1] as i64);
        boxes.push([v[2], v[3], v[4], v[5]]);
    }
    Sequence::new(&frames, &ids, &boxes).unwrap()
}

/// Rows `[frame, id, x, y, w, h]` stored in the fixture.
fn sequence(rows: &Value) -> Sequence {
    let rows = rows.as_array().unwrap();
    let cell = |r: &Value, k: usize| r[k].as_f64().unwrap();
    let frames: Vec<i64> = rows.iter().map(|r| cell(r, 0) as i64).collect();
    let ids: Vec<i64> = rows.iter().map(|r| cell(r, 1) as i64).collect();
    let boxes: Vec<[f64; 4]> = rows.iter().map(|r| [cell(r, 2), cell(r, 3), cell(r, 4), cell(r, 5)]).collect();
    Sequence::new(&frames, &ids, &boxes).unwrap()
}

/// How far our numbers are from TrackEval's, over all that were compared.
#[derive(Default)]
struct Gap {
    compared: usize,
    not_identical: usize,
    worst: f64,
}

impl Gap {
    fn check(&mut self, what: &str, got: f64, want: f64) {
        let diff = (got - want).abs();
        assert!(diff <= 1e-9, "{what}: {got} but TrackEval gives {want}");
        self.compared += 1;
        self.worst = self.worst.max(diff);
        if got.to_bits() != want.to_bits() {
            self.not_identical += 1;
        }
    }
}

/// Compares every component of `got` with TrackEval's `want` (see `result_json` in the fixture).
fn compare(name: &str, got: &Hota, want: &Value, gap: &mut Gap) {
    let arrays: [(&str, &[f64; 19]); 9] = [
        ("HOTA", &got.hota),
        ("DetA", &got.det_a),
        ("AssA", &got.ass_a),
        ("DetRe", &got.det_re),
        ("DetPr", &got.det_pr),
        ("AssRe", &got.ass_re),
        ("AssPr", &got.ass_pr),
        ("LocA", &got.loc_a),
        ("OWTA", &got.owta),
    ];
    for (field, values) in arrays {
        for (a, &value) in values.iter().enumerate() {
            gap.check(&format!("{name} {field}[{a}]"), value, exact(&want[field][a]));
        }
    }
    let summary = got.summary();
    let means = [
        ("HOTA", summary.hota),
        ("DetA", summary.det_a),
        ("AssA", summary.ass_a),
        ("DetRe", summary.det_re),
        ("DetPr", summary.det_pr),
        ("AssRe", summary.ass_re),
        ("AssPr", summary.ass_pr),
        ("LocA", summary.loc_a),
        ("OWTA", summary.owta),
    ];
    for (field, value) in means {
        gap.check(&format!("{name} mean {field}"), value, exact(&want["mean"][field]));
    }
    for (field, value) in [("HOTA(0)", got.hota_0), ("LocA(0)", got.loc_a_0), ("HOTALocA(0)", got.hota_loc_a_0)] {
        gap.check(&format!("{name} {field}"), value, exact(&want[field]));
    }
    assert_eq!((summary.hota_0, summary.loc_a_0, summary.hota_loc_a_0), (got.hota_0, got.loc_a_0, got.hota_loc_a_0));
    let counts =
        [("HOTA_TP", &got.true_positives), ("HOTA_FN", &got.false_negatives), ("HOTA_FP", &got.false_positives)];
    for (field, values) in counts {
        let expected: Vec<u64> = want[field].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(values.as_slice(), expected.as_slice(), "{name} {field}");
    }
}

fn tud() -> Vec<(&'static str, Hota)> {
    ["TUD-Campus", "TUD-Stadtmitte"]
        .into_iter()
        .map(|seq| {
            let gt = read_mot(&format!("{MOT}/{seq}/gt.txt"), true);
            let hyp = read_mot(&format!("{MOT}/{seq}/test.txt"), false);
            (seq, hota(&gt, &hyp).unwrap())
        })
        .collect()
}

#[test]
fn thresholds_are_trackevals() {
    let fixture = fixture();
    let alphas: Vec<f64> = fixture["alphas"].as_array().unwrap().iter().map(exact).collect();
    assert_eq!(alphas, HOTA_ALPHAS);
}

#[test]
fn tud_sequences_match_trackeval() {
    let fixture = fixture();
    let mut gap = Gap::default();
    for (seq, h) in tud() {
        compare(seq, &h, &fixture["tud"][seq], &mut gap);
    }
    assert_eq!(gap.compared, 2 * (9 * 19 + 9 + 3));
    assert_eq!(gap.not_identical, 0, "largest difference {:e}", gap.worst);
}

#[test]
fn tud_combination_matches_combine_sequences() {
    let fixture = fixture();
    let results: Vec<Hota> = tud().into_iter().map(|(_, h)| h).collect();
    let mut gap = Gap::default();
    compare("TUD combined", &Hota::combine(&results), &fixture["tud_combined"], &mut gap);
    assert_eq!(gap.not_identical, 0, "largest difference {:e}", gap.worst);
}

#[test]
fn synthetic_sequences_match_trackeval() {
    let fixture = fixture();
    let cases = fixture["synthetic"].as_array().unwrap();
    let names: Vec<&str> = cases.iter().map(|c| c["name"].as_str().unwrap()).collect();
    for required in ["crossing", "occlusion", "id_swaps", "empty_frames", "ties", "crowd", "no_hypotheses"] {
        assert!(names.contains(&required), "the fixture has no {required} case");
    }
    let mut gap = Gap::default();
    let mut results = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let h = hota(&sequence(&case["gt"]), &sequence(&case["hyp"])).unwrap();
        compare(name, &h, &case["expected"], &mut gap);
        results.push(h);
    }
    compare("synthetic combined", &Hota::combine(&results), &fixture["synthetic_combined"], &mut gap);
    assert_eq!(gap.not_identical, 0, "largest difference {:e}", gap.worst);
}

/// Times `hota` on the 2,000-frame, 60-object sequence that `make_hota_fixture.py bench DIR` writes,
/// and checks it against TrackEval's numbers there:
/// `HOTA_BENCH_DIR=DIR cargo test --release -p softkit-track --test hota_parity -- --ignored --nocapture`.
#[test]
#[ignore = "needs the benchmark sequence written by make_hota_fixture.py bench"]
fn benchmark_2000_frames() {
    let dir = std::env::var("HOTA_BENCH_DIR").expect("HOTA_BENCH_DIR names the benchmark directory");
    let gt = read_mot(&format!("{dir}/gt.txt"), true);
    let hyp = read_mot(&format!("{dir}/test.txt"), false);
    let want: Value = serde_json::from_str(&std::fs::read_to_string(format!("{dir}/expected.json")).unwrap()).unwrap();
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        result = Some(hota(&gt, &hyp).unwrap());
        times.push(start.elapsed().as_secs_f64());
    }
    let h = result.unwrap();
    let mut gap = Gap::default();
    compare("benchmark", &h, &want, &mut gap);
    assert_eq!(gap.not_identical, 0, "largest difference {:e}", gap.worst);
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{} frames, {} gt rows, {} hypotheses: hota best {:.2} ms of {:?}",
        gt.len(),
        gt.rows(),
        hyp.rows(),
        best * 1e3,
        times
    );
}
