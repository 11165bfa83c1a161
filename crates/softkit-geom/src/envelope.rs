/// An axis-aligned rectangle that bounds the region where a geometry can overlap another.
///
/// A spatial index uses envelopes to skip pairs of items whose envelopes are disjoint. An
/// [`Overlap`](crate::Overlap) implementation guarantees that such pairs have an overlap of zero or
/// less. An envelope with a non-finite corner means "may overlap anything".
///
/// # Examples
///
/// ```
/// use softkit_geom::Envelope;
///
/// let a = Envelope::new([0.0, 0.0], [2.0, 2.0]);
/// let b = Envelope::new([1.0, 1.0], [3.0, 3.0]);
/// assert!(a.intersects(&b));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Envelope {
    /// Lower corner `[x, y]`.
    pub min: [f64; 2],
    /// Upper corner `[x, y]`.
    pub max: [f64; 2],
}

impl Envelope {
    /// Creates an envelope from its lower and upper corners.
    pub fn new(min: [f64; 2], max: [f64; 2]) -> Self {
        Self { min, max }
    }

    /// An envelope that intersects everything.
    pub fn everywhere() -> Self {
        Self::new([f64::NEG_INFINITY; 2], [f64::INFINITY; 2])
    }

    /// Whether the two closed rectangles share at least one point.
    pub fn intersects(&self, other: &Envelope) -> bool {
        self.min[0] <= other.max[0]
            && other.min[0] <= self.max[0]
            && self.min[1] <= other.max[1]
            && other.min[1] <= self.max[1]
    }

    /// Whether all four coordinates are finite.
    pub fn is_finite(&self) -> bool {
        self.min.iter().chain(&self.max).all(|v| v.is_finite())
    }
}
