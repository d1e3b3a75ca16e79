//! The figures of the one-way-street analysis: the competing risks of vanishing,
//! convergence and divergence, and the posterior-predictive check of the fitted models.

use std::path::Path;

use anyhow::bail;
use plotters::prelude::*;

use super::labels::{Entries, Swatch};
use super::{CsvTable, Figure, colour, finite_range};
use crate::dynamics::risks::risk_columns as rc;
use crate::dynamics::study::CAUSES;
use crate::output::dynamics::ppc_columns as pc;

/// A band between two curves, as a polygon (points with a non-finite end are left out).
fn band_polygon(x: &[f64], lo: &[f64], hi: &[f64]) -> Vec<(f64, f64)> {
    let keep: Vec<usize> = (0..x.len())
        .filter(|&i| lo[i].is_finite() && hi[i].is_finite())
        .collect();
    keep.iter()
        .map(|&i| (x[i], hi[i]))
        .chain(keep.iter().rev().map(|&i| (x[i], lo[i])))
        .collect()
}

/// A step function through (x, y): flat until the next x.
fn steps(x: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(2 * x.len());
    for i in 0..x.len() {
        if let Some(&(_, prev)) = out.last() {
            out.push((x[i], prev));
        }
        out.push((x[i], y[i]));
    }
    out
}

/// The cumulative incidence of each first event against the step (risks.csv of `markov`
/// or `train --fit`), with the run-resampled 95 % bands.
pub fn risks(dir: &Path) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("risks.csv"))?;
    let x = t.numbers(rc::T)?;
    if x.is_empty() {
        bail!("no run started in [g≫0]");
    }
    let (x_lo, x_hi) = finite_range(x.iter().copied());
    // The causes that happened, with their curves and bands.
    let mut shown = Vec::new();
    for (j, cause) in CAUSES.iter().enumerate() {
        if let (Ok(cif), Ok(lo), Ok(hi)) = (
            t.numbers(&rc::of_cause(cause, rc::CIF)),
            t.numbers(&rc::of_cause(cause, rc::LOWER)),
            t.numbers(&rc::of_cause(cause, rc::UPPER)),
        ) && cif.iter().any(|&v| v != 0.0)
        {
            shown.push((colour(j), cause, cif, lo, hi));
        }
    }
    let none = t.numbers(rc::SURVIVAL)?;
    let grey = BLACK.mix(0.6);
    let mut entries: Entries = shown
        .iter()
        .map(|(c, cause, ..)| (format!("{cause} first"), Swatch::Line(*c, 3)))
        .collect();
    entries.push((
        "none of them yet".into(),
        Swatch::Dashed(RGBColor(100, 100, 100)),
    ));
    let svg = super::draw_legended(&entries, |root| {
        let mut chart = super::linear_chart(
            root,
            "What happens first to runs that start with a live gradient",
            (x_lo..x_hi.max(x_lo + 1.0), 0.0..1.02),
            ("training step", "cumulative incidence"),
            (6, &super::tick),
        )?;
        for (c, _, cif, lo, hi) in &shown {
            chart.draw_series([Polygon::new(band_polygon(&x, lo, hi), c.mix(0.15).filled())])?;
            chart.draw_series(LineSeries::new(steps(&x, cif), c.stroke_width(3)))?;
        }
        chart.draw_series(DashedLineSeries::new(
            steps(&x, &none),
            6,
            4,
            grey.stroke_width(2),
        ))?;
        Ok(())
    })?;
    Ok(Figure {
        name: "risks".into(),
        title: "The race between vanishing and convergence".into(),
        caption: "For the runs that start in [g≫0]: the share that has entered [g∼0], \
                  converged or diverged first by each step (Aalen–Johansen cumulative \
                  incidence), with 95 % bands from resampling whole runs; dashed, the share \
                  that has done none of them yet."
            .into(),
        svg,
    })
}

/// The posterior-predictive check (ppc.csv): the observed share of runs in [g∼0] at each
/// record against the 95 % bands of data simulated from the two-state HMM and from the
/// observed-state chain.
pub fn posterior_check(dir: &Path) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("ppc.csv"))?;
    let x = t.numbers(pc::RECORD)?;
    if x.is_empty() {
        bail!("no records");
    }
    let observed = t.numbers(pc::OBSERVED_OCCUPANCY)?;
    let (x_lo, x_hi) = finite_range(x.iter().copied());
    let models = [
        (
            pc::HMM_OCCUPANCY_LOWER,
            pc::HMM_OCCUPANCY_UPPER,
            "two-state hidden Markov model, 95 % of simulated sets",
        ),
        (
            pc::CHAIN_OCCUPANCY_LOWER,
            pc::CHAIN_OCCUPANCY_UPPER,
            "observed-state chain, 95 % of simulated sets",
        ),
    ];
    let mut entries: Entries = models
        .iter()
        .enumerate()
        .map(|(k, m)| (m.2.to_string(), Swatch::Band(colour(k + 1).mix(0.2))))
        .collect();
    entries.push(("the runs".into(), Swatch::Line(colour(0), 3)));
    let svg = super::draw_legended(&entries, |root| {
        let mut chart = super::linear_chart(
            root,
            "Share of runs in [g∼0]: the runs against the fitted models",
            (x_lo..x_hi.max(x_lo + 1.0), 0.0..1.02),
            ("record", "share of runs in [g∼0]"),
            (6, &super::tick),
        )?;
        for (k, (lower, upper, _)) in models.into_iter().enumerate() {
            let lo = t.numbers(lower)?;
            let hi = t.numbers(upper)?;
            let c = colour(k + 1);
            chart.draw_series([Polygon::new(
                band_polygon(&x, &lo, &hi),
                c.mix(0.2).filled(),
            )])?;
        }
        let pts: Vec<(f64, f64)> = (0..x.len())
            .filter(|&i| observed[i].is_finite())
            .map(|i| (x[i], observed[i]))
            .collect();
        chart.draw_series(LineSeries::new(pts, colour(0).stroke_width(3)))?;
        Ok(())
    })?;
    Ok(Figure {
        name: "posterior_check".into(),
        title: "Do the fitted models reproduce the runs?".into(),
        caption: "The share of runs in [g∼0] at each record (the state rule with its \
                  hysteresis band), against the 95 % band of 200 data sets of the same run \
                  lengths simulated from the fitted two-state hidden Markov model and from the \
                  fitted observed-state chain and put through the same rule. A model that \
                  describes the runs keeps the line inside its band."
            .into(),
        svg,
    })
}
