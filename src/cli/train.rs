//! `vanish train`: many training runs from independent initialisations, their trajectories,
//! and (with `--fit`) the thresholds answer's Markov chain fitted to them.

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::dynamics::markov::ChainFit;
use crate::dynamics::runs::{Outcome, chain_fit, check_recorded, predict_outcomes, series};
use crate::dynamics::study::Rule;
use crate::error::ConfigError;
use crate::mc::fast::Precision;
use crate::model::activation::Activation;
use crate::nets::train::{Dataset, Optimizer, Run, RunEntry, Task, TrainSpec};
use crate::output::format::pretty_json;
use crate::output::manifest::{Claim, Manifest, RunFiles, prepare_out};
use crate::output::training::{
    TrainSummary, map_csv, map_markdown, map_summary_json, map_trajectories_csv, outcome_lines,
    run_config, run_summary, trajectories_csv, varying,
};
use crate::sweep::journal::JOURNAL;
use crate::sweep::training::{
    Cell, Journaling, RunProgress, TrainPlan, check_gather, merge_check, train_all,
};

use super::progress::{Stage, Timings};

const EXAMPLES: &str = "Examples:
  vanish train                     # 32 runs of tanh(2x), K = 20, W = 32, σ_w = 1, σ_b = 0
  vanish train --runs 64 --depth 30 --width 32 --sigma-w 1.5 --steps 500 --out runs/tr
  vanish train --runs 64 --depth 30 --width 32 --sigma-w 1.5 --steps 500 --out runs/tr --resume
                                   # (the same flags and --resume, after a kill)
  vanish train --n 3 --sigma-w 0.33 --optimizer adam --lr 1e-3 --task blobs --classes 4
  vanish train --runs 200 --steps 300 --out runs/fit --fit --state 'gain < 1e-6' --converged 'loss < 0.01'
  vanish train --task csv --data data.csv --target y --loss mse --out runs/csv
                                   # data.csv: yours, numeric columns with a header, y among them
  vanish train --sigma-w 0.5:1.5:0.25 --n 1,2 --runs 24 --steps 200 --out runs/map
  for i in 0 1; do vanish train --sigma-w 0.5:1.5:0.25 --n 1,2 --shard $i/2 --out runs/m$i; done
  vanish train --sigma-w 0.5:1.5:0.25 --n 1,2 --gather runs/m0 runs/m1 --out runs/gathered
  vanish train --runs 1 --n 1 --depth 10 --steps 100 --dump runs/dump   # then: scripts/replay_torch.py runs/dump

Writes trajectories.csv (run, step, loss, gain, ln_derivative_product, saturated,
probe_gain, probe_ln_derivative_product, diverged, grad_norm_1…, weight_norm_1…,
probe_gain_1…, grad_underflow, hidden_grad_underflow, grad_underflow_1…), summary.json
and manifest.json. gain is the minibatch's backward gain
‖∂L/∂h_1‖/‖∂L/∂h_K‖; probe_gain is the network's: exp of the mean over the fixed probe of
ln ‖J·u‖/‖u‖ (J = ∂h_K/∂x), probe_gain_l its factor at layer l. grad_underflow_l counts
the entries of ∂L/∂W_l that are zero or subnormal (|g| < 2^-126 in f32, 2^-1022 in f64),
grad_underflow their sum over the K + 1 layers, hidden_grad_underflow the same count over
the B·W·K entries of ∂L/∂h_1…∂L/∂h_K. A diverged run (non-finite loss or gradient) ends
with that record.";

/// `--task` (the library's [`Task`] carries the task's numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum TaskFlag {
    /// Regression on a random tanh teacher, MSE.
    Teacher,
    /// Gaussian blobs, softmax cross-entropy.
    Blobs,
    /// The file given with --data.
    Csv,
}

/// `--optimizer` (the library's [`Optimizer`] carries the learning rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum OptimizerFlag {
    /// SGD, with --momentum.
    Sgd,
    /// Adam.
    Adam,
}

/// `--loss` of `--task csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum LossFlag {
    /// Regression, mean squared error.
    Mse,
    /// Classification, softmax cross-entropy (targets 0…C−1).
    Ce,
}

/// The raw flags of `vanish train`.
#[derive(Debug, Args, Serialize, Deserialize)]
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
    /// initialisation to outcome) [default: 2, as in sim, table and meanfield].
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
    #[arg(long, value_enum, default_value_t = TaskFlag::Teacher, ignore_case = true)]
    task: TaskFlag,
    /// Csv: the data file (a header; numeric columns; one of them the --target).
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Csv: the target column; every other column is an input (so d is their number).
    #[arg(long, default_value = "y")]
    target: String,
    /// Csv: mse (regression) or ce (classification, targets 0…C−1).
    #[arg(long, value_enum, default_value_t = LossFlag::Mse, ignore_case = true)]
    loss: LossFlag,
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
    #[arg(long, value_enum, default_value_t = OptimizerFlag::Sgd, ignore_case = true)]
    optimizer: OptimizerFlag,
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
    #[arg(short, long, default_value_t = 1, value_parser = super::parse_count)]
    pub(super) seed: u64,
    /// Training arithmetic: f64, or f32 as PyTorch's float32 (parameters, activations,
    /// gradients, optimiser state and loss). Each gives its own, reproducible numbers. In
    /// either, the grad_underflow columns count the gradient entries below the type's
    /// smallest normal (f32 2^-126, f64 2^-1022), exact zeros included.
    #[arg(long, default_value = "f64", value_parser = parse_precision)]
    #[serde(default, with = "precision_text")]
    precision: Precision,
    /// The rule for [g∼0] in the summary and the fit: COLUMN < VALUE (as `vanish markov`).
    #[arg(long, default_value = "probe_gain < 1e-6")]
    pub(super) state: String,
    #[command(flatten)]
    pub(super) analysis: super::markov::AnalysisArgs,
    /// Also fit the Markov chain (markov.json, survival.csv) and print it.
    #[arg(long)]
    pub(super) fit: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long, value_parser = super::parse_size)]
    pub(super) threads: Option<usize>,
    /// Folder for trajectories.csv, summary.json, manifest.json and the journal of finished
    /// runs (journal.jsonl, for --resume).
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// Go ahead where vanish would stop to protect your files or your time: write into a
    /// --out folder that holds other files, start a journal over, run beyond a work limit.
    #[arg(long)]
    pub(super) force: bool,
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

impl TrainArgs {
    /// The map (σ_w inner, n outer), validated.
    fn plan(&self) -> Result<TrainPlan, ConfigError> {
        let is_tanh = super::tanh_flags_fit(&self.activation, self.n.is_some(), self.a.is_some())?;
        let ns = match &self.n {
            Some(text) => super::parse_values("--n", text)?,
            None => vec![if is_tanh { 2.0 } else { f64::NAN }],
        };
        let lists = [
            ns,
            super::parse_values("--sigma-w", &self.sigma_w)?,
            super::parse_values("--sigma-b", &self.sigma_b)?,
            super::parse_values("--depth", &self.depth.replace('_', ""))?,
            super::parse_values("--width", &self.width.replace('_', ""))?,
            super::parse_values("--lr", &self.lr)?,
        ];
        Ok(
            TrainPlan::new(&lists, self.runs, self.seed, |values| self.validate(values))?
                .with_precision(self.precision),
        )
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
        let task = match self.task {
            TaskFlag::Teacher => {
                if !(self.noise.is_finite() && self.noise >= 0.0) {
                    return Err(ConfigError::new("--noise", "must be a number ≥ 0"));
                }
                Task::Teacher { noise: self.noise }
            }
            TaskFlag::Blobs => Task::Blobs {
                classes: size("--classes", self.classes, 1000)?.max(2),
            },
            TaskFlag::Csv => Task::Csv {
                classes: self.csv_data()?.1,
            },
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
        let optimizer = match self.optimizer {
            OptimizerFlag::Sgd => Optimizer::Sgd {
                lr,
                momentum: self.momentum,
            },
            OptimizerFlag::Adam => Optimizer::Adam { lr },
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
        let classify = self.loss == LossFlag::Ce;
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

/// Refuses, before any work, a map whose memory would not fit in this machine: the
/// dataset, the networks of the worker threads, and every run's records, held until the
/// files are written (see [`crate::limits::training_memory`]). Its work is capped by the
/// training sweep ([`crate::sweep::training::MAX_WORK`]).
fn check_memory(args: &TrainArgs, plan: &TrainPlan, threads: usize) -> Result<(), ConfigError> {
    use crate::limits::{Need, memory_limit, training_memory};
    let runs = args.runs as f64 * plan.cells.len() as f64;
    let mut needs = Vec::new();
    for cell in &plan.cells {
        let s = &cell.spec;
        let outputs = match s.task {
            Task::Teacher { .. } => 1.0,
            Task::Blobs { classes } | Task::Csv { classes } => classes.max(1) as f64,
        };
        needs.extend(training_memory(
            s.examples as f64,
            s.input_dim as f64,
            outputs,
            s.depth as f64,
            s.width as f64,
            s.batch as f64,
            threads as f64,
            runs,
            (s.steps / s.record_every) as f64 + 2.0,
            match args.precision {
                Precision::F32 => 4.0,
                _ => 8.0,
            },
        ));
    }
    match Need::largest(needs) {
        Some(need) => crate::limits::check_memory(&need, memory_limit()),
        None => Ok(()),
    }
}

/// The manifest's `kernel` of a training run: `dense-<precision>-<instruction set>` (the
/// level only says where it ran: the numbers are the same on every one).
fn dense_kernel(precision: Precision) -> String {
    format!(
        "dense-{}-{}",
        precision.name(),
        crate::nets::linalg::Simd::detect().name()
    )
}

/// `--precision`: f32 or f64 (`sim`'s `reference`, its scalar oracle, has no training
/// counterpart).
fn parse_precision(text: &str) -> Result<Precision, String> {
    match text.parse::<Precision>() {
        Ok(p @ (Precision::F32 | Precision::F64)) => Ok(p),
        _ => Err(format!(
            "must be one of f32, f64, got '{}'",
            text.trim().to_ascii_lowercase()
        )),
    }
}

/// `--precision` in a shard's manifest: its flag value; absent (a shard of an older
/// vanish) it is f64.
mod precision_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::mc::fast::Precision;

    pub fn serialize<S: Serializer>(p: &Precision, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(p.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Precision, D::Error> {
        super::parse_precision(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `--shard I/N`.
fn parse_shard_flag(text: &str) -> Result<(usize, usize), String> {
    super::table::parse_shard(text).map_err(|e| e.message)
}

/// What a shard says when its runs are journaled.
pub(super) fn shard_done(args: &TrainArgs) -> anyhow::Result<()> {
    let (i, n) = args.shard.expect("a shard");
    let dir = args.out.as_deref().expect("checked: --out");
    // The shard's flags, so that `vanish merge` writes the files these flags would.
    let mut files = RunFiles::new();
    files.list(JOURNAL);
    files.write(
        dir,
        Manifest::new("train --shard")
            .with("shard", [i, n])
            .with("flags", args),
    )?;
    if !args.quiet {
        super::print_stdout(&format!(
            "shard {i}/{n}: its runs are in {}; when every shard is done, merge them with \
             `vanish merge` (or run the same flags without --shard and with --gather and the \
             shards' folders)\n",
            dir.join(JOURNAL).display()
        ))?;
    }
    Ok(())
}

/// `vanish merge` of the shards of a training run: the flags of shard 0, every shard
/// finished (checked by the sweep engine), written as the unsplit run would.
pub(super) fn merge(
    mut args: TrainArgs,
    dirs: &[PathBuf],
    out: PathBuf,
    quiet: bool,
    force: bool,
) -> anyhow::Result<()> {
    let plan = args.plan()?;
    let data = args.dataset(&plan.cells[0].spec)?;
    merge_check(&plan, &data, dirs)?;
    // Checked as a merge (no --resume); the run below finds the folder ready.
    let _folder = prepare_out(&out, &Claim::new("train").writes_journal().force(force))?;
    args.force = force;
    args.shard = None;
    args.resume = false;
    args.gather = dirs.to_vec();
    args.out = Some(out);
    args.threads = None;
    args.quiet = quiet;
    args.plot = false;
    run(args)
}

/// The `--state` rule (with `--leave` and `--converged`), on columns that training records.
fn state_rule(args: &TrainArgs) -> Result<Rule, ConfigError> {
    let a = &args.analysis;
    let rule = Rule::parse(&args.state, a.leave, a.converged.as_deref(), None)?;
    check_recorded(&rule)?;
    Ok(rule)
}

/// `--out`, by the output-folder policy for a journaled run (`--resume`, `--force`).
fn prepare_train_out(
    args: &TrainArgs,
) -> Result<Option<crate::output::files::OutFolder>, ConfigError> {
    let claim = Claim::new("train").journaled(args.resume).force(args.force);
    args.out
        .as_deref()
        .map(|d| prepare_out(d, &claim))
        .transpose()
}

/// Where the runs are journaled: --out with --resume, --shard and --gather.
fn journaling(args: &TrainArgs) -> Option<Journaling<'_>> {
    args.out.as_deref().map(|dir| Journaling {
        dir,
        resume: args.resume,
        shard: args.shard,
        gather: &args.gather,
    })
}

pub(super) fn run(args: TrainArgs) -> anyhow::Result<()> {
    let settings = args.analysis.settings()?;
    let rule = state_rule(&args)?;
    let mut plan = args.plan()?;
    check_memory(&args, &plan, super::threads(args.threads)?)?;
    if plan.cells.len() > 1 && args.dump.is_some() {
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
    if plan.cells.len() > 1 {
        return run_map(&args, &plan, &rule);
    }
    let threads = super::threads(args.threads)?;
    // The data and the shards to gather are checked before any folder is made.
    let data = args.dataset(&plan.cells[0].spec)?;
    check_gather(&plan, &data, &args.gather)?;
    let dump = args
        .dump
        .as_deref()
        .map(|d| {
            prepare_out(
                d,
                &Claim::new(crate::output::dump::COMMAND)
                    .flag("--dump")
                    .force(args.force),
            )
        })
        .transpose()?;
    let out = prepare_train_out(&args)?;
    let pool = super::pool(threads)?;
    let mut time = Timings::start();
    let trained = time.part("runs", || {
        pool.install(|| trained(&plan, &data, &args, "train"))
    })?;
    let Some(runs) = trained else {
        return shard_done(&args);
    };
    let Cell { spec, act, .. } = plan.cells.pop().expect("one cell");
    if let Some(dir) = &dump {
        time.part("dump", || {
            let (again, trace) = crate::nets::train::train_run_traced(
                args.precision,
                &spec,
                &act,
                &data,
                args.seed,
                0,
            );
            // (Compared as journal text: NaN records, such as ReLU's saturation, are not == .)
            debug_assert_eq!(RunEntry::from(&again), RunEntry::from(&runs[0]));
            let probe =
                crate::nets::train::Probe::draw(&data, spec.input_dim, spec.probe, args.seed, 0);
            let trajectory = trajectories_csv(&runs[..1], spec.depth + 1);
            crate::output::dump::write(
                dir,
                &spec,
                args.precision,
                &act,
                &data,
                &trace,
                &probe,
                trajectory,
            )
        })?;
    }
    let csv = trajectories_csv(&runs, spec.depth + 1);
    let o = Outcome::of(&runs, &rule);
    let config = run_config(
        &spec,
        &act,
        data.examples,
        runs.len(),
        args.seed,
        args.precision,
    );
    let fit = args.fit.then(|| {
        time.part("fit", || {
            let series: Vec<_> = runs.iter().map(|r| series(r, &rule)).collect();
            let fit = crate::dynamics::study::analyse(&series, &rule, &settings, args.seed);
            let outcomes = predict_outcomes(&runs, &fit);
            (fit, outcomes)
        })
    });
    let (fit, outcomes) = fit.unzip();
    let mut elapsed = time.whole();
    if let Some(dir) = &out {
        let mut files = RunFiles::new();
        files.add("trajectories.csv", csv);
        files.add(
            "summary.json",
            crate::output::format::pretty_json(&TrainSummary::new(config.clone(), &o, &rule)),
        );
        if let Some(fit) = &fit {
            let series: Vec<_> = runs.iter().map(|r| series(r, &rule)).collect();
            crate::output::dynamics::add_files(&mut files, fit, &rule, &series);
        }
        if let Some(o) = &outcomes {
            files.add(
                "outcome.json",
                crate::output::format::pretty_json(&crate::output::schema::Versioned::new(o)),
            );
        }
        files.list(crate::sweep::journal::JOURNAL);
        elapsed = time.whole();
        let manifest = Manifest::new("train")
            .with("config", config)
            .with("kernel", dense_kernel(args.precision))
            .with("rng", crate::mc::rng::RNG_NAME)
            .with("threads", threads)
            .with("elapsed_s", elapsed)
            .with("timings_s", time.json());
        files.write(dir, manifest)?;
    }
    if args.quiet {
        return Ok(());
    }
    let mut t = run_summary(&spec, &act, runs.len(), &rule, &o);
    if let Some(fit) = &fit {
        t.push('\n');
        t.push_str(&crate::output::dynamics::report_table(
            fit,
            &rule,
            &rule.state_names(),
            std::path::Path::new("these runs"),
        ));
    }
    if let Some(o) = &outcomes {
        t.push_str(&outcome_lines(o));
    }
    t.push_str(&format!(
        "\n{} (on {threads} threads)\n",
        time.line(elapsed)
    ));
    super::print_stdout(&t)
}

/// A map: several cells, each of --runs runs, and what each came to.
fn run_map(args: &TrainArgs, plan: &TrainPlan, rule: &Rule) -> anyhow::Result<()> {
    let cells = &plan.cells;
    let threads = super::threads(args.threads)?;
    // The dataset depends on the task and the input dimension only, the same in every cell.
    // It and the shards to gather are checked before any folder is made.
    let data = args.dataset(&cells[0].spec)?;
    check_gather(plan, &data, &args.gather)?;
    let out = prepare_train_out(args)?;
    let pool = super::pool(threads)?;
    let mut time = Timings::start();
    let runs = args.runs as usize;
    let what = format!("train map ({} cells)", cells.len());
    let trained = time.part("runs", || {
        pool.install(|| trained(plan, &data, args, &what))
    })?;
    let Some(trained) = trained else {
        return shard_done(args);
    };
    let per_cell: Vec<&[Run]> = trained.chunks(runs).collect();
    let outcomes: Vec<Outcome> = per_cell.iter().map(|r| Outcome::of(r, rule)).collect();
    let fit = |r: &&[Run]| args.fit.then(|| chain_fit(r, rule));
    let fits: Vec<Option<ChainFit>> = if args.fit {
        time.part("fit", || per_cell.iter().map(fit).collect())
    } else {
        per_cell.iter().map(fit).collect()
    };

    let varying = varying(cells);
    let markdown = map_markdown(cells, &outcomes, rule, &varying);
    let mut elapsed = time.whole();
    if let Some(dir) = &out {
        let mut files = RunFiles::new();
        files.add(
            "trajectories.csv",
            map_trajectories_csv(cells, runs, &trained, &varying),
        );
        files.add("map.csv", map_csv(cells, &outcomes, &fits));
        files.add("map.md", markdown.clone());
        files.add(
            "summary.json",
            pretty_json(&map_summary_json(cells, &outcomes, rule)),
        );
        files.list(crate::sweep::journal::JOURNAL);
        elapsed = time.whole();
        let manifest = Manifest::new("train")
            .with("cells", cells.len())
            .with("runs_per_cell", runs)
            .with("seed", args.seed)
            .with("precision", args.precision.name())
            .with("kernel", dense_kernel(args.precision))
            .with("rng", crate::mc::rng::RNG_NAME)
            .with("threads", threads)
            .with("elapsed_s", elapsed)
            .with("timings_s", time.json());
        files.write(dir, manifest)?;
    }
    if !args.quiet {
        super::print_stdout(&format!(
            "{markdown}\n{} cells × {runs} runs; {} (on {threads} threads)\n",
            cells.len(),
            time.line(elapsed)
        ))?;
    }
    Ok(())
}

/// Trains the plan's runs ([`train_all`]), with a progress bar named `what` over the runs
/// still to train.
fn trained(
    plan: &TrainPlan,
    data: &Dataset,
    args: &TrainArgs,
    what: &str,
) -> crate::error::Result<Option<Vec<Run>>> {
    let bar = std::sync::OnceLock::new();
    let starting = |runs: u64| {
        let _ = bar.set(Stage::new(what, runs, "runs", args.quiet));
    };
    let finished = |n: u64| {
        if let Some(b) = bar.get() {
            b.inc(n);
        }
    };
    let progress = RunProgress {
        starting: &starting,
        finished: &finished,
    };
    train_all(plan, data, journaling(args).as_ref(), Some(&progress))
}
