//! Probability tables: the cells of a [`Grid`] computed in parallel, journaled as they
//! finish (so a killed run resumes), and written as a tidy CSV, JSON and a Markdown pivot.
//!
//! The final files are made from the journal's records, never from values in memory, so a
//! resumed run, a merge of shards and an uninterrupted run write the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::error::{ConfigError, Error, Result};
use crate::mc::simulate::simulate;
use crate::output::files::csv_text;
use crate::output::format::{ascii_json, exact, label, table_cell};
use crate::output::manifest::{Manifest, RunFiles};
use crate::output::results::SimResults;
use crate::sweep::grid::Grid;

use crate::sweep::engine::Sweep;
pub use crate::sweep::journal::JOURNAL;

/// One finished cell: its CSV row (placeholder values first) and its summary JSON (kept
/// as text: a table of many cells holds them all until its files are written).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellRecord {
    /// The cell's index in the grid.
    pub cell: usize,
    /// The tidy CSV row (columns as [`header`] says).
    pub row: Vec<String>,
    /// The summary (as `vanish sim --json` prints it, without the encoded histograms).
    pub summary: Box<RawValue>,
}

impl PartialEq for CellRecord {
    fn eq(&self, other: &Self) -> bool {
        self.cell == other.cell
            && self.row == other.row
            && self.summary.get() == other.summary.get()
    }
}

/// Computes cell `i` of `grid` (blocks in parallel on the current pool).
pub fn compute_cell(grid: &Grid, i: usize, on_block: &(dyn Fn(u64) + Sync)) -> CellRecord {
    let exp = grid.experiment(i).expect("validated with the grid");
    let summary = simulate(&exp, 0, on_block);
    let results = SimResults::new(exp, summary).with_methods(grid.methods());
    let (_, row) = results.csv_row();
    let mut full_row = vec![i.to_string()];
    full_row.extend(grid.placeholders().iter().map(|h| exact(grid.value(i, h))));
    full_row.extend(row);
    CellRecord {
        cell: i,
        row: full_row,
        summary: RawValue::from_string(
            ascii_json(&results.to_json_with(false)).expect("a JSON value serialises"),
        )
        .expect("a JSON value is valid JSON"),
    }
}

/// The CSV header of every row of `grid`'s table: `cell`, the placeholders, then the
/// columns of `sim`'s summary.csv (found by summarising one sample of cell 0).
pub fn header(grid: &Grid) -> Vec<String> {
    let exp = grid
        .experiment(0)
        .and_then(|e| e.with_samples(1))
        .expect("validated with the grid");
    let summary = simulate(&exp, 0, &|_| {});
    let (columns, _) = SimResults::new(exp, summary)
        .with_methods(grid.methods())
        .csv_row();
    let mut out: Vec<String> = vec!["cell".into()];
    out.extend(grid.placeholders());
    out.extend(columns);
    out
}

/// The cells of a grid as a sweep (see [`crate::sweep::engine`]): unit `i` is cell `i`,
/// its record a [`CellRecord`].
pub struct TableSweep<'a> {
    grid: &'a Grid,
    on_start: &'a (dyn Fn(&[usize]) + Sync),
    on_block: &'a (dyn Fn(u64) + Sync),
    /// The table's columns ([`header`]), found when a record is first checked.
    columns: std::sync::OnceLock<Vec<String>>,
}

impl<'a> TableSweep<'a> {
    /// The sweep of `grid`; `on_start` is told the cells about to be computed, `on_block`
    /// the samples of every finished block (for progress bars).
    pub fn new(
        grid: &'a Grid,
        on_start: &'a (dyn Fn(&[usize]) + Sync),
        on_block: &'a (dyn Fn(u64) + Sync),
    ) -> Self {
        TableSweep {
            grid,
            on_start,
            on_block,
            columns: std::sync::OnceLock::new(),
        }
    }
}

impl Sweep for TableSweep<'_> {
    type Record = CellRecord;

    fn fingerprint(&self) -> Value {
        json!({"journal": "vanish table", "grid": self.grid.to_json()})
    }

    fn units(&self) -> usize {
        self.grid.cells()
    }

    fn cost(&self, unit: usize) -> f64 {
        self.grid.cost(unit)
    }

    fn unit(record: &CellRecord) -> usize {
        record.cell
    }

    fn compute(&self, unit: usize) -> CellRecord {
        compute_cell(self.grid, unit, self.on_block)
    }

    fn starting(&self, pending: &[usize]) {
        (self.on_start)(pending)
    }

    /// A cell's row has a value per column; its index, parameters, samples, depth and
    /// seed are the cell's; its counts are whole numbers of at most its samples.
    fn check(&self, record: &CellRecord) -> std::result::Result<(), String> {
        let columns = self.columns.get_or_init(|| header(self.grid));
        check_row(self.grid, columns, record)
    }
}

/// See [`TableSweep`]'s `check`.
fn check_row(grid: &Grid, columns: &[String], r: &CellRecord) -> std::result::Result<(), String> {
    let i = r.cell;
    if r.row.len() != columns.len() {
        return Err(format!(
            "cell {i} has a row of {} values; the table has {} columns",
            r.row.len(),
            columns.len()
        ));
    }
    let value = |name: &str| {
        let at = columns
            .iter()
            .position(|c| c == name)
            .expect("a column of every table");
        r.row[at].as_str()
    };
    let exp = grid.experiment(i).map_err(|e| e.to_string())?;
    let mut own = vec![
        ("cell".to_string(), i.to_string()),
        ("samples".into(), exp.samples().to_string()),
        ("depth".into(), exp.depth().to_string()),
        ("seed".into(), exp.seed().to_string()),
    ];
    own.extend(grid.placeholders().into_iter().map(|h| {
        let v = exact(grid.value(i, &h));
        (h, v)
    }));
    for (name, want) in own {
        if value(&name) != want {
            return Err(format!(
                "cell {i} has {name} {}; the cell's is {want}",
                value(&name)
            ));
        }
    }
    let samples = exp.samples();
    let mut events = 0u64;
    for name in [
        "vanish_count",
        "explode_count",
        "between_count",
        "zero_g",
        "nan",
    ] {
        let count: u64 = value(name)
            .parse()
            .map_err(|_| format!("cell {i} has {name} '{}', not a count", value(name)))?;
        if count > samples {
            return Err(format!(
                "cell {i} has {name} {count}, more than its {samples} samples"
            ));
        }
        if name.ends_with("_count") {
            events += count;
        }
    }
    if events > samples {
        return Err(format!(
            "cell {i} counts {events} events in {samples} samples"
        ));
    }
    if !r.summary.get().starts_with('{') {
        return Err(format!("cell {i} has a summary that is not a JSON object"));
    }
    Ok(())
}

/// The records of `cells`, in cell order, or an error naming what is missing.
pub fn complete(records: Vec<CellRecord>, cells: usize) -> Result<Vec<CellRecord>> {
    let mut by_cell: BTreeMap<usize, CellRecord> = BTreeMap::new();
    for r in records {
        if r.cell >= cells {
            return Err(Error::Invalid(format!(
                "a record of cell {} in a grid of {cells} cells",
                r.cell
            )));
        }
        if let Some(old) = by_cell.insert(r.cell, r.clone())
            && old != r
        {
            return Err(Error::Invalid(format!(
                "cell {} appears twice with different results",
                r.cell
            )));
        }
    }
    if by_cell.len() != cells {
        let missing: Vec<String> = (0..cells)
            .filter(|c| !by_cell.contains_key(c))
            .take(5)
            .map(|c| c.to_string())
            .collect();
        return Err(Error::Invalid(format!(
            "{} of {cells} cells are missing (first: {})",
            cells - by_cell.len(),
            missing.join(", ")
        )));
    }
    Ok(by_cell.into_values().collect())
}

/// What a Markdown pivot shows: a parameter down, one across, and a column of the CSV.
#[derive(Debug, Clone)]
pub struct Pivot {
    /// The parameter of the rows.
    pub rows: String,
    /// The parameter of the columns.
    pub cols: String,
    /// The CSV column shown in the cells.
    pub value: String,
}

/// The Markdown pivot(s) of `records`: one table per combination of the other varying
/// parameters, each under a heading naming it.
pub fn markdown(
    grid: &Grid,
    header: &[String],
    records: &[CellRecord],
    pivot: &Pivot,
) -> Result<String> {
    let column = header
        .iter()
        .position(|h| h == &pivot.value)
        .ok_or_else(|| {
            ConfigError::new(
                "--value",
                format!(
                    "'{}' is not a column; columns: {}",
                    pivot.value,
                    header.join(", ")
                ),
            )
        })?;
    // Probabilities (p_…, and the per-factor fractions) read better as 1−q near 1.
    let probability = pivot.value.starts_with("p_") || pivot.value.starts_with("fraction_");
    let axis = |name: &str, flag: &str| {
        grid.axes().iter().find(|a| a.name == name).ok_or_else(|| {
            let names: Vec<&str> = grid.axes().iter().map(|a| a.name.as_str()).collect();
            ConfigError::new(
                flag,
                format!(
                    "'{name}' is not a parameter; parameters: {}",
                    names.join(", ")
                ),
            )
        })
    };
    let (rows, cols) = (axis(&pivot.rows, "--rows")?, axis(&pivot.cols, "--cols")?);
    let others: Vec<&str> = grid
        .varying()
        .into_iter()
        .map(|a| a.name.as_str())
        .filter(|n| *n != rows.name && *n != cols.name)
        .collect();
    // One table per combination of the other parameters, in numeric order (10 before 100).
    let mut groups: Vec<(Vec<f64>, Cells)> = Vec::new();
    for r in records {
        let key: Vec<f64> = others.iter().map(|o| grid.value(r.cell, o)).collect();
        let ri = grid.index(r.cell, &rows.name);
        let ci = grid.index(r.cell, &cols.name);
        let at = match groups
            .iter()
            .position(|(k, _)| numeric_order(k, &key).is_eq())
        {
            Some(at) => at,
            None => {
                groups.push((key, BTreeMap::new()));
                groups.len() - 1
            }
        };
        groups[at]
            .1
            .insert((ri, ci), table_cell(&r.row[column], probability));
    }
    groups.sort_by(|a, b| numeric_order(&a.0, &b.0));
    let (row_order, col_order) = (ascending(&rows.values), ascending(&cols.values));
    let mut out = String::new();
    for (key, cells) in &groups {
        if !others.is_empty() {
            let what: Vec<String> = others
                .iter()
                .zip(key)
                .map(|(o, v)| format!("{o} = {}", label(*v)))
                .collect();
            out.push_str(&format!("**{}**\n\n", what.join(", ")));
        }
        out.push_str(&format!("| {} \\ {} |", rows.name, cols.name));
        for &ci in &col_order {
            out.push_str(&format!(" {} |", label(cols.values[ci])));
        }
        out.push_str("\n| --- |");
        out.push_str(&" ---: |".repeat(cols.values.len()));
        out.push('\n');
        for &ri in &row_order {
            out.push_str(&format!("| {} |", label(rows.values[ri])));
            for &ci in &col_order {
                out.push_str(&format!(
                    " {} |",
                    cells.get(&(ri, ci)).map_or("", String::as_str)
                ));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{}: {}\n",
        pivot.value,
        describe_value(&pivot.value)
    ));
    Ok(out)
}

/// The shown cells of one Markdown table, by (row index, column index).
type Cells = BTreeMap<(usize, usize), String>;

/// Parameter values compared as numbers, the first that differs deciding (NaN last).
///
/// ```
/// use vanish::sweep::table::numeric_order;
/// assert!(numeric_order(&[20.0], &[100.0]).is_lt());
/// assert!(numeric_order(&[1.0, 0.5], &[1.0, 0.5]).is_eq());
/// ```
pub fn numeric_order(a: &[f64], b: &[f64]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(a.len().cmp(&b.len()))
}

/// The indices of `values` in ascending numeric order (a grid may list 10, 100, 20).
fn ascending(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    order
}

fn describe_value(column: &str) -> &'static str {
    match column {
        "p_vanish" => "Monte Carlo P(g < vanish threshold)",
        "p_explode" => "Monte Carlo P(g > explode threshold)",
        "mean_log10_g" => "mean of log10 g",
        "sd_log10_g" => "standard deviation of log10 g",
        _ => "a column of table.csv",
    }
}

/// The files a finished table writes into `dir` (manifest last): `table.csv`,
/// `table.json`, `table.md`, then `manifest.json` with `manifest_extra` merged in.
pub fn write_outputs(
    dir: &Path,
    grid: &Grid,
    header: &[String],
    records: &[CellRecord],
    pivot: &Pivot,
    manifest_extra: Value,
) -> Result<Vec<PathBuf>> {
    let rows: Vec<Vec<String>> = records.iter().map(|r| r.row.clone()).collect();
    let manifest = Manifest::new("table")
        .with("grid", grid.to_json())
        .with("rng", crate::mc::rng::RNG_NAME)
        .with(
            "pivot",
            json!({"rows": pivot.rows, "cols": pivot.cols, "value": pivot.value}),
        )
        .with_all(manifest_extra);
    let mut files = RunFiles::new();
    files.add("table.csv", csv_text(header, &rows));
    files.add("table.json", table_json(grid, records, true));
    files.add("table.md", markdown(grid, header, records, pivot)?);
    files.list(JOURNAL);
    files.write(dir, manifest)
}

/// `table.json`: the grid, then one line per cell (its parameters when `params`, and its
/// summary), built as text so that no cell is expanded into a JSON tree.
pub fn table_json(grid: &Grid, records: &[CellRecord], params: bool) -> String {
    let mut out = format!("{{\n\"grid\": {},\n\"cells\": [\n", grid.to_json());
    for (k, r) in records.iter().enumerate() {
        let values: serde_json::Map<String, Value> = grid
            .axes()
            .iter()
            .map(|a| (a.name.clone(), json!(grid.value(r.cell, &a.name))))
            .collect();
        let params = if params {
            format!("\"params\":{},", Value::Object(values))
        } else {
            String::new()
        };
        let comma = if k + 1 < records.len() { "," } else { "" };
        out.push_str(&format!(
            "{{\"cell\":{},{params}\"summary\":{}}}{comma}\n",
            r.cell,
            r.summary.get()
        ));
    }
    out.push_str("]\n}\n");
    // A summary read back from a journal of an earlier build may hold `·` unescaped.
    crate::output::format::escape_non_ascii(&out)
}
