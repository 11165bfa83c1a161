//! The `softkit` command line: `softkit nms` suppresses a detection file, `softkit eval` scores
//! COCO results, `softkit fuse` merges several models' detections (WBF, NMW), `softkit ablate` scores every suppression policy on the same candidates, and
//! `softkit demo` shows hard NMS and Soft-NMS side by side on a simulated scene; `softkit track`
//! follows objects through a video's detections, and `softkit mot-eval` scores the tracks.
//!
//! - `nms_cmd`: `softkit nms`, through the engine's per-image scope.
//! - `fuse_cmd`: `softkit fuse`, box fusion per image across detection files.
//! - `eval_cmd`: `softkit eval`, pycocotools' summary and the JSON report.
//! - `ablate`: `softkit ablate`, every policy on the same candidates, one AP table.
//! - `demo`: `softkit demo`, on the scene of `scene`.
//! - `scene`: a seeded simulated detector output.
//! - `track_cmd`: `softkit track`, ByteTrack over a MOTChallenge detection file.
//! - `mot_eval_cmd`: `softkit mot-eval`, CLEAR-MOT, identity and HOTA metrics.
//! - `scoring`: reading inputs, and scoring kept rows against COCO ground truth.
//! - `plots`: the PNG reports of `softkit eval --plot`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ablate;
mod demo;
mod detect_cmd;
mod draw;
mod eval_cmd;
mod fuse_cmd;
mod mot_eval_cmd;
mod nms_cmd;
mod plots;
mod scene;
mod scoring;
mod shape_nms;
mod track_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exact, fast non-maximum suppression for detector outputs.
#[derive(Parser)]
#[command(name = "softkit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Suppress a candidate table or COCO results file, class-wise per image, into COCO results.
    Nms(nms_cmd::NmsArgs),
    /// Evaluate COCO results against COCO ground truth and print pycocotools' summary (12 lines, 10
    /// for keypoints), or OVDEval's NMS-AP with --nms-ap.
    Eval(eval_cmd::EvalArgs),
    /// Fuse several models' detection files per image and category: weighted boxes fusion (WBF)
    /// or non-maximum weighted (NMW), in ensemble-boxes' semantics.
    Fuse(fuse_cmd::FuseArgs),
    /// Run hard NMS at several IoU thresholds and Soft-NMS on the same candidates; print one AP table.
    Ablate(ablate::AblateArgs),
    /// Simulate a detector on a seeded scene and compare hard NMS with Soft-NMS.
    Demo(demo::DemoArgs),
    /// Run an ONNX detector on a folder of images (tract, pure Rust): letterbox, infer, decode the
    /// head (YOLOX, YOLOv8/11, YOLOv10/YOLO26 end-to-end, DETR, CenterNet), suppress, write COCO results.
    Detect(detect_cmd::DetectArgs),
    /// Track objects through a MOTChallenge detection file with ByteTrack, optionally after NMS.
    Track(track_cmd::TrackArgs),
    /// Score tracks against ground truth: CLEAR-MOT, IDF1 and HOTA, per sequence and overall.
    MotEval(mot_eval_cmd::MotEvalArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Nms(args) => nms_cmd::run(&args),
        Command::Eval(args) => eval_cmd::run(&args),
        Command::Fuse(args) => fuse_cmd::run(&args),
        Command::Ablate(args) => ablate::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Detect(args) => detect_cmd::run(&args),
        Command::Track(args) => track_cmd::run(&args),
        Command::MotEval(args) => mot_eval_cmd::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("softkit: error: {message}");
            ExitCode::FAILURE
        }
    }
}
