use std::fmt;
use std::str::FromStr;

use crate::batch;
use crate::error::GhostError;
use crate::normaliser::{Degenerate, LogNorm};
use crate::real::Real;
use crate::{online, three_pass, two_pass};

/// A softmax algorithm: how a row's normaliser `log sum_k e^(x_k)` is found.
///
/// All three give the same results to a few units in the last place of the output type (sums
/// are accumulated in `f64` whatever the input), and the same answers on rows that cannot be
/// normalised. They differ in how many times they read the row.
///
/// | kernel | passes for softmax | reads + writes per element |
/// |---|---|---|
/// | [`ThreePass`](Kernel::ThreePass) | max, sum, normalise | 3 + 1 |
/// | [`Online`](Kernel::Online) (Milakov & Gimelshein 2018) | running max and sum, normalise | 2 + 1 |
/// | [`TwoPass`](Kernel::TwoPass) (Dukhan & Ablavatski 2020) | (mantissa, exponent) sum, normalise | 2 + 1 |
///
/// Log-sum-exp and cross-entropy need only the first one or two of those passes, and
/// log-softmax one more pass that subtracts.
///
/// # Rows without a finite normaliser
///
/// - A NaN anywhere in a row makes every output of that row NaN.
/// - A row of `-inf` (or an empty row) has no mass: log-sum-exp is `-inf`, softmax and
///   log-softmax are NaN (`0/0`), and cross-entropy is NaN. This is what PyTorch returns.
/// - `+inf` logits are taken as the limit of equal logits growing without bound: the `c` classes
///   at `+inf` get probability `1/c` each (log-probability `-ln c`), the others 0 (`-inf`), and
///   log-sum-exp is `+inf`.
/// - A `-inf` logit among finite ones is an ordinary masked class with probability 0.
/// - Probabilities below about `1e-300` are returned as 0: the `f64` arithmetic never forms a
///   subnormal number, which would cost about a hundred cycles an operation on x86.
///
/// # Runtime and Performance
///
/// Each kernel is a few branch-free loops over the row that the compiler vectorises, with a
/// polynomial exponential whose degree matches the element type. See the `kernels` benchmark
/// for throughput against a plain copy of the same array.
///
/// # Examples
///
/// ```
/// use softkit_ghost::Kernel;
///
/// let logits = [1.0_f32, 2.0, 3.0];
/// let mut p = [0.0_f32; 3];
/// Kernel::TwoPass.softmax(&logits, &mut p)?;
/// assert!((p[2] - 0.665_240_9).abs() < 1e-6);
/// let lse = Kernel::Online.log_sum_exp(&logits);
/// assert!((lse - 3.407_605_964_444_38).abs() < 1e-6);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kernel {
    /// Maximum, sum of exponentials, normalise: the textbook safe softmax.
    ThreePass,
    /// Running maximum with a rescaled running sum in one pass, then normalise.
    #[default]
    Online,
    /// Sum of `(mantissa, exponent)` pairs with no maximum pass, then normalise.
    TwoPass,
}

impl Kernel {
    /// Every kernel, in a fixed order.
    pub const ALL: [Kernel; 3] = [Kernel::ThreePass, Kernel::Online, Kernel::TwoPass];

    /// The kernel's name as [`FromStr`] accepts it: `three-pass`, `online` or `two-pass`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// assert_eq!(Kernel::TwoPass.name(), "two-pass");
    /// assert_eq!("two-pass".parse::<Kernel>()?, Kernel::TwoPass);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Kernel::ThreePass => "three-pass",
            Kernel::Online => "online",
            Kernel::TwoPass => "two-pass",
        }
    }

    fn normaliser<T: Real>(self, x: &[T]) -> Result<LogNorm, Degenerate> {
        match self {
            Kernel::ThreePass => three_pass::normaliser(x),
            Kernel::Online => online::normaliser(x),
            Kernel::TwoPass => two_pass::normaliser(x),
        }
    }

    fn softmax_row<T: Real>(self, x: &[T], out: &mut [T]) {
        match self {
            Kernel::ThreePass => three_pass::softmax(x, out),
            Kernel::Online => online::softmax(x, out),
            Kernel::TwoPass => two_pass::softmax(x, out),
        }
    }

    fn log_softmax_row<T: Real>(self, x: &[T], out: &mut [T]) {
        match self.normaliser(x) {
            Ok(norm) => norm.write_log_softmax(x, out),
            Err(deg) => deg.log_softmax(x, out),
        }
    }

    fn cross_entropy_row<T: Real>(self, x: &[T], label: usize) -> f64 {
        match self.normaliser(x) {
            Ok(norm) => -norm.log_prob(x[label].to_f64()),
            Err(deg) => deg.cross_entropy(x[label]),
        }
    }

    /// `log sum_k e^(x_k)` of one row, returned as `f64` but accurate to the precision of `T`.
    ///
    /// `-inf` for an empty row or a row of `-inf`, `+inf` if any logit is `+inf`, NaN if any is NaN.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// // Huge logits do not overflow: log(e^1e30 + e^1e30) = 1e30 + ln 2.
    /// assert_eq!(Kernel::ThreePass.log_sum_exp(&[1e30_f64, 1e30]), 1e30);
    /// assert_eq!(Kernel::Online.log_sum_exp(&[f64::NEG_INFINITY; 2]), f64::NEG_INFINITY);
    /// ```
    pub fn log_sum_exp<T: Real>(self, x: &[T]) -> f64 {
        match self.normaliser(x) {
            Ok(norm) => norm.log_sum_exp(),
            Err(deg) => deg.log_sum_exp(),
        }
    }

    /// Writes `softmax(x)` into `out`, which must have the length of `x`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let mut p = [0.0_f64; 3];
    /// Kernel::Online.softmax(&[0.0, f64::INFINITY, f64::NEG_INFINITY], &mut p)?;
    /// assert_eq!(p, [0.0, 1.0, 0.0]);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn softmax<T: Real>(self, x: &[T], out: &mut [T]) -> Result<(), GhostError> {
        batch::same_len("out", out.len(), x.len(), "x")?;
        self.softmax_row(x, out);
        Ok(())
    }

    /// Writes `log softmax(x)` into `out`, which must have the length of `x`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let mut lp = [0.0_f64; 2];
    /// Kernel::TwoPass.log_softmax(&[1e30, 1e30], &mut lp)?;
    /// assert_eq!(lp, [-(2f64.ln()), -(2f64.ln())]);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn log_softmax<T: Real>(self, x: &[T], out: &mut [T]) -> Result<(), GhostError> {
        batch::same_len("out", out.len(), x.len(), "x")?;
        self.log_softmax_row(x, out);
        Ok(())
    }

    /// Cross-entropy `-log softmax(x)[label]` of one row, returned as `f64` but accurate to the
    /// precision of `T`.
    ///
    /// # Errors
    ///
    /// [`GhostError::LabelOutOfRange`] (reported as `labels[0]`) if `label >= x.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let ce = Kernel::ThreePass.cross_entropy(&[0.0_f32, 0.0], 1)?;
    /// assert!((ce - 2f64.ln()).abs() < 1e-12);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn cross_entropy<T: Real>(self, x: &[T], label: usize) -> Result<f64, GhostError> {
        if label >= x.len() {
            return Err(GhostError::LabelOutOfRange { index: 0, label, k: x.len() });
        }
        Ok(self.cross_entropy_row(x, label))
    }

    /// Log-sum-exp of each row of a row-major `[B, K]` array.
    ///
    /// # Errors
    ///
    /// [`GhostError::ZeroClasses`] if `k == 0`, [`GhostError::RaggedRows`] if `x.len()` is not a
    /// multiple of `k`. An empty batch gives an empty result.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let lse = Kernel::Online.log_sum_exp_rows(&[0.0_f64, 0.0, 5.0, f64::NEG_INFINITY], 2)?;
    /// assert!((lse[0] - 2f64.ln()).abs() < 1e-15 && lse[1] == 5.0);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn log_sum_exp_rows<T: Real>(self, x: &[T], k: usize) -> Result<Vec<f64>, GhostError> {
        batch::rows("x", x.len(), k)?;
        Ok(x.chunks_exact(k).map(|row| self.log_sum_exp(row)).collect())
    }

    /// Softmax of each row of a row-major `[B, K]` array, written into `out` of the same shape.
    ///
    /// # Errors
    ///
    /// As [`log_sum_exp_rows`](Kernel::log_sum_exp_rows), and [`GhostError::LengthMismatch`] if
    /// `out` is not as long as `x`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let mut p = [0.0_f32; 4];
    /// Kernel::TwoPass.softmax_rows(&[0.0, 0.0, 1e30, 0.0], 2, &mut p)?;
    /// assert_eq!(p, [0.5, 0.5, 1.0, 0.0]);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn softmax_rows<T: Real>(self, x: &[T], k: usize, out: &mut [T]) -> Result<(), GhostError> {
        batch::rows("x", x.len(), k)?;
        batch::same_len("out", out.len(), x.len(), "x")?;
        for (row, o) in x.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
            self.softmax_row(row, o);
        }
        Ok(())
    }

    /// Log-softmax of each row of a row-major `[B, K]` array, written into `out` of the same shape.
    ///
    /// # Errors
    ///
    /// As [`softmax_rows`](Kernel::softmax_rows).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let mut lp = [0.0_f64; 2];
    /// Kernel::ThreePass.log_softmax_rows(&[3.0, 3.0], 1, &mut lp)?;
    /// assert_eq!(lp, [0.0, 0.0]);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn log_softmax_rows<T: Real>(self, x: &[T], k: usize, out: &mut [T]) -> Result<(), GhostError> {
        batch::rows("x", x.len(), k)?;
        batch::same_len("out", out.len(), x.len(), "x")?;
        for (row, o) in x.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
            self.log_softmax_row(row, o);
        }
        Ok(())
    }

    /// Per-row cross-entropy of a row-major `[B, K]` array of logits against one label per row.
    ///
    /// # Errors
    ///
    /// As [`log_sum_exp_rows`](Kernel::log_sum_exp_rows), [`GhostError::LengthMismatch`] if
    /// there is not one label per row, and [`GhostError::LabelOutOfRange`] for a label `>= k`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_ghost::Kernel;
    ///
    /// let ce = Kernel::Online.cross_entropy_rows(&[2.0_f64, 0.0, 0.0, 2.0], 2, &[0, 0])?;
    /// assert!((ce[0] - (1.0 + (-2f64).exp()).ln()).abs() < 1e-15);
    /// assert!((ce[1] - ce[0] - 2.0).abs() < 1e-14);
    /// # Ok::<(), softkit_ghost::GhostError>(())
    /// ```
    pub fn cross_entropy_rows<T: Real>(self, x: &[T], k: usize, labels: &[usize]) -> Result<Vec<f64>, GhostError> {
        let b = batch::rows("x", x.len(), k)?;
        batch::labels(labels, b, k, "the rows of x")?;
        Ok(x.chunks_exact(k).zip(labels).map(|(row, &y)| self.cross_entropy_row(row, y)).collect())
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kernel {
    type Err = GhostError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kernel::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| GhostError::UnknownKernel { name: s.to_owned() })
    }
}
