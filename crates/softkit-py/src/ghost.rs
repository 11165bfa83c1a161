//! The ghost radius of cross-entropy (`softkit.ghost`): `delta_a`, `rho_a`, `rho_binary`,
//! `rho_top2`, `nearest_zero` and the step `scale`, over `[B, K]` logits `z` and JVPs `a`.
//!
//! The shapes, dtypes and scalar parameters are checked here, so that every message names the
//! Python argument; the engine (`softkit-ghost`) checks the values (finite entries, labels in
//! range, a non-empty batch) and names them the same way.

use std::borrow::Cow;

use numpy::{Element, PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::values;
use crate::guard::{Size, compute};

/// A row-major `[B, K]` float array in either precision: logits `z` or a JVP `a`.
#[derive(FromPyObject)]
pub(crate) enum Rows<'py> {
    /// Single precision.
    F32(PyReadonlyArray2<'py, f32>),
    /// Double precision.
    F64(PyReadonlyArray2<'py, f64>),
}

impl Rows<'_> {
    /// The numpy name of the element type, for messages.
    fn dtype(&self) -> &'static str {
        match self {
            Rows::F32(_) => "float32",
            Rows::F64(_) => "float64",
        }
    }
}

/// Views a 2-D array as its row-major elements: zero-copy when C-contiguous, one copy otherwise
/// (Fortran order or strided views).
fn flat<'a, T: Element + Copy>(array: &'a PyReadonlyArray2<'_, T>) -> Cow<'a, [T]> {
    // `as_slice` also accepts Fortran order, whose memory is column after column.
    match array.as_slice() {
        Ok(flat) if array.is_c_contiguous() => Cow::Borrowed(flat),
        _ => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

/// The number of classes `K` of an array of shape `[B, K]`, which must be at least one (an empty
/// batch is left to the engine, which names it the same way).
fn classes(name: &str, shape: &[usize]) -> PyResult<usize> {
    match shape {
        [b, 0] => Err(PyValueError::new_err(format!("{name} has shape ({b}, 0): each row needs at least one class"))),
        [_, k] => Ok(*k),
        _ => Err(PyValueError::new_err(format!("{name} must have shape (B, K), got {shape:?}"))),
    }
}

/// The number of classes shared by logits `z` and JVP `a`, which must have the same shape.
fn pair_classes(z: &[usize], a: &[usize]) -> PyResult<usize> {
    if z != a {
        return Err(PyValueError::new_err(format!(
            "a has shape {} but z has shape {}: they must match",
            tuple(a),
            tuple(z)
        )));
    }
    classes("z", z)
}

/// A shape as Python writes it: `(2, 3)`.
fn tuple(shape: &[usize]) -> String {
    let items: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("({})", items.join(", "))
}

/// Calls `$body` with `$z` and `$a` bound to the row-major `&[T]` of both arrays, in their common
/// precision, and `$k` to their number of classes. Arrays of different dtypes are a `TypeError`.
macro_rules! with_pair {
    ($zs:expr, $as:expr, |$z:ident, $a:ident, $k:ident| $body:expr) => {
        match ($zs, $as) {
            (Rows::F32(z), Rows::F32(a)) => {
                let $k = pair_classes(z.shape(), a.shape())?;
                let (zf, af) = (flat(&z), flat(&a));
                let ($z, $a): (&[f32], &[f32]) = (&zf, &af);
                $body
            }
            (Rows::F64(z), Rows::F64(a)) => {
                let $k = pair_classes(z.shape(), a.shape())?;
                let (zf, af) = (flat(&z), flat(&a));
                let ($z, $a): (&[f64], &[f64]) = (&zf, &af);
                $body
            }
            (z, a) => {
                return Err(PyTypeError::new_err(format!(
                    "z has dtype {} but a has dtype {}: pass both in the same precision",
                    z.dtype(),
                    a.dtype()
                )));
            }
        }
    };
}

/// Calls `$body` with `$a` bound to the row-major `&[T]` of the array and `$k` to its number of
/// classes.
macro_rules! with_rows {
    ($rows:expr, |$a:ident, $k:ident| $body:expr) => {
        match $rows {
            Rows::F32(a) => {
                let $k = classes("a", a.shape())?;
                let af = flat(&a);
                let $a: &[f32] = &af;
                $body
            }
            Rows::F64(a) => {
                let $k = classes("a", a.shape())?;
                let af = flat(&a);
                let $a: &[f64] = &af;
                $body
            }
        }
    };
}

/// `Err(ValueError)` unless `value` is positive and finite.
fn positive_finite(name: &str, value: f64, what: &str) -> PyResult<()> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!("{name} = {value:?} is invalid: expected {what}")))
    }
}

/// `Delta_a = max_k a_k - min_k a_k` of each row of `a` (`[B, K]`), as float64.
#[pyfunction]
pub(crate) fn ghost_delta_a<'py>(py: Python<'py>, a: Rows<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let spreads =
        with_rows!(a, |a, k| compute(py, Size::Cells(a.len() / k.max(1), k), || softkit_ghost::delta_a(a, k))?);
    Ok(PyArray1::from_vec(py, spreads))
}

/// The batch bound `pi * temperature / max Delta_a` (`inf` when every row has `Delta_a < 1e-12`).
#[pyfunction]
pub(crate) fn ghost_rho_a(py: Python<'_>, a: Rows<'_>, temperature: f64) -> PyResult<f64> {
    positive_finite("temperature", temperature, "a positive, finite temperature")?;
    with_rows!(a, |a, k| compute(py, Size::Cells(a.len() / k.max(1), k), || softkit_ghost::rho_a_temperature(
        a,
        k,
        temperature
    )))
}

/// The exact two-class radius `sqrt(delta^2 + pi^2) / |a_1 - a_2|` of each row of `[B, 2]` arrays.
#[pyfunction]
pub(crate) fn ghost_rho_binary<'py>(
    py: Python<'py>,
    z: Rows<'py>,
    a: Rows<'py>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let radii = with_pair!(z, a, |z, a, k| {
        if k != 2 {
            return Err(PyValueError::new_err(format!(
                "z has shape ({}, {k}): rho_binary needs two classes, shape (B, 2)",
                z.len() / k
            )));
        }
        compute(py, Size::Items(z.len()), || softkit_ghost::rho_binary(z, a))?
    });
    Ok(PyArray1::from_vec(py, radii))
}

/// The per-sample radius of the two-class problem made of each row's label and its strongest rival.
#[pyfunction]
pub(crate) fn ghost_rho_top2<'py>(
    py: Python<'py>,
    z: Rows<'py>,
    a: Rows<'py>,
    labels: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let radii = with_pair!(z, a, |z, a, k| {
        // Negative labels cannot become `usize`; the engine checks the length and the upper end.
        let labels: Vec<usize> = values(&labels)
            .iter()
            .enumerate()
            .map(|(index, &y)| {
                usize::try_from(y).map_err(|_| {
                    PyValueError::new_err(format!("labels[{index}] = {y} is out of range for k = {k} classes"))
                })
            })
            .collect::<PyResult<_>>()?;
        compute(py, Size::Items(z.len()), || softkit_ghost::rho_top2(z, a, &labels, k))?
    });
    Ok(PyArray1::from_vec(py, radii))
}

/// The modulus of the complex zero of `sum_k exp(z_k + tau a_k)` nearest the origin, per row.
#[pyfunction]
pub(crate) fn ghost_nearest_zero<'py>(
    py: Python<'py>,
    z: Rows<'py>,
    a: Rows<'py>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let radii = with_pair!(z, a, |z, a, k| compute(py, Size::Items(z.len()), || softkit_ghost::nearest_zero(z, a, k))?);
    Ok(PyArray1::from_vec(py, radii))
}

/// The factor `min(1, rho / step_norm)`, or with `r_target` the factor `r_target * rho / step_norm`.
#[pyfunction]
#[pyo3(signature = (step_norm, rho, r_target=None))]
pub(crate) fn ghost_scale(step_norm: f64, rho: f64, r_target: Option<f64>) -> PyResult<f64> {
    if !(step_norm >= 0.0 && step_norm.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "step_norm = {step_norm:?} is invalid: expected a finite, non-negative norm"
        )));
    }
    if rho.is_nan() || rho <= 0.0 {
        return Err(PyValueError::new_err(format!(
            "rho = {rho:?} is invalid: expected a positive radius (inf allowed)"
        )));
    }
    Ok(match r_target {
        None => softkit_ghost::scale(step_norm, rho),
        Some(r) => {
            positive_finite("r_target", r, "a positive, finite normalised step")?;
            softkit_ghost::scale_to_ratio(step_norm, rho, r)
        }
    })
}
