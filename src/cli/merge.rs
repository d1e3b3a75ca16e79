//! `vanish merge`: the shards of a table or of a training run → the files one unsharded
//! run writes (through the sweep engine, which checks that every shard is there, finished
//! and of the same run).

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::output::manifest::{Claim, Manifest, prepare_out};
use crate::sweep::engine;
use crate::sweep::grid::Grid;
use crate::sweep::journal;
use crate::sweep::table::{self, JOURNAL, TableSweep};

/// The raw flags of `vanish merge`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples (the shards of `vanish table --shard I/4` and `vanish train --shard I/2`):\n  vanish merge runs/s0 runs/s1 runs/s2 runs/s3 --out runs/pivoted --rows depth --cols n\n  vanish merge runs/m0 runs/m1 --out runs/merged --quiet"
)]
pub struct MergeArgs {
    /// The shard folders, each written by `vanish table --shard I/N --out DIR` or
    /// `vanish train --shard I/N --out DIR` (the same flags for every shard).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Where the merged table goes.
    #[arg(short, long)]
    out: PathBuf,
    #[command(flatten)]
    pivot: super::table::PivotArgs,
    /// No summary line on stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Write into an --out folder that holds other files (files of the same names are
    /// replaced), or the journal of another run (which is replaced).
    #[arg(long)]
    force: bool,
}

pub(super) fn run(args: MergeArgs) -> anyhow::Result<()> {
    let bad = |m: String| ConfigError::new("DIR", m);
    let first = &args.dirs[0];
    let path = first.join(JOURNAL);
    if !path.is_file() {
        return Err(bad(format!(
            "'{}' holds no {JOURNAL}: not a shard",
            first.display()
        ))
        .into());
    }
    check_out(&args)?;
    let header = journal::read_header(&path)?;
    match header["journal"].as_str() {
        Some("vanish table") => merge_table(args, &header),
        Some("vanish train") => {
            // The flags of the first shard that has its manifest (every shard's journal is
            // checked against them).
            let manifest = args
                .dirs
                .iter()
                .find_map(|d| Manifest::read(d).ok().flatten())
                .filter(|m| m.command == "train --shard")
                .ok_or_else(|| {
                    bad(format!(
                        "'{}' holds no manifest of a `vanish train --shard` (a shard of an \
                         older version, or unfinished): gather it with the map's flags and \
                         --gather DIR…",
                        first.display()
                    ))
                })?;
            let flags =
                serde_json::from_value(manifest.details.get("flags").cloned().unwrap_or_default())
                    .map_err(|e| {
                        bad(format!(
                            "'{}': the shard's flags do not read: {e}",
                            first.display()
                        ))
                    })?;
            super::train::merge(flags, &args.dirs, args.out, args.quiet, args.force)
        }
        _ => Err(bad(format!("'{}' holds no journal of vanish", first.display())).into()),
    }
}

/// Refuses an `--out` that is one of the shards, even with `--force`. What else `--out`
/// may hold is the output-folder policy's (`output::manifest::prepare_out`): a journal
/// there is refused unless `--force`, and one that a run is writing always.
fn check_out(args: &MergeArgs) -> Result<(), ConfigError> {
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    };
    if let Some(d) = args.dirs.iter().find(|d| same(d, &args.out)) {
        return Err(ConfigError::new(
            "--out",
            format!(
                "'{}' is one of the shards; merge into a new folder",
                d.display()
            ),
        ));
    }
    Ok(())
}

/// The shards of a table: their cells, checked by the sweep engine, into one table.
fn merge_table(args: MergeArgs, header: &Value) -> anyhow::Result<()> {
    let grid = Grid::from_json(&header["grid"])?;
    let sweep = TableSweep::new(&grid, &|_| {}, &|_| {});
    let records = engine::merge(&sweep, &args.dirs)?;
    // The shards' manifests: their time, and shard 0's pivot and kernel, as the unsharded
    // run records them.
    let mut elapsed = 0.0;
    let mut first: Option<Value> = None;
    for dir in &args.dirs {
        if let Ok(text) = crate::output::files::read_text(&dir.join("manifest.json"))
            && let Ok(m) = serde_json::from_str::<Value>(&text)
        {
            elapsed += m["elapsed_s"].as_f64().unwrap_or(0.0);
            if engine::shard_of(&dir.join(JOURNAL)).is_some_and(|(i, _)| i == 0) {
                first = Some(m);
            }
        }
    }
    let records = table::complete(records, grid.cells())?;
    let recorded = |k: &str| {
        first
            .as_ref()
            .and_then(|m| m["pivot"][k].as_str().map(str::to_string))
    };
    let value = args
        .pivot
        .value
        .or_else(|| recorded("value"))
        .unwrap_or_else(|| "p_vanish".into());
    let header = table::header(&grid);
    let pivot = super::table::pivot(
        &grid,
        &header,
        args.pivot.rows.or_else(|| recorded("rows")),
        args.pivot.cols.or_else(|| recorded("cols")),
        value,
    )?;
    let out = prepare_out(
        &args.out,
        &Claim::new("table").writes_journal().force(args.force),
    )?;
    let kernel = crate::mc::simulate::kernel(&grid.experiment(0)?);
    let kernel_name = first
        .as_ref()
        .and_then(|m| m["kernel"].as_str().map(str::to_string))
        .unwrap_or_else(|| kernel.name().to_string());
    // The merged folder is a finished run's folder: its journal holds every cell, in order.
    journal::rewrite(&out, &engine::header(&sweep, None), &records)?;
    let run_fields = json!({
        "threads": null,
        "elapsed_s": elapsed,
        "kernel": kernel_name,
        "kernel_note": kernel.note(),
    });
    table::write_outputs(&out, &grid, &header, &records, &pivot, run_fields)?;
    if !args.quiet {
        eprintln!(
            "merged {} shards, {} cells, into {}",
            args.dirs.len(),
            grid.cells(),
            out.display()
        );
    }
    Ok(())
}
