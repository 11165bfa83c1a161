//! Readers and writers for detection data.
//!
//! - [`read_detections`] reads either of the two inputs a suppression stage sees: a candidate
//!   table (`{"images": [...], "candidates": [[image_id, class_index, x1, y1, x2, y2, score], ...]}`)
//!   or a COCO results list (`[{"image_id", "category_id", "bbox": [x, y, w, h], "score"}, ...]`).
//! - [`write_coco_results`] writes the COCO results format that pycocotools' `loadRes` reads.
//!
//! Every error names the file, and for malformed JSON the line and column.
//!
//! # Examples
//!
//! ```
//! use softkit_io::{parse_detections, Detections};
//!
//! let text = r#"[{"image_id": 1, "category_id": 3, "bbox": [10, 20, 30, 40], "score": 0.9}]"#;
//! let dets: Detections = parse_detections(text, "inline.json")?;
//! assert_eq!(dets.boxes, vec![[10.0, 20.0, 40.0, 60.0]]);
//! # Ok::<(), softkit_io::IoError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod coco80;
mod detections;
mod error;

pub use coco80::COCO80_CATEGORY_IDS;
pub use detections::{Detections, ImageInfo, parse_detections, read_detections, write_coco_results};
pub use error::IoError;
