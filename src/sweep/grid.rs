//! Parameter grids for `vanish table`: axes of values, the cells of their product, the
//! grid's fingerprint (what a journal and a shard must match), and shards balanced by cost.
//!
//! Every cell is the experiment `vanish sim` runs with the same values and seed: cells draw
//! the same streams (common random numbers), so a cell can be checked with `sim`, and
//! neighbouring cells differ by their parameters, not by their noise.
//!
//! ```
//! use vanish::sweep::grid::{Axis, Grid};
//! let g = Grid::new("tanh", "normal(0,{s})", vec![
//!     Axis::new("n", vec![1.0, 2.0]), Axis::new("s", vec![0.5, 1.0, 2.0])],
//!     1, Default::default(), vec![], false).unwrap();
//! assert_eq!(g.cells(), 6);
//! let e = g.experiment(5).unwrap();            // n = 2, s = 2 (the last axis runs fastest)
//! assert_eq!(e.to_json()["dist"], "normal(0,2)");
//! assert_eq!(g.shard(0, 2).len() + g.shard(1, 2).len(), 6);
//! ```

use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::mc::fast::Precision;
use crate::methods::Method;
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;
use crate::model::experiment::Experiment;
use crate::model::source::Source;
use crate::nets::network::{Init, Network, Quantity};
use crate::output::format::{exact, label};

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
pub const RESERVED: [&str; 35] = [
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

/// Most cells a grid may have without `--force`.
pub const MAX_CELLS: usize = 1_000_000;
/// Most derivatives (Σ samples·depth) a grid may cost without `--force`: about a day of
/// this tool on one 2-core machine.
pub const MAX_WORK: f64 = 2e13;

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

/// The fixed settings of a grid of random networks (its numeric settings, width, σ_w and
/// σ_b, are axes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkSettings {
    /// The log-gain reported.
    pub quantity: Quantity,
    /// How weights are drawn.
    pub init: Init,
    /// The input dimension d (`None`: d = width, cell by cell).
    pub input_dim: Option<usize>,
}

/// A validated grid: every cell's experiment has been built and checked.
#[derive(Debug, Clone)]
pub struct Grid {
    activation: String,
    dist: String,
    network: Option<NetworkSettings>,
    axes: Vec<Axis>,
    seed: u64,
    precision: Precision,
    methods: Vec<Method>,
    /// Per cell: samples·depth.
    costs: Vec<f64>,
}

/// The `{name}` placeholders of a distribution template, in order of first appearance.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        let name = rest[i + 1..i + j].to_string();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &rest[i + j + 1..];
    }
    out
}

fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

impl Grid {
    /// Builds a grid from `axes` (parameters left out take the `sim` defaults; every
    /// placeholder of `dist` needs an axis) and validates every cell. Without `force`, a
    /// grid of more than [`MAX_CELLS`] cells or [`MAX_WORK`] derivatives is refused first.
    pub fn new(
        activation: &str,
        dist: &str,
        axes: Vec<Axis>,
        seed: u64,
        precision: Precision,
        methods: Vec<Method>,
        force: bool,
    ) -> Result<Self, ConfigError> {
        Self::with_source(
            activation, dist, None, axes, seed, precision, methods, force,
        )
    }

    /// [`Grid::new`] for iid x (`network` `None`) or for random networks, whose axes may
    /// then include `width` (required), `sigma_w` and `sigma_b`.
    #[allow(clippy::too_many_arguments)]
    pub fn with_source(
        activation: &str,
        dist: &str,
        network: Option<NetworkSettings>,
        axes: Vec<Axis>,
        seed: u64,
        precision: Precision,
        methods: Vec<Method>,
        force: bool,
    ) -> Result<Self, ConfigError> {
        let holes = placeholders(dist);
        for h in &holes {
            let valid = !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid
                || RESERVED.contains(&h.as_str())
                || RESERVED.contains(&h.replace('-', "_").as_str())
            {
                return Err(ConfigError::new(
                    "--dist",
                    format!(
                        "placeholder '{{{h}}}': a name of letters, digits and _ that is not a \
                         flag of vanish table ({})",
                        RESERVED.join(", ")
                    ),
                ));
            }
        }
        let mut ordered = Vec::new();
        let network_names = match network {
            Some(_) => &NETWORK_PARAMETERS[..],
            None => &[],
        };
        let names: Vec<String> = PARAMETERS[..3]
            .iter()
            .chain(network_names)
            .map(|p| p.0.to_string())
            .chain(holes.iter().cloned())
            .chain(PARAMETERS[3..].iter().map(|p| p.0.to_string()))
            .collect();
        for name in &names {
            let given: Vec<&Axis> = axes.iter().filter(|a| &a.name == name).collect();
            let values = match given.as_slice() {
                [] => match PARAMETERS.iter().chain(network_names).find(|p| p.0 == name) {
                    Some(&(_, default)) if default.is_nan() => {
                        return Err(ConfigError::new(
                            flag(name),
                            "a network grid needs it (e.g. --width 64,256)",
                        ));
                    }
                    Some(&(_, default)) => vec![default],
                    None => {
                        return Err(ConfigError::new(
                            flag(name),
                            format!("gives the values of {{{name}}} in --dist, and is missing"),
                        ));
                    }
                },
                [a] => a.values.clone(),
                _ => return Err(ConfigError::new(flag(name), "is given twice")),
            };
            if values.is_empty() {
                return Err(ConfigError::new(flag(name), "needs at least one value"));
            }
            for (k, v) in values.iter().enumerate() {
                if values[..k].contains(v) {
                    return Err(ConfigError::new(
                        flag(name),
                        format!("has the value {} twice", exact(*v)),
                    ));
                }
            }
            ordered.push(Axis::new(name, values));
        }
        if let Some(extra) = axes.iter().find(|a| !names.contains(&a.name)) {
            let why = if NETWORK_PARAMETERS.iter().any(|p| p.0 == extra.name) {
                "sets up a random network and goes with --source network only".to_string()
            } else {
                format!("is not a parameter and not a placeholder of --dist '{dist}'")
            };
            return Err(ConfigError::new(flag(&extra.name), why));
        }
        let cells = ordered
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
        let mut grid = Grid {
            activation: activation.to_string(),
            dist: dist.to_string(),
            network,
            axes: ordered,
            seed,
            precision,
            methods,
            costs: Vec::new(),
        };
        match cells {
            Some(n) if n <= 100 * MAX_CELLS => {}
            _ => {
                return Err(ConfigError::new(
                    "--n",
                    "the grid has more than 10^8 cells; no table is that large",
                ));
            }
        }
        if !force {
            grid.check_size()?;
        }
        let cells = grid.cells();
        grid.costs.reserve(cells);
        for i in 0..cells {
            let e = grid.experiment(i)?;
            for m in &grid.methods {
                m.check(&e)?;
            }
            grid.costs.push(cost(&e));
        }
        Ok(grid)
    }

    /// Refuses a grid of more than [`MAX_CELLS`] cells or [`MAX_WORK`] derivatives.
    pub fn check_size(&self) -> Result<(), ConfigError> {
        let cells = self.cells();
        if cells > MAX_CELLS {
            return Err(ConfigError::new(
                "--force",
                format!(
                    "the grid has {cells} cells (more than {MAX_CELLS}); add --force to run it"
                ),
            ));
        }
        // Σ samples·depth over the product grid, from the axes alone.
        let sum = |name: &str| {
            self.axes
                .iter()
                .find(|a| a.name == name)
                .map_or(0.0, |a| a.values.iter().sum())
        };
        let others: f64 = self
            .axes
            .iter()
            .filter(|a| !["samples", "depth", "width"].contains(&a.name.as_str()))
            .map(|a| a.values.len() as f64)
            .product();
        // A network draw costs about width² normals per layer.
        let per_layer = match self.axes.iter().find(|a| a.name == "width") {
            Some(w) => w.values.iter().map(|w| w * w).sum(),
            None => 1.0,
        };
        let work = sum("samples") * sum("depth") * per_layer * others;
        if work > MAX_WORK {
            return Err(ConfigError::new(
                "--force",
                format!(
                    "the grid costs {work:.2e} derivatives (Σ samples·depth; more than \
                     {MAX_WORK:.0e}, about a day here); add --force to run it"
                ),
            ));
        }
        Ok(())
    }

    /// Whether the cells draw random networks.
    pub fn is_network(&self) -> bool {
        self.network.is_some()
    }

    /// The number of cells.
    pub fn cells(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The axes, every parameter in cell order (single values included).
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// The axes with more than one value.
    pub fn varying(&self) -> Vec<&Axis> {
        self.axes.iter().filter(|a| a.values.len() > 1).collect()
    }

    /// The distribution's placeholders.
    pub fn placeholders(&self) -> Vec<String> {
        placeholders(&self.dist)
    }

    /// Σ cost over the cells (see [`Grid::cost`]).
    pub fn work(&self) -> f64 {
        self.costs.iter().sum()
    }

    /// The cost of cell `i`: samples·depth derivatives, or for a network, samples times
    /// the normals one draw takes.
    pub fn cost(&self, i: usize) -> f64 {
        self.costs[i]
    }

    /// The estimation methods of every cell.
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The value of each axis at cell `i` (the last axis runs fastest).
    pub fn values(&self, i: usize) -> Vec<f64> {
        let mut rest = i;
        let mut out = vec![0.0; self.axes.len()];
        for (k, a) in self.axes.iter().enumerate().rev() {
            out[k] = a.values[rest % a.values.len()];
            rest /= a.values.len();
        }
        out
    }

    /// The position of cell `i`'s value on the axis of parameter `name`.
    pub fn index(&self, i: usize, name: &str) -> usize {
        let k = self
            .axes
            .iter()
            .position(|a| a.name == name)
            .expect("a parameter");
        let stride: usize = self.axes[k + 1..].iter().map(|a| a.values.len()).product();
        (i / stride) % self.axes[k].values.len()
    }

    /// The value of parameter `name` at cell `i`.
    pub fn value(&self, i: usize, name: &str) -> f64 {
        let k = self
            .axes
            .iter()
            .position(|a| a.name == name)
            .expect("a parameter");
        self.values(i)[k]
    }

    /// The validated experiment of cell `i`; errors name the flag of the bad value.
    pub fn experiment(&self, i: usize) -> Result<Experiment, ConfigError> {
        let values = self.values(i);
        let get = |name: &str| {
            values[self
                .axes
                .iter()
                .position(|a| a.name == name)
                .expect("parameter")]
        };
        let whole = |name: &str, max: f64| -> Result<f64, ConfigError> {
            let v = get(name);
            if v.fract() != 0.0 || !(1.0..=max).contains(&v) {
                return Err(ConfigError::new(
                    flag(name),
                    format!("needs whole numbers from 1 to {max:e}, got {}", exact(v)),
                ));
            }
            Ok(v)
        };
        let depth = whole("depth", f64::from(crate::model::MAX_DEPTH))? as u32;
        let samples = whole("samples", crate::model::experiment::MAX_SAMPLES as f64)? as u64;
        let is_tanh = self.activation.trim().eq_ignore_ascii_case("tanh");
        let activation = Activation::parse(
            &self.activation,
            if is_tanh { get("a") } else { 1.0 },
            if is_tanh { get("n") } else { 1.0 },
        )?;
        let mut spec = self.dist.clone();
        for name in placeholders(&self.dist) {
            spec = spec.replace(&format!("{{{name}}}"), &exact(get(&name)));
        }
        let dist: PreActivation = spec.parse().map_err(|e: ConfigError| {
            ConfigError::new("--dist", format!("at {}: {}", self.describe(i), e.message))
        })?;
        let source = match self.network {
            None => Source::Iid { dist },
            Some(net) => {
                let width = whole("width", crate::nets::network::MAX_WIDTH as f64)? as usize;
                let network = Network::new(
                    dist,
                    net.input_dim.unwrap_or(width),
                    &[width],
                    depth,
                    get("sigma_w"),
                    get("sigma_b"),
                    net.init,
                )?;
                Source::Network {
                    network,
                    quantity: net.quantity,
                }
            }
        };
        Ok(Experiment::new(
            activation,
            source,
            depth,
            samples,
            get("vanish_below"),
            get("explode_above"),
            self.seed,
        )?
        .with_precision(self.precision))
    }

    /// `n=2, depth=50, s=0.5`: the varying parameters of cell `i`.
    pub fn describe(&self, i: usize) -> String {
        let values = self.values(i);
        let parts: Vec<String> = self
            .axes
            .iter()
            .zip(values)
            .filter(|(a, _)| a.values.len() > 1)
            .map(|(a, v)| format!("{}={}", a.name, label(v)))
            .collect();
        if parts.is_empty() {
            "the only cell".into()
        } else {
            parts.join(", ")
        }
    }

    /// The resolved grid, as recorded in journals and manifests; two grids with equal
    /// JSON compute the same numbers.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "activation": self.activation,
            "dist": self.dist,
            "axes": self.axes.iter().map(|a| json!({"name": a.name, "values": a.values})).collect::<Vec<_>>(),
            "seed": self.seed,
            "precision": self.precision.name(),
            "methods": self.methods.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "cells": self.cells(),
            "block_samples": if self.network.is_some() { 1 } else { crate::model::experiment::BLOCK_SAMPLES },
            "version": env!("CARGO_PKG_VERSION"),
        });
        if let Some(net) = self.network {
            v["network"] = json!({
                "quantity": net.quantity.name(),
                "init": net.init.to_string(),
                "input_dim": net.input_dim,
            });
        }
        v
    }

    /// The grid recorded by [`Grid::to_json`] (in a journal or manifest), rebuilt and
    /// validated; refused when it was made by another version of the tool.
    pub fn from_json(v: &Value) -> Result<Self, ConfigError> {
        let bad =
            |what: &str| ConfigError::new("DIR", format!("the recorded grid has no valid {what}"));
        let text = |k: &str| v[k].as_str().ok_or_else(|| bad(k));
        if text("version")? != env!("CARGO_PKG_VERSION") {
            return Err(ConfigError::new(
                "DIR",
                format!(
                    "made by vanish {}, this is {}",
                    text("version")?,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let axes = v["axes"]
            .as_array()
            .ok_or_else(|| bad("axes"))?
            .iter()
            .map(|a| {
                let name = a["name"].as_str().ok_or_else(|| bad("axis name"))?;
                let values: Option<Vec<f64>> = a["values"]
                    .as_array()
                    .map(|vs| vs.iter().filter_map(Value::as_f64).collect());
                Ok(Axis::new(name, values.ok_or_else(|| bad("axis values"))?))
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let methods: Vec<String> = v["methods"]
            .as_array()
            .ok_or_else(|| bad("methods"))?
            .iter()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        let methods = if methods.is_empty() {
            Vec::new()
        } else {
            Method::parse_list(&methods.join(","))?
        };
        let network = match v.get("network") {
            None => None,
            Some(n) => Some(NetworkSettings {
                quantity: n["quantity"]
                    .as_str()
                    .ok_or_else(|| bad("quantity"))?
                    .parse()?,
                init: n["init"].as_str().ok_or_else(|| bad("init"))?.parse()?,
                input_dim: match &n["input_dim"] {
                    Value::Null => None,
                    d => Some(d.as_u64().ok_or_else(|| bad("input_dim"))? as usize),
                },
            }),
        };
        let grid = Grid::with_source(
            text("activation")?,
            text("dist")?,
            network,
            axes,
            v["seed"].as_u64().ok_or_else(|| bad("seed"))?,
            text("precision")?.parse()?,
            methods,
            true,
        )?;
        if &grid.to_json() != v {
            return Err(bad("form (it does not rebuild to itself)"));
        }
        Ok(grid)
    }

    /// The cells of shard `index` of `count` (0-based), balanced by cost: cells in
    /// decreasing samples·depth (ties by index) each go to the least-loaded shard (ties to
    /// the lowest). A pure function of the grid, so every shard computes the same split.
    pub fn shard(&self, index: usize, count: usize) -> Vec<usize> {
        let of = self.shards(count);
        (0..self.cells()).filter(|&i| of[i] == index).collect()
    }

    /// The shard of every cell when split in `count` (see [`Grid::shard`]): one pass with
    /// a heap of loads, O(cells·log count).
    pub fn shards(&self, count: usize) -> Vec<usize> {
        balance(&self.costs, count)
    }
}

/// The shard (0…count−1) of each task of cost `costs[i]`: the costliest first, each to the
/// least loaded shard (ties to the lower task and shard), in one pass with a heap of loads,
/// O(tasks·log count). Costs are whole numbers (below 2^60), so loads add exactly in u128.
///
/// ```
/// assert_eq!(vanish::sweep::grid::balance(&[5.0, 1.0, 1.0, 3.0], 2), [0, 1, 1, 1]);
/// ```
pub fn balance(costs: &[f64], count: usize) -> Vec<usize> {
    use std::cmp::Reverse;
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut heap: std::collections::BinaryHeap<Reverse<(u128, usize)>> =
        (0..count).map(|k| Reverse((0, k))).collect();
    let mut of = vec![0; costs.len()];
    for i in order {
        let Reverse((load, k)) = heap.pop().expect("count ≥ 1");
        of[i] = k;
        heap.push(Reverse((load + costs[i] as u128, k)));
    }
    of
}

/// What a cell costs: samples·depth derivatives, or for a network, samples times the
/// normals of one draw.
fn cost(e: &Experiment) -> f64 {
    match &e.source {
        Source::Iid { .. } => e.samples as f64 * f64::from(e.depth),
        Source::Network { network, .. } => e.samples as f64 * network.normals_per_draw() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(axes: Vec<Axis>) -> Result<Grid, ConfigError> {
        Grid::new(
            "tanh",
            "normal(0,{s})",
            axes,
            1,
            Precision::F64,
            vec![],
            true,
        )
    }

    #[test]
    fn cells_run_last_axis_fastest_and_defaults_fill_in() {
        let g = grid(vec![
            Axis::new("s", vec![0.5, 1.0]),
            Axis::new("depth", vec![10.0, 20.0, 30.0]),
        ])
        .unwrap();
        assert_eq!(g.cells(), 6);
        // Order: n, a, depth, s, samples, …: depth is slower than s.
        assert_eq!(g.value(0, "depth"), 10.0);
        assert_eq!(g.value(1, "s"), 1.0);
        assert_eq!(g.value(2, "depth"), 20.0);
        assert_eq!(g.value(5, "n"), 2.0);
        assert_eq!(g.describe(3), "depth=20, s=1");
    }

    #[test]
    fn bad_grids_name_their_flag() {
        let err = |axes| grid(axes).unwrap_err().to_string();
        assert!(err(vec![]).starts_with("--s"));
        assert!(err(vec![Axis::new("s", vec![1.0]), Axis::new("q", vec![1.0])]).starts_with("--q"));
        assert!(err(vec![Axis::new("s", vec![-1.0])]).starts_with("--dist"));
        assert!(
            err(vec![
                Axis::new("s", vec![1.0]),
                Axis::new("depth", vec![2.5])
            ])
            .starts_with("--depth")
        );
        assert!(err(vec![Axis::new("s", vec![1.0]), Axis::new("n", vec![0.0])]).starts_with("--n"));
        let big = grid(vec![
            Axis::new("s", vec![1.0]),
            Axis::new("samples", vec![1e12]),
            Axis::new("depth", vec![1000.0]),
        ])
        .unwrap();
        assert!(
            big.check_size()
                .unwrap_err()
                .to_string()
                .starts_with("--force")
        );
    }

    #[test]
    fn shards_partition_the_cells_and_balance_cost() {
        let g = grid(vec![
            Axis::new("s", vec![0.5, 1.0, 2.0]),
            Axis::new("depth", (1..=20).map(f64::from).collect()),
        ])
        .unwrap();
        let shards: Vec<Vec<usize>> = (0..4).map(|i| g.shard(i, 4)).collect();
        let mut all: Vec<usize> = shards.concat();
        all.sort_unstable();
        assert_eq!(all, (0..g.cells()).collect::<Vec<_>>());
        let loads: Vec<f64> = shards
            .iter()
            .map(|s| s.iter().map(|&i| g.cost(i)).sum())
            .collect();
        let (lo, hi) = loads
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(l, h), &x| (l.min(x), h.max(x)));
        assert!(hi - lo <= 20.0 * 1e6, "loads {loads:?}"); // within one cell's cost
    }
}
