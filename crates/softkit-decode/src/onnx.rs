//! [`OnnxModel`]: a detector run on tract, pure Rust, with nothing downloaded.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::{DecodeError, OutputInfo};

/// An ONNX detector, loaded and optimised once, then run image by image on tract.
///
/// # Usage
///
/// Load it, read [`input_size`](Self::input_size) to letterbox images for it, [`run`](Self::run)
/// a `(1, 3, H, W)` tensor, and hand the outputs to the decoder that
/// [`identify_head`](crate::identify_head) picks from [`outputs`](Self::outputs) and
/// [`metadata`](Self::metadata).
///
/// # Runtime and Performance
///
/// tract runs the graph on one thread. Loading optimises the graph for the fixed input shape,
/// which takes a moment for a large model and is done once.
///
/// # Examples
///
/// ```no_run
/// use softkit_decode::OnnxModel;
///
/// let model = OnnxModel::load("yolox_nano.onnx".as_ref(), None)?;
/// let [w, h] = model.input_size();
/// let outputs = model.run(vec![114.0; 3 * w as usize * h as usize])?;
/// assert_eq!(outputs.len(), model.outputs().len());
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
pub struct OnnxModel {
    path: String,
    plan: Arc<TypedRunnableModel>,
    input_size: [u32; 2],
    outputs: Vec<OutputInfo>,
    metadata: BTreeMap<String, String>,
}

impl OnnxModel {
    /// Loads the model at `path` with the input `(1, 3, H, W)`: the size the model declares, or
    /// `input_size` (`[width, height]`) for a model whose size is not fixed.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Model`] for a missing or unreadable file, a graph tract cannot run, an input
    /// that is not `(1, 3, H, W)` float, or a free size with no `input_size`.
    pub fn load(path: &Path, input_size: Option<[u32; 2]>) -> Result<Self, DecodeError> {
        let shown = path.display().to_string();
        let fail = |message: String| DecodeError::Model { path: shown.clone(), message };
        if !path.is_file() {
            return Err(fail("no such model file".into()));
        }
        let mut model =
            tract_onnx::onnx().model_for_path(path).map_err(|e| fail(format!("cannot read the ONNX model: {e:#}")))?;
        let metadata = model
            .properties
            .iter()
            .filter_map(|(key, value)| {
                let key = key.strip_prefix("onnx.metadata_props.")?;
                let text = value.try_as_plain_ram().ok()?.to_scalar::<String>().ok()?.clone();
                Some((key.to_string(), text))
            })
            .collect();
        let inputs = model.input_outlets().map_err(|e| fail(e.to_string()))?.len();
        if inputs != 1 {
            return Err(fail(format!(
                "the model has {inputs} inputs; softkit detect runs detectors with one image input"
            )));
        }
        let fact = model.input_fact(0).map_err(|e| fail(e.to_string()))?;
        // A free batch makes the whole shape non-concrete; read the last two dimensions alone.
        let dims: Vec<Option<u32>> = fact
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|v| v.to_i64().ok()).and_then(|v| u32::try_from(v).ok()))
            .collect();
        let size = match (input_size, dims.as_slice()) {
            (Some(size), _) => size,
            (None, [_, _, Some(h), Some(w)]) => [*w, *h],
            _ => return Err(fail("the model's input size is not fixed: give it (--input-size W,H)".into())),
        };
        let fact = f32::fact([1, 3, size[1] as usize, size[0] as usize]);
        model = model
            .with_input_fact(0, fact.into())
            .map_err(|e| fail(format!("input (1, 3, {}, {}): {e:#}", size[1], size[0])))?;
        let typed = model.into_optimized().map_err(|e| fail(format!("cannot prepare the graph: {e:#}")))?;
        let mut outputs = Vec::new();
        for outlet in typed.output_outlets().map_err(|e| fail(e.to_string()))? {
            let fact = typed.outlet_fact(*outlet).map_err(|e| fail(e.to_string()))?;
            let shape = fact.shape.as_concrete().map(<[usize]>::to_vec).ok_or_else(|| {
                fail(format!("output {} has no fixed shape ({:?})", typed.node(outlet.node).name, fact.shape))
            })?;
            let name = typed.outlet_label(*outlet).unwrap_or(&typed.node(outlet.node).name).to_string();
            outputs.push(OutputInfo { name, shape });
        }
        let plan = typed.into_runnable().map_err(|e| fail(format!("cannot plan the graph: {e:#}")))?;
        Ok(OnnxModel { path: shown, plan, input_size: size, outputs, metadata })
    }

    /// The input's `[width, height]`.
    pub fn input_size(&self) -> [u32; 2] {
        self.input_size
    }

    /// The outputs' names and shapes, in the graph's order.
    pub fn outputs(&self) -> &[OutputInfo] {
        &self.outputs
    }

    /// The ONNX metadata (`metadata_props`), such as ultralytics' `end2end`, `task` and `names`.
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// Runs the model on one `(1, 3, H, W)` tensor, row-major; returns each output's values in
    /// [`outputs`](Self::outputs) order.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Model`] if `input` is not `3 * W * H` long or tract fails.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, DecodeError> {
        let tensor = self.input_tensor(input)?;
        let outputs = self.plan.run(tvec!(tensor)).map_err(|e| self.fail(format!("{e:#}")))?;
        self.output_values(&outputs)
    }

    /// Where inference time goes: runs the model `repeats` times on `input` and times every node
    /// of the optimised graph, summed by operator name (tract's, such as `Conv` or `Sigmoid`),
    /// most expensive first. The times are per run, in milliseconds.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use softkit_decode::OnnxModel;
    ///
    /// let model = OnnxModel::load("yolox_nano.onnx".as_ref(), None)?;
    /// let [w, h] = model.input_size();
    /// for op in model.profile_ops(vec![114.0; 3 * w as usize * h as usize], 5)? {
    ///     println!("{}: {} nodes, {:.2} ms", op.op, op.nodes, op.ms);
    /// }
    /// # Ok::<(), softkit_decode::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub fn profile_ops(&self, input: Vec<f32>, repeats: usize) -> Result<Vec<OpTime>, DecodeError> {
        let tensor = self.input_tensor(input)?;
        let mut state = self.plan.spawn().map_err(|e| self.fail(format!("{e:#}")))?;
        let mut by_op: BTreeMap<String, OpTime> = BTreeMap::new();
        for _ in 0..repeats.max(1) {
            state
                .run_plan_with_eval(tvec!(tensor.clone()), |context, op_state, node, inputs| {
                    let start = Instant::now();
                    let out = tract_onnx::tract_core::plan::eval(context, op_state, node, inputs);
                    let name = node.op().name();
                    let entry = by_op.entry(name.to_string()).or_insert_with(|| OpTime {
                        op: name.to_string(),
                        nodes: 0,
                        ms: 0.0,
                    });
                    entry.ms += start.elapsed().as_secs_f64() * 1e3;
                    entry.nodes += 1;
                    out
                })
                .map_err(|e| self.fail(format!("{e:#}")))?;
        }
        let runs = repeats.max(1);
        let mut ops: Vec<OpTime> =
            by_op.into_values().map(|t| OpTime { nodes: t.nodes / runs, ms: t.ms / runs as f64, ..t }).collect();
        ops.sort_by(|a, b| b.ms.total_cmp(&a.ms).then_with(|| a.op.cmp(&b.op)));
        Ok(ops)
    }

    fn fail(&self, message: String) -> DecodeError {
        DecodeError::Model { path: self.path.clone(), message }
    }

    fn input_tensor(&self, input: Vec<f32>) -> Result<TValue, DecodeError> {
        let [w, h] = self.input_size.map(|s| s as usize);
        let tensor = tract_ndarray::Array4::from_shape_vec((1, 3, h, w), input)
            .map_err(|e| self.fail(format!("input tensor (1, 3, {h}, {w}): {e}")))?;
        Ok(Tensor::from(tensor).into())
    }

    fn output_values(&self, outputs: &[TValue]) -> Result<Vec<Vec<f32>>, DecodeError> {
        outputs
            .iter()
            .map(|t| {
                let values = t.try_as_plain_ram().and_then(|plain| plain.as_slice::<f32>().map(<[f32]>::to_vec));
                values.map_err(|e| self.fail(format!("output is not float32: {e}")))
            })
            .collect()
    }
}

/// One operator's share of an inference, from [`OnnxModel::profile_ops`].
#[derive(Clone, Debug, PartialEq)]
pub struct OpTime {
    /// tract's name for the operator.
    pub op: String,
    /// How many nodes of the optimised graph run it.
    pub nodes: usize,
    /// Milliseconds per inference, summed over those nodes.
    pub ms: f64,
}
