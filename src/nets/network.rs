//! Random deep networks at initialisation: pre-activations that are not iid.
//!
//! A draw is one network and one input, both fresh. With y⁰ the input (d values from a
//! distribution of the `--dist` grammar), layer l = 1…K computes the pre-activations
//! x^l = W^l·y^{l−1} + b^l and y^l = φ(x^l), with biases N(0, σ_b²) and weights either
//! N(0, σ_w²/fan_in) or σ_w·√(N/fan_in) times the first rows or columns of a Haar-random
//! N×N orthogonal matrix, N = max(fan_in, fan_out) (the same entry variance, σ_w²/fan_in).
//! A draw yields three logs of a "gain" ([`Quantity`]):
//!
//! - `path`: Σ_l ln φ'(x^l_{i_l}) for one unit i_l drawn uniformly per layer: the seed's
//!   g = ∏ f'(x_i), now with the x of a real network;
//! - `layer`: Σ_l mean_i ln φ'(x^l_i), the log of the geometric-mean product;
//! - `jacobian`: ln(‖J·u‖²/‖u‖²) for the input–output Jacobian J = ∂y^K/∂y⁰ =
//!   D_K·W^K·…·D_1·W^1 (D_l = diag φ'(x^l)) and u a random direction: the true backward
//!   gain, weights included (J·u is carried forward beside x, renormalised every layer).
//!
//! Weights are never stored: each row (or Householder vector) is drawn, used for x and
//! J·u, and overwritten, so memory is O(width) and the time is that of drawing the normals
//! (Σ fan_in·fan_out for Gaussian weights, about half that for orthogonal ones) with the
//! fast kernel's sampler ([`NormalStream`]). Buffers are reused per thread.
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

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;

use rand::RngExt;
use rand_distr::Distribution;

use crate::error::ConfigError;
use crate::mc::fast::Isa;
use crate::mc::fast::normals::NormalStream;
use crate::mc::kernel::Kernel;
use crate::mc::rng::BlockRng;
use crate::mc::summary::FactorSums;
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;
use crate::nets::linalg::{dot, dot2};
use crate::theory::meanfield::MeanField;

/// Largest accepted width (and input dimension).
pub const MAX_WIDTH: usize = 1 << 16;

/// How the weights are drawn: `--init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    /// N(0, σ_w²/fan_in) entries.
    Gaussian,
    /// Scaled Haar-orthogonal (semi-orthogonal when the layer is not square).
    Orthogonal,
}

impl FromStr for Init {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gaussian" => Ok(Init::Gaussian),
            "orthogonal" => Ok(Init::Orthogonal),
            other => Err(ConfigError::new(
                "--init",
                format!("must be gaussian or orthogonal, got '{other}'"),
            )),
        }
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

/// Which log-gain of a draw is the run's ln g: `--quantity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "path" => Ok(Quantity::Path),
            "layer" => Ok(Quantity::Layer),
            "jacobian" => Ok(Quantity::Jacobian),
            other => Err(ConfigError::new(
                "--quantity",
                format!("must be path, layer or jacobian, got '{other}'"),
            )),
        }
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

    /// One draw from `rng` (see the module documentation for the order of the draws).
    pub fn draw(&self, activation: &Activation, rng: &mut BlockRng, isa: Isa) -> Draw {
        self.with_draw(activation, rng, isa, Draw::clone)
    }

    /// Makes one draw in this thread's buffers and returns `f` of it: no allocation once
    /// the buffers have grown.
    pub fn with_draw<T>(
        &self,
        activation: &Activation,
        rng: &mut BlockRng,
        isa: Isa,
        f: impl FnOnce(&Draw) -> T,
    ) -> T {
        WORKSPACE.with(|w| {
            let ws = &mut *w.borrow_mut();
            let mut out = std::mem::take(&mut ws.draw);
            self.draw_into(activation, rng, isa, ws, &mut out);
            let result = f(&out);
            ws.draw = out;
            result
        })
    }

    fn draw_into(
        &self,
        activation: &Activation,
        rng: &mut BlockRng,
        isa: Isa,
        ws: &mut Workspace,
        out: &mut Draw,
    ) {
        let mut normals = match ws.normals.take() {
            Some(mut n) => {
                n.reseed(rng, isa);
                n
            }
            None => NormalStream::new(rng, isa),
        };
        let widest = self
            .widths
            .iter()
            .copied()
            .chain([self.input_dim])
            .max()
            .expect("K ≥ 1");
        for buf in [&mut ws.y, &mut ws.v, &mut ws.x, &mut ws.t, &mut ws.row] {
            buf.clear();
            buf.resize(widest, 0.0);
        }
        let d = self.input_dim;
        for y in &mut ws.y[..d] {
            *y = self.input.sample(rng);
        }
        normals.fill(&mut ws.v[..d]);
        let norm2 = dot(&ws.v[..d], &ws.v[..d]);
        let inv = 1.0 / norm2.sqrt();
        for v in &mut ws.v[..d] {
            *v *= inv;
        }
        out.path_factors.clear();
        out.q.clear();
        out.ln_layer = 0.0;
        out.ln_jacobian = 0.0;
        for (l, &m) in self.widths.iter().enumerate() {
            let n = self.fan_in(l);
            let path_unit = rng.random_range(0..m);
            match self.init {
                Init::Gaussian => gaussian_layer(self.sigma_w, n, m, ws, &mut normals),
                Init::Orthogonal => orthogonal_layer(self.sigma_w, n, m, ws, &mut normals),
            }
            let (mut sum_sq, mut sum_ln, mut top) = (0.0, 0.0, f64::NEG_INFINITY);
            for i in 0..m {
                let x = ws.x[i] + self.sigma_b * normals.sample();
                let ln_d = activation.ln_derivative(x);
                sum_sq += x * x;
                sum_ln += ln_d;
                top = top.max(ln_d);
                ws.x[i] = x;
                ws.y[i] = activation.value(x);
                ws.row[i] = ln_d;
                if i == path_unit {
                    out.path_factors.push(ln_d);
                }
            }
            out.q.push(sum_sq / m as f64);
            out.ln_layer += sum_ln / m as f64;
            // J·u through D = diag f'(x): f' is taken relative to the layer's largest, so
            // that factors below e^−745 (far-out tanh or sigmoid units) do not underflow
            // a whole layer to 0 while ln g is finite.
            let mut norm2 = 0.0;
            for i in 0..m {
                let v = (ws.row[i] - top).exp() * ws.t[i];
                norm2 += v * v;
                ws.v[i] = v;
            }
            out.ln_jacobian += if top == f64::NEG_INFINITY {
                f64::NEG_INFINITY
            } else {
                2.0 * top + norm2.ln()
            };
            if norm2 > 0.0 && norm2.is_finite() {
                let inv = 1.0 / norm2.sqrt();
                for v in &mut ws.v[..m] {
                    *v *= inv;
                }
            }
        }
        out.ln_path = out.path_factors.iter().sum();
        let last = *self.widths.last().expect("K ≥ 1");
        out.last_x.clear();
        out.last_x.extend_from_slice(&ws.x[..last]);
        ws.normals = Some(normals);
    }
}

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
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
    /// One row of weights, or one Householder vector.
    row: Vec<f64>,
    /// The record of the draw.
    draw: Draw,
}

/// The kernel of `--source network`: one draw per block, ln g the chosen quantity, and the
/// factor tallies over the K factors of each draw's random path.
#[derive(Debug, Clone)]
pub struct NetworkKernel {
    network: Network,
    activation: Activation,
    quantity: Quantity,
    isa: Isa,
}

impl NetworkKernel {
    /// The kernel for `network` with `activation`, reporting `quantity`.
    pub fn new(network: Network, activation: Activation, quantity: Quantity, isa: Isa) -> Self {
        NetworkKernel {
            network,
            activation,
            quantity,
            isa,
        }
    }
}

impl Kernel for NetworkKernel {
    fn name(&self) -> &'static str {
        match self.isa.name() {
            "avx2" => "network-f64-avx2",
            _ => "network-f64-portable",
        }
    }

    fn fill_block(&self, rng: &mut BlockRng, ln_g: &mut [f64], factors: &mut FactorSums) {
        let limit = -self.activation.ln_max_derivative();
        let mut f = FactorSums {
            shift: f64::NAN,
            ..FactorSums::default()
        };
        for out in ln_g.iter_mut() {
            *out = self
                .network
                .with_draw(&self.activation, rng, self.isa, |d| {
                    for &l in &d.path_factors {
                        f.above_one += u64::from(l > 0.0);
                        f.below_inverse_max += u64::from(l < limit);
                        if l == f64::NEG_INFINITY {
                            f.zero += 1;
                            continue;
                        }
                        f.count += 1;
                        if f.shift.is_nan() {
                            f.shift = l;
                        }
                        f.sum += l - f.shift;
                        f.sum_sq += (l - f.shift).powi(2);
                    }
                    d.ln_gain(self.quantity)
                });
        }
        if f.shift.is_nan() {
            f.shift = 0.0;
        }
        *factors = f;
    }
}

/// x = (σ_w/√n)·W·y and t = (σ_w/√n)·W·v for W with N(0, 1) entries, drawn row by row.
fn gaussian_layer(
    sigma_w: f64,
    n: usize,
    m: usize,
    ws: &mut Workspace,
    normals: &mut NormalStream,
) {
    let scale = sigma_w / (n as f64).sqrt();
    let (y, v) = (&ws.y[..n], &ws.v[..n]);
    for i in 0..m {
        let row = &mut ws.row[..n];
        normals.fill(row);
        let (a, b) = dot2(row, y, v);
        ws.x[i] = scale * a;
        ws.t[i] = scale * b;
    }
}

/// x and t through σ_w·√(N/n) times the first m rows (m ≤ n) or the first n columns (m > n)
/// of a Haar-random N×N orthogonal matrix, N = max(n, m), applied to y and v.
///
/// Q = H_1·…·H_N·D is Haar (Stewart 1980; Mezzadri 2007): H_k reflects coordinates k…N with
/// the Householder vector of a fresh normal vector z_k of length N−k+1, and
/// D_k = −sign(z_k1) (the sign that makes the triangular factor of the underlying Gaussian
/// matrix positive). So is Qᵀ = D·H_N·…·H_1.
/// - m ≤ n: the first m rows of Qᵀ. Coordinate k is final after H_k and D_k, so only
///   H_1…H_m are drawn: m·N − m(m−1)/2 normals.
/// - m > n: the first n columns of Q, i.e. Q applied to y padded with zeros. H_N…H_{n+1}
///   act on the zero padding only, so H_n…H_1 are drawn and applied in that order (D_k
///   acts on coordinate k, untouched by the later reflectors, before H_k): n·N − n(n−1)/2
///   normals.
fn orthogonal_layer(
    sigma_w: f64,
    n: usize,
    m: usize,
    ws: &mut Workspace,
    normals: &mut NormalStream,
) {
    let big = n.max(m);
    let scale = sigma_w * (big as f64 / n as f64).sqrt();
    for buf in [&mut ws.y, &mut ws.v] {
        if buf.len() < big {
            buf.resize(big, 0.0);
        }
        buf[n..big].fill(0.0);
    }
    if ws.row.len() < big {
        ws.row.resize(big, 0.0);
    }
    // One reflector H_k (0-based k: coordinates k…N−1), with its sign D_k applied to
    // coordinate k after (for Qᵀ) or before (for Q) the reflection.
    let mut reflect = |k: usize, before: bool| {
        let z = &mut ws.row[..big - k];
        normals.fill(z);
        let norm = dot(z, z).sqrt();
        let sign = if z[0] >= 0.0 { 1.0 } else { -1.0 };
        z[0] += sign * norm;
        let ww = dot(z, z);
        for vec in [&mut ws.y, &mut ws.v] {
            let tail = &mut vec[k..big];
            if before {
                tail[0] *= -sign;
            }
            if ww > 0.0 {
                let s = 2.0 * dot(z, tail) / ww;
                for (t, &w) in tail.iter_mut().zip(z.iter()) {
                    *t -= s * w;
                }
            }
            if !before {
                tail[0] *= -sign;
            }
        }
    };
    if m <= n {
        for k in 0..m {
            reflect(k, false);
        }
    } else {
        for k in (0..n).rev() {
            reflect(k, true);
        }
    }
    for i in 0..m {
        ws.x[i] = scale * ws.y[i];
        ws.t[i] = scale * ws.v[i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_layer_preserves_norms() {
        // Square: ‖Qᵀy‖ = ‖y‖; m < n: rows orthonormal, so ‖x‖ ≤ scale·‖y‖.
        let mut ws = Workspace::default();
        let mut normals = NormalStream::new(&mut crate::mc::rng::block_rng(3, 0, 0), Isa::detect());
        for (n, m) in [(37, 37), (40, 25), (25, 40)] {
            let big = n.max(m);
            for buf in [&mut ws.y, &mut ws.v, &mut ws.x, &mut ws.t, &mut ws.row] {
                buf.clear();
                buf.resize(big, 0.0);
            }
            for i in 0..n {
                ws.y[i] = (i as f64 * 0.37).sin();
                ws.v[i] = if i == 0 { 1.0 } else { 0.0 };
            }
            let ny = dot(&ws.y[..n], &ws.y[..n]);
            orthogonal_layer(1.0, n, m, &mut ws, &mut normals);
            let scale2 = big as f64 / n as f64;
            let nx = dot(&ws.x[..m], &ws.x[..m]) / scale2;
            let nt = dot(&ws.t[..m], &ws.t[..m]) / scale2;
            if m >= n {
                assert!((nx - ny).abs() < 1e-12 * ny, "{n}x{m}: {nx} vs {ny}");
                assert!((nt - 1.0).abs() < 1e-12);
            } else {
                assert!(nx < ny && nt < 1.0);
            }
        }
    }
}
