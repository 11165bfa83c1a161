"""Plain in-memory reference of the DOTA devkit's Task1 (oriented box) evaluation: voc_eval and voc_ap.

Written from CAPTAIN-WHU/DOTA_devkit dota_evaluation_task1.py (and polyiou.cpp) without copying it;
numpy + shapely only, independent of softkit. Reproduced semantics:
- detections sorted by descending confidence; ground truth of other classes ignored;
- npos counts the non-difficult ground truth of the class over all images;
- per detection: a prefilter keeps the ground truth whose axis-aligned hulls overlap with the devkit's
  "+1 pixel" box IoU > 0, the polygon IoU is computed only for those, the best one (first on ties)
  is taken, and `ovmax > ovthresh` (strict) matches it: difficult -> neither TP nor FP, not yet
  taken -> TP, already taken -> FP. No match, or no candidate ground truth -> FP;
- rec = cumsum(tp) / npos, prec = cumsum(tp) / max(cumsum(tp) + cumsum(fp), float64 eps);
- voc_ap: 11-point (use_07_metric) or area under the monotone precision envelope; mAP = mean of APs.
Deliberate differences from the devkit:
- the devkit sorts with np.argsort(-confidence), numpy's default (non-stable) kind, so equal
  confidences come in an unspecified order; here kind="stable": ties keep input order (lower index first);
- polygon IoU is shapely's instead of polyiou.iou_poly; they agree on simple quadrilaterals up to
  rounding (polyiou clips with a 1e-8 epsilon). polyiou gives NaN (0/0) for two zero-area quads, which
  makes the devkit's ovmax NaN (an FP); polygon_iou gives 0 instead. A custom `overlap` returning NaN is
  handled like the devkit (np.max / np.argmax, so NaN poisons the detection into an FP);
- with no detections the devkit crashes (BB[sorted_ind, :] on a 1-D array); here rec = prec = [] and
  voc_ap gives 0.0. A detection on an image missing from ground_truth raises KeyError in both.
  npos == 0 divides by zero as in the devkit (rec is nan/inf; warnings silenced).
"""

import numpy as np
from shapely.geometry import Polygon

# The devkit's 11 recall levels, np.arange(0., 1.1, 0.1): 0.30000000000000004, 0.6000000000000001 and
# 0.7000000000000001 are a hair above 0.3, 0.6, 0.7, so a recall of exactly 0.3 misses the 0.3 level.
RECALL_LEVELS_07 = np.arange(0.0, 1.1, 0.1)


def polygon_iou(p, q):
    """IoU of two quadrilaterals given as 8 numbers x1 y1 ... x4 y4 (any K vertices work); 0 if no union."""
    a = Polygon(np.asarray(p, dtype=np.float64).reshape(-1, 2))
    b = Polygon(np.asarray(q, dtype=np.float64).reshape(-1, 2))
    inter = a.intersection(b).area
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def hbb_overlaps(det, gts):
    """The devkit's prefilter: '+1 pixel' IoU of the axis-aligned hull of det (8,) with each of gts (G, 8)."""
    dx0, dx1 = det[0::2].min(), det[0::2].max()
    dy0, dy1 = det[1::2].min(), det[1::2].max()
    gx0, gx1 = gts[:, 0::2].min(axis=1), gts[:, 0::2].max(axis=1)
    gy0, gy1 = gts[:, 1::2].min(axis=1), gts[:, 1::2].max(axis=1)
    iw = np.maximum(np.minimum(gx1, dx1) - np.maximum(gx0, dx0) + 1.0, 0.0)
    ih = np.maximum(np.minimum(gy1, dy1) - np.maximum(gy0, dy0) + 1.0, 0.0)
    inter = iw * ih
    union = (dx1 - dx0 + 1.0) * (dy1 - dy0 + 1.0) + (gx1 - gx0 + 1.0) * (gy1 - gy0 + 1.0) - inter
    return inter / union


def voc_ap(rec, prec, use_07_metric=False):
    """AP from recall/precision arrays: 11-point VOC07 or area under the precision envelope."""
    rec = np.asarray(rec, dtype=np.float64)
    prec = np.asarray(prec, dtype=np.float64)
    if use_07_metric:
        ap = 0.0
        for t in RECALL_LEVELS_07:
            above = rec >= t
            ap += (np.max(prec[above]) if above.any() else 0.0) / 11.0
        return ap
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # precision envelope, right to left
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1])


def _class_ground_truth(ground_truth, classname):
    recs, npos = {}, 0
    for image_id, objects in ground_truth.items():
        mine = [o for o in objects if len(o) < 3 or o[2] == classname]
        polys = np.array([np.asarray(o[0], dtype=np.float64).reshape(8) for o in mine]).reshape(-1, 8)
        difficult = np.array([bool(o[1]) for o in mine], dtype=bool)
        npos += int((~difficult).sum())
        recs[image_id] = {"polys": polys, "difficult": difficult, "taken": np.zeros(len(mine), dtype=bool)}
    return recs, npos


def voc_eval(detections, ground_truth, classname, ovthresh=0.5, use_07_metric=False, overlap=polygon_iou):
    """Returns (rec, prec, ap) for one class, like the devkit's voc_eval.

    detections: [(image_id, score, 8 numbers)] of this class (the devkit's Task1_<class>.txt), or a
        dict {classname: such a list}.
    ground_truth: {image_id: [(8 numbers, difficult)]} or entries (8 numbers, difficult, classname);
        entries with a class name count only for that class, 2-tuples for whichever class is evaluated.
        Its keys are the image set.
    overlap(gt_poly, det_poly) -> float, called on 8-number arrays (the devkit's iou_poly(gt, det)).
    """
    if isinstance(detections, dict):
        detections = detections.get(classname, [])
    recs, npos = _class_ground_truth(ground_truth, classname)

    image_ids = [d[0] for d in detections]
    confidence = np.array([float(d[1]) for d in detections], dtype=np.float64)
    polys = np.array([np.asarray(d[2], dtype=np.float64).reshape(8) for d in detections]).reshape(-1, 8)
    order = np.argsort(-confidence, kind="stable")

    tp = np.zeros(len(order))
    fp = np.zeros(len(order))
    for rank, k in enumerate(order):
        rec = recs[image_ids[k]]
        det = polys[k]
        ovmax, jmax = -np.inf, -1
        if rec["polys"].size > 0:
            candidates = np.flatnonzero(hbb_overlaps(det, rec["polys"]) > 0)
            if candidates.size > 0:
                ovs = [overlap(rec["polys"][j], det) for j in candidates]
                ovmax = np.max(ovs)
                jmax = candidates[int(np.argmax(ovs))]
        if ovmax > ovthresh:
            if not rec["difficult"][jmax]:
                if not rec["taken"][jmax]:
                    tp[rank] = 1.0
                    rec["taken"][jmax] = True
                else:
                    fp[rank] = 1.0
        else:
            fp[rank] = 1.0

    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    with np.errstate(divide="ignore", invalid="ignore"):
        rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return rec, prec, voc_ap(rec, prec, use_07_metric)


def map_over_classes(detections, ground_truth, classnames, ovthresh=0.5, use_07_metric=True, overlap=polygon_iou):
    """Returns (mAP, {classname: ap}); mAP is the plain mean over classnames (nan propagates).

    detections: {classname: [(image_id, score, 8 numbers)]}; ground_truth as in voc_eval.
    use_07_metric defaults to True because the devkit's main() evaluates Task1 that way (its voc_eval
    itself defaults to False).
    """
    aps = {}
    for name in classnames:
        aps[name] = voc_eval(detections, ground_truth, name, ovthresh, use_07_metric, overlap)[2]
    return sum(aps.values()) / len(classnames), aps


if __name__ == "__main__":

    def square(x0, y0, x1, y1):
        return [x0, y0, x1, y0, x1, y1, x0, y1]

    gt = {
        "a": [(square(0, 0, 10, 10), 0), (square(20, 20, 30, 30), 0), (square(40, 40, 50, 50), 1)],
        "b": [(square(0, 0, 10, 10), 0)],
    }
    dets = [
        ("a", 0.9, square(0, 0, 10, 10)),  # TP
        ("a", 0.8, square(0, 0, 10, 11)),  # same ground truth again: FP
        ("b", 0.7, square(60, 60, 70, 70)),  # nothing there: FP
        ("a", 0.6, square(40, 40, 50, 50)),  # difficult: ignored
        ("b", 0.5, square(0, 0, 10, 10)),  # TP
        ("a", 0.4, square(20, 20, 30, 25)),  # IoU exactly 0.5, not > 0.5: FP
    ]
    rec, prec, ap = voc_eval(dets, gt, "plane")
    assert np.allclose(rec, [1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3])
    assert np.allclose(prec, [1, 1 / 2, 1 / 3, 1 / 3, 2 / 4, 2 / 5])
    # Envelope [1, .5, .4] over recall steps 1/3, 1/3, 1/3 -> 1/3 + 1/6 + 0.
    assert abs(ap - 0.5) < 1e-12, ap
    # 11-point: levels 0..0.3 see precision 1, 0.4..0.6 see 0.5, 0.7..1 see nothing.
    assert abs(voc_eval(dets, gt, "plane", use_07_metric=True)[2] - 5.5 / 11) < 1e-12
    assert voc_ap(np.array([0.3]), np.array([1.0]), True) == 3 / 11  # the 0.30000000000000004 level
    # Equal scores keep input order: the FP first, then the TP.
    tie = [("b", 0.5, square(60, 60, 70, 70)), ("b", 0.5, square(0, 0, 10, 10))]
    rec, prec, ap = voc_eval(tie, {"b": gt["b"]}, "x")
    assert list(prec) == [0.0, 0.5] and ap == 0.5
    # Two classes, class names on the ground truth.
    gt2 = {"a": [(square(0, 0, 10, 10), 0, "car"), (square(20, 20, 30, 30), 0, "ship")], "b": []}
    dets2 = {"car": [("a", 0.9, square(0, 0, 10, 10))], "ship": [("b", 0.9, square(20, 20, 30, 30))]}
    mean, aps = map_over_classes(dets2, gt2, ["car", "ship"])
    # Eleven additions of 1/11 give 1.0000000000000002, as in the devkit.
    assert aps["car"] == 1.0000000000000002 and aps["ship"] == 0.0 and abs(mean - 0.5) < 1e-12
    assert voc_eval([], gt2, "car")[2] == 0.0
    print("dota_reference self-check ok")
