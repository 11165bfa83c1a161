"""What the side-by-side benchmarks share: optional imports, the timing rule, the machine."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable


def try_import(name):
    """(module, None), or (None, why) when it cannot be imported: a peer that is missing gives
    "not installed" rows, never a failure."""
    try:
        return __import__(name), None
    except Exception as e:  # noqa: BLE001 - any import failure means "not installed"
        return None, f"{type(e).__name__}: {e}"


def time_call(
    fn: Callable[[], object], *, budget_s: float, min_reps: int, max_reps: int, skip_s: float
) -> tuple[float, object, int]:
    """One warm-up call, then at least `min_reps` timed calls (more, up to `max_reps`, while they
    fit in about `budget_s`). Returns (median ms, the warm-up's output, reps). A warm-up longer
    than `skip_s` (the skip prediction under-shot) is all the cell gets."""
    t0 = time.perf_counter()
    out = fn()
    warm = time.perf_counter() - t0
    if warm > skip_s:
        return warm * 1e3, out, 1
    reps = int(min(max_reps, max(min_reps, budget_s / max(warm, 1e-7))))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, out, reps


def machine() -> dict:
    """Cores, CPU model, Python, and the cores this process may use."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}
    try:
        info["sched_affinity"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    return info
