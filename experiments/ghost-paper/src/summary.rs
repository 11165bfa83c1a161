//! What a run prints when it ends: medians per group of training runs, the sweeps' failure onsets
//! and their spread, and the overhead table.

use crate::analysis::{diverged, median, onset_spread, onsets};
use crate::overhead::Overhead;
use crate::results::{Experiment, Method, ModelKind, RunRecord};

/// Prints the column names of [`print_overhead`]'s table.
pub(crate) fn print_overhead_header() {
    println!(
        "{:<12} {:>6} {:>10} {:>14} {:>8} {:>14} {:>8}",
        "model", "batch", "plain ms", "ghost/batch ms", "ratio", "ghost/full ms", "ratio"
    );
}

/// Prints one line per network of `rows` (medians over `steps` timed steps) and what they measure.
pub(crate) fn print_overhead(rows: &[Overhead], steps: usize) {
    for row in rows {
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
    println!("(medians over {steps} steps; ghost/batch measures the radius on the training batch, ghost/full on");
    println!(" the whole training split, as the paper does)");
}

/// Prints, for the training runs, one line of medians over seeds per (experiment, model, base lr,
/// spike, method); for the r-sweep, the failures below `r = 1` and the onsets per model and kind of
/// direction; for the temperature sweep, the onsets' spread in `tau` and in `r`.
pub(crate) fn print_summary(rows: &[RunRecord]) {
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
    let onsets = |experiment| onsets(rows, experiment);
    let sweep = onsets(Experiment::RSweep);
    if rows.iter().any(|r| r.experiment == Experiment::RSweep) {
        let below_one = rows.iter().filter(|r| r.sweep.as_ref().is_some_and(|p| p.failed && p.r < 1.0)).count();
        let steps = rows.iter().filter(|r| r.experiment == Experiment::RSweep).count();
        println!("r-sweep: {steps} steps, {below_one} failures at r < 1");
        for model in [ModelKind::Mlp, ModelKind::MlpLn, ModelKind::Transformer, ModelKind::CnnBn] {
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
        match onset_spread(rows) {
            Some((tau, r)) => println!("temperature: std of log10 onset tau = {tau:.3}, of log10 onset r = {r:.3}"),
            None => println!("temperature: no step failed, so no onsets"),
        }
    }
}
