"""Masks and poses in suppression: mask IoU against pycocotools' maskUtils.iou, OKS against a plain
transcription of mmpose's oks_iou (geom3_reference.oks_pair), and every policy against the paper's
greedy loop (reference.greedy) on those measures."""

import re

import numpy as np
import pytest
from pycocotools import mask as mask_utils

import geom3_reference as g3
import softkit
from reference import greedy


def random_masks(seed, n=40, h=60, w=80):
    rng = np.random.default_rng(seed)
    masks = np.zeros((n, h, w), np.uint8)
    for i in range(n):
        y, x = rng.integers(0, h - 10), rng.integers(0, w - 10)
        masks[i, y : y + rng.integers(3, 25), x : x + rng.integers(3, 25)] = 1
        masks[i] &= rng.random((h, w)) < 0.9  # ragged, not boxes
    masks[n // 2] = masks[0]  # an exact duplicate
    return masks


def rles(masks):
    return mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0)))


@pytest.mark.parametrize("seed", [0, 1])
def test_mask_iou_equals_pycocotools(seed):
    m = random_masks(seed)
    want = mask_utils.iou(rles(m), rles(m), [0] * len(m))
    np.testing.assert_array_equal(softkit.box_iou(m, m, geometry="mask"), want)
    np.testing.assert_array_equal(softkit.box_iou(rles(m), rles(m), geometry="mask"), want)
    # Uncompressed counts (runs) read the same.
    runs = []
    for mask in m:
        flat = mask.ravel(order="F")
        edges = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])) != 0)
        counts = np.diff(np.concatenate([[0], edges])).tolist()
        runs.append({"size": list(mask.shape), "counts": counts})
    np.testing.assert_array_equal(softkit.box_iou(runs, runs, geometry="mask"), want)


@pytest.mark.parametrize("method", ["hard", "linear", "gaussian"])
def test_mask_policies_match_the_reference(method):
    m = random_masks(3)
    scores = np.random.default_rng(3).random(len(m))
    iou = mask_utils.iou(rles(m), rles(m), [0] * len(m))
    want = greedy(list(range(len(m))), scores, method, lambda i, j: iou[i, j], nt=0.3)
    keep, decayed = softkit.soft_nms(m, scores, method=method, iou_threshold=0.3, geometry="mask")
    assert keep.tolist() == [i for i, _ in want]
    np.testing.assert_allclose(decayed, [s for _, s in want], rtol=0, atol=1e-12)


@pytest.mark.parametrize("vis", [None, 0.3])
@pytest.mark.parametrize("method", ["hard", "linear", "gaussian"])
def test_oks_policies_match_the_reference(method, vis):
    rng = np.random.default_rng(7)
    kpts, areas = g3.random_poses(rng, 150)
    scores = rng.random(150)
    oks = lambda i, j: g3.oks_pair(kpts[i], kpts[j], areas[i], areas[j], None, vis)  # noqa: E731
    want = greedy(list(range(150)), scores, method, oks, nt=0.5)
    keep, decayed = softkit.soft_nms(
        kpts, scores, method=method, iou_threshold=0.5, geometry="keypoints", areas=areas, visibility_threshold=vis
    )
    assert keep.tolist() == [i for i, _ in want]
    np.testing.assert_allclose(decayed, [s for _, s in want], rtol=0, atol=1e-12)
    hard = greedy(list(range(150)), scores, "hard", oks, nt=0.9, threshold=-np.inf)
    got = softkit.nms(kpts, scores, 0.9, geometry="keypoints", areas=areas, visibility_threshold=vis)
    assert got.tolist() == [i for i, _ in hard]


def test_oks_with_user_sigmas():
    rng = np.random.default_rng(11)
    kpts, areas = g3.random_poses(rng, 60, k=5)
    sigmas = [0.05, 0.06, 0.07, 0.08, 0.09]
    scores = rng.random(60)
    oks = lambda i, j: g3.oks_pair(kpts[i], kpts[j], areas[i], areas[j], sigmas)  # noqa: E731
    want = greedy(list(range(60)), scores, "gaussian", oks)
    keep, _ = softkit.soft_nms(kpts, scores, geometry="keypoints", areas=areas, sigmas=sigmas)
    assert keep.tolist() == [i for i, _ in want]


BAD = [
    ("masks of different sizes", "masks[1]: the mask is 5 x 4 but masks[0] is 4 x 4",
     lambda: softkit.nms([{"size": [4, 4], "counts": [16]}, {"size": [5, 4], "counts": [20]}], [0.5, 0.4], 0.5, geometry="mask")),
    ("mask counts that do not cover the mask", "masks[0]:",
     lambda: softkit.nms([{"size": [4, 4], "counts": [3]}], [0.5], 0.5, geometry="mask")),
    ("a 2-D mask array", "masks must be an (N, H, W) array",
     lambda: softkit.nms(np.zeros((4, 4)), [0.5], 0.5, geometry="mask")),
    ("keypoints without areas", "areas is required for geometry='keypoints'",
     lambda: softkit.nms(np.zeros((2, 17, 3)), [0.5, 0.4], 0.5, geometry="keypoints")),
    ("the wrong K for the sigmas", "keypoints has 5 keypoints per pose but sigmas has 17",
     lambda: softkit.nms(np.zeros((2, 5, 3)), [0.5, 0.4], 0.5, geometry="keypoints", areas=[1.0, 1.0])),
    ("a negative area", "areas[1].area = -1 is invalid: a finite number >= 0",
     lambda: softkit.nms(np.zeros((2, 17, 3)), [0.5, 0.4], 0.5, geometry="keypoints", areas=[1.0, -1.0])),
    ("a NaN keypoint", "keypoints = NaN is not finite",
     lambda: softkit.nms(np.full((1, 17, 3), np.nan), [0.5], 0.5, geometry="keypoints", areas=[1.0])),
    ("an IoU measure for poses", 'measure = "iou" is invalid for geometry = "keypoints"',
     lambda: softkit.soft_nms(np.zeros((1, 17, 3)), [0.5], geometry="keypoints", areas=[1.0], measure="iou")),
    ("areas of the wrong length", "areas has 1 entries but keypoints has 2",
     lambda: softkit.nms(np.zeros((2, 17, 3)), [0.5, 0.4], 0.5, geometry="keypoints", areas=[1.0])),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_names_the_item(case):
    _, message, call = case
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
