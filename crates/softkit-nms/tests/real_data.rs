//! Parity with the plain reference on real detector output: every raw YOLOX-nano candidate on
//! 100 COCO val2017 images (88,907 rows), class-wise, as an NMS stage sees it in production.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{RefKept, RefParams, assert_kept_eq, hard_nms_boxes, iou, merge_lists, soft_nms_ref, widen};
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_nms::{Kept, SuppressParams, batched_nms, nms, soft_nms, suppress_batched};

const CANDIDATES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/yolox-nano/candidates_val2017_100.json");
const HARD_IOU: f64 = 0.65;
const SIGMA: f64 = 0.5;

fn gaussian() -> SuppressParams {
    SuppressParams::gaussian(SIGMA).with_score_threshold(0.001)
}

/// One image's candidates in file order.
struct Image {
    id: i64,
    boxes: Vec<[f64; 4]>,
    scores: Vec<f64>,
    classes: Vec<i64>,
}

/// The reference's answer for one (image, class), in that image's row indices.
struct ClassRef {
    rows: Vec<usize>,
    hard: Vec<usize>,
    soft: RefKept,
}

struct Data {
    images: Vec<Image>,
    /// Per image, per class present (ascending).
    refs: Vec<Vec<ClassRef>>,
}

fn load() -> Vec<Image> {
    let text = std::fs::read_to_string(CANDIDATES).unwrap_or_else(|e| {
        panic!("the real-data test needs {CANDIDATES} (../shared/data beside the project root): {e}")
    });
    let mut json: serde_json::Value = serde_json::from_str(&text).expect("candidates file is valid JSON");
    let ids: Vec<i64> = json["images"]
        .as_array()
        .expect("`images` list")
        .iter()
        .map(|im| im["id"].as_i64().expect("image id"))
        .collect();
    let rows: Vec<[f64; 7]> =
        serde_json::from_value(json["candidates"].take()).expect("`candidates` rows of 7 numbers");
    // Catch a truncated or swapped file before comparing anything.
    assert_eq!(ids.len(), 100, "expected 100 images");
    assert_eq!(rows.len(), 88_907, "expected 88,907 candidate rows");
    let mut by_id: BTreeMap<i64, Image> =
        ids.iter().map(|&id| (id, Image { id, boxes: vec![], scores: vec![], classes: vec![] })).collect();
    for r in &rows {
        assert!(r[0].fract() == 0.0 && r[1].fract() == 0.0, "image id and class must be integers: {r:?}");
        let image = by_id.get_mut(&(r[0] as i64)).unwrap_or_else(|| panic!("row for an unknown image: {r:?}"));
        image.boxes.push([r[2], r[3], r[4], r[5]]);
        image.scores.push(r[6]);
        image.classes.push(r[1] as i64);
    }
    by_id.into_values().collect()
}

fn class_groups(classes: &[i64]) -> Vec<Vec<usize>> {
    let mut map: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, &c) in classes.iter().enumerate() {
        map.entry(c).or_default().push(i);
    }
    map.into_values().collect()
}

/// Loads the file and runs the reference once for all tests.
fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let images = load();
        let soft = RefParams::from(&gaussian());
        let refs = images
            .iter()
            .map(|im| {
                class_groups(&im.classes)
                    .into_iter()
                    .map(|rows| {
                        let boxes: Vec<[f64; 4]> = rows.iter().map(|&i| im.boxes[i]).collect();
                        let scores: Vec<f64> = rows.iter().map(|&i| im.scores[i]).collect();
                        let hard = hard_nms_boxes(&boxes, &scores, HARD_IOU);
                        let soft = soft_nms_ref(boxes.len(), |a, b| iou(&boxes[a], &boxes[b]), &scores, &soft);
                        ClassRef { rows, hard, soft }
                    })
                    .collect()
            })
            .collect();
        Data { images, refs }
    })
}

/// The per-class reference lists of one image, in image row indices, with scores.
fn image_lists(refs: &[ClassRef], scores: &[f64], soft: bool) -> Vec<Vec<(usize, f64)>> {
    refs.iter()
        .map(|c| {
            if soft {
                c.soft.indices.iter().zip(&c.soft.scores).map(|(&k, &s)| (c.rows[k], s)).collect()
            } else {
                c.hard.iter().map(|&k| (c.rows[k], scores[c.rows[k]])).collect()
            }
        })
        .collect()
}

fn to_ref(pairs: &[(usize, f64)]) -> RefKept {
    RefKept { indices: pairs.iter().map(|p| p.0).collect(), scores: pairs.iter().map(|p| p.1).collect(), tied: false }
}

#[test]
fn classwise_hard_nms_matches_reference() {
    let data = data();
    let mut kept_total = 0;
    for (im, refs) in data.images.iter().zip(&data.refs) {
        for c in refs {
            let boxes: Vec<[f64; 4]> = c.rows.iter().map(|&i| im.boxes[i]).collect();
            let scores: Vec<f64> = c.rows.iter().map(|&i| im.scores[i]).collect();
            let got = nms(&boxes, &scores, HARD_IOU).unwrap();
            assert_eq!(got, c.hard, "image {}, class {}", im.id, im.classes[c.rows[0]]);
            kept_total += got.len();
        }
    }
    // Guards against a vacuous pass: real suppression happened.
    assert!(kept_total > 1000 && kept_total < 88_907 / 2, "kept {kept_total}");
}

#[test]
fn classwise_gaussian_soft_nms_matches_reference() {
    let data = data();
    let mut decayed = 0;
    for (im, refs) in data.images.iter().zip(&data.refs) {
        for c in refs {
            let boxes: Vec<[f64; 4]> = c.rows.iter().map(|&i| im.boxes[i]).collect();
            let scores: Vec<f64> = c.rows.iter().map(|&i| im.scores[i]).collect();
            let kept = soft_nms(&boxes, &scores, &gaussian()).unwrap();
            assert_kept_eq(&kept, &c.soft, &format!("image {}, class {}", im.id, im.classes[c.rows[0]]));
            decayed += kept.indices.iter().zip(&kept.scores).filter(|(i, s)| **s < scores[**i]).count();
        }
    }
    assert!(decayed > 1000, "only {decayed} scores were decayed");
}

fn check_image_batched(im: &Image, refs: &[ClassRef], kept_hard: &Kept, kept_soft: &Kept) {
    let hard = merge_lists(&image_lists(refs, &im.scores, false), usize::MAX);
    assert_kept_eq(kept_hard, &to_ref(&hard), &format!("image {} batched hard", im.id));
    let soft = merge_lists(&image_lists(refs, &im.scores, true), usize::MAX);
    assert_kept_eq(kept_soft, &to_ref(&soft), &format!("image {} batched gaussian", im.id));
}

#[test]
fn whole_images_through_suppress_batched_match_merged_reference() {
    let data = data();
    for (im, refs) in data.images.iter().zip(&data.refs) {
        let set = BoxSet::new(&im.boxes, BoxMeasure::Iou, 0.0).unwrap();
        let hard = suppress_batched(&set, &im.scores, &im.classes, &SuppressParams::hard(HARD_IOU)).unwrap();
        let soft = suppress_batched(&set, &im.scores, &im.classes, &gaussian()).unwrap();
        check_image_batched(im, refs, &hard, &soft);
        assert_eq!(batched_nms(&im.boxes, &im.scores, &im.classes, HARD_IOU).unwrap(), hard.indices, "image {}", im.id);
        // Top-100 per image, the usual COCO cap, is a prefix of the merged reference.
        let top = suppress_batched(&set, &im.scores, &im.classes, &gaussian().with_max_output(100)).unwrap();
        let merged = merge_lists(&image_lists(refs, &im.scores, true), 100);
        assert_kept_eq(&top, &to_ref(&merged), &format!("image {} top-100", im.id));
    }
}

#[test]
fn f32_images_match_reference_on_widened_values() {
    // The production path: f32 arrays straight from a detector.
    let data = data();
    for im in data.images.iter().step_by(9) {
        let boxes32: Vec<[f32; 4]> = im.boxes.iter().map(|b| b.map(|v| v as f32)).collect();
        let scores32: Vec<f32> = im.scores.iter().map(|&s| s as f32).collect();
        let boxes = widen(&boxes32);
        let scores: Vec<f64> = scores32.iter().map(|&s| f64::from(s)).collect();
        let set = BoxSet::new(&boxes32, BoxMeasure::Iou, 0.0).unwrap();
        let params = gaussian();
        let lists: Vec<Vec<(usize, f64)>> = class_groups(&im.classes)
            .into_iter()
            .map(|rows| {
                let b: Vec<[f64; 4]> = rows.iter().map(|&i| boxes[i]).collect();
                let s: Vec<f64> = rows.iter().map(|&i| scores[i]).collect();
                let r = soft_nms_ref(b.len(), |x, y| iou(&b[x], &b[y]), &s, &RefParams::from(&params));
                r.indices.iter().zip(&r.scores).map(|(&k, &v)| (rows[k], v)).collect()
            })
            .collect();
        let kept = suppress_batched(&set, &scores32, &im.classes, &params).unwrap();
        assert_kept_eq(&kept, &to_ref(&merge_lists(&lists, usize::MAX)), &format!("image {} f32", im.id));
    }
}

#[test]
fn all_images_in_one_batched_call_match_merged_reference() {
    // Label = (image, class): 88,907 items in ~2,400 scopes, which takes the parallel path.
    let data = data();
    let mut boxes = Vec::new();
    let mut scores = Vec::new();
    let mut labels = Vec::new();
    let mut hard_lists = Vec::new();
    let mut soft_lists = Vec::new();
    for (im, refs) in data.images.iter().zip(&data.refs) {
        let base = boxes.len();
        boxes.extend_from_slice(&im.boxes);
        scores.extend_from_slice(&im.scores);
        labels.extend(im.classes.iter().map(|&c| im.id * 1000 + c));
        for (list, soft) in [(&mut hard_lists, false), (&mut soft_lists, true)] {
            list.extend(
                image_lists(refs, &im.scores, soft)
                    .into_iter()
                    .map(|l| l.into_iter().map(|(i, s)| (base + i, s)).collect::<Vec<_>>()),
            );
        }
    }
    assert_eq!(boxes.len(), 88_907);
    let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
    let hard = suppress_batched(&set, &scores, &labels, &SuppressParams::hard(HARD_IOU)).unwrap();
    assert_kept_eq(&hard, &to_ref(&merge_lists(&hard_lists, usize::MAX)), "all images, hard");
    let soft = suppress_batched(&set, &scores, &labels, &gaussian()).unwrap();
    assert_kept_eq(&soft, &to_ref(&merge_lists(&soft_lists, usize::MAX)), "all images, gaussian");
    let top = suppress_batched(&set, &scores, &labels, &gaussian().with_max_output(5000)).unwrap();
    assert_kept_eq(&top, &to_ref(&merge_lists(&soft_lists, 5000)), "all images, gaussian top-5000");
}
