"""`softkit nms` on the real YOLOX-nano candidates, evaluated by pycocotools."""

import contextlib
import io
import json
import subprocess

import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from conftest import data_file

# The val2017 images of the candidates file that have full ground truth in the val2014 parity set.
IMAGES_WITH_GT = [139, 285, 632, 724, 776, 785, 802, 872, 885, 1000, 1268]


def run_cli(softkit_bin, *args):
    return subprocess.run([str(softkit_bin), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def ground_truth():
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(data_file("coco-val2014-100", "instances_val2014_100.json")))


# The data README's figures for a plain class-wise reference through pycocotools.
@pytest.mark.parametrize("method,extra,expected_ap", [("hard", ["--iou", "0.65"], 0.3858), ("gaussian", ["--sigma", "0.5"], 0.3842)])
def test_nms_output_is_accepted_by_pycocotools(softkit_bin, ground_truth, tmp_path, method, extra, expected_ap):
    out = tmp_path / f"{method}.json"
    done = run_cli(
        softkit_bin, "nms", "--input", data_file("yolox-nano", "candidates_val2017_100.json"), "--method", method, *extra, "--output", out
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert len(results) > 1000
    assert all(set(r) == {"image_id", "category_id", "bbox", "score"} for r in results)
    with_gt = [r for r in results if r["image_id"] in IMAGES_WITH_GT]
    with contextlib.redirect_stdout(io.StringIO()):
        detections = ground_truth.loadRes(with_gt)
        evaluation = COCOeval(ground_truth, detections, "bbox")
        evaluation.params.imgIds = IMAGES_WITH_GT
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert abs(evaluation.stats[0] - expected_ap) < 1e-4


def test_malformed_file_names_line_and_column(softkit_bin, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"candidates": [\n  [1, 0, 0, 0, 1, 1, 0.5],\n  [1, 0, 0, 0 1, 1, 0.5]\n]}')
    done = run_cli(softkit_bin, "nms", "--input", bad, "--output", tmp_path / "out.json")
    assert done.returncode != 0
    assert f"malformed JSON in {bad}: candidates[1]: expected `,` or `]` at line 3 column 15" in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_missing_file_is_reported(softkit_bin, tmp_path):
    done = run_cli(softkit_bin, "nms", "--input", tmp_path / "nope.json", "--output", tmp_path / "out.json")
    assert done.returncode != 0
    assert "nope.json: No such file or directory" in done.stderr
