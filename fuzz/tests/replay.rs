//! Replays every committed fuzz input through its target on stable Rust: the corpus that
//! `cargo fuzz` grew (`fuzz/corpus/<target>/`) and the inputs that once crashed
//! (`fuzz/regressions/<target>/`). CI runs this instead of the fuzzer, which needs nightly.

use std::fs;
use std::path::{Path, PathBuf};

use softkit_fuzz::TARGETS;

/// The files directly inside `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.expect("a readable entry").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut total = 0;
    for target in TARGETS {
        for path in inputs(&root.join(kind).join(target.name)) {
            let data = fs::read(&path).expect("a readable input");
            // A panic names the input, so that it can be run again alone.
            let outcome = std::panic::catch_unwind(|| (target.run)(&data));
            assert!(outcome.is_ok(), "{} panicked on {}", target.name, path.display());
            total += 1;
        }
    }
    total
}

#[test]
fn corpora_replay_cleanly() {
    let replayed = replay("corpus");
    // Every target has a committed corpus.
    for target in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target.name);
        assert!(!inputs(&dir).is_empty(), "no corpus for {}", target.name);
    }
    assert!(replayed > 0);
}

#[test]
fn regressions_replay_cleanly() {
    replay("regressions");
}
