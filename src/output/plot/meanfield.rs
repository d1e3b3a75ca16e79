//! The figure of `meanfield`: the phase diagram of χ1 over (σ_w, σ_b) with the critical
//! line.

use std::path::Path;

use anyhow::bail;
use plotters::prelude::*;

use super::input::{PhasePoints, critical_table, phase_table};
use super::labels::{distinct, legend};
use super::range::{Clamped, view};
use super::{CsvTable, FONT, Figure, colour, draw, finite_range, padded};
use crate::output::format::label;

/// The mean-field phase diagram of a `meanfield` grid: log χ1 over (σ_w, σ_b) — blue
/// where gradients vanish with depth (ordered), red where they explode (chaotic) — with
/// the critical line χ1 = 1 from critical.csv. A grid with one σ_b shows χ1 against σ_w.
pub fn phase_diagram(dir: &Path, with_critical: bool) -> anyhow::Result<Figure> {
    let PhasePoints {
        activation: act,
        sigma_w: sw,
        sigma_b: sb,
        chi1: chi,
    } = phase_table(&CsvTable::read(&dir.join("phase.csv"))?)?;
    if sw.is_empty() {
        bail!("phase.csv holds no points");
    }
    let critical = if with_critical {
        Some(critical_table(&CsvTable::read(&dir.join("critical.csv"))?)?)
    } else {
        None
    };
    let mut ws = distinct(&sw);
    let mut bs = distinct(&sb);
    ws.sort_by(f64::total_cmp);
    bs.sort_by(f64::total_cmp);
    let edges = |v: &[f64]| -> Vec<f64> {
        if v.len() == 1 {
            return vec![v[0] - 0.5, v[0] + 0.5];
        }
        let mut e = vec![v[0] - (v[1] - v[0]) / 2.0];
        e.extend(v.windows(2).map(|w| (w[0] + w[1]) / 2.0));
        e.push(v[v.len() - 1] + (v[v.len() - 1] - v[v.len() - 2]) / 2.0);
        e
    };
    let (we, be) = (edges(&ws), edges(&bs));
    let log_chi: Vec<f64> = chi.iter().map(|c| c.log10()).collect();
    let reach = finite_range(log_chi.iter().map(|v| v.abs()))
        .1
        .clamp(0.1, 3.0);
    // The axes a figure can show, whatever the σ (a σ_w of 1e308 is off the chart).
    let (x, y) = (view(we[0], we[we.len() - 1]), view(be[0], be[be.len() - 1]));
    let svg = draw(|root| {
        if bs.len() == 1 {
            let (lo, hi) = finite_range(log_chi.iter().copied());
            let (lo, hi) = padded(lo.min(0.0), hi.max(0.0));
            let mut chart = super::linear_chart(
                root,
                &format!("χ1 against σ_w: {act}, σ_b = {}", label(bs[0])),
                (x.0..x.1, lo..hi),
                ("σ_w", "log10 χ1"),
                (10, &super::tick),
            )?;
            let mut pts: Vec<(f64, f64)> =
                sw.iter().copied().zip(log_chi.iter().copied()).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart.draw_series(LineSeries::new(pts, colour(0).stroke_width(2)))?;
            chart.draw_series(DashedLineSeries::new(
                [(we[0], 0.0), (we[we.len() - 1], 0.0)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?;
            return Ok(());
        }
        let (main, bar) = root.split_horizontally(super::SIZE.0 - 96);
        let mut chart = ChartBuilder::on(&main)
            .caption(format!("Mean-field phase diagram: {act}"), (FONT, 19))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(Clamped::new(x.0, x.1), Clamped::new(y.0, y.1))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("σ_w")
            .y_desc("σ_b")
            .label_style((FONT, 15))
            .draw()?;
        for i in 0..sw.len() {
            let (Ok(wi), Ok(bi)) = (
                ws.binary_search_by(|x| x.total_cmp(&sw[i])),
                bs.binary_search_by(|x| x.total_cmp(&sb[i])),
            ) else {
                continue; // not reached: ws and bs hold every σ
            };
            let fill = if log_chi[i].is_finite() {
                diverging(log_chi[i] / reach)
            } else {
                RGBColor(200, 200, 200)
            };
            chart.draw_series([Rectangle::new(
                [(we[wi], be[bi]), (we[wi + 1], be[bi + 1])],
                fill.filled(),
            )])?;
        }
        if let Some(c) = &critical {
            // Sorted by σ_b, and only where it lies inside the plotted σ_w.
            let mut line: Vec<(f64, f64)> = c
                .iter()
                .copied()
                .filter(|(w, _)| *w >= we[0] && *w <= we[we.len() - 1])
                .collect();
            line.sort_by(|a, b| a.1.total_cmp(&b.1));
            chart
                .draw_series(LineSeries::new(line, BLACK.stroke_width(3)))?
                .label("critical line χ1 = 1")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(3)));
            legend(&mut chart)?;
        }
        let mut bar_chart = ChartBuilder::on(&bar)
            .margin_top(48)
            .margin_bottom(56)
            .margin_right(8)
            .y_label_area_size(52)
            .caption("log10 χ1", (FONT, 12))
            .build_cartesian_2d(0.0..1.0, -reach..reach)?;
        bar_chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(7)
            .y_label_formatter(&super::tick)
            .label_style((FONT, 12))
            .draw()?;
        bar_chart.draw_series((0..100).map(|i| {
            let a = -reach + 2.0 * reach * i as f64 / 100.0;
            let b = -reach + 2.0 * reach * (i + 1) as f64 / 100.0;
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                diverging((a + b) / 2.0 / reach).filled(),
            )
        }))?;
        Ok(())
    })?;
    Ok(Figure {
        name: "phase_diagram".into(),
        title: format!("Mean-field phase diagram ({act})"),
        caption: "Colour: log10 χ1, the mean-field gain per layer of ‖J·u‖². Blue (χ1 < 1): \
                  ordered, gradients vanish exponentially with depth; red (χ1 > 1): chaotic, \
                  they explode. Black: the critical σ_w for each σ_b."
            .into(),
        svg,
    })
}

/// Blue (−1) through white (0) to red (+1).
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let mix = |a: u8, b: u8, s: f64| (a as f64 + (b as f64 - a as f64) * s).round() as u8;
    let (end, s) = if t < 0.0 {
        ((33, 102, 172), -t)
    } else {
        ((178, 24, 43), t)
    };
    RGBColor(mix(247, end.0, s), mix(247, end.1, s), mix(247, end.2, s))
}
