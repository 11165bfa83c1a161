//! The decode and suppress stages of `softkit detect` alone, on the real YOLOX-nano head: checking
//! the output tensor, decoding it, and suppressing the candidates class-wise (hard NMS at IoU 0.65
//! and Gaussian Soft-NMS), per image, beside a pass that only reads the output's bytes.
//!
//!     cargo bench -p softkit-decode --bench decode
//!
//! Runs YOLOX-nano once per letterboxed PNG of `../shared/data/yolox-nano/letterboxed` (tract),
//! then times each step 200 times per output; prints medians in microseconds.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use softkit_decode::{HeadTensor, InputSpec, OnnxModel, YoloxHead, read_image};
use softkit_geom::{BoxMeasure, BoxSet};
use softkit_nms::{SuppressParams, suppress_batched};

fn median_us(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/yolox-nano");
    let model = OnnxModel::load(&data.join("yolox_nano.onnx"), None)?;
    let mut files: Vec<_> =
        std::fs::read_dir(data.join("letterboxed"))?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    files.sort();
    files.truncate(20);
    let shape = model.outputs()[0].shape.clone();
    let head = YoloxHead::new([416, 416], 0.001);
    let (mut check, mut decode, mut read, mut kept) = (Vec::new(), Vec::new(), Vec::new(), 0);
    let (mut hard, mut soft) = (Vec::new(), Vec::new());
    // As `softkit detect` runs them: --conf 0.001, --max-det 100.
    let with_cap = |p: SuppressParams| SuppressParams { score_threshold: 0.001, max_output: Some(100), ..p };
    let (hard_params, soft_params) = (with_cap(SuppressParams::hard(0.65)), with_cap(SuppressParams::gaussian(0.5)));
    for file in &files {
        let (image, _) = read_image(file)?;
        let (tensor, _) = InputSpec::yolox([416, 416]).letterbox(&image)?;
        let output = model.run(tensor)?.swap_remove(0);
        read.push(median_us(|| {
            black_box(output.iter().fold(0.0_f32, |a, &v| a + v));
        }));
        check.push(median_us(|| {
            black_box(HeadTensor::new("output", &shape, &output).is_ok());
        }));
        let view = HeadTensor::new("output", &shape, &output)?;
        decode.push(median_us(|| {
            black_box(head.decode(&view).map(|c| c.len()).ok());
        }));
        let candidates = head.decode(&view)?;
        kept += candidates.len();
        let labels: Vec<i64> = candidates.labels.iter().map(|&l| i64::from(l)).collect();
        for (params, times) in [(&hard_params, &mut hard), (&soft_params, &mut soft)] {
            times.push(median_us(|| {
                let set = BoxSet::new(&candidates.geometry, BoxMeasure::Iou, 0.0).ok();
                let kept = set.and_then(|set| suppress_batched(&set, &candidates.scores, &labels, params).ok());
                black_box(kept.map(|k| k.indices.len()));
            }));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("YOLOX-nano head (1, 3549, 85), {} images, {} candidates in all above 0.001", files.len(), kept);
    println!("| step | median us per image |\n|---|---:|");
    println!("| sum the output (reads every byte once) | {:.1} |", median(read));
    println!("| HeadTensor::new (shape and finiteness check) | {:.1} |", median(check));
    println!("| YoloxHead::decode | {:.1} |", median(decode));
    println!("| hard NMS, IoU 0.65, class-wise (BoxSet::new + suppress_batched) | {:.1} |", median(hard));
    println!("| Gaussian Soft-NMS, sigma 0.5, class-wise | {:.1} |", median(soft));
    Ok(())
}
