#!/usr/bin/env python3
"""Overhead of the ghost-radius step controller (softkit.ghost.torch.GhostOptimizer) on CPU.

A *step* is one whole training iteration: zero_grad, forward, cross-entropy, backward and the
optimiser step. The controlled step adds the snapshot, the logit JVP along the update (at the
parameters before the step), rho_a on the host and the rescale. Every variant uses the same
model, batch and Adam (lr 1e-3); ratios are controlled / plain. Two controlled variants:

- radius on the batch: the JVP runs on the whole training batch (the default use);
- radius on 1/FRACTION batch: ``step(inputs=x[: B // FRACTION])``, the cheaper, less
  conservative option (rho_a is a max over samples, so fewer samples give a larger radius).

The forward-mode JVP costs about a forward plus a backward pass (a linear layer's tangent is two
matrix products, its primal one), so with the radius on the whole batch a controlled step is
close to 2x a plain one when matrix products dominate.

Run from the repository root, in the project venv (which has torch):

    .venv/bin/python benches/ghost_torch_bench.py              # MLP and transformer block (~30 s)
    .venv/bin/python benches/ghost_torch_bench.py --resnet     # also ResNet-18, batch 32 at 224x224 (slow)
    .venv/bin/python benches/ghost_torch_bench.py --threads 1 --repeats 9 --json out.json

Timing: one warm-up round, then ``--repeats`` rounds; each round times ``--steps`` steps of each
variant back to back (rotating which goes first), and the table reports the median per-step
time over the rounds, in ms. ResNet-18 uses 1 step x 3 rounds. Target: at most 1.6x for MLP and transformer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F

from softkit.ghost.torch import GhostOptimizer

TARGET = 1.6


class Block(nn.Module):
    """A pre-norm transformer encoder block with a mean-pooled classification head."""

    def __init__(self, d: int = 128, heads: int = 4, ff: int = 512, vocab: int = 1000, classes: int = 10):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.block = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, batch_first=True, norm_first=True)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        return self.head(self.norm(self.block(self.embed(tokens))).mean(dim=1))


def mlp_case():
    model = nn.Sequential(nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    return "MLP 64-512-512-10, batch 256", model, torch.randn(256, 64), torch.randint(0, 10, (256,))


def block_case():
    model = Block()
    tokens = torch.randint(0, 1000, (32, 64))
    return "transformer block d128 h4 ff512, batch 32 x seq 64", model, tokens, torch.randint(0, 10, (32,))


def resnet_case():
    import torchvision

    model = torchvision.models.resnet18(num_classes=1000)
    return "ResNet-18, batch 32 x 3x224x224", model, torch.randn(32, 3, 224, 224), torch.randint(0, 1000, (32,))


def train_step(model, opt, x, y, radius):
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    if radius is None:
        opt.step()
    else:
        opt.step(inputs=radius)


def run_case(case, steps: int, repeats: int, fraction: int) -> dict:
    name, model, x, y = case
    model.train()
    plain = torch.optim.Adam(model.parameters(), lr=1e-3)
    records = []
    ghost = GhostOptimizer(torch.optim.Adam(model.parameters(), lr=1e-3), model, log=records.append)
    sub = x[: max(1, x.shape[0] // fraction)]
    variants = {"plain": (plain, None), "ghost": (ghost, x), "ghost_sub": (ghost, sub)}

    def timed(key):
        opt, radius = variants[key]
        t0 = time.perf_counter()
        for _ in range(steps):
            train_step(model, opt, x, y, radius)
        return (time.perf_counter() - t0) / steps * 1e3

    for key in variants:  # warm-up: allocators, forward-AD decompositions, Adam state
        timed(key)
    times = {key: [] for key in variants}
    order = list(variants)
    for i in range(repeats):  # rotate the order so that drift in machine load hits every variant
        for key in order[i % 3 :] + order[: i % 3]:
            times[key].append(timed(key))
    med = {key: statistics.median(t) for key, t in times.items()}
    return {
        "case": name,
        "params": sum(p.numel() for p in model.parameters()),
        "plain_ms": med["plain"],
        "ghost_ms": med["ghost"],
        "ratio": med["ghost"] / med["plain"],
        "ghost_sub_ms": med["ghost_sub"],
        "ratio_sub": med["ghost_sub"] / med["plain"],
        "radius_sub_batch": int(sub.shape[0]),
        "max_r": max(r.r for r in records),
        "steps": steps,
        "repeats": repeats,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resnet", action="store_true", help="also ResNet-18 at batch 32, 224x224 (slow on 2 cores)")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    ap.add_argument("--steps", type=int, default=10, help="steps per timed round (MLP/transformer)")
    ap.add_argument("--repeats", type=int, default=7, help="timed rounds; the median is reported")
    ap.add_argument("--fraction", type=int, default=4, help="the sub-batch radius uses batch // FRACTION samples")
    ap.add_argument("--json", default=None, help="write the rows to this file")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    cases = [(mlp_case(), args.steps, args.repeats), (block_case(), args.steps, args.repeats)]
    if args.resnet:
        try:
            cases.append((resnet_case(), 1, 3))
        except ImportError as e:
            print(f"ResNet-18: torchvision not importable ({e})")
    rows = []
    print(
        f"\n| case | params | plain Adam step (ms) | controlled, radius on the batch (ms) | ratio "
        f"| controlled, radius on 1/{args.fraction} batch (ms) | ratio | max r |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, steps, repeats in cases:
        row = run_case(case, steps, repeats, args.fraction)
        rows.append(row)
        print(
            f"| {row['case']} | {row['params']:,} | {row['plain_ms']:.2f} | {row['ghost_ms']:.2f} | "
            f"{row['ratio']:.2f}x | {row['ghost_sub_ms']:.2f} | {row['ratio_sub']:.2f}x | {row['max_r']:.3g} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    print(f"\ntarget: at most {TARGET}x for the MLP and the transformer block")
    for r in rows:
        if "ResNet" not in r["case"]:
            verdict = lambda x: "meets" if x <= TARGET else "over"  # noqa: E731
            print(f"  {r['case']}: full batch {verdict(r['ratio'])}, sub-batch {verdict(r['ratio_sub'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
