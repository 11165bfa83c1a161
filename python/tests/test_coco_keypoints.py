"""`softkit.coco_eval(..., iou_type="keypoints")` against pycocotools' `COCOeval(..., "keypoints")`, run live.

There is no keypoint ground truth in ../shared/data, so the cases are seeded random persons: visible and
invisible keypoints, crowds, `num_keypoints` 0, areas across the medium and large ranges, images with no
person or no detection, more than 20 detections per image, tied scores, and results with and without a bbox.
"""

import random

import numpy as np
import pytest

import softkit
from test_coco_eval import TOL, assert_matches, pycocotools_eval

N_KPT = 17


def random_person(rng, ann_id, image_id, category_id):
    """A ground-truth person: a box, keypoints inside it with random visibility, and an area near the box's."""
    w, h = rng.uniform(5, 220), rng.uniform(5, 260)
    x, y = rng.uniform(0, 400), rng.uniform(0, 400)
    keypoints = []
    for _ in range(N_KPT):
        v = rng.choice([0, 0, 1, 2, 2])
        if v == 0:
            # Unlabelled keypoints are usually written as 0, 0, 0, but not always.
            px, py = (0.0, 0.0) if rng.random() < 0.7 else (rng.uniform(x, x + w), rng.uniform(y, y + h))
        else:
            px, py = round(rng.uniform(x, x + w), 2), round(rng.uniform(y, y + h), 2)
        keypoints += [px, py, v]
    visible = sum(1 for v in keypoints[2::3] if v > 0)
    roll = rng.random()
    num_keypoints = 0 if roll < 0.1 else visible
    crowd = int(rng.random() < 0.08)
    if crowd:
        keypoints = [0.0] * (3 * N_KPT)
        num_keypoints = 0
    area = w * h * rng.uniform(0.4, 0.9)
    if rng.random() < 0.05:
        area = 0.0
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
        "area": round(area, 3),
        "iscrowd": crowd,
        "num_keypoints": num_keypoints,
        "keypoints": keypoints,
    }


def random_detection(rng, image_id, category_id, near=None, with_bbox=False, tie_scores=False):
    """A keypoint result: a noisy copy of a ground truth's keypoints, or a random skeleton."""
    if near is not None:
        x, y, w, h = near["bbox"]
        noise = rng.choice([0.5, 2.0, 6.0, 20.0])
        keypoints = []
        for i in range(N_KPT):
            gx, gy = near["keypoints"][3 * i], near["keypoints"][3 * i + 1]
            if gx == 0 and gy == 0:
                gx, gy = rng.uniform(x, x + w), rng.uniform(y, y + h)
            keypoints += [gx + rng.gauss(0, noise), gy + rng.gauss(0, noise), 1]
    else:
        x, y = rng.uniform(0, 450), rng.uniform(0, 450)
        s = rng.uniform(10, 150)
        keypoints = []
        for _ in range(N_KPT):
            keypoints += [x + rng.uniform(0, s), y + rng.uniform(0, s), 1]
    score = round(rng.random(), 2) if tie_scores else rng.random()
    det = {"image_id": image_id, "category_id": category_id, "keypoints": keypoints, "score": score}
    if with_bbox:
        xs, ys = keypoints[0::3], keypoints[1::3]
        det["bbox"] = [min(xs) - 1, min(ys) - 1, max(xs) - min(xs) + 2, max(ys) - min(ys) + 2]
    return det


def random_case(seed):
    rng = random.Random(seed)
    n_images = rng.randint(1, 8)
    categories = [{"id": 1, "name": "person"}] + ([{"id": 3, "name": "robot"}] if rng.random() < 0.4 else [])
    images = [{"id": 10 + i, "height": 500, "width": 500} for i in range(n_images)]
    anns, dets = [], []
    with_bbox = rng.random() < 0.25
    tie_scores = rng.random() < 0.3
    for img in images:
        if rng.random() < 0.15:
            continue  # an image with no person at all
        for cat in categories:
            people = [random_person(rng, len(anns) + j + 1, img["id"], cat["id"]) for j in range(rng.randint(0, 6))]
            anns += people
            if rng.random() < 0.1:
                continue  # an image with people but no detection
            for person in people:
                for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
                    dets.append(random_detection(rng, img["id"], cat["id"], person, with_bbox, tie_scores))
            n_random = rng.choice([0, 1, 3, 25]) if seed % 4 == 0 else rng.randint(0, 3)
            for _ in range(n_random):
                dets.append(random_detection(rng, img["id"], cat["id"], None, with_bbox, tie_scores))
    if not dets:
        dets.append(random_detection(rng, images[0]["id"], 1, None, with_bbox))
    rng.shuffle(dets)
    return {"images": images, "categories": categories, "annotations": anns}, dets


@pytest.mark.parametrize("seed", range(24))
def test_random_keypoints_match_pycocotools(seed):
    gt, dt = random_case(seed)
    result = softkit.coco_eval(gt, dt, iou_type="keypoints")
    ev = pycocotools_eval(gt, dt, iou_type="keypoints")
    assert len(result["stats"]) == 10
    assert result["stat_names"] == ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"]
    assert result["precision"].shape == (10, 101, len(gt["categories"]), 3, 1)
    assert_matches(result, ev)


@pytest.mark.parametrize("seed", [100, 101, 102, 103])
def test_random_keypoints_with_custom_params_match_pycocotools(seed):
    gt, dt = random_case(seed)
    img_ids = [img["id"] for img in gt["images"]][::2]
    params = dict(max_dets=[5, 20], iou_thrs=[0.3, 0.5, 0.75, 0.9], img_ids=img_ids)
    result = softkit.coco_eval(gt, dt, iou_type="keypoints", **params)
    ev = pycocotools_eval(gt, dt, iou_type="keypoints", **params)
    assert_matches(result, ev)


def test_the_cases_cover_the_quirks():
    """The random cases exercise every rule the evaluation must reproduce."""
    seen = {"crowd": 0, "num_keypoints 0 with visible": 0, "no visible": 0, "over 20 per image": 0, "bbox given": 0}
    for seed in range(24):
        gt, dt = random_case(seed)
        for a in gt["annotations"]:
            seen["crowd"] += a["iscrowd"]
            visible = sum(1 for v in a["keypoints"][2::3] if v > 0)
            seen["num_keypoints 0 with visible"] += a["num_keypoints"] == 0 and visible > 0
            seen["no visible"] += visible == 0
        per_image = {}
        for d in dt:
            per_image[d["image_id"], d["category_id"]] = per_image.get((d["image_id"], d["category_id"]), 0) + 1
        seen["over 20 per image"] += any(n > 20 for n in per_image.values())
        seen["bbox given"] += "bbox" in dt[0]
    assert all(count > 0 for count in seen.values()), seen


def test_keypoint_results_get_the_box_of_all_their_keypoints():
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 100], "area": 5000, "iscrowd": 0,
             "num_keypoints": 17, "keypoints": [50, 50, 2] * N_KPT}
        ],
    }
    # One keypoint far away, with v = 0: loadRes still stretches the box (and the area) to it,
    # which moves the detection out of the "medium" range but keeps it matched.
    kps = [50.0, 50.0, 1.0] * (N_KPT - 1) + [250.0, 350.0, 0.0]
    dt = [{"image_id": 1, "category_id": 1, "keypoints": kps, "score": 0.9}]
    result = softkit.coco_eval(gt, dt, iou_type="keypoints")
    ev = pycocotools_eval(gt, dt, iou_type="keypoints")
    assert_matches(result, ev)
    # The ground truth marks the far keypoint visible, so it counts and scores exp(-410) ≈ 0: OKS 16/17,
    # a match at every threshold up to 0.90 but not at 0.95.
    assert abs(result["stats"][1] - 1.0) < 1e-12
    assert result["recall"][-1, 0, 0, 0] == 0.0


def test_keypoint_errors_name_item_and_field():
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 50, "iscrowd": 0,
             "num_keypoints": 1, "keypoints": [5, 5, 2] * N_KPT}
        ],
    }
    det = {"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1] * 4, "score": 0.9}
    with pytest.raises(ValueError, match=r"results\[0\]\.keypoints has 12 numbers; expected 51"):
        softkit.coco_eval(gt, [det], iou_type="keypoints")
    with pytest.raises(ValueError, match=r"results\[0\]\.keypoints has 2 numbers; expected a non-empty list"):
        softkit.coco_eval(gt, [dict(det, keypoints=[1, 2])], iou_type="keypoints")
    with pytest.raises(ValueError, match=r"results\[0\] has no keypoints, which keypoint evaluation needs"):
        softkit.coco_eval(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}], iou_type="keypoints")
    no_num = {**gt, "annotations": [{k: v for k, v in gt["annotations"][0].items() if k != "num_keypoints"}]}
    with pytest.raises(ValueError, match=r"annotations\[0\] has no num_keypoints"):
        softkit.coco_eval(no_num, [dict(det, keypoints=[5, 5, 1] * N_KPT)], iou_type="keypoints")
    with pytest.raises(ValueError, match="use_cats: false is not supported for keypoints"):
        softkit.coco_eval(gt, [dict(det, keypoints=[5, 5, 1] * N_KPT)], iou_type="keypoints", use_cats=False)


def test_keypoint_precision_is_bit_close_on_a_dense_image():
    """Many people and many guesses on one image: the matching order decides every cell."""
    rng = random.Random(7)
    people = [random_person(rng, i + 1, 1, 1) for i in range(30)]
    for p in people:
        p["iscrowd"] = 0
        p["num_keypoints"] = max(1, sum(1 for v in p["keypoints"][2::3] if v > 0))
        p["area"] = max(p["area"], 2000.0)
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": people}
    dt = [random_detection(rng, 1, 1, rng.choice(people)) for _ in range(60)]
    result = softkit.coco_eval(gt, dt, iou_type="keypoints")
    ev = pycocotools_eval(gt, dt, iou_type="keypoints")
    assert_matches(result, ev)
    assert np.max(np.abs(result["precision"] - ev.eval["precision"])) <= TOL
