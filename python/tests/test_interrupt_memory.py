"""Ctrl-C stops a long call within a second, and a matrix that cannot fit raises MemoryError
before anything is allocated (issue 18)."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import softkit


def _stacked_boxes(n: int, seed: int = 0):
    """n boxes that all overlap each other (IoU about 0.98), with distinct scores."""
    rng = np.random.default_rng(seed)
    boxes = np.tile([0.0, 0.0, 100.0, 100.0], (n, 1)) + rng.uniform(0.0, 1.0, (n, 4))
    return boxes, rng.random(n)


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
def test_ctrl_c_interrupts_a_long_call_within_a_second():
    # Linear Soft-NMS at Nt 1.0 never decays, so every selection measures every remaining box:
    # n^2 / 2 overlaps, far longer than the test waits.
    boxes, scores = _stacked_boxes(60_000)
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            softkit.soft_nms(boxes, scores, method="linear", iou_threshold=1.0)
        raised = time.monotonic()
    finally:
        timer.cancel()
    assert sent, "the call ended before the signal was sent"
    assert raised - sent[0] < 1.0, f"KeyboardInterrupt came {raised - sent[0]:.2f} s after SIGINT"

    # The interrupt is withdrawn: the next call runs to the end.
    keep = softkit.nms(boxes[:3], scores[:3], 0.5)
    assert list(keep) == [int(np.argmax(scores[:3]))]


def _mem_total() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="reads the machine's memory from /proc/meminfo")
def test_a_matrix_larger_than_memory_raises_memory_error():
    boxes = np.tile(np.array([[0.0, 0.0, 1.0, 1.0]]), (1_000_000, 1))
    with pytest.raises(MemoryError, match=r"unable to allocate 8000000000000 bytes for a 1000000 x 1000000 overlap matrix"):
        softkit.box_iou(boxes, boxes)
    segments = np.tile(np.array([[0.0, 1.0]]), (1_000_000, 1))
    with pytest.raises(MemoryError, match="1000000 x 1000000 overlap matrix"):
        softkit.box_iou(segments, segments, geometry="segment")
    if _mem_total() < 80_000_000_000:
        # The case of the issue: 100k x 100k needs 80 GB.
        small = boxes[:100_000]
        with pytest.raises(MemoryError, match="80000000000 bytes"):
            softkit.box_iou(small, small)
    # A matrix that fits is computed as before.
    assert softkit.box_iou(boxes[:3], boxes[:2]).shape == (3, 2)
