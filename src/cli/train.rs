//! `vanish train`: many training runs from independent initialisations, their trajectories,
//! and (with `--fit`) the seed's Markov chain fitted to them.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::markov::{Rule, short};
use crate::error::ConfigError;
use crate::model::activation::Activation;
use crate::nets::train::{Dataset, Optimizer, Record, Run, RunEntry, Task, TrainSpec};
use crate::output::files::{prepare_out_dir, write_atomic};
use crate::output::results::{fmt, num};

const EXAMPLES: &str = "Examples:
  vanish train --runs 64 --depth 30 --width 32 --sigma-w 1.5 --steps 500 --out runs/tr
  vanish train --n 2 --sigma-w 0.5 --optimizer adam --lr 1e-3 --task blobs --classes 4
  vanish train --runs 200 --steps 300 --out runs/tr --fit --state 'gain < 1e-6'

Writes trajectories.csv (run, step, loss, gain, ln_derivative_product, saturated,
probe_gain, probe_ln_derivative_product, diverged, grad_norm_1…, weight_norm_1…,
probe_gain_1…), summary.json and manifest.json. gain is the minibatch's backward gain
‖∂L/∂h_1‖/‖∂L/∂h_K‖; probe_gain is the network's: exp of the mean over the fixed probe of
ln ‖J·u‖/‖u‖ (J = ∂h_K/∂x), probe_gain_l its factor at layer l. A diverged run (non-finite
loss or gradient) ends with that record.";

/// The raw flags of `vanish train`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct TrainArgs {
    /// Independent runs (initialisations and minibatch streams).
    #[arg(long, default_value = "32", value_parser = super::parse_count)]
    pub(super) runs: u64,
    /// K, hidden layers (several values make a map).
    #[arg(short = 'k', long, default_value = "20")]
    depth: String,
    /// W, their width (several values make a map).
    #[arg(long, default_value = "32")]
    width: String,
    /// d, the input dimension.
    #[arg(long, default_value = "8", value_parser = super::parse_count)]
    input_dim: u64,
    /// The activation: tanh, lecun, relu, leaky-relu(α), sigmoid.
    #[arg(long, default_value = "tanh")]
    activation: String,
    /// Slope n of a·tanh(n·x), or several (a list or start:stop:step: the map from
    /// initialisation to outcome) [default: 1].
    #[arg(short, long, allow_hyphen_values = true)]
    n: Option<String>,
    /// Amplitude a of a·tanh(n·x) [default: 1].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    a: Option<f64>,
    /// Weights N(0, σ_w²/fan_in); several values (a list or start:stop:step) make a map.
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    sigma_w: String,
    /// Biases N(0, σ_b²) (several values make a map).
    #[arg(long, default_value = "0", allow_hyphen_values = true)]
    sigma_b: String,
    /// teacher (regression on a random tanh teacher, MSE), blobs (classification,
    /// softmax cross-entropy) or csv (the file given with --data).
    #[arg(long, default_value = "teacher")]
    task: String,
    /// Csv: the data file (a header; numeric columns; one of them the --target).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Csv: the target column; every other column is an input (so d is their number).
    #[arg(long, default_value = "y")]
    target: String,
    /// Csv: mse (regression) or ce (classification, targets 0…C−1).
    #[arg(long, default_value = "mse")]
    loss: String,
    /// Teacher: label noise standard deviation.
    #[arg(long, default_value_t = 0.1, value_parser = super::parse_finite, allow_negative_numbers = true)]
    noise: f64,
    /// Blobs: number of classes.
    #[arg(long, default_value = "3", value_parser = super::parse_count)]
    classes: u64,
    /// Examples in the shared dataset.
    #[arg(long, default_value = "1024", value_parser = super::parse_count)]
    examples: u64,
    /// Minibatch size.
    #[arg(long, default_value = "32", value_parser = super::parse_count)]
    batch: u64,
    /// sgd or adam.
    #[arg(long, default_value = "sgd")]
    optimizer: String,
    /// Learning rate (several values make a map).
    #[arg(long, default_value = "0.01", allow_hyphen_values = true)]
    lr: String,
    /// σ_w of the linear output layer [default: --sigma-w].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    output_sigma_w: Option<f64>,
    /// The hidden layers' learning rate is this times --lr (n² with n-times-larger hidden
    /// weights makes tanh(x) train exactly as tanh(n·x) under SGD).
    #[arg(long, default_value_t = 1.0, value_parser = super::parse_finite, allow_negative_numbers = true)]
    hidden_lr_scale: f64,
    /// SGD momentum (0: plain SGD).
    #[arg(long, default_value_t = 0.0, value_parser = super::parse_finite, allow_negative_numbers = true)]
    momentum: f64,
    /// P, the inputs of the fixed probe set on which the network's Jacobian gain is measured
    /// at every record (the same inputs and directions for the whole run).
    #[arg(long, default_value = "8", value_parser = super::parse_count)]
    probe: u64,
    /// Steps T.
    #[arg(long, default_value = "1000", value_parser = super::parse_count)]
    steps: u64,
    /// Record every r steps (and at step 0 and T).
    #[arg(long, default_value = "10", value_parser = super::parse_count)]
    record_every: u64,
    /// Seed of every random stream.
    #[arg(short, long, default_value_t = 1)]
    pub(super) seed: u64,
    /// The rule for [g∼0] in the summary and the fit: COLUMN < VALUE (as `vanish markov`).
    #[arg(long, default_value = "probe_gain < 1e-6")]
    pub(super) state: String,
    #[command(flatten)]
    pub(super) analysis: super::markov::AnalysisArgs,
    /// Also fit the Markov chain (markov.json, survival.csv) and print it.
    #[arg(long)]
    pub(super) fit: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long)]
    pub(super) threads: Option<usize>,
    /// Folder for trajectories.csv, summary.json, manifest.json and the journal of finished
    /// runs (journal.jsonl, for --resume).
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// No summary on stdout.
    #[arg(short, long)]
    pub(super) quiet: bool,
    /// Train only share I of N of the runs (balanced by cost) into --out's journal; then
    /// `--gather` the shards' folders in a run with the same flags.
    #[arg(long, value_name = "I/N", value_parser = parse_shard_flag)]
    pub(super) shard: Option<(usize, usize)>,
    /// Take the finished runs of these `--shard` folders (same flags), train any that are
    /// missing, and write the files of one unsplit run into --out.
    #[arg(long, value_name = "DIR", num_args = 1.., conflicts_with = "shard")]
    pub(super) gather: Vec<PathBuf>,
    /// Go on with the journal of a killed run in --out (the same flags; finished runs are
    /// kept, the rest trained): the files come out as if it had never stopped.
    #[arg(long)]
    pub(super) resume: bool,
    /// Write run 0's dataset, initial weights, minibatches and per-step losses into this
    /// folder in plain files, for `scripts/replay_torch.py` (one σ_w and n only).
    #[arg(long, value_name = "DIR")]
    pub(super) dump: Option<PathBuf>,
}

/// Most parameter updates (runs·steps·weights) without complaint: about an hour here.
pub(super) const MAX_WORK: f64 = 1e13;

/// The parameters a map can vary, in cell order (the last runs fastest).
pub(super) const AXES: [&str; 6] = ["n", "sigma_w", "sigma_b", "depth", "width", "lr"];

/// One cell of a map: its values of [`AXES`] (n is NaN unless a·tanh), the spec and the
/// activation.
pub(super) struct Cell {
    pub(super) values: [f64; 6],
    pub(super) spec: TrainSpec,
    pub(super) act: Activation,
}

impl TrainArgs {
    /// The cells (σ_w inner, n outer), validated.
    fn cells(&self) -> Result<Vec<Cell>, ConfigError> {
        let is_tanh = super::tanh_flags_fit(&self.activation, self.n.is_some(), self.a.is_some())?;
        let ns = match &self.n {
            Some(text) => super::parse_values("--n", text)?,
            None => vec![if is_tanh { 1.0 } else { f64::NAN }],
        };
        let lists = [
            ns,
            super::parse_values("--sigma-w", &self.sigma_w)?,
            super::parse_values("--sigma-b", &self.sigma_b)?,
            super::parse_values("--depth", &self.depth.replace('_', ""))?,
            super::parse_values("--width", &self.width.replace('_', ""))?,
            super::parse_values("--lr", &self.lr)?,
        ];
        let count: usize = lists.iter().map(Vec::len).product();
        if count > 10_000 {
            return Err(ConfigError::new(
                "--sigma-w",
                format!("a map of {count} cells; at most 10000"),
            ));
        }
        let mut cells = Vec::with_capacity(count);
        for i in 0..count {
            let mut rest = i;
            let mut values = [0.0; 6];
            for (k, list) in lists.iter().enumerate().rev() {
                values[k] = list[rest % list.len()];
                rest /= list.len();
            }
            let (spec, act) = self.validate(values)?;
            cells.push(Cell { values, spec, act });
        }
        let work: f64 = cells.iter().map(|c| cost(&c.spec, self.runs)).sum();
        if work > MAX_WORK {
            return Err(ConfigError::new(
                "--runs",
                format!(
                    "runs·steps·batch·weights = {work:.2e}, more than {MAX_WORK:.0e} (hours \
                     here); use fewer runs, steps or cells"
                ),
            ));
        }
        Ok(cells)
    }

    fn validate(&self, values: [f64; 6]) -> Result<(TrainSpec, Activation), ConfigError> {
        let [n, sigma_w, sigma_b, depth, width, lr] = values;
        let n = if n.is_nan() { 1.0 } else { n };
        let act = Activation::parse(&self.activation, self.a.unwrap_or(1.0), n)?;
        let whole = |flag: &str, v: f64| -> Result<u64, ConfigError> {
            if v.fract() != 0.0 || !(1.0..=1e9).contains(&v) {
                return Err(ConfigError::new(
                    flag,
                    format!("needs whole numbers ≥ 1, got {v}"),
                ));
            }
            Ok(v as u64)
        };
        let (depth, width) = (whole("--depth", depth)?, whole("--width", width)?);
        let size = |flag: &str, v: u64, max: u64| -> Result<usize, ConfigError> {
            if v == 0 || v > max {
                return Err(ConfigError::new(
                    flag,
                    format!("must be from 1 to {max}, got {v}"),
                ));
            }
            Ok(v as usize)
        };
        crate::theory::meanfield::MeanField::new(act, sigma_w, sigma_b)?;
        let task = match self.task.trim().to_ascii_lowercase().as_str() {
            "teacher" => {
                if !(self.noise.is_finite() && self.noise >= 0.0) {
                    return Err(ConfigError::new("--noise", "must be a number ≥ 0"));
                }
                Task::Teacher { noise: self.noise }
            }
            "blobs" => Task::Blobs {
                classes: size("--classes", self.classes, 1000)?.max(2),
            },
            "csv" => Task::Csv {
                classes: self.csv_data()?.1,
            },
            other => {
                return Err(ConfigError::new(
                    "--task",
                    format!("must be teacher, blobs or csv, got '{other}'"),
                ));
            }
        };
        if self.data.is_some() && !matches!(task, Task::Csv { .. }) {
            return Err(ConfigError::new("--data", "goes with --task csv"));
        }
        if matches!(task, Task::Blobs { .. }) && self.classes < 2 {
            return Err(ConfigError::new("--classes", "needs at least 2 classes"));
        }
        if !(lr.is_finite() && lr > 0.0) {
            return Err(ConfigError::new("--lr", "must be a number > 0"));
        }
        if !(self.hidden_lr_scale.is_finite() && self.hidden_lr_scale > 0.0) {
            return Err(ConfigError::new(
                "--hidden-lr-scale",
                "must be a number > 0",
            ));
        }
        if let Some(s) = self.output_sigma_w {
            crate::theory::meanfield::MeanField::new(act, s, 0.0)
                .map_err(|e| ConfigError::new("--output-sigma-w", e.message))?;
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(ConfigError::new("--momentum", "must be in [0, 1)"));
        }
        let optimizer = match self.optimizer.trim().to_ascii_lowercase().as_str() {
            "sgd" => Optimizer::Sgd {
                lr,
                momentum: self.momentum,
            },
            "adam" => Optimizer::Adam { lr },
            other => {
                return Err(ConfigError::new(
                    "--optimizer",
                    format!("must be sgd or adam, got '{other}'"),
                ));
            }
        };
        let spec = TrainSpec {
            depth: size("--depth", depth, 1000)?,
            width: size("--width", width, 4096)?,
            input_dim: match task {
                Task::Csv { .. } => self.csv_data()?.2,
                _ => size("--input-dim", self.input_dim, 4096)?,
            },
            sigma_w,
            sigma_b,
            task,
            examples: size("--examples", self.examples, 10_000_000)?,
            batch: size("--batch", self.batch, 65_536)?,
            optimizer,
            steps: size("--steps", self.steps, 100_000_000)?,
            record_every: size("--record-every", self.record_every, 100_000_000)?,
            output_sigma_w: self.output_sigma_w,
            hidden_lr_scale: self.hidden_lr_scale,
            probe: size("--probe", self.probe, 4096)?,
        };
        size("--runs", self.runs, u64::from(u32::MAX))?;
        Ok((spec, act))
    }
}

impl TrainArgs {
    /// The --data file as a dataset, its number of classes (0: regression) and of inputs.
    fn csv_data(&self) -> Result<(Dataset, usize, usize), ConfigError> {
        let path = self
            .data
            .as_deref()
            .ok_or_else(|| ConfigError::new("--data", "--task csv needs --data FILE"))?;
        let classify = match self.loss.trim().to_ascii_lowercase().as_str() {
            "mse" => false,
            "ce" => true,
            other => {
                return Err(ConfigError::new(
                    "--loss",
                    format!("must be mse or ce, got '{other}'"),
                ));
            }
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new("--data", format!("cannot read '{shown}': {e}")))?;
        let (data, names, classes) = Dataset::from_csv(&text, &self.target, classify)
            .map_err(|e| ConfigError::new("--data", format!("'{shown}': {e}")))?;
        Ok((data, classes, names.len()))
    }

    /// The dataset every run of `spec` trains on.
    pub(super) fn dataset(&self, spec: &TrainSpec) -> Result<Dataset, ConfigError> {
        match spec.task {
            Task::Csv { .. } => Ok(self.csv_data()?.0),
            _ => Ok(Dataset::new(spec, self.seed)),
        }
    }
}

/// runs·steps·batch·weights of one cell.
pub(super) fn cost(spec: &TrainSpec, runs: u64) -> f64 {
    let weights: f64 = spec.sizes().windows(2).map(|w| (w[0] * w[1]) as f64).sum();
    runs as f64 * spec.steps as f64 * spec.batch as f64 * weights
}

/// `--shard I/N`.
fn parse_shard_flag(text: &str) -> Result<(usize, usize), String> {
    super::table::parse_shard(text).map_err(|e| e.message)
}

/// What a shard says when its runs are journaled.
pub(super) fn shard_done(args: &TrainArgs) -> anyhow::Result<()> {
    let (i, n) = args.shard.expect("a shard");
    let dir = args.out.as_deref().expect("checked: --out");
    if !args.quiet {
        super::print_stdout(&format!(
            "shard {i}/{n}: its runs are in {}; when every shard is done, run the same \
             flags without --shard and with --gather and the shards' folders\n",
            dir.join(crate::sweep::journal::JOURNAL).display()
        ))?;
    }
    Ok(())
}

/// The columns of a record that a state rule can use.
const RECORDED: [&str; 6] = [
    "probe_gain",
    "gain",
    "loss",
    "ln_derivative_product",
    "saturated",
    "probe_ln_derivative_product",
];

/// The `--state` rule (with `--leave` and `--converged`), on columns that training records.
pub(super) fn state_rule(args: &TrainArgs) -> Result<Rule, ConfigError> {
    let a = &args.analysis;
    let rule = super::markov::parse_rule(&args.state, a.leave, a.converged.as_deref(), None)?;
    if let Some(c) = rule.convergence_column().filter(|c| !RECORDED.contains(c)) {
        return Err(ConfigError::new(
            "--converged",
            format!(
                "'{c}' is not a recorded column: use {}",
                RECORDED.join(", ")
            ),
        ));
    }
    if !RECORDED.contains(&rule.column()) {
        return Err(ConfigError::new(
            "--state",
            format!(
                "'{}' is not a recorded column: use {}",
                rule.column(),
                RECORDED.join(", ")
            ),
        ));
    }
    Ok(rule)
}

pub(super) fn run(args: TrainArgs) -> anyhow::Result<()> {
    args.analysis.check()?;
    let rule = state_rule(&args)?;
    let mut cells = args.cells()?;
    if cells.len() > 1 && args.dump.is_some() {
        return Err(
            ConfigError::new("--dump", "dumps one run: give one --sigma-w and one --n").into(),
        );
    }
    for (used, flag) in [
        (args.resume, "--resume"),
        (args.shard.is_some(), "--shard"),
        (!args.gather.is_empty(), "--gather"),
    ] {
        if used && args.out.is_none() {
            return Err(ConfigError::new(flag, "needs --out (the folder of the journal)").into());
        }
    }
    if args.shard.is_some() && (args.dump.is_some() || args.fit) {
        return Err(ConfigError::new(
            "--shard",
            "a shard only journals its runs: --dump and --fit go with the --gather run",
        )
        .into());
    }
    if cells.len() > 1 {
        return super::train_map::run(&args, cells);
    }
    let threads = super::threads(args.threads)?;
    // The data and the shards to gather are checked before any folder is made.
    let data = args.dataset(&cells[0].spec)?;
    super::train_runs::check_gather(&args, &cells, &data)?;
    let dump = args
        .dump
        .as_deref()
        .map(|d| prepare_out_dir(d).map_err(|e| ConfigError::new("--dump", e.message)))
        .transpose()?;
    let out = args.out.as_deref().map(prepare_out_dir).transpose()?;
    let pool = super::pool(threads)?;
    let started = Instant::now();
    let Some(runs) = super::train_runs::train_all(&args, &cells, &data, out.as_deref(), &pool)?
    else {
        return shard_done(&args);
    };
    let Cell { spec, act, .. } = cells.pop().expect("one cell");
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(dir) = &dump {
        let (again, trace) = crate::nets::train::train_run_traced(&spec, &act, &data, args.seed, 0);
        // (Compared as journal text: NaN records, such as ReLU's saturation, are not == .)
        debug_assert_eq!(RunEntry::from(&again), RunEntry::from(&runs[0]));
        let probe =
            crate::nets::train::Probe::draw(&data, spec.input_dim, spec.probe, args.seed, 0);
        let trajectory = trajectories_csv(&runs[..1], spec.depth + 1);
        super::train_dump::write(dir, &spec, &act, &data, &trace, &probe, trajectory)?;
    }
    let csv = trajectories_csv(&runs, spec.depth + 1);
    let o = Outcome::of(&runs, &rule);
    let (vanished, diverged, (p_lo, p_hi)) = (o.vanished, o.diverged, o.ci95);
    let summary = o.to_json(&rule);
    let config = json!({
        "activation": act.to_string(),
        "depth": spec.depth, "width": spec.width, "input_dim": spec.input_dim,
        "sigma_w": spec.sigma_w, "sigma_b": spec.sigma_b,
        "task": format!("{:?}", spec.task), "examples": data.examples, "batch": spec.batch,
        "optimizer": format!("{:?}", spec.optimizer), "steps": spec.steps,
        "record_every": spec.record_every, "runs": runs.len(), "seed": args.seed,
        "output_sigma_w": spec.output_sigma_w.unwrap_or(spec.sigma_w),
        "hidden_lr_scale": spec.hidden_lr_scale,
    });
    let fit = args.fit.then(|| {
        let series: Vec<_> = runs.iter().map(|r| series(r, &rule)).collect();
        super::markov::analyse(&series, &rule, &args.analysis, args.seed)
    });
    let outcomes = fit.as_ref().map(|f| predict_outcomes(&runs, f));
    if let Some(dir) = &out {
        let pretty = |v: &serde_json::Value| {
            let mut t = serde_json::to_string_pretty(v).expect("serialisable");
            t.push('\n');
            t
        };
        let mut files = vec![
            ("trajectories.csv", csv),
            (
                "summary.json",
                pretty(&json!({"config": config, "summary": summary})),
            ),
        ];
        if let Some(fit) = &fit {
            let names = vec!["[g≫0]".to_string(), "[g∼0]".to_string()];
            files.push((
                "markov.json",
                pretty(&super::markov::report_json(fit, &rule, &names)),
            ));
            files.push(("survival.csv", super::markov::survival_csv(&fit.fit)));
            if let Some(b) = &fit.risks {
                files.push(("risks.csv", super::markov::risks_csv(b)));
            }
            if let Some(o) = &outcomes {
                files.push(("outcome.json", pretty(o)));
            }
            if let Some(Ok(l)) = &fit.latent {
                let series: Vec<_> = runs.iter().map(|r| series(r, &rule)).collect();
                files.push(("viterbi.csv", super::markov::viterbi_csv(&series, l)));
                files.push(("ppc.csv", super::markov::ppc_csv(l)));
            }
        }
        files.push((
            "manifest.json",
            pretty(&json!({
                "tool": "vanish", "version": env!("CARGO_PKG_VERSION"), "command": "train",
                "config": config, "rng": crate::mc::rng::RNG_NAME, "threads": threads,
                "elapsed_s": elapsed,
            })),
        ));
        for (name, body) in files {
            let path = dir.join(name);
            write_atomic(&path, body.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.quiet {
        return Ok(());
    }
    let task = match spec.task {
        Task::Teacher { noise } => format!("teacher regression (noise {noise}, MSE)"),
        Task::Blobs { classes } => format!("{classes} Gaussian blobs (cross-entropy)"),
        Task::Csv { classes: 0 } => "regression on --data (MSE)".to_string(),
        Task::Csv { classes } => format!("{classes} classes from --data (cross-entropy)"),
    };
    let optimizer = match spec.optimizer {
        Optimizer::Sgd { lr, momentum: 0.0 } => format!("SGD lr {lr}"),
        Optimizer::Sgd { lr, momentum } => format!("SGD lr {lr}, momentum {momentum}"),
        Optimizer::Adam { lr } => format!("Adam lr {lr}"),
    };
    let mut t = format!(
        "{} runs of a {}-layer, width-{} {} MLP (σ_w = {}, σ_b = {}), {task}, {optimizer}, \
         batch {}, T = {}\n\n",
        runs.len(),
        spec.depth,
        spec.width,
        act,
        fmt(spec.sigma_w),
        fmt(spec.sigma_b),
        spec.batch,
        spec.steps
    );
    t.push_str(&format!(
        "vanished by T ({}): {} of {} = {} [{}, {}] (95% CP); median step to vanish {}\n",
        rule.describe(),
        vanished,
        runs.len(),
        short(vanished as f64 / runs.len() as f64),
        short(p_lo),
        short(p_hi),
        o.median_step.map_or("-".to_string(), |s| s.to_string())
    ));
    t.push_str(&format!(
        "diverged: {diverged}; median final loss {}\n",
        short(o.median_final_loss)
    ));
    if let Some(fit) = &fit {
        let names = vec!["[g≫0]".to_string(), "[g∼0]".to_string()];
        t.push('\n');
        t.push_str(&super::markov::report_table(
            fit,
            &rule,
            &names,
            std::path::Path::new("these runs"),
        ));
    }
    if let Some(o) = &outcomes {
        t.push_str(&outcome_lines(o));
    }
    t.push_str(&format!("\n{elapsed:.2} s on {threads} threads\n"));
    super::print_stdout(&t)
}

/// The tidy trajectories: one row per (run, recorded step).
pub(super) fn trajectories_csv(runs: &[Run], layers: usize) -> String {
    let mut header = vec![
        "run".to_string(),
        "step".into(),
        "loss".into(),
        "gain".into(),
        "ln_derivative_product".into(),
        "saturated".into(),
        "probe_gain".into(),
        "probe_ln_derivative_product".into(),
        "diverged".into(),
    ];
    header.extend((1..=layers).map(|l| format!("grad_norm_{l}")));
    header.extend((1..=layers).map(|l| format!("weight_norm_{l}")));
    header.extend((1..layers).map(|l| format!("probe_gain_{l}")));
    let mut rows = Vec::new();
    for r in runs {
        for (i, rec) in r.records.iter().enumerate() {
            let mut row = vec![
                r.run.to_string(),
                rec.step.to_string(),
                fmt(rec.loss),
                fmt(rec.gain),
                fmt(rec.ln_derivative_product),
                fmt(rec.saturated),
                fmt(rec.probe_ln_gain.exp()),
                fmt(rec.probe_ln_derivative_product),
                (r.diverged && i + 1 == r.records.len()).to_string(),
            ];
            // Runs of a map may have fewer layers than the deepest: their norms are padded
            // with empty fields.
            let pad = |v: &[f64], len: usize| {
                let mut cols: Vec<String> = v.iter().map(|&x| fmt(x)).collect();
                cols.resize(len, String::new());
                cols
            };
            row.extend(pad(&rec.grad_norms, layers));
            row.extend(pad(&rec.weight_norms, layers));
            let probe: Vec<f64> = rec.probe_ln_layer_gains.iter().map(|v| v.exp()).collect();
            row.extend(pad(&probe, layers - 1));
            rows.push(row);
        }
    }
    crate::output::files::csv_text(&header, &rows)
}

/// What is known of a run at step 0, for predicting its outcome: the probe's log-gain and
/// derivative product, the minibatch's derivative product, the saturated fraction (tanh),
/// and the log weight norms of the first, the middle and the last hidden layer.
fn initial_features(run: &Run) -> Vec<f64> {
    let r = &run.records[0];
    let k = r.weight_norms.len() - 1;
    vec![
        r.probe_ln_gain,
        r.probe_ln_derivative_product,
        r.ln_derivative_product,
        r.saturated,
        r.weight_norms[0].ln(),
        r.weight_norms[k / 2].ln(),
        r.weight_norms[k - 1].ln(),
    ]
}

const FEATURES: [&str; 7] = [
    "probe_ln_gain",
    "probe_ln_derivative_product",
    "ln_derivative_product",
    "saturated",
    "ln_weight_norm_first",
    "ln_weight_norm_middle",
    "ln_weight_norm_last",
];

/// From the initial state to the outcome, run by run: for the runs that start in [g≫0],
/// a cross-validated model of "vanished first" and of "converged first" on
/// [`initial_features`] (features that are not finite for every run are left out).
fn predict_outcomes(runs: &[Run], a: &super::markov::Analysis) -> serde_json::Value {
    use crate::dynamics::states::FirstEvent;
    let alive: Vec<(usize, FirstEvent)> = (a.first_events.iter().enumerate())
        .filter_map(|(i, e)| e.map(|(e, _)| (i, e)))
        .collect();
    let x_all: Vec<Vec<f64>> = alive
        .iter()
        .map(|&(i, _)| initial_features(&runs[i]))
        .collect();
    let keep: Vec<usize> = (0..FEATURES.len())
        .filter(|&j| x_all.iter().all(|x| x[j].is_finite()))
        .collect();
    let x: Vec<Vec<f64>> = x_all
        .iter()
        .map(|r| keep.iter().map(|&j| r[j]).collect())
        .collect();
    let names: Vec<String> = keep.iter().map(|&j| FEATURES[j].to_string()).collect();
    let mut out = serde_json::Map::new();
    for (name, hit) in [
        (
            "vanished_first",
            (|e: &FirstEvent| matches!(e, FirstEvent::Vanished(_))) as fn(&FirstEvent) -> bool,
        ),
        ("converged_first", |e: &FirstEvent| {
            matches!(e, FirstEvent::Converged(_))
        }),
    ] {
        let y: Vec<bool> = alive.iter().map(|(_, e)| hit(e)).collect();
        let positives = y.iter().filter(|&&v| v).count();
        let folds = 5.min(positives).min(y.len() - positives);
        let model = if folds < 2 || names.is_empty() {
            Err(format!(
                "n/a: {positives} of {} runs had it; cross-validation needs at least 2 of each",
                y.len()
            ))
        } else {
            crate::dynamics::outcome::cross_validate(
                &x,
                &y,
                &names,
                folds,
                crate::dynamics::outcome::DEFAULT_RIDGE,
            )
        };
        out.insert(
            name.into(),
            match model {
                Ok(m) => m.to_json(),
                Err(reason) => json!({"model": null, "reason": reason}),
            },
        );
    }
    serde_json::Value::Object(out)
}

/// The terminal's lines for outcome.json: per outcome, the cross-validated AUC with its
/// interval and the verdict, or why there is none.
fn outcome_lines(o: &serde_json::Value) -> String {
    let mut t =
        String::from("\nfrom the state at step 0 (runs that start in [g≫0], cross-validated):\n");
    for (key, what) in [
        ("vanished_first", "vanished first"),
        ("converged_first", "converged first"),
    ] {
        let m = &o[key];
        let line = match (m["auc"]["auc"].as_f64(), m["auc"]["interval95"].as_array()) {
            (Some(auc), Some(iv)) => format!(
                "  {what}: AUC {} [{}, {}] (95% DeLong), {}",
                short(auc),
                short(iv[0].as_f64().unwrap_or(f64::NAN)),
                short(iv[1].as_f64().unwrap_or(f64::NAN)),
                m["verdict"].as_str().unwrap_or("")
            ),
            _ => format!("  {what}: {}", m["reason"].as_str().unwrap_or("n/a")),
        };
        t.push_str(&line);
        t.push('\n');
    }
    t
}

/// A run's values of the rule's columns, as `vanish markov` reads them from a file.
pub(super) fn series(run: &Run, rule: &Rule) -> super::markov::RunSeries {
    let of = |name: &str| -> Vec<f64> {
        run.records
            .iter()
            .map(|rec| column(name, rec).unwrap_or(f64::NAN))
            .collect()
    };
    super::markov::RunSeries {
        id: run.run.to_string(),
        steps: run.records.iter().map(|r| r.step as f64).collect(),
        values: of(rule.column()),
        converge: rule.convergence_column().map(of),
    }
}

/// The value of a recorded column in a record.
pub(super) fn column(name: &str, r: &Record) -> Option<f64> {
    match name {
        "gain" => Some(r.gain),
        "loss" => Some(r.loss),
        "ln_derivative_product" => Some(r.ln_derivative_product),
        "saturated" => Some(r.saturated),
        "probe_gain" => Some(r.probe_ln_gain.exp()),
        "probe_ln_derivative_product" => Some(r.probe_ln_derivative_product),
        _ => None,
    }
}

/// What a set of runs came to: vanished by T (the state rule at any record), when, and the
/// final losses.
pub(super) struct Outcome {
    pub(super) runs: usize,
    pub(super) diverged: usize,
    pub(super) vanished: usize,
    pub(super) ci95: (f64, f64),
    pub(super) first_vanish: Vec<Option<usize>>,
    pub(super) median_step: Option<usize>,
    pub(super) median_final_loss: f64,
}

impl Outcome {
    pub(super) fn of(runs: &[Run], rule: &Rule) -> Self {
        let first_vanish: Vec<Option<usize>> = runs
            .iter()
            .map(|r| {
                let s = series(r, rule);
                let seq = rule.sequence(&s.values, s.converge.as_deref());
                let t = seq
                    .states
                    .iter()
                    .position(|&x| x == crate::dynamics::states::VANISHED)?;
                Some(r.records[t].step)
            })
            .collect();
        let mut times: Vec<usize> = first_vanish.iter().flatten().copied().collect();
        times.sort_unstable();
        let mut finals: Vec<f64> = runs
            .iter()
            .filter(|r| !r.diverged)
            .map(|r| r.records.last().expect("step 0 is recorded").loss)
            .collect();
        finals.sort_by(f64::total_cmp);
        let vanished = times.len();
        Outcome {
            runs: runs.len(),
            diverged: runs.iter().filter(|r| r.diverged).count(),
            vanished,
            ci95: crate::mc::estimate::clopper_pearson(vanished as u64, runs.len() as u64, 0.05),
            median_step: times.get(times.len() / 2).copied(),
            median_final_loss: finals.get(finals.len() / 2).copied().unwrap_or(f64::NAN),
            first_vanish,
        }
    }

    pub(super) fn fraction(&self) -> f64 {
        self.vanished as f64 / self.runs as f64
    }

    pub(super) fn to_json(&self, rule: &Rule) -> serde_json::Value {
        json!({
            "runs": self.runs,
            "diverged": self.diverged,
            "state_rule": rule.describe(),
            "vanished_by_T": self.vanished,
            "fraction_vanished": num(self.fraction()),
            "fraction_vanished_ci95": [num(self.ci95.0), num(self.ci95.1)],
            "median_step_to_vanish": self.median_step,
            "median_final_loss": num(self.median_final_loss),
            "first_vanish_steps": self.first_vanish,
        })
    }
}
