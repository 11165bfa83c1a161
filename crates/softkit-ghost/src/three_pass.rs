//! The classic safe softmax in three passes over the row: the maximum, the sum of `e^(x - max)`,
//! then the normalised output (recomputing each exponential rather than storing it, so the row
//! is read three times and written once).

use crate::exp;
use crate::normaliser::{Degenerate, LogNorm};
use crate::real::Real;

/// Independent accumulators, so that the compiler can keep several in flight.
pub(crate) const LANES: usize = 8;
/// Rows shorter than this use one accumulator: merging eight would cost more than it saves.
pub(crate) const SHORT_ROW: usize = 4 * LANES;

/// The largest value, ignoring NaN (a NaN still poisons the sum pass). `-inf` for an empty row.
pub(crate) fn max<T: Real>(x: &[T]) -> f64 {
    if x.len() < SHORT_ROW { max_in::<T, 1>(x) } else { max_in::<T, LANES>(x) }
}

fn max_in<T: Real, const L: usize>(x: &[T]) -> f64 {
    let mut lanes = [f64::NEG_INFINITY; L];
    let chunks = x.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..L {
            let v = c[l].to_f64();
            lanes[l] = if v > lanes[l] { v } else { lanes[l] };
        }
    }
    for &v in rest {
        let v = v.to_f64();
        lanes[0] = if v > lanes[0] { v } else { lanes[0] };
    }
    lanes.into_iter().fold(f64::NEG_INFINITY, |m, v| if v > m { v } else { m })
}

/// `sum_i e^(x_i - shift)` in `f64`.
pub(crate) fn sum_exp<T: Real>(x: &[T], shift: f64) -> f64 {
    if x.len() < SHORT_ROW { sum_exp_in::<T, 1>(x, shift) } else { sum_exp_in::<T, LANES>(x, shift) }
}

fn sum_exp_in<T: Real, const L: usize>(x: &[T], shift: f64) -> f64 {
    let mut lanes = [0.0_f64; L];
    let chunks = x.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..L {
            lanes[l] += exp::exp::<T>(c[l].to_f64() - shift);
        }
    }
    for &v in rest {
        lanes[0] += exp::exp::<T>(v.to_f64() - shift);
    }
    lanes.iter().sum()
}

/// `out_i = e^(x_i - shift) * inv_sum`.
pub(crate) fn write_softmax<T: Real>(x: &[T], shift: f64, inv_sum: f64, out: &mut [T]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = T::from_f64(exp::exp::<T>(v.to_f64() - shift) * inv_sum);
    }
}

/// Passes one and two: the maximum, then the sum of exponentials below it.
pub(crate) fn normaliser<T: Real>(x: &[T]) -> Result<LogNorm, Degenerate> {
    let m = max(x);
    if !m.is_finite() {
        return Err(Degenerate::classify(x));
    }
    Ok(LogNorm { hi: m, lo: 0.0, log_sum: sum_exp(x, m).ln() })
}

pub(crate) fn softmax<T: Real>(x: &[T], out: &mut [T]) {
    let m = max(x);
    if !m.is_finite() {
        return Degenerate::classify(x).softmax(x, out);
    }
    let s = sum_exp(x, m);
    write_softmax(x, m, 1.0 / s, out);
}
