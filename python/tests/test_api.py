"""Input handling: dtypes, layouts, immutability, and clear errors for bad input."""

import threading

import numpy as np
import pytest

import softkit

BOXES = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60], [2, 1, 12, 11]], dtype=np.float32)
SCORES = np.array([0.9, 0.8, 0.7, 0.95], dtype=np.float32)


def test_dtypes_and_layouts_agree():
    expected = softkit.soft_nms(BOXES, SCORES)
    variants = [
        (BOXES.astype(np.float64), SCORES.astype(np.float64)),
        (np.asfortranarray(BOXES), SCORES),
        (np.ascontiguousarray(np.concatenate([BOXES, BOXES], 1)[:, :4]), SCORES),
        (np.concatenate([BOXES, BOXES], 1)[:, :4], np.repeat(SCORES, 2)[::2]),  # strided views
        (BOXES.tolist(), SCORES.tolist()),
        (BOXES.astype(np.int32), SCORES),
    ]
    for boxes, scores in variants:
        idx, decayed = softkit.soft_nms(boxes, scores)
        np.testing.assert_array_equal(idx, expected[0])
        np.testing.assert_allclose(decayed, expected[1], rtol=1e-7)


def test_inputs_are_not_modified():
    boxes, scores, labels = BOXES.copy(), SCORES.copy(), np.array([0, 0, 1, 0])
    softkit.soft_nms(boxes, scores, labels=labels)
    softkit.batched_nms(boxes, scores, labels, 0.5)
    np.testing.assert_array_equal(boxes, BOXES)
    np.testing.assert_array_equal(scores, SCORES)
    np.testing.assert_array_equal(labels, [0, 0, 1, 0])


def test_output_types():
    keep = softkit.nms(BOXES, SCORES, 0.5)
    assert keep.dtype == np.int64 and keep.tolist() == [3, 2]
    idx, decayed = softkit.soft_nms(BOXES, SCORES, method="linear")
    assert idx.dtype == np.int64 and decayed.dtype == np.float64
    assert (decayed <= SCORES[idx] + 1e-7).all()


def test_empty_input_gives_empty_result():
    assert softkit.nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)
    idx, decayed = softkit.soft_nms([], [])
    assert idx.shape == (0,) and decayed.shape == (0,)
    assert softkit.box_iou(np.zeros((0, 4)), BOXES).shape == (0, 4)


def test_max_output_is_a_prefix():
    idx, decayed = softkit.soft_nms(BOXES, SCORES)
    top_idx, top_scores = softkit.soft_nms(BOXES, SCORES, max_output=2)
    np.testing.assert_array_equal(top_idx, idx[:2])
    np.testing.assert_array_equal(top_scores, decayed[:2])


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: softkit.nms([[0, 0, np.nan, 1]], [1.0], 0.5), ValueError, "boxes[0].x2 = NaN is not finite"),
        (lambda: softkit.nms([[0, 0, 1, 1], [0, -np.inf, 1, 1]], [1.0, 2.0], 0.5), ValueError, "boxes[1].y1 = -inf is not finite"),
        (lambda: softkit.soft_nms([[5, 0, 4, 1]], [1.0]), ValueError, "boxes[0].x2 = 4 is less than x1 = 5"),
        (lambda: softkit.nms(BOXES, SCORES[:3], 0.5), ValueError, "scores has 3 entries but boxes has 4"),
        (lambda: softkit.soft_nms(BOXES, [0.1, np.nan, 0.2, 0.3]), ValueError, "scores[1] = NaN is not finite"),
        (lambda: softkit.batched_nms(BOXES, SCORES, [0, 1], 0.5), ValueError, "labels has 2 entries but boxes has 4"),
        (lambda: softkit.batched_nms(BOXES, SCORES, [0.5, 1, 2, 3], 0.5), TypeError, "labels must be an integer array, got dtype float64"),
        (lambda: softkit.soft_nms(BOXES, SCORES, image_ids=[1, 2]), ValueError, "image_ids has 2 entries but boxes has 4"),
        (lambda: softkit.soft_nms(BOXES, SCORES, image_ids=[1.5] * 4), TypeError, "image_ids must be an integer array"),
        (lambda: softkit.soft_nms(BOXES, SCORES, sigma=-0.5), ValueError, "sigma = -0.5 is invalid: a finite number > 0"),
        (lambda: softkit.soft_nms(BOXES, SCORES, sigma=0.0), ValueError, "sigma = 0 is invalid"),
        (lambda: softkit.nms(BOXES, SCORES, 1.5), ValueError, "iou_threshold = 1.5 is invalid: a number in [0, 1]"),
        (lambda: softkit.soft_nms(BOXES, SCORES, method="cubic"), ValueError, 'method = "cubic" is invalid'),
        (lambda: softkit.soft_nms(BOXES, SCORES, max_output=-1), ValueError, "max_output = -1 is invalid"),
        (lambda: softkit.soft_nms(BOXES, SCORES, pixel_offset=-1), ValueError, "pixel_offset = -1 is invalid"),
        (lambda: softkit.nms(BOXES[:, :3], SCORES, 0.5), ValueError, "boxes must have shape (N, 4), got (4, 3)"),
        (lambda: softkit.nms(BOXES, SCORES[:, None], 0.5), ValueError, "scores must have shape (N,), got (4, 1)"),
        (lambda: softkit.nms(BOXES.astype(object), SCORES, 0.5), TypeError, "boxes must be a float32 or float64 array, got dtype object"),
        (lambda: softkit.nms(BOXES.astype(complex), SCORES, 0.5), TypeError, "got dtype complex128"),
        (lambda: softkit.nms(["a", "b", "c", "d"], SCORES, 0.5), TypeError, "got dtype <U1"),
        (lambda: softkit.box_convert(BOXES, "xyxy", "polar"), ValueError, 'unknown box format "polar"'),
        (lambda: softkit.box_convert([[0, 0, -1, 1]], "xywh", "xyxy"), ValueError, "boxes[0].w = -1 is negative"),
    ],
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_runs_in_threads():
    # The GIL is released during compute: threads must all finish with the same answer.
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (20000, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(8, 60, (20000, 2))], 1)
    scores = rng.random(20000)
    expected = softkit.soft_nms(boxes, scores)[0]
    results = [None] * 4

    def work(k):
        results[k] = softkit.soft_nms(boxes, scores)[0]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)
