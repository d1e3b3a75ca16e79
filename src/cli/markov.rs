//! `vanish markov`: the thresholds answer's two-state chain (or k states) fitted to trajectories.

use std::path::PathBuf;

use clap::Args;

use crate::dynamics::study::{AnalysisSettings, Rule, RunSeries, analyse};
use crate::error::ConfigError;
use crate::output::dynamics::{add_files, report_json, report_table};
use crate::output::format::pretty_json;
use crate::output::manifest::{Manifest, RunFiles};

use super::progress::Stage;

const EXAMPLES: &str = "Examples:
  vanish markov runs/tr/trajectories.csv
  vanish markov runs/tr/trajectories.csv --state 'gain < 1e-8' --leave 1e-5 --out runs/chain
  vanish markov runs/tr/trajectories.csv --bins 'gain: 1e-12, 1e-6, 1' --json
  vanish markov runs/tr/trajectories.csv --converged plateau --tolerance 0.01 --seed 2
  vanish markov runs/tr/trajectories.csv --replicates 500 --latent-replicates 0 --out results --plot --force

The file is a tidy CSV with a `run` and a `step` column and one column per recorded
quantity (`vanish train` writes one; any tool can). Rows may come in any order; each run's
rows are taken in increasing step. A run whose state column is NaN (a diverged run) ends
there; the number of such runs is reported.";

/// The raw flags of `vanish markov`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("out", |a| a.help(
    "Write markov.json and (two states) survival.csv, risks.csv, viterbi.csv and ppc.csv \
     into this folder"
)))]
pub struct MarkovArgs {
    /// The trajectories CSV.
    file: PathBuf,
    /// The rule that puts a record in [g∼0]: COLUMN < VALUE (or <=, >, >=); a run leaves
    /// [g∼0] only across --leave.
    #[arg(long, default_value = "probe_gain < 1e-6")]
    state: String,
    /// k states instead of two: COLUMN: EDGE1, EDGE2, … (increasing); state i holds the
    /// values between edge i and edge i+1 (state 0 below the first edge).
    #[arg(long, conflicts_with = "state")]
    bins: Option<String>,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// Seed of the run-level resampling.
    #[arg(short, long, default_value_t = 1, value_parser = super::parse_count)]
    seed: u64,
    #[command(flatten)]
    pub(super) output: super::common::OutArgs,
    /// Print the JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// No progress and no table (files and --json still written).
    #[arg(short, long)]
    pub(super) quiet: bool,
}

/// The analysis flags shared by `markov` and `train --fit`.
#[derive(Debug, Args, serde::Serialize, serde::Deserialize)]
pub struct AnalysisArgs {
    /// Leave [g∼0] only when the state column crosses back over this value (hysteresis)
    /// [default: three decades beyond a positive --state value; the same value otherwise].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    pub(super) leave: Option<f64>,
    /// A third, absorbing state [converged]: COLUMN < VALUE (e.g. 'loss < 0.01'), plateau,
    /// or plateau(W, REL) (the mean loss of W records improved by less than REL on the W
    /// before, while the gradient is alive).
    #[arg(long)]
    pub(super) converged: Option<String>,
    /// The one-way verdict's tolerance τ on the escape probability per record.
    #[arg(long, default_value_t = crate::dynamics::oneway::DEFAULT_TOLERANCE, value_parser = super::parse_finite)]
    pub(super) tolerance: f64,
    /// Replicates of the run-level resampling.
    #[arg(long, default_value = "2000", value_parser = super::parse_count)]
    pub(super) replicates: u64,
    /// Run-resampled refits of the two-state hidden Markov model (each is a full fit); 0
    /// skips the latent models.
    #[arg(long, default_value = "100", value_parser = super::parse_count)]
    pub(super) latent_replicates: u64,
}

impl AnalysisArgs {
    /// The validated settings.
    pub(super) fn settings(&self) -> Result<AnalysisSettings, ConfigError> {
        AnalysisSettings::new(self.tolerance, self.replicates, self.latent_replicates)
    }
}

pub(super) fn run(args: MarkovArgs) -> anyhow::Result<()> {
    let settings = args.analysis.settings()?;
    let rule = Rule::parse(
        &args.state,
        args.analysis.leave,
        args.analysis.converged.as_deref(),
        args.bins.as_deref(),
    )?;
    let runs = RunSeries::read_csv(&args.file, &rule)?;
    let out = args.output.prepare("markov")?;
    let analysis = {
        let _working = Stage::working("markov: fitting and resampling the runs", args.quiet);
        analyse(&runs, &rule, &settings, args.seed)
    };
    let names = rule.state_names();
    let json = report_json(&analysis, &rule, &names);
    let pretty = pretty_json(&json);
    if let Some(dir) = out {
        let mut files = RunFiles::new();
        add_files(&mut files, &analysis, &rule, &runs);
        let manifest = Manifest::new("markov")
            .with("file", args.file.display().to_string())
            .with("rule", rule.describe())
            .with("seed", args.seed)
            .with("tolerance", args.analysis.tolerance)
            .with("replicates", args.analysis.replicates)
            .with("latent_replicates", args.analysis.latent_replicates);
        files.write(&dir, manifest)?;
    }
    if args.json {
        return super::print_stdout(&pretty);
    }
    if args.quiet {
        return Ok(());
    }
    super::print_stdout(&report_table(&analysis, &rule, &names, &args.file))
}
