//! `ghost-paper overhead`: the controller's cost per training step, as a multiple of a plain
//! Adam step, for each network of the experiments.

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;
use softkit_ghost::Controller;
use softkit_ghost::train::GhostOptimizer;

use crate::analysis::median;
use crate::data::{Digits, Split};
use crate::models::{Classifier, Mlp, MlpLn, Transformer};
use crate::results::ModelKind;
use crate::run::{Batches, SplitData};

/// One network's per-step medians, in milliseconds.
pub(crate) struct Overhead {
    /// The network.
    pub(crate) model: ModelKind,
    /// Rows per training batch (the experiments' setting).
    pub(crate) batch_rows: usize,
    /// A plain Adam step: forward, backward, update.
    pub(crate) plain_ms: f64,
    /// A controlled step measuring the radius on the training batch itself.
    pub(crate) ghost_batch_ms: f64,
    /// A controlled step measuring the radius on the whole training set (the paper's choice).
    pub(crate) ghost_full_ms: f64,
}

/// Times `steps` steps of each kind, interleaved so that machine noise hits all three alike.
pub(crate) fn measure(digits: &Digits, steps: usize) -> Result<Vec<Overhead>, String> {
    let device = Device::flex().autodiff();
    let data = SplitData::new(digits, &Split::stratified(&digits.labels, 0), &device);
    Ok(vec![
        time(Mlp::new(&device, 0), ModelKind::Mlp, Some(64), &data, steps)?,
        time(MlpLn::new(&device, 0), ModelKind::MlpLn, None, &data, steps)?,
        time(Transformer::new(&device, 0), ModelKind::Transformer, None, &data, steps)?,
    ])
}

fn time<M: Classifier>(
    model: M,
    kind: ModelKind,
    batch: Option<usize>,
    data: &SplitData,
    steps: usize,
) -> Result<Overhead, String> {
    let adam = || AdamConfig::new().with_epsilon(1e-8).init();
    let mut plain = adam();
    let mut on_batch = GhostOptimizer::new(adam(), Controller::new());
    let mut on_full = GhostOptimizer::new(adam(), Controller::new());
    let mut models = [model.clone(), model.clone(), model];
    let mut batches = Batches::new(data.train_rows(), batch, 0);
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    const LR: f64 = 1e-3;
    for _ in 0..steps {
        let rows = batches.next();
        let rows = rows.as_deref();
        for (which, (slot, times)) in models.iter_mut().zip(&mut samples).enumerate() {
            let start = Instant::now();
            let current = slot.clone();
            let grads = GradientsParams::from_grads(data.loss(&current, rows, 1.0).backward(), &current);
            *slot = match which {
                0 => plain.step(LR, current, grads),
                1 => on_batch.step(LR, current, grads, |m| m.logits(data.probe(rows))).map_err(|e| e.to_string())?,
                _ => on_full.step(LR, current, grads, |m| m.logits(data.probe(None))).map_err(|e| e.to_string())?,
            };
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    let [plain_ms, ghost_batch_ms, ghost_full_ms] = samples.map(|s| median(s).unwrap_or(f64::NAN));
    Ok(Overhead {
        model: kind,
        batch_rows: batch.unwrap_or(data.train_rows()),
        plain_ms,
        ghost_batch_ms,
        ghost_full_ms,
    })
}
