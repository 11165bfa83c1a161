//! The `softkit` command line: `softkit nms` suppresses a detection file, `softkit demo` shows
//! hard NMS and Soft-NMS side by side on a simulated scene.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod demo;
mod nms_cmd;
mod scene;

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
    /// Simulate a detector on a seeded scene and compare hard NMS with Soft-NMS.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Nms(args) => nms_cmd::run(&args),
        Command::Demo(args) => demo::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("softkit: error: {message}");
            ExitCode::FAILURE
        }
    }
}
