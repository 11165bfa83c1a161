//! The `candidate_table` target: the suppression inputs as the CLI and Python read them
//! (candidate tables and COCO-style results lists, for boxes and every other shape), then
//! suppressed as `softkit nms` suppresses them.

use softkit_geom::{
    Box3dOrigin, BoxMeasure, BoxSet, Boxes3d, COCO_KEYPOINT_SIGMAS, IntersectMeasure, Keypoints, Masks, OksNms,
    Polygons, RotatedBoxes, RotatedFormat, Segments, SetView, ShapeMeasure,
};
use softkit_io::{ShapeDetections, ShapeKind, parse_detections, parse_shape_detections};
use softkit_nms::SuppressParams;

use crate::engine::check_suppression;
use crate::kept_invariants::Columns;
use crate::overlap_contract::Expect;
use crate::reference::Scope;

/// The shapes a candidate table or results list may hold besides boxes.
const SHAPES: [ShapeKind; 6] = [
    ShapeKind::Rotated,
    ShapeKind::Polygon,
    ShapeKind::Segment,
    ShapeKind::Box3d,
    ShapeKind::Keypoints,
    ShapeKind::Mask,
];

/// Reads the bytes (as UTF-8, invalid sequences replaced) with `parse_detections` and with
/// `parse_shape_detections` for every [`ShapeKind`]. Anything may be refused with an error; what
/// is read must have aligned columns, and is then suppressed per image and category (hard NMS and
/// Gaussian Soft-NMS) with the checks of the `engine` target.
///
/// # Examples
///
/// ```
/// softkit_fuzz::candidate_table(br#"{"candidates": [[1, 0, 0, 0, 10, 10, 0.9], [1, 0, 1, 1, 11, 11, 0.8]]}"#);
/// softkit_fuzz::candidate_table(br#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "score": 0.5}]"#);
/// softkit_fuzz::candidate_table(b"not json");
/// ```
pub fn candidate_table(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let policies = [SuppressParams::hard(0.5), SuppressParams::gaussian(0.5)];
    if let Ok(dets) = parse_detections(&text, "fuzz.json") {
        let n = dets.len();
        assert!(dets.image_ids.len() == n && dets.category_ids.len() == n && dets.boxes.len() == n);
        let boxes = dets.xyxy();
        assert_eq!(boxes.len(), n);
        let columns =
            Columns { scores: dets.scores.clone(), images: dets.image_ids.clone(), labels: dets.category_ids.clone() };
        if let Ok(set) = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0) {
            for params in &policies {
                check_suppression(&set, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
            }
        }
        assert_eq!(dets.select(&(0..n).rev().collect::<Vec<_>>()).len(), n);
    }
    for kind in SHAPES {
        if let Ok(dets) = parse_shape_detections(&text, "fuzz.json", kind) {
            assert_eq!(dets.kind, kind);
            shapes(&dets, &policies);
        }
    }
}

/// Checks the columns of `dets` line up, then suppresses them as `softkit nms --geometry` does.
fn shapes(dets: &ShapeDetections, policies: &[SuppressParams]) {
    let n = dets.len();
    assert!(dets.image_ids.len() == n && dets.category_ids.len() == n, "ids do not line up with the scores");
    let per_row = match dets.kind {
        ShapeKind::Rotated => dets.rboxes.len(),
        ShapeKind::Polygon => dets.offsets.len() - 1,
        ShapeKind::Segment => dets.segments.len(),
        ShapeKind::Box3d => dets.boxes3d.len(),
        ShapeKind::Keypoints => dets.poses.len(),
        ShapeKind::Mask => dets.masks.len(),
    };
    assert_eq!(per_row, n, "{:?}: {per_row} shapes for {n} rows", dets.kind);
    if dets.kind == ShapeKind::Polygon {
        assert_eq!(dets.offsets.first(), Some(&0));
        assert!(dets.offsets.windows(2).all(|w| w[0] <= w[1]) && dets.offsets.last() == Some(&dets.vertices.len()));
    }
    let columns =
        Columns { scores: dets.scores.clone(), images: dets.image_ids.clone(), labels: dets.category_ids.clone() };
    for params in policies {
        match dets.kind {
            ShapeKind::Rotated => {
                if let Ok(boxes) = RotatedBoxes::new(&dets.rboxes, RotatedFormat::Radians) {
                    let set = SetView::of(boxes, ShapeMeasure::Iou);
                    check_suppression(&set, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
                }
            }
            ShapeKind::Polygon => {
                if let Ok(polygons) = Polygons::from_offsets(&dets.vertices, &dets.offsets) {
                    let set = SetView::of(polygons, ShapeMeasure::Iou);
                    check_suppression(&set, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
                }
            }
            ShapeKind::Segment => {
                if let Ok(segments) = Segments::new(&dets.segments) {
                    let set = SetView::of(segments, IntersectMeasure::Iou);
                    check_suppression(&set, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
                }
            }
            ShapeKind::Box3d => {
                if let Ok(boxes) = Boxes3d::new(&dets.boxes3d, Box3dOrigin::Centre) {
                    let bev = SetView::of(boxes.bev().clone(), ShapeMeasure::Iou);
                    check_suppression(&bev, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
                    let set = SetView::of(boxes, IntersectMeasure::Iou);
                    check_suppression(&set, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
                }
            }
            ShapeKind::Keypoints => {
                // One sigma per keypoint, as the CLI's check requires of every row.
                let k = dets.poses.first().map_or(0, |p| p.keypoints.len() / 3);
                let sigmas = if k == COCO_KEYPOINT_SIGMAS.len() { COCO_KEYPOINT_SIGMAS.to_vec() } else { vec![0.1; k] };
                if dets.poses.iter().any(|p| p.keypoints.len() != 3 * k) {
                    continue;
                }
                let bounded = dets.poses.iter().all(|p| p.area >= 0.0);
                if let Ok(poses) = Keypoints::new(dets.poses.clone()) {
                    let set = SetView::of(poses, OksNms::new(&sigmas, None));
                    let expect =
                        Expect { bounds: bounded.then_some((0.0, 1.0)), symmetry: Some(1e-9), finite: bounded };
                    check_suppression(&set, &columns, params, Scope::PerImage, expect);
                }
            }
            ShapeKind::Mask => {
                let set = SetView::of(Masks::new(dets.masks.clone()), IntersectMeasure::Iou);
                check_suppression(&set, &columns, params, Scope::PerImage, Expect::within(0.0, 1.0));
            }
        }
    }
}
