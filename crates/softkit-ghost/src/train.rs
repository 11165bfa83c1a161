//! The burn integration (feature `burn`): a wrapper that keeps any burn optimiser's steps inside
//! the ghost radius, with the JVP it needs.
//!
//! burn's autodiff is reverse-mode only, so the Jacobian-vector product `a = J_z v` comes from
//! central finite differences: `a = (z(theta + h v) - z(theta - h v)) / 2h`, two forward passes
//! without autodiff. The default `h` is the cube root of the parameters' machine epsilon
//! ([`default_jvp_step`]), which balances the `O(h^2)` truncation error against the
//! `O(eps / h)` rounding error for logits of unit scale: about `6e-6` for f64 and `5e-3` for f32.
//!
//! Parameters travel through host memory as one flat `f64` vector in burn's visiting order
//! ([`flatten_params`], [`load_params`]). That costs `O(parameters)` per step, small beside the
//! forward passes for the models this is meant for.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{DType, FloatDType, Tensor, TensorData};

use crate::controller::{Controller, StepRecord};
use crate::error::GhostError;

/// A model's float parameters as one flat `f64` vector, in burn's visiting order.
///
/// # Examples
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::Device;
/// use softkit_ghost::train::{flatten_params, load_params};
///
/// let layer = LinearConfig::new(3, 2).init(&Device::flex());
/// let theta = flatten_params(&layer);
/// assert_eq!(theta.len(), 3 * 2 + 2);
/// let zeros = load_params(layer, &vec![0.0; theta.len()])?;
/// assert!(flatten_params(&zeros).iter().all(|&w| w == 0.0));
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn flatten_params<M: Module>(model: &M) -> Vec<f64> {
    let mut reader = ParamReader::default();
    model.visit(&mut reader);
    reader.values
}

/// `model` with its float parameters replaced by `theta` (in [`flatten_params`] order). Each
/// parameter keeps its id, dtype, device and gradient tracking.
///
/// # Errors
///
/// [`GhostError::LengthMismatch`] unless `theta` has one value per parameter.
///
/// # Examples
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::Device;
/// use softkit_ghost::train::{flatten_params, load_params};
///
/// let layer = LinearConfig::new(2, 1).init(&Device::flex());
/// let doubled: Vec<f64> = flatten_params(&layer).iter().map(|w| 2.0 * w).collect();
/// assert_eq!(flatten_params(&load_params(layer.clone(), &doubled)?), doubled);
/// assert!(load_params(layer, &[1.0]).is_err()); // 3 parameters, 1 value
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn load_params<M: Module>(model: M, theta: &[f64]) -> Result<M, GhostError> {
    let expected = param_count(&model);
    if theta.len() != expected {
        return Err(GhostError::LengthMismatch {
            field: "theta",
            len: theta.len(),
            expected,
            other: "the model's float parameter count",
        });
    }
    Ok(model.map(&mut ParamWriter { rest: theta }))
}

/// `model` with every float parameter cast to `dtype` (e.g. to train in f64 on a device whose
/// default is f32). Ids and gradient tracking are kept.
///
/// # Examples
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::{DType, Device, FloatDType};
/// use softkit_ghost::train::cast_params;
///
/// let layer = cast_params(LinearConfig::new(3, 2).init(&Device::flex()), FloatDType::F64);
/// assert_eq!(layer.weight.val().dtype(), DType::F64);
/// ```
pub fn cast_params<M: Module>(model: M, dtype: FloatDType) -> M {
    model.map(&mut ParamCaster { dtype })
}

/// The finite-difference step [`central_jvp`] uses for parameters of `dtype`: the cube root of
/// its machine epsilon.
///
/// # Examples
///
/// ```
/// use burn::tensor::DType;
/// use softkit_ghost::train::default_jvp_step;
///
/// assert!((default_jvp_step(DType::F64) - 6.06e-6).abs() < 1e-8);
/// assert!((default_jvp_step(DType::F32) - 4.92e-3).abs() < 1e-5);
/// ```
pub fn default_jvp_step(dtype: DType) -> f64 {
    let eps = match dtype {
        DType::F64 => f64::EPSILON,
        DType::F16 => 9.765_625e-4,
        DType::BF16 => 7.812_5e-3,
        _ => f64::from(f32::EPSILON),
    };
    eps.cbrt()
}

/// The directional derivative of a batch's logits: `a = J_z v`, row-major `[rows, k]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Jvp {
    /// The rates `a`, row-major `[rows, k]`.
    pub a: Vec<f64>,
    /// The number of classes (columns).
    pub k: usize,
}

/// `a = J_z v` at the parameters of `model`, by central differences with step `h` along the unit
/// vector `direction` (in [`flatten_params`] order). `logits` runs the forward pass of the batch
/// that sets the radius, on a copy of the model without autodiff (`model.valid()`), and returns
/// `[rows, k]` logits.
///
/// # Errors
///
/// [`GhostError::LengthMismatch`] if `direction` does not match the parameters or the two forward
/// passes disagree in shape; [`GhostError::InvalidParameter`] unless `h` is positive and finite;
/// [`GhostError::EmptyBatch`] if the logits have no rows or no columns.
///
/// # Examples
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::tensor::{Device, Tensor};
/// use softkit_ghost::train::{central_jvp, flatten_params};
///
/// // A linear layer's logits are linear in its weights, so the JVP along the first weight
/// // (input 0 to output 0) is exactly that input, for every row.
/// let device = Device::flex();
/// let layer = LinearConfig::new(2, 2).init(&device);
/// let x = Tensor::<2>::from_floats([[1.0, 2.0], [3.0, 4.0]], &device);
/// let mut v = vec![0.0; flatten_params(&layer).len()];
/// v[0] = 1.0;
/// let jvp = central_jvp(&layer, &v, 1e-2, |m| m.forward(x.clone()))?;
/// assert_eq!(jvp.k, 2);
/// assert!((jvp.a[0] - 1.0).abs() < 1e-3 && (jvp.a[2] - 3.0).abs() < 1e-3);
/// assert!(jvp.a[1].abs() < 1e-3);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn central_jvp<M, F>(model: &M, direction: &[f64], h: f64, logits: F) -> Result<Jvp, GhostError>
where
    M: Module,
    F: FnMut(&M) -> Tensor<2>,
{
    let base = model.valid();
    let theta = flatten_params(&base);
    jvp_at(base, &theta, direction, h, logits)
}

/// [`central_jvp`] for a model without autodiff whose parameters `theta` the caller has already
/// read, so that a training step copies them to the host once.
fn jvp_at<M, F>(base: M, theta: &[f64], direction: &[f64], h: f64, mut logits: F) -> Result<Jvp, GhostError>
where
    M: Module,
    F: FnMut(&M) -> Tensor<2>,
{
    if !(h > 0.0 && h.is_finite()) {
        return Err(GhostError::InvalidParameter { name: "h", value: h, expected: "a positive, finite step" });
    }
    if direction.len() != theta.len() {
        return Err(GhostError::LengthMismatch {
            field: "direction",
            len: direction.len(),
            expected: theta.len(),
            other: "the model's float parameter count",
        });
    }
    let shifted = |sign: f64| -> Vec<f64> { theta.iter().zip(direction).map(|(t, v)| t + sign * h * v).collect() };
    let (plus, k) = host_logits(logits(&load_params(base.clone(), &shifted(1.0))?));
    let (minus, k_minus) = host_logits(logits(&load_params(base, &shifted(-1.0))?));
    if minus.len() != plus.len() || k_minus != k {
        return Err(GhostError::LengthMismatch {
            field: "logits(theta - h v)",
            len: minus.len(),
            expected: plus.len(),
            other: "logits(theta + h v)",
        });
    }
    if plus.is_empty() {
        return Err(GhostError::EmptyBatch { field: "logits" });
    }
    // The two passes share rounding in theta only to O(eps), so dividing after subtracting keeps
    // the error at O(eps |z| / h).
    let a = plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * h)).collect();
    Ok(Jvp { a, k })
}

/// Rescales gradients so that their global L2 norm (over every parameter) is at most `max_norm`,
/// as `torch.nn.utils.clip_grad_norm_` does; returns the gradients and the norm before clipping.
///
/// burn's own `GradientClipping::Norm` clips each parameter tensor separately, which is a
/// different baseline.
///
/// # Errors
///
/// [`GhostError::InvalidParameter`] unless `max_norm` is positive and finite.
///
/// # Examples
///
/// ```
/// use burn::nn::LinearConfig;
/// use burn::optim::GradientsParams;
/// use burn::tensor::{Device, Tensor};
/// use softkit_ghost::train::clip_grad_norm;
///
/// let device = Device::flex().autodiff();
/// let layer = LinearConfig::new(2, 1).init(&device);
/// let x = Tensor::<2>::from_floats([[30.0, 40.0]], &device);
/// let grads = GradientsParams::from_grads(layer.forward(x).sum().backward(), &layer);
/// let (clipped, before) = clip_grad_norm(&layer, grads, 1.0)?;
/// // d(sum)/dw = x and d(sum)/db = 1: the norm is sqrt(30^2 + 40^2 + 1).
/// assert!((before - 2501.0_f64.sqrt()).abs() < 1e-3);
/// let w = clipped.get::<2>(layer.weight.id).unwrap().into_data().to_vec::<f32>().unwrap();
/// assert!((w[0] as f64 - 30.0 / 2501.0_f64.sqrt()).abs() < 1e-5);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn clip_grad_norm<M: Module>(
    model: &M,
    mut grads: GradientsParams,
    max_norm: f64,
) -> Result<(GradientsParams, f64), GhostError> {
    if !(max_norm > 0.0 && max_norm.is_finite()) {
        return Err(GhostError::InvalidParameter {
            name: "max_norm",
            value: max_norm,
            expected: "a positive, finite norm",
        });
    }
    let mut squares = GradSquares { grads: &grads, total: 0.0 };
    model.visit(&mut squares);
    let norm = squares.total.sqrt();
    // torch's 1e-6 keeps the coefficient finite for a zero gradient.
    let coefficient = max_norm / (norm + 1e-6);
    if coefficient < 1.0 {
        model.visit(&mut GradScaler { grads: &mut grads, coefficient });
    }
    Ok((grads, norm))
}

/// Wraps a burn optimiser so that every step stays within the ghost radius of a batch.
///
/// Each [`step`](GhostOptimizer::step):
/// 1. lets the optimiser propose its update `p` (learning rate included); its moments see the raw
///    gradient, as in the paper;
/// 2. measures `a = J_z (p / ||p||)` on the batch by [`central_jvp`] and the radius
///    `rho_a = pi T / max_x Delta_a(x)`;
/// 3. applies `min(1, rho_a / ||p||) p` (or what the [`Controller`]'s mode asks) and logs a
///    [`StepRecord`] (r, rho_a, the scale).
///
/// # Examples
///
/// ```
/// use burn::nn::{Linear, LinearConfig};
/// use burn::optim::{AdamConfig, GradientsParams};
/// use burn::tensor::{Device, Int, Tensor, activation};
/// use softkit_ghost::Controller;
/// use softkit_ghost::train::GhostOptimizer;
///
/// let device = Device::flex().autodiff();
/// let mut model: Linear = LinearConfig::new(2, 3).init(&device);
/// let x = Tensor::<2>::from_floats([[1.0, 0.0], [0.0, 1.0]], &device);
/// let y = Tensor::<1, Int>::from_ints([0, 2], &device);
/// let x_probe = x.clone().inner(); // the radius' batch, without autodiff
///
/// let mut optim = GhostOptimizer::new(AdamConfig::new().init(), Controller::new());
/// for _ in 0..5 {
///     let log_p = activation::log_softmax(model.forward(x.clone()), 1);
///     let loss = log_p.gather(1, y.clone().unsqueeze_dim(1)).mean().neg();
///     let grads = GradientsParams::from_grads(loss.backward(), &model);
///     // A learning rate of 100 would wreck the model; the controller shrinks it to the radius.
///     model = optim.step(100.0, model, grads, |m| m.forward(x_probe.clone()))?;
/// }
/// assert!(optim.records().iter().all(|rec| rec.r_applied <= 1.0));
/// assert!(optim.records()[0].r > 1.0);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
#[derive(Clone)]
pub struct GhostOptimizer {
    optimizer: ModuleOptimizer,
    controller: Controller,
    jvp_step: Option<f64>,
    records: Vec<StepRecord>,
}

impl GhostOptimizer {
    /// Wraps `optimizer` (any burn optimiser, e.g. `AdamConfig::new().init()`).
    pub fn new(optimizer: impl Into<ModuleOptimizer>, controller: Controller) -> Self {
        GhostOptimizer { optimizer: optimizer.into(), controller, jvp_step: None, records: Vec::new() }
    }

    /// Uses finite-difference step `h` instead of [`default_jvp_step`].
    ///
    /// # Errors
    ///
    /// [`GhostError::InvalidParameter`] unless `h` is positive and finite.
    pub fn with_jvp_step(self, h: f64) -> Result<Self, GhostError> {
        if !(h > 0.0 && h.is_finite()) {
            return Err(GhostError::InvalidParameter { name: "h", value: h, expected: "a positive, finite step" });
        }
        Ok(GhostOptimizer { jvp_step: Some(h), ..self })
    }

    /// One controlled step; see the type's documentation. `logits` runs the forward pass of the
    /// batch whose radius bounds the step (the paper uses the whole training set) on a model
    /// without autodiff.
    ///
    /// # Errors
    ///
    /// Any error of [`central_jvp`] or [`Controller::control`]; a non-finite update or non-finite
    /// logits give [`GhostError::InvalidParameter`] or [`GhostError::NonFinite`]. In
    /// [`ControlMode::Observe`](crate::ControlMode::Observe) a radius that cannot be measured is
    /// logged as NaN and the step is applied, since a baseline must run on regardless.
    pub fn step<M, F>(&mut self, lr: f64, model: M, grads: GradientsParams, logits: F) -> Result<M, GhostError>
    where
        M: Module,
        F: FnMut(&M) -> Tensor<2>,
    {
        let base = model.clone();
        let theta = flatten_params(&base);
        let proposed = self.optimizer.step(lr, model, grads);
        let update: Vec<f64> = flatten_params(&proposed).iter().zip(&theta).map(|(new, old)| new - old).collect();
        let norm = update.iter().map(|u| u * u).sum::<f64>().sqrt();
        let measured = self.measure(base, &theta, &update, norm, logits);
        let record = match measured {
            Ok(record) => record,
            Err(_) if self.controller.mode() == crate::ControlMode::Observe => {
                StepRecord { step_norm: norm, rho_a: f64::NAN, r: f64::NAN, scale: 1.0, r_applied: f64::NAN }
            }
            Err(err) => return Err(err),
        };
        self.records.push(record);
        if record.scale == 1.0 {
            return Ok(proposed);
        }
        let scaled: Vec<f64> = theta.iter().zip(&update).map(|(t, u)| t + record.scale * u).collect();
        load_params(proposed, &scaled)
    }

    fn measure<M, F>(
        &self,
        base: M,
        theta: &[f64],
        update: &[f64],
        norm: f64,
        logits: F,
    ) -> Result<StepRecord, GhostError>
    where
        M: Module,
        F: FnMut(&M) -> Tensor<2>,
    {
        if norm == 0.0 {
            return self.controller.control(0.0, f64::INFINITY);
        }
        // `control` rejects a non-finite norm before the JVP is spent on it.
        if !norm.is_finite() {
            return self.controller.control(norm, f64::INFINITY);
        }
        let h = self.jvp_step.unwrap_or_else(|| default_jvp_step(param_dtype(&base)));
        let direction: Vec<f64> = update.iter().map(|u| u / norm).collect();
        let jvp = jvp_at(base.valid(), theta, &direction, h, logits)?;
        self.controller.control_jvp(norm, &jvp.a, jvp.k)
    }

    /// One record per step taken so far.
    pub fn records(&self) -> &[StepRecord] {
        &self.records
    }

    /// The controller in use.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }
}

/// `[rows, k]` logits copied to the host as f64.
fn host_logits(logits: Tensor<2>) -> (Vec<f64>, usize) {
    let [_, k] = logits.dims();
    (logits.into_data().iter::<f64>().collect(), k)
}

fn param_count<M: Module>(model: &M) -> usize {
    let mut counter = ParamCounter::default();
    model.visit(&mut counter);
    counter.count
}

fn param_dtype<M: Module>(model: &M) -> DType {
    let mut counter = ParamCounter::default();
    model.visit(&mut counter);
    counter.dtype.unwrap_or(DType::F32)
}

#[derive(Default)]
struct ParamReader {
    values: Vec<f64>,
}

impl ModuleVisitor for ParamReader {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.values.extend(param.val().into_data().iter::<f64>());
    }
}

#[derive(Default)]
struct ParamCounter {
    count: usize,
    dtype: Option<DType>,
}

impl ModuleVisitor for ParamCounter {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        self.dtype.get_or_insert(value.dtype());
        self.count += value.shape().num_elements();
    }
}

struct ParamWriter<'a> {
    rest: &'a [f64],
}

impl ModuleMapper for ParamWriter<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|old| {
            let shape = old.shape();
            let (values, rest) = self.rest.split_at(shape.num_elements());
            self.rest = rest;
            let fresh = Tensor::<D>::from_data(TensorData::new(values.to_vec(), shape), (&old.device(), old.dtype()));
            if old.is_require_grad() { fresh.require_grad() } else { fresh }
        })
    }
}

struct ParamCaster {
    dtype: FloatDType,
}

impl ModuleMapper for ParamCaster {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|old| {
            let tracked = old.is_require_grad();
            // A leaf again: the cast is not an operation to differentiate through.
            let fresh = old.cast(self.dtype).detach();
            if tracked { fresh.require_grad() } else { fresh }
        })
    }
}

struct GradSquares<'a> {
    grads: &'a GradientsParams,
    total: f64,
}

impl ModuleVisitor for GradSquares<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            self.total += grad.into_data().iter::<f64>().map(|g| g * g).sum::<f64>();
        }
    }
}

struct GradScaler<'a> {
    grads: &'a mut GradientsParams,
    coefficient: f64,
}

impl ModuleVisitor for GradScaler<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, grad.mul_scalar(self.coefficient));
        }
    }
}
