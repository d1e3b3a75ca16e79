//! Heatmaps over a grid of two parameters, with the viridis scale and its colour bar
//! (shared by the `table` and `train` map figures).

use anyhow::bail;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::labels::distinct;
use super::range::view;
use super::{DrawResult, FONT, TEXT, TITLE, draw, finite_range, padded};
use crate::output::format::caption;
use crate::output::format::label;

/// The most cells a heatmap draws (a 1000 × 1000 grid).
const MAX_CELLS: usize = 1_000_000;

/// A heatmap over the distinct values of `r` (down, first at the bottom) and `c`
/// (across), coloured by `v` (0…1 for probabilities, else its range), with a colour bar
/// (unnamed: `title` names the value).
#[allow(clippy::too_many_arguments)]
pub(crate) fn grid_heatmap(
    title: &str,
    rows: &str,
    cols: &str,
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
        if h > l { view(l, h) } else { padded(l, h) }
    };
    let (nr, nc) = (rv.len(), cv.len());
    if nr < 2 || nc < 2 {
        bail!("a heatmap needs two values or more along each axis");
    }
    if nr.saturating_mul(nc) > MAX_CELLS {
        bail!("a heatmap of {nr} × {nc} cells is more than a figure can show ({MAX_CELLS})");
    }
    let mut cells = vec![f64::NAN; nr * nc];
    for i in 0..v.len().min(r.len()).min(c.len()) {
        let (Ok(ri), Ok(ci)) = (
            rv.binary_search_by(|x| x.total_cmp(&r[i])),
            cv.binary_search_by(|x| x.total_cmp(&c[i])),
        ) else {
            continue; // not reached: rv and cv hold every value
        };
        cells[ri * nc + ci] = v[i];
    }
    // Labels of about 6 characters fit cells at least 60 units wide and 20 high.
    let labelled = nr <= 14 && nc <= 7;
    draw(|root| {
        let (main, bar) = root.split_horizontally(super::SIZE.0 - 118);
        let mut chart = ChartBuilder::on(&main)
            .caption(title, (FONT, TITLE))
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
            .x_labels(nc.min(10))
            .y_labels(nr.min(12))
            .x_label_formatter(&col_label)
            .y_label_formatter(&row_label)
            .label_style((FONT, TEXT))
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
                        caption(x),
                        (SegmentValue::CenterOf(ci), SegmentValue::CenterOf(ri)),
                        (FONT, TEXT)
                            .into_font()
                            .color(&ink)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )])?;
                }
            }
        }
        colour_bar(&bar, v_lo, v_hi)
    })
    .map(super::crisp_cells)
}

/// Viridis, from 0 (dark blue) to 1 (yellow); values outside are clamped.
pub(crate) fn scale_colour(t: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    ViridisRGB.get_color(t.clamp(0.0, 1.0))
}

/// A vertical colour bar from `lo` to `hi`.
pub(crate) fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    lo: f64,
    hi: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        // No caption: the figure's title names the value (a long name did not fit).
        .margin_top(40)
        .margin_bottom(56)
        .margin_right(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, view(lo, hi).0..view(lo, hi).1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&super::tick)
        .label_style((FONT, TEXT))
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
