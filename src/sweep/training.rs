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

use crate::error::ConfigError;
use crate::model::activation::Activation;
use crate::nets::train::{Dataset, Run, RunEntry, TrainSpec, train_run};
use crate::sweep::journal::{self, JOURNAL, Journal};

/// Most parameter updates (runs·steps·weights) without complaint: about an hour here.
pub const MAX_WORK: f64 = 1e13;

/// The parameters a map can vary, in cell order (the last runs fastest).
pub const AXES: [&str; 6] = ["n", "sigma_w", "sigma_b", "depth", "width", "lr"];

/// Most cells of a map.
pub const MAX_CELLS: usize = 10_000;

/// One cell of a map: its values of [`AXES`] (n is NaN unless a·tanh), the spec and the
/// activation.
pub struct Cell {
    /// The values of [`AXES`].
    pub values: [f64; 6],
    /// The training settings.
    pub spec: TrainSpec,
    /// The activation.
    pub act: Activation,
}

/// runs·steps·batch·weights of one cell.
pub fn cost(spec: &TrainSpec, runs: u64) -> f64 {
    let weights: f64 = spec.sizes().windows(2).map(|w| (w[0] * w[1]) as f64).sum();
    runs as f64 * spec.steps as f64 * spec.batch as f64 * weights
}

/// The runs of a map, validated: every cell, the runs per cell and the seed.
pub struct TrainPlan {
    /// The cells, in map order.
    pub cells: Vec<Cell>,
    /// Runs per cell.
    pub runs: u64,
    /// The seed of every run.
    pub seed: u64,
}

impl TrainPlan {
    /// The cells of the product of `lists` (one list per axis of [`AXES`], the last
    /// running fastest), each built by `cell` from its values; refuses more than
    /// [`MAX_CELLS`] cells (naming `--sigma-w`) or more than [`MAX_WORK`] updates in all
    /// (naming `--runs`).
    pub fn new(
        lists: &[Vec<f64>; 6],
        runs: u64,
        seed: u64,
        cell: impl Fn([f64; 6]) -> Result<(TrainSpec, Activation), ConfigError>,
    ) -> Result<Self, ConfigError> {
        let count = match lists.iter().try_fold(1usize, |n, l| n.checked_mul(l.len())) {
            Some(count) if count <= MAX_CELLS => count,
            too_many => {
                let shown = too_many.map_or_else(
                    || {
                        let lens: Vec<String> = lists.iter().map(|l| l.len().to_string()).collect();
                        lens.join(" × ")
                    },
                    |c| c.to_string(),
                );
                return Err(ConfigError::new(
                    "--sigma-w",
                    format!("a map of {shown} cells; at most {MAX_CELLS}"),
                ));
            }
        };
        let mut cells = Vec::with_capacity(count);
        for i in 0..count {
            let mut rest = i;
            let mut values = [0.0; 6];
            for (k, list) in lists.iter().enumerate().rev() {
                values[k] = list[rest % list.len()];
                rest /= list.len();
            }
            let (spec, act) = cell(values)?;
            cells.push(Cell { values, spec, act });
        }
        let work: f64 = cells.iter().map(|c| cost(&c.spec, runs)).sum();
        if work > MAX_WORK {
            return Err(ConfigError::new(
                "--runs",
                format!(
                    "runs·steps·batch·weights = {work:.2e}, more than {MAX_WORK:.0e} (hours \
                     here); use fewer runs, steps or cells"
                ),
            ));
        }
        Ok(TrainPlan { cells, runs, seed })
    }
}

/// Where and how the runs are journaled (`--out`, `--resume`, `--shard`, `--gather`).
pub struct Journaling<'a> {
    /// The folder of the journal.
    pub dir: &'a Path,
    /// Go on with the journal there.
    pub resume: bool,
    /// Train only share i of n.
    pub shard: Option<(usize, usize)>,
    /// Take the finished runs of these shards' folders.
    pub gather: &'a [PathBuf],
}

/// Every run of every cell, in order (run `i` is run `i % runs` of cell `i / runs`); `None`
/// for a shard, whose runs are only journaled.
pub fn train_all(
    plan: &TrainPlan,
    data: &Dataset,
    journaling: Option<&Journaling>,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<Option<Vec<Run>>> {
    let cells = &plan.cells;
    let runs = plan.runs as usize;
    let total = cells.len() * runs;
    let train_one = |i: usize| {
        let cell = &cells[i / runs];
        let mut run = train_run(&cell.spec, &cell.act, data, plan.seed, i % runs);
        run.run = i; // unique across a map, for `vanish markov`
        run
    };
    let Some(j) = journaling else {
        return Ok(Some(
            pool.install(|| (0..total).into_par_iter().map(train_one).collect()),
        ));
    };
    // The shards' journals are checked before this run's journal is made: a bad --gather
    // leaves nothing behind.
    let dir = j.dir;
    let unsharded = journal_header(plan, data, None);
    let from_shards: Vec<(&PathBuf, Vec<RunEntry>)> = j
        .gather
        .iter()
        .map(|d| Ok((d, shard_entries(d, &unsharded)?)))
        .collect::<anyhow::Result<_>>()?;
    let header = journal_header(plan, data, j.shard);
    let (journal, done): (Journal, Vec<RunEntry>) = if j.resume {
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
    let mine: Vec<usize> = match j.shard {
        Some((i, n)) => {
            let costs: Vec<f64> = (0..total).map(|t| cost(&cells[t / runs].spec, 1)).collect();
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
    if j.shard.is_some() {
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
pub fn check_gather(plan: &TrainPlan, data: &Dataset, gather: &[PathBuf]) -> anyhow::Result<()> {
    let unsharded = journal_header(plan, data, None);
    for dir in gather {
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
fn journal_header(plan: &TrainPlan, data: &Dataset, shard: Option<(usize, usize)>) -> Value {
    json!({
        "journal": "vanish train",
        "seed": plan.seed,
        "runs": plan.runs,
        "cells": plan.cells.iter().map(|c| format!("{} {:?}", c.act, c.spec)).collect::<Vec<_>>(),
        "data": data.fingerprint(),
        "shard": shard.map(|(i, n)| json!([i, n])),
    })
}
