//! Property tests of the ghost radius: the closed forms against the numeric nearest zero, the
//! invariances of the radius, and the controller's guarantee.

use proptest::prelude::*;
use softkit_ghost::{
    Controller, delta_a, nearest_zero, rho_a, rho_a_temperature, rho_binary, rho_top2, scale, scale_to_ratio,
};
use std::f64::consts::PI;

fn rel(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / a.abs().max(b.abs()) }
}

/// A `[B, K]` batch of logits `z` and JVP `a` with `B` in `1..=max_b` and `K` in `2..=max_k`.
fn batch(max_b: usize, max_k: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>, usize)> {
    (1..=max_b, 2..=max_k).prop_flat_map(|(b, k)| {
        (proptest::collection::vec(-6.0..6.0_f64, b * k), proptest::collection::vec(-4.0..4.0_f64, b * k), Just(k))
    })
}

fn negate(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| -x).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Two classes: the exact closed form is the numeric nearest zero, to 1e-6 and in fact far closer.
    #[test]
    fn binary_radius_is_the_nearest_zero(
        z in proptest::collection::vec(-10.0..10.0_f64, 2),
        a in proptest::collection::vec(-5.0..5.0_f64, 2),
    ) {
        prop_assume!((a[0] - a[1]).abs() > 1e-3);
        let exact = rho_binary(&z, &a).unwrap()[0];
        let numeric = nearest_zero(&z, &a, 2).unwrap()[0];
        prop_assert!(rel(exact, numeric) < 1e-6, "exact {exact}, numeric {numeric}");
        // And the top-2 diagnostic is the binary radius when there are two classes.
        prop_assert_eq!(rho_top2(&z, &a, &[0], 2).unwrap()[0], exact);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The multiclass bound pi / Delta_a never exceeds the true radius, per row and for the batch.
    #[test]
    fn bound_never_exceeds_the_nearest_zero((z, a, k) in batch(3, 8)) {
        let zeros = nearest_zero(&z, &a, k).unwrap();
        let deltas = delta_a(&a, k).unwrap();
        for (&r, &d) in zeros.iter().zip(&deltas) {
            prop_assert!(r.is_finite());
            prop_assert!(PI / d <= r * (1.0 + 1e-9), "row bound {} above zero {r}", PI / d);
        }
        let bound = rho_a(&a, k).unwrap();
        let nearest = zeros.iter().copied().fold(f64::INFINITY, f64::min);
        prop_assert!(bound <= nearest * (1.0 + 1e-9), "batch bound {bound} above {nearest}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Flipping the step (a -> -a), shifting every logit of a row, or adding a constant to every
    /// rate leaves each radius unchanged.
    #[test]
    fn radius_is_invariant((z, a, k) in batch(3, 6), shift in -50.0..50.0_f64, drift in -3.0..3.0_f64) {
        let rows = z.len() / k;
        let labels: Vec<usize> = (0..rows).map(|i| i % k).collect();
        let flipped = negate(&a);
        let shifted: Vec<f64> = z.iter().map(|v| v + shift).collect();
        let drifted: Vec<f64> = a.iter().map(|v| v + drift).collect();

        prop_assert_eq!(delta_a(&flipped, k).unwrap(), delta_a(&a, k).unwrap());
        prop_assert_eq!(rho_a(&flipped, k).unwrap(), rho_a(&a, k).unwrap());
        prop_assert_eq!(rho_top2(&z, &flipped, &labels, k).unwrap(), rho_top2(&z, &a, &labels, k).unwrap());
        prop_assert!(rel(rho_a(&drifted, k).unwrap(), rho_a(&a, k).unwrap()) < 1e-12);

        let base = nearest_zero(&z, &a, k).unwrap();
        let cases = [
            ("a -> -a", nearest_zero(&z, &flipped, k).unwrap()),
            ("z + c", nearest_zero(&shifted, &a, k).unwrap()),
            ("a + c", nearest_zero(&z, &drifted, k).unwrap()),
        ];
        for (name, got) in cases {
            for (g, b) in got.iter().zip(&base) {
                prop_assert!(rel(*g, *b) < 1e-6, "{name}: {g} vs {b}");
            }
        }
        let top2_shifted = rho_top2(&shifted, &a, &labels, k).unwrap();
        for (g, b) in top2_shifted.iter().zip(rho_top2(&z, &a, &labels, k).unwrap()) {
            prop_assert!(rel(*g, b) < 1e-12);
        }
    }

    #[test]
    fn binary_radius_is_invariant(z in proptest::collection::vec(-10.0..10.0_f64, 2), a in proptest::collection::vec(-5.0..5.0_f64, 2), shift in -50.0..50.0_f64) {
        let base = rho_binary(&z, &a).unwrap()[0];
        prop_assert_eq!(rho_binary(&z, &negate(&a)).unwrap()[0], base);
        let shifted: Vec<f64> = z.iter().map(|v| v + shift).collect();
        prop_assert!(rel(rho_binary(&shifted, &a).unwrap()[0], base) < 1e-12);
    }

    #[test]
    fn temperature_scales_the_bound((_z, a, k) in batch(4, 6), t in 0.05..20.0_f64) {
        let cold = rho_a(&a, k).unwrap();
        prop_assert!(rel(rho_a_temperature(&a, k, t).unwrap(), t * cold) < 1e-15);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// After the controller, the applied step never exceeds the radius: r <= 1 exactly, in
    /// floating point, and steps already inside are left alone.
    #[test]
    fn controller_never_lets_r_exceed_one(log_step in -12.0..12.0_f64, log_rho in -12.0..12.0_f64, zero in 0..20_u8) {
        let step = if zero == 0 { 0.0 } else { 10f64.powf(log_step) };
        let rho = 10f64.powf(log_rho);
        let rec = Controller::new().control(step, rho).unwrap();
        prop_assert!(rec.r_applied <= 1.0, "r_applied = {}", rec.r_applied);
        prop_assert!(rec.scale * step <= rho);
        prop_assert!(rec.scale > 0.0 && rec.scale <= 1.0);
        prop_assert_eq!(rec.scale, scale(step, rho));
        if step <= rho {
            prop_assert_eq!(rec.scale, 1.0);
        } else {
            prop_assert!(rel(rec.r_applied, 1.0) < 1e-15);
        }
        prop_assert_eq!(rec.r, step / rho);
    }

    /// The target mode lands on the requested r.
    #[test]
    fn target_mode_hits_the_target(log_step in -12.0..12.0_f64, log_rho in -12.0..12.0_f64, target in 0.01..4.0_f64) {
        let (step, rho) = (10f64.powf(log_step), 10f64.powf(log_rho));
        let rec = Controller::target_ratio(target).unwrap().control(step, rho).unwrap();
        prop_assert_eq!(rec.scale, scale_to_ratio(step, rho, target));
        prop_assert!(rel(rec.r_applied, target) < 1e-14);
    }
}

/// The controller's radius from a JVP batch is the batch bound, and its record is consistent.
#[test]
fn controller_from_jvp_uses_the_bottleneck_sample() {
    let a = [0.0_f32, 1.0, 0.0, -2.0, 0.5, 0.0];
    let rec = Controller::new().with_temperature(2.0).unwrap().control_jvp(10.0, &a, 2).unwrap();
    assert_eq!(rec.rho_a, 2.0 * PI / 2.0);
    assert_eq!(rec.r, 10.0 / PI);
    assert!(rec.r_applied <= 1.0);
}
