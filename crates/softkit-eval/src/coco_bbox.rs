//! Bbox evaluation of COCO files: pycocotools' `COCOeval(gt, dt, "bbox")`.

use crate::{
    BboxOverlap, CocoGroundTruth, CocoResults, DtRecord, EvalError, EvalInput, Evaluation, GtRecord, PairOverlap,
    Params, evaluate,
};

/// Evaluates box detections against COCO ground truth, as pycocotools' `COCOeval` with
/// `iouType="bbox"` followed by `evaluate()` and `accumulate()`.
///
/// Ground truth is ignored when it is a crowd; area ranges test each annotation's `area` field;
/// a detection's area is [`CocoResults::areas`] (`width * height` for box results). Every ground-truth annotation of an evaluated image and
/// category needs a `bbox`.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_bbox};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100,
///                          "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 8], "score": 0.9}]"#, &gt)?;
/// let ev = evaluate_bbox(&gt, &dt, &Params::default())?;
/// let stats = ev.stats()?;
/// // IoU 0.8 is a match at 0.50 and 0.75. Precision 1 reads as 1/(1 + eps), as in pycocotools.
/// assert!((stats[1] - 1.0).abs() < 1e-15); // AP50
/// assert!((stats[2] - 1.0).abs() < 1e-15); // AP75
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_bbox(gt: &CocoGroundTruth, dt: &CocoResults, params: &Params) -> Result<Evaluation, EvalError> {
    let anns = gt.annotations();
    let mut gt_boxes = Vec::with_capacity(anns.len());
    let mut gts = Vec::with_capacity(anns.len());
    for (index, a) in anns.iter().enumerate() {
        // An annotation outside the evaluated images never reaches the overlap; give it an empty box.
        let bbox = match a.bbox {
            Some(b) => b,
            None if is_evaluated(a.image_id, a.category_id, params) => {
                return Err(EvalError::MissingBbox { item: format!("annotations[{index}]") });
            }
            None => [0.0; 4],
        };
        gt_boxes.push(bbox);
        gts.push(GtRecord {
            id: a.id,
            image_id: a.image_id,
            category_id: a.category_id,
            area: a.area,
            iscrowd: a.iscrowd,
            ignore: a.iscrowd,
        });
    }
    let dt_boxes: Vec<[f64; 4]> = dt.detections().iter().map(|d| d.bbox).collect();
    evaluate_records(gt, dt, &gts, &BboxOverlap { dt: &dt_boxes, gt: &gt_boxes }, params)
}

/// The protocol's matching and accumulation over `gts` and the results `dt`, whatever the geometry
/// that `overlap` measures.
pub(crate) fn evaluate_records(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    gts: &[GtRecord],
    overlap: &impl PairOverlap,
    params: &Params,
) -> Result<Evaluation, EvalError> {
    let dts: Vec<DtRecord> = dt
        .detections()
        .iter()
        .zip(dt.areas())
        .map(|(d, &area)| DtRecord { image_id: d.image_id, category_id: d.category_id, area, score: d.score })
        .collect();
    let cat_ids = gt.category_ids();
    let input = EvalInput { image_ids: gt.image_ids(), category_ids: &cat_ids, gts, dts: &dts };
    evaluate(&input, overlap, params)
}

pub(crate) fn is_evaluated(image_id: i64, category_id: i64, params: &Params) -> bool {
    params.img_ids.as_ref().is_none_or(|ids| ids.contains(&image_id))
        && params.cat_ids.as_ref().is_none_or(|ids| ids.contains(&category_id))
}
