//! Scopes: one set, one independent set per label, or one per image and label, run in parallel and
//! merged deterministically.

use rayon::prelude::*;
use softkit_geom::{Coord, Envelope, Overlap};

use crate::grid::{AllItems, Grid};
use crate::{NmsError, Policy, SuppressParams, hard, merge, parallel, soft, sweep};

/// Scopes smaller than this in total run on the calling thread: spawning costs more than it saves.
const PARALLEL_MIN_ITEMS: usize = 4096;
/// Up to this many items, hard NMS tests every pair instead of building a grid (a detector's
/// class-wise scopes are mostly this small; measured in `softkit-decode`'s `decode` bench).
const SMALL_SCOPE: usize = 48;

/// The outcome of a suppression: selected items in selection order, with their final scores.
///
/// For Soft-NMS the scores are the *decayed* scores at the moment of selection (the paper's
/// output), not the input scores. For hard NMS they equal the input scores. Selection order is
/// also non-increasing score order.
///
/// # Examples
///
/// ```
/// use softkit_nms::{nms, soft_nms, SuppressParams};
///
/// let boxes = [[0.0_f64, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.1]];
/// let kept = soft_nms(&boxes, &[0.9_f64, 0.9], &SuppressParams::linear(0.3))?;
/// assert_eq!(kept.indices[0], 0); // equal scores: the lower index wins
/// assert!(kept.scores[1] < 0.1);
/// # Ok::<(), softkit_nms::NmsError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kept {
    /// Indices into the input, in selection order.
    pub indices: Vec<usize>,
    /// The score of each selected item when it was selected.
    pub scores: Vec<f64>,
}

impl Kept {
    fn from_pairs(pairs: Vec<(u32, f64)>) -> Self {
        let (indices, scores) = pairs.into_iter().map(|(i, s)| (i as usize, s)).unzip();
        Self { indices, scores }
    }
}

/// Suppresses over the whole set: the greedy algorithm of `params.policy`, exactly.
///
/// # Runtime and Performance
///
/// Items are bucketed into a uniform grid over their reach ([`Overlap::reach`] at the policy's
/// threshold, below which it changes nothing), so a selected item visits only its neighbours;
/// items with no reach are compared with every other item. Items on a line (time segments) skip
/// the grid: sorted by start, they find their neighbours by scanning, and Soft-NMS solves each
/// run of touching items on its own. Hard NMS sorts once; Soft-NMS keeps a lazy max-heap in which
/// an item is re-pushed only when a neighbour's selection decays it. A sparse scene costs about a
/// sort.
///
/// # Errors
///
/// [`NmsError`] if `scores` does not match the set's length, a score is not finite, or a
/// parameter is out of its domain.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, BoxSet};
/// use softkit_nms::{suppress, SuppressParams};
///
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0]];
/// let set = BoxSet::new(&boxes, BoxMeasure::DIOU, 0.0)?;
/// let kept = suppress(&set, &[0.8_f32, 0.9], &SuppressParams::hard(0.5))?;
/// assert_eq!(kept.indices, vec![1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn suppress<const D: usize, S, T>(set: &S, scores: &[T], params: &SuppressParams) -> Result<Kept, NmsError>
where
    S: Overlap<D> + ?Sized,
    T: Coord,
{
    let scores = prepare(set.len(), scores, params)?;
    let members: Vec<u32> = (0..set.len() as u32).filter(|&i| scores[i as usize] >= params.score_threshold).collect();
    Ok(Kept::from_pairs(run_scope(set, &members, &scores, params)))
}

/// Suppresses within each label independently: items with different labels never interact
/// (torchvision's `batched_nms`, class-wise Soft-NMS).
///
/// The labels run in parallel; the result is merged by non-increasing score, ties to the lower
/// input index, and is identical for any number of threads. `max_output` applies to the merged
/// result.
///
/// # Errors
///
/// As [`suppress`], plus a length mismatch between `labels` and the set.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, BoxSet};
/// use softkit_nms::{suppress_batched, SuppressParams};
///
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]];
/// let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0)?;
/// let kept = suppress_batched(&set, &[0.9_f32, 0.8, 0.7], &[1, 2, 1], &SuppressParams::hard(0.5))?;
/// assert_eq!(kept.indices, vec![0, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn suppress_batched<const D: usize, S, T>(
    set: &S,
    scores: &[T],
    labels: &[i64],
    params: &SuppressParams,
) -> Result<Kept, NmsError>
where
    S: Overlap<D> + ?Sized,
    T: Coord,
{
    run_rows(set, scores, None, labels, params)
}

/// Suppresses per image and, within an image, per label: the scope of a detector's batched output
/// and of a detection table (`image_id, label, geometry, score` columns). Items of different
/// images or labels never interact.
///
/// The result lists the images in ascending id, each image's kept items by non-increasing score
/// (its labels merged, ties to the lower input index); `max_output` applies to each image, as
/// COCO's `maxDets` does. Scopes run in parallel and the result is the same for any thread count.
///
/// # Errors
///
/// As [`suppress`], plus a length mismatch between `image_ids` or `labels` and the set.
///
/// # Examples
///
/// ```
/// use softkit_geom::{BoxMeasure, BoxSet};
/// use softkit_nms::{suppress_per_image, SuppressParams};
///
/// // Two images with the same box twice; the second image keeps both (different labels).
/// let boxes = [[0.0_f32, 0.0, 10.0, 10.0]; 4];
/// let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0)?;
/// let (images, labels) = ([7, 3, 7, 3], [0, 0, 0, 1]);
/// let kept = suppress_per_image(&set, &[0.9_f32, 0.8, 0.7, 0.95], &images, &labels, &SuppressParams::hard(0.5))?;
/// assert_eq!(kept.indices, vec![3, 1, 0]); // image 3 first, by score; then image 7
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn suppress_per_image<const D: usize, S, T>(
    set: &S,
    scores: &[T],
    image_ids: &[i64],
    labels: &[i64],
    params: &SuppressParams,
) -> Result<Kept, NmsError>
where
    S: Overlap<D> + ?Sized,
    T: Coord,
{
    run_rows(set, scores, Some(image_ids), labels, params)
}

/// Checks the columns, then runs the scopes they define.
fn run_rows<const D: usize, S, T>(
    set: &S,
    scores: &[T],
    images: Option<&[i64]>,
    labels: &[i64],
    params: &SuppressParams,
) -> Result<Kept, NmsError>
where
    S: Overlap<D> + ?Sized,
    T: Coord,
{
    let scores = prepare(set.len(), scores, params)?;
    if let Some(images) = images {
        check_length("image_ids", images.len(), set.len())?;
    }
    check_length("labels", labels.len(), set.len())?;
    let rows = Rows { scores: &scores, images, labels };
    Ok(Kept::from_pairs(run_scopes(set, &rows, params)))
}

fn check_length(field: &'static str, found: usize, expected: usize) -> Result<(), NmsError> {
    if found == expected {
        Ok(())
    } else {
        Err(NmsError::LengthMismatch { field, found, reference: "boxes", expected })
    }
}

/// Validates the call and widens the scores.
fn prepare<T: Coord>(len: usize, scores: &[T], params: &SuppressParams) -> Result<Vec<f64>, NmsError> {
    params.validate()?;
    check_length("scores", scores.len(), len)?;
    if len > u32::MAX as usize {
        return Err(NmsError::TooManyItems { found: len, limit: u32::MAX as usize });
    }
    scores
        .iter()
        .enumerate()
        .map(|(index, s)| {
            // `+ 0.0` turns -0.0 into 0.0, so the two tie (by index) like any equal scores.
            let value = s.to_f64() + 0.0;
            if value.is_finite() { Ok(value) } else { Err(NmsError::NonFiniteScore { index, value }) }
        })
        .collect()
}

/// The columns that split a set into scopes.
struct Rows<'a> {
    scores: &'a [f64],
    /// Image of each item; `None` puts every item in one image.
    images: Option<&'a [i64]>,
    labels: &'a [i64],
}

/// Runs every (image, label) scope and merges each image's labels by score; images come in
/// ascending id. Returns global indices.
fn run_scopes<const D: usize, S: Overlap<D> + ?Sized>(
    set: &S,
    rows: &Rows<'_>,
    params: &SuppressParams,
) -> Vec<(u32, f64)> {
    let image = |i: u32| rows.images.map_or(0, |ids| ids[i as usize]);
    let mut keyed: Vec<(i64, i64, u32)> = (0..set.len() as u32)
        .filter(|&i| rows.scores[i as usize] >= params.score_threshold)
        .map(|i| (image(i), rows.labels[i as usize], i))
        .collect();
    keyed.sort_unstable();
    let members: Vec<u32> = keyed.iter().map(|&(_, _, i)| i).collect();
    let mut scopes: Vec<(i64, &[u32])> = Vec::new();
    let mut at = 0;
    for group in keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        scopes.push((group[0].0, &members[at..at + group.len()]));
        at += group.len();
    }
    let run = |&(image, group): &(i64, &[u32])| (image, run_scope(set, group, rows.scores, params));
    let per_scope: Vec<(i64, Vec<(u32, f64)>)> = if members.len() >= PARALLEL_MIN_ITEMS && scopes.len() > 1 {
        scopes.par_iter().map(run).collect()
    } else {
        scopes.iter().map(run).collect()
    };
    let mut merged = Vec::new();
    let mut lists = per_scope.into_iter().peekable();
    while let Some((image, first)) = lists.next() {
        let mut of_image = vec![first];
        while let Some((_, list)) = lists.next_if(|(next, _)| *next == image) {
            of_image.push(list);
        }
        merged.extend(merge::by_score(of_image, params.max_output));
    }
    merged
}

/// Runs one scope: `members` are global indices in ascending order. Returns global indices.
fn run_scope<const D: usize, S: Overlap<D> + ?Sized>(
    set: &S,
    members: &[u32],
    scores: &[f64],
    params: &SuppressParams,
) -> Vec<(u32, f64)> {
    if members.is_empty() {
        return Vec::new();
    }
    // An item acts only on those its reach touches at the policy's inert threshold.
    let inert = params.policy.inert_up_to();
    let reach = |&g: &u32| set.reach(g as usize, inert);
    let envelopes = || members.iter().map(reach).collect::<Vec<Option<Envelope<D>>>>();
    let local_scores: Vec<f64> = members.iter().map(|&g| scores[g as usize]).collect();
    let global = |a: u32| members[a as usize] as usize;
    if !params.policy.is_greedy() {
        let overlap = |a: u32, b: u32| set.overlap_above(global(a), global(b), inert);
        let exceeds = |a: u32, b: u32, threshold: f64| set.exceeds(global(a), global(b), threshold);
        let selected = parallel::select(&local_scores, &Grid::new(&envelopes()), overlap, exceeds, params);
        return selected.into_iter().map(|(local, score)| (members[local as usize], score)).collect();
    }
    let spans = line_spans(members.iter().map(reach));
    let selected = match params.policy {
        Policy::Hard { iou_threshold } => {
            let exceeds = |a: u32, b: u32| set.exceeds(global(a), global(b), iou_threshold);
            let limit = params.max_output.unwrap_or(usize::MAX);
            match spans {
                Some(spans) => sweep::hard_select(&spans, &local_scores, exceeds, limit),
                None if members.len() <= SMALL_SCOPE => {
                    hard::select(&local_scores, &AllItems(members.len() as u32), exceeds, limit)
                }
                None => hard::select(&local_scores, &Grid::new(&envelopes()), exceeds, limit),
            }
        }
        _ => {
            let overlap = |a: u32, b: u32| set.overlap_above(global(a), global(b), inert);
            match spans {
                Some(spans) => sweep::soft_select(&spans, &local_scores, overlap, params),
                None => {
                    let mut selected = Vec::new();
                    let grid = Grid::new(&envelopes());
                    let mut scratch = soft::Scratch::default();
                    soft::select(&mut scratch, &local_scores, |i| i, &grid, overlap, params, &mut selected);
                    selected
                }
            }
        }
    };
    selected.into_iter().map(|(local, score)| (members[local as usize], score)).collect()
}

/// Each member's `[start, end]` when the items lie on a line (1-D reaches, all finite), for the
/// sweep; `None` otherwise.
fn line_spans<const D: usize>(reaches: impl Iterator<Item = Option<Envelope<D>>>) -> Option<Vec<[f64; 2]>> {
    if D != 1 {
        return None;
    }
    reaches.map(|e| e.filter(Envelope::is_finite).map(|e| [e.min[0], e.max[0]])).collect()
}
