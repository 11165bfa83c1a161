"""pycocotools' object API on softkit's evaluator: ``COCO``, ``COCOeval`` and ``Params``.

Besides pycocotools' ``"bbox"``, ``"segm"`` and ``"keypoints"``, ``COCOeval`` takes softkit's
geometries as iouTypes, with the same protocol: ``"rotated"`` (``rbox`` fields ``[cx, cy, w, h,
angle]``), ``"polygon"`` (one-polygon ``segmentation`` fields ``[[x1, y1, x2, y2, ...]]``, exact
polygon IoU, not rasterised; a result's area for the area ranges is its polygon's), ``"box3d"`` and ``"bev"`` (``box3d`` fields ``[x, y, z, dx, dy, dz, heading]``, by 3-D
or bird's-eye IoU) and ``"segment"`` (``segment`` fields ``[start, end]``).

Change one import, and a training loop's evaluation gives the same ``stats``, ``eval`` arrays and
``evalImgs`` as pycocotools, computed in Rust:

>>> import contextlib, io
>>> from softkit.coco import COCO, COCOeval          # was: from pycocotools... import ...
>>> with contextlib.redirect_stdout(io.StringIO()):   # pycocotools' progress lines
...     gt = COCO({"images": [{"id": 1}], "categories": [{"id": 1, "name": "cat"}],
...                "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100,
...                                 "iscrowd": 0, "bbox": [0, 0, 10, 10]}]})
...     dt = gt.loadRes([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 8], "score": 0.9}])
...     E = COCOeval(gt, dt, "bbox")
...     E.evaluate(); E.accumulate(); E.summarize()
>>> E.stats[:3].round(3).tolist()      # IoU 0.8: matched at 7 of the 10 thresholds
[0.7, 1.0, 1.0]
>>> E.eval["precision"].shape, len(E.evalImgs)
((10, 101, 1, 4, 3), 4)

For code that cannot be edited, :func:`patch_pycocotools` makes ``pycocotools.coco`` and
``pycocotools.cocoeval`` resolve to these classes.

Differences, all on purpose: ``COCO`` also takes an already-loaded dict; ``loadRes`` names an
unknown image id instead of failing an ``assert``, and never changes the caller's list; a
detection's area is recomputed by ``loadRes``'s rule (``w * h`` for a box) rather than read from a
hand-made results ``COCO``'s ``area`` field. ``ious`` (pycocotools' dict of every image's
overlap matrix) is computed when first read, not during ``evaluate()``.

Speed: ``COCO(path)`` and ``loadRes(path)`` (or ``loadRes`` of a list of box results) parse in
Rust, and ``evaluate()`` reads what Rust holds; the pycocotools dicts (``dataset``, ``anns``,
``imgToAnns``, ...) are built only when read. Reading or assigning ``dataset``, ``anns``,
``imgToAnns`` or ``catToImgs`` (or ``loadAnns``, whose dicts the caller may edit) hands later
evaluations over to those dicts, so that edits count, as in pycocotools.
"""

from __future__ import annotations

import copy
import datetime
import json
import operator
import sys
import time
import types
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Callable, List, Optional

import numpy as np

from . import _native
from ._coco_index import COCO
from . import _mask as mask  # noqa: E402

__all__ = ["COCO", "COCOeval", "Params", "mask", "patch_pycocotools"]

# COCO's 17 person keypoints (pycocotools' kpt_oks_sigmas).
_KPT_OKS_SIGMAS = np.array(
    [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]
) / 10.0


# Each iouType and the field its annotations and results hold: pycocotools' three, and softkit's
# rotated boxes, 3-D boxes (by 3-D or bird's-eye IoU) and time segments.
_RESULT_FIELDS = {
    "bbox": "bbox",
    "segm": "segmentation",
    "keypoints": "keypoints",
    "rotated": "rbox",
    "polygon": "segmentation",
    "box3d": "box3d",
    "bev": "box3d",
    "segment": "segment",
}
_IOU_TYPES = ", ".join(repr(t) for t in _RESULT_FIELDS)


class Params:
    """pycocotools' ``Params``: every field editable between calls.

    >>> p = Params("bbox")
    >>> p.maxDets, p.areaRngLbl, len(p.iouThrs), len(p.recThrs), p.useCats
    ([1, 10, 100], ['all', 'small', 'medium', 'large'], 10, 101, 1)
    """

    def __init__(self, iouType: str = "segm"):
        if iouType in _RESULT_FIELDS and iouType != "keypoints":
            self.setDetParams()
        elif iouType == "keypoints":
            self.setKpParams()
        else:
            raise ValueError(f"iouType = {iouType!r} is invalid: expected {_IOU_TYPES}")
        self.iouType = iouType
        # Deprecated in pycocotools, still read: 1 means segm, 0 bbox.
        self.useSegm = None

    def setDetParams(self) -> None:
        self.imgIds: List[int] = []
        self.catIds: List[int] = []
        self.iouThrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
        self.recThrs = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
        self.maxDets = [1, 10, 100]
        self.areaRng = [[0**2, 1e5**2], [0**2, 32**2], [32**2, 96**2], [96**2, 1e5**2]]
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1

    def setKpParams(self) -> None:
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
        self.recThrs = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
        self.maxDets = [20]
        self.areaRng = [[0**2, 1e5**2], [32**2, 96**2], [96**2, 1e5**2]]
        self.areaRngLbl = ["all", "medium", "large"]
        self.useCats = 1
        self.kpt_oks_sigmas = _KPT_OKS_SIGMAS.copy()


class COCOeval:
    """pycocotools' ``COCOeval``: ``evaluate()``, ``accumulate()``, ``summarize()``, with ``params``,
    ``evalImgs``, ``eval`` and ``stats`` of the same shapes, dtypes and values.

    ``evaluate()`` matches every image in Rust and fills ``evalImgs`` (a list over categories,
    area ranges and images of ``None`` or pycocotools' dict); ``accumulate()`` fills ``eval``
    (``params``, ``counts``, ``date``, ``precision``, ``recall``, ``scores``); ``summarize()``
    prints pycocotools' twelve lines (ten for keypoints) and sets ``stats``.
    """

    def __init__(self, cocoGt: Optional[COCO] = None, cocoDt: Optional[COCO] = None, iouType: str = "segm"):
        if not iouType:
            print("iouType not specified. use default iouType segm")
            iouType = "segm"
        self.cocoGt = cocoGt
        self.cocoDt = cocoDt
        self.evalImgs: Any = defaultdict(list)
        self.eval: dict = {}
        self._gts: Any = defaultdict(list)
        self._dts: Any = defaultdict(list)
        self.params = Params(iouType=iouType)
        self._paramsEval: Any = {}
        self.stats: Any = []
        self.ious = {}
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            self.params.catIds = sorted(cocoGt.getCatIds())
        self._sources: Optional[tuple] = None

    def evaluate(self) -> None:
        """Matches every image and category (pycocotools' ``evaluate``); fills ``evalImgs``."""
        tic = time.time()
        print("Running per image evaluation...")
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
            print(f"useSegm (deprecated) is not None. Running {p.iouType} evaluation")
        print(f"Evaluate annotation type *{p.iouType}*")
        p.imgIds = [int(i) for i in np.unique(p.imgIds)]
        if p.useCats:
            p.catIds = [int(c) for c in np.unique(p.catIds)]
        p.maxDets = sorted(p.maxDets)
        self.params = p
        images = self._indexed(p)
        if images is None:
            gt, dt, dt_ids, boxes = self._json(p.iouType)
            images = _native.coco_eval_images(gt, False, dt, False, p.iouType, _native_params(p), dt_ids, boxes)
        self.evalImgs = _EvalImgs(images)
        self._ious_source = self.evalImgs
        self._ious = None  # computed from the records on first read
        self._paramsEval = copy.deepcopy(self.params)
        print(f"DONE (t={time.time() - tic:0.2f}s).")

    def accumulate(self, p: Optional[Params] = None) -> None:
        """Precision, recall and scores over thresholds, categories, area ranges and maxDets
        (pycocotools' ``accumulate``); fills ``eval``."""
        print("Accumulating evaluation results...")
        tic = time.time()
        if not self.evalImgs:
            print("Please run evaluate() first")
        if p is None:
            p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        # From the records, as pycocotools does: a training loop may have merged several
        # evaluations' records into evalImgs, and cocoDt then holds only the last batch.
        params = _native_params(p)
        if isinstance(self.evalImgs, _EvalImgs):
            precision, recall, scores = self.evalImgs._records.accumulate(params)
        else:
            images = [] if isinstance(self.evalImgs, defaultdict) else list(self.evalImgs)
            precision, recall, scores = _native.coco_accumulate(images, params)
        self.eval = {
            "params": p,
            "counts": list(precision.shape),
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "precision": precision,
            "recall": recall,
            "scores": scores,
        }
        print(f"DONE (t={time.time() - tic:0.2f}s).")

    def summarize(self) -> None:
        """Prints pycocotools' summary lines and sets ``stats``."""
        if not self.eval:
            raise RuntimeError("Please run accumulate() first")
        p = self.params

        def one(ap: int, iou: Optional[float] = None, area: str = "all", max_dets: int = 100) -> float:
            line = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"
            title, kind = ("Average Precision", "(AP)") if ap == 1 else ("Average Recall", "(AR)")
            iou_text = f"{p.iouThrs[0]:0.2f}:{p.iouThrs[-1]:0.2f}" if iou is None else f"{iou:0.2f}"
            a = [i for i, label in enumerate(p.areaRngLbl) if label == area]
            m = [i for i, d in enumerate(p.maxDets) if d == max_dets]
            s = self.eval["precision"] if ap == 1 else self.eval["recall"]
            if iou is not None:
                s = s[np.where(iou == p.iouThrs)[0]]
            s = s[:, :, :, a, m] if ap == 1 else s[:, :, a, m]
            mean = -1 if len(s[s > -1]) == 0 else np.mean(s[s > -1])
            print(line.format(title, kind, iou_text, area, max_dets, mean))
            return mean

        if p.iouType != "keypoints":
            d = p.maxDets
            rows = [(1, None, "all", d[2]), (1, 0.5, "all", d[2]), (1, 0.75, "all", d[2])]
            rows += [(1, None, a, d[2]) for a in ("small", "medium", "large")]
            rows += [(0, None, "all", m) for m in d[:3]]
            rows += [(0, None, a, d[2]) for a in ("small", "medium", "large")]
            rows[0] = (1, None, "all", 100)
        else:
            rows = [(ap, iou, "all", 20) for ap in (1, 0) for iou in (None, 0.5, 0.75)]
            rows = rows[:3] + [(1, None, "medium", 20), (1, None, "large", 20)] + rows[3:]
            rows += [(0, None, "medium", 20), (0, None, "large", 20)]
        self.stats = np.array([one(*row) for row in rows], dtype=np.float64)

    def __str__(self) -> str:
        self.summarize()
        return ""

    @property
    def ious(self) -> dict:
        """pycocotools' ``ious``: ``{(imgId, catId): overlaps}`` over the evaluated images and
        categories (``catId`` -1 with ``useCats`` 0), where overlaps is a float64 ``[D, G]`` array
        (detections by descending score, cut to ``maxDets[-1]``; ground truth in file order) or
        ``[]`` when either side is empty. Computed on first read after ``evaluate()``."""
        if self._ious is None:
            images = getattr(self, "_ious_source", None)
            ious = images._records.ious() if images is not None else None
            self._ious = {} if ious is None else ious
        return self._ious

    @ious.setter
    def ious(self, value: dict) -> None:
        self._ious = value

    def _indexed(self, p: Params) -> Any:
        """``evalImgs`` evaluated from the ground truth and results held in Rust, or None when
        either lives in Python dicts (made in memory, or read and maybe edited by the caller)."""
        gt = self.cocoGt._gt_index() if isinstance(self.cocoGt, COCO) else None
        dt = self.cocoDt._results_index() if isinstance(self.cocoDt, COCO) else None
        if gt is None or dt is None or not dt.checked_against(gt) or not dt.evaluates(p.iouType):
            return None
        return _native.coco_eval_indexed(gt, dt, p.iouType, _native_params(p))

    def _json(self, iou_type: str) -> tuple:
        """``(gt, dt, dt_ids, boxes)`` for the evaluator: the ground truth as JSON text, the
        results as JSON text or, for boxes, as numpy columns (``boxes``, and ``dt`` empty), and
        the results' ids. Made again whenever ``cocoGt``, ``cocoDt`` or the iou type changes (a
        training loop assigns a new ``cocoDt`` per batch)."""
        key = (self.cocoGt, self.cocoDt, iou_type)
        if self._sources is None or any(a is not b for a, b in zip(self._sources[0], key)):
            if self.cocoGt is None or self.cocoDt is None:
                raise ValueError("COCOeval needs cocoGt and cocoDt to evaluate")
            shape = _RESULT_FIELDS.get(iou_type)
            if shape is None:
                raise ValueError(f"iouType = {iou_type!r} is invalid: expected {_IOU_TYPES}")
            anns = _dataset(self.cocoDt).get("annotations", [])
            for k, a in enumerate(anns):
                if not isinstance(a, dict) or shape not in a:
                    raise ValueError(f"cocoDt annotations[{k}] has no {shape!r}, which iouType {iou_type!r} evaluates")
            dt_ids = [int(a.get("id", k + 1)) for k, a in enumerate(anns)]
            gt = json.dumps(_dataset(self.cocoGt), default=_json_default)
            boxes = _box_columns(anns) if shape == "bbox" else None
            if boxes is None:
                results = [
                    {"image_id": a["image_id"], "category_id": a["category_id"], shape: a[shape], "score": a["score"]}
                    for a in anns
                ]
                dt = json.dumps(results, default=_json_default)
            else:
                dt = ""
            self._sources = (key, gt, dt, dt_ids, boxes)
        return self._sources[1:]


def _dataset(coco: Any) -> dict:
    """``coco.dataset`` for an evaluation from the Python dicts (a softkit ``COCO`` keeps its
    Rust index for later evaluations)."""
    if isinstance(coco, COCO):
        return coco._evaluation_dataset()
    return coco.dataset


def _box_columns(anns: list) -> Optional[dict]:
    """Box results as the evaluator's columns, or ``None`` when they are not plain numbers (the
    JSON reader then names the bad one)."""
    try:
        columns = {
            "image_id": np.array([a["image_id"] for a in anns]),
            "category_id": np.array([a["category_id"] for a in anns]),
            "score": np.array([a["score"] for a in anns], dtype=np.float64),
            "bbox": np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(len(anns), 4),
        }
    except (TypeError, ValueError, KeyError, OverflowError):
        return None
    for k in ("image_id", "category_id"):
        # Integers as written (exact); anything else goes through the JSON reader's checks.
        if columns[k].dtype.kind not in "iu" and len(anns) > 0:
            return None
        columns[k] = columns[k].astype(np.int64)
    if not (np.isfinite(columns["score"]).all() and np.isfinite(columns["bbox"]).all()):
        return None
    return columns


class _EvalImgs(Sequence):
    """pycocotools' ``evalImgs`` list, held in Rust: an entry becomes its dict (or ``None``) when
    read, so that evaluating 5,000 images x 80 categories does not build 1.6 million dicts that
    ``accumulate()`` would only read back. Indexing, slicing, iteration, ``len`` and
    ``np.asarray`` work as on the list; ``list(evalImgs)`` gives the list itself."""

    __slots__ = ("_records",)

    def __init__(self, records):
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index):
        n = len(self._records)
        if isinstance(index, slice):
            return [self._records.get(i) for i in range(*index.indices(n))]
        i = operator.index(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("evalImgs index out of range")
        return self._records.get(i)

    def __repr__(self) -> str:
        return f"<evalImgs: {len(self)} entries, held by softkit>"


def _json_default(obj):
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _native_params(p: Params) -> dict:
    """``p`` as the evaluator reads it. With ``useCats`` 0 the categories still select the
    ground truth and results, as pycocotools' ``computeIoU`` does."""
    sigmas = getattr(p, "kpt_oks_sigmas", None)
    max_dets = []
    for k, m in enumerate(p.maxDets):
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
            raise ValueError(f"params.maxDets[{k}] = {m!r} is invalid: expected an integer >= 0")
        max_dets.append(int(m))
    ranges = [(float(a[0]), float(a[1])) for a in p.areaRng]
    # Only summarize() reads the labels, so ranges without their labels still evaluate.
    labels = [str(label) for label in p.areaRngLbl]
    if len(labels) != len(ranges):
        labels = [f"areaRng[{k}]" for k in range(len(ranges))]
    return {
        "iou_thrs": [float(t) for t in p.iouThrs],
        "rec_thrs": [float(r) for r in p.recThrs],
        "max_dets": max_dets,
        "area_rng": ranges,
        "area_rng_lbl": labels,
        "use_cats": bool(p.useCats),
        "img_ids": [int(i) for i in p.imgIds],
        "cat_ids": [int(c) for c in p.catIds],
        "kpt_oks_sigmas": None if sigmas is None else [float(s) for s in sigmas],
    }


def patch_pycocotools() -> Callable[[], None]:
    """Makes ``pycocotools.coco`` and ``pycocotools.cocoeval`` resolve to softkit's ``COCO``,
    ``COCOeval`` and ``Params``, for code that cannot be edited (faster-coco-eval's
    ``init_as_pycocotools``). Call it before that code imports them; pycocotools need not be
    installed. Returns a function that puts the previous modules back.

    >>> import softkit.coco
    >>> restore = softkit.coco.patch_pycocotools()
    >>> from pycocotools.cocoeval import COCOeval
    >>> COCOeval is softkit.coco.COCOeval
    True
    >>> restore()
    >>> from pycocotools.cocoeval import COCOeval
    >>> COCOeval is softkit.coco.COCOeval
    False
    """
    names = ("pycocotools", "pycocotools.coco", "pycocotools.cocoeval")
    before = {name: sys.modules.get(name) for name in names}
    package = sys.modules.get("pycocotools")
    if package is None:
        try:
            import pycocotools as package  # noqa: F811 (its other modules, such as mask, stay usable)
        except ImportError:
            package = types.ModuleType("pycocotools")
            package.__path__ = []  # type: ignore[attr-defined]
            sys.modules["pycocotools"] = package
    for name, attrs in (("coco", {"COCO": COCO}), ("cocoeval", {"COCOeval": COCOeval, "Params": Params})):
        module = types.ModuleType(f"pycocotools.{name}", f"softkit's {', '.join(attrs)} in place of pycocotools'")
        module.__dict__.update(attrs)
        sys.modules[f"pycocotools.{name}"] = module
        setattr(package, name, module)

    def restore() -> None:
        for name, module in before.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for name in ("coco", "cocoeval"):
            original = before[f"pycocotools.{name}"]
            if original is None:
                package.__dict__.pop(name, None)
            else:
                setattr(package, name, original)

    return restore
