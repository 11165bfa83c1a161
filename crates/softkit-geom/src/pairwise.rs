//! The dense matrix of a measure between every item of one column and every item of another.

use rayon::prelude::*;

use crate::{BoxMeasure, Boxes, Coord, GeomError, Geometry, Measure};

/// Cells at or above this count are computed in parallel; below it threads cost more than they save.
const PARALLEL_CELLS: usize = 1 << 16;

/// The `a.len() x b.len()` matrix of `measure` between every item of `a` and every item of `b`,
/// row-major (`m[i * b.len() + j]`), for any geometry and measure.
///
/// # Examples
///
/// ```
/// use softkit_geom::{overlap_matrix, IoMin, Masks, Rle};
///
/// let a = Masks::new(vec![Rle::from_mask(1, 4, &[1, 1, 0, 0])?]);
/// let b = Masks::new(vec![Rle::from_mask(1, 4, &[0, 1, 0, 0])?, Rle::from_mask(1, 4, &[0, 0, 1, 1])?]);
/// assert_eq!(overlap_matrix(&a, &b, &IoMin), vec![1.0, 0.0]);
/// # Ok::<(), softkit_geom::MaskError>(())
/// ```
pub fn overlap_matrix<G: Geometry, M: Measure<G>>(a: &G, b: &G, measure: &M) -> Vec<f64> {
    let mut out = vec![0.0; a.len() * b.len()];
    if b.is_empty() {
        return out;
    }
    let fill_row = |(i, row): (usize, &mut [f64])| {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = measure.between(a, i, b, j);
        }
    };
    if out.len() >= PARALLEL_CELLS {
        out.par_chunks_mut(b.len()).enumerate().for_each(fill_row);
    } else {
        out.chunks_mut(b.len()).enumerate().for_each(fill_row);
    }
    out
}

/// The `a.len() x b.len()` matrix of `measure` between two `[x1, y1, x2, y2]` box lists,
/// row-major, like torchvision's `box_iou`.
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
pub fn box_overlap_matrix<T: Coord>(
    a: &[[T; 4]],
    b: &[[T; 4]],
    measure: BoxMeasure,
    pixel_offset: f64,
) -> Result<Vec<f64>, GeomError> {
    let (a, b) = (Boxes::new(a, pixel_offset)?, Boxes::new(b, pixel_offset)?);
    Ok(overlap_matrix(&a, &b, &measure))
}
