//! HOTA (Higher Order Tracking Accuracy, Luiten et al. 2021) exactly as TrackEval 1.0 computes it
//! (`trackeval.metrics.HOTA`), down to numpy's summation order, so that every component is the
//! same float.

use softkit_geom::{Boxes, Geometry, Intersect, Iou, Measure, pairwise_mean};

use crate::{Sequence, TrackError, linear_sum_assignment};

/// Number of localisation thresholds HOTA is computed at.
const ALPHAS: usize = 19;

/// The 19 localisation thresholds `alpha`, TrackEval's `np.arange(0.05, 0.99, 0.05)` bit for bit
/// (numpy fills `0.05 + i * (0.1 - 0.05)`, hence the trailing digits).
///
/// A matched pair counts as a true positive at `alpha` when its IoU is at least `alpha - eps`
/// (`eps = f64::EPSILON`).
///
/// # Examples
///
/// ```
/// use softkit_track::HOTA_ALPHAS;
///
/// assert_eq!(HOTA_ALPHAS.len(), 19);
/// assert_eq!(HOTA_ALPHAS[0], 0.05);
/// assert_eq!(HOTA_ALPHAS[2], 0.15000000000000002);
/// ```
pub const HOTA_ALPHAS: [f64; ALPHAS] = [
    0.05,
    0.1,
    0.15000000000000002,
    0.2,
    0.25,
    0.3,
    0.35000000000000003,
    0.4,
    0.45,
    0.5,
    0.55,
    0.6000000000000001,
    0.6500000000000001,
    0.7000000000000001,
    0.7500000000000001,
    0.8,
    0.8500000000000001,
    0.9000000000000001,
    0.9500000000000001,
];

/// numpy's `np.finfo(float).eps`, TrackEval's slack in every threshold.
const EPS: f64 = f64::EPSILON;

/// Elements per inner-loop call of numpy's reduction iterator (its buffer size): a sum over more
/// values is the left-to-right sum of the pairwise sums of 8192-value blocks.
const NUMPY_BUFFER: u64 = 8192;

/// HOTA and its components for one sequence (or several, [`Hota::combine`]d), at each of the 19
/// thresholds [`HOTA_ALPHAS`]: TrackEval's `HOTA.eval_sequence` result, field for field.
///
/// # Usage
///
/// [`hota`] evaluates one sequence, [`Hota::combine`] pools sequences as TrackEval's
/// `combine_sequences` does, and [`Hota::summary`] averages over the thresholds as TrackEval's
/// summary table does (the number usually quoted as "HOTA" is `summary().hota`).
///
/// | field | TrackEval | meaning |
/// |---|---|---|
/// | `hota` | `HOTA` | `sqrt(det_a * ass_a)` |
/// | `det_a` | `DetA` | `TP / max(1, TP + FN + FP)` |
/// | `ass_a` | `AssA` | mean over true positives of the matched pair's `TPA / (TPA + FNA + FPA)` |
/// | `det_re`, `det_pr` | `DetRe`, `DetPr` | `TP / max(1, TP + FN)`, `TP / max(1, TP + FP)` |
/// | `ass_re`, `ass_pr` | `AssRe`, `AssPr` | as `ass_a`, with `TPA / (TPA + FNA)`, `TPA / (TPA + FPA)` |
/// | `loc_a` | `LocA` | mean IoU of the true positives (`1` when there are none) |
/// | `owta` | `OWTA` | `sqrt(det_re * ass_a)` |
/// | `true_positives`, ... | `HOTA_TP`, `HOTA_FN`, `HOTA_FP` | detection counts |
/// | `hota_0`, `loc_a_0`, `hota_loc_a_0` | `HOTA(0)`, `LocA(0)`, `HOTALocA(0)` | at the lowest threshold; the last is their product |
///
/// # Examples
///
/// ```
/// use softkit_track::{Sequence, hota};
///
/// let gt = Sequence::new(&[1, 2], &[1, 1], &[[0.0, 0.0, 10.0, 10.0]; 2])?;
/// let hyp = Sequence::new(&[1, 2], &[7, 7], &[[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 10.0, 10.0]])?;
/// let h = hota(&gt, &hyp)?;
/// assert_eq!(h.true_positives[0], 2); // IoU 1/3 passes alpha = 0.05...
/// assert_eq!(h.true_positives[18], 1); // ...but not alpha = 0.95
/// assert_eq!(h.ass_a[0], 1.0); // one id for one object
/// assert_eq!(h.loc_a[0], (1.0 + 1.0 / 3.0) / 2.0);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Hota {
    /// `HOTA`: the geometric mean of detection and association accuracy, per threshold.
    pub hota: [f64; ALPHAS],
    /// `DetA`: detection accuracy, per threshold.
    pub det_a: [f64; ALPHAS],
    /// `AssA`: association accuracy, per threshold.
    pub ass_a: [f64; ALPHAS],
    /// `DetRe`: detection recall, per threshold.
    pub det_re: [f64; ALPHAS],
    /// `DetPr`: detection precision, per threshold.
    pub det_pr: [f64; ALPHAS],
    /// `AssRe`: association recall, per threshold.
    pub ass_re: [f64; ALPHAS],
    /// `AssPr`: association precision, per threshold.
    pub ass_pr: [f64; ALPHAS],
    /// `LocA`: localisation accuracy (mean IoU of the true positives), per threshold.
    pub loc_a: [f64; ALPHAS],
    /// `OWTA`: open-world tracking accuracy, `sqrt(det_re * ass_a)`, per threshold.
    pub owta: [f64; ALPHAS],
    /// `HOTA_TP`: matched ground-truth objects, per threshold.
    pub true_positives: [u64; ALPHAS],
    /// `HOTA_FN`: unmatched ground-truth objects, per threshold.
    pub false_negatives: [u64; ALPHAS],
    /// `HOTA_FP`: unmatched hypotheses, per threshold.
    pub false_positives: [u64; ALPHAS],
    /// `HOTA(0)`: `hota[0]`, at the lowest threshold.
    pub hota_0: f64,
    /// `LocA(0)`: `loc_a[0]`.
    pub loc_a_0: f64,
    /// `HOTALocA(0)`: `hota_0 * loc_a_0`.
    pub hota_loc_a_0: f64,
}

/// TrackEval's summary row: each per-threshold score of a [`Hota`] averaged over the 19
/// thresholds (with `np.mean`'s rounding), plus the three scores at the lowest threshold.
///
/// # Examples
///
/// ```
/// use softkit_track::{Sequence, hota};
///
/// let gt = Sequence::new(&[1], &[1], &[[0.0, 0.0, 10.0, 10.0]])?;
/// let summary = hota(&gt, &gt)?.summary();
/// assert_eq!((summary.hota, summary.det_a, summary.ass_a, summary.loc_a), (1.0, 1.0, 1.0, 1.0));
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HotaSummary {
    /// Mean `HOTA` over the thresholds: the headline score.
    pub hota: f64,
    /// Mean `DetA`.
    pub det_a: f64,
    /// Mean `AssA`.
    pub ass_a: f64,
    /// Mean `DetRe`.
    pub det_re: f64,
    /// Mean `DetPr`.
    pub det_pr: f64,
    /// Mean `AssRe`.
    pub ass_re: f64,
    /// Mean `AssPr`.
    pub ass_pr: f64,
    /// Mean `LocA`.
    pub loc_a: f64,
    /// Mean `OWTA`.
    pub owta: f64,
    /// `HOTA(0)`.
    pub hota_0: f64,
    /// `LocA(0)`.
    pub loc_a_0: f64,
    /// `HOTALocA(0)`.
    pub hota_loc_a_0: f64,
}

impl HotaSummary {
    /// The averages under the names reports use (`hota`, `deta`, `assa`, `deta_re`, `deta_pr`,
    /// `assa_re`, `assa_pr`, `loca`, `owta`), so that every front end writes the same keys.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::{Sequence, hota};
    ///
    /// let seq = Sequence::new(&[1], &[1], &[[0.0, 0.0, 10.0, 10.0]])?;
    /// let named = hota(&seq, &seq)?.summary().named();
    /// assert_eq!(named[0].0, "hota");
    /// assert!((named[0].1 - 1.0).abs() < 1e-12);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn named(&self) -> [(&'static str, f64); 9] {
        [
            ("hota", self.hota),
            ("deta", self.det_a),
            ("assa", self.ass_a),
            ("deta_re", self.det_re),
            ("deta_pr", self.det_pr),
            ("assa_re", self.ass_re),
            ("assa_pr", self.ass_pr),
            ("loca", self.loc_a),
            ("owta", self.owta),
        ]
    }
}

/// HOTA of the hypotheses `hyp` (a tracker's output) against the ground truth `gt`, as TrackEval's
/// `HOTA().eval_sequence` computes it with IoU similarity (`box_format='xywh'`).
///
/// Every frame of either sequence is one timestep, and ids are compared only for equality (so
/// any `i64` ids will do). Rows within a frame keep their order, which decides ties in the
/// matching exactly as row order does in TrackEval.
///
/// # The algorithm
///
/// 1. Similarity: the IoU of each ground-truth box with each hypothesis in the same frame, `0`
///    when either box has an area of at most `eps` (TrackEval's rule for empty unions).
/// 2. Global alignment: for each id pair, the sum over frames of each IoU normalised by the
///    row and column sums of its frame's IoU matrix, turned into a Jaccard score of the two
///    tracks.
/// 3. Per frame, [`linear_sum_assignment`] maximises alignment times IoU; at each threshold
///    `alpha` the assigned pairs with IoU at least `alpha - eps` are the true positives.
/// 4. Association scores weigh each true positive by how often its id pair was matched.
///
/// # Runtime and Performance
///
/// `O(g * h)` per frame of `g` objects and `h` hypotheses for the IoU matrix, plus one optimal
/// assignment per frame in which anything overlaps (`O(n^2 m)` worst case, close to `O(g * h)`
/// when few boxes overlap). Memory is `O(overlapping pairs)`: nothing is dense over ids (TrackEval
/// keeps 20 id-by-id matrices), and the per-frame buffers are reused; only
/// [`linear_sum_assignment`] allocates per frame. On 2,000 frames of about 60 objects it takes
/// about 0.1 s, against about 1.5 s for TrackEval (IoU matrices and `eval_sequence`).
///
/// # Errors
///
/// [`TrackError::NonFinite`] if a box's far corner (`x + w` or `y + h`) overflows to infinity,
/// naming the sequence (`gt` or `hyp`), frame and id.
///
/// # Examples
///
/// ```
/// use softkit_track::{Sequence, hota};
///
/// // Two objects; the tracker swaps their ids halfway through.
/// let boxes = [[0.0, 0.0, 10.0, 10.0], [50.0, 0.0, 10.0, 10.0]];
/// let frames = [1, 1, 2, 2, 3, 3, 4, 4];
/// let gt = Sequence::new(&frames, &[1, 2, 1, 2, 1, 2, 1, 2], &[boxes; 4].concat())?;
/// let hyp = Sequence::new(&frames, &[1, 2, 1, 2, 2, 1, 2, 1], &[boxes; 4].concat())?;
/// let h = hota(&gt, &hyp)?;
/// assert_eq!(h.det_a[0], 1.0);
/// // Each track is half right: every true positive scores 2 / (4 + 4 - 2).
/// assert!((h.ass_a[0] - 1.0 / 3.0).abs() < 1e-15);
/// assert!((h.hota[0] - (1.0_f64 / 3.0).sqrt()).abs() < 1e-15);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
pub fn hota(gt: &Sequence, hyp: &Sequence) -> Result<Hota, TrackError> {
    let gt_corners = corners(gt, "gt")?;
    let hyp_corners = corners(hyp, "hyp")?;
    let gt_boxes = Boxes::new(&gt_corners, 0.0).map_err(|e| geometry_error("gt", e))?;
    let hyp_boxes = Boxes::new(&hyp_corners, 0.0).map_err(|e| geometry_error("hyp", e))?;
    let (gt_ids, gt_count) = renumber(gt);
    let (hyp_ids, hyp_count) = renumber(hyp);
    let frames = shared_frames(gt, hyp);
    let hyp_id_count = hyp_count.len() as u64;

    // Pass 1: the IoU of every overlapping pair, and the potential matches of each id pair.
    let mut cells: Vec<Cell> = Vec::new();
    let mut frame_cells = Vec::with_capacity(frames.len() + 1);
    let mut pairs = PairTable::new(gt_count.len());
    let mut potential: Vec<f64> = Vec::new();
    let mut row_sum: Vec<f64> = Vec::new();
    let mut col_sum: Vec<f64> = Vec::new();
    for f in &frames {
        let first = cells.len();
        frame_cells.push(first);
        col_sum.clear();
        col_sum.resize(f.hyp_len, 0.0);
        row_sum.clear();
        for i in 0..f.gt_len {
            let row_first = cells.len();
            for (j, column) in col_sum.iter_mut().enumerate() {
                let sim = similarity(&gt_boxes, f.gt_start + i, &hyp_boxes, f.hyp_start + j);
                if sim > 0.0 {
                    cells.push(Cell { i: i as u32, j: j as u32, pair: 0, sim });
                    // numpy sums each column row by row...
                    *column += sim;
                }
            }
            // ...and a row pairwise.
            row_sum.push(numpy_sum(f.hyp_len as u64, &cells[row_first..], |c| (u64::from(c.j), c.sim)));
        }
        if f.hyp_len == 1 {
            // A single column is contiguous too, so numpy sums it pairwise.
            col_sum[0] = numpy_sum(f.gt_len as u64, &cells[first..], |c| (u64::from(c.i), c.sim));
        }
        for cell in &mut cells[first..] {
            let (i, j) = (cell.i as usize, cell.j as usize);
            let denom = col_sum[j] + row_sum[i] - cell.sim;
            let sim_iou = if denom > EPS { cell.sim / denom } else { 0.0 };
            let g = gt_ids[f.gt_start + i];
            let h = hyp_ids[f.hyp_start + j];
            cell.pair = pairs.get_or_insert(g, h, || {
                potential.push(0.0);
                potential.len() as u32 - 1
            });
            potential[cell.pair as usize] += sim_iou;
        }
    }
    frame_cells.push(cells.len());

    // Jaccard alignment of each overlapping id pair (absent pairs align 0).
    let mut alignment = vec![0.0; potential.len()];
    for (g, list) in pairs.by_gt.iter().enumerate() {
        for &(h, p) in list {
            let matches = potential[p as usize];
            alignment[p as usize] = matches / (gt_count[g] + hyp_count[h as usize] - matches);
        }
    }

    // Pass 2: the optimal assignment per frame, and the matches it yields at each threshold.
    let mut tp = [0_u64; ALPHAS];
    let mut loc_sum = [0.0_f64; ALPHAS];
    let mut cost: Vec<f64> = Vec::new();
    let mut frame_matches: Vec<(f64, usize)> = Vec::new();
    // For each id pair ever matched: its slot in `matched`, which counts its matches per threshold.
    let mut slot_of_pair = vec![u32::MAX; potential.len()];
    let mut matched: Vec<(u64, [u32; ALPHAS])> = Vec::new();
    for (k, f) in frames.iter().enumerate() {
        let here = &cells[frame_cells[k]..frame_cells[k + 1]];
        if here.is_empty() {
            // Nothing overlaps: whatever the assignment, no pair reaches a threshold.
            continue;
        }
        cost.clear();
        // `-score` as TrackEval negates it: `-(0.0)` where nothing overlaps.
        cost.resize(f.gt_len * f.hyp_len, -0.0);
        for c in here {
            cost[c.i as usize * f.hyp_len + c.j as usize] = -(alignment[c.pair as usize] * c.sim);
        }
        frame_matches.clear();
        for (i, j) in linear_sum_assignment(&cost, f.gt_len, f.hyp_len)? {
            let Ok(at) = here.binary_search_by(|c| (c.i as usize, c.j as usize).cmp(&(i, j))) else {
                continue; // IoU 0: below every threshold
            };
            let cell = &here[at];
            let level = HOTA_ALPHAS.iter().take_while(|&&alpha| cell.sim >= alpha - EPS).count();
            if level == 0 {
                continue;
            }
            frame_matches.push((cell.sim, level));
            let slot = &mut slot_of_pair[cell.pair as usize];
            if *slot == u32::MAX {
                let g = u64::from(gt_ids[f.gt_start + i]);
                let h = u64::from(hyp_ids[f.hyp_start + j]);
                *slot = matched.len() as u32;
                matched.push((g * hyp_id_count + h, [0; ALPHAS]));
            }
            for count in &mut matched[*slot as usize].1[..level] {
                *count += 1;
            }
        }
        for a in 0..ALPHAS {
            // Python's `sum` over the matches in row order, then added to the running total.
            let mut sum = 0.0;
            let mut n = 0;
            for &(sim, level) in &frame_matches {
                if level > a {
                    sum += sim;
                    n += 1;
                }
            }
            if n > 0 {
                tp[a] += n;
                loc_sum[a] += sum;
            }
        }
    }

    // Association scores: numpy sums the dense id-pair matrix in row-major order.
    matched.sort_unstable_by_key(|m| m.0);
    let cells_total = gt_count.len() as u64 * hyp_id_count;
    let mut terms: Vec<(u64, f64)> = Vec::with_capacity(matched.len());
    let mut ass = [[0.0; ALPHAS]; 3];
    for a in 0..ALPHAS {
        let tp_a = (tp[a] as f64).max(1.0);
        for (kind, out) in ass.iter_mut().enumerate() {
            terms.clear();
            for &(key, counts) in &matched {
                if counts[a] == 0 {
                    continue;
                }
                let m = f64::from(counts[a]);
                let (gc, hc) = (gt_count[(key / hyp_id_count) as usize], hyp_count[(key % hyp_id_count) as usize]);
                let denom = match kind {
                    0 => gc + hc - m,
                    1 => gc,
                    _ => hc,
                };
                terms.push((key, m * (m / denom.max(1.0))));
            }
            out[a] = numpy_sum(cells_total, &terms, |&t| t) / tp_a;
        }
    }
    let [ass_a, ass_re, ass_pr] = ass;
    let num_gt = gt.rows() as u64;
    let num_hyp = hyp.rows() as u64;
    Ok(finish(Totals {
        tp,
        fn_: tp.map(|t| num_gt - t),
        fp: tp.map(|t| num_hyp - t),
        ass_a,
        ass_re,
        ass_pr,
        loc_a: std::array::from_fn(|a| loc_sum[a].max(1e-10) / (tp[a] as f64).max(1e-10)),
    }))
}

impl Hota {
    /// Pools several sequences as TrackEval's `HOTA.combine_sequences` does: counts add up,
    /// association scores and `LocA` are averaged weighted by true positives, and the rest is
    /// derived from those.
    ///
    /// An empty slice (which TrackEval cannot combine) gives what two empty sequences give: all
    /// scores `0` and `LocA` `1`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::{Hota, Sequence, hota};
    ///
    /// let gt = Sequence::new(&[1], &[1], &[[0.0, 0.0, 10.0, 10.0]])?;
    /// let none = Sequence::new(&[], &[], &[])?;
    /// let perfect = hota(&gt, &gt)?;
    /// let missed = hota(&gt, &none)?;
    /// let both = Hota::combine(&[perfect, missed]);
    /// assert_eq!(both.det_a[0], 0.5);
    /// assert_eq!(both.ass_a[0], 1.0);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn combine(sequences: &[Hota]) -> Hota {
        let mut tp = [0; ALPHAS];
        let mut fn_ = [0; ALPHAS];
        let mut fp = [0; ALPHAS];
        for s in sequences {
            for a in 0..ALPHAS {
                tp[a] += s.true_positives[a];
                fn_[a] += s.false_negatives[a];
                fp[a] += s.false_positives[a];
            }
        }
        // Python's `sum` over the sequences of `value * HOTA_TP`, in order.
        let weighted = |field: fn(&Hota) -> &[f64; ALPHAS]| -> [f64; ALPHAS] {
            std::array::from_fn(|a| sequences.iter().fold(0.0, |acc, s| acc + field(s)[a] * s.true_positives[a] as f64))
        };
        let average = |field: fn(&Hota) -> &[f64; ALPHAS]| -> [f64; ALPHAS] {
            let sums = weighted(field);
            std::array::from_fn(|a| sums[a] / (tp[a] as f64).max(1.0))
        };
        let loc = weighted(|s| &s.loc_a);
        finish(Totals {
            tp,
            fn_,
            fp,
            ass_a: average(|s| &s.ass_a),
            ass_re: average(|s| &s.ass_re),
            ass_pr: average(|s| &s.ass_pr),
            loc_a: std::array::from_fn(|a| loc[a].max(1e-10) / (tp[a] as f64).max(1e-10)),
        })
    }

    /// The per-threshold scores averaged over the 19 thresholds, in `np.mean`'s summation order,
    /// as TrackEval's summary table reports them.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::{Sequence, hota};
    ///
    /// let gt = Sequence::new(&[1], &[1], &[[0.0, 0.0, 10.0, 10.0]])?;
    /// let hyp = Sequence::new(&[1], &[1], &[[0.0, 0.0, 10.0, 5.0]])?;
    /// let h = hota(&gt, &hyp)?;
    /// // IoU 0.5 matches at the first 10 thresholds (0.05 to 0.5) and not above.
    /// assert_eq!(h.summary().det_a, 10.0 / 19.0);
    /// assert_eq!(h.summary().loc_a_0, 0.5);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn summary(&self) -> HotaSummary {
        HotaSummary {
            hota: pairwise_mean(&self.hota),
            det_a: pairwise_mean(&self.det_a),
            ass_a: pairwise_mean(&self.ass_a),
            det_re: pairwise_mean(&self.det_re),
            det_pr: pairwise_mean(&self.det_pr),
            ass_re: pairwise_mean(&self.ass_re),
            ass_pr: pairwise_mean(&self.ass_pr),
            loc_a: pairwise_mean(&self.loc_a),
            owta: pairwise_mean(&self.owta),
            hota_0: self.hota_0,
            loc_a_0: self.loc_a_0,
            hota_loc_a_0: self.hota_loc_a_0,
        }
    }
}

/// What both one sequence and a combination reduce to before TrackEval's
/// `_compute_final_fields`.
struct Totals {
    tp: [u64; ALPHAS],
    fn_: [u64; ALPHAS],
    fp: [u64; ALPHAS],
    ass_a: [f64; ALPHAS],
    ass_re: [f64; ALPHAS],
    ass_pr: [f64; ALPHAS],
    loc_a: [f64; ALPHAS],
}

/// TrackEval's `_compute_final_fields`: the scores that follow from the counts and `AssA`.
fn finish(t: Totals) -> Hota {
    let ratio = |num: [u64; ALPHAS], den: [u64; ALPHAS]| -> [f64; ALPHAS] {
        std::array::from_fn(|a| num[a] as f64 / (den[a] as f64).max(1.0))
    };
    let det_re = ratio(t.tp, std::array::from_fn(|a| t.tp[a] + t.fn_[a]));
    let det_pr = ratio(t.tp, std::array::from_fn(|a| t.tp[a] + t.fp[a]));
    let det_a = ratio(t.tp, std::array::from_fn(|a| t.tp[a] + t.fn_[a] + t.fp[a]));
    let hota: [f64; ALPHAS] = std::array::from_fn(|a| (det_a[a] * t.ass_a[a]).sqrt());
    let owta = std::array::from_fn(|a| (det_re[a] * t.ass_a[a]).sqrt());
    Hota {
        hota,
        det_a,
        ass_a: t.ass_a,
        det_re,
        det_pr,
        ass_re: t.ass_re,
        ass_pr: t.ass_pr,
        loc_a: t.loc_a,
        owta,
        true_positives: t.tp,
        false_negatives: t.fn_,
        false_positives: t.fp,
        hota_0: hota[0],
        loc_a_0: t.loc_a[0],
        hota_loc_a_0: hota[0] * t.loc_a[0],
    }
}

/// A ground-truth box and a hypothesis of one frame with a positive IoU.
#[derive(Clone, Copy, Debug)]
struct Cell {
    /// Row of the ground truth within its frame.
    i: u32,
    /// Row of the hypothesis within its frame.
    j: u32,
    /// The id pair, an index into the pair tables.
    pair: u32,
    /// Their IoU.
    sim: f64,
}

/// A frame that holds both ground truth and hypotheses: where its rows start in each sequence.
struct SharedFrame {
    gt_start: usize,
    gt_len: usize,
    hyp_start: usize,
    hyp_len: usize,
}

/// The frames present in both sequences. Frames with only one side add false negatives or false
/// positives and nothing else, which the totals account for.
fn shared_frames(gt: &Sequence, hyp: &Sequence) -> Vec<SharedFrame> {
    let mut shared = Vec::new();
    let (mut k, mut gt_start, mut hyp_start) = (0, 0, 0);
    for m in 0..hyp.len() {
        let h = hyp.frame(m);
        while k < gt.len() && gt.frame(k).frame < h.frame {
            gt_start += gt.frame(k).ids.len();
            k += 1;
        }
        if k < gt.len() && gt.frame(k).frame == h.frame {
            let g = gt.frame(k);
            shared.push(SharedFrame { gt_start, gt_len: g.ids.len(), hyp_start, hyp_len: h.ids.len() });
        }
        hyp_start += h.ids.len();
    }
    shared
}

/// Each row's id renumbered to its rank among the sequence's distinct ids (TrackEval's
/// preprocessing), and how many rows each renumbered id has.
fn renumber(seq: &Sequence) -> (Vec<u32>, Vec<f64>) {
    let all: Vec<i64> = (0..seq.len()).flat_map(|k| seq.frame(k).ids.iter().copied()).collect();
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let mut count = vec![0.0; distinct.len()];
    let ranks = all
        .iter()
        .map(|id| {
            let rank = distinct.partition_point(|d| d < id);
            count[rank] += 1.0;
            rank as u32
        })
        .collect();
    (ranks, count)
}

/// The boxes of `seq` as corners `[x, y, x + w, y + h]`, in frame order.
fn corners(seq: &Sequence, which: &'static str) -> Result<Vec<[f64; 4]>, TrackError> {
    let mut out = Vec::with_capacity(seq.rows());
    for k in 0..seq.len() {
        let frame = seq.frame(k);
        for (&id, b) in frame.ids.iter().zip(frame.boxes) {
            let c = [b[0], b[1], b[0] + b[2], b[1] + b[3]];
            for (field, value) in [("x + w", c[2]), ("y + h", c[3])] {
                if !value.is_finite() {
                    return Err(TrackError::NonFinite {
                        item: format!("{which}[frame {}, id {id}]", frame.frame),
                        field,
                        value,
                    });
                }
            }
            out.push(c);
        }
    }
    Ok(out)
}

/// A [`softkit_geom::GeomError`] as a [`TrackError`]. `corners` has already checked what
/// `Boxes::new` checks, so this only keeps a future change from becoming a panic.
fn geometry_error(which: &'static str, e: softkit_geom::GeomError) -> TrackError {
    TrackError::NonFinite {
        item: format!("{which}.boxes[{}]", e.index().unwrap_or(0)),
        field: "corners",
        value: f64::NAN,
    }
}

/// TrackEval's `_calculate_box_ious` for one pair: IoU, but `0` when either box or the union has
/// an area of at most `eps`.
#[inline]
fn similarity(gt: &Boxes<'_, f64>, i: usize, hyp: &Boxes<'_, f64>, j: usize) -> f64 {
    // Most pairs do not touch: the cheap test first.
    let inter = gt.intersection(i, hyp, j);
    if inter <= 0.0 {
        return 0.0;
    }
    let (a, b) = (gt.area(i), hyp.area(j));
    if a <= EPS || b <= EPS || a + b - inter <= EPS {
        return 0.0;
    }
    Iou.between(gt, i, hyp, j)
}

/// The overlapping id pairs, numbered in order of first overlap; for each ground-truth id its
/// pairs, sorted by hypothesis id.
struct PairTable {
    by_gt: Vec<Vec<(u32, u32)>>,
}

impl PairTable {
    fn new(gt_ids: usize) -> Self {
        Self { by_gt: vec![Vec::new(); gt_ids] }
    }

    /// The number of the pair `(g, h)`, from `fresh()` if it is new.
    fn get_or_insert(&mut self, g: u32, h: u32, fresh: impl FnOnce() -> u32) -> u32 {
        let list = &mut self.by_gt[g as usize];
        match list.binary_search_by_key(&h, |&(hh, _)| hh) {
            Ok(at) => list[at].1,
            Err(at) => {
                let p = fresh();
                list.insert(at, (h, p));
                p
            }
        }
    }
}

/// `np.add.reduce` over a contiguous float64 array of `len` values, given only its non-zero
/// `entries` as `(index, value)` sorted by index: numpy adds the pairwise sums of 8192-value blocks
/// left to right. The zeros never change a partial sum, but their positions decide the grouping.
fn numpy_sum<T>(len: u64, entries: &[T], at: impl Fn(&T) -> (u64, f64) + Copy) -> f64 {
    let mut total = 0.0;
    let mut rest = entries;
    while let Some(first) = rest.first() {
        // Blocks without entries add zero: skip to the block of the next entry.
        let start = at(first).0 / NUMPY_BUFFER * NUMPY_BUFFER;
        let n = NUMPY_BUFFER.min(len - start);
        let split = rest.partition_point(|e| at(e).0 < start + n);
        total += pairwise(start, n, &rest[..split], at);
        rest = &rest[split..];
    }
    total
}

/// numpy's `pairwise_sum` over the `n` values from index `lo`, of which `entries` are the
/// non-zero ones (see `softkit_geom::pairwise_sum` for the dense version).
fn pairwise<T>(lo: u64, n: u64, entries: &[T], at: impl Fn(&T) -> (u64, f64) + Copy) -> f64 {
    if entries.is_empty() {
        return 0.0;
    }
    if n < 8 {
        entries.iter().fold(0.0, |sum, e| sum + at(e).1)
    } else if n <= 128 {
        // Eight interleaved partial sums over the whole blocks of eight, then the remainder.
        let whole = lo + (n - n % 8);
        let mut r = [0.0_f64; 8];
        let mut rest = entries;
        while let Some((e, tail)) = rest.split_first() {
            let (index, value) = at(e);
            if index >= whole {
                break;
            }
            r[((index - lo) % 8) as usize] += value;
            rest = tail;
        }
        let mut sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for e in rest {
            sum += at(e).1;
        }
        sum
    } else {
        let mut half = n / 2;
        half -= half % 8;
        let split = entries.partition_point(|e| at(e).0 < lo + half);
        pairwise(lo, half, &entries[..split], at) + pairwise(lo + half, n - half, &entries[split..], at)
    }
}

#[cfg(test)]
mod tests {
    use softkit_geom::pairwise_sum;
    use softkit_sim::Rng;

    use super::*;

    fn seq(rows: &[(i64, i64, [f64; 4])]) -> Sequence {
        let frames: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let boxes: Vec<[f64; 4]> = rows.iter().map(|r| r.2).collect();
        Sequence::new(&frames, &ids, &boxes).unwrap()
    }

    /// Two objects walking across five frames.
    fn walkers() -> Sequence {
        let rows: Vec<(i64, i64, [f64; 4])> = (1..=5)
            .flat_map(|t| {
                let x = 10.0 * t as f64;
                [(t, 1, [x, 0.0, 20.0, 40.0]), (t, 2, [200.0 - x, 100.0, 20.0, 40.0])]
            })
            .collect();
        seq(&rows)
    }

    #[test]
    fn alphas_are_numpys_arange() {
        // numpy's arange fill: `start + i * (second - start)`.
        let delta = (0.05_f64 + 0.05) - 0.05;
        for (i, &alpha) in HOTA_ALPHAS.iter().enumerate() {
            assert_eq!(alpha, 0.05 + i as f64 * delta, "alpha {i}");
        }
    }

    #[test]
    fn perfect_tracking_scores_one() {
        let gt = walkers();
        let h = hota(&gt, &gt).unwrap();
        for a in 0..ALPHAS {
            assert_eq!((h.hota[a], h.det_a[a], h.ass_a[a], h.loc_a[a]), (1.0, 1.0, 1.0, 1.0));
            assert_eq!((h.det_re[a], h.det_pr[a], h.ass_re[a], h.ass_pr[a], h.owta[a]), (1.0, 1.0, 1.0, 1.0, 1.0));
            assert_eq!((h.true_positives[a], h.false_negatives[a], h.false_positives[a]), (10, 0, 0));
        }
        assert_eq!((h.hota_0, h.loc_a_0, h.hota_loc_a_0), (1.0, 1.0, 1.0));
        // Renamed ids change nothing.
        let renamed: Vec<_> = (1..=5)
            .flat_map(|t| {
                let f = gt.find(t).unwrap();
                [(t, 70, f.boxes[0]), (t, -3, f.boxes[1])]
            })
            .collect();
        assert_eq!(hota(&gt, &seq(&renamed)).unwrap(), h);
    }

    #[test]
    fn no_overlap_scores_zero() {
        let gt = walkers();
        let far: Vec<_> = (1..=5).map(|t| (t, 1, [1000.0, 1000.0, 5.0, 5.0])).collect();
        let h = hota(&gt, &seq(&far)).unwrap();
        for a in 0..ALPHAS {
            assert_eq!((h.hota[a], h.det_a[a], h.ass_a[a], h.owta[a]), (0.0, 0.0, 0.0, 0.0));
            assert_eq!((h.true_positives[a], h.false_negatives[a], h.false_positives[a]), (0, 10, 5));
            assert_eq!(h.loc_a[a], 1.0); // TrackEval's LocA without true positives
        }
        assert_eq!((h.hota_0, h.loc_a_0, h.hota_loc_a_0), (0.0, 1.0, 0.0));
    }

    #[test]
    fn empty_sides_count_misses_and_false_alarms() {
        let gt = walkers();
        let none = Sequence::default();
        let missed = hota(&gt, &none).unwrap();
        assert_eq!(missed.false_negatives, [10; ALPHAS]);
        assert_eq!(missed.loc_a, [1.0; ALPHAS]);
        assert_eq!(missed.hota, [0.0; ALPHAS]);
        let phantom = hota(&none, &gt).unwrap();
        assert_eq!(phantom.false_positives, [10; ALPHAS]);
        assert_eq!(phantom.det_pr, [0.0; ALPHAS]);
        let nothing = hota(&none, &none).unwrap();
        assert_eq!(nothing, Hota::combine(&[]));
        assert_eq!(nothing.loc_a_0, 1.0);
    }

    #[test]
    fn an_id_swap_halves_association() {
        let gt = walkers();
        // The tracker follows both objects but swaps their ids after frame 2.
        let rows: Vec<_> = (1..=5)
            .flat_map(|t| {
                let f = gt.find(t).unwrap();
                let (a, b) = if t <= 2 { (1, 2) } else { (2, 1) };
                [(t, a, f.boxes[0]), (t, b, f.boxes[1])]
            })
            .collect();
        let h = hota(&gt, &seq(&rows)).unwrap();
        assert_eq!(h.det_a[0], 1.0);
        // Each gt track: 3 frames with one id, 2 with the other; each pair scores TPA / (5 + 5 - TPA).
        let expected = (3.0 * 3.0 / 7.0 + 2.0 * 2.0 / 8.0) * 2.0 / 10.0;
        assert!((h.ass_a[0] - expected).abs() < 1e-15);
        assert!((h.ass_re[0] - (3.0 * 0.6 + 2.0 * 0.4) * 2.0 / 10.0).abs() < 1e-15);
    }

    #[test]
    fn overflowing_corner_is_named() {
        let gt = seq(&[(4, 9, [f64::MAX, 0.0, f64::MAX, 1.0])]);
        let err = hota(&gt, &gt).unwrap_err();
        assert_eq!(err.to_string(), "gt[frame 4, id 9].x + w = inf is not finite");
    }

    #[test]
    fn degenerate_boxes_match_nothing() {
        // A zero-width ground truth inside a hypothesis: TrackEval's IoU is 0, not NaN.
        let gt = seq(&[(1, 1, [5.0, 5.0, 0.0, 10.0])]);
        let hyp = seq(&[(1, 1, [0.0, 0.0, 20.0, 20.0])]);
        let h = hota(&gt, &hyp).unwrap();
        assert_eq!((h.true_positives[0], h.false_negatives[0], h.false_positives[0]), (0, 1, 1));
    }

    #[test]
    fn combining_one_sequence_changes_nothing() {
        let gt = walkers();
        let shifted: Vec<_> = (1..=5)
            .flat_map(|t| {
                let f = gt.find(t).unwrap();
                [(t, 1, [f.boxes[0][0] + 3.0, 0.0, 20.0, 40.0]), (t, 2, f.boxes[1])]
            })
            .collect();
        let h = hota(&gt, &seq(&shifted)).unwrap();
        let combined = Hota::combine(std::slice::from_ref(&h));
        assert_eq!(combined.true_positives, h.true_positives);
        for a in 0..ALPHAS {
            assert!((combined.hota[a] - h.hota[a]).abs() < 1e-15);
            assert!((combined.loc_a[a] - h.loc_a[a]).abs() < 1e-15);
        }
    }

    #[test]
    fn sparse_sum_is_numpys_dense_sum() {
        // The dense reference: pairwise sums of 8192-value blocks, added left to right.
        fn dense(values: &[f64]) -> f64 {
            values.chunks(NUMPY_BUFFER as usize).fold(0.0, |total, block| total + pairwise_sum(block))
        }
        let mut rng = Rng::new(11);
        for trial in 0..400 {
            let len = if trial % 4 == 0 { 1 + rng.below(40_000) } else { 1 + rng.below(300) };
            let density = rng.unit();
            let values: Vec<f64> =
                (0..len).map(|_| if rng.unit() < density { rng.unit() * 10.0 } else { 0.0 }).collect();
            let entries: Vec<(u64, f64)> =
                values.iter().enumerate().filter(|(_, v)| **v != 0.0).map(|(i, &v)| (i as u64, v)).collect();
            assert_eq!(numpy_sum(len as u64, &entries, |&e| e), dense(&values), "trial {trial}, {len} values");
        }
    }
}
