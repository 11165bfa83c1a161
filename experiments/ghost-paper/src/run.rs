//! One training run: Adam with or without the ghost controller or clipping, on the digits, with
//! the radius logged every step.

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData, activation};
use softkit_ghost::train::{GhostOptimizer, clip_grad_norm};
use softkit_ghost::{Controller, Kernel};

use softkit_sim::Rng;

use crate::data::{CLASSES, Digits, PIXELS, Split};
use crate::models::Classifier;
use crate::results::{CURVE_EVERY, Method};

/// Gradient clipping's global norm in the baseline.
const CLIP_NORM: f64 = 1.0;
/// PyTorch's Adam epsilon (burn's default is 1e-5).
pub(crate) const ADAM_EPSILON: f32 = 1e-8;

/// The digits of one split, on the device: training rows with autodiff, everything else without.
pub(crate) struct SplitData {
    train_x: Tensor<2>,
    train_y: Tensor<1, Int>,
    /// Training rows without autodiff: the radius' batch and the final loss.
    pub(crate) probe_x: Tensor<2>,
    train_labels: Vec<usize>,
    test_x: Tensor<2>,
    test_labels: Vec<usize>,
}

impl SplitData {
    /// Uploads the rows of `split`; `device` must have autodiff.
    pub(crate) fn new(digits: &Digits, split: &Split, device: &Device) -> SplitData {
        let rows = |idx: &[usize]| -> (Vec<f32>, Vec<usize>) {
            let pixels =
                idx.iter().flat_map(|&r| digits.pixels[r * PIXELS..(r + 1) * PIXELS].iter().copied()).collect();
            (pixels, idx.iter().map(|&r| digits.labels[r]).collect())
        };
        let (train_pixels, train_labels) = rows(&split.train);
        let (test_pixels, test_labels) = rows(&split.test);
        let inner = device.clone().inner();
        let tensor = |pixels: Vec<f32>, n: usize, device: &Device| {
            Tensor::<2>::from_data(TensorData::new(pixels, [n, PIXELS]), device)
        };
        let labels: Vec<i64> = train_labels.iter().map(|&l| l as i64).collect();
        SplitData {
            train_x: tensor(train_pixels.clone(), train_labels.len(), device),
            train_y: Tensor::from_data(TensorData::new(labels, [train_labels.len()]), device),
            probe_x: tensor(train_pixels, train_labels.len(), &inner),
            train_labels,
            test_x: tensor(test_pixels, test_labels.len(), &inner),
            test_labels,
        }
    }

    /// Test accuracy of `model` (without autodiff).
    pub(crate) fn test_accuracy<M: Classifier>(&self, model: &M) -> f64 {
        accuracy(&host(model.logits(self.test_x.clone())), &self.test_labels)
    }

    /// Mean training cross-entropy of `model` (without autodiff) at temperature `t`; NaN once
    /// the logits are no longer finite.
    pub(crate) fn train_loss<M: Classifier>(&self, model: &M, t: f64) -> f64 {
        let logits: Vec<f64> = host(model.logits(self.probe_x.clone())).iter().map(|z| z / t).collect();
        Kernel::Online
            .cross_entropy_rows(&logits, CLASSES, &self.train_labels)
            .map_or(f64::NAN, |ce| ce.iter().sum::<f64>() / ce.len() as f64)
    }

    /// The differentiable mean cross-entropy `CE(z / t)` over the training rows `batch` (all when
    /// `None`).
    pub(crate) fn loss<M: Classifier>(&self, model: &M, batch: Option<&[usize]>, t: f64) -> Tensor<1> {
        let (x, y) = match batch {
            None => (self.train_x.clone(), self.train_y.clone()),
            Some(rows) => {
                let idx = row_index(rows, &self.train_x.device());
                (self.train_x.clone().select(0, idx.clone()), self.train_y.clone().select(0, idx))
            }
        };
        let log_p = activation::log_softmax(model.logits(x).div_scalar(t), 1);
        log_p.gather(1, y.unsqueeze_dim(1)).mean().neg()
    }

    /// The training rows `batch` (all when `None`) without autodiff: a radius' batch.
    pub(crate) fn probe(&self, batch: Option<&[usize]>) -> Tensor<2> {
        match batch {
            None => self.probe_x.clone(),
            Some(rows) => self.probe_x.clone().select(0, row_index(rows, &self.probe_x.device())),
        }
    }

    /// Training rows.
    pub(crate) fn train_rows(&self) -> usize {
        self.train_labels.len()
    }
}

/// `rows` as an index tensor for `select`.
fn row_index(rows: &[usize], device: &Device) -> Tensor<1, Int> {
    let idx: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
    Tensor::from_data(TensorData::new(idx, [rows.len()]), device)
}

/// Logits on the host.
pub(crate) fn host(logits: Tensor<2>) -> Vec<f64> {
    logits.into_data().iter::<f64>().collect()
}

/// Share of rows whose largest logit (lowest index on ties; NaN never wins) is the label.
pub(crate) fn accuracy(logits: &[f64], labels: &[usize]) -> f64 {
    let hits = logits
        .chunks(CLASSES)
        .zip(labels)
        .filter(|(row, label)| {
            let best = row.iter().enumerate().filter(|(_, z)| !z.is_nan()).fold(None, |best, (k, &z)| match best {
                Some((_, b)) if z <= b => best,
                _ => Some((k, z)),
            });
            best.map(|(k, _)| k) == Some(**label)
        })
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// The learning-rate schedule of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Schedule {
    /// `base_lr` throughout.
    Constant,
    /// `base_lr * spike` from `step` on.
    SpikeFrom { step: usize, spike: f64 },
    /// `base_lr * spike` at `step` only.
    SpikeAt { step: usize, spike: f64 },
}

impl Schedule {
    fn lr(self, base: f64, step: usize) -> f64 {
        match self {
            Schedule::SpikeFrom { step: from, spike } if step >= from => base * spike,
            Schedule::SpikeAt { step: at, spike } if step == at => base * spike,
            _ => base,
        }
    }
}

/// What to train.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrainSpec {
    /// Optimiser steps.
    pub(crate) steps: usize,
    /// Rows per mini-batch, drawn by seeded epoch shuffles; `None` is full batch.
    pub(crate) batch: Option<usize>,
    /// Learning rate before the schedule's spike.
    pub(crate) base_lr: f64,
    /// The spike, if any.
    pub(crate) schedule: Schedule,
    /// How updates are treated.
    pub(crate) method: Method,
    /// The loss temperature `T` of `CE(z / T)`.
    pub(crate) temperature: f64,
    /// Seed of the batch order.
    pub(crate) seed: u64,
}

/// A finished run.
pub(crate) struct Trained<M> {
    /// The model after the last step.
    pub(crate) model: M,
    /// Test accuracy every [`CURVE_EVERY`] steps from step 0, and after the last step.
    pub(crate) test_acc_curve: Vec<f64>,
    /// The largest normalised step applied (NaN if never measured).
    pub(crate) max_r: f64,
}

/// Trains `model` as `spec` says. Every method measures the radius on the full training set each
/// step (the paper's choice); only [`Method::Ghost`] acts on it.
pub(crate) fn train<M: Classifier>(mut model: M, data: &SplitData, spec: &TrainSpec) -> Result<Trained<M>, String> {
    let controller = match spec.method {
        Method::Ghost => Controller::new(),
        Method::Plain | Method::Clip => Controller::observe(),
    }
    .with_temperature(spec.temperature)
    .map_err(|e| e.to_string())?;
    let mut optimizer = GhostOptimizer::new(AdamConfig::new().with_epsilon(ADAM_EPSILON).init(), controller);
    let mut batches = Batches::new(data.train_rows(), spec.batch, spec.seed);
    let mut curve = Vec::new();
    for step in 0..spec.steps {
        if step % CURVE_EVERY == 0 {
            curve.push(data.test_accuracy(&model.valid()));
        }
        let loss = data.loss(&model, batches.next().as_deref(), spec.temperature);
        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
        if spec.method == Method::Clip {
            grads = clip_grad_norm(&model, grads, CLIP_NORM).map_err(|e| e.to_string())?.0;
        }
        let lr = spec.schedule.lr(spec.base_lr, step);
        model = optimizer
            .step(lr, model, grads, |m| m.logits(data.probe_x.clone()))
            .map_err(|e| format!("step {step}: the radius could not be measured: {e}"))?;
    }
    curve.push(data.test_accuracy(&model.valid()));
    let max_r = optimizer.records().iter().map(|r| r.r_applied).filter(|r| !r.is_nan()).fold(f64::NAN, f64::max);
    Ok(Trained { model, test_acc_curve: curve, max_r })
}

/// Mini-batch row lists: consecutive slices of a fresh seeded permutation each epoch.
pub(crate) struct Batches {
    order: Vec<usize>,
    size: Option<usize>,
    next: usize,
    rng: Rng,
}

impl Batches {
    /// Batches of `size` rows out of `rows` (full batch when `None`).
    pub(crate) fn new(rows: usize, size: Option<usize>, seed: u64) -> Batches {
        Batches { order: (0..rows).collect(), size, next: rows, rng: Rng::new(seed ^ 0x0ba7_c4e5) }
    }

    /// The next batch's rows, or `None` for the full batch.
    pub(crate) fn next(&mut self) -> Option<Vec<usize>> {
        let size = self.size?.min(self.order.len());
        if self.next + size > self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.next = 0;
        }
        self.next += size;
        Some(self.order[self.next - size..self.next].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_breaks_ties_low_and_ignores_nan() {
        let mut logits = vec![0.0; 3 * CLASSES];
        logits[2] = 1.0; // row 0 predicts 2
        logits[CLASSES + 4] = f64::NAN; // row 1: all zeros elsewhere, predicts 0
        logits[2 * CLASSES..].fill(f64::NAN); // row 2 predicts nothing
        assert_eq!(accuracy(&logits, &[2, 0, 0]), 2.0 / 3.0);
    }

    #[test]
    fn schedules() {
        let from = Schedule::SpikeFrom { step: 50, spike: 1000.0 };
        let at = Schedule::SpikeAt { step: 50, spike: 10.0 };
        assert_eq!((from.lr(1e-3, 49), from.lr(1e-3, 50), from.lr(1e-3, 199)), (1e-3, 1.0, 1.0));
        assert_eq!((at.lr(0.5, 49), at.lr(0.5, 50), at.lr(0.5, 51)), (0.5, 5.0, 0.5));
    }

    #[test]
    fn batches_cover_each_epoch_once() {
        let mut batches = Batches::new(10, Some(4), 1);
        let epoch: Vec<usize> = (0..2).flat_map(|_| batches.next().unwrap()).collect();
        let mut sorted = epoch.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 8);
        assert!(Batches::new(10, None, 1).next().is_none());
    }
}
