use std::fmt::{Debug, Display};

use crate::exp;

/// A floating-point element of a logit or JVP row: `f32` or `f64`.
///
/// Every value is widened to `f64` at the point of use, and sums are accumulated in `f64`, so
/// `f32` rows lose no accuracy to long reductions. The type sets the width of each load and store
/// and how many terms the exponential's polynomial needs to reach the output's precision.
///
/// # Examples
///
/// ```
/// use softkit_ghost::Real;
///
/// assert_eq!(<f32 as Real>::from_f64(0.5).to_f64(), 0.5);
/// assert!((f32::exp_poly(0.25) - 0.25_f64.exp()).abs() < 1e-8);
/// ```
pub trait Real: Copy + PartialOrd + Send + Sync + Debug + Display + 'static {
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// Not a number.
    const NAN: Self;
    /// Size of one element in bytes (for bandwidth figures).
    const BYTES: usize;

    /// Widens the value to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Rounds an `f64` to this type.
    fn from_f64(value: f64) -> Self;
    /// `e^r` for a reduced argument `|r| <= ln(2)/2`, accurate to this type's precision.
    fn exp_poly(r: f64) -> f64;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
}

impl Real for f32 {
    const INFINITY: Self = f32::INFINITY;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;
    const NAN: Self = f32::NAN;
    const BYTES: usize = 4;

    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    #[inline(always)]
    fn exp_poly(r: f64) -> f64 {
        exp::poly7(r)
    }
    #[inline]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Real for f64 {
    const INFINITY: Self = f64::INFINITY;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;
    const NAN: Self = f64::NAN;
    const BYTES: usize = 8;

    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(value: f64) -> Self {
        value
    }
    #[inline(always)]
    fn exp_poly(r: f64) -> f64 {
        exp::poly13(r)
    }
    #[inline]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}
