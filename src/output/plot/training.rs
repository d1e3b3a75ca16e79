//! The figures of `train` and `markov`: gain trajectories, survival against the chain, and
//! the map from initialisation to outcome.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::bail;
use plotters::prelude::*;

use super::figures::grid_heatmap;
use super::input::{SurvivalCurve, survival_table};
use super::labels::{Entries, Swatch};
use super::range::view;
use super::{CsvTable, Figure, colour, decades, finite_range, padded};
use crate::output::format::caption;
use crate::output::schema;
use crate::output::training::{
    MapSummary, TrainSummary, map_columns as mc, trajectory_columns as tc,
};

/// The state rule of a single-cell training folder (summary.json's `state_rule`, e.g.
/// `probe_gain < 1e-6, leave above 0.001`): its column, enter threshold and leave threshold.
/// None without a summary.json (`with_summary` false: the run wrote none), for a map's, and for a rule that is not a threshold; an
/// error when summary.json does not read as [`TrainSummary`].
#[allow(clippy::type_complexity)]
fn state_rule(
    dir: &Path,
    with_summary: bool,
) -> anyhow::Result<Option<(String, f64, Option<f64>)>> {
    if !with_summary || schema::read::<MapSummary>(dir, "summary.json").is_ok() {
        return Ok(None);
    }
    let summary: TrainSummary = schema::read(dir, "summary.json")?;
    Ok(parse_rule(&summary.summary.state_rule))
}

/// A threshold rule's column, enter threshold and leave threshold.
fn parse_rule(rule: &str) -> Option<(String, f64, Option<f64>)> {
    let (enter, leave) = match rule.split_once(", leave above ") {
        Some((e, l)) => (e, l.trim().parse().ok()),
        None => (rule, None),
    };
    let (column, value) = enter.split_once('<')?;
    let value = value.trim_start_matches('=').trim().parse().ok()?;
    Some((column.trim().to_string(), value, leave))
}

/// The q-quantile of sorted values (linear interpolation).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = q * (sorted.len() - 1) as f64;
    let (i, f) = (h.floor() as usize, h - h.floor());
    if i + 1 < sorted.len() {
        sorted[i] + f * (sorted[i + 1] - sorted[i])
    } else {
        sorted[i]
    }
}

/// Per step, the 10 %, 50 % and 90 % quantiles of log10 gain over the runs recorded at
/// that step (non-finite and zero gains left out).
fn bands(steps: &[f64], log_gain: &[f64], rows: &[usize]) -> Vec<(f64, f64, f64, f64)> {
    let mut by_step: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for &i in rows {
        if log_gain[i].is_finite() {
            by_step
                .entry(steps[i] as u64)
                .or_default()
                .push(log_gain[i]);
        }
    }
    by_step
        .into_iter()
        .map(|(s, mut v)| {
            v.sort_by(f64::total_cmp);
            (
                s as f64,
                quantile(&v, 0.1),
                quantile(&v, 0.5),
                quantile(&v, 0.9),
            )
        })
        .collect()
}

/// The backward gain ‖∂L/∂h_1‖/‖∂L/∂h_K‖ of `train`'s runs against the step, on a log
/// axis: up to 20 runs as thin lines, the median over runs and its 10–90 % band, and the
/// state threshold. A map shows each cell's median instead (up to 7 cells).
pub fn gain_trajectories(dir: &Path, with_summary: bool) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("trajectories.csv"))?;
    // The state rule's column when it is a gain in the file (probe_gain by default).
    let rule = state_rule(dir, with_summary)?
        .filter(|(c, _, _)| (c == tc::GAIN || c == tc::PROBE_GAIN) && t.column_index(c).is_some());
    let column = rule.as_ref().map_or(tc::GAIN, |r| r.0.as_str());
    let (run, step, gain) = (
        t.numbers(tc::RUN)?,
        t.numbers(tc::STEP)?,
        t.numbers(column)?,
    );
    if run.is_empty() {
        bail!("no trajectories");
    }
    let log_gain: Vec<f64> = gain
        .iter()
        .map(|&g| if g > 0.0 { g.log10() } else { f64::NAN })
        .collect();
    let hidden = log_gain.iter().filter(|v| !v.is_finite()).count();
    // The columns before `run` are a map's parameters: one group per cell.
    let params = t.column_index(tc::RUN).unwrap_or(0);
    let cell_of = |i: usize| t.rows[i][..params].join(", ");
    let mut cells: Vec<String> = Vec::new();
    for i in 0..run.len() {
        let c = cell_of(i);
        if !cells.contains(&c) {
            cells.push(c);
        }
    }
    let threshold = rule.as_ref().map(|r| r.1);
    let leave = rule.as_ref().and_then(|r| r.2);
    let (lo, hi) = finite_range(log_gain.iter().copied());
    let (lo, hi) = match threshold {
        Some(th) => (lo.min(th.log10()), hi.max(leave.unwrap_or(th).log10())),
        None => (lo, hi),
    };
    let (title, y_desc) = if column == tc::PROBE_GAIN {
        (
            "The network's gain during training",
            "probe gain ‖J·u‖/‖u‖ (log scale)",
        )
    } else {
        (
            "Backward gain during training",
            "gain ‖∂L/∂h_1‖ / ‖∂L/∂h_K‖ (log scale)",
        )
    };
    let (y_lo, y_hi) = decades(10f64.powf(lo), 10f64.powf(hi));
    let (y_lo, y_hi) = (y_lo.log10(), y_hi.log10());
    let (s_lo, s_hi) = finite_range(step.iter().copied());
    let runs_total = {
        let mut r: Vec<u64> = run.iter().map(|&r| r as u64).collect();
        r.dedup();
        r.len()
    };
    let map = cells.len() > 1;
    let names = t.header[..params].join(", ");
    let mut entries: Entries = if map {
        cells
            .iter()
            .take(7)
            .enumerate()
            .map(|(ci, cell)| (format!("{names} = {cell}"), Swatch::Line(colour(ci), 2)))
            .collect()
    } else {
        vec![
            ("10–90 % of runs".into(), Swatch::Band(colour(0).mix(0.2))),
            (
                format!(
                    "median of {runs_total} runs ({} drawn in grey)",
                    runs_total.min(20)
                ),
                Swatch::Line(colour(0), 3),
            ),
        ]
    };
    if let Some(th) = threshold {
        entries.push((
            format!("[g∼0] below {column} {th:e}"),
            Swatch::Dashed(colour(1)),
        ));
    }
    if let Some(up) = leave {
        entries.push((
            format!("back to [g≫0] above {up:e}"),
            Swatch::Dashed(colour(2)),
        ));
    }
    let svg = super::draw_legended(&entries, |root| {
        let decades_shown = ((y_hi - y_lo).round() as usize + 1).min(13);
        let fmt_y = |v: &f64| {
            if (v - v.round()).abs() < 1e-9 {
                super::log_tick(&10f64.powf(v.round()))
            } else {
                String::new()
            }
        };
        let mut chart = super::linear_chart(
            root,
            title,
            (
                padded(s_lo, s_hi).0.max(0.0)..padded(s_lo, s_hi).1,
                y_lo..y_hi,
            ),
            ("training step", y_desc),
            (decades_shown, &fmt_y),
        )?;
        if map {
            for (ci, cell) in cells.iter().take(7).enumerate() {
                let rows: Vec<usize> = (0..run.len()).filter(|&i| &cell_of(i) == cell).collect();
                let b = bands(&step, &log_gain, &rows);
                let c = colour(ci);
                chart.draw_series([Polygon::new(
                    b.iter()
                        .map(|p| (p.0, p.3))
                        .chain(b.iter().rev().map(|p| (p.0, p.1)))
                        .collect::<Vec<_>>(),
                    c.mix(0.12).filled(),
                )])?;
                chart.draw_series(LineSeries::new(
                    b.iter().map(|p| (p.0, p.2)),
                    c.stroke_width(2),
                ))?;
            }
        } else {
            let all: Vec<usize> = (0..run.len()).collect();
            let mut shown = 0;
            let mut i = 0;
            while i < run.len() && shown < 20 {
                let j = (i..run.len())
                    .find(|&j| run[j] != run[i])
                    .unwrap_or(run.len());
                let pts: Vec<(f64, f64)> = (i..j)
                    .filter(|&k| log_gain[k].is_finite())
                    .map(|k| (step[k], log_gain[k].max(y_lo)))
                    .collect();
                chart.draw_series(LineSeries::new(pts, BLACK.mix(0.25).stroke_width(1)))?;
                shown += 1;
                i = j;
            }
            let b = bands(&step, &log_gain, &all);
            let c = colour(0);
            chart.draw_series([Polygon::new(
                b.iter()
                    .map(|p| (p.0, p.3))
                    .chain(b.iter().rev().map(|p| (p.0, p.1)))
                    .collect::<Vec<_>>(),
                c.mix(0.2).filled(),
            )])?;
            chart.draw_series(LineSeries::new(
                b.iter().map(|p| (p.0, p.2)),
                c.stroke_width(3),
            ))?;
        }
        if let Some(th) = threshold {
            let style = colour(1).stroke_width(2);
            chart.draw_series(DashedLineSeries::new(
                [(s_lo, th.log10()), (s_hi, th.log10())],
                6,
                4,
                style,
            ))?;
        }
        if let Some(up) = leave {
            let style = colour(2).stroke_width(2);
            chart.draw_series(DashedLineSeries::new(
                [(s_lo, up.log10()), (s_hi, up.log10())],
                6,
                4,
                style,
            ))?;
        }
        Ok(())
    })?;
    Ok(Figure {
        name: "gain_trajectories".into(),
        title: format!("The {column} of the training runs"),
        caption: if map {
            format!(
                "Per cell of the map ({names}): the median log10 gain over its runs at each \
                 recorded step, with the 10–90 % band{}. Dashed: the state rule's thresholds.",
                if cells.len() > 7 {
                    format!(" (the first 7 of {} cells)", cells.len())
                } else {
                    String::new()
                }
            )
        } else {
            "Grey: single runs; blue: the median over runs at each recorded step, with the \
             band holding 80 % of them. Dashed: the state rule's thresholds: a run enters \
             [g∼0] below the lower one and returns to [g≫0] only above the upper one."
                .into()
        } + &if hidden > 0 {
            format!(
                " {hidden} of {} records have a gain of 0 or not a number (a gradient \
                 that underflowed or a diverged run) and are not drawn.",
                gain.len()
            )
        } else {
            String::new()
        },
        svg,
    })
}

/// The Kaplan–Meier survival of the time to first vanish against the fitted chain's
/// geometric law (survival.csv of `markov` or `train --fit`).
pub fn survival(dir: &Path) -> anyhow::Result<Figure> {
    let SurvivalCurve {
        t: time,
        km,
        geometric: geo,
    } = survival_table(&CsvTable::read(&dir.join("survival.csv"))?)?;
    if time.is_empty() {
        bail!("no run started in [g≫0], so there is no time to the first vanish");
    }
    let t_hi = view(0.0, finite_range(time.iter().copied()).1.max(1.0)).1;
    // The chain's survival is (1 − p01)^t: its rate from any listed time, drawn at every t
    // (at most GEOMETRIC_POINTS of them, evenly spread, on a long axis).
    let q = time
        .iter()
        .zip(&geo)
        .find(|(t, g)| **t > 0.0 && g.is_finite())
        .map(|(t, g)| g.powf(1.0 / t));
    let geometric: Vec<(f64, f64)> = match q {
        Some(q) => geometric_times(t_hi).map(|t| (t, q.powf(t))).collect(),
        None => Vec::new(),
    };
    let entries: Entries = vec![
        ("Kaplan–Meier (the runs)".into(), Swatch::Line(colour(0), 3)),
        (
            "geometric (the fitted two-state chain)".into(),
            Swatch::Dashed(colour(1)),
        ),
    ];
    let svg = super::draw_legended(&entries, |root| {
        let mut chart = super::linear_chart(
            root,
            "Survival of [g≫0]: time to the first vanish",
            (0.0..t_hi, 0.0..1.02),
            ("records since the start", "P(not yet vanished)"),
            (10, &super::tick),
        )?;
        // Kaplan–Meier is a step function: flat until the next time.
        let mut steps = vec![(0.0, 1.0)];
        for i in 0..time.len() {
            let prev = steps.last().expect("a point").1;
            steps.push((time[i], prev));
            steps.push((time[i], km[i]));
        }
        let c0 = colour(0).stroke_width(3);
        chart.draw_series(LineSeries::new(steps, c0))?;
        let c1 = colour(1).stroke_width(2);
        chart.draw_series(DashedLineSeries::new(geometric, 6, 4, c1))?;
        Ok(())
    })?;
    Ok(Figure {
        name: "survival".into(),
        title: "Time to the first vanish against the chain".into(),
        caption: "The fraction of runs that started in [g≫0] and have not yet entered [g∼0], \
                  by record (Kaplan–Meier), against the survival (1 − p01)^t that the \
                  fitted first-order chain predicts. A one-way-street chain fits when the \
                  two agree."
            .into(),
        svg,
    })
}

/// The most points of the chain's survival curve.
const GEOMETRIC_POINTS: u64 = 2000;

/// The times the chain's survival is drawn at: every whole t from 0 to `t_hi`, or
/// [`GEOMETRIC_POINTS`] + 1 evenly spread when there are more (however long the axis).
fn geometric_times(t_hi: f64) -> impl Iterator<Item = f64> {
    let last = t_hi.max(0.0).min(GEOMETRIC_POINTS as f64) as u64;
    let step = if t_hi > GEOMETRIC_POINTS as f64 {
        t_hi / GEOMETRIC_POINTS as f64
    } else {
        1.0
    };
    (0..=last).map(move |i| i as f64 * step)
}

/// The map from initialisation to outcome (`train`'s map.csv): the fraction of runs that
/// vanished by T over the two parameters that vary (a heatmap), or against the one that
/// varies (with its 95 % interval).
pub fn train_map(dir: &Path) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("map.csv"))?;
    let stop = t.column_index(mc::RUNS).unwrap_or(0);
    let varying: Vec<String> = (0..stop)
        .filter(|&c| t.rows.iter().any(|r| r[c] != t.rows[0][c]))
        .map(|c| t.header[c].clone())
        .collect();
    let f = t.numbers(mc::FRACTION_VANISHED)?;
    let title = "Fraction of runs vanished by T".to_string();
    let svg =
        match varying.as_slice() {
            [a, b] => {
                let (va, vb) = (t.numbers(a)?, t.numbers(b)?);
                grid_heatmap(&title, b, a, &vb, &va, &f, true)?
            }
            [a] => {
                // Sorted by the parameter (a map may list its cells in any order).
                let (x0, lo0, hi0) = (
                    t.numbers(a)?,
                    t.numbers(mc::FRACTION_VANISHED_CP_LO)?,
                    t.numbers(mc::FRACTION_VANISHED_CP_HI)?,
                );
                let mut order: Vec<usize> = (0..x0.len()).collect();
                order.sort_by(|&i, &j| x0[i].total_cmp(&x0[j]));
                let pick = |v: &[f64]| order.iter().map(|&i| v[i]).collect::<Vec<f64>>();
                let (x, lo, hi, f) = (pick(&x0), pick(&lo0), pick(&hi0), pick(&f));
                let (x_lo, x_hi) = finite_range(x.iter().copied());
                let entries: Entries = vec![(
                    "fraction vanished, 95 % Clopper–Pearson bars".into(),
                    Swatch::LineDot(colour(0)),
                )];
                super::draw_legended(&entries, |root| {
                    let mut chart = super::linear_chart(
                        root,
                        &title,
                        (padded(x_lo, x_hi).0..padded(x_lo, x_hi).1, 0.0..1.02),
                        (a.as_str(), "fraction vanished by T"),
                        (10, &super::tick),
                    )?;
                    let c = colour(0);
                    chart.draw_series(x.iter().zip(lo.iter().zip(&hi)).map(|(&x, (&l, &h))| {
                        PathElement::new([(x, l), (x, h)], c.stroke_width(2))
                    }))?;
                    chart.draw_series(LineSeries::new(
                        x.iter().copied().zip(f.iter().copied()),
                        c.stroke_width(2),
                    ))?;
                    chart.draw_series(
                        x.iter()
                            .zip(&f)
                            .map(|(&x, &y)| Circle::new((x, y), 4, c.filled())),
                    )?;
                    Ok(())
                })?
            }
            _ => bail!(
                "the map varies {} parameters ({}); its figure shows one or two",
                varying.len(),
                varying.join(", ")
            ),
        };
    let medians = t.numbers(mc::MEDIAN_STEP_TO_VANISH)?;
    let shown = medians.iter().filter(|m| m.is_finite()).count();
    Ok(Figure {
        name: "train_map".into(),
        title: format!(
            "Which initial points lead to vanishing ({})",
            varying.join(" × ")
        ),
        caption: format!(
            "Each cell: the fraction of its runs that reached [g∼0] at some record up to \
             step T{}. {shown} of {} cells had runs that vanished.",
            if varying.len() == 2 {
                ", as a colour and a number"
            } else {
                ""
            },
            f.len()
        ) + &format!(
            " Largest fraction: {}.",
            caption(finite_range(f.iter().copied()).1)
        ),
        svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_quantiles_over_runs_per_step() {
        // Steps 0 and 10; five runs at step 0 (log gains 0…4), one at step 10, one NaN.
        let steps = [0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 10.0];
        let g = [4.0, 0.0, 2.0, 1.0, 3.0, -1.0, f64::NAN];
        let b = bands(&steps, &g, &(0..7).collect::<Vec<_>>());
        assert_eq!(b, [(0.0, 0.4, 2.0, 3.6), (10.0, -1.0, -1.0, -1.0)]);
        assert_eq!(quantile(&[1.0, 2.0], 0.5), 1.5);
    }

    #[test]
    fn the_chain_is_drawn_at_a_bounded_number_of_times() {
        assert_eq!(
            geometric_times(3.0).collect::<Vec<_>>(),
            [0.0, 1.0, 2.0, 3.0]
        );
        let long: Vec<f64> = geometric_times(1e15).collect();
        assert_eq!(long.len() as u64, GEOMETRIC_POINTS + 1);
        assert_eq!(long[long.len() - 1], 1e15);
    }
}
