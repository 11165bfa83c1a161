//! `softkit nms --geometry rotated|polygon|segment|box3d|bev|keypoints|mask`: suppression of
//! shapes other than boxes, per image and category, and their COCO-protocol evaluation with `--gt`.

use std::time::Instant;

use softkit_eval::{CocoGroundTruth, CocoResults, Params, evaluate_coco};
use softkit_geom::{
    BevIou, Box3dOrigin, Boxes3d, COCO_KEYPOINT_SIGMAS, GeomError, IntersectMeasure, Iou, Keypoints, Masks, Oks,
    OksNms, Polygons, RotatedBoxes, Segments, SetView, ShapeMeasure,
};
use softkit_io::{ShapeDetections, ShapeKind, read_shape_detections, write_shape_results};
use softkit_nms::{SuppressParams, suppress_per_image};

use crate::nms_cmd::{GeometryArg, NmsArgs};
use crate::scoring::load_gt_for;

/// The validated shapes of the rows (rotated boxes with angles now in radians, polygons,
/// segments, 3-D boxes, or 3-D boxes' bird's-eye view), under the measure.
pub(crate) enum Column<'s> {
    Rotated(SetView<RotatedBoxes, ShapeMeasure>),
    Polygons(SetView<Polygons, ShapeMeasure>),
    Segments(SetView<Segments, IntersectMeasure>),
    Boxes3d(SetView<Boxes3d, IntersectMeasure>),
    Poses(SetView<Keypoints, OksNms<'s>>),
    Masks(SetView<Masks, IntersectMeasure>),
}

pub(crate) fn run(args: &NmsArgs, params: &SuppressParams) -> Result<(), String> {
    let kind = match args.geometry {
        GeometryArg::Rotated => ShapeKind::Rotated,
        GeometryArg::Polygon => ShapeKind::Polygon,
        GeometryArg::Segment => ShapeKind::Segment,
        GeometryArg::Keypoints => ShapeKind::Keypoints,
        GeometryArg::Mask => ShapeKind::Mask,
        _ => ShapeKind::Box3d,
    };
    let measure = |_: ()| -> Result<ShapeMeasure, String> { args.measure_name().parse() };
    let intersect = |_: ()| -> Result<IntersectMeasure, String> { args.measure_name().parse() };
    let sigmas = args.sigmas.as_deref().unwrap_or(&COCO_KEYPOINT_SIGMAS);
    let dets = read_shape_detections(&args.input, kind).map_err(|e| e.to_string())?;
    crate::scoring::note_float_ids(&args.input, dets.float_ids.as_ref());
    let gt = load_gt_for(args.gt.as_deref(), dets.candidate_table)?;
    let name_row = |e: GeomError| match e.index() {
        Some(row) => crate::scoring::row_error(&args.input, dets.candidate_table, dets.image_ids[row], &e),
        None => format!("{}: {e}", args.input),
    };
    let start = Instant::now();
    let column = match (kind, args.geometry) {
        (ShapeKind::Rotated, _) => Column::Rotated(SetView::of(
            RotatedBoxes::new(&dets.rboxes, args.rbox_format).map_err(name_row)?,
            measure(())?,
        )),
        (ShapeKind::Polygon, _) => Column::Polygons(SetView::of(
            Polygons::from_offsets(&dets.vertices, &dets.offsets).map_err(name_row)?,
            measure(())?,
        )),
        (ShapeKind::Segment, _) => {
            Column::Segments(SetView::of(Segments::new(&dets.segments).map_err(name_row)?, intersect(())?))
        }
        (ShapeKind::Box3d, GeometryArg::Bev) => Column::Rotated(SetView::of(
            Boxes3d::new(&dets.boxes3d, args.box_origin).map_err(name_row)?.into_bev(),
            measure(())?,
        )),
        (ShapeKind::Box3d, _) => Column::Boxes3d(SetView::of(
            Boxes3d::new(&dets.boxes3d, args.box_origin).map_err(name_row)?,
            intersect(())?,
        )),
        (ShapeKind::Keypoints, _) => {
            if let Some((row, pose)) =
                dets.poses.iter().enumerate().find(|(_, p)| p.keypoints.len() != 3 * sigmas.len())
            {
                return Err(format!(
                    "{}: {}[{row}] has {} keypoints, but there are {} sigmas (--sigmas) (image {})",
                    args.input,
                    if dets.candidate_table { "candidates" } else { "results" },
                    pose.keypoints.len() / 3,
                    sigmas.len(),
                    dets.image_ids[row],
                ));
            }
            let poses = Keypoints::new(dets.poses.clone()).map_err(name_row)?;
            Column::Poses(SetView::of(poses, OksNms::new(sigmas, args.visibility_threshold)))
        }
        (ShapeKind::Mask, _) => Column::Masks(SetView::of(Masks::new(dets.masks.clone()), intersect(())?)),
    };
    let (images, labels) = (&dets.image_ids, &dets.category_ids);
    let kept = match &column {
        Column::Rotated(set) => suppress_per_image(set, &dets.scores, images, labels, params),
        Column::Polygons(set) => suppress_per_image(set, &dets.scores, images, labels, params),
        Column::Segments(set) => suppress_per_image(set, &dets.scores, images, labels, params),
        Column::Boxes3d(set) => suppress_per_image(set, &dets.scores, images, labels, params),
        Column::Poses(set) => suppress_per_image(set, &dets.scores, images, labels, params),
        Column::Masks(set) => suppress_per_image(set, &dets.scores, images, labels, params),
    }
    .map_err(|e| e.to_string())?;
    let kept: Vec<(usize, f64)> = kept.indices.into_iter().zip(kept.scores).collect();
    let elapsed = start.elapsed();
    if let Some(output) = &args.output {
        write_shape_results(output, &dets, &kept).map_err(|e| e.to_string())?;
    }
    eprintln!(
        "softkit nms: {} {:?} candidates -> {} kept ({:?}, {:.1} ms){}",
        dets.len(),
        args.geometry,
        kept.len(),
        args.method,
        elapsed.as_secs_f64() * 1e3,
        args.output.as_ref().map(|p| format!(" -> {p}")).unwrap_or_default()
    );
    if let Some(gt) = &gt {
        evaluate_kept(gt, &dets, &column, &kept, args.box_origin, sigmas)?;
    }
    Ok(())
}

/// COCO-protocol AP of the kept rows on the ground truth's images, with pycocotools' defaults.
pub(crate) fn evaluate_kept(
    gt: &CocoGroundTruth,
    dets: &ShapeDetections,
    column: &Column<'_>,
    kept: &[(usize, f64)],
    origin: Box3dOrigin,
    sigmas: &[f64],
) -> Result<(), String> {
    let mut results = Vec::with_capacity(kept.len());
    let mut img_ids: Vec<i64> = dets.images.iter().map(|i| i.id).chain(dets.image_ids.iter().copied()).collect();
    img_ids.retain(|&id| gt.has_image(id));
    img_ids.sort_unstable();
    img_ids.dedup();
    for &(row, score) in kept {
        let (image_id, category_id) = (dets.image_ids[row], dets.category_ids[row]);
        if !gt.has_image(image_id) {
            continue;
        }
        let shape = match (dets.kind, column) {
            // Evaluation reads radians and centred 3-D boxes: the validated row, not as written.
            (ShapeKind::Rotated, Column::Rotated(set)) => serde_json::json!(set.geometry().get(row)),
            (ShapeKind::Polygon, _) => serde_json::json!([dets.polygon(row).concat()]),
            (ShapeKind::Segment, _) => serde_json::json!(dets.segments[row]),
            (ShapeKind::Keypoints, _) => serde_json::json!(dets.poses[row].keypoints),
            (ShapeKind::Mask, _) => {
                let mask = &dets.masks[row];
                serde_json::json!({"size": [mask.height(), mask.width()], "counts": mask.to_compressed()})
            }
            _ => {
                let mut b = dets.boxes3d[row];
                if origin == Box3dOrigin::Bottom {
                    b[2] += 0.5 * b[5];
                }
                serde_json::json!(b)
            }
        };
        let field = dets.kind.field();
        results
            .push(serde_json::json!({"image_id": image_id, "category_id": category_id, field: shape, "score": score}));
    }
    let results = CocoResults::from_value(&serde_json::Value::Array(results), gt).map_err(|e| e.to_string())?;
    let defaults = if dets.kind == ShapeKind::Keypoints { Params::keypoints() } else { Params::default() };
    let params = Params { img_ids: Some(img_ids.clone()), ..defaults };
    let ev = match (dets.kind, column) {
        (ShapeKind::Keypoints, _) => evaluate_coco::<Keypoints, _>(gt, &results, &Oks::new(sigmas), &params),
        (ShapeKind::Mask, _) => evaluate_coco::<Masks, _>(gt, &results, &Iou, &params),
        (ShapeKind::Rotated, _) => evaluate_coco::<RotatedBoxes, _>(gt, &results, &Iou, &params),
        (ShapeKind::Polygon, _) => evaluate_coco::<Polygons, _>(gt, &results, &Iou, &params),
        (ShapeKind::Segment, _) => evaluate_coco::<Segments, _>(gt, &results, &Iou, &params),
        (ShapeKind::Box3d, Column::Rotated(_)) => evaluate_coco::<Boxes3d, _>(gt, &results, &BevIou, &params),
        (ShapeKind::Box3d, _) => evaluate_coco::<Boxes3d, _>(gt, &results, &Iou, &params),
    }
    .map_err(|e| e.to_string())?;
    println!(
        "COCO {} evaluation on {} images of the ground truth, {} kept:",
        dets.kind.field(),
        img_ids.len(),
        results.len()
    );
    let summary = if dets.kind == ShapeKind::Keypoints {
        ev.keypoint_summary()
    } else {
        ev.summary().map_err(|e| e.to_string())?
    };
    print!("{summary}");
    Ok(())
}
