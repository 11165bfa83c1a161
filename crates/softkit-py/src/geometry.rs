//! Pairwise overlaps and box format conversion.

use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::{BoxFormat, BoxMeasure, Boxes, Coord, check_pixel_offset, convert_boxes, overlap_matrix};

use crate::arrays::{BoxArray, box_rows, boxes_f64, with_boxes};
use crate::guard::{Size, compute};
use crate::shapes::ShapeError;

pub(crate) fn flat_to_rows<'py>(
    py: Python<'py>,
    flat: Vec<f64>,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    PyArray1::from_vec(py, flat).reshape([rows, cols])
}

/// The `(N, M)` matrix of IoU, GIoU or DIoU between two box arrays.
#[pyfunction]
pub(crate) fn box_overlap<'py>(
    py: Python<'py>,
    a: BoxArray<'py>,
    b: BoxArray<'py>,
    measure: &str,
    pixel_offset: f64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let measure: BoxMeasure = measure.parse().map_err(PyValueError::new_err)?;
    let (rows, cols, flat) = match (a, b) {
        (BoxArray::F32(a), BoxArray::F32(b)) => matrix(py, &box_rows(&a), &box_rows(&b), measure, pixel_offset)?,
        (BoxArray::F64(a), BoxArray::F64(b)) => matrix(py, &box_rows(&a), &box_rows(&b), measure, pixel_offset)?,
        (a, b) => matrix(py, &boxes_f64(a), &boxes_f64(b), measure, pixel_offset)?,
    };
    flat_to_rows(py, flat, rows, cols)
}

fn matrix<T: Coord>(
    py: Python<'_>,
    a: &[[T; 4]],
    b: &[[T; 4]],
    measure: BoxMeasure,
    pixel_offset: f64,
) -> PyResult<(usize, usize, Vec<f64>)> {
    let flat = compute(py, Size::Cells(a.len(), b.len()), || -> Result<_, ShapeError> {
        check_pixel_offset(pixel_offset)?;
        // Each list is checked on its own, so that an error names the argument it is in.
        let a = Boxes::new(a, pixel_offset).map_err(|e| ShapeError::In("boxes1", e))?;
        let b = Boxes::new(b, pixel_offset).map_err(|e| ShapeError::In("boxes2", e))?;
        Ok(overlap_matrix(&a, &b, &measure)?)
    })?;
    Ok((a.len(), b.len(), flat))
}

/// Converts boxes between `xyxy`, `xywh` and `cxcywh`, returning float64.
#[pyfunction]
pub(crate) fn box_convert<'py>(
    py: Python<'py>,
    boxes: BoxArray<'py>,
    in_fmt: &str,
    out_fmt: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let from: BoxFormat = in_fmt.parse().map_err(PyValueError::new_err)?;
    let to: BoxFormat = out_fmt.parse().map_err(PyValueError::new_err)?;
    let converted =
        with_boxes!(boxes, |boxes| compute(py, Size::Items(boxes.len()), || convert_boxes(boxes, from, to))?);
    let rows = converted.len();
    flat_to_rows(py, converted.into_iter().flatten().collect(), rows, 4)
}
