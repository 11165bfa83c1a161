//! What the CLI tests share: running the binary and writing its inputs.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `softkit` with `args`.
pub fn softkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_softkit")).args(args).output().expect("the softkit binary runs")
}

/// Writes `contents` to `name` in this test process's own temporary folder.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softkit-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// The standard error of a run, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
