#!/usr/bin/env python3
"""COCO bbox evaluation benchmark: softkit against pycocotools, faster-coco-eval and hotcoco.

Run from the repository root after ``bash benches/setup.sh`` (and, for the CLI row,
``cargo build --release -p softkit-cli``):

    benches/.venv/bin/python benches/coco_eval_bench.py
    benches/.venv/bin/python benches/coco_eval_bench.py --only parity      # the 100-image set only
    benches/.venv/bin/python benches/coco_eval_bench.py --cli PATH/softkit  # another CLI binary

Every library is timed on what a user runs: load the ground truth and results files, evaluate,
accumulate, summarize. Each cell is the MEDIAN of several calls (see ``reps``); the first call of
each library is a warm-up and is not counted, except for calls slower than ``SLOW_S``. Every
library's 12 stats are compared with pycocotools' (max abs diff). See benches/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PARITY = REPO.parent / "shared" / "data" / "coco-val2014-100"
PARITY_GT = PARITY / "instances_val2014_100.json"
PARITY_DT = PARITY / "instances_val2014_fakebbox100_results.json"

SEED = 20170404  # fixed: every run writes the same synthetic files
N_IMAGES = 5_000
GT_PER_IMAGE = 7.3  # val2017: 36,781 boxes on 5,000 images
DT_PER_IMAGE = 100
CROWD_FRACTION = 0.009  # val2017: 1% of the annotations are crowds
# The 80 COCO category ids (1..90 with gaps).
COCO_CATS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]

CELL_BUDGET_S = 4.0  # repeat a call until about this long has passed...
MIN_REPS, MAX_REPS = 3, 15
SLOW_S = 8.0  # ...but a call slower than this runs once, with no warm-up


def _try_import(name):
    try:
        return __import__(name), None
    except Exception as e:  # noqa: BLE001 - any import failure means "not installed"
        return None, f"{type(e).__name__}: {e}"


softkit, _softkit_err = _try_import("softkit")
softkit_coco = __import__("softkit.coco").coco if softkit is not None and hasattr(softkit, "__path__") else None
pycocotools, _pycoco_err = _try_import("pycocotools")
if pycocotools is not None:
    from pycocotools.coco import COCO as PyCOCO
    from pycocotools.cocoeval import COCOeval as PyCOCOeval
fce, _fce_err = _try_import("faster_coco_eval")
hotcoco, _hotcoco_err = _try_import("hotcoco")


# --------------------------------------------------------------------------------------------
# synthetic val2017-scale data


def write_synthetic(directory: Path, seed: int = SEED) -> tuple[Path, Path, dict]:
    """Writes ``gt.json`` and ``dt.json`` at val2017 scale; returns their paths and counts.

    Images are 640 x 480 (or 480 x 640). Ground-truth box sides are log-normal (median about
    45 px, so about 41% small, 34% medium, 25% large by the ``area`` field, as in val2017), the
    ``area`` field is 0.55-0.9 of the box area (a mask's area is below its box's), about 1% are
    crowds (larger regions), categories are Zipf-like over the 80 COCO ids (person the most
    common). Each image gets exactly 100 detections: 1-3 jittered copies of most ground-truth
    boxes (90% with the right category, higher scores), the rest random boxes in random
    categories (lower scores). Coordinates have 2 decimals, scores 10.
    """
    rng = np.random.default_rng(seed)
    n_cat = len(COCO_CATS)
    cat_p = 1.0 / np.arange(1, n_cat + 1) ** 0.9
    cat_p /= cat_p.sum()
    images, anns, dets = [], [], []
    ann_id = 1
    for img_id in range(1, N_IMAGES + 1):
        w, h = (640, 480) if rng.random() < 0.7 else (480, 640)
        images.append({"id": img_id, "width": w, "height": h, "file_name": f"{img_id:012d}.jpg"})
        n_gt = rng.poisson(GT_PER_IMAGE)
        boxes = []
        for _ in range(n_gt):
            crowd = rng.random() < CROWD_FRACTION
            side = float(np.exp(rng.normal(3.8 if not crowd else 5.0, 0.95)))
            aspect = float(np.exp(rng.normal(0.0, 0.5)))
            bw = min(max(side * aspect**0.5, 2.0), w - 1.0)
            bh = min(max(side / aspect**0.5, 2.0), h - 1.0)
            x = float(rng.uniform(0, w - bw))
            y = float(rng.uniform(0, h - bh))
            box = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
            cat = COCO_CATS[int(rng.choice(n_cat, p=cat_p))]
            area = round(box[2] * box[3] * float(rng.uniform(0.55, 0.9)), 3)
            anns.append({"id": ann_id, "image_id": img_id, "category_id": cat, "bbox": box, "area": area,
                         "iscrowd": int(crowd), "segmentation": []})
            ann_id += 1
            boxes.append((box, cat, crowd))
        img_dets = []
        for box, cat, crowd in boxes:
            if crowd:
                continue
            for _ in range(int(rng.integers(0, 4))):
                if len(img_dets) >= DT_PER_IMAGE:
                    break
                bx, by, bw, bh = box
                jit = rng.normal(0.0, 0.12, 4)
                nw, nh = max(bw * float(np.exp(jit[2])), 1.0), max(bh * float(np.exp(jit[3])), 1.0)
                nx, ny = bx + bw * float(jit[0]), by + bh * float(jit[1])
                dcat = cat if rng.random() < 0.9 else COCO_CATS[int(rng.choice(n_cat, p=cat_p))]
                img_dets.append(([nx, ny, nw, nh], dcat, float(rng.beta(4, 2))))
        while len(img_dets) < DT_PER_IMAGE:
            side = float(np.exp(rng.normal(3.6, 1.0)))
            aspect = float(np.exp(rng.normal(0.0, 0.5)))
            bw, bh = min(side * aspect**0.5, 0.9 * w), min(side / aspect**0.5, 0.9 * h)
            x, y = float(rng.uniform(-0.1 * bw, w - 0.9 * bw)), float(rng.uniform(-0.1 * bh, h - 0.9 * bh))
            img_dets.append(([x, y, bw, bh], COCO_CATS[int(rng.choice(n_cat, p=cat_p))], float(rng.beta(1, 6))))
        for (x, y, bw, bh), cat, score in img_dets:
            dets.append({"image_id": img_id, "category_id": cat,
                         "bbox": [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)], "score": round(score, 10)})
    cats = [{"id": c, "name": f"class{c}", "supercategory": "thing"} for c in COCO_CATS]
    gt_path, dt_path = directory / "gt.json", directory / "dt.json"
    gt_path.write_text(json.dumps({"info": {}, "licenses": [], "images": images, "annotations": anns,
                                   "categories": cats}))
    dt_path.write_text(json.dumps(dets))
    counts = {"images": len(images), "gt": len(anns), "crowd": sum(a["iscrowd"] for a in anns), "dt": len(dets)}
    return gt_path, dt_path, counts


# --------------------------------------------------------------------------------------------
# the libraries: each runs load + evaluate + accumulate + summarize and returns the 12 stats


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def run_pycocotools(gt: Path, dt: Path) -> list[float]:
    with _quiet():
        coco_gt = PyCOCO(str(gt))
        coco_dt = coco_gt.loadRes(str(dt))
        ev = PyCOCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats]


def run_faster_coco_eval(gt: Path, dt: Path) -> list[float]:
    with _quiet():
        coco_gt = fce.COCO(str(gt))
        coco_dt = coco_gt.loadRes(str(dt))
        ev = fce.COCOeval_faster(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats[:12]]


def run_hotcoco(gt: Path, dt: Path) -> list[float]:
    with _quiet():
        coco_gt = hotcoco.COCO(str(gt))
        coco_dt = coco_gt.load_res(str(dt))
        ev = hotcoco.COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats[:12]]


def run_softkit(gt: Path, dt: Path) -> list[float]:
    return [float(s) for s in softkit.coco_eval(str(gt), str(dt), iou_type="bbox")["stats"]]


def run_softkit_object_api(gt: Path, dt: Path) -> list[float]:
    """pycocotools' object API on softkit (``softkit.coco``): the drop-in a training loop calls."""
    with _quiet():
        coco_gt = softkit_coco.COCO(str(gt))
        coco_dt = coco_gt.loadRes(str(dt))
        ev = softkit_coco.COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats]


_RESULTS_IN_MEMORY: dict = {}


def run_softkit_object_api_list(gt: Path, dt: Path) -> list[float]:
    """The same with the results as an in-memory list (a training loop's), ``json.load``-ed once,
    outside the timing: ``loadRes(list)`` reads the dicts straight into Rust columns."""
    results = _RESULTS_IN_MEMORY.get(dt)
    if results is None:
        results = _RESULTS_IN_MEMORY.setdefault(dt, json.loads(Path(dt).read_text()))
    with _quiet():
        coco_gt = softkit_coco.COCO(str(gt))
        coco_dt = coco_gt.loadRes(results)
        ev = softkit_coco.COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats]


def run_softkit_load_only(gt: Path, dt: Path, first_image: int) -> list[float]:
    """Loading and checking both files, then evaluating a single image: the load share."""
    return softkit.coco_eval(str(gt), str(dt), iou_type="bbox", img_ids=[first_image])["stats"]


def make_cli_runner(cli: Path) -> Callable[[Path, Path], list[float]]:
    def run_cli(gt: Path, dt: Path) -> list[float]:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([str(cli), "eval", "--gt", str(gt), "--dt", str(dt), "--json", out.name],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return [float(s) for s in json.loads(Path(out.name).read_text())["stats"]]

    return run_cli


# --------------------------------------------------------------------------------------------
# timing


def time_call(fn: Callable[[], list[float]]) -> tuple[float, int, list[float]]:
    """Median seconds, number of timed calls, and the stats of the last call."""
    t0 = time.perf_counter()
    stats = fn()
    first = time.perf_counter() - t0
    if first > SLOW_S:
        return first, 1, stats
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < MIN_REPS or (time.perf_counter() - start < CELL_BUDGET_S and len(times) < MAX_REPS):
        t0 = time.perf_counter()
        stats = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times), stats


def find_cli(explicit: Optional[str]) -> Optional[Path]:
    if explicit:
        return Path(explicit)
    candidates = [REPO / "target" / "release" / "softkit"]
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.insert(0, Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "softkit")
    return next((c for c in candidates if c.is_file()), None)


def bench_set(name: str, gt: Path, dt: Path, cli: Optional[Path], first_image: int) -> list[dict]:
    libs: list[tuple[str, Optional[Callable], Optional[str]]] = [
        ("pycocotools", run_pycocotools if pycocotools else None, _pycoco_err),
        ("softkit.coco_eval (paths)", run_softkit if softkit else None, _softkit_err),
        ("softkit.coco object API", run_softkit_object_api if softkit_coco else None, _softkit_err),
        ("softkit.coco object API, loadRes(list)", run_softkit_object_api_list if softkit_coco else None,
         _softkit_err),
        ("softkit eval (CLI, end to end)", make_cli_runner(cli) if cli else None,
         "no release CLI found (cargo build --release -p softkit-cli, or --cli PATH)"),
        ("faster-coco-eval", run_faster_coco_eval if fce else None, _fce_err),
        ("hotcoco", run_hotcoco if hotcoco else None, _hotcoco_err),
    ]
    rows = []
    for lib, fn, err in libs:
        print(f"  [{name}] {lib} ...", file=sys.stderr, flush=True)
        if fn is None:
            rows.append({"lib": lib, "error": f"not installed ({err})"})
            continue
        median, n, stats = time_call(lambda fn=fn: fn(gt, dt))
        rows.append({"lib": lib, "median_s": median, "n": n, "stats": stats})
    if softkit:
        median, n, _ = time_call(lambda: run_softkit_load_only(gt, dt, first_image))
        rows.append({"lib": "  softkit: load + check only (1 image evaluated)", "median_s": median, "n": n,
                     "stats": None})
    return rows


def print_table(title: str, rows: list[dict]) -> None:
    ref = next((r for r in rows if r["lib"] == "pycocotools" and "stats" in r), None)
    sk = next((r for r in rows if r["lib"].startswith("softkit.coco_eval") and "median_s" in r), None)
    print(f"\n### {title}\n")
    print("| library | median ms | calls | ratio vs softkit.coco_eval (lib / softkit) | pycocotools / lib |"
          " max abs diff of the 12 stats vs pycocotools |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['lib']} | {r['error']} | | | | |")
            continue
        ms = r["median_s"] * 1e3
        ratio = f"{r['median_s'] / sk['median_s']:.2f}" if sk else "n/a"
        speedup = f"{ref['median_s'] / r['median_s']:.1f}x" if ref else "n/a"
        if r["stats"] is None:
            diff = "(not compared)"
        elif ref is None:
            diff = "no pycocotools"
        else:
            diff = f"{max(abs(a - b) for a, b in zip(r['stats'], ref['stats'])):.3g}"
        print(f"| {r['lib']} | {ms:,.1f} | {r['n']} | {ratio} | {speedup} | {diff} |")
    if ref:
        print("\npycocotools stats: " + ", ".join(f"{s:.4f}" for s in ref["stats"]))


def versions() -> str:
    out = [f"python {platform.python_version()}", f"nproc {os.cpu_count()}"]
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
        out.append(model)
    except (OSError, StopIteration):
        pass
    from importlib import metadata

    for dist in ("softkit", "pycocotools", "faster-coco-eval", "hotcoco", "numpy"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} not installed")
    return ", ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["parity", "val2017"], help="run one input set")
    ap.add_argument("--cli", help="path to the softkit CLI binary (default: target/release/softkit)")
    ap.add_argument("--keep", help="write the synthetic files into this directory and keep them")
    args = ap.parse_args()
    cli = find_cli(args.cli)

    sets = []
    if args.only in (None, "parity"):
        sets.append(("parity set: coco-val2014-100 (100 images, fake bbox results)", PARITY_GT, PARITY_DT, None))
    tmp = None
    if args.only in (None, "val2017"):
        if args.keep:
            directory = Path(args.keep)
            directory.mkdir(parents=True, exist_ok=True)
        else:
            tmp = tempfile.mkdtemp(prefix="softkit-coco-bench-")
            directory = Path(tmp)
        t0 = time.perf_counter()
        gt, dt, counts = write_synthetic(directory)
        print(f"synthetic set written in {time.perf_counter() - t0:.1f} s: {counts}", file=sys.stderr)
        title = (f"synthetic, val2017 scale (seed {SEED}): {counts['images']:,} images, {counts['gt']:,} gt boxes "
                 f"({counts['crowd']} crowd), {counts['dt']:,} detections")
        sets.append((title, gt, dt, counts))
    try:
        results = []
        for title, gt, dt, _ in sets:
            first_image = min(img["id"] for img in json.loads(gt.read_text())["images"])
            results.append((title, bench_set(title.split(":")[0], gt, dt, cli, first_image)))
        print("\n## COCO bbox evaluation: load + evaluate + accumulate + summarize, from files\n")
        for title, rows in results:
            print_table(title, rows)
        print(f"\nsoftkit CLI: {cli if cli else 'not found'}")
        print(versions())
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
