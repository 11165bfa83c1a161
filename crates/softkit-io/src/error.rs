//! The error type of every reader and writer in this crate.

use std::path::PathBuf;

use softkit_geom::{GeomError, MaskError};
use thiserror::Error;

/// What can be wrong with a file or a document handed to softkit.
///
/// Every variant names the offending item, field and value, so that the message alone tells the
/// user what to fix. Items are named by their position in the JSON arrays they came from
/// (`annotations[3]` in a ground truth, `results[7]` in a results list, `candidates[2]` in a
/// candidate table), counted from 0; JSON errors give the line and column.
///
/// # Examples
///
/// ```
/// use softkit_io::{CocoGroundTruth, CocoResults, IoError};
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
/// # Ok::<(), IoError>(())
/// ```
#[derive(Debug, Error)]
pub enum IoError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// An output path names one of the inputs; writing it would destroy the input.
    #[error("{output_flag} {} is the same file as {input_flag} {}: refusing to overwrite an input", output.display(), input.display())]
    OutputIsInput {
        /// The output's flag, such as `--output`.
        output_flag: String,
        /// The output path as given.
        output: PathBuf,
        /// The input's flag, such as `--input`.
        input_flag: String,
        /// The input path as given.
        input: PathBuf,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system reported.
        source: std::io::Error,
    },
    /// The text is not JSON at all (a syntax error, the text ends early, or a `NaN` literal).
    #[error("malformed JSON in {origin}: {}", place.describe(message))]
    Syntax {
        /// Where the text came from: a file path, `ground truth` / `results`, or a Python argument.
        origin: String,
        /// Where in the document the parser stopped (boxed, to keep `Result<_, IoError>` small).
        place: Box<JsonPlace>,
        /// What the parser found.
        message: String,
    },
    /// The text is JSON, but a field has the wrong type or is missing.
    #[error("{origin} is not in the {format} format: {}", place.describe(message))]
    Shape {
        /// Where the text came from: a file path, `ground truth` / `results`, or a Python argument.
        origin: String,
        /// The format expected: `COCO` or `candidate table`.
        format: &'static str,
        /// The value that does not fit (boxed, to keep `Result<_, IoError>` small).
        place: Box<JsonPlace>,
        /// What is wrong with it, naming the field.
        message: String,
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
    /// A number is NaN or infinite (given in memory, or a candidate table's value).
    #[error("{item}.{field} = {value} is not finite")]
    NonFinite {
        /// The item, such as `results[4]`.
        item: String,
        /// The field, such as `score` or `bbox[2]`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A row of a table has the wrong length.
    #[error("{origin}: {item} {problem}")]
    Row {
        /// Where the text came from: a file path.
        origin: String,
        /// The row, such as `candidates[4]`.
        item: String,
        /// What is wrong, with the layout expected.
        problem: String,
    },
    /// A flag field is neither `0`, `1`, `false` nor `true`.
    #[error("{item} = {value} is invalid: expected 0, 1, false or true")]
    Flag {
        /// The item and field, such as `annotations[4].difficult`.
        item: String,
        /// The value as written.
        value: String,
    },
    /// A `segmentation` is not the one polygon that polygon evaluation needs.
    #[error("{item}.segmentation {problem}")]
    NotOnePolygon {
        /// The item, such as `annotations[4]`.
        item: String,
        /// What it is instead.
        problem: String,
    },
    /// An item's geometry is invalid.
    #[error("{item}: {source}")]
    Geometry {
        /// The item, such as `candidates[4]`.
        item: String,
        /// What is wrong with it.
        source: GeomError,
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
    /// A line of a MOTChallenge text file is malformed.
    #[error("{origin}:{line}: {field} = {text:?} {problem}")]
    MotLine {
        /// The file.
        origin: String,
        /// The 1-based line.
        line: usize,
        /// The field, such as `frame` or `w`.
        field: &'static str,
        /// The field's text.
        text: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A value that parses is not allowed where it stands, such as a class index outside
    /// `0..80` or a fractional image id.
    #[error("{origin}: {item}.{field} = {value} is invalid: expected {expected}")]
    Invalid {
        /// Where the text came from: a file path.
        origin: String,
        /// The item, such as `candidates[12]`.
        item: String,
        /// The field.
        field: &'static str,
        /// The offending value.
        value: f64,
        /// What the field must be.
        expected: &'static str,
    },
}

/// Where in a JSON document a problem lies, in the user's own coordinates.
///
/// # Examples
///
/// ```
/// use softkit_io::{CocoGroundTruth, IoError};
///
/// let text = "{\"images\": [{\"id\": 1}], \"categories\": [{\"id\": 1}],\n \"annotations\": [{\"id\": 1}]}";
/// let err = CocoGroundTruth::from_json_str(text).unwrap_err();
/// let IoError::Shape { place, .. } = &err else { panic!("{err}") };
/// assert_eq!(place.path, "annotations[0]");
/// assert_eq!(place.line_column, Some((2, 26)));
/// assert_eq!(
///     err.to_string(),
///     "ground truth is not in the COCO format: annotations[0]: missing field `image_id` at line 2 column 26"
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonPlace {
    /// The JSON path of the value, such as `annotations[17].bbox`; empty at the document's root.
    pub path: String,
    /// The 1-based line and column in the text the user wrote; `None` for text serialised from
    /// an in-memory object, where only the path means anything to the user.
    pub line_column: Option<(usize, usize)>,
}

impl JsonPlace {
    /// `message` preceded by the path and followed by the line and column, where known.
    pub fn describe(&self, message: &str) -> String {
        let mut out = String::new();
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(message);
        if let Some((line, column)) = self.line_column {
            out.push_str(&format!(" at line {line} column {column}"));
        }
        out
    }
}
