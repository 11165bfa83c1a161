//! Keypoint evaluation of COCO files: pycocotools' `COCOeval(gt, dt, "keypoints")`.

use crate::coco_bbox::{evaluate_records, is_evaluated};
use crate::{
    COCO_KEYPOINT_SIGMAS, CocoGroundTruth, CocoResults, EvalError, Evaluation, GtRecord, KeypointOverlap, Params,
};

/// Evaluates keypoint detections against COCO ground truth by OKS with the 17 COCO sigmas, as
/// pycocotools' `COCOeval` with `iouType="keypoints"` followed by `evaluate()` and `accumulate()`.
///
/// Use [`Params::keypoints`] for pycocotools' keypoint defaults (maxDets 20; area ranges all,
/// medium and large) and [`Evaluation::keypoint_stats`] for its 10-number summary. See
/// [`evaluate_keypoints_with_sigmas`] for other skeletons.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_keypoints};
///
/// let kps: Vec<f64> = (0..17).flat_map(|i| [100.0 + 5.0 * i as f64, 100.0 + 10.0 * i as f64, 2.0]).collect();
/// let gt = serde_json::json!({
///     "images": [{"id": 1}], "categories": [{"id": 1, "name": "person"}],
///     "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 5000, "iscrowd": 0,
///                      "bbox": [100, 100, 80, 160], "num_keypoints": 17, "keypoints": kps}]});
/// let gt = CocoGroundTruth::from_value(&gt)?;
/// let dt = CocoResults::from_value(
///     &serde_json::json!([{"image_id": 1, "category_id": 1, "keypoints": kps, "score": 0.9}]), &gt)?;
/// assert_eq!(dt.detections()[0].bbox, [100.0, 100.0, 80.0, 160.0]); // the keypoints' extent
/// let stats = evaluate_keypoints(&gt, &dt, &Params::keypoints())?.keypoint_stats();
/// assert!((stats[0] - 1.0).abs() < 1e-15); // AP: an exact match
/// assert!((stats[3] - 1.0).abs() < 1e-15); // APm: area 5000 is medium
/// assert_eq!(stats[4], -1.0);               // APl: no large person
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_keypoints(gt: &CocoGroundTruth, dt: &CocoResults, params: &Params) -> Result<Evaluation, EvalError> {
    evaluate_keypoints_with_sigmas(gt, dt, params, &COCO_KEYPOINT_SIGMAS)
}

/// [`evaluate_keypoints`] with one OKS sigma per keypoint (pycocotools' `kpt_oks_sigmas`), for
/// skeletons other than COCO's 17 person keypoints.
///
/// Ground truth is ignored when it is a crowd or its `num_keypoints` is 0; a crowd may still
/// absorb any number of detections. Area ranges test each annotation's `area` field, which also
/// scales OKS, and each detection's [`CocoResults::areas`] (for keypoint results, the area of the
/// box around all their keypoints).
///
/// # Errors
///
/// Besides the checks of [`evaluate`]: `use_cats` off (pycocotools then looks ground truth up
/// under category `-1` and matches nothing), empty or non-positive sigmas, and, for evaluated
/// items, a missing `num_keypoints`, `bbox` or `keypoints` on a ground truth, missing `keypoints`
/// on a result, and keypoints whose count differs from the number of sigmas.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_keypoints_with_sigmas};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0,
///                          "bbox": [0, 0, 10, 10], "num_keypoints": 1, "keypoints": [5, 5, 2, 0, 0, 0]}]}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1, 60, 60, 1], "score": 0.9}]"#, &gt)?;
/// let ev = evaluate_keypoints_with_sigmas(&gt, &dt, &Params::keypoints(), &[0.1, 0.1])?;
/// // Only the visible keypoint counts, and it is exact: OKS 1.
/// assert!((ev.keypoint_stats()[0] - 1.0).abs() < 1e-15);
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_keypoints_with_sigmas(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    params: &Params,
    sigmas: &[f64],
) -> Result<Evaluation, EvalError> {
    if !params.use_cats {
        return Err(EvalError::Params {
            field: "use_cats",
            reason: "false is not supported for keypoints: pycocotools' computeOks then looks ground truth up under \
                     category -1 and matches nothing"
                .into(),
        });
    }
    if sigmas.is_empty() {
        return Err(EvalError::Params { field: "sigmas", reason: "must not be empty".into() });
    }
    if let Some((i, s)) = sigmas.iter().enumerate().find(|(_, s)| !(s.is_finite() && **s > 0.0)) {
        return Err(EvalError::Params { field: "sigmas", reason: format!("[{i}] = {s} is not a positive number") });
    }
    let expected = 3 * sigmas.len();
    let check_count = |kp: &[f64], item: &dyn Fn() -> String| {
        if kp.len() == expected {
            Ok(())
        } else {
            Err(EvalError::KeypointCount { item: item(), len: kp.len(), expected })
        }
    };

    let anns = gt.annotations();
    let (gt_kps_all, gt_nums) = (gt.keypoints(), gt.num_keypoints());
    let mut gt_kps = Vec::with_capacity(anns.len());
    let mut gt_boxes = Vec::with_capacity(anns.len());
    let mut gt_areas = Vec::with_capacity(anns.len());
    let mut gts = Vec::with_capacity(anns.len());
    for (index, a) in anns.iter().enumerate() {
        let item = || format!("annotations[{index}]");
        let evaluated = is_evaluated(a.image_id, a.category_id, params);
        let missing = |field| EvalError::MissingField { item: item(), field, needed_by: "keypoint evaluation needs" };
        let num = gt_nums.get(index).copied().flatten();
        let (kps, bbox, no_keypoints) = if evaluated {
            let kps = gt_kps_all.get(index).and_then(Option::as_ref).ok_or_else(|| missing("keypoints"))?;
            check_count(kps, &item)?;
            let bbox = a.bbox.ok_or_else(|| missing("bbox"))?;
            (kps.clone(), bbox, num.ok_or_else(|| missing("num_keypoints"))? == 0)
        } else {
            // Outside the evaluated images and categories: never measured.
            (Vec::new(), [0.0; 4], true)
        };
        gt_kps.push(kps);
        gt_boxes.push(bbox);
        gt_areas.push(a.area);
        gts.push(GtRecord {
            id: a.id,
            image_id: a.image_id,
            category_id: a.category_id,
            area: a.area,
            iscrowd: a.iscrowd,
            ignore: a.iscrowd || no_keypoints,
        });
    }

    let dets = dt.detections();
    let dt_kps_all = dt.keypoints();
    let mut dt_kps = Vec::with_capacity(dets.len());
    for (index, d) in dets.iter().enumerate() {
        if !is_evaluated(d.image_id, d.category_id, params) {
            dt_kps.push(Vec::new());
            continue;
        }
        let item = || format!("results[{index}]");
        let kps = dt_kps_all.get(index).and_then(Option::as_ref).ok_or_else(|| EvalError::MissingField {
            item: item(),
            field: "keypoints",
            needed_by: "keypoint evaluation needs",
        })?;
        check_count(kps, &item)?;
        dt_kps.push(kps.clone());
    }
    let overlap = KeypointOverlap { dt: &dt_kps, gt: &gt_kps, gt_bbox: &gt_boxes, gt_area: &gt_areas, sigmas };
    evaluate_records(gt, dt, &gts, &overlap, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gt_json(anns: &str) -> CocoGroundTruth {
        CocoGroundTruth::from_json_str(&format!(
            r#"{{"images": [{{"id": 1}}, {{"id": 2}}], "categories": [{{"id": 1}}, {{"id": 2}}], "annotations": [{anns}]}}"#
        ))
        .unwrap()
    }

    const ONE: &str = r#"{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0,
                          "bbox": [0, 0, 10, 10], "num_keypoints": 1, "keypoints": [5, 5, 2]}"#;

    #[test]
    fn errors_name_item_and_field() {
        let sig = [0.1];
        let gt = gt_json(ONE);
        let dt = CocoResults::from_json_str(
            r#"[{"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1, 6, 6, 1], "score": 0.9}]"#,
            &gt,
        )
        .unwrap();
        let err = evaluate_keypoints_with_sigmas(&gt, &dt, &Params::keypoints(), &sig).unwrap_err();
        assert_eq!(
            err.to_string(),
            "results[0].keypoints has 6 numbers; expected 3 (x, y, v for each of the 1 keypoints of the OKS sigmas)"
        );
        let boxes = CocoResults::from_json_str(
            r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.9}]"#,
            &gt,
        )
        .unwrap();
        let err = evaluate_keypoints_with_sigmas(&gt, &boxes, &Params::keypoints(), &sig).unwrap_err();
        assert_eq!(err.to_string(), "results[0] has no keypoints, which keypoint evaluation needs");
        let no_num = gt_json(&ONE.replace(r#""num_keypoints": 1, "#, ""));
        let err =
            evaluate_keypoints_with_sigmas(&no_num, &CocoResults::default(), &Params::keypoints(), &sig).unwrap_err();
        assert_eq!(err.to_string(), "annotations[0] has no num_keypoints, which keypoint evaluation needs");
        let err = evaluate_keypoints_with_sigmas(&gt, &dt, &Params::keypoints(), &[0.1, -1.0]).unwrap_err();
        assert_eq!(err.to_string(), "invalid parameter sigmas: [1] = -1 is not a positive number");
        let no_cats = Params { use_cats: false, ..Params::keypoints() };
        let err = evaluate_keypoints_with_sigmas(&gt, &dt, &no_cats, &sig).unwrap_err();
        assert!(err.to_string().starts_with("invalid parameter use_cats: false is not supported"), "{err}");
        let short = CocoGroundTruth::from_json_str(&format!(
            r#"{{"images": [{{"id": 1}}], "categories": [{{"id": 1}}], "annotations": [{}]}}"#,
            ONE.replace("[5, 5, 2]", "[5, 5]")
        ))
        .unwrap_err();
        assert_eq!(
            short.to_string(),
            "annotations[0].keypoints has 2 numbers; expected a non-empty list of x, y, v triples"
        );
    }

    #[test]
    fn items_outside_the_evaluated_images_need_no_keypoints() {
        let other = r#"{"id": 2, "image_id": 2, "category_id": 2, "area": 100, "iscrowd": 0}"#;
        let gt = gt_json(&format!("{ONE}, {other}"));
        let dt = CocoResults::from_json_str(
            r#"[{"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1], "score": 0.9}]"#,
            &gt,
        )
        .unwrap();
        let params = Params { img_ids: Some(vec![1]), cat_ids: Some(vec![1]), ..Params::keypoints() };
        let ev = evaluate_keypoints_with_sigmas(&gt, &dt, &params, &[0.1]).unwrap();
        assert!((ev.keypoint_stats()[0] - 1.0).abs() < 1e-15);
        assert!(evaluate_keypoints_with_sigmas(&gt, &dt, &Params::keypoints(), &[0.1]).is_err());
    }

    #[test]
    fn num_keypoints_zero_and_crowds_are_ignored() {
        // A crowd and a num_keypoints-0 person, each matched exactly by one detection: both
        // detections are ignored, and there is nothing to recall.
        let crowd = ONE.replace(r#""iscrowd": 0"#, r#""iscrowd": 1"#);
        let zero = ONE.replace(r#""id": 1"#, r#""id": 2"#).replace(r#""num_keypoints": 1"#, r#""num_keypoints": 0"#);
        for ann in [crowd, zero] {
            let gt = gt_json(&ann);
            let dt = CocoResults::from_json_str(
                r#"[{"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1], "score": 0.9},
                    {"image_id": 1, "category_id": 1, "keypoints": [5, 5, 1], "score": 0.8}]"#,
                &gt,
            )
            .unwrap();
            let ev = evaluate_keypoints_with_sigmas(&gt, &dt, &Params::keypoints(), &[0.1]).unwrap();
            assert_eq!(ev.keypoint_stats(), [-1.0; 10]);
        }
    }
}
