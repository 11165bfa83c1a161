//! Polygon → RLE rasterisation, pixel for pixel as pycocotools' `frPyObjects` does it.
//!
//! The method, step by step:
//!
//! 1. Scale every vertex by 5 and round it to an integer (`(int)(5 * v + 0.5)`, which truncates
//!    toward zero, so negative coordinates round up).
//! 2. Walk each edge on the ×5 grid, one point per step along its major axis, with the minor
//!    coordinate rounded the same way. Each edge is walked from the endpoint with the smaller
//!    major coordinate, so that an edge rasterises identically in both directions.
//! 3. Wherever two consecutive points differ in x, the walk crosses the boundary between two ×5
//!    columns. Crossings that fall on the centre line of a real pixel column (×5 column `5x + 2`)
//!    mark where that column's inside run starts or stops: at the row `ceil((v + 0.5) / 5 - 0.5)`
//!    of the upper of the two points, clamped to the image.
//! 4. Those marks, as column-major pixel offsets, are toggles. Sorted, their gaps are the run
//!    lengths; toggles that coincide cancel in pairs ([`runs_from_toggles`]).
//!
//! The points of step 2 are streamed, never stored, so memory is proportional to the number of
//! toggles, not to the perimeter.

use crate::rle::pixel_count;
use crate::{MaskError, Rle};

/// pycocotools' upsampling factor.
const SCALE: f64 = 5.0;

/// Coordinates beyond this many pixels would overflow the rasteriser's 32-bit grid.
const LIMIT: f64 = 1.0e8;

impl Rle {
    /// Rasterises one polygon, given as a flat `[x0, y0, x1, y1, ...]` list in pixels, into a
    /// `height × width` mask, exactly as pycocotools' `frPyObjects([polygon], height, width)`.
    ///
    /// A pixel `(column x, row y)` covers `[x, x + 1) × [y, y + 1)`; the polygon is closed
    /// implicitly. Parts outside the image are clipped.
    ///
    /// # Errors
    ///
    /// Fewer than 3 points, an odd number of coordinates, a NaN or infinite coordinate, a
    /// coordinate beyond ±1e8, or an image of more than `u32::MAX` pixels.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// // The square with corners (1, 1) and (3, 3) covers the 2×2 pixels in rows and columns 1..3
    /// // of a 4×4 image.
    /// let rle = Rle::from_polygon(&[1.0, 1.0, 3.0, 1.0, 3.0, 3.0, 1.0, 3.0], 4, 4)?;
    /// assert_eq!(rle.counts(), &[5, 2, 2, 2, 5]);
    /// assert_eq!(rle.area(), 4);
    /// assert_eq!(rle.bbox(), [1.0, 1.0, 2.0, 2.0]);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn from_polygon(polygon: &[f64], height: u32, width: u32) -> Result<Rle, MaskError> {
        pixel_count(height, width)?;
        check_polygon(polygon, 0)?;
        Ok(rasterise(polygon, height, width))
    }

    /// Rasterises a list of polygons (one object in several parts) and takes their union, as
    /// pycocotools' `annToRLE` does for a polygon segmentation: `merge(frPyObjects(polygons, h, w))`.
    ///
    /// # Errors
    ///
    /// As [`Rle::from_polygon`], naming the offending polygon by its position in the list, and
    /// [`MaskError::NoMasks`] for an empty list.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let parts = [vec![0.0, 0.0, 2.0, 0.0, 2.0, 2.0, 0.0, 2.0], vec![3.0, 3.0, 5.0, 3.0, 5.0, 5.0, 3.0, 5.0]];
    /// let rle = Rle::from_polygons(&parts, 6, 6)?;
    /// assert_eq!(rle.area(), 8);
    /// let err = Rle::from_polygons(&[vec![0.0, 0.0, 1.0, 1.0, 2.0]], 6, 6).unwrap_err();
    /// assert_eq!(err.to_string(), "polygons[0] has 5 coordinates; expected an even number ([x0, y0, x1, y1, ...])");
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn from_polygons<P: AsRef<[f64]>>(polygons: &[P], height: u32, width: u32) -> Result<Rle, MaskError> {
        pixel_count(height, width)?;
        for (i, p) in polygons.iter().enumerate() {
            check_polygon(p.as_ref(), i)?;
        }
        let parts: Vec<Rle> = polygons.iter().map(|p| rasterise(p.as_ref(), height, width)).collect();
        if parts.len() == 1 {
            return Ok(parts.into_iter().next().expect("one part"));
        }
        Rle::merge(&parts, false)
    }

    /// Rasterises an `[x, y, width, height]` box as pycocotools' `frBbox` does: as the polygon
    /// `(x, y), (x, y + h), (x + w, y + h), (x + w, y)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let rle = Rle::from_bbox([1.0, 0.0, 2.0, 3.0], 4, 4)?;
    /// assert_eq!(rle.area(), 6);
    /// assert_eq!(rle.bbox(), [1.0, 0.0, 2.0, 3.0]);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn from_bbox(bbox: [f64; 4], height: u32, width: u32) -> Result<Rle, MaskError> {
        pixel_count(height, width)?;
        if let Some((index, &value)) = bbox.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(MaskError::NonFiniteBbox { index, value });
        }
        let [x0, y0, w, h] = bbox;
        let (x1, y1) = (x0 + w, y0 + h);
        let polygon = [x0, y0, x0, y1, x1, y1, x1, y0];
        check_polygon(&polygon, 0)?;
        Ok(rasterise(&polygon, height, width))
    }
}

fn check_polygon(polygon: &[f64], index: usize) -> Result<(), MaskError> {
    if polygon.len() % 2 == 1 {
        return Err(MaskError::OddCoordinates { polygon: index, len: polygon.len() });
    }
    if polygon.len() < 6 {
        return Err(MaskError::PolygonTooShort { polygon: index, points: polygon.len() / 2 });
    }
    for (i, &value) in polygon.iter().enumerate() {
        if !value.is_finite() {
            return Err(MaskError::NonFiniteCoordinate { polygon: index, index: i, value });
        }
        if value.abs() > LIMIT {
            return Err(MaskError::CoordinateOutOfRange { polygon: index, index: i, value });
        }
    }
    Ok(())
}

/// C's `(int)(v + 0.5)`: rounds half up for non-negative values, truncates toward zero. The
/// values here are far inside `i32` (coordinates are bounded by [`LIMIT`]); a NaN (from a
/// zero-length edge) becomes 0 and is never used, see [`walk_edge`].
#[inline]
fn round_c(v: f64) -> i32 {
    (v + 0.5) as i32
}

/// Collects the toggles of step 3 from the stream of ×5 boundary points.
struct Toggles {
    height: u32,
    width: u32,
    previous: Option<(i32, i32)>,
    offsets: Vec<u32>,
}

impl Toggles {
    #[inline]
    fn visit(&mut self, u: i32, v: i32) {
        if let Some((pu, pv)) = self.previous
            && u != pu
        {
            self.cross(u, pu, v, pv);
        }
        self.previous = Some((u, v));
    }

    fn cross(&mut self, u: i32, pu: i32, v: i32, pv: i32) {
        // The ×5 column boundary crossed, mapped back to pixel units.
        let xd = (f64::from(if u < pu { u } else { u - 1 }) + 0.5) / SCALE - 0.5;
        if xd.floor() != xd || xd < 0.0 || xd > f64::from(self.width) - 1.0 {
            return;
        }
        let mut yd = (f64::from(if v < pv { v } else { pv }) + 0.5) / SCALE - 0.5;
        let h = f64::from(self.height);
        if yd < 0.0 {
            yd = 0.0;
        } else if yd > h {
            yd = h;
        }
        let (x, y) = (xd as u32, yd.ceil() as u32);
        // x <= width - 1 and y <= height, so the offset is at most height * width: no overflow.
        self.offsets.push(x * self.height + y);
    }
}

/// Steps along one edge of the ×5 grid, from `(xs, ys)` to `(xe, ye)`, one point per unit of
/// the major axis, and hands each point to `toggles`.
///
/// The edge is parametrised from its endpoint with the smaller major coordinate (the slope and the
/// rounding of the minor coordinate are computed from there) but visited in the given direction.
/// A zero-length edge yields one point whose minor coordinate is `0 / 0`; its `u` equals that of
/// both neighbours (or, with negative coordinates, the crossing lies left of the image), so that
/// value never reaches a toggle.
fn walk_edge(toggles: &mut Toggles, (xs, ys): (i32, i32), (xe, ye): (i32, i32)) {
    let (dx, dy) = ((xe - xs).abs(), (ye - ys).abs());
    if dx >= dy {
        let flip = xs > xe;
        let (x0, y0, y1) = if flip { (xe, ye, ys) } else { (xs, ys, ye) };
        let slope = f64::from(y1 - y0) / f64::from(dx);
        for d in 0..=dx {
            let t = if flip { dx - d } else { d };
            toggles.visit(x0 + t, round_c(f64::from(y0) + slope * f64::from(t)));
        }
    } else {
        let flip = ys > ye;
        let (x0, x1, y0) = if flip { (xe, xs, ye) } else { (xs, xe, ys) };
        let slope = f64::from(x1 - x0) / f64::from(dy);
        for d in 0..=dy {
            let t = if flip { dy - d } else { d };
            toggles.visit(round_c(f64::from(x0) + slope * f64::from(t)), y0 + t);
        }
    }
}

/// Rasterises a validated polygon.
fn rasterise(polygon: &[f64], height: u32, width: u32) -> Rle {
    let grid: Vec<(i32, i32)> =
        polygon.chunks_exact(2).map(|p| (round_c(SCALE * p[0]), round_c(SCALE * p[1]))).collect();
    let mut toggles = Toggles { height, width, previous: None, offsets: Vec::new() };
    for (j, &start) in grid.iter().enumerate() {
        walk_edge(&mut toggles, start, grid[(j + 1) % grid.len()]);
    }
    let counts = runs_from_toggles(toggles.offsets, height * width);
    Rle::from_valid_counts(height, width, counts)
}

/// Turns toggle offsets into run lengths covering `total` pixels.
///
/// The offsets, with `total` appended, are sorted and differenced. A zero gap means two toggles
/// at one offset: they cancel, so the gap is dropped and the gap after it joins the run before
/// (a first gap of zero stays: the mask then starts with foreground). This is pycocotools' exact
/// procedure, so the counts agree with its output, not just the pixels.
fn runs_from_toggles(mut offsets: Vec<u32>, total: u32) -> Vec<u32> {
    offsets.push(total);
    offsets.sort_unstable();
    let mut previous = 0;
    for o in &mut offsets {
        let at = *o;
        *o -= previous;
        previous = at;
    }
    let mut runs = Vec::with_capacity(offsets.len());
    let mut gaps = offsets.into_iter();
    runs.push(gaps.next().expect("the total is always there"));
    while let Some(gap) = gaps.next() {
        if gap > 0 {
            runs.push(gap);
        } else if let Some(next) = gaps.next() {
            *runs.last_mut().expect("runs starts non-empty") += next;
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels of a dense column-major mask, as (column, row) pairs.
    fn pixels(rle: &Rle) -> Vec<(u32, u32)> {
        let h = rle.height();
        let mask = rle.to_mask();
        (0..mask.len() as u32).filter(|&i| mask[i as usize] == 1).map(|i| (i / h, i % h)).collect()
    }

    #[test]
    fn axis_aligned_square_covers_its_pixels() {
        let rle = Rle::from_polygon(&[1.0, 1.0, 3.0, 1.0, 3.0, 3.0, 1.0, 3.0], 4, 4).unwrap();
        assert_eq!(pixels(&rle), vec![(1, 1), (1, 2), (2, 1), (2, 2)]);
        // Orientation does not matter.
        let reversed = Rle::from_polygon(&[1.0, 3.0, 3.0, 3.0, 3.0, 1.0, 1.0, 1.0], 4, 4).unwrap();
        assert_eq!(reversed, rle);
    }

    #[test]
    fn right_triangle_worked_by_hand() {
        // Vertices (0,0), (4,0), (0,4) on a 4×4 image; ×5: (0,0), (20,0), (0,20). Pixel column x
        // is sampled where the walk steps from ×5 column 5x + 2 to 5x + 3 (x + 0.5 in pixels).
        // - The top edge (v = 0) starts each column at row ceil(0.5 / 5 - 0.5) → clamped to 0.
        // - The hypotenuse, walked from u = 0 up (v = 20 - u), steps between u = 5x + 2 and
        //   5x + 3 with upper point v = 17 - 5x: it ends the column at row
        //   ceil((17.5 - 5x) / 5 - 0.5) = 3 - x. Pixel centres on the hypotenuse (x + y = 3)
        //   stay outside.
        // - The left edge is vertical and crosses no column.
        // Toggles at 4x (top) and 4x + 3 - x (hypotenuse): 0, 4, 8, 12 and 3, 6, 9, 12. The two
        // toggles at 12 (column 3, empty) cancel, leaving 3 + 2 + 1 pixels.
        let rle = Rle::from_polygon(&[0.0, 0.0, 4.0, 0.0, 0.0, 4.0], 4, 4).unwrap();
        assert_eq!(rle.counts(), &[0, 3, 1, 2, 2, 1, 7]);
        assert_eq!(pixels(&rle), vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)]);
    }

    #[test]
    fn clipped_to_the_image() {
        // A square from (-2, -2) to (2, 2): only the 2×2 pixels inside the image remain.
        let rle = Rle::from_polygon(&[-2.0, -2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0], 3, 3).unwrap();
        assert_eq!(pixels(&rle), vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
        // Entirely outside: empty.
        let rle = Rle::from_polygon(&[10.0, 10.0, 12.0, 10.0, 12.0, 12.0], 3, 3).unwrap();
        assert_eq!(rle.counts(), &[9]);
    }

    #[test]
    fn half_pixel_rounding() {
        // Pixel column 0 is inside when the walk steps from ×5 column 2 to 3, i.e. when the left
        // edge, rounded to the ×5 grid as (int)(5 * x0 + 0.5), is at most 2: x0 < 0.5.
        for (x0, covers_col0) in [(0.0, true), (0.3, true), (0.49, true), (0.5, false), (0.6, false)] {
            let rle = Rle::from_polygon(&[x0, 0.0, 2.0, 0.0, 2.0, 1.0, x0, 1.0], 1, 2).unwrap();
            assert_eq!(rle.to_mask(), vec![u8::from(covers_col0), 1], "x0 = {x0}");
        }
    }

    #[test]
    fn coinciding_toggles_follow_pycocotools() {
        assert_eq!(runs_from_toggles(vec![3, 5], 10), vec![3, 2, 5]);
        // Two toggles at 5 cancel.
        assert_eq!(runs_from_toggles(vec![3, 5, 5, 7], 10), vec![3, 4, 3]);
        // Three at 5 leave one; four cancel.
        assert_eq!(runs_from_toggles(vec![3, 5, 5, 5, 7], 10), vec![3, 2, 2, 3]);
        assert_eq!(runs_from_toggles(vec![3, 5, 5, 5, 5, 7], 10), vec![3, 4, 3]);
        // A toggle at 0 starts the mask with foreground; two there cancel.
        assert_eq!(runs_from_toggles(vec![0, 4], 10), vec![0, 4, 6]);
        assert_eq!(runs_from_toggles(vec![0, 0, 4, 6], 10), vec![4, 2, 4]);
        // A toggle at the very end (offset == total) vanishes into the sentinel.
        assert_eq!(runs_from_toggles(vec![4, 10], 10), vec![4, 6]);
        assert_eq!(runs_from_toggles(vec![], 10), vec![10]);
    }

    #[test]
    fn bad_polygons_are_named() {
        assert_eq!(
            Rle::from_polygon(&[0.0, 0.0, f64::NAN, 1.0, 2.0, 2.0], 4, 4).unwrap_err().to_string(),
            "polygons[0][2] = NaN is not finite"
        );
        let err = Rle::from_polygons(&[vec![0.0; 6], vec![0.0, 0.0, 1.0, 1.0]], 4, 4).unwrap_err();
        assert_eq!(err.to_string(), "polygons[1] has 2 points; a polygon needs at least 3");
        assert!(matches!(
            Rle::from_polygon(&[0.0, 0.0, 2e8, 0.0, 1.0, 1.0], 4, 4).unwrap_err(),
            MaskError::CoordinateOutOfRange { polygon: 0, index: 2, .. }
        ));
        assert_eq!(Rle::from_polygons::<Vec<f64>>(&[], 4, 4).unwrap_err(), MaskError::NoMasks);
        assert_eq!(
            Rle::from_bbox([0.0, f64::INFINITY, 1.0, 1.0], 4, 4).unwrap_err(),
            MaskError::NonFiniteBbox { index: 1, value: f64::INFINITY }
        );
    }
}
