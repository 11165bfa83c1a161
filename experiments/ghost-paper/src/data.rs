//! The digits data of the paper's experiments (sklearn's 8x8 digits, pixels scaled by 1/16) and
//! its splits.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;

use softkit_sim::Rng;

/// Pixels per image.
pub(crate) const PIXELS: usize = 64;
/// Classes.
pub(crate) const CLASSES: usize = 10;
/// The test share of every split.
const TEST_FRACTION: f64 = 0.2;

/// The whole data set: row-major pixels in `[0, 1]` and labels.
pub(crate) struct Digits {
    /// `[rows, 64]`, pixel / 16.
    pub(crate) pixels: Vec<f32>,
    /// One label in `0..10` per row.
    pub(crate) labels: Vec<usize>,
}

/// The environment variable that names the digits file when `--data` does not.
pub(crate) const DATA_ENV: &str = "SOFTKIT_DIGITS";

/// The digits file, and whether `--data` or [`DATA_ENV`] named it (for messages).
#[derive(Debug)]
pub(crate) struct DataPath {
    /// The gzipped CSV.
    path: PathBuf,
    /// `true` when it came from [`DATA_ENV`].
    from_env: bool,
}

impl DataPath {
    /// `--data` when given (`flag`), else the value of [`DATA_ENV`] (`env`) when set and not
    /// empty. The path is never baked in at build time: the binary may run from anywhere.
    pub(crate) fn locate(flag: Option<PathBuf>, env: Option<OsString>) -> Result<DataPath, String> {
        match (flag, env.filter(|v| !v.is_empty())) {
            (Some(path), _) => Ok(DataPath { path, from_env: false }),
            (None, Some(value)) => Ok(DataPath { path: PathBuf::from(value), from_env: true }),
            (None, None) => Err(format!(
                "no digits data: pass --data PATH or set {DATA_ENV}=PATH to sklearn's digits as gzipped \
                 CSV (the file is ../shared/data/digits/digits.csv.gz beside the repository)"
            )),
        }
    }

    /// `--data PATH` or `SOFTKIT_DIGITS=PATH`, as the user wrote it.
    fn describe(&self) -> String {
        if self.from_env {
            format!("{DATA_ENV}={}", self.path.display())
        } else {
            format!("--data {}", self.path.display())
        }
    }
}

/// Reads `digits.csv.gz`: 64 pixel values in `0..=16`, then the label, per line.
pub(crate) fn load_digits(data: &DataPath) -> Result<Digits, String> {
    let path = &data.path;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", data.describe()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: not a gzipped text file: {e}", data.describe()))?;
    let mut digits = Digits { pixels: Vec::new(), labels: Vec::new() };
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = |what: String| format!("{}:{}: {what}", path.display(), number + 1);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != PIXELS + 1 {
            return Err(at(format!("{} fields, expected {} (64 pixels and a label)", fields.len(), PIXELS + 1)));
        }
        for (column, field) in fields[..PIXELS].iter().enumerate() {
            match field.parse::<f32>() {
                Ok(value) if (0.0..=16.0).contains(&value) => digits.pixels.push(value / 16.0),
                _ => return Err(at(format!("pixel {column} = {field:?} is not a number in 0..=16"))),
            }
        }
        match fields[PIXELS].parse::<usize>() {
            Ok(label) if label < CLASSES => digits.labels.push(label),
            _ => return Err(at(format!("label = {:?} is not a class in 0..10", fields[PIXELS]))),
        }
    }
    if digits.labels.is_empty() {
        return Err(format!("{}: no rows", data.describe()));
    }
    Ok(digits)
}

/// Row indices of a train/test split.
pub(crate) struct Split {
    /// Training rows.
    pub(crate) train: Vec<usize>,
    /// Test rows.
    pub(crate) test: Vec<usize>,
}

impl Split {
    /// A stratified split: each class gives its share (largest remainders) of `floor(0.2 n)` test
    /// rows, drawn by a seeded shuffle. On the 1,797 digits: 1,438 train and 359 test rows.
    pub(crate) fn stratified(labels: &[usize], seed: u64) -> Split {
        let n_test = (labels.len() as f64 * TEST_FRACTION).floor() as usize;
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); CLASSES];
        for (row, &label) in labels.iter().enumerate() {
            by_class[label].push(row);
        }
        let exact: Vec<f64> = by_class.iter().map(|c| c.len() as f64 * n_test as f64 / labels.len() as f64).collect();
        let mut quota: Vec<usize> = exact.iter().map(|q| q.floor() as usize).collect();
        let mut by_remainder: Vec<usize> = (0..CLASSES).collect();
        by_remainder
            .sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
        for &class in by_remainder.iter().take(n_test - quota.iter().sum::<usize>()) {
            quota[class] += 1;
        }
        let mut rng = Rng::new(seed ^ 0x5eed_5917);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (mut rows, take) in by_class.into_iter().zip(quota) {
            rng.shuffle(&mut rows);
            test.extend_from_slice(&rows[..take]);
            train.extend_from_slice(&rows[take..]);
        }
        train.sort_unstable();
        test.sort_unstable();
        Split { train, test }
    }

    /// The paper's split for the one-step spike: the first 20% of rows are the test set, unshuffled.
    pub(crate) fn head(rows: usize) -> Split {
        let n_test = (rows as f64 * TEST_FRACTION).floor() as usize;
        Split { train: (n_test..rows).collect(), test: (0..n_test).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_keeps_class_shares_and_covers_every_row() {
        let labels: Vec<usize> = (0..1797).map(|i| (i * 7 + i / 13) % CLASSES).collect();
        let split = Split::stratified(&labels, 3);
        assert_eq!((split.train.len(), split.test.len()), (1438, 359));
        let mut all: Vec<usize> = split.train.iter().chain(&split.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1797).collect::<Vec<_>>());
        for class in 0..CLASSES {
            let total = labels.iter().filter(|&&l| l == class).count() as f64;
            let in_test = split.test.iter().filter(|&&r| labels[r] == class).count() as f64;
            assert!((in_test - 0.2 * total).abs() <= 1.0, "class {class}: {in_test} of {total}");
        }
        assert_ne!(Split::stratified(&labels, 4).test, split.test);
        assert_eq!(Split::stratified(&labels, 3).test, split.test);
    }

    #[test]
    fn data_path_prefers_the_flag_then_the_variable() {
        let flag = Some(PathBuf::from("a.csv.gz"));
        let env = Some(OsString::from("b.csv.gz"));
        let from_flag = DataPath::locate(flag.clone(), env.clone()).unwrap();
        assert_eq!((from_flag.path.to_str(), from_flag.describe().as_str()), (Some("a.csv.gz"), "--data a.csv.gz"));
        let from_env = DataPath::locate(None, env).unwrap();
        assert_eq!(from_env.describe(), "SOFTKIT_DIGITS=b.csv.gz");
        // An empty variable names nothing.
        let err = DataPath::locate(None, Some(OsString::new())).unwrap_err();
        for needle in ["--data", "SOFTKIT_DIGITS", "../shared/data/digits/digits.csv.gz"] {
            assert!(err.contains(needle), "{err}");
        }
        assert_eq!(DataPath::locate(None, None).unwrap_err(), err);
    }

    #[test]
    fn missing_files_are_named_as_the_user_named_them() {
        let missing = DataPath::locate(None, Some(OsString::from("/no/such/digits.csv.gz"))).unwrap();
        let err = load_digits(&missing).err().unwrap();
        assert!(err.starts_with("SOFTKIT_DIGITS=/no/such/digits.csv.gz: "), "{err}");
    }

    #[test]
    fn head_split_is_the_first_fifth() {
        let split = Split::head(1797);
        assert_eq!((split.test.len(), split.test[358], split.train[0]), (359, 358, 359));
    }
}
