//! `vanish markov`: the seed's two-state chain (or k states) fitted to trajectories.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};

use crate::dynamics::markov::ChainFit;
use crate::dynamics::oneway::OneWayTest;
use crate::dynamics::states::{FirstEvent, Sequence, StateRule};
use crate::error::ConfigError;
use crate::output::files::{csv_text, prepare_out_dir, write_atomic};
use crate::output::results::{fmt, num};

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
    /// The rule that puts a record in [g∼0]: COLUMN < VALUE (or <=, >, >=); a run leaves
    /// [g∼0] only across --leave.
    #[arg(long, default_value = "probe_gain < 1e-6")]
    state: String,
    /// k states instead of two: COLUMN: EDGE1, EDGE2, … (increasing); state i holds the
    /// values between edge i and edge i+1 (state 0 below the first edge).
    #[arg(long, conflicts_with = "state")]
    bins: Option<String>,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Seed of the run-level resampling.
    #[arg(short, long, default_value_t = 1)]
    seed: u64,
    /// Write markov.json and (two states) survival.csv, risks.csv, viterbi.csv and ppc.csv
    /// into this folder.
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// Print the JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// How a run's values become states.
pub(super) enum Rule {
    /// Two states with hysteresis, and optionally [converged] ([`StateRule`]).
    Band(StateRule),
    /// k states by bins.
    Bins { column: String, edges: Vec<f64> },
}

impl Rule {
    pub(super) fn column(&self) -> &str {
        match self {
            Rule::Band(r) => r.column(),
            Rule::Bins { column, .. } => column,
        }
    }

    /// The [converged] rule's column, if there is one.
    pub(super) fn convergence_column(&self) -> Option<&str> {
        match self {
            Rule::Band(r) => r.convergence.as_ref().map(|c| c.column()),
            Rule::Bins { .. } => None,
        }
    }

    /// Whether this is the two-state chain [g≫0] / [g∼0], for which escape, absorption and
    /// the first vanish mean something.
    pub(super) fn is_two_state(&self) -> bool {
        matches!(self, Rule::Band(_))
    }

    fn states(&self) -> usize {
        match self {
            Rule::Band(_) => 2,
            Rule::Bins { edges, .. } => edges.len() + 1,
        }
    }

    /// The states of one run from its values (and those of the convergence column).
    pub(super) fn sequence(&self, values: &[f64], converge: Option<&[f64]>) -> Sequence {
        match self {
            Rule::Band(r) => r.sequence(values, converge),
            Rule::Bins { edges, .. } => {
                let end = values
                    .iter()
                    .position(|v| v.is_nan())
                    .unwrap_or(values.len());
                Sequence {
                    states: values[..end]
                        .iter()
                        .map(|&v| edges.iter().filter(|&&e| v >= e).count())
                        .collect(),
                    cut_by_nan: end < values.len(),
                    crossed_down: false,
                }
            }
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Rule::Band(r) => r.describe(),
            Rule::Bins { column, edges } => format!(
                "{column} binned at {}",
                edges.iter().map(|e| fmt(*e)).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

pub(super) fn parse_rule(
    state: &str,
    leave: Option<f64>,
    converged: Option<&str>,
    bins: Option<&str>,
) -> Result<Rule, ConfigError> {
    if let Some(b) = bins {
        let bad = |m: &str| ConfigError::new("--bins", format!("'{b}': {m}"));
        if leave.is_some() || converged.is_some() {
            return Err(bad(
                "k states by bins have no hysteresis and no [converged]: drop --leave and --converged",
            ));
        }
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
    StateRule::parse(state, leave, converged).map(Rule::Band)
}

/// One run of a trajectories CSV: its steps, the state column and the convergence column.
pub(super) struct RunSeries {
    pub(super) id: String,
    pub(super) steps: Vec<f64>,
    pub(super) values: Vec<f64>,
    pub(super) converge: Option<Vec<f64>>,
}

/// The runs of a trajectories CSV, each in increasing step.
fn read_runs(path: &std::path::Path, rule: &Rule) -> Result<Vec<RunSeries>, ConfigError> {
    let shown = path.display().to_string();
    let bad = |m: String| ConfigError::new("FILE", format!("'{shown}': {m}"));
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| bad(format!("no CSV header: {e}")))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let columns = || headers.iter().collect::<Vec<_>>().join(", ");
    let need = |name: &str| {
        find(name).ok_or_else(|| bad(format!("no column '{name}' (columns: {})", columns())))
    };
    let (run_col, step_col, value_col) = (need("run")?, need("step")?, need(rule.column())?);
    let converge_col = match rule.convergence_column() {
        Some(name) => Some(find(name).ok_or_else(|| {
            ConfigError::new(
                "--converged",
                format!("'{shown}' has no column '{name}' (columns: {})", columns()),
            )
        })?),
        None => None,
    };
    type Row = (f64, f64, f64);
    let mut by_run: BTreeMap<String, Vec<Row>> = BTreeMap::new();
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
        let conv = match converge_col {
            Some(c) => number(c, rule.convergence_column().unwrap_or_default())?,
            None => f64::NAN,
        };
        let run = record.get(run_col).unwrap_or_default().trim().to_string();
        by_run.entry(run).or_default().push((step, value, conv));
    }
    if by_run.is_empty() {
        return Err(bad("no rows".into()));
    }
    // Runs in numeric order when every id is a number (0, 1, 2, …, 10 as `train` writes
    // them), else in text order: the folds of the latent models go by this order.
    let mut by_run: Vec<(String, Vec<Row>)> = by_run.into_iter().collect();
    if by_run.iter().all(|(id, _)| id.parse::<f64>().is_ok()) {
        by_run.sort_by(|a, b| {
            let (x, y): (f64, f64) = (a.0.parse().unwrap_or(0.0), b.0.parse().unwrap_or(0.0));
            x.total_cmp(&y)
        });
    }
    let mut runs = Vec::with_capacity(by_run.len());
    for (run, mut rows) in by_run {
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(bad(format!("run '{run}' has step {} twice", fmt(w[0].0))));
        }
        runs.push(RunSeries {
            id: run.clone(),
            steps: rows.iter().map(|r| r.0).collect(),
            values: rows.iter().map(|r| r.1).collect(),
            converge: converge_col.map(|_| rows.iter().map(|r| r.2).collect()),
        });
    }
    Ok(runs)
}

/// Everything fitted to a set of runs.
pub(super) struct Analysis {
    pub(super) fit: ChainFit,
    pub(super) sequences: Vec<Sequence>,
    /// The step of each run's first event (runs that start in [g≫0]).
    pub(super) first_events: Vec<Option<(FirstEvent, f64)>>,
    pub(super) diverged: usize,
    pub(super) one_way: Option<OneWayTest>,
    /// The race of vanishing, convergence and divergence (runs that start in [g≫0]).
    pub(super) risks: Option<crate::dynamics::risks::RiskBands>,
    /// The latent models on log10 of the state column (two-state rules only), or why not.
    pub(super) latent: Option<Result<crate::dynamics::latent::LatentStudy, String>>,
    /// First against second order on held-out runs.
    pub(super) orders: Option<crate::dynamics::markov::OrderComparison>,
}

/// The competing risks' causes, in index order.
pub(super) const CAUSES: [&str; 3] = ["vanished", "converged", "diverged"];

/// The analysis settings shared by `markov` and `train --fit`.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// Leave [g∼0] only when the state column crosses back over this value (hysteresis)
    /// [default: three decades beyond a positive --state value; the same value otherwise].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    pub(super) leave: Option<f64>,
    /// A third, absorbing state [converged]: COLUMN < VALUE (e.g. 'loss < 0.01'), plateau,
    /// or plateau(W, REL) (the mean loss of W records improved by less than REL on the W
    /// before, while the gradient is alive).
    #[arg(long)]
    pub(super) converged: Option<String>,
    /// The one-way verdict's tolerance τ on the escape probability per record.
    #[arg(long, default_value_t = crate::dynamics::oneway::DEFAULT_TOLERANCE, value_parser = super::parse_finite)]
    pub(super) tolerance: f64,
    /// Replicates of the run-level resampling.
    #[arg(long, default_value = "2000", value_parser = super::parse_count)]
    pub(super) replicates: u64,
    /// Run-resampled refits of the two-state hidden Markov model (each is a full fit); 0
    /// skips the latent models.
    #[arg(long, default_value = "100", value_parser = super::parse_count)]
    pub(super) latent_replicates: u64,
}

impl AnalysisArgs {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if !(self.tolerance > 0.0 && self.tolerance < 1.0) {
            return Err(ConfigError::new("--tolerance", "must be in (0, 1)"));
        }
        if !(100..=1_000_000).contains(&self.replicates) {
            return Err(ConfigError::new(
                "--replicates",
                "must be 100 to 1000000 (percentile intervals need at least 100)",
            ));
        }
        if self.latent_replicates != 0 && !(20..=100_000).contains(&self.latent_replicates) {
            return Err(ConfigError::new(
                "--latent-replicates",
                "must be 0 (no latent models) or 20 to 100000",
            ));
        }
        Ok(())
    }
}

/// Fits the chain to the runs' states and, for two states, judges the one-way street.
pub(super) fn analyse(
    runs: &[RunSeries],
    rule: &Rule,
    settings: &AnalysisArgs,
    seed: u64,
) -> Analysis {
    let sequences: Vec<Sequence> = runs
        .iter()
        .map(|r| rule.sequence(&r.values, r.converge.as_deref()))
        .collect();
    // The two-state chain stops at [converged]; bins have no such state.
    let chain: Vec<Vec<usize>> = sequences
        .iter()
        .map(|s| match rule {
            Rule::Band(_) => s.chain_states().to_vec(),
            Rule::Bins { .. } => s.states.clone(),
        })
        .collect();
    let fit = ChainFit::new(&chain, rule.states());
    let crossings = sequences.iter().filter(|s| s.crossed_down).count();
    let one_way = rule.is_two_state().then(|| {
        crate::dynamics::oneway::one_way(
            &fit,
            &chain,
            crossings,
            settings.tolerance,
            settings.replicates as usize,
            seed,
        )
    });
    let first_events: Vec<Option<(FirstEvent, f64)>> = sequences
        .iter()
        .zip(runs)
        .map(|(s, r)| s.first_event().map(|e| (e, r.steps[e.record()])))
        .collect();
    let outcomes: Vec<crate::dynamics::risks::Outcome> = (first_events.iter().flatten())
        .map(|&(e, step)| crate::dynamics::risks::Outcome {
            time: step,
            cause: e.cause(),
        })
        .collect();
    // The curves at every recorded step of the runs.
    let mut grid: Vec<f64> = runs.iter().flat_map(|r| r.steps.iter().copied()).collect();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let risks = (rule.is_two_state() && !outcomes.is_empty())
        .then(|| {
            crate::dynamics::risks::bootstrap(
                &outcomes,
                CAUSES.len(),
                &grid,
                settings.replicates as usize,
                seed,
            )
            .ok()
        })
        .flatten();
    let latent = match rule {
        Rule::Band(_) if settings.latent_replicates == 0 => None,
        Rule::Band(r) => Some(crate::dynamics::latent::study(
            &runs
                .iter()
                .map(|x| x.values.iter().map(|v| v.log10()).collect())
                .collect::<Vec<Vec<f64>>>(),
            r,
            &crate::dynamics::latent::LatentOptions {
                replicates: settings.latent_replicates as usize,
                seed,
                ..Default::default()
            },
        )),
        Rule::Bins { .. } => None,
    };
    let orders = crate::dynamics::markov::OrderComparison::new(&chain, rule.states(), 5);
    Analysis {
        fit,
        first_events,
        risks,
        latent,
        orders,
        diverged: sequences.iter().filter(|s| s.cut_by_nan).count(),
        sequences,
        one_way,
    }
}

pub(super) fn run(args: MarkovArgs) -> anyhow::Result<()> {
    args.analysis.check()?;
    let rule = parse_rule(
        &args.state,
        args.analysis.leave,
        args.analysis.converged.as_deref(),
        args.bins.as_deref(),
    )?;
    let runs = read_runs(&args.file, &rule)?;
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let analysis = analyse(&runs, &rule, &args.analysis, args.seed);
    let names = state_names(&rule);
    let json = report_json(&analysis, &rule, &names);
    let pretty = {
        let mut t = serde_json::to_string_pretty(&json).expect("serialisable");
        t.push('\n');
        t
    };
    if let Some(dir) = out {
        let mut files = vec![("markov.json", pretty.clone())];
        if rule.is_two_state() {
            files.push(("survival.csv", survival_csv(&analysis.fit)));
        }
        if let Some(b) = &analysis.risks {
            files.push(("risks.csv", risks_csv(b)));
        }
        if let Some(Ok(l)) = &analysis.latent {
            files.push(("viterbi.csv", viterbi_csv(&runs, l)));
            files.push(("ppc.csv", ppc_csv(l)));
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
    super::print_stdout(&report_table(&analysis, &rule, &names, &args.file))
}

/// The states' names.
pub(super) fn state_names(rule: &Rule) -> Vec<String> {
    if rule.is_two_state() {
        vec!["[g≫0]".into(), "[g∼0]".into()]
    } else {
        (0..rule.states()).map(|i| format!("s{i}")).collect()
    }
}

pub(super) fn report_json(a: &Analysis, rule: &Rule, names: &[String]) -> Value {
    let (fit, diverged) = (&a.fit, a.diverged);
    let test = |t: crate::dynamics::markov::LrTest| {
        json!({
            "statistic": num(t.statistic), "df": t.df, "p_value": num(t.p_value),
            "min_expected_count": num(t.min_expected), "chi2_approximation_reliable": t.chi2_reliable(),
        })
    };
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
        "order_heldout": a.orders.as_ref().map_or(Value::Null, |c| json!({
            "first_order": num(c.first),
            "second_order": num(c.second),
            "margin_second_minus_first": num(c.margin.0),
            "margin_se_paired_by_run": num(c.margin.1),
            "bic_first": num(c.bic.0),
            "bic_second": num(c.bic.1),
            "transitions_scored": c.transitions,
            "method": "5 folds by run; add-½ estimates; both score transitions from each run's third state on",
        })),
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
            "hdr_v2_deflate_base64": crate::output::files::hdr_base64(&hist),
        }) } else { Value::Null },
        "one_way": a.one_way.as_ref().map_or(Value::Null, one_way_json),
        "first_events": if rule.is_two_state() { first_events_json(a) } else { Value::Null },
        "competing_risks": a.risks.as_ref().map_or(Value::Null, risks_json),
        "latent": match &a.latent {
            Some(Ok(l)) => latent_json(l),
            Some(Err(why)) => json!({"model": null, "reason": why}),
            None => Value::Null,
        },
    })
}

/// The latent models: the comparison, the two-state HMM with intervals, the check.
fn latent_json(l: &crate::dynamics::latent::LatentStudy) -> Value {
    // Percentile intervals of a parameter at its boundary (an escape near 0) can exclude
    // the estimate; they are widened to hold it.
    let iv = |p: &crate::dynamics::hmm::ParameterInterval| json!({"estimate": num(p.estimate), "ci95": [num(p.lower.min(p.estimate)), num(p.upper.max(p.estimate))]});
    let b = &l.two_state;
    json!({
        "data": "log10 of the state column per record (a run ends at its first value that is not positive and finite)",
        "comparison": l.scores.iter().map(|s| json!({
            "model": s.model,
            "heldout_log_likelihood": num(s.heldout.log_likelihood),
            "heldout_per_record": num(s.heldout.per_observation),
            "folds": s.heldout.folds,
            "bic": num(s.bic),
        })).collect::<Vec<_>>(),
        "winner": l.winner,
        "runner_up": l.runner_up,
        "margin_heldout_log_likelihood": num(l.margin.0),
        "margin_se_paired_by_run": num(l.margin.1),
        "two_state_hmm": {
            "states": ["[g≫0] (higher mean)", "[g∼0] (lower mean)"],
            "intervals": "2.5 % and 97.5 % of run-resampled refits, widened to hold the estimate",
            "log_likelihood": num(b.fit.log_likelihood),
            "initial": b.initial.iter().map(iv).collect::<Vec<_>>(),
            "transition": b.transition.iter().map(|r| r.iter().map(iv).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "means_log10": b.means.iter().map(iv).collect::<Vec<_>>(),
            "sds_log10": b.sds.iter().map(iv).collect::<Vec<_>>(),
            "replicates": b.replicates,
            "failed_replicates": b.failed,
        },
        "posterior_check_coverage": {
            "hmm": num(l.coverage.0),
            "chain": num(l.coverage.1),
            "meaning": "share of record times whose observed occupancy of [g∼0] lies in the model's 95 % band of simulated data sets",
        },
    })
}

/// viterbi.csv: the two-state HMM's most likely state per run and record.
pub(super) fn viterbi_csv(runs: &[RunSeries], l: &crate::dynamics::latent::LatentStudy) -> String {
    let header = ["run", "step", "state"].map(String::from);
    let mut rows = Vec::new();
    for (r, path) in l.viterbi.iter().enumerate() {
        for (t, s) in path.iter().enumerate() {
            rows.push(vec![
                runs[r].id.clone(),
                step_text(runs[r].steps[t]),
                s.to_string(),
            ]);
        }
    }
    csv_text(&header, &rows)
}

/// A step as written in trajectories: a whole number without a fraction.
fn step_text(step: f64) -> String {
    if step.fract() == 0.0 && step.abs() < 1e15 {
        format!("{}", step as i64)
    } else {
        fmt(step)
    }
}

/// ppc.csv: observed occupancy of [g∼0] and first passage per record, with the 95 % bands
/// of data simulated from the two-state HMM and from the observed-state chain.
pub(super) fn ppc_csv(l: &crate::dynamics::latent::LatentStudy) -> String {
    let header = [
        "record",
        "observed_occupancy",
        "hmm_occupancy_lower",
        "hmm_occupancy_upper",
        "chain_occupancy_lower",
        "chain_occupancy_upper",
        "observed_first_passage",
        "hmm_first_passage_lower",
        "hmm_first_passage_upper",
        "chain_first_passage_lower",
        "chain_first_passage_upper",
    ]
    .map(String::from);
    let rows: Vec<Vec<String>> = l
        .posterior_check
        .iter()
        .map(|p| {
            vec![
                p.t.to_string(),
                fmt(p.observed_occupancy),
                fmt(p.hmm_occupancy.0),
                fmt(p.hmm_occupancy.1),
                fmt(p.chain_occupancy.0),
                fmt(p.chain_occupancy.1),
                fmt(p.observed_first_passage),
                fmt(p.hmm_first_passage.0),
                fmt(p.hmm_first_passage.1),
                fmt(p.chain_first_passage.0),
                fmt(p.chain_first_passage.1),
            ]
        })
        .collect();
    csv_text(&header, &rows)
}

/// The competing-risk summary: by the last step, each cause's cumulative incidence and the
/// fraction that did none, with run-resampled 95 % intervals, and the median times.
fn risks_json(b: &crate::dynamics::risks::RiskBands) -> Value {
    let last = b.grid.len() - 1;
    let band = |x: f64, bd: &crate::dynamics::risks::Band| json!({"estimate": num(x), "ci95": [num(bd.lower), num(bd.upper)]});
    let e = &b.estimate;
    let t = b.grid[last];
    let mut causes = serde_json::Map::new();
    for (j, name) in CAUSES.iter().enumerate() {
        causes.insert(
            (*name).into(),
            json!({
                "incidence_by_T": band(e.cif(j, t), &b.cif[j][last]),
                "step_incidence_reaches_half": e.median_time(j).map(num),
                "median_step_among_runs_with_it": e.conditional_median_time(j).map(num),
            }),
        );
    }
    json!({
        "estimator": "Aalen–Johansen; intervals: 2.5 % and 97.5 % of run-resampled replicates",
        "runs": e.runs(),
        "T": num(t),
        "replicates": b.replicates,
        "causes": causes,
        "none_by_T": band(e.never_by(t), &b.survival[last]),
    })
}

/// risks.csv: the cumulative incidence of each cause and the survival at every step.
pub(super) fn risks_csv(b: &crate::dynamics::risks::RiskBands) -> String {
    let rows: Vec<Vec<String>> = b.rows().iter().map(|r| r.csv_record()).collect();
    csv_text(&crate::dynamics::risks::RiskRow::csv_header(&CAUSES), &rows)
}

/// What the runs that start in [g≫0] did first, with the median step of each.
fn first_events_json(a: &Analysis) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(
        "started_vanished".into(),
        json!(
            a.sequences
                .iter()
                .filter(|s| s.states.first() == Some(&1))
                .count()
        ),
    );
    let names = CAUSES
        .iter()
        .map(|&c| (c, Some(c)))
        .chain([("neither_by_end", None)]);
    for (name, cause) in names {
        let mut steps: Vec<f64> = a
            .first_events
            .iter()
            .flatten()
            .filter(|(e, _)| e.cause().map(|j| CAUSES[j]) == cause)
            .map(|&(_, step)| step)
            .collect();
        steps.sort_by(f64::total_cmp);
        let median = steps.get(steps.len() / 2).copied();
        out.insert(
            name.into(),
            json!({"runs": steps.len(), "median_step": median.map(num)}),
        );
    }
    Value::Object(out)
}

fn one_way_json(t: &OneWayTest) -> Value {
    let pair = |(lo, hi): (f64, f64)| json!([num(lo), num(hi)]);
    json!({
        "verdict": t.verdict.as_str(),
        "reason": t.reason,
        "rule": t.rule,
        "tolerance_per_record": num(t.tolerance),
        "escapes": t.escapes,
        "trials": t.trials,
        "p10": num(t.p),
        "interval95": pair(t.interval),
        "clopper_pearson95": pair(t.exact),
        "run_resampled95": t.resampled.map_or(Value::Null, pair),
        "replicates": t.replicates,
        "runs_crossing_band_down": t.crossings,
        "runs_exposed": t.runs_exposed,
        "min_crossings": crate::dynamics::oneway::MIN_CROSSINGS,
    })
}

pub(super) fn report_table(
    a: &Analysis,
    rule: &Rule,
    names: &[String],
    file: &std::path::Path,
) -> String {
    let (fit, diverged) = (&a.fit, a.diverged);
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
        (
            "homogeneity (before vs after half the longest run)",
            fit.homogeneity_test(),
        ),
    ] {
        let warn = if test.df > 0 && !test.chi2_reliable() {
            format!(
                " (an expected count is {} < {}: the χ² p-value is only indicative)",
                short(test.min_expected),
                crate::dynamics::markov::MIN_EXPECTED
            )
        } else {
            String::new()
        };
        line(format!(
            "{what}: G = {}, df {}, p = {}{warn}",
            short(test.statistic),
            test.df,
            short(test.p_value)
        ));
    }
    if let Some(c) = &a.orders {
        line(format!(
            "first vs second order on held-out runs (5 folds): log-likelihood {} vs {}, \
             second − first = {} ± {}; BIC {} vs {}",
            short(c.first),
            short(c.second),
            short(c.margin.0),
            short(c.margin.1),
            short(c.bic.0),
            short(c.bic.1)
        ));
    }
    if let Some(b) = &a.risks {
        let t = *b.grid.last().expect("a grid");
        let e = &b.estimate;
        let last = b.grid.len() - 1;
        let shown: Vec<String> = CAUSES
            .iter()
            .enumerate()
            .map(|(j, name)| {
                format!(
                    "{name} {} [{}, {}]",
                    short(e.cif(j, t)),
                    short(b.cif[j][last].lower),
                    short(b.cif[j][last].upper)
                )
            })
            .collect();
        line(format!(
            "first event by step {} ({} runs starting in [g≫0], 95% run-resampled): {}; none {} [{}, {}]",
            step_text(t),
            e.runs(),
            shown.join(", "),
            short(e.never_by(t)),
            short(b.survival[last].lower),
            short(b.survival[last].upper)
        ));
    }
    match &a.latent {
        Some(Ok(l)) => {
            let scores: Vec<String> = l
                .scores
                .iter()
                .map(|s| format!("{} {}", s.model, short(s.heldout.log_likelihood)))
                .collect();
            line(format!(
                "latent models on log10 {} (held-out log-likelihood, 5 folds by run): {}; \
                 best {} by {} ± {} over {}",
                rule.column(),
                scores.join(", "),
                l.winner,
                short(l.margin.0),
                short(l.margin.1),
                l.runner_up
            ));
            let b = &l.two_state;
            let a10 = &b.transition[1][0];
            line(format!(
                "two-state HMM: means {} and {} (log10), latent escape a10 = {} [{}, {}] per \
                 record; observed occupancy inside the 95% band of the HMM at {} of records, of \
                 the chain at {}",
                short(b.means[0].estimate),
                short(b.means[1].estimate),
                short(a10.estimate),
                short(a10.lower.min(a10.estimate)),
                short(a10.upper.max(a10.estimate)),
                short(l.coverage.0),
                short(l.coverage.1)
            ));
        }
        Some(Err(why)) => line(format!("latent models: n/a: {why}")),
        None => {}
    }
    if let Some(w) = &a.one_way {
        line(String::new());
        line(format!(
            "one-way street: {} ({})",
            w.verdict.as_str(),
            w.reason
        ));
        line(format!("  rule: {}", w.rule));
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
