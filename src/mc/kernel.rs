//! The hot loop: one block of samples → ln g per sample, plus the per-factor tallies.
//!
//! [`Kernel`] is the seam between the experiment and its hot loop: the vectorised
//! [`FastKernel`](crate::mc::fast::FastKernel) by default, and [`ScalarKernel`], the reference,
//! which is also the oracle of the tests.

use rand_distr::Distribution;

use crate::mc::rng::BlockRng;
use crate::mc::summary::FactorSums;
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;

/// Computes ln g = Σ ln f'(x_i) for each sample of a block.
pub trait Kernel: Sync {
    /// The name recorded in the manifest.
    fn name(&self) -> &'static str;

    /// Why this kernel runs instead of the one asked for, if it is a fallback.
    fn note(&self) -> Option<&'static str> {
        None
    }

    /// Fills `ln_g` (one entry per sample, in order) from `rng` and sets `factors` to the
    /// tallies of the block's factors. The block must be a pure function of its stream,
    /// and a shorter block a prefix of a longer one (the scalar kernel draws sample by
    /// sample; the fast kernel draws 16 samples at a time, so its prefixes come in whole
    /// groups of 16).
    fn fill_block(&self, rng: &mut BlockRng, ln_g: &mut [f64], factors: &mut FactorSums);
}

/// The scalar f64 reference: one draw, one ln f' at a time.
///
/// ```
/// use vanish::mc::{kernel::{Kernel, ScalarKernel}, summary::FactorSums};
/// use vanish::model::activation::Activation;
/// let k = ScalarKernel::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
///                           "point(0)".parse().unwrap(), 50);
/// let mut ln_g = [0.0; 4];
/// let mut f = FactorSums::default();
/// k.fill_block(&mut vanish::mc::rng::block_rng(1, 0, 0), &mut ln_g, &mut f);
/// assert!((ln_g[0] - 50.0 * 2f64.ln()).abs() < 1e-12);   // g = 2^50 at x = 0
/// assert_eq!(f.above_one, 200);
/// ```
#[derive(Debug, Clone)]
pub struct ScalarKernel {
    activation: Activation,
    dist: PreActivation,
    depth: u32,
    ln_inverse_max: f64,
    fallback: Option<&'static str>,
}

impl ScalarKernel {
    /// A kernel for K = `depth` iid factors.
    pub fn new(activation: Activation, dist: PreActivation, depth: u32) -> Self {
        ScalarKernel {
            ln_inverse_max: -activation.ln_max_derivative(),
            activation,
            dist,
            depth,
            fallback: None,
        }
    }

    /// The same kernel, recorded as a fallback from the fast one for `reason`.
    pub fn instead_of_fast(self, reason: &'static str) -> Self {
        ScalarKernel {
            fallback: Some(reason),
            ..self
        }
    }
}

impl Kernel for ScalarKernel {
    fn name(&self) -> &'static str {
        "scalar-f64"
    }

    fn note(&self) -> Option<&'static str> {
        self.fallback
    }

    fn fill_block(&self, rng: &mut BlockRng, ln_g: &mut [f64], factors: &mut FactorSums) {
        let (mut sum, mut sum_sq) = (0.0, 0.0);
        let mut shift = f64::NAN;
        let (mut above, mut below, mut zero, mut infinite_x) = (0u64, 0u64, 0u64, 0u64);
        for out in ln_g.iter_mut() {
            let mut acc = 0.0;
            for _ in 0..self.depth {
                let x = self.dist.sample(rng);
                let l = self.activation.ln_derivative(x);
                acc += l;
                above += u64::from(l > 0.0);
                below += u64::from(l < self.ln_inverse_max);
                if l == f64::NEG_INFINITY {
                    // f' = 0 (ReLU at x ≤ 0, or an infinite x from a heavy tail):
                    // counted, kept out of the moments.
                    zero += 1;
                    infinite_x += u64::from(x.is_infinite());
                    continue;
                }
                if shift.is_nan() {
                    shift = l;
                }
                let d = l - shift;
                sum += d;
                sum_sq += d * d;
            }
            *out = acc;
        }
        *factors = FactorSums {
            count: ln_g.len() as u64 * u64::from(self.depth) - zero,
            zero,
            infinite_x,
            shift: if shift.is_nan() { 0.0 } else { shift },
            sum,
            sum_sq,
            above_one: above,
            below_inverse_max: below,
        };
    }
}
