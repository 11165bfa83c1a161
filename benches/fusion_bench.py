#!/usr/bin/env python3
"""Side-by-side benchmark for box fusion: softkit's ``weighted_boxes_fusion`` and
``non_maximum_weighted`` against ensemble-boxes 1.0.9, on the same inputs, in one run.

Run from the repository root after ``bash benches/setup.sh``:

    benches/.venv/bin/python benches/fusion_bench.py            # full sizes (about a minute on 2 cores)
    benches/.venv/bin/python benches/fusion_bench.py --quick    # the small scene only (targets not checked)

Every cell is one warm-up call, then at least 5 timed calls (up to ~1.5 s per cell; a reference
call above 20 s is timed once), and the MEDIAN in milliseconds. Outputs are compared after
sorting both by label and coordinates (ensemble-boxes sums in float32, softkit in float64).
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

import bench_common
from bench_common import fmt_ms, fmt_ratio, try_import

SEED = 20210401
# (models, boxes per model, labels): the two scenes.
SCENES = {"3x1000": (3, 1_000, 10), "5x20000": (5, 20_000, 10)}
TARGET_RATIO = 100.0  # WBF, 3 x 1,000: softkit at least 100x faster than ensemble-boxes


def scene(models: int, per_model: int, labels: int, seed: int = SEED):
    """Objects seen by every model with jitter, at detector-like density: each model reports
    `per_model` boxes, about 60% of them on objects (so objects fuse across models) and the rest
    false alarms."""
    rng = np.random.default_rng(seed)
    objects = int(per_model * 0.6)
    size = rng.uniform(0.01, 0.25, (objects, 2))
    corner = rng.uniform(0, 1 - size)
    truth = np.hstack([corner, corner + size])
    truth_labels = rng.integers(0, labels, objects)
    out = ([], [], [])
    for _ in range(models):
        jitter = rng.normal(0, 0.06, (objects, 4)) * np.tile(size, 2)
        b = np.clip(truth + jitter, 0, 1)
        false = rng.uniform(0, 0.9, (per_model - objects, 2))
        b = np.vstack([b, np.hstack([false, false + rng.uniform(0.01, 0.1, (per_model - objects, 2))])])
        b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 1e-3)
        lab = np.concatenate([truth_labels, rng.integers(0, labels, per_model - objects)])
        order = rng.permutation(per_model)
        out[0].append(b[order].astype(np.float64))
        out[1].append(rng.uniform(0.05, 1.0, per_model))
        out[2].append(lab[order])
    return out


def agreement(ours, theirs) -> str:
    """'agree' when every fused row of softkit has a row of ensemble-boxes with the same label within
    1e-6 (coordinates and score), one for one in number; else how many rows have none."""
    (ob, os_, ol), (tb, ts, tl) = ((np.asarray(x, np.float64) for x in r) for r in (ours, theirs))
    if len(ob) != len(tb):
        return f"differ ({len(ob)} vs {len(tb)} boxes)"
    worst, missing = 0.0, 0
    for label in np.unique(ol):
        mine = np.hstack([ob[ol == label], os_[ol == label][:, None]])
        other = np.hstack([tb[tl == label], ts[tl == label][:, None]])
        if len(mine) != len(other):
            return f"differ (label {label:g}: {len(mine)} vs {len(other)} boxes)"
        for k in range(0, len(mine), 256):  # nearest row, a block at a time
            d = np.abs(mine[k : k + 256, None, :] - other[None, :, :]).max(axis=2).min(axis=1)
            worst, missing = max(worst, float(d.max(initial=0))), missing + int((d > 1e-6).sum())
    return f"agree, max diff {worst:.1e}" if missing == 0 else f"differ ({missing} rows, max diff {worst:.1e})"


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the small scene only (targets are not checked)")
    args = ap.parse_args(argv)
    softkit, softkit_err = bench_common.import_softkit(("weighted_boxes_fusion", "non_maximum_weighted"))
    eb, eb_err = try_import("ensemble_boxes")
    if softkit is None or eb is None:
        print(f"cannot run: softkit: {softkit_err or 'ok'}; ensemble-boxes: {eb_err or 'ok'}")
        return 1
    warnings.simplefilter("ignore")
    methods = {
        "wbf": (softkit.weighted_boxes_fusion, eb.weighted_boxes_fusion),
        "nmw": (softkit.non_maximum_weighted, eb.non_maximum_weighted),
    }
    print("# Box fusion: softkit vs ensemble-boxes (median ms; ratio = ensemble-boxes / softkit)\n")
    print("| method | scene | boxes | softkit ms | ensemble-boxes ms | softkit faster by | output | target |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    missed = False
    for name, (models, per_model, labels) in SCENES.items():
        if args.quick and name != "3x1000":
            continue
        data = scene(models, per_model, labels)
        for method, (ours_fn, ref_fn) in methods.items():
            ms_ours, ours, reps_ours = bench_common.time_call(
                lambda: ours_fn(*data), budget_s=1.5, min_reps=5, max_reps=1000, skip_s=20.0
            )
            ms_ref, ref, reps_ref = bench_common.time_call(
                lambda: ref_fn(*data), budget_s=1.5, min_reps=5, max_reps=1000, skip_s=20.0
            )
            ratio = ms_ref / ms_ours
            target = ""
            if method == "wbf" and name == "3x1000":
                met = ratio >= TARGET_RATIO
                missed |= not met and not args.quick
                target = f">= {TARGET_RATIO:.0f}x: " + ("(at full size)" if args.quick else "met" if met else "MISSED")
            print(
                f"| {method} | {name} ({labels} labels) | {models * per_model} | {fmt_ms(ms_ours)} ({reps_ours}) | "
                f"{fmt_ms(ms_ref)} ({reps_ref}) | {fmt_ratio(ratio)} | {agreement(ours, ref)} | {target} |"
            )
            sys.stdout.flush()
    print(f"\nmachine: {bench_common.machine()}")
    print(f"versions: {bench_common.versions(('ensemble-boxes', 'numpy', 'numba'), softkit, None, flag_source_tree=True)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
