use softkit_geom::GeomError;
use thiserror::Error;

/// What can go wrong when suppressing.
///
/// # Examples
///
/// ```
/// use softkit_nms::{nms, NmsError};
///
/// let err = nms(&[[0.0_f32, 0.0, 1.0, 1.0]], &[0.5_f32, 0.4], 0.5).unwrap_err();
/// assert_eq!(err.to_string(), "scores has 2 entries but boxes has 1");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NmsError {
    /// The geometry is invalid (NaN, inverted corners, ...).
    #[error(transparent)]
    Geometry(#[from] GeomError),
    /// Two inputs that must be parallel have different lengths.
    #[error("{field} has {found} entries but {reference} has {expected}")]
    LengthMismatch {
        /// The input with the wrong length.
        field: &'static str,
        /// Its length.
        found: usize,
        /// The input it must match.
        reference: &'static str,
        /// The length it must have.
        expected: usize,
    },
    /// An index names no item.
    #[error("{field}[{position}] = {value} names no item: there are {len}")]
    UnknownIndex {
        /// The list of indices.
        field: &'static str,
        /// Where in it.
        position: usize,
        /// The index.
        value: usize,
        /// How many items there are.
        len: usize,
    },
    /// A score that weights a mean (box voting) is negative.
    #[error("scores[{index}] = {value} is negative: voting weights boxes by their scores, which must be >= 0")]
    NegativeScore {
        /// Index of the score.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A score is NaN or infinite.
    #[error("scores[{index}] = {value} is not finite")]
    NonFiniteScore {
        /// Index of the score.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A parameter is outside its domain.
    #[error("{name} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// What the parameter must be.
        expected: &'static str,
    },
    /// More items than the engine indexes (it uses 32-bit indices to halve its memory traffic).
    #[error("{found} items exceed the limit of {limit} per call")]
    TooManyItems {
        /// Number of items passed.
        found: usize,
        /// The limit.
        limit: usize,
    },
}
