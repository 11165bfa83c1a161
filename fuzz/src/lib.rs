//! Fuzz targets for softkit: the JSON readers, run-length masks, the suppression engine on every
//! geometry, the convex clipper and the ghost radius, one public function per target.
//!
//! Each function takes the fuzzer's bytes, decodes a case from them, drives softkit's public API
//! and panics if an invariant breaks. Invalid input must come back as an error; a panic anywhere
//! (an index out of range, an overflow, a NaN where the documentation promises a number, two
//! calls that disagree) is a bug. The functions serve two callers:
//!
//! - `cargo +nightly fuzz run <target> --features libfuzzer`: the binaries in `fuzz_targets/`
//!   wrap each function in libFuzzer's `fuzz_target!` (see `fuzz/README.md`);
//! - `tests/replay.rs`: runs every function over its committed corpus on stable Rust, which is
//!   what CI runs.
//!
//! Targets:
//!
//! - [`candidate_table`]: candidate tables and results lists for boxes and every shape, then
//!   suppressed.
//! - [`coco_ground_truth`]: COCO ground truth, then a box evaluation against itself.
//! - [`coco_results`]: COCO results against a fixed ground truth, then evaluated in every geometry.
//! - [`rle`]: run-length masks (compressed strings, counts, dense masks, polygons, boxes).
//! - [`engine`]: suppression on every geometry, measure, policy and scope, checked against the
//!   plain greedy algorithm.
//! - [`convex_clip`]: polygon and rotated-box intersections, hulls and IoU.
//! - [`ghost`]: the ghost radius functions, the step controller and the softmax kernels.
//!
//! Modules besides the targets: `input` (bytes to numbers), `reference` (the greedy oracle),
//! `overlap_contract` (the `Overlap` contract, pair by pair) and `kept_invariants` (what every
//! suppression result satisfies).
//!
//! # Examples
//!
//! ```
//! // Every target accepts any bytes.
//! for target in softkit_fuzz::TARGETS {
//!     (target.run)(b"\x00\x01\x02{\"images\": []}");
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod candidate_table;
mod coco_ground_truth;
mod coco_results;
mod convex_clip;
mod engine;
mod ghost;
mod input;
mod kept_invariants;
mod overlap_contract;
mod reference;
mod rle;

pub use candidate_table::candidate_table;
pub use coco_ground_truth::coco_ground_truth;
pub use coco_results::coco_results;
pub use convex_clip::convex_clip;
pub use engine::engine;
pub use ghost::ghost;
pub use rle::rle;

/// A fuzz target: its name (the binary's, and the folder of its corpus) and its function.
///
/// # Examples
///
/// ```
/// let engine = softkit_fuzz::TARGETS.iter().find(|t| t.name == "engine").unwrap();
/// (engine.run)(&[0, 2, 0, 5, 0, 0, 0, 2, 2]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The name of the binary in `fuzz_targets/` and of the corpus folder.
    pub name: &'static str,
    /// The function the binary calls.
    pub run: fn(&[u8]),
}

/// Every target, in the order the README lists them.
pub const TARGETS: [Target; 7] = [
    Target { name: "candidate_table", run: candidate_table },
    Target { name: "coco_ground_truth", run: coco_ground_truth },
    Target { name: "coco_results", run: coco_results },
    Target { name: "rle", run: rle },
    Target { name: "engine", run: engine },
    Target { name: "convex_clip", run: convex_clip },
    Target { name: "ghost", run: ghost },
];
