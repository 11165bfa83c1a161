//! Evaluates COCO box results and prints the 12 stats as a JSON array, then the summary.
//!
//! `cargo run -p softkit-eval --example eval_bbox -- GT.json RESULTS.json [--no-cats] [--max-dets 1,10,100]`

use softkit_eval::{CocoGroundTruth, CocoResults, EvalError, Params, evaluate_bbox};

fn main() -> Result<(), EvalError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: eval_bbox GT.json RESULTS.json [--no-cats] [--max-dets 1,10,100]");
        std::process::exit(2);
    }
    let mut params = Params::default();
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--no-cats" => params.use_cats = false,
            "--max-dets" => {
                let list = rest.next().expect("--max-dets needs a value");
                params.max_dets = list.split(',').map(|s| s.parse().expect("integer maxDets")).collect();
            }
            other => panic!("unknown flag {other}"),
        }
    }
    let start = std::time::Instant::now();
    let gt = CocoGroundTruth::from_path(&args[0])?;
    let dt = CocoResults::from_path(&args[1], &gt)?;
    let loaded = start.elapsed();
    let ev = evaluate_bbox(&gt, &dt, &params)?;
    let stats = ev.stats()?;
    let total = start.elapsed();
    println!("{}", serde_json::to_string(&stats.to_vec()).expect("finite stats"));
    eprint!("{}", ev.summary()?);
    eprintln!("load {:.3} s, total {:.3} s", loaded.as_secs_f64(), total.as_secs_f64());
    Ok(())
}
