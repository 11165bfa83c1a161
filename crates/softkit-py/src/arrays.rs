//! Borrowing numpy arrays as the slices the engine works on.

use std::borrow::Cow;

use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// An `(N, 4)` float array in either precision.
#[derive(FromPyObject)]
pub(crate) enum BoxArray<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    F64(PyReadonlyArray2<'py, f64>),
}

/// A 1-D float array in either precision.
#[derive(FromPyObject)]
pub(crate) enum ScoreArray<'py> {
    F32(PyReadonlyArray1<'py, f32>),
    F64(PyReadonlyArray1<'py, f64>),
}

/// Views an `(N, 4)` array as boxes: zero-copy when C-contiguous, one copy otherwise
/// (Fortran order or strided views).
pub(crate) fn box_rows<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray2<'_, T>) -> Cow<'a, [[T; 4]]> {
    // `as_slice` also accepts Fortran order, whose memory is column after column.
    match array.as_slice() {
        Ok(flat) if array.is_c_contiguous() => Cow::Borrowed(flat.as_chunks::<4>().0),
        _ => Cow::Owned(array.as_array().rows().into_iter().map(|r| [r[0], r[1], r[2], r[3]]).collect()),
    }
}

/// Views a 1-D array as a slice: zero-copy when contiguous, one copy otherwise.
pub(crate) fn values<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(flat) => Cow::Borrowed(flat),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

/// The boxes in float64, widened exactly (a copy), for code that works in one precision.
pub(crate) fn boxes_f64(array: BoxArray<'_>) -> Vec<[f64; 4]> {
    match array {
        BoxArray::F32(a) => box_rows(&a).iter().map(|b| b.map(f64::from)).collect(),
        BoxArray::F64(a) => box_rows(&a).into_owned(),
    }
}

/// The values in float64, widened exactly (a copy).
pub(crate) fn scores_f64(array: ScoreArray<'_>) -> Vec<f64> {
    match array {
        ScoreArray::F32(a) => values(&a).iter().map(|&s| f64::from(s)).collect(),
        ScoreArray::F64(a) => values(&a).into_owned(),
    }
}

/// Calls `$body` with `$boxes` bound to a `&[[T; 4]]` of the array's own precision.
macro_rules! with_boxes {
    ($array:expr, |$boxes:ident| $body:expr) => {
        match $array {
            $crate::arrays::BoxArray::F32(a) => {
                let rows = $crate::arrays::box_rows(&a);
                let $boxes: &[[f32; 4]] = &rows;
                $body
            }
            $crate::arrays::BoxArray::F64(a) => {
                let rows = $crate::arrays::box_rows(&a);
                let $boxes: &[[f64; 4]] = &rows;
                $body
            }
        }
    };
}

/// Calls `$body` with `$scores` bound to a `&[T]` of the array's own precision.
macro_rules! with_scores {
    ($array:expr, |$scores:ident| $body:expr) => {
        match $array {
            $crate::arrays::ScoreArray::F32(a) => {
                let v = $crate::arrays::values(&a);
                let $scores: &[f32] = &v;
                $body
            }
            $crate::arrays::ScoreArray::F64(a) => {
                let v = $crate::arrays::values(&a);
                let $scores: &[f64] = &v;
                $body
            }
        }
    };
}

pub(crate) use {with_boxes, with_scores};
