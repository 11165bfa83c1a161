"""Evaluation of rotated boxes and polygons: `softkit.coco_eval(iou_type="rotated" | "polygon")`
against pycocotools' box AP on the real parity set (boxes written as unturned rotated boxes and as
4-corner polygons), and `softkit.voc_eval` against the DOTA devkit's protocol (dota_reference.py)
on seeded rotated scenes, with bad input named."""

import copy
import functools
import json
import math

import numpy as np
import pytest

import dota_reference as dota
import shape_reference as ref
import softkit
from conftest import data_file
from test_coco_eval import TOL, assert_matches, pycocotools_eval

# ---------------------------------------------------------------- COCO: boxes as shapes


@functools.lru_cache(maxsize=None)
def _parity_text():
    gt = data_file("coco-val2014-100", "instances_val2014_100.json").read_text()
    dt = data_file("coco-val2014-100", "instances_val2014_fakebbox100_results.json").read_text()
    return gt, dt


def parity_set():
    """Fresh copies of the parity set's ground truth and box results."""
    gt, dt = _parity_text()
    return json.loads(gt), json.loads(dt)


@functools.lru_cache(maxsize=None)
def box_eval():
    """pycocotools' bbox evaluation of the parity set, the files as they are (run once)."""
    gt, dt = parity_set()
    return pycocotools_eval(gt, dt)


def unturned(bbox):
    x, y, w, h = bbox
    return [x + w / 2, y + h / 2, w, h, 0.0]


def quarter_turned(bbox):
    """The same box as `unturned`, written with the sides swapped and a quarter turn."""
    x, y, w, h = bbox
    return [x + w / 2, y + h / 2, h, w, math.pi / 2]


def corners(bbox):
    x, y, w, h = bbox
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def as_shapes(write, field, keep_bbox):
    """The parity set with every annotation and result also carrying `field` = write(its bbox);
    the results lose their bbox unless keep_bbox (ground truth keeps bbox and area)."""
    gt, dt = parity_set()
    for a in gt["annotations"]:
        a[field] = write(a["bbox"])
    for r in dt:
        r[field] = write(r["bbox"])
        if not keep_bbox:
            del r["bbox"]
    return gt, dt


def assert_stats_match(result, ev, what):
    diff = np.abs(np.asarray(result["stats"]) - ev.stats)
    names = [name for name, d in zip(result["stat_names"], diff) if d > TOL]
    assert diff.max() <= TOL, f"{what}: max |stats - pycocotools| = {diff.max():.3g} in {names}"
    assert_matches(result, ev)


@pytest.mark.parametrize("keep_bbox", [False, True], ids=["rbox-only", "rbox-and-bbox"])
@pytest.mark.parametrize("write", [unturned, quarter_turned])
def test_unturned_rotated_boxes_give_pycocotools_box_ap(write, keep_bbox):
    """Crowds included: their overlap (intersection over the detection's area) carries over, and a
    rotated result's area (for area ranges) is w * h, as loadRes gives a box."""
    gt, dt = as_shapes(write, "rbox", keep_bbox)
    assert_stats_match(softkit.coco_eval(gt, dt, "rotated"), box_eval(), f"rotated {write.__name__}")


@pytest.mark.parametrize("keep_bbox", [False, True], ids=["polygon-only", "polygon-and-bbox"])
def test_box_corner_polygons_give_pycocotools_box_ap(keep_bbox):
    gt, dt = as_shapes(corners, "segmentation", keep_bbox)
    assert_stats_match(softkit.coco_eval(gt, dt, "polygon"), box_eval(), "polygon")


def test_rotated_eval_keeps_an_exact_threshold_tie():
    """The one pair of the parity set whose IoU is exactly 4/5 (image 192, category 39: x 9.2 and
    13.2, w 36, same y and h), at the 0.8 threshold. Written as rotated boxes the exact IoU is 4/5,
    which rounds to the threshold 0.8 itself; pycocotools (0.8000000000000002), shapely and
    softkit's box and polygon IoU (0.8) all match the pair at 0.8, so the rotated IoU must reach
    0.8 too (one ulp less, 0.7999999999999999, drops the match and AP by 0.1)."""
    d, g = [9.2, 381.39, 36, 92.98], [13.2, 381.39, 36.0, 92.98]
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": g, "area": g[2] * g[3], "iscrowd": 0}],
    }
    dt = [{"image_id": 1, "category_id": 1, "bbox": d, "score": 0.9}]
    boxes = pycocotools_eval(gt, dt)
    assert boxes.eval["recall"][6, 0, 0, 2] == 1.0  # matched at 0.8
    assert ref.iou(ref.polygon(unturned(d)), ref.polygon(unturned(g))) == 0.8
    gt_r, dt_r = copy.deepcopy(gt), [dict(dt[0], rbox=unturned(d))]
    gt_r["annotations"][0]["rbox"] = unturned(g)
    assert_stats_match(softkit.coco_eval(gt_r, dt_r, "rotated"), boxes, "rotated, one pair")


# ---------------------------------------------------------------- VOC: the DOTA protocol

GT_CLASSES = [1, 2, 3, 4]
ONLY_DETECTED = 5  # detections, no ground truth: AP NaN, left out of the mAP
ONLY_ANNOTATED = 6  # ground truth, no detections: AP 0
CATEGORIES = GT_CLASSES + [ONLY_DETECTED, ONLY_ANNOTATED]
SEEDS = [0, 1]


@functools.lru_cache(maxsize=None)
def dota_scene(seed):
    """6 images of 20-60 rotated objects (about 10% difficult, a few crowds), and results: jittered
    copies (some of another class, some twice), false positives and tied scores (2-decimal scores).

    Returns (gt_rotated, gt_polygon, dt_rotated, dt_polygon, detections, ground_truth): softkit's
    inputs, and the reference's {class: [(image, score, 8 numbers)]} in result order and
    {image: [(8 numbers, difficult, class)]}.
    """
    rng = np.random.default_rng(seed)
    images = [{"id": 10 * k + 3} for k in range(6)]
    anns, results = [], []
    for im in images:
        n = int(rng.integers(20, 61))
        boxes = ref.random_rboxes(rng, n, 300, size_range=(8, 60))
        for b in boxes:
            u = rng.random()
            cat = ONLY_ANNOTATED if rng.random() < 0.05 else int(rng.choice(GT_CLASSES))
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": im["id"],
                    "category_id": cat,
                    "area": float(b[2] * b[3]),
                    "iscrowd": int(u < 0.03),
                    "difficult": int(0.03 <= u < 0.13),
                    "rbox": [float(v) for v in b],
                }
            )
        mine = anns[-n:]
        candidates = []
        for a in mine:
            if a["category_id"] == ONLY_ANNOTATED:
                continue
            for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):  # missed, found, found twice
                cx, cy, w, h, t = a["rbox"]
                size = min(w, h)
                box = [
                    cx + rng.normal(0, 0.08 * size),
                    cy + rng.normal(0, 0.08 * size),
                    w * rng.uniform(0.85, 1.15),
                    h * rng.uniform(0.85, 1.15),
                    t + rng.normal(0, 0.08),
                ]
                r = rng.random()
                cat = a["category_id"] if r < 0.85 else (ONLY_DETECTED if r < 0.92 else int(rng.choice(GT_CLASSES)))
                candidates.append((cat, box))
        for b in ref.random_rboxes(rng, int(rng.integers(5, 15)), 300, size_range=(8, 60)):
            candidates.append((int(rng.choice(GT_CLASSES + [ONLY_DETECTED])), list(b)))
        for k in rng.permutation(len(candidates)):
            cat, box = candidates[k]
            score = round(float(rng.random()), 2) if rng.random() < 0.5 else float(rng.random())
            results.append({"image_id": im["id"], "category_id": cat, "rbox": [float(v) for v in box], "score": score})
    quad = lambda rbox: ref.rbox_corners(*rbox).reshape(8).tolist()
    categories = [{"id": c, "name": f"c{c}"} for c in CATEGORIES]
    gt_r = {"images": images, "categories": categories, "annotations": anns}
    gt_p = copy.deepcopy(gt_r)
    for a in gt_p["annotations"]:
        a["segmentation"] = [quad(a.pop("rbox"))]
    dt_p = [{k: v for k, v in r.items() if k != "rbox"} | {"segmentation": [quad(r["rbox"])]} for r in results]
    ground_truth = {im["id"]: [] for im in images}
    for a in anns:
        ground_truth[a["image_id"]].append((quad(a["rbox"]), bool(a["difficult"] or a["iscrowd"]), a["category_id"]))
    detections = {c: [] for c in CATEGORIES}
    for r in results:
        detections[r["category_id"]].append((r["image_id"], r["score"], quad(r["rbox"])))
    return gt_r, gt_p, results, dt_p, detections, ground_truth


@functools.lru_cache(maxsize=None)
def dota_expected(seed, threshold, metric):
    """{class: (rec, prec, ap)} by the reference."""
    *_, detections, ground_truth = dota_scene(seed)
    return {
        c: dota.voc_eval(detections, ground_truth, c, threshold, metric == "07") for c in CATEGORIES
    }


def test_dota_scenes_cover_the_cases():
    gt, _, dt, _, detections, ground_truth = dota_scene(SEEDS[0])
    anns = gt["annotations"]
    assert all(20 <= len(v) <= 60 for v in ground_truth.values())
    assert 0.05 < sum(a["difficult"] for a in anns) / len(anns) < 0.2 and any(a["iscrowd"] for a in anns)
    assert not any(a["category_id"] == ONLY_DETECTED for a in anns) and detections[ONLY_DETECTED]
    assert any(a["category_id"] == ONLY_ANNOTATED for a in anns) and not detections[ONLY_ANNOTATED]
    # Tied scores within a class, in an order that changes the outcome: both take result order.
    c = GT_CLASSES[0]
    rec, prec, ap = dota_expected(SEEDS[0], 0.5, "area")[c]
    reversed_ties = dota.voc_eval({c: detections[c][::-1]}, ground_truth, c, 0.5, False)
    assert not np.array_equal(prec, reversed_ties[1])
    assert 0.3 < rec[-1] < 1 and 0 < ap < 1
    # Some detections land on difficult objects or crowds: neither hits nor misses.
    positives = sum(not difficult for objs in ground_truth.values() for _, difficult, k in objs if k == c)
    counted = rec[-1] * positives / prec[-1]  # hits + misses
    assert round(counted) < len(detections[c])


def _max_diff(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max()) if a.size else 0.0


@pytest.mark.parametrize("metric", ["07", "area"])
@pytest.mark.parametrize("threshold", [0.5, 0.7])
@pytest.mark.parametrize("iou_type", ["rotated", "polygon"])
@pytest.mark.parametrize("seed", SEEDS)
def test_voc_matches_the_dota_devkit(seed, iou_type, threshold, metric):
    gt_r, gt_p, dt_r, dt_p, detections, ground_truth = dota_scene(seed)
    gt, dt = (gt_r, dt_r) if iou_type == "rotated" else (gt_p, dt_p)
    out = softkit.voc_eval(gt, dt, iou_type, iou_threshold=threshold, metric=metric)
    expected = dota_expected(seed, threshold, metric)
    assert sorted(out["per_class"]) == CATEGORIES
    tol = 1e-9
    for c in CATEGORIES:
        got, (rec, prec, ap) = out["per_class"][c], expected[c]
        positives = sum(not difficult for objs in ground_truth.values() for _, difficult, k in objs if k == c)
        assert got["ground_truth"] == positives, c
        assert got["detections"] == len(detections[c]), c
        assert got["precision"].shape == prec.shape, c
        assert _max_diff(got["precision"], prec) <= tol, f"class {c}: precision off by {_max_diff(got['precision'], prec)}"
        if c == ONLY_DETECTED:
            assert math.isnan(got["ap"]) and got["recall"].size == 0 and positives == 0
            continue
        assert got["recall"].shape == rec.shape, c
        assert _max_diff(got["recall"], rec) <= tol, f"class {c}: recall off by {_max_diff(got['recall'], rec)}"
        assert abs(got["ap"] - ap) <= tol, f"class {c}: AP {got['ap']!r} vs the devkit's {ap!r}"
    assert out["per_class"][ONLY_ANNOTATED]["ap"] == 0.0 and out["per_class"][ONLY_ANNOTATED]["precision"].size == 0
    with_gt = [c for c in CATEGORIES if c != ONLY_DETECTED]
    mean, _ = dota.map_over_classes(detections, ground_truth, with_gt, threshold, metric == "07")
    assert abs(out["map"] - mean) <= tol, f"mAP {out['map']!r} vs the devkit's {mean!r}"


def test_voc_rotated_and_polygon_agree_with_each_other():
    """The same scene as rotated boxes and as their corner polygons gives the same classes."""
    gt_r, gt_p, dt_r, dt_p, *_ = dota_scene(SEEDS[1])
    a = softkit.voc_eval(gt_r, dt_r, "rotated", metric="area")
    b = softkit.voc_eval(gt_p, dt_p, "polygon", metric="area")
    for c in CATEGORIES:
        np.testing.assert_allclose(a["per_class"][c]["precision"], b["per_class"][c]["precision"], rtol=0, atol=1e-12)
        assert a["per_class"][c]["ap"] == pytest.approx(b["per_class"][c]["ap"], abs=1e-12, nan_ok=True)
    assert a["map"] == pytest.approx(b["map"], abs=1e-12)


# ---------------------------------------------------------------- bad input


def tiny(**annotation):
    """One image, one class, one ground-truth rectangle (as rbox and as polygon), plus `annotation`'s fields."""
    a = {"id": 1, "image_id": 1, "category_id": 1, "area": 8.0, "iscrowd": 0, "rbox": [2.0, 1.0, 4.0, 2.0, 0.0]}
    a["segmentation"] = [[0.0, 0.0, 4.0, 0.0, 4.0, 2.0, 0.0, 2.0]]
    return {"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [a, dict(a, id=2) | annotation]}


POLYGON_RESULT = {"image_id": 1, "category_id": 1, "segmentation": [[0.0, 0.0, 4.0, 0.0, 4.0, 2.0, 0.0, 2.0]], "score": 0.9}
ROTATED_RESULT = {"image_id": 1, "category_id": 1, "rbox": [2.0, 1.0, 4.0, 2.0, 0.0], "score": 0.9}


def evaluators(iou_type):
    return [
        lambda gt, dt: softkit.coco_eval(gt, dt, iou_type),
        lambda gt, dt: softkit.voc_eval(gt, dt, iou_type),
    ]


@pytest.mark.parametrize("run", evaluators("polygon"), ids=["coco", "voc"])
def test_a_result_with_two_polygons_is_named(run):
    two = dict(POLYGON_RESULT, segmentation=POLYGON_RESULT["segmentation"] + [[5.0, 5.0, 6.0, 5.0, 6.0, 6.0]])
    with pytest.raises(ValueError, match=r"results\[1\]\.segmentation has 2 polygons"):
        run(tiny(), [POLYGON_RESULT, two])


@pytest.mark.parametrize("run", evaluators("rotated"), ids=["coco", "voc"])
def test_an_annotation_without_rbox_is_named(run):
    gt = tiny()
    del gt["annotations"][1]["rbox"]
    with pytest.raises(ValueError, match=r"annotations\[1\].*rbox"):
        run(gt, [ROTATED_RESULT])


def test_an_unknown_voc_metric_is_refused():
    with pytest.raises(ValueError, match='"11"'):
        softkit.voc_eval(tiny(), [ROTATED_RESULT], "rotated", metric="11")


@pytest.mark.parametrize("iou_type", ["rotated", "polygon"])
def test_a_difficult_flag_other_than_0_or_1_is_named(iou_type):
    dt = [ROTATED_RESULT if iou_type == "rotated" else POLYGON_RESULT]
    with pytest.raises(ValueError, match=r"annotations\[1\]\.difficult"):
        softkit.voc_eval(tiny(difficult=2), dt, iou_type)
    # 0, 1 and booleans are flags; a difficult twin is neither hit nor miss.
    for flag in (1, True):
        out = softkit.voc_eval(tiny(difficult=flag), dt, iou_type, metric="area")
        assert out["per_class"][1]["ground_truth"] == 1 and out["map"] == 1.0
