//! COCO-style evaluation for softkit: AP, AR and the precision/recall arrays of pycocotools'
//! `COCOeval`, over any geometry.
//!
//! The protocol (group by image and category, match greedily in score order, accumulate a
//! precision/recall curve per category, area range and maxDets, sample it at 101 recall
//! thresholds) is written once, in [`evaluate`], against the [`PairOverlap`] trait. Boxes
//! plug in through [`BboxOverlap`] ([`evaluate_bbox`]), masks through [`MaskOverlap`] on
//! softkit-geom's run-length masks ([`evaluate_segm`], with pycocotools' exact polygon
//! rasterisation), keypoints through [`KeypointOverlap`] by OKS ([`evaluate_keypoints`]);
//! rotated boxes plug in the same way. [`evaluate_nms_ap`] is OVDEval's NMS-AP: COCO bbox AP
//! after [`nms_ap_filter`] removes the predictions that hedge one object with several labels.
//!
//! The numbers match pycocotools to the last bit wherever that is defined, quirks included:
//! the maxDets cut per image *and* category, crowd matching (the detection's area as the union),
//! area ranges tested on the `area` field, `searchsorted(..., "left")` on recall, `-1` cells
//! dropped from means, and numpy's pairwise summation in those means.
//!
//! # Examples
//!
//! ```
//! use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_bbox};
//!
//! let gt = CocoGroundTruth::from_json_str(
//!     r#"{"images": [{"id": 1}, {"id": 2}],
//!         "categories": [{"id": 1, "name": "cat"}],
//!         "annotations": [
//!             {"id": 1, "image_id": 1, "category_id": 1, "area": 400, "iscrowd": 0, "bbox": [10, 10, 20, 20]},
//!             {"id": 2, "image_id": 2, "category_id": 1, "area": 400, "iscrowd": 0, "bbox": [0, 0, 20, 20]}
//!         ]}"#,
//! )?;
//! let dt = CocoResults::from_json_str(
//!     r#"[{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
//!         {"image_id": 2, "category_id": 1, "bbox": [60, 60, 20, 20], "score": 0.8}]"#,
//!     &gt,
//! )?;
//! let ev = evaluate_bbox(&gt, &dt, &Params::default())?;
//! let stats = ev.stats()?;
//! assert!((stats[0] - 0.50495049504950495).abs() < 1e-15); // AP: half the recall axis at precision 1
//! assert_eq!(stats[8], 0.5);                                  // AR100
//! assert_eq!(ev.class_ap()[0].category_id, 1);
//! print!("{}", ev.summary()?);
//! # Ok::<(), softkit_eval::EvalError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod accumulate;
mod bbox_iou;
mod coco_bbox;
mod coco_keypoints;
mod coco_segm;
mod error;
mod evaluate;
mod ground_truth;
mod group_order;
mod json_field;
mod mask_iou;
mod matching;
mod nms_ap;
mod oks;
mod pair_overlap;
mod pairwise_sum;
mod params;
mod results;
mod segmentation;
mod summary;

pub use bbox_iou::{BboxOverlap, bbox_iou};
pub use coco_bbox::evaluate_bbox;
pub use coco_keypoints::{evaluate_keypoints, evaluate_keypoints_with_sigmas};
pub use coco_segm::evaluate_segm;
pub use error::EvalError;
pub use evaluate::{DtRecord, EvalInput, Evaluation, GtRecord, evaluate};
pub use ground_truth::{Category, CocoGroundTruth, GtAnnotation};
pub use mask_iou::MaskOverlap;
pub use nms_ap::{NMS_AP_IOU_THRESHOLD, evaluate_nms_ap, nms_ap_filter, nms_ap_iou};
pub use oks::{COCO_KEYPOINT_SIGMAS, KeypointOverlap, oks};
pub use pair_overlap::PairOverlap;
pub use pairwise_sum::pairwise_sum;
pub use params::{AreaRange, Params, linspace};
pub use results::{CocoResults, Detection};
pub use segmentation::Segmentation;
pub use summary::{ClassAp, KEYPOINT_STAT_NAMES, STAT_NAMES};
