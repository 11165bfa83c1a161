/// An axis-aligned box in `D` dimensions that bounds where a geometry can overlap another: an
/// interval for time segments (`D = 1`), a rectangle for image geometry (`D = 2`), a cuboid for
/// 3-D boxes (`D = 3`).
///
/// A spatial index uses envelopes to skip pairs whose envelopes are disjoint; a
/// [`Measure`](crate::Measure) with a finite reach guarantees that such pairs measure zero or less.
/// An envelope with a non-finite corner means "may overlap anything".
///
/// # Examples
///
/// ```
/// use softkit_geom::Envelope;
///
/// let a = Envelope::new([0.0, 0.0], [2.0, 2.0]);
/// let b = Envelope::new([1.0, 1.0], [3.0, 3.0]);
/// assert!(a.intersects(&b));
/// // Two cuboids that share their x-y footprint but not their heights.
/// let low = Envelope::new([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]);
/// let high = Envelope::new([0.0, 0.0, 2.0], [1.0, 1.0, 3.0]);
/// assert!(!low.intersects(&high));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Envelope<const D: usize> {
    /// Lower corner, one coordinate per axis.
    pub min: [f64; D],
    /// Upper corner, one coordinate per axis.
    pub max: [f64; D],
}

impl<const D: usize> Envelope<D> {
    /// Creates an envelope from its lower and upper corners.
    pub fn new(min: [f64; D], max: [f64; D]) -> Self {
        Self { min, max }
    }

    /// An envelope that intersects everything.
    pub fn everywhere() -> Self {
        Self::new([f64::NEG_INFINITY; D], [f64::INFINITY; D])
    }

    /// Whether the two closed boxes share at least one point.
    #[inline]
    pub fn intersects(&self, other: &Envelope<D>) -> bool {
        (0..D).all(|axis| self.min[axis] <= other.max[axis] && other.min[axis] <= self.max[axis])
    }

    /// The envelope grown by `margin` on every side, rounded outwards so that it never ends up
    /// smaller than the exact one. A zero margin returns it unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Envelope;
    ///
    /// let e = Envelope::new([0.0, 1.0], [2.0, 3.0]).widened(0.5);
    /// assert!(e.min[0] <= -0.5 && e.max[1] >= 3.5);
    /// assert_eq!(Envelope::new([0.0], [1.0]).widened(0.0), Envelope::new([0.0], [1.0]));
    /// ```
    pub fn widened(self, margin: f64) -> Self {
        if margin == 0.0 {
            return self;
        }
        Self::new(self.min.map(|v| (v - margin).next_down()), self.max.map(|v| (v + margin).next_up()))
    }

    /// Whether every coordinate is finite.
    pub fn is_finite(&self) -> bool {
        self.min.iter().chain(&self.max).all(|v| v.is_finite())
    }
}
