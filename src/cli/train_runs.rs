//! The runs of `vanish train`, trained in parallel (cell-major, one task per run) and, with
//! `--out`, journaled as each finishes: a killed run goes on with `--resume` and writes the
//! same files as one that was never stopped. `--shard I/N` trains one share of the runs
//! (balanced by cost, as table shards are) into its own journal, and `--gather DIR…`
//! takes the finished runs of such shards, so a map split over machines writes the files
//! of one unsplit run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::bail;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::train::{Cell, TrainArgs};
use crate::error::ConfigError;
use crate::nets::train::{Dataset, Run, RunEntry, train_run};
use crate::sweep::journal::{self, JOURNAL, Journal};

/// Every run of every cell, in order (run `i` is run `i % runs` of cell `i / runs`); `None`
/// for a shard, whose runs are only journaled.
pub(super) fn train_all(
    args: &TrainArgs,
    cells: &[Cell],
    data: &Dataset,
    out: Option<&Path>,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<Option<Vec<Run>>> {
    let runs = args.runs as usize;
    let total = cells.len() * runs;
    let train_one = |i: usize| {
        let cell = &cells[i / runs];
        let mut run = train_run(&cell.spec, &cell.act, data, args.seed, i % runs);
        run.run = i; // unique across a map, for `vanish markov`
        run
    };
    let Some(dir) = out else {
        return Ok(Some(
            pool.install(|| (0..total).into_par_iter().map(train_one).collect()),
        ));
    };
    // The shards' journals are checked before this run's journal is made: a bad --gather
    // leaves nothing behind.
    let unsharded = journal_header(args, cells, data, None);
    let from_shards: Vec<(&PathBuf, Vec<RunEntry>)> = args
        .gather
        .iter()
        .map(|d| Ok((d, shard_entries(d, &unsharded)?)))
        .collect::<anyhow::Result<_>>()?;
    let header = journal_header(args, cells, data, args.shard);
    let (journal, done): (Journal, Vec<RunEntry>) = if args.resume {
        Journal::resume(dir, &header)?
    } else {
        (Journal::create(dir, &header)?, Vec::new())
    };
    let mut have: Vec<Option<Run>> = vec![None; total];
    let mut keep = |entries: Vec<RunEntry>, from: &Path| -> anyhow::Result<()> {
        for entry in entries {
            if entry.run >= total {
                bail!(
                    "the journal in '{}' holds run {} of a map of {total} runs",
                    from.display(),
                    entry.run
                );
            }
            let run = entry
                .to_run()
                .map_err(|e| anyhow::anyhow!("the journal in '{}': {e}", from.display()))?;
            have[entry.run] = Some(run);
        }
        Ok(())
    };
    keep(done, dir)?;
    let mut gathered = Vec::new();
    for (shard_dir, entries) in from_shards {
        gathered.extend(entries.iter().map(|e| e.run));
        keep(entries, shard_dir)?;
    }
    let mine: Vec<usize> = match args.shard {
        Some((i, n)) => {
            let costs: Vec<f64> = (0..total)
                .map(|t| super::train::cost(&cells[t / runs].spec, 1))
                .collect();
            let of = crate::sweep::grid::balance(&costs, n);
            (0..total).filter(|&t| of[t] == i).collect()
        }
        None => (0..total).collect(),
    };
    let pending: Vec<usize> = mine.into_iter().filter(|&i| have[i].is_none()).collect();
    let journal = Mutex::new(journal);
    let append = |run: &Run| -> anyhow::Result<()> {
        journal
            .lock()
            .map_err(|_| anyhow::anyhow!("a worker panicked while writing the journal"))?
            .append(&RunEntry::from(run))
    };
    // Gathered runs go into this run's own journal first: it then holds every run.
    gathered.sort_unstable();
    gathered.dedup();
    for &i in &gathered {
        append(have[i].as_ref().expect("gathered"))?;
    }
    let fresh: Vec<Run> = pool.install(|| {
        pending
            .par_iter()
            .map(|&i| {
                let run = train_one(i);
                append(&run)?;
                Ok(run)
            })
            .collect::<anyhow::Result<_>>()
    })?;
    journal
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a worker panicked while writing the journal"))?
        .finish()?;
    if args.shard.is_some() {
        // In run order, so that a shard's folder does not depend on the thread count.
        let mut entries: Vec<RunEntry> = have.iter().flatten().map(RunEntry::from).collect();
        entries.extend(fresh.iter().map(RunEntry::from));
        entries.sort_by_key(|e| e.run);
        journal::rewrite(dir, &header, &entries)?;
        return Ok(None);
    }
    for run in fresh {
        let i = run.run;
        have[i] = Some(run);
    }
    let all: Vec<Run> = have.into_iter().map(|r| r.expect("every run")).collect();
    // In run order, so that every finished folder of the same flags holds the same journal.
    let entries: Vec<RunEntry> = all.iter().map(RunEntry::from).collect();
    journal::rewrite(dir, &header, &entries)?;
    Ok(Some(all))
}

/// Checks every `--gather` folder (a journal of a shard of these flags, whose runs read
/// back) before the run makes its own folder.
pub(super) fn check_gather(args: &TrainArgs, cells: &[Cell], data: &Dataset) -> anyhow::Result<()> {
    let unsharded = journal_header(args, cells, data, None);
    for dir in &args.gather {
        shard_entries(dir, &unsharded)?;
    }
    Ok(())
}

/// The finished runs in the journal of a shard of these flags (`unsharded`: this run's
/// header without a shard); refuses a folder without one, or of other flags.
fn shard_entries(dir: &Path, unsharded: &Value) -> anyhow::Result<Vec<RunEntry>> {
    let path = dir.join(JOURNAL);
    if !dir.is_dir() {
        return Err(ConfigError::new(
            "--gather",
            format!(
                "'{}' is not a folder (give the shards' --out folders)",
                dir.display()
            ),
        )
        .into());
    }
    if !journal::has_journal(&path) {
        // A shard killed before its journal's first line holds no runs: they get trained.
        return Ok(Vec::new());
    }
    let (mut header, entries, _) = journal::read::<RunEntry>(&path)?;
    if let Some(h) = header.as_object_mut() {
        h.insert("shard".into(), Value::Null);
    }
    if &header != unsharded {
        return Err(ConfigError::new(
            "--gather",
            format!(
                "the journal in '{}' is of other flags, seed or data (or not of `vanish \
                 train`); give the flags of its shards",
                dir.display()
            ),
        )
        .into());
    }
    // Every entry must read back before anything is written.
    for e in &entries {
        e.to_run().map_err(|why| {
            ConfigError::new(
                "--gather",
                format!("the journal in '{}': {why}", dir.display()),
            )
        })?;
    }
    Ok(entries)
}

/// What the journal's runs depend on: the seed, the runs per cell, every cell's activation
/// and spec, the dataset's contents, and the shard.
fn journal_header(
    args: &TrainArgs,
    cells: &[Cell],
    data: &Dataset,
    shard: Option<(usize, usize)>,
) -> Value {
    json!({
        "journal": "vanish train",
        "seed": args.seed,
        "runs": args.runs,
        "cells": cells.iter().map(|c| format!("{} {:?}", c.act, c.spec)).collect::<Vec<_>>(),
        "data": data.fingerprint(),
        "shard": shard.map(|(i, n)| json!([i, n])),
    })
}
