"""softkit.track.ByteTracker through Python: the same tracks as the CLI on the same detections,
the stream rules, the appearance term, and bad input named by argument."""

import subprocess

import numpy as np
import pytest

from softkit import track
from test_mot_parity import MOT


def test_python_and_the_cli_track_alike(softkit_bin, tmp_path):
    detections = MOT / "TUD-Campus" / "test.txt"
    out = tmp_path / "tracks.txt"
    done = subprocess.run([softkit_bin, "track", "--detections", detections, "--output", out, "--no-scores"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    cli = np.loadtxt(out, delimiter=",")[:, :6]
    frames, ids, boxes, _ = track.read_mot(detections)
    tracker = track.ByteTracker()
    rows = []
    for frame in range(frames.min(), frames.max() + 1):
        here = frames == frame
        xyxy = np.hstack([boxes[here, :2], boxes[here, :2] + boxes[here, 2:]])
        got_ids, got, _, _ = tracker.update(xyxy, np.ones(here.sum()), frame=frame)
        rows.extend([frame, i, b[0], b[1], b[2] - b[0], b[3] - b[1]] for i, b in zip(got_ids, got))
    np.testing.assert_allclose(np.array(rows), cli, rtol=0, atol=1e-9)
    assert tracker.frame == frames.max()


def test_ids_follow_an_object_and_the_result_is_deterministic():
    def run():
        tracker = track.ByteTracker()
        out = []
        for t in range(20):
            boxes = np.array([[10.0 + 3 * t, 10.0, 50.0 + 3 * t, 90.0], [300.0 - 3 * t, 40.0, 340.0 - 3 * t, 120.0]])
            out.append(tracker.update(boxes, np.array([0.9, 0.8]))[0].tolist())
        return out

    first = run()
    assert first == run()
    assert all(ids == [1, 2] for ids in first)


def test_appearance_keeps_identities_through_a_crossing():
    """Two identical boxes cross head-on; their embeddings tell them apart."""
    tracker = track.ByteTracker(appearance_dim=2)
    ids_by_object = {0: set(), 1: set()}
    for t in range(40):
        a, b = 10.0 + 5 * t, 210.0 - 5 * t
        boxes = np.array([[a, 10.0, a + 40, 90.0], [b, 10.0, b + 40, 90.0]])
        embeddings = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
        ids, _, _, det = tracker.update(boxes, np.array([0.9, 0.9]), embeddings=embeddings)
        for i, d in zip(ids.tolist(), det.tolist()):
            ids_by_object[d].add(i)
    assert ids_by_object == {0: {1}, 1: {2}}


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda t: t.update([[0, 0, 1, 1]], [0.9, 0.8]), ValueError, "scores has 2 entries but boxes has 1"),
        (lambda t: t.update([[0, 0, np.nan, 1]], [0.9]), ValueError, "boxes[0].x2 = NaN is not finite"),
        (lambda t: t.update([[0, 0, 1, 1]], [0.9], frame=5) and t.update([[0, 0, 1, 1]], [0.9], frame=5), ValueError,
         "frame 5 does not come after frame 5"),
        (lambda t: t.update([[0, 0, 1, 1]], [0.9], embeddings=[[1.0, 0.0]]), ValueError, "no appearance_dim"),
        (lambda t: t.update([[0, 0, 1]], [0.9]), ValueError, "boxes must have shape (N, 4), got (1, 3)"),
        (lambda t: t.update([[0, 0, 1, 1]], ["a"]), TypeError, "scores must be a float32 or float64 array"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error) as info:
        call(track.ByteTracker())
    assert message in str(info.value)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="min_hits = 0 is invalid"):
        track.ByteTracker(min_hits=0)
    with pytest.raises(ValueError, match="measure = \"cosine\" is invalid"):
        track.ByteTracker(measure="cosine")
    with pytest.raises(ValueError, match="appearance_dim = 0 is invalid"):
        track.ByteTracker(appearance_dim=0)
