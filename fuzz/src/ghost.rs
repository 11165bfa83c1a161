//! The `ghost` target: the ghost radius functions, the step controller and the softmax kernels
//! under them, on rows of any floats.

use softkit_ghost::{
    ControlMode, Controller, Kernel, Real, delta_a, nearest_zero, rho_a, rho_a_temperature, rho_binary, rho_top2,
    scale, scale_to_ratio,
};

use crate::input::Input;

/// `nearest_zero` runs only on rows whose logits span at most this much: its cost grows with the
/// logit margins (a documented cost, not a bug), and rows beyond `1e8` are its documented NaN.
const NEAREST_ZERO_SPAN: f64 = 1e4;

/// Calls every radius function, the controller and the kernels on a batch of at most 5 rows of
/// at most 8 classes, in `f32` or `f64` (the shape, ragged rows, labels and parameters come from
/// the bytes too), and checks: Ok or an error, never a panic; radii and `Delta_a` non-negative or
/// `+inf`; the bound `rho_a` at most every row's true radius and `rho_binary` equal to it on two
/// classes (for moderate rows); `scale` in `[0, 1]` with `scale * step <= rho`; the controller's
/// applied ratio at most 1 in cap mode; the three kernels agreeing, softmax summing to 1.
///
/// # Examples
///
/// ```
/// // Two classes, one row: z = [0, 1], a = [1, 0], in f64.
/// softkit_fuzz::ghost(&[2, 1, 1, 0, 5, 0, 5, 8, 5, 8, 5, 0]);
/// softkit_fuzz::ghost(b"");
/// ```
pub fn ghost(data: &[u8]) {
    let mut input = Input::new(data);
    let k = input.below(9);
    let rows = input.below(6);
    let ragged = usize::from(input.below(8) == 0);
    let wide = input.bool();
    let len = rows * k + ragged;
    let z: Vec<f64> = (0..len).map(|_| input.float()).collect();
    let a: Vec<f64> = (0..len).map(|_| input.float()).collect();
    let labels: Vec<usize> = (0..rows).map(|_| input.below(k + 1)).collect();
    let knobs = Knobs { t: input.float(), step: input.float(), rho: input.float(), target: input.float() };
    if wide {
        radii::<f64>(&z, &a, &labels, k, &knobs);
        kernels::<f64>(&z, k, &labels);
    } else {
        let narrow = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        radii::<f32>(&narrow(&z), &narrow(&a), &labels, k, &knobs);
        kernels::<f32>(&narrow(&z), k, &labels);
    }
    controller(&knobs);
}

/// The scalar parameters: temperature, step norm, radius and target ratio.
struct Knobs {
    t: f64,
    step: f64,
    rho: f64,
    target: f64,
}

fn radius_ok(r: f64, what: &str) {
    assert!(r >= 0.0, "{what} = {r} is negative or NaN");
}

fn radii<T: Real>(z: &[T], a: &[T], labels: &[usize], k: usize, knobs: &Knobs) {
    let wide = |v: &[T]| v.iter().map(|x| x.to_f64()).collect::<Vec<f64>>();
    let (zw, aw) = (wide(z), wide(a));
    if let Ok(spreads) = delta_a(a, k) {
        spreads.iter().for_each(|&d| radius_ok(d, "delta_a"));
    }
    let bound = rho_a(a, k);
    if let Ok(r) = bound {
        radius_ok(r, "rho_a");
    }
    if let Ok(r) = rho_a_temperature(a, k, knobs.t) {
        radius_ok(r, "rho_a_temperature");
    }
    if let Ok(r) = rho_top2(z, a, labels, k) {
        r.iter().for_each(|&r| radius_ok(r, "rho_top2"));
    }
    let binary = if k == 2 { rho_binary(z, a).ok() } else { None };
    if let Some(r) = &binary {
        r.iter().for_each(|&r| radius_ok(r, "rho_binary"));
    }
    let moderate = |row: &[f64]| row.iter().all(|v| v.abs() <= 1e3);
    // The true radius, on rows cheap enough to find it.
    let spans_ok = k > 0
        && zw.chunks(k).all(|row| {
            let (lo, hi) = row.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
            // A NaN span passes: the NaN must come back as NaN, not as a panic.
            let span = hi - lo;
            span <= NEAREST_ZERO_SPAN || span.is_nan()
        });
    if !spans_ok {
        return;
    }
    let Ok(truth) = nearest_zero(z, a, k) else { return };
    for (row, &r) in truth.iter().enumerate() {
        radius_ok(r, "nearest_zero");
        let (zr, ar) = (&zw[row * k..(row + 1) * k], &aw[row * k..(row + 1) * k]);
        if !(moderate(zr) && moderate(ar)) {
            continue;
        }
        if let Ok(bound) = bound {
            assert!(bound <= r * (1.0 + 1e-6), "rho_a = {bound} exceeds the true radius {r} of row {row}");
        }
        if let Some(exact) = &binary {
            let e = exact[row];
            assert!(
                e == r || (e - r).abs() <= 1e-6 * e.max(r),
                "rho_binary = {e} but nearest_zero = {r} on row {row}: z {zr:?}, a {ar:?}"
            );
        }
    }
}

/// The three kernels on the same rows: the same NaNs and infinities, the same values to a few
/// units in the last place of `T`, and softmax summing to 1 on every row that has a normaliser.
fn kernels<T: Real>(x: &[T], k: usize, labels: &[usize]) {
    let eps = if T::BYTES == 4 { f64::from(f32::EPSILON) } else { f64::EPSILON };
    let close = |p: f64, q: f64, what: &str| {
        let same =
            p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()) || (p - q).abs() <= 64.0 * eps * p.abs().max(1.0);
        assert!(same, "{what}: kernels disagree, {p} vs {q}");
    };
    let mut outputs = Vec::new();
    for kernel in Kernel::ALL {
        let lse = kernel.log_sum_exp_rows(x, k);
        let mut p = vec![T::NAN; x.len()];
        let soft = kernel.softmax_rows(x, k, &mut p);
        let mut lp = vec![T::NAN; x.len()];
        let log_soft = kernel.log_softmax_rows(x, k, &mut lp);
        let ce = kernel.cross_entropy_rows(x, k, labels);
        assert_eq!(lse.is_ok(), soft.is_ok(), "{kernel:?}: log_sum_exp_rows and softmax_rows disagree on the shape");
        assert_eq!(soft.is_ok(), log_soft.is_ok());
        if let (Ok(lse), Ok(())) = (&lse, &soft) {
            for (row, (values, &l)) in x.chunks_exact(k).zip(lse).enumerate() {
                let probs = &p[row * k..(row + 1) * k];
                let has_nan = values.iter().any(|v| v.is_nan());
                let no_mass = values.iter().all(|v| v.to_f64() == f64::NEG_INFINITY);
                if has_nan {
                    assert!(l.is_nan() && probs.iter().all(|q| q.is_nan()), "{kernel:?}: NaN in row {row} is lost");
                } else if !no_mass {
                    let sum: f64 = probs.iter().map(|q| q.to_f64()).sum();
                    assert!(probs.iter().all(|q| (0.0..=1.0).contains(&q.to_f64())), "{kernel:?}: softmax {probs:?}");
                    assert!((sum - 1.0).abs() <= 1e-5, "{kernel:?}: softmax of row {row} sums to {sum}");
                    assert!(!l.is_nan(), "{kernel:?}: log-sum-exp of row {row} is NaN");
                }
            }
        }
        outputs.push((lse, p, lp, ce));
    }
    let (first, rest) = outputs.split_first().expect("three kernels");
    for other in rest {
        if let (Ok(a), Ok(b)) = (&first.0, &other.0) {
            a.iter().zip(b).for_each(|(&p, &q)| close(p, q, "log_sum_exp"));
        }
        first.1.iter().zip(&other.1).for_each(|(p, q)| close(p.to_f64(), q.to_f64(), "softmax"));
        first.2.iter().zip(&other.2).for_each(|(p, q)| close(p.to_f64(), q.to_f64(), "log_softmax"));
        assert_eq!(first.3.is_ok(), other.3.is_ok(), "cross_entropy_rows: one kernel fails");
        if let (Ok(a), Ok(b)) = (&first.3, &other.3) {
            a.iter().zip(b).for_each(|(&p, &q)| close(p, q, "cross_entropy"));
        }
    }
}

fn controller(knobs: &Knobs) {
    let Knobs { t, step, rho, target } = *knobs;
    let s = scale(step, rho);
    if !(step >= 0.0 && rho >= 0.0) {
        assert!(s.is_nan(), "scale({step}, {rho}) = {s} outside its domain, not NaN");
    } else {
        assert!((0.0..=1.0).contains(&s), "scale({step}, {rho}) = {s}");
        // A zero scale stops the step (`0 * inf` is NaN, yet no step is taken).
        assert!(
            s == 1.0 || s == 0.0 || s * step <= rho,
            "scale({step}, {rho}) = {s} leaves the step outside the radius"
        );
    }
    let ratio = scale_to_ratio(step, rho, target);
    if step > 0.0 && rho > 0.0 && target > 0.0 && [step, rho, target].iter().all(|v| v.is_finite()) {
        assert!(ratio >= 0.0, "scale_to_ratio({step}, {rho}, {target}) = {ratio}");
    }
    let controllers = [Some(Controller::new()), Some(Controller::observe()), Controller::target_ratio(target).ok()];
    for ctl in controllers.into_iter().flatten() {
        let ctl = ctl.with_temperature(t).unwrap_or(ctl);
        let Ok(record) = ctl.control(step, rho) else { continue };
        assert!(!record.scale.is_nan() && record.scale >= 0.0, "{ctl:?}: scale {}", record.scale);
        assert!(!record.r.is_nan() && !record.r_applied.is_nan(), "{ctl:?}: {record:?}");
        if ctl.mode() == ControlMode::Cap {
            assert!(record.r_applied <= 1.0, "cap mode applied r = {}", record.r_applied);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_precisions() {
        for k in 0..4u8 {
            for wide in 0..2u8 {
                let mut data = vec![k, 2, 1, wide];
                data.extend((0..64u8).map(|b| b.wrapping_mul(53).wrapping_add(k)));
                ghost(&data);
            }
        }
    }
}
