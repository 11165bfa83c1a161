"""COCO-protocol AP on time segments, 3-D boxes and their bird's-eye view, against pycocotools'
box AP on the same objects written as boxes: a segment [s, e] is the box [s, 0, e - s, 1], and
unturned 3-D boxes of height 1 (so that a volume is a footprint's area, for the area ranges) at one
z (or any z, by bird's-eye IoU) are their footprints."""

import numpy as np
import pytest

import softkit
from test_coco_eval import pycocotools_eval

ALL = [[0.0, 1e10]]  # one area range: volumes and lengths are not pixel areas


def scene(seed, images=12, categories=3):
    """Ground-truth rectangles [x, y, w, h] and detections near them, with ties and misses."""
    rng = np.random.default_rng(seed)
    gt, dt = [], []
    for image in range(1, images + 1):
        for _ in range(rng.integers(1, 6)):
            x, y = rng.uniform(0, 100, 2).round(2)
            w, h = rng.uniform(2, 20, 2).round(2)
            cat = int(rng.integers(1, categories + 1))
            gt.append((image, cat, [x, y, w, h]))
            for _ in range(rng.integers(0, 3)):
                jx, jy = rng.normal(0, 1.5, 2).round(2)
                dt.append((image, cat, [x + jx, y + jy, w, h], round(float(rng.random()), 3)))
        dt.append((image, int(rng.integers(1, categories + 1)), [50.0, 50.0, 5.0, 5.0], round(float(rng.random()), 3)))
    return gt, dt


def coco(gt, shape):
    cats = sorted({c for _, c, _ in gt})
    anns = [
        {"id": k + 1, "image_id": i, "category_id": c, "iscrowd": 0, "area": b[2] * b[3], "bbox": b, **shape(b)}
        for k, (i, c, b) in enumerate(gt)
    ]
    images = sorted({i for i, _, _ in gt})
    return {"images": [{"id": i} for i in images], "categories": [{"id": c} for c in cats], "annotations": anns}


def results(dt, shape):
    return [{"image_id": i, "category_id": c, "score": s, **shape(b)} for i, c, b, s in dt]


@pytest.mark.parametrize("seed", [0, 1])
def test_segments_equal_pycocotools_on_unit_height_boxes(seed):
    gt, dt = scene(seed)
    as_box = lambda b: [b[0], 0.0, b[2], 1.0]  # noqa: E731
    gt1 = [(i, c, as_box(b)) for i, c, b in gt]
    dt1 = [(i, c, as_box(b), s) for i, c, b, s in dt]
    segment = lambda b: {"segment": [b[0], b[0] + b[2]]}  # noqa: E731
    got = softkit.coco_eval(coco(gt1, segment), results(dt1, segment), "segment")
    want = pycocotools_eval(coco(gt1, lambda b: {}), results(dt1, lambda b: {"bbox": b}))
    np.testing.assert_allclose(got["stats"], want.stats, rtol=0, atol=1e-12)


@pytest.mark.parametrize("iou_type", ["box3d", "bev"])
def test_unturned_3d_boxes_equal_pycocotools_on_their_footprints(iou_type):
    gt, dt = scene(2)
    rng = np.random.default_rng(9)
    # One height for box3d (3-D IoU is then the footprint's); any heights for bev.
    z = {id(b): (0.0 if iou_type == "box3d" else float(rng.uniform(-5, 5))) for _, _, b in gt}
    zd = [0.0 if iou_type == "box3d" else float(rng.uniform(-5, 5)) for _ in dt]
    box3d = lambda b, zz: {"box3d": [b[0] + b[2] / 2, b[1] + b[3] / 2, zz, b[2], b[3], 1.0, 0.0]}  # noqa: E731
    truth = coco(gt, lambda b: box3d(b, z[id(b)]))
    found = [{"image_id": i, "category_id": c, "score": s, **box3d(b, zz)} for (i, c, b, s), zz in zip(dt, zd)]
    got = softkit.coco_eval(truth, found, iou_type)
    want = pycocotools_eval(coco(gt, lambda b: {}), results(dt, lambda b: {"bbox": b}))
    np.testing.assert_allclose(got["stats"], want.stats, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["precision"], want.eval["precision"], rtol=0, atol=1e-12)


def test_stacked_boxes_overlap_in_bev_but_not_in_3d():
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 12,
                           "box3d": [0, 0, 0, 4, 2, 1.5, 0.3]}]}
    dt = [{"image_id": 1, "category_id": 1, "score": 0.9, "box3d": [0, 0, 3, 4, 2, 1.5, 0.3]}]
    assert softkit.coco_eval(gt, dt, "bev", area_rng=ALL, area_rng_lbl=["all"])["stats"][1] == pytest.approx(1.0)
    assert softkit.coco_eval(gt, dt, "box3d", area_rng=ALL, area_rng_lbl=["all"])["stats"][1] == 0.0


def test_missing_fields_are_named():
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 1, "segment": [0, 1]}]}
    with pytest.raises(ValueError, match=r"annotations\[0\] has no box3d"):
        softkit.coco_eval(gt, [{"image_id": 1, "category_id": 1, "score": 0.9, "box3d": [0, 0, 0, 1, 1, 1, 0]}], "box3d")
    with pytest.raises(ValueError, match=r"results\[0\]: segments\[0\]\.end = 0 is less than start = 2"):
        softkit.coco_eval(gt, [{"image_id": 1, "category_id": 1, "score": 0.9, "segment": [2, 0]}], "segment")
