//! The numbers behind the plots and the printed summaries, as pure functions over the
//! `results.json` rows: failure onsets and their spread, NaN-skipping medians and quantiles, and
//! grouping by x.

use crate::results::{Experiment, ModelKind, RunRecord, SweepPoint};

/// A run diverged if its final training loss is above 10 or not finite.
pub(crate) fn diverged(row: &RunRecord) -> bool {
    row.final_loss.is_nan() || row.final_loss > 10.0
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

/// The spread of `found`, as [`onset_spread`] defines it.
pub(crate) fn spread(found: &[Onset]) -> Option<(f64, f64)> {
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
pub(crate) fn rows_of(rows: &[RunRecord], experiment: Experiment) -> Vec<&RunRecord> {
    rows.iter().filter(|r| r.experiment == experiment).collect()
}

/// The sweep rows of `experiment` with their sweep point.
pub(crate) fn sweep_points(
    rows: &[RunRecord],
    experiment: Experiment,
) -> impl Iterator<Item = (&RunRecord, &SweepPoint)> {
    rows.iter().filter(move |r| r.experiment == experiment).filter_map(|r| Some((r, r.sweep.as_ref()?)))
}

/// The distinct values of `items`, in `order`.
pub(crate) fn distinct<T: PartialEq>(
    items: impl IntoIterator<Item = T>,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Vec<T> {
    let mut seen: Vec<T> = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.sort_by(order);
    seen
}

/// Number of distinct seeds of `rows`.
pub(crate) fn seed_count<'a>(rows: impl IntoIterator<Item = &'a RunRecord>) -> usize {
    distinct(rows.into_iter().map(|r| r.seed), Ord::cmp).len()
}

/// `values` grouped by `x` (positive finite only; equal up to rounding so that an `r` computed per
/// seed lands in one group), sorted by `x`.
pub(crate) fn by_x(values: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, Vec<f64>)> {
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
pub(crate) fn medians(groups: &[(f64, Vec<f64>)]) -> Vec<(f64, f64)> {
    groups.iter().filter_map(|(x, vs)| Some((*x, median(vs.iter().copied())?))).collect()
}

/// The 10-90% band of the groups of [`by_x`] as a polygon: the low edge, then the high edge back.
pub(crate) fn band(groups: &[(f64, Vec<f64>)]) -> Vec<(f64, f64)> {
    let edges: Vec<(f64, f64, f64)> = groups
        .iter()
        .filter_map(|(x, vs)| {
            let sorted = finite_sorted(vs.iter().copied());
            Some((*x, quantile(&sorted, 0.1)?, quantile(&sorted, 0.9)?))
        })
        .collect();
    edges.iter().map(|e| (e.0, e.1)).chain(edges.iter().rev().map(|e| (e.0, e.2))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{run, step};
    use crate::results::Method;

    #[test]
    fn onsets_take_the_first_failing_r_per_group() {
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
    fn onset_spread_is_population_std_of_log10() {
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
    fn stats_skip_nan() {
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
    fn grouping_by_x_merges_rounding_and_drops_unplottable_x() {
        // 0.1 computed two ways differs in the last bit; both land in one group.
        let groups = by_x([(0.3 / 3.0, 1.0), (0.1, 3.0), (10.0, f64::NAN), (0.0, 7.0), (f64::NAN, 7.0), (-1.0, 7.0)]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].1, [1.0, 3.0]);
        assert_eq!(groups[1].0, 10.0);
        // The group of only NaN has no median.
        assert_eq!(medians(&groups), [(groups[0].0, 2.0)]);
        assert!(band(&[]).is_empty());
    }

    #[test]
    fn distinct_seeds_rows_and_divergence() {
        assert_eq!(distinct([3, 1, 3, 2, 1], Ord::cmp), [1, 2, 3]);
        let mut rows: Vec<RunRecord> = (0..4)
            .map(|seed| run(Experiment::LrSpike, ModelKind::Mlp, Method::Plain, 1e-3, 1.0, seed % 2, 0.9))
            .collect();
        rows[3].experiment = Experiment::OneStepSpike;
        assert_eq!(seed_count(&rows), 2);
        assert_eq!(rows_of(&rows, Experiment::LrSpike).len(), 3);
        assert_eq!(sweep_points(&rows, Experiment::LrSpike).count(), 0, "training rows have no sweep point");
        for (loss, expected) in [(0.5, false), (10.0, false), (10.5, true), (f64::NAN, true), (f64::INFINITY, true)] {
            rows[0].final_loss = loss;
            assert_eq!(diverged(&rows[0]), expected, "{loss}");
        }
    }
}
