//! The files and the terminal text of `vanish train`: trajectories.csv, the map's
//! map.csv, map.md and summary.json, and the run's summary lines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dynamics::markov::ChainFit;
use crate::dynamics::runs::Outcome;
use crate::dynamics::study::Rule;
use crate::mc::fast::Precision;
use crate::model::activation::Activation;
use crate::nets::train::{Optimizer, Run, Task, TrainSpec, Underflow};
use crate::output::files::csv_text;
use crate::output::format::{exact, label, short};
use crate::output::schema::number::Number;
use crate::output::schema::{HasSchema, SCHEMA, number, number_pair};
use crate::sweep::training::{AXES, Cell};

/// The tidy trajectories: one row per (run, recorded step).
pub fn trajectories_csv(runs: &[Run], layers: usize) -> String {
    let mut header: Vec<String> = trajectory_columns::HEADER.map(String::from).to_vec();
    header.extend((1..=layers).map(|l| format!("grad_norm_{l}")));
    header.extend((1..=layers).map(|l| format!("weight_norm_{l}")));
    header.extend((1..layers).map(|l| format!("probe_gain_{l}")));
    header.extend(trajectory_columns::UNDERFLOW.map(String::from));
    header.extend((1..=layers).map(|l| format!("{}_{l}", trajectory_columns::GRAD_UNDERFLOW)));
    let mut rows = Vec::new();
    for r in runs {
        for (i, rec) in r.records.iter().enumerate() {
            let mut row = vec![
                r.run.to_string(),
                rec.step.to_string(),
                exact(rec.loss),
                exact(rec.gain),
                exact(rec.ln_derivative_product),
                exact(rec.saturated),
                exact(rec.probe_ln_gain.exp()),
                exact(rec.probe_ln_derivative_product),
                (r.diverged && i + 1 == r.records.len()).to_string(),
            ];
            // Runs of a map may have fewer layers than the deepest: their norms are padded
            // with empty fields.
            let pad = |v: &[f64], len: usize| {
                let mut cols: Vec<String> = v.iter().map(|&x| exact(x)).collect();
                cols.resize(len, String::new());
                cols
            };
            row.extend(pad(&rec.grad_norms, layers));
            row.extend(pad(&rec.weight_norms, layers));
            let probe: Vec<f64> = rec.probe_ln_layer_gains.iter().map(|v| v.exp()).collect();
            row.extend(pad(&probe, layers - 1));
            row.extend(underflow_fields(rec.underflow.as_ref(), layers));
            rows.push(row);
        }
    }
    crate::output::files::csv_text(&header, &rows)
}

/// A record's underflow columns: the total over ∂L/∂W, the count over ∂L/∂h, and per
/// weight layer (padded to `layers`); empty fields for a record of an older journal,
/// which did not count.
fn underflow_fields(u: Option<&Underflow>, layers: usize) -> Vec<String> {
    let mut cols = match u {
        Some(u) => {
            let mut c = vec![
                u.weight_grads_total().to_string(),
                u.hidden_grads.to_string(),
            ];
            c.extend(u.weight_grads.iter().map(u64::to_string));
            c
        }
        None => Vec::new(),
    };
    cols.resize(2 + layers, String::new());
    cols
}

/// The map's trajectories.csv: the single-run columns after the cell's varying
/// parameters.
pub fn map_trajectories_csv(
    cells: &[Cell],
    runs: usize,
    trained: &[Run],
    varying: &[usize],
) -> String {
    let depth = cells.iter().map(|c| c.spec.depth).max().expect("cells") + 1;
    // trajectories.csv: the single-run columns, after the cell's varying parameters.
    let mut csv = String::new();
    for (k, line) in trajectories_csv(trained, depth).lines().enumerate() {
        let prefix = if k == 0 {
            varying
                .iter()
                .map(|&a| AXES[a])
                .collect::<Vec<_>>()
                .join(",")
        } else {
            let run: usize = line
                .split(',')
                .next()
                .and_then(|r| r.parse().ok())
                .expect("run index first");
            let c = &cells[run / runs];
            varying
                .iter()
                .map(|&a| label(c.values[a]))
                .collect::<Vec<_>>()
                .join(",")
        };
        csv.push_str(&format!("{prefix},{line}\n"));
    }
    csv
}

/// map.csv: one row per cell, its parameters, its outcome and (with a fit) its chain.
pub fn map_csv(cells: &[Cell], outcomes: &[Outcome], fits: &[Option<ChainFit>]) -> String {
    let mut header: Vec<String> = AXES.iter().map(|a| a.to_string()).collect();
    header.extend(map_columns::HEADER.map(String::from));
    if fits.iter().any(Option::is_some) {
        header.extend(map_columns::FIT.map(String::from));
    }
    let rows: Vec<Vec<String>> = cells
        .iter()
        .zip(outcomes)
        .zip(fits)
        .map(|((c, o), f)| {
            let mut row: Vec<String> = c.values.iter().map(|&v| label(v)).collect();
            row.extend([
                o.runs.to_string(),
                o.diverged.to_string(),
                o.vanished.to_string(),
                exact(o.fraction()),
                exact(o.ci95.0),
                exact(o.ci95.1),
                o.median_step.map_or(String::new(), |s| s.to_string()),
                exact(o.median_final_loss),
            ]);
            if let Some(f) = f {
                let e = f.escape();
                row.extend([
                    exact(f.p[0][1]),
                    e.map_or(String::new(), |e| e.escapes.to_string()),
                    e.map_or(String::new(), |e| e.trials.to_string()),
                    e.map_or(String::new(), |e| exact(e.upper_95)),
                ]);
            }
            row
        })
        .collect();
    csv_text(&header, &rows)
}

/// The axes that vary across the map, in [`AXES`] order.
pub fn varying(cells: &[Cell]) -> Vec<usize> {
    (0..AXES.len())
        .filter(|&k| cells.iter().any(|c| !same(c.values[k], cells[0].values[k])))
        .collect()
}

/// map.md: a pivot of the two varying axes, else a row per cell.
pub fn map_markdown(
    cells: &[Cell],
    outcomes: &[Outcome],
    rule: &Rule,
    varying: &[usize],
) -> String {
    if varying.len() == 2 {
        pivot(cells, outcomes, rule, varying[1], varying[0])
    } else {
        flat(cells, outcomes, rule, varying)
    }
}

/// The map's summary.json: every cell's parameters and outcome.
pub fn map_summary_json(cells: &[Cell], outcomes: &[Outcome], rule: &Rule) -> MapSummary {
    MapSummary {
        schema: SCHEMA,
        cells: cells
            .iter()
            .zip(outcomes)
            .map(|(c, o)| MapCell {
                parameters: AXES
                    .iter()
                    .enumerate()
                    .map(|(k, name)| (name.to_string(), Number(c.values[k])))
                    .collect(),
                outcome: OutcomeSummary::new(o, rule),
            })
            .collect(),
    }
}

/// What a cell's runs came to, in summary.json (`summary` of a run, `outcome` of a map's
/// cell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeSummary {
    /// Runs.
    pub runs: usize,
    /// Runs cut short by a non-finite loss.
    pub diverged: usize,
    /// The rule for [g∼0] (`probe_gain < 1e-6, leave above 0.001`).
    pub state_rule: String,
    /// Runs in [g∼0] at some record up to T.
    #[serde(rename = "vanished_by_T")]
    pub vanished_by_t: usize,
    /// Their fraction.
    #[serde(with = "number")]
    pub fraction_vanished: f64,
    /// Its 95 % Clopper–Pearson interval.
    #[serde(with = "number_pair")]
    pub fraction_vanished_ci95: (f64, f64),
    /// The median step of the first vanish, among the runs that vanished.
    pub median_step_to_vanish: Option<usize>,
    /// The median loss at the last record.
    #[serde(with = "number")]
    pub median_final_loss: f64,
    /// Per run, the step of its first vanish.
    pub first_vanish_steps: Vec<Option<usize>>,
}

impl OutcomeSummary {
    /// The outcome `o` under `rule`.
    pub fn new(o: &Outcome, rule: &Rule) -> Self {
        OutcomeSummary {
            runs: o.runs,
            diverged: o.diverged,
            state_rule: rule.describe(),
            vanished_by_t: o.vanished,
            fraction_vanished: o.fraction(),
            fraction_vanished_ci95: o.ci95,
            median_step_to_vanish: o.median_step,
            median_final_loss: o.median_final_loss,
            first_vanish_steps: o.first_vanish.clone(),
        }
    }
}

/// summary.json of a single-cell `train`: the configuration and the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSummary {
    /// The schema version ([`SCHEMA`]).
    #[serde(default)]
    pub schema: u32,
    /// The run's configuration.
    pub config: Value,
    /// What the runs came to.
    pub summary: OutcomeSummary,
}

impl TrainSummary {
    /// The summary of runs trained under `config` that came to `o` under `rule`.
    pub fn new(config: Value, o: &Outcome, rule: &Rule) -> Self {
        TrainSummary {
            schema: SCHEMA,
            config,
            summary: OutcomeSummary::new(o, rule),
        }
    }
}

impl HasSchema for TrainSummary {
    fn schema(&self) -> u32 {
        self.schema
    }
}

/// summary.json of a map: every cell's parameters and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapSummary {
    /// The schema version ([`SCHEMA`]).
    #[serde(default)]
    pub schema: u32,
    /// The cells, in the map's order.
    pub cells: Vec<MapCell>,
}

impl HasSchema for MapSummary {
    fn schema(&self) -> u32 {
        self.schema
    }
}

/// One cell of a map's summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapCell {
    /// Every parameter of [`AXES`] (a number, or `"nan"`).
    #[serde(flatten)]
    pub parameters: BTreeMap<String, Number>,
    /// What its runs came to.
    pub outcome: OutcomeSummary,
}

/// The columns of trajectories.csv ([`trajectories_csv`]) before the per-layer ones (a
/// map's trajectories.csv puts the cell's varying parameters first).
pub mod trajectory_columns {
    /// The run's index.
    pub const RUN: &str = "run";
    /// The training step.
    pub const STEP: &str = "step";
    /// The minibatch loss.
    pub const LOSS: &str = "loss";
    /// The backward gain ‖∂L/∂h_1‖/‖∂L/∂h_K‖.
    pub const GAIN: &str = "gain";
    /// Σ ln f' along the minibatch.
    pub const LN_DERIVATIVE_PRODUCT: &str = "ln_derivative_product";
    /// The saturated fraction.
    pub const SATURATED: &str = "saturated";
    /// The probe's gain ‖J·u‖/‖u‖.
    pub const PROBE_GAIN: &str = "probe_gain";
    /// Σ ln f' along the probe.
    pub const PROBE_LN_DERIVATIVE_PRODUCT: &str = "probe_ln_derivative_product";
    /// Whether the run diverged at this record.
    pub const DIVERGED: &str = "diverged";
    /// Entries of ∂L/∂W (every weight layer) that are zero or subnormal in the run's
    /// arithmetic ([`crate::nets::train::Underflow`]); `grad_underflow_l` per layer.
    pub const GRAD_UNDERFLOW: &str = "grad_underflow";
    /// Entries of ∂L/∂h_1…∂L/∂h_K over the minibatch that are zero or subnormal.
    pub const HIDDEN_GRAD_UNDERFLOW: &str = "hidden_grad_underflow";
    /// The underflow columns after the per-layer norms and gains, before the per-layer
    /// `grad_underflow_l`.
    pub const UNDERFLOW: [&str; 2] = [GRAD_UNDERFLOW, HIDDEN_GRAD_UNDERFLOW];
    /// These columns, in order.
    pub const HEADER: [&str; 9] = [
        RUN,
        STEP,
        LOSS,
        GAIN,
        LN_DERIVATIVE_PRODUCT,
        SATURATED,
        PROBE_GAIN,
        PROBE_LN_DERIVATIVE_PRODUCT,
        DIVERGED,
    ];
}

/// The columns of map.csv ([`map_csv`]) after the parameters of
/// [`crate::sweep::training::AXES`].
pub mod map_columns {
    /// Runs of the cell.
    pub const RUNS: &str = "runs";
    /// Runs that diverged.
    pub const DIVERGED: &str = "diverged";
    /// Runs that vanished by T.
    pub const VANISHED: &str = "vanished";
    /// Their fraction.
    pub const FRACTION_VANISHED: &str = "fraction_vanished";
    /// Its 95 % Clopper–Pearson interval, lower end.
    pub const FRACTION_VANISHED_CP_LO: &str = "fraction_vanished_cp_lo";
    /// Upper end.
    pub const FRACTION_VANISHED_CP_HI: &str = "fraction_vanished_cp_hi";
    /// The median step of the first vanish (empty when none vanished).
    pub const MEDIAN_STEP_TO_VANISH: &str = "median_step_to_vanish";
    /// The median final loss.
    pub const MEDIAN_FINAL_LOSS: &str = "median_final_loss";
    /// Every map's columns after the parameters.
    pub const HEADER: [&str; 8] = [
        RUNS,
        DIVERGED,
        VANISHED,
        FRACTION_VANISHED,
        FRACTION_VANISHED_CP_LO,
        FRACTION_VANISHED_CP_HI,
        MEDIAN_STEP_TO_VANISH,
        MEDIAN_FINAL_LOSS,
    ];
    /// The columns `--fit` adds.
    pub const FIT: [&str; 4] = ["p01", "escapes", "escape_trials", "escape_upper_95"];
}

/// Two values are the same parameter value (NaN n included).
fn same(a: f64, b: f64) -> bool {
    a.total_cmp(&b).is_eq()
}

/// What a cell shows: the fraction vanished by T, its interval and the median step.
fn shown(o: &Outcome) -> String {
    format!(
        "{} [{}, {}] {}",
        short(o.fraction()),
        short(o.ci95.0),
        short(o.ci95.1),
        o.median_step.map_or("n/a".to_string(), |s| format!("@{s}"))
    )
}

fn title(rule: &Rule) -> String {
    format!(
        "fraction of runs vanished by T ({}), [95% CP], median step to vanish (n/a: none \
         vanished)\n\n",
        rule.describe()
    )
}

/// Axis `rows` down, axis `cols` across.
fn pivot(cells: &[Cell], outcomes: &[Outcome], rule: &Rule, rows: usize, cols: usize) -> String {
    let distinct = |k: usize| {
        let mut v: Vec<f64> = Vec::new();
        for c in cells {
            if !v.iter().any(|&x| same(x, c.values[k])) {
                v.push(c.values[k]);
            }
        }
        v.sort_by(f64::total_cmp);
        v
    };
    let (row_values, col_values) = (distinct(rows), distinct(cols));
    let mut t = title(rule);
    t.push_str(&format!("| {} \\ {} |", AXES[rows], AXES[cols]));
    for v in &col_values {
        t.push_str(&format!(" {} |", label(*v)));
    }
    t.push_str("\n| --- |");
    t.push_str(&" ---: |".repeat(col_values.len()));
    t.push('\n');
    for r in &row_values {
        t.push_str(&format!("| {} |", label(*r)));
        for c in &col_values {
            let i = cells
                .iter()
                .position(|x| same(x.values[rows], *r) && same(x.values[cols], *c))
                .expect("a cell");
            t.push_str(&format!(" {} |", shown(&outcomes[i])));
        }
        t.push('\n');
    }
    t
}

/// One row per cell, a column per varying parameter.
fn flat(cells: &[Cell], outcomes: &[Outcome], rule: &Rule, varying: &[usize]) -> String {
    let mut t = title(rule);
    t.push('|');
    for &k in varying {
        t.push_str(&format!(" {} |", AXES[k]));
    }
    t.push_str(" vanished |\n|");
    t.push_str(&" ---: |".repeat(varying.len() + 1));
    t.push('\n');
    // Rows in numeric order of the varying parameters (10 before 100), whatever the order
    // the map was given in.
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by(|&i, &j| {
        let key = |c: &Cell| varying.iter().map(|&k| c.values[k]).collect::<Vec<f64>>();
        crate::sweep::table::numeric_order(&key(&cells[i]), &key(&cells[j]))
    });
    for (c, o) in order.iter().map(|&i| (&cells[i], &outcomes[i])) {
        t.push('|');
        for &k in varying {
            t.push_str(&format!(" {} |", label(c.values[k])));
        }
        t.push_str(&format!(" {} |\n", shown(o)));
    }
    t
}

/// The terminal's lines for outcome.json: per outcome, the cross-validated AUC with its
/// interval and the verdict, or why there is none.
pub fn outcome_lines(o: &serde_json::Value) -> String {
    let mut t =
        String::from("\nfrom the state at step 0 (runs that start in [g≫0], cross-validated):\n");
    for (key, what) in [
        ("vanished_first", "vanished first"),
        ("converged_first", "converged first"),
    ] {
        let m = &o[key];
        let line = match (m["auc"]["auc"].as_f64(), m["auc"]["interval95"].as_array()) {
            (Some(auc), Some(iv)) => format!(
                "  {what}: AUC {} [{}, {}] (95% DeLong), {}",
                short(auc),
                short(iv[0].as_f64().unwrap_or(f64::NAN)),
                short(iv[1].as_f64().unwrap_or(f64::NAN)),
                m["verdict"].as_str().unwrap_or("")
            ),
            _ => format!("  {what}: {}", m["reason"].as_str().unwrap_or("n/a")),
        };
        t.push_str(&line);
        t.push('\n');
    }
    t
}

/// The terminal's first lines of a single-cell run: the model, the task, the optimiser,
/// and what the runs came to.
pub fn run_summary(
    spec: &TrainSpec,
    act: &Activation,
    runs: usize,
    rule: &Rule,
    o: &Outcome,
) -> String {
    let (vanished, diverged, (p_lo, p_hi)) = (o.vanished, o.diverged, o.ci95);
    let task = match spec.task {
        Task::Teacher { noise } => format!("teacher regression (noise {noise}, MSE)"),
        Task::Blobs { classes } => format!("{classes} Gaussian blobs (cross-entropy)"),
        Task::Csv { classes: 0 } => "regression on --data (MSE)".to_string(),
        Task::Csv { classes } => format!("{classes} classes from --data (cross-entropy)"),
    };
    let optimizer = match spec.optimizer {
        Optimizer::Sgd { lr, momentum: 0.0 } => format!("SGD lr {lr}"),
        Optimizer::Sgd { lr, momentum } => format!("SGD lr {lr}, momentum {momentum}"),
        Optimizer::Adam { lr } => format!("Adam lr {lr}"),
    };
    let mut t = format!(
        "{} runs of a {}-layer, width-{} {} MLP (σ_w = {}, σ_b = {}), {task}, {optimizer}, \
         batch {}, T = {}\n\n",
        runs,
        spec.depth,
        spec.width,
        act,
        exact(spec.sigma_w),
        exact(spec.sigma_b),
        spec.batch,
        spec.steps
    );
    t.push_str(&format!(
        "vanished by T ({}): {} of {} = {} [{}, {}] (95% CP); median step to vanish {}\n",
        rule.describe(),
        vanished,
        runs,
        short(vanished as f64 / runs as f64),
        short(p_lo),
        short(p_hi),
        o.median_step
            .map_or("n/a: none vanished".to_string(), |s| s.to_string())
    ));
    t.push_str(&format!(
        "diverged: {diverged}; median final loss {}\n",
        short(o.median_final_loss)
    ));
    t
}

/// The `config` of a single-cell run's summary.json and manifest: the model, the task, the
/// optimiser, the run's sizes, its seed and its arithmetic (`"precision"`: f32 or f64).
pub fn run_config(
    spec: &TrainSpec,
    act: &Activation,
    examples: usize,
    runs: usize,
    seed: u64,
    precision: Precision,
) -> Value {
    json!({
        "precision": precision.name(),
        "activation": act.to_string(),
        "depth": spec.depth, "width": spec.width, "input_dim": spec.input_dim,
        "sigma_w": spec.sigma_w, "sigma_b": spec.sigma_b,
        "task": spec.task.to_json(), "examples": examples, "batch": spec.batch,
        "optimizer": spec.optimizer.to_json(), "steps": spec.steps,
        "record_every": spec.record_every, "runs": runs, "seed": seed,
        "output_sigma_w": spec.output_sigma_w.unwrap_or(spec.sigma_w),
        "hidden_lr_scale": spec.hidden_lr_scale,
    })
}
