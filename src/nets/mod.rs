//! Networks: random MLPs at initialisation ([`network`]), simulated training runs
//! ([`train`]), and the fixed-order dense kernels both use ([`linalg`]).

pub mod linalg;
pub mod network;
pub mod train;
