"""`softkit.coco` over files parsed in Rust: ``COCO(path)``, ``loadRes(path)`` and ``loadRes`` of a list of
box results keep the data in Rust and build pycocotools' dicts only when read. Checked against pycocotools
run live on the same files: ``stats``, the ``eval`` arrays, ``evalImgs`` and ``ious`` (shapes, dtypes,
order and values), the attributes once read (same keys and values), the query methods, and edits made
through ``dataset``/``anns`` (which hand evaluation over to the Python dicts, as pycocotools reads them).
"""

import copy
import json
import pickle

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

import softkit.coco as skcoco
from conftest import data_file
from test_coco_object_api import TOL, assert_same, make_case, quiet, run

PARITY_GT = ("coco-val2014-100", "instances_val2014_100.json")
PARITY_DT = {
    "bbox": ("coco-val2014-100", "instances_val2014_fakebbox100_results.json"),
    "segm": ("coco-val2014-100", "instances_val2014_fakesegm100_results.json"),
}


def write_case(tmp_path, seed, iou_type):
    dataset, results = make_case(seed, iou_type)
    gt_path, dt_path = tmp_path / f"gt{seed}.json", tmp_path / f"dt{seed}.json"
    gt_path.write_text(json.dumps(dataset))
    dt_path.write_text(json.dumps(results))
    return gt_path, dt_path, results


def evals_from_files(gt_path, dt_path, iou_type):
    out = {}
    for lib, (coco_cls, eval_cls) in {"pycocotools": (PyCOCO, PyCOCOeval), "softkit": (skcoco.COCO, skcoco.COCOeval)}.items():
        gt = quiet(coco_cls, str(gt_path))[0]
        dt = quiet(gt.loadRes, str(dt_path))[0]
        out[lib] = eval_cls(gt, dt, iou_type)
    return out


def assert_ious_same(sk, py):
    """``COCOeval.ious``: the same keys in the same order, ``[]`` where pycocotools has ``[]``, and
    float64 arrays of the same shape and values elsewhere."""
    assert list(sk.keys()) == list(py.keys())
    for key, expected in py.items():
        actual = sk[key]
        if isinstance(expected, list):
            assert isinstance(actual, list) and actual == expected == [], f"ious[{key}]: {actual!r} != {expected!r}"
            continue
        assert isinstance(actual, np.ndarray), f"ious[{key}]: {type(actual).__name__}"
        assert actual.dtype == expected.dtype == np.float64, f"ious[{key}]: dtype {actual.dtype}"
        assert actual.shape == expected.shape, f"ious[{key}]: shape {actual.shape} != {expected.shape}"
        np.testing.assert_allclose(actual, expected, rtol=0, atol=TOL, err_msg=f"ious[{key}]")


def run_both(evals):
    for ev in evals.values():
        run(ev)
    assert_same(evals["softkit"], evals["pycocotools"])


# ------------------------------------------------------------------------------------------ evaluation


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_parity_files_evaluate_from_rust(iou_type):
    evals = evals_from_files(data_file(*PARITY_GT), data_file(*PARITY_DT[iou_type]), iou_type)
    sk = evals["softkit"]
    assert sk.cocoGt._gt_index() is not None and sk.cocoDt._results_index() is not None
    run_both(evals)
    # Nothing was built in Python on the way.
    assert sk.cocoGt._pending is not None and sk.cocoDt._pending is not None
    assert_ious_same(sk.ious, evals["pycocotools"].ious)


@pytest.mark.parametrize("iou_type", ["bbox", "segm", "keypoints"])
@pytest.mark.parametrize("seed", range(4))
def test_random_files(tmp_path, iou_type, seed):
    gt_path, dt_path, _ = write_case(tmp_path, seed, iou_type)
    evals = evals_from_files(gt_path, dt_path, iou_type)
    run_both(evals)
    assert_ious_same(evals["softkit"].ious, evals["pycocotools"].ious)


@pytest.mark.parametrize("iou_type", ["bbox", "keypoints"])
def test_ious_after_params_edits(tmp_path, iou_type):
    gt_path, dt_path, _ = write_case(tmp_path, 7, iou_type)
    evals = evals_from_files(gt_path, dt_path, iou_type)
    edits = [] if iou_type == "keypoints" else [lambda p: setattr(p, "useCats", 0)]  # softkit refuses it for keypoints
    for edit in edits + [
        lambda p: setattr(p, "imgIds", sorted(p.imgIds)[::2]),
        lambda p: setattr(p, "maxDets", [1, 2, 3] if iou_type == "bbox" else [2]),
        lambda p: setattr(p, "catIds", sorted(p.catIds)[1:]),
    ]:
        for ev in evals.values():
            edit(ev.params)
        run_both(evals)
        assert_ious_same(evals["softkit"].ious, evals["pycocotools"].ious)


def test_ious_from_dicts_and_lists(tmp_path):
    """The path through Python dicts (a dataset given as a dict) fills ``ious`` too."""
    dataset, results = make_case(3, "bbox")
    evals = {}
    for lib, (coco_cls, eval_cls) in {"pycocotools": (PyCOCO, PyCOCOeval), "softkit": (skcoco.COCO, skcoco.COCOeval)}.items():
        gt = quiet(coco_cls)[0]
        gt.dataset = copy.deepcopy(dataset)
        quiet(gt.createIndex)
        dt = quiet(gt.loadRes, copy.deepcopy(results))[0]
        evals[lib] = eval_cls(gt, dt, "bbox")
    run_both(evals)
    assert_ious_same(evals["softkit"].ious, evals["pycocotools"].ious)


def test_ious_empty_before_evaluate():
    gt = quiet(skcoco.COCO, str(data_file(*PARITY_GT)))[0]
    ev = skcoco.COCOeval(gt, quiet(gt.loadRes, str(data_file(*PARITY_DT["bbox"])))[0], "bbox")
    assert ev.ious == {}


def test_list_results_go_to_rust(tmp_path):
    gt_path, _, results = write_case(tmp_path, 1, "bbox")
    sk_gt = quiet(skcoco.COCO, str(gt_path))[0]
    before = copy.deepcopy(results)
    sk_dt = quiet(sk_gt.loadRes, results)[0]
    assert sk_dt._results_index() is not None
    py_gt = quiet(PyCOCO, str(gt_path))[0]
    py_dt = quiet(py_gt.loadRes, copy.deepcopy(results))[0]
    evals = {"softkit": skcoco.COCOeval(sk_gt, sk_dt, "bbox"), "pycocotools": PyCOCOeval(py_gt, py_dt, "bbox")}
    run_both(evals)
    assert results == before  # the caller's dicts are not touched
    assert_anns_same(sk_dt, py_dt)


# ------------------------------------------------------------------------------------------ the views


def assert_anns_same(sk, py):
    assert list(sk.anns) == list(py.anns)
    for key, expected in py.anns.items():
        actual = sk.anns[key]
        assert sorted(actual) == sorted(expected), f"anns[{key}] keys"
        for field, value in expected.items():
            assert np.array_equal(np.asarray(actual[field], dtype=object), np.asarray(value, dtype=object)), (
                f"anns[{key}][{field!r}]: {actual[field]!r} != {value!r}"
            )


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_views_equal_pycocotools(iou_type):
    sk_gt = quiet(skcoco.COCO, str(data_file(*PARITY_GT)))[0]
    py_gt = quiet(PyCOCO, str(data_file(*PARITY_GT)))[0]
    assert sk_gt.getImgIds() == py_gt.getImgIds()
    assert sk_gt.getCatIds() == py_gt.getCatIds()
    assert sk_gt._pending is not None  # answered from Rust
    assert sk_gt.dataset == py_gt.dataset
    for view in ("anns", "imgs", "cats", "imgToAnns", "catToImgs"):
        assert getattr(sk_gt, view) == getattr(py_gt, view), view
    # One set of dicts, as pycocotools shares them between dataset and the index.
    first = sk_gt.dataset["annotations"][0]
    assert sk_gt.anns[first["id"]] is first
    assert sk_gt.imgs[sk_gt.dataset["images"][0]["id"]] is sk_gt.dataset["images"][0]
    sk_dt = quiet(sk_gt.loadRes, str(data_file(*PARITY_DT[iou_type])))[0]
    py_dt = quiet(py_gt.loadRes, str(data_file(*PARITY_DT[iou_type])))[0]
    assert_anns_same(sk_dt, py_dt)
    assert sk_dt.imgs == py_dt.imgs and sk_dt.cats == py_dt.cats


def test_images_and_categories_keep_rust():
    gt = quiet(skcoco.COCO, str(data_file(*PARITY_GT)))[0]
    assert gt.imgs and gt.cats and gt.loadCats(gt.getCatIds()[:2]) and gt.getAnnIds(imgIds=gt.getImgIds()[:3])
    assert gt._gt_index() is not None


def test_edits_through_dataset_count_as_in_pycocotools():
    """Editing annotations after reading ``anns`` changes the evaluation, as in pycocotools."""
    evals = evals_from_files(data_file(*PARITY_GT), data_file(*PARITY_DT["bbox"]), "bbox")
    for ev in evals.values():
        for ann in list(ev.cocoGt.anns.values())[::3]:
            ann["iscrowd"] = 1
        for ann in ev.cocoDt.dataset["annotations"][::5]:
            ann["score"] = 0.0
    assert evals["softkit"].cocoGt._gt_index() is None and evals["softkit"].cocoDt._results_index() is None
    run_both(evals)
    unedited = evals_from_files(data_file(*PARITY_GT), data_file(*PARITY_DT["bbox"]), "bbox")
    run(unedited["softkit"])
    assert not np.array_equal(unedited["softkit"].stats, evals["softkit"].stats)


def test_deepcopy_and_pickle_keep_the_data(tmp_path):
    gt_path, dt_path, _ = write_case(tmp_path, 2, "bbox")
    gt = quiet(skcoco.COCO, str(gt_path))[0]
    twin = copy.deepcopy(gt)
    assert twin._gt_index() is gt._gt_index()  # shared: it never changes
    dt = quiet(twin.loadRes, str(dt_path))[0]
    restored = pickle.loads(pickle.dumps(dt))
    assert restored.anns == dt.anns and restored.imgs == dt.imgs
    py_gt = quiet(PyCOCO, str(gt_path))[0]
    evals = {
        "softkit": skcoco.COCOeval(twin, quiet(twin.loadRes, str(dt_path))[0], "bbox"),
        "pycocotools": PyCOCOeval(py_gt, quiet(py_gt.loadRes, str(dt_path))[0], "bbox"),
    }
    run_both(evals)
    assert gt._pending is not None  # the copy's reads left the original unbuilt


def test_files_softkit_declines_fall_back_to_python(tmp_path):
    """A ground truth without ``area`` (pycocotools loads it; softkit's reader needs the field) is
    indexed in Python; its error comes at evaluation, naming the field."""
    dataset, results = make_case(0, "bbox")
    del dataset["annotations"][0]["area"]
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(dataset))
    gt = quiet(skcoco.COCO, str(gt_path))[0]
    assert gt._gt_index() is None
    assert gt.dataset == quiet(PyCOCO, str(gt_path))[0].dataset
    ev = skcoco.COCOeval(gt, quiet(gt.loadRes, results)[0], "bbox")
    with pytest.raises(ValueError, match="area"):
        quiet(ev.evaluate)


def test_unknown_image_in_a_results_file_is_named(tmp_path):
    gt_path, _, results = write_case(tmp_path, 0, "bbox")
    results[3]["image_id"] = 987654
    dt_path = tmp_path / "bad.json"
    dt_path.write_text(json.dumps(results))
    gt = quiet(skcoco.COCO, str(gt_path))[0]
    with pytest.raises(ValueError, match="result 3 has image_id 987654"):
        quiet(gt.loadRes, str(dt_path))
    with pytest.raises(ValueError, match="result 3 has image_id 987654"):
        quiet(gt.loadRes, results)


def test_invalid_json_names_the_file(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"images": [')
    with pytest.raises(ValueError, match="broken.json"):
        quiet(skcoco.COCO, str(bad))


def test_numpy_results_go_to_rust(tmp_path):
    gt_path, _, results = write_case(tmp_path, 5, "bbox")
    rows = np.array([[r["image_id"], *r["bbox"], r["score"], r["category_id"]] for r in results], dtype=np.float64)
    sk_gt = quiet(skcoco.COCO, str(gt_path))[0]
    sk_dt = quiet(sk_gt.loadRes, rows)[0]
    assert sk_dt._results_index() is not None
    py_gt = quiet(PyCOCO, str(gt_path))[0]
    py_dt = quiet(py_gt.loadRes, rows)[0]
    evals = {"softkit": skcoco.COCOeval(sk_gt, sk_dt, "bbox"), "pycocotools": PyCOCOeval(py_gt, py_dt, "bbox")}
    run_both(evals)
    assert_ious_same(evals["softkit"].ious, evals["pycocotools"].ious)
    assert_anns_same(sk_dt, py_dt)
