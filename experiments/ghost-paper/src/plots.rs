//! PNG figures of the `results.json` rows, one per experiment present: the sustained LR spike's
//! accuracy curves, the one-step spike's final accuracy, the r-sweep and the temperature sweep's
//! failure onsets. Only the drawing lives here; the numbers come from [`crate::analysis`]. Drawn
//! with plotters and softkit-plot's embedded font.

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use softkit_plot::{Canvas, SERIES_COLOURS, draw_legend, drawing_error, style_mesh, text, write_png};

use crate::analysis::{
    Onset, band, by_x, distinct, median, medians, onsets, rows_of, seed_count, spread, sweep_points,
};
use crate::results::{CURVE_EVERY, Experiment, Method, ModelKind, RunRecord, SweepPoint};

/// Size of one panel; a figure is a grid of panels under a caption strip (see [`figure_size`]).
pub(crate) const PANEL_SIZE: (u32, u32) = (600, 450);

/// Height of the caption strip above the panels.
const CAPTION_HEIGHT: u32 = 50;

/// Panels per row of a figure.
const COLUMNS: usize = 3;

/// The step from which (or at which) the learning rate is spiked.
const SPIKE_STEP: f64 = crate::experiments::SPIKE_STEP as f64;

/// Loss ratios (non-finite ones included: the loss diverged) are clamped to at most this, so that
/// diverged steps stay on the log axis at its top.
const LOSS_RATIO_CAP: f64 = 1e6;

/// ... and to at least this, so that the log axis has a floor.
const LOSS_RATIO_FLOOR: f64 = 1e-3;

/// Size in pixels of a figure of `panels` panels: [`COLUMNS`] to a row, plus the caption strip.
pub(crate) fn figure_size(panels: usize) -> (u32, u32) {
    let panels = panels.max(1);
    let cols = u32::try_from(panels.min(COLUMNS)).unwrap_or(1);
    let rows = u32::try_from(panels.div_ceil(COLUMNS)).unwrap_or(1);
    (PANEL_SIZE.0 * cols, PANEL_SIZE.1 * rows + CAPTION_HEIGHT)
}

/// Builds one experiment's figure from all the rows; `None` when the experiment has no row.
type Builder = fn(&[RunRecord]) -> Option<Figure>;

/// Writes, to `dir` (created if missing), `lr_spike.png`, `one_step_spike.png`, `r_sweep.png` and
/// `temperature.png`, each only when `rows` hold that experiment. Returns the files written.
pub(crate) fn write_ghost_plots(dir: &Path, rows: &[RunRecord]) -> Result<Vec<PathBuf>, String> {
    let builders: [(&str, Builder); 4] = [
        ("lr_spike.png", lr_spike),
        ("one_step_spike.png", one_step_spike),
        ("r_sweep.png", r_sweep),
        ("temperature.png", temperature),
    ];
    let mut written = Vec::new();
    for (name, build) in builders {
        let Some(figure) = build(rows) else { continue };
        if written.is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create the directory: {e}", dir.display()))?;
        }
        let path = dir.join(name);
        draw(&path, &figure).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Name and colour of a method, the same in every figure: softkit-plot's series colours, in the
/// order of [`Method::ALL`].
fn method_style(method: Method) -> (&'static str, RGBColor) {
    let colour = match method {
        Method::Plain => SERIES_COLOURS[0],
        Method::Clip => SERIES_COLOURS[1],
        Method::Ghost => SERIES_COLOURS[2],
    };
    (method.name(), colour)
}

/// Colour of the gradient direction's series.
const GRADIENT: RGBColor = RGBColor(148, 103, 189);

/// Colour of the random directions' series.
const RANDOM: RGBColor = RGBColor(127, 127, 127);

/// Colour of the reference lines (spike onset, `r = 1`).
const REFERENCE: RGBColor = RGBColor(90, 90, 90);

/// Name of a network in titles.
fn model_name(model: ModelKind) -> &'static str {
    match model {
        ModelKind::Mlp => "MLP",
        ModelKind::MlpLn => "MLP + LayerNorm",
        ModelKind::Transformer => "Transformer",
        ModelKind::CnnBn => "CNN + BatchNorm",
    }
}

/// One axis, linear or log10. A log axis is drawn as a linear one over the log10 of the values, so
/// that one chart type serves every panel.
#[derive(Clone, Copy)]
struct Axis {
    /// Lower end, in drawn units (log10 of the value on a log axis).
    lo: f64,
    /// Upper end, in drawn units.
    hi: f64,
    /// Whether drawn units are log10 of values.
    log: bool,
    /// The axis' description.
    desc: &'static str,
}

impl Axis {
    fn linear(lo: f64, hi: f64, desc: &'static str) -> Axis {
        Axis { lo, hi, log: false, desc }
    }

    /// A log axis over the positive finite `values`, at least a decade wide and padded a little so
    /// that end points are not cut in half.
    fn log_fit(values: impl IntoIterator<Item = f64>, desc: &'static str) -> Axis {
        let (min, max) = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(f64::log10)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if min > max {
            return Axis { lo: 0.0, hi: 1.0, log: true, desc };
        }
        let pad = 0.1f64.max((1.0 - (max - min)) / 2.0);
        Axis { lo: min - pad, hi: max + pad, log: true, desc }
    }

    /// Where `value` is drawn, clamped into the axis; `None` for NaN or a non-positive value on a
    /// log axis.
    fn map(self, value: f64) -> Option<f64> {
        let drawn = if self.log { (value > 0.0).then(|| value.log10())? } else { value };
        (!drawn.is_nan()).then(|| drawn.clamp(self.lo, self.hi))
    }

    /// How many ticks to ask for: on a log axis about one a decade, so that ticks fall on decades.
    fn ticks(self) -> usize {
        if self.log { ((self.hi - self.lo).floor() as usize + 1).max(3) } else { 7 }
    }

    /// Tick label at drawn position `v`.
    fn label(self, v: f64) -> String {
        if !self.log {
            return if self.hi - self.lo > 10.0 { format!("{v:.0}") } else { format!("{v:.1}") };
        }
        let value = 10f64.powf(v);
        if !(1e-3..1e5).contains(&value) {
            return format!("{value:.0e}");
        }
        // Two significant digits, trailing zeros dropped: 0.01, 0.032, 1, 3.2, 320.
        let decimals = (1.0 - value.log10().floor()).max(0.0) as usize;
        let text = format!("{value:.decimals$}");
        if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
    }
}

/// How a series is drawn.
#[derive(Clone, Copy)]
enum Mark {
    /// A line.
    Line,
    /// A line with a filled marker on every point.
    LineMarkers,
    /// Small faint dots (per-seed values).
    Dots,
    /// A faint filled polygon (a quantile band, see [`crate::analysis::band`]).
    Band,
}

/// One series of a panel, in data units.
struct Series {
    /// Legend entry; none for the faint per-seed dots.
    label: Option<String>,
    colour: RGBColor,
    mark: Mark,
    points: Vec<(f64, f64)>,
}

impl Series {
    fn new(label: Option<&str>, colour: RGBColor, mark: Mark, points: Vec<(f64, f64)>) -> Series {
        Series { label: label.map(str::to_string), colour, mark, points }
    }
}

/// One chart: series over two axes plus dashed reference lines.
struct Panel {
    title: String,
    x: Axis,
    y: Axis,
    series: Vec<Series>,
    /// Dashed vertical lines at these x values.
    vlines: Vec<f64>,
    /// Dashed horizontal lines at these y values.
    hlines: Vec<f64>,
    legend: SeriesLabelPosition,
}

/// A caption over a grid of panels.
struct Figure {
    caption: String,
    panels: Vec<Panel>,
}

/// `lr_spike.png`: per (model, spike, base lr), the median test accuracy curve of each method.
fn lr_spike(rows: &[RunRecord]) -> Option<Figure> {
    let rows = rows_of(rows, Experiment::LrSpike);
    if rows.is_empty() {
        return None;
    }
    let models = distinct(rows.iter().map(|r| r.model), |a, b| (*a as u8).cmp(&(*b as u8)));
    let keys = distinct(rows.iter().map(|r| (r.model, r.spike, r.base_lr)), |a, b| {
        (a.0 as u8).cmp(&(b.0 as u8)).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2))
    });
    let panels = keys
        .into_iter()
        .map(|(model, spike, lr)| {
            let group: Vec<&RunRecord> =
                rows.iter().copied().filter(|r| r.model == model && r.spike == spike && r.base_lr == lr).collect();
            let len = group.iter().map(|r| r.test_acc_curve.len()).max().unwrap_or(0);
            let series = Method::ALL
                .iter()
                .filter(|&&m| group.iter().any(|r| r.method == m))
                .map(|&method| {
                    let runs: Vec<&RunRecord> = group.iter().copied().filter(|r| r.method == method).collect();
                    let points = (0..len)
                        .filter_map(|i| {
                            let acc = median(runs.iter().filter_map(|r| r.test_acc_curve.get(i).copied()))?;
                            Some(((i * CURVE_EVERY) as f64, acc))
                        })
                        .collect();
                    let (name, colour) = method_style(method);
                    Series::new(Some(name), colour, Mark::Line, points)
                })
                .collect();
            let mut title = format!("LR x{spike} from step {SPIKE_STEP}, base lr {lr:e}");
            if models.len() > 1 {
                title = format!("{}: {title}", model_name(model));
            }
            let last = (len.saturating_sub(1) * CURVE_EVERY) as f64;
            Panel {
                title,
                x: Axis::linear(0.0, last.max(SPIKE_STEP + CURVE_EVERY as f64), "step"),
                y: Axis::linear(0.0, 1.0, "test accuracy (median over seeds)"),
                series,
                vlines: vec![SPIKE_STEP],
                hlines: Vec::new(),
                legend: SeriesLabelPosition::LowerLeft,
            }
        })
        .collect();
    let caption = format!("Sustained LR spike: median test accuracy over {} seeds", seed_count(rows.iter().copied()));
    Some(Figure { caption, panels })
}

/// `one_step_spike.png`: per model, final test accuracy against the one-step spike's multiplier.
fn one_step_spike(rows: &[RunRecord]) -> Option<Figure> {
    let rows = rows_of(rows, Experiment::OneStepSpike);
    if rows.is_empty() {
        return None;
    }
    let models = distinct(rows.iter().map(|r| r.model), |a, b| (*a as u8).cmp(&(*b as u8)));
    let x = Axis::log_fit(rows.iter().map(|r| r.spike), "spike multiplier at step 50");
    let panels = models
        .into_iter()
        .map(|model| {
            let mut dots = Vec::new();
            let mut lines = Vec::new();
            for (i, &method) in Method::ALL.iter().enumerate() {
                let runs: Vec<&RunRecord> =
                    rows.iter().copied().filter(|r| r.model == model && r.method == method).collect();
                if runs.is_empty() {
                    continue;
                }
                let (name, colour) = method_style(method);
                // Each method's seeds are shifted a little apart so that their dots do not overlap.
                let shift = 10f64.powf(0.03 * (i as f64 - 1.0));
                dots.push(Series::new(
                    None,
                    colour,
                    Mark::Dots,
                    runs.iter().map(|r| (r.spike * shift, r.final_test_acc)).collect(),
                ));
                let groups = by_x(runs.iter().map(|r| (r.spike, r.final_test_acc)));
                lines.push(Series::new(Some(name), colour, Mark::LineMarkers, medians(&groups)));
            }
            dots.extend(lines);
            Panel {
                title: format!("{}: one-step LR spike", model_name(model)),
                x,
                y: Axis::linear(0.0, 1.0, "final test accuracy (median, dots: seeds)"),
                series: dots,
                vlines: Vec::new(),
                hlines: Vec::new(),
                legend: SeriesLabelPosition::LowerLeft,
            }
        })
        .collect();
    let caption = format!("One-step LR spike: final test accuracy over {} seeds", seed_count(rows.iter().copied()));
    Some(Figure { caption, panels })
}

/// `r_sweep.png`: retained accuracy and loss ratio against `r`, gradient direction against random.
fn r_sweep(rows: &[RunRecord]) -> Option<Figure> {
    let points: Vec<(&RunRecord, &SweepPoint)> = sweep_points(rows, Experiment::RSweep).collect();
    if points.is_empty() {
        return None;
    }
    let x = Axis::log_fit(points.iter().map(|(_, s)| s.r), "r = tau / rho_a");
    let is_gradient = |s: &SweepPoint| s.direction == "gradient";
    // A diverged loss (NaN or infinite ratio) is as bad as it gets: drawn at the cap.
    let loss = |s: &SweepPoint| {
        if s.loss_ratio.is_finite() { s.loss_ratio.clamp(LOSS_RATIO_FLOOR, LOSS_RATIO_CAP) } else { LOSS_RATIO_CAP }
    };
    let panel = |value: &dyn Fn(&SweepPoint) -> f64, y: Axis, legend: SeriesLabelPosition| {
        let gradient = by_x(points.iter().filter(|(_, s)| is_gradient(s)).map(|(_, s)| (s.r, value(s))));
        let random = by_x(points.iter().filter(|(_, s)| !is_gradient(s)).map(|(_, s)| (s.r, value(s))));
        Panel {
            title: format!("{} vs r", y.desc),
            x,
            y,
            series: vec![
                Series::new(Some("random: 10-90%"), RANDOM, Mark::Band, band(&random)),
                Series::new(Some("random: median"), RANDOM, Mark::LineMarkers, medians(&random)),
                Series::new(Some("gradient: median"), GRADIENT, Mark::LineMarkers, medians(&gradient)),
            ],
            vlines: vec![1.0],
            hlines: Vec::new(),
            legend,
        }
    };
    let retained =
        panel(&|s| s.retained_acc, Axis::linear(0.0, 1.1, "retained test accuracy"), SeriesLabelPosition::LowerLeft);
    let ratio = panel(
        &loss,
        Axis::log_fit(points.iter().map(|(_, s)| loss(s)), "training loss ratio"),
        SeriesLabelPosition::UpperLeft,
    );
    let directions = distinct(points.iter().filter(|(_, s)| !is_gradient(s)).map(|(_, s)| &s.direction), Ord::cmp);
    let caption = format!(
        "One step of length r from a trained model: {} seeds, {} random directions",
        seed_count(points.iter().map(|(r, _)| *r)),
        directions.len()
    );
    Some(Figure { caption, panels: vec![retained, ratio] })
}

/// `temperature.png`: the failure onset's `tau` and `r` against the temperature, with their spreads.
fn temperature(rows: &[RunRecord]) -> Option<Figure> {
    sweep_points(rows, Experiment::Temperature).next()?;
    let found = onsets(rows, Experiment::Temperature);
    let x = Axis::log_fit(found.iter().map(|o| o.temperature), "temperature T");
    let panel = |value: fn(&Onset) -> f64, desc: &'static str, hlines: Vec<f64>| {
        let dots = |gradient: bool| -> Vec<(f64, f64)> {
            found
                .iter()
                .filter(|o| (o.direction == "gradient") == gradient)
                .map(|o| (o.temperature, value(o)))
                .collect()
        };
        let groups = by_x(found.iter().map(|o| (o.temperature, value(o))));
        Panel {
            title: format!("{desc} vs T"),
            x,
            y: Axis::log_fit(found.iter().map(value), desc),
            series: vec![
                Series::new(Some("random directions"), RANDOM, Mark::Dots, dots(false)),
                Series::new(Some("gradient"), GRADIENT, Mark::Dots, dots(true)),
                Series::new(Some("median"), BLACK, Mark::LineMarkers, medians(&groups)),
            ],
            vlines: Vec::new(),
            hlines,
            legend: SeriesLabelPosition::UpperLeft,
        }
    };
    let caption = match spread(&found) {
        Some((tau, r)) => {
            format!("Failure onset over {} sweeps: std log10(tau) = {tau:.3}, std log10(r) = {r:.3}", found.len())
        }
        None => "Failure onset: no sweep failed".to_string(),
    };
    let panels = vec![panel(|o| o.tau, "onset tau", Vec::new()), panel(|o| o.r, "onset r = tau / rho_a(T)", vec![1.0])];
    Some(Figure { caption, panels })
}

/// Draws `figure` to the PNG at `path`.
fn draw(path: &Path, figure: &Figure) -> Result<(), String> {
    let size = figure_size(figure.panels.len());
    write_png(path, size, |root| {
        let (top, body) = root.split_vertically(CAPTION_HEIGHT);
        let centre = Pos::new(HPos::Center, VPos::Center);
        let at = (i32::try_from(size.0 / 2).unwrap_or(0), i32::try_from(CAPTION_HEIGHT / 2).unwrap_or(0));
        top.draw(&Text::new(figure.caption.as_str(), at, text(22).pos(centre))).map_err(drawing_error)?;
        let cols = figure.panels.len().clamp(1, COLUMNS);
        let areas = body.split_evenly((figure.panels.len().div_ceil(COLUMNS).max(1), cols));
        for (area, panel) in areas.iter().zip(&figure.panels) {
            draw_panel(area, panel)?;
        }
        Ok(())
    })
}

/// Draws one panel; a series with no drawable point is left out, legend included.
fn draw_panel(area: &Canvas<'_>, panel: &Panel) -> Result<(), String> {
    let (x, y) = (panel.x, panel.y);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, text(18))
        .margin(14)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x.lo..x.hi, y.lo..y.hi)
        .map_err(drawing_error)?;
    style_mesh(&mut chart.configure_mesh(), 15, 13)
        .x_desc(x.desc)
        .y_desc(y.desc)
        .x_labels(x.ticks())
        .y_labels(y.ticks())
        .x_label_formatter(&|v| x.label(*v))
        .y_label_formatter(&|v| y.label(*v))
        .draw()
        .map_err(drawing_error)?;
    let dashed = |from: (f64, f64), to: (f64, f64)| DashedLineSeries::new([from, to], 6, 4, REFERENCE.stroke_width(1));
    for at in panel.vlines.iter().filter_map(|&v| x.map(v)) {
        chart.draw_series(dashed((at, y.lo), (at, y.hi))).map_err(drawing_error)?;
    }
    for at in panel.hlines.iter().filter_map(|&v| y.map(v)) {
        chart.draw_series(dashed((x.lo, at), (x.hi, at))).map_err(drawing_error)?;
    }

    let mut labelled = 0;
    let mut drawn = 0;
    for series in &panel.series {
        let points: Vec<(f64, f64)> = series.points.iter().filter_map(|&(a, b)| Some((x.map(a)?, y.map(b)?))).collect();
        if points.is_empty() {
            continue;
        }
        drawn += 1;
        let colour = series.colour;
        let anno = match series.mark {
            Mark::Line | Mark::LineMarkers => {
                let size = if matches!(series.mark, Mark::LineMarkers) { 4 } else { 0 };
                chart.draw_series(LineSeries::new(points, colour.filled().stroke_width(2)).point_size(size))
            }
            Mark::Dots => chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, colour.mix(0.4).filled()))),
            Mark::Band => chart.draw_series(std::iter::once(Polygon::new(points, colour.mix(0.2).filled()))),
        }
        .map_err(drawing_error)?;
        let Some(label) = &series.label else { continue };
        labelled += 1;
        anno.label(label.as_str());
        match series.mark {
            Mark::Line | Mark::LineMarkers => {
                anno.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(2)))
            }
            Mark::Dots => anno.legend(move |(x, y)| Circle::new((x + 12, y), 3, colour.mix(0.4).filled())),
            Mark::Band => {
                anno.legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 24, y + 5)], colour.mix(0.2).filled()))
            }
        };
    }
    if labelled > 0 {
        draw_legend(&mut chart, panel.legend.clone(), 10, 14)?;
    }
    if drawn == 0 {
        // Nothing finite to show (every run diverged, or no sweep failed): say so in the frame.
        let note = Text::new("no finite values to draw", (x.lo + 0.25 * (x.hi - x.lo), (y.lo + y.hi) / 2.0), text(18));
        chart.draw_series(std::iter::once(note)).map_err(drawing_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::onset_spread;
    use crate::fixtures::{all_rows, run, step};

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("softkit-ghost-plots-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        (be(16), be(20))
    }

    /// Checks that `path` is a PNG of `panels` panels and is well above the size of a blank one.
    fn assert_drawn(path: &Path, panels: usize) {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let size = figure_size(panels);
        assert_eq!(png_size(&bytes), size, "{}", path.display());
        let blank = path.with_extension("blank.png");
        let root = BitMapBackend::new(&blank, size).into_drawing_area();
        root.fill(&WHITE).unwrap();
        root.present().unwrap();
        drop(root);
        let blank_len = std::fs::metadata(&blank).unwrap().len();
        std::fs::remove_file(&blank).unwrap();
        assert!(
            bytes.len() as u64 > 2 * blank_len + 10_000,
            "{}: {} bytes, blank {blank_len}",
            path.display(),
            bytes.len()
        );
    }

    #[test]
    fn plots_writes_every_experiment() {
        let dir = scratch("all");
        let written = write_ghost_plots(&dir, &all_rows()).unwrap();
        let names: Vec<&str> = written.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["lr_spike.png", "one_step_spike.png", "r_sweep.png", "temperature.png"]);
        for (path, panels) in written.iter().zip([3, 2, 2, 2]) {
            assert_drawn(path, panels);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plots_write_only_present_experiments() {
        let dir = scratch("some");
        assert!(write_ghost_plots(&dir, &[]).unwrap().is_empty());
        assert!(!dir.exists(), "nothing to draw creates nothing");
        let rows: Vec<RunRecord> = all_rows().into_iter().filter(|r| r.experiment == Experiment::RSweep).collect();
        let written = write_ghost_plots(&dir, &rows).unwrap();
        assert_eq!(written, [dir.join("r_sweep.png")]);
        assert_drawn(&written[0], 2);
        assert!(!dir.join("lr_spike.png").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plots_survive_all_nan_and_no_failure() {
        let dir = scratch("nan");
        let mut rows = Vec::new();
        for seed in 0..2 {
            let mut row = run(Experiment::LrSpike, ModelKind::MlpLn, Method::Ghost, 1e-2, 10.0, seed, f64::NAN);
            row.test_acc_curve = vec![f64::NAN; 12];
            rows.push(row);
            rows.push(run(Experiment::OneStepSpike, ModelKind::MlpLn, Method::Clip, 1e-3, 10.0, seed, f64::NAN));
            let mut nan = step(Experiment::RSweep, seed, 1.0, "gradient", 1.0, false);
            nan.sweep.as_mut().unwrap().retained_acc = f64::NAN;
            rows.push(nan);
            rows.push(step(Experiment::Temperature, seed, 2.0, "random-0", 0.5, false));
        }
        let written = write_ghost_plots(&dir, &rows).unwrap();
        assert_eq!(written.len(), 4);
        for path in &written {
            let bytes = std::fs::read(path).unwrap();
            assert_eq!(
                png_size(&bytes),
                figure_size(if path.ends_with("r_sweep.png") || path.ends_with("temperature.png") { 2 } else { 1 })
            );
        }
        assert_eq!(onset_spread(&rows), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plots_name_the_file_on_error() {
        let dir = scratch("error");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = write_ghost_plots(&file.join("out"), &all_rows()).unwrap_err();
        assert!(err.contains("not-a-dir"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn axis_maps_and_labels() {
        let log = Axis::log_fit([0.01, 100.0, f64::NAN, -1.0], "r");
        assert!((log.lo + 2.1).abs() < 1e-12 && (log.hi - 2.1).abs() < 1e-12);
        assert_eq!(log.map(0.0), None);
        assert_eq!(log.map(f64::INFINITY), Some(log.hi));
        assert_eq!(log.map(1.0), Some(0.0));
        let labels: Vec<String> = [-2.0, -1.5, 0.0, 0.5, 2.0, 6.0].iter().map(|&v| log.label(v)).collect();
        assert_eq!(labels, ["0.01", "0.032", "1", "3.2", "100", "1e6"]);
        assert_eq!(log.label(4.0), "10000");
        let linear = Axis::linear(0.0, 1.0, "acc");
        assert_eq!(linear.map(f64::NAN), None);
        assert_eq!(linear.map(1.5), Some(1.0));
        assert_eq!(linear.label(0.5), "0.5");
    }
}
