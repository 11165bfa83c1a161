//! Fusion policies: merging what suppression would drop. Weighted boxes fusion (WBF) and
//! non-maximum weighted (NMW) over the outputs of several models, in ensemble-boxes' semantics.

use std::str::FromStr;

use rayon::prelude::*;
use softkit_geom::Fusable;
use thiserror::Error;

/// Labels with more items than this in total run in parallel.
const PARALLEL_MIN_ITEMS: usize = 4096;

/// How WBF scores a fused cluster (ensemble-boxes' `conf_type`). With `s` the weighted scores
/// of a cluster's `n` members, `w` their models' weights, `W` the sum of all `M` models'
/// weights:
///
/// | confidence | fused score |
/// |---|---|
/// | `Avg` | `mean(s) · min(M, n) / W` (`mean(s) · n / W` when overflow is allowed) |
/// | `Max` | `max(s) / max(weights)` |
/// | `BoxAndModelAvg` | `mean(s) · n / sum(w) · (weights of the distinct models in the cluster) / W` |
/// | `AbsentModelAwareAvg` | `mean(s) · n / (sum(w) + weights of the models absent from the cluster)` |
///
/// # Examples
///
/// ```
/// use softkit_nms::Confidence;
///
/// assert_eq!("box_and_model_avg".parse::<Confidence>(), Ok(Confidence::BoxAndModelAvg));
/// assert!("mean".parse::<Confidence>().unwrap_err().contains("\"mean\""));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Confidence {
    /// The mean score, scaled by how many models could have contributed.
    #[default]
    Avg,
    /// The highest score.
    Max,
    /// Box-wise and model-wise weighted average.
    BoxAndModelAvg,
    /// The average that counts absent models' weights.
    AbsentModelAwareAvg,
}

impl FromStr for Confidence {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "avg" => Ok(Confidence::Avg),
            "max" => Ok(Confidence::Max),
            "box_and_model_avg" => Ok(Confidence::BoxAndModelAvg),
            "absent_model_aware_avg" => Ok(Confidence::AbsentModelAwareAvg),
            other => Err(format!(
                "conf_type = {other:?} is invalid: expected \"avg\", \"max\", \"box_and_model_avg\" or \"absent_model_aware_avg\""
            )),
        }
    }
}

/// Which fusion to run.
///
/// Both walk each label's items by non-increasing weighted score and put each item in the
/// cluster it overlaps most (IoU above the threshold; ties to the earlier cluster), or start a
/// cluster with it.
///
/// | method | an item is matched against | fused item | fused score |
/// |---|---|---|---|
/// | `Wbf` | the cluster's running fused item | members averaged, weighted by score | by [`Confidence`] |
/// | `Nmw` | the cluster's first (best) item | members averaged, weighted by score × IoU with the best | the best item's |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FusionMethod {
    /// Weighted boxes fusion (Solovyev et al. 2021).
    Wbf {
        /// How the fused score is computed.
        confidence: Confidence,
        /// Whether `Avg` may exceed the best model's scale (ensemble-boxes' `allows_overflow`).
        allows_overflow: bool,
    },
    /// Non-maximum weighted (Zhou et al. 2017); model weights are divided by their maximum.
    Nmw,
}

/// The parameters of a fusion, with ensemble-boxes' defaults.
///
/// # Examples
///
/// ```
/// use softkit_nms::{FusionMethod, FusionParams};
///
/// let params = FusionParams::wbf().with_iou_threshold(0.6).with_weights(vec![2.0, 1.0]);
/// assert_eq!(params.iou_threshold, 0.6);
/// assert_eq!(FusionParams::nmw().method, FusionMethod::Nmw);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FusionParams {
    /// WBF or NMW.
    pub method: FusionMethod,
    /// IoU above which an item joins a cluster (ensemble-boxes' `iou_thr`, default 0.55).
    pub iou_threshold: f64,
    /// Items scoring below this are skipped, before weighting (`skip_box_thr`, default 0).
    pub skip_threshold: f64,
    /// One weight per model; `None` weighs every model 1.
    pub weights: Option<Vec<f64>>,
}

impl FusionParams {
    /// WBF with `conf_type="avg"`, IoU threshold 0.55, no skipping, equal weights.
    pub fn wbf() -> Self {
        Self::new(FusionMethod::Wbf { confidence: Confidence::Avg, allows_overflow: false })
    }

    /// NMW with IoU threshold 0.55, no skipping, equal weights.
    pub fn nmw() -> Self {
        Self::new(FusionMethod::Nmw)
    }

    /// `method` with the defaults.
    pub fn new(method: FusionMethod) -> Self {
        Self { method, iou_threshold: 0.55, skip_threshold: 0.0, weights: None }
    }

    /// Sets the IoU threshold.
    pub fn with_iou_threshold(mut self, iou_threshold: f64) -> Self {
        self.iou_threshold = iou_threshold;
        self
    }

    /// Sets the score below which items are skipped.
    pub fn with_skip_threshold(mut self, skip_threshold: f64) -> Self {
        self.skip_threshold = skip_threshold;
        self
    }

    /// Sets one weight per model.
    pub fn with_weights(mut self, weights: Vec<f64>) -> Self {
        self.weights = Some(weights);
        self
    }
}

/// One model's detections: parallel items, scores and labels.
#[derive(Clone, Copy, Debug)]
pub struct ModelDetections<'a, G> {
    /// The items (`[x1, y1, x2, y2]` boxes, `[start, end]` segments).
    pub items: &'a [G],
    /// One score per item.
    pub scores: &'a [f64],
    /// One label per item; only items of one label fuse.
    pub labels: &'a [i64],
}

/// Where a fused item's member came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// The model's position in the input.
    pub model: usize,
    /// The item's position in that model's detections.
    pub index: usize,
}

/// The outcome of a fusion, by non-increasing fused score (ties to the cluster whose first
/// member comes first in the input).
#[derive(Clone, Debug, PartialEq)]
pub struct Fused<G> {
    /// The fused items.
    pub items: Vec<G>,
    /// Their scores.
    pub scores: Vec<f64>,
    /// Their labels.
    pub labels: Vec<i64>,
    /// The members of every fused item, item after item (see [`Fused::sources`]).
    pub members: Vec<Source>,
    /// Where each item's members start in `members`, and, last, where they all end.
    pub member_offsets: Vec<usize>,
}

impl<G> Fused<G> {
    /// How many fused items there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing was fused (no input, or every item skipped).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The members of fused item `k`, by non-increasing weighted score (the first is the best).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_nms::{FusionParams, ModelDetections, Source, fuse};
    ///
    /// let a = ModelDetections { items: &[[0.1, 0.1, 0.5, 0.5]], scores: &[0.6], labels: &[0] };
    /// let b = ModelDetections { items: &[[0.1, 0.1, 0.5, 0.52]], scores: &[0.9], labels: &[0] };
    /// let fused = fuse(&[a, b], &FusionParams::wbf())?;
    /// assert_eq!(fused.sources(0), &[Source { model: 1, index: 0 }, Source { model: 0, index: 0 }]);
    /// # Ok::<(), softkit_nms::FusionError>(())
    /// ```
    pub fn sources(&self, k: usize) -> &[Source] {
        &self.members[self.member_offsets[k]..self.member_offsets[k + 1]]
    }
}

/// What can go wrong in a fusion. Models and items are named by position, in the words of
/// ensemble-boxes' arguments (`boxes_list[1][17]`).
///
/// # Examples
///
/// ```
/// use softkit_nms::{FusionParams, ModelDetections, fuse};
///
/// let model = ModelDetections { items: &[[0.5, 0.1, 0.4, 0.2]], scores: &[0.9], labels: &[0] };
/// let err = fuse(&[model], &FusionParams::wbf()).unwrap_err();
/// assert_eq!(err.to_string(), "boxes_list[0][0] has x2 = 0.4 < x1 = 0.5");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FusionError {
    /// A coordinate is NaN or infinite.
    #[error("boxes_list[{model}][{index}] {name} = {value} is not finite")]
    NonFiniteCoordinate {
        /// The model.
        model: usize,
        /// The item.
        index: usize,
        /// The coordinate's name.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// An item's high coordinate lies below its low one.
    #[error("boxes_list[{model}][{index}] has {high} = {high_value} < {low} = {low_value}")]
    Inverted {
        /// The model.
        model: usize,
        /// The item.
        index: usize,
        /// The low coordinate's name.
        low: &'static str,
        /// Its value.
        low_value: f64,
        /// The high coordinate's name.
        high: &'static str,
        /// Its value.
        high_value: f64,
    },
    /// A size (of a 3-D box) is negative.
    #[error("boxes_list[{model}][{index}] {name} = {value} is negative: expected a size >= 0")]
    NegativeSize {
        /// The model.
        model: usize,
        /// The item.
        index: usize,
        /// The size's name.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A score is NaN, infinite or negative.
    #[error("scores_list[{model}][{index}] = {value} is invalid: expected a finite score >= 0")]
    Score {
        /// The model.
        model: usize,
        /// The item.
        index: usize,
        /// The score.
        value: f64,
    },
    /// A model's scores or labels do not match its items.
    #[error("{field}[{model}] has {found} entries but boxes_list[{model}] has {expected}")]
    LengthMismatch {
        /// `scores_list` or `labels_list`.
        field: &'static str,
        /// The model.
        model: usize,
        /// The length found.
        found: usize,
        /// The number of items.
        expected: usize,
    },
    /// The weights do not match the models.
    #[error("weights has {found} entries but there are {expected} models")]
    WeightCount {
        /// Weights given.
        found: usize,
        /// Models given.
        expected: usize,
    },
    /// A weight is NaN, infinite or negative, or all are 0.
    #[error("weights[{index}] = {value} is invalid: expected finite weights >= 0, not all 0")]
    Weight {
        /// The weight.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A parameter is outside its domain.
    #[error("{name} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
    /// More items than fusion indexes.
    #[error("{found} items exceed the limit of {limit} per call")]
    TooManyItems {
        /// Items given.
        found: usize,
        /// The limit.
        limit: usize,
    },
}

/// Fuses the detections of several models: WBF or NMW per label, exactly as ensemble-boxes 1.0.9
/// computes them, in float64 throughout.
///
/// Items scoring below `skip_threshold` and items of size 0 are left out, as ensemble-boxes does.
/// Unlike it, softkit does not repair input: NaN, an inverted item, a negative score or a wrong
/// number of weights is an error, where ensemble-boxes swaps, clips, or resets the weights with
/// a printed warning. Coordinates are not required to lie in `[0, 1]`; the Python drop-in
/// `softkit.weighted_boxes_fusion` requires it, as ensemble-boxes expects.
///
/// Items with equal weighted scores are visited in input order (model, then index). A cluster
/// whose scores are all 0 averages its members equally (ensemble-boxes divides by 0 there).
///
/// # Cross-modal fusion
///
/// Paired sensors (DroneVehicle's RGB and infrared cameras) are two models whose weights come from
/// the caller, for example from an illumination estimate: fuse with
/// `FusionParams::wbf().with_weights(vec![w_rgb, w_ir])`, then suppress the fused items with
/// [`suppress_batched`](crate::suppress_batched) over their labels to remove what the clusters
/// left overlapping. 3-D boxes (`[f64; 7]`) fuse LiDAR and camera detections the same way.
///
/// # Runtime and Performance
///
/// Each label's clusters are indexed by the centre of their running fused item in a uniform grid,
/// so an item is compared only with clusters whose centre lies within its reach at the IoU
/// threshold ([`Fusable::reach`]), not with every cluster as ensemble-boxes does. Labels run in
/// parallel for large inputs; the result is the same for any thread count.
///
/// # Errors
///
/// [`FusionError`] for the bad input above, an IoU threshold outside `[0, 1]`, or a non-finite
/// skip threshold.
///
/// # Examples
///
/// ```
/// use softkit_nms::{FusionParams, ModelDetections, fuse};
///
/// // Two models see the same object; the second also sees another.
/// let a = ModelDetections { items: &[[0.10, 0.10, 0.50, 0.50]], scores: &[0.9], labels: &[0] };
/// let b = ModelDetections { items: &[[0.12, 0.10, 0.52, 0.50], [0.7, 0.7, 0.9, 0.9]], scores: &[0.6, 0.8], labels: &[0, 0] };
/// let fused = fuse(&[a, b], &FusionParams::wbf())?;
/// assert_eq!(fused.items.len(), 2);
/// assert!((fused.items[0][0] - (0.9 * 0.10 + 0.6 * 0.12) / 1.5).abs() < 1e-12);
/// assert!((fused.scores[0] - 0.75).abs() < 1e-12); // mean score, both models present
/// assert!((fused.scores[1] - 0.4).abs() < 1e-12); // one model of two
/// # Ok::<(), softkit_nms::FusionError>(())
/// ```
pub fn fuse<G: Fusable>(models: &[ModelDetections<'_, G>], params: &FusionParams) -> Result<Fused<G>, FusionError> {
    let weights = check(models, params)?;
    let max = weights.iter().copied().fold(0.0, f64::max);
    let scale = match params.method {
        FusionMethod::Nmw => max,
        FusionMethod::Wbf { .. } => 1.0,
    };
    // Sort keys: by label, then by non-increasing weighted score, ties in input order (model, then
    // index). The entries are then built once, in that order: sorting small keys moves far less.
    let offsets: Vec<usize> = models.iter().scan(0, |at, m| Some(std::mem::replace(at, *at + m.items.len()))).collect();
    let mut order: Vec<(i64, u64, u32)> = Vec::new();
    for (m, model) in models.iter().enumerate() {
        let weight = weights[m] / scale;
        for (k, ((item, &score), &label)) in model.items.iter().zip(model.scores).zip(model.labels).enumerate() {
            if score >= params.skip_threshold && item.size() != 0.0 {
                order.push((label, descending(score * weight), (offsets[m] + k) as u32));
            }
        }
    }
    order.sort_unstable();
    let entries: Vec<Entry<G>> = order
        .iter()
        .map(|&(label, _, at)| {
            let m = offsets.partition_point(|&o| o <= at as usize) - 1;
            let (model, k) = (&models[m], at as usize - offsets[m]);
            let weight = weights[m] / scale;
            Entry { score: model.scores[k] * weight, weight, label, source: [m as u32, k as u32], item: model.items[k] }
        })
        .collect();
    // Each label's entries, with its share of the member lists' links.
    let mut next_member = vec![NONE; entries.len()];
    let mut labels: Vec<(&[Entry<G>], &mut [u32])> = Vec::new();
    let mut links = next_member.as_mut_slice();
    for group in entries.chunk_by(|a, b| a.label == b.label) {
        let (mine, rest) = links.split_at_mut(group.len());
        labels.push((group, mine));
        links = rest;
    }
    let totals = Totals { weights: &weights, sum: weights.iter().sum(), max };
    let parallel = entries.len() >= PARALLEL_MIN_ITEMS && labels.len() > 1;
    let per_label: Vec<Vec<Out<G>>> = if parallel {
        labels.into_par_iter().map(|(group, links)| fuse_label(group, links, params, &totals)).collect()
    } else {
        labels.into_iter().map(|(group, links)| fuse_label(group, links, params, &totals)).collect()
    };
    // Gathered at their final size: `flat_map` cannot tell it, and regrowing moved every cluster.
    let mut clusters: Vec<Out<G>> = Vec::with_capacity(per_label.iter().map(Vec::len).sum());
    per_label.into_iter().for_each(|label| clusters.extend(label));
    let mut order: Vec<(u64, [u32; 2], u32)> =
        clusters.iter().zip(0..).map(|(c, k)| (descending(c.score), c.first, k)).collect();
    order.sort_unstable();
    let n = clusters.len();
    let mut fused = Fused {
        items: Vec::with_capacity(n),
        scores: Vec::with_capacity(n),
        labels: Vec::with_capacity(n),
        members: Vec::with_capacity(entries.len()),
        member_offsets: Vec::with_capacity(n + 1),
    };
    for &(_, _, k) in &order {
        let out = &clusters[k as usize];
        fused.items.push(out.item);
        fused.scores.push(out.score);
        fused.labels.push(out.label);
        fused.member_offsets.push(fused.members.len());
        fused.members.extend(out.members.map(|e| Source { model: e.source[0] as usize, index: e.source[1] as usize }));
    }
    fused.member_offsets.push(fused.members.len());
    Ok(fused)
}

/// A key that sorts non-negative finite numbers in decreasing order (`+ 0.0` makes -0.0 a plain 0,
/// which sorts with its equals).
#[inline]
fn descending(x: f64) -> u64 {
    u64::MAX - (x + 0.0).to_bits()
}

/// One input item, weighted.
#[derive(Clone, Copy)]
struct Entry<G> {
    /// Score times the model's weight.
    score: f64,
    weight: f64,
    label: i64,
    /// `[model, index]`.
    source: [u32; 2],
    item: G,
}

/// The model weights the scores need.
struct Totals<'a> {
    weights: &'a [f64],
    sum: f64,
    max: f64,
}

/// A fused cluster, ready to sort.
struct Out<'a, G> {
    item: G,
    score: f64,
    label: i64,
    /// The first member's source: the tie-break between equal scores.
    first: [u32; 2],
    members: Members<'a, G>,
}

/// A cluster being built. Its members form a list through [`Links::next_member`].
struct Cluster<G> {
    /// What items are matched against: the running fused item (WBF) or the first item (NMW).
    anchor: G,
    /// Sum of score × coordinates, and of scores.
    weighted: G,
    conf: f64,
    count: u32,
    /// Positions of the first and last members in the label's entries.
    first: u32,
    last: u32,
}

/// No entry, cluster or cell.
const NONE: u32 = u32::MAX;

/// A cluster's members, in the order they joined (non-increasing weighted score).
struct Members<'a, G> {
    entries: &'a [Entry<G>],
    next_member: &'a [u32],
    at: u32,
}

// By hand: the derives would ask `G: Copy`, and only references are copied.
impl<G> Clone for Members<'_, G> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<G> Copy for Members<'_, G> {}

impl<'a, G> Iterator for Members<'a, G> {
    type Item = &'a Entry<G>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at as usize;
        let entry = self.entries.get(at)?;
        self.at = self.next_member[at];
        Some(entry)
    }
}

/// Checks the models and parameters; returns the weights.
fn check<G: Fusable>(models: &[ModelDetections<'_, G>], params: &FusionParams) -> Result<Vec<f64>, FusionError> {
    let t = params.iou_threshold;
    if !(0.0..=1.0).contains(&t) {
        return Err(FusionError::InvalidParameter {
            name: "iou_thr",
            value: t,
            expected: "expected a number in [0, 1]",
        });
    }
    if !params.skip_threshold.is_finite() {
        let value = params.skip_threshold;
        return Err(FusionError::InvalidParameter {
            name: "skip_box_thr",
            value,
            expected: "expected a finite number",
        });
    }
    let weights = params.weights.clone().unwrap_or_else(|| vec![1.0; models.len()]);
    if weights.len() != models.len() {
        return Err(FusionError::WeightCount { found: weights.len(), expected: models.len() });
    }
    if let Some(index) = weights.iter().position(|w| !(w.is_finite() && *w >= 0.0)) {
        return Err(FusionError::Weight { index, value: weights[index] });
    }
    if !weights.is_empty() && weights.iter().all(|&w| w == 0.0) {
        return Err(FusionError::Weight { index: 0, value: 0.0 });
    }
    let mut total = 0usize;
    for (model, m) in models.iter().enumerate() {
        let expected = m.items.len();
        for (field, found) in [("scores_list", m.scores.len()), ("labels_list", m.labels.len())] {
            if found != expected {
                return Err(FusionError::LengthMismatch { field, model, found, expected });
            }
        }
        for (index, (item, &score)) in m.items.iter().zip(m.scores).enumerate() {
            check_item(item, model, index)?;
            if !(score.is_finite() && score >= 0.0) {
                return Err(FusionError::Score { model, index, value: score });
            }
        }
        total += expected;
    }
    if total > u32::MAX as usize {
        return Err(FusionError::TooManyItems { found: total, limit: u32::MAX as usize });
    }
    Ok(weights)
}

pub(crate) fn check_item<G: Fusable>(item: &G, model: usize, index: usize) -> Result<(), FusionError> {
    let c = item.coords();
    if let Some(k) = c.iter().position(|v| !v.is_finite()) {
        return Err(FusionError::NonFiniteCoordinate { model, index, name: G::NAMES[k], value: c[k] });
    }
    for &(lo, hi) in G::ORDERED {
        if c[hi] < c[lo] {
            let (low, high) = (G::NAMES[lo], G::NAMES[hi]);
            return Err(FusionError::Inverted { model, index, low, low_value: c[lo], high, high_value: c[hi] });
        }
    }
    if let Some(&k) = G::SIZES.iter().find(|&&k| c[k] < 0.0) {
        return Err(FusionError::NegativeSize { model, index, name: G::NAMES[k], value: c[k] });
    }
    Ok(())
}

/// Fuses one label's entries (sorted by non-increasing score). `next_member` is this label's
/// share of the member lists' links, one per entry.
fn fuse_label<'a, G: Fusable>(
    entries: &'a [Entry<G>],
    next_member: &'a mut [u32],
    params: &FusionParams,
    totals: &Totals<'_>,
) -> Vec<Out<'a, G>> {
    let threshold = params.iou_threshold;
    let mut grid = CentreGrid::new(entries.iter().map(|e| e.item.centre()), G::AXES);
    let mut clusters: Vec<Cluster<G>> = Vec::new();
    let wbf = matches!(params.method, FusionMethod::Wbf { .. });
    for (position, entry) in entries.iter().enumerate() {
        let position = position as u32;
        let best = if threshold < 1.0 { best_match(&grid, &clusters, &entry.item, threshold) } else { None };
        let Some(c) = best else {
            grid.insert(clusters.len() as u32, entry.item.centre());
            let weighted = scaled(&entry.item, entry.score);
            clusters.push(Cluster {
                anchor: entry.item,
                weighted,
                conf: entry.score,
                count: 1,
                first: position,
                last: position,
            });
            continue;
        };
        let cluster = &mut clusters[c];
        next_member[cluster.last as usize] = position;
        cluster.last = position;
        cluster.count += 1;
        for (sum, &v) in cluster.weighted.coords_mut().iter_mut().zip(entry.item.coords()) {
            *sum += entry.score * v;
        }
        cluster.conf += entry.score;
        if wbf {
            let mean = if cluster.conf > 0.0 {
                let mut mean = cluster.weighted;
                mean.coords_mut().iter_mut().for_each(|v| *v /= cluster.conf);
                mean
            } else {
                let members = Members { entries, next_member: &*next_member, at: cluster.first };
                weighted_mean(members.map(|e| (1.0, &e.item)))
            };
            // The anchor already holds the best member's unaveraged coordinates (a 3-D heading).
            cluster.anchor = with_unaveraged_of(mean, &cluster.anchor);
            grid.relocate(c as u32, cluster.anchor.centre());
        }
    }
    let label = entries.first().map_or(0, |e| e.label);
    let next_member: &'a [u32] = next_member;
    clusters
        .into_iter()
        .map(|cluster| {
            let members = Members { entries, next_member, at: cluster.first };
            let best = &entries[cluster.first as usize];
            let (item, score) = match params.method {
                FusionMethod::Wbf { confidence, allows_overflow } => {
                    let score = wbf_score(members, cluster.count, cluster.conf, confidence, allows_overflow, totals);
                    (cluster.anchor, score)
                }
                FusionMethod::Nmw => (nmw_item(members), best.score),
            };
            Out { item, score, label, first: best.source, members }
        })
        .collect()
}

/// The cluster with the highest IoU above `threshold` with `item` (ties to the lower index).
fn best_match<G: Fusable>(grid: &CentreGrid, clusters: &[Cluster<G>], item: &G, threshold: f64) -> Option<usize> {
    let mut best: Option<(f64, u32)> = None;
    grid.visit(item.centre(), item.reach(threshold), |c| {
        let iou = clusters[c as usize].anchor.iou(item);
        let better = match best {
            None => iou > threshold,
            Some((b, k)) => iou > b || (iou == b && c < k),
        };
        if better {
            best = Some((iou, c));
        }
    });
    best.map(|(_, c)| c as usize)
}

/// `item` with every coordinate times `w`.
fn scaled<G: Fusable>(item: &G, w: f64) -> G {
    let mut out = *item;
    out.coords_mut().iter_mut().for_each(|v| *v *= w);
    out
}

/// `sum(w x) / sum(w)` per coordinate, or the plain mean when the weights sum to 0 (a cluster
/// whose scores are all 0).
pub(crate) fn weighted_mean<'a, G: Fusable>(members: impl Iterator<Item = (f64, &'a G)> + Clone) -> G {
    let total: f64 = members.clone().map(|(w, _)| w).sum();
    let (mut out, equal) = (G::zero(), total <= 0.0);
    let mut count = 0.0;
    for (w, item) in members {
        let w = if equal { 1.0 } else { w };
        for (sum, &v) in out.coords_mut().iter_mut().zip(item.coords()) {
            *sum += w * v;
        }
        count += w;
    }
    out.coords_mut().iter_mut().for_each(|v| *v /= count);
    out
}

/// `mean` with the coordinates that fusion does not average ([`Fusable::AVERAGED`]) taken from
/// `best`.
pub(crate) fn with_unaveraged_of<G: Fusable>(mut mean: G, best: &G) -> G {
    mean.coords_mut()[G::AVERAGED..].copy_from_slice(&best.coords()[G::AVERAGED..]);
    mean
}

/// NMW's fused item: members averaged by score × IoU with the first (best) member.
fn nmw_item<G: Fusable>(members: Members<'_, G>) -> G {
    let best = members.clone().next().map_or_else(G::zero, |e| e.item);
    with_unaveraged_of(weighted_mean(members.map(move |e| (e.score * e.item.iou(&best), &e.item))), &best)
}

/// A WBF cluster's score by `confidence`.
fn wbf_score<G>(
    members: Members<'_, G>,
    count: u32,
    conf: f64,
    confidence: Confidence,
    allows_overflow: bool,
    totals: &Totals<'_>,
) -> f64 {
    let n = f64::from(count);
    let mean = conf / n;
    let cluster_weight = || members.map(|e| e.weight).sum::<f64>();
    // The summed weights of the models present in the cluster (`true`) or absent from it.
    let models = |present: bool| {
        let mut seen = vec![false; totals.weights.len()];
        members.for_each(|e| seen[e.source[0] as usize] = true);
        seen.iter().zip(totals.weights).filter(|(s, _)| **s == present).map(|(_, w)| w).sum::<f64>()
    };
    match confidence {
        Confidence::Avg if allows_overflow => mean * n / totals.sum,
        Confidence::Avg => mean * n.min(totals.weights.len() as f64) / totals.sum,
        Confidence::Max => members.map(|e| e.score).fold(f64::NEG_INFINITY, f64::max) / totals.max,
        Confidence::BoxAndModelAvg => {
            // Members all from models of weight 0 score 0 (ensemble-boxes divides 0 by 0).
            let weight = cluster_weight();
            if weight > 0.0 { mean * n / weight * models(true) / totals.sum } else { 0.0 }
        }
        Confidence::AbsentModelAwareAvg => mean * n / (cluster_weight() + models(false)),
    }
}

/// A uniform grid over cluster centres, on one or two axes, sized to the label's items. Each
/// cell holds a doubly linked list of clusters, so a cluster moves without allocating.
struct CentreGrid {
    origin: [f64; 2],
    /// Cells per unit length, per axis.
    scale: [f64; 2],
    dims: [usize; 2],
    /// The first cluster of each cell.
    head: Vec<u32>,
    /// Per cluster: its cell, and its neighbours in that cell's list.
    cell: Vec<u32>,
    prev: Vec<u32>,
    next: Vec<u32>,
}

impl CentreGrid {
    /// A grid over the range of `centres` with about one cell per item.
    fn new(centres: impl Iterator<Item = [f64; 2]>, axes: usize) -> Self {
        let (mut lo, mut hi, mut n) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2], 0usize);
        for c in centres {
            for a in 0..2 {
                lo[a] = lo[a].min(c[a]);
                hi[a] = hi[a].max(c[a]);
            }
            n += 1;
        }
        let side = if axes == 1 { n.clamp(1, 1 << 16) } else { (n as f64).sqrt().ceil().clamp(1.0, 1024.0) as usize };
        let mut grid = Self {
            origin: [0.0; 2],
            scale: [0.0; 2],
            dims: [1, 1],
            head: Vec::new(),
            cell: Vec::with_capacity(n),
            prev: Vec::with_capacity(n),
            next: Vec::with_capacity(n),
        };
        for a in 0..axes {
            let span = hi[a] - lo[a];
            if span > 0.0 && span.is_finite() {
                grid.origin[a] = lo[a];
                grid.dims[a] = side;
                grid.scale[a] = side as f64 / span;
            }
        }
        grid.head = vec![NONE; grid.dims[0] * grid.dims[1]];
        grid
    }

    /// The cell coordinate of `v` along axis `a`, clamped to the grid.
    #[inline]
    fn coordinate(&self, a: usize, v: f64) -> usize {
        let k = (v - self.origin[a]) * self.scale[a];
        if k.is_nan() || k <= 0.0 { 0 } else { (k as usize).min(self.dims[a] - 1) }
    }

    #[inline]
    fn cell_of(&self, centre: [f64; 2]) -> u32 {
        (self.coordinate(1, centre[1]) * self.dims[0] + self.coordinate(0, centre[0])) as u32
    }

    /// Files the next cluster (`id` is how many were filed before it) under `centre`.
    fn insert(&mut self, id: u32, centre: [f64; 2]) {
        let cell = self.cell_of(centre);
        self.cell.push(cell);
        self.prev.push(NONE);
        self.next.push(NONE);
        self.link(id, cell);
    }

    /// Files cluster `id` under its new centre.
    fn relocate(&mut self, id: u32, centre: [f64; 2]) {
        let cell = self.cell_of(centre);
        if cell != self.cell[id as usize] {
            self.unlink(id);
            self.cell[id as usize] = cell;
            self.link(id, cell);
        }
    }

    fn link(&mut self, id: u32, cell: u32) {
        let head = self.head[cell as usize];
        self.next[id as usize] = head;
        self.prev[id as usize] = NONE;
        if head != NONE {
            self.prev[head as usize] = id;
        }
        self.head[cell as usize] = id;
    }

    fn unlink(&mut self, id: u32) {
        let (prev, next) = (self.prev[id as usize], self.next[id as usize]);
        if prev == NONE {
            self.head[self.cell[id as usize] as usize] = next;
        } else {
            self.next[prev as usize] = next;
        }
        if next != NONE {
            self.prev[next as usize] = prev;
        }
    }

    /// Calls `f` with every cluster filed within `reach` of `centre` (and possibly a few more).
    fn visit(&self, centre: [f64; 2], reach: [f64; 2], mut f: impl FnMut(u32)) {
        let range = |a: usize| self.coordinate(a, centre[a] - reach[a])..=self.coordinate(a, centre[a] + reach[a]);
        for y in range(1) {
            for x in range(0) {
                let mut id = self.head[y * self.dims[0] + x];
                while id != NONE {
                    f(id);
                    id = self.next[id as usize];
                }
            }
        }
    }
}
