//! The training-dynamics study: observed states of a run ([`states`]), the Markov chain
//! fitted to them ([`markov`]), the one-way verdict ([`oneway`]), competing risks
//! ([`risks`]), latent models ([`hmm`], [`latent`]) and the outcome predicted from the
//! initial state ([`outcome`]).

pub mod hmm;
pub mod latent;
pub mod markov;
pub mod oneway;
pub mod outcome;
pub mod risks;
pub mod runs;
pub mod states;
pub mod study;
