"""Detector heads to candidates, for users who run onnxruntime or torch themselves.

Each decoder takes a model's raw output arrays (numpy, torch CPU tensors, anything with
``__array__``; a leading batch of 1 is optional) and returns ``(geometry, scores, labels)``:
``geometry`` float32 ``(n, 4)`` boxes ``[x1, y1, x2, y2]`` (``(n, 5)`` ``[cx, cy, w, h, angle]``
for oriented heads, ``(n, 7)`` 3-D boxes for the bird's-eye head), in the model's input pixels;
``scores`` float32 ``(n,)``; ``labels`` int64 ``(n,)`` class indices. Map boxes back to the
image with :func:`unletterbox`, then suppress them with :func:`softkit.soft_nms` (not after the
NMS-free heads: ``end2end``, ``detr``, ``centernet``).

>>> import numpy as np
>>> from softkit import decode
>>> # YOLOv8: (1, 4 + classes, anchors); two anchors, two classes.
>>> out = np.array([[[10, 50], [10, 50], [4, 8], [4, 8], [0.9, 0.1], [0.3, 0.7]]], dtype=np.float32)
>>> boxes, scores, labels = decode.yolov8(out, score_threshold=0.25)
>>> labels.tolist(), boxes[0].tolist()
([0, 1, 1], [8.0, 8.0, 12.0, 12.0])
>>> # A 640 x 426 image letterboxed top-left into 416 x 416 (YOLOX): back to its pixels.
>>> decode.unletterbox(np.array([[13., 26., 39., 52.]]), (640, 426), (416, 416), "top-left").tolist()
[[20.0, 40.0, 60.0, 80.0]]

Ties in every top-k go to the lower flat index (query-major, then class; class-major, then row
and column for heatmaps), where ``torch.topk`` leaves them unspecified.
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from . import _native
from ._arrays import array, count, integer, number

__all__ = ["yolox", "yolov8", "end2end", "detr", "centernet", "centernet_bev", "letterbox", "letterbox_image", "unletterbox"]

Candidates = Tuple[np.ndarray, np.ndarray, np.ndarray]


def _tensor(x, name: str) -> np.ndarray:
    """A float32 array; other real dtypes are converted (a model's float16 output, say)."""
    a = array(x, name)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real-valued array, got dtype {a.dtype}")
    return np.asarray(a, dtype=np.float32)


def _pair(x, name: str, kind=number) -> list:
    values = list(x) if isinstance(x, (tuple, list, np.ndarray)) else None
    if values is None or len(values) != 2:
        raise ValueError(f"{name} = {x!r} is invalid: expected two values (width, height)")
    return [kind(v, name) for v in values]


def yolox(output, input_size=(416, 416), *, strides: Sequence[int] = (8, 16, 32), score_threshold: float = 0.001) -> Candidates:
    """YOLOX's dense head ``(1, anchors, 5 + classes)``: rows ``[dx, dy, log w, log h, objectness,
    class probabilities]`` over the stride grids of an input of ``input_size`` (width, height).
    Every (anchor, class) pair with ``objectness * probability > score_threshold``, anchor-major."""
    size = _pair(input_size, "input_size", lambda v, n: count(v, n, 1))
    steps = [count(s, "strides", 1) for s in strides]
    return _native.decode_yolox(_tensor(output, "output"), size, steps, number(score_threshold, "score_threshold"))


def yolov8(output, *, score_threshold: float = 0.001, multi_label: bool = True, obb: bool = False) -> Candidates:
    """The YOLOv8/YOLO11 one-to-many head ``(1, 4 + classes, anchors)`` (cx, cy, w, h in input
    pixels, then sigmoid class scores). ``multi_label`` keeps every class above the threshold
    (ultralytics' validation), else each anchor's best class. ``obb=True`` reads the oriented
    head, whose last row is the angle (radians), into ``[cx, cy, w, h, angle]``."""
    return _native.decode_yolov8(_tensor(output, "output"), number(score_threshold, "score_threshold"), bool(multi_label), bool(obb))


def end2end(output, *, score_threshold: float = 0.001, max_det: int = 300) -> Candidates:
    """The one-to-one head of YOLOv10/YOLO26: ``(1, rows, 6)`` = x1, y1, x2, y2, score, class, or
    the oriented ``(1, rows, 7)`` = cx, cy, w, h, score, class, angle. Rows above the threshold, in
    the graph's order, at most ``max_det``. No NMS follows."""
    return _native.decode_end2end(_tensor(output, "output"), number(score_threshold, "score_threshold"), count(max_det, "max_det"))


def detr(logits, boxes, *, size=(1.0, 1.0), activation: str = "sigmoid", top_k: int = 300, score_threshold: float = 0.0) -> Candidates:
    """A DETR-style set head: class ``logits`` ``(1, queries, classes)`` and normalised
    ``(cx, cy, w, h)`` ``boxes`` ``(1, queries, 4)``, scaled by ``size`` (width, height).
    ``activation``: ``"sigmoid"`` (RT-DETR, DINO, RF-DETR), ``"softmax"`` (DETR; its last column,
    no-object, is dropped) or ``"none"``. The ``top_k`` (query, class) pairs by score."""
    return _native.decode_detr(
        _tensor(logits, "logits"),
        _tensor(boxes, "boxes"),
        str(activation),
        count(top_k, "top_k"),
        number(score_threshold, "score_threshold"),
        _pair(size, "size"),
    )


def centernet(
    heatmap, offset, size, *, top_k: int = 100, score_threshold: float = 0.0, down_ratio: float = 4.0, heat_is_logits: bool = True
) -> Candidates:
    """CenterNet: the ``heatmap`` ``(1, classes, H, W)`` (logits unless ``heat_is_logits=False``),
    its 3 x 3 peaks (every cell equal to its window's maximum, borders clipped), the ``top_k`` by
    score, then ``offset`` and ``size`` ``(1, 2, H, W)`` (x first), times ``down_ratio``."""
    return _native.decode_centernet(
        _tensor(heatmap, "heatmap"),
        _tensor(offset, "offset"),
        _tensor(size, "size"),
        count(top_k, "top_k"),
        number(score_threshold, "score_threshold"),
        number(down_ratio, "down_ratio"),
        bool(heat_is_logits),
    )


def centernet_bev(
    heatmap,
    offset,
    height,
    dims,
    rotation,
    *,
    origin=(0.0, 0.0),
    voxel=(0.1, 0.1),
    stride: float = 8.0,
    log_dims: bool = True,
    top_k: int = 100,
    score_threshold: float = 0.0,
    heat_is_logits: bool = True,
) -> Candidates:
    """A bird's-eye (CenterNet3D / CenterPoint-style) head into 3-D boxes ``[x, y, z, dx, dy, dz,
    heading]``: the heatmap's peaks as in :func:`centernet`, the cell ``(x + ox) * stride *
    voxel[0] + origin[0]`` (and so for y), z from ``height`` ``(1, 1, H, W)``, sizes from ``dims``
    ``(1, 3, H, W)`` (logs when ``log_dims``), heading ``atan2(sin, cos)`` from ``rotation``."""
    maps = [_tensor(m, n) for m, n in ((offset, "offset"), (height, "height"), (dims, "dims"), (rotation, "rotation"))]
    return _native.decode_centernet_bev(
        _tensor(heatmap, "heatmap"),
        maps,
        count(top_k, "top_k"),
        number(score_threshold, "score_threshold"),
        bool(heat_is_logits),
        _pair(origin, "origin"),
        _pair(voxel, "voxel"),
        number(stride, "stride"),
        bool(log_dims),
    )


def letterbox(original_size, input_size, placement: str = "top-left") -> Tuple[float, Tuple[int, int], Tuple[int, int]]:
    """How an image of ``original_size`` (width, height) is fitted into ``input_size``:
    ``(scale, (pad_left, pad_top), (resized_width, resized_height))``. ``placement`` is
    ``"top-left"`` (YOLOX: sizes truncated) or ``"centre"`` (ultralytics: sizes rounded, pads
    ``round(pad / 2 - 0.1)``)."""
    original = _pair(original_size, "original_size", integer)
    size = _pair(input_size, "input_size", integer)
    scale, pad, resized = _native.decode_letterbox(original, size, str(placement))
    return scale, tuple(pad), tuple(resized)


_STYLES = {"yolox": ("top-left", "bgr", 1.0), "ultralytics": ("centre", "rgb", 255.0)}


def letterbox_image(image, input_size=(416, 416), style: str = "yolox", *, placement=None, channels=None,
                    pad_value: int = 114, pixel_divisor=None) -> np.ndarray:  # fmt: skip
    """An 8-bit RGB image ``(height, width, 3)`` as a model's ``(1, 3, H, W)`` float32 input:
    resized by ``r = min(W / width, H / height)`` with Pillow's ``Image.BILINEAR`` filter (the
    same bytes as Pillow), placed in an ``input_size`` (W, H) canvas of ``pad_value``, channels
    ordered, and divided by ``pixel_divisor``. ``style`` sets the defaults: ``"yolox"`` (top-left,
    BGR, 0..255) or ``"ultralytics"`` (centred, RGB, 0..1). :func:`letterbox` gives the record
    that :func:`unletterbox` undoes. The image is not changed.

    >>> import numpy as np
    >>> from softkit import decode
    >>> x = decode.letterbox_image(np.full((426, 640, 3), 200, np.uint8), (416, 416))
    >>> x.shape, x[0, 0, 0, 0], x[0, 0, 415, 0]  # the image fills the top 276 rows, then pad
    ((1, 3, 416, 416), np.float32(200.0), np.float32(114.0))
    """
    if style not in _STYLES:
        raise ValueError(f"style = {style!r} is invalid: expected one of {sorted(_STYLES)}")
    default_placement, default_channels, default_divisor = _STYLES[style]
    a = array(image, "image")
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"image must be an 8-bit RGB array of shape (height, width, 3), got {a.dtype} {a.shape}")
    size = _pair(input_size, "input_size", lambda v, n: count(v, n, 1))
    pad = count(pad_value, "pad_value", 0)
    if pad > 255:
        raise ValueError(f"pad_value = {pad_value!r} is invalid: expected 0..255")
    divisor = number(default_divisor if pixel_divisor is None else pixel_divisor, "pixel_divisor")
    if not (np.isfinite(divisor) and divisor > 0):
        raise ValueError(f"pixel_divisor = {pixel_divisor!r} is invalid: expected a finite number > 0")
    return _native.decode_letterbox_image(
        np.ascontiguousarray(a), size, str(placement or default_placement), str(channels or default_channels), pad, divisor
    )


def unletterbox(boxes, original_size, input_size, placement: str = "top-left", *, clip: bool = False) -> np.ndarray:
    """``[x1, y1, x2, y2]`` boxes in input pixels mapped back to the original image's pixels, as a
    new float64 array (clipped to the image with ``clip=True``, as ultralytics does)."""
    b = np.array(array(boxes, "boxes"), dtype=np.float64)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {b.shape}")
    scale, (px, py), _ = letterbox(original_size, input_size, placement)
    b -= np.array([px, py, px, py], dtype=np.float64)
    b /= scale
    if clip:
        w, h = _pair(original_size, "original_size", integer)
        np.clip(b, 0, [w, h, w, h], out=b)
    return b
