"""The Python surface's bad-input matrix: one row per hostile input, with the exception it must
raise and the words its message must hold. No row may crash the interpreter, leak a Rust panic
(``PanicException``), change the caller's arrays, or return a silently wrong number."""

import json
import warnings

import numpy as np
import pytest

import softkit
from softkit import decode, ghost, track

BOXES = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=np.float64)
SCORES = np.array([0.9, 0.8, 0.7])
GT = {
    "images": [{"id": 1}, {"id": 2}],
    "categories": [{"id": 1}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100.0, "iscrowd": 0, "bbox": [0, 0, 10, 10]}],
}
DT = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]


def with_annotation(**fields):
    gt = json.loads(json.dumps(GT))
    gt["annotations"][0].update(fields)
    return gt


def without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


def result(**fields):
    return [dict(DT[0], **fields)]


CASES = [
    # Arrays: shapes, dtypes and values.
    ("ragged boxes", lambda: softkit.nms([[0, 0, 1, 1], [0, 0, 1]], [0.5, 0.4], 0.5), ValueError,
     ["boxes cannot be read as an array"]),
    ("boxes of width 3", lambda: softkit.nms(np.zeros((2, 3)), np.zeros(2), 0.5), ValueError,
     ["boxes must have shape (N, 4), got (2, 3)"]),
    ("string boxes", lambda: softkit.nms([["a", "b", "c", "d"]], [0.5], 0.5), TypeError,
     ["boxes must be a float32 or float64 array"]),
    ("complex scores", lambda: softkit.nms(BOXES, SCORES.astype(complex), 0.5), TypeError,
     ["scores must be a float32 or float64 array, got dtype complex128"]),
    ("scores shorter than boxes", lambda: softkit.nms(BOXES, SCORES[:2], 0.5), ValueError,
     ["scores has 2 entries but boxes has 3"]),
    ("NaN coordinate", lambda: softkit.nms(np.array([[0, np.nan, 1, 1.0]]), [0.5], 0.5), ValueError,
     ["boxes[0].y1 = NaN is not finite"]),
    ("infinite score", lambda: softkit.soft_nms(BOXES, [0.5, np.inf, 0.1]), ValueError,
     ["scores[1] = inf is not finite"]),
    ("x2 < x1", lambda: softkit.nms(np.array([[5, 0, 1, 1.0]]), [0.5], 0.5), ValueError,
     ["boxes[0].x2 = 1 is less than x1 = 5"]),
    ("coordinate beyond 1e150", lambda: softkit.nms(np.array([[0, 0, 1e200, 1.0]]), [0.5], 0.5), ValueError,
     ["boxes[0].x2 = 1e200 is invalid", "rescale the coordinates"]),
    ("box area underflows", lambda: softkit.box_iou(np.array([[0, 0, 1e-170, 1e-170]]), BOXES), ValueError,
     ["boxes1: boxes[0].width = 1e-170 is invalid", "rescale"]),
    ("rotated box beyond 1e150",
     lambda: softkit.nms(np.array([[1e160, 0, 2, 1, 0.0]]), [0.5], 0.5, geometry="rotated"), ValueError,
     ["rboxes[0].cx = 1e160 is invalid", "rescale"]),
    ("polygon vertex beyond 1e150",
     lambda: softkit.box_iou(np.array([[[0, 0], [1e200, 0], [0, 1.0]]]), np.array([[[0, 0], [1, 0], [0, 1.0]]]),
                             geometry="polygon"), ValueError, ["vertex 1: x = 1e200 is invalid"]),
    ("3-D box beyond 1e100",
     lambda: softkit.nms(np.array([[0, 0, 1e120, 1, 1, 1, 0.0]]), [0.5], 0.5, geometry="box3d"), ValueError,
     ["boxes3d[0].z = 1e120 is invalid", "volumes overflow"]),
    ("segment longer than 8.9e307",
     lambda: softkit.nms(np.array([[-1e308, 1e308]]), [0.5], 0.5, geometry="segment"), ValueError,
     ["segments[0].end = 1e308 is invalid"]),
    ("labels of the wrong length", lambda: softkit.batched_nms(BOXES, SCORES, [0, 1], 0.5), ValueError,
     ["labels has 2 entries but boxes has 3"]),
    ("float labels", lambda: softkit.batched_nms(BOXES, SCORES, [0.5, 1, 2], 0.5), TypeError,
     ["labels must be an integer array"]),
    ("ragged labels", lambda: softkit.batched_nms(BOXES, SCORES, [[0], [1, 2], 3], 0.5), ValueError,
     ["labels cannot be read as an array"]),
    # Keywords.
    ("iou_threshold=None", lambda: softkit.nms(BOXES, SCORES, None), TypeError,
     ["iou_threshold must be a real number, got NoneType"]),
    ("iou_threshold as text", lambda: softkit.soft_nms(BOXES, SCORES, iou_threshold="0.5"), TypeError,
     ["iou_threshold must be a real number, got str"]),
    ("iou_threshold = 7", lambda: softkit.nms(BOXES, SCORES, 7.0), ValueError,
     ["iou_threshold = 7 is invalid"]),
    ("sigma = 0", lambda: softkit.soft_nms(BOXES, SCORES, sigma=0.0), ValueError, ["sigma = 0 is invalid"]),
    ("NaN score_threshold", lambda: softkit.soft_nms(BOXES, SCORES, score_threshold=float("nan")), ValueError,
     ["score_threshold = NaN is invalid"]),
    ("max_output = 2**70", lambda: softkit.soft_nms(BOXES, SCORES, max_output=2**70), ValueError,
     ["max_output = 1180591620717411303424 is invalid"]),
    ("max_output = -1", lambda: softkit.soft_nms(BOXES, SCORES, max_output=-1), ValueError,
     ["max_output = -1 is invalid"]),
    ("max_output = 2.5", lambda: softkit.soft_nms(BOXES, SCORES, max_output=2.5), TypeError,
     ["max_output = 2.5 is invalid: expected an integer"]),
    ("unknown method", lambda: softkit.soft_nms(BOXES, SCORES, method="cubic"), ValueError,
     ['method = "cubic" is invalid']),
    ("unknown geometry", lambda: softkit.nms(BOXES, SCORES, 0.5, geometry="sphere"), ValueError,
     ["geometry = 'sphere' is invalid"]),
    ("unknown measure", lambda: softkit.soft_nms(BOXES, SCORES, measure="dice"), ValueError, ["dice"]),
    ("pixel_offset on rotated boxes",
     lambda: softkit.soft_nms(np.array([[5, 5, 2, 1, 0.0]]), [0.5], geometry="rotated", pixel_offset=1.0),
     ValueError, ["pixel_offset = 1.0 is only defined for geometry='box'"]),
    ("unknown box format", lambda: softkit.box_convert(BOXES, "xyxy", "yxyx"), ValueError, ["yxyx"]),
    # COCO documents, as files' contents and as loaded objects.
    ("gt of the wrong type", lambda: softkit.coco_eval(42, DT), TypeError,
     ["gt must be a file path or a dict, got int"]),
    ("missing file", lambda: softkit.coco_eval("/nonexistent/instances.json", DT), ValueError,
     ["cannot read /nonexistent/instances.json"]),
    ("missing field in a dict, named by path without a line",
     lambda: softkit.coco_eval({**GT, "annotations": [without(GT["annotations"][0], "area")]}, DT), ValueError,
     ["gt is not in the COCO format: annotations[0]: missing field `area`"]),
    ("no categories", lambda: softkit.coco_eval(without(GT, "categories"), DT), ValueError,
     ["the ground truth has no categories"]),
    ("NaN score in a results list", lambda: softkit.coco_eval(GT, result(score=float("nan"))), ValueError,
     ["malformed JSON in dt: results[0].score: NaN is not a JSON number"]),
    ("infinite bbox in a dict", lambda: softkit.coco_eval(with_annotation(bbox=[0, 0, float("inf"), 1]), DT),
     ValueError, ["gt: annotations[0].bbox[2]: Infinity is not a JSON number"]),
    ("string id", lambda: softkit.coco_eval(GT, result(image_id="1")), ValueError,
     ["dt is not in the COCO format: results[0].image_id: invalid type: string \"1\", expected an integer id"]),
    ("fractional id", lambda: softkit.coco_eval(GT, result(image_id=1.5)), ValueError,
     ["results[0].image_id", "1.5", "must be integral"]),
    ("unknown image id", lambda: softkit.coco_eval(GT, result(image_id=99)), ValueError,
     ["results[0].image_id = 99 is not an image of the ground truth"]),
    ("bbox of 3 numbers", lambda: softkit.coco_eval(GT, result(bbox=[0, 0, 1])), ValueError,
     ["results[0].bbox has 3 numbers"]),
    ("unknown iou_type", lambda: softkit.coco_eval(GT, DT, iou_type="cube"), ValueError, ['iou_type = "cube"']),
    ("iou_thrs out of range", lambda: softkit.coco_eval(GT, DT, iou_thrs=[0.5, 2.0]), ValueError, ["iou_thrs"]),
    ("ragged area_rng", lambda: softkit.coco_eval(GT, DT, area_rng=[[0, 1], [0]]), ValueError,
     ["area_rng[1] = [0] is invalid"]),
    ("max_dets as floats", lambda: softkit.coco_eval(GT, DT, max_dets=[1.5]), ValueError,
     ["max_dets must be a 1-D sequence of integers"]),
    ("VOC iou_threshold=None", lambda: softkit.voc_eval(GT, DT, "bbox", iou_threshold=None), TypeError,
     ["iou_threshold must be a real number"]),
    ("ActivityNet rows of the wrong width", lambda: softkit.activitynet_eval([[1, 0, 0, 1, 5]], [[1, 0, 0, 1]]),
     ValueError, ["ground_truth must have shape (N, 4), got (1, 5)"]),
    ("ActivityNet ragged thresholds",
     lambda: softkit.activitynet_eval([[1, 0, 0, 1]], [[1, 0, 0, 1, 0.5]], thresholds=[[0.5], 0.6]), ValueError,
     ["thresholds cannot be read as an array"]),
    ("R40 string rows", lambda: softkit.r40_eval([["a"] * 9], [[0] * 10]), TypeError,
     ["ground_truth must be a table of numbers"]),
    # Ghost radius and tracking.
    ("ghost: a of one dimension", lambda: ghost.rho_a(np.zeros(3)), ValueError, ["a must have shape (B, K)"]),
    ("ghost: temperature None", lambda: ghost.rho_a(np.zeros((1, 3)), temperature=None), TypeError,
     ["temperature must be a real number, got NoneType"]),
    ("ghost: ragged a", lambda: ghost.delta_a([[0.0, 1.0], [2.0]]), ValueError, ["a cannot be read as an array"]),
    ("tracker: max_age None", lambda: track.ByteTracker(max_age=None), TypeError,
     ["max_age = None is invalid: expected an integer"]),
    ("tracker: min_hits 2**70", lambda: track.ByteTracker(min_hits=2**70), ValueError,
     ["min_hits = 1180591620717411303424 is invalid"]),
    ("tracker: frame as text", lambda: track.ByteTracker().update(BOXES, SCORES, frame="3"), TypeError,
     ["frame = '3' is invalid: expected an integer"]),
    ("MOT metrics: max_distance as text", lambda: track.mot_metrics([[1, 1, 0, 0, 1, 1]], [[1, 1, 0, 0, 1, 1]],
                                                                   max_distance="x"), TypeError,
     ["max_distance must be a real number, got str"]),
    # Box fusion (ensemble-boxes' signatures): refused where ensemble-boxes repairs silently.
    ("fusion: coordinate outside [0, 1]", lambda: softkit.weighted_boxes_fusion([[[0.1, 0.1, 1.5, 0.5]]], [[0.9]], [[0]]),
     ValueError, ["boxes_list[0][0] x2 = 1.5 is outside [0, 1]"]),
    ("fusion: weights of the wrong length",
     lambda: softkit.weighted_boxes_fusion([[[0.1, 0.1, 0.5, 0.5]]] * 2, [[0.9]] * 2, [[0]] * 2, weights=[1]),
     ValueError, ["weights has 1 entries but there are 2 models"]),
    ("fusion: NaN score", lambda: softkit.non_maximum_weighted([[[0.1, 0.1, 0.5, 0.5]]], [[np.nan]], [[0]]),
     ValueError, ["scores_list[0][0] = NaN is invalid"]),
    ("fusion: unknown conf_type",
     lambda: softkit.weighted_boxes_fusion([[[0.1, 0.1, 0.5, 0.5]]], [[0.9]], [[0]], conf_type="mean"),
     ValueError, ["conf_type = 'mean' is invalid"]),
    # The parallel and voting members of the family.
    ("matrix_nms: NaN coordinate", lambda: softkit.matrix_nms(np.array([[0, 0, np.nan, 1.0]]), [0.5]), ValueError,
     ["boxes[0].x2 = NaN is not finite"]),
    ("matrix_nms: unknown kernel", lambda: softkit.matrix_nms(BOXES, SCORES, kernel="cubic"), ValueError,
     ["kernel = 'cubic' is invalid", '"gaussian" or "linear"']),
    ("matrix_nms: sigma = 0", lambda: softkit.matrix_nms(BOXES, SCORES, sigma=0.0), ValueError,
     ["sigma = 0 is invalid", "> 0"]),
    ("cluster_nms: unknown variant", lambda: softkit.cluster_nms(BOXES, SCORES, variant="x"), ValueError,
     ["variant = 'x' is invalid", '"plain" or "spm"']),
    ("nms: eta = 1.5", lambda: softkit.nms(BOXES, SCORES, 0.5, eta=1.5), ValueError,
     ["eta = 1.5 is invalid", "(0, 1]"]),
    ("nms: eta = 0", lambda: softkit.nms(BOXES, SCORES, 0.5, eta=0.0), ValueError, ["eta = 0 is invalid", "(0, 1]"]),
    ("diou_nms: beta = 0", lambda: softkit.diou_nms(BOXES, SCORES, beta=0.0), ValueError,
     ["beta = 0 is invalid", "> 0"]),
    ("box_voting: keep out of range", lambda: softkit.box_voting(BOXES, SCORES, [3]), ValueError,
     ["keep[0] = 3 names no item", "there are 3"]),
    ("box_voting: negative keep", lambda: softkit.box_voting(BOXES, SCORES, [-1]), ValueError,
     ["keep[0] = -1 names no item", ">= 0"]),
    ("box_voting: scores shorter than boxes", lambda: softkit.box_voting(BOXES, SCORES[:2], [0]), ValueError,
     ["scores has 2 entries but boxes has 3"]),
    ("box_voting: negative score", lambda: softkit.box_voting(BOXES, [0.9, -0.1, 0.7], [0]), ValueError,
     ["scores[1] = -0.1 is negative", ">= 0"]),
    ("fusion: 3-D box of negative dx",
     lambda: softkit.weighted_boxes_fusion([[[0.5, 0.5, 0.5, -0.1, 0.2, 0.2, 0.0]]], [[0.9]], [[0]], geometry="box3d"),
     ValueError, ["boxes_list[0][0] dx = -0.1 is negative"]),
    # Detector heads (softkit.decode): shapes named, non-finite values located, images checked.
    ("decode: a YOLOX head for another input size", lambda: decode.yolox(np.zeros((1, 3549, 85), np.float32), (640, 640)),
     ValueError, ["output: shape [1, 3549, 85]", "8400"]),
    ("decode: NaN in a head", lambda: decode.yolov8(np.full((1, 84, 8400), np.nan, np.float32)), ValueError,
     ["output[0] = NaN is not finite"]),
    ("decode: a complex head", lambda: decode.end2end(np.zeros((1, 300, 6), complex)), TypeError,
     ["must be a real-valued array", "complex128"]),
    ("decode: an end-to-end class that is not a whole number",
     lambda: decode.end2end(np.array([[[0, 0, 1, 1, 0.9, -1.0]]], np.float32)), ValueError, ["row 0", "class = -1"]),
    ("decode: DETR boxes for other queries", lambda: decode.detr(np.zeros((1, 5, 3), np.float32), np.zeros((1, 4, 4), np.float32)),
     ValueError, ["boxes", "(1, 5, 4)"]),
    ("decode: a float image to letterbox", lambda: decode.letterbox_image(np.zeros((8, 8, 3))), ValueError,
     ["8-bit RGB", "float64"]),
    ("decode: an empty image to letterbox", lambda: decode.letterbox_image(np.zeros((0, 8, 3), np.uint8)), ValueError,
     ["size = 8x0"]),
    ("decode: a huge model input", lambda: decode.letterbox_image(np.zeros((8, 8, 3), np.uint8), (100000, 100000)),
     ValueError, ["input size = 100000x100000", "at most 16384"]),
    ("decode: a zero pixel divisor", lambda: decode.letterbox_image(np.zeros((8, 8, 3), np.uint8), pixel_divisor=0),
     ValueError, ["pixel_divisor = 0"]),
    # Tensors: torch is the test environment's reference (imported by these rows only).
    ("ops: a tensor on another device (CUDA's stand-in)",
     lambda: softkit.ops.nms(_torch().empty(2, 4, device="meta"), _torch().rand(2), 0.5),
     ValueError, ["boxes is a torch tensor on meta", "pass boxes.cpu()"]),
    ("ops: a scores tensor on another device",
     lambda: softkit.ops.batched_nms(_torch().rand(2, 4), _torch().empty(2, device="meta"), _torch().zeros(2), 0.5),
     ValueError, ["scores is a torch tensor on meta", "scores.cpu()"]),
    ("ops: NaN in a tensor",
     lambda: softkit.ops.box_iou(_torch().tensor([[0.0, 0, float("nan"), 1]]), _torch().tensor([[0.0, 0, 1, 1]])),
     ValueError, ["boxes1", "boxes[0].x2 = NaN is not finite"]),
    ("ops: tensors of different lengths",
     lambda: softkit.ops.nms(_torch().tensor([[0.0, 0, 1, 1]] * 3), _torch().rand(2), 0.5),
     ValueError, ["scores has 2 entries but boxes has 3"]),
    ("ops: remove_small_boxes of the wrong shape", lambda: softkit.ops.remove_small_boxes(_torch().rand(3, 5), 1.0),
     ValueError, ["boxes must have shape (N, 4)", "(3, 5)"]),
    ("ops: clip_boxes_to_image with a bad size", lambda: softkit.ops.clip_boxes_to_image(np.zeros((1, 4)), ("a", 3)),
     TypeError, ["size[0] must be a real number"]),
]


def _torch():
    import torch

    return torch


@pytest.mark.parametrize("name, call, error, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert type(info.value).__name__ != "PanicException", message
    for word in words:
        assert word in message, f"{name}: {word!r} not in {message!r}"
    assert "Raw" not in message and "struct " not in message, message


def test_the_matrix_is_large():
    # The note reports this count.
    assert len(CASES) >= 50


def test_big_endian_arrays_are_read_not_refused():
    expected = softkit.soft_nms(BOXES, SCORES)
    boxes, scores = BOXES.astype(">f8"), SCORES.astype(">f4")
    got = softkit.soft_nms(boxes, scores)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)
    assert boxes.dtype == np.dtype(">f8"), "the caller's array is not changed"
    labels = np.array([0, 1, 0], dtype=">i8")
    np.testing.assert_array_equal(softkit.batched_nms(boxes, scores, labels, 0.5), softkit.batched_nms(BOXES, SCORES, [0, 1, 0], 0.5))


def test_integral_float_ids_are_read_and_warned_about():
    gt = json.loads(json.dumps(GT))
    gt["images"][0]["id"] = 1.0
    with pytest.warns(UserWarning, match=r"gt: 1 id was written as a float and read as an integer: images\[0\].id = 1.0 is 1"):
        stats = softkit.coco_eval(gt, DT)["stats"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert softkit.coco_eval(GT, DT)["stats"] == stats


def test_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "gt.json"
    path.write_text("\ufeff" + json.dumps(GT), encoding="utf-8")
    assert softkit.coco_eval(str(path), DT)["stats"][0] == softkit.coco_eval(GT, DT)["stats"][0]


def test_a_file_is_located_by_path_and_line(tmp_path):
    path = tmp_path / "gt.json"
    gt = {**GT, "annotations": [without(GT["annotations"][0], "iscrowd")]}
    path.write_text(json.dumps(gt, indent=1))
    with pytest.raises(ValueError, match=r"annotations\[0\]: missing field `iscrowd` at line \d+ column \d+"):
        softkit.coco_eval(str(path), DT)
