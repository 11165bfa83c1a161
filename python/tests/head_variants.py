"""The real YOLOX-nano model and two heads built from it by appending ONNX nodes: a YOLOv8-style
one-to-many head ``(1, 84, 3549)`` (decoded cx, cy, w, h, then objectness x class probability, no
objectness row) and a YOLOv10-style end-to-end head ``(1, 300, 6)`` (the top 300 (anchor, class)
pairs, with ``end2end`` in the metadata), as the exports of those families lay them out."""

from __future__ import annotations

import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from conftest import data_file
from decode_reference import grids


def _const(name, value):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name + "_value"))


def _decoded(graph_output):
    """Nodes that decode YOLOX's raw rows into corners, centres, sizes and scores."""
    cell, stride = grids()
    nodes = [
        _const("k_cell", cell[None]),
        _const("k_stride", stride[None]),
        _const("k_half", np.float32(0.5)),
    ]
    for name, start, end in (("d", 0, 2), ("lwh", 2, 4), ("obj", 4, 5), ("cls", 5, 85)):
        nodes += [
            _const(f"k_{name}_s", np.array([start], np.int64)),
            _const(f"k_{name}_e", np.array([end], np.int64)),
            _const(f"k_{name}_a", np.array([2], np.int64)),
            helper.make_node("Slice", [graph_output, f"k_{name}_s", f"k_{name}_e", f"k_{name}_a"], [name]),
        ]
    nodes += [
        helper.make_node("Add", ["d", "k_cell"], ["d_cell"]),
        helper.make_node("Mul", ["d_cell", "k_stride"], ["xy"]),
        helper.make_node("Exp", ["lwh"], ["ewh"]),
        helper.make_node("Mul", ["ewh", "k_stride"], ["wh"]),
        helper.make_node("Mul", ["wh", "k_half"], ["half"]),
        helper.make_node("Sub", ["xy", "half"], ["x1y1"]),
        helper.make_node("Add", ["xy", "half"], ["x2y2"]),
        helper.make_node("Mul", ["obj", "cls"], ["scores"]),
    ]
    return nodes


def _with_head(model, nodes, output_name, shape, metadata=None):
    graph = model.graph
    old = graph.output[0].name
    graph.node.extend(nodes)
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(output_name, TensorProto.FLOAT, shape))
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    assert old == "output"
    onnx.checker.check_model(model)
    return model


def variant_models(folder: pathlib.Path) -> dict:
    """Writes the two variants into ``folder``; returns every model's path by head name."""
    original = data_file("yolox-nano", "yolox_nano.onnx")
    v8 = onnx.load(original)
    nodes = _decoded("output") + [
        helper.make_node("Concat", ["xy", "wh", "scores"], ["rows"], axis=2),
        helper.make_node("Transpose", ["rows"], ["output0"], perm=[0, 2, 1]),
    ]
    paths = {"yolox": original, "yolov8": folder / "yolov8_head.onnx", "e2e": folder / "e2e_head.onnx"}
    onnx.save(_with_head(v8, nodes, "output0", [1, 84, 3549]), paths["yolov8"])

    e2e = onnx.load(original)
    nodes = _decoded("output") + [
        _const("k_flat", np.array([1, 3549 * 80], np.int64)),
        _const("k_k", np.array([300], np.int64)),
        _const("k_nc", np.array(80, np.int64)),
        _const("k_boxes_shape", np.array([3549, 4], np.int64)),
        _const("k_rows", np.array([300], np.int64)),
        _const("k_col", np.array([300, 1], np.int64)),
        _const("k_out", np.array([1, 300, 6], np.int64)),
        helper.make_node("Reshape", ["scores", "k_flat"], ["flat"]),
        helper.make_node("TopK", ["flat", "k_k"], ["top_scores", "top_index"], axis=1, largest=1, sorted=1),
        helper.make_node("Reshape", ["top_index", "k_rows"], ["index"]),
        helper.make_node("Div", ["index", "k_nc"], ["anchor"]),
        helper.make_node("Mod", ["index", "k_nc"], ["label"]),
        helper.make_node("Concat", ["x1y1", "x2y2"], ["corners"], axis=2),
        helper.make_node("Reshape", ["corners", "k_boxes_shape"], ["corner_rows"]),
        helper.make_node("Gather", ["corner_rows", "anchor"], ["top_boxes"], axis=0),
        helper.make_node("Reshape", ["top_scores", "k_col"], ["score_col"]),
        helper.make_node("Cast", ["label"], ["label_f"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["label_f", "k_col"], ["label_col"]),
        helper.make_node("Concat", ["top_boxes", "score_col", "label_col"], ["table"], axis=1),
        helper.make_node("Reshape", ["table", "k_out"], ["output0"]),
    ]
    onnx.save(_with_head(e2e, nodes, "output0", [1, 300, 6], {"end2end": "True", "task": "detect"}), paths["e2e"])
    return paths


def letterboxed_input(image_path) -> np.ndarray:
    """A letterboxed PNG as YOLOX's input: BGR, 0..255, (1, 3, 416, 416) float32."""
    from PIL import Image

    rgb = np.asarray(Image.open(image_path).convert("RGB"), dtype=np.float32)
    return np.ascontiguousarray(rgb[:, :, ::-1].transpose(2, 0, 1)[None])


_SESSIONS: dict = {}


def run_model(model_path, image_path) -> list:
    """The model's outputs on one letterboxed image, by onnxruntime on one thread."""
    import onnxruntime as ort

    key = str(model_path)
    if key not in _SESSIONS:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        _SESSIONS[key] = ort.InferenceSession(key, options, providers=["CPUExecutionProvider"])
    session = _SESSIONS[key]
    return session.run(None, {session.get_inputs()[0].name: letterboxed_input(image_path)})
