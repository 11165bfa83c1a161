/// A scalar that softkit reads from user arrays: `f32` or `f64`.
///
/// Inputs are borrowed in their own precision (zero-copy from numpy) and widened to `f64` at the
/// point of use, so every measure is computed in double precision whatever the input type.
///
/// # Examples
///
/// ```
/// use softkit_geom::Coord;
///
/// assert_eq!(1.5_f32.to_f64(), 1.5);
/// ```
pub trait Coord: Copy + Send + Sync + PartialOrd + std::fmt::Debug + 'static {
    /// Widens the value to `f64` exactly.
    fn to_f64(self) -> f64;
}

impl Coord for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Coord for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}
