"""A training loop's COCO evaluator, written as torchvision's references/detection/coco_eval.py is
(one ``COCOeval`` per iou type, fed batch by batch, per-image results merged at the end), run over a
results file as if a model had produced it.

    python coco_loop_script.py GT.json BBOX_RESULTS.json SEGM_RESULTS.json [--batch-size 8]

With ``SOFTKIT_PATCH_PYCOCOTOOLS=1`` it first calls ``softkit.coco.patch_pycocotools()``, so the
unmodified evaluator below runs on softkit's classes. It prints the backend, then for each iou type
``IoU metric: <type>``, the summary lines and ``stats [...]`` (repr of every value).
"""

import argparse
import contextlib
import copy
import importlib
import io
import json
import os
from collections import defaultdict

import numpy as np


def _pycocotools():
    """``COCO`` and ``COCOeval`` as imported at call time (after any patch)."""
    coco_module = importlib.import_module("pycocotools.coco")
    cocoeval_module = importlib.import_module("pycocotools.cocoeval")
    return coco_module.COCO, cocoeval_module.COCOeval


class CocoEvaluator:
    def __init__(self, coco_gt, iou_types):
        _, COCOeval = _pycocotools()
        coco_gt = copy.deepcopy(coco_gt)
        self.coco_gt = coco_gt
        self.iou_types = iou_types
        self.coco_eval = {}
        for iou_type in iou_types:
            self.coco_eval[iou_type] = COCOeval(coco_gt, iouType=iou_type)
        self.img_ids = []
        self.eval_imgs = {k: [] for k in iou_types}

    def update(self, predictions):
        """``predictions``: image id -> {iou type: [result dicts of that image]}."""
        COCO, _ = _pycocotools()
        img_ids = list(np.unique(list(predictions.keys())))
        self.img_ids.extend(img_ids)
        for iou_type in self.iou_types:
            results = [r for image_id in img_ids for r in predictions[image_id][iou_type]]
            with contextlib.redirect_stdout(io.StringIO()):
                coco_dt = COCO.loadRes(self.coco_gt, results) if results else COCO()
            coco_eval = self.coco_eval[iou_type]
            coco_eval.cocoDt = coco_dt
            coco_eval.params.imgIds = list(img_ids)
            img_ids_eval, eval_imgs = evaluate(coco_eval)
            self.eval_imgs[iou_type].append(eval_imgs)

    def synchronize_between_processes(self):
        for iou_type in self.iou_types:
            self.eval_imgs[iou_type] = np.concatenate(self.eval_imgs[iou_type], 2)
            create_common_coco_eval(self.coco_eval[iou_type], self.img_ids, self.eval_imgs[iou_type])

    def accumulate(self):
        for coco_eval in self.coco_eval.values():
            with contextlib.redirect_stdout(io.StringIO()):
                coco_eval.accumulate()

    def summarize(self):
        for iou_type, coco_eval in self.coco_eval.items():
            print(f"IoU metric: {iou_type}")
            coco_eval.summarize()
            print("stats " + json.dumps([repr(float(s)) for s in coco_eval.stats]))


def merge(img_ids, eval_imgs):
    """One process: what all_gather would hand back, merged as torchvision merges it."""
    all_img_ids = [img_ids]
    all_eval_imgs = [eval_imgs]
    merged_img_ids = []
    for p in all_img_ids:
        merged_img_ids.extend(p)
    merged_eval_imgs = []
    for p in all_eval_imgs:
        merged_eval_imgs.append(p)
    merged_img_ids = np.array(merged_img_ids)
    merged_eval_imgs = np.concatenate(merged_eval_imgs, 2)
    # keep only unique (and in sorted order) images
    merged_img_ids, idx = np.unique(merged_img_ids, return_index=True)
    merged_eval_imgs = merged_eval_imgs[..., idx]
    return merged_img_ids, merged_eval_imgs


def create_common_coco_eval(coco_eval, img_ids, eval_imgs):
    img_ids, eval_imgs = merge(img_ids, eval_imgs)
    img_ids = list(img_ids)
    eval_imgs = list(eval_imgs.flatten())
    coco_eval.evalImgs = eval_imgs
    coco_eval.params.imgIds = img_ids
    coco_eval._paramsEval = copy.deepcopy(coco_eval.params)


def evaluate(coco_eval):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_eval.evaluate()
    p = coco_eval.params
    return p.imgIds, np.asarray(coco_eval.evalImgs).reshape(-1, len(p.areaRng), len(p.imgIds))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gt")
    parser.add_argument("bbox_results")
    parser.add_argument("segm_results")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--empty-batch", type=int, default=2, help="this batch's images get no detections")
    args = parser.parse_args()

    COCO, COCOeval = _pycocotools()
    print(f"backend: {COCOeval.__module__}")
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(args.gt)
    by_image = defaultdict(lambda: {"bbox": [], "segm": []})
    for iou_type, path in (("bbox", args.bbox_results), ("segm", args.segm_results)):
        with open(path) as f:
            for r in json.load(f):
                by_image[r["image_id"]][iou_type].append(r)

    evaluator = CocoEvaluator(coco_gt, ["bbox", "segm"])
    image_ids = sorted(coco_gt.getImgIds())
    for b, start in enumerate(range(0, len(image_ids), args.batch_size)):
        batch = image_ids[start : start + args.batch_size]
        predictions = {}
        for image_id in batch:
            found = by_image.get(image_id, {"bbox": [], "segm": []})
            predictions[image_id] = {"bbox": [], "segm": []} if b == args.empty_batch else copy.deepcopy(found)
        evaluator.update(predictions)
    evaluator.synchronize_between_processes()
    evaluator.accumulate()
    evaluator.summarize()


if __name__ == "__main__":
    if os.environ.get("SOFTKIT_PATCH_PYCOCOTOOLS") == "1":
        import softkit.coco

        restore = softkit.coco.patch_pycocotools()
        try:
            main()
        finally:
            restore()
    else:
        main()
