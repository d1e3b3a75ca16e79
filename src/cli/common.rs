//! Flags shared by several subcommands, defined once and flattened into each (`#[command(
//! flatten)]`), and the plain enumerations of flags whose library type carries data.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::error::{ConfigError, value_enum_name};
use crate::methods::Method;
use crate::model::activation::Activation;
use crate::output::files::OutFolder;
use crate::output::manifest::{Claim, prepare_out};

/// `-o/--out` and `--plot`. Each subcommand says what `--out` holds with
/// `#[command(mut_arg("out", …))]`.
#[derive(Debug, Clone, Args)]
pub struct OutArgs {
    /// Write the run's files into this folder.
    #[arg(short, long)]
    pub(super) out: Option<PathBuf>,
    /// Also draw the run's figures into --out as SVG files (as `vanish plot` does).
    #[arg(long)]
    pub(super) plot: bool,
    /// Go ahead where vanish would stop to protect your files or your time: write into a
    /// --out folder that holds other files, start a journal over, run beyond a work limit.
    #[arg(long)]
    pub(super) force: bool,
}

impl OutArgs {
    /// The `--out` folder of a run of `command` (as its manifest names it), checked by the
    /// output-folder policy (`output::manifest::prepare_out`) and created if missing.
    pub(super) fn prepare(&self, command: &str) -> Result<Option<OutFolder>, ConfigError> {
        self.prepare_with(Claim::new(command))
    }

    /// The same, for a run that keeps a journal in `--out` (`--resume` when `resume`).
    pub(super) fn prepare_journaled(
        &self,
        command: &str,
        resume: bool,
    ) -> Result<Option<OutFolder>, ConfigError> {
        self.prepare_with(Claim::new(command).journaled(resume))
    }

    fn prepare_with(&self, claim: Claim) -> Result<Option<OutFolder>, ConfigError> {
        let claim = claim.force(self.force);
        self.out
            .as_deref()
            .map(|dir| prepare_out(dir, &claim))
            .transpose()
    }
}

/// `-j/--threads`.
#[derive(Debug, Args)]
pub struct ThreadsArg {
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(short = 'j', long, value_parser = super::parse_size)]
    pub(super) threads: Option<usize>,
}

impl ThreadsArg {
    /// The validated number of threads.
    pub(super) fn count(&self) -> Result<usize, ConfigError> {
        super::threads(self.threads)
    }
}

/// `--activation` with the slope `--n` and amplitude `--a` of a·tanh(n·x), one value each.
#[derive(Debug, Args)]
pub struct ActivationArgs {
    /// The activation: tanh, lecun, relu, leaky-relu(α), sigmoid.
    #[arg(long, default_value = "tanh")]
    pub(super) activation: String,
    /// Slope n of a·tanh(n·x) [default: 2].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    pub(super) n: Option<f64>,
    /// Amplitude a of a·tanh(n·x) [default: 1].
    #[arg(short, long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    pub(super) a: Option<f64>,
}

impl ActivationArgs {
    /// The validated activation (`--n` and `--a` with tanh only).
    pub(super) fn activation(&self) -> Result<Activation, ConfigError> {
        super::tanh_flags_fit(&self.activation, self.n.is_some(), self.a.is_some())?;
        Activation::parse(
            &self.activation,
            self.a.unwrap_or(1.0),
            self.n.unwrap_or(2.0),
        )
    }
}

/// A value of `--method` (the flag takes a comma-separated list of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodFlag {
    /// Monte Carlo only (always computed).
    Mc,
    /// The exact law of the K-fold sum.
    Exact,
    /// The Lugannani–Rice saddlepoint approximation.
    Saddle,
    /// The saddlepoint approximation with its second-order term (Daniels).
    Saddle2,
    /// The central limit theorem.
    Clt,
    /// Importance sampling under the saddlepoint tilt.
    Is,
    /// exact, saddle, saddle2, clt and is.
    All,
}

/// The parser of one `--method` value: clap's for [`MethodFlag`] (any case, the values
/// listed on a bad one and offered to shell completion), after trimming the spaces a list
/// such as `'exact, clt'` leaves around its items.
#[derive(Clone, Copy, Debug, Default)]
pub struct MethodParser;

impl clap::builder::TypedValueParser for MethodParser {
    type Value = MethodFlag;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<MethodFlag, clap::Error> {
        let trimmed = value
            .to_str()
            .map_or(value, |s| std::ffi::OsStr::new(s.trim()));
        clap::builder::EnumValueParser::<MethodFlag>::new().parse_ref(cmd, arg, trimmed)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let values: Vec<_> = MethodFlag::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .collect();
        Some(Box::new(values.into_iter()))
    }
}

/// The methods of a `--method` list, as [`Method::parse_list`] orders them (mc first, no
/// repeats).
pub(super) fn methods(list: &[MethodFlag]) -> Result<Vec<Method>, ConfigError> {
    Method::parse_list(&method_text(list))
}

/// A `--method` list as the text the flag and a `--config` file take.
pub(super) fn method_text(list: &[MethodFlag]) -> String {
    list.iter()
        .map(value_enum_name)
        .collect::<Vec<_>>()
        .join(",")
}

/// `--source`: where the x come from (the library's [`crate::model::source::Source`]
/// carries the distribution or the network).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// x_1…x_K drawn independently from --dist.
    Iid,
    /// The K layers' pre-activations of a fresh random MLP per sample.
    Network,
}
