//! One draw of a network and an input: the forward pass layer by layer, with the path,
//! layer and Jacobian log-gains, in per-thread buffers.

use std::cell::RefCell;

use rand::RngExt;
use rand_distr::Distribution;

use super::fused::{TILE_ROWS, dot};
use super::gain::Draw;
use super::weights::{gaussian_layer, orthogonal_layer};
use super::{Init, Network, Workspace};
use crate::mc::fast::Isa;
use crate::mc::fast::normals::NormalStream;
use crate::mc::rng::BlockRng;
use crate::model::activation::Activation;

impl Network {
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
        for buf in [
            &mut ws.y,
            &mut ws.v,
            &mut ws.x,
            &mut ws.t,
            &mut ws.row,
            &mut ws.bias,
        ] {
            buf.clear();
            buf.resize(widest, 0.0);
        }
        ws.rows.resize(TILE_ROWS * widest, 0.0);
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
                Init::Gaussian => gaussian_layer(self.sigma_w, n, m, ws, &mut normals, isa),
                Init::Orthogonal => orthogonal_layer(self.sigma_w, n, m, ws, &mut normals, isa),
            }
            normals.fill(&mut ws.bias[..m]);
            let (mut sum_sq, mut sum_ln, mut top) = (0.0, 0.0, f64::NEG_INFINITY);
            for i in 0..m {
                let x = ws.x[i] + self.sigma_b * ws.bias[i];
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
