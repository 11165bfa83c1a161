//! Python bindings for softkit: numpy arrays in, numpy arrays out, the GIL released during compute.
//!
//! The Python package `softkit` wraps this extension module (`softkit._native`): the wrapper
//! checks dtypes and shapes and gives the functions their keyword signatures, and this module does
//! the work on borrowed array memory. The `ghost_*` functions back the `softkit.ghost` submodule.
//!
//! - `suppression`: `nms`, `batched_nms` and `soft_nms` (per label, or per image and label).
//! - `fusion`: `weighted_boxes_fusion` and `non_maximum_weighted` (ensemble-boxes' signatures), and
//!   `box_voting`.
//! - `geometry`: box overlap matrices and box format conversion.
//! - `shapes`: rotated boxes and polygons: suppression, overlap matrices, rotated-box formats.
//! - `evaluation`: `coco_eval` (bbox, segm, keypoints) and NMS-AP.
//! - `decode`: the detector-head decoders of `softkit.decode`.
//! - `ghost`: the ghost-radius functions.
//! - `track`: the ByteTrack tracker, the MOT metrics and the MOTChallenge reader of `softkit.track`.
//! - `arrays`: borrowing numpy arrays as slices, zero-copy when contiguous.
//! - `guard`: running work without the GIL, with errors and panics turned into exceptions.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod arrays;
mod coco_index;
mod decode;
mod evaluation;
mod fusion;
mod geometry;
mod ghost;
mod guard;
mod mask;
mod shapes;
mod suppression;
mod track;

use pyo3::prelude::*;

/// The compiled half of the `softkit` Python package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(suppression::nms, m)?)?;
    m.add_function(wrap_pyfunction!(suppression::batched_nms, m)?)?;
    m.add_function(wrap_pyfunction!(suppression::soft_nms, m)?)?;
    m.add_function(wrap_pyfunction!(suppression::sort_floor, m)?)?;
    m.add_function(wrap_pyfunction!(fusion::fuse_boxes, m)?)?;
    m.add_function(wrap_pyfunction!(fusion::vote_boxes, m)?)?;
    m.add_function(wrap_pyfunction!(geometry::box_overlap, m)?)?;
    m.add_function(wrap_pyfunction!(geometry::box_convert, m)?)?;
    m.add_function(wrap_pyfunction!(shapes::shape_soft_nms, m)?)?;
    m.add_function(wrap_pyfunction!(shapes::keypoint_soft_nms, m)?)?;
    m.add_function(wrap_pyfunction!(shapes::mask_soft_nms, m)?)?;
    m.add_function(wrap_pyfunction!(shapes::mask_overlap, m)?)?;
    m.add_function(wrap_pyfunction!(shapes::shape_overlap, m)?)?;
    m.add_function(wrap_pyfunction!(shapes::rbox_convert, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::coco_eval, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::coco_eval_images, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::coco_accumulate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::voc_eval, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::activitynet_eval, m)?)?;
    m.add_function(wrap_pyfunction!(evaluation::r40_eval, m)?)?;
    m.add_function(wrap_pyfunction!(ghost::ghost_delta_a, m)?)?;
    m.add_function(wrap_pyfunction!(ghost::ghost_rho_a, m)?)?;
    m.add_function(wrap_pyfunction!(ghost::ghost_rho_binary, m)?)?;
    m.add_function(wrap_pyfunction!(ghost::ghost_rho_top2, m)?)?;
    m.add_function(wrap_pyfunction!(ghost::ghost_nearest_zero, m)?)?;
    m.add_function(wrap_pyfunction!(ghost::ghost_scale, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_yolox, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_yolov8, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_end2end, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_detr, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_centernet, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_centernet_bev, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_letterbox, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_letterbox_image, m)?)?;
    m.add_class::<track::PyByteTracker>()?;
    m.add_class::<evaluation::EvalImages>()?;
    m.add_class::<coco_index::CocoGtIndex>()?;
    m.add_class::<coco_index::CocoResultsIndex>()?;
    m.add_function(wrap_pyfunction!(coco_index::coco_gt_index, m)?)?;
    m.add_function(wrap_pyfunction!(coco_index::coco_results_index, m)?)?;
    m.add_function(wrap_pyfunction!(coco_index::coco_box_results, m)?)?;
    m.add_function(wrap_pyfunction!(coco_index::coco_eval_indexed, m)?)?;
    m.add_function(wrap_pyfunction!(track::track_mot_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(track::track_read_mot, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_encode, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_decode, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_area, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_to_bbox, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_merge, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_rle_iou, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_box_iou, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_from_bboxes, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_from_polygons, m)?)?;
    m.add_function(wrap_pyfunction!(mask::mask_from_uncompressed, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
