//! MOTChallenge text files: one object (or detection, or track) per line,
//! `frame, id, x, y, w, h, confidence, class, visibility[, unused]`.

use std::path::Path;

use rayon::prelude::*;

use crate::json::read_text;
use crate::{IoError, integer_id, write_atomic};

/// The rows of a MOTChallenge file in columns, in file order.
///
/// Fields are separated by commas or white space. The first six (`frame, id, x, y, w, h`) are
/// required; `confidence`, `class` and `visibility` default to `1`, `-1` and `-1` when a line stops
/// early (detection files often do). `frame` and `id` must be integers (`-1` is the id of a
/// detection); boxes are `[x, y, width, height]` in pixels, as written.
///
/// # Examples
///
/// ```
/// let rows = softkit_io::parse_mot("1,1,399,182,121,229,1,-1,-1,-1\n1,2,282,201,92,184,0,-1,-1\n", "gt.txt")?;
/// assert_eq!(rows.frames, vec![1, 1]);
/// assert_eq!(rows.boxes[0], [399.0, 182.0, 121.0, 229.0]);
/// // MOTChallenge ground truth marks rows to ignore with confidence 0.
/// assert_eq!(rows.with_min_confidence(1.0).len(), 1);
/// # Ok::<(), softkit_io::IoError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MotRows {
    /// Frame number of each row.
    pub frames: Vec<i64>,
    /// Object (or track) id of each row; `-1` for detections.
    pub ids: Vec<i64>,
    /// `[x, y, width, height]` of each row.
    pub boxes: Vec<[f64; 4]>,
    /// Confidence (a detection's score; `0` marks ground truth to ignore).
    pub confidences: Vec<f64>,
    /// The eighth field: the class in MOT16 and later (`-1` when not given), the world `x` in
    /// MOT15's 3-D columns.
    pub classes: Vec<f64>,
    /// The ninth field: the visibility in `[0, 1]` in MOT16 and later (`-1` when not given), the
    /// world `y` in MOT15.
    pub visibilities: Vec<f64>,
    /// The 1-based line of each row in its file.
    pub lines: Vec<usize>,
}

impl MotRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The rows whose confidence is at least `min` (motmetrics' `min_confidence`).
    pub fn with_min_confidence(&self, min: f64) -> MotRows {
        let keep: Vec<usize> = (0..self.len()).filter(|&r| self.confidences[r] >= min).collect();
        MotRows {
            frames: keep.iter().map(|&r| self.frames[r]).collect(),
            ids: keep.iter().map(|&r| self.ids[r]).collect(),
            boxes: keep.iter().map(|&r| self.boxes[r]).collect(),
            confidences: keep.iter().map(|&r| self.confidences[r]).collect(),
            classes: keep.iter().map(|&r| self.classes[r]).collect(),
            visibilities: keep.iter().map(|&r| self.visibilities[r]).collect(),
            lines: keep.iter().map(|&r| self.lines[r]).collect(),
        }
    }

    fn with_capacity(rows: usize) -> Self {
        MotRows {
            frames: Vec::with_capacity(rows),
            ids: Vec::with_capacity(rows),
            boxes: Vec::with_capacity(rows),
            confidences: Vec::with_capacity(rows),
            classes: Vec::with_capacity(rows),
            visibilities: Vec::with_capacity(rows),
            lines: Vec::with_capacity(rows),
        }
    }

    fn append(&mut self, mut other: MotRows) {
        self.frames.append(&mut other.frames);
        self.ids.append(&mut other.ids);
        self.boxes.append(&mut other.boxes);
        self.confidences.append(&mut other.confidences);
        self.classes.append(&mut other.classes);
        self.visibilities.append(&mut other.visibilities);
        self.lines.append(&mut other.lines);
    }

    fn push(&mut self, line: usize, ints: [i64; 2], floats: [f64; 4], extra: [f64; 3]) {
        self.frames.push(ints[0]);
        self.ids.push(ints[1]);
        self.boxes.push(floats);
        self.confidences.push(extra[0]);
        self.classes.push(extra[1]);
        self.visibilities.push(extra[2]);
        self.lines.push(line);
    }
}

/// Reads a MOTChallenge file (see [`MotRows`]).
///
/// # Errors
///
/// [`IoError`] if the file cannot be read or a line is malformed (naming the file, the line, the
/// field and the text).
///
/// # Examples
///
/// ```no_run
/// let gt = softkit_io::read_mot("TUD-Campus/gt.txt")?.with_min_confidence(1.0);
/// println!("{} boxes", gt.len());
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn read_mot(path: impl AsRef<Path>) -> Result<MotRows, IoError> {
    let path = path.as_ref();
    parse_mot(&read_text(path)?, &path.display().to_string())
}

/// Parses the text of a MOTChallenge file; `origin` names it in errors.
///
/// # Errors
///
/// As [`read_mot`]: a line with fewer than six fields, a field that is not a number, a
/// fractional frame or id, a non-finite value or a negative width or height.
///
/// # Examples
///
/// ```
/// let err = softkit_io::parse_mot("1,1,0,0,10,10\n2,1,0,0,ten,10\n", "gt.txt").unwrap_err();
/// assert_eq!(err.to_string(), r#"gt.txt:2: w = "ten" is not a number"#);
/// ```
pub fn parse_mot(text: &str, origin: &str) -> Result<MotRows, IoError> {
    // A byte-order mark is not part of the first field.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Large files parse in blocks of whole lines on every core; blocks join in order, and their
    // line numbers (counted from 1 in each block) shift by the lines before them.
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + BLOCK_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        blocks.push(&text[start..end]);
        start = end;
    }
    let parsed: Vec<Result<MotRows, IoError>> = if blocks.len() > 1 {
        blocks.par_iter().map(|block| parse_block(block, origin)).collect()
    } else {
        blocks.iter().map(|block| parse_block(block, origin)).collect()
    };
    let mut rows = MotRows::default();
    let mut before = 0;
    for (block, text) in parsed.into_iter().zip(&blocks) {
        let mut block = block.map_err(|e| match e {
            IoError::MotLine { origin, line, field, text, problem } => {
                IoError::MotLine { origin, line: line + before, field, text, problem }
            }
            other => other,
        })?;
        block.lines.iter_mut().for_each(|l| *l += before);
        rows.append(block);
        before += text.bytes().filter(|&b| b == b'\n').count();
    }
    Ok(rows)
}

/// Bytes of text per parallel block (about 10,000 lines).
const BLOCK_BYTES: usize = 1 << 19;

/// Parses consecutive lines, numbering them from 1.
fn parse_block(text: &str, origin: &str) -> Result<MotRows, IoError> {
    const NAMES: [&str; 9] = ["frame", "id", "x", "y", "w", "h", "confidence", "class", "visibility"];
    const DEFAULTS: [f64; 9] = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0, -1.0];
    let mut rows = MotRows::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    let mut fields: [&str; 9] = [""; 9];
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let mut count = 0;
        for field in line.split(|c: char| c == ',' || c.is_ascii_whitespace()).filter(|f| !f.is_empty()) {
            // Fields past the ninth (MOTChallenge's unused tenth) are not read.
            if count < fields.len() {
                fields[count] = field;
            }
            count += 1;
        }
        if count == 0 {
            continue;
        }
        let bad = |field: &'static str, text: &str, problem: &'static str| IoError::MotLine {
            origin: origin.to_string(),
            line: line_no,
            field,
            text: text.to_string(),
            problem,
        };
        if count < 6 {
            return Err(bad("line", line, "has fewer than six fields (frame, id, x, y, w, h)"));
        }
        let mut numbers = DEFAULTS;
        for (k, slot) in numbers.iter_mut().enumerate().take(count) {
            *slot = fields[k].parse::<f64>().map_err(|_| bad(NAMES[k], fields[k], "is not a number"))?;
            if !slot.is_finite() {
                return Err(bad(NAMES[k], fields[k], "is not finite"));
            }
        }
        let integer = |k: usize| integer_id(numbers[k]).ok_or_else(|| bad(NAMES[k], fields[k], "is not an integer"));
        let (frame, id) = (integer(0)?, integer(1)?);
        for k in [4, 5] {
            if numbers[k] < 0.0 {
                return Err(bad(NAMES[k], fields[k], "is negative"));
            }
        }
        let bbox = [numbers[2], numbers[3], numbers[4], numbers[5]];
        rows.push(line_no, [frame, id], bbox, [numbers[6], numbers[7], numbers[8]]);
    }
    Ok(rows)
}

/// Writes tracks as a MOTChallenge file: `frame,id,x,y,w,h,confidence,-1,-1,-1` per line, in the
/// order given.
///
/// # Errors
///
/// [`IoError::Write`] if the file cannot be written.
///
/// # Examples
///
/// ```
/// let rows = softkit_io::parse_mot("3,7,1.5,2,10,20,0.9\n", "t.txt")?;
/// let path = std::env::temp_dir().join("softkit_io_doc_tracks.txt");
/// softkit_io::write_mot(&path, &rows)?;
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "3,7,1.5,2,10,20,0.9,-1,-1,-1\n");
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn write_mot(path: impl AsRef<Path>, rows: &MotRows) -> Result<(), IoError> {
    use std::fmt::Write as _;
    let path = path.as_ref();
    let mut text = String::with_capacity(rows.len() * 48);
    for r in 0..rows.len() {
        let [x, y, w, h] = rows.boxes[r];
        let _ = writeln!(text, "{},{},{x},{y},{w},{h},{},-1,-1,-1", rows.frames[r], rows.ids[r], rows.confidences[r]);
    }
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_join_in_order_and_count_lines() {
        let text: String = (1..=40_000).map(|i| format!("{i},{},1.5,2,3,4,0.5,-1,-1,-1\n", i % 7)).collect();
        assert!(text.len() > 2 * BLOCK_BYTES);
        let rows = parse_mot(&text, "big").unwrap();
        assert_eq!(rows.len(), 40_000);
        assert!(rows.frames.iter().zip(1..).all(|(&f, i)| f == i));
        assert!(rows.lines.iter().zip(1..).all(|(&l, i)| l == i));
        let broken = text.replace("\n31234,", "\n31234.5,");
        assert_eq!(
            parse_mot(&broken, "big").unwrap_err().to_string(),
            r#"big:31234: frame = "31234.5" is not an integer"#
        );
    }

    #[test]
    fn separators_defaults_and_errors() {
        let rows = parse_mot("1 2 3 4 5 6\n\n2,\t3, 1,1,2,2, 0.5 ,1, 0.7\n", "f").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows.confidences[0], rows.classes[0], rows.visibilities[0]), (1.0, -1.0, -1.0));
        assert_eq!((rows.confidences[1], rows.classes[1], rows.visibilities[1]), (0.5, 1.0, 0.7));
        assert_eq!(rows.lines, vec![1, 3]);
        let err = parse_mot("1,2,3\n", "f").unwrap_err();
        assert_eq!(err.to_string(), r#"f:1: line = "1,2,3" has fewer than six fields (frame, id, x, y, w, h)"#);
        let err = parse_mot("1.5,2,0,0,1,1\n", "f").unwrap_err();
        assert_eq!(err.to_string(), r#"f:1: frame = "1.5" is not an integer"#);
        let err = parse_mot("1,2,0,0,-1,1\n", "f").unwrap_err();
        assert_eq!(err.to_string(), r#"f:1: w = "-1" is negative"#);
        let err = parse_mot("1,2,nan,0,1,1\n", "f").unwrap_err();
        assert_eq!(err.to_string(), r#"f:1: x = "nan" is not finite"#);
    }
}
