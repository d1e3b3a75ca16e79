//! Hidden Markov models of training runs: k latent states seen through Gaussian noise on
//! log10 of the gain, the honest form of the seed's "two states, [g≫0] and [g∼0]"; beside
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

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::mc::rng::block_rng;

/// The most states a fit accepts.
pub const MAX_STATES: usize = 8;
const M: usize = MAX_STATES;
/// ½·ln(2π).
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;
/// Runs per E-step chunk; chunk statistics are added in chunk order.
const CHUNK_RUNS: usize = 32;
/// Expected counts below this are "no visits".
const NO_VISITS: f64 = 1e-12;
/// The bootstrap's cell in [`block_rng`] ("HMM").
const BOOTSTRAP_CELL: u32 = 0x0048_4d4d;
/// The largest sample the start quantiles are taken from (a fixed stride over the data).
const QUANTILE_SAMPLE: usize = 1 << 16;

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

    /// ln p(run) by the scaled forward algorithm (the sum of the log scaling factors); 0 for
    /// an empty run, −∞ if the run is impossible under the model to double precision.
    pub fn log_likelihood(&self, run: &[f64]) -> f64 {
        let mut scratch = Scratch::default();
        forward::<0>(&Prepared::new(self), run, &mut scratch)
    }

    /// The most probable state path (Viterbi, in the log domain; ties go to the lower state).
    pub fn viterbi(&self, run: &[f64]) -> Vec<usize> {
        let (k, p) = (self.k(), Prepared::new(self));
        let log_a: Vec<Vec<f64>> = self
            .transition
            .iter()
            .map(|row| row.iter().map(|a| a.ln()).collect())
            .collect();
        let mut back = vec![0usize; run.len() * k];
        let mut score: Vec<f64> = Vec::with_capacity(k);
        for (t, &y) in run.iter().enumerate() {
            if t == 0 {
                score = (0..k)
                    .map(|j| self.initial[j].ln() + p.log_density(j, y))
                    .collect();
                continue;
            }
            let next: Vec<f64> = (0..k)
                .map(|j| {
                    let (mut best, mut arg) = (f64::NEG_INFINITY, 0);
                    for (i, s) in score.iter().enumerate() {
                        let v = s + log_a[i][j];
                        if v > best {
                            (best, arg) = (v, i);
                        }
                    }
                    back[t * k + j] = arg;
                    best + p.log_density(j, y)
                })
                .collect();
            score = next;
        }
        let mut path = vec![0usize; run.len()];
        if let Some(last) = path.last_mut() {
            *last = argmax(&score);
        }
        for t in (1..run.len()).rev() {
            path[t - 1] = back[t * k + path[t]];
        }
        path
    }

    /// Smoothed state probabilities P(s_t = j | run), one row of k per record (scaled
    /// forward–backward).
    pub fn posteriors(&self, run: &[f64]) -> Vec<Vec<f64>> {
        let (k, p) = (self.k(), Prepared::new(self));
        let mut s = Scratch::default();
        forward::<0>(&p, run, &mut s);
        let mut gamma = vec![vec![0.0; k]; run.len()];
        let mut beta = [1.0; M];
        for t in (0..run.len()).rev() {
            for i in 0..k {
                gamma[t][i] = s.alpha[t * k + i] * beta[i];
            }
            if t > 0 {
                let v: Vec<f64> = (0..k)
                    .map(|j| s.emission[t * k + j] * beta[j] * s.inv_scale[t])
                    .collect();
                for (i, b) in beta.iter_mut().enumerate().take(k) {
                    *b = (0..k).map(|j| p.transition[i * M + j] * v[j]).sum();
                }
            }
        }
        gamma
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

/// How EM runs. The defaults suit runs of up to about 10⁷ records.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// E-steps allowed after the starts (and per bootstrap replicate).
    pub max_iterations: usize,
    /// Stop when |ΔLL| ≤ tolerance·|LL| between successive E-steps.
    pub tolerance: f64,
    /// Deterministic starts tried (1 to 6; a one-state model has one).
    pub starts: usize,
    /// E-steps from each start before the best one is kept.
    pub start_iterations: usize,
    /// Above this many records the starts are compared on every m-th run only (m fixed by
    /// the data size), which keeps large fits fast; the best start then sees all runs.
    pub screen_observations: usize,
    /// Use the E-step compiled for the fitted k (same numbers as the general loop, faster);
    /// `false` forces the general loop, for tests.
    pub specialised: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_iterations: 1000,
            tolerance: 1e-9,
            starts: 4,
            start_iterations: 10,
            screen_observations: 200_000,
            specialised: true,
        }
    }
}

/// A fitted HMM.
#[derive(Debug, Clone, PartialEq)]
pub struct HmmFit {
    /// The parameters, states in decreasing order of mean.
    pub model: GaussianHmm,
    /// ln p(runs | model), exactly that of `model`.
    pub log_likelihood: f64,
    /// E-steps on the chosen start's path (its screening steps included).
    pub iterations: usize,
    /// Whether the tolerance was met within `max_iterations`.
    pub converged: bool,
    /// Records fitted.
    pub observations: usize,
    /// −2·LL + parameters·ln(observations).
    pub bic: f64,
}

/// Fits a k-state Gaussian HMM to `runs` (log10 g per record, one sequence per run) by
/// Baum–Welch from several deterministic starts.
///
/// Errors: k = 0 or k > [`MAX_STATES`], no observations, a non-finite observation, fewer
/// distinct values than states, bad options, or a likelihood that is not finite.
pub fn fit(runs: &[Vec<f64>], k: usize, options: &FitOptions) -> Result<HmmFit, String> {
    let runs: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    fit_runs(&runs, k, options)
}

/// Fits like [`fit`] but from one given start (no screening): what the bootstrap does from
/// the full fit, and a way to polish a model. The start is checked as by
/// [`GaussianHmm::new`] (so its means must be in decreasing order).
pub fn fit_from(
    runs: &[Vec<f64>],
    start: &GaussianHmm,
    options: &FitOptions,
) -> Result<HmmFit, String> {
    let start = GaussianHmm::new(
        start.initial.clone(),
        start.transition.clone(),
        start.means.clone(),
        start.sds.clone(),
    )
    .map_err(|e| format!("the start model: {e}"))?;
    let runs: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
    fit_from_runs(&runs, &start, options)
}

fn fit_runs(runs: &[&[f64]], k: usize, options: &FitOptions) -> Result<HmmFit, String> {
    let data = Data::check(runs, k, options)?;
    // Screening: every m-th run, so that about `screen_observations` records are used.
    let step = data
        .observations
        .div_ceil(options.screen_observations.max(1))
        .max(1);
    let screen: Vec<&[f64]> = runs.iter().step_by(step).copied().collect();
    let starts = if k == 1 { 1 } else { options.starts.min(6) };
    let mut best: Option<(GaussianHmm, f64, usize, bool)> = None;
    let mut last_error = String::new();
    for start in (0..starts).map(|s| data.start(k, s)) {
        match em(
            &screen,
            start,
            data.floor,
            options.start_iterations.max(1),
            options,
        ) {
            Ok(r) if best.as_ref().is_none_or(|b| r.1 > b.1) => best = Some(r),
            Ok(_) => {}
            Err(e) => last_error = e,
        }
    }
    let (model, ll, screened, converged) = best.ok_or(last_error)?;
    let (model, ll, iterations, converged) = if step == 1 && converged {
        (model, ll, 0, true)
    } else {
        em(runs, model, data.floor, options.max_iterations, options)?
    };
    Ok(data.finish(model, ll, screened + iterations, converged))
}

/// What the checks learn about the data.
struct Data {
    observations: usize,
    pooled_sd: f64,
    floor: f64,
    /// A sorted sample of the pooled records (every s-th), for the start quantiles.
    sample: Vec<f64>,
}

impl Data {
    fn check(runs: &[&[f64]], k: usize, options: &FitOptions) -> Result<Data, String> {
        if k == 0 || k > MAX_STATES {
            return Err(format!(
                "an HMM needs 1 to {MAX_STATES} states, got k = {k}"
            ));
        }
        if options.max_iterations == 0
            || options.tolerance.is_nan()
            || options.tolerance < 0.0
            || options.starts == 0
        {
            return Err(format!(
                "fit options need max_iterations ≥ 1, tolerance ≥ 0 and starts ≥ 1, got {options:?}"
            ));
        }
        let observations = check_runs(runs)?;
        let mut distinct: Vec<f64> = Vec::with_capacity(k);
        'runs: for run in runs {
            for &y in run.iter() {
                if distinct.len() == k {
                    break 'runs;
                }
                if !distinct.contains(&y) {
                    distinct.push(y);
                }
            }
        }
        if distinct.len() < k {
            return Err(format!(
                "{k} states need at least {k} distinct observations, got {}",
                distinct.len()
            ));
        }
        let pooled_sd = pooled_sd(runs, observations);
        let stride = observations.div_ceil(QUANTILE_SAMPLE).max(1);
        let mut sample: Vec<f64> = runs
            .iter()
            .flat_map(|r| r.iter())
            .step_by(stride)
            .copied()
            .collect();
        sample.sort_by(f64::total_cmp);
        Ok(Data {
            observations,
            pooled_sd,
            floor: sd_floor(pooled_sd),
            sample,
        })
    }

    /// Start number `s`: means at quantiles of the data (centred, spread or inner levels),
    /// σ = pooled σ / k, transitions sticky (0.9 on the diagonal) or mixing (1/k).
    fn start(&self, k: usize, s: usize) -> GaussianHmm {
        let level = |j: usize| -> f64 {
            // j = 0 is the highest mean.
            let r = if k == 1 {
                0.5
            } else {
                (k - 1 - j) as f64 / (k - 1) as f64
            };
            match s % 3 {
                0 => (((k - 1 - j) as f64) + 0.5) / k as f64,
                1 => 0.05 + 0.9 * r,
                _ => 0.25 + 0.5 * r,
            }
        };
        let sticky = matches!(s, 0 | 2 | 4);
        let mut means: Vec<f64> = (0..k).map(|j| quantile(&self.sample, level(j))).collect();
        let nudge = 0.01 * self.pooled_sd.max(self.floor);
        for j in 1..k {
            means[j] = means[j].min(means[j - 1] - nudge);
        }
        let off = if k == 1 { 0.0 } else { 0.1 / (k - 1) as f64 };
        let transition = (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| match (sticky, i == j) {
                        (false, _) => 1.0 / k as f64,
                        (true, true) => 0.9,
                        (true, false) => off,
                    })
                    .collect()
            })
            .collect();
        GaussianHmm {
            initial: vec![1.0 / k as f64; k],
            transition,
            means,
            sds: vec![(self.pooled_sd / k as f64).max(self.floor); k],
        }
    }

    fn finish(&self, model: GaussianHmm, ll: f64, iterations: usize, converged: bool) -> HmmFit {
        let params = GaussianHmm::parameters(model.k());
        HmmFit {
            model: model.canonical(),
            log_likelihood: ll,
            iterations,
            converged,
            observations: self.observations,
            bic: bic(ll, params, self.observations),
        }
    }
}

/// −2·LL + parameters·ln(observations).
pub fn bic(log_likelihood: f64, parameters: usize, observations: usize) -> f64 {
    -2.0 * log_likelihood + parameters as f64 * (observations as f64).ln()
}

/// Counts records and refuses non-finite ones and data without any.
fn check_runs(runs: &[&[f64]]) -> Result<usize, String> {
    for (r, run) in runs.iter().enumerate() {
        if let Some((t, y)) = run.iter().enumerate().find(|(_, y)| !y.is_finite()) {
            return Err(format!(
                "record {t} of run {r} is {y}: observations must be finite log10 gains"
            ));
        }
    }
    let n: usize = runs.iter().map(|r| r.len()).sum();
    if n == 0 {
        return Err("no observations: every run is empty".into());
    }
    Ok(n)
}

fn pooled_sd(runs: &[&[f64]], n: usize) -> f64 {
    let mean = runs.iter().flat_map(|r| r.iter()).sum::<f64>() / n as f64;
    let ss: f64 = runs
        .iter()
        .flat_map(|r| r.iter())
        .map(|y| (y - mean) * (y - mean))
        .sum();
    (ss / n as f64).sqrt()
}

/// The smallest σ a state or the AR(1) noise may take.
fn sd_floor(pooled_sd: f64) -> f64 {
    (1e-3 * pooled_sd).max(1e-6)
}

/// The linear-interpolation quantile (type 7) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn argmax(v: &[f64]) -> usize {
    let mut arg = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[arg] {
            arg = i;
        }
    }
    arg
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

/// Runs EM from `model` for at most `max_iterations` E-steps; returns the last evaluated
/// parameters with their log-likelihood, the E-steps done and whether it converged.
fn em(
    runs: &[&[f64]],
    mut model: GaussianHmm,
    floor: f64,
    max_iterations: usize,
    options: &FitOptions,
) -> Result<(GaussianHmm, f64, usize, bool), String> {
    let mut previous: Option<f64> = None;
    for iteration in 1..=max_iterations {
        let stats = e_step(runs, &Prepared::new(&model), options.specialised);
        let ll = stats.log_likelihood;
        if !ll.is_finite() {
            return Err(format!(
                "the log-likelihood is {ll} at EM iteration {iteration}: a record is impossible \
                 under the current parameters"
            ));
        }
        if previous.is_some_and(|p| (ll - p).abs() <= options.tolerance * ll.abs()) {
            return Ok((model, ll, iteration, true));
        }
        if iteration == max_iterations {
            return Ok((model, ll, iteration, false));
        }
        previous = Some(ll);
        model = m_step(&model, &stats, floor);
    }
    unreachable!("max_iterations ≥ 1 returns in the loop")
}

/// The parameters in flat, fixed-size arrays for the E-step.
struct Prepared {
    k: usize,
    initial: [f64; M],
    transition: [f64; M * M],
    mean: [f64; M],
    inv_sd: [f64; M],
    log_norm: [f64; M],
}

impl Prepared {
    fn new(model: &GaussianHmm) -> Self {
        let mut p = Prepared {
            k: model.k(),
            initial: [0.0; M],
            transition: [0.0; M * M],
            mean: [0.0; M],
            inv_sd: [0.0; M],
            log_norm: [0.0; M],
        };
        for j in 0..p.k {
            p.initial[j] = model.initial[j];
            p.mean[j] = model.means[j];
            p.inv_sd[j] = 1.0 / model.sds[j];
            p.log_norm[j] = -model.sds[j].ln() - HALF_LN_2PI;
            for i in 0..p.k {
                p.transition[i * M + j] = model.transition[i][j];
            }
        }
        p
    }

    #[inline(always)]
    fn log_density(&self, j: usize, y: f64) -> f64 {
        let z = (y - self.mean[j]) * self.inv_sd[j];
        self.log_norm[j] - 0.5 * z * z
    }
}

/// Per-record buffers of one run, reused across runs of a chunk.
#[derive(Default)]
struct Scratch {
    /// exp(ln b_j(y_t) − max_i ln b_i(y_t)), row t.
    emission: Vec<f64>,
    /// Scaled forward variables α̂_t(j), row t (each row sums to 1).
    alpha: Vec<f64>,
    /// 1/c_t, the inverse scaling factor of record t.
    inv_scale: Vec<f64>,
}

/// Pooled sufficient statistics of an E-step. `first`/`second` are Σγ·(y−μ) and Σγ·(y−μ)²
/// around the current means (less cancellation than raw moments); `flow[i·M+j]` is
/// Σ_t α̂_t(i)·b̂_j(t+1)·β̂_{t+1}(j)/c_{t+1}, the expected transitions without the factor a_ij.
#[derive(Clone)]
struct Stats {
    log_likelihood: f64,
    start: [f64; M],
    flow: [f64; M * M],
    weight: [f64; M],
    first: [f64; M],
    second: [f64; M],
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            log_likelihood: 0.0,
            start: [0.0; M],
            flow: [0.0; M * M],
            weight: [0.0; M],
            first: [0.0; M],
            second: [0.0; M],
        }
    }
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.log_likelihood += other.log_likelihood;
        let pairs = [
            (&mut self.start, &other.start),
            (&mut self.weight, &other.weight),
            (&mut self.first, &other.first),
            (&mut self.second, &other.second),
        ];
        for (a, b) in pairs {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (x, y) in self.flow.iter_mut().zip(&other.flow) {
            *x += y;
        }
    }
}

/// The E-step over all runs: fixed chunks of runs (in parallel), added in chunk order.
fn e_step(runs: &[&[f64]], p: &Prepared, specialised: bool) -> Stats {
    let chunks: Vec<Stats> = runs
        .par_chunks(CHUNK_RUNS)
        .map_init(Scratch::default, |scratch, chunk| {
            let mut stats = Stats::default();
            for run in chunk {
                run_stats(p, run, scratch, &mut stats, specialised);
            }
            stats
        })
        .collect();
    let mut total = Stats::default();
    for c in &chunks {
        total.add(c);
    }
    total
}

/// Adds one run's statistics, with the kernel compiled for its k when `specialised`.
fn run_stats(p: &Prepared, run: &[f64], s: &mut Scratch, st: &mut Stats, specialised: bool) {
    if run.is_empty() {
        return;
    }
    match (specialised, p.k) {
        (true, 1) => run_stats_k::<1>(p, run, s, st),
        (true, 2) => run_stats_k::<2>(p, run, s, st),
        (true, 3) => run_stats_k::<3>(p, run, s, st),
        (true, 4) => run_stats_k::<4>(p, run, s, st),
        _ => run_stats_k::<0>(p, run, s, st),
    }
}

/// Forward, then backward with the statistics gathered on the way. `K` = 0 means "k from
/// `p`"; any other `K` equals `p.k` and only lets the compiler unroll the same loops, so
/// both give the same bits. (Indexed loops on purpose: the same code for every k.)
#[allow(clippy::needless_range_loop)]
fn run_stats_k<const K: usize>(p: &Prepared, run: &[f64], s: &mut Scratch, st: &mut Stats) {
    let k = if K == 0 { p.k } else { K };
    st.log_likelihood += forward::<K>(p, run, s);
    let mut beta = [1.0; M];
    let mut v = [0.0; M];
    for t in (0..run.len()).rev() {
        let y = run[t];
        let alpha = &s.alpha[t * k..t * k + k];
        for i in 0..k {
            let g = alpha[i] * beta[i];
            let d = y - p.mean[i];
            st.weight[i] += g;
            st.first[i] += g * d;
            st.second[i] += g * d * d;
        }
        if t == 0 {
            for i in 0..k {
                st.start[i] += alpha[i] * beta[i];
            }
            break;
        }
        let b = &s.emission[t * k..t * k + k];
        let inv = s.inv_scale[t];
        for j in 0..k {
            v[j] = b[j] * beta[j] * inv;
        }
        let before = &s.alpha[(t - 1) * k..t * k];
        for i in 0..k {
            let mut acc = 0.0;
            for j in 0..k {
                st.flow[i * M + j] += before[i] * v[j];
                acc += p.transition[i * M + j] * v[j];
            }
            beta[i] = acc;
        }
    }
}

/// The scaled forward pass; fills `s` and returns ln p(run).
#[allow(clippy::needless_range_loop)]
fn forward<const K: usize>(p: &Prepared, run: &[f64], s: &mut Scratch) -> f64 {
    let k = if K == 0 { p.k } else { K };
    let n = run.len();
    s.emission.resize(n * k, 0.0);
    s.alpha.resize(n * k, 0.0);
    s.inv_scale.resize(n, 0.0);
    let mut ll = 0.0;
    let mut predicted = [0.0; M];
    for (t, &y) in run.iter().enumerate() {
        if t == 0 {
            predicted[..k].copy_from_slice(&p.initial[..k]);
        } else {
            let before = &s.alpha[(t - 1) * k..t * k];
            for (j, pj) in predicted.iter_mut().enumerate().take(k) {
                let mut acc = 0.0;
                for i in 0..k {
                    acc += before[i] * p.transition[i * M + j];
                }
                *pj = acc;
            }
        }
        let b = &mut s.emission[t * k..t * k + k];
        let a = &mut s.alpha[t * k..t * k + k];
        let mut top = f64::NEG_INFINITY;
        for j in 0..k {
            b[j] = p.log_density(j, y);
            top = top.max(b[j]);
        }
        let mut c = 0.0;
        for j in 0..k {
            b[j] = (b[j] - top).exp();
            a[j] = predicted[j] * b[j];
            c += a[j];
        }
        if c.is_nan() || c < f64::MIN_POSITIVE {
            // Every reachable state's density underflowed against an unreachable one:
            // shift by the best reachable state instead (exact; unreachable ones get 0).
            top = (0..k)
                .filter(|&j| predicted[j] > 0.0)
                .map(|j| p.log_density(j, y))
                .fold(f64::NEG_INFINITY, f64::max);
            c = 0.0;
            for j in 0..k {
                b[j] = match predicted[j] > 0.0 {
                    true => (p.log_density(j, y) - top).exp(),
                    false => 0.0,
                };
                a[j] = predicted[j] * b[j];
                c += a[j];
            }
            if c.is_nan() || c < f64::MIN_POSITIVE {
                return f64::NEG_INFINITY;
            }
        }
        let inv = 1.0 / c;
        for x in a.iter_mut() {
            *x *= inv;
        }
        s.inv_scale[t] = inv;
        ll += c.ln() + top;
    }
    ll
}

/// The M-step: new parameters from pooled statistics (order of states unchanged).
fn m_step(model: &GaussianHmm, st: &Stats, floor: f64) -> GaussianHmm {
    let k = model.k();
    let mut next = model.clone();
    let starts: f64 = st.start[..k].iter().sum();
    if starts > NO_VISITS {
        for j in 0..k {
            next.initial[j] = st.start[j] / starts;
        }
    }
    for i in 0..k {
        let xi: Vec<f64> = (0..k)
            .map(|j| model.transition[i][j] * st.flow[i * M + j])
            .collect();
        let out: f64 = xi.iter().sum();
        if out > NO_VISITS {
            next.transition[i] = xi.iter().map(|x| x / out).collect();
        }
        let w = st.weight[i];
        if w > NO_VISITS {
            let shift = st.first[i] / w;
            next.means[i] = model.means[i] + shift;
            let var = (st.second[i] / w - shift * shift).max(0.0);
            next.sds[i] = var.sqrt().max(floor);
        }
    }
    next
}

fn fit_from_runs(
    runs: &[&[f64]],
    start: &GaussianHmm,
    options: &FitOptions,
) -> Result<HmmFit, String> {
    let data = Data::check(runs, start.k(), options)?;
    let (model, ll, iterations, converged) = em(
        runs,
        start.clone(),
        data.floor,
        options.max_iterations,
        options,
    )?;
    Ok(data.finish(model, ll, iterations, converged))
}

/// One parameter under run-level resampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterInterval {
    /// The full fit's value.
    pub estimate: f64,
    /// The standard deviation of the replicates: the bootstrap standard error.
    pub se: f64,
    /// The 2.5 % percentile of the replicates.
    pub lower: f64,
    /// The 97.5 % percentile of the replicates.
    pub upper: f64,
}

/// The run bootstrap of an HMM fit: per-parameter 95 % percentile intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct HmmBootstrap {
    /// The fit to all runs.
    pub fit: HmmFit,
    /// Replicates that gave a fit (the intervals come from these).
    pub replicates: usize,
    /// Replicates whose fit failed (e.g. a resample with fewer distinct values than states).
    pub failed: usize,
    /// Intervals of π_j.
    pub initial: Vec<ParameterInterval>,
    /// Intervals of a_ij.
    pub transition: Vec<Vec<ParameterInterval>>,
    /// Intervals of μ_j.
    pub means: Vec<ParameterInterval>,
    /// Intervals of σ_j.
    pub sds: Vec<ParameterInterval>,
    /// The replicate fits, in replicate order, for intervals of derived quantities.
    pub models: Vec<GaussianHmm>,
}

/// Refits a k-state HMM on `replicates` resamples of the runs (with replacement, as many
/// runs as the data), each from the full fit's parameters; replicate b draws its runs from
/// `block_rng(seed, cell, b)` with a fixed cell for the HMM bootstrap, so the result does not
/// depend on the thread count.
pub fn bootstrap(
    runs: &[Vec<f64>],
    k: usize,
    options: &FitOptions,
    replicates: usize,
    seed: u64,
) -> Result<HmmBootstrap, String> {
    if replicates < 2 || replicates > u32::MAX as usize {
        return Err(format!(
            "the bootstrap needs 2 to {} replicates, got {replicates}",
            u32::MAX
        ));
    }
    let full = fit(runs, k, options)?;
    let n = runs.len();
    let fits: Vec<Option<GaussianHmm>> = (0..replicates)
        .into_par_iter()
        .map(|b| {
            let mut rng = block_rng(seed, BOOTSTRAP_CELL, b as u32);
            let sample: Vec<&[f64]> = (0..n)
                .map(|_| runs[rng.random_range(0..n)].as_slice())
                .collect();
            fit_from_runs(&sample, &full.model, options)
                .ok()
                .map(|f| f.model)
        })
        .collect();
    let models: Vec<GaussianHmm> = fits.into_iter().flatten().collect();
    if models.len() < 2 {
        return Err(format!(
            "only {} of {replicates} bootstrap replicates could be fitted",
            models.len()
        ));
    }
    let interval = |estimate: f64, get: &dyn Fn(&GaussianHmm) -> f64| {
        let mut v: Vec<f64> = models.iter().map(get).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (v.len() - 1) as f64;
        v.sort_by(f64::total_cmp);
        ParameterInterval {
            estimate,
            se: var.sqrt(),
            lower: quantile(&v, 0.025),
            upper: quantile(&v, 0.975),
        }
    };
    let m = &full.model;
    Ok(HmmBootstrap {
        initial: (0..k)
            .map(|j| interval(m.initial[j], &|r| r.initial[j]))
            .collect(),
        transition: (0..k)
            .map(|i| {
                (0..k)
                    .map(|j| interval(m.transition[i][j], &|r| r.transition[i][j]))
                    .collect()
            })
            .collect(),
        means: (0..k)
            .map(|j| interval(m.means[j], &|r| r.means[j]))
            .collect(),
        sds: (0..k).map(|j| interval(m.sds[j], &|r| r.sds[j])).collect(),
        replicates: models.len(),
        failed: replicates - models.len(),
        fit: full,
        models,
    })
}

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

/// The continuous alternative: y_t = c + φ·y_{t−1} + ε_t, ε_t ~ N(0, s²), and the first
/// record of a run ~ N(m0, s0²). No states: the gain just drifts.
///
/// ```
/// use vanish::dynamics::hmm::Ar1;
/// let runs = vec![vec![1.0, 0.5, 0.3, 0.1], vec![2.0, 1.1, 0.4, 0.3]];
/// let fit = Ar1::fit(&runs).unwrap();
/// assert!(fit.model.slope > 0.0 && fit.model.slope < 1.0);
/// assert_eq!(Ar1::parameters(), 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ar1 {
    /// c.
    pub intercept: f64,
    /// φ.
    pub slope: f64,
    /// s, the innovation standard deviation.
    pub sd: f64,
    /// m0, the mean of a run's first record.
    pub initial_mean: f64,
    /// s0, the standard deviation of a run's first record.
    pub initial_sd: f64,
}

/// A fitted AR(1) model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ar1Fit {
    /// The maximum-likelihood parameters.
    pub model: Ar1,
    /// ln p(runs | model).
    pub log_likelihood: f64,
    /// Records fitted.
    pub observations: usize,
    /// −2·LL + 5·ln(observations).
    pub bic: f64,
}

impl Ar1 {
    /// Free parameters: c, φ, s, m0, s0.
    pub fn parameters() -> usize {
        5
    }

    /// Exact maximum likelihood in closed form: (c, φ) by least squares on all pairs
    /// (y_{t−1}, y_t) of all runs, s² the mean squared residual, (m0, s0²) the mean and
    /// variance of the first records; s and s0 kept above the same floor as the HMM's σ.
    ///
    /// Errors: a non-finite record, no run with two records, lagged values all equal.
    pub fn fit(runs: &[Vec<f64>]) -> Result<Ar1Fit, String> {
        let runs: Vec<&[f64]> = runs.iter().map(Vec::as_slice).collect();
        Ar1::fit_runs(&runs)
    }

    fn fit_runs(runs: &[&[f64]]) -> Result<Ar1Fit, String> {
        let observations = check_runs(runs)?;
        let floor = sd_floor(pooled_sd(runs, observations));
        let pairs = || runs.iter().flat_map(|r| r.windows(2)).map(|w| (w[0], w[1]));
        let n = pairs().count();
        if n == 0 {
            return Err("AR(1) needs a run with at least two records".into());
        }
        let (mx, my) = pairs().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (mx / n as f64, my / n as f64);
        let (sxx, sxy) = pairs().fold((0.0, 0.0), |(a, b), (x, y)| {
            (a + (x - mx) * (x - mx), b + (x - mx) * (y - my))
        });
        if sxx <= 0.0 {
            return Err("AR(1): the lagged values are all equal, so φ is not identified".into());
        }
        let slope = sxy / sxx;
        let intercept = my - slope * mx;
        let rss: f64 = pairs()
            .map(|(x, y)| (y - intercept - slope * x).powi(2))
            .sum();
        let firsts: Vec<f64> = runs.iter().filter_map(|r| r.first().copied()).collect();
        let m0 = firsts.iter().sum::<f64>() / firsts.len() as f64;
        let v0 = firsts.iter().map(|y| (y - m0) * (y - m0)).sum::<f64>() / firsts.len() as f64;
        let model = Ar1 {
            intercept,
            slope,
            sd: (rss / n as f64).sqrt().max(floor),
            initial_mean: m0,
            initial_sd: v0.sqrt().max(floor),
        };
        let log_likelihood: f64 = runs.iter().map(|r| model.log_likelihood(r)).sum();
        Ok(Ar1Fit {
            model,
            log_likelihood,
            observations,
            bic: bic(log_likelihood, Ar1::parameters(), observations),
        })
    }

    /// ln p(run); 0 for an empty run.
    pub fn log_likelihood(&self, run: &[f64]) -> f64 {
        let Some(&first) = run.first() else {
            return 0.0;
        };
        normal_ln_pdf(first, self.initial_mean, self.initial_sd)
            + run
                .windows(2)
                .map(|w| normal_ln_pdf(w[1], self.intercept + self.slope * w[0], self.sd))
                .sum::<f64>()
    }

    /// Draws one run per entry of `lengths`.
    pub fn simulate<R: Rng + ?Sized>(&self, lengths: &[usize], rng: &mut R) -> Vec<Vec<f64>> {
        lengths
            .iter()
            .map(|&len| {
                let mut ys: Vec<f64> = Vec::with_capacity(len);
                for t in 0..len {
                    let z: f64 = StandardNormal.sample(rng);
                    ys.push(match t {
                        0 => self.initial_mean + self.initial_sd * z,
                        _ => self.intercept + self.slope * ys[t - 1] + self.sd * z,
                    });
                }
                ys
            })
            .collect()
    }
}

fn normal_ln_pdf(y: f64, mean: f64, sd: f64) -> f64 {
    let z = (y - mean) / sd;
    -0.5 * z * z - sd.ln() - HALF_LN_2PI
}

/// For each record t < `len`, the fraction of the runs still running at t (longer than t)
/// that are in `state` at t; NaN where no run is that long. A posterior-predictive check
/// compares this curve between observed (Viterbi) and simulated state paths.
///
/// ```
/// let paths = vec![vec![0, 0, 1], vec![0, 1]];
/// assert_eq!(vanish::dynamics::hmm::occupancy(&paths, 1, 3), [0.0, 0.5, 1.0]);
/// ```
pub fn occupancy(states: &[Vec<usize>], state: usize, len: usize) -> Vec<f64> {
    (0..len)
        .map(|t| {
            let running = states.iter().filter(|r| r.len() > t);
            let (n, hits) = running.fold((0usize, 0usize), |(n, h), r| {
                (n + 1, h + usize::from(r[t] == state))
            });
            if n == 0 {
                f64::NAN
            } else {
                hits as f64 / n as f64
            }
        })
        .collect()
}

/// For each run, the first record in state `into` (`None` if never).
///
/// ```
/// let paths = vec![vec![0, 0, 1], vec![0, 0]];
/// assert_eq!(vanish::dynamics::hmm::first_passage(&paths, 1), [Some(2), None]);
/// ```
pub fn first_passage(states: &[Vec<usize>], into: usize) -> Vec<Option<usize>> {
    states
        .iter()
        .map(|r| r.iter().position(|&s| s == into))
        .collect()
}
