//! Keypoints as a geometry, and object keypoint similarity (OKS), the overlap of COCO keypoint
//! evaluation, computed exactly as pycocotools' `computeOks` computes it.

use crate::pairwise_sum::pairwise_sum;
use crate::{Bounded, BoxFormat, Envelope, GeomError, Geometry, Measure, Symmetric};

/// The per-keypoint standard deviations of COCO's 17 person keypoints (nose, eyes, ears,
/// shoulders, elbows, wrists, hips, knees, ankles), as pycocotools' `kpt_oks_sigmas`: the
/// published values divided by 10.
///
/// # Examples
///
/// ```
/// use softkit_geom::COCO_KEYPOINT_SIGMAS;
///
/// assert_eq!(COCO_KEYPOINT_SIGMAS.len(), 17);
/// assert_eq!(COCO_KEYPOINT_SIGMAS[0], 0.26 / 10.0); // nose
/// assert_eq!(COCO_KEYPOINT_SIGMAS[11], 1.07 / 10.0); // left hip
/// ```
pub const COCO_KEYPOINT_SIGMAS: [f64; 17] = [
    0.26 / 10.0,
    0.25 / 10.0,
    0.25 / 10.0,
    0.35 / 10.0,
    0.35 / 10.0,
    0.79 / 10.0,
    0.79 / 10.0,
    0.72 / 10.0,
    0.72 / 10.0,
    0.62 / 10.0,
    0.62 / 10.0,
    1.07 / 10.0,
    1.07 / 10.0,
    0.87 / 10.0,
    0.87 / 10.0,
    0.89 / 10.0,
    0.89 / 10.0,
];

/// `np.spacing(1)`, which pycocotools adds to the ground truth's area.
const EPS: f64 = f64::EPSILON;

/// The exponent `e = d² / (2σ)² / scale / 2` of one keypoint pair, `d = (dx, dy)`, in pycocotools'
/// and mmpose's order of operations, bit for bit, wherever that order gives a number.
///
/// It gives NaN in two corners that valid input reaches: `0 / 0` when `(2σ)²` underflows (σ below
/// about `1e-154`) at a keypoint found exactly, and `inf / inf` when both the squared distance and
/// `(2σ)²` overflow. There the same exponent is taken in the order that cannot fail,
/// `((dx / 2σ)² + (dy / 2σ)²) / scale / 2`: `0` for a keypoint found exactly, whatever σ.
#[inline]
fn exponent(dx: f64, dy: f64, sigma: f64, scale: f64) -> f64 {
    let variance = (sigma * 2.0) * (sigma * 2.0);
    let e = (dx * dx + dy * dy) / variance / scale / 2.0;
    // A subnormal variance has lost digits (and 0 gives 0 / 0): divide before squaring.
    if e.is_nan() || variance < f64::MIN_POSITIVE { exponent_rescaled(dx, dy, sigma, scale) } else { e }
}

#[cold]
fn exponent_rescaled(dx: f64, dy: f64, sigma: f64, scale: f64) -> f64 {
    if dx == 0.0 && dy == 0.0 {
        return 0.0;
    }
    let (u, v) = (dx / (sigma * 2.0), dy / (sigma * 2.0));
    let e = (u * u + v * v) / scale / 2.0;
    // Only a zero scale (negative areas cancelling the epsilon) is left to make 0 / 0.
    if e.is_nan() { 0.0 } else { e }
}

/// mmpose's scale of a pair, `(area_a + area_b) / 2 + eps`, halved first where the sum would
/// overflow (the same value wherever the sum is finite).
#[inline]
fn nms_scale(area_a: f64, area_b: f64) -> f64 {
    let scale = (area_a + area_b) / 2.0 + EPS;
    if scale.is_finite() { scale } else { area_a / 2.0 + area_b / 2.0 + EPS }
}

/// Object keypoint similarity between a detection's keypoints and a ground truth's, as
/// pycocotools' `computeOks`.
///
/// `dt` and `gt` are `[x1, y1, v1, x2, y2, v2, ...]` with one triple per sigma; the detection's
/// visibility flags are not read. With `d²` the squared distance of keypoint `i` and
/// `e = d² / (2σ)² / (area + eps) / 2`, OKS is the mean of `exp(-e)`:
///
/// - over the keypoints that the ground truth marks visible (`v > 0`), when there are any;
/// - otherwise over all keypoints, with `d` measured from the detected keypoint to the ground
///   truth's box doubled around it (`[x - w, x + 2w] × [y - h, y + 2h]`, zero inside).
///
/// `gt_area` is the ground truth's `area` field, not its box's. Each step rounds as numpy does,
/// and the mean uses numpy's pairwise sum, so the value matches pycocotools' to the last bit
/// wherever the platform's `exp` matches numpy's.
///
/// # Panics
///
/// If `dt` or `gt` does not hold `3 * sigmas.len()` numbers.
///
/// # Examples
///
/// Two keypoints with sigma 0.1 each, on an object of area 100: one detected exactly, one 2
/// pixels off. Then `e = 4 / 0.04 / 100 / 2 = 0.5` for the second.
///
/// ```
/// use softkit_geom::oks;
///
/// let sigmas = [0.1, 0.1];
/// let gt = [10.0, 10.0, 2.0, 20.0, 20.0, 2.0];
/// let dt = [10.0, 10.0, 1.0, 22.0, 20.0, 1.0];
/// let s = oks(&dt, &gt, [5.0, 5.0, 20.0, 20.0], 100.0, &sigmas);
/// assert!((s - (1.0 + (-0.5f64).exp()) / 2.0).abs() < 1e-15);
///
/// // A ground truth with no visible keypoint: distances to its doubled box, [-15, 45]².
/// let hidden = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
/// let inside = oks(&dt, &hidden, [5.0, 5.0, 20.0, 20.0], 100.0, &sigmas);
/// assert_eq!(inside, 1.0);
/// ```
pub fn oks(dt: &[f64], gt: &[f64], gt_bbox: [f64; 4], gt_area: f64, sigmas: &[f64]) -> f64 {
    let k = sigmas.len();
    assert_eq!(dt.len(), 3 * k, "detection keypoints: expected x, y, v for each of {k} sigmas");
    assert_eq!(gt.len(), 3 * k, "ground-truth keypoints: expected x, y, v for each of {k} sigmas");
    let visible = gt.chunks_exact(3).filter(|p| p[2] > 0.0).count();
    let [bx, by, bw, bh] = gt_bbox;
    let (x0, x1) = (bx - bw, bx + bw * 2.0);
    let (y0, y1) = (by - bh, by + bh * 2.0);
    let area = gt_area + EPS;
    let mut terms = [0.0_f64; 32];
    let mut heap = Vec::new();
    let terms: &mut [f64] = if k <= terms.len() {
        &mut terms[..]
    } else {
        heap.resize(k, 0.0);
        &mut heap[..]
    };
    let mut n = 0;
    for ((d, g), &sigma) in dt.chunks_exact(3).zip(gt.chunks_exact(3)).zip(sigmas) {
        let (dx, dy) = if visible > 0 {
            if g[2] <= 0.0 {
                continue;
            }
            (d[0] - g[0], d[1] - g[1])
        } else {
            ((x0 - d[0]).max(0.0) + (d[0] - x1).max(0.0), (y0 - d[1]).max(0.0) + (d[1] - y1).max(0.0))
        };
        terms[n] = (-exponent(dx, dy, sigma, area)).exp();
        n += 1;
    }
    (0.0 + pairwise_sum(&terms[..n])) / n as f64
}

/// One object's keypoints as a [`Keypoints`] column holds them.
///
/// # Examples
///
/// ```
/// use softkit_geom::KeypointInstance;
///
/// let person = KeypointInstance { keypoints: vec![5.0, 5.0, 2.0], area: 64.0, bbox: [1.0, 1.0, 8.0, 8.0] };
/// assert_eq!(person.keypoints.len(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KeypointInstance {
    /// `[x1, y1, v1, x2, y2, v2, ...]`: one triple per keypoint, `v > 0` where it is visible.
    pub keypoints: Vec<f64>,
    /// The object's area (COCO's `area` field): the scale of OKS.
    pub area: f64,
    /// The object's box `[x, y, width, height]`, which OKS measures from when no keypoint of the
    /// ground truth is visible.
    pub bbox: [f64; 4],
}

/// A column of keypoint sets, one [`KeypointInstance`] per object.
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, KeypointInstance, Keypoints};
///
/// let person = KeypointInstance { keypoints: vec![5.0, 5.0, 2.0, 9.0, 9.0, 2.0], area: 64.0, bbox: [1.0, 1.0, 8.0, 8.0] };
/// let people = Keypoints::new(vec![person])?;
/// assert_eq!(people.len(), 1);
/// assert_eq!(people.area(0), 64.0);
/// assert_eq!(people.get(0).len(), 6);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Keypoints {
    instances: Vec<KeypointInstance>,
    /// Per instance, the box around all its keypoints.
    envelopes: Vec<Envelope<2>>,
}

impl Keypoints {
    /// Checks and wraps the instances.
    ///
    /// # Errors
    ///
    /// [`GeomError`] for keypoints that are not a non-empty list of `x, y, v` triples, a
    /// non-finite number, or an invalid box.
    pub fn new(instances: Vec<KeypointInstance>) -> Result<Self, GeomError> {
        for (index, instance) in instances.iter().enumerate() {
            let kp = &instance.keypoints;
            if kp.is_empty() || !kp.len().is_multiple_of(3) {
                return Err(GeomError::KeypointTriples { index, len: kp.len() });
            }
            if let Some(&value) = kp.iter().chain([&instance.area]).find(|v| !v.is_finite()) {
                return Err(GeomError::NonFinite { index, field: "keypoints", value });
            }
            BoxFormat::Xywh.validate(&[instance.bbox]).map_err(|e| match e {
                GeomError::NonFinite { field, value, .. } => GeomError::NonFinite { index, field, value },
                GeomError::NegativeSize { field, value, .. } => GeomError::NegativeSize { index, field, value },
                other => other,
            })?;
        }
        let envelopes = instances.iter().map(instance_envelope).collect();
        Ok(Self { instances, envelopes })
    }

    /// The keypoints of item `i`, `[x1, y1, v1, ...]`.
    pub fn get(&self, i: usize) -> &[f64] {
        &self.instances[i].keypoints
    }
}

impl Geometry for Keypoints {
    fn len(&self) -> usize {
        self.instances.len()
    }

    fn area(&self, i: usize) -> f64 {
        self.instances[i].area
    }
}

/// The box around all of an instance's keypoints, visible or not: every point that suppression's
/// OKS measures from.
fn instance_envelope(instance: &KeypointInstance) -> Envelope<2> {
    let empty = Envelope::new([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    instance.keypoints.chunks_exact(3).fold(empty, |e, p| {
        Envelope::new([e.min[0].min(p[0]), e.min[1].min(p[1])], [e.max[0].max(p[0]), e.max[1].max(p[1])])
    })
}

impl Bounded<2> for Keypoints {
    /// The box around the instance's keypoints, visible or not (not its `bbox`, which only
    /// evaluation's OKS reads, and only for a ground truth with no visible keypoint).
    fn envelope(&self, i: usize) -> Envelope<2> {
        self.envelopes[i]
    }
}

/// OKS as COCO evaluation measures it ([`oks`]): the ground truth (the second column) sets the
/// scale with its area, and its box when no keypoint is visible. Not symmetric, so it drives
/// evaluation only; its Gaussian never reaches zero, so its reach is unbounded.
///
/// The crowd rule does not apply: pycocotools computes OKS the same way for crowds (which
/// keypoint evaluation ignores anyway).
///
/// # Panics
///
/// [`Measure::between`] panics if an item's keypoints are not `3 * sigmas.len()` numbers; check
/// them against [`Oks::keypoint_count`] first.
///
/// # Examples
///
/// ```
/// use softkit_geom::{KeypointInstance, Keypoints, Measure, Oks};
///
/// let dt = Keypoints::new(vec![KeypointInstance { keypoints: vec![3.0, 4.0, 1.0], area: 0.0, bbox: [3.0, 4.0, 0.0, 0.0] }])?;
/// let gt = Keypoints::new(vec![KeypointInstance { keypoints: vec![0.0, 0.0, 2.0], area: 50.0, bbox: [0.0, 0.0, 10.0, 10.0] }])?;
/// let sigmas = [0.1];
/// // d² = 25, e = 25 / 0.04 / 50 / 2 = 6.25
/// let s = Oks::new(&sigmas).between(&dt, 0, &gt, 0);
/// assert!((s - (-6.25f64).exp()).abs() < 1e-15);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Oks<'s> {
    sigmas: &'s [f64],
}

impl<'s> Oks<'s> {
    /// OKS with one standard deviation per keypoint ([`COCO_KEYPOINT_SIGMAS`] for COCO persons).
    pub fn new(sigmas: &'s [f64]) -> Self {
        Self { sigmas }
    }

    /// How many numbers each item's keypoints must hold: `3 * sigmas.len()`.
    pub fn keypoint_count(&self) -> usize {
        3 * self.sigmas.len()
    }
}

impl Measure<Keypoints> for Oks<'_> {
    fn between(&self, dt: &Keypoints, i: usize, gt: &Keypoints, j: usize) -> f64 {
        oks(dt.get(i), gt.get(j), gt.instances[j].bbox, gt.area(j), self.sigmas)
    }

    fn finite_reach(&self) -> bool {
        false
    }
}

/// OKS as pose suppression measures it (mmpose's `oks_iou`, behind `oks_nms` and
/// `soft_oks_nms`): the scale is the mean of the two poses' areas, so the measure is symmetric and
/// can drive suppression. With a visibility threshold, only the keypoints visible (`v >
/// threshold`) in both poses count, and a pair with none counts `0`; without one, every keypoint
/// counts.
///
/// `e_k = d_k² / (2 σ_k)² / ((area_a + area_b) / 2 + 2⁻⁵²) / 2`, and the measure is the mean of
/// `exp(-e_k)` over the counted keypoints. Its Gaussian never reaches zero, so its reach is
/// unbounded; [`Measure::exceeds`] rules out far-apart pairs from the distance between their
/// keypoints' boxes.
///
/// # Examples
///
/// ```
/// use softkit_geom::{KeypointInstance, Keypoints, Measure, OksNms};
///
/// let pose = |x: f64, area: f64| KeypointInstance { keypoints: vec![x, 0.0, 2.0], area, bbox: [x, 0.0, 0.0, 0.0] };
/// let poses = Keypoints::new(vec![pose(0.0, 40.0), pose(3.0, 60.0)])?;
/// let sigmas = [0.1];
/// // d² = 9, scale = 50: e = 9 / 0.04 / 50 / 2 = 2.25, whichever pose comes first.
/// let oks = OksNms::new(&sigmas, None);
/// assert!((oks.between(&poses, 0, &poses, 1) - (-2.25f64).exp()).abs() < 1e-15);
/// assert_eq!(oks.between(&poses, 0, &poses, 1), oks.between(&poses, 1, &poses, 0));
/// // A threshold above every visibility counts no keypoint.
/// assert_eq!(OksNms::new(&sigmas, Some(2.0)).between(&poses, 0, &poses, 1), 0.0);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct OksNms<'s> {
    sigmas: &'s [f64],
    visibility_threshold: Option<f64>,
}

impl<'s> OksNms<'s> {
    /// OKS for suppression with one standard deviation per keypoint ([`COCO_KEYPOINT_SIGMAS`] for
    /// COCO persons), counting only keypoints visible above `visibility_threshold` in both poses
    /// when one is given.
    pub fn new(sigmas: &'s [f64], visibility_threshold: Option<f64>) -> Self {
        Self { sigmas, visibility_threshold }
    }

    /// How many numbers each pose's keypoints must hold: `3 * sigmas.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::{COCO_KEYPOINT_SIGMAS, OksNms};
    ///
    /// assert_eq!(OksNms::new(&COCO_KEYPOINT_SIGMAS, None).keypoint_count(), 51);
    /// ```
    pub fn keypoint_count(&self) -> usize {
        3 * self.sigmas.len()
    }

    /// The largest `2 σ`: the widest keypoint Gaussian, for the distance bound. Not squared:
    /// the square of a tiny sigma underflows where the exponents do not.
    fn widest_sigma(&self) -> f64 {
        self.sigmas.iter().map(|s| 2.0 * s).fold(0.0, f64::max)
    }
}

impl OksNms<'_> {
    /// Whether a keypoint pair counts: always, or when visible above the threshold in both poses.
    #[inline]
    fn counts(&self, p: &[f64], q: &[f64]) -> bool {
        self.visibility_threshold.is_none_or(|t| p[2] > t && q[2] > t)
    }

    /// `e_k = d_k² / (2 σ_k)² / scale / 2` of each counted keypoint pair, in keypoint order.
    fn exponents<'a>(
        &'a self,
        a: &'a Keypoints,
        i: usize,
        b: &'a Keypoints,
        j: usize,
    ) -> impl Iterator<Item = f64> + 'a {
        let scale = nms_scale(a.area(i), b.area(j));
        a.get(i)
            .chunks_exact(3)
            .zip(b.get(j).chunks_exact(3))
            .zip(self.sigmas)
            .filter(move |((p, q), _)| self.counts(p, q))
            .map(move |((p, q), &sigma)| exponent(p[0] - q[0], p[1] - q[1], sigma, scale))
    }

    /// Whether the measure is sure to stay at or below `threshold`, from bounds alone: each
    /// `exp(-e) <= 1 / (1 + e + e²/2 + e³/6)`, and each term not yet bounded is at most 1. Far
    /// poses are told apart after two or three divisions, with no `exp`.
    fn surely_at_most(&self, a: &Keypoints, i: usize, b: &Keypoints, j: usize, threshold: f64) -> bool {
        // Every keypoint counts without a visibility threshold; only then must they be counted.
        let total = match self.visibility_threshold {
            None => self.sigmas.len(),
            Some(_) => {
                a.get(i).chunks_exact(3).zip(b.get(j).chunks_exact(3)).filter(|(p, q)| self.counts(p, q)).count()
            }
        };
        // The sum must end above `threshold * total`; the slack covers rounding.
        let needed = threshold * total as f64 - 1e-9;
        let mut bound = 0.0;
        for (seen, e) in self.exponents(a, i, b, j).enumerate() {
            bound += 1.0 / (1.0 + e * (1.0 + e * (0.5 + e / 6.0)));
            if bound + (total - seen - 1) as f64 <= needed {
                return true;
            }
        }
        false
    }
}

impl Measure<Keypoints> for OksNms<'_> {
    fn between(&self, a: &Keypoints, i: usize, b: &Keypoints, j: usize) -> f64 {
        let (sum, counted) = self.exponents(a, i, b, j).fold((0.0, 0usize), |(sum, n), e| (sum + (-e).exp(), n + 1));
        if counted == 0 { 0.0 } else { sum / counted as f64 }
    }

    fn exceeds(&self, a: &Keypoints, i: usize, b: &Keypoints, j: usize, threshold: f64) -> bool {
        self.between_above(a, i, b, j, threshold).is_some()
    }

    fn between_above(&self, a: &Keypoints, i: usize, b: &Keypoints, j: usize, threshold: f64) -> Option<f64> {
        // Every keypoint pair is at least as far apart as the two poses' envelopes, so each term
        // is at most exp(-gap² / widest variance / scale / 2); a margin keeps the skip clear of
        // rounding.
        let gap = envelope_gap(&a.envelopes[i], &b.envelopes[j]);
        if gap > 0.0 && threshold >= 0.0 {
            let scale = nms_scale(a.area(i), b.area(j));
            let reach = gap / self.widest_sigma();
            let bound = (-(reach * reach / scale / 2.0)).exp();
            if bound * (1.0 + 1e-9) < threshold {
                return None;
            }
        }
        if self.surely_at_most(a, i, b, j, threshold) {
            return None;
        }
        let value = self.between(a, i, b, j);
        (value > threshold).then_some(value)
    }

    fn finite_reach(&self) -> bool {
        false
    }

    /// OKS exceeds `threshold` only if some keypoint term does, which needs
    /// `gap² < -ln(threshold) · 2 (2σ_max)² · scale`; the scale is at most the larger area (+ eps),
    /// so each pose reaching `sqrt(-ln(threshold) · 2 (2σ_max)² · (area + eps))` beyond its
    /// envelope covers every pair that can. The slack keeps rounding on the safe side.
    fn reach_margin(&self, g: &Keypoints, i: usize, threshold: f64) -> Option<f64> {
        if threshold <= 0.0 {
            return None; // every pair with a counted keypoint measures above 0
        }
        let log = -threshold.ln() + 1e-9;
        let margin = self.widest_sigma() * (log * 2.0 * (g.area(i) + EPS)).sqrt() * (1.0 + 1e-9);
        margin.is_finite().then_some(margin)
    }
}

impl Symmetric for OksNms<'_> {}

/// The distance between two envelopes (0 when they touch).
fn envelope_gap(p: &Envelope<2>, q: &Envelope<2>) -> f64 {
    let dx = (q.min[0] - p.max[0]).max(p.min[0] - q.max[0]).max(0.0);
    let dy = (q.min[1] - p.max[1]).max(p.min[1] - q.max[1]).max(0.0);
    (dx * dx + dy * dy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The early exit and the distance bound never change the comparison.
        #[test]
        fn exceeds_is_the_comparison(
            a in prop::collection::vec((0.0f64..60.0, 0.0f64..60.0, 0.0f64..1.0), 4),
            shift in prop::collection::vec((-3.0f64..3.0, -3.0f64..3.0, 0.0f64..1.0), 4),
            areas in (0.0f64..400.0, 0.0f64..400.0),
            vis in prop::option::of(0.0f64..1.0),
            threshold in 0.0f64..1.0,
        ) {
            let first: Vec<f64> = a.iter().flat_map(|&(x, y, v)| [x, y, v]).collect();
            let second: Vec<f64> = a.iter().zip(&shift).flat_map(|(&(x, y, _), &(dx, dy, v))| [x + dx, y + dy, v]).collect();
            let pose = |keypoints: Vec<f64>, area: f64| KeypointInstance { keypoints, area, bbox: [0.0, 0.0, 1.0, 1.0] };
            let poses = Keypoints::new(vec![pose(first, areas.0), pose(second, areas.1)]).unwrap();
            let sigmas = [0.026, 0.079, 0.107, 0.05];
            let m = OksNms::new(&sigmas, vis);
            let value = m.between(&poses, 0, &poses, 1);
            for t in [threshold, value, value.next_down(), value.next_up()] {
                prop_assert_eq!(m.exceeds(&poses, 0, &poses, 1, t), value > t, "threshold {}", t);
            }
        }
    }

    /// Keypoints `[x, y, v]` for the 17 COCO sigmas: all at `(x, y)` with visibility `v`.
    fn all_at(x: f64, y: f64, v: f64) -> Vec<f64> {
        (0..17).flat_map(|_| [x, y, v]).collect()
    }

    #[test]
    fn suppression_oks_is_evaluation_oks_when_areas_agree() {
        // With equal areas and every keypoint visible, mmpose's scale (the mean area) is
        // pycocotools' (the ground truth's): the two measures agree but for summation order.
        let mut rng = softkit_sim::Rng::new(71);
        for _ in 0..200 {
            let area = rng.uniform(1.0, 5e4);
            let pose = |rng: &mut softkit_sim::Rng| -> Vec<f64> {
                (0..17).flat_map(|_| [rng.uniform(0.0, 300.0), rng.uniform(0.0, 300.0), 2.0]).collect()
            };
            let (dt, gt) = (pose(&mut rng), pose(&mut rng));
            let near: Vec<f64> = gt.chunks_exact(3).flat_map(|p| [p[0] + rng.uniform(-9.0, 9.0), p[1], 1.0]).collect();
            for d in [dt, near] {
                let evaluation = oks(&d, &gt, [0.0, 0.0, 300.0, 300.0], area, &COCO_KEYPOINT_SIGMAS);
                let instance =
                    |keypoints: &Vec<f64>| KeypointInstance { keypoints: keypoints.clone(), area, bbox: [0.0; 4] };
                let poses = Keypoints::new(vec![instance(&d), instance(&gt)]).unwrap();
                let suppression = OksNms::new(&COCO_KEYPOINT_SIGMAS, None).between(&poses, 0, &poses, 1);
                assert!(
                    (suppression - evaluation).abs() <= 1e-14 * evaluation.max(1e-300),
                    "{suppression} vs {evaluation}"
                );
            }
        }
    }

    #[test]
    fn identical_visible_keypoints_give_one() {
        let g = all_at(50.0, 60.0, 2.0);
        assert_eq!(oks(&g, &g, [40.0, 40.0, 30.0, 30.0], 900.0, &COCO_KEYPOINT_SIGMAS), 1.0);
    }

    #[test]
    fn only_visible_keypoints_count() {
        // Keypoint 0 (nose, sigma 0.026) visible and 1 px off; keypoint 5 (shoulder, 0.079)
        // labelled but not visible (v = 0) and far off; everything else not labelled.
        let mut g = vec![0.0; 51];
        g[0..3].copy_from_slice(&[10.0, 10.0, 2.0]);
        g[15..18].copy_from_slice(&[30.0, 30.0, 0.0]);
        let mut d = vec![0.0; 51];
        d[0..3].copy_from_slice(&[11.0, 10.0, 1.0]);
        d[15..18].copy_from_slice(&[90.0, 90.0, 1.0]);
        let area = 400.0;
        // By hand: e = 1 / (0.052)^2 / (400 + eps) / 2 = 0.46228..., one term, exp(-e) = 0.62985.
        let var = (0.26_f64 / 10.0 * 2.0) * (0.26 / 10.0 * 2.0);
        let e = 1.0 / var / (area + f64::EPSILON) / 2.0;
        assert!((e - 0.462278106508876).abs() < 1e-12);
        let s = oks(&d, &g, [0.0, 0.0, 20.0, 20.0], area, &COCO_KEYPOINT_SIGMAS);
        assert_eq!(s, (-e).exp());
        assert!((s - 0.629847150990).abs() < 1e-12);
    }

    #[test]
    fn no_visible_keypoint_measures_to_the_doubled_box() {
        // Box [10, 20, 10, 5]: the doubled box is x in [0, 30], y in [15, 30].
        let g = all_at(0.0, 0.0, 0.0);
        let bbox = [10.0, 20.0, 10.0, 5.0];
        // Every detected keypoint inside: OKS 1.
        assert_eq!(oks(&all_at(29.0, 16.0, 1.0), &g, bbox, 50.0, &COCO_KEYPOINT_SIGMAS), 1.0);
        // Every keypoint at (33, 11): 3 px right of x1 = 30 and 4 px above y0 = 15, d² = 25,
        // averaged over all 17 keypoints.
        let s = oks(&all_at(33.0, 11.0, 1.0), &g, bbox, 50.0, &COCO_KEYPOINT_SIGMAS);
        let mean: f64 = COCO_KEYPOINT_SIGMAS
            .iter()
            .map(|&sg| (-(25.0 / ((sg * 2.0) * (sg * 2.0)) / (50.0 + f64::EPSILON) / 2.0)).exp())
            .sum::<f64>()
            / 17.0;
        assert!((s - mean).abs() < 1e-15, "{s} vs {mean}");
        // Left of and below the box: (x0 - x) and (y - y1) count the same way.
        let t = oks(&all_at(-3.0, 34.0, 1.0), &g, bbox, 50.0, &COCO_KEYPOINT_SIGMAS);
        assert_eq!(s, t);
    }

    #[test]
    fn area_zero_still_divides_by_eps() {
        let sigmas = [0.5];
        let g = [0.0, 0.0, 1.0];
        assert_eq!(oks(&[0.0, 0.0, 1.0], &g, [0.0; 4], 0.0, &sigmas), 1.0);
        assert_eq!(oks(&[1.0, 0.0, 1.0], &g, [0.0; 4], 0.0, &sigmas), 0.0);
    }

    #[test]
    fn many_keypoints_use_the_heap_buffer() {
        let sigmas = vec![0.1; 40];
        let g: Vec<f64> = (0..40).flat_map(|i| [i as f64, 0.0, 2.0]).collect();
        assert_eq!(oks(&g, &g, [0.0; 4], 10.0, &sigmas), 1.0);
    }

    #[test]
    #[should_panic(expected = "detection keypoints")]
    fn wrong_length_panics() {
        oks(&[0.0; 6], &[0.0; 51], [0.0; 4], 1.0, &COCO_KEYPOINT_SIGMAS);
    }
}
