//! `vanish meanfield`: the mean-field theory of wide random networks, at one (σ_w, σ_b) or
//! over a grid of them (the phase diagram), with the order/chaos boundary.

use clap::Args;

use crate::output::format::pretty_json;
use crate::output::manifest::{Manifest, RunFiles};
use crate::output::meanfield;
use crate::theory::phase::PhaseGrid;

use super::progress::{Stage, Timings};

const EXAMPLES: &str = "Examples:
  vanish meanfield --sigma-w 1.5 --sigma-b 0.05
  vanish meanfield --n 2 --sigma-w 0.5:3:0.25 --sigma-b 0,0.1,0.3 --out runs/phase --plot
  vanish meanfield --activation relu --sigma-w 1,1.414,2 --sigma-b 0.1 --json --threads 1
  vanish meanfield --n 0.6667 --a 1.7159 --sigma-w 0.5:2:0.1 --out results --force

Weights N(0, σ_w²/fan_in), biases N(0, σ_b²). q* is the fixed point of the length map
q ↦ σ_w²·E[φ(√q·z)²] + σ_b²; χ1 = σ_w²·E[φ'(√q*·z)²] is the gain of E‖Ju‖² per layer:
χ1 < 1 ordered (gradients vanish), χ1 > 1 chaotic (they explode). c* is the stable fixed
point of the correlation map (two inputs' correlation, layer to layer), χ_c its slope there:
below 1 the correlation settles at c* within ξ_c = −1/|ln χ_c| layers; ξ_q is the same depth
scale for q (Schoenholz et al. 2017).";

/// The raw flags of `vanish meanfield`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("out", |a| a.help("Write phase.csv, phase.json and critical.csv into this folder")))]
pub struct MeanFieldArgs {
    #[command(flatten)]
    activation: super::common::ActivationArgs,
    /// σ_w: one value, a list `1,1.5` or a range `start:stop:step`.
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    sigma_w: String,
    /// σ_b: one value, a list or a range.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    sigma_b: String,
    #[command(flatten)]
    threads: super::common::ThreadsArg,
    #[command(flatten)]
    pub(super) output: super::common::OutArgs,
    /// Print JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// No progress bar and no table (files and --json still written).
    #[arg(short, long)]
    pub(super) quiet: bool,
}

pub(super) fn run(args: MeanFieldArgs) -> anyhow::Result<()> {
    let activation = args.activation.activation()?;
    let grid = PhaseGrid::new(
        activation,
        super::parse_values("--sigma-w", &args.sigma_w)?,
        super::parse_values("--sigma-b", &args.sigma_b)?,
    )?;
    crate::limits::check_work(
        "--sigma-w",
        grid.evaluations(),
        crate::limits::MAX_INTEGRAND_EVALUATIONS,
        "integrand evaluations (more, and finer, as σ_w grows)",
        args.output.force,
    )?;
    let threads = args.threads.count()?;
    let out = args.output.prepare("meanfield")?;
    let pool = super::pool(threads)?;
    let time = Timings::start();
    let diagram = {
        let bar = Stage::new(
            "meanfield: phase diagram",
            grid.pieces(),
            "pieces",
            args.quiet,
        );
        pool.install(|| grid.compute_observed(&|n| bar.inc(n)))
    };
    let pretty = pretty_json(&meanfield::phase_json(&diagram));
    if let Some(dir) = out {
        let mut files = RunFiles::new();
        files.add("phase.csv", meanfield::phase_csv(&diagram));
        files.add("critical.csv", meanfield::critical_csv(&diagram));
        files.add("phase.json", pretty.clone());
        let manifest = Manifest::new("meanfield")
            .with("activation", activation.to_string())
            .with("sigma_w", &args.sigma_w)
            .with("sigma_b", &args.sigma_b)
            .with("threads", threads)
            .with("elapsed_s", time.whole());
        files.write(&dir, manifest)?;
    }
    if args.json {
        return super::print_stdout(&pretty);
    }
    if args.quiet {
        return Ok(());
    }
    super::print_stdout(&meanfield::table(&diagram))
}
