//! Pieces the figure families share: the legend, probabilities written short, and the
//! distinct values of a column.

use plotters::prelude::*;

use super::{DrawResult, FONT, TEXT};

/// A legend: the text of each entry and what it shows.
pub(crate) type Entries = Vec<(String, Swatch)>;

/// The distinct values of a column, in order of first appearance.
pub(super) fn distinct(values: &[f64]) -> Vec<f64> {
    // By bits: total_cmp's equality (every NaN payload its own value, −0 apart from 0).
    let mut seen = std::collections::HashSet::new();
    values
        .iter()
        .copied()
        .filter(|v| seen.insert(v.to_bits()))
        .collect()
}

/// What a legend entry shows beside its text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A line with a dot: estimates joined.
    LineDot(RGBColor),
    /// A line of this width.
    Line(RGBColor, u32),
    /// A dashed line.
    Dashed(RGBColor),
    /// A shaded band.
    Band(RGBAColor),
    /// A down-pointing triangle: an upper bound.
    Down(RGBColor),
}

/// The width of `text` at `size` font units, estimated (no font is loaded).
fn text_width(text: &str, size: f64) -> i32 {
    (text.chars().count() as f64 * size / 1.24 * 0.56).ceil() as i32
}

/// The rows a [`legend_strip`] of `entries` needs in an area `width` units wide.
pub(crate) fn legend_rows(entries: &[(String, Swatch)], width: i32) -> usize {
    legend_layout(entries, width).last().map_or(0, |p| p.1 + 1)
}

/// Where each entry goes: its x and its row, entries flowing left to right.
fn legend_layout(entries: &[(String, Swatch)], width: i32) -> Vec<(i32, usize)> {
    let (mut x, mut row) = (LEGEND_PAD, 0);
    entries
        .iter()
        .map(|(text, _)| {
            let w = SWATCH + 8 + text_width(text, TEXT) + 22;
            if x > LEGEND_PAD && x + w > width {
                (x, row) = (LEGEND_PAD, row + 1);
            }
            let at = (x, row);
            x += w;
            at
        })
        .collect()
}

const SWATCH: i32 = 26;
const LEGEND_PAD: i32 = 12;
/// The height of one row of a legend strip.
pub(crate) const LEGEND_ROW: i32 = 26;

/// A legend outside the charts (so it never hides data): the entries flow left to right in
/// rows of [`LEGEND_ROW`] across `area`.
pub(crate) fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, Swatch)],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let width = area.dim_in_pixel().0 as i32;
    let font = (FONT, TEXT)
        .into_font()
        .color(&BLACK)
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
    for ((text, swatch), (x, row)) in entries.iter().zip(legend_layout(entries, width)) {
        let y = LEGEND_ROW / 2 + row as i32 * LEGEND_ROW;
        let (a, b, mid) = (x, x + SWATCH, x + SWATCH / 2);
        match *swatch {
            Swatch::LineDot(c) => {
                area.draw(&PathElement::new([(a, y), (b, y)], c.stroke_width(2)))?;
                area.draw(&Circle::new((mid, y), 3, c.filled()))?;
            }
            Swatch::Line(c, w) => {
                area.draw(&PathElement::new([(a, y), (b, y)], c.stroke_width(w)))?
            }
            Swatch::Dashed(c) => {
                for k in 0..3 {
                    let s = a + k * 10;
                    area.draw(&PathElement::new([(s, y), (s + 6, y)], c.stroke_width(2)))?;
                }
            }
            Swatch::Band(c) => area.draw(&Rectangle::new([(a, y - 7), (b, y + 7)], c.filled()))?,
            Swatch::Down(c) => area.draw(&Polygon::new(down_triangle((mid, y)), c.filled()))?,
        }
        area.draw(&Text::new(text.clone(), (b + 8, y), font.clone()))?;
    }
    Ok(())
}

/// The corners of a triangle pointing down, its tip 6 units below the centre `(x, y)`:
/// "the value lies below here".
pub(crate) fn down_triangle((x, y): (i32, i32)) -> Vec<(i32, i32)> {
    vec![(x - 6, y - 5), (x + 6, y - 5), (x, y + 6)]
}
