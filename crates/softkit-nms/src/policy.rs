//! How a selected item decays the items it overlaps.

use crate::NmsError;

/// The suppression policy: the weight `w(overlap)` by which a selected item multiplies the score
/// of every remaining item.
///
/// These are the semantics of Bodla et al. 2017 (reference code `cpu_soft_nms`), with an
/// overlap of zero or less never changing a score:
///
/// | policy | `w(o)` |
/// |---|---|
/// | `Hard { iou_threshold: nt }` | `0` if `o > nt`, else `1` (the item is removed) |
/// | `Linear { iou_threshold: nt }` | `1 - o` if `o > nt`, else `1` |
/// | `Gaussian { sigma }` | `exp(-o^2 / sigma)` |
///
/// Other libraries differ: TensorFlow and ONNX use `exp(-o^2 / (2 sigma))` (pass `2 * sigma` to
/// reproduce them), and mmcv compares with `>=` instead of `>`.
///
/// # Examples
///
/// ```
/// use softkit_nms::Policy;
///
/// assert_eq!(Policy::Linear { iou_threshold: 0.3 }.weight(0.5), 0.5);
/// assert_eq!(Policy::Linear { iou_threshold: 0.3 }.weight(0.2), 1.0);
/// assert!((Policy::Gaussian { sigma: 0.5 }.weight(0.5) - (-0.5_f64).exp()).abs() < 1e-15);
/// assert_eq!(Policy::Hard { iou_threshold: 0.5 }.weight(0.6), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Policy {
    /// Classic NMS: remove every item whose overlap with a selected one exceeds the threshold.
    Hard {
        /// Overlap above which an item is removed (torchvision's `iou_threshold`).
        iou_threshold: f64,
    },
    /// Linear Soft-NMS: scale by `1 - overlap` above the threshold (the paper's `Nt`).
    Linear {
        /// Overlap above which an item is decayed.
        iou_threshold: f64,
    },
    /// Gaussian Soft-NMS: scale by `exp(-overlap^2 / sigma)`.
    Gaussian {
        /// Width of the Gaussian penalty, `> 0`; the paper uses 0.5.
        sigma: f64,
    },
}

impl Policy {
    /// The factor applied to a remaining item's score when an item it overlaps by `overlap`
    /// is selected.
    #[inline]
    pub fn weight(&self, overlap: f64) -> f64 {
        if overlap <= 0.0 {
            return 1.0;
        }
        match *self {
            Policy::Hard { iou_threshold } => {
                if overlap > iou_threshold {
                    0.0
                } else {
                    1.0
                }
            }
            Policy::Linear { iou_threshold } => {
                if overlap > iou_threshold {
                    1.0 - overlap
                } else {
                    1.0
                }
            }
            Policy::Gaussian { sigma } => (-overlap * overlap / sigma).exp(),
        }
    }

    /// The overlap up to which the policy leaves an item as it is (`weight` is exactly 1), so
    /// that a pair's reach at this threshold bounds the pairs it acts on. Gaussian weights round
    /// to 1 below `o² / sigma = 2⁻⁶⁰` (far under half an ulp of 1), which lets a measure that
    /// never reaches zero (OKS) skip the pairs that cannot decay anything.
    pub(crate) fn inert_up_to(&self) -> f64 {
        match *self {
            Policy::Hard { iou_threshold } | Policy::Linear { iou_threshold } => iou_threshold,
            Policy::Gaussian { sigma } => sigma.sqrt() * GAUSSIAN_INERT * (1.0 - 1e-9),
        }
    }

    fn validate(&self) -> Result<(), NmsError> {
        match *self {
            Policy::Hard { iou_threshold } | Policy::Linear { iou_threshold } => {
                if !(0.0..=1.0).contains(&iou_threshold) {
                    return Err(NmsError::InvalidParameter {
                        name: "iou_threshold",
                        value: iou_threshold,
                        expected: "a number in [0, 1]",
                    });
                }
            }
            Policy::Gaussian { sigma } => {
                if !(sigma.is_finite() && sigma > 0.0) {
                    return Err(NmsError::InvalidParameter {
                        name: "sigma",
                        value: sigma,
                        expected: "a finite number > 0",
                    });
                }
            }
        }
        Ok(())
    }
}

/// The name of a greedy policy, as Python keywords and CLI flags give it: `"hard"`, `"linear"` or
/// `"gaussian"`. One parser, so that every front end accepts and refuses the same names.
///
/// # Examples
///
/// ```
/// use softkit_nms::{Policy, PolicyKind};
///
/// let kind: PolicyKind = "linear".parse()?;
/// assert_eq!(kind.with(0.3, 0.5), Policy::Linear { iou_threshold: 0.3 });
/// assert_eq!(kind.to_string(), "linear");
/// let err = "cubic".parse::<PolicyKind>().unwrap_err();
/// assert_eq!(err, r#"method = "cubic" is invalid: expected "gaussian", "linear" or "hard""#);
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// [`Policy::Hard`].
    Hard,
    /// [`Policy::Linear`].
    Linear,
    /// [`Policy::Gaussian`].
    Gaussian,
}

impl PolicyKind {
    /// The policy of this kind: `iou_threshold` parameterises hard and linear, `sigma` gaussian.
    pub fn with(self, iou_threshold: f64, sigma: f64) -> Policy {
        match self {
            PolicyKind::Hard => Policy::Hard { iou_threshold },
            PolicyKind::Linear => Policy::Linear { iou_threshold },
            PolicyKind::Gaussian => Policy::Gaussian { sigma },
        }
    }

    /// The policy's name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Hard => "hard",
            PolicyKind::Linear => "linear",
            PolicyKind::Gaussian => "gaussian",
        }
    }
}

impl std::str::FromStr for PolicyKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hard" => Ok(PolicyKind::Hard),
            "linear" => Ok(PolicyKind::Linear),
            "gaussian" => Ok(PolicyKind::Gaussian),
            other => Err(format!(r#"method = {other:?} is invalid: expected "gaussian", "linear" or "hard""#)),
        }
    }
}

impl std::fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy with the options every suppression call shares.
///
/// # Examples
///
/// ```
/// use softkit_nms::{Policy, SuppressParams};
///
/// let p = SuppressParams::gaussian(0.5).with_max_output(100);
/// assert_eq!(p.policy, Policy::Gaussian { sigma: 0.5 });
/// assert_eq!(p.score_threshold, 0.001);
/// assert_eq!(p.max_output, Some(100));
///
/// // Hard NMS keeps every score, as torchvision's `nms` does.
/// assert_eq!(SuppressParams::hard(0.5).score_threshold, f64::NEG_INFINITY);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SuppressParams {
    /// The decay policy.
    pub policy: Policy,
    /// An item whose current score falls below this is dropped and never selected.
    pub score_threshold: f64,
    /// Stop after selecting this many items (top-k), or run to the end with `None`.
    pub max_output: Option<usize>,
}

/// `2⁻³⁰`: an overlap below `sqrt(sigma)` times this has a Gaussian weight of exactly 1.
const GAUSSIAN_INERT: f64 = 1.0 / (1u64 << 30) as f64;

/// The paper's default `score_threshold` for Soft-NMS.
const SOFT_SCORE_THRESHOLD: f64 = 0.001;

impl SuppressParams {
    /// Hard NMS at `iou_threshold`, keeping every score (torchvision semantics).
    pub fn hard(iou_threshold: f64) -> Self {
        Self::new(Policy::Hard { iou_threshold })
    }

    /// Linear Soft-NMS with the paper's defaults (`score_threshold` 0.001).
    pub fn linear(iou_threshold: f64) -> Self {
        Self::new(Policy::Linear { iou_threshold })
    }

    /// Gaussian Soft-NMS with the paper's defaults (`score_threshold` 0.001).
    pub fn gaussian(sigma: f64) -> Self {
        Self::new(Policy::Gaussian { sigma })
    }

    /// A policy with its paper's default `score_threshold`: none for hard NMS (torchvision's
    /// semantics), 0.001 for Soft-NMS.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_nms::{Policy, SuppressParams};
    ///
    /// assert_eq!(SuppressParams::new(Policy::Gaussian { sigma: 0.5 }), SuppressParams::gaussian(0.5));
    /// ```
    pub fn new(policy: Policy) -> Self {
        let score_threshold =
            if matches!(policy, Policy::Hard { .. }) { f64::NEG_INFINITY } else { SOFT_SCORE_THRESHOLD };
        Self { policy, score_threshold, max_output: None }
    }

    /// Sets the score below which items are dropped.
    pub fn with_score_threshold(mut self, score_threshold: f64) -> Self {
        self.score_threshold = score_threshold;
        self
    }

    /// Sets the number of items after which selection stops.
    pub fn with_max_output(mut self, max_output: usize) -> Self {
        self.max_output = Some(max_output);
        self
    }

    /// Checks every parameter against its domain.
    ///
    /// # Errors
    ///
    /// [`NmsError::InvalidParameter`] naming the parameter and its value.
    pub fn validate(&self) -> Result<(), NmsError> {
        self.policy.validate()?;
        if self.score_threshold.is_nan() || self.score_threshold == f64::INFINITY {
            return Err(NmsError::InvalidParameter {
                name: "score_threshold",
                value: self.score_threshold,
                expected: "a number, or -inf to keep every score",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_parameters() {
        let err = SuppressParams::gaussian(-0.5).validate().unwrap_err();
        assert_eq!(err.to_string(), "sigma = -0.5 is invalid: a finite number > 0");
        let err = SuppressParams::hard(1.5).validate().unwrap_err();
        assert_eq!(err.to_string(), "iou_threshold = 1.5 is invalid: a number in [0, 1]");
        let err = SuppressParams::linear(0.3).with_score_threshold(f64::NAN).validate().unwrap_err();
        assert!(err.to_string().starts_with("score_threshold = NaN is invalid"));
    }

    #[test]
    fn zero_overlap_never_decays() {
        for policy in [
            Policy::Hard { iou_threshold: 0.0 },
            Policy::Linear { iou_threshold: 0.0 },
            Policy::Gaussian { sigma: 0.5 },
        ] {
            assert_eq!(policy.weight(0.0), 1.0);
            assert_eq!(policy.weight(-0.3), 1.0);
        }
    }

    #[test]
    fn weight_is_exactly_one_up_to_the_inert_overlap() {
        for sigma in [1e-6, 0.05, 0.5, 0.9, 2.0, 1e6] {
            let policy = Policy::Gaussian { sigma };
            let inert = policy.inert_up_to();
            assert!(inert > 0.0);
            for o in [inert, inert * 0.5, inert * 1e-3, f64::MIN_POSITIVE] {
                assert_eq!(policy.weight(o), 1.0, "sigma {sigma}, overlap {o}");
            }
            // Well above it the weight falls below 1: the threshold is not vacuous.
            assert!(policy.weight(inert * 1e4) < 1.0, "sigma {sigma}");
        }
        for policy in [Policy::Hard { iou_threshold: 0.4 }, Policy::Linear { iou_threshold: 0.4 }] {
            assert_eq!(policy.inert_up_to(), 0.4);
            assert_eq!(policy.weight(0.4), 1.0);
        }
    }
}
