//! What every kernel's first pass produces: the row's log-normaliser, or, for a row the
//! arithmetic cannot normalise (empty, all `-inf`, any `+inf`, or a NaN among infinities), how it
//! degenerates. All three kernels defer to the same rules, so they agree bit for bit there.
//!
//! - Any NaN: every output is NaN.
//! - No finite mass (empty or all `-inf`): log-sum-exp is `-inf`, softmax and log-softmax are NaN
//!   (`0/0`: no class has any probability), as in PyTorch.
//! - `c` entries at `+inf`: the limit of `c` equal logits growing without bound. Those classes
//!   share the mass (`1/c` each, log-probability `-ln c`), the rest get 0 (`-inf`), and
//!   log-sum-exp is `+inf`.

use crate::real::Real;

/// `log sum_i e^(x_i) = (hi + lo) + log_sum`, where `hi + lo` is within a few units of the row's
/// maximum. Log-probabilities subtract `hi`, then `lo`, then `log_sum`, which keeps them accurate
/// for logits far from zero (`1e30 - (1e30 + ln 2)` would lose the `ln 2`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LogNorm {
    pub(crate) hi: f64,
    pub(crate) lo: f64,
    pub(crate) log_sum: f64,
}

impl LogNorm {
    pub(crate) fn log_sum_exp(self) -> f64 {
        self.hi + (self.lo + self.log_sum)
    }

    #[inline(always)]
    pub(crate) fn log_prob(self, v: f64) -> f64 {
        ((v - self.hi) - self.lo) - self.log_sum
    }

    pub(crate) fn write_log_softmax<T: Real>(self, x: &[T], out: &mut [T]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = T::from_f64(self.log_prob(v.to_f64()));
        }
    }
}

/// How a row without a finite normaliser degenerates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Degenerate {
    Nan,
    NoMass,
    PosInf { count: usize },
}

impl Degenerate {
    pub(crate) fn classify<T: Real>(x: &[T]) -> Self {
        if x.iter().any(|v| v.is_nan()) {
            return Self::Nan;
        }
        match x.iter().filter(|&&v| v == T::INFINITY).count() {
            0 => Self::NoMass,
            count => Self::PosInf { count },
        }
    }

    pub(crate) fn log_sum_exp(self) -> f64 {
        match self {
            Self::Nan => f64::NAN,
            Self::NoMass => f64::NEG_INFINITY,
            Self::PosInf { .. } => f64::INFINITY,
        }
    }

    pub(crate) fn softmax<T: Real>(self, x: &[T], out: &mut [T]) {
        match self {
            Self::Nan | Self::NoMass => out.fill(T::NAN),
            Self::PosInf { count } => {
                let share = T::from_f64(1.0 / count as f64);
                let zero = T::from_f64(0.0);
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = if v == T::INFINITY { share } else { zero };
                }
            }
        }
    }

    pub(crate) fn log_softmax<T: Real>(self, x: &[T], out: &mut [T]) {
        match self {
            Self::Nan | Self::NoMass => out.fill(T::NAN),
            Self::PosInf { count } => {
                let share = T::from_f64(-(count as f64).ln());
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = if v == T::INFINITY { share } else { T::NEG_INFINITY };
                }
            }
        }
    }

    /// `-log softmax(x)[label]` given the label's logit.
    pub(crate) fn cross_entropy<T: Real>(self, label_logit: T) -> f64 {
        match self {
            Self::Nan | Self::NoMass => f64::NAN,
            Self::PosInf { count } if label_logit == T::INFINITY => (count as f64).ln(),
            Self::PosInf { .. } => f64::INFINITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(Degenerate::classify::<f64>(&[]), Degenerate::NoMass);
        assert_eq!(Degenerate::classify(&[f64::NEG_INFINITY; 3]), Degenerate::NoMass);
        assert_eq!(Degenerate::classify(&[f32::INFINITY, 1.0, f32::INFINITY]), Degenerate::PosInf { count: 2 });
        assert_eq!(Degenerate::classify(&[f64::INFINITY, f64::NAN]), Degenerate::Nan);
    }

    #[test]
    fn infinite_classes_share_the_mass() {
        let x = [f64::INFINITY, 0.0, f64::INFINITY, f64::NEG_INFINITY];
        let d = Degenerate::classify(&x);
        let mut p = [0.0; 4];
        d.softmax(&x, &mut p);
        assert_eq!(p, [0.5, 0.0, 0.5, 0.0]);
        d.log_softmax(&x, &mut p);
        assert_eq!(p, [-(2f64.ln()), f64::NEG_INFINITY, -(2f64.ln()), f64::NEG_INFINITY]);
        assert_eq!(d.cross_entropy(x[0]), 2f64.ln());
        assert_eq!(d.cross_entropy(x[1]), f64::INFINITY);
    }
}
