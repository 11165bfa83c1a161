//! COCO ground truth (`instances_*.json`): images, categories and annotations, validated.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::json::{
    CrowdFlag, FloatIdCounter, FloatIds, Origin, RawBbox, RawId, check_bbox, check_keypoint_triples, check_rbox,
    parse_json, parse_path, parse_value,
};
use crate::segmentation::RawSegmentation;
use crate::{IoError, Segmentation};

/// A category of the ground truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// The `id` field.
    pub id: i64,
    /// The `name` field (empty when the file has none).
    pub name: String,
}

/// One ground-truth annotation, as evaluation sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct GtAnnotation {
    /// The `id` field, unique within the file.
    pub id: i64,
    /// The `image_id` field; an image of the ground truth.
    pub image_id: i64,
    /// The `category_id` field; a category of the ground truth.
    pub category_id: i64,
    /// The `area` field. Area ranges (small, medium, large) test this value, not the box's area.
    pub area: f64,
    /// The `iscrowd` field. Crowd regions are ignored, and may absorb any number of detections.
    pub iscrowd: bool,
    /// The `bbox` field as `[x, y, width, height]`, when present.
    pub bbox: Option<[f64; 4]>,
}

#[derive(Deserialize)]
#[serde(expecting = "a COCO ground truth object {\"images\": [...], \"annotations\": [...], \"categories\": [...]}")]
struct RawGt {
    images: Vec<RawImage>,
    #[serde(default)]
    annotations: Vec<RawAnnotation>,
    #[serde(default)]
    categories: Vec<RawCategory>,
}

#[derive(Deserialize)]
#[serde(expecting = "an image object {\"id\": ..., \"height\": ..., \"width\": ...}")]
struct RawImage {
    id: RawId,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    file_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(expecting = "a category object {\"id\": ..., \"name\": ...}")]
struct RawCategory {
    id: RawId,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(expecting = "an annotation object {\"id\", \"image_id\", \"category_id\", \"area\", \"iscrowd\", ...}")]
struct RawAnnotation {
    id: RawId,
    image_id: RawId,
    category_id: RawId,
    area: f64,
    iscrowd: CrowdFlag,
    bbox: Option<RawBbox>,
    segmentation: Option<RawSegmentation>,
    #[serde(default)]
    keypoints: Option<Vec<f64>>,
    #[serde(default)]
    num_keypoints: Option<u32>,
    /// A rotated box `[cx, cy, w, h, angle]`, angle in radians (rotated evaluation).
    #[serde(default)]
    rbox: Option<[f64; 5]>,
    /// DOTA's `difficult` flag (the VOC protocol ignores such objects).
    #[serde(default)]
    difficult: Option<serde_json::Value>,
    /// A 3-D box `[x, y, z, dx, dy, dz, heading]` (3-D and bird's-eye evaluation).
    #[serde(default)]
    box3d: Option<[f64; 7]>,
    /// A time segment `[start, end]` (temporal evaluation).
    #[serde(default)]
    segment: Option<[f64; 2]>,
}

/// A COCO ground-truth file: the images, the categories and the annotations.
///
/// Loading checks what pycocotools would silently accept or fail on later with a `KeyError`:
/// every annotation names a listed image and category, has an `area` and an `iscrowd`, a unique
/// `id`, and a `bbox` (when present) of four numbers with no negative side. Run-length
/// segmentations are decoded and checked; polygons are checked when mask evaluation rasterises
/// them. `keypoints`, when present, must be a non-empty list of `x, y, v` triples.
///
/// # Examples
///
/// ```
/// use softkit_io::CocoGroundTruth;
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 7}, {"id": 3}],
///         "categories": [{"id": 1, "name": "person"}],
///         "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "area": 100.0,
///                          "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#,
/// )?;
/// assert_eq!(gt.image_ids(), &[3, 7]);
/// assert_eq!(gt.categories()[0].name, "person");
/// assert_eq!(gt.annotations()[0].bbox, Some([0.0, 0.0, 10.0, 10.0]));
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CocoGroundTruth {
    image_ids: Vec<i64>,
    categories: Vec<Category>,
    annotations: Vec<GtAnnotation>,
    /// `(height, width)` per image, aligned with `image_ids`.
    image_sizes: Vec<Option<(u32, u32)>>,
    /// The `file_name` per image, aligned with `image_ids`.
    file_names: Vec<Option<String>>,
    /// The `segmentation` of each annotation, aligned with `annotations`.
    segmentations: Vec<Option<Segmentation>>,
    /// The `keypoints` (`[x1, y1, v1, x2, ...]`) of each annotation, aligned with `annotations`.
    keypoints: Vec<Option<Vec<f64>>>,
    /// The `num_keypoints` of each annotation, aligned with `annotations`.
    num_keypoints: Vec<Option<u32>>,
    /// The `rbox` of each annotation, aligned with `annotations`.
    rboxes: Vec<Option<[f64; 5]>>,
    /// The `difficult` flag of each annotation (false when absent), aligned with `annotations`.
    difficult: Vec<bool>,
    /// The `box3d` of each annotation, aligned with `annotations`.
    boxes3d: Vec<Option<[f64; 7]>>,
    /// The `segment` of each annotation, aligned with `annotations`.
    segments: Vec<Option<[f64; 2]>>,
    /// The ids the file wrote as floats.
    float_ids: Option<FloatIds>,
    /// The image ids as written (file order, repeats kept).
    images_as_written: Vec<i64>,
    /// The category ids as written (file order, repeats kept).
    categories_as_written: Vec<i64>,
}

impl CocoGroundTruth {
    /// Reads a ground-truth JSON file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, IoError> {
        Self::from_raw(parse_path(path.as_ref(), "COCO")?)
    }

    /// Parses ground-truth JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, IoError> {
        Self::from_raw(parse_json(text, Origin::text("ground truth"), "COCO")?)
    }

    /// Parses JSON text that the caller serialised from an in-memory object called `name` (a
    /// Python dict, say): errors give the JSON path in that object, not a line and column of text
    /// the user never saw.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = softkit_io::CocoGroundTruth::from_serialised_json(r#"{"images": [{"id": "a"}]}"#, "gt").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "gt is not in the COCO format: images[0].id: invalid type: string \"a\", expected an integer id"
    /// );
    /// ```
    pub fn from_serialised_json(text: &str, name: &str) -> Result<Self, IoError> {
        Self::from_raw(parse_json(text, Origin::serialised(name), "COCO")?)
    }

    /// Reads ground truth from an already-parsed JSON value.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, IoError> {
        Self::from_raw(parse_value(value, "ground truth", "COCO")?)
    }

    /// The ids the file wrote as floats (`42.0`) and the loader read as integers, as pycocotools
    /// does; `None` when all were integers. Callers pass this on as a warning.
    pub fn float_ids(&self) -> Option<&FloatIds> {
        self.float_ids.as_ref()
    }

    /// Builds ground truth from its parts, with the same checks as the loaders.
    ///
    /// Image and category ids may repeat; each counts once.
    pub fn new(
        image_ids: impl IntoIterator<Item = i64>,
        categories: impl IntoIterator<Item = Category>,
        annotations: Vec<GtAnnotation>,
    ) -> Result<Self, IoError> {
        let mut image_ids: Vec<i64> = image_ids.into_iter().collect();
        let images_as_written = image_ids.clone();
        image_ids.sort_unstable();
        image_ids.dedup();
        let mut categories: Vec<Category> = categories.into_iter().collect();
        let categories_as_written = categories.iter().map(|c| c.id).collect();
        categories.sort_by_key(|c| c.id);
        categories.dedup_by_key(|c| c.id);
        let mut first_index: HashMap<i64, usize> = HashMap::with_capacity(annotations.len());
        for (index, ann) in annotations.iter().enumerate() {
            let item = || format!("annotations[{index}]");
            if image_ids.binary_search(&ann.image_id).is_err() {
                return Err(IoError::UnknownImage { item: item(), image_id: ann.image_id });
            }
            if categories.is_empty() {
                // Most likely a file without its `categories` key: say so, not "unknown id".
                let needed_by = "each annotation's category_id must name";
                return Err(IoError::MissingField { item: "the ground truth".into(), field: "categories", needed_by });
            }
            if categories.binary_search_by_key(&ann.category_id, |c| c.id).is_err() {
                return Err(IoError::UnknownCategory { item: item(), category_id: ann.category_id });
            }
            if let Some(first) = first_index.insert(ann.id, index) {
                return Err(IoError::DuplicateAnnotationId { item: item(), id: ann.id, first });
            }
            if let Some(bbox) = ann.bbox {
                check_bbox(bbox, item)?;
            }
        }
        let (image_sizes, segmentations) = (vec![None; image_ids.len()], vec![None; annotations.len()]);
        let file_names = vec![None; image_ids.len()];
        let (keypoints, num_keypoints) = (vec![None; annotations.len()], vec![None; annotations.len()]);
        let (rboxes, difficult) = (vec![None; annotations.len()], vec![false; annotations.len()]);
        let (boxes3d, segments) = (vec![None; annotations.len()], vec![None; annotations.len()]);
        Ok(CocoGroundTruth {
            float_ids: None,
            images_as_written,
            categories_as_written,
            image_ids,
            categories,
            annotations,
            image_sizes,
            file_names,
            segmentations,
            keypoints,
            num_keypoints,
            rboxes,
            difficult,
            boxes3d,
            segments,
        })
    }

    fn from_raw(raw: RawGt) -> Result<Self, IoError> {
        let mut floats = FloatIdCounter::default();
        let image_ids: Vec<(i64, Option<(u32, u32)>)> = (raw.images.iter().enumerate())
            .map(|(i, image)| (floats.id(image.id, || format!("images[{i}].id")), image.height.zip(image.width)))
            .collect();
        let categories: Vec<Category> = (raw.categories.into_iter().enumerate())
            .map(|(i, c)| Category { id: floats.id(c.id, || format!("categories[{i}].id")), name: c.name })
            .collect();
        let mut annotations = Vec::with_capacity(raw.annotations.len());
        let mut segmentations = Vec::with_capacity(raw.annotations.len());
        let mut keypoints = Vec::with_capacity(raw.annotations.len());
        let mut num_keypoints = Vec::with_capacity(raw.annotations.len());
        let mut rboxes = Vec::with_capacity(raw.annotations.len());
        let mut difficult = Vec::with_capacity(raw.annotations.len());
        let mut boxes3d = Vec::with_capacity(raw.annotations.len());
        let mut segments = Vec::with_capacity(raw.annotations.len());
        for (index, a) in raw.annotations.into_iter().enumerate() {
            let item = || format!("annotations[{index}]");
            let bbox = match a.bbox {
                Some(b) => Some(b.checked(item)?),
                None => None,
            };
            segmentations.push(match a.segmentation {
                Some(seg) => Some(seg.checked().map_err(|source| IoError::Segmentation { item: item(), source })?),
                None => None,
            });
            if let Some(kp) = &a.keypoints {
                check_keypoint_triples(kp, item)?;
            }
            keypoints.push(a.keypoints);
            num_keypoints.push(a.num_keypoints);
            rboxes.push(a.rbox.map(|r| check_rbox(r, item)).transpose()?);
            boxes3d.push(a.box3d);
            segments.push(a.segment);
            difficult.push(match a.difficult {
                None => false,
                Some(flag) => match flag.as_bool().or_else(|| flag.as_u64().filter(|&v| v <= 1).map(|v| v == 1)) {
                    Some(value) => value,
                    None => {
                        return Err(IoError::Flag { item: format!("{}.difficult", item()), value: flag.to_string() });
                    }
                },
            });
            annotations.push(GtAnnotation {
                id: floats.id(a.id, || format!("{}.id", item())),
                image_id: floats.id(a.image_id, || format!("{}.image_id", item())),
                category_id: floats.id(a.category_id, || format!("{}.category_id", item())),
                area: a.area,
                iscrowd: a.iscrowd.0,
                bbox,
            });
        }
        // pycocotools indexes images by id, so a repeated id takes the last entry's size.
        let sizes: HashMap<i64, Option<(u32, u32)>> = image_ids.iter().copied().collect();
        let mut names: HashMap<i64, Option<String>> =
            image_ids.iter().map(|&(id, _)| id).zip(raw.images.into_iter().map(|i| i.file_name)).collect();
        let mut gt = Self::new(image_ids.iter().map(|&(id, _)| id), categories, annotations)?;
        gt.float_ids = floats.finish();
        gt.image_sizes = gt.image_ids.iter().map(|id| sizes[id]).collect();
        gt.file_names = gt.image_ids.iter().map(|id| names.remove(id).flatten()).collect();
        gt.segmentations = segmentations;
        gt.keypoints = keypoints;
        gt.num_keypoints = num_keypoints;
        gt.rboxes = rboxes;
        gt.difficult = difficult;
        gt.boxes3d = boxes3d;
        gt.segments = segments;
        Ok(gt)
    }

    /// The image ids, sorted ascending, each once.
    pub fn image_ids(&self) -> &[i64] {
        &self.image_ids
    }

    /// The image ids in the order the file lists its images, repeats kept (pycocotools'
    /// `getImgIds()` is this order, each id at its first place).
    pub fn image_ids_as_written(&self) -> &[i64] {
        &self.images_as_written
    }

    /// The category ids in the order the file lists its categories, repeats kept (pycocotools'
    /// `getCatIds()`).
    pub fn category_ids_as_written(&self) -> &[i64] {
        &self.categories_as_written
    }

    /// The categories, sorted by id, each once.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The category ids, sorted ascending.
    pub fn category_ids(&self) -> Vec<i64> {
        self.categories.iter().map(|c| c.id).collect()
    }

    /// The annotations, in file order.
    pub fn annotations(&self) -> &[GtAnnotation] {
        &self.annotations
    }

    /// The `segmentation` of each annotation (aligned with [`annotations`](Self::annotations)),
    /// `None` where an annotation has none. Always `None` for ground truth made with [`new`](Self::new).
    pub fn segmentations(&self) -> &[Option<Segmentation>] {
        &self.segmentations
    }

    /// The `keypoints` of each annotation (aligned with [`annotations`](Self::annotations)) as
    /// written, `[x1, y1, v1, x2, y2, v2, ...]`; `None` where an annotation has none. Always `None`
    /// for ground truth made with [`new`](Self::new).
    pub fn keypoints(&self) -> &[Option<Vec<f64>>] {
        &self.keypoints
    }

    /// The `num_keypoints` of each annotation (aligned with [`annotations`](Self::annotations)),
    /// `None` where an annotation has none. Keypoint evaluation ignores ground truth whose
    /// `num_keypoints` is 0, as pycocotools does.
    pub fn num_keypoints(&self) -> &[Option<u32>] {
        &self.num_keypoints
    }

    /// The `rbox` (`[cx, cy, w, h, angle]`, angle in radians) of each annotation (aligned with
    /// [`annotations`](Self::annotations)), `None` where an annotation has none.
    pub fn rboxes(&self) -> &[Option<[f64; 5]>] {
        &self.rboxes
    }

    /// The `box3d` (`[x, y, z, dx, dy, dz, heading]`) of each annotation as written (aligned with
    /// [`annotations`](Self::annotations)), `None` where it has none; checked when evaluated.
    pub fn boxes3d(&self) -> &[Option<[f64; 7]>] {
        &self.boxes3d
    }

    /// The `segment` (`[start, end]`) of each annotation as written (aligned with
    /// [`annotations`](Self::annotations)), `None` where it has none; checked when evaluated.
    pub fn segments(&self) -> &[Option<[f64; 2]>] {
        &self.segments
    }

    /// DOTA's `difficult` flag of each annotation (aligned with [`annotations`](Self::annotations)),
    /// `false` where an annotation has none. The VOC protocol neither counts nor penalises them.
    pub fn difficult(&self) -> &[bool] {
        &self.difficult
    }

    /// The `(height, width)` of an image, when the file gives both (mask evaluation rasterises
    /// polygons at this size).
    pub fn image_size(&self, image_id: i64) -> Option<(u32, u32)> {
        let pos = self.image_ids.binary_search(&image_id).ok()?;
        self.image_sizes[pos]
    }

    /// Each image's `file_name` with its id, in ascending id order, for the images that have one.
    ///
    /// ```
    /// let gt = softkit_io::CocoGroundTruth::from_json_str(
    ///     r#"{"images": [{"id": 9, "file_name": "b.jpg"}, {"id": 4}, {"id": 2, "file_name": "a.jpg"}]}"#,
    /// )?;
    /// assert_eq!(gt.image_file_names().collect::<Vec<_>>(), vec![("a.jpg", 2), ("b.jpg", 9)]);
    /// # Ok::<(), softkit_io::IoError>(())
    /// ```
    pub fn image_file_names(&self) -> impl Iterator<Item = (&str, i64)> {
        self.file_names.iter().zip(&self.image_ids).filter_map(|(name, &id)| Some((name.as_deref()?, id)))
    }

    /// Whether `image_id` is an image of the ground truth.
    pub fn has_image(&self, image_id: i64) -> bool {
        self.image_ids.binary_search(&image_id).is_ok()
    }

    /// Whether `category_id` is a category of the ground truth.
    pub fn has_category(&self, category_id: i64) -> bool {
        self.categories.binary_search_by_key(&category_id, |c| c.id).is_ok()
    }
}
