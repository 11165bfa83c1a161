//! The ByteTrack tracker on seeded synthetic scenes: identity over long sequences, the
//! low-score stage under occlusion, the appearance term, the birth and death rules, and bad
//! input.

use softkit_geom::box_iou_pair;
use softkit_sim::Rng;
use softkit_track::{Appearance, ByteTracker, Sequence, TrackOutput, TrackerConfig, mot_metrics};

/// An object moving with constant velocity: its box at frame `t` is `start + t * velocity`.
#[derive(Clone, Copy, Debug)]
struct Object {
    x: f64,
    y: f64,
    vx: f64,
    vy: f64,
    w: f64,
    h: f64,
}

impl Object {
    fn at(&self, t: f64) -> [f64; 4] {
        let (x, y) = (self.x + self.vx * t, self.y + self.vy * t);
        [x, y, x + self.w, y + self.h]
    }
}

/// One frame of detections, with the object each came from (`None` for a false positive).
struct Frame {
    boxes: Vec<[f64; 4]>,
    scores: Vec<f64>,
    source: Vec<Option<usize>>,
}

fn jitter(rng: &mut Rng, b: [f64; 4], sigma: f64) -> [f64; 4] {
    let mut j = b.map(|v| v + sigma * rng.normal());
    // Jitter never inverts a box of these sizes, but keep it valid regardless.
    j[2] = j[2].max(j[0] + 1.0);
    j[3] = j[3].max(j[1] + 1.0);
    j
}

/// Runs the tracker over `frames` (numbered from 1) and returns each frame's outputs.
fn run(config: TrackerConfig, frames: &[Frame]) -> Vec<Vec<TrackOutput>> {
    let mut tracker = ByteTracker::new(config).unwrap();
    frames.iter().enumerate().map(|(t, f)| tracker.update(t as i64 + 1, &f.boxes, &f.scores, None).unwrap()).collect()
}

/// Per object and frame, the id of the output matched to that object's detection (if any).
fn ids_per_object(frames: &[Frame], outputs: &[Vec<TrackOutput>], objects: usize) -> Vec<Vec<Option<u64>>> {
    let mut ids = vec![vec![None; frames.len()]; objects];
    for (t, (frame, out)) in frames.iter().zip(outputs).enumerate() {
        for o in out {
            if let Some(k) = frame.source[o.detection] {
                ids[k][t] = Some(o.id);
            }
        }
    }
    ids
}

/// Identity switches (the id differs from the last one seen) and fragmentations (an object
/// tracked again after frames untracked), over all objects.
fn switches_and_fragmentations(ids: &[Vec<Option<u64>>]) -> (usize, usize) {
    let (mut switches, mut fragmentations) = (0, 0);
    for row in ids {
        let mut last: Option<u64> = None;
        let mut gap = false;
        for id in row {
            match (id, last) {
                (Some(id), Some(prev)) => {
                    switches += usize::from(*id != prev);
                    fragmentations += usize::from(gap);
                    gap = false;
                    last = Some(*id);
                }
                (Some(id), None) => last = Some(*id),
                (None, Some(_)) => gap = true,
                (None, None) => {}
            }
        }
    }
    (switches, fragmentations)
}

/// 20 objects over 300 frames, six of them in pairs that cross at frame 150, the rest at
/// random; detections jittered, 10% dropped, and false positives added. Also returns, per frame
/// and object, whether the object was detected.
fn crowd_scene(seed: u64) -> (Vec<Object>, Vec<Frame>, Vec<Vec<bool>>) {
    let mut rng = Rng::new(seed);
    let mut objects = Vec::new();
    for k in 0..20 {
        let (w, h) = (rng.uniform(30.0, 60.0), rng.uniform(70.0, 130.0));
        let (vx, vy) = (rng.uniform(-3.0, 3.0), rng.uniform(-1.5, 1.5));
        if k < 6 && k % 2 == 1 {
            // Cross the previous object: reach its frame-150 position at frame 150.
            let prev: Object = objects[k - 1];
            let meet = prev.at(150.0);
            objects.push(Object { x: meet[0] - 150.0 * vx, y: meet[1] - 150.0 * vy, vx, vy, w, h });
        } else {
            objects.push(Object { x: rng.uniform(0.0, 1500.0), y: rng.uniform(0.0, 800.0), vx, vy, w, h });
        }
    }
    let mut frames = Vec::new();
    let mut detected = Vec::new();
    for t in 0..300 {
        let mut dets: Vec<([f64; 4], f64, Option<usize>)> = Vec::new();
        let mut seen = vec![false; objects.len()];
        for (k, o) in objects.iter().enumerate() {
            if rng.unit() < 0.1 {
                continue;
            }
            seen[k] = true;
            dets.push((jitter(&mut rng, o.at(t as f64), 1.5), rng.uniform(0.65, 0.95), Some(k)));
        }
        for _ in 0..3 {
            let (x, y) = (rng.uniform(-200.0, 1700.0), rng.uniform(-200.0, 1000.0));
            let b = [x, y, x + rng.uniform(20.0, 60.0), y + rng.uniform(40.0, 120.0)];
            dets.push((b, rng.uniform(0.3, 0.8), None));
        }
        rng.shuffle(&mut dets);
        detected.push(seen);
        frames.push(Frame {
            boxes: dets.iter().map(|d| d.0).collect(),
            scores: dets.iter().map(|d| d.1).collect(),
            source: dets.iter().map(|d| d.2).collect(),
        });
    }
    (objects, frames, detected)
}

fn xywh(b: &[f64; 4]) -> [f64; 4] {
    [b[0], b[1], b[2] - b[0], b[3] - b[1]]
}

#[test]
fn a_crowd_keeps_its_identities() {
    let (objects, frames, detected) = crowd_scene(2024);
    let outputs = run(TrackerConfig::default(), &frames);

    // The tracker reports a track only in frames where it was matched (as ByteTrack does), so
    // coverage is counted over the ground-truth boxes that were detected: each must be
    // reported through its own detection, with a filtered box close to the truth.
    let (mut covered, mut total) = (0, 0);
    for (t, (frame, out)) in frames.iter().zip(&outputs).enumerate() {
        for (k, o) in objects.iter().enumerate() {
            if !detected[t][k] {
                continue;
            }
            total += 1;
            let truth = o.at(t as f64);
            covered += usize::from(
                out.iter().any(|r| frame.source[r.detection] == Some(k) && box_iou_pair(&r.bbox, &truth, 0.0) >= 0.5),
            );
        }
    }
    let coverage = covered as f64 / total as f64;
    assert!(coverage >= 0.95, "coverage {coverage}");

    // Identity consistency: the share of an object's reported frames that carry its most
    // frequent id.
    let ids = ids_per_object(&frames, &outputs, objects.len());
    let mut worst: f64 = 1.0;
    let (mut majority_total, mut reported_total) = (0, 0);
    for row in &ids {
        let mut seen: Vec<u64> = row.iter().flatten().copied().collect();
        seen.sort_unstable();
        let majority = seen.chunk_by(|a, b| a == b).map(<[u64]>::len).max().unwrap_or(0);
        worst = worst.min(majority as f64 / seen.len() as f64);
        majority_total += majority;
        reported_total += seen.len();
    }
    let consistency = majority_total as f64 / reported_total as f64;
    assert!(consistency >= 0.97, "identity consistency {consistency}");
    assert!(worst >= 0.8, "worst object keeps its main id in only {worst} of its frames");
    let (switches, _) = switches_and_fragmentations(&ids);
    assert!(switches <= 4, "{switches} identity switches");

    // The project's IDF1, against every ground-truth box (missed frames included).
    let mut gt_rows = (Vec::new(), Vec::new(), Vec::new());
    let mut hyp_rows = (Vec::new(), Vec::new(), Vec::new());
    for (t, out) in outputs.iter().enumerate() {
        for (k, o) in objects.iter().enumerate() {
            gt_rows.0.push(t as i64 + 1);
            gt_rows.1.push(k as i64 + 1);
            gt_rows.2.push(xywh(&o.at(t as f64)));
        }
        for r in out {
            hyp_rows.0.push(t as i64 + 1);
            hyp_rows.1.push(r.id as i64);
            hyp_rows.2.push(xywh(&r.bbox));
        }
    }
    let gt = Sequence::new(&gt_rows.0, &gt_rows.1, &gt_rows.2).unwrap();
    let hyp = Sequence::new(&hyp_rows.0, &hyp_rows.1, &hyp_rows.2).unwrap();
    let m = mot_metrics(&gt, &hyp, 0.5).unwrap();
    assert!(m.idf1 > 0.9, "IDF1 {}", m.idf1);

    // Deterministic: the same input gives the same output.
    assert_eq!(outputs, run(TrackerConfig::default(), &frames));
}

/// Twelve objects walk in lanes past a pillar; behind it their detection scores fall to
/// 0.2-0.4 for 40 to 75 frames, longer than `max_age`.
fn pillar_scene(seed: u64) -> (usize, Vec<Frame>) {
    let mut rng = Rng::new(seed);
    let mut objects: Vec<(f64, f64, f64, f64, f64)> = (0..12)
        .map(|k| {
            let (w, h) = (rng.uniform(35.0, 50.0), rng.uniform(70.0, 90.0));
            // Half walk right, half left, each in its own lane.
            let (x, vx) =
                if k % 2 == 0 { (rng.uniform(450.0, 650.0), 2.0) } else { (rng.uniform(1000.0, 1200.0), -2.0) };
            (x, 110.0 * k as f64, vx * rng.uniform(1.0, 1.5), w, h)
        })
        .collect();
    let mut frames = Vec::new();
    for _ in 0..300 {
        let mut dets = Vec::new();
        for (k, o) in objects.iter_mut().enumerate() {
            // A small random walk on the speed, so that a long blind prediction drifts.
            o.2 += 0.03 * rng.normal();
            o.0 += o.2;
            let b = [o.0, o.1, o.0 + o.3, o.1 + o.4];
            let centre = (b[0] + b[2]) / 2.0;
            let behind = (750.0..900.0).contains(&centre);
            let score = if behind { rng.uniform(0.2, 0.4) } else { rng.uniform(0.7, 0.95) };
            dets.push((jitter(&mut rng, b, 1.0), score, Some(k)));
        }
        rng.shuffle(&mut dets);
        frames.push(Frame {
            boxes: dets.iter().map(|d| d.0).collect(),
            scores: dets.iter().map(|d| d.1).collect(),
            source: dets.iter().map(|d| d.2).collect(),
        });
    }
    (objects.len(), frames)
}

#[test]
fn the_low_score_stage_bridges_occlusions() {
    let (objects, frames) = pillar_scene(7);
    let with_low = ids_per_object(&frames, &run(TrackerConfig::default(), &frames), objects);
    let without = TrackerConfig { low_threshold: 0.5, ..TrackerConfig::default() };
    let without_low = ids_per_object(&frames, &run(without, &frames), objects);
    let (s1, f1) = switches_and_fragmentations(&with_low);
    let (s2, f2) = switches_and_fragmentations(&without_low);
    assert!(s1 + f1 < s2 + f2, "with the low stage: {s1} switches, {f1} fragmentations; without: {s2}, {f2}");
    // Every object crosses the pillar, and without the second stage it loses its track there.
    assert!(s2 + f2 >= objects, "without the low stage: {s2} switches, {f2} fragmentations");
    assert!(s1 + f1 <= 1, "with the low stage: {s1} switches, {f1} fragmentations");
    // Behind the pillar, the objects are still reported.
    let reported: usize = with_low.iter().map(|row| row.iter().flatten().count()).sum();
    assert!(reported as f64 >= 0.98 * (objects * frames.len()) as f64, "{reported} reported");
}

/// Two objects of the same size meet head-on at frame 50, overlap exactly, and walk back the
/// way they came. Motion alone reads this as a crossing: each track keeps its velocity and
/// follows the other object. Their embeddings tell them apart.
fn bounce(appearance: bool) -> (Vec<Option<u64>>, Vec<Option<u64>>) {
    let mut rng = Rng::new(3);
    let config = if appearance {
        TrackerConfig { appearance: Some(Appearance::new(4)), ..TrackerConfig::default() }
    } else {
        TrackerConfig::default()
    };
    let mut tracker = ByteTracker::new(config).unwrap();
    let (mut ids_a, mut ids_b) = (Vec::new(), Vec::new());
    for t in 0..100_i64 {
        let offset = 2.0 * (50 - (t - 50).abs()) as f64;
        let xa = 100.0 + offset;
        let xb = 300.0 - offset;
        let boxes = [[xa, 0.0, xa + 40.0, 80.0], [xb, 0.0, xb + 40.0, 80.0]];
        let mut embeddings = [1.0_f32, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        embeddings.iter_mut().for_each(|v| *v += 0.05 * rng.normal() as f32);
        let out = tracker.update(t, &boxes, &[0.9, 0.9], appearance.then_some(&embeddings[..])).unwrap();
        let id_of = |d: usize| out.iter().find(|o| o.detection == d).map(|o| o.id);
        ids_a.push(id_of(0));
        ids_b.push(id_of(1));
    }
    (ids_a, ids_b)
}

#[test]
fn appearance_keeps_identities_that_motion_swaps() {
    let (a, b) = bounce(true);
    assert_eq!((a[10], b[10]), (Some(1), Some(2)));
    assert!(a.iter().all(|&id| id == Some(1)), "{a:?}");
    assert!(b.iter().all(|&id| id == Some(2)), "{b:?}");

    let (a, b) = bounce(false);
    assert_eq!((a[10], b[10]), (Some(1), Some(2)));
    // After the meeting, each object carries the other's id (or a new one).
    assert_ne!(a[90], Some(1), "{a:?}");
    assert_ne!(b[90], Some(2), "{b:?}");
}

#[test]
fn birth_and_death_rules() {
    let b = |x: f64| [x, 0.0, x + 20.0, 40.0];
    // ByteTrack's rule (min_hits 2): tracks born in the first update are confirmed at once;
    // later ones on their second consecutive match.
    let mut tracker = ByteTracker::new(TrackerConfig::default()).unwrap();
    assert_eq!(tracker.update(1, &[b(0.0)], &[0.9], None).unwrap()[0].id, 1);
    let out = tracker.update(2, &[b(1.0), b(500.0)], &[0.9, 0.9], None).unwrap();
    assert_eq!(out.iter().map(|o| o.id).collect::<Vec<_>>(), vec![1]);
    let out = tracker.update(3, &[b(2.0), b(501.0)], &[0.9, 0.9], None).unwrap();
    assert_eq!(out.iter().map(|o| (o.id, o.detection)).collect::<Vec<_>>(), vec![(1, 0), (2, 1)]);
    // A box scoring between high_threshold and new_track_threshold never starts a track.
    let out = tracker.update(4, &[b(3.0), b(502.0), b(900.0)], &[0.9, 0.9, 0.55], None).unwrap();
    assert_eq!(out.len(), 2);
    let out = tracker.update(5, &[b(4.0), b(503.0), b(900.0)], &[0.9, 0.9, 0.55], None).unwrap();
    assert_eq!(out.len(), 2);

    // SORT's min_hits 3: reported from the third consecutive match; a tentative track that
    // misses a frame is deleted and its successor starts over.
    let config = TrackerConfig { min_hits: 3, ..TrackerConfig::default() };
    let mut tracker = ByteTracker::new(config).unwrap();
    tracker.update(1, &[], &[], None).unwrap();
    tracker.update(2, &[], &[], None).unwrap();
    let reported: Vec<usize> = (3..=8)
        .map(|t| {
            let boxes: &[[f64; 4]] = if t == 5 { &[] } else { &[b(t as f64)] };
            tracker.update(t, boxes, &vec![0.9; boxes.len()], None).unwrap().len()
        })
        .collect();
    assert_eq!(reported, vec![0, 0, 0, 0, 0, 1]);

    // max_age: a track lost for up to max_age frames comes back with its id; longer, it is new.
    // Frame numbers may skip: the filter predicts across the gap.
    for (gap, id) in [(5, 1), (30, 1), (31, 2)] {
        let mut tracker = ByteTracker::new(TrackerConfig::default()).unwrap();
        let at = |t: i64| [3.0 * t as f64, 0.0, 3.0 * t as f64 + 40.0, 80.0];
        for t in 1..=10 {
            tracker.update(t, &[at(t)], &[0.9], None).unwrap();
        }
        let back = 10 + gap;
        let out = tracker.update(back, &[at(back)], &[0.9], None).unwrap();
        let out = if id == 1 { out } else { tracker.update(back + 1, &[at(back + 1)], &[0.9], None).unwrap() };
        assert_eq!(out.iter().map(|o| o.id).collect::<Vec<_>>(), vec![id], "gap {gap}");
    }
}

#[test]
fn bad_input_is_named_and_leaves_the_tracker_unchanged() {
    let mut tracker = ByteTracker::new(TrackerConfig::default()).unwrap();
    let ok = [[0.0, 0.0, 10.0, 20.0], [30.0, 0.0, 40.0, 20.0]];
    tracker.update(5, &ok, &[0.9, 0.9], None).unwrap();
    let message = |tracker: &mut ByteTracker, frame, boxes: &[[f64; 4]], scores: &[f64], e: Option<&[f32]>| {
        tracker.update(frame, boxes, scores, e).unwrap_err().to_string()
    };
    assert_eq!(
        message(&mut tracker, 5, &ok, &[0.9, 0.9], None),
        "frame 5 does not come after frame 5: frames must be given in increasing order"
    );
    assert_eq!(
        message(&mut tracker, 4, &ok, &[0.9, 0.9], None),
        "frame 4 does not come after frame 5: frames must be given in increasing order"
    );
    let nan = [ok[0], [30.0, f64::NAN, 40.0, 20.0]];
    assert_eq!(message(&mut tracker, 6, &nan, &[0.9, 0.9], None), "boxes[1].y1 = NaN is not finite");
    let inverted = [[10.0, 0.0, 8.0, 20.0], ok[1]];
    assert_eq!(message(&mut tracker, 6, &inverted, &[0.9, 0.9], None), "boxes[0].x2 - x1 = -2 is negative");
    let inverted = [ok[0], [30.0, 5.0, 40.0, 4.5]];
    assert_eq!(message(&mut tracker, 6, &inverted, &[0.9, 0.9], None), "boxes[1].y2 - y1 = -0.5 is negative");
    assert_eq!(message(&mut tracker, 6, &ok, &[0.9], None), "scores has 1 entries but boxes has 2");
    assert_eq!(message(&mut tracker, 6, &ok, &[0.9, f64::INFINITY], None), "scores[1].value = inf is not finite");
    assert_eq!(
        message(&mut tracker, 6, &ok, &[0.9, 0.9], Some(&[1.0; 8])),
        "embeddings was given but TrackerConfig::appearance is not set"
    );
    // The failed calls changed nothing: frame 6 is still next, and the ids continue.
    let out = tracker.update(6, &ok, &[0.9, 0.9], None).unwrap();
    assert_eq!(out.iter().map(|o| o.id).collect::<Vec<_>>(), vec![1, 2]);

    let config = TrackerConfig { appearance: Some(Appearance::new(4)), ..TrackerConfig::default() };
    let mut tracker = ByteTracker::new(config).unwrap();
    assert_eq!(
        message(&mut tracker, 1, &ok, &[0.9, 0.9], Some(&[1.0; 6])),
        "embeddings has 6 entries but boxes x appearance.dim has 8"
    );
    let mut e = [1.0_f32; 8];
    e[6] = f32::NAN;
    assert_eq!(message(&mut tracker, 1, &ok, &[0.9, 0.9], Some(&e)), "embeddings[1][2].value = NaN is not finite");
    // A zero embedding means "none" for that box, and frames may come without embeddings.
    let mut e = [1.0_f32; 8];
    e[4..].fill(0.0);
    assert_eq!(tracker.update(1, &ok, &[0.9, 0.9], Some(&e)).unwrap().len(), 2);
    assert_eq!(tracker.update(2, &ok, &[0.9, 0.9], None).unwrap().len(), 2);

    // Degenerate boxes are valid input but never tracked.
    let mut tracker = ByteTracker::new(TrackerConfig::default()).unwrap();
    let flat = [[0.0, 0.0, 10.0, 0.0], [5.0, 5.0, 5.0, 9.0]];
    assert!(tracker.update(1, &flat, &[0.9, 0.9], None).unwrap().is_empty());

    // Settings are checked when the tracker is built.
    let bad = |config: TrackerConfig| ByteTracker::new(config).unwrap_err().to_string();
    let d = TrackerConfig::default();
    assert_eq!(bad(TrackerConfig { high_threshold: f64::NAN, ..d }), "high_threshold = NaN is invalid: finite");
    assert_eq!(
        bad(TrackerConfig { match_threshold: -0.1, ..d }),
        "match_threshold = -0.1 is invalid: finite and at least 0"
    );
    assert_eq!(
        bad(TrackerConfig { duplicate_iou: 1.5, ..d }),
        "duplicate_iou = 1.5 is invalid: in [0, 1] (1 disables the duplicate removal)"
    );
    let appearance = Appearance { momentum: 1.0, ..Appearance::new(8) };
    assert_eq!(
        bad(TrackerConfig { appearance: Some(appearance), ..d }),
        "appearance.momentum = 1 is invalid: in [0, 1)"
    );
    assert_eq!(
        bad(TrackerConfig { appearance: Some(Appearance::new(0)), ..d }),
        "appearance.dim = 0 is invalid: at least 1"
    );
}

#[test]
fn other_measures_and_score_fusion_track_too() {
    let (objects, frames, _) = crowd_scene(99);
    for config in [
        TrackerConfig { measure: softkit_geom::BoxMeasure::Giou, ..TrackerConfig::default() },
        TrackerConfig { measure: softkit_geom::BoxMeasure::DIOU, fuse_score: true, ..TrackerConfig::default() },
        // A threshold of 1 or more makes every pair a candidate (the dense path).
        TrackerConfig { measure: softkit_geom::BoxMeasure::Giou, match_threshold: 1.2, ..TrackerConfig::default() },
    ] {
        let ids = ids_per_object(&frames, &run(config, &frames), objects.len());
        let (switches, _) = switches_and_fragmentations(&ids);
        let reported: usize = ids.iter().map(|row| row.iter().flatten().count()).sum();
        assert!(switches <= 6, "{config:?}: {switches} switches");
        assert!(reported as f64 > 0.85 * (objects.len() * frames.len()) as f64, "{config:?}: {reported} reported");
    }
}
