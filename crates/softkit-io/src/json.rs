//! Reading JSON documents from a path, a string or a parsed value, and the COCO fields that need
//! more than serde's derive: a `bbox` that reports its length instead of failing on it, and an
//! `iscrowd` given as a number or a boolean.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};

use softkit_geom::{BoxFormat, GeomError};

use crate::{IoError, JsonPlace};

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

/// Where a JSON document came from, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin<'a> {
    /// A file path, or a name such as `ground truth`, or the Python argument (`gt`).
    pub(crate) name: &'a str,
    /// Whether line and column point into text the user wrote. Text that a caller serialised
    /// from an in-memory object has none the user could look up: its errors give the JSON path.
    pub(crate) positions: bool,
}

impl<'a> Origin<'a> {
    /// Text the user wrote (a file, or a string they passed).
    pub(crate) fn text(name: &'a str) -> Self {
        Origin { name, positions: true }
    }

    /// Text serialised from the user's in-memory object (a Python dict or list).
    pub(crate) fn serialised(name: &'a str) -> Self {
        Origin { name, positions: false }
    }
}

/// Parses a JSON document of `format` from text. Errors give the JSON path of the offending value
/// (`annotations[17].bbox`), and its line and column when the user wrote the text. A UTF-8
/// byte-order mark, which some Windows editors write, is skipped.
pub(crate) fn parse_json<T: DeserializeOwned>(text: &str, origin: Origin, format: &'static str) -> Result<T, IoError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The fast path keeps no JSON path; only a document that fails is parsed again to name the place.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = serde_path_to_error::deserialize(&mut de);
    let (path, result) = match parsed {
        Ok(value) => (String::new(), de.end().map(|()| value)),
        Err(err) => {
            let path = err.path().to_string();
            (path, Err(err.into_inner()))
        }
    };
    result.map_err(|e| json_error(e, clean_path(path), Some(text), origin, format))
}

/// Parses a large JSON array (of objects) in parallel, or `None` when it is small, not an array
/// of objects, or fails anywhere (the caller then parses it whole, for the error's place).
///
/// The text between the brackets is cut at about every [`ARRAY_CHUNK`] bytes, at a comma between
/// `}` and `{`, and each piece is parsed as an array of its own. A cut that falls inside a string
/// or a nested value leaves its piece unbalanced (an unterminated string or bracket), so that
/// piece fails and so does the whole: a wrong cut never changes what is read.
pub(crate) fn parse_array_parallel<T: DeserializeOwned + Send>(text: &str) -> Option<Vec<T>> {
    use rayon::prelude::*;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.len() < 2 * ARRAY_CHUNK {
        return None;
    }
    let bytes = inner.as_bytes();
    let is_space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let mut pieces = Vec::new();
    let (mut start, mut at) = (0, ARRAY_CHUNK);
    while at < bytes.len() {
        let Some(comma) = (at..bytes.len()).find(|&i| {
            bytes[i] == b','
                && bytes[..i].iter().rev().find(|&&b| !is_space(b)) == Some(&b'}')
                && bytes[i + 1..].iter().find(|&&b| !is_space(b)) == Some(&b'{')
        }) else {
            break;
        };
        pieces.push(&inner[start..comma]);
        start = comma + 1;
        at = comma + ARRAY_CHUNK;
    }
    pieces.push(&inner[start..]);
    let parsed: Option<Vec<Vec<T>>> = pieces
        .par_iter()
        .map(|piece| {
            let mut wrapped = String::with_capacity(piece.len() + 2);
            wrapped.push('[');
            wrapped.push_str(piece);
            wrapped.push(']');
            serde_json::from_str::<Vec<T>>(&wrapped).ok()
        })
        .collect();
    Some(parsed?.into_iter().flatten().collect())
}

/// The bytes per piece of [`parse_array_parallel`].
const ARRAY_CHUNK: usize = 1 << 22;

/// Reads a whole file; the error names the path.
pub(crate) fn read_text(path: &Path) -> Result<String, IoError> {
    std::fs::read_to_string(path).map_err(|source| IoError::Read { path: path.to_path_buf(), source })
}

/// Reads and parses a JSON file of `format`; errors name the path.
pub(crate) fn parse_path<T: DeserializeOwned>(path: &Path, format: &'static str) -> Result<T, IoError> {
    parse_json(&read_text(path)?, Origin::text(&path.display().to_string()), format)
}

/// Converts an already-parsed JSON value, naming `origin` and the JSON path in any error.
pub(crate) fn parse_value<T: DeserializeOwned>(
    value: &serde_json::Value,
    origin: &str,
    format: &'static str,
) -> Result<T, IoError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = clean_path(err.path().to_string());
        json_error(err.into_inner(), path, None, Origin::serialised(origin), format)
    })
}

/// The path as users write it: empty at the root, without the `?` that stands for a key the
/// parser had not read yet when the text broke off, and a results list's items named as the
/// other errors name them (`results[3]`, the only list at a document's root).
fn clean_path(mut path: String) -> String {
    while path.ends_with(".?") {
        path.truncate(path.len() - 2);
    }
    match path.as_str() {
        "." | "?" => String::new(),
        _ if path.starts_with('[') => format!("results{path}"),
        _ => path,
    }
}

/// Sorts a parser error into [`IoError::Syntax`] or [`IoError::Shape`], in the user's words.
fn json_error(
    err: serde_json::Error,
    path: String,
    text: Option<&str>,
    origin: Origin,
    format: &'static str,
) -> IoError {
    let (line, column) = (err.line(), err.column());
    let full = err.to_string();
    let message = full.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&full);
    let line_column = (origin.positions && line > 0).then_some((line, column));
    let place = Box::new(JsonPlace { path, line_column });
    let origin = origin.name.to_string();
    match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            let literal = text.and_then(|t| non_finite_literal(t, line, column));
            let message = match literal {
                // Python's `json.dump` writes these by default; JSON has no such numbers.
                Some(literal) => format!(
                    "{literal} is not a JSON number (JSON has no NaN or infinity; give a finite number, \
                     or drop the object)"
                ),
                None => message.to_string(),
            };
            IoError::Syntax { origin, place, message }
        }
        serde_json::error::Category::Data | serde_json::error::Category::Io => {
            IoError::Shape { origin, format, place, message: plain_words(message) }
        }
    }
}

/// The `NaN`, `Infinity` or `-Infinity` literal at a syntax error's line and column, if any.
fn non_finite_literal(text: &str, line: usize, column: usize) -> Option<&'static str> {
    let line_text = text.split('\n').nth(line.checked_sub(1)?)?;
    // serde_json points at the literal's first character, or at the one after a sign.
    (column.saturating_sub(2)..column + 1).find_map(|from| {
        let rest = line_text.get(from..)?;
        ["NaN", "-Infinity", "Infinity"].into_iter().find(|literal| rest.starts_with(literal))
    })
}

/// serde's words for Rust types, in the words of the JSON the user wrote.
fn plain_words(message: &str) -> String {
    message
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected an integer")
        .replace("expected u32", "expected an integer in 0..2^32")
        .replace("expected usize", "expected a non-negative integer")
        .replace("expected a borrowed string", "expected a string")
}

/// Checks that a `keypoints` field is a non-empty list of `x, y, v` triples.
pub(crate) fn check_keypoint_triples(keypoints: &[f64], item: impl FnOnce() -> String) -> Result<(), IoError> {
    if keypoints.is_empty() || !keypoints.len().is_multiple_of(3) {
        return Err(IoError::KeypointTriples { item: item(), len: keypoints.len() });
    }
    Ok(())
}

/// An id as written: an integer, or an integral float (`42.0`), which pycocotools accepts too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawId {
    pub(crate) value: i64,
    /// Whether the file wrote it as a float, which the loader reports.
    pub(crate) from_float: bool,
}

impl<'de> Deserialize<'de> for RawId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = RawId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer id")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawId, E> {
                Ok(RawId { value, from_float: false })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawId, E> {
                match i64::try_from(v) {
                    Ok(value) => Ok(RawId { value, from_float: false }),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Unsigned(v), &"an integer id of at most 2^63 - 1")),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawId, E> {
                match crate::integer_id(v) {
                    Some(value) => Ok(RawId { value, from_float: true }),
                    None => Err(E::invalid_value(
                        de::Unexpected::Float(v),
                        &"an integer id (a float id must be integral and at most 2^53 in magnitude)",
                    )),
                }
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// An id's value, for `deserialize_with` on fields whose float form needs no report.
pub(crate) fn id_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    RawId::deserialize(deserializer).map(|id| id.value)
}

/// Ids that a file wrote as floats and the loader read as integers: how many, and the first.
///
/// # Examples
///
/// ```
/// use softkit_io::CocoGroundTruth;
///
/// let gt = CocoGroundTruth::from_json_str(
///     r#"{"images": [{"id": 7.0}], "categories": [{"id": 1}], "annotations": []}"#,
/// )?;
/// let note = gt.float_ids().unwrap();
/// assert_eq!(note.to_string(), "1 id was written as a float and read as an integer: images[0].id = 7.0 is 7");
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloatIds {
    /// How many ids were floats.
    pub count: usize,
    /// The first of them, as `images[0].id`.
    pub first: String,
    /// Its value.
    pub first_value: i64,
}

impl fmt::Display for FloatIds {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let (count, first, value) = (self.count, &self.first, self.first_value);
        let (ids, were, floats, integers) =
            if count == 1 { ("id", "was", "a float", "an integer") } else { ("ids", "were", "floats", "integers") };
        write!(f, "{count} {ids} {were} written as {floats} and read as {integers}: {first} = {value}.0 is {value}")
    }
}

/// Collects the ids written as floats, in reading order.
#[derive(Default)]
pub(crate) struct FloatIdCounter(Option<FloatIds>);

impl FloatIdCounter {
    /// The id's value, noting it when it was a float; `name` names it (`images[0].id`).
    pub(crate) fn id(&mut self, id: RawId, name: impl FnOnce() -> String) -> i64 {
        if id.from_float {
            match &mut self.0 {
                Some(note) => note.count += 1,
                None => self.0 = Some(FloatIds { count: 1, first: name(), first_value: id.value }),
            }
        }
        id.value
    }

    /// The note, `None` when every id was an integer.
    pub(crate) fn finish(self) -> Option<FloatIds> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A results-like array of `n` objects, one of which holds the cut pattern inside a string.
    fn big_array(n: usize) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| {
                let name = if i == n / 2 { "a}, {\"trap\": 1" } else { "plain" };
                format!(r#"{{"id": {i}, "name": "{}", "v": [{i}.5, 2]}}"#, name.replace('"', "\\\""))
            })
            .collect();
        format!("[{}]", items.join(", "))
    }

    #[test]
    fn parallel_pieces_read_what_one_pass_reads() {
        let text = big_array(300_000);
        assert!(text.len() > 2 * ARRAY_CHUNK);
        let whole: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let pieces: Vec<serde_json::Value> = parse_array_parallel(&text).unwrap();
        assert_eq!(pieces, whole);
    }

    #[test]
    fn parallel_parse_declines_small_broken_and_non_arrays() {
        assert!(parse_array_parallel::<serde_json::Value>("[1, 2]").is_none());
        let mut broken = big_array(300_000);
        broken.insert(broken.len() / 3, '!');
        assert!(parse_array_parallel::<serde_json::Value>(&broken).is_none());
        let object = format!("{{\"a\": {}}}", big_array(300_000));
        assert!(parse_array_parallel::<serde_json::Value>(&object).is_none());
    }
}
