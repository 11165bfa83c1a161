"""Box fusion against the live reference, ensemble-boxes 1.0.9: ``weighted_boxes_fusion`` for every
``conf_type``, with and without weights and overflow, and ``non_maximum_weighted``, on seeded
inputs from one to five models, with ties; then the input ensemble-boxes repairs silently, which
softkit refuses by name."""

import warnings

import numpy as np
import pytest
from ensemble_boxes import non_maximum_weighted as eb_nmw
from ensemble_boxes import weighted_boxes_fusion as eb_wbf

import softkit

CONF_TYPES = ["avg", "max", "box_and_model_avg", "absent_model_aware_avg"]


def scene(seed, models, objects=40, labels=4, noise=8, ties=False):
    """Per model: each object seen with probability 0.8, jittered, plus a few false alarms. With
    ``ties``, scores take 5 values and some boxes repeat exactly across models."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.02, 0.3, (objects, 2))
    corner = rng.uniform(0, 1 - size)
    truth = np.hstack([corner, corner + size])
    truth_labels = rng.integers(0, labels, objects)
    boxes, scores, label_list = [], [], []
    for _ in range(models):
        seen = rng.random(objects) < 0.8
        jitter = rng.normal(0, 0.08, (objects, 4)) * np.tile(size, 2)
        b = np.clip(truth + jitter, 0, 1)[seen]
        lab = truth_labels[seen]
        false = rng.uniform(0, 0.8, (noise, 2))
        b = np.vstack([b, np.hstack([false, false + rng.uniform(0.02, 0.2, (noise, 2))])])
        lab = np.concatenate([lab, rng.integers(0, labels, noise)])
        b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 1e-3)
        s = rng.uniform(0.05, 1.0, len(b))
        if ties:
            s = rng.integers(1, 6, len(b)) / 5.0
            if boxes:
                k = min(5, len(b), len(boxes[0]))
                b[:k] = boxes[0][:k]
                lab[:k] = label_list[0][:k]
        order = rng.permutation(len(b))
        boxes.append(b[order])
        scores.append(s[order])
        label_list.append(lab[order])
    return boxes, scores, label_list


def canonical(result):
    """Rows sorted by label, then coordinates: an order both implementations share."""
    boxes, scores, labels = (np.asarray(x, dtype=np.float64) for x in result)
    order = np.lexsort((boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0], labels))
    return boxes[order], scores[order], labels[order]


def assert_same(ours, theirs, atol=1e-6):
    ob, os_, ol = canonical(ours)
    tb, ts, tl = canonical(theirs)
    assert ob.shape == tb.shape, (ob.shape, tb.shape)
    np.testing.assert_array_equal(ol, tl)
    np.testing.assert_allclose(ob, tb, rtol=0, atol=atol)
    np.testing.assert_allclose(os_, ts, rtol=0, atol=atol)
    # softkit's own order: non-increasing score.
    assert np.all(np.diff(ours[1]) <= 0)


def in_input_order(scores, weights=None):
    """The scores with ties broken as softkit breaks them, by input position (model, then index):
    each later entry's weighted score lowered by 1e-10 more. ensemble-boxes sorts with numpy's
    unstable argsort, whose order among equal scores depends on the CPU's sort kernel (with
    AVX-512, five equal scores came out as 9, 5, 8, 6, 7), so only tie-free scores compare."""
    weights = [1.0] * len(scores) if weights is None else weights
    out, at = [], 0
    for s, w in zip(scores, weights):
        out.append(np.asarray(s, dtype=np.float64) - (at + np.arange(len(s))) * 1e-10 / w)
        at += len(s)
    return out


def reference(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("models", [1, 2, 3, 5])
@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_wbf_matches_ensemble_boxes(seed, models, conf_type, weighted):
    boxes, scores, labels = scene(seed * 10 + models, models)
    weights = list(np.random.default_rng(seed).uniform(0.5, 3.0, models)) if weighted else None
    kwargs = dict(weights=weights, iou_thr=0.55, skip_box_thr=0.1, conf_type=conf_type)
    ours = softkit.weighted_boxes_fusion(boxes, scores, labels, **kwargs)
    assert_same(ours, reference(eb_wbf, boxes, scores, labels, **kwargs))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("iou_thr", [0.3, 0.55, 0.8])
def test_wbf_with_overflow_and_ties(seed, iou_thr):
    boxes, scores, labels = scene(100 + seed, 3, ties=True)
    weights = [2.0, 1.0, 1.0]
    for overflow in (False, True):
        kwargs = dict(weights=weights, iou_thr=iou_thr, allows_overflow=overflow)
        ours = softkit.weighted_boxes_fusion(boxes, scores, labels, **kwargs)
        assert_same(ours, reference(eb_wbf, boxes, in_input_order(scores, weights), labels, **kwargs))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("models", [1, 2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_nmw_matches_ensemble_boxes(seed, models, weighted):
    boxes, scores, labels = scene(200 + seed * 10 + models, models, ties=seed == 2)
    weights = list(np.random.default_rng(seed).uniform(0.5, 3.0, models)) if weighted else None
    kwargs = dict(weights=weights, iou_thr=0.5, skip_box_thr=0.05)
    ours = softkit.non_maximum_weighted(boxes, scores, labels, **kwargs)
    assert_same(ours, reference(eb_nmw, boxes, in_input_order(scores, weights), labels, **kwargs))


def test_the_extremes_of_the_thresholds():
    boxes, scores, labels = scene(7, 3)
    for iou_thr in (0.0, 1.0):
        for fn, ref in ((softkit.weighted_boxes_fusion, eb_wbf), (softkit.non_maximum_weighted, eb_nmw)):
            ours = fn(boxes, scores, labels, iou_thr=iou_thr)
            assert_same(ours, reference(ref, boxes, scores, labels, iou_thr=iou_thr))
    # Every box skipped, and no models at all: empty results of the right shapes.
    for result in (
        softkit.weighted_boxes_fusion(boxes, scores, labels, skip_box_thr=2.0),
        softkit.weighted_boxes_fusion([], [], []),
    ):
        assert result[0].shape == (0, 4) and result[1].shape == (0,) and result[2].shape == (0,)


def test_a_model_without_boxes_and_boxes_of_area_zero():
    boxes, scores, labels = scene(8, 3)
    boxes[1], scores[1], labels[1] = np.zeros((0, 4)), np.zeros(0), np.zeros(0)
    boxes[2][0, 2] = boxes[2][0, 0]  # area 0: left out, as ensemble-boxes does
    for conf_type in CONF_TYPES:
        ours = softkit.weighted_boxes_fusion(boxes, scores, labels, conf_type=conf_type)
        assert_same(ours, reference(eb_wbf, boxes, scores, labels, conf_type=conf_type))


def test_plain_lists_and_float_labels_are_read_like_arrays():
    boxes, scores, labels = scene(9, 2)
    as_lists = [b.tolist() for b in boxes], [s.tolist() for s in scores], [lab.astype(float).tolist() for lab in labels]
    for a, b in zip(softkit.weighted_boxes_fusion(*as_lists), softkit.weighted_boxes_fusion(boxes, scores, labels)):
        np.testing.assert_array_equal(a, b)
    assert softkit.weighted_boxes_fusion(boxes, scores, labels)[2].dtype == np.float64


def test_the_input_is_not_changed():
    boxes, scores, labels = scene(10, 2)
    copies = [[x.copy() for x in group] for group in (boxes, scores, labels)]
    softkit.weighted_boxes_fusion(boxes, scores, labels, weights=[1, 2])
    for group, copy in zip((boxes, scores, labels), copies):
        for x, c in zip(group, copy):
            np.testing.assert_array_equal(x, c)


def test_a_cluster_scoring_zero_is_averaged_not_nan():
    """ensemble-boxes divides by the cluster's total score, so a cluster of zero scores comes out NaN:
    a defect it has, and softkit does not."""
    boxes = [np.array([[0.1, 0.1, 0.5, 0.5]]), np.array([[0.2, 0.1, 0.6, 0.5]])]
    scores, labels = [np.array([0.0]), np.array([0.0])], [np.array([0]), np.array([0])]
    theirs = reference(eb_wbf, boxes, scores, labels, iou_thr=0.3)
    assert np.isnan(theirs[0]).all()
    fused, fused_scores, _ = softkit.weighted_boxes_fusion(boxes, scores, labels, iou_thr=0.3)
    np.testing.assert_allclose(fused, [[0.15, 0.1, 0.55, 0.5]])
    assert fused_scores.tolist() == [0.0]


ONE = [[0.1, 0.1, 0.5, 0.5]]


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (([ONE], [[0.9]], [[0], [1]]), {}, ValueError, "labels_list has 2 models but boxes_list has 1"),
        (([ONE], [[0.9, 0.8]], [[0]]), {}, ValueError, r"scores_list\[0\] has 2 entries but boxes_list\[0\] has 1"),
        (([ONE], [[0.9]], [[0, 1]]), {}, ValueError, r"labels_list\[0\] has 2 entries but boxes_list\[0\] has 1"),
        (([ONE, ONE], [[0.9], [0.8]], [[0], [0]]), {"weights": [1]}, ValueError, "weights has 1 entries but there are 2 models"),
        (([ONE], [[0.9]], [[0]]), {"weights": [-1]}, ValueError, r"weights\[0\] = -1"),
        (([ONE], [[0.9]], [[0]]), {"weights": [0]}, ValueError, r"weights\[0\] = 0 is invalid"),
        (([[[0.1, 0.1, 1.5, 0.5]]], [[0.9]], [[0]]), {}, ValueError, r"boxes_list\[0\]\[0\] x2 = 1.5 is outside \[0, 1\]"),
        (([[[0.1, -0.1, 0.5, 0.5]]], [[0.9]], [[0]]), {}, ValueError, r"boxes_list\[0\]\[0\] y1 = -0.1 is outside"),
        (([[[0.5, 0.1, 0.2, 0.5]]], [[0.9]], [[0]]), {}, ValueError, r"boxes_list\[0\]\[0\] has x2 = 0.2 < x1 = 0.5"),
        (([[[0.1, np.nan, 0.2, 0.5]]], [[0.9]], [[0]]), {}, ValueError, r"boxes_list\[0\]\[0\] y1 = NaN is not finite"),
        (([ONE], [[np.nan]], [[0]]), {}, ValueError, r"scores_list\[0\]\[0\] = NaN is invalid"),
        (([ONE], [[-0.5]], [[0]]), {"skip_box_thr": -1}, ValueError, r"scores_list\[0\]\[0\] = -0.5 is invalid"),
        (([ONE], [[0.9]], [[1.5]]), {}, ValueError, r"labels_list\[0\]\[0\] = 1.5 is invalid: expected an integer label"),
        (([ONE], [[0.9]], [["a"]]), {}, TypeError, r"labels_list\[0\] must hold integer labels"),
        (([[[0.1, 0.1, 0.5]]], [[0.9]], [[0]]), {}, ValueError, r"boxes_list\[0\] must have shape \(N, 4\), got \(1, 3\)"),
        (([ONE], [[0.9]], [[0]]), {"iou_thr": 1.5}, ValueError, "iou_thr = 1.5 is invalid"),
        (([ONE], [[0.9]], [[0]]), {"iou_thr": None}, TypeError, "iou_thr must be a real number"),
        (([ONE], [[0.9]], [[0]]), {"skip_box_thr": float("inf")}, ValueError, "skip_box_thr = inf is invalid"),
        (([ONE], [[0.9]], [[0]]), {"conf_type": "mean"}, ValueError, "conf_type = 'mean' is invalid"),
        ((ONE[0], [0.9], 0), {}, TypeError, "labels_list must be a list with one entry per model"),
    ],
)
def test_bad_input_is_named(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        softkit.weighted_boxes_fusion(*args, **kwargs)


def test_nmw_names_bad_input_too():
    with pytest.raises(ValueError, match=r"boxes_list\[0\]\[0\] x2 = 1.5 is outside"):
        softkit.non_maximum_weighted([[[0.1, 0.1, 1.5, 0.5]]], [[0.9]], [[0]])
