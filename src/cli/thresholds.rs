//! `vanish thresholds`: the thresholds answer's thresholds for a list of slopes n.

use clap::Args;

use crate::output::format::pretty_json;
use crate::output::manifest::{Manifest, RunFiles};
use crate::output::thresholds;
use crate::theory::thresholds::ThresholdTable;

const EXAMPLES: &str = "Examples:
  vanish thresholds --n 1,1.5,1.81,2,3 --depth 50    # the thresholds answer's K = 50
  vanish thresholds --n 1:4:0.5 --a 1.7159 --json
  vanish thresholds --out runs/thresholds --plot
  vanish thresholds --n 2 --out results --force    # results/ holds other files

For f(x) = a·tanh(n·x), f' peaks at a·n:
  t1    = acosh(a·n)/n           beyond ±t1, f'(x) < 1/(a·n)  (cancels one maximal factor)
  e     = acosh(√(a·n))/n        inside ±e,  f'(x) > 1        (the explode side)
  depth = acosh((a·n)^(K/2))/n   beyond it, one factor cancels K−1 maximal ones";

/// The raw flags of `vanish thresholds`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("out", |a| a.help("Write thresholds.csv and thresholds.json into this folder")))]
pub struct ThresholdsArgs {
    /// Slopes n: a list `1,1.5,2` or an inclusive range `start:stop:step`.
    #[arg(short, long, default_value = "1,1.5,1.81,2,3")]
    n: String,
    /// Amplitude a of a·tanh(n·x).
    #[arg(short, long, default_value_t = 1.0, value_parser = super::parse_finite, allow_negative_numbers = true)]
    a: f64,
    /// K, for the depth threshold (the thresholds answer's example is K = 50).
    #[arg(short = 'k', long, default_value = "20", value_parser = super::parse_depth)]
    depth: u32,
    /// Print JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    pub(super) output: super::common::OutArgs,
    /// No table (files and --json still written).
    #[arg(short, long)]
    pub(super) quiet: bool,
}

pub(super) fn run(args: ThresholdsArgs) -> anyhow::Result<()> {
    let table = ThresholdTable::new(args.a, &super::parse_values("--n", &args.n)?, args.depth)?;
    let out = args.output.prepare("thresholds")?;
    let json = pretty_json(&thresholds::thresholds_json(&table));
    if let Some(dir) = out {
        let mut files = RunFiles::new();
        files.add("thresholds.csv", thresholds::thresholds_csv(&table));
        files.add("thresholds.json", json.clone());
        let manifest = Manifest::new("thresholds")
            .with("a", args.a)
            .with("n", &args.n)
            .with("depth", args.depth);
        files.write(&dir, manifest)?;
    }
    if args.json {
        return super::print_stdout(&json);
    }
    if args.quiet {
        return Ok(());
    }
    super::print_stdout(&thresholds::table(&table))
}
