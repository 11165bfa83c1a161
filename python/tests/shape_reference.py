"""Plain references for rotated boxes and polygons, built on shapely (pinned: shapely==2.2.0, numpy==2.4.6).

Independent of softkit: numpy + shapely only. Every overlap is an exact polygon clip done by GEOS.

Rotated box convention: (cx, cy, w, h, angle), angle in RADIANS, x right / y down. The width axis runs
along (cos a, sin a) and the height axis along (-sin a, cos a), as in mmrotate's obb2poly, ultralytics'
xywhr2xyxyxyxy and OpenCV's boxPoints (which takes degrees). So a positive angle turns the width axis
from +x towards +y, i.e. clockwise on screen.

Peers, measured with numpy 2.4.6, shapely 2.2.0, powerboxes 0.3.1, opencv-python-headless 5.0.0.93:
- powerboxes.rotated_nms(boxes, scores, iou_threshold, score_threshold) and rtree_rotated_nms (same
  signature): boxes an (N, 5) ndarray cx, cy, w, h, angle in DEGREES, same direction as above; scores
  must be a float64 ndarray. Keeps scores >= score_threshold (no filter at all when it is <= 0),
  suppresses when iou > iou_threshold (strict), returns uint64 indices by descending score. Equal
  scores: Rust sort_unstable, input order up to 20 boxes, not beyond (the higher index can win).
  The two functions agreed on every scene tried. Its IoU (also rotated_iou_distance = 1 - IoU, an
  (N, M) matrix) matches shapely to 1e-15 in general position but breaks when edges are collinear:
  rotated_iou_distance([[0,0,4,2,60]], [[0,0,4,2,60]]) gives IoU 1.08; the same box given as a and
  a + 180 gives 0.26..4.2; rotated_nms keeps both of two identical (50,50,20,10,141) boxes at 0.5.
  rotated_giou_distance uses the axis-aligned enclosing box, not the convex hull.
- cv2.dnn.NMSBoxesRotated(bboxes, scores, score_threshold, nms_threshold[, eta, top_k]): bboxes a list
  of ((cx, cy), (w, h), angle_degrees), floats fine; boxPoints gives the same corners as above in the
  order c-u+v, c-u-v, c+u-v, c+u+v. Keeps scores > score_threshold (strict; < 0 raises), suppresses
  when iou > nms_threshold (strict), indices by descending score, ties to the lower index (stable).
  Its IoU is float32 (1.8e-6 from shapely in general position) and not exact: a box fully inside the
  other counts as IoU 1.0 (INTERSECT_FULL), vertices closer than sqrt(1e-6 * larger area) merge
  (a 1e-6-thin box gets 0), and centres near 1e7 lose float32 precision (0.498 vs 0.464).
"""

import math

import numpy as np
from shapely.geometry import MultiPoint, Polygon

from reference import greedy

# ---------------------------------------------------------------------------------------------------
# Shapes


def rbox_corners(cx, cy, w, h, angle):
    """The 4 corners of a rotated box as a (4, 2) float64 array, angle in radians.

    With u = (w/2)(cos a, sin a) and v = (h/2)(-sin a, cos a) the order is
    c + u + v, c - u + v, c - u - v, c + u - v (for a = 0 in y-down coordinates: bottom-right,
    bottom-left, top-left, top-right; counter-clockwise by the shoelace sign, clockwise on screen).
    """
    c, s = math.cos(angle), math.sin(angle)
    u = np.array([c, s]) * (w / 2.0)
    v = np.array([-s, c]) * (h / 2.0)
    centre = np.array([cx, cy], dtype=np.float64)
    return np.array([centre + u + v, centre - u + v, centre - u - v, centre + u - v])


def polygon(obj):
    """A shapely Polygon from a Polygon, a 5-number rotated box, a (K, 2) vertex list or flat x0,y0,x1,y1,...

    Either winding and a repeated closing vertex are fine; rings must be simple (GEOS may raise on a bow-tie).
    Zero-area rings (w = 0) are invalid to shapely but still give 0 overlaps here.
    """
    if isinstance(obj, Polygon):
        return obj
    arr = np.asarray(obj, dtype=np.float64)
    if arr.shape == (5,):
        return Polygon(rbox_corners(*arr))
    if arr.ndim == 1 and arr.size % 2 == 0 and arr.size >= 6:
        arr = arr.reshape(-1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected 5 numbers, (K, 2) vertices or flat x,y pairs, got shape {arr.shape}")
    return Polygon(arr)


# ---------------------------------------------------------------------------------------------------
# Overlaps (all symmetric except crowd_iou)


def _inter(p, q):
    return p.intersection(q).area


def iou(p, q):
    """Intersection over union; 0 when the union has no area."""
    inter = _inter(p, q)
    union = p.area + q.area - inter
    return inter / union if union > 0 else 0.0


def giou(p, q):
    """iou - (hull - union) / hull, hull = convex hull of both shapes; iou itself if the hull has no area."""
    inter = _inter(p, q)
    union = p.area + q.area - inter
    value = inter / union if union > 0 else 0.0
    hull = MultiPoint(np.vstack([p.exterior.coords, q.exterior.coords])).convex_hull.area
    return value - (hull - union) / hull if hull > 0 else value


def iomin(p, q):
    """Intersection over the smaller area; 0 when that is 0."""
    smaller = min(p.area, q.area)
    return _inter(p, q) / smaller if smaller > 0 else 0.0


def crowd_iou(dt, gt):
    """COCO's iscrowd overlap: intersection over the detection's area; 0 when that is 0."""
    return _inter(dt, gt) / dt.area if dt.area > 0 else 0.0


# ---------------------------------------------------------------------------------------------------
# Suppression (mirrors reference.soft_nms / reference.nms, with any shape and overlap)


def suppress(shapes, scores, method, overlap=iou, iou_threshold=0.3, sigma=0.5, score_threshold=0.001, max_output=None):
    """Greedy Soft-NMS (Bodla et al. 2017), reference.greedy on shapely polygons. Returns
    [(index, score at selection)] in selection order; o = overlap(selected, candidate)."""
    polys = [polygon(s) for s in shapes]
    return greedy(polys, scores, method, overlap, sigma, iou_threshold, score_threshold, max_output)


def nms(shapes, scores, iou_threshold, overlap=iou):
    """torchvision semantics: stable sort by -score, keep unless overlap > threshold with a kept shape."""
    polys = [polygon(s) for s in shapes]
    order = sorted(range(len(polys)), key=lambda i: (-float(scores[i]), i))
    kept = []
    for i in order:
        if all(overlap(polys[k], polys[i]) <= iou_threshold for k in kept):
            kept.append(i)
    return kept


def batched(shapes, scores, labels, method="nms", **kwargs):
    """Runs per label and merges by (-score, index). Returns [(index, score)].

    method "nms" calls nms(..., **kwargs) and reports the original scores; any other method calls
    suppress(..., method, **kwargs) (max_output then applies per label).
    """
    merged = []
    for label in sorted(set(int(x) for x in labels)):
        members = [i for i, x in enumerate(labels) if int(x) == label]
        sub_shapes = [shapes[i] for i in members]
        sub_scores = [float(scores[i]) for i in members]
        if method == "nms":
            local = [(k, sub_scores[k]) for k in nms(sub_shapes, sub_scores, **kwargs)]
        else:
            local = suppress(sub_shapes, sub_scores, method, **kwargs)
        merged.extend((members[k], s) for k, s in local)
    return sorted(merged, key=lambda t: (-t[1], t[0]))


# ---------------------------------------------------------------------------------------------------
# Seeded scenes (rng: numpy.random.Generator). Polygons come back as (n, k, 2) float64 arrays.


def random_rboxes(rng, n, side, size_range=(8, 60)):
    """(n, 5) boxes: centres uniform in [0, side)^2, w and h uniform in size_range, angle in [-pi, pi)."""
    centres = rng.uniform(0, side, (n, 2))
    sizes = rng.uniform(size_range[0], size_range[1], (n, 2))
    angles = rng.uniform(-math.pi, math.pi, (n, 1))
    return np.hstack([centres, sizes, angles])


def random_convex_polygons(rng, n, side, k=8, size_range=(8, 60)):
    """(n, k, 2) strictly convex polygons with exactly k vertices each, positive shoelace order.

    Vertices sit at k sorted random angles on a randomly rotated ellipse (semi-axes from size_range / 2).
    Points on an ellipse are always in convex position, so no hull step can drop a vertex.
    """
    out = np.empty((n, k, 2))
    for m in range(n):
        centre = rng.uniform(0, side, 2)
        a, b = rng.uniform(size_range[0], size_range[1], 2) / 2.0
        t = np.sort(rng.uniform(0, 2 * math.pi, k))
        rot = rng.uniform(-math.pi, math.pi)
        x, y = a * np.cos(t), b * np.sin(t)
        out[m, :, 0] = centre[0] + x * math.cos(rot) - y * math.sin(rot)
        out[m, :, 1] = centre[1] + x * math.sin(rot) + y * math.cos(rot)
    return out


def _radial(centres, angles, radii):
    return np.stack([centres[:, None, 0] + radii * np.cos(angles), centres[:, None, 1] + radii * np.sin(angles)], axis=-1)


def random_star_polygons(rng, n, side, rays=32, size_range=(8, 60)):
    """(n, rays, 2) StarDist-like polygons: fixed ray angles 2*pi*i/rays, radii uniform in
    [0.3, 1] * r with r from size_range / 2. Simple (star-shaped about the centre), generally not convex."""
    centres = rng.uniform(0, side, (n, 2))
    r = rng.uniform(size_range[0], size_range[1], (n, 1)) / 2.0
    radii = r * rng.uniform(0.3, 1.0, (n, rays))
    angles = np.broadcast_to(2 * math.pi * np.arange(rays) / rays, (n, rays))
    return _radial(centres, angles, radii)


def random_simple_polygons(rng, n, side, k=12, size_range=(8, 60)):
    """(n, k, 2) simple, generally non-convex polygons (k >= 4): angle i is 2*pi*(i + j_i)/k with j_i in
    [0, 0.9), so consecutive angles increase by less than pi, and radii are uniform in [0.2, 1] * r."""
    centres = rng.uniform(0, side, (n, 2))
    r = rng.uniform(size_range[0], size_range[1], (n, 1)) / 2.0
    radii = r * rng.uniform(0.2, 1.0, (n, k))
    angles = 2 * math.pi * (np.arange(k) + rng.uniform(0, 0.9, (n, k))) / k
    return _radial(centres, angles, radii)


def degenerate_pairs():
    """[(name, shape_a, shape_b)]: rotated boxes as 5-tuples (radians), polygons as (K, 2) arrays.

    Each rotated-box case also appears as "<name>/poly" with rbox_corners of both boxes.
    """
    q = math.pi / 4
    boxes = [
        ("identical", (50, 50, 20, 10, 0.3), (50, 50, 20, 10, 0.3)),
        ("nested", (50, 50, 40, 30, 0.2), (52, 49, 10, 8, 0.9)),
        ("edge-touch", (10, 10, 10, 10, 0.0), (20, 10, 10, 10, 0.0)),
        ("edge-touch-rotated", (10, 10, 10, 10, 0.5), (10 + 10 * math.cos(0.5), 10 + 10 * math.sin(0.5), 10, 10, 0.5)),
        ("vertex-touch", (10, 10, 10, 10, 0.0), (20, 20, 10, 10, 0.0)),
        ("vertex-touch-rotated", (10, 10, 10, 10, q), (10 + 10 * math.sqrt(2), 10, 10, 10, q)),
        ("near-coincident", (50, 50, 20, 10, 0.3), (50, 50, 20, 10, 0.3 + 1e-7)),
        ("zero-area", (50, 50, 0, 10, 0.3), (50, 50, 20, 10, 0.3)),
        ("zero-area-both", (50, 50, 0, 10, 0.3), (50, 50, 0, 10, 0.3)),
        ("very-thin", (50, 50, 20, 1e-6, 0.3), (50, 50, 20, 10, 0.3)),
        ("huge-coordinates", (1e7, 1e7, 20, 10, 0.3), (1e7 + 3, 1e7 - 2, 20, 10, 0.5)),
        ("square-rotated-45", (50, 50, 20, 20, 0.0), (50, 50, 20, 20, q)),
        ("rect-rotated-45", (50, 50, 30, 10, 0.0), (50, 50, 30, 10, q)),
        ("square-rotated-90", (50, 50, 20, 20, 0.0), (50, 50, 20, 20, math.pi / 2)),
        ("swapped-wh-rotated-90", (50, 50, 30, 10, 0.0), (50, 50, 10, 30, math.pi / 2)),
        ("angle-plus-pi", (50, 50, 30, 10, 0.4), (50, 50, 30, 10, 0.4 + math.pi)),
    ]
    out = []
    for name, a, b in boxes:
        out.append((name, tuple(float(x) for x in a), tuple(float(x) for x in b)))
        out.append((name + "/poly", rbox_corners(*a), rbox_corners(*b)))
    arrow = np.array([[0, 0], [40, 0], [40, 30], [20, 12], [0, 30]], dtype=np.float64)  # non-convex
    out += [
        ("clockwise-vs-counter-clockwise", arrow, arrow[::-1].copy()),
        ("repeated-closing-vertex", arrow, np.vstack([arrow, arrow[:1]])),
        ("nonconvex-nested", arrow, np.array([[5.0, 2], [35, 2], [35, 8], [5, 8]])),
        ("nonconvex-notch", arrow, np.array([[15.0, 14], [25, 14], [25, 28], [15, 28]])),  # box mostly in the notch
    ]
    return out


if __name__ == "__main__":
    sq = polygon((50, 50, 20, 20, 0.0))
    assert iou(sq, sq) == 1.0 and giou(sq, sq) == 1.0 and iomin(sq, sq) == 1.0
    assert abs(iou(sq, polygon((50, 50, 20, 20, math.pi / 2))) - 1) < 1e-12
    assert abs(iou(sq, polygon((50, 50, 20, 20, math.pi / 4))) - math.sqrt(0.5)) < 1e-12
    assert np.allclose(rbox_corners(0, 0, 4, 2, math.pi / 2), [[-1, 2], [-1, -2], [1, -2], [1, 2]])
    far = polygon((200, 50, 20, 20, 0.0))  # hull 170 x 20, union 800
    assert abs(giou(sq, far) - (0 - (3400 - 800) / 3400)) < 1e-12
    expected = {"identical": 1, "vertex-touch": 0, "edge-touch": 0, "zero-area": 0, "zero-area-both": 0,
                "square-rotated-90": 1, "swapped-wh-rotated-90": 1, "angle-plus-pi": 1, "near-coincident": 1,
                "very-thin": 1e-7, "nested": 80 / 1200, "clockwise-vs-counter-clockwise": 1,
                "repeated-closing-vertex": 1}
    for name, a, b in degenerate_pairs():
        pa, pb = polygon(a), polygon(b)
        value = iou(pa, pb)
        assert abs(value - iou(pb, pa)) < 1e-12 and 0 <= value <= 1 and -1 <= giou(pa, pb) <= 1, name
        want = expected.get(name.removesuffix("/poly"))
        assert want is None or abs(value - want) < 1e-6, (name, value, want)
    rng = np.random.default_rng(0)
    for gen in (random_convex_polygons, random_star_polygons, random_simple_polygons):
        for p in gen(rng, 200, 100):
            assert polygon(p).is_valid, gen.__name__
    assert all(polygon(p).convex_hull.area - polygon(p).area < 1e-9 for p in random_convex_polygons(rng, 200, 100))
    boxes = random_rboxes(rng, 150, 200)
    scores = rng.random(150)
    hard = suppress(boxes, scores, "hard", iou_threshold=0.3, score_threshold=0.0)
    assert [i for i, _ in hard] == nms(boxes, scores, 0.3)
    labels = rng.integers(0, 3, 150)
    assert len(batched(boxes, scores, labels, iou_threshold=0.3)) >= len(hard)
    print("shape_reference self-check ok")
