"""Soft-NMS against OpenCV 5 `cv2.dnn.softNMSBoxes` on integer boxes (the cases OpenCV supports)."""

import cv2
import numpy as np
import pytest

import softkit

METHODS = {
    "gaussian": cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_GAUSSIAN,
    "linear": cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_LINEAR,
}


def integer_scene(seed, n, image, size_range=(8, 60), score_levels=None):
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, image, (n, 2))
    wh = rng.integers(size_range[0], size_range[1], (n, 2))
    if score_levels:
        scores = (rng.integers(1, score_levels + 1, n) / score_levels).astype(np.float32)
    else:
        scores = rng.random(n).astype(np.float32)
    return xy, wh, scores


def opencv_soft_nms(xy, wh, scores, method, sigma, nt, threshold, top_k=0):
    rects = [[int(x), int(y), int(w), int(h)] for (x, y), (w, h) in zip(xy, wh)]
    updated, indices = cv2.dnn.softNMSBoxes(rects, scores.tolist(), threshold, nt, top_k, sigma, METHODS[method])
    return np.asarray(indices, dtype=np.int64), np.asarray(updated, dtype=np.float64)


@pytest.mark.parametrize("method", ["gaussian", "linear"])
@pytest.mark.parametrize(
    "seed,n,image,sigma,nt,threshold",
    [
        (0, 200, 300, 0.5, 0.3, 0.001),
        (1, 2000, 1000, 0.5, 0.3, 0.001),
        (2, 1500, 400, 0.5, 0.3, 0.001),
        (3, 800, 300, 0.2, 0.5, 0.05),
        # Nt is not a ratio of small integers: integer boxes at IoU exactly Nt = 1/10 are decayed by OpenCV,
        # whose float32 IoU rounds 0.1 up, and not by the paper's exact `iou > Nt`.
        (4, 800, 300, 1.5, 0.137, 0.3),
    ],
)
def test_matches_opencv(method, seed, n, image, sigma, nt, threshold):
    xy, wh, scores = integer_scene(seed, n, image)
    expected_idx, expected_scores = opencv_soft_nms(xy, wh, scores, method, sigma, nt, threshold)
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
    idx, decayed = softkit.soft_nms(
        boxes, scores, method=method, sigma=sigma, iou_threshold=nt, score_threshold=threshold
    )
    assert len(idx) > n // 4, "the scene must keep a real number of boxes"
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(decayed, expected_scores, rtol=0, atol=1e-5)


@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_matches_opencv_with_ties_and_top_k(method):
    # Scores on a coarse grid create many exact ties, which both sides break by the lower index.
    xy, wh, scores = integer_scene(11, 600, 200, score_levels=8)
    expected_idx, expected_scores = opencv_soft_nms(xy, wh, scores, method, 0.5, 0.3, 0.001, top_k=50)
    boxes = np.concatenate([xy, xy + wh], axis=1)
    idx, decayed = softkit.soft_nms(boxes, scores, method=method, max_output=50)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(decayed, expected_scores, rtol=0, atol=1e-5)


def test_matches_opencv_on_duplicates():
    # Identical boxes: linear weight 1 - IoU is exactly 0, so every copy but one is dropped.
    xy = np.array([[10, 10]] * 5 + [[100, 100]])
    wh = np.array([[20, 20]] * 6)
    scores = np.array([0.5, 0.9, 0.7, 0.9, 0.1, 0.3], dtype=np.float32)
    for method in METHODS:
        expected_idx, expected_scores = opencv_soft_nms(xy, wh, scores, method, 0.5, 0.3, 0.001)
        idx, decayed = softkit.soft_nms(np.concatenate([xy, xy + wh], 1), scores, method=method)
        np.testing.assert_array_equal(idx, expected_idx)
        np.testing.assert_allclose(decayed, expected_scores, rtol=0, atol=1e-5)
