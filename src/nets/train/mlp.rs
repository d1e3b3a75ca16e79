//! The MLP: its initialisation, the forward and backward pass of a batch, and the loss.

use crate::model::activation::Activation;
use crate::nets::linalg::{Layer, Simd, dot};

/// An MLP: weights (fan_out × fan_in, row-major) and biases per layer; the last layer is
/// linear.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// Layer sizes, input first.
    pub sizes: Vec<usize>,
    /// Weights per layer.
    pub w: Vec<Vec<f64>>,
    /// Biases per layer.
    pub b: Vec<Vec<f64>>,
}

/// What a forward pass keeps for the backward one.
#[derive(Debug, Clone)]
pub struct Forward {
    /// Pre-activations of each layer (batch × size).
    pub z: Vec<Vec<f64>>,
    /// Activations: the input, then φ(z) of each hidden layer (batch × size).
    pub h: Vec<Vec<f64>>,
    /// The output layer's values (batch × outputs).
    pub output: Vec<f64>,
}

/// Gradients of the loss with respect to the weights and biases, and the hidden layers.
#[derive(Debug, Clone)]
pub struct Gradients {
    /// ∂L/∂W per layer.
    pub w: Vec<Vec<f64>>,
    /// ∂L/∂b per layer.
    pub b: Vec<Vec<f64>>,
    /// ‖∂L/∂h_l‖ (Frobenius over the batch) for hidden layers l = 1…K.
    pub hidden_norms: Vec<f64>,
}

impl Mlp {
    /// Weights N(0, σ_w²/fan_in), hidden biases N(0, σ_b²) and output biases 0, drawn layer
    /// by layer (weights, then biases) from `normal`.
    pub fn init(
        sizes: &[usize],
        sigma_w: f64,
        sigma_b: f64,
        normal: &mut impl FnMut() -> f64,
    ) -> Self {
        Self::init_with_output(sizes, sigma_w, sigma_b, sigma_w, normal)
    }

    /// [`Mlp::init`] with σ_w = `output_sigma_w` for the last (linear) layer; its biases
    /// start at 0 (their normals are still drawn, so the stream does not depend on it).
    pub fn init_with_output(
        sizes: &[usize],
        sigma_w: f64,
        sigma_b: f64,
        output_sigma_w: f64,
        normal: &mut impl FnMut() -> f64,
    ) -> Self {
        let (mut w, mut b) = (Vec::new(), Vec::new());
        let last = sizes.len() - 2;
        for l in 0..sizes.len() - 1 {
            let (n, m) = (sizes[l], sizes[l + 1]);
            let s = if l == last { output_sigma_w } else { sigma_w };
            let scale = s / (n as f64).sqrt();
            w.push((0..n * m).map(|_| scale * normal()).collect());
            // The linear readout starts without bias (so that scaling the hidden layers,
            // as the rescaling identity does, leaves it alone).
            let sb = if l == last { 0.0 } else { sigma_b };
            b.push((0..m).map(|_| sb * normal()).collect());
        }
        Mlp {
            sizes: sizes.to_vec(),
            w,
            b,
        }
    }

    /// The shape of weight layer `l` applied to a batch of `rows`.
    pub(super) fn layer(&self, l: usize, rows: usize) -> Layer {
        Layer {
            rows,
            inputs: self.sizes[l],
            outputs: self.sizes[l + 1],
        }
    }

    /// The forward pass of a batch (`rows` × d, row-major): each layer through
    /// [`crate::nets::linalg::affine`] (register-tiled, on AVX2 where the CPU has it), whose
    /// every output has the bits of [`dot`] plus the bias.
    pub fn forward(&self, act: &Activation, x: &[f64], rows: usize) -> Forward {
        let layers = self.w.len();
        let isa = Simd::detect();
        let mut h = vec![x.to_vec()];
        let mut z = Vec::with_capacity(layers);
        for l in 0..layers {
            let shape = self.layer(l, rows);
            let mut zl = vec![0.0; rows * shape.outputs];
            isa.affine(shape, &h[l], &self.w[l], &self.b[l], &mut zl);
            if l + 1 < layers {
                h.push(zl.iter().map(|&v| act.value(v)).collect());
            }
            z.push(zl);
        }
        let output = z.last().expect("a layer").clone();
        Forward { z, h, output }
    }

    /// The gradients, given ∂L/∂output (`rows` × outputs): per layer
    /// [`crate::nets::linalg::affine_param_grads`] and [`crate::nets::linalg::affine_input_grad`]
    /// (register-tiled), which sum every element in the order of the plain per-row
    /// [`crate::nets::linalg::axpy`] loops, so with their bits.
    pub fn backward(&self, act: &Activation, f: &Forward, d_out: &[f64], rows: usize) -> Gradients {
        let layers = self.w.len();
        let isa = Simd::detect();
        let mut gw: Vec<Vec<f64>> = self.w.iter().map(|w| vec![0.0; w.len()]).collect();
        let mut gb: Vec<Vec<f64>> = self.b.iter().map(|b| vec![0.0; b.len()]).collect();
        let mut hidden_norms = vec![0.0; layers - 1];
        let mut g = d_out.to_vec(); // ∂L/∂z of layer l
        for l in (0..layers).rev() {
            let shape = self.layer(l, rows);
            isa.affine_param_grads(shape, &g, &f.h[l], &mut gw[l], &mut gb[l]);
            if l == 0 {
                break;
            }
            let mut dh = vec![0.0; rows * shape.inputs];
            isa.affine_input_grad(shape, &g, &self.w[l], &mut dh);
            hidden_norms[l - 1] = dot(&dh, &dh).sqrt();
            // ∂L/∂z_{l−1} = ∂L/∂h_{l−1} ⊙ φ'(z_{l−1}), from φ's value where that is cheaper.
            g = dh
                .iter()
                .zip(&f.z[l - 1])
                .zip(&f.h[l])
                .map(|((d, &z), &h)| d * derivative_from(act, z, h))
                .collect();
        }
        Gradients {
            w: gw,
            b: gb,
            hidden_norms,
        }
    }
}

/// The loss of a batch and ∂L/∂output: MSE for values, softmax cross-entropy over the
/// `output.len() / rows` outputs for labels.
pub fn loss(output: &[f64], targets: &Targets<'_>, rows: usize) -> (f64, Vec<f64>) {
    match targets {
        Targets::Values(y) => {
            // PyTorch's MSELoss: mean over every output value.
            let count = output.len() as f64;
            let loss = output
                .iter()
                .zip(*y)
                .map(|(o, t)| (o - t).powi(2))
                .sum::<f64>()
                / count;
            let grad = output
                .iter()
                .zip(*y)
                .map(|(o, t)| 2.0 * (o - t) / count)
                .collect();
            (loss, grad)
        }
        Targets::Labels(labels) => {
            let classes = output.len() / rows;
            // Softmax cross-entropy, mean over the batch, through a shifted log-sum-exp.
            let mut loss = 0.0;
            let mut grad = vec![0.0; output.len()];
            for r in 0..rows {
                let o = &output[r * classes..(r + 1) * classes];
                let top = o.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = o.iter().map(|v| (v - top).exp()).sum();
                let lse = top + sum.ln();
                loss += lse - o[labels[r]];
                for c in 0..classes {
                    let p = (o[c] - lse).exp();
                    grad[r * classes + c] = (p - f64::from(u8::from(c == labels[r]))) / rows as f64;
                }
            }
            (loss / rows as f64, grad)
        }
    }
}

/// The targets of a batch.
#[derive(Debug)]
pub enum Targets<'a> {
    /// Regression values.
    Values(&'a [f64]),
    /// Class labels.
    Labels(&'a [usize]),
}

/// φ'(z) given h = φ(z): a·n·(1 − tanh²) = n·(a − h²/a) and σ(1 − σ) need no further
/// transcendental (as in PyTorch's backward); others through [`Activation::derivative`].
fn derivative_from(act: &Activation, z: f64, h: f64) -> f64 {
    match *act {
        Activation::ScaledTanh { a, n } => n * (a - h * h / a),
        Activation::Sigmoid => h * (1.0 - h),
        _ => act.derivative(z),
    }
}
