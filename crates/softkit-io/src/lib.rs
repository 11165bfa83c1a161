//! Readers and writers for detection data.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
