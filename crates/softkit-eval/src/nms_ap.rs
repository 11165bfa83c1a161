//! NMS-AP, the metric of the OVDEval benchmark (Yao et al. 2023, "How to Evaluate the
//! Generalization of Detection?"): suppress a model's hedging against the ground truth, then run
//! standard COCO bbox AP.

use std::collections::HashMap;

use softkit_geom::{Iou, Measure, XywhBoxes};
use softkit_io::{CocoGroundTruth, CocoResults, IoError};

use crate::{EvalError, Evaluation, Params, evaluate_bbox};

/// The IoU above which (strictly) a prediction counts as covering a ground-truth object in
/// [`nms_ap_filter`].
pub const NMS_AP_IOU_THRESHOLD: f64 = 0.5;

/// The detections that NMS-AP keeps, as indices into `dt.detections()`, ascending.
///
/// Class-agnostic, per image. For each ground-truth annotation of the image, of any category and
/// crowds included, the predictions of any label with IoU strictly above 0.5 are
/// sorted by score, descending (ties: earlier result first). The first is a *top match*; the rest
/// are marked. A marked prediction is removed unless it is the top match of some ground truth;
/// predictions that cover no ground truth stay. A model that hedges one object with several
/// labels keeps only its most confident guess, so its extra labels can no longer buy AP.
///
/// OVDEval orders tied scores with `np.argsort(...)[::-1]`, which has no defined order for ties;
/// softkit breaks them by input order, so that the result does not depend on the platform.
///
/// # Errors
///
/// A ground-truth annotation without a `bbox` on an image that has detections.
///
/// # Examples
///
/// One cat, predicted as "cat" (0.9), "dog" (0.8) and "fox" (0.7) with the same box, and a
/// stray box elsewhere:
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, nms_ap_filter};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}, {"id": 2}, {"id": 3}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 400, "iscrowd": 0,
///                          "bbox": [10, 10, 20, 20]}]}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 2, "bbox": [10, 10, 20, 20], "score": 0.8},
///         {"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9},
///         {"image_id": 1, "category_id": 3, "bbox": [11, 10, 20, 20], "score": 0.7},
///         {"image_id": 1, "category_id": 3, "bbox": [80, 80, 20, 20], "score": 0.6}]"#,
///     &gt,
/// )?;
/// assert_eq!(nms_ap_filter(&gt, &dt)?, vec![1, 3]);
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn nms_ap_filter(gt: &CocoGroundTruth, dt: &CocoResults) -> Result<Vec<usize>, EvalError> {
    let dets = dt.detections();
    let predictions = XywhBoxes::new(dets.iter().map(|d| d.bbox).collect::<Vec<_>>())
        .map_err(|source| IoError::Geometry { item: format!("results[{}]", source.index().unwrap_or(0)), source })?;
    let mut by_image: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, d) in dets.iter().enumerate() {
        by_image.entry(d.image_id).or_default().push(i);
    }
    let mut gt_by_image: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut gt_boxes = Vec::new();
    for (index, a) in gt.annotations().iter().enumerate() {
        if !by_image.contains_key(&a.image_id) {
            continue;
        }
        let bbox = a.bbox.ok_or_else(|| IoError::MissingField {
            item: format!("annotations[{index}]"),
            field: "bbox",
            needed_by: "bbox evaluation needs",
        })?;
        gt_by_image.entry(a.image_id).or_default().push(gt_boxes.len());
        gt_boxes.push(bbox);
    }
    let objects =
        XywhBoxes::new(gt_boxes).map_err(|source| IoError::Geometry { item: "annotations".into(), source })?;
    // 0: untouched, 1: marked for removal, 2: a top match (kept whatever else happens).
    let mut mark = vec![0_u8; dets.len()];
    let mut matches: Vec<usize> = Vec::new();
    for (image_id, preds) in &by_image {
        for &g in gt_by_image.get(image_id).map(Vec::as_slice).unwrap_or_default() {
            matches.clear();
            matches.extend(
                preds.iter().copied().filter(|&p| Iou.between(&objects, g, &predictions, p) > NMS_AP_IOU_THRESHOLD),
            );
            // `preds` is ascending, so a stable sort breaks ties by input order.
            matches.sort_by(|&a, &b| dets[b].score.total_cmp(&dets[a].score));
            if let Some((&top, rest)) = matches.split_first() {
                mark[top] = 2;
                for &p in rest {
                    mark[p] = mark[p].max(1);
                }
            }
        }
    }
    Ok((0..dets.len()).filter(|&i| mark[i] != 1).collect())
}

/// NMS-AP: standard COCO bbox evaluation ([`evaluate_bbox`]) of the detections that
/// [`nms_ap_filter`] keeps.
///
/// Compare its stats with those of [`evaluate_bbox`] on the same detections: a model that
/// hedges objects with several labels loses AP here, one that commits to one label does not.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_bbox, evaluate_nms_ap};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1}, {"id": 2}],
///         "annotations": [
///             {"id": 1, "image_id": 1, "category_id": 1, "area": 400, "iscrowd": 0, "bbox": [0, 0, 20, 20]},
///             {"id": 2, "image_id": 2, "category_id": 2, "area": 400, "iscrowd": 0, "bbox": [0, 0, 20, 20]}]}"#,
/// )?;
/// // The model is unsure on image 2 and names both labels, the wrong one first.
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.9},
///         {"image_id": 2, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.6},
///         {"image_id": 2, "category_id": 2, "bbox": [0, 0, 20, 20], "score": 0.5}]"#,
///     &gt,
/// )?;
/// let ap = evaluate_bbox(&gt, &dt, &Params::default())?.stats()?[0];
/// let nms_ap = evaluate_nms_ap(&gt, &dt, &Params::default())?.stats()?[0];
/// assert!((ap - 1.0).abs() < 1e-9); // the stray "1" on image 2 ranks below category 1's true match
/// assert!((nms_ap - 0.5).abs() < 1e-9); // the hedge costs category 2 its only match
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_nms_ap(gt: &CocoGroundTruth, dt: &CocoResults, params: &Params) -> Result<Evaluation, EvalError> {
    let kept = nms_ap_filter(gt, dt)?;
    evaluate_bbox(gt, &dt.select(&kept), params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gt(anns: &str) -> CocoGroundTruth {
        CocoGroundTruth::from_json_str(&format!(
            r#"{{"images": [{{"id": 1}}, {{"id": 2}}], "categories": [{{"id": 1}}, {{"id": 2}}], "annotations": [{anns}]}}"#
        ))
        .unwrap()
    }

    fn dt(rows: &[(i64, i64, [f64; 4], f64)], gt: &CocoGroundTruth) -> CocoResults {
        let text: Vec<String> = rows
            .iter()
            .map(|(im, c, b, s)| {
                format!(
                    r#"{{"image_id": {im}, "category_id": {c}, "bbox": [{}, {}, {}, {}], "score": {s}}}"#,
                    b[0], b[1], b[2], b[3]
                )
            })
            .collect();
        CocoResults::from_json_str(&format!("[{}]", text.join(",")), gt).unwrap()
    }

    #[test]
    fn iou_exactly_one_half_is_not_a_match() {
        // IoU 100 / 200 = 0.5 exactly: not above the threshold, so both predictions stay.
        let truth =
            gt(r#"{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]}"#);
        let halves = XywhBoxes::new(vec![[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 5.0]]).unwrap();
        assert_eq!(Iou.between(&halves, 0, &halves, 1), 0.5);
        let d = dt(&[(1, 1, [0.0, 0.0, 10.0, 10.0], 0.9), (1, 2, [0.0, 0.0, 10.0, 5.0], 0.8)], &truth);
        assert_eq!(nms_ap_filter(&truth, &d).unwrap(), vec![0, 1]);
    }

    #[test]
    fn a_top_match_of_any_ground_truth_survives() {
        // Two ground truths side by side; prediction 1 overlaps both. It loses to prediction 0 on
        // the left object but is the best on the right one, so it stays; prediction 2 is the
        // runner-up on the right object and goes.
        let truth = gt(
            r#"{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]},
                         {"id": 2, "image_id": 1, "category_id": 2, "area": 100, "iscrowd": 1, "bbox": [4, 0, 10, 10]}"#,
        );
        let d = dt(
            &[
                (1, 1, [0.0, 0.0, 10.0, 10.0], 0.9),
                (1, 2, [2.0, 0.0, 10.0, 10.0], 0.8),
                (1, 2, [4.0, 0.0, 10.0, 10.0], 0.7),
                (2, 1, [0.0, 0.0, 10.0, 10.0], 0.5),
            ],
            &truth,
        );
        assert_eq!(nms_ap_filter(&truth, &d).unwrap(), vec![0, 1, 3]);
    }

    #[test]
    fn ties_go_to_the_earlier_result_and_ground_truth_needs_a_box() {
        let truth =
            gt(r#"{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]}"#);
        let d = dt(&[(1, 2, [0.0, 0.0, 10.0, 10.0], 0.5), (1, 1, [0.0, 0.0, 10.0, 10.0], 0.5)], &truth);
        assert_eq!(nms_ap_filter(&truth, &d).unwrap(), vec![0]);
        let no_box = gt(r#"{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0}"#);
        let d = dt(&[(1, 1, [0.0, 0.0, 10.0, 10.0], 0.5)], &no_box);
        assert_eq!(
            nms_ap_filter(&no_box, &d).unwrap_err().to_string(),
            "annotations[0] has no bbox, which bbox evaluation needs"
        );
    }
}
