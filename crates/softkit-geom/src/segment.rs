//! Time segments `[start, end]` (temporal action localisation, dense video captioning): temporal
//! IoU through the generic measures.

use crate::{Bounded, Coord, Envelope, GeomError, Geometry, Intersect};

/// A validated column of 1-D segments `[start, end]` with `start <= end`.
///
/// # Usage
///
/// Measure it with [`Iou`](crate::Iou) (temporal IoU, with COCO's crowd rule in evaluation) or
/// [`IoMin`](crate::IoMin), through a [`SetView`](crate::SetView) (suppression: a segment visits
/// only the segments its interval touches) or a [`PairView`](crate::PairView).
///
/// # Examples
///
/// ```
/// use softkit_geom::{Geometry, Iou, Measure, Segments};
///
/// let segments = Segments::new(&[[0.0_f64, 10.0], [5.0, 15.0], [20.0, 21.0]])?;
/// assert_eq!(segments.area(0), 10.0); // its length
/// assert_eq!(Iou.between(&segments, 0, &segments, 1), 1.0 / 3.0);
/// assert_eq!(Iou.between(&segments, 0, &segments, 2), 0.0);
/// let err = Segments::new(&[[3.0_f64, 1.0]]).unwrap_err();
/// assert_eq!(err.to_string(), "segments[0].end = 1 is less than start = 3");
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Segments {
    segments: Vec<[f64; 2]>,
}

impl Segments {
    /// Validates `segments`: finite, with `end >= start`.
    ///
    /// # Errors
    ///
    /// [`GeomError::Item`] naming the first bad segment and field.
    pub fn new<T: Coord>(segments: &[[T; 2]]) -> Result<Self, GeomError> {
        let segments = segments
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let [start, end] = s.map(|v| v.to_f64());
                let bad =
                    |field, value, expected| Err(GeomError::Item { items: "segments", index, field, value, expected });
                if !start.is_finite() {
                    return bad("start", start, "a finite number");
                }
                if !end.is_finite() {
                    return bad("end", end, "a finite number");
                }
                if end < start {
                    return Err(GeomError::InvertedSegment { index, start, end });
                }
                // Two lengths and their union must stay finite.
                if end - start > f64::MAX / 2.0 {
                    let expected = "an end within 8.9e307 of the start, beyond which lengths overflow float64 \
                                    (rescale the coordinates)";
                    return bad("end", end, expected);
                }
                Ok([start, end])
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { segments })
    }

    /// Segment `i`, `[start, end]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Segments;
    ///
    /// let segments = Segments::new(&[[2.0_f32, 5.5]])?;
    /// assert_eq!(segments.get(0), [2.0, 5.5]);
    /// # Ok::<(), softkit_geom::GeomError>(())
    /// ```
    pub fn get(&self, i: usize) -> [f64; 2] {
        self.segments[i]
    }
}

impl Geometry for Segments {
    #[inline]
    fn len(&self) -> usize {
        self.segments.len()
    }

    #[inline]
    fn area(&self, i: usize) -> f64 {
        self.segments[i][1] - self.segments[i][0]
    }
}

impl Bounded<1> for Segments {
    #[inline]
    fn envelope(&self, i: usize) -> Envelope<1> {
        Envelope::new([self.segments[i][0]], [self.segments[i][1]])
    }
}

impl Intersect for Segments {
    #[inline]
    fn intersection(&self, i: usize, other: &Self, j: usize) -> f64 {
        let (a, b) = (self.segments[i], other.segments[j]);
        (a[1].min(b[1]) - a[0].max(b[0])).max(0.0)
    }
}
