//! Cooperative interruption of long computations. A host (the Python binding, on Ctrl-C) calls
//! [`request`]; the engine's long loops call [`poll`], which then unwinds with [`Interrupted`];
//! the host catches that payload and calls [`clear`]. Nothing else ever sets the flag, so a Rust
//! caller that never requests an interrupt never sees one.
//!
//! The flag is process-wide: an interrupt stops every polled computation in flight, as Ctrl-C
//! stops the whole program.
//!
//! # Examples
//!
//! (A standalone example: the flag is process-wide, and merged doctests share a process.)
//!
//! ```standalone_crate
//! use softkit_geom::interrupt::{self, Interrupted};
//!
//! interrupt::request();
//! let stopped = std::panic::catch_unwind(|| {
//!     for _ in 0..1_000_000 {
//!         interrupt::poll();
//!     }
//! });
//! interrupt::clear();
//! assert!(stopped.unwrap_err().downcast_ref::<Interrupted>().is_some());
//! interrupt::poll(); // cleared: returns
//! ```

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The payload [`poll`] unwinds with once an interrupt is requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted;

/// Asks every polled computation in flight to stop at its next [`poll`].
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Withdraws a request, once the interrupted computation has returned.
pub fn clear() {
    REQUESTED.store(false, Ordering::Relaxed);
}

/// Unwinds with [`Interrupted`] if an interrupt is requested; otherwise returns at the cost of
/// one relaxed load, so loops may call it every iteration. The unwind skips the panic hook: it
/// prints nothing.
#[inline]
pub fn poll() {
    if REQUESTED.load(Ordering::Relaxed) {
        std::panic::resume_unwind(Box::new(Interrupted));
    }
}
