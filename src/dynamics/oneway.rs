//! The one-way-street verdict: a stated rule applied to the escape probability from [g∼0]
//! with its uncertainty, never a count.
//!
//! The quantity is p10, the probability per record that a run in [g∼0] returns to [g≫0]
//! across the whole hysteresis band ([`crate::dynamics::states`]). Its 95 % interval is the union of
//! two: the exact Clopper–Pearson interval of the pooled transitions (valid if records were
//! independent) and the percentile interval of p10 over replicates that resample whole runs
//! (runs are the independent units; records within a run are not). The union is never
//! narrower than either.
//!
//! The rule, with a tolerance τ per record (default [`DEFAULT_TOLERANCE`]):
//! 1. *inconclusive* when fewer than [`MIN_CROSSINGS`] runs moved across the whole band
//!    downward (from beyond the leave threshold into [g∼0]): the data cannot show whether
//!    a gain that does not move would come back; or when no run was ever in [g∼0];
//! 2. *one-way* when the upper end of the interval is below τ;
//! 3. *not one-way* when its lower end is above τ;
//! 4. *inconclusive* otherwise (the interval straddles τ).
//!
//! ```
//! use vanish::dynamics::oneway::{one_way, Verdict};
//! use vanish::dynamics::markov::ChainFit;
//! // 40 runs that fall from alive to vanished at record 2 and stay for 200 records.
//! let runs: Vec<Vec<usize>> = (0..40).map(|_| [vec![0, 0], vec![1; 200]].concat()).collect();
//! let t = one_way(&ChainFit::new(&runs, 2), &runs, 40, 1e-3, 200, 1);
//! assert_eq!(t.verdict, Verdict::OneWay);
//! assert!(t.interval.1 < 1e-3);
//! ```

use crate::dynamics::markov::ChainFit;
use crate::mc::rng::block_rng;

/// The default tolerance τ on the escape probability per record.
pub const DEFAULT_TOLERANCE: f64 = 1e-3;
/// Runs that must cross the band downward before the escape can be judged.
pub const MIN_CROSSINGS: usize = 5;
/// The stream cell of the run-resampling replicates (block = replicate).
pub use crate::mc::rng::streams::ONE_WAY_RESAMPLE as RESAMPLE_CELL;

/// The three verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Escapes are rarer than the tolerance, at 95 %.
    OneWay,
    /// Escapes are more frequent than the tolerance, at 95 %.
    NotOneWay,
    /// The data cannot tell.
    Inconclusive,
}

impl Verdict {
    /// `one-way`, `not one-way` or `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::OneWay => "one-way",
            Verdict::NotOneWay => "not one-way",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// The verdict with the numbers it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct OneWayTest {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in one sentence with the numbers.
    pub reason: String,
    /// The rule, in words.
    pub rule: String,
    /// τ per record.
    pub tolerance: f64,
    /// Escapes and transitions out of [g∼0].
    pub escapes: u64,
    /// Transitions out of [g∼0].
    pub trials: u64,
    /// The estimate of p10 (NaN without trials).
    pub p: f64,
    /// The 95 % interval the rule uses: the union of `exact` and `resampled`.
    pub interval: (f64, f64),
    /// Clopper–Pearson 95 % (two-sided) of the pooled transitions.
    pub exact: (f64, f64),
    /// 2.5 % and 97.5 % percentiles of p10 over run-resampled replicates.
    pub resampled: Option<(f64, f64)>,
    /// Replicates drawn.
    pub replicates: usize,
    /// Runs that crossed the whole band downward.
    pub crossings: usize,
    /// Runs with at least one record in [g∼0] that was followed by another record.
    pub runs_exposed: usize,
}

/// The percentile interval of p10 over `replicates` resamplings of whole runs (`None` if no
/// replicate had a transition out of state 1). Replicate b draws from its own stream, so
/// the result is a pure function of the runs and the seed.
pub fn resampled_escape(runs: &[Vec<usize>], replicates: usize, seed: u64) -> Option<(f64, f64)> {
    use rand::RngExt;
    let per_run: Vec<(u64, u64)> = runs
        .iter()
        .map(|r| {
            let mut c = (0, 0);
            for w in r.windows(2).filter(|w| w[0] == 1) {
                if w[1] == 0 {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
            c
        })
        .collect();
    if runs.is_empty() {
        return None;
    }
    let mut ps: Vec<f64> = (0..replicates)
        .filter_map(|b| {
            let mut rng = block_rng(seed, RESAMPLE_CELL, u32::try_from(b).unwrap_or(u32::MAX));
            let (mut e, mut s) = (0u64, 0u64);
            for _ in 0..runs.len() {
                let (re, rs) = per_run[rng.random_range(0..runs.len())];
                e += re;
                s += rs;
            }
            (e + s > 0).then(|| e as f64 / (e + s) as f64)
        })
        .collect();
    if ps.is_empty() {
        return None;
    }
    ps.sort_by(f64::total_cmp);
    let at = |q: f64| ps[((q * (ps.len() - 1) as f64).round() as usize).min(ps.len() - 1)];
    Some((at(0.025), at(0.975)))
}

/// The verdict on the chain fitted to `runs` (state 1 = [g∼0]), of which `crossings`
/// crossed the band downward.
pub fn one_way(
    fit: &ChainFit,
    runs: &[Vec<usize>],
    crossings: usize,
    tolerance: f64,
    replicates: usize,
    seed: u64,
) -> OneWayTest {
    let escapes = fit.counts.get(1).map_or(0, |r| r[0]);
    let trials = fit
        .counts
        .get(1)
        .map_or(0, |r| r[0] + r.get(1).copied().unwrap_or(0));
    let exact = if trials == 0 {
        (0.0, 1.0)
    } else {
        crate::mc::estimate::clopper_pearson(escapes, trials, 0.05)
    };
    let resampled = resampled_escape(runs, replicates, seed);
    let interval = match resampled {
        Some((lo, hi)) => (exact.0.min(lo), exact.1.max(hi)),
        None => exact,
    };
    let runs_exposed = runs
        .iter()
        .filter(|r| r.windows(2).any(|w| w[0] == 1))
        .count();
    let p = if trials == 0 {
        f64::NAN
    } else {
        escapes as f64 / trials as f64
    };
    let g = |v: f64| format!("{v:.3e}");
    let (verdict, reason) = if trials == 0 {
        (
            Verdict::Inconclusive,
            "no run was followed in [g∼0], so no escape could be seen".to_string(),
        )
    } else if crossings < MIN_CROSSINGS {
        (
            Verdict::Inconclusive,
            format!(
                "only {crossings} run(s) moved across the whole band into [g∼0] (the rule needs \
                 {MIN_CROSSINGS}): the gain hardly moves, so the data cannot show whether it \
                 would come back"
            ),
        )
    } else if interval.1 < tolerance {
        (
            Verdict::OneWay,
            format!(
                "{escapes} escapes in {trials} records in [g∼0]; p10 < {} (95 %) is below τ = {}",
                g(interval.1),
                g(tolerance)
            ),
        )
    } else if interval.0 > tolerance {
        (
            Verdict::NotOneWay,
            format!(
                "{escapes} escapes in {trials} records in [g∼0]; p10 > {} (95 %) is above τ = {}",
                g(interval.0),
                g(tolerance)
            ),
        )
    } else {
        (
            Verdict::Inconclusive,
            format!(
                "{escapes} escapes in {trials} records in [g∼0]; the 95 % interval [{}, {}] of \
                 p10 contains τ = {}",
                g(interval.0),
                g(interval.1),
                g(tolerance)
            ),
        )
    };
    OneWayTest {
        verdict,
        reason,
        rule: format!(
            "one-way if the 95 % upper bound of p10 (escapes across the band per record in \
             [g∼0]; exact ∪ run-resampled interval) is below τ = {}; not one-way if its lower \
             bound is above τ; inconclusive otherwise, or when fewer than {MIN_CROSSINGS} runs \
             crossed the band downward",
            g(tolerance)
        ),
        tolerance,
        escapes,
        trials,
        p,
        interval,
        exact,
        resampled,
        replicates,
        crossings,
        runs_exposed,
    }
}
