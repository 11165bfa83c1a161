//! The one seeded random number generator of softkit's demo, tests, examples and experiments.
//!
//! - [`Rng`]: SplitMix64 with uniform, normal and shuffling helpers; the same sequence on every
//!   platform and version, so a seed names a scene forever.
//!
//! # Examples
//!
//! ```
//! use softkit_sim::Rng;
//!
//! let mut a = Rng::new(7);
//! let mut b = Rng::new(7);
//! assert_eq!(a.next_u64(), b.next_u64());
//! let x = a.uniform(2.0, 3.0);
//! assert!((2.0..3.0).contains(&x));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod rng;

pub use rng::Rng;
