//! `mot_metrics` against py-motmetrics 1.4.0 (`compare_to_groundtruth` then `motchallenge_metrics`):
//! every metric on the two TUD sequences of `../shared/data/mot` and on seeded synthetic
//! sequences stored in the fixture (`tests/fixtures/make_mot_fixture.py`). Counts must be equal
//! and ratios within 1e-9.

use std::path::Path;

use softkit_track::{MotMetrics, Sequence, mot_metrics};

/// A MOTChallenge text file (`frame, id, x, y, w, h, conf, ...`) as motmetrics'
/// `load_motchallenge` reads it: fields split on commas or white space, rows in file order,
/// `shift` subtracted from x and y (motmetrics' 1-based pixel convention), and rows with a
/// confidence below `min_confidence` dropped.
fn parse_mot(text: &str, shift: f64, min_confidence: Option<f64>) -> Sequence {
    let (mut frames, mut ids, mut boxes) = (Vec::new(), Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<f64> = line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .map(|f| f.parse().unwrap_or_else(|e| panic!("line {}: {f:?}: {e}", n + 1)))
            .collect();
        assert!(fields.len() >= 6, "line {}: {} fields", n + 1, fields.len());
        if let Some(min) = min_confidence
            && fields[6] < min
        {
            continue;
        }
        frames.push(fields[0] as i64);
        ids.push(fields[1] as i64);
        boxes.push([fields[2] - shift, fields[3] - shift, fields[4], fields[5]]);
    }
    Sequence::new(&frames, &ids, &boxes).unwrap()
}

/// The metric named as motmetrics names it.
fn metric(m: &MotMetrics, name: &str) -> f64 {
    match name {
        "idf1" => m.idf1,
        "idp" => m.idp,
        "idr" => m.idr,
        "recall" => m.recall,
        "precision" => m.precision,
        "mota" => m.mota,
        "motp" => m.motp,
        "num_unique_objects" => m.num_unique_objects as f64,
        "mostly_tracked" => m.mostly_tracked as f64,
        "partially_tracked" => m.partially_tracked as f64,
        "mostly_lost" => m.mostly_lost as f64,
        "num_false_positives" => m.num_false_positives as f64,
        "num_misses" => m.num_misses as f64,
        "num_switches" => m.num_switches as f64,
        "num_fragmentations" => m.num_fragmentations as f64,
        "num_transfer" => m.num_transfer as f64,
        "num_ascend" => m.num_ascend as f64,
        "num_migrate" => m.num_migrate as f64,
        "num_frames" => m.num_frames as f64,
        "num_matches" => m.num_matches as f64,
        "num_detections" => m.num_detections as f64,
        "num_objects" => m.num_objects as f64,
        "num_predictions" => m.num_predictions as f64,
        "idtp" => m.idtp as f64,
        "idfp" => m.idfp as f64,
        "idfn" => m.idfn as f64,
        other => panic!("the fixture has a metric this test does not know: {other}"),
    }
}

const RATIOS: [&str; 7] = ["idf1", "idp", "idr", "recall", "precision", "mota", "motp"];

fn fixture() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mot_cases.json");
    let text = std::fs::read_to_string(path).expect("the fixture is in the repository");
    serde_json::from_str(&text).unwrap()
}

/// Compares every metric of the case: how many were checked, or the first difference.
fn compare(name: &str, got: &MotMetrics, expected: &serde_json::Value) -> Result<usize, String> {
    let expected = expected.as_object().unwrap();
    for (key, value) in expected {
        let want = match value {
            serde_json::Value::String(s) => s.parse::<f64>().unwrap(),
            v => v.as_f64().unwrap(),
        };
        let have = metric(got, key);
        // Counts exactly; ratios to 1e-9 (NaN equals NaN).
        let same = have == want
            || (RATIOS.contains(&key.as_str()) && ((have - want).abs() <= 1e-9 || (have.is_nan() && want.is_nan())));
        if !same {
            return Err(format!("{name}: {key} = {have}, motmetrics {want}"));
        }
    }
    Ok(expected.len())
}

fn check(name: &str, got: &MotMetrics, expected: &serde_json::Value) -> usize {
    compare(name, got, expected).unwrap_or_else(|e| panic!("{e}\n{got:#?}"))
}

fn cases(with_file: bool) -> Vec<serde_json::Value> {
    let fixture = fixture();
    let all = fixture["cases"].as_array().unwrap();
    all.iter().filter(|c| c.get("file").is_some() == with_file).cloned().collect()
}

#[test]
fn tud_sequences_equal_motmetrics() {
    let data = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/mot"));
    let tud = cases(true);
    assert_eq!(tud.len(), 2);
    for case in &tud {
        let name = case["file"].as_str().unwrap();
        let read = |file: &str| {
            let path = data.join(name).join(file);
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("the TUD parity test needs {} (../shared/data): {e}", path.display()))
        };
        // motmetrics' loadtxt: x and y shifted by -1; ground truth with confidence >= 1 only.
        let gt = parse_mot(&read("gt.txt"), 1.0, Some(1.0));
        let hyp = parse_mot(&read("test.txt"), 1.0, None);
        let got = mot_metrics(&gt, &hyp, case["max_distance"].as_f64().unwrap()).unwrap();
        assert_eq!(check(name, &got, &case["expected"]), 26);
    }
}

#[test]
fn tud_headline_numbers() {
    // The numbers the motmetrics README-style run prints, to 6 decimals.
    let data = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/mot"));
    for (name, idf1, mota, motp) in
        [("TUD-Campus", 0.557659, 0.526462, 0.277201), ("TUD-Stadtmitte", 0.644619, 0.564014, 0.345904)]
    {
        let read = |file: &str| std::fs::read_to_string(data.join(name).join(file)).unwrap();
        let gt = parse_mot(&read("gt.txt"), 1.0, Some(1.0));
        let hyp = parse_mot(&read("test.txt"), 1.0, None);
        let m = mot_metrics(&gt, &hyp, 0.5).unwrap();
        for (what, have, want) in [("idf1", m.idf1, idf1), ("mota", m.mota, mota), ("motp", m.motp, motp)] {
            assert!((have - want).abs() < 5e-7, "{name}: {what} = {have}, expected {want}");
        }
    }
}

/// The synthetic cases whose `min_shift_sensitive` flag is `sensitive`.
fn synthetic_cases(sensitive: bool) -> Vec<serde_json::Value> {
    cases(false).into_iter().filter(|c| c["min_shift_sensitive"].as_bool().unwrap() == sensitive).collect()
}

fn run_case(case: &serde_json::Value) -> MotMetrics {
    let gt = parse_mot(case["gt"].as_str().unwrap(), 0.0, None);
    let hyp = parse_mot(case["hyp"].as_str().unwrap(), 0.0, None);
    mot_metrics(&gt, &hyp, case["max_distance"].as_f64().unwrap()).unwrap()
}

#[test]
fn synthetic_sequences_equal_motmetrics() {
    let synthetic = synthetic_cases(false);
    assert!(synthetic.len() >= 6);
    for case in &synthetic {
        assert_eq!(check(case["name"].as_str().unwrap(), &run_case(case), &case["expected"]), 26);
    }
}

/// Cases with float ties that scipy >= 1.6 breaks on the raw costs, and that a solver which first
/// subtracts the minimum cost (as scipy < 1.6 did) breaks differently: they pin that
/// `linear_sum_assignment` works on the costs as given.
#[test]
fn float_ties_equal_motmetrics() {
    let sensitive = synthetic_cases(true);
    assert!(!sensitive.is_empty());
    let failures: Vec<String> = sensitive
        .iter()
        .filter_map(|c| compare(c["name"].as_str().unwrap(), &run_case(c), &c["expected"]).err())
        .collect();
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), sensitive.len(), failures.join("\n"));
}

#[test]
fn synthetic_sequences_cover_every_rule() {
    // The fixture is only as good as what it exercises: every event kind, frames on one side
    // only, several thresholds.
    let synthetic = cases(false);
    let total = |key: &str| synthetic.iter().map(|c| c["expected"][key].as_f64().unwrap()).sum::<f64>();
    for key in ["num_switches", "num_transfer", "num_ascend", "num_migrate", "num_fragmentations", "mostly_lost"] {
        assert!(total(key) > 0.0, "no case has {key}");
    }
    let (mut gt_only, mut hyp_only) = (false, false);
    let mut thresholds = Vec::new();
    for case in &synthetic {
        let gt = parse_mot(case["gt"].as_str().unwrap(), 0.0, None);
        let hyp = parse_mot(case["hyp"].as_str().unwrap(), 0.0, None);
        gt_only |= gt.frame_ids().iter().any(|f| hyp.find(*f).is_none());
        hyp_only |= hyp.frame_ids().iter().any(|f| gt.find(*f).is_none());
        thresholds.push(case["max_distance"].as_f64().unwrap());
    }
    assert!(gt_only && hyp_only);
    for t in [0.0, 0.3, 0.5, 1.0] {
        assert!(thresholds.contains(&t), "no case at max_distance {t}");
    }
}

/// Many more generated cases: `make_mot_fixture.py --stress N PATH`, then
/// `SOFTKIT_MOT_STRESS_CASES=PATH cargo test -p softkit-track --test mot_parity -- --ignored`.
#[test]
#[ignore = "needs SOFTKIT_MOT_STRESS_CASES, a file written by make_mot_fixture.py --stress"]
fn stress_cases_equal_motmetrics() {
    let Ok(path) = std::env::var("SOFTKIT_MOT_STRESS_CASES") else {
        return;
    };
    let fixture: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let gt = parse_mot(case["gt"].as_str().unwrap(), 0.0, None);
        let hyp = parse_mot(case["hyp"].as_str().unwrap(), 0.0, None);
        let got = mot_metrics(&gt, &hyp, case["max_distance"].as_f64().unwrap()).unwrap();
        failures.extend(compare(name, &got, &case["expected"]).err());
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("{} stress cases equal motmetrics", cases.len());
}

/// A synthetic sequence of `frames` frames with `objects` objects always in view: a tracker with
/// noise, misses, id swaps and clutter.
fn synthetic(frames: usize, objects: usize, seed: u64) -> (Sequence, Sequence) {
    let mut rng = softkit_sim::Rng::new(seed);
    let mut pos: Vec<[f64; 2]> = (0..objects).map(|_| [rng.uniform(0.0, 1800.0), rng.uniform(0.0, 1000.0)]).collect();
    let vel: Vec<[f64; 2]> = (0..objects).map(|_| [rng.normal() * 3.0, rng.normal() * 2.0]).collect();
    let size: Vec<[f64; 2]> = (0..objects).map(|_| [rng.uniform(30.0, 90.0), rng.uniform(60.0, 200.0)]).collect();
    let mut track: Vec<i64> = (0..objects as i64).map(|o| o + 1000).collect();
    let mut next = 1000 + objects as i64;
    let (mut gt, mut hyp) = ((Vec::new(), Vec::new(), Vec::new()), (Vec::new(), Vec::new(), Vec::new()));
    for f in 1..=frames as i64 {
        if rng.unit() < 0.05 {
            let (a, b) = (rng.below(objects), rng.below(objects));
            track.swap(a, b);
        }
        for o in 0..objects {
            for (p, v) in pos[o].iter_mut().zip(vel[o]) {
                *p += v;
            }
            let b = [pos[o][0], pos[o][1], size[o][0], size[o][1]];
            gt.0.push(f);
            gt.1.push(o as i64 + 1);
            gt.2.push(b);
            if rng.unit() < 0.05 {
                if rng.unit() < 0.2 {
                    track[o] = next;
                    next += 1;
                }
                continue;
            }
            let j = |rng: &mut softkit_sim::Rng, s: f64| rng.normal() * 0.05 * s;
            hyp.0.push(f);
            hyp.1.push(track[o]);
            hyp.2.push([b[0] + j(&mut rng, b[2]), b[1] + j(&mut rng, b[3]), b[2], b[3]]);
        }
        for _ in 0..rng.below(4) {
            hyp.0.push(f);
            hyp.1.push(next);
            next += 1;
            hyp.2.push([rng.uniform(0.0, 1800.0), rng.uniform(0.0, 1000.0), 50.0, 120.0]);
        }
    }
    (Sequence::new(&gt.0, &gt.1, &gt.2).unwrap(), Sequence::new(&hyp.0, &hyp.1, &hyp.2).unwrap())
}

/// `cargo test --release -p softkit-track --test mot_parity -- --ignored --nocapture`; with
/// `SOFTKIT_MOT_BENCH_DIR` set, also writes the sequence there (`gt.txt`, `test.txt`, unshifted
/// coordinates) for timing py-motmetrics on the same input.
#[test]
#[ignore = "timing; run in release"]
fn speed_2000_frames_60_objects() {
    let (gt, hyp) = synthetic(2000, 60, 11);
    if let Ok(dir) = std::env::var("SOFTKIT_MOT_BENCH_DIR") {
        for (seq, file) in [(&gt, "gt.txt"), (&hyp, "test.txt")] {
            let mut text = String::new();
            for k in 0..seq.len() {
                let frame = seq.frame(k);
                for (id, b) in frame.ids.iter().zip(frame.boxes) {
                    text += &format!("{},{id},{:?},{:?},{:?},{:?},1,-1,-1,-1\n", frame.frame, b[0], b[1], b[2], b[3]);
                }
            }
            std::fs::write(Path::new(&dir).join(file), text).unwrap();
        }
    }
    let runs = 20;
    let start = std::time::Instant::now();
    let mut m = mot_metrics(&gt, &hyp, 0.5).unwrap();
    for _ in 1..runs {
        m = mot_metrics(&gt, &hyp, 0.5).unwrap();
    }
    let each = start.elapsed() / runs;
    println!(
        "mot_metrics, 2000 frames x 60 objects ({} gt rows, {} hypothesis rows): {each:?} per call",
        gt.rows(),
        hyp.rows()
    );
    println!("{m:#?}");
}
