//! `vanish markov`: the seed's two-state chain (or k states) fitted to trajectories.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::markov::ChainFit;
use crate::output::{csv_text, prepare_out_dir, write_atomic};
use crate::results::{fmt, num};

const EXAMPLES: &str = "Examples:
  vanish markov runs/trajectories.csv
  vanish markov runs/trajectories.csv --state 'gain < 1e-8' --out runs/chain
  vanish markov runs/trajectories.csv --bins 'gain: 1e-12, 1e-6, 1' --json

The file is a tidy CSV with a `run` and a `step` column and one column per recorded
quantity (`vanish train` writes one; any tool can). Rows may come in any order; each run's
rows are taken in increasing step. A run whose state column is NaN (a diverged run) ends
there; the number of such runs is reported.";

/// The raw flags of `vanish markov`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct MarkovArgs {
    /// The trajectories CSV.
    file: PathBuf,
    /// The rule that puts a record in [g∼0]: COLUMN < VALUE (or <=, >, >=); every other
    /// record is [g≫0].
    #[arg(long, default_value = "gain < 1e-6")]
    state: String,
    /// k states instead of two: COLUMN: EDGE1, EDGE2, … (increasing); state i holds the
    /// values between edge i and edge i+1 (state 0 below the first edge).
    #[arg(long, conflicts_with = "state")]
    bins: Option<String>,
    /// Write markov.json and (two states) survival.csv into this folder.
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// Print the JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// How a record's value becomes a state.
pub(super) enum Rule {
    /// Two states: 1 ([g∼0]) when the comparison holds.
    Threshold {
        column: String,
        op: String,
        value: f64,
    },
    /// k states by bins.
    Bins { column: String, edges: Vec<f64> },
}

impl Rule {
    pub(super) fn column(&self) -> &str {
        match self {
            Rule::Threshold { column, .. } | Rule::Bins { column, .. } => column,
        }
    }

    /// Whether this is the two-state chain [g≫0] / [g∼0] (a threshold rule), for which
    /// escape, absorption and the first vanish mean something.
    pub(super) fn is_two_state(&self) -> bool {
        matches!(self, Rule::Threshold { .. })
    }

    fn states(&self) -> usize {
        match self {
            Rule::Threshold { .. } => 2,
            Rule::Bins { edges, .. } => edges.len() + 1,
        }
    }

    pub(super) fn state(&self, v: f64) -> usize {
        match self {
            Rule::Threshold { op, value, .. } => {
                let hit = match op.as_str() {
                    "<" => v < *value,
                    "<=" => v <= *value,
                    ">" => v > *value,
                    _ => v >= *value,
                };
                usize::from(hit)
            }
            Rule::Bins { edges, .. } => edges.iter().filter(|&&e| v >= e).count(),
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Rule::Threshold { column, op, value } => format!("{column} {op} {}", fmt(*value)),
            Rule::Bins { column, edges } => format!(
                "{column} binned at {}",
                edges.iter().map(|e| fmt(*e)).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

pub(super) fn parse_rule(state: &str, bins: Option<&str>) -> Result<Rule, ConfigError> {
    if let Some(b) = bins {
        let bad = |m: &str| ConfigError::new("--bins", format!("'{b}': {m}"));
        let (column, edges) = b
            .split_once(':')
            .ok_or_else(|| bad("give COLUMN: EDGE1, EDGE2, …"))?;
        let edges = edges
            .split(',')
            .map(|e| e.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| bad("edges must be finite numbers"))?;
        if edges.is_empty() || edges.windows(2).any(|w| w[0] >= w[1]) || edges.len() > 63 {
            return Err(bad("give 1 to 63 increasing edges"));
        }
        return Ok(Rule::Bins {
            column: column.trim().to_string(),
            edges,
        });
    }
    let bad = || {
        ConfigError::new(
            "--state",
            format!("'{state}': give COLUMN < VALUE (or <=, >, >=), e.g. 'gain < 1e-6'"),
        )
    };
    for op in ["<=", ">=", "<", ">"] {
        if let Some((column, value)) = state.split_once(op) {
            let value: f64 = value.trim().parse().map_err(|_| bad())?;
            let column = column.trim();
            if column.is_empty() || !value.is_finite() {
                return Err(bad());
            }
            return Ok(Rule::Threshold {
                column: column.to_string(),
                op: op.to_string(),
                value,
            });
        }
    }
    Err(bad())
}

/// The state sequences of a trajectories CSV, by run, and the number of runs cut short by a
/// NaN.
fn read_runs(path: &std::path::Path, rule: &Rule) -> Result<(Vec<Vec<usize>>, usize), ConfigError> {
    let shown = path.display().to_string();
    let bad = |m: String| ConfigError::new("FILE", format!("'{shown}': {m}"));
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("no CSV header: {e}")))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                bad(format!(
                    "no column '{name}' (columns: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ))
            })
    };
    let (run_col, step_col, value_col) = (find("run")?, find("step")?, find(rule.column())?);
    let mut by_run: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(format!("row {}: {e}", line + 2)))?;
        let number = |col: usize, what: &str| -> Result<f64, ConfigError> {
            record
                .get(col)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| bad(format!("row {}: {what} is not a number", line + 2)))
        };
        let step = number(step_col, "step")?;
        if !step.is_finite() {
            return Err(bad(format!("row {}: step is not finite", line + 2)));
        }
        let value = number(value_col, rule.column())?;
        let run = record.get(run_col).unwrap_or_default().trim().to_string();
        by_run.entry(run).or_default().push((step, value));
    }
    if by_run.is_empty() {
        return Err(bad("no rows".into()));
    }
    let mut diverged = 0;
    let mut runs = Vec::with_capacity(by_run.len());
    for (run, mut rows) in by_run {
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(bad(format!("run '{run}' has step {} twice", fmt(w[0].0))));
        }
        let end = rows.iter().position(|r| r.1.is_nan()).unwrap_or(rows.len());
        diverged += usize::from(end < rows.len());
        runs.push(rows[..end].iter().map(|r| rule.state(r.1)).collect());
    }
    Ok((runs, diverged))
}

pub(super) fn run(args: MarkovArgs) -> anyhow::Result<()> {
    let rule = parse_rule(&args.state, args.bins.as_deref())?;
    let (runs, diverged) = read_runs(&args.file, &rule)?;
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let fit = ChainFit::new(&runs, rule.states());
    let names: Vec<String> = if rule.is_two_state() {
        vec!["[g≫0]".into(), "[g∼0]".into()]
    } else {
        (0..rule.states()).map(|i| format!("s{i}")).collect()
    };
    let json = report_json(&fit, &rule, &names, diverged);
    let pretty = {
        let mut t = serde_json::to_string_pretty(&json).expect("serialisable");
        t.push('\n');
        t
    };
    if let Some(dir) = out {
        let mut files = vec![("markov.json", pretty.clone())];
        if rule.is_two_state() {
            files.push(("survival.csv", survival_csv(&fit)));
        }
        for (name, body) in files {
            let path = dir.join(name);
            write_atomic(&path, body.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.json {
        return super::print_stdout(&pretty);
    }
    super::print_stdout(&report_table(&fit, &rule, &names, diverged, &args.file))
}

pub(super) fn report_json(fit: &ChainFit, rule: &Rule, names: &[String], diverged: usize) -> Value {
    let test = |t: crate::markov::LrTest| json!({"statistic": num(t.statistic), "df": t.df, "p_value": num(t.p_value)});
    let mut hist = hdrhistogram::Histogram::<u64>::new(3).expect("valid sigfig");
    hist.auto(true);
    for t in fit.first_vanish_times() {
        hist.record(t).expect("auto-resizing");
    }
    json!({
        "rule": rule.describe(),
        "states": names,
        "runs": fit.runs,
        "diverged_runs": diverged,
        "transitions": fit.transitions(),
        "counts": fit.counts,
        "p": fit.p.iter().map(|r| r.iter().map(|&v| num(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "p_clopper_pearson_95": fit.intervals.iter().map(|r| r.iter().map(|&(lo, hi)| json!([num(lo), num(hi)])).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "stationary": fit.stationary().map_or(Value::Null, |p| json!(p)),
        "order_test": test(fit.order_test()),
        "homogeneity_test": test(fit.homogeneity_test()),
        "escape": fit.escape().filter(|_| rule.is_two_state()).map_or(Value::Null, |e| json!({
            "escapes": e.escapes, "trials": e.trials, "p": num(e.p), "upper_95": num(e.upper_95),
        })),
        "records_to_absorption": fit.time_to_absorption().filter(|_| rule.is_two_state()).map_or(Value::Null, |(m, (lo, hi))| json!({
            "mean": num(m), "ci95": [num(lo), num(hi)],
        })),
        "first_vanish": if rule.is_two_state() { json!({
            "vanished_runs": fit.first_vanish_times().count(),
            "never_vanished_runs": fit.never_vanished(),
            "started_vanished_runs": fit.started_elsewhere(),
            "geometric_fit": fit.geometric_fit().map_or(Value::Null, test),
            "hdr_v2_deflate_base64": crate::output::hdr_base64(&hist),
        }) } else { Value::Null },
    })
}

pub(super) fn report_table(
    fit: &ChainFit,
    rule: &Rule,
    names: &[String],
    diverged: usize,
    file: &std::path::Path,
) -> String {
    let mut t = String::new();
    let mut line = |l: String| {
        t.push_str(&l);
        t.push('\n');
    };
    let kind = if rule.is_two_state() {
        "two-state"
    } else {
        "k-state"
    };
    line(format!(
        "{kind} chain from {}: {} runs ({diverged} cut short by NaN), {} transitions; state by {}",
        file.display(),
        fit.runs,
        fit.transitions(),
        rule.describe()
    ));
    line(String::new());
    let mut head = format!("{:<8}", "from");
    for n in names {
        head.push_str(&format!(" {:>30}", format!("→ {n}")));
    }
    line(head);
    for (i, n) in names.iter().enumerate() {
        let mut row = format!("{n:<8}");
        for j in 0..fit.k {
            let (lo, hi) = fit.intervals[i][j];
            row.push_str(&format!(
                " {:>30}",
                format!(
                    "{} [{}, {}] ({})",
                    short(fit.p[i][j]),
                    short(lo),
                    short(hi),
                    fit.counts[i][j]
                )
            ));
        }
        line(row);
    }
    line(String::new());
    match fit.stationary() {
        Some(pi) => line(format!(
            "stationary distribution: {}",
            names
                .iter()
                .zip(&pi)
                .map(|(n, p)| format!("{n} {}", short(*p)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => line(
            "stationary distribution: none (a state was never left, or it is not unique)".into(),
        ),
    }
    if let Some(e) = fit.escape().filter(|_| rule.is_two_state()) {
        line(format!(
            "escape from [g∼0]: {} of {} transitions out of it; p = {} (95% upper bound {})",
            e.escapes,
            e.trials,
            short(e.p),
            short(e.upper_95)
        ));
    }
    if let Some((m, (lo, hi))) = fit.time_to_absorption().filter(|_| rule.is_two_state()) {
        line(format!(
            "records from [g≫0] to [g∼0]: 1/p01 = {} (95% CI [{}, {}])",
            short(m),
            short(lo),
            short(hi)
        ));
    }
    if rule.is_two_state() {
        let fit_line = fit
            .geometric_fit()
            .map_or("too few events to test".into(), |g| {
                format!(
                    "geometric fit χ² = {}, df {}, p = {}",
                    short(g.statistic),
                    g.df,
                    short(g.p_value)
                )
            });
        line(format!(
            "first vanish (runs starting in [g≫0]): {} runs, never: {}; {} started in [g∼0]; \
             {fit_line}",
            fit.first_vanish_times().count(),
            fit.never_vanished(),
            fit.started_elsewhere()
        ));
    }
    for (what, test) in [
        ("first vs second order", fit.order_test()),
        ("homogeneity (first vs second half)", fit.homogeneity_test()),
    ] {
        line(format!(
            "{what}: G = {}, df {}, p = {}",
            short(test.statistic),
            test.df,
            short(test.p_value)
        ));
    }
    t
}

pub(super) fn short(v: f64) -> String {
    if !v.is_finite() {
        return fmt(v);
    }
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        format!("{}", format!("{v:.4}").parse::<f64>().unwrap_or(v))
    } else {
        format!("{v:.3e}")
    }
}

/// survival.csv: Kaplan–Meier against the fitted chain's geometric law, per time.
pub(super) fn survival_csv(fit: &ChainFit) -> String {
    let header = [
        "t",
        "at_risk",
        "events",
        "km_survival",
        "geometric_survival",
    ]
    .map(String::from);
    let rows: Vec<Vec<String>> = fit
        .survival()
        .iter()
        .map(|s| {
            vec![
                s.t.to_string(),
                s.at_risk.to_string(),
                s.events.to_string(),
                fmt(s.survival),
                fmt(s.geometric),
            ]
        })
        .collect();
    csv_text(&header, &rows)
}
