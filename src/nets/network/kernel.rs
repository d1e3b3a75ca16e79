//! The kernel of `--source network`: one draw per block.

use super::Network;
use super::gain::Quantity;
use crate::mc::fast::Isa;
use crate::mc::kernel::Kernel;
use crate::mc::rng::BlockRng;
use crate::mc::summary::FactorSums;
use crate::model::activation::Activation;

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
            "avx512" => "network-f64-avx512",
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
