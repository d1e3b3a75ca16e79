//! `vanish merge`: the shards of a table → the files one unsharded run writes.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::output::files::prepare_out_dir;
use crate::sweep::grid::Grid;
use crate::sweep::table::{self, CellRecord, JOURNAL};

/// The raw flags of `vanish merge`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  vanish merge runs/s0 runs/s1 runs/s2 runs/s3 --out runs/t")]
pub struct MergeArgs {
    /// The shard folders, each written by `vanish table --shard I/N --out DIR`.
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
}

pub(super) fn run(args: MergeArgs) -> anyhow::Result<()> {
    let bad = |m: String| ConfigError::new("DIR", m);
    let mut grid_json: Option<Value> = None;
    let mut count = None;
    let mut seen: Vec<Option<PathBuf>> = Vec::new();
    let mut records: Vec<CellRecord> = Vec::new();
    let mut elapsed = 0.0;
    let mut shards = Vec::new();
    // The first shard's manifest: its pivot and kernel, as the unsharded run records them.
    let mut first: Option<Value> = None;
    for dir in &args.dirs {
        let path = dir.join(JOURNAL);
        if !path.is_file() {
            return Err(bad(format!(
                "'{}' holds no {JOURNAL}: not a table shard",
                dir.display()
            ))
            .into());
        }
        let (header, recs, _) = table::read(&path)?;
        if header["journal"] == "vanish train" {
            return Err(bad(format!(
                "'{}' is a shard of `vanish train`: gather those with the map's flags and \
                 --gather DIR…",
                dir.display()
            ))
            .into());
        }
        let shard = header["shard"].as_array().filter(|a| a.len() == 2);
        let (i, n) = match shard.map(|a| (a[0].as_u64(), a[1].as_u64())) {
            Some((Some(i), Some(n))) if i < n && n <= 100_000 => (i as usize, n as usize),
            _ => {
                return Err(bad(format!(
                    "'{}' is not a shard (made without --shard)",
                    dir.display()
                ))
                .into());
            }
        };
        match (&grid_json, count) {
            (None, _) => {
                grid_json = Some(header["grid"].clone());
                count = Some(n);
                seen = vec![None; n];
            }
            (Some(g), Some(c)) if g == &header["grid"] && c == n => {}
            _ => {
                return Err(bad(format!(
                    "'{}' is a shard of another grid or split than '{}'",
                    dir.display(),
                    args.dirs[0].display()
                ))
                .into());
            }
        }
        if let Some(other) = &seen[i] {
            return Err(bad(format!(
                "shard {i}/{n} is given twice: '{}' and '{}'",
                other.display(),
                dir.display()
            ))
            .into());
        }
        seen[i] = Some(dir.clone());
        if let Ok(text) = std::fs::read_to_string(dir.join("manifest.json"))
            && let Ok(m) = serde_json::from_str::<Value>(&text)
        {
            elapsed += m["elapsed_s"].as_f64().unwrap_or(0.0);
            if i == 0 {
                first = Some(m);
            }
        }
        shards.push((
            i,
            n,
            dir.clone(),
            recs.iter().map(|r| r.cell).collect::<Vec<_>>(),
        ));
        records.extend(recs);
    }
    let n = count.expect("at least one folder");
    let missing: Vec<String> = (0..n)
        .filter(|&i| seen[i].is_none())
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(format!("shards {} are missing", missing.join(", "))).into());
    }
    let grid = Grid::from_json(grid_json.as_ref().expect("a grid"))?;
    let of = grid.shards(n);
    for (i, n, dir, mut cells) in shards {
        cells.sort_unstable();
        cells.dedup();
        let want: Vec<usize> = (0..grid.cells()).filter(|&c| of[c] == i).collect();
        if cells != want {
            return Err(bad(format!(
                "shard {i}/{n} in '{}' is unfinished or not the shard it says (resume it with \
                 the same flags and --resume)",
                dir.display()
            ))
            .into());
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
    let out = prepare_out_dir(&args.out)?;
    let kernel = crate::mc::simulate::kernel(&grid.experiment(0)?);
    let kernel_name = first
        .as_ref()
        .and_then(|m| m["kernel"].as_str().map(str::to_string))
        .unwrap_or_else(|| kernel.name().to_string());
    // The merged folder is a finished run's folder: its journal holds every cell, in order.
    table::sort_journal(&out, &table::journal_header(&grid, None), &records)?;
    let run_fields = json!({
        "threads": null,
        "elapsed_s": elapsed,
        "kernel": kernel_name,
        "kernel_note": kernel.note(),
    });
    table::write_outputs(&out, &grid, &header, &records, &pivot, run_fields)?;
    if !args.quiet {
        eprintln!(
            "merged {n} shards, {} cells, into {}",
            grid.cells(),
            out.display()
        );
    }
    Ok(())
}
