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
pub mod input;
mod labels;
mod meanfield;
pub mod range;
mod run;
mod sim;
mod table;
mod theory;
mod training;

pub use data::CsvTable;
pub use dynamics::{posterior_check, risks};
pub use figures::{heatmap, histogram, phase_diagram, probability_vs, thresholds};
pub(crate) use range::{decades, finite_range, padded};
pub use run::{RunFolder, check_name};
pub use training::{gain_trajectories, survival, train_map};

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::output::results::columns;

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

/// The drawing area every figure gets: its viewBox. The file has no fixed size (its width
/// is 100 % of where it is shown), so these units scale: at a phone's 360 px a unit is
/// 0.6 px, and [`TEXT`] stays about 10 px high.
pub const SIZE: (u32, u32) = (600, 400);

/// The smallest text a figure may hold, in px at a rendering [`PHONE`] px wide.
pub const MIN_PHONE_TEXT: f64 = 9.0;

/// The width of a phone's screen in CSS px.
pub const PHONE: f64 = 360.0;

/// The size of titles, in plotters' font units (the SVG's font-size is this / 1.24).
pub(crate) const TITLE: f64 = 23.0;

/// The size of every other label: axes, ticks, legends, annotations (16 units in the SVG,
/// 9.7 px at [`PHONE`]).
pub(crate) const TEXT: f64 = 20.0;

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

/// [`draw`] with a legend of `entries` below the chart (so it never hides data): the
/// closure draws the chart into the area of [`SIZE`] above it.
pub(crate) fn draw_legended(
    entries: &[(String, labels::Swatch)],
    f: impl FnOnce(&Area<'_>) -> DrawResult,
) -> anyhow::Result<String> {
    let rows = labels::legend_rows(entries, SIZE.0 as i32) as u32;
    let below = labels::LEGEND_ROW as u32 * rows + 8;
    draw_sized((SIZE.0, SIZE.1 + below), |root| {
        let (chart, strip) = root.split_vertically(SIZE.1);
        f(&chart)?;
        labels::legend_strip(&strip, entries)
    })
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
    Ok(scalable(&svg, size))
}

/// The SVG with the root's fixed `width` and `height` replaced by a width of 100 % (up to
/// 1.5 × its size): it scales to the page, a phone's included, keeping its aspect.
///
/// ```
/// # use vanish::output::plot::scalable;
/// let svg = r#"<svg width="600" height="400" viewBox="0 0 600 400" xmlns="x"><g/></svg>"#;
/// assert_eq!(
///     scalable(svg, (600, 400)),
///     r#"<svg width="100%" style="max-width:900px" viewBox="0 0 600 400" xmlns="x"><g/></svg>"#
/// );
/// ```
pub fn scalable(svg: &str, (w, h): (u32, u32)) -> String {
    let fixed = format!("<svg width=\"{w}\" height=\"{h}\" ");
    let fluid = format!("<svg width=\"100%\" style=\"max-width:{}px\" ", w * 3 / 2);
    svg.replacen(&fixed, &fluid, 1)
}

/// The SVG with its rectangles drawn with crisp edges: the cells of a heatmap meet without
/// the hairline seams anti-aliasing leaves between them.
pub(crate) fn crisp_cells(svg: String) -> String {
    svg.replace("<rect ", "<rect shape-rendering=\"crispEdges\" ")
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
    ChartContext<'a, DB, Cartesian2d<range::Clamped, range::Clamped>>,
    Box<dyn std::error::Error>,
>
where
    DB::ErrorType: 'static,
{
    // Whatever the data, axes plotters can draw (finite, ordered, not too wide), and
    // values far beyond them drawn at their edge.
    let (x, y) = ((x.start, x.end), (y.start, y.end));
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, TITLE))
        .margin(10)
        .margin_right(18)
        .x_label_area_size(50)
        .y_label_area_size(82)
        .build_cartesian_2d(range::Clamped::new(x.0, x.1), range::Clamped::new(y.0, y.1))?;
    chart
        .configure_mesh()
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .x_labels(6)
        .x_label_formatter(&tick)
        .y_labels(y_ticks.0)
        .y_label_formatter(y_ticks.1)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, TEXT))
        .axis_desc_style((FONT, TEXT))
        .draw()?;
    Ok(chart)
}

/// Every figure that the output folder `dir` holds the data for: those of the command
/// its manifest names, from the files the manifest lists. A folder that is not a vanish
/// run gives no figure and one note; a figure that cannot be drawn (its file is malformed,
/// or its data has nothing to show) is noted in [`Drawn::skipped`]; the others are still
/// drawn.
pub fn figures_for(dir: &Path) -> Drawn {
    match RunFolder::open(dir) {
        Ok(run) => figures_of(&run),
        Err(e) => Drawn {
            figures: Vec::new(),
            skipped: vec![format!("no figure: {e:#}")],
        },
    }
}

/// The figures of a run folder (see [`figures_for`]).
pub fn figures_of(run: &RunFolder) -> Drawn {
    let dir = run.dir.as_path();
    let made_by = |commands: &[&str]| commands.contains(&run.command());
    let has = |name: &str| run.has(name);
    let mut out = Drawn::default();
    if has("histogram.csv") && made_by(&["sim"]) {
        out.add("histogram", histogram(dir, has("exact_density.csv")));
    }
    if has("table.csv") && made_by(&["table", "merge"]) {
        match table_axes(dir, has("table.json")) {
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
        out.add("phase diagram", phase_diagram(dir, has("critical.csv")));
    }
    if has("thresholds.csv") && made_by(&["thresholds"]) {
        out.add("thresholds", thresholds_of(dir));
    }
    if has("trajectories.csv") && made_by(&["train"]) {
        out.add("gain", gain_trajectories(dir, has("summary.json")));
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
    let (a, lo, hi) = input::threshold_table(&CsvTable::read(&dir.join("thresholds.csv"))?)?;
    // f' exceeds 1 only for a·n > 1: the figure starts there, and ends where it can show.
    let lo = lo.max(1.0 / a).min(range::LIMIT / 4.0);
    let hi = if hi > lo * 1.5 { hi } else { 4.0 * lo };
    thresholds(a, lo, hi.min(range::LIMIT))
}

/// The parameters that vary over a table's cells, in grid order: the axes of table.json
/// (when the run wrote one) with more than one value, or else the numeric columns of
/// table.csv (before the counts) that are not all equal. Every name is a parameter's name
/// ([`input::is_identifier`]: it becomes part of a file name).
pub fn table_axes(dir: &Path, with_json: bool) -> anyhow::Result<Vec<String>> {
    let table = CsvTable::read(&dir.join("table.csv"))?;
    if with_json {
        let path = dir.join("table.json");
        let text = crate::output::files::read_text(&path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let axes =
            input::grid_axes(&text).map_err(|e| anyhow::anyhow!("{}: {e:#}", dir.display()))?;
        return Ok(axes
            .into_iter()
            .filter(|(name, values)| *values > 1 && table.column_index(name).is_some())
            .map(|(name, _)| name)
            .collect());
    }
    let stop = table
        .column_index(&columns::count(columns::VANISH))
        .unwrap_or(table.header.len());
    Ok((1..stop)
        .filter(|&c| {
            let first = table.rows.first().map(|r| r[c].as_str());
            input::is_identifier(&table.header[c])
                && table.rows.iter().all(|r| r[c].parse::<f64>().is_ok())
                && table.rows.iter().any(|r| Some(r[c].as_str()) != first)
        })
        .map(|c| table.header[c].clone())
        .collect())
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
    fn ticks_are_short() {
        assert_eq!(log_tick(&1e-6), "1e-6");
        assert_eq!(
            (tick(&-0.0), tick(&0.35), tick(&50.0)),
            ("0".into(), "0.35".into(), "50".into())
        );
    }
}
