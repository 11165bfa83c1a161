//! Online normaliser (Milakov & Gimelshein 2018, "Online normalizer calculation for softmax"):
//! one pass keeps a running maximum `m` and a running sum `d` of `e^(x - m)`, rescaling `d` when
//! the maximum moves, then a second pass writes the output. The row is read twice, written once.

use crate::exp;
use crate::normaliser::{Degenerate, LogNorm};
use crate::real::Real;
use crate::three_pass::{LANES, SHORT_ROW, write_softmax};

/// The running `(m, d)` per lane, merged at the end with the same rescaling rule.
fn running<T: Real>(x: &[T]) -> (f64, f64) {
    if x.len() < SHORT_ROW { running_in::<T, 1>(x) } else { running_in::<T, LANES>(x) }
}

fn running_in<T: Real, const L: usize>(x: &[T]) -> (f64, f64) {
    // A finite start, so that a `-inf` logit never forms `-inf - -inf`.
    let mut m = [f64::MIN; L];
    let mut d = [0.0_f64; L];
    // Of `e^(m - max(m, v))` and `e^(v - max(m, v))` one is 1, so a single exponential suffices.
    #[inline(always)]
    fn step<T: Real>(m: &mut f64, d: &mut f64, v: f64) {
        let e = exp::exp::<T>(-(v - *m).abs());
        let up = v > *m;
        *d = if up { *d * e + 1.0 } else { *d + e };
        *m = if up { v } else { *m };
    }
    let chunks = x.chunks_exact(L);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..L {
            step::<T>(&mut m[l], &mut d[l], c[l].to_f64());
        }
    }
    for &v in rest {
        step::<T>(&mut m[0], &mut d[0], v.to_f64());
    }
    let top = m.iter().fold(f64::MIN, |a, &b| if b > a { b } else { a });
    let sum = m.iter().zip(&d).map(|(&ml, &dl)| dl * exp::exp::<T>(ml - top)).sum();
    (top, sum)
}

fn finish<T: Real>(x: &[T], m: f64, d: f64) -> Result<(f64, f64), Degenerate> {
    // `+inf` turns the arithmetic into NaN, and `d == 0` means no finite logit was seen.
    if m == f64::INFINITY || d == 0.0 { Err(Degenerate::classify(x)) } else { Ok((m, d)) }
}

/// The single normaliser pass.
pub(crate) fn normaliser<T: Real>(x: &[T]) -> Result<LogNorm, Degenerate> {
    let (m, d) = running(x);
    finish(x, m, d).map(|(m, d)| LogNorm { hi: m, lo: 0.0, log_sum: d.ln() })
}

pub(crate) fn softmax<T: Real>(x: &[T], out: &mut [T]) {
    let (m, d) = running(x);
    match finish(x, m, d) {
        Ok((m, d)) => write_softmax(x, m, 1.0 / d, out),
        Err(deg) => deg.softmax(x, out),
    }
}
