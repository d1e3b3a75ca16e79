//! The mean-field prediction for a network: the length map q^l, χ and the mean log-gains.

use super::Network;
use crate::model::activation::Activation;
use crate::theory::meanfield::MeanField;

/// The mean-field prediction for a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// q^1…q^K from the length map.
    pub q: Vec<f64>,
    /// χ(q^l) = σ_w²·E[φ'(√q^l·z)²], layer by layer.
    pub chi: Vec<f64>,
    /// ln E‖J·u‖²/‖u‖² = ln(W_K/d) + Σ_l ln χ(q^l).
    pub ln_mean_gain: f64,
    /// Σ_l E[ln φ'(√q^l·z)]: the mean of ln g for `path` and `layer` (−∞ for ReLU).
    pub mean_ln_path: f64,
}

impl Network {
    /// The mean-field prediction for `activation`, or `None` when the input has no finite
    /// second moment.
    pub fn prediction(&self, activation: &Activation) -> Option<Prediction> {
        let m2 = self.input.variance()? + self.input.mean()?.powi(2);
        let mf = MeanField {
            activation: *activation,
            sigma_w: self.sigma_w,
            sigma_b: self.sigma_b,
        };
        let q = mf.lengths(m2, self.depth());
        let chi: Vec<f64> = q.iter().map(|&q| mf.chi(q)).collect();
        let ratio = *self.widths.last().expect("K ≥ 1") as f64 / self.input_dim as f64;
        let ln_mean_gain = ratio.ln() + chi.iter().map(|c| c.ln()).sum::<f64>();
        let mean_ln_path = q.iter().map(|&q| mf.mean_ln_derivative(q)).sum::<f64>();
        Some(Prediction {
            q,
            chi,
            ln_mean_gain,
            mean_ln_path,
        })
    }
}
