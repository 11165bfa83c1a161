//! Reading JSON documents from a path, a string or a parsed value, and the COCO fields that need
//! more than serde's derive: a `bbox` that reports its length instead of failing on it, and an
//! `iscrowd` given as a number or a boolean.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};

use softkit_geom::{BoxFormat, GeomError};

use crate::IoError;

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
    pub(crate) fn checked(&self, item: impl FnOnce() -> String) -> Result<[f64; 4], IoError> {
        if self.len != 4 {
            return Err(IoError::BboxLength { item: item(), len: self.len });
        }
        check_bbox(self.values, item)?;
        Ok(self.values)
    }
}

/// Checks a COCO `bbox` with softkit's one box validation, naming `item` in the error.
pub(crate) fn check_bbox(bbox: [f64; 4], item: impl FnOnce() -> String) -> Result<(), IoError> {
    BoxFormat::Xywh.validate(&[bbox]).map_err(|err| match err {
        GeomError::NegativeSize { field, value, .. } => {
            IoError::NegativeBboxSide { item: item(), side: if field == "w" { "width" } else { "height" }, value }
        }
        GeomError::NonFinite { field, value, .. } => {
            let field = match field {
                "x" => "bbox[0]",
                "y" => "bbox[1]",
                "w" => "bbox[2]",
                _ => "bbox[3]",
            };
            IoError::NonFinite { item: item(), field, value }
        }
        other => IoError::Geometry { item: item(), source: other },
    })
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

/// Checks a rotated box `[cx, cy, w, h, angle]` (radians): finite, sizes at least 0.
pub(crate) fn check_rbox(rbox: [f64; 5], item: impl Fn() -> String) -> Result<[f64; 5], IoError> {
    match softkit_geom::RotatedFormat::Radians.validate(&[rbox]) {
        Ok(_) => Ok(rbox),
        Err(source) => Err(IoError::Geometry { item: format!("{}.rbox", item()), source }),
    }
}

/// Parses a JSON document from text, naming `origin` in any error.
pub(crate) fn parse_str<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, IoError> {
    serde_json::from_str(text).map_err(|e| IoError::from_json(origin, e))
}

/// Reads a whole file; the error names the path.
pub(crate) fn read_text(path: &Path) -> Result<String, IoError> {
    std::fs::read_to_string(path).map_err(|source| IoError::Read { path: path.to_path_buf(), source })
}

/// Reads and parses a JSON file; errors name the path.
pub(crate) fn parse_path<T: DeserializeOwned>(path: &Path) -> Result<T, IoError> {
    parse_str(&read_text(path)?, &path.display().to_string())
}

/// Converts an already-parsed JSON value, naming `origin` in any error.
pub(crate) fn parse_value<T: DeserializeOwned>(value: &serde_json::Value, origin: &str) -> Result<T, IoError> {
    T::deserialize(value).map_err(|e| IoError::from_json(origin, e))
}

/// Checks that a `keypoints` field is a non-empty list of `x, y, v` triples.
pub(crate) fn check_keypoint_triples(keypoints: &[f64], item: impl FnOnce() -> String) -> Result<(), IoError> {
    if keypoints.is_empty() || !keypoints.len().is_multiple_of(3) {
        return Err(IoError::KeypointTriples { item: item(), len: keypoints.len() });
    }
    Ok(())
}
