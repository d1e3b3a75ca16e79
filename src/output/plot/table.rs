//! The figures of a `table`: the probabilities against one parameter, and the heatmap
//! over two.

use std::path::Path;

use plotters::prelude::*;

use super::heatmap_grid::grid_heatmap;
use super::labels::{LEGEND_ROW, Swatch, distinct, down_triangle, legend_rows, legend_strip};
use super::{CsvTable, Figure, colour, decades, finite_range, padded};
use crate::methods::Method;
use crate::output::format::label;
use crate::output::results::columns;

/// P(vanish) and P(explode) of a table against one of its parameters (`x_axis`, such as
/// depth), one colour per value of another (`group_axis`) if given: the 95 %
/// Clopper–Pearson band shaded where events were seen, a triangle at the one-sided 95 %
/// upper bound where none was, and the exact probabilities as dashed lines where the table
/// has them. The probability axis is logarithmic when the values span more than two
/// decades. The legend lies below both panels.
pub fn probability_vs(
    dir: &Path,
    x_axis: &str,
    group_axis: Option<&str>,
) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("table.csv"))?;
    let xs = t.numbers(x_axis)?;
    let group = match group_axis {
        Some(a) => t.numbers(a)?,
        None => vec![f64::NAN; xs.len()],
    };
    let other = group_axis.unwrap_or_default().to_string();
    let mut groups = distinct(&group);
    groups.sort_by(f64::total_cmp); // the legend in numeric order, as table.md
    let x_desc = if x_axis == "depth" {
        "depth K".to_string()
    } else {
        x_axis.to_string()
    };
    let samples = t.numbers("samples").ok();
    let panels = [columns::VANISH, columns::EXPLODE]
        .into_iter()
        .map(|event| Panel::read(&t, event, samples.as_deref()))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let has_exact = panels.iter().any(|p| p.exact.is_some());
    let has_zero = panels.iter().any(|p| p.bound.iter().any(|b| b.is_some()));
    let mut entries: Vec<(String, Swatch)> = groups
        .iter()
        .enumerate()
        .map(|(gi, &gv)| {
            let text = match group_axis {
                Some(_) => format!("{other} = {}", label(gv)),
                None => "Monte Carlo".to_string(),
            };
            (text, Swatch::LineDot(colour(gi)))
        })
        .collect();
    if has_exact {
        entries.push(("exact".into(), Swatch::Dashed(BLACK)));
    }
    entries.push(("95 % CP interval".into(), Swatch::Band(BLACK.mix(0.15))));
    if has_zero {
        entries.push(("0 seen: 95 % upper bound".into(), Swatch::Down(BLACK)));
    }
    let strip = LEGEND_ROW * legend_rows(&entries, super::SIZE.0 as i32) as i32 + 8;
    let panel_height = super::SIZE.1 as i32 - 40;
    let (d_lo, d_hi) = finite_range(xs.iter().copied());
    let x_range = padded(d_lo, d_hi).0..padded(d_lo, d_hi).1;
    let size = (super::SIZE.0, (2 * panel_height + strip) as u32);
    let svg = super::draw_sized(size, |root| {
        let (charts, legend_area) = root.split_vertically(2 * panel_height);
        let areas = charts.split_evenly((2, 1));
        for (area, panel) in areas.iter().zip(&panels) {
            panel.draw(area, x_range.clone(), &x_desc, (&xs, &group, &groups))?;
        }
        legend_strip(&legend_area, &entries)
    })?;
    Ok(Figure {
        name: format!("probability_vs_{x_axis}"),
        title: match group_axis {
            Some(g) => format!("P(vanish) and P(explode) against {x_desc}, per {g}"),
            None => format!("P(vanish) and P(explode) against {x_desc}"),
        },
        caption: format!(
            "Lines and dots: Monte Carlo estimates; shaded: their 95 % Clopper–Pearson \
             intervals{}{}. A log axis is used where the probabilities span decades; there the \
             line breaks where no event was seen.",
            if has_zero {
                "; a triangle: no event seen, the probability lies below its one-sided 95 % \
                 upper bound 1 − 0.05^(1/N)"
            } else {
                ""
            },
            if has_exact {
                "; dashed, in the same colour: the exact probabilities"
            } else {
                ""
            }
        ),
        svg,
    })
}

/// One event's columns of a table: the estimates, their interval, the one-sided bound of
/// the cells where no event was seen, and the exact probabilities if computed.
struct Panel {
    event: &'static str,
    p: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// The one-sided 95 % upper bound of a cell with no event (1 − 0.05^(1/N); the upper
    /// end of the interval when the table has no `samples`).
    bound: Vec<Option<f64>>,
    exact: Option<Vec<f64>>,
}

impl Panel {
    fn read(t: &CsvTable, event: &'static str, samples: Option<&[f64]>) -> anyhow::Result<Self> {
        let p = t.numbers(&columns::p(event))?;
        let hi = t.numbers(&columns::cp_hi(event))?;
        let bound = (0..p.len())
            .map(|i| {
                (p[i] == 0.0).then(|| match samples.map(|n| n[i]) {
                    Some(n) if n >= 1.0 => -(0.05f64.ln() / n).exp_m1(),
                    _ => hi[i],
                })
            })
            .collect();
        Ok(Panel {
            event,
            lo: t.numbers(&columns::cp_lo(event))?,
            exact: t.numbers(&columns::method(event, Method::Exact)).ok(),
            p,
            hi,
            bound,
        })
    }

    /// The panel's y axis: (log?, lowest, highest), in log10 units when log.
    fn y_axis(&self) -> (bool, f64, f64) {
        let positive = self
            .p
            .iter()
            .chain(&self.hi)
            .chain(self.exact.iter().flatten())
            .copied()
            .filter(|v| *v > 0.0);
        let (min_pos, max_pos) = finite_range(positive);
        let log = max_pos.is_finite() && max_pos / min_pos > 100.0;
        if log {
            let (l, h) = decades(min_pos, max_pos.max(1.0));
            (true, l.log10(), h.log10())
        } else {
            (false, 0.0, max_pos.clamp(1e-3, 1.0) * 1.05)
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        x_range: std::ops::Range<f64>,
        x_desc: &str,
        (xs, group, groups): (&[f64], &[f64], &[f64]),
    ) -> super::DrawResult
    where
        DB::ErrorType: 'static,
    {
        let event = self.event;
        let (log, y_lo, y_hi) = self.y_axis();
        let y = move |v: f64| {
            if log {
                if v > 0.0 { v.log10().max(y_lo) } else { y_lo }
            } else {
                v
            }
        };
        // Whole decades only, at most 7 of them labelled (plotters spaces them evenly).
        let decades_shown = (y_hi - y_lo).round() as usize;
        let fmt_y = move |v: &f64| {
            if !log {
                super::tick(v)
            } else if (v - v.round()).abs() < 1e-9 {
                super::log_tick(&10f64.powf(v.round()))
            } else {
                String::new()
            }
        };
        let y_labels = if log { decades_shown.min(6) + 1 } else { 6 };
        let title = format!(
            "P({event}) against {x_desc}{}",
            if log { " (log scale)" } else { "" }
        );
        let mut chart = super::linear_chart(
            area,
            &title,
            (x_range, y_lo..y_hi),
            (x_desc, &format!("P({event})")),
            (y_labels, &fmt_y),
        )?;
        let dodge = |gi: usize| (gi as i32 * 2 - groups.len() as i32 + 1) * 2;
        for (gi, &gv) in groups.iter().enumerate() {
            // The group's cells in order of x (a table may list them in any order).
            let mut rows: Vec<usize> = (0..xs.len())
                .filter(|&i| group[i].total_cmp(&gv).is_eq() && xs[i].is_finite())
                .collect();
            rows.sort_by(|&i, &j| xs[i].total_cmp(&xs[j]));
            let c = colour(gi);
            // Two-sided bands only where an event was seen, each run of such cells its own.
            let seen = |i: usize| {
                self.bound[i].is_none() && self.lo[i].is_finite() && self.hi[i].is_finite()
            };
            for run in rows.split(|&i| !seen(i)).filter(|r| !r.is_empty()) {
                let mut band: Vec<(f64, f64)> =
                    run.iter().map(|&i| (xs[i], y(self.hi[i]))).collect();
                band.extend(run.iter().rev().map(|&i| (xs[i], y(self.lo[i]))));
                chart.draw_series([Polygon::new(band, c.mix(0.15).filled())])?;
            }
            // Gaps where a value is not a number, and on a log axis where it is 0.
            let gap = |v: f64| !v.is_finite() || (log && v <= 0.0);
            let pieces = |v: &[f64]| -> Vec<Vec<(f64, f64)>> {
                rows.split(|&i| gap(v[i]))
                    .filter(|piece| !piece.is_empty())
                    .map(|piece| piece.iter().map(|&i| (xs[i], y(v[i]))).collect())
                    .collect()
            };
            chart.draw_series(
                pieces(&self.p)
                    .into_iter()
                    .map(|pts| PathElement::new(pts, c.stroke_width(2))),
            )?;
            chart.draw_series(
                rows.iter()
                    .filter(|&&i| !gap(self.p[i]))
                    .map(|&i| Circle::new((xs[i], y(self.p[i])), 3, c.filled())),
            )?;
            chart.draw_series(
                rows.iter()
                    .filter_map(|&i| self.bound[i].map(|b| (i, b)))
                    .map(|(i, b)| {
                        EmptyElement::at((xs[i], y(b)))
                            + Polygon::new(down_triangle((dodge(gi), 0)), c.filled())
                    }),
            )?;
            if let Some(e) = &self.exact {
                let style = c.mix(0.9).stroke_width(2);
                for piece in pieces(e) {
                    chart.draw_series(DashedLineSeries::new(piece, 6, 4, style))?;
                }
            }
        }
        Ok(())
    }
}

/// A heatmap of `value` of a table over two of its parameters (`rows` down, `cols`
/// across), each cell labelled when the grid is small enough to read.
pub fn heatmap(dir: &Path, rows: &str, cols: &str, value: &str) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("table.csv"))?;
    let (r, c, v) = (t.numbers(rows)?, t.numbers(cols)?, t.numbers(value)?);
    let title = format!("{value} over {rows} and {cols}");
    let svg = grid_heatmap(&title, rows, cols, &r, &c, &v, probability_like(value))?;
    Ok(Figure {
        name: format!("heatmap_{value}"),
        title,
        caption: format!(
            "Each square is one cell of the table, coloured by {value} (scale on the right; \
             grey: not a number)."
        ),
        svg,
    })
}

/// Whether a column holds probabilities (a fixed 0…1 colour scale).
pub(crate) fn probability_like(name: &str) -> bool {
    name.starts_with("p_") || name.starts_with("fraction")
}
