//! `ghost-paper spike|sweep|temperature --out DIR`, `ghost-paper overhead` and
//! `ghost-paper first-step --out FILE`: the experiments of
//! Sao (2026), "Ghosts of Softmax", on sklearn's digits, with `DIR/results.json`, PNG plots and a
//! printed summary. Unpublished: it reproduces the paper and is not part of the softkit product.
//!
//! - `data`: the digits file (`--data` or `SOFTKIT_DIGITS`) and its train/test splits.
//! - `models`: the paper's small classifiers (MLP, MLP+LayerNorm, transformer block, CNN+BatchNorm), seeded.
//! - `run`: one training run with Adam, clipping or the ghost controller.
//! - `experiments`: the two learning-rate spikes, the r-sweep and the temperature sweep as runs,
//!   and the float64 first step that another stack compares itself with.
//! - `overhead`: the controller's cost per step against a plain Adam step.
//! - `results`: the rows of `results.json`.
//! - `analysis`: onsets, spreads, medians and quantiles over those rows.
//! - `plots`: the PNG figures of those rows.
//! - `summary`: the tables printed at the end of a run.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analysis;
mod data;
mod experiments;
#[cfg(test)]
mod fixtures;
mod models;
mod overhead;
mod plots;
mod results;
mod run;
mod summary;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use data::{DATA_ENV, DataPath, Digits};
use experiments::Scale;
use results::{ModelKind, RunRecord};

/// Reproduce the experiments of "Ghosts of Softmax" (safe step sizes for cross-entropy) on the
/// digits data, writing results.json and plots.
#[derive(Parser)]
#[command(name = "ghost-paper", version, about)]
struct Cli {
    #[command(subcommand)]
    experiment: GhostCommand,
}

#[derive(Subcommand)]
enum GhostCommand {
    /// Learning-rate spikes: lr x1000 from step 50 (MLP, batch 64, three base rates), and a
    /// one-step spike of x10 to x10^4 at step 50 (full batch, MLP+LayerNorm and a transformer
    /// block, CNN+BatchNorm); plain Adam, clipping and the ghost controller.
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
    /// For comparison with another stack (the PyTorch experiments): each seeded network's
    /// initial parameters and the radius of its first Adam step of the one-step spike, in
    /// float64, as JSON.
    FirstStep(FirstStepArgs),
}

#[derive(Args)]
struct FirstStepArgs {
    /// The JSON file to write (its directory must exist).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    data: DataArg,
    /// Networks.
    #[arg(long, value_delimiter = ',', default_value = "mlp_ln,transformer,cnn_bn")]
    models: Vec<ModelKind>,
    /// Seeds 0..N of the initial parameters.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
}

#[derive(Args)]
struct DataArg {
    /// sklearn's digits as gzipped CSV (64 pixels 0..16, then the label); when absent, the path in
    /// $SOFTKIT_DIGITS. The file is ../shared/data/digits/digits.csv.gz beside the repository.
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
}

impl DataArg {
    /// Reads the digits from `--data`, or else from `$SOFTKIT_DIGITS`.
    fn load(&self) -> Result<Digits, String> {
        data::load_digits(&DataPath::locate(self.data.clone(), std::env::var_os(DATA_ENV))?)
    }
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
    #[arg(long, value_delimiter = ',', default_value = "mlp_ln,transformer,cnn_bn")]
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

fn main() -> ExitCode {
    match run(&Cli::parse().experiment) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ghost-paper: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one experiment, writes its results and plots, and prints a summary.
fn run(experiment: &GhostCommand) -> Result<(), String> {
    let (common, rows) = match experiment {
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
        GhostCommand::FirstStep(a) => return write_first_steps(a),
        GhostCommand::Temperature(a) => {
            let (digits, scale) = prepare(&a.common, a.directions, a.r_points)?;
            check_positive("--temperatures", &a.temperatures)?;
            (&a.common, experiments::temperature_sweep(&digits, &scale, &a.temperatures)?)
        }
    };
    let written = write_results(&common.out, &rows)?;
    summary::print_summary(&rows);
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn prepare(common: &Common, directions: usize, r_points: usize) -> Result<(Digits, Scale), String> {
    if common.seeds == 0 || common.steps == 0 {
        return Err(format!("--seeds {} and --steps {} must both be at least 1", common.seeds, common.steps));
    }
    if r_points == 1 {
        return Err("--r-points 1: the grid needs at least two points".to_string());
    }
    let digits = common.data.load()?;
    Ok((digits, Scale { seeds: common.seeds, steps: common.steps, directions, r_points }))
}

fn print_overhead(args: &OverheadArgs) -> Result<(), String> {
    if args.steps == 0 {
        return Err("--steps 0: time at least one step".to_string());
    }
    let digits = args.data.load()?;
    // The header first: the measurement takes a while.
    summary::print_overhead_header();
    summary::print_overhead(&overhead::measure(&digits, args.steps)?, args.steps);
    Ok(())
}

fn write_first_steps(args: &FirstStepArgs) -> Result<(), String> {
    if args.seeds == 0 {
        return Err("--seeds 0: take at least one seed".to_string());
    }
    let digits = args.data.load()?;
    let rows = experiments::first_steps(&digits, &args.models, args.seeds)?;
    let text = serde_json::to_string(&rows).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text + "\n").map_err(|e| format!("--out {}: {e}", args.out.display()))?;
    for row in &rows {
        println!("{:<12} seed {}: ||p|| {:.12e}, rho_a {:.12e}", row.model.name(), row.seed, row.step_norm, row.rho_a);
    }
    println!("wrote {}", args.out.display());
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
