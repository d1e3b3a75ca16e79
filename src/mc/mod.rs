//! Monte Carlo: random streams keyed by (seed, cell, block), the kernel that turns a block of
//! streams into ln g (the scalar reference and the vectorised [`fast`] one), the parallel
//! ordered fold into a mergeable [`summary::Summary`], and the intervals of [`estimate`].

pub mod estimate;
pub mod fast;
pub mod kernel;
pub mod rng;
pub mod simulate;
pub mod summary;
