//! The study of a set of training runs: their states under a rule, the chain fitted to
//! them, the one-way verdict, the competing risks, the latent models and the orders
//! compared — everything `vanish markov` and `vanish train --fit` report, as typed values.
//! The output layer writes their files and terminal table (`output::dynamics`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::dynamics::markov::ChainFit;
use crate::dynamics::oneway::OneWayTest;
use crate::dynamics::states::{FirstEvent, Sequence, StateRule};
use crate::error::ConfigError;
use crate::output::format::exact;

/// How a run's values become states.
pub enum Rule {
    /// Two states with hysteresis, and optionally [converged] ([`StateRule`]).
    Band(StateRule),
    /// k states by bins.
    Bins { column: String, edges: Vec<f64> },
}

impl Rule {
    pub fn column(&self) -> &str {
        match self {
            Rule::Band(r) => r.column(),
            Rule::Bins { column, .. } => column,
        }
    }

    /// The [converged] rule's column, if there is one.
    pub fn convergence_column(&self) -> Option<&str> {
        match self {
            Rule::Band(r) => r.convergence.as_ref().map(|c| c.column()),
            Rule::Bins { .. } => None,
        }
    }

    /// Whether this is the two-state chain [g≫0] / [g∼0], for which escape, absorption and
    /// the first vanish mean something.
    pub fn is_two_state(&self) -> bool {
        matches!(self, Rule::Band(_))
    }

    /// The number of states.
    pub fn states(&self) -> usize {
        match self {
            Rule::Band(_) => 2,
            Rule::Bins { edges, .. } => edges.len() + 1,
        }
    }

    /// The states of one run from its values (and those of the convergence column).
    pub fn sequence(&self, values: &[f64], converge: Option<&[f64]>) -> Sequence {
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

    pub fn describe(&self) -> String {
        match self {
            Rule::Band(r) => r.describe(),
            Rule::Bins { column, edges } => format!(
                "{column} binned at {}",
                edges
                    .iter()
                    .map(|e| exact(*e))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The rule from the flags: `--bins` (k states) or `--state` with `--leave` and
    /// `--converged` (two states and [converged]).
    pub fn parse(
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

    /// The states' names.
    pub fn state_names(&self) -> Vec<String> {
        if self.is_two_state() {
            vec!["[g≫0]".into(), "[g∼0]".into()]
        } else {
            (0..self.states()).map(|i| format!("s{i}")).collect()
        }
    }
}

/// One run of a trajectories CSV: its steps, the state column and the convergence column.
pub struct RunSeries {
    pub id: String,
    pub steps: Vec<f64>,
    pub values: Vec<f64>,
    pub converge: Option<Vec<f64>>,
}

impl RunSeries {
    /// The runs of a trajectories CSV, each in increasing step; errors name the file and
    /// row.
    pub fn read_csv(path: &Path, rule: &Rule) -> Result<Vec<RunSeries>, ConfigError> {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| ConfigError::new("FILE", format!("'{shown}': cannot read: {e}")))?;
        Self::parse_csv(file, &shown, rule)
    }

    /// [`RunSeries::read_csv`] of a CSV text (`input`, named `shown` in errors).
    pub fn parse_csv(
        input: impl std::io::Read,
        shown: &str,
        rule: &Rule,
    ) -> Result<Vec<RunSeries>, ConfigError> {
        let bad = |m: String| ConfigError::new("FILE", format!("'{shown}': {m}"));
        let mut reader = csv::Reader::from_reader(input);
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
                return Err(bad(format!("run '{run}' has step {} twice", exact(w[0].0))));
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
}

/// Everything fitted to a set of runs.
pub struct Analysis {
    pub fit: ChainFit,
    pub sequences: Vec<Sequence>,
    /// The step of each run's first event (runs that start in [g≫0]).
    pub first_events: Vec<Option<(FirstEvent, f64)>>,
    pub diverged: usize,
    pub one_way: Option<OneWayTest>,
    /// The race of vanishing, convergence and divergence (runs that start in [g≫0]).
    pub risks: Option<crate::dynamics::risks::RiskBands>,
    /// The latent models on log10 of the state column (two-state rules only), or why not.
    pub latent: Option<Result<crate::dynamics::latent::LatentStudy, String>>,
    /// First against second order on held-out runs.
    pub orders: Option<crate::dynamics::markov::OrderComparison>,
}

/// The competing risks' causes, in index order.
pub const CAUSES: [&str; 3] = ["vanished", "converged", "diverged"];

/// The analysis settings shared by `markov` and `train --fit`, validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalysisSettings {
    tolerance: f64,
    replicates: u64,
    latent_replicates: u64,
}

impl AnalysisSettings {
    /// Validates the one-way verdict's tolerance τ, the run-level resampling's replicates
    /// (100 to 10⁶) and the latent models' refits (0 skips them, else 20 to 10⁵); errors
    /// name the flag.
    ///
    /// ```
    /// use vanish::dynamics::study::AnalysisSettings;
    /// assert!(AnalysisSettings::new(1e-3, 2000, 100).is_ok());
    /// assert!(AnalysisSettings::new(1e-3, 50, 100).is_err());
    /// ```
    pub fn new(
        tolerance: f64,
        replicates: u64,
        latent_replicates: u64,
    ) -> Result<Self, ConfigError> {
        if !(tolerance > 0.0 && tolerance < 1.0) {
            return Err(ConfigError::new("--tolerance", "must be in (0, 1)"));
        }
        if !(100..=1_000_000).contains(&replicates) {
            return Err(ConfigError::new(
                "--replicates",
                "must be 100 to 1000000 (percentile intervals need at least 100)",
            ));
        }
        if latent_replicates != 0 && !(20..=100_000).contains(&latent_replicates) {
            return Err(ConfigError::new(
                "--latent-replicates",
                "must be 0 (no latent models) or 20 to 100000",
            ));
        }
        Ok(AnalysisSettings {
            tolerance,
            replicates,
            latent_replicates,
        })
    }
}

/// Fits the chain to the runs' states and, for two states, judges the one-way street.
pub fn analyse(
    runs: &[RunSeries],
    rule: &Rule,
    settings: &AnalysisSettings,
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
