//! The axes of a grid: the parameters every grid has, the names a placeholder may not take,
//! and the `{name}` placeholders of a distribution template.

/// The parameters every grid has, in cell order (the network parameters, then the
/// placeholders of the distribution follow `depth`), with their defaults: the defaults of
/// `vanish sim` (a network grid's default `samples` is set by `vanish table`: 1000).
pub const PARAMETERS: [(&str, f64); 6] = [
    ("n", 2.0),
    ("a", 1.0),
    ("depth", 50.0),
    ("samples", 1e6),
    ("vanish_below", 1e-6),
    ("explode_above", 1e6),
];

/// The parameters of network grids (after `depth`), with their defaults (`width` has
/// none: a network grid needs it).
pub const NETWORK_PARAMETERS: [(&str, f64); 3] =
    [("width", f64::NAN), ("sigma_w", 1.0), ("sigma_b", 0.0)];

/// Names a placeholder may not take: the grid's parameters and every flag of `vanish
/// table` (a placeholder's values come from `--NAME`). A unit test of `cli::table` checks
/// that it holds exactly the flags of clap's `TableArgs` (and `k`, `j`).
pub const RESERVED: [&str; 38] = [
    "source",
    "width",
    "input_dim",
    "sigma_w",
    "sigma_b",
    "init",
    "quantity",
    "n",
    "a",
    "depth",
    "samples",
    "vanish_below",
    "explode_above",
    "dist",
    "activation",
    "set",
    "method",
    "seed",
    "precision",
    "tol",
    "exact_memory",
    "rel_err",
    "threads",
    "out",
    "plot",
    "resume",
    "shard",
    "rows",
    "cols",
    "value",
    "force",
    "json",
    "quiet",
    "config",
    "help",
    "version",
    "k",
    "j",
];

/// One parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The parameter: one of [`PARAMETERS`] or a placeholder of the distribution.
    pub name: String,
    /// Its values, in the order given.
    pub values: Vec<f64>,
}

impl Axis {
    /// An axis.
    pub fn new(name: &str, values: Vec<f64>) -> Self {
        Axis {
            name: name.to_string(),
            values,
        }
    }
}

/// The `{name}` placeholders of a distribution template, in order of first appearance. A
/// name is the letters, digits, `_` and `-` after a `{`, closed or not: `{s)` gives `s`, so
/// that its flag `--s` is taken as the placeholder's and the template is refused as such
/// (the grid checks that every `{` is closed).
///
/// ```
/// use vanish::sweep::grid::placeholders;
/// assert_eq!(placeholders("normal({mu},{s})"), ["mu", "s"]);
/// assert_eq!(placeholders("normal(0,{s)"), ["s"]);
/// ```
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let tail = &rest[i + 1..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(tail.len());
        let name = tail[..len].to_string();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
        rest = &tail[len..];
    }
    out
}

pub(super) fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}
