//! Hand-made `results.json` rows for the unit tests of the analysis and the plots.

use crate::results::{Experiment, Method, ModelKind, RunRecord, SweepPoint};

/// A training run.
pub(crate) fn run(
    experiment: Experiment,
    model: ModelKind,
    method: Method,
    lr: f64,
    spike: f64,
    seed: u64,
    acc: f64,
) -> RunRecord {
    RunRecord {
        experiment,
        model,
        method,
        base_lr: lr,
        spike,
        seed,
        final_test_acc: acc,
        final_loss: 0.5,
        max_r: 0.3,
        test_acc_curve: Vec::new(),
        sweep: None,
    }
}

/// A sweep step: `rho_a` is 2, so `tau = 2 r`.
pub(crate) fn step(
    experiment: Experiment,
    seed: u64,
    temperature: f64,
    direction: &str,
    r: f64,
    failed: bool,
) -> RunRecord {
    let retained = if failed { 0.3 } else { 1.0 - 0.01 * r };
    let sweep = SweepPoint {
        direction: direction.to_string(),
        temperature,
        r,
        tau: 2.0 * r,
        rho_a: 2.0,
        retained_acc: retained,
        loss_ratio: if failed { 50.0 * r } else { 1.0 },
        failed,
    };
    RunRecord { sweep: Some(sweep), ..run(experiment, ModelKind::Mlp, Method::Plain, 1e-3, 1.0, seed, 0.9) }
}

/// Rows of every experiment: three seeds, NaN sprinkled in.
pub(crate) fn all_rows() -> Vec<RunRecord> {
    let mut rows = Vec::new();
    for seed in 0..3 {
        for (m, &method) in Method::ALL.iter().enumerate() {
            for lr in [1e-4, 1e-3, 1e-2] {
                let mut row = run(Experiment::LrSpike, ModelKind::Mlp, method, lr, 100.0, seed, 0.8);
                row.test_acc_curve = (0..21)
                    .map(|i| if i > 5 && m == 0 { 0.1 } else { (0.1 + 0.04 * i as f64 + 0.01 * seed as f64).min(0.95) })
                    .collect();
                if seed == 1 {
                    row.test_acc_curve[10] = f64::NAN;
                }
                rows.push(row);
            }
            for model in [ModelKind::Mlp, ModelKind::Transformer] {
                for (k, spike) in [10.0, 100.0, 1000.0, 10000.0].into_iter().enumerate() {
                    let acc = if seed == 2 && k == 3 { f64::NAN } else { 0.9 - 0.2 * k as f64 / (m as f64 + 1.0) };
                    rows.push(run(Experiment::OneStepSpike, model, method, 1e-3, spike, seed, acc));
                }
            }
        }
        for direction in ["gradient", "random-0", "random-1", "random-2"] {
            for k in -4..=4 {
                let r = 10f64.powf(k as f64 / 2.0);
                let mut row = step(Experiment::RSweep, seed, 1.0, direction, r, r > 1.5);
                if k == 4 && direction == "random-1" {
                    row.sweep.as_mut().unwrap().loss_ratio = f64::NAN;
                }
                rows.push(row);
            }
            for temperature in [0.25, 1.0, 4.0] {
                for k in -4..=4 {
                    // The onset in r is about the same at every T; rho_a (and so tau) scales with T.
                    let r = 10f64.powf(k as f64 / 2.0);
                    let mut row = step(Experiment::Temperature, seed, temperature, direction, r, r > 1.0);
                    let sweep = row.sweep.as_mut().unwrap();
                    sweep.rho_a = temperature;
                    sweep.tau = r * temperature;
                    rows.push(row);
                }
            }
        }
    }
    rows
}
