//! The flags of `--source network`, shared by the subcommands that draw random networks.

use clap::Args;

use crate::error::ConfigError;
use crate::model::distribution::PreActivation;
use crate::model::source::Source;
use crate::nets::network::{Init, Network, Quantity};

use super::common::SourceKind;

/// Where the x come from, and the network's settings.
#[derive(Debug, Args)]
#[command(next_help_heading = "Source of the x")]
pub struct SourceArgs {
    /// iid: x_1…x_K drawn independently from --dist; network: the K layers' pre-activations
    /// of a fresh random MLP per sample, its d inputs drawn from --dist.
    #[arg(long, value_enum, default_value_t = SourceKind::Iid, ignore_case = true)]
    source: SourceKind,
    /// Network: the width of every layer, or K comma-separated widths.
    #[arg(long, value_name = "W")]
    width: Option<String>,
    /// Network: the input dimension d [default: the first width].
    #[arg(long, value_name = "D", value_parser = super::parse_size)]
    input_dim: Option<usize>,
    /// Network: weights N(0, σ_w²/fan_in) (or scaled orthogonal) [default: 1].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    sigma_w: Option<f64>,
    /// Network: biases N(0, σ_b²) [default: 0].
    #[arg(long, value_parser = super::parse_finite, allow_negative_numbers = true)]
    sigma_b: Option<f64>,
    /// Network: gaussian or orthogonal weights [default: gaussian].
    #[arg(long, value_enum, ignore_case = true)]
    init: Option<Init>,
    /// Network: the log-gain reported as ln g: path (ln ∏ f' along a random path of units,
    /// the question's g), layer (Σ_l mean_units ln f'), jacobian (ln ‖J·u‖²/‖u‖², weights
    /// included) [default: path].
    #[arg(long, value_enum, ignore_case = true)]
    quantity: Option<Quantity>,
}

impl SourceArgs {
    /// Whether this is a network source (before validation; for defaults).
    pub fn is_network(&self) -> bool {
        self.source == SourceKind::Network
    }

    /// The validated source, for depth K and the distribution given with --dist.
    pub fn to_source(&self, dist: PreActivation, depth: u32) -> Result<Source, ConfigError> {
        match self.source {
            SourceKind::Iid => {
                let given = [
                    ("--width", self.width.is_some()),
                    ("--input-dim", self.input_dim.is_some()),
                    ("--sigma-w", self.sigma_w.is_some()),
                    ("--sigma-b", self.sigma_b.is_some()),
                    ("--init", self.init.is_some()),
                    ("--quantity", self.quantity.is_some()),
                ];
                if let Some((flag, _)) = given.iter().find(|g| g.1) {
                    return Err(ConfigError::new(
                        *flag,
                        "sets up a random network and goes with --source network only",
                    ));
                }
                Ok(Source::Iid { dist })
            }
            SourceKind::Network => {
                let text = self.width.as_deref().ok_or_else(|| {
                    ConfigError::new(
                        "--width",
                        "--source network needs a width, e.g. --width 256",
                    )
                })?;
                let widths = text
                    .split(',')
                    .map(|w| {
                        w.trim().parse::<usize>().map_err(|_| {
                            ConfigError::new(
                                "--width",
                                format!("needs positive integers, got '{}'", w.trim()),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let input_dim = self.input_dim.unwrap_or(widths[0]);
                let init = self.init.unwrap_or(Init::Gaussian);
                let quantity = self.quantity.unwrap_or(Quantity::Path);
                let network = Network::new(
                    dist,
                    input_dim,
                    &widths,
                    depth,
                    self.sigma_w.unwrap_or(1.0),
                    self.sigma_b.unwrap_or(0.0),
                    init,
                )?;
                Ok(Source::Network { network, quantity })
            }
        }
    }
}
