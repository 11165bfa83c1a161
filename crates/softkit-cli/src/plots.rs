//! `softkit eval --plot DIR`: precision/recall curves and per-class AP as PNG files, drawn with
//! plotters and softkit-plot's embedded font, plus the JSON summary.

use std::path::{Path, PathBuf};

use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use softkit_eval::{CocoGroundTruth, Evaluation};
use softkit_plot::{SERIES_COLOURS, draw_legend, drawing_error, style_mesh, text, write_png};

/// Size of `pr_curves.png`.
pub(crate) const PR_SIZE: (u32, u32) = (1000, 750);

/// Width of `per_class_ap.png`; its height grows with the number of bars (see [`per_class_height`]).
pub(crate) const BAR_WIDTH: u32 = 1000;

/// Height of `per_class_ap.png` for `bars` categories: 150 px of title and axis, 18 px a bar.
pub(crate) fn per_class_height(bars: usize) -> u32 {
    let bars = u32::try_from(bars.max(1)).unwrap_or(u32::MAX / 32);
    150u32.saturating_add(bars.saturating_mul(18))
}

/// The names of the files [`write_plots`] writes in its folder.
pub(crate) const FILES: [&str; 3] = ["pr_curves.png", "per_class_ap.png", "summary.json"];

/// The files written by [`write_plots`].
pub(crate) struct Written {
    /// `DIR/pr_curves.png`.
    pub(crate) pr_curves: PathBuf,
    /// `DIR/per_class_ap.png`.
    pub(crate) per_class_ap: PathBuf,
    /// `DIR/summary.json`.
    pub(crate) summary: PathBuf,
}

/// Writes `pr_curves.png`, `per_class_ap.png` and `summary.json` (the `--json` content) to `dir`,
/// creating it if missing. `gt` supplies the category names; `measure` names the overlap in the
/// labels (`IoU`, or `OKS` for keypoints).
pub(crate) fn write_plots(
    dir: &Path,
    ev: &Evaluation,
    gt: &CocoGroundTruth,
    summary: &serde_json::Value,
    measure: &str,
) -> Result<Written, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("--plot {}: cannot create the directory: {e}", dir.display()))?;
    let [pr_curves, per_class_ap, summary_file] = FILES.map(|name| dir.join(name));
    let written = Written { pr_curves, per_class_ap, summary: summary_file };
    crate::eval_cmd::write_json(&written.summary, summary)?;
    let view = View::of(ev, measure);
    let name = |e: String| format!("{}: {e}", written.pr_curves.display());
    draw_pr_curves(&written.pr_curves, ev, &view).map_err(name)?;
    let name = |e: String| format!("{}: {e}", written.per_class_ap.display());
    draw_per_class_ap(&written.per_class_ap, ev, &view, gt).map_err(name)?;
    Ok(written)
}

/// The slice of the precision array the plots show: area "all" and the largest maxDets (100 by
/// default, 20 for keypoints), as pycocotools' headline AP uses.
struct View {
    /// Index on the A axis.
    area: usize,
    /// Index on the M axis.
    max_dets: usize,
    /// Label for titles, e.g. `area all, maxDets 100`.
    label: String,
    /// `IoU` or `OKS`.
    measure: String,
}

impl View {
    fn of(ev: &Evaluation, measure: &str) -> View {
        let areas = ev.area_rngs();
        let area = areas.iter().position(|a| a.label == "all").unwrap_or(0);
        let max_dets = ev.max_dets().len().saturating_sub(1);
        let area_label = areas.get(area).map_or("all", |a| a.label.as_str());
        let md = ev.max_dets().get(max_dets).copied().unwrap_or(0);
        View { area, max_dets, label: format!("area {area_label}, maxDets {md}"), measure: measure.to_string() }
    }
}

/// One precision/recall curve: for each recall threshold, the mean precision over the chosen IoU
/// thresholds and the categories, skipping the `-1` cells (no ground truth) as pycocotools does.
/// Returns the points and the AP (mean over every cell used), or `None` when no cell has ground truth.
fn pr_curve(ev: &Evaluation, view: &View, thresholds: &[usize]) -> Option<(Vec<(f64, f64)>, f64)> {
    let [_, nr, nk, _, _] = ev.shape();
    let mut points = Vec::with_capacity(nr);
    let (mut total, mut count) = (0.0, 0usize);
    for (r, &recall) in ev.rec_thrs().iter().enumerate().take(nr) {
        let (mut sum, mut n) = (0.0, 0usize);
        for &t in thresholds {
            for k in 0..nk {
                let p = ev.precision_at(t, r, k, view.area, view.max_dets);
                if p > -1.0 {
                    sum += p;
                    n += 1;
                }
            }
        }
        if n > 0 {
            points.push((recall, sum / n as f64));
            total += sum;
            count += n;
        }
    }
    (count > 0).then(|| (points, total / count as f64))
}

/// Index of the IoU threshold equal to `value`, if evaluated.
fn threshold_index(ev: &Evaluation, value: f64) -> Option<usize> {
    ev.iou_thrs().iter().position(|&t| (t - value).abs() < 1e-9)
}

/// `0.50:0.95` style label of the IoU thresholds.
fn threshold_range(ev: &Evaluation) -> String {
    match ev.iou_thrs() {
        [] => "none".to_string(),
        [one] => format!("{one:.2}"),
        [first, .., last] => format!("{first:.2}:{last:.2}"),
    }
}

fn draw_pr_curves(path: &Path, ev: &Evaluation, view: &View) -> Result<(), String> {
    let mut curves: Vec<(String, Vec<usize>)> = Vec::new();
    let all: Vec<usize> = (0..ev.iou_thrs().len()).collect();
    curves.push((format!("{} {}", view.measure, threshold_range(ev)), all));
    for value in [0.5, 0.75] {
        if let Some(t) = threshold_index(ev, value) {
            curves.push((format!("{} {value:.2}", view.measure), vec![t]));
        }
    }

    write_png(path, PR_SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("Precision / recall ({}, mean over categories)", view.label), text(26))
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..1f64, 0f64..1.02f64)
            .map_err(drawing_error)?;
        style_mesh(&mut chart.configure_mesh(), 20, 16)
            .x_desc("Recall")
            .y_desc("Precision")
            .x_labels(11)
            .y_labels(11)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .draw()
            .map_err(drawing_error)?;

        let mut drawn = 0;
        for ((label, thresholds), colour) in curves.iter().zip(SERIES_COLOURS) {
            let Some((points, ap)) = pr_curve(ev, view, thresholds) else {
                continue;
            };
            let style = colour.stroke_width(3);
            chart
                .draw_series(LineSeries::new(points, style))
                .map_err(drawing_error)?
                .label(format!("{label}: AP {ap:.3}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
            drawn += 1;
        }
        if drawn > 0 {
            draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, 16, 18)
        } else {
            // Every category lacks ground truth: say so rather than leave an empty frame unexplained.
            let note = Text::new("no ground truth to recall: no curve", (0.3, 0.5), text(22));
            chart.draw_series(std::iter::once(note)).map(|_| ()).map_err(drawing_error)
        }
    })
}

/// A bar of the per-class chart.
struct Bar {
    name: String,
    ap: f64,
}

fn draw_per_class_ap(path: &Path, ev: &Evaluation, view: &View, gt: &CocoGroundTruth) -> Result<(), String> {
    let names: std::collections::HashMap<i64, &str> = gt.categories().iter().map(|c| (c.id, c.name.as_str())).collect();
    let classes = ev.class_ap();
    // A category with no ground truth has AP -1: it has no bar, only a count in the title.
    let mut bars: Vec<Bar> = classes
        .iter()
        .filter(|c| c.ap > -1.0)
        .map(|c| {
            let name = match names.get(&c.category_id) {
                Some(name) if !name.is_empty() => format!("{name} ({})", c.category_id),
                _ => format!("category {}", c.category_id),
            };
            Bar { name, ap: c.ap }
        })
        .collect();
    // Highest AP first; ties by name so the picture is reproducible.
    bars.sort_by(|a, b| b.ap.total_cmp(&a.ap).then_with(|| a.name.cmp(&b.name)));
    let skipped = classes.len() - bars.len();
    let n = bars.len();

    let mut title = format!("Per-class AP, {} {} ({})", view.measure, threshold_range(ev), view.label);
    if skipped > 0 {
        title.push_str(&format!(", {skipped} without ground truth not shown"));
    }
    if !ev.use_cats() {
        title = format!("Per-class AP: none (useCats off), {}", view.label);
    }
    write_png(path, (BAR_WIDTH, per_class_height(n)), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, text(20))
            .margin(16)
            .x_label_area_size(45)
            .y_label_area_size(200)
            .build_cartesian_2d(0f64..1.08f64, (0..n.max(1)).into_segmented())
            .map_err(drawing_error)?;
        // Bar i is drawn at row n-1-i so that the highest AP is at the top.
        let row_name = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(row) if *row < n => bars[n - 1 - row].name.clone(),
            _ => String::new(),
        };
        style_mesh(&mut chart.configure_mesh(), 18, 13)
            .disable_y_mesh()
            .x_desc("AP")
            .x_labels(12)
            .x_label_formatter(&|v| if *v <= 1.0 + 1e-9 { format!("{v:.1}") } else { String::new() })
            .y_labels(n.max(1))
            .y_label_formatter(&row_name)
            // One light line between labelled ones: dense ones would stripe the bars' background.
            .max_light_lines(1)
            .draw()
            .map_err(drawing_error)?;

        let fill = SERIES_COLOURS[0].filled();
        chart
            .draw_series(bars.iter().enumerate().map(|(i, bar)| {
                let row = n - 1 - i;
                let mut rect =
                    Rectangle::new([(0.0, SegmentValue::Exact(row)), (bar.ap, SegmentValue::Exact(row + 1))], fill);
                rect.set_margin(2, 2, 0, 0);
                rect
            }))
            .map_err(drawing_error)?;
        let value_style = text(12).pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(bars.iter().enumerate().map(|(i, bar)| {
                let row = n - 1 - i;
                Text::new(format!("{:.3}", bar.ap), (bar.ap + 0.005, SegmentValue::CenterOf(row)), value_style.clone())
            }))
            .map_err(drawing_error)?;
        if n == 0 {
            let note = Text::new("no category has ground truth", (0.3, SegmentValue::CenterOf(0)), value_style.clone());
            chart.draw_series(std::iter::once(note)).map_err(drawing_error)?;
        }
        Ok(())
    })
}
