//! [`HeadTensor`]: a borrowed, checked view of one raw output tensor.

use crate::DecodeError;

/// One raw output tensor of a detector: its shape and its values in row-major (C) order.
///
/// The decoders read heads through this view. [`HeadTensor::new`] checks that the values fill
/// the shape and are finite, so that a NaN from a broken export is reported with its position
/// instead of corrupting the ranking. A leading batch dimension of 1 is optional everywhere: a
/// decoder reading `(1, 3549, 85)` also reads `(3549, 85)`.
///
/// # Examples
///
/// ```
/// use softkit_decode::HeadTensor;
///
/// let values = [0.0_f32; 6];
/// let t = HeadTensor::new("output", &[1, 2, 3], &values)?;
/// assert_eq!(t.shape(), &[1, 2, 3]);
/// assert!(HeadTensor::new("output", &[1, 2, 4], &values).is_err());
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HeadTensor<'a> {
    role: &'static str,
    shape: &'a [usize],
    data: &'a [f32],
}

impl<'a> HeadTensor<'a> {
    /// Wraps `data` of the given `shape`; `role` names the tensor in errors (`output`, `logits`).
    ///
    /// # Errors
    ///
    /// [`DecodeError::DataLength`] if `data` does not hold exactly the shape's product of values,
    /// [`DecodeError::NonFinite`] for the first NaN or infinity.
    pub fn new(role: &'static str, shape: &'a [usize], data: &'a [f32]) -> Result<Self, DecodeError> {
        let expected = shape.iter().try_fold(1_usize, |n, &d| n.checked_mul(d));
        if expected != Some(data.len()) {
            return Err(DecodeError::DataLength {
                tensor: role,
                shape: shape.to_vec(),
                expected: expected.unwrap_or(usize::MAX),
                found: data.len(),
            });
        }
        // A branch-free pass over blocks vectorises; the offending index is found only on failure.
        let finite = data.chunks(1024).all(|block| block.iter().fold(true, |ok, v| ok & v.is_finite()));
        if !finite {
            let index = data.iter().position(|v| !v.is_finite()).unwrap_or_default();
            return Err(DecodeError::NonFinite { tensor: role, index, value: data[index] });
        }
        Ok(HeadTensor { role, shape, data })
    }

    /// The shape as given.
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }

    /// The values, row-major.
    pub fn data(&self) -> &'a [f32] {
        self.data
    }

    /// The tensor's role, for errors.
    pub fn role(&self) -> &'static str {
        self.role
    }

    /// The shape without a leading batch dimension of 1, if it then has `rank` dimensions;
    /// otherwise a [`DecodeError::Shape`] that says what was `expected`.
    pub(crate) fn unbatched(&self, rank: usize, expected: &str) -> Result<&'a [usize], DecodeError> {
        match self.shape {
            s if s.len() == rank => Ok(s),
            [1, rest @ ..] if rest.len() == rank => Ok(rest),
            _ => Err(self.shape_error(expected)),
        }
    }

    /// A [`DecodeError::Shape`] for this tensor.
    pub(crate) fn shape_error(&self, expected: &str) -> DecodeError {
        DecodeError::Shape { tensor: self.role, shape: self.shape.to_vec(), expected: expected.to_string() }
    }
}
