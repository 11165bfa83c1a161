//! Multi-object tracking and its metrics for softkit.
//!
//! - `sequence`: [`Sequence`], a MOT sequence grouped by frame.
//! - `assignment`: [`linear_sum_assignment`], scipy's optimal assignment, tie for tie.
//! - `error`: [`TrackError`].
//!
//! # Examples
//!
//! ```
//! use softkit_track::Sequence;
//!
//! let gt = Sequence::new(&[1, 2], &[1, 1], &[[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 10.0, 10.0]])?;
//! assert_eq!(gt.len(), 2);
//! # Ok::<(), softkit_track::TrackError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod assignment;
mod error;
mod sequence;

pub use assignment::linear_sum_assignment;
pub use error::TrackError;
pub use sequence::{Frame, Sequence};
