#!/usr/bin/env python3
"""Side-by-side rotated-box and polygon NMS benchmark: softkit against the Python peers, on the same inputs.

Run from the repository root after ``bash benches/setup.sh``:

    benches/.venv/bin/python benches/rotated_bench.py            # full sizes (about 2 min on 2 cores)
    benches/.venv/bin/python benches/rotated_bench.py --quick    # a quarter of the sizes (about 30 s)
    benches/.venv/bin/python benches/rotated_bench.py --only polygon --json out.json
    benches/.venv/bin/python benches/rotated_bench.py --all      # also run peers predicted to be too slow

Every cell is: one warm-up call, then at least 5 timed calls (more, up to ~1.5 s per cell), and
the MEDIAN in milliseconds. Inputs are converted to each library's native format outside the
timed region. See benches/README.md ("Rotated boxes and polygons") for the scenes and columns.
"""

from __future__ import annotations

import sys

import numpy as np

import bench_common
from bench_common import Bench, Lib, Out, try_import

# Fixed: every run draws the same scenes. nms_bench.py's seed + 1: with 20170404 itself,
# powerboxes.rtree_rotated_nms panics on the dense scene too (see README), and its dense timing is a target.
SEED = 20170405
SCENES = {"dense": 1_000, "sparse": 10_000}  # image side in px
SIZES = {"dense": 5_000, "sparse": 20_000, "soft": 5_000, "polygon": 2_000}
QUICK_SIZES = {"dense": 1_000, "sparse": 5_000, "soft": 1_000, "polygon": 500}
SIDE_MIN, SIDE_MAX = 8.0, 60.0  # rotated box sides, px
RADIUS_MIN, RADIUS_MAX = 4.0, 30.0  # polygon centre-to-vertex, px
VERTICES = 8
IOU = 0.5
SIGMA = 0.5
SCORE_THRESHOLD = 0.001

SK_ROT = 'softkit.nms(geometry="rotated")'
SK_SOFT_BOX = "softkit.soft_nms (axis-aligned, angle 0)"
SK_SOFT_ROT = 'softkit.soft_nms(geometry="rotated")'
SK_SOFT_ROT0 = 'softkit.soft_nms(geometry="rotated"), angles set to 0'
SK_POLY = 'softkit.nms(geometry="polygon")'
SHAPELY_LOOP = "shapely loop (mmocr poly_nms)"

# --------------------------------------------------------------------------------------------
# optional imports: a missing library gives "not installed" rows, never a failure


softkit, _softkit_err = bench_common.import_softkit(("nms", "soft_nms"))
cv2, _cv2_err = try_import("cv2")
pb, _pb_err = try_import("powerboxes")
shapely, _shapely_err = try_import("shapely")


# --------------------------------------------------------------------------------------------
# scenes


def rotated_scene(n: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 5) float64 cx, cy, w, h, angle (radians, uniform in [-pi, pi)) and float32 scores in [0, 1)."""
    rng = np.random.default_rng([SEED, n, side])
    wh = rng.uniform(SIDE_MIN, SIDE_MAX, size=(n, 2))
    r = np.hypot(wh[:, 0], wh[:, 1])[:, None] / 2  # half-diagonal: inside the image at any angle
    c = r + rng.random((n, 2)) * (side - 2 * r)
    a = rng.uniform(-np.pi, np.pi, size=n)
    return np.column_stack([c, wh, a]), rng.random(n, dtype=np.float32)


def octagon_scene(n: int, side: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 8, 2) float64 convex 8-gons and float32 scores.

    Vertices at 8 increasing angles (regular spacing + random phase + jitter of +-pi/16) and radii
    R * U(0.8, 1), R uniform in [RADIUS_MIN, RADIUS_MAX]; a non-convex draw is redrawn.
    """
    rng = np.random.default_rng([SEED, n, side, VERTICES])
    R = rng.uniform(RADIUS_MIN, RADIUS_MAX, size=n)
    c = R[:, None] + rng.random((n, 2)) * (side - 2 * R[:, None])
    scores = rng.random(n, dtype=np.float32)
    polys = np.empty((n, VERTICES, 2))
    todo = np.arange(n)
    step = 2 * np.pi / VERTICES
    while len(todo):
        m = len(todo)
        th = rng.uniform(0, 2 * np.pi, (m, 1)) + np.arange(VERTICES) * step + rng.uniform(-step / 4, step / 4, (m, VERTICES))
        r = R[todo, None] * rng.uniform(0.8, 1.0, (m, VERTICES))
        p = c[todo, None, :] + np.stack([r * np.cos(th), r * np.sin(th)], axis=-1)
        e = np.roll(p, -1, axis=1) - p
        e2 = np.roll(e, -1, axis=1)
        convex = (e[..., 0] * e2[..., 1] - e[..., 1] * e2[..., 0] > 0).all(axis=1)  # every turn the same way
        polys[todo[convex]] = p[convex]
        todo = todo[~convex]
    return polys, scores


# --------------------------------------------------------------------------------------------
# targets and notes


# (op, scene, library) -> (target, test on the row); checked at the full sizes only
TARGETS: bench_common.Targets = {
    ("rotated", "dense", "powerboxes.rtree_rotated_nms"): ("softkit >= 5x faster", lambda r: r.ratio >= 5),
    ("rotated", "sparse", SK_ROT): ("< 20 ms", lambda r: r.ms < 20),
    ("rotated", "sparse", "powerboxes.rotated_nms"): ("softkit >= 500x faster", lambda r: r.ratio >= 500),
    ("soft", "dense", SK_SOFT_ROT): ("< 3x axis-aligned", lambda r: r.ratio < 3),
    ("polygon", "dense", SHAPELY_LOOP): ("softkit >= 200x faster", lambda r: r.ratio >= 200),
}

NOTES = {
    "rotated": [
        "powerboxes and OpenCV take the angle in degrees (converted untimed); softkit takes radians.",
        (
            "cv2.dnn.NMSBoxesRotated scores a box lying wholly inside another as IoU 1 (rotatedRectangleIntersection's "
            "INTERSECT_FULL) and works in float32, so it suppresses boxes an exact NMS keeps: its differences are expected."
        ),
    ],
    "polygon": [
        (
            "shapely loop: mmocr's poly_nms (score order, then a Python loop: intersection(...).area / union(...).area); "
            "the shapely polygons are built untimed, in float64 (mmocr builds them per pair, from float32)."
        ),
    ],
}

BENCH = Bench(
    targets=TARGETS,
    notes=NOTES,
    predict_skip=True,  # a peer predicted above 20 s a call is skipped (--all runs it)
    softkit_errors=(TypeError,),  # an older softkit rejects the geometry keyword
    status_chars=160,
    reference_rule="not-first",
    status_row_same=False,
)


# --------------------------------------------------------------------------------------------
# library adapters


def rotated_libs(boxes: np.ndarray, scores: np.ndarray) -> list[Lib]:
    s64 = scores.astype(np.float64)  # the same values as the float32 scores OpenCV gets
    deg = boxes.copy()
    deg[:, 4] = np.degrees(boxes[:, 4])  # powerboxes and OpenCV take degrees

    def sk():
        return lambda: Out(softkit.nms(boxes, s64, IOU, geometry="rotated"))

    def pb_rtree():
        return lambda: Out(pb.rtree_rotated_nms(deg, s64, IOU, 0.0).astype(np.int64))

    def pb_plain():
        return lambda: Out(pb.rotated_nms(deg, s64, IOU, 0.0).astype(np.int64))

    def cv():
        rects = [((x, y), (w, h), a) for x, y, w, h, a in deg.tolist()]
        return lambda: Out(np.asarray(cv2.dnn.NMSBoxesRotated(rects, scores, 0.0, IOU), np.int64).ravel())

    return [
        Lib(SK_ROT, _softkit_err, sk, is_softkit=True),
        Lib("powerboxes.rtree_rotated_nms", _pb_err, pb_rtree),
        Lib("powerboxes.rotated_nms", _pb_err, pb_plain),
        Lib("cv2.dnn.NMSBoxesRotated", _cv2_err, cv),
    ]


def soft_libs(boxes: np.ndarray, scores: np.ndarray) -> list[Lib]:
    s64 = scores.astype(np.float64)
    kw = {"method": "gaussian", "sigma": SIGMA, "score_threshold": SCORE_THRESHOLD}
    half = boxes[:, 2:4] / 2
    xyxy = np.column_stack([boxes[:, :2] - half, boxes[:, :2] + half])  # the same centres and sizes, angle 0
    flat = boxes.copy()
    flat[:, 4] = 0.0

    def box():
        return lambda: Out(*softkit.soft_nms(xyxy, s64, **kw))

    def rot():
        return lambda: Out(*softkit.soft_nms(boxes, s64, geometry="rotated", **kw))

    def rot0():
        return lambda: Out(*softkit.soft_nms(flat, s64, geometry="rotated", **kw))

    return [
        Lib(SK_SOFT_BOX, _softkit_err, box, is_softkit=True),
        Lib(SK_SOFT_ROT, _softkit_err, rot, is_softkit=True, compare=False),
        Lib(SK_SOFT_ROT0, _softkit_err, rot0, is_softkit=True),  # the axis-aligned boxes again: must agree
    ]


def shapely_poly_nms(polys: list, scores: np.ndarray, thr: float) -> list[int]:
    """mmocr's poly_nms, returning indices: visit by score (ties to the lower index); each kept polygon
    removes every remaining one with intersection area / union area > thr, pair by pair in Python."""
    order = np.lexsort((np.arange(len(scores)), -scores)).tolist()
    keep = []
    while order:
        i, rest = order[0], order[1:]
        keep.append(i)
        a = polys[i]
        order = []
        for j in rest:
            inter = a.intersection(polys[j]).area
            union = a.union(polys[j]).area
            if not (union > 0 and inter / union > thr):
                order.append(j)
    return keep


def polygon_libs(polys: np.ndarray, scores: np.ndarray) -> list[Lib]:
    s64 = scores.astype(np.float64)

    def sk():
        return lambda: Out(softkit.nms(polys, s64, IOU, geometry="polygon"))

    def loop():
        geoms = list(shapely.polygons(polys))
        return lambda: Out(np.asarray(shapely_poly_nms(geoms, s64, IOU), np.int64))

    return [Lib(SK_POLY, _softkit_err, sk, is_softkit=True), Lib(SHAPELY_LOOP, _shapely_err, loop)]


# --------------------------------------------------------------------------------------------
# the operations


def op_rotated(sizes: dict, run_all: bool, full: bool) -> None:
    for scene, side in SCENES.items():
        n = sizes[scene]
        BENCH.run_cell("rotated", scene, n, rotated_libs(*rotated_scene(n, side)), run_all, full)
    BENCH.print_table("rotated", f"Rotated boxes: hard NMS, IoU {IOU}", "softkit")


def op_soft(sizes: dict, run_all: bool, full: bool) -> None:
    n = sizes["soft"]
    BENCH.run_cell("soft", "dense", n, soft_libs(*rotated_scene(n, SCENES["dense"])), run_all, full)
    BENCH.print_table(
        "soft",
        f"Rotated boxes: Soft-NMS gaussian (sigma {SIGMA}, score threshold {SCORE_THRESHOLD}) against softkit's axis-aligned Soft-NMS",
        "axis-aligned",
    )


def op_polygon(sizes: dict, run_all: bool, full: bool) -> None:
    n = sizes["polygon"]
    BENCH.run_cell("polygon", "dense", n, polygon_libs(*octagon_scene(n, SCENES["dense"])), run_all, full)
    BENCH.print_table("polygon", f"Convex {VERTICES}-gons: hard NMS, IoU {IOU}", "softkit")


# --------------------------------------------------------------------------------------------
# the command line


def main(argv=None) -> int:
    return BENCH.main(
        argv,
        doc=__doc__,
        title="rotated-box and polygon NMS",
        ratio="row time / first row's time (> 1: softkit is faster)",
        ops={"rotated": op_rotated, "soft": op_soft, "polygon": op_polygon},
        all_help=f"run peers predicted above {BENCH.skip_s:.0f} s per call too",
        sizes=SIZES,
        quick_sizes=QUICK_SIZES,
        softkit=(softkit, _softkit_err),
        dists=("softkit", "powerboxes", "opencv-python-headless", "shapely", "numpy"),
        flag_source_tree=False,  # a softkit without installed metadata is reported with its folder
    )


if __name__ == "__main__":
    sys.exit(main())
