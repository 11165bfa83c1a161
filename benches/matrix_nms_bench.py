#!/usr/bin/env python3
"""Side-by-side benchmark for Matrix NMS: softkit's ``matrix_nms`` against the dense numpy
transcription of SOLOv2's ``matrix_nms`` (``python/tests/family_reference.py``, the suite's
reference), on the same inputs, in one run.

Run from the repository root with a Python whose softkit has ``matrix_nms``:

    benches/.venv/bin/python benches/matrix_nms_bench.py     # after `bash benches/setup.sh --softkit`
    .venv/bin/python benches/matrix_nms_bench.py             # the development build (`maturin develop`)

Every cell is one warm-up call, then at least 5 timed calls (up to ~1.5 s per cell, at most 1000),
and the MEDIAN in milliseconds. Before timing, the two outputs must be equal: the same kept
indices in the same order and the same decayed scores to 1e-9 relative (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import bench_common
from bench_common import fmt_ms, fmt_ratio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "tests"))
import family_reference  # noqa: E402  (the numpy transcription the tests check softkit against)

SEED = 20200324
N = 2_000
IMAGE = 1000.0
# (labels, scene name): SOLOv2 runs Matrix NMS over all classes at once with its label matrix.
SCENES = [(10, "10 labels"), (1, "1 label")]
KERNEL, SIGMA, SCORE_THRESHOLD = "gaussian", 2.0, 0.05  # SOLOv2's defaults
TARGET_RATIO = 10.0  # softkit at least 10x faster than numpy, in every cell


def scene(n: int, labels: int, seed: int = SEED):
    """nms_bench.py's dense scene: sides uniform in 8-60 px, each box wholly inside the 1000 x 1000
    image, float32 scores uniform in [0, 1), labels uniform over `labels` classes."""
    rng = np.random.default_rng(seed)
    wh = rng.uniform(8, 60, (n, 2))
    corner = rng.uniform(0, 1, (n, 2)) * (IMAGE - wh)
    boxes = np.hstack([corner, corner + wh]).astype(np.float32)
    scores = rng.random(n, dtype=np.float32)
    return boxes, scores, rng.integers(0, labels, n)


def agreement(ours, theirs) -> tuple[bool, str]:
    """Same kept indices in the same order, decayed scores within 1e-9 relative."""
    (ok, os_), (tk, ts) = ours, theirs
    if len(ok) != len(tk) or not np.array_equal(ok, tk):
        first = next((i for i, (a, b) in enumerate(zip(ok, tk)) if a != b), min(len(ok), len(tk)))
        return False, f"differ ({len(ok)} vs {len(tk)} kept, first difference at position {first})"
    worst = float(np.max(np.abs(os_ - ts) / np.abs(ts), initial=0.0))
    if worst > 1e-9:
        return False, f"differ (scores, max relative diff {worst:.1e})"
    return True, f"agree ({len(ok)} kept, max rel diff {worst:.1e})"


def main(argv) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args(argv)
    softkit, softkit_err = bench_common.import_softkit(("matrix_nms",))
    if softkit is None:
        print(f"cannot run: softkit: {softkit_err}")
        return 1
    print(f"# Matrix NMS ({KERNEL}, sigma {SIGMA}, score threshold {SCORE_THRESHOLD}): softkit vs numpy "
          "(median ms; ratio = numpy / softkit)\n")
    print("| scene | boxes | softkit ms | numpy ms | softkit faster by | output | target |")
    print("|---|---:|---:|---:|---:|---|---|")
    failed = False
    for labels, name in SCENES:
        boxes, scores, lab = scene(N, labels)
        lab_arg = lab if labels > 1 else None

        def ours():
            return softkit.matrix_nms(boxes, scores, kernel=KERNEL, sigma=SIGMA, score_threshold=SCORE_THRESHOLD,
                                      labels=lab_arg)

        def numpy_ref():
            return family_reference.matrix_nms(boxes, scores, lab_arg, kernel=KERNEL, sigma=SIGMA,
                                               score_threshold=SCORE_THRESHOLD)

        same, text = agreement(ours(), numpy_ref())  # checked before any timing
        if not same:
            print(f"| {name} | {N} | — | — | — | {text} | not timed |")
            failed = True
            continue
        ms_ours, _, reps_ours = bench_common.time_call(ours, budget_s=1.5, min_reps=5, max_reps=1000, skip_s=20.0)
        ms_ref, _, reps_ref = bench_common.time_call(numpy_ref, budget_s=1.5, min_reps=5, max_reps=1000, skip_s=20.0)
        ratio = ms_ref / ms_ours
        met = ratio >= TARGET_RATIO
        failed |= not met
        print(f"| {name} | {N} | {fmt_ms(ms_ours)} ({reps_ours}) | {fmt_ms(ms_ref)} ({reps_ref}) | "
              f"{fmt_ratio(ratio)} | "
              f"{text} | >= {TARGET_RATIO:.0f}x: {'met' if met else 'MISSED'} |")
        sys.stdout.flush()
    print("\n(n) after a time: the number of timed calls.")
    print(f"\nmachine: {bench_common.machine()}")
    print(f"versions: {bench_common.versions(('numpy',), softkit, None, flag_source_tree=True)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
