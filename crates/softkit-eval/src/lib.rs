//! The evaluation protocols of softkit, over any geometry: COCO-style AP, AR and the
//! precision/recall arrays of pycocotools' `COCOeval`, OVDEval's NMS-AP, and the VOC protocol
//! that DOTA reports for rotated boxes and polygons.
//!
//! This crate keeps only the protocol. The matching loop (group by image and category, match
//! greedily in score order, accumulate a precision/recall curve per category, area range and
//! maxDets, sample it at 101 recall thresholds) is written once, in [`evaluate`], against
//! softkit-geom's [`PairOverlap`](softkit_geom::PairOverlap): any geometry and measure plug in
//! through [`PairView`](softkit_geom::PairView). COCO files plug in through [`evaluate_coco`],
//! driven by the geometry type ([`CocoGeometry`](softkit_io::CocoGeometry)):
//! [`evaluate_bbox`], [`evaluate_segm`] and [`evaluate_keypoints`] are three uses of it.
//! [`evaluate_nms_ap`] is OVDEval's NMS-AP: COCO bbox AP after [`nms_ap_filter`] removes the
//! predictions that hedge one object with several labels.
//!
//! The numbers match pycocotools to the last bit wherever that is defined, quirks included:
//! the maxDets cut per image *and* category, crowd matching (the detection's area as the union),
//! area ranges tested on the `area` field, `searchsorted(..., "left")` on recall, `-1` cells
//! dropped from means, and numpy's pairwise summation in those means.
//!
//! - `evaluate`: the protocol over records and a pair overlap ([`evaluate`], [`Evaluation`]).
//! - `coco`: COCO files, one entry point for every geometry ([`evaluate_coco`] and its uses).
//! - `nms_ap`: OVDEval's NMS-AP ([`nms_ap_filter`], [`evaluate_nms_ap`]).
//! - `activitynet`: ActivityNet's temporal detection mAP ([`evaluate_activitynet`]) for segments.
//! - `r40`: AP over 40 recall positions at one threshold ([`evaluate_r40`]), KITTI's 3-D number
//!   without its difficulty filters.
//! - `voc`: the VOC protocol of DOTA's devkit ([`evaluate_voc`], [`evaluate_voc_coco`]): AP per
//!   class at one IoU threshold, 11-point or area under the curve.
//! - `params`: pycocotools' `Params` ([`Params`], [`AreaRange`], [`linspace`]).
//! - `matching`: pycocotools' `evaluateImg`, one image and category at a time.
//! - `images`: its records, pycocotools' `evalImgs` ([`evaluate_images`], [`ImageEval`]).
//! - `ious`: pycocotools' `COCOeval.ious`, every image and category's overlap matrix ([`coco_ious`]).
//! - `accumulate`: precision/recall curves, pycocotools' `accumulate`.
//! - `summary`: the summary numbers and AP per category ([`STAT_NAMES`], [`ClassAp`]).
//! - `group_order`: grouping records by image and category in input order.
//! - `error`: [`EvalError`].
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
mod activitynet;
mod coco;
mod error;
mod evaluate;
mod group_order;
mod images;
mod ious;
mod matching;
mod nms_ap;
mod params;
mod r40;
mod summary;
mod voc;

pub use activitynet::{ActivityNetEvaluation, activitynet_thresholds, evaluate_activitynet};
pub use coco::{
    evaluate_bbox, evaluate_coco, evaluate_coco_images, evaluate_keypoints, evaluate_keypoints_with_sigmas,
    evaluate_segm,
};
pub use error::EvalError;
pub use evaluate::{DtRecord, EvalInput, Evaluation, GtRecord, evaluate};
pub use images::{ImageEval, accumulate_images, evaluate_images};
pub use ious::{PairIous, coco_ious};
pub use nms_ap::{NMS_AP_IOU_THRESHOLD, evaluate_nms_ap, nms_ap_filter};
pub use params::{AreaRange, Params, linspace};
pub use r40::evaluate_r40;
pub use summary::{ClassAp, KEYPOINT_STAT_NAMES, STAT_NAMES};
pub use voc::{VocClass, VocEvaluation, VocMetric, VocParams, evaluate_voc, evaluate_voc_coco};
// The COCO documents the evaluator takes, read by softkit-io.
pub use softkit_io::{Category, CocoGroundTruth, CocoResults, Detection, GtAnnotation, IoError, Segmentation};
