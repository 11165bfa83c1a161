//! `ghost-paper` in reduced form (one seed, fewer steps and directions): the paper's qualitative
//! claims, asserted with margins, on the real digits data of `../shared/data`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The digits, beside the repository. Tests may name the build path; the binary never does.
const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/digits/digits.csv.gz");

/// The binary without `SOFTKIT_DIGITS`, whatever the test's own environment holds.
fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ghost-paper"));
    command.env_remove("SOFTKIT_DIGITS");
    command
}

/// Runs `ghost-paper <args>`, with `--data DIGITS` added unless `args` name their own.
fn ghost_paper(args: &[&str]) -> Output {
    assert!(Path::new(DIGITS).exists(), "test data missing: expected {DIGITS} (../shared/data beside the repository)");
    let mut command = command();
    command.args(args);
    if !args.contains(&"--data") {
        command.args(["--data", DIGITS]);
    }
    command.output().expect("the ghost-paper binary runs")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softkit-ghost-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `ghost-paper <args> --out DIR` and returns the rows of `DIR/results.json`, checking that
/// each expected plot was written.
fn run(name: &str, args: &[&str], plots: &[&str]) -> Vec<Value> {
    let dir = out_dir(name);
    let mut all = Vec::new();
    all.extend_from_slice(args);
    all.extend(["--out", dir.to_str().unwrap()]);
    let out = ghost_paper(&all);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{all:?}: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    for plot in plots {
        let bytes = std::fs::read(dir.join(plot)).unwrap_or_else(|e| panic!("{plot}: {e}\n{stdout}"));
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{plot} is not a drawn PNG");
    }
    let text = std::fs::read_to_string(dir.join("results.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap().as_array().unwrap().clone()
}

fn num(row: &Value, key: &str) -> f64 {
    row[key].as_f64().unwrap_or(f64::NAN)
}

/// The only run matching (experiment, model, method, base learning rate).
fn single<'a>(rows: &'a [Value], experiment: &str, model: &str, method: &str, base_lr: f64) -> &'a Value {
    let found: Vec<&Value> = rows
        .iter()
        .filter(|r| r["experiment"] == experiment && r["model"] == model && r["method"] == method)
        .filter(|r| num(r, "base_lr") == base_lr)
        .collect();
    assert_eq!(found.len(), 1, "{experiment} {model} {method} {base_lr}");
    found[0]
}

#[test]
fn spikes_the_controller_survives_where_plain_adam_and_clipping_collapse() {
    let rows = run(
        "spike",
        &["spike", "--seeds", "1", "--steps", "100", "--base-lrs", "1e-3,1e-2", "--spikes", "10000"],
        &["lr_spike.png", "one_step_spike.png"],
    );
    // The sustained spike at two base rates, the one-step spike on three networks.
    assert_eq!(rows.len(), 2 * 3 + 3 * 3);
    for row in &rows {
        for key in
            ["experiment", "model", "method", "base_lr", "spike", "seed", "final_test_acc", "final_loss", "max_r"]
        {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    // lr x1000 from step 50: plain Adam collapses (to chance at base 1e-2), the controller stays
    // above 85%.
    for (base_lr, plain_at_most) in [(1e-3, 0.5), (1e-2, 0.3)] {
        let plain = single(&rows, "lr_spike", "mlp", "plain", base_lr);
        let ghost = single(&rows, "lr_spike", "mlp", "ghost", base_lr);
        assert!(num(plain, "final_test_acc") < plain_at_most, "plain: {plain}");
        assert!(num(ghost, "final_test_acc") > 0.85, "ghost: {ghost}");
        assert!(num(plain, "max_r") > 10.0 && num(ghost, "max_r") <= 1.0 + 1e-9);
    }
    // x10^4 for one step: the controller keeps its accuracy; plain and clipping lose theirs. The
    // paper's CNN+BatchNorm row is its worst (71.6% with the controller); here it survives too.
    for model in ["mlp_ln", "transformer", "cnn_bn"] {
        let run = |method| single(&rows, "one_step_spike", model, method, 0.015);
        let (ghost, plain, clip) = (
            num(run("ghost"), "final_test_acc"),
            num(run("plain"), "final_test_acc"),
            num(run("clip"), "final_test_acc"),
        );
        assert!(ghost > 0.85, "{model}: ghost {ghost}");
        assert!(plain < 0.6 && clip < 0.75, "{model}: plain {plain}, clip {clip}");
        assert!(ghost - plain.max(clip) > 0.2, "{model}: ghost {ghost}, plain {plain}, clip {clip}");
        assert!(num(run("ghost"), "final_loss") < 1.0);
        assert!(num(run("ghost"), "max_r") <= 1.0 + 1e-9 && num(run("plain"), "max_r") > 100.0, "{model}");
    }
}

/// The first failing r of each (model, temperature, direction) sweep.
fn onsets(rows: &[Value]) -> Vec<(String, f64, f64)> {
    let mut out: Vec<(String, f64, f64)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        let key = format!("{} {} {}", row["model"], row["temperature"], row["direction"]);
        if row["failed"] == true && seen.insert(key.clone()) {
            out.push((key, num(row, "r"), num(row, "tau")));
        }
    }
    out
}

#[test]
fn r_sweep_no_failure_below_one_and_onsets_between_one_and_ten() {
    let rows = run(
        "sweep",
        &["sweep", "--seeds", "1", "--steps", "100", "--directions", "3", "--r-points", "25"],
        &["r_sweep.png"],
    );
    assert_eq!(rows.len(), 3 * 4 * 25);
    let early: Vec<&Value> = rows.iter().filter(|r| r["failed"] == true && num(r, "r") < 1.0).collect();
    assert!(early.is_empty(), "failures below r = 1: {early:?}");
    let onsets = onsets(&rows);
    assert_eq!(onsets.len(), 3 * 4, "every direction of every model fails somewhere in 0.01..100: {onsets:?}");
    assert!(onsets.iter().all(|(_, r, _)| (1.0..=10.0).contains(r)), "{onsets:?}");
    // Steps far inside the radius change nothing.
    for row in rows.iter().filter(|r| num(r, "r") <= 0.1) {
        assert!((num(row, "loss_ratio") - 1.0).abs() < 0.05, "{row}");
    }
}

#[test]
fn temperature_normalising_by_rho_shrinks_the_onset_spread() {
    let rows = run(
        "temperature",
        &["temperature", "--seeds", "1", "--steps", "100", "--directions", "2", "--r-points", "25"],
        &["temperature.png"],
    );
    let onsets = onsets(&rows);
    assert_eq!(onsets.len(), 6 * 3, "{onsets:?}");
    let spread = |values: Vec<f64>| {
        let logs: Vec<f64> = values.iter().map(|v| v.log10()).collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt()
    };
    let tau = spread(onsets.iter().map(|o| o.2).collect());
    let r = spread(onsets.iter().map(|o| o.1).collect());
    assert!(r < 0.6 * tau, "std log10 onset r {r} vs tau {tau}");
}

#[test]
fn bad_arguments_and_data_are_refused_clearly() {
    let dir = out_dir("bad");
    let out_arg = dir.to_str().unwrap();
    let err = |args: &[&str]| {
        let out = ghost_paper(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(err(&["spike", "--out", out_arg, "--steps", "40"]).contains("--steps 40 must exceed the spike's step 50"));
    assert!(
        err(&["sweep", "--out", out_arg, "--data", "/no/such/digits.csv.gz"]).contains("--data /no/such/digits.csv.gz")
    );
    assert!(
        err(&["temperature", "--out", out_arg, "--temperatures", "1,0"])
            .contains("--temperatures: 0 is not a positive")
    );
    assert!(err(&["sweep", "--out", out_arg, "--seeds", "0"]).contains("--seeds 0"));
    assert!(err(&["sweep", "--out", out_arg, "--models", "cnn"]).contains("invalid value 'cnn'"));
    // A gzipped file with a short row: the message names the line.
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, format!("{}\n1,2,3\n", ["0"; 65].join(",")).as_bytes()).unwrap();
    std::fs::write(&bad, gz.finish().unwrap()).unwrap();
    let message = err(&["sweep", "--out", out_arg, "--data", bad.to_str().unwrap()]);
    assert!(message.contains("bad.csv.gz:2: 3 fields, expected 65"), "{message}");
    std::fs::write(&bad, b"not gzip").unwrap();
    assert!(err(&["sweep", "--out", out_arg, "--data", bad.to_str().unwrap()]).contains("not a gzipped text file"));
    // Neither --data nor SOFTKIT_DIGITS: the message says how to name the file and where it lives.
    let out = command().args(["sweep", "--out", out_arg]).output().unwrap();
    assert!(!out.status.success());
    let message = String::from_utf8_lossy(&out.stderr);
    for needle in ["--data", "SOFTKIT_DIGITS", "../shared/data/digits/digits.csv.gz"] {
        assert!(message.contains(needle), "{needle} missing: {message}");
    }
}

#[test]
fn without_data_or_softkit_digits_nothing_runs() {
    let dir = out_dir("no-data");
    for args in [
        &["spike", "--out", dir.to_str().unwrap()][..],
        &["temperature", "--out", dir.to_str().unwrap()],
        &["overhead"],
    ] {
        let out = command().args(args).output().expect("the ghost-paper binary runs");
        assert!(!out.status.success(), "{args:?} ran without data");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("no digits data: pass --data PATH or set SOFTKIT_DIGITS=PATH"), "{message}");
        assert!(message.contains("../shared/data/digits/digits.csv.gz beside the repository"), "{message}");
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
    // An empty variable names no file either.
    let out = command().env("SOFTKIT_DIGITS", "").arg("overhead").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no digits data"));
}

#[test]
fn softkit_digits_names_the_data_when_data_is_absent() {
    let out = command().env("SOFTKIT_DIGITS", "/no/such/digits.csv.gz").arg("overhead").output().unwrap();
    assert!(!out.status.success());
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("SOFTKIT_DIGITS=/no/such/digits.csv.gz"), "{message}");
    // --data wins over the variable.
    let out = command()
        .env("SOFTKIT_DIGITS", "/no/such/digits.csv.gz")
        .args(["overhead", "--steps", "1", "--data", DIGITS])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("model ") && stdout.contains("transformer"), "{stdout}");
    // And the variable alone is enough.
    let out = command().env("SOFTKIT_DIGITS", DIGITS).args(["overhead", "--steps", "1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
