//! The three softmax kernels against each other and against a plain `f64` reference built on the
//! standard library's `exp`, on random rows and on the rows where softmax is delicate.

use proptest::prelude::*;
use softkit_ghost::{Kernel, Real};

/// Softmax, log-softmax and log-sum-exp of a row, textbook three-pass in `f64` with `f64::exp`.
fn reference(x: &[f64]) -> (Vec<f64>, Vec<f64>, f64) {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = x.iter().map(|v| (v - m).exp()).sum();
    let p = x.iter().map(|v| (v - m).exp() / s).collect();
    let lp = x.iter().map(|v| (v - m) - s.ln()).collect();
    (p, lp, m + s.ln())
}

fn close(got: f64, want: f64, rel: f64, floor: f64) -> bool {
    got == want || (got - want).abs() <= rel * want.abs().max(floor)
}

/// Every kernel's softmax, log-softmax, log-sum-exp and cross-entropy of `x`, checked against the
/// reference (`rel` relative; log quantities relative to `max(|v|, 1)`).
fn check_row<T: Real>(x: &[T], rel: f64) -> Result<(), TestCaseError> {
    let wide: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
    let (p_ref, lp_ref, lse_ref) = reference(&wide);
    // Below the smallest normal number (f32) or the flush threshold (f64) only absolute error counts.
    let tiny = if T::BYTES == 4 { f64::from(f32::MIN_POSITIVE) } else { 1e-300 } / rel;
    let scale = wide.iter().filter(|v| v.is_finite()).fold(1.0_f64, |m, v| m.max(v.abs()));
    let mut outs = Vec::new();
    for kernel in Kernel::ALL {
        let mut p = vec![T::from_f64(0.0); x.len()];
        let mut lp = p.clone();
        kernel.softmax(x, &mut p).unwrap();
        kernel.log_softmax(x, &mut lp).unwrap();
        let lse = kernel.log_sum_exp(x);
        prop_assert!(close(lse, lse_ref, rel, scale), "{kernel}: lse {lse} vs {lse_ref}");
        for i in 0..x.len() {
            let (pi, lpi) = (p[i].to_f64(), lp[i].to_f64());
            prop_assert!(close(pi, p_ref[i], rel, tiny), "{kernel}: p[{i}] = {pi} vs {}", p_ref[i]);
            prop_assert!(close(lpi, lp_ref[i], rel, 1.0), "{kernel}: lp[{i}] = {lpi} vs {}", lp_ref[i]);
        }
        let y = x.len() / 2;
        let ce = kernel.cross_entropy(x, y).unwrap();
        prop_assert!(close(ce, -lp_ref[y], rel, scale), "{kernel}: ce {ce} vs {}", -lp_ref[y]);
        outs.push(p);
    }
    // Pairwise agreement of the kernels themselves.
    for a in 0..outs.len() {
        for b in a + 1..outs.len() {
            for (u, v) in outs[a].iter().zip(&outs[b]) {
                prop_assert!(close(u.to_f64(), v.to_f64(), rel, tiny), "kernels {a} and {b}: {u} vs {v}");
            }
        }
    }
    Ok(())
}

fn row(max_len: usize, spread: f64) -> impl Strategy<Value = Vec<f64>> {
    (-1e4..1e4_f64, 0.0..spread, 1..max_len)
        .prop_flat_map(|(centre, s, n)| proptest::collection::vec((-1.0..1.0_f64).prop_map(move |u| centre + s * u), n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn f64_kernels_agree(x in row(300, 300.0)) {
        check_row(&x, 1e-12)?;
    }

    #[test]
    fn f32_kernels_agree(x in row(300, 40.0)) {
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        check_row(&x, 1e-6)?;
    }

    /// Masked classes (`-inf`) among finite logits, in every position.
    #[test]
    fn masked_rows_agree(x in row(100, 50.0), mask in proptest::collection::vec(any::<bool>(), 100)) {
        let mut x = x;
        let keep = x.len() / 2;
        for (i, v) in x.iter_mut().enumerate() {
            if mask[i] && i != keep {
                *v = f64::NEG_INFINITY;
            }
        }
        check_row(&x, 1e-12)?;
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        check_row(&x32, 1e-6)?;
    }

    #[test]
    fn batched_rows_equal_single_rows(x in proptest::collection::vec(-30.0..30.0_f64, 1..200), k in 1..7_usize) {
        let x = &x[..x.len() - x.len() % k];
        for kernel in Kernel::ALL {
            let mut batched = vec![0.0; x.len()];
            kernel.softmax_rows(x, k, &mut batched).unwrap();
            let mut log_batched = vec![0.0; x.len()];
            kernel.log_softmax_rows(x, k, &mut log_batched).unwrap();
            let lse = kernel.log_sum_exp_rows(x, k).unwrap();
            let labels: Vec<usize> = (0..x.len() / k).map(|i| i % k).collect();
            let ce = kernel.cross_entropy_rows(x, k, &labels).unwrap();
            for (i, row) in x.chunks_exact(k).enumerate() {
                let mut single = vec![0.0; k];
                kernel.softmax(row, &mut single).unwrap();
                prop_assert_eq!(&batched[i * k..(i + 1) * k], &single[..]);
                kernel.log_softmax(row, &mut single).unwrap();
                prop_assert_eq!(&log_batched[i * k..(i + 1) * k], &single[..]);
                prop_assert_eq!(lse[i], kernel.log_sum_exp(row));
                prop_assert_eq!(ce[i], kernel.cross_entropy(row, labels[i]).unwrap());
            }
        }
    }
}

/// Runs every kernel on `x` and returns (softmax, log-softmax, log-sum-exp) for each.
fn all<T: Real>(x: &[T]) -> Vec<(Vec<T>, Vec<T>, f64)> {
    Kernel::ALL
        .into_iter()
        .map(|kernel| {
            let mut p = vec![T::from_f64(0.0); x.len()];
            let mut lp = p.clone();
            kernel.softmax(x, &mut p).unwrap();
            kernel.log_softmax(x, &mut lp).unwrap();
            (p, lp, kernel.log_sum_exp(x))
        })
        .collect()
}

#[test]
fn single_class() {
    // Probability exactly 1; the Two-Pass log quantities recombine e^v from its pair, so they
    // may be off by an ulp.
    for v in [-1e30_f64, -3.0, 0.0, 7.5, 1e30] {
        for (p, lp, lse) in all(&[v]) {
            assert_eq!(p, vec![1.0]);
            assert!(lp[0].abs() <= 1e-15 && close(lse, v, 1e-15, 1.0), "{lp:?} {lse}");
        }
        for (p, lp, lse) in all(&[v as f32]) {
            assert_eq!(p, vec![1.0_f32]);
            assert!(lp[0].abs() <= 1e-7 && close(lse, f64::from(v as f32), 1e-7, 1.0), "{lp:?} {lse}");
        }
        for kernel in Kernel::ALL {
            assert!(kernel.cross_entropy(&[v], 0).unwrap().abs() <= 1e-15);
        }
    }
}

#[test]
fn huge_logits() {
    let ln2 = 2f64.ln();
    for (p, lp, lse) in all(&[1e30_f64, 1e30, -1e30]) {
        assert_eq!(p, vec![0.5, 0.5, 0.0]);
        assert_eq!(lp, vec![-ln2, -ln2, -2e30]);
        assert_eq!(lse, 1e30);
    }
    // Near the top of f32: the differences overflow f32 but not the f64 arithmetic.
    for (p, lp, _) in all(&[3e38_f32, -3e38, 3e38]) {
        assert_eq!(p, vec![0.5, 0.0, 0.5]);
        assert_eq!(lp[0], -(ln2 as f32));
        assert_eq!(lp[1], f32::NEG_INFINITY);
    }
    // Large but within the Two-Pass pairs' range, and just beyond it (2^20).
    for shift in [1e5_f64, 2e6] {
        let x = [shift + 1.0, shift, shift - 1.0];
        let want = reference(&[1.0, 0.0, -1.0]).0;
        for (p, _, lse) in all(&x) {
            for (g, w) in p.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12, "{g} vs {w} at shift {shift}");
            }
            assert!((lse - (shift + 1.0 + (1.0 + (-1f64).exp() + (-2f64).exp()).ln())).abs() < 1e-9 * shift);
        }
    }
}

#[test]
fn plus_infinity_takes_the_mass() {
    let inf = f64::INFINITY;
    for (p, lp, lse) in all(&[1.0, inf, -inf, 1e30, inf]) {
        assert_eq!(p, vec![0.0, 0.5, 0.0, 0.0, 0.5]);
        let h = -(2f64.ln());
        assert_eq!(lp, vec![-inf, h, -inf, -inf, h]);
        assert_eq!(lse, inf);
    }
    for kernel in Kernel::ALL {
        assert_eq!(kernel.cross_entropy(&[1.0, inf], 1).unwrap(), 0.0);
        assert_eq!(kernel.cross_entropy(&[1.0, inf], 0).unwrap(), inf);
        assert_eq!(kernel.cross_entropy(&[1.0_f32, f32::INFINITY], 0).unwrap(), inf);
    }
}

#[test]
fn minus_infinity_masks_a_class() {
    let inf = f64::INFINITY;
    for (p, lp, lse) in all(&[0.0, -inf, 0.0]) {
        assert_eq!(p, vec![0.5, 0.0, 0.5]);
        assert_eq!(lp[1], -inf);
        assert!((lse - 2f64.ln()).abs() < 1e-15);
    }
    for kernel in Kernel::ALL {
        assert_eq!(kernel.cross_entropy(&[0.0, -inf], 1).unwrap(), inf);
    }
}

#[test]
fn all_minus_infinity_has_no_mass() {
    for len in [1, 3, 8, 17] {
        let x = vec![f32::NEG_INFINITY; len];
        for (p, lp, lse) in all(&x) {
            assert!(p.iter().chain(&lp).all(|v| v.is_nan()));
            assert_eq!(lse, f64::NEG_INFINITY);
        }
        for kernel in Kernel::ALL {
            assert!(kernel.cross_entropy(&x, 0).unwrap().is_nan());
        }
    }
    // An empty row: log-sum-exp of nothing is log 0.
    for (p, lp, lse) in all::<f64>(&[]) {
        assert!(p.is_empty() && lp.is_empty());
        assert_eq!(lse, f64::NEG_INFINITY);
    }
}

#[test]
fn nan_poisons_the_row_only() {
    let x = [0.0, 1.0, 2.0, 3.0, f64::NAN, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, f64::INFINITY];
    for &cut in &[11, 12] {
        for (p, lp, lse) in all(&x[..cut]) {
            assert!(p.iter().chain(&lp).all(|v| v.is_nan()) && lse.is_nan());
        }
    }
    for kernel in Kernel::ALL {
        let mut out = [0.0; 4];
        kernel.softmax_rows(&[f64::NAN, 0.0, 0.0, 0.0], 2, &mut out).unwrap();
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[0.5, 0.5]);
    }
}

#[test]
fn long_rows_sum_to_one() {
    // Rows long enough that an f32 running sum would drift; the f64 accumulators do not.
    let x: Vec<f32> = (0..32_000).map(|i| ((i * 7919) % 1000) as f32 * 0.01).collect();
    for (p, _, _) in all(&x) {
        let total: f64 = p.iter().map(|&v| f64::from(v)).sum();
        assert!((total - 1.0).abs() < 1e-5, "sum {total}");
    }
    check_row(&x, 1e-6).unwrap();
}
