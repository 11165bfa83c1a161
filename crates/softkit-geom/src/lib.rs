//! Geometries and their overlap measures: softkit's one geometry abstraction, shared by
//! suppression and evaluation.
//!
//! A geometry is a column of items written once, in one file: what each item is ([`Geometry`]:
//! count and size), where it lies ([`Bounded`]: an [`Envelope`] in 1, 2 or 3 dimensions) and how
//! two items intersect ([`Intersect`]). Measures ([`Measure`]) turn that into numbers:
//! [`Iou`] (with COCO's crowd rule) and [`IoMin`] come free with [`Intersect`]; GIoU, DIoU and
//! OKS are written per geometry. Two views derive generically from a column and a measure:
//! [`SetView`], the [`Overlap`] set that the suppression engine walks, and [`PairView`], the
//! [`PairOverlap`] of detections against ground truth that the evaluator matches.
//!
//! - `geometry`: the [`Geometry`], [`Bounded`] and [`Intersect`] traits.
//! - `envelope`: [`Envelope`], an axis-aligned box in `D` dimensions.
//! - `measure`: the [`Measure`] trait, the [`Symmetric`] marker, [`Iou`] and [`IoMin`].
//! - `overlap`: the set view, [`Overlap`] and [`SetView`].
//! - `pair_overlap`: the pair view, [`PairOverlap`] and [`PairView`].
//! - `aabb`: `[x1, y1, x2, y2]` boxes ([`Boxes`], [`BoxSet`], [`BoxMeasure`]: IoU, GIoU, DIoU).
//! - `rotated`: rotated boxes `(cx, cy, w, h, angle)` ([`RotatedBoxes`], [`RotatedSet`],
//!   [`RotatedFormat`]: radians, degrees, mmrotate's le90, le135 and oc), with the angle
//!   convention drawn in the module's docs.
//! - `polygon`: simple polygons, convex or not ([`Polygons`], [`PolygonSet`]).
//! - `shape_measure`: [`ShapeMeasure`] (IoU, GIoU over the convex hull, IoMin) for both, and [`Hull`].
//! - `box3d`: 3-D boxes `(x, y, z, dx, dy, dz, heading)` ([`Boxes3d`], [`Box3dOrigin`]): 3-D IoU, and
//!   the bird's-eye view as rotated boxes.
//! - `segment`: time segments `[start, end]` ([`Segments`]): temporal IoU.
//! - `convex`: the exact arithmetic under them: a Sutherland–Hodgman clipper and convex hulls.
//! - `xywh`: COCO `[x, y, w, h]` boxes in pycocotools' operation order ([`XywhBoxes`]).
//! - `mask`: run-length masks as a geometry ([`Masks`]).
//! - `keypoints`: keypoint sets ([`Keypoints`], [`KeypointInstance`]), COCO's OKS ([`Oks`], [`oks`]) and
//!   mmpose's symmetric OKS for pose suppression ([`OksNms`]).
//! - `fusable`: [`Fusable`], the coordinate tuples that box fusion averages (boxes, segments).
//! - `format`: box encodings ([`BoxFormat`], [`convert_boxes`]) and the one box validation.
//! - `pairwise`: dense overlap matrices ([`overlap_matrix`], [`box_overlap_matrix`]).
//! - [`interrupt`]: cooperative interruption of long loops (Ctrl-C from Python).
//! - `rle`, `rle_string`, `polygon_raster`: COCO run-length masks ([`Rle`]): counts strings,
//!   area, box, merge, IoU, and pycocotools' exact polygon rasterisation (errors: [`MaskError`]).
//! - `pairwise_sum`: numpy's pairwise summation ([`pairwise_sum`], [`pairwise_mean`]), for bit-exact means.
//! - `coord`: the input scalar types ([`Coord`]: `f32`, `f64`).
//! - `error`: [`GeomError`].
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
mod box3d;
mod convex;
mod coord;
mod envelope;
mod error;
mod format;
mod fusable;
mod geometry;
pub mod interrupt;
mod keypoints;
mod mask;
mod mask_error;
mod measure;
mod overlap;
mod pair_overlap;
mod pairwise;
mod pairwise_sum;
mod polygon;
mod polygon_raster;
mod rle;
mod rle_string;
mod rotated;
mod segment;
mod shape_measure;
mod xywh;

pub use aabb::{
    BoxMeasure, BoxSet, Boxes, box_area, box_diou, box_giou, box_iou_pair, check_pixel_offset, validate_boxes,
};
pub use box3d::{BevIou, Box3dOrigin, Boxes3d};
pub use coord::Coord;
pub use envelope::Envelope;
pub use error::GeomError;
pub use format::{BoxFormat, convert_boxes};
pub use fusable::Fusable;
pub use geometry::{Bounded, Geometry, Intersect};
pub use keypoints::{COCO_KEYPOINT_SIGMAS, KeypointInstance, Keypoints, Oks, OksNms, oks};
pub use mask::Masks;
pub use mask_error::MaskError;
pub use measure::{IntersectMeasure, IoMin, Iou, Measure, Symmetric};
pub use overlap::{Overlap, SetView};
pub use pair_overlap::{PairOverlap, PairView};
pub use pairwise::{box_overlap_matrix, overlap_matrix};
pub use pairwise_sum::{pairwise_mean, pairwise_sum};
pub use polygon::{PolygonSet, Polygons};
pub use rle::Rle;
pub use rotated::{RotatedBoxes, RotatedFormat, RotatedSet, convert_rotated, rotated_corners};
pub use segment::Segments;
pub use shape_measure::{Hull, ShapeMeasure};
pub use xywh::XywhBoxes;
