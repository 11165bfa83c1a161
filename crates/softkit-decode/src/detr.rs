//! DETR-style set heads: class logits `(1, queries, classes)` and normalised cx cy w h boxes
//! `(1, queries, 4)`, ranked by a top-k over queries x classes.

use crate::top_k::top_k;
use crate::yolox::check_threshold;
use crate::{Candidates, DecodeError, HeadTensor};

/// How a set head's class columns become probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassActivation {
    /// An independent sigmoid per class (Deformable DETR, DINO, Co-DETR, RT-DETR, RF-DETR).
    Sigmoid,
    /// A softmax over the columns, whose last column ("no object") is then dropped (DETR).
    SoftmaxNoObject,
    /// The columns already are probabilities (ultralytics' RT-DETR export applies the sigmoid).
    Probabilities,
}

impl std::str::FromStr for ClassActivation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sigmoid" => Ok(ClassActivation::Sigmoid),
            "softmax" => Ok(ClassActivation::SoftmaxNoObject),
            "none" => Ok(ClassActivation::Probabilities),
            _ => Err(format!("unknown class activation {s:?}: expected \"sigmoid\", \"softmax\" or \"none\"")),
        }
    }
}

/// A DETR-style head.
///
/// The probabilities of every (query, class) pair are ranked together, by score and then by the
/// flat index `query * classes + class`, and the first `top_k` scoring above the threshold are
/// kept, so a query can give two classes (as Deformable DETR's post-processor does). Boxes are
/// `(cx, cy, w, h)` in `[0, 1]` of `size`.
///
/// # Examples
///
/// ```
/// use softkit_decode::{ClassActivation, DetrHead, HeadTensor};
///
/// let logits = [2.0_f32, -1.0, /* query 1 */ -3.0, 0.0];
/// let boxes = [0.5_f32, 0.5, 0.5, 0.5, /* query 1 */ 0.25, 0.25, 0.1, 0.1];
/// let head = DetrHead { activation: ClassActivation::Sigmoid, top_k: 2, score_threshold: 0.0, size: [100.0, 100.0] };
/// let c = head.decode(&HeadTensor::new("logits", &[1, 2, 2], &logits)?, &HeadTensor::new("boxes", &[1, 2, 4], &boxes)?)?;
/// // sigmoid(2) for query 0 class 0, then sigmoid(0) for query 1 class 1.
/// assert_eq!(c.labels, vec![0, 1]);
/// assert_eq!(c.geometry[0], [25.0, 25.0, 75.0, 75.0]);
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DetrHead {
    /// How logits become probabilities.
    pub activation: ClassActivation,
    /// How many (query, class) pairs to keep at most (100 for DETR, 300 for RT-DETR and DINO).
    pub top_k: usize,
    /// Keep pairs scoring above this.
    pub score_threshold: f32,
    /// The `[width, height]` that normalised boxes are fractions of: the model input, or the
    /// original image for models that are fed an unpadded resize.
    pub size: [f32; 2],
}

impl DetrHead {
    /// Decodes class `logits` `(1, queries, columns)` and `boxes` `(1, queries, 4)` into
    /// `[x1, y1, x2, y2]` boxes in `size` pixels, best first.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Shape`] if the two tensors disagree on the queries, the boxes are not 4
    /// wide, or a softmax head has fewer than 2 columns; [`DecodeError::InvalidParameter`] for a
    /// NaN threshold or a size that is not finite and positive.
    pub fn decode(&self, logits: &HeadTensor, boxes: &HeadTensor) -> Result<Candidates<[f32; 4]>, DecodeError> {
        check_threshold(self.score_threshold)?;
        if !self.size.iter().all(|s| s.is_finite() && *s > 0.0) {
            return Err(DecodeError::InvalidParameter {
                name: "size",
                value: format!("{:?}", self.size),
                expected: "a finite, positive width and height",
            });
        }
        let &[queries, columns] = logits.unbatched(2, "(1, queries, classes)")? else { unreachable!("rank 2") };
        let box_shape = format!("(1, {queries}, 4), one box per query of the logits");
        if boxes.unbatched(2, &box_shape)? != [queries, 4] {
            return Err(boxes.shape_error(&box_shape));
        }
        let probabilities = self.probabilities(logits, queries, columns)?;
        let classes = probabilities.len() / queries.max(1);
        let kept = top_k(&probabilities, self.top_k, |i| probabilities[i] > self.score_threshold);
        let mut out = Candidates::default();
        let [w, h] = self.size;
        for flat in kept {
            let (query, class) = (flat / classes, flat % classes);
            let b = &boxes.data()[query * 4..query * 4 + 4];
            let (cx, cy, bw, bh) = (b[0] * w, b[1] * h, b[2] * w, b[3] * h);
            out.push([cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0], probabilities[flat], class as u32);
        }
        Ok(out)
    }

    /// The `(queries, classes)` probabilities, row-major.
    fn probabilities(&self, logits: &HeadTensor, queries: usize, columns: usize) -> Result<Vec<f32>, DecodeError> {
        let data = logits.data();
        Ok(match self.activation {
            ClassActivation::Sigmoid => data.iter().map(|&x| sigmoid(x)).collect(),
            ClassActivation::Probabilities => data.to_vec(),
            ClassActivation::SoftmaxNoObject => {
                if columns < 2 {
                    return Err(logits.shape_error("(1, queries, classes + 1) with the no-object class last"));
                }
                let mut out = Vec::with_capacity(queries * (columns - 1));
                for row in data.chunks_exact(columns) {
                    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let exps: Vec<f32> = row.iter().map(|&x| (x - max).exp()).collect();
                    let total: f32 = exps.iter().sum();
                    out.extend(exps[..columns - 1].iter().map(|e| e / total));
                }
                out
            }
        })
    }
}

/// The logistic function, written so that neither tail overflows.
pub(crate) fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
