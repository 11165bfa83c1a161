"""Parity of the rest of the NMS family with dense numpy transcriptions of the papers
(family_reference.py), with OpenCV's adaptive NMS and with ensemble-boxes' 1-D and 3-D fusion.

Matrix NMS (SOLOv2), Fast NMS (YOLACT), Cluster-NMS plain and SPM and weighted (Zheng et al. 2021),
DIoU-NMS (Zheng et al. 2020, with beta), OpenCV's adaptive threshold (``eta``), Detectron's box voting,
and weighted boxes fusion on segments and 3-D boxes. Indices must be identical (order included) and
scores and coordinates equal to 1e-9 relative (float64 references); ensemble-boxes sums in float32,
so fusion is compared to 1e-6.
"""

import warnings

import numpy as np
import pytest

import family_reference as ref
import softkit

RTOL = 1e-9

# (seed, n, labels, world side, tied scores): sides of 10-40 in a square of the world side, so a small
# world is very dense; tied scores are rounded to 1 or 2 decimals (many exact ties).
SCENES = [
    (1, 5, 1, 20, 0),
    (2, 17, 2, 60, 1),
    (3, 40, 1, 100, 2),
    (4, 64, 3, 100, 0),
    (5, 100, 4, 150, 1),
    (6, 150, 1, 150, 0),
    (7, 211, 2, 200, 2),
    (8, 300, 4, 200, 1),
    (9, 300, 1, 120, 0),
    (10, 257, 3, 400, 0),
]
DTYPES = [np.float32, np.float64]


def scene(seed, n, labels, world, ties, dtype):
    """Random boxes, scores in [0.02, 1) (rounded to 1 or 2 decimals when ``ties``), labels 0..labels-1."""
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, world, (n, 2))
    boxes = np.hstack([corner, corner + rng.uniform(10, 40, (n, 2))]).astype(dtype)
    scores = rng.uniform(0.02, 1.0, n)
    if ties:
        scores = np.maximum(np.round(scores, ties), 10.0**-ties)  # no score 0: voting weighs by score
    return boxes, scores.astype(dtype), rng.integers(0, labels, n)


def scene_ids(scenes):
    return [f"seed{s[0]}-n{s[1]}-L{s[2]}-w{s[3]}" + ("-ties" if s[4] else "") for s in scenes]


def with_labels(case, lab):
    """The scene's labels when it has more than one, else None (the unscoped call)."""
    return lab if case[2] > 1 else None


def assert_same(got, expected, what=""):
    """Identical indices in the same order, and (if given) scores to RTOL."""
    gk, ek = (got, expected) if not isinstance(got, tuple) else (got[0], expected[0])
    np.testing.assert_array_equal(np.asarray(gk), np.asarray(ek), err_msg=f"{what}: indices differ")
    assert np.asarray(gk).dtype == np.int64
    if isinstance(got, tuple):
        np.testing.assert_allclose(got[1], expected[1], rtol=RTOL, atol=0, err_msg=f"{what}: scores differ")


@pytest.fixture(params=DTYPES, ids=["f32", "f64"])
def dtype(request):
    return request.param


# ---------------------------------------------------------------------------------------------------
# Matrix NMS


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("kernel, sigma", [("gaussian", 2.0), ("gaussian", 0.5), ("linear", 2.0)])
def test_matrix_nms_matches_solov2(case, kernel, sigma, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    got = softkit.matrix_nms(boxes, scores, kernel=kernel, sigma=sigma, labels=labels)
    expected = ref.matrix_nms(boxes, scores, labels, kernel=kernel, sigma=sigma, score_threshold=0.05)
    assert_same(got, expected, f"matrix {kernel}")
    assert len(expected[0]) > 0
    # the decay is real: some score changed (every scene has overlapping boxes of one label)
    assert np.any(expected[1] < scores.astype(np.float64)[expected[0]] * (1 - 1e-6))


def random_masks(seed, n, h=48, w=64):
    """Boolean (n, h, w) masks: ellipses, some with a bar attached (not convex), never empty."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    out = np.zeros((n, h, w), dtype=bool)
    for i in range(n):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(3, 15, 2)
        out[i] = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        if rng.random() < 0.3:
            out[i] |= (np.abs(yy - cy) < ry / 2) & (np.abs(xx - cx - rx) < rx)
        out[i, min(int(cy), h - 1), min(int(cx), w - 1)] = True
    return out


MASK_CASES = [(11, 5, 1, 0), (12, 30, 2, 1), (13, 60, 1, 0), (14, 90, 3, 2)]


@pytest.mark.parametrize("seed, n, labels, ties", MASK_CASES)
@pytest.mark.parametrize("kernel", ["gaussian", "linear"])
def test_matrix_nms_on_masks_matches_dense_mask_iou(seed, n, labels, ties, kernel):
    masks = random_masks(seed, n)
    rng = np.random.default_rng(seed + 1)
    scores = rng.uniform(0.02, 1.0, n)
    if ties:
        scores = np.round(scores, ties)
    lab = rng.integers(0, labels, n) if labels > 1 else None
    iou = ref.mask_iou(masks)
    np.testing.assert_allclose(softkit.box_iou(masks, masks, geometry="mask"), iou, rtol=RTOL, atol=0)
    got = softkit.matrix_nms(masks, scores, kernel=kernel, labels=lab, geometry="mask")
    assert_same(got, ref.matrix_nms_from_iou(iou, scores, lab, kernel=kernel), f"mask matrix {kernel}")
    assert_same(softkit.fast_nms(masks, scores, 0.3, labels=lab, geometry="mask"),
                ref.fast_nms(None, scores, 0.3, lab, iou=iou), "mask fast")


def test_matrix_nms_hand_case():
    # The docstring's chain, by hand: c = [0, 1/3, 1/3]; box 1 decays by (1 - 1/3) / 1, box 2 by
    # min((1 - 0) / 1, (1 - 1/3) / (1 - 1/3)) = 1.
    b = np.array([[0.0, 0, 10, 10], [0, 5, 10, 15], [0, 10, 10, 20]])
    keep, s = softkit.matrix_nms(b, np.array([0.9, 0.8, 0.7]), kernel="linear")
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(s, [0.9, 0.7, 0.8 * 2 / 3], rtol=RTOL)
    keep, s = softkit.matrix_nms(b, np.array([0.9, 0.8, 0.7]), kernel="gaussian", sigma=2.0)
    np.testing.assert_allclose(s, [0.9, 0.7, 0.8 * np.exp(-2.0 / 9)], rtol=RTOL)


def test_matrix_nms_ties_break_by_lower_index():
    # Two identical boxes with the same score: the lower index ranks first and suppresses the other.
    b = np.array([[0.0, 0, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]])
    keep, s = softkit.matrix_nms(b, np.array([0.5, 0.5, 0.5]), kernel="gaussian", sigma=2.0)
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(s, [0.5, 0.5, 0.5 * np.exp(-2.0)], rtol=RTOL)


def test_matrix_nms_scopes_and_max_output():
    boxes, scores, lab = scene(21, 200, 3, 150, 0, np.float64)
    full = softkit.matrix_nms(boxes, scores, labels=lab)
    capped = softkit.matrix_nms(boxes, scores, labels=lab, max_output=7)
    assert_same(capped, (full[0][:7], full[1][:7]), "max_output")
    ids = np.random.default_rng(22).integers(0, 3, len(scores))
    keep, s = softkit.matrix_nms(boxes, scores, image_ids=ids)
    parts = [ref.matrix_nms(boxes[ids == i], scores[ids == i]) for i in range(3)]
    expected = (np.concatenate([np.flatnonzero(ids == i)[p[0]] for i, p in enumerate(parts)]),
                np.concatenate([p[1] for p in parts]))
    assert_same((keep, s), expected, "image_ids")


@pytest.mark.parametrize("case", SCENES[3:6], ids=scene_ids(SCENES[3:6]))
def test_soft_nms_method_names_run_the_same_algorithms(case):
    boxes, scores, lab = scene(*case, np.float64)
    labels = with_labels(case, lab)
    pairs = [
        (softkit.soft_nms(boxes, scores, method="matrix", sigma=2.0, score_threshold=0.05, labels=labels),
         softkit.matrix_nms(boxes, scores, labels=labels)),
        (softkit.soft_nms(boxes, scores, method="matrix-linear", score_threshold=0.05, labels=labels),
         softkit.matrix_nms(boxes, scores, kernel="linear", labels=labels)),
        (softkit.soft_nms(boxes, scores, method="cluster-spm", sigma=0.2, iou_threshold=0.5, score_threshold=0.01,
                          labels=labels),
         softkit.cluster_nms(boxes, scores, 0.5, variant="spm", labels=labels)),
    ]
    for got, expected in pairs:
        assert_same(got, expected, "soft_nms(method=...)")
    for method, keep in [("fast", softkit.fast_nms(boxes, scores, 0.5, labels=labels)),
                         ("cluster", softkit.cluster_nms(boxes, scores, 0.5, labels=labels)[0])]:
        k, s = softkit.soft_nms(boxes, scores, method=method, iou_threshold=0.5, score_threshold=-np.inf, labels=labels)
        np.testing.assert_array_equal(k, keep)
        np.testing.assert_array_equal(s, scores[k])  # nothing decays: the original scores


# ---------------------------------------------------------------------------------------------------
# Fast NMS and Cluster-NMS


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr", [0.3, 0.5])
def test_fast_nms_matches_yolact(case, thr, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    got = softkit.fast_nms(boxes, scores, thr, labels=labels)
    assert_same(got, ref.fast_nms(boxes, scores, thr, labels), "fast")
    hard = softkit.batched_nms(boxes, scores, lab, thr) if labels is not None else softkit.nms(boxes, scores, thr)
    assert set(got.tolist()) <= set(hard.tolist()), "Fast NMS keeps a box that hard NMS removes"


def test_fast_nms_removes_strictly_more_than_nms_on_dense_scenes():
    extra = 0
    for case in SCENES:
        boxes, scores, _ = scene(*case, np.float64)
        extra += len(softkit.nms(boxes, scores, 0.5)) - len(softkit.fast_nms(boxes, scores, 0.5))
    assert extra > 0
    b = np.array([[0.0, 0, 10, 10], [0, 5, 10, 15], [0, 10, 10, 20]])  # a chain
    assert softkit.fast_nms(b, np.array([0.9, 0.8, 0.7]), 0.3).tolist() == [0]
    assert softkit.nms(b, np.array([0.9, 0.8, 0.7]), 0.3).tolist() == [0, 2]


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr", [0.3, 0.5, 0.7])
def test_cluster_nms_plain_is_the_iteration_and_equals_nms(case, thr, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    keep, s = softkit.cluster_nms(boxes, scores, thr, labels=labels)
    assert_same(keep, ref.cluster_nms(boxes, scores, thr, labels), "cluster plain vs iteration")
    hard = softkit.batched_nms(boxes, scores, lab, thr) if labels is not None else softkit.nms(boxes, scores, thr)
    np.testing.assert_array_equal(keep, hard)
    np.testing.assert_array_equal(s, scores.astype(np.float64)[keep])


def test_cluster_iteration_needs_more_than_one_pass():
    # Otherwise the equality with NMS above would only test Fast NMS.
    most = 0
    for case in SCENES:
        boxes, scores, _ = scene(*case, np.float64)
        order = ref.rank(scores)
        most = max(most, ref.cluster_matrix(ref.box_iou(boxes)[np.ix_(order, order)], 0.5)[2])
    assert most >= 3


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr, sigma", [(0.5, 0.2), (0.4, 0.5)])
def test_cluster_spm_matches_paper(case, thr, sigma, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    got = softkit.cluster_nms(boxes, scores, thr, variant="spm", sigma=sigma, labels=labels)
    assert_same(got, ref.cluster_spm(boxes, scores, thr, labels, sigma=sigma, score_threshold=0.01), "spm")


def test_cluster_spm_hand_case():
    b = np.array([[0.0, 0, 10, 10], [0, 5, 10, 15], [50, 50, 60, 60]])
    keep, s = softkit.cluster_nms(b, np.array([0.9, 0.8, 0.7]), 0.5, variant="spm")
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(s, [0.9, 0.7, 0.8 * np.exp(-(1 / 3) ** 2 / 0.2)], rtol=RTOL)


# ---------------------------------------------------------------------------------------------------
# DIoU-NMS and OpenCV's adaptive threshold


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr, beta", [(0.5, 1.0), (0.45, 0.6), (0.3, 2.0)])
def test_diou_nms_matches_greedy_loop(case, thr, beta, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    got = softkit.diou_nms(boxes, scores, thr, beta=beta, labels=labels)
    assert_same(got, ref.diou_nms(boxes, scores, thr, beta, labels), f"diou beta={beta}")
    # Cluster-DIoU-NMS ends at DIoU-NMS too (cluster_nms has no beta; soft_nms passes it on)
    cluster = softkit.soft_nms(boxes, scores, method="cluster", measure="diou", beta=beta, iou_threshold=thr,
                               score_threshold=-np.inf, labels=labels)[0]
    np.testing.assert_array_equal(cluster, got)
    if beta == 1.0:
        np.testing.assert_array_equal(softkit.cluster_nms(boxes, scores, thr, labels=labels, measure="diou")[0], got)


def test_diou_matrix_matches_reference():
    boxes, _, _ = scene(31, 120, 1, 100, 0, np.float64)
    np.testing.assert_allclose(softkit.distance_box_iou(boxes, boxes), ref.diou(boxes), rtol=RTOL, atol=1e-15)


def test_diou_keeps_apart_centres_that_iou_would_merge():
    b = np.array([[0.0, 0, 10, 10], [4, 0, 14, 10]])  # IoU 6/14 = 0.43, d^2/c^2 = 16/296
    s = np.array([0.9, 0.8])
    assert softkit.nms(b, s, 0.4).tolist() == [0]
    assert softkit.diou_nms(b, s, 0.4).tolist() == [0, 1]  # DIoU 0.374
    assert softkit.diou_nms(b, s, 0.4, beta=2.0).tolist() == [0]  # 0.4286 - 0.0029 > 0.4


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr, eta", [(0.7, 1.0), (0.73, 0.9), (0.9, 0.8), (0.6, 0.5)])
def test_adaptive_nms_matches_opencv_loop(case, thr, eta, dtype):
    boxes, scores, _ = scene(*case, dtype)
    assert_same(softkit.nms(boxes, scores, thr, eta=eta), ref.adaptive_nms(boxes, scores, thr, eta), f"eta={eta}")


def threshold_sequence(thr, eta):
    """Every threshold OpenCV's loop can use: thr, thr*eta, ... until it is no longer > 0.5."""
    out = [thr]
    while eta < 1 and out[-1] > 0.5:
        out.append(out[-1] * eta)
    return out


def integer_scene(seed, thr, eta, margin=1e-5):
    """Integer [x, y, w, h] boxes whose IoUs all stay `margin` away from every threshold OpenCV can
    use (float32 there, float64 here), and float32 scores; resampled until that holds."""
    for attempt in range(100):
        rng = np.random.default_rng(seed + 1000 * attempt)
        n = int(rng.integers(5, 301))
        xy = rng.integers(0, 200, (n, 2))
        wh = rng.integers(5, 60, (n, 2))
        xyxy = np.hstack([xy, xy + wh]).astype(np.float32)
        iou = ref.box_iou(xyxy)
        if all(np.abs(iou - t).min() > margin for t in threshold_sequence(thr, eta)):
            scores = rng.random(n).astype(np.float32)
            if seed % 2:
                scores = np.round(scores, 2).astype(np.float32)  # ties: OpenCV's stable sort keeps index order
            return np.hstack([xy, wh]), xyxy, scores
    raise AssertionError("no scene clear of the thresholds")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("thr, eta", [(0.73, 1.0), (0.73, 0.9), (0.91, 0.8), (0.67, 0.95)])
def test_adaptive_nms_matches_cv2_nmsboxes(seed, thr, eta):
    cv2 = pytest.importorskip("cv2")
    xywh, xyxy, scores = integer_scene(seed, thr, eta)
    score_threshold = 0.2005  # no float32 score in the scene equals it; OpenCV keeps scores > it
    assert not np.any(scores == np.float32(score_threshold))
    expected = np.asarray(cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), score_threshold, thr, eta=eta)).reshape(-1)
    above = np.flatnonzero(scores > score_threshold)
    got = above[softkit.nms(xyxy[above], scores[above], thr, eta=eta)]
    np.testing.assert_array_equal(got, expected)
    assert_same(got, above[ref.adaptive_nms(xyxy[above], scores[above], thr, eta)], "reference loop")
    if eta < 1:  # the threshold did adapt in this scene: plain NMS keeps another set
        assert not np.array_equal(got, above[softkit.nms(xyxy[above], scores[above], thr)])


def test_eta_changes_the_result():
    changed = 0
    for case in SCENES:
        boxes, scores, _ = scene(*case, np.float64)
        changed += not np.array_equal(softkit.nms(boxes, scores, 0.73, eta=0.9), softkit.nms(boxes, scores, 0.73))
    assert changed >= 3


# ---------------------------------------------------------------------------------------------------
# Box voting and weighted Cluster-NMS


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr", [0.5, 0.8])
def test_box_voting_matches_detectron(case, thr, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    keep = softkit.batched_nms(boxes, scores, lab, 0.5) if labels is not None else softkit.nms(boxes, scores, 0.5)
    got = softkit.box_voting(boxes, scores, keep, iou_threshold=thr, labels=labels)
    expected = ref.box_voting(boxes, scores, keep, thr, labels)
    assert got.shape == (len(keep), 4) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
    iou = ref.box_iou(boxes)[keep]
    if labels is not None:
        iou = iou * (lab[keep][:, None] == lab[None, :])
    iou[np.arange(len(keep)), keep] = 0
    if np.any(iou >= thr):  # some kept box has a voter besides itself: its coordinates moved
        assert np.abs(got - boxes[keep]).max() > 1e-6


@pytest.mark.parametrize("case", SCENES, ids=scene_ids(SCENES))
@pytest.mark.parametrize("thr, vote", [(0.5, 0.8), (0.6, 0.5)])
def test_weighted_cluster_nms_matches_paper(case, thr, vote, dtype):
    boxes, scores, lab = scene(*case, dtype)
    labels = with_labels(case, lab)
    keep = softkit.batched_nms(boxes, scores, lab, thr) if labels is not None else softkit.nms(boxes, scores, thr)
    got = softkit.box_voting(boxes, scores, keep, iou_threshold=vote, labels=labels, voting="cluster")
    expected_keep, expected = ref.weighted_cluster_nms(boxes, scores, thr, labels, vote)
    np.testing.assert_array_equal(np.sort(keep), np.sort(expected_keep))
    # the reference lists the kept boxes in rank order; batched_nms merges the labels by score too
    np.testing.assert_allclose(got[np.argsort(keep)], expected[np.argsort(expected_keep)], rtol=RTOL, atol=0)


def test_box_voting_on_segments_is_voting_on_the_x_axis():
    rng = np.random.default_rng(41)
    start = rng.uniform(0, 100, 80)
    segments = np.stack([start, start + rng.uniform(2, 20, 80)], axis=1)
    scores = rng.uniform(0.05, 1, 80)
    as_boxes = np.stack([segments[:, 0], np.zeros(80), segments[:, 1], np.ones(80)], axis=1)
    keep = softkit.nms(segments, scores, 0.5, geometry="segment")
    np.testing.assert_array_equal(keep, softkit.nms(as_boxes, scores, 0.5))
    for voting in ("score", "cluster"):
        got = softkit.box_voting(segments, scores, keep, iou_threshold=0.6, voting=voting, geometry="segment")
        boxes = softkit.box_voting(as_boxes, scores, keep, iou_threshold=0.6, voting=voting)
        np.testing.assert_allclose(got, boxes[:, [0, 2]], rtol=RTOL, atol=0)
    np.testing.assert_allclose(
        softkit.box_voting(segments, scores, keep, iou_threshold=0.6, geometry="segment"),
        ref.box_voting(segments, scores, keep, 0.6, iou=ref.segment_iou(segments)), rtol=RTOL, atol=0)


def test_box_voting_hand_case():
    b = np.array([[0.0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]])
    s = np.array([0.9, 0.3, 0.8])
    # IoU(0, 1) = 90 / 110 = 0.818: score voting at 0.5 -> x = 0.3 / 1.2
    np.testing.assert_allclose(softkit.box_voting(b, s, [0, 2], iou_threshold=0.5),
                               [[0.25, 0, 10.25, 10], [50, 50, 60, 60]], rtol=RTOL)
    # cluster voting weighs box 1 by IoU * score = 0.818 * 0.3
    w = 0.3 * 90 / 110
    np.testing.assert_allclose(softkit.box_voting(b, s, [0, 2], iou_threshold=0.8, voting="cluster")[0],
                               [w / (0.9 + w), 0, 10 + w / (0.9 + w), 10], rtol=RTOL)


# ---------------------------------------------------------------------------------------------------
# Fusion of 3-D boxes and segments


def fused_rows(boxes, scores, labels):
    """(label, coordinates..., score) rows sorted by label then coordinates: fusion results in a
    canonical order (ensemble-boxes' final argsort is not stable)."""
    rows = np.hstack([np.asarray(labels, np.float64)[:, None], np.asarray(boxes, np.float64),
                      np.asarray(scores, np.float64)[:, None]])
    return rows[np.lexsort(rows.T[::-1])]


def box3d_scene(seed, models=3, labels=2, presence=0.8):
    """Axis-aligned 3-D boxes of objects in separate cells of a 4 x 4 x 4 grid of [0, 1]^3 (so
    clusters never touch), seen by each model with probability `presence`, jittered slightly."""
    rng = np.random.default_rng(seed)
    cells = np.array([(i, j, k) for i in range(4) for j in range(4) for k in range(4)])
    rng.shuffle(cells)
    objects = 20
    centre = (cells[:objects] + 0.5) / 4
    size = rng.uniform(0.08, 0.2, (objects, 3))
    lab = rng.integers(0, labels, objects)
    out = ([], [], [])
    for _ in range(models):
        seen = rng.random(objects) < presence
        k = int(seen.sum())
        c = centre[seen] + rng.normal(0, 0.003, (k, 3))
        b = np.hstack([c, size[seen] * rng.uniform(0.98, 1.02, (k, 3)), np.zeros((k, 1))])
        out[0].append(b)
        out[1].append(rng.uniform(0.1, 1, k))
        out[2].append(lab[seen])
    return out


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("conf_type, presence", [("avg", 0.8), ("avg", 1.0), ("max", 1.0)])
def test_box3d_fusion_matches_ensemble_boxes_3d(seed, conf_type, presence):
    # ensemble-boxes' 3-D module rescales a "max" score by min(models, members) / models where its
    # 2-D and 1-D modules (and softkit) divide by the largest weight: with every object seen by
    # every model the two agree, so "max" is compared on such scenes (see the next test).
    eb = pytest.importorskip("ensemble_boxes")
    boxes, scores, labels = box3d_scene(seed, presence=presence)
    ob, os_, ol = softkit.weighted_boxes_fusion(boxes, scores, labels, conf_type=conf_type, geometry="box3d")
    assert ob.shape[1] == 7 and np.all(ob[:, 6] == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tb, ts, tl = eb.weighted_boxes_fusion_3d([ref.box3d_to_corners(b) for b in boxes], scores, labels,
                                                 conf_type=conf_type)
    assert len(ob) == len(tb) >= 15
    np.testing.assert_allclose(fused_rows(ref.box3d_to_corners(ob), os_, ol), fused_rows(tb, ts, tl), rtol=0, atol=1e-6)
    assert np.all(np.diff(os_) <= 0)


def test_box3d_fusion_max_follows_the_2d_rule_not_ensemble_boxes_3d():
    eb = pytest.importorskip("ensemble_boxes")
    # One object seen by one model of two: a singleton cluster scoring 0.8.
    boxes = [np.array([[0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.0]]), np.zeros((0, 7))]
    scores, labels = [np.array([0.8]), np.zeros(0)], [np.array([0]), np.zeros(0, dtype=int)]
    _, s, _ = softkit.weighted_boxes_fusion(boxes, scores, labels, conf_type="max", geometry="box3d")
    assert s.tolist() == [0.8]  # max / max(weights), as ensemble_boxes.weighted_boxes_fusion (2-D, 1-D)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, t, _ = eb.weighted_boxes_fusion_3d([ref.box3d_to_corners(b) if len(b) else np.zeros((0, 6)) for b in boxes],
                                              scores, labels, conf_type="max")
    np.testing.assert_allclose(t, [0.4], rtol=1e-6)  # ensemble-boxes' 3-D module: max * min(2, 1) / 2


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("conf_type", ["avg", "max", "box_and_model_avg", "absent_model_aware_avg"])
def test_flat_box3d_and_segment_fusion_match_ensemble_boxes_2d_and_1d(seed, conf_type):
    # Boxes that share one z extent have the 3-D IoU of their footprints, and footprints that share
    # one y extent the IoU of their x intervals: three modules of ensemble-boxes, one rule each.
    eb = pytest.importorskip("ensemble_boxes")
    rng = np.random.default_rng(seed)
    objects = 30
    start, length, lab = rng.uniform(0, 0.9, objects), rng.uniform(0.02, 0.1, objects), rng.integers(0, 3, objects)
    segments, scores, labels = [], [], []
    for _ in range(3):
        seen = rng.random(objects) < 0.7
        s0 = start[seen] + rng.normal(0, 0.002, seen.sum())
        segments.append(np.clip(np.stack([s0, s0 + length[seen] * rng.uniform(0.95, 1.05, seen.sum())], 1), 0, 1))
        scores.append(rng.uniform(0.1, 1, seen.sum()))
        labels.append(lab[seen])
    weights = [1, 2, 0.5] if seed % 2 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = eb.weighted_boxes_fusion_1d(segments, scores, labels, weights=weights, conf_type=conf_type)
        flat2d = [np.stack([s[:, 0], np.full(len(s), 0.2), s[:, 1], np.full(len(s), 0.7)], 1) for s in segments]
        t2 = eb.weighted_boxes_fusion(flat2d, scores, labels, weights=weights, conf_type=conf_type)
    o1 = softkit.weighted_boxes_fusion(segments, scores, labels, weights=weights, conf_type=conf_type,
                                       geometry="segment")
    np.testing.assert_allclose(fused_rows(*o1), fused_rows(*t1), rtol=0, atol=1e-6)
    flat3d = [np.stack([(s[:, 0] + s[:, 1]) / 2, np.full(len(s), 0.45), np.full(len(s), 0.5), s[:, 1] - s[:, 0],
                        np.full(len(s), 0.5), np.ones(len(s)), np.zeros(len(s))], 1) for s in segments]
    ob, os_, ol = softkit.weighted_boxes_fusion(flat3d, scores, labels, weights=weights, conf_type=conf_type,
                                                geometry="box3d")
    np.testing.assert_allclose(fused_rows(ref.box3d_to_corners(ob)[:, [0, 3]], os_, ol),
                               fused_rows(t2[0][:, [0, 2]], t2[1], t2[2]), rtol=0, atol=1e-6)
    assert len(o1[0]) < sum(len(s) for s in segments)  # something fused


def test_box3d_fusion_takes_the_heading_of_each_clusters_best_box():
    a = [0.5, 0.5, 0.5, 0.2, 0.1, 0.1]
    boxes = [
        np.array([a + [0.30], [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, -1.2]]),  # model 0
        np.array([[0.51, 0.5, 0.5, 0.2, 0.1, 0.1, 0.35]]),  # model 1: the cluster's best box
        np.array([[0.5, 0.49, 0.5, 0.2, 0.1, 0.1, 0.25]]),  # model 2
    ]
    scores = [np.array([0.6, 0.5]), np.array([0.9]), np.array([0.3])]
    labels = [np.array([1, 1]), np.array([1]), np.array([1])]
    b, s, l = softkit.weighted_boxes_fusion(boxes, scores, labels, geometry="box3d")
    assert l.tolist() == [1.0, 1.0]
    total = 0.6 + 0.9 + 0.3
    expected = [(0.6 * 0.5 + 0.9 * 0.51 + 0.3 * 0.5) / total, (0.6 * 0.5 + 0.9 * 0.5 + 0.3 * 0.49) / total,
                0.5, 0.2, 0.1, 0.1, 0.35]
    np.testing.assert_allclose(b[0], expected, rtol=RTOL)
    np.testing.assert_allclose(b[1], [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, -1.2], rtol=RTOL)
    np.testing.assert_allclose(s, [total / 3 * 3 / 3, 0.5 * 1 / 3], rtol=RTOL)
    # with "max" the best box is the same; reorder the models and the heading still follows the score
    b, _, _ = softkit.weighted_boxes_fusion(boxes[::-1], scores[::-1], labels[::-1], conf_type="max", geometry="box3d")
    assert b[0, 6] == 0.35 and b[1, 6] == -1.2


def test_segment_fusion_hand_case():
    segments = [np.array([[0.0, 10], [20, 30], [2, 12]]), np.array([[1.0, 11]])]
    scores = [np.array([0.9, 0.8, 0.3]), np.array([0.6])]
    labels = [np.array([0, 0, 0]), np.array([0])]
    b, s, l = softkit.weighted_boxes_fusion(segments, scores, labels, geometry="segment")
    # By score: [0, 10] (0.9) starts a cluster, [20, 30] (0.8) another, [1, 11] (0.6) joins the first
    # (tIoU 9/11) making it [0.4, 10.4], and [2, 12] (0.3) joins too (tIoU 8.4/11.6):
    # (0.9 * 0 + 0.6 * 1 + 0.3 * 2) / 1.8 = 2/3. Scores: mean 0.6 * min(2, 3) / 2; 0.8 * 1 / 2.
    np.testing.assert_allclose(b, [[2 / 3, 10 + 2 / 3], [20, 30]], rtol=RTOL)
    np.testing.assert_allclose(s, [0.6, 0.4], rtol=RTOL)
    assert l.tolist() == [0.0, 0.0]
    b, s, _ = softkit.weighted_boxes_fusion(segments, scores, labels, geometry="segment", conf_type="max")
    np.testing.assert_allclose(s, [0.9, 0.8], rtol=RTOL)
