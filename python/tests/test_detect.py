"""`softkit detect` end to end: the real YOLOX-nano model on tract against the shared reference
candidates and against softkit ablate's AP, every head family recognised and decoded on real or
hand-built ONNX graphs, and the bad inputs a user meets."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import decode_reference as ref
from conftest import data_file
from head_variants import run_model, variant_models

GT_IMAGES = [139, 285, 632, 724, 776, 785, 802, 872, 885, 1000, 1268]


def detect(softkit_bin, *args, ok=True):
    proc = subprocess.run([str(softkit_bin), "detect", *map(str, args)], capture_output=True, text=True, timeout=600)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def results_by_image(path):
    rows = {}
    for r in json.loads(path.read_text()):
        x, y, w, h = r["bbox"]
        rows.setdefault(r["image_id"], []).append((r["category_id"], x, y, x + w, y + h, r["score"]))
    return rows


def match(ours, reference, score_tol, box_rtol):
    """Pairs every reference row with one of ours of the same class, box within ``box_rtol``
    relative (1e-3 px absolute) and score within ``score_tol``; returns the unmatched of each."""
    left = list(ours)
    missing = []
    for row in reference:
        best = None
        for i, cand in enumerate(left):
            if cand[0] != row[0] or abs(cand[5] - row[5]) > score_tol:
                continue
            err = max(abs(a - b) - box_rtol * abs(b) for a, b in zip(cand[1:5], row[1:5]))
            if err <= 1e-3 and (best is None or err < best[0]):
                best = (err, i)
        if best is None:
            missing.append(row)
        else:
            left.pop(best[1])
    return missing, left


@pytest.fixture(scope="module")
def reference_candidates():
    return json.loads(data_file("yolox-nano", "candidates_val2017_100.json").read_text())


def test_letterboxed_pngs_reproduce_the_reference_candidates(softkit_bin, tmp_path, reference_candidates):
    out = tmp_path / "raw.json"
    proc = detect(
        softkit_bin,
        "--model", data_file("yolox-nano", "yolox_nano.onnx"),
        "--images", data_file("yolox-nano", "letterboxed"),
        "--method", "none", "--max-det", 100000, "--conf", 0.001, "--output", out,
    )  # fmt: skip
    assert "head yolox" in proc.stderr and "100 images" in proc.stderr
    ours = results_by_image(out)
    sizes = {i["id"]: (i["width"], i["height"]) for i in reference_candidates["images"]}
    expected = {}
    for image_id, cls, x1, y1, x2, y2, score in reference_candidates["candidates"]:
        expected.setdefault(image_id, []).append((cls, x1, y1, x2, y2, score))
    total, unmatched = 0, 0
    for image_id, rows in expected.items():
        # The PNGs are the model's input: undo the letterbox with the original size.
        r = min(416 / sizes[image_id][0], 416 / sizes[image_id][1])
        mine = [(c, x1 / r, y1 / r, x2 / r, y2 / r, s) for c, x1, y1, x2, y2, s in ours.get(image_id, [])]
        # Scores are written to 6 decimals and boxes to 3; runtimes differ by about 3e-5.
        missing, extra = match(mine, rows, score_tol=1e-3, box_rtol=1e-4)
        # Only rows at the 0.001 threshold may fall on either side of it.
        assert all(row[5] < 0.0012 for row in missing), missing[:3]
        assert all(row[5] < 0.0012 for row in extra), extra[:3]
        total += len(rows)
        unmatched += len(missing)
    assert total == 88907
    assert unmatched < 30


def test_jpegs_score_the_ablate_ap(softkit_bin, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    folder = tmp_path / "jpegs"
    folder.mkdir()
    for image_id in GT_IMAGES:
        shutil.copy(data_file("yolox-nano", "images", f"{image_id:012d}.jpg"), folder)
    gt = data_file("coco-val2014-100", "instances_val2014_100.json")
    out, ablate_json = tmp_path / "dets.json", tmp_path / "ablate.json"
    proc = detect(softkit_bin, "--model", data_file("yolox-nano", "yolox_nano.onnx"), "--images", folder, "--gt", gt, "--output", out)
    assert "gaussian suppression" in proc.stderr
    assert "COCO bbox evaluation on 11 of the 11 images" in proc.stdout
    subprocess.run(
        [str(softkit_bin), "ablate", "--candidates", data_file("yolox-nano", "candidates_val2017_100.json"), "--gt", gt, "--json", ablate_json],
        check=True,
        capture_output=True,
    )
    rows = json.loads(ablate_json.read_text())["rows"]
    ablate_ap = next(r["stats"][0] for r in rows if r["method"] == "Soft-NMS gaussian, sigma 0.5")
    coco = COCO(str(gt))
    ev = COCOeval(coco, coco.loadRes(str(out)), "bbox")
    ev.params.imgIds = GT_IMAGES
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert abs(ev.stats[0] - ablate_ap) < 0.01, (ev.stats[0], ablate_ap)
    # The printed summary is the same evaluation.
    assert f"= {ev.stats[0]:.3f}" in proc.stdout


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return variant_models(tmp_path_factory.mktemp("heads"))


@pytest.mark.parametrize("head, found", [("yolov8", "head yolov8"), ("e2e", "head e2e")])
def test_auto_recognises_and_decodes_the_variant_heads(softkit_bin, tmp_path, models, head, found):
    images = tmp_path / "images"
    images.mkdir()
    names = ["000000000139.png", "000000000632.png"]
    for name in names:
        shutil.copy(data_file("yolox-nano", "letterboxed", name), images)
    out = tmp_path / "out.json"
    # The variants keep YOLOX's input (BGR, 0..255, top-left), not ultralytics' default for these heads.
    yolox_input = ["--channels", "bgr", "--pixel-divisor", 1, "--letterbox", "top-left"]
    proc = detect(softkit_bin, "--model", models[head], "--images", images, "--method", "none", "--max-det", 100000, "--output", out, *yolox_input)
    assert found in proc.stderr and "no suppression" in proc.stderr
    if head == "e2e":
        assert "end2end = true" in proc.stderr
    ours = results_by_image(out)
    for name in names:
        original = run_model(models["yolox"], data_file("yolox-nano", "letterboxed", name))[0]
        boxes, scores, labels = ref.yolox_top_k(original) if head == "e2e" else ref.yolox(original)
        expected = [(int(c), *b, float(s)) for b, s, c in zip(boxes.tolist(), scores, labels) if s > 0.001]
        missing, extra = match(ours[int(name[:12])], expected, score_tol=1e-4, box_rtol=1e-4)
        # onnxruntime (the reference's raw output) and tract differ by ~3e-5: only rows at the
        # threshold (and, for the top-k, at the 300th score) may swap.
        cut = 0.0012 if head == "yolov8" else float(scores[-1]) + 1e-4
        assert all(row[5] < cut for row in missing + extra), (missing[:3], extra[:3])


def test_a_model_with_a_free_input_size_needs_input_size(softkit_bin, tmp_path):
    import onnx

    model = onnx.load(data_file("yolox-nano", "yolox_nano.onnx"))
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[2].dim_param, dims[3].dim_param = "batch", "height", "width"
    free = tmp_path / "free.onnx"
    onnx.save(model, free)
    images = tmp_path / "images"
    images.mkdir()
    shutil.copy(data_file("yolox-nano", "letterboxed", "000000000139.png"), images)
    refused = detect(softkit_bin, "--model", free, "--images", images, "--output", tmp_path / "o.json", ok=False)
    assert refused.returncode != 0 and "input size is not fixed" in refused.stderr and "--input-size" in refused.stderr
    outputs = {}
    for name, model_args in (("free", [free, "--input-size", "416,416"]), ("fixed", [data_file("yolox-nano", "yolox_nano.onnx")])):
        outputs[name] = tmp_path / f"{name}.json"
        detect(softkit_bin, "--model", *model_args, "--images", images, "--method", "none", "--output", outputs[name])
    assert json.loads(outputs["free"].read_text()) == json.loads(outputs["fixed"].read_text())


def tiny_model(path, outputs, metadata=None):
    """A graph on a (1, 3, 32, 32) input whose outputs are the given constants plus 0 x the
    input's mean, so that they depend on the input as a real head does."""
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0)]
    nodes.append(helper.make_node("Mul", ["mean", "zero"], ["nothing"]))
    inits = [numpy_helper.from_array(np.float32(0), "zero")]
    infos = []
    for name, value in outputs.items():
        inits.append(numpy_helper.from_array(value.astype(np.float32), name + "_k"))
        nodes.append(helper.make_node("Add", [name + "_k", "nothing"], [name]))
        infos.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])], infos, inits
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    import onnx

    onnx.save(model, path)
    return path


def one_image(folder, size=(32, 32), mode="RGB", name="7.png"):
    from PIL import Image

    folder.mkdir(exist_ok=True)
    Image.new(mode, size, 128 if mode != "RGB" else (128, 128, 128)).save(folder / name)
    return folder


def test_detr_and_centernet_heads_through_tract(softkit_bin, tmp_path):
    rng = np.random.default_rng(3)
    logits, boxes = rng.normal(0, 2, (1, 20, 5)), rng.uniform(0.2, 0.8, (1, 20, 4))
    detr_model = tiny_model(tmp_path / "detr.onnx", {"pred_logits": logits, "pred_boxes": boxes})
    heat = rng.normal(-3, 1, (1, 2, 8, 8))
    heat[0, 1, 3, 4] = 2.0
    offset, size = rng.uniform(0, 1, (1, 2, 8, 8)), rng.uniform(1, 4, (1, 2, 8, 8))
    cn_model = tiny_model(tmp_path / "centernet.onnx", {"hm": heat, "reg": offset, "wh": size})
    images = one_image(tmp_path / "images")
    for model, found, expected in (
        (detr_model, "head detr", ref.detr(logits, boxes, (32, 32), k=300, score_threshold=0.001)),
        (cn_model, "head centernet", ref.centernet(heat, offset, size, score_threshold=0.001)),
    ):
        out = tmp_path / "out.json"
        proc = detect(softkit_bin, "--model", model, "--images", images, "--max-det", 1000, "--output", out)
        assert found in proc.stderr and "no suppression" in proc.stderr
        got = results_by_image(out)[7]
        want = sorted(((int(c), *b, float(s)) for b, s, c in zip(expected[0].tolist(), expected[1], expected[2])), key=lambda r: -r[5])
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g[0] == w[0] and abs(g[5] - w[5]) < 1e-6
            np.testing.assert_allclose(g[1:5], w[1:5], atol=1e-3)


def oriented_heads(rng, anchors=21, classes=2):
    """A YOLOv8-OBB head ``(1, 4 + classes + 1, anchors)`` and an end-to-end OBB table
    ``(1, anchors, 7)`` of clustered rotated boxes on a 32 x 32 input, so that many overlap. The
    table's 21 rows also number the input's YOLOX grid cells: its end2end metadata must win."""
    centres = rng.uniform(10, 22, (2, anchors))
    sizes = rng.uniform(4, 14, (2, anchors))
    scores = rng.uniform(0, 1, (classes, anchors)) ** 2
    angles = rng.uniform(-0.8, 0.8, (1, anchors))
    v8 = np.concatenate([centres, sizes, scores, angles])[None]
    table = np.concatenate([centres.T, sizes.T, scores[0][:, None], (np.arange(anchors) % classes)[:, None], angles.T], axis=1)
    return v8, table[None]


def test_oriented_heads_write_rotated_results(softkit_bin, tmp_path):
    import shape_reference as shapes

    v8, table = oriented_heads(np.random.default_rng(11))
    images = one_image(tmp_path / "images")
    v8_model = tiny_model(tmp_path / "obb.onnx", {"output0": v8}, {"task": "obb"})
    e2e_model = tiny_model(tmp_path / "e2e_obb.onnx", {"output0": table}, {"task": "obb", "end2end": "True"})
    head = v8[0].astype(np.float32)
    rows = [(a, c) for a in range(head.shape[1]) for c in range(2) if head[4 + c, a] > 0.001]
    rboxes = [[*head[:4, a].tolist(), float(head[6, a])] for a, _ in rows]
    scores = [float(head[4 + c, a]) for a, c in rows]
    labels = [c for _, c in rows]
    for method, kwargs in (("gaussian", {"sigma": 0.5}), ("hard", {"iou_threshold": 0.3})):
        out = tmp_path / f"{method}.json"
        flags = ["--sigma", 0.5] if method == "gaussian" else ["--iou", 0.3]
        proc = detect(softkit_bin, "--model", v8_model, "--images", images, "--method", method, *flags, "--max-det", 1000, "--output", out)
        assert "head yolov8-obb" in proc.stderr
        got = [(r["category_id"], r["rbox"], r["score"]) for r in json.loads(out.read_text())]
        ref_method = "nms" if method == "hard" else "gaussian"
        want = shapes.batched(rboxes, scores, labels, ref_method, **kwargs)
        assert len(got) == len(want) and len(want) < len(rows), (len(got), len(want), len(rows))
        for (category, rbox, score), (index, ref_score) in zip(got, want):
            assert category == labels[index] and abs(score - ref_score) < 1e-9
            np.testing.assert_allclose(rbox, rboxes[index], rtol=1e-6)

    out = tmp_path / "e2e.json"
    proc = detect(softkit_bin, "--model", e2e_model, "--images", images, "--output", out, "--draw", tmp_path / "drawn", "--draw-threshold", 0)
    assert "head e2e-obb" in proc.stderr and "no suppression" in proc.stderr
    got = json.loads(out.read_text())
    rows = table[0].astype(np.float32)
    want = sorted((i for i in range(len(rows)) if rows[i, 4] > 0.001), key=lambda i: (-rows[i, 4], i))
    assert [r["category_id"] for r in got] == [int(rows[i, 5]) for i in want]
    np.testing.assert_allclose([r["rbox"] for r in got], [[*rows[i, :4], rows[i, 6]] for i in want], rtol=1e-6)
    assert (tmp_path / "drawn" / "7.png").is_file()


def test_drawing_and_image_conversions(softkit_bin, tmp_path):
    from PIL import Image

    images = tmp_path / "images"
    one_image(images, (50, 40), "L", "1.png")  # grayscale
    Image.fromarray(np.full((40, 50), 30000, dtype=np.uint16)).save(images / "2.png")  # 16-bit
    classes = tmp_path / "classes.txt"
    classes.write_text("\n".join(f"class{i}" for i in range(80)))
    drawn = tmp_path / "drawn"
    proc = detect(
        softkit_bin, "--model", data_file("yolox-nano", "yolox_nano.onnx"), "--images", images,
        "--output", tmp_path / "o.json", "--draw", drawn, "--draw-threshold", 0.0, "--classes", classes,
    )  # fmt: skip
    assert "converted to 8-bit RGB" in proc.stderr
    for stem in ("1", "2"):
        picture = Image.open(drawn / f"{stem}.png")
        assert picture.size == (50, 40) and picture.mode == "RGB"


@pytest.mark.parametrize(
    "case",
    ["no_decoder", "corrupt", "truncated", "empty", "missing_model", "bad_decoder", "nms_free_iou", "draw_over_images", "zero_divisor"],
)
def test_bad_input_is_a_clear_error(softkit_bin, tmp_path, case):
    model = data_file("yolox-nano", "yolox_nano.onnx")
    images = one_image(tmp_path / "images")
    args = ["--model", model, "--images", images, "--output", tmp_path / "o.json"]
    if case == "no_decoder":
        args[1] = tiny_model(tmp_path / "odd.onnx", {"out": np.zeros((1, 7, 9))})
        words = ["fit no decoder", "out [1, 7, 9]"]
    elif case in ("corrupt", "truncated"):
        jpeg = data_file("yolox-nano", "images", "000000000139.jpg").read_bytes()
        (images / "8.jpg").write_bytes(b"not an image at all" if case == "corrupt" else jpeg[: len(jpeg) // 3])
        words = ["8.jpg", "could not be determined" if case == "corrupt" else "truncated"]
    elif case == "empty":
        args[3] = tmp_path
        (tmp_path / "images").rename(tmp_path / "moved")
        words = ["holds no JPEG or PNG image"]
    elif case == "missing_model":
        args[1] = tmp_path / "nope.onnx"
        words = ["nope.onnx", "no such model file"]
    elif case == "bad_decoder":
        args += ["--decoder", "e2e"]
        words = ["[1, 3549, 85]", "do not fit the e2e decoder"]
    elif case == "draw_over_images":
        args += ["--draw", images]
        words = ["--draw", "is the --images folder"]
    elif case == "zero_divisor":
        args += ["--pixel-divisor", "0"]
        words = ["--pixel-divisor 0 is invalid", "> 0"]
    else:
        args += ["--decoder", "yolox", "--method", "none", "--iou", "0.5"]
        words = ["--iou 0.5", "not none"]
    proc = detect(softkit_bin, *args, ok=False)
    assert proc.returncode == 1, proc.stderr
    assert "panicked" not in proc.stderr
    if case == "draw_over_images":
        assert (images / "7.png").stat().st_size > 0 and not (tmp_path / "o.json").exists()
    for word in words:
        assert word in proc.stderr, proc.stderr
