//! Suppression of poses by mmpose's OKS (`oks_nms`, `soft_oks_nms`) against the plain all-pairs
//! loop. Hard NMS and linear Soft-NMS skip pairs whose reach cannot exceed the threshold; the
//! answer must not change.

mod common;

use common::{RefKept, RefParams, Rng, assert_kept_eq, hard_nms_ref, soft_nms_ref};
use softkit_geom::{COCO_KEYPOINT_SIGMAS, KeypointInstance, Keypoints, OksNms, SetView};
use softkit_nms::{Policy, SuppressParams, suppress};

/// mmpose's `oks_iou`, written plainly: scale is the mean area plus `np.spacing(1)`; with a
/// visibility threshold only keypoints visible in both count, and none counted gives 0.
fn oks(a: &KeypointInstance, b: &KeypointInstance, sigmas: &[f64], vis: Option<f64>) -> f64 {
    let scale = (a.area + b.area) / 2.0 + f64::EPSILON;
    let (mut sum, mut n) = (0.0, 0);
    for (k, sigma) in sigmas.iter().enumerate() {
        let (p, q) = (&a.keypoints[3 * k..3 * k + 3], &b.keypoints[3 * k..3 * k + 3]);
        if let Some(t) = vis
            && !(p[2] > t && q[2] > t)
        {
            continue;
        }
        let var = (2.0 * sigma) * (2.0 * sigma);
        let d2 = (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]);
        sum += (-(d2 / var / scale / 2.0)).exp();
        n += 1;
    }
    if n == 0 { 0.0 } else { sum / f64::from(n) }
}

/// People in a 1280 x 720 image, each detected several times with jittered joints; some joints
/// are COCO's unlabelled (0, 0, 0), and some areas are 0.
fn scene(rng: &mut Rng, n: usize) -> (Vec<KeypointInstance>, Vec<f64>) {
    let people: Vec<(f64, f64, f64, f64)> = (0..n / 3 + 1)
        .map(|_| {
            let h = rng.uniform(40.0, 360.0);
            let w = h * rng.uniform(0.35, 0.6);
            (rng.uniform(w / 2.0, 1280.0 - w / 2.0), rng.uniform(h / 2.0, 720.0 - h / 2.0), w, h)
        })
        .collect();
    let mut poses = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    for _ in 0..n {
        let (cx, cy, w, h) = people[rng.below(people.len())];
        let area = if rng.unit() < 0.05 { 0.0 } else { 0.55 * w * h * rng.uniform(0.9, 1.1) };
        let jitter = rng.uniform(0.002, 0.04) * area.max(1.0).sqrt();
        let mut keypoints = Vec::with_capacity(51);
        for _ in 0..17 {
            if rng.unit() < 0.1 {
                keypoints.extend([0.0, 0.0, 0.0]);
            } else {
                let x = cx + rng.uniform(-0.5, 0.5) * w + rng.uniform(-1.0, 1.0) * jitter;
                let y = cy + rng.uniform(-0.5, 0.5) * h + rng.uniform(-1.0, 1.0) * jitter;
                keypoints.extend([x, y, rng.uniform(0.05, 1.0)]);
            }
        }
        poses.push(KeypointInstance { keypoints, area, bbox: [cx - w / 2.0, cy - h / 2.0, w, h] });
        scores.push(1.0 - rng.unit());
    }
    (poses, scores)
}

#[test]
fn pose_suppression_matches_the_all_pairs_loop() {
    let mut rng = Rng::new(61);
    for n in [0, 1, 2, 40, 300] {
        let (poses, scores) = scene(&mut rng, n);
        let column = Keypoints::new(poses.clone()).unwrap();
        for vis in [None, Some(0.3)] {
            let set = SetView::of(column.clone(), OksNms::new(&COCO_KEYPOINT_SIGMAS, vis));
            let measure = |i: usize, j: usize| oks(&poses[i], &poses[j], &COCO_KEYPOINT_SIGMAS, vis);
            for t in [0.0, 0.1, 0.5, 0.9, 0.999_999, 1.0] {
                let kept = suppress(&set, &scores, &SuppressParams::hard(t)).unwrap();
                let expected = hard_nms_ref(n, measure, &scores, t);
                assert_eq!(kept.indices, expected, "hard at {t}, n {n}, vis {vis:?}");
                let params = SuppressParams::linear(t);
                let kept = suppress(&set, &scores, &params).unwrap();
                let expected: RefKept = soft_nms_ref(n, measure, &scores, &RefParams::from(&params));
                assert_kept_eq(&kept, &expected, &format!("linear at {t}, n {n}, vis {vis:?}"));
            }
            let params = SuppressParams::gaussian(0.3);
            assert!(matches!(params.policy, Policy::Gaussian { .. }));
            let kept = suppress(&set, &scores, &params).unwrap();
            let expected = soft_nms_ref(n, measure, &scores, &RefParams::from(&params));
            assert_kept_eq(&kept, &expected, &format!("gaussian, n {n}, vis {vis:?}"));
        }
    }
}

#[test]
fn poses_just_outside_the_reach_are_measured_exactly() {
    // Two one-keypoint poses moved apart across the distance where OKS crosses the threshold:
    // the reach must never skip a pair whose OKS exceeds it.
    let sigmas = [0.1];
    let area = 100.0;
    for t in [0.05_f64, 0.5, 0.9, 0.999] {
        // OKS = exp(-d² / 0.04 / (area + eps) / 2) = t at this distance.
        let cross = (-t.ln() * 2.0 * 0.04 * (area + f64::EPSILON)).sqrt();
        for k in -50..=50 {
            let d = cross * (1.0 + f64::from(k) * 1e-12);
            let pose = |x: f64| KeypointInstance { keypoints: vec![x, 0.0, 1.0], area, bbox: [x, 0.0, 0.0, 0.0] };
            let (a, b) = (pose(0.0), pose(d));
            let set = SetView::of(Keypoints::new(vec![a.clone(), b.clone()]).unwrap(), OksNms::new(&sigmas, None));
            let kept = suppress(&set, &[0.9, 0.8], &SuppressParams::hard(t)).unwrap();
            let expected = if oks(&a, &b, &sigmas, None) > t { vec![0] } else { vec![0, 1] };
            assert_eq!(kept.indices, expected, "t {t}, d {d}");
        }
    }
}
