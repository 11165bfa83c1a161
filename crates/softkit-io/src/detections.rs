//! Detections grouped for suppression, read from candidate tables or COCO results.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{COCO80_CATEGORY_IDS, IoError};

/// One image of a candidate table.
///
/// # Examples
///
/// ```
/// let info = softkit_io::ImageInfo { id: 139, file_name: Some("000000000139.jpg".into()), width: 640, height: 426 };
/// assert_eq!(info.id, 139);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The image id.
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
/// # Examples
///
/// ```
/// let text = r#"{"images": [], "candidates": [[7, 0, 1, 2, 11, 22, 0.5]]}"#;
/// let dets = softkit_io::parse_detections(text, "cands.json")?;
/// assert_eq!((dets.image_ids[0], dets.category_ids[0]), (7, 1)); // class 0 is COCO category 1
/// assert_eq!(dets.boxes[0], [1.0, 2.0, 11.0, 22.0]);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detections {
    /// The images listed by a candidate table (empty for COCO results).
    pub images: Vec<ImageInfo>,
    /// Image id of each row.
    pub image_ids: Vec<i64>,
    /// COCO category id of each row.
    pub category_ids: Vec<i64>,
    /// `[x1, y1, x2, y2]` of each row.
    pub boxes: Vec<[f64; 4]>,
    /// Score of each row.
    pub scores: Vec<f64>,
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

    fn push(&mut self, image_id: i64, category_id: i64, xyxy: [f64; 4], score: f64) {
        self.image_ids.push(image_id);
        self.category_ids.push(category_id);
        self.boxes.push(xyxy);
        self.scores.push(score);
    }

    /// Row indices grouped by image, in ascending image id; rows keep file order in a group.
    pub fn rows_by_image(&self) -> Vec<(i64, Vec<usize>)> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| self.image_ids[i]);
        order
            .chunk_by(|&a, &b| self.image_ids[a] == self.image_ids[b])
            .map(|g| (self.image_ids[g[0]], g.to_vec()))
            .collect()
    }
}

#[derive(Deserialize)]
struct CandidateTable {
    #[serde(default)]
    images: Vec<ImageInfo>,
    candidates: Vec<[f64; 7]>,
}

#[derive(Deserialize, Serialize)]
struct CocoResult {
    image_id: i64,
    category_id: i64,
    bbox: [f64; 4],
    score: f64,
}

/// Reads a candidate table or a COCO results file (see the crate docs for both formats).
///
/// # Errors
///
/// [`IoError`] if the file cannot be read, is not JSON of either shape (with line and column),
/// or holds an invalid value (a non-finite number, a negative size, an unknown class index).
///
/// # Examples
///
/// ```no_run
/// let dets = softkit_io::read_detections("candidates.json")?;
/// println!("{} candidates", dets.len());
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn read_detections(path: &str) -> Result<Detections, IoError> {
    let text = std::fs::read_to_string(path).map_err(|source| IoError::File { path: path.to_string(), source })?;
    parse_detections(&text, path)
}

/// Parses the text of a candidate table or a COCO results file; `path` names it in errors.
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
/// assert_eq!(err.to_string(), "dets.json: [0].bbox: w = -4 is negative");
/// ```
pub fn parse_detections(text: &str, path: &str) -> Result<Detections, IoError> {
    let invalid = |location: String, message: String| IoError::Invalid { path: path.to_string(), location, message };
    let mut dets = Detections::default();
    if text.trim_start().starts_with('[') {
        let rows: Vec<CocoResult> = serde_json::from_str(text).map_err(|e| IoError::json(path, &e))?;
        for (i, r) in rows.into_iter().enumerate() {
            let [x, y, w, h] = r.bbox;
            check_finite(&[("x", x), ("y", y), ("w", w), ("h", h)]).map_err(|m| invalid(format!("[{i}].bbox"), m))?;
            for (field, value) in [("w", w), ("h", h)] {
                if value < 0.0 {
                    return Err(invalid(format!("[{i}].bbox"), format!("{field} = {value} is negative")));
                }
            }
            check_finite(&[("score", r.score)]).map_err(|m| invalid(format!("[{i}]"), m))?;
            dets.push(r.image_id, r.category_id, [x, y, x + w, y + h], r.score);
        }
        return Ok(dets);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| IoError::json(path, &e))?;
    if value.get("candidates").is_none() {
        return Err(invalid(
            "top level".into(),
            "expected a COCO results list or an object with a \"candidates\" table".into(),
        ));
    }
    let table: CandidateTable =
        serde_json::from_value(value).map_err(|e| invalid("top level".into(), e.to_string()))?;
    dets.images = table.images;
    for (i, row) in table.candidates.iter().enumerate() {
        let [image_id, class_index, x1, y1, x2, y2, score] = *row;
        let location = || format!("candidates[{i}]");
        check_finite(&[("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2), ("score", score)])
            .map_err(|m| invalid(location(), m))?;
        let category_id = usize::try_from(class_index as i64)
            .ok()
            .filter(|&c| c as f64 == class_index)
            .and_then(|c| COCO80_CATEGORY_IDS.get(c))
            .ok_or_else(|| invalid(location(), format!("class_index = {class_index} is not an integer in 0..80")))?;
        if image_id.fract() != 0.0 || !image_id.is_finite() {
            return Err(invalid(location(), format!("image_id = {image_id} is not an integer")));
        }
        dets.push(image_id as i64, *category_id, [x1, y1, x2, y2], score);
    }
    Ok(dets)
}

fn check_finite(fields: &[(&str, f64)]) -> Result<(), String> {
    match fields.iter().find(|(_, v)| !v.is_finite()) {
        Some((field, value)) => Err(format!("{field} = {value} is not finite")),
        None => Ok(()),
    }
}

/// Writes the given rows of `dets` as a COCO results list (`bbox` as `[x, y, w, h]`), with the
/// given scores (the decayed scores of Soft-NMS).
///
/// # Errors
///
/// [`IoError::File`] if the file cannot be written.
///
/// # Examples
///
/// ```
/// let dets = softkit_io::parse_detections(r#"{"candidates": [[1, 0, 0, 0, 2, 2, 0.9]]}"#, "c.json")?;
/// let path = std::env::temp_dir().join("softkit_io_doc_results.json");
/// softkit_io::write_coco_results(path.to_str().unwrap(), &dets, &[(0, 0.45)])?;
/// let written = std::fs::read_to_string(&path).unwrap();
/// assert_eq!(written, r#"[{"image_id":1,"category_id":1,"bbox":[0.0,0.0,2.0,2.0],"score":0.45}]"#);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn write_coco_results(path: &str, dets: &Detections, rows: &[(usize, f64)]) -> Result<(), IoError> {
    let results: Vec<CocoResult> = rows
        .iter()
        .map(|&(row, score)| {
            let [x1, y1, x2, y2] = dets.boxes[row];
            CocoResult {
                image_id: dets.image_ids[row],
                category_id: dets.category_ids[row],
                bbox: [x1, y1, x2 - x1, y2 - y1],
                score,
            }
        })
        .collect();
    let file_error = |source| IoError::File { path: path.to_string(), source };
    let text = serde_json::to_string(&results).map_err(|e| file_error(std::io::Error::other(e)))?;
    std::fs::write(path, text).map_err(file_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse_detections("{\"candidates\": [[1, 2,\n 3,, 4]]}", "c.json").unwrap_err();
        assert_eq!(err.to_string(), "c.json:2:4: malformed JSON: expected value");
    }

    #[test]
    fn wrong_row_width_is_reported() {
        let err = parse_detections("{\"candidates\": [[1, 2, 3]]}", "c.json").unwrap_err();
        assert!(err.to_string().starts_with("c.json: top level: invalid length 3"), "{err}");
    }

    #[test]
    fn unknown_class_index_is_named() {
        let err = parse_detections("{\"candidates\": [[1, 80, 0, 0, 1, 1, 0.5]]}", "c.json").unwrap_err();
        assert_eq!(err.to_string(), "c.json: candidates[0]: class_index = 80 is not an integer in 0..80");
    }

    #[test]
    fn non_finite_numbers_are_rejected() {
        // JSON has no NaN or inf: Python's `json.dump` writes `NaN`, and a huge exponent overflows.
        let err = parse_detections(
            "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,1,1], \"score\": 1e999}]",
            "r.json",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "r.json:1:68: malformed JSON: number out of range");
        let err = parse_detections("{\"candidates\": [[1, 0, NaN, 0, 1, 1, 0.5]]}", "c.json").unwrap_err();
        assert_eq!(err.to_string(), "c.json:1:24: malformed JSON: expected value");
    }

    #[test]
    fn groups_rows_by_image() {
        let dets = parse_detections(
            "{\"candidates\": [[2, 0, 0, 0, 1, 1, 0.5], [1, 0, 0, 0, 1, 1, 0.4], [2, 1, 0, 0, 1, 1, 0.3]]}",
            "c.json",
        )
        .unwrap();
        assert_eq!(dets.rows_by_image(), vec![(1, vec![1]), (2, vec![0, 2])]);
    }
}
