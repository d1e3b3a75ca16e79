//! `vanish plot` and `vanish report`: the figures of output folders as SVG files, and one
//! self-contained HTML page of them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::error::ConfigError;
use crate::output::files::{prepare_out_dir, write_atomic};
use crate::output::plot::RunFolder;

const PLOT_EXAMPLES: &str = "Examples:
  vanish sim --n 2 --depth 50 --method exact --out runs/sim && vanish plot runs/sim
  vanish plot runs/table --out figures/

Draws every figure the folder holds the data for: the histogram of log10 g (sim), P(vanish)
and P(explode) against depth and a heatmap (table), the phase diagram (meanfield), the
thresholds (thresholds), gain trajectories, survival and the map (train, markov).";

/// The raw flags of `vanish plot`.
#[derive(Debug, Args)]
#[command(after_help = PLOT_EXAMPLES)]
pub struct PlotArgs {
    /// The output folder of a run (sim, table, meanfield, thresholds, train, markov).
    dir: PathBuf,
    /// Where to write the SVG files [default: the run's folder].
    #[arg(short, long)]
    out: Option<PathBuf>,
}

pub(super) fn run(args: PlotArgs) -> anyhow::Result<()> {
    let run = check_run_folder("DIR", &args.dir)?;
    let drawn = crate::output::plot::figures_of(&run);
    if drawn.figures.is_empty() {
        let why = if drawn.skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", drawn.skipped.join("; "))
        };
        return Err(ConfigError::new(
            "DIR",
            format!(
                "'{}' holds no data that vanish can draw{why}",
                args.dir.display()
            ),
        )
        .into());
    }
    for note in &drawn.skipped {
        eprintln!("note: {note}");
    }
    let out = match &args.out {
        Some(o) => prepare_out_dir(o)?,
        None => args.dir.clone(),
    };
    let written = crate::output::plot::write_all(&out, &drawn.figures).map_err(|e| {
        // One line naming the folder (a read-only run folder, a full disk).
        anyhow::anyhow!(
            "cannot write the figures into '{}': {}",
            out.display(),
            e.root_cause()
        )
    })?;
    let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    super::print_stdout(&format!("{}\n", list.join("\n")))
}

/// Draws the figures of a run's `--out` folder after it was written (`--plot`). The run's
/// files are complete before this starts; a figure that cannot be drawn is a note on
/// stderr, not a failure.
pub(super) fn plot_into(dir: &std::path::Path) -> anyhow::Result<()> {
    let drawn = crate::output::plot::figures_for(dir);
    for note in &drawn.skipped {
        eprintln!("note: {note}");
    }
    if drawn.figures.is_empty() && drawn.skipped.is_empty() {
        eprintln!(
            "note: --plot: nothing to draw in '{}' (a shard or a k-state fit has no figure)",
            dir.display()
        );
    }
    crate::output::plot::write_all(dir, &drawn.figures).with_context(|| {
        format!(
            "--plot: the run's files in '{}' are complete; writing its figures failed",
            dir.display()
        )
    })?;
    Ok(())
}

/// `--plot` needs `--out`.
pub(super) fn check_plot_flag(
    plot: bool,
    out: Option<&std::path::Path>,
) -> Result<(), ConfigError> {
    if plot && out.is_none() {
        return Err(ConfigError::new(
            "--plot",
            "needs --out (the folder of the figures)",
        ));
    }
    Ok(())
}

/// The run in `dir`; bad input (exit 2, one line naming `flag` and the folder) when it is
/// not a folder of a finished vanish run.
fn check_run_folder(flag: &str, dir: &std::path::Path) -> Result<RunFolder, ConfigError> {
    RunFolder::open(dir).map_err(|e| ConfigError::new(flag, format!("{e:#}")))
}

const REPORT_EXAMPLES: &str = "Examples:
  vanish report runs/sim runs/table runs/train --out report/
  chromium report/index.html

Writes index.html (inline SVG and CSS: no network access and no JavaScript needed) and
each figure as an SVG file beside it.";

/// The raw flags of `vanish report`.
#[derive(Debug, Args)]
#[command(after_help = REPORT_EXAMPLES)]
pub struct ReportArgs {
    /// Output folders of runs, in the order the report shows them.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// The report's folder (index.html and the figures).
    #[arg(short, long)]
    out: PathBuf,
}

pub(super) fn report(args: ReportArgs) -> anyhow::Result<()> {
    for d in &args.dirs {
        check_run_folder("DIRS", d)?;
    }
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if args.dirs.iter().any(|d| same(d, &args.out)) {
        return Err(ConfigError::new("--out", "give a folder other than the runs'").into());
    }
    // Everything is drawn before the folder is touched: a failure leaves nothing behind.
    let report = crate::output::report::build(&args.dirs)?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    let (html, figures) = (report.html, report.figures);
    for f in &figures {
        crate::output::plot::check_name(&f.name)?;
    }
    let out = prepare_out_dir(&args.out)?;
    crate::output::plot::write_all(&out, &figures)?;
    let index = out.join("index.html");
    write_atomic(&index, html.as_bytes())
        .with_context(|| format!("writing {}", index.display()))?;
    super::print_stdout(&format!(
        "{} ({} figures from {} folders)\n",
        index.display(),
        figures.len(),
        args.dirs.len()
    ))
}
