//! `softkit track`: ByteTrack over a MOTChallenge detection file, one frame at a time.

use std::path::Path;
use std::time::Instant;

use clap::Args;
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_io::{MotRows, read_mot, write_mot};
use softkit_nms::{SuppressParams, suppress_per_image};
use softkit_track::{ByteTracker, TrackerConfig};

/// Arguments of `softkit track`.
#[derive(Args, Debug)]
pub(crate) struct TrackArgs {
    /// Detections in MOTChallenge format (`frame, -1, x, y, w, h, score, ...` per line).
    #[arg(long)]
    detections: String,
    /// Where to write the tracks (`frame, id, x, y, w, h, score, -1, -1, -1` per line).
    #[arg(long)]
    output: String,
    /// The file carries no scores (MOTChallenge writes confidence -1, as the TUD `test.txt` files
    /// do): treat every detection as certain, with score 1.
    #[arg(long)]
    no_scores: bool,
    /// Suppress each frame's detections first: hard NMS at this IoU, across classes.
    #[arg(long, value_name = "IOU")]
    nms: Option<f64>,
    /// Detections scoring above this enter the first association stage.
    #[arg(long, default_value_t = TrackerConfig::default().high_threshold)]
    high_threshold: f64,
    /// Detections scoring above this (and not above --high-threshold) enter the second stage.
    #[arg(long, default_value_t = TrackerConfig::default().low_threshold)]
    low_threshold: f64,
    /// An unmatched first-stage detection starts a track when it scores at least this.
    #[arg(long, default_value_t = TrackerConfig::default().new_track_threshold)]
    new_track_threshold: f64,
    /// Frames a lost track is kept for re-identification.
    #[arg(long, default_value_t = TrackerConfig::default().max_age)]
    max_age: u32,
    /// Matches in a row before a track is confirmed and reported.
    #[arg(long, default_value_t = TrackerConfig::default().min_hits)]
    min_hits: u32,
}

/// The most frames one run steps through (about a week of video at 15 frames per second).
const MAX_FRAME_SPAN: i64 = 10_000_000;

pub(crate) fn run(args: &TrackArgs) -> Result<(), String> {
    let config = TrackerConfig {
        high_threshold: args.high_threshold,
        low_threshold: args.low_threshold,
        new_track_threshold: args.new_track_threshold,
        max_age: args.max_age,
        min_hits: args.min_hits,
        ..TrackerConfig::default()
    };
    let mut tracker = ByteTracker::new(config).map_err(|e| e.to_string())?;
    let nms = args.nms.map(SuppressParams::hard);
    if let Some(params) = &nms {
        params.validate().map_err(|e| format!("--nms: {e}"))?;
    }
    crate::eval_cmd::check_outputs(
        &[("--output", Path::new(&args.output))],
        &[("--detections", Path::new(&args.detections))],
    )?;
    let mut dets = read_mot(&args.detections).map_err(|e| e.to_string())?;
    if args.no_scores {
        dets.confidences.fill(1.0);
    }
    let start = Instant::now();
    let rows = match &nms {
        Some(params) => suppress_frames(&dets, params)?,
        None => (0..dets.len()).collect(),
    };
    let corners: Vec<[f64; 4]> = dets.boxes.iter().map(|&[x, y, w, h]| [x, y, x + w, y + h]).collect();
    let mut by_frame = rows;
    by_frame.sort_by_key(|&r| (dets.frames[r], r));
    let mut tracks = MotRows::default();
    let (first, last) = match (by_frame.first(), by_frame.last()) {
        (Some(&a), Some(&b)) => (dets.frames[a], dets.frames[b]),
        _ => (0, -1),
    };
    if last - first > MAX_FRAME_SPAN {
        return Err(format!(
            "{}: frames run from {first} to {last}; more than {MAX_FRAME_SPAN} frames is not a video this tracks frame by frame",
            args.detections
        ));
    }
    let mut at = 0;
    let (mut boxes, mut scores) = (Vec::new(), Vec::new());
    // Every frame from the first to the last, so that tracks age through frames without detections.
    for frame in first..=last {
        boxes.clear();
        scores.clear();
        while at < by_frame.len() && dets.frames[by_frame[at]] == frame {
            boxes.push(corners[by_frame[at]]);
            scores.push(dets.confidences[by_frame[at]]);
            at += 1;
        }
        let out = tracker.update(frame, &boxes, &scores, None).map_err(|e| format!("frame {frame}: {e}"))?;
        for t in out {
            let [x1, y1, x2, y2] = t.bbox;
            tracks.frames.push(frame);
            tracks.ids.push(t.id as i64);
            tracks.boxes.push([x1, y1, x2 - x1, y2 - y1]);
            tracks.confidences.push(t.score);
        }
    }
    write_mot(&args.output, &tracks).map_err(|e| e.to_string())?;
    let ids = {
        let mut ids = tracks.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    eprintln!(
        "softkit track: {} detections in {} frames -> {} track boxes, {ids} tracks ({:.1} ms) -> {}",
        dets.len(),
        (last - first + 1).max(0),
        tracks.frames.len(),
        start.elapsed().as_secs_f64() * 1e3,
        args.output
    );
    Ok(())
}

/// The rows that class-agnostic hard NMS keeps in each frame.
fn suppress_frames(dets: &MotRows, params: &SuppressParams) -> Result<Vec<usize>, String> {
    let corners: Vec<[f64; 4]> = dets.boxes.iter().map(|&[x, y, w, h]| [x, y, x + w, y + h]).collect();
    let set = BoxSet::new(&corners, BoxMeasure::Iou, 0.0).map_err(|e| e.to_string())?;
    let labels = vec![0; dets.len()];
    let kept = suppress_per_image(&set, &dets.confidences, &dets.frames, &labels, params).map_err(|e| e.to_string())?;
    Ok(kept.indices)
}
