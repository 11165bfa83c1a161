"""`softkit.coco` (``COCO``, ``COCOeval``, ``Params``, ``patch_pycocotools``) against pycocotools' object
API, run live on the same inputs: ``stats``, the ``eval`` arrays, ``evalImgs`` entry by entry, and the text
``summarize()`` prints.

The cases: the shared parity set (bbox and segm), seeded random datasets (empty images, images with only
detections, categories without ground truth, crowds, areas exactly at the range edges, tied scores, more
than ``maxDets`` detections on an image) for bbox, segm and keypoints, ``params`` edited between
``evaluate()`` calls on one evaluator, a torchvision-style training-loop evaluator run unmodified through
``patch_pycocotools`` (``coco_loop_script.py``), and bad input.
"""

import contextlib
import copy
import io
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval
from pycocotools.cocoeval import Params as PyParams

import softkit.coco as skcoco
from conftest import REPO, data_file

TOL = 1e-12
HERE = pathlib.Path(__file__).resolve().parent
LIBS = {"pycocotools": (PyCOCO, PyCOCOeval), "softkit": (skcoco.COCO, skcoco.COCOeval)}
N_KPT = 17


# ------------------------------------------------------------------------------------------ helpers


def quiet(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with its progress lines swallowed; returns ``(result, printed text)``."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        out = fn(*args, **kwargs)
    return out, buf.getvalue()


def make_gt(lib, dataset):
    """A ground-truth ``COCO`` of ``lib`` over a private copy of ``dataset`` (pycocotools edits it)."""
    coco_cls = LIBS[lib][0]

    def build():
        gt = coco_cls()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        return gt

    return quiet(build)[0]


def make_pair(dataset, results, iou_type):
    """``{lib: COCOeval}`` over the same ground truth and results (each library gets its own copies)."""
    evals = {}
    for lib, (_, eval_cls) in LIBS.items():
        gt = make_gt(lib, dataset)
        res = results if isinstance(results, (str, os.PathLike)) else copy.deepcopy(results)
        dt = quiet(gt.loadRes, res)[0]
        evals[lib] = eval_cls(gt, dt, iou_type)
    return evals


def run(ev):
    """evaluate, accumulate and summarize; returns the text summarize printed."""
    quiet(ev.evaluate)
    quiet(ev.accumulate)
    return quiet(ev.summarize)[1]


def average_lines(text):
    return [line for line in text.splitlines() if line.lstrip().startswith("Average")]


def assert_array_same(actual, expected, what):
    assert isinstance(actual, np.ndarray), f"{what}: {type(actual).__name__}, expected numpy array"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype.kind == expected.dtype.kind, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    if actual.size:
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(actual, expected, rtol=0, atol=TOL, err_msg=what)
        else:
            assert np.array_equal(actual, expected), f"{what}: values differ"


def assert_eval_imgs_same(sk, py):
    assert len(sk) == len(py), f"evalImgs: {len(sk)} entries != {len(py)}"
    for n, (a, b) in enumerate(zip(sk, py)):
        if b is None:
            assert a is None, f"evalImgs[{n}]: softkit has an entry where pycocotools has None: {a}"
            continue
        assert isinstance(a, dict), f"evalImgs[{n}]: softkit has {a!r}, pycocotools a dict for image {b['image_id']}"
        assert sorted(a) == sorted(b), f"evalImgs[{n}] keys: {sorted(a)} != {sorted(b)}"
        where = f"evalImgs[{n}] (image {b['image_id']}, category {b['category_id']}, aRng {b['aRng']})"
        for key, expected in b.items():
            actual = a[key]
            if isinstance(expected, np.ndarray):
                assert_array_same(actual, expected, f"{where}[{key!r}]")
            elif isinstance(expected, list):
                assert isinstance(actual, list), f"{where}[{key!r}]: {type(actual).__name__}, expected list"
                assert actual == expected, f"{where}[{key!r}]: {actual} != {expected}"
            else:
                assert actual == expected, f"{where}[{key!r}]: {actual!r} != {expected!r}"


def assert_same(sk, py, evalimgs=True):
    """Everything a caller reads off a ``COCOeval`` after evaluate/accumulate/summarize."""
    assert_array_same(np.asarray(sk.stats), np.asarray(py.stats), "stats")
    assert sk.eval["counts"] == py.eval["counts"], f"counts {sk.eval['counts']} != {py.eval['counts']}"
    for key in ("precision", "recall", "scores"):
        assert_array_same(sk.eval[key], py.eval[key], f"eval[{key!r}]")
    if evalimgs:
        assert_eval_imgs_same(sk.evalImgs, py.evalImgs)


def run_and_compare(evals):
    texts = {lib: run(ev) for lib, ev in evals.items()}
    assert_same(evals["softkit"], evals["pycocotools"])
    sk_lines, py_lines = average_lines(texts["softkit"]), average_lines(texts["pycocotools"])
    assert py_lines, texts["pycocotools"]
    assert sk_lines == py_lines


# ------------------------------------------------------------------------------------------ generator


def uncompressed_rle(mask):
    """COCO's uncompressed run lengths of a 0/1 mask (column-major, first run counts zeros)."""
    flat = np.asarray(mask, dtype=np.uint8).flatten(order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.r_[0, change, flat.size]
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        runs = [0] + runs
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": [int(r) for r in runs]}


def compressed_rle(mask):
    rle = mask_utils.encode(np.asfortranarray(np.asarray(mask, dtype=np.uint8)))
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def rect_mask(h, w, box):
    x, y, bw, bh = (int(round(v)) for v in box)
    m = np.zeros((h, w), np.uint8)
    m[max(y, 0) : min(y + bh, h), max(x, 0) : min(x + bw, w)] = 1
    return m


def polygon_in(rng, box, w_img, h_img):
    """A closed polygon of 5 to 9 vertices roughly filling ``box`` (floats, as COCO's are)."""
    x, y, w, h = box
    n = int(rng.integers(5, 10))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = rng.uniform(0.6, 1.0, n)
    px = np.clip(x + w / 2 + np.cos(angles) * radius * w / 2, 0, w_img)
    py = np.clip(y + h / 2 + np.sin(angles) * radius * h / 2, 0, h_img)
    return [float(v) for v in np.round(np.column_stack([px, py]).ravel(), 2)]


def random_box(rng, w_img, h_img, lo=3, hi=110):
    w, h = float(rng.integers(lo, hi)), float(rng.integers(lo, hi))
    x = float(rng.integers(0, max(1, int(w_img - w))))
    y = float(rng.integers(0, max(1, int(h_img - h))))
    return [x, y, w, h]


def jitter(rng, box, w_img, h_img, amount):
    x, y, w, h = box
    x = float(np.clip(round(x + rng.normal(0, amount * w)), 0, w_img - 2))
    y = float(np.clip(round(y + rng.normal(0, amount * h)), 0, h_img - 2))
    w = float(np.clip(round(w * rng.uniform(1 - amount, 1 + amount)), 1, w_img - x))
    h = float(np.clip(round(h * rng.uniform(1 - amount, 1 + amount)), 1, h_img - y))
    return [x, y, w, h]


TIED_SCORES = [round(s, 2) for s in np.linspace(0.05, 1.0, 20)]


def detection_case(seed, iou_type):
    """A seeded random dataset and its results for bbox or segm.

    Images 1 and 2 are empty (no ground truth, no result), image 3 has only results, image 4 has 130
    results (past maxDets 100), category 9 has results but no ground truth, about one ground truth in
    eight is a crowd, boxes of exactly 32x32 and 96x96 sit on the area-range edges, scores are tied.
    """
    rng = np.random.default_rng(seed)
    images = []
    for k, image_id in enumerate([1, 2, 3, 4] + [10 + 3 * i for i in range(int(rng.integers(5, 9)))]):
        images.append({"id": image_id, "width": int(rng.integers(120, 220)), "height": int(rng.integers(110, 200))})
    categories = [{"id": c, "name": f"c{c}", "supercategory": "s"} for c in (1, 2, 5, 9)]
    anns, results = [], []
    ann_id = 100

    def add_result(image, cat, box):
        score = float(rng.choice(TIED_SCORES)) if rng.random() < 0.7 else round(float(rng.uniform(0, 1)), 4)
        r = {"image_id": image["id"], "category_id": cat, "score": score}
        if iou_type == "bbox":
            r["bbox"] = list(box)
        else:
            r["segmentation"] = compressed_rle(rect_mask(image["height"], image["width"], box))
        results.append(r)

    for image in images:
        w_img, h_img = image["width"], image["height"]
        if image["id"] in (1, 2):
            continue
        if image["id"] == 3:
            for _ in range(6):
                add_result(image, int(rng.choice([1, 2, 9])), random_box(rng, w_img, h_img))
            continue
        n_gt = int(rng.integers(1, 7))
        for g in range(n_gt):
            ann_id += 1
            cat = int(rng.choice([1, 2, 5]))
            edge = rng.random()
            if edge < 0.15:
                side = 32
            elif edge < 0.3:
                side = 96
            else:
                side = None
            if side is None:
                box = random_box(rng, w_img, h_img)
            else:
                box = [float(rng.integers(0, w_img - side)), float(rng.integers(0, h_img - side)), float(side), float(side)]
            crowd = int(rng.random() < 0.12)
            if crowd:
                mask = rect_mask(h_img, w_img, box)
                segmentation = uncompressed_rle(mask)
                area = float(mask.sum())
            else:
                segmentation = [polygon_in(rng, box, w_img, h_img)]
                if rng.random() < 0.2:  # a second part
                    segmentation.append(polygon_in(rng, random_box(rng, w_img, h_img, 3, 30), w_img, h_img))
                area = float(side * side) if side else round(box[2] * box[3] * float(rng.uniform(0.5, 0.9)), 2)
            anns.append(
                {"id": ann_id, "image_id": image["id"], "category_id": cat, "bbox": box, "area": area,
                 "iscrowd": crowd, "segmentation": segmentation}
            )
            # Results near this ground truth: a good one, sometimes a duplicate, sometimes the wrong category.
            if rng.random() < 0.85:
                add_result(image, cat, box if side and rng.random() < 0.5 else jitter(rng, box, w_img, h_img, 0.15))
            if rng.random() < 0.3:
                add_result(image, cat, jitter(rng, box, w_img, h_img, 0.3))
            if rng.random() < 0.15:
                add_result(image, int(rng.choice([1, 2, 5, 9])), jitter(rng, box, w_img, h_img, 0.1))
        n_fp = 130 if image["id"] == 4 else int(rng.integers(0, 5))
        for _ in range(n_fp):
            add_result(image, int(rng.choice([1, 2, 5, 9])), random_box(rng, w_img, h_img))
    rng.shuffle(results)
    dataset = {"info": {}, "images": images, "categories": categories, "annotations": anns}
    return dataset, list(results)


def keypoint_case(seed):
    """A seeded random person dataset and keypoint results: persons with num_keypoints 0, crowds, areas
    exactly 32**2 and 96**2, empty images, an image with only results, one with 30 results (past 20),
    category 2 without ground truth, tied scores."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "width": 300, "height": 300} for i in [1, 2, 3, 4] + [20 + i for i in range(int(rng.integers(4, 8)))]]
    categories = [{"id": 1, "name": "person", "keypoints": [f"k{i}" for i in range(N_KPT)]}, {"id": 2, "name": "other"}]
    anns, results = [], []
    ann_id = 500

    def kp_result(image_id, cat, box, near=None):
        x, y, w, h = box
        kps = []
        for i in range(N_KPT):
            if near is not None and near[3 * i + 2] > 0:
                sigma = float(rng.choice([0.5, 2.0, 6.0]))
                px, py = near[3 * i] + rng.normal(0, sigma), near[3 * i + 1] + rng.normal(0, sigma)
            else:
                px, py = rng.uniform(x, x + w), rng.uniform(y, y + h)
            kps += [round(float(px), 2), round(float(py), 2), 1]
        score = float(rng.choice(TIED_SCORES)) if rng.random() < 0.7 else round(float(rng.uniform(0, 1)), 4)
        results.append({"image_id": image_id, "category_id": cat, "keypoints": kps, "score": score})

    for image in images:
        if image["id"] in (1, 2):
            continue
        if image["id"] == 3:
            for _ in range(4):
                kp_result(3, int(rng.choice([1, 2])), random_box(rng, 300, 300, 10, 120))
            continue
        for _ in range(int(rng.integers(1, 6))):
            ann_id += 1
            box = random_box(rng, 300, 300, 10, 150)
            x, y, w, h = box
            kps = []
            for _k in range(N_KPT):
                v = int(rng.choice([0, 1, 2, 2]))
                kps += [0.0, 0.0, 0] if v == 0 else [round(float(rng.uniform(x, x + w)), 2), round(float(rng.uniform(y, y + h)), 2), v]
            roll = rng.random()
            crowd = int(roll < 0.1)
            if crowd or roll < 0.25:  # a crowd, or a person with no labelled keypoint
                kps = [0.0] * (3 * N_KPT)
            num = sum(1 for v in kps[2::3] if v > 0)
            edge = rng.random()
            area = 32.0**2 if edge < 0.15 else 96.0**2 if edge < 0.3 else round(w * h * float(rng.uniform(0.4, 0.9)), 2)
            anns.append(
                {"id": ann_id, "image_id": image["id"], "category_id": 1, "bbox": box, "area": area, "iscrowd": crowd,
                 "num_keypoints": num, "keypoints": kps}
            )
            if rng.random() < 0.85:
                kp_result(image["id"], 1, box, near=kps)
            if rng.random() < 0.2:
                kp_result(image["id"], 1, box, near=kps)
        n_fp = 30 if image["id"] == 4 else int(rng.integers(0, 4))
        for _ in range(n_fp):
            kp_result(image["id"], int(rng.choice([1, 1, 2])), random_box(rng, 300, 300, 10, 120))
    rng.shuffle(results)
    return {"info": {}, "images": images, "categories": categories, "annotations": anns}, list(results)


def make_case(seed, iou_type):
    return keypoint_case(seed) if iou_type == "keypoints" else detection_case(seed, iou_type)


# ------------------------------------------------------------------------------------------ 1. parity set


@pytest.mark.parametrize(
    "iou_type, results",
    [("bbox", "instances_val2014_fakebbox100_results.json"), ("segm", "instances_val2014_fakesegm100_results.json")],
)
def test_parity_set(iou_type, results):
    gt_path = data_file("coco-val2014-100", "instances_val2014_100.json")
    res_path = data_file("coco-val2014-100", results)
    evals = {}
    for lib, (coco_cls, eval_cls) in LIBS.items():
        gt = quiet(coco_cls, str(gt_path))[0]
        dt = quiet(gt.loadRes, str(res_path))[0]
        evals[lib] = eval_cls(gt, dt, iou_type)
    run_and_compare(evals)
    sk, py = evals["softkit"], evals["pycocotools"]
    assert sk.eval["precision"].dtype == py.eval["precision"].dtype == np.float64
    assert np.array_equal(sk.eval["precision"], py.eval["precision"])  # expected exact, not just within TOL
    assert np.array_equal(sk.stats, py.stats)
    assert sum(e is not None for e in sk.evalImgs) == sum(e is not None for e in py.evalImgs) > 0


# ------------------------------------------------------------------------------------------ 2. random cases


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
@pytest.mark.parametrize("seed", range(6))
def test_random_cases(iou_type, seed):
    dataset, results = make_case(seed, iou_type)
    run_and_compare(make_pair(dataset, results, iou_type))


def test_random_case_generator_covers_the_edges():
    """The generator really makes what the cases above claim (so a parity pass is not vacuous)."""
    dataset, results = detection_case(0, "bbox")
    gt_images = {a["image_id"] for a in dataset["annotations"]}
    dt_images = {r["image_id"] for r in results}
    assert {1, 2} - gt_images - dt_images == {1, 2}
    assert 3 in dt_images - gt_images
    assert sum(r["image_id"] == 4 for r in results) > 100
    assert 9 in {r["category_id"] for r in results} and 9 not in {a["category_id"] for a in dataset["annotations"]}
    seeds = [detection_case(s, "segm")[0]["annotations"] for s in range(6)]
    flat = [a for anns in seeds for a in anns]
    assert any(a["iscrowd"] for a in flat)
    assert any(a["area"] == 32**2 for a in flat) and any(a["area"] == 96**2 for a in flat)
    scores = [r["score"] for r in results]
    assert len(set(scores)) < len(scores)
    kp = [keypoint_case(s)[0]["annotations"] for s in range(6)]
    kflat = [a for anns in kp for a in anns]
    assert any(a["num_keypoints"] == 0 and not a["iscrowd"] for a in kflat) and any(a["iscrowd"] for a in kflat)


# ------------------------------------------------------------------------------------------ 3. params edited in place


def _reset(p, img_ids, cat_ids):
    p.imgIds, p.catIds, p.useCats = list(img_ids), list(cat_ids), 1


DET_EDITS = [
    ("default", lambda p, I, C: None),
    ("image subset", lambda p, I, C: setattr(p, "imgIds", [I[k] for k in (0, 2, 3, 5, 6)] + [I[3]])),
    ("useCats 0", lambda p, I, C: setattr(p, "useCats", 0)),
    ("back to useCats 1", lambda p, I, C: _reset(p, I, C)),
    ("iouThrs [0.5, 0.75]", lambda p, I, C: setattr(p, "iouThrs", np.array([0.5, 0.75]))),
    ("default iouThrs again", lambda p, I, C: setattr(p, "iouThrs", PyParams("bbox").iouThrs)),
    ("maxDets [1, 10, 100]", lambda p, I, C: setattr(p, "maxDets", [1, 10, 100])),
    ("maxDets [5, 20, 50]", lambda p, I, C: setattr(p, "maxDets", [5, 20, 50])),
    ("maxDets unsorted [50, 2, 7]", lambda p, I, C: setattr(p, "maxDets", [50, 2, 7])),
    ("maxDets [1, 10, 100, 300]", lambda p, I, C: setattr(p, "maxDets", [1, 10, 100, 300])),
    ("areaRng edges", lambda p, I, C: (setattr(p, "maxDets", [1, 10, 100]),
                                       setattr(p, "areaRng", [[0, 1e10], [0, 32**2], [32**2, 96**2], [96**2, 1e10]]))),
    ("areaRng custom labels", lambda p, I, C: (setattr(p, "areaRng", [[0, 1e10], [0, 500], [500, 5000]]),
                                               setattr(p, "areaRngLbl", ["all", "small", "medium"]))),
    ("areaRng five ranges", lambda p, I, C: (setattr(p, "areaRng", [[0, 1e10], [0, 1024], [1024, 9216], [9216, 1e10], [200, 2000]]),
                                             setattr(p, "areaRngLbl", ["all", "small", "medium", "large", "mine"]))),
    ("recThrs coarse", lambda p, I, C: setattr(p, "recThrs", np.array([0.0, 0.25, 0.5, 0.75, 1.0]))),
    ("catIds subset", lambda p, I, C: setattr(p, "catIds", [C[1], C[3]])),
]


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_params_edited_between_evaluate_calls(iou_type):
    dataset, results = detection_case(11, iou_type)
    evals = make_pair(dataset, results, iou_type)
    img_ids = sorted(i["id"] for i in dataset["images"])
    cat_ids = sorted(c["id"] for c in dataset["categories"])
    for name, edit in DET_EDITS:
        for ev in evals.values():
            edit(ev.params, img_ids, cat_ids)
        try:
            run_and_compare(evals)
        except AssertionError as err:
            raise AssertionError(f"after the edit {name!r}: {err}") from None


def test_params_edited_on_the_parity_set():
    gt_path = data_file("coco-val2014-100", "instances_val2014_100.json")
    res_path = data_file("coco-val2014-100", "instances_val2014_fakebbox100_results.json")
    dataset = json.loads(gt_path.read_text())
    evals = make_pair(dataset, str(res_path), "bbox")
    img_ids = sorted(i["id"] for i in dataset["images"])
    cat_ids = sorted(c["id"] for c in dataset["categories"])
    for name, edit in DET_EDITS[:8]:
        for ev in evals.values():
            edit(ev.params, img_ids, cat_ids)
        try:
            run_and_compare(evals)
        except AssertionError as err:
            raise AssertionError(f"after the edit {name!r}: {err}") from None


def test_keypoint_params_edited_between_evaluate_calls():
    dataset, results = keypoint_case(3)
    evals = make_pair(dataset, results, "keypoints")
    img_ids = sorted(i["id"] for i in dataset["images"])
    edits = [
        ("default", lambda p: None),
        ("image subset", lambda p: setattr(p, "imgIds", img_ids[2:7])),
        ("all images, iouThrs [0.5, 0.75]", lambda p: (setattr(p, "imgIds", img_ids), setattr(p, "iouThrs", np.array([0.5, 0.75])))),
        ("maxDets [5, 20]", lambda p: setattr(p, "maxDets", [5, 20])),
        ("own sigmas", lambda p: setattr(p, "kpt_oks_sigmas", np.full(N_KPT, 0.05))),
    ]
    for name, edit in edits:
        for ev in evals.values():
            edit(ev.params)
        try:
            run_and_compare(evals)
        except AssertionError as err:
            raise AssertionError(f"after the edit {name!r}: {err}") from None


def test_use_cats_0_twice_without_resetting_cat_ids():
    """pycocotools' accumulate() writes catIds = [-1] into params when useCats is 0; a second evaluate()
    on the same object then sees no category, so every evalImgs entry is None and every stat is -1."""
    dataset, results = detection_case(5, "bbox")
    evals = make_pair(dataset, results, "bbox")
    for ev in evals.values():
        ev.params.useCats = 0
    run_and_compare(evals)
    run_and_compare(evals)
    assert all(e is None for e in evals["pycocotools"].evalImgs)


@pytest.mark.parametrize("max_dets", [[100], [1, 10]])
def test_fewer_than_three_max_dets_evaluate_and_accumulate(max_dets):
    dataset, results = detection_case(2, "bbox")
    evals = make_pair(dataset, results, "bbox")
    for ev in evals.values():
        ev.params.maxDets = list(max_dets)
        quiet(ev.evaluate)
        quiet(ev.accumulate)
    sk, py = evals["softkit"], evals["pycocotools"]
    assert sk.eval["counts"] == py.eval["counts"]
    for key in ("precision", "recall", "scores"):
        assert_array_same(sk.eval[key], py.eval[key], key)
    assert_eval_imgs_same(sk.evalImgs, py.evalImgs)


def test_area_ranges_without_matching_labels_evaluate_and_accumulate():
    dataset, results = detection_case(2, "bbox")
    evals = make_pair(dataset, results, "bbox")
    for ev in evals.values():
        ev.params.areaRng = [[0, 1e10], [0, 2000]]
        quiet(ev.evaluate)
        quiet(ev.accumulate)
    sk, py = evals["softkit"], evals["pycocotools"]
    for key in ("precision", "recall", "scores"):
        assert_array_same(sk.eval[key], py.eval[key], key)
    assert_eval_imgs_same(sk.evalImgs, py.evalImgs)


def test_cocodt_reassigned_between_evaluate_calls():
    dataset, results = detection_case(7, "bbox")
    evals = {}
    for lib, (_, eval_cls) in LIBS.items():
        gt = make_gt(lib, dataset)
        evals[lib] = eval_cls(gt, None, "bbox")
        evals[lib].cocoDt = quiet(gt.loadRes, copy.deepcopy(results[: len(results) // 4]))[0]
    run_and_compare(evals)
    for lib, ev in evals.items():
        ev.cocoDt = quiet(ev.cocoGt.loadRes, copy.deepcopy(results))[0]
    run_and_compare(evals)


def test_accumulate_reads_assigned_eval_imgs():
    """Dropping the entries of some images from evalImgs (set to None, as a merge of partial results could)
    changes what pycocotools accumulates."""
    dataset, results = detection_case(8, "bbox")
    evals = make_pair(dataset, results, "bbox")
    for ev in evals.values():
        quiet(ev.evaluate)
        n_img = len(ev.params.imgIds)
        ev.evalImgs = [None if (k % n_img) % 2 else e for k, e in enumerate(ev.evalImgs)]
        quiet(ev.accumulate)
        quiet(ev.summarize)
    assert_same(evals["softkit"], evals["pycocotools"])


def _merged_batches(lib, dataset, results, iou_type, batch_size):
    """torchvision's merge in-process, with a fresh COCOeval per batch (so no cocoDt is reassigned): the
    batches' evalImgs reshaped to (K, A, I), concatenated along images, flattened into one evaluator."""
    coco_cls, eval_cls = LIBS[lib]
    gt = make_gt(lib, dataset)
    image_ids = sorted(i["id"] for i in dataset["images"])
    parts, merged_ids, first = [], [], None
    for start in range(0, len(image_ids), batch_size):
        batch = image_ids[start : start + batch_size]
        res = [copy.deepcopy(r) for r in results if r["image_id"] in batch]
        dt = quiet(gt.loadRes, res)[0] if res else coco_cls()
        ev = eval_cls(gt, dt, iou_type)
        ev.params.imgIds = list(batch)
        quiet(ev.evaluate)
        p = ev.params
        parts.append(np.asarray(ev.evalImgs).reshape(-1, len(p.areaRng), len(p.imgIds)))
        merged_ids.extend(p.imgIds)
        first = first or ev
    ids, idx = np.unique(np.array(merged_ids), return_index=True)
    first.evalImgs = list(np.concatenate(parts, 2)[..., idx].flatten())
    first.params.imgIds = list(ids)
    first._paramsEval = copy.deepcopy(first.params)
    quiet(first.accumulate)
    text = quiet(first.summarize)[1]
    return first, text


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
def test_batches_merged_into_one_evaluator(iou_type):
    """accumulate() reads evalImgs and _paramsEval as a training loop assigns them."""
    dataset, results = make_case(9, iou_type)
    out = {lib: _merged_batches(lib, dataset, results, iou_type, 3) for lib in LIBS}
    (sk, sk_text), (py, py_text) = out["softkit"], out["pycocotools"]
    assert_same(sk, py)
    assert average_lines(sk_text) == average_lines(py_text)
    # ... and equals one evaluation of every image at once.
    whole = make_pair(dataset, results, iou_type)["pycocotools"]
    run(whole)
    assert_array_same(np.asarray(py.stats), np.asarray(whole.stats), "stats")


# ------------------------------------------------------------------------------------------ 4. summarize text


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
def test_summarize_prints_the_same_lines(iou_type):
    dataset, results = make_case(4, iou_type)
    evals = make_pair(dataset, results, iou_type)
    texts = {lib: run(ev) for lib, ev in evals.items()}
    lines = {lib: average_lines(t) for lib, t in texts.items()}
    assert len(lines["pycocotools"]) == (10 if iou_type == "keypoints" else 12)
    assert lines["softkit"] == lines["pycocotools"]
    # str() summarises too (pycocotools' __str__ prints and returns None, so only the text is compared).
    for lib, ev in evals.items():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                str(ev)
            except TypeError:  # pycocotools' __str__ returns None
                pass
        assert average_lines(buf.getvalue()) == lines["pycocotools"], lib


def test_summarize_before_accumulate_raises_like_pycocotools():
    dataset, results = detection_case(1, "bbox")
    evals = make_pair(dataset, results, "bbox")
    for ev in evals.values():
        with pytest.raises(Exception, match="accumulate"):
            quiet(ev.summarize)


# ------------------------------------------------------------------------------------------ 5. training loop


def _loop(patched):
    gt = data_file("coco-val2014-100", "instances_val2014_100.json")
    bbox = data_file("coco-val2014-100", "instances_val2014_fakebbox100_results.json")
    segm = data_file("coco-val2014-100", "instances_val2014_fakesegm100_results.json")
    env = dict(os.environ)
    env.pop("SOFTKIT_PATCH_PYCOCOTOOLS", None)
    if patched:
        env["SOFTKIT_PATCH_PYCOCOTOOLS"] = "1"
    proc = subprocess.run(
        [sys.executable, str(HERE / "coco_loop_script.py"), str(gt), str(bbox), str(segm), "--batch-size", "8"],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


def _summary(stdout):
    return [line for line in stdout.splitlines() if line.startswith(("IoU metric", " Average", "stats "))]


def test_loop_script_runs_plain_pycocotools():
    out = _loop(False)
    assert "backend: pycocotools.cocoeval" in out
    lines = _summary(out)
    assert len(lines) == 2 * (1 + 12 + 1), out
    # The batched evaluation accumulates to the same numbers as one evaluation of the whole set.
    gt = data_file("coco-val2014-100", "instances_val2014_100.json")
    for iou_type, name in (("bbox", "fakebbox"), ("segm", "fakesegm")):
        res = json.loads(data_file("coco-val2014-100", f"instances_val2014_{name}100_results.json").read_text())
        g = quiet(PyCOCO, str(gt))[0]
        emptied = set(sorted(g.getImgIds())[16:24])  # the script's batch 2 (batch size 8) gets no detections
        res = [r for r in res if r["image_id"] not in emptied]
        ev = PyCOCOeval(g, quiet(g.loadRes, res)[0], iou_type)
        text = run(ev)
        k = lines.index(f"IoU metric: {iou_type}")
        assert lines[k + 1 : k + 13] == average_lines(text)


def test_loop_script_patched_matches_plain():
    plain = _loop(False)
    patched = _loop(True)
    assert "backend: softkit.coco" in patched
    assert _summary(patched) == _summary(plain)


def test_patch_restores_pycocotools():
    import pycocotools.cocoeval

    restore = skcoco.patch_pycocotools()
    try:
        from pycocotools.coco import COCO as patched_coco
        from pycocotools.cocoeval import COCOeval as patched_eval
        from pycocotools.cocoeval import Params as patched_params

        assert patched_eval is skcoco.COCOeval and patched_coco is skcoco.COCO and patched_params is skcoco.Params
    finally:
        restore()
    from pycocotools.cocoeval import COCOeval as again

    assert again is PyCOCOeval and sys.modules["pycocotools.cocoeval"] is pycocotools.cocoeval


# ------------------------------------------------------------------------------------------ 6. bad input


@pytest.fixture(scope="module")
def small_gt():
    dataset, results = detection_case(0, "bbox")
    return make_gt("softkit", dataset), results


def test_load_res_unknown_image_names_the_id(small_gt):
    gt, results = small_gt
    bad = copy.deepcopy(results) + [{"image_id": 987654, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]
    with pytest.raises(ValueError, match="987654"):
        quiet(gt.loadRes, bad)


@pytest.mark.parametrize("shape", [(3, 6), (3, 8), (7,)])
def test_load_res_numpy_of_the_wrong_width(small_gt, shape):
    gt, _ = small_gt
    data = np.ones(shape)
    with pytest.raises(ValueError, match=r"\(N, 7\)"):
        quiet(gt.loadRes, data)


@pytest.mark.parametrize("iou_type", ["obb", "mask", "BBOX"])  # "polygon" is an iouType now
def test_invalid_iou_type(small_gt, iou_type):
    gt, results = small_gt
    dt = quiet(gt.loadRes, copy.deepcopy(results))[0]
    with pytest.raises(ValueError, match=repr(iou_type)):
        skcoco.COCOeval(gt, dt, iou_type)
    with pytest.raises(ValueError, match=repr(iou_type)):
        skcoco.Params(iou_type)


@pytest.mark.parametrize(
    "attr, value, words",
    [
        ("iouThrs", np.array([1.5]), "iou_thrs"),
        ("iouThrs", np.array([np.nan]), "iou_thrs"),
        ("iouThrs", np.array([]), "iou_thrs"),
        ("recThrs", np.array([-0.1, 0.5]), "rec_thrs"),
        ("maxDets", [], "max_dets"),
    ],
)
def test_invalid_params_raise_a_clear_error(small_gt, attr, value, words):
    gt, results = small_gt
    dt = quiet(gt.loadRes, copy.deepcopy(results))[0]
    ev = skcoco.COCOeval(gt, dt, "bbox")
    setattr(ev.params, attr, value)
    with pytest.raises(ValueError, match=words):
        quiet(ev.evaluate)


def test_negative_max_dets_raises_a_clear_error(small_gt):
    gt, results = small_gt
    dt = quiet(gt.loadRes, copy.deepcopy(results))[0]
    ev = skcoco.COCOeval(gt, dt, "bbox")
    ev.params.maxDets = [-1, 10, 100]
    with pytest.raises(ValueError, match=r"max_?[dD]ets.*-1"):
        quiet(ev.evaluate)


def test_invalid_params_are_not_panics(small_gt):
    """Whatever the wording, a bad parameter is an ordinary Exception (a pyo3 PanicException is not one)."""
    gt, results = small_gt
    dt = quiet(gt.loadRes, copy.deepcopy(results))[0]
    for attr, value in [("iouThrs", np.array([1.5])), ("maxDets", [-1]), ("maxDets", [0]), ("areaRng", [[10, 5]] * 4),
                        ("recThrs", np.array([2.0])), ("imgIds", [-5])]:
        ev = skcoco.COCOeval(gt, dt, "bbox")
        setattr(ev.params, attr, value)
        try:
            quiet(ev.evaluate)
            quiet(ev.accumulate)
        except Exception:
            pass
        except BaseException as err:  # noqa: BLE001 - the point of the test
            pytest.fail(f"params.{attr} = {value!r} raised {type(err).__name__} (not an Exception): {err}")
