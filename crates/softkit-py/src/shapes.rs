//! Rotated boxes, polygons, time segments, 3-D boxes and their bird's-eye view, and poses:
//! suppression, overlap matrices and rotated-box conversion.

use numpy::{PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_geom::{
    Box3dOrigin, Boxes3d, GeomError, Geometry, IntersectMeasure, KeypointInstance, Keypoints, Masks, Measure, OksNms,
    Overlap, Polygons, Rle, RotatedBoxes, RotatedFormat, Segments, SetView, ShapeMeasure, convert_rotated,
    overlap_matrix,
};
use softkit_nms::{Kept, NmsError, SuppressParams};

use crate::arrays::{ScoreArray, scores_f64, values};
use crate::geometry::flat_to_rows;
use crate::guard::{Size, compute};
use crate::suppression::{KeptArrays, SoftNmsOptions, indices, scoped};

/// A geometry as the Python wrapper passes it: float64 rows (`(N, 5)` rotated boxes, `(N, 2)`
/// segments, `(N, 7)` 3-D boxes), or `(V, 2)` polygon vertices with `N + 1` offsets.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct ShapeArgs<'py> {
    geometry: String,
    coords: PyReadonlyArray2<'py, f64>,
    offsets: Option<PyReadonlyArray1<'py, i64>>,
    rbox_format: String,
    box_origin: String,
}

/// The borrowed numbers of a [`ShapeArgs`], ready to build a column without the GIL.
enum ShapeData<'a> {
    Rotated(&'a [[f64; 5]], RotatedFormat),
    Polygons(&'a [[f64; 2]], Vec<usize>),
    Segments(&'a [[f64; 2]]),
    /// 3-D boxes, measured in 3-D (`false`) or by their bird's-eye view (`true`).
    Boxes3d(&'a [[f64; 7]], Box3dOrigin, bool),
}

/// A validated column of one geometry.
enum Column {
    Rotated(RotatedBoxes),
    Polygons(Polygons),
    Segments(Segments),
    Boxes3d(Boxes3d),
}

impl ShapeData<'_> {
    /// How many shapes it holds.
    fn len(&self) -> usize {
        match self {
            ShapeData::Rotated(boxes, _) => boxes.len(),
            ShapeData::Polygons(_, offsets) => offsets.len().saturating_sub(1),
            ShapeData::Segments(segments) => segments.len(),
            ShapeData::Boxes3d(boxes, ..) => boxes.len(),
        }
    }

    fn column(&self) -> Result<Column, GeomError> {
        Ok(match self {
            ShapeData::Rotated(boxes, format) => Column::Rotated(RotatedBoxes::new(boxes, *format)?),
            ShapeData::Polygons(vertices, offsets) => Column::Polygons(Polygons::from_offsets(vertices, offsets)?),
            ShapeData::Segments(segments) => Column::Segments(Segments::new(segments)?),
            ShapeData::Boxes3d(boxes, origin, false) => Column::Boxes3d(Boxes3d::new(boxes, *origin)?),
            ShapeData::Boxes3d(boxes, origin, true) => Column::Rotated(Boxes3d::new(boxes, *origin)?.into_bev()),
        })
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
        "segment" => Ok(ShapeData::Segments(flat.as_chunks::<2>().0)),
        "box3d" | "bev" => {
            let origin: Box3dOrigin = args.box_origin.parse().map_err(PyValueError::new_err)?;
            Ok(ShapeData::Boxes3d(flat.as_chunks::<7>().0, origin, args.geometry == "bev"))
        }
        other => Err(PyValueError::new_err(format!(
            "geometry = {other:?} is invalid: expected \"box\", \"rotated\", \"polygon\", \"segment\", \"box3d\" or \"bev\""
        ))),
    }
}

/// Why a shape suppression failed: the geometry or the engine.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ShapeError {
    #[error(transparent)]
    Geometry(#[from] GeomError),
    #[error(transparent)]
    Engine(#[from] NmsError),
    #[error("boxes1 and boxes2 must hold the same geometry")]
    Mixed,
    #[error("{0}")]
    Measure(String),
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
    let data = shape_data(&shapes)?;
    let measure = options.measure.clone();
    run_scoped(py, scores, &options, move |scope| {
        let measure = measure.as_str();
        Ok(match data.column()? {
            Column::Rotated(c) => scope.run(&SetView::of(c, shape(measure)?))?,
            Column::Polygons(c) => scope.run(&SetView::of(c, shape(measure)?))?,
            Column::Segments(c) => scope.run(&SetView::of(c, intersect(measure)?))?,
            Column::Boxes3d(c) => scope.run(&SetView::of(c, intersect(measure)?))?,
        })
    })
}

/// What a suppression binding hands its worker: the scores, the scope's columns and the
/// parameters.
struct Scope<'a> {
    scores: &'a [f64],
    image_ids: Option<&'a [i64]>,
    labels: Option<&'a [i64]>,
    params: &'a SuppressParams,
}

impl Scope<'_> {
    /// Suppresses `set` in this scope.
    fn run<const D: usize, S: Overlap<D>>(&self, set: &S) -> Result<Kept, NmsError> {
        scoped(set, self.scores, self.image_ids, self.labels, self.params)
    }
}

/// Runs `work` without the GIL with the options' scope, and returns the kept indices and their
/// scores as arrays.
fn run_scoped<'py>(
    py: Python<'py>,
    scores: ScoreArray<'py>,
    options: &SoftNmsOptions<'py>,
    work: impl FnOnce(&Scope<'_>) -> Result<Kept, ShapeError> + Send,
) -> PyResult<KeptArrays<'py>> {
    let params = options.params()?;
    let scores = scores_f64(scores);
    let labels = options.labels.as_ref().map(values);
    let image_ids = options.image_ids.as_ref().map(values);
    let scope = Scope { scores: &scores, image_ids: image_ids.as_deref(), labels: labels.as_deref(), params: &params };
    let kept = compute(py, Size::Items(scores.len()), || work(&scope))?;
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
    let (a, b) = (shape_data(&a)?, shape_data(&b)?);
    let (rows, cols, flat) = compute(py, Size::Cells(a.len(), b.len()), || -> Result<_, ShapeError> {
        let a = a.column().map_err(|e| ShapeError::In("boxes1", e))?;
        let b = b.column().map_err(|e| ShapeError::In("boxes2", e))?;
        match (a, b) {
            (Column::Rotated(a), Column::Rotated(b)) => matrix(&a, &b, &shape(measure)?),
            (Column::Polygons(a), Column::Polygons(b)) => matrix(&a, &b, &shape(measure)?),
            (Column::Segments(a), Column::Segments(b)) => matrix(&a, &b, &intersect(measure)?),
            (Column::Boxes3d(a), Column::Boxes3d(b)) => matrix(&a, &b, &intersect(measure)?),
            _ => Err(ShapeError::Mixed),
        }
    })?;
    flat_to_rows(py, flat, rows, cols)
}

/// The measure of rotated boxes and polygons: IoU, GIoU or IoMin.
fn shape(measure: &str) -> Result<ShapeMeasure, ShapeError> {
    measure.parse().map_err(ShapeError::Measure)
}

/// The measure of segments and 3-D boxes: IoU or IoMin.
fn intersect(measure: &str) -> Result<IntersectMeasure, ShapeError> {
    measure.parse().map_err(ShapeError::Measure)
}

fn matrix<G: Geometry, M: Measure<G>>(a: &G, b: &G, measure: &M) -> Result<(usize, usize, Vec<f64>), ShapeError> {
    Ok((a.len(), b.len(), overlap_matrix(a, b, measure)?))
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
    let converted = compute(py, Size::Items(flat.len() / 5), || convert_rotated(flat.as_chunks::<5>().0, from, to))?;
    let rows = converted.len();
    flat_to_rows(py, converted.into_iter().flatten().collect(), rows, 5)
}

/// Soft-NMS (or hard NMS) on poses by mmpose's symmetric OKS: `keypoints` is `(N, 3K)` float64
/// (`x, y, v` per keypoint), `areas` one per pose.
#[pyfunction]
#[pyo3(signature = (keypoints, areas, scores, sigmas, visibility_threshold, options))]
pub(crate) fn keypoint_soft_nms<'py>(
    py: Python<'py>,
    keypoints: PyReadonlyArray2<'py, f64>,
    areas: PyReadonlyArray1<'py, f64>,
    scores: ScoreArray<'py>,
    sigmas: Vec<f64>,
    visibility_threshold: Option<f64>,
    options: SoftNmsOptions<'py>,
) -> PyResult<KeptArrays<'py>> {
    if options.measure != "oks" {
        return Err(PyValueError::new_err(format!(
            "measure = {:?} is invalid for geometry = \"keypoints\": expected \"oks\"",
            options.measure
        )));
    }
    let rows = keypoints.as_array().rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    let areas = values(&areas).into_owned();
    run_scoped(py, scores, &options, move |scope| {
        let poses = poses(rows, &areas, &sigmas)?;
        Ok(scope.run(&SetView::of(poses, OksNms::new(&sigmas, visibility_threshold)))?)
    })
}

/// Poses as a [`Keypoints`] column, each with its area and the box around its keypoints.
fn poses(rows: Vec<Vec<f64>>, areas: &[f64], sigmas: &[f64]) -> Result<Keypoints, ShapeError> {
    if rows.len() != areas.len() {
        return Err(ShapeError::Measure(format!("areas has {} entries but keypoints has {}", areas.len(), rows.len())));
    }
    if let Some(first) = rows.first()
        && first.len() != 3 * sigmas.len()
    {
        return Err(ShapeError::Measure(format!(
            "keypoints has {} keypoints per pose but sigmas has {}",
            first.len() / 3,
            sigmas.len()
        )));
    }
    if let Some((index, &value)) = areas.iter().enumerate().find(|(_, a)| !a.is_finite() || **a < 0.0) {
        return Err(ShapeError::Geometry(GeomError::Item {
            items: "areas",
            index,
            field: "area",
            value,
            expected: "a finite number >= 0",
        }));
    }
    let instances = rows
        .into_iter()
        .zip(areas)
        .map(|(keypoints, &area)| KeypointInstance { keypoints, area, bbox: [0.0; 4] })
        .collect();
    Ok(Keypoints::new(instances)?)
}

/// Masks as the Python wrapper passes them: a dense `(N, W, H)` uint8 array (each mask in
/// column-major order, as pycocotools encodes), or run-length masks `(height, width, counts)`.
#[derive(FromPyObject)]
pub(crate) enum MaskArgs<'py> {
    Dense(numpy::PyReadonlyArray3<'py, u8>),
    Rles(Vec<(u32, u32, RleCounts)>),
}

/// A run-length mask's counts: COCO's compressed string, or the runs themselves.
#[derive(FromPyObject)]
pub(crate) enum RleCounts {
    Compressed(String),
    Runs(Vec<u32>),
}

/// The masks as one column, all of one size; errors name `name[i]`.
fn masks(args: MaskArgs<'_>, name: &'static str) -> PyResult<Masks> {
    let bad = |i: usize, e: String| PyValueError::new_err(format!("{name}[{i}]: {e}"));
    let rles: Vec<Rle> = match args {
        MaskArgs::Dense(array) => {
            let shape = array.shape().to_vec();
            let (w, h) = (shape[1] as u32, shape[2] as u32);
            let view = array.as_array();
            (0..shape[0])
                .map(|i| {
                    let column_major: Vec<u8> = view.index_axis(numpy::ndarray::Axis(0), i).iter().copied().collect();
                    Rle::from_mask(h, w, &column_major).map_err(|e| bad(i, e.to_string()))
                })
                .collect::<PyResult<_>>()?
        }
        MaskArgs::Rles(rles) => rles
            .into_iter()
            .enumerate()
            .map(|(i, (h, w, counts))| {
                match counts {
                    RleCounts::Compressed(s) => Rle::from_compressed(h, w, &s),
                    RleCounts::Runs(runs) => Rle::new(h, w, runs),
                }
                .map_err(|e| bad(i, e.to_string()))
            })
            .collect::<PyResult<_>>()?,
    };
    if let Some((i, m)) =
        rles.iter().enumerate().find(|(_, m)| (m.height(), m.width()) != (rles[0].height(), rles[0].width()))
    {
        return Err(bad(
            i,
            format!(
                "the mask is {} x {} but {name}[0] is {} x {}",
                m.height(),
                m.width(),
                rles[0].height(),
                rles[0].width()
            ),
        ));
    }
    Ok(Masks::new(rles))
}

/// Soft-NMS (or hard NMS) on masks by mask IoU (or IoMin).
#[pyfunction]
pub(crate) fn mask_soft_nms<'py>(
    py: Python<'py>,
    masks_in: MaskArgs<'py>,
    scores: ScoreArray<'py>,
    options: SoftNmsOptions<'py>,
) -> PyResult<KeptArrays<'py>> {
    let column = masks(masks_in, "masks")?;
    let measure = intersect(&options.measure).map_err(|e| PyValueError::new_err(e.to_string()))?;
    run_scoped(py, scores, &options, move |scope| Ok(scope.run(&SetView::of(column, measure))?))
}

/// The `(N, M)` matrix of mask IoU (or IoMin) between two lists of masks of one size.
#[pyfunction]
pub(crate) fn mask_overlap<'py>(
    py: Python<'py>,
    a: MaskArgs<'py>,
    b: MaskArgs<'py>,
    measure: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (a, b) = (masks(a, "masks1")?, masks(b, "masks2")?);
    if let (Some(x), Some(y)) = (a.first(), b.first())
        && (x.height(), x.width()) != (y.height(), y.width())
    {
        return Err(PyValueError::new_err(format!(
            "masks1 are {} x {} but masks2 are {} x {}",
            x.height(),
            x.width(),
            y.height(),
            y.width()
        )));
    }
    let (rows, cols, flat) = compute(py, Size::Cells(a.len(), b.len()), || matrix(&a, &b, &intersect(measure)?))?;
    flat_to_rows(py, flat, rows, cols)
}
