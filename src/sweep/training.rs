//! The runs of `vanish train`, trained in parallel (cell-major, one task per run) and, with
//! `--out`, journaled as each finishes: a killed run goes on with `--resume` and writes the
//! same files as one that was never stopped. `--shard I/N` trains one share of the runs
//! (balanced by cost, as table shards are) into its own journal, and `--gather DIR…`
//! takes the finished runs of such shards, so a map split over machines writes the files
//! of one unsplit run.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::error::{ConfigError, Error, Result};
use crate::mc::fast::Precision;
use crate::model::activation::Activation;
use crate::nets::train::{Dataset, Run, RunEntry, TrainSpec, train_run_in};
pub use crate::sweep::engine::Journaling;
use crate::sweep::engine::{self, Sweep};

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
    /// The arithmetic of every run (f64 unless set; see [`TrainPlan::with_precision`]).
    pub precision: Precision,
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
        cell: impl Fn([f64; 6]) -> std::result::Result<(TrainSpec, Activation), ConfigError>,
    ) -> std::result::Result<Self, ConfigError> {
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
        Ok(TrainPlan {
            cells,
            runs,
            seed,
            precision: Precision::F64,
        })
    }

    /// The plan with its runs in `precision` (f32 or f64).
    pub fn with_precision(self, precision: Precision) -> Self {
        TrainPlan { precision, ..self }
    }
}

/// The runs of a plan as a sweep: unit `i` is run `i % runs` of cell `i / runs`, its
/// record the journal's [`RunEntry`].
struct Runs<'a> {
    plan: &'a TrainPlan,
    data: &'a Dataset,
    progress: Option<&'a RunProgress<'a>>,
}

/// What [`train_all`] tells of its progress (for a progress bar; it counts, never changes
/// a run).
pub struct RunProgress<'a> {
    /// Told the number of runs about to be trained (those not in a journal), before any is.
    pub starting: &'a (dyn Fn(u64) + Sync),
    /// Told 1 as each run finishes, from any thread.
    pub finished: &'a (dyn Fn(u64) + Sync),
}

impl Sweep for Runs<'_> {
    type Record = RunEntry;

    /// What the journal's runs depend on: the seed, the runs per cell, every cell's
    /// activation and spec, the dataset's contents, and `"precision": "f32"` for runs in
    /// f32. f64 runs have no such key, as journals had before f32 runs existed: those
    /// resume as f64, and neither kind resumes or merges into the other.
    fn fingerprint(&self) -> Value {
        let mut f = json!({
            "journal": "vanish train",
            "seed": self.plan.seed,
            "runs": self.plan.runs,
            "cells": self.plan.cells.iter().map(|c| format!("{} {:?}", c.act, c.spec)).collect::<Vec<_>>(),
            "data": self.data.fingerprint(),
        });
        if self.plan.precision == Precision::F32 {
            f["precision"] = json!(Precision::F32.name());
        }
        f
    }

    fn units(&self) -> usize {
        self.plan.cells.len() * self.plan.runs as usize
    }

    fn cost(&self, unit: usize) -> f64 {
        cost(&self.plan.cells[unit / self.plan.runs as usize].spec, 1)
    }

    fn unit(record: &RunEntry) -> usize {
        record.run
    }

    fn starting(&self, pending: &[usize]) {
        if let Some(p) = self.progress {
            (p.starting)(pending.len() as u64);
        }
    }

    fn compute(&self, unit: usize) -> RunEntry {
        let runs = self.plan.runs as usize;
        let cell = &self.plan.cells[unit / runs];
        let mut run = train_run_in(
            self.plan.precision,
            &cell.spec,
            &cell.act,
            self.data,
            self.plan.seed,
            unit % runs,
        );
        run.run = unit; // unique across a map, for `vanish markov`
        if let Some(p) = self.progress {
            (p.finished)(1);
        }
        RunEntry::from(&run)
    }

    /// A run reads back, has the records its cell's spec makes (at steps 0, every
    /// `record_every` and the last, each of the cell's depth), and is marked diverged
    /// exactly when its last record is not finite.
    fn check(&self, record: &RunEntry) -> std::result::Result<(), String> {
        let cell = &self.plan.cells[record.run / self.plan.runs as usize];
        check_run(&cell.spec, record).map_err(|why| format!("run {}: {why}", record.run))
    }
}

/// See [`Runs`]'s `check`.
fn check_run(spec: &TrainSpec, entry: &RunEntry) -> std::result::Result<(), String> {
    let run = entry.to_run()?;
    let fields = 9 + 3 * spec.depth;
    if let Some(r) = entry
        .records
        .iter()
        .find(|r| r.split(',').count() != fields)
    {
        return Err(format!(
            "a record of {} values, not the {fields} of depth {}: '{r}'",
            r.split(',').count(),
            spec.depth
        ));
    }
    let layers = spec.depth + 1;
    if let Some(u) = (run.records.iter().filter_map(|r| r.underflow.as_ref()))
        .find(|u| u.weight_grads.len() != layers)
    {
        return Err(format!(
            "underflow counts of {} weight layers, not the {layers} of depth {}",
            u.weight_grads.len(),
            spec.depth
        ));
    }
    let steps: Vec<usize> = run.records.iter().map(|r| r.step).collect();
    let planned: Vec<usize> = (0..=spec.steps)
        .filter(|s| s % spec.record_every.max(1) == 0 || *s == spec.steps)
        .collect();
    let Some((&last, before)) = steps.split_last() else {
        return Err("no records (every run records step 0)".into());
    };
    let whole = if run.diverged {
        // A diverged run ends with the step it diverged at.
        planned.starts_with(before) && before.last().is_none_or(|&b| b < last) && last <= spec.steps
    } else {
        steps == planned
    };
    if !whole {
        let list = |v: &[usize]| {
            v.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let kind = if run.diverged {
            "a diverged run records a start of"
        } else {
            "it records"
        };
        return Err(format!(
            "records steps {}; with --steps {} --record-every {} {kind} {}",
            list(&steps),
            spec.steps,
            spec.record_every,
            list(&planned)
        ));
    }
    // A run diverges on a loss or gradient that is not finite, and records that step last.
    let end = run.records.last().expect("not empty");
    let finite = end.loss.is_finite() && end.grad_norms.iter().all(|g| g.is_finite());
    if run.diverged && finite {
        return Err("is marked diverged but its last record is finite".into());
    }
    if !run.diverged && run.records.iter().any(|r| !r.loss.is_finite()) {
        return Err("has a loss that is not finite but is not marked diverged".into());
    }
    Ok(())
}

/// Every run of every cell, in order (run `i` is run `i % runs` of cell `i / runs`),
/// trained on the current pool through the [sweep engine](crate::sweep::engine): journaled
/// with `journaling`; `None` for a shard, whose runs are only journaled. `progress`, if
/// given, is told of the runs as they are trained.
pub fn train_all(
    plan: &TrainPlan,
    data: &Dataset,
    journaling: Option<&Journaling>,
    progress: Option<&RunProgress>,
) -> Result<Option<Vec<Run>>> {
    let runs = Runs {
        plan,
        data,
        progress,
    };
    let Some(entries) = engine::run(&runs, journaling)? else {
        return Ok(None);
    };
    let runs = entries
        .iter()
        .map(|e| {
            e.to_run()
                .map_err(|e| Error::Invalid(format!("a journaled run: {e}")))
        })
        .collect::<Result<Vec<Run>>>()?;
    Ok(Some(runs))
}

/// Checks that `dirs` are every shard of one split of this plan, each finished (for
/// `vanish merge`).
pub fn merge_check(plan: &TrainPlan, data: &Dataset, dirs: &[PathBuf]) -> Result<()> {
    engine::merge(
        &Runs {
            plan,
            data,
            progress: None,
        },
        dirs,
    )
    .map(|_| ())
}

/// Checks every `--gather` folder (a journal of a shard of this plan, whose runs read
/// back) before the run makes its own folder.
pub fn check_gather(plan: &TrainPlan, data: &Dataset, gather: &[PathBuf]) -> Result<()> {
    let runs = Runs {
        plan,
        data,
        progress: None,
    };
    engine::check_shards(&runs, gather, "--gather")
}
