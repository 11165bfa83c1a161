"""`softkit.coco_eval` against pycocotools' `COCOeval`, run live on the same inputs."""

import contextlib
import copy
import io
import json
import random

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import softkit
from conftest import data_file

TOL = 1e-12


def pycocotools_eval(
    gt, dt, *, use_cats=True, max_dets=None, img_ids=None, iou_thrs=None, rec_thrs=None, area_rng=None, iou_type="bbox"
):
    """pycocotools' evaluation of in-memory ground truth and results (both copied: loadRes edits them)."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(copy.deepcopy(dt))
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        ev.params.useCats = int(use_cats)
        if max_dets is not None:
            ev.params.maxDets = list(max_dets)
        if img_ids is not None:
            ev.params.imgIds = list(img_ids)
        if iou_thrs is not None:
            ev.params.iouThrs = np.array(iou_thrs)
        if rec_thrs is not None:
            ev.params.recThrs = np.array(rec_thrs)
        if area_rng is not None:
            ev.params.areaRng = [list(r) for r in area_rng]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def class_ap(ev):
    """AP per category from pycocotools' precision array: precision[:, :, k, 0, -1] without -1 cells."""
    out = {}
    for k, cat_id in enumerate(ev.params.catIds):
        p = ev.eval["precision"][:, :, k, 0, -1]
        p = p[p > -1]
        out[cat_id] = float(np.mean(p)) if p.size else -1.0
    return out


def assert_matches(result, ev, use_cats=True):
    np.testing.assert_allclose(result["stats"], ev.stats, rtol=0, atol=TOL, err_msg="12 stats")
    assert result["precision"].shape == ev.eval["precision"].shape
    assert result["recall"].shape == ev.eval["recall"].shape
    np.testing.assert_allclose(result["precision"], ev.eval["precision"], rtol=0, atol=TOL, err_msg="precision")
    np.testing.assert_allclose(result["recall"], ev.eval["recall"], rtol=0, atol=TOL, err_msg="recall")
    np.testing.assert_allclose(result["scores"], ev.eval["scores"], rtol=0, atol=TOL, err_msg="scores")
    if use_cats:
        expected = class_ap(ev)
        assert sorted(result["per_class_ap"]) == sorted(expected)
        for cat_id, ap in expected.items():
            assert abs(result["per_class_ap"][cat_id] - ap) <= TOL, f"category {cat_id}: {result['per_class_ap'][cat_id]} vs {ap}"
    else:
        assert result["per_class_ap"] == {}


# ---------------------------------------------------------------- the parity set


def test_parity_set_matches_pycocotools_and_the_recorded_stats():
    gt_path = data_file("coco-val2014-100", "instances_val2014_100.json")
    dt_path = data_file("coco-val2014-100", "instances_val2014_fakebbox100_results.json")
    result = softkit.coco_eval(gt_path, str(dt_path))
    recorded = json.loads(data_file("coco-val2014-100", "expected_pycocotools.json").read_text())
    np.testing.assert_allclose(result["stats"], recorded["bbox:instances_val2014_fakebbox100_results.json"], rtol=0, atol=1e-12)
    gt, dt = json.loads(gt_path.read_text()), json.loads(dt_path.read_text())
    ev = pycocotools_eval(gt, dt)
    assert_matches(result, ev)
    # Already-loaded objects give the same numbers as the files.
    loaded = softkit.coco_eval(gt, dt)
    assert loaded["stats"] == result["stats"]
    np.testing.assert_array_equal(loaded["precision"], result["precision"])
    assert len(result["per_class_ap"]) == 80 and result["cat_ids"] == sorted(c["id"] for c in gt["categories"])


def test_segm_parity_set_matches_pycocotools_and_the_recorded_stats():
    gt_path = data_file("coco-val2014-100", "instances_val2014_100.json")
    dt_path = data_file("coco-val2014-100", "instances_val2014_fakesegm100_results.json")
    result = softkit.coco_eval(gt_path, dt_path, iou_type="segm")
    recorded = json.loads(data_file("coco-val2014-100", "expected_pycocotools.json").read_text())
    np.testing.assert_allclose(result["stats"], recorded["segm:instances_val2014_fakesegm100_results.json"], rtol=0, atol=1e-12)
    # Live pycocotools, also on a sub-sample with maxDets [1, 5, 10], which reorders what is cut.
    gt, dt = json.loads(gt_path.read_text()), json.loads(dt_path.read_text())
    assert_matches(result, pycocotools_eval(gt, dt, iou_type="segm"))
    img_ids = sorted({a["image_id"] for a in gt["annotations"]})[::3]
    subset = softkit.coco_eval(gt, dt, iou_type="segm", img_ids=img_ids, max_dets=[1, 5, 10])
    assert_matches(subset, pycocotools_eval(gt, dt, iou_type="segm", img_ids=img_ids, max_dets=[1, 5, 10]))


# ---------------------------------------------------------------- seeded random cases


def random_case(seed):
    """Ground truth and results with the protocol's edge cases: crowd boxes, areas exactly at
    32² and 96², ground truth whose `area` differs from its box, many detections per image,
    images with nothing, categories with no ground truth, tied scores, annotation id 0."""
    r = random.Random(seed)
    n_img, n_cat = r.randint(1, 12), r.randint(1, 5)
    images = [{"id": i * 3 + 1} for i in range(n_img)]
    cats = [{"id": c * 2 + 1, "name": f"c{c}"} for c in range(n_cat)]
    # The last category never gets ground truth (only detections) when there are several.
    gt_cats = cats[:-1] if n_cat > 1 and r.random() < 0.5 else cats
    anns, aid = [], r.choice([0, 1])
    for im in images:
        if r.random() < 0.2:
            continue  # an image with no ground truth
        for _ in range(r.randint(0, 8)):
            limits = [(0, 200), (0, 200), (1, 150), (1, 150)]
            if r.random() < 0.5:
                x, y, w, h = (float(r.randint(a, b)) for a, b in limits)
            else:
                x, y, w, h = (round(r.uniform(a, b), 2) for a, b in limits)
            if r.random() < 0.15:
                w, h = r.choice([(32.0, 32.0), (96.0, 96.0)])
            area = r.choice([w * h, w * h, w * h * 0.8, 1024.0, 9216.0, 32 * 32 - 0.5, 96 * 96 + 0.5, r.uniform(0, 20000)])
            anns.append(
                {
                    "id": aid,
                    "image_id": im["id"],
                    "category_id": r.choice(gt_cats)["id"],
                    "bbox": [x, y, w, h],
                    "area": area,
                    "iscrowd": int(r.random() < 0.1),
                }
            )
            aid += 1
    dts = []
    for im in images:
        gts = [a for a in anns if a["image_id"] == im["id"]]
        for _ in range(r.choice([0, 3, 20, 150])):
            c = r.choice(cats)["id"]
            if gts and r.random() < 0.6:
                g = r.choice(gts)
                x, y, w, h = g["bbox"]
                c = g["category_id"] if r.random() < 0.8 else c
                jitter = lambda v: v + r.choice([0, 0, 1, -1, r.uniform(-5, 5)])
                bb = [jitter(x), jitter(y), max(0.0, jitter(w)), max(0.0, jitter(h))]
            elif r.random() < 0.1:
                side = r.choice([32.0, 96.0])  # a detection whose area is exactly at a range edge
                bb = [r.uniform(0, 200), r.uniform(0, 200), side, side]
            else:
                bb = [r.uniform(0, 200), r.uniform(0, 200), r.uniform(0, 100), r.uniform(0, 100)]
            dts.append({"image_id": im["id"], "category_id": c, "bbox": bb, "score": r.choice([0.5, 0.25, round(r.random(), 2), r.random()])})
    if not dts:  # pycocotools' loadRes cannot take an empty list
        dts.append({"image_id": images[0]["id"], "category_id": cats[0]["id"], "bbox": [0.0, 0.0, 5.0, 5.0], "score": 0.5})
    return {"images": images, "categories": cats, "annotations": anns}, dts


MODES = ["default", "no_cats", "max_dets_1_5_10", "img_subset", "custom_params"]
SEEDS = range(36)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_case_matches_pycocotools(seed, mode):
    gt, dt = random_case(seed)
    kwargs = {}
    if mode == "no_cats":
        kwargs["use_cats"] = False
    elif mode == "max_dets_1_5_10":
        kwargs["max_dets"] = [1, 5, 10]
    elif mode == "img_subset":
        ids = [im["id"] for im in gt["images"]]
        kwargs["img_ids"] = sorted(random.Random(seed).sample(ids, max(1, len(ids) // 2)))
    elif mode == "custom_params":
        kwargs.update(iou_thrs=[0.3, 0.5, 0.75], rec_thrs=np.linspace(0, 1, 11), area_rng=[[0, 1e10], [0, 400], [400, 4000], [4000, 1e10]])
    result = softkit.coco_eval(gt, dt, **kwargs)
    ev = pycocotools_eval(gt, dt, **kwargs)
    assert_matches(result, ev, use_cats=kwargs.get("use_cats", True))
    if "img_ids" in kwargs:
        assert result["img_ids"] == kwargs["img_ids"]


def test_random_cases_cover_the_edge_cases():
    """The generator really produces what the parity cases claim to cover."""
    cases = [random_case(seed) for seed in SEEDS]
    anns = [a for gt, _ in cases for a in gt["annotations"]]
    dts = [d for _, dt in cases for d in dt]
    assert any(a["iscrowd"] for a in anns)
    assert any(a["area"] == 1024.0 for a in anns) and any(a["area"] == 9216.0 for a in anns)
    assert any(d["bbox"][2] * d["bbox"][3] in (1024.0, 9216.0) for d in dts)
    assert any(a["id"] == 0 for a in anns)
    per_image = [sum(d["image_id"] == im["id"] for d in dt) for gt, dt in cases for im in gt["images"]]
    assert max(per_image) >= 100 and 0 in per_image
    assert any({im["id"] for im in gt["images"]} - {a["image_id"] for a in gt["annotations"]} for gt, _ in cases)
    assert any({c["id"] for c in gt["categories"]} - {a["category_id"] for a in gt["annotations"]} for gt, _ in cases)
    scores = [d["score"] for d in dts]
    assert len(scores) - len(set(scores)) > 100, "tied scores"


# ---------------------------------------------------------------- inputs and errors


def test_paths_and_loaded_objects_agree(tmp_path):
    gt, dt = random_case(3)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    from_files = softkit.coco_eval(tmp_path / "gt.json", str(tmp_path / "dt.json"))
    from_objects = softkit.coco_eval(gt, dt)
    assert from_files["stats"] == from_objects["stats"]
    np.testing.assert_array_equal(from_files["precision"], from_objects["precision"])
    # Numpy numbers in loaded data are written as plain JSON numbers.
    dt_numpy = [dict(d, bbox=np.array(d["bbox"]), score=np.float32(d["score"]).item()) for d in dt]
    assert softkit.coco_eval(gt, dt_numpy)["stats"] == from_objects["stats"]


GT = {
    "images": [{"id": 1}],
    "categories": [{"id": 1}, {"id": 2}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": 0}],
}


def det(**fields):
    return dict({"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}, **fields)


@pytest.mark.parametrize(
    "dt,message",
    [
        ([det(), det(image_id=42)], "results[1].image_id = 42 is not an image of the ground truth"),
        ([det(category_id=7)], "results[0].category_id = 7 is not a category of the ground truth"),
        ([det(bbox=[0, 0, 10])], "results[0].bbox has 3 numbers; expected 4"),
        ([det(bbox=[0, 0, -1, 10])], "results[0].bbox width = -1 is negative"),
        ([det(score=float("nan"))], "malformed JSON in dt: results[0].score: NaN is not a JSON number"),
    ],
)
def test_bad_results_raise_value_error_naming_the_item(dt, message):
    with pytest.raises(ValueError) as err:
        softkit.coco_eval(GT, dt)
    assert message in str(err.value)


def test_malformed_json_file_names_line_and_column(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"image_id": 1,\n  "bbox": [0, 0, 1 1]}]')
    with pytest.raises(ValueError, match=r"malformed JSON in .*bad\.json: results\[0\]\.bbox: expected `,` or `]` at line 2 column 20"):
        softkit.coco_eval(GT, bad)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"annotations\[0\] has no keypoints, which keypoint evaluation needs"):
        softkit.coco_eval(GT, [det()], iou_type="keypoints")
    with pytest.raises(ValueError, match=r'iou_type = "boxes" is invalid'):
        softkit.coco_eval(GT, [det()], iou_type="boxes")
    with pytest.raises(ValueError, match="area_rng has 2 ranges; pass area_rng_lbl"):
        softkit.coco_eval(GT, [det()], area_rng=[[0, 1e10], [0, 100]])
    with pytest.raises(ValueError, match=r"area_rng\[1\] = \[0, 1, 2\] is invalid"):
        softkit.coco_eval(GT, [det()], area_rng=[[0, 1e10], [0, 1, 2]])
    with pytest.raises(ValueError, match="max_dets"):
        softkit.coco_eval(GT, [det()], max_dets=[100])
    with pytest.raises(ValueError, match="max_dets"):
        softkit.coco_eval(GT, [det()], max_dets=[1, -10, 100])
    with pytest.raises(TypeError, match="dt must be a file path or a list, got dict"):
        softkit.coco_eval(GT, {"image_id": 1})
    with pytest.raises(ValueError, match="cannot read"):
        softkit.coco_eval("/nonexistent/gt.json", [det()])


def test_custom_area_labels_are_used_by_the_summary():
    result = softkit.coco_eval(
        GT, [det()], area_rng=[[0, 1e10], [0, 50], [50, 200], [200, 1e10]], area_rng_lbl=["all", "small", "medium", "large"]
    )
    # The 10x10 box (area 100) is "medium" under these ranges: APs and APl have nothing, APm is 1.
    assert result["stats"][3] == -1 and result["stats"][5] == -1
    assert abs(result["stats"][4] - 1.0) < 1e-12
