"""softkit.decode against plain numpy decoders (decode_reference.py): on seeded tensors with ties,
plateaus and border peaks, and on the real YOLOX-nano head and the YOLOv8-style and end-to-end
heads built from it by appending ONNX nodes (run by onnxruntime, so both sides see one runtime)."""

from __future__ import annotations

import numpy as np
import pytest

import decode_reference as ref
from conftest import data_file
from head_variants import run_model, variant_models

from softkit import decode

LETTERBOXED = ["000000000139.png", "000000000285.png", "000000000632.png", "000000000724.png"]


def assert_same(got, expected, rtol=1e-6, atol=1e-4):
    """Same rows in the same order: labels exact, boxes and scores close."""
    boxes, scores, labels = got
    eb, es, el = expected
    assert labels.dtype == np.int64 and scores.dtype == np.float32 and boxes.dtype == np.float32
    assert labels.tolist() == np.asarray(el).tolist()
    np.testing.assert_allclose(scores, es, rtol=rtol, atol=1e-7)
    np.testing.assert_allclose(boxes, eb, rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return variant_models(tmp_path_factory.mktemp("heads"))


@pytest.fixture(scope="module")
def raw_outputs(models):
    """Each model's raw outputs on four real letterboxed COCO images, by onnxruntime."""
    images = [data_file("yolox-nano", "letterboxed", name) for name in LETTERBOXED]
    return {name: [run_model(path, image) for image in images] for name, path in models.items()}


def test_yolox_decodes_the_real_head_as_numpy(raw_outputs):
    for output in raw_outputs["yolox"]:
        assert_same(decode.yolox(output[0], (416, 416)), ref.yolox(output[0]))
        # Thousands of candidates per image at 0.001, fewer at 0.3.
        assert len(decode.yolox(output[0], score_threshold=0.3)[0]) < len(decode.yolox(output[0])[0])


def test_yolov8_variant_decodes_as_the_original_head(raw_outputs):
    for original, v8 in zip(raw_outputs["yolox"], raw_outputs["yolov8"]):
        assert v8[0].shape == (1, 84, 3549)
        assert_same(decode.yolov8(v8[0]), ref.yolox(original[0]), rtol=1e-5)
        # Best class only: one row per anchor, its highest score.
        boxes, scores, labels = decode.yolov8(v8[0], multi_label=False, score_threshold=0.05)
        _, all_scores = ref.yolox_boxes(original[0])
        best = all_scores.max(axis=1)
        assert len(scores) == int((best > np.float32(0.05)).sum())
        np.testing.assert_allclose(np.sort(scores), np.sort(best[best > np.float32(0.05)]), rtol=1e-5)


def test_end_to_end_variant_is_the_top_k_of_the_original_head(raw_outputs):
    for original, e2e in zip(raw_outputs["yolox"], raw_outputs["e2e"]):
        assert e2e[0].shape == (1, 300, 6)
        assert_same(decode.end2end(e2e[0], score_threshold=-1.0), ref.yolox_top_k(original[0]), rtol=1e-5)
        boxes, scores, labels = decode.end2end(e2e[0], score_threshold=0.25, max_det=10)
        assert len(scores) <= 10 and (scores > 0.25).all()


def test_detr_matches_numpy_with_ties():
    rng = np.random.default_rng(7)
    logits = rng.normal(0, 2, size=(1, 50, 12)).astype(np.float32)
    logits[0, 10] = logits[0, 3]  # two queries with the same logits: ties across queries
    logits[0, 5, 4] = logits[0, 5, 2]  # and within one
    boxes = rng.uniform(0.1, 0.9, size=(1, 50, 4)).astype(np.float32)
    for activation in ("sigmoid", "softmax", "none"):
        for k, threshold in ((300, 0.0), (40, 0.0), (600, 0.5)):
            got = decode.detr(logits, boxes, size=(640, 480), activation=activation, top_k=k, score_threshold=threshold)
            expected = ref.detr(logits, boxes, (640, 480), activation, k, threshold)
            assert_same(got, expected, rtol=1e-5, atol=1e-3)
    # The tied pairs come lower query first.
    _, _, labels = decode.detr(logits, boxes, top_k=600)
    assert len(labels) == 600


def test_centernet_peaks_on_plateaus_and_borders():
    rng = np.random.default_rng(11)
    heat = rng.normal(-3, 1.5, size=(1, 3, 24, 20)).astype(np.float32)
    heat[0, 0, 0, 0] = 4.0  # a corner peak
    heat[0, 1, 23, 7] = 3.0  # a border peak
    heat[0, 2, 10:12, 5:8] = 2.5  # a 2 x 3 plateau: every cell is a peak
    heat[0, 2, 15, 15] = heat[0, 2, 16, 16] = 2.0  # two diagonal neighbours tied: both peaks
    offset = rng.uniform(0, 1, size=(1, 2, 24, 20)).astype(np.float32)
    size = rng.uniform(1, 9, size=(1, 2, 24, 20)).astype(np.float32)
    for k, threshold in ((100, 0.0), (5, 0.0), (1000, 0.2)):
        got = decode.centernet(heat, offset, size, top_k=k, score_threshold=threshold)
        assert_same(got, ref.centernet(heat, offset, size, k, threshold), rtol=1e-5, atol=1e-4)
    boxes, scores, labels = decode.centernet(heat, offset, size, top_k=12)
    assert labels[:8].tolist() == [0, 1, 2, 2, 2, 2, 2, 2]  # corner, border, the plateau's six
    assert scores[2] == scores[7]
    # Probabilities given directly give the same peaks.
    probs = (1 / (1 + np.exp(-heat.astype(np.float64)))).astype(np.float32)
    assert decode.centernet(probs, offset, size, heat_is_logits=False)[2].tolist() == decode.centernet(heat, offset, size)[2].tolist()


def test_bev_head_gives_3d_boxes():
    heat = np.full((1, 1, 8, 8), -5.0, dtype=np.float32)
    heat[0, 0, 2, 5] = 3.0
    offset = np.full((1, 2, 8, 8), 0.5, dtype=np.float32)
    height = np.full((1, 1, 8, 8), -1.0, dtype=np.float32)
    dims = np.log(np.array([4.0, 2.0, 1.5], dtype=np.float32)).reshape(1, 3, 1, 1) * np.ones((1, 3, 8, 8), np.float32)
    angle = 0.3
    rotation = np.stack([np.full((8, 8), np.sin(angle)), np.full((8, 8), np.cos(angle))])[None].astype(np.float32)
    boxes, scores, labels = decode.centernet_bev(
        heat, offset, height, dims, rotation, origin=(-10.0, -20.0), voxel=(0.2, 0.25), stride=4.0, score_threshold=0.5
    )
    assert boxes.shape == (1, 7)
    expected = [(5 + 0.5) * 4 * 0.2 - 10, (2 + 0.5) * 4 * 0.25 - 20, -1.0, 4.0, 2.0, 1.5, angle]
    np.testing.assert_allclose(boxes[0], expected, rtol=1e-5)


def test_unletterbox_undoes_both_placements():
    assert decode.letterbox((640, 426), (416, 416), "top-left") == (0.65, (0, 0), (416, 276))
    scale, pad, resized = decode.letterbox((640, 426), (416, 416), "centre")
    assert (pad, resized) == ((0, 69), (416, 277))
    b = np.array([[10.0, 80.0, 100.0, 200.0]])
    back = decode.unletterbox(b, (640, 426), (416, 416), "centre")
    np.testing.assert_allclose(back, [[10 / 0.65, 11 / 0.65, 100 / 0.65, 131 / 0.65]])
    assert b.tolist() == [[10.0, 80.0, 100.0, 200.0]]  # the input is left alone
    clipped = decode.unletterbox(np.array([[-5.0, 0.0, 500.0, 300.0]]), (640, 426), (416, 416), clip=True)
    assert clipped.tolist() == [[0.0, 0.0, 640.0, 426.0]]


def pillow_letterbox(rgb, size, style):
    """The reference input: Pillow's bilinear resize (as ../shared/data/README.md made YOLOX's
    inputs), a canvas of 114, then the style's placement, channel order and scale."""
    from PIL import Image

    h, w = rgb.shape[:2]
    W, H = size
    r = min(W / w, H / h)
    if style == "yolox":
        rw, rh = int(w * r), int(h * r)
    else:
        rw, rh = round(w * r), round(h * r)
    resized = np.asarray(Image.fromarray(rgb).resize((max(rw, 1), max(rh, 1)), Image.BILINEAR))
    canvas = np.full((H, W, 3), 114, np.uint8)
    left, top = (0, 0) if style == "yolox" else (round((W - rw) / 2 - 0.1), round((H - rh) / 2 - 0.1))
    canvas[top : top + rh, left : left + rw] = resized
    if style == "yolox":
        return canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
    return canvas.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255.0)


@pytest.mark.parametrize("shape", [(426, 640), (640, 427), (480, 640), (123, 77), (17, 300), (416, 416), (1000, 999), (3, 2)])
@pytest.mark.parametrize("style", ["yolox", "ultralytics"])
def test_letterbox_image_is_pillow_bit_for_bit(shape, style):
    rng = np.random.default_rng(hash(shape) % 2**32)
    # Smooth gradients plus noise: every weight and rounding of the resize shows.
    y, x = np.mgrid[: shape[0], : shape[1]]
    base = (x * 3 + y * 5)[..., None] % 256 + rng.integers(-40, 40, (*shape, 3))
    rgb = np.clip(base, 0, 255).astype(np.uint8)
    before = rgb.copy()
    got = decode.letterbox_image(rgb, (416, 416), style)
    want = pillow_letterbox(rgb, (416, 416), style)
    assert got.dtype == np.float32 and got.shape == (1, 3, 416, 416)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(rgb, before)


def test_letterbox_image_reproduces_the_shared_letterboxed_pngs():
    from PIL import Image

    for name in LETTERBOXED[:2]:
        original = np.asarray(Image.open(data_file("yolox-nano", "images", name.replace(".png", ".jpg"))).convert("RGB"))
        expected = np.asarray(Image.open(data_file("yolox-nano", "letterboxed", name)).convert("RGB"))
        got = decode.letterbox_image(original, (416, 416))
        # Pillow decoded the JPEG here too, so the bytes match exactly.
        np.testing.assert_array_equal(got[0].transpose(1, 2, 0)[:, :, ::-1], expected.astype(np.float32))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: decode.letterbox_image(np.zeros((4, 4, 3), np.float32)), ["8-bit RGB", "float32"]),
        (lambda: decode.letterbox_image(np.zeros((4, 4), np.uint8)), ["(height, width, 3)", "(4, 4)"]),
        (lambda: decode.letterbox_image(np.zeros((4, 4, 3), np.uint8), (20000, 416)), ["input size = 20000x416", "16384"]),
        (lambda: decode.letterbox_image(np.zeros((4, 4, 3), np.uint8), style="detr"), ["style = 'detr'"]),
        (lambda: decode.letterbox_image(np.zeros((0, 4, 3), np.uint8)), ["size = 4x0"]),
        (lambda: decode.yolox(np.zeros((1, 100, 85), np.float32)), ["output: shape [1, 100, 85]", "3549"]),
        (lambda: decode.yolox(np.zeros((1, 3549, 85), np.float32), (415, 416)), ["strides", "415x416"]),
        (lambda: decode.yolov8(np.zeros((1, 4, 10), np.float32)), ["(1, 4 + classes, anchors)"]),
        (lambda: decode.end2end(np.zeros((1, 300, 5), np.float32)), ["(1, rows, 6)"]),
        (lambda: decode.end2end(np.array([[[0, 0, 1, 1, 0.9, 2.5]]], np.float32)), ["row 0", "class = 2.5"]),
        (lambda: decode.detr(np.zeros((1, 5, 3), np.float32), np.zeros((1, 4, 4), np.float32)), ["boxes", "(1, 5, 4)"]),
        (lambda: decode.detr(np.zeros((1, 5, 3), np.float32), np.zeros((1, 5, 4), np.float32), activation="relu"), ["relu"]),
        (lambda: decode.yolox(np.full((1, 3549, 85), np.nan, np.float32)), ["output[0] = NaN is not finite"]),
        (
            lambda: decode.centernet(np.zeros((1, 2, 4, 4), np.float32), np.zeros((1, 2, 4, 5), np.float32), np.zeros((1, 2, 4, 4), np.float32)),
            ["offset", "(1, 2, 4, 4)"],
        ),
        (lambda: decode.centernet(*[np.zeros((1, 2, 4, 4), np.float32)] * 3, down_ratio=0), ["down_ratio = 0"]),
        (lambda: decode.letterbox((0, 5), (416, 416)), ["original size = 0x5"]),
    ],
)
def test_bad_input_is_a_clear_error(call, words):
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value)
