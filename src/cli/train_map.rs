//! `vanish train` over several σ_w and n: the map from initialisation to outcome. Each cell
//! trains `--runs` runs (run r of every cell draws the same normals, scaled by the cell's
//! σ_w: common random numbers), and the map says per cell how many vanished by T, when,
//! and the final loss.

use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use super::markov::{Rule, short};
use super::train::{AXES, Cell, Outcome, TrainArgs, series, trajectories_csv};
use crate::dynamics::markov::ChainFit;
use crate::nets::train::Run;
use crate::output::files::{csv_text, prepare_out_dir, write_atomic};
use crate::output::results::{fmt, num};
use crate::sweep::grid::label;

pub(super) fn run(args: &TrainArgs, cells: Vec<Cell>) -> anyhow::Result<()> {
    let rule = super::train::state_rule(args)?;
    let threads = super::threads(args.threads)?;
    // The dataset depends on the task and the input dimension only, the same in every cell.
    // It and the shards to gather are checked before any folder is made.
    let data = args.dataset(&cells[0].spec)?;
    super::train_runs::check_gather(args, &cells, &data)?;
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let pool = super::pool(threads)?;
    let started = Instant::now();
    let runs = args.runs as usize;
    let Some(trained) = super::train_runs::train_all(args, &cells, &data, out.as_deref(), &pool)?
    else {
        return super::train::shard_done(args);
    };
    let elapsed = started.elapsed().as_secs_f64();
    let per_cell: Vec<&[Run]> = trained.chunks(runs).collect();
    let outcomes: Vec<Outcome> = per_cell.iter().map(|r| Outcome::of(r, &rule)).collect();
    let fits: Vec<Option<ChainFit>> = per_cell
        .iter()
        .map(|r| args.fit.then(|| fit(r, &rule)))
        .collect();

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
    if args.fit {
        header.extend(["p01", "escapes", "escape_trials", "escape_upper_95"].map(String::from));
    }
    let rows: Vec<Vec<String>> = cells
        .iter()
        .zip(&outcomes)
        .zip(&fits)
        .map(|((c, o), f)| {
            let mut row: Vec<String> = c.values.iter().map(|&v| label(v)).collect();
            row.extend([
                o.runs.to_string(),
                o.diverged.to_string(),
                o.vanished.to_string(),
                fmt(o.fraction()),
                fmt(o.ci95.0),
                fmt(o.ci95.1),
                o.median_step.map_or(String::new(), |s| s.to_string()),
                fmt(o.median_final_loss),
            ]);
            if let Some(f) = f {
                let e = f.escape();
                row.extend([
                    fmt(f.p[0][1]),
                    e.map_or(String::new(), |e| e.escapes.to_string()),
                    e.map_or(String::new(), |e| e.trials.to_string()),
                    e.map_or(String::new(), |e| fmt(e.upper_95)),
                ]);
            }
            row
        })
        .collect();
    // The axes that vary across the map, in AXES order.
    let varying: Vec<usize> = (0..AXES.len())
        .filter(|&k| cells.iter().any(|c| !same(c.values[k], cells[0].values[k])))
        .collect();
    let markdown = if varying.len() == 2 {
        pivot(&cells, &outcomes, &rule, varying[1], varying[0])
    } else {
        flat(&cells, &outcomes, &rule, &varying)
    };
    if let Some(dir) = &out {
        let depth = cells.iter().map(|c| c.spec.depth).max().expect("cells") + 1;
        // trajectories.csv: the single-run columns, after the cell's varying parameters.
        let mut csv = String::new();
        for (k, line) in trajectories_csv(&trained, depth).lines().enumerate() {
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
        let summary = json!({
            "cells": cells.iter().zip(&outcomes).map(|(c, o)| {
                let mut v = serde_json::Map::new();
                for (k, name) in AXES.iter().enumerate() {
                    v.insert(name.to_string(), num(c.values[k]));
                }
                v.insert("outcome".into(), o.to_json(&rule));
                serde_json::Value::Object(v)
            }).collect::<Vec<_>>(),
        });
        let mut pretty = serde_json::to_string_pretty(&summary).expect("serialisable");
        pretty.push('\n');
        let manifest = json!({
            "tool": "vanish", "version": env!("CARGO_PKG_VERSION"), "command": "train",
            "cells": cells.len(), "runs_per_cell": runs, "seed": args.seed,
            "rng": crate::mc::rng::RNG_NAME, "threads": threads, "elapsed_s": elapsed,
        });
        let mut manifest_text = serde_json::to_string_pretty(&manifest).expect("serialisable");
        manifest_text.push('\n');
        for (name, body) in [
            ("trajectories.csv", csv),
            ("map.csv", csv_text(&header, &rows)),
            ("map.md", markdown.clone()),
            ("summary.json", pretty),
            ("manifest.json", manifest_text),
        ] {
            let path = dir.join(name);
            write_atomic(&path, body.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if !args.quiet {
        super::print_stdout(&format!(
            "{markdown}\n{} cells × {runs} runs in {elapsed:.2} s on {threads} threads\n",
            cells.len()
        ))?;
    }
    Ok(())
}

/// The two-state chain of a cell's runs (each up to its first NaN in the rule's column).
fn fit(runs: &[Run], rule: &Rule) -> ChainFit {
    let sequences: Vec<Vec<usize>> = runs
        .iter()
        .map(|r| {
            let s = series(r, rule);
            (rule
                .sequence(&s.values, s.converge.as_deref())
                .chain_states())
            .to_vec()
        })
        .collect();
    ChainFit::new(&sequences, 2)
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
