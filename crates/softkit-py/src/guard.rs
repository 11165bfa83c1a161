//! Running engine code with the GIL released, turning errors and panics into Python exceptions
//! and Ctrl-C into `KeyboardInterrupt`.

use std::any::Any;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use softkit_geom::GeomError;
use softkit_geom::interrupt::{self, Interrupted};

use crate::shapes::ShapeError;

/// How often a waiting call checks for signals: Ctrl-C is answered well within a second.
const SIGNAL_CHECK: Duration = Duration::from_millis(20);

/// How big a call's input is, which decides whether it can be interrupted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Size {
    /// Items (boxes, rows, detections): the engine's cost grows with them, at worst squared.
    Items(usize),
    /// The cells of a dense `rows x cols` output.
    Cells(usize, usize),
    /// A call whose cost the binding cannot bound (evaluation, file reading).
    Unbounded,
}

impl Size {
    /// Up to this size a call runs on the calling thread: it ends within about 100 ms, and
    /// handing it to a worker would cost more than it takes (tens of microseconds).
    fn runs_inline(self) -> bool {
        match self {
            Size::Items(n) => n <= 4096,
            Size::Cells(rows, cols) => rows.saturating_mul(cols) <= 1 << 20,
            Size::Unbounded => false,
        }
    }
}

/// Runs `work` without the GIL. A call larger than [`Size::runs_inline`] runs on a worker thread
/// while this one checks for signals every [`SIGNAL_CHECK`]: on Ctrl-C the engine's loops are
/// asked to stop ([`interrupt::request`]) and the call raises `KeyboardInterrupt`. An `Err`
/// becomes `ValueError` with the engine's message (`MemoryError` for an allocation that cannot be
/// met); a panic (a bug, never expected) becomes `RuntimeError` instead of unwinding into the
/// interpreter.
pub(crate) fn compute<T, E, F>(py: Python<'_>, size: Size, work: F) -> PyResult<T>
where
    F: FnOnce() -> Result<T, E> + Send,
    T: Send,
    E: Display + Send + 'static,
{
    if size.runs_inline() {
        return finish(py.detach(|| catch_unwind(AssertUnwindSafe(work))));
    }
    let (done, finished) = mpsc::channel();
    let mut signal: Option<PyErr> = None;
    let outcome = rayon::in_place_scope(|scope| {
        scope.spawn(move |_| {
            // The receiver outlives the scope, so the send cannot fail.
            let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
        });
        let mut finished = finished;
        loop {
            // The receiver is not `Sync`: it moves into the GIL-free wait and back out.
            let (received, back) = py.detach(move || (finished.recv_timeout(SIGNAL_CHECK), finished));
            finished = back;
            match received {
                Ok(outcome) => break outcome,
                Err(RecvTimeoutError::Timeout) => {
                    if signal.is_none()
                        && let Err(err) = py.check_signals()
                    {
                        interrupt::request();
                        signal = Some(err);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    break Err(Box::new("the worker thread ended without a result") as Box<dyn Any + Send>);
                }
            }
        }
    });
    if let Some(err) = signal {
        interrupt::clear();
        return Err(err);
    }
    finish(outcome)
}

/// The Python result of a finished call.
fn finish<T, E: Display + 'static>(outcome: std::thread::Result<Result<T, E>>) -> PyResult<T> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) if out_of_memory(&err) => Err(PyMemoryError::new_err(err.to_string())),
        Ok(Err(err)) => Err(PyValueError::new_err(err.to_string())),
        Err(panic) if panic.downcast_ref::<Interrupted>().is_some() => {
            // Another thread's Ctrl-C stopped this call too.
            Err(PyKeyboardInterrupt::new_err("softkit: interrupted"))
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(PyRuntimeError::new_err(format!("softkit internal error (please report): {what}")))
        }
    }
}

/// Whether an engine error says an allocation could not be met.
fn out_of_memory<E: 'static>(err: &E) -> bool {
    let err: &dyn Any = err;
    matches!(err.downcast_ref::<GeomError>(), Some(GeomError::OutOfMemory { .. }))
        || matches!(err.downcast_ref::<ShapeError>(), Some(ShapeError::Geometry(GeomError::OutOfMemory { .. })))
}
