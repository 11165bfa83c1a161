//! The exponential shared by the kernels: `e^v = p * 2^n` by Cody–Waite range reduction and a
//! polynomial, in branch-free `f64` arithmetic that the compiler can vectorise, and that never
//! forms a subnormal number.
//!
//! Splitting the result into a mantissa `p` in `[1/sqrt 2, sqrt 2]` and an integer exponent `n`
//! is what the Two-Pass algorithm accumulates; the other kernels recombine the two at once.

use crate::real::Real;

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` split so that `n * LN2_HI` is exact for `|n| < 2^38` (Cephes' constants).
pub(crate) const LN2_HI: f64 = 6.931_457_519_531_25e-1;
pub(crate) const LN2_LO: f64 = 1.428_606_820_309_417_3e-6;
/// Adding `1.5 * 2^52` rounds an `f64` below `2^51` to the nearest integer without SSE4.1.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;
/// `(v + 2^52).to_bits() - (2^52).to_bits()` is `v` as an integer, for integer `0 <= v < 2^52`.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// `|v|` up to which [`exp_parts`] is exact to the polynomial's accuracy: `n * LN2_LO` keeps its
/// rounding below `f64` resolution of the reduced argument.
pub(crate) const PARTS_LIMIT: f64 = 1_048_576.0;

/// `e^v` as `(p, n)` with `e^v = p * 2^n`, `n` integer-valued, `|v| <= PARTS_LIMIT`.
#[inline(always)]
pub(crate) fn exp_parts<T: Real>(v: f64) -> (f64, f64) {
    let n = (v * LOG2_E + ROUND_MAGIC) - ROUND_MAGIC;
    let r = (v - n * LN2_HI) - n * LN2_LO;
    (T::exp_poly(r), n)
}

/// Results below `2^-1000` are flushed to zero: subnormal arithmetic costs about a hundred cycles
/// an operation on x86, and a probability of `1e-301` is zero for every purpose here.
const FLUSH_BELOW: f64 = -1000.0;

/// `2^n` for integer-valued `n <= 1023`; exactly zero for `n < -1000`, never subnormal.
#[inline(always)]
pub(crate) fn pow2(n: f64) -> f64 {
    // Clamp without `max`/`min` so that the comparisons vectorise; a NaN `n` gives some finite
    // power, and NaN reaches the result through the mantissa it multiplies.
    let c = if n < -1022.0 { -1022.0 } else { n };
    let c = if c > 1023.0 { 1023.0 } else { c };
    let biased = (c + 1023.0 + TWO_52).to_bits().wrapping_sub(TWO_52.to_bits());
    let p = f64::from_bits(biased << 52);
    if n < FLUSH_BELOW { 0.0 } else { p }
}

/// `e^v` for `v <= 0` (also correct up to `v ~ 709`); below about `e^-693` it is flushed to
/// zero, like [`pow2`]. NaN in, NaN out.
#[inline(always)]
pub(crate) fn exp<T: Real>(v: f64) -> f64 {
    let v = if v < -746.0 { -746.0 } else { v };
    let (p, n) = exp_parts::<T>(v);
    p * pow2(n)
}

/// `e^r` for `|r| <= ln2 / 2` to about `5e-9` relative: degree-7 Taylor, enough for `f32` output.
#[inline(always)]
pub(crate) fn poly7(r: f64) -> f64 {
    const C: [f64; 8] = [1.0, 1.0, 1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0];
    horner(r, &C)
}

/// `e^r` for `|r| <= ln2 / 2` to within a few `f64` ulps: degree-13 Taylor (truncation `4e-18`).
#[inline(always)]
pub(crate) fn poly13(r: f64) -> f64 {
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    horner(r, &C)
}

#[inline(always)]
fn horner(r: f64, c: &[f64]) -> f64 {
    let mut acc = c[c.len() - 1];
    for &ci in c[..c.len() - 1].iter().rev() {
        acc = acc * r + ci;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { ((a - b) / b).abs() }
    }

    #[test]
    fn matches_libm_over_the_range() {
        let mut worst64: f64 = 0.0;
        let mut worst32: f64 = 0.0;
        let mut v: f64 = -745.0;
        while v <= 709.0 {
            let want = v.exp();
            if want > 1e-300 {
                worst64 = worst64.max(rel(exp::<f64>(v), want));
                worst32 = worst32.max(rel(exp::<f32>(v), want));
            }
            v += 0.0137;
        }
        assert!(worst64 < 1e-15, "f64 worst relative error {worst64}");
        assert!(worst32 < 2e-8, "f32 worst relative error {worst32}");
    }

    #[test]
    fn special_values() {
        assert_eq!(exp::<f64>(0.0), 1.0);
        assert_eq!(exp::<f64>(f64::NEG_INFINITY), 0.0);
        assert!(exp::<f64>(f64::NAN).is_nan());
        assert!(exp::<f32>(f64::NAN).is_nan());
        assert_eq!(exp::<f64>(-800.0), 0.0);
        assert_eq!(exp::<f64>(-f64::MAX), 0.0);
        // Flushed to zero rather than subnormal; just above the threshold, still accurate.
        assert_eq!(exp::<f64>(-740.0), 0.0);
        assert!(rel(exp::<f64>(-690.0), (-690.0_f64).exp()) < 1e-15);
    }

    #[test]
    fn parts_recombine_far_outside_the_f64_range() {
        for &v in &[-1e6, -12345.678, 1e6, 0.3, 88.0] {
            let (p, n) = exp_parts::<f64>(v);
            assert!((0.70..=1.42).contains(&p), "mantissa {p} for {v}");
            // ln(p * 2^n) = ln p + n ln 2 must give v back.
            let back = p.ln() + n * std::f64::consts::LN_2;
            assert!((back - v).abs() <= 1e-15 * v.abs().max(1.0) * 4.0, "{back} vs {v}");
        }
    }

    #[test]
    fn pow2_edges() {
        assert_eq!(pow2(0.0), 1.0);
        assert_eq!(pow2(-1000.0), 2f64.powi(-1000));
        assert_eq!(pow2(-1001.0), 0.0);
        assert_eq!(pow2(f64::NEG_INFINITY), 0.0);
        assert_eq!(pow2(1023.0), 2f64.powi(1023));
        assert_eq!(pow2(5000.0), 2f64.powi(1023));
        assert!((f64::NAN * pow2(f64::NAN)).is_nan());
    }
}
