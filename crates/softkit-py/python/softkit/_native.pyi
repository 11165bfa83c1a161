"""Type stubs for the compiled module; call the wrappers in ``softkit`` instead."""

from typing import Any, Dict, Optional, Tuple

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
    options: Dict[str, Any],
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def sort_floor(scores: npt.NDArray[np.floating]) -> int: ...
def fuse_boxes(
    models: Dict[str, Any], options: Dict[str, Any]
) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
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
    params: Dict[str, Any],
) -> Dict[str, Any]: ...
def ghost_delta_a(a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]: ...
def ghost_rho_a(a: npt.NDArray[np.floating], temperature: float) -> float: ...
def ghost_rho_binary(z: npt.NDArray[np.floating], a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]: ...
def ghost_rho_top2(
    z: npt.NDArray[np.floating], a: npt.NDArray[np.floating], labels: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]: ...
def ghost_nearest_zero(z: npt.NDArray[np.floating], a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]: ...
def ghost_scale(step_norm: float, rho: float, r_target: Optional[float] = None) -> float: ...

class ByteTracker:
    def __init__(self, options: Dict[str, Any]) -> None: ...
    def update(
        self,
        boxes: npt.NDArray[np.floating],
        scores: npt.NDArray[np.floating],
        embeddings: Optional[npt.NDArray[np.float32]],
        frame: Optional[int],
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
    @property
    def frame(self) -> int: ...

def track_mot_metrics(
    gt: Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.floating]],
    tracks: Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.floating]],
    max_distance: float,
    with_hota: bool,
) -> Dict[str, Any]: ...
def track_read_mot(
    path: str,
) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
