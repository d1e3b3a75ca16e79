//! The run bootstrap of an HMM fit: refits on runs resampled with replacement, and a
//! percentile interval and standard error per parameter.

use rand::RngExt;
use rayon::prelude::*;

use super::GaussianHmm;
use super::baum_welch::{FitOptions, HmmFit, fit, fit_from_runs, quantile};
use crate::mc::rng::block_rng;

/// The bootstrap's cell in [`block_rng`] ("HMM").
use crate::mc::rng::streams::HMM_BOOTSTRAP as BOOTSTRAP_CELL;

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
