//! `vanish sim`: flags → validated experiment → summary → table, JSON and files.

use clap::Args;

use crate::error::ConfigError;
use crate::mc::fast::Precision;
use crate::mc::simulate::simulate;
use crate::methods::Method;
use crate::model::distribution::PreActivation;
use crate::model::experiment::Experiment;
use crate::model::source::Source;
use crate::output::files::csv_text;
use crate::output::format::pretty_json;
use crate::output::manifest::{Manifest, RunFiles};
use crate::output::results::{SimResults, exact_density_csv, histogram_csv};

use super::progress::{Stage, Timings};

const EXAMPLES: &str = "Examples:
  vanish sim
  vanish sim --n 1.5 --depth 100 --dist 'laplace(0,0.7)' --samples 5e6 --out runs/a
  vanish sim --activation lecun --dist 'mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))' --json
  vanish sim --method all          # exact, saddlepoint, CLT and importance sampling too
  vanish sim --vanish-below 1e-10 --explode-above 1e10 --seed 7 --quiet --out runs/sim --plot
  vanish sim --precision f32 --threads 2    # f32 kernel: own numbers; --threads changes none
  vanish sim --source network --width 128 --sigma-w 1.5 --sigma-b 0.1 -N 2000
  vanish sim --source network --width 64 --input-dim 16 --init orthogonal --quantity jacobian
  vanish sim --n 2 --a 1.7159 --out results --force   # results/ holds other files: kept

Distributions (--dist): normal(μ,σ), uniform(lo,hi), laplace(μ,b), student-t(ν,scale),
  logistic(μ,s), point(x0), mix(w1*D1, w2*D2, …)
Activations (--activation): tanh (a·tanh(n·x), with --n and --a), lecun (1.7159·tanh(2x/3)),
  relu, leaky-relu(α), sigmoid";

/// The raw flags of `vanish sim`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("out", |a| a.help(
    "Write manifest.json, summary.json, summary.csv and histogram.csv into this folder"
)))]
pub struct SimArgs {
    /// K: the number of derivative factors in g (network depth; accepts 1e3). The default
    /// is `train`'s, so that `sim` and `train` at their defaults study the same model.
    #[arg(short = 'k', long, default_value = "20", value_parser = super::parse_depth)]
    depth: u32,
    /// N: the number of samples of g (accepts 1e6, 1_000_000) [default: 1e6; 1000 networks
    /// with --source network].
    #[arg(short = 'N', long, value_parser = super::parse_count)]
    samples: Option<u64>,
    /// The distribution of each pre-activation x_i, or of each network input (see the
    /// grammar below).
    #[arg(short, long, default_value = "normal(0,1)")]
    dist: String,
    #[command(flatten)]
    activation: super::common::ActivationArgs,
    /// g below this counts as vanished.
    #[arg(long, default_value = "1e-6", value_parser = super::parse_finite, allow_negative_numbers = true)]
    vanish_below: f64,
    /// g above this counts as exploded.
    #[arg(long, default_value = "1e6", value_parser = super::parse_finite, allow_negative_numbers = true)]
    explode_above: f64,
    /// Estimates beside Monte Carlo (iid sources only): one, or a list such as exact,clt.
    #[arg(
        short,
        long,
        value_parser = super::common::MethodParser,
        value_delimiter = ',',
        default_value = "mc",
        ignore_case = true
    )]
    method: Vec<super::common::MethodFlag>,
    /// `--method exact`: the wanted relative width of its bracket lower ≤ p ≤ upper (on the
    /// smaller of p and 1 − p), above 0 and below 1.
    #[arg(long, default_value_t = crate::methods::bracket::DEFAULT_TOL, value_parser = super::parse_finite, allow_negative_numbers = true)]
    tol: f64,
    /// `--method exact`: the memory its lattice may take, in megabytes; where --tol needs
    /// more, the bracket is the finest this allows (it still holds, and says so).
    #[arg(long, default_value_t = crate::methods::bracket::DEFAULT_MEMORY_MB, value_parser = super::parse_finite, allow_negative_numbers = true, value_name = "MB")]
    exact_memory: f64,
    /// `--method is`: sample until the relative standard error of each tail is at most REL
    /// (0 < REL < 1), in whole rounds of blocks; --samples is then the cap.
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true, value_name = "REL")]
    rel_err: Option<f64>,
    /// Seed of every random stream: the same seed gives the same numbers on any machine.
    #[arg(short, long, default_value_t = 1, value_parser = super::parse_count)]
    seed: u64,
    /// Kernel arithmetic: f64 (vectorised), f32 (vectorised, 2–3× faster), reference (the
    /// scalar oracle). Each gives its own, reproducible numbers.
    #[arg(long, value_enum, default_value_t = Precision::F64, ignore_case = true)]
    precision: Precision,
    #[command(flatten)]
    threads: super::common::ThreadsArg,
    #[command(flatten)]
    pub(super) output: super::common::OutArgs,
    /// Print the summary JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    source: super::network_args::SourceArgs,
    /// No progress bar and no table (files and --json still written).
    #[arg(short, long)]
    pub(super) quiet: bool,
}

/// Validated settings of a `sim` run.
struct SimSettings {
    experiment: Experiment,
    methods: Vec<Method>,
    threads: usize,
    out: Option<crate::output::files::OutFolder>,
    json: bool,
    quiet: bool,
}

impl SimArgs {
    fn validate(self) -> Result<SimSettings, ConfigError> {
        let dist: PreActivation = self.dist.parse()?;
        let activation = self.activation.activation()?;
        let default_samples = if self.source.is_network() {
            1000
        } else {
            1_000_000
        };
        let precision = self.precision;
        let source = self.source.to_source(dist, self.depth)?;
        let experiment = Experiment::new(
            activation,
            source,
            self.depth,
            self.samples.unwrap_or(default_samples),
            self.vanish_below,
            self.explode_above,
            self.seed,
        )?
        .with_precision(precision)?
        .with_accuracy(
            crate::methods::bracket::Accuracy::new(self.tol, self.exact_memory)?
                .with_rel_err(self.rel_err)?,
        );
        crate::limits::check_work(
            "--samples",
            experiment.work(),
            crate::limits::MAX_DERIVATIVES,
            if experiment.source().iid_dist().is_some() {
                "derivatives (--samples × --depth)"
            } else {
                "normals (--samples × the network's weights)"
            },
            self.output.force,
        )?;
        let methods = super::common::methods(&self.method)?;
        for m in &methods {
            m.check(&experiment)?;
        }
        let threads = self.threads.count()?;
        // Checked last, so that bad flags never leave a folder behind.
        let out = self.output.prepare("sim")?;
        Ok(SimSettings {
            experiment,
            methods,
            threads,
            out,
            json: self.json,
            quiet: self.quiet,
        })
    }
}

pub(super) fn run(args: SimArgs) -> anyhow::Result<()> {
    let s = args.validate()?;
    let exp = &s.experiment;
    let pool = super::pool(s.threads)?;
    let mut time = Timings::start();
    let summary = time.part("monte carlo", || {
        let (what, unit) = match exp.source() {
            Source::Iid { .. } => ("sim", "samples"),
            Source::Network { .. } => ("sim --source network", "networks"),
        };
        let bar = Stage::new(what, exp.samples(), unit, s.quiet);
        pool.install(|| simulate(exp, 0, &|n| bar.inc(n)))
    });
    let mut results = SimResults::new(exp.clone(), summary);
    for &m in &s.methods {
        if m == Method::Mc {
            continue;
        }
        results = time.part(method_part(m), || {
            let steps = results.method_steps(m);
            let bar = Stage::new(method_label(m), steps, unit(m), s.quiet);
            pool.install(|| results.with_method(m, &|n| bar.inc(n)))
        });
    }
    let summary_json = results.to_json();

    let elapsed = if let Some(dir) = &s.out {
        let kernel = crate::mc::simulate::kernel(exp);
        let (header, row) = results.csv_row();
        let mut files = RunFiles::new();
        files.add("summary.json", pretty_json(&summary_json));
        files.add("summary.csv", csv_text(&header, &[row]));
        files.add("histogram.csv", histogram_csv(&results));
        if let Some(grid) = &results.exact_grid {
            files.add("exact_density.csv", exact_density_csv(grid));
        }
        let elapsed = time.whole();
        let manifest = Manifest::new("sim")
            .with("config", exp.to_json())
            .with("seed", exp.seed())
            .with("rng", crate::mc::rng::RNG_NAME)
            .with("kernel", kernel.name())
            .with("kernel_note", kernel.note())
            .with("threads", s.threads)
            .with("elapsed_s", elapsed)
            .with("timings_s", time.json());
        files.write(dir, manifest)?;
        elapsed
    } else {
        time.whole()
    };
    if s.json {
        super::print_stdout(&pretty_json(&summary_json))?;
    } else if !s.quiet {
        let monte_carlo = time.of("monte carlo");
        let mut table = crate::output::sim::table(&results, monte_carlo, s.threads);
        if s.methods.iter().any(|&m| m != Method::Mc) {
            table.push_str(&time.line(elapsed));
            table.push('\n');
        }
        super::print_stdout(&table)?;
    }
    Ok(())
}

/// A method's name as a part of the run's time and as its progress bar says it.
fn method_part(m: Method) -> &'static str {
    match m {
        Method::Mc => "monte carlo",
        Method::Exact => "exact",
        Method::Clt => "clt",
        Method::Saddle => "saddle",
        Method::Saddle2 => "saddle2",
        Method::Is => "is",
    }
}

/// What a method's progress bar says is running.
fn method_label(m: Method) -> &'static str {
    match m {
        Method::Mc => "monte carlo",
        Method::Exact => "exact (FFT)",
        Method::Clt => "clt",
        Method::Saddle => "saddlepoint",
        Method::Saddle2 => "saddlepoint, 2nd order",
        Method::Is => "is: both tails",
    }
}

/// What a method's progress counts.
fn unit(m: Method) -> &'static str {
    match m {
        Method::Is => "samples",
        _ => "steps",
    }
}
