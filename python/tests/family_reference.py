"""Dense numpy references for the parallel and voting members of the NMS family. numpy only.

Independent of softkit; every function is transcribed from its paper's formula or reference code with
dense (N, N) matrices and no shortcuts, in float64:

- Matrix NMS: SOLOv2 (Wang et al. 2020), ``matrix_nms`` of the paper's listing / the SOLO repository;
- Fast NMS: YOLACT (Bolya et al. 2019), ``fast_nms``;
- Cluster-NMS, SPM and weighted Cluster-NMS: Zheng et al. 2021 (CIoU repository, ``cluster_nms``,
  ``cluster_SPM_nms``, ``cluster_weighted_nms``);
- DIoU and DIoU-NMS: Zheng et al. 2020, with YOLOv4's ``beta_nms`` exponent;
- adaptive NMS: OpenCV's ``NMSFast_`` (``cv2.dnn.NMSBoxes`` with ``eta``);
- box voting: Detectron's ``box_voting`` with ``scoring_method='ID'``.

Ranking everywhere is by non-increasing score with ties to the lower input index (a stable sort of
``-score``). Labels, where given, enter as SOLOv2's label matrix: pairs of different labels have
overlap 0, which is how the papers batch classes.
"""

import numpy as np

# ---------------------------------------------------------------------------------------------------
# Overlap matrices


def rank(scores):
    """Indices by non-increasing score, ties to the lower index."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")


def box_iou(a, b=None):
    """(N, M) IoU of [x1, y1, x2, y2] boxes, continuous coordinates; 0 where the union is 0."""
    a = np.asarray(a, dtype=np.float64)
    b = a if b is None else np.asarray(b, dtype=np.float64)
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def segment_iou(a, b=None):
    """(N, M) temporal IoU of [start, end] segments."""
    a = np.asarray(a, dtype=np.float64)
    b = a if b is None else np.asarray(b, dtype=np.float64)
    inter = np.clip(np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    union = (a[:, 1] - a[:, 0])[:, None] + (b[:, 1] - b[:, 0])[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def mask_iou(masks):
    """(N, N) IoU of (N, H, W) masks (nonzero is foreground), counted pixel by pixel."""
    m = (np.asarray(masks) != 0).reshape(len(masks), -1).astype(np.float64)
    inter = m @ m.T
    area = m.sum(axis=1)
    union = area[:, None] + area[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def diou(a, b=None, beta=1.0):
    """(N, M) DIoU = IoU - (d^2 / c^2) ** beta: d the distance of the centres, c the diagonal of the
    smallest box enclosing both (Zheng et al. 2020; beta is YOLOv4's ``beta_nms``)."""
    a = np.asarray(a, dtype=np.float64)
    b = a if b is None else np.asarray(b, dtype=np.float64)
    iou = box_iou(a, b)
    ca = (a[:, :2] + a[:, 2:]) / 2.0
    cb = (b[:, :2] + b[:, 2:]) / 2.0
    d2 = ((ca[:, None, :] - cb[None, :, :]) ** 2).sum(axis=2)
    ex = np.maximum(a[:, None, 2], b[None, :, 2]) - np.minimum(a[:, None, 0], b[None, :, 0])
    ey = np.maximum(a[:, None, 3], b[None, :, 3]) - np.minimum(a[:, None, 1], b[None, :, 1])
    c2 = ex**2 + ey**2
    return iou - (d2 / c2) ** beta


def same_label(labels, n):
    """SOLOv2's label matrix: 1 where two items share a label (all ones without labels)."""
    if labels is None:
        return np.ones((n, n))
    lab = np.asarray(labels).reshape(-1)
    return (lab[:, None] == lab[None, :]).astype(np.float64)


# ---------------------------------------------------------------------------------------------------
# Parallel policies: Matrix, Fast and Cluster NMS


def matrix_nms_from_iou(iou, scores, labels=None, kernel="gaussian", sigma=2.0, score_threshold=0.05):
    """SOLOv2's ``matrix_nms`` on a given (N, N) overlap matrix (boxes, masks, anything).

    Returns (kept indices by non-increasing new score, their new scores).
    """
    scores = np.asarray(scores, dtype=np.float64)
    order = rank(scores)
    n = len(order)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    s = scores[order]
    iou_sorted = np.asarray(iou, dtype=np.float64)[np.ix_(order, order)]
    lab = None if labels is None else np.asarray(labels).reshape(-1)[order]
    decay_iou = np.triu(iou_sorted, k=1) * np.triu(same_label(lab, n), k=1)
    compensate = decay_iou.max(axis=0)  # c_i: how much box i is itself suppressed
    comp = np.broadcast_to(compensate[:, None], (n, n))  # row i holds c_i
    if kernel == "gaussian":
        decay_matrix = np.exp(-sigma * decay_iou**2) / np.exp(-sigma * comp**2)
    elif kernel == "linear":
        decay_matrix = (1.0 - decay_iou) / (1.0 - comp)
    else:
        raise ValueError(kernel)
    decay = decay_matrix.min(axis=0)
    new = s * decay
    keep = new >= score_threshold
    idx, new = order[keep], new[keep]
    by_new = np.argsort(-new, kind="stable")
    return idx[by_new].astype(np.int64), new[by_new]


def matrix_nms(boxes, scores, labels=None, kernel="gaussian", sigma=2.0, score_threshold=0.05):
    """Matrix NMS on [x1, y1, x2, y2] boxes."""
    return matrix_nms_from_iou(box_iou(boxes), scores, labels, kernel, sigma, score_threshold)


def fast_nms(boxes, scores, iou_threshold, labels=None, iou=None):
    """YOLACT's Fast NMS: box j stays iff no higher-ranked box (kept or not) of its label overlaps it
    by more than the threshold. Returns the kept indices by score."""
    iou = box_iou(boxes) if iou is None else np.asarray(iou, dtype=np.float64)
    order = rank(scores)
    n = len(order)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lab = None if labels is None else np.asarray(labels).reshape(-1)[order]
    m = np.triu(iou[np.ix_(order, order)] * same_label(lab, n), k=1)
    return order[m.max(axis=0) <= iou_threshold].astype(np.int64)


def cluster_matrix(iou_sorted, iou_threshold, lab_sorted=None):
    """Cluster-NMS' iteration on the ranked overlap matrix: returns (converged C, kept mask, iterations)."""
    n = len(iou_sorted)
    b = np.triu(iou_sorted * same_label(lab_sorted, n), k=1)
    c = b
    iterations = 0
    while True:
        iterations += 1
        a = c
        max_a = a.max(axis=0)
        e = (max_a <= iou_threshold).astype(np.float64)
        c = b * e[:, None]
        if np.array_equal(a, c):
            break
    return c, max_a <= iou_threshold, iterations


def cluster_nms(boxes, scores, iou_threshold, labels=None):
    """Cluster-NMS (plain): the kept indices by score."""
    order = rank(scores)
    if len(order) == 0:
        return np.zeros(0, dtype=np.int64)
    iou = box_iou(boxes)[np.ix_(order, order)]
    lab = None if labels is None else np.asarray(labels).reshape(-1)[order]
    _, kept, _ = cluster_matrix(iou, iou_threshold, lab)
    return order[kept].astype(np.int64)


def cluster_spm(boxes, scores, iou_threshold, labels=None, sigma=0.2, score_threshold=0.01):
    """Cluster-NMS with the score penalty mechanism: every score times the product over the rows of
    the converged C (the boxes hard NMS keeps) of exp(-C^2 / sigma); kept when >= score_threshold.
    Returns (indices, new scores) by non-increasing new score."""
    scores = np.asarray(scores, dtype=np.float64)
    order = rank(scores)
    if len(order) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    iou = box_iou(boxes)[np.ix_(order, order)]
    lab = None if labels is None else np.asarray(labels).reshape(-1)[order]
    c, _, _ = cluster_matrix(iou, iou_threshold, lab)
    new = np.prod(np.exp(-(c**2) / sigma), axis=0) * scores[order]
    keep = new >= score_threshold
    idx, new = order[keep], new[keep]
    by_new = np.argsort(-new, kind="stable")
    return idx[by_new].astype(np.int64), new[by_new]


def weighted_cluster_nms(boxes, scores, iou_threshold, labels=None, vote_threshold=0.8):
    """Weighted Cluster-NMS: (kept indices by score, their voted coordinates).

    weights = (C * (C > vote_threshold) + I) * scores (as a row), coordinates = weights @ boxes / row sums,
    over the converged C (its rows are the kept boxes)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    order = rank(scores)
    n = len(order)
    iou = box_iou(boxes)[np.ix_(order, order)]
    lab = None if labels is None else np.asarray(labels).reshape(-1)[order]
    c, kept, _ = cluster_matrix(iou, iou_threshold, lab)
    weights = (c * (c > vote_threshold) + np.eye(n)) * scores[order][None, :]
    coords = (weights @ boxes[order]) / weights.sum(axis=1)[:, None]
    return order[kept].astype(np.int64), coords[kept]


# ---------------------------------------------------------------------------------------------------
# Greedy policies: DIoU-NMS and OpenCV's adaptive threshold


def greedy_hard(overlap, scores, iou_threshold, labels=None):
    """Hard NMS on a given (N, N) overlap matrix: visit by rank, keep unless a kept item of the same
    label overlaps it by more than the threshold."""
    lab = None if labels is None else np.asarray(labels).reshape(-1)
    kept = []
    for j in rank(scores):
        if all(overlap[k, j] <= iou_threshold for k in kept if lab is None or lab[k] == lab[j]):
            kept.append(int(j))
    return np.array(kept, dtype=np.int64)


def diou_nms(boxes, scores, iou_threshold, beta=1.0, labels=None):
    """DIoU-NMS: hard NMS that suppresses a box when its DIoU with a kept box is > the threshold."""
    return greedy_hard(diou(boxes, beta=beta), scores, iou_threshold, labels)


def adaptive_nms(boxes, scores, iou_threshold, eta):
    """OpenCV's NMSFast_: visit by rank; keep a box if its overlap with every kept box is <= the
    current threshold; after each kept box, threshold *= eta while the threshold is > 0.5."""
    iou = box_iou(boxes)
    threshold = float(iou_threshold)
    kept = []
    for j in rank(scores):
        if all(iou[k, j] <= threshold for k in kept):
            kept.append(int(j))
            if eta < 1 and threshold > 0.5:
                threshold *= eta
    return np.array(kept, dtype=np.int64)


# ---------------------------------------------------------------------------------------------------
# Voting


def box_voting(boxes, scores, keep, iou_threshold, labels=None, iou=None):
    """Detectron's ``box_voting`` (scoring 'ID'): each kept box becomes the score-weighted mean
    (np.average) of every box with IoU >= the threshold (itself included) of its label."""
    boxes = np.asarray(boxes, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    iou = box_iou(boxes) if iou is None else iou
    lab = None if labels is None else np.asarray(labels).reshape(-1)
    out = np.zeros((len(keep), boxes.shape[1]))
    for r, k in enumerate(keep):
        vote = iou[k] >= iou_threshold
        if lab is not None:
            vote &= lab == lab[k]
        out[r] = np.average(boxes[vote], axis=0, weights=scores[vote])
    return out


# ---------------------------------------------------------------------------------------------------
# Conversions for the fusion tests


def box3d_to_corners(b):
    """Axis-aligned 3-D boxes [x, y, z, dx, dy, dz, (heading)] -> [x1, y1, z1, x2, y2, z2]."""
    b = np.asarray(b, dtype=np.float64)
    return np.hstack([b[:, :3] - b[:, 3:6] / 2.0, b[:, :3] + b[:, 3:6] / 2.0])


def corners_to_box3d(c, heading=0.0):
    """[x1, y1, z1, x2, y2, z2] -> [x, y, z, dx, dy, dz, heading]."""
    c = np.asarray(c, dtype=np.float64)
    return np.hstack([(c[:, :3] + c[:, 3:]) / 2.0, c[:, 3:] - c[:, :3], np.full((len(c), 1), heading)])
