//! The burn integration: the central-difference JVP against an exact dual-number forward pass
//! (num-dual), and the controller's effect on a real optimiser.

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, FloatDType, Int, Tensor, TensorData, activation};
use num_dual::{Dual64, DualNum};
use softkit_ghost::train::{GhostOptimizer, central_jvp, clip_grad_norm, flatten_params, load_params};
use softkit_ghost::{Controller, GhostError, rho_a};
use softkit_sim::Rng;

const D_IN: usize = 8;
const HIDDEN: usize = 16;
const K: usize = 5;
const ROWS: usize = 12;

/// Linear -> LayerNorm -> GELU (tanh form) -> Linear, or with ReLU and no LayerNorm.
#[derive(Module, Debug)]
struct Net {
    hidden: Linear,
    norm: Option<LayerNorm>,
    output: Linear,
}

impl Net {
    fn new(device: &Device, with_norm: bool) -> Self {
        Net {
            hidden: LinearConfig::new(D_IN, HIDDEN).init(device),
            norm: with_norm.then(|| LayerNormConfig::new(HIDDEN).init(device)),
            output: LinearConfig::new(HIDDEN, K).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = self.hidden.forward(x);
        let h = match &self.norm {
            Some(norm) => activation::gelu_approximate(norm.forward(h)),
            None => activation::relu(h),
        };
        self.output.forward(h)
    }
}

/// Uniforms in [-1, 1) from the shared seeded stream.
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next_u64() as f64 / (1u64 << 63) as f64 - 1.0).collect()
}

fn unit(v: Vec<f64>) -> Vec<f64> {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// The same network on dual numbers: parameters theta + eps v give z + eps (J_z v).
fn dual_forward(theta: &[f64], v: &[f64], x: &[f64], with_norm: bool) -> Vec<f64> {
    let mut params = theta.iter().zip(v).map(|(&t, &d)| Dual64::new(t, d));
    let mut take = |n: usize| params.by_ref().take(n).collect::<Vec<_>>();
    // burn's Linear stores its weight as [d_input, d_output], then the bias.
    let (w1, b1) = (take(D_IN * HIDDEN), take(HIDDEN));
    let (gamma, beta) = if with_norm { (take(HIDDEN), take(HIDDEN)) } else { (vec![], vec![]) };
    let (w2, b2) = (take(HIDDEN * K), take(K));
    let mut jvp = Vec::new();
    for row in x.chunks(D_IN) {
        let mut h: Vec<Dual64> =
            (0..HIDDEN).map(|j| (0..D_IN).fold(b1[j], |acc, i| acc + w1[i * HIDDEN + j] * row[i])).collect();
        if with_norm {
            let mean = h.iter().fold(Dual64::from(0.0), |acc, &x| acc + x) / HIDDEN as f64;
            let var = h.iter().fold(Dual64::from(0.0), |acc, &x| acc + (x - mean) * (x - mean)) / HIDDEN as f64;
            let inv = (var + 1e-5).sqrt().recip();
            let c = (2.0 / std::f64::consts::PI).sqrt();
            h = h
                .iter()
                .enumerate()
                .map(|(j, &x)| {
                    let y = (x - mean) * inv * gamma[j] + beta[j];
                    y * 0.5 * (((y + y.powi(3) * 0.044715) * c).tanh() + 1.0)
                })
                .collect();
        } else {
            h = h.into_iter().map(|x| if x.re > 0.0 { x } else { Dual64::from(0.0) }).collect();
        }
        jvp.extend((0..K).map(|k| (0..HIDDEN).fold(b2[k], |acc, j| acc + w2[j * K + k] * h[j]).eps));
    }
    jvp
}

/// The central-difference JVP of a random network, against the exact one.
fn jvp_error(dtype: FloatDType, with_norm: bool, seed: u64) -> f64 {
    let device = Device::flex();
    let net = softkit_ghost::train::cast_params(Net::new(&device, with_norm), dtype);
    let n = flatten_params(&net).len();
    let net = load_params(net, &uniforms(seed, n).iter().map(|u| 0.5 * u).collect::<Vec<_>>()).unwrap();
    let theta = flatten_params(&net);
    let v = unit(uniforms(seed + 1, n));
    let x = uniforms(seed + 2, ROWS * D_IN);
    let input = Tensor::<2>::from_data(TensorData::new(x.clone(), [ROWS, D_IN]), (&device, dtype.into()));
    let h = softkit_ghost::train::default_jvp_step(dtype.into());
    let got = central_jvp(&net, &v, h, |m| m.forward(input.clone())).unwrap();
    let exact = dual_forward(&theta, &v, &x, with_norm);
    assert_eq!((got.k, got.a.len()), (K, exact.len()));
    let scale = exact.iter().fold(0.0_f64, |m, a| m.max(a.abs()));
    got.a.iter().zip(&exact).map(|(g, e)| (g - e).abs() / scale).fold(0.0, f64::max)
}

#[test]
fn central_differences_match_the_dual_number_jvp_in_f64() {
    for seed in [1, 10, 20] {
        for with_norm in [false, true] {
            let err = jvp_error(FloatDType::F64, with_norm, seed);
            assert!(err < 1e-8, "seed {seed}, layer norm {with_norm}: relative error {err:e}");
        }
    }
}

#[test]
fn central_differences_match_the_dual_number_jvp_in_f32() {
    for seed in [3, 30] {
        for with_norm in [false, true] {
            let err = jvp_error(FloatDType::F32, with_norm, seed);
            assert!(err < 5e-4, "seed {seed}, layer norm {with_norm}: relative error {err:e}");
        }
    }
}

/// A fixed batch and its cross-entropy gradient at `net`.
fn batch_grads(net: &Net, device: &Device) -> (GradientsParams, Tensor<2>) {
    let dtype = net.hidden.weight.val().dtype();
    let x = Tensor::<2>::from_data(TensorData::new(uniforms(7, ROWS * D_IN), [ROWS, D_IN]), (device, dtype));
    let labels: Vec<i64> = (0..ROWS as i64).map(|i| i % K as i64).collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [ROWS]), device);
    let log_p = activation::log_softmax(net.forward(x.clone()), 1);
    let loss = log_p.gather(1, y.unsqueeze_dim(1)).mean().neg();
    (GradientsParams::from_grads(loss.backward(), net), x.inner())
}

#[test]
fn the_controller_scales_adams_own_update_and_caps_r() {
    let device = Device::flex().autodiff();
    let start = softkit_ghost::train::cast_params(Net::new(&device, true), FloatDType::F64);
    let mut plain = AdamConfig::new().init();
    let mut ghost = GhostOptimizer::new(AdamConfig::new().init(), Controller::new());
    let (mut plain_net, mut ghost_net) = (start.clone(), start.clone());
    // The same gradients every step: Adam's update then depends only on the gradient history,
    // so the controlled update must be the plain one times the logged scale.
    for (step, lr) in [1e-3, 10.0, 1e-3, 50.0].into_iter().enumerate() {
        let (grads, x) = batch_grads(&start, &device);
        let (plain_grads, _) = batch_grads(&start, &device);
        let before_plain = flatten_params(&plain_net);
        let before_ghost = flatten_params(&ghost_net);
        let ghost_before_step = ghost_net.clone();
        plain_net = plain.step(lr, plain_net, plain_grads);
        ghost_net = ghost.step(lr, ghost_net, grads, |m| m.forward(x.clone())).unwrap();
        let rec = ghost.records()[step];
        let plain_update: Vec<f64> = flatten_params(&plain_net).iter().zip(&before_plain).map(|(a, b)| a - b).collect();
        let ghost_update: Vec<f64> = flatten_params(&ghost_net).iter().zip(&before_ghost).map(|(a, b)| a - b).collect();
        for (g, p) in ghost_update.iter().zip(&plain_update) {
            assert!((g - rec.scale * p).abs() <= 1e-9 * (1.0 + p.abs()), "step {step}: {g} vs {} * {p}", rec.scale);
        }
        let norm = plain_update.iter().map(|u| u * u).sum::<f64>().sqrt();
        assert!((rec.step_norm - norm).abs() <= 1e-9 * norm);
        assert!(rec.r_applied <= 1.0, "step {step}: r applied {}", rec.r_applied);
        // The logged radius is the bound of the JVP along this step's own direction.
        let v: Vec<f64> = plain_update.iter().map(|u| u / norm).collect();
        let h = softkit_ghost::train::default_jvp_step(burn::tensor::DType::F64);
        let jvp = central_jvp(&ghost_before_step, &v, h, |m| m.forward(x.clone())).unwrap();
        let rho = rho_a(&jvp.a, jvp.k).unwrap();
        assert!((rec.rho_a - rho).abs() <= 1e-6 * rho, "step {step}: logged {} vs {rho}", rec.rho_a);
        if lr > 1.0 {
            assert!(rec.r > 1.0 && rec.scale < 1.0, "a spike of lr {lr} must be cut: {rec:?}");
        }
    }
}

#[test]
fn global_norm_clipping_matches_the_formula() {
    let device = Device::flex().autodiff();
    let net = softkit_ghost::train::cast_params(Net::new(&device, false), FloatDType::F64);
    let grads = || batch_grads(&net, &device).0;
    let (clipped, norm) = clip_grad_norm(&net, grads(), 0.01).unwrap();
    let w =
        |g: &GradientsParams| g.get::<2>(net.hidden.weight.id).unwrap().into_data().iter::<f64>().collect::<Vec<_>>();
    let coefficient = 0.01 / (norm + 1e-6);
    assert!(coefficient < 1.0);
    for (c, g) in w(&clipped).iter().zip(w(&grads())) {
        assert!((c - coefficient * g).abs() < 1e-12);
    }
    let (untouched, _) = clip_grad_norm(&net, grads(), 1e6).unwrap();
    assert_eq!(w(&untouched), w(&grads()));
    assert!(matches!(
        clip_grad_norm(&net, grads(), f64::NAN),
        Err(GhostError::InvalidParameter { name: "max_norm", .. })
    ));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let device = Device::flex();
    let net = Net::new(&device, false);
    let n = flatten_params(&net).len();
    let x = Tensor::<2>::from_data(TensorData::new(uniforms(1, ROWS * D_IN), [ROWS, D_IN]), &device);
    let err = load_params(net.clone(), &vec![0.0; n - 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("theta has length {}, expected {n} to match the model's float parameter count", n - 1)
    );
    let err = central_jvp(&net, &vec![0.0; n + 1], 1e-3, |m| m.forward(x.clone())).unwrap_err();
    assert!(err.to_string().starts_with("direction has length"), "{err}");
    let err = central_jvp(&net, &vec![0.0; n], 0.0, |m| m.forward(x.clone())).unwrap_err();
    assert_eq!(err.to_string(), "h = 0 is invalid: a positive, finite step");
    let empty = Tensor::<2>::from_data(TensorData::new(Vec::<f32>::new(), [0, D_IN]), &device);
    let err = central_jvp(&net, &unit(uniforms(2, n)), 1e-3, |m| m.forward(empty.clone())).unwrap_err();
    assert_eq!(err, GhostError::EmptyBatch { field: "logits" });
    // NaN logits: the radius names the rates it could not use.
    let nan = Tensor::<2>::from_data(TensorData::new(vec![f32::NAN; ROWS * D_IN], [ROWS, D_IN]), &device);
    let jvp = central_jvp(&net, &unit(uniforms(2, n)), 1e-3, |m| m.forward(nan.clone())).unwrap();
    let err = rho_a(&jvp.a, jvp.k).unwrap_err();
    assert!(err.to_string().starts_with("a[0, 0] = NaN is not finite"), "{err}");
    assert!(GhostOptimizer::new(AdamConfig::new().init(), Controller::new()).with_jvp_step(-1.0).is_err());
}
