//! Building a grid: its axes in cell order, defaults filled in, and every cell validated;
//! the limits on its size and cost.

use super::axes::{Axis, NETWORK_PARAMETERS, PARAMETERS, RESERVED, flag, placeholders};
use super::cells::cost;
use super::{Grid, NetworkSettings};
use crate::error::ConfigError;
use crate::mc::fast::Precision;
use crate::methods::Method;
use crate::output::format::exact;

/// Most cells a grid may have without `--force`.
pub const MAX_CELLS: usize = 1_000_000;
/// Most derivatives (Σ samples·depth) a grid may cost without `--force`: about a day of
/// this tool on one 2-core machine ([`crate::limits::MAX_DERIVATIVES`]).
pub const MAX_WORK: f64 = crate::limits::MAX_DERIVATIVES;
/// Most cells of any grid, even with `--force`.
pub const MAX_ANY_CELLS: usize = 100 * MAX_CELLS;

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
        check_braces(dist)?;
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
            if let Some(v) = repeated(&values) {
                return Err(ConfigError::new(
                    flag(name),
                    format!("has the value {} twice", exact(v)),
                ));
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
        if cells.is_none_or(|n| n > MAX_ANY_CELLS) {
            return Err(too_many_cells(&ordered));
        }
        for axis in &ordered {
            check_whole(axis)?;
        }
        let mut grid = Grid {
            activation: activation.to_string(),
            dist: dist.to_string(),
            network,
            axes: ordered,
            seed,
            precision,
            methods,
            accuracy: crate::methods::bracket::Accuracy::default(),
            costs: Vec::new(),
        };
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

    /// The flags that set the grid's size, to name in a refusal: its axes of more than one
    /// value (`--n, --depth`), else `--samples`.
    fn size_flags(&self) -> String {
        let flags: Vec<String> = self
            .axes
            .iter()
            .filter(|a| a.values.len() > 1)
            .map(|a| flag(&a.name))
            .collect();
        if flags.is_empty() {
            "--samples".into()
        } else {
            flags.join(", ")
        }
    }

    /// Refuses a grid of more than [`MAX_CELLS`] cells or [`MAX_WORK`] derivatives.
    pub fn check_size(&self) -> Result<(), ConfigError> {
        let cells = self.cells();
        if cells > MAX_CELLS {
            return Err(ConfigError::new(
                self.size_flags(),
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
                self.size_flags(),
                format!(
                    "the grid costs {work:.2e} derivatives (Σ samples·depth; more than \
                     {MAX_WORK:.0e}, about a day here); add --force to run it"
                ),
            ));
        }
        Ok(())
    }
}

/// The first value given twice, found in O(n log n) (a sorted copy), so that a list of a
/// million values is checked at once.
fn repeated(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let twice: Vec<f64> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    // The first repeated value in the order given, as the message has always named.
    values.iter().copied().find(|v| twice.contains(v))
}

/// A grid past [`MAX_ANY_CELLS`] (or past 2^64 cells), refused naming its longest axis, and
/// every varying axis with its length.
fn too_many_cells(axes: &[Axis]) -> ConfigError {
    let varying: Vec<&Axis> = axes.iter().filter(|a| a.values.len() > 1).collect();
    // The first of the longest axes.
    let longest = varying
        .iter()
        .rev()
        .max_by_key(|a| a.values.len())
        .map_or("n", |a| a.name.as_str());
    let names: Vec<&str> = varying.iter().map(|a| a.name.as_str()).collect();
    let lengths: Vec<String> = varying.iter().map(|a| a.values.len().to_string()).collect();
    let total: f64 = varying.iter().map(|a| a.values.len() as f64).product();
    ConfigError::new(
        flag(longest),
        format!(
            "the grid {} = {} has {total:.3e} cells, more than 10^8 (no table is that \
             large, even with --force); give fewer values",
            names.join(" × "),
            lengths.join(" × ")
        ),
    )
}

/// The whole-numbered axes (depth, samples, width) checked against their ranges before the
/// grid's size, so that a value no cell could take is refused as such, not as a cost that
/// `--force` would not make possible.
fn check_whole(axis: &Axis) -> Result<(), ConfigError> {
    let max = match axis.name.as_str() {
        "depth" => f64::from(crate::model::MAX_DEPTH),
        "samples" => crate::model::experiment::MAX_SAMPLES as f64,
        "width" => crate::nets::network::MAX_WIDTH as f64,
        _ => return Ok(()),
    };
    match axis
        .values
        .iter()
        .find(|v| v.fract() != 0.0 || !(1.0..=max).contains(*v))
    {
        Some(&v) => Err(ConfigError::new(
            flag(&axis.name),
            format!("needs whole numbers from 1 to {max:e}, got {}", exact(v)),
        )),
        None => Ok(()),
    }
}

/// Every `{` of a distribution template opens a placeholder `{name}` that is closed (so
/// `normal(0,{s)` is refused as such, not as an unknown flag `--s`).
fn check_braces(dist: &str) -> Result<(), ConfigError> {
    let mut rest = dist;
    let mut at = 0;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        let name_len = tail[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(tail.len() - 1);
        if tail.starts_with('}') || name_len == 0 || !tail[1 + name_len..].starts_with('}') {
            let shown: String = tail.chars().take(12).collect();
            return Err(ConfigError::new(
                "--dist",
                format!(
                    "'{shown}' at byte {}: a placeholder is {{name}}, a name of letters, \
                     digits and _ closed by '}}'",
                    at + i
                ),
            ));
        }
        at += i + name_len + 2;
        rest = &tail[name_len + 2..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::tests::grid;
    #[test]
    fn repeats_and_braces_are_found() {
        assert_eq!(repeated(&[3.0, 1.0, 2.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(repeated(&[1.0, 2.0]), None);
        let million: Vec<f64> = (0..1_000_000).map(f64::from).collect();
        assert_eq!(repeated(&million), None);
        assert!(check_braces("normal({mu},{s})").is_ok());
        for bad in [
            "normal(0,{s)",
            "normal(0,{})",
            "normal(0,s})",
            "normal(0,{a b})",
        ] {
            assert!(check_braces(bad).is_err(), "{bad}");
        }
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
                .starts_with("--samples: the grid costs 1.00e15 derivatives")
        );
    }
}
