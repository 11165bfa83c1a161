//! Bad input gets an error whose message names the field and the value.

use softkit_ghost::{
    Controller, GhostError, Kernel, delta_a, nearest_zero, rho_a, rho_a_temperature, rho_binary, rho_top2, scale,
};

fn message<T>(r: Result<T, GhostError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn mismatched_logit_and_jvp_shapes() {
    let z = [0.0_f64; 6];
    let a = [0.0_f64; 4];
    let want = "a has length 4, expected 6 to match z";
    assert_eq!(message(rho_binary(&z, &a)), want);
    assert_eq!(message(rho_top2(&z, &a, &[0, 0], 3)), want);
    assert_eq!(message(nearest_zero(&z, &a, 3)), want);
}

#[test]
fn ragged_rows() {
    assert_eq!(message(delta_a(&[0.0_f32; 7], 3)), "a has length 7, which is not a multiple of k = 3");
    assert_eq!(message(rho_binary(&[0.0_f64; 3], &[0.0; 3])), "z has length 3, which is not a multiple of k = 2");
    assert_eq!(
        message(Kernel::Online.softmax_rows(&[0.0_f64; 5], 2, &mut [0.0; 5])),
        "x has length 5, which is not a multiple of k = 2"
    );
}

#[test]
fn nan_and_infinite_logits() {
    let z = [0.0, 1.0, 2.0, f64::NAN, 4.0, 5.0];
    let a = [0.0_f64; 6];
    assert_eq!(message(nearest_zero(&z, &a, 3)), "z[1, 0] = NaN is not finite");
    assert_eq!(message(rho_top2(&z, &a, &[0, 1], 3)), "z[1, 0] = NaN is not finite");
    assert_eq!(message(rho_binary(&[0.0, f64::INFINITY], &[0.0, 1.0])), "z[0, 1] = inf is not finite");
    assert_eq!(message(rho_a(&[0.0_f32, 1.0, f32::NEG_INFINITY, 0.0], 2)), "a[1, 0] = -inf is not finite");
    // The kernels take NaN and infinities as values (see `Kernel`), so only the radii refuse them.
    assert!(Kernel::Online.log_sum_exp(&z).is_nan());
}

#[test]
fn empty_batch() {
    let none: [f64; 0] = [];
    assert_eq!(message(rho_a(&none, 4)), "a is empty: the batch needs at least one row");
    assert_eq!(message(delta_a(&none, 4)), "a is empty: the batch needs at least one row");
    assert_eq!(message(rho_binary(&none, &none)), "z is empty: the batch needs at least one row");
    assert_eq!(message(nearest_zero(&none, &none, 3)), "z is empty: the batch needs at least one row");
    assert_eq!(message(rho_top2(&none, &none, &[], 3)), "z is empty: the batch needs at least one row");
    // An empty batch of softmax rows is simply nothing to do.
    assert_eq!(Kernel::TwoPass.log_sum_exp_rows(&none, 4).unwrap(), Vec::<f64>::new());
}

#[test]
fn zero_classes() {
    let want = "k = 0: each row needs at least one class";
    assert_eq!(message(rho_a(&[1.0_f64], 0)), want);
    assert_eq!(message(nearest_zero(&[1.0_f64], &[1.0], 0)), want);
    assert_eq!(message(Kernel::ThreePass.cross_entropy_rows(&[1.0_f64], 0, &[0])), want);
}

#[test]
fn labels() {
    let z = [0.0_f64; 6];
    assert_eq!(message(rho_top2(&z, &z, &[0, 3], 3)), "labels[1] = 3 is out of range for k = 3 classes");
    assert_eq!(message(rho_top2(&z, &z, &[0], 3)), "labels has length 1, expected 2 to match the rows of z");
    assert_eq!(
        message(Kernel::Online.cross_entropy_rows(&z, 2, &[0, 1, 2])),
        "labels[2] = 2 is out of range for k = 2 classes"
    );
    assert_eq!(
        message(Kernel::Online.cross_entropy(&[0.0_f32, 1.0], 2)),
        "labels[0] = 2 is out of range for k = 2 classes"
    );
}

#[test]
fn output_buffers() {
    assert_eq!(
        message(Kernel::TwoPass.softmax(&[0.0_f64; 3], &mut [0.0; 2])),
        "out has length 2, expected 3 to match x"
    );
    assert_eq!(
        message(Kernel::ThreePass.log_softmax_rows(&[0.0_f64; 4], 2, &mut [0.0; 6])),
        "out has length 6, expected 4 to match x"
    );
}

#[test]
fn parameters() {
    assert_eq!(message(rho_a_temperature(&[0.0_f64, 1.0], 2, 0.0)), "t = 0 is invalid: a positive, finite temperature");
    assert_eq!(
        message(Controller::target_ratio(f64::NAN)),
        "r_target = NaN is invalid: a positive, finite normalised step"
    );
    assert_eq!(message(Controller::new().control(-1.0, 1.0)), "step_norm = -1 is invalid: a finite, non-negative norm");
    assert_eq!(message(Controller::new().control(1.0, -0.5)), "rho_a = -0.5 is invalid: a positive radius");
    assert_eq!(
        message("softmax".parse::<Kernel>()),
        r#"kernel = "softmax" is not one of "three-pass", "online", "two-pass""#
    );
}

/// Found by `cargo fuzz` (target `ghost`, fuzz/regressions/ghost/scale-negative-step): with a
/// negative step `scale` searched downwards from `rho / step_norm` for a factor that cannot exist,
/// through every positive float.
#[test]
fn scale_outside_its_domain_is_nan_at_once() {
    assert!(scale(-53.87630339790373, -234.390625).is_nan());
    assert!(scale(-1.0, 2.0).is_nan());
    assert!(scale(1.0, -2.0).is_nan());
    assert!(scale(-0.0, 0.0) == 1.0);
}
