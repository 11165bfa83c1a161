"""torchvision's ``ops`` names and signatures on softkit: change the import, keep the calls.

>>> import numpy as np
>>> from softkit import ops                     # was: from torchvision import ops
>>> boxes = np.array([[0., 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=np.float32)
>>> scores = np.array([0.9, 0.8, 0.7], dtype=np.float32)
>>> ops.nms(boxes, scores, 0.5).tolist()
[0, 2]
>>> ops.remove_small_boxes(np.array([[0., 0, 10, 10], [0, 0, 0.5, 10]]), 1.0).tolist()
[0]
>>> ops.clip_boxes_to_image(np.array([[-5., 2, 30, 40]]), (20, 25)).tolist()
[[0.0, 2.0, 25.0, 20.0]]

Each takes numpy arrays, torch CPU tensors (returned as tensors: int64 indices, values in the
input's dtype; a tensor that requires grad is read through ``detach()``, a CUDA tensor is an
error that names ``.cpu()``) or any ``__dlpack__`` array on the host. ``soft_nms`` and the
``geometry`` keyword are softkit's own.
"""

from __future__ import annotations

import numpy as np

from . import batched_nms, box_convert, box_iou, generalized_box_iou, nms, soft_nms
from . import distance_box_iou as _distance_box_iou
from ._arrays import float_array, number
from ._tensors import is_torch, torch_io

__all__ = [
    "nms",
    "batched_nms",
    "soft_nms",
    "box_iou",
    "generalized_box_iou",
    "distance_box_iou",
    "box_convert",
    "remove_small_boxes",
    "clip_boxes_to_image",
]


@torch_io("boxes1")
def distance_box_iou(boxes1, boxes2, eps: float = 1e-7):
    """torchvision's ``distance_box_iou``. softkit's DIoU is exact: ``eps`` is accepted for the
    signature's sake, where torchvision adds it to the squared diagonal (a relative change of
    about ``eps / diagonal**2``)."""
    number(eps, "eps")
    return _distance_box_iou(boxes1, boxes2)


@torch_io("boxes")
def remove_small_boxes(boxes, min_size: float):
    """Indices (int64) of the ``[x1, y1, x2, y2]`` boxes whose width and height are both at
    least ``min_size``, as torchvision's ``remove_small_boxes``."""
    b = float_array(boxes, "boxes", 2)
    m = number(min_size, "min_size")
    return np.flatnonzero(((b[:, 2] - b[:, 0]) >= m) & ((b[:, 3] - b[:, 1]) >= m)).astype(np.int64)


def clip_boxes_to_image(boxes, size):
    """``[x1, y1, x2, y2]`` boxes clipped to an image of ``size = (height, width)``, as
    torchvision's ``clip_boxes_to_image``: x into ``[0, width]``, y into ``[0, height]``. The
    result has the input's type and dtype; the input is not changed."""
    height, width = (number(v, f"size[{k}]") for k, v in enumerate(size))
    if is_torch(boxes):
        # Tensor arithmetic, as torchvision: any device, and gradients flow.
        out = boxes.clone()
        out[..., 0::2] = out[..., 0::2].clamp(0, width)
        out[..., 1::2] = out[..., 1::2].clamp(0, height)
        return out
    b = float_array(boxes, "boxes", 2).copy()
    np.clip(b[:, 0::2], 0, width, out=b[:, 0::2])
    np.clip(b[:, 1::2], 0, height, out=b[:, 1::2])
    return b
