//! The optimiser: its settings (SGD with momentum, Adam) and its update of a network's
//! weights and biases.

use super::mlp::{Gradients, Mlp};
use crate::nets::linalg::Element;

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// w ← w − lr·(velocity), velocity ← momentum·velocity + g (PyTorch's convention).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum (0: plain SGD).
        momentum: f64,
    },
    /// Adam (Kingma & Ba), bias-corrected, as PyTorch's defaults β = (0.9, 0.999), ε = 1e-8.
    Adam {
        /// Learning rate.
        lr: f64,
    },
}

impl Optimizer {
    /// The optimiser as a JSON object, its flag value under `kind`: `{"kind": "sgd", "lr":
    /// η, "momentum": μ}` or `{"kind": "adam", "lr": η}`.
    ///
    /// ```
    /// use vanish::nets::train::Optimizer;
    /// let o = Optimizer::Adam { lr: 0.001 }.to_json();
    /// assert_eq!(o, serde_json::json!({"kind": "adam", "lr": 0.001}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            Optimizer::Sgd { lr, momentum } => {
                serde_json::json!({"kind": "sgd", "lr": lr, "momentum": momentum})
            }
            Optimizer::Adam { lr } => serde_json::json!({"kind": "adam", "lr": lr}),
        }
    }
}

/// Momentum or Adam moments per parameter, in the network's element type (as PyTorch keeps
/// them in the parameters' dtype). The hyperparameters (learning rate, momentum, β, ε and
/// Adam's bias corrections 1 − βᵗ, computed in f64) are rounded to it once per update.
pub(super) struct OptimizerState<T: Element = f64> {
    m: Vec<Vec<T>>,
    v: Vec<Vec<T>>,
    t: i32,
}

impl<T: Element> OptimizerState<T> {
    pub(super) fn new(net: &Mlp<T>) -> Self {
        let zeros: Vec<Vec<T>> = net
            .w
            .iter()
            .chain(&net.b)
            .map(|p| vec![T::ZERO; p.len()])
            .collect();
        OptimizerState {
            m: zeros.clone(),
            v: zeros,
            t: 0,
        }
    }

    pub(super) fn update(
        &mut self,
        net: &mut Mlp<T>,
        g: &Gradients<T>,
        opt: Optimizer,
        hidden_scale: f64,
    ) {
        self.t += 1;
        let layers = net.w.len();
        // Parameters in the order weights of every layer, then biases of every layer.
        let scales = (0..2 * layers).map(|i| {
            if i % layers + 1 < layers {
                hidden_scale
            } else {
                1.0
            }
        });
        let params = net.w.iter_mut().chain(net.b.iter_mut());
        let grads = g.w.iter().chain(&g.b);
        for ((((p, g), m), v), scale) in params
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
            .zip(scales)
        {
            match opt {
                Optimizer::Sgd { lr, momentum } => {
                    let plain = momentum == 0.0;
                    let (lr, momentum) = (T::from_f64(lr * scale), T::from_f64(momentum));
                    for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
                        *m = momentum * *m + g;
                        *p -= lr * if plain { g } else { *m };
                    }
                }
                Optimizer::Adam { lr } => {
                    let (b1, b2) = (0.9f64, 0.999f64);
                    let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
                    let [lr, c1, c2, eps] = [lr * scale, c1, c2, 1e-8].map(T::from_f64);
                    let [b1, b2, r1, r2] = [b1, b2, 1.0 - b1, 1.0 - b2].map(T::from_f64);
                    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut())
                    {
                        *m = b1 * *m + r1 * g;
                        *v = b2 * *v + r2 * g * g;
                        *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                    }
                }
            }
        }
    }
}
