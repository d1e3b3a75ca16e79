//! vanish: Monte Carlo of vanishing and exploding products of activation derivatives.
//!
//! The product g = f'(x_1)·…·f'(x_K) is formed in the log domain. The folders follow the
//! data flow, top to bottom:
//!
//! - [`model`]: a validated [`model::experiment::Experiment`] names an activation and a
//!   source of pre-activations (iid draws or a random network);
//! - [`mc`]: the kernel turns blocks of random streams into ln g, folded in block order into
//!   a mergeable summary (the vectorised [`mc::fast`] kernel holds the only `unsafe` code);
//! - [`theory`] and [`methods`]: closed forms, the mean field, and the exact, saddlepoint,
//!   normal and importance-sampling estimates beside Monte Carlo;
//! - [`nets`] and [`dynamics`]: random networks, simulated training runs and the study of
//!   their trajectories (states, Markov chains, competing risks, latent models);
//! - [`sweep`]: grids of cells, journaled, sharded and resumable;
//! - [`output`]: the reported numbers, atomic files, figures and the HTML report;
//! - [`cli`]: flags turned into validated settings, nothing more; [`error`] maps failures
//!   to exit codes.

#![deny(unsafe_code)]

pub mod cli;
pub mod dynamics;
pub mod error;
pub mod limits;
pub mod mc;
pub mod methods;
pub mod model;
pub mod nets;
pub mod output;
pub mod sweep;
pub mod theory;
