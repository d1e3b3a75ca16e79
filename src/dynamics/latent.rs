//! The seed's two states as a *latent* model, fitted, compared and checked against the runs.
//!
//! The observed states ([`crate::dynamics::states`]) come from thresholds; the honest form of "two
//! states observed through noise" is a hidden Markov model on y = log10 of the state
//! column ([`crate::dynamics::hmm`]). This module fits, to the same runs:
//!
//! - hidden Markov models with 1, 2 and 3 states, and a continuous AR(1) drift
//!   (y_t = c + φ·y_{t−1} + ε: no states at all);
//! - compares them by held-out log-likelihood over runs (5-fold by run index; the margin of
//!   the winner over the runner-up with the standard error of the paired per-run
//!   differences) and by BIC;
//! - gives the two-state model's parameters with run-resampled 95 % intervals, among them
//!   the latent escape probability a_10 (state 1 = the lower mean, [g∼0]), and the most
//!   likely state path of every run (Viterbi);
//! - checks the fitted models against the data (posterior predictive): R data sets of the
//!   same run lengths are simulated from the two-state HMM and from the observed-state
//!   chain, put through the same state rule, and the occupancy P([g∼0] at record t) and
//!   the share of runs that first entered [g∼0] by t are compared with the observed ones,
//!   with 95 % bands over the simulated sets.
//!
//! ```
//! use vanish::dynamics::hmm::GaussianHmm;
//! use vanish::dynamics::latent::{study, LatentOptions};
//! use vanish::dynamics::states::StateRule;
//! let truth = GaussianHmm::new(vec![1.0, 0.0], vec![vec![0.9, 0.1], vec![0.0, 1.0]],
//!                              vec![0.0, -9.0], vec![0.5, 0.5]).unwrap();
//! let mut rng = vanish::mc::rng::block_rng(1, 0, 0);
//! let (_, y) = truth.simulate(&vec![40; 30], &mut rng);
//! let rule = StateRule::parse("gain < 1e-6", None, None).unwrap();
//! let s = study(&y, &rule, &LatentOptions { replicates: 20, simulations: 20, ..Default::default() }).unwrap();
//! assert_eq!(s.winner, "hmm(2)");
//! ```

use rand::SeedableRng;

use crate::dynamics::hmm::{
    self, CrossValidation, FitOptions, GaussianHmm, HmmBootstrap, ModelKind,
};
use crate::dynamics::markov::ChainFit;
use crate::dynamics::states::{StateRule, VANISHED};

/// The stream cell of the posterior-predictive simulations (block = simulated data set).
pub use crate::mc::rng::streams::PPC as PPC_CELL;

/// How much resampling and simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct LatentOptions {
    /// Folds of the cross-validation by run.
    pub folds: usize,
    /// Run-resampled refits of the two-state HMM.
    pub replicates: usize,
    /// Simulated data sets per model for the posterior-predictive check.
    pub simulations: usize,
    /// Seed of the resampling and the simulations.
    pub seed: u64,
}

impl Default for LatentOptions {
    fn default() -> Self {
        LatentOptions {
            folds: 5,
            replicates: 200,
            simulations: 200,
            seed: 1,
        }
    }
}

/// One model family's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// `hmm(1)`, `hmm(2)`, `hmm(3)` or `ar1`.
    pub model: String,
    /// Held-out log-likelihood over all runs.
    pub heldout: CrossValidation,
    /// BIC of the fit to all runs.
    pub bic: f64,
}

/// One record time of the posterior-predictive check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PpcRow {
    /// Record index.
    pub t: usize,
    /// Observed fraction of the runs still recorded at t that are in [g∼0].
    pub observed_occupancy: f64,
    /// 2.5 % and 97.5 % of that fraction over the HMM's simulated sets.
    pub hmm_occupancy: (f64, f64),
    /// The same over the observed-state chain's simulated sets.
    pub chain_occupancy: (f64, f64),
    /// Observed share of the runs that started in [g≫0] and entered [g∼0] by t.
    pub observed_first_passage: f64,
    /// Its 95 % band under the HMM.
    pub hmm_first_passage: (f64, f64),
    /// Its 95 % band under the chain.
    pub chain_first_passage: (f64, f64),
}

/// Everything fitted.
#[derive(Debug, Clone)]
pub struct LatentStudy {
    /// Scores of every family, in the order hmm(1), hmm(2), hmm(3), ar1.
    pub scores: Vec<Score>,
    /// The family with the largest held-out log-likelihood.
    pub winner: String,
    /// The runner-up.
    pub runner_up: String,
    /// Held-out log-likelihood of the winner minus the runner-up, and the standard error of
    /// that difference from the paired per-run differences.
    pub margin: (f64, f64),
    /// The two-state HMM with run-resampled intervals.
    pub two_state: HmmBootstrap,
    /// Viterbi paths of the two-state HMM, per run (in the order given; empty for a run
    /// without a finite first record).
    pub viterbi: Vec<Vec<usize>>,
    /// The posterior-predictive check, per record time.
    pub posterior_check: Vec<PpcRow>,
    /// Fraction of PPC record times where the observed occupancy lies in the HMM's band,
    /// and in the chain's.
    pub coverage: (f64, f64),
}

/// Fits, compares and checks the latent models on `runs` (log10 of the state column per
/// record; each run ends at its first non-finite value).
pub fn study(
    runs: &[Vec<f64>],
    rule: &StateRule,
    options: &LatentOptions,
) -> Result<LatentStudy, String> {
    let all: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| r.iter().copied().take_while(|v| v.is_finite()).collect())
        .collect();
    let runs: Vec<Vec<f64>> = all.iter().filter(|r| !r.is_empty()).cloned().collect();
    if runs.len() < 2 * options.folds.max(2) {
        return Err(format!(
            "{} of {} runs have a positive, finite first value of the state column (log10 \
             needs one): too few to hold out runs in {} folds",
            runs.len(),
            all.len(),
            options.folds
        ));
    }
    let fit_options = FitOptions::default();
    let observations: usize = runs.iter().map(Vec::len).sum();
    let mut scores = Vec::new();
    for model in [
        ModelKind::Hmm(1),
        ModelKind::Hmm(2),
        ModelKind::Hmm(3),
        ModelKind::Ar1,
    ] {
        let heldout = hmm::cross_validate(&runs, model, options.folds, &fit_options)?;
        let ll = match model {
            ModelKind::Hmm(k) => hmm::fit(&runs, k, &fit_options)?.log_likelihood,
            ModelKind::Ar1 => hmm::Ar1::fit(&runs)?.log_likelihood,
        };
        scores.push(Score {
            model: model.to_string(),
            heldout,
            bic: hmm::bic(ll, model.parameters(), observations),
        });
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        scores[b]
            .heldout
            .log_likelihood
            .total_cmp(&scores[a].heldout.log_likelihood)
    });
    let (w, r) = (&scores[order[0]], &scores[order[1]]);
    let diffs: Vec<f64> = (w.heldout.run_log_likelihood.iter())
        .zip(&r.heldout.run_log_likelihood)
        .map(|(a, b)| a - b)
        .collect();
    let n = diffs.len() as f64;
    let mean = diffs.iter().sum::<f64>() / n;
    let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let margin = (diffs.iter().sum::<f64>(), (n * var).sqrt());
    let two_state = hmm::bootstrap(&runs, 2, &fit_options, options.replicates, options.seed)?;
    let model = &two_state.fit.model;
    let viterbi: Vec<Vec<usize>> = all
        .iter()
        .map(|r| {
            if r.is_empty() {
                Vec::new()
            } else {
                model.viterbi(r)
            }
        })
        .collect();
    let (posterior_check, coverage) = posterior_check(&runs, rule, model, options);
    Ok(LatentStudy {
        winner: w.model.clone(),
        runner_up: r.model.clone(),
        margin,
        scores,
        two_state,
        viterbi,
        posterior_check,
        coverage,
    })
}

/// Occupancy of [g∼0] and first passage into it per record time, of state sequences.
fn curves(seqs: &[Vec<usize>], len: usize) -> (Vec<f64>, Vec<f64>) {
    let occupancy = hmm::occupancy(seqs, VANISHED, len);
    let first = hmm::first_passage(seqs, VANISHED);
    let starters: Vec<Option<usize>> = seqs
        .iter()
        .zip(&first)
        .filter(|(s, _)| s.first() == Some(&0))
        .map(|(_, f)| *f)
        .collect();
    let passage = (0..len)
        .map(|t| {
            if starters.is_empty() {
                f64::NAN
            } else {
                starters
                    .iter()
                    .filter(|f| f.is_some_and(|v| v <= t))
                    .count() as f64
                    / starters.len() as f64
            }
        })
        .collect();
    (occupancy, passage)
}

fn band(values: &mut [f64]) -> (f64, f64) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    (at(0.025), at(0.975))
}

fn posterior_check(
    runs: &[Vec<f64>],
    rule: &StateRule,
    model: &GaussianHmm,
    options: &LatentOptions,
) -> (Vec<PpcRow>, (f64, f64)) {
    // The gain's own states: [converged] needs the loss, which the latent models do not see.
    let rule = &StateRule {
        convergence: None,
        ..rule.clone()
    };
    let lengths: Vec<usize> = runs.iter().map(Vec::len).collect();
    let len = lengths.iter().copied().max().unwrap_or(0);
    let states_of = |y: &[f64]| {
        let g: Vec<f64> = y.iter().map(|v| 10f64.powf(*v)).collect();
        rule.sequence(&g, None).states
    };
    let observed: Vec<Vec<usize>> = runs.iter().map(|r| states_of(r)).collect();
    let (obs_occ, obs_pass) = curves(&observed, len);
    let chain = ChainFit::new(&observed, 2);
    let start_vanished = observed
        .iter()
        .filter(|s| s.first() == Some(&VANISHED))
        .count() as f64
        / runs.len() as f64;
    let mut hmm_curves = Vec::with_capacity(options.simulations);
    let mut chain_curves = Vec::with_capacity(options.simulations);
    for b in 0..options.simulations {
        let mut rng = crate::mc::rng::block_rng(options.seed, PPC_CELL, b as u32);
        let (_, y) = model.simulate(&lengths, &mut rng);
        let seqs: Vec<Vec<usize>> = y.iter().map(|r| states_of(r)).collect();
        hmm_curves.push(curves(&seqs, len));
        let mut crng = rand_chacha::ChaCha8Rng::seed_from_u64(
            options.seed ^ 0x9e37_79b9_7f4a_7c15 ^ (b as u64).wrapping_mul(0x2545_f491_4f6c_dd1d),
        );
        let seqs = simulate_chain(&chain, start_vanished, &lengths, &mut crng);
        chain_curves.push(curves(&seqs, len));
    }
    let mut rows = Vec::with_capacity(len);
    let (mut in_hmm, mut in_chain, mut counted) = (0usize, 0usize, 0usize);
    for t in 0..len {
        let pick = |cs: &[(Vec<f64>, Vec<f64>)], occ: bool| {
            let mut v: Vec<f64> = cs
                .iter()
                .map(|c| if occ { c.0[t] } else { c.1[t] })
                .collect();
            band(&mut v)
        };
        let row = PpcRow {
            t,
            observed_occupancy: obs_occ[t],
            hmm_occupancy: pick(&hmm_curves, true),
            chain_occupancy: pick(&chain_curves, true),
            observed_first_passage: obs_pass[t],
            hmm_first_passage: pick(&hmm_curves, false),
            chain_first_passage: pick(&chain_curves, false),
        };
        if row.observed_occupancy.is_finite() {
            counted += 1;
            let inside =
                |(lo, hi): (f64, f64)| lo <= row.observed_occupancy && row.observed_occupancy <= hi;
            in_hmm += usize::from(inside(row.hmm_occupancy));
            in_chain += usize::from(inside(row.chain_occupancy));
        }
        rows.push(row);
    }
    let share = |k: usize| {
        if counted == 0 {
            f64::NAN
        } else {
            k as f64 / counted as f64
        }
    };
    (rows, (share(in_hmm), share(in_chain)))
}

/// Runs of the fitted observed-state chain (a state never left stays put).
fn simulate_chain(
    chain: &ChainFit,
    start_vanished: f64,
    lengths: &[usize],
    rng: &mut rand_chacha::ChaCha8Rng,
) -> Vec<Vec<usize>> {
    use rand::RngExt;
    lengths
        .iter()
        .map(|&len| {
            let mut s = usize::from(rng.random::<f64>() < start_vanished);
            (0..len)
                .map(|_| {
                    let now = s;
                    let stay = chain.p[s][s];
                    if stay.is_finite() && rng.random::<f64>() >= stay {
                        s = 1 - s;
                    }
                    now
                })
                .collect()
        })
        .collect()
}
