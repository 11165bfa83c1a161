//! Softmax kernels and the ghost radius of cross-entropy, with a controller for safe step sizes.
//!
//! Along an update direction `v` the logits move, to first order, as `z + tau a` with
//! `a = J_z v`. The partition function `F(tau) = sum_k e^(z_k + tau a_k)` then has complex zeros
//! (Sao 2026, "Ghosts of Softmax"), and the Taylor model of the loss along `v` cannot be trusted
//! beyond the nearest one. This crate measures that radius and keeps steps inside it.
//!
//! - Kernels: softmax, log-softmax, log-sum-exp and cross-entropy over rows of `f32` or `f64`,
//!   in three algorithms (see [`Kernel`]).
//! - Radii, on plain row-major `[B, K]` slices so that any framework can call them:
//!   [`delta_a`], [`rho_a`] (the batch bound `pi / max Delta_a`), [`rho_a_temperature`],
//!   [`rho_binary`] (exact for two classes), [`rho_top2`] (per-sample diagnostic) and
//!   [`nearest_zero`] (numeric, the true radius).
//! - Control: [`scale`], [`scale_to_ratio`] and the [`Controller`] that logs a [`StepRecord`].
//! - Training (feature `burn`): `train::GhostOptimizer` wraps any burn optimiser and keeps its
//!   steps inside the radius, with the JVP from central finite differences.
//!
//! Modules:
//!
//! - `kernel`: [`Kernel`], softmax and its relatives by one of three algorithms.
//! - `three_pass`, `two_pass`, `online`: the three algorithms.
//! - `normaliser`: the rows no algorithm can normalise, handled alike by all three.
//! - `exp`: the branch-free exponential the kernels share.
//! - `real`: [`Real`], the `f32` and `f64` the kernels read.
//! - `bound`: the batch bound [`rho_a`] and [`delta_a`].
//! - `top2`: the exact two-class radius [`rho_binary`] and [`rho_top2`].
//! - `nearest_zero`: the true radius, found numerically ([`nearest_zero`]).
//! - `controller`: [`Controller`], [`scale`] and [`scale_to_ratio`].
//! - `batch`: the shape and value checks every entry point shares.
//! - `error`: [`GhostError`].
//! - `train` (feature `burn`): the burn training integration.
//!
//! # Examples
//!
//! ```
//! use softkit_ghost::{nearest_zero, rho_a, Controller, Kernel};
//!
//! // A batch of two samples over three classes: logits and their rates along the step.
//! let z = [2.0_f32, 0.5, -1.0, 0.0, 0.1, 0.2];
//! let a = [0.4_f32, -0.3, 0.1, 1.5, -0.5, 0.0];
//! let ce = Kernel::Online.cross_entropy_rows(&z, 3, &[0, 2])?;
//! assert!(ce[0] < ce[1]);
//!
//! // The bound never exceeds the true radius of any sample.
//! let bound = rho_a(&a, 3)?;
//! assert!(nearest_zero(&z, &a, 3)?.iter().all(|&r| bound <= r));
//!
//! // A step three times the bound is cut back to it.
//! let rec = Controller::new().control(3.0 * bound, bound)?;
//! assert!(rec.r_applied <= 1.0 && (rec.scale - 1.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), softkit_ghost::GhostError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod bound;
mod controller;
mod error;
mod exp;
mod kernel;
mod nearest_zero;
mod normaliser;
mod online;
mod real;
mod three_pass;
mod top2;
#[cfg(feature = "burn")]
pub mod train;
mod two_pass;

pub use bound::{MIN_DELTA_A, delta_a, rho_a, rho_a_temperature};
pub use controller::{ControlMode, Controller, StepRecord, scale, scale_to_ratio};
pub use error::GhostError;
pub use kernel::Kernel;
pub use nearest_zero::nearest_zero;
pub use real::Real;
pub use top2::{rho_binary, rho_top2};
