//! The fuzzer's bytes read as numbers, with a bias towards the values that break numeric code:
//! NaN, infinities, signed zeros, subnormals, huge magnitudes and exact ties.
//!
//! Reading never fails: once the bytes run out every read returns zero, so any input decodes to
//! some case, and a short input decodes to a small one.

/// Values that numeric code gets wrong: non-finite, signed zero, subnormal, extreme, and the
/// integers where `f64` stops counting by one.
const SPECIAL: [f64; 32] = [
    0.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    -0.0,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE,
    5e-324,
    -5e-324,
    1e-310,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::EPSILON,
    1.0 + f64::EPSILON,
    1.0 - f64::EPSILON / 2.0,
    0.5,
    1.0,
    -1.0,
    9_007_199_254_740_992.0,
    9_007_199_254_740_994.0,
    1e16,
    4_294_967_296.0,
    1e-9,
    1e9,
    std::f64::consts::PI,
    std::f64::consts::FRAC_PI_2,
    f32::MAX as f64,
    f32::MIN_POSITIVE as f64,
];

/// A cursor over the fuzzer's bytes.
#[derive(Clone, Debug)]
pub(crate) struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next byte, or 0 past the end.
    pub(crate) fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `N` bytes, little-endian, padded with zeros past the end.
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    pub(crate) fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.bytes())
    }

    pub(crate) fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    /// A number in `0..n` (`n >= 1`) from one byte (two when `n > 256`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n <= 256 { usize::from(self.byte()) % n } else { usize::from(self.u16()) % n }
    }

    pub(crate) fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A coordinate: mostly small integers and binary fractions (so that boxes touch, nest and
    /// tie exactly), sometimes a special value, raw bits, an `f32` or a huge power of two.
    pub(crate) fn float(&mut self) -> f64 {
        let tag = self.byte();
        match tag % 8 {
            0 => SPECIAL[usize::from(self.byte()) % SPECIAL.len()],
            1 => f64::from_bits(self.u64()),
            2 => f64::from(f32::from_bits(self.u32())),
            3 => f64::from(self.u16() as i16) / 64.0,
            4 => f64::from(self.byte() as i8) * 2f64.powi(i32::from(self.byte() as i8) * 8),
            _ => f64::from(tag >> 3),
        }
    }

    /// A score: mostly in `[0, 1]`, often one of a few values (ties), sometimes any float.
    pub(crate) fn score(&mut self) -> f64 {
        let tag = self.byte();
        match tag % 4 {
            0 => self.float(),
            1 => f64::from(tag >> 2) / 16.0,
            _ => f64::from(self.u16()) / 65535.0,
        }
    }
}

/// A small deterministic generator (splitmix64) for cases larger than the fuzzer's bytes: a few
/// bytes seed thousands of items.
#[derive(Clone, Debug)]
pub(crate) struct Synth {
    state: u64,
}

impl Synth {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// A number in `0..n` (`n >= 1`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_as_zero() {
        let mut input = Input::new(&[7]);
        assert_eq!(input.byte(), 7);
        assert_eq!((input.byte(), input.u16(), input.u64()), (0, 0, 0));
        assert_eq!(input.float(), 0.0);
    }

    #[test]
    fn specials_include_nan_and_subnormals() {
        assert!(SPECIAL.iter().any(|v| v.is_nan()));
        assert!(SPECIAL.iter().any(|v| v.is_subnormal()));
        assert!(SPECIAL.iter().any(|v| v.is_infinite()));
    }
}
