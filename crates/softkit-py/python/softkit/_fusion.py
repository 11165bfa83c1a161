"""Box fusion over several models, with ensemble-boxes' signatures: swap the import."""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np

from . import _native
from ._arrays import array, number

_CONF_TYPES = ("avg", "max", "box_and_model_avg", "absent_model_aware_avg")


def weighted_boxes_fusion(
    boxes_list,
    scores_list,
    labels_list,
    weights: Optional[Sequence[float]] = None,
    iou_thr: float = 0.55,
    skip_box_thr: float = 0.0,
    conf_type: str = "avg",
    allows_overflow: bool = False,
    *,
    geometry: str = "box",
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted boxes fusion (Solovyev et al. 2021), as ``ensemble_boxes.weighted_boxes_fusion``.

    ``boxes_list`` holds one ``(N_i, 4)`` array (or list) of ``[x1, y1, x2, y2]`` boxes per
    model, in coordinates normalised to ``[0, 1]``; ``scores_list`` and ``labels_list`` hold
    the models' scores and labels. Per label, boxes are visited by non-increasing
    ``score * weight`` and join the cluster whose running fused box they overlap most (IoU
    above ``iou_thr``), or start one. A fused box is its members' score-weighted mean; its score
    follows ``conf_type``: ``"avg"`` (the mean score times ``min(models, members) /
    sum(weights)``, or ``members / sum(weights)`` with ``allows_overflow``), ``"max"``,
    ``"box_and_model_avg"`` or ``"absent_model_aware_avg"``, as in ensemble-boxes 1.0.9. Boxes
    scoring below ``skip_box_thr`` and boxes of area 0 are left out.

    Returns ``(boxes, scores, labels)`` by non-increasing score: float64 ``(M, 4)`` and
    ``(M,)`` arrays, the labels as floats, as ensemble-boxes returns them. softkit computes in
    float64 where ensemble-boxes sums coordinates in float32, so results agree to about 1e-7.

    ``geometry`` extends fusion beyond ensemble-boxes: ``"segment"`` fuses ``(N_i, 2)`` time
    segments ``[start, end]`` by temporal IoU, and ``"box3d"`` fuses ``(N_i, 7)`` 3-D boxes
    ``[x, y, z, dx, dy, dz, heading]`` (``z`` at the centre) by 3-D IoU, averaging position and
    sizes and taking the heading of each cluster's best box. Neither needs normalised
    coordinates. Every geometry scores clusters by the 2-D rule, including ``conf_type="max"``
    (the best score over the largest weight); ensemble-boxes' own ``weighted_boxes_fusion_3d``
    scales its "max" by ``min(models, members) / models`` instead.

    Bad input is an error where ensemble-boxes repairs it with a printed warning: coordinates
    outside ``[0, 1]`` (it clips), ``x2 < x1`` (it swaps), NaN, a negative score, lists of
    different lengths, a ``weights`` list of the wrong length (it resets the weights to 1) or an
    unknown ``conf_type`` (it exits the interpreter).

    >>> import softkit
    >>> boxes = [[[0.10, 0.10, 0.50, 0.50]], [[0.12, 0.10, 0.52, 0.50], [0.7, 0.7, 0.9, 0.9]]]
    >>> b, s, l = softkit.weighted_boxes_fusion(boxes, [[0.9], [0.6, 0.8]], [[0], [0, 0]])
    >>> b.round(3).tolist(), s.round(3).tolist(), l.tolist()
    ([[0.108, 0.1, 0.508, 0.5], [0.7, 0.7, 0.9, 0.9]], [0.75, 0.4], [0.0, 0.0])
    """
    if conf_type not in _CONF_TYPES:
        raise ValueError(
            f"conf_type = {conf_type!r} is invalid: expected \"avg\", \"max\", \"box_and_model_avg\" "
            f"or \"absent_model_aware_avg\""
        )
    options = _options("wbf", weights, iou_thr, skip_box_thr)
    options.update(conf_type=str(conf_type), allows_overflow=bool(allows_overflow))
    models = _models(boxes_list, scores_list, labels_list, _width(geometry))
    return _fused(_native.fuse_boxes(models, options, geometry))


def non_maximum_weighted(
    boxes_list,
    scores_list,
    labels_list,
    weights: Optional[Sequence[float]] = None,
    iou_thr: float = 0.55,
    skip_box_thr: float = 0.0,
    *,
    geometry: str = "box",
) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-maximum weighted fusion (Zhou et al. 2017), as ``ensemble_boxes.non_maximum_weighted``.

    Like :func:`weighted_boxes_fusion`, but a box is matched against each cluster's first (best)
    box, the fused box weighs each member by ``score * IoU`` with that best box, and the fused
    score is the best box's. The weights are divided by their maximum first. Same input, output,
    ``geometry`` and errors as :func:`weighted_boxes_fusion`.

    >>> import softkit
    >>> boxes = [[[0.10, 0.10, 0.50, 0.50]], [[0.12, 0.10, 0.52, 0.50]]]
    >>> b, s, l = softkit.non_maximum_weighted(boxes, [[0.9], [0.6]], [[1], [1]])
    >>> s.tolist(), l.tolist()
    ([0.9], [1.0])
    """
    options = _options("nmw", weights, iou_thr, skip_box_thr)
    options.update(conf_type="avg", allows_overflow=False)
    models = _models(boxes_list, scores_list, labels_list, _width(geometry))
    return _fused(_native.fuse_boxes(models, options, geometry))


def box_voting(boxes, scores, keep, *, iou_threshold: float = 0.8, labels=None, voting: str = "score", geometry: str = "box") -> np.ndarray:
    """Refines kept boxes by voting: each kept box becomes a weighted mean of the boxes around it.

    ``keep`` holds the kept indices into ``boxes`` (from :func:`nms`, :func:`soft_nms`, ...);
    returns their voted coordinates, ``(len(keep), W)`` float64, in the order of ``keep``. With
    ``labels``, only boxes of the kept box's label vote. ``voting``:

    - ``"score"``: soft voting as Detectron's ``box_voting`` (``scoring_method='ID'``): every
      box with IoU ``>= iou_threshold`` with the kept one (itself included), weighted by score;
    - ``"cluster"``: Weighted Cluster-NMS (Zheng et al. 2021): the kept box weighted by its
      score, and each lower-scored box with IoU ``> iou_threshold`` weighted by IoU times score.
      ``box_voting(b, s, nms(b, s, 0.5), iou_threshold=0.8, voting="cluster")`` is their
      weighted Cluster-NMS.

    ``geometry`` is ``"box"`` (``[x1, y1, x2, y2]``), ``"segment"`` or ``"box3d"`` (the heading
    stays the kept box's). Scores must be finite and ``>= 0``; where every voter scores 0, the
    voted box is their plain mean (Detectron's ``np.average`` raises there).

    >>> import numpy as np, softkit
    >>> b = np.array([[0., 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]])
    >>> s = np.array([0.9, 0.3, 0.8])
    >>> softkit.box_voting(b, s, softkit.nms(b, s, 0.5), iou_threshold=0.5).round(3).tolist()
    [[0.25, 0.0, 10.25, 10.0], [50.0, 50.0, 60.0, 60.0]]
    """
    width = _width(geometry)
    rows = _floats(boxes, "boxes")
    if rows.size == 0:
        rows = rows.reshape(0, width)
    if rows.ndim != 2 or rows.shape[1] != width:
        raise ValueError(f"boxes must have shape (N, {width}) for geometry={geometry!r}, got {rows.shape}")
    s = _floats(scores, "scores").reshape(-1)
    k = array(keep, "keep").reshape(-1)
    if k.dtype.kind not in "iu":
        raise TypeError(f"keep must hold integer indices, got dtype {k.dtype}")
    l = None if labels is None else _integers(labels, "labels")
    return _native.vote_boxes(
        np.ascontiguousarray(rows), s, l, k.astype(np.int64), number(iou_threshold, "iou_threshold"), str(voting), geometry
    )


_WIDTHS = {"box": 4, "segment": 2, "box3d": 7}


def _width(geometry) -> int:
    if geometry not in _WIDTHS:
        raise ValueError(f"geometry = {geometry!r} is invalid: expected \"box\", \"segment\" or \"box3d\"")
    return _WIDTHS[geometry]


def _options(method: str, weights, iou_thr, skip_box_thr) -> dict:
    if weights is not None:
        weights = [number(w, f"weights[{k}]") for k, w in enumerate(array(weights, "weights").reshape(-1))]
    return {
        "method": method,
        "weights": weights,
        "iou_thr": number(iou_thr, "iou_thr"),
        "skip_box_thr": number(skip_box_thr, "skip_box_thr"),
    }


def _models(boxes_list, scores_list, labels_list, width: int) -> dict:
    """The models' arrays concatenated, with each model's row counts; the engine checks them."""
    lists = {"boxes_list": boxes_list, "scores_list": scores_list, "labels_list": labels_list}
    for name, value in lists.items():
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
            raise TypeError(f"{name} must be a list with one entry per model, got {type(value).__name__}")
    models = len(boxes_list)
    for name in ("scores_list", "labels_list"):
        if len(lists[name]) != models:
            raise ValueError(f"{name} has {len(lists[name])} models but boxes_list has {models}")
    boxes, scores, labels, counts = [], [], [], []
    for m in range(models):
        b = _floats(boxes_list[m], f"boxes_list[{m}]")
        if b.size == 0:
            b = b.reshape(0, width)
        if b.ndim != 2 or b.shape[1] != width:
            raise ValueError(f"boxes_list[{m}] must have shape (N, {width}), got {b.shape}")
        s = _floats(scores_list[m], f"scores_list[{m}]").reshape(-1)
        l = _integers(labels_list[m], f"labels_list[{m}]")
        boxes.append(b)
        scores.append(s)
        labels.append(l)
        counts.append([len(b), len(s), len(l)])
    return {
        "boxes": np.ascontiguousarray(np.concatenate(boxes) if boxes else np.zeros((0, width))),
        "scores": np.concatenate(scores) if scores else np.zeros(0),
        "labels": np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64),
        "counts": counts,
    }


def _floats(x, name: str) -> np.ndarray:
    a = array(x, name)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    return a.astype(np.float64)


def _integers(x, name: str) -> np.ndarray:
    """Labels as int64: integers, or floats that are whole numbers (ensemble-boxes truncates)."""
    a = array(x, name).reshape(-1)
    if a.dtype.kind in "iub":
        return a.astype(np.int64)
    if a.dtype.kind != "f":
        raise TypeError(f"{name} must hold integer labels, got dtype {a.dtype}")
    bad = ~(np.isfinite(a) & (np.floor(a) == a) & (np.abs(a) < 2.0**63))
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"{name}[{k}] = {float(a[k])!r} is invalid: expected an integer label")
    return a.astype(np.int64)


def _fused(result) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    boxes, scores, labels = result
    return boxes, scores, labels.astype(np.float64)
