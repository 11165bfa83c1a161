//! Frames per second of `ByteTracker` at 100 and 1,000 objects per frame, on one core.
//!
//! Run with `cargo run --release -p softkit-track --example tracker_speed`. The scenes are
//! seeded: objects move with constant velocity (some crossing), detections are jittered, 5%
//! are dropped, 5% false positives are added, and scores are spread over both association
//! stages. The scene is generated first; only the `update` calls are timed.

use std::time::Instant;

use softkit_sim::Rng;
use softkit_track::{ByteTracker, TrackerConfig};

struct Frame {
    boxes: Vec<[f64; 4]>,
    scores: Vec<f64>,
}

/// `objects` objects over `frames` frames, at `spacing` pixels of side per object (the scene is
/// `spacing · sqrt(objects)` wide, so the density is the same at every size).
fn scene(objects: usize, frames: usize, spacing: f64, seed: u64) -> Vec<Frame> {
    let mut rng = Rng::new(seed);
    let side = spacing * (objects as f64).sqrt();
    let moving: Vec<[f64; 6]> = (0..objects)
        .map(|_| {
            let (w, h) = (rng.uniform(20.0, 60.0), rng.uniform(50.0, 130.0));
            [rng.uniform(0.0, side), rng.uniform(0.0, side), rng.uniform(-3.0, 3.0), rng.uniform(-3.0, 3.0), w, h]
        })
        .collect();
    (0..frames)
        .map(|t| {
            let mut frame = Frame { boxes: Vec::with_capacity(objects * 11 / 10), scores: Vec::new() };
            for o in &moving {
                if rng.unit() < 0.05 {
                    continue;
                }
                let (x, y) = (o[0] + o[2] * t as f64, o[1] + o[3] * t as f64);
                let j: [f64; 4] = std::array::from_fn(|_| 1.5 * rng.normal());
                frame.boxes.push([
                    x + j[0],
                    y + j[1],
                    x + o[4] + j[2].max(1.0 - o[4]),
                    y + o[5] + j[3].max(1.0 - o[5]),
                ]);
                frame.scores.push(rng.uniform(0.2, 1.0));
            }
            for _ in 0..objects / 20 {
                let (x, y) = (rng.uniform(0.0, side), rng.uniform(0.0, side));
                frame.boxes.push([x, y, x + rng.uniform(20.0, 60.0), y + rng.uniform(50.0, 130.0)]);
                frame.scores.push(rng.uniform(0.1, 0.8));
            }
            frame
        })
        .collect()
}

fn main() -> Result<(), softkit_track::TrackError> {
    println!(
        "{:>8} {:>9} {:>7} {:>10} {:>11} {:>15}",
        "objects", "density", "frames", "fps", "ms/frame", "reported/frame"
    );
    for (objects, spacing, label) in [(100, 150.0, "sparse"), (1_000, 150.0, "sparse"), (1_000, 80.0, "crowded")] {
        let frames = 300;
        let scene = scene(objects, frames, spacing, 42);
        let mut tracker = ByteTracker::new(TrackerConfig::default())?;
        let mut reported = 0;
        let start = Instant::now();
        for (t, frame) in scene.iter().enumerate() {
            reported += tracker.update(t as i64 + 1, &frame.boxes, &frame.scores, None)?.len();
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{objects:>8} {label:>9} {frames:>7} {:>10.0} {:>11.3} {:>15.1}",
            frames as f64 / seconds,
            1e3 * seconds / frames as f64,
            reported as f64 / frames as f64
        );
    }
    Ok(())
}
