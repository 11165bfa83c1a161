"""``lr_spike.png`` and ``one_step_spike.png`` from the rows of results.json (matplotlib, Agg)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Dict, List, Sequence

import matplotlib

matplotlib.use("Agg")  # files only; never a display
import matplotlib.pyplot as plt  # noqa: E402

from .train import CURVE_EVERY, METHODS, SPIKE_STEP  # noqa: E402

STYLE = {"plain": ("Adam", "tab:red"), "clip": ("Adam + clip 1.0", "tab:orange"), "ghost": ("ghost controller", "tab:blue")}
NAMES = {"mlp": "MLP", "mlp_ln": "MLP + LayerNorm", "transformer": "Transformer", "cnn_bn": "CNN + BatchNorm"}
#: Table 1 of the paper: median final test accuracy at the x10^4 one-step spike.
PAPER_TABLE1 = {
    "transformer": {"plain": 0.318, "clip": 0.387, "ghost": 0.953},
    "mlp_ln": {"plain": 0.446, "clip": 0.515, "ghost": 0.939},
    "cnn_bn": {"plain": 0.134, "clip": 0.103, "ghost": 0.716},
}


def _steps(curve: Sequence[float], steps: int) -> List[int]:
    xs = [i * CURVE_EVERY for i in range(len(curve) - 1)]
    return xs + [steps]


def _median_curve(curves: List[List[float]]) -> List[float]:
    return [statistics.median(c[i] for c in curves) for i in range(min(len(c) for c in curves))]


def write_plots(out: Path, rows: List[Dict], steps: int) -> List[Path]:
    """Writes the figures whose experiments ``rows`` hold; returns the files written."""
    written = []
    sustained = [r for r in rows if r["experiment"] == "lr_spike"]
    if sustained:
        written.append(_lr_spike(out / "lr_spike.png", sustained, steps))
    one_step = [r for r in rows if r["experiment"] == "one_step_spike"]
    if one_step:
        written.append(_one_step(out / "one_step_spike.png", one_step))
    return written


def _lr_spike(path: Path, rows: List[Dict], steps: int) -> Path:
    panels = sorted({(r["spike"], r["base_lr"]) for r in rows})
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (spike, lr) in zip(axes[0], panels):
        for method in METHODS:
            curves = [r["test_acc_curve"] for r in rows if (r["spike"], r["base_lr"], r["method"]) == (spike, lr, method)]
            if curves:
                med = _median_curve(curves)
                label, colour = STYLE[method]
                ax.plot(_steps(med, steps), med, marker="o", ms=3, label=label, color=colour)
        ax.axvline(SPIKE_STEP, color="grey", ls=":", lw=1)
        ax.set(title=f"MLP: LR x{spike:g} from step {SPIKE_STEP}, base lr {lr:g}", xlabel="step",
               ylabel="test accuracy (median over seeds)", ylim=(0, 1))
        ax.legend(loc="lower right", fontsize=8)
    seeds = len({r["seed"] for r in rows})
    fig.suptitle(f"Sustained LR spike (PyTorch): median test accuracy over {seeds} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _one_step(path: Path, rows: List[Dict]) -> Path:
    models = [m for m in NAMES if any(r["model"] == m for r in rows)]
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        mine = [r for r in rows if r["model"] == model]
        spikes = sorted({r["spike"] for r in mine})
        for method in METHODS:
            label, colour = STYLE[method]
            finals = {s: [r["final_test_acc"] for r in mine if (r["spike"], r["method"]) == (s, method)] for s in spikes}
            ax.plot(spikes, [statistics.median(finals[s]) for s in spikes], marker="o", color=colour, label=label)
            for s in spikes:
                ax.scatter([s] * len(finals[s]), finals[s], s=8, color=colour, alpha=0.4)
            paper = PAPER_TABLE1.get(model, {}).get(method)
            if paper is not None:
                ax.scatter([1e4], [paper], marker="*", s=120, facecolors="none", edgecolors=colour,
                           label=f"paper: {label}")
        ax.set_xscale("log")
        ax.set(title=f"{NAMES[model]}: one-step LR spike", xlabel=f"spike multiplier at step {SPIKE_STEP}",
               ylabel="final test accuracy (median, dots: seeds)", ylim=(0, 1.02))
        ax.legend(loc="lower left", fontsize=7)
    seeds = len({r["seed"] for r in rows})
    fig.suptitle(f"One-step LR spike (PyTorch): final test accuracy over {seeds} seeds; stars: the paper's Table 1")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
