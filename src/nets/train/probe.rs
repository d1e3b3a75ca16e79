//! A run's fixed probe set and the input–output Jacobian gain it measures at every record.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use super::PROBE_CELL;
use super::dataset::Dataset;
use super::mlp::Mlp;
use super::record::Record;
use crate::mc::rng::block_rng;
use crate::model::activation::Activation;
use crate::nets::linalg::{Simd, dot};

/// A run's fixed probe set: P inputs (rows of the dataset) and P random input directions
/// u ~ N(0, I_d), drawn once from the run's own stream ([`PROBE_CELL`], block = run: the
/// rows first, then the directions), and used at every record. It measures the network
/// itself, at its current weights, not a minibatch's loss gradient.
///
/// The end-to-end gain is ln ‖J·u‖/‖u‖ for the Jacobian J = ∂h_K/∂x of the last hidden
/// layer with respect to the input, carried forward beside the input (J·u through
/// D_l·W_l, D_l = diag φ'(x^l)), exactly the object of `vanish sim --source network
/// --quantity jacobian` (which reports ln ‖J·u‖²/‖u‖², twice this): at step 0, runs are
/// random networks, and the two laws agree (tested). The backward signal is carried by
/// Jᵀ, which has the same singular values.
///
/// ```
/// use vanish::{model::activation::Activation, nets::train::*};
/// let spec = TrainSpec { depth: 3, width: 8, ..TrainSpec::default() };
/// let data = Dataset::new(&spec, 1);
/// let probe = Probe::draw(&data, spec.input_dim, 4, 1, 0);
/// let net = Mlp::init(&spec.sizes(), 1.0, 0.0, &mut || 0.5);
/// let m = probe.measure(&net, &Activation::scaled_tanh(1.0, 1.0).unwrap(), 3);
/// let sum: f64 = m.ln_layer_gains.iter().sum();
/// assert!((m.ln_gain - sum).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The dataset rows of the probe's inputs.
    pub rows: Vec<usize>,
    /// The inputs, P × d, row-major.
    pub x: Vec<f64>,
    /// The directions u, P × d, row-major.
    pub u: Vec<f64>,
}

/// What a [`Probe`] measures at one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeGain {
    /// Mean over the probe of ln ‖J·u‖/‖u‖.
    pub ln_gain: f64,
    /// Per hidden layer, the mean over the probe of ln ‖J_l·u‖/‖J_{l−1}·u‖.
    pub ln_layer_gains: Vec<f64>,
    /// Mean over the probe of Σ_l mean_units ln φ'(x).
    pub ln_derivative_product: f64,
}

impl ProbeGain {
    pub(super) fn fill(self, rec: &mut Record) {
        rec.probe_ln_gain = self.ln_gain;
        rec.probe_ln_layer_gains = self.ln_layer_gains;
        rec.probe_ln_derivative_product = self.ln_derivative_product;
    }
}

impl Probe {
    /// Draws the probe of run `run`: `size` dataset rows, then `size` directions.
    pub fn draw(data: &Dataset, d: usize, size: usize, seed: u64, run: usize) -> Self {
        let mut rng = block_rng(seed, PROBE_CELL, u32::try_from(run).expect("runs < 2^32"));
        let rows: Vec<usize> = (0..size)
            .map(|_| rng.random_range(0..data.examples))
            .collect();
        let x = rows
            .iter()
            .flat_map(|&e| data.x[e * d..(e + 1) * d].iter().copied())
            .collect();
        let u = (0..size * d)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        Probe { rows, x, u }
    }

    /// The gains of `net`'s first `depth` layers on this probe. J·u is renormalised at every
    /// layer and φ' is taken relative to the layer's largest (as in `--source network`), so
    /// deep or saturated layers give a finite log where the plain product would underflow.
    pub fn measure(&self, net: &Mlp, act: &Activation, depth: usize) -> ProbeGain {
        let p = self.rows.len();
        let d = net.sizes[0];
        let f = net.forward(act, &self.x, p);
        let isa = Simd::detect();
        let mut v = self.u.clone();
        for row in v.chunks_mut(d) {
            let inv = 1.0 / dot(row, row).sqrt();
            row.iter_mut().for_each(|a| *a *= inv);
        }
        let mut ln_layer_gains = Vec::with_capacity(depth);
        let mut ln_dp = 0.0;
        for l in 0..depth {
            let shape = net.layer(l, p);
            let m = shape.outputs;
            let mut t = vec![0.0; p * m];
            isa.affine(shape, &v, &net.w[l], &vec![0.0; m], &mut t);
            let mut layer_sum = 0.0;
            for r in 0..p {
                let z = &f.z[l][r * m..(r + 1) * m];
                let lnd: Vec<f64> = z.iter().map(|&x| act.ln_derivative(x)).collect();
                ln_dp += lnd.iter().sum::<f64>() / m as f64;
                let top = lnd.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let row = &mut t[r * m..(r + 1) * m];
                for (a, &ln) in row.iter_mut().zip(&lnd) {
                    *a *= (ln - top).exp();
                }
                let norm = dot(row, row).sqrt();
                layer_sum += if top == f64::NEG_INFINITY || norm == 0.0 {
                    f64::NEG_INFINITY
                } else {
                    top + norm.ln()
                };
                if norm > 0.0 && norm.is_finite() {
                    row.iter_mut().for_each(|a| *a /= norm);
                }
            }
            ln_layer_gains.push(layer_sum / p as f64);
            v = t;
        }
        ProbeGain {
            ln_gain: ln_layer_gains.iter().sum(),
            ln_layer_gains,
            ln_derivative_product: ln_dp / p as f64,
        }
    }
}
