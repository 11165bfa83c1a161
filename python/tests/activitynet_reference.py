"""Plain in-memory reference of the ActivityNet temporal detection metric. numpy only, no pandas, no softkit.

Follows ANETdetection and compute_average_precision_detection of activitynet/ActivityNet's
Evaluation/eval_detection.py, with interpolated_prec_rec and segment_iou of Evaluation/utils.py:

* classes are the labels of the ground truth, in order of first appearance (ANET's activity_index is
  filled in the order it reads the database); the AP array has one column per class in that order.
* per class, predictions are sorted by score, highest first. ANET uses
  prediction['score'].values.argsort()[::-1]: numpy's default (unstable) quicksort, reversed, so equal
  scores come out in no promised order (on numpy 2.4.6 / x86-64 they come out HIGHER input index first,
  the reverse of a stable sort). This reference uses a stable sort, equal scores to the LOWER input index
  (within the class, in the order the predictions were given); ties="numpy" reproduces ANET's literal call.
* each prediction, in that order, is compared (tIoU) with the ground truth of the same class in the same
  video only. The ground truths are visited by tIoU, highest first (ANET: tiou_arr.argsort()[::-1], same
  tie caveat; here ties to the lower ground-truth index); at each threshold the first one with
  tIoU < thr ends the search as a false positive, an already matched one is skipped (the search goes on
  to the next-highest tIoU), the first free one becomes a true positive and is locked for that threshold.
  So a prediction is a TP iff some still-free ground truth has tIoU >= thr (inclusive), and it takes the
  free one with the highest tIoU.
* a prediction in a video with no ground truth of its class is a false positive at every threshold.
* tp / fp cumulated over the sorted predictions; recall = cum_tp / n_gt (all ground truth of the class,
  including videos without predictions), precision = cum_tp / (cum_tp + cum_fp).
* AP = interpolated_prec_rec (VOC 2011 style, every point): prepend (rec 0, prec 0), append (rec 1,
  prec 0), make precision non-increasing from the right, sum (rec[i] - rec[i-1]) * prec[i] over the
  points where recall changes.
* a class with ground truth but no prediction gets AP 0 at every threshold (newer eval_detection.py,
  _get_predictions_with_label returns an empty frame; older versions crashed). It still counts in the mean.
* mAP[t] = mean over classes of AP[t, :]; average mAP = mean over the thresholds of mAP.
* thresholds default to np.linspace(0.5, 0.95, 10), whose values are not the decimal ones:
  0.6000000000000001 ... 0.8999999999999999 (a tIoU of exactly 0.9 passes 0.8999999999999999).

Quirks of the original this reference does NOT copy unless asked:
* segment_iou divides by the union with no guard: two zero-length segments give 0/0 = NaN (wherever they
  lie in the video). NaN < thr is False and argsort puts NaN first after the reversal, so such a
  prediction is a TRUE positive against a free zero-length ground truth of its video at every threshold.
  tiou() here gives 0 (false positive); zero_union="nan" reproduces ANET.
* predictions whose label is not in the ground truth raise KeyError in ANET (_import_prediction);
  here ValueError, or unknown_labels="ignore" drops them.
* ANET drops the server's "blocked" videos and keeps one subset (check_status / subset); not modelled.
"""

import math

import numpy as np

TIOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def tiou(a, b, zero_union="zero"):
    """intersection / union of two (start, end) segments. union 0 -> 0 (zero_union="zero") or NaN ("nan").

    Same arithmetic as segment_iou: inter = max(0, min(ends) - max(starts)),
    union = len_a + len_b - inter.
    """
    inter = max(0.0, min(float(a[1]), float(b[1])) - max(float(a[0]), float(b[0])))
    union = (float(a[1]) - float(a[0])) + (float(b[1]) - float(b[0])) - inter
    if union == 0:
        return math.nan if zero_union == "nan" else 0.0
    return inter / union


def interpolated_prec_rec(prec, rec):
    """VOC 2011 all-point interpolated AP, written as in ActivityNet's utils.py."""
    mprec = [0.0] + [float(p) for p in prec] + [0.0]
    mrec = [0.0] + [float(r) for r in rec] + [1.0]
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    ap = 0.0
    for i in range(1, len(mrec)):
        if mrec[i] != mrec[i - 1]:
            ap += (mrec[i] - mrec[i - 1]) * mprec[i]
    return ap


def _descending(values, ties):
    """Positions of values by descending value. NaN counts as the largest (numpy's argsort()[::-1] does so)."""
    values = [float(v) for v in values]
    if ties == "numpy":
        return [int(i) for i in np.argsort(np.array(values, dtype=np.float64))[::-1]]
    if ties == "stable":
        return sorted(range(len(values)), key=lambda i: (0, 0.0, i) if math.isnan(values[i]) else (1, -values[i], i))
    raise ValueError(f"unknown ties {ties!r}")


def class_ap(ground_truth, predictions, tiou_thresholds=TIOU_THRESHOLDS, ties="stable", zero_union="zero"):
    """AP per threshold for ONE class. ground_truth: [(video, start, end)]; predictions: [(video, start, end, score)].

    Mirrors compute_average_precision_detection. Returns a float64 array of len(tiou_thresholds).
    """
    n_thr = len(tiou_thresholds)
    ap = np.zeros(n_thr)
    if not predictions:
        return ap
    n_gt = len(ground_truth)
    order = _descending([p[3] for p in predictions], ties)
    gt_by_video = {}
    for g, (video, _, _) in enumerate(ground_truth):
        gt_by_video.setdefault(video, []).append(g)
    locked = [[False] * n_gt for _ in range(n_thr)]
    tp = np.zeros((n_thr, len(order)))
    fp = np.zeros((n_thr, len(order)))
    for rank, p in enumerate(order):
        video, start, end, _ = predictions[p]
        candidates = gt_by_video.get(video)
        if not candidates:
            fp[:, rank] = 1
            continue
        overlaps = [tiou((start, end), ground_truth[g][1:3], zero_union) for g in candidates]
        visit = _descending(overlaps, ties)
        for t, thr in enumerate(tiou_thresholds):
            for pos in visit:
                if overlaps[pos] < thr:
                    break  # every later one is lower too: false positive
                g = candidates[pos]
                if locked[t][g]:
                    continue
                locked[t][g] = True
                tp[t, rank] = 1
                break
            if tp[t, rank] == 0:
                fp[t, rank] = 1
    for t in range(n_thr):
        ctp = np.cumsum(tp[t])
        cfp = np.cumsum(fp[t])
        ap[t] = interpolated_prec_rec(ctp / (ctp + cfp), ctp / n_gt)
    return ap


def anet_detection(ground_truth, predictions, tiou_thresholds=TIOU_THRESHOLDS, ties="stable",
                   zero_union="zero", unknown_labels="raise", return_labels=False):
    """ActivityNet detection mAP.

    ground_truth: iterable of (video_id, label, start, end); predictions: (video_id, label, start, end, score).
    Returns (mAP per threshold (T,), average mAP (float), AP (T, C)); with return_labels=True also the
    list of the C labels, in order of first appearance in ground_truth (the AP columns).
    """
    ground_truth = [(v, lab, float(s), float(e)) for v, lab, s, e in ground_truth]
    predictions = [(v, lab, float(s), float(e), float(sc)) for v, lab, s, e, sc in predictions]
    labels = list(dict.fromkeys(lab for _, lab, _, _ in ground_truth))
    known = set(labels)
    unknown = [p for p in predictions if p[1] not in known]
    if unknown and unknown_labels == "raise":
        raise ValueError(f"prediction label {unknown[0][1]!r} is not in the ground truth")
    ap = np.zeros((len(tiou_thresholds), len(labels)))
    for c, label in enumerate(labels):
        gts = [(v, s, e) for v, lab, s, e in ground_truth if lab == label]
        preds = [(v, s, e, sc) for v, lab, s, e, sc in predictions if lab == label]
        ap[:, c] = class_ap(gts, preds, tiou_thresholds, ties, zero_union)
    m_ap = ap.mean(axis=1)
    out = (m_ap, float(m_ap.mean()), ap)
    return out + (labels,) if return_labels else out


# ---------------------------------------------------------------------------------------------------
# Self-check on hand-computed cases

if __name__ == "__main__":
    # The interpolation on its own.
    assert interpolated_prec_rec([1, 1, 2 / 3], [0.5, 1, 1]) == 1.0
    assert interpolated_prec_rec([0, 0.5], [0, 1]) == 0.5
    assert interpolated_prec_rec([1, 0.5, 2 / 3], [1 / 3, 1 / 3, 2 / 3]) == 1 / 3 + 1 / 3 * 2 / 3

    # Two classes. "a": the 0.9 prediction is exact, the 0.8 one has tIoU 9/10 = 0.9 with the second
    # ground truth (passes 0.8999999999999999, fails 0.95), the 0.7 one is in a video without "a".
    # "b" has ground truth and no prediction: AP 0, still in the mean.
    gt = [("v1", "a", 0, 10), ("v1", "a", 20, 30), ("v1", "b", 50, 60)]
    pr = [("v1", "a", 0, 10, 0.9), ("v1", "a", 21, 30, 0.8), ("v2", "a", 0, 10, 0.7)]
    m_ap, avg, ap, labels = anet_detection(gt, pr, return_labels=True)
    assert labels == ["a", "b"] and ap.shape == (10, 2)
    # t <= 0.9: tp 1 1 0 -> rec .5 1 1, prec 1 1 2/3 -> AP 1. t = 0.95: tp 1 0 0 -> rec .5, AP .5.
    assert np.array_equal(ap[:, 0], [1.0] * 9 + [0.5]) and np.all(ap[:, 1] == 0)
    assert np.array_equal(m_ap, [0.5] * 9 + [0.25]) and abs(avg - 0.475) < 1e-15

    # A duplicate is a false positive; a higher-scored miss costs precision.
    gt = [("v", "x", 0, 10)]
    assert np.all(anet_detection(gt, [("v", "x", 0, 10, 0.9), ("v", "x", 0, 10, 0.8)])[2] == 1.0)
    assert np.all(anet_detection(gt, [("v", "x", 100, 110, 0.9), ("v", "x", 0, 10, 0.5)])[2] == 0.5)

    # The best ground truth is taken: the search goes on to the next-highest tIoU, inclusive at 0.75.
    # p1 [0, 11]: g0 10/11 (taken by p0), g1 [2, 12] 9/12 = 0.75 -> TP for t <= 0.75, FP above.
    gt = [("v", "x", 0, 10), ("v", "x", 2, 12)]
    pr = [("v", "x", 0, 10, 0.9), ("v", "x", 0, 11, 0.8)]
    assert np.array_equal(anet_detection(gt, pr)[2][:, 0], [1.0] * 6 + [0.5] * 4)

    # Equal tIoU to two ground truths: stable takes the lower index (g0), so the later exact p1 on g0 is
    # an FP. numpy's argsort()[::-1] took g1 on the machine this was written on (not promised).
    gt = [("v", "x", 0, 10), ("v", "x", 10, 20)]
    pr = [("v", "x", 5, 15, 0.9), ("v", "x", 0, 10, 0.8)]
    assert anet_detection(gt, pr, tiou_thresholds=[0.3])[2][0, 0] == 0.5
    print("ties='numpy' gives", anet_detection(gt, pr, tiou_thresholds=[0.3], ties="numpy")[2][0, 0], "(1.0 on numpy 2.4.6 x86-64)")

    # Equal scores: stable keeps input order (miss first -> AP .5); the reversed argsort put the hit first.
    gt = [("v", "x", 0, 10)]
    pr = [("v", "x", 100, 110, 0.5), ("v", "x", 0, 10, 0.5)]
    assert anet_detection(gt, pr)[2][0, 0] == 0.5

    # Zero-length segments: 0 here, NaN -> TP in ANET (even at different times).
    gt = [("v", "x", 5, 5)]
    pr = [("v", "x", 7, 7, 0.9)]
    assert anet_detection(gt, pr)[1] == 0.0
    assert anet_detection(gt, pr, zero_union="nan")[1] == 1.0

    # Unknown labels.
    try:
        anet_detection(gt, [("v", "y", 0, 1, 0.5)])
        raise AssertionError("unknown label accepted")
    except ValueError:
        pass
    assert anet_detection(gt, [("v", "y", 0, 1, 0.5)], unknown_labels="ignore")[1] == 0.0

    # Random scene: AP in [0, 1], non-increasing in the threshold.
    rng = np.random.default_rng(0)
    gt, pr = [], []
    for k in range(60):
        v, lab, s = f"v{k % 7}", "abc"[k % 3], rng.uniform(0, 900)
        gt.append((v, lab, s, s + rng.uniform(5, 60)))
    for g in gt:
        for _ in range(2):
            j = rng.normal(0, 3, 2)
            pr.append((g[0], g[1], g[2] + j[0], g[3] + j[1], rng.uniform()))
    m_ap, avg, ap = anet_detection(gt, pr)
    assert np.all((ap >= 0) & (ap <= 1)) and np.all(np.diff(ap, axis=0) <= 1e-12)
    print("activitynet_reference self-check: ok")
