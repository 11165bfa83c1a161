"""Plain references for 3-D boxes, 1-D segments and keypoint (OKS) suppression. numpy + shapely only.

Independent of softkit; every function is written from its definition, in float64 unless noted.

3-D boxes use OpenPCDet's convention (x, y, z, dx, dy, dz, heading): (x, y, z) is the box centre, dx, dy,
dz the sizes along the box's own axes, heading the yaw about +z in radians. heading turns the dx axis from
+x towards +y, so the BEV footprint is the rotated rectangle (cx=x, cy=y, w=dx, h=dy, angle=heading) with
the width axis along (cos a, sin a) and the height axis along (-sin a, cos a), the same corners as
shape_reference.rbox_corners. mmdet3d >= 1.0 LiDAR boxes use the same axes and yaw (yaw 0 along +x,
yaw pi/2 along +y) but store the BOTTOM centre: see to_gravity_centre. (mmdet3d 0.x LiDAR boxes had yaw 0
along -y; this module does not convert those.)

OpenPCDet's own boxes_iou3d_gpu divides by clamp(union, min=1e-6) and computes the BEV overlap in float32
on the GPU; the references here are float64 and give 0 when the union is 0.

OKS suppression follows mmpose/evaluation/functional/nms.py (oks_iou, oks_nms, _rescore, soft_oks_nms);
the quirks a matching implementation must reproduce are listed at oks_pair, oks_nms and soft_oks_nms.
"""

import math

import numpy as np
from shapely.geometry import Polygon

from reference import greedy

# ---------------------------------------------------------------------------------------------------
# 3-D boxes (OpenPCDet convention)


def bev_corners(box):
    """The 4 BEV corners of a 7-number box as a (4, 2) float64 array.

    With u = (dx/2)(cos h, sin h) and v = (dy/2)(-sin h, cos h): c+u+v, c-u+v, c-u-v, c+u-v
    (counter-clockwise in a y-up frame).
    """
    x, y, _, dx, dy, _, heading = (float(t) for t in box[:7])
    c, s = math.cos(heading), math.sin(heading)
    u = np.array([c, s]) * (dx / 2.0)
    v = np.array([-s, c]) * (dy / 2.0)
    centre = np.array([x, y])
    return np.array([centre + u + v, centre - u + v, centre - u - v, centre + u - v])


def bev_inter_area(a, b):
    """Area of the intersection of the two BEV rectangles (exact polygon clip by GEOS)."""
    pa, pb = Polygon(bev_corners(a)), Polygon(bev_corners(b))
    if pa.area <= 0 or pb.area <= 0:
        return 0.0
    return float(pa.intersection(pb).area)


def bev_iou(a, b):
    """IoU of the BEV rectangles: inter / (dx_a*dy_a + dx_b*dy_b - inter), 0 when the union is 0."""
    inter = bev_inter_area(a, b)
    union = float(a[3]) * float(a[4]) + float(b[3]) * float(b[4]) - inter
    return inter / union if union > 0 else 0.0


def z_overlap(a, b):
    """Length of the overlap of [z - dz/2, z + dz/2] of the two boxes (0 when disjoint or touching)."""
    top = min(float(a[2]) + float(a[5]) / 2.0, float(b[2]) + float(b[5]) / 2.0)
    bottom = max(float(a[2]) - float(a[5]) / 2.0, float(b[2]) - float(b[5]) / 2.0)
    return max(0.0, top - bottom)


def volume(box):
    return float(box[3]) * float(box[4]) * float(box[5])


def iou3d(a, b):
    """3-D IoU: BEV intersection area * z overlap / (vol_a + vol_b - inter_vol), 0 when the union is 0."""
    inter = bev_inter_area(a, b) * z_overlap(a, b)
    union = volume(a) + volume(b) - inter
    return inter / union if union > 0 else 0.0


def to_gravity_centre(box, bottom=True):
    """mmdet3d LiDAR box (z at the bottom centre, origin (0.5, 0.5, 0)) -> OpenPCDet box (z at the centre).

    Works on one box (7,) or many (N, 7); returns a float64 copy with z + dz/2 when ``bottom`` is true,
    an unchanged copy otherwise. x, y, sizes and heading are not touched.
    """
    out = np.array(box, dtype=np.float64, copy=True)
    if bottom:
        out[..., 2] = out[..., 2] + out[..., 5] / 2.0
    return out


def nms3d(boxes, scores, method="hard", iou="3d", sigma=0.5, nt=0.3, threshold=0.001, max_output=None):
    """reference.greedy over 3-D boxes with iou3d (iou="3d") or bev_iou (iou="bev").

    Returns [(index, score at selection)]. Hard NMS suppresses when the overlap is > nt (strict).
    OpenPCDet's nms_gpu suppresses on the BEV IoU, i.e. iou="bev".
    """
    overlap = {"3d": iou3d, "bev": bev_iou}[iou]
    boxes = [np.asarray(b, dtype=np.float64) for b in boxes]
    return greedy(boxes, scores, method, overlap, sigma, nt, threshold, max_output)


# ---------------------------------------------------------------------------------------------------
# Segments (start, end)


def tiou(a, b):
    """Temporal IoU: intersection length / union length, 0 when the union is 0.

    ActivityNet's segment_iou gives NaN (0/0) there instead; see activitynet_reference.
    """
    inter = max(0.0, min(float(a[1]), float(b[1])) - max(float(a[0]), float(b[0])))
    union = (float(a[1]) - float(a[0])) + (float(b[1]) - float(b[0])) - inter
    return inter / union if union > 0 else 0.0


def segment_nms(segments, scores, method="hard", sigma=0.5, nt=0.3, threshold=0.001, max_output=None):
    """reference.greedy over (start, end) segments with tiou. Returns [(index, score at selection)]."""
    segments = [(float(s[0]), float(s[1])) for s in segments]
    return greedy(segments, scores, method, tiou, sigma, nt, threshold, max_output)


# ---------------------------------------------------------------------------------------------------
# Keypoints (mmpose OKS NMS)

COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0

# mmpose adds np.spacing(1) = 2**-52 (float64 machine epsilon) to the mean area.
OKS_EPS = float(np.spacing(1))


def oks_pair(kpts_a, kpts_b, area_a, area_b, sigmas=None, vis_thr=None):
    """mmpose's oks_iou for one pair, in float64. kpts are (K, 3): x, y, visibility-or-score.

    e_k = (dx_k^2 + dy_k^2) / (2 sigma_k)^2 / ((area_a + area_b) / 2 + 2**-52) / 2
    OKS = sum(exp(-e_k)) / count over the counted joints.

    * sigmas None -> the 17 COCO sigmas.
    * vis_thr None -> every joint counts, whatever its visibility.
    * vis_thr given -> a joint counts only when v_a > vis_thr AND v_b > vis_thr (both strict).
    * no joint counted -> 0.0 (not NaN, not 1).
    * the eps is added to the mean area only, so two zero-area poses with equal joints give exp(0) = 1
      and with different joints give exp(-huge) = 0.
    * symmetric in (a, b).

    mmpose stores the result in a float32 array; oks_nms / soft_oks_nms below round it to float32 before
    using it, as mmpose does. This function returns the unrounded float64.
    """
    a = np.asarray(kpts_a, dtype=np.float64).reshape(-1, 3)
    b = np.asarray(kpts_b, dtype=np.float64).reshape(-1, 3)
    sig = COCO_SIGMAS if sigmas is None else np.asarray(sigmas, dtype=np.float64)
    variances = (sig * 2.0) ** 2
    d2 = (a[:, 0] - b[:, 0]) ** 2 + (a[:, 1] - b[:, 1]) ** 2
    scale = (float(area_a) + float(area_b)) / 2.0
    e = d2 / variances / (scale + OKS_EPS) / 2.0
    if vis_thr is not None:
        e = e[(a[:, 2] > vis_thr) & (b[:, 2] > vis_thr)]
    if len(e) == 0:
        return 0.0
    return float(np.sum(np.exp(-e)) / len(e))


def _order(scores, ties):
    """Indices by descending score. ties="stable": equal scores to the lower index. ties="numpy": the
    literal np.argsort(scores)[::-1] mmpose uses (default quicksort, reversed; on this platform equal
    scores come out higher index first, but numpy does not promise any order)."""
    scores = np.asarray(scores, dtype=np.float64)
    if ties == "stable":
        return sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    if ties == "numpy":
        return [int(i) for i in np.argsort(scores)[::-1]]
    raise ValueError(f"unknown ties {ties!r}")


def _oks_row(i, rest, kpts, areas, sigmas, vis_thr):
    """OKS of pose i against each pose of rest, rounded to float32 like mmpose's `ious` array."""
    return np.array([oks_pair(kpts[i], kpts[j], areas[i], areas[j], sigmas, vis_thr) for j in rest], dtype=np.float32)


def oks_nms(kpts_list, scores, areas, thr, sigmas=None, vis_thr=None, ties="stable"):
    """mmpose oks_nms: hard NMS on OKS. Returns the kept indices (list of int) in selection order.

    Visit poses by descending score; keep the first remaining one, drop every remaining pose whose OKS with
    it is > thr (kept when OKS <= thr), repeat. Quirks of mmpose to match:
    * the OKS is a float32 and the comparison is done in float32 (numpy casts the Python float thr to
      float32 under both NEP 50 and the old value-based casting): kept iff f32(oks) <= f32(thr).
    * no score threshold, no max count.
    * order from scores.argsort()[::-1] (see _order; default here is ties to the lower index).
    * mmpose returns [] for no poses, an np.ndarray of indices otherwise.
    * score_per_joint=True in mmpose means score = mean of the per-joint scores; pass that mean here.
    Same result as reference.greedy(..., "hard", nt=thr, threshold=-inf) up to the float32 rounding.
    """
    kpts = [np.asarray(k, dtype=np.float64).reshape(-1, 3) for k in kpts_list]
    areas = [float(a) for a in areas]
    order = _order(scores, ties)
    thr32 = np.float32(thr)
    keep = []
    while order:
        i = order[0]
        keep.append(i)
        ovr = _oks_row(i, order[1:], kpts, areas, sigmas, vis_thr)
        order = [j for j, o in zip(order[1:], ovr) if o <= thr32]
    return keep


def rescore(overlap, scores, thr, method="gaussian"):
    """mmpose _rescore on float32 overlaps and float64 scores; returns the new float64 scores.

    gaussian: scores * exp(-overlap**2 / thr), the factor computed in float32 (thr is the Gaussian's
              sigma; note no factor 2 and no threshold: every remaining score decays, an OKS of 0 keeps it).
    linear:   scores * (1 - overlap) where overlap >= thr (inclusive, unlike greedy's "> nt"), else kept.
    """
    overlap = np.asarray(overlap, dtype=np.float32)
    scores = np.array(scores, dtype=np.float64, copy=True)
    if method == "linear":
        hit = overlap >= np.float32(thr)
        scores[hit] = scores[hit] * (np.float32(1) - overlap[hit])
    elif method == "gaussian":
        scores = scores * np.exp(-(overlap ** 2) / np.float32(thr))
    else:
        raise ValueError(f"unknown method {method!r}")
    return scores


def soft_oks_nms(kpts_list, scores, areas, thr, max_dets=20, sigmas=None, vis_thr=None, method="gaussian",
                 ties="stable", return_scores=False):
    """mmpose soft_oks_nms. Returns the selected indices (list of int) in selection order, at most max_dets.

    mmpose signature: soft_oks_nms(kpts_db, thr, max_dets=20, sigmas=None, vis_thr=None,
    score_per_joint=False) -> np.ndarray of indices (or [] for no poses). It returns NO scores; pass
    return_scores=True here to get [(index, score at selection)] instead.

    Loop: sort by score descending; take the first pose; rescore every other remaining pose with
    _rescore(float32 OKS to the taken pose, its current score, thr); re-sort the rest by the new score
    (argsort()[::-1] again in mmpose); repeat until none remain or max_dets are taken. Quirks to match:
    * soft_oks_nms calls _rescore WITHOUT a type, so it is ALWAYS gaussian with sigma = thr:
      score *= exp(-oks^2 / thr). The linear branch is unreachable from soft_oks_nms (method="linear"
      here is offered for completeness only).
    * nothing is ever dropped for a low score: with max_dets >= N it returns a permutation of all N.
    * max_dets defaults to 20 and is a hard cap.
    * decay factors are float32 (see rescore), scores float64.
    * ties: mmpose re-sorts the survivors with argsort()[::-1] on their current positions; ties="stable"
      here breaks ties to the lower ORIGINAL index, as reference.greedy does.
    Same selection as reference.greedy(..., "gaussian", sigma=thr, threshold=-inf, max_output=max_dets)
    up to the float32 rounding.
    """
    kpts = [np.asarray(k, dtype=np.float64).reshape(-1, 3) for k in kpts_list]
    areas = [float(a) for a in areas]
    order = _order(scores, ties)
    current = np.asarray(scores, dtype=np.float64)[order]
    out = []
    while order and len(out) < max_dets:
        i = order[0]
        out.append((i, float(current[0])))
        ovr = _oks_row(i, order[1:], kpts, areas, sigmas, vis_thr)
        rest, current = order[1:], rescore(ovr, current[1:], thr, method)
        if ties == "stable":
            pos = sorted(range(len(rest)), key=lambda p: (-current[p], rest[p]))
        else:
            pos = [int(p) for p in np.argsort(current)[::-1]]
        order = [rest[p] for p in pos]
        current = current[pos] if pos else current[:0]
    return out if return_scores else [i for i, _ in out]


# ---------------------------------------------------------------------------------------------------
# KITTI-style AP with 40 recall positions (simplified)

R40_RECALLS = np.linspace(1.0 / 40.0, 1.0, 40)


def kitti_r40_reference(ground_truth, detections, iou_threshold=0.7, iou="3d"):
    """AP|R40 per class, a simplified KITTI metric. Returns {label: AP} for every label with ground truth.

    ground_truth: iterable of (frame_id, label, box7); detections: (frame_id, label, box7, score).
    Per class: detections sorted by score descending (stable: ties to the lower input index); each one is
    matched to the unmatched ground truth of its frame and class with the highest IoU (iou3d or bev_iou),
    if that IoU >= iou_threshold (ties between ground truths to the lower input index) -> TP, else FP.
    precision_k / recall_k after each detection; for r in linspace(1/40, 1, 40) the interpolated precision
    is max(precision_k for recall_k >= r), 0 when no point reaches r; AP = mean of the 40 values.

    NOT the official KITTI devkit: no difficulty levels (height / occlusion / truncation filters), no
    DontCare or neighbouring-class ignores, no 41-score-threshold sweep, and the devkit's match test is
    overlap > min_overlap (strict) where this one is >=. Labels with detections but no ground truth are
    not reported.
    """
    overlap = {"3d": iou3d, "bev": bev_iou}[iou]
    gts = [(f, lab, np.asarray(b, dtype=np.float64)) for f, lab, b in ground_truth]
    dets = [(f, lab, np.asarray(b, dtype=np.float64), float(s)) for f, lab, b, s in detections]
    result = {}
    for label in dict.fromkeys(lab for _, lab, _ in gts):
        g_idx = [k for k, g in enumerate(gts) if g[1] == label]
        d_idx = [k for k, d in enumerate(dets) if d[1] == label]
        d_idx.sort(key=lambda k: (-dets[k][3], k))
        used = set()
        tp = []
        for k in d_idx:
            frame, _, box, _ = dets[k]
            best, best_iou = None, -1.0
            for g in g_idx:
                if g in used or gts[g][0] != frame:
                    continue
                o = overlap(box, gts[g][2])
                if o > best_iou:
                    best, best_iou = g, o
            if best is not None and best_iou >= iou_threshold:
                used.add(best)
                tp.append(1.0)
            else:
                tp.append(0.0)
        tp = np.array(tp)
        ctp = np.cumsum(tp)
        recall = ctp / len(g_idx)
        precision = ctp / np.arange(1, len(tp) + 1)
        total = 0.0
        for r in R40_RECALLS:
            reach = precision[recall >= r]
            total += float(reach.max()) if reach.size else 0.0
        result[label] = total / 40.0
    return result


# ---------------------------------------------------------------------------------------------------
# Seeded generators


def random_boxes3d(rng, n, extent=(70.0, 80.0)):
    """(n, 7) float64 car-like boxes: x in [0, extent[0]], y in [-extent[1]/2, extent[1]/2],
    z ~ N(0, 0.25), dx 3.5-4.8, dy 1.5-2.0, dz 1.4-1.8, heading uniform in [-pi, pi)."""
    out = np.empty((n, 7))
    out[:, 0] = rng.uniform(0.0, extent[0], n)
    out[:, 1] = rng.uniform(-extent[1] / 2.0, extent[1] / 2.0, n)
    out[:, 2] = rng.normal(0.0, 0.25, n)
    out[:, 3] = rng.uniform(3.5, 4.8, n)
    out[:, 4] = rng.uniform(1.5, 2.0, n)
    out[:, 5] = rng.uniform(1.4, 1.8, n)
    out[:, 6] = rng.uniform(-math.pi, math.pi, n)
    return out


def random_segments(rng, n, duration=1000.0, min_len=1.0, max_len=60.0):
    """(n, 2) float64 (start, end) segments inside [0, duration], lengths uniform in [min_len, max_len]."""
    length = rng.uniform(min_len, max_len, n)
    start = rng.uniform(0.0, duration - length)
    return np.stack([start, start + length], axis=1)


def random_poses(rng, n, k=17, side=640.0):
    """n poses in a side x side image: returns (kpts (n, k, 3) float64, areas (n,) float64).

    About n/3 "people" (centre uniform in the image, scale 20-200 px, a fixed random joint layout in
    [-0.5, 0.5]^2 times the scale); each pose picks one person and jitters every joint by N(0, 0.05*scale),
    so poses of the same person overlap (OKS well above 0) and others mostly do not. Visibility is 0, 1 or 2
    uniformly at random; area = (scale * U(0.8, 1.2))^2.
    """
    people = max(1, n // 3)
    centres = rng.uniform(0.0, side, (people, 2))
    scales = rng.uniform(20.0, 200.0, people)
    layout = rng.uniform(-0.5, 0.5, (people, k, 2))
    who = rng.integers(0, people, n)
    kpts = np.empty((n, k, 3))
    areas = np.empty(n)
    for p in range(n):
        w = who[p]
        kpts[p, :, :2] = centres[w] + layout[w] * scales[w] + rng.normal(0.0, 0.05 * scales[w], (k, 2))
        kpts[p, :, 2] = rng.integers(0, 3, k)
        areas[p] = (scales[w] * rng.uniform(0.8, 1.2)) ** 2
    return kpts, areas


def degenerate_boxes3d():
    """Named pairs of 7-number boxes (a, b) with their expected (bev_iou, iou3d)."""
    car = (10.0, 5.0, 0.0, 4.0, 2.0, 1.5, 0.3)

    def moved(box, **kw):
        names = ("x", "y", "z", "dx", "dy", "dz", "heading")
        return tuple(kw.get(nm, v) for nm, v in zip(names, box))

    return {
        # same box: 1, 1
        "identical": (car, car, 1.0, 1.0),
        # same BEV, z ranges [-0.75, 0.75] and [1.25, 2.75]: BEV IoU 1, 3-D IoU 0
        "stacked": (car, moved(car, z=2.0), 1.0, 0.0),
        # z ranges [-0.75, 0.75] and [0.75, 2.25] share one plane: overlap length 0
        "touching_z": (car, moved(car, z=1.5), 1.0, 0.0),
        # 4x2 and 2x4 footprints about the same centre: inter 2x2 = 4, union 8 + 8 - 4 = 12
        "rotated_90": (car, moved(car, heading=0.3 + math.pi / 2), 1.0 / 3.0, 1.0 / 3.0),
        # 2x1x0.5 box inside the 4x2x1.5 one: volume ratio 1 / 12, BEV ratio 2 / 8
        "nested": (car, moved(car, dx=2.0, dy=1.0, dz=0.5), 0.25, 1.0 / 12.0),
        # dz = 0: zero volume, inter volume 0 -> 3-D IoU 0 (union = vol_a > 0)
        "zero_height": (car, moved(car, dz=0.0), 1.0, 0.0),
        # both dz = 0: union 0 -> 0 by definition
        "both_zero_height": (moved(car, dz=0.0), moved(car, dz=0.0), 1.0, 0.0),
    }


# ---------------------------------------------------------------------------------------------------
# Self-check on hand-computed cases


def _close(a, b, tol=1e-9):
    return abs(a - b) <= tol


if __name__ == "__main__":
    # BEV corners: heading pi/2 turns dx onto +y.
    c = bev_corners((0, 0, 0, 4, 2, 1, math.pi / 2))
    assert np.allclose(np.sort(c[:, 0]), [-1, -1, 1, 1]) and np.allclose(np.sort(c[:, 1]), [-2, -2, 2, 2])
    u = bev_corners((0, 0, 0, 4, 2, 1, 0.4))
    assert np.allclose((u[0] + u[3]) / 2, 2 * np.array([math.cos(0.4), math.sin(0.4)]))

    # Axis-aligned: a = [0,4]x[0,2]x[0,2], b shifted by 2 in x and 1 in z.
    a = (2, 1, 1, 4, 2, 2, 0)
    b = (4, 1, 2, 4, 2, 2, 0)
    assert _close(bev_iou(a, b), 4 / 12)                # inter 2x2, union 8+8-4
    assert _close(iou3d(a, b), (4 * 1) / (16 + 16 - 4))  # z overlap 1
    assert _close(iou3d(a, b), iou3d(b, a))

    for name, (p, q, want_bev, want_3d) in degenerate_boxes3d().items():
        assert _close(bev_iou(p, q), want_bev), (name, bev_iou(p, q))
        assert _close(iou3d(p, q), want_3d), (name, iou3d(p, q))

    g = to_gravity_centre([(1, 2, -1.0, 4, 2, 1.5, 0.1), (0, 0, 0, 1, 1, 2, 0)])
    assert np.allclose(g[:, 2], [-0.25, 1.0]) and np.allclose(to_gravity_centre(g, bottom=False), g)

    # Segments.
    assert _close(tiou((0, 10), (5, 15)), 5 / 15)
    assert _close(tiou((0, 10), (10, 20)), 0.0)
    assert _close(tiou((3, 3), (3, 3)), 0.0)
    assert _close(tiou((0, 10), (2, 4)), 0.2)
    assert [i for i, _ in segment_nms([(0, 10), (1, 10), (20, 30)], [0.9, 0.8, 0.7], nt=0.5)] == [0, 2]

    # OKS: two joints, sigmas 0.5 -> vars 1, areas 2 and 2 -> scale 2, joint 0 off by (1, 1): d2 = 2.
    pa = np.array([[0, 0, 2], [5, 5, 0]], dtype=float)
    pb = np.array([[1, 1, 2], [5, 5, 2]], dtype=float)
    sig = np.array([0.5, 0.5])
    e0 = 2 / 1 / (2 + 2.0 ** -52) / 2
    assert _close(oks_pair(pa, pb, 2, 2, sig), (math.exp(-e0) + 1.0) / 2)
    assert _close(oks_pair(pa, pb, 2, 2, sig, vis_thr=0.5), math.exp(-e0))   # joint 1 invisible in pa
    assert oks_pair(pa, pb, 2, 2, sig, vis_thr=2) == 0.0                     # strict >: none counted
    assert oks_pair(pa, pa, 0, 0, sig) == 1.0
    assert oks_pair(np.zeros((17, 3)), np.ones((17, 3)), 0, 0) == 0.0        # eps-only scale

    # mmpose 0.x unit case (tests/test_post_processing/test_nms.py): two identical poses at
    # (10, 10), one at (100, 100), area 100, scores 0.9 / 0.4 / 0.7, thr 0.9 -> soft keeps [0, 2, 1].
    poses = [np.tile([10, 10, 0.9], (17, 1)), np.tile([10, 10, 0.9], (17, 1)), np.tile([100, 100, 0.9], (17, 1))]
    assert soft_oks_nms(poses, [0.9, 0.4, 0.7], [100] * 3, 0.9) == [0, 2, 1]
    assert oks_nms(poses, [0.9, 0.4, 0.7], [100] * 3, 0.9) == [0, 2]
    sel = soft_oks_nms(poses, [0.9, 0.4, 0.7], [100] * 3, 0.9, return_scores=True)
    assert _close(sel[2][1], 0.4 * float(np.exp(np.float32(-1) / np.float32(0.9))), 1e-12)
    assert soft_oks_nms(poses, [0.9, 0.4, 0.7], [100] * 3, 0.9, max_dets=2) == [0, 2]
    assert oks_nms(poses, [0.5, 0.5, 0.5], [100] * 3, 0.9) == [0, 2]
    # mmpose's argsort()[::-1] gave [2, 1] (higher index first) on numpy 2.4.6 x86-64; numpy promises nothing.
    print("ties='numpy' oks_nms on equal scores:", oks_nms(poses, [0.5, 0.5, 0.5], [100] * 3, 0.9, ties="numpy"))

    # rescore: linear is inclusive at thr.
    assert np.allclose(rescore([0.5, 0.4], [1.0, 1.0], 0.5, "linear"), [0.5, 1.0])

    # Against reference.greedy on random poses (distinct scores, so ties never matter).
    rng = np.random.default_rng(0)
    for trial in range(30):
        kp, ar = random_poses(rng, 12)
        sc = rng.uniform(0, 1, 12)
        vt = None if trial % 2 else 0.5
        items = list(range(12))

        def ov(i, j):
            return oks_pair(kp[i], kp[j], ar[i], ar[j], None, vt)

        assert oks_nms(kp, sc, ar, 0.5, vis_thr=vt) == [i for i, _ in greedy(items, sc, "hard", ov, nt=0.5, threshold=-math.inf)]
        want = greedy(items, sc, "gaussian", ov, sigma=0.3, threshold=-math.inf, max_output=8)
        got = soft_oks_nms(kp, sc, ar, 0.3, max_dets=8, vis_thr=vt, return_scores=True)
        assert [i for i, _ in got] == [i for i, _ in want]
        assert all(abs(x - y) < 1e-6 for (_, x), (_, y) in zip(got, want))
        assert oks_nms(kp, sc, ar, 0.5, vis_thr=vt, ties="numpy") == oks_nms(kp, sc, ar, 0.5, vis_thr=vt)

    # 3-D generators and NMS wrappers run and agree with the symmetric overlaps.
    bx = random_boxes3d(rng, 20, extent=(15, 15))
    assert bx.shape == (20, 7) and np.all((bx[:, 3] >= 3.5) & (bx[:, 3] <= 4.8))
    for i in range(20):
        for j in range(20):
            assert _close(iou3d(bx[i], bx[j]), iou3d(bx[j], bx[i])) and iou3d(bx[i], bx[j]) <= bev_iou(bx[i], bx[j]) + 1e-12
    assert len(nms3d(bx, rng.uniform(0, 1, 20), iou="bev", nt=0.1)) >= 1
    sg = random_segments(rng, 50)
    assert np.all(sg[:, 0] >= 0) and np.all(sg[:, 1] <= 1000) and np.all((sg[:, 1] - sg[:, 0] >= 1) & (sg[:, 1] - sg[:, 0] <= 60))

    # KITTI R40: 2 GT in frame 0. Det A (0.9) hits GT0, det B (0.8) misses, det C (0.7) hits GT1.
    g0, g1 = (0, 0, 0, 4, 2, 1.5, 0), (20, 0, 0, 4, 2, 1.5, 0)
    gt = [(0, "Car", g0), (0, "Car", g1)]
    dt = [(0, "Car", g0, 0.9), (0, "Car", (40, 0, 0, 4, 2, 1.5, 0), 0.8), (0, "Car", g1, 0.7)]
    # points (r, p): (0.5, 1), (0.5, 0.5), (1, 2/3); r <= 0.5 -> 1 (20 points), r > 0.5 -> 2/3 (20 points)
    assert _close(kitti_r40_reference(gt, dt)["Car"], (20 * 1 + 20 * (2 / 3)) / 40)
    # duplicate of GT0 at a higher score: the second copy is an FP, ground truth matched once.
    dt2 = [(0, "Car", g0, 0.95)] + dt
    # points: (0.5, 1), (0.5, 0.5), (0.5, 1/3), (1, 0.5) -> 20 * 1 + 20 * 0.5
    assert _close(kitti_r40_reference(gt, dt2)["Car"], (20 + 10) / 40)
    assert kitti_r40_reference(gt, [])["Car"] == 0.0
    print("geom3_reference self-check: ok")
