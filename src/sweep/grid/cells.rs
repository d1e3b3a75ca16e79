//! The cells of a grid: their values (the last axis runs fastest), their validated
//! experiments, descriptions and costs.

use super::Grid;
use super::axes::{Axis, flag, placeholders};
use crate::error::ConfigError;
use crate::methods::Method;
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;
use crate::model::experiment::Experiment;
use crate::model::source::Source;
use crate::nets::network::Network;
use crate::output::format::{exact, label};

impl Grid {
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
        Experiment::new(
            activation,
            source,
            depth,
            samples,
            get("vanish_below"),
            get("explode_above"),
            self.seed,
        )?
        .with_precision(self.precision)
        .map(|e| e.with_accuracy(self.accuracy))
    }

    /// The same grid with `accuracy` for `exact` and `is` in every cell.
    pub fn with_accuracy(self, accuracy: crate::methods::bracket::Accuracy) -> Self {
        Grid { accuracy, ..self }
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
}

/// What a cell costs: samples·depth derivatives, or for a network, samples times the
/// normals of one draw ([`Experiment::work`]).
pub(super) fn cost(e: &Experiment) -> f64 {
    e.work()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::tests::grid;
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
}
