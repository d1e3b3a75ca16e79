//! The seed's Markov chain, fitted to trajectories of states: [g≫0] → [g∼0] as a
//! "one-way street", or k states from bins of log10 g.
//!
//! Input: one sequence of states per run (state 0 is [g≫0]; in the two-state chain,
//! state 1 is [g∼0]). The fit pools the transition counts n_ij of all runs; the maximum
//! likelihood estimate is p_ij = n_ij/n_i, each with an exact (Clopper–Pearson) 95 %
//! interval. Beside it: the stationary distribution, the likelihood-ratio test of first
//! against second order, a test of time homogeneity (the transitions before half the
//! longest run against those after, at the same absolute record time for every run), and for two states the escape probability from
//! [g∼0], the expected time to absorption, and the survival of the time to the first
//! vanish (Kaplan–Meier, runs that never vanish are censored) against the chain's
//! geometric law, with a χ² goodness-of-fit test.
//!
//! ```
//! use vanish::dynamics::markov::ChainFit;
//! // Two runs: 0 0 0 1 1 and 0 1 1 1: three transitions out of state 0, one of them to 1
//! // per run, and no escape from 1.
//! let fit = ChainFit::new(&[vec![0, 0, 0, 1, 1], vec![0, 1, 1, 1]], 2);
//! assert_eq!(fit.counts[0], [2, 2]);                   // n_00 = 2, n_01 = 2
//! assert_eq!(fit.counts[1], [0, 3]);                   // n_10 = 0, n_11 = 3
//! assert_eq!(fit.p[0][1], 0.5);
//! let esc = fit.escape().unwrap();
//! assert_eq!((esc.escapes, esc.trials), (0, 3));
//! assert!((esc.upper_95 - (1.0 - 0.05f64.powf(1.0 / 3.0))).abs() < 1e-12);
//! ```

mod likelihood_ratio;
mod order;
mod survival;

pub use likelihood_ratio::{LrTest, MIN_EXPECTED};
pub use order::OrderComparison;
pub use survival::SurvivalStep;

use crate::mc::estimate::clopper_pearson;

/// The escape from [g∼0] (state 1) of a two-state chain: the thresholds answer's "one-way street" claim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Escape {
    /// Transitions 1 → 0 seen.
    pub escapes: u64,
    /// Transitions out of state 1 seen (to either state).
    pub trials: u64,
    /// The estimate p_10.
    pub p: f64,
    /// The one-sided 95 % upper bound on p_10 (Clopper–Pearson; 1 − 0.05^{1/n} when none
    /// was seen).
    pub upper_95: f64,
}

/// The fitted chain.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainFit {
    /// Number of states.
    pub k: usize,
    /// Pooled transition counts n_ij.
    pub counts: Vec<Vec<u64>>,
    /// Maximum-likelihood transition probabilities (NaN for a state never left).
    pub p: Vec<Vec<f64>>,
    /// Clopper–Pearson 95 % intervals of each p_ij.
    pub intervals: Vec<Vec<(f64, f64)>>,
    /// Runs fitted.
    pub runs: usize,
    second_order: Vec<u64>,
    halves: [Vec<u64>; 2],
    first_vanish: Vec<Option<u64>>,
    lengths: Vec<u64>,
    empty: usize,
}

impl ChainFit {
    /// Fits a chain with `k` states to `runs` (state indices below `k`).
    pub fn new(runs: &[Vec<usize>], k: usize) -> Self {
        let mut counts = vec![vec![0u64; k]; k];
        let mut second_order = vec![0u64; k * k * k];
        let mut halves = [vec![0u64; k * k], vec![0u64; k * k]];
        let mut first_vanish = Vec::with_capacity(runs.len());
        let mut lengths = Vec::with_capacity(runs.len());
        // Early against late: transitions before and after half the longest run, in
        // absolute record time (the same split for every run, whatever its length).
        let longest = runs
            .iter()
            .map(|r| r.len().saturating_sub(1))
            .max()
            .unwrap_or(0);
        for run in runs {
            assert!(run.iter().all(|&s| s < k), "states below k");
            for (t, w) in run.windows(2).enumerate() {
                counts[w[0]][w[1]] += 1;
                let half = usize::from(2 * t >= longest);
                halves[half][w[0] * k + w[1]] += 1;
            }
            for w in run.windows(3) {
                second_order[(w[0] * k + w[1]) * k + w[2]] += 1;
            }
            // The time to the first vanish, for runs that start in state 0; a run that
            // starts elsewhere is not at risk at all (length 0 below), so it is neither a
            // vanish nor a censored run.
            let alive = run.first() == Some(&0);
            first_vanish.push(if alive {
                run.iter().position(|&s| s != 0).map(|t| t as u64)
            } else {
                None
            });
            lengths.push(if alive { run.len() as u64 } else { 0 });
        }
        let (p, intervals) = counts
            .iter()
            .map(|row| {
                let n: u64 = row.iter().sum();
                row.iter()
                    .map(|&c| {
                        if n == 0 {
                            (f64::NAN, (0.0, 1.0))
                        } else {
                            (c as f64 / n as f64, clopper_pearson(c, n, 0.05))
                        }
                    })
                    .unzip::<f64, (f64, f64), Vec<_>, Vec<_>>()
            })
            .unzip();
        ChainFit {
            k,
            counts,
            p,
            intervals,
            runs: runs.len(),
            second_order,
            halves,
            first_vanish,
            lengths,
            empty: runs.iter().filter(|r| r.is_empty()).count(),
        }
    }

    /// Transitions fitted.
    pub fn transitions(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// The stationary distribution π = π·P, Σπ = 1, solved directly (Gaussian elimination
    /// with partial pivoting on Pᵀ − I with one row replaced by Σπ = 1). `None` if a state
    /// was never left (its row of P is unknown) or if the law is not unique (a reducible
    /// chain).
    pub fn stationary(&self) -> Option<Vec<f64>> {
        if self.p.iter().flatten().any(|v| v.is_nan()) {
            return None;
        }
        let k = self.k;
        // Rows 0…k−2: (Pᵀ − I)π = 0; row k−1: Σπ = 1.
        let mut a: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                let mut row: Vec<f64> = (0..k)
                    .map(|j| self.p[j][i] - f64::from(u8::from(i == j)))
                    .collect();
                row.push(0.0);
                row
            })
            .collect();
        a[k - 1] = vec![1.0; k + 1];
        for col in 0..k {
            let pivot = (col..k).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
            if a[pivot][col].abs() < 1e-12 {
                return None;
            }
            a.swap(col, pivot);
            let pivot_row = a[col].clone();
            for (r, row) in a.iter_mut().enumerate() {
                if r != col {
                    let f = row[col] / pivot_row[col];
                    for (x, &p) in row.iter_mut().zip(&pivot_row).skip(col) {
                        *x -= f * p;
                    }
                }
            }
        }
        Some((0..k).map(|i| (a[i][k] / a[i][i]).max(0.0)).collect())
    }

    /// The escape from state 1 of a two-state chain (`None` for k ≠ 2 or if state 1 was
    /// never left).
    pub fn escape(&self) -> Option<Escape> {
        if self.k != 2 {
            return None;
        }
        let (escapes, stays) = (self.counts[1][0], self.counts[1][1]);
        let trials = escapes + stays;
        if trials == 0 {
            return None;
        }
        let upper_95 = if escapes == 0 {
            1.0 - 0.05f64.powf(1.0 / trials as f64)
        } else {
            clopper_pearson(escapes, trials, 0.10).1
        };
        Some(Escape {
            escapes,
            trials,
            p: escapes as f64 / trials as f64,
            upper_95,
        })
    }

    /// The expected number of records from [g≫0] to the first [g∼0], 1/p01, with the 95 %
    /// interval from that of p01 (two states only).
    pub fn time_to_absorption(&self) -> Option<(f64, (f64, f64))> {
        if self.k != 2 || self.p[0][1].is_nan() {
            return None;
        }
        let (lo, hi) = self.intervals[0][1];
        Some((1.0 / self.p[0][1], (1.0 / hi, 1.0 / lo)))
    }
}
