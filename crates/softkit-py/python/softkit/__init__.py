"""softkit: exact, fast non-maximum suppression for detector outputs, and COCO evaluation.

Numpy arrays in (float32 or float64, any memory order; C-contiguous arrays are read without a
copy), numpy arrays out. The names follow torchvision (``nms``, ``batched_nms``, ``box_iou``),
plus ``soft_nms`` with the exact semantics of Bodla et al. 2017, and ensemble-boxes' ``weighted_boxes_fusion``
and ``non_maximum_weighted`` with their signatures. The GIL is released while the
engine runs. ``coco_eval`` scores detections (boxes, masks, keypoints) with pycocotools'
``COCOeval`` protocol, and ``nms_ap`` with OVDEval's NMS-AP. The submodule ``softkit.ghost``
measures the ghost radius of cross-entropy and scales optimiser steps to stay inside it, and
``softkit.track`` tracks objects through video (ByteTrack) and scores tracks (CLEAR-MOT, IDF1, HOTA).

>>> import numpy as np, softkit
>>> boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=np.float32)
>>> scores = np.array([0.9, 0.8, 0.7], dtype=np.float32)
>>> softkit.nms(boxes, scores, 0.5).tolist()
[0, 2]
>>> keep, decayed = softkit.soft_nms(boxes, scores)
>>> keep.tolist()
[0, 2, 1]
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from . import _native, _shapes, ghost, track
from ._fusion import box_voting, non_maximum_weighted, weighted_boxes_fusion
from ._arrays import array as _array
from ._tensors import torch_io as _torch_io
from ._arrays import count as _count
from ._arrays import float_array as _float_array
from ._arrays import labels as _labels
from ._arrays import number as _number

__all__ = [
    "nms",
    "batched_nms",
    "soft_nms",
    "diou_nms",
    "matrix_nms",
    "fast_nms",
    "cluster_nms",
    "box_voting",
    "weighted_boxes_fusion",
    "non_maximum_weighted",
    "box_iou",
    "generalized_box_iou",
    "distance_box_iou",
    "box_iomin",
    "rbox_convert",
    "box_convert",
    "coco_eval",
    "voc_eval",
    "activitynet_eval",
    "r40_eval",
    "nms_ap",
    "ghost",
    "ops",
    "track",
]
__version__ = _native.__version__

_GEOMETRY_DOC = """
    ``geometry`` says what each row of ``boxes`` is:

    - ``"box"`` (default): ``[x1, y1, x2, y2]``, an ``(N, 4)`` array;
    - ``"rotated"``: ``[cx, cy, w, h, angle]``, an ``(N, 5)`` array. The angle is in radians and
      turns the width axis from +x towards +y (mmrotate, ultralytics OBB, OpenCV ``boxPoints``):
      clockwise as seen on an image whose y axis points down. ``rbox_format`` reads it as
      ``"radians"`` (default), ``"degrees"`` (or ``"opencv"``), or mmrotate's ``"le90"``,
      ``"le135"`` and ``"oc"`` (radians, checked against their ranges);
    - ``"polygon"``: simple polygons, convex or not, in either orientation: an ``(N, K, 2)``
      array, an ``(N, 2K)`` array of ``x, y`` pairs (DOTA's 8 numbers), a ``(vertices,
      offsets)`` pair (Arrow's list layout), or a list of ``(K_i, 2)`` arrays;
    - ``"segment"``: time segments ``[start, end]``, an ``(N, 2)`` array (temporal IoU);
    - ``"box3d"``: 3-D boxes ``[x, y, z, dx, dy, dz, heading]`` (OpenPCDet: the centre, the sizes,
      the yaw about z), an ``(N, 7)`` array, by 3-D IoU; ``box_origin="bottom"`` reads mmdet3d's
      LiDAR boxes, whose z is the bottom face's centre;
    - ``"bev"``: the same ``(N, 7)`` 3-D boxes by their bird's-eye-view IoU;
    - ``"keypoints"``: poses, an ``(N, K, 3)`` array of ``x, y, visibility``, with ``areas`` (one
      per pose), measured by mmpose's OKS (``oks_nms``): the scale is the mean of the two areas,
      ``sigmas`` default to COCO's 17, and with ``visibility_threshold`` only keypoints visible
      above it in both poses count. The threshold is then an OKS threshold;
    - ``"mask"``: masks, an ``(N, H, W)`` array (nonzero is foreground) or a list of COCO
      run-length dicts (``{"size": [h, w], "counts": ...}``), all of one size, by mask IoU.
"""


def _kept(geometry, boxes, scores, rbox_format, box_origin, options, poses=None) -> Tuple[np.ndarray, np.ndarray]:
    """Runs the suppression ``options`` describe on any geometry; ``poses`` holds the keypoint
    keywords (areas, sigmas, visibility_threshold)."""
    poses = poses or {}
    if _shapes.check_geometry(geometry) == "box":
        b = _float_array(boxes, "boxes", 2)
        n = b.shape[0]
    elif geometry == "keypoints":
        b, areas, sigmas = _shapes.poses(boxes, poses)
        n = b.shape[0]
    elif geometry == "mask":
        b = _shapes.masks(boxes, "masks")
        n = len(b)
    else:
        b = _shapes.shape_args(boxes, geometry, "boxes", rbox_format, box_origin)
        n = _shapes.count(b)
    if geometry != "box" and options["pixel_offset"] != 0.0:
        raise ValueError(f"pixel_offset = {options['pixel_offset']} is only defined for geometry='box'")
    if geometry != "box" and options["beta"] != 1.0:
        raise ValueError(f"beta = {options['beta']} is only defined for measure='diou' on geometry='box'")
    if options["measure"] is None:
        options["measure"] = "oks" if geometry == "keypoints" else "iou"
    s = _float_array(scores, "scores", 1)
    for key in ("labels", "image_ids"):
        if options[key] is not None:
            options[key] = _labels(options[key], n, key)
    if geometry == "box":
        return _native.soft_nms(b, s, options)
    if geometry == "mask":
        return _native.mask_soft_nms(b, s, options)
    if geometry == "keypoints":
        threshold = poses.get("visibility_threshold")
        threshold = None if threshold is None else _number(threshold, "visibility_threshold")
        return _native.keypoint_soft_nms(b, areas, s, sigmas, threshold, options)
    return _native.shape_soft_nms(b, s, options)


def _options(
    method: str,
    *,
    sigma: float = 0.5,
    iou_threshold: float = 0.5,
    score_threshold: float = float("-inf"),
    labels=None,
    image_ids=None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    measure: Optional[str] = None,
    eta: float = 1.0,
    beta: float = 1.0,
) -> dict:
    """The engine's keyword options, each checked and named as the caller spelled it."""
    return {
        "method": str(method),
        "sigma": _number(sigma, "sigma"),
        "iou_threshold": _number(iou_threshold, "iou_threshold"),
        "score_threshold": _number(score_threshold, "score_threshold"),
        "labels": labels,
        "image_ids": image_ids,
        "max_output": None if max_output is None else _count(max_output, "max_output"),
        "pixel_offset": _number(pixel_offset, "pixel_offset"),
        "measure": None if measure is None else str(measure),
        "eta": _number(eta, "eta"),
        "beta": _number(beta, "beta"),
    }


def nms(
    boxes,
    scores,
    iou_threshold: float,
    *,
    eta: float = 1.0,
    geometry: str = "box",
    rbox_format: str = "radians",
    box_origin: str = "centre",
    areas=None,
    sigmas=None,
    visibility_threshold: Optional[float] = None,
) -> np.ndarray:
    """Hard NMS with torchvision's semantics, on any geometry.

    Visits boxes by non-increasing score (ties to the lower index) and keeps one unless a kept box
    overlaps it with IoU > ``iou_threshold``. With ``eta < 1`` the threshold adapts as OpenCV's
    ``cv2.dnn.NMSBoxes`` does: after each kept box it is multiplied by ``eta`` while it is above
    0.5, and each box is checked against every kept box at the threshold of its turn.
    {geometry}
    Returns the kept indices (int64) by non-increasing score.

    >>> import numpy as np, softkit
    >>> softkit.nms(np.array([[0., 0, 2, 2], [0, 0, 2, 2.1]]), np.array([0.5, 0.6]), 0.5).tolist()
    [1]
    >>> rboxes = np.array([[5., 5, 10, 2, 0.0], [5, 5, 10, 2, np.pi / 2]])  # a cross
    >>> softkit.nms(rboxes, np.array([0.9, 0.8]), 0.5, geometry="rotated").tolist()
    [0, 1]
    """
    if geometry == "box" and eta == 1.0:
        return _native.nms(_float_array(boxes, "boxes", 2), _float_array(scores, "scores", 1), _number(iou_threshold, "iou_threshold"))
    poses = {"areas": areas, "sigmas": sigmas, "visibility_threshold": visibility_threshold}
    options = _options("hard", iou_threshold=iou_threshold, eta=eta)
    return _kept(geometry, boxes, scores, rbox_format, box_origin, options, poses)[0]


def batched_nms(
    boxes,
    scores,
    labels,
    iou_threshold: float,
    *,
    geometry: str = "box",
    rbox_format: str = "radians",
    box_origin: str = "centre",
    areas=None,
    sigmas=None,
    visibility_threshold: Optional[float] = None,
) -> np.ndarray:
    """Class-aware hard NMS (torchvision's ``batched_nms``): boxes never suppress across labels.
    ``geometry`` and ``rbox_format`` are as in :func:`nms`.

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 2, 2], [0, 0, 2, 2]])
    >>> softkit.batched_nms(b, np.array([0.9, 0.8]), np.array([3, 7]), 0.5).tolist()
    [0, 1]
    """
    if geometry == "box":
        b = _float_array(boxes, "boxes", 2)
        s = _float_array(scores, "scores", 1)
        return _native.batched_nms(b, s, _labels(labels, b.shape[0]), _number(iou_threshold, "iou_threshold"))
    poses = {"areas": areas, "sigmas": sigmas, "visibility_threshold": visibility_threshold}
    options = _options("hard", iou_threshold=iou_threshold, labels=labels)
    return _kept(geometry, boxes, scores, rbox_format, box_origin, options, poses)[0]


def soft_nms(
    boxes,
    scores,
    *,
    method: str = "gaussian",
    sigma: float = 0.5,
    iou_threshold: float = 0.3,
    score_threshold: float = 0.001,
    labels=None,
    image_ids=None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    geometry: str = "box",
    rbox_format: str = "radians",
    box_origin: str = "centre",
    measure: Optional[str] = None,
    beta: float = 1.0,
    areas=None,
    sigmas=None,
    visibility_threshold: Optional[float] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Soft-NMS (Bodla et al. 2017) with the paper's exact semantics, on any geometry.

    At each step the box with the highest *current* score is selected (ties to the lower index),
    and every remaining box's score is multiplied by ``w``:

    - ``"gaussian"``: ``w = exp(-iou**2 / sigma)``;
    - ``"linear"``: ``w = 1 - iou`` if ``iou > iou_threshold`` else 1;
    - ``"hard"``: the box is removed if ``iou > iou_threshold``.

    A box whose score falls below ``score_threshold`` is dropped. With ``labels``, boxes of
    different labels never interact and the result is merged by score. With ``image_ids`` (one
    per box), boxes of different images never interact either: the result lists the images in
    ascending id, each image's boxes by score, and ``max_output`` applies to each image (COCO's
    ``maxDets``), as a detector's batched output or a detection table needs. ``pixel_offset=1.0`` gives
    the legacy "+1" area convention of the paper's code (boxes only). TensorFlow's
    ``exp(-iou**2 / (2 sigma))`` is ``sigma=2 * s`` here. ``measure`` replaces IoU: ``"giou"``,
    ``"diou"`` (boxes), or ``"iomin"`` (intersection over the smaller shape, StarDist's overlap);
    the default is ``"iou"``, and ``"oks"`` for keypoints. ``beta`` raises DIoU's distance term
    to a power (``iou - (d**2 / c**2) ** beta``, Zheng et al.; 1 is the paper's DIoU).
    ``method`` also names the rest of the family, with the same scopes and geometries:
    ``"matrix"``, ``"matrix-linear"``, ``"fast"``, ``"cluster"`` and ``"cluster-spm"`` (see
    :func:`matrix_nms`, :func:`fast_nms` and :func:`cluster_nms`, whose defaults are their papers').
    {geometry}
    Returns ``(indices, scores)``: kept indices (int64) in selection order and their **decayed**
    scores (float64); ensemble-boxes returns the original scores instead.

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 10, 10], [0, 5, 10, 15]])
    >>> keep, s = softkit.soft_nms(b, np.array([0.9, 0.8]), method="linear")
    >>> keep.tolist(), round(float(s[1]), 6)
    ([0, 1], 0.533333)
    >>> keep, s = softkit.soft_nms(b, np.array([0.9, 0.8]), method="hard", iou_threshold=0.5,
    ...                            image_ids=np.array([7, 3]))
    >>> keep.tolist()  # different images: nothing is suppressed, image 3 comes first
    [1, 0]
    >>> squares = np.array([[[0., 0], [10, 0], [10, 10], [0, 10]], [[0, 5], [10, 5], [10, 15], [0, 15]]])
    >>> keep, s = softkit.soft_nms(squares, np.array([0.9, 0.8]), method="linear", geometry="polygon")
    >>> keep.tolist(), round(float(s[1]), 6)
    ([0, 1], 0.533333)
    """
    options = _options(
        method,
        sigma=sigma,
        iou_threshold=iou_threshold,
        score_threshold=score_threshold,
        labels=labels,
        image_ids=image_ids,
        max_output=max_output,
        pixel_offset=pixel_offset,
        measure=measure,
        beta=beta,
    )
    poses = {"areas": areas, "sigmas": sigmas, "visibility_threshold": visibility_threshold}
    return _kept(geometry, boxes, scores, rbox_format, box_origin, options, poses)


def diou_nms(
    boxes,
    scores,
    iou_threshold: float = 0.5,
    *,
    beta: float = 1.0,
    labels=None,
    image_ids=None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
) -> np.ndarray:
    """DIoU-NMS (Zheng et al. 2020): hard NMS on ``DIoU = IoU - (d**2 / c**2) ** beta``, where ``d``
    is the distance between the boxes' centres and ``c`` the diagonal of the box enclosing both.
    Two overlapping boxes whose centres lie apart survive where plain NMS would drop one (heavy
    occlusion). ``beta = 1`` is the paper's; YOLOv4's ``beta_nms`` is 0.6. ``labels`` and
    ``image_ids`` scope it as in :func:`soft_nms`. Returns the kept indices (int64) by score.

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 10, 10], [4, 0, 14, 10]])  # IoU 0.43, centres 4 apart
    >>> softkit.nms(b, np.array([0.9, 0.8]), 0.4).tolist(), softkit.diou_nms(b, np.array([0.9, 0.8]), 0.4).tolist()
    ([0], [0, 1])
    """
    options = _options(
        "hard",
        iou_threshold=iou_threshold,
        labels=labels,
        image_ids=image_ids,
        max_output=max_output,
        pixel_offset=pixel_offset,
        measure="diou",
        beta=beta,
    )
    return _kept("box", boxes, scores, "radians", "centre", options)[0]


def matrix_nms(
    boxes,
    scores,
    *,
    kernel: str = "gaussian",
    sigma: float = 2.0,
    score_threshold: float = 0.05,
    labels=None,
    image_ids=None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    geometry: str = "box",
    rbox_format: str = "radians",
    box_origin: str = "centre",
    measure: Optional[str] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Matrix NMS (SOLOv2, Wang et al. 2020): every score decays at once, in parallel, from the
    overlaps with the higher-scored boxes.

    With boxes ranked by score (ties to the lower index), box ``j``'s score is multiplied by
    ``min_i f(iou_ij) / f(c_i)`` over the boxes ``i`` above it, where ``c_i`` is box ``i``'s
    largest IoU with a box above ``i`` (how much ``i`` is itself suppressed), and
    ``f(x) = exp(-sigma * x**2)`` (``kernel="gaussian"``; sigma *multiplies*, as in SOLOv2) or
    ``1 - x`` (``"linear"``). Boxes whose new score is below ``score_threshold`` (SOLOv2's
    ``update_thr``) are dropped. ``labels`` keeps classes apart (SOLOv2's label matrix). Masks
    (``geometry="mask"``) are the paper's case; every geometry of :func:`nms` works.

    Returns ``(indices, scores)`` by non-increasing new score.

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 10, 10], [0, 5, 10, 15], [0, 10, 10, 20]])
    >>> keep, s = softkit.matrix_nms(b, np.array([0.9, 0.8, 0.7]), kernel="linear")
    >>> keep.tolist(), s.round(4).tolist()  # box 1 is itself suppressed, so box 2 keeps its score
    ([0, 2, 1], [0.9, 0.7, 0.5333])
    """
    if kernel not in ("gaussian", "linear"):
        raise ValueError(f"kernel = {kernel!r} is invalid: expected \"gaussian\" or \"linear\"")
    options = _options(
        "matrix" if kernel == "gaussian" else "matrix-linear",
        sigma=sigma,
        score_threshold=score_threshold,
        labels=labels,
        image_ids=image_ids,
        max_output=max_output,
        pixel_offset=pixel_offset,
        measure=measure,
    )
    return _kept(geometry, boxes, scores, rbox_format, box_origin, options)


def fast_nms(
    boxes,
    scores,
    iou_threshold: float = 0.5,
    *,
    labels=None,
    image_ids=None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    geometry: str = "box",
    rbox_format: str = "radians",
    box_origin: str = "centre",
    measure: Optional[str] = None,
) -> np.ndarray:
    """Fast NMS (YOLACT, Bolya et al. 2019): a box goes if any higher-scored box overlaps it by
    more than ``iou_threshold``, whether or not that box was kept itself. It removes at least
    what :func:`nms` removes, in one parallel step. Returns the kept indices (int64) by score.

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 10, 10], [0, 5, 10, 15], [0, 10, 10, 20]])  # a chain
    >>> softkit.nms(b, np.array([0.9, 0.8, 0.7]), 0.3).tolist(), softkit.fast_nms(b, np.array([0.9, 0.8, 0.7]), 0.3).tolist()
    ([0, 2], [0])
    """
    options = _options(
        "fast",
        iou_threshold=iou_threshold,
        labels=labels,
        image_ids=image_ids,
        max_output=max_output,
        pixel_offset=pixel_offset,
        measure=measure,
    )
    return _kept(geometry, boxes, scores, rbox_format, box_origin, options)[0]


def cluster_nms(
    boxes,
    scores,
    iou_threshold: float = 0.5,
    *,
    variant: str = "plain",
    sigma: float = 0.2,
    beta: float = 1.0,
    score_threshold: Optional[float] = None,
    labels=None,
    image_ids=None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    geometry: str = "box",
    rbox_format: str = "radians",
    box_origin: str = "centre",
    measure: Optional[str] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Cluster-NMS (Zheng et al. 2021), on any geometry.

    ``variant="plain"`` iterates Fast NMS on the boxes that survive until nothing changes; the
    paper proves that this ends exactly at :func:`nms`'s result, which softkit computes directly.
    ``variant="spm"`` adds the score penalty: every box's score is multiplied by
    ``exp(-iou**2 / sigma)`` for each box above it that hard NMS keeps, and boxes below
    ``score_threshold`` (default 0.01, the paper's code) are dropped. With ``measure="diou"`` it is
    Cluster-DIoU-NMS, whose distance term ``beta`` raises to a power as in :func:`diou_nms`. Weighted Cluster-NMS refines the kept boxes' coordinates:
    ``box_voting(boxes, scores, keep, iou_threshold=0.8, voting="cluster")``.

    Returns ``(indices, scores)`` by non-increasing score (the penalised scores for ``"spm"``).

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 10, 10], [0, 5, 10, 15], [50, 50, 60, 60]])
    >>> keep, s = softkit.cluster_nms(b, np.array([0.9, 0.8, 0.7]), 0.5, variant="spm")
    >>> keep.tolist(), s.round(4).tolist()
    ([0, 2, 1], [0.9, 0.7, 0.459])
    """
    methods = {"plain": "cluster", "spm": "cluster-spm"}
    if variant not in methods:
        raise ValueError(f"variant = {variant!r} is invalid: expected \"plain\" or \"spm\"")
    if score_threshold is None:
        score_threshold = 0.01 if variant == "spm" else float("-inf")
    options = _options(
        methods[variant],
        sigma=sigma,
        iou_threshold=iou_threshold,
        score_threshold=score_threshold,
        labels=labels,
        image_ids=image_ids,
        max_output=max_output,
        pixel_offset=pixel_offset,
        measure=measure,
        beta=beta,
    )
    return _kept(geometry, boxes, scores, rbox_format, box_origin, options)


for _f in (nms, soft_nms):
    if _f.__doc__:  # None under python -OO
        _f.__doc__ = _f.__doc__.replace("    {geometry}", _GEOMETRY_DOC.rstrip())


def _overlap(a, b, measure: str, pixel_offset: float, geometry: str, rbox_format: str, box_origin: str) -> np.ndarray:
    if _shapes.check_geometry(geometry) == "box":
        return _native.box_overlap(
            _float_array(a, "boxes1", 2), _float_array(b, "boxes2", 2), measure, _number(pixel_offset, "pixel_offset")
        )
    if pixel_offset != 0.0:
        raise ValueError(f"pixel_offset = {pixel_offset} is only defined for geometry='box'")
    if geometry == "mask":
        return _native.mask_overlap(_shapes.masks(a, "masks1"), _shapes.masks(b, "masks2"), measure)
    if geometry == "keypoints":
        raise ValueError("geometry = 'keypoints' has no IoU matrix: poses are measured by OKS in nms and soft_nms")
    first = _shapes.shape_args(a, geometry, "boxes1", rbox_format, box_origin)
    second = _shapes.shape_args(b, geometry, "boxes2", rbox_format, box_origin)
    return _native.shape_overlap(first, second, measure)


def box_iou(
    boxes1, boxes2, *, pixel_offset: float = 0.0, geometry: str = "box", rbox_format: str = "radians", box_origin: str = "centre"
) -> np.ndarray:
    """The ``(N, M)`` IoU matrix between two lists of boxes, rotated boxes or polygons (float64).
    ``geometry`` and ``rbox_format`` are as in :func:`nms`.

    >>> import numpy as np, softkit
    >>> softkit.box_iou(np.array([[0., 0, 2, 2]]), np.array([[1., 0, 3, 2]])).round(4).tolist()
    [[0.3333]]
    >>> square = np.array([[0., 0, 2, 2, 0]])
    >>> softkit.box_iou(square, square + [0, 0, 0, 0, np.pi / 4], geometry="rotated").round(4).tolist()
    [[0.7071]]
    """
    return _overlap(boxes1, boxes2, "iou", pixel_offset, geometry, rbox_format, box_origin)


def generalized_box_iou(
    boxes1, boxes2, *, pixel_offset: float = 0.0, geometry: str = "box", rbox_format: str = "radians", box_origin: str = "centre"
) -> np.ndarray:
    """The ``(N, M)`` generalised IoU matrix (Rezatofighi et al. 2019), in [-1, 1]. For rotated
    boxes and polygons the enclosing shape is the convex hull of the pair."""
    return _overlap(boxes1, boxes2, "giou", pixel_offset, geometry, rbox_format, box_origin)


def distance_box_iou(boxes1, boxes2, *, pixel_offset: float = 0.0) -> np.ndarray:
    """The ``(N, M)`` distance IoU matrix (Zheng et al. 2020), in [-1, 1]."""
    return _overlap(boxes1, boxes2, "diou", pixel_offset, "box", "radians", "centre")


def box_iomin(
    boxes1, boxes2, *, pixel_offset: float = 0.0, geometry: str = "box", rbox_format: str = "radians", box_origin: str = "centre"
) -> np.ndarray:
    """The ``(N, M)`` matrix of intersection over the smaller shape (StarDist's overlap): 1 when
    one shape lies inside the other.

    >>> import numpy as np, softkit
    >>> softkit.box_iomin(np.array([[0., 0, 4, 4]]), np.array([[1., 1, 2, 2]])).tolist()
    [[1.0]]
    """
    return _overlap(boxes1, boxes2, "iomin", pixel_offset, geometry, rbox_format, box_origin)


def rbox_convert(rboxes, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Converts ``(N, 5)`` rotated boxes between ``"radians"``, ``"degrees"`` (``"opencv"``) and
    mmrotate's ``"le90"``, ``"le135"`` and ``"oc"``. The boxes stay the same boxes; the mmrotate
    formats come out canonical (le90 and le135 put the long edge first). float64 out.

    >>> import numpy as np, softkit
    >>> softkit.rbox_convert(np.array([[10., 20, 2, 6, 30]]), "degrees", "le90").round(4).tolist()
    [[10.0, 20.0, 6.0, 2.0, -1.0472]]
    """
    return _native.rbox_convert(_shapes.rows(rboxes, "rboxes"), str(in_fmt), str(out_fmt))


def box_convert(boxes, in_fmt: str, out_fmt: str) -> np.ndarray:
    """Converts boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"`` (float64 out).

    >>> import numpy as np, softkit
    >>> softkit.box_convert(np.array([[10., 20, 4, 6]]), "cxcywh", "xyxy").tolist()
    [[8.0, 17.0, 12.0, 23.0]]
    """
    return _native.box_convert(_float_array(boxes, "boxes", 2), str(in_fmt), str(out_fmt))


# Torch tensors in, torch tensors out (int64 indices, floats in the input's dtype), as torchvision.
nms = _torch_io("scores")(nms)
batched_nms = _torch_io("scores")(batched_nms)
soft_nms = _torch_io("scores")(soft_nms)
diou_nms = _torch_io("scores")(diou_nms)
matrix_nms = _torch_io("scores")(matrix_nms)
fast_nms = _torch_io("scores")(fast_nms)
cluster_nms = _torch_io("scores")(cluster_nms)
box_voting = _torch_io("boxes")(box_voting)
box_iou = _torch_io("boxes1")(box_iou)
generalized_box_iou = _torch_io("boxes1")(generalized_box_iou)
distance_box_iou = _torch_io("boxes1")(distance_box_iou)
box_iomin = _torch_io("boxes1")(box_iomin)
box_convert = _torch_io("boxes")(box_convert)


def _json_default(obj):
    """Lets ``json.dumps`` write numpy scalars and arrays, as loaded COCO data often holds them."""
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _json_source(x, name: str, kind: type) -> Tuple[str, bool]:
    """``(text, is_path)``: a path as is, or an already-loaded object serialised to JSON text."""
    if isinstance(x, (str, os.PathLike)):
        return os.fspath(x), True
    if isinstance(x, kind):
        try:
            # NaN and infinity are written as JSON cannot hold them, so that the reader names
            # their place in `x` (`dt: [3].score: NaN is not a JSON number`).
            return json.dumps(x, default=_json_default), False
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} cannot be written as JSON: {err}") from None
    raise TypeError(f"{name} must be a file path or a {kind.__name__}, got {type(x).__name__}")


def _rows(x, name: str, width: int) -> np.ndarray:
    """A table of numbers as a C-contiguous float64 array of shape (N, width)."""
    a = _array(x, name)
    if a.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a table of numbers, got dtype {a.dtype}")
    a = a.astype(np.float64)
    if a.size == 0:
        a = a.reshape(0, width)
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"{name} must have shape (N, {width}), got {a.shape}")
    return np.ascontiguousarray(a)


def _floats(x, name: str) -> Optional[list]:
    if x is None:
        return None
    values = _array(x, name)
    if values.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a sequence of numbers, got {x!r}")
    values = values.astype(np.float64)
    if values.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {values.shape}")
    return values.tolist()


def _ints(x, name: str, minimum: Optional[int] = None) -> Optional[list]:
    if x is None:
        return None
    values = _array(x, name)
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
        raise ValueError(f"{name} must be a 1-D sequence of integers, got {x!r}")
    out = [int(v) for v in values]
    if minimum is not None and any(v < minimum for v in out):
        raise ValueError(f"{name} = {out} is invalid: every value must be at least {minimum}")
    return out


def coco_eval(
    gt,
    dt,
    iou_type: str = "bbox",
    *,
    iou_thrs: Optional[Sequence[float]] = None,
    rec_thrs: Optional[Sequence[float]] = None,
    max_dets: Optional[Sequence[int]] = None,
    area_rng: Optional[Sequence[Sequence[float]]] = None,
    area_rng_lbl: Optional[Sequence[str]] = None,
    use_cats: bool = True,
    img_ids: Optional[Sequence[int]] = None,
    cat_ids: Optional[Sequence[int]] = None,
) -> Dict[str, Any]:
    """COCO evaluation with pycocotools' ``COCOeval`` protocol, quirks included.

    ``gt`` is a COCO ground truth (``instances_*.json``) and ``dt`` a COCO results list
    (``[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}, ...]``), each given as a file
    path or as the already-loaded dict / list. Loaded objects are serialised with ``json.dumps``
    (numpy scalars and arrays are accepted) and parsed in Rust, so the numbers are exactly those
    a file would hold. ``iou_type`` is ``"bbox"``, ``"segm"`` (RLE or polygon masks, rasterised
    exactly as pycocotools does), ``"keypoints"`` (OKS with the 17 COCO sigmas; ground truth
    needs ``keypoints``, ``num_keypoints`` and ``bbox``, results ``keypoints``, and a result
    without a ``bbox`` gets the box around all its keypoints, as ``loadRes`` does), ``"rotated"``
    (each object's ``rbox`` ``[cx, cy, w, h, angle]``, angle in radians, exact polygon IoU) or
    ``"polygon"`` (each object's one-polygon ``segmentation``, exact polygon IoU, not rasterised).
    ``"box3d"`` and ``"bev"`` read each object's ``"box3d"`` ``[x, y, z, dx, dy, dz, heading]``
    (z at the centre) by 3-D or bird's-eye IoU, and ``"segment"`` each object's ``"segment"``
    ``[start, end]`` by temporal IoU. For these and ``"polygon"`` a detection's area (for area
    ranges) is its shape's own: area, volume or length; pass ``area_rng`` to suit.

    The keyword parameters mirror pycocotools' ``Params``: ``iou_thrs`` (``iouThrs``, default
    0.50:0.05:0.95), ``rec_thrs`` (``recThrs``, 101 points), ``max_dets`` (``maxDets``, default
    ``[1, 10, 100]``, for keypoints ``[20]``; the box and mask summary needs three), ``area_rng`` and
    ``area_rng_lbl`` (``areaRng`` as ``[min, max]`` pairs and their labels; the default four ranges
    are all, small < 32², medium, large > 96², and for keypoints all, medium, large),
    ``use_cats`` (``useCats``; keypoints need it on), ``img_ids`` and ``cat_ids`` (``imgIds``,
    ``catIds``).

    Unlike pycocotools, a result on an image or category that the ground truth lacks, a bbox that
    is not four numbers, or malformed JSON raises ``ValueError`` naming the item, field and value
    (with line and column for JSON). The GIL is released while files are read and evaluated.

    Returns a dict:

    - ``"stats"``: the 12 summary numbers in pycocotools' order (AP, AP50, AP75, APs, APm, APl,
      AR1, AR10, AR100, ARs, ARm, ARl), or for keypoints the 10 of ``summarizeKps`` (AP, AP50,
      AP75, APm, APl, AR, AR50, AR75, ARm, ARl, all at maxDets 20); ``-1`` where nothing could be
      measured. ``"stat_names"`` names them.
    - ``"per_class_ap"``: ``{category_id: AP}``, the mean of ``precision[:, :, k, 0, -1]`` over its
      cells that are not ``-1`` (``-1`` for a category with no ground truth); empty with
      ``use_cats=False``.
    - ``"precision"`` and ``"scores"``: float64 arrays ``[T, R, K, A, M]``, and ``"recall"``:
      ``[T, K, A, M]``, as in ``COCOeval.eval`` (K is 1 with ``use_cats=False``).
    - ``"img_ids"``, ``"cat_ids"``, ``"iou_thrs"``, ``"rec_thrs"``, ``"max_dets"``: the axes.

    >>> import softkit
    >>> gt = {"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1, "name": "cat"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20],
    ...                        "area": 400, "iscrowd": 0},
    ...                       {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0, 0, 20, 20],
    ...                        "area": 400, "iscrowd": 0}]}
    >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
    ...       {"image_id": 2, "category_id": 1, "bbox": [60, 60, 20, 20], "score": 0.8}]
    >>> result = softkit.coco_eval(gt, dt)
    >>> round(result["stats"][0], 4), result["stats"][8]  # AP, AR100: one of two objects found
    (0.505, 0.5)
    >>> result["precision"].shape, result["recall"].shape
    ((10, 101, 1, 4, 3), (10, 1, 4, 3))
    >>> round(result["per_class_ap"][1], 4)
    0.505
    """
    iou_types = ("bbox", "segm", "keypoints", "rotated", "polygon", "box3d", "bev", "segment")
    if iou_type not in iou_types:
        expected = ", ".join(f'"{t}"' for t in iou_types)
        raise ValueError(f"iou_type = {json.dumps(str(iou_type))} is invalid: expected one of {expected}")
    return _native.coco_eval(
        *_eval_args(gt, dt),
        iou_type,
        _param_args(iou_thrs, rec_thrs, max_dets, area_rng, area_rng_lbl, use_cats, img_ids, cat_ids),
    )


def voc_eval(gt, dt, iou_type: str = "rotated", *, iou_threshold: float = 0.5, metric: str = "07") -> Dict[str, Any]:
    """The VOC protocol as the DOTA devkit (``voc_eval``) and mmrotate (``eval_rbbox_map``) report
    rotated detection: per class, detections by score each take the ground truth of their image
    with the largest IoU; above ``iou_threshold`` (strictly) a difficult object (``"difficult": 1``
    or a crowd) is neither a hit nor a miss, a free one a hit, a taken one a false positive.

    ``iou_type`` is ``"rotated"`` (``rbox``), ``"polygon"`` (one-polygon ``segmentation``, DOTA's
    8-number quadrilaterals included) or ``"bbox"``. ``metric`` is ``"07"`` (11-point, what the
    devkit's ``main`` reports) or ``"area"`` (area under the precision envelope). ``gt`` and ``dt``
    are as in :func:`coco_eval`.

    Returns ``{"map", "per_class": {category_id: {"ap", "ground_truth", "detections", "recall",
    "precision"}}}``; the mean skips classes without ground truth (their AP is NaN).

    >>> import softkit
    >>> gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 8, "iscrowd": 0,
    ...                        "segmentation": [[0, 0, 4, 0, 4, 2, 0, 2]]}]}
    >>> dt = [{"image_id": 1, "category_id": 1, "segmentation": [[0, 0, 4, 0, 4, 2, 0, 2]], "score": 0.9},
    ...       {"image_id": 1, "category_id": 1, "segmentation": [[9, 9, 12, 9, 12, 12]], "score": 0.5}]
    >>> out = softkit.voc_eval(gt, dt, "polygon", metric="area")
    >>> out["map"], out["per_class"][1]["precision"].tolist()
    (1.0, [1.0, 0.5])
    """
    mean, rows = _native.voc_eval(*_eval_args(gt, dt), str(iou_type), _number(iou_threshold, "iou_threshold"), str(metric))
    per_class = {
        c: {"ap": ap, "ground_truth": n_gt, "detections": n_dt, "recall": rec, "precision": prec}
        for c, n_gt, n_dt, ap, rec, prec in rows
    }
    return {"map": mean, "per_class": per_class}


def activitynet_eval(ground_truth, predictions, *, thresholds: Optional[Sequence[float]] = None) -> Dict[str, Any]:
    """The ActivityNet challenge's temporal detection mAP (``ANETdetection``) on time segments.

    ``ground_truth`` has rows ``[video, label, start, end]`` and ``predictions`` rows ``[video,
    label, start, end, score]`` (integer ids given as numbers). Per class of the ground truth,
    predictions go by score (ties to the lower index); each takes, at every tIoU threshold
    (default ``linspace(0.5, 0.95, 10)``), the free ground truth of its video with the highest
    tIoU at or above it. AP comes from the interpolated precision/recall curve, as the challenge
    computes it; a class with no prediction has AP 0.

    Returns ``{"thresholds", "labels", "ap" (T, C), "map" (T,), "average_map"}``.

    >>> import numpy as np, softkit
    >>> gt = np.array([[1, 0, 0.0, 10.0]])
    >>> preds = np.array([[1, 0, 2.0, 12.0, 0.9]])   # tIoU 8 / 12
    >>> out = softkit.activitynet_eval(gt, preds)
    >>> out["map"].round(2).tolist()[:5], round(out["average_map"], 2)
    ([1.0, 1.0, 1.0, 1.0, 0.0], 0.4)
    """
    gt, preds = _rows(ground_truth, "ground_truth", 4), _rows(predictions, "predictions", 5)
    thresholds = _floats(thresholds, "thresholds")
    used, labels, ap = _native.activitynet_eval(gt, preds, thresholds)
    ap = np.array(ap, dtype=np.float64).reshape(len(used), len(labels))
    per_threshold = ap.mean(axis=1) if labels else np.zeros(len(used))
    return {
        "thresholds": np.array(used),
        "labels": labels,
        "ap": ap,
        "map": per_threshold,
        "average_map": float(per_threshold.mean()) if len(used) else 0.0,
    }


def r40_eval(
    ground_truth, detections, *, iou_threshold: float = 0.7, iou: str = "3d", box_origin: str = "centre"
) -> Dict[str, Any]:
    """AP over 40 recall positions (KITTI's "R40") of 3-D boxes, per class, at one threshold
    (0.7 for cars, 0.5 for pedestrians and cyclists, by KITTI's custom), on 3-D or bird's-eye IoU.

    ``ground_truth`` rows are ``[frame, label, x, y, z, dx, dy, dz, heading]``, ``detections`` the
    same plus ``score``. Per class, detections by score (ties to the lower index) each take the free
    ground truth of their frame with the highest IoU, a hit at ``iou_threshold`` or above; the
    precision at recall ``r`` is the best one reached at ``r`` or more, averaged over ``r = 1/40,
    ..., 1``. KITTI's difficulty levels, DontCare regions and score sweep are not applied, and the
    match test is ``>=`` where the devkit's is ``>``: this is the R40 interpolation, documented as such.

    Returns ``{"ap": {label: AP}, "map": mean over labels}`` for the labels with ground truth.

    >>> import numpy as np, softkit
    >>> car = [10.0, 0, 0, 4, 2, 1.5, 0]
    >>> out = softkit.r40_eval(np.array([[0, 1] + car]), np.array([[0, 1] + car + [0.9]]))
    >>> out["ap"], out["map"]
    ({1: 1.0}, 1.0)
    """
    gt, dt = _rows(ground_truth, "ground_truth", 9), _rows(detections, "detections", 10)
    aps = _native.r40_eval(gt, dt, _number(iou_threshold, "iou_threshold"), str(iou), str(box_origin))
    ap = dict(aps)
    return {"ap": ap, "map": float(np.mean(list(ap.values()))) if ap else 0.0}


def nms_ap(
    gt,
    dt,
    *,
    iou_thrs: Optional[Sequence[float]] = None,
    rec_thrs: Optional[Sequence[float]] = None,
    max_dets: Optional[Sequence[int]] = None,
    area_rng: Optional[Sequence[Sequence[float]]] = None,
    area_rng_lbl: Optional[Sequence[str]] = None,
    use_cats: bool = True,
    img_ids: Optional[Sequence[int]] = None,
    cat_ids: Optional[Sequence[int]] = None,
) -> Dict[str, Any]:
    """NMS-AP, the metric of OVDEval (Yao et al. 2023): COCO bbox AP after suppressing hedged labels.

    Per image and class-agnostic: for each ground-truth box (of any category, crowds included),
    the predictions with IoU strictly above 0.5 are sorted by score (ties: earlier result first);
    the first is kept and the rest are removed, unless they are the first for another ground
    truth. Predictions that cover no ground truth stay. The remaining boxes are then evaluated as
    ``coco_eval(gt, kept, "bbox", ...)`` would. A model that names one object with several labels
    scores lower here than in plain AP; one that commits to a label does not.

    ``gt``, ``dt`` and the keyword parameters are those of ``coco_eval`` (bbox only). Returns the
    dict of ``coco_eval`` plus ``"kept"``: the int64 indices into ``dt`` of the detections that
    were evaluated, ascending.

    >>> import softkit
    >>> gt = {"images": [{"id": 1}], "categories": [{"id": 1}, {"id": 2}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 2, "bbox": [0, 0, 20, 20],
    ...                        "area": 400, "iscrowd": 0}]}
    >>> dt = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.6},
    ...       {"image_id": 1, "category_id": 2, "bbox": [0, 0, 20, 20], "score": 0.5}]
    >>> round(softkit.coco_eval(gt, dt)["stats"][0], 4)  # the second guess is right
    1.0
    >>> result = softkit.nms_ap(gt, dt)
    >>> result["kept"].tolist(), result["stats"][0]  # NMS-AP keeps only the first guess
    ([0], 0.0)
    """
    return _native.coco_eval(
        *_eval_args(gt, dt),
        "nms_ap",
        _param_args(iou_thrs, rec_thrs, max_dets, area_rng, area_rng_lbl, use_cats, img_ids, cat_ids),
    )


def _eval_args(gt, dt) -> tuple:
    gt_text, gt_is_path = _json_source(gt, "gt", dict)
    dt_text, dt_is_path = _json_source(dt, "dt", list)
    return gt_text, gt_is_path, dt_text, dt_is_path


def _param_args(iou_thrs, rec_thrs, max_dets, area_rng, area_rng_lbl, use_cats, img_ids, cat_ids) -> dict:
    areas = None
    if area_rng is not None:
        areas = []
        for i, pair in enumerate(area_rng):
            values = _floats(pair, f"area_rng[{i}]")
            if len(values) != 2:
                raise ValueError(f"area_rng[{i}] = {list(pair)!r} is invalid: expected [min, max]")
            areas.append((values[0], values[1]))
    labels = None if area_rng_lbl is None else [str(label) for label in area_rng_lbl]
    return {
        "iou_thrs": _floats(iou_thrs, "iou_thrs"),
        "rec_thrs": _floats(rec_thrs, "rec_thrs"),
        "max_dets": _ints(max_dets, "max_dets", minimum=0),
        "area_rng": areas,
        "area_rng_lbl": labels,
        "use_cats": bool(use_cats),
        "img_ids": _ints(img_ids, "img_ids"),
        "cat_ids": _ints(cat_ids, "cat_ids"),
        "kpt_oks_sigmas": None,
    }


def _sort_floor(scores) -> int:
    """Sorts a copy of ``scores`` in Rust: the floor of any exact greedy NMS, for benchmarks."""
    return _native.sort_floor(_float_array(scores, "scores", 1))


# Last: softkit.ops re-exports the functions above under torchvision's signatures.
from . import ops  # noqa: E402
