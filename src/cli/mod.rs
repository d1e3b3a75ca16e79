//! The command line: clap definitions, one file per subcommand, each turning raw flags into
//! validated configs before any work starts.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::{ConfigError, Error};

mod common;
mod markov;
mod meanfield;
mod merge;
mod network_args;
mod plot;
mod progress;
mod sim;
mod table;
mod thresholds;
mod train;

/// The top-level help's closing lines: where each command's help is, and the question and
/// answer the help texts cite by name.
const ABOUT_THE_QUESTION: &str = "\
`vanish help COMMAND` (or `vanish COMMAND --help`) lists a command's flags with examples.

The question: \"Can the vanishing gradient problem be solved by multiplying the input of
tanh with a coefficient?\" (Data Science Stack Exchange, question 51545, by zephyr). The
thresholds answer (Esmailian's) derives t1(n), e(n) and the depth threshold and models
training as a two-state Markov chain, a \"one-way street\". See the README.";

/// Monte Carlo of vanishing and exploding gradients: products of activation derivatives
/// g = f'(x_1)·…·f'(x_K), computed in the log domain.
#[derive(Debug, Parser)]
#[command(name = "vanish", version, about, long_about = None, after_help = ABOUT_THE_QUESTION)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Estimate P(vanish), P(explode) and the law of log10 g by Monte Carlo.
    Sim(Box<sim::SimArgs>),
    /// A grid of experiments: P(vanish), P(explode) and log10 g per cell, as CSV, JSON and
    /// a Markdown table; journaled, resumable, shardable.
    Table(Box<table::TableArgs>),
    /// Merge the shards of a table or of a training run into the files of one unsharded
    /// run.
    Merge(merge::MergeArgs),
    /// Mean-field theory of wide random networks: q*, χ1, c*, depth scales, and the phase
    /// diagram over (σ_w, σ_b) with the order/chaos boundary.
    Meanfield(meanfield::MeanFieldArgs),
    /// Train many small MLPs from independent initialisations and record the backward
    /// gain, the derivative product and the loss along the way (trajectories.csv).
    Train(Box<train::TrainArgs>),
    /// Fit the thresholds answer's two-state Markov chain ([g≫0] → [g∼0], its "one-way
    /// street"), or k states, to trajectories: transition probabilities with exact
    /// intervals, escape from [g∼0], survival against the geometric law, order and
    /// homogeneity tests.
    Markov(markov::MarkovArgs),
    /// The thresholds answer's t1(n), e(n), the depth threshold and their maximisers.
    Thresholds(thresholds::ThresholdsArgs),
    /// Draw the figures of a run's output folder as SVG files.
    Plot(plot::PlotArgs),
    /// One self-contained HTML page (inline SVG, no JavaScript) of one or more run folders:
    /// configuration, tables and figures.
    Report(plot::ReportArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  vanish completions bash > ~/.local/share/bash-completion/completions/vanish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Runs the binary: parse, run, map the error to an exit code (2 bad input, 1 failure,
/// 0 quietly on a broken pipe).
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let args = if args.get(1).is_some_and(|c| c == "table") {
        table::placeholder_flags(args)
    } else {
        args
    };
    let cli = match command()
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => match one_line(&e) {
            Some(line) => {
                eprintln!("error: {line}");
                return ExitCode::from(2);
            }
            None => e.exit(),
        },
    };
    // A VANISH_SIMD that names no instruction-set level is bad input like a bad flag.
    if let Err(e) = crate::mc::fast::Isa::check_env() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Sim(args) => plotted(args.output.clone(), args.quiet, || sim::run(*args)),
        Command::Meanfield(args) => {
            plotted(args.output.clone(), args.quiet, || meanfield::run(args))
        }
        Command::Markov(args) => plotted(args.output.clone(), args.quiet, || markov::run(args)),
        Command::Train(args) => {
            let output = common::OutArgs {
                out: args.out.clone(),
                plot: args.plot,
                force: args.force,
            };
            plotted(output, args.quiet, || train::run(*args))
        }
        Command::Thresholds(args) => {
            plotted(args.output.clone(), args.quiet, || thresholds::run(args))
        }
        Command::Table(args) => plotted(args.output.clone(), args.quiet, || table::run(*args)),
        Command::Merge(args) => merge::run(args),
        Command::Plot(args) => plot::run(args),
        Command::Report(args) => plot::report(args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "vanish", &mut out);
            print_stdout(&String::from_utf8_lossy(&out))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit_for(&e),
    }
}

/// The command line of [`Cli`], where every flag that takes a value also takes a negative
/// number (`--seed -1`), so that the flag's own check names it and says what is allowed
/// (clap would take `-1` for an unknown flag).
fn command() -> clap::Command {
    fn negative(a: clap::Arg) -> clap::Arg {
        if a.get_action().takes_values() && !a.is_allow_hyphen_values_set() {
            a.allow_negative_numbers(true)
        } else {
            a
        }
    }
    Cli::command().mut_subcommands(|s| s.mut_args(negative))
}

/// A bad flag value as the rest of vanish reports bad input: one line naming the flag and
/// what is allowed (clap's own message spans three lines and names the value's placeholder).
fn one_line(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        e.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let arg = text(ContextKind::InvalidArg)?;
    let flag = arg.split_whitespace().next().unwrap_or(&arg).to_string();
    let value = text(ContextKind::InvalidValue).unwrap_or_default();
    if let Some(ContextValue::Strings(valid)) = e
        .get(ContextKind::ValidValue)
        .filter(|v| !matches!(v, ContextValue::Strings(v) if v.is_empty()))
    {
        return Some(format!(
            "{flag}: must be one of {}, got '{value}'",
            valid.join(", ")
        ));
    }
    // A value parser's own reason (clap keeps it as the error's source).
    let why = std::error::Error::source(e).map(ToString::to_string)?;
    if why.contains(&value) {
        Some(format!("{flag}: {why}"))
    } else {
        Some(format!("{flag}: {why}, got '{value}'"))
    }
}

/// Runs a subcommand, then (with `--plot`) draws the figures of its `--out` folder, with
/// notes unless `quiet`; `--plot` without `--out` is refused before any work.
fn plotted(
    output: common::OutArgs,
    quiet: bool,
    run: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let common::OutArgs { out, plot, .. } = output;
    plot::check_plot_flag(plot, out.as_deref())?;
    run()?;
    match out {
        Some(dir) if plot => plot::plot_into(&dir, quiet),
        _ => Ok(()),
    }
}

/// The one place a failure becomes an exit code: 0 for a closed stdout (a pipe to `head`),
/// 2 for bad input ([`ConfigError`], or the library's [`Error::Config`]), 1 for the rest.
fn exit_for(e: &anyhow::Error) -> ExitCode {
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || matches!(
                c.downcast_ref::<Error>(),
                Some(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe
            )
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let code = match (e.downcast_ref::<ConfigError>(), e.downcast_ref::<Error>()) {
        (Some(_), _) => 2,
        (None, Some(lib)) => lib.exit_code(),
        (None, None) => 1,
    };
    if code == 2 {
        // Bad input: its one line (a ConfigError, or the library's Error::Config, which
        // displays as one).
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    eprintln!("error: {e:#}");
    ExitCode::from(1)
}

/// Writes to stdout; a closed pipe surfaces as an `io::Error` that exits quietly.
pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The worker pool of a run.
pub(crate) fn pool(threads: usize) -> anyhow::Result<rayon::ThreadPool> {
    use anyhow::Context;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting the worker threads")
}

/// The worker threads of `--threads` (default: every core).
pub(crate) fn threads(given: Option<usize>) -> Result<usize, ConfigError> {
    match given {
        Some(t) if (1..=4096).contains(&t) => Ok(t),
        Some(t) => Err(ConfigError::new(
            "--threads",
            format!("must be from 1 to 4096, got {t}"),
        )),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Parses a count such as `1000000`, `1_000_000` or `1e6`: a whole number ≥ 0 (each flag
/// checks its own range).
pub(crate) use crate::sweep::grid::{parse_finite, parse_values};
pub use table::{ConfigValues, parse_config};

pub(crate) fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim().replace('_', "");
    if let Ok(v) = t.parse::<u64>() {
        return Ok(v);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 => Ok(v as u64),
        Ok(v) if v >= 1.8e19 => Err(format!("'{s}' is too large (at most 1.8e19)")),
        _ => Err(format!(
            "'{s}' is not a whole number ≥ 0 (write e.g. 1000000, 1_000_000 or 1e6)"
        )),
    }
}

/// Parses a count that indexes memory (`--threads`, `--input-dim`) like [`parse_count`].
pub(crate) fn parse_size(s: &str) -> Result<usize, String> {
    usize::try_from(parse_count(s)?).map_err(|_| format!("'{s}' is too large"))
}

/// Parses a depth K like a count (`1000`, `1e3`); the range is checked with the config.
pub(crate) fn parse_depth(s: &str) -> Result<u32, String> {
    let v = parse_count(s)?;
    u32::try_from(v)
        .map_err(|_| format!("'{s}' is too large (at most {})", crate::model::MAX_DEPTH))
}

/// Refuses `--n` or `--a` (given: `n`, `a`) with an activation other than `tanh`; returns
/// whether the activation is `tanh`.
pub(crate) fn tanh_flags_fit(activation: &str, n: bool, a: bool) -> Result<bool, ConfigError> {
    let is_tanh = activation.trim().eq_ignore_ascii_case("tanh");
    if !is_tanh && (n || a) {
        return Err(ConfigError::new(
            if n { "--n" } else { "--a" },
            "sets a·tanh(n·x) and goes with --activation tanh only",
        ));
    }
    Ok(is_tanh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_lists() {
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("5_000"), Ok(5000));
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
        assert_eq!(parse_values("--n", "1,2.5").unwrap(), vec![1.0, 2.5]);
        assert_eq!(
            parse_values("--n", "0.5:1.5:0.25").unwrap(),
            vec![0.5, 0.75, 1.0, 1.25, 1.5]
        );
        assert!(parse_values("--n", "1:0:1").is_err());
        assert!(parse_values("--n", "1,x").is_err());
    }
}
