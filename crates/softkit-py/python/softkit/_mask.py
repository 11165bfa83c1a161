"""pycocotools' ``mask`` module on softkit's run-length masks: ``softkit.coco.mask``.

Change one import (``from pycocotools import mask`` becomes ``from softkit.coco import mask``) and
``encode``, ``decode``, ``area``, ``toBbox``, ``iou``, ``merge`` and ``frPyObjects`` return what
pycocotools returns: the same compressed ``counts`` bytes, dtypes, shapes and memory order, a dict
for a single object and a list for a list.

>>> import numpy as np
>>> from softkit.coco import mask
>>> m = np.zeros((4, 5), dtype=np.uint8, order="F")   # COCO masks are column-major
>>> m[1:3, 1:4] = 1
>>> rle = mask.encode(m)
>>> rle
{'size': [4, 5], 'counts': b'5220003'}
>>> int(mask.area(rle)), mask.toBbox(rle).tolist()
(6, [1.0, 1.0, 3.0, 2.0])
>>> bool((mask.decode(rle) == m).all())
True
>>> square = mask.frPyObjects([[1, 1, 4, 1, 4, 3, 1, 3]], 4, 5)   # a list of polygons: a list
>>> mask.iou(square, [rle], [0]).tolist()
[[1.0]]
>>> mask.iou(np.array([[0, 0, 2, 2]]), np.array([[1, 1, 2, 2]]), [1]).tolist()   # crowd: over dt's area
[[0.25]]
>>> mask.merge([rle, mask.encode(np.asfortranarray(np.ones((4, 5), np.uint8)))], intersect=True) == rle
True

Differences from pycocotools 2.0.11, all on purpose (pycocotools crashes, raises an unrelated
error or returns garbage in each of these cases):

- Bad input raises ``ValueError`` or ``TypeError`` naming the argument and item: a malformed
  ``counts`` string, uncompressed counts that do not sum to ``h * w``, masks of different sizes in
  ``decode``, ``merge`` or ``iou`` (pycocotools' ``iou`` gives ``-1`` there, or ``0`` when the
  boxes miss), an empty list to ``decode`` or ``merge``, an array that is not 2-D or 3-D (``encode``
  returns ``None`` there), a dtype other than uint8 or bool, negative or fractional ``h``/``w``,
  NaN, infinite or absurdly large (beyond 1e8) coordinates, an ``iscrowd`` of the wrong length
  (pycocotools: ``AssertionError``), a box array that is not ``(N, 4)``.
- Counts with empty runs inside (``[2, 0, 0, 3, ...]``, which no encoder writes but a file may
  hold) are walked to the end: pycocotools' ``iou`` and ``merge`` stop early on them.
- ``encode`` accepts C-ordered (and strided) arrays, reading them as the masks they hold.
- ``area`` takes lists of 256 RLEs or more (pycocotools 2.0.11 raises ``OverflowError`` with
  numpy 2).
- ``frPyObjects`` accepts boxes as a list or an array of any real dtype, a single flat polygon or
  box (returning one dict, as pycocotools' code intends but fails to), tuples as lists, and an
  empty list (returning ``[]``).
- ``iou`` accepts boxes given as tuples, and treats any nonzero ``iscrowd`` flag as crowd.
"""

from __future__ import annotations

import numbers
import operator
from typing import Any, Dict, List, Sequence, Union

import numpy as np

from . import _native

__all__ = ["encode", "decode", "merge", "iou", "area", "toBbox", "frPyObjects"]

RLE = Dict[str, Any]

_U32_MAX = 2**32 - 1


def _is_list(obj: Any) -> bool:
    return isinstance(obj, (list, tuple))


def _rles(obj: Any, fn: str) -> Any:
    """``obj`` as a list of RLE dicts, and whether it was a single dict."""
    if isinstance(obj, dict):
        return [obj], True
    if _is_list(obj):
        return obj, False
    raise TypeError(f"{fn}: expected an RLE dict or a list of them, got {type(obj).__name__}")


def encode(bimask: np.ndarray) -> Union[RLE, List[RLE]]:
    """Run-length encodes a binary mask ``(H, W)`` into an RLE dict, or masks ``(H, W, N)`` into a
    list of them. Nonzero pixels are foreground; ``counts`` is COCO's compressed string as bytes.

    >>> encode(np.asfortranarray(np.eye(3, dtype=np.uint8)))
    {'size': [3, 3], 'counts': b'013000'}
    """
    if not isinstance(bimask, np.ndarray):
        raise TypeError(f"encode: expected a numpy array of uint8, got {type(bimask).__name__}")
    if bimask.dtype == np.bool_:
        bimask = bimask.view(np.uint8)
    elif bimask.dtype != np.uint8:
        raise ValueError(f"encode: the mask must be uint8 (or bool), got {bimask.dtype}; use mask.astype(np.uint8)")
    if bimask.ndim == 2:
        return _native.mask_encode(bimask[:, :, None])[0]
    if bimask.ndim == 3:
        return _native.mask_encode(bimask)
    raise ValueError(f"encode: the mask must be (H, W) or (H, W, N), got shape {bimask.shape}")


def decode(rleObjs: Union[RLE, Sequence[RLE]]) -> np.ndarray:
    """Decodes an RLE dict into an ``(H, W)`` uint8 mask, or a list of them (all of one size) into
    ``(H, W, N)``; Fortran-ordered, as pycocotools returns them."""
    rles, single = _rles(rleObjs, "decode")
    masks = _native.mask_decode(rles)
    return masks[:, :, 0] if single else masks


def area(rleObjs: Union[RLE, Sequence[RLE]]) -> Union[np.uint32, np.ndarray]:
    """The foreground pixel count: a ``np.uint32`` for a dict, a uint32 array for a list."""
    rles, single = _rles(rleObjs, "area")
    areas = _native.mask_area(rles)
    return areas[0] if single else areas


def toBbox(rleObjs: Union[RLE, Sequence[RLE]]) -> np.ndarray:
    """The tight box ``[x, y, w, h]`` (float64): ``(4,)`` for a dict, ``(N, 4)`` for a list."""
    rles, single = _rles(rleObjs, "toBbox")
    boxes = _native.mask_to_bbox(rles)
    return boxes[0] if single else boxes


def merge(rleObjs: Sequence[RLE], intersect: Any = 0) -> RLE:
    """The union of a list of RLE dicts of one size, or with ``intersect`` their intersection."""
    if not _is_list(rleObjs):
        raise TypeError(f"merge: expected a list of RLE dicts, got {type(rleObjs).__name__}")
    return _native.mask_merge(rleObjs, bool(intersect))


def _iou_input(objs: Any, name: str):
    """``(kind, objects, count)``: ``"box"`` with an ``(N, 4)`` float64 array or ``"rle"`` with a
    list of dicts, following pycocotools' rules."""
    if isinstance(objs, np.ndarray):
        if len(objs) == 0:
            return None, objs, 0
        if objs.ndim != 2 or objs.shape[1] != 4:
            raise ValueError(f"iou: a numpy {name} holds boxes and must be (N, 4), got shape {objs.shape}")
        if objs.dtype.kind not in "biuf":
            raise TypeError(f"iou: {name} boxes must be real numbers, got dtype {objs.dtype}")
        return "box", np.ascontiguousarray(objs, dtype=np.float64), len(objs)
    if _is_list(objs):
        if len(objs) == 0:
            return None, objs, 0
        if all(isinstance(o, (list, tuple, np.ndarray)) and len(o) == 4 for o in objs):
            boxes = np.array(objs, dtype=np.float64)
            if boxes.ndim != 2:
                raise ValueError(f"iou: {name} boxes must be (N, 4), got shape {boxes.shape}")
            return "box", boxes, len(boxes)
        if all(isinstance(o, dict) for o in objs):
            return "rle", objs, len(objs)
        raise TypeError(f"iou: a list {name} must hold boxes [x, y, w, h] or RLE dicts, not a mix or other objects")
    raise TypeError(
        f"iou: {name} must be a list of RLE dicts, an (N, 4) array of boxes or a list of boxes, "
        f"got {type(objs).__name__}"
    )


def iou(dt: Any, gt: Any, pyiscrowd: Any) -> Union[np.ndarray, list]:
    """IoU between detections and ground truths, ``(len(dt), len(gt))`` float64 (Fortran order).

    ``dt`` and ``gt`` are both lists of RLE dicts or both boxes ``[x, y, w, h]`` (an ``(N, 4)``
    array or a list of boxes). For a gt with ``pyiscrowd`` set, the union is the detection's own
    area. An empty ``dt`` or ``gt`` gives ``[]``, as in pycocotools.
    """
    dt_kind, dt, m = _iou_input(dt, "dt")
    gt_kind, gt, n = _iou_input(gt, "gt")
    crowd = np.asarray(pyiscrowd)
    if crowd.dtype.kind not in "biuf":
        raise TypeError(f"iou: iscrowd must be a list of 0/1 flags, got {pyiscrowd!r}")
    if crowd.ndim != 1:
        raise ValueError(f"iou: iscrowd must be a 1-D list of flags, got shape {crowd.shape}")
    if len(crowd) != n:
        raise ValueError(f"iou: iscrowd has {len(crowd)} entries, but gt has {n} (one flag per gt)")
    if m == 0 or n == 0:
        return []
    if dt_kind != gt_kind:
        kinds = {"box": "boxes", "rle": "RLEs"}
        raise TypeError(
            f"iou: dt holds {kinds[dt_kind]} and gt holds {kinds[gt_kind]}; both must be RLEs or both boxes"
        )
    flags = (crowd != 0).astype(np.uint8)
    if dt_kind == "box":
        return _native.mask_box_iou(dt, gt, flags)
    return _native.mask_rle_iou(dt, gt, flags)


def _dimension(value: Any, name: str) -> int:
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        if not float(value).is_integer():
            raise ValueError(f"frPyObjects: {name} = {value} must be a whole number of pixels")
        value = int(value)
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"frPyObjects: {name} must be an integer, got {type(value).__name__}") from None
    if not 0 <= value <= _U32_MAX:
        raise ValueError(f"frPyObjects: {name} = {value} must lie in 0..=4294967295")
    return value


def _uncompressed(obj: Any, what: str):
    """``(h, w, counts)`` of an uncompressed RLE dict ``{'size': [h, w], 'counts': [...]}``."""
    if not isinstance(obj, dict) or "size" not in obj or "counts" not in obj:
        raise TypeError(f"frPyObjects: {what} must be an RLE dict with 'size' and 'counts'")
    counts = obj["counts"]
    if isinstance(counts, (bytes, str)):
        raise ValueError(f"frPyObjects: {what}['counts'] is already compressed; pass the dict to decode/area/iou as is")
    size = np.asarray(obj["size"])
    if size.shape != (2,) or size.dtype.kind not in "iu":
        raise ValueError(f"frPyObjects: {what}['size'] must be [height, width] as two integers, got {obj['size']!r}")
    if size.min() < 0 or size.max() > _U32_MAX:
        raise ValueError(f"frPyObjects: {what}['size'] = {size.tolist()} must lie in 0..=4294967295")
    runs = np.asarray(counts)
    if runs.size == 0:
        runs = runs.astype(np.int64)
    if runs.ndim != 1:
        raise ValueError(f"frPyObjects: {what}['counts'] must be a flat list of run lengths")
    if runs.dtype.kind == "f" and np.all(np.isfinite(runs)) and np.all(runs == np.floor(runs)):
        runs = runs.astype(np.int64)
    if runs.dtype.kind not in "iu":
        raise ValueError(f"frPyObjects: {what}['counts'] must hold whole numbers, got dtype {runs.dtype}")
    if len(runs) and (runs.min() < 0 or runs.max() > _U32_MAX):
        raise ValueError(f"frPyObjects: {what}['counts'] must lie in 0..=4294967295")
    return int(size[0]), int(size[1]), runs.astype(np.uint32)


def _polygons(polygons: Sequence[Any], h: int, w: int) -> List[RLE]:
    flat = []
    for i, p in enumerate(polygons):
        try:
            a = np.asarray(p, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"frPyObjects: pyobj[{i}] must be a polygon [x0, y0, x1, y1, ...]: {err}") from None
        if a.ndim != 1:
            raise ValueError(
                f"frPyObjects: pyobj[{i}] must be a flat polygon [x0, y0, x1, y1, ...], got shape {a.shape}"
            )
        flat.append(a)
    return _native.mask_from_polygons(flat, h, w)


def _boxes(boxes: Any, h: int, w: int) -> List[RLE]:
    try:
        a = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"frPyObjects: boxes must be (N, 4) numbers [x, y, w, h]: {err}") from None
    if a.ndim != 2 or a.shape[1] != 4:
        raise ValueError(f"frPyObjects: boxes must be (N, 4) [x, y, w, h], got shape {a.shape}")
    return _native.mask_from_bboxes(np.ascontiguousarray(a), h, w)


def _is_number(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.number)) and not isinstance(x, (bool, np.bool_))


def frPyObjects(pyobj: Any, h: Any, w: Any) -> Union[RLE, List[RLE]]:
    """Converts polygons, boxes or uncompressed RLEs of an ``h x w`` image into compressed RLEs.

    A list of polygons (flat ``[x0, y0, x1, y1, ...]``) gives a list with one RLE per polygon (not
    merged); an ``(N, 4)`` array or a list of boxes ``[x, y, w, h]`` a list; a list of uncompressed
    RLE dicts (``counts`` a list of run lengths) a list; a single uncompressed RLE dict, polygon or
    box a single dict. Uncompressed RLEs keep their own ``size``. Degenerate polygons after the first
    (fewer than 3 points, an odd number of coordinates) rasterise as in pycocotools.

    >>> frPyObjects({"size": [2, 2], "counts": [1, 2, 1]}, 2, 2)
    {'size': [2, 2], 'counts': b'121'}
    >>> frPyObjects([[0, 0, 2, 0, 2, 2]], 3, 3)
    [{'size': [3, 3], 'counts': b'315'}]
    """
    h, w = _dimension(h, "h"), _dimension(w, "w")
    if isinstance(pyobj, np.ndarray):
        return _boxes(pyobj, h, w)
    if isinstance(pyobj, dict):
        try:
            return _native.mask_from_uncompressed([_uncompressed(pyobj, "pyobj")])[0]
        except ValueError as err:
            raise ValueError(str(err).replace("pyobj[0]", "pyobj", 1)) from None
    if not _is_list(pyobj):
        raise TypeError(
            "frPyObjects: pyobj must be a list of polygons, boxes or uncompressed RLE dicts, an (N, 4) array "
            f"of boxes, or one polygon, box or uncompressed RLE dict; got {type(pyobj).__name__}"
        )
    if len(pyobj) == 0:
        return []
    first = pyobj[0]
    if isinstance(first, dict):
        return _native.mask_from_uncompressed([_uncompressed(o, f"pyobj[{i}]") for i, o in enumerate(pyobj)])
    if _is_number(first):
        # One object: a flat box or polygon.
        if len(pyobj) == 4:
            return _boxes([pyobj], h, w)[0]
        if len(pyobj) > 4:
            return _polygons([pyobj], h, w)[0]
        raise ValueError(f"frPyObjects: a flat list of {len(pyobj)} numbers is neither a box (4) nor a polygon (> 4)")
    try:
        k = len(first)
    except TypeError:
        raise TypeError(f"frPyObjects: pyobj[0] is a {type(first).__name__}, not a polygon, box or RLE dict") from None
    if k == 4:
        return _boxes(pyobj, h, w)
    if k > 4:
        return _polygons(pyobj, h, w)
    raise ValueError(f"frPyObjects: pyobj[0] has {k} items; a box has 4 numbers and a polygon more than 4 "
        "(flat: [x0, y0, x1, y1, ...])")
