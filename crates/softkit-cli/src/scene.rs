//! A seeded, realistic detection scene: true objects (some in overlapping pairs), a simulated
//! detector's jittered duplicates of each, and false positives.

use softkit_sim::Rng;

/// A simulated image: ground truth and the detector's raw candidates.
pub(crate) struct Scene {
    /// True objects `[x1, y1, x2, y2]`.
    pub(crate) truth: Vec<[f64; 4]>,
    /// Class of each true object.
    pub(crate) truth_labels: Vec<i64>,
    /// Whether each true object was placed overlapping another one of its class.
    pub(crate) in_pair: Vec<bool>,
    /// Candidate boxes.
    pub(crate) boxes: Vec<[f64; 4]>,
    /// Candidate scores.
    pub(crate) scores: Vec<f64>,
    /// Candidate classes.
    pub(crate) labels: Vec<i64>,
    /// The true object each candidate duplicates, `None` for a false positive.
    pub(crate) source: Vec<Option<usize>>,
}

/// What to simulate.
pub(crate) struct SceneSpec {
    pub(crate) seed: u64,
    pub(crate) objects: usize,
    pub(crate) image_size: f64,
    pub(crate) classes: i64,
}

fn clip(b: [f64; 4], size: f64) -> [f64; 4] {
    let c = |v: f64| v.clamp(0.0, size);
    [c(b[0]), c(b[1]), c(b[2]).max(c(b[0])), c(b[3]).max(c(b[1]))]
}

pub(crate) fn generate(spec: &SceneSpec) -> Scene {
    let mut rng = Rng::new(spec.seed);
    let size = spec.image_size;
    let mut truth: Vec<[f64; 4]> = Vec::new();
    let mut truth_labels = Vec::new();
    let mut in_pair: Vec<bool> = Vec::new();
    while truth.len() < spec.objects {
        let w = (rng.uniform((size * 0.025).ln(), (size * 0.2).ln())).exp();
        let h = w * (0.35 * rng.normal()).exp();
        // About a third of the objects stand half in front of another of the same class,
        // where hard NMS at 0.5 tends to delete the one behind.
        let pair_with = (!truth.is_empty() && rng.unit() < 0.3).then(|| (rng.unit() * truth.len() as f64) as usize);
        let (cx, cy, label, partner) = match pair_with {
            Some(j) if !in_pair[j] => {
                let t = truth[j];
                let (tw, th) = (t[2] - t[0], t[3] - t[1]);
                let side = if rng.unit() < 0.5 { -1.0 } else { 1.0 };
                (
                    (t[0] + t[2]) * 0.5 + side * rng.uniform(0.1, 0.25) * (tw + w),
                    (t[1] + t[3]) * 0.5 + rng.uniform(-0.1, 0.1) * th,
                    truth_labels[j],
                    Some(j),
                )
            }
            _ => (rng.uniform(0.0, size), rng.uniform(0.0, size), (rng.unit() * spec.classes as f64) as i64, None),
        };
        let b = clip([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5], size);
        if b[2] - b[0] < 4.0 || b[3] - b[1] < 4.0 {
            continue;
        }
        if let Some(j) = partner {
            in_pair[j] = true;
        }
        in_pair.push(partner.is_some());
        truth.push(b);
        truth_labels.push(label);
    }

    let mut scene = Scene {
        truth,
        truth_labels,
        in_pair,
        boxes: Vec::new(),
        scores: Vec::new(),
        labels: Vec::new(),
        source: Vec::new(),
    };
    for (object, t) in scene.truth.clone().iter().enumerate() {
        let (w, h) = (t[2] - t[0], t[3] - t[1]);
        let quality = rng.uniform(0.55, 0.97);
        for _ in 0..4 + (rng.unit() * 12.0) as usize {
            let spread = rng.uniform(0.03, 0.14);
            let (cx, cy) =
                ((t[0] + t[2]) * 0.5 + spread * w * rng.normal(), (t[1] + t[3]) * 0.5 + spread * h * rng.normal());
            let (bw, bh) = (w * (spread * rng.normal()).exp(), h * (spread * rng.normal()).exp());
            let b = clip([cx - bw * 0.5, cy - bh * 0.5, cx + bw * 0.5, cy + bh * 0.5], size);
            let fit = softkit_geom::box_iou_pair(&b, t, 0.0);
            let score = (quality * fit * fit + 0.03 * rng.normal()).clamp(0.002, 0.999);
            scene.push(b, score, scene.truth_labels[object], Some(object));
        }
    }
    for _ in 0..spec.objects / 2 {
        let w = (rng.uniform((size * 0.02).ln(), (size * 0.15).ln())).exp();
        let h = w * (0.4 * rng.normal()).exp();
        let (cx, cy) = (rng.uniform(0.0, size), rng.uniform(0.0, size));
        let b = clip([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5], size);
        let label = (rng.unit() * spec.classes as f64) as i64;
        scene.push(b, rng.uniform(0.01, 0.45), label, None);
    }
    scene
}

impl Scene {
    fn push(&mut self, b: [f64; 4], score: f64, label: i64, source: Option<usize>) {
        self.boxes.push(b);
        self.scores.push(score);
        self.labels.push(label);
        self.source.push(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_scene() {
        let spec = SceneSpec { seed: 3, objects: 30, image_size: 1000.0, classes: 3 };
        let (a, b) = (generate(&spec), generate(&spec));
        assert_eq!(a.boxes, b.boxes);
        assert_eq!(a.scores, b.scores);
        assert_eq!(a.truth.len(), 30);
        assert!(a.boxes.iter().all(|b| b[0] <= b[2] && b[1] <= b[3] && b[2] <= 1000.0));
        assert!(a.source.iter().any(Option::is_none), "expected false positives");
        assert!(a.in_pair.iter().any(|&p| p), "expected overlapping pairs");
    }
}
