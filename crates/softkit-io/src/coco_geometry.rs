//! How each geometry is read from a COCO ground truth and from COCO results, so that one
//! evaluation entry point serves boxes, masks, keypoints, rotated boxes, polygons, 3-D boxes and
//! time segments.

use rayon::prelude::*;
use softkit_geom::{
    Box3dOrigin, Boxes3d, Geometry, KeypointInstance, Keypoints, Masks, Polygons, Rle, RotatedBoxes, RotatedFormat,
    Segments, XywhBoxes,
};

use crate::{CocoGroundTruth, CocoResults, IoError, Segmentation};

/// A geometry that COCO files carry, and how to read it: from the annotations of a ground truth
/// and from a results list. pycocotools' `iouType` names three: `bbox` ([`XywhBoxes`]), `segm`
/// ([`Masks`]) and `keypoints` ([`Keypoints`]).
///
/// Readers see only the items they are asked for (those of the evaluated images and categories),
/// so an item outside them may lack the field.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, XywhBoxes};
/// use softkit_io::{CocoGeometry, CocoGroundTruth};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 50, "iscrowd": 0,
///                          "bbox": [0, 0, 10, 5]}]}"#,
/// )?;
/// let boxes = XywhBoxes::from_annotations(&gt, &[0])?;
/// assert_eq!(boxes.area(0), 50.0); // width * height, not the `area` field
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub trait CocoGeometry: Geometry + Sized {
    /// The geometry of the annotations at `indices` (positions in [`CocoGroundTruth::annotations`]).
    ///
    /// # Errors
    ///
    /// [`IoError`] naming the annotation that lacks the field or holds an invalid value.
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError>;

    /// The geometry of the results at `indices` (positions in [`CocoResults::detections`]).
    ///
    /// # Errors
    ///
    /// [`IoError`] naming the result that lacks the field or holds an invalid value.
    fn from_results(dt: &CocoResults, gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError>;

    /// Whether the annotation at `index` is ignored whatever the area range, besides crowds
    /// (which always are): for keypoints, a person with `num_keypoints` 0.
    ///
    /// # Errors
    ///
    /// [`IoError`] naming an annotation that lacks a field this rule reads.
    fn ignored(gt: &CocoGroundTruth, index: usize) -> Result<bool, IoError> {
        let _ = (gt, index);
        Ok(false)
    }

    /// Whether a detection's area (for area ranges) is the geometry's own
    /// ([`Geometry::area`]) rather than the one `loadRes` assigns ([`CocoResults::areas`]).
    /// Ground truth always uses its `area` field.
    const OWN_RESULT_AREA: bool = false;
}

fn annotation(index: usize) -> String {
    format!("annotations[{index}]")
}

fn result(index: usize) -> String {
    format!("results[{index}]")
}

fn missing(item: String, field: &'static str, needed_by: &'static str) -> IoError {
    IoError::MissingField { item, field, needed_by }
}

/// Boxes: each annotation's `bbox`, each result's `bbox` (given, or derived by `loadRes`).
impl CocoGeometry for XywhBoxes<'static> {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let anns = gt.annotations();
        let boxes = indices
            .iter()
            .map(|&i| anns[i].bbox.ok_or_else(|| missing(annotation(i), "bbox", "bbox evaluation needs")))
            .collect::<Result<Vec<_>, _>>()?;
        geometry(XywhBoxes::new(boxes), "annotations", indices)
    }

    fn from_results(dt: &CocoResults, _gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let dets = dt.detections();
        geometry(XywhBoxes::new(indices.iter().map(|&i| dets[i].bbox).collect::<Vec<_>>()), "results", indices)
    }
}

/// Masks, as pycocotools' `annToRLE` makes them: polygons rasterised at their image's size and
/// merged, run-length masks as given (checked against the image's size); a box result without a
/// segmentation is its box's rectangle, as `loadRes` makes it.
impl CocoGeometry for Masks {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let (anns, segs) = (gt.annotations(), gt.segmentations());
        let masks = indices
            .par_iter()
            .map(|&i| {
                let seg =
                    segs[i].as_ref().ok_or_else(|| missing(annotation(i), "segmentation", "mask evaluation needs"))?;
                mask_on_image(seg, anns[i].image_id, gt, || annotation(i))
            })
            .collect::<Result<Vec<Rle>, IoError>>()?;
        Ok(Masks::new(masks))
    }

    fn from_results(dt: &CocoResults, gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let (dets, segs) = (dt.detections(), dt.segmentations());
        let masks = indices
            .par_iter()
            .map(|&i| {
                let d = &dets[i];
                match segs.get(i).and_then(Option::as_ref) {
                    Some(seg) => mask_on_image(seg, d.image_id, gt, || result(i)),
                    None => {
                        let (h, w) = image_size(gt, d.image_id, || result(i))?;
                        Rle::from_bbox(d.bbox, h, w).map_err(|source| IoError::Segmentation { item: result(i), source })
                    }
                }
            })
            .collect::<Result<Vec<Rle>, IoError>>()?;
        Ok(Masks::new(masks))
    }
}

/// Keypoints: an annotation's `keypoints`, scaled by its `area` field and measured from its
/// `bbox` when none is visible; a result's `keypoints`, with the area and box `loadRes` gives it.
impl CocoGeometry for Keypoints {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let (anns, kps) = (gt.annotations(), gt.keypoints());
        let needed_by = "keypoint evaluation needs";
        let instances = indices
            .iter()
            .map(|&i| {
                let kp = kps.get(i).and_then(Option::as_ref);
                let kp = kp.ok_or_else(|| missing(annotation(i), "keypoints", needed_by))?;
                let bbox = anns[i].bbox.ok_or_else(|| missing(annotation(i), "bbox", needed_by))?;
                Ok(KeypointInstance { keypoints: kp.clone(), area: anns[i].area, bbox })
            })
            .collect::<Result<Vec<_>, IoError>>()?;
        geometry(Keypoints::new(instances), "annotations", indices)
    }

    fn from_results(dt: &CocoResults, _gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let (dets, kps, areas) = (dt.detections(), dt.keypoints(), dt.areas());
        let instances = indices
            .iter()
            .map(|&i| {
                let kp = kps
                    .get(i)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| missing(result(i), "keypoints", "keypoint evaluation needs"))?;
                Ok(KeypointInstance { keypoints: kp.clone(), area: areas[i], bbox: dets[i].bbox })
            })
            .collect::<Result<Vec<_>, IoError>>()?;
        geometry(Keypoints::new(instances), "results", indices)
    }

    fn ignored(gt: &CocoGroundTruth, index: usize) -> Result<bool, IoError> {
        let num = gt.num_keypoints().get(index).copied().flatten();
        Ok(num.ok_or_else(|| missing(annotation(index), "num_keypoints", "keypoint evaluation needs"))? == 0)
    }
}

/// Rotated boxes: each annotation's and each result's `rbox` (`[cx, cy, w, h, angle]`, radians);
/// a result's area is `w * h`, as `loadRes` gives a box result `w * h`.
impl CocoGeometry for RotatedBoxes {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let rboxes = gt.rboxes();
        let boxes = indices
            .iter()
            .map(|&i| rboxes[i].ok_or_else(|| missing(annotation(i), "rbox", "rotated evaluation needs")))
            .collect::<Result<Vec<_>, _>>()?;
        geometry(RotatedBoxes::new(&boxes, RotatedFormat::Radians), "annotations", indices)
    }

    fn from_results(dt: &CocoResults, _gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let rboxes = dt.rboxes();
        let boxes = indices
            .iter()
            .map(|&i| {
                rboxes.get(i).copied().flatten().ok_or_else(|| missing(result(i), "rbox", "rotated evaluation needs"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        geometry(RotatedBoxes::new(&boxes, RotatedFormat::Radians), "results", indices)
    }
}

/// Polygons: the one polygon of each annotation's and each result's `segmentation`
/// (`[[x1, y1, x2, y2, ...]]`); run-length masks and objects in several parts are errors.
impl CocoGeometry for Polygons {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let segs = gt.segmentations();
        let rings = indices
            .iter()
            .map(|&i| match segs[i].as_ref() {
                Some(Segmentation::Polygons(p)) => one_ring(p, || annotation(i)),
                Some(Segmentation::Rle(_)) => Err(not_a_polygon(annotation(i))),
                None => Err(missing(annotation(i), "segmentation", "polygon evaluation needs")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        geometry(Polygons::from_rings(&rings), "annotations", indices)
    }

    fn from_results(dt: &CocoResults, _gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let polygons = dt.polygons();
        let rings = indices
            .iter()
            .map(|&i| match polygons.get(i).and_then(Option::as_ref) {
                Some(p) => one_ring(p, || result(i)),
                None => Err(missing(result(i), "segmentation", "polygon evaluation needs a polygon in")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        geometry(Polygons::from_rings(&rings), "results", indices)
    }

    const OWN_RESULT_AREA: bool = true;
}

/// 3-D boxes: each annotation's and each result's `box3d` (`[x, y, z, dx, dy, dz, heading]`,
/// OpenPCDet's convention: `z` at the centre); a result's area is its volume.
impl CocoGeometry for Boxes3d {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let boxes = column(gt.boxes3d(), indices, annotation, "box3d", "3-D evaluation needs")?;
        geometry(Boxes3d::new(&boxes, Box3dOrigin::Centre), "annotations", indices)
    }

    fn from_results(dt: &CocoResults, _gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let boxes = column(dt.boxes3d(), indices, result, "box3d", "3-D evaluation needs")?;
        geometry(Boxes3d::new(&boxes, Box3dOrigin::Centre), "results", indices)
    }

    const OWN_RESULT_AREA: bool = true;
}

/// Time segments: each annotation's and each result's `segment` (`[start, end]`); a result's area
/// is its length.
impl CocoGeometry for Segments {
    fn from_annotations(gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let segments = column(gt.segments(), indices, annotation, "segment", "temporal evaluation needs")?;
        geometry(Segments::new(&segments), "annotations", indices)
    }

    fn from_results(dt: &CocoResults, _gt: &CocoGroundTruth, indices: &[usize]) -> Result<Self, IoError> {
        let segments = column(dt.segments(), indices, result, "segment", "temporal evaluation needs")?;
        geometry(Segments::new(&segments), "results", indices)
    }

    const OWN_RESULT_AREA: bool = true;
}

/// The values of an optional field at `indices`; a missing one is an error naming the item.
fn column<T: Copy>(
    values: &[Option<T>],
    indices: &[usize],
    item: fn(usize) -> String,
    field: &'static str,
    needed_by: &'static str,
) -> Result<Vec<T>, IoError> {
    indices
        .iter()
        .map(|&i| values.get(i).copied().flatten().ok_or_else(|| missing(item(i), field, needed_by)))
        .collect()
}

/// The vertices of a segmentation that must be one polygon.
fn one_ring(polygons: &[Vec<f64>], item: impl Fn() -> String) -> Result<Vec<[f64; 2]>, IoError> {
    let problem = match polygons {
        [ring] if ring.len() % 2 == 0 => return Ok(ring.chunks_exact(2).map(|p| [p[0], p[1]]).collect()),
        [ring] => format!("has {} numbers; a polygon needs x, y pairs", ring.len()),
        _ => format!("has {} polygons; polygon evaluation needs one per object", polygons.len()),
    };
    Err(IoError::NotOnePolygon { item: item(), problem })
}

fn not_a_polygon(item: String) -> IoError {
    IoError::NotOnePolygon { item, problem: "is a run-length mask; polygon evaluation needs a polygon".into() }
}

/// Names the item of a geometry error by its position in the file.
fn geometry<G>(built: Result<G, softkit_geom::GeomError>, list: &str, indices: &[usize]) -> Result<G, IoError> {
    built.map_err(|source| {
        let at = source.index().map_or(String::new(), |i| format!("[{}]", indices[i]));
        IoError::Geometry { item: format!("{list}{at}"), source }
    })
}

fn image_size(gt: &CocoGroundTruth, image_id: i64, item: impl Fn() -> String) -> Result<(u32, u32), IoError> {
    gt.image_size(image_id).ok_or_else(|| IoError::MissingImageSize { item: item(), image_id })
}

/// The mask of `seg` on its image: polygons rasterised at the image's size, run-length masks
/// checked against it (when the ground truth gives it).
fn mask_on_image(
    seg: &Segmentation,
    image_id: i64,
    gt: &CocoGroundTruth,
    item: impl Fn() -> String,
) -> Result<Rle, IoError> {
    match seg {
        Segmentation::Polygons(polygons) => {
            let (h, w) = image_size(gt, image_id, &item)?;
            Rle::from_polygons(polygons, h, w).map_err(|source| IoError::Segmentation { item: item(), source })
        }
        Segmentation::Rle(rle) => {
            if let Some((image_height, image_width)) = gt.image_size(image_id)
                && (rle.height(), rle.width()) != (image_height, image_width)
            {
                return Err(IoError::MaskSize {
                    item: item(),
                    height: rle.height(),
                    width: rle.width(),
                    image_id,
                    image_height,
                    image_width,
                });
            }
            Ok(rle.clone())
        }
    }
}
