//! COCO detection results (`[{image_id, category_id, bbox, score}, ...]`), loaded as pycocotools'
//! `COCO.loadRes` loads them.

use std::path::Path;

use serde::Deserialize;

use softkit_geom::Rle;

use crate::json::{
    FloatIdCounter, FloatIds, Origin, RawBbox, RawId, check_bbox, check_keypoint_triples, check_rbox,
    parse_array_parallel, parse_json, parse_value, read_text,
};
use crate::segmentation::RawSegmentation;
use crate::{CocoGroundTruth, IoError, Segmentation};

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

/// One result as a COCO results list writes it, before any rule of `loadRes` applies.
#[derive(Deserialize)]
#[serde(
    expecting = "a result object {\"image_id\", \"category_id\", \"score\" and a bbox, segmentation or other shape}"
)]
pub(crate) struct RawDetection {
    pub(crate) image_id: RawId,
    pub(crate) category_id: RawId,
    pub(crate) bbox: Option<RawBbox>,
    pub(crate) segmentation: Option<RawSegmentation>,
    #[serde(default)]
    pub(crate) keypoints: Option<Vec<f64>>,
    /// A pose's area, the scale of suppression's OKS (results lists written for pose NMS).
    #[serde(default)]
    pub(crate) area: Option<f64>,
    #[serde(default)]
    pub(crate) rbox: Option<[f64; 5]>,
    #[serde(default)]
    pub(crate) box3d: Option<[f64; 7]>,
    #[serde(default)]
    pub(crate) segment: Option<[f64; 2]>,
    pub(crate) score: f64,
}

/// Detections (boxes, and masks when given) checked against a ground truth.
///
/// As in pycocotools' `loadRes`, a result is never a crowd, its id is its position in the list
/// plus one, and the first result decides how all of them are read:
///
/// - If it has a non-empty `bbox`, every result needs a `bbox`, and a result's area is
///   `width * height`, even when it also carries a `segmentation` (mask evaluation then uses the
///   mask for overlaps but the box's area for area ranges, as pycocotools does).
/// - Otherwise, if it has a `segmentation`, every result needs one; its area is the mask's pixel
///   count and its `bbox`, unless given, is the mask's tight box. Unlike pycocotools, polygons and
///   uncompressed counts are accepted too, rasterised at the image's size.
/// - Otherwise every result needs `keypoints` (`[x1, y1, v1, ...]`); its `bbox` is the extent of
///   all its keypoints, visible or not (`[min x, min y, max x - min x, max y - min y]`), and its
///   area that box's `width * height`.
///
/// `keypoints` are kept whichever rule applies, for keypoint evaluation.
///
/// Unlike pycocotools, a result on an image or category that the ground truth does not list is an
/// error rather than an assertion or a silent drop, and an empty list is allowed.
///
/// # Examples
///
/// ```
/// use softkit_io::{CocoGroundTruth, CocoResults};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 5}], "annotations": []}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.9}]"#,
///     &gt,
/// )?;
/// assert_eq!(dt.detections()[0].area(), 12.0);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CocoResults {
    detections: Vec<Detection>,
    /// The `area` that `loadRes` assigns, aligned with `detections`.
    areas: Vec<f64>,
    /// The segmentations, aligned with `detections` (empty for box-only results made in memory).
    segmentations: Vec<Option<Segmentation>>,
    /// The keypoints, aligned with `detections` (empty for results made in memory).
    keypoints: Vec<Option<Vec<f64>>>,
    /// The rotated boxes, aligned with `detections` (empty for results made in memory).
    rboxes: Vec<Option<[f64; 5]>>,
    /// The polygons of polygon segmentations as written, aligned with `detections` (empty for
    /// results made in memory).
    polygons: Vec<Option<Vec<Vec<f64>>>>,
    /// The 3-D boxes as written, aligned with `detections` (empty for results made in memory).
    boxes3d: Vec<Option<[f64; 7]>>,
    /// The time segments as written, aligned with `detections` (empty for results made in memory).
    segments: Vec<Option<[f64; 2]>>,
    /// The ids the file wrote as floats.
    float_ids: Option<FloatIds>,
}

impl CocoResults {
    /// Reads a results JSON file.
    pub fn from_path(path: impl AsRef<Path>, gt: &CocoGroundTruth) -> Result<Self, IoError> {
        let path = path.as_ref();
        let text = read_text(path)?;
        if let Some(raw) = parse_array_parallel(&text) {
            return Self::from_raw(raw, gt);
        }
        Self::from_raw(parse_json(&text, Origin::text(&path.display().to_string()), "COCO")?, gt)
    }

    /// Parses results JSON text.
    pub fn from_json_str(text: &str, gt: &CocoGroundTruth) -> Result<Self, IoError> {
        if let Some(raw) = parse_array_parallel(text) {
            return Self::from_raw(raw, gt);
        }
        Self::from_raw(parse_json(text, Origin::text("results"), "COCO")?, gt)
    }

    /// Parses JSON text that the caller serialised from an in-memory list called `name` (a Python
    /// list, say): errors give the JSON path in that list, not a line and column of text the user
    /// never saw.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_io::{CocoGroundTruth, CocoResults};
    ///
    /// let gt = CocoGroundTruth::from_json_str(r#"{"images": [{"id": 1}], "categories": [{"id": 5}]}"#)?;
    /// let err = CocoResults::from_serialised_json(r#"[{"image_id": 1, "category_id": 5, "score": NaN}]"#, &gt, "dt")
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("malformed JSON in dt: results[0].score: NaN is not a JSON number"), "{err}");
    /// # Ok::<(), softkit_io::IoError>(())
    /// ```
    pub fn from_serialised_json(text: &str, gt: &CocoGroundTruth, name: &str) -> Result<Self, IoError> {
        Self::from_raw(parse_json(text, Origin::serialised(name), "COCO")?, gt)
    }

    /// Reads results from an already-parsed JSON value (an array of objects).
    pub fn from_value(value: &serde_json::Value, gt: &CocoGroundTruth) -> Result<Self, IoError> {
        Self::from_raw(parse_value(value, "results", "COCO")?, gt)
    }

    /// The ids the file wrote as floats (`42.0`) and the loader read as integers, as pycocotools
    /// does; `None` when all were integers. Callers pass this on as a warning.
    pub fn float_ids(&self) -> Option<&FloatIds> {
        self.float_ids.as_ref()
    }

    /// Checks detections made in memory (by a suppression run, say) against the ground truth.
    pub fn from_detections(detections: Vec<Detection>, gt: &CocoGroundTruth) -> Result<Self, IoError> {
        for (index, d) in detections.iter().enumerate() {
            let item = || format!("results[{index}]");
            check_bbox(d.bbox, item)?;
            if !d.score.is_finite() {
                return Err(IoError::NonFinite { item: item(), field: "score", value: d.score });
            }
            check_ids(d.image_id, d.category_id, gt, item)?;
        }
        let areas = detections.iter().map(Detection::area).collect();
        let segmentations = vec![None; detections.len()];
        Ok(CocoResults { detections, areas, segmentations, ..Default::default() })
    }

    fn from_raw(raw: Vec<RawDetection>, gt: &CocoGroundTruth) -> Result<Self, IoError> {
        // pycocotools' `loadRes` picks the box branch when the first result has a non-empty bbox.
        let box_results = raw.first().is_some_and(|r| r.bbox.is_some_and(|b| b.len > 0));
        // Then the mask branch when it has a segmentation, then the keypoint branch.
        let keypoint_results =
            !box_results && raw.first().is_some_and(|r| r.segmentation.is_none() && r.keypoints.is_some());
        // softkit's own branches: rotated boxes, 3-D boxes or segments, when the first result has
        // that field and no `bbox`.
        let rbox_results = !box_results && raw.first().is_some_and(|r| r.rbox.is_some());
        let box3d_results = !box_results && raw.first().is_some_and(|r| r.box3d.is_some());
        let segment_results = !box_results && raw.first().is_some_and(|r| r.segment.is_some());
        let mut detections = Vec::with_capacity(raw.len());
        let mut areas = Vec::with_capacity(raw.len());
        let mut segmentations = Vec::with_capacity(raw.len());
        let mut keypoints = Vec::with_capacity(raw.len());
        let mut rboxes = Vec::with_capacity(raw.len());
        let mut polygons = Vec::with_capacity(raw.len());
        let mut boxes3d = Vec::with_capacity(raw.len());
        let mut segments = Vec::with_capacity(raw.len());
        let mut floats = FloatIdCounter::default();
        for (index, r) in raw.into_iter().enumerate() {
            let item = || format!("results[{index}]");
            let image_id = floats.id(r.image_id, || format!("{}.image_id", item()));
            let category_id = floats.id(r.category_id, || format!("{}.category_id", item()));
            let bad_mask = |source| IoError::Segmentation { item: item(), source };
            // An empty bbox is no bbox, unless boxes are required.
            let bbox = match r.bbox {
                Some(b) if box_results || b.len > 0 => Some(b.checked(item)?),
                _ => None,
            };
            check_ids(image_id, category_id, gt, item)?;
            if let Some(kp) = &r.keypoints {
                check_keypoint_triples(kp, item)?;
            }
            let segmentation = r.segmentation.map(RawSegmentation::checked).transpose().map_err(bad_mask)?;
            let rbox = r.rbox.map(|b| check_rbox(b, item)).transpose()?;
            polygons.push(match &segmentation {
                Some(Segmentation::Polygons(p)) => Some(p.clone()),
                _ => None,
            });
            let needs = |field: &'static str| IoError::MissingField {
                item: item(),
                field,
                needed_by: "every result needs when the first one has it and no bbox",
            };
            boxes3d.push(r.box3d);
            segments.push(r.segment);
            let (bbox, area, segmentation) = if box3d_results {
                // The box around the bird's-eye footprint (unrotated extent), and the volume.
                let b = r.box3d.ok_or_else(|| needs("box3d"))?;
                let half = 0.5 * b[3].hypot(b[4]);
                ([b[0] - half, b[1] - half, 2.0 * half, 2.0 * half], b[3] * b[4] * b[5], segmentation)
            } else if segment_results {
                let s = r.segment.ok_or_else(|| needs("segment"))?;
                ([s[0], 0.0, s[1] - s[0], 0.0], s[1] - s[0], segmentation)
            } else if rbox_results {
                let rbox = rbox.ok_or_else(|| IoError::MissingField {
                    item: item(),
                    field: "rbox",
                    needed_by: "every result needs when the first one has an rbox and no bbox",
                })?;
                // The box around the rotated box, and its own area.
                let corners = softkit_geom::rotated_corners(&rbox);
                let (xs, ys) = (corners.map(|c| c[0]), corners.map(|c| c[1]));
                let x = xs.iter().copied().fold(f64::INFINITY, f64::min);
                let y = ys.iter().copied().fold(f64::INFINITY, f64::min);
                let w = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max) - x;
                let h = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max) - y;
                ([x, y, w, h], rbox[2] * rbox[3], segmentation)
            } else if keypoint_results {
                let kp = r.keypoints.as_deref().ok_or_else(|| IoError::MissingField {
                    item: item(),
                    field: "keypoints",
                    needed_by: "every result needs when the first one has keypoints but no bbox or segmentation",
                })?;
                let bbox = keypoint_extent(kp);
                (bbox, bbox[2] * bbox[3], segmentation)
            } else if box_results {
                let bbox = bbox.ok_or_else(|| IoError::MissingField {
                    item: item(),
                    field: "bbox",
                    needed_by: "every result needs when the first one has a bbox",
                })?;
                (bbox, bbox[2] * bbox[3], segmentation)
            } else {
                let segmentation = segmentation.ok_or_else(|| IoError::MissingField {
                    item: item(),
                    field: if index == 0 { "bbox or segmentation" } else { "segmentation" },
                    needed_by: "every result needs when the first one has no bbox",
                })?;
                let mask = |rle: Rle| (rle.bbox(), rle.area() as f64, Segmentation::Rle(rle));
                let (mask_bbox, area, segmentation) = match segmentation {
                    Segmentation::Rle(rle) => mask(rle),
                    Segmentation::Polygons(polygons) => match gt.image_size(image_id) {
                        Some((h, w)) => mask(Rle::from_polygons(&polygons, h, w).map_err(bad_mask)?),
                        // Without the image's size there is no mask: the polygons' own extent and
                        // area stand in (polygon evaluation needs no more; mask evaluation will
                        // name the missing size).
                        None => {
                            let (extent, area) = polygon_extent_and_area(&polygons);
                            (extent, area, Segmentation::Polygons(polygons))
                        }
                    },
                };
                (bbox.unwrap_or(mask_bbox), area, Some(segmentation))
            };
            detections.push(Detection { image_id, category_id, bbox, score: r.score });
            areas.push(area);
            segmentations.push(segmentation);
            keypoints.push(r.keypoints);
            rboxes.push(rbox);
        }
        let float_ids = floats.finish();
        Ok(CocoResults { detections, areas, segmentations, keypoints, rboxes, polygons, boxes3d, segments, float_ids })
    }

    /// The results at `indices` (in the given order), with their areas, masks and keypoints, as
    /// if only those had been loaded.
    ///
    /// # Panics
    ///
    /// If an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_io::{CocoGroundTruth, CocoResults};
    ///
    /// let gt = CocoGroundTruth::from_json_str(
    ///     r#"{"images": [{"id": 1}], "categories": [{"id": 5}], "annotations": []}"#,
    /// )?;
    /// let dt = CocoResults::from_json_str(
    ///     r#"[{"image_id": 1, "category_id": 5, "bbox": [1, 2, 3, 4], "score": 0.9},
    ///         {"image_id": 1, "category_id": 5, "bbox": [0, 0, 2, 2], "score": 0.8}]"#,
    ///     &gt,
    /// )?;
    /// let second = dt.select(&[1]);
    /// assert_eq!(second.len(), 1);
    /// assert_eq!(second.areas(), &[4.0]);
    /// # Ok::<(), softkit_io::IoError>(())
    /// ```
    pub fn select(&self, indices: &[usize]) -> CocoResults {
        fn pick<T: Clone>(v: &[T], indices: &[usize]) -> Vec<T> {
            if v.is_empty() { Vec::new() } else { indices.iter().map(|&i| v[i].clone()).collect() }
        }
        CocoResults {
            detections: indices.iter().map(|&i| self.detections[i]).collect(),
            areas: indices.iter().map(|&i| self.areas[i]).collect(),
            segmentations: pick(&self.segmentations, indices),
            keypoints: pick(&self.keypoints, indices),
            rboxes: pick(&self.rboxes, indices),
            polygons: pick(&self.polygons, indices),
            boxes3d: pick(&self.boxes3d, indices),
            segments: pick(&self.segments, indices),
            float_ids: self.float_ids.clone(),
        }
    }

    /// The detections, in input order; detection `i` has id `i + 1`.
    pub fn detections(&self) -> &[Detection] {
        &self.detections
    }

    /// The `area` of each detection as `loadRes` sets it (aligned with
    /// [`detections`](Self::detections)): `width * height` for box results, the mask's pixel count
    /// for mask results. Area ranges test this value.
    pub fn areas(&self) -> &[f64] {
        &self.areas
    }

    /// The segmentation of each detection (aligned with [`detections`](Self::detections)), `None`
    /// where it has none. Mask results hold their decoded [`Segmentation::Rle`].
    pub fn segmentations(&self) -> &[Option<Segmentation>] {
        &self.segmentations
    }

    /// The `keypoints` of each detection as written (aligned with
    /// [`detections`](Self::detections)), `None` where it has none; empty for results made with
    /// [`from_detections`](Self::from_detections).
    pub fn keypoints(&self) -> &[Option<Vec<f64>>] {
        &self.keypoints
    }

    /// The `rbox` (`[cx, cy, w, h, angle]`, radians) of each detection as written (aligned with
    /// [`detections`](Self::detections)), `None` where it has none; empty for results made with
    /// [`from_detections`](Self::from_detections). A result list whose first result has an `rbox`
    /// and no `bbox` is a rotated-box list: every result needs an `rbox`, its `bbox` is the box
    /// around it and its area `w * h`.
    pub fn rboxes(&self) -> &[Option<[f64; 5]>] {
        &self.rboxes
    }

    /// The polygons of each detection's polygon `segmentation` as written (aligned with
    /// [`detections`](Self::detections)), `None` where it has none or a run-length mask.
    pub fn polygons(&self) -> &[Option<Vec<Vec<f64>>>] {
        &self.polygons
    }

    /// The `box3d` of each detection as written (aligned with [`detections`](Self::detections)),
    /// `None` where it has none. A list whose first result has a `box3d` and no `bbox` is a 3-D
    /// list: every result needs one, and its area is its volume.
    pub fn boxes3d(&self) -> &[Option<[f64; 7]>] {
        &self.boxes3d
    }

    /// The `segment` of each detection as written (aligned with [`detections`](Self::detections)),
    /// `None` where it has none. A list whose first result has a `segment` and no `bbox` is a
    /// temporal list: every result needs one, and its area is its length.
    pub fn segments(&self) -> &[Option<[f64; 2]>] {
        &self.segments
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

/// The `[x, y, w, h]` extent of polygons (flat `x, y` lists) and the sum of their shoelace areas.
fn polygon_extent_and_area(polygons: &[Vec<f64>]) -> ([f64; 4], f64) {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    let mut area = 0.0;
    for ring in polygons {
        let points: Vec<[f64; 2]> = ring.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
        for p in &points {
            for axis in 0..2 {
                lo[axis] = lo[axis].min(p[axis]);
                hi[axis] = hi[axis].max(p[axis]);
            }
        }
        let twice: f64 = (0..points.len())
            .map(|k| {
                let (a, b) = (points[k], points[(k + 1) % points.len()]);
                a[0] * b[1] - a[1] * b[0]
            })
            .sum();
        area += 0.5 * twice.abs();
    }
    if lo[0] > hi[0] {
        return ([0.0; 4], 0.0);
    }
    ([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]], area)
}

/// `loadRes`' box of a keypoint result: the extent of all its keypoints, visible or not.
fn keypoint_extent(keypoints: &[f64]) -> [f64; 4] {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for p in keypoints.chunks_exact(3) {
        (x0, x1) = (x0.min(p[0]), x1.max(p[0]));
        (y0, y1) = (y0.min(p[1]), y1.max(p[1]));
    }
    [x0, y0, x1 - x0, y1 - y0]
}

fn check_ids(image_id: i64, category_id: i64, gt: &CocoGroundTruth, item: impl Fn() -> String) -> Result<(), IoError> {
    if !gt.has_image(image_id) {
        return Err(IoError::UnknownImage { item: item(), image_id });
    }
    if !gt.has_category(category_id) {
        return Err(IoError::UnknownCategory { item: item(), category_id });
    }
    Ok(())
}
