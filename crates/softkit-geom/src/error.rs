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
    #[error("boxes[{index}].{field} = {} is not finite", Short(*value))]
    NonFinite {
        /// Index of the box in the input.
        index: usize,
        /// Name of the coordinate (`x1`, `y1`, `x2`, `y2`, `w`, ...).
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An upper coordinate is below its lower one (`x2 < x1` or `y2 < y1`).
    #[error("boxes[{index}].{field} = {} is less than {lower_field} = {}", Short(*value), Short(*lower))]
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
    #[error("boxes[{index}].{field} = {} is negative", Short(*value))]
    NegativeSize {
        /// Index of the box in the input.
        index: usize,
        /// `w` or `h`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A parameter is outside its domain.
    #[error("{name} = {} is invalid: {expected}", Short(*value))]
    InvalidParameter {
        /// Name of the parameter.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// What the parameter must be.
        expected: &'static str,
    },
    /// A number of a rotated box `(cx, cy, w, h, angle)` is invalid: not finite, a negative size,
    /// or an angle outside its format's range.
    #[error("rboxes[{index}].{field} = {} is invalid: {expected}", Short(*value))]
    RotatedBox {
        /// Index of the box in the input.
        index: usize,
        /// `cx`, `cy`, `w`, `h` or `angle`.
        field: &'static str,
        /// The offending value, as given.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
    /// A number of an item of a named list (`segments`, `boxes3d`, ...) is outside its domain.
    #[error("{items}[{index}].{field} = {} is invalid: {expected}", Short(*value))]
    Item {
        /// The list, such as `segments`.
        items: &'static str,
        /// Index of the item in the input.
        index: usize,
        /// The field, such as `end`.
        field: &'static str,
        /// The offending value.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
    /// A segment ends before it starts.
    #[error("segments[{index}].end = {} is less than start = {}", Short(*end), Short(*start))]
    InvertedSegment {
        /// Index of the segment in the input.
        index: usize,
        /// Its start.
        start: f64,
        /// Its end.
        end: f64,
    },
    /// A polygon vertex is NaN, infinite, or too large for areas to be computed.
    #[error("polygons[{index}] vertex {vertex}: {axis} = {} {problem}", Short(*value))]
    PolygonVertex {
        /// What is wrong: `is not finite`, or the magnitude allowed.
        problem: &'static str,
        /// Index of the polygon in the input.
        index: usize,
        /// Index of the vertex within the polygon.
        vertex: usize,
        /// `x` or `y`.
        axis: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A polygon has fewer than 3 vertices.
    #[error("polygons[{index}] has {found} vertices; a polygon needs at least 3")]
    TooFewVertices {
        /// Index of the polygon in the input.
        index: usize,
        /// How many vertices it has.
        found: usize,
    },
    /// Two non-adjacent edges of a polygon cross or touch, so it is not simple.
    #[error("polygons[{index}] is not simple: its edges from vertex {first} and from vertex {second} cross or touch")]
    SelfIntersecting {
        /// Index of the polygon in the input.
        index: usize,
        /// The vertex (as given) that starts the first edge.
        first: usize,
        /// The vertex (as given) that starts the second edge.
        second: usize,
    },
    /// Polygon offsets (or a polygon size) do not fit the vertex array; the message names them.
    #[error("{0}")]
    Offsets(String),
    /// An output would need more memory than can be allocated.
    #[error("unable to allocate {bytes} bytes for {what}")]
    OutOfMemory {
        /// What was to be allocated, such as `a 100000 x 100000 overlap matrix`.
        what: String,
        /// How many bytes it needs (saturating at `u128::MAX`).
        bytes: u128,
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
            | GeomError::KeypointTriples { index, .. }
            | GeomError::RotatedBox { index, .. }
            | GeomError::Item { index, .. }
            | GeomError::InvertedSegment { index, .. }
            | GeomError::PolygonVertex { index, .. }
            | GeomError::TooFewVertices { index, .. }
            | GeomError::SelfIntersecting { index, .. } => Some(index),
            GeomError::InvalidParameter { .. } | GeomError::Offsets(_) | GeomError::OutOfMemory { .. } => None,
        }
    }
}

/// A number as an error shows it: as Rust prints it, except that magnitudes from 1e16 up or
/// below 1e-6 (not zero) use an exponent, so that `1e155` is not written with 155 zeros.
struct Short(f64);

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let magnitude = self.0.abs();
        if magnitude.is_finite() && magnitude != 0.0 && !(1e-6..1e16).contains(&magnitude) {
            write!(f, "{:e}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}
