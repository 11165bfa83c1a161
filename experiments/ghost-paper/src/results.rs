//! The rows of `DIR/results.json` that `ghost-paper spike|sweep|temperature` writes, one per run
//! (or, for the sweeps, one per measured step).

use serde::Serialize;

/// The experiment a row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Experiment {
    /// Sustained spike: the learning rate is multiplied by `spike` from step 50 on.
    LrSpike,
    /// One-step spike: the learning rate is multiplied by `spike` at step 50 only.
    OneStepSpike,
    /// One step of normalised length `r` from a trained model.
    RSweep,
    /// The same sweep on models trained with the loss `CE(z / T)`.
    Temperature,
}

/// How the optimiser's update was treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Method {
    /// Adam's update as it is.
    Plain,
    /// Gradients clipped to global norm 1.0 before Adam.
    Clip,
    /// Adam's update scaled by `min(1, rho_a / ||p||)`.
    Ghost,
}

/// The network trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub(crate) enum ModelKind {
    /// 64 -> 128 (ReLU) -> 10.
    Mlp,
    /// 64 -> 64 x 3 (Linear, LayerNorm, GELU) -> 10.
    MlpLn,
    /// Eight row tokens of eight pixels, dim 32: one pre-LayerNorm attention + GELU MLP block.
    Transformer,
    /// Two 3x3 convolutions (8 and 16 channels) with BatchNorm, ReLU and 2x2 max pooling, then
    /// a linear head.
    CnnBn,
}

impl Method {
    /// Every method, in the order the experiments run and the plots draw them.
    pub(crate) const ALL: [Method; 3] = [Method::Plain, Method::Clip, Method::Ghost];

    /// The name used in results.json.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Plain => "plain",
            Method::Clip => "clip",
            Method::Ghost => "ghost",
        }
    }
}

impl ModelKind {
    /// The name used on the command line and in results.json.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::MlpLn => "mlp_ln",
            ModelKind::Transformer => "transformer",
            ModelKind::CnnBn => "cnn_bn",
        }
    }
}

/// One row of `results.json`. Non-finite numbers (a diverged loss) are written as `null`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RunRecord {
    /// Which experiment.
    pub(crate) experiment: Experiment,
    /// Which network.
    pub(crate) model: ModelKind,
    /// How updates were treated (for the sweeps: the method the model was trained with).
    pub(crate) method: Method,
    /// The learning rate before any spike.
    pub(crate) base_lr: f64,
    /// The spike's multiplier (1 for none).
    pub(crate) spike: f64,
    /// The seed of the split, the initialisation and the batches.
    pub(crate) seed: u64,
    /// Test accuracy at the end of the run (after the step, for the sweeps).
    #[serde(serialize_with = "finite_or_null")]
    pub(crate) final_test_acc: f64,
    /// Training cross-entropy at the end of the run (after the step, for the sweeps).
    #[serde(serialize_with = "finite_or_null")]
    pub(crate) final_loss: f64,
    /// The largest normalised step `r = ||p|| / rho_a` actually applied during training (for the
    /// sweeps: the `r` of the step).
    #[serde(serialize_with = "finite_or_null")]
    pub(crate) max_r: f64,
    /// Test accuracy every [`CURVE_EVERY`] steps, starting at step 0 (training runs only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) test_acc_curve: Vec<f64>,
    /// The sweep's extra fields; absent for training runs.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub(crate) sweep: Option<SweepPoint>,
}

/// One row of `ghost-paper first-step`'s JSON: a seeded network's initial parameters and the
/// radius of its first Adam step, in float64.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FirstStep {
    /// Which network.
    pub(crate) model: ModelKind,
    /// The seed of its initial parameters.
    pub(crate) seed: u64,
    /// The learning rate of the step.
    pub(crate) lr: f64,
    /// `||p||`, the norm of Adam's first update.
    pub(crate) step_norm: f64,
    /// The radius along `p / ||p||` on the whole training split.
    pub(crate) rho_a: f64,
    /// Every parameter (and BatchNorm running statistic) in burn's visiting order, linear
    /// weights as `[d_in, d_out]` row-major.
    pub(crate) theta: Vec<f64>,
}

/// Test accuracy is recorded every this many steps in [`RunRecord::test_acc_curve`].
pub(crate) const CURVE_EVERY: usize = 10;

/// One step of an r-sweep or temperature sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SweepPoint {
    /// `"gradient"` (the descent direction) or `"random-N"`.
    pub(crate) direction: String,
    /// The loss temperature `T` (1 for the r-sweep).
    pub(crate) temperature: f64,
    /// The normalised step length `r = tau / rho_a(T)`.
    pub(crate) r: f64,
    /// The step length `tau` in parameter space.
    pub(crate) tau: f64,
    /// The radius `rho_a(T)` along this direction.
    pub(crate) rho_a: f64,
    /// Test accuracy after the step over test accuracy before it.
    #[serde(serialize_with = "finite_or_null")]
    pub(crate) retained_acc: f64,
    /// Training loss after the step over training loss before it.
    #[serde(serialize_with = "finite_or_null")]
    pub(crate) loss_ratio: f64,
    /// Whether the step failed: retained accuracy below [`FAILED_RETAINED_ACC`] or loss ratio above
    /// [`FAILED_LOSS_RATIO`].
    pub(crate) failed: bool,
}

/// A step that keeps less than this fraction of the test accuracy has failed.
pub(crate) const FAILED_RETAINED_ACC: f64 = 0.9;

/// A step that multiplies the training loss by more than this has failed.
pub(crate) const FAILED_LOSS_RATIO: f64 = 2.0;

fn finite_or_null<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() { serializer.serialize_f64(*value) } else { serializer.serialize_none() }
}
