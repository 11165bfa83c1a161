"""softkit.coco.mask against pycocotools.mask (2.0.11): every function, single and list forms, on
seeded random masks, edge cases and the real annotations of coco-val2014-100, compared exactly
(counts bytes, dtypes, shapes, memory order and values); bad input raises ValueError or TypeError."""

import json

import numpy as np
import pytest
from pycocotools import mask as ref

from conftest import data_file
from softkit.coco import mask

# (height, width): degenerate strips, small squares, odd sizes and a COCO-sized image.
SIZES = [(1, 1), (1, 9), (9, 1), (2, 2), (5, 7), (16, 16), (31, 17), (120, 90), (480, 640)]
DENSITIES = [0.0, 0.02, 0.5, 0.97, 1.0]


def fortran(a):
    return np.asfortranarray(a, dtype=np.uint8)


def random_mask(rng, h, w, density):
    if density in (0.0, 1.0):
        return fortran(np.full((h, w), density))
    if rng.random() < 0.5:  # speckle
        return fortran(rng.random((h, w)) < density)
    m = np.zeros((h, w), np.uint8)  # blobs: runs that cross columns, touch borders
    for _ in range(int(rng.integers(1, 4))):
        y, x = rng.integers(0, h), rng.integers(0, w)
        m[y : y + int(rng.integers(1, h + 1)), x : x + int(rng.integers(1, w + 1))] = 1
    return fortran(m)


def special_masks(h, w):
    """Single pixels in every corner and the centre, full rows and columns on the borders."""
    out = []
    for y, x in [(0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1), (h // 2, w // 2)]:
        m = np.zeros((h, w), np.uint8)
        m[y, x] = 1
        out.append(m)
    for sl in [np.s_[0, :], np.s_[-1, :], np.s_[:, 0], np.s_[:, -1]]:
        m = np.zeros((h, w), np.uint8)
        m[sl] = 1
        out.append(m)
    out += [np.zeros((h, w), np.uint8), np.ones((h, w), np.uint8)]
    return [fortran(m) for m in out]


def mask_cases(seed):
    rng = np.random.default_rng(seed)
    for h, w in SIZES:
        masks = [random_mask(rng, h, w, d) for d in DENSITIES] + special_masks(h, w)
        yield h, w, masks


def assert_same_rle(got, want):
    assert type(got) is dict and list(got) == ["size", "counts"]
    assert type(got["counts"]) is bytes
    assert type(got["size"]) is list and all(type(v) is int for v in got["size"])
    assert got == want


def assert_same_rles(got, want):
    assert type(got) is list and len(got) == len(want)
    for g, w in zip(got, want):
        assert_same_rle(g, w)


def assert_same_array(got, want):
    assert type(got) is type(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    if isinstance(want, np.ndarray):
        assert got.flags.f_contiguous == want.flags.f_contiguous
        assert got.flags.c_contiguous == want.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


# --- encode / decode / area / toBbox ------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_encode_single_and_stack_equal_pycocotools(seed):
    for h, w, masks in mask_cases(seed):
        for m in masks:
            assert_same_rle(mask.encode(m), ref.encode(m))
        stack = fortran(np.stack(masks, axis=2))
        assert_same_rles(mask.encode(stack), ref.encode(stack))


def test_encode_accepts_bool_c_order_and_strided_masks():
    rng = np.random.default_rng(3)
    m = rng.random((23, 31)) < 0.4
    want = ref.encode(fortran(m))
    assert_same_rle(mask.encode(np.asfortranarray(m)), ref.encode(np.asfortranarray(m)))  # bool
    assert_same_rle(mask.encode(np.ascontiguousarray(m, dtype=np.uint8)), want)  # C order
    stack = fortran(rng.random((23, 31, 6)) < 0.4)
    assert_same_rles(mask.encode(stack[:, :, ::2]), ref.encode(fortran(stack[:, :, ::2])))  # strided
    assert_same_rles(mask.encode(np.ascontiguousarray(stack)), ref.encode(stack))
    # Any nonzero byte is foreground.
    assert_same_rle(mask.encode(fortran(m) * 7), want)


def test_encode_empty_shapes():
    assert mask.encode(fortran(np.ones((4, 5, 0)))) == ref.encode(fortran(np.ones((4, 5, 0)))) == []
    for shape in [(0, 3), (3, 0), (0, 0)]:
        assert_same_rle(mask.encode(fortran(np.ones(shape))), ref.encode(fortran(np.ones(shape))))


@pytest.mark.parametrize("seed", [0, 1])
def test_decode_area_tobbox_equal_pycocotools(seed):
    for h, w, masks in mask_cases(seed):
        rles = ref.encode(fortran(np.stack(masks, axis=2)))
        assert_same_array(mask.decode(rles), ref.decode(rles))
        assert_same_array(mask.area(rles), ref.area(rles))
        assert_same_array(mask.toBbox(rles), ref.toBbox(rles))
        for r, m in zip(rles, masks):
            assert_same_array(mask.decode(r), ref.decode(r))
            np.testing.assert_array_equal(mask.decode(r), m)
            assert_same_array(mask.area(r), ref.area(r))  # np.uint32 scalar
            assert_same_array(mask.toBbox(r), ref.toBbox(r))  # (4,)
            # str counts read as bytes.
            as_str = {"size": r["size"], "counts": r["counts"].decode()}
            assert_same_array(mask.toBbox(as_str), ref.toBbox(as_str))


def test_area_of_many_rles():
    """pycocotools 2.0.11 raises OverflowError from 256 RLEs on (with numpy 2); softkit does not."""
    rng = np.random.default_rng(8)
    stack = fortran(rng.random((6, 7, 300)) < 0.5)
    rles = ref.encode(stack)
    want = np.array([ref.area(r) for r in rles], dtype=np.uint32)
    assert_same_array(mask.area(rles), want)
    assert_same_array(mask.toBbox(rles), ref.toBbox(rles))


def test_empty_runs_inside_the_counts_are_walked_to_the_end():
    odd = ref.frPyObjects({"size": [1, 10], "counts": [2, 0, 0, 3, 0, 0, 4, 1]}, 1, 10)
    plain = ref.frPyObjects({"size": [1, 10], "counts": [2, 3, 4, 1]}, 1, 10)
    assert mask.iou([odd], [odd, plain], [0, 0]).tolist() == [[1.0, 1.0]]  # pycocotools: [[0.0, 1.0]]
    np.testing.assert_array_equal(mask.decode(mask.merge([odd, odd], intersect=1)), mask.decode(plain))
    assert_same_rle(mask.merge([odd, plain]), ref.merge([odd, plain]))


def test_empty_lists():
    assert_same_array(mask.area([]), ref.area([]))
    assert_same_array(mask.toBbox([]), ref.toBbox([]))


def test_large_batch_takes_the_parallel_path():
    rng = np.random.default_rng(4)
    stack = fortran(rng.random((200, 150, 12)) < 0.3)
    rles = mask.encode(stack)
    assert_same_rles(rles, ref.encode(stack))
    assert_same_array(mask.decode(rles), ref.decode(rles))


# --- merge ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merge_equals_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for h, w, masks in mask_cases(seed):
        rles = ref.encode(fortran(np.stack(masks, axis=2)))
        for _ in range(8):
            pick = [rles[i] for i in rng.choice(len(rles), size=int(rng.integers(1, 5)))]
            for intersect in (0, 1, False, True):
                assert_same_rle(mask.merge(pick, intersect), ref.merge(pick, intersect))
            assert_same_rle(mask.merge(pick), ref.merge(pick))
            assert_same_rle(mask.merge(pick, intersect=1), ref.merge(pick, intersect=1))


# --- iou ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_rle_iou_equals_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for h, w, masks in mask_cases(seed):
        rles = ref.encode(fortran(np.stack(masks, axis=2)))
        dt = [rles[i] for i in rng.permutation(len(rles))[:7]]
        crowd = list(rng.integers(0, 2, size=len(rles)))
        assert_same_array(mask.iou(dt, rles, crowd), ref.iou(dt, rles, crowd))
        assert_same_array(mask.iou(rles, dt, [1] * len(dt)), ref.iou(rles, dt, [1] * len(dt)))
        assert_same_array(mask.iou(rles, rles, np.zeros(len(rles))), ref.iou(rles, rles, np.zeros(len(rles))))


def test_rle_iou_large_matrix():
    rng = np.random.default_rng(5)
    masks = np.zeros((40, 50, 150), np.uint8)
    for k in range(150):
        y, x = rng.integers(0, 35), rng.integers(0, 45)
        masks[y : y + rng.integers(2, 20), x : x + rng.integers(2, 20), k] = 1
    rles = ref.encode(fortran(masks))
    crowd = list(rng.integers(0, 2, size=150))
    assert_same_array(mask.iou(rles, rles, crowd), ref.iou(rles, rles, crowd))


def random_boxes(rng, n):
    b = rng.uniform(-5, 50, size=(n, 4))
    b[:, 2:] = rng.uniform(-2, 30, size=(n, 2))
    b[rng.random(n) < 0.1, 2] = 0  # zero width
    b[: n // 4] = np.round(b[: n // 4])  # touching integer boxes
    return b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_box_iou_equals_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for m, n in [(1, 1), (5, 3), (17, 29), (140, 130)]:
        dt, gt = random_boxes(rng, m), random_boxes(rng, n)
        crowd = list(rng.integers(0, 2, size=n))
        want = ref.iou(dt, gt, crowd)
        assert_same_array(mask.iou(dt, gt, crowd), want)
        # Lists of boxes (lists or arrays), float32 and integer arrays, as pycocotools accepts them.
        assert_same_array(mask.iou(dt.tolist(), list(gt), crowd), ref.iou(dt.tolist(), list(gt), crowd))
        f32 = dt.astype(np.float32)
        assert_same_array(mask.iou(f32, gt, crowd), ref.iou(f32, gt, crowd))
        ints = np.round(gt).astype(np.int64)
        assert_same_array(mask.iou(dt, ints, crowd), ref.iou(dt, ints, crowd))
        assert_same_array(mask.iou(dt, gt, np.array(crowd, bool)), want)


def test_iou_with_no_dt_or_no_gt_is_an_empty_list():
    r = ref.encode(fortran(np.eye(4)))
    for dt, gt, crowd in [([], [r], [0]), ([r], [], []), ([], [], []), (np.zeros((0, 4)), np.ones((2, 4)), [0, 0])]:
        got, want = mask.iou(dt, gt, crowd), ref.iou(dt, gt, crowd)
        assert got == want == [] and type(got) is list


# --- frPyObjects on the real annotations -----------------------------------------------------------


@pytest.fixture(scope="module")
def val100():
    with open(data_file("coco-val2014-100", "instances_val2014_100.json")) as f:
        gt = json.load(f)
    with open(data_file("coco-val2014-100", "instances_val2014_fakesegm100_results.json")) as f:
        dt = json.load(f)
    images = {im["id"]: (im["height"], im["width"]) for im in gt["images"]}
    return gt, dt, images


def test_polygons_of_val100_equal_pycocotools(val100):
    gt, _, images = val100
    count = 0
    for ann in gt["annotations"]:
        if not isinstance(ann["segmentation"], list):
            continue
        h, w = images[ann["image_id"]]
        polys = ann["segmentation"]
        got, want = mask.frPyObjects(polys, h, w), ref.frPyObjects(polys, h, w)
        assert_same_rles(got, want)
        assert_same_rle(mask.merge(got), ref.merge(want))  # annToRLE
        assert mask.area(mask.merge(got)) == ref.area(ref.merge(want))
        # One polygon on its own: a dict (pycocotools' code means to, but raises TypeError).
        assert_same_rle(mask.frPyObjects(polys[0], h, w), want[0])
        count += 1
    assert count > 700


def test_crowd_rles_of_val100_equal_pycocotools(val100):
    gt, _, images = val100
    crowd = [a for a in gt["annotations"] if a["iscrowd"]]
    assert len(crowd) >= 5
    for ann in crowd:
        h, w = images[ann["image_id"]]
        seg = ann["segmentation"]
        assert isinstance(seg["counts"], list)
        got, want = mask.frPyObjects(seg, h, w), ref.frPyObjects(seg, h, w)
        assert_same_rle(got, want)
        assert_same_array(mask.area(got), ref.area(want))
        assert_same_array(mask.toBbox(got), ref.toBbox(want))
        assert_same_array(mask.decode(got), ref.decode(want))
    segs = [a["segmentation"] for a in crowd]
    assert_same_rles(mask.frPyObjects(segs, 1, 1), ref.frPyObjects(segs, 1, 1))  # own sizes kept


def test_segm_results_against_val100_equal_pycocotools(val100):
    """What COCOeval's computeIoU does for segm: iou of results against gt, crowd flags set."""
    gt, dt, images = val100

    def to_rle(ann):
        h, w = images[ann["image_id"]]
        seg = ann["segmentation"]
        if isinstance(seg, list):
            return ref.merge(ref.frPyObjects(seg, h, w))
        return ref.frPyObjects(seg, h, w) if isinstance(seg["counts"], list) else seg

    by_image = {}
    for a in gt["annotations"]:
        by_image.setdefault(a["image_id"], ([], []))[0].append(a)
    for d in dt:
        by_image.setdefault(d["image_id"], ([], []))[1].append(d)
    pairs = 0
    for gts, dts in by_image.values():
        g = [to_rle(a) for a in gts]
        d = [x["segmentation"] for x in dts]
        crowd = [int(a["iscrowd"]) for a in gts]
        got, want = mask.iou(d, g, crowd), ref.iou(d, g, crowd)
        if len(d) and len(g):
            assert_same_array(got, want)
            pairs += want.size
        else:
            assert got == want == []
        if d:
            assert_same_array(mask.area(d), ref.area(d))
            assert_same_array(mask.toBbox(d), ref.toBbox(d))
            assert_same_array(mask.decode(d), ref.decode(d))
            assert_same_rle(mask.merge(d), ref.merge(d))
    assert pairs > 1000


# --- frPyObjects on synthetic input ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_polygons_equal_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        polys = []
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.integers(3, 12))
            p = rng.uniform(-5, max(h, w) + 5, size=2 * k)
            if rng.random() < 0.3:
                p = np.round(p)
            polys.append(p.tolist())
        assert_same_rles(mask.frPyObjects(polys, h, w), ref.frPyObjects(polys, h, w))
        arrays = [np.array(p) for p in polys]
        assert_same_rles(mask.frPyObjects(arrays, h, w), ref.frPyObjects(arrays, h, w))


def test_degenerate_polygons_after_the_first_equal_pycocotools():
    """pycocotools rasterises short and odd-length polygons after the first one; so does softkit."""
    rng = np.random.default_rng(6)
    first = [0, 0, 3, 0, 3, 3, 0, 3]
    for n in range(0, 6):
        for _ in range(100):
            h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
            p = rng.uniform(-3, 12, size=n).tolist()
            assert_same_rles(mask.frPyObjects([first, p], h, w), ref.frPyObjects([first, p], h, w))
    odd = [[0.5, 0.5, 6, 1, 5, 7, 2]]  # 7 numbers: the last is ignored
    assert_same_rles(mask.frPyObjects(odd, 8, 8), ref.frPyObjects(odd, 8, 8))


@pytest.mark.parametrize("seed", [0, 1])
def test_boxes_equal_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for h, w in [(1, 1), (10, 12), (37, 21), (480, 640)]:
        boxes = rng.uniform(-5, max(h, w), size=(20, 4))
        boxes[:5] = np.round(boxes[:5])
        want = ref.frPyObjects(boxes, h, w)
        assert_same_rles(mask.frPyObjects(boxes, h, w), want)
        # pycocotools takes only float64 arrays; softkit also takes lists and other dtypes.
        assert_same_rles(mask.frPyObjects(boxes.tolist(), h, w), want)
        assert_same_rle(mask.frPyObjects(boxes[0].tolist(), h, w), want[0])
        ints = np.round(boxes).astype(np.int32)
        assert_same_rles(mask.frPyObjects(ints, h, w), ref.frPyObjects(ints.astype(np.float64), h, w))


def test_uncompressed_rles_equal_pycocotools():
    rng = np.random.default_rng(7)
    for h, w, masks in mask_cases(7):
        for m in masks[:4]:
            flat = m.ravel(order="F")
            edges = np.flatnonzero(np.diff(flat)) + 1
            counts = np.diff(np.concatenate([[0], edges, [flat.size]])).tolist()
            if flat[0]:
                counts = [0] + counts
            ucr = {"size": [h, w], "counts": counts}
            assert_same_rle(mask.frPyObjects(ucr, 99, 99), ref.frPyObjects(ucr, 99, 99))
            as_array = {"size": np.array([h, w]), "counts": np.array(counts, dtype=np.int64)}
            assert_same_rle(mask.frPyObjects(as_array, h, w), ref.frPyObjects(as_array, h, w))
            assert_same_rles(mask.frPyObjects([ucr, ucr], h, w), ref.frPyObjects([ucr, ucr], h, w))
    # Zero-length runs inside the counts are kept, as pycocotools keeps them.
    odd = {"size": [2, 5], "counts": [2, 0, 0, 3, 0, 0, 4, 1]}
    assert_same_rle(mask.frPyObjects(odd, 2, 5), ref.frPyObjects(odd, 2, 5))
    assert int(rng.integers(0, 1)) == 0


def test_frpyobjects_accepts_numpy_and_whole_float_sizes():
    poly = [[0, 0, 3, 0, 3, 3, 0, 3]]
    want = ref.frPyObjects(poly, 5, 6)
    assert_same_rles(mask.frPyObjects(poly, np.int64(5), np.uint16(6)), want)
    assert_same_rles(mask.frPyObjects(poly, 5.0, 6.0), want)
    assert mask.frPyObjects([], 5, 5) == []


# --- bad input ------------------------------------------------------------------------------------

R44 = ref.encode(fortran(np.eye(4)))
R54 = ref.encode(fortran(np.ones((5, 4))))
POLY = [0, 0, 3, 0, 3, 3, 0, 3]

BAD = [
    # encode
    ("encode a list", lambda: mask.encode([[1, 0]]), TypeError, "numpy array"),
    ("encode float64", lambda: mask.encode(np.ones((3, 3))), ValueError, "uint8"),
    ("encode int32", lambda: mask.encode(np.ones((3, 3), np.int32)), ValueError, "uint8"),
    ("encode 1-D", lambda: mask.encode(np.ones(4, np.uint8)), ValueError, "(H, W) or (H, W, N)"),
    ("encode 4-D", lambda: mask.encode(np.ones((2, 2, 2, 2), np.uint8)), ValueError, "(H, W) or (H, W, N)"),
    # RLE dicts
    ("malformed counts", lambda: mask.decode({"size": [4, 4], "counts": b"zz"}), ValueError, "outside '0'..='o'"),
    ("non-ascii counts", lambda: mask.area({"size": [4, 4], "counts": "0é"}), ValueError, "outside '0'..='o'"),
    ("non-ascii bytes", lambda: mask.area({"size": [4, 4], "counts": b"0\xff"}), ValueError, "0xff"),
    ("truncated counts", lambda: mask.toBbox({"size": [4, 4], "counts": b"0P"}), ValueError, "ends inside a number"),
    ("counts of the wrong sum", lambda: mask.area([R44, {"size": [5, 4], "counts": R44["counts"]}]), ValueError,
     "rles[1]: RLE counts sum to 16, but size [5, 4] has 20 pixels"),
    ("list counts", lambda: mask.decode({"size": [2, 2], "counts": [1, 2, 1]}), TypeError, "frPyObjects"),
    ("negative size", lambda: mask.area({"size": [-1, 4], "counts": b"0"}), ValueError, "[-1, 4]"),
    ("size of 3", lambda: mask.area({"size": [1, 4, 1], "counts": b"0"}), ValueError, "[height, width]"),
    ("size of strings", lambda: mask.area({"size": "ab", "counts": b"0"}), TypeError, "two integers"),
    ("missing size", lambda: mask.area({"counts": b"0"}), ValueError, "no \"size\" key"),
    ("not a dict", lambda: mask.toBbox([R44, 3]), TypeError, "rles[1] is a int"),
    ("a string", lambda: mask.area("abc"), TypeError, "RLE dict or a list"),
    ("decode nothing", lambda: mask.decode([]), ValueError, "no RLEs"),
    ("decode sizes differ", lambda: mask.decode([R54, R44]), ValueError, "rles[1] has size [4, 4]"),
    # merge
    ("merge nothing", lambda: mask.merge([]), ValueError, "no RLEs"),
    ("merge sizes differ", lambda: mask.merge([R44, R54]), ValueError, "rles[1] has size [5, 4]"),
    ("merge a dict", lambda: mask.merge(R44), TypeError, "list of RLE dicts"),
    # iou
    ("iou sizes differ", lambda: mask.iou([R54], [R44], [0]), ValueError, "[5, 4]"),
    ("iou dt sizes differ", lambda: mask.iou([R44, R54], [R44], [0]), ValueError, "dt[1] has size [5, 4]"),
    ("iou rle and boxes", lambda: mask.iou([R44], np.ones((1, 4)), [0]), TypeError, "both"),
    ("iou single dict", lambda: mask.iou(R44, [R44], [0]), TypeError, "got dict"),
    ("iou mixed list", lambda: mask.iou([R44, [0, 0, 1, 1]], [R44], [0]), TypeError, "not a mix"),
    ("iou (N, 5)", lambda: mask.iou(np.ones((2, 5)), np.ones((1, 4)), [0]), ValueError, "(N, 4)"),
    ("iou crowd too short", lambda: mask.iou([R44], [R44, R44], [0]), ValueError, "iscrowd has 1 entries"),
    ("iou crowd None", lambda: mask.iou([R44], [R44], None), TypeError, "iscrowd"),
    ("iou crowd scalar", lambda: mask.iou([R44], [R44], 0), ValueError, "1-D"),
    ("iou bad counts", lambda: mask.iou([R44], [{"size": [4, 4], "counts": "~"}], [0]), ValueError, "gt[0]"),
    # frPyObjects
    ("negative h", lambda: mask.frPyObjects([POLY], -5, 5), ValueError, "h = -5"),
    ("negative w", lambda: mask.frPyObjects(np.ones((1, 4)), 5, -1), ValueError, "w = -1"),
    ("fractional h", lambda: mask.frPyObjects([POLY], 5.5, 5), ValueError, "whole number"),
    ("string h", lambda: mask.frPyObjects([POLY], "5", 5), TypeError, "integer"),
    ("huge image", lambda: mask.frPyObjects([POLY], 100000, 100000), ValueError, "more than 4294967295 pixels"),
    ("NaN coordinate", lambda: mask.frPyObjects([[0, 0, float("nan"), 0, 3, 3]], 5, 5), ValueError,
     "polygons[0][2] = NaN is not finite"),
    ("inf in a later polygon", lambda: mask.frPyObjects([POLY, [0, 0, 1, float("inf"), 3, 3]], 5, 5), ValueError,
     "polygons[1][3] = inf"),
    ("far coordinate", lambda: mask.frPyObjects([[0, 0, 1e12, 0, 3, 3]], 5, 5), ValueError, "±1e8"),
    ("NaN box", lambda: mask.frPyObjects(np.array([[0, 0, np.nan, 1.0]]), 5, 5), ValueError, "boxes[0]: bbox[2]"),
    ("(N, 5) array", lambda: mask.frPyObjects(np.ones((2, 5)), 5, 5), ValueError, "(N, 4)"),
    ("1-D array", lambda: mask.frPyObjects(np.ones(4), 5, 5), ValueError, "(N, 4)"),
    ("ragged boxes", lambda: mask.frPyObjects([[0, 0, 1, 1], [0, 0, 1]], 5, 5), ValueError, "(N, 4)"),
    ("nested polygon", lambda: mask.frPyObjects([[[0, 0], [3, 0], [3, 3]]], 5, 5), ValueError,
     "pyobj[0] has 3 items"),
    ("nested long polygon", lambda: mask.frPyObjects([[[0, 0], [3, 0], [3, 3], [1, 4], [0, 2]]], 5, 5), ValueError,
     "flat polygon"),
    ("3 numbers", lambda: mask.frPyObjects([0, 0, 1], 5, 5), ValueError, "neither a box"),
    ("first polygon too short", lambda: mask.frPyObjects([[0, 0, 1]], 5, 5), ValueError, "pyobj[0] has 3 items"),
    ("a string", lambda: mask.frPyObjects("polygon", 5, 5), TypeError, "got str"),
    ("strings in a polygon", lambda: mask.frPyObjects([POLY, ["a"] * 6], 5, 5), TypeError, "pyobj[1]"),
    ("compressed dict", lambda: mask.frPyObjects(R44, 4, 4), ValueError, "already compressed"),
    ("counts of the wrong sum", lambda: mask.frPyObjects({"size": [2, 2], "counts": [1, 2]}, 2, 2), ValueError,
     "pyobj: RLE counts sum to 3"),
    ("negative counts", lambda: mask.frPyObjects({"size": [2, 2], "counts": [-1, 5]}, 2, 2), ValueError,
     "0..=4294967295"),
    ("fractional counts", lambda: mask.frPyObjects({"size": [2, 2], "counts": [1.5, 2.5]}, 2, 2), ValueError,
     "whole numbers"),
    ("bad size in a list", lambda: mask.frPyObjects([{"size": [2, 2], "counts": [4]}, {"size": [2], "counts": [4]}],
                                                    2, 2), ValueError, "pyobj[1]['size']"),
    ("dict without counts", lambda: mask.frPyObjects([{"size": [2, 2], "counts": [4]}, {"size": [2, 2]}], 2, 2),
     TypeError, "pyobj[1] must be an RLE dict"),
]


@pytest.mark.parametrize("label, call, exc, fragment", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_error(label, call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value), str(info.value)
