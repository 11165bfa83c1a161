use thiserror::Error;

/// What can be wrong with a mask handed to softkit: run-length counts, a compressed counts
/// string, or a polygon to rasterise.
///
/// Every variant names the field and the offending value, so that the message alone tells the
/// user what to fix. Polygons are numbered by their position in the list they came in (`0` for a
/// lone polygon), coordinates by their position in the polygon's flat `[x0, y0, x1, y1, ...]` list.
///
/// # Examples
///
/// ```
/// use softkit_geom::{MaskError, Rle};
///
/// let err = Rle::new(2, 3, vec![1, 2]).unwrap_err();
/// assert_eq!(err.to_string(), "RLE counts sum to 3, but size [2, 3] has 6 pixels");
/// let err = Rle::from_polygon(&[0.0, 0.0, 4.0, 0.0], 10, 10).unwrap_err();
/// assert_eq!(err, MaskError::PolygonTooShort { polygon: 0, points: 2 });
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MaskError {
    /// Run-length counts do not cover the mask exactly.
    #[error("RLE counts sum to {sum}, but size [{height}, {width}] has {} pixels", u64::from(*height) * u64::from(*width))]
    CountsSum {
        /// The sum of the counts.
        sum: u64,
        /// The mask height.
        height: u32,
        /// The mask width.
        width: u32,
    },
    /// The mask has more pixels than COCO's 32-bit counts can address.
    #[error("mask size [{height}, {width}] has more than 4294967295 pixels")]
    TooLarge {
        /// The mask height.
        height: u32,
        /// The mask width.
        width: u32,
    },
    /// A dense mask does not have `height * width` pixels.
    #[error("mask has {len} pixels, but size [{height}, {width}] needs {}", u64::from(*height) * u64::from(*width))]
    MaskLength {
        /// The number of pixels given.
        len: usize,
        /// The mask height.
        height: u32,
        /// The mask width.
        width: u32,
    },
    /// A compressed counts string holds a character outside COCO's alphabet (`'0'` to `'o'`).
    #[error("RLE counts string: character {character:?} at byte {position} is outside '0'..='o'")]
    CountsCharacter {
        /// The offending character.
        character: char,
        /// Its byte offset in the string.
        position: usize,
    },
    /// A compressed counts string ends in the middle of a number.
    #[error("RLE counts string ends inside a number (its last character {character:?} has the continuation bit)")]
    CountsTruncated {
        /// The last character of the string.
        character: char,
    },
    /// A compressed counts string decodes to a count that is negative or above `u32::MAX`.
    #[error("RLE counts string: counts[{index}] decodes to {value}, outside 0..=4294967295")]
    CountsValue {
        /// Position of the count in the decoded list.
        index: usize,
        /// The decoded value.
        value: i64,
    },
    /// A polygon has fewer than three points.
    #[error("polygons[{polygon}] has {points} points; a polygon needs at least 3")]
    PolygonTooShort {
        /// Position of the polygon in its list.
        polygon: usize,
        /// How many points it has.
        points: usize,
    },
    /// A polygon's flat coordinate list has an odd length.
    #[error("polygons[{polygon}] has {len} coordinates; expected an even number ([x0, y0, x1, y1, ...])")]
    OddCoordinates {
        /// Position of the polygon in its list.
        polygon: usize,
        /// How many numbers it has.
        len: usize,
    },
    /// A polygon coordinate is NaN or infinite.
    #[error("polygons[{polygon}][{index}] = {value} is not finite")]
    NonFiniteCoordinate {
        /// Position of the polygon in its list.
        polygon: usize,
        /// Position of the coordinate in the polygon's flat list.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A polygon coordinate is so far out that the ×5 rasteriser would overflow 32-bit integers.
    #[error("polygons[{polygon}][{index}] = {value} is outside ±1e8 pixels")]
    CoordinateOutOfRange {
        /// Position of the polygon in its list.
        polygon: usize,
        /// Position of the coordinate in the polygon's flat list.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A box to rasterise has a NaN or infinite field.
    #[error("bbox[{index}] = {value} is not finite")]
    NonFiniteBbox {
        /// Position in `[x, y, width, height]`.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Masks to combine have different sizes.
    #[error("masks[{index}] has size [{height}, {width}], but masks[0] has size [{first_height}, {first_width}]")]
    SizeMismatch {
        /// Position of the mismatched mask.
        index: usize,
        /// Its height.
        height: u32,
        /// Its width.
        width: u32,
        /// Height of the first mask.
        first_height: u32,
        /// Width of the first mask.
        first_width: u32,
    },
    /// An operation that needs at least one mask got none.
    #[error("no masks to merge")]
    NoMasks,
}
