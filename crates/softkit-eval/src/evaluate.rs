//! The COCO protocol over any geometry: group by image and category, match, accumulate.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::accumulate::{CurveScratch, pr_curve};
use crate::matching::{DtState, ImageMatch, MatchScratch, match_image};
use crate::params::Resolved;
use crate::{AreaRange, EvalError, PairOverlap, Params};

/// A ground-truth object as the matching loop sees it, whatever its geometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GtRecord {
    /// Annotation id. pycocotools records matches by this id and reads `0` as "unmatched", so a
    /// ground truth with id 0 can never be a true positive; softkit reproduces that.
    pub id: i64,
    /// Image id.
    pub image_id: i64,
    /// Category id.
    pub category_id: i64,
    /// The `area` that area ranges test.
    pub area: f64,
    /// `iscrowd`: the overlap uses the crowd rule, and the object may match many detections.
    pub iscrowd: bool,
    /// Ignored whatever the area range (for boxes and masks this is `iscrowd`).
    pub ignore: bool,
}

/// A detection as the matching loop sees it, whatever its geometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DtRecord {
    /// Image id.
    pub image_id: i64,
    /// Category id.
    pub category_id: i64,
    /// The area that area ranges test (`width * height` for a box result).
    pub area: f64,
    /// Confidence; finite.
    pub score: f64,
}

/// Everything an evaluation needs besides the geometry.
///
/// `image_ids` and `category_ids` are the defaults for [`Params::img_ids`] and
/// [`Params::cat_ids`] (pycocotools takes them from the ground truth). The overlap passed to
/// [`evaluate`] is indexed by positions in `dts` and `gts`.
#[derive(Clone, Copy, Debug)]
pub struct EvalInput<'a> {
    /// Every image of the ground truth.
    pub image_ids: &'a [i64],
    /// Every category of the ground truth.
    pub category_ids: &'a [i64],
    /// Ground-truth objects.
    pub gts: &'a [GtRecord],
    /// Detections.
    pub dts: &'a [DtRecord],
}

/// The accumulated result of an evaluation: pycocotools' `eval` dictionary.
///
/// Arrays are flat, row-major, with pycocotools' axis order: `precision` and `scores` are
/// `[T, R, K, A, M]`, `recall` is `[T, K, A, M]`, for T IoU thresholds, R recall thresholds,
/// K categories (1 when `use_cats` is off), A area ranges and M maxDets. `-1` marks a cell with
/// no ground truth to recall.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub(crate) params: Resolved,
    pub(crate) precision: Vec<f64>,
    pub(crate) recall: Vec<f64>,
    pub(crate) scores: Vec<f64>,
}

impl Evaluation {
    /// `[T, R, K, A, M]`.
    pub fn shape(&self) -> [usize; 5] {
        let p = &self.params;
        let k = if p.use_cats { p.cat_ids.len() } else { 1 };
        [p.iou_thrs.len(), p.rec_thrs.len(), k, p.area_rngs.len(), p.max_dets.len()]
    }

    /// Interpolated precision, `[T, R, K, A, M]` row-major.
    pub fn precision(&self) -> &[f64] {
        &self.precision
    }

    /// Final recall, `[T, K, A, M]` row-major.
    pub fn recall(&self) -> &[f64] {
        &self.recall
    }

    /// Score of the detection at which each recall threshold is reached, `[T, R, K, A, M]`.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// `precision[t, r, k, a, m]`.
    pub fn precision_at(&self, t: usize, r: usize, k: usize, a: usize, m: usize) -> f64 {
        self.precision[self.index5(t, r, k, a, m)]
    }

    /// `scores[t, r, k, a, m]`.
    pub fn score_at(&self, t: usize, r: usize, k: usize, a: usize, m: usize) -> f64 {
        self.scores[self.index5(t, r, k, a, m)]
    }

    /// `recall[t, k, a, m]`.
    pub fn recall_at(&self, t: usize, k: usize, a: usize, m: usize) -> f64 {
        let [_, _, nk, na, nm] = self.shape();
        self.recall[((t * nk + k) * na + a) * nm + m]
    }

    fn index5(&self, t: usize, r: usize, k: usize, a: usize, m: usize) -> usize {
        let [_, nr, nk, na, nm] = self.shape();
        (((t * nr + r) * nk + k) * na + a) * nm + m
    }

    /// The evaluated images, sorted.
    pub fn img_ids(&self) -> &[i64] {
        &self.params.img_ids
    }

    /// The evaluated categories: the K axis when `use_cats` is on.
    pub fn cat_ids(&self) -> &[i64] {
        &self.params.cat_ids
    }

    /// The IoU thresholds (the T axis).
    pub fn iou_thrs(&self) -> &[f64] {
        &self.params.iou_thrs
    }

    /// The recall thresholds (the R axis).
    pub fn rec_thrs(&self) -> &[f64] {
        &self.params.rec_thrs
    }

    /// The area ranges (the A axis).
    pub fn area_rngs(&self) -> &[AreaRange] {
        &self.params.area_rngs
    }

    /// The maxDets, sorted (the M axis).
    pub fn max_dets(&self) -> &[usize] {
        &self.params.max_dets
    }

    /// Whether matching was per category.
    pub fn use_cats(&self) -> bool {
        self.params.use_cats
    }
}

/// One image (and category, when `use_cats`) with at least one ground truth or detection.
struct Group {
    /// Category position (0 when `use_cats` is off).
    k: usize,
    gts: Range<usize>,
    dts: Range<usize>,
}

/// The matching outcome of one group, for every area range.
struct GroupEval {
    /// Scores of the kept detections, descending (at most the largest maxDets).
    scores: Vec<f64>,
    /// Non-ignored ground truth per area range.
    n_pos: Vec<usize>,
    /// States, `[A, T, D]` row-major.
    states: Vec<DtState>,
}

/// Runs the full COCO protocol (pycocotools' `evaluate` then `accumulate`) with `overlap` as the
/// measure between detections and ground truth.
///
/// # Runtime and Performance
///
/// Overlaps are computed once per image and category, for at most `max(max_dets)` detections.
/// Images are matched in parallel, and categories accumulated in parallel, with rayon; the
/// result does not depend on the thread count.
///
/// # Examples
///
/// ```
/// use softkit_eval::{BboxOverlap, DtRecord, EvalInput, GtRecord, Params, evaluate};
///
/// let gt_boxes = [[0.0, 0.0, 10.0, 10.0]];
/// let dt_boxes = [[1.0, 0.0, 10.0, 10.0], [50.0, 50.0, 10.0, 10.0]];
/// let gts = [GtRecord { id: 1, image_id: 1, category_id: 1, area: 100.0, iscrowd: false, ignore: false }];
/// let dts = [
///     DtRecord { image_id: 1, category_id: 1, area: 100.0, score: 0.9 },
///     DtRecord { image_id: 1, category_id: 1, area: 100.0, score: 0.8 },
/// ];
/// let input = EvalInput { image_ids: &[1], category_ids: &[1], gts: &gts, dts: &dts };
/// let ev = evaluate(&input, &BboxOverlap { dt: &dt_boxes, gt: &gt_boxes }, &Params::default())?;
/// // IoU 0.9: a true positive up to the 0.90 threshold, then missed.
/// assert_eq!(ev.recall_at(0, 0, 0, 2), 1.0);
/// assert_eq!(ev.recall_at(9, 0, 0, 2), 0.0);
/// # Ok::<(), softkit_eval::EvalError>(())
/// ```
pub fn evaluate<O: PairOverlap>(input: &EvalInput<'_>, overlap: &O, params: &Params) -> Result<Evaluation, EvalError> {
    for (i, d) in input.dts.iter().enumerate() {
        for (field, value) in [("score", d.score), ("area", d.area)] {
            if !value.is_finite() {
                return Err(EvalError::NonFinite { item: format!("dts[{i}]"), field, value });
            }
        }
    }
    if let Some((i, g)) = input.gts.iter().enumerate().find(|(_, g)| g.area.is_nan()) {
        return Err(EvalError::NonFinite { item: format!("gts[{i}]"), field: "area", value: g.area });
    }
    let p = params.resolve(input.image_ids, input.category_ids)?;
    let (gt_order, dt_order, groups) = group(input, &p);
    let n_area = p.area_rngs.len();
    let max_det = *p.max_dets.last().expect("resolve checks max_dets is not empty");

    let evals: Vec<GroupEval> = groups
        .par_iter()
        .map_init(
            || (MatchScratch::default(), Vec::new(), Vec::new(), Vec::new()),
            |(scratch, ious, gt_ignore, dt_area_out), grp| {
                let gts = &gt_order[grp.gts.clone()];
                let mut dts = dt_order[grp.dts.clone()].to_vec();
                // A stable sort by descending score: numpy's mergesort of `-score`.
                dts.sort_by(|&a, &b| input.dts[b].score.partial_cmp(&input.dts[a].score).expect("finite scores"));
                dts.truncate(max_det);
                ious.clear();
                for &d in &dts {
                    ious.extend(gts.iter().map(|&g| overlap.overlap(d, g, input.gts[g].iscrowd)));
                }
                let gt_ids: Vec<i64> = gts.iter().map(|&g| input.gts[g].id).collect();
                let gt_crowd: Vec<bool> = gts.iter().map(|&g| input.gts[g].iscrowd).collect();
                let n_thr = p.iou_thrs.len();
                let mut states = vec![DtState::Ignored; n_area * n_thr * dts.len()];
                let mut n_pos = Vec::with_capacity(n_area);
                for (a, rng) in p.area_rngs.iter().enumerate() {
                    gt_ignore.clear();
                    gt_ignore.extend(gts.iter().map(|&g| input.gts[g].ignore || rng.excludes(input.gts[g].area)));
                    dt_area_out.clear();
                    dt_area_out.extend(dts.iter().map(|&d| rng.excludes(input.dts[d].area)));
                    n_pos.push(gt_ignore.iter().filter(|&&ig| !ig).count());
                    let m = ImageMatch { ious, gt_ids: &gt_ids, gt_crowd: &gt_crowd, gt_ignore, dt_area_out };
                    let block = n_thr * dts.len();
                    match_image(&m, &p.iou_thrs, scratch, &mut states[a * block..(a + 1) * block]);
                }
                GroupEval { scores: dts.iter().map(|&d| input.dts[d].score).collect(), n_pos, states }
            },
        )
        .collect();

    Ok(accumulate(p, &groups, &evals))
}

/// Sorts ground truth and detections into groups, pycocotools' `_gts[imgId, catId]` lists (or,
/// with `use_cats` off, per-image lists concatenated in category order).
fn group(input: &EvalInput<'_>, p: &Resolved) -> (Vec<usize>, Vec<usize>, Vec<Group>) {
    let img_pos: HashMap<i64, usize> = p.img_ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let cat_pos: HashMap<i64, usize> = p.cat_ids.iter().enumerate().map(|(k, &id)| (id, k)).collect();
    let (n_img, n_cat) = (p.img_ids.len() as u64, p.cat_ids.len() as u64);
    // (group key, order key): groups are (category, image) or image; within a group, objects go
    // by category then input order.
    let keys = |image_id: i64, category_id: i64| -> Option<(u64, u64)> {
        let i = *img_pos.get(&image_id)? as u64;
        let k = *cat_pos.get(&category_id)? as u64;
        Some(if p.use_cats { (k * n_img + i, k * n_img + i) } else { (i, i * n_cat + k) })
    };
    let sorted = |items: &mut dyn Iterator<Item = (i64, i64)>| -> Vec<(u64, usize)> {
        let mut v: Vec<(u64, u64, usize)> =
            items.enumerate().filter_map(|(idx, (im, c))| keys(im, c).map(|(g, o)| (g, o, idx))).collect();
        v.sort_unstable_by_key(|&(_, o, idx)| (o, idx));
        v.into_iter().map(|(g, _, idx)| (g, idx)).collect()
    };
    let gts = sorted(&mut input.gts.iter().map(|g| (g.image_id, g.category_id)));
    let dts = sorted(&mut input.dts.iter().map(|d| (d.image_id, d.category_id)));
    let mut groups = Vec::new();
    let (mut gi, mut di) = (0, 0);
    while gi < gts.len() || di < dts.len() {
        let key = match (gts.get(gi), dts.get(di)) {
            (Some(g), Some(d)) => g.0.min(d.0),
            (Some(g), None) => g.0,
            (None, Some(d)) => d.0,
            (None, None) => unreachable!(),
        };
        let (g0, d0) = (gi, di);
        while gi < gts.len() && gts[gi].0 == key {
            gi += 1;
        }
        while di < dts.len() && dts[di].0 == key {
            di += 1;
        }
        let k = if p.use_cats { (key / n_img) as usize } else { 0 };
        groups.push(Group { k, gts: g0..gi, dts: d0..di });
    }
    let strip = |v: Vec<(u64, usize)>| v.into_iter().map(|(_, idx)| idx).collect();
    (strip(gts), strip(dts), groups)
}

/// One category's block of the output arrays, `[A, M, T, R]` and `[A, M, T]`.
struct CategoryCurves {
    precision: Vec<f64>,
    scores: Vec<f64>,
    recall: Vec<f64>,
}

fn accumulate(p: Resolved, groups: &[Group], evals: &[GroupEval]) -> Evaluation {
    let (nt, nr, na, nm) = (p.iou_thrs.len(), p.rec_thrs.len(), p.area_rngs.len(), p.max_dets.len());
    let nk = if p.use_cats { p.cat_ids.len() } else { 1 };
    // Groups are sorted by category, then image.
    let mut spans = vec![0..0; nk];
    let mut start = 0;
    for (idx, grp) in groups.iter().enumerate() {
        if idx + 1 == groups.len() || groups[idx + 1].k != grp.k {
            spans[grp.k] = start..idx + 1;
            start = idx + 1;
        }
    }
    let curves: Vec<CategoryCurves> = spans
        .par_iter()
        .map(|span| {
            let mut out = CategoryCurves {
                precision: vec![-1.0; na * nm * nt * nr],
                scores: vec![-1.0; na * nm * nt * nr],
                recall: vec![-1.0; na * nm * nt],
            };
            let evals = &evals[span.clone()];
            if evals.is_empty() {
                return out;
            }
            let mut scratch = CurveScratch::default();
            let mut order: Vec<(usize, usize)> = Vec::new();
            let mut sorted_scores: Vec<f64> = Vec::new();
            for (m, &max_det) in p.max_dets.iter().enumerate() {
                // Top `max_det` of each image, concatenated in image order, then a stable sort
                // by descending score.
                order.clear();
                for (e, ev) in evals.iter().enumerate() {
                    order.extend((0..ev.scores.len().min(max_det)).map(|d| (e, d)));
                }
                order.sort_by(|&(ea, da), &(eb, db)| {
                    evals[eb].scores[db].partial_cmp(&evals[ea].scores[da]).expect("finite scores")
                });
                sorted_scores.clear();
                sorted_scores.extend(order.iter().map(|&(e, d)| evals[e].scores[d]));
                for a in 0..na {
                    let n_pos: usize = evals.iter().map(|ev| ev.n_pos[a]).sum();
                    if n_pos == 0 {
                        continue;
                    }
                    for t in 0..nt {
                        let states = order.iter().map(|&(e, d)| {
                            let ev = &evals[e];
                            let n_dt = ev.scores.len();
                            ev.states[(a * nt + t) * n_dt + d]
                        });
                        let cell = (a * nm + m) * nt + t;
                        let (q, ss) = (
                            &mut out.precision[cell * nr..(cell + 1) * nr],
                            &mut out.scores[cell * nr..(cell + 1) * nr],
                        );
                        out.recall[cell] = pr_curve(states, &sorted_scores, n_pos, &p.rec_thrs, &mut scratch, q, ss);
                    }
                }
            }
            out
        })
        .collect();

    let mut precision = vec![-1.0; nt * nr * nk * na * nm];
    let mut scores = vec![-1.0; nt * nr * nk * na * nm];
    let mut recall = vec![-1.0; nt * nk * na * nm];
    for (k, c) in curves.iter().enumerate() {
        for a in 0..na {
            for m in 0..nm {
                for t in 0..nt {
                    let cell = (a * nm + m) * nt + t;
                    recall[((t * nk + k) * na + a) * nm + m] = c.recall[cell];
                    for r in 0..nr {
                        let dst = (((t * nr + r) * nk + k) * na + a) * nm + m;
                        precision[dst] = c.precision[cell * nr + r];
                        scores[dst] = c.scores[cell * nr + r];
                    }
                }
            }
        }
    }
    Evaluation { params: p, precision, recall, scores }
}
