#!/usr/bin/env python3
"""Compares the burn and PyTorch spike runs run for run, beside the paper's Table 1.

    .venv/bin/python experiments/ghost-paper/torch/compare.py BURN/results.json TORCH/results.json

Both stacks start each (model, seed) from the same weights and see the same rows in the same
order, so a run's final test accuracy should agree across stacks where training is stable (the
controller). Runs that blow up (plain Adam, clipping after the spike) amplify the stacks' different
float32 rounding and need not agree. Prints, per (experiment, model, base lr, spike, method), the
median final test accuracy in each stack, the paper's figure where it has one, and the largest
per-run difference; exits 1 when a controller run differs by more than ``--tolerance``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ghostpaper_torch.plots import PAPER_TABLE1  # noqa: E402


def key(row):
    """The run a row belongs to, apart from its seed."""
    return (row["experiment"], row["model"], row["base_lr"], row["spike"], row["method"])


def main(argv=None) -> int:
    """Prints the table; returns 1 when a controller run differs by more than the tolerance."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("burn", type=Path)
    p.add_argument("torch", type=Path)
    p.add_argument("--tolerance", type=float, default=0.02)
    args = p.parse_args(argv)
    burn = {(*key(r), r["seed"]): r for r in json.loads(args.burn.read_text()) if "test_acc_curve" in r}
    torch_rows = {(*key(r), r["seed"]): r for r in json.loads(args.torch.read_text())}
    shared = sorted(set(burn) & set(torch_rows), key=str)
    if not shared:
        print("no run is in both files", file=sys.stderr)
        return 2
    groups = []
    for k in shared:
        if k[:5] not in groups:
            groups.append(k[:5])
    print(f"{'experiment':<15} {'model':<12} {'base_lr':>7} {'spike':>6} {'method':<6} {'runs':>4} "
          f"{'burn':>6} {'torch':>6} {'paper':>6} {'max |diff|':>10}")
    worst_ghost = 0.0
    for g in groups:
        ks = [k for k in shared if k[:5] == g]
        b = [burn[k]["final_test_acc"] for k in ks]
        t = [torch_rows[k]["final_test_acc"] for k in ks]
        diff = max(abs(x - y) for x, y in zip(b, t))
        if g[4] == "ghost":
            worst_ghost = max(worst_ghost, diff)
        paper = PAPER_TABLE1.get(g[1], {}).get(g[4]) if g[0] == "one_step_spike" and g[3] == 1e4 else None
        print(f"{g[0]:<15} {g[1]:<12} {g[2]:>7g} {g[3]:>6g} {g[4]:<6} {len(ks):>4} {statistics.median(b):>6.3f} "
              f"{statistics.median(t):>6.3f} {'' if paper is None else f'{paper:.3f}':>6} {diff:>10.3f}")
    verdict = "within" if worst_ghost <= args.tolerance else "NOT within"
    print(f"controller runs: largest per-run difference {worst_ghost:.3f}, {verdict} {args.tolerance}")
    return 0 if worst_ghost <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
