"""What the side-by-side benchmarks share: optional imports, the timing rule, the machine, and the
harness of rotated_bench.py and geom3_bench.py (rows, cells, tables, targets, command line)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np


def try_import(name):
    """(module, None), or (None, why) when it cannot be imported: a peer that is missing gives
    "not installed" rows, never a failure."""
    try:
        return __import__(name), None
    except Exception as e:  # noqa: BLE001 - any import failure means "not installed"
        return None, f"{type(e).__name__}: {e}"


def import_softkit(required: tuple[str, ...]):
    """try_import("softkit"), treating a softkit without every function of `required` as missing
    ("softkit is importable but lacks nms/soft_nms")."""
    softkit, err = try_import("softkit")
    if softkit is not None and not all(hasattr(softkit, f) for f in required):
        return None, f"softkit is importable but lacks {'/'.join(required)}"
    return softkit, err


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


# --------------------------------------------------------------------------------------------
# The harness of rotated_bench.py and geom3_bench.py: rows, libraries, cells, tables, targets
# and the command line. (nms_bench.py keeps its own: its cells and columns differ.)

# Their timing budget: one warm-up call, then MIN_REPS to MAX_REPS timed calls in about
# CELL_BUDGET_S; a call predicted (or, warm-up, measured) above SKIP_SECONDS is all a cell gets.
SKIP_SECONDS = 20.0
CELL_BUDGET_S = 1.5
MIN_REPS, MAX_REPS = 5, 1000
SCORE_TOL = 1e-5  # decayed scores closer than this agree


@dataclass
class Out:
    """What a timed call returns: the kept indices and, for Soft-NMS, their decayed scores."""

    idx: np.ndarray  # int64 kept indices
    scores: Optional[np.ndarray] = None  # decayed scores (Soft-NMS)


def agreement(ref: Out, out: Out, ordered: bool = False, score_tol: float = SCORE_TOL) -> tuple[str, Optional[dict]]:
    """'agree' or 'differ (n)' on the kept SETS (n = indices only one side kept), and a detail dict
    for the JSON dump, or None. With `ordered`, or scores on both sides, the selection order is
    checked too; with scores, also the scores (within `score_tol`)."""
    a, b = np.asarray(ref.idx, np.int64), np.asarray(out.idx, np.int64)
    sa, sb = set(a.tolist()), set(b.tolist())
    if sa != sb:
        only_ref, only_out = sorted(sa - sb), sorted(sb - sa)
        detail = {
            "kept_ref": len(a),
            "kept": len(b),
            "only_ref": len(only_ref),
            "only_this": len(only_out),
            "only_ref_first": only_ref[:20],
            "only_this_first": only_out[:20],
        }
        return f"differ ({len(only_ref) + len(only_out)})", detail
    moved = int(np.count_nonzero(a != b))
    if ref.scores is None or out.scores is None:
        if not ordered or moved == 0:
            return "agree", None
        return f"set agrees; {moved} positions differ in order", {"order_diffs": moved}
    ref_s = dict(zip(a.tolist(), np.asarray(ref.scores, np.float64).tolist()))
    worst = float(np.max(np.abs(np.asarray(out.scores, np.float64) - [ref_s[i] for i in b.tolist()]), initial=0.0))
    msg = "agree" if moved == 0 and worst <= score_tol else f"set agrees; {moved} positions differ in order"
    return f"{msg}, max |d score| {worst:.1e}", {"order_diffs": moved, "max_score_diff": worst}


@dataclass
class Row:
    """One table row (and one JSON record): a library's result in one cell."""

    op: str
    scene: str
    n: int
    library: str
    ms: Optional[float] = None  # None: not run (see status)
    reps: int = 0
    status: str = ""  # "not installed", "skipped (...)", "panicked: ...", "softkit lacks geometry support (...)", ...
    kept: Optional[int] = None
    ratio: Optional[float] = None  # row / the first row of the cell
    same: str = ""
    target: str = ""
    detail: Optional[dict] = None


# (op, scene, library) -> (the target's text, its test on a measured row)
Targets = dict[tuple[str, str, str], tuple[str, Callable[[Row], bool]]]


@dataclass
class Lib:
    """One library (one row) of a cell."""

    name: str
    missing: Optional[str]  # import error, or None when usable
    make: Callable[[], Callable[[], Out]]  # prepares inputs (untimed), returns the timed call
    is_softkit: bool = False
    compare: bool = True  # False: other inputs, measure or semantics than the reference: no agreement check
    same_note: str = ""  # what the agreement column says when compare is False
    ordered: bool = False  # agreement also checks the selection order
    returns_kept: bool = True  # False: no kept indices (the sort floor)
    slow: bool = False  # run only with --all
    slow_note: str = ""  # why, in the "skipped (...)" status


def fmt_ms(ms: Optional[float]) -> str:
    """Milliseconds with three significant digits or so; "—" when not measured."""
    if ms is None:
        return "—"
    for lim, f in ((100, ".0f"), (10, ".1f"), (1, ".2f")):
        if ms >= lim:
            return f"{ms:{f}}"
    return f"{ms:.3f}"


def fmt_ratio(x: float) -> str:
    return f"{x:.0f}x" if x >= 100 else f"{x:.2f}x"


def lacks_geometry(e: BaseException) -> bool:
    """Whether an error from softkit means an older softkit: an unknown keyword (TypeError) or an
    unknown geometry (ValueError naming the geometry as invalid)."""
    return isinstance(e, TypeError) or (isinstance(e, ValueError) and "geometry" in str(e) and "invalid" in str(e))


def versions(dists: tuple[str, ...], softkit, softkit_err: Optional[str], *, flag_source_tree: bool) -> dict:
    """The installed version of each distribution ("not installed" if none) and how softkit was
    imported: "not importable (why)" when it was not, and "VERSION from FOLDER" when it was imported
    from a source tree (PYTHONPATH) rather than the wheel. That is noticed by softkit having no
    installed distribution, or, with `flag_source_tree`, by its folder not being under site-packages
    (then marked "(not the release wheel?)", as it may be a debug build)."""
    from importlib import metadata

    out = {}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    if softkit is None:
        out["softkit"] = f"not importable ({softkit_err})"
        return out
    where = Path(softkit.__file__).parent
    version = getattr(softkit, "__version__", "?")
    if flag_source_tree:
        if "site-packages" not in str(where):
            out["softkit"] = f"{version} from {where} (not the release wheel?)"
    elif out["softkit"] == "not installed":
        out["softkit"] = f"{version} from {where}"
    return out


class Bench:
    """One benchmark script's harness: its results, targets, notes and rules for running a cell.

    A cell is one (op, scene, n) with its libraries; its first row is the ratio base. Each script
    makes one Bench, runs its cells with run_cell, prints each op's table with print_table, and
    hands its command line to main.

    targets: (op, scene, library) -> (text, test), checked at the full sizes only.
    notes: op -> lines printed under its table.
    predict_skip: skip a library whose call is predicted above skip_s, from its last (n, ms) in
      the same op (any scene), assuming a cost quadratic in n (--all runs it anyway).
    softkit_errors: the exception types a softkit row reports as "softkit lacks geometry support
      (...)" when lacks_geometry says so (else "error (...)"); others become "error: ..." or
      "panicked: ..." (pyo3's PanicException).
    status_chars: the length statuses are cut to.
    status_row_same: whether a row that did not run prints its (empty) agreement cell as
      "| {same} |" ("|  |") rather than "| |": the two scripts' tables differ by that space.
    reference_rule: when the row the others are checked against says "reference": "compared"
      (when a later row of the cell is compared with it) or "not-first" (when it is not the
      cell's first row, i.e. stands in for a first row that did not run).
    """

    def __init__(
        self,
        *,
        targets: Targets,
        notes: dict[str, list[str]],
        predict_skip: bool,
        softkit_errors: tuple[type[BaseException], ...],
        status_chars: int,
        reference_rule: str,
        status_row_same: bool,
        budget_s: float = CELL_BUDGET_S,
        min_reps: int = MIN_REPS,
        max_reps: int = MAX_REPS,
        skip_s: float = SKIP_SECONDS,
    ):
        if reference_rule not in ("compared", "not-first"):
            raise ValueError(f"reference_rule = {reference_rule!r}: expected 'compared' or 'not-first'")
        self.targets = targets
        self.notes = notes
        self.predict_skip = predict_skip
        self.softkit_errors = softkit_errors
        self.status_chars = status_chars
        self.reference_rule = reference_rule
        self.status_row_same = status_row_same
        self.budget_s, self.min_reps, self.max_reps, self.skip_s = budget_s, min_reps, max_reps, skip_s
        self.results: list[Row] = []
        self._last: dict[tuple[str, str], tuple[int, float]] = {}  # (op, library) -> last (n, ms)

    def time_call(self, fn: Callable[[], object]) -> tuple[float, object, int]:
        """time_call with this benchmark's budget. Returns (median ms, output, reps)."""
        return time_call(fn, budget_s=self.budget_s, min_reps=self.min_reps, max_reps=self.max_reps, skip_s=self.skip_s)

    def target_cell(self, r: Row, full: bool) -> str:
        """The target column: "" (none), "TEXT (at full size)", "TEXT: not measured", "TEXT: met" or "TEXT: MISSED"."""
        t = self.targets.get((r.op, r.scene, r.library))
        if t is None:
            return ""
        text, ok = t
        if not full:
            return f"{text} (at full size)"
        if r.ms is None or r.ratio is None:
            return f"{text}: not measured"
        return f"{text}: {'met' if ok(r) else 'MISSED'}"

    def _skip(self, op: str, n: int, lib: Lib, run_all: bool) -> Optional[str]:
        """The "skipped (...)" status, or None to run the library."""
        if run_all:
            return None
        if lib.slow:
            return f"skipped ({lib.slow_note}; --all runs it)" if lib.slow_note else "skipped (--all runs it)"
        if self.predict_skip and (op, lib.name) in self._last:
            n0, ms0 = self._last[(op, lib.name)]
            predicted = ms0 * (n / n0) ** 2 / 1e3
            if predicted > self.skip_s:
                return f"skipped (predicted {predicted:.0f} s; --all runs it)"
        return None

    def _failure(self, lib: Lib, e: BaseException) -> str:
        """The status of a library whose call raised `e`."""
        if isinstance(e, self.softkit_errors):
            what = "softkit lacks geometry support" if lib.is_softkit and lacks_geometry(e) else "error"
            return f"{what} ({type(e).__name__}: {e})"[: self.status_chars]
        panic = type(e).__name__ == "PanicException"
        return (f"panicked: {e}" if panic else f"error: {type(e).__name__}: {e}")[: self.status_chars]

    def run_cell(self, op: str, scene: str, n: int, libs: list[Lib], run_all: bool, full: bool) -> None:
        """Times each library of the cell (a row each, appended to results); the first row is the
        ratio base, the first compared one the reference of the agreement column."""
        base_ms: Optional[float] = None
        ref: Optional[Out] = None
        ref_name = ""
        first_compared = next((x.name for x in libs if x.returns_kept and x.compare), "")
        for k, lib in enumerate(libs):
            row = Row(op, scene, n, lib.name)
            self.results.append(row)
            row.target = self.target_cell(row, full)  # refreshed once measured
            if lib.missing is not None:
                row.status = "not installed" if not lib.is_softkit else "n/a (softkit not built)"
                continue
            skipped = self._skip(op, n, lib, run_all)
            if skipped is not None:
                row.status = skipped
                continue
            try:
                row.ms, out, row.reps = self.time_call(lib.make())
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
                row.status = self._failure(lib, e)
                continue
            self._last[(op, lib.name)] = (n, row.ms)
            if lib.returns_kept:
                row.kept = len(out.idx)
            if k == 0:
                base_ms = row.ms
            if base_ms is not None:
                row.ratio = row.ms / base_ms
            if not lib.returns_kept:
                pass
            elif not lib.compare:
                row.same = lib.same_note
            elif ref is None:
                ref, ref_name = out, lib.name
                if self.reference_rule == "not-first":
                    labelled = k > 0
                else:
                    labelled = any(x.returns_kept and x.compare for x in libs[k + 1 :])
                row.same = "reference" if labelled else ""
            else:
                row.same, row.detail = agreement(ref, out, lib.ordered)
                if ref_name != first_compared:
                    row.same += f" (vs {ref_name})"
            row.target = self.target_cell(row, full)

    def print_table(self, op: str, title: str, base: str = "cell's first row") -> None:
        """The op's rows as a markdown table (ratio column: "ratio (row / BASE)"), then its notes."""
        rows = [r for r in self.results if r.op == op]
        if not rows:
            return
        print(f"\n### {title}\n")
        print(f"| scene | n | library | median ms | calls | kept | ratio (row / {base}) | same kept set | target |")
        print("|---|---:|---|---:|---:|---:|---:|---|---|")
        for r in rows:
            if r.ms is None:
                same = f" {r.same} " if self.status_row_same else " "
                print(f"| {r.scene} | {r.n} | {r.library} | {r.status} | | | |{same}| {r.target} |")
                continue
            ratio = "" if r.ratio is None else fmt_ratio(r.ratio)
            kept = "" if r.kept is None else r.kept
            print(f"| {r.scene} | {r.n} | {r.library} | {fmt_ms(r.ms)} | {r.reps} | {kept} | {ratio} | {r.same} | {r.target} |")
        if op in self.notes:
            print()
        for note in self.notes.get(op, []):
            print(f"- {note}")
        sys.stdout.flush()

    def print_targets(self, full: bool) -> None:
        """The "Targets" section: every row with a target, at the full sizes only."""
        print("\n### Targets\n")
        if not full:
            print("checked at the full sizes only (run without --quick)")
        for r in self.results if full else []:
            if r.target:
                got = r.status if r.ms is None else f"{fmt_ms(r.ms)} ms"
                if r.ratio not in (None, 1.0):
                    got += f", ratio {fmt_ratio(r.ratio)}"
                print(f"- {r.op}, {r.scene} {r.n}, {r.library}: {r.target} ({got})")

    def main(
        self,
        argv,
        *,
        doc: str,
        title: str,
        ratio: str,
        ops: dict[str, Callable[[dict, bool, bool], None]],
        all_help: str,
        sizes: dict,
        quick_sizes: dict,
        softkit: tuple[object, Optional[str]],
        dists: tuple[str, ...],
        flag_source_tree: bool,
    ) -> int:
        """The command line (--quick, --all, --only OP, --json OUT): runs the ops (each called as
        op(sizes, run_all, full)), then prints the targets, the machine, the versions (of `dists`,
        see versions()) and the wall time, and with --json dumps every row. `title` and `ratio`
        complete the two header lines; softkit is import_softkit's (module, why not), printed under
        them when the module is None."""
        ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
        ap.add_argument("--quick", action="store_true", help="a quarter of the sizes (targets are not checked)")
        ap.add_argument("--all", action="store_true", help=all_help)
        ap.add_argument("--only", choices=list(ops), help="run one operation")
        ap.add_argument("--json", metavar="OUT", help="dump every cell as JSON")
        args = ap.parse_args(argv)

        full = not args.quick
        print(f"# softkit vs peers: {title}")
        print(f"median of >= {self.min_reps} timed calls after a warm-up; ratio = {ratio}")
        if softkit[0] is None:
            print(f"softkit: n/a ({softkit[1]})")
        t0 = time.perf_counter()
        for name in [args.only] if args.only else list(ops):
            ops[name](quick_sizes if args.quick else sizes, args.all, full)
        self.print_targets(full)

        m, v = machine(), versions(dists, *softkit, flag_source_tree=flag_source_tree)
        for head, items in (("Machine", m), ("Versions", v)):
            print(f"\n### {head}\n")
            for k, val in items.items():
                print(f"- {k}: {val}")
        print(f"\ntotal wall time: {time.perf_counter() - t0:.0f} s")
        if args.json:
            dump = {"machine": m, "versions": v, "args": vars(args), "results": [asdict(r) for r in self.results]}
            Path(args.json).write_text(json.dumps(dump, indent=1, default=str))
            print(f"results written to {args.json}")
        return 0
