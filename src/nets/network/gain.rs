//! The three log-gains of a draw: which one is the run's ln g (`--quantity`), and the
//! record of one draw.

use std::str::FromStr;

use crate::error::ConfigError;

/// Which log-gain of a draw is the run's ln g: `--quantity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Quantity {
    /// ln ∏ φ' along a random path, one unit per layer.
    Path,
    /// Σ over layers of the mean over units of ln φ'.
    Layer,
    /// ln(‖J·u‖²/‖u‖²).
    Jacobian,
}

impl Quantity {
    /// The flag value.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Path => "path",
            Quantity::Layer => "layer",
            Quantity::Jacobian => "jacobian",
        }
    }
}

impl FromStr for Quantity {
    type Err = ConfigError;

    /// The spellings of the flag (any case), for a `--config` file and journals.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        crate::error::parse_value_enum("--quantity", s)
    }
}

/// What one draw gives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draw {
    /// ln of the derivative product along the random path.
    pub ln_path: f64,
    /// Σ_l mean_i ln φ'(x^l_i).
    pub ln_layer: f64,
    /// ln(‖J·u‖²/‖u‖²).
    pub ln_jacobian: f64,
    /// ln φ' of the path's unit, layer by layer (the factors of `ln_path`).
    pub path_factors: Vec<f64>,
    /// mean_i (x^l_i)², layer by layer: the empirical q^l of mean-field theory.
    pub q: Vec<f64>,
    /// The pre-activations x^K of the last layer.
    pub last_x: Vec<f64>,
}

impl Draw {
    /// The log-gain `quantity` names.
    pub fn ln_gain(&self, quantity: Quantity) -> f64 {
        match quantity {
            Quantity::Path => self.ln_path,
            Quantity::Layer => self.ln_layer,
            Quantity::Jacobian => self.ln_jacobian,
        }
    }
}
