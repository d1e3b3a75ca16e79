//! Random deep networks at initialisation: pre-activations that are not iid.
//!
//! A draw is one network and one input, both fresh. With y⁰ the input (d values from a
//! distribution of the `--dist` grammar), layer l = 1…K computes the pre-activations
//! x^l = W^l·y^{l−1} + b^l and y^l = φ(x^l), with biases N(0, σ_b²) and weights either
//! N(0, σ_w²/fan_in) or σ_w·√(N/fan_in) times the first rows or columns of a Haar-random
//! N×N orthogonal matrix, N = max(fan_in, fan_out) (the same entry variance, σ_w²/fan_in).
//! A draw yields three logs of a "gain" ([`Quantity`]):
//!
//! - `path`: Σ_l ln φ'(x^l_{i_l}) for one unit i_l drawn uniformly per layer: the thresholds answer's
//!   g = ∏ f'(x_i), now with the x of a real network;
//! - `layer`: Σ_l mean_i ln φ'(x^l_i), the log of the geometric-mean product;
//! - `jacobian`: ln(‖J·u‖²/‖u‖²) for the input–output Jacobian J = ∂y^K/∂y⁰ =
//!   D_K·W^K·…·D_1·W^1 (D_l = diag φ'(x^l)) and u a random direction: the true backward
//!   gain, weights included (J·u is carried forward beside x, renormalised every layer).
//!
//! Weights are never stored: each tile of rows (or Householder vector) is drawn, used for x
//! and J·u, and overwritten, so memory is O(width) and the time is mostly that of drawing
//! the normals (Σ fan_in·fan_out for Gaussian weights, about half that for orthogonal ones)
//! with the fast kernel's sampler ([`NormalStream`]); the sums are fused (`fused.rs`) and
//! compiled for AVX2 where the CPU has it, in one fixed order, so the bits are those of
//! every instruction set. Buffers are reused per thread.
//!
//! Random streams: each draw is its own block ([`crate::mc::rng::block_rng`] with the draw's
//! index), which seeds the normal stream (weights, biases, u) and then draws the input and
//! the path units. So the three quantities of one seed come from the same networks, and a
//! change of σ_w, σ_b, n or activation keeps the same underlying normals (common random
//! numbers): a tanh(n·x) network with (σ_w, σ_b) has exactly 1/n times the pre-activations
//! of a tanh(x) network with (n·σ_w, n·σ_b) (bit for bit when n is a power of two).
//!
//! ```
//! use vanish::{model::activation::Activation, mc::fast::Isa, nets::network::*};
//! let net = Network::new("normal(0,1)".parse().unwrap(), 16, &[32], 3, 1.0, 0.0,
//!                        Init::Gaussian).unwrap();
//! let f = Activation::scaled_tanh(1.0, 1.0).unwrap();
//! let d = net.draw(&f, &mut vanish::mc::rng::block_rng(1, 0, 0), Isa::detect());
//! assert_eq!(d.q.len(), 3);
//! assert!(d.ln_path.is_finite() && d.ln_layer.is_finite() && d.ln_jacobian.is_finite());
//! assert!(d.ln_path <= 0.0);                       // tanh' ≤ 1
//! ```

mod draw;
mod fused;
mod gain;
mod kernel;
mod prediction;
mod weights;

pub use gain::{Draw, Quantity};
pub use kernel::NetworkKernel;
pub use prediction::Prediction;

pub(crate) use fused::{AVX2_ROWS, PORTABLE_ROWS, reflect, rows_dot2};

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;
use crate::mc::fast::normals::NormalStream;
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;
use crate::theory::meanfield::MeanField;

/// Largest accepted width (and input dimension).
pub const MAX_WIDTH: usize = 1 << 16;

/// How the weights are drawn: `--init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Init {
    /// N(0, σ_w²/fan_in) entries.
    Gaussian,
    /// Scaled Haar-orthogonal (semi-orthogonal when the layer is not square).
    Orthogonal,
}

impl FromStr for Init {
    type Err = ConfigError;

    /// The spellings of the flag (any case), for a `--config` file and journals.
    fn from_str(s: &str) -> Result<Self, ConfigError> {
        crate::error::parse_value_enum("--init", s)
    }
}

impl fmt::Display for Init {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Init::Gaussian => "gaussian",
            Init::Orthogonal => "orthogonal",
        })
    }
}

/// A random MLP at initialisation, validated.
#[derive(Debug, Clone)]
pub struct Network {
    /// The distribution of each of the d input values.
    pub input: PreActivation,
    /// d, the input dimension.
    pub input_dim: usize,
    /// The widths of layers 1…K.
    pub widths: Vec<usize>,
    /// Weight scale σ_w.
    pub sigma_w: f64,
    /// Bias scale σ_b.
    pub sigma_b: f64,
    /// How weights are drawn.
    pub init: Init,
}

impl Network {
    /// Validates a network: `widths` holds one width (used for all K = `depth` layers) or
    /// K of them.
    pub fn new(
        input: PreActivation,
        input_dim: usize,
        widths: &[usize],
        depth: u32,
        sigma_w: f64,
        sigma_b: f64,
        init: Init,
    ) -> Result<Self, ConfigError> {
        let max = crate::model::MAX_DEPTH;
        if depth == 0 || depth > max {
            return Err(ConfigError::new(
                "--depth",
                format!("must be an integer from 1 to {max}, got {depth}"),
            ));
        }
        let widths = match widths.len() {
            1 => vec![widths[0]; depth as usize],
            k if k == depth as usize => widths.to_vec(),
            k => {
                return Err(ConfigError::new(
                    "--width",
                    format!("give one width or K = {depth} of them (one per layer), got {k}"),
                ));
            }
        };
        for (flag, w) in widths
            .iter()
            .map(|&w| ("--width", w))
            .chain([("--input-dim", input_dim)])
        {
            if !(1..=MAX_WIDTH).contains(&w) {
                return Err(ConfigError::new(
                    flag,
                    format!("must be an integer from 1 to {MAX_WIDTH}, got {w}"),
                ));
            }
        }
        // The mean-field checks of σ_w and σ_b apply as they are.
        MeanField::new(Activation::Relu, sigma_w, sigma_b)?;
        Ok(Network {
            input,
            input_dim,
            widths,
            sigma_w,
            sigma_b,
            init,
        })
    }

    /// K, the number of layers.
    pub fn depth(&self) -> u32 {
        self.widths.len() as u32
    }

    /// The fan-in of layer `l` (0-based).
    fn fan_in(&self, l: usize) -> usize {
        if l == 0 {
            self.input_dim
        } else {
            self.widths[l - 1]
        }
    }

    /// Normals drawn per draw (weights, or Householder vectors, plus biases and u).
    pub fn normals_per_draw(&self) -> u64 {
        let mut total = self.input_dim as u64;
        for (l, &m) in self.widths.iter().enumerate() {
            let n = self.fan_in(l) as u64;
            let m = m as u64;
            total += m + match self.init {
                Init::Gaussian => n * m,
                Init::Orthogonal => {
                    let (small, big) = (n.min(m), n.max(m));
                    small * big - small * (small - 1) / 2
                }
            };
        }
        total
    }
}

/// The buffers of a draw, kept per thread: no allocation per draw once they have grown.
#[derive(Debug, Default)]
struct Workspace {
    normals: Option<NormalStream>,
    /// The layer's input y^{l−1} (then its output y^l).
    y: Vec<f64>,
    /// The unit tangent J·u/‖J·u‖ so far.
    v: Vec<f64>,
    /// W·y for the layer being computed (biases added later).
    x: Vec<f64>,
    /// W·v for the layer being computed.
    t: Vec<f64>,
    /// One Householder vector, or the layer's ln φ'(x).
    row: Vec<f64>,
    /// A tile of rows of Gaussian weights (`fused::TILE_ROWS` rows).
    rows: Vec<f64>,
    /// The layer's biases.
    bias: Vec<f64>,
    /// The record of the draw.
    draw: Draw,
}
