use thiserror::Error;

/// What can be wrong with geometry handed to softkit.
///
/// Every variant names the offending item, field and value so that the message alone tells the
/// user what to fix.
///
/// # Examples
///
/// ```
/// use softkit_geom::{validate_boxes, GeomError};
///
/// let err = validate_boxes(&[[0.0_f32, 0.0, f32::NAN, 1.0]]).unwrap_err();
/// assert_eq!(err.to_string(), "boxes[0].x2 = NaN is not finite");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GeomError {
    /// A coordinate is NaN or infinite.
    #[error("boxes[{index}].{field} = {value} is not finite")]
    NonFinite {
        /// Index of the box in the input.
        index: usize,
        /// Name of the coordinate (`x1`, `y1`, `x2`, `y2`, `w`, ...).
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An upper coordinate is below its lower one (`x2 < x1` or `y2 < y1`).
    #[error("boxes[{index}].{field} = {value} is less than {lower_field} = {lower}")]
    Inverted {
        /// Index of the box in the input.
        index: usize,
        /// Name of the upper coordinate.
        field: &'static str,
        /// Its value.
        value: f64,
        /// Name of the lower coordinate.
        lower_field: &'static str,
        /// Its value.
        lower: f64,
    },
    /// A width or height is negative.
    #[error("boxes[{index}].{field} = {value} is negative")]
    NegativeSize {
        /// Index of the box in the input.
        index: usize,
        /// `w` or `h`.
        field: &'static str,
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
    /// A keypoint list is not a non-empty list of `x, y, v` triples.
    #[error("keypoints[{index}] has {len} numbers; expected a non-empty list of x, y, v triples")]
    KeypointTriples {
        /// Index of the item.
        index: usize,
        /// How many numbers it holds.
        len: usize,
    },
}

impl GeomError {
    /// The index of the offending item, for errors about one item.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::validate_boxes;
    ///
    /// let err = validate_boxes(&[[0.0_f64, 0.0, 1.0, 1.0], [0.0, 0.0, f64::NAN, 1.0]]).unwrap_err();
    /// assert_eq!(err.index(), Some(1));
    /// ```
    pub fn index(&self) -> Option<usize> {
        match *self {
            GeomError::NonFinite { index, .. }
            | GeomError::Inverted { index, .. }
            | GeomError::NegativeSize { index, .. }
            | GeomError::KeypointTriples { index, .. } => Some(index),
            GeomError::InvalidParameter { .. } => None,
        }
    }
}
