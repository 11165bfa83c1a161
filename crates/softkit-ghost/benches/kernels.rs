//! Softmax kernel throughput next to a plain copy of the same array, the memory-bandwidth floor.
//!
//! GB/s counts the bytes an operation must move at least once: the `[B, K]` input read and the
//! `[B, K]` output written for copy, softmax and log-softmax; the input alone for log-sum-exp.
//! Each figure is the median over samples of at least 2 ms each, on one thread.
//!
//! Run with `cargo bench -p softkit-ghost --bench kernels`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use softkit_ghost::{Kernel, Real};
use softkit_sim::Rng;

const SAMPLES: usize = 15;
const MIN_SAMPLE: Duration = Duration::from_millis(2);
/// Rows of 10, 100, 1,000 and 100,000 classes (issue 17's widths), short rows in many-row batches,
/// plus a 32,000-wide vocabulary.
const SHAPES: [(usize, usize); 5] = [(4096, 10), (4096, 100), (1024, 1000), (64, 32_000), (16, 100_000)];

/// Median seconds per call of `op`.
fn median_secs(mut op: impl FnMut()) -> f64 {
    op();
    let mut iters = 1_u32;
    loop {
        let t = Instant::now();
        for _ in 0..iters {
            op();
        }
        if t.elapsed() >= MIN_SAMPLE {
            break;
        }
        iters *= 2;
    }
    let mut secs: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                op();
            }
            t.elapsed().as_secs_f64() / f64::from(iters)
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    secs[SAMPLES / 2]
}

fn gbps(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e9
}

/// Logits with the spread of a trained classifier's outputs, from a fixed seed.
fn logits<T: Real>(n: usize) -> Vec<T> {
    let mut rng = Rng::new(7);
    (0..n).map(|_| T::from_f64(rng.uniform(-8.0, 8.0))).collect()
}

fn bench<T: Real>(dtype: &str) {
    for (b, k) in SHAPES {
        let n = b * k;
        let bytes = n * T::BYTES;
        let x = logits::<T>(n);
        let mut out = vec![T::from_f64(0.0); n];
        let copy = gbps(2 * bytes, median_secs(|| out.copy_from_slice(black_box(&x))));
        let shape = format!("{b}x{k}");
        let ops: [(&str, usize); 3] = [("softmax", 2 * bytes), ("log_softmax", 2 * bytes), ("log_sum_exp", bytes)];
        for (op, moved) in ops {
            let mut row = format!("{dtype:<5} {shape:<9} {op:<12} {copy:>9.2}");
            for kernel in Kernel::ALL {
                let secs = match op {
                    "softmax" => median_secs(|| kernel.softmax_rows(black_box(&x), k, &mut out).unwrap()),
                    "log_softmax" => median_secs(|| kernel.log_softmax_rows(black_box(&x), k, &mut out).unwrap()),
                    _ => median_secs(|| {
                        black_box(kernel.log_sum_exp_rows(black_box(&x), k).unwrap());
                    }),
                };
                let rate = gbps(moved, secs);
                row += &format!(" {rate:>8.2} ({:>4.1}x)", copy / rate);
                black_box(&out);
            }
            println!("{row}");
        }
    }
}

fn main() {
    println!("GB/s, median of {SAMPLES} samples; (Nx) = copy bandwidth / kernel bandwidth");
    println!(
        "{:<5} {:<9} {:<12} {:>9} {:>16} {:>16} {:>16}",
        "dtype", "shape", "op", "copy", "three-pass", "online", "two-pass"
    );
    bench::<f32>("f32");
    bench::<f64>("f64");
}
