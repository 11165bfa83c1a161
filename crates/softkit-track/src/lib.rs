//! Multi-object tracking and its metrics for softkit.
//!
//! - `sequence`: [`Sequence`], a MOT sequence grouped by frame.
//! - `assignment`: [`linear_sum_assignment`], scipy's optimal assignment, tie for tie.
//! - `clear_mot`: [`mot_metrics`] and [`MotMetrics`], CLEAR-MOT and the MOTChallenge metrics as py-motmetrics counts them.
//! - `identity`: the global identity matching behind IDF1, IDP and IDR.
//! - `hota`: [`hota`], [`Hota`] and [`HotaSummary`], HOTA and its components exactly as TrackEval computes them.
//! - `kalman`: [`KalmanFilter`], ByteTrack's constant-velocity filter on `(cx, cy, a, h)`, with
//!   [`KalmanState`] and the gate [`CHI_SQUARE_95_4DOF`].
//! - `tracker`: [`ByteTracker`], ByteTrack's two-stage association ([`TrackerConfig`],
//!   [`Appearance`], [`TrackOutput`]).
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
mod clear_mot;
mod error;
mod hota;
mod identity;
mod kalman;
mod sequence;
mod tracker;

pub use assignment::linear_sum_assignment;
pub use clear_mot::{MotMetrics, check_max_distance, mot_metrics};
pub use error::TrackError;
pub use hota::{HOTA_ALPHAS, Hota, HotaSummary, hota};
pub use kalman::{CHI_SQUARE_95_4DOF, KalmanFilter, KalmanState};
pub use sequence::{Frame, Sequence};
pub use tracker::{Appearance, ByteTracker, TrackOutput, TrackerConfig};
