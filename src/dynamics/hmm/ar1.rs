//! The continuous AR(1) model of log10 g: no states, just a drifting gain, the
//! alternative a two-state HMM must beat.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::HALF_LN_2PI;
use super::baum_welch::{bic, check_runs, pooled_sd, sd_floor};

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

    pub(super) fn fit_runs(runs: &[&[f64]]) -> Result<Ar1Fit, String> {
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
