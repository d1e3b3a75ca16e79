//! The figure of `meanfield`: the phase diagram of χ1 over (σ_w, σ_b) with the critical
//! line.

use std::path::Path;

use anyhow::bail;
use plotters::prelude::*;

use super::input::{PhasePoints, critical_table, phase_table};
use super::labels::{LEGEND_ROW, Swatch, distinct, legend_rows, legend_strip};
use super::range::{Clamped, view};
use super::{CsvTable, FONT, Figure, TEXT, TITLE, colour, draw, finite_range, padded};
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
    // The colour scale's ends: the lowest and highest log10 χ1, at most 3 decades away.
    let (lo, hi) = finite_range(log_chi.iter().copied());
    let (lo, hi) = (lo.clamp(-3.0, 0.0), hi.clamp(0.0, 3.0));
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
            chart.draw_series(LineSeries::new(pts.clone(), colour(0).stroke_width(2)))?;
            // Markers too: a grid of one point has no line to draw.
            chart.draw_series(
                pts.into_iter()
                    .map(|p| Circle::new(p, 4, colour(0).filled())),
            )?;
            chart.draw_series(DashedLineSeries::new(
                [(we[0], 0.0), (we[we.len() - 1], 0.0)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?;
            return Ok(());
        }
        let entries = [
            (
                "ordered: χ1 < 1".to_string(),
                Swatch::Band(diverging(-0.7).to_rgba()),
            ),
            (
                "chaotic: χ1 > 1".to_string(),
                Swatch::Band(diverging(0.7).to_rgba()),
            ),
            ("critical line χ1 = 1".to_string(), Swatch::Line(BLACK, 3)),
        ];
        let strip = LEGEND_ROW * legend_rows(&entries, super::SIZE.0 as i32) as i32 + 6;
        let (top, legend_area) = root.split_vertically(super::SIZE.1 as i32 - strip);
        let (main, bar) = top.split_horizontally(super::SIZE.0 - 118);
        let mut chart = ChartBuilder::on(&main)
            .caption(format!("Mean-field phase diagram: {act}"), (FONT, TITLE))
            .margin(10)
            .x_label_area_size(50)
            .y_label_area_size(76)
            .build_cartesian_2d(Clamped::new(x.0, x.1), Clamped::new(y.0, y.1))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&super::tick)
            .y_label_formatter(&super::tick)
            .x_desc("σ_w")
            .y_desc("σ_b")
            .label_style((FONT, TEXT))
            .axis_desc_style((FONT, TEXT))
            .draw()?;
        let scale = Scale::new(lo, hi);
        let rects = merged_cells(&ws, &bs, &sw, &sb, &log_chi, &scale);
        chart.draw_series(rects.into_iter().map(|(wi, wj, bi, fill)| {
            Rectangle::new([(we[wi], be[bi]), (we[wj + 1], be[bi + 1])], fill.filled())
        }))?;
        if let Some(c) = &critical {
            chart.draw_series(LineSeries::new(
                critical_path(c, (we[0], we[we.len() - 1])),
                BLACK.stroke_width(3),
            ))?;
        }
        colour_bar(&bar, &scale)?;
        legend_strip(&legend_area, &entries)?;
        Ok(())
    })
    .map(super::crisp_cells)?;
    Ok(Figure {
        name: "phase_diagram".into(),
        title: format!("Mean-field phase diagram ({act})"),
        caption: "Colour: log10 χ1, the mean-field gain per layer of ‖J·u‖², white at χ1 = 1 \
                  and each side shaded up to its own extreme (the bar gives the values). Blue \
                  (χ1 < 1): ordered, gradients vanish exponentially with depth; red (χ1 > 1): \
                  chaotic, they explode. Black: the critical σ_w, found by root-finding \
                  χ1 = 1 at each σ_b of the grid."
            .into(),
        svg,
    })
}

/// The points of the critical line inside the plotted σ_w (`w_range`), by σ_b: one per
/// row of critical.csv, each found by root-finding χ1 = 1 at its σ_b (never read off the
/// grid's cells), so a fine σ_b grid draws a smooth line.
fn critical_path(critical: &[(f64, f64)], (w_lo, w_hi): (f64, f64)) -> Vec<(f64, f64)> {
    let mut line: Vec<(f64, f64)> = critical
        .iter()
        .copied()
        .filter(|(w, b)| w.is_finite() && b.is_finite() && *w >= w_lo && *w <= w_hi)
        .collect();
    line.sort_by(|a, b| a.1.total_cmp(&b.1));
    line
}

/// The colour scale of log10 χ1: white at 0 (χ1 = 1), each side stretched to its own
/// extreme (`lo` < 0 < `hi`), so the ordered and the chaotic side both use their whole
/// range of colour; the colour bar shows the values.
struct Scale {
    lo: f64,
    hi: f64,
}

impl Scale {
    /// The scale from the lowest to the highest log10 χ1 shown (0 always inside).
    fn new(lo: f64, hi: f64) -> Self {
        Scale {
            lo: lo.min(-0.05),
            hi: hi.max(0.05),
        }
    }

    /// −1…1 for a value, 0 at χ1 = 1.
    fn position(&self, v: f64) -> f64 {
        if v < 0.0 { -(v / self.lo) } else { v / self.hi }
    }

    /// The colour of a value, in one of [`LEVELS`] steps per side (so equal neighbours
    /// merge into one rectangle).
    fn colour(&self, v: f64) -> RGBColor {
        if !v.is_finite() {
            return RGBColor(200, 200, 200);
        }
        let t = self.position(v).clamp(-1.0, 1.0);
        diverging((t * LEVELS).round() / LEVELS)
    }
}

/// The steps of the colour scale on each side of χ1 = 1.
const LEVELS: f64 = 40.0;

/// The grid's cells as rectangles (first σ_w index, last σ_w index, σ_b index, colour):
/// cells side by side along σ_w with the same colour merged, so a fine grid stays a small
/// file.
fn merged_cells(
    ws: &[f64],
    bs: &[f64],
    sw: &[f64],
    sb: &[f64],
    log_chi: &[f64],
    scale: &Scale,
) -> Vec<(usize, usize, usize, RGBColor)> {
    let mut grid: Vec<Option<RGBColor>> = vec![None; ws.len() * bs.len()];
    for i in 0..sw.len() {
        if let (Ok(wi), Ok(bi)) = (
            ws.binary_search_by(|x| x.total_cmp(&sw[i])),
            bs.binary_search_by(|x| x.total_cmp(&sb[i])),
        ) {
            grid[bi * ws.len() + wi] = Some(scale.colour(log_chi[i]));
        }
    }
    let mut rects = Vec::new();
    for bi in 0..bs.len() {
        let row = &grid[bi * ws.len()..(bi + 1) * ws.len()];
        let mut wi = 0;
        while wi < row.len() {
            let mut wj = wi;
            while wj + 1 < row.len() && row[wj + 1] == row[wi] {
                wj += 1;
            }
            if let Some(c) = row[wi] {
                rects.push((wi, wj, bi, c));
            }
            wi = wj + 1;
        }
    }
    rects
}

/// The colour bar of the scale: log10 χ1 from its lowest to its highest value, 0 marked.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    scale: &Scale,
) -> super::DrawResult
where
    DB::ErrorType: 'static,
{
    let mut bar = ChartBuilder::on(area)
        .margin_top(44)
        .margin_bottom(56)
        .margin_right(10)
        .y_label_area_size(62)
        .caption("log10 χ1", (FONT, TEXT))
        .build_cartesian_2d(0.0..1.0, scale.lo..scale.hi)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(7)
        .y_label_formatter(&super::tick)
        .label_style((FONT, TEXT))
        .draw()?;
    let steps = 120;
    bar.draw_series((0..steps).map(|i| {
        let at = |k: usize| scale.lo + (scale.hi - scale.lo) * k as f64 / steps as f64;
        let (a, b) = (at(i), at(i + 1));
        Rectangle::new([(0.0, a), (1.0, b)], scale.colour((a + b) / 2.0).filled())
    }))?;
    bar.draw_series([PathElement::new(
        [(0.0, 0.0), (1.0, 0.0)],
        BLACK.stroke_width(2),
    )])?;
    Ok(())
}

/// A diverging scale (ColorBrewer RdBu): dark blue (−1) through white (0) to dark red (+1).
fn diverging(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 11] = [
        (5, 48, 97),
        (33, 102, 172),
        (67, 147, 195),
        (146, 197, 222),
        (209, 229, 240),
        (247, 247, 247),
        (253, 219, 199),
        (244, 165, 130),
        (214, 96, 77),
        (178, 24, 43),
        (103, 0, 31),
    ];
    let s = (t.clamp(-1.0, 1.0) + 1.0) * 5.0;
    let k = (s.floor() as usize).min(9);
    let f = s - k as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_white_at_chi1_one_and_full_at_each_extreme() {
        let scale = Scale::new(-0.9, 0.3);
        assert_eq!(scale.colour(0.0), RGBColor(247, 247, 247));
        // Each side reaches its darkest colour at its own extreme (the scale is not
        // washed out on the shorter side), and beyond it stays there.
        assert_eq!(scale.colour(-0.9), RGBColor(5, 48, 97));
        assert_eq!(scale.colour(0.3), RGBColor(103, 0, 31));
        assert_eq!(scale.colour(2.0), RGBColor(103, 0, 31));
    }

    #[test]
    fn cells_of_one_colour_side_by_side_become_one_rectangle() {
        let (ws, bs) = ([1.0, 2.0, 3.0], [0.0, 1.0]);
        let sw = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
        let sb = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let chi = [0.0, 0.0, 0.3, -0.9, 0.0, 0.0];
        let rects = merged_cells(&ws, &bs, &sw, &sb, &chi, &Scale::new(-0.9, 0.3));
        let spans: Vec<(usize, usize, usize)> = rects.iter().map(|r| (r.0, r.1, r.2)).collect();
        assert_eq!(spans, [(0, 1, 0), (2, 2, 0), (0, 0, 1), (1, 2, 1)]);
    }
}
