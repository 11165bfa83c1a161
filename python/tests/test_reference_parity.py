"""softkit against the plain paper reference (reference.py) on float boxes."""

import numpy as np
import pytest

import reference
import softkit


def float_scene(seed, n, image, lo=8.0, hi=60.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, image, (n, 2))
    wh = rng.uniform(lo, hi, (n, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1).astype(dtype)
    return boxes, rng.random(n).astype(dtype)


def assert_same(result, expected):
    idx, scores = result
    assert idx.dtype == np.int64 and scores.dtype == np.float64
    assert idx.tolist() == [i for i, _ in expected]
    np.testing.assert_allclose(scores, [s for _, s in expected], rtol=1e-12, atol=0)


@pytest.mark.parametrize("method", ["gaussian", "linear", "hard"])
@pytest.mark.parametrize(
    "seed,n,image,sigma,nt,threshold,max_output,offset",
    [
        (0, 300, 300.0, 0.5, 0.3, 0.001, None, 0.0),
        (1, 400, 2000.0, 0.5, 0.3, 0.001, None, 0.0),
        (2, 300, 200.0, 0.1, 0.5, 0.01, None, 0.0),
        (3, 300, 200.0, 2.0, 0.7, 0.2, 25, 0.0),
        (4, 250, 250.0, 0.5, 0.3, 0.001, None, 1.0),
    ],
)
def test_soft_nms_matches_reference(method, seed, n, image, sigma, nt, threshold, max_output, offset):
    boxes, scores = float_scene(seed, n, image)
    expected = reference.soft_nms(boxes, scores, method, sigma, nt, threshold, max_output, offset)
    result = softkit.soft_nms(
        boxes,
        scores,
        method=method,
        sigma=sigma,
        iou_threshold=nt,
        score_threshold=threshold,
        max_output=max_output,
        pixel_offset=offset,
    )
    assert_same(result, expected)


def test_float32_inputs_are_widened_exactly():
    boxes, scores = float_scene(5, 300, 300.0, dtype=np.float32)
    expected = reference.soft_nms(boxes.astype(np.float64), scores.astype(np.float64))
    assert_same(softkit.soft_nms(boxes, scores), expected)


@pytest.mark.parametrize("method", ["gaussian", "linear"])
def test_class_wise_soft_nms_matches_reference(method):
    boxes, scores = float_scene(6, 400, 300.0)
    labels = np.random.default_rng(6).integers(0, 7, 400)

    def run(members):
        return [(members[i], s) for i, s in reference.soft_nms(boxes[members], scores[members], method)]

    assert_same(softkit.soft_nms(boxes, scores, method=method, labels=labels), reference.per_label(labels, run))


@pytest.mark.parametrize("method", ["gaussian", "hard"])
def test_per_image_soft_nms_matches_reference(method):
    """Images and labels never interact; images come in ascending id, each capped at max_output."""
    boxes, scores = float_scene(9, 600, 300.0)
    rng = np.random.default_rng(9)
    images, labels = rng.choice([42, 7, 19, 3], 600), rng.integers(0, 5, 600)
    expected = []
    for image in sorted(set(images.tolist())):
        in_image = np.flatnonzero(images == image)

        def run(members, in_image=in_image):
            rows = in_image[members]
            return [(rows[i], s) for i, s in reference.soft_nms(boxes[rows], scores[rows], method, nt=0.5)]

        expected.extend(reference.per_label(labels[in_image], run)[:40])
    result = softkit.soft_nms(
        boxes, scores, method=method, iou_threshold=0.5, labels=labels, image_ids=images, max_output=40
    )
    assert_same(result, expected)


@pytest.mark.parametrize("iou_threshold", [0.0, 0.3, 0.5, 0.7, 1.0])
def test_nms_matches_reference(iou_threshold):
    boxes, scores = float_scene(7, 400, 300.0)
    assert softkit.nms(boxes, scores, iou_threshold).tolist() == reference.nms(boxes, scores, iou_threshold)


def test_batched_nms_matches_reference():
    boxes, scores = float_scene(8, 500, 300.0)
    labels = np.random.default_rng(8).integers(0, 80, 500)

    def run(members):
        return [(members[i], float(scores[members[i]])) for i in reference.nms(boxes[members], scores[members], 0.5)]

    expected = [i for i, _ in reference.per_label(labels, run)]
    assert softkit.batched_nms(boxes, scores, labels, 0.5).tolist() == expected


ADVERSARIAL = {
    "all scores tied": (
        np.array([[0, 0, 10, 10], [1, 1, 11, 11], [2, 2, 12, 12], [0, 0, 10, 10], [30, 30, 40, 40]], float),
        np.full(5, 0.5),
    ),
    "identical boxes": (np.tile([[5.0, 5.0, 15.0, 15.0]], (6, 1)), np.array([0.3, 0.9, 0.9, 0.1, 0.5, 0.9])),
    "zero-area boxes": (
        np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 5, 0], [0, 0, 5, 5], [2, 2, 2, 2]], float),
        np.array([0.9, 0.8, 0.7, 0.6, 0.5]),
    ),
    "nested boxes": (
        np.array([[0, 0, 100, 100], [10, 10, 90, 90], [20, 20, 80, 80], [30, 30, 70, 70], [45, 45, 55, 55]], float),
        np.array([0.5, 0.6, 0.7, 0.8, 0.9]),
    ),
    "touching edges": (
        np.array([[0, 0, 10, 10], [10, 0, 20, 10], [0, 10, 10, 20], [10, 10, 20, 20]], float),
        np.array([0.9, 0.8, 0.7, 0.6]),
    ),
    "huge offsets": (
        np.array([[1e6, 1e6, 1e6 + 10, 1e6 + 10], [1e6 + 3, 1e6, 1e6 + 13, 1e6 + 10], [1e6 + 50, 1e6, 1e6 + 60, 1e6 + 9]]),
        np.array([0.9, 0.85, 0.8]),
    ),
}


@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
@pytest.mark.parametrize("method", ["gaussian", "linear", "hard"])
def test_adversarial_cases(case, method):
    boxes, scores = ADVERSARIAL[case]
    for offset in (0.0, 1.0):
        expected = reference.soft_nms(boxes, scores, method, offset=offset, nt=0.3)
        assert_same(softkit.soft_nms(boxes, scores, method=method, pixel_offset=offset), expected)
    assert softkit.nms(boxes, scores, 0.5).tolist() == reference.nms(boxes, scores, 0.5)


def test_box_iou_matches_reference():
    a, _ = float_scene(9, 40, 100.0)
    b, _ = float_scene(10, 30, 100.0)
    expected = np.array([[reference.iou(x, y) for y in b] for x in a])
    got = softkit.box_iou(a, b)
    assert got.shape == (40, 30) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    assert (softkit.generalized_box_iou(a, b) <= got + 1e-15).all()
    assert (softkit.distance_box_iou(a, b) <= got + 1e-15).all()
