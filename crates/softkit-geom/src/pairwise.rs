//! The dense pairwise overlap matrix between two box lists.

use rayon::prelude::*;

use crate::aabb::{check_pixel_offset, widen};
use crate::{BoxMeasure, Coord, GeomError, validate_boxes};

/// Rows at or above this count are computed in parallel; below it threads cost more than they save.
const PARALLEL_CELLS: usize = 1 << 16;

/// The `a.len() x b.len()` matrix of `measure` between every box of `a` and every box of `b`,
/// row-major (`m[i * b.len() + j]`), like torchvision's `box_iou`.
///
/// # Errors
///
/// [`GeomError`] if either list holds an invalid box (the message names `boxes[i]` of that list)
/// or `pixel_offset` is invalid.
///
/// # Examples
///
/// ```
/// use softkit_geom::{box_overlap_matrix, BoxMeasure};
///
/// let a = [[0.0_f32, 0.0, 2.0, 2.0]];
/// let b = [[0.0_f32, 0.0, 2.0, 2.0], [1.0, 0.0, 3.0, 2.0]];
/// let m = box_overlap_matrix(&a, &b, BoxMeasure::Iou, 0.0)?;
/// assert_eq!(m.len(), 2);
/// assert_eq!(m[0], 1.0);
/// assert!((m[1] - 1.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub fn box_overlap_matrix<T: Coord, U: Coord>(
    a: &[[T; 4]],
    b: &[[U; 4]],
    measure: BoxMeasure,
    pixel_offset: f64,
) -> Result<Vec<f64>, GeomError> {
    check_pixel_offset(pixel_offset)?;
    validate_boxes(a)?;
    validate_boxes(b)?;
    let b: Vec<[f64; 4]> = b.iter().map(widen).collect();
    let mut out = vec![0.0; a.len() * b.len()];
    if b.is_empty() {
        return Ok(out);
    }
    let fill_row = |(row, bi): (&mut [f64], &[T; 4])| {
        let ai = widen(bi);
        for (cell, bj) in row.iter_mut().zip(&b) {
            *cell = measure.between(&ai, bj, pixel_offset);
        }
    };
    if out.len() >= PARALLEL_CELLS {
        out.par_chunks_mut(b.len()).zip(a.par_iter()).for_each(fill_row);
    } else {
        out.chunks_mut(b.len()).zip(a.iter()).for_each(fill_row);
    }
    Ok(out)
}
