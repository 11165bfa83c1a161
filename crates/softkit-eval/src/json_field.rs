//! Deserialisers for the COCO fields that need more than serde's derive: a `bbox` that reports
//! its length instead of failing on it, an `iscrowd` given as a number or a boolean, and reading
//! a JSON document from a path, a string or a parsed value.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::EvalError;

/// A `bbox` array as written: its first four numbers and how many numbers it held.
///
/// The length is checked after parsing so that the error can name the item it belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RawBbox {
    pub(crate) values: [f64; 4],
    pub(crate) len: usize,
}

impl<'de> Deserialize<'de> for RawBbox {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BboxVisitor;
        impl<'de> Visitor<'de> for BboxVisitor {
            type Value = RawBbox;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of numbers [x, y, width, height]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawBbox, A::Error> {
                let mut raw = RawBbox::default();
                while raw.len < 4 {
                    match seq.next_element::<f64>()? {
                        Some(v) => raw.values[raw.len] = v,
                        None => return Ok(raw),
                    }
                    raw.len += 1;
                }
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    raw.len += 1;
                }
                Ok(raw)
            }
        }
        deserializer.deserialize_seq(BboxVisitor)
    }
}

impl RawBbox {
    /// The box as `[x, y, width, height]`, checked for length and for negative sides.
    pub(crate) fn checked(&self, item: impl FnOnce() -> String) -> Result<[f64; 4], EvalError> {
        if self.len != 4 {
            return Err(EvalError::BboxLength { item: item(), len: self.len });
        }
        let [_, _, w, h] = self.values;
        if w < 0.0 {
            return Err(EvalError::NegativeBboxSide { item: item(), side: "width", value: w });
        }
        if h < 0.0 {
            return Err(EvalError::NegativeBboxSide { item: item(), side: "height", value: h });
        }
        Ok(self.values)
    }
}

/// `iscrowd` as COCO files write it: `0`, `1`, `false` or `true`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CrowdFlag(pub(crate) bool);

impl<'de> Deserialize<'de> for CrowdFlag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CrowdVisitor;
        impl Visitor<'_> for CrowdVisitor {
            type Value = CrowdFlag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("iscrowd as 0, 1, false or true")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<CrowdFlag, E> {
                Ok(CrowdFlag(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CrowdFlag, E> {
                match v {
                    0 => Ok(CrowdFlag(false)),
                    1 => Ok(CrowdFlag(true)),
                    _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CrowdFlag, E> {
                match u64::try_from(v) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(CrowdVisitor)
    }
}

/// Parses a JSON document from text, naming `origin` in any error.
pub(crate) fn parse_str<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, EvalError> {
    serde_json::from_str(text).map_err(|e| EvalError::from_json(origin, e))
}

/// Reads and parses a JSON file; errors name the path.
pub(crate) fn parse_path<T: DeserializeOwned>(path: &Path) -> Result<T, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: path.to_path_buf(), source })?;
    parse_str(&text, &path.display().to_string())
}

/// Converts an already-parsed JSON value, naming `origin` in any error.
pub(crate) fn parse_value<T: DeserializeOwned>(value: &serde_json::Value, origin: &str) -> Result<T, EvalError> {
    T::deserialize(value).map_err(|e| EvalError::from_json(origin, e))
}

/// Checks that a `keypoints` field is a non-empty list of `x, y, v` triples.
pub(crate) fn check_keypoint_triples(keypoints: &[f64], item: impl FnOnce() -> String) -> Result<(), EvalError> {
    if keypoints.is_empty() || !keypoints.len().is_multiple_of(3) {
        return Err(EvalError::KeypointTriples { item: item(), len: keypoints.len() });
    }
    Ok(())
}
