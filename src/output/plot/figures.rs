//! The figures of the theory, `sim`, `table` and `meanfield`.
//! Each family is drawn in its own file ([`super::theory`], [`super::sim`],
//! [`super::table`], [`super::meanfield`]); this module gathers them with the pieces they share.

pub use super::meanfield::phase_diagram;
pub use super::sim::histogram;
pub use super::table::{heatmap, probability_vs};
pub use super::theory::thresholds;

pub(crate) use super::heatmap_grid::grid_heatmap;
