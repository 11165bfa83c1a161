"""One training run (Adam, clipping or the ghost controller) and the two spike experiments.

Mirrors ``experiments/ghost-paper/src/run.rs`` and ``experiments.rs``: Adam with epsilon 1e-8,
clipping to global norm 1, the radius measured every step on the whole training split (the
paper's choice) for every method, and only the controller acting on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch.nn import functional as F

from softkit.ghost.torch import GhostOptimizer, ghost_scale, snapshot

from .data import Batches, head, stratified
from .models import build

#: The step at which both spikes start.
SPIKE_STEP = 50
#: Test accuracy is recorded every this many steps (from step 0, and after the last).
CURVE_EVERY = 10
#: Gradient clipping's global norm in the baseline.
CLIP_NORM = 1.0
#: PyTorch's Adam epsilon (burn's runs set the same).
ADAM_EPSILON = 1e-8
#: The methods, in the order the experiments run them.
METHODS = ("plain", "clip", "ghost")
#: The one-step spike's learning rate (full batch).
ONE_STEP_LR = 0.015


class SplitData:
    """The rows of one split as float32 tensors: training pixels and labels, test pixels and labels."""

    def __init__(self, pixels: np.ndarray, labels: np.ndarray, train: Sequence[int], test: Sequence[int]):
        self.train_x = torch.from_numpy(pixels[list(train)])
        self.train_y = torch.from_numpy(labels[list(train)])
        self.test_x = torch.from_numpy(pixels[list(test)])
        self.test_y = torch.from_numpy(labels[list(test)])

    def test_accuracy(self, model) -> float:
        """Share of test rows whose largest logit (lowest index on ties, NaN never wins) is the label."""
        return accuracy(_eval_logits(model, self.test_x), self.test_y)

    def train_loss(self, model, t: float = 1.0) -> float:
        """Mean training cross-entropy of ``CE(z / t)`` in eval mode; NaN once logits are not finite."""
        z = _eval_logits(model, self.train_x).double() / t
        if not bool(torch.isfinite(z).all()):
            return math.nan
        return float(F.cross_entropy(z, self.train_y))


def _eval_logits(model, x):
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x)
    finally:
        model.train(was)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """As burn's ``accuracy``: argmax with ties to the lowest index, NaN never the winner, and a
    row with no number at all a miss."""
    clean = torch.nan_to_num(logits, nan=-math.inf)
    best = clean.argmax(dim=1)
    hit = (best == labels) & ~torch.isnan(logits).all(dim=1)
    return float(hit.double().mean()) if len(labels) else 0.0


@dataclass(frozen=True)
class Schedule:
    """``constant``, ``spike_from`` (``base * spike`` from ``step`` on) or ``spike_at`` (only at ``step``)."""

    kind: str = "constant"
    step: int = SPIKE_STEP
    spike: float = 1.0

    def lr(self, base: float, step: int) -> float:
        """The learning rate at ``step``."""
        if self.kind == "spike_from" and step >= self.step:
            return base * self.spike
        if self.kind == "spike_at" and step == self.step:
            return base * self.spike
        return base


@dataclass(frozen=True)
class TrainSpec:
    """What to train: steps, batch (``None`` = full), base lr, schedule, method and the seed of
    the initial weights and the batch order."""

    steps: int
    batch: Optional[int]
    base_lr: float
    schedule: Schedule
    method: str
    seed: int


@dataclass
class Trained:
    """A finished run: the model, the test-accuracy curve, the largest ``r`` applied, and every
    step's ``rho_a`` (NaN where it could not be measured)."""

    model: torch.nn.Module
    test_acc_curve: List[float]
    max_r: float
    rho_a: List[float]


def train(model: torch.nn.Module, data: SplitData, spec: TrainSpec) -> Trained:
    """Trains ``model`` as ``spec`` says. Every method measures the radius on the whole training
    split each step; only ``ghost`` rescales its update by it (``mode="cap"``)."""
    if spec.method not in METHODS:
        raise ValueError(f"unknown method {spec.method!r}; expected one of {METHODS}")
    adam = torch.optim.Adam(model.parameters(), lr=spec.base_lr, eps=ADAM_EPSILON)
    records = []
    ghost = None
    if spec.method == "ghost":
        ghost = GhostOptimizer(adam, model, radius_batch=data.train_x, log=records.append)
    batches = Batches(len(data.train_y), spec.batch, spec.seed)
    curve: List[float] = []
    applied: List[float] = []
    rhos: List[float] = []
    model.train()
    for step in range(spec.steps):
        if step % CURVE_EVERY == 0:
            curve.append(data.test_accuracy(model))
        rows = batches.next()
        x, y = (data.train_x, data.train_y) if rows is None else (data.train_x[rows], data.train_y[rows])
        adam.zero_grad()
        F.cross_entropy(model(x), y).backward()
        if spec.method == "clip":
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        for group in adam.param_groups:
            group["lr"] = spec.schedule.lr(spec.base_lr, step)
        if ghost is not None:
            ghost.step()
            applied.append(records[-1].r)
            rhos.append(records[-1].rho_a)
        else:
            r, rho = _observed_step(model, adam, data.train_x)
            applied.append(r)
            rhos.append(rho)
    curve.append(data.test_accuracy(model))
    finite = [r for r in applied if not math.isnan(r)]
    return Trained(model, curve, max(finite) if finite else math.nan, rhos)


def _observed_step(model, adam, probe) -> tuple:
    """Adam's step as it is, with its ``(r, rho_a)`` measured as the controller would; a radius
    that cannot be measured (the baseline has diverged) is NaN and the run goes on, as burn's
    observing controller does."""
    before = snapshot(model)
    adam.step()
    try:
        rec = ghost_scale(model, before, None, probe)
    except ValueError:
        return math.nan, math.nan
    return rec.r_proposed, rec.rho_a


def run_record(experiment: str, model_kind: str, spec: TrainSpec, spike: float, data: SplitData) -> Dict:
    """Trains one run and returns its results.json row (the burn crate's fields, plus the radius
    at the first step, ``first_rho_a``)."""
    trained = train(build(model_kind, spec.seed), data, spec)
    return {
        "experiment": experiment,
        "model": model_kind,
        "method": spec.method,
        "base_lr": spec.base_lr,
        "spike": spike,
        "seed": spec.seed,
        "final_test_acc": trained.test_acc_curve[-1],
        "final_loss": _finite_or_none(data.train_loss(trained.model)),
        "max_r": _finite_or_none(trained.max_r),
        "first_rho_a": _finite_or_none(trained.rho_a[0] if trained.rho_a else math.nan),
        "test_acc_curve": trained.test_acc_curve,
    }


def _finite_or_none(v: float):
    return v if math.isfinite(v) else None


def lr_spike(pixels, labels, seeds: int, steps: int, base_lrs: Sequence[float], spike: float,
             progress: Callable[[Dict], None] = lambda row: None) -> List[Dict]:
    """Sustained spike: the MLP, Adam at batch 64, lr x ``spike`` from step 50, per base lr, on
    the seed's stratified split."""
    rows = []
    for base_lr in base_lrs:
        for seed in range(seeds):
            data = SplitData(pixels, labels, *stratified(labels, seed))
            for method in METHODS:
                spec = TrainSpec(steps, 64, base_lr, Schedule("spike_from", SPIKE_STEP, spike), method, seed)
                rows.append(run_record("lr_spike", "mlp", spec, spike, data))
                progress(rows[-1])
    return rows


def one_step_spike(pixels, labels, seeds: int, steps: int, models: Sequence[str], spikes: Sequence[float],
                   progress: Callable[[Dict], None] = lambda row: None) -> List[Dict]:
    """One-step spike: full-batch Adam at lr 0.015, lr x ``spike`` at step 50 only, on the
    paper's split (the first 20% of rows are the test set)."""
    data = SplitData(pixels, labels, *head(len(labels)))
    rows = []
    for model in models:
        for spike in spikes:
            for seed in range(seeds):
                for method in METHODS:
                    schedule = Schedule("spike_at", SPIKE_STEP, spike)
                    spec = TrainSpec(steps, None, ONE_STEP_LR, schedule, method, seed)
                    rows.append(run_record("one_step_spike", model, spec, spike, data))
                    progress(rows[-1])
    return rows


def first_step(model: torch.nn.Module, data: SplitData, lr: float = ONE_STEP_LR):
    """The first step of the one-step spike's runs in float64: full-batch cross-entropy, Adam
    (epsilon 1e-8) at ``lr``, measured by the controller on the whole training split. Returns the
    step's ``GhostRecord`` (``step_norm``, ``rho_a``, ...); ``model`` is converted to float64 and
    moved by the (capped) step."""
    model.double().train()
    x, y = data.train_x.double(), data.train_y
    adam = torch.optim.Adam(model.parameters(), lr=lr, eps=ADAM_EPSILON)
    records = []
    ghost = GhostOptimizer(adam, model, radius_batch=x, log=records.append)
    F.cross_entropy(model(x), y).backward()
    ghost.step()
    return records[0]
