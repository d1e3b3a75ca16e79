//! `vanish meanfield`: the mean-field theory of wide random networks, at one (σ_w, σ_b) or
//! over a grid of them (the phase diagram), with the order/chaos boundary.

use std::path::PathBuf;

use std::time::Instant;

use clap::Args;

use crate::model::activation::Activation;
use crate::output::files::prepare_out_dir;
use crate::output::format::pretty_json;
use crate::output::manifest::{Manifest, RunFiles};
use crate::output::meanfield;
use crate::theory::phase::PhaseGrid;

const EXAMPLES: &str = "Examples:
  vanish meanfield --sigma-w 1.5 --sigma-b 0.05
  vanish meanfield --n 2 --sigma-w 0.5:3:0.25 --sigma-b 0,0.1,0.3 --out runs/phase
  vanish meanfield --activation relu --sigma-w 1,1.414,2 --sigma-b 0.1 --json

Weights N(0, σ_w²/fan_in), biases N(0, σ_b²). q* is the fixed point of the length map
q ↦ σ_w²·E[φ(√q·z)²] + σ_b²; χ1 = σ_w²·E[φ'(√q*·z)²] is the gain of E‖Ju‖² per layer:
χ1 < 1 ordered (gradients vanish), χ1 > 1 chaotic (they explode). c* is the stable fixed
point of the correlation map and ξ_q, ξ_c the depth scales (Schoenholz et al. 2017).";

/// The raw flags of `vanish meanfield`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct MeanFieldArgs {
    /// The activation: tanh, lecun, relu, leaky-relu(α), sigmoid.
    #[arg(long, default_value = "tanh")]
    activation: String,
    /// Slope n of a·tanh(n·x) [default: 2].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    n: Option<f64>,
    /// Amplitude a of a·tanh(n·x) [default: 1].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    a: Option<f64>,
    /// σ_w: one value, a list `1,1.5` or a range `start:stop:step`.
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    sigma_w: String,
    /// σ_b: one value, a list or a range.
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    sigma_b: String,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long)]
    threads: Option<usize>,
    /// Write phase.csv, phase.json and critical.csv into this folder.
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// Print JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: MeanFieldArgs) -> anyhow::Result<()> {
    super::tanh_flags_fit(&args.activation, args.n.is_some(), args.a.is_some())?;
    let activation = Activation::parse(
        &args.activation,
        args.a.unwrap_or(1.0),
        args.n.unwrap_or(2.0),
    )?;
    let grid = PhaseGrid::new(
        activation,
        super::parse_values("--sigma-w", &args.sigma_w)?,
        super::parse_values("--sigma-b", &args.sigma_b)?,
    )?;
    let threads = super::threads(args.threads)?;
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let pool = super::pool(threads)?;
    let started = Instant::now();
    let diagram = pool.install(|| grid.compute());
    let elapsed = started.elapsed().as_secs_f64();
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
            .with("elapsed_s", elapsed);
        files.write(&dir, manifest)?;
    }
    if args.json {
        return super::print_stdout(&pretty);
    }
    super::print_stdout(&meanfield::table(&diagram))
}
