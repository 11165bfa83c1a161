//! `softkit demo`: hard NMS against Soft-NMS on a simulated detector's output.

use std::time::Instant;

use clap::Args;
use softkit_eval::{Category, CocoGroundTruth, CocoResults, Detection, GtAnnotation, Params, evaluate_bbox};
use softkit_geom::{BoxMeasure, BoxSet, box_iou_pair};
use softkit_nms::{Kept, SuppressParams, suppress_batched};

use crate::scene::{Scene, SceneSpec, generate};

/// Arguments of `softkit demo`.
#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Seed of the simulated scene.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Number of true objects.
    #[arg(long, default_value_t = 60)]
    objects: usize,
    /// Side of the square image in pixels.
    #[arg(long, default_value_t = 1000.0)]
    image_size: f64,
    /// Number of classes.
    #[arg(long, default_value_t = 3)]
    classes: i64,
    /// Timing repetitions per method (the median is printed).
    #[arg(long, default_value_t = 51)]
    repeats: usize,
}

/// How the kept boxes of one method line up with the truth.
struct Tally {
    /// True objects matched by any kept box (IoU >= 0.5, same class).
    recall: usize,
    /// Among the top `objects` kept boxes: true objects found, duplicates, false positives.
    found: usize,
    duplicates: usize,
    false_positives: usize,
    /// Paired (overlapping) objects found in the top `objects` kept boxes.
    pairs_found: usize,
}

/// Greedy matching in score order, as an evaluator would do it: each kept box takes the best
/// unmatched true object of its class with IoU >= 0.5.
fn tally(scene: &Scene, kept: &Kept) -> Tally {
    let top = scene.truth.len();
    let mut matched = vec![false; scene.truth.len()];
    let mut t = Tally { recall: 0, found: 0, duplicates: 0, false_positives: 0, pairs_found: 0 };
    for (rank, &i) in kept.indices.iter().enumerate() {
        let best = (0..scene.truth.len())
            .filter(|&o| scene.truth_labels[o] == scene.labels[i])
            .map(|o| (o, box_iou_pair(&scene.boxes[i], &scene.truth[o], 0.0)))
            .filter(|&(o, iou)| iou >= 0.5 && !matched[o])
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((o, _)) => {
                matched[o] = true;
                t.recall += 1;
                if rank < top {
                    t.found += 1;
                    t.pairs_found += usize::from(scene.in_pair[o]);
                }
            }
            None if rank < top => {
                if scene.source[i].is_some() {
                    t.duplicates += 1
                } else {
                    t.false_positives += 1
                }
            }
            None => {}
        }
    }
    t
}

/// The scene's truth as a one-image COCO ground truth: image 1, category id = class label.
fn ground_truth(scene: &Scene, classes: i64) -> Result<CocoGroundTruth, String> {
    let annotations = scene
        .truth
        .iter()
        .zip(&scene.truth_labels)
        .enumerate()
        .map(|(i, (t, &label))| {
            let (w, h) = (t[2] - t[0], t[3] - t[1]);
            // Ids from 1: pycocotools reads annotation id 0 as "unmatched".
            GtAnnotation {
                id: i as i64 + 1,
                image_id: 1,
                category_id: label,
                area: w * h,
                iscrowd: false,
                bbox: Some([t[0], t[1], w, h]),
            }
        })
        .collect();
    let categories = (0..classes).map(|id| Category { id, name: format!("class {id}") });
    CocoGroundTruth::new([1], categories, annotations).map_err(|e| e.to_string())
}

/// COCO AP (IoU 0.50:0.95) and AP50 of the kept boxes, with their decayed scores.
fn coco_ap(scene: &Scene, kept: &Kept, gt: &CocoGroundTruth) -> Result<(f64, f64), String> {
    let detections = kept
        .indices
        .iter()
        .zip(&kept.scores)
        .map(|(&i, &score)| {
            let b = scene.boxes[i];
            Detection { image_id: 1, category_id: scene.labels[i], bbox: [b[0], b[1], b[2] - b[0], b[3] - b[1]], score }
        })
        .collect();
    let results = CocoResults::from_detections(detections, gt).map_err(|e| e.to_string())?;
    let stats = evaluate_bbox(gt, &results, &Params::default()).and_then(|ev| ev.stats()).map_err(|e| e.to_string())?;
    Ok((stats[0], stats[1]))
}

fn median_micros(repeats: usize, mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The most objects and classes a demo scene takes (a few hundred MB at most).
const MAX_OBJECTS: usize = 1_000_000;
const MAX_CLASSES: i64 = 1_000_000;

pub(crate) fn run(args: &DemoArgs) -> Result<(), String> {
    // Bounded above too: the scene, its candidates and the category list are allocated up front.
    if !(1..=MAX_OBJECTS).contains(&args.objects) {
        return Err(format!("--objects {}: the demo needs 1 to {MAX_OBJECTS} objects", args.objects));
    }
    if !(1..=MAX_CLASSES).contains(&args.classes) {
        return Err(format!("--classes {}: the demo needs 1 to {MAX_CLASSES} classes", args.classes));
    }
    if !(64.0..=1e6).contains(&args.image_size) {
        return Err(format!("--image-size {}: the demo needs an image of 64 to 1000000 px", args.image_size));
    }
    let scene = generate(&SceneSpec {
        seed: args.seed,
        objects: args.objects,
        image_size: args.image_size,
        classes: args.classes,
    });
    let set = BoxSet::new(&scene.boxes, BoxMeasure::Iou, 0.0).map_err(|e| e.to_string())?;
    let gt = ground_truth(&scene, args.classes)?;
    let pairs = scene.in_pair.iter().filter(|&&p| p).count();
    let false_positives = scene.source.iter().filter(|s| s.is_none()).count();
    println!(
        "softkit demo: seed {}, {size}x{size} px image, {} objects in {} classes ({} of them overlapping another)",
        args.seed,
        args.objects,
        args.classes,
        pairs,
        size = args.image_size
    );
    println!(
        "simulated detector: {} candidates ({} jittered duplicates of true objects, {} false positives)\n",
        scene.boxes.len(),
        scene.boxes.len() - false_positives,
        false_positives
    );
    println!(
        "class-wise suppression; 'top N' = the {} highest-scoring kept boxes (one per true object)\n",
        args.objects
    );
    println!(
        "{:<28} {:>5} {:>7} {:>11} {:>11} {:>9} {:>13} {:>6} {:>6} {:>10}",
        "method", "kept", "recall", "found topN", "dups topN", "FP topN", "pairs found", "AP", "AP50", "time (us)"
    );
    let methods = [
        ("hard NMS, IoU 0.5", SuppressParams::hard(0.5)),
        ("hard NMS, IoU 0.7", SuppressParams::hard(0.7)),
        ("Soft-NMS linear, Nt 0.3", SuppressParams::linear(0.3)),
        ("Soft-NMS gaussian, sigma 0.5", SuppressParams::gaussian(0.5)),
    ];
    for (name, params) in methods {
        let kept = suppress_batched(&set, &scene.scores, &scene.labels, &params).map_err(|e| e.to_string())?;
        let micros = median_micros(args.repeats, || {
            let _ = std::hint::black_box(suppress_batched(&set, &scene.scores, &scene.labels, &params));
        });
        let t = tally(&scene, &kept);
        let (ap, ap50) = coco_ap(&scene, &kept, &gt)?;
        println!(
            "{:<28} {:>5} {:>7} {:>11} {:>11} {:>9} {:>13} {:>6.3} {:>6.3} {:>10.1}",
            name,
            kept.indices.len(),
            format!("{}/{}", t.recall, args.objects),
            t.found,
            t.duplicates,
            t.false_positives,
            format!("{}/{}", t.pairs_found, pairs),
            ap,
            ap50,
            micros
        );
    }
    println!(
        "\nHard NMS deletes every box that overlaps a kept one; Soft-NMS only decays its score, so it keeps \
         more boxes at lower scores.\nrecall: true objects matched (IoU >= 0.5, same class) by any kept box; \
         pairs found: objects overlapping another, found in the top N;\nAP, AP50: COCO box AP of the kept boxes \
         with their (decayed) scores, at IoU 0.50:0.95 and 0.50, at most 100 per class."
    );
    Ok(())
}
