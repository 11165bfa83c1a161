import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import ghost as ghost
from . import track as track

__version__: str

def nms(
    boxes: npt.ArrayLike, scores: npt.ArrayLike, iou_threshold: float, *, eta: float = 1.0, **geometry: Any
) -> npt.NDArray[np.int64]: ...
def batched_nms(
    boxes: npt.ArrayLike, scores: npt.ArrayLike, labels: npt.ArrayLike, iou_threshold: float
) -> npt.NDArray[np.int64]: ...
def soft_nms(
    boxes: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    method: str = "gaussian",
    sigma: float = 0.5,
    iou_threshold: float = 0.3,
    score_threshold: float = 0.001,
    labels: Optional[npt.ArrayLike] = None,
    image_ids: Optional[npt.ArrayLike] = None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    measure: Optional[str] = None,
    beta: float = 1.0,
    **geometry: Any,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def diou_nms(
    boxes: npt.ArrayLike,
    scores: npt.ArrayLike,
    iou_threshold: float = 0.5,
    *,
    beta: float = 1.0,
    labels: Optional[npt.ArrayLike] = None,
    image_ids: Optional[npt.ArrayLike] = None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
) -> npt.NDArray[np.int64]: ...
def matrix_nms(
    boxes: Any,
    scores: npt.ArrayLike,
    *,
    kernel: str = "gaussian",
    sigma: float = 2.0,
    score_threshold: float = 0.05,
    labels: Optional[npt.ArrayLike] = None,
    image_ids: Optional[npt.ArrayLike] = None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    measure: Optional[str] = None,
    **geometry: Any,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def fast_nms(
    boxes: Any,
    scores: npt.ArrayLike,
    iou_threshold: float = 0.5,
    *,
    labels: Optional[npt.ArrayLike] = None,
    image_ids: Optional[npt.ArrayLike] = None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    measure: Optional[str] = None,
    **geometry: Any,
) -> npt.NDArray[np.int64]: ...
def cluster_nms(
    boxes: Any,
    scores: npt.ArrayLike,
    iou_threshold: float = 0.5,
    *,
    variant: str = "plain",
    sigma: float = 0.2,
    beta: float = 1.0,
    score_threshold: Optional[float] = None,
    labels: Optional[npt.ArrayLike] = None,
    image_ids: Optional[npt.ArrayLike] = None,
    max_output: Optional[int] = None,
    pixel_offset: float = 0.0,
    measure: Optional[str] = None,
    **geometry: Any,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def box_voting(
    boxes: npt.ArrayLike,
    scores: npt.ArrayLike,
    keep: npt.ArrayLike,
    *,
    iou_threshold: float = 0.8,
    labels: Optional[npt.ArrayLike] = None,
    voting: str = "score",
    geometry: str = "box",
) -> npt.NDArray[np.float64]: ...
def weighted_boxes_fusion(
    boxes_list: Sequence[npt.ArrayLike],
    scores_list: Sequence[npt.ArrayLike],
    labels_list: Sequence[npt.ArrayLike],
    weights: Optional[Sequence[float]] = None,
    iou_thr: float = 0.55,
    skip_box_thr: float = 0.0,
    conf_type: str = "avg",
    allows_overflow: bool = False,
    *,
    geometry: str = "box",
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def non_maximum_weighted(
    boxes_list: Sequence[npt.ArrayLike],
    scores_list: Sequence[npt.ArrayLike],
    labels_list: Sequence[npt.ArrayLike],
    weights: Optional[Sequence[float]] = None,
    iou_thr: float = 0.55,
    skip_box_thr: float = 0.0,
    *,
    geometry: str = "box",
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, *, pixel_offset: float = 0.0) -> npt.NDArray[np.float64]: ...
def generalized_box_iou(
    boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, *, pixel_offset: float = 0.0
) -> npt.NDArray[np.float64]: ...
def distance_box_iou(
    boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, *, pixel_offset: float = 0.0
) -> npt.NDArray[np.float64]: ...
def box_convert(boxes: npt.ArrayLike, in_fmt: str, out_fmt: str) -> npt.NDArray[np.float64]: ...
def coco_eval(
    gt: Union[str, os.PathLike[str], Dict[str, Any]],
    dt: Union[str, os.PathLike[str], List[Dict[str, Any]]],
    iou_type: str = "bbox",
    *,
    iou_thrs: Optional[Sequence[float]] = None,
    rec_thrs: Optional[Sequence[float]] = None,
    max_dets: Optional[Sequence[int]] = None,
    area_rng: Optional[Sequence[Sequence[float]]] = None,
    area_rng_lbl: Optional[Sequence[str]] = None,
    use_cats: bool = True,
    img_ids: Optional[Sequence[int]] = None,
    cat_ids: Optional[Sequence[int]] = None,
) -> Dict[str, Any]: ...
def nms_ap(
    gt: Union[str, os.PathLike[str], Dict[str, Any]],
    dt: Union[str, os.PathLike[str], List[Dict[str, Any]]],
    *,
    iou_thrs: Optional[Sequence[float]] = None,
    rec_thrs: Optional[Sequence[float]] = None,
    max_dets: Optional[Sequence[int]] = None,
    area_rng: Optional[Sequence[Sequence[float]]] = None,
    area_rng_lbl: Optional[Sequence[str]] = None,
    use_cats: bool = True,
    img_ids: Optional[Sequence[int]] = None,
    cat_ids: Optional[Sequence[int]] = None,
) -> Dict[str, Any]: ...
