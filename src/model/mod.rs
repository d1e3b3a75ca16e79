//! The model: what is multiplied and where its inputs come from — the activation, the law of
//! the pre-activations, the source of the K values of one sample, and the validated
//! experiment that names them all.

pub mod activation;
pub mod distribution;
pub mod experiment;
pub mod source;
