//! `softkit mot-eval`: CLEAR-MOT, identity and HOTA metrics of tracks against ground truth, for one
//! sequence or a folder of them.

use std::path::{Path, PathBuf};

use clap::Args;
use softkit_io::{MotRows, read_mot};
use softkit_track::{Hota, HotaSummary, MotMetrics, Sequence, check_max_distance, hota, mot_metrics};

use crate::eval_cmd::write_json;

/// Arguments of `softkit mot-eval`.
#[derive(Args, Debug)]
pub(crate) struct MotEvalArgs {
    /// Ground truth: a MOTChallenge `gt.txt`, or a folder whose subfolders `SEQ` each hold
    /// `gt.txt` or `gt/gt.txt`.
    #[arg(long)]
    gt: PathBuf,
    /// Tracks: a MOTChallenge file, or (with a ground-truth folder) a folder holding `SEQ.txt` or
    /// `SEQ/test.txt` for each sequence.
    #[arg(long)]
    tracks: PathBuf,
    /// Ground-truth rows with a confidence below this are dropped (MOTChallenge marks rows to
    /// ignore with 0).
    #[arg(long, default_value_t = 1.0)]
    min_confidence: f64,
    /// The largest IoU distance (1 - IoU) at which a track box can match an object.
    #[arg(long, default_value_t = 0.5)]
    max_distance: f64,
    /// Skip HOTA (its exact assignment per frame is most of the time); print CLEAR-MOT and IDF1 only.
    #[arg(long)]
    no_hota: bool,
    /// Also write every metric, per sequence and overall, to this JSON file.
    #[arg(long)]
    json: Option<String>,
}

/// One evaluated sequence.
struct Row {
    name: String,
    clear: MotMetrics,
    /// `None` with `--no-hota`.
    hota: Option<Hota>,
}

pub(crate) fn run(args: &MotEvalArgs) -> Result<(), String> {
    check_max_distance(args.max_distance).map_err(|e| format!("--max-distance: {e}"))?;
    let pairs = sequences(&args.gt, &args.tracks)?;
    if let Some(json) = &args.json {
        let inputs: Vec<(&str, &Path)> =
            pairs.iter().flat_map(|(_, gt, tracks)| [("--gt", gt.as_path()), ("--tracks", tracks.as_path())]).collect();
        crate::eval_cmd::check_outputs(&[("--json", Path::new(json))], &inputs)?;
    }
    let mut rows = Vec::with_capacity(pairs.len());
    for (name, gt_path, tracks_path) in pairs {
        let gt = read_mot(&gt_path).map_err(|e| e.to_string())?.with_min_confidence(args.min_confidence);
        let tracks = read_mot(&tracks_path).map_err(|e| e.to_string())?;
        let gt = sequence(&gt, &gt_path)?;
        let tracks = sequence(&tracks, &tracks_path)?;
        let clear = mot_metrics(&gt, &tracks, args.max_distance).map_err(|e| e.to_string())?;
        let hota = if args.no_hota { None } else { Some(hota(&gt, &tracks).map_err(|e| e.to_string())?) };
        rows.push(Row { name, clear, hota });
    }
    print_table(&rows);
    if let Some(path) = &args.json {
        write_json(path, &report(&rows))?;
    }
    Ok(())
}

/// `(name, ground truth, tracks)` for a pair of files, or for every sequence of a folder.
fn sequences(gt: &Path, tracks: &Path) -> Result<Vec<(String, PathBuf, PathBuf)>, String> {
    if !gt.is_dir() {
        let name =
            gt.parent().and_then(Path::file_name).map_or("sequence".into(), |n| n.to_string_lossy().into_owned());
        return Ok(vec![(name, gt.to_path_buf(), tracks.to_path_buf())]);
    }
    let entries = std::fs::read_dir(gt).map_err(|e| format!("--gt {}: {e}", gt.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let dir = gt.join(&name);
        let Some(gt_file) = [dir.join("gt.txt"), dir.join("gt").join("gt.txt")].into_iter().find(|p| p.is_file())
        else {
            continue;
        };
        let candidates = [tracks.join(format!("{name}.txt")), tracks.join(&name).join("test.txt")];
        let tracks_file = candidates.iter().find(|p| p.is_file()).ok_or_else(|| {
            format!(
                "--tracks {}: no tracks for sequence {name} (looked for {} and {})",
                tracks.display(),
                candidates[0].display(),
                candidates[1].display()
            )
        })?;
        out.push((name, gt_file, tracks_file.clone()));
    }
    if out.is_empty() {
        return Err(format!("--gt {}: no subfolder holds gt.txt or gt/gt.txt", gt.display()));
    }
    Ok(out)
}

fn sequence(rows: &MotRows, path: &Path) -> Result<Sequence, String> {
    Sequence::new(&rows.frames, &rows.ids, &rows.boxes).map_err(|e| format!("{}: {e}", path.display()))
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<16} {:>6} {:>6} {:>6} {:>6} {:>6} {:>4} {:>4} {:>4} {:>4} {:>6} {:>6} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6}",
        "sequence",
        "IDF1",
        "IDP",
        "IDR",
        "Rcll",
        "Prcn",
        "GT",
        "MT",
        "PT",
        "ML",
        "FP",
        "FN",
        "IDs",
        "FM",
        "MOTA",
        "MOTP",
        "HOTA",
        "DetA",
        "AssA"
    );
    let line = |name: &str, m: &MotMetrics, h: Option<&Hota>| {
        let s = h.map(Hota::summary);
        let hota = |f: fn(&HotaSummary) -> f64| s.as_ref().map_or(f64::NAN, f);
        println!(
            "{:<16} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>4} {:>4} {:>4} {:>4} {:>6} {:>6} {:>5} {:>5} {:>6.4} {:>6.4} {:>6.4} {:>6.4} {:>6.4}",
            name,
            m.idf1,
            m.idp,
            m.idr,
            m.recall,
            m.precision,
            m.num_unique_objects,
            m.mostly_tracked,
            m.partially_tracked,
            m.mostly_lost,
            m.num_false_positives,
            m.num_misses,
            m.num_switches,
            m.num_fragmentations,
            m.mota,
            m.motp,
            hota(|s| s.hota),
            hota(|s| s.det_a),
            hota(|s| s.ass_a)
        );
    };
    for r in rows {
        line(&r.name, &r.clear, r.hota.as_ref());
    }
    if rows.len() > 1 {
        let (clear, hota) = overall(rows);
        line("OVERALL", &clear, hota.as_ref());
    }
}

fn overall(rows: &[Row]) -> (MotMetrics, Option<Hota>) {
    let clear: Vec<MotMetrics> = rows.iter().map(|r| r.clear.clone()).collect();
    let hotas: Option<Vec<Hota>> = rows.iter().map(|r| r.hota.clone()).collect();
    (MotMetrics::combine(&clear), hotas.map(|h| Hota::combine(&h)))
}

fn metrics_json(m: &MotMetrics, h: Option<&Hota>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in m.named_ratios() {
        map.insert(name.into(), value.into());
    }
    for (name, value) in m.named_counts() {
        map.insert(name.into(), value.into());
    }
    if let Some(h) = h {
        for (name, value) in h.summary().named() {
            map.insert(name.into(), value.into());
        }
    }
    serde_json::Value::Object(map)
}

fn report(rows: &[Row]) -> serde_json::Value {
    let mut sequences = serde_json::Map::new();
    for r in rows {
        sequences.insert(r.name.clone(), metrics_json(&r.clear, r.hota.as_ref()));
    }
    let (clear, hota) = overall(rows);
    serde_json::json!({ "sequences": sequences, "overall": metrics_json(&clear, hota.as_ref()) })
}
