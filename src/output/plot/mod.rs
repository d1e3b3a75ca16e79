//! Figures as SVG, drawn with plotters' SVG backend. Text stays text (`<text>` elements in
//! the viewer's sans-serif), so no font is needed to build or to render them.
//!
//! Every figure is made from the files a subcommand wrote (never from values in memory),
//! so `--plot`, `vanish plot DIR` and `vanish report` draw the same picture of a run:
//!
//! | figure | from |
//! | --- | --- |
//! | [`thresholds`] | the theory: t1(n), ±e(n) against n, the maxima marked |
//! | [`histogram`] | `sim`'s histogram.csv, with the exact density when it was computed |
//! | [`probability_vs`] | a `table` over depth (or any axis) and n, with CI bands and exact lines |
//! | [`heatmap`] | a `table` over any two axes |
//! | [`phase_diagram`] | `meanfield`'s phase.csv and critical.csv |
//! | [`gain_trajectories`] | `train`'s trajectories.csv: sample runs, the median and bands |
//! | [`survival`] | survival.csv of `markov` or `train --fit`: Kaplan–Meier against the chain |
//! | [`risks`] | risks.csv: the cumulative incidence of vanishing, convergence, divergence |
//! | [`posterior_check`] | ppc.csv: the share in [g∼0] against the fitted models' bands |
//! | [`train_map`] | `train`'s map.csv: the fraction vanished over the map |
//!
//! ```
//! let fig = vanish::output::plot::thresholds(1.0, 1.0, 4.0).unwrap();
//! assert!(fig.svg.starts_with("<svg") && fig.svg.contains("t1(n)"));
//! ```

mod data;
mod dynamics;
mod figures;
mod heatmap_grid;
mod labels;
mod meanfield;
mod sim;
mod table;
mod theory;
mod training;

pub use data::CsvTable;
pub use dynamics::{posterior_check, risks};
pub use figures::{heatmap, histogram, phase_diagram, probability_vs, thresholds};
pub use training::{gain_trajectories, survival, train_map};

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::output::results::columns;
use crate::output::thresholds::threshold_columns;

/// One figure: a file stem, a title and a caption for the report, and the SVG text.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem (`thresholds` → thresholds.svg).
    pub name: String,
    /// What it shows, in a few words.
    pub title: String,
    /// How to read it: what the lines, bands and marks are.
    pub caption: String,
    /// The drawing.
    pub svg: String,
}

/// The drawing area every figure gets, in CSS pixels (scaled down on a phone).
pub const SIZE: (u32, u32) = (760, 460);

/// Okabe–Ito colours, distinguishable with any colour vision.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// The `i`-th palette colour (cycling).
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The font of every label.
pub(crate) const FONT: &str = "sans-serif";

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Draws into a fresh SVG of [`SIZE`] (white background) and returns its text.
pub(crate) fn draw(f: impl FnOnce(&Area<'_>) -> DrawResult) -> anyhow::Result<String> {
    draw_sized(SIZE, f)
}

/// [`draw`] with another size.
pub(crate) fn draw_sized(
    size: (u32, u32),
    f: impl FnOnce(&Area<'_>) -> DrawResult,
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        f(&root).map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
        root.present()
            .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
    }
    Ok(svg)
}

/// The figures of an output folder, and a note for each that could not be drawn.
#[derive(Debug, Default)]
pub struct Drawn {
    /// The figures drawn.
    pub figures: Vec<Figure>,
    /// Why a figure the folder's files call for is missing (its data has nothing to show:
    /// no g > 0, no run that started in [g≫0], a map over three parameters…).
    pub skipped: Vec<String>,
}

impl Drawn {
    fn add(&mut self, what: &str, figure: anyhow::Result<Figure>) {
        match figure {
            Ok(f) => self.figures.push(f),
            Err(e) => self.skipped.push(format!("no {what} figure: {e:#}")),
        }
    }
}

/// A chart of f64 against f64 on `area` with every figure's look: the title, a light grid,
/// both axes described, x ticks by [`tick`] and `y_ticks` (how many, and their labels).
pub(crate) fn linear_chart<'a, DB: DrawingBackend + 'a>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x, y): (std::ops::Range<f64>, std::ops::Range<f64>),
    (x_desc, y_desc): (&str, &str),
    y_ticks: (usize, &dyn Fn(&f64) -> String),
) -> Result<
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    Box<dyn std::error::Error>,
>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 19))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&tick)
        .y_labels(y_ticks.0)
        .y_label_formatter(y_ticks.1)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 15))
        .draw()?;
    Ok(chart)
}

/// Every figure that the output folder `dir` holds the data for: those of the command
/// its manifest names (every kind whose files are there when it has none). A figure that
/// cannot be drawn is noted in [`Drawn::skipped`]; the others are still drawn.
pub fn figures_for(dir: &Path) -> Drawn {
    let command = crate::output::manifest::Manifest::read(dir)
        .ok()
        .flatten()
        .map(|m| m.command);
    let made_by = |commands: &[&str]| command.as_deref().is_none_or(|c| commands.contains(&c));
    let has = |name: &str| dir.join(name).is_file();
    let mut out = Drawn::default();
    if has("histogram.csv") && made_by(&["sim"]) {
        out.add("histogram", histogram(dir));
    }
    if has("table.csv") && made_by(&["table", "merge"]) {
        match table_axes(dir) {
            Ok(axes) => match axes.as_slice() {
                [x] => out.add("probability", probability_vs(dir, x, None)),
                [a, b] => {
                    // Against depth when it varies, else against the faster axis.
                    let (x, g) = if a == "depth" { (a, b) } else { (b, a) };
                    out.add("probability", probability_vs(dir, x, Some(g)));
                    out.add("heatmap", heatmap(dir, b, a, &columns::p(columns::VANISH)));
                }
                _ => out.skipped.push(format!(
                    "no table figure: the table varies {} parameters ({}); figures show one \
                     or two",
                    axes.len(),
                    axes.join(", ")
                )),
            },
            Err(e) => out.skipped.push(format!("no table figure: {e:#}")),
        }
    }
    if has("phase.csv") && made_by(&["meanfield"]) {
        out.add("phase diagram", phase_diagram(dir));
    }
    if has("thresholds.csv") && made_by(&["thresholds"]) {
        out.add("thresholds", thresholds_of(dir));
    }
    if has("trajectories.csv") && made_by(&["train"]) {
        out.add("gain", gain_trajectories(dir));
    }
    if has("survival.csv") && made_by(&["train", "markov"]) {
        out.add("survival", survival(dir));
    }
    if has("risks.csv") && made_by(&["train", "markov"]) {
        out.add("risks", risks(dir));
    }
    if has("ppc.csv") && made_by(&["train", "markov"]) {
        out.add("posterior check", posterior_check(dir));
    }
    if has("map.csv") && made_by(&["train"]) {
        out.add("map", train_map(dir));
    }
    out
}

/// The thresholds figure over the n of thresholds.csv (at least 1/a to 4/a).
fn thresholds_of(dir: &Path) -> anyhow::Result<Figure> {
    let t = CsvTable::read(&dir.join("thresholds.csv"))?;
    let a = t
        .numbers(threshold_columns::A)?
        .first()
        .copied()
        .filter(|a| *a > 0.0)
        .unwrap_or(1.0);
    let (lo, hi) = finite_range(t.numbers(threshold_columns::N)?);
    // f' exceeds 1 only for a·n > 1: the figure starts there.
    let lo = lo.max(1.0 / a);
    let hi = if hi > lo * 1.5 { hi } else { 4.0 * lo };
    thresholds(a, lo, hi)
}

/// The parameters that vary over a table's cells, in grid order: the axes of table.json
/// with more than one value, or else the numeric columns of table.csv (before the counts)
/// that are not all equal.
pub fn table_axes(dir: &Path) -> anyhow::Result<Vec<String>> {
    let table = CsvTable::read(&dir.join("table.csv"))?;
    let json: Option<serde_json::Value> = std::fs::read_to_string(dir.join("table.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    if let Some(axes) = json.as_ref().and_then(|j| j["grid"]["axes"].as_array()) {
        return Ok(axes
            .iter()
            .filter(|a| a["values"].as_array().is_some_and(|v| v.len() > 1))
            .filter_map(|a| a["name"].as_str().map(String::from))
            .filter(|name| table.column_index(name).is_some())
            .collect());
    }
    let stop = table
        .column_index(&columns::count(columns::VANISH))
        .unwrap_or(table.header.len());
    Ok((1..stop)
        .filter(|&c| {
            let first = table.rows.first().map(|r| r[c].as_str());
            table.rows.iter().all(|r| r[c].parse::<f64>().is_ok())
                && table.rows.iter().any(|r| Some(r[c].as_str()) != first)
        })
        .map(|c| table.header[c].clone())
        .collect())
}

/// Writes each figure as NAME.svg into `dir` (atomically).
pub fn write_all(dir: &Path, figures: &[Figure]) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use anyhow::Context;
    figures
        .iter()
        .map(|f| {
            let path = dir.join(format!("{}.svg", f.name));
            crate::output::files::write_atomic(&path, f.svg.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

/// Nice bounds for data from `lo` to `hi`, with a little room (and a width when flat).
pub(crate) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi <= lo {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let pad = (hi - lo) * 0.04;
    (lo - pad, hi + pad)
}

/// The smallest and largest finite values.
pub(crate) fn finite_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        })
}

/// Decade bounds around positive data from `lo` to `hi` (for log axes).
pub(crate) fn decades(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo > 0.0 && hi.is_finite() && hi > 0.0) {
        return (1e-6, 1.0);
    }
    let l = 10f64.powf(lo.log10().floor());
    let h = 10f64.powf(hi.log10().ceil());
    if h > l { (l, h) } else { (l / 10.0, h * 10.0) }
}

/// A label for a linear axis tick: at most 6 decimals, trailing zeros and "-0" dropped.
pub(crate) fn tick(v: &f64) -> String {
    if v.abs() < 1e-12 {
        return "0".into();
    }
    if v.abs() >= 1e6 || v.abs() < 1e-4 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A label for a log axis tick: 10^k for whole decades, else the shortest number.
pub(crate) fn log_tick(v: &f64) -> String {
    let k = v.log10();
    if (k - k.round()).abs() < 1e-9 {
        let k = k.round() as i32;
        match k {
            0 => "1".into(),
            1 => "10".into(),
            _ => format!("1e{k}"),
        }
    } else {
        format!("{v:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_data() {
        assert_eq!(decades(0.03, 2.0), (0.01, 10.0));
        assert_eq!(decades(1.0, 1.0), (0.1, 10.0));
        assert_eq!(log_tick(&1e-6), "1e-6");
        assert_eq!(padded(1.0, 1.0), (0.9, 1.1));
        assert_eq!(
            (tick(&-0.0), tick(&0.35), tick(&50.0)),
            ("0".into(), "0.35".into(), "50".into())
        );
    }
}
