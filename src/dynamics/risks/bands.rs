//! Intervals from resampling runs: the run bootstrap of a competing-risks estimate, with
//! percentile bands of each CIF, of S and of the median times.

use rand::RngExt;
use rayon::prelude::*;
use serde::Serialize;

use super::{CompetingRisks, Outcome, aalen_johansen, walk};
use crate::mc::rng::block_rng;

/// Stream cell of the run bootstrap: replicate b resamples runs with
/// `block_rng(seed, RESAMPLE_CELL, b)`, so the bands are a pure function of the seed.
pub use crate::mc::rng::streams::RISK_RESAMPLE as RESAMPLE_CELL;

/// A 95 % percentile interval from the bootstrap, with the bootstrap standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// The ⌈0.025·B⌉-th smallest of the B replicates.
    pub lower: f64,
    /// The ⌈0.975·B⌉-th smallest of the B replicates.
    pub upper: f64,
    /// The standard deviation of the replicates (a bootstrap standard error).
    pub se: f64,
}

/// A 95 % percentile interval of a median time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MedianBand {
    /// Lower bound; `None` when it is "not reached" (see `undefined`).
    pub lower: Option<f64>,
    /// Upper bound; `None` when it is "not reached" (see `undefined`).
    pub upper: Option<f64>,
    /// Replicates without the median. For [`CompetingRisks::median_time`] these are
    /// replicates where CIF_j never reaches ½; they rank above every time, so a bound that
    /// falls on them is `None` ("beyond follow-up"). For the conditional median they are
    /// replicates without any event of the cause; they are left out.
    pub undefined: usize,
}

/// Run-bootstrap bands of a competing-risks estimate on a grid of times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskBands {
    /// The estimate from all runs.
    pub estimate: CompetingRisks,
    /// The grid times, ascending.
    pub grid: Vec<f64>,
    /// Bootstrap replicates B.
    pub replicates: usize,
    /// The seed the replicates were drawn from.
    pub seed: u64,
    /// `cif[cause][g]`: the band of CIF_cause at `grid[g]`.
    pub cif: Vec<Vec<Band>>,
    /// `survival[g]`: the band of S at `grid[g]` (the last one is the band of "none by
    /// the end").
    pub survival: Vec<Band>,
    /// Per cause: the band of the time CIF_j reaches ½.
    pub median: Vec<MedianBand>,
    /// Per cause: the band of the conditional median time.
    pub conditional_median: Vec<MedianBand>,
}

/// One replicate's statistics.
struct Replicate {
    cif: Vec<f64>,
    survival: Vec<f64>,
    median: Vec<Option<f64>>,
    conditional_median: Vec<Option<f64>>,
}

/// Resamples runs with replacement `replicates` times and gives 95 % percentile intervals
/// of each CIF_j and of S at each `grid` time, and of both median times of each cause.
///
/// Replicate b draws its runs from `block_rng(seed, RESAMPLE_CELL, b)` and the replicates
/// are reduced in order, so the result does not depend on the number of threads (replicates
/// run in parallel on the current rayon pool). Use B ≥ 1000 for a 95 % interval.
///
/// Errors: those of [`aalen_johansen`], an empty grid, a grid time that is negative or not
/// finite, a grid that is not strictly ascending, or `replicates` not in 1..=2³².
pub fn bootstrap(
    outcomes: &[Outcome],
    causes: usize,
    grid: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<RiskBands, String> {
    let estimate = aalen_johansen(outcomes, causes)?;
    validate_grid(grid)?;
    if replicates == 0 || replicates - 1 > u32::MAX as usize {
        return Err(format!(
            "replicates must be between 1 and 2^32, got {replicates}"
        ));
    }
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by(|&a, &b| outcomes[a].time.total_cmp(&outcomes[b].time));
    let sorted: Vec<Outcome> = order.iter().map(|&i| outcomes[i]).collect();
    let reps: Vec<Replicate> = (0..replicates)
        .into_par_iter()
        .map(|b| replicate(&sorted, causes, grid, seed, b as u32))
        .collect();
    let column = |value: &dyn Fn(&Replicate) -> f64| band(reps.iter().map(value).collect());
    let cif = (0..causes)
        .map(|j| {
            (0..grid.len())
                .map(|g| column(&|r| r.cif[j * grid.len() + g]))
                .collect()
        })
        .collect();
    let survival = (0..grid.len())
        .map(|g| column(&|r| r.survival[g]))
        .collect();
    let median = (0..causes)
        .map(|j| median_band(reps.iter().map(|r| r.median[j]).collect(), true))
        .collect();
    let conditional_median = (0..causes)
        .map(|j| {
            median_band(
                reps.iter().map(|r| r.conditional_median[j]).collect(),
                false,
            )
        })
        .collect();
    Ok(RiskBands {
        estimate,
        grid: grid.to_vec(),
        replicates,
        seed,
        cif,
        survival,
        median,
        conditional_median,
    })
}

fn validate_grid(grid: &[f64]) -> Result<(), String> {
    if grid.is_empty() {
        return Err("the grid of times is empty: give at least one time".into());
    }
    if let Some(t) = grid.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        return Err(format!(
            "grid time {t} is not a finite, non-negative number of steps"
        ));
    }
    if let Some(w) = grid.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!(
            "the grid must be strictly ascending, got {} then {}",
            w[0], w[1]
        ));
    }
    Ok(())
}

/// Replicate b: draw n runs with replacement (as multiplicities of the sorted runs) and
/// refit.
fn replicate(sorted: &[Outcome], causes: usize, grid: &[f64], seed: u64, b: u32) -> Replicate {
    let n = sorted.len();
    let mut rng = block_rng(seed, RESAMPLE_CELL, b);
    let mut copies = vec![0u64; n];
    for _ in 0..n {
        copies[rng.random_range(0..n)] += 1;
    }
    let fit = walk(sorted, &copies, causes);
    Replicate {
        cif: (0..causes)
            .flat_map(|j| grid.iter().map(move |&t| (j, t)))
            .map(|(j, t)| fit.cif(j, t))
            .collect(),
        survival: grid.iter().map(|&t| fit.survival(t)).collect(),
        median: (0..causes).map(|j| fit.median_time(j)).collect(),
        conditional_median: (0..causes)
            .map(|j| fit.conditional_median_time(j))
            .collect(),
    }
}

/// Indices of the 2.5 % and 97.5 % order statistics of `b` values: the ⌈qB⌉-th smallest
/// (in integer arithmetic, so B = 1000 gives the 25th and the 975th exactly).
fn percentile_indices(b: usize) -> (usize, usize) {
    ((b * 25).div_ceil(1000) - 1, (b * 975).div_ceil(1000) - 1)
}

fn band(mut values: Vec<f64>) -> Band {
    let b = values.len() as f64;
    let mean = values.iter().sum::<f64>() / b;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    let se = if values.len() > 1 {
        (ss / (b - 1.0)).sqrt()
    } else {
        0.0
    };
    values.sort_by(f64::total_cmp);
    let (lo, hi) = percentile_indices(values.len());
    Band {
        lower: values[lo],
        upper: values[hi],
        se,
    }
}

/// `never_is_late`: a missing median ranks above every time (the median time of CIF = ½);
/// otherwise missing medians are left out (the conditional median of an absent cause).
fn median_band(values: Vec<Option<f64>>, never_is_late: bool) -> MedianBand {
    let undefined = values.iter().filter(|v| v.is_none()).count();
    let mut times: Vec<f64> = if never_is_late {
        values.iter().map(|v| v.unwrap_or(f64::INFINITY)).collect()
    } else {
        values.into_iter().flatten().collect()
    };
    if times.is_empty() {
        return MedianBand {
            lower: None,
            upper: None,
            undefined,
        };
    }
    times.sort_by(f64::total_cmp);
    let (lo, hi) = percentile_indices(times.len());
    let finite = |t: f64| Some(t).filter(|t| t.is_finite());
    MedianBand {
        lower: finite(times[lo]),
        upper: finite(times[hi]),
        undefined,
    }
}
