//! The paper's small classifiers on 8x8 digits, initialised from a seed.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData, activation};

use softkit_sim::Rng;

use crate::data::{CLASSES, PIXELS};

/// A network from 64 pixels to 10 logits.
pub(crate) trait Classifier: Module {
    /// `[rows, 64]` pixels to `[rows, 10]` logits.
    fn logits(&self, pixels: Tensor<2>) -> Tensor<2>;
}

/// 64 -> 128 (ReLU) -> 10.
#[derive(Module, Debug)]
pub(crate) struct Mlp {
    hidden: Linear,
    output: Linear,
}

impl Classifier for Mlp {
    fn logits(&self, pixels: Tensor<2>) -> Tensor<2> {
        self.output.forward(activation::relu(self.hidden.forward(pixels)))
    }
}

/// 64 -> 64 x 3 (Linear, LayerNorm, GELU) -> 10.
#[derive(Module, Debug)]
pub(crate) struct MlpLn {
    hidden: Vec<Linear>,
    norms: Vec<LayerNorm>,
    output: Linear,
}

impl Classifier for MlpLn {
    fn logits(&self, pixels: Tensor<2>) -> Tensor<2> {
        let x = self
            .hidden
            .iter()
            .zip(&self.norms)
            .fold(pixels, |x, (linear, norm)| activation::gelu(norm.forward(linear.forward(x))));
        self.output.forward(x)
    }
}

/// Tokens: the 8 rows of 8 pixels.
const TOKENS: usize = 8;
/// Model width.
const DIM: usize = 32;

/// A transformer-style block: row tokens embedded to width 32 with learned positions, one
/// pre-LayerNorm single-head attention and one GELU MLP (32 -> 64 -> 32), both residual, then a
/// LayerNorm, mean pooling and a linear head.
#[derive(Module, Debug)]
pub(crate) struct Transformer {
    embed: Linear,
    position: Param<Tensor<2>>,
    attention_norm: LayerNorm,
    query: Linear,
    key: Linear,
    value: Linear,
    mix: Linear,
    mlp_norm: LayerNorm,
    up: Linear,
    down: Linear,
    final_norm: LayerNorm,
    head: Linear,
}

impl Classifier for Transformer {
    fn logits(&self, pixels: Tensor<2>) -> Tensor<2> {
        let [rows, _] = pixels.dims();
        let tokens = pixels.reshape([rows, TOKENS, PIXELS / TOKENS]);
        let x = self.embed.forward(tokens) + self.position.val().unsqueeze::<3>();
        let h = self.attention_norm.forward(x.clone());
        let scores = self.query.forward(h.clone()).matmul(self.key.forward(h.clone()).swap_dims(1, 2));
        let weights = activation::softmax(scores.div_scalar((DIM as f64).sqrt()), 2);
        let x = x + self.mix.forward(weights.matmul(self.value.forward(h)));
        let x = x.clone() + self.down.forward(activation::gelu(self.up.forward(self.mlp_norm.forward(x))));
        let pooled = self.final_norm.forward(x).mean_dim(1).reshape([rows, DIM]);
        self.head.forward(pooled)
    }
}

/// Side of the digits' square images.
const SIDE: usize = 8;
/// Channels of the two convolutions.
const CONV_CHANNELS: [usize; 2] = [8, 16];

/// A small convolutional network with batch normalisation: two 3x3 convolutions (1 -> 8 -> 16
/// channels, padding 1), each followed by BatchNorm, ReLU and 2x2 max pooling (8x8 -> 4x4 ->
/// 2x2), then a linear head 64 -> 10.
///
/// On an autodiff device BatchNorm normalises by the batch's statistics and updates its running
/// ones (momentum 0.1); without autodiff (`valid()`: the test accuracy and the controller's JVP)
/// it uses the running statistics, as PyTorch's eval mode does.
#[derive(Module, Debug)]
pub(crate) struct CnnBn {
    conv1: Conv2d,
    norm1: BatchNorm,
    conv2: Conv2d,
    norm2: BatchNorm,
    pool: MaxPool2d,
    head: Linear,
}

impl Classifier for CnnBn {
    fn logits(&self, pixels: Tensor<2>) -> Tensor<2> {
        let [rows, _] = pixels.dims();
        let x = pixels.reshape([rows, 1, SIDE, SIDE]);
        let x = self.pool.forward(activation::relu(normalise(&self.norm1, self.conv1.forward(x))));
        let x = self.pool.forward(activation::relu(normalise(&self.norm2, self.conv2.forward(x))));
        self.head.forward(x.reshape([rows, CONV_CHANNELS[1] * (SIDE / 4) * (SIDE / 4)]))
    }
}

/// `norm`'s forward pass, with any running statistics it updated made current at once.
///
/// burn's `RunningState` keeps a training pass's update pending (per thread) until the next
/// training pass, so a model evaluated in between (the test accuracy, the controller's JVP on
/// `valid()`) would see the statistics of the step before. PyTorch's eval mode sees the latest
/// ones; settling here gives burn the same semantics, so that both stacks measure the same
/// radius.
fn normalise(norm: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let y = norm.forward(x);
    let _ = (norm.running_mean.value_sync(), norm.running_var.value_sync());
    y
}

fn linear(d_in: usize, d_out: usize, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out).init(device)
}

fn norm(d: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(d).init(device)
}

impl Mlp {
    /// A seeded network (PyTorch's default initialisation).
    pub(crate) fn new(device: &Device, seed: u64) -> Mlp {
        seeded(Mlp { hidden: linear(PIXELS, 128, device), output: linear(128, CLASSES, device) }, seed)
    }
}

impl MlpLn {
    /// A seeded network (PyTorch's default initialisation).
    pub(crate) fn new(device: &Device, seed: u64) -> MlpLn {
        let widths = [PIXELS, 64, 64, 64];
        let model = MlpLn {
            hidden: widths.windows(2).map(|w| linear(w[0], w[1], device)).collect(),
            norms: (0..3).map(|_| norm(64, device)).collect(),
            output: linear(64, CLASSES, device),
        };
        seeded(model, seed)
    }
}

impl Transformer {
    /// A seeded network (PyTorch's default initialisation; positions N(0, 0.02^2)).
    pub(crate) fn new(device: &Device, seed: u64) -> Transformer {
        let model = Transformer {
            embed: linear(PIXELS / TOKENS, DIM, device),
            position: Param::from_tensor(Tensor::zeros([TOKENS, DIM], device)),
            attention_norm: norm(DIM, device),
            query: linear(DIM, DIM, device),
            key: linear(DIM, DIM, device),
            value: linear(DIM, DIM, device),
            mix: linear(DIM, DIM, device),
            mlp_norm: norm(DIM, device),
            up: linear(DIM, 2 * DIM, device),
            down: linear(2 * DIM, DIM, device),
            final_norm: norm(DIM, device),
            head: linear(DIM, CLASSES, device),
        };
        seeded(model, seed)
    }
}

impl CnnBn {
    /// A seeded network (PyTorch's default initialisation; BatchNorm's running mean 0 and
    /// variance 1).
    pub(crate) fn new(device: &Device, seed: u64) -> CnnBn {
        let conv = |c_in: usize, c_out: usize| {
            Conv2dConfig::new([c_in, c_out], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device)
        };
        let [c1, c2] = CONV_CHANNELS;
        let model = CnnBn {
            conv1: conv(1, c1),
            norm1: BatchNormConfig::new(c1).init(device),
            conv2: conv(c1, c2),
            norm2: BatchNormConfig::new(c2).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            head: linear(c2 * (SIDE / 4) * (SIDE / 4), CLASSES, device),
        };
        seeded(model, seed)
    }
}

/// Redraws every parameter from `seed`, by its role: a linear layer's weight `[d_in, d_out]`, a
/// convolution's weight `[c_out, c_in, k, k]` and their biases from `U(-1/sqrt(fan_in),
/// 1/sqrt(fan_in))` as PyTorch does (`fan_in` is `d_in`, or `c_in k k`), the norms' gamma 1 and
/// beta 0, BatchNorm's running mean 0 and variance 1 (they are visited like parameters), anything
/// else `N(0, 0.02^2)`. The PyTorch experiments (`torch/ghostpaper_torch/models.py`) draw the
/// same values in the same order. burn's own initialisers draw from a device-wide generator, which
/// runs on several threads would share.
fn seeded<M: Module>(model: M, seed: u64) -> M {
    model.map(&mut SeededInit { rng: Rng::new(seed), path: Vec::new(), fan_in: 1 })
}

struct SeededInit {
    rng: Rng,
    path: Vec<String>,
    fan_in: usize,
}

impl ModuleMapper for SeededInit {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let role = self.path.last().map(String::as_str).unwrap_or("");
        param.map(|old| {
            let shape = old.shape();
            let n = shape.num_elements();
            let values: Vec<f32> = match role {
                "gamma" | "running_var" => vec![1.0; n],
                "beta" | "running_mean" => vec![0.0; n],
                "weight" | "bias" => {
                    if role == "weight" {
                        // A linear weight is [d_in, d_out]; a convolution's [c_out, c_in, k, k].
                        self.fan_in = if D == 4 { shape[1] * shape[2] * shape[3] } else { shape[0] };
                    }
                    let bound = 1.0 / (self.fan_in as f64).sqrt();
                    (0..n).map(|_| ((2.0 * self.rng.unit() - 1.0) * bound) as f32).collect()
                }
                _ => (0..n).map(|_| (0.02 * self.rng.normal()) as f32).collect(),
            };
            let fresh = Tensor::<D>::from_data(TensorData::new(values, shape), (&old.device(), old.dtype()));
            if old.is_require_grad() { fresh.require_grad() } else { fresh }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use softkit_ghost::train::flatten_params;

    #[test]
    fn shapes_counts_and_seeding() {
        let device = Device::flex();
        let x = Tensor::<2>::zeros([3, PIXELS], &device);
        assert_eq!(Mlp::new(&device, 0).logits(x.clone()).dims(), [3, CLASSES]);
        assert_eq!(MlpLn::new(&device, 0).logits(x.clone()).dims(), [3, CLASSES]);
        assert_eq!(Transformer::new(&device, 0).logits(x.clone()).dims(), [3, CLASSES]);
        assert_eq!(CnnBn::new(&device, 0).logits(x).dims(), [3, CLASSES]);
        let theta = flatten_params(&Mlp::new(&device, 7));
        assert_eq!(theta.len(), 64 * 128 + 128 + 128 * 10 + 10);
        assert_eq!(theta, flatten_params(&Mlp::new(&device, 7)));
        assert_ne!(theta, flatten_params(&Mlp::new(&device, 8)));
        // First layer's weights and bias within 1/sqrt(64); the output layer's within 1/sqrt(128).
        assert!(theta[..64 * 128 + 128].iter().all(|w| w.abs() <= 0.125));
        assert!(theta[64 * 128 + 128..].iter().all(|w| w.abs() <= 1.0 / 128f64.sqrt()));
        let ln = flatten_params(&MlpLn::new(&device, 1));
        assert_eq!(ln.len(), 3 * (64 * 64 + 64) + 3 * 128 + 64 * 10 + 10);
    }

    #[test]
    fn cnn_bn_is_seeded_by_fan_in_with_unit_running_statistics() {
        let device = Device::flex();
        let theta = flatten_params(&CnnBn::new(&device, 3));
        assert_eq!(theta, flatten_params(&CnnBn::new(&device, 3)));
        // conv1 (72 + 8), norm1 (gamma, beta, running mean, running variance: 4 x 8), conv2
        // (1152 + 16), norm2 (4 x 16), head (640 + 10).
        let sizes = [72, 8, 8, 8, 8, 8, 1152, 16, 16, 16, 16, 16, 640, 10];
        assert_eq!(theta.len(), sizes.iter().sum::<usize>());
        let mut parts = Vec::new();
        let mut rest = &theta[..];
        for n in sizes {
            let (part, tail) = rest.split_at(n);
            parts.push(part);
            rest = tail;
        }
        // conv1's fan-in is 1 x 3 x 3, conv2's 8 x 3 x 3, the head's 64.
        let within = |p: &[f64], fan_in: f64| p.iter().all(|w| w.abs() <= 1.0 / fan_in.sqrt());
        assert!(within(parts[0], 9.0) && within(parts[1], 9.0) && parts[0].iter().any(|w| w.abs() > 0.2));
        assert!(within(parts[6], 72.0) && within(parts[7], 72.0) && within(parts[12], 64.0));
        for (i, want) in [(2, 1.0), (3, 0.0), (4, 0.0), (5, 1.0), (8, 1.0), (9, 0.0), (10, 0.0), (11, 1.0)] {
            assert!(parts[i].iter().all(|&v| v == want), "part {i}: {:?}", parts[i]);
        }
    }
}
