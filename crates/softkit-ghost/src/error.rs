use thiserror::Error;

/// What can be wrong with the arrays handed to the kernels, the radius functions or the controller.
///
/// Every variant names the offending field and value, so that the message alone tells the user
/// what to fix.
///
/// # Examples
///
/// ```
/// use softkit_ghost::{delta_a, GhostError};
///
/// let err = delta_a(&[0.0_f64, f64::NAN, 1.0, 2.0], 2).unwrap_err();
/// assert_eq!(err.to_string(), "a[0, 1] = NaN is not finite");
/// assert!(matches!(err, GhostError::NonFinite { field: "a", row: 0, class: 1, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GhostError {
    /// Two arrays that must describe the same batch have different lengths (logits and JVP,
    /// labels and rows, input and output buffers).
    #[error("{field} has length {len}, expected {expected} to match {other}")]
    LengthMismatch {
        /// Name of the array with the wrong length.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The length it must have.
        expected: usize,
        /// What the expected length comes from.
        other: &'static str,
    },
    /// A row-major `[B, K]` array whose length is not a multiple of `K`.
    #[error("{field} has length {len}, which is not a multiple of k = {k}")]
    RaggedRows {
        /// Name of the array.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The number of classes per row.
        k: usize,
    },
    /// A batch with no rows, where a statistic over the batch is undefined.
    #[error("{field} is empty: the batch needs at least one row")]
    EmptyBatch {
        /// Name of the empty array.
        field: &'static str,
    },
    /// The number of classes per row is zero.
    #[error("k = 0: each row needs at least one class")]
    ZeroClasses,
    /// A value that must be finite is NaN or infinite.
    #[error("{field}[{row}, {class}] = {value} is not finite")]
    NonFinite {
        /// Name of the array (`z` for logits, `a` for the JVP).
        field: &'static str,
        /// Row (sample) of the value.
        row: usize,
        /// Column (class) of the value.
        class: usize,
        /// The offending value.
        value: f64,
    },
    /// A class label is not below the number of classes.
    #[error("labels[{index}] = {label} is out of range for k = {k} classes")]
    LabelOutOfRange {
        /// Position of the label.
        index: usize,
        /// The offending label.
        label: usize,
        /// The number of classes.
        k: usize,
    },
    /// A kernel name that [`Kernel`](crate::Kernel) does not know.
    #[error("kernel = {name:?} is not one of \"three-pass\", \"online\", \"two-pass\"")]
    UnknownKernel {
        /// The name given.
        name: String,
    },
    /// A scalar parameter is outside its domain.
    #[error("{name} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// What the parameter must be.
        expected: &'static str,
    },
}
