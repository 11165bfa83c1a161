//! Detections for suppression: candidate tables and COCO results lists, in columns, with every
//! number kept as the file wrote it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use softkit_geom::BoxFormat;

use crate::json::{FloatIdCounter, Origin, parse_json, read_text};
use crate::results::RawDetection;
use crate::{COCO80_CATEGORY_IDS, FloatIds, IoError, write_atomic};

/// One image of a candidate table.
///
/// # Examples
///
/// ```
/// let info = softkit_io::ImageInfo { id: 139, file_name: Some("000000000139.jpg".into()), width: 640, height: 426 };
/// assert_eq!(info.id, 139);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "an image object {\"id\", \"file_name\", \"width\", \"height\"}")]
pub struct ImageInfo {
    /// The image id (an integral float such as `42.0` is read as 42, as the rows' ids are).
    #[serde(deserialize_with = "crate::json::id_value")]
    pub id: i64,
    /// The file name, when the table records one.
    #[serde(default)]
    pub file_name: Option<String>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Detections in columns: row `i` is one candidate box.
///
/// Boxes stay as the file wrote them: `[x1, y1, x2, y2]` for a candidate table, `[x, y, w, h]`
/// for a COCO results list ([`format`](Self::format) says which). The engine gets corners from
/// [`xyxy`](Self::xyxy); [`write_coco_results`] writes a results list's boxes back bit for bit.
///
/// # Examples
///
/// ```
/// let text = r#"{"images": [], "candidates": [[7, 0, 1, 2, 11, 22, 0.5]]}"#;
/// let dets = softkit_io::parse_detections(text, "cands.json")?;
/// assert_eq!((dets.image_ids[0], dets.category_ids[0]), (7, 1)); // class 0 is COCO category 1
/// assert_eq!(dets.boxes[0], [1.0, 2.0, 11.0, 22.0]);
/// assert!(dets.candidate_table);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Detections {
    /// The images listed by a candidate table (empty for COCO results).
    pub images: Vec<ImageInfo>,
    /// Whether the rows came from a candidate table, whose class indices were mapped to COCO
    /// category ids ([`COCO80_CATEGORY_IDS`]), rather than from a COCO results list.
    pub candidate_table: bool,
    /// Image id of each row.
    pub image_ids: Vec<i64>,
    /// COCO category id of each row.
    pub category_ids: Vec<i64>,
    /// The box of each row, in [`format`](Self::format).
    pub boxes: Vec<[f64; 4]>,
    /// How [`boxes`](Self::boxes) are written: `Xyxy` for candidate tables, `Xywh` for COCO results.
    pub format: BoxFormat,
    /// Score of each row.
    pub scores: Vec<f64>,
    /// The ids a results list wrote as floats (`42.0`), read as integers; `None` when all were
    /// integers (always for a candidate table, whose rows are numbers).
    pub float_ids: Option<FloatIds>,
}

impl Detections {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// Every box as corners `[x1, y1, x2, y2]`, the suppression engine's form.
    ///
    /// # Examples
    ///
    /// ```
    /// let text = r#"[{"image_id": 1, "category_id": 3, "bbox": [10, 20, 30, 40], "score": 0.9}]"#;
    /// let dets = softkit_io::parse_detections(text, "inline.json")?;
    /// assert_eq!(dets.boxes, vec![[10.0, 20.0, 30.0, 40.0]]); // as written
    /// assert_eq!(dets.xyxy(), vec![[10.0, 20.0, 40.0, 60.0]]);
    /// # Ok::<(), softkit_io::IoError>(())
    /// ```
    pub fn xyxy(&self) -> Vec<[f64; 4]> {
        match self.format {
            BoxFormat::Xyxy => self.boxes.clone(),
            _ => self.boxes.iter().map(|&b| to_xyxy(b, self.format)).collect(),
        }
    }

    /// The COCO `bbox` (`[x, y, w, h]`) of row `row`: as written for a results list, from the
    /// corners for a candidate table.
    pub fn coco_bbox(&self, row: usize) -> [f64; 4] {
        let b = self.boxes[row];
        match self.format {
            BoxFormat::Xywh => b,
            _ => {
                let [x1, y1, x2, y2] = to_xyxy(b, self.format);
                [x1, y1, x2 - x1, y2 - y1]
            }
        }
    }

    /// The rows at `rows`, in the given order, with the same images and format.
    ///
    /// # Panics
    ///
    /// If a row is out of range.
    pub fn select(&self, rows: &[usize]) -> Detections {
        Detections {
            images: self.images.clone(),
            candidate_table: self.candidate_table,
            image_ids: rows.iter().map(|&r| self.image_ids[r]).collect(),
            category_ids: rows.iter().map(|&r| self.category_ids[r]).collect(),
            boxes: rows.iter().map(|&r| self.boxes[r]).collect(),
            format: self.format,
            scores: rows.iter().map(|&r| self.scores[r]).collect(),
            float_ids: self.float_ids.clone(),
        }
    }

    fn new(images: Vec<ImageInfo>, candidate_table: bool, format: BoxFormat, rows: usize) -> Self {
        Detections {
            images,
            candidate_table,
            image_ids: Vec::with_capacity(rows),
            category_ids: Vec::with_capacity(rows),
            boxes: Vec::with_capacity(rows),
            format,
            scores: Vec::with_capacity(rows),
            float_ids: None,
        }
    }

    fn push(&mut self, image_id: i64, category_id: i64, bbox: [f64; 4], score: f64) {
        self.image_ids.push(image_id);
        self.category_ids.push(category_id);
        self.boxes.push(bbox);
        self.scores.push(score);
    }
}

fn to_xyxy(b: [f64; 4], format: BoxFormat) -> [f64; 4] {
    match format {
        BoxFormat::Xyxy => b,
        BoxFormat::Xywh => [b[0], b[1], b[0] + b[2], b[1] + b[3]],
        BoxFormat::Cxcywh => [b[0] - b[2] * 0.5, b[1] - b[3] * 0.5, b[0] + b[2] * 0.5, b[1] + b[3] * 0.5],
    }
}

#[derive(Deserialize)]
#[serde(
    expecting = "a candidate table {\"images\": [...], \"candidates\": [[image_id, class_index, x1, y1, x2, y2, score], ...]}"
)]
struct CandidateTable {
    #[serde(default)]
    images: Vec<ImageInfo>,
    candidates: Vec<[f64; 7]>,
}

#[derive(Serialize)]
struct CocoResult {
    image_id: i64,
    category_id: i64,
    bbox: [f64; 4],
    score: f64,
}

/// Reads a candidate table (`{"images": [...], "candidates": [[image_id, class_index, x1, y1,
/// x2, y2, score], ...]}`) or a COCO results list (`[{"image_id", "category_id", "bbox": [x, y,
/// w, h], "score"}, ...]`, read by the same parser as [`CocoResults`](crate::CocoResults)).
///
/// # Errors
///
/// [`IoError`] if the file cannot be read, is not JSON of either shape (with line and column),
/// or holds an invalid value (a result without a four-number `bbox`, a negative size, an unknown
/// class index).
///
/// # Examples
///
/// ```no_run
/// let dets = softkit_io::read_detections("candidates.json")?;
/// println!("{} candidates", dets.len());
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn read_detections(path: impl AsRef<Path>) -> Result<Detections, IoError> {
    let path = path.as_ref();
    parse_detections(&read_text(path)?, &path.display().to_string())
}

/// Parses the text of a candidate table or a COCO results list; `origin` names it in errors.
///
/// # Errors
///
/// As [`read_detections`].
///
/// # Examples
///
/// ```
/// let err = softkit_io::parse_detections(
///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -4, 4], "score": 0.5}]"#,
///     "dets.json",
/// ).unwrap_err();
/// assert_eq!(err.to_string(), "results[0].bbox width = -4 is negative");
/// ```
pub fn parse_detections(text: &str, origin: &str) -> Result<Detections, IoError> {
    if text.trim_start().starts_with('[') {
        let rows: Vec<RawDetection> = parse_json(text, Origin::text(origin), "COCO")?;
        let mut dets = Detections::new(Vec::new(), false, BoxFormat::Xywh, rows.len());
        let mut floats = FloatIdCounter::default();
        for (index, r) in rows.iter().enumerate() {
            let item = || format!("results[{index}]");
            let image_id = floats.id(r.image_id, || format!("{}.image_id", item()));
            let category_id = floats.id(r.category_id, || format!("{}.category_id", item()));
            let bbox = r.bbox.ok_or_else(|| IoError::MissingField {
                item: item(),
                field: "bbox",
                needed_by: "box suppression needs",
            })?;
            dets.push(image_id, category_id, bbox.checked(item)?, r.score);
        }
        dets.float_ids = floats.finish();
        return Ok(dets);
    }
    let table: CandidateTable = parse_json(text, Origin::text(origin), "candidate table")?;
    let mut dets = Detections::new(table.images, true, BoxFormat::Xyxy, table.candidates.len());
    for (index, row) in table.candidates.iter().enumerate() {
        let [image_id, class_index, x1, y1, x2, y2, score] = *row;
        let (image_id, category_id) = candidate_ids(origin, index, image_id, class_index)?;
        dets.push(image_id, category_id, [x1, y1, x2, y2], score);
    }
    Ok(dets)
}

/// A number that is exactly an integer id: from 2^53 on, two ids written apart can read as one.
///
/// # Examples
///
/// ```
/// assert_eq!(softkit_io::integer_id(42.0), Some(42));
/// assert_eq!(softkit_io::integer_id(4.5), None);
/// assert_eq!(softkit_io::integer_id(1e16), None);
/// ```
pub fn integer_id(value: f64) -> Option<i64> {
    // Below 2^53, not at it: a written 2^53 + 1 reads as 2^53, so 2^53 itself may be a rounded id.
    (value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0).then_some(value as i64)
}

/// The image id and COCO category id of candidate row `index`: an exact integer image id and a
/// class index in `0..80`.
pub(crate) fn candidate_ids(
    origin: &str,
    index: usize,
    image_id: f64,
    class_index: f64,
) -> Result<(i64, i64), IoError> {
    let invalid = |field, value, expected| IoError::Invalid {
        origin: origin.to_string(),
        item: format!("candidates[{index}]"),
        field,
        value,
        expected,
    };
    let category_id = usize::try_from(class_index as i64)
        .ok()
        .filter(|&c| c as f64 == class_index)
        .and_then(|c| COCO80_CATEGORY_IDS.get(c))
        .ok_or_else(|| invalid("class_index", class_index, "an integer in 0..80"))?;
    let image_id =
        integer_id(image_id).ok_or_else(|| invalid("image_id", image_id, "an integer of magnitude below 2^53"))?;
    Ok((image_id, *category_id))
}

/// Writes the given rows of `dets` as a COCO results list (`bbox` as `[x, y, w, h]`, as written
/// when the input was a results list), with the given scores (the decayed scores of Soft-NMS).
///
/// # Errors
///
/// [`IoError::Write`] if the file cannot be written.
///
/// # Examples
///
/// ```
/// let dets = softkit_io::parse_detections(r#"{"candidates": [[1, 0, 0, 0, 2, 2, 0.9]]}"#, "c.json")?;
/// let path = std::env::temp_dir().join("softkit_io_doc_results.json");
/// softkit_io::write_coco_results(&path, &dets, &[(0, 0.45)])?;
/// let written = std::fs::read_to_string(&path).unwrap();
/// assert_eq!(written, r#"[{"image_id":1,"category_id":1,"bbox":[0.0,0.0,2.0,2.0],"score":0.45}]"#);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn write_coco_results(path: impl AsRef<Path>, dets: &Detections, rows: &[(usize, f64)]) -> Result<(), IoError> {
    let path = path.as_ref();
    let results: Vec<CocoResult> = rows
        .iter()
        .map(|&(row, score)| CocoResult {
            image_id: dets.image_ids[row],
            category_id: dets.category_ids[row],
            bbox: dets.coco_bbox(row),
            score,
        })
        .collect();
    let write_error = |source| IoError::Write { path: path.to_path_buf(), source };
    let text = serde_json::to_string(&results).map_err(|e| write_error(std::io::Error::other(e)))?;
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse_detections("{\"candidates\": [[1, 2,\n 3,, 4]]}", "c.json").unwrap_err();
        assert_eq!(err.to_string(), "malformed JSON in c.json: candidates[0][3]: expected value at line 2 column 4");
    }

    #[test]
    fn wrong_row_width_is_reported() {
        let err = parse_detections("{\"candidates\": [[1, 2, 3]]}", "c.json").unwrap_err();
        assert!(
            err.to_string().starts_with("c.json is not in the candidate table format: candidates[0]: invalid length 3"),
            "{err}"
        );
    }

    #[test]
    fn unknown_class_index_and_inexact_image_ids_are_named() {
        let err = parse_detections("{\"candidates\": [[1, 80, 0, 0, 1, 1, 0.5]]}", "c.json").unwrap_err();
        assert_eq!(err.to_string(), "c.json: candidates[0].class_index = 80 is invalid: expected an integer in 0..80");
        let err = parse_detections("{\"candidates\": [[1e17, 0, 0, 0, 1, 1, 0.5]]}", "c.json").unwrap_err();
        assert!(err.to_string().starts_with("c.json: candidates[0].image_id = 100000000000000000 is invalid"), "{err}");
    }

    #[test]
    fn non_finite_numbers_are_rejected() {
        // JSON has no NaN or inf: Python's `json.dump` writes `NaN`, and a huge exponent overflows.
        let err = parse_detections(
            "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,1,1], \"score\": 1e999}]",
            "r.json",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed JSON in r.json: results[0].score: number out of range at line 1 column 68"
        );
        let err = parse_detections("{\"candidates\": [[1, 0, NaN, 0, 1, 1, 0.5]]}", "c.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed JSON in c.json: candidates[0][2]: NaN is not a JSON number (JSON has no NaN or infinity; give a finite number, or drop the object) at line 1 column 24"
        );
    }

    #[test]
    fn results_keep_their_boxes_as_written() {
        // (0.1 + 0.3) - 0.1 is not 0.3: a round trip through corners would change the width.
        let text = r#"[{"image_id": 1, "category_id": 1, "bbox": [0.1, 0.2, 0.3, 0.1], "score": 0.5}]"#;
        let dets = parse_detections(text, "r.json").unwrap();
        assert_ne!(dets.xyxy()[0][2] - 0.1, 0.3);
        assert_eq!(dets.coco_bbox(0), [0.1, 0.2, 0.3, 0.1]);
        let err = parse_detections(r#"[{"image_id": 1, "category_id": 1, "score": 0.5}]"#, "r.json").unwrap_err();
        assert_eq!(err.to_string(), "results[0] has no bbox, which box suppression needs");
    }
}
