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

mod axes;
mod build;
mod cells;
mod fingerprint;
mod shards;
mod values;

pub use axes::{Axis, NETWORK_PARAMETERS, PARAMETERS, RESERVED, placeholders};
pub use build::{MAX_CELLS, MAX_WORK};
pub use shards::balance;
pub use values::{parse_finite, parse_values};

use crate::mc::fast::Precision;
use crate::methods::Method;
use crate::nets::network::{Init, Quantity};

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
    /// How exact `exact` and `is` must be in every cell.
    accuracy: crate::methods::bracket::Accuracy,
    /// Per cell: samples·depth.
    costs: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConfigError;

    pub(super) fn grid(axes: Vec<Axis>) -> Result<Grid, ConfigError> {
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
}
