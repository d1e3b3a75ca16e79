//! Model selection by held-out runs: the model families compared (HMMs of k states and
//! the AR(1) model) and their K-fold cross-validation by runs.

use rayon::prelude::*;

use super::GaussianHmm;
use super::ar1::Ar1;
use super::baum_welch::{FitOptions, check_runs, fit_runs};

/// The model families compared by held-out runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// A Gaussian HMM with this many states.
    Hmm(usize),
    /// The continuous AR(1) model ([`Ar1`]).
    Ar1,
}

impl ModelKind {
    /// Free parameters, for BIC.
    pub fn parameters(&self) -> usize {
        match *self {
            ModelKind::Hmm(k) => GaussianHmm::parameters(k),
            ModelKind::Ar1 => Ar1::parameters(),
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelKind::Hmm(k) => write!(f, "hmm({k})"),
            ModelKind::Ar1 => write!(f, "ar1"),
        }
    }
}

/// Held-out log-likelihoods of a model family.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// The family.
    pub model: ModelKind,
    /// Folds: fold f holds the runs with index % folds == f.
    pub folds: usize,
    /// Σ over folds of the held-out log-likelihood.
    pub log_likelihood: f64,
    /// The held-out log-likelihood of each fold.
    pub fold_log_likelihood: Vec<f64>,
    /// The held-out log-likelihood of each run (index order), for paired comparisons.
    pub run_log_likelihood: Vec<f64>,
    /// Records held out (all of them, once).
    pub observations: usize,
    /// `log_likelihood / observations`.
    pub per_observation: f64,
}

/// K-fold cross-validation by runs: fold f fits `model` on the runs with index % folds ≠ f
/// and scores the others. Folds run in parallel, results in fold order.
pub fn cross_validate(
    runs: &[Vec<f64>],
    model: ModelKind,
    folds: usize,
    options: &FitOptions,
) -> Result<CrossValidation, String> {
    if folds < 2 || folds > runs.len() {
        return Err(format!(
            "cross-validation needs 2 to {} folds (one run at least per fold), got {folds}",
            runs.len()
        ));
    }
    let all: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    let observations = check_runs(&all)?;
    let scored: Vec<Result<Vec<f64>, String>> = (0..folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<&[f64]> = (0..runs.len())
                .filter(|i| i % folds != f)
                .map(|i| all[i])
                .collect();
            let fitted = match model {
                ModelKind::Hmm(k) => Fitted::Hmm(fit_runs(&train, k, options)?.model),
                ModelKind::Ar1 => Fitted::Ar1(Ar1::fit_runs(&train)?.model),
            };
            Ok((f..runs.len())
                .step_by(folds)
                .map(|i| fitted.log_likelihood(all[i]))
                .collect())
        })
        .collect();
    let mut run_log_likelihood = vec![0.0; runs.len()];
    let mut fold_log_likelihood = Vec::with_capacity(folds);
    for (f, held) in scored.into_iter().enumerate() {
        let held = held.map_err(|e| format!("fold {f} of {folds}: {e}"))?;
        for (n, ll) in held.iter().enumerate() {
            run_log_likelihood[f + n * folds] = *ll;
        }
        fold_log_likelihood.push(held.iter().sum::<f64>());
    }
    let log_likelihood: f64 = fold_log_likelihood.iter().sum();
    Ok(CrossValidation {
        model,
        folds,
        log_likelihood,
        fold_log_likelihood,
        run_log_likelihood,
        observations,
        per_observation: log_likelihood / observations as f64,
    })
}

/// A model fitted on the training folds.
enum Fitted {
    Hmm(GaussianHmm),
    Ar1(Ar1),
}

impl Fitted {
    fn log_likelihood(&self, run: &[f64]) -> f64 {
        match self {
            Fitted::Hmm(m) => m.log_likelihood(run),
            Fitted::Ar1(m) => m.log_likelihood(run),
        }
    }
}
