//! vanish: Monte Carlo of vanishing and exploding products of activation derivatives.
//!
//! The product g = f'(x_1)·…·f'(x_K) is formed in the log domain. The data flow reads top
//! to bottom: a validated [`experiment::Experiment`] names an [`activation::Activation`] and
//! a [`source::Source`]; the [`kernel`] turns blocks of random streams ([`rng`]) into ln g;
//! [`simulate`] folds blocks into a mergeable [`summary::Summary`]; [`estimate`] and
//! [`theory`] give the numbers that [`output`] writes. The default kernel is the vectorised
//! [`fast`] one; `unsafe` code lives in one module of it and nowhere else.

#![deny(unsafe_code)]

pub mod activation;
pub mod cli;
pub mod distribution;
pub mod error;
pub mod estimate;
pub mod experiment;
pub mod fast;
pub mod grid;
pub mod hmm;
pub mod importance;
pub mod journal;
pub mod kernel;
pub mod latent;
pub mod law;
pub mod linalg;
pub mod markov;
pub mod meanfield;
pub mod methods;
pub mod network;
pub mod oneway;
pub mod outcome;
pub mod output;
pub mod plot;
pub mod quadrature;
pub mod report;
pub mod results;
pub mod risks;
pub mod rng;
pub mod saddle;
pub mod simulate;
pub mod source;
pub mod states;
pub mod summary;
pub mod table;
pub mod theory;
pub mod train;
