//! Rotated boxes and polygons: suppression, overlap matrices and rotated-box conversion.

use numpy::{PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::{
    GeomError, Geometry, Measure, Polygons, RotatedBoxes, RotatedFormat, SetView, ShapeMeasure, convert_rotated,
    overlap_matrix,
};
use softkit_nms::{Kept, NmsError};

use crate::arrays::{ScoreArray, values, with_scores};
use crate::geometry::flat_to_rows;
use crate::guard::compute;
use crate::suppression::{KeptArrays, SoftNmsOptions, indices, scoped};

/// Rotated boxes or polygons as the Python wrapper passes them: float64 `(N, 5)` rotated boxes,
/// or `(V, 2)` vertices with `N + 1` offsets.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct ShapeArgs<'py> {
    geometry: String,
    coords: PyReadonlyArray2<'py, f64>,
    offsets: Option<PyReadonlyArray1<'py, i64>>,
    rbox_format: String,
}

/// The borrowed numbers of a [`ShapeArgs`], ready to build a column without the GIL.
enum ShapeData<'a> {
    Rotated(&'a [[f64; 5]], RotatedFormat),
    Polygons(&'a [[f64; 2]], Vec<usize>),
}

/// A validated column of either shape.
enum Column {
    Rotated(RotatedBoxes),
    Polygons(Polygons),
}

impl ShapeData<'_> {
    fn column(&self) -> Result<Column, GeomError> {
        match self {
            ShapeData::Rotated(boxes, format) => Ok(Column::Rotated(RotatedBoxes::new(boxes, *format)?)),
            ShapeData::Polygons(vertices, offsets) => Ok(Column::Polygons(Polygons::from_offsets(vertices, offsets)?)),
        }
    }
}

/// Checks the arguments' shape and borrows their numbers (the wrapper has made them contiguous).
fn shape_data<'a>(args: &'a ShapeArgs<'_>) -> PyResult<ShapeData<'a>> {
    let flat = args.coords.as_slice().map_err(|_| PyValueError::new_err("coordinates must be C-contiguous"))?;
    match args.geometry.as_str() {
        "rotated" => {
            let format: RotatedFormat = args.rbox_format.parse().map_err(PyValueError::new_err)?;
            Ok(ShapeData::Rotated(flat.as_chunks::<5>().0, format))
        }
        "polygon" => {
            let offsets = args.offsets.as_ref().ok_or_else(|| PyValueError::new_err("polygons need offsets"))?;
            let offsets = values(offsets)
                .iter()
                .enumerate()
                .map(|(k, &o)| {
                    usize::try_from(o).map_err(|_| PyValueError::new_err(format!("offsets[{k}] = {o} is negative")))
                })
                .collect::<PyResult<Vec<usize>>>()?;
            Ok(ShapeData::Polygons(flat.as_chunks::<2>().0, offsets))
        }
        other => Err(PyValueError::new_err(format!(
            "geometry = {other:?} is invalid: expected \"box\", \"rotated\" or \"polygon\""
        ))),
    }
}

/// Why a shape suppression failed: the geometry or the engine.
#[derive(Debug, thiserror::Error)]
enum ShapeError {
    #[error(transparent)]
    Geometry(#[from] GeomError),
    #[error(transparent)]
    Engine(#[from] NmsError),
    #[error("boxes1 and boxes2 must hold the same geometry")]
    Mixed,
    /// A geometry error in one of two lists, named by its argument.
    #[error("{0}: {1}")]
    In(&'static str, GeomError),
}

/// Soft-NMS (or hard NMS) on rotated boxes or polygons: kept indices in selection order and
/// their decayed scores.
#[pyfunction]
pub(crate) fn shape_soft_nms<'py>(
    py: Python<'py>,
    shapes: ShapeArgs<'py>,
    scores: ScoreArray<'py>,
    options: SoftNmsOptions<'py>,
) -> PyResult<KeptArrays<'py>> {
    let measure: ShapeMeasure = options.measure.parse().map_err(PyValueError::new_err)?;
    let params = options.params()?;
    let data = shape_data(&shapes)?;
    let labels = options.labels.as_ref().map(values);
    let image_ids = options.image_ids.as_ref().map(values);
    let (labels, image_ids) = (labels.as_deref(), image_ids.as_deref());
    let kept: Kept = with_scores!(scores, |scores| compute(py, || -> Result<Kept, ShapeError> {
        Ok(match data.column()? {
            Column::Rotated(c) => scoped(&SetView::of(c, measure), scores, image_ids, labels, &params)?,
            Column::Polygons(c) => scoped(&SetView::of(c, measure), scores, image_ids, labels, &params)?,
        })
    }))?;
    Ok((indices(py, kept.indices), numpy::PyArray1::from_vec(py, kept.scores)))
}

/// The `(N, M)` matrix of `measure` between two lists of rotated boxes or of polygons.
#[pyfunction]
pub(crate) fn shape_overlap<'py>(
    py: Python<'py>,
    a: ShapeArgs<'py>,
    b: ShapeArgs<'py>,
    measure: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let measure: ShapeMeasure = measure.parse().map_err(PyValueError::new_err)?;
    let (a, b) = (shape_data(&a)?, shape_data(&b)?);
    let (rows, cols, flat) = compute(py, || -> Result<_, ShapeError> {
        let a = a.column().map_err(|e| ShapeError::In("boxes1", e))?;
        let b = b.column().map_err(|e| ShapeError::In("boxes2", e))?;
        match (a, b) {
            (Column::Rotated(a), Column::Rotated(b)) => Ok(matrix(&a, &b, &measure)),
            (Column::Polygons(a), Column::Polygons(b)) => Ok(matrix(&a, &b, &measure)),
            _ => Err(ShapeError::Mixed),
        }
    })?;
    flat_to_rows(py, flat, rows, cols)
}

fn matrix<G: Geometry, M: Measure<G>>(a: &G, b: &G, measure: &M) -> (usize, usize, Vec<f64>) {
    (a.len(), b.len(), overlap_matrix(a, b, measure))
}

/// Converts `(N, 5)` rotated boxes between formats (radians, degrees, le90, le135, oc).
#[pyfunction]
pub(crate) fn rbox_convert<'py>(
    py: Python<'py>,
    rboxes: PyReadonlyArray2<'py, f64>,
    in_fmt: &str,
    out_fmt: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let from: RotatedFormat = in_fmt.parse().map_err(PyValueError::new_err)?;
    let to: RotatedFormat = out_fmt.parse().map_err(PyValueError::new_err)?;
    let flat = rboxes.as_slice().map_err(|_| PyValueError::new_err("rboxes must be C-contiguous"))?;
    let converted = compute(py, || convert_rotated(flat.as_chunks::<5>().0, from, to))?;
    let rows = converted.len();
    flat_to_rows(py, converted.into_iter().flatten().collect(), rows, 5)
}
