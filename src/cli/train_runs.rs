//! The runs of `vanish train`, trained in parallel (cell-major, one task per run) and, with
//! `--out`, journaled as each finishes: a killed run goes on with `--resume` and writes the
//! same files as one that was never stopped.

use std::path::Path;
use std::sync::Mutex;

use anyhow::bail;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::train::{Cell, TrainArgs};
use crate::journal::{self, Journal};
use crate::train::{Dataset, Run, RunEntry, train_run};

/// Every run of every cell, in order (run `i` is run `i % runs` of cell `i / runs`).
pub(super) fn train_all(
    args: &TrainArgs,
    cells: &[Cell],
    data: &Dataset,
    out: Option<&Path>,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<Vec<Run>> {
    let runs = args.runs as usize;
    let total = cells.len() * runs;
    let train_one = |i: usize| {
        let cell = &cells[i / runs];
        let mut run = train_run(&cell.spec, &cell.act, data, args.seed, i % runs);
        run.run = i; // unique across a map, for `vanish markov`
        run
    };
    let Some(dir) = out else {
        return Ok(pool.install(|| (0..total).into_par_iter().map(train_one).collect()));
    };
    let header = journal_header(args, cells, data);
    let (journal, done): (Journal, Vec<RunEntry>) = if args.resume {
        Journal::resume(dir, &header)?
    } else {
        (Journal::create(dir, &header)?, Vec::new())
    };
    let mut have: Vec<Option<Run>> = vec![None; total];
    for entry in done {
        if entry.run >= total {
            bail!(
                "the journal holds run {} of a map of {total} runs",
                entry.run
            );
        }
        let run = entry
            .to_run()
            .map_err(|e| anyhow::anyhow!("the journal in '{}': {e}", dir.display()))?;
        have[entry.run] = Some(run);
    }
    let pending: Vec<usize> = (0..total).filter(|&i| have[i].is_none()).collect();
    let journal = Mutex::new(journal);
    let fresh: Vec<Run> = pool.install(|| {
        pending
            .par_iter()
            .map(|&i| {
                let run = train_one(i);
                journal
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a worker panicked while writing the journal"))?
                    .append(&RunEntry::from(&run))?;
                Ok(run)
            })
            .collect::<anyhow::Result<_>>()
    })?;
    journal
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a worker panicked while writing the journal"))?
        .finish()?;
    for run in fresh {
        let i = run.run;
        have[i] = Some(run);
    }
    let all: Vec<Run> = have.into_iter().map(|r| r.expect("every run")).collect();
    // In run order, so that every finished folder of the same flags holds the same journal.
    let entries: Vec<RunEntry> = all.iter().map(RunEntry::from).collect();
    journal::rewrite(dir, &header, &entries)?;
    Ok(all)
}

/// What the journal's runs depend on: the seed, the runs per cell, every cell's activation
/// and spec, and the dataset's contents.
fn journal_header(args: &TrainArgs, cells: &[Cell], data: &Dataset) -> Value {
    json!({
        "journal": "vanish train",
        "seed": args.seed,
        "runs": args.runs,
        "cells": cells.iter().map(|c| format!("{} {:?}", c.act, c.spec)).collect::<Vec<_>>(),
        "data": data.fingerprint(),
    })
}
