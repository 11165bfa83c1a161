//! The `coco_results` target: COCO results lists, read against a fixed ground truth by
//! `loadRes`' rules, then evaluated in every geometry the ground truth carries.

use std::sync::OnceLock;

use softkit_eval::{
    CocoGroundTruth, CocoResults, Evaluation, Params, VocParams, evaluate_bbox, evaluate_coco, evaluate_keypoints,
    evaluate_nms_ap, evaluate_segm, evaluate_voc_coco,
};
use softkit_geom::{BevIou, Boxes3d, Iou, Polygons, Rle, RotatedBoxes, Segments, XywhBoxes};

/// Two 64 x 64 images, two categories, and three annotations that carry every shape (box,
/// polygon or run-length segmentation, 17 keypoints, rotated box, 3-D box, time segment); one is
/// a crowd.
fn ground_truth() -> &'static CocoGroundTruth {
    static GT: OnceLock<CocoGroundTruth> = OnceLock::new();
    GT.get_or_init(|| {
        let annotation = |id: i64, image: i64, category: i64, [x, y, w, h]: [f64; 4], crowd: bool| {
            let keypoints: Vec<f64> = (0..17).flat_map(|k| [x + k as f64, y + (k % 5) as f64, 2.0]).collect();
            let segmentation = if crowd {
                let rle = Rle::from_bbox([x, y, w, h], 64, 64).expect("a box inside the image");
                format!(r#"{{"size": [64, 64], "counts": "{}"}}"#, rle.to_compressed())
            } else {
                format!("[[{x}, {y}, {}, {y}, {}, {}, {x}, {}]]", x + w, x + w, y + h, y + h)
            };
            format!(
                r#"{{"id": {id}, "image_id": {image}, "category_id": {category}, "area": {}, "iscrowd": {},
                    "bbox": [{x}, {y}, {w}, {h}], "segmentation": {segmentation}, "keypoints": {keypoints:?},
                    "num_keypoints": 17, "rbox": [{}, {}, {w}, {h}, 0.3], "box3d": [{}, {}, 1, {w}, {h}, 2, 0.3],
                    "segment": [{x}, {}]}}"#,
                w * h,
                u8::from(crowd),
                x + w / 2.0,
                y + h / 2.0,
                x + w / 2.0,
                y + h / 2.0,
                x + w
            )
        };
        let text = format!(
            r#"{{"images": [{{"id": 1, "height": 64, "width": 64}}, {{"id": 2, "height": 64, "width": 64}}],
                "categories": [{{"id": 1, "name": "person"}}, {{"id": 2, "name": "car"}}],
                "annotations": [{}, {}, {}]}}"#,
            annotation(1, 1, 1, [10.0, 10.0, 20.0, 20.0], false),
            annotation(2, 2, 2, [0.0, 0.0, 8.0, 8.0], true),
            annotation(3, 1, 2, [40.0, 40.0, 10.0, 12.0], false),
        );
        CocoGroundTruth::from_json_str(&text).expect("the fixed ground truth is valid")
    })
}

/// Reads the bytes (as UTF-8, invalid sequences replaced) with [`CocoResults::from_json_str`]
/// against a fixed ground truth of two images. Anything may be refused with an error; what is
/// read must have aligned columns, and is evaluated as boxes, masks, keypoints, rotated boxes,
/// polygons, time segments, 3-D boxes (3-D and bird's-eye IoU), NMS-AP and VOC, each of which
/// may refuse results that lack its shape. Every summary number must be `-1` or in `[0, 1]`.
/// The input's length picks pycocotools' default parameters or one of two unusual sets.
///
/// # Examples
///
/// ```
/// softkit_fuzz::coco_results(br#"[{"image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "score": 0.9}]"#);
/// softkit_fuzz::coco_results(b"[]");
/// ```
pub fn coco_results(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let gt = ground_truth();
    let Ok(dt) = CocoResults::from_json_str(&text, gt) else { return };
    let n = dt.len();
    assert_eq!(dt.detections().len(), n);
    assert_eq!(dt.areas().len(), n);
    let columns = [
        dt.segmentations().len(),
        dt.keypoints().len(),
        dt.rboxes().len(),
        dt.polygons().len(),
        dt.boxes3d().len(),
        dt.segments().len(),
    ];
    assert!(columns.iter().all(|&len| len == n || len == 0), "columns {columns:?} for {n} results");
    for d in dt.detections() {
        assert!(gt.has_image(d.image_id), "a result on image {} that the ground truth lacks", d.image_id);
    }
    let params = match data.len() % 3 {
        0 => Params::default(),
        1 => Params { use_cats: false, max_dets: vec![0, 1, 5], ..Params::default() },
        _ => {
            Params { img_ids: Some(vec![2, 99, 1]), iou_thrs: vec![0.0, 1.0], rec_thrs: vec![0.5], ..Params::default() }
        }
    };
    check(evaluate_bbox(gt, &dt, &params).ok());
    check(evaluate_segm(gt, &dt, &params).ok());
    check(evaluate_keypoints(gt, &dt, &Params::keypoints()).ok());
    check(evaluate_coco::<RotatedBoxes, _>(gt, &dt, &Iou, &params).ok());
    check(evaluate_coco::<Polygons, _>(gt, &dt, &Iou, &params).ok());
    check(evaluate_coco::<Segments, _>(gt, &dt, &Iou, &params).ok());
    check(evaluate_coco::<Boxes3d, _>(gt, &dt, &Iou, &params).ok());
    check(evaluate_coco::<Boxes3d, _>(gt, &dt, &BevIou, &params).ok());
    check(evaluate_nms_ap(gt, &dt, &params).ok());
    if let Ok(voc) = evaluate_voc_coco::<XywhBoxes, _>(gt, &dt, &Iou, &VocParams::default()) {
        let map = voc.map();
        // The devkit's 11-point AP adds `p / 11` eleven times, which can round to 1 + 2e-16.
        assert!(map.is_nan() || (0.0..=1.0 + 1e-12).contains(&map), "VOC mAP {map}");
        for class in &voc.classes {
            assert!(class.ap.is_nan() || (0.0..=1.0 + 1e-12).contains(&class.ap), "VOC {class:?}");
        }
        let _ = voc.summary();
    }
}

/// The summary numbers of an evaluation are `-1` (nothing to measure) or in `[0, 1]`.
fn check(evaluation: Option<Evaluation>) {
    let Some(evaluation) = evaluation else { return };
    let in_range = |s: f64| s == -1.0 || (0.0..=1.0).contains(&s);
    if let Ok(stats) = evaluation.stats() {
        assert!(stats.iter().all(|&s| in_range(s)), "stats {stats:?}");
        let _ = evaluation.summary();
    }
    assert!(evaluation.keypoint_stats().iter().all(|&s| in_range(s)), "keypoint stats");
    for class in evaluation.class_ap() {
        assert!(in_range(class.ap), "{class:?}");
    }
    for &p in evaluation.precision() {
        assert!(in_range(p), "precision {p}");
    }
}
