//! The dense matrix of a measure between every item of one column and every item of another.

use rayon::prelude::*;

use crate::{BoxMeasure, Boxes, Coord, GeomError, Geometry, Measure};

/// Cells at or above this count are computed in parallel; below it threads cost more than they save.
const PARALLEL_CELLS: usize = 1 << 16;

/// The `a.len() x b.len()` matrix of `measure` between every item of `a` and every item of `b`,
/// row-major (`m[i * b.len() + j]`), for any geometry and measure.
///
/// # Errors
///
/// [`GeomError::OutOfMemory`], before any work, if the matrix cannot be allocated (numpy's
/// `MemoryError`), instead of aborting the process.
///
/// # Examples
///
/// ```
/// use softkit_geom::{overlap_matrix, IoMin, Masks, Rle};
///
/// let a = Masks::new(vec![Rle::from_mask(1, 4, &[1, 1, 0, 0])?]);
/// let b = Masks::new(vec![Rle::from_mask(1, 4, &[0, 1, 0, 0])?, Rle::from_mask(1, 4, &[0, 0, 1, 1])?]);
/// assert_eq!(overlap_matrix(&a, &b, &IoMin)?, vec![1.0, 0.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn overlap_matrix<G: Geometry, M: Measure<G>>(a: &G, b: &G, measure: &M) -> Result<Vec<f64>, GeomError> {
    let mut out = zeroed_matrix(a.len(), b.len())?;
    if b.is_empty() {
        return Ok(out);
    }
    let fill_row = |(i, row): (usize, &mut [f64])| {
        crate::interrupt::poll();
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = measure.between(a, i, b, j);
        }
    };
    if out.len() >= PARALLEL_CELLS {
        out.par_chunks_mut(b.len()).enumerate().for_each(fill_row);
    } else {
        out.chunks_mut(b.len()).enumerate().for_each(fill_row);
    }
    Ok(out)
}

/// A `rows x cols` matrix of zeros, or [`GeomError::OutOfMemory`] naming its size when it is
/// larger than the machine's memory or the allocator refuses it. The first check does not depend
/// on how the system overcommits: a matrix that cannot fit is refused before anything is touched.
fn zeroed_matrix(rows: usize, cols: usize) -> Result<Vec<f64>, GeomError> {
    let bytes = rows as u128 * cols as u128 * 8;
    let too_large = || GeomError::OutOfMemory { what: format!("a {rows} x {cols} overlap matrix of float64"), bytes };
    if physical_memory().is_some_and(|total| bytes > total) || bytes > isize::MAX as u128 {
        return Err(too_large());
    }
    let cells = rows * cols;
    let mut out = Vec::new();
    out.try_reserve_exact(cells).map_err(|_| too_large())?;
    out.resize(cells, 0.0);
    Ok(out)
}

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`), where it can be read.
fn physical_memory() -> Option<u128> {
    static TOTAL: std::sync::OnceLock<Option<u128>> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u128 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    })
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
    overlap_matrix(&a, &b, &measure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Iou, Segments};

    /// A column that claims billions of items and holds none: the matrix is refused before any
    /// item is measured.
    struct Huge;

    impl Geometry for Huge {
        fn len(&self) -> usize {
            1 << 32
        }

        fn area(&self, _: usize) -> f64 {
            unreachable!("nothing is measured")
        }
    }

    impl Measure<Huge> for Iou {
        fn between(&self, _: &Huge, _: usize, _: &Huge, _: usize) -> f64 {
            unreachable!("nothing is measured")
        }
    }

    #[test]
    fn a_matrix_too_large_for_memory_is_an_error() {
        let err = overlap_matrix(&Huge, &Huge, &Iou).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unable to allocate 147573952589676412928 bytes for a 4294967296 x 4294967296 overlap matrix of float64"
        );
        // An empty side allocates nothing.
        let none = Segments::new::<f64>(&[]).unwrap();
        assert!(overlap_matrix(&none, &none, &Iou).unwrap().is_empty());
    }
}
