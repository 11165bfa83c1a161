"""softkit.r40_eval (AP over 40 recall positions of 3-D boxes) against the plain reference in
geom3_reference.py, on seeded scenes, by 3-D and bird's-eye IoU."""

import re

import numpy as np
import pytest

import geom3_reference as g3
import softkit


def scene(seed, frames=6, labels=(1, 2, 3)):
    rng = np.random.default_rng(seed)
    gt, dets = [], []
    for f in range(frames):
        boxes = g3.random_boxes3d(rng, int(rng.integers(3, 12)), extent=(30.0, 30.0))
        for b in boxes:
            label = int(rng.choice(labels))
            gt.append((f, label, b))
            for _ in range(int(rng.integers(0, 3))):  # jittered detections and duplicates
                d = b.copy()
                d[:3] += rng.normal(0, 0.3, 3)
                d[6] += rng.normal(0, 0.1)
                dets.append((f, label, d, float(rng.random())))
        for b in g3.random_boxes3d(rng, 2, extent=(30.0, 30.0)):  # false alarms
            dets.append((f, int(rng.choice(labels)), b, float(rng.random())))
    for k in range(0, len(dets), 5):  # ties
        dets[k] = dets[k][:3] + (0.5,)
    return gt, dets


def rows(gt, dets):
    g = np.array([[f, lab, *b] for f, lab, b in gt])
    d = np.array([[f, lab, *b, s] for f, lab, b, s in dets])
    return g, d


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("iou,threshold", [("3d", 0.7), ("3d", 0.5), ("bev", 0.7)])
def test_matches_the_reference(seed, iou, threshold):
    gt, dets = scene(seed)
    want = g3.kitti_r40_reference(gt, dets, iou_threshold=threshold, iou=iou)
    got = softkit.r40_eval(*rows(gt, dets), iou_threshold=threshold, iou=iou)
    assert sorted(got["ap"]) == sorted(want)
    for label, ap in want.items():
        assert abs(got["ap"][label] - ap) < 1e-12, (label, got["ap"][label], ap)


def test_bottom_origin_reads_mmdet3d_boxes():
    gt, dets = scene(4)
    g, d = rows(gt, dets)
    g_bottom, d_bottom = g.copy(), d.copy()
    g_bottom[:, 4] -= g_bottom[:, 7] / 2
    d_bottom[:, 4] -= d_bottom[:, 7] / 2
    assert softkit.r40_eval(g_bottom, d_bottom, box_origin="bottom") == softkit.r40_eval(g, d)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"iou": "2d"}, 'iou = "2d" is invalid'),
        ({"iou_threshold": 1.5}, "iou_threshold: 1.5 is not in [0, 1]"),
        ({"box_origin": "top"}, 'box origin = "top" is invalid'),
    ],
)
def test_bad_input_names_the_item(kwargs, message):
    g, d = rows(*scene(0))
    with pytest.raises(ValueError, match=re.escape(message)):
        softkit.r40_eval(g, d, **kwargs)


def test_a_negative_size_is_named():
    g, d = rows(*scene(0))
    g[1, 7] = -1.0
    with pytest.raises(ValueError, match=re.escape("ground_truth: boxes3d[1].dz = -1 is invalid: a size >= 0")):
        softkit.r40_eval(g, d)
