//! `vanish table`: a grid of `sim` experiments → a tidy CSV, JSON and a Markdown pivot,
//! journaled cell by cell (`--resume`), in shards (`--shard I/N`) for clusters.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use crate::error::{ConfigError, parse_value_enum, value_enum_name};
use crate::mc::fast::Precision;
use crate::methods::Method;
use crate::nets::network::{Init, Quantity};
use crate::output::manifest::{Manifest, RunFiles};
use crate::sweep::engine::{self, Journaling};
use crate::sweep::grid::{Axis, Grid, NetworkSettings, placeholders};
use crate::sweep::table::{self, JOURNAL, Pivot, TableSweep};

use super::common::{MethodFlag, SourceKind, method_text};
use super::progress::Stage;

const EXAMPLES: &str = "Examples:
  vanish table --n 1,1.5,2,3 --depth 10,50,100 --samples 1e5
  vanish table --dist 'normal(0,{s})' --s 0.25,0.5,1,2 --n 1:3:0.5 --rows n --cols s
  vanish table --dist 'laplace(0,{b})' --set b=0.5,1 --value p_explode_exact --method exact,clt
  vanish table --config sweep.toml --samples 1e4     # flags override the file
  vanish table --source network --width 64,128 --sigma-w 1,1.5 -N 500 --quantity layer --json
  vanish table --n 1:3:0.25 --depth 10:100:10 --out runs/t          # journaled
  vanish table --n 1:3:0.25 --depth 10:100:10 --out runs/t --resume # after a kill
  for i in 0 1 2 3; do vanish table --n 1:3:0.25 --depth 10:100:10 --shard $i/4 --out runs/s$i; done
  vanish merge runs/s0 runs/s1 runs/s2 runs/s3 --out runs/t4
  vanish table --n 1,2 --vanish-below 1e-3,1e-6 --explode-above 1e6 --out results --force

A sweep.toml holds keys as the flags, e.g.
  n = \"1:3:0.5\"
  depth = [10, 50]
--force writes into a folder that holds other files, or beyond a work limit.

Every numeric parameter takes one value, a list (1,1.5,2) or an inclusive range
(start:stop:step). A --dist placeholder {name} takes its values from --name (or
--set name=VALUES). Each cell is the experiment `vanish sim` runs with its values and
seed: cells share their random streams (common random numbers).";

/// The raw flags of `vanish table`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(mut_arg("out", |a| a.help(
    "Folder for table.csv, table.json, table.md, manifest.json and the journal"
)))]
pub struct TableArgs {
    /// Read the grid from a TOML file (keys as the flags: n = "1:3:0.5", depth = [10, 50],
    /// dist = "normal(0,{s})", s = [0.5, 1], …); flags given here override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// K values (list or range) [default: 20].
    #[arg(short = 'k', long)]
    depth: Option<String>,
    /// N values, samples per cell (list or range; 1e5 and 100_000 accepted) [default: 1e6].
    #[arg(short = 'N', long)]
    samples: Option<String>,
    /// The distribution of x, with optional {name} placeholders [default: normal(0,1)].
    #[arg(short, long)]
    dist: Option<String>,
    /// The activation: tanh, lecun, relu, leaky-relu(α), sigmoid [default: tanh].
    #[arg(long)]
    activation: Option<String>,
    /// Slopes n of a·tanh(n·x) [default: 2].
    #[arg(short, long, allow_negative_numbers = true)]
    n: Option<String>,
    /// Amplitudes a of a·tanh(n·x) [default: 1].
    #[arg(short, long, allow_negative_numbers = true)]
    a: Option<String>,
    /// Vanish thresholds [default: 1e-6].
    #[arg(long, allow_negative_numbers = true)]
    vanish_below: Option<String>,
    /// Explode thresholds [default: 1e6].
    #[arg(long, allow_negative_numbers = true)]
    explode_above: Option<String>,
    /// iid, or network: every cell draws random MLPs (as `sim --source network`) [default:
    /// iid].
    #[arg(long, value_enum, ignore_case = true)]
    source: Option<SourceKind>,
    /// Network widths, one per cell (list or range; every layer of a cell has it).
    #[arg(long)]
    width: Option<String>,
    /// Network input dimension d [default: the cell's width].
    #[arg(long, value_parser = super::parse_size)]
    input_dim: Option<usize>,
    /// Network σ_w values [default: 1].
    #[arg(long, allow_negative_numbers = true)]
    sigma_w: Option<String>,
    /// Network σ_b values [default: 0].
    #[arg(long, allow_negative_numbers = true)]
    sigma_b: Option<String>,
    /// Network weights: gaussian or orthogonal [default: gaussian].
    #[arg(long, value_enum, ignore_case = true)]
    init: Option<Init>,
    /// Network log-gain: path, layer or jacobian [default: path].
    #[arg(long, value_enum, ignore_case = true)]
    quantity: Option<Quantity>,
    /// Values of a --dist placeholder: NAME=VALUES (what `--NAME VALUES` becomes).
    #[arg(long = "set", value_name = "NAME=VALUES")]
    set: Vec<String>,
    /// Estimates beside Monte Carlo in every cell: one, or a list such as exact,clt
    /// [default: mc].
    #[arg(
        short,
        long,
        value_parser = super::common::MethodParser,
        value_delimiter = ',',
        ignore_case = true
    )]
    method: Vec<MethodFlag>,
    /// `--method exact`: the relative width of its bracket, 0 < REL < 1, as for `sim`
    /// [default: 1e-2].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true, value_name = "REL")]
    tol: Option<f64>,
    /// `--method exact`: the memory its lattice may take, in megabytes, as for `sim`
    /// [default: 256].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true, value_name = "MB")]
    exact_memory: Option<f64>,
    /// `--method is`: the relative standard error to sample to (0 < REL < 1); --samples is
    /// then the cap.
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true, value_name = "REL")]
    rel_err: Option<f64>,
    /// Seed of every random stream [default: 1].
    #[arg(short, long, value_parser = super::parse_count)]
    seed: Option<u64>,
    /// Kernel arithmetic: f64, f32 or reference (as for `sim`) [default: f64].
    #[arg(long, value_enum, ignore_case = true)]
    precision: Option<Precision>,
    #[command(flatten)]
    threads: super::common::ThreadsArg,
    #[command(flatten)]
    pub(super) output: super::common::OutArgs,
    /// Finish the run whose journal is in --out: compute only the missing cells.
    #[arg(long)]
    resume: bool,
    /// Compute shard I of N (0 ≤ I < N) into --out, for `vanish merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    #[command(flatten)]
    pivot: PivotArgs,
    /// Print table.json on stdout instead of the Markdown table.
    #[arg(long)]
    json: bool,
    /// No progress bar and no table on stdout.
    #[arg(short, long)]
    pub(super) quiet: bool,
}

/// The Markdown pivot's flags, shared by `table` and `merge`.
#[derive(Debug, Args)]
pub(super) struct PivotArgs {
    /// The parameter down the Markdown table [default: the first that varies, or the
    /// shards' choice for merge].
    #[arg(long)]
    pub(super) rows: Option<String>,
    /// The parameter across the Markdown table [default: the second that varies, or the
    /// shards' choice for merge].
    #[arg(long)]
    pub(super) cols: Option<String>,
    /// The CSV column shown in the Markdown table [default: p_vanish, or the shards'
    /// choice for merge].
    #[arg(long)]
    pub(super) value: Option<String>,
}

/// Rewrites `--NAME VALUES` and `--NAME=VALUES`, for each {NAME} placeholder of `--dist`,
/// into `--set NAME=VALUES`, so that placeholders read like any other parameter.
pub(super) fn placeholder_flags(args: Vec<String>) -> Vec<String> {
    let dist = args
        .iter()
        .enumerate()
        .find_map(|(i, a)| {
            if a == "--dist" || a == "-d" {
                args.get(i + 1).cloned()
            } else {
                a.strip_prefix("--dist=").map(str::to_string)
            }
        })
        .or_else(|| {
            // Else the dist of a --config file, if it names one.
            let file = args.iter().enumerate().find_map(|(i, a)| {
                if a == "--config" {
                    args.get(i + 1).cloned()
                } else {
                    a.strip_prefix("--config=").map(str::to_string)
                }
            })?;
            let text = crate::output::files::read_text(std::path::Path::new(&file)).ok()?;
            let table: toml::Table = toml::from_str(&text).ok()?;
            table.get("dist")?.as_str().map(str::to_string)
        })
        .unwrap_or_default();
    // Names of flags stay flags (such a placeholder is refused with the grid).
    let flags = flag_names();
    let holes: Vec<String> = placeholders(&dist)
        .into_iter()
        .filter(|h| !flags.contains(&h.replace('-', "_")))
        .collect();
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        // `--my-s` and `--my_s` both set {my_s}.
        let name = a
            .strip_prefix("--")
            .map(|s| s.split('=').next().unwrap_or(s).replace('-', "_"));
        match name {
            Some(n) if holes.contains(&n) => {
                let value = match a.split_once('=') {
                    Some((_, v)) => Some(v.to_string()),
                    None => it.next(),
                };
                out.push("--set".into());
                out.push(format!("{n}={}", value.unwrap_or_default()));
            }
            _ => out.push(a),
        }
    }
    out
}

/// An axis from a flag's or a config key's text; errors name where the text came from.
fn axis(name: &str, (text, from): (String, &str)) -> Result<Axis, ConfigError> {
    let flag = if from == "--config" {
        format!("--config (key {name})")
    } else {
        format!("--{}", name.replace('_', "-"))
    };
    Ok(Axis::new(name, values(&flag, &text)?))
}

/// The values of a numeric flag: a list or a range (underscores allowed in counts).
fn values(flag: &str, text: &str) -> Result<Vec<f64>, ConfigError> {
    super::parse_values(flag, &text.replace('_', ""))
}

/// A `--config` TOML file: keys named as the flags (with _ or -), values as strings,
/// numbers or arrays of numbers.
struct Config {
    path: String,
    /// [`parse_config`] of its text.
    values: ConfigValues,
}

/// The keys of a `--config` text (`-` read as `_`), each with its value as the text its
/// flag would hold (an array's items joined with `,`) or why that value is refused.
pub type ConfigValues = std::collections::BTreeMap<String, Result<String, String>>;

/// Reads the TOML text of `table --config` as `table` does (see [`ConfigValues`]); the
/// error is the first line of the TOML parser's.
pub fn parse_config(text: &str) -> Result<ConfigValues, String> {
    let raw: toml::Table = toml::from_str(text)
        .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())?;
    let scalar = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        _ => Err("give a string, a number or an array of numbers".to_string()),
    };
    let text_of = |v: &toml::Value| match v {
        toml::Value::Array(items) if items.is_empty() => Err("an empty array".to_string()),
        toml::Value::Array(items) => Ok(items
            .iter()
            .map(scalar)
            .collect::<Result<Vec<String>, String>>()?
            .join(",")),
        v => scalar(v),
    };
    Ok(raw
        .iter()
        .map(|(k, v)| (k.replace('-', "_"), text_of(v)))
        .collect())
}

/// Every flag of `vanish table` as a placeholder or a config key names it (`_` for `-`),
/// and `help` and `version`: read from clap, the one list of the flags.
pub(super) fn flag_names() -> Vec<String> {
    use clap::Args as _;
    TableArgs::augment_args(clap::Command::new("table"))
        .get_arguments()
        .filter_map(|a| a.get_long())
        .chain(["help", "version"])
        .map(|long| long.replace('-', "_"))
        .collect()
}

/// The flags a `--config` file cannot set: where and how the run goes, not what it
/// computes (every other flag is a key, read by [`TableArgs::validate`]).
const NOT_IN_CONFIG: [&str; 12] = [
    "config", "set", "threads", "out", "plot", "resume", "shard", "force", "json", "quiet", "help",
    "version",
];

/// The keys a config may hold besides the distribution's placeholders.
fn config_keys() -> Vec<String> {
    flag_names()
        .into_iter()
        .filter(|f| !NOT_IN_CONFIG.contains(&f.as_str()))
        .collect()
}

impl Config {
    fn load(path: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let Some(path) = path else {
            return Ok(Config {
                path: String::new(),
                values: ConfigValues::new(),
            });
        };
        let shown = path.display().to_string();
        let text = crate::output::files::read_text(path)
            .map_err(|e| ConfigError::new("--config", format!("cannot read '{shown}': {e}")))?;
        let values = parse_config(&text).map_err(|first| {
            ConfigError::new("--config", format!("'{shown}' is not valid TOML: {first}"))
        })?;
        Ok(Config {
            path: shown,
            values,
        })
    }

    fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// The key's value as the text a flag would hold, if present.
    fn get(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.values.get(key) {
            None => Ok(None),
            Some(Ok(v)) => Ok(Some(v.clone())),
            Some(Err(what)) => Err(ConfigError::new(
                "--config",
                format!("'{}', key {key}: {what}", self.path),
            )),
        }
    }

    /// The flag's value, else the file's, else `default`, with where it came from:
    /// "flag", "--config" or "default".
    fn pick(
        &self,
        flag: Option<String>,
        key: &str,
        default: &str,
    ) -> Result<(String, &'static str), ConfigError> {
        if let Some(v) = flag {
            return Ok((v, "flag"));
        }
        match self.get(key)? {
            Some(v) => Ok((v, "--config")),
            None => Ok((default.to_string(), "default")),
        }
    }

    /// Refuses keys that are neither flags nor placeholders (a typo must not be ignored).
    fn check_keys(&self, holes: &[String]) -> Result<(), ConfigError> {
        let keys = config_keys();
        match self
            .values
            .keys()
            .find(|k| !keys.contains(k) && !holes.contains(k))
        {
            Some(k) => Err(ConfigError::new(
                "--config",
                format!(
                    "'{}': unknown key '{k}' (keys: {}, and the placeholders of dist)",
                    self.path,
                    keys.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }
}

pub(super) fn parse_shard(text: &str) -> Result<(usize, usize), ConfigError> {
    let bad = || {
        ConfigError::new(
            "--shard",
            format!("'{text}': give I/N with 0 ≤ I < N, e.g. 0/4"),
        )
    };
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n || n > 100_000 {
        return Err(bad());
    }
    Ok((i, n))
}

struct TableSettings {
    grid: Grid,
    header: Vec<String>,
    pivot: Pivot,
    threads: usize,
    out: Option<crate::output::files::OutFolder>,
    resume: bool,
    shard: Option<(usize, usize)>,
    json: bool,
    quiet: bool,
}

/// The pivot of `--rows/--cols/--value`, with defaults from the varying parameters.
pub(super) fn pivot(
    grid: &Grid,
    header: &[String],
    rows: Option<String>,
    cols: Option<String>,
    value: String,
) -> Result<Pivot, ConfigError> {
    if !header.contains(&value) {
        return Err(ConfigError::new(
            "--value",
            format!("'{value}' is not a column; columns: {}", header.join(", ")),
        ));
    }
    let varying: Vec<String> = grid.varying().iter().map(|a| a.name.clone()).collect();
    let taken = [rows.clone(), cols.clone()];
    let mut free = varying
        .iter()
        .filter(|v| !taken.contains(&Some(v.to_string())));
    let rows = rows
        .or_else(|| free.next().cloned())
        .unwrap_or_else(|| "n".into());
    let cols = cols.or_else(|| free.next().cloned()).unwrap_or_else(|| {
        if rows == "depth" {
            "n".into()
        } else {
            "depth".into()
        }
    });
    for (flag, name) in [("--rows", &rows), ("--cols", &cols)] {
        if !grid.axes().iter().any(|a| &a.name == name) {
            let names: Vec<&str> = grid.axes().iter().map(|a| a.name.as_str()).collect();
            return Err(ConfigError::new(
                flag,
                format!(
                    "'{name}' is not a parameter; parameters: {}",
                    names.join(", ")
                ),
            ));
        }
    }
    if rows == cols {
        return Err(ConfigError::new("--cols", "must differ from --rows"));
    }
    Ok(Pivot { rows, cols, value })
}

impl TableArgs {
    /// `--tol`, `--exact-memory` and `--rel-err` (flags, else --config keys, else the
    /// defaults), validated as for `sim`.
    fn accuracy(&self, config: &Config) -> Result<crate::methods::bracket::Accuracy, ConfigError> {
        use crate::methods::bracket::{Accuracy, DEFAULT_MEMORY_MB, DEFAULT_TOL};
        let number = |flag: Option<f64>, key: &str, default: Option<f64>| {
            let shown = |v: Option<f64>| v.map(|x| x.to_string());
            let (text, _) = config.pick(shown(flag), key, "")?;
            if text.is_empty() {
                return Ok(default);
            }
            text.parse::<f64>().map(Some).map_err(|_| {
                ConfigError::new(
                    format!("--{}", key.replace('_', "-")),
                    format!("must be a number, got '{text}'"),
                )
            })
        };
        let tol = number(self.tol, "tol", Some(DEFAULT_TOL))?.unwrap_or(DEFAULT_TOL);
        let memory = number(self.exact_memory, "exact_memory", Some(DEFAULT_MEMORY_MB))?
            .unwrap_or(DEFAULT_MEMORY_MB);
        let rel_err = number(self.rel_err, "rel_err", None)?;
        Accuracy::new(tol, memory)?.with_rel_err(rel_err)
    }

    fn validate(mut self) -> Result<TableSettings, ConfigError> {
        let config = Config::load(self.config.as_deref())?;
        let dist = config.pick(self.dist.take(), "dist", "normal(0,1)")?;
        let activation = config.pick(self.activation.take(), "activation", "tanh")?;
        let is_tanh = activation.0.trim().eq_ignore_ascii_case("tanh");
        let (n, a) = (
            config.pick(self.n.take(), "n", "2")?,
            config.pick(self.a.take(), "a", "1")?,
        );
        if !is_tanh && (n.1 != "default" || a.1 != "default") {
            let flag = match (n.1, a.1) {
                ("flag", _) => "--n",
                (_, "flag") => "--a",
                _ => "--config",
            };
            return Err(ConfigError::new(
                flag,
                "n and a set a·tanh(n·x) and go with --activation tanh only",
            ));
        }
        let source = config.pick(self.source.as_ref().map(value_enum_name), "source", "iid")?;
        let source: SourceKind = parse_value_enum("--source", &source.0)?;
        // A network cell draws whole networks: a thousand of them by default, as `sim`.
        let samples_default = if source == SourceKind::Network {
            "1000"
        } else {
            "1e6"
        };
        let mut axes = vec![
            axis("n", n)?,
            axis("a", a)?,
            axis("depth", config.pick(self.depth.take(), "depth", "20")?)?,
            axis(
                "samples",
                config.pick(self.samples.take(), "samples", samples_default)?,
            )?,
            axis(
                "vanish_below",
                config.pick(self.vanish_below.take(), "vanish_below", "1e-6")?,
            )?,
            axis(
                "explode_above",
                config.pick(self.explode_above.take(), "explode_above", "1e6")?,
            )?,
        ];
        let network = self.network_settings(&config, source, &mut axes)?;
        let holes = self.placeholder_axes(&config, &dist.0, &mut axes)?;
        let own = config
            .get("dist")?
            .map(|d| placeholders(&d))
            .unwrap_or_default();
        config.check_keys(&[holes.clone(), own].concat())?;
        let (dist, activation) = (dist.0, activation.0);
        let method = (!self.method.is_empty()).then(|| method_text(&self.method));
        let method = config.pick(method, "method", "mc")?.0;
        let seed = match self.seed {
            Some(s) => s,
            None => config.pick(None, "seed", "1")?.0.parse().map_err(|_| {
                ConfigError::new("--config", "key seed: must be a whole number ≥ 0")
            })?,
        };
        let precision = self.precision.as_ref().map(value_enum_name);
        let precision = config.pick(precision, "precision", "f64")?.0;
        let accuracy = self.accuracy(&config)?;
        let value = config.pick(self.pivot.value, "value", "p_vanish")?.0;
        let rows = self.pivot.rows.or(config.get("rows")?);
        let cols = self.pivot.cols.or(config.get("cols")?);
        let methods = Method::parse_list(&method)?;
        let precision: Precision = precision.parse()?;
        let grid = Grid::with_source(
            &activation,
            &dist,
            network,
            axes,
            seed,
            precision,
            methods,
            self.output.force,
        )?
        .with_accuracy(accuracy);
        let header = crate::sweep::table::header(&grid);
        let pivot = pivot(&grid, &header, rows, cols, value)?;
        let shard = self.shard.as_deref().map(parse_shard).transpose()?;
        if (self.resume || shard.is_some()) && self.output.out.is_none() {
            let flag = if self.resume { "--resume" } else { "--shard" };
            return Err(ConfigError::new(
                flag,
                "needs --out (the folder of the journal)",
            ));
        }
        let threads = self.threads.count()?;
        let out = self.output.prepare_journaled("table", self.resume)?;
        Ok(TableSettings {
            grid,
            header,
            pivot,
            threads,
            out,
            resume: self.resume,
            shard,
            json: self.json,
            quiet: self.quiet,
        })
    }

    /// The network's settings (`--source network`), its axes pushed onto `axes`; network
    /// flags are refused with an iid source.
    fn network_settings(
        &self,
        config: &Config,
        source: SourceKind,
        axes: &mut Vec<Axis>,
    ) -> Result<Option<NetworkSettings>, ConfigError> {
        Ok(match source {
            SourceKind::Iid => {
                let net_flags = [
                    ("--width", self.width.is_some() || config.has("width")),
                    (
                        "--input-dim",
                        self.input_dim.is_some() || config.has("input_dim"),
                    ),
                    ("--sigma-w", self.sigma_w.is_some() || config.has("sigma_w")),
                    ("--sigma-b", self.sigma_b.is_some() || config.has("sigma_b")),
                    ("--init", self.init.is_some() || config.has("init")),
                    (
                        "--quantity",
                        self.quantity.is_some() || config.has("quantity"),
                    ),
                ];
                if let Some((flag, _)) = net_flags.iter().find(|f| f.1) {
                    return Err(ConfigError::new(
                        *flag,
                        "sets up a random network and goes with --source network only",
                    ));
                }
                None
            }
            SourceKind::Network => {
                let input_dim = match self.input_dim {
                    Some(d) => Some(d),
                    None => config
                        .get("input_dim")?
                        .map(|d| {
                            d.parse::<usize>().map_err(|_| {
                                ConfigError::new("--config", "key input_dim: a whole number ≥ 1")
                            })
                        })
                        .transpose()?,
                };
                if input_dim == Some(0) || input_dim > Some(crate::nets::network::MAX_WIDTH) {
                    return Err(ConfigError::new(
                        "--input-dim",
                        format!("must be from 1 to {}", crate::nets::network::MAX_WIDTH),
                    ));
                }
                for (name, flag) in [
                    ("width", self.width.clone()),
                    ("sigma_w", self.sigma_w.clone()),
                    ("sigma_b", self.sigma_b.clone()),
                ] {
                    if flag.is_some() || config.has(name) {
                        axes.push(axis(name, config.pick(flag, name, "")?)?);
                    }
                }
                let (quantity, init) = (
                    self.quantity.as_ref().map(value_enum_name),
                    self.init.as_ref().map(value_enum_name),
                );
                Some(NetworkSettings {
                    quantity: config.pick(quantity, "quantity", "path")?.0.parse()?,
                    init: config.pick(init, "init", "gaussian")?.0.parse()?,
                    input_dim,
                })
            }
        })
    }

    /// The axes of the dist's placeholders (`--set NAME=VALUES`, or keys of the config),
    /// pushed onto `axes`; returns the placeholders.
    fn placeholder_axes(
        &self,
        config: &Config,
        dist: &str,
        axes: &mut Vec<Axis>,
    ) -> Result<Vec<String>, ConfigError> {
        let mut given = Vec::new();
        for s in &self.set {
            let (name, text) = s.split_once('=').ok_or_else(|| {
                ConfigError::new("--set", format!("'{s}': give NAME=VALUES, e.g. s=0.5,1,2"))
            })?;
            given.push(name.trim().to_string());
            axes.push(Axis::new(
                name.trim(),
                values(&format!("--{}", name.trim()), text)?,
            ));
        }
        let holes = placeholders(dist);
        for name in &holes {
            if !given.contains(name) && config.has(name) {
                axes.push(axis(name, config.pick(None, name, "")?)?);
            }
        }
        Ok(holes)
    }
}

pub(super) fn run(args: TableArgs) -> anyhow::Result<()> {
    let s = args.validate()?;
    let grid = &s.grid;
    let pool = super::pool(s.threads)?;
    let bar = std::sync::OnceLock::new();
    let on_start = |pending: &[usize]| {
        let samples = pending.iter().map(|&i| grid.value(i, "samples") as u64);
        let unit = if grid.is_network() {
            "networks"
        } else {
            "samples"
        };
        let _ = bar.set(Stage::new("table", samples.sum(), unit, s.quiet));
    };
    let on_block = |n: u64| {
        if let Some(b) = bar.get() {
            b.inc(n);
        }
    };
    let sweep = TableSweep::new(grid, &on_start, &on_block);
    let journaling = s.out.as_deref().map(|dir| Journaling {
        dir,
        resume: s.resume,
        shard: s.shard,
        gather: &[],
    });
    let mine: Vec<usize> = match s.shard {
        Some((i, n)) => engine::shard(&sweep, i, n),
        None => (0..grid.cells()).collect(),
    };
    let started = Instant::now();
    let records = pool.install(|| engine::run(&sweep, journaling.as_ref()))?;
    drop(bar); // clears the bar before anything is printed
    let elapsed = started.elapsed().as_secs_f64();
    let kernel = crate::mc::simulate::kernel(&grid.experiment(0)?);
    let run_fields = json!({
        "threads": s.threads,
        "elapsed_s": elapsed,
        "kernel": kernel.name(),
        "kernel_note": kernel.note(),
    });
    if let (Some(dir), Some((i, n))) = (&s.out, s.shard) {
        let manifest = Manifest::new("table --shard")
            .with("shard", [i, n])
            .with("cells", &mine)
            .with("grid", grid.to_json())
            .with("threads", s.threads)
            .with("elapsed_s", elapsed)
            .with("kernel", kernel.name())
            .with(
                "pivot",
                json!({"rows": s.pivot.rows, "cols": s.pivot.cols, "value": s.pivot.value}),
            );
        let mut files = RunFiles::new();
        files.list(JOURNAL);
        files.write(dir, manifest)?;
        if !s.quiet {
            eprintln!(
                "shard {i}/{n}: {} cells in {}; merge the shards with `vanish merge`",
                mine.len(),
                dir.display()
            );
        }
        return Ok(());
    }
    let records = table::complete(records.expect("not a shard"), grid.cells())?;
    if let Some(dir) = &s.out {
        table::write_outputs(dir, grid, &s.header, &records, &s.pivot, run_fields)?;
    }
    if s.json {
        super::print_stdout(&table::table_json(grid, &records, true))?;
    } else if !s.quiet {
        let md = table::markdown(grid, &s.header, &records, &s.pivot)?;
        super::print_stdout(&format!(
            "{md}\n{} cells, {:.3e} {} in {elapsed:.2} s on {} threads\n",
            grid.cells(),
            mine.iter().map(|&i| grid.cost(i)).sum::<f64>(),
            if grid.is_network() {
                "normal weights"
            } else {
                "derivatives"
            },
            s.threads
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `vanish table`'s flags alone, as `main` parses them.
    #[derive(Debug, clap::Parser)]
    struct Table {
        #[command(flatten)]
        args: TableArgs,
    }

    #[test]
    fn a_config_text_reads_as_flag_texts() {
        let values =
            parse_config("sigma-w = [1, 1.5]\nn = \"0.5:1:0.5\"\nx = []\ny = true\n").unwrap();
        assert_eq!(values["sigma_w"], Ok("1,1.5".to_string()));
        assert_eq!(values["n"], Ok("0.5:1:0.5".to_string()));
        assert_eq!(values["x"], Err("an empty array".to_string()));
        assert!(values["y"].is_err());
        assert!(parse_config("n = [").is_err());
    }

    fn validate_config(toml: &str) -> Result<TableSettings, ConfigError> {
        use clap::Parser as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.toml");
        std::fs::write(&path, toml).unwrap();
        let path = path.display().to_string();
        Table::try_parse_from(["table", "--config", &path])
            .unwrap()
            .args
            .validate()
    }

    /// The names a placeholder may not take (the library's list) are the flags of clap's
    /// `TableArgs`, plus the short forms k and j.
    #[test]
    fn reserved_names_are_the_flags() {
        let flags = flag_names();
        for f in &flags {
            assert!(
                crate::sweep::grid::RESERVED.contains(&f.as_str()),
                "--{f} is missing from sweep::grid::RESERVED"
            );
        }
        for r in crate::sweep::grid::RESERVED {
            assert!(
                flags.iter().any(|f| f == r) || ["k", "j"].contains(&r),
                "sweep::grid::RESERVED holds {r}, which is no flag of vanish table"
            );
        }
        for f in NOT_IN_CONFIG {
            assert!(flags.iter().any(|g| g == f), "NOT_IN_CONFIG: no flag --{f}");
        }
    }

    /// Every config key is read: a bad value under any of them is refused, where an
    /// ignored key would pass.
    #[test]
    fn every_config_key_is_read() {
        assert!(validate_config("").is_ok());
        let keys = config_keys();
        assert_eq!(keys.len(), 24, "{keys:?}");
        for key in keys {
            assert!(
                validate_config(&format!("{key} = \"@@\"\n")).is_err(),
                "config key {key} is accepted but not read"
            );
        }
    }
}
