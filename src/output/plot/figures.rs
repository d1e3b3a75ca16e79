//! The figures of the theory, `sim`, `table` and `meanfield`.

use std::path::Path;

use anyhow::{Context, bail};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;

use super::{CsvTable, DrawResult, FONT, Figure, colour, decades, draw, finite_range, padded};
use crate::output::format::label;
use crate::theory::iid::{
    explode_threshold, vanish_threshold, widest_explode_threshold,
    widest_vanish_threshold as widest_vanish,
};

/// The seed's threshold figure: t1(n) and −t1(n) (beyond them f' < 1/(a·n)) and ±e(n)
/// (inside them f' > 1) for a·tanh(n·x), n from `n_lo` to `n_hi`, the widest t1 and e
/// marked.
pub fn thresholds(a: f64, n_lo: f64, n_hi: f64) -> anyhow::Result<Figure> {
    if !(a > 0.0 && n_lo > 0.0 && n_hi > n_lo && n_hi.is_finite()) {
        bail!("thresholds: need 0 < n_lo < n_hi and a > 0");
    }
    let points = 400;
    let ns: Vec<f64> = (0..=points)
        .map(|i| n_lo + (n_hi - n_lo) * i as f64 / points as f64)
        .collect();
    let t1: Vec<(f64, f64)> = ns.iter().map(|&n| (n, vanish_threshold(a, n))).collect();
    let e: Vec<(f64, f64)> = ns.iter().map(|&n| (n, explode_threshold(a, n))).collect();
    let (vn, vt) = widest_vanish(a);
    let (en, et) = widest_explode_threshold(a);
    let top = t1.iter().chain(&e).map(|p| p.1).fold(0.0, f64::max).max(vt) * 1.15;
    let svg = draw(|root| {
        let mut chart = super::linear_chart(
            root,
            &format!("Thresholds of f(x) = {}tanh(n·x)", amplitude(a)),
            (n_lo..n_hi, -top..top),
            ("slope n", "pre-activation x"),
            (10, &super::tick),
        )?;
        let line = |i: usize| colour(i).stroke_width(2);
        chart
            .draw_series(LineSeries::new(t1.iter().copied(), line(0)))?
            .label("t1(n): beyond ±t1, f'(x) < 1/(a·n)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line(0)));
        chart.draw_series(LineSeries::new(t1.iter().map(|&(n, t)| (n, -t)), line(0)))?;
        chart
            .draw_series(LineSeries::new(e.iter().copied(), line(1)))?
            .label("e(n): inside ±e, f'(x) > 1")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line(1)));
        chart.draw_series(LineSeries::new(e.iter().map(|&(n, t)| (n, -t)), line(1)))?;
        for (i, (n, t, name)) in [(vn, vt, "t1"), (en, et, "e")].into_iter().enumerate() {
            if n >= n_lo && n <= n_hi {
                chart.draw_series([
                    Circle::new((n, t), 5, colour(i).filled()),
                    Circle::new((n, -t), 5, colour(i).filled()),
                ])?;
                chart.draw_series([Text::new(
                    format!("widest {name} = {t:.4} at n = {n:.4}"),
                    (n, t + top * 0.06),
                    (FONT, 15).into_font().color(&colour(i)),
                )])?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .label_font((FONT, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    })?;
    Ok(Figure {
        name: "thresholds".into(),
        title: "The seed's thresholds against n".into(),
        caption: format!(
            "Beyond ±t1(n) one factor f'(x) < 1/(a·n) cancels a maximal one; inside ±e(n) \
             f'(x) > 1. The dots mark the widest t1 = {vt:.4} (n = {vn:.4}) and the widest \
             e = {et:.4} (n = {en:.4}); at n = 2, t1 = {:.4} and e = {:.4}.",
            vanish_threshold(a, 2.0),
            explode_threshold(a, 2.0)
        ),
        svg,
    })
}

fn amplitude(a: f64) -> String {
    if a == 1.0 {
        String::new()
    } else {
        format!("{a}·")
    }
}

/// Draws the legend of every labelled series in the upper right.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Reads a JSON file of an output folder.
fn json(dir: &Path, name: &str) -> anyhow::Result<Value> {
    let path = dir.join(name);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
}

/// The histogram of log10 g of a `sim` run (histogram.csv, regrouped into 120 bars), the
/// exact density over it when the run computed it (exact_density.csv, `--method exact`),
/// and the vanish and explode thresholds.
pub fn histogram(dir: &Path) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("histogram.csv"))?;
    let summary = json(dir, "summary.json")?;
    let (lo, hi, frac) = (
        t.numbers("log10_g_lo")?,
        t.numbers("log10_g_hi")?,
        t.numbers("fraction")?,
    );
    if lo.is_empty() {
        bail!("no finite g > 0 to draw (every sample was 0 or out of range)");
    }
    let exact = match CsvTable::read(&dir.join("exact_density.csv")) {
        Ok(e) => Some((
            e.numbers("log10_g_lo")?,
            e.numbers("log10_g_hi")?,
            e.numbers("exact_fraction")?,
        )),
        Err(_) => None,
    };
    let config = &summary["config"];
    let vanish = config["vanish_below"].as_f64().unwrap_or(1e-6).log10();
    let explode = config["explode_above"].as_f64().unwrap_or(1e6).log10();
    // The bars span the samples and, where it has visible mass, the exact law.
    let (mut x_lo, mut x_hi) = (lo[0], hi[hi.len() - 1]);
    if let Some((el, eh, em)) = &exact {
        let top = em.iter().copied().fold(0.0, f64::max);
        for i in 0..el.len() {
            if em[i] > top * 1e-4 {
                x_lo = x_lo.min(el[i]);
                x_hi = x_hi.max(eh[i]);
            }
        }
    }
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
    let (view_lo, view_hi) = padded(x_lo.min(vanish), x_hi.max(explode));
    let uncounted = ["zero_g", "unbinned_below", "unbinned_above", "nan"]
        .iter()
        .map(|k| summary["non_finite"][k].as_u64().unwrap_or(0))
        .sum::<u64>();
    let p = |k: &str| {
        summary["probabilities"][k]["p"]
            .as_f64()
            .unwrap_or(f64::NAN)
    };
    let what = match config["source"].as_str() {
        Some("network") => {
            let net = &config["network"];
            format!(
                "{}, random network K = {}, {} of {}",
                config["activation_label"].as_str().unwrap_or("f"),
                config["depth"],
                net["quantity"].as_str().unwrap_or("gain"),
                ["width", "sigma_w", "sigma_b"]
                    .iter()
                    .map(|k| format!("{k} {}", net[*k]))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        _ => format!(
            "{}, K = {}, x ~ {}",
            config["activation_label"].as_str().unwrap_or("f"),
            config["depth"],
            config["dist"].as_str().unwrap_or("?")
        ),
    };
    let svg =
        draw(|root| {
            let mut chart = super::linear_chart(
                root,
                &format!("log10 g: {what}"),
                (view_lo..view_hi, 0.0..top.max(1e-300)),
                ("log10 g", "density per unit of log10 g"),
                (10, &super::tick),
            )?;
            let bar = colour(0).mix(0.55).filled();
            chart
                .draw_series(density.iter().enumerate().filter(|(_, d)| **d > 0.0).map(
                    |(b, &d)| {
                        let x0 = x_lo + b as f64 * width;
                        Rectangle::new([(x0, 0.0), (x0 + width, d)], bar)
                    },
                ))?
                .label(if uncounted > 0 {
                    format!(
                        "Monte Carlo ({} samples; {uncounted} with g = 0 or beyond the histogram \
                     not shown)",
                        summary["samples"]
                    )
                } else {
                    format!("Monte Carlo ({} samples)", summary["samples"])
                })
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], bar));
            if let Some(e) = &exact_density {
                let pts = e
                    .iter()
                    .enumerate()
                    .map(|(b, &d)| (x_lo + (b as f64 + 0.5) * width, d));
                let style = BLACK.stroke_width(2);
                chart
                    .draw_series(LineSeries::new(pts, style))?
                    .label("exact density")
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
            }
            for (x, name, c, prob) in [
                (vanish, "vanish", colour(1), p("vanish")),
                (explode, "explode", colour(2), p("explode")),
            ] {
                let style = c.stroke_width(2);
                chart
                    .draw_series(DashedLineSeries::new([(x, 0.0), (x, top)], 6, 4, style))?
                    .label(format!(
                        "{name}: log10 g {} {x}, P = {}",
                        if name == "vanish" { "<" } else { ">" },
                        short(prob)
                    ))
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
            }
            legend(&mut chart)
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

/// A probability to 4 significant digits.
pub(crate) fn short(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p == 0.0 || (1e-3..1e4).contains(&p.abs()) {
        format!("{}", (p * 1e4).round() / 1e4)
    } else {
        format!("{p:.3e}")
    }
}

/// The distinct values of a column, in order of first appearance.
fn distinct(values: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for &v in values {
        if !out.iter().any(|&x| x.total_cmp(&v).is_eq()) {
            out.push(v);
        }
    }
    out
}

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
    for event in ["vanish", "explode"] {
        let p = t.numbers(&format!("p_{event}"))?;
        let lo = t.numbers(&format!("p_{event}_cp_lo"))?;
        let hi = t.numbers(&format!("p_{event}_cp_hi"))?;
        let exact = t.numbers(&format!("p_{event}_exact")).ok();
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

/// A heatmap over the distinct values of `r` (down, first at the bottom) and `c`
/// (across), coloured by `v` (0…1 for probabilities, else its range), with a colour bar.
#[allow(clippy::too_many_arguments)]
pub(crate) fn grid_heatmap(
    title: &str,
    rows: &str,
    cols: &str,
    value: &str,
    r: &[f64],
    c: &[f64],
    v: &[f64],
    unit_scale: bool,
) -> anyhow::Result<String> {
    let mut rv = distinct(r);
    let mut cv = distinct(c);
    rv.sort_by(f64::total_cmp);
    cv.sort_by(f64::total_cmp);
    let (v_lo, v_hi) = if unit_scale {
        (0.0, 1.0)
    } else {
        let (l, h) = finite_range(v.iter().copied());
        if h > l { (l, h) } else { padded(l, h) }
    };
    let (nr, nc) = (rv.len(), cv.len());
    if nr < 2 || nc < 2 {
        bail!("a heatmap needs two values or more along each axis");
    }
    let mut cells = vec![f64::NAN; nr * nc];
    for i in 0..v.len() {
        let ri = rv
            .iter()
            .position(|x| x.total_cmp(&r[i]).is_eq())
            .expect("a row");
        let ci = cv
            .iter()
            .position(|x| x.total_cmp(&c[i]).is_eq())
            .expect("a column");
        cells[ri * nc + ci] = v[i];
    }
    let labelled = nr <= 14 && nc <= 12;
    draw(|root| {
        let (main, bar) = root.split_horizontally(super::SIZE.0 - 96);
        let mut chart = ChartBuilder::on(&main)
            .caption(title, (FONT, 19))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d((0..nc - 1).into_segmented(), (0..nr - 1).into_segmented())?;
        let col_label = |s: &SegmentValue<usize>| match s {
            SegmentValue::CenterOf(i) if *i < nc => label(cv[*i]),
            _ => String::new(),
        };
        let row_label = |s: &SegmentValue<usize>| match s {
            SegmentValue::CenterOf(i) if *i < nr => label(rv[*i]),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(cols)
            .y_desc(rows)
            .x_labels(nc.min(16))
            .y_labels(nr.min(16))
            .x_label_formatter(&col_label)
            .y_label_formatter(&row_label)
            .label_style((FONT, 15))
            .draw()?;
        for ri in 0..nr {
            for ci in 0..nc {
                let x = cells[ri * nc + ci];
                let fill = if x.is_finite() {
                    scale_colour((x - v_lo) / (v_hi - v_lo))
                } else {
                    RGBColor(200, 200, 200)
                };
                let corner = |a: usize, b: usize| (SegmentValue::Exact(a), SegmentValue::Exact(b));
                chart.draw_series([Rectangle::new(
                    [corner(ci, ri), corner(ci + 1, ri + 1)],
                    fill.filled(),
                )])?;
                if labelled {
                    let ink = if (x - v_lo) / (v_hi - v_lo) > 0.6 {
                        BLACK
                    } else {
                        WHITE
                    };
                    chart.draw_series([Text::new(
                        short(x),
                        (SegmentValue::CenterOf(ci), SegmentValue::CenterOf(ri)),
                        (FONT, 12)
                            .into_font()
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )])?;
                }
            }
        }
        colour_bar(&bar, value, v_lo, v_hi)
    })
}

/// Viridis, from 0 (dark blue) to 1 (yellow); values outside are clamped.
pub(crate) fn scale_colour(t: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    ViridisRGB.get_color(t.clamp(0.0, 1.0))
}

/// A vertical colour bar from `lo` to `hi`.
pub(crate) fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    name: &str,
    lo: f64,
    hi: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin_top(48)
        .margin_bottom(56)
        .margin_right(8)
        .y_label_area_size(52)
        .caption(name, (FONT, 12))
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .label_style((FONT, 12))
        .draw()?;
    let steps = 100;
    chart.draw_series((0..steps).map(|i| {
        let a = lo + (hi - lo) * i as f64 / steps as f64;
        let b = lo + (hi - lo) * (i + 1) as f64 / steps as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            scale_colour((i as f64 + 0.5) / steps as f64).filled(),
        )
    }))?;
    Ok(())
}

/// The mean-field phase diagram of a `meanfield` grid: log χ1 over (σ_w, σ_b) — blue
/// where gradients vanish with depth (ordered), red where they explode (chaotic) — with
/// the critical line χ1 = 1 from critical.csv. A grid with one σ_b shows χ1 against σ_w.
pub fn phase_diagram(dir: &Path) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("phase.csv"))?;
    let (sw, sb, chi) = (
        t.numbers("sigma_w")?,
        t.numbers("sigma_b")?,
        t.numbers("chi1")?,
    );
    if sw.is_empty() {
        bail!("phase.csv holds no points");
    }
    let act = t
        .text("activation")?
        .first()
        .map_or(String::new(), |s| s.to_string());
    let critical = CsvTable::read(&dir.join("critical.csv")).ok();
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
    let svg = draw(|root| {
        if bs.len() == 1 {
            let (lo, hi) = finite_range(log_chi.iter().copied());
            let (lo, hi) = padded(lo.min(0.0), hi.max(0.0));
            let mut chart = super::linear_chart(
                root,
                &format!("χ1 against σ_w: {act}, σ_b = {}", label(bs[0])),
                (we[0]..we[we.len() - 1], lo..hi),
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
            .build_cartesian_2d(we[0]..we[we.len() - 1], be[0]..be[be.len() - 1])?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("σ_w")
            .y_desc("σ_b")
            .label_style((FONT, 15))
            .draw()?;
        for i in 0..sw.len() {
            let wi = ws
                .iter()
                .position(|x| x.total_cmp(&sw[i]).is_eq())
                .expect("σ_w");
            let bi = bs
                .iter()
                .position(|x| x.total_cmp(&sb[i]).is_eq())
                .expect("σ_b");
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
            let (cb, cw) = (c.numbers("sigma_b")?, c.numbers("critical_sigma_w")?);
            // Sorted by σ_b, and only where it lies inside the plotted σ_w.
            let mut line: Vec<(f64, f64)> = cw
                .iter()
                .zip(&cb)
                .filter(|(w, _)| w.is_finite() && **w >= we[0] && **w <= we[we.len() - 1])
                .map(|(&w, &b)| (w, b))
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

    #[test]
    fn probabilities_are_shown_short() {
        assert_eq!(short(0.94565), "0.9457");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(1.5e-29), "1.500e-29");
        assert_eq!(short(f64::NAN), "–");
    }
}
