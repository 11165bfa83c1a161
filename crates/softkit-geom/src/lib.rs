//! Geometry types and overlap measures for softkit.
//!
//! Every suppression policy and every evaluation loop in softkit asks one question of a geometry:
//! how much do items `i` and `j` overlap? The [`Overlap`] trait answers it for an indexed set of
//! geometries, together with an [`Envelope`] per item that lets a spatial index skip pairs that
//! cannot overlap. Each geometry lives in a file of its own and implements [`Overlap`].
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
mod overlap;
mod pairwise;

pub use aabb::{BoxMeasure, BoxSet, box_area, box_diou, box_giou, box_iou_pair, validate_boxes};
pub use coord::Coord;
pub use envelope::Envelope;
pub use error::GeomError;
pub use format::{BoxFormat, convert_boxes};
pub use overlap::Overlap;
pub use pairwise::box_overlap_matrix;
