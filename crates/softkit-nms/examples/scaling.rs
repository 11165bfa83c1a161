//! Times hard NMS and Soft-NMS on random scenes against sorting the scores (the floor).
//!
//! `cargo run --release -p softkit-nms --example scaling`
use std::time::Instant;

use softkit_geom::{BoxMeasure, BoxSet};
use softkit_nms::{SuppressParams, suppress};
use softkit_sim::Rng;

fn scene(n: usize, image: f32, seed: u64) -> (Vec<[f32; 4]>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let mut next = || rng.unit() as f32;
    let boxes = (0..n)
        .map(|_| {
            let (x, y) = (next() * image, next() * image);
            [x, y, x + 8.0 + 52.0 * next(), y + 8.0 + 52.0 * next()]
        })
        .collect();
    (boxes, (0..n).map(|_| next()).collect())
}

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[3]
}

fn main() {
    let scenes = [(5_000, 1000.0), (20_000, 10_000.0), (20_000, 1000.0), (100_000, 1000.0), (100_000, 10_000.0)];
    let count = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(scenes.len());
    for &(n, image) in &scenes[..count] {
        let (boxes, scores) = scene(n, image, 1);
        let set = BoxSet::new(&boxes, BoxMeasure::Iou, 0.0).unwrap();
        let sort = median_ms(|| {
            let mut s = scores.clone();
            s.sort_unstable_by(|a, b| b.total_cmp(a));
            std::hint::black_box(s);
        });
        let hard = median_ms(|| {
            std::hint::black_box(suppress(&set, &scores, &SuppressParams::hard(0.5)).unwrap());
        });
        let gauss = median_ms(|| {
            std::hint::black_box(suppress(&set, &scores, &SuppressParams::gaussian(0.5)).unwrap());
        });
        let kept = suppress(&set, &scores, &SuppressParams::gaussian(0.5)).unwrap().indices.len();
        println!(
            "n {n:>6} image {image:>6}: sort {sort:8.3} ms  hard {hard:9.3} ms ({:6.1}x)  gaussian {gauss:9.3} ms ({:6.1}x) kept {kept}",
            hard / sort,
            gauss / sort
        );
    }
}
