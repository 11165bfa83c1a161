//! The paper's experiments as lists of runs: the two learning-rate spikes, the r-sweep and the
//! temperature sweep. Runs are independent and seeded, so they run in parallel and the rows come
//! out in the same order on any thread count.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig};
use burn::tensor::{Device, FloatDType};
use rayon::prelude::*;
use softkit_ghost::train::{GhostOptimizer, central_jvp, default_jvp_step, flatten_params, load_params};
use softkit_ghost::{Controller, rho_a_temperature};
use softkit_sim::Rng;

use crate::data::{CLASSES, Digits, Split};
use crate::models::{Classifier, CnnBn, Mlp, MlpLn, Transformer};
use crate::results::{
    Experiment, FAILED_LOSS_RATIO, FAILED_RETAINED_ACC, FirstStep, Method, ModelKind, RunRecord, SweepPoint,
};
use crate::run::{ADAM_EPSILON, Schedule, SplitData, TrainSpec, train};

/// Runs `$body` with `$m` bound to the seeded network of `$kind` (a closure cannot be generic
/// over the network type).
macro_rules! with_model {
    ($kind:expr, $device:expr, $seed:expr, |$m:ident| $body:expr) => {
        match $kind {
            ModelKind::Mlp => {
                let $m = Mlp::new($device, $seed);
                $body
            }
            ModelKind::MlpLn => {
                let $m = MlpLn::new($device, $seed);
                $body
            }
            ModelKind::Transformer => {
                let $m = Transformer::new($device, $seed);
                $body
            }
            ModelKind::CnnBn => {
                let $m = CnnBn::new($device, $seed);
                $body
            }
        }
    };
}

/// The step at which both spikes start.
pub(crate) const SPIKE_STEP: usize = 50;

/// How big each experiment is; the defaults are the paper's, the tests shrink them.
#[derive(Debug, Clone)]
pub(crate) struct Scale {
    /// Seeds `0..seeds`.
    pub(crate) seeds: u64,
    /// Training steps per run.
    pub(crate) steps: usize,
    /// Random directions per trained model in the sweeps.
    pub(crate) directions: usize,
    /// Points of the r grid, log-spaced over `[0.01, 100]`.
    pub(crate) r_points: usize,
}

/// Sustained spike: MLP, Adam at batch 64, lr x `spike` from step 50, per base learning rate.
pub(crate) fn lr_spike(digits: &Digits, scale: &Scale, base_lrs: &[f64], spike: f64) -> Result<Vec<RunRecord>, String> {
    let mut specs = Vec::new();
    for &base_lr in base_lrs {
        for seed in 0..scale.seeds {
            for method in Method::ALL {
                let schedule = Schedule::SpikeFrom { step: SPIKE_STEP, spike };
                let spec = TrainSpec {
                    steps: scale.steps,
                    batch: Some(64),
                    base_lr,
                    schedule,
                    method,
                    temperature: 1.0,
                    seed,
                };
                specs.push((ModelKind::Mlp, spec, spike));
            }
        }
    }
    run_all(digits, Experiment::LrSpike, &specs, |seed| Split::stratified(&digits.labels, seed))
}

/// One-step spike: full-batch Adam at lr 0.015, lr x `spike` at step 50 only, on the paper's
/// split (the first 20% of rows are the test set).
pub(crate) fn one_step_spike(
    digits: &Digits,
    scale: &Scale,
    models: &[ModelKind],
    spikes: &[f64],
) -> Result<Vec<RunRecord>, String> {
    let mut specs = Vec::new();
    for &model in models {
        for &spike in spikes {
            for seed in 0..scale.seeds {
                for method in Method::ALL {
                    let schedule = Schedule::SpikeAt { step: SPIKE_STEP, spike };
                    let spec = TrainSpec {
                        steps: scale.steps,
                        batch: None,
                        base_lr: 0.015,
                        schedule,
                        method,
                        temperature: 1.0,
                        seed,
                    };
                    specs.push((model, spec, spike));
                }
            }
        }
    }
    run_all(digits, Experiment::OneStepSpike, &specs, |_| Split::head(digits.labels.len()))
}

/// The first step of the one-step spike's runs in float64, for comparison with another stack:
/// per network and seed, the seeded initial parameters in burn's order (running statistics
/// included), and the radius of Adam's first full-batch update (lr 0.015) on the paper's split.
/// In float64 the central-difference JVP is exact to about 1e-10, so another stack's exact JVP
/// must give the same `rho_a` to far better than 1e-5.
pub(crate) fn first_steps(digits: &Digits, models: &[ModelKind], seeds: u64) -> Result<Vec<FirstStep>, String> {
    let jobs: Vec<(ModelKind, u64)> = models.iter().flat_map(|&m| (0..seeds).map(move |s| (m, s))).collect();
    let mut device = Device::flex();
    device.configure(FloatDType::F64).map_err(|e| format!("float64 on the CPU backend: {e:?}"))?;
    let device = device.autodiff();
    let data = SplitData::new(digits, &Split::head(digits.labels.len()), &device);
    jobs.iter()
        .map(|&(model, seed)| {
            let (theta, record) = with_model!(model, &device, seed, |m| first_step(m, &data))
                .map_err(|e| format!("{} seed {seed}: {e}", model.name()))?;
            Ok(FirstStep { model, seed, lr: 0.015, step_norm: record.step_norm, rho_a: record.rho_a, theta })
        })
        .collect()
}

/// `(initial parameters, the record of the first controlled step)` of `model`.
fn first_step<M: Classifier>(model: M, data: &SplitData) -> Result<(Vec<f64>, softkit_ghost::StepRecord), String> {
    let theta = flatten_params(&model);
    let adam = AdamConfig::new().with_epsilon(ADAM_EPSILON).init();
    let mut optimizer = GhostOptimizer::new(adam, Controller::observe());
    let grads = GradientsParams::from_grads(data.loss(&model, None, 1.0).backward(), &model);
    optimizer.step(0.015, model, grads, |m| m.logits(data.probe_x.clone())).map_err(|e| e.to_string())?;
    Ok((theta, optimizer.records()[0]))
}

fn run_all(
    digits: &Digits,
    experiment: Experiment,
    specs: &[(ModelKind, TrainSpec, f64)],
    split: impl Fn(u64) -> Split + Sync,
) -> Result<Vec<RunRecord>, String> {
    specs
        .par_iter()
        .map(|(model, spec, spike)| {
            let device = Device::flex().autodiff();
            let data = SplitData::new(digits, &split(spec.seed), &device);
            let outcome = with_model!(*model, &device, spec.seed, |m| train(m, &data, spec).map(|trained| {
                let final_loss = data.train_loss(&trained.model.valid(), spec.temperature);
                (trained.test_acc_curve, final_loss, trained.max_r)
            }));
            let (curve, final_loss, max_r) =
                outcome.map_err(|e| format!("{} {:?} seed {}: {e}", model.name(), spec.method, spec.seed))?;
            Ok(RunRecord {
                experiment,
                model: *model,
                method: spec.method,
                base_lr: spec.base_lr,
                spike: *spike,
                seed: spec.seed,
                final_test_acc: *curve.last().unwrap_or(&f64::NAN),
                final_loss,
                max_r,
                test_acc_curve: curve,
                sweep: None,
            })
        })
        .collect()
}

/// The r-sweep: each model trained (full-batch Adam, lr 0.015, no spike), then one step of
/// normalised length `r` along the descent direction and along random directions.
pub(crate) fn r_sweep(digits: &Digits, scale: &Scale, models: &[ModelKind]) -> Result<Vec<RunRecord>, String> {
    let jobs: Vec<(ModelKind, u64)> = models.iter().flat_map(|&m| (0..scale.seeds).map(move |s| (m, s))).collect();
    let rows = jobs
        .par_iter()
        .map(|&(model, seed)| sweep_job(digits, scale, Experiment::RSweep, model, seed, 1.0))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(rows.concat())
}

/// The temperature sweep: the MLP trained on `CE(z / T)` for each `T`, then swept as in
/// [`r_sweep`] with `r = tau / rho_a(T)`, `rho_a(T) = pi T / max Delta_a`.
pub(crate) fn temperature_sweep(
    digits: &Digits,
    scale: &Scale,
    temperatures: &[f64],
) -> Result<Vec<RunRecord>, String> {
    let jobs: Vec<(f64, u64)> = temperatures.iter().flat_map(|&t| (0..scale.seeds).map(move |s| (t, s))).collect();
    let rows = jobs
        .par_iter()
        .map(|&(t, seed)| sweep_job(digits, scale, Experiment::Temperature, ModelKind::Mlp, seed, t))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(rows.concat())
}

/// Learning rate of the models the sweeps start from.
const SWEEP_TRAIN_LR: f64 = 0.015;

fn sweep_job(
    digits: &Digits,
    scale: &Scale,
    experiment: Experiment,
    model: ModelKind,
    seed: u64,
    t: f64,
) -> Result<Vec<RunRecord>, String> {
    let device = Device::flex().autodiff();
    let data = SplitData::new(digits, &Split::stratified(&digits.labels, seed), &device);
    let spec = TrainSpec {
        steps: scale.steps,
        batch: None,
        base_lr: SWEEP_TRAIN_LR,
        schedule: Schedule::Constant,
        method: Method::Plain,
        temperature: t,
        seed,
    };
    let points = with_model!(model, &device, seed, |m| {
        let trained = train(m, &data, &spec)?;
        sweep_points(trained.model, &data, scale, seed, t)
    })
    .map_err(|e| format!("{} seed {seed} T {t}: {e}", model.name()))?;
    Ok(points
        .into_iter()
        .map(|(acc, loss, point)| RunRecord {
            experiment,
            model,
            method: Method::Plain,
            base_lr: SWEEP_TRAIN_LR,
            spike: 1.0,
            seed,
            final_test_acc: acc,
            final_loss: loss,
            max_r: point.r,
            test_acc_curve: Vec::new(),
            sweep: Some(point),
        })
        .collect())
}

/// `r` values log-spaced over `[0.01, 100]`.
pub(crate) fn r_grid(points: usize) -> Vec<f64> {
    let last = points.saturating_sub(1).max(1) as f64;
    (0..points).map(|i| 10f64.powf(-2.0 + 4.0 * i as f64 / last)).collect()
}

/// From the trained `model`: for the descent direction and `scale.directions` random ones, the
/// radius along it, then one step per `r` of the grid. Returns (test accuracy, training loss, the
/// point) per step.
fn sweep_points<M: Classifier>(
    model: M,
    data: &SplitData,
    scale: &Scale,
    seed: u64,
    t: f64,
) -> Result<Vec<(f64, f64, SweepPoint)>, String> {
    let gradient = descent_direction(&model, data, t);
    let base = model.valid();
    let theta = flatten_params(&base);
    let (acc0, loss0) = (data.test_accuracy(&base), data.train_loss(&base, t));
    let mut rng = Rng::new(seed ^ 0xd1ec_7105);
    let mut directions = vec![("gradient".to_string(), gradient)];
    for i in 0..scale.directions {
        let v: Vec<f64> = (0..theta.len()).map(|_| rng.normal()).collect();
        directions.push((format!("random-{i}"), unit(v)));
    }
    let h = default_jvp_step(burn::tensor::DType::F32);
    let mut out = Vec::new();
    for (name, v) in directions {
        let jvp = central_jvp(&base, &v, h, |m| m.logits(data.probe_x.clone())).map_err(|e| e.to_string())?;
        let rho = rho_a_temperature(&jvp.a, jvp.k, t).map_err(|e| e.to_string())?;
        debug_assert_eq!(jvp.k, CLASSES);
        for r in r_grid(scale.r_points) {
            let tau = r * rho;
            let moved: Vec<f64> = theta.iter().zip(&v).map(|(w, d)| w + tau * d).collect();
            let stepped = load_params(base.clone(), &moved).map_err(|e| e.to_string())?;
            let (acc, loss) = (data.test_accuracy(&stepped), data.train_loss(&stepped, t));
            let (retained_acc, loss_ratio) = (acc / acc0, loss / loss0);
            let failed = !(retained_acc >= FAILED_RETAINED_ACC && loss_ratio <= FAILED_LOSS_RATIO);
            let point = SweepPoint {
                direction: name.clone(),
                temperature: t,
                r,
                tau,
                rho_a: rho,
                retained_acc,
                loss_ratio,
                failed,
            };
            out.push((acc, loss, point));
        }
    }
    Ok(out)
}

/// `-g / ||g||` for the full-batch gradient `g` of `CE(z / t)`, read off one SGD step of lr 1.
fn descent_direction<M: Classifier>(model: &M, data: &SplitData, t: f64) -> Vec<f64> {
    let grads = GradientsParams::from_grads(data.loss(model, None, t).backward(), model);
    let before = flatten_params(model);
    let after = flatten_params(&SgdConfig::new().init().step(1.0, model.clone(), grads));
    unit(after.iter().zip(&before).map(|(a, b)| a - b).collect())
}

fn unit(v: Vec<f64>) -> Vec<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}
