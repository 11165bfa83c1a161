"""softkit.activitynet_eval against a plain reference of the ActivityNet challenge's
ANETdetection (activitynet_reference.py), on seeded scenes with ties, duplicates, misses and
videos without ground truth."""

import numpy as np
import pytest

import activitynet_reference as ref
import softkit


def scene(seed, videos=10, classes=4):
    rng = np.random.default_rng(seed)
    gt, preds = [], []
    for v in range(videos):
        for _ in range(rng.integers(0, 6)):
            start = float(rng.uniform(0, 200))
            end = start + float(rng.uniform(1, 40))
            label = int(rng.integers(0, classes))
            gt.append((v, label, start, end))
            for _ in range(rng.integers(0, 4)):  # jittered detections, some duplicates
                s = start + float(rng.normal(0, 4))
                preds.append((v, label, s, max(s + 0.5, end + float(rng.normal(0, 4))), float(rng.random())))
        for _ in range(rng.integers(0, 3)):  # false alarms, sometimes in videos without ground truth
            s = float(rng.uniform(0, 200))
            preds.append((v + videos * int(rng.integers(0, 2)), int(rng.integers(0, classes)), s, s + 10, float(rng.random())))
    # Tied scores, so that the order rule matters.
    for k in range(0, len(preds), 7):
        preds[k] = preds[k][:4] + (0.5,)
    labels = {g[1] for g in gt}
    return gt, [p for p in preds if p[1] in labels]


@pytest.mark.parametrize("seed", range(8))
def test_matches_the_reference(seed):
    gt, preds = scene(seed)
    want_map, want_avg, want_ap = ref.anet_detection(gt, preds)
    got = softkit.activitynet_eval(np.array(gt), np.array(preds))
    # The reference's columns follow the labels' first appearance; softkit's are sorted.
    order = sorted(dict.fromkeys(g[1] for g in gt))
    first_seen = list(dict.fromkeys(g[1] for g in gt))
    want = np.asarray(want_ap)[:, [first_seen.index(label) for label in order]]
    assert got["labels"] == order
    np.testing.assert_allclose(got["ap"], want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["map"], want_map, rtol=0, atol=1e-12)
    assert abs(got["average_map"] - want_avg) < 1e-12


def test_custom_thresholds_and_an_exact_tie():
    gt = np.array([[0, 1, 0.0, 10.0]])
    preds = np.array([[0, 1, 0.0, 9.0, 0.8]])  # tIoU exactly 0.9: a hit at 0.9, inclusive
    got = softkit.activitynet_eval(gt, preds, thresholds=[0.9, 0.95])
    assert got["ap"].tolist() == [[1.0], [0.0]]


def test_a_class_without_predictions_scores_zero_and_counts():
    gt = np.array([[0, 1, 0.0, 10.0], [0, 2, 20.0, 30.0]])
    preds = np.array([[0, 1, 0.0, 10.0, 0.9]])
    got = softkit.activitynet_eval(gt, preds)
    assert got["labels"] == [1, 2]
    assert got["ap"][:, 1].tolist() == [0.0] * 10
    assert got["average_map"] == 0.5


@pytest.mark.parametrize(
    "gt,preds,message",
    [
        ([[0, 1, 5.0, 3.0]], [[0, 1, 0.0, 1.0, 0.5]], "ground_truth: segments[0].end = 3 is less than start = 5"),
        ([[0, 1, 0.0, 3.0]], [[0, 1, float("nan"), 1.0, 0.5]], "predictions: segments[0].start = NaN is invalid"),
        ([[0.5, 1, 0.0, 3.0]], [[0, 1, 0.0, 1.0, 0.5]], "ground_truth[0] = 0.5 is not an integer id"),
        ([[0, 1, 0.0, 3.0]], [[0, 1, 0.0, 1.0]], "predictions must have shape (N, 5)"),
        ([[0, 1, 0.0, 3.0]], [[0, 1, 0.0, 1.0, float("inf")]], "dts[0].score = inf is not finite"),
    ],
)
def test_bad_input_names_the_item(gt, preds, message):
    with pytest.raises(ValueError, match=__import__("re").escape(message)):
        softkit.activitynet_eval(np.array(gt), np.array(preds))
