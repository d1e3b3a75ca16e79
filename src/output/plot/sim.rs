//! The figure of `sim`: the histogram of log10 g, with the exact density and the
//! thresholds.

use std::path::Path;

use anyhow::bail;
use plotters::prelude::*;
use serde_json::Value;

use super::input::{Bins, bins};
use super::labels::{Entries, Swatch};
use super::range::{self, view};
use super::{CsvTable, Figure, colour, finite_range, padded};
use crate::output::format::caption;
use crate::output::results::{SimSummary, exact_density_columns as ex, histogram_columns as hc};

/// The histogram of log10 g of a `sim` run (histogram.csv, regrouped into 120 bars), the
/// exact density over it when the run computed it (exact_density.csv, `--method exact`),
/// and the vanish and explode thresholds.
pub fn histogram(dir: &Path, with_exact: bool) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("histogram.csv"))?;
    let Bins { lo, hi, mass: frac } = bins(&t, hc::LOG10_G_LO, hc::LOG10_G_HI, hc::FRACTION)?;
    let summary: SimSummary = crate::output::schema::read(dir, "summary.json")?;
    if lo.is_empty() {
        bail!("no finite g > 0 to draw (every sample was 0 or out of range)");
    }
    let exact = if with_exact {
        let e = CsvTable::read(&dir.join("exact_density.csv"))?;
        let b = bins(&e, ex::LOG10_G_LO, ex::LOG10_G_HI, ex::EXACT_FRACTION)?;
        Some((b.lo, b.hi, b.mass))
    } else {
        None
    };
    let config = &summary.config;
    let vanish = config.vanish_below.log10();
    let explode = config.explode_above.log10();
    // The bars span the samples and, where it has visible mass, the exact law.
    let (mut x_lo, mut x_hi) = (
        finite_range(lo.iter().copied()).0,
        finite_range(hi.iter().copied()).1,
    );
    if let Some((el, eh, em)) = &exact {
        let top = em.iter().copied().fold(0.0, f64::max);
        for i in 0..el.len() {
            if em[i] > top * 1e-4 {
                x_lo = x_lo.min(el[i]);
                x_hi = x_hi.max(eh[i]);
            }
        }
    }
    // Bars only where a figure can show them (a bin at ±1e308 is off the chart).
    let (x_lo, x_hi) = view(x_lo, x_hi);
    let bars = 120usize;
    let width = ((x_hi - x_lo) / bars as f64).max(1e-9);
    let mc = regroup(&lo, &hi, &frac, x_lo, width, bars);
    let density: Vec<f64> = mc.iter().map(|f| f / width).collect();
    let exact_density: Option<Vec<f64>> = exact.as_ref().map(|(el, eh, em)| {
        regroup(el, eh, em, x_lo, width, bars)
            .iter()
            .map(|f| f / width)
            .collect()
    });
    let top = density
        .iter()
        .chain(exact_density.iter().flatten())
        .fold(0.0, |m: f64, &v| m.max(v))
        * 1.12;
    let (view_lo, view_hi) = padded(
        x_lo.min(vanish.max(-range::LIMIT)),
        x_hi.max(explode.min(range::LIMIT)),
    );
    let nf = &summary.non_finite;
    let uncounted = nf.zero_g + nf.unbinned_below + nf.unbinned_above + nf.nan;
    let probabilities = &summary.probabilities;
    let what = match (config.source.as_str(), &config.network) {
        ("network", Some(net)) => {
            // Numbers as JSON writes them (σ_w 1.0, not 1).
            format!(
                "{}, random network K = {}, {} of width {}, sigma_w {}, sigma_b {}",
                config.activation_label,
                config.depth,
                net.quantity,
                net.width,
                Value::from(net.sigma_w),
                Value::from(net.sigma_b)
            )
        }
        _ => format!(
            "{}, K = {}, x ~ {}",
            config.activation_label, config.depth, config.dist
        ),
    };
    let bar = colour(0).mix(0.55);
    let mut entries: Entries = vec![(
        if uncounted > 0 {
            format!(
                "Monte Carlo ({} samples; {uncounted} with g = 0 or beyond the histogram not \
                 shown)",
                summary.samples
            )
        } else {
            format!("Monte Carlo ({} samples)", summary.samples)
        },
        Swatch::Band(bar),
    )];
    if exact_density.is_some() {
        entries.push(("exact density".into(), Swatch::Line(BLACK, 2)));
    }
    let thresholds = [
        (vanish, "vanish", colour(1), &probabilities.vanish),
        (explode, "explode", colour(2), &probabilities.explode),
    ];
    for (x, name, c, estimate) in thresholds {
        let sign = if name == "vanish" { "<" } else { ">" };
        entries.push((
            format!("{name}: log10 g {sign} {x}, {}", probability_said(estimate)),
            Swatch::Dashed(c),
        ));
    }
    let svg = super::draw_legended(&entries, |root| {
        let mut chart = super::linear_chart(
            root,
            &format!("log10 g: {what}"),
            (view_lo..view_hi, 0.0..top.max(1e-300)),
            ("log10 g", "density per unit of log10 g"),
            (8, &super::tick),
        )?;
        chart.draw_series(density.iter().enumerate().filter(|(_, d)| **d > 0.0).map(
            |(b, &d)| {
                let x0 = x_lo + b as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, d)], bar.filled())
            },
        ))?;
        if let Some(e) = &exact_density {
            let pts = e
                .iter()
                .enumerate()
                .map(|(b, &d)| (x_lo + (b as f64 + 0.5) * width, d));
            chart.draw_series(LineSeries::new(pts, BLACK.stroke_width(2)))?;
        }
        for (x, _, c, _) in thresholds {
            let style = c.stroke_width(2);
            chart.draw_series(DashedLineSeries::new([(x, 0.0), (x, top)], 6, 4, style))?;
        }
        Ok(())
    })?;
    Ok(Figure {
        name: "histogram".into(),
        title: format!("The distribution of log10 g ({what})"),
        caption: "Bars: the Monte Carlo density of log10 g (the run's histogram, regrouped). \
                  Black line: the exact density of log10 g, where the run computed it \
                  (--method exact: exact_density.csv, every bin, also where no sample fell). \
                  Dashed: the vanish and explode thresholds, with the estimated probabilities."
            .into(),
        svg,
    })
}

/// The masses of fine bins [lo_i, hi_i) spread over `bars` equal bars of `width` from
/// `x_lo`, each in proportion to its overlap with a bar (mass outside the bars goes to the
/// end bars), so that a bar's density does not depend on how the fine bins line up.
fn regroup(lo: &[f64], hi: &[f64], mass: &[f64], x_lo: f64, width: f64, bars: usize) -> Vec<f64> {
    let mut out = vec![0.0; bars];
    let bar = |x: f64| ((x - x_lo) / width).floor().clamp(0.0, (bars - 1) as f64) as usize;
    for i in 0..lo.len() {
        if !mass[i].is_finite() {
            continue;
        }
        let (a, b) = (lo[i], hi[i]);
        let (first, last) = (bar(a), bar(b));
        if b.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) || first == last {
            out[bar((a + b) / 2.0)] += mass[i];
            continue;
        }
        for (k, o) in out.iter_mut().enumerate().take(last + 1).skip(first) {
            let (s, e) = (x_lo + k as f64 * width, x_lo + (k + 1) as f64 * width);
            // The end bars also take what lies beyond them.
            let s = if k == 0 { f64::NEG_INFINITY } else { s };
            let e = if k == bars - 1 { f64::INFINITY } else { e };
            let overlap = (b.min(e) - a.max(s)).max(0.0);
            *o += mass[i] * overlap / (b - a);
        }
    }
    out
}

/// A Monte Carlo probability as a legend says it: `P = 0.9459`, or, when nothing was seen,
/// the one-sided 95 % upper bound (`0 seen: P < 3.0e-6`), since 0 would claim certainty.
fn probability_said(estimate: &crate::output::results::Estimate) -> String {
    match estimate.upper_bound95 {
        Some(bound) if estimate.count == 0 => format!("0 seen: P < {}", caption(bound)),
        _ => format!("P = {}", caption(estimate.p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regrouping_keeps_the_mass_and_its_place() {
        // 100 fine bins of width 0.1 on [0, 10), mass i/4950 in bin i.
        let lo: Vec<f64> = (0..100).map(|i| i as f64 * 0.1).collect();
        let hi: Vec<f64> = lo.iter().map(|x| x + 0.1).collect();
        let mass: Vec<f64> = (0..100).map(|i| i as f64 / 4950.0).collect();
        let bars = regroup(&lo, &hi, &mass, 0.0, 1.0, 10);
        assert!((bars.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Bar k holds fine bins 10k…10k+9: (100k + 45)/4950.
        for (k, b) in bars.iter().enumerate() {
            assert!(
                (b - (100.0 * k as f64 + 45.0) / 4950.0).abs() < 1e-12,
                "bar {k}: {b}"
            );
        }
    }

    #[test]
    fn bins_that_straddle_bars_are_split_by_overlap() {
        // Bins of width 0.4 on [0, 4) with mass 0.1 each, onto bars of width 1: every bar
        // holds 2.5 bins' worth, 0.25, whatever the alignment.
        let lo: Vec<f64> = (0..10).map(|i| i as f64 * 0.4).collect();
        let hi: Vec<f64> = lo.iter().map(|x| x + 0.4).collect();
        let bars = regroup(&lo, &hi, &[0.1; 10], 0.0, 1.0, 4);
        for b in bars {
            assert!((b - 0.25).abs() < 1e-12, "{b}");
        }
    }
}
