//! Every softkit format, read and written in one place: COCO ground truth and results (as
//! pycocotools' `COCO` and `loadRes` read them), candidate tables, MOTChallenge text files, and
//! how each geometry is read from COCO files.
//!
//! One parser serves the CLI, Python and the evaluator. Numbers stay as the file wrote them
//! (a COCO `bbox` stays `[x, y, w, h]`, so that pycocotools' arithmetic can be reproduced bit for
//! bit), boxes are validated by softkit-geom's one rule ([`BoxFormat::validate`]), and every error
//! names the file or the item, the field and the value ([`IoError`]).
//!
//! - `ground_truth`: [`CocoGroundTruth`] (`instances_*.json`), with [`Category`] and [`GtAnnotation`].
//! - `results`: [`CocoResults`] (a results list, read by `loadRes`' rules), with [`Detection`].
//! - `segmentation`: the `segmentation` field ([`Segmentation`]: polygons or run-length masks).
//! - `coco_geometry`: [`CocoGeometry`], reading boxes, masks and keypoints from COCO files.
//! - `detections`: suppression input ([`Detections`], [`read_detections`], [`parse_detections`])
//!   and output ([`write_coco_results`]).
//! - `mot`: MOTChallenge text files ([`MotRows`], [`read_mot`], [`parse_mot`], [`write_mot`]).
//! - `atomic`: safe outputs ([`write_atomic`]: all or nothing; [`ensure_not_an_input`]).
//! - `coco80`: [`COCO80_CATEGORY_IDS`], a detector's class index to its COCO category id.
//! - `json`: reading JSON from a path, text or value, and the COCO fields serde cannot derive.
//! - `error`: [`IoError`].
//!
//! # Examples
//!
//! ```
//! use softkit_io::{parse_detections, Detections};
//!
//! let text = r#"[{"image_id": 1, "category_id": 3, "bbox": [10, 20, 30, 40], "score": 0.9}]"#;
//! let dets: Detections = parse_detections(text, "inline.json")?;
//! assert_eq!(dets.xyxy(), vec![[10.0, 20.0, 40.0, 60.0]]);
//! # Ok::<(), softkit_io::IoError>(())
//! ```
//!
//! [`BoxFormat::validate`]: softkit_geom::BoxFormat::validate
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod atomic;
mod coco80;
mod coco_geometry;
mod detections;
mod error;
mod ground_truth;
mod json;
mod mot;
mod results;
mod segmentation;
mod shape_detections;

pub use atomic::{ensure_not_an_input, write_atomic};
pub use coco_geometry::CocoGeometry;
pub use coco80::COCO80_CATEGORY_IDS;
pub use detections::{Detections, ImageInfo, integer_id, parse_detections, read_detections, write_coco_results};
pub use error::{IoError, JsonPlace};
pub use ground_truth::{Category, CocoGroundTruth, GtAnnotation};
pub use json::FloatIds;
pub use mot::{MotRows, parse_mot, read_mot, write_mot};
pub use results::{CocoResults, Detection};
pub use segmentation::Segmentation;
pub use shape_detections::{
    ShapeDetections, ShapeKind, parse_shape_detections, read_shape_detections, write_shape_results,
};
