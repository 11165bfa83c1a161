//! The CLI's bad-input matrix: one row per hostile command line or file, with the words stderr
//! must hold. Every row must exit 2 with a message (usage errors from the argument parser) or 1
//! (everything else), never by a signal or a panic, and must write no output file.

mod common;

use std::path::{Path, PathBuf};

use common::{softkit, stderr, temp_file};

const GT: &str = r#"{"images": [{"id": 1}], "categories": [{"id": 1}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 100, "iscrowd": 0, "bbox": [0, 0, 10, 10]}]}"#;
const DT: &str = r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}]"#;
const TABLE: &str = r#"{"images": [], "candidates": [[1, 0, 0, 0, 10, 10, 0.9]]}"#;

fn file(name: &str, contents: &str) -> String {
    path(&temp_file(&format!("matrix-{name}"), contents))
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// `(name, arguments, exit code, words)`.
fn cases() -> Vec<(&'static str, Vec<String>, i32, Vec<String>)> {
    let gt = file("gt.json", GT);
    let dt = file("dt.json", DT);
    let table = file("table.json", TABLE);
    let inverted = file("inverted.json", r#"{"candidates": [[1, 0, 0, 0, 10, 10, 0.9], [3, 0, 10, 0, 5, 10, 0.9]]}"#);
    let nan = file("nan.json", r#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN}]"#);
    let missing = file(
        "missing.json",
        "{\"images\": [{\"id\": 1}], \"categories\": [{\"id\": 1}],\n\"annotations\": [{\"id\": 1, \"image_id\": 1}]}",
    );
    let struct_name = file("struct.json", r#"{"images": [1], "categories": []}"#);
    let huge_id = file("huge-id.json", r#"{"candidates": [[9007199254740993, 0, 0, 0, 10, 10, 0.9]]}"#);
    let class = file("class.json", r#"{"candidates": [[1, 80, 0, 0, 10, 10, 0.9]]}"#);
    let short_row = file("short.json", r#"{"candidates": [[1, 0, 0, 0, 10, 10]]}"#);
    let huge = file("huge.json", r#"{"candidates": [[1, 0, 0, 0, 1e200, 10, 0.9]]}"#);
    let rotated =
        file("rotated.json", r#"{"candidates": [[1, 0, 5, 5, 2, 1, 0.1, 0.9], [1, 0, 5, 5, 2, -1, 0.1, 0.9]]}"#);
    let empty = file("empty.json", "");
    let binary = file("binary.json", "\u{0}\u{1}\u{2}");
    let no_categories = file(
        "no-cats.json",
        r#"{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "area": 1, "iscrowd": 0}]}"#,
    );
    let out = path(&std::env::temp_dir().join(format!("softkit-matrix-out-{}.json", std::process::id())));
    // Image folders for `detect`: one empty, one whose image is never read (the flags fail first).
    let folder = |name: &str, files: &[&str]| {
        let dir = std::env::temp_dir().join(format!("softkit-matrix-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            std::fs::write(dir.join(f), b"not read").unwrap();
        }
        path(&dir)
    };
    let no_images = folder("no-images", &["notes.txt"]);
    let images = folder("images", &["1.png"]);
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    let words = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    vec![
        // Flags, checked before any file is read (the input here does not even exist).
        (
            "nms: --iou 7",
            args(&["nms", "--input", "/absent.json", "--method", "hard", "--iou", "7"]),
            1,
            words(&["--iou", "iou_threshold = 7 is invalid"]),
        ),
        (
            "nms: --iou with gaussian",
            args(&["nms", "--input", "/absent.json", "--iou", "0.5"]),
            1,
            words(&["--iou 0.5 does not apply to --method gaussian"]),
        ),
        (
            "nms: --sigma with hard",
            args(&["nms", "--input", "/absent.json", "--method", "hard", "--sigma", "0.5"]),
            1,
            words(&["--sigma 0.5 applies to --method gaussian, matrix and cluster-spm only, not --method hard"]),
        ),
        (
            "nms: --sigma 0",
            args(&["nms", "--input", "/absent.json", "--sigma", "0"]),
            1,
            words(&["--sigma", "sigma = 0 is invalid"]),
        ),
        (
            "nms: --score-threshold NaN",
            args(&["nms", "--input", "/absent.json", "--score-threshold", "NaN"]),
            1,
            words(&["--score-threshold", "score_threshold = NaN is invalid"]),
        ),
        (
            "nms: --pixel-offset -1",
            args(&["nms", "--input", "/absent.json", "--pixel-offset", "-1"]),
            1,
            words(&["--pixel-offset"]),
        ),
        (
            "nms: --pixel-offset on rotated",
            args(&["nms", "--input", "/absent.json", "--geometry", "rotated", "--pixel-offset", "1"]),
            1,
            words(&["--pixel-offset 1 applies to --geometry box only"]),
        ),
        (
            "nms: --sigmas on boxes",
            args(&["nms", "--input", "/absent.json", "--sigmas", "0.5"]),
            1,
            words(&["--sigmas applies to --geometry keypoints only"]),
        ),
        (
            "nms: unknown measure",
            args(&["nms", "--input", "/absent.json", "--measure", "dice"]),
            1,
            words(&["--measure", "dice"]),
        ),
        ("nms: unknown method", args(&["nms", "--input", "/absent.json", "--method", "cubic"]), 2, words(&["cubic"])),
        (
            "nms: --iou not a number",
            args(&["nms", "--input", "/absent.json", "--iou", "half"]),
            2,
            words(&["--iou", "half"]),
        ),
        (
            "nms: unknown method lists the valid names",
            args(&["nms", "--input", "/absent.json", "--method", "cubic"]),
            2,
            words(&[
                "--method",
                r#"method = "cubic" is invalid: expected "gaussian", "linear", "hard", "matrix", "matrix-linear", "fast", "cluster", "cluster-spm", "diou", "wbf", "nmw""#,
            ]),
        ),
        (
            "nms: --eta with gaussian",
            args(&["nms", "--input", "/absent.json", "--method", "gaussian", "--eta", "0.9"]),
            1,
            words(&["--eta 0.9 applies to --method hard only, not --method gaussian"]),
        ),
        (
            "nms: --eta 1.5",
            args(&["nms", "--input", "/absent.json", "--method", "hard", "--eta", "1.5"]),
            1,
            words(&["--eta", "eta = 1.5 is invalid", "(0, 1]"]),
        ),
        (
            "nms: --beta with hard",
            args(&["nms", "--input", "/absent.json", "--method", "hard", "--beta", "0.6"]),
            1,
            words(&["--beta 0.6 applies to --method diou only, not --method hard"]),
        ),
        (
            "nms: --beta 0",
            args(&["nms", "--input", "/absent.json", "--method", "diou", "--beta", "0"]),
            1,
            words(&["--beta 0 is invalid", "> 0"]),
        ),
        (
            "nms: --iou with matrix",
            args(&["nms", "--input", "/absent.json", "--method", "matrix", "--iou", "0.5"]),
            1,
            words(&["--iou 0.5 does not apply to --method matrix"]),
        ),
        (
            "nms: --sigma with fast",
            args(&["nms", "--input", "/absent.json", "--method", "fast", "--sigma", "0.3"]),
            1,
            words(&["--sigma 0.3 applies to --method gaussian, matrix and cluster-spm only, not --method fast"]),
        ),
        (
            "nms: wbf on rotated boxes",
            args(&["nms", "--input", "/absent.json", "--method", "wbf", "--geometry", "rotated"]),
            1,
            words(&["--method wbf fuses boxes only, not --geometry"]),
        ),
        (
            "nms: --measure giou with diou",
            args(&["nms", "--input", "/absent.json", "--method", "diou", "--measure", "giou"]),
            1,
            words(&["--measure giou does not apply to --method diou"]),
        ),
        ("nms: missing --input", args(&["nms"]), 2, words(&["--input"])),
        (
            "nms: output is the input",
            args(&["nms", "--input", &table, "--output", &table]),
            1,
            words(&["--output", "is the same file as --input", "refusing to overwrite an input"]),
        ),
        (
            "nms: output is the gt",
            args(&["nms", "--input", &table, "--gt", &gt, "--output", &gt]),
            1,
            words(&["is the same file as --gt"]),
        ),
        (
            "eval: --json is the gt",
            args(&["eval", "--gt", &gt, "--dt", &dt, "--json", &gt]),
            1,
            words(&["--json", "is the same file as --gt"]),
        ),
        (
            "eval: --voc-iou with coco",
            args(&["eval", "--gt", "/absent.json", "--dt", "/absent.json", "--voc-iou", "0.7"]),
            1,
            words(&["--voc-iou and --voc-metric belong to --protocol voc"]),
        ),
        (
            "eval: --voc-iou 2",
            args(&["eval", "--gt", "/absent.json", "--dt", "/absent.json", "--protocol", "voc", "--voc-iou", "2"]),
            1,
            words(&["--voc-iou 2 is invalid"]),
        ),
        (
            "eval: voc on masks",
            args(&["eval", "--gt", "/absent.json", "--dt", "/absent.json", "--protocol", "voc", "--iou-type", "segm"]),
            1,
            words(&["--protocol voc scores bbox, rotated or polygon, not --iou-type segm"]),
        ),
        (
            "eval: --nms-ap on masks",
            args(&["eval", "--gt", "/absent.json", "--dt", "/absent.json", "--nms-ap", "--iou-type", "segm"]),
            1,
            words(&["--nms-ap works on boxes only"]),
        ),
        (
            "ablate: --score-threshold NaN",
            args(&["ablate", "--candidates", "/absent.json", "--gt", "/absent.json", "--score-threshold", "NaN"]),
            1,
            words(&["--score-threshold", "score_threshold = NaN is invalid"]),
        ),
        (
            "ablate: --json is the input",
            args(&["ablate", "--candidates", &table, "--gt", &gt, "--json", &table]),
            1,
            words(&["--json", "is the same file as --candidates"]),
        ),
        (
            "fuse: --weights of the wrong length",
            args(&["fuse", "--inputs", "/absent.json", "/absent.json", "--weights", "1", "--output", "/tmp/x.json"]),
            1,
            words(&["--weights has 1 values but there are 2 inputs"]),
        ),
        (
            "fuse: --output is an input",
            args(&["fuse", "--inputs", &table, "--output", &table]),
            1,
            words(&["--output", "--inputs"]),
        ),
        ("demo: --objects 10^12", args(&["demo", "--objects", "1000000000000"]), 1, words(&["--objects"])),
        ("demo: --classes 0", args(&["demo", "--classes", "0"]), 1, words(&["--classes"])),
        // Files.
        (
            "missing file",
            args(&["nms", "--input", "/nonexistent/x.json"]),
            1,
            words(&["/nonexistent/x.json", "No such file"]),
        ),
        ("empty file", args(&["nms", "--input", &empty]), 1, words(&["malformed JSON in", "EOF"])),
        ("binary file", args(&["nms", "--input", &binary]), 1, words(&["malformed JSON in"])),
        (
            "NaN literal",
            args(&["nms", "--input", &nan]),
            1,
            words(&["results[0].score: NaN is not a JSON number", "at line 1 column"]),
        ),
        (
            "missing field, by annotation",
            args(&["eval", "--gt", &missing, "--dt", &dt]),
            1,
            words(&["annotations[0]: missing field `category_id` at line 2"]),
        ),
        (
            "no internal type names",
            args(&["eval", "--gt", &struct_name, "--dt", &dt]),
            1,
            words(&["images[0]: invalid type: integer `1`, expected an image object"]),
        ),
        ("no categories", args(&["eval", "--gt", &no_categories, "--dt", &dt]), 1, words(&["has no categories"])),
        (
            "x2 < x1, named by its row in the file",
            args(&["nms", "--input", &inverted]),
            1,
            words(&[&format!("{inverted}: candidates[1].x2 = 5 is less than x1 = 10 (image 3)")]),
        ),
        ("image id above 2^53", args(&["nms", "--input", &huge_id]), 1, words(&["candidates[0].image_id", "2^53"])),
        ("class index 80", args(&["nms", "--input", &class]), 1, words(&["candidates[0].class_index = 80 is invalid"])),
        ("row of 6 numbers", args(&["nms", "--input", &short_row]), 1, words(&["candidates[0]", "length 7"])),
        (
            "coordinate beyond 1e150",
            args(&["nms", "--input", &huge]),
            1,
            words(&["candidates[0].x2 = 1e200 is invalid", "rescale"]),
        ),
        (
            "rotated negative height",
            args(&["nms", "--input", &rotated, "--geometry", "rotated"]),
            1,
            words(&[&format!("{rotated}: candidates[1].h = -1 is invalid: a size >= 0 (image 1)")]),
        ),
        (
            "candidate table against other categories",
            args(&["nms", "--input", &table, "--gt", &gt]),
            1,
            words(&["are not the 80 COCO category ids"]),
        ),
        // detect: checked before the model is loaded or an image is read.
        (
            "detect: no such image folder",
            args(&["detect", "--model", "/absent.onnx", "--images", "/absent-images", "--output", &out]),
            1,
            words(&["--images /absent-images"]),
        ),
        (
            "detect: a folder with no image",
            args(&["detect", "--model", "/absent.onnx", "--images", &no_images, "--output", &out]),
            1,
            words(&["holds no JPEG or PNG image"]),
        ),
        (
            "detect: unknown decoder",
            args(&["detect", "--model", "/absent.onnx", "--images", &images, "--decoder", "ssd", "--output", &out]),
            1,
            words(&["--decoder", "ssd", "auto"]),
        ),
        (
            "detect: --input-size 0,5",
            args(&["detect", "--model", "/absent.onnx", "--images", &images, "--input-size", "0,5", "--output", &out]),
            1,
            words(&["--input-size [0, 5]", "both >= 1"]),
        ),
        (
            "detect: missing model file",
            args(&["detect", "--model", "/absent.onnx", "--images", &images, "--output", &out]),
            1,
            words(&["/absent.onnx", "no such model file"]),
        ),
        (
            "unknown image in results",
            args(&[
                "eval",
                "--gt",
                &gt,
                "--dt",
                &file("dt99.json", r#"[{"image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}]"#),
            ]),
            1,
            words(&["results[0].image_id = 99 is not an image of the ground truth"]),
        ),
    ]
    .into_iter()
    .map(|(name, mut a, code, w)| {
        if a[0] == "nms" && !a.contains(&"--output".to_string()) {
            a.extend(["--output".to_string(), out.clone()]);
        }
        (name, a, code, w)
    })
    .collect()
}

#[test]
fn every_bad_command_fails_cleanly_with_its_words() {
    let cases = cases();
    let out = PathBuf::from(&cases[0].1[cases[0].1.len() - 1]);
    let mut failures = Vec::new();
    for (name, args, code, words) in &cases {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = softkit(&refs);
        let err = stderr(&run);
        if run.status.code() != Some(*code) {
            failures.push(format!("{name}: exit {:?}, expected {code}: {err}", run.status.code()));
        }
        for word in words {
            if !err.contains(word.as_str()) {
                failures.push(format!("{name}: stderr lacks {word:?}: {err}"));
            }
        }
        if err.contains("panicked") || err.contains("RUST_BACKTRACE") || err.contains("struct Raw") {
            failures.push(format!("{name}: {err}"));
        }
        if out.exists() {
            failures.push(format!("{name}: wrote {}", out.display()));
            let _ = std::fs::remove_file(&out);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    // The note reports this count.
    assert!(cases.len() >= 35, "the CLI matrix has {} rows", cases.len());
}

#[test]
fn float_ids_are_read_with_a_note() {
    let gt = file("float-gt.json", &GT.replace(r#""images": [{"id": 1}]"#, r#""images": [{"id": 1.0}]"#));
    let dt = file("float-dt.json", DT);
    let run = softkit(&["eval", "--gt", &gt, "--dt", &dt]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!("softkit: note: {gt}: 1 id was written as a float and read as an integer")),
        "{}",
        stderr(&run)
    );
}
