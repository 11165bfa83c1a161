"""Plain numpy decoders, written from each head's definition (FIELD-NOTES, the papers' code), as
the independent reference for ``softkit.decode`` and ``softkit detect``.

Each returns ``(boxes, scores, labels)`` like softkit. Rankings use a stable sort on the negated
score, so ties go to the lower flat index, the rule softkit documents."""

from __future__ import annotations

import numpy as np


def grids(input_size=(416, 416), strides=(8, 16, 32)):
    """YOLOX's grid cells ``(anchors, 2)`` and strides ``(anchors, 1)``, as its ``decode_outputs``."""
    w, h = input_size
    cells, steps = [], []
    for s in strides:
        ys, xs = np.meshgrid(np.arange(h // s), np.arange(w // s), indexing="ij")
        cells.append(np.stack([xs, ys], axis=-1).reshape(-1, 2))
        steps.append(np.full((cells[-1].shape[0], 1), s))
    return np.concatenate(cells).astype(np.float32), np.concatenate(steps).astype(np.float32)


def yolox_boxes(output, input_size=(416, 416)):
    """Decoded ``(anchors, 4)`` corners and ``(anchors, classes)`` scores of a YOLOX output."""
    out = np.asarray(output, dtype=np.float32).reshape(-1, output.shape[-1])
    cell, stride = grids(input_size)
    xy = (out[:, :2] + cell) * stride
    wh = np.exp(out[:, 2:4]) * stride
    corners = np.concatenate([xy - wh / 2, xy + wh / 2], axis=1)
    return corners, out[:, 4:5] * out[:, 5:]


def yolox(output, input_size=(416, 416), score_threshold=0.001):
    corners, scores = yolox_boxes(output, input_size)
    anchor, label = np.nonzero(scores > np.float32(score_threshold))
    return corners[anchor], scores[anchor, label], label


def top_k(scores, k):
    """Flat indices of the ``k`` best scores, ties to the lower index."""
    order = np.argsort(-scores.ravel(), kind="stable")
    return order[:k]


def yolox_top_k(output, k=300, input_size=(416, 416)):
    """The end-to-end head's rows, from the YOLOX head: top-k over anchors x classes."""
    corners, scores = yolox_boxes(output, input_size)
    flat = top_k(scores, k)
    anchor, label = np.divmod(flat, scores.shape[1])
    return corners[anchor], scores.ravel()[flat], label


def yolov8(output, score_threshold=0.001):
    """``(1, 4 + classes, anchors)``: every (anchor, class) pair above the threshold."""
    out = np.asarray(output, dtype=np.float32).reshape(output.shape[-2], output.shape[-1]).T
    xy, wh = out[:, :2], out[:, 2:4]
    corners = np.concatenate([xy - wh / 2, xy + wh / 2], axis=1)
    anchor, label = np.nonzero(out[:, 4:] > np.float32(score_threshold))
    return corners[anchor], out[anchor, 4 + label], label


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def detr(logits, boxes, size, activation="sigmoid", k=300, score_threshold=0.0):
    """Top-k over queries x classes; boxes from normalised cxcywh."""
    z = np.asarray(logits, dtype=np.float64).reshape(logits.shape[-2], logits.shape[-1])
    if activation == "sigmoid":
        p = sigmoid(z)
    elif activation == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = (e / e.sum(axis=1, keepdims=True))[:, :-1]
    else:
        p = z
    flat = [i for i in top_k(p, p.size) if p.ravel()[i] > score_threshold][:k]
    query, label = np.divmod(np.asarray(flat, dtype=np.int64), p.shape[1])
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)[query]
    w, h = size
    cx, cy, bw, bh = b[:, 0] * w, b[:, 1] * h, b[:, 2] * w, b[:, 3] * h
    corners = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    return corners, p.ravel()[flat], label


def centernet(heatmap, offset, size, k=100, score_threshold=0.0, down_ratio=4.0, logits=True):
    """Peaks where a 3x3 max-pool padded with -inf equals the heat, top-k, then the maps."""
    heat = np.asarray(heatmap, dtype=np.float64)[0]
    heat = sigmoid(heat) if logits else heat
    c, h, w = heat.shape
    padded = np.full((c, h + 2, w + 2), -np.inf)
    padded[:, 1:-1, 1:-1] = heat
    pooled = np.max([padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)], axis=0)
    peak = (pooled == heat) & (heat > score_threshold)
    flat = [i for i in top_k(heat, heat.size) if peak.ravel()[i]][:k]
    label, cell = np.divmod(np.asarray(flat, dtype=np.int64), h * w)
    y, x = np.divmod(cell, w)
    off = np.asarray(offset, dtype=np.float64)[0].reshape(2, -1)[:, cell]
    wh = np.asarray(size, dtype=np.float64)[0].reshape(2, -1)[:, cell]
    cx, cy = x + off[0], y + off[1]
    corners = np.stack([cx - wh[0] / 2, cy - wh[1] / 2, cx + wh[0] / 2, cy + wh[1] / 2], axis=1) * down_ratio
    return corners, heat.ravel()[flat], label
