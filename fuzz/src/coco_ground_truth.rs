//! The `coco_ground_truth` target: COCO ground-truth files (`instances_*.json`), then a box
//! evaluation of the ground truth against its own boxes.

use softkit_eval::{CocoGroundTruth, CocoResults, Detection, Params, evaluate_bbox};

/// Reads the bytes (as UTF-8, invalid sequences replaced) with
/// [`CocoGroundTruth::from_json_str`]. Anything may be refused with an error; what is read must
/// have its per-annotation columns aligned and its image ids sorted and unique. Its boxes are
/// then scored as detections of themselves (`evaluate_bbox` with pycocotools' defaults), whose
/// AP and AR must each be `-1` (nothing to measure) or in `[0, 1]`.
///
/// # Examples
///
/// ```
/// softkit_fuzz::coco_ground_truth(br#"{"images": [{"id": 1}], "categories": [{"id": 1, "name": "cat"}],
///     "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#);
/// softkit_fuzz::coco_ground_truth(b"{}");
/// ```
pub fn coco_ground_truth(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(gt) = CocoGroundTruth::from_json_str(&text) else { return };
    let n = gt.annotations().len();
    let aligned = [
        gt.segmentations().len(),
        gt.keypoints().len(),
        gt.num_keypoints().len(),
        gt.rboxes().len(),
        gt.boxes3d().len(),
        gt.segments().len(),
        gt.difficult().len(),
    ];
    assert!(aligned.iter().all(|&len| len == n), "columns {aligned:?} for {n} annotations");
    assert!(gt.image_ids().windows(2).all(|w| w[0] < w[1]), "image ids not sorted and unique");
    for id in gt.image_ids() {
        assert!(gt.has_image(*id));
    }
    for category in gt.categories() {
        assert!(gt.has_category(category.id));
    }
    // Every annotation with a box, on a known image and category, detects itself.
    let detections: Vec<Detection> = gt
        .annotations()
        .iter()
        .filter(|a| gt.has_image(a.image_id) && gt.has_category(a.category_id))
        .filter_map(|a| Some(Detection { image_id: a.image_id, category_id: a.category_id, bbox: a.bbox?, score: 1.0 }))
        .collect();
    let Ok(results) = CocoResults::from_detections(detections, &gt) else { return };
    let Ok(evaluation) = evaluate_bbox(&gt, &results, &Params::default()) else { return };
    if let Ok(stats) = evaluation.stats() {
        assert!(stats.iter().all(|&s| s == -1.0 || (0.0..=1.0).contains(&s)), "stats {stats:?}");
    }
    let _ = evaluation.summary();
    for class in evaluation.class_ap() {
        assert!(class.ap == -1.0 || (0.0..=1.0).contains(&class.ap), "{class:?}");
    }
}
