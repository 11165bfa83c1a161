//! Pairwise overlaps and box format conversion.

use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::{BoxFormat, BoxMeasure, box_overlap_matrix, convert_boxes};

use crate::arrays::{BoxArray, with_boxes};
use crate::guard::compute;

fn flat_to_rows<'py>(py: Python<'py>, flat: Vec<f64>, rows: usize, cols: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
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
    let measure = match measure {
        "iou" => BoxMeasure::Iou,
        "giou" => BoxMeasure::Giou,
        "diou" => BoxMeasure::Diou,
        other => {
            return Err(PyValueError::new_err(format!(
                "measure = {other:?} is invalid: expected \"iou\", \"giou\" or \"diou\""
            )));
        }
    };
    let (rows, cols, flat) = with_boxes!(a, |a| with_boxes!(b, |b| {
        let flat = compute(py, || box_overlap_matrix(a, b, measure, pixel_offset))?;
        (a.len(), b.len(), flat)
    }));
    flat_to_rows(py, flat, rows, cols)
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
    let converted = with_boxes!(boxes, |boxes| compute(py, || convert_boxes(boxes, from, to))?);
    let rows = converted.len();
    flat_to_rows(py, converted.into_iter().flatten().collect(), rows, 4)
}
