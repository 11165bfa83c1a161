"""Extreme but finite coordinates (issue 18): within +-1e150 and above the smallest normal area,
every overlap is computed without overflow or underflow, so IoU does not depend on the scale;
beyond, the input is refused with a message that names the box and says to rescale. Never a
wrong number."""

import numpy as np
import pytest

import softkit


def _boxes(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 100.0, (n, 2))
    return np.column_stack([xy, xy + rng.uniform(1.0, 40.0, (n, 2))])


@pytest.mark.parametrize("scale", [1e-140, 1e-40, 1e40, 1e140])
def test_overlaps_do_not_depend_on_a_power_of_two_scale(scale):
    boxes = _boxes(60, 3)
    # A power of two scales every coordinate exactly, so each measure must come out identical.
    exact = 2.0 ** round(np.log2(scale))
    for fn in (softkit.box_iou, softkit.generalized_box_iou, softkit.distance_box_iou):
        np.testing.assert_array_equal(fn(boxes * exact, boxes * exact), fn(boxes, boxes), err_msg=fn.__name__)
    scores = np.linspace(1.0, 0.5, len(boxes))
    np.testing.assert_array_equal(softkit.nms(boxes * exact, scores, 0.3), softkit.nms(boxes, scores, 0.3))
    np.testing.assert_array_equal(softkit.box_iou(boxes * scale, boxes * scale).diagonal(), np.ones(len(boxes)))


@pytest.mark.parametrize(
    "box, message",
    [
        ([0.0, 0.0, 1e155, 1.0], "boxes[0].x2 = 1e155 is invalid: a magnitude of at most 1e150"),
        ([-1e200, 0.0, 1.0, 1.0], "boxes[0].x1 = -1e200 is invalid: a magnitude of at most 1e150"),
        ([0.0, 0.0, 1e-170, 1e-170], "boxes[0].width = 1e-170 is invalid"),
    ],
)
def test_unrepresentable_areas_are_refused_with_the_box_named(box, message):
    boxes = np.array([box, [0.0, 0.0, 1.0, 1.0]])
    for call in (
        lambda: softkit.box_iou(boxes, boxes),
        lambda: softkit.nms(boxes, np.array([0.9, 0.8]), 0.5),
        lambda: softkit.soft_nms(boxes, np.array([0.9, 0.8])),
    ):
        with pytest.raises(ValueError) as err:
            call()
        assert message in str(err.value) and "rescale the coordinates" in str(err.value)


def test_box_convert_never_returns_inf_from_finite_input():
    # x2 - x1 would overflow to inf: refused, not converted.
    with pytest.raises(ValueError, match=r"x1 = -1e308 is invalid: a magnitude of at most 1e150"):
        softkit.box_convert(np.array([[-1e308, 0.0, 1e308, 1.0]]), "xyxy", "xywh")
    out = softkit.box_convert(np.array([[-1e150, 0.0, 1e150, 1.0]]), "xyxy", "cxcywh")
    assert np.isfinite(out).all() and out[0, 2] == 2e150
    # Zero-area boxes (a point, a line) stay valid: only a positive area too small to hold is refused.
    assert softkit.box_iou(np.array([[0.0, 0.0, 0.0, 5.0]]), np.array([[0.0, 0.0, 1.0, 5.0]]))[0, 0] == 0.0
