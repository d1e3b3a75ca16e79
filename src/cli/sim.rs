//! `vanish sim`: flags → validated experiment → summary → table, JSON and files.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::error::ConfigError;
use crate::mc::fast::Precision;
use crate::mc::simulate::simulate;
use crate::methods::Method;
use crate::model::distribution::PreActivation;
use crate::model::experiment::Experiment;
use crate::model::source::Source;
use crate::nets::network::Quantity;
use crate::output::files::csv_text;
use crate::output::format::{decimals4, pretty_json, probability, significant};
use crate::output::manifest::{Manifest, RunFiles};
use crate::output::results::{QUANTILES, SimResults, exact_density_csv, histogram_csv};

const EXAMPLES: &str = "Examples:
  vanish sim
  vanish sim --n 1.5 --depth 100 --dist 'laplace(0,0.7)' --samples 5e6 --out runs/a
  vanish sim --activation lecun --dist 'mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))' --json
  vanish sim --method all          # exact, saddlepoint and CLT beside Monte Carlo

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
    /// K: the number of derivative factors in g (network depth; accepts 1e3).
    #[arg(short = 'k', long, default_value = "50", value_parser = super::parse_depth)]
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
    #[arg(long, default_value_t = 1e-6, value_parser = super::parse_finite, allow_negative_numbers = true)]
    vanish_below: f64,
    /// g above this counts as exploded.
    #[arg(long, default_value_t = 1e6, value_parser = super::parse_finite, allow_negative_numbers = true)]
    explode_above: f64,
    /// Estimates beside Monte Carlo (iid sources only): one, or a list such as exact,clt.
    #[arg(
        short,
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "mc",
        ignore_case = true
    )]
    method: Vec<super::common::MethodFlag>,
    /// Seed of every random stream: the same seed gives the same numbers on any machine.
    #[arg(short, long, default_value_t = 1)]
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
    quiet: bool,
}

/// Validated settings of a `sim` run.
struct SimSettings {
    experiment: Experiment,
    methods: Vec<Method>,
    threads: usize,
    out: Option<PathBuf>,
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
        if matches!(source, Source::Network { .. }) && precision != Precision::F64 {
            return Err(ConfigError::new(
                "--precision",
                "network sources run in f64 only",
            ));
        }
        let experiment = Experiment::new(
            activation,
            source,
            self.depth,
            self.samples.unwrap_or(default_samples),
            self.vanish_below,
            self.explode_above,
            self.seed,
        )?
        .with_precision(precision);
        let methods = super::common::methods(&self.method)?;
        for m in &methods {
            m.check(&experiment)?;
        }
        let threads = self.threads.count()?;
        // Checked last, so that bad flags never leave a folder behind.
        let out = self.output.prepare()?;
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
    let work = exp.samples as f64 * f64::from(exp.depth);
    let bar = super::progress_bar(exp.samples, work, s.quiet);
    let started = Instant::now();
    let summary = pool.install(|| simulate(exp, 0, &|n| bar.inc(n)));
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let results = SimResults::new(exp.clone(), summary).with_methods(&s.methods);
    let summary_json = results.to_json();

    if let Some(dir) = &s.out {
        let kernel = crate::mc::simulate::kernel(exp);
        let manifest = Manifest::new("sim")
            .with("config", exp.to_json())
            .with("seed", exp.seed)
            .with("rng", crate::mc::rng::RNG_NAME)
            .with("kernel", kernel.name())
            .with("kernel_note", kernel.note())
            .with("threads", s.threads)
            .with("elapsed_s", elapsed);
        let (header, row) = results.csv_row();
        let mut files = RunFiles::new();
        files.add("summary.json", pretty_json(&summary_json));
        files.add("summary.csv", csv_text(&header, &[row]));
        files.add("histogram.csv", histogram_csv(&results));
        if let Some(grid) = &results.exact_grid {
            files.add("exact_density.csv", exact_density_csv(grid));
        }
        files.write(dir, manifest)?;
    }
    if s.json {
        super::print_stdout(&pretty_json(&summary_json))?;
    } else if !s.quiet {
        super::print_stdout(&table(&results, elapsed, s.threads))?;
    }
    Ok(())
}

fn table(r: &SimResults, elapsed: f64, threads: usize) -> String {
    let e = &r.experiment;
    let s = &r.summary;
    let mut t = String::new();
    let mut line = |l: String| {
        t.push_str(&l);
        t.push('\n');
    };
    match &e.source {
        Source::Iid { dist } => line(format!(
            "g = Π f'(x_i), f = {}, x_i ~ iid {}, K = {}, N = {}, seed {}",
            e.activation, dist, e.depth, s.samples, e.seed
        )),
        Source::Network { network, quantity } => {
            let g = match quantity {
                Quantity::Path => "Π_l f'(x^l_i) along a random path of units",
                Quantity::Layer => "exp Σ_l mean_i ln f'(x^l_i)",
                Quantity::Jacobian => "‖J·u‖²/‖u‖², J = ∂y^K/∂y^0",
            };
            let w = &network.widths;
            let widths = if w.iter().all(|&v| v == w[0]) {
                format!("width {}", w[0])
            } else {
                format!("widths {w:?}")
            };
            line(format!("g = {g}, f = {}", e.activation));
            line(format!(
                "network: K = {} layers, {widths}, {} weights, σ_w = {}, σ_b = {}; input {} × {}; N = {} draws, seed {}",
                e.depth,
                network.init,
                network.sigma_w,
                network.sigma_b,
                network.input_dim,
                network.input,
                s.samples,
                e.seed
            ));
        }
    }
    line(String::new());
    line(format!(
        "{:<22} {:>10}  {:<24} {}",
        "", "p", "95% Wilson", "95% Clopper-Pearson"
    ));
    for (label, est) in [
        (format!("P(vanish)  g < {:e}", e.vanish_below), &r.vanish),
        (format!("P(explode) g > {:e}", e.explode_above), &r.explode),
        ("P(between)".to_string(), &r.between),
    ] {
        let interval = |(lo, hi): (f64, f64)| format!("[{}, {}]", probability(lo), probability(hi));
        let cp = match est.upper_bound_95 {
            Some(u) => format!("none seen: p < {} (95%)", probability(u)),
            None => interval(est.clopper_pearson),
        };
        line(format!(
            "{label:<22} {:>10}  {:<24} {cp}",
            probability(est.p),
            interval(est.wilson)
        ));
    }
    if !r.methods.is_empty() {
        line(String::new());
        line(format!(
            "{:<10} {:<28} {:<28} {}",
            "method", "P(vanish)", "P(explode)", "MC off by (SE)"
        ));
        for m in &r.methods {
            let show = |p: &crate::methods::law::Probability| {
                if p.p.is_nan() {
                    return "n/a".to_string();
                }
                let value = if p.p > 0.999 {
                    format!("1-{:.3e}", p.complement)
                } else {
                    significant(p.p, 4)
                };
                if p.error.is_nan() {
                    value
                } else {
                    format!("{value} ±{:.1e}", p.error)
                }
            };
            let (zv, ze) = r.mc_off_by(m);
            let z = |z: f64| {
                if z.is_nan() {
                    "n/a".to_string()
                } else {
                    format!("{z:+.2}")
                }
            };
            line(format!(
                "{:<10} {:<28} {:<28} {}, {}",
                m.method.to_string(),
                show(&m.vanish),
                show(&m.explode),
                z(zv),
                z(ze)
            ));
        }
    }
    line(String::new());
    let m = &s.log10_g;
    let cap = if s.log10_cap().is_finite() {
        format!("cap {} (g ≤ (max f')^K)", significant(s.log10_cap(), 5))
    } else {
        "no cap (the weights multiply in)".to_string()
    };
    line(format!(
        "log10 g: mean {} ± {} (1 se), sd {}, {cap}",
        significant(m.mean(), 5),
        significant(m.std_error(), 2),
        significant(m.variance().sqrt(), 4),
    ));
    if let Source::Network { network, quantity } = &e.source {
        network_lines(&mut line, r, network, *quantity);
    }
    if let Some(t) = r.theory {
        // ln g is a sum of K iid factors: its mean and variance follow exactly.
        let k = f64::from(e.depth);
        line(format!(
            "  theory: mean {}, sd {} (K·E[ln f'], √(K·Var[ln f']), over ln 10)",
            significant(k * t.mean_ln_derivative / std::f64::consts::LN_10, 5),
            significant(
                (k * t.var_ln_derivative).sqrt() / std::f64::consts::LN_10,
                4
            )
        ));
    }
    let qs: Vec<String> = QUANTILES
        .iter()
        .zip(&r.quantiles)
        .map(|(&q, v)| format!("{}%: {}", q * 100.0, significant(v.0, 4)))
        .collect();
    line(format!("  quantiles  {}", qs[..5].join("  ")));
    line(format!("             {}", qs[5..].join("  ")));
    let unbinned = s.unbinned_below + s.unbinned_above;
    if s.zero + s.not_a_number + unbinned > 0 {
        line(format!(
            "  non-finite: {} with g = 0, {} NaN; {} more than 4e15 decades from the median",
            s.zero, s.not_a_number, unbinned
        ));
    }
    if r.quantile_resolution() > 0.1 {
        line(format!(
            "  quantile resolution: {} decades (the widest bucket holding a quantile)",
            significant(r.quantile_resolution(), 2)
        ));
    }
    line(String::new());
    let f = &s.factors;
    let (above, below) = r.factor_fractions();
    let th = r.theory;
    line(format!(
        "{:<32} {:>22}  {:>14}",
        format!("per factor ({} factors)", f.total()),
        "simulated",
        th.map_or("", |_| "theory")
    ));
    let theory_col = |v: Option<f64>| v.map_or(String::new(), |v| significant(v, 6));
    line(format!(
        "  {:<30} {:>22}  {:>14}",
        "mean ln f'(x)",
        format!(
            "{} ± {}",
            significant(f.ln_derivative.mean(), 6),
            significant(f.ln_derivative.std_error(), 2)
        ),
        theory_col(th.map(|t| t.mean_ln_derivative))
    ));
    line(format!(
        "  {:<30} {:>22}  {:>14}",
        "var ln f'(x)",
        significant(f.ln_derivative.variance(), 6),
        theory_col(th.map(|t| t.var_ln_derivative))
    ));
    let (above_label, below_label) = match e.activation.tanh_params() {
        Some((a, n)) => (
            format!(
                "f' > 1 (|x| < e = {})",
                significant(crate::theory::iid::explode_threshold(a, n), 4)
            ),
            format!(
                "f' < 1/{} (|x| > t1 = {})",
                decimals4(a * n),
                significant(crate::theory::iid::vanish_threshold(a, n), 4)
            ),
        ),
        None => ("f' > 1".to_string(), "f' < 1/max f'".to_string()),
    };
    line(format!(
        "  {above_label:<30} {:>22}  {:>14}",
        significant(above, 6),
        theory_col(th.and_then(|t| t.p_above_one))
    ));
    line(format!(
        "  {below_label:<30} {:>22}  {:>14}",
        significant(below, 6),
        theory_col(th.and_then(|t| t.p_below_inverse_max))
    ));
    if let Some(t) = th {
        line(format!("  (theory: {})", t.method));
    }
    if !r.x_has_finite_mean() {
        line(
            "  note: E|x| is infinite for this distribution, so E[ln f'(x)] does not exist;".into(),
        );
        line("        the per-factor mean and variance above describe this sample only".into());
    }
    if f.infinite_x > 0 {
        line(format!("  {} draws of x were ±∞ (f' = 0)", f.infinite_x));
    }
    line(String::new());
    line(match e.source {
        Source::Iid { .. } => format!(
            "{:.2} s on {threads} threads ({} derivatives/s)",
            elapsed,
            significant(s.samples as f64 * f64::from(e.depth) / elapsed, 3)
        ),
        Source::Network { .. } => format!(
            "{:.2} s on {threads} threads ({} networks/s)",
            elapsed,
            significant(s.samples as f64 / elapsed, 3)
        ),
    });
    t
}

/// The mean-field lines of a network run: the simulated mean beside the prediction.
fn network_lines(
    line: &mut impl FnMut(String),
    r: &SimResults,
    network: &crate::nets::network::Network,
    quantity: Quantity,
) {
    let Some(p) = network.prediction(&r.experiment.activation) else {
        return;
    };
    let lin = &r.summary.linear;
    match quantity {
        Quantity::Jacobian => line(format!(
            "  E[g]: log10 {} (relative se {}); mean field (W_K/d)·Πχ(q^l): log10 {}",
            significant(lin.ln_mean() / std::f64::consts::LN_10, 5),
            significant(lin.relative_se(), 2),
            significant(p.ln_mean_gain / std::f64::consts::LN_10, 5)
        )),
        Quantity::Path | Quantity::Layer => line(format!(
            "  mean field: mean log10 g {} (Σ_l E[ln f'(√q^l·z)] / ln 10)",
            significant(p.mean_ln_path / std::f64::consts::LN_10, 5)
        )),
    }
    let fp = crate::theory::meanfield::MeanField {
        activation: r.experiment.activation,
        sigma_w: network.sigma_w,
        sigma_b: network.sigma_b,
    }
    .fixed_point();
    line(format!(
        "  mean field: q^K {}, q* {}, χ1 {} ({}), ξ_c {}",
        significant(*p.q.last().expect("K ≥ 1"), 4),
        significant(fp.q_star, 4),
        significant(fp.chi1, 5),
        fp.phase(),
        significant(fp.xi_c, 3)
    ));
}
