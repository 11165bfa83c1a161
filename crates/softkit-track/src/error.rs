//! The error type of every fallible call in this crate.

use thiserror::Error;

/// What can be wrong with the input to tracking or to a MOT metric.
///
/// Every variant names the offending item, field and value.
///
/// # Examples
///
/// ```
/// use softkit_track::Sequence;
///
/// let err = Sequence::new(&[1, 1], &[7, 7], &[[0.0, 0.0, 1.0, 1.0]; 2]).unwrap_err();
/// assert_eq!(err.to_string(), "rows[1]: id 7 appears twice in frame 1 (first at rows[0])");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrackError {
    /// A number is NaN or infinite.
    #[error("{item}.{field} = {value} is not finite")]
    NonFinite {
        /// The item, such as `rows[3]` or `boxes[2]`.
        item: String,
        /// The field, such as `w` or `score`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A width or height is negative.
    #[error("{item}.{field} = {value} is negative")]
    NegativeSize {
        /// The item.
        item: String,
        /// `w` or `h`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// One id appears twice in one frame.
    #[error("rows[{row}]: id {id} appears twice in frame {frame} (first at rows[{first}])")]
    DuplicateId {
        /// The later row.
        row: usize,
        /// The repeated id.
        id: i64,
        /// The frame.
        frame: i64,
        /// The earlier row.
        first: usize,
    },
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
    /// A streaming update came with a frame number that does not follow the previous one.
    #[error("frame {frame} does not come after frame {previous}: frames must be given in increasing order")]
    FrameOrder {
        /// The frame given.
        frame: i64,
        /// The frame before it.
        previous: i64,
    },
    /// Forbidden (`+inf`) pairs leave no complete assignment.
    #[error("the cost matrix ({rows} x {cols}) has no complete assignment: its forbidden (+inf) pairs block every one")]
    Infeasible {
        /// Rows of the matrix.
        rows: usize,
        /// Columns of the matrix.
        cols: usize,
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
    /// An optional input was given that the configuration has no use for.
    #[error("{field} was given but {setting} is not set")]
    Unconfigured {
        /// The input, such as `embeddings`.
        field: &'static str,
        /// The setting it needs, such as `TrackerConfig::appearance`.
        setting: &'static str,
    },
}
