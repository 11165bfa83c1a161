//! Per-image matching records: pycocotools' `evalImgs`.

use rayon::prelude::*;
use softkit_geom::PairOverlap;

use crate::evaluate::{Group, GroupEval, GroupScratch, Matcher, accumulate, checked, group};
use crate::group_order::IdIndex;
use crate::matching::{DtState, ImageMatch, MatchOut, NO_MATCH, match_image};
use crate::{EvalError, EvalInput, Evaluation, Params};

/// The matching of one image, category and area range: one entry of pycocotools' `evalImgs`,
/// with its fields and axis order.
///
/// Ground truth comes non-ignored first (then input order), detections by descending score cut
/// to the last maxDets. Matrices are `[T, D]` or `[T, G]` row-major over the IoU thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageEval {
    /// `image_id`.
    pub image_id: i64,
    /// `category_id`; `-1` when categories are not used, as pycocotools writes it.
    pub category_id: i64,
    /// `aRng`.
    pub area_range: [f64; 2],
    /// `maxDet`.
    pub max_det: usize,
    /// `dtIds`.
    pub dt_ids: Vec<i64>,
    /// `gtIds`.
    pub gt_ids: Vec<i64>,
    /// `dtMatches`: the id of the ground truth each detection matched, 0 for none.
    pub dt_matches: Vec<f64>,
    /// `gtMatches`: the id of the detection that last matched each ground truth, 0 for none.
    pub gt_matches: Vec<f64>,
    /// `dtScores`.
    pub dt_scores: Vec<f64>,
    /// `gtIgnore`.
    pub gt_ignore: Vec<bool>,
    /// `dtIgnore`.
    pub dt_ignore: Vec<bool>,
}

/// pycocotools' `evalImgs`: the matching of every category, area range and image, in that nesting
/// order (`None` where the image has neither ground truth nor detections of the category).
///
/// `dt_ids` are the detections' ids (`loadRes` numbers them from 1), parallel to `input.dts`.
/// The matching is [`evaluate`](crate::evaluate)'s, so its curves follow from these records.
///
/// # Errors
///
/// As [`evaluate`](crate::evaluate), and a `dt_ids` of the wrong length.
///
/// # Examples
///
/// ```
/// use softkit_eval::{DtRecord, EvalInput, GtRecord, Params, evaluate_images};
/// use softkit_geom::{Iou, PairView, XywhBoxes};
///
/// let gts = [GtRecord { id: 7, image_id: 1, category_id: 1, area: 100.0, iscrowd: false, ignore: false }];
/// let dts = [DtRecord { image_id: 1, category_id: 1, area: 100.0, score: 0.9 }];
/// let input = EvalInput { image_ids: &[1], category_ids: &[1], gts: &gts, dts: &dts };
/// let view = PairView::new(XywhBoxes::new(vec![[1.0, 0.0, 10.0, 10.0]])?, XywhBoxes::new(vec![[0.0, 0.0, 10.0, 10.0]])?, Iou);
/// let images = evaluate_images(&input, &[1], &view, &Params::default())?;
/// assert_eq!(images.len(), 4); // one category x four area ranges x one image
/// let all = images[0].as_ref().unwrap();
/// assert_eq!(all.dt_matches[0], 7.0);  // at IoU 0.50, the detection took ground truth 7
/// assert_eq!(all.dt_matches[9], 0.0);  // at 0.95 it is missed (IoU 0.9)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate_images<O: PairOverlap>(
    input: &EvalInput<'_>,
    dt_ids: &[i64],
    overlap: &O,
    params: &Params,
) -> Result<Vec<Option<ImageEval>>, EvalError> {
    if dt_ids.len() != input.dts.len() {
        let reason = format!("has {} ids but there are {} detections", dt_ids.len(), input.dts.len());
        return Err(EvalError::Params { field: "dt_ids", reason });
    }
    let p = checked(input, params)?;
    let (gt_order, dt_order, groups) = group(input, &p);
    let max_det = *p.max_dets.last().expect("resolve checks max_dets is not empty");
    let matcher = Matcher { input, overlap, p: &p, max_det, gt_order: &gt_order, dt_order: &dt_order };
    let (n_img, n_area, n_thr) = (p.img_ids.len(), p.area_rngs.len(), p.iou_thrs.len());
    let per_group: Vec<Vec<ImageEval>> = groups
        .par_iter()
        .map_init(GroupScratch::default, |scratch, grp| {
            softkit_geom::interrupt::poll();
            let gts = matcher.prepare(grp, scratch).to_vec();
            let n_dt = scratch.dts.len();
            let mut states = vec![DtState::Ignored; n_dt * n_thr];
            let mut matches = vec![NO_MATCH; n_dt * n_thr];
            p.area_rngs
                .iter()
                .map(|rng| {
                    scratch.gt_ignore.clear();
                    scratch
                        .gt_ignore
                        .extend(gts.iter().map(|&g| input.gts[g].ignore || rng.excludes(input.gts[g].area)));
                    scratch.dt_area_out.clear();
                    scratch.dt_area_out.extend(scratch.dts.iter().map(|&d| rng.excludes(input.dts[d].area)));
                    let m = ImageMatch {
                        ious: &scratch.ious,
                        gt_ids: &scratch.gt_ids,
                        gt_crowd: &scratch.gt_crowd,
                        gt_ignore: &scratch.gt_ignore,
                        dt_area_out: &scratch.dt_area_out,
                    };
                    let out = MatchOut { states: &mut states, matches: Some(&mut matches), stride: n_thr, offset: 0 };
                    match_image(&m, &p.iou_thrs, &mut scratch.matching, out);
                    record(&matcher, grp_ids(&p, grp.k, grp.image), rng, scratch, &gts, dt_ids, &states, &matches)
                })
                .collect()
        })
        .collect();
    let n_cat = if p.use_cats { p.cat_ids.len() } else { 1 };
    let mut out: Vec<Option<ImageEval>> = vec![None; n_cat * n_area * n_img];
    for (grp, evals) in groups.iter().zip(per_group) {
        for (a, eval) in evals.into_iter().enumerate() {
            out[(grp.k * n_area + a) * n_img + grp.image] = Some(eval);
        }
    }
    Ok(out)
}

/// `(image_id, category_id)` of a group, `-1` for the category when categories are not used.
fn grp_ids(p: &crate::params::Resolved, k: usize, image: usize) -> (i64, i64) {
    (p.img_ids[image], if p.use_cats { p.cat_ids[k] } else { -1 })
}

/// One record from the matching of one area range.
#[allow(clippy::too_many_arguments)]
fn record<O>(
    matcher: &Matcher<'_, O>,
    (image_id, category_id): (i64, i64),
    rng: &crate::AreaRange,
    scratch: &GroupScratch,
    gts: &[usize],
    dt_ids: &[i64],
    states: &[DtState],
    matches: &[u32],
) -> ImageEval {
    let (input, n_thr) = (matcher.input, matcher.p.iou_thrs.len());
    let n_dt = scratch.dts.len();
    // pycocotools' stable argsort of the ignore flags.
    let mut order: Vec<usize> = (0..gts.len()).filter(|&g| !scratch.gt_ignore[g]).collect();
    order.extend((0..gts.len()).filter(|&g| scratch.gt_ignore[g]));
    let mut sorted_position = vec![0; gts.len()];
    for (s, &g) in order.iter().enumerate() {
        sorted_position[g] = s;
    }
    let (mut dt_matches, mut dt_ignore) = (vec![0.0; n_thr * n_dt], vec![false; n_thr * n_dt]);
    let mut gt_matches = vec![0.0; n_thr * gts.len()];
    for d in 0..n_dt {
        for t in 0..n_thr {
            let at = d * n_thr + t;
            dt_ignore[t * n_dt + d] = states[at] == DtState::Ignored;
            if matches[at] != NO_MATCH {
                let g = matches[at] as usize;
                dt_matches[t * n_dt + d] = scratch.gt_ids[g] as f64;
                gt_matches[t * gts.len() + sorted_position[g]] = dt_ids[scratch.dts[d]] as f64;
            }
        }
    }
    ImageEval {
        image_id,
        category_id,
        area_range: [rng.min, rng.max],
        max_det: matcher.max_det,
        dt_ids: scratch.dts.iter().map(|&d| dt_ids[d]).collect(),
        gt_ids: order.iter().map(|&g| scratch.gt_ids[g]).collect(),
        dt_matches,
        gt_matches,
        dt_scores: scratch.dts.iter().map(|&d| input.dts[d].score).collect(),
        gt_ignore: order.iter().map(|&g| scratch.gt_ignore[g]).collect(),
        dt_ignore,
    }
}

/// pycocotools' `accumulate` over `evalImgs` records: the precision, recall and scores arrays of
/// the categories, images, area ranges, maxDets and thresholds of `params`.
///
/// Records find their place by their ids and area range, so they may come from several
/// evaluations (a training loop evaluates batch by batch and merges the records); a record
/// outside `params` is skipped. `params` must name its images and categories (there is no ground
/// truth to take them from); with `use_cats` off, records carry category `-1`.
///
/// # Errors
///
/// [`EvalError::Params`] for missing image or category ids, unusable parameters, or a record
/// whose matrices disagree with the thresholds or with another record of its image.
///
/// # Examples
///
/// ```
/// use softkit_eval::{DtRecord, EvalInput, GtRecord, Params, accumulate_images, evaluate, evaluate_images};
/// use softkit_geom::{Iou, PairView, XywhBoxes};
///
/// let gts = [GtRecord { id: 7, image_id: 1, category_id: 1, area: 100.0, iscrowd: false, ignore: false }];
/// let dts = [DtRecord { image_id: 1, category_id: 1, area: 100.0, score: 0.9 }];
/// let input = EvalInput { image_ids: &[1], category_ids: &[1], gts: &gts, dts: &dts };
/// let view = PairView::new(XywhBoxes::new(vec![[1.0, 0.0, 10.0, 10.0]])?, XywhBoxes::new(vec![[0.0, 0.0, 10.0, 10.0]])?, Iou);
/// let images = evaluate_images(&input, &[1], &view, &Params::default())?;
/// let params = Params { img_ids: Some(vec![1]), cat_ids: Some(vec![1]), ..Params::default() };
/// let from_records = accumulate_images(images.iter().flatten(), &params)?;
/// assert_eq!(from_records.precision(), evaluate(&input, &view, &Params::default())?.precision());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn accumulate_images<'a>(
    images: impl IntoIterator<Item = &'a ImageEval>,
    params: &Params,
) -> Result<Evaluation, EvalError> {
    let missing = |field| EvalError::Params { field, reason: "must be given to accumulate records".into() };
    let img_ids = params.img_ids.as_deref().ok_or_else(|| missing("img_ids"))?;
    let cat_ids = params.cat_ids.as_deref().ok_or_else(|| missing("cat_ids"))?;
    let p = params.resolve(img_ids, cat_ids)?;
    let (nt, na) = (p.iou_thrs.len(), p.area_rngs.len());
    let (img_pos, cat_pos) = (IdIndex::new(&p.img_ids), IdIndex::new(&p.cat_ids));
    let mut groups: std::collections::BTreeMap<(usize, usize), Accumulated> = Default::default();
    for e in images {
        let k = if p.use_cats { cat_pos.get(e.category_id) } else { Some(0) };
        let a = p.area_rngs.iter().position(|r| [r.min, r.max] == e.area_range);
        let (Some(k), Some(i), Some(a)) = (k, img_pos.get(e.image_id), a) else { continue };
        let d = e.dt_scores.len();
        let bad = |reason: String| EvalError::Params { field: "evalImgs", reason };
        if e.dt_matches.len() != nt * d || e.dt_ignore.len() != nt * d || e.dt_ids.len() != d {
            return Err(bad(format!(
                "the record of image {} and category {} holds {} detections and {} matches, not {nt} thresholds of them",
                e.image_id,
                e.category_id,
                d,
                e.dt_matches.len()
            )));
        }
        let group = groups.entry((k, i)).or_insert_with(|| Accumulated {
            scores: e.dt_scores.clone(),
            n_pos: vec![0; na],
            states: vec![DtState::Ignored; d * na * nt],
        });
        if group.scores != e.dt_scores {
            return Err(bad(format!(
                "the records of image {} and category {} list different detections in different area ranges",
                e.image_id, e.category_id
            )));
        }
        group.n_pos[a] = e.gt_ignore.iter().filter(|&&ignored| !ignored).count();
        for t in 0..nt {
            for dt in 0..d {
                group.states[(dt * na + a) * nt + t] = if e.dt_ignore[t * d + dt] {
                    DtState::Ignored
                } else if e.dt_matches[t * d + dt] != 0.0 {
                    DtState::TruePositive
                } else {
                    DtState::FalsePositive
                };
            }
        }
    }
    let keys: Vec<Group> = groups.keys().map(|&(k, image)| Group { k, image, gts: 0..0, dts: 0..0 }).collect();
    let evals: Vec<GroupEval<'_>> =
        groups.values().map(|g| GroupEval { scores: &g.scores, n_pos: &g.n_pos, states: &g.states }).collect();
    Ok(accumulate(p, &keys, &evals))
}

/// One image and category rebuilt from its records, as [`GroupEval`] reads it.
struct Accumulated {
    scores: Vec<f64>,
    n_pos: Vec<usize>,
    /// `[D, A, T]`.
    states: Vec<DtState>,
}
