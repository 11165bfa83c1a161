//! The head decoders of `softkit.decode`: raw output arrays in, candidate arrays out.

use std::borrow::Cow;

use numpy::{
    PyArray1, PyArray2, PyArray4, PyArrayMethods, PyReadonlyArray3, PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use softkit_decode::{
    BevGrid, BevMaps, Candidates, CenterNetHead, ChannelOrder, ClassActivation, DecodeError, DetrHead, EndToEndHead,
    HeadTensor, InputSpec, Letterbox, Placement, Yolov8Head, YoloxHead,
};

use crate::guard::{Size, compute};

/// `(geometry (n, width) float32, scores (n,) float32, labels (n,) int64)`.
type CandidateArrays<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray1<f32>>, Bound<'py, PyArray1<i64>>);

/// A numpy array's shape and values, row-major (borrowed when C-contiguous).
struct Raw<'a> {
    shape: Vec<usize>,
    values: Cow<'a, [f32]>,
}

impl<'a> Raw<'a> {
    fn of(array: &'a PyReadonlyArrayDyn<'_, f32>) -> Self {
        let values = match array.as_slice() {
            Ok(slice) => Cow::Borrowed(slice),
            Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
        };
        Raw { shape: array.shape().to_vec(), values }
    }

    fn tensor(&self, role: &'static str) -> Result<HeadTensor<'_>, DecodeError> {
        HeadTensor::new(role, &self.shape, &self.values)
    }
}

/// The candidates as numpy arrays.
fn arrays<const W: usize>(py: Python<'_>, c: Candidates<[f32; W]>) -> PyResult<CandidateArrays<'_>> {
    let n = c.len();
    let geometry = PyArray1::from_vec(py, c.geometry.into_iter().flatten().collect()).reshape([n, W])?;
    let labels = c.labels.into_iter().map(i64::from).collect();
    Ok((geometry, PyArray1::from_vec(py, c.scores), PyArray1::from_vec(py, labels)))
}

/// `softkit.decode.yolox`.
#[pyfunction]
pub(crate) fn decode_yolox<'py>(
    py: Python<'py>,
    output: PyReadonlyArrayDyn<'py, f32>,
    input_size: [usize; 2],
    strides: Vec<usize>,
    score_threshold: f32,
) -> PyResult<CandidateArrays<'py>> {
    let raw = Raw::of(&output);
    let head = YoloxHead { input_size, strides, score_threshold };
    let c = compute(py, Size::Items(raw.values.len()), || head.decode(&raw.tensor("output")?))?;
    arrays(py, c)
}

/// `softkit.decode.yolov8`: boxes, or rotated boxes with `obb`.
#[pyfunction]
pub(crate) fn decode_yolov8<'py>(
    py: Python<'py>,
    output: PyReadonlyArrayDyn<'py, f32>,
    score_threshold: f32,
    multi_label: bool,
    obb: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let raw = Raw::of(&output);
    let head = Yolov8Head { score_threshold, multi_label };
    boxes_or_rotated(py, &raw, obb, |t| head.decode_boxes(t), |t| head.decode_rotated(t))
}

/// `softkit.decode.end2end`: boxes from `(1, rows, 6)`, rotated boxes from `(1, rows, 7)`.
#[pyfunction]
pub(crate) fn decode_end2end<'py>(
    py: Python<'py>,
    output: PyReadonlyArrayDyn<'py, f32>,
    score_threshold: f32,
    max_det: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let raw = Raw::of(&output);
    let head = EndToEndHead { score_threshold, max_det };
    let rotated = raw.shape.last() == Some(&7);
    boxes_or_rotated(py, &raw, rotated, |t| head.decode_boxes(t), |t| head.decode_rotated(t))
}

/// Decodes one `output` tensor as rotated boxes or as boxes, as `rotated` says.
fn boxes_or_rotated<'py>(
    py: Python<'py>,
    raw: &Raw<'_>,
    rotated: bool,
    boxes: impl FnOnce(&HeadTensor) -> Result<Candidates<[f32; 4]>, DecodeError> + Send,
    rotated_boxes: impl FnOnce(&HeadTensor) -> Result<Candidates<[f32; 5]>, DecodeError> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let size = Size::Items(raw.values.len());
    if rotated {
        let c = compute(py, size, || rotated_boxes(&raw.tensor("output")?))?;
        arrays(py, c)?.into_bound_py_any(py)
    } else {
        let c = compute(py, size, || boxes(&raw.tensor("output")?))?;
        arrays(py, c)?.into_bound_py_any(py)
    }
}

/// `softkit.decode.detr`.
#[pyfunction]
pub(crate) fn decode_detr<'py>(
    py: Python<'py>,
    logits: PyReadonlyArrayDyn<'py, f32>,
    boxes: PyReadonlyArrayDyn<'py, f32>,
    activation: &str,
    top_k: usize,
    score_threshold: f32,
    size: [f32; 2],
) -> PyResult<CandidateArrays<'py>> {
    let activation: ClassActivation = activation.parse().map_err(PyValueError::new_err)?;
    let (logits, boxes) = (Raw::of(&logits), Raw::of(&boxes));
    let head = DetrHead { activation, top_k, score_threshold, size };
    let c = compute(py, Size::Items(logits.values.len()), || {
        head.decode(&logits.tensor("logits")?, &boxes.tensor("boxes")?)
    })?;
    arrays(py, c)
}

/// `softkit.decode.centernet`: boxes from the heatmap, offset and size maps.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_centernet<'py>(
    py: Python<'py>,
    heatmap: PyReadonlyArrayDyn<'py, f32>,
    offset: PyReadonlyArrayDyn<'py, f32>,
    size: PyReadonlyArrayDyn<'py, f32>,
    top_k: usize,
    score_threshold: f32,
    down_ratio: f32,
    heat_is_logits: bool,
) -> PyResult<CandidateArrays<'py>> {
    let (heat, off, wh) = (Raw::of(&heatmap), Raw::of(&offset), Raw::of(&size));
    let head = CenterNetHead { top_k, score_threshold, down_ratio, heat_is_logits };
    let c = compute(py, Size::Items(heat.values.len()), || {
        head.decode_boxes(&heat.tensor("heatmap")?, &off.tensor("offset")?, &wh.tensor("size")?)
    })?;
    arrays(py, c)
}

/// `softkit.decode.centernet_bev`: 3-D boxes from a bird's-eye heatmap and its maps.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_centernet_bev<'py>(
    py: Python<'py>,
    heatmap: PyReadonlyArrayDyn<'py, f32>,
    maps: [PyReadonlyArrayDyn<'py, f32>; 4],
    top_k: usize,
    score_threshold: f32,
    heat_is_logits: bool,
    origin: [f32; 2],
    voxel: [f32; 2],
    stride: f32,
    log_dims: bool,
) -> PyResult<CandidateArrays<'py>> {
    let heat = Raw::of(&heatmap);
    let [offset, height, dims, rotation] = [&maps[0], &maps[1], &maps[2], &maps[3]].map(Raw::of);
    let head = CenterNetHead { top_k, score_threshold, down_ratio: 1.0, heat_is_logits };
    let grid = BevGrid { origin, voxel, stride, log_dims };
    let c = compute(py, Size::Items(heat.values.len()), || {
        let tensors = [(&offset, "offset"), (&height, "height"), (&dims, "dims"), (&rotation, "rotation")]
            .map(|(r, role)| r.tensor(role));
        let [offset, height, dims, rotation] = tensors;
        let (offset, height, dims, rotation) = (offset?, height?, dims?, rotation?);
        let maps = BevMaps { offset: &offset, height: &height, dims: &dims, rotation: &rotation };
        head.decode_bev(&heat.tensor("heatmap")?, maps, &grid)
    })?;
    arrays(py, c)
}

/// `softkit.decode.letterbox_image`: an `(H, W, 3)` RGB image as a `(1, 3, h, w)` model input.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_letterbox_image<'py>(
    py: Python<'py>,
    image: PyReadonlyArray3<'py, u8>,
    input_size: [u32; 2],
    placement: &str,
    channels: &str,
    pad_value: u8,
    pixel_divisor: f32,
) -> PyResult<Bound<'py, PyArray4<f32>>> {
    let placement: Placement = placement.parse().map_err(PyValueError::new_err)?;
    let channels: ChannelOrder = channels.parse().map_err(PyValueError::new_err)?;
    let spec = InputSpec { size: input_size, placement, pad_value, channels, divisor: pixel_divisor };
    let &[h, w, _] = image.shape() else { unreachable!("a 3-d array") };
    let pixels = image.as_slice()?;
    let size = [u32::try_from(w), u32::try_from(h)].map(|s| s.unwrap_or(u32::MAX));
    let (tensor, _) = compute(py, Size::Items(pixels.len()), || spec.letterbox_rgb(pixels, size))?;
    let [iw, ih] = input_size.map(|s| s as usize);
    PyArray1::from_vec(py, tensor).reshape([1, 3, ih, iw])
}

/// `softkit.decode.letterbox`: the scale, the left and top pad, and the resized size.
#[pyfunction]
pub(crate) fn decode_letterbox(
    original: [u32; 2],
    input: [u32; 2],
    placement: &str,
) -> PyResult<(f64, [u32; 2], [u32; 2])> {
    let placement: Placement = placement.parse().map_err(PyValueError::new_err)?;
    let lb = Letterbox::new(original, input, placement).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((lb.scale(), lb.pad(), lb.resized()))
}
