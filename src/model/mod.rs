//! The model: what is multiplied and where its inputs come from — the activation, the law of
//! the pre-activations, the source of the K values of one sample, and the validated
//! experiment that names them all.

/// Largest accepted depth K (of an iid product, a network, a training run's layers).
pub const MAX_DEPTH: u32 = 1_000_000;

pub mod activation;
pub mod distribution;
pub mod experiment;
pub mod source;
