//! [`DecodeError`]: what can go wrong between a model's raw outputs and candidates.

use thiserror::Error;

/// Why a head could not be decoded, or a model or image could not be run.
///
/// Every variant names the tensor, option or file involved and the value found, so that a user
/// can fix the call without reading the decoder.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A tensor's values do not fill its shape.
    #[error("{tensor}: shape {shape:?} holds {expected} values, but {found} were given")]
    DataLength {
        /// The tensor's role (`output`, `logits`, `heatmap`, ...).
        tensor: &'static str,
        /// The shape given.
        shape: Vec<usize>,
        /// The product of the shape.
        expected: usize,
        /// The number of values given.
        found: usize,
    },
    /// A tensor has a shape that the decoder cannot read.
    #[error("{tensor}: shape {shape:?} is not {expected}")]
    Shape {
        /// The tensor's role.
        tensor: &'static str,
        /// The shape found.
        shape: Vec<usize>,
        /// What the decoder reads, in words (`(1, anchors, 5 + classes)`).
        expected: String,
    },
    /// A tensor holds NaN or an infinity.
    #[error("{tensor}[{index}] = {value} is not finite")]
    NonFinite {
        /// The tensor's role.
        tensor: &'static str,
        /// The flat (row-major) index of the value.
        index: usize,
        /// The value.
        value: f32,
    },
    /// A parameter is out of its range.
    #[error("{name} = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The value given, printed.
        value: String,
        /// The valid range, in words.
        expected: &'static str,
    },
    /// An end-to-end head's class column holds something other than a class index.
    #[error("output row {row}: class = {value} is not a class index (a whole number >= 0)")]
    ClassValue {
        /// The row.
        row: usize,
        /// The value in the class column.
        value: f32,
    },
    /// A model's outputs fit no decoder, or not the one asked for.
    #[error("{0}")]
    UnknownHead(String),
    /// The ONNX model could not be read or run.
    #[error("{path}: {message}")]
    Model {
        /// The model file.
        path: String,
        /// tract's message.
        message: String,
    },
    /// An image could not be read or decoded.
    #[error("{path}: {message}")]
    Image {
        /// The image file.
        path: String,
        /// Why.
        message: String,
    },
}
