//! pycocotools' `mask` API (the `softkit.coco.mask` module): COCO run-length dicts in and out,
//! computed on softkit-geom's [`Rle`].
//!
//! The Python wrapper (`softkit/_mask.py`) sorts out what kind of input it got (single object or
//! list, boxes or RLEs, polygons or uncompressed RLEs) and checks dtypes; these functions parse
//! the RLE dicts, do the work without the GIL and build pycocotools' return values. Errors name
//! the argument and the position of the offending item (`rles[3]: ...`).

use std::borrow::Cow;

use numpy::PyUntypedArrayMethods;
use numpy::ndarray::Axis;
use numpy::npyffi::NPY_ORDER;
use numpy::{PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use rayon::prelude::*;
use softkit_geom::interrupt;
use softkit_geom::{MaskError, Rle};

use crate::guard::{Size, compute};

/// Below this many overlaps (or pixels), a matrix (or a batch of masks) is filled on one thread.
const PARALLEL_FROM: usize = 1 << 14;

/// One RLE dict as read under the GIL: its size and its compressed counts.
struct RleDict {
    height: u32,
    width: u32,
    counts: String,
}

impl RleDict {
    fn decode(&self) -> Result<Rle, MaskError> {
        Rle::from_compressed(self.height, self.width, &self.counts)
    }
}

/// An item of an argument, `name[index]`, as messages name it (formatted only on error).
#[derive(Clone, Copy)]
struct Item<'a>(&'a str, usize);

impl std::fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// `[height, width]` as two integers within `0..=u32::MAX`.
fn size_of(value: &Bound<'_, PyAny>, what: Item<'_>) -> PyResult<(u32, u32)> {
    // A list of two ints, as COCO files hold it, is read without building a vector.
    let pair = match value.cast::<PyList>() {
        Ok(list) if list.len() == 2 => {
            list.get_item(0)?.extract::<i64>().ok().zip(list.get_item(1)?.extract::<i64>().ok())
        }
        _ => None,
    };
    let (h, w) = match pair {
        Some(pair) => pair,
        None => {
            let size: Vec<i64> = value.extract().map_err(|_| {
                PyTypeError::new_err(format!("{what}['size'] must be [height, width] as two integers, got {value}"))
            })?;
            let [h, w] = size[..] else {
                return Err(PyValueError::new_err(format!(
                    "{what}['size'] must be [height, width], got {} numbers",
                    size.len()
                )));
            };
            (h, w)
        }
    };
    let dim = |v: i64| u32::try_from(v).ok();
    match (dim(h), dim(w)) {
        (Some(h), Some(w)) => Ok((h, w)),
        _ => Err(PyValueError::new_err(format!("{what}['size'] = [{h}, {w}] must lie in 0..=4294967295"))),
    }
}

/// `dict[key]`, required.
fn entry<'py>(dict: &Bound<'py, PyDict>, key: &Bound<'py, PyString>, what: Item<'_>) -> PyResult<Bound<'py, PyAny>> {
    dict.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("{what} has no \"{key}\" key")))
}

/// Reads one compressed RLE dict, `{'size': [h, w], 'counts': b'...'}` (counts as `bytes` or `str`).
fn rle_dict(item: &Bound<'_, PyAny>, what: Item<'_>) -> PyResult<RleDict> {
    let dict = item.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} is a {}, not an RLE dict {{'size': [h, w], 'counts': ...}}",
            type_name(item)
        ))
    })?;
    let py = item.py();
    let (height, width) = size_of(&entry(dict, intern!(py, "size"), what)?, what)?;
    let counts = entry(dict, intern!(py, "counts"), what)?;
    let counts = if let Ok(bytes) = counts.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        if let Some(position) = bytes.iter().position(|b| !b.is_ascii()) {
            return Err(PyValueError::new_err(format!(
                "{what}: RLE counts string: byte 0x{:02x} at byte {position} is outside '0'..='o'",
                bytes[position]
            )));
        }
        String::from_utf8_lossy(bytes).into_owned()
    } else if let Ok(text) = counts.cast::<PyString>() {
        text.to_cow()?.into_owned()
    } else {
        return Err(PyTypeError::new_err(format!(
            "{what}['counts'] is a {}, not a compressed counts string (bytes or str); \
             convert an uncompressed RLE (list counts) with frPyObjects(rle, h, w) first",
            type_name(&counts)
        )));
    };
    Ok(RleDict { height, width, counts })
}

/// Reads a list (or tuple) of RLE dicts.
fn rle_dicts(rles: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<RleDict>> {
    rles.try_iter()?.enumerate().map(|(i, item)| rle_dict(&item?, Item(name, i))).collect()
}

/// Decodes the counts strings, naming the first bad one.
fn decode_all(rles: &[RleDict], name: &str) -> Result<Vec<Rle>, String> {
    rles.iter().enumerate().map(|(i, r)| r.decode().map_err(|e| format!("{name}[{i}]: {e}"))).collect()
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map_or_else(|_| "?".into(), |n| n.to_string())
}

/// Checks that every mask has the first one's size.
fn same_size(rles: &[Rle], name: &str) -> Result<(), String> {
    let Some(first) = rles.first() else { return Ok(()) };
    match rles.iter().position(|r| (r.height(), r.width()) != (first.height(), first.width())) {
        None => Ok(()),
        Some(i) => Err(format!(
            "{name}[{i}] has size [{}, {}], but {name}[0] has size [{}, {}]",
            rles[i].height(),
            rles[i].width(),
            first.height(),
            first.width()
        )),
    }
}

/// pycocotools' RLE dict: `{'size': [h, w], 'counts': b'...'}`.
fn to_dict<'py>(py: Python<'py>, rle: &Rle, counts: &str) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("size", PyList::new(py, [rle.height(), rle.width()])?)?;
    dict.set_item("counts", PyBytes::new(py, counts.as_bytes()))?;
    Ok(dict)
}

/// The list of RLE dicts for `rles`, compressing the counts without the GIL.
fn to_dicts<'py>(py: Python<'py>, rles: &[Rle]) -> PyResult<Bound<'py, PyList>> {
    let strings = compress(py, rles)?;
    let dicts = rles.iter().zip(&strings).map(|(r, s)| to_dict(py, r, s)).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, dicts)
}

fn compress(py: Python<'_>, rles: &[Rle]) -> PyResult<Vec<String>> {
    let runs: usize = rles.iter().map(|r| r.counts().len()).sum();
    compute(py, Size::Items(runs / 16), || Ok::<_, String>(rles.iter().map(Rle::to_compressed).collect()))
}

/// An empty vector with room for `len` items, or `MemoryError` naming what it was for: outputs
/// are reserved with the GIL held and filled without it.
fn reserve<T>(len: Option<usize>, what: impl Fn() -> String) -> PyResult<Vec<T>> {
    let mut out = Vec::new();
    match len {
        Some(len) if out.try_reserve_exact(len).is_ok() => Ok(out),
        _ => Err(PyMemoryError::new_err(format!("unable to allocate {}", what()))),
    }
}

/// A size of `usize` as a mask dimension.
fn dimension(value: usize, what: &str) -> PyResult<u32> {
    u32::try_from(value).map_err(|_| PyValueError::new_err(format!("{what} = {value} is above 4294967295")))
}

/// Encodes the `(H, W, N)` masks (any nonzero byte is foreground), each read in column-major
/// order: pycocotools' `_mask.encode`. Any memory order is accepted; Fortran order is read in
/// place.
#[pyfunction]
pub(crate) fn mask_encode<'py>(py: Python<'py>, masks: PyReadonlyArray3<'py, u8>) -> PyResult<Bound<'py, PyList>> {
    let shape = masks.shape();
    let (h, w, n) = (dimension(shape[0], "height")?, dimension(shape[1], "width")?, shape[2]);
    let pixels = shape[0] * shape[1];
    // Fortran order holds mask after mask, each column after column: exactly COCO's order.
    let flat: Cow<'_, [u8]> = match masks.as_slice() {
        Ok(flat) if masks.is_fortran_contiguous() => Cow::Borrowed(flat),
        _ => Cow::Owned(masks.as_array().t().iter().copied().collect()),
    };
    let rles = compute(py, Size::Cells(n, pixels), || -> Result<Vec<Rle>, MaskError> {
        if pixels == 0 {
            return (0..n).map(|_| Rle::from_mask(h, w, &[])).collect();
        }
        let encode = |mask: &[u8]| {
            interrupt::poll();
            Rle::from_mask(h, w, mask)
        };
        if n * pixels < PARALLEL_FROM {
            flat.chunks(pixels).map(encode).collect()
        } else {
            flat.par_chunks(pixels).map(encode).collect()
        }
    })?;
    to_dicts(py, &rles)
}

/// Decodes RLE dicts of one size into an `(H, W, N)` Fortran-ordered uint8 array: pycocotools'
/// `_mask.decode`.
#[pyfunction]
pub(crate) fn mask_decode<'py>(py: Python<'py>, rles: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray3<u8>>> {
    let dicts = rle_dicts(rles, "rles")?;
    let Some(first) = dicts.first() else {
        return Err(PyValueError::new_err("decode: no RLEs to decode (the output size is unknown)"));
    };
    let (h, w, n) = (first.height, first.width, dicts.len());
    let pixels = h as usize * w as usize;
    let mut flat = reserve(n.checked_mul(pixels), || format!("{n} masks of {h} x {w} bytes"))?;
    let flat = compute(py, Size::Cells(n, pixels), || -> Result<Vec<u8>, String> {
        let rles = decode_all(&dicts, "rles")?;
        same_size(&rles, "rles")?;
        flat.resize(n * pixels, 0);
        if pixels == 0 {
            return Ok(flat);
        }
        let fill = |(mask, rle): (&mut [u8], &Rle)| {
            interrupt::poll();
            let mut at = 0;
            for (k, &c) in rle.counts().iter().enumerate() {
                let end = at + c as usize;
                if k % 2 == 1 {
                    mask[at..end].fill(1);
                }
                at = end;
            }
        };
        if n * pixels < PARALLEL_FROM {
            flat.chunks_mut(pixels).zip(&rles).for_each(fill);
        } else {
            flat.par_chunks_mut(pixels).zip(&rles).for_each(fill);
        }
        Ok(flat)
    })?;
    PyArray1::from_vec(py, flat).reshape_with_order([h as usize, w as usize, n], NPY_ORDER::NPY_FORTRANORDER)
}

/// The foreground pixel counts of RLE dicts, as uint32: pycocotools' `_mask.area`.
#[pyfunction]
pub(crate) fn mask_area<'py>(py: Python<'py>, rles: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray1<u32>>> {
    let dicts = rle_dicts(rles, "rles")?;
    let areas = compute(py, Size::Items(dicts.len()), || -> Result<Vec<u32>, String> {
        // The counts of a valid RLE sum to at most `u32::MAX` pixels.
        decode_all(&dicts, "rles").map(|rles| rles.iter().map(|r| r.area() as u32).collect())
    })?;
    Ok(PyArray1::from_vec(py, areas))
}

/// The `(N, 4)` boxes `[x, y, w, h]` around RLE dicts: pycocotools' `_mask.toBbox`.
#[pyfunction]
pub(crate) fn mask_to_bbox<'py>(py: Python<'py>, rles: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let dicts = rle_dicts(rles, "rles")?;
    let n = dicts.len();
    let flat = compute(py, Size::Items(n), || -> Result<Vec<f64>, String> {
        Ok(decode_all(&dicts, "rles")?.iter().flat_map(Rle::bbox).collect())
    })?;
    PyArray1::from_vec(py, flat).reshape([n, 4])
}

/// The union (or, with `intersect`, the intersection) of RLE dicts of one size: pycocotools'
/// `_mask.merge`.
#[pyfunction]
pub(crate) fn mask_merge<'py>(
    py: Python<'py>,
    rles: &Bound<'py, PyAny>,
    intersect: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let dicts = rle_dicts(rles, "rles")?;
    let (merged, counts) = compute(py, Size::Items(dicts.len()), || -> Result<(Rle, String), String> {
        let rles = decode_all(&dicts, "rles")?;
        if rles.is_empty() {
            return Err("merge: no RLEs to merge".into());
        }
        same_size(&rles, "rles").map_err(|e| format!("merge: {e}"))?;
        let merged = Rle::merge(&rles, intersect).map_err(|e| format!("merge: {e}"))?;
        let counts = merged.to_compressed();
        Ok((merged, counts))
    })?;
    to_dict(py, &merged, &counts)
}

/// A `len(dt) x len(gt)` matrix as a Fortran-ordered array from its column-major values.
fn fortran_matrix<'py>(py: Python<'py>, flat: Vec<f64>, m: usize, n: usize) -> PyResult<Bound<'py, PyArray2<f64>>> {
    PyArray1::from_vec(py, flat).reshape_with_order([m, n], NPY_ORDER::NPY_FORTRANORDER)
}

/// Room for the column-major `m x n` overlap matrix.
fn matrix_storage(m: usize, n: usize) -> PyResult<Vec<f64>> {
    reserve(m.checked_mul(n), || format!("a {m} x {n} IoU matrix of float64"))
}

/// Fills the column-major `m x n` matrix (in `out`, reserved) one gt column at a time.
fn fill_columns(mut out: Vec<f64>, m: usize, n: usize, column: impl Fn(usize, &mut [f64]) + Sync) -> Vec<f64> {
    out.resize(m * n, 0.0);
    if m == 0 {
        return out;
    }
    let each = |(g, col): (usize, &mut [f64])| {
        interrupt::poll();
        column(g, col);
    };
    if m * n < PARALLEL_FROM {
        out.chunks_mut(m).enumerate().for_each(each);
    } else {
        out.par_chunks_mut(m).enumerate().for_each(each);
    }
    out
}

/// The crowd flags as one `bool` per gt.
fn crowd_flags(iscrowd: &PyReadonlyArray1<'_, u8>, n: usize) -> PyResult<Vec<bool>> {
    let flags: Vec<bool> = iscrowd.as_array().iter().map(|&c| c != 0).collect();
    if flags.len() != n {
        return Err(PyValueError::new_err(format!(
            "iou: iscrowd has {} entries, but gt has {n} (one flag per gt)",
            flags.len()
        )));
    }
    Ok(flags)
}

/// The overlap of two `[x, y, w, h]` boxes as pycocotools' `bbIou` computes it (crowd: the
/// intersection over the detection's area), operation for operation.
fn box_iou(d: &[f64], g: &[f64], crowd: bool) -> f64 {
    let (da, ga) = (d[2] * d[3], g[2] * g[3]);
    let w = (d[2] + d[0]).min(g[2] + g[0]) - d[0].max(g[0]);
    if w <= 0.0 {
        return 0.0;
    }
    let h = (d[3] + d[1]).min(g[3] + g[1]) - d[1].max(g[1]);
    if h <= 0.0 {
        return 0.0;
    }
    let i = w * h;
    let u = if crowd { da } else { da + ga - i };
    i / u
}

/// IoU between RLE dicts, `len(dt) x len(gt)`, with COCO's crowd rule: pycocotools'
/// `_mask.iou` on RLEs. Every mask must have one size.
#[pyfunction]
pub(crate) fn mask_rle_iou<'py>(
    py: Python<'py>,
    dt: &Bound<'py, PyAny>,
    gt: &Bound<'py, PyAny>,
    iscrowd: PyReadonlyArray1<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (dt, gt) = (rle_dicts(dt, "dt")?, rle_dicts(gt, "gt")?);
    let (m, n) = (dt.len(), gt.len());
    let crowd = crowd_flags(&iscrowd, n)?;
    let out = matrix_storage(m, n)?;
    let flat = compute(py, Size::Cells(m, n), || -> Result<Vec<f64>, String> {
        let (dt, gt) = (decode_all(&dt, "dt")?, decode_all(&gt, "gt")?);
        same_size(&dt, "dt")?;
        same_size(&gt, "gt")?;
        if let (Some(d), Some(g)) = (dt.first(), gt.first())
            && (d.height(), d.width()) != (g.height(), g.width())
        {
            return Err(format!(
                "dt masks have size [{}, {}], but gt masks have size [{}, {}]",
                d.height(),
                d.width(),
                g.height(),
                g.width()
            ));
        }
        // pycocotools skips the run walk for pairs whose boxes do not overlap.
        let dt_boxes: Vec<[f64; 4]> = dt.iter().map(Rle::bbox).collect();
        let gt_boxes: Vec<[f64; 4]> = gt.iter().map(Rle::bbox).collect();
        Ok(fill_columns(out, m, n, |g, col| {
            for (d, o) in col.iter_mut().enumerate() {
                if box_iou(&dt_boxes[d], &gt_boxes[g], false) > 0.0 {
                    *o = dt[d].iou(&gt[g], crowd[g]);
                }
            }
        }))
    })?;
    fortran_matrix(py, flat, m, n)
}

/// IoU between `(M, 4)` and `(N, 4)` float64 boxes `[x, y, w, h]`, with COCO's crowd rule:
/// pycocotools' `_mask.iou` on boxes (`bbIou`).
#[pyfunction]
pub(crate) fn mask_box_iou<'py>(
    py: Python<'py>,
    dt: PyReadonlyArray2<'py, f64>,
    gt: PyReadonlyArray2<'py, f64>,
    iscrowd: PyReadonlyArray1<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let rows = |a: &PyReadonlyArray2<'py, f64>, name: &str| -> PyResult<Vec<[f64; 4]>> {
        if a.shape()[1] != 4 {
            return Err(PyValueError::new_err(format!("{name} boxes must be (N, 4), got {:?}", a.shape())));
        }
        Ok(a.as_array().axis_iter(Axis(0)).map(|r| [r[0], r[1], r[2], r[3]]).collect())
    };
    let (dt, gt) = (rows(&dt, "dt")?, rows(&gt, "gt")?);
    let (m, n) = (dt.len(), gt.len());
    let crowd = crowd_flags(&iscrowd, n)?;
    let out = matrix_storage(m, n)?;
    let flat = compute(py, Size::Cells(m, n), || {
        Ok::<_, String>(fill_columns(out, m, n, |g, col| {
            for (o, d) in col.iter_mut().zip(&dt) {
                *o = box_iou(d, &gt[g], crowd[g]);
            }
        }))
    })?;
    fortran_matrix(py, flat, m, n)
}

/// Rasterises `(N, 4)` float64 boxes `[x, y, w, h]` into `h x w` RLE dicts: pycocotools'
/// `_mask.frBbox`.
#[pyfunction]
pub(crate) fn mask_from_bboxes<'py>(
    py: Python<'py>,
    boxes: PyReadonlyArray2<'py, f64>,
    h: u32,
    w: u32,
) -> PyResult<Bound<'py, PyList>> {
    if boxes.shape()[1] != 4 {
        return Err(PyValueError::new_err(format!("boxes must be (N, 4), got {:?}", boxes.shape())));
    }
    let rows: Vec<[f64; 4]> = boxes.as_array().axis_iter(Axis(0)).map(|r| [r[0], r[1], r[2], r[3]]).collect();
    let rles = compute(py, Size::Items(rows.len()), || -> Result<Vec<Rle>, String> {
        rows.iter()
            .enumerate()
            .map(|(i, &b)| {
                interrupt::poll();
                Rle::from_bbox(b, h, w).map_err(|e| format!("frPyObjects: boxes[{i}]: {e}"))
            })
            .collect()
    })?;
    to_dicts(py, &rles)
}

/// Gives a polygon error the polygon's position in the caller's list.
fn renumber(err: MaskError, polygon: usize) -> MaskError {
    match err {
        MaskError::PolygonTooShort { points, .. } => MaskError::PolygonTooShort { polygon, points },
        MaskError::OddCoordinates { len, .. } => MaskError::OddCoordinates { polygon, len },
        MaskError::NonFiniteCoordinate { index, value, .. } => MaskError::NonFiniteCoordinate { polygon, index, value },
        MaskError::CoordinateOutOfRange { index, value, .. } => {
            MaskError::CoordinateOutOfRange { polygon, index, value }
        }
        other => other,
    }
}

/// Rasterises one polygon as pycocotools' `rleFrPoly` does, degenerate ones included: an odd
/// trailing coordinate is ignored, a polygon of one or two points is closed on itself (its last
/// point repeated, which adds zero-length edges that change no pixel), and one of no points is
/// empty.
fn polygon_rle(polygon: &[f64], h: u32, w: u32) -> Result<Rle, MaskError> {
    let even = &polygon[..polygon.len() / 2 * 2];
    match even.len() {
        0 => {
            let pixels =
                u32::try_from(u64::from(h) * u64::from(w)).map_err(|_| MaskError::TooLarge { height: h, width: w })?;
            Rle::new(h, w, vec![pixels])
        }
        2 | 4 => {
            let mut closed = even.to_vec();
            while closed.len() < 6 {
                closed.extend_from_slice(&even[even.len() - 2..]);
            }
            Rle::from_polygon(&closed, h, w)
        }
        _ => Rle::from_polygon(even, h, w),
    }
}

/// Rasterises each polygon (flat float64 `[x0, y0, x1, y1, ...]`) into its own `h x w` RLE dict:
/// pycocotools' `_mask.frPoly`.
#[pyfunction]
pub(crate) fn mask_from_polygons<'py>(
    py: Python<'py>,
    polygons: Vec<PyReadonlyArray1<'py, f64>>,
    h: u32,
    w: u32,
) -> PyResult<Bound<'py, PyList>> {
    let coords: Vec<Cow<'_, [f64]>> = polygons
        .iter()
        .map(|p| match p.as_slice() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(p.as_array().to_vec()),
        })
        .collect();
    let vertices: usize = coords.iter().map(|p| p.len()).sum();
    let rles = compute(py, Size::Items(vertices / 64), || -> Result<Vec<Rle>, String> {
        coords
            .iter()
            .enumerate()
            .map(|(i, p)| {
                interrupt::poll();
                polygon_rle(p, h, w).map_err(|e| format!("frPyObjects: {}", renumber(e, i)))
            })
            .collect()
    })?;
    to_dicts(py, &rles)
}

/// Compresses uncompressed RLEs, each given as `(height, width, counts)`: pycocotools'
/// `_mask.frUncompressedRLE`. The counts must sum to `height * width`.
#[pyfunction]
pub(crate) fn mask_from_uncompressed<'py>(
    py: Python<'py>,
    rles: Vec<(u32, u32, PyReadonlyArray1<'py, u32>)>,
) -> PyResult<Bound<'py, PyList>> {
    let rles = rles
        .iter()
        .enumerate()
        .map(|(i, (h, w, counts))| {
            Rle::new(*h, *w, counts.as_array().to_vec()).map_err(|e| PyValueError::new_err(format!("pyobj[{i}]: {e}")))
        })
        .collect::<PyResult<Vec<Rle>>>()?;
    to_dicts(py, &rles)
}
