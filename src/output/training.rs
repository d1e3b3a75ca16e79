//! The files and the terminal text of `vanish train`: trajectories.csv, the map's
//! map.csv, map.md and summary.json, and the run's summary lines.

use serde_json::{Value, json};

use crate::dynamics::markov::ChainFit;
use crate::dynamics::runs::Outcome;
use crate::dynamics::study::Rule;
use crate::model::activation::Activation;
use crate::nets::train::{Optimizer, Run, Task, TrainSpec};
use crate::output::files::csv_text;
use crate::output::format::{exact, json_number, label, short};
use crate::sweep::training::{AXES, Cell};

/// The tidy trajectories: one row per (run, recorded step).
pub fn trajectories_csv(runs: &[Run], layers: usize) -> String {
    let mut header = vec![
        "run".to_string(),
        "step".into(),
        "loss".into(),
        "gain".into(),
        "ln_derivative_product".into(),
        "saturated".into(),
        "probe_gain".into(),
        "probe_ln_derivative_product".into(),
        "diverged".into(),
    ];
    header.extend((1..=layers).map(|l| format!("grad_norm_{l}")));
    header.extend((1..=layers).map(|l| format!("weight_norm_{l}")));
    header.extend((1..layers).map(|l| format!("probe_gain_{l}")));
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
            rows.push(row);
        }
    }
    crate::output::files::csv_text(&header, &rows)
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
    header.extend(
        [
            "runs",
            "diverged",
            "vanished",
            "fraction_vanished",
            "fraction_vanished_cp_lo",
            "fraction_vanished_cp_hi",
            "median_step_to_vanish",
            "median_final_loss",
        ]
        .map(String::from),
    );
    if fits.iter().any(Option::is_some) {
        header.extend(["p01", "escapes", "escape_trials", "escape_upper_95"].map(String::from));
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
pub fn map_summary_json(cells: &[Cell], outcomes: &[Outcome], rule: &Rule) -> Value {
    json!({
        "cells": cells.iter().zip(outcomes).map(|(c, o)| {
            let mut v = serde_json::Map::new();
            for (k, name) in AXES.iter().enumerate() {
                v.insert(name.to_string(), json_number(c.values[k]));
            }
            v.insert("outcome".into(), o.to_json(rule));
            serde_json::Value::Object(v)
        }).collect::<Vec<_>>(),
    })
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
        o.median_step.map_or("–".to_string(), |s| format!("@{s}"))
    )
}

fn title(rule: &Rule) -> String {
    format!(
        "fraction of runs vanished by T ({}), [95% CP], median step to vanish\n\n",
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
    for (c, o) in cells.iter().zip(outcomes) {
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
        o.median_step.map_or("-".to_string(), |s| s.to_string())
    ));
    t.push_str(&format!(
        "diverged: {diverged}; median final loss {}\n",
        short(o.median_final_loss)
    ));
    t
}
