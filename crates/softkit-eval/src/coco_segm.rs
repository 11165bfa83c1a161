//! Mask evaluation of COCO files: pycocotools' `COCOeval(gt, dt, "segm")`.

use rayon::prelude::*;
use softkit_geom::Rle;

use crate::coco_bbox::{evaluate_records, is_evaluated};
use crate::{CocoGroundTruth, CocoResults, EvalError, Evaluation, GtRecord, MaskOverlap, Params, Segmentation};

/// Evaluates mask detections against COCO ground truth, as pycocotools' `COCOeval` with
/// `iouType="segm"` followed by `evaluate()` and `accumulate()`.
///
/// Masks are made as pycocotools' `annToRLE` makes them: polygons are rasterised at the size of
/// their image (the `height` and `width` of the ground truth's `images` entry) and merged;
/// run-length masks are used as given. A box result without a segmentation is the rectangle of its
/// box, as `loadRes` makes it. Overlaps are mask IoUs; a crowd ground truth divides by the
/// detection's area. Area ranges test each annotation's `area` field and each detection's
/// [`CocoResults::areas`].
///
/// # Errors
///
/// Besides the checks of [`evaluate`]: an evaluated annotation without a `segmentation`, a
/// malformed polygon, a polygon on an image without a size, and a run-length mask whose size is
/// not its image's (pycocotools would silently give such a pair the IoU `-1`).
///
/// # Runtime and Performance
///
/// Polygons are rasterised once, in parallel; each overlap walks the runs of two masks, and only
/// when their boxes meet.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_segm};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1, "height": 10, "width": 10}], "categories": [{"id": 1}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 16, "iscrowd": 0,
///                          "segmentation": [[2, 2, 6, 2, 6, 6, 2, 6]]}]}"#,
/// )?;
/// // The detection covers the same 4×4 pixels, as a compressed RLE: rows 2..6 of columns 2..6.
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "score": 0.9,
///          "segmentation": {"size": [10, 10], "counts": "f04600000V1"}}]"#,
///     &gt,
/// )?;
/// assert_eq!(dt.areas()[0], 16.0);
/// assert_eq!(dt.detections()[0].bbox, [2.0, 2.0, 4.0, 4.0]);
/// let stats = evaluate_segm(&gt, &dt, &Params::default())?.stats()?;
/// assert!((stats[0] - 1.0).abs() < 1e-15); // a perfect mask
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_segm(gt: &CocoGroundTruth, dt: &CocoResults, params: &Params) -> Result<Evaluation, EvalError> {
    let anns = gt.annotations();
    let gt_segs = gt.segmentations();
    let gt_masks: Vec<Result<Rle, EvalError>> = anns
        .par_iter()
        .enumerate()
        .map(|(index, a)| {
            if !is_evaluated(a.image_id, a.category_id, params) {
                return Ok(unused());
            }
            let item = || format!("annotations[{index}]");
            let seg = gt_segs[index].as_ref().ok_or_else(|| EvalError::MissingField {
                item: item(),
                field: "segmentation",
                needed_by: "mask evaluation needs",
            })?;
            mask_on_image(seg, a.image_id, gt, item)
        })
        .collect();
    let gt_masks = gt_masks.into_iter().collect::<Result<Vec<Rle>, EvalError>>()?;

    let dets = dt.detections();
    let dt_segs = dt.segmentations();
    let dt_masks: Vec<Result<Rle, EvalError>> = dets
        .par_iter()
        .enumerate()
        .map(|(index, d)| {
            if !is_evaluated(d.image_id, d.category_id, params) {
                return Ok(unused());
            }
            let item = || format!("results[{index}]");
            match dt_segs.get(index).and_then(Option::as_ref) {
                Some(seg) => mask_on_image(seg, d.image_id, gt, item),
                None => {
                    let (h, w) = image_size(gt, d.image_id, item)?;
                    Rle::from_bbox(d.bbox, h, w).map_err(|source| EvalError::Segmentation { item: item(), source })
                }
            }
        })
        .collect();
    let dt_masks = dt_masks.into_iter().collect::<Result<Vec<Rle>, EvalError>>()?;

    let gts: Vec<GtRecord> = anns
        .iter()
        .map(|a| GtRecord {
            id: a.id,
            image_id: a.image_id,
            category_id: a.category_id,
            area: a.area,
            iscrowd: a.iscrowd,
            ignore: a.iscrowd,
        })
        .collect();
    evaluate_records(gt, dt, &gts, &MaskOverlap::new(&dt_masks, &gt_masks), params)
}

/// A stand-in for an item outside the evaluated images and categories; never measured.
fn unused() -> Rle {
    Rle::new(0, 0, Vec::new()).expect("an empty mask is valid")
}

fn image_size(gt: &CocoGroundTruth, image_id: i64, item: impl Fn() -> String) -> Result<(u32, u32), EvalError> {
    gt.image_size(image_id).ok_or_else(|| EvalError::MissingImageSize { item: item(), image_id })
}

/// The mask of `seg` on its image: polygons rasterised at the image's size, run-length masks
/// checked against it (when the ground truth gives it).
fn mask_on_image(
    seg: &Segmentation,
    image_id: i64,
    gt: &CocoGroundTruth,
    item: impl Fn() -> String,
) -> Result<Rle, EvalError> {
    match seg {
        Segmentation::Polygons(polygons) => {
            let (h, w) = image_size(gt, image_id, &item)?;
            Rle::from_polygons(polygons, h, w).map_err(|source| EvalError::Segmentation { item: item(), source })
        }
        Segmentation::Rle(rle) => {
            if let Some((image_height, image_width)) = gt.image_size(image_id)
                && (rle.height(), rle.width()) != (image_height, image_width)
            {
                return Err(EvalError::MaskSize {
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
