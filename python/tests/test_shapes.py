"""Rotated boxes and polygons: softkit against shapely (shape_reference.py) and two peers.

Overlaps (IoU, GIoU with the pair's convex hull, IoMin) are compared with GEOS' exact clip, the
suppression policies with shape_reference.suppress / nms run on the same overlap, hard NMS with
powerboxes 0.3.1 and OpenCV 5 NMSBoxesRotated on the scenes where those are exact, and bad input
with the messages softkit promises. Every scene is seeded.
"""

import math
import re

import cv2
import numpy as np
import powerboxes
import pytest

import shape_reference as ref
import softkit

OVERLAPS = {
    "iou": (softkit.box_iou, ref.iou),
    "giou": (softkit.generalized_box_iou, ref.giou),
    "iomin": (softkit.box_iomin, ref.iomin),
}
TOL = 1e-6  # absolute, on IoU / GIoU / IoMin against shapely


def reference_matrix(overlap, a, b):
    pa, pb = [ref.polygon(x) for x in a], [ref.polygon(x) for x in b]
    return np.array([[overlap(p, q) for q in pb] for p in pa], dtype=np.float64).reshape(len(pa), len(pb))


def assert_overlaps_match(geometry, a, b, label=""):
    """The three softkit matrices against shapely, to TOL; returns the reference IoU matrix."""
    out = {}
    for name, (ours, theirs) in OVERLAPS.items():
        got = ours(a, b, geometry=geometry)
        want = reference_matrix(theirs, a, b)
        assert got.shape == want.shape and got.dtype == np.float64
        worst = np.unravel_index(np.argmax(np.abs(got - want)), got.shape) if got.size else None
        assert np.allclose(got, want, rtol=0, atol=TOL), (
            f"{label} {name}: worst pair {worst}: softkit {got[worst]!r}, shapely {want[worst]!r}"
        )
        out[name] = want
    return out["iou"]


def corners(rboxes):
    return np.array([ref.rbox_corners(*b) for b in rboxes]).reshape(-1, 4, 2)


def rigid(points, theta, shift):
    c, s = math.cos(theta), math.sin(theta)
    return points @ np.array([[c, s], [-s, c]]) + shift


# ---------------------------------------------------------------------------------------------------
# 1. Overlaps against shapely


def overlap_scene(kind, seed):
    """(geometry, a, b): two dense lists of shapes (most pairs of the same region overlap)."""
    rng = np.random.default_rng(seed)
    if kind == "rotated":
        return "rotated", ref.random_rboxes(rng, 30, 70), ref.random_rboxes(rng, 24, 70)
    if kind == "dota-quads":
        # DOTA's 8 numbers: convex quadrilaterals, half of them listed in the other orientation.
        quads = ref.random_convex_polygons(rng, 50, 70, k=4)
        quads[::2] = quads[::2, ::-1]
        flat = quads.reshape(50, 8)
        return "polygon", flat[:28], flat[28:]
    gen, kwargs = {
        "convex-8gons": (ref.random_convex_polygons, {"k": 8}),
        "star-32rays": (ref.random_star_polygons, {"rays": 32}),
        "simple-12gons": (ref.random_simple_polygons, {"k": 12}),
    }[kind]
    return "polygon", gen(rng, 24, 70, **kwargs), gen(rng, 20, 70, **kwargs)


@pytest.mark.parametrize("kind", ["rotated", "dota-quads", "convex-8gons", "star-32rays", "simple-12gons"])
@pytest.mark.parametrize("seed", [0, 1])
def test_overlaps_match_shapely(kind, seed):
    geometry, a, b = overlap_scene(kind, seed)
    want_iou = assert_overlaps_match(geometry, a, b, kind)
    assert (want_iou > 0).mean() > 0.15, "the scene must have many overlapping pairs"


STAR = ref.random_star_polygons(np.random.default_rng(5), 1, 100)[0]
COMB = np.array([[0.0, 0], [30, 0], [30, 20], [20, 20], [20, 5], [10, 5], [10, 20], [0, 20]])
EXTRA_PAIRS = [
    # A vertex in the middle of an edge, and a repeated consecutive vertex, on both sides.
    ("collinear-vertex", np.array([[0.0, 0], [5, 0], [10, 0], [10, 10], [0, 10]]),
     np.array([[5.0, 5], [15, 5], [15, 15], [5, 15]])),
    ("duplicate-vertex", np.array([[0.0, 0], [10, 0], [10, 0], [10, 10], [0, 10]]),
     np.array([[5.0, 5], [15, 5], [15, 15], [5, 15], [5, 15]])),
    # Non-convex shapes sharing part of an edge, and a non-convex shape inside a non-convex one.
    ("shared-partial-edge", np.array([[0.0, 0], [10, 0], [10, 10], [5, 5], [0, 10]]),
     np.array([[10.0, 2], [20, 2], [20, 8], [10, 8]])),
    ("comb-in-comb", COMB, np.array([[2.0, 2], [28, 2], [28, 18], [22, 18], [22, 3], [8, 3], [8, 18], [2, 18]])),
    # The same star, and the star turned by 1e-7 rad about (50, 50).
    ("star-identical", STAR, STAR.copy()),
    ("star-turned-1e-7", STAR, rigid(STAR - 50, 1e-7, 50.0)),
    # A square turned by 45 degrees inscribed in another: its corners touch the middle of the edges.
    ("inscribed-square", ref.rbox_corners(0, 0, 20, 20, 0.0),
     ref.rbox_corners(0, 0, 20 / math.sqrt(2), 20 / math.sqrt(2), math.pi / 4)),
]
PAIRS = {name: (a, b) for name, a, b in ref.degenerate_pairs() + EXTRA_PAIRS}


@pytest.mark.parametrize("name", list(PAIRS))
def test_degenerate_pairs_match_shapely(name):
    """Both shapes against both (self-overlaps, both orders) for every measure."""
    a, b = PAIRS[name]
    if isinstance(a, tuple):
        shapes, geometry = np.array([a, b]), "rotated"
    else:
        shapes, geometry = [np.asarray(a), np.asarray(b)], "polygon"
    assert_overlaps_match(geometry, shapes, shapes, name)


def sliver_pair(case, width):
    """A 20 x 20 square and a triangular sliver `width` thick, inside it or across its right edge."""
    square = np.array([[0.0, 0], [20, 0], [20, 20], [0, 20]])
    x0 = 5.0 if case == "inside" else 15.0
    return [square, np.array([[x0, 5], [x0 + 10, 5 + width], [x0, 5 + 2 * width]])]


@pytest.mark.parametrize("case", ["inside", "crossing"])
@pytest.mark.parametrize("width", [1e-9, 1e-12])
def test_thin_polygons_match_shapely(case, width):
    """Slivers thinner than degenerate_pairs' 1e-6, given by exact vertices. IoMin divides by the
    sliver's area, so an intersection area off by eps * 20**2 shows; GEOS returns the contained
    sliver itself (IoMin exactly 1 inside, 0.75 across)."""
    shapes = sliver_pair(case, width)
    assert_overlaps_match("polygon", shapes, shapes, f"{case} {width}")


@pytest.mark.parametrize("width", [1e-6, 1e-8, 1e-10, 1e-12, 1e-14])
def test_thin_rotated_box_overlaps_itself_fully(width):
    """A rotated box against itself: IoU = GIoU = IoMin = 1 (to TOL), however thin it is.

    (shapely cannot be the reference here: the corners of a 1e-12-thin box already carry a relative
    area error of 1e-4 in float64; softkit's own polygon geometry gives exactly 1 on those corners.)
    """
    boxes = np.array([[50.0, 50, width, 8, 0.0], [0, 0, width, 8, 0.3], [50, 50, 8, width, 1.0]])
    for name, (f, _) in OVERLAPS.items():
        values = np.array([f(b[None], b[None], geometry="rotated")[0, 0] for b in boxes])
        assert np.allclose(values, 1.0, rtol=0, atol=TOL), (name, values.tolist())
        np.testing.assert_array_equal(f(corners(boxes), corners(boxes), geometry="polygon").diagonal(), 1.0)


@pytest.mark.parametrize("width", [1e-16, 1e-100, 1e-300])
def test_iomin_of_a_sub_ulp_sliver_is_at_most_one(width):
    """A rotated box thinner than an ulp of its corners: its corners collapse (shapely and softkit's
    own polygon geometry say area 0, overlaps 0), and IoMin must still be a fraction."""
    a, b = np.array([[0.0, 0, 20, 20, 0]]), np.array([[0.0, 0, width, 8, 0.3]])
    for f, _ in OVERLAPS.values():
        value = f(a, b, geometry="rotated")[0, 0]
        assert 0.0 <= value <= 1.0, (f.__name__, value)


def test_a_subnormal_side_is_refused():
    """A side below 2.2e-308 has lost digits, and half of the smallest is 0: refused, and named."""
    a, b = np.array([[0.0, 0, 20, 20, 0]]), np.array([[0.0, 0, 1e-308, 8, 0.3]])
    with pytest.raises(ValueError, match=r"boxes2: rboxes\[0\]\.w = 1e-308 is invalid.*rescale the coordinates"):
        softkit.box_iomin(a, b, geometry="rotated")


@pytest.mark.parametrize("case", ["identical-rotated", "identical-stars", "nested-simple-polygons"])
def test_overlaps_of_identical_and_nested_shapes_are_at_most_one(case):
    """IoU and IoMin are fractions: a shape against itself or inside another gives 1, not 1 + ulps."""
    rng = np.random.default_rng(8)
    if case == "identical-rotated":
        boxes = ref.random_rboxes(rng, 300, 100)
        values = np.array([softkit.box_iou(b[None], b[None], geometry="rotated")[0, 0] for b in boxes])
        worst = boxes[np.argmax(values)].tolist()
    elif case == "identical-stars":
        stars = ref.random_star_polygons(rng, 300, 100)
        values = np.diag(softkit.box_iou(stars, stars, geometry="polygon"))
        worst = stars[np.argmax(values)].tolist()
    else:
        _, a, b = overlap_scene("simple-12gons", 6)
        values = softkit.box_iomin(a, b, geometry="polygon")
        i, j = np.unravel_index(np.argmax(values), values.shape)
        worst = (a[i].tolist(), b[j].tolist())
    assert values.max() <= 1.0, (repr(values.max()), worst)


def test_polygon_layouts_give_the_same_matrix():
    rng = np.random.default_rng(2)
    stars = ref.random_star_polygons(rng, 12, 60, rays=16)
    other = ref.random_convex_polygons(rng, 9, 60, k=6)
    n, k = stars.shape[:2]
    layouts = {
        "(N, K, 2)": stars,
        "(N, 2K)": stars.reshape(n, 2 * k),
        "(vertices, offsets)": (stars.reshape(-1, 2), np.arange(n + 1) * k),
        "(vertices, int32 offsets)": (stars.reshape(-1, 2), (np.arange(n + 1) * k).astype(np.int32)),
        "list of (K, 2)": list(stars),
        "list of flat lists": [p.ravel().tolist() for p in stars],
        "nested lists": stars.tolist(),
        "fortran order": np.asfortranarray(stars),
        "strided view": np.repeat(stars, 2, axis=0)[::2],
    }
    for name, (f, _) in OVERLAPS.items():
        expected, expected_second = f(stars, other, geometry="polygon"), f(other, stars, geometry="polygon")
        for label, layout in layouts.items():
            np.testing.assert_array_equal(f(layout, other, geometry="polygon"), expected, err_msg=f"{name} {label}")
            np.testing.assert_array_equal(f(other, layout, geometry="polygon"), expected_second, err_msg=f"{name} {label}")


def test_ragged_polygons_in_every_layout():
    rng = np.random.default_rng(3)
    rings = [ref.random_simple_polygons(rng, 1, 50, k=k)[0] for k in (4, 9, 5, 12, 7, 6)]
    rings[1] = rings[1][::-1]  # the other orientation
    rings[2] = np.vstack([rings[2], rings[2][:1]])  # a repeated closing vertex
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rings])])
    packed = (np.concatenate(rings), offsets)
    assert_overlaps_match("polygon", rings, rings, "ragged")
    for f, _ in OVERLAPS.values():
        np.testing.assert_array_equal(f(packed, packed, geometry="polygon"), f(rings, rings, geometry="polygon"))


@pytest.mark.parametrize("measure", list(OVERLAPS))
def test_rotated_overlap_equals_polygon_overlap_of_its_corners(measure):
    rng = np.random.default_rng(4)
    a, b = ref.random_rboxes(rng, 40, 80), ref.random_rboxes(rng, 30, 80)
    f = OVERLAPS[measure][0]
    np.testing.assert_allclose(
        f(a, b, geometry="rotated"), f(corners(a), corners(b), geometry="polygon"), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("measure", ["iou", "iomin"])
def test_rotated_at_angle_zero_equals_axis_aligned(measure):
    rng = np.random.default_rng(5)
    a, b = ref.random_rboxes(rng, 40, 80), ref.random_rboxes(rng, 30, 80)
    a[:, 4] = b[:, 4] = 0.0
    b[:5, :4] = a[:5, :4]  # some identical boxes
    b[5:8, :4] = a[5:8, :4] + [a[5:8, 2].mean(), 0, 0, 0]  # and some with a shifted copy

    def xyxy(r):
        return np.stack([r[:, 0] - r[:, 2] / 2, r[:, 1] - r[:, 3] / 2, r[:, 0] + r[:, 2] / 2, r[:, 1] + r[:, 3] / 2], 1)

    f = OVERLAPS[measure][0]
    np.testing.assert_allclose(f(a, b, geometry="rotated"), f(xyxy(a), xyxy(b)), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["rotated", "star-32rays", "simple-12gons"])
def test_overlaps_are_symmetric_and_bounded(kind):
    geometry, a, b = overlap_scene(kind, 6)
    iou = softkit.box_iou(a, b, geometry=geometry)
    giou = softkit.generalized_box_iou(a, b, geometry=geometry)
    iomin = softkit.box_iomin(a, b, geometry=geometry)
    for f, m in ((softkit.box_iou, iou), (softkit.generalized_box_iou, giou), (softkit.box_iomin, iomin)):
        np.testing.assert_allclose(f(b, a, geometry=geometry).T, m, rtol=0, atol=1e-12)
    assert ((iou >= 0) & (iou <= 1)).all() and ((giou >= -1) & (giou <= iou + 1e-15)).all()
    # IoMin of a nested pair can come out 1 + 4e-16 (shapely: 1.0), hence the few-ulp slack.
    assert ((iomin >= 0) & (iomin <= 1 + 1e-15)).all() and (iomin >= iou - 1e-15).all()
    self_iou = np.diag(softkit.box_iou(a, a, geometry=geometry))
    np.testing.assert_allclose(self_iou, 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["rotated", "dota-quads", "star-32rays"])
def test_overlaps_are_invariant_under_rigid_motion(kind):
    geometry, a, b = overlap_scene(kind, 7)
    theta, shift = 0.7, np.array([123.4, -56.7])
    if geometry == "rotated":

        def move(r):
            out = r.copy()
            out[:, :2] = rigid(r[:, :2], theta, shift)
            out[:, 4] += theta
            return out

    else:

        def move(p):
            return rigid(p.reshape(len(p), -1, 2), theta, shift).reshape(p.shape)

    for f, _ in OVERLAPS.values():
        np.testing.assert_allclose(
            f(move(a), move(b), geometry=geometry), f(a, b, geometry=geometry), rtol=0, atol=1e-9
        )


# ---------------------------------------------------------------------------------------------------
# 2. Suppression policies against shape_reference.suppress / nms

GENERATORS = {
    "rotated": ("rotated", ref.random_rboxes),
    "convex": ("polygon", lambda rng, n, side: ref.random_convex_polygons(rng, n, side, k=8)),
    "star": ("polygon", lambda rng, n, side: ref.random_star_polygons(rng, n, side, rays=32)),
}


def jitter(rng, shape, geometry, scale):
    """A copy of one shape moved by about `scale` (1e-7 .. 1e-3): per-vertex for polygons."""
    if geometry == "rotated":
        return shape + rng.normal(0, 1, 5) * scale * np.array([1, 1, 1, 1, 0.01])
    return shape + rng.normal(0, 1, shape.shape) * scale


def policy_scene(kind, variant, seed, n):
    """(geometry, shapes, scores).

    "random": n shapes over a 200 x 200 image with distinct scores.
    "near-duplicates": 3n/4 copies of one shape (every 6th exact, the rest jittered by 1e-7 .. 1e-3),
    the rest random shapes around it, scores on a 5-level grid so that many are tied; shuffled.
    """
    geometry, gen = GENERATORS[kind]
    rng = np.random.default_rng(seed)
    if variant == "random":
        return geometry, gen(rng, n, 200), rng.random(n)
    base = gen(rng, 1, 60)[0] + 20
    m = 3 * n // 4
    copies = [base.copy() if i % 6 == 0 else jitter(rng, base, geometry, 10 ** rng.uniform(-7, -3)) for i in range(m)]
    shapes = np.concatenate([np.array(copies), gen(rng, n - m, 100)])
    shapes = shapes[rng.permutation(n)]
    if geometry == "polygon":
        assert all(ref.polygon(p).is_valid for p in shapes), "jitter must keep the polygons simple"
    return geometry, shapes, rng.integers(1, 6, n) / 5.0


def reference_run(shapes, scores, method, measure, **kwargs):
    polys = [ref.polygon(s) for s in shapes]
    return ref.suppress(polys, scores, method, overlap=OVERLAPS[measure][1], **kwargs)


def assert_same(result, expected):
    idx, scores = result
    assert idx.dtype == np.int64 and scores.dtype == np.float64
    assert idx.tolist() == [i for i, _ in expected]
    np.testing.assert_allclose(scores, [s for _, s in expected], rtol=0, atol=1e-9)


POLICIES = [
    ("hard", "iou"),
    ("hard", "iomin"),
    ("hard", "giou"),
    ("linear", "iou"),
    ("linear", "iomin"),
    ("gaussian", "iou"),
    ("gaussian", "iomin"),
]


@pytest.mark.parametrize("method,measure", POLICIES)
@pytest.mark.parametrize("kind", list(GENERATORS))
@pytest.mark.parametrize("variant", ["random", "near-duplicates"])
def test_soft_nms_matches_reference(variant, kind, method, measure):
    n = 120 if measure == "giou" else 200  # the reference's convex hulls are slow
    geometry, shapes, scores = policy_scene(kind, variant, 10 + len(kind), n)
    kwargs = {"iou_threshold": 0.3, "sigma": 0.5, "score_threshold": 0.001}
    if method == "linear" and measure == "iomin":
        kwargs["iou_threshold"] = 0.5
    expected = reference_run(shapes, scores, method, measure, **kwargs)
    result = softkit.soft_nms(shapes, scores, method=method, measure=measure, geometry=geometry, **kwargs)
    assert_same(result, expected)
    if variant == "near-duplicates":
        assert len(expected) < n // 2, "the copies must suppress each other"


@pytest.mark.parametrize("method", ["linear", "gaussian"])
@pytest.mark.parametrize("width", [1e-12, 1e-14])
def test_identical_thin_rotated_boxes_decay_as_in_the_reference(method, width):
    """Two copies of one thin box overlap with IoU 1: linear drops the copy, gaussian keeps it at
    0.8 * exp(-2). (shapely's IoU of a polygon with itself is exactly 1 here.)"""
    boxes, scores = np.array([[50.0, 50, width, 8, 0.0]] * 2), np.array([0.9, 0.8])
    expected = reference_run(boxes, scores, method, "iou")
    assert_same(softkit.soft_nms(boxes, scores, method=method, geometry="rotated"), expected)


@pytest.mark.parametrize("kind", ["rotated", "star"])
def test_soft_nms_parameters_match_reference(kind):
    """Other sigma, threshold, score_threshold, and max_output, on one scene."""
    geometry, shapes, scores = policy_scene(kind, "random", 20, 200)
    for method, sigma, nt, threshold, max_output in (
        ("gaussian", 0.1, 0.3, 0.05, None),
        ("gaussian", 2.0, 0.3, 0.2, 25),
        ("linear", 0.5, 0.1, 0.01, 40),
        ("hard", 0.5, 0.6, 0.3, 17),
        ("hard", 0.5, 0.0, 0.001, None),
    ):
        kwargs = {"sigma": sigma, "iou_threshold": nt, "score_threshold": threshold, "max_output": max_output}
        expected = reference_run(shapes, scores, method, "iou", **kwargs)
        assert_same(softkit.soft_nms(shapes, scores, method=method, geometry=geometry, **kwargs), expected)
        if max_output is not None:
            assert len(expected) == max_output


@pytest.mark.parametrize("kind", ["rotated", "star"])
@pytest.mark.parametrize("method", ["gaussian", "hard"])
def test_class_wise_soft_nms_matches_reference(kind, method):
    geometry, shapes, scores = policy_scene(kind, "random", 30, 250)
    labels = np.random.default_rng(30).integers(0, 5, 250)
    expected = ref.batched(list(shapes), scores, labels, method, iou_threshold=0.3)
    result = softkit.soft_nms(shapes, scores, method=method, labels=labels, geometry=geometry)
    assert_same(result, expected)


@pytest.mark.parametrize("kind", ["rotated", "convex", "star"])
def test_batched_nms_matches_reference(kind):
    geometry, shapes, scores = policy_scene(kind, "random", 31, 250)
    labels = np.random.default_rng(31).integers(0, 4, 250)
    expected = [i for i, _ in ref.batched(list(shapes), scores, labels, "nms", iou_threshold=0.4)]
    assert softkit.batched_nms(shapes, scores, labels, 0.4, geometry=geometry).tolist() == expected


@pytest.mark.parametrize("kind", ["rotated", "star"])
def test_per_image_soft_nms_matches_reference(kind):
    """Images and labels never interact; images in ascending id, each capped at max_output."""
    geometry, shapes, scores = policy_scene(kind, "random", 32, 300)
    rng = np.random.default_rng(32)
    images, labels = rng.choice([42, 7, 19, 3], 300), rng.integers(0, 3, 300)
    expected = []
    for image in sorted(set(images.tolist())):
        rows = np.flatnonzero(images == image)
        local = ref.batched(list(shapes[rows]), scores[rows], labels[rows], "gaussian", iou_threshold=0.3)
        expected.extend((rows[i], s) for i, s in local[:30])
    result = softkit.soft_nms(
        shapes, scores, method="gaussian", labels=labels, image_ids=images, max_output=30, geometry=geometry
    )
    assert_same(result, expected)


@pytest.mark.parametrize("kind", list(GENERATORS))
@pytest.mark.parametrize("variant", ["random", "near-duplicates"])
def test_nms_matches_reference(kind, variant):
    geometry, shapes, scores = policy_scene(kind, variant, 40, 200 if variant == "random" else 140)
    polys = [ref.polygon(s) for s in shapes]
    for threshold in (0.0, 0.3, 0.5, 0.7, 1.0):
        expected = ref.nms(polys, scores, threshold)
        assert softkit.nms(shapes, scores, threshold, geometry=geometry).tolist() == expected, threshold


def test_nms_reads_degrees():
    _, boxes, scores = policy_scene("rotated", "random", 41, 250)
    degrees = boxes.copy()
    degrees[:, 4] = np.degrees(boxes[:, 4])
    for fmt in ("degrees", "opencv"):
        got = softkit.nms(degrees, scores, 0.3, geometry="rotated", rbox_format=fmt)
        assert got.tolist() == ref.nms(boxes, scores, 0.3)


# ---------------------------------------------------------------------------------------------------
# 3. Peers: powerboxes 0.3.1 and OpenCV 5 NMSBoxesRotated, where they are exact


def distinct_scores(rng, n):
    """Distinct scores (powerboxes' unstable sort orders ties arbitrarily beyond 20 boxes)."""
    return (rng.permutation(n) + 0.5) / n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nms_matches_powerboxes(seed):
    rng = np.random.default_rng(100 + seed)
    boxes = ref.random_rboxes(rng, 300, 300)  # random angles: general position
    scores = distinct_scores(rng, 300)
    degrees = boxes.copy()
    degrees[:, 4] = np.degrees(boxes[:, 4])
    for threshold in (0.1, 0.3, 0.5, 0.7):
        theirs = powerboxes.rotated_nms(degrees, scores.astype(np.float64), threshold, 0.0).astype(np.int64).tolist()
        assert softkit.nms(boxes, scores, threshold, geometry="rotated").tolist() == theirs, threshold
        assert softkit.nms(degrees, scores, threshold, geometry="rotated", rbox_format="degrees").tolist() == theirs


def test_powerboxes_collinear_edge_bug():
    """powerboxes 0.3.1 measures IoU 0.31 between two identical boxes (collinear edges), so it keeps both.

    softkit (and shapely) say IoU 1 and keep one. If this fails on the powerboxes line, powerboxes was fixed.
    """
    boxes, scores = np.array([[50.0, 50, 20, 10, 141.0]] * 2), np.array([0.9, 0.8])
    assert powerboxes.rotated_nms(boxes, scores, 0.5, 0.0).tolist() == [0, 1]
    assert softkit.nms(boxes, scores, 0.5, geometry="rotated", rbox_format="degrees").tolist() == [0]
    same = ref.polygon((50, 50, 20, 10, math.radians(141)))
    assert abs(ref.iou(same, same) - 1.0) < 1e-12  # shapely: 1.0000000000000002
    np.testing.assert_allclose(softkit.box_iou(boxes, boxes, geometry="rotated", rbox_format="degrees"), 1.0, atol=1e-12)


def opencv_scene(seed, n, side, thresholds):
    """n random rotated boxes (radians) where OpenCV is exact: none nested in another (OpenCV takes
    that as IoU 1) and no pair's IoU within 1e-4 of a threshold (OpenCV's IoU is float32)."""
    rng = np.random.default_rng(seed)
    boxes, polys = [], []
    for b in ref.random_rboxes(rng, 4 * n, side):
        p = ref.polygon(b)
        clash = False
        for q in polys:
            if p.intersects(q):
                value = ref.iou(p, q)
                if p.contains(q) or q.contains(p) or any(abs(value - t) < 1e-4 for t in thresholds):
                    clash = True
                    break
        if not clash:
            boxes.append(b)
            polys.append(p)
            if len(boxes) == n:
                break
    assert len(boxes) == n
    return np.array(boxes), rng


def opencv_nms(boxes_radians, scores, threshold):
    rects = [((b[0], b[1]), (b[2], b[3]), math.degrees(b[4])) for b in boxes_radians]
    kept = cv2.dnn.NMSBoxesRotated(rects, [float(s) for s in scores], 0.0, threshold)
    return np.asarray(kept, dtype=np.int64).ravel().tolist()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("tied", [False, True])
def test_nms_matches_opencv(seed, tied):
    """Both sort stably, so tied scores go to the lower index on both sides."""
    thresholds = (0.1, 0.3, 0.5, 0.7)
    boxes, rng = opencv_scene(200 + seed, 250, 300, thresholds)
    scores = rng.integers(1, 6, len(boxes)) / 5.0 if tied else distinct_scores(rng, len(boxes))
    degrees = boxes.copy()
    degrees[:, 4] = np.degrees(boxes[:, 4])
    for threshold in thresholds:
        theirs = opencv_nms(boxes, scores, threshold)
        assert len(theirs) < len(boxes), "the scene must suppress something"
        assert softkit.nms(boxes, scores, threshold, geometry="rotated").tolist() == theirs, threshold
        got = softkit.nms(degrees, scores, threshold, geometry="rotated", rbox_format="opencv")
        assert got.tolist() == theirs


def test_opencv_nested_box_rule():
    """OpenCV counts a box inside another as IoU 1 (INTERSECT_FULL) and suppresses it; the exact IoU is 1/15."""
    boxes = np.array([[50.0, 50, 40, 30, 20], [52, 49, 10, 8, 50]])  # degrees
    scores = np.array([0.9, 0.8])
    outer, inner = (ref.polygon(list(b[:4]) + [math.radians(b[4])]) for b in boxes)
    assert outer.contains(inner) and abs(ref.iou(outer, inner) - 80 / 1200) < 1e-12
    rects = [((b[0], b[1]), (b[2], b[3]), b[4]) for b in boxes]
    assert np.asarray(cv2.dnn.NMSBoxesRotated(rects, scores.tolist(), 0.0, 0.5)).ravel().tolist() == [0]
    assert softkit.nms(boxes, scores, 0.5, geometry="rotated", rbox_format="degrees").tolist() == [0, 1]
    np.testing.assert_allclose(
        softkit.box_iou(boxes[:1], boxes[1:], geometry="rotated", rbox_format="degrees"), [[80 / 1200]], atol=1e-12
    )


# ---------------------------------------------------------------------------------------------------
# 4. rbox_convert

FORMATS = ["radians", "degrees", "opencv", "le90", "le135", "oc"]


def convert_boxes():
    """Random boxes (any angle, w < h half the time) plus the boundary angles and squares."""
    rng = np.random.default_rng(300)
    boxes = ref.random_rboxes(rng, 60, 100)
    boxes[::3, 4] *= 7  # angles well outside [-pi, pi]
    special = []
    q = math.pi / 4
    for angle in (0, q, -q, 2 * q, -2 * q, 3 * q, 4 * q, -4 * q, 8 * q, 100.0):
        for w, h in ((30, 10), (10, 30), (20, 20)):
            special.append((50, 40, w, h, angle))
    return np.vstack([boxes, np.array(special, dtype=np.float64)])


def to_radians(boxes, fmt):
    out = np.array(boxes, dtype=np.float64)
    if fmt in ("degrees", "opencv"):
        out[:, 4] = np.radians(out[:, 4])
    return out


def assert_same_boxes(a_radians, b_radians, label):
    """The same boxes: IoU 1 (softkit, diagonal) to 1e-9, and the same corner set (shapely) to 1e-9."""
    iou = np.diag(softkit.box_iou(a_radians, b_radians, geometry="rotated"))
    np.testing.assert_allclose(iou, 1.0, rtol=0, atol=1e-9, err_msg=label)
    for x, y in zip(a_radians, b_radians):
        assert ref.polygon(x).symmetric_difference(ref.polygon(y)).area < 1e-9 * max(1.0, x[2] * x[3]), (label, x, y)


@pytest.mark.parametrize("in_fmt", FORMATS)
def test_rbox_convert_round_trips(in_fmt):
    original = convert_boxes()
    boxes = softkit.rbox_convert(original, "radians", in_fmt)
    assert boxes.dtype == np.float64 and boxes.shape == original.shape
    np.testing.assert_array_equal(boxes[:, :2], original[:, :2])
    assert_same_boxes(original, to_radians(boxes, in_fmt), f"radians -> {in_fmt}")
    for out_fmt in FORMATS:
        converted = softkit.rbox_convert(boxes, in_fmt, out_fmt)
        assert_same_boxes(original, to_radians(converted, out_fmt), f"{in_fmt} -> {out_fmt}")
        back = softkit.rbox_convert(converted, out_fmt, "radians")
        assert_same_boxes(original, back, f"{in_fmt} -> {out_fmt} -> radians")
        # The geometry functions read each format as the converter writes it.
        np.testing.assert_allclose(
            softkit.box_iou(converted, converted[::-1], geometry="rotated", rbox_format=out_fmt),
            softkit.box_iou(original, original[::-1], geometry="rotated"),
            rtol=0,
            atol=1e-9,
        )


def test_rbox_convert_output_ranges():
    original = convert_boxes()
    degrees = softkit.rbox_convert(original, "radians", "degrees")
    np.testing.assert_allclose(degrees[:, 4], np.degrees(original[:, 4]), rtol=1e-15)
    np.testing.assert_array_equal(degrees[:, :4], original[:, :4])
    np.testing.assert_array_equal(softkit.rbox_convert(original, "radians", "opencv"), degrees)
    for fmt, low, high in (("le90", -math.pi / 2, math.pi / 2), ("le135", -math.pi / 4, 3 * math.pi / 4)):
        out = softkit.rbox_convert(original, "radians", fmt)
        a = out[:, 4]
        assert ((a >= low) & (a < high)).all(), (fmt, a[(a < low) | (a >= high)])
        assert (out[:, 2] >= out[:, 3]).all(), fmt
        np.testing.assert_array_equal(np.sort(out[:, 2:4], 1), np.sort(original[:, 2:4], 1))
    oc = softkit.rbox_convert(original, "radians", "oc")[:, 4]
    assert ((oc > 0) & (oc <= math.pi / 2)).all(), oc[(oc <= 0) | (oc > math.pi / 2)]


def test_rbox_convert_accepts_the_closed_range_bounds():
    q = math.pi / 4
    for fmt, angle in (("le90", -2 * q), ("le90", 2 * q), ("le135", -q), ("le135", 3 * q), ("oc", 2 * q)):
        box = np.array([[5.0, 6, 4, 2, angle]])
        back = softkit.rbox_convert(box, fmt, "radians")
        assert_same_boxes(box, back, fmt)


# ---------------------------------------------------------------------------------------------------
# 5. Bad input

SQUARE = np.array([[0.0, 0], [10, 0], [10, 10], [0, 10]])
RBOX = np.array([[0.0, 0, 4, 2, 0]])
BOWTIE = np.array([[0.0, 0], [10, 10], [10, 0], [0, 10]])

BAD_INPUT = [
    ("negative size", ValueError, "rboxes[1].w = -1 is invalid: a size >= 0",
     lambda: softkit.box_iou(np.array([[0, 0, 4, 2, 0], [0, 0, -1, 2, 0.0]]), RBOX, geometry="rotated")),
    ("negative height in nms", ValueError, "rboxes[0].h = -2 is invalid: a size >= 0",
     lambda: softkit.nms(np.array([[0, 0, 4, -2, 0.0]]), [0.5], 0.5, geometry="rotated")),
    ("NaN angle", ValueError, "rboxes[0].angle = NaN is invalid: a finite number",
     lambda: softkit.nms(np.array([[0, 0, 4, 2, np.nan]]), [0.5], 0.5, geometry="rotated")),
    ("inf centre", ValueError, "rboxes[2].cx = inf is invalid: a finite number",
     lambda: softkit.soft_nms(np.array([[0, 0, 4, 2, 0]] * 2 + [[np.inf, 0, 4, 2, 0]]), [0.5, 0.4, 0.3],
                              geometry="rotated")),
    ("angle outside le90", ValueError, "rboxes[0].angle = 90 is invalid: an angle in [-pi/2, pi/2] radians (le90)",
     lambda: softkit.box_iou(np.array([[0, 0, 4, 2, 90.0]]), RBOX, geometry="rotated", rbox_format="le90")),
    ("angle outside le90 in rbox_convert", ValueError,
     "rboxes[0].angle = 90 is invalid: an angle in [-pi/2, pi/2] radians (le90)",
     lambda: softkit.rbox_convert(np.array([[0, 0, 4, 2, 90.0]]), "le90", "radians")),
    ("angle 0 in oc", ValueError, "rboxes[0].angle = 0 is invalid: an angle in (0, pi/2] radians (oc)",
     lambda: softkit.nms(RBOX, [0.5], 0.5, geometry="rotated", rbox_format="oc")),
    ("unknown rbox_format", ValueError, "rbox_format = 'grad' is invalid",
     lambda: softkit.nms(RBOX, [0.5], 0.5, geometry="rotated", rbox_format="grad")),
    ("fewer than 3 points", ValueError, "polygons[0] has 2 vertices; a polygon needs at least 3",
     lambda: softkit.box_iou([SQUARE[:2]], [SQUARE], geometry="polygon")),
    ("fewer than 3 points in nms", ValueError, "polygons[1] has 2 vertices; a polygon needs at least 3",
     lambda: softkit.nms([SQUARE, SQUARE[:2]], [0.5, 0.4], 0.5, geometry="polygon")),
    ("self-intersecting", ValueError, "polygons[1] is not simple: its edges from vertex 0 and from vertex 2 cross or touch",
     lambda: softkit.box_iou([SQUARE, BOWTIE], [SQUARE], geometry="polygon")),
    ("self-intersecting in soft_nms", ValueError, "polygons[0] is not simple",
     lambda: softkit.soft_nms(BOWTIE[None], [0.5], geometry="polygon")),
    ("NaN vertex", ValueError, "polygons[0] vertex 1: y = NaN is not finite",
     lambda: softkit.box_iou([np.array([[0, 0], [10, np.nan], [10, 10.0]])], [SQUARE], geometry="polygon")),
    ("inf vertex in DOTA row", ValueError, "polygons[1] vertex 0: x = inf is not finite",
     lambda: softkit.nms(np.array([SQUARE.ravel(), [np.inf, 0, 10, 0, 10, 10, 0, 10]]), [0.5, 0.4], 0.5,
                         geometry="polygon")),
    ("offsets past the end", ValueError, "offsets[2] = 9 is past the end of the 7 vertices",
     lambda: softkit.box_iou((np.zeros((7, 2)), np.array([0, 3, 9])), [SQUARE], geometry="polygon")),
    ("offsets not from 0", ValueError, "offsets[0] = 1; it must be 0",
     lambda: softkit.box_iou((np.zeros((7, 2)), np.array([1, 4, 7])), [SQUARE], geometry="polygon")),
    ("offsets decreasing", ValueError, "offsets[2] = 3 is less than offsets[1] = 4",
     lambda: softkit.box_iou((SQUARE, np.array([0, 4, 3])), [SQUARE], geometry="polygon")),
    ("float offsets", ValueError, "boxes1[1] (offsets) must be a 1-D integer array",
     lambda: softkit.box_iou((SQUARE, np.array([0.0, 4])), [SQUARE], geometry="polygon")),
    ("odd flat polygon", ValueError, "boxes1[0] has 5 numbers; a flat polygon needs x, y pairs",
     lambda: softkit.box_iou([[0, 0, 1, 0, 1]], [SQUARE], geometry="polygon")),
    ("(N, 4) as rotated", ValueError, "boxes must have shape (N, 5) (cx, cy, w, h, angle), got (2, 4)",
     lambda: softkit.nms(np.zeros((2, 4)), [0.5, 0.4], 0.5, geometry="rotated")),
    ("1-D rotated", ValueError, "boxes1 must have shape (N, 5) (cx, cy, w, h, angle), got (5,)",
     lambda: softkit.box_iou(np.zeros(5), RBOX, geometry="rotated")),
    ("(N, 5) as polygon", ValueError, "boxes must be an (N, K, 2) array, an (N, 2K) array of x, y pairs (K >= 3)",
     lambda: softkit.nms(np.zeros((2, 5)), [0.5, 0.4], 0.5, geometry="polygon")),
    ("(N, K, 3) as polygon", ValueError, "got shape (2, 4, 3)",
     lambda: softkit.box_iou(np.zeros((2, 4, 3)), [SQUARE], geometry="polygon")),
    ("strings as boxes", TypeError, "boxes1 must hold numbers, got dtype <U1",
     lambda: softkit.box_iou(np.array([["a"] * 5]), RBOX, geometry="rotated")),
    ("scores of the wrong length", ValueError, "scores has 1 entries but boxes has 2",
     lambda: softkit.nms(np.array([[0, 0, 4, 2, 0]] * 2, dtype=float), [0.5], 0.5, geometry="rotated")),
    ("labels of the wrong length", ValueError, "labels has 1 entries but boxes has 2",
     lambda: softkit.batched_nms([SQUARE, SQUARE], [0.5, 0.4], [1], 0.5, geometry="polygon")),
    ("unknown geometry", ValueError,
     "geometry = 'obb' is invalid: expected one of 'box', 'rotated', 'polygon', 'segment', 'box3d', 'bev'",
     lambda: softkit.nms(RBOX, [0.5], 0.5, geometry="obb")),
    ("unknown geometry in box_iou", ValueError, "geometry = 'obb' is invalid",
     lambda: softkit.box_iou(RBOX, RBOX, geometry="obb")),
    ("unknown geometry in soft_nms", ValueError, "geometry = 'poly' is invalid",
     lambda: softkit.soft_nms([SQUARE], [0.5], geometry="poly")),
    ("pixel_offset with rotated", ValueError, "pixel_offset = 1.0 is only defined for geometry='box'",
     lambda: softkit.soft_nms(RBOX, [0.5], pixel_offset=1.0, geometry="rotated")),
    ("pixel_offset with polygon", ValueError, "pixel_offset = 1.0 is only defined for geometry='box'",
     lambda: softkit.box_iomin([SQUARE], [SQUARE], pixel_offset=1.0, geometry="polygon")),
    ("unknown measure", ValueError, 'measure = "diou" is invalid',
     lambda: softkit.soft_nms(RBOX, [0.5], geometry="rotated", measure="diou")),
    ("NaN score", ValueError, "scores[0] = NaN is not finite",
     lambda: softkit.soft_nms([SQUARE], [np.nan], geometry="polygon")),
]


@pytest.mark.parametrize("case", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_names_the_item(case):
    _, error, message, call = case
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_garbage_never_panics():
    """Random corruptions of valid input: a result or ValueError/TypeError, never anything else.

    Values are not checked here (the range tests above do that); only that nothing else escapes.
    """
    rng = np.random.default_rng(500)
    outcomes = {"ok": 0, "error": 0}
    for trial in range(300):
        geometry = ("rotated", "polygon")[trial % 2]
        if geometry == "rotated":
            shapes = ref.random_rboxes(rng, 6, 50)
        else:
            shapes = ref.random_star_polygons(rng, 6, 50, rays=5)
        flat = shapes.reshape(-1)
        for _ in range(rng.integers(1, 3)):
            flat[rng.integers(flat.size)] = rng.choice([np.nan, np.inf, -np.inf, -1.0, 0.0, 1e308, -1e308, 1e-308, 7.0])
        scores = rng.random(6)
        args = shapes
        if geometry == "polygon" and trial % 4 == 1:
            offsets = np.sort(rng.integers(-2, 40, 7))
            args = (shapes.reshape(-1, 2), offsets)
        for call in (
            lambda: softkit.box_iou(args, args, geometry=geometry),
            lambda: softkit.box_iomin(args, args, geometry=geometry),
            lambda: softkit.generalized_box_iou(args, args, geometry=geometry),
            lambda: softkit.soft_nms(args, scores, geometry=geometry, measure="iomin"),
            lambda: softkit.soft_nms(args, scores, method="linear", geometry=geometry, measure="giou"),
            lambda: softkit.nms(args, scores, 0.5, geometry=geometry),
        ):
            try:
                out = call()
            except (ValueError, TypeError) as err:
                assert re.search(r"\[\d+\]|offsets|shape", str(err)), str(err)
                outcomes["error"] += 1
            else:
                outcomes["ok"] += 1
                if isinstance(out, tuple) or out.ndim == 1:  # kept indices: distinct, in range
                    kept = (out[0] if isinstance(out, tuple) else out).tolist()
                    assert len(set(kept)) == len(kept) and all(0 <= i < 6 for i in kept), kept
    assert outcomes["ok"] > 100 and outcomes["error"] > 100, outcomes


def test_inputs_are_not_modified():
    rng = np.random.default_rng(600)
    rboxes = ref.random_rboxes(rng, 30, 100)
    stars = ref.random_star_polygons(rng, 30, 100, rays=8)
    dota = ref.random_convex_polygons(rng, 30, 100, k=4).reshape(30, 8)
    packed = (stars.reshape(-1, 2).copy(), np.arange(31) * 8)
    rings = [p.copy() for p in stars]
    scores, labels, images = rng.random(30), rng.integers(0, 3, 30), rng.integers(0, 2, 30)
    fortran, single = np.asfortranarray(rboxes), rboxes.astype(np.float32)
    inputs = [rboxes, fortran, single, stars, dota, packed[0], packed[1], scores, labels, images] + rings
    before = [x.copy() for x in inputs]
    cases = [(rboxes, "rotated"), (fortran, "rotated"), (single, "rotated")]
    cases += [(stars, "polygon"), (dota, "polygon"), (packed, "polygon"), (rings, "polygon")]
    for args, geometry in cases:
        softkit.soft_nms(args, scores, labels=labels, image_ids=images, geometry=geometry, max_output=5)
        softkit.soft_nms(args, scores, method="linear", measure="giou", geometry=geometry)
        softkit.nms(args, scores, 0.5, geometry=geometry)
        softkit.batched_nms(args, scores, labels, 0.5, geometry=geometry)
        for f, _ in OVERLAPS.values():
            f(args, args, geometry=geometry)
    for fmt in FORMATS:
        softkit.rbox_convert(rboxes, "radians", fmt)
    for x, y in zip(inputs, before):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype
