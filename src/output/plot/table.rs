//! The figures of a `table`: the probabilities against one parameter, and the heatmap
//! over two.

use std::path::Path;

use plotters::prelude::*;

use super::heatmap_grid::grid_heatmap;
use super::labels::{distinct, legend};
use super::{CsvTable, Figure, colour, decades, finite_range, padded};
use crate::methods::Method;
use crate::output::format::label;
use crate::output::results::columns;

/// P(vanish) and P(explode) of a table against one of its parameters (`x_axis`, such as
/// depth), one colour per value of another (`group_axis`) if given: the 95 %
/// Clopper–Pearson band shaded, and the exact probabilities as dashed lines where the
/// table has them. The probability axis is logarithmic when the values span more than two
/// decades.
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
    let groups = distinct(&group);
    let x_desc = if x_axis == "depth" {
        "depth K".to_string()
    } else {
        x_axis.to_string()
    };
    let mut svg_panels = Vec::new();
    for event in [columns::VANISH, columns::EXPLODE] {
        let p = t.numbers(&columns::p(event))?;
        let lo = t.numbers(&columns::cp_lo(event))?;
        let hi = t.numbers(&columns::cp_hi(event))?;
        let exact = t.numbers(&columns::method(event, Method::Exact)).ok();
        svg_panels.push((event, p, lo, hi, exact));
    }
    let (d_lo, d_hi) = finite_range(xs.iter().copied());
    let svg = super::draw_sized((super::SIZE.0, 760), |root| {
        let panels = root.split_evenly((2, 1));
        for (area, (event, p, lo, hi, exact)) in panels.iter().zip(&svg_panels) {
            let positive = p
                .iter()
                .chain(hi)
                .chain(exact.iter().flatten())
                .copied()
                .filter(|v| *v > 0.0);
            let (min_pos, max_pos) = finite_range(positive);
            let log = max_pos.is_finite() && max_pos / min_pos > 100.0;
            let (y_lo, y_hi) = if log {
                let (l, h) = decades(min_pos, max_pos.max(1.0));
                (l.log10(), h.log10())
            } else {
                (0.0, max_pos.clamp(1e-3, 1.0) * 1.05)
            };
            let y = move |v: f64| {
                if log {
                    if v > 0.0 { v.log10().max(y_lo) } else { y_lo }
                } else {
                    v
                }
            };
            let decades_shown = (y_hi - y_lo).round() as usize + 1;
            let fmt_y = move |v: &f64| {
                if !log {
                    super::tick(v)
                } else if (v - v.round()).abs() < 1e-9 {
                    super::log_tick(&10f64.powf(v.round()))
                } else {
                    String::new()
                }
            };
            let y_desc = format!("P({event}){}", if log { " (log scale)" } else { "" });
            let mut chart = super::linear_chart(
                area,
                &format!("P({event}) against {x_desc}"),
                (padded(d_lo, d_hi).0..padded(d_lo, d_hi).1, y_lo..y_hi),
                (&x_desc, &y_desc),
                (if log { decades_shown.min(13) } else { 10 }, &fmt_y),
            )?;
            let mut exact_labelled = false; // one legend entry for the exact lines
            for (gi, &gv) in groups.iter().enumerate() {
                // The group's cells in order of x (a table may list them in any order).
                let mut rows: Vec<usize> = (0..xs.len())
                    .filter(|&i| group[i].total_cmp(&gv).is_eq() && xs[i].is_finite())
                    .collect();
                rows.sort_by(|&i, &j| xs[i].total_cmp(&xs[j]));
                let c = colour(gi);
                let banded: Vec<usize> = rows
                    .iter()
                    .copied()
                    .filter(|&i| lo[i].is_finite() && hi[i].is_finite())
                    .collect();
                let mut band: Vec<(f64, f64)> = banded.iter().map(|&i| (xs[i], y(hi[i]))).collect();
                band.extend(banded.iter().rev().map(|&i| (xs[i], y(lo[i]))));
                chart.draw_series([Polygon::new(band, c.mix(0.1).filled())])?;
                // Gaps where a value is not a number, and on a log axis where it is 0.
                let gap = |v: f64| !v.is_finite() || (log && v <= 0.0);
                let pieces = |v: &[f64]| -> Vec<Vec<(f64, f64)>> {
                    rows.split(|&i| gap(v[i]))
                        .filter(|piece| !piece.is_empty())
                        .map(|piece| piece.iter().map(|&i| (xs[i], y(v[i]))).collect())
                        .collect()
                };
                chart
                    .draw_series(
                        pieces(p)
                            .into_iter()
                            .map(|pts| PathElement::new(pts, c.stroke_width(2))),
                    )?
                    .label(if group_axis.is_some() {
                        format!("{other} = {}", label(gv))
                    } else {
                        format!("P({event})")
                    })
                    .legend(move |(x, yy)| {
                        PathElement::new([(x, yy), (x + 20, yy)], c.stroke_width(2))
                    });
                chart.draw_series(
                    rows.iter()
                        .filter(|&&i| !gap(p[i]))
                        .map(|&i| Circle::new((xs[i], y(p[i])), 3, c.filled())),
                )?;
                if let Some(e) = exact {
                    let style = c.mix(0.9).stroke_width(1);
                    for piece in pieces(e) {
                        let series =
                            chart.draw_series(DashedLineSeries::new(piece, 5, 4, style))?;
                        if !exact_labelled {
                            exact_labelled = true;
                            series
                                .label("exact (dashed, same colour)")
                                .legend(move |(x, yy)| {
                                    PathElement::new([(x, yy), (x + 20, yy)], style)
                                });
                        }
                    }
                }
            }
            legend(&mut chart)?;
        }
        Ok(())
    })?;
    let has_exact = svg_panels.iter().any(|p| p.4.is_some());
    Ok(Figure {
        name: format!("probability_vs_{x_axis}"),
        title: match group_axis {
            Some(g) => format!("P(vanish) and P(explode) against {x_desc}, per {g}"),
            None => format!("P(vanish) and P(explode) against {x_desc}"),
        },
        caption: format!(
            "Lines and dots: Monte Carlo estimates; shaded: their 95 % Clopper–Pearson \
             intervals{}. A log axis is used where the probabilities span decades; there the \
             line breaks where no event was seen, and the band reaches down to the floor.",
            if has_exact {
                "; dashed, in the same colour: the exact probabilities"
            } else {
                ""
            }
        ),
        svg,
    })
}

/// A heatmap of `value` of a table over two of its parameters (`rows` down, `cols`
/// across), each cell labelled when the grid is small enough to read.
pub fn heatmap(dir: &Path, rows: &str, cols: &str, value: &str) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("table.csv"))?;
    let (r, c, v) = (t.numbers(rows)?, t.numbers(cols)?, t.numbers(value)?);
    let title = format!("{value} over {rows} and {cols}");
    let svg = grid_heatmap(
        &title,
        rows,
        cols,
        value,
        &r,
        &c,
        &v,
        probability_like(value),
    )?;
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
