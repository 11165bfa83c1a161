//! The exact two-class radius and its per-sample top-2 diagnostic.
//!
//! With two classes, `F(tau) = e^(z_1 + tau a_1) + e^(z_2 + tau a_2)` vanishes where
//! `(z_1 - z_2) + tau (a_1 - a_2) = i pi (2m + 1)`, so the nearest zero has modulus
//! `rho* = sqrt(delta^2 + pi^2) / |a_1 - a_2|` with `delta = z_1 - z_2`.

use crate::batch;
use crate::bound::radius;
use crate::error::GhostError;
use crate::real::Real;
use std::f64::consts::PI;

fn pair_radius(margin: f64, slope_gap: f64) -> f64 {
    radius(margin.hypot(PI), slope_gap.abs())
}

/// The exact radius `sqrt(delta^2 + pi^2) / |a_1 - a_2|` of each row of two-class logits `z` and
/// JVP `a`, both row-major `[B, 2]`. `+inf` where `|a_1 - a_2| < MIN_DELTA_A`.
///
/// # Errors
///
/// [`GhostError::RaggedRows`] (with `k = 2`), [`GhostError::EmptyBatch`],
/// [`GhostError::LengthMismatch`] if `a` and `z` differ in length, or [`GhostError::NonFinite`].
///
/// # Examples
///
/// ```
/// use softkit_ghost::rho_binary;
/// use std::f64::consts::PI;
///
/// let r = rho_binary(&[3.0_f64, -1.0], &[0.5, -1.5])?;
/// assert!((r[0] - (16.0 + PI * PI).sqrt() / 2.0).abs() < 1e-15);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn rho_binary<T: Real>(z: &[T], a: &[T]) -> Result<Vec<f64>, GhostError> {
    batch::logits_and_jvp(z, a, 2)?;
    Ok(z.chunks_exact(2)
        .zip(a.chunks_exact(2))
        .map(|(z, a)| pair_radius(z[0].to_f64() - z[1].to_f64(), a[0].to_f64() - a[1].to_f64()))
        .collect())
}

/// Per-sample top-2 radius `sqrt(delta^2 + pi^2) / |a_y - a_c|`, where `y` is the sample's label,
/// `c` its highest-logit other class (the lower index on ties) and `delta = z_y - z_c`.
///
/// It is the exact radius of the two-class problem made of the label and its strongest rival: a
/// diagnostic of which samples limit the step, not a bound (the multiclass bound is
/// [`rho_a`](crate::rho_a)). `+inf` for `k = 1`, where there is no rival.
///
/// # Errors
///
/// As [`rho_binary`] for `[B, k]` arrays, plus [`GhostError::ZeroClasses`], a
/// [`GhostError::LengthMismatch`] unless there is one label per row, and
/// [`GhostError::LabelOutOfRange`].
///
/// # Examples
///
/// ```
/// use softkit_ghost::{rho_binary, rho_top2};
///
/// // Class 2 is the rival of label 0; class 1 plays no part.
/// let z = [2.0_f64, -5.0, 1.0];
/// let a = [0.1_f64, 9.0, 0.6];
/// let r = rho_top2(&z, &a, &[0], 3)?;
/// assert_eq!(r, rho_binary(&[2.0, 1.0], &[0.1, 0.6])?);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn rho_top2<T: Real>(z: &[T], a: &[T], labels: &[usize], k: usize) -> Result<Vec<f64>, GhostError> {
    let b = batch::logits_and_jvp(z, a, k)?;
    batch::labels(labels, b, k, "the rows of z")?;
    Ok(z.chunks_exact(k)
        .zip(a.chunks_exact(k))
        .zip(labels)
        .map(|((z, a), &y)| {
            let rival = (0..k).filter(|&c| c != y).fold(None, |best: Option<usize>, c| match best {
                Some(b) if z[b] >= z[c] => Some(b),
                _ => Some(c),
            });
            match rival {
                None => f64::INFINITY,
                Some(c) => pair_radius(z[y].to_f64() - z[c].to_f64(), a[y].to_f64() - a[c].to_f64()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_pick_the_lower_index() {
        let z = [0.0_f64, 1.0, 1.0];
        let a = [0.0_f64, 1.0, 3.0];
        assert_eq!(rho_top2(&z, &a, &[0], 3).unwrap()[0], pair_radius(-1.0, -1.0));
    }

    #[test]
    fn single_class_has_no_rival() {
        assert_eq!(rho_top2(&[1.0_f32, 2.0], &[0.0, 5.0], &[0, 0], 1).unwrap(), vec![f64::INFINITY; 2]);
    }

    #[test]
    fn equal_slopes_give_an_infinite_radius() {
        assert_eq!(rho_binary(&[0.0_f64, 1.0], &[2.0, 2.0]).unwrap(), vec![f64::INFINITY]);
    }
}
