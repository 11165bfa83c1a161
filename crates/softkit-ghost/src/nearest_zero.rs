//! A numeric root finder for the complex zero of `F(tau) = sum_k e^(z_k + tau a_k)` nearest the
//! origin: the true ghost radius, against which the closed forms are tested.
//!
//! The method assumes nothing from the theory it checks. It counts the zeros inside a circle with
//! the argument principle, and grows the circle from `|tau| Delta_a = 1` until it holds a zero.
//! Newton's method, started where `F` came closest to zero on that circle, proposes a zero; it is
//! accepted once a circle just inside it is shown to hold none. Otherwise the radius is bisected
//! and Newton's method tried again from the smaller circle.
//!
//! - `F` is real and positive on the real axis, and `F(conj tau) = conj F(tau)`, so the zeros come
//!   in conjugate pairs and the change of `arg F` along the upper half circle alone, divided by
//!   `2 pi`, counts the zeros in the upper half disk.
//! - The argument is tracked adaptively: an arc is split until the argument changes by less than
//!   half a radian on each half, starting from a spacing on which no term's phase turns by more
//!   than that.
//! - Each term is scaled by the largest `e^Re(...)` at that point, so logit gaps of thousands
//!   neither overflow nor lose the small terms that place the far zeros.

use std::f64::consts::PI;

use crate::batch;
use crate::bound::MIN_DELTA_A;
use crate::error::GhostError;
use crate::real::Real;

/// A complex number, with just the arithmetic the root finder needs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cx {
    re: f64,
    im: f64,
}

impl Cx {
    fn polar(r: f64, t: f64) -> Self {
        let (s, c) = t.sin_cos();
        Cx { re: r * c, im: r * s }
    }
    fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
    fn sub(self, o: Cx) -> Cx {
        Cx { re: self.re - o.re, im: self.im - o.im }
    }
    fn div(self, o: Cx) -> Cx {
        let d = o.re * o.re + o.im * o.im;
        Cx { re: (self.re * o.re + self.im * o.im) / d, im: (self.im * o.re - self.re * o.im) / d }
    }
    /// `arg(self / o)` in `(-pi, pi]`.
    fn arg_over(self, o: Cx) -> f64 {
        (self.im * o.re - self.re * o.im).atan2(self.re * o.re + self.im * o.im)
    }
}

/// `F` in the variable `s = tau * Delta_a`: `F(s) = sum_k e^(lc_k + s b_k)`, with the slopes
/// `b_k` spanning exactly `[-1/2, 1/2]` and the log-weights `lc_k <= 0`.
struct Partition {
    lc: Vec<f64>,
    b: Vec<f64>,
}

/// `F`, `F'` and `sum_k |term_k|` at one point, all scaled by the same positive factor.
struct Eval {
    f: Cx,
    df: Cx,
    mag: f64,
}

/// `|F|` below this fraction of `sum |term|` is zero to working precision.
const HIT: f64 = 1e-13;
/// Arcs are split until `arg F` turns by at most this much on each half.
const MAX_TURN: f64 = 0.5;
const MAX_DEPTH: u32 = 48;
/// The bisection stops at this relative width, if Newton's method has not confirmed a zero first.
const BISECT_REL: f64 = 1e-7;
/// A zero at modulus `r` is the nearest if the circle of radius `r (1 - CERTIFY_REL)` holds none.
const CERTIFY_REL: f64 = 1e-9;
/// Radii (in units of `1 / Delta_a`) beyond which the search gives up.
const MAX_S: f64 = 1e8;

impl Partition {
    /// `None` when the slopes span less than [`MIN_DELTA_A`]: then `F` has no zero at all.
    fn new(z: &[f64], a: &[f64]) -> Option<(Self, f64)> {
        let (amin, amax) = a.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        let delta = amax - amin;
        if delta < MIN_DELTA_A {
            return None;
        }
        let mid = 0.5 * (amin + amax);
        let zmax = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut terms: Vec<(f64, f64)> = a.iter().zip(z).map(|(&ak, &zk)| ((ak - mid) / delta, zk - zmax)).collect();
        terms.sort_by(|x, y| x.0.total_cmp(&y.0));
        // Classes with equal slopes are one term: their weights add.
        let mut merged: Vec<(f64, f64)> = Vec::with_capacity(terms.len());
        for (b, lc) in terms {
            match merged.last_mut() {
                Some(last) if last.0 == b => {
                    let hi = last.1.max(lc);
                    last.1 = hi + ((last.1 - hi).exp() + (lc - hi).exp()).ln();
                }
                _ => merged.push((b, lc)),
            }
        }
        let (b, lc) = merged.into_iter().unzip();
        Some((Partition { lc, b }, delta))
    }

    fn eval(&self, s: Cx) -> Eval {
        let top = self.lc.iter().zip(&self.b).map(|(&l, &b)| l + s.re * b).fold(f64::NEG_INFINITY, f64::max);
        let mut e = Eval { f: Cx { re: 0.0, im: 0.0 }, df: Cx { re: 0.0, im: 0.0 }, mag: 0.0 };
        for (&l, &b) in self.lc.iter().zip(&self.b) {
            let w = (l + s.re * b - top).exp();
            let (sin, cos) = (s.im * b).sin_cos();
            let (re, im) = (w * cos, w * sin);
            e.f.re += re;
            e.f.im += im;
            e.df.re += b * re;
            e.df.im += b * im;
            e.mag += w;
        }
        e
    }
}

/// What a circle of radius `r` holds.
enum Count {
    /// This many zeros in the upper half disk (one per conjugate pair).
    Zeros(i64),
    /// The circle passes through a zero, at this point.
    Hit(Cx),
}

struct Circle<'a> {
    part: &'a Partition,
    r: f64,
    /// The sample with the smallest `|F| / sum |term|`: where a zero near the circle is.
    closest: (f64, Cx),
}

impl Circle<'_> {
    fn sample(&mut self, t: f64) -> Result<(Cx, Cx), Cx> {
        let s = Cx::polar(self.r, t);
        let e = self.part.eval(s);
        let rel = e.f.abs() / e.mag;
        if rel < self.closest.0 {
            self.closest = (rel, s);
        }
        if rel <= HIT { Err(s) } else { Ok((s, e.f)) }
    }

    /// The change of `arg F` from angle `t0` to `t1`.
    fn arc(&mut self, (t0, f0): (f64, Cx), (t1, f1): (f64, Cx), depth: u32) -> Result<f64, Cx> {
        let tm = 0.5 * (t0 + t1);
        let (_, fm) = self.sample(tm)?;
        let (d1, d2) = (fm.arg_over(f0), f1.arg_over(fm));
        if depth >= MAX_DEPTH || (d1.abs() <= MAX_TURN && d2.abs() <= MAX_TURN) {
            return Ok(d1 + d2);
        }
        Ok(self.arc((t0, f0), (tm, fm), depth + 1)? + self.arc((tm, fm), (t1, f1), depth + 1)?)
    }

    fn count(part: &Partition, r: f64) -> (Count, Cx) {
        let mut c = Circle { part, r, closest: (f64::INFINITY, Cx { re: r, im: 0.0 }) };
        // No term's phase `r b_k sin t` turns by more than MAX_TURN between two starting samples.
        let n = (PI * r / MAX_TURN).ceil() as usize + 8;
        let result = (|| {
            let mut prev = (0.0, c.sample(0.0)?.1);
            let mut total = 0.0;
            for j in 1..=n {
                let t = PI * j as f64 / n as f64;
                let next = (t, c.sample(t)?.1);
                total += c.arc(prev, next, 0)?;
                prev = next;
            }
            Ok((total / (2.0 * PI)).round() as i64)
        })();
        let count = match result {
            Ok(zeros) => Count::Zeros(zeros),
            Err(s) => Count::Hit(s),
        };
        (count, c.closest.1)
    }
}

fn newton(part: &Partition, mut s: Cx) -> Option<Cx> {
    for _ in 0..64 {
        let e = part.eval(s);
        let step = e.f.div(e.df);
        if !(step.re.is_finite() && step.im.is_finite()) {
            return None;
        }
        s = s.sub(step);
        if step.abs() <= 1e-14 * s.abs() {
            return Some(s);
        }
    }
    None
}

/// The nearest zero in the variable `s`: its location when Newton's method confirmed it, and its
/// modulus (NaN if no zero lies within `MAX_S`).
///
/// Invariant: no zero lies in the open disk of radius `lo`, at least one in the closed disk of
/// radius `hi`, and `near` is the point of the circle `hi` where `F` came closest to zero.
fn locate(part: &Partition) -> (f64, Option<Cx>) {
    let (mut lo, mut hi) = (0.0, 1.0);
    let mut near;
    loop {
        match Circle::count(part, hi) {
            (Count::Zeros(0), _) => {
                lo = hi;
                hi *= 2.0;
                if hi > MAX_S {
                    return (f64::NAN, None);
                }
            }
            (_, closest) => {
                near = closest;
                break;
            }
        }
    }
    let mut fresh = true;
    loop {
        // Shortcut: a zero found by Newton's method inside the bracket is the nearest once the
        // circle just inside it holds none.
        if fresh && let Some(s) = newton(part, near) {
            let r = s.abs();
            if s.im != 0.0 && r <= hi * (1.0 + 1e-12) && r >= lo * (1.0 - 1e-12) {
                let inner = r * (1.0 - CERTIFY_REL);
                if inner <= lo {
                    return (r, Some(s));
                }
                match Circle::count(part, inner) {
                    (Count::Zeros(0), _) => return (r, Some(s)),
                    (Count::Zeros(_), closest) => (hi, near) = (inner, closest),
                    (Count::Hit(p), _) => (hi, near) = (inner, p),
                }
            }
        }
        if hi - lo <= BISECT_REL * hi {
            return (0.5 * (lo + hi), None);
        }
        let mid = 0.5 * (lo + hi);
        fresh = true;
        match Circle::count(part, mid) {
            (Count::Zeros(0), _) => (lo, fresh) = (mid, false),
            (Count::Zeros(n), closest) => {
                debug_assert!(n > 0, "negative zero count {n} at radius {mid}");
                (hi, near) = (mid, closest);
            }
            (Count::Hit(p), _) => (hi, near) = (mid, p),
        }
    }
}

/// For each row of logits `z` and JVP `a` (both row-major `[B, K]`), the modulus of the complex
/// zero of `F(tau) = sum_k e^(z_k + tau a_k)` nearest the origin: the exact ghost radius.
///
/// Rows whose slopes span less than [`MIN_DELTA_A`] (and rows with one class) have no zero:
/// `+inf`. The result is the modulus of a zero found by Newton's method (accurate to about
/// `1e-13` relative) with no zero more than `1e-9` relative nearer, or, where Newton's method
/// fails, the midpoint of a bracket `1e-7` wide. NaN would mean no zero within `|tau| Delta_a <= 1e8`,
/// which takes logit gaps of that order.
///
/// # Runtime and Performance
///
/// Meant for tests and diagnostics, not for every training step. Each zero count evaluates `F`
/// (`K` complex exponentials) at a few times `2 pi |tau| Delta_a` points, and a row takes a
/// handful of counts, so the cost grows with `K` and with the logit margins.
///
/// # Errors
///
/// As [`rho_top2`](crate::rho_top2) without the labels.
///
/// # Examples
///
/// ```
/// use softkit_ghost::{nearest_zero, rho_a, rho_binary};
/// use std::f64::consts::PI;
///
/// // Two classes: the closed form is exact.
/// let (z, a) = ([1.5_f64, -0.5], [0.25, -0.75]);
/// let numeric = nearest_zero(&z, &a, 2)?[0];
/// assert!((numeric - rho_binary(&z, &a)?[0]).abs() < 1e-9);
///
/// // Three equal logits with slopes -1, 0, 1: F = 1 + 2 cosh(tau), zero at 2 pi i / 3,
/// // beyond the bound pi / 2.
/// let r = nearest_zero(&[0.0_f64; 3], &[-1.0, 0.0, 1.0], 3)?[0];
/// assert!((r - 2.0 * PI / 3.0).abs() < 1e-9);
/// assert!(rho_a(&[-1.0_f64, 0.0, 1.0], 3)? <= r);
/// # Ok::<(), softkit_ghost::GhostError>(())
/// ```
pub fn nearest_zero<T: Real>(z: &[T], a: &[T], k: usize) -> Result<Vec<f64>, GhostError> {
    batch::logits_and_jvp(z, a, k)?;
    let mut zr = Vec::with_capacity(k);
    let mut ar = Vec::with_capacity(k);
    Ok(z.chunks_exact(k)
        .zip(a.chunks_exact(k))
        .map(|(z, a)| {
            zr.clear();
            ar.clear();
            zr.extend(z.iter().map(|v| v.to_f64()));
            // Slopes near f64::MAX would overflow their spread: a zero of the row with slopes
            // scaled by `c` lies at `1 / c` times the distance, so scale down and back (exactly).
            let c = if a.iter().any(|v| v.to_f64().abs() > f64::MAX / 4.0) { 0.25 } else { 1.0 };
            ar.extend(a.iter().map(|v| v.to_f64() * c));
            match Partition::new(&zr, &ar) {
                None => f64::INFINITY,
                Some((part, delta)) => locate(&part).0 / delta * c,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(z: &[f64], a: &[f64]) -> (Partition, f64) {
        Partition::new(z, a).expect("slopes differ")
    }

    /// Sum of `w^j` for `j < K` vanishes at the other K-th roots of unity.
    /// Found by the fuzzer: slopes `-2e304` and `f64::MAX` have a spread that overflows, and the
    /// radius came out NaN. The closed form of two classes is `|z_1 - z_0 + i pi| / |a_0 - a_1|`.
    #[test]
    fn slopes_whose_spread_overflows_give_the_radius() {
        let (z, a) = ([0.0, 16.0], [-2.0238118818231282e304, f64::MAX]);
        let r = nearest_zero(&z, &a, 2).unwrap()[0];
        let want = (16.0_f64.hypot(PI) / (0.25 * a[1] - 0.25 * a[0])) * 0.25;
        assert!(r > 0.0 && (r - want).abs() <= 1e-9 * want, "{r} vs {want}");
    }

    #[test]
    fn geometric_rows_hit_the_roots_of_unity() {
        for k in 2..=9 {
            let z = vec![0.0; k];
            let a: Vec<f64> = (0..k).map(|j| j as f64).collect();
            let r = nearest_zero(&z, &a, k).unwrap()[0];
            let want = 2.0 * PI / k as f64;
            assert!((r - want).abs() < 1e-10 * want, "k = {k}: {r} vs {want}");
        }
    }

    #[test]
    fn located_zero_is_a_zero_and_nothing_lies_inside() {
        let cases: [(&[f64], &[f64]); 4] = [
            (&[0.3, -1.2, 2.0, 0.0], &[1.0, -0.4, 0.2, 0.7]),
            (&[5.0, 0.0], &[0.0, 1.0]),
            (&[0.0, 0.0, 0.0], &[0.0, 0.0, 1.0]),
            (&[-3.0, 4.0, 1.0, 1.0, 0.5], &[0.9, -2.0, 0.1, 0.1, 3.0]),
        ];
        for (z, a) in cases {
            let (p, _) = part(z, a);
            let (r, s) = locate(&p);
            let s = s.expect("Newton confirms the zero");
            let e = p.eval(s);
            assert!(e.f.abs() <= 1e-12 * e.mag, "residual {} at {s:?}", e.f.abs() / e.mag);
            assert!(matches!(Circle::count(&p, r * (1.0 - 1e-6)).0, Count::Zeros(0)));
            assert!(matches!(Circle::count(&p, r * (1.0 + 1e-6)).0, Count::Zeros(n) if n >= 1));
        }
    }

    /// An independent search: Newton's method from a grid of starts over the region where zeros
    /// of small instances lie. It may miss zeros, but must never find one nearer than `locate`.
    #[test]
    fn no_grid_start_finds_a_nearer_zero() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut uniform = |lo: f64, hi: f64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            lo + (hi - lo) * (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut agree = 0;
        let trials = 40;
        for _ in 0..trials {
            let k = 3 + (uniform(0.0, 3.0) as usize);
            let z: Vec<f64> = (0..k).map(|_| uniform(-3.0, 3.0)).collect();
            let a: Vec<f64> = (0..k).map(|_| uniform(-2.0, 2.0)).collect();
            let (p, _) = part(&z, &a);
            let (r, _) = locate(&p);
            let mut grid_min = f64::INFINITY;
            for i in 0..=40 {
                for j in 0..=40 {
                    let start = Cx { re: -2.0 * r + 4.0 * r * i as f64 / 40.0, im: 2.0 * r * j as f64 / 40.0 };
                    if let Some(s) = newton(&p, start) {
                        let e = p.eval(s);
                        if e.f.abs() <= 1e-10 * e.mag {
                            grid_min = grid_min.min(s.abs());
                        }
                    }
                }
            }
            assert!(grid_min >= r * (1.0 - 1e-9), "grid found a zero at {grid_min}, locate said {r}");
            if (grid_min - r).abs() <= 1e-9 * r {
                agree += 1;
            }
        }
        assert!(agree >= trials * 9 / 10, "the grid found the located zero in only {agree} of {trials}");
    }

    #[test]
    fn repeated_slopes_merge() {
        // Two classes with the same slope behave as one with their summed weight.
        let merged = nearest_zero(&[0.0_f64, 0.0, 0.0], &[1.0, 1.0, -1.0], 3).unwrap()[0];
        let pair = nearest_zero(&[2f64.ln(), 0.0], &[1.0, -1.0], 2).unwrap()[0];
        assert!((merged - pair).abs() < 1e-12 * pair);
    }

    #[test]
    fn far_zero_of_a_large_margin() {
        // delta = 300: the weaker term is e^-300 of the stronger at tau = 0.
        let r = nearest_zero(&[300.0_f64, 0.0], &[0.0, 2.0], 2).unwrap()[0];
        let want = (300.0_f64).hypot(PI) / 2.0;
        assert!((r - want).abs() < 1e-10 * want);
    }

    #[test]
    fn no_zero_without_spread() {
        assert_eq!(nearest_zero(&[0.0_f64, 1.0], &[3.0, 3.0], 2).unwrap(), vec![f64::INFINITY]);
        assert_eq!(nearest_zero(&[0.0_f64], &[3.0], 1).unwrap(), vec![f64::INFINITY]);
    }
}
