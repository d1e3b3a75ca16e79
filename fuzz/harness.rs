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
//! Every target but `run_folder` calls pure readers of text: no temporary file, no
//! simulation, no drawing (so they reach 10^7 executions in minutes). `run_folder` writes
//! a folder and draws its figures, as `plot` and `report` do: slow (about 170 executions
//! a second), kept for the drawing; it is not expected to reach 10^7 executions.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vanish::dynamics::study::{Rule, RunSeries};
use vanish::model::distribution::PreActivation;
use vanish::nets::train::{Run, RunEntry};
use vanish::output::plot::range::{axis_range, decades, finite_range, padded, ticks, view};
use vanish::output::plot::{CsvTable, Drawn, check_name, figures_for, input};
use vanish::sweep::engine::checker;
use vanish::sweep::grid::Grid;
use vanish::sweep::journal::{self, JOURNAL};
use vanish::sweep::table::{CellRecord, TableSweep};

/// A target: its name (the folder of its corpus) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 11] = [
    ("dist", dist),
    ("grid", grid),
    ("grid_values", grid_values),
    ("config", config),
    ("rule", rule),
    ("table_journal", table_journal),
    ("train_journal", train_journal),
    ("trajectories", trajectories),
    ("plot_input", plot_input),
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
// The values of a grid's flag (`table --n 0.5:4:0.5`) and `table --config`

/// A flag's values as `table` reads them (underscores dropped): finite, at most 10^6.
pub fn grid_values(data: &[u8]) {
    let Some(flag) = text(data) else { return };
    let Ok(values) = vanish::sweep::grid::parse_values("--n", &flag.replace('_', "")) else {
        return;
    };
    assert!(
        !values.is_empty() && values.len() <= 1_000_001,
        "{} values",
        values.len()
    );
    assert!(values.iter().all(|v| v.is_finite()), "{flag:?}: {values:?}");
}

/// A `--config` TOML text as `table` reads it; every value that is read is then read as a
/// grid flag's values, as an axis key's would be.
pub fn config(data: &[u8]) {
    let Some(toml) = text(data) else { return };
    let Ok(values) = vanish::cli::parse_config(toml) else {
        return;
    };
    for (key, value) in &values {
        assert!(!key.contains('-'), "key {key:?}");
        if let Ok(v) = value {
            grid_values(v.as_bytes());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Journals (read from memory: `journal::read_from` is the code path of `journal::read`)

/// A table's journal.jsonl as `--resume` reads it: the header, its grid, then every record
/// through the engine's check of a table's records (whose columns come from one sample of
/// cell 0, so a grid of a costly cell 0 is read with no check of its rows). Every line
/// that unseals seals back to a line that unseals to the same object.
pub fn table_journal(data: &[u8]) {
    let path = Path::new(JOURNAL);
    for line in data.split(|&b| b == b'\n').filter_map(|l| text(l)) {
        if let Ok(object) = journal::unseal(line)
            && object.starts_with('{')
            && object.len() > 2
        {
            assert_eq!(
                journal::unseal(&journal::seal(&object)).as_deref(),
                Ok(&*object)
            );
        }
    }
    let Ok(header) = journal::read_header_from(data, path) else {
        return;
    };
    let Ok(grid) = Grid::from_json(&header["grid"]) else {
        return;
    };
    check_grid(&grid);
    let cheap = grid.cells() > 0 && grid.cost(0) <= 1e6;
    let (no_start, no_block) = (|_: &[usize]| {}, |_: u64| {});
    let sweep = TableSweep::new(&grid, &no_start, &no_block);
    let read = if cheap {
        journal::read_from::<CellRecord>(data, path, checker(&sweep))
    } else {
        journal::read_from::<CellRecord>(data, path, |_| Ok(()))
    };
    let Ok((_, records, good)) = read else { return };
    assert!(good as usize <= data.len());
    if cheap {
        let cells: BTreeSet<usize> = records.iter().map(|r| r.cell).collect();
        assert_eq!(cells.len(), records.len(), "a cell twice");
        assert!(records.iter().all(|r| r.cell < grid.cells()));
    }
}

/// A training journal.jsonl as `--resume` reads it (every run once): a run that is read
/// writes as an entry that reads back to the same entry.
pub fn train_journal(data: &[u8]) {
    let mut seen = BTreeSet::new();
    let unique = |e: &RunEntry| {
        if seen.insert(e.run) {
            Ok(())
        } else {
            Err(format!("holds run {} a second time", e.run))
        }
    };
    let Ok((_, entries, good)) = journal::read_from::<RunEntry>(data, Path::new(JOURNAL), unique)
    else {
        return;
    };
    assert!(good as usize <= data.len());
    let Ok(runs) = entries
        .iter()
        .map(RunEntry::to_run)
        .collect::<Result<Vec<Run>, _>>()
    else {
        return;
    };
    for run in &runs {
        let entry = RunEntry::from(run);
        let again = entry.to_run().expect("a written entry reads back");
        assert_eq!(RunEntry::from(&again), entry);
    }
}

// ---------------------------------------------------------------------------------------
// trajectories.csv, as `markov` reads it

/// The file of `vanish markov FILE` (read, not analysed). A first line `rule: FLAGS` sets
/// `--state` (or `--bins` when FLAGS holds a ':'); the default is
/// `--state 'probe_gain < 1e-6'`.
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
    let Ok(runs) = RunSeries::parse_csv(csv.as_bytes(), "trajectories.csv", &rule) else {
        return;
    };
    for r in &runs {
        assert_eq!(r.steps.len(), r.values.len());
        assert!(
            r.steps.windows(2).all(|w| w[0] < w[1]),
            "steps out of order"
        );
        let seq = rule.sequence(&r.values, r.converge.as_deref());
        assert!(seq.states.iter().all(|&s| s <= rule.states()));
    }
}

// ---------------------------------------------------------------------------------------
// The files of a run folder, as `plot` and `report` read them

/// `sim`'s summary.json as `plot` and `report` read it (through its schema).
pub fn summary_json(data: &[u8]) {
    let Some(json) = text(data) else { return };
    let _ =
        vanish::output::schema::parse::<vanish::output::results::SimSummary>(json, "summary.json");
}

/// The axis of `values` as a figure draws it: finite ends in order, and few finite
/// ticks (the tick search once never ended on an infinite or 1e308-wide range).
fn check_axis(values: &[f64]) {
    let (lo, hi) = finite_range(values.iter().copied());
    for (a, b) in [axis_range(values), padded(lo, hi), view(lo, hi)] {
        assert!(
            a.is_finite() && b.is_finite() && a < b,
            "{a}..{b} of {lo}..{hi}"
        );
        let t = ticks((a, b), 10);
        assert!(t.len() <= 101, "{} ticks on {a}..{b}", t.len());
        assert!(t.iter().all(|v| v.is_finite()), "{t:?} on {a}..{b}");
    }
    let (a, b) = decades(lo.abs(), hi.abs());
    assert!(
        a > 0.0 && b.is_finite() && a < b,
        "decades {a}..{b} of {lo}..{hi}"
    );
    let t = ticks((a.log10(), b.log10()), 10);
    assert!(t.len() <= 101 && t.iter().all(|v| v.is_finite()), "{t:?}");
}

/// The parsers of [`plot_input`], by file name.
const PLOT_FILES: [&str; 10] = [
    "table.csv",
    "histogram.csv",
    "exact_density.csv",
    "phase.csv",
    "critical.csv",
    "thresholds.csv",
    "survival.csv",
    "table.json",
    "manifest.json",
    "name",
];

/// One file of a run folder through the parser `plot` and `report` give it, then the axes
/// of what it holds.
fn plot_file(which: usize, text: &str) {
    match which {
        0 => {
            let Ok(t) = CsvTable::parse(text) else { return };
            for row in &t.rows {
                assert_eq!(row.len(), t.header.len(), "a row of another length");
            }
            for name in &t.header {
                if let Ok(v) = t.numbers(name) {
                    check_axis(&v);
                }
                if let Ok(v) = t.finite(name) {
                    assert!(v.iter().all(|x| x.is_finite()));
                    check_axis(&v);
                }
            }
        }
        1 | 2 => {
            let read = if which == 1 {
                input::histogram_bins(text)
            } else {
                input::exact_bins(text)
            };
            let Ok(b) = read else { return };
            assert!(b.lo.len() == b.hi.len() && b.hi.len() == b.mass.len());
            for i in 0..b.lo.len() {
                assert!(b.lo[i] <= b.hi[i] && b.mass[i] >= 0.0 && b.mass[i].is_finite());
            }
            check_axis(&[b.lo, b.hi].concat());
            check_axis(&b.mass);
        }
        3 => {
            let Ok(p) = input::phase_points(text) else {
                return;
            };
            check_axis(&p.sigma_w);
            check_axis(&p.sigma_b);
            check_axis(&p.chi1);
        }
        4 => {
            let Ok(line) = input::critical_line(text) else {
                return;
            };
            let (x, y): (Vec<f64>, Vec<f64>) = line.into_iter().unzip();
            check_axis(&x);
            check_axis(&y);
        }
        5 => {
            let Ok((a, lo, hi)) = input::threshold_span(text) else {
                return;
            };
            check_axis(&[a, lo, hi]);
        }
        6 => {
            let Ok(s) = input::survival_curve(text) else {
                return;
            };
            check_axis(&s.t);
            check_axis(&s.km);
            check_axis(&s.geometric);
        }
        7 => {
            let Ok(axes) = input::grid_axes(text) else {
                return;
            };
            assert!(axes.iter().all(|(name, _)| input::is_identifier(name)));
        }
        8 => {
            let Ok(m) = input::run_manifest(text) else {
                return;
            };
            for f in &m.files {
                assert!(
                    !f.is_empty() && !f.contains('/') && f != "..",
                    "lists {f:?}"
                );
            }
        }
        _ => {
            if check_name(text).is_ok() {
                assert!(
                    !text.contains(['/', '\\', '.']) && !text.is_empty(),
                    "{text:?}"
                );
            }
            if input::is_identifier(text) {
                assert!(text.len() <= 64 && !text.contains(['/', '.']));
            }
        }
    }
}

/// The readers of a run's files for `plot` and `report`, and the ranges and ticks of what
/// they read. The input is a run folder packed as [`unpack`] reads it (when it starts
/// with `=== `: each file to its parser, [`PLOT_FILES`], another `.csv` to the CSV
/// table), else one file whose first byte picks the parser (its index in [`PLOT_FILES`],
/// modulo their number).
pub fn plot_input(data: &[u8]) {
    if data.starts_with(b"=== ") {
        for (name, bytes) in unpack(data) {
            let Some(text) = text(&bytes) else { continue };
            match PLOT_FILES.iter().position(|f| *f == name) {
                Some(which) => plot_file(which, text),
                None if name.ends_with(".csv") => plot_file(0, text),
                None => {}
            }
        }
        return;
    }
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Some(text) = text(rest) else { return };
    plot_file(usize::from(first) % PLOT_FILES.len(), text);
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
