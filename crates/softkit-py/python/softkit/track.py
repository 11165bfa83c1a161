"""Multi-object tracking and its metrics.

``ByteTracker`` follows objects through a video one frame at a time (ByteTrack's two-stage
association on a constant-velocity Kalman filter, with an optional DeepSORT-style appearance
term). ``mot_metrics`` scores tracks against ground truth: CLEAR-MOT and the identity metrics as
py-motmetrics computes them, and HOTA as TrackEval computes it.

>>> import numpy as np
>>> from softkit import track
>>> tracker = track.ByteTracker()
>>> for step in range(3):
...     boxes = np.array([[10.0 + 2 * step, 10.0, 50.0 + 2 * step, 90.0]])
...     ids, kept, scores, det = tracker.update(boxes, np.array([0.9]))
>>> ids.tolist(), det.tolist()
([1], [0])
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from . import _native
from ._arrays import count, float_array, floats, integer, number

__all__ = ["ByteTracker", "mot_metrics", "read_mot"]

class ByteTracker:
    """ByteTrack, one frame at a time, on boxes ``[x1, y1, x2, y2]``.

    Detections scoring above ``high_threshold`` are matched first to every track (the cost is
    ``1 - IoU``, or GIoU/DIoU with ``measure``), then those between ``low_threshold`` and
    ``high_threshold`` to the tracks left over; an unmatched high detection scoring at least
    ``new_track_threshold`` starts a track, which is reported once matched ``min_hits`` frames in
    a row, and a track unmatched for ``max_age`` frames ends. With ``appearance_dim``, ``update``
    takes one embedding per box, and the first stage fuses ``appearance_weight`` times the motion
    cost with the rest times the cosine distance, DeepSORT-style, forbidding pairs further apart
    than ``appearance_max_distance``.
    """

    def __init__(
        self,
        *,
        high_threshold: float = 0.5,
        low_threshold: float = 0.1,
        new_track_threshold: float = 0.6,
        match_threshold: float = 0.8,
        low_match_threshold: float = 0.5,
        max_age: int = 30,
        min_hits: int = 2,
        measure: str = "iou",
        fuse_score: bool = False,
        appearance_dim: Optional[int] = None,
        appearance_weight: float = 0.5,
        appearance_max_distance: float = 0.5,
        appearance_momentum: float = 0.9,
    ):
        self._dim = None if appearance_dim is None else count(appearance_dim, "appearance_dim", minimum=1)
        self._native = _native.ByteTracker(
            {
                "high_threshold": number(high_threshold, "high_threshold"),
                "low_threshold": number(low_threshold, "low_threshold"),
                "new_track_threshold": number(new_track_threshold, "new_track_threshold"),
                "match_threshold": number(match_threshold, "match_threshold"),
                "low_match_threshold": number(low_match_threshold, "low_match_threshold"),
                "max_age": count(max_age, "max_age"),
                "min_hits": count(min_hits, "min_hits"),
                "measure": str(measure),
                "fuse_score": bool(fuse_score),
                "appearance_dim": self._dim,
                "appearance_weight": number(appearance_weight, "appearance_weight"),
                "appearance_max_distance": number(appearance_max_distance, "appearance_max_distance"),
                "appearance_momentum": number(appearance_momentum, "appearance_momentum"),
            }
        )

    def update(
        self, boxes, scores, embeddings=None, frame: Optional[int] = None
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Tracks one frame.

        ``boxes`` is ``(N, 4)`` ``[x1, y1, x2, y2]``, ``scores`` ``(N,)``, ``embeddings`` ``(N, D)``
        when the tracker has ``appearance_dim = D`` (a zero row means "no embedding"). ``frame``
        defaults to the previous frame plus one, and must increase.

        Returns ``(ids, boxes, scores, detections)`` of the confirmed tracks matched in this frame,
        by id: int64 ids from 1, the Kalman-filtered boxes ``(M, 4)``, the matched detections'
        scores and their indices into ``boxes``.
        """
        b = float_array(boxes, "boxes", 2)
        s = float_array(scores, "scores", 1)
        e = None
        if embeddings is not None:
            if self._dim is None:
                raise ValueError("embeddings were given, but the tracker has no appearance_dim")
            e = floats(embeddings, "embeddings").astype(np.float32)
            if e.ndim != 2 or e.shape != (b.shape[0], self._dim):
                raise ValueError(f"embeddings must have shape ({b.shape[0]}, {self._dim}), got {e.shape}")
            e = np.ascontiguousarray(e).reshape(-1)
        return self._native.update(b, s, e, None if frame is None else integer(frame, "frame"))

    @property
    def frame(self) -> int:
        """The last frame given to ``update`` (0 before the first)."""
        return self._native.frame


def read_mot(path) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reads a MOTChallenge file: ``(frames, ids, boxes [x, y, w, h], confidences)``."""
    return _native.track_read_mot(os.fspath(path))


def _rows(x, name: str, min_confidence: Optional[float]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(x, (str, os.PathLike)):
        frames, ids, boxes, conf = read_mot(x)
        if min_confidence is not None:
            keep = conf >= min_confidence
            frames, ids, boxes = frames[keep], ids[keep], boxes[keep]
        return frames, ids, boxes
    a = floats(x, name).astype(np.float64)
    if a.ndim != 2 or a.shape[1] < 6:
        raise ValueError(f"{name} must be a MOTChallenge file or an (N, >=6) array of frame, id, x, y, w, h, got shape {a.shape}")
    for col, field in ((0, "frame"), (1, "id")):
        bad = np.flatnonzero(a[:, col] != np.round(a[:, col]))
        if bad.size:
            raise ValueError(f"{name}[{bad[0]}].{field} = {float(a[bad[0], col])!r} is not an integer")
    if min_confidence is not None and a.shape[1] > 6:
        a = a[a[:, 6] >= min_confidence]
    return a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), np.ascontiguousarray(a[:, 2:6])


def mot_metrics(
    gt, tracks, *, max_distance: float = 0.5, min_confidence: Optional[float] = 1.0, hota: bool = True
) -> Dict[str, Any]:
    """CLEAR-MOT, identity and HOTA metrics of ``tracks`` against ``gt``.

    Each is a MOTChallenge file path or an ``(N, >=6)`` array of rows ``frame, id, x, y, w, h[,
    confidence, ...]``. Ground-truth rows with a confidence below ``min_confidence`` are dropped
    (MOTChallenge marks rows to ignore with 0; ``None`` keeps all). A track box matches an object
    when its IoU distance ``1 - IoU`` is at most ``max_distance``.

    Returns a dict: ``idf1, idp, idr, recall, precision, mota, motp`` and the counts
    (``num_switches``, ``num_fragmentations``, ``mostly_tracked``, ...) as py-motmetrics'
    ``motchallenge_metrics`` names them (MOTP is a distance, ``1 - IoU``), and ``hota, deta, assa,
    deta_re, deta_pr, assa_re, assa_pr, loca, owta`` averaged over TrackEval's 19 thresholds, with
    the per-threshold ``hota_alpha``, ``deta_alpha`` and ``assa_alpha`` (left out with ``hota=False``,
    which skips HOTA's 19 assignments per frame).

    >>> from softkit import track
    >>> gt = [[1, 1, 0, 0, 10, 10, 1], [2, 1, 1, 0, 10, 10, 1]]
    >>> result = track.mot_metrics(gt, [[1, 7, 0, 0, 10, 10], [2, 7, 1, 0, 10, 10]])
    >>> result["mota"], result["idf1"], round(result["hota"], 6)
    (1.0, 1.0, 1.0)
    """
    g = _rows(gt, "gt", min_confidence)
    t = _rows(tracks, "tracks", None)
    return _native.track_mot_metrics(g, t, number(max_distance, "max_distance"), bool(hota))
