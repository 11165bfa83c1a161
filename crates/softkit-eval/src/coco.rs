//! COCO evaluation of COCO files, one entry point for every geometry: pycocotools' `COCOeval`
//! with `iouType` "bbox", "segm" or "keypoints" are three uses of [`evaluate_coco`].

use softkit_geom::{COCO_KEYPOINT_SIGMAS, Iou, Keypoints, Masks, Measure, Oks, PairView, XywhBoxes};
use softkit_io::{CocoGeometry, CocoGroundTruth, CocoResults};

use crate::{DtRecord, EvalError, EvalInput, Evaluation, GtRecord, ImageEval, Params, evaluate, evaluate_images};

/// Evaluates `dt` against `gt` by `measure` on the geometry `G`, as pycocotools' `COCOeval`
/// followed by `evaluate()` and `accumulate()`: the one entry point behind [`evaluate_bbox`],
/// [`evaluate_segm`] and [`evaluate_keypoints`].
///
/// Only the items of the evaluated images and categories ([`Params::img_ids`],
/// [`Params::cat_ids`]) are read, with [`CocoGeometry`]; ground truth is ignored when it is a
/// crowd or the geometry's own rule says so; area ranges test each annotation's `area` field and
/// each detection's [`CocoResults::areas`].
///
/// # Errors
///
/// [`EvalError`] for an item that lacks the geometry or holds an invalid one (naming it), a
/// non-finite score or area, or unusable parameters.
///
/// # Examples
///
/// Intersection over the smaller box instead of IoU, on COCO boxes:
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_coco};
/// use softkit_geom::{IoMin, XywhBoxes};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0,
///                          "bbox": [0, 0, 10, 10]}]}"#,
/// )?;
/// // Half the object: IoU 0.5, but it lies inside the ground truth.
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 5], "score": 0.9}]"#, &gt)?;
/// let ev = evaluate_coco::<XywhBoxes, _>(&gt, &dt, &IoMin, &Params::default())?;
/// assert!((ev.stats()?[2] - 1.0).abs() < 1e-15); // a match at 0.75
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_coco<G: CocoGeometry, M: Measure<G>>(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    measure: &M,
    params: &Params,
) -> Result<Evaluation, EvalError> {
    let records = CocoRecords::<G>::new(gt, dt, params)?;
    let cat_ids = gt.category_ids();
    let input = EvalInput { image_ids: gt.image_ids(), category_ids: &cat_ids, gts: &records.gts, dts: &records.dts };
    evaluate(&input, &PairView::new(records.dt_geometry, records.gt_geometry, measure), params)
}

/// pycocotools' `evalImgs` for COCO files: [`evaluate_images`] over what [`evaluate_coco`] reads.
/// Detections are numbered from 1 in file order, as `loadRes` numbers them, unless `dt_ids`
/// gives one id per result.
///
/// # Errors
///
/// As [`evaluate_coco`], and a `dt_ids` whose length is not the number of results.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_coco_images};
/// use softkit_geom::{Iou, XywhBoxes};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0,
///                          "bbox": [0, 0, 10, 10]}]}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 8], "score": 0.9}]"#, &gt)?;
/// let images = evaluate_coco_images::<XywhBoxes, _>(&gt, &dt, &Iou, &Params::default(), None)?;
/// let all = images[0].as_ref().unwrap();
/// assert_eq!((all.dt_ids[0], all.gt_ids[0], all.dt_matches[0]), (1, 5, 5.0));
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate_coco_images<G: CocoGeometry, M: Measure<G>>(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    measure: &M,
    params: &Params,
    dt_ids: Option<&[i64]>,
) -> Result<Vec<Option<ImageEval>>, EvalError> {
    let n = dt.detections().len();
    if let Some(ids) = dt_ids
        && ids.len() != n
    {
        let reason = format!("has {} ids but there are {n} results", ids.len());
        return Err(EvalError::Params { field: "dt_ids", reason });
    }
    let records = CocoRecords::<G>::new(gt, dt, params)?;
    let ids: Vec<i64> = records.dt_rows.iter().map(|&i| dt_ids.map_or(i as i64 + 1, |ids| ids[i])).collect();
    let cat_ids = gt.category_ids();
    let input = EvalInput { image_ids: gt.image_ids(), category_ids: &cat_ids, gts: &records.gts, dts: &records.dts };
    evaluate_images(&input, &ids, &PairView::new(records.dt_geometry, records.gt_geometry, measure), params)
}

/// The evaluated items of COCO files as the matching loop reads them.
struct CocoRecords<G> {
    gts: Vec<GtRecord>,
    dts: Vec<DtRecord>,
    /// Each record's position among the results.
    dt_rows: Vec<usize>,
    gt_geometry: G,
    dt_geometry: G,
}

impl<G: CocoGeometry> CocoRecords<G> {
    fn new(gt: &CocoGroundTruth, dt: &CocoResults, params: &Params) -> Result<Self, EvalError> {
        let (anns, dets) = (gt.annotations(), dt.detections());
        let selection = params.selection();
        let gt_rows: Vec<usize> =
            (0..anns.len()).filter(|&i| selection.includes(anns[i].image_id, anns[i].category_id)).collect();
        let dt_rows: Vec<usize> =
            (0..dets.len()).filter(|&i| selection.includes(dets[i].image_id, dets[i].category_id)).collect();
        let gt_geometry = G::from_annotations(gt, &gt_rows)?;
        let dt_geometry = G::from_results(dt, gt, &dt_rows)?;
        let gts = gt_rows
            .iter()
            .map(|&i| {
                let a = &anns[i];
                let ignore = a.iscrowd || G::ignored(gt, i)?;
                Ok(GtRecord {
                    id: a.id,
                    image_id: a.image_id,
                    category_id: a.category_id,
                    area: a.area,
                    iscrowd: a.iscrowd,
                    ignore,
                })
            })
            .collect::<Result<Vec<GtRecord>, EvalError>>()?;
        let dts: Vec<DtRecord> = dt_rows
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let d = &dets[i];
                let area = if G::OWN_RESULT_AREA { dt_geometry.area(k) } else { dt.areas()[i] };
                DtRecord { image_id: d.image_id, category_id: d.category_id, area, score: d.score }
            })
            .collect();
        Ok(Self { gts, dts, dt_rows, gt_geometry, dt_geometry })
    }
}

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
    evaluate_coco::<XywhBoxes, _>(gt, dt, &Iou, params)
}

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
/// Besides the checks of [`evaluate_coco`]: an evaluated annotation without a `segmentation`, a
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
    evaluate_coco::<Masks, _>(gt, dt, &Iou, params)
}

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
/// Besides the checks of [`evaluate_coco`]: `use_cats` off (pycocotools then looks ground truth up
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
    let oks = Oks::new(sigmas);
    // OKS pairs keypoints one to one: every evaluated item must hold one triple per sigma.
    let expected = oks.keypoint_count();
    let selection = params.selection();
    let wrong = |image_id, category_id, kp: &Option<Vec<f64>>| {
        kp.as_ref().is_some_and(|kp| kp.len() != expected) && selection.includes(image_id, category_id)
    };
    let count_error = |item: String, kp: &Option<Vec<f64>>| EvalError::KeypointCount {
        item,
        len: kp.as_ref().map_or(0, Vec::len),
        expected,
    };
    for (i, (a, kp)) in gt.annotations().iter().zip(gt.keypoints()).enumerate() {
        if wrong(a.image_id, a.category_id, kp) {
            return Err(count_error(format!("annotations[{i}]"), kp));
        }
    }
    for (i, (d, kp)) in dt.detections().iter().zip(dt.keypoints()).enumerate() {
        if wrong(d.image_id, d.category_id, kp) {
            return Err(count_error(format!("results[{i}]"), kp));
        }
    }
    evaluate_coco::<Keypoints, _>(gt, dt, &oks, params)
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
