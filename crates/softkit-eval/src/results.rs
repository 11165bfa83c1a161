//! COCO detection results (`[{image_id, category_id, bbox, score}, ...]`), loaded as pycocotools'
//! `COCO.loadRes` loads them.

use std::path::Path;

use serde::Deserialize;

use crate::json_field::{RawBbox, parse_path, parse_str, parse_value};
use crate::{CocoGroundTruth, EvalError};

/// One box detection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// The image it was found in.
    pub image_id: i64,
    /// The predicted category.
    pub category_id: i64,
    /// `[x, y, width, height]`.
    pub bbox: [f64; 4],
    /// The confidence; higher is more confident.
    pub score: f64,
}

impl Detection {
    /// `width * height`, the area that `loadRes` assigns to a box result.
    pub fn area(&self) -> f64 {
        self.bbox[2] * self.bbox[3]
    }
}

#[derive(Deserialize)]
struct RawDetection {
    image_id: i64,
    category_id: i64,
    bbox: RawBbox,
    score: f64,
}

/// Box detections checked against a ground truth.
///
/// As in pycocotools' `loadRes`, a result's area is `width * height`, it is never a crowd, and its
/// id is its position in the list plus one. Unlike pycocotools, a result on an image or category
/// that the ground truth does not list is an error rather than an assertion or a silent drop, and
/// an empty list is allowed.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 5}], "annotations": []}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.9}]"#,
///     &gt,
/// )?;
/// assert_eq!(dt.detections()[0].area(), 12.0);
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CocoResults {
    detections: Vec<Detection>,
}

impl CocoResults {
    /// Reads a results JSON file.
    pub fn from_path(path: impl AsRef<Path>, gt: &CocoGroundTruth) -> Result<Self, EvalError> {
        Self::from_raw(parse_path(path.as_ref())?, gt)
    }

    /// Parses results JSON text.
    pub fn from_json_str(text: &str, gt: &CocoGroundTruth) -> Result<Self, EvalError> {
        Self::from_raw(parse_str(text, "results")?, gt)
    }

    /// Reads results from an already-parsed JSON value (an array of objects).
    pub fn from_value(value: &serde_json::Value, gt: &CocoGroundTruth) -> Result<Self, EvalError> {
        Self::from_raw(parse_value(value, "results")?, gt)
    }

    /// Checks detections made in memory (by a suppression run, say) against the ground truth.
    pub fn from_detections(detections: Vec<Detection>, gt: &CocoGroundTruth) -> Result<Self, EvalError> {
        for (index, d) in detections.iter().enumerate() {
            let item = || format!("results[{index}]");
            let [x, y, w, h] = d.bbox;
            for (field, value) in [("bbox[0]", x), ("bbox[1]", y), ("bbox[2]", w), ("bbox[3]", h), ("score", d.score)] {
                if !value.is_finite() {
                    return Err(EvalError::NonFinite { item: item(), field, value });
                }
            }
            RawBbox { values: d.bbox, len: 4 }.checked(item)?;
            check_ids(d.image_id, d.category_id, gt, item)?;
        }
        Ok(CocoResults { detections })
    }

    fn from_raw(raw: Vec<RawDetection>, gt: &CocoGroundTruth) -> Result<Self, EvalError> {
        let mut detections = Vec::with_capacity(raw.len());
        for (index, r) in raw.into_iter().enumerate() {
            let item = || format!("results[{index}]");
            let bbox = r.bbox.checked(item)?;
            check_ids(r.image_id, r.category_id, gt, item)?;
            detections.push(Detection { image_id: r.image_id, category_id: r.category_id, bbox, score: r.score });
        }
        Ok(CocoResults { detections })
    }

    /// The detections, in input order; detection `i` has id `i + 1`.
    pub fn detections(&self) -> &[Detection] {
        &self.detections
    }

    /// Number of detections.
    pub fn len(&self) -> usize {
        self.detections.len()
    }

    /// Whether there are no detections.
    pub fn is_empty(&self) -> bool {
        self.detections.is_empty()
    }
}

fn check_ids(
    image_id: i64,
    category_id: i64,
    gt: &CocoGroundTruth,
    item: impl Fn() -> String,
) -> Result<(), EvalError> {
    if !gt.has_image(image_id) {
        return Err(EvalError::UnknownImage { item: item(), image_id });
    }
    if !gt.has_category(category_id) {
        return Err(EvalError::UnknownCategory { item: item(), category_id });
    }
    Ok(())
}
