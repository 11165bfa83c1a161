"""`softkit detect` against onnxruntime + a numpy decoder + OpenCV NMS, stage by stage, in one run
on the same 100 COCO images and the same YOLOX-nano model.

    cargo build --release -p softkit-cli
    .venv/bin/python benches/detect_bench.py [--cli target/release/softkit] [--images 100]

softkit's stages are timed inside the binary (`softkit detect --timings`); the peer's in this
process. Both run inference on one thread. The peer pipeline is what a Python deployment writes:
Pillow to read and resize (the reference inputs were made with Pillow's bilinear filter), numpy to
pad and reorder channels, onnxruntime, the YOLOX decode in numpy, then OpenCV's class-wise
`NMSBoxesBatched` (hard NMS) or its `softNMSBoxes` per class (Gaussian Soft-NMS, which takes integer
rectangles only, so the peer rounds the boxes). Medians per image.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "yolox-nano"
STAGES = ["read", "letterbox", "inference", "decode", "suppress"]
CONF, IOU, SIGMA, MAX_DET = 0.001, 0.65, 0.5, 100


def softkit_stages(cli: str, images: Path, method: list[str]) -> tuple[dict, list]:
    """The binary's own per-image stage medians (ms), and its inference by tract operator."""
    with tempfile.TemporaryDirectory() as tmp:
        timings = Path(tmp) / "t.json"
        cmd = [cli, "detect", "--model", str(DATA / "yolox_nano.onnx"), "--images", str(images), "--output", str(Path(tmp) / "o.json"),
               "--timings", str(timings), "--conf", str(CONF), "--max-det", str(MAX_DET), *method]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)
        report = json.loads(timings.read_text())
    return {s: report["median"][f"{s}_ms"] for s in STAGES}, report["inference_by_op"]


def grids(size=416):
    cells, steps = [], []
    for s in (8, 16, 32):
        ys, xs = np.meshgrid(np.arange(size // s), np.arange(size // s), indexing="ij")
        cells.append(np.stack([xs, ys], -1).reshape(-1, 2))
        steps.append(np.full((cells[-1].shape[0], 1), s))
    return np.concatenate(cells).astype(np.float32), np.concatenate(steps).astype(np.float32)


def peer_stages(files: list[Path], soft: bool) -> dict:
    import cv2
    import onnxruntime as ort
    from PIL import Image

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(DATA / "yolox_nano.onnx"), options, providers=["CPUExecutionProvider"])
    cell, stride = grids()
    times = {s: [] for s in STAGES}
    for path in files:
        t0 = time.perf_counter()
        image = Image.open(path).convert("RGB")
        image.load()
        t1 = time.perf_counter()
        w, h = image.size
        r = min(416 / w, 416 / h)
        resized = np.asarray(image.resize((int(w * r), int(h * r)), Image.BILINEAR))
        canvas = np.full((416, 416, 3), 114, dtype=np.uint8)
        canvas[: resized.shape[0], : resized.shape[1]] = resized
        tensor = np.ascontiguousarray(canvas[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32)
        t2 = time.perf_counter()
        out = session.run(None, {"images": tensor})[0][0]
        t3 = time.perf_counter()
        xy = (out[:, :2] + cell) * stride
        wh = np.exp(out[:, 2:4]) * stride
        scores = out[:, 4:5] * out[:, 5:]
        anchor, label = np.nonzero(scores > CONF)
        boxes = np.concatenate([xy - wh / 2, xy + wh / 2], axis=1)[anchor] / r
        cand_scores = scores[anchor, label]
        t4 = time.perf_counter()
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
        if soft:
            kept_scores = []
            # softNMSBoxes takes integer rectangles only (cv::Rect): the peer must round.
            rects = np.round(xywh).astype(np.int64)
            for c in np.unique(label):
                members = np.nonzero(label == c)[0]
                s, _ = cv2.dnn.softNMSBoxes(rects[members].tolist(), cand_scores[members].tolist(), CONF, IOU, 0, SIGMA,
                                            cv2.dnn.SOFT_NMSMETHOD_SOFTNMS_GAUSSIAN)  # fmt: skip
                kept_scores.extend(np.asarray(s).ravel().tolist())
            kept = np.sort(np.asarray(kept_scores))[::-1][:MAX_DET]
        else:
            kept = cv2.dnn.NMSBoxesBatched(xywh.tolist(), cand_scores.tolist(), label.tolist(), CONF, IOU)[:MAX_DET]
        t5 = time.perf_counter()
        assert len(kept) > 0
        for stage, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            times[stage].append(dt * 1e3)
    return {s: statistics.median(v) for s, v in times.items()}


def table(title, ours, peer):
    print(f"\n#### {title}\n")
    print("| stage | softkit detect (ms) | onnxruntime + numpy + OpenCV (ms) | peer / softkit |")
    print("|---|---:|---:|---:|")
    for s in STAGES:
        print(f"| {s} | {ours[s]:.3f} | {peer[s]:.3f} | {peer[s] / max(ours[s], 1e-9):.1f}x |")
    post_ours, post_peer = ours["decode"] + ours["suppress"], peer["decode"] + peer["suppress"]
    print(f"| decode + suppress | {post_ours:.3f} | {post_peer:.3f} | {post_peer / max(post_ours, 1e-9):.1f}x |")
    total_ours, total_peer = sum(ours.values()), sum(peer.values())
    print(f"| total | {total_ours:.2f} | {total_peer:.2f} | {total_peer / total_ours:.2f}x |")
    print(f"\ndecode + suppress: {100 * post_ours / ours['inference']:.2f}% of softkit's inference time "
          f"({100 * post_peer / peer['inference']:.2f}% for the peer); tract / onnxruntime inference: "
          f"{ours['inference'] / peer['inference']:.2f}x")  # fmt: skip


def op_table(ops: list) -> None:
    """tract's inference on the first image by operator: where the gap to onnxruntime lies."""
    total = sum(o["ms"] for o in ops)
    print("\n#### tract inference by operator (first image, 5 runs)\n")
    print("| operator | nodes | ms per run | share |")
    print("|---|---:|---:|---:|")
    for o in ops[:8]:
        print(f"| {o['op']} | {o['nodes']} | {o['ms']:.3f} | {100 * o['ms'] / total:.1f}% |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=str(HERE.parent / "target" / "release" / "softkit"))
    ap.add_argument("--images", type=int, default=100, help="how many of the 100 JPEGs")
    args = ap.parse_args()
    if not Path(args.cli).exists():
        sys.exit(f"no CLI at {args.cli}: cargo build --release -p softkit-cli, or --cli PATH")
    files = sorted((DATA / "images").glob("*.jpg"))[: args.images]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for f in files:
            os.symlink(f, folder / f.name)
        print(f"{len(files)} COCO val2017 images, YOLOX-nano 416x416, conf {CONF}, max_det {MAX_DET}, one inference thread")
        ours, ops = softkit_stages(args.cli, folder, ["--method", "hard", "--iou", str(IOU)])
        table(f"hard NMS, IoU {IOU} (OpenCV NMSBoxesBatched)", ours, peer_stages(files, soft=False))
        ours, _ = softkit_stages(args.cli, folder, ["--method", "gaussian", "--sigma", str(SIGMA)])
        table(f"Gaussian Soft-NMS, sigma {SIGMA} (OpenCV softNMSBoxes per class)", ours, peer_stages(files, soft=True))
        op_table(ops)


if __name__ == "__main__":
    main()
