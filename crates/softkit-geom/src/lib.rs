//! Geometry types and overlap measures for softkit.
//!
//! Every suppression policy and every evaluation loop in softkit asks one question of a geometry:
//! how much do items `i` and `j` overlap? The [`Overlap`] trait answers it for an indexed set of
//! geometries, together with an [`Envelope`] per item that lets a spatial index skip pairs that
//! cannot overlap. Each geometry lives in a file of its own and implements [`Overlap`].
//!
//! Binary masks are the exception to the indexed-set pattern: an [`Rle`] is COCO's run-length mask,
//! with pycocotools' exact polygon rasterisation, compressed counts strings, area, box, merge and
//! mask IoU (errors: [`MaskError`]).
//!
//! # Examples
//!
//! ```
//! use softkit_geom::{BoxMeasure, BoxSet, Overlap};
//!
//! let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0]];
//! let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0)?;
//! assert!((set.overlap(0, 1) - 1.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), softkit_geom::GeomError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aabb;
mod coord;
mod envelope;
mod error;
mod format;
mod mask_error;
mod overlap;
mod pairwise;
mod polygon_raster;
mod rle;
mod rle_string;

pub use aabb::{BoxMeasure, BoxSet, box_area, box_diou, box_giou, box_iou_pair, validate_boxes};
pub use coord::Coord;
pub use envelope::Envelope;
pub use error::GeomError;
pub use format::{BoxFormat, convert_boxes};
pub use mask_error::MaskError;
pub use overlap::Overlap;
pub use pairwise::box_overlap_matrix;
pub use rle::Rle;
