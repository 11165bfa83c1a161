//! Scopes: one set, or one independent set per label, run in parallel and merged deterministically.

use rayon::prelude::*;
use softkit_geom::{Coord, Envelope, Overlap};

use crate::grid::Grid;
use crate::{NmsError, Policy, SuppressParams, hard, merge, soft};

/// Scopes smaller than this in total run on the calling thread: spawning costs more than it saves.
const PARALLEL_MIN_ITEMS: usize = 4096;

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
/// Items are bucketed into a uniform grid over their envelopes, so a selected item visits only
/// its neighbours. Hard NMS sorts once; Soft-NMS keeps a lazy max-heap in which an item is
/// re-pushed only when a neighbour's selection decays it. A sparse scene costs about a sort.
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
/// let set = BoxSet::new(&boxes, BoxMeasure::Diou, 0.0)?;
/// let kept = suppress(&set, &[0.8_f32, 0.9], &SuppressParams::hard(0.5))?;
/// assert_eq!(kept.indices, vec![1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn suppress<S, T>(set: &S, scores: &[T], params: &SuppressParams) -> Result<Kept, NmsError>
where
    S: Overlap + ?Sized,
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
pub fn suppress_batched<S, T>(set: &S, scores: &[T], labels: &[i64], params: &SuppressParams) -> Result<Kept, NmsError>
where
    S: Overlap + ?Sized,
    T: Coord,
{
    let scores = prepare(set.len(), scores, params)?;
    check_length("labels", labels.len(), set.len())?;
    let mut keyed: Vec<(i64, u32)> = (0..set.len() as u32)
        .filter(|&i| scores[i as usize] >= params.score_threshold)
        .map(|i| (labels[i as usize], i))
        .collect();
    keyed.sort_unstable();
    let members: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
    let groups: Vec<&[u32]> = keyed
        .chunk_by(|a, b| a.0 == b.0)
        .scan(0, |at, g| {
            let range = *at..*at + g.len();
            *at += g.len();
            Some(&members[range])
        })
        .collect();
    let run = |group: &&[u32]| run_scope(set, group, &scores, params);
    let per_label: Vec<Vec<(u32, f64)>> = if members.len() >= PARALLEL_MIN_ITEMS && groups.len() > 1 {
        groups.par_iter().map(run).collect()
    } else {
        groups.iter().map(run).collect()
    };
    Ok(Kept::from_pairs(merge::by_score(per_label, params.max_output)))
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

/// Runs one scope: `members` are global indices in ascending order. Returns global indices.
fn run_scope<S: Overlap + ?Sized>(
    set: &S,
    members: &[u32],
    scores: &[f64],
    params: &SuppressParams,
) -> Vec<(u32, f64)> {
    if members.is_empty() {
        return Vec::new();
    }
    let grid = Grid::new(&members.iter().map(|&g| set.envelope(g as usize)).collect::<Vec<Envelope>>());
    let local_scores: Vec<f64> = members.iter().map(|&g| scores[g as usize]).collect();
    let overlap = |a: u32, b: u32| set.overlap(members[a as usize] as usize, members[b as usize] as usize);
    let limit = params.max_output.unwrap_or(usize::MAX);
    let selected = match params.policy {
        Policy::Hard { iou_threshold } => hard::select(&local_scores, &grid, overlap, iou_threshold, limit),
        soft_policy => soft::select(&local_scores, &grid, overlap, &soft_policy, params.score_threshold, limit),
    };
    selected.into_iter().map(|(local, score)| (members[local as usize], score)).collect()
}
