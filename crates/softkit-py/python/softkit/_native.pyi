"""Type stubs for the compiled module; call the wrappers in ``softkit`` instead."""

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

def nms(boxes: npt.NDArray[np.floating], scores: npt.NDArray[np.floating], iou_threshold: float) -> npt.NDArray[np.int64]: ...
def batched_nms(
    boxes: npt.NDArray[np.floating],
    scores: npt.NDArray[np.floating],
    labels: npt.NDArray[np.int64],
    iou_threshold: float,
) -> npt.NDArray[np.int64]: ...
def soft_nms(
    boxes: npt.NDArray[np.floating],
    scores: npt.NDArray[np.floating],
    method: str,
    sigma: float,
    iou_threshold: float,
    score_threshold: float,
    labels: Optional[npt.NDArray[np.int64]],
    max_output: Optional[int],
    pixel_offset: float,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def sort_floor(scores: npt.NDArray[np.floating]) -> int: ...
def box_overlap(
    a: npt.NDArray[np.floating], b: npt.NDArray[np.floating], measure: str, pixel_offset: float
) -> npt.NDArray[np.float64]: ...
def box_convert(boxes: npt.NDArray[np.floating], in_fmt: str, out_fmt: str) -> npt.NDArray[np.float64]: ...
def coco_eval(
    gt: str,
    gt_is_path: bool,
    dt: str,
    dt_is_path: bool,
    kind: str,
    iou_thrs: Optional[List[float]],
    rec_thrs: Optional[List[float]],
    max_dets: Optional[List[int]],
    area_rng: Optional[List[Tuple[float, float]]],
    area_rng_lbl: Optional[List[str]],
    use_cats: bool,
    img_ids: Optional[List[int]],
    cat_ids: Optional[List[int]],
) -> Dict[str, Any]: ...
def ghost_delta_a(a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]: ...
def ghost_rho_a(a: npt.NDArray[np.floating], temperature: float) -> float: ...
def ghost_rho_binary(z: npt.NDArray[np.floating], a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]: ...
def ghost_rho_top2(
    z: npt.NDArray[np.floating], a: npt.NDArray[np.floating], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]: ...
def ghost_nearest_zero(z: npt.NDArray[np.floating], a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]: ...
def ghost_scale(step_norm: float, rho: float, r_target: Optional[float] = None) -> float: ...
