//! The paper's three small classifiers on 8x8 digits, initialised from a seed.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
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

/// Redraws every parameter from `seed`, by its role: a linear layer's weight `[d_in, d_out]` and
/// bias from `U(-1/sqrt(d_in), 1/sqrt(d_in))` as PyTorch does, LayerNorm's gamma 1 and beta 0,
/// anything else `N(0, 0.02^2)`. burn's own initialisers draw from a device-wide generator, which
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
                "gamma" => vec![1.0; n],
                "beta" => vec![0.0; n],
                "weight" | "bias" => {
                    if role == "weight" {
                        self.fan_in = shape[0];
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
        assert_eq!(Transformer::new(&device, 0).logits(x).dims(), [3, CLASSES]);
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
}
