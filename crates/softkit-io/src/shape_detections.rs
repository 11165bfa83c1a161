//! Rotated-box and polygon detections for suppression: candidate tables and COCO-style results,
//! in columns, with every number kept as the file wrote it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use softkit_geom::{GeomError, KeypointInstance, Rle};

use crate::detections::{ImageInfo, candidate_ids};
use crate::json::{FloatIdCounter, Origin, parse_json, read_text};
use crate::results::RawDetection;
use crate::segmentation::{RawSegmentation, Segmentation};
use crate::{FloatIds, IoError, write_atomic};

/// Which shape the rows hold.
///
/// # Examples
///
/// ```
/// use softkit_io::ShapeKind;
///
/// assert_eq!(ShapeKind::Rotated.field(), "rbox");
/// assert_eq!(ShapeKind::Polygon.field(), "segmentation");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeKind {
    /// Rotated boxes `[cx, cy, w, h, angle]`.
    Rotated,
    /// Simple polygons `[x1, y1, x2, y2, ...]`.
    Polygon,
    /// Time segments `[start, end]`.
    Segment,
    /// 3-D boxes `[x, y, z, dx, dy, dz, heading]`.
    Box3d,
    /// Poses: keypoints `[x1, y1, v1, ...]` with an area.
    Keypoints,
    /// Run-length masks.
    Mask,
}

impl ShapeKind {
    /// The field of a COCO-style result that holds the shape.
    pub fn field(self) -> &'static str {
        match self {
            ShapeKind::Rotated => "rbox",
            ShapeKind::Polygon => "segmentation",
            ShapeKind::Segment => "segment",
            ShapeKind::Box3d => "box3d",
            ShapeKind::Keypoints => "keypoints",
            ShapeKind::Mask => "segmentation",
        }
    }
}

/// Rotated-box, polygon, segment, 3-D, pose or mask detections in columns: row `i` is one
/// candidate.
///
/// Read from a candidate table, whose rows are
///
/// - rotated: `[image_id, class_index, cx, cy, w, h, angle, score]`;
/// - polygon: `[image_id, class_index, score, x1, y1, x2, y2, ...]` (any vertex count);
/// - segment: `[image_id, class_index, start, end, score]`;
/// - 3-D: `[image_id, class_index, x, y, z, dx, dy, dz, heading, score]`;
/// - pose: `[image_id, class_index, score, area, x1, y1, v1, x2, y2, v2, ...]`;
///
/// with `class_index` mapped to COCO's 80 category ids as for boxes, or from a COCO-style
/// results list whose items carry an `rbox`, a one-polygon `segmentation`, a `segment`, a
/// `box3d`, `keypoints`, or a run-length `segmentation` (masks come only this way). A pose's area
/// (the scale of OKS) is its `area` if given, else its `bbox`'s, else the box around its
/// keypoints'. Angles are kept in the unit they were written in; the caller names it.
///
/// # Examples
///
/// ```
/// use softkit_io::{ShapeKind, parse_shape_detections};
///
/// let text = r#"{"candidates": [[7, 0, 0.9, 0, 0, 4, 0, 4, 4, 0, 4]]}"#;
/// let dets = parse_shape_detections(text, "cands.json", ShapeKind::Polygon)?;
/// assert_eq!(dets.len(), 1);
/// assert_eq!(dets.polygon(0), &[[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]]);
/// assert_eq!(dets.category_ids[0], 1);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ShapeDetections {
    /// The shape of the rows.
    pub kind: ShapeKind,
    /// The images listed by a candidate table (empty for results lists).
    pub images: Vec<ImageInfo>,
    /// Whether the rows came from a candidate table (class indices mapped to COCO category ids).
    pub candidate_table: bool,
    /// Image id of each row.
    pub image_ids: Vec<i64>,
    /// COCO category id of each row.
    pub category_ids: Vec<i64>,
    /// Score of each row.
    pub scores: Vec<f64>,
    /// Rotated boxes, one per row ([`ShapeKind::Rotated`]; empty otherwise).
    pub rboxes: Vec<[f64; 5]>,
    /// Segments, one per row ([`ShapeKind::Segment`]; empty otherwise).
    pub segments: Vec<[f64; 2]>,
    /// 3-D boxes, one per row ([`ShapeKind::Box3d`]; empty otherwise).
    pub boxes3d: Vec<[f64; 7]>,
    /// Polygon vertices of every row, one after another ([`ShapeKind::Polygon`]).
    pub vertices: Vec<[f64; 2]>,
    /// Polygon `i` is `vertices[offsets[i]..offsets[i + 1]]` (one entry more than rows).
    pub offsets: Vec<usize>,
    /// Poses, one per row ([`ShapeKind::Keypoints`]; empty otherwise).
    pub poses: Vec<KeypointInstance>,
    /// Masks, one per row ([`ShapeKind::Mask`]; empty otherwise).
    pub masks: Vec<Rle>,
    /// The ids a results list wrote as floats (`42.0`), read as integers; `None` when all were
    /// integers (always for a candidate table, whose rows are numbers).
    pub float_ids: Option<FloatIds>,
}

impl ShapeDetections {
    /// An empty table of `kind` rows, to be filled column by column (as `softkit detect` fills
    /// one with a model's oriented boxes).
    ///
    /// ```
    /// use softkit_io::{ShapeDetections, ShapeKind};
    ///
    /// let mut dets = ShapeDetections::new(ShapeKind::Rotated, Vec::new(), false);
    /// dets.image_ids.push(1);
    /// dets.category_ids.push(0);
    /// dets.scores.push(0.9);
    /// dets.rboxes.push([5.0, 5.0, 4.0, 2.0, 0.3]);
    /// assert_eq!(dets.len(), 1);
    /// ```
    pub fn new(kind: ShapeKind, images: Vec<ImageInfo>, candidate_table: bool) -> Self {
        Self {
            kind,
            images,
            candidate_table,
            image_ids: Vec::new(),
            category_ids: Vec::new(),
            scores: Vec::new(),
            rboxes: Vec::new(),
            segments: Vec::new(),
            boxes3d: Vec::new(),
            vertices: Vec::new(),
            offsets: vec![0],
            poses: Vec::new(),
            masks: Vec::new(),
            float_ids: None,
        }
    }

    /// Number of rows.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_io::{ShapeKind, parse_shape_detections};
    ///
    /// let dets = parse_shape_detections(r#"{"candidates": [[1, 0, 0, 9, 0.8], [1, 0, 4, 6, 0.7]]}"#, "c.json", ShapeKind::Segment)?;
    /// assert_eq!(dets.len(), 2);
    /// assert!(!dets.is_empty());
    /// # Ok::<(), softkit_io::IoError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The vertices of row `row`'s polygon.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_io::{ShapeKind, parse_shape_detections};
    ///
    /// let dets = parse_shape_detections(r#"{"candidates": [[1, 0, 0.9, 0, 0, 2, 0, 1, 1]]}"#, "c.json", ShapeKind::Polygon)?;
    /// assert_eq!(dets.polygon(0), &[[0.0, 0.0], [2.0, 0.0], [1.0, 1.0]]);
    /// # Ok::<(), softkit_io::IoError>(())
    /// ```
    pub fn polygon(&self, row: usize) -> &[[f64; 2]] {
        &self.vertices[self.offsets[row]..self.offsets[row + 1]]
    }

    fn push_row(&mut self, image_id: i64, category_id: i64, score: f64) {
        self.image_ids.push(image_id);
        self.category_ids.push(category_id);
        self.scores.push(score);
    }

    fn push_polygon(&mut self, flat: &[f64], item: impl Fn() -> String) -> Result<(), IoError> {
        if !flat.len().is_multiple_of(2) {
            return Err(IoError::NotOnePolygon {
                item: item(),
                problem: format!("has {} numbers; a polygon needs x, y pairs", flat.len()),
            });
        }
        self.vertices.extend(flat.chunks_exact(2).map(|p| [p[0], p[1]]));
        self.offsets.push(self.vertices.len());
        Ok(())
    }

    /// Adds a pose; its `bbox` is the given one, else the box around its keypoints, and its area
    /// the given one, else that box's.
    fn push_pose(
        &mut self,
        keypoints: Vec<f64>,
        area: Option<f64>,
        bbox: Option<[f64; 4]>,
        item: impl Fn() -> String,
    ) -> Result<(), IoError> {
        if keypoints.is_empty() || !keypoints.len().is_multiple_of(3) {
            return Err(IoError::Geometry {
                item: item(),
                source: GeomError::KeypointTriples { index: self.poses.len(), len: keypoints.len() },
            });
        }
        let bbox = bbox.unwrap_or_else(|| {
            let (xs, ys) = (keypoints.iter().step_by(3), keypoints.iter().skip(1).step_by(3));
            let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            [x0, y0, x1 - x0, y1 - y0]
        });
        let area = area.unwrap_or(bbox[2] * bbox[3]);
        if !(area.is_finite() && area >= 0.0) {
            let index = self.poses.len();
            let expected = "a finite number >= 0";
            let source = GeomError::Item { items: "poses", index, field: "area", value: area, expected };
            return Err(IoError::Geometry { item: item(), source });
        }
        self.poses.push(KeypointInstance { keypoints, area, bbox });
        Ok(())
    }
}

/// One result as written: the shape's field only.
#[derive(Serialize)]
struct ShapeResult {
    image_id: i64,
    category_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    rbox: Option<[f64; 5]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    segment: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    box3d: Option<[f64; 7]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    segmentation: Option<SegmentationOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keypoints: Option<Vec<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    area: Option<f64>,
    score: f64,
}

/// A written `segmentation`: one polygon, or a compressed run-length mask.
#[derive(Serialize)]
#[serde(untagged)]
enum SegmentationOut {
    Polygon([Vec<f64>; 1]),
    Rle { size: [u32; 2], counts: String },
}

#[derive(Deserialize)]
#[serde(expecting = "a candidate table {\"images\": [...], \"candidates\": [[...], ...]}")]
struct ShapeTable {
    #[serde(default)]
    images: Vec<ImageInfo>,
    candidates: Vec<Vec<f64>>,
}

/// Reads rotated-box or polygon detections: a candidate table or a COCO-style results list (see
/// [`ShapeDetections`]).
///
/// # Errors
///
/// [`IoError`] if the file cannot be read or parsed, a row has the wrong length, a class index
/// is unknown, or a result lacks its shape (naming the row or result).
pub fn read_shape_detections(path: impl AsRef<Path>, kind: ShapeKind) -> Result<ShapeDetections, IoError> {
    let path = path.as_ref();
    parse_shape_detections(&read_text(path)?, &path.display().to_string(), kind)
}

/// Parses the text of a rotated-box or polygon candidate table or results list; `origin` names
/// it in errors.
///
/// # Errors
///
/// As [`read_shape_detections`].
///
/// # Examples
///
/// ```
/// use softkit_io::{ShapeKind, parse_shape_detections};
///
/// let text = r#"[{"image_id": 3, "category_id": 2, "rbox": [10, 10, 4, 2, 0.5], "score": 0.8}]"#;
/// let dets = parse_shape_detections(text, "dets.json", ShapeKind::Rotated)?;
/// assert_eq!(dets.rboxes, vec![[10.0, 10.0, 4.0, 2.0, 0.5]]);
/// let err = parse_shape_detections(r#"{"candidates": [[3, 0, 10, 10, 4, 2, 0.5]]}"#, "c.json", ShapeKind::Rotated).unwrap_err();
/// assert_eq!(err.to_string(), "c.json: candidates[0] has 7 numbers; a rotated candidate is [image_id, class_index, cx, cy, w, h, angle, score]");
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn parse_shape_detections(text: &str, origin: &str, kind: ShapeKind) -> Result<ShapeDetections, IoError> {
    if text.trim_start().starts_with('[') {
        let rows: Vec<RawDetection> = parse_json(text, Origin::text(origin), "COCO")?;
        let mut dets = ShapeDetections::new(kind, Vec::new(), false);
        let mut floats = FloatIdCounter::default();
        for (index, r) in rows.into_iter().enumerate() {
            let item = || format!("results[{index}]");
            let image_id = floats.id(r.image_id, || format!("{}.image_id", item()));
            let category_id = floats.id(r.category_id, || format!("{}.category_id", item()));
            let missing =
                || IoError::MissingField { item: item(), field: kind.field(), needed_by: "suppression needs" };
            match kind {
                ShapeKind::Rotated => dets.rboxes.push(r.rbox.ok_or_else(missing)?),
                ShapeKind::Segment => dets.segments.push(r.segment.ok_or_else(missing)?),
                ShapeKind::Box3d => dets.boxes3d.push(r.box3d.ok_or_else(missing)?),
                ShapeKind::Keypoints => {
                    let bbox = r.bbox.as_ref().map(|b| b.checked(item)).transpose()?;
                    dets.push_pose(r.keypoints.ok_or_else(missing)?, r.area, bbox, item)?;
                }
                ShapeKind::Mask => {
                    let mask = match r.segmentation.ok_or_else(missing)?.checked() {
                        Ok(Segmentation::Rle(rle)) => rle,
                        Ok(Segmentation::Polygons(_)) => {
                            return Err(IoError::NotOnePolygon {
                                item: item(),
                                problem: "is a polygon; mask suppression needs a run-length mask (--geometry polygon \
                                          suppresses polygons)"
                                    .into(),
                            });
                        }
                        Err(source) => return Err(IoError::Segmentation { item: item(), source }),
                    };
                    dets.masks.push(mask);
                }
                ShapeKind::Polygon => match r.segmentation.ok_or_else(missing)? {
                    RawSegmentation::Polygons(p) if p.len() == 1 => dets.push_polygon(&p[0], item)?,
                    RawSegmentation::Polygons(p) => {
                        return Err(IoError::NotOnePolygon {
                            item: item(),
                            problem: format!("has {} polygons; polygon suppression needs one per object", p.len()),
                        });
                    }
                    _ => {
                        return Err(IoError::NotOnePolygon {
                            item: item(),
                            problem: "is a run-length mask; polygon suppression needs a polygon".into(),
                        });
                    }
                },
            }
            dets.push_row(image_id, category_id, r.score);
        }
        dets.float_ids = floats.finish();
        if kind == ShapeKind::Mask {
            check_mask_sizes(&dets)?;
        }
        return Ok(dets);
    }
    if kind == ShapeKind::Mask {
        return Err(IoError::Row {
            origin: origin.to_string(),
            item: "candidates".into(),
            problem: "cannot hold masks; masks come as a COCO-style results list with run-length `segmentation`s"
                .into(),
        });
    }
    let table: ShapeTable = parse_json(text, Origin::text(origin), "candidate table")?;
    let mut dets = ShapeDetections::new(kind, table.images, true);
    for (index, row) in table.candidates.iter().enumerate() {
        let item = || format!("candidates[{index}]");
        let short = |layout: &str| IoError::Row {
            origin: origin.to_string(),
            item: item(),
            problem: format!("has {} numbers; a {layout}", row.len()),
        };
        let (image_id, class_index, score) = match kind {
            ShapeKind::Rotated => {
                let [image_id, class_index, cx, cy, w, h, angle, score] = row[..] else {
                    return Err(short("rotated candidate is [image_id, class_index, cx, cy, w, h, angle, score]"));
                };
                dets.rboxes.push([cx, cy, w, h, angle]);
                (image_id, class_index, score)
            }
            ShapeKind::Segment => {
                let [image_id, class_index, start, end, score] = row[..] else {
                    return Err(short("segment candidate is [image_id, class_index, start, end, score]"));
                };
                dets.segments.push([start, end]);
                (image_id, class_index, score)
            }
            ShapeKind::Box3d => {
                let [image_id, class_index, x, y, z, dx, dy, dz, heading, score] = row[..] else {
                    return Err(short("3-D candidate is [image_id, class_index, x, y, z, dx, dy, dz, heading, score]"));
                };
                dets.boxes3d.push([x, y, z, dx, dy, dz, heading]);
                (image_id, class_index, score)
            }
            ShapeKind::Polygon => {
                let [image_id, class_index, score, ref flat @ ..] = row[..] else {
                    return Err(short("polygon candidate is [image_id, class_index, score, x1, y1, x2, y2, ...]"));
                };
                dets.push_polygon(flat, item)?;
                (image_id, class_index, score)
            }
            ShapeKind::Keypoints => {
                let [image_id, class_index, score, area, ref flat @ ..] = row[..] else {
                    return Err(short("pose candidate is [image_id, class_index, score, area, x1, y1, v1, ...]"));
                };
                dets.push_pose(flat.to_vec(), Some(area), None, item)?;
                (image_id, class_index, score)
            }
            ShapeKind::Mask => unreachable!("mask candidate tables are refused above"),
        };
        let (image_id, category_id) = candidate_ids(origin, index, image_id, class_index)?;
        dets.push_row(image_id, category_id, score);
    }
    Ok(dets)
}

/// Masks of one image must share a size: suppression compares them pixel for pixel.
fn check_mask_sizes(dets: &ShapeDetections) -> Result<(), IoError> {
    let mut first: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for (row, (mask, &image)) in dets.masks.iter().zip(&dets.image_ids).enumerate() {
        let at = *first.entry(image).or_insert(row);
        let other = &dets.masks[at];
        if (mask.height(), mask.width()) != (other.height(), other.width()) {
            return Err(IoError::NotOnePolygon {
                item: format!("results[{row}]"),
                problem: format!(
                    "is {} x {} (height x width) but results[{at}], of the same image {image}, is {} x {}",
                    mask.height(),
                    mask.width(),
                    other.height(),
                    other.width()
                ),
            });
        }
    }
    Ok(())
}

/// Writes the given `(row, score)` pairs of `dets` as a COCO-style results list: the shape as
/// read (`rbox`, `segment`, `box3d`, a one-polygon or compressed run-length `segmentation`, or
/// `keypoints` with their `area`), with the given scores (Soft-NMS's decayed scores).
///
/// # Errors
///
/// [`IoError::Write`] if the file cannot be written.
///
/// # Examples
///
/// ```
/// use softkit_io::{ShapeKind, parse_shape_detections, write_shape_results};
///
/// let dets = parse_shape_detections(r#"{"candidates": [[1, 0, 2, 3, 4, 1, 0.25, 0.9]]}"#, "c.json", ShapeKind::Rotated)?;
/// let path = std::env::temp_dir().join("softkit_io_doc_shape_results.json");
/// write_shape_results(&path, &dets, &[(0, 0.45)])?;
/// let written = std::fs::read_to_string(&path).unwrap();
/// assert_eq!(written, r#"[{"image_id":1,"category_id":1,"rbox":[2.0,3.0,4.0,1.0,0.25],"score":0.45}]"#);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn write_shape_results(
    path: impl AsRef<Path>,
    dets: &ShapeDetections,
    rows: &[(usize, f64)],
) -> Result<(), IoError> {
    let path = path.as_ref();
    let result = |&(row, score): &(usize, f64)| ShapeResult {
        image_id: dets.image_ids[row],
        category_id: dets.category_ids[row],
        rbox: (dets.kind == ShapeKind::Rotated).then(|| dets.rboxes[row]),
        segment: (dets.kind == ShapeKind::Segment).then(|| dets.segments[row]),
        box3d: (dets.kind == ShapeKind::Box3d).then(|| dets.boxes3d[row]),
        segmentation: match dets.kind {
            ShapeKind::Polygon => {
                Some(SegmentationOut::Polygon([dets.polygon(row).iter().flatten().copied().collect()]))
            }
            ShapeKind::Mask => {
                let mask = &dets.masks[row];
                Some(SegmentationOut::Rle { size: [mask.height(), mask.width()], counts: mask.to_compressed() })
            }
            _ => None,
        },
        keypoints: (dets.kind == ShapeKind::Keypoints).then(|| dets.poses[row].keypoints.clone()),
        area: (dets.kind == ShapeKind::Keypoints).then(|| dets.poses[row].area),
        score,
    };
    let results: Vec<ShapeResult> = rows.iter().map(result).collect();
    let write_error = |source| IoError::Write { path: path.to_path_buf(), source };
    let text = serde_json::to_string(&results).map_err(|e| write_error(std::io::Error::other(e)))?;
    write_atomic(path, text.as_bytes())
}
