//! COCO's compressed RLE counts string: a LEB128-like code with 5 data bits per ASCII character.
//!
//! Each count becomes a little-endian sequence of 5-bit groups. A character is `48 + g`, where
//! `g` holds the group in its low 5 bits and a continuation flag in bit 5 (`0x20`); bit 4 of the
//! last group is the sign. From the fourth count on, the code stores the difference to the count
//! two places earlier (the previous run of the same value), which keeps numbers small for masks
//! whose columns look alike.

use crate::rle::pixel_count;
use crate::{MaskError, Rle};

/// First character of the alphabet (`'0'`).
const BASE: u8 = 48;
/// Continuation flag.
const MORE: i64 = 0x20;
/// Sign bit of the last group.
const SIGN: i64 = 0x10;

impl Rle {
    /// Decodes COCO's compressed counts string (the `counts` of `{"size": [h, w], "counts": "..."}`),
    /// as pycocotools' `frPyObjects` / `decode` read it.
    ///
    /// # Errors
    ///
    /// A character outside `'0'..='o'`, a string that ends inside a number, a count outside
    /// `0..=u32::MAX`, or counts that do not sum to `height * width`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let rle = Rle::from_compressed(3, 2, "033")?;
    /// assert_eq!(rle.counts(), &[0, 3, 3]);
    /// assert_eq!(rle.to_compressed(), "033");
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn from_compressed(height: u32, width: u32, counts: &str) -> Result<Rle, MaskError> {
        pixel_count(height, width)?;
        let mut decoded: Vec<u32> = Vec::with_capacity(counts.len());
        let mut bytes = counts.bytes().enumerate();
        while let Some((mut position, mut byte)) = bytes.next() {
            let index = decoded.len();
            let mut value = 0_i64;
            let mut shift = 0_u32;
            loop {
                if !(BASE..BASE + 64).contains(&byte) {
                    let character = counts[position..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
                    return Err(MaskError::CountsCharacter { character, position });
                }
                let group = i64::from(byte - BASE);
                if shift >= 64 {
                    return Err(MaskError::CountsValue { index, value });
                }
                value |= (group & 0x1f) << shift;
                shift += 5;
                if group & MORE == 0 {
                    if group & SIGN != 0 && shift < 64 {
                        value |= -1_i64 << shift;
                    }
                    break;
                }
                match bytes.next() {
                    Some((p, b)) => (position, byte) = (p, b),
                    None => return Err(MaskError::CountsTruncated { character: char::from(byte) }),
                }
            }
            if index > 2 {
                value =
                    value.checked_add(i64::from(decoded[index - 2])).ok_or(MaskError::CountsValue { index, value })?;
            }
            let count = u32::try_from(value).map_err(|_| MaskError::CountsValue { index, value })?;
            decoded.push(count);
        }
        Rle::new(height, width, decoded)
    }

    /// Encodes the counts as COCO's compressed string, byte for byte as pycocotools'
    /// `encode` writes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::Rle;
    ///
    /// let rle = Rle::new(10, 10, vec![45, 10, 45])?;
    /// let s = rle.to_compressed();
    /// assert_eq!(s, "]1:]1");
    /// assert_eq!(Rle::from_compressed(10, 10, &s)?, rle);
    /// # Ok::<(), softkit_geom::MaskError>(())
    /// ```
    pub fn to_compressed(&self) -> String {
        let counts = self.counts();
        let mut out = String::with_capacity(counts.len() * 2);
        for (i, &c) in counts.iter().enumerate() {
            let mut x = i64::from(c);
            if i > 2 {
                x -= i64::from(counts[i - 2]);
            }
            loop {
                let group = x & 0x1f;
                x >>= 5;
                let more = if group & SIGN != 0 { x != -1 } else { x != 0 };
                let byte = if more { group | MORE } else { group };
                out.push(char::from(BASE + byte as u8));
                if !more {
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_numbers_are_one_character() {
        // 0..=15 fit in one group with a clear sign bit; 16 needs a second group ('`' = 48 + 0x30).
        let rle = Rle::new(1, 31, vec![0, 15, 16]).unwrap();
        assert_eq!(rle.to_compressed(), "0?`0");
        assert_eq!(Rle::from_compressed(1, 31, "0?`0").unwrap(), rle);
    }

    #[test]
    fn later_counts_are_differences_and_may_be_negative() {
        // counts[3] = 2 is stored as 2 - counts[1] = -5: group 27 with the sign bit set, 'K'.
        let rle = Rle::new(1, 20, vec![3, 7, 8, 2]).unwrap();
        let s = rle.to_compressed();
        assert_eq!(s, "378K");
        assert_eq!(Rle::from_compressed(1, 20, &s).unwrap().counts(), &[3, 7, 8, 2]);
    }

    #[test]
    fn large_counts_round_trip() {
        let counts = vec![1_000_000, 3, 2_000_000, 70_000, 5, 1_234_567];
        let total: u32 = counts.iter().sum();
        let rle = Rle::new(1, total, counts).unwrap();
        assert_eq!(Rle::from_compressed(1, total, &rle.to_compressed()).unwrap(), rle);
    }

    #[test]
    fn malformed_strings_are_rejected_with_the_culprit() {
        assert_eq!(
            Rle::from_compressed(2, 2, "0 4").unwrap_err(),
            MaskError::CountsCharacter { character: ' ', position: 1 }
        );
        assert_eq!(
            Rle::from_compressed(2, 2, "0é").unwrap_err().to_string(),
            "RLE counts string: character 'é' at byte 1 is outside '0'..='o'"
        );
        // 'P' = 48 + 32: a continuation with nothing after it.
        assert_eq!(Rle::from_compressed(2, 2, "04P").unwrap_err(), MaskError::CountsTruncated { character: 'P' });
        // 'O' = 48 + 31: one group with the sign bit, so the first count would be -1.
        assert!(matches!(Rle::from_compressed(2, 2, "O").unwrap_err(), MaskError::CountsValue { index: 0, value: -1 }));
        assert_eq!(
            Rle::from_compressed(2, 2, "03").unwrap_err().to_string(),
            "RLE counts sum to 3, but size [2, 2] has 4 pixels"
        );
        // An absurdly long number overflows rather than wrapping.
        let long = "o".repeat(20) + "0";
        assert!(matches!(Rle::from_compressed(2, 2, &long).unwrap_err(), MaskError::CountsValue { index: 0, .. }));
    }
}
