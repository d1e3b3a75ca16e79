//! The fuzz harness: one function per reader of user text, shared by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, nightly) and by the replay test `tests/it/fuzz_replay.rs`
//! (stable), which runs every committed corpus file and reproducer through them.
//!
//! Each function takes the fuzzer's bytes, hands them to the library through ONE small
//! `read_*` function (the place to repoint when a reader's API changes), and asserts what
//! must hold beyond "no panic" where that is cheap: a parsed value prints back to text that
//! parses to the same value, a grid has no duplicate values, a CSV row is as long as its
//! header, a figure's name is a plain file name.
//!
//! Two readers are not reachable from the public API and have no target here: the values
//! of a table's axes (`cli::parse_values`, `pub(crate)`: `table --n 0.5:4:0.5`) and the
//! TOML of `table --config` (`cli/table.rs`, private). The property test of
//! `tests/it/fuzz_replay.rs` gives them random text through the binary instead.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use vanish::dynamics::study::{AnalysisSettings, Rule, RunSeries, analyse};
use vanish::model::distribution::PreActivation;
use vanish::nets::train::{Run, RunEntry};
use vanish::output::plot::{CsvTable, Drawn, figures_for};
use vanish::sweep::grid::Grid;
use vanish::sweep::journal::{self, JOURNAL};
use vanish::sweep::table::{self, CellRecord, Pivot};

/// A target: its name (the folder of its corpus) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 9] = [
    ("dist", dist),
    ("grid", grid),
    ("rule", rule),
    ("table_journal", table_journal),
    ("train_journal", train_journal),
    ("trajectories", trajectories),
    ("csv_table", csv_table),
    ("summary_json", summary_json),
    ("run_folder", run_folder),
];

/// The text of the input, when it is UTF-8 (every reader takes `&str` or refuses bytes
/// that are not text before parsing).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

// ---------------------------------------------------------------------------------------
// --dist

fn read_dist(text: &str) -> Result<PreActivation, vanish::error::ConfigError> {
    text.parse::<PreActivation>()
}

/// `--dist`: a distribution that parses prints as a spec that parses to the same
/// distribution, with a CDF in [0, 1].
pub fn dist(data: &[u8]) {
    let Some(spec) = text(data) else { return };
    let Ok(d) = read_dist(spec) else { return };
    let printed = d.to_string();
    let again = read_dist(&printed)
        .unwrap_or_else(|e| panic!("{spec:?} prints as {printed:?}, which is refused: {e}"));
    assert_eq!(again.to_string(), printed, "{spec:?} does not round-trip");
    for x in [-1e300, -10.0, -1.0, 0.0, 0.5, 1.0, 10.0, 1e300] {
        let (c, s) = (d.cdf(x), d.sf(x));
        let probability = |p: f64| (-1e-9..=1.0 + 1e-9).contains(&p);
        assert!(
            probability(c) && probability(s),
            "{printed}: cdf({x}) = {c}, sf({x}) = {s}"
        );
    }
    let _ = (
        d.mean(),
        d.variance(),
        d.fourth_central_moment(),
        d.pdf(0.0),
    );
}

// ---------------------------------------------------------------------------------------
// A table's grid, as its journal header and table.json record it

fn read_grid(text: &str) -> Result<Grid, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Grid::from_json(&v).map_err(|e| e.to_string())
}

/// The grid of a journal header or table.json: a grid that is read has no duplicate
/// values, at most 10^8 cells (`from_json` forces past `MAX_CELLS`, as a journal may hold
/// a forced grid), and its JSON reads back to the same grid.
pub fn grid(data: &[u8]) {
    let Some(json) = text(data) else { return };
    let Ok(g) = read_grid(json) else { return };
    check_grid(&g);
    let printed = g.to_json().to_string();
    let again = read_grid(&printed).unwrap_or_else(|e| panic!("{printed} is refused: {e}"));
    assert_eq!(again.to_json(), g.to_json());
}

fn check_grid(g: &Grid) {
    let cells: usize = g.axes().iter().map(|a| a.values.len()).product();
    assert_eq!(g.cells(), cells);
    assert!(cells <= 100 * vanish::sweep::grid::MAX_CELLS);
    for a in g.axes() {
        assert!(!a.values.is_empty(), "axis {} has no value", a.name);
        for (k, v) in a.values.iter().enumerate() {
            assert!(v.is_finite(), "axis {}: {v}", a.name);
            assert!(!a.values[..k].contains(v), "axis {} has {v} twice", a.name);
        }
    }
}

// ---------------------------------------------------------------------------------------
// --state, --leave, --converged, --bins

fn read_rule(
    state: &str,
    leave: Option<f64>,
    converged: Option<&str>,
    bins: Option<&str>,
) -> Result<Rule, vanish::error::ConfigError> {
    Rule::parse(state, leave, converged, bins)
}

/// The flags, one a line: `--state`, `--leave` (a number, or empty), `--converged` and
/// `--bins` (empty: not given). A rule that is read puts every value of a run in one of
/// its states, and a rule of bins prints back to flags that read to the same rule.
pub fn rule(data: &[u8]) {
    let Some(flags) = text(data) else { return };
    let mut lines = flags.split('\n');
    let mut next = || lines.next().filter(|l| !l.is_empty());
    let state = next().unwrap_or("probe_gain < 1e-6");
    let leave = match next() {
        Some(l) => match l.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => return, // clap refuses it before the rule is read
        },
        None => None,
    };
    let (converged, bins) = (next(), next());
    let Ok(rule) = read_rule(state, leave, converged, bins) else {
        return;
    };
    let _ = rule.describe();
    assert_eq!(rule.state_names().len(), rule.states());
    let values = [
        1.0,
        1e-9,
        1e3,
        -1.0,
        0.0,
        f64::INFINITY,
        1e-300,
        5.0,
        f64::NAN,
        1.0,
    ];
    let seq = rule.sequence(&values, Some(&values));
    assert!(
        seq.states.iter().all(|&s| s <= rule.states()),
        "{:?} for {} states",
        seq.states,
        rule.states()
    );
    if let Rule::Bins { column, edges } = &rule {
        let printed: Vec<String> = edges.iter().map(|e| format!("{e:e}")).collect();
        let flag = format!("{column}: {}", printed.join(", "));
        match read_rule(state, None, None, Some(&flag)) {
            Ok(Rule::Bins {
                column: c,
                edges: e,
            }) => assert!(c == *column && e == *edges, "{flag:?} reads otherwise"),
            other => panic!("--bins {flag:?} reads as {:?}", other.map(|r| r.describe())),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Journals

/// A folder holding `data` as its journal.
fn journal_folder(data: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join(JOURNAL), data).expect("writing the journal");
    dir
}

fn read_table_journal(dir: &Path) -> vanish::error::Result<(Value, Vec<CellRecord>, u64)> {
    journal::read(&dir.join(JOURNAL), |_: &CellRecord| Ok(()))
}

/// A table's journal.jsonl, then what `--resume` and `merge` make of its records: the
/// grid of its header, the records of every cell, the table's texts.
pub fn table_journal(data: &[u8]) {
    let dir = journal_folder(data);
    let Ok((header, records, good)) = read_table_journal(dir.path()) else {
        return;
    };
    assert!(good as usize <= data.len());
    let Ok(grid) = Grid::from_json(&header["grid"]) else {
        return;
    };
    check_grid(&grid);
    let Ok(records) = table::complete(records, grid.cells()) else {
        return;
    };
    let columns = table::header(&grid);
    let rows: Vec<Vec<String>> = records.iter().map(|r| r.row.clone()).collect();
    let _ = vanish::output::files::csv_text(&columns, &rows);
    let _ = table::table_json(&grid, &records, true);
    let axes = grid.varying();
    let name = |k: usize| axes.get(k).or(axes.first()).map_or("n", |a| &a.name);
    let pivot = Pivot {
        rows: name(0).to_string(),
        cols: name(1).to_string(),
        value: "p_vanish".into(),
    };
    let _ = table::markdown(&grid, &columns, &records, &pivot);
}

fn read_train_journal(dir: &Path) -> vanish::error::Result<(Value, Vec<Run>, u64)> {
    let (header, entries, good) = journal::read::<RunEntry>(&dir.join(JOURNAL), |_| Ok(()))?;
    let runs = entries
        .iter()
        .map(RunEntry::to_run)
        .collect::<Result<Vec<Run>, String>>()
        .map_err(vanish::error::Error::Invalid)?;
    Ok((header, runs, good))
}

/// A training journal.jsonl: a run that is read writes as an entry that reads back to the
/// same entry, and its trajectories and chain are made as `train` makes them.
pub fn train_journal(data: &[u8]) {
    let dir = journal_folder(data);
    let Ok((_, runs, good)) = read_train_journal(dir.path()) else {
        return;
    };
    assert!(good as usize <= data.len());
    for run in &runs {
        let entry = RunEntry::from(run);
        let again = entry.to_run().expect("a written entry reads back");
        assert_eq!(RunEntry::from(&again), entry);
    }
    let layers = runs
        .iter()
        .flat_map(|r| &r.records)
        .map(|r| r.grad_norms.len())
        .max()
        .unwrap_or(1);
    let _ = vanish::output::training::trajectories_csv(&runs, layers);
    if let Ok(rule) = Rule::parse("gain < 1e-6", None, None, None) {
        let _ = vanish::dynamics::runs::chain_fit(&runs, &rule);
    }
}

// ---------------------------------------------------------------------------------------
// trajectories.csv, as `markov` reads it

fn read_trajectories(
    path: &Path,
    rule: &Rule,
) -> Result<Vec<RunSeries>, vanish::error::ConfigError> {
    RunSeries::read_csv(path, rule)
}

/// The file of `vanish markov FILE`, and its analysis (100 replicates, no latent models).
/// A first line `rule: FLAGS` sets `--state` (or `--bins` when FLAGS holds a ':'); the
/// default is `--state 'probe_gain < 1e-6'`.
pub fn trajectories(data: &[u8]) {
    let Some(all) = text(data) else { return };
    let (rule, csv) = match all.strip_prefix("rule: ") {
        Some(rest) => {
            let (flags, csv) = rest.split_once('\n').unwrap_or((rest, ""));
            let rule = if flags.contains(':') {
                Rule::parse("", None, None, Some(flags))
            } else {
                Rule::parse(flags, None, None, None)
            };
            let Ok(rule) = rule else { return };
            (rule, csv)
        }
        None => (
            Rule::parse("probe_gain < 1e-6", None, None, None).expect("the default rule"),
            all,
        ),
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("trajectories.csv");
    std::fs::write(&path, csv).expect("writing the file");
    let Ok(runs) = read_trajectories(&path, &rule) else {
        return;
    };
    for r in &runs {
        assert_eq!(r.steps.len(), r.values.len());
        assert!(
            r.steps.windows(2).all(|w| w[0] < w[1]),
            "steps out of order"
        );
    }
    let settings = AnalysisSettings::new(1e-3, 100, 0).expect("valid settings");
    let analysis = analyse(&runs, &rule, &settings, 1);
    let _ = vanish::output::dynamics::report_json(&analysis, &rule, &rule.state_names());
}

// ---------------------------------------------------------------------------------------
// The files of a run folder, as `plot` and `report` read them

fn read_csv_table(text: &str) -> anyhow::Result<CsvTable> {
    CsvTable::parse(text)
}

/// Any CSV file a figure reads: every row is as long as the header, and every column
/// reads as numbers.
pub fn csv_table(data: &[u8]) {
    let Some(csv) = text(data) else { return };
    let Ok(t) = read_csv_table(csv) else { return };
    for row in &t.rows {
        assert_eq!(row.len(), t.header.len(), "a row of another length");
    }
    for name in &t.header {
        let _ = t.numbers(name);
    }
}

fn read_summary(dir: &Path) -> anyhow::Result<vanish::output::results::SimSummary> {
    vanish::output::schema::read(dir, "summary.json")
}

/// `sim`'s summary.json as `plot` and `report` read it (through its schema).
pub fn summary_json(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("summary.json"), data).expect("writing the file");
    let _ = read_summary(dir.path());
}

/// The files a run folder may hold for `plot` and `report`.
pub const RUN_FILES: [&str; 24] = [
    "manifest.json",
    "summary.json",
    "summary.csv",
    "histogram.csv",
    "exact_density.csv",
    "table.csv",
    "table.json",
    "table.md",
    "phase.csv",
    "critical.csv",
    "phase.json",
    "thresholds.csv",
    "thresholds.json",
    "trajectories.csv",
    "survival.csv",
    "risks.csv",
    "ppc.csv",
    "viterbi.csv",
    "markov.json",
    "outcome.json",
    "map.csv",
    "map.md",
    "numbers.csv",
    "journal.jsonl",
];

/// A run folder packed in one text: each file starts with a line `=== NAME` (NAME one of
/// [`RUN_FILES`]; a section of another name, and text before the first, are dropped).
pub fn unpack(data: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut files: Vec<(&'static str, Vec<u8>)> = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Some(name) = line.strip_prefix(b"=== ") {
            let name = String::from_utf8_lossy(name);
            let known = RUN_FILES.iter().find(|f| **f == name.trim_end());
            files.retain(|(f, _)| Some(f) != known);
            if let Some(f) = known {
                files.push((f, Vec::new()));
                continue;
            }
            files.push(("", Vec::new()));
            continue;
        }
        if let Some((_, text)) = files.last_mut() {
            text.extend_from_slice(line);
        }
    }
    files.retain(|(f, _)| !f.is_empty());
    files
}

fn read_run_folder(dir: &Path) -> (Drawn, anyhow::Result<String>) {
    let drawn = figures_for(dir);
    let html = vanish::output::report::render(&[dir.to_path_buf()]);
    (drawn, html)
}

/// A run folder (see [`unpack`]) given to `plot` and `report`: every figure's name is a
/// plain file name, and the page is one whole HTML document.
pub fn run_folder(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let folder: PathBuf = dir.path().join("run");
    std::fs::create_dir(&folder).expect("a folder");
    for (name, text) in unpack(data) {
        std::fs::write(folder.join(name), text).expect("writing a file");
    }
    let (drawn, html) = read_run_folder(&folder);
    for f in &drawn.figures {
        let plain = !f.name.is_empty()
            && f.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !f.name.starts_with('.');
        assert!(plain, "a figure named {:?}", f.name);
    }
    if let Ok(html) = html {
        assert!(html.starts_with("<!doctype html>") && html.ends_with("</html>\n"));
    }
}
