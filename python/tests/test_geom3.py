"""Time segments, 3-D boxes and their bird's-eye view: softkit against geom3_reference.py.

Overlaps (IoU and IoMin, both box origins) are compared with the plain references (tiou, iou3d, bev_iou
and the IoMin written below from the same pieces), the suppression policies with reference.greedy run on
the reference overlaps, the "bev" geometry with the "rotated" one, and bad input with the messages softkit
promises. Every scene is seeded.
"""

import functools
import math
import re

import numpy as np
import pytest

import geom3_reference as g3
import softkit
from reference import greedy

TOL = 1e-6  # absolute, on IoU / IoMin against the references
MEASURES = {"iou": softkit.box_iou, "iomin": softkit.box_iomin}
GEOMETRIES = ("segment", "box3d", "bev")
BOX_FIELDS = ("x", "y", "z", "dx", "dy", "dz", "heading")
SEGMENT_FIELDS = ("start", "end")


# ---------------------------------------------------------------------------------------------------
# IoMin references (intersection over the smaller item, 0 when that is 0), from geom3_reference's pieces


def segment_iomin(a, b):
    inter = max(0.0, min(float(a[1]), float(b[1])) - max(float(a[0]), float(b[0])))
    smaller = min(float(a[1]) - float(a[0]), float(b[1]) - float(b[0]))
    return inter / smaller if smaller > 0 else 0.0


def bev_iomin(a, b):
    smaller = min(float(a[3]) * float(a[4]), float(b[3]) * float(b[4]))
    return g3.bev_inter_area(a, b) / smaller if smaller > 0 else 0.0


def iomin3d(a, b):
    smaller = min(g3.volume(a), g3.volume(b))
    return g3.bev_inter_area(a, b) * g3.z_overlap(a, b) / smaller if smaller > 0 else 0.0


REFERENCE = {
    ("segment", "iou"): g3.tiou,
    ("segment", "iomin"): segment_iomin,
    ("box3d", "iou"): g3.iou3d,
    ("box3d", "iomin"): iomin3d,
    ("bev", "iou"): g3.bev_iou,
    ("bev", "iomin"): bev_iomin,
}


def reference_matrix(geometry, measure, a, b, box_origin="centre"):
    """The reference overlap of every pair as a float64 (len(a), len(b)) array.

    Bottom-origin boxes are moved to their centre first (to_gravity_centre). For boxes, a pair whose
    bird's-eye circumscribed circles are apart has no intersection, where every reference gives exactly
    0, so the (slow, shapely) reference is only called on the other pairs.
    """
    f = REFERENCE[geometry, measure]
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    out = np.zeros((len(a), len(b)))
    if geometry == "segment":
        for i, p in enumerate(a):
            for j, q in enumerate(b):
                out[i, j] = f(p, q)
        return out
    a = g3.to_gravity_centre(a, box_origin == "bottom")
    b = g3.to_gravity_centre(b, box_origin == "bottom")
    ra, rb = np.hypot(a[:, 3], a[:, 4]) / 2, np.hypot(b[:, 3], b[:, 4]) / 2
    apart = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) > ra[:, None] + rb[None, :] + 1e-6
    for i, j in zip(*np.nonzero(~apart)):
        out[i, j] = f(a[i], b[j])
    return out


def assert_overlaps_match(geometry, a, b, box_origin="centre", label=""):
    """softkit's IoU and IoMin against the references, to TOL; returns the reference IoU matrix."""
    out = {}
    for measure, ours in MEASURES.items():
        kwargs = {"box_origin": box_origin} if geometry != "segment" else {}
        got = ours(a, b, geometry=geometry, **kwargs)
        want = reference_matrix(geometry, measure, a, b, box_origin)
        assert got.shape == want.shape and got.dtype == np.float64
        worst = np.unravel_index(np.argmax(np.abs(got - want)), got.shape) if got.size else None
        assert np.allclose(got, want, rtol=0, atol=TOL), (
            f"{label} {geometry} {measure} ({box_origin}): worst pair {worst}: "
            f"softkit {got[worst]!r}, reference {want[worst]!r}"
        )
        out[measure] = want
    return out["iou"]


# ---------------------------------------------------------------------------------------------------
# Scenes


def car_scene(seed, n, side, z_scale=1.0):
    """n car-sized boxes over a side x side metre area (dense: most boxes overlap a neighbour)."""
    rng = np.random.default_rng(seed)
    boxes = g3.random_boxes3d(rng, n, extent=(side, side))
    boxes[:, 2] *= z_scale
    return boxes


def special_segments():
    """Identical, nested, touching, zero-length and shared-endpoint segments."""
    return np.array(
        [
            [10.0, 20.0],
            [10.0, 20.0],  # identical
            [12.0, 15.0],  # nested
            [10.0, 14.0],  # nested, sharing the start
            [20.0, 30.0],  # touching at 20
            [0.0, 10.0],  # touching at 10
            [15.0, 15.0],  # zero length inside
            [20.0, 20.0],  # zero length at an end
            [20.0, 20.0],  # the same zero-length segment
            [40.0, 40.0],  # zero length alone
            [-5.0, 25.0],  # containing everything above but the last ones
            [19.999999, 20.000001],  # tiny, across an end
            [1e6, 1e6 + 1.0],  # far away, large coordinates
            [1e6 + 0.5, 1e6 + 2.0],
        ]
    )


def jittered(rng, base, scale, weights):
    return base + rng.normal(0.0, 1.0, base.shape) * scale * weights


def policy_scene(kind, variant, seed, n):
    """(items, scores) for a geometry kind "segment" or "box" (box3d and bev share the boxes).

    "random": n items with distinct scores (segments over 600 s, boxes over 25 x 25 m).
    "near-duplicates": 3n/4 copies of one item (every 6th exact, the rest jittered by 1e-7 .. 1e-3; for
    boxes every 6th + 3 is an exact copy stacked on top of it: same bird's-eye box, touching z ranges),
    the rest random items around it, scores on a 5-level grid so that many are tied; shuffled.
    """
    rng = np.random.default_rng(seed)
    if variant == "random":
        if kind == "segment":
            return g3.random_segments(rng, n, duration=600.0), rng.random(n)
        return g3.random_boxes3d(rng, n, extent=(25.0, 25.0)), rng.random(n)
    m = 3 * n // 4
    if kind == "segment":
        base, weights = np.array([100.0, 130.0]), np.ones(2)
        rest = g3.random_segments(rng, n - m, duration=250.0)
    else:
        base, weights = np.array([10.0, 0.0, 0.0, 4.2, 1.8, 1.6, 0.4]), np.array([1, 1, 1, 1, 1, 1, 0.01])
        rest = g3.random_boxes3d(rng, n - m, extent=(20.0, 20.0))
    copies = []
    for i in range(m):
        if i % 6 == 0:
            copies.append(base.copy())
        elif kind == "box" and i % 6 == 3:
            copies.append(base + np.array([0, 0, base[5], 0, 0, 0, 0]))
        else:
            copies.append(jittered(rng, base, 10 ** rng.uniform(-7, -3), weights))
    items = np.concatenate([np.array(copies), rest])
    items = items[rng.permutation(n)]
    return items, rng.integers(1, 6, n) / 5.0


SCENE_SIZES = {("segment", "random"): 200, ("segment", "near-duplicates"): 160, ("box", "random"): 150,
               ("box", "near-duplicates"): 80}


@functools.lru_cache(maxsize=None)
def cached_scene(kind, variant, seed):
    return policy_scene(kind, variant, seed, SCENE_SIZES[kind, variant])


@functools.lru_cache(maxsize=None)
def cached_matrix(kind, variant, seed, geometry, measure, box_origin="centre"):
    """The reference overlap matrix of a cached scene, as nested lists (fast to index in greedy)."""
    items, _ = cached_scene(kind, variant, seed)
    return reference_matrix(geometry, measure, items, items, box_origin).tolist()


def kind_of(geometry):
    return "segment" if geometry == "segment" else "box"


def reference_run(matrix, scores, method, sigma=0.5, nt=0.3, threshold=0.001, max_output=None, members=None):
    """reference.greedy on the items `members` (default all) with the precomputed overlaps; returns
    [(original index, score)]."""
    members = list(range(len(scores))) if members is None else list(members)
    local = greedy(members, [float(scores[i]) for i in members], method, lambda i, j: matrix[i][j], sigma, nt,
                   threshold, max_output)
    return [(members[k], s) for k, s in local]


def scoped_reference(matrix, scores, method, labels=None, image_ids=None, max_output=None, **kwargs):
    """Images in ascending id; in each, every label on its own, merged by (-score, index), capped at max_output."""
    n = len(scores)
    labels = np.zeros(n, dtype=np.int64) if labels is None else np.asarray(labels)
    images = np.zeros(n, dtype=np.int64) if image_ids is None else np.asarray(image_ids)
    out = []
    for image in sorted(set(images.tolist())):
        merged = []
        for label in sorted(set(labels[images == image].tolist())):
            members = np.flatnonzero((images == image) & (labels == label)).tolist()
            merged.extend(reference_run(matrix, scores, method, members=members, **kwargs))
        merged.sort(key=lambda t: (-t[1], t[0]))
        out.extend(merged if max_output is None else merged[:max_output])
    return out


def assert_same(result, expected):
    idx, scores = result
    assert idx.dtype == np.int64 and scores.dtype == np.float64
    assert idx.tolist() == [i for i, _ in expected]
    np.testing.assert_allclose(scores, [s for _, s in expected], rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------------------------------
# 1. Overlaps against the references


@pytest.mark.parametrize("box_origin", ["centre", "bottom"])
@pytest.mark.parametrize("seed,z_scale", [(0, 1.0), (1, 4.0)])
@pytest.mark.parametrize("geometry", ["box3d", "bev"])
def test_box_overlaps_match_reference(geometry, seed, z_scale, box_origin):
    """160 x 120 cars over 25 x 25 m; seed 1 spreads z four times wider, so some pairs are stacked."""
    boxes = car_scene(seed, 280, 25.0, z_scale)
    a, b = boxes[:160], boxes[160:]
    want_iou = assert_overlaps_match(geometry, a, b, box_origin, f"seed {seed}")
    assert (want_iou > 0).mean() > 0.03, "the scene must have many overlapping pairs"
    assert (want_iou > 0.1).sum() >= 5


EXTRA_BOX_PAIRS = {
    # heading + pi and + 2 pi: the same footprint
    "turned-pi": ((1.0, 2.0, 0.0, 4.0, 2.0, 1.5, 0.3), (1.0, 2.0, 0.0, 4.0, 2.0, 1.5, 0.3 + math.pi)),
    "turned-2pi": ((1.0, 2.0, 0.0, 4.0, 2.0, 1.5, 0.3), (1.0, 2.0, 0.0, 4.0, 2.0, 1.5, 0.3 - 2 * math.pi)),
    # side by side, sharing an edge in the bird's-eye view: IoU 0
    "touching-bev": ((0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0), (4.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0)),
    # half a box in x and half in z: inter 2*2*0.75 = 3, union 12 + 12 - 3
    "half-shifted": ((0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0), (2.0, 0.0, 0.75, 4.0, 2.0, 1.5, 0.0)),
    # zero width (a line in the bird's-eye view) across a car
    "zero-width": ((0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.7), (0.0, 0.0, 0.0, 0.0, 3.0, 1.5, 0.1)),
    # all sizes zero: a point inside a car
    "point": ((0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.7), (0.5, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0)),
    # the same box turned by 1e-9 rad
    "turned-1e-9": ((5.0, 5.0, 1.0, 4.0, 2.0, 1.5, 0.3), (5.0, 5.0, 1.0, 4.0, 2.0, 1.5, 0.3 + 1e-9)),
    # a truck and a car, far from the origin
    "far-away": ((5000.0, -3000.0, 2.0, 12.0, 2.5, 3.5, 2.0), (5001.0, -3000.5, 1.0, 4.5, 1.9, 1.6, 2.3)),
    # crossing at right angles, partly overlapping in z
    "cross": ((0.0, 0.0, 0.0, 6.0, 1.0, 2.0, 0.0), (0.0, 0.0, 1.5, 6.0, 1.0, 2.0, math.pi / 2)),
}


@pytest.mark.parametrize("box_origin", ["centre", "bottom"])
@pytest.mark.parametrize("name", list(g3.degenerate_boxes3d()) + list(EXTRA_BOX_PAIRS))
def test_degenerate_box_pairs_match_reference(name, box_origin):
    """Both boxes against both (self-overlaps, both orders), both geometries, both measures."""
    if name in EXTRA_BOX_PAIRS:
        a, b = EXTRA_BOX_PAIRS[name]
        want_bev = want_3d = None
    else:
        a, b, want_bev, want_3d = g3.degenerate_boxes3d()[name]
    boxes = np.array([a, b], dtype=np.float64)
    if box_origin == "bottom":
        boxes[:, 2] -= boxes[:, 5] / 2  # the same boxes, given by their bottom face
    for geometry in ("box3d", "bev"):
        assert_overlaps_match(geometry, boxes, boxes, box_origin, name)
    if want_bev is not None:
        got_bev = softkit.box_iou(boxes[:1], boxes[1:], geometry="bev", box_origin=box_origin)[0, 0]
        got_3d = softkit.box_iou(boxes[:1], boxes[1:], geometry="box3d", box_origin=box_origin)[0, 0]
        assert abs(got_bev - want_bev) <= 1e-12 and abs(got_3d - want_3d) <= 1e-12, (got_bev, got_3d)


def test_half_shifted_box_by_hand():
    a, b = EXTRA_BOX_PAIRS["half-shifted"]
    boxes = np.array([a, b])
    assert softkit.box_iou(boxes[:1], boxes[1:], geometry="box3d")[0, 0] == pytest.approx(3 / 21, abs=1e-12)
    assert softkit.box_iomin(boxes[:1], boxes[1:], geometry="box3d")[0, 0] == pytest.approx(3 / 12, abs=1e-12)
    assert softkit.box_iou(boxes[:1], boxes[1:], geometry="bev")[0, 0] == pytest.approx(4 / 12, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_segment_overlaps_match_reference(seed):
    rng = np.random.default_rng(seed)
    special = special_segments()
    random = g3.random_segments(rng, 150, duration=800.0)
    a = np.vstack([special, random[:90]])
    b = np.vstack([random[60:], special[::-1], random[:5]])  # overlaps random[:90] in part
    want = assert_overlaps_match("segment", a, b, label=f"seed {seed}")
    assert (want > 0).mean() > 0.02
    assert_overlaps_match("segment", special, special, label="special")


def test_special_segments_by_hand():
    s = special_segments()
    iou = softkit.box_iou(s, s, geometry="segment")
    iomin = softkit.box_iomin(s, s, geometry="segment")
    assert iou[0, 1] == 1.0 and iou[0, 2] == pytest.approx(0.3) and iomin[0, 2] == 1.0
    assert iou[0, 4] == 0.0 and iou[0, 5] == 0.0 and iomin[0, 4] == 0.0  # touching
    assert iou[6, 6] == 0.0 and iomin[6, 6] == 0.0 and iou[7, 8] == 0.0 and iomin[0, 6] == 0.0  # zero length
    assert iou[12, 13] == pytest.approx(0.5 / 2.0, abs=1e-9) and iomin[12, 13] == pytest.approx(0.5, abs=1e-9)


def overlap_items(geometry, seed):
    if geometry == "segment":
        rng = np.random.default_rng(seed)
        s = np.vstack([special_segments(), g3.random_segments(rng, 200, duration=400.0)])
        return s[:110], s[110:]
    boxes = car_scene(seed, 220, 25.0, 2.0)
    return boxes[:120], boxes[120:]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_overlaps_are_symmetric_and_bounded(geometry):
    a, b = overlap_items(geometry, 6)
    iou = softkit.box_iou(a, b, geometry=geometry)
    iomin = softkit.box_iomin(a, b, geometry=geometry)
    for f, m in ((softkit.box_iou, iou), (softkit.box_iomin, iomin)):
        np.testing.assert_allclose(f(b, a, geometry=geometry).T, m, rtol=0, atol=1e-12)
    assert ((iou >= 0) & (iou <= 1)).all() and ((iomin >= 0) & (iomin <= 1)).all()
    assert (iomin >= iou - 1e-15).all()
    positive = a[a[:, 1] > a[:, 0]] if geometry == "segment" else a
    np.testing.assert_allclose(np.diag(softkit.box_iou(positive, positive, geometry=geometry)), 1.0, rtol=0, atol=1e-12)
    if geometry == "box3d":
        # inter_bev * h / (A_a d_a + A_b d_b - inter_bev * h) <= the BEV IoU, since h <= min(d_a, d_b)
        assert (iou <= softkit.box_iou(a, b, geometry="bev") + 1e-12).all()


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_empty_inputs(geometry):
    width = 2 if geometry == "segment" else 7
    a, b = np.zeros((0, width)), overlap_items(geometry, 0)[0][:3]
    for f in MEASURES.values():
        assert f(a, b, geometry=geometry).shape == (0, 3)
        assert f(b, a, geometry=geometry).shape == (3, 0)
    assert softkit.nms(a, np.zeros(0), 0.5, geometry=geometry).shape == (0,)
    idx, scores = softkit.soft_nms(a, np.zeros(0), geometry=geometry)
    assert idx.shape == scores.shape == (0,) and idx.dtype == np.int64


# Finite items whose lengths or volumes float64 cannot hold: refused, with the item, the field and
# "rescale" in the message, never an IoU of 0 or NaN.
OVERFLOWING_ITEMS = {
    "box3d": [([[0.0, 0.0, 0.0, 1e308, 2.0, 1.5, 0.0]] * 2, "boxes3d[0].dx = 1e308"),
              ([[0.0, 0.0, 0.0, 1e200, 1e200, 1.5, 0.0]] * 2, "boxes3d[0].dx = 1e200"),
              ([[0.0, 0.0, 0.0, 1e103, 1e103, 1e103, 0.0]] * 2, "boxes3d[0].dx = 1e103"),
              ([[0.0, 0.0, 0.0, 1e-110, 1e-110, 1e-110, 0.0]] * 2, "boxes3d[0].dx = 1e-110")],
    "bev": [([[0.0, 0.0, 0.0, 1e308, 2.0, 1.5, 0.0]] * 2, "boxes3d[0].dx = 1e308"),
            ([[0.0, 0.0, 0.0, 1e200, 1e200, 1.5, 0.0]] * 2, "boxes3d[0].dx = 1e200")],
    "segment": [([[-1e308, 1e308]] * 2, "segments[0].end = 1e308")],
}
# The largest items accepted: their overlaps are exact.
LARGEST_ITEMS = {
    "box3d": [[0.0, 0.0, 0.0, 1e100, 1e100, 1e100, 0.0], [5e99, 0.0, 0.0, 1e100, 1e100, 1e100, 0.0]],
    "bev": [[0.0, 0.0, 0.0, 1e100, 1e100, 1e100, 0.0], [5e99, 0.0, 0.0, 1e100, 1e100, 1e100, 0.0]],
    "segment": [[-4e307, 4e307], [0.0, 8e307]],
}


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_items_whose_sizes_overflow_are_refused(geometry):
    for items, named in OVERFLOWING_ITEMS[geometry]:
        for f in MEASURES.values():
            with pytest.raises(ValueError) as info:
                f(np.array(items), np.array(items), geometry=geometry)
            assert named in str(info.value) and "rescale" in str(info.value), str(info.value)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_largest_accepted_items_give_exact_overlaps(geometry):
    items = np.array(LARGEST_ITEMS[geometry])
    # Each pair overlaps by half its first item's extent along x: IoU 1/3, IoMin 1/2.
    iou, iomin = softkit.box_iou(items, items, geometry=geometry), softkit.box_iomin(items, items, geometry=geometry)
    np.testing.assert_allclose(iou, [[1.0, 1 / 3], [1 / 3, 1.0]], rtol=1e-12)
    np.testing.assert_allclose(iomin, [[1.0, 0.5], [0.5, 1.0]], rtol=1e-12)


# ---------------------------------------------------------------------------------------------------
# 2. Suppression policies against reference.greedy

POLICIES = [(m, k) for m in ("hard", "linear", "gaussian") for k in ("iou", "iomin")]


@pytest.mark.parametrize("method,measure", POLICIES)
@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("variant", ["random", "near-duplicates"])
def test_soft_nms_matches_reference(variant, geometry, method, measure):
    kind = kind_of(geometry)
    items, scores = cached_scene(kind, variant, 10)
    kwargs = {"iou_threshold": 0.3, "sigma": 0.5, "score_threshold": 0.001}
    if method == "linear" and measure == "iomin":
        kwargs["iou_threshold"] = 0.5
    matrix = cached_matrix(kind, variant, 10, geometry, measure)
    expected = reference_run(matrix, scores, method, kwargs["sigma"], kwargs["iou_threshold"], kwargs["score_threshold"])
    result = softkit.soft_nms(items, scores, method=method, measure=measure, geometry=geometry, **kwargs)
    assert_same(result, expected)
    if variant == "near-duplicates":
        assert len(expected) < len(items) * 3 // 4, "the copies must suppress each other"


def test_near_duplicate_boxes_tell_box3d_from_bev():
    """The stacked copies survive hard 3-D NMS but not bird's-eye NMS."""
    items, scores = cached_scene("box", "near-duplicates", 10)
    kept3d = softkit.nms(items, scores, 0.5, geometry="box3d")
    kept_bev = softkit.nms(items, scores, 0.5, geometry="bev")
    assert len(kept3d) > len(kept_bev)


@pytest.mark.parametrize("geometry,box_origin", [("segment", "centre"), ("box3d", "bottom"), ("bev", "bottom"),
                                                 ("box3d", "centre")])
def test_soft_nms_parameters_match_reference(geometry, box_origin):
    """Other sigma, threshold, score_threshold and max_output, on one scene; mmdet3d boxes for box3d."""
    kind = kind_of(geometry)
    items, scores = cached_scene(kind, "random", 20)
    extra = {} if geometry == "segment" else {"box_origin": box_origin}
    for method, measure, sigma, nt, threshold, max_output in (
        ("gaussian", "iou", 0.1, 0.3, 0.05, None),
        ("gaussian", "iomin", 2.0, 0.3, 0.2, 25),
        ("linear", "iou", 0.5, 0.1, 0.01, 40),
        ("linear", "iomin", 0.5, 0.0, 0.01, None),
        ("hard", "iou", 0.5, 0.6, 0.3, 17),
        ("hard", "iou", 0.5, 0.0, 0.001, None),
        ("hard", "iomin", 0.5, 0.2, -math.inf, 0),
    ):
        matrix = cached_matrix(kind, "random", 20, geometry, measure, box_origin)
        expected = reference_run(matrix, scores, method, sigma, nt, threshold, max_output)
        result = softkit.soft_nms(items, scores, method=method, measure=measure, sigma=sigma, iou_threshold=nt,
                                  score_threshold=threshold, max_output=max_output, geometry=geometry, **extra)
        assert_same(result, expected)
        if max_output is not None:
            assert len(expected) == max_output


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("method", ["gaussian", "hard"])
def test_scoped_soft_nms_matches_reference(geometry, method):
    """labels alone, image_ids alone, and both with max_output: scopes never interact, images come in
    ascending id, each image capped at max_output."""
    kind = kind_of(geometry)
    items, scores = cached_scene(kind, "random", 10)
    matrix = cached_matrix(kind, "random", 10, geometry, "iou")
    rng = np.random.default_rng(30)
    labels = rng.integers(0, 3, len(scores))
    images = rng.choice([42, 7, 19], len(scores))
    for kwargs in (
        {"labels": labels},
        {"image_ids": images},
        {"labels": labels, "max_output": 12},
        {"labels": labels, "image_ids": images, "max_output": 9},
    ):
        expected = scoped_reference(matrix, scores, method, nt=0.3, threshold=0.001, **kwargs)
        result = softkit.soft_nms(items, scores, method=method, iou_threshold=0.3, geometry=geometry, **kwargs)
        assert_same(result, expected)


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("variant", ["random", "near-duplicates"])
def test_nms_matches_reference(geometry, variant):
    kind = kind_of(geometry)
    items, scores = cached_scene(kind, variant, 10)
    matrix = cached_matrix(kind, variant, 10, geometry, "iou")
    for threshold in (0.0, 0.3, 0.5, 0.7, 1.0):
        expected = [i for i, _ in reference_run(matrix, scores, "hard", nt=threshold, threshold=-math.inf)]
        got = softkit.nms(items, scores, threshold, geometry=geometry)
        assert got.dtype == np.int64 and got.tolist() == expected, threshold


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_batched_nms_matches_reference(geometry):
    kind = kind_of(geometry)
    items, scores = cached_scene(kind, "random", 10)
    matrix = cached_matrix(kind, "random", 10, geometry, "iou")
    labels = np.random.default_rng(31).integers(0, 4, len(scores))
    expected = [i for i, _ in scoped_reference(matrix, scores, "hard", labels=labels, nt=0.4, threshold=-math.inf)]
    assert softkit.batched_nms(items, scores, labels, 0.4, geometry=geometry).tolist() == expected


def test_nms_reads_bottom_origin_boxes():
    items, scores = cached_scene("box", "random", 20)
    matrix = cached_matrix("box", "random", 20, "box3d", "iou", "bottom")
    for threshold in (0.1, 0.3, 0.5):
        expected = [i for i, _ in reference_run(matrix, scores, "hard", nt=threshold, threshold=-math.inf)]
        assert softkit.nms(items, scores, threshold, geometry="box3d", box_origin="bottom").tolist() == expected
        labels = (np.arange(len(scores)) % 3)
        want = [i for i, _ in scoped_reference(matrix, scores, "hard", labels=labels, nt=threshold, threshold=-math.inf)]
        got = softkit.batched_nms(items, scores, labels, threshold, geometry="box3d", box_origin="bottom")
        assert got.tolist() == want


# ---------------------------------------------------------------------------------------------------
# 3. Consistency between geometries

BEV_COLUMNS = [0, 1, 3, 4, 6]


@pytest.mark.parametrize("box_origin", ["centre", "bottom"])
def test_bev_equals_rotated(box_origin):
    boxes = car_scene(4, 220, 25.0, 3.0)
    a, b = boxes[:120], boxes[120:]
    ra, rb = a[:, BEV_COLUMNS], b[:, BEV_COLUMNS]
    for f in (softkit.box_iou, softkit.box_iomin, softkit.generalized_box_iou):
        np.testing.assert_allclose(f(a, b, geometry="bev", box_origin=box_origin), f(ra, rb, geometry="rotated"),
                                   rtol=0, atol=1e-12, err_msg=f.__name__)
    scores = np.random.default_rng(4).random(len(a))
    for threshold in (0.1, 0.5):
        np.testing.assert_array_equal(softkit.nms(a, scores, threshold, geometry="bev", box_origin=box_origin),
                                      softkit.nms(ra, scores, threshold, geometry="rotated"))
    for method in ("linear", "gaussian"):
        ours = softkit.soft_nms(a, scores, method=method, geometry="bev", box_origin=box_origin)
        theirs = softkit.soft_nms(ra, scores, method=method, geometry="rotated")
        np.testing.assert_array_equal(ours[0], theirs[0])
        np.testing.assert_allclose(ours[1], theirs[1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("box_origin", ["centre", "bottom"])
def test_box3d_with_one_z_range_equals_bev(box_origin):
    boxes = car_scene(5, 220, 25.0)
    boxes[:, 2], boxes[:, 5] = 0.4, 1.7
    a, b = boxes[:120], boxes[120:]
    for f in MEASURES.values():
        np.testing.assert_allclose(f(a, b, geometry="box3d", box_origin=box_origin),
                                   f(a, b, geometry="bev", box_origin=box_origin), rtol=0, atol=1e-12)


def test_bottom_origin_equals_centre_origin_of_the_gravity_centres():
    boxes = car_scene(7, 220, 25.0, 3.0)
    centred = g3.to_gravity_centre(boxes)
    a, b, ca, cb = boxes[:120], boxes[120:], centred[:120], centred[120:]
    for f in MEASURES.values():
        np.testing.assert_allclose(f(a, b, geometry="box3d", box_origin="bottom"), f(ca, cb, geometry="box3d"),
                                   rtol=0, atol=1e-12)
        np.testing.assert_array_equal(f(a, b, geometry="bev", box_origin="bottom"), f(a, b, geometry="bev"))
    # read as centres, the same numbers are other boxes (z differs by dz / 2 and the dz differ)
    assert np.abs(softkit.box_iou(a, b, geometry="box3d") - softkit.box_iou(ca, cb, geometry="box3d")).max() > 1e-3


def test_box_origin_aliases():
    """"center" and "gravity" read as "centre", "lidar" as "bottom"."""
    boxes = car_scene(3, 60, 15.0, 3.0)
    for alias, name in (("center", "centre"), ("gravity", "centre"), ("lidar", "bottom")):
        for geometry in ("box3d", "bev"):
            np.testing.assert_array_equal(softkit.box_iou(boxes, boxes, geometry=geometry, box_origin=alias),
                                          softkit.box_iou(boxes, boxes, geometry=geometry, box_origin=name))


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_overlaps_are_invariant_under_rigid_motion(geometry):
    a, b = overlap_items(geometry, 8)
    a, b = a[np.all(np.abs(a) < 1e5, axis=1)], b[np.all(np.abs(b) < 1e5, axis=1)]
    if geometry == "segment":
        moves = [lambda s: s + 250.0, lambda s: -s[:, ::-1]]  # shift, mirror
    else:
        theta, c, s = 0.7, math.cos(0.7), math.sin(0.7)

        def turn(x):
            out = x.copy()
            out[:, 0], out[:, 1] = c * x[:, 0] - s * x[:, 1] + 12.0, s * x[:, 0] + c * x[:, 1] - 7.0
            out[:, 6] += theta
            return out

        def lift(x):
            return x + np.array([0, 0, 31.5, 0, 0, 0, 0])

        def flip(x):  # heading + pi and - 2 pi: the same boxes
            return x + np.array([0, 0, 0, 0, 0, 0, math.pi]) * np.where(np.arange(len(x)) % 2, 1, -2)[:, None]

        moves = [turn, lift, flip]
    for move in moves:
        for f in MEASURES.values():
            np.testing.assert_allclose(f(move(a), move(b), geometry=geometry), f(a, b, geometry=geometry),
                                       rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------------------------------
# 4. Bad input

SEG = np.array([[0.0, 10.0], [5.0, 15.0]])
CAR = np.array([[0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.3], [1.0, 0.5, 0.2, 4.2, 1.8, 1.6, 0.5]])


def with_value(items, row, col, value):
    out = np.array(items, dtype=np.float64)
    out[row, col] = value
    return out


BAD_INPUT = [
    ("end before start", ValueError, "segments[0].end = 1 is less than start = 3",
     lambda: softkit.box_iou(np.array([[3.0, 1.0]]), SEG, geometry="segment")),
    ("end before start in nms", ValueError, "segments[1].end = 4 is less than start = 5",
     lambda: softkit.nms(np.array([[0.0, 1], [5, 4]]), [0.5, 0.4], 0.5, geometry="segment")),
    ("end before start in soft_nms", ValueError, "segments[0].end = -2 is less than start = -1",
     lambda: softkit.soft_nms(np.array([[-1.0, -2]]), [0.5], geometry="segment")),
    ("negative dz", ValueError, "boxes3d[1].dz = -1 is invalid: a size >= 0",
     lambda: softkit.box_iou(with_value(CAR, 1, 5, -1), CAR, geometry="box3d")),
    ("negative dx in bev nms", ValueError, "boxes3d[0].dx = -0.5 is invalid: a size >= 0",
     lambda: softkit.nms(with_value(CAR, 0, 3, -0.5), [0.5, 0.4], 0.5, geometry="bev")),
    ("negative dy in box_iomin", ValueError, "boxes3d[1].dy = -2 is invalid: a size >= 0",
     lambda: softkit.box_iomin(CAR, with_value(CAR, 1, 4, -2), geometry="box3d")),
    ("negative dz in bev", ValueError, "boxes3d[0].dz = -1 is invalid: a size >= 0",
     lambda: softkit.box_iou(with_value(CAR, 0, 5, -1), CAR, geometry="bev")),
    ("negative dz, bottom origin", ValueError, "boxes3d[1].dz = -3 is invalid: a size >= 0",
     lambda: softkit.soft_nms(with_value(CAR, 1, 5, -3), [0.5, 0.4], geometry="box3d", box_origin="bottom")),
    ("NaN heading", ValueError, "boxes3d[0].heading = NaN is invalid: a finite number",
     lambda: softkit.box_iou(with_value(CAR, 0, 6, np.nan), CAR, geometry="box3d")),
    ("inf x in batched_nms", ValueError, "boxes3d[1].x = inf is invalid: a finite number",
     lambda: softkit.batched_nms(with_value(CAR, 1, 0, np.inf), [0.5, 0.4], [0, 0], 0.5, geometry="box3d")),
    ("-inf z in bev", ValueError, "boxes3d[0].z = -inf is invalid: a finite number",
     lambda: softkit.box_iomin(with_value(CAR, 0, 2, -np.inf), CAR, geometry="bev")),
    ("NaN start", ValueError, "segments[1].start = NaN is invalid: a finite number",
     lambda: softkit.box_iou(SEG, with_value(SEG, 1, 0, np.nan), geometry="segment")),
    ("inf end", ValueError, "segments[0].end = inf is invalid: a finite number",
     lambda: softkit.soft_nms(with_value(SEG, 0, 1, np.inf), [0.5, 0.4], geometry="segment")),
    ("(N, 5) as box3d", ValueError, "boxes1 must have shape (N, 7) (x, y, z, dx, dy, dz, heading), got (2, 5)",
     lambda: softkit.box_iou(np.zeros((2, 5)), CAR, geometry="box3d")),
    ("(N, 5) as bev in nms", ValueError, "boxes must have shape (N, 7) (x, y, z, dx, dy, dz, heading), got (2, 5)",
     lambda: softkit.nms(np.zeros((2, 5)), [0.5, 0.4], 0.5, geometry="bev")),
    ("1-D box3d", ValueError, "boxes2 must have shape (N, 7) (x, y, z, dx, dy, dz, heading), got (7,)",
     lambda: softkit.box_iomin(CAR, CAR[0], geometry="box3d")),
    ("(N, 7, 1) box3d", ValueError, "must have shape (N, 7)",
     lambda: softkit.soft_nms(CAR[:, :, None], [0.5, 0.4], geometry="box3d")),
    ("(N, 3) as segment", ValueError, "boxes must have shape (N, 2) (start, end), got (2, 3)",
     lambda: softkit.nms(np.zeros((2, 3)), [0.5, 0.4], 0.5, geometry="segment")),
    ("(N, 7) as segment", ValueError, "boxes1 must have shape (N, 2) (start, end), got (2, 7)",
     lambda: softkit.box_iou(CAR, SEG, geometry="segment")),
    ("1-D segment", ValueError, "boxes1 must have shape (N, 2) (start, end), got (2,)",
     lambda: softkit.box_iou(np.array([0.0, 1.0]), SEG, geometry="segment")),
    ("giou of segments", ValueError, 'measure = "giou" is invalid',
     lambda: softkit.generalized_box_iou(SEG, SEG, geometry="segment")),
    ("giou of 3-D boxes", ValueError, 'measure = "giou" is invalid',
     lambda: softkit.generalized_box_iou(CAR, CAR, geometry="box3d")),
    ("giou soft_nms on segments", ValueError, 'measure = "giou" is invalid',
     lambda: softkit.soft_nms(SEG, [0.5, 0.4], geometry="segment", measure="giou")),
    ("giou soft_nms on 3-D boxes", ValueError, 'measure = "giou" is invalid',
     lambda: softkit.soft_nms(CAR, [0.5, 0.4], geometry="box3d", measure="giou")),
    ("diou on 3-D boxes", ValueError, 'measure = "diou" is invalid',
     lambda: softkit.soft_nms(CAR, [0.5, 0.4], geometry="box3d", measure="diou")),
    ("unknown box origin", ValueError,
     "box_origin = 'top' is invalid: expected one of 'centre', 'center', 'gravity', 'bottom', 'lidar'",
     lambda: softkit.box_iou(CAR, CAR, geometry="box3d", box_origin="top")),
    ("unknown box origin in nms", ValueError, "box_origin = 'middle' is invalid",
     lambda: softkit.nms(CAR, [0.5, 0.4], 0.5, geometry="bev", box_origin="middle")),
    ("pixel_offset with segments", ValueError, "pixel_offset = 1.0 is only defined for geometry='box'",
     lambda: softkit.box_iou(SEG, SEG, pixel_offset=1.0, geometry="segment")),
    ("pixel_offset with box3d", ValueError, "pixel_offset = 1.0 is only defined for geometry='box'",
     lambda: softkit.soft_nms(CAR, [0.5, 0.4], pixel_offset=1.0, geometry="box3d")),
    ("NaN score", ValueError, "scores[1] = NaN is not finite",
     lambda: softkit.soft_nms(CAR, [0.5, np.nan], geometry="box3d")),
    ("NaN score in segment nms", ValueError, "scores[0] = NaN is not finite",
     lambda: softkit.nms(SEG, [np.nan, 0.5], 0.5, geometry="segment")),
    ("scores of the wrong length", ValueError, "scores has 1 entries but boxes has 2",
     lambda: softkit.nms(CAR, [0.5], 0.5, geometry="box3d")),
    ("labels of the wrong length", ValueError, "labels has 3 entries but boxes has 2",
     lambda: softkit.batched_nms(SEG, [0.5, 0.4], [1, 2, 3], 0.5, geometry="segment")),
    ("image_ids of the wrong length", ValueError, "image_ids has 1 entries but boxes has 2",
     lambda: softkit.soft_nms(CAR, [0.5, 0.4], image_ids=[1], geometry="bev")),
    ("negative max_output", ValueError, "max_output = -1 is invalid",
     lambda: softkit.soft_nms(SEG, [0.5, 0.4], max_output=-1, geometry="segment")),
    ("unknown method", ValueError, 'method = "soft" is invalid: expected "gaussian", "linear", "hard", "matrix", "matrix-linear", "fast", "cluster", "cluster-spm"',
     lambda: softkit.soft_nms(SEG, [0.5, 0.4], method="soft", geometry="segment")),
    ("strings as boxes", TypeError, "boxes1 must hold numbers, got dtype <U1",
     lambda: softkit.box_iou(np.array([["a"] * 7]), CAR, geometry="box3d")),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_names_the_item(case):
    _, error, message, call = case
    with pytest.raises(error, match=re.escape(message)) as info:
        call()
    assert not isinstance(info.value, RuntimeError)


def every_call(items, geometry, other, box_origin="centre"):
    """Every public function on `items` (and `other` as the second operand)."""
    extra = {} if geometry == "segment" else {"box_origin": box_origin}
    n = len(items)
    scores = np.linspace(0.9, 0.1, n) if n else np.zeros(0)
    labels, images = np.arange(n) % 2, np.arange(n) % 3
    return {
        "box_iou": lambda: softkit.box_iou(items, other, geometry=geometry, **extra),
        "box_iou (second)": lambda: softkit.box_iou(other, items, geometry=geometry, **extra),
        "box_iomin": lambda: softkit.box_iomin(items, other, geometry=geometry, **extra),
        "nms": lambda: softkit.nms(items, scores, 0.5, geometry=geometry, **extra),
        "batched_nms": lambda: softkit.batched_nms(items, scores, labels, 0.5, geometry=geometry, **extra),
        "soft_nms": lambda: softkit.soft_nms(items, scores, labels=labels, image_ids=images, max_output=3,
                                             measure="iomin", geometry=geometry, **extra),
    }


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_number_anywhere_is_named(geometry, value):
    """A NaN / inf in any row and column: a ValueError naming the row and field, from every function."""
    fields, good = (SEGMENT_FIELDS, SEG) if geometry == "segment" else (BOX_FIELDS, CAR)
    kind = "segments" if geometry == "segment" else "boxes3d"
    shown = {"nan": "NaN", "inf": "inf", "-inf": "-inf"}[str(value)]
    for row in range(len(good)):
        for col, field in enumerate(fields):
            bad = with_value(good, row, col, value)
            for origin in (("centre",) if geometry == "segment" else ("centre", "bottom")):
                for name, call in every_call(bad, geometry, good, origin).items():
                    with pytest.raises(ValueError) as info:
                        call()
                    message = f"{kind}[{row}].{field} = {shown} is invalid: a finite number"
                    assert message in str(info.value), (name, str(info.value))


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_fuzzed_input_is_accepted_or_rejected_by_the_rules(geometry):
    """Rows mixing NaN, inf, negative, huge and tiny numbers: softkit raises ValueError exactly when a
    number is not finite, a size is negative, a segment ends before it starts, a segment's length or a
    3-D box's magnitude (beyond 1e100) would overflow, or a 3-D box's volume underflows, and never anything else
    (a Rust panic would surface as pyo3's PanicException, a BaseException)."""
    rng = np.random.default_rng(9)
    specials = np.array([np.nan, np.inf, -np.inf, -1.0, -0.0, 0.0, 1e308, -1e308, 5e-324, 1e-300, 3.0, 1e16])
    good = SEG if geometry == "segment" else CAR
    width = good.shape[1]
    for trial in range(150):
        items = np.repeat(good, 2, axis=0)[rng.permutation(4)[: rng.integers(1, 5)]]
        mask = rng.random(items.shape) < 0.15
        items[mask] = rng.choice(specials, mask.sum())
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            if geometry == "segment":
                lengths = items[:, 1] - items[:, 0]
                invalid = ~np.isfinite(items).all() or (lengths < 0).any() or (lengths > np.finfo(float).max / 2).any()
            else:
                sizes = items[:, 3:6]
                volumes = sizes.prod(axis=1)
                invalid = (~np.isfinite(items).all() or (np.abs(items[:, :6]) > 1e100).any() or (sizes < 0).any()
                           or ((sizes > 0).all(axis=1) & (volumes < np.finfo(float).tiny)).any())
        origin = "bottom" if trial % 2 else "centre"
        for name, call in every_call(items, geometry, good, origin).items():
            try:
                out = call()
            except ValueError:
                assert invalid, (name, items.tolist())
                continue
            assert not invalid, (name, items.tolist())
            if isinstance(out, tuple):
                assert out[0].dtype == np.int64 and out[1].dtype == np.float64 and len(out[0]) <= len(items)
            else:
                assert out.dtype in (np.int64, np.float64)
        assert items.shape[1] == width


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_inputs_are_not_modified(geometry):
    items, scores = cached_scene(kind_of(geometry), "random", 10)
    items, scores = items[:60].copy(), scores[:60].copy()
    labels = np.arange(60) % 4
    before = (items.copy(), scores.copy(), labels.copy())
    for origin in (("centre",) if geometry == "segment" else ("centre", "bottom")):
        for call in every_call(items, geometry, items, origin).values():
            call()
        extra = {} if geometry == "segment" else {"box_origin": origin}
        softkit.soft_nms(items, scores, labels=labels, geometry=geometry, **extra)
        softkit.nms(items, scores, 0.3, geometry=geometry, **extra)
        softkit.batched_nms(items, scores, labels, 0.3, geometry=geometry, **extra)
        softkit.box_iou(items, items, geometry=geometry, **extra)
    for now, then in zip((items, scores, labels), before):
        np.testing.assert_array_equal(now, then)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_layouts_give_the_same_result(geometry):
    """float32, int, lists, Fortran order and strided views read as the same float64 rows."""
    items, scores = cached_scene(kind_of(geometry), "random", 10)
    items = items[:50]
    other = items[::-1].copy()
    f32 = items.astype(np.float32)
    layouts = {
        "fortran order": (np.asfortranarray(items), items),
        "strided view": (np.repeat(items, 2, axis=0)[::2], items),
        "nested lists": (items.tolist(), items),
        "float32": (f32, f32.astype(np.float64)),
        "int64": (np.round(items).astype(np.int64), np.round(items)),
    }
    for label, (layout, same) in layouts.items():
        for f in MEASURES.values():
            np.testing.assert_array_equal(f(layout, other, geometry=geometry), f(same, other, geometry=geometry),
                                          err_msg=label)
        np.testing.assert_array_equal(softkit.nms(layout, scores[:50], 0.3, geometry=geometry),
                                      softkit.nms(same, scores[:50], 0.3, geometry=geometry), err_msg=label)
