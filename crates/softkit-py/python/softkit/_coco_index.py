"""``COCO``: the index over a COCO annotation file that pycocotools' ``COCO`` builds, as a drop-in.

The attributes (``dataset``, ``anns``, ``imgs``, ``cats``, ``imgToAnns``, ``catToImgs``), the
query methods (``getAnnIds``, ``getCatIds``, ``getImgIds``, ``loadAnns``, ``loadCats``,
``loadImgs``) and ``loadRes`` give what pycocotools 2.0 gives, in the same order and with the same
types, so that code written against ``pycocotools.coco.COCO`` runs unchanged; pycocotools'
``COCOeval`` takes these indexes for boxes and keypoints. ``annToRLE`` and ``annToMask`` handle
run-length segmentations only: polygons are not rasterised here (so ``COCOeval`` with
``iouType="segm"`` needs ground truth without polygons; ``softkit.coco_eval`` rasterises them
itself). ``showAnns`` and ``download`` are not provided. The differences are on purpose:

- ``COCO`` also takes an already-loaded dict (used as is, not copied).
- ``loadRes`` copies each result (the dict, and its ``bbox``) instead of writing ``id``, ``area``,
  ``iscrowd`` and ``segmentation`` into the caller's objects.
- A result on an image the ground truth lacks, results that are not a list of dicts, a numpy
  table that is not ``(N, 7)``, and a result missing the field its kind needs raise ``ValueError``
  or ``TypeError`` naming the result and the field (pycocotools asserts or fails deep inside).
- Empty results give an index with no annotations (pycocotools raises ``IndexError``).
- Mask results may also hold uncompressed run lengths (``counts`` as a list of ints).
- ``getImgIds(catIds=...)`` with a category that has no annotations does not add an empty entry
  to ``catToImgs`` (pycocotools' ``defaultdict`` lookup does); ``loadAnns``/``loadCats``/
  ``loadImgs`` take numpy integers too, and raise ``TypeError`` where pycocotools returns None.

The file given to ``COCO`` or ``loadRes`` is parsed in Rust (when softkit's reader accepts it;
otherwise by Python's ``json``, as pycocotools does), and the attributes are built from it on first
read: ``getImgIds()``, ``getCatIds()`` and evaluation never build them.

Mask areas and boxes are computed from the run lengths here, exactly as pycocotools' ``maskApi.c``
(``rleFrString``, ``rleArea``, ``rleToBbox``) computes them.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import numbers
import os
import time
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["COCO"]

_U32 = 0xFFFFFFFF
# A run length needs at most 7 characters of 5 bits for 32-bit counts; past 12 the shift leaves 64 bits.
_MAX_RUN_CHARS = 12
_KINDS = "caption, bbox, segmentation, keypoints, rbox, box3d or segment"

# softkit's other geometries (``COCOeval`` iouTypes "rotated", "box3d", "bev", "segment"): the
# result field, its length, and the area ``loadRes`` records (the evaluator computes its own).
_SHAPES = {
    "rbox": (5, lambda v: v[2] * v[3]),
    "box3d": (7, lambda v: v[3] * v[4] * v[5]),
    "segment": (2, lambda v: v[1] - v[0]),
}


def _is_array_like(obj: Any) -> bool:
    """pycocotools' test for "a list of ids": anything with ``__iter__`` and ``__len__`` (a str too)."""
    return hasattr(obj, "__iter__") and hasattr(obj, "__len__")


def _members(seq: Any) -> Any:
    """``seq`` for ``in`` tests, as a set where that answers the same (a str stays a str: pycocotools
    tests names against a str by substring)."""
    if isinstance(seq, (str, bytes)):
        return seq
    try:
        return frozenset(seq)
    except TypeError:
        return seq


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


# --------------------------------------------------------------------------------------------
# Run lengths (COCO RLE), computed as maskApi.c computes them
# --------------------------------------------------------------------------------------------


# Run lengths are processed in batches of about this many characters (or counts), to bound the
# temporary arrays.
_BATCH = 1 << 20


def _segment_cumsum(values: np.ndarray, per_segment: np.ndarray) -> np.ndarray:
    """Cumulative sums of ``values`` restarting at each segment (``per_segment[s]`` values each, in order)."""
    sums = np.cumsum(values)
    first = np.cumsum(per_segment) - per_segment
    has = per_segment > 0
    offset = np.zeros(per_segment.size, np.int64)
    offset[has] = sums[first[has]] - values[first[has]]
    return sums - np.repeat(offset, per_segment)


def _decode_strings(strings: List[bytes], names: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """The run lengths of compressed COCO RLE strings (``rleFrString``), many strings at once.

    Returns ``(counts, owner)``: every run of every string in order, and the index of its string.
    Each run is a little-endian number of 5-bit digits (``char - 48``; bit 0x20 says more digits
    follow, bit 0x10 of the last digit is the sign); from the fourth run on, the number is a
    difference to the run two before. Counts are unsigned 32-bit, as in C.
    """
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    buf = b"".join(strings)
    if not buf:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ends = np.cumsum(lengths)

    def owner_of(pos: int) -> str:
        return names[int(np.searchsorted(ends, pos, side="right"))]

    d = np.frombuffer(buf, dtype=np.uint8) - np.uint8(48)  # wraps below '0': one test finds both ends
    bad = d > 63
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(
            f"{owner_of(k)}: 'counts' holds {chr(buf[k])!r}, which is not a character of "
            "COCO's compressed run lengths ('0' to 'o')"
        )
    last = (d & 0x20) == 0  # the last digit of a run
    string_last = ends[lengths > 0] - 1
    truncated = ~last[string_last]
    if truncated.any():
        raise ValueError(f"{owner_of(int(string_last[truncated][0]))}: 'counts' ends inside a run length")
    tok_end = np.flatnonzero(last)
    tok_start = np.empty_like(tok_end)
    tok_start[0] = 0
    tok_start[1:] = tok_end[:-1] + 1
    tok_len = tok_end - tok_start + 1
    if int(tok_len.max()) > _MAX_RUN_CHARS:
        k = int(tok_start[np.argmax(tok_len > _MAX_RUN_CHARS)])
        raise ValueError(f"{owner_of(k)}: 'counts' holds a run length longer than {_MAX_RUN_CHARS} characters")
    values = (d[tok_start] & 0x1F).astype(np.int64)
    multi = np.flatnonzero(tok_len > 1)
    k = 1
    while multi.size:  # the runs of more than one digit, a digit at a time (few have more than three)
        values[multi] |= (d[tok_start[multi] + k] & 0x1F).astype(np.int64) << (5 * k)
        k += 1
        multi = multi[tok_len[multi] > k]
    negative = (d[tok_end] & 0x10) != 0
    values[negative] -= np.left_shift(np.int64(1), 5 * tok_len[negative])
    owner = np.searchsorted(ends, tok_end, side="right")

    # Undo the differences: run j >= 3 adds run j - 2, so runs 1, 3, 5, ... and runs 2, 4, 6, ...
    # are each a cumulative sum (run 0 stands alone); sums wrap at 2**32 as C's unsigned counts do.
    per_owner = np.bincount(owner, minlength=len(strings))
    j = np.arange(owner.size) - np.repeat(np.cumsum(per_owner) - per_owner, per_owner)
    counts = values
    for chain in ((j & 1) == 1, ((j & 1) == 0) & (j >= 2)):
        at = np.flatnonzero(chain)
        counts[at] = _segment_cumsum(values[at], np.bincount(owner[at], minlength=len(strings)))
    return counts & _U32, owner


def _read_rle(rle: Any, name: str) -> Tuple[int, int, Any]:
    """``(h, w, counts)`` of a run-length dict: counts as bytes (compressed) or an int64 array."""
    if not isinstance(rle, dict) or "counts" not in rle or "size" not in rle:
        if isinstance(rle, list):
            raise ValueError(
                f"{name} is a polygon; mask results must be run-length dicts "
                "{'size': [h, w], 'counts': ...} (encode polygons with pycocotools.mask.frPyObjects)"
            )
        raise ValueError(f"{name} must be a run-length dict {{'size': [h, w], 'counts': ...}}, got {rle!r:.80}")
    size = rle["size"]
    if (
        not _is_array_like(size)
        or len(size) != 2
        or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in size)
    ):
        raise ValueError(f"{name}: 'size' must be [height, width] as two non-negative ints, got {size!r}")
    counts = rle["counts"]
    if isinstance(counts, str):
        return int(size[0]), int(size[1]), counts.encode("utf-8")
    if isinstance(counts, (bytes, bytearray)):
        return int(size[0]), int(size[1]), bytes(counts)
    try:
        runs = np.asarray(counts)
    except Exception:  # noqa: BLE001 - any failure means "not a list of counts"
        runs = None
    if runs is None or runs.ndim != 1 or (runs.size and runs.dtype.kind not in "iu") or (runs < 0).any() or (runs > _U32).any():
        raise ValueError(f"{name}: 'counts' must be a compressed string or a list of non-negative ints, got {counts!r:.80}")
    return int(size[0]), int(size[1]), runs.astype(np.int64)


def _runs(sources: List[Any], names: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """``(counts, owner)`` of run lengths given as bytes (compressed) or int64 arrays, in order."""
    is_str = [isinstance(s, bytes) for s in sources]
    if all(is_str):
        return _decode_strings(sources, names)
    at = [i for i, s in enumerate(is_str) if not s]
    lists = [sources[i] for i in at]
    counts = np.concatenate(lists)
    owner = np.repeat(np.asarray(at, np.int64), [len(r) for r in lists])
    if len(at) < len(sources):
        at = [i for i, s in enumerate(is_str) if s]
        c, o = _decode_strings([sources[i] for i in at], [names[i] for i in at])
        counts = np.concatenate([counts, c])
        owner = np.concatenate([owner, np.asarray(at, np.int64)[o]])
        order = np.argsort(owner, kind="stable")
        counts, owner = counts[order], owner[order]
    return counts, owner


def _area_bbox(counts: np.ndarray, owner: np.ndarray, h: np.ndarray, w: np.ndarray, names: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """``rleArea`` and ``rleToBbox`` of run lengths grouped by ``owner`` (non-decreasing)."""
    n = h.size
    m = np.bincount(owner, minlength=n)
    total = np.bincount(owner, weights=counts, minlength=n)
    over = total > h * w
    if over.any():
        i = int(np.argmax(over))
        raise ValueError(f"{names[i]}: the run lengths cover {int(total[i])} pixels, more than its size {int(h[i])}x{int(w[i])}")
    j = np.arange(owner.size) - np.repeat(np.cumsum(m) - m, m)
    odd = (j & 1) == 1
    area = (np.bincount(owner[odd], weights=counts[odd], minlength=n).astype(np.int64) & _U32).astype(np.uint32)

    # rleToBbox walks the first 2 * (m // 2) runs: the end of each zero run is a first pixel and the
    # end of each one run a last pixel (column-major); a one run that starts in one column and ends
    # in a later one spans all rows.
    keep = j < (m // 2 * 2)[owner]
    bo, bj, bc = owner[keep], j[keep], counts[keep]
    bbox = np.zeros((n, 4), np.float64)
    if bo.size:
        per = np.bincount(bo, minlength=n)
        cc = _segment_cumsum(bc, per) & _U32
        t = (cc - (bj & 1)) & _U32
        hh = h[bo]
        if (hh == 0).any():
            i = int(bo[np.argmax(hh == 0)])
            raise ValueError(f"{names[i]}: 'size' has height 0 but its run lengths hold pixels")
        y = t % hh
        x = (t - y) // hh
        x_prev = np.r_[x[:1], x[:-1]]
        spans = np.bincount(bo[((bj & 1) == 1) & (x_prev < x)], minlength=n) > 0
        has = per > 0
        seg = (np.cumsum(per) - per)[has]
        xs = np.minimum(w[has], np.minimum.reduceat(x, seg))
        xe = np.maximum(0, np.maximum.reduceat(x, seg))
        ys = np.where(spans[has], 0, np.minimum(h[has], np.minimum.reduceat(y, seg)))
        ye = np.where(spans[has], h[has] - 1, np.maximum(0, np.maximum.reduceat(y, seg)))
        bbox[has, 0] = xs
        bbox[has, 1] = ys
        bbox[has, 2] = (xe - xs + 1) & _U32
        bbox[has, 3] = (ye - ys + 1) & _U32
    return area, bbox


def _rle_area_bbox(rles: List[Any], names: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """``(area uint32 (N,), bbox float64 (N, 4))`` of COCO run-length dicts, as pycocotools'
    ``mask.area`` and ``mask.toBbox`` give them (``rleArea``, ``rleToBbox``)."""
    n = len(rles)
    read = [_read_rle(rle, name) for rle, name in zip(rles, names)]
    h = np.fromiter((r[0] for r in read), np.int64, count=n)
    w = np.fromiter((r[1] for r in read), np.int64, count=n)
    sources = [r[2] for r in read]
    area = np.zeros(n, np.uint32)
    bbox = np.zeros((n, 4), np.float64)
    lo = 0
    while lo < n:
        hi, size = lo, 0
        while hi < n and (hi == lo or size + len(sources[hi]) <= _BATCH):
            size += len(sources[hi])
            hi += 1
        counts, owner = _runs(sources[lo:hi], names[lo:hi])
        area[lo:hi], bbox[lo:hi] = _area_bbox(counts, owner, h[lo:hi], w[lo:hi], names[lo:hi])
        lo = hi
    return area, bbox


def _encode_counts(counts: Sequence[int]) -> bytes:
    """Compressed COCO run lengths (``rleToString``): from the fourth run on, the difference to the
    run two before, each written in 5-bit digits, low first (``char = digit + 48``, 0x20 = more)."""
    out = bytearray()
    for i, run in enumerate(counts):
        x = int(run)
        if i > 2:
            x -= int(counts[i - 2])
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(c + 48)
    return bytes(out)


def _run_lengths(rle: Any, name: str) -> Tuple[int, int, np.ndarray]:
    """``(h, w, counts)`` of one run-length dict, compressed or not, checked against its size."""
    _rle_area_bbox([rle], [name])
    h, w, source = _read_rle(rle, name)
    return h, w, _runs([source], [name])[0]


# --------------------------------------------------------------------------------------------
# COCO
# --------------------------------------------------------------------------------------------


class COCO:
    """The index over a COCO dataset, as ``pycocotools.coco.COCO`` builds it.

    ``annotation_file`` is a path to a COCO JSON file, an already-loaded dict (used as is), or None
    for an empty index (fill ``dataset`` and call ``createIndex``).

    >>> gt = COCO({"images": [{"id": 1}], "categories": [{"id": 3, "name": "cat"}],
    ...            "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2],
    ...                             "area": 4, "iscrowd": 0}]})  # doctest: +ELLIPSIS
    loading annotations into memory...
    ...
    >>> gt.getAnnIds(imgIds=[1]), gt.getImgIds(catIds=[3])
    ([7], [1])
    """

    def __init__(self, annotation_file: Any = None) -> None:
        # Evaluation reads ``_native`` (the file parsed in Rust) while nobody has read the
        # annotations' dicts; ``_pending`` builds those dicts on first read.
        self._native: Any = None
        self._pending: Any = None
        self._dataset: Dict[str, Any] = dict()
        self._anns: Dict[Any, dict] = dict()
        self._cats: Dict[Any, dict] = dict()
        self._imgs: Dict[Any, dict] = dict()
        self._imgToAnns: "defaultdict[Any, List[dict]]" = defaultdict(list)
        self._catToImgs: "defaultdict[Any, List[Any]]" = defaultdict(list)
        if annotation_file is None:
            return
        print("loading annotations into memory...")
        tic = time.time()
        if isinstance(annotation_file, dict):
            dataset = annotation_file
        elif _is_path(annotation_file):
            with open(annotation_file, "rb") as f:
                data = f.read()
            native = _native_index(lambda: _native().coco_gt_index(data))
            if native is not None:
                print("Done (t={:0.2f}s)".format(time.time() - tic))
                print("creating index...")
                print("index created!")
                self._native = native
                self._pending = functools.partial(_gt_state, data, annotation_file)
                return
            dataset = _parse_json(data, annotation_file, "annotation file")
            if not isinstance(dataset, dict):
                raise ValueError(
                    f"annotation file {os.fsdecode(annotation_file)!r} holds a {type(dataset).__name__}, "
                    "expected a COCO dataset object {'images': [...], 'annotations': [...], 'categories': [...]}"
                )
        else:
            raise TypeError(
                f"annotation_file must be a path, a dict or None, got {type(annotation_file).__name__}"
            )
        print("Done (t={:0.2f}s)".format(time.time() - tic))
        self._dataset = dataset
        self.createIndex()

    # ---------------------------------------------------------------------------------- views
    #
    # pycocotools' attributes, built from the file on first read. Reading (or assigning) the
    # dataset or the annotations' views hands evaluation over to the Python dicts, which the
    # caller may then edit; the images and categories leave it with the Rust index.

    def _materialise(self) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            self.__dict__.update(pending())

    def _hand_over(self) -> None:
        self._materialise()
        self._native = None

    @property
    def dataset(self) -> Dict[str, Any]:
        """The loaded dataset (pycocotools' ``dataset``)."""
        self._hand_over()
        return self._dataset

    @dataset.setter
    def dataset(self, value: Dict[str, Any]) -> None:
        self._hand_over()
        self._dataset = value

    @property
    def anns(self) -> Dict[Any, dict]:
        """Annotation id to annotation."""
        self._hand_over()
        return self._anns

    @anns.setter
    def anns(self, value: Dict[Any, dict]) -> None:
        self._hand_over()
        self._anns = value

    @property
    def imgToAnns(self) -> "defaultdict[Any, List[dict]]":
        """Image id to its annotations."""
        self._hand_over()
        return self._imgToAnns

    @imgToAnns.setter
    def imgToAnns(self, value: Any) -> None:
        self._hand_over()
        self._imgToAnns = value

    @property
    def catToImgs(self) -> "defaultdict[Any, List[Any]]":
        """Category id to the image of each of its annotations."""
        self._hand_over()
        return self._catToImgs

    @catToImgs.setter
    def catToImgs(self, value: Any) -> None:
        self._hand_over()
        self._catToImgs = value

    @property
    def imgs(self) -> Dict[Any, dict]:
        """Image id to image."""
        self._materialise()
        return self._imgs

    @imgs.setter
    def imgs(self, value: Dict[Any, dict]) -> None:
        self._materialise()
        self._imgs = value

    @property
    def cats(self) -> Dict[Any, dict]:
        """Category id to category."""
        self._materialise()
        return self._cats

    @cats.setter
    def cats(self, value: Dict[Any, dict]) -> None:
        self._materialise()
        self._cats = value

    def _gt_index(self) -> Any:
        """The ground truth held in Rust, or None."""
        native = self._native
        return native if native is not None and type(native).__name__ == "CocoGtIndex" else None

    def _results_index(self) -> Any:
        """The results held in Rust, or None."""
        native = self._native
        return native if native is not None and type(native).__name__ == "CocoResultsIndex" else None

    def _evaluation_dataset(self) -> Dict[str, Any]:
        """The dataset for an evaluation from the Python dicts (the Rust index stays usable)."""
        self._materialise()
        return self._dataset

    def __deepcopy__(self, memo: dict) -> "COCO":
        new = COCO.__new__(COCO)
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            # The Rust index never changes; the source bytes are immutable.
            new.__dict__[key] = value if key == "_native" else copy.deepcopy(value, memo)
        return new

    def __getstate__(self) -> Dict[str, Any]:
        self._materialise()
        state = dict(self.__dict__)
        state["_native"] = None
        return state

    # ---------------------------------------------------------------------------------- index

    def createIndex(self) -> None:
        """Builds ``anns``, ``imgs``, ``cats``, ``imgToAnns`` and ``catToImgs`` from ``dataset``."""
        self._hand_over()
        print("creating index...")
        self._build_index()
        print("index created!")

    def _build_index(self) -> None:
        anns: Dict[Any, dict] = {}
        cats: Dict[Any, dict] = {}
        imgs: Dict[Any, dict] = {}
        img_to_anns: "defaultdict[Any, List[dict]]" = defaultdict(list)
        cat_to_imgs: "defaultdict[Any, List[Any]]" = defaultdict(list)
        dataset = self._dataset
        try:
            if "annotations" in dataset:
                for ann in dataset["annotations"]:
                    img_to_anns[ann["image_id"]].append(ann)
                    anns[ann["id"]] = ann
            if "images" in dataset:
                for img in dataset["images"]:
                    imgs[img["id"]] = img
            if "categories" in dataset:
                for cat in dataset["categories"]:
                    cats[cat["id"]] = cat
            if "annotations" in dataset and "categories" in dataset:
                for ann in dataset["annotations"]:
                    cat_to_imgs[ann["category_id"]].append(ann["image_id"])
        except (KeyError, TypeError) as err:
            message = self._index_problem()
            if message is None:
                raise
            raise ValueError(message) from err
        self._anns = anns
        self._imgToAnns = img_to_anns
        self._catToImgs = cat_to_imgs
        self._imgs = imgs
        self._cats = cats

    def _index_problem(self) -> Optional[str]:
        """Names the first record that ``createIndex`` cannot index, or None."""
        dataset = self._dataset
        need = {"annotations": ("id", "image_id"), "images": ("id",), "categories": ("id",)}
        if "annotations" in dataset and "categories" in dataset:
            need["annotations"] += ("category_id",)
        for section, fields in need.items():
            if section not in dataset:
                continue
            records = dataset[section]
            if not isinstance(records, (list, tuple)):
                return f"dataset[{section!r}] must be a list, got {type(records).__name__}"
            for i, record in enumerate(records):
                if not isinstance(record, dict):
                    return f"dataset[{section!r}][{i}] must be a dict, got {type(record).__name__}"
                for field in fields:
                    if field not in record:
                        return f"dataset[{section!r}][{i}] has no {field!r}"
                    try:
                        hash(record[field])
                    except TypeError:
                        return f"dataset[{section!r}][{i}][{field!r}] = {record[field]!r:.40} cannot be an id"
        return None

    def info(self) -> None:
        """Prints the dataset's ``info`` entries, one ``key: value`` a line."""
        self._materialise()
        for key, value in self._dataset["info"].items():
            print("{}: {}".format(key, value))

    # ---------------------------------------------------------------------------------- queries

    def getAnnIds(self, imgIds: Any = [], catIds: Any = [], areaRng: Any = [], iscrowd: Any = None) -> List[Any]:
        """Ids of the annotations on ``imgIds``, of ``catIds``, with area strictly inside
        ``areaRng`` and ``iscrowd`` equal to the given value; an empty filter (or None) skips it."""
        imgIds = imgIds if _is_array_like(imgIds) else [imgIds]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        self._materialise()
        if len(imgIds) == len(catIds) == len(areaRng) == 0:
            anns = self._dataset["annotations"]
        else:
            if len(imgIds) != 0:
                index = self._imgToAnns
                anns = list(itertools.chain.from_iterable(index[i] for i in imgIds if i in index))
            else:
                anns = self._dataset["annotations"]
            if len(catIds) != 0:
                wanted = _members(catIds)
                anns = [ann for ann in anns if ann["category_id"] in wanted]
            if len(areaRng) != 0:
                lo, hi = areaRng[0], areaRng[1]
                anns = [ann for ann in anns if ann["area"] > lo and ann["area"] < hi]
        if iscrowd is not None:
            return [ann["id"] for ann in anns if ann["iscrowd"] == iscrowd]
        return [ann["id"] for ann in anns]

    def getCatIds(self, catNms: Any = [], supNms: Any = [], catIds: Any = []) -> List[Any]:
        """Ids of the categories named in ``catNms``, of supercategories ``supNms``, among ``catIds``."""
        catNms = catNms if _is_array_like(catNms) else [catNms]
        supNms = supNms if _is_array_like(supNms) else [supNms]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if self._pending is not None and self._gt_index() is not None and len(catNms) == len(supNms) == len(catIds) == 0:
            return self._native.category_ids()
        self._materialise()
        cats = self._dataset["categories"]
        if len(catNms) != 0:
            names = _members(catNms)
            cats = [cat for cat in cats if cat["name"] in names]
        if len(supNms) != 0:
            supers = _members(supNms)
            cats = [cat for cat in cats if cat["supercategory"] in supers]
        if len(catIds) != 0:
            ids = _members(catIds)
            cats = [cat for cat in cats if cat["id"] in ids]
        return [cat["id"] for cat in cats]

    def getImgIds(self, imgIds: Any = [], catIds: Any = []) -> List[Any]:
        """Ids of the images among ``imgIds`` that hold every category of ``catIds``.

        As in pycocotools: with no filter, all images in file order; otherwise a set's order, and
        ``imgIds`` alone is returned as given (deduplicated), known to the dataset or not."""
        imgIds = imgIds if _is_array_like(imgIds) else [imgIds]
        catIds = catIds if _is_array_like(catIds) else [catIds]
        if len(imgIds) == len(catIds) == 0:
            if self._pending is not None and self._gt_index() is not None:
                return self._native.image_ids()
            return list(self.imgs.keys())
        self._materialise()
        ids = set(imgIds)
        for i, cat_id in enumerate(catIds):
            with_cat = set(self._catToImgs.get(cat_id, ()))
            if i == 0 and len(ids) == 0:
                ids = with_cat
            else:
                ids &= with_cat
        return list(ids)

    def loadAnns(self, ids: Any = []) -> List[dict]:
        """The annotations of ``ids`` (one id or a list)."""
        return self._load(self.anns, ids, "loadAnns")  # the caller may edit them: evaluation reads them

    def loadCats(self, ids: Any = []) -> List[dict]:
        """The categories of ``ids`` (one id or a list)."""
        return self._load(self.cats, ids, "loadCats")

    def loadImgs(self, ids: Any = []) -> List[dict]:
        """The images of ``ids`` (one id or a list)."""
        return self._load(self.imgs, ids, "loadImgs")

    @staticmethod
    def _load(index: Dict[Any, dict], ids: Any, method: str) -> List[dict]:
        if _is_array_like(ids):
            return [index[i] for i in ids]
        if isinstance(ids, numbers.Integral) and not isinstance(ids, bool):
            return [index[ids]]
        raise TypeError(f"{method}: ids must be an int or a list of ids, got {type(ids).__name__}")

    # ---------------------------------------------------------------------------------- masks

    def annToRLE(self, ann: dict) -> dict:
        """The annotation's segmentation as compressed run lengths, as pycocotools' ``annToRLE``:
        polygons are rasterised at the image's size (pycocotools' exact rasterisation, in Rust) and
        merged, an uncompressed RLE (``counts`` a list) is compressed (``{'size': [h, w], 'counts':
        bytes}``), and a compressed one is returned as is."""
        segm = ann["segmentation"]
        if isinstance(segm, list):
            from . import _mask  # here, not at import: _mask is a sibling module of the package

            image = self.imgs[ann["image_id"]]  # the images' views keep the Rust index
            return _mask.merge(_mask.frPyObjects(segm, image["height"], image["width"]))
        if isinstance(segm, dict) and isinstance(segm.get("counts"), list):
            h, w, runs = _run_lengths(segm, f"annotation {ann.get('id')!r}: 'segmentation'")
            return {"size": [h, w], "counts": _encode_counts(runs.tolist())}
        return segm

    def annToMask(self, ann: dict) -> np.ndarray:
        """The annotation's mask, ``uint8`` of shape ``(h, w)`` (column-major, as pycocotools'
        ``decode`` gives it)."""
        rle = self.annToRLE(ann)
        h, w, runs = _run_lengths(rle, f"annotation {ann.get('id')!r}: 'segmentation'")
        values = (np.arange(runs.size) & 1).astype(np.uint8)
        flat = np.zeros(h * w, np.uint8)
        filled = np.repeat(values, runs)
        flat[: filled.size] = filled
        return flat.reshape(w, h).T

    # ---------------------------------------------------------------------------------- results

    def loadNumpyAnnotations(self, data: Any) -> List[dict]:
        """Results from an ``(N, 7)`` array of rows ``[image_id, x1, y1, w, h, score, category_id]``.

        ``image_id`` and ``category_id`` become ints; ``bbox`` and ``score`` keep the array's numpy
        scalars, as in pycocotools."""
        print("Converting ndarray to lists...")
        if not isinstance(data, np.ndarray):
            raise TypeError(f"numpy results must be a numpy.ndarray, got {type(data).__name__}")
        print(data.shape)
        if data.size == 0:
            return []
        if data.ndim != 2 or data.shape[1] != 7:
            raise ValueError(
                "numpy results must have shape (N, 7), rows [image_id, x1, y1, w, h, score, category_id]; "
                f"got shape {data.shape}"
            )
        if data.dtype.kind not in "iuf":
            raise TypeError(f"numpy results must hold numbers, got dtype {data.dtype}")
        n = data.shape[0]
        for column, field in ((0, "image_id"), (6, "category_id")):
            values = data[:, column]
            bad = ~np.isfinite(values) | (values != np.trunc(values)) if data.dtype.kind == "f" else None
            if bad is not None and bad.any():
                row = int(np.argmax(bad))
                raise ValueError(
                    f"numpy results: row {row} has {field} (column {column}) = {float(values[row])}, not an integer"
                )
        for i in range(0, n, 1000000):
            print("{}/{}".format(i, n))
        image_ids = [int(v) for v in data[:, 0].tolist()]
        category_ids = [int(v) for v in data[:, 6].tolist()]
        x1, y1, bw, bh, score = (list(data[:, k]) for k in range(1, 6))
        return [
            {"image_id": image_ids[i], "bbox": [x1[i], y1[i], bw[i], bh[i]], "score": score[i], "category_id": category_ids[i]}
            for i in range(n)
        ]

    def loadRes(self, resFile: Any) -> "COCO":
        """An index over detection results on this dataset's images, as pycocotools' ``loadRes``.

        ``resFile`` is a path to a results JSON file, a list of result dicts, or a numpy ``(N, 7)``
        array (``loadNumpyAnnotations``). The kind of the results is that of the first one:
        captions, boxes (each gets ``area = w * h``, ``iscrowd = 0`` and, without a
        ``segmentation``, the box's four corners as its polygon), masks (compressed run lengths;
        each gets its mask's ``area`` and, without a ``bbox``, its mask's box) or keypoints (each
        gets the box around its keypoints and that box's area). Each gets ``id`` = its position
        + 1. The caller's results are not modified: each is copied."""
        print("Loading and preparing results...")
        tic = time.time()
        native = self._gt_index()
        if _is_path(resFile):
            with open(resFile, "rb") as f:
                data = f.read()
            results = None
            if native is not None:
                results = _native_index(lambda: _native().coco_results_index(native, data))
            if results is not None:
                return self._indexed_results(results, functools.partial(_results_from_bytes, data, resFile), True, tic)
            anns = _results_from_bytes(data, resFile)
            copied = True  # parsed here: nobody else holds these dicts
        elif isinstance(resFile, np.ndarray):
            anns = self.loadNumpyAnnotations(resFile)
            copied = True
            if native is not None:
                results = _native_index(lambda: _native().coco_box_results(native, anns))
                if results is not None:
                    return self._indexed_results(results, functools.partial(list, anns), True, tic)
        elif isinstance(resFile, (list, tuple)):
            if native is not None:
                results = _native_index(lambda: _native().coco_box_results(native, resFile))
                if results is not None:
                    return self._indexed_results(results, functools.partial(list, list(resFile)), False, tic)
            anns = resFile
            copied = False
        else:
            raise TypeError(
                f"results must be a file path, a list of result dicts or an (N, 7) numpy array, got {type(resFile).__name__}"
            )
        res = self._results(anns, copied)
        print("DONE (t={:0.2f}s)".format(time.time() - tic))
        res.createIndex()
        return res

    def _indexed_results(self, results: Any, source: Any, copied: bool, tic: float) -> "COCO":
        """A results index evaluated from ``results`` (held in Rust); its dicts are built from
        ``source()`` on first read."""
        print("DONE (t={:0.2f}s)".format(time.time() - tic))
        print("creating index...")
        print("index created!")
        res = COCO()
        res._native = results
        res._pending = functools.partial(_results_state, self, source, copied)
        return res

    def _results(self, anns: Any, copied: bool) -> "COCO":
        """pycocotools' ``loadRes`` bookkeeping over the result dicts ``anns`` (copied first
        unless ``copied``), without the index."""
        self._materialise()
        res = COCO()
        res._dataset["info"] = copy.deepcopy(self._dataset.get("info", {}))
        res._dataset["images"] = [img for img in self._dataset.get("images", [])]
        # Each result is copied (the dict, and its bbox) before fields are written into it.
        if not copied:
            anns = _copy_results(anns)
        try:
            image_ids = [ann["image_id"] for ann in anns]
        except KeyError:
            i = next(i for i, ann in enumerate(anns) if "image_id" not in ann)
            raise ValueError(f"result {i} has no 'image_id'") from None
        known = self._imgs
        try:
            all_known = known.keys() >= set(image_ids)
        except TypeError:  # an unhashable image_id: found and named below
            all_known = False
        if not all_known:
            unknown = [i for i, image_id in enumerate(image_ids) if not _hashable_in(image_id, known)]
            raise ValueError(
                f"result {unknown[0]} has image_id {image_ids[unknown[0]]!r}, which is not an image of the ground "
                f"truth ({len(unknown)} of {len(anns)} results are on unknown images)"
            )

        if not anns:
            if "categories" in self._dataset:
                res._dataset["categories"] = copy.deepcopy(self._dataset["categories"])
        elif "caption" in anns[0]:
            img_ids = {img["id"] for img in res._dataset["images"]} & {ann["image_id"] for ann in anns}
            res._dataset["images"] = [img for img in res._dataset["images"] if img["id"] in img_ids]
            for i, ann in enumerate(anns):
                ann["id"] = i + 1
        else:
            first = anns[0]
            if "bbox" in first and not _is_empty(first["bbox"]):
                kind = "bbox"
            elif "segmentation" in first:
                kind = "segmentation"
            elif "keypoints" in first:
                kind = "keypoints"
            elif any(shape in first for shape in _SHAPES):
                kind = next(shape for shape in _SHAPES if shape in first)
            else:
                raise ValueError(f"result 0 holds none of {_KINDS}, so the kind of the results is unknown")
            if not all(kind in ann and "category_id" in ann for ann in anns):
                i = next(i for i, ann in enumerate(anns) if kind not in ann or "category_id" not in ann)
                if kind not in anns[i]:
                    raise ValueError(f"result {i} has no {kind!r}; the first result has one, so every result needs it")
                raise ValueError(f"result {i} has no 'category_id'")
            if "categories" in self._dataset:
                res._dataset["categories"] = copy.deepcopy(self._dataset["categories"])
            if kind == "bbox":
                _box_results(anns)
            elif kind == "segmentation":
                _mask_results(anns, self._imgs)
            elif kind in _SHAPES:
                _shape_results(anns, kind)
            else:
                _keypoint_results(anns)
        res._dataset["annotations"] = anns
        return res


def _native() -> Any:
    from . import _native as native  # here, not at import: a sibling module of the package

    return native


def _native_index(build: Any) -> Any:
    """``build()``, or None when softkit's reader declines the input (pycocotools' path then
    reads it, with its own errors)."""
    try:
        return build()
    except ValueError:
        return None


def _parse_json(data: bytes, path: Any, what: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{what} {os.fsdecode(path)!r} is not valid JSON: {err}") from None


def _results_from_bytes(data: bytes, path: Any) -> List[dict]:
    anns = _parse_json(data, path, "results file")
    if not isinstance(anns, list):
        raise ValueError(
            f"results file {os.fsdecode(path)!r} holds a {type(anns).__name__}, expected a list of "
            "result objects [{'image_id': ..., 'category_id': ..., 'bbox': [x, y, w, h], 'score': ...}, ...]"
        )
    _require_dicts(anns)
    return anns


_STATE = ("_dataset", "_anns", "_cats", "_imgs", "_imgToAnns", "_catToImgs")


def _gt_state(data: bytes, path: Any) -> Dict[str, Any]:
    """The dicts of a ground-truth file that the Rust index read: pycocotools' ``dataset`` and index."""
    coco = COCO()
    coco._dataset = _parse_json(data, path, "annotation file")
    coco._build_index()
    return {key: coco.__dict__[key] for key in _STATE}


def _results_state(gt: "COCO", source: Any, copied: bool) -> Dict[str, Any]:
    """The dicts of results that the Rust index read, with ``loadRes``' bookkeeping."""
    res = gt._results(source(), copied)
    res._build_index()
    return {key: res.__dict__[key] for key in _STATE}


def _hashable_in(key: Any, index: Dict[Any, Any]) -> bool:
    try:
        return key in index
    except TypeError:
        return False


def _is_empty(x: Any) -> bool:
    try:
        return len(x) == 0
    except TypeError:
        return False


def _require_dicts(anns: Any) -> None:
    """Every result is a dict (or a dict subclass); else a ``TypeError`` naming the first other."""
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            raise TypeError(f"result {i} must be a dict, got {type(ann).__name__}")


def _copy_results(anns: Any) -> List[dict]:
    """A copy of each result dict, and of its ``bbox`` list or array."""
    out = []
    append = out.append
    _require_dicts(anns)
    for ann in anns:
        ann = ann.copy()
        bb = ann.get("bbox")
        if type(bb) is list or isinstance(bb, (list, np.ndarray)):
            ann["bbox"] = bb.copy()
        append(ann)
    return out


def _box_results(anns: List[dict]) -> None:
    for i, ann in enumerate(anns):
        bb = ann["bbox"]
        if type(bb) is not list and (not _is_array_like(bb) or isinstance(bb, (str, bytes, dict))):
            raise ValueError(f"result {i}: 'bbox' must be [x, y, w, h], got {bb!r:.80}")
        if len(bb) != 4:
            raise ValueError(f"result {i}: 'bbox' must be [x, y, w, h], got {bb!r:.80}")
        try:
            x1, y1, w, h = bb[0], bb[1], bb[2], bb[3]
            x2, y2, area = x1 + w, y1 + h, w * h
        except (TypeError, KeyError, IndexError):
            raise ValueError(f"result {i}: 'bbox' must be four numbers, got {bb!r:.80}") from None
        if "segmentation" not in ann:
            ann["segmentation"] = [[x1, y1, x1, y2, x2, y2, x2, y1]]
        ann["area"] = area
        ann["id"] = i + 1
        ann["iscrowd"] = 0


def _shape_results(anns: List[dict], kind: str) -> None:
    """Rotated boxes, 3-D boxes and time segments: numbered from 1, not crowds, with an area."""
    width, area = _SHAPES[kind]
    for i, ann in enumerate(anns):
        value = ann[kind]
        if not _is_array_like(value) or isinstance(value, (str, bytes, dict)) or len(value) != width:
            raise ValueError(f"result {i}: {kind!r} must be {width} numbers, got {value!r:.80}")
        try:
            ann["area"] = area([float(v) for v in value])
        except (TypeError, ValueError):
            raise ValueError(f"result {i}: {kind!r} must be {width} numbers, got {value!r:.80}") from None
        ann["id"] = i + 1
        ann["iscrowd"] = 0


def _mask_results(anns: List[dict], imgs: Dict[Any, dict]) -> None:
    names = [f"result {i}: 'segmentation'" for i in range(len(anns))]
    segms = [ann["segmentation"] for ann in anns]
    # Polygon results (softkit's "polygon" iouType; pycocotools' loadRes fails on them) are
    # rasterised at the image's size as annToRLE does, or measured as drawn where the image has no
    # size. Polygons among run-length masks are an error, named below.
    rings = [i for i, segm in enumerate(segms) if isinstance(segm, list)]
    if len(rings) != len(segms):
        rings = []
    polygon_area_bbox = {}
    for i in rings:
        image = imgs.get(anns[i]["image_id"], {})
        if "height" in image and "width" in image:
            from . import _mask  # here, not at import: _mask is a sibling module of the package

            segms[i] = _mask.merge(_mask.frPyObjects(segms[i], image["height"], image["width"]))
        else:
            polygon_area_bbox[i] = _polygon_area_bbox(segms[i], names[i])
    areas, boxes = _rle_area_bbox([{"size": [0, 0], "counts": b""} if i in polygon_area_bbox else segm
                                   for i, segm in enumerate(segms)], names)
    areas = areas.astype(np.float64) if polygon_area_bbox else areas
    for i, (area, box) in polygon_area_bbox.items():
        areas[i], boxes[i] = area, box
    for i, ann in enumerate(anns):
        ann["area"] = areas[i]
        if "bbox" not in ann:
            ann["bbox"] = boxes[i]
        ann["id"] = i + 1
        ann["iscrowd"] = 0


def _polygon_area_bbox(polygons: Any, name: str) -> Tuple[float, List[float]]:
    """The area (each ring's shoelace area, summed) and the extent of polygons
    ``[[x1, y1, x2, y2, ...], ...]``, as softkit's reader measures polygons on an image without a size."""
    try:
        rings = [np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in polygons]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be polygons [[x1, y1, x2, y2, ...], ...], got {polygons!r:.80}") from None
    area = 0.0
    for ring in rings:
        x, y = ring[:, 0], ring[:, 1]
        area += 0.5 * abs(float(np.sum(x * np.roll(y, -1) - y * np.roll(x, -1))))
    points = np.concatenate(rings) if rings else np.zeros((0, 2))
    if not len(points):
        return 0.0, [0.0, 0.0, 0.0, 0.0]
    lo, hi = points.min(axis=0), points.max(axis=0)
    return area, [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])]


def _keypoint_results(anns: List[dict]) -> None:
    for i, ann in enumerate(anns):
        s = ann["keypoints"]
        if not _is_array_like(s) or isinstance(s, (str, bytes)) or len(s) < 3 or len(s) % 3:
            raise ValueError(f"result {i}: 'keypoints' must be [x1, y1, v1, x2, y2, v2, ...], got {s!r:.80}")
        try:
            x, y = s[0::3], s[1::3]
            x0, x1, y0, y1 = np.min(x), np.max(x), np.min(y), np.max(y)
            ann["area"] = (x1 - x0) * (y1 - y0)
        except (TypeError, ValueError):
            raise ValueError(f"result {i}: 'keypoints' must be numbers, got {s!r:.80}") from None
        ann["id"] = i + 1
        ann["bbox"] = [x0, y0, x1 - x0, y1 - y0]
