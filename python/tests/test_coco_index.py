"""softkit's `COCO` index (`softkit/_coco_index.py`) against pycocotools' `COCO`, run live.

Every attribute and query result is compared with pycocotools' on the same input: same values,
same types (numpy scalars and arrays included), same order. The deliberate differences (clear
errors, no mutation of the caller's results, dict input) are tested on their own.
"""

import contextlib
import copy
import io
import json
import math
import pathlib
import re
from collections import defaultdict

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO as RefCOCO
from pycocotools.cocoeval import COCOeval

from conftest import data_file
from softkit._coco_index import COCO, _rle_area_bbox

# pycocotools 2.0.11's own mask.decode warns under numpy 2; not softkit's.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

INDEX = ("dataset", "anns", "imgs", "cats", "imgToAnns", "catToImgs")


# ------------------------------------------------------------------------------------ helpers


@contextlib.contextmanager
def quiet():
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def ref_coco(source):
    """pycocotools' index of a path or of (a copy of) a dict."""
    with quiet():
        if isinstance(source, dict):
            coco = RefCOCO()
            coco.dataset = copy.deepcopy(source)
            coco.createIndex()
            return coco
        return RefCOCO(str(source))


def sk_coco(source):
    with quiet():
        return COCO(source)


def assert_same(a, b, where="value"):
    """Equal values of the same types, dict keys in the same order, arrays of the same dtype."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__} ({a!r:.60} vs {b!r:.60})"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)[:8]} != {list(b)[:8]}"
        if isinstance(a, defaultdict):
            assert a.default_factory is b.default_factory, where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{where}: {a} != {b}"
    elif isinstance(a, (float, np.floating)) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_index(sk, ref):
    for name in INDEX:
        assert_same(getattr(sk, name), getattr(ref, name), name)


def load_res_both(gt_source, results):
    """``loadRes`` of softkit and of pycocotools on the same results (pycocotools gets a copy: it edits them)."""
    sk, ref = sk_coco(gt_source), ref_coco(gt_source)
    with quiet():
        sk_res = sk.loadRes(results)
        ref_res = ref.loadRes(results if isinstance(results, (str, np.ndarray)) else copy.deepcopy(results))
    return sk_res, ref_res


def printed(fn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = fn()
    return re.sub(r"t=\d+\.\d+s", "t=Xs", out.getvalue()), result


def mask_rle(h, w, boxes, as_str=True):
    """A compressed RLE (as pycocotools encodes it) of the union of ``(y0, x0, y1, x1)`` rectangles."""
    m = np.zeros((h, w), np.uint8)
    for y0, x0, y1, x1 in boxes:
        m[y0:y1, x0:x1] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    if as_str:
        rle["counts"] = rle["counts"].decode("ascii")
    return rle


# ------------------------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def gt_path():
    return data_file("coco-val2014-100", "instances_val2014_100.json")


@pytest.fixture(scope="module")
def bbox_path():
    return data_file("coco-val2014-100", "instances_val2014_fakebbox100_results.json")


@pytest.fixture(scope="module")
def segm_path():
    return data_file("coco-val2014-100", "instances_val2014_fakesegm100_results.json")


@pytest.fixture(scope="module")
def real_pair(gt_path):
    return sk_coco(str(gt_path)), ref_coco(gt_path)


def small_dataset():
    """Crowd annotations, an image without annotations, a category without annotations, ids out of
    order, an uncompressed-RLE crowd, keypoints, and two supercategories."""
    rle = mask_rle(20, 30, [(2, 3, 9, 12)])
    return {
        "info": {"description": "hand-made", "year": 2024},
        "images": [
            {"id": 30, "width": 30, "height": 20, "file_name": "c.jpg"},
            {"id": 10, "width": 30, "height": 20, "file_name": "a.jpg"},
            {"id": 20, "width": 30, "height": 20, "file_name": "b.jpg"},  # no annotations
            {"id": 40, "width": 30, "height": 20, "file_name": "d.jpg"},
        ],
        "categories": [
            {"id": 5, "name": "person", "supercategory": "person",
             "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [2, 3]]},
            {"id": 2, "name": "cat", "supercategory": "animal"},
            {"id": 9, "name": "dog", "supercategory": "animal"},  # no annotations
            {"id": 7, "name": "per", "supercategory": "thing"},
        ],
        "annotations": [
            {"id": 103, "image_id": 30, "category_id": 2, "bbox": [1, 2, 10, 5], "area": 50.0, "iscrowd": 0,
             "segmentation": [[1, 2, 11, 2, 11, 7, 1, 7]]},
            {"id": 101, "image_id": 10, "category_id": 5, "bbox": [0, 0, 4, 4], "area": 16, "iscrowd": 0,
             "segmentation": [[0, 0, 4, 0, 4, 4, 0, 4]], "keypoints": [1, 1, 2, 3, 3, 2, 0, 0, 0], "num_keypoints": 2},
            {"id": 102, "image_id": 10, "category_id": 2, "bbox": [3, 2, 9, 7], "area": 63, "iscrowd": 1,
             "segmentation": rle},
            {"id": 104, "image_id": 30, "category_id": 5, "bbox": [5, 5, 10, 10], "area": 1024, "iscrowd": 0,
             "segmentation": [[5, 5, 15, 5, 15, 15, 5, 15]], "keypoints": [6, 6, 2, 14, 7, 1, 9, 14, 2], "num_keypoints": 3},
            {"id": 105, "image_id": 40, "category_id": 7, "bbox": [0, 0, 30, 20], "area": 9216.5, "iscrowd": 1,
             "segmentation": {"size": [20, 30], "counts": [0, 100, 500]}},
            {"id": 106, "image_id": 10, "category_id": 7, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0,
             "segmentation": [[1, 1, 3, 1, 3, 3, 1, 3]]},
        ],
    }


# ------------------------------------------------------------------------------------ index


@pytest.mark.parametrize("form", ["str", "pathlib", "dict"])
def test_real_ground_truth_index_matches(gt_path, form):
    source = {"str": str(gt_path), "pathlib": pathlib.Path(gt_path), "dict": json.loads(gt_path.read_text())}[form]
    assert_same_index(sk_coco(source), ref_coco(gt_path))


def test_dict_input_is_used_as_is():
    data = small_dataset()
    coco = sk_coco(data)
    assert coco.dataset is data
    assert coco.anns[101] is data["annotations"][1]


@pytest.mark.parametrize(
    "variant",
    ["full", "no_annotations", "no_categories", "no_images", "empty_lists", "empty"],
)
def test_hand_made_index_matches(variant):
    data = small_dataset()
    if variant == "no_annotations":
        del data["annotations"]
    elif variant == "no_categories":  # a captions-like file: catToImgs stays empty
        del data["categories"]
    elif variant == "no_images":
        del data["images"]
    elif variant == "empty_lists":
        data = {"images": [], "annotations": [], "categories": []}
    elif variant == "empty":
        data = {}
    assert_same_index(sk_coco(data), ref_coco(data))


def test_no_file_gives_empty_index_and_create_index_idiom():
    sk, ref = COCO(), RefCOCO()
    assert_same_index(sk, ref)
    data = small_dataset()
    sk.dataset, ref.dataset = data, copy.deepcopy(data)
    with quiet():
        sk.createIndex()
        ref.createIndex()
    assert_same_index(sk, ref)


def test_prints_the_same_lines(gt_path, bbox_path):
    sk_out, sk = printed(lambda: COCO(str(gt_path)))
    ref_out, ref = printed(lambda: RefCOCO(str(gt_path)))
    assert sk_out == ref_out
    assert sk_out.splitlines() == ["loading annotations into memory...", "Done (t=Xs)", "creating index...", "index created!"]
    assert printed(lambda: sk.loadRes(str(bbox_path)))[0] == printed(lambda: ref.loadRes(str(bbox_path)))[0]
    array = np.array([[139, 1, 2, 3, 4, 0.5, 1]], dtype=np.float64)
    array[0, 0] = next(iter(sk.imgs))
    assert printed(lambda: sk.loadRes(array))[0] == printed(lambda: ref.loadRes(array))[0]
    assert printed(sk.info)[0] == printed(ref.info)[0] != ""


# ------------------------------------------------------------------------------------ queries


def ann_id_queries(coco):
    img_ids = list(coco.imgs)
    cat_ids = list(coco.cats)
    return [
        {},
        {"imgIds": img_ids[:5]},
        {"imgIds": img_ids[3]},
        {"imgIds": list(reversed(img_ids[:7])) + [img_ids[0]]},  # repeated id: its annotations twice
        {"imgIds": [123456789, img_ids[1]]},
        {"imgIds": np.array(img_ids[:4])},
        {"catIds": cat_ids[:3]},
        {"catIds": cat_ids[1]},
        {"catIds": [cat_ids[2], 999999]},
        {"areaRng": [0, 32**2]},
        {"areaRng": [32**2, 96**2]},
        {"areaRng": [16, 16]},
        {"areaRng": [0, 1e10], "iscrowd": None},
        {"iscrowd": True},
        {"iscrowd": False},
        {"iscrowd": 1},
        {"iscrowd": 0},
        {"imgIds": img_ids[:20], "catIds": cat_ids[:10], "areaRng": [100, 1e5], "iscrowd": False},
        {"imgIds": img_ids[:20], "iscrowd": True},
        {"imgIds": [], "catIds": [], "areaRng": []},
    ]


def cat_id_queries(coco):
    cats = list(coco.cats.values())
    return [
        {},
        {"catNms": [cats[0]["name"], cats[3]["name"]]},
        {"catNms": cats[0]["name"]},  # a str: pycocotools tests names by substring of it
        {"catNms": "person"},
        {"supNms": ["animal"]},
        {"supNms": "animal"},
        {"supNms": ["animal", "vehicle", "person"], "catNms": [c["name"] for c in cats[:30]]},
        {"catIds": [cats[2]["id"], cats[0]["id"], 424242]},
        {"catIds": cats[1]["id"]},
        {"catNms": ["nothing"]},
        {"catNms": ["person", "cat", "dog"], "supNms": ["animal"], "catIds": [2, 9, 17, 18]},
    ]


def img_id_queries(coco):
    img_ids = list(coco.imgs)
    cat_ids = list(coco.cats)
    return [
        {},
        {"imgIds": img_ids[:10]},
        {"imgIds": img_ids[-1]},
        {"imgIds": [55555555] + img_ids[:3]},  # unknown ids are kept: pycocotools returns set(imgIds)
        {"catIds": [cat_ids[0]]},
        {"catIds": cat_ids[0]},
        {"catIds": cat_ids[:2]},
        {"catIds": list(reversed(cat_ids[:3]))},
        {"imgIds": img_ids[:50], "catIds": [cat_ids[0]]},
        {"imgIds": img_ids[:50], "catIds": cat_ids[:2]},
        {"catIds": [cat_ids[-1], 987654]},  # a category without annotations empties the set
        {"catIds": [987654]},
        {"imgIds": [], "catIds": []},
    ]


def check_queries(sk, ref):
    for query in ann_id_queries(ref):
        assert_same(sk.getAnnIds(**query), ref.getAnnIds(**query), f"getAnnIds({query})")
    for query in cat_id_queries(ref):
        assert_same(sk.getCatIds(**query), ref.getCatIds(**query), f"getCatIds({query})")
    for query in img_id_queries(ref):
        # getImgIds' order with filters is a set's: softkit builds the same set the same way.
        assert_same(sk.getImgIds(**query), ref.getImgIds(**query), f"getImgIds({query})")
    for method in ("loadAnns", "loadCats", "loadImgs"):
        index = {"loadAnns": ref.anns, "loadCats": ref.cats, "loadImgs": ref.imgs}[method]
        ids = list(index)
        for arg in ([], ids[:3], ids[-1], list(reversed(ids)), np.array(ids[:2]), tuple(ids[1:4])):
            assert_same(getattr(sk, method)(arg), getattr(ref, method)(arg), f"{method}({arg!r})")
        attribute = {"loadAnns": "anns", "loadCats": "cats", "loadImgs": "imgs"}[method]
        assert getattr(sk, method)(ids[0])[0] is getattr(sk, attribute)[ids[0]]


def test_queries_on_real_ground_truth(real_pair):
    sk, ref = real_pair
    check_queries(sk, ref)
    assert len(sk.getImgIds(catIds=[1])) > 0 and len(sk.getAnnIds(iscrowd=True)) == 9


def test_queries_on_hand_made_dataset():
    data = small_dataset()
    sk, ref = sk_coco(data), ref_coco(data)
    check_queries(sk, ref)
    # The quirks, spelled out: a str of names matches by substring; the area range is open.
    assert sk.getCatIds(catNms="person") == [5, 7]
    assert sk.getAnnIds(areaRng=[16, 64]) == [103, 102]
    assert sk.getAnnIds(iscrowd=True) == [102, 105]
    assert sorted(sk.getImgIds(catIds=[5, 2])) == [10, 30]


def test_get_img_ids_does_not_grow_cat_to_imgs():
    """Deliberate: pycocotools' defaultdict lookup adds an empty entry per unknown category queried."""
    data = small_dataset()
    sk, ref = sk_coco(data), ref_coco(data)
    assert sk.getImgIds(catIds=[9, 31337]) == ref.getImgIds(catIds=[9, 31337]) == []
    assert 31337 not in sk.catToImgs and 9 not in sk.catToImgs
    assert 31337 in ref.catToImgs


def test_load_methods_take_numpy_ints_and_reject_other_scalars():
    data = small_dataset()
    sk, ref = sk_coco(data), ref_coco(data)
    assert sk.loadImgs(np.int64(10)) == [data["images"][1]]
    assert ref.loadImgs(np.int64(10)) is None  # pycocotools' silent None
    for method in (sk.loadAnns, sk.loadCats, sk.loadImgs):
        with pytest.raises(TypeError, match="int or a list"):
            method(10.0)
        with pytest.raises(TypeError, match="int or a list"):
            method(None)
    with pytest.raises(KeyError):
        sk.loadImgs(11)


def test_info_needs_info():
    sk = sk_coco({"images": []})
    with pytest.raises(KeyError):
        sk.info()


# ------------------------------------------------------------------------------------ loadRes: boxes


@pytest.mark.parametrize("form", ["path", "pathlib", "list", "numpy"])
def test_load_res_real_boxes(gt_path, bbox_path, form):
    results = json.loads(bbox_path.read_text())
    source = {
        "path": str(bbox_path),
        "pathlib": pathlib.Path(bbox_path),
        "list": results,
        "numpy": np.array(
            [[r["image_id"], *r["bbox"], r["score"], r["category_id"]] for r in results], dtype=np.float64
        ),
    }[form]
    before = copy.deepcopy(source)
    sk, ref = sk_coco(str(gt_path)), ref_coco(gt_path)
    with quiet():
        sk_res = sk.loadRes(source)
        ref_res = ref.loadRes(str(bbox_path) if form == "pathlib" else copy.deepcopy(source))
    assert_same_index(sk_res, ref_res)
    assert_same(source, before, "the caller's results")
    assert sk_res.dataset["images"][0] is sk.dataset["images"][0]  # images shared, as pycocotools shares them
    assert sk_res.dataset["categories"] is not sk.dataset["categories"]  # categories deep-copied


def test_load_res_boxes_hand_made_types_and_segmentation():
    data = small_dataset()
    results = [
        {"image_id": 10, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.9},  # ints stay ints
        {"image_id": 30, "category_id": 2, "bbox": (1.5, 2.5, 3.25, 4.0), "score": 0.8},  # a tuple
        {"image_id": 20, "category_id": 9, "bbox": [0, 0, 0, 0], "score": 0.1, "area": -1, "id": 77},
        {"image_id": 10, "category_id": 2, "bbox": [1, 1, 2, 2], "score": 0.7,
         "segmentation": mask_rle(20, 30, [(1, 1, 3, 3)])},  # a given segmentation is kept
        {"image_id": 40, "category_id": 7, "bbox": np.array([1.0, 2.0, 3.0, 4.0]), "score": np.float32(0.5)},
    ]
    before = copy.deepcopy(results)
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    assert_same(results, before, "the caller's results")
    assert sk_res.anns[1]["segmentation"] == [[1, 2, 1, 6, 4, 6, 4, 2]]
    with quiet():
        from_tuple = sk_coco(data).loadRes(tuple(results))  # a tuple is read as the list would be
    assert_same(from_tuple.dataset, sk_res.dataset, "results from a tuple")
    assert sk_res.anns[3]["id"] == 3 and sk_res.anns[3]["area"] == 0
    for i, original in enumerate(results):
        copied = sk_res.dataset["annotations"][i]
        assert copied is not original
        if isinstance(original["bbox"], (list, np.ndarray)):
            assert copied["bbox"] is not original["bbox"]


def test_load_res_numpy_rows_keep_numpy_scalars():
    data = small_dataset()
    array = np.array([[10, 1, 2, 3, 4, 0.9, 5], [30.0, 0.5, 0.5, 2, 2, 0.25, 2]], dtype=np.float32)
    sk_res, ref_res = load_res_both(data, array)
    assert_same_index(sk_res, ref_res)
    ann = sk_res.anns[1]
    assert type(ann["image_id"]) is int and type(ann["category_id"]) is int
    assert type(ann["bbox"][0]) is np.float32 and type(ann["score"]) is np.float32


# ------------------------------------------------------------------------------------ loadRes: masks


@pytest.mark.parametrize("form", ["path", "list"])
def test_load_res_real_masks(gt_path, segm_path, form):
    results = json.loads(segm_path.read_text())
    source = str(segm_path) if form == "path" else results
    before = copy.deepcopy(results)
    sk_res, ref_res = load_res_both(str(gt_path), source)
    assert_same_index(sk_res, ref_res)
    assert_same(results, before, "the caller's results")
    ann = sk_res.anns[1]
    assert type(ann["area"]) is np.uint32 and ann["bbox"].dtype == np.float64 and ann["bbox"].shape == (4,)


def test_load_res_hand_made_masks():
    data = small_dataset()
    tall = mask_rle(20, 30, [(0, 4, 20, 9)])  # a run that crosses columns: the box spans all rows
    results = [
        {"image_id": 10, "category_id": 5, "segmentation": mask_rle(20, 30, [(2, 3, 9, 12)], as_str=False), "score": 0.9},
        {"image_id": 30, "category_id": 2, "segmentation": mask_rle(20, 30, []), "score": 0.8},  # empty mask
        {"image_id": 20, "category_id": 2, "segmentation": mask_rle(20, 30, [(0, 0, 20, 30)]), "score": 0.7},
        {"image_id": 20, "category_id": 9, "segmentation": tall, "score": 0.6},
        {"image_id": 40, "category_id": 7, "segmentation": mask_rle(20, 30, [(19, 29, 20, 30), (0, 0, 1, 1)]), "score": 0.5},
        {"image_id": 10, "category_id": 5, "segmentation": mask_rle(20, 30, [(5, 5, 6, 6)]), "score": 0.4,
         "bbox": [9, 9, 9, 9]},  # a given bbox is kept
        {"image_id": 10, "category_id": 5, "segmentation": mask_rle(20, 30, [(3, 2, 17, 8), (1, 20, 4, 28)]), "score": 0.3},
    ]
    before = copy.deepcopy(results)
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    assert_same(results, before, "the caller's results")
    assert sk_res.anns[2]["area"] == 0 and sk_res.anns[2]["bbox"].tolist() == [0, 0, 0, 0]
    assert sk_res.anns[4]["bbox"].tolist() == [4, 0, 5, 20]


def test_load_res_masks_first_result_with_empty_bbox():
    """pycocotools reads results whose first ``bbox`` is ``[]`` as masks, and keeps the ``[]``."""
    data = small_dataset()
    results = [
        {"image_id": 10, "category_id": 5, "segmentation": mask_rle(20, 30, [(1, 1, 4, 4)]), "bbox": [], "score": 0.9},
        {"image_id": 10, "category_id": 5, "segmentation": mask_rle(20, 30, [(2, 2, 4, 4)]), "score": 0.8},
    ]
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    assert sk_res.anns[1]["bbox"] == []


def test_run_length_area_and_box_match_pycocotools_on_random_masks():
    rng = np.random.default_rng(7)
    rles = []
    for t in range(1500):
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        if t % 4 == 0:
            m = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        elif t % 4 == 1:
            m = np.full((h, w), t % 8 == 1, np.uint8)
        else:
            m = np.zeros((h, w), np.uint8)
            for _ in range(t % 3 + 1):
                y0, x0 = rng.integers(0, h), rng.integers(0, w)
                m[y0 : y0 + rng.integers(1, h + 1), x0 : x0 + rng.integers(1, w + 1)] = 1
        rle = mask_utils.encode(np.asfortranarray(m))
        if t % 2:
            rle["counts"] = rle["counts"].decode("ascii")
        rles.append(rle)
    big = np.zeros((2000, 3000), np.uint8)  # runs that need six characters, and negative differences
    big[100:1900, 7:2990] = 1
    big[0, 0] = big[1999, 2999] = 1
    rles.append(mask_utils.encode(np.asfortranarray(big)))
    area, bbox = _rle_area_bbox(rles, [f"rle {i}" for i in range(len(rles))])
    assert_same(area, np.array([mask_utils.area(r) for r in rles], dtype=np.uint32), "area")
    assert_same(bbox, np.array([mask_utils.toBbox(r) for r in rles]), "bbox")


def test_uncompressed_run_lengths_are_read_too():
    """An extension: pycocotools' loadRes takes only compressed masks; softkit also takes ``counts`` lists."""
    data = small_dataset()
    counts = [45, 5, 15, 5, 530]
    results = [{"image_id": 10, "category_id": 5, "segmentation": {"size": [20, 30], "counts": counts}, "score": 0.9}]
    sk_res = sk_coco(data)
    with quiet():
        res = sk_res.loadRes(results)
    compressed = mask_utils.frPyObjects({"size": [20, 30], "counts": counts}, 20, 30)
    assert res.anns[1]["area"] == mask_utils.area(compressed) == 10
    assert_same(res.anns[1]["bbox"], mask_utils.toBbox(compressed))
    assert results[0]["segmentation"]["counts"] == [45, 5, 15, 5, 530] and "area" not in results[0]


def test_ann_to_rle_and_mask_match_pycocotools_for_run_lengths(gt_path, segm_path):
    data = small_dataset()
    sk, ref = sk_coco(data), ref_coco(data)
    for ann_id in (102, 105):  # a compressed and an uncompressed crowd
        assert_same(sk.annToRLE(sk.anns[ann_id]), ref.annToRLE(ref.anns[ann_id]), f"annToRLE({ann_id})")
        sk_mask, ref_mask = sk.annToMask(sk.anns[ann_id]), ref.annToMask(ref.anns[ann_id])
        assert_same(sk_mask, ref_mask, f"annToMask({ann_id})")
        assert sk_mask.flags.f_contiguous == ref_mask.flags.f_contiguous
    sk_res, ref_res = load_res_both(str(gt_path), str(segm_path))
    for ann_id in list(sk_res.anns)[::37]:
        assert_same(sk_res.annToMask(sk_res.anns[ann_id]), ref_res.annToMask(ref_res.anns[ann_id]), f"mask {ann_id}")


def test_ann_to_rle_and_mask_match_pycocotools_for_polygons(gt_path):
    """Polygons are rasterised at the image's size and merged, as pycocotools' annToRLE does;
    pycocotools' own COCOeval("segm") calls it on a softkit COCO."""
    data = small_dataset()
    sk, ref = sk_coco(data), ref_coco(data)
    assert_same(sk.annToRLE(sk.anns[101]), ref.annToRLE(ref.anns[101]), "annToRLE(101)")
    assert_same(sk.annToMask(sk.anns[101]), ref.annToMask(ref.anns[101]), "annToMask(101)")
    sk, ref = sk_coco(str(gt_path)), ref_coco(str(gt_path))
    polygons = [i for i, a in sk.anns.items() if isinstance(a["segmentation"], list)]
    assert len(polygons) > 100
    for ann_id in polygons[::4]:
        assert_same(sk.annToRLE(sk.anns[ann_id]), ref.annToRLE(ref.anns[ann_id]), f"annToRLE({ann_id})")
    for ann_id in polygons[::40]:
        assert_same(sk.annToMask(sk.anns[ann_id]), ref.annToMask(ref.anns[ann_id]), f"annToMask({ann_id})")


# ------------------------------------------------------------------------------------ loadRes: keypoints, captions


def test_load_res_keypoints():
    data = small_dataset()
    results = [
        {"image_id": 10, "category_id": 5, "keypoints": [1, 2, 2, 5, 9, 1, 0, 0, 0], "score": 0.9},  # (0, 0): invisible, in the box
        {"image_id": 30, "category_id": 5, "keypoints": [6.5, 6.25, 1, 14.0, 7.5, 2, 9.75, 14.5, 1], "score": 0.8},
        {"image_id": 20, "category_id": 5, "keypoints": [3, 3, 2, 3, 3, 2, 3, 3, 2], "score": 0.7},  # one point: area 0
    ]
    before = copy.deepcopy(results)
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    assert_same(results, before, "the caller's results")
    assert "iscrowd" not in sk_res.anns[1]  # pycocotools sets no iscrowd on keypoint results
    assert sk_res.anns[1]["bbox"] == [0, 0, 5, 9]


def test_load_res_keypoints_with_boxes_are_read_as_boxes():
    data = small_dataset()
    results = [{"image_id": 10, "category_id": 5, "keypoints": [1, 2, 2, 5, 9, 1, 0, 0, 0], "bbox": [1, 1, 5, 5], "score": 0.9}]
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    assert sk_res.anns[1]["area"] == 25 and sk_res.anns[1]["iscrowd"] == 0


def test_load_res_captions():
    data = small_dataset()
    results = [{"image_id": 30, "caption": "a cat"}, {"image_id": 10, "caption": "a person"}, {"image_id": 30, "caption": "two"}]
    before = copy.deepcopy(results)
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    assert_same(results, before, "the caller's results")
    assert [img["id"] for img in sk_res.dataset["images"]] == [30, 10]


def test_results_evaluate_alike_with_cocoeval(gt_path, bbox_path):
    """softkit's indexes are a drop-in for pycocotools' COCOeval (boxes and keypoints)."""

    def stats(gt, res, iou_type):
        with quiet():
            ev = COCOeval(gt, res, iou_type)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return ev.stats

    sk, ref = sk_coco(str(gt_path)), ref_coco(gt_path)
    with quiet():
        sk_res, ref_res = sk.loadRes(str(bbox_path)), ref.loadRes(str(bbox_path))
    np.testing.assert_array_equal(stats(sk, sk_res, "bbox"), stats(ref, ref_res, "bbox"))

    rng = np.random.default_rng(3)

    def person(i, image_id):
        xy = rng.uniform(10, 90, (17, 2))
        v = rng.integers(0, 3, 17)
        kps = np.column_stack([xy, v]).ravel().tolist()
        return {"id": i, "image_id": image_id, "category_id": 1, "keypoints": kps, "num_keypoints": int((v > 0).sum()),
                "bbox": [10, 10, 80, 80], "area": 3000.0 + 500 * i, "iscrowd": 0}

    data = {
        "images": [{"id": 1}, {"id": 2}, {"id": 3}],
        "categories": [{"id": 1, "name": "person", "supercategory": "person"}],
        "annotations": [person(1, 1), person(2, 1), person(3, 2), person(4, 3)],
    }
    results = []
    for k, ann in enumerate(data["annotations"] * 2):
        kps = np.array(ann["keypoints"], dtype=float).reshape(17, 3)
        kps[:, :2] += rng.normal(0, 2 + 3 * k, (17, 2))
        results.append({"image_id": ann["image_id"], "category_id": 1, "keypoints": kps.ravel().tolist(), "score": 0.9 - 0.05 * k})
    sk_res, ref_res = load_res_both(data, results)
    assert_same_index(sk_res, ref_res)
    sk_gt, ref_gt = sk_coco(data), ref_coco(data)
    np.testing.assert_array_equal(stats(sk_gt, sk_res, "keypoints"), stats(ref_gt, ref_res, "keypoints"))


# ------------------------------------------------------------------------------------ deliberate differences


@pytest.mark.parametrize("form", ["list", "numpy"])
def test_empty_results_give_an_empty_index(form):
    data = small_dataset()
    source = [] if form == "list" else np.zeros((0, 7))
    with quiet():
        res = sk_coco(data).loadRes(source)
        with pytest.raises(IndexError):  # pycocotools indexes the first result
            ref_coco(data).loadRes(copy.deepcopy(source))
    assert res.dataset["annotations"] == [] and res.anns == {} and res.imgToAnns == {}
    assert res.dataset["categories"] == data["categories"] and list(res.imgs) == [30, 10, 20, 40]


def test_unknown_image_is_named():
    data = small_dataset()
    results = [
        {"image_id": 10, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.9},
        {"image_id": 4242, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.8},
        {"image_id": 999, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.8},
    ]
    with quiet(), pytest.raises(ValueError, match=r"result 1 has image_id 4242.*2 of 3 results"):
        sk_coco(data).loadRes(results)
    with quiet(), pytest.raises(AssertionError):  # pycocotools: "Results do not correspond to current coco set"
        ref_coco(data).loadRes(copy.deepcopy(results))
    array = np.array([[10, 1, 2, 3, 4, 0.9, 5], [77, 1, 2, 3, 4, 0.9, 5]])
    with quiet(), pytest.raises(ValueError, match="image_id 77"):
        sk_coco(data).loadRes(array)
    with quiet(), pytest.raises(ValueError, match=r"image_id \[10\]"):
        sk_coco(data).loadRes([{"image_id": [10], "category_id": 5, "bbox": [1, 2, 3, 4]}])


def bad_results():
    box = {"image_id": 10, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.9}
    seg = {"image_id": 10, "category_id": 5, "segmentation": mask_rle(20, 30, [(1, 1, 3, 3)]), "score": 0.9}
    kps = {"image_id": 10, "category_id": 5, "keypoints": [1, 2, 2], "score": 0.9}
    return [
        ("dict", {"results": [box]}, TypeError, "list of result dicts"),
        ("int", 7, TypeError, "got int"),
        ("not a dict", [box, [10, 5]], TypeError, "result 1 must be a dict"),
        ("no image_id", [box, {"category_id": 5, "bbox": [1, 2, 3, 4]}], ValueError, "result 1 has no 'image_id'"),
        ("no kind", [{"image_id": 10, "category_id": 5, "score": 1.0}], ValueError, "result 0 holds none of"),
        ("box missing", [box, seg], ValueError, "result 1 has no 'bbox'"),
        ("no category", [box, {"image_id": 10, "bbox": [1, 2, 3, 4]}], ValueError, "result 1 has no 'category_id'"),
        ("short box", [box, {**box, "bbox": [1, 2, 3]}], ValueError, r"result 1: 'bbox' must be \[x, y, w, h\]"),
        ("None box", [box, {**box, "bbox": None}], ValueError, "result 1: 'bbox'"),
        ("str box", [box, {**box, "bbox": ["1", "2", "3", "4"]}], ValueError, "result 1: 'bbox' must be four numbers"),
        ("polygon mask", [seg, {**seg, "segmentation": [[1, 1, 5, 1, 5, 5]]}], ValueError, "result 1.*polygon"),
        ("mask without size", [{**seg, "segmentation": {"counts": "abc"}}], ValueError, "result 0: 'segmentation' must be"),
        ("bad size", [{**seg, "segmentation": {"size": [20.0, 30], "counts": "0"}}], ValueError, "'size' must be"),
        ("bad character", [seg, {**seg, "segmentation": {"size": [20, 30], "counts": "12~4"}}], ValueError, "result 1.*'~'"),
        ("truncated counts", [{**seg, "segmentation": {"size": [20, 30], "counts": "1o"}}], ValueError, "ends inside"),
        ("counts too long", [{**seg, "segmentation": {"size": [2, 3], "counts": [1, 2, 3, 4]}}], ValueError, "more than its size 2x3"),
        ("negative counts", [{**seg, "segmentation": {"size": [2, 3], "counts": [1, -2]}}], ValueError, "non-negative"),
        ("keypoints length", [kps, {**kps, "keypoints": [1, 2]}], ValueError, "result 1: 'keypoints'"),
        ("keypoints empty", [kps, {**kps, "keypoints": []}], ValueError, "result 1: 'keypoints'"),
        ("keypoints text", [kps, {**kps, "keypoints": ["a", "b", "c"]}], ValueError, "result 1: 'keypoints' must be numbers"),
        ("numpy width", np.zeros((3, 6)), ValueError, r"shape \(N, 7\).*\(3, 6\)"),
        ("numpy 1-D", np.zeros(7), ValueError, r"shape \(N, 7\).*\(7,\)"),
        ("numpy 3-D", np.zeros((2, 7, 1)), ValueError, r"shape \(N, 7\)"),
        ("numpy text", np.array([["10", "1", "2", "3", "4", "0.5", "5"]]), TypeError, "must hold numbers"),
        ("numpy fractional id", np.array([[10.5, 1, 2, 3, 4, 0.5, 5]]), ValueError, r"row 0 has image_id \(column 0\)"),
        ("numpy nan class", np.array([[10, 1, 2, 3, 4, 0.5, 5], [10, 1, 2, 3, 4, 0.5, np.nan]]), ValueError, r"row 1 has category_id"),
    ]


@pytest.mark.parametrize("name,results,error,message", bad_results(), ids=[b[0] for b in bad_results()])
def test_bad_results_raise_clear_errors(name, results, error, message):
    coco = sk_coco(small_dataset())
    before = copy.deepcopy(results)
    with quiet(), pytest.raises(error, match=message):
        coco.loadRes(results)
    if isinstance(results, list):
        assert_same(results, before, "the caller's results")


def test_bad_files_raise_clear_errors(tmp_path, gt_path):
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    results_dict = tmp_path / "results.json"
    results_dict.write_text('{"annotations": []}')
    with quiet():
        with pytest.raises(ValueError, match="holds a list, expected a COCO dataset"):
            COCO(listed)
        with pytest.raises(ValueError, match="broken.json.*not valid JSON"):
            COCO(str(broken))
        with pytest.raises(TypeError, match="path, a dict or None"):
            COCO(42)
        with pytest.raises(FileNotFoundError):
            COCO(tmp_path / "missing.json")
        coco = COCO(str(gt_path))
        with pytest.raises(ValueError, match="results.json.*holds a dict, expected a list"):
            coco.loadRes(str(results_dict))
        with pytest.raises(ValueError, match="broken.json.*not valid JSON"):
            coco.loadRes(broken)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda d: d["annotations"][2].pop("id"), r"dataset\['annotations'\]\[2\] has no 'id'"),
        (lambda d: d["annotations"][0].pop("image_id"), r"dataset\['annotations'\]\[0\] has no 'image_id'"),
        (lambda d: d["annotations"][4].pop("category_id"), r"dataset\['annotations'\]\[4\] has no 'category_id'"),
        (lambda d: d["images"].append({"file_name": "x"}), r"dataset\['images'\]\[4\] has no 'id'"),
        (lambda d: d["categories"].__setitem__(1, "cat"), r"dataset\['categories'\]\[1\] must be a dict"),
        (lambda d: d["images"][0].__setitem__("id", [30]), r"dataset\['images'\]\[0\]\['id'\].*cannot be an id"),
    ],
)
def test_malformed_ground_truth_is_named(edit, message):
    data = small_dataset()
    edit(data)
    with quiet(), pytest.raises(ValueError, match=message):
        COCO(data)


def test_caller_results_unchanged_after_every_kind(gt_path, bbox_path, segm_path):
    sk = sk_coco(str(gt_path))
    for path in (bbox_path, segm_path):
        results = json.loads(path.read_text())
        before = copy.deepcopy(results)
        ids_before = [id(r) for r in results]
        with quiet():
            res = sk.loadRes(results)
        assert_same(results, before, f"the caller's results from {path.name}")
        assert [id(r) for r in results] == ids_before
        assert all(a is not b for a, b in zip(res.dataset["annotations"], results))
        assert res.dataset["annotations"] is not results


def test_pycocotools_own_segm_evaluation_runs_on_softkit_indexes(gt_path, segm_path):
    """pycocotools' COCOeval("segm") reads ground truth polygons through annToRLE: on softkit's
    COCO objects it gives the same stats as on its own."""
    sk_res, ref_res = load_res_both(str(gt_path), str(segm_path))
    stats = []
    for gt, res in ((sk_coco(str(gt_path)), sk_res), (ref_coco(str(gt_path)), ref_res)):
        with contextlib.redirect_stdout(io.StringIO()):
            e = COCOeval(gt, res, "segm")
            e.evaluate()
            e.accumulate()
            e.summarize()
        stats.append(e.stats)
    assert np.array_equal(stats[0], stats[1]) and stats[0][0] > 0.1
