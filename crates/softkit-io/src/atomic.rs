//! Writing outputs safely: all or nothing, and never over an input.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::IoError;

/// Writes `bytes` to `path` so that no reader ever sees a partial file: the bytes go to a
/// temporary file in the same folder, are flushed to disk, and the temporary file is renamed
/// over `path` (an atomic replacement on POSIX file systems). A crash or a kill at any moment
/// leaves either the previous file, intact, or the new one, complete.
///
/// # Errors
///
/// [`IoError::Write`] naming `path` if the folder cannot be written, the disk is full, or the
/// rename fails; the temporary file is removed then.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join("softkit_io_doc_atomic.txt");
/// softkit_io::write_atomic(&path, b"first")?;
/// softkit_io::write_atomic(&path, b"second")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"second");
/// # Ok::<(), softkit_io::IoError>(())
/// ```
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), IoError> {
    let path = path.as_ref();
    let error = |source| IoError::Write { path: path.to_path_buf(), source };
    let temporary = temporary_beside(path);
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error(source));
    }
    // Make the rename itself durable; a folder that cannot be synced (some file systems) is no error.
    if let Ok(folder) = std::fs::File::open(folder_of(path)) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// A hidden name in `path`'s folder, unique to this process.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    folder_of(path).join(format!(".{name}.{}.softkit-partial", std::process::id()))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses to write `output` (given with the flag `output_flag`) when it is the same file as one
/// of `inputs` (each with its flag), before anything is read or written: overwriting an input
/// destroys it.
///
/// The comparison resolves both paths (`.`/`..`, symbolic links, a file that does not exist yet
/// by its folder), and on Unix also catches two names of one file (hard links).
///
/// # Errors
///
/// [`IoError::OutputIsInput`] naming both flags and paths.
///
/// # Examples
///
/// ```
/// use std::path::Path;
///
/// let input = std::env::temp_dir().join("softkit_io_doc_input.json");
/// std::fs::write(&input, "[]").unwrap();
/// let same = input.parent().unwrap().join(".").join("softkit_io_doc_input.json");
/// let err = softkit_io::ensure_not_an_input("--output", &same, &[("--input", &input)]).unwrap_err();
/// assert!(err.to_string().contains("is the same file as --input"));
/// let other = std::env::temp_dir().join("softkit_io_doc_output.json");
/// assert!(softkit_io::ensure_not_an_input("--output", &other, &[("--input", &input)]).is_ok());
/// ```
pub fn ensure_not_an_input(output_flag: &str, output: &Path, inputs: &[(&str, &Path)]) -> Result<(), IoError> {
    let resolved = resolve(output);
    for &(input_flag, input) in inputs {
        let same_name = resolved.is_some() && resolved == resolve(input);
        if same_name || same_file(output, input) {
            return Err(IoError::OutputIsInput {
                output_flag: output_flag.to_string(),
                output: output.to_path_buf(),
                input_flag: input_flag.to_string(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The absolute, resolved form of a path whose file may not exist yet (then its folder must).
fn resolve(path: &Path) -> Option<PathBuf> {
    if let Ok(found) = path.canonicalize() {
        return Some(found);
    }
    let folder = folder_of(path).canonicalize().ok()?;
    Some(folder.join(path.file_name()?))
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("softkit-io-atomic-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_partial_one() {
        let d = dir("fail");
        let target = d.join("out.json");
        write_atomic(&target, b"old").unwrap();
        // A folder cannot be replaced by a file: the rename fails after the bytes were written.
        let folder = d.join("sub");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("keep"), b"x").unwrap();
        assert!(write_atomic(&folder, b"new").is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        let leftovers: Vec<_> = std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    }

    #[test]
    fn hard_links_symbolic_links_and_dots_are_the_same_file() {
        let d = dir("same");
        let input = d.join("in.json");
        std::fs::write(&input, b"[]").unwrap();
        let hard = d.join("hard.json");
        std::fs::hard_link(&input, &hard).unwrap();
        let dotted = d.join("sub").join("..").join("in.json");
        std::fs::create_dir(d.join("sub")).unwrap();
        for output in [&hard, &dotted, &input] {
            assert!(ensure_not_an_input("--output", output, &[("--input", &input)]).is_err(), "{output:?}");
        }
        #[cfg(unix)]
        {
            let soft = d.join("soft.json");
            std::os::unix::fs::symlink(&input, &soft).unwrap();
            assert!(ensure_not_an_input("--output", &soft, &[("--input", &input)]).is_err());
        }
        assert!(ensure_not_an_input("--output", &d.join("new.json"), &[("--input", &input)]).is_ok());
    }
}
