//! The error type of every fallible call in this crate.

use std::path::PathBuf;

use softkit_geom::MaskError;
use thiserror::Error;

/// What can be wrong with the input to an evaluation.
///
/// Every variant names the offending item, field and value, so that the message alone tells the
/// user what to fix. Items are named by their position in the JSON arrays they came from
/// (`annotations[3]` in the ground truth, `results[7]` in the detections), counted from 0.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, EvalError};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": []}"#,
/// )?;
/// let err = CocoResults::from_json_str(
///     r#"[{"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}]"#,
///     &gt,
/// )
/// .unwrap_err();
/// assert_eq!(err.to_string(), "results[0].image_id = 2 is not an image of the ground truth");
/// # Ok::<(), EvalError>(())
/// ```
#[derive(Debug, Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// The text is not JSON at all (a syntax error, or the text ends early).
    #[error("malformed JSON in {origin}: {source}")]
    Syntax {
        /// Where the text came from: a file path, or `ground truth` / `results`.
        origin: String,
        /// The parser's message, with line and column.
        source: serde_json::Error,
    },
    /// The text is JSON, but a field has the wrong type or is missing.
    #[error("{origin} is not in the COCO format: {source}")]
    Shape {
        /// Where the text came from: a file path, or `ground truth` / `results`.
        origin: String,
        /// The parser's message, naming the field, with line and column when known.
        source: serde_json::Error,
    },
    /// An item refers to an image that the ground truth does not list.
    #[error("{item}.image_id = {image_id} is not an image of the ground truth")]
    UnknownImage {
        /// The item, such as `results[4]`.
        item: String,
        /// The offending image id.
        image_id: i64,
    },
    /// An item refers to a category that the ground truth does not list.
    #[error("{item}.category_id = {category_id} is not a category of the ground truth")]
    UnknownCategory {
        /// The item, such as `results[4]`.
        item: String,
        /// The offending category id.
        category_id: i64,
    },
    /// A `bbox` field does not hold exactly four numbers.
    #[error("{item}.bbox has {len} numbers; expected 4 ([x, y, width, height])")]
    BboxLength {
        /// The item, such as `results[4]`.
        item: String,
        /// How many numbers it holds.
        len: usize,
    },
    /// A `bbox` has a negative width or height.
    #[error("{item}.bbox {side} = {value} is negative")]
    NegativeBboxSide {
        /// The item, such as `results[4]`.
        item: String,
        /// `width` or `height`.
        side: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A number given in memory is NaN or infinite (JSON cannot hold such numbers).
    #[error("{item}.{field} = {value} is not finite")]
    NonFinite {
        /// The item, such as `results[4]`.
        item: String,
        /// The field, such as `score` or `bbox[2]`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A ground-truth annotation has no `bbox`, which bbox evaluation needs.
    #[error("{item} has no bbox, which bbox evaluation needs")]
    MissingBbox {
        /// The item, such as `annotations[4]`.
        item: String,
    },
    /// A `segmentation` field is malformed: counts that do not decode or do not cover the mask,
    /// or a polygon with too few points, an odd number of coordinates or a non-finite one.
    #[error("{item}.segmentation: {source}")]
    Segmentation {
        /// The item, such as `results[4]`.
        item: String,
        /// What is wrong with the mask.
        source: MaskError,
    },
    /// An item lacks a field that the evaluation (or the loading rule it follows) needs.
    #[error("{item} has no {field}, which {needed_by}")]
    MissingField {
        /// The item, such as `results[4]`.
        item: String,
        /// The missing field, such as `segmentation`.
        field: &'static str,
        /// Why it is needed.
        needed_by: &'static str,
    },
    /// A polygon or box must be rasterised on an image whose size the ground truth does not give.
    #[error(
        "{item}: image {image_id} has no height and width in the ground truth, which rasterising its segmentation needs"
    )]
    MissingImageSize {
        /// The item, such as `annotations[4]`.
        item: String,
        /// The image.
        image_id: i64,
    },
    /// A run-length mask's size differs from its image's size, so it cannot be compared with the
    /// other masks of that image.
    #[error(
        "{item}.segmentation has size [{height}, {width}], but image {image_id} is [{image_height}, {image_width}]"
    )]
    MaskSize {
        /// The item, such as `results[4]`.
        item: String,
        /// The mask's height.
        height: u32,
        /// The mask's width.
        width: u32,
        /// The image.
        image_id: i64,
        /// The image's height.
        image_height: u32,
        /// The image's width.
        image_width: u32,
    },
    /// Two ground-truth annotations share an `id`.
    #[error("{item}.id = {id} repeats the id of annotations[{first}]")]
    DuplicateAnnotationId {
        /// The later annotation, such as `annotations[9]`.
        item: String,
        /// The shared id.
        id: i64,
        /// Index of the first annotation with that id.
        first: usize,
    },
    /// A `keypoints` field is not a non-empty list of `x, y, v` triples.
    #[error("{item}.keypoints has {len} numbers; expected a non-empty list of x, y, v triples")]
    KeypointTriples {
        /// The item, such as `results[4]`.
        item: String,
        /// How many numbers it holds.
        len: usize,
    },
    /// A `keypoints` field holds a different number of keypoints than there are OKS sigmas.
    #[error("{item}.keypoints has {len} numbers; expected {expected} (x, y, v for each of the {} keypoints of the OKS sigmas)", expected / 3)]
    KeypointCount {
        /// The item, such as `results[4]`.
        item: String,
        /// How many numbers it holds.
        len: usize,
        /// Three times the number of sigmas.
        expected: usize,
    },
    /// An evaluation parameter is unusable.
    #[error("invalid parameter {field}: {reason}")]
    Params {
        /// The parameter, such as `max_dets`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl EvalError {
    /// Sorts a serde_json error into [`EvalError::Syntax`] or [`EvalError::Shape`].
    pub(crate) fn from_json(origin: impl Into<String>, source: serde_json::Error) -> Self {
        let origin = origin.into();
        match source.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                EvalError::Syntax { origin, source }
            }
            serde_json::error::Category::Data | serde_json::error::Category::Io => EvalError::Shape { origin, source },
        }
    }
}
