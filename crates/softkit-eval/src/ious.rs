//! pycocotools' `COCOeval.ious`: the overlap matrix of every evaluated image and category.

use std::collections::HashMap;

use softkit_geom::{Measure, PairOverlap, PairView};
use softkit_io::{CocoGeometry, CocoGroundTruth, CocoResults};

use crate::{EvalError, Params};

/// The overlaps of one image and category, as pycocotools' `computeIoU` (or `computeOks`) returns
/// them: `values` is `[D, G]` row-major, detections by descending score (ties in input order) cut
/// to the last maxDets, ground truth in input order (crowds and ignored ones included). Empty,
/// with `dt` and `gt` 0, where the image has no detection or no ground truth of the category
/// (pycocotools stores `[]`).
#[derive(Clone, Debug, PartialEq)]
pub struct PairIous {
    /// `imgId`.
    pub image_id: i64,
    /// `catId`, `-1` when categories are not used.
    pub category_id: i64,
    /// Rows (detections).
    pub dt: usize,
    /// Columns (ground truth).
    pub gt: usize,
    /// `[dt, gt]` row-major.
    pub values: Vec<f64>,
}

/// pycocotools' `COCOeval.ious` for geometry `G` and `measure`: one [`PairIous`] per image of
/// `params.img_ids` (sorted, each once) and category of `params.cat_ids` (sorted, each once; a
/// single `-1` when `use_cats` is off, whose matrix then holds the ground truth and detections of
/// every listed category, category by category), images outer.
///
/// # Errors
///
/// [`EvalError`] when `params` is invalid or an evaluated item lacks its geometry.
///
/// # Examples
///
/// ```
/// use softkit_eval::{CocoGroundTruth, CocoResults, Params, coco_ious};
/// use softkit_geom::{Iou, XywhBoxes};
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
///         "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0,
///                          "bbox": [0, 0, 10, 10]}]}"#,
/// )?;
/// let dt = CocoResults::from_json_str(
///     r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 8], "score": 0.9}]"#, &gt)?;
/// let ious = coco_ious::<XywhBoxes, _>(&gt, &dt, &Iou, &Params::default())?;
/// assert_eq!((ious[0].dt, ious[0].gt), (1, 1));
/// assert!((ious[0].values[0] - 0.8).abs() < 1e-12);
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn coco_ious<G: CocoGeometry, M: Measure<G>>(
    gt: &CocoGroundTruth,
    dt: &CocoResults,
    measure: &M,
    params: &Params,
) -> Result<Vec<PairIous>, EvalError> {
    let cat_ids = gt.category_ids();
    let p = params.resolve(gt.image_ids(), &cat_ids)?;
    let selection = params.selection();
    let (anns, dets) = (gt.annotations(), dt.detections());
    let gt_rows: Vec<usize> =
        (0..anns.len()).filter(|&i| selection.includes(anns[i].image_id, anns[i].category_id)).collect();
    let dt_rows: Vec<usize> =
        (0..dets.len()).filter(|&i| selection.includes(dets[i].image_id, dets[i].category_id)).collect();
    let gt_geometry = G::from_annotations(gt, &gt_rows)?;
    let dt_geometry = G::from_results(dt, gt, &dt_rows)?;
    let view = PairView::new(dt_geometry, gt_geometry, measure);
    // Positions (in the selected rows) per image and category, in input order.
    let mut gt_by: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (k, &i) in gt_rows.iter().enumerate() {
        gt_by.entry((anns[i].image_id, anns[i].category_id)).or_default().push(k);
    }
    let mut dt_by: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (k, &i) in dt_rows.iter().enumerate() {
        dt_by.entry((dets[i].image_id, dets[i].category_id)).or_default().push(k);
    }
    let max_det = *p.max_dets.last().expect("resolve checks max_dets is not empty");
    let groups: Vec<i64> = if p.use_cats { p.cat_ids.clone() } else { vec![-1] };
    let mut out = Vec::with_capacity(p.img_ids.len() * groups.len());
    let (mut g, mut d) = (Vec::new(), Vec::new());
    for &image in &p.img_ids {
        for &cat in &groups {
            g.clear();
            d.clear();
            let cats: &[i64] = if p.use_cats { std::slice::from_ref(&cat) } else { &p.cat_ids };
            for &c in cats {
                g.extend(gt_by.get(&(image, c)).into_iter().flatten().copied());
                d.extend(dt_by.get(&(image, c)).into_iter().flatten().copied());
            }
            // Descending score, ties in input order (numpy's stable mergesort of -score).
            d.sort_by(|&a, &b| {
                dets[dt_rows[b]].score.partial_cmp(&dets[dt_rows[a]].score).unwrap_or(std::cmp::Ordering::Equal)
            });
            d.truncate(max_det);
            let mut pair = PairIous { image_id: image, category_id: cat, dt: 0, gt: 0, values: Vec::new() };
            if !g.is_empty() && !d.is_empty() {
                pair.dt = d.len();
                pair.gt = g.len();
                pair.values.reserve(d.len() * g.len());
                for &k in &d {
                    for &j in &g {
                        pair.values.push(view.overlap(k, j, anns[gt_rows[j]].iscrowd));
                    }
                }
            }
            out.push(pair);
        }
    }
    Ok(out)
}
