//! The suppression engine: hard NMS and Soft-NMS as policies over any [`Overlap`] geometry.
//!
//! Every member of the NMS family is a [`Policy`] (how a selected item decays the others) applied
//! to an overlap measure over a geometry, within a scope (one set, per label, or per image and
//! label). The engine is
//! exact: it returns what the plain greedy algorithm returns, in selection order, with the decayed
//! scores, for any thread count.
//!
//! - [`suppress`], [`suppress_batched`] and [`suppress_per_image`] work on any [`Overlap`] set
//!   (one set; per label; per image and label, the columnar scope of detection tables).
//! - [`fuse`] merges several models' detections (weighted boxes fusion, non-maximum weighted).
//! - [`nms`], [`batched_nms`] and [`soft_nms`] are the familiar entry points for `[x1, y1, x2, y2]`
//!   boxes in continuous coordinates.
//!
//! Modules:
//!
//! - `engine`: the scopes and [`Kept`].
//! - `policy`: [`Policy`] (the decay table), [`PolicyKind`] (its names) and [`SuppressParams`].
//! - `hard`: hard NMS, one sort then neighbour removal.
//! - `parallel`: the policies decided from the overlaps with higher-ranked items at once (Matrix,
//!   Fast, Cluster-NMS's penalty, OpenCV's adaptive threshold), in one pass over the index.
//! - `soft`: Soft-NMS with a lazy max-heap.
//! - `sweep`: Soft-NMS along a line, run by run.
//! - `grid`: the spatial index, a hierarchical uniform grid over 1-, 2- or 3-D envelopes.
//! - `merge`: the deterministic k-way merge of per-scope results.
//! - `fusion`: fusion policies, which merge instead of dropping: [`fuse`] (WBF and NMW, in
//!   ensemble-boxes' semantics) over several models' detections.
//! - `voting`: [`vote`], box voting after suppression (Detectron's soft voting, Weighted
//!   Cluster-NMS).
//! - `boxes`: the box entry points.
//! - `error`: [`NmsError`].
//!
//! # Examples
//!
//! ```
//! use softkit_nms::{soft_nms, SuppressParams};
//!
//! let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [1.0, 0.0, 11.0, 10.0], [50.0, 50.0, 60.0, 60.0]];
//! let scores = [0.9_f32, 0.8, 0.7];
//! let kept = soft_nms(&boxes, &scores, &SuppressParams::gaussian(0.5))?;
//! // The far box is untouched; the near duplicate is decayed, not deleted.
//! assert_eq!(kept.indices, vec![0, 2, 1]);
//! assert!(kept.scores[2] < 0.8 * 0.3);
//! # Ok::<(), softkit_nms::NmsError>(())
//! ```
//!
//! [`Overlap`]: softkit_geom::Overlap
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod boxes;
mod engine;
mod error;
mod fusion;
mod grid;
mod hard;
mod merge;
mod parallel;
mod policy;
mod soft;
mod sweep;
mod voting;

pub use boxes::{batched_nms, nms, soft_nms};
pub use engine::{Kept, suppress, suppress_batched, suppress_per_image};
pub use error::NmsError;
pub use fusion::{Confidence, Fused, FusionError, FusionMethod, FusionParams, ModelDetections, Source, fuse};
pub use policy::{MatrixKernel, Policy, PolicyKind, SuppressParams};
pub use voting::{Voting, vote};
