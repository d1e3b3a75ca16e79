//! `vanish plot` and `vanish report`: the figures of output folders as SVG files, and one
//! self-contained HTML page of them.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::error::ConfigError;
use crate::output::manifest::{Claim, Manifest, RunFiles, add_figures, prepare_out};
use crate::output::plot::{Figure, RunFolder};

const PLOT_EXAMPLES: &str = "Examples:
  vanish sim --n 2 --depth 50 --method exact --out runs/sim && vanish plot runs/sim
  vanish plot runs/t --out figures/
  vanish plot runs/tr --out figures/ --force     # into a folder that holds other files

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
    /// Write into an --out folder that holds other files (files of the same names are
    /// replaced, the others kept).
    #[arg(long)]
    force: bool,
    /// No notes and no list of the files written (errors only).
    #[arg(short, long)]
    quiet: bool,
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
    notes(&drawn.skipped, args.quiet);
    for f in &drawn.figures {
        crate::output::plot::check_name(&f.name)?;
    }
    let written = match &args.out {
        Some(o) if !same_folder(o, &args.dir) => {
            let out = prepare_out(o, &Claim::new("plot").force(args.force))?;
            let manifest = Manifest::new("plot").with("run", args.dir.display().to_string());
            let mut paths = figure_files(&drawn.figures)
                .write(&out, manifest)
                .map_err(|e| cannot_write(&out, e.into()))?;
            paths.pop(); // the manifest
            paths
        }
        _ => add_figures(&args.dir, &svg_files(&drawn.figures))
            .map_err(|e| cannot_write(&args.dir, e.into()))?,
    };
    if args.quiet {
        return Ok(());
    }
    let list: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    super::print_stdout(&format!("{}\n", list.join("\n")))
}

/// Prints each note on stderr as `note: …`, unless `quiet`.
fn notes(notes: &[String], quiet: bool) {
    if !quiet {
        for note in notes {
            eprintln!("note: {note}");
        }
    }
}

/// One line naming the folder the figures could not be written into (a read-only run
/// folder, a full disk).
fn cannot_write(dir: &std::path::Path, e: anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot write the figures into '{}': {}",
        dir.display(),
        e.root_cause()
    )
}

/// Draws the figures of a run's `--out` folder after it was written (`--plot`). The run's
/// files are complete before this starts; a figure that cannot be drawn is a note on
/// stderr (unless `quiet`), not a failure.
pub(super) fn plot_into(dir: &std::path::Path, quiet: bool) -> anyhow::Result<()> {
    let drawn = crate::output::plot::figures_for(dir);
    notes(&drawn.skipped, quiet);
    if drawn.figures.is_empty() && drawn.skipped.is_empty() && !quiet {
        eprintln!(
            "note: --plot: nothing to draw in '{}' (a shard or a k-state fit has no figure)",
            dir.display()
        );
    }
    add_figures(dir, &svg_files(&drawn.figures)).with_context(|| {
        format!(
            "--plot: the run's files in '{}' are complete; writing its figures failed",
            dir.display()
        )
    })?;
    Ok(())
}

/// The figures as files: NAME.svg and the drawing.
fn svg_files(figures: &[Figure]) -> Vec<(String, String)> {
    figures
        .iter()
        .map(|f| (format!("{}.svg", f.name), f.svg.clone()))
        .collect()
}

/// The figures as the files of a run of their own (`plot --out`, `report`).
fn figure_files(figures: &[Figure]) -> RunFiles {
    let mut files = RunFiles::new();
    for (name, svg) in svg_files(figures) {
        files.add(&name, svg);
    }
    files
}

/// Whether two paths name one folder.
fn same_folder(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
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
  vanish report runs/sim runs/t runs/tr --out report/
  chromium report/index.html
  vanish report runs/phase runs/thresholds --out results --force

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
    /// Write into an --out folder that holds other files (files of the same names are
    /// replaced, the others kept).
    #[arg(long)]
    force: bool,
    /// No notes and no line naming the page (errors only).
    #[arg(short, long)]
    quiet: bool,
}

pub(super) fn report(args: ReportArgs) -> anyhow::Result<()> {
    for d in &args.dirs {
        check_run_folder("DIRS", d)?;
    }
    if args.dirs.iter().any(|d| same_folder(d, &args.out)) {
        return Err(ConfigError::new("--out", "give a folder other than the runs'").into());
    }
    // Everything is drawn before the folder is touched: a failure leaves nothing behind.
    let report = crate::output::report::build(&args.dirs)?;
    notes(&report.notes, args.quiet);
    let (html, figures) = (report.html, report.figures);
    for f in &figures {
        crate::output::plot::check_name(&f.name)?;
    }
    let out = prepare_out(&args.out, &Claim::new("report").force(args.force))?;
    let mut files = figure_files(&figures);
    files.add("index.html", html);
    let runs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
    files.write(&out, Manifest::new("report").with("runs", runs))?;
    if args.quiet {
        return Ok(());
    }
    let index = out.join("index.html");
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    super::print_stdout(&format!(
        "{} ({} from {})\n",
        index.display(),
        plural(figures.len(), "figure"),
        plural(args.dirs.len(), "folder")
    ))
}
