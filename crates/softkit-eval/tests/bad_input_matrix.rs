//! The Rust API's bad-input matrix: one row per hostile input, with the error it must get and the
//! words its message must hold. Every row must fail cleanly: an `Err`, never a panic, and never
//! an `Ok` with a silently wrong number.

use std::panic::{AssertUnwindSafe, catch_unwind};

use softkit_eval::{CocoGroundTruth, CocoResults, Params, VocParams, evaluate_bbox, evaluate_voc_coco};
use softkit_geom::{
    Box3dOrigin, BoxFormat, BoxMeasure, BoxSet, Boxes3d, Iou, Polygons, RotatedBoxes, RotatedFormat, Segments,
};
use softkit_io::{ShapeKind, parse_detections, parse_shape_detections};
use softkit_nms::{SuppressParams, nms, soft_nms, suppress_batched};

const GT: &str = r#"{"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1}, {"id": 3}],
 "annotations": [{"id": 10, "image_id": 1, "category_id": 1, "area": 100.0, "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#;

fn gt() -> CocoGroundTruth {
    CocoGroundTruth::from_json_str(GT).expect("valid ground truth")
}

/// One row: a name, the call, the error type's name, and the words the message must contain.
type Case = (&'static str, Box<dyn Fn() -> Result<(), (String, &'static str)>>, &'static str, &'static [&'static str]);

fn io<T>(r: Result<T, softkit_io::IoError>) -> Result<(), (String, &'static str)> {
    r.map(drop).map_err(|e| (e.to_string(), "IoError"))
}

fn geom<T>(r: Result<T, softkit_geom::GeomError>) -> Result<(), (String, &'static str)> {
    r.map(drop).map_err(|e| (e.to_string(), "GeomError"))
}

fn nms_err<T>(r: Result<T, softkit_nms::NmsError>) -> Result<(), (String, &'static str)> {
    r.map(drop).map_err(|e| (e.to_string(), "NmsError"))
}

fn eval<T>(r: Result<T, softkit_eval::EvalError>) -> Result<(), (String, &'static str)> {
    r.map(drop).map_err(|e| (e.to_string(), "EvalError"))
}

fn results(text: &'static str) -> Result<(), (String, &'static str)> {
    io(CocoResults::from_json_str(text, &gt()))
}

fn ground_truth(text: &'static str) -> Result<(), (String, &'static str)> {
    io(CocoGroundTruth::from_json_str(text))
}

fn cases() -> Vec<Case> {
    let json: Vec<Case> = vec![
        ("malformed JSON", Box::new(|| ground_truth("{\"images\": [")), "IoError", &["malformed JSON", "line 1"]),
        ("trailing text", Box::new(|| ground_truth(r#"{"images": []} x"#)), "IoError", &["trailing characters"]),
        ("empty text", Box::new(|| ground_truth("")), "IoError", &["malformed JSON", "EOF"]),
        ("not an object", Box::new(|| ground_truth("[]")), "IoError", &["expected a COCO ground truth object"]),
        (
            "missing field, named by its annotation",
            Box::new(|| ground_truth(r#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1}]}"#)),
            "IoError",
            &["annotations[0]: missing field `category_id`", "line 1 column"],
        ),
        (
            "no internal type names",
            Box::new(|| ground_truth(r#"{"images": [7]}"#)),
            "IoError",
            &["images[0]: invalid type: integer `7`, expected an image object"],
        ),
        (
            "string where a number goes",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, "1", 2, 2], "score": 0.5}]"#)),
            "IoError",
            &["results[0].bbox[1]: invalid type: string \"1\", expected a number"],
        ),
        (
            "NaN literal",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], "score": NaN}]"#)),
            "IoError",
            &["results[0].score: NaN is not a JSON number"],
        ),
        (
            "-Infinity literal",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -Infinity, 2], "score": 1}]"#)),
            "IoError",
            &["-Infinity is not a JSON number"],
        ),
        (
            "fractional id",
            Box::new(|| results(r#"[{"image_id": 1.5, "category_id": 1, "bbox": [0, 0, 2, 2], "score": 1}]"#)),
            "IoError",
            &["results[0].image_id", "1.5", "must be integral"],
        ),
        (
            "id beyond i64",
            Box::new(|| {
                results(r#"[{"image_id": 9223372036854775808, "category_id": 1, "bbox": [0, 0, 2, 2], "score": 1}]"#)
            }),
            "IoError",
            &["results[0].image_id", "9223372036854775808"],
        ),
        (
            "unknown image",
            Box::new(|| results(r#"[{"image_id": 5, "category_id": 1, "bbox": [0, 0, 2, 2], "score": 1}]"#)),
            "IoError",
            &["results[0].image_id = 5 is not an image of the ground truth"],
        ),
        (
            "unknown category",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 2, "bbox": [0, 0, 2, 2], "score": 1}]"#)),
            "IoError",
            &["results[0].category_id = 2 is not a category of the ground truth"],
        ),
        (
            "no categories at all",
            Box::new(|| {
                ground_truth(
                    r#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0}]}"#,
                )
            }),
            "IoError",
            &["the ground truth has no categories"],
        ),
        (
            "negative width",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, -2, 2], "score": 1}]"#)),
            "IoError",
            &["results[0].bbox width = -2 is negative"],
        ),
        (
            "huge coordinate",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 1, "bbox": [1e200, 0, 2, 2], "score": 1}]"#)),
            "IoError",
            &["results[0]", "1e200", "rescale the coordinates"],
        ),
        (
            "duplicate annotation id",
            Box::new(|| {
                ground_truth(
                    r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0},
                {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0}]}"#,
                )
            }),
            "IoError",
            &["annotations[1].id = 1 repeats the id of annotations[0]"],
        ),
        (
            "bad iscrowd",
            Box::new(|| {
                ground_truth(
                    r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 2}]}"#,
                )
            }),
            "IoError",
            &["annotations[0].iscrowd", "expected iscrowd as 0, 1, false or true"],
        ),
        (
            "bad RLE counts",
            Box::new(|| {
                results(
                    r#"[{"image_id": 1, "category_id": 1, "segmentation": {"size": [2, 2], "counts": "~~~"}, "score": 1}]"#,
                )
            }),
            "IoError",
            &["results[0].segmentation"],
        ),
        (
            "keypoints not in triples",
            Box::new(|| results(r#"[{"image_id": 1, "category_id": 1, "keypoints": [1, 2], "score": 1}]"#)),
            "IoError",
            &["results[0].keypoints has 2 numbers"],
        ),
        (
            "rotated ground truth of negative width",
            Box::new(|| {
                ground_truth(
                    r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0, "rbox": [0, 0, -1, 1, 0]}]}"#,
                )
            }),
            "IoError",
            &["annotations[0].rbox", "w = -1 is invalid"],
        ),
        (
            "difficult flag of 2",
            Box::new(|| {
                ground_truth(
                    r#"{"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0, "difficult": 2}]}"#,
                )
            }),
            "IoError",
            &["annotations[0].difficult = 2 is invalid"],
        ),
        (
            "unknown policy name",
            Box::new(|| "cubic".parse::<softkit_nms::PolicyKind>().map(drop).map_err(|e| (e, "String"))),
            "String",
            &["method = \"cubic\" is invalid"],
        ),
        (
            "candidate table row of 6 numbers",
            Box::new(|| io(parse_detections(r#"{"candidates": [[1, 0, 0, 0, 2, 2]]}"#, "c.json"))),
            "IoError",
            &["c.json is not in the candidate table format: candidates[0]", "length 7"],
        ),
        (
            "candidate class index out of range",
            Box::new(|| io(parse_detections(r#"{"candidates": [[1, 80, 0, 0, 2, 2, 0.5]]}"#, "c.json"))),
            "IoError",
            &["candidates[0].class_index = 80 is invalid"],
        ),
        (
            "candidate image id above 2^53",
            Box::new(|| io(parse_detections(r#"{"candidates": [[9007199254740993, 0, 0, 0, 2, 2, 0.5]]}"#, "c.json"))),
            "IoError",
            &["candidates[0].image_id", "2^53"],
        ),
        (
            "rotated row too short",
            Box::new(|| {
                io(parse_shape_detections(r#"{"candidates": [[1, 0, 5, 5, 2, 2, 0.9]]}"#, "r.json", ShapeKind::Rotated))
            }),
            "IoError",
            &["r.json: candidates[0] has 7 numbers"],
        ),
    ];
    let shapes: Vec<Case> = vec![
        (
            "NaN box",
            Box::new(|| geom(BoxFormat::Xyxy.validate(&[[0.0, f64::NAN, 1.0, 1.0]]))),
            "GeomError",
            &["boxes[0].y1 = NaN is not finite"],
        ),
        (
            "x2 < x1",
            Box::new(|| geom(BoxSet::new(&[[5.0, 0.0, 1.0, 1.0]], BoxMeasure::Iou, 0.0))),
            "GeomError",
            &["boxes[0].x2 = 1 is less than x1 = 5"],
        ),
        (
            "box area underflows",
            Box::new(|| geom(BoxFormat::Xyxy.validate(&[[0.0, 0.0, 1e-170, 1e-170]]))),
            "GeomError",
            &["boxes[0].width", "rescale"],
        ),
        (
            "rotated box beyond 1e150",
            Box::new(|| geom(RotatedBoxes::new(&[[1e160, 0.0, 2.0, 1.0, 0.0]], RotatedFormat::Radians))),
            "GeomError",
            &["rboxes[0].cx = 1e160 is invalid", "rescale the coordinates"],
        ),
        (
            "rotated box area underflows",
            Box::new(|| geom(RotatedBoxes::new(&[[0.0, 0.0, 1e-160, 1e-160, 0.3]], RotatedFormat::Radians))),
            "GeomError",
            &["rboxes[0].w = 1e-160 is invalid", "rescale"],
        ),
        (
            "rotated box negative size",
            Box::new(|| geom(RotatedBoxes::new(&[[0.0, 0.0, -1.0, 1.0, 0.0]], RotatedFormat::Radians))),
            "GeomError",
            &["rboxes[0].w = -1 is invalid: a size >= 0"],
        ),
        (
            "le90 angle out of range",
            Box::new(|| geom(RotatedBoxes::new(&[[0.0, 0.0, 4.0, 2.0, 3.0]], RotatedFormat::Le90))),
            "GeomError",
            &["rboxes[0].angle = 3 is invalid"],
        ),
        (
            "polygon vertex beyond 1e150",
            Box::new(|| geom(Polygons::from_rings(&[vec![[0.0, 0.0], [1e200, 0.0], [0.0, 1.0]]]))),
            "GeomError",
            &["polygons[0] vertex 1: x = 1e200 is invalid", "rescale"],
        ),
        (
            "polygon area underflows",
            Box::new(|| geom(Polygons::from_rings(&[vec![[0.0, 0.0], [1e-160, 0.0], [0.0, 1e-160]]]))),
            "GeomError",
            &["polygons[0].area", "rescale"],
        ),
        (
            "self-intersecting polygon",
            Box::new(|| geom(Polygons::from_rings(&[vec![[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0]]]))),
            "GeomError",
            &["polygons[0] is not simple"],
        ),
        (
            "two-vertex polygon",
            Box::new(|| geom(Polygons::from_rings(&[vec![[0.0, 0.0], [2.0, 2.0]]]))),
            "GeomError",
            &["polygons[0] has 2 vertices"],
        ),
        (
            "3-D box beyond 1e100",
            Box::new(|| geom(Boxes3d::new(&[[0.0, 0.0, 1e120, 1.0, 1.0, 1.0, 0.0]], Box3dOrigin::Centre))),
            "GeomError",
            &["boxes3d[0].z = 1e120 is invalid", "volumes overflow"],
        ),
        (
            "3-D box volume underflows",
            Box::new(|| geom(Boxes3d::new(&[[0.0, 0.0, 0.0, 1e-110, 1e-110, 1e-110, 0.0]], Box3dOrigin::Centre))),
            "GeomError",
            &["boxes3d[0].dx", "rescale"],
        ),
        (
            "3-D box NaN heading",
            Box::new(|| geom(Boxes3d::new(&[[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, f64::NAN]], Box3dOrigin::Centre))),
            "GeomError",
            &["boxes3d[0].heading = NaN is invalid: a finite number"],
        ),
        (
            "segment ends before it starts",
            Box::new(|| geom(Segments::new(&[[3.0, 1.0]]))),
            "GeomError",
            &["segments[0].end = 1 is less than start = 3"],
        ),
        (
            "segment beyond 1e150",
            Box::new(|| geom(Segments::new(&[[-1e308, 1e308]]))),
            "GeomError",
            &["segments[0].end = 1e308 is invalid", "rescale"],
        ),
    ];
    let engine: Vec<Case> = vec![
        (
            "scores shorter than boxes",
            Box::new(|| nms_err(nms(&[[0.0_f64, 0.0, 1.0, 1.0]; 2], &[0.5], 0.5))),
            "NmsError",
            &["scores has 1 entries but boxes has 2"],
        ),
        (
            "NaN score",
            Box::new(|| nms_err(nms(&[[0.0_f64, 0.0, 1.0, 1.0]], &[f64::NAN], 0.5))),
            "NmsError",
            &["scores[0] = NaN is not finite"],
        ),
        (
            "IoU threshold out of range",
            Box::new(|| nms_err(nms(&[[0.0_f64, 0.0, 1.0, 1.0]], &[0.5], 7.0))),
            "NmsError",
            &["iou_threshold = 7 is invalid"],
        ),
        (
            "sigma zero",
            Box::new(|| nms_err(soft_nms(&[[0.0_f64, 0.0, 1.0, 1.0]], &[0.5], &SuppressParams::gaussian(0.0)))),
            "NmsError",
            &["sigma = 0 is invalid"],
        ),
        (
            "NaN score threshold",
            Box::new(|| {
                let params = SuppressParams::linear(0.3).with_score_threshold(f64::NAN);
                nms_err(soft_nms(&[[0.0_f64, 0.0, 1.0, 1.0]], &[0.5], &params))
            }),
            "NmsError",
            &["score_threshold = NaN is invalid"],
        ),
        (
            "labels shorter than boxes",
            Box::new(|| {
                let set = BoxSet::new(&[[0.0_f64, 0.0, 1.0, 1.0]; 2], BoxMeasure::Iou, 0.0).unwrap();
                nms_err(suppress_batched(&set, &[0.5, 0.4], &[1], &SuppressParams::hard(0.5)))
            }),
            "NmsError",
            &["labels has 1 entries but"],
        ),
    ];
    let evaluation: Vec<Case> = vec![
        (
            "IoU thresholds out of range",
            Box::new(|| {
                let params = Params { iou_thrs: vec![0.5, 1.5], ..Params::default() };
                eval(evaluate_bbox(&gt(), &CocoResults::default(), &params))
            }),
            "EvalError",
            &["iou_thrs", "1.5"],
        ),
        (
            "no maxDets",
            Box::new(|| {
                let params = Params { max_dets: vec![], ..Params::default() };
                eval(evaluate_bbox(&gt(), &CocoResults::default(), &params))
            }),
            "EvalError",
            &["max_dets"],
        ),
        (
            "VOC IoU threshold NaN",
            Box::new(|| {
                let params = VocParams { iou_threshold: f64::NAN, ..VocParams::default() };
                eval(evaluate_voc_coco::<softkit_geom::XywhBoxes, _>(&gt(), &CocoResults::default(), &Iou, &params))
            }),
            "EvalError",
            &["iou_threshold", "NaN"],
        ),
    ];
    [json, shapes, engine, evaluation].into_iter().flatten().collect()
}

#[test]
fn every_bad_input_gets_its_error_and_words() {
    let cases = cases();
    let mut failures = Vec::new();
    for (name, call, class, words) in &cases {
        match catch_unwind(AssertUnwindSafe(call)) {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(Ok(())) => failures.push(format!("{name}: accepted")),
            Ok(Err((message, got))) => {
                if got != *class {
                    failures.push(format!("{name}: {got} instead of {class}: {message}"));
                }
                for word in words.iter() {
                    if !message.contains(word) {
                        failures.push(format!("{name}: message lacks {word:?}: {message}"));
                    }
                }
                if message.contains("Raw") || message.contains("struct ") {
                    failures.push(format!("{name}: an internal type name shows: {message}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // The note reports this count per surface.
    assert!(cases.len() >= 50, "the Rust matrix has {} rows", cases.len());
}

#[test]
fn float_ids_are_read_and_reported() {
    let gt = CocoGroundTruth::from_json_str(
        r#"{"images": [{"id": 1.0}, {"id": 2}], "categories": [{"id": 3.0}],
            "annotations": [{"id": 7.0, "image_id": 1, "category_id": 3, "area": 1, "iscrowd": 0}]}"#,
    )
    .unwrap();
    assert_eq!(gt.image_ids(), &[1, 2]);
    let note = gt.float_ids().expect("three float ids");
    assert_eq!(note.count, 3);
    assert_eq!(note.to_string(), "3 ids were written as floats and read as integers: images[0].id = 1.0 is 1");
    let dt =
        CocoResults::from_json_str(r#"[{"image_id": 2.0, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 0.5}]"#, &gt)
            .unwrap();
    assert_eq!(dt.detections()[0].image_id, 2);
    assert_eq!(dt.float_ids().unwrap().first, "results[0].image_id");
    let plain = CocoGroundTruth::from_json_str(GT).unwrap();
    assert!(plain.float_ids().is_none());
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let with_bom = format!("\u{feff}{GT}");
    let gt = CocoGroundTruth::from_json_str(&with_bom).expect("a BOM is not an error");
    assert_eq!(gt.image_ids(), &[1, 2]);
}

#[test]
fn serialised_objects_are_located_by_path_only() {
    let err = CocoGroundTruth::from_serialised_json(
        r#"{"images": [{"id": 1}], "categories": [], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 1}]}"#,
        "gt",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "gt is not in the COCO format: annotations[0]: missing field `iscrowd`");
}
