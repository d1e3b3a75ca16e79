//! The phase diagram of wide random networks: the mean-field fixed point at every
//! (σ_w, σ_b) of a grid, and the order/chaos boundary (χ1 = 1) at every σ_b.
//!
//! ```
//! use vanish::model::activation::Activation;
//! use vanish::theory::phase::PhaseGrid;
//! let grid = PhaseGrid::new(Activation::scaled_tanh(1.0, 1.0).unwrap(), vec![0.5, 2.0], vec![0.0]).unwrap();
//! let d = grid.compute();
//! assert_eq!(d.points[0].phase(), "ordered");
//! assert_eq!(d.points[1].phase(), "chaotic");
//! assert!((d.critical[0].unwrap() - 1.0).abs() < 1e-6);
//! ```

use rayon::prelude::*;

use crate::error::ConfigError;
use crate::model::activation::Activation;
use crate::theory::meanfield::{FixedPoint, MeanField, critical_sigma_w};

/// Most (σ_w, σ_b) pairs in one run. An ordered point takes microseconds; a chaotic one
/// needs 2-D integrals whose cost grows with n²·q*: 10 ms near σ_w = 2, 1 s at σ_w = 30
/// for tanh(2x).
pub const MAX_POINTS: usize = 100_000;

/// A validated grid of (σ_w, σ_b) for one activation.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseGrid {
    activation: Activation,
    sigma_w: Vec<f64>,
    sigma_b: Vec<f64>,
}

/// The fixed point at every cell (σ_w inner, σ_b outer) and the critical σ_w at every σ_b.
#[derive(Debug, Clone)]
pub struct PhaseDiagram {
    /// The activation.
    pub activation: Activation,
    /// The σ_b values.
    pub sigma_b: Vec<f64>,
    /// The cells (σ_w, σ_b), σ_w running fastest.
    pub cells: Vec<(f64, f64)>,
    /// The fixed point of each cell.
    pub points: Vec<FixedPoint>,
    /// The critical σ_w of each σ_b (None where there is none in [0.001, 100]).
    pub critical: Vec<Option<f64>>,
}

impl PhaseGrid {
    /// Checks every pair (errors name `--sigma-w` or `--sigma-b`) and the grid's size.
    pub fn new(
        activation: Activation,
        sigma_w: Vec<f64>,
        sigma_b: Vec<f64>,
    ) -> Result<Self, ConfigError> {
        if sigma_w.is_empty() || sigma_b.is_empty() {
            return Err(ConfigError::new("--sigma-w", "needs at least one value"));
        }
        for (&w, &b) in sigma_w.iter().zip(sigma_b.iter().cycle()) {
            MeanField::new(activation, w, b)?;
        }
        for &b in &sigma_b {
            MeanField::new(activation, sigma_w[0], b)?;
        }
        let points = sigma_w.len().checked_mul(sigma_b.len());
        if points.is_none_or(|p| p > MAX_POINTS) {
            return Err(ConfigError::new(
                "--sigma-w",
                format!(
                    "{} × {} points; at most {MAX_POINTS}",
                    sigma_w.len(),
                    sigma_b.len()
                ),
            ));
        }
        Ok(PhaseGrid {
            activation,
            sigma_w,
            sigma_b,
        })
    }

    /// The integrand evaluations of [`PhaseGrid::compute`]: Σ over the cells of
    /// [`MeanField::evaluations`], and per σ_b the boundary's bisection (about 60 values
    /// of χ1 at σ_w up to [`MAX_SIGMA`](super::meanfield::MAX_SIGMA)). Measured here at
    /// ~2·10^7 evaluations a second per core.
    ///
    /// ```
    /// use vanish::{model::activation::Activation, theory::phase::PhaseGrid};
    /// let tanh = Activation::scaled_tanh(1.0, 1.0).unwrap();
    /// let small = PhaseGrid::new(tanh, vec![1.5], vec![0.0]).unwrap().evaluations();
    /// let wide = PhaseGrid::new(tanh, vec![100.0], vec![0.0]).unwrap().evaluations();
    /// assert!(wide > 10.0 * small);
    /// ```
    pub fn evaluations(&self) -> f64 {
        let cells: f64 = self
            .sigma_b
            .iter()
            .flat_map(|&b| self.sigma_w.iter().map(move |&w| (w, b)))
            .map(|(w, b)| MeanField::new(self.activation, w, b).map_or(0.0, |m| m.evaluations()))
            .sum();
        let boundary: f64 = self
            .sigma_b
            .iter()
            .map(|&b| {
                MeanField::new(self.activation, super::meanfield::MAX_SIGMA, b)
                    .map_or(0.0, |m| 60.0 * m.chi1_evaluations())
            })
            .sum();
        cells + boundary
    }

    /// The diagram, computed in parallel on the current rayon pool (the numbers do not
    /// depend on it).
    pub fn compute(&self) -> PhaseDiagram {
        self.compute_observed(&|_| {})
    }

    /// The pieces of work [`PhaseGrid::compute_observed`] reports: one per cell and one per
    /// σ_b (its critical σ_w).
    ///
    /// ```
    /// use vanish::model::activation::Activation;
    /// use vanish::theory::phase::PhaseGrid;
    /// let tanh = Activation::scaled_tanh(1.0, 1.0).unwrap();
    /// let grid = PhaseGrid::new(tanh, vec![1.0, 1.5, 2.0], vec![0.0, 0.1]).unwrap();
    /// assert_eq!(grid.pieces(), 3 * 2 + 2);
    /// ```
    pub fn pieces(&self) -> u64 {
        ((self.sigma_w.len() + 1) * self.sigma_b.len()) as u64
    }

    /// [`PhaseGrid::compute`], telling `on_piece` 1 as each cell and each critical σ_w is
    /// done (for a progress bar; the numbers are those of [`PhaseGrid::compute`]).
    pub fn compute_observed(&self, on_piece: &(dyn Fn(u64) + Sync)) -> PhaseDiagram {
        let activation = self.activation;
        let cells: Vec<(f64, f64)> = self
            .sigma_b
            .iter()
            .flat_map(|&b| self.sigma_w.iter().map(move |&w| (w, b)))
            .collect();
        let (points, critical) = rayon::join(
            || {
                cells
                    .par_iter()
                    .map(|&(w, b)| {
                        let point = MeanField::new(activation, w, b)
                            .expect("checked")
                            .fixed_point();
                        on_piece(1);
                        point
                    })
                    .collect()
            },
            || {
                self.sigma_b
                    .par_iter()
                    .map(|&b| {
                        let critical = critical_sigma_w(activation, b);
                        on_piece(1);
                        critical
                    })
                    .collect()
            },
        );
        PhaseDiagram {
            activation,
            sigma_b: self.sigma_b.clone(),
            cells,
            points,
            critical,
        }
    }
}

impl PhaseDiagram {
    /// The critical σ_w at `b`, one of the grid's σ_b.
    pub fn critical_at(&self, b: f64) -> Option<f64> {
        let i = self
            .sigma_b
            .iter()
            .position(|&v| v == b)
            .expect("a grid value");
        self.critical[i]
    }
}
