"""softkit.ops against torchvision.ops on torch CPU tensors, and tensors in and out everywhere."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision

import softkit
from softkit import ops


def scene(seed: int, n: int, dtype=torch.float32, ties: bool = False):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g, dtype=torch.float64) * 200
    wh = torch.rand(n, 2, generator=g, dtype=torch.float64) * 60 + 1
    boxes = torch.cat([xy, xy + wh], dim=1).to(dtype)
    scores = torch.rand(n, generator=g, dtype=torch.float64)
    if ties:
        scores = (scores * 4).round() / 4  # many exact ties: both libraries break them by index
    return boxes, scores.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", range(8))
def test_nms_and_batched_nms_equal_torchvision(seed, dtype):
    boxes, scores = scene(seed, 300, dtype, ties=seed % 2 == 1)
    labels = torch.randint(0, 5, (300,), generator=torch.Generator().manual_seed(seed))
    for t in (0.3, 0.5, 0.7):
        want = torchvision.ops.nms(boxes, scores, t)
        got = ops.nms(boxes, scores, t)
        assert isinstance(got, torch.Tensor) and got.dtype == torch.int64
        assert torch.equal(got, want)
        want = torchvision.ops.batched_nms(boxes, scores, labels, t)
        got = ops.batched_nms(boxes, scores, labels, t)
        assert got.dtype == torch.int64 and torch.equal(got, want)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_overlap_matrices_equal_torchvision(dtype):
    a, _ = scene(1, 80, dtype)
    b, _ = scene(2, 60, dtype)
    tol = 1e-6 if dtype == torch.float32 else 1e-12
    for mine, theirs in [
        (ops.box_iou, torchvision.ops.box_iou),
        (ops.generalized_box_iou, torchvision.ops.generalized_box_iou),
        # torchvision adds eps (1e-7) to DIoU's squared diagonal; softkit's DIoU is exact.
        (ops.distance_box_iou, lambda a, b: torchvision.ops.distance_box_iou(a, b, eps=0.0)),
    ]:
        got, want = mine(a, b), theirs(a, b)
        assert isinstance(got, torch.Tensor) and got.dtype == dtype and got.shape == want.shape
        assert torch.allclose(got, want, atol=tol, rtol=tol), mine.__name__
    default_eps = torchvision.ops.distance_box_iou(a, b)
    assert torch.allclose(ops.distance_box_iou(a, b), default_eps, atol=1e-9 if dtype == torch.float64 else 1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_box_convert_remove_small_and_clip_equal_torchvision(dtype):
    boxes, _ = scene(3, 50, dtype)
    formats = ("xyxy", "xywh", "cxcywh")
    for src in formats:
        for dst in formats:
            given = torchvision.ops.box_convert(boxes, "xyxy", src)
            got, want = ops.box_convert(given, src, dst), torchvision.ops.box_convert(given, src, dst)
            assert got.dtype == dtype and torch.allclose(got, want, atol=1e-4 if dtype == torch.float32 else 1e-10)
    for m in (5.0, 20.0, 40.0):
        got = ops.remove_small_boxes(boxes, m)
        assert got.dtype == torch.int64 and torch.equal(got, torchvision.ops.remove_small_boxes(boxes, m))
    shifted = boxes - 30
    got = ops.clip_boxes_to_image(shifted, (150, 120))
    assert got.dtype == dtype and torch.equal(got, torchvision.ops.clip_boxes_to_image(shifted, (150, 120)))
    assert not torch.equal(got, shifted), "the input is not changed"


def test_soft_nms_and_the_family_return_tensors_in_the_input_dtype():
    boxes, scores = scene(4, 200)
    keep, decayed = softkit.soft_nms(boxes, scores)
    assert keep.dtype == torch.int64 and decayed.dtype == torch.float32
    k_np, d_np = softkit.soft_nms(boxes.numpy(), scores.numpy())
    assert keep.tolist() == k_np.tolist() and np.allclose(decayed.numpy(), d_np)
    keep, s = softkit.matrix_nms(boxes, scores)
    assert isinstance(keep, torch.Tensor) and s.dtype == torch.float32
    assert softkit.fast_nms(boxes.double(), scores.double()).dtype == torch.int64
    voted = softkit.box_voting(boxes, scores, softkit.nms(boxes, scores, 0.5))
    assert voted.dtype == torch.float32 and voted.shape[1] == 4


def test_a_tensor_that_requires_grad_is_read_detached():
    boxes, scores = scene(5, 100)
    scores.requires_grad_(True)
    keep = ops.nms(boxes, scores, 0.5)
    assert torch.equal(keep, torchvision.ops.nms(boxes, scores.detach(), 0.5))
    assert scores.requires_grad and scores.grad is None


def test_a_tensor_on_another_device_names_cpu():
    boxes = torch.empty(3, 4, device="meta")
    with pytest.raises(ValueError, match=r"boxes is a torch tensor on meta.*pass boxes\.cpu\(\)"):
        ops.nms(boxes, torch.rand(3), 0.5)


def test_bfloat16_and_dlpack_arrays():
    boxes, scores = scene(6, 50)
    keep = ops.nms(boxes.bfloat16(), scores.bfloat16(), 0.5)
    assert torch.equal(keep, torchvision.ops.nms(boxes.bfloat16().float(), scores.bfloat16().float(), 0.5))

    class HostArray:
        """Only the DLPack protocol, as a jax or cupy array on the host offers."""

        def __init__(self, a):
            self._a = a

        def __dlpack__(self, **kwargs):
            return self._a.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self._a.__dlpack_device__()

    got = softkit.nms(HostArray(boxes.numpy()), HostArray(scores.numpy()), 0.5)
    assert isinstance(got, np.ndarray) and got.tolist() == torchvision.ops.nms(boxes, scores, 0.5).tolist()


def test_numpy_callers_never_import_torch():
    code = (
        "import sys, numpy as np, softkit, softkit.ops\n"
        "b = np.array([[0., 0, 1, 1]]); softkit.nms(b, np.array([0.5]), 0.5); softkit.ops.box_iou(b, b)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
