//! `softkit ghost spike|sweep|temperature --out DIR`: the experiments of Sao (2026), "Ghosts of
//! Softmax", on the digits data, with `DIR/results.json` and PNG plots.

mod data;
mod experiments;
mod models;
mod overhead;
pub(crate) mod plots;
pub(crate) mod results;
mod run;

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use experiments::Scale;
use plots::median;
use results::{Experiment, Method, ModelKind, RunRecord};

/// `softkit ghost`.
#[derive(Args)]
pub(crate) struct GhostArgs {
    #[command(subcommand)]
    experiment: GhostCommand,
}

#[derive(Subcommand)]
enum GhostCommand {
    /// Learning-rate spikes: lr x1000 from step 50 (MLP, batch 64, three base rates), and a
    /// one-step spike of x10 to x10^4 at step 50 (full batch, MLP+LayerNorm and a transformer
    /// block); plain Adam, clipping and the ghost controller.
    Spike(SpikeArgs),
    /// From trained models, one step of normalised length r = tau / rho_a in 0.01..100 along the
    /// descent direction and random directions: where do steps start to fail?
    Sweep(SweepArgs),
    /// Train at loss temperatures T and sweep: normalising tau by rho_a(T) = pi T / Delta_a
    /// should shrink the spread of the failure onsets.
    Temperature(TemperatureArgs),
    /// Time a plain Adam step against a controlled one for each network (release builds only
    /// give meaningful figures).
    Overhead(OverheadArgs),
}

#[derive(Args)]
struct DataArg {
    /// sklearn's digits as gzipped CSV (64 pixels 0..16, then the label).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/digits/digits.csv.gz"))]
    data: PathBuf,
}

#[derive(Args)]
struct OverheadArgs {
    #[command(flatten)]
    data: DataArg,
    /// Timed steps per network and kind of step.
    #[arg(long, default_value_t = 60)]
    steps: usize,
}

#[derive(Args)]
struct Common {
    /// Directory for results.json and the plots (created if missing).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    data: DataArg,
    /// Seeds 0..N (split, initialisation, batches, directions).
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Training steps per run.
    #[arg(long, default_value_t = 200)]
    steps: usize,
}

#[derive(Args)]
struct SpikeArgs {
    #[command(flatten)]
    common: Common,
    /// Base learning rates of the sustained spike.
    #[arg(long, value_delimiter = ',', default_value = "1e-4,1e-3,1e-2")]
    base_lrs: Vec<f64>,
    /// The sustained spike's multiplier.
    #[arg(long, default_value_t = 1000.0)]
    lr_spike: f64,
    /// The one-step spike's multipliers.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000,10000")]
    spikes: Vec<f64>,
    /// The one-step spike's networks.
    #[arg(long, value_delimiter = ',', default_value = "mlp_ln,transformer")]
    models: Vec<ModelKind>,
}

#[derive(Args)]
struct SweepArgs {
    #[command(flatten)]
    common: Common,
    /// Networks to train and sweep.
    #[arg(long, value_delimiter = ',', default_value = "mlp,mlp_ln,transformer")]
    models: Vec<ModelKind>,
    /// Random directions per trained model (besides the descent direction).
    #[arg(long, default_value_t = 20)]
    directions: usize,
    /// Points of the log-spaced r grid over 0.01..100.
    #[arg(long, default_value_t = 41)]
    r_points: usize,
}

#[derive(Args)]
struct TemperatureArgs {
    #[command(flatten)]
    common: Common,
    /// Loss temperatures T.
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,1,2,4,8")]
    temperatures: Vec<f64>,
    /// Random directions per trained model (besides the descent direction).
    #[arg(long, default_value_t = 5)]
    directions: usize,
    /// Points of the log-spaced r grid over 0.01..100.
    #[arg(long, default_value_t = 41)]
    r_points: usize,
}

/// Runs one experiment, writes its results and plots, and prints a summary.
pub(crate) fn run(args: &GhostArgs) -> Result<(), String> {
    let (common, rows) = match &args.experiment {
        GhostCommand::Spike(a) => {
            let (digits, scale) = prepare(&a.common, 0, 0)?;
            if a.common.steps <= experiments::SPIKE_STEP {
                return Err(format!(
                    "--steps {} must exceed the spike's step {}",
                    a.common.steps,
                    experiments::SPIKE_STEP
                ));
            }
            check_positive("--base-lrs", &a.base_lrs)?;
            check_positive("--lr-spike", &[a.lr_spike])?;
            check_positive("--spikes", &a.spikes)?;
            let mut rows = experiments::lr_spike(&digits, &scale, &a.base_lrs, a.lr_spike)?;
            rows.extend(experiments::one_step_spike(&digits, &scale, &a.models, &a.spikes)?);
            (&a.common, rows)
        }
        GhostCommand::Sweep(a) => {
            let (digits, scale) = prepare(&a.common, a.directions, a.r_points)?;
            (&a.common, experiments::r_sweep(&digits, &scale, &a.models)?)
        }
        GhostCommand::Overhead(a) => return print_overhead(a),
        GhostCommand::Temperature(a) => {
            let (digits, scale) = prepare(&a.common, a.directions, a.r_points)?;
            check_positive("--temperatures", &a.temperatures)?;
            (&a.common, experiments::temperature_sweep(&digits, &scale, &a.temperatures)?)
        }
    };
    let written = write_results(&common.out, &rows)?;
    print_summary(&rows);
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn prepare(common: &Common, directions: usize, r_points: usize) -> Result<(data::Digits, Scale), String> {
    if common.seeds == 0 || common.steps == 0 {
        return Err(format!("--seeds {} and --steps {} must both be at least 1", common.seeds, common.steps));
    }
    if r_points == 1 {
        return Err("--r-points 1: the grid needs at least two points".to_string());
    }
    let digits = data::load_digits(&common.data.data)?;
    Ok((digits, Scale { seeds: common.seeds, steps: common.steps, directions, r_points }))
}

fn print_overhead(args: &OverheadArgs) -> Result<(), String> {
    if args.steps == 0 {
        return Err("--steps 0: time at least one step".to_string());
    }
    let digits = data::load_digits(&args.data.data)?;
    println!(
        "{:<12} {:>6} {:>10} {:>14} {:>8} {:>14} {:>8}",
        "model", "batch", "plain ms", "ghost/batch ms", "ratio", "ghost/full ms", "ratio"
    );
    for row in overhead::measure(&digits, args.steps)? {
        println!(
            "{:<12} {:>6} {:>10.3} {:>14.3} {:>7.2}x {:>14.3} {:>7.2}x",
            row.model.name(),
            row.batch_rows,
            row.plain_ms,
            row.ghost_batch_ms,
            row.ghost_batch_ms / row.plain_ms,
            row.ghost_full_ms,
            row.ghost_full_ms / row.plain_ms,
        );
    }
    println!(
        "(medians over {} steps; ghost/batch measures the radius on the training batch, ghost/full on",
        args.steps
    );
    println!(" the whole training split, as the paper does)");
    Ok(())
}

fn check_positive(flag: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        Some(bad) => Err(format!("{flag}: {bad} is not a positive, finite number")),
        None if values.is_empty() => Err(format!("{flag}: needs at least one value")),
        None => Ok(()),
    }
}

/// Writes `results.json` and the plots to `dir`; returns the files written.
fn write_results(dir: &Path, rows: &[RunRecord]) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("--out {}: cannot create the directory: {e}", dir.display()))?;
    let path = dir.join("results.json");
    let text = serde_json::to_string_pretty(rows).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    let mut written = vec![path];
    written.extend(plots::write_ghost_plots(dir, rows)?);
    Ok(written)
}

/// A run diverged if its final training loss is above 10 or not finite.
pub(crate) fn diverged(row: &RunRecord) -> bool {
    row.final_loss.is_nan() || row.final_loss > 10.0
}

fn print_summary(rows: &[RunRecord]) {
    let training: Vec<&RunRecord> = rows.iter().filter(|r| r.sweep.is_none()).collect();
    if !training.is_empty() {
        println!(
            "{:<16} {:<12} {:>9} {:>8} {:<6} {:>9} {:>10} {:>9} {:>8}",
            "experiment", "model", "base_lr", "spike", "method", "test_acc", "loss", "diverged", "max_r"
        );
        let mut groups: Vec<(Experiment, ModelKind, u64, u64, Method)> = Vec::new();
        for r in &training {
            let key = (r.experiment, r.model, r.base_lr.to_bits(), r.spike.to_bits(), r.method);
            if !groups.contains(&key) {
                groups.push(key);
            }
        }
        for (experiment, model, lr, spike, method) in groups {
            let runs: Vec<&&RunRecord> = training
                .iter()
                .filter(|r| {
                    (r.experiment, r.model, r.base_lr.to_bits(), r.spike.to_bits(), r.method)
                        == (experiment, model, lr, spike, method)
                })
                .collect();
            let name = match experiment {
                Experiment::LrSpike => "lr_spike",
                _ => "one_step_spike",
            };
            println!(
                "{:<16} {:<12} {:>9} {:>8} {:<6} {:>9.3} {:>10.4} {:>6}/{:<2} {:>8.2}",
                name,
                model.name(),
                f64::from_bits(lr),
                f64::from_bits(spike),
                method.name(),
                median(runs.iter().map(|r| r.final_test_acc)).unwrap_or(f64::NAN),
                median(runs.iter().map(|r| r.final_loss)).unwrap_or(f64::NAN),
                runs.iter().filter(|r| diverged(r)).count(),
                runs.len(),
                median(runs.iter().map(|r| r.max_r)).unwrap_or(f64::NAN),
            );
        }
        println!("(medians over seeds; diverged = final training loss above 10 or not finite)");
    }
    let onsets = |experiment| plots::onsets(rows, experiment);
    let sweep = onsets(Experiment::RSweep);
    if rows.iter().any(|r| r.experiment == Experiment::RSweep) {
        let below_one = rows.iter().filter(|r| r.sweep.as_ref().is_some_and(|p| p.failed && p.r < 1.0)).count();
        let steps = rows.iter().filter(|r| r.experiment == Experiment::RSweep).count();
        println!("r-sweep: {steps} steps, {below_one} failures at r < 1");
        for model in [ModelKind::Mlp, ModelKind::MlpLn, ModelKind::Transformer] {
            for kind in ["gradient", "random"] {
                let r: Vec<f64> =
                    sweep.iter().filter(|o| o.model == model && o.direction.starts_with(kind)).map(|o| o.r).collect();
                if r.is_empty() {
                    continue;
                }
                let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mid = median(r.iter().copied()).unwrap_or(f64::NAN);
                println!(
                    "  {:<12} {kind:<8}: {} onsets, r* median {mid:.2}, range {lo:.2}..{hi:.2}",
                    model.name(),
                    r.len()
                );
            }
        }
    }
    if rows.iter().any(|r| r.experiment == Experiment::Temperature) {
        match plots::onset_spread(rows) {
            Some((tau, r)) => println!("temperature: std of log10 onset tau = {tau:.3}, of log10 onset r = {r:.3}"),
            None => println!("temperature: no step failed, so no onsets"),
        }
    }
}
