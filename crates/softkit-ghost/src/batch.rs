//! Checks on row-major `[B, K]` batches, shared by the kernels and the radius functions, so that
//! every entry point reports the same problem with the same message.

use crate::error::GhostError;
use crate::real::Real;

/// The number of rows of a `[B, K]` array of length `len`.
pub(crate) fn rows(field: &'static str, len: usize, k: usize) -> Result<usize, GhostError> {
    if k == 0 {
        return Err(GhostError::ZeroClasses);
    }
    if !len.is_multiple_of(k) {
        return Err(GhostError::RaggedRows { field, len, k });
    }
    Ok(len / k)
}

/// Like [`rows`], and the batch must hold at least one row.
pub(crate) fn nonempty_rows(field: &'static str, len: usize, k: usize) -> Result<usize, GhostError> {
    let b = rows(field, len, k)?;
    if b == 0 {
        return Err(GhostError::EmptyBatch { field });
    }
    Ok(b)
}

pub(crate) fn same_len(
    field: &'static str,
    len: usize,
    expected: usize,
    other: &'static str,
) -> Result<(), GhostError> {
    if len != expected {
        return Err(GhostError::LengthMismatch { field, len, expected, other });
    }
    Ok(())
}

/// The first NaN or infinite value, reported by row and class.
pub(crate) fn finite<T: Real>(field: &'static str, x: &[T], k: usize) -> Result<(), GhostError> {
    match x.iter().position(|v| !v.to_f64().is_finite()) {
        None => Ok(()),
        Some(i) => Err(GhostError::NonFinite { field, row: i / k, class: i % k, value: x[i].to_f64() }),
    }
}

/// One label per row, each below `k`; `rows_of` names the batch in the message (`the rows of z`).
pub(crate) fn labels(labels: &[usize], rows: usize, k: usize, rows_of: &'static str) -> Result<(), GhostError> {
    same_len("labels", labels.len(), rows, rows_of)?;
    match labels.iter().position(|&y| y >= k) {
        None => Ok(()),
        Some(index) => Err(GhostError::LabelOutOfRange { index, label: labels[index], k }),
    }
}

/// Logits `z` and JVP `a`, both `[B, K]` with at least one row and only finite values.
pub(crate) fn logits_and_jvp<T: Real>(z: &[T], a: &[T], k: usize) -> Result<usize, GhostError> {
    let b = nonempty_rows("z", z.len(), k)?;
    same_len("a", a.len(), z.len(), "z")?;
    finite("z", z, k)?;
    finite("a", a, k)?;
    Ok(b)
}
