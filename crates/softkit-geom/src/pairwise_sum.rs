//! numpy's pairwise summation, so that means over the precision array round as `np.mean` does.

/// Block below which numpy sums with eight interleaved accumulators (`PW_BLOCKSIZE`).
const BLOCK: usize = 128;

/// Sums `values` in numpy's order for a contiguous `float64` reduction (`np.add.reduce`).
///
/// Fewer than eight values are added left to right; up to 128 are added into eight interleaved
/// partial sums that are combined pairwise, then the remainder; longer runs are split in two at a
/// multiple of eight and each half summed recursively.
///
/// # Examples
///
/// ```
/// let v: Vec<f64> = (0..1000).map(|i| 1.0 / (i as f64 + 1.0)).collect();
/// let naive: f64 = v.iter().sum();
/// assert!((softkit_geom::pairwise_sum(&v) - naive).abs() < 1e-12);
/// ```
pub fn pairwise_sum(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in values {
            res += v;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0_f64; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += values[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &values[i..] {
            res += v;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&values[..n2]) + pairwise_sum(&values[n2..])
    }
}

/// `np.mean` of a non-empty contiguous `float64` array: the [`pairwise_sum`] over the count.
///
/// # Examples
///
/// ```
/// assert_eq!(softkit_geom::pairwise_mean(&[1.0, 2.0]), 1.5);
/// ```
pub fn pairwise_mean(values: &[f64]) -> f64 {
    (0.0 + pairwise_sum(values)) / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_follows_numpy() {
        // 0.1 repeated: left-to-right and pairwise sums round differently at n = 10.
        let v = [0.1; 10];
        let eight = ((0.1_f64 + 0.1) + (0.1 + 0.1)) + ((0.1 + 0.1) + (0.1 + 0.1));
        assert_eq!(pairwise_sum(&v), eight + 0.1 + 0.1);
        assert_eq!(pairwise_sum(&v[..3]), 0.1 + 0.1 + 0.1);
    }

    #[test]
    fn long_runs_split_at_a_multiple_of_eight() {
        let v: Vec<f64> = (0..300).map(|i| (i as f64).sqrt()).collect();
        assert_eq!(pairwise_sum(&v), pairwise_sum(&v[..144]) + pairwise_sum(&v[144..]));
        assert_eq!(pairwise_mean(&[1.0, 2.0]), 1.5);
    }
}
