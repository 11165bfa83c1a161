use thiserror::Error;

/// What can go wrong reading or writing detection files.
///
/// # Examples
///
/// ```
/// let err = softkit_io::parse_detections("[{\"image_id\": 1,", "dets.json").unwrap_err();
/// assert!(err.to_string().starts_with("dets.json:1:16: malformed JSON"));
/// ```
#[derive(Debug, Error)]
pub enum IoError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path}:{line}:{column}: malformed JSON: {message}")]
    Json {
        /// The file.
        path: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The JSON parses but a value is invalid.
    #[error("{path}: {location}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// Where in the document, e.g. `candidates[12]`.
        location: String,
        /// What is wrong, naming the field and the value.
        message: String,
    },
}

impl IoError {
    pub(crate) fn json(path: &str, err: &serde_json::Error) -> Self {
        // serde_json appends " at line L column C" to its messages; the location is reported separately.
        let text = err.to_string();
        let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m).to_string();
        IoError::Json { path: path.to_string(), line: err.line(), column: err.column(), message }
    }
}
