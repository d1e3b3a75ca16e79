//! What produces the K pre-activations of one sample: K iid draws from one distribution,
//! or the layers of a random network at initialisation.

use std::fmt;

use crate::model::distribution::PreActivation;
use crate::nets::network::{Network, Quantity};

/// The source of the x-sequence of each sample.
#[derive(Debug, Clone)]
pub enum Source {
    /// x_1…x_K drawn independently from `dist`.
    Iid {
        /// The distribution of each x_i.
        dist: PreActivation,
    },
    /// The K layers of a fresh random network per sample, fed a random input.
    Network {
        /// The network (its input distribution included).
        network: Network,
        /// Which log-gain of a draw is ln g.
        quantity: Quantity,
    },
}

impl Source {
    /// The name used in manifests and the `--source` flag.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Iid { .. } => "iid",
            Source::Network { .. } => "network",
        }
    }

    /// The distribution of the x_i (iid) or of the network's input values.
    pub fn dist(&self) -> &PreActivation {
        match self {
            Source::Iid { dist } => dist,
            Source::Network { network, .. } => &network.input,
        }
    }

    /// The distribution of the x_i when they are iid: the exact methods need it.
    pub fn iid_dist(&self) -> Option<&PreActivation> {
        match self {
            Source::Iid { dist } => Some(dist),
            Source::Network { .. } => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Iid { dist } => write!(f, "iid {dist}"),
            Source::Network { network, quantity } => write!(
                f,
                "network ({} init, σ_w = {}, σ_b = {}, input {}×{}), {}",
                network.init,
                network.sigma_w,
                network.sigma_b,
                network.input_dim,
                network.input,
                quantity.name()
            ),
        }
    }
}
