"""`softkit.nms_ap`: OVDEval's NMS-AP, checked against a plain Python reference of its filter and pycocotools.

The reference below is written from the metric's description (Yao et al. 2023, OVDEval): per image and
class-agnostic, for each ground-truth box of any category the predictions with IoU > 0.5 (strictly), sorted
by score, give a top match to keep and the rest to remove; a prediction is removed only if it is never a top
match; predictions that overlap no ground truth above 0.5 stay. Ties in score go to the earlier result.
"""

import random

import numpy as np
import pytest

import softkit
from test_coco_eval import assert_matches, pycocotools_eval


def iou_xywh(a, b):
    """IoU of [x, y, w, h] boxes with union w1 h1 + w2 h2 - inter; a zero union gives 0."""
    x1, y1, w1, h1 = a
    x2, y2, w2, h2 = b
    xmin, ymin = max(x1, x2), max(y1, y2)
    xmax, ymax = min(x1 + w1, x2 + w2), min(y1 + h1, y2 + h2)
    inter = max(0.0, xmax - xmin) * max(0.0, ymax - ymin)
    union = w1 * h1 + w2 * h2 - inter
    return 0.0 if union == 0 else inter / union


def reference_marks(gt, dt):
    """(top matches, predictions marked for removal), as sets of indices into dt."""
    top, marked = set(), set()
    for image_id in {d["image_id"] for d in dt}:
        preds = [i for i, d in enumerate(dt) if d["image_id"] == image_id]
        for ann in gt["annotations"]:
            if ann["image_id"] != image_id:
                continue
            hits = [i for i in preds if iou_xywh(ann["bbox"], dt[i]["bbox"]) > 0.5]
            hits.sort(key=lambda i: -dt[i]["score"])  # stable: ties keep input order
            if hits:
                top.add(hits[0])
                marked.update(hits[1:])
    return top, marked


def reference_kept(gt, dt):
    """Indices into dt that NMS-AP keeps, ascending."""
    top, marked = reference_marks(gt, dt)
    removed = marked - top
    return [i for i in range(len(dt)) if i not in removed]


def random_case(seed):
    rng = random.Random(seed)
    categories = [{"id": c} for c in (1, 2, 3, 5)]
    images = [{"id": i} for i in range(1, rng.randint(2, 7))]
    anns, dt = [], []
    for img in images:
        for _ in range(rng.randint(0, 5)):
            w, h = rng.choice([0, rng.uniform(4, 120)]), rng.uniform(4, 120)
            box = [round(rng.uniform(0, 300), 1), round(rng.uniform(0, 300), 1), round(w, 1), round(h, 1)]
            anns.append({"id": len(anns) + 1, "image_id": img["id"], "category_id": rng.choice(categories)["id"],
                         "bbox": box, "area": round(box[2] * box[3], 2), "iscrowd": int(rng.random() < 0.1)})
            if rng.random() < 0.4:
                # A neighbour overlapping it, so that one prediction can be the top match of one object
                # and a runner-up for the other.
                near = [round(box[0] + 0.3 * box[2], 1), box[1], box[2], box[3]]
                anns.append({"id": len(anns) + 1, "image_id": img["id"], "category_id": rng.choice(categories)["id"],
                             "bbox": near, "area": round(near[2] * near[3], 2), "iscrowd": 0})
            # Hedge: the same object under several labels, with jittered boxes.
            for _ in range(rng.choice([0, 1, 2, 4])):
                jitter = [v + rng.uniform(-6, 6) for v in box]
                jitter[2], jitter[3] = max(jitter[2], 0.0), max(jitter[3], 0.0)
                score = round(rng.random(), 1) if rng.random() < 0.3 else rng.random()
                dt.append({"image_id": img["id"], "category_id": rng.choice(categories)["id"],
                           "bbox": [round(v, 2) for v in jitter], "score": score})
        for _ in range(rng.randint(0, 4)):
            box = [rng.uniform(0, 300), rng.uniform(0, 300), rng.uniform(1, 80), rng.uniform(1, 80)]
            dt.append({"image_id": img["id"], "category_id": rng.choice(categories)["id"], "bbox": box,
                       "score": rng.random()})
    if not dt:
        dt.append({"image_id": images[0]["id"], "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5})
    rng.shuffle(dt)
    return {"images": images, "categories": categories, "annotations": anns}, dt


@pytest.mark.parametrize("seed", range(30))
def test_kept_set_matches_the_reference_and_stats_match_pycocotools(seed):
    gt, dt = random_case(seed)
    result = softkit.nms_ap(gt, dt)
    expected = reference_kept(gt, dt)
    assert result["kept"].dtype == np.int64
    assert result["kept"].tolist() == expected
    kept = [dt[i] for i in expected]
    assert_matches(result, pycocotools_eval(gt, kept))
    assert set(result) >= {"stats", "per_class_ap", "precision", "recall", "scores", "stat_names"}


def test_the_random_cases_cover_every_rule():
    removed = top_despite_a_mark = untouched = 0
    for gt, dt in map(random_case, range(30)):
        top, marked = reference_marks(gt, dt)
        removed += len(marked - top)
        top_despite_a_mark += len(top & marked)
        untouched += len(dt) - len(top | marked)
    assert removed > 30 and top_despite_a_mark > 0 and untouched > 30, (removed, top_despite_a_mark, untouched)


def test_a_model_that_hedges_scores_lower_than_in_plain_ap():
    cats = [{"id": 1, "name": "dog"}, {"id": 2, "name": "wolf"}, {"id": 3, "name": "fox"}]
    images, anns, honest, hedging = [], [], [], []
    for i in range(1, 7):
        cat = cats[i % 3]["id"]
        box = [10.0 * i, 20.0, 60.0, 40.0]
        images.append({"id": i})
        anns.append({"id": i, "image_id": i, "category_id": cat, "bbox": box, "area": 2400.0, "iscrowd": 0})
        honest.append({"image_id": i, "category_id": cat, "bbox": box, "score": 0.9})
        # The hedging model names all three animals for every object, the right one not always first.
        for rank, c in enumerate(sorted((c["id"] for c in cats), key=lambda c: (c != cat) if i % 2 else (c == cat))):
            hedging.append({"image_id": i, "category_id": c, "bbox": box, "score": 0.9 - 0.1 * rank})
    gt = {"images": images, "categories": cats, "annotations": anns}
    ap = softkit.coco_eval(gt, hedging)["stats"][0]
    nms = softkit.nms_ap(gt, hedging)
    assert nms["kept"].tolist() == reference_kept(gt, hedging)
    assert len(nms["kept"]) == 6  # one guess per object survives
    # Plain AP does not see the hedge: every object is found, each at some rank (0.608). NMS-AP keeps
    # only the first guess per object, wrong for half of them (0.421).
    assert nms["stats"][0] < ap - 0.15, (nms["stats"][0], ap)
    assert ap == pytest.approx(pycocotools_eval(gt, hedging).stats[0], abs=1e-12)
    kept = [hedging[i] for i in nms["kept"]]
    assert nms["stats"][0] == pytest.approx(pycocotools_eval(gt, kept).stats[0], abs=1e-12)
    # A model that commits to one label loses nothing.
    assert softkit.nms_ap(gt, honest)["stats"][0] == softkit.coco_eval(gt, honest)["stats"][0]


def test_nms_ap_refuses_ground_truth_without_a_box():
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 10, "iscrowd": 0}]}
    with pytest.raises(ValueError, match=r"annotations\[0\] has no bbox"):
        softkit.nms_ap(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}])
