//! The contract of `softkit_geom::Overlap`, checked pair by pair: finite, symmetric, bounded,
//! and consistent between `overlap`, `exceeds`, `overlap_above`, `envelope` and `reach`, which
//! is what lets the engine skip pairs without changing its result.

use softkit_geom::Overlap;

/// The thresholds every pair is asked about, besides the policy's own.
const THRESHOLDS: [f64; 5] = [0.0, 1e-9, 0.3, 0.5, 0.9];

/// At most this many items are checked against each other (all pairs among them).
const MAX_ITEMS: usize = 24;

/// What a set's measure promises beyond the contract's exact parts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expect {
    /// The measure's range (`[0, 1]` for IoU, `[-1, 1]` for GIoU and DIoU), checked with a
    /// little slack for rounding; `None` where it has none.
    pub(crate) bounds: Option<(f64, f64)>,
    /// How far `overlap(i, j)` and `overlap(j, i)` may differ (relative to `max(1, |overlap|)`);
    /// `None` where rounding may part them arbitrarily (GIoU of shapes whose coordinates span
    /// many orders of magnitude, whose hull is measured in one shape's frame).
    pub(crate) symmetry: Option<f64>,
    /// Whether the contract applies at all; `false` only for poses with a negative area, which
    /// `Keypoints::new` accepts and OKS cannot measure (its scale turns negative and a term
    /// `exp(-e)` overflows to infinity), so that only "no panic, same result twice" is checked.
    pub(crate) finite: bool,
}

impl Expect {
    /// A measure in `[lo, hi]`, symmetric to `1e-9`.
    pub(crate) fn within(lo: f64, hi: f64) -> Self {
        Self { bounds: Some((lo, hi)), symmetry: Some(1e-9), finite: true }
    }
}

/// Checks every pair among the first items of `set`; `threshold` is the policy's threshold,
/// asked about along with a few fixed ones.
pub(crate) fn check<const D: usize, S: Overlap<D> + ?Sized>(set: &S, expect: Expect, threshold: f64) {
    let n = set.len().min(MAX_ITEMS);
    for i in 0..n {
        for j in i..n {
            check_pair(set, i, j, expect, threshold);
        }
    }
}

fn check_pair<const D: usize, S: Overlap<D> + ?Sized>(set: &S, i: usize, j: usize, expect: Expect, threshold: f64) {
    let o = set.overlap(i, j);
    let back = set.overlap(j, i);
    assert!(o.is_finite(), "overlap({i}, {j}) = {o} is not finite");
    assert!(back.is_finite(), "overlap({j}, {i}) = {back} is not finite");
    if let Some(tolerance) = expect.symmetry {
        let slack = tolerance * o.abs().max(1.0);
        assert!(o == back || (o - back).abs() <= slack, "overlap({i}, {j}) = {o} but overlap({j}, {i}) = {back}");
    }
    let bounds = expect.bounds;
    if let Some((lo, hi)) = bounds {
        assert!(o >= lo - 1e-9 && o <= hi + 1e-9, "overlap({i}, {j}) = {o} is outside [{lo}, {hi}]");
    }
    // `exceeds` and `overlap_above` may skip the computation, never change the answer.
    for t in THRESHOLDS.into_iter().chain([threshold]).filter(|t| t.is_finite()) {
        assert_eq!(set.exceeds(i, j, t), o > t, "exceeds({i}, {j}, {t}) disagrees with overlap {o}");
        let above = set.overlap_above(i, j, t);
        assert_eq!(
            above.map(f64::to_bits),
            (o > t).then_some(o.to_bits()),
            "overlap_above({i}, {j}, {t}): {above:?}, overlap {o}"
        );
        if t >= 0.0
            && let (Some(a), Some(b)) = (set.reach(i, t), set.reach(j, t))
        {
            assert!(a.intersects(&b) || o <= t, "reaches of {i} and {j} at {t} are disjoint, yet overlap = {o}");
        }
    }
    if let (Some(a), Some(b)) = (set.envelope(i), set.envelope(j)) {
        assert!(a.intersects(&b) || o <= 0.0, "envelopes of {i} and {j} are disjoint, yet overlap = {o}");
    }
}
