//! Scoring suppressed detections against a COCO ground truth: the bridge between the rows that
//! `softkit-io` reads and `softkit-eval`.

use softkit_eval::{CocoGroundTruth, CocoResults, Detection, Evaluation, Params, evaluate_bbox};
use softkit_io::{COCO80_CATEGORY_IDS, Detections, FloatIds, read_detections};

/// Reads a candidate table or a COCO results file.
pub(crate) fn read_input(path: &str) -> Result<Detections, String> {
    use softkit_io::IoError::{Invalid, Read, Shape, Syntax};
    let dets = read_detections(path).map_err(|e| match e {
        Read { .. } | Syntax { .. } | Shape { .. } | Invalid { .. } => e.to_string(),
        // The other errors name the item, not the file: say which file.
        item => format!("{path}: {item}"),
    })?;
    note_float_ids(path, dets.float_ids.as_ref());
    Ok(dets)
}

/// An error about one row of an input, named as the file names it: `c.json: candidates[5].x2 = 1
/// is less than x1 = 4 (image 3)`, where the geometry said `boxes[5]`.
pub(crate) fn row_error(input: &str, candidate_table: bool, image_id: i64, e: &softkit_geom::GeomError) -> String {
    let list = if candidate_table { "candidates" } else { "results" };
    let text = e.to_string();
    // Geometry errors lead with their own list's name (`boxes`, `rboxes`, `polygons`, ...).
    match text.split_once('[') {
        Some((name, rest)) if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            format!("{input}: {list}[{rest} (image {image_id})")
        }
        _ => format!("{input}: {list} of image {image_id}: {text}"),
    }
}

/// Loads a COCO ground-truth file.
pub(crate) fn load_ground_truth(path: &str) -> Result<CocoGroundTruth, String> {
    let gt = CocoGroundTruth::from_path(path).map_err(|e| e.to_string())?;
    note_float_ids(path, gt.float_ids());
    Ok(gt)
}

/// Loads a COCO results file against its ground truth.
pub(crate) fn load_results(path: &str, gt: &CocoGroundTruth) -> Result<CocoResults, String> {
    let dt = CocoResults::from_path(path, gt).map_err(|e| e.to_string())?;
    note_float_ids(path, dt.float_ids());
    Ok(dt)
}

/// Says on stderr which ids a file wrote as floats: they are read as integers, as pycocotools
/// reads them, but the user should know.
pub(crate) fn note_float_ids(path: &str, note: Option<&FloatIds>) {
    if let Some(note) = note {
        eprintln!("softkit: note: {path}: {note}");
    }
}

/// Loads `--gt` when given, before any work, so that a bad file fails fast; a candidate table's
/// class indices must then map onto its categories.
pub(crate) fn load_gt_for(path: Option<&str>, candidate_table: bool) -> Result<Option<CocoGroundTruth>, String> {
    let Some(path) = path else { return Ok(None) };
    let gt = load_ground_truth(path)?;
    if candidate_table {
        check_class_mapping(&gt, path)?;
    }
    Ok(Some(gt))
}

/// A candidate table's class index `i` means the `i`-th COCO category id; that only holds if the
/// ground truth has exactly the 80 COCO categories (its ids sorted ascending).
pub(crate) fn check_class_mapping(gt: &CocoGroundTruth, gt_path: &str) -> Result<(), String> {
    let ids = gt.category_ids();
    if ids == COCO80_CATEGORY_IDS {
        return Ok(());
    }
    let shown: Vec<String> = ids.iter().take(12).map(i64::to_string).collect();
    let more = if ids.len() > 12 { ", ..." } else { "" };
    Err(format!(
        "{gt_path}: categories = [{}{more}] ({} ids) are not the 80 COCO category ids [1, 2, ..., 90] that a \
         candidate table's class_index 0..79 maps to",
        shown.join(", "),
        ids.len()
    ))
}

/// The images to evaluate: those the detections cover (their rows, and a candidate table's image
/// list, so that an image with no candidate still counts) that the ground truth lists, ascending.
pub(crate) fn evaluated_images(dets: &Detections, gt: &CocoGroundTruth) -> Vec<i64> {
    let mut ids: Vec<i64> =
        dets.images.iter().map(|i| i.id).chain(dets.image_ids.iter().copied()).filter(|&id| gt.has_image(id)).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The kept `(row, score)` pairs on images of the ground truth, as COCO box results.
///
/// A kept row whose category the ground truth lacks is an error naming the input row, since it
/// would otherwise be silently scored as a false positive of no category.
pub(crate) fn kept_results(
    dets: &Detections,
    kept: &[(usize, f64)],
    gt: &CocoGroundTruth,
) -> Result<CocoResults, String> {
    let mut out = Vec::with_capacity(kept.len());
    for &(row, score) in kept {
        let (image_id, category_id) = (dets.image_ids[row], dets.category_ids[row]);
        if !gt.has_image(image_id) {
            continue;
        }
        if !gt.has_category(category_id) {
            return Err(format!(
                "input row {row} (image {image_id}): category_id = {category_id} is not a category of the ground truth"
            ));
        }
        out.push(Detection { image_id, category_id, bbox: dets.coco_bbox(row), score });
    }
    CocoResults::from_detections(out, gt).map_err(|e| e.to_string())
}

/// COCO bbox evaluation with pycocotools' default parameters on the given images.
pub(crate) fn evaluate_on(gt: &CocoGroundTruth, results: &CocoResults, img_ids: &[i64]) -> Result<Evaluation, String> {
    let params = Params { img_ids: Some(img_ids.to_vec()), ..Params::default() };
    evaluate_bbox(gt, results, &params).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use softkit_eval::{Category, GtAnnotation};
    use softkit_io::parse_detections;

    fn gt(categories: &[i64]) -> CocoGroundTruth {
        let ann = GtAnnotation {
            id: 1,
            image_id: 5,
            category_id: categories[0],
            area: 100.0,
            iscrowd: false,
            bbox: Some([0.0, 0.0, 10.0, 10.0]),
        };
        let cats = categories.iter().map(|&id| Category { id, name: String::new() });
        CocoGroundTruth::new([5, 6], cats, vec![ann]).unwrap()
    }

    #[test]
    fn class_mapping_needs_the_80_coco_ids() {
        assert!(check_class_mapping(&gt(&COCO80_CATEGORY_IDS), "gt.json").is_ok());
        let err = check_class_mapping(&gt(&[0, 1, 2]), "gt.json").unwrap_err();
        assert!(err.starts_with("gt.json: categories = [0, 1, 2] (3 ids) are not the 80 COCO"), "{err}");
    }

    #[test]
    fn only_ground_truth_images_are_scored() {
        let dets = parse_detections(
            r#"[{"image_id": 5, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
                {"image_id": 9, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.8}]"#,
            "r.json",
        )
        .unwrap();
        let truth = gt(&[1]);
        assert_eq!(evaluated_images(&dets, &truth), vec![5]);
        let results = kept_results(&dets, &[(0, 0.9), (1, 0.8)], &truth).unwrap();
        assert_eq!(results.len(), 1);
        assert_eq!(results.detections()[0].bbox, [0.0, 0.0, 10.0, 10.0]);
        let err = kept_results(&dets, &[(0, 0.9)], &gt(&[2])).unwrap_err();
        assert_eq!(err, "input row 0 (image 5): category_id = 1 is not a category of the ground truth");
    }
}
