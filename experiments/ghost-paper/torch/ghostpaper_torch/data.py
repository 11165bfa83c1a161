"""The digits (sklearn's 8x8, pixels / 16), the workspace's seeded generator and the splits.

Every function here reproduces its burn counterpart in ``experiments/ghost-paper/src/data.rs``
and ``run.rs`` draw for draw, so both stacks train on the same rows in the same order.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

#: Pixels per image.
PIXELS = 64
#: Classes.
CLASSES = 10
#: The test share of every split.
TEST_FRACTION = 0.2
#: The environment variable that names the digits file when ``--data`` does not.
DATA_ENV = "SOFTKIT_DIGITS"

_MASK = (1 << 64) - 1


class Rng:
    """SplitMix64, as ``softkit_sim::Rng``: the same seed gives the same draws in both stacks."""

    def __init__(self, seed: int):
        self.state = seed & _MASK

    def next_u64(self) -> int:
        """The next 64-bit output."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def unit(self) -> float:
        """Uniform in ``[0, 1)`` with 53 random bits."""
        return (self.next_u64() >> 11) / float(1 << 53)

    def normal(self) -> float:
        """A standard normal draw (Box-Muller, cosine branch)."""
        u = 1.0 - self.unit()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(math.tau * self.unit())

    def below(self, n: int) -> int:
        """Uniform in ``0..n`` (modulo, as the Rust generator)."""
        return self.next_u64() % n

    def shuffle(self, items: list) -> None:
        """Fisher-Yates in place, from the back."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def locate(flag: Optional[str]) -> Path:
    """``--data`` when given, else ``$SOFTKIT_DIGITS`` when set and not empty; else a clear error."""
    if flag:
        return Path(flag)
    env = os.environ.get(DATA_ENV, "")
    if env:
        return Path(env)
    raise SystemExit(
        f"no digits data: pass --data PATH or set {DATA_ENV}=PATH to sklearn's digits as gzipped CSV "
        "(the file is ../shared/data/digits/digits.csv.gz beside the repository)"
    )


def load_digits(path: Path) -> Tuple[np.ndarray, np.ndarray]:
    """``(pixels / 16 as float32 [rows, 64], labels as int64 [rows])`` from ``digits.csv.gz``."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", ndmin=2)
    if table.shape[1] != PIXELS + 1:
        raise ValueError(f"{path}: {table.shape[1]} columns, expected {PIXELS + 1} (64 pixels and a label)")
    # Divide in float32, as the Rust loader does, so both stacks see the same bits.
    pixels = table[:, :PIXELS].astype(np.float32) / np.float32(16.0)
    return pixels, table[:, PIXELS].astype(np.int64)


def stratified(labels: Sequence[int], seed: int) -> Tuple[List[int], List[int]]:
    """``(train rows, test rows)``: each class gives its share (largest remainders) of
    ``floor(0.2 n)`` test rows, drawn by a seeded shuffle (1,438 / 359 on the digits)."""
    n = len(labels)
    n_test = math.floor(n * TEST_FRACTION)
    by_class: List[List[int]] = [[] for _ in range(CLASSES)]
    for row, label in enumerate(labels):
        by_class[int(label)].append(row)
    exact = [len(c) * n_test / n for c in by_class]
    quota = [math.floor(q) for q in exact]
    order = sorted(range(CLASSES), key=lambda c: (-(exact[c] - math.floor(exact[c])), c))
    for c in order[: n_test - sum(quota)]:
        quota[c] += 1
    rng = Rng(seed ^ 0x5EED5917)
    train: List[int] = []
    test: List[int] = []
    for rows, take in zip(by_class, quota):
        rng.shuffle(rows)
        test.extend(rows[:take])
        train.extend(rows[take:])
    return sorted(train), sorted(test)


def head(rows: int) -> Tuple[List[int], List[int]]:
    """The paper's split for the one-step spike: the first 20% of rows are the test set."""
    n_test = math.floor(rows * TEST_FRACTION)
    return list(range(n_test, rows)), list(range(n_test))


class Batches:
    """Mini-batch row lists: consecutive slices of a fresh seeded permutation each epoch."""

    def __init__(self, rows: int, size: Optional[int], seed: int):
        self.order = list(range(rows))
        self.size = size
        self.next_row = rows
        self.rng = Rng(seed ^ 0x0BA7C4E5)

    def next(self) -> Optional[List[int]]:
        """The next batch's rows (indices into the training rows), or ``None`` for full batch."""
        if self.size is None:
            return None
        size = min(self.size, len(self.order))
        if self.next_row + size > len(self.order):
            self.rng.shuffle(self.order)
            self.next_row = 0
        self.next_row += size
        return self.order[self.next_row - size : self.next_row]
