//! The step controller: shrink the optimiser's update `p` to `min(1, rho_a / ||p||) p`, so that
//! the normalised step `r = ||p|| / rho_a` never exceeds 1, or scale it to a target `r`.
//!
//! The controller has no hyperparameter of its own. It only rescales the update that is applied:
//! the optimiser's moments are still updated with the raw gradient.

use crate::bound::rho_a_temperature;
use crate::error::GhostError;
use crate::real::Real;

/// The factor `min(1, rho / step_norm)` that keeps a step of norm `step_norm` inside radius `rho`.
///
/// A zero step and an infinite radius give 1. The factor is rounded down where needed so that
/// `factor * step_norm <= rho` holds in floating point, not just in exact arithmetic. NaN in, NaN
/// out; a negative argument, which no norm or radius can be, gives NaN too.
///
/// # Examples
///
/// ```
/// use softkit_ghost::scale;
///
/// assert_eq!(scale(0.5, 2.0), 1.0);
/// assert_eq!(scale(8.0, 2.0), 0.25);
/// assert_eq!(scale(0.0, 0.0), 1.0);
/// assert_eq!(scale(3.0, f64::INFINITY), 1.0);
/// assert!(scale(-1.0, -2.0).is_nan());
/// ```
pub fn scale(step_norm: f64, rho: f64) -> f64 {
    // Outside the domain the rounding search below would not end: a negative step makes
    // `factor * step_norm` grow as the factor shrinks.
    if !(step_norm >= 0.0 && rho >= 0.0) {
        return f64::NAN;
    }
    if step_norm <= rho {
        return 1.0;
    }
    let mut factor = rho / step_norm;
    while factor > 0.0 && factor * step_norm > rho {
        factor = factor.next_down();
    }
    factor
}

/// The factor `r_target * rho / step_norm` that makes the normalised step exactly `r_target`
/// (up to rounding), shrinking or growing the step.
///
/// A zero step cannot be scaled to any length and an infinite radius sets no scale: both give 1.
/// NaN in, NaN out; `r_target` is meant to be positive ([`Controller::target_ratio`] checks it).
///
/// # Examples
///
/// ```
/// use softkit_ghost::scale_to_ratio;
///
/// assert_eq!(scale_to_ratio(4.0, 2.0, 0.5), 0.25);
/// assert_eq!(scale_to_ratio(0.5, 2.0, 0.5), 2.0);
/// assert_eq!(scale_to_ratio(0.0, 2.0, 0.5), 1.0);
/// ```
pub fn scale_to_ratio(step_norm: f64, rho: f64, r_target: f64) -> f64 {
    if step_norm.is_nan() || rho.is_nan() || r_target.is_nan() {
        return f64::NAN;
    }
    if step_norm == 0.0 || rho == f64::INFINITY {
        return 1.0;
    }
    r_target * rho / step_norm
}

/// How the [`Controller`] sets the step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ControlMode {
    /// Shrink steps beyond the radius to the radius; leave shorter steps alone (`r <= 1`).
    Cap,
    /// Scale every step to this normalised length `r`.
    Target(f64),
    /// Measure and record the radius, but apply every step unchanged (a baseline run's log).
    Observe,
}

/// What the controller did at one step: enough to log the radius every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepRecord {
    /// `tau = ||p||`, the norm of the optimiser's proposed update (learning rate included).
    pub step_norm: f64,
    /// The radius `rho_a` the step was measured against.
    pub rho_a: f64,
    /// The proposed normalised step `r = tau / rho_a`.
    pub r: f64,
    /// The factor applied to the update.
    pub scale: f64,
    /// The normalised step after scaling, `scale * tau / rho_a`.
    pub r_applied: f64,
}

/// Keeps each optimiser step within the ghost radius.
///
/// # Usage
///
/// Each training step: compute the optimiser's proposed update `p` and its norm, the JVP
/// `a = J_z (p / ||p||)` of the batch's logits, then ask [`Controller::control_jvp`] (or
/// [`Controller::control`] with a radius of your own) for the factor, and apply `factor * p`.
///
/// # Examples
///
/// ```
/// use softkit_ghost::{ControlMode, Controller};
/// use std::f64::consts::PI;
///
/// let ctl = Controller::new();
/// // Logits move apart at rate 2 along the step, so rho_a = pi / 2; the step is twice that.
/// let rec = ctl.control_jvp(PI, &[1.0_f64, -1.0, 0.5, 0.0], 2)?;
/// assert_eq!((rec.r, rec.scale, rec.r_applied), (2.0, 0.5, 1.0));
///
/// let ctl = Controller::target_ratio(0.5)?;
/// assert_eq!(ctl.mode(), ControlMode::Target(0.5));
/// assert_eq!(ctl.control(1.0, 4.0)?.scale, 2.0);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Controller {
    mode: ControlMode,
    temperature: f64,
}

impl Default for Controller {
    fn default() -> Self {
        Self::new()
    }
}

impl Controller {
    /// A controller in [`ControlMode::Cap`] for a loss at temperature 1.
    pub fn new() -> Self {
        Controller { mode: ControlMode::Cap, temperature: 1.0 }
    }

    /// A controller that only measures: every step is applied unchanged, and its record says how
    /// far beyond the radius it went.
    ///
    /// ```
    /// use softkit_ghost::Controller;
    ///
    /// let rec = Controller::observe().control(8.0, 2.0)?;
    /// assert_eq!((rec.r, rec.scale), (4.0, 1.0));
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn observe() -> Self {
        Controller { mode: ControlMode::Observe, temperature: 1.0 }
    }

    /// A controller that scales every step to normalised length `r_target`.
    ///
    /// # Errors
    ///
    /// [`GhostError::InvalidParameter`] unless `r_target` is positive and finite.
    pub fn target_ratio(r_target: f64) -> Result<Self, GhostError> {
        if !(r_target > 0.0 && r_target.is_finite()) {
            return Err(GhostError::InvalidParameter {
                name: "r_target",
                value: r_target,
                expected: "a positive, finite normalised step",
            });
        }
        Ok(Controller { mode: ControlMode::Target(r_target), temperature: 1.0 })
    }

    /// The same controller for the tempered loss `CE(z / t)`, whose radius is `pi t / Delta_a`
    /// (used by [`control_jvp`](Controller::control_jvp)).
    ///
    /// # Errors
    ///
    /// [`GhostError::InvalidParameter`] unless `t` is positive and finite.
    pub fn with_temperature(self, t: f64) -> Result<Self, GhostError> {
        if !(t > 0.0 && t.is_finite()) {
            return Err(GhostError::InvalidParameter {
                name: "t",
                value: t,
                expected: "a positive, finite temperature",
            });
        }
        Ok(Controller { temperature: t, ..self })
    }

    /// The mode.
    pub fn mode(&self) -> ControlMode {
        self.mode
    }

    /// The loss temperature.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// The factor for a step of norm `step_norm` against radius `rho_a`, with its record.
    ///
    /// In [`ControlMode::Cap`] the applied `r` never exceeds 1.
    ///
    /// # Errors
    ///
    /// [`GhostError::InvalidParameter`] unless `step_norm` is finite and non-negative and `rho_a`
    /// is positive (`+inf` allowed).
    pub fn control(&self, step_norm: f64, rho_a: f64) -> Result<StepRecord, GhostError> {
        if !(step_norm >= 0.0 && step_norm.is_finite()) {
            return Err(GhostError::InvalidParameter {
                name: "step_norm",
                value: step_norm,
                expected: "a finite, non-negative norm",
            });
        }
        if rho_a.is_nan() || rho_a <= 0.0 {
            return Err(GhostError::InvalidParameter { name: "rho_a", value: rho_a, expected: "a positive radius" });
        }
        let factor = match self.mode {
            ControlMode::Cap => scale(step_norm, rho_a),
            ControlMode::Target(r) => scale_to_ratio(step_norm, rho_a, r),
            ControlMode::Observe => 1.0,
        };
        Ok(StepRecord { step_norm, rho_a, r: step_norm / rho_a, scale: factor, r_applied: factor * step_norm / rho_a })
    }

    /// [`control`](Controller::control) with the radius `rho_a(T)` of the batch whose logits move
    /// at rates `a` (row-major `[B, K]`, the JVP along the unit step direction).
    ///
    /// # Errors
    ///
    /// As [`control`](Controller::control) and [`rho_a_temperature`].
    pub fn control_jvp<T: Real>(&self, step_norm: f64, a: &[T], k: usize) -> Result<StepRecord, GhostError> {
        let rho = rho_a_temperature(a, k, self.temperature)?;
        self.control(step_norm, rho)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_never_pushes_past_the_radius() {
        // Pairs where rho / step_norm * step_norm rounds above rho without the correction.
        let mut seen = 0;
        for i in 1..2000 {
            let step = 1.0 + i as f64 * 0.001_234_567;
            let rho = 0.1 + i as f64 * 0.000_987_654_3;
            if rho / step * step > rho {
                seen += 1;
            }
            let f = scale(step, rho);
            assert!(f * step <= rho || step <= rho);
        }
        assert!(seen > 0, "the sample exercises the rounding correction");
    }

    #[test]
    fn bad_control_inputs() {
        let c = Controller::new();
        assert!(c.control(-1.0, 1.0).is_err());
        assert!(c.control(f64::NAN, 1.0).is_err());
        assert!(c.control(1.0, 0.0).is_err());
        assert!(c.control(1.0, f64::NAN).is_err());
        assert_eq!(c.control(1.0, f64::INFINITY).unwrap().scale, 1.0);
        let seen = Controller::observe().control(8.0, 2.0).unwrap();
        assert_eq!((seen.r, seen.scale, seen.r_applied), (4.0, 1.0, 4.0));
        assert!(Controller::target_ratio(0.0).is_err());
        assert!(Controller::new().with_temperature(-2.0).is_err());
    }
}
