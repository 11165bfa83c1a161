//! The COCO protocol over any geometry: group by image and category, match, accumulate.

use std::ops::Range;

use rayon::prelude::*;

use crate::accumulate::{BitsScratch, CurveScratch, MAX_BIT_THRESHOLDS, Ranking, StateBits, pr_curve, pr_curves_bits};
use crate::group_order::{IdIndex, stable_sort_by_small_key};
use crate::matching::{DtState, ImageMatch, MatchOut, MatchScratch, match_image};
use crate::params::Resolved;
use softkit_geom::PairOverlap;

use crate::{AreaRange, EvalError, Params};

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
pub(crate) struct Group {
    /// Category position (0 when `use_cats` is off).
    pub(crate) k: usize,
    /// Image position in the sorted image ids.
    pub(crate) image: usize,
    pub(crate) gts: Range<usize>,
    pub(crate) dts: Range<usize>,
}

/// The matching outcome of one group, for every area range: a view into flat arrays that hold
/// every group in order, so that one category's groups lie side by side in memory.
pub(crate) struct GroupEval<'a> {
    /// Scores of the kept detections, descending (at most the largest maxDets).
    pub(crate) scores: &'a [f64],
    /// Non-ignored ground truth per area range.
    pub(crate) n_pos: &'a [usize],
    /// States, `[D, A, T]` row-major: one detection's outcomes are contiguous.
    pub(crate) states: &'a [DtState],
}

/// Per-thread buffers for matching one group.
#[derive(Default)]
pub(crate) struct GroupScratch {
    pub(crate) matching: MatchScratch,
    /// The group's detections (input positions) by descending score, cut to the largest maxDets.
    pub(crate) dts: Vec<usize>,
    /// Overlaps, `D x G` row-major, ground truth in input order.
    pub(crate) ious: Vec<f64>,
    pub(crate) gt_ids: Vec<i64>,
    pub(crate) gt_crowd: Vec<bool>,
    pub(crate) gt_ignore: Vec<bool>,
    pub(crate) dt_area_out: Vec<bool>,
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
/// use softkit_eval::{DtRecord, EvalInput, GtRecord, Params, evaluate};
/// use softkit_geom::{Iou, PairView, XywhBoxes};
///
/// let gt_boxes = XywhBoxes::new(vec![[0.0, 0.0, 10.0, 10.0]])?;
/// let dt_boxes = XywhBoxes::new(vec![[1.0, 0.0, 10.0, 10.0], [50.0, 50.0, 10.0, 10.0]])?;
/// let gts = [GtRecord { id: 1, image_id: 1, category_id: 1, area: 100.0, iscrowd: false, ignore: false }];
/// let dts = [
///     DtRecord { image_id: 1, category_id: 1, area: 100.0, score: 0.9 },
///     DtRecord { image_id: 1, category_id: 1, area: 100.0, score: 0.8 },
/// ];
/// let input = EvalInput { image_ids: &[1], category_ids: &[1], gts: &gts, dts: &dts };
/// let ev = evaluate(&input, &PairView::new(dt_boxes, gt_boxes, Iou), &Params::default())?;
/// // IoU 0.9: a true positive up to the 0.90 threshold, then missed.
/// assert_eq!(ev.recall_at(0, 0, 0, 2), 1.0);
/// assert_eq!(ev.recall_at(9, 0, 0, 2), 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate<O: PairOverlap>(input: &EvalInput<'_>, overlap: &O, params: &Params) -> Result<Evaluation, EvalError> {
    let p = checked(input, params)?;
    let (gt_order, dt_order, groups) = group(input, &p);
    let max_det = *p.max_dets.last().expect("resolve checks max_dets is not empty");

    let (n_area, nat) = (p.area_rngs.len(), p.area_rngs.len() * p.iou_thrs.len());
    // Every group's output goes to its own slice of three flat arrays (no allocation per group).
    let kept: Vec<usize> = groups.iter().map(|g| g.dts.len().min(max_det)).collect();
    let total: usize = kept.iter().sum();
    let mut scores = vec![0.0; total];
    let mut states = vec![DtState::Ignored; total * nat];
    let mut n_pos = vec![0; groups.len() * n_area];
    {
        let (mut score_rest, mut state_rest) = (&mut scores[..], &mut states[..]);
        let mut outs = Vec::with_capacity(groups.len());
        for &n in &kept {
            let (sc, sc_rest) = std::mem::take(&mut score_rest).split_at_mut(n);
            let (st, st_rest) = std::mem::take(&mut state_rest).split_at_mut(n * nat);
            (score_rest, state_rest) = (sc_rest, st_rest);
            outs.push((sc, st));
        }
        let matcher = Matcher { input, overlap, p: &p, max_det, gt_order: &gt_order, dt_order: &dt_order };
        groups.par_iter().zip(outs).zip(n_pos.par_chunks_mut(n_area)).for_each_init(
            GroupScratch::default,
            |scratch, ((grp, (scores_out, states)), n_pos)| {
                softkit_geom::interrupt::poll();
                matcher.evaluate_group(grp, scratch, GroupOut { scores_out, states, n_pos })
            },
        );
    }
    let mut evals = Vec::with_capacity(groups.len());
    let mut start = 0;
    for (g, &n) in kept.iter().enumerate() {
        evals.push(GroupEval {
            scores: &scores[start..start + n],
            n_pos: &n_pos[g * n_area..(g + 1) * n_area],
            states: &states[start * nat..(start + n) * nat],
        });
        start += n;
    }

    Ok(accumulate(p, &groups, &evals))
}

/// Checks the records' numbers and resolves the parameters against the input.
pub(crate) fn checked(input: &EvalInput<'_>, params: &Params) -> Result<Resolved, EvalError> {
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
    params.resolve(input.image_ids, input.category_ids)
}

/// What matching every group shares: the input, the measure and the parameters.
pub(crate) struct Matcher<'a, O> {
    pub(crate) input: &'a EvalInput<'a>,
    pub(crate) overlap: &'a O,
    pub(crate) p: &'a Resolved,
    pub(crate) max_det: usize,
    /// Ground truth and detections sorted by group, as positions in the input.
    pub(crate) gt_order: &'a [usize],
    pub(crate) dt_order: &'a [usize],
}

/// One group's slices of the output arrays.
struct GroupOut<'o> {
    scores_out: &'o mut [f64],
    states: &'o mut [DtState],
    n_pos: &'o mut [usize],
}

impl<O: PairOverlap> Matcher<'_, O> {
    /// Matches one group: pycocotools' `evaluateImg` for every area range.
    fn evaluate_group(&self, grp: &Group, scratch: &mut GroupScratch, out: GroupOut<'_>) {
        let (input, p) = (self.input, self.p);
        let GroupOut { scores_out, states, n_pos } = out;
        let gts = self.prepare(grp, scratch);
        let dts = &scratch.dts;
        let ious = &scratch.ious;
        let (n_area, n_thr) = (p.area_rngs.len(), p.iou_thrs.len());
        debug_assert!(scores_out.len() == dts.len() && states.len() == dts.len() * n_area * n_thr);
        for (out, &d) in scores_out.iter_mut().zip(dts.iter()) {
            *out = input.dts[d].score;
        }
        for (a, rng) in p.area_rngs.iter().enumerate() {
            let gt_ignore = &mut scratch.gt_ignore;
            gt_ignore.clear();
            gt_ignore.extend(gts.iter().map(|&g| input.gts[g].ignore || rng.excludes(input.gts[g].area)));
            let dt_area_out = &mut scratch.dt_area_out;
            dt_area_out.clear();
            dt_area_out.extend(dts.iter().map(|&d| rng.excludes(input.dts[d].area)));
            n_pos[a] = gt_ignore.iter().filter(|&&ig| !ig).count();
            let m = ImageMatch { ious, gt_ids: &scratch.gt_ids, gt_crowd: &scratch.gt_crowd, gt_ignore, dt_area_out };
            let out = MatchOut { states, matches: None, stride: n_area * n_thr, offset: a * n_thr };
            match_image(&m, &p.iou_thrs, &mut scratch.matching, out);
        }
    }

    /// Fills `scratch` with the group's detections by descending score (cut to the largest
    /// maxDets), its overlaps, and its ground truth's ids and crowd flags; returns the ground
    /// truth (input positions, in input order).
    pub(crate) fn prepare(&self, grp: &Group, scratch: &mut GroupScratch) -> &[usize] {
        let Matcher { input, overlap, max_det, gt_order, dt_order, .. } = *self;
        let gts = &gt_order[grp.gts.clone()];
        let dts = &mut scratch.dts;
        dts.clear();
        dts.extend_from_slice(&dt_order[grp.dts.clone()]);
        // A stable sort by descending score: numpy's mergesort of `-score`.
        dts.sort_by(|&a, &b| input.dts[b].score.partial_cmp(&input.dts[a].score).expect("finite scores"));
        dts.truncate(max_det);
        let ious = &mut scratch.ious;
        ious.clear();
        if !gts.is_empty() {
            for &d in dts.iter() {
                ious.extend(gts.iter().map(|&g| overlap.overlap(d, g, input.gts[g].iscrowd)));
            }
        }
        scratch.gt_ids.clear();
        scratch.gt_ids.extend(gts.iter().map(|&g| input.gts[g].id));
        scratch.gt_crowd.clear();
        scratch.gt_crowd.extend(gts.iter().map(|&g| input.gts[g].iscrowd));
        gts
    }
}

/// Sorts ground truth and detections into groups, pycocotools' `_gts[imgId, catId]` lists (or,
/// with `use_cats` off, per-image lists concatenated in category order).
pub(crate) fn group(input: &EvalInput<'_>, p: &Resolved) -> (Vec<usize>, Vec<usize>, Vec<Group>) {
    let img_pos = IdIndex::new(&p.img_ids);
    let cat_pos = IdIndex::new(&p.cat_ids);
    let (n_img, n_cat) = (p.img_ids.len() as u64, p.cat_ids.len() as u64);
    // (group key, order key): groups are (category, image) or image; within a group, objects go
    // by category then input order.
    let keys = |image_id: i64, category_id: i64| -> Option<(u64, u64)> {
        let i = img_pos.get(image_id)? as u64;
        let k = cat_pos.get(category_id)? as u64;
        Some(if p.use_cats { (k * n_img + i, k * n_img + i) } else { (i, i * n_cat + k) })
    };
    let sorted = |items: &mut dyn Iterator<Item = (i64, i64)>| -> Vec<(u64, usize)> {
        let mut v: Vec<(u64, u64, usize)> =
            items.enumerate().filter_map(|(idx, (im, c))| keys(im, c).map(|(g, o)| (g, o, idx))).collect();
        // By order key, then input position (the items come in input order).
        stable_sort_by_small_key(&mut v, n_img * n_cat, |&(_, o, _)| o);
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
        let (k, image) = if p.use_cats { ((key / n_img) as usize, (key % n_img) as usize) } else { (0, key as usize) };
        groups.push(Group { k, image, gts: g0..gi, dts: d0..di });
    }
    let strip = |v: Vec<(u64, usize)>| v.into_iter().map(|(_, idx)| idx).collect();
    (strip(gts), strip(dts), groups)
}

/// One category's block of the output arrays, `[T, R, A, M]` and `[T, A, M]`: the output's
/// axis order without K, so that the blocks interleave into it with contiguous copies.
struct CategoryCurves {
    precision: Vec<f64>,
    scores: Vec<f64>,
    recall: Vec<f64>,
    /// A * M, the length of one contiguous run.
    run: usize,
}

impl CategoryCurves {
    /// Stores the curve of area range `a`, maxDets `m` and threshold `t` (`q` and `ss` over R).
    fn store(&mut self, a_m: usize, t: usize, q: &[f64], ss: &[f64], recall: f64) {
        let (run, nr) = (self.run, q.len());
        self.recall[t * run + a_m] = recall;
        for (r, (&qv, &sv)) in q.iter().zip(ss).enumerate() {
            let i = (t * nr + r) * run + a_m;
            self.precision[i] = qv;
            self.scores[i] = sv;
        }
    }
}

/// One category's curves for every area range, maxDets and IoU threshold.
///
/// The detections of every maxDets are the top `max_det` of each image, concatenated in image
/// order and stably sorted by descending score. That order restricted to the detections ranked
/// below a smaller `max_det` in their image is the stable sort of those detections, so one sort
/// (for the largest maxDets, which every group was already cut to) serves all of them.
fn accumulate_category(p: &Resolved, evals: &[GroupEval<'_>]) -> CategoryCurves {
    let (nt, nr, na, nm) = (p.iou_thrs.len(), p.rec_thrs.len(), p.area_rngs.len(), p.max_dets.len());
    let mut out = CategoryCurves {
        precision: vec![-1.0; na * nm * nt * nr],
        scores: vec![-1.0; na * nm * nt * nr],
        recall: vec![-1.0; na * nm * nt],
        run: na * nm,
    };
    if evals.is_empty() {
        return out;
    }
    // (score, group, rank in the group), then a stable sort by descending score.
    let mut order: Vec<(f64, u32, u32)> = Vec::with_capacity(evals.iter().map(|ev| ev.scores.len()).sum());
    for (e, ev) in evals.iter().enumerate() {
        order.extend(ev.scores.iter().enumerate().map(|(d, &s)| (s, e as u32, d as u32)));
    }
    order.sort_by(|a, b| b.0.partial_cmp(&a.0).expect("finite scores"));
    let n = order.len();
    let nat = na * nt;
    let n_pos: Vec<usize> = (0..na).map(|a| evals.iter().map(|ev| ev.n_pos[a]).sum()).collect();
    let largest = evals.iter().map(|ev| ev.scores.len()).max().unwrap_or(0);
    let all_scores: Vec<f64> = order.iter().map(|o| o.0).collect();
    let mut selected: Vec<usize> = Vec::new();
    let mut selected_scores: Vec<f64> = Vec::new();
    // For each maxDets: whether every detection takes part, else which ranking positions do.
    let select = |max_det: usize, selected: &mut Vec<usize>, selected_scores: &mut Vec<f64>| -> bool {
        if max_det >= largest {
            return true;
        }
        selected.clear();
        selected.extend((0..n).filter(|&pos| (order[pos].2 as usize) < max_det));
        selected_scores.clear();
        selected_scores.extend(selected.iter().map(|&pos| all_scores[pos]));
        false
    };
    if nt <= MAX_BIT_THRESHOLDS {
        // Every threshold in one pass: the outcomes of each detection packed as bits, `[A, n]`.
        let mut bits = vec![StateBits::default(); na * n];
        for (pos, &(_, e, d)) in order.iter().enumerate() {
            let row = &evals[e as usize].states[d as usize * nat..(d as usize + 1) * nat];
            for (a, states) in row.chunks_exact(nt).enumerate() {
                bits[a * n + pos] = StateBits::pack(states);
            }
        }
        let mut scratch = BitsScratch::default();
        let (mut q, mut ss, mut recall) = (vec![0.0; nt * nr], vec![0.0; nt * nr], vec![0.0; nt]);
        for (m, &max_det) in p.max_dets.iter().enumerate() {
            let every = select(max_det, &mut selected, &mut selected_scores);
            let sorted_scores = if every { &all_scores } else { &selected_scores };
            for (a, &n_pos) in n_pos.iter().enumerate() {
                if n_pos == 0 {
                    continue;
                }
                let column = &bits[a * n..(a + 1) * n];
                let ranking = Ranking { scores: sorted_scores, n_pos, rec_thrs: &p.rec_thrs };
                let (q, ss, recall) = (&mut q[..], &mut ss[..], &mut recall[..]);
                if every {
                    let states = column.iter().copied();
                    pr_curves_bits(states, nt, &ranking, &mut scratch, q, ss, recall);
                } else {
                    let states = selected.iter().map(|&pos| column[pos]);
                    pr_curves_bits(states, nt, &ranking, &mut scratch, q, ss, recall);
                }
                for (t, &rec) in recall.iter().enumerate() {
                    let rows = t * nr..(t + 1) * nr;
                    out.store(a * nm + m, t, &q[rows.clone()], &ss[rows], rec);
                }
            }
        }
        return out;
    }
    // More thresholds than bits: one threshold at a time, from `[A * T, n]` columns.
    let mut columns = vec![DtState::Ignored; nat * n];
    for (pos, &(_, e, d)) in order.iter().enumerate() {
        let row = &evals[e as usize].states[d as usize * nat..(d as usize + 1) * nat];
        for (j, &s) in row.iter().enumerate() {
            columns[j * n + pos] = s;
        }
    }
    let mut scratch = CurveScratch::default();
    let (mut q, mut ss) = (vec![0.0; nr], vec![0.0; nr]);
    for (m, &max_det) in p.max_dets.iter().enumerate() {
        let every = select(max_det, &mut selected, &mut selected_scores);
        let sorted_scores = if every { &all_scores } else { &selected_scores };
        for (a, &n_pos) in n_pos.iter().enumerate() {
            if n_pos == 0 {
                continue;
            }
            let ranking = Ranking { scores: sorted_scores, n_pos, rec_thrs: &p.rec_thrs };
            for t in 0..nt {
                let column = &columns[(a * nt + t) * n..(a * nt + t + 1) * n];
                let recall = if every {
                    pr_curve(column.iter().copied(), &ranking, &mut scratch, &mut q, &mut ss)
                } else {
                    let states = selected.iter().map(|&pos| column[pos]);
                    pr_curve(states, &ranking, &mut scratch, &mut q, &mut ss)
                };
                out.store(a * nm + m, t, &q, &ss, recall);
            }
        }
    }
    out
}

pub(crate) fn accumulate(p: Resolved, groups: &[Group], evals: &[GroupEval<'_>]) -> Evaluation {
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
    let curves: Vec<CategoryCurves> =
        spans.par_iter().map(|span| accumulate_category(&p, &evals[span.clone()])).collect();

    let mut precision = vec![-1.0; nt * nr * nk * na * nm];
    let mut scores = vec![-1.0; nt * nr * nk * na * nm];
    let mut recall = vec![-1.0; nt * nk * na * nm];
    // Written in the output's own order, one contiguous run of A * M values per category.
    let run = na * nm;
    let mut dst = 0;
    for t in 0..nt {
        for r in 0..nr {
            let src = (t * nr + r) * run..(t * nr + r + 1) * run;
            for c in &curves {
                precision[dst..dst + run].copy_from_slice(&c.precision[src.clone()]);
                scores[dst..dst + run].copy_from_slice(&c.scores[src.clone()]);
                dst += run;
            }
        }
    }
    let mut dst = 0;
    for t in 0..nt {
        for c in &curves {
            recall[dst..dst + run].copy_from_slice(&c.recall[t * run..(t + 1) * run]);
            dst += run;
        }
    }
    Evaluation { params: p, precision, recall, scores }
}
