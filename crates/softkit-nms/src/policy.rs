//! How a selected item decays the items it overlaps.

use crate::NmsError;

/// The suppression policy: how a selected item lowers the score of the items it overlaps.
///
/// An overlap of zero or less never changes a score, under every policy (a negative DIoU or GIoU
/// included). Three greedy policies follow Bodla et al. 2017 (reference code `cpu_soft_nms`): each
/// step selects the highest current score and multiplies every remaining item's score by the
/// weight `w(o)` of its overlap `o` with the selected one.
///
/// | policy | `w(o)` |
/// |---|---|
/// | `Hard { iou_threshold: nt }` | `0` if `o > nt`, else `1` (the item is removed) |
/// | `Linear { iou_threshold: nt }` | `1 - o` if `o > nt`, else `1` |
/// | `Gaussian { sigma }` | `exp(-o^2 / sigma)` |
///
/// The others decide from the overlaps with the items ranked above (by input score, ties to the
/// lower index), all at once, as their papers' matrix forms do:
///
/// | policy | an item `j` keeps | its score becomes |
/// |---|---|---|
/// | `Adaptive { iou_threshold, eta }` (OpenCV `NMSBoxes`) | if no kept item overlaps it by more than the threshold *now*; the threshold is multiplied by `eta` after each kept item while it is above 0.5 | `s_j` |
/// | `Matrix { kernel }` (SOLOv2) | if its new score reaches `score_threshold` | `s_j * min_i f(o_ij) / f(c_i)`, over items `i` above `j`; `c_i` is the largest overlap of `i` with an item above it |
/// | `Fast { iou_threshold }` (YOLACT) | if no item above it, kept or not, overlaps it by more than the threshold | `s_j` |
/// | `ClusterPenalty { iou_threshold, sigma }` (Cluster-NMS with the score penalty, Zheng et al.) | if its new score reaches `score_threshold` | `s_j * prod_i exp(-o_ij^2 / sigma)`, over the items `i` above `j` that hard NMS keeps |
///
/// Every policy runs per scope: with labels, `Adaptive` lowers each label's threshold on its own,
/// as `cv2.dnn.NMSBoxes` called per class does (OpenCV's `NMSBoxesBatched` shares one threshold
/// across classes). Plain Cluster-NMS iterates to exactly hard NMS's result (the paper's
/// theorem), which is `Hard`. Other libraries differ: TensorFlow and ONNX use `exp(-o^2 / (2 sigma))` (pass
/// `2 * sigma` to reproduce them), and mmcv compares with `>=` instead of `>`.
///
/// # Examples
///
/// ```
/// use softkit_nms::{MatrixKernel, Policy};
///
/// assert_eq!(Policy::Linear { iou_threshold: 0.3 }.weight(0.5), 0.5);
/// assert_eq!(Policy::Linear { iou_threshold: 0.3 }.weight(0.2), 1.0);
/// assert!((Policy::Gaussian { sigma: 0.5 }.weight(0.5) - (-0.5_f64).exp()).abs() < 1e-15);
/// assert_eq!(Policy::Hard { iou_threshold: 0.5 }.weight(0.6), 0.0);
/// // Matrix NMS's kernel before compensation: SOLOv2 multiplies by sigma.
/// let matrix = Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } };
/// assert!((matrix.weight(0.5) - (-0.5_f64).exp()).abs() < 1e-15);
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
    /// OpenCV's hard NMS with an adaptive threshold (`cv::dnn::NMSBoxes` with `eta < 1`).
    Adaptive {
        /// The starting threshold.
        iou_threshold: f64,
        /// Factor in `(0, 1]` applied to the threshold after each kept item while it exceeds 0.5.
        eta: f64,
    },
    /// Matrix NMS (Wang et al. 2020, SOLOv2): every score decays at once from the overlap matrix.
    Matrix {
        /// The decay function.
        kernel: MatrixKernel,
    },
    /// Fast NMS (Bolya et al. 2019, YOLACT): an item goes if any higher-scored item overlaps it
    /// by more than the threshold, whether or not that item was kept itself.
    Fast {
        /// Overlap above which an item is removed.
        iou_threshold: f64,
    },
    /// Cluster-NMS with the score penalty mechanism (Zheng et al. 2021): hard NMS decides which
    /// items penalise, and every item's score is multiplied by `exp(-o^2 / sigma)` for each kept
    /// item above it.
    ClusterPenalty {
        /// The hard NMS threshold that decides the penalising items.
        iou_threshold: f64,
        /// Width of the penalty, `> 0`; the paper uses 0.2.
        sigma: f64,
    },
}

/// Matrix NMS's decay function `f` of an overlap (SOLOv2's `kernel`).
///
/// # Examples
///
/// ```
/// use softkit_nms::MatrixKernel;
///
/// assert_eq!(MatrixKernel::Linear.decay(0.25), 0.75);
/// assert_eq!(MatrixKernel::Gaussian { sigma: 2.0 }.decay(0.0), 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MatrixKernel {
    /// `f(o) = 1 - o`.
    Linear,
    /// `f(o) = exp(-sigma * o^2)`; SOLOv2 uses `sigma = 2`. Note that sigma *multiplies* here, as
    /// in SOLOv2's code, where Soft-NMS divides.
    Gaussian {
        /// Strength of the decay, `> 0`.
        sigma: f64,
    },
}

impl MatrixKernel {
    /// `f(overlap)`.
    #[inline]
    pub fn decay(&self, overlap: f64) -> f64 {
        match *self {
            MatrixKernel::Linear => 1.0 - overlap,
            MatrixKernel::Gaussian { sigma } => (-sigma * overlap * overlap).exp(),
        }
    }
}

impl Policy {
    /// The factor applied to a remaining item's score when an item it overlaps by `overlap`
    /// is selected: for `Adaptive`, `Fast` and `ClusterPenalty` the factor of one pair at the
    /// starting threshold, and for `Matrix` the kernel before its compensation.
    #[inline]
    pub fn weight(&self, overlap: f64) -> f64 {
        if overlap <= 0.0 {
            return 1.0;
        }
        match *self {
            Policy::Hard { iou_threshold }
            | Policy::Adaptive { iou_threshold, .. }
            | Policy::Fast { iou_threshold } => {
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
            Policy::Gaussian { sigma } | Policy::ClusterPenalty { sigma, .. } => (-overlap * overlap / sigma).exp(),
            Policy::Matrix { kernel } => kernel.decay(overlap),
        }
    }

    /// The overlap up to which the policy leaves an item as it is (`weight` is exactly 1), so
    /// that a pair's reach at this threshold bounds the pairs it acts on. Gaussian weights round
    /// to 1 below `o² / sigma = 2⁻⁶⁰` (far under half an ulp of 1), which lets a measure that
    /// never reaches zero (OKS) skip the pairs that cannot decay anything.
    pub(crate) fn inert_up_to(&self) -> f64 {
        match *self {
            Policy::Hard { iou_threshold } | Policy::Linear { iou_threshold } | Policy::Fast { iou_threshold } => {
                iou_threshold
            }
            // The threshold falls by `eta` while above 0.5, so it ends at no less than `0.5 eta`.
            Policy::Adaptive { iou_threshold, eta } => iou_threshold.min(0.5 * eta),
            Policy::Gaussian { sigma } | Policy::ClusterPenalty { sigma, .. } => {
                sigma.sqrt() * GAUSSIAN_INERT * (1.0 - 1e-9)
            }
            Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma } } => {
                (1.0 / sigma).sqrt() * GAUSSIAN_INERT * (1.0 - 1e-9)
            }
            Policy::Matrix { kernel: MatrixKernel::Linear } => 0.0,
        }
    }

    fn validate(&self) -> Result<(), NmsError> {
        let threshold = |iou_threshold: f64| {
            if (0.0..=1.0).contains(&iou_threshold) {
                Ok(())
            } else {
                Err(NmsError::InvalidParameter {
                    name: "iou_threshold",
                    value: iou_threshold,
                    expected: "a number in [0, 1]",
                })
            }
        };
        let width = |sigma: f64| {
            if sigma.is_finite() && sigma > 0.0 {
                Ok(())
            } else {
                Err(NmsError::InvalidParameter { name: "sigma", value: sigma, expected: "a finite number > 0" })
            }
        };
        match *self {
            Policy::Hard { iou_threshold } | Policy::Linear { iou_threshold } | Policy::Fast { iou_threshold } => {
                threshold(iou_threshold)
            }
            Policy::Gaussian { sigma } | Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma } } => width(sigma),
            Policy::Matrix { kernel: MatrixKernel::Linear } => Ok(()),
            Policy::ClusterPenalty { iou_threshold, sigma } => threshold(iou_threshold).and(width(sigma)),
            Policy::Adaptive { iou_threshold, eta } => {
                threshold(iou_threshold)?;
                if eta > 0.0 && eta <= 1.0 {
                    Ok(())
                } else {
                    Err(NmsError::InvalidParameter { name: "eta", value: eta, expected: "a number in (0, 1]" })
                }
            }
        }
    }

    /// Whether the policy is greedy (one selection at a time, [`Policy::weight`] applied to the
    /// rest) rather than decided from the overlap matrix at once.
    pub(crate) fn is_greedy(&self) -> bool {
        matches!(self, Policy::Hard { .. } | Policy::Linear { .. } | Policy::Gaussian { .. })
    }
}

/// The name of a policy, as Python keywords and CLI flags give it. One parser, so that every front
/// end accepts and refuses the same names.
///
/// | name | policy |
/// |---|---|
/// | `hard`, `linear`, `gaussian` | [`Policy::Hard`], [`Policy::Linear`], [`Policy::Gaussian`] |
/// | `matrix`, `matrix-linear` | [`Policy::Matrix`] with the Gaussian or the linear kernel |
/// | `fast` | [`Policy::Fast`] |
/// | `cluster` | plain Cluster-NMS, whose fixed point is hard NMS: [`Policy::Hard`] |
/// | `cluster-spm` | [`Policy::ClusterPenalty`] |
///
/// # Examples
///
/// ```
/// use softkit_nms::{MatrixKernel, Policy, PolicyKind};
///
/// let kind: PolicyKind = "linear".parse()?;
/// assert_eq!(kind.with(0.3, 0.5), Policy::Linear { iou_threshold: 0.3 });
/// assert_eq!(kind.to_string(), "linear");
/// let matrix: PolicyKind = "matrix".parse()?;
/// assert_eq!(matrix.default_sigma(), Some(2.0));
/// assert_eq!(matrix.with(0.5, 2.0), Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma: 2.0 } });
/// let err = "cubic".parse::<PolicyKind>().unwrap_err();
/// assert!(err.starts_with(r#"method = "cubic" is invalid: expected "gaussian", "linear", "hard""#));
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
    /// [`Policy::Matrix`] with [`MatrixKernel::Gaussian`].
    Matrix,
    /// [`Policy::Matrix`] with [`MatrixKernel::Linear`].
    MatrixLinear,
    /// [`Policy::Fast`].
    Fast,
    /// Plain Cluster-NMS: [`Policy::Hard`], its fixed point.
    Cluster,
    /// [`Policy::ClusterPenalty`].
    ClusterSpm,
}

impl PolicyKind {
    /// Every kind, in the order the error message lists them.
    pub const ALL: [PolicyKind; 8] = [
        PolicyKind::Gaussian,
        PolicyKind::Linear,
        PolicyKind::Hard,
        PolicyKind::Matrix,
        PolicyKind::MatrixLinear,
        PolicyKind::Fast,
        PolicyKind::Cluster,
        PolicyKind::ClusterSpm,
    ];

    /// The policy of this kind: `iou_threshold` parameterises the kinds with a threshold
    /// ([`PolicyKind::default_iou`] is `Some`), `sigma` those with a width.
    pub fn with(self, iou_threshold: f64, sigma: f64) -> Policy {
        match self {
            PolicyKind::Hard | PolicyKind::Cluster => Policy::Hard { iou_threshold },
            PolicyKind::Linear => Policy::Linear { iou_threshold },
            PolicyKind::Gaussian => Policy::Gaussian { sigma },
            PolicyKind::Matrix => Policy::Matrix { kernel: MatrixKernel::Gaussian { sigma } },
            PolicyKind::MatrixLinear => Policy::Matrix { kernel: MatrixKernel::Linear },
            PolicyKind::Fast => Policy::Fast { iou_threshold },
            PolicyKind::ClusterSpm => Policy::ClusterPenalty { iou_threshold, sigma },
        }
    }

    /// The policy's name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Hard => "hard",
            PolicyKind::Linear => "linear",
            PolicyKind::Gaussian => "gaussian",
            PolicyKind::Matrix => "matrix",
            PolicyKind::MatrixLinear => "matrix-linear",
            PolicyKind::Fast => "fast",
            PolicyKind::Cluster => "cluster",
            PolicyKind::ClusterSpm => "cluster-spm",
        }
    }

    /// The paper's threshold, for the kinds that have one: 0.3 (Soft-NMS's `Nt`) for linear,
    /// 0.5 for the hard kinds.
    pub fn default_iou(self) -> Option<f64> {
        match self {
            PolicyKind::Linear => Some(0.3),
            PolicyKind::Hard | PolicyKind::Fast | PolicyKind::Cluster | PolicyKind::ClusterSpm => Some(0.5),
            PolicyKind::Gaussian | PolicyKind::Matrix | PolicyKind::MatrixLinear => None,
        }
    }

    /// The paper's width, for the kinds that have one: 0.5 for Soft-NMS, 2 for Matrix NMS
    /// (SOLOv2), 0.2 for Cluster-NMS's penalty.
    pub fn default_sigma(self) -> Option<f64> {
        match self {
            PolicyKind::Gaussian => Some(0.5),
            PolicyKind::Matrix => Some(2.0),
            PolicyKind::ClusterSpm => Some(0.2),
            _ => None,
        }
    }
}

impl std::str::FromStr for PolicyKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyKind::ALL.into_iter().find(|kind| kind.name() == s).ok_or_else(|| {
            let names: Vec<String> = PolicyKind::ALL.iter().map(|kind| format!("{:?}", kind.name())).collect();
            format!("method = {s:?} is invalid: expected {}", names.join(", "))
        })
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

/// SOLOv2's `update_thr`, below which Matrix NMS drops an item.
const MATRIX_SCORE_THRESHOLD: f64 = 0.05;

/// Cluster-NMS's score threshold after the penalty (Zheng et al.'s code keeps `scores > 0.01`).
const CLUSTER_SCORE_THRESHOLD: f64 = 0.01;

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

    /// A policy with its paper's default `score_threshold`: none for the hard policies
    /// (torchvision's semantics), 0.001 for Soft-NMS, 0.05 for Matrix NMS (SOLOv2's `update_thr`)
    /// and 0.01 for Cluster-NMS's penalty.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_nms::{Policy, SuppressParams};
    ///
    /// assert_eq!(SuppressParams::new(Policy::Gaussian { sigma: 0.5 }), SuppressParams::gaussian(0.5));
    /// ```
    pub fn new(policy: Policy) -> Self {
        let score_threshold = match policy {
            Policy::Hard { .. } | Policy::Adaptive { .. } | Policy::Fast { .. } => f64::NEG_INFINITY,
            Policy::Matrix { .. } => MATRIX_SCORE_THRESHOLD,
            Policy::ClusterPenalty { .. } => CLUSTER_SCORE_THRESHOLD,
            Policy::Linear { .. } | Policy::Gaussian { .. } => SOFT_SCORE_THRESHOLD,
        };
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
