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

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

import bench_common
from bench_common import try_import

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
SKIP_SECONDS = 20.0  # a peer whose single call is predicted above this is skipped (unless --all)
CELL_BUDGET_S = 1.5
MIN_REPS, MAX_REPS = 5, 1000
SCORE_TOL = 1e-5

SK_ROT = 'softkit.nms(geometry="rotated")'
SK_SOFT_BOX = "softkit.soft_nms (axis-aligned, angle 0)"
SK_SOFT_ROT = 'softkit.soft_nms(geometry="rotated")'
SK_SOFT_ROT0 = 'softkit.soft_nms(geometry="rotated"), angles set to 0'
SK_POLY = 'softkit.nms(geometry="polygon")'
SHAPELY_LOOP = "shapely loop (mmocr poly_nms)"

# --------------------------------------------------------------------------------------------
# optional imports: a missing library gives "not installed" rows, never a failure


softkit, _softkit_err = try_import("softkit")
if softkit is not None and not all(hasattr(softkit, f) for f in ("nms", "soft_nms")):
    _softkit_err = "softkit is importable but lacks nms/soft_nms"
    softkit = None
cv2, _cv2_err = try_import("cv2")
pb, _pb_err = try_import("powerboxes")
shapely, _shapely_err = try_import("shapely")


# --------------------------------------------------------------------------------------------
# timing (as in nms_bench.py)


def time_call(fn: Callable[[], object]) -> tuple[float, object, int]:
    """The shared timing rule with this benchmark's budget. Returns (median ms, output, reps)."""
    return bench_common.time_call(
        fn, budget_s=CELL_BUDGET_S, min_reps=MIN_REPS, max_reps=MAX_REPS, skip_s=SKIP_SECONDS
    )


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
# outputs and agreement


@dataclass
class Out:
    idx: np.ndarray  # int64 kept indices
    scores: Optional[np.ndarray] = None  # decayed scores (Soft-NMS)


def agreement(ref: Out, out: Out) -> tuple[str, Optional[dict]]:
    """'agree' or 'differ (n)' on the kept SETS (n = indices only one side kept); Soft-NMS also checks order and scores."""
    a, b = np.asarray(ref.idx, np.int64), np.asarray(out.idx, np.int64)
    sa, sb = set(a.tolist()), set(b.tolist())
    if sa != sb:
        only_ref, only_out = sorted(sa - sb), sorted(sb - sa)
        detail = {
            "kept_ref": len(a),
            "kept": len(b),
            "only_ref": len(only_ref),
            "only_this": len(only_out),
            "only_ref_first": only_ref[:20],
            "only_this_first": only_out[:20],
        }
        return f"differ ({len(only_ref) + len(only_out)})", detail
    if ref.scores is None or out.scores is None:
        return "agree", None
    ref_s = dict(zip(a.tolist(), np.asarray(ref.scores, np.float64).tolist()))
    worst = float(np.max(np.abs(np.asarray(out.scores, np.float64) - [ref_s[i] for i in b.tolist()]), initial=0.0))
    moved = int(np.count_nonzero(a != b))
    msg = "agree" if moved == 0 and worst <= SCORE_TOL else f"set agrees; {moved} positions differ in order"
    return f"{msg}, max |d score| {worst:.1e}", {"order_diffs": moved, "max_score_diff": worst}


# --------------------------------------------------------------------------------------------
# results, targets and printing


@dataclass
class Row:
    op: str
    scene: str
    n: int
    library: str
    ms: Optional[float] = None  # None: not run (see status)
    reps: int = 0
    status: str = ""  # "not installed", "skipped (...)", "panicked: ...", "softkit lacks geometry support", ...
    kept: Optional[int] = None
    ratio: Optional[float] = None  # row / first row of the cell (softkit; axis-aligned for Soft-NMS)
    same: str = ""
    target: str = ""
    detail: Optional[dict] = None


RESULTS: list[Row] = []

# (op, scene, library) -> (target, test on the row); checked at the full sizes only
TARGETS: dict[tuple[str, str, str], tuple[str, Callable[[Row], bool]]] = {
    ("rotated", "dense", "powerboxes.rtree_rotated_nms"): ("softkit >= 5x faster", lambda r: r.ratio >= 5),
    ("rotated", "sparse", SK_ROT): ("< 20 ms", lambda r: r.ms < 20),
    ("rotated", "sparse", "powerboxes.rotated_nms"): ("softkit >= 500x faster", lambda r: r.ratio >= 500),
    ("soft", "dense", SK_SOFT_ROT): ("< 3x axis-aligned", lambda r: r.ratio < 3),
    ("polygon", "dense", SHAPELY_LOOP): ("softkit >= 200x faster", lambda r: r.ratio >= 200),
}


def target_cell(r: Row, full: bool) -> str:
    t = TARGETS.get((r.op, r.scene, r.library))
    if t is None:
        return ""
    text, ok = t
    if not full:
        return f"{text} (at full size)"
    if r.ms is None or r.ratio is None:
        return f"{text}: not measured"
    return f"{text}: {'met' if ok(r) else 'MISSED'}"


def fmt_ms(ms: Optional[float]) -> str:
    if ms is None:
        return "—"
    for lim, f in ((100, ".0f"), (10, ".1f"), (1, ".2f")):
        if ms >= lim:
            return f"{ms:{f}}"
    return f"{ms:.3f}"


def fmt_ratio(x: float) -> str:
    return f"{x:.0f}x" if x >= 100 else f"{x:.2f}x"


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


def print_table(op: str, title: str, base: str) -> None:
    rows = [r for r in RESULTS if r.op == op]
    if not rows:
        return
    print(f"\n### {title}\n")
    print(f"| scene | n | library | median ms | calls | kept | ratio (row / {base}) | same kept set | target |")
    print("|---|---:|---|---:|---:|---:|---:|---|---|")
    for r in rows:
        if r.ms is None:
            print(f"| {r.scene} | {r.n} | {r.library} | {r.status} | | | | | {r.target} |")
            continue
        ratio = "" if r.ratio is None else fmt_ratio(r.ratio)
        print(f"| {r.scene} | {r.n} | {r.library} | {fmt_ms(r.ms)} | {r.reps} | {r.kept} | {ratio} | {r.same} | {r.target} |")
    if op in NOTES:
        print()
    for note in NOTES.get(op, []):
        print(f"- {note}")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# the runner: one "cell" = one (op, scene, n) with its libraries; the first one is the ratio base


@dataclass
class Lib:
    name: str
    missing: Optional[str]  # import error, or None when usable
    make: Callable[[], Callable[[], Out]]  # prepares inputs (untimed), returns the timed call
    is_softkit: bool = False
    compare: bool = True  # False: different inputs from the reference, so no agreement column


# predicted-time skipping: last (n, ms) per (op, library), across scenes; cost assumed quadratic in n
_LAST: dict[tuple[str, str], tuple[int, float]] = {}


def run_cell(op: str, scene: str, n: int, libs: list[Lib], run_all: bool, full: bool) -> None:
    base_ms: Optional[float] = None
    ref: Optional[Out] = None
    ref_name = ""
    for k, lib in enumerate(libs):
        row = Row(op, scene, n, lib.name)
        RESULTS.append(row)
        row.target = target_cell(row, full)  # refreshed once measured
        if lib.missing is not None:
            row.status = "not installed" if not lib.is_softkit else "n/a (softkit not built)"
            continue
        key = (op, lib.name)
        if key in _LAST and not run_all:
            n0, ms0 = _LAST[key]
            predicted = ms0 * (n / n0) ** 2 / 1e3
            if predicted > SKIP_SECONDS:
                row.status = f"skipped (predicted {predicted:.0f} s; --all runs it)"
                continue
        try:
            row.ms, out, row.reps = time_call(lib.make())
        except TypeError as e:
            what = "softkit lacks geometry support" if lib.is_softkit else "error"
            row.status = f"{what} (TypeError: {e})"[:160]
            continue
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
            panic = type(e).__name__ == "PanicException"
            row.status = (f"panicked: {e}" if panic else f"error: {type(e).__name__}: {e}")[:160]
            continue
        _LAST[key] = (n, row.ms)
        row.kept = len(out.idx)
        if k == 0:
            base_ms = row.ms
        if base_ms is not None:
            row.ratio = row.ms / base_ms
        if not lib.compare:
            pass
        elif ref is None:
            ref, ref_name = out, lib.name
            row.same = "reference" if k > 0 else ""
        else:
            row.same, row.detail = agreement(ref, out)
            if ref_name != libs[0].name:
                row.same += f" (vs {ref_name})"
        row.target = target_cell(row, full)


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
        run_cell("rotated", scene, n, rotated_libs(*rotated_scene(n, side)), run_all, full)
    print_table("rotated", f"Rotated boxes: hard NMS, IoU {IOU}", "softkit")


def op_soft(sizes: dict, run_all: bool, full: bool) -> None:
    n = sizes["soft"]
    run_cell("soft", "dense", n, soft_libs(*rotated_scene(n, SCENES["dense"])), run_all, full)
    print_table(
        "soft",
        f"Rotated boxes: Soft-NMS gaussian (sigma {SIGMA}, score threshold {SCORE_THRESHOLD}) against softkit's axis-aligned Soft-NMS",
        "axis-aligned",
    )


def op_polygon(sizes: dict, run_all: bool, full: bool) -> None:
    n = sizes["polygon"]
    run_cell("polygon", "dense", n, polygon_libs(*octagon_scene(n, SCENES["dense"])), run_all, full)
    print_table("polygon", f"Convex {VERTICES}-gons: hard NMS, IoU {IOU}", "softkit")


# --------------------------------------------------------------------------------------------
# machine and versions


def machine() -> dict:
    return bench_common.machine()


def versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("softkit", "powerboxes", "opencv-python-headless", "shapely", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    if softkit is None:
        out["softkit"] = f"not importable ({_softkit_err})"
    elif out["softkit"] == "not installed":  # imported from a source tree (PYTHONPATH)
        out["softkit"] = f"{getattr(softkit, '__version__', '?')} from {Path(softkit.__file__).parent}"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a quarter of the sizes (targets are not checked)")
    ap.add_argument("--all", action="store_true", help=f"run peers predicted above {SKIP_SECONDS:.0f} s per call too")
    ap.add_argument("--only", choices=["rotated", "soft", "polygon"], help="run one operation")
    ap.add_argument("--json", metavar="OUT", help="dump every cell as JSON")
    args = ap.parse_args(argv)

    sizes = QUICK_SIZES if args.quick else SIZES
    full = not args.quick
    print("# softkit vs peers: rotated-box and polygon NMS")
    print(f"median of >= {MIN_REPS} timed calls after a warm-up; ratio = row time / first row's time (> 1: softkit is faster)")
    if softkit is None:
        print(f"softkit: n/a ({_softkit_err})")
    t0 = time.perf_counter()
    ops = {"rotated": op_rotated, "soft": op_soft, "polygon": op_polygon}
    for name in [args.only] if args.only else list(ops):
        ops[name](sizes, args.all, full)

    print("\n### Targets\n")
    if not full:
        print("checked at the full sizes only (run without --quick)")
    for r in RESULTS if full else []:
        if r.target:
            got = r.status if r.ms is None else f"{fmt_ms(r.ms)} ms"
            if r.ratio not in (None, 1.0):
                got += f", ratio {fmt_ratio(r.ratio)}"
            print(f"- {r.op}, {r.scene} {r.n}, {r.library}: {r.target} ({got})")

    m, v = machine(), versions()
    print("\n### Machine\n")
    for k, val in m.items():
        print(f"- {k}: {val}")
    print("\n### Versions\n")
    for k, val in v.items():
        print(f"- {k}: {val}")
    print(f"\ntotal wall time: {time.perf_counter() - t0:.0f} s")
    if args.json:
        dump = {"machine": m, "versions": v, "args": vars(args), "results": [asdict(r) for r in RESULTS]}
        Path(args.json).write_text(json.dumps(dump, indent=1))
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
