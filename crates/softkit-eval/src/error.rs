//! The error type of every fallible call in this crate.

use softkit_io::IoError;
use thiserror::Error;

/// What can be wrong with the input to an evaluation.
///
/// Every variant names the offending item, field and value, so that the message alone tells the
/// user what to fix. Reading and format errors come from softkit-io ([`EvalError::Format`]);
/// items are named by their position in the JSON arrays they came from (`annotations[3]` in the
/// ground truth, `results[7]` in the detections), counted from 0.
///
/// # Examples
///
/// ```
/// use softkit_eval::{EvalError, Params, evaluate_bbox};
/// use softkit_io::{CocoGroundTruth, CocoResults};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": []}"#,
/// )?;
/// let params = Params { max_dets: vec![], ..Params::default() };
/// let err = evaluate_bbox(&gt, &CocoResults::default(), &params).unwrap_err();
/// assert_eq!(err.to_string(), "invalid parameter max_dets: must not be empty");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Error)]
pub enum EvalError {
    /// A file or document could not be read, or an item in it is invalid.
    #[error(transparent)]
    Format(#[from] IoError),
    /// A number given in memory is NaN or infinite.
    #[error("{item}.{field} = {value} is not finite")]
    NonFinite {
        /// The item, such as `dts[4]`.
        item: String,
        /// The field, such as `score`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A `keypoints` field holds a different number of keypoints than there are OKS sigmas.
    #[error("{item}.keypoints has {len} numbers; expected {expected} (x, y, v for each of the {} keypoints of the OKS sigmas)", expected / 3)]
    KeypointCount {
        /// The item, such as `results[4]`.
        item: String,
        /// How many numbers it holds.
        len: usize,
        /// Three times the number of sigmas.
        expected: usize,
    },
    /// An evaluation parameter is unusable.
    #[error("invalid parameter {field}: {reason}")]
    Params {
        /// The parameter, such as `max_dets`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
