"""softkit.coco's COCOeval on softkit's own geometries, against pycocotools' bbox evaluation of
the same boxes: an unturned rotated box, and an unturned 3-D box one unit high, overlap exactly
as their axis-aligned footprint does, so evalImgs, eval arrays and stats must all agree."""

import contextlib
import copy
import io

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from softkit import coco as skcoco


def scene(seed: int):
    rng = np.random.default_rng(seed)
    images = [{"id": i} for i in range(1, 7)]
    cats = [{"id": c, "name": str(c)} for c in (1, 2, 3)]
    anns, results = [], []
    for image in images:
        for _ in range(rng.integers(0, 6)):
            x, y = rng.uniform(0, 300, 2)
            w, h = rng.uniform(5, 120, 2)
            cat = int(rng.choice([1, 2, 3]))
            anns.append({"id": len(anns) + 1, "image_id": image["id"], "category_id": cat, "bbox": [x, y, w, h],
                         "area": w * h, "iscrowd": int(rng.uniform() < 0.1)})
            for _ in range(rng.integers(0, 4)):
                dx, dy, sx, sy = rng.normal(0, 6, 4)
                results.append({"image_id": image["id"], "category_id": cat, "score": float(rng.uniform()),
                                "bbox": [x + dx, y + dy, max(w + sx, 1.0), max(h + sy, 1.0)]})
        for _ in range(rng.integers(0, 3)):  # false alarms
            x, y = rng.uniform(0, 300, 2)
            results.append({"image_id": image["id"], "category_id": int(rng.choice([1, 2, 3])),
                            "score": float(rng.uniform()), "bbox": [x, y, 20.0, 30.0]})
    return {"images": images, "categories": cats, "annotations": anns}, results


def as_shape(item: dict, kind: str) -> dict:
    x, y, w, h = item["bbox"]
    out = {k: v for k, v in item.items() if k not in ("bbox", "segmentation")}
    out[kind] = [x + w / 2, y + h / 2, w, h, 0.0] if kind == "rbox" else [x + w / 2, y + h / 2, 0.0, w, h, 1.0, 0.0]
    return out


def run(coco_cls, eval_cls, gt: dict, results: list, iou_type: str):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        g = coco_cls(gt) if coco_cls is skcoco.COCO else _py_coco(gt)
        e = eval_cls(g, g.loadRes(results), iou_type)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return e, [line for line in out.getvalue().splitlines() if "Average" in line]


def _py_coco(dataset: dict) -> PyCOCO:
    c = PyCOCO()
    c.dataset = dataset
    c.createIndex()
    return c


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("iou_type, field", [("rotated", "rbox"), ("box3d", "box3d"), ("bev", "box3d")])
def test_geometry_iou_types_equal_pycocotools_bbox(seed, iou_type, field):
    gt, results = scene(seed)
    # pycocotools' loadRes writes into the results it is given: hand it a copy.
    want, want_text = run(PyCOCO, PyCOCOeval, copy.deepcopy(gt), copy.deepcopy(results), "bbox")
    shaped_gt = dict(gt, annotations=[as_shape(a, field) for a in gt["annotations"]])
    got, got_text = run(skcoco.COCO, skcoco.COCOeval, shaped_gt, [as_shape(r, field) for r in results], iou_type)
    assert got_text == want_text
    assert np.array_equal(got.stats, want.stats)
    for key in ("precision", "recall", "scores"):
        assert np.array_equal(got.eval[key], want.eval[key]), key
    assert len(got.evalImgs) == len(want.evalImgs)
    for mine, theirs in zip(got.evalImgs, want.evalImgs):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            for key in ("dtIds", "gtIds", "dtScores"):
                assert list(mine[key]) == list(theirs[key]), key
            for key in ("dtMatches", "gtMatches", "dtIgnore", "gtIgnore"):
                assert np.array_equal(np.asarray(mine[key]), np.asarray(theirs[key])), key


def test_an_unknown_iou_type_lists_every_known_one():
    with pytest.raises(ValueError, match=r"iouType = 'obb' is invalid: expected 'bbox', 'segm', 'keypoints', 'rotated'"):
        skcoco.Params("obb")


def as_polygon(item: dict) -> dict:
    x, y, w, h = item["bbox"]
    out = {k: v for k, v in item.items() if k not in ("bbox", "segmentation")}
    out["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_polygon_iou_type_equals_pycocotools_bbox(seed):
    """Boxes drawn as four-corner polygons: exact polygon IoU is the boxes' IoU (to rounding), so
    the evaluation is pycocotools' bbox evaluation of the boxes."""
    gt, results = scene(seed)
    want, want_text = run(PyCOCO, PyCOCOeval, copy.deepcopy(gt), copy.deepcopy(results), "bbox")
    shaped_gt = dict(gt, annotations=[as_polygon(a) for a in gt["annotations"]])
    got, got_text = run(skcoco.COCO, skcoco.COCOeval, shaped_gt, [as_polygon(r) for r in results], "polygon")
    assert got_text == want_text
    np.testing.assert_allclose(got.stats, want.stats, rtol=0, atol=1e-12)
    for key in ("precision", "recall", "scores"):
        np.testing.assert_allclose(got.eval[key], want.eval[key], rtol=0, atol=1e-12, err_msg=key)
    assert len(got.evalImgs) == len(want.evalImgs)
    for mine, theirs in zip(got.evalImgs, want.evalImgs):
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            for key in ("dtIds", "gtIds", "dtScores"):
                assert list(mine[key]) == list(theirs[key]), key
            for key in ("dtMatches", "gtMatches", "dtIgnore", "gtIgnore"):
                assert np.array_equal(np.asarray(mine[key]), np.asarray(theirs[key])), key
    for key, theirs in want.ious.items():
        mine = got.ious[key]
        if isinstance(theirs, list):
            assert mine == theirs == []
        else:
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-12)


def test_polygon_results_get_their_polygon_area_and_extent():
    gt = {"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": []}
    with contextlib.redirect_stdout(io.StringIO()):
        dt = skcoco.COCO(gt).loadRes([{"image_id": 1, "category_id": 1, "score": 0.5,
                                       "segmentation": [[0, 0, 4, 0, 0, 3]]}])
    ann = dt.anns[1]
    assert ann["area"] == 6.0 and list(ann["bbox"]) == [0.0, 0.0, 4.0, 3.0]
