#!/usr/bin/env python3
"""Side-by-side NMS benchmark: softkit against the Python peers, on the same inputs.

Run from the repository root after ``bash benches/setup.sh``:

    benches/.venv/bin/python benches/nms_bench.py            # everything
    benches/.venv/bin/python benches/nms_bench.py --quick    # 1k and 5k only
    benches/.venv/bin/python benches/nms_bench.py --only soft --json out.json

Every cell is: one warm-up call, then at least 5 timed calls (more, up to ~1.5 s per cell), and
the MEDIAN in milliseconds. Inputs are converted to each library's native format outside the
timed region. See benches/README.md for the scenes and the exact meaning of each column.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

import bench_common
from bench_common import try_import

REPO = Path(__file__).resolve().parent.parent
CANDIDATES = REPO.parent / "shared" / "data" / "yolox-nano" / "candidates_val2017_100.json"

SEED = 20170404  # fixed: every run draws the same scenes
SIZES = [1_000, 5_000, 20_000, 100_000]
QUICK_SIZES = [1_000, 5_000]
SCENES = {"dense": 1_000, "sparse": 10_000}  # image side in px
SIDE_MIN, SIDE_MAX = 8.0, 60.0
N_CLASSES = 80
HARD_IOU = 0.5
REAL_HARD_IOU = 0.65  # the setting of shared/data/README.md (COCO AP 0.3858 on the 11 GT images)
SIGMA = 0.5
LINEAR_NT = 0.3
SCORE_THRESHOLD = 0.001
SKIP_SECONDS = 20.0  # a peer whose single call is predicted above this is skipped
CELL_BUDGET_S = 1.5
MIN_REPS, MAX_REPS = 5, 1000
SCORE_TOL = 1e-5

# --------------------------------------------------------------------------------------------
# optional imports: a missing library gives "not installed" rows, never a failure


softkit, _softkit_err = try_import("softkit")
if softkit is not None and not all(hasattr(softkit, f) for f in ("nms", "batched_nms", "soft_nms", "_sort_floor")):
    _softkit_err = "softkit is importable but lacks nms/batched_nms/soft_nms/_sort_floor"
    softkit = None
cv2, _cv2_err = try_import("cv2")
pb, _pb_err = try_import("powerboxes")
lsnms, _lsnms_err = try_import("lsnms")
ensemble_boxes, _eb_err = try_import("ensemble_boxes")
torch, _torch_err = try_import("torch")
torchvision = None
if torch is not None:
    torchvision, _torch_err = try_import("torchvision")
    if torchvision is not None:
        import torchvision.ops  # noqa: F401


# --------------------------------------------------------------------------------------------
# timing


def time_call(fn: Callable[[], object]) -> tuple[float, object, int]:
    """The shared timing rule with this benchmark's budget. Returns (median ms, output, reps)."""
    return bench_common.time_call(
        fn, budget_s=CELL_BUDGET_S, min_reps=MIN_REPS, max_reps=MAX_REPS, skip_s=SKIP_SECONDS
    )


# --------------------------------------------------------------------------------------------
# scenes


@dataclass
class Scene:
    name: str
    n: int
    boxes: np.ndarray  # (N, 4) float32 xyxy
    scores: np.ndarray  # (N,) float32
    labels: np.ndarray  # (N,) int64 in [0, 80)
    side: int


def make_scene(name: str, n: int) -> Scene:
    side = SCENES[name]
    rng = np.random.default_rng([SEED, n, side])
    wh = rng.uniform(SIDE_MIN, SIDE_MAX, size=(n, 2))
    xy = rng.uniform(0.0, 1.0, size=(n, 2)) * (side - wh)  # whole box inside the image
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    scores = rng.random(n, dtype=np.float32)
    labels = rng.integers(0, N_CLASSES, size=n, dtype=np.int64)
    return Scene(name, n, boxes, scores, labels, side)


def integer_boxes(boxes: np.ndarray) -> np.ndarray:
    """Rounds xyxy boxes to integers (half up), keeping width and height >= 1. Returns int32."""
    b = np.floor(boxes.astype(np.float64) + 0.5).astype(np.int64)
    b[:, 2] = np.maximum(b[:, 2], b[:, 0] + 1)
    b[:, 3] = np.maximum(b[:, 3], b[:, 1] + 1)
    return b.astype(np.int32)


def pow2_at_least(x: float) -> float:
    """ensemble-boxes wants [0, 1]: dividing by a power of two keeps every IoU bit-identical."""
    return float(2 ** math.ceil(math.log2(x)))


def xywh(boxes: np.ndarray) -> np.ndarray:
    return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)


@dataclass
class RealImage:
    image_id: int
    width: int
    height: int
    boxes: np.ndarray  # float32 xyxy, clipped to the image
    scores: np.ndarray  # float32
    labels: np.ndarray  # int64
    iboxes: np.ndarray = field(default=None)  # int32 xyxy (rounded), for the Soft-NMS comparison


def load_real() -> list[RealImage]:
    if not CANDIDATES.exists():
        raise SystemExit(f"real candidates file missing: {CANDIDATES} (shared/data must sit beside the repo root)")
    d = json.loads(CANDIDATES.read_text())
    c = np.asarray(d["candidates"], dtype=np.float64)
    images = []
    for im in d["images"]:
        rows = c[c[:, 0] == im["id"]]
        w, h = im["width"], im["height"]
        b = rows[:, 2:6].copy()
        b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
        b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
        ri = RealImage(im["id"], w, h, b.astype(np.float32), rows[:, 6].astype(np.float32), rows[:, 1].astype(np.int64))
        ib = integer_boxes(ri.boxes)
        ib[:, [0, 2]] = ib[:, [0, 2]].clip(0, w)
        ib[:, [1, 3]] = ib[:, [1, 3]].clip(0, h)
        ib[:, 0] = np.minimum(ib[:, 0], ib[:, 2] - 1)  # keep w, h >= 1 at the image border
        ib[:, 1] = np.minimum(ib[:, 1], ib[:, 3] - 1)
        ri.iboxes = ib
        images.append(ri)
    return images


# --------------------------------------------------------------------------------------------
# outputs: every runner returns Out(indices, scores or None, ordered)


@dataclass
class Out:
    idx: np.ndarray  # int64, the kept input indices
    scores: Optional[np.ndarray] = None  # float64 scores the library returned for them
    ordered: bool = True  # whether idx's order is meaningful (score / selection order)
    key: Optional[np.ndarray] = None  # the score that orders idx (input scores for hard NMS), if not `scores`
    note: str = ""  # e.g. "scores are original"


def compare(ref: Out, out: Out, ref_name: str = "softkit") -> tuple[str, Optional[dict]]:
    """'yes' or 'no ...' and, on a mismatch, a detail dict for the JSON dump."""
    a, b = np.asarray(ref.idx, np.int64), np.asarray(out.idx, np.int64)
    sa, sb = set(a.tolist()), set(b.tolist())
    if sa != sb or len(a) != len(sa) or len(b) != len(sb):
        only_ref, only_peer = sorted(sa - sb), sorted(sb - sa)
        msg = f"no: {len(a)} vs {len(b)} kept, {len(only_ref)} only {ref_name}, {len(only_peer)} only this one"
        return msg, {"kept_ref": len(a), "kept_peer": len(b), "only_ref": only_ref[:20], "only_peer": only_peer[:20]}
    detail = None
    msg = "yes"
    if ref.ordered and out.ordered and not np.array_equal(a, b):
        pos = np.flatnonzero(a != b)
        k = int(pos[0])
        detail = {"order_diffs": len(pos), "first_order_diff": k, "ref": a[k : k + 5].tolist(), "peer": b[k : k + 5].tolist()}
        near_tie = False
        order_key = ref.key if ref.key is not None else ref.scores
        if order_key is not None:
            rs = np.asarray(order_key, np.float64)
            where = {int(i): j for j, i in enumerate(a.tolist())}
            gap = np.abs(rs[pos] - rs[[where[int(i)] for i in b[pos]]])
            near_tie = bool(gap.max() <= SCORE_TOL)
            detail["max_score_gap_of_swapped"] = float(gap.max())
        if near_tie and detail["max_score_gap_of_swapped"] == 0.0:
            msg = f"yes, but {len(pos)} positions list equal scores in another order"
        elif near_tie:
            msg = f"yes, but {len(pos)} positions swap near-tied scores (|d| <= {SCORE_TOL:g})"
        else:
            msg = f"set yes, order no (first at position {k}: {a[k]} vs {b[k]})"
    if ref.scores is not None and out.scores is not None:
        ref_s = dict(zip(a.tolist(), np.asarray(ref.scores, np.float64).tolist()))
        peer_s = np.asarray(out.scores, np.float64)
        diff = np.abs(peer_s - np.array([ref_s[i] for i in b.tolist()]))
        worst = float(diff.max()) if len(diff) else 0.0
        if worst > SCORE_TOL:
            j = int(np.argmax(diff))
            msg = ("no: " if msg == "yes" else msg + "; ") + f"scores max |d| = {worst:.2e} at index {int(b[j])}"
            detail = dict(detail or {}, worst_score_diff=worst, at_index=int(b[j]))
    if out.note:
        msg += f" ({out.note})"
    return msg, detail


# --------------------------------------------------------------------------------------------
# results and printing


@dataclass
class Row:
    op: str
    scene: str
    n: int
    library: str
    ms: Optional[float]  # None: not run
    status: str = ""  # "", "not installed", "skipped (too slow)", "error: ..."
    ratio: Optional[float] = None  # library / softkit
    same: str = ""
    reps: int = 0
    detail: Optional[dict] = None


RESULTS: list[Row] = []


def fmt_ms(ms: Optional[float]) -> str:
    if ms is None:
        return "—"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def print_table(op: str, title: str) -> None:
    rows = [r for r in RESULTS if r.op == op]
    if not rows:
        return
    print(f"\n### {title}\n")
    print("| scene | n | library | median ms | ratio (lib / softkit) | same output |")
    print("|---|---:|---|---:|---:|---|")
    for r in rows:
        if r.ms is None:
            print(f"| {r.scene} | {r.n} | {r.library} | {r.status} | | |")
            continue
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        one = " (one call, over the skip limit)" if r.reps == 1 else ""
        print(f"| {r.scene} | {r.n} | {r.library} | {fmt_ms(r.ms)}{one} | {ratio} | {r.same} |")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------
# the runner: one "cell" = one (op, scene, n) with a list of libraries


@dataclass
class Lib:
    name: str
    missing: Optional[str]  # import error message, or None when usable
    make: Callable[[], Callable[[], Out]]  # prepares inputs (untimed), returns the timed call


# predicted-time skipping: last (n, ms) per (op, scene, library); cost assumed quadratic in n
_LAST: dict[tuple[str, str, str], tuple[int, float]] = {}


def run_cell(op: str, scene: str, n: int, sk: Optional[Lib], floor: Optional[Callable[[], object]], peers: list[Lib]) -> None:
    ref: Optional[Out] = None
    ref_name = ""
    sk_ms: Optional[float] = None
    if sk is not None:
        if softkit is None:
            RESULTS.append(Row(op, scene, n, sk.name, None, "n/a (softkit not built)"))
        else:
            sk_ms, ref, reps = time_call(sk.make())
            RESULTS.append(Row(op, scene, n, sk.name, sk_ms, reps=reps, ratio=1.0))
            if floor is not None:
                f_ms, _, f_reps = time_call(floor)
                RESULTS[-1].same = f"{sk_ms / f_ms:.1f}x sort floor"
                RESULTS.append(Row(op, scene, n, "softkit._sort_floor", f_ms, reps=f_reps))
    for lib in peers:
        key = (op, scene, lib.name)
        if lib.missing is not None:
            RESULTS.append(Row(op, scene, n, lib.name, None, "not installed"))
            continue
        if key in _LAST:
            n0, ms0 = _LAST[key]
            if ms0 * (n / n0) ** 2 > SKIP_SECONDS * 1e3:
                RESULTS.append(Row(op, scene, n, lib.name, None, "skipped (too slow)"))
                _LAST[key] = (n0, ms0)
                continue
        try:
            ms, out, reps = time_call(lib.make())
        except Exception as e:  # noqa: BLE001 - a peer's failure is a result, not a crash
            RESULTS.append(Row(op, scene, n, lib.name, None, f"error: {type(e).__name__}: {e}"[:160]))
            continue
        _LAST[key] = (n, ms)
        row = Row(op, scene, n, lib.name, ms, reps=reps, ratio=None if sk_ms is None else ms / sk_ms)
        if ref is not None and isinstance(out, Out):
            row.same, row.detail = compare(ref, out, ref_name or "softkit")
            if ref_name:
                row.same += f" (vs {ref_name})"
        elif isinstance(out, Out):
            # no softkit: check the peers against the first one that ran, so they are still validated
            ref, ref_name = out, lib.name
            row.same = "reference"
        RESULTS.append(row)


# --------------------------------------------------------------------------------------------
# library adapters


def _quiet(fn):
    """ensemble-boxes prints warnings (clipping, zero-area boxes); keep them out of the table."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn()


def _index_by_key(keys_in: list[tuple], keys_out: list[tuple]) -> np.ndarray:
    """Maps ensemble-boxes' returned (label, score, box) rows back to input indices."""
    table: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys_in):
        table.setdefault(k, []).append(i)
    used: dict[tuple, int] = {}
    idx = []
    for k in keys_out:
        j = used.get(k, 0)
        idx.append(table[k][j])
        used[k] = j + 1
    return np.asarray(idx, np.int64)


def _eb_keys(nboxes: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> list[tuple]:
    return list(zip(labels.tolist(), scores.astype(np.float64).tolist(), map(tuple, nboxes.astype(np.float64).tolist())))


def eb_out(ret, keys_in, ordered: bool, note: str) -> Out:
    boxes, scores, labels = ret
    keys = _eb_keys(boxes, scores, labels.astype(np.int64))
    return Out(_index_by_key(keys_in, keys), None, ordered=ordered, note=note)


# ---- hard NMS


def hard_libs(boxes: np.ndarray, scores: np.ndarray, thr: float) -> tuple[Lib, Callable, list[Lib]]:
    def sk():
        def call():
            keep = softkit.nms(boxes, scores, thr)
            return Out(keep, key=scores[keep])

        return call

    def tv():
        return lambda: Out(torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), thr).numpy())

    s64 = scores.astype(np.float64)

    def pb_nms():
        return lambda: Out(pb.nms(boxes, s64, thr, 0.0).astype(np.int64))

    def pb_rtree():
        return lambda: Out(pb.rtree_nms(boxes, s64, thr, 0.0).astype(np.int64))

    def ls():
        return lambda: Out(lsnms.nms(boxes, scores, thr, 0.0).astype(np.int64))

    bw = xywh(boxes.astype(np.float64))

    def cv():
        return lambda: Out(np.asarray(cv2.dnn.NMSBoxes(bw, scores, 0.0, thr), np.int64).ravel())

    return (
        Lib("softkit.nms", None, sk),
        lambda: softkit._sort_floor(scores),
        [
            Lib("torchvision.ops.nms", _torch_err, tv),
            Lib("powerboxes.nms", _pb_err, pb_nms),
            Lib("powerboxes.rtree_nms", _pb_err, pb_rtree),
            Lib("lsnms.nms", _lsnms_err, ls),
            Lib("cv2.dnn.NMSBoxes", _cv2_err, cv),
        ],
    )


# ---- batched (class-wise) hard NMS over one set


def batched_libs(boxes, scores, labels, thr, side: float) -> tuple[Lib, list[Lib]]:
    def sk():
        return lambda: Out(softkit.batched_nms(boxes, scores, labels, thr), ordered=False)

    def tv():
        tb, ts, tl = torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(labels)
        return lambda: Out(torchvision.ops.batched_nms(tb, ts, tl, thr).numpy(), ordered=False)

    def ls():
        return lambda: Out(lsnms.nms(boxes, scores, thr, 0.0, class_ids=labels).astype(np.int64), ordered=False)

    bw = xywh(boxes.astype(np.float64))
    l32 = labels.astype(np.int32)

    def cv():
        return lambda: Out(np.asarray(cv2.dnn.NMSBoxesBatched(bw, scores, l32, 0.0, thr), np.int64).ravel(), ordered=False)

    nb = boxes.astype(np.float64) / pow2_at_least(side)
    keys_in = _eb_keys(nb, scores, labels)

    def eb():
        call = lambda: _quiet(lambda: ensemble_boxes.nms([nb], [scores], [labels], iou_thr=thr))  # noqa: E731
        return lambda: eb_out(call(), keys_in, False, "")

    return Lib("softkit.batched_nms", None, sk), [
        Lib("torchvision.ops.batched_nms", _torch_err, tv),
        Lib("lsnms.nms(class_ids=)", _lsnms_err, ls),
        Lib("cv2.dnn.NMSBoxesBatched", _cv2_err, cv),
        Lib("ensemble_boxes.nms", _eb_err, eb),
    ]


# ---- Soft-NMS on integer-valued boxes


def soft_libs(iboxes: np.ndarray, scores: np.ndarray, method: str, side: float) -> tuple[Lib, list[Lib]]:
    fboxes = iboxes.astype(np.float32)  # the SAME integer-valued boxes, as softkit's float input
    nt = LINEAR_NT

    def sk():
        return lambda: Out(*softkit.soft_nms(fboxes, scores, method=method, sigma=SIGMA, iou_threshold=nt, score_threshold=SCORE_THRESHOLD))

    cvm = None
    if cv2 is not None:
        cvm = cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_GAUSSIAN if method == "gaussian" else cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_LINEAR
    bw = xywh(iboxes).astype(np.int32)

    def cv():
        def call():
            upd, idx = cv2.dnn.softNMSBoxes(bw, scores, SCORE_THRESHOLD, nt, 0, SIGMA, cvm)
            return Out(np.asarray(idx, np.int64).ravel(), np.asarray(upd, np.float64).ravel())

        return call

    nb = iboxes.astype(np.float64) / pow2_at_least(side)
    zeros = np.zeros(len(scores), np.int64)
    keys_in = _eb_keys(nb, scores, zeros)
    ebm = 2 if method == "gaussian" else 1

    def eb():
        def call():
            ret = _quiet(lambda: ensemble_boxes.soft_nms([nb], [scores], [zeros], method=ebm, iou_thr=nt, sigma=SIGMA, thresh=SCORE_THRESHOLD))
            return eb_out(ret, keys_in, True, "indices only: it returns the original scores")

        return call

    return Lib("softkit.soft_nms", None, sk), [
        Lib("cv2.dnn.softNMSBoxes", _cv2_err, cv),
        Lib("ensemble_boxes.soft_nms", _eb_err, eb),
    ]


# ---- real data: per image, class-wise; a "call" is the loop over all 100 images


def real_hard_libs(images: list[RealImage], thr: float) -> tuple[Lib, Callable, list[Lib]]:
    offsets = np.cumsum([0] + [len(im.scores) for im in images])

    def merged(parts) -> Out:
        return Out(np.concatenate([p + o for p, o in zip(parts, offsets)]).astype(np.int64), ordered=False)

    def sk():
        return lambda: merged([softkit.batched_nms(im.boxes, im.scores, im.labels, thr) for im in images])

    def tv():
        t = [(torch.from_numpy(im.boxes), torch.from_numpy(im.scores), torch.from_numpy(im.labels)) for im in images]
        return lambda: merged([torchvision.ops.batched_nms(b, s, lab, thr).numpy() for b, s, lab in t])

    def ls():
        return lambda: merged([lsnms.nms(im.boxes, im.scores, thr, 0.0, class_ids=im.labels).astype(np.int64) for im in images])

    cvin = [(xywh(im.boxes.astype(np.float64)), im.scores, im.labels.astype(np.int32)) for im in images]

    def cv():
        return lambda: merged([np.asarray(cv2.dnn.NMSBoxesBatched(b, s, lab, 0.0, thr), np.int64).ravel() for b, s, lab in cvin])

    ebin = []
    for im in images:
        nb = im.boxes.astype(np.float64) / pow2_at_least(max(im.width, im.height))
        ebin.append((nb, im.scores, im.labels, _eb_keys(nb, im.scores, im.labels)))

    def eb():
        def call():
            parts = []
            for nb, s, lab, keys in ebin:
                ret = _quiet(lambda: ensemble_boxes.nms([nb], [s], [lab], iou_thr=thr))
                parts.append(eb_out(ret, keys, False, "").idx)
            return merged(parts)

        return call

    def floor():
        for im in images:
            softkit._sort_floor(im.scores)

    return (
        Lib("softkit.batched_nms", None, sk),
        floor,
        [
            Lib("torchvision.ops.batched_nms", _torch_err, tv),
            Lib("lsnms.nms(class_ids=)", _lsnms_err, ls),
            Lib("cv2.dnn.NMSBoxesBatched", _cv2_err, cv),
            Lib("ensemble_boxes.nms", _eb_err, eb),
        ],
    )


def real_soft_libs(images: list[RealImage], method: str) -> tuple[Lib, Callable, list[Lib]]:
    offsets = np.cumsum([0] + [len(im.scores) for im in images])
    nt = LINEAR_NT

    def merged(parts, note="") -> Out:
        idx = np.concatenate([p.idx + o for p, o in zip(parts, offsets)]).astype(np.int64)
        sc = None if parts[0].scores is None else np.concatenate([p.scores for p in parts])
        return Out(idx, sc, ordered=False, note=note)

    fin = [(im.iboxes.astype(np.float32), im.scores, im.labels) for im in images]

    def sk():
        def call():
            parts = []
            for b, s, lab in fin:
                i, sc = softkit.soft_nms(b, s, method=method, sigma=SIGMA, iou_threshold=nt, score_threshold=SCORE_THRESHOLD, labels=lab)
                parts.append(Out(i, sc))
            return merged(parts)

        return call

    cvm = None
    if cv2 is not None:
        cvm = cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_GAUSSIAN if method == "gaussian" else cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_LINEAR
    # OpenCV has no class-aware Soft-NMS: split per class (untimed, in the peer's favour), loop in Python
    cvin = []
    for im in images:
        per = []
        bw = xywh(im.iboxes).astype(np.int32)
        for c in np.unique(im.labels):
            sel = np.flatnonzero(im.labels == c)
            per.append((sel, bw[sel], im.scores[sel]))
        cvin.append(per)

    def cv():
        def call():
            parts = []
            for per in cvin:
                idx, sc = [], []
                for sel, b, s in per:
                    upd, k = cv2.dnn.softNMSBoxes(b, s, SCORE_THRESHOLD, nt, 0, SIGMA, cvm)
                    k = np.asarray(k, np.int64).ravel()
                    idx.append(sel[k])
                    sc.append(np.asarray(upd, np.float64).ravel())
                parts.append(Out(np.concatenate(idx), np.concatenate(sc)))
            return merged(parts)

        return call

    ebm = 2 if method == "gaussian" else 1
    ebin = []
    for im in images:
        nb = im.iboxes.astype(np.float64) / pow2_at_least(max(im.width, im.height))
        ebin.append((nb, im.scores, im.labels, _eb_keys(nb, im.scores, im.labels)))

    def eb():
        def call():
            parts = []
            for nb, s, lab, keys in ebin:
                ret = _quiet(lambda: ensemble_boxes.soft_nms([nb], [s], [lab], method=ebm, iou_thr=nt, sigma=SIGMA, thresh=SCORE_THRESHOLD))
                parts.append(eb_out(ret, keys, False, ""))
            return merged(parts, "indices only: it returns the original scores")

        return call

    def floor():
        for im in images:
            softkit._sort_floor(im.scores)

    return (
        Lib("softkit.soft_nms(labels=)", None, sk),
        floor,
        [
            Lib("cv2.dnn.softNMSBoxes per class", _cv2_err, cv),
            Lib("ensemble_boxes.soft_nms", _eb_err, eb),
        ],
    )


# --------------------------------------------------------------------------------------------
# the operations


def op_hard(sizes):
    for scene in SCENES:
        for n in sizes:
            sc = make_scene(scene, n)
            sk, floor, peers = hard_libs(sc.boxes, sc.scores, HARD_IOU)
            run_cell("hard", scene, n, sk, floor, peers)
    print_table("hard", f"Hard NMS, IoU {HARD_IOU} (float32 xyxy boxes, float32 scores)")


def op_batched(sizes):
    n = 20_000 if 20_000 in sizes else max(sizes)
    for scene in SCENES:
        sc = make_scene(scene, n)
        sk, peers = batched_libs(sc.boxes, sc.scores, sc.labels, HARD_IOU, sc.side)
        floor = lambda s=sc.scores: softkit._sort_floor(s)  # noqa: E731
        run_cell("batched", scene, n, sk, floor, peers)
    print_table("batched", f"Batched (class-wise) hard NMS, {N_CLASSES} classes, IoU {HARD_IOU}")


def op_soft(sizes):
    for method in ("gaussian", "linear"):
        op = f"soft-{method}"
        for scene in SCENES:
            for n in sizes:
                sc = make_scene(scene, n)
                ib = integer_boxes(sc.boxes)
                sk, peers = soft_libs(ib, sc.scores, method, sc.side)
                floor = lambda s=sc.scores: softkit._sort_floor(s)  # noqa: E731
                run_cell(op, scene, n, sk, floor, peers)
        what = f"sigma {SIGMA}" if method == "gaussian" else f"Nt {LINEAR_NT}"
        print_table(op, f"Soft-NMS {method} ({what}, score threshold {SCORE_THRESHOLD}), integer-valued boxes")


def op_real():
    images = load_real()
    n = sum(len(im.scores) for im in images)
    scene = f"yolox-nano, {len(images)} images"
    sk, floor, peers = real_hard_libs(images, REAL_HARD_IOU)
    run_cell("real-hard", scene, n, sk, floor, peers)
    print_table("real-hard", f"Real candidates: per-image class-wise hard NMS, IoU {REAL_HARD_IOU}, summed over the images")
    for method in ("gaussian", "linear"):
        sk, floor, peers = real_soft_libs(images, method)
        run_cell(f"real-soft-{method}", scene, n, sk, floor, peers)
        print_table(
            f"real-soft-{method}",
            f"Real candidates: per-image class-wise Soft-NMS {method}, integer-rounded boxes, summed over the images",
        )


# --------------------------------------------------------------------------------------------
# machine and versions


def machine() -> dict:
    info = dict(bench_common.machine(), numpy=np.__version__)
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("softkit", "torch", "torchvision", "opencv-python-headless", "powerboxes", "lsnms", "ensemble-boxes", "numba"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    if softkit is None:
        out["softkit"] = f"not importable ({_softkit_err})"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only n = 1k and 5k (batched: 5k)")
    ap.add_argument("--only", choices=["hard", "soft", "batched", "real"], help="run one operation")
    ap.add_argument("--json", metavar="OUT", help="dump every cell as JSON")
    args = ap.parse_args(argv)

    sizes = QUICK_SIZES if args.quick else SIZES
    print("# softkit vs peers: NMS benchmark")
    print(f"median of >= {MIN_REPS} timed calls after a warm-up; ratio = library time / softkit time (> 1: softkit is faster)")
    if softkit is None:
        print(f"softkit: n/a ({_softkit_err})")
    t0 = time.perf_counter()
    ops = [args.only] if args.only else ["hard", "batched", "soft", "real"]
    for op in ops:
        {"hard": lambda: op_hard(sizes), "batched": lambda: op_batched(sizes), "soft": lambda: op_soft(sizes), "real": op_real}[op]()

    m, v = machine(), versions()
    print("\n### Machine\n")
    for k, val in m.items():
        print(f"- {k}: {val}")
    print("\n### Versions\n")
    for k, val in v.items():
        print(f"- {k}: {val}")
    print(f"\ntotal wall time: {time.perf_counter() - t0:.0f} s")
    if args.json:
        dump = {"machine": m, "versions": v, "args": vars(args), "results": [r.__dict__ for r in RESULTS]}
        Path(args.json).write_text(json.dumps(dump, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
