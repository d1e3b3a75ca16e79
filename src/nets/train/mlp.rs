//! The MLP: its initialisation, the forward and backward pass of a batch, and the loss, in
//! f64 (the default) or f32 ([`Element`]).

use crate::model::activation::Activation;
use crate::nets::linalg::{Element, Layer, Simd};

/// An MLP: weights (fan_out × fan_in, row-major) and biases per layer; the last layer is
/// linear.
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp<T: Element = f64> {
    /// Layer sizes, input first.
    pub sizes: Vec<usize>,
    /// Weights per layer.
    pub w: Vec<Vec<T>>,
    /// Biases per layer.
    pub b: Vec<Vec<T>>,
}

/// What a forward pass keeps for the backward one. [`Mlp::forward_into`] reuses its
/// buffers from step to step.
#[derive(Debug, Clone, Default)]
pub struct Forward<T: Element = f64> {
    /// Pre-activations of each layer (batch × size).
    pub z: Vec<Vec<T>>,
    /// Activations: the input, then φ(z) of each hidden layer (batch × size).
    pub h: Vec<Vec<T>>,
    /// φ'(z) of each hidden layer (batch × size), for the backward pass.
    pub derivative: Vec<Vec<T>>,
    /// The output layer's values (batch × outputs).
    pub output: Vec<T>,
}

/// Gradients of the loss with respect to the weights and biases, and the hidden layers.
/// [`Mlp::backward_into`] reuses its buffers from step to step.
#[derive(Debug, Clone, Default)]
pub struct Gradients<T: Element = f64> {
    /// ∂L/∂W per layer.
    pub w: Vec<Vec<T>>,
    /// ∂L/∂b per layer.
    pub b: Vec<Vec<T>>,
    /// ‖∂L/∂h_l‖ (Frobenius over the batch, summed in f64) for hidden layers l = 1…K.
    pub hidden_norms: Vec<f64>,
    /// ∂L/∂z and ∂L/∂h of the layer being differentiated.
    scratch: [Vec<T>; 2],
}

impl<T: Element> Mlp<T> {
    /// Weights N(0, σ_w²/fan_in), hidden biases N(0, σ_b²) and output biases 0, drawn layer
    /// by layer (weights, then biases) from `normal`, in f64 and rounded to `T`.
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
            w.push((0..n * m).map(|_| T::from_f64(scale * normal())).collect());
            // The linear readout starts without bias (so that scaling the hidden layers,
            // as the rescaling identity does, leaves it alone).
            let sb = if l == last { 0.0 } else { sigma_b };
            b.push((0..m).map(|_| T::from_f64(sb * normal())).collect());
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
    /// [`crate::nets::linalg::affine`] (on the best instruction set the CPU has, the same
    /// bits on every one), then φ and φ' of each hidden layer.
    pub fn forward(&self, act: &Activation, x: &[T], rows: usize) -> Forward<T> {
        let mut f = Forward::default();
        self.forward_into(act, x, rows, &mut f);
        f
    }

    /// [`Mlp::forward`] into `f`, reusing its buffers (no allocation once they have the
    /// sizes of this network and batch).
    pub fn forward_into(&self, act: &Activation, x: &[T], rows: usize, f: &mut Forward<T>) {
        let layers = self.w.len();
        let isa = Simd::detect();
        let hidden = layers - 1;
        f.z.resize_with(layers, Vec::new);
        f.h.resize_with(layers, Vec::new);
        f.derivative.resize_with(hidden, Vec::new);
        refill(&mut f.h[0], x);
        for l in 0..layers {
            let shape = self.layer(l, rows);
            let zl = &mut f.z[l];
            zl.resize(rows * shape.outputs, T::ZERO);
            isa.affine(shape, &f.h[l], &self.w[l], &self.b[l], zl);
            if l < hidden {
                let (h, d) = (&mut f.h[l + 1], &mut f.derivative[l]);
                activate(act, &f.z[l], h, d);
            }
        }
        refill(&mut f.output, &f.z[layers - 1]);
    }

    /// The gradients, given ∂L/∂output (`rows` × outputs): per layer
    /// [`crate::nets::linalg::affine_param_grads`] and
    /// [`crate::nets::linalg::affine_input_grad`].
    pub fn backward(
        &self,
        act: &Activation,
        f: &Forward<T>,
        d_out: &[T],
        rows: usize,
    ) -> Gradients<T> {
        let mut g = Gradients::default();
        self.backward_into(act, f, d_out, rows, &mut g);
        g
    }

    /// [`Mlp::backward`] into `grads`, reusing its buffers. (`act` is not needed: φ'(z)
    /// comes from the forward pass; it stays for the signature of [`Mlp::backward`].)
    pub fn backward_into(
        &self,
        _act: &Activation,
        f: &Forward<T>,
        d_out: &[T],
        rows: usize,
        grads: &mut Gradients<T>,
    ) {
        let layers = self.w.len();
        let isa = Simd::detect();
        grads.w.resize_with(layers, Vec::new);
        grads.b.resize_with(layers, Vec::new);
        for l in 0..layers {
            grads.w[l].resize(self.w[l].len(), T::ZERO);
            grads.b[l].resize(self.b[l].len(), T::ZERO);
        }
        grads.hidden_norms.clear();
        grads.hidden_norms.resize(layers - 1, 0.0);
        let [g, dh] = &mut grads.scratch;
        refill(g, d_out); // ∂L/∂z of layer l
        for l in (0..layers).rev() {
            let shape = self.layer(l, rows);
            isa.affine_param_grads(shape, g, &f.h[l], &mut grads.w[l], &mut grads.b[l]);
            if l == 0 {
                break;
            }
            dh.resize(rows * shape.inputs, T::ZERO);
            isa.affine_input_grad(shape, g, &self.w[l], dh);
            grads.hidden_norms[l - 1] = T::norm(dh);
            // ∂L/∂z_{l−1} = ∂L/∂h_{l−1} ⊙ φ'(z_{l−1}).
            g.clear();
            g.extend(dh.iter().zip(&f.derivative[l - 1]).map(|(&d, &p)| d * p));
        }
    }
}

/// h = φ(z) and φ'(z) of a layer in one pass; a·tanh(n·z) through
/// [`Simd::scaled_tanh_layer`] (vectorised, the same bits everywhere), others through
/// [`Activation::value`].
fn activate<T: Element>(act: &Activation, z: &[T], h: &mut Vec<T>, d: &mut Vec<T>) {
    h.clear();
    d.clear();
    if let Activation::ScaledTanh { a, n } = *act {
        h.resize(z.len(), T::ZERO);
        d.resize(z.len(), T::ZERO);
        Simd::detect().scaled_tanh_layer(a, n, z, h, d);
    } else {
        for &z in z {
            let v = T::from_f64(act.value(z.to_f64()));
            h.push(v);
            d.push(derivative_from(act, z, v));
        }
    }
}

/// Overwrites `v` with `x` (keeping its allocation).
fn refill<T: Copy>(v: &mut Vec<T>, x: &[T]) {
    v.clear();
    v.extend_from_slice(x);
}

/// The loss of a batch and ∂L/∂output: MSE for values, softmax cross-entropy over the
/// `output.len() / rows` outputs for labels, computed in `T`.
pub fn loss<T: Element>(output: &[T], targets: &Targets<'_, T>, rows: usize) -> (f64, Vec<T>) {
    let mut grad = Vec::new();
    let l = loss_into(output, targets, rows, &mut grad);
    (l, grad)
}

/// [`loss`] with ∂L/∂output written into `grad` (reusing its allocation).
pub fn loss_into<T: Element>(
    output: &[T],
    targets: &Targets<'_, T>,
    rows: usize,
    grad: &mut Vec<T>,
) -> f64 {
    grad.clear();
    match targets {
        Targets::Values(y) => {
            // PyTorch's MSELoss: mean over every output value.
            let count = T::from_f64(output.len() as f64);
            let two = T::from_f64(2.0);
            let mut sum = T::ZERO;
            for (&o, &t) in output.iter().zip(*y) {
                let d = o - t;
                sum += d * d;
                grad.push(two * d / count);
            }
            (sum / count).to_f64()
        }
        Targets::Labels(labels) => {
            let classes = output.len() / rows;
            let n = T::from_f64(rows as f64);
            // Softmax cross-entropy, mean over the batch, through a shifted log-sum-exp.
            let mut loss = T::ZERO;
            for r in 0..rows {
                let o = &output[r * classes..(r + 1) * classes];
                let top = o.iter().copied().fold(T::NEG_INFINITY, T::max);
                let mut sum = T::ZERO;
                for &v in o {
                    sum += (v - top).exp();
                }
                let lse = top + sum.ln();
                loss += lse - o[labels[r]];
                for (c, &v) in o.iter().enumerate() {
                    let p = (v - lse).exp();
                    let hot = if c == labels[r] { T::ONE } else { T::ZERO };
                    grad.push((p - hot) / n);
                }
            }
            (loss / n).to_f64()
        }
    }
}

/// The targets of a batch.
#[derive(Debug)]
pub enum Targets<'a, T: Element = f64> {
    /// Regression values.
    Values(&'a [T]),
    /// Class labels.
    Labels(&'a [usize]),
}

/// φ'(z) given h = φ(z): a·n·(1 − tanh²) = n·(a − h²/a) and σ(1 − σ) need no further
/// transcendental (as in PyTorch's backward); others through [`Activation::derivative`].
fn derivative_from<T: Element>(act: &Activation, z: T, h: T) -> T {
    match *act {
        Activation::ScaledTanh { a, n } => {
            let a = T::from_f64(a);
            T::from_f64(n) * (a - h * h / a)
        }
        Activation::Sigmoid => h * (T::ONE - h),
        _ => T::from_f64(act.derivative(z.to_f64())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same network and batch in f32 and f64 (f32 rounded from the f64 draws): the loss
    /// and the gradients agree to f32's precision, and reused buffers give what fresh ones do.
    #[test]
    fn f32_training_step_follows_f64() {
        let act = Activation::scaled_tanh(1.0, 1.0).unwrap();
        let sizes = [5, 7, 6, 1];
        let draws = |k: u64| {
            let mut s = k;
            move || {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            }
        };
        let n64: Mlp<f64> = Mlp::init(&sizes, 1.0, 0.1, &mut draws(1));
        let n32: Mlp<f32> = Mlp::init(&sizes, 1.0, 0.1, &mut draws(1));
        let rows = 9;
        let x: Vec<f64> = (0..rows * 5)
            .map(|_| 0.0)
            .zip(std::iter::repeat_with(draws(2)))
            .map(|(_, v)| v)
            .collect();
        let y: Vec<f64> = (0..rows).map(|r| r as f64 / 9.0).collect();
        let (x32, y32): (Vec<f32>, Vec<f32>) = (
            x.iter().map(|&v| v as f32).collect(),
            y.iter().map(|&v| v as f32).collect(),
        );
        let f64_ = n64.forward(&act, &x, rows);
        let (l64, d64) = loss(&f64_.output, &Targets::Values(&y), rows);
        let g64 = n64.backward(&act, &f64_, &d64, rows);
        let mut f32_ = Forward::default();
        let mut g32 = Gradients::default();
        let mut d32 = Vec::new();
        for _ in 0..2 {
            n32.forward_into(&act, &x32, rows, &mut f32_);
            let l32 = loss_into(&f32_.output, &Targets::Values(&y32), rows, &mut d32);
            n32.backward_into(&act, &f32_, &d32, rows, &mut g32);
            assert!((l32 - l64).abs() <= 1e-5 * l64.abs(), "{l32} {l64}");
            for (a, b) in g32.w.iter().flatten().zip(g64.w.iter().flatten()) {
                assert!(
                    (f64::from(*a) - b).abs() <= 1e-4 * (1.0 + b.abs()),
                    "{a} {b}"
                );
            }
        }
        let fresh = n32.backward(&act, &n32.forward(&act, &x32, rows), &d32, rows);
        assert_eq!(fresh.w, g32.w);
        assert_eq!(fresh.hidden_norms, g32.hidden_norms);
    }
}
