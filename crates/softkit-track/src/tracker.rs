//! ByteTrack (Zhang et al. 2022): a streaming tracker that associates every detection box, the
//! low-score ones in a second stage, with optional DeepSORT-style appearance.

use softkit_geom::{BoxMeasure, box_iou_pair};

use crate::kalman::{CHI_SQUARE_95_4DOF, KalmanFilter, KalmanState, Projection, xyah};
use crate::{TrackError, linear_sum_assignment};

/// The optional appearance term of the first association stage, DeepSORT-style.
///
/// Each track keeps a smoothed, unit-length embedding: `e = momentum · e + (1 - momentum) · f`,
/// renormalised after each high-score match with embedding `f` (FairMOT's and BoT-SORT's
/// exponential average). For a track and a detection that both have an embedding, the
/// first-stage cost becomes
///
/// `cost = motion_weight · (1 - overlap) + (1 - motion_weight) · (1 - cos(e, f))`
///
/// and the pair is forbidden when the cosine distance `1 - cos(e, f)` exceeds `max_distance` or
/// the squared Mahalanobis distance of the detection from the track's Kalman prediction exceeds
/// [`CHI_SQUARE_95_4DOF`](crate::CHI_SQUARE_95_4DOF) (DeepSORT's two gates). Pairs in which
/// either side has no embedding keep the motion cost alone. The second (low-score) stage and
/// the unconfirmed stage never use appearance: low-score boxes are mostly occluded, and their
/// embeddings unreliable.
///
/// DeepSORT writes the same fusion with the Mahalanobis distance as the motion term and uses
/// `λ = 0` with a 0.2 gate on a gallery of past features; here the motion term is the box
/// overlap and the defaults (`motion_weight` 0.5, `max_distance` 0.5, `momentum` 0.9) weigh the
/// two terms equally, with BoT-SORT's appearance threshold (its 0.25 on half the cosine distance).
///
/// # Examples
///
/// ```
/// use softkit_track::{Appearance, ByteTracker, TrackerConfig};
///
/// let config = TrackerConfig { appearance: Some(Appearance::new(2)), ..TrackerConfig::default() };
/// let mut tracker = ByteTracker::new(config)?;
/// let out = tracker.update(1, &[[0.0, 0.0, 10.0, 20.0]], &[0.9], Some(&[1.0, 0.0]))?;
/// assert_eq!(out[0].id, 1);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Appearance {
    /// The length of each embedding (the flat `embeddings` slice holds `dim` values per box).
    pub dim: usize,
    /// `λ`, the weight of the motion cost `1 - overlap`; `1 - λ` weighs the cosine distance.
    /// In `[0, 1]`.
    pub motion_weight: f64,
    /// The gate on the cosine distance, in `[0, 2]`: pairs further apart are forbidden.
    pub max_distance: f64,
    /// The momentum of a track's smoothed embedding, in `[0, 1)`.
    pub momentum: f64,
}

impl Appearance {
    /// The appearance term for embeddings of length `dim`, with the default weights
    /// (`motion_weight` 0.5, `max_distance` 0.5, `momentum` 0.9).
    ///
    /// # Examples
    ///
    /// ```
    /// let appearance = softkit_track::Appearance::new(128);
    /// assert_eq!((appearance.dim, appearance.momentum), (128, 0.9));
    /// ```
    pub fn new(dim: usize) -> Self {
        Self { dim, motion_weight: 0.5, max_distance: 0.5, momentum: 0.9 }
    }
}

/// The settings of a [`ByteTracker`], with ByteTrack's defaults.
///
/// ByteTrack's `byte_tracker.py` has one `track_thresh` (0.5): detections above it enter the
/// first stage, and a new track needs `det_thresh = track_thresh + 0.1` (0.6). Both are kept
/// here, as `high_threshold` and `new_track_threshold`. The stages:
///
/// | stage | tracks | detections | cost | forbidden when |
/// |---|---|---|---|---|
/// | 1 | confirmed, tracked or lost | `score > high_threshold` | `1 - overlap`, with `fuse_score` and `appearance` | `cost > match_threshold` |
/// | 2 | tracked, left over from 1 | `low_threshold < score <= high_threshold` | `1 - overlap` | `cost > low_match_threshold` |
/// | 3 | unconfirmed | high, left over from 1 | `1 - overlap`, with `fuse_score` | `cost > unconfirmed_match_threshold` |
/// | birth | — | high, left over, `score >= new_track_threshold` | — | — |
///
/// ByteTrack drops a detection whose score equals `track_thresh` from both stages; here it
/// goes to the second one.
///
/// # Examples
///
/// ```
/// use softkit_geom::BoxMeasure;
/// use softkit_track::TrackerConfig;
///
/// let config = TrackerConfig { measure: BoxMeasure::Giou, max_age: 60, ..TrackerConfig::default() };
/// assert_eq!(config.high_threshold, 0.5);
/// assert_eq!(config.new_track_threshold, 0.6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackerConfig {
    /// Detections scoring above this enter the first stage (ByteTrack's `track_thresh`, 0.5).
    pub high_threshold: f64,
    /// Detections scoring above this and at most `high_threshold` enter the second stage
    /// (ByteTrack: 0.1); set it to `high_threshold` to disable the second stage. Below it,
    /// detections are ignored.
    pub low_threshold: f64,
    /// An unmatched first-stage detection starts a track when it scores at least this
    /// (ByteTrack's `det_thresh = track_thresh + 0.1`, 0.6).
    pub new_track_threshold: f64,
    /// The largest first-stage cost that may match (ByteTrack's `match_thresh`, 0.8: IoU at
    /// least 0.2).
    pub match_threshold: f64,
    /// The largest second-stage cost that may match (ByteTrack: 0.5).
    pub low_match_threshold: f64,
    /// The largest cost at which an unconfirmed track may match (ByteTrack: 0.7).
    pub unconfirmed_match_threshold: f64,
    /// Frames a lost track is kept for re-identification (ByteTrack's `track_buffer`, 30); a
    /// track last matched at frame `e` can be matched again up to frame `e + max_age`.
    /// ByteTrack scales its buffer by `frame_rate / 30`; pass the scaled number of frames.
    pub max_age: u32,
    /// SORT's birth rule: a track is confirmed, given an id and reported once it has been
    /// matched in this many consecutive frames, its first detection included; an unconfirmed
    /// track that misses a frame is deleted. Tracks born within the first `min_hits - 1`
    /// updates are confirmed at once. ByteTrack's rule is 2 (the default); SORT uses 3.
    pub min_hits: u32,
    /// The overlap behind the motion cost `1 - overlap` ([`BoxMeasure::Iou`] by default).
    pub measure: BoxMeasure,
    /// Multiply the overlap by the detection score (clamped to `[0, 1]`) in stages 1 and 3:
    /// ByteTrack's `fuse_score`, on in its code for every benchmark but MOT20. Off by default.
    pub fuse_score: bool,
    /// After association, a tracked and a lost track whose boxes overlap by an IoU above this
    /// are duplicates and the younger one is removed (ByteTrack's `remove_duplicate_stracks`:
    /// IoU distance below 0.15, so 0.85). 1 disables it.
    pub duplicate_iou: f64,
    /// The optional appearance term of the first stage.
    pub appearance: Option<Appearance>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            high_threshold: 0.5,
            low_threshold: 0.1,
            new_track_threshold: 0.6,
            match_threshold: 0.8,
            low_match_threshold: 0.5,
            unconfirmed_match_threshold: 0.7,
            max_age: 30,
            min_hits: 2,
            measure: BoxMeasure::Iou,
            fuse_score: false,
            duplicate_iou: 0.85,
            appearance: None,
        }
    }
}

impl TrackerConfig {
    /// Checks every setting.
    ///
    /// # Errors
    ///
    /// [`TrackError::InvalidParameter`] naming the first setting out of its domain.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::TrackerConfig;
    ///
    /// let err = TrackerConfig { low_threshold: 0.7, ..TrackerConfig::default() }.validate().unwrap_err();
    /// assert_eq!(err.to_string(), "low_threshold = 0.7 is invalid: finite and at most high_threshold");
    /// ```
    pub fn validate(&self) -> Result<(), TrackError> {
        let bad = |name, value, expected| Err(TrackError::InvalidParameter { name, value, expected });
        for (name, value) in
            [("high_threshold", self.high_threshold), ("new_track_threshold", self.new_track_threshold)]
        {
            if !value.is_finite() {
                return bad(name, value, "finite");
            }
        }
        if !(self.low_threshold.is_finite() && self.low_threshold <= self.high_threshold) {
            return bad("low_threshold", self.low_threshold, "finite and at most high_threshold");
        }
        for (name, value) in [
            ("match_threshold", self.match_threshold),
            ("low_match_threshold", self.low_match_threshold),
            ("unconfirmed_match_threshold", self.unconfirmed_match_threshold),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return bad(name, value, "finite and at least 0");
            }
        }
        if self.min_hits == 0 {
            return bad("min_hits", 0.0, "at least 1");
        }
        if !(0.0..=1.0).contains(&self.duplicate_iou) {
            return bad("duplicate_iou", self.duplicate_iou, "in [0, 1] (1 disables the duplicate removal)");
        }
        if let Some(a) = self.appearance {
            if a.dim == 0 {
                return bad("appearance.dim", 0.0, "at least 1");
            }
            if !(0.0..=1.0).contains(&a.motion_weight) {
                return bad("appearance.motion_weight", a.motion_weight, "in [0, 1]");
            }
            if !(0.0..=2.0).contains(&a.max_distance) {
                return bad("appearance.max_distance", a.max_distance, "in [0, 2] (a cosine distance)");
            }
            if !(0.0..1.0).contains(&a.momentum) {
                return bad("appearance.momentum", a.momentum, "in [0, 1)");
            }
        }
        Ok(())
    }
}

/// One confirmed track matched in the current frame.
///
/// # Examples
///
/// ```
/// use softkit_track::{ByteTracker, TrackerConfig};
///
/// let mut tracker = ByteTracker::new(TrackerConfig::default())?;
/// let out = tracker.update(7, &[[0.0, 0.0, 4.0, 8.0], [50.0, 0.0, 54.0, 8.0]], &[0.3, 0.9], None)?;
/// assert_eq!(out.len(), 1);
/// assert_eq!((out[0].id, out[0].detection, out[0].score), (1, 1, 0.9));
/// assert_eq!(out[0].bbox, [50.0, 0.0, 54.0, 8.0]);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackOutput {
    /// The track id: 1 for the first track confirmed, then 2, 3, … in order of confirmation.
    pub id: u64,
    /// The Kalman-filtered box `[x1, y1, x2, y2]` after this frame's update (as ByteTrack
    /// reports it), not the raw detection; `boxes[detection]` is the raw one.
    pub bbox: [f64; 4],
    /// The score of the detection matched this frame.
    pub score: f64,
    /// The index, in this frame's `boxes`, of the detection matched.
    pub detection: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Born, not yet matched `min_hits` times; no id.
    Tentative,
    /// Confirmed and matched in the latest frame.
    Tracked,
    /// Confirmed, missed in the latest frame, kept up to `max_age` frames.
    Lost,
}

#[derive(Clone, Debug)]
struct Track {
    /// 0 while tentative.
    id: u64,
    kalman: KalmanState,
    status: Status,
    hits: u32,
    start: i64,
    /// The frame of the latest match.
    last: i64,
    score: f64,
    detection: usize,
    /// Smoothed unit embedding; empty when the track has none yet.
    embedding: Vec<f32>,
}

/// ByteTrack: a streaming multi-object tracker that associates every detection box.
///
/// # Usage
///
/// Build it with a [`TrackerConfig`], then call [`ByteTracker::update`] once per frame, in
/// increasing frame order, with that frame's boxes `[x1, y1, x2, y2]`, scores and, optionally,
/// appearance embeddings. Each call returns the confirmed tracks matched in that frame. Frame
/// numbers may skip: the filter predicts one step per frame number elapsed (at most
/// `max_age + 1`), so a video read from a MOTChallenge file, where frames without detections
/// are absent, keeps its timing.
///
/// Each frame runs ByteTrack's stages (see [`TrackerConfig`] for the table):
///
/// 1. Forget lost tracks not matched for more than `max_age` frames, then predict every track
///    with its Kalman filter ([`KalmanFilter`](crate::KalmanFilter)); a lost track's height
///    velocity is zeroed first, as in ByteTrack.
/// 2. Match the high-score detections to the confirmed (tracked and lost) tracks by optimal
///    assignment ([`linear_sum_assignment`](crate::linear_sum_assignment)) on
///    `1 - overlap` (with the optional [`Appearance`] term), costs above the threshold forbidden
///    and a track or a detection free to stay unmatched (as `lap.lapjv` with `cost_limit`
///    does in ByteTrack).
/// 3. Match the low-score detections to the tracked tracks left over, on overlap alone; the
///    tracks still unmatched become lost.
/// 4. Match the unconfirmed tracks to the high-score detections left over; unconfirmed tracks
///    left unmatched are deleted.
/// 5. Start a track from each high-score detection left over that scores at least
///    `new_track_threshold`; remove duplicates between tracked and lost tracks.
///
/// Two deliberate differences from ByteTrack's code: unconfirmed tracks are predicted before
/// they are matched (ByteTrack matches them at their last position without a prediction
/// step), and lost tracks are pruned before the association rather than after it (so a track
/// can be re-found up to `max_age` frames after its last match, not `max_age + 1`). Detections
/// with zero width or height are validated but never tracked (their overlap with anything is 0,
/// and their aspect ratio is undefined).
///
/// The result is deterministic: tracks are considered in order of birth and detections in
/// input order, ties in the assignment are broken by index, and ids are given in order of
/// confirmation.
///
/// # Runtime and Performance
///
/// Candidate pairs are found through a uniform grid over the detection boxes, so each track
/// only meets the detections it overlaps (or, with appearance, those inside its Mahalanobis
/// gate). Pairs that pass the threshold form a bipartite graph, and the optimal assignment runs
/// on each of its connected components separately, which is exact: the total cost separates
/// over components. A scene of `n` tracks and `n` detections with bounded density costs
/// `O(n)` per frame plus the assignment of the (small) components, instead of one dense
/// `n × n` problem. A threshold of 1 or more matches disjoint boxes, and then every pair is a
/// candidate. The `tracker_speed` example measures the frame rate at 100 and 1,000 objects.
///
/// # Examples
///
/// ```
/// use softkit_track::{ByteTracker, TrackerConfig};
///
/// let mut tracker = ByteTracker::new(TrackerConfig::default())?;
/// let mut ids = Vec::new();
/// for frame in 1..=5 {
///     let x = 10.0 * frame as f64;
///     // One object moving right, detected with a high score except in frame 3.
///     let score = if frame == 3 { 0.3 } else { 0.9 };
///     let out = tracker.update(frame, &[[x, 0.0, x + 40.0, 80.0]], &[score], None)?;
///     ids.push(out[0].id);
/// }
/// // The low-score box of frame 3 is matched in the second stage: one id throughout.
/// assert_eq!(ids, vec![1; 5]);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ByteTracker {
    config: TrackerConfig,
    filter: KalmanFilter,
    tracks: Vec<Track>,
    previous: Option<i64>,
    updates: u64,
    next_id: u64,
}

/// One frame's validated detections, with unit embeddings where given.
struct Detections<'a> {
    boxes: &'a [[f64; 4]],
    scores: &'a [f64],
    /// `dim` values per detection; empty when the frame has no embeddings.
    units: Vec<f32>,
    /// Whether each detection has a (non-zero) embedding.
    has_unit: Vec<bool>,
    dim: usize,
}

impl Detections<'_> {
    fn unit(&self, d: usize) -> Option<&[f32]> {
        if self.has_unit.get(d).copied().unwrap_or(false) {
            Some(&self.units[d * self.dim..(d + 1) * self.dim])
        } else {
            None
        }
    }
}

/// What one association stage matches on.
#[derive(Clone, Copy)]
struct Rule {
    threshold: f64,
    fuse_score: bool,
    appearance: bool,
}

impl ByteTracker {
    /// A tracker with no tracks.
    ///
    /// # Errors
    ///
    /// [`TrackError::InvalidParameter`] naming the first invalid setting (see
    /// [`TrackerConfig::validate`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::{ByteTracker, TrackerConfig};
    ///
    /// assert!(ByteTracker::new(TrackerConfig::default()).is_ok());
    /// let err = ByteTracker::new(TrackerConfig { min_hits: 0, ..TrackerConfig::default() }).unwrap_err();
    /// assert_eq!(err.to_string(), "min_hits = 0 is invalid: at least 1");
    /// ```
    pub fn new(config: TrackerConfig) -> Result<Self, TrackError> {
        config.validate()?;
        Ok(Self { config, filter: KalmanFilter::default(), tracks: Vec::new(), previous: None, updates: 0, next_id: 1 })
    }

    /// The settings.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::{ByteTracker, TrackerConfig};
    ///
    /// let tracker = ByteTracker::new(TrackerConfig::default())?;
    /// assert_eq!(tracker.config().max_age, 30);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Tracks one frame: `boxes[i] = [x1, y1, x2, y2]` with score `scores[i]` and, when the
    /// tracker has an [`Appearance`] term, optionally `embeddings`, `appearance.dim` values per
    /// box in box order (a zero vector means "no embedding" for that box). Returns the
    /// confirmed tracks matched in this frame, ordered by id.
    ///
    /// On error the tracker is left unchanged.
    ///
    /// # Errors
    ///
    /// - [`TrackError::FrameOrder`] if `frame` does not exceed the previous frame;
    /// - [`TrackError::LengthMismatch`] if `scores` or `embeddings` do not match `boxes`;
    /// - [`TrackError::NonFinite`] naming the box, score or embedding value that is NaN or
    ///   infinite, and [`TrackError::NegativeSize`] for a box with `x2 < x1` or `y2 < y1`;
    /// - [`TrackError::Unconfigured`] for `embeddings` without [`TrackerConfig::appearance`].
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::{ByteTracker, TrackerConfig};
    ///
    /// let mut tracker = ByteTracker::new(TrackerConfig::default())?;
    /// tracker.update(1, &[[0.0, 0.0, 10.0, 10.0]], &[0.9], None)?;
    /// let err = tracker.update(2, &[[0.0, 0.0, 10.0, f64::NAN]], &[0.9], None).unwrap_err();
    /// assert_eq!(err.to_string(), "boxes[0].y2 = NaN is not finite");
    /// let out = tracker.update(2, &[[1.0, 0.0, 11.0, 10.0]], &[0.9], None)?;
    /// assert_eq!(out[0].id, 1);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn update(
        &mut self,
        frame: i64,
        boxes: &[[f64; 4]],
        scores: &[f64],
        embeddings: Option<&[f32]>,
    ) -> Result<Vec<TrackOutput>, TrackError> {
        self.check(frame, boxes, scores, embeddings)?;
        let cfg = self.config;
        let dets = detections(boxes, scores, embeddings, cfg.appearance.map_or(0, |a| a.dim));
        let gap = self.previous.map_or(1, |p| frame.abs_diff(p));
        self.previous = Some(frame);
        self.updates += 1;

        // Any track, not only a lost one: frame numbers may skip past a track's last match.
        self.tracks.retain(|t| frame.abs_diff(t.last) <= u64::from(cfg.max_age));
        let steps = gap.min(u64::from(cfg.max_age) + 1);
        for t in &mut self.tracks {
            for _ in 0..steps {
                if t.status == Status::Lost {
                    t.kalman.mean[7] = 0.0;
                }
                self.filter.predict(&mut t.kalman);
            }
        }
        let predicted: Vec<[f64; 4]> = self.tracks.iter().map(|t| t.kalman.xyxy()).collect();

        // Degenerate boxes have no overlap and no aspect ratio: they are never tracked.
        let usable = |d: &usize| boxes[*d][2] > boxes[*d][0] && boxes[*d][3] > boxes[*d][1];
        let high: Vec<usize> = (0..boxes.len()).filter(usable).filter(|&d| scores[d] > cfg.high_threshold).collect();
        let low: Vec<usize> = (0..boxes.len())
            .filter(usable)
            .filter(|&d| scores[d] > cfg.low_threshold && scores[d] <= cfg.high_threshold)
            .collect();
        let mut det_used = vec![false; boxes.len()];
        let mut matched = vec![false; self.tracks.len()];

        // Stage 1: high-score detections against confirmed tracks.
        let pool: Vec<usize> = (0..self.tracks.len()).filter(|&t| self.tracks[t].status != Status::Tentative).collect();
        let rule = Rule { threshold: cfg.match_threshold, fuse_score: cfg.fuse_score, appearance: true };
        for (t, d) in self.associate(&pool, &high, &dets, &predicted, rule)? {
            self.apply(t, d, frame, &dets, true);
            matched[t] = true;
            det_used[d] = true;
        }

        // Stage 2: low-score detections against the tracked tracks left over; overlap only.
        let pool: Vec<usize> =
            pool.into_iter().filter(|&t| !matched[t] && self.tracks[t].status == Status::Tracked).collect();
        let rule = Rule { threshold: cfg.low_match_threshold, fuse_score: false, appearance: false };
        for (t, d) in self.associate(&pool, &low, &dets, &predicted, rule)? {
            self.apply(t, d, frame, &dets, false);
            matched[t] = true;
        }
        for &t in &pool {
            if !matched[t] {
                self.tracks[t].status = Status::Lost;
            }
        }

        // Stage 3: unconfirmed tracks against the high-score detections left over.
        let high: Vec<usize> = high.into_iter().filter(|&d| !det_used[d]).collect();
        let tentative: Vec<usize> =
            (0..self.tracks.len()).filter(|&t| self.tracks[t].status == Status::Tentative).collect();
        let rule = Rule { threshold: cfg.unconfirmed_match_threshold, fuse_score: cfg.fuse_score, appearance: false };
        for (t, d) in self.associate(&tentative, &high, &dets, &predicted, rule)? {
            self.apply(t, d, frame, &dets, true);
            matched[t] = true;
            det_used[d] = true;
            let track = &mut self.tracks[t];
            if track.hits >= cfg.min_hits {
                track.status = Status::Tracked;
                track.id = self.next_id;
                self.next_id += 1;
            }
        }
        // Unconfirmed tracks that missed this frame are deleted.
        let mut removed: Vec<bool> =
            self.tracks.iter().zip(&matched).map(|(t, &hit)| !hit && t.status == Status::Tentative).collect();

        // Births, in detection order.
        let confirm_at_birth = cfg.min_hits <= 1 || self.updates < u64::from(cfg.min_hits);
        for d in high.into_iter().filter(|&d| !det_used[d] && scores[d] >= cfg.new_track_threshold) {
            let mut track = Track {
                id: 0,
                kalman: self.filter.initiate(xyah(&boxes[d])),
                status: Status::Tentative,
                hits: 1,
                start: frame,
                last: frame,
                score: scores[d],
                detection: d,
                embedding: dets.unit(d).map_or_else(Vec::new, <[f32]>::to_vec),
            };
            if confirm_at_birth {
                track.status = Status::Tracked;
                track.id = self.next_id;
                self.next_id += 1;
            }
            self.tracks.push(track);
            removed.push(false);
        }

        self.remove_duplicates(frame, &mut removed);
        let mut out: Vec<TrackOutput> = self
            .tracks
            .iter()
            .zip(&removed)
            .filter(|(t, gone)| !**gone && t.status == Status::Tracked && t.last == frame)
            .map(|(t, _)| TrackOutput { id: t.id, bbox: t.kalman.xyxy(), score: t.score, detection: t.detection })
            .collect();
        out.sort_unstable_by_key(|o| o.id);
        let mut keep = removed.iter().map(|gone| !gone);
        self.tracks.retain(|_| keep.next().unwrap_or(true));
        Ok(out)
    }

    /// Validates one frame's input before anything changes.
    fn check(
        &self,
        frame: i64,
        boxes: &[[f64; 4]],
        scores: &[f64],
        embeddings: Option<&[f32]>,
    ) -> Result<(), TrackError> {
        if let Some(previous) = self.previous
            && frame <= previous
        {
            return Err(TrackError::FrameOrder { frame, previous });
        }
        if scores.len() != boxes.len() {
            return Err(TrackError::LengthMismatch {
                field: "scores",
                found: scores.len(),
                reference: "boxes",
                expected: boxes.len(),
            });
        }
        for (i, b) in boxes.iter().enumerate() {
            for (field, &value) in ["x1", "y1", "x2", "y2"].into_iter().zip(b) {
                if !value.is_finite() {
                    return Err(TrackError::NonFinite { item: format!("boxes[{i}]"), field, value });
                }
            }
            for (field, value) in [("x2 - x1", b[2] - b[0]), ("y2 - y1", b[3] - b[1])] {
                if value < 0.0 {
                    return Err(TrackError::NegativeSize { item: format!("boxes[{i}]"), field, value });
                }
            }
        }
        if let Some((i, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(TrackError::NonFinite { item: format!("scores[{i}]"), field: "value", value });
        }
        let Some(embeddings) = embeddings else { return Ok(()) };
        let Some(appearance) = self.config.appearance else {
            return Err(TrackError::Unconfigured { field: "embeddings", setting: "TrackerConfig::appearance" });
        };
        let expected = boxes.len().saturating_mul(appearance.dim);
        if embeddings.len() != expected {
            return Err(TrackError::LengthMismatch {
                field: "embeddings",
                found: embeddings.len(),
                reference: "boxes x appearance.dim",
                expected,
            });
        }
        if let Some((k, &value)) = embeddings.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            let (i, j) = (k / appearance.dim, k % appearance.dim);
            return Err(TrackError::NonFinite {
                item: format!("embeddings[{i}][{j}]"),
                field: "value",
                value: value.into(),
            });
        }
        Ok(())
    }

    /// Matches the tracks `rows` to the detections `cols` under `rule`: the optimal assignment
    /// with costs above the threshold forbidden and everything free to stay unmatched, solved
    /// per connected component of the allowed pairs. Returns `(track, detection)` pairs.
    fn associate(
        &self,
        rows: &[usize],
        cols: &[usize],
        dets: &Detections<'_>,
        predicted: &[[f64; 4]],
        rule: Rule,
    ) -> Result<Vec<(usize, usize)>, TrackError> {
        if rows.is_empty() || cols.is_empty() {
            return Ok(Vec::new());
        }
        let appearance = if rule.appearance && dets.dim > 0 { self.config.appearance } else { None };
        // The Mahalanobis gate needs each track's projection, factorised once.
        let projections: Vec<Option<Projection>> = match appearance {
            Some(_) => rows
                .iter()
                .map(|&t| {
                    let track = &self.tracks[t];
                    if track.embedding.is_empty() { None } else { self.filter.projection(&track.kalman).ok() }
                })
                .collect(),
            None => Vec::new(),
        };
        // Where each track looks for detections: its predicted box, widened to its gate.
        let reach: Vec<[f64; 4]> = rows
            .iter()
            .enumerate()
            .map(|(r, &t)| {
                let mut rect = predicted[t];
                if let Some(Some(p)) = projections.get(r) {
                    let (gx, gy) = p.reach(CHI_SQUARE_95_4DOF);
                    let (cx, cy) = (self.tracks[t].kalman.mean[0], self.tracks[t].kalman.mean[1]);
                    rect = [rect[0].min(cx - gx), rect[1].min(cy - gy), rect[2].max(cx + gx), rect[3].max(cy + gy)];
                }
                rect
            })
            .collect();
        let col_boxes: Vec<[f64; 4]> = cols.iter().map(|&d| dets.boxes[d]).collect();
        // Below a cost of 1, every measure needs the boxes to intersect (disjoint boxes have an
        // overlap of 0 or less), so the grid finds every candidate.
        let grid = (rule.threshold < 1.0).then(|| Grid::new(&col_boxes));
        let mut seen = vec![0; cols.len()];
        let mut found = Vec::new();
        let mut edges = Vec::new();
        for (r, &t) in rows.iter().enumerate() {
            found.clear();
            match &grid {
                Some(grid) => grid.query(&reach[r], &col_boxes, r + 1, &mut seen, &mut found),
                None => found.extend(0..cols.len()),
            }
            found.sort_unstable();
            let track = &self.tracks[t];
            for &c in &found {
                let d = cols[c];
                let mut overlap = pair_overlap(self.config.measure, &predicted[t], &dets.boxes[d]);
                if rule.fuse_score {
                    overlap *= dets.scores[d].clamp(0.0, 1.0);
                }
                let motion = 1.0 - overlap;
                let cost = match (appearance, projections.get(r).and_then(Option::as_ref), dets.unit(d)) {
                    (Some(a), Some(projection), Some(unit)) => {
                        let distance = cosine_distance(&track.embedding, unit);
                        if distance > a.max_distance || projection.distance(xyah(&dets.boxes[d])) > CHI_SQUARE_95_4DOF {
                            continue;
                        }
                        a.motion_weight * motion + (1.0 - a.motion_weight) * distance
                    }
                    _ => motion,
                };
                if cost <= rule.threshold {
                    edges.push((r, c, cost));
                }
            }
        }
        let pairs = solve_components(rows.len(), cols.len(), &edges, rule.threshold)?;
        Ok(pairs.into_iter().map(|(r, c)| (rows[r], cols[c])).collect())
    }

    /// Corrects track `t` with detection `d`.
    fn apply(&mut self, t: usize, d: usize, frame: i64, dets: &Detections<'_>, with_embedding: bool) {
        let track = &mut self.tracks[t];
        let z = xyah(&dets.boxes[d]);
        if self.filter.update(&mut track.kalman, z).is_err() {
            // Only a state of height 0 fails; restart it from the detection.
            track.kalman = self.filter.initiate(z);
        }
        track.last = frame;
        track.score = dets.scores[d];
        track.detection = d;
        track.hits = track.hits.saturating_add(1);
        if track.status == Status::Lost {
            track.status = Status::Tracked;
        }
        if let (true, Some(unit), Some(a)) = (with_embedding, dets.unit(d), self.config.appearance) {
            smooth(&mut track.embedding, unit, a.momentum);
        }
    }

    /// ByteTrack's `remove_duplicate_stracks`: of a tracked and a lost track whose boxes overlap
    /// by more than `duplicate_iou`, the younger goes (the tracked one on a tie).
    fn remove_duplicates(&self, frame: i64, removed: &mut [bool]) {
        let limit = self.config.duplicate_iou;
        if limit >= 1.0 {
            return;
        }
        let live = |t: &usize| !removed[*t];
        let lost: Vec<usize> =
            (0..self.tracks.len()).filter(live).filter(|&t| self.tracks[t].status == Status::Lost).collect();
        if lost.is_empty() {
            return;
        }
        let tracked: Vec<usize> = (0..self.tracks.len())
            .filter(live)
            .filter(|&t| self.tracks[t].last == frame && self.tracks[t].status != Status::Lost)
            .collect();
        let lost_boxes: Vec<[f64; 4]> = lost.iter().map(|&t| self.tracks[t].kalman.xyxy()).collect();
        let grid = Grid::new(&lost_boxes);
        let mut seen = vec![0; lost.len()];
        let mut found = Vec::new();
        for (k, &p) in tracked.iter().enumerate() {
            let b = self.tracks[p].kalman.xyxy();
            found.clear();
            grid.query(&b, &lost_boxes, k + 1, &mut seen, &mut found);
            found.sort_unstable();
            for &c in &found {
                let q = lost[c];
                if box_iou_pair(&b, &lost_boxes[c], 0.0) > limit {
                    let (age_p, age_q) = (frame.abs_diff(self.tracks[p].start), frame.abs_diff(self.tracks[q].start));
                    removed[if age_p > age_q { q } else { p }] = true;
                }
            }
        }
    }
}

/// Unit embeddings for a frame (zero vectors mark detections without one).
fn detections<'a>(boxes: &'a [[f64; 4]], scores: &'a [f64], embeddings: Option<&[f32]>, dim: usize) -> Detections<'a> {
    let mut dets = Detections { boxes, scores, units: Vec::new(), has_unit: Vec::new(), dim: 0 };
    if let (Some(e), true) = (embeddings, dim > 0) {
        dets.dim = dim;
        dets.units = e.to_vec();
        dets.has_unit = dets
            .units
            .chunks_exact_mut(dim)
            .map(|v| {
                let norm = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
                v.iter_mut().for_each(|x| *x = (f64::from(*x) / norm) as f32);
                norm > 0.0 && norm.is_finite()
            })
            .collect();
    }
    dets
}

/// `1 - cos`, for unit vectors; an empty track embedding never reaches here.
fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
    (1.0 - dot).max(0.0)
}

/// The exponential average of unit embeddings, renormalised.
fn smooth(track: &mut Vec<f32>, unit: &[f32], momentum: f64) {
    if track.is_empty() {
        track.extend_from_slice(unit);
        return;
    }
    let mixed: Vec<f64> =
        track.iter().zip(unit).map(|(&e, &f)| momentum * f64::from(e) + (1.0 - momentum) * f64::from(f)).collect();
    let norm = mixed.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        track.iter_mut().zip(&mixed).for_each(|(e, &m)| *e = (m / norm) as f32);
    } else {
        // Opposite directions cancelled out: take the new one.
        track.copy_from_slice(unit);
    }
}

fn pair_overlap(measure: BoxMeasure, a: &[f64; 4], b: &[f64; 4]) -> f64 {
    measure.pair(a, b, 0.0)
}

/// The optimal assignment of `nr` rows to `nc` columns over the allowed `edges` `(row, col,
/// cost)` (sorted by row), each row or column free to stay unmatched at a cost of `threshold`
/// per row; solved on each connected component of the edges.
///
/// A component of `m` rows and `n` columns becomes an `m × (n + m)` matrix whose extra column
/// `n + k` lets row `k` stay unmatched at cost `threshold`. Up to a constant, this is the same
/// objective as `lap.lapjv(extend_cost=True, cost_limit=threshold)` in ByteTrack, which charges
/// `threshold / 2` for each unmatched row and each unmatched column.
fn solve_components(
    nr: usize,
    nc: usize,
    edges: &[(usize, usize, f64)],
    threshold: f64,
) -> Result<Vec<(usize, usize)>, TrackError> {
    let mut parent: Vec<usize> = (0..nr + nc).collect();
    for &(r, c, _) in edges {
        let (a, b) = (root(&mut parent, r), root(&mut parent, nr + c));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    // Components in order of their first row.
    let mut block_of = vec![usize::MAX; nr + nc];
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    for (e, &(r, _, _)) in edges.iter().enumerate() {
        let top = root(&mut parent, r);
        if block_of[top] == usize::MAX {
            block_of[top] = blocks.len();
            blocks.push(Vec::new());
        }
        blocks[block_of[top]].push(e);
    }
    let mut pairs = Vec::new();
    let (mut row_at, mut col_at) = (vec![0; nr], vec![0; nc]);
    let mut cost = Vec::new();
    for block in blocks {
        if let [e] = block[..] {
            pairs.push((edges[e].0, edges[e].1));
            continue;
        }
        let mut rows: Vec<usize> = block.iter().map(|&e| edges[e].0).collect();
        let mut cols: Vec<usize> = block.iter().map(|&e| edges[e].1).collect();
        for list in [&mut rows, &mut cols] {
            list.sort_unstable();
            list.dedup();
        }
        rows.iter().enumerate().for_each(|(k, &r)| row_at[r] = k);
        cols.iter().enumerate().for_each(|(k, &c)| col_at[c] = k);
        let (m, n) = (rows.len(), cols.len());
        let width = n + m;
        cost.clear();
        cost.resize(m * width, f64::INFINITY);
        for &e in &block {
            let (r, c, v) = edges[e];
            cost[row_at[r] * width + col_at[c]] = v;
        }
        for k in 0..m {
            cost[k * width + n + k] = threshold;
        }
        for (k, j) in linear_sum_assignment(&cost, m, width)? {
            if j < n {
                pairs.push((rows[k], cols[j]));
            }
        }
    }
    pairs.sort_unstable();
    Ok(pairs)
}

fn root(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

/// A uniform grid over boxes, for finding the boxes that meet a rectangle.
struct Grid {
    origin: [f64; 2],
    inv_cell: f64,
    nx: usize,
    ny: usize,
    /// Cell `k` holds `items[starts[k]..starts[k + 1]]`.
    starts: Vec<usize>,
    items: Vec<usize>,
}

impl Grid {
    /// About one cell per box, each cell about the mean box size.
    fn new(boxes: &[[f64; 4]]) -> Self {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        let mut size = 0.0;
        for b in boxes {
            lo = [lo[0].min(b[0]), lo[1].min(b[1])];
            hi = [hi[0].max(b[2]), hi[1].max(b[3])];
            size += (b[2] - b[0] + b[3] - b[1]) / 2.0;
        }
        let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]);
        let budget = (4 * boxes.len() + 16) as f64;
        let mut cell = (size / boxes.len().max(1) as f64).max(extent / 1024.0);
        let counts = |cell: f64| ((hi[0] - lo[0]) / cell + 1.0, (hi[1] - lo[1]) / cell + 1.0);
        let (nx, ny) = if boxes.is_empty() || !(extent.is_finite() && cell.is_finite()) || cell <= 0.0 {
            cell = 1.0;
            (1, 1)
        } else {
            let (mut fx, mut fy) = counts(cell);
            while fx.floor() * fy.floor() > budget {
                cell *= 2.0;
                (fx, fy) = counts(cell);
            }
            (fx as usize, fy as usize)
        };
        let origin = if boxes.is_empty() { [0.0; 2] } else { lo };
        let mut grid = Grid { origin, inv_cell: 1.0 / cell, nx, ny, starts: vec![0; nx * ny + 1], items: Vec::new() };
        for b in boxes {
            let (x0, x1, y0, y1) = grid.cells(b);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    grid.starts[y * nx + x + 1] += 1;
                }
            }
        }
        for k in 0..nx * ny {
            grid.starts[k + 1] += grid.starts[k];
        }
        let mut fill = grid.starts.clone();
        grid.items = vec![0; grid.starts[nx * ny]];
        for (i, b) in boxes.iter().enumerate() {
            let (x0, x1, y0, y1) = grid.cells(b);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    grid.items[fill[y * nx + x]] = i;
                    fill[y * nx + x] += 1;
                }
            }
        }
        grid
    }

    /// The inclusive cell ranges `(x0, x1, y0, y1)` a rectangle covers, clamped to the grid.
    fn cells(&self, r: &[f64; 4]) -> (usize, usize, usize, usize) {
        let at = |v: f64, o: f64, n: usize| ((v - o) * self.inv_cell).floor().clamp(0.0, (n - 1) as f64) as usize;
        let (ox, oy) = (self.origin[0], self.origin[1]);
        (at(r[0], ox, self.nx), at(r[2], ox, self.nx), at(r[1], oy, self.ny), at(r[3], oy, self.ny))
    }

    /// Appends to `out` the boxes that meet `r` (edges included), each once: `seen` marks the
    /// boxes already reported under `stamp`.
    fn query(&self, r: &[f64; 4], boxes: &[[f64; 4]], stamp: usize, seen: &mut [usize], out: &mut Vec<usize>) {
        let (x0, x1, y0, y1) = self.cells(r);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let k = y * self.nx + x;
                for &i in &self.items[self.starts[k]..self.starts[k + 1]] {
                    let b = &boxes[i];
                    if seen[i] != stamp && b[0] <= r[2] && r[0] <= b[2] && b[1] <= r[3] && r[1] <= b[3] {
                        seen[i] = stamp;
                        out.push(i);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use softkit_sim::Rng;

    use super::*;

    /// The component-wise solution reaches the optimum of one dense problem with the same
    /// forbidden pairs and the same price for leaving a row unmatched.
    #[test]
    fn components_reach_the_dense_optimum() {
        let mut rng = Rng::new(11);
        for _ in 0..300 {
            let (nr, nc) = (1 + rng.below(7), 1 + rng.below(7));
            let threshold = 0.8;
            let mut edges = Vec::new();
            for r in 0..nr {
                for c in 0..nc {
                    if rng.unit() < 0.3 {
                        edges.push((r, c, (rng.below(9) as f64) / 10.0));
                    }
                }
            }
            let pairs = solve_components(nr, nc, &edges, threshold).unwrap();
            let total = |pairs: &[(usize, usize)]| {
                let matched: f64 =
                    pairs.iter().map(|&(r, c)| edges.iter().find(|e| e.0 == r && e.1 == c).unwrap().2).sum();
                matched + (nr - pairs.len()) as f64 * threshold
            };
            let width = nc + nr;
            let mut dense = vec![f64::INFINITY; nr * width];
            for &(r, c, v) in &edges {
                dense[r * width + c] = v;
            }
            for k in 0..nr {
                dense[k * width + nc + k] = threshold;
            }
            let best: Vec<(usize, usize)> =
                linear_sum_assignment(&dense, nr, width).unwrap().into_iter().filter(|&(_, c)| c < nc).collect();
            assert!((total(&pairs) - total(&best)).abs() < 1e-12, "{edges:?}");
            let mut cols: Vec<usize> = pairs.iter().map(|p| p.1).collect();
            cols.sort_unstable();
            cols.dedup();
            assert_eq!(cols.len(), pairs.len());
        }
    }

    /// The grid finds exactly the boxes that meet a rectangle.
    #[test]
    fn grid_finds_every_meeting_box() {
        let mut rng = Rng::new(5);
        let boxes: Vec<[f64; 4]> = (0..200)
            .map(|_| {
                let (x, y) = (rng.uniform(0.0, 500.0), rng.uniform(0.0, 300.0));
                // A few large boxes span many cells.
                let s = if rng.below(20) == 0 { 150.0 } else { rng.uniform(0.0, 30.0) };
                [x, y, x + s, y + rng.uniform(0.0, 30.0)]
            })
            .collect();
        let grid = Grid::new(&boxes);
        let mut seen = vec![0; boxes.len()];
        for q in 0..100 {
            let (x, y) = (rng.uniform(-50.0, 550.0), rng.uniform(-50.0, 350.0));
            let r = [x, y, x + rng.uniform(0.0, 60.0), y + rng.uniform(0.0, 60.0)];
            let mut found = Vec::new();
            grid.query(&r, &boxes, q + 1, &mut seen, &mut found);
            found.sort_unstable();
            let expected: Vec<usize> = (0..boxes.len())
                .filter(|&i| {
                    let b = boxes[i];
                    b[0] <= r[2] && r[0] <= b[2] && b[1] <= r[3] && r[1] <= b[3]
                })
                .collect();
            assert_eq!(found, expected);
        }
        // Degenerate inputs build a usable grid.
        for boxes in [vec![], vec![[3.0, 3.0, 3.0, 3.0]; 4], vec![[0.0, 0.0, 1e300, 1e300], [-1e300, 0.0, 0.0, 1.0]]] {
            let grid = Grid::new(&boxes);
            let mut found = Vec::new();
            grid.query(&[0.0, 0.0, 5.0, 5.0], &boxes, 1, &mut vec![0; boxes.len()], &mut found);
            assert!(found.len() <= boxes.len());
        }
    }

    #[test]
    fn smoothing_keeps_unit_length() {
        let mut e = Vec::new();
        smooth(&mut e, &[1.0, 0.0], 0.9);
        assert_eq!(e, vec![1.0, 0.0]);
        smooth(&mut e, &[0.0, 1.0], 0.9);
        let n: f32 = e.iter().map(|v| v * v).sum();
        assert!((n - 1.0).abs() < 1e-6 && e[0] > e[1]);
        let opposite = [-e[0], -e[1]];
        smooth(&mut e, &opposite, 0.5);
        assert!((e[0] + 0.9 / 0.9055).abs() < 0.01);
    }
}
