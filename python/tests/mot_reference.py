"""The MOT references, run in their own venv (SOFTKIT_MOT_PYTHON): py-motmetrics 1.4.0 for
CLEAR-MOT and the identity metrics, TrackEval for HOTA.

Reads JSON from stdin, a list of {"gt": path, "tracks": path}, and prints one JSON object per
pair: every `motchallenge_metrics` number plus num_frames, num_matches, num_objects and
num_predictions, and TrackEval's HOTA components averaged over its 19 thresholds. An item
{"overall": [pairs]} gives instead motmetrics' OVERALL row of `compute_many` and TrackEval's
`combine_sequences` over those pairs.
"""

import json
import sys

import motmetrics as mm
import numpy as np
from trackeval.datasets._base_dataset import _BaseDataset
from trackeval.metrics import HOTA

EXTRA = ["num_frames", "num_matches", "num_objects", "num_predictions"]
HOTA_FIELDS = {"hota": "HOTA", "deta": "DetA", "assa": "AssA", "deta_re": "DetRe", "deta_pr": "DetPr",
               "assa_re": "AssRe", "assa_pr": "AssPr", "loca": "LocA", "owta": "OWTA"}


def accumulator(gt_path, tracks_path):
    gt = mm.io.loadtxt(gt_path, fmt="mot15-2D", min_confidence=1)
    ts = mm.io.loadtxt(tracks_path, fmt="mot15-2D")
    return mm.utils.compare_to_groundtruth(gt, ts, "iou", distth=0.5)


def motmetrics_numbers(gt_path, tracks_path):
    summary = mm.metrics.create().compute(accumulator(gt_path, tracks_path), metrics=mm.metrics.motchallenge_metrics + EXTRA, name="seq")
    return {k: float(summary[k].iloc[0]) for k in summary.columns}


def overall_numbers(pairs):
    accs = [accumulator(p["gt"], p["tracks"]) for p in pairs]
    names = [f"seq{i}" for i in range(len(pairs))]
    summary = mm.metrics.create().compute_many(accs, names=names, metrics=mm.metrics.motchallenge_metrics + EXTRA,
                                               generate_overall=True)
    numbers = {k: float(summary.loc["OVERALL", k]) for k in summary.columns}
    results = {f"seq{i}": hota_result(p["gt"], p["tracks"]) for i, p in enumerate(pairs)}
    combined = HOTA().combine_sequences(results)
    numbers.update({ours: float(np.mean(combined[theirs])) for ours, theirs in HOTA_FIELDS.items()})
    return numbers


def rows(path, is_gt):
    out = []
    with open(path) as f:
        for line in f:
            v = [x for x in line.replace(",", " ").split()]
            if not v:
                continue
            if is_gt and len(v) > 6 and float(v[6]) < 1:
                continue
            out.append((int(float(v[0])), int(float(v[1])), *map(float, v[2:6])))
    return out


def hota_numbers(gt_path, tracks_path):
    res = hota_result(gt_path, tracks_path)
    return {ours: float(np.mean(res[theirs])) for ours, theirs in HOTA_FIELDS.items()}


def hota_result(gt_path, tracks_path):
    """TrackEval's HOTA on the data dict its MOTChallenge preprocessing leaves (ids renumbered,
    one timestep per frame from 1 to the last frame)."""
    gt_rows, hyp_rows = rows(gt_path, True), rows(tracks_path, False)
    frames = [r[0] for r in gt_rows] + [r[0] for r in hyp_rows]
    data = {"num_timesteps": max(frames) if frames else 0, "similarity_scores": []}
    for key, rs in (("gt", gt_rows), ("tracker", hyp_rows)):
        unique = np.unique([r[1] for r in rs]).astype(int)
        data[f"num_{key}_ids"], data[f"num_{key}_dets"] = len(unique), len(rs)
        by_frame = {}
        for r in rs:
            by_frame.setdefault(r[0], []).append(r)
        ids, dets = [], []
        for t in range(1, data["num_timesteps"] + 1):
            here = by_frame.get(t, [])
            ids.append(np.searchsorted(unique, np.array([r[1] for r in here], dtype=int)).astype(int))
            dets.append(np.array([r[2:6] for r in here], dtype=float).reshape(-1, 4))
        data[f"{key}_ids"], data[f"{key}_dets"] = ids, dets
    for g, h in zip(data["gt_dets"], data["tracker_dets"]):
        data["similarity_scores"].append(_BaseDataset._calculate_box_ious(g, h, box_format="xywh"))
    return HOTA().eval_sequence(data)


def main():
    out = []
    for item in json.load(sys.stdin):
        if "overall" in item:
            out.append(overall_numbers(item["overall"]))
            continue
        numbers = motmetrics_numbers(item["gt"], item["tracks"])
        numbers.update(hota_numbers(item["gt"], item["tracks"]))
        out.append(numbers)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
