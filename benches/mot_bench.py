"""softkit's MOT metrics and tracker side by side with py-motmetrics and TrackEval, on the same
synthetic sequence, in one run.

Run with a Python that has softkit installed (benches/.venv after `bash benches/setup.sh`, or the
test venv .venv), and point --mot-python at a venv with py-motmetrics 1.4.0 and trackeval
(`python3 -m venv .venv-mot && .venv-mot/bin/pip install -r python/requirements-mot.txt`):

    benches/.venv/bin/python benches/mot_bench.py --mot-python .venv-mot/bin/python

It writes a 2,000-frame sequence with 60 objects and a noisy tracker output (misses, fragments,
id swaps, false alarms), times `softkit mot-eval` (the CLI, --cli) and `softkit.track.mot_metrics`
against py-motmetrics (accumulate + compute) and TrackEval's HOTA (data dict + eval_sequence), checks
that every number agrees, and times the ByteTracker through Python at 100 and 1,000 objects per frame.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import softkit
from softkit import track

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent / "python" / "tests" / "mot_reference.py"
SEED = 2026


def write_sequence(directory: Path, frames=2000, objects=60):
    rng = np.random.default_rng(SEED)
    start = rng.uniform(0, 1800, (objects, 2))
    speed = rng.normal(0, 3, (objects, 2))
    size = rng.uniform(20, 80, objects)
    label = np.arange(objects) + 1000
    next_label = 5000
    gt_rows, hyp_rows = [], []
    for t in range(1, frames + 1):
        pos = (start + speed * t) % 1900
        if rng.random() < 0.05:
            a, b = rng.choice(objects, 2, replace=False)
            label[a], label[b] = label[b], label[a]
        for k in range(objects):
            x, y, w = pos[k, 0], pos[k, 1], size[k]
            gt_rows.append(f"{t},{k + 1},{x:.2f},{y:.2f},{w:.2f},{2 * w:.2f},1,-1,-1,-1")
            if rng.random() < 0.002:
                label[k] = next_label
                next_label += 1
            if rng.random() < 0.05:
                continue
            j = rng.normal(0, 2, 4)
            hyp_rows.append(f"{t},{label[k]},{x + j[0]:.2f},{y + j[1]:.2f},{max(0, w + j[2]):.2f},{max(0, 2 * w + j[3]):.2f},1,-1,-1,-1")
        for _ in range(rng.poisson(1.0)):
            hyp_rows.append(f"{t},{next_label},{rng.uniform(0, 1900):.2f},{rng.uniform(0, 1900):.2f},40.00,80.00,1,-1,-1,-1")
            next_label += 1
    gt, hyp = directory / "gt.txt", directory / "test.txt"
    gt.write_text("\n".join(gt_rows) + "\n")
    hyp.write_text("\n".join(hyp_rows) + "\n")
    return gt, hyp


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


REFERENCE_TIMING = r"""
import json, sys, time
sys.path.insert(0, sys.argv[3])
import mot_reference as ref
gt, hyp = sys.argv[1], sys.argv[2]
t0 = time.perf_counter(); numbers = ref.motmetrics_numbers(gt, hyp); t1 = time.perf_counter()
numbers.update(ref.hota_numbers(gt, hyp)); t2 = time.perf_counter()
print(json.dumps({"numbers": numbers, "motmetrics_s": t1 - t0, "trackeval_s": t2 - t1}))
"""


def tracker_fps(objects, frames=300):
    rng = np.random.default_rng(objects)
    start = rng.uniform(0, 20 * np.sqrt(objects) * 10, (objects, 2))
    speed = rng.normal(0, 2, (objects, 2))
    size = rng.uniform(20, 60, (objects, 1))
    tracker = track.ByteTracker()
    per_frame = []
    for t in range(frames):
        xy = start + speed * t + rng.normal(0, 1, (objects, 2))
        boxes = np.hstack([xy, xy + np.hstack([size, 2 * size])])
        scores = rng.uniform(0.3, 1.0, objects)
        t0 = time.perf_counter()
        tracker.update(boxes, scores)
        per_frame.append(time.perf_counter() - t0)
    return 1.0 / statistics.median(per_frame)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mot-python", required=True, help="python of a venv with motmetrics 1.4.0 and trackeval")
    ap.add_argument("--cli", default=str(HERE.parent / "target" / "release" / "softkit"), help="the softkit CLI")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"softkit {softkit.__version__}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        gt, hyp = write_sequence(Path(tmp))
        ours = track.mot_metrics(gt, hyp)
        py_s = median_seconds(lambda: track.mot_metrics(gt, hyp), args.repeats)
        clear_s = median_seconds(lambda: track.mot_metrics(gt, hyp, hota=False), args.repeats)
        cli_s = cli_clear_s = None
        if Path(args.cli).exists():
            def cli(*extra):
                subprocess.run([args.cli, "mot-eval", "--gt", gt, "--tracks", hyp, *extra], check=True, capture_output=True)

            cli_s = median_seconds(cli, args.repeats)
            cli_clear_s = median_seconds(lambda: cli("--no-hota"), args.repeats)
        done = subprocess.run([args.mot_python, "-c", REFERENCE_TIMING, str(gt), str(hyp), str(REFERENCE.parent)],
                              capture_output=True, text=True, check=True)
        ref = json.loads(done.stdout)
    worst = max(abs(ours[k] - v) for k, v in ref["numbers"].items())
    print(f"\n2,000 frames x 60 objects: every metric agrees to {worst:.1e} "
          f"(IDF1 {ours['idf1']:.4f}, MOTA {ours['mota']:.4f}, HOTA {ours['hota']:.4f})")
    reference_s = ref["motmetrics_s"] + ref["trackeval_s"]
    print(f"py-motmetrics (CLEAR-MOT + IDF1): {ref['motmetrics_s']:.3f} s; with TrackEval's HOTA: {reference_s:.3f} s")
    print(f"{'softkit (files read inside every timing)':44} {'seconds':>8} {'faster than the reference':>26}")
    rows = [("mot_metrics(hota=False) vs py-motmetrics", clear_s, ref["motmetrics_s"]),
            ("mot-eval --no-hota (a process) vs py-motmetrics", cli_clear_s, ref["motmetrics_s"]),
            ("mot_metrics vs py-motmetrics + TrackEval", py_s, reference_s),
            ("mot-eval (a process) vs py-motmetrics + TrackEval", cli_s, reference_s)]
    for name, secs, reference in rows:
        if secs is None:
            print(f"{name:44} {'n/a':>8}")
        else:
            print(f"{name:44} {secs:8.3f} {reference / secs:25.1f}x")
    print("\nByteTracker through Python (median per frame):")
    for n in (100, 1000):
        print(f"  {n:5} objects per frame: {tracker_fps(n):8.0f} frames per second")


if __name__ == "__main__":
    main()
