"""softkit.track.mot_metrics against the live references, py-motmetrics 1.4.0 and TrackEval, run
in their own venv (SOFTKIT_MOT_PYTHON, made by scripts/test.sh): the TUD sequences and seeded
synthetic ones with crossings, occlusions, id swaps, fragments and empty frames."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA
from softkit import track

MOT = DATA / "mot"
COUNTS = ["num_unique_objects", "mostly_tracked", "partially_tracked", "mostly_lost", "num_false_positives",
          "num_misses", "num_switches", "num_fragmentations", "num_transfer", "num_ascend", "num_migrate",
          "num_frames", "num_matches", "num_objects", "num_predictions"]
RATIOS = ["idf1", "idp", "idr", "recall", "precision", "mota", "motp",
          "hota", "deta", "assa", "deta_re", "deta_pr", "assa_re", "assa_pr", "loca", "owta"]


def run_reference(items):
    python = os.environ.get("SOFTKIT_MOT_PYTHON")
    assert python and Path(python).exists(), (
        "SOFTKIT_MOT_PYTHON must name the MOT reference venv's python (scripts/test.sh makes .venv-mot)")
    done = subprocess.run([python, str(Path(__file__).with_name("mot_reference.py"))], input=json.dumps(items),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def reference(pairs):
    return run_reference([{"gt": str(g), "tracks": str(t)} for g, t in pairs])


def assert_same(ours, theirs, label):
    for k in COUNTS:
        assert ours[k] == theirs[k], f"{label} {k}: softkit {ours[k]}, reference {theirs[k]}"
    for k in RATIOS:
        assert abs(ours[k] - theirs[k]) <= 1e-9, f"{label} {k}: softkit {ours[k]!r}, reference {theirs[k]!r}"


def write_mot(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(",".join(repr(v) if isinstance(v, float) else str(v) for v in r) + ",-1,-1,-1\n")


def synthetic(seed, frames=80, objects=8):
    """Objects crossing at constant velocity, and a tracker output with noise, misses, occlusion
    gaps, fragments, id swaps, false alarms and frames with no tracks at all."""
    rng = np.random.default_rng(seed)
    gt, hyp = [], []
    label = {k: k + 100 for k in range(objects)}
    next_label = 1000
    gap = {k: set(range(s, s + rng.integers(3, 15))) for k in range(objects) for s in [rng.integers(1, frames)]}
    starts = rng.uniform(0, 400, (objects, 2))
    speeds = rng.normal(0, 4, (objects, 2))
    sizes = rng.uniform(20, 70, objects)
    empty = set(rng.choice(np.arange(1, frames + 1), 4, replace=False).tolist())
    for t in range(1, frames + 1):
        present = [k for k in range(objects) if not (seed % 2 and k == 0 and t > frames // 2)]
        if len(present) > 1 and rng.random() < 0.05:
            a, b = rng.choice(present, 2, replace=False)
            label[a], label[b] = label[b], label[a]
        for k in present:
            x, y = starts[k] + speeds[k] * t
            w = round(float(sizes[k]), 2)
            gt.append((t, k + 1, round(float(x), 2), round(float(y), 2), w, 2 * w, 1))
            if rng.random() < 0.03:
                label[k] = next_label
                next_label += 1
            if t in empty or t in gap[k] or rng.random() < 0.05:
                continue
            jitter = rng.normal(0, 2, 4).round(2)
            hyp.append((t, label[k], round(float(x + jitter[0]), 2), round(float(y + jitter[1]), 2),
                        max(0.0, round(float(w + jitter[2]), 2)), max(0.0, round(float(2 * w + jitter[3]), 2)), 1))
        if t not in empty and rng.random() < 0.3:
            hyp.append((t, next_label, round(float(rng.uniform(0, 400)), 2), round(float(rng.uniform(0, 400)), 2), 30.0, 60.0, 1))
            next_label += 1
    # Frames of the ground truth only (no tracker output) and of the tracker only.
    gt.append((frames + 3, 99, 10.0, 10.0, 30.0, 60.0, 1))
    hyp.append((frames + 5, 5000, 10.0, 10.0, 30.0, 60.0, 1))
    return gt, hyp


def test_tud_sequences_match_motmetrics_and_trackeval():
    pairs = [(MOT / s / "gt.txt", MOT / s / "test.txt") for s in ("TUD-Campus", "TUD-Stadtmitte")]
    for (g, t), theirs in zip(pairs, reference(pairs)):
        ours = track.mot_metrics(g, t)
        assert_same(ours, theirs, g.parent.name)
    # The figures py-motmetrics reports for them.
    campus = track.mot_metrics(*pairs[0])
    assert round(campus["idf1"], 4) == 0.5577 and round(campus["mota"], 4) == 0.5265 and round(campus["motp"], 4) == 0.2772


def test_synthetic_sequences_match_motmetrics_and_trackeval(tmp_path):
    pairs = []
    for seed in range(8):
        gt, hyp = synthetic(seed)
        g, t = tmp_path / f"gt{seed}.txt", tmp_path / f"test{seed}.txt"
        write_mot(g, gt)
        write_mot(t, hyp)
        pairs.append((g, t))
    for (g, t), theirs in zip(pairs, reference(pairs)):
        assert_same(track.mot_metrics(g, t), theirs, g.name)


def test_the_cli_overall_row_matches_compute_many_and_combine_sequences(softkit_bin, tmp_path):
    """`softkit mot-eval` on a folder: each sequence, and the OVERALL row against motmetrics'
    `compute_many(generate_overall=True)` and TrackEval's `combine_sequences`."""
    gt_dir, tracks_dir = tmp_path / "gt", tmp_path / "tracks"
    pairs = []
    for seed in range(3):
        gt, hyp = synthetic(20 + seed)
        (gt_dir / f"seq{seed}").mkdir(parents=True)
        tracks_dir.mkdir(exist_ok=True)
        write_mot(gt_dir / f"seq{seed}" / "gt.txt", gt)
        write_mot(tracks_dir / f"seq{seed}.txt", hyp)
        pairs.append({"gt": str(gt_dir / f"seq{seed}" / "gt.txt"), "tracks": str(tracks_dir / f"seq{seed}.txt")})
    out = tmp_path / "report.json"
    done = subprocess.run([softkit_bin, "mot-eval", "--gt", gt_dir, "--tracks", tracks_dir, "--json", out],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    theirs = run_reference(pairs + [{"overall": pairs}])
    for seed in range(3):
        assert_same(report["sequences"][f"seq{seed}"], theirs[seed], f"seq{seed}")
    assert_same(report["overall"], theirs[3], "OVERALL")


def test_arrays_and_files_agree(tmp_path):
    gt, hyp = synthetic(11)
    g, t = tmp_path / "gt.txt", tmp_path / "test.txt"
    write_mot(g, gt)
    write_mot(t, hyp)
    from_files = track.mot_metrics(g, t)
    from_arrays = track.mot_metrics(np.array(gt, dtype=float), np.array(hyp, dtype=float))
    assert from_files == from_arrays


@pytest.mark.parametrize(
    "gt,tracks,message",
    [
        ([[1, 1, 0, 0, 10, 10, 1], [1, 1, 5, 5, 10, 10, 1]], [[1, 1, 0, 0, 10, 10]], "id 1 appears twice in frame 1"),
        ([[1, 1, 0, 0, -10, 10, 1]], [[1, 1, 0, 0, 10, 10]], "w = -10 is negative"),
        ([[1, 1, 0, np.nan, 10, 10, 1]], [[1, 1, 0, 0, 10, 10]], "y = NaN is not finite"),
        ([[1.5, 1, 0, 0, 10, 10, 1]], [[1, 1, 0, 0, 10, 10]], "gt[0].frame = 1.5 is not an integer"),
        ([[1, 1, 0, 0]], [[1, 1, 0, 0, 10, 10]], "must be a MOTChallenge file or an (N, >=6) array"),
    ],
)
def test_bad_input_is_named(gt, tracks, message):
    with pytest.raises(ValueError) as info:
        track.mot_metrics(gt, tracks)
    assert message in str(info.value)


def test_a_malformed_file_names_its_line(tmp_path):
    bad = tmp_path / "gt.txt"
    bad.write_text("1,1,0,0,10,10,1,-1,-1\n2,1,0,0,ten,10,1,-1,-1\n")
    with pytest.raises(ValueError, match=r"gt.txt:2: w = \"ten\" is not a number"):
        track.mot_metrics(bad, bad)
