//! Hidden Markov models of training runs: k latent states seen through Gaussian noise on
//! log10 of the gain, the honest form of the thresholds answer's "two states, [g≫0] and [g∼0]"; beside
//! them a continuous AR(1) model, the "no states, just a drifting gain" alternative that a
//! two-state HMM must beat.
//!
//! **The model.** Each run is a sequence of observations y_t = log10 g_t. A hidden state
//! s_t ∈ {0, …, k−1} follows a Markov chain (initial law π, transition matrix A), and
//! y_t ~ N(μ_s, σ_s²) given s_t = s. On log10 g a vanished gain is not an outlier of a
//! positive scale but a level many decades down; Gaussian noise on the logarithm is the
//! natural first model of "a state observed through noise". Runs are independent and each
//! starts from π.
//!
//! **State order.** States are sorted by decreasing emission mean: state 0 has the highest
//! log10 gain ([g≫0]) and state k−1 the lowest ([g∼0]). A fitted model is therefore
//! canonical: no label switching between fits, bootstrap replicates or tools.
//!
//! **Fitting.** Baum–Welch (EM) with the scaled forward–backward algorithm; the sufficient
//! statistics of all runs are pooled. Emission densities are evaluated per record as
//! exp(ln b_j − max_i ln b_i), so a record many standard deviations from every state does not
//! underflow, and the shift is added back to the log-likelihood. Several deterministic starts
//! (means at quantiles of the pooled data, sticky or mixing transitions) each run a few
//! iterations, on a fixed subset of the runs when the data are large; the best continues on
//! all runs until the relative change of the log-likelihood falls below the tolerance.
//! The reported log-likelihood is that of the returned parameters exactly (the last E-step
//! evaluated them). The E-step is compiled for each k ≤ 4 beside the general loop; both do
//! the same operations in the same order, so they give the same bits (tested). A fit to
//! 10⁴ runs × 10³ records takes about 2 s on one core (`benches/hmm.rs`).
//!
//! **Uncertainty and comparison.** The unit of evidence is the run: [`bootstrap`] refits on
//! runs resampled with replacement, [`cross_validate`] scores held-out runs, and [`Ar1`] is
//! the stateless model to beat. [`occupancy`] and [`first_passage`] summarise state paths
//! (Viterbi or simulated) for posterior-predictive checks.
//!
//! **Variance floor.** A state that settles on a single repeated value would send its σ to
//! 0 and the likelihood to infinity; every σ is kept at least 10⁻³ × the pooled standard
//! deviation (and at least 10⁻⁶). A state with no expected visits keeps its previous
//! emission, and a state never left keeps its previous transition row.
//!
//! **Determinism.** Starts depend on the data only; the E-step may run on rayon threads over
//! fixed chunks of runs whose statistics are added in chunk order, so a fit is the same bits
//! for any thread count. Bootstrap replicate b draws from its own stream
//! ([`crate::mc::rng::block_rng`]).
//!
//! ```
//! use vanish::dynamics::hmm::{FitOptions, fit};
//! // Three short runs that drop from about 10^1 to about 10^-3.
//! let runs = vec![
//!     vec![1.0, 1.1, 0.9, -3.0, -3.1, -2.9],
//!     vec![0.8, 1.2, -3.2, -2.8, -3.0],
//!     vec![1.0, 0.9, 1.1, 1.0, -3.0],
//! ];
//! let fit = fit(&runs, 2, &FitOptions::default()).unwrap();
//! let m = &fit.model;
//! assert!(m.means[0] > m.means[1]); // state 0 is [g≫0]
//! assert!((m.means[0] - 1.0).abs() < 1e-6 && (m.means[1] + 3.0).abs() < 1e-6);
//! assert_eq!(m.viterbi(&runs[0]), [0, 0, 0, 1, 1, 1]);
//! assert!(m.transition[1][0] < 1e-6); // never back up
//! ```

mod ar1;
mod baum_welch;
mod decode;
mod forward;
mod resample;
mod select;

pub use ar1::{Ar1, Ar1Fit};
pub use baum_welch::{FitOptions, HmmFit, bic, fit, fit_from};
pub use decode::{first_passage, occupancy};
pub use resample::{HmmBootstrap, ParameterInterval, bootstrap};
pub use select::{CrossValidation, ModelKind, cross_validate};

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// The most states a fit accepts.
pub const MAX_STATES: usize = 8;
const M: usize = MAX_STATES;
/// ½·ln(2π).
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// A hidden Markov model with one Gaussian emission per state on log10 g; states in
/// decreasing order of mean.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianHmm {
    /// π: the law of the first state of a run.
    pub initial: Vec<f64>,
    /// A: `transition[i][j]` = P(s_{t+1} = j | s_t = i).
    pub transition: Vec<Vec<f64>>,
    /// μ_j: the mean of log10 g in state j (decreasing in j).
    pub means: Vec<f64>,
    /// σ_j: the standard deviation of log10 g in state j.
    pub sds: Vec<f64>,
}

impl GaussianHmm {
    /// A model from its parts, checked: 1 ≤ k ≤ [`MAX_STATES`], probabilities that sum to 1
    /// (within 10⁻⁹), finite means in non-increasing order, positive finite σ.
    ///
    /// ```
    /// use vanish::dynamics::hmm::GaussianHmm;
    /// let ok = GaussianHmm::new(vec![1.0, 0.0], vec![vec![0.9, 0.1], vec![0.0, 1.0]],
    ///     vec![0.0, -3.0], vec![0.5, 0.5]);
    /// assert!(ok.is_ok());
    /// let swapped = GaussianHmm::new(vec![1.0, 0.0], vec![vec![0.9, 0.1], vec![0.0, 1.0]],
    ///     vec![-3.0, 0.0], vec![0.5, 0.5]);
    /// assert!(swapped.unwrap_err().contains("decreasing"));
    /// ```
    pub fn new(
        initial: Vec<f64>,
        transition: Vec<Vec<f64>>,
        means: Vec<f64>,
        sds: Vec<f64>,
    ) -> Result<Self, String> {
        let k = means.len();
        if k == 0 || k > MAX_STATES {
            return Err(format!("an HMM needs 1 to {MAX_STATES} states, got {k}"));
        }
        if initial.len() != k || sds.len() != k || transition.len() != k {
            return Err(format!(
                "initial ({}), transition ({}) and sds ({}) must have one entry per state ({k})",
                initial.len(),
                transition.len(),
                sds.len()
            ));
        }
        let law = |what: &str, p: &[f64]| -> Result<(), String> {
            let sum: f64 = p.iter().sum();
            if p.len() != k || p.iter().any(|&x| !(0.0..=1.0).contains(&x)) {
                return Err(format!(
                    "{what} must be {k} probabilities in [0, 1], got {p:?}"
                ));
            }
            if (sum - 1.0).abs() > 1e-9 {
                return Err(format!("{what} must sum to 1, got {sum}"));
            }
            Ok(())
        };
        law("initial", &initial)?;
        for (i, row) in transition.iter().enumerate() {
            law(&format!("transition row {i}"), row)?;
        }
        if means.iter().any(|m| !m.is_finite()) {
            return Err(format!("means must be finite, got {means:?}"));
        }
        if means.windows(2).any(|w| w[1] > w[0]) {
            return Err(format!(
                "means must be in decreasing order (state 0 = [g≫0]), got {means:?}"
            ));
        }
        if sds.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(format!("sds must be positive and finite, got {sds:?}"));
        }
        Ok(GaussianHmm {
            initial,
            transition,
            means,
            sds,
        })
    }

    /// Number of states.
    pub fn k(&self) -> usize {
        self.means.len()
    }

    /// Free parameters of a k-state model, for BIC: (k−1) initial + k(k−1) transition +
    /// k means + k standard deviations.
    ///
    /// ```
    /// assert_eq!(vanish::dynamics::hmm::GaussianHmm::parameters(2), 7);
    /// ```
    pub fn parameters(k: usize) -> usize {
        k.saturating_sub(1) + k * k.saturating_sub(1) + 2 * k
    }

    /// Draws one run per entry of `lengths`: the hidden states and the observations.
    pub fn simulate<R: Rng + ?Sized>(
        &self,
        lengths: &[usize],
        rng: &mut R,
    ) -> (Vec<Vec<usize>>, Vec<Vec<f64>>) {
        lengths
            .iter()
            .map(|&len| {
                let mut states = Vec::with_capacity(len);
                let mut ys = Vec::with_capacity(len);
                for t in 0..len {
                    let law = match t {
                        0 => &self.initial,
                        _ => &self.transition[states[t - 1]],
                    };
                    let s = categorical(law, rng.random::<f64>());
                    let z: f64 = StandardNormal.sample(rng);
                    states.push(s);
                    ys.push(self.means[s] + self.sds[s] * z);
                }
                (states, ys)
            })
            .unzip()
    }

    /// The same model with its states sorted by decreasing mean (stable: ties keep order).
    fn canonical(&self) -> Self {
        let mut order: Vec<usize> = (0..self.k()).collect();
        order.sort_by(|&a, &b| self.means[b].total_cmp(&self.means[a]));
        GaussianHmm {
            initial: order.iter().map(|&i| self.initial[i]).collect(),
            transition: order
                .iter()
                .map(|&i| order.iter().map(|&j| self.transition[i][j]).collect())
                .collect(),
            means: order.iter().map(|&i| self.means[i]).collect(),
            sds: order.iter().map(|&i| self.sds[i]).collect(),
        }
    }
}

/// The first j with u < p_0 + … + p_j (the last state with positive mass on rounding).
fn categorical(p: &[f64], u: f64) -> usize {
    let mut cum = 0.0;
    for (j, &pj) in p.iter().enumerate() {
        cum += pj;
        if u < cum {
            return j;
        }
    }
    p.iter().rposition(|&x| x > 0.0).unwrap_or(0)
}
