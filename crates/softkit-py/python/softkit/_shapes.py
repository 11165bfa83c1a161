"""Reading rotated boxes and polygons in the layouts users hold them, into the one layout the
native functions take: float64 ``(N, 5)`` rotated boxes, or ``(V, 2)`` vertices with ``N + 1``
offsets (Arrow's list layout)."""

from __future__ import annotations

import numpy as np

from ._arrays import array, native_order

GEOMETRIES = ("box", "rotated", "polygon", "segment", "box3d", "bev", "keypoints", "mask")
# COCO's 17 person keypoint sigmas, computed as pycocotools and mmpose compute them (tenths / 10).
COCO_SIGMAS = [v / 10.0 for v in (0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89)]
# The rows of the geometries given as one array: their width and what a row holds.
ROWS = {"rotated": (5, "cx, cy, w, h, angle"), "segment": (2, "start, end"), "box3d": (7, "x, y, z, dx, dy, dz, heading")}
ROWS["bev"] = ROWS["box3d"]


def check_geometry(geometry: str) -> str:
    if geometry not in GEOMETRIES:
        expected = ", ".join(repr(g) for g in GEOMETRIES)
        raise ValueError(f"geometry = {geometry!r} is invalid: expected one of {expected}")
    return geometry


def _floats(x, name: str) -> np.ndarray:
    a = native_order(array(x, name))
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold numbers, got dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float64)


def rows(x, name: str, geometry: str = "rotated") -> np.ndarray:
    """``(N, width)`` rows of ``geometry`` (``ROWS``) as contiguous float64 (a copy only when needed)."""
    width, fields = ROWS[geometry]
    a = _floats(x, name)
    if a.size == 0 and a.ndim != 2:
        a = a.reshape(0, width)
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"{name} must have shape (N, {width}) ({fields}), got {a.shape}")
    return a


def polygons(x, name: str) -> tuple:
    """``(vertices (V, 2), offsets (N + 1,))`` from any accepted layout:

    - an ``(N, K, 2)`` array (every polygon has ``K`` vertices);
    - an ``(N, 2K)`` array of ``x1, y1, x2, y2, ...`` rows (DOTA's 8 numbers when ``K = 4``);
    - a ``(vertices, offsets)`` pair (Arrow's list layout);
    - a list of ``(K_i, 2)`` arrays, or of flat ``[x1, y1, x2, y2, ...]`` lists (COCO polygons).
    """
    if isinstance(x, tuple) and len(x) == 2:
        vertices = _floats(x[0], f"{name}[0] (vertices)")
        if vertices.size == 0:
            vertices = vertices.reshape(0, 2)
        if vertices.ndim != 2 or vertices.shape[1] != 2:
            raise ValueError(f"{name}[0] (vertices) must have shape (V, 2), got {vertices.shape}")
        offsets = native_order(array(x[1], f"{name}[1] (offsets)"))
        if offsets.dtype.kind not in "iu" or offsets.ndim != 1:
            raise ValueError(f"{name}[1] (offsets) must be a 1-D integer array, got {offsets.dtype} {offsets.shape}")
        return vertices, np.ascontiguousarray(offsets, dtype=np.int64)
    if isinstance(x, np.ndarray) or (isinstance(x, list) and x and np.ndim(x[0]) == 0):
        a = _floats(x, name)
        if a.ndim == 3 and a.shape[2] == 2:
            n, k = a.shape[0], a.shape[1]
            return a.reshape(n * k, 2), np.arange(n + 1, dtype=np.int64) * k
        if a.ndim == 2 and a.shape[1] >= 6 and a.shape[1] % 2 == 0:
            n, k = a.shape[0], a.shape[1] // 2
            return a.reshape(n * k, 2), np.arange(n + 1, dtype=np.int64) * k
        if a.size == 0:
            return np.zeros((0, 2)), np.zeros(1, dtype=np.int64)
        raise ValueError(
            f"{name} must be an (N, K, 2) array, an (N, 2K) array of x, y pairs (K >= 3), "
            f"a (vertices, offsets) pair or a list of (K, 2) arrays; got shape {a.shape}"
        )
    rings = []
    for i, ring in enumerate(x):
        r = _floats(ring, f"{name}[{i}]")
        if r.ndim == 1:
            if r.size % 2:
                raise ValueError(f"{name}[{i}] has {r.size} numbers; a flat polygon needs x, y pairs")
            r = r.reshape(-1, 2)
        if r.ndim != 2 or r.shape[1] != 2:
            raise ValueError(f"{name}[{i}] must have shape (K, 2), got {r.shape}")
        rings.append(r)
    offsets = np.zeros(len(rings) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rings], out=offsets[1:])
    vertices = np.concatenate(rings) if rings else np.zeros((0, 2))
    return np.ascontiguousarray(vertices), offsets


RBOX_FORMATS = ("radians", "rad", "xywhr", "degrees", "deg", "opencv", "le90", "le135", "oc")
BOX_ORIGINS = ("centre", "center", "gravity", "bottom", "lidar")


def shape_args(x, geometry: str, name: str, rbox_format: str = "radians", box_origin: str = "centre") -> dict:
    """The native functions' description of a list of items of a geometry other than ``"box"``.
    Both options are checked whatever the geometry, so a misspelt one never passes unread."""
    if rbox_format not in RBOX_FORMATS:
        raise ValueError(f"rbox_format = {rbox_format!r} is invalid: expected one of {', '.join(map(repr, RBOX_FORMATS))}")
    if box_origin not in BOX_ORIGINS:
        raise ValueError(f"box_origin = {box_origin!r} is invalid: expected one of {', '.join(map(repr, BOX_ORIGINS))}")
    args = {"geometry": geometry, "offsets": None, "rbox_format": str(rbox_format), "box_origin": str(box_origin)}
    if geometry == "polygon":
        args["coords"], args["offsets"] = polygons(x, name)
    else:
        args["coords"] = rows(x, name, geometry)
    return args


def count(args: dict) -> int:
    """How many shapes a ``shape_args`` description holds."""
    if args["offsets"] is None:
        return args["coords"].shape[0]
    return max(args["offsets"].shape[0] - 1, 0)


def poses(x, keywords: dict) -> tuple:
    """``(keypoints (N, 3K), areas (N,), sigmas)`` from an ``(N, K, 3)`` array and the keypoint
    keywords; ``areas`` is required, ``sigmas`` default to COCO's 17."""
    k = _floats(x, "keypoints")
    if k.size == 0 and k.ndim != 3:
        k = k.reshape(0, 0, 3)
    if k.ndim != 3 or k.shape[2] != 3:
        raise ValueError(f"keypoints must have shape (N, K, 3) (x, y, visibility), got {k.shape}")
    if keywords.get("areas") is None:
        raise ValueError("areas is required for geometry='keypoints': one area per pose, the scale of OKS")
    areas = _floats(keywords["areas"], "areas")
    if areas.ndim != 1:
        raise ValueError(f"areas must have shape (N,), got {areas.shape}")
    sigmas = keywords.get("sigmas")
    sigmas = list(COCO_SIGMAS) if sigmas is None else _floats(sigmas, "sigmas").ravel().tolist()
    return np.ascontiguousarray(k.reshape(k.shape[0], -1)), areas, sigmas


def masks(x, name: str):
    """Masks for the native functions: an ``(N, H, W)`` array (any nonzero value is foreground)
    becomes ``(N, W, H)`` uint8, each mask column-major as pycocotools encodes it; a list of COCO
    run-length dicts (``{"size": [h, w], "counts": str | bytes | list}``) becomes ``(h, w,
    counts)`` tuples."""
    if isinstance(x, np.ndarray) or (isinstance(x, (list, tuple)) and x and not isinstance(x[0], dict)):
        a = array(x, name)
        if a.ndim != 3:
            raise ValueError(f"{name} must be an (N, H, W) array or a list of COCO run-length dicts, got shape {a.shape}")
        return np.ascontiguousarray((a != 0).astype(np.uint8).transpose(0, 2, 1))
    out = []
    for i, rle in enumerate(x):
        try:
            h, w = (int(v) for v in rle["size"])
            counts = rle["counts"]
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{name}[{i}] must be a dict with 'size' [h, w] and 'counts' ({e})") from None
        if isinstance(counts, bytes):
            counts = counts.decode("ascii")
        elif not isinstance(counts, str):
            counts = [int(c) for c in counts]
        out.append((h, w, counts))
    return out
