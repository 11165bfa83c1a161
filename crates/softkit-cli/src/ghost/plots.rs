//! PNG figures of `softkit ghost`'s `results.json` rows, one per experiment present: the sustained
//! LR spike's accuracy curves, the one-step spike's final accuracy, the r-sweep and the temperature
//! sweep's failure onsets. Drawn with plotters and the embedded font of [`crate::plots`].

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::results::{CURVE_EVERY, Experiment, Method, ModelKind, RunRecord, SweepPoint};

/// The family [`crate::plots::register_font`] registers the embedded font under.
const FAMILY: &str = "sans-serif";

/// Size of one panel; a figure is a grid of panels under a caption strip (see [`figure_size`]).
pub(crate) const PANEL_SIZE: (u32, u32) = (600, 450);

/// Height of the caption strip above the panels.
const CAPTION_HEIGHT: u32 = 50;

/// Panels per row of a figure.
const COLUMNS: usize = 3;

/// The step from which (or at which) the learning rate is spiked.
const SPIKE_STEP: f64 = 50.0;

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
            crate::plots::register_font()?;
        }
        let path = dir.join(name);
        draw(&path, &figure).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The first failing step of one sweep: the smallest `r` at which a `(model, seed, temperature,
/// direction)` group has `failed`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Onset {
    /// The network swept.
    pub(crate) model: ModelKind,
    /// The seed of the trained model.
    pub(crate) seed: u64,
    /// The loss temperature `T`.
    pub(crate) temperature: f64,
    /// `"gradient"` or `"random-N"`.
    pub(crate) direction: String,
    /// The normalised step length of the first failing step.
    pub(crate) r: f64,
    /// Its step length in parameter space.
    pub(crate) tau: f64,
}

/// The onset of every `(model, seed, temperature, direction)` group of `experiment`'s sweep rows
/// that fails at some finite `r`, ordered by model, seed, temperature, then direction. Groups that
/// never fail have none.
pub(crate) fn onsets(rows: &[RunRecord], experiment: Experiment) -> Vec<Onset> {
    let mut failed: Vec<Onset> = sweep_points(rows, experiment)
        .filter(|(_, s)| s.failed && s.r.is_finite())
        .map(|(row, s)| Onset {
            model: row.model,
            seed: row.seed,
            temperature: s.temperature,
            direction: s.direction.clone(),
            r: s.r,
            tau: s.tau,
        })
        .collect();
    failed.sort_by(|a, b| {
        (a.model as u8)
            .cmp(&(b.model as u8))
            .then(a.seed.cmp(&b.seed))
            .then(a.temperature.total_cmp(&b.temperature))
            .then_with(|| a.direction.cmp(&b.direction))
            .then(a.r.total_cmp(&b.r))
    });
    // Sorted by r within a group, so the first kept is the group's smallest failing r.
    failed.dedup_by(|later, first| {
        later.model == first.model
            && later.seed == first.seed
            && later.temperature == first.temperature
            && later.direction == first.direction
    });
    failed
}

/// The temperature sweep's spread of failure onsets: the population standard deviation of
/// `log10(tau)` and of `log10(r)` over every group's onset (see [`onsets`]). `None` when no group
/// fails at a positive finite `tau` and `r`.
pub(crate) fn onset_spread(rows: &[RunRecord]) -> Option<(f64, f64)> {
    spread(&onsets(rows, Experiment::Temperature))
}

/// See [`onset_spread`].
fn spread(found: &[Onset]) -> Option<(f64, f64)> {
    Some((std_log10(found.iter().map(|o| o.tau))?, std_log10(found.iter().map(|o| o.r))?))
}

/// Population standard deviation of the log10 of the positive finite `values`; `None` if none.
fn std_log10(values: impl Iterator<Item = f64>) -> Option<f64> {
    let logs: Vec<f64> = values.filter(|v| v.is_finite() && *v > 0.0).map(f64::log10).collect();
    if logs.is_empty() {
        return None;
    }
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    Some((logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt())
}

/// The finite `values`, sorted.
fn finite_sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut kept: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    kept.sort_by(f64::total_cmp);
    kept
}

/// The `q` quantile of `sorted`, interpolating linearly between neighbours; `None` if empty.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let i = pos.floor() as usize;
    let (lo, hi) = (sorted[i], sorted[(i + 1).min(last)]);
    Some(lo + (hi - lo) * pos.fract())
}

/// The median of the finite `values`; `None` if there are none.
pub(crate) fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    quantile(&finite_sorted(values), 0.5)
}

/// The rows of `experiment`.
fn of(rows: &[RunRecord], experiment: Experiment) -> Vec<&RunRecord> {
    rows.iter().filter(|r| r.experiment == experiment).collect()
}

/// The sweep rows of `experiment` with their sweep point.
fn sweep_points(rows: &[RunRecord], experiment: Experiment) -> impl Iterator<Item = (&RunRecord, &SweepPoint)> {
    rows.iter().filter(move |r| r.experiment == experiment).filter_map(|r| Some((r, r.sweep.as_ref()?)))
}

/// The distinct values of `items`, in `order`.
fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>, order: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    let mut seen: Vec<T> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.sort_by(order);
    seen
}

/// `values` grouped by `x` (positive finite only; equal up to rounding so that an `r` computed per
/// seed lands in one group), sorted by `x`.
fn by_x(values: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, Vec<f64>)> {
    let key = |x: f64| (x.log10() * 1e6).round() as i64;
    let mut groups: Vec<(i64, f64, Vec<f64>)> = Vec::new();
    for (x, v) in values.into_iter().filter(|(x, _)| x.is_finite() && *x > 0.0) {
        match groups.iter_mut().find(|g| g.0 == key(x)) {
            Some(group) => group.2.push(v),
            None => groups.push((key(x), x, vec![v])),
        }
    }
    groups.sort_by_key(|g| g.0);
    groups.into_iter().map(|(_, x, vs)| (x, vs)).collect()
}

/// The median of each group of [`by_x`], skipping groups with no finite value.
fn medians(groups: &[(f64, Vec<f64>)]) -> Vec<(f64, f64)> {
    groups.iter().filter_map(|(x, vs)| Some((*x, median(vs.iter().copied())?))).collect()
}

/// The 10-90% band of the groups of [`by_x`] as a polygon: the low edge, then the high edge back.
fn band(groups: &[(f64, Vec<f64>)]) -> Vec<(f64, f64)> {
    let edges: Vec<(f64, f64, f64)> = groups
        .iter()
        .filter_map(|(x, vs)| {
            let sorted = finite_sorted(vs.iter().copied());
            Some((*x, quantile(&sorted, 0.1)?, quantile(&sorted, 0.9)?))
        })
        .collect();
    edges.iter().map(|e| (e.0, e.1)).chain(edges.iter().rev().map(|e| (e.0, e.2))).collect()
}

/// The methods in drawing order.
const METHODS: [Method; 3] = [Method::Plain, Method::Clip, Method::Ghost];

/// Name and colour of a method, the same in every figure (the colours of [`crate::plots`]).
fn method_style(method: Method) -> (&'static str, RGBColor) {
    let colour = match method {
        Method::Plain => RGBColor(31, 119, 180),
        Method::Clip => RGBColor(214, 39, 40),
        Method::Ghost => RGBColor(44, 160, 44),
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
    }
}

/// Number of distinct seeds of `rows`.
fn seed_count<'a>(rows: impl IntoIterator<Item = &'a RunRecord>) -> usize {
    distinct(rows.into_iter().map(|r| r.seed), Ord::cmp).len()
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
    /// A faint filled polygon (a quantile band, see [`band`]).
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
    let rows = of(rows, Experiment::LrSpike);
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
            let series = METHODS
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
    let rows = of(rows, Experiment::OneStepSpike);
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
            for (i, &method) in METHODS.iter().enumerate() {
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
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, body) = root.split_vertically(CAPTION_HEIGHT);
    let centre = Pos::new(HPos::Center, VPos::Center);
    let at = (i32::try_from(size.0 / 2).unwrap_or(0), i32::try_from(CAPTION_HEIGHT / 2).unwrap_or(0));
    top.draw(&Text::new(figure.caption.as_str(), at, TextStyle::from((FAMILY, 22).into_font()).pos(centre)))
        .map_err(|e| e.to_string())?;
    let cols = figure.panels.len().clamp(1, COLUMNS);
    let areas = body.split_evenly((figure.panels.len().div_ceil(COLUMNS).max(1), cols));
    for (area, panel) in areas.iter().zip(&figure.panels) {
        draw_panel(area, panel)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Draws one panel; a series with no drawable point is left out, legend included.
fn draw_panel(area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>, panel: &Panel) -> Result<(), String> {
    let (x, y) = (panel.x, panel.y);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FAMILY, 18))
        .margin(14)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x.lo..x.hi, y.lo..y.hi)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x.desc)
        .y_desc(y.desc)
        .x_labels(x.ticks())
        .y_labels(y.ticks())
        .x_label_formatter(&|v| x.label(*v))
        .y_label_formatter(&|v| y.label(*v))
        .axis_desc_style((FAMILY, 15))
        .label_style((FAMILY, 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;
    let dashed = |from: (f64, f64), to: (f64, f64)| DashedLineSeries::new([from, to], 6, 4, REFERENCE.stroke_width(1));
    for at in panel.vlines.iter().filter_map(|&v| x.map(v)) {
        chart.draw_series(dashed((at, y.lo), (at, y.hi))).map_err(|e| e.to_string())?;
    }
    for at in panel.hlines.iter().filter_map(|&v| y.map(v)) {
        chart.draw_series(dashed((x.lo, at), (x.hi, at))).map_err(|e| e.to_string())?;
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
        .map_err(|e| e.to_string())?;
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
        chart
            .configure_series_labels()
            .position(panel.legend.clone())
            .margin(10)
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(|e| e.to_string())?;
    }
    if drawn == 0 {
        // Nothing finite to show (every run diverged, or no sweep failed): say so in the frame.
        let note = Text::new(
            "no finite values to draw",
            (x.lo + 0.25 * (x.hi - x.lo), (y.lo + y.hi) / 2.0),
            (FAMILY, 18).into_font(),
        );
        chart.draw_series(std::iter::once(note)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("softkit-ghost-plots-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A training run.
    fn run(
        experiment: Experiment,
        model: ModelKind,
        method: Method,
        lr: f64,
        spike: f64,
        seed: u64,
        acc: f64,
    ) -> RunRecord {
        RunRecord {
            experiment,
            model,
            method,
            base_lr: lr,
            spike,
            seed,
            final_test_acc: acc,
            final_loss: 0.5,
            max_r: 0.3,
            test_acc_curve: Vec::new(),
            sweep: None,
        }
    }

    /// A sweep step: `rho_a` is 2, so `tau = 2 r`.
    fn step(experiment: Experiment, seed: u64, temperature: f64, direction: &str, r: f64, failed: bool) -> RunRecord {
        let retained = if failed { 0.3 } else { 1.0 - 0.01 * r };
        let sweep = SweepPoint {
            direction: direction.to_string(),
            temperature,
            r,
            tau: 2.0 * r,
            rho_a: 2.0,
            retained_acc: retained,
            loss_ratio: if failed { 50.0 * r } else { 1.0 },
            failed,
        };
        RunRecord { sweep: Some(sweep), ..run(experiment, ModelKind::Mlp, Method::Plain, 1e-3, 1.0, seed, 0.9) }
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

    /// Rows of every experiment: three seeds, NaN sprinkled in.
    fn all_rows() -> Vec<RunRecord> {
        let mut rows = Vec::new();
        for seed in 0..3 {
            for (m, &method) in METHODS.iter().enumerate() {
                for lr in [1e-4, 1e-3, 1e-2] {
                    let mut row = run(Experiment::LrSpike, ModelKind::Mlp, method, lr, 100.0, seed, 0.8);
                    row.test_acc_curve =
                        (0..21)
                            .map(|i| {
                                if i > 5 && m == 0 {
                                    0.1
                                } else {
                                    (0.1 + 0.04 * i as f64 + 0.01 * seed as f64).min(0.95)
                                }
                            })
                            .collect();
                    if seed == 1 {
                        row.test_acc_curve[10] = f64::NAN;
                    }
                    rows.push(row);
                }
                for model in [ModelKind::Mlp, ModelKind::Transformer] {
                    for (k, spike) in [10.0, 100.0, 1000.0, 10000.0].into_iter().enumerate() {
                        let acc = if seed == 2 && k == 3 { f64::NAN } else { 0.9 - 0.2 * k as f64 / (m as f64 + 1.0) };
                        rows.push(run(Experiment::OneStepSpike, model, method, 1e-3, spike, seed, acc));
                    }
                }
            }
            for direction in ["gradient", "random-0", "random-1", "random-2"] {
                for k in -4..=4 {
                    let r = 10f64.powf(k as f64 / 2.0);
                    let mut row = step(Experiment::RSweep, seed, 1.0, direction, r, r > 1.5);
                    if k == 4 && direction == "random-1" {
                        row.sweep.as_mut().unwrap().loss_ratio = f64::NAN;
                    }
                    rows.push(row);
                }
                for temperature in [0.25, 1.0, 4.0] {
                    for k in -4..=4 {
                        // The onset in r is about the same at every T; rho_a (and so tau) scales with T.
                        let r = 10f64.powf(k as f64 / 2.0);
                        let mut row = step(Experiment::Temperature, seed, temperature, direction, r, r > 1.0);
                        let sweep = row.sweep.as_mut().unwrap();
                        sweep.rho_a = temperature;
                        sweep.tau = r * temperature;
                        rows.push(row);
                    }
                }
            }
        }
        rows
    }

    #[test]
    fn ghost_plots_writes_every_experiment() {
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
    fn ghost_plots_write_only_present_experiments() {
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
    fn ghost_plots_survive_all_nan_and_no_failure() {
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
    fn ghost_plots_name_the_file_on_error() {
        let dir = scratch("error");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = write_ghost_plots(&file.join("out"), &all_rows()).unwrap_err();
        assert!(err.contains("not-a-dir"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ghost_onsets_take_the_first_failing_r_per_group() {
        let t = Experiment::Temperature;
        let mut other_model = step(t, 1, 2.0, "gradient", 1.0, true);
        other_model.model = ModelKind::Transformer;
        let rows = vec![
            other_model,
            step(t, 1, 2.0, "gradient", 10.0, true),
            step(t, 1, 2.0, "gradient", 3.0, true),
            step(t, 1, 2.0, "gradient", 1.0, false),
            step(t, 0, 2.0, "random-0", 0.5, true),
            step(t, 0, 0.5, "random-0", 4.0, true),
            step(t, 0, 0.5, "random-0", f64::NAN, true),
            step(t, 0, 0.5, "gradient", 100.0, false),
            // Another experiment's rows are not this one's.
            step(Experiment::RSweep, 0, 1.0, "gradient", 0.1, true),
        ];
        let mut found = onsets(&rows, t);
        // Each network is its own sweep, ordered after the others here.
        let last = found.pop().unwrap();
        assert_eq!((last.model, last.seed, last.r), (ModelKind::Transformer, 1, 1.0));
        let keys: Vec<(u64, f64, &str, f64, f64)> =
            found.iter().map(|o| (o.seed, o.temperature, o.direction.as_str(), o.r, o.tau)).collect();
        assert_eq!(
            keys,
            [(0, 0.5, "random-0", 4.0, 8.0), (0, 2.0, "random-0", 0.5, 1.0), (1, 2.0, "gradient", 3.0, 6.0)]
        );
        assert_eq!(onsets(&rows, Experiment::RSweep).len(), 1);
        assert!(onsets(&rows, Experiment::LrSpike).is_empty());
    }

    #[test]
    fn ghost_onset_spread_is_population_std_of_log10() {
        let t = Experiment::Temperature;
        // Onsets: r = 1 in every group; tau = 2 r, with rho_a set per group to 1, 10, 100.
        let mut rows = Vec::new();
        for (seed, rho) in [(0, 1.0), (1, 10.0), (2, 100.0)] {
            for r in [0.1, 1.0, 10.0] {
                let mut row = step(t, seed, 1.0, "gradient", r, r >= 1.0);
                row.sweep.as_mut().unwrap().tau = r * rho;
                rows.push(row);
            }
        }
        let (tau, r) = onset_spread(&rows).unwrap();
        assert!((tau - (2.0f64 / 3.0).sqrt()).abs() < 1e-12, "{tau}");
        assert!(r.abs() < 1e-12, "{r}");
        // A single onset has no spread; no onset has none at all.
        assert_eq!(onset_spread(&rows[..2]), Some((0.0, 0.0)));
        assert_eq!(onset_spread(&rows[..1]), None);
    }

    #[test]
    fn ghost_stats_skip_nan() {
        assert_eq!(median([3.0, f64::NAN, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([1.0, 4.0]), Some(2.5));
        assert_eq!(median([f64::NAN, f64::INFINITY]), None);
        assert_eq!(median(Vec::new()), None);
        let sorted = finite_sorted((0..=10).map(f64::from));
        assert_eq!(quantile(&sorted, 0.1), Some(1.0));
        assert_eq!(quantile(&sorted, 0.9), Some(9.0));
        assert_eq!(
            band(&by_x([(1.0, 0.0), (1.0, 10.0), (10.0, 5.0)])),
            [(1.0, 1.0), (10.0, 5.0), (10.0, 5.0), (1.0, 9.0)]
        );
    }

    #[test]
    fn ghost_axis_maps_and_labels() {
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
