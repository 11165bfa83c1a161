#!/usr/bin/env python3
"""The ghost-paper spike experiments in PyTorch: ``results.json``, PNG plots and a summary.

Mirrors ``cargo run --release -p ghost-paper -- spike`` (same data, splits, seeded initial
weights, batch order, learning rates and spike timing; see ``ghostpaper_torch``), with
``softkit.ghost.torch.GhostOptimizer`` as the controller. From the repository root::

    .venv/bin/python experiments/ghost-paper/torch/run.py spike --out runs/torch-spike \\
        --data ../shared/data/digits/digits.csv.gz
    # one model, the x10^4 one-step spike only:
    .venv/bin/python experiments/ghost-paper/torch/run.py spike --experiments one_step_spike \\
        --models cnn_bn --spikes 10000 --out runs/torch-cnn

Defaults are the paper's: 5 seeds, 200 steps; the sustained x1000 spike on the MLP at base
learning rates 1e-4, 1e-3 and 1e-2 (batch 64), and the one-step spike of x10 to x10^4 at step 50
on MLP+LayerNorm, the transformer block and CNN+BatchNorm (full batch, lr 0.015). The digits come
from ``--data`` or ``$SOFTKIT_DIGITS``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from ghostpaper_torch import data as digits_data  # noqa: E402
from ghostpaper_torch.models import MODELS  # noqa: E402
from ghostpaper_torch.plots import PAPER_TABLE1, write_plots  # noqa: E402
from ghostpaper_torch.train import SPIKE_STEP, lr_spike, one_step_spike  # noqa: E402

EXPERIMENTS = ("lr_spike", "one_step_spike")


def _floats(text: str):
    values = [float(v) for v in text.split(",") if v.strip()]
    bad = [v for v in values if not (math.isfinite(v) and v > 0)]
    if not values or bad:
        raise argparse.ArgumentTypeError(f"{text!r}: expected positive, finite numbers separated by commas")
    return values


def _names(allowed):
    def parse(text: str):
        names = [v.strip() for v in text.split(",") if v.strip()]
        bad = [n for n in names if n not in allowed]
        if not names or bad:
            raise argparse.ArgumentTypeError(f"{text!r}: expected some of {', '.join(allowed)}")
        return names

    return parse


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="run.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("spike", help="the sustained x1000 spike (MLP) and the one-step spike (three models)")
    s.add_argument("--out", type=Path, required=True, help="directory for results.json and the plots (created if missing)")
    s.add_argument("--data", help="digits.csv.gz; default $SOFTKIT_DIGITS")
    s.add_argument("--seeds", type=int, default=5, help="seeds 0..N (split, initial weights, batches)")
    s.add_argument("--steps", type=int, default=200, help="training steps per run")
    s.add_argument("--experiments", type=_names(EXPERIMENTS), default=list(EXPERIMENTS))
    s.add_argument("--base-lrs", type=_floats, default=[1e-4, 1e-3, 1e-2], help="sustained spike's base rates")
    s.add_argument("--lr-spike", type=_floats, default=[1000.0], help="sustained spike's multiplier")
    s.add_argument("--models", type=_names(("mlp_ln", "transformer", "cnn_bn", "mlp")),
                   default=["mlp_ln", "transformer", "cnn_bn"], help="one-step spike's networks")
    s.add_argument("--spikes", type=_floats, default=[10.0, 100.0, 1000.0, 10000.0], help="one-step multipliers")
    s.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    s.add_argument("--quiet", action="store_true", help="no line per run")
    return p


def summary(rows) -> str:
    """Medians over seeds per (experiment, model, base lr, spike, method), with the paper's Table 1
    beside the x10^4 one-step rows."""
    lines = [f"{'experiment':<16} {'model':<12} {'base_lr':>8} {'spike':>7} {'method':<6} {'test_acc':>8} "
             f"{'loss':>9} {'max_r':>8} {'paper':>6}"]
    groups = []
    for r in rows:
        key = (r["experiment"], r["model"], r["base_lr"], r["spike"], r["method"])
        if key not in groups:
            groups.append(key)
    for key in groups:
        runs = [r for r in rows if (r["experiment"], r["model"], r["base_lr"], r["spike"], r["method"]) == key]
        med = lambda f: statistics.median(math.nan if r[f] is None else r[f] for r in runs)  # noqa: E731
        paper = PAPER_TABLE1.get(key[1], {}).get(key[4]) if key[0] == "one_step_spike" and key[3] == 1e4 else None
        lines.append(f"{key[0]:<16} {key[1]:<12} {key[2]:>8g} {key[3]:>7g} {key[4]:<6} {med('final_test_acc'):>8.3f} "
                     f"{med('final_loss'):>9.4f} {med('max_r'):>8.2f} {'' if paper is None else f'{paper:.3f}':>6}")
    lines.append("(medians over seeds; paper: Table 1 of Sao 2026 at the x10^4 one-step spike)")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Runs the experiments, writes results.json and the plots, prints the summary."""
    args = parser().parse_args(argv)
    if args.seeds < 1:
        raise SystemExit(f"--seeds {args.seeds} must be at least 1")
    if args.steps <= SPIKE_STEP:
        raise SystemExit(f"--steps {args.steps} must exceed the spike's step {SPIKE_STEP}")
    torch.set_num_threads(args.threads)
    pixels, labels = digits_data.load_digits(digits_data.locate(args.data))
    start = time.perf_counter()

    def progress(row):
        if not args.quiet:
            print(f"{row['experiment']} {row['model']} lr {row['base_lr']:g} x{row['spike']:g} seed {row['seed']} "
                  f"{row['method']}: acc {row['final_test_acc']:.3f}, max r {row['max_r']}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)

    rows = []
    if "lr_spike" in args.experiments:
        rows += lr_spike(pixels, labels, args.seeds, args.steps, args.base_lrs, args.lr_spike[0], progress)
    if "one_step_spike" in args.experiments:
        rows += one_step_spike(pixels, labels, args.seeds, args.steps, args.models, args.spikes, progress)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    written = [args.out / "results.json"] + write_plots(args.out, rows, args.steps)
    print(summary(rows))
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
