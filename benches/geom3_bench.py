#!/usr/bin/env python3
"""Side-by-side benchmark for 3-D boxes, time segments and poses: softkit against numpy/shapely loops, on the same inputs.

Run from the repository root after ``bash benches/setup.sh``:

    benches/.venv/bin/python benches/geom3_bench.py            # full sizes (about 45 s on 2 cores)
    benches/.venv/bin/python benches/geom3_bench.py --quick    # a quarter of the sizes, about 10 s (targets not checked)
    benches/.venv/bin/python benches/geom3_bench.py --only keypoints --json out.json
    benches/.venv/bin/python benches/geom3_bench.py --all      # also mmpose's own oks_iou (a Python loop per pose; ~1 min)

Every cell is: one warm-up call, then at least 5 timed calls (more, up to ~1.5 s per cell), and
the MEDIAN in milliseconds. Inputs are converted to each library's native format outside the
timed region. See benches/README.md ("3-D boxes, segments and poses") for the scenes and columns.
"""

from __future__ import annotations

import math
import sys
from typing import Optional

import numpy as np

import bench_common
from bench_common import Bench, Lib, Out, try_import

# Fixed: every run draws the same scenes (rotated_bench.py's seed + 1).
SEED = 20170406
SIZES = {"box3d": 20_000, "box3d_peer": 2_000, "segment": 100_000, "segment_peer": 10_000, "keypoints": 2_000}
QUICK_SIZES = {"box3d": 5_000, "box3d_peer": 500, "segment": 25_000, "segment_peer": 2_500, "keypoints": 500}

# 3-D boxes: OpenPCDet (x, y, z, dx, dy, dz, heading), car-like sizes; the area grows with n so the density is fixed.
BOX3D_SIDE_20K = 160.0  # m: 20k boxes over 160 m x 160 m (0.78 boxes per m^2)
DX, DY, DZ = (3.5, 4.8), (1.5, 2.0), (1.4, 1.8)
Z_STD = 0.3
IOU_3D = 0.1
# Segments: (start, end) on a timeline whose length grows with n (1e6 at 100k).
TIMELINE_PER_SEGMENT = 10.0
SEG_LEN = (1.0, 60.0)
# Poses: COCO's 17 joints, about 2.86 detections per person, in a 1280 x 720 image.
IMAGE_W, IMAGE_H = 1280.0, 720.0
DETS_PER_PERSON = 2.86
PERSON_H = (40.0, 360.0)  # px
JITTER = (0.002, 0.04)  # per-detection joint noise, as a fraction of sqrt(area)
OKS_THR = 0.9  # mmpose's default nms_thr
MAX_DETS = 20  # mmpose soft_oks_nms's default
COCO_SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0

SIGMA = 0.5
SCORE_THRESHOLD = 0.001

SK_ROT = 'softkit.nms(geometry="rotated") on the BEV (x, y, dx, dy, heading)'
SK_3D = 'softkit.nms(geometry="box3d")'
SK_BEV = 'softkit.nms(geometry="bev")'
SHAPELY_3D = "numpy + shapely loop (STRtree, 3-D IoU)"
SK_FLOOR = "softkit._sort_floor (sorts the scores)"
SK_SEG = 'softkit.soft_nms(geometry="segment")'
SK_SEG_BOX = "softkit.soft_nms (axis-aligned boxes [start, 0, end, 1]: the same IoUs)"
NUMPY_SEG = "numpy loop (paper's Soft-NMS, vectorised per selection)"
SK_OKS = 'softkit.nms(geometry="keypoints")'
NUMPY_OKS = "numpy oks_nms (mmpose's loop, OKS vectorised)"
MMPOSE_OKS = "mmpose oks_nms as shipped (oks_iou loops per pose)"
SK_SOFT_OKS = f'softkit.soft_nms(geometry="keypoints", sigma={OKS_THR}, score_threshold=-inf, max_output={MAX_DETS})'
SK_SOFT_OKS_ALL = f'softkit.soft_nms(geometry="keypoints", sigma={OKS_THR}, score_threshold=-inf)'
SK_SOFT_OKS_PAPER = 'softkit.soft_nms(geometry="keypoints", method="gaussian") (sigma 0.5, score threshold 0.001)'
NUMPY_SOFT_OKS = f"numpy soft_oks_nms (mmpose, thr {OKS_THR}, max_dets {MAX_DETS})"
NUMPY_SOFT_OKS_ALL = f"numpy soft_oks_nms (mmpose, thr {OKS_THR}, max_dets = n)"

# --------------------------------------------------------------------------------------------
# optional imports: a missing library gives "not installed" rows, never a failure


softkit, _softkit_err = bench_common.import_softkit(("nms", "soft_nms", "_sort_floor"))
shapely, _shapely_err = try_import("shapely")


# --------------------------------------------------------------------------------------------
# scenes


def box3d_side(n: int) -> float:
    return BOX3D_SIDE_20K * math.sqrt(n / 20_000)


def box3d_scene(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 7) float64 (x, y, z, dx, dy, dz, heading) and float64 scores in [0, 1).

    Centres uniform over a square of side box3d_side(n) (160 m at 20k), z ~ N(0, 0.3), dx 3.5-4.8,
    dy 1.5-2.0, dz 1.4-1.8 (uniform), heading uniform in [-pi, pi)."""
    rng = np.random.default_rng([SEED, n, 7])
    side = box3d_side(n)
    b = np.empty((n, 7))
    b[:, :2] = rng.uniform(0.0, side, (n, 2))
    b[:, 2] = rng.normal(0.0, Z_STD, n)
    b[:, 3] = rng.uniform(*DX, n)
    b[:, 4] = rng.uniform(*DY, n)
    b[:, 5] = rng.uniform(*DZ, n)
    b[:, 6] = rng.uniform(-np.pi, np.pi, n)
    return b, rng.random(n)


def segment_scene(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) float64 (start, end), lengths uniform in 1-60, inside [0, 10 n] (1e6 at 100k); float64 scores."""
    rng = np.random.default_rng([SEED, n, 2])
    duration = TIMELINE_PER_SEGMENT * n
    length = rng.uniform(*SEG_LEN, n)
    start = rng.uniform(0.0, duration - length)
    return np.column_stack([start, start + length]), rng.random(n)


def pose_scene(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kpts (N, 17, 3) float64 x, y, joint score; areas (N,); scores (N,) float64).

    About n / 2.86 people (700 at 2k) in a 1280 x 720 image: height 40-360 px, width 0.35-0.6 of it,
    a random joint layout over the person's box, area 0.55 w h. Each detection picks a person and
    jitters every joint by N(0, j sqrt(area)), j uniform in 0.002-0.04 per detection, so about half of
    the same-person pairs have OKS > 0.9 and different people almost never overlap; its area is the
    person's times U(0.9, 1.1), joint scores uniform in [0.05, 1)."""
    rng = np.random.default_rng([SEED, n, 17])
    people = max(1, round(n / DETS_PER_PERSON))
    h = rng.uniform(*PERSON_H, people)
    w = h * rng.uniform(0.35, 0.6, people)
    centre = np.column_stack([rng.uniform(w / 2, IMAGE_W - w / 2), rng.uniform(h / 2, IMAGE_H - h / 2)])
    layout = rng.uniform(-0.5, 0.5, (people, 17, 2)) * np.column_stack([w, h])[:, None, :]
    area = 0.55 * w * h
    who = rng.integers(0, people, n)
    jitter = rng.uniform(*JITTER, n) * np.sqrt(area[who])
    kpts = np.empty((n, 17, 3))
    kpts[:, :, :2] = centre[who, None, :] + layout[who] + rng.normal(size=(n, 17, 2)) * jitter[:, None, None]
    kpts[:, :, 2] = rng.uniform(0.05, 1.0, (n, 17))
    areas = area[who] * rng.uniform(0.9, 1.1, n)
    return kpts, areas, rng.random(n)


# --------------------------------------------------------------------------------------------
# targets and notes


# (op, scene, library) -> (target, test on the row); checked at the full sizes only
TARGETS: bench_common.Targets = {
    ("box3d", "lidar", SK_3D): ("< 2x rotated NMS", lambda r: r.ratio < 2),
    ("box3d", "lidar", SK_BEV): ("< 2x rotated NMS", lambda r: r.ratio < 2),
    ("segment", "timeline", SK_SEG): ("< 3x the sort floor", lambda r: r.ratio < 3),
    ("keypoints", "hard", NUMPY_OKS): ("softkit >= 20x faster", lambda r: r.ratio >= 20),
}

NOTES = {
    "box3d": [
        "lidar: ratio = row / softkit's rotated NMS on the same BEV boxes; peer: ratio = row / softkit's box3d NMS.",
        "The bev row must keep exactly the rotated row's set (same rectangles, same IoU); box3d is another measure (not compared).",
        (
            "numpy + shapely loop: boxes visited by score (ties to the lower index); for each kept box an STRtree query "
            "(built inside the call) gives the candidates, then one vectorised shapely.intersection for their BEV "
            "overlap, times the z overlap, over the union of volumes; polygons built untimed."
        ),
    ],
    "segment": [
        "ratio = row / the first row of its cell (the sort floor, or softkit's Soft-NMS at the peer's n).",
        (
            "The axis-aligned row runs softkit's box Soft-NMS on [start, 0, end, 1]: its IoU is the tIoU, so it must "
            "agree with the segment row; it also times the algorithm on a softkit without geometry=\"segment\"."
        ),
        (
            "numpy loop: remaining segments kept in index order; each step takes the first argmax of the current scores, "
            "decays every other remaining one by exp(-tIoU^2 / sigma), then drops those below the score threshold "
            "(as softkit; segments starting below it are dropped first)."
        ),
    ],
    "keypoints": [
        "ratio = row / the first row of its cell (softkit). OKS: COCO sigmas, the mean of the two areas, every joint counted (vis_thr None).",
        (
            "numpy transcriptions of mmpose/evaluation/functional/nms.py (order = scores.argsort()[::-1], float32 OKS as "
            "mmpose's `ious` array); only the OKS of one pose against the rest is vectorised. mmpose's own oks_iou loops "
            "in Python over the poses (the 'as shipped' row, --all)."
        ),
        (
            f"soft_oks_nms always decays by exp(-oks^2 / thr), drops nothing and stops at max_dets: softkit's soft_nms "
            f"with sigma={OKS_THR}, score_threshold=-inf and max_output is the same algorithm; the paper-style call "
            "(sigma 0.5, score threshold 0.001, no cap) is not, and is timed only."
        ),
    ],
}

BENCH = Bench(
    targets=TARGETS,
    notes=NOTES,
    predict_skip=False,  # the slow peer is marked slow instead (--all runs it)
    softkit_errors=(TypeError, ValueError),  # an older softkit: an unknown keyword or geometry
    status_chars=200,
    reference_rule="compared",
    status_row_same=True,
)


# --------------------------------------------------------------------------------------------
# 3-D boxes


def bev_corners(boxes: np.ndarray) -> np.ndarray:
    """(N, 4, 2) BEV corners, as geom3_reference.bev_corners: c+u+v, c-u+v, c-u-v, c+u-v with
    u = (dx/2)(cos h, sin h), v = (dy/2)(-sin h, cos h)."""
    c, s = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    u = np.column_stack([c, s]) * (boxes[:, 3:4] / 2)
    v = np.column_stack([-s, c]) * (boxes[:, 4:5] / 2)
    ctr = boxes[:, :2]
    return np.stack([ctr + u + v, ctr - u + v, ctr - u - v, ctr + u - v], axis=1)


def shapely_nms3d(polys: np.ndarray, boxes: np.ndarray, scores: np.ndarray, thr: float) -> list[int]:
    """Greedy hard NMS on the 3-D IoU (BEV intersection by GEOS x z overlap / union of volumes).

    Visit by score (ties to the lower index); a box is kept unless a kept box has 3-D IoU > thr with it.
    For each kept box, an STRtree query (envelopes) gives the candidates among the later, still alive boxes."""
    n = len(scores)
    order = np.lexsort((np.arange(n), -scores))
    p = polys[order]
    b = boxes[order]
    zlo, zhi = b[:, 2] - b[:, 5] / 2, b[:, 2] + b[:, 5] / 2
    vol = b[:, 3] * b[:, 4] * b[:, 5]
    tree = shapely.STRtree(p)
    alive = np.ones(n, dtype=bool)
    keep = []
    for k in range(n):
        if not alive[k]:
            continue
        keep.append(int(order[k]))
        cand = tree.query(p[k])
        cand = cand[cand > k]
        cand = cand[alive[cand]]
        if cand.size == 0:
            continue
        inter = shapely.area(shapely.intersection(p[k], p[cand]))
        zo = np.maximum(0.0, np.minimum(zhi[k], zhi[cand]) - np.maximum(zlo[k], zlo[cand]))
        iv = inter * zo
        union = vol[k] + vol[cand] - iv
        iou = np.divide(iv, union, out=np.zeros_like(iv), where=union > 0)
        alive[cand[iou > thr]] = False
    return keep


def box3d_libs(boxes: np.ndarray, scores: np.ndarray) -> list[Lib]:
    bev5 = np.ascontiguousarray(boxes[:, [0, 1, 3, 4, 6]])  # (x, y, dx, dy, heading): the same rectangles

    def rot():
        return lambda: Out(softkit.nms(bev5, scores, IOU_3D, geometry="rotated"))

    def b3():
        return lambda: Out(softkit.nms(boxes, scores, IOU_3D, geometry="box3d"))

    def bev():
        return lambda: Out(softkit.nms(boxes, scores, IOU_3D, geometry="bev"))

    return [
        Lib(SK_ROT, _softkit_err, rot, is_softkit=True),
        Lib(SK_3D, _softkit_err, b3, is_softkit=True, compare=False, same_note="3-D IoU (not compared)"),
        Lib(SK_BEV, _softkit_err, bev, is_softkit=True),
    ]


def box3d_peer_libs(boxes: np.ndarray, scores: np.ndarray) -> list[Lib]:
    def b3():
        return lambda: Out(softkit.nms(boxes, scores, IOU_3D, geometry="box3d"))

    def loop():
        polys = shapely.polygons(bev_corners(boxes))
        return lambda: Out(np.asarray(shapely_nms3d(polys, boxes, scores, IOU_3D), np.int64))

    return [
        Lib(SK_3D, _softkit_err, b3, is_softkit=True),
        Lib(SHAPELY_3D, _shapely_err, loop),
    ]


# --------------------------------------------------------------------------------------------
# segments


def numpy_segment_soft_nms(segs: np.ndarray, scores: np.ndarray, sigma: float, threshold: float) -> Out:
    """Gaussian Soft-NMS on (start, end) segments, the paper's loop vectorised per selection.

    Remaining segments are kept in ascending index order, so argmax (first maximum) breaks ties to
    the lower index. Each step: select the best, decay the rest by exp(-tIoU^2 / sigma) (1 where the
    tIoU is 0), drop those below the threshold."""
    alive = np.flatnonzero(scores >= threshold)
    st, en = segs[alive, 0].copy(), segs[alive, 1].copy()
    cur = scores[alive].astype(np.float64)
    keep, kept_scores = [], []
    while alive.size:
        m = int(np.argmax(cur))
        keep.append(int(alive[m]))
        kept_scores.append(float(cur[m]))
        s0, e0 = st[m], en[m]
        rest = np.ones(alive.size, dtype=bool)
        rest[m] = False
        alive, st, en, cur = alive[rest], st[rest], en[rest], cur[rest]
        inter = np.maximum(0.0, np.minimum(en, e0) - np.maximum(st, s0))
        union = (e0 - s0) + (en - st) - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        cur = cur * np.exp(-(iou * iou) / sigma)
        ok = cur >= threshold
        if not ok.all():
            alive, st, en, cur = alive[ok], st[ok], en[ok], cur[ok]
    return Out(np.asarray(keep, np.int64), np.asarray(kept_scores))


def segment_libs(segs: np.ndarray, scores: np.ndarray) -> list[Lib]:
    kw = {"method": "gaussian", "sigma": SIGMA, "score_threshold": SCORE_THRESHOLD}

    def floor():
        def call():
            softkit._sort_floor(scores)
            return Out(np.empty(0, np.int64))

        return call

    def sk():
        return lambda: Out(*softkit.soft_nms(segs, scores, geometry="segment", **kw))

    def box():
        n = len(scores)
        boxes = np.column_stack([segs[:, 0], np.zeros(n), segs[:, 1], np.ones(n)])  # IoU = tIoU exactly
        return lambda: Out(*softkit.soft_nms(boxes, scores, **kw))

    return [
        Lib(SK_FLOOR, _softkit_err, floor, is_softkit=True, returns_kept=False),
        Lib(SK_SEG, _softkit_err, sk, is_softkit=True),
        Lib(SK_SEG_BOX, _softkit_err, box, is_softkit=True),
    ]


def segment_peer_libs(segs: np.ndarray, scores: np.ndarray) -> list[Lib]:
    kw = {"method": "gaussian", "sigma": SIGMA, "score_threshold": SCORE_THRESHOLD}

    def sk():
        return lambda: Out(*softkit.soft_nms(segs, scores, geometry="segment", **kw))

    def loop():
        return lambda: numpy_segment_soft_nms(segs, scores, SIGMA, SCORE_THRESHOLD)

    return [Lib(SK_SEG, _softkit_err, sk, is_softkit=True), Lib(NUMPY_SEG, None, loop)]


# --------------------------------------------------------------------------------------------
# poses: numpy transcriptions of mmpose/evaluation/functional/nms.py


def oks_iou_vec(g: np.ndarray, d: np.ndarray, a_g: float, a_d: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
    """mmpose oks_iou of pose g (K*3,) against poses d (M, K*3), every joint counted (vis_thr None),
    vectorised over d; float32 like mmpose's `ious` array."""
    variances = (sigmas * 2) ** 2
    dx = d[:, 0::3] - g[0::3]
    dy = d[:, 1::3] - g[1::3]
    e = (dx**2 + dy**2) / variances / ((a_g + a_d) / 2 + np.spacing(1))[:, None] / 2
    return (np.sum(np.exp(-e), axis=1) / e.shape[1]).astype(np.float32)


def oks_iou_mmpose(g, d, a_g, a_d, sigmas):
    """mmpose's oks_iou as shipped: a Python loop over the poses of d (vis_thr None)."""
    variances = (sigmas * 2) ** 2
    xg, yg = g[0::3], g[1::3]
    ious = np.zeros(len(d), dtype=np.float32)
    for n_d in range(0, len(d)):
        xd, yd = d[n_d, 0::3], d[n_d, 1::3]
        dx, dy = xd - xg, yd - yg
        e = (dx**2 + dy**2) / variances / ((a_g + a_d[n_d]) / 2 + np.spacing(1)) / 2
        ious[n_d] = np.sum(np.exp(-e)) / len(e) if len(e) != 0 else 0.0
    return ious


def oks_nms_numpy(kpts: np.ndarray, scores: np.ndarray, areas: np.ndarray, thr: float, oks=oks_iou_vec) -> list:
    """mmpose oks_nms: keep the best, drop the rest with (float32) OKS > thr, repeat."""
    order = scores.argsort()[::-1]
    keep = []
    while len(order) > 0:
        i = order[0]
        keep.append(i)
        oks_ovr = oks(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]], COCO_SIGMAS)
        inds = np.where(oks_ovr <= thr)[0]
        order = order[inds + 1]
    return keep


def _rescore(overlap: np.ndarray, scores: np.ndarray, thr: float) -> np.ndarray:
    """mmpose _rescore, gaussian (soft_oks_nms never passes a type): scores * exp(-overlap^2 / thr)."""
    return scores * np.exp(-(overlap**2) / thr)


def soft_oks_nms_numpy(kpts: np.ndarray, scores: np.ndarray, areas: np.ndarray, thr: float, max_dets: int) -> np.ndarray:
    """mmpose soft_oks_nms: take the best, rescore the rest, re-sort, until max_dets are taken."""
    order = scores.argsort()[::-1]
    scores = scores[order]
    keep = np.zeros(max_dets, dtype=np.intp)
    keep_cnt = 0
    while len(order) > 0 and keep_cnt < max_dets:
        i = order[0]
        oks_ovr = oks_iou_vec(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]], COCO_SIGMAS)
        order = order[1:]
        scores = _rescore(oks_ovr, scores[1:], thr)
        tmp = scores.argsort()[::-1]
        order = order[tmp]
        scores = scores[tmp]
        keep[keep_cnt] = i
        keep_cnt += 1
    return keep[:keep_cnt]


def keypoint_hard_libs(kpts: np.ndarray, areas: np.ndarray, scores: np.ndarray) -> list[Lib]:
    flat = np.ascontiguousarray(kpts.reshape(len(kpts), -1))  # mmpose's flattened keypoints

    def sk():
        return lambda: Out(softkit.nms(kpts, scores, OKS_THR, geometry="keypoints", areas=areas))

    def vec():
        return lambda: Out(np.asarray(oks_nms_numpy(flat, scores, areas, OKS_THR), np.int64))

    def shipped():
        return lambda: Out(np.asarray(oks_nms_numpy(flat, scores, areas, OKS_THR, oks_iou_mmpose), np.int64))

    return [
        Lib(SK_OKS, _softkit_err, sk, is_softkit=True, ordered=True),
        Lib(NUMPY_OKS, None, vec, ordered=True),
        Lib(MMPOSE_OKS, None, shipped, ordered=True, slow=True, slow_note="about 9 s per call at 2k"),
    ]


def keypoint_soft_libs(kpts: np.ndarray, areas: np.ndarray, scores: np.ndarray, max_dets: Optional[int]) -> list[Lib]:
    """max_dets None: every pose (mmpose with max_dets = n, softkit without max_output)."""
    flat = np.ascontiguousarray(kpts.reshape(len(kpts), -1))
    kw = {"geometry": "keypoints", "areas": areas, "method": "gaussian"}

    def sk():
        return lambda: Out(softkit.soft_nms(kpts, scores, sigma=OKS_THR, score_threshold=-np.inf, max_output=max_dets, **kw)[0])

    def paper():
        return lambda: Out(softkit.soft_nms(kpts, scores, **kw)[0])

    def vec():
        cap = len(scores) if max_dets is None else max_dets
        return lambda: Out(soft_oks_nms_numpy(flat, scores, areas, OKS_THR, cap).astype(np.int64))

    libs = [
        Lib(SK_SOFT_OKS if max_dets is not None else SK_SOFT_OKS_ALL, _softkit_err, sk, is_softkit=True, ordered=True),
        Lib(NUMPY_SOFT_OKS if max_dets is not None else NUMPY_SOFT_OKS_ALL, None, vec, ordered=True),
    ]
    if max_dets is not None:
        libs.append(Lib(SK_SOFT_OKS_PAPER, _softkit_err, paper, is_softkit=True, compare=False, same_note="semantics differ"))
    return libs


# --------------------------------------------------------------------------------------------
# the operations


def op_box3d(sizes: dict, run_all: bool, full: bool) -> None:
    n, m = sizes["box3d"], sizes["box3d_peer"]
    boxes, scores = box3d_scene(n)
    BENCH.run_cell("box3d", "lidar", n, box3d_libs(boxes, scores), run_all, full)
    BENCH.run_cell("box3d", "peer", m, box3d_peer_libs(*box3d_scene(m)), run_all, full)
    BENCH.run_cell("box3d", "peer", n, box3d_peer_libs(boxes, scores), run_all, full)  # the STRtree loop is ~linear: ~1 s
    BENCH.print_table(
        "box3d",
        f"3-D boxes: hard NMS, IoU {IOU_3D}, car-like boxes over {box3d_side(n):.0f} m x {box3d_side(n):.0f} m "
        f"({box3d_side(m):.1f} m at {m})",
    )


def op_segment(sizes: dict, run_all: bool, full: bool) -> None:
    n, m = sizes["segment"], sizes["segment_peer"]
    BENCH.run_cell("segment", "timeline", n, segment_libs(*segment_scene(n)), run_all, full)
    BENCH.run_cell("segment", "peer", m, segment_peer_libs(*segment_scene(m)), run_all, full)
    BENCH.print_table(
        "segment",
        f"Segments: Soft-NMS gaussian (sigma {SIGMA}, score threshold {SCORE_THRESHOLD}), timeline {TIMELINE_PER_SEGMENT:g} x n",
    )


def op_keypoints(sizes: dict, run_all: bool, full: bool) -> None:
    n = sizes["keypoints"]
    kpts, areas, scores = pose_scene(n)
    BENCH.run_cell("keypoints", "hard", n, keypoint_hard_libs(kpts, areas, scores), run_all, full)
    BENCH.run_cell("keypoints", f"soft, max {MAX_DETS}", n, keypoint_soft_libs(kpts, areas, scores, MAX_DETS), run_all, full)
    BENCH.run_cell("keypoints", "soft, all", n, keypoint_soft_libs(kpts, areas, scores, None), run_all, full)
    BENCH.print_table("keypoints", f"Poses (17 COCO joints, {IMAGE_W:.0f} x {IMAGE_H:.0f}): OKS-NMS, thr {OKS_THR}")


# --------------------------------------------------------------------------------------------
# the command line


def main(argv=None) -> int:
    return BENCH.main(
        argv,
        doc=__doc__,
        title="3-D boxes, segments and poses",
        ratio="row time / the cell's first row's time",
        ops={"box3d": op_box3d, "segment": op_segment, "keypoints": op_keypoints},
        all_help="also the slow peer: mmpose's own oks_iou (a Python loop per pose)",
        sizes=SIZES,
        quick_sizes=QUICK_SIZES,
        softkit=(softkit, _softkit_err),
        dists=("softkit", "shapely", "numpy"),
        flag_source_tree=True,  # a softkit from outside site-packages (maybe a debug build) is flagged
    )


if __name__ == "__main__":
    sys.exit(main())
