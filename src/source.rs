//! What produces the K pre-activations of one sample. For now: K iid draws from one
//! distribution; random networks and training runs come as further variants.

use std::fmt;

use crate::distribution::PreActivation;

/// The source of the x-sequence of each sample.
#[derive(Debug, Clone)]
pub enum Source {
    /// x_1…x_K drawn independently from `dist`.
    Iid {
        /// The distribution of each x_i.
        dist: PreActivation,
    },
}

impl Source {
    /// The name used in manifests and the `--source` flag.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Iid { .. } => "iid",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Iid { dist } => write!(f, "iid {dist}"),
        }
    }
}
