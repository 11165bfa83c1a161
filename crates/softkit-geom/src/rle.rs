//! Run-length encoded binary masks in COCO's layout: column-major runs that start with zeros.

use crate::MaskError;

/// A binary mask of `height × width` pixels, run-length encoded as COCO (and pycocotools)
/// encode it.
///
/// The pixels are read in column-major order (down the first column, then down the second, ...).
/// `counts` holds the lengths of alternating runs of background and foreground pixels, starting
/// with background: a mask whose first pixel is foreground starts with a count of `0`. The counts
/// always sum to `height * width`.
///
/// # Usage
///
/// Build one from a dense mask ([`Rle::from_mask`]), from counts ([`Rle::new`]), from COCO's
/// compressed counts string ([`Rle::from_compressed`]), from polygons ([`Rle::from_polygons`],
/// rasterised exactly as pycocotools' `frPyObjects`) or from a box ([`Rle::from_bbox`]). Measure it
/// with [`Rle::area`], [`Rle::bbox`] and [`Rle::iou`]; combine several with [`Rle::merge`].
///
/// # Runtime and Performance
///
/// Area, merge and IoU walk the runs, never the pixels: their cost is the number of runs, which
/// for object masks is about twice the number of columns the object spans.
///
/// # Examples
///
/// ```
/// use softkit_geom::Rle;
///
/// // A 3×2 mask (3 rows, 2 columns), column-major: column 0 is [0, 1, 1], column 1 is [1, 0, 0].
/// let rle = Rle::from_mask(3, 2, &[0, 1, 1, 1, 0, 0])?;
/// assert_eq!(rle.counts(), &[1, 3, 2]);
/// assert_eq!(rle.area(), 3);
/// assert_eq!(rle.bbox(), [0.0, 0.0, 2.0, 3.0]); // the foreground run crosses a column
/// assert_eq!(rle.to_mask(), vec![0, 1, 1, 1, 0, 0]);
/// # Ok::<(), softkit_geom::MaskError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rle {
    height: u32,
    width: u32,
    counts: Vec<u32>,
}

/// Checks that a `height × width` mask can be addressed with 32-bit counts, and returns its pixel
/// count.
pub(crate) fn pixel_count(height: u32, width: u32) -> Result<u32, MaskError> {
    u32::try_from(u64::from(height) * u64::from(width)).map_err(|_| MaskError::TooLarge { height, width })
}

impl Rle {
    /// A mask from its run lengths, checked to cover `height * width` pixels exactly.
    ///
    /// Zero-length runs are allowed anywhere, as in COCO files (`[0, 5]` is an all-foreground
    /// mask of 5 pixels).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let rle = Rle::new(2, 2, vec![0, 3, 1])?;
    /// assert_eq!(rle.area(), 3);
    /// assert!(Rle::new(2, 2, vec![3]).is_err());
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn new(height: u32, width: u32, counts: Vec<u32>) -> Result<Self, MaskError> {
        pixel_count(height, width)?;
        let sum: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if sum != u64::from(height) * u64::from(width) {
            return Err(MaskError::CountsSum { sum, height, width });
        }
        Ok(Rle { height, width, counts })
    }

    /// Builds a mask whose counts are known to be valid.
    pub(crate) fn from_valid_counts(height: u32, width: u32, counts: Vec<u32>) -> Self {
        debug_assert_eq!(counts.iter().map(|&c| u64::from(c)).sum::<u64>(), u64::from(height) * u64::from(width));
        Rle { height, width, counts }
    }

    /// Encodes a dense column-major mask (any nonzero byte is foreground), as pycocotools'
    /// `encode` does for a Fortran-ordered array.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let rle = Rle::from_mask(2, 2, &[1, 1, 0, 1])?;
    /// assert_eq!(rle.counts(), &[0, 2, 1, 1]);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn from_mask(height: u32, width: u32, mask: &[u8]) -> Result<Self, MaskError> {
        let n = pixel_count(height, width)?;
        if mask.len() != n as usize {
            return Err(MaskError::MaskLength { len: mask.len(), height, width });
        }
        let mut counts = Vec::new();
        let mut current = false;
        let mut run = 0_u32;
        for &px in mask {
            let on = px != 0;
            if on != current {
                counts.push(run);
                run = 0;
                current = on;
            }
            run += 1;
        }
        counts.push(run);
        Ok(Rle { height, width, counts })
    }

    /// Decodes to a dense column-major mask of `0` and `1` bytes.
    pub fn to_mask(&self) -> Vec<u8> {
        let mut mask = Vec::with_capacity(self.height as usize * self.width as usize);
        let mut value = 0_u8;
        for &c in &self.counts {
            mask.resize(mask.len() + c as usize, value);
            value ^= 1;
        }
        mask
    }

    /// The number of rows.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The number of columns.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The run lengths: background, foreground, background, ...
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// The run lengths, by value.
    pub fn into_counts(self) -> Vec<u32> {
        self.counts
    }

    /// The number of foreground pixels (pycocotools' `area`).
    pub fn area(&self) -> u64 {
        self.counts.iter().skip(1).step_by(2).map(|&c| u64::from(c)).sum()
    }

    /// The tight box `[x, y, width, height]` around the foreground, in pixels (pycocotools'
    /// `toBbox`). An empty mask gives `[0, 0, 0, 0]`.
    ///
    /// As in pycocotools 2.0.x, a foreground run that wraps from one column into the next makes the
    /// box span every row, even when the wrapping run alone would not.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// // 4 rows, 3 columns; foreground at rows 1..3 of column 1.
    /// let rle = Rle::new(4, 3, vec![5, 2, 5])?;
    /// assert_eq!(rle.bbox(), [1.0, 1.0, 1.0, 2.0]);
    /// assert_eq!(Rle::new(4, 3, vec![12])?.bbox(), [0.0; 4]);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn bbox(&self) -> [f64; 4] {
        let h = self.height;
        // Only whole (background, foreground) pairs count; a trailing background run adds nothing.
        let pairs = self.counts.len() / 2 * 2;
        if pairs == 0 || h == 0 {
            return [0.0; 4];
        }
        let (mut x_min, mut y_min, mut x_max, mut y_max) = (self.width, h, 0_u32, 0_u32);
        let mut pos = 0_u32;
        for (j, &c) in self.counts[..pairs].iter().enumerate() {
            let start = pos;
            pos += c;
            if j % 2 == 0 || c == 0 {
                continue;
            }
            let last = pos - 1;
            let (x_start, y_start) = (start / h, start % h);
            let (x_end, y_end) = (last / h, last % h);
            x_min = x_min.min(x_start);
            x_max = x_max.max(x_end);
            if x_start < x_end {
                y_min = 0;
                y_max = h - 1;
            } else {
                y_min = y_min.min(y_start);
                y_max = y_max.max(y_end);
            }
        }
        // With only zero-length foreground runs (or none, in an image of width 0) the extremes
        // never moved. pycocotools' unsigned arithmetic then gives a box of 4294967286 pixels;
        // an empty mask has no box.
        if y_min > y_max {
            return [0.0; 4];
        }
        [f64::from(x_min), f64::from(y_min), f64::from(x_max - x_min + 1), f64::from(y_max - y_min + 1)]
    }

    /// The union (`intersect == false`) or intersection (`intersect == true`) of `masks`, all of
    /// one size: pycocotools' `merge`.
    ///
    /// The masks are folded left to right, and the counts come out exactly as pycocotools writes
    /// them (a single mask is returned unchanged).
    ///
    /// # Errors
    ///
    /// [`MaskError::NoMasks`] for an empty slice, [`MaskError::SizeMismatch`] when sizes differ.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let a = Rle::from_mask(1, 4, &[1, 1, 0, 0])?;
    /// let b = Rle::from_mask(1, 4, &[0, 1, 1, 0])?;
    /// assert_eq!(Rle::merge(&[a.clone(), b.clone()], false)?.to_mask(), vec![1, 1, 1, 0]);
    /// assert_eq!(Rle::merge(&[a, b], true)?.to_mask(), vec![0, 1, 0, 0]);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn merge(masks: &[Rle], intersect: bool) -> Result<Rle, MaskError> {
        let first = masks.first().ok_or(MaskError::NoMasks)?;
        for (index, m) in masks.iter().enumerate().skip(1) {
            if (m.height, m.width) != (first.height, first.width) {
                return Err(MaskError::SizeMismatch {
                    index,
                    height: m.height,
                    width: m.width,
                    first_height: first.height,
                    first_width: first.width,
                });
            }
        }
        let mut acc = first.counts.clone();
        for m in &masks[1..] {
            acc = merge_pair(&acc, &m.counts, intersect);
        }
        Ok(Rle { height: first.height, width: first.width, counts: acc })
    }

    /// The number of foreground pixels the two masks share; `0` for masks of different sizes,
    /// which cover different images.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let a = Rle::from_mask(1, 4, &[1, 1, 0, 0])?;
    /// let b = Rle::from_mask(1, 4, &[0, 1, 1, 1])?;
    /// assert_eq!(a.intersection_area(&b), 1);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn intersection_area(&self, other: &Rle) -> u64 {
        if (self.height, self.width) != (other.height, other.width) {
            return 0;
        }
        intersection_and_union(&self.counts, &other.counts).0
    }

    /// Intersection over union with `gt`, with COCO's crowd rule: when `crowd` is set, the union
    /// is this mask's own area, so that a crowd region can absorb any number of detections.
    ///
    /// Masks that do not intersect give `0`, also when both are empty. Masks of different sizes
    /// give `-1`, as in pycocotools' `iou`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let dt = Rle::from_mask(1, 4, &[1, 1, 0, 0])?;
    /// let gt = Rle::from_mask(1, 4, &[0, 1, 1, 1])?;
    /// assert_eq!(dt.iou(&gt, false), 0.25);
    /// assert_eq!(dt.iou(&gt, true), 0.5); // intersection over the detection's area
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn iou(&self, gt: &Rle, crowd: bool) -> f64 {
        if (self.height, self.width) != (gt.height, gt.width) {
            return -1.0;
        }
        let (inter, union) = intersection_and_union(&self.counts, &gt.counts);
        if inter == 0 {
            0.0
        } else if crowd {
            inter as f64 / self.area() as f64
        } else {
            inter as f64 / union as f64
        }
    }
}

/// A cursor over the runs of one mask: the run being read, what is left of it, and its value.
struct Runs<'a> {
    counts: &'a [u32],
    next: usize,
    left: u32,
    on: bool,
}

impl<'a> Runs<'a> {
    fn new(counts: &'a [u32]) -> Self {
        Runs { counts, next: 1, left: counts.first().copied().unwrap_or(0), on: false }
    }

    /// Consumes `c` pixels; once the current run is used up, moves to the next one (at most one
    /// step, so a zero-length run costs a step of its own).
    fn take(&mut self, c: u32) {
        self.left -= c;
        if self.left == 0 && self.next < self.counts.len() {
            self.left = self.counts[self.next];
            self.next += 1;
            self.on = !self.on;
        }
    }

    /// Whether every run has been read. pycocotools stops instead when both masks are between
    /// runs, so an empty run inside the counts at the same place in both (which its encoders never
    /// write, but a file may) cut its walk short: a mask's intersection with itself came out
    /// smaller than its area. Counts without such runs are walked the same both ways.
    fn finished(&self) -> bool {
        self.left == 0 && self.next >= self.counts.len()
    }
}

/// One step of pycocotools' `rleMerge`: walks both masks in lock step and closes a run of the
/// result whenever its value changes or both masks end. Zero-length input runs take a step of
/// their own, which is what makes the output counts agree with pycocotools' exactly.
fn merge_pair(a: &[u32], b: &[u32], intersect: bool) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut ra, mut rb) = (Runs::new(a), Runs::new(b));
    let mut value = false;
    let mut run = 0_u32;
    loop {
        let c = ra.left.min(rb.left);
        run += c;
        ra.take(c);
        rb.take(c);
        let previous = value;
        value = if intersect { ra.on && rb.on } else { ra.on || rb.on };
        let done = ra.finished() && rb.finished();
        if value != previous || done {
            out.push(run);
            run = 0;
        }
        if done {
            return out;
        }
    }
}

/// Pixels set in both masks and in either mask.
fn intersection_and_union(a: &[u32], b: &[u32]) -> (u64, u64) {
    let (mut ra, mut rb) = (Runs::new(a), Runs::new(b));
    let (mut inter, mut union) = (0_u64, 0_u64);
    loop {
        let c = ra.left.min(rb.left);
        if ra.on || rb.on {
            union += u64::from(c);
            if ra.on && rb.on {
                inter += u64::from(c);
            }
        }
        ra.take(c);
        rb.take(c);
        if ra.finished() && rb.finished() {
            return (inter, union);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the fuzzer: empty runs inside the counts (`[2, 0, 0, 3, ...]`) ended the walk
    /// early, and a mask's intersection with itself came out smaller than its area.
    #[test]
    fn empty_runs_inside_the_counts_are_walked_over() {
        let odd = Rle::new(1, 10, vec![2, 0, 0, 3, 0, 0, 4, 1]).unwrap();
        let plain = Rle::new(1, 10, vec![2, 3, 4, 1]).unwrap();
        assert_eq!(odd.area(), 4);
        assert_eq!(odd.intersection_area(&odd), 4);
        assert_eq!(odd.iou(&odd, false), 1.0);
        assert_eq!(odd.intersection_area(&plain), 4);
        assert_eq!(odd.iou(&plain, false), 1.0);
        assert_eq!(Rle::merge(&[odd.clone(), odd.clone()], true).unwrap().to_mask(), plain.to_mask());
        assert_eq!(Rle::merge(&[odd.clone(), plain.clone()], false).unwrap().to_mask(), plain.to_mask());
    }

    fn mask_of(h: u32, w: u32, seed: u64) -> Vec<u8> {
        let mut rng = softkit_sim::Rng::new(seed);
        (0..h * w).map(|_| u8::from(rng.below(3) == 0)).collect()
    }

    #[test]
    fn encode_decode_round_trips() {
        for (h, w, seed) in [(1, 1, 1), (3, 5, 2), (7, 4, 3), (16, 16, 4), (1, 40, 5), (40, 1, 6)] {
            let mask = mask_of(h, w, seed);
            let rle = Rle::from_mask(h, w, &mask).unwrap();
            assert_eq!(rle.to_mask(), mask);
            assert_eq!(rle.area(), mask.iter().map(|&m| u64::from(m)).sum::<u64>());
            assert_eq!(Rle::new(h, w, rle.counts().to_vec()).unwrap(), rle);
        }
        assert_eq!(Rle::from_mask(2, 2, &[1, 1, 1, 1]).unwrap().counts(), &[0, 4]);
        assert_eq!(Rle::from_mask(2, 2, &[0, 0, 0, 0]).unwrap().counts(), &[4]);
        assert_eq!(
            Rle::from_mask(2, 2, &[0, 0, 0]).unwrap_err(),
            MaskError::MaskLength { len: 3, height: 2, width: 2 }
        );
    }

    #[test]
    fn merge_and_iou_agree_with_dense_masks() {
        for seed in 1..20 {
            let (h, w) = (5 + seed as u32 % 4, 6);
            let (ma, mb) = (mask_of(h, w, seed), mask_of(h, w, seed * 31 + 7));
            let (a, b) = (Rle::from_mask(h, w, &ma).unwrap(), Rle::from_mask(h, w, &mb).unwrap());
            let or: Vec<u8> = ma.iter().zip(&mb).map(|(x, y)| x | y).collect();
            let and: Vec<u8> = ma.iter().zip(&mb).map(|(x, y)| x & y).collect();
            let union = Rle::merge(&[a.clone(), b.clone()], false).unwrap();
            let inter = Rle::merge(&[a.clone(), b.clone()], true).unwrap();
            assert_eq!(union.to_mask(), or);
            assert_eq!(inter.to_mask(), and);
            // Encoding the dense result gives the same canonical counts.
            assert_eq!(union, Rle::from_mask(h, w, &or).unwrap());
            let (i, u) = (inter.area(), union.area());
            let want = if i == 0 { 0.0 } else { i as f64 / u as f64 };
            assert_eq!(a.iou(&b, false), want);
            let crowd = if i == 0 { 0.0 } else { i as f64 / a.area() as f64 };
            assert_eq!(a.iou(&b, true), crowd);
        }
    }

    #[test]
    fn merge_checks_sizes() {
        let a = Rle::new(2, 3, vec![6]).unwrap();
        let b = Rle::new(3, 2, vec![6]).unwrap();
        assert_eq!(Rle::merge(&[], false).unwrap_err(), MaskError::NoMasks);
        let err = Rle::merge(&[a.clone(), b.clone()], false).unwrap_err();
        assert_eq!(err.to_string(), "masks[1] has size [3, 2], but masks[0] has size [2, 3]");
        assert_eq!(a.iou(&b, false), -1.0);
        assert_eq!(Rle::merge(std::slice::from_ref(&a), true).unwrap(), a);
    }

    /// Found by the fuzzer: a mask whose only foreground runs are empty had a box of
    /// 4294967286 pixels (pycocotools' unsigned wrap-around).
    #[test]
    fn a_mask_of_empty_foreground_runs_has_no_box() {
        assert_eq!(Rle::new(1, 11, vec![11, 0]).unwrap().bbox(), [0.0; 4]);
        assert_eq!(Rle::new(1, 11, vec![3, 0, 8, 0]).unwrap().bbox(), [0.0; 4]);
        assert_eq!(Rle::new(5, 0, vec![0, 0]).unwrap().bbox(), [0.0; 4]);
    }

    #[test]
    fn merge_keeps_zero_length_runs_as_pycocotools_does() {
        // [2, 0, 2] is all background, written with an empty foreground run. pycocotools' merge
        // steps through the empty run and closes a zero-length run of the result there.
        let a = Rle::new(1, 4, vec![2, 0, 2]).unwrap();
        let b = Rle::new(1, 4, vec![4]).unwrap();
        let u = Rle::merge(&[a, b], false).unwrap();
        assert_eq!(u.counts(), &[2, 0, 2]);
        assert_eq!(u.area(), 0);
    }

    #[test]
    fn bbox_follows_pycocotools() {
        // 4×3, foreground from (row 3, col 0) to (row 0, col 1): wraps a column, so all rows.
        assert_eq!(Rle::new(4, 3, vec![3, 2, 7]).unwrap().bbox(), [0.0, 0.0, 2.0, 4.0]);
        // Runs in two columns, no wrap: row 1 of column 0, rows 2..=3 of column 1.
        assert_eq!(Rle::new(4, 3, vec![1, 1, 4, 2, 4]).unwrap().bbox(), [0.0, 1.0, 2.0, 3.0]);
        // A trailing unpaired count is ignored; an all-foreground mask is the whole image.
        assert_eq!(Rle::new(2, 2, vec![0, 4]).unwrap().bbox(), [0.0, 0.0, 2.0, 2.0]);
    }
}
