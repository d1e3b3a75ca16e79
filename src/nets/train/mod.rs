//! Simulated training runs: many small MLPs trained from independent initialisations, with
//! the trajectories the thresholds answer's Markov chain is fitted to.
//!
//! A run is an MLP of K hidden layers (width W, activation φ, weights N(0, σ_w²/fan_in),
//! biases N(0, σ_b²)) and a linear output layer (weights N(0, σ_o²/W), biases 0), trained by minibatch SGD (optionally with
//! momentum) or Adam on a dataset that every run shares: teacher–student regression (a
//! fixed random tanh teacher plus noise, MSE loss) or Gaussian-blob classification
//! (softmax cross-entropy). Every `record_every` steps it records, before the update:
//! the minibatch loss; the backward gain ‖∂L/∂h_1‖/‖∂L/∂h_K‖ between the first and the last
//! hidden layer; the thresholds answer's derivative product (mean over the batch of
//! Σ_l mean_units ln φ'(x)); the fraction of hidden pre-activations with |x| > t1(n)
//! (tanh only); per weight layer the gradient and weight norms; and how many gradient
//! entries underflowed ([`Underflow`]). A non-finite loss or gradient ends the run, which
//! is marked diverged and kept.
//!
//! A run computes in f64 or, like PyTorch's float32, in f32 ([`train_run_in`]); the records
//! are computed from its values and accumulated in f64 either way.
//!
//! Streams: the dataset (and the teacher) come from [`crate::mc::rng::block_rng`] with cell
//! [`DATA_CELL`], run r's initialisation and minibatches from cell [`RUN_CELL`], block r;
//! runs are independent of each other and of the thread that trains them.
//!
//! ```
//! use vanish::{model::activation::Activation, nets::train::*};
//! let spec = TrainSpec { depth: 3, width: 8, steps: 20, record_every: 5, ..TrainSpec::default() };
//! let data = Dataset::new(&spec, 1);
//! let run = train_run(&spec, &Activation::scaled_tanh(1.0, 1.0).unwrap(), &data, 1, 0);
//! assert_eq!(run.records.len(), 5);                    // steps 0, 5, 10, 15 and 20
//! assert!(run.records[4].loss < run.records[0].loss);  // it learns
//! ```

mod dataset;
mod mlp;
mod optimizer;
mod probe;
mod record;
mod run;
mod spec;

pub use dataset::Dataset;
pub use mlp::{Forward, Gradients, Mlp, Targets, loss, loss_into};
pub use optimizer::Optimizer;
pub use probe::{Probe, ProbeGain};
pub use record::{Record, Run, RunEntry, Underflow};
pub use run::{Trace, train_run, train_run_in, train_run_traced};
pub use spec::{Task, TrainSpec};

/// The stream cells of the shared dataset, of the runs (block = run index) and of each
/// run's probe set (block = run index), defined with every other in
/// [`crate::mc::rng::streams`].
pub use crate::mc::rng::streams::{
    TRAIN_DATA as DATA_CELL, TRAIN_PROBE as PROBE_CELL, TRAIN_RUN as RUN_CELL,
};
