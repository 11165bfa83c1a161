//! [`resize_bilinear`]: Pillow's `Image.resize(size, Image.BILINEAR)` on 8-bit RGB, bit for bit,
//! so that a letterbox made here feeds a model the pixels its Python reference fed it.

use std::borrow::Cow;

use crate::DecodeError;

/// Fixed-point bits of Pillow's 8-bit resampling coefficients (`32 - 8 - 2`).
const PRECISION_BITS: u32 = 22;

/// Resizes interleaved 8-bit RGB pixels (`3 * width * height` bytes, row-major) from `size` to
/// `new_size` (`[width, height]`) with Pillow's bilinear filter, exactly as Pillow computes it.
///
/// Pillow widens the filter's support by the scale when shrinking (so every source pixel counts,
/// unlike OpenCV's `INTER_LINEAR`), rounds the normalised weights to 22-bit fixed point, resamples
/// the rows first and the columns second through an 8-bit intermediate, and rounds each sum half
/// up. The same steps here give the same bytes; a side that keeps its length is not resampled.
///
/// # Examples
///
/// ```
/// use softkit_decode::resize_bilinear;
///
/// // A 4 x 1 ramp halved. The filter, widened to 2 pixels, weighs 3 inputs per output:
/// // (0 * 3 + 10 * 3 + 20) / 7 = 7.1 and (10 + 20 * 3 + 31 * 3) / 7 = 23.3, as Pillow gives.
/// let ramp = [0, 0, 0, 10, 10, 10, 20, 20, 20, 31, 31, 31];
/// assert_eq!(resize_bilinear(&ramp, [4, 1], [2, 1])?, vec![7, 7, 7, 23, 23, 23]);
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
///
/// # Errors
///
/// [`DecodeError::InvalidParameter`] if a size is zero or `pixels` is not `3 * width * height`
/// bytes long.
pub fn resize_bilinear(pixels: &[u8], size: [u32; 2], new_size: [u32; 2]) -> Result<Vec<u8>, DecodeError> {
    check_pixels(pixels, size)?;
    check_size("new size", new_size)?;
    let [w, h] = size.map(|s| s as usize);
    let [nw, nh] = new_size.map(|s| s as usize);
    let columns = Coefficients::new(w, nw);
    let rows = Coefficients::new(h, nh);
    // The rows the vertical pass reads, the only ones the horizontal pass needs to make.
    let (first_row, end_row) = if nh == h { (0, h) } else { rows.span() };
    let rows_read = &pixels[3 * w * first_row..3 * w * end_row];
    let horizontal = if nw == w {
        Cow::Borrowed(rows_read)
    } else {
        let mut out = vec![0; 3 * nw * (end_row - first_row)];
        for (src, dst) in rows_read.chunks_exact(3 * w).zip(out.chunks_exact_mut(3 * nw)) {
            resample_row(src, dst, &columns);
        }
        Cow::Owned(out)
    };
    if nh == h {
        return Ok(horizontal.into_owned());
    }
    let mut out = vec![0; 3 * nw * nh];
    let mut sums = vec![0_i32; 3 * nw];
    for (y, dst) in out.chunks_exact_mut(3 * nw).enumerate() {
        let (start, weights) = rows.of(y);
        sums.fill(1 << (PRECISION_BITS - 1));
        for (i, &k) in weights.iter().enumerate() {
            let src = &horizontal[3 * nw * (start + i - first_row)..][..3 * nw];
            for (sum, &p) in sums.iter_mut().zip(src) {
                *sum += i32::from(p) * k;
            }
        }
        for (d, &sum) in dst.iter_mut().zip(&sums) {
            *d = clip8(sum);
        }
    }
    Ok(out)
}

/// Checks that `pixels` are `3 * width * height` bytes of an image of `size`, at least 1 x 1.
pub(crate) fn check_pixels(pixels: &[u8], size: [u32; 2]) -> Result<(), DecodeError> {
    check_size("size", size)?;
    if pixels.len() as u64 != 3 * u64::from(size[0]) * u64::from(size[1]) {
        return Err(DecodeError::InvalidParameter {
            name: "pixels",
            value: format!("{} bytes for a {}x{} image", pixels.len(), size[0], size[1]),
            expected: "3 * width * height bytes of interleaved RGB",
        });
    }
    Ok(())
}

fn check_size(name: &'static str, size: [u32; 2]) -> Result<(), DecodeError> {
    if size.contains(&0) {
        return Err(DecodeError::InvalidParameter {
            name,
            value: format!("{}x{}", size[0], size[1]),
            expected: "a width and height of at least 1 pixel",
        });
    }
    Ok(())
}

/// One row's horizontal pass: each output pixel a weighted sum of its source span.
fn resample_row(src: &[u8], dst: &mut [u8], columns: &Coefficients) {
    for (x, out) in dst.chunks_exact_mut(3).enumerate() {
        let (start, weights) = columns.of(x);
        let mut sums = [1_i32 << (PRECISION_BITS - 1); 3];
        for (pixel, &k) in src[3 * start..].chunks_exact(3).zip(weights) {
            for (sum, &p) in sums.iter_mut().zip(pixel) {
                *sum += i32::from(p) * k;
            }
        }
        for (o, sum) in out.iter_mut().zip(sums) {
            *o = clip8(sum);
        }
    }
}

/// A fixed-point sum back to a byte: Pillow's `clip8`, an arithmetic shift clamped to 0..=255.
fn clip8(sum: i32) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc` for one axis: each output index's
/// first source index and its fixed-point weights.
struct Coefficients {
    starts: Vec<usize>,
    lengths: Vec<usize>,
    /// `stride` weights per output index, the first `lengths[i]` of them used.
    weights: Vec<i32>,
    stride: usize,
}

impl Coefficients {
    fn new(in_size: usize, out_size: usize) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filter_scale = scale.max(1.0);
        let support = filter_scale; // the bilinear filter's support is 1
        // Pillow multiplies by the reciprocal: dividing would round differently.
        let inverse_scale = 1.0 / filter_scale;
        let stride = support.ceil() as usize * 2 + 1;
        let mut starts = Vec::with_capacity(out_size);
        let mut lengths = Vec::with_capacity(out_size);
        let mut weights = vec![0; stride * out_size];
        let mut raw = vec![0.0_f64; stride];
        for (i, row) in weights.chunks_exact_mut(stride).enumerate() {
            let centre = (i as f64 + 0.5) * scale;
            // C's `(int)` truncates toward zero; the clamps then match Pillow's.
            let start = ((centre - support + 0.5) as i64).max(0) as usize;
            let end = ((centre + support + 0.5) as i64).min(in_size as i64) as usize;
            let len = end.saturating_sub(start);
            let mut total = 0.0;
            for (x, w) in raw[..len].iter_mut().enumerate() {
                let t = ((x + start) as f64 - centre + 0.5) * inverse_scale;
                *w = (1.0 - t.abs()).max(0.0);
                total += *w;
            }
            for (k, &w) in row.iter_mut().zip(&raw[..len]) {
                let w = if total != 0.0 { w / total } else { w };
                let fixed = w * f64::from(1_u32 << PRECISION_BITS);
                *k = if w < 0.0 { (fixed - 0.5) as i32 } else { (fixed + 0.5) as i32 };
            }
            starts.push(start);
            lengths.push(len);
        }
        Coefficients { starts, lengths, weights, stride }
    }

    fn of(&self, i: usize) -> (usize, &[i32]) {
        (self.starts[i], &self.weights[i * self.stride..][..self.lengths[i]])
    }

    /// The source indices any output reads: `[first, end)`.
    fn span(&self) -> (usize, usize) {
        let last = self.starts.len() - 1;
        (self.starts[0], self.starts[last] + self.lengths[last])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one_in_fixed_point_and_cover_the_source() {
        for (from, to) in [(640, 416), (427, 416), (100, 333), (1, 7), (7, 1)] {
            let c = Coefficients::new(from, to);
            for i in 0..to {
                let (start, w) = c.of(i);
                assert!(start + w.len() <= from);
                let total: i64 = w.iter().map(|&k| i64::from(k)).sum();
                assert!((total - (1 << PRECISION_BITS)).abs() <= w.len() as i64, "{from}->{to} at {i}: {total}");
            }
        }
    }

    #[test]
    fn a_flat_image_stays_flat_and_bad_sizes_are_refused() {
        let flat = vec![77_u8; 3 * 13 * 9];
        assert!(resize_bilinear(&flat, [13, 9], [5, 20]).unwrap().iter().all(|&p| p == 77));
        assert!(resize_bilinear(&flat, [13, 9], [0, 20]).is_err());
        assert!(resize_bilinear(&flat[1..], [13, 9], [5, 20]).is_err());
    }
}
