//! The multiclass lower bound on the ghost radius: `rho_a = pi / Delta_a`.
//!
//! Along a step `theta(tau) = theta_0 + tau v` the logits move as `z + tau a`, with `a = J_z v`.
//! While `|Im tau| * Delta_a < pi`, every term of `F(tau) = sum_k e^(z_k + tau a_k)` has its phase
//! `Im(tau) a_k` inside one open half-plane, so `F` cannot vanish: no complex zero of the
//! partition function lies closer to the origin than `pi / Delta_a`.

use crate::batch;
use crate::error::GhostError;
use crate::real::Real;
use std::f64::consts::PI;

/// The spread `Delta_a` below which the radius is taken as infinite: the logits then move
/// together and the partition function has no zero at any finite step.
pub const MIN_DELTA_A: f64 = 1e-12;

/// `numerator / delta`, or `+inf` when `delta < MIN_DELTA_A`.
pub(crate) fn radius(numerator: f64, delta: f64) -> f64 {
    if delta < MIN_DELTA_A { f64::INFINITY } else { numerator / delta }
}

fn spread<T: Real>(row: &[T]) -> f64 {
    let (lo, hi) = row.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        let v = v.to_f64();
        (lo.min(v), hi.max(v))
    });
    hi - lo
}

/// `Delta_a = max_k a_k - min_k a_k` for each row of a row-major `[B, K]` JVP `a`.
///
/// # Errors
///
/// [`GhostError::ZeroClasses`], [`GhostError::RaggedRows`], [`GhostError::EmptyBatch`], or
/// [`GhostError::NonFinite`] for a NaN or infinite entry.
///
/// # Examples
///
/// ```
/// use softkit_ghost::delta_a;
///
/// assert_eq!(delta_a(&[0.5_f32, -1.0, 2.0, 3.0, 3.0, 3.0], 3)?, vec![3.0, 0.0]);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn delta_a<T: Real>(a: &[T], k: usize) -> Result<Vec<f64>, GhostError> {
    batch::nonempty_rows("a", a.len(), k)?;
    batch::finite("a", a, k)?;
    Ok(a.chunks_exact(k).map(spread).collect())
}

/// The batch bound `rho_a(S) = pi / max_{x in S} Delta_a(x)`: the bottleneck sample sets it.
///
/// `+inf` when every row has `Delta_a < MIN_DELTA_A`.
///
/// # Errors
///
/// As [`delta_a`].
///
/// # Examples
///
/// ```
/// use softkit_ghost::rho_a;
/// use std::f64::consts::PI;
///
/// // Two samples; the second moves its logits apart fastest.
/// let a = [0.0_f64, 1.0, 0.0, 4.0];
/// assert_eq!(rho_a(&a, 2)?, PI / 4.0);
/// assert_eq!(rho_a(&[1.0_f64, 1.0], 2)?, f64::INFINITY);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn rho_a<T: Real>(a: &[T], k: usize) -> Result<f64, GhostError> {
    rho_a_temperature(a, k, 1.0)
}

/// The bound for the tempered loss `CE(z / T)`: `rho_a(T) = pi * T / max Delta_a`.
///
/// # Errors
///
/// As [`delta_a`], and [`GhostError::InvalidParameter`] unless `t` is positive and finite.
///
/// # Examples
///
/// ```
/// use softkit_ghost::{rho_a, rho_a_temperature};
///
/// let a = [0.0_f64, 2.0, -1.0];
/// assert_eq!(rho_a_temperature(&a, 3, 4.0)?, 4.0 * rho_a(&a, 3)?);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn rho_a_temperature<T: Real>(a: &[T], k: usize, t: f64) -> Result<f64, GhostError> {
    if !(t > 0.0 && t.is_finite()) {
        return Err(GhostError::InvalidParameter { name: "t", value: t, expected: "a positive, finite temperature" });
    }
    let worst = delta_a(a, k)?.into_iter().fold(0.0, f64::max);
    Ok(radius(PI * t, worst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_class_rows_have_no_spread() {
        assert_eq!(delta_a(&[3.0_f64, -2.0], 1).unwrap(), vec![0.0, 0.0]);
        assert_eq!(rho_a(&[3.0_f64, -2.0], 1).unwrap(), f64::INFINITY);
    }

    #[test]
    fn threshold_is_strict() {
        // Exactly MIN_DELTA_A is a finite radius; just below it is infinite.
        assert_eq!(rho_a(&[0.0, MIN_DELTA_A], 2).unwrap(), PI / MIN_DELTA_A);
        assert_eq!(rho_a(&[0.0, 0.5 * MIN_DELTA_A], 2).unwrap(), f64::INFINITY);
    }

    #[test]
    fn bad_temperature() {
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                rho_a_temperature(&[0.0_f64, 1.0], 2, t),
                Err(GhostError::InvalidParameter { name: "t", .. })
            ));
        }
    }
}
