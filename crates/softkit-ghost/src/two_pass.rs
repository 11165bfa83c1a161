//! The Two-Pass softmax (Dukhan & Ablavatski 2020, "The Two-Pass Softmax Algorithm"): the first
//! pass sums `e^x` directly as `(mantissa, exponent)` pairs, so the sum cannot overflow and no
//! maximum pass is needed; the second pass writes `p_i * 2^(n_i - N) / M`. The row is read twice
//! and written once, with no serial dependence on a running maximum.
//!
//! The pairs come from the exponential's own range reduction, which is exact for
//! `|x| <= 2^20`; a masked `-inf` logit weighs nothing next to them. A row holding a larger finite
//! logit, `+inf` or NaN is rare and goes to the three-pass kernel instead, which handles every
//! value.

use crate::exp::{self, LN2_HI, LN2_LO, PARTS_LIMIT};
use crate::normaliser::{Degenerate, LogNorm};
use crate::real::Real;
use crate::three_pass::{self, LANES, SHORT_ROW};
use std::f64::consts::LOG2_E;

/// Far below any real exponent, yet finite, so that differences of exponents stay finite.
const NO_EXPONENT: f64 = -1e300;
/// Logits below this (only `-inf` gets here: other values beyond `PARTS_LIMIT` take the
/// three-pass path) are raised to it: their pairs then weigh `2^-1.5e6` against any real logit,
/// which flushes to zero, and the loop needs no branch to skip them.
const MASK_FLOOR: f64 = -2.0 * PARTS_LIMIT;

/// `e^v` as a pair, with `-inf` raised to `MASK_FLOOR`.
#[inline(always)]
fn pair<T: Real>(v: f64) -> (f64, f64) {
    exp::exp_parts::<T>(if v < MASK_FLOOR { MASK_FLOOR } else { v })
}

/// Whether the pair of `v` is inexact or undefined.
#[inline(always)]
fn outside(v: f64) -> bool {
    // Non-short-circuit operators keep the loop free of branches, so that it vectorises.
    v.is_nan() | (v > PARTS_LIMIT) | ((v < -PARTS_LIMIT) & (v != f64::NEG_INFINITY))
}

/// `sum_i e^(x_i) = M * 2^N`, or `None` when a logit is outside the pairs' exact range.
fn accumulate<T: Real>(x: &[T]) -> Option<(f64, f64)> {
    if x.len() < SHORT_ROW { accumulate_in::<T, 1>(x) } else { accumulate_in::<T, LANES>(x) }
}

fn accumulate_in<T: Real, const L: usize>(x: &[T]) -> Option<(f64, f64)> {
    let mut n_acc = [NO_EXPONENT; L];
    let mut m_acc = [0.0_f64; L];
    let mut bad = [false; L];
    // Of the two rescalings `2^(n_acc - n_max)` and `2^(n - n_max)` one is 1: compute the other.
    #[inline(always)]
    fn step<T: Real>(m_acc: &mut f64, n_acc: &mut f64, bad: &mut bool, v: f64) {
        *bad |= outside(v);
        let (p, n) = pair::<T>(v);
        let s = exp::pow2(-(n - *n_acc).abs());
        let up = n > *n_acc;
        *m_acc = if up { *m_acc * s + p } else { *m_acc + p * s };
        *n_acc = if up { n } else { *n_acc };
    }
    let chunks = x.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..L {
            step::<T>(&mut m_acc[l], &mut n_acc[l], &mut bad[l], c[l].to_f64());
        }
    }
    for &v in rest {
        step::<T>(&mut m_acc[0], &mut n_acc[0], &mut bad[0], v.to_f64());
    }
    if bad.contains(&true) {
        return None;
    }
    let n_top = n_acc.iter().fold(f64::MIN, |a, &b| if b > a { b } else { a });
    if n_top < MASK_FLOOR * LOG2_E + 1.0 {
        // Every logit was `-inf` (or the row is empty): no mass.
        return Some((0.0, n_top));
    }
    let m_sum = m_acc.iter().zip(&n_acc).map(|(&m, &n)| m * exp::pow2(n - n_top)).sum();
    Some((m_sum, n_top))
}

/// The single accumulation pass (three passes for rows outside the pairs' range).
pub(crate) fn normaliser<T: Real>(x: &[T]) -> Result<LogNorm, Degenerate> {
    match accumulate(x) {
        // Only an empty or all `-inf` row sums to zero: other mantissas are at least 1/sqrt 2.
        Some((0.0, _)) => Err(Degenerate::classify(x)),
        Some((m, n)) => Ok(LogNorm { hi: n * LN2_HI, lo: n * LN2_LO, log_sum: m.ln() }),
        None => three_pass::normaliser(x),
    }
}

pub(crate) fn softmax<T: Real>(x: &[T], out: &mut [T]) {
    match accumulate(x) {
        Some((0.0, _)) => Degenerate::classify(x).softmax(x, out),
        Some((m, n_top)) => {
            for (o, &v) in out.iter_mut().zip(x) {
                let (p, n) = pair::<T>(v.to_f64());
                // Dividing (not multiplying by 1/m) makes a lone class exactly 1.
                *o = T::from_f64(p / m * exp::pow2(n - n_top));
            }
        }
        None => three_pass::softmax(x, out),
    }
}
