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

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::mc::estimate::clopper_pearson;

/// A likelihood-ratio (G) test: statistic, degrees of freedom and p-value (χ² approximation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrTest {
    /// G = 2·Σ n·ln(observed/expected).
    pub statistic: f64,
    /// Degrees of freedom (structural zeros removed).
    pub df: u64,
    /// P(χ²_df ≥ G); 1 when df = 0 (nothing to test).
    pub p_value: f64,
    /// The smallest expected count of a cell that enters the test (∞ when none does).
    pub min_expected: f64,
}

/// Cochran's rule: the χ² approximation of G is trusted when every expected count is at
/// least this.
pub const MIN_EXPECTED: f64 = 5.0;

impl LrTest {
    /// Whether every expected count is at least [`MIN_EXPECTED`], so that the χ²
    /// approximation of the p-value can be trusted (sparse chains fail this: then the
    /// p-value is only indicative).
    pub fn chi2_reliable(&self) -> bool {
        self.min_expected >= MIN_EXPECTED
    }

    fn new(statistic: f64, df: u64, min_expected: f64) -> Self {
        let p_value = if df == 0 {
            1.0
        } else {
            ChiSquared::new(df as f64)
                .expect("df > 0")
                .sf(statistic.max(0.0))
        };
        LrTest {
            statistic,
            df,
            p_value,
            min_expected,
        }
    }
}

/// The escape from [g∼0] (state 1) of a two-state chain: the seed's "one-way street" claim.
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

/// One step of the survival curve of the time to the first vanish (in records).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalStep {
    /// Records after the start (the first vanish at record t has time t).
    pub t: u64,
    /// Runs still alive (not vanished, not censored) just before t.
    pub at_risk: u64,
    /// First vanishes at t.
    pub events: u64,
    /// Kaplan–Meier survival just after t.
    pub survival: f64,
    /// The fitted geometric law's survival (1 − p01)^t.
    pub geometric: f64,
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

    /// The likelihood-ratio test of a first-order chain against a second-order one: for
    /// each middle state i, the (previous h × next j) table of the triples (h, i, j).
    pub fn order_test(&self) -> LrTest {
        let k = self.k;
        let (mut g, mut df, mut low) = (0.0, 0u64, f64::INFINITY);
        for i in 0..k {
            let table: Vec<Vec<u64>> = (0..k)
                .map(|h| {
                    (0..k)
                        .map(|j| self.second_order[(h * k + i) * k + j])
                        .collect()
                })
                .collect();
            let (gi, dfi, lowi) = independence(&table);
            g += gi;
            df += dfi;
            low = low.min(lowi);
        }
        LrTest::new(g, df, low)
    }

    /// The test of time homogeneity: for each state i, the (half × next j) table of the
    /// transitions out of i in the first and the second half of each run.
    pub fn homogeneity_test(&self) -> LrTest {
        let k = self.k;
        let (mut g, mut df, mut low) = (0.0, 0u64, f64::INFINITY);
        for i in 0..k {
            let table: Vec<Vec<u64>> = self
                .halves
                .iter()
                .map(|h| (0..k).map(|j| h[i * k + j]).collect())
                .collect();
            let (gi, dfi, lowi) = independence(&table);
            g += gi;
            df += dfi;
            low = low.min(lowi);
        }
        LrTest::new(g, df, low)
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

    /// Times to the first vanish (records after a start in state 0) of the runs that
    /// vanished.
    pub fn first_vanish_times(&self) -> impl Iterator<Item = u64> + '_ {
        self.first_vanish.iter().flatten().copied()
    }

    /// Runs that did not start in state 0 (left out of the first-vanish statistics); runs
    /// without a record are not counted.
    pub fn started_elsewhere(&self) -> usize {
        self.lengths.iter().filter(|&&len| len == 0).count() - self.empty
    }

    /// Runs that started in state 0 and never left it (censored at their last record).
    pub fn never_vanished(&self) -> usize {
        self.first_vanish
            .iter()
            .zip(&self.lengths)
            .filter(|(f, len)| f.is_none() && **len > 0)
            .count()
    }

    /// The Kaplan–Meier survival of the time to the first vanish beside the geometric law
    /// of the fitted chain, at every time with an event or a censoring.
    pub fn survival(&self) -> Vec<SurvivalStep> {
        let q = 1.0 - self.p[0].get(1).copied().unwrap_or(f64::NAN);
        // (time, vanished?) per run that starts in state 0; censored at its last record.
        let mut obs: Vec<(u64, bool)> = Vec::new();
        for (f, &len) in self.first_vanish.iter().zip(&self.lengths) {
            match f {
                Some(t) => obs.push((*t, true)),
                None if len > 0 => obs.push((len - 1, false)),
                None => {}
            }
        }
        obs.sort_unstable();
        let mut at_risk = obs.len() as u64;
        let mut survival = 1.0;
        let mut out = Vec::new();
        let mut i = 0;
        while i < obs.len() {
            let t = obs[i].0;
            let (mut events, mut censored) = (0, 0);
            while i < obs.len() && obs[i].0 == t {
                if obs[i].1 {
                    events += 1;
                } else {
                    censored += 1;
                }
                i += 1;
            }
            if at_risk > 0 {
                survival *= 1.0 - events as f64 / at_risk as f64;
            }
            out.push(SurvivalStep {
                t,
                at_risk,
                events,
                survival,
                geometric: q.powf(t as f64),
            });
            at_risk -= events + censored;
        }
        out
    }

    /// χ² goodness of fit of the first-vanish times to the chain's geometric law
    /// P(T = t) = (1−p01)^{t−1}·p01, censoring included: at each time t the runs at risk
    /// vanish with probability p01, so a group of times has E = Σ at-risk·p01 expected
    /// events with variance E·(1−p01); times are pooled from t = 1 on until each group
    /// expects ≥ 5, and χ² = Σ (O−E)²/(E(1−p01)) with df = groups − 1 (`None` with fewer
    /// than 2 groups). In simulation (4000 chains per setting) its size was 0.041–0.057 at
    /// a nominal 0.05; with df = groups − 2 and E alone in the denominator it rejected up
    /// to twice too often.
    pub fn geometric_fit(&self) -> Option<LrTest> {
        if self.k != 2 || self.p[0][1].is_nan() {
            return None;
        }
        let p = self.p[0][1];
        // Hazard per time: at each t ≥ 1 every run at risk vanishes with probability p.
        let mut groups: Vec<(f64, f64)> = Vec::new(); // (observed, expected)
        let (mut o, mut e) = (0.0, 0.0);
        for step in self.survival_by_time() {
            o += step.1 as f64;
            e += step.0 as f64 * p;
            if e >= 5.0 {
                groups.push((o, e));
                o = 0.0;
                e = 0.0;
            }
        }
        if e > 0.0 {
            match groups.last_mut() {
                Some(last) => {
                    last.0 += o;
                    last.1 += e;
                }
                None => groups.push((o, e)),
            }
        }
        if groups.len() < 2 || p >= 1.0 {
            return None;
        }
        let chi2: f64 = groups
            .iter()
            .map(|(o, e)| (o - e).powi(2) / (e * (1.0 - p)))
            .sum();
        let low = groups.iter().map(|g| g.1).fold(f64::INFINITY, f64::min);
        Some(LrTest::new(chi2, groups.len() as u64 - 1, low))
    }

    /// (at risk, events) at every time t = 1, 2, … up to the longest run.
    fn survival_by_time(&self) -> Vec<(u64, u64)> {
        let horizon = self.lengths.iter().copied().max().unwrap_or(0);
        let mut events = vec![0u64; horizon as usize + 1];
        let mut exits = vec![0u64; horizon as usize + 2];
        let mut starts = 0u64;
        for (f, &len) in self.first_vanish.iter().zip(&self.lengths) {
            match f {
                Some(t) => {
                    events[*t as usize] += 1;
                    exits[*t as usize + 1] += 1;
                    starts += 1;
                }
                None if len > 0 => {
                    // At risk at times 1 … len−1.
                    exits[len as usize] += 1;
                    starts += 1;
                }
                None => {}
            }
        }
        let mut at_risk = starts;
        (1..horizon as usize)
            .map(|t| {
                at_risk -= exits[t];
                (at_risk, events[t])
            })
            .collect()
    }
}

/// First- against second-order chains on held-out runs: each model is fitted to the runs
/// outside a fold (run i is in fold i mod `folds`) and scores the transitions of the runs in
/// it; both score the same transitions (from a run's third state on), with the
/// probabilities' add-½ (Jeffreys) estimate so that a transition unseen in training has a
/// finite log-likelihood.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderComparison {
    /// Held-out log-likelihood of the first-order chain.
    pub first: f64,
    /// Held-out log-likelihood of the second-order chain.
    pub second: f64,
    /// second − first, and the standard error of that sum from the per-run differences.
    pub margin: (f64, f64),
    /// BIC of each, fitted to all runs: −2·LL + parameters·ln(transitions scored).
    pub bic: (f64, f64),
    /// Transitions scored.
    pub transitions: u64,
}

impl OrderComparison {
    /// Compares the orders on `runs` (states below `k`) with `folds` folds by run; `None`
    /// with fewer than 2·folds runs or nothing to score.
    ///
    /// ```
    /// use vanish::dynamics::markov::OrderComparison;
    /// // The next state repeats the one before the current one: second order wins.
    /// let runs: Vec<Vec<usize>> = (0..20).map(|r| (0..50).map(|t| (t / 2 + r) % 2).collect()).collect();
    /// let c = OrderComparison::new(&runs, 2, 5).unwrap();
    /// assert!(c.second > c.first);
    /// ```
    pub fn new(runs: &[Vec<usize>], k: usize, folds: usize) -> Option<Self> {
        if folds < 2 || runs.len() < 2 * folds {
            return None;
        }
        // Counts of (h, i, j) triples: the second order's table; summed over h, the first's.
        let triples = |pick: &dyn Fn(usize) -> bool| {
            let mut c = vec![0u64; k * k * k];
            for (_, run) in runs.iter().enumerate().filter(|(r, _)| pick(*r)) {
                for w in run.windows(3) {
                    c[(w[0] * k + w[1]) * k + w[2]] += 1;
                }
            }
            c
        };
        let probabilities = |c: &[u64]| {
            let second: Vec<f64> = (0..k * k)
                .flat_map(|hi| {
                    let row = &c[hi * k..(hi + 1) * k];
                    let n: u64 = row.iter().sum();
                    row.iter()
                        .map(move |&x| (x as f64 + 0.5) / (n as f64 + 0.5 * k as f64))
                })
                .collect();
            let first: Vec<f64> = (0..k * k)
                .map(|ij| {
                    let (i, j) = (ij / k, ij % k);
                    let x: u64 = (0..k).map(|h| c[(h * k + i) * k + j]).sum();
                    let n: u64 = (0..k)
                        .map(|h| c[(h * k + i) * k..(h * k + i + 1) * k].iter().sum::<u64>())
                        .sum();
                    (x as f64 + 0.5) / (n as f64 + 0.5 * k as f64)
                })
                .collect();
            (first, second)
        };
        let score = |run: &[usize], first: &[f64], second: &[f64]| {
            let (mut a, mut b) = (0.0, 0.0);
            for w in run.windows(3) {
                a += first[w[1] * k + w[2]].ln();
                b += second[(w[0] * k + w[1]) * k + w[2]].ln();
            }
            (a, b)
        };
        let mut per_run = vec![(0.0, 0.0); runs.len()];
        for f in 0..folds {
            let (first, second) = probabilities(&triples(&|r| r % folds != f));
            for (r, run) in runs.iter().enumerate().filter(|(r, _)| r % folds == f) {
                per_run[r] = score(run, &first, &second);
            }
        }
        let transitions: u64 = runs.iter().map(|r| r.len().saturating_sub(2) as u64).sum();
        if transitions == 0 {
            return None;
        }
        let first: f64 = per_run.iter().map(|p| p.0).sum();
        let second: f64 = per_run.iter().map(|p| p.1).sum();
        let diffs: Vec<f64> = per_run.iter().map(|p| p.1 - p.0).collect();
        let n = diffs.len() as f64;
        let mean = diffs.iter().sum::<f64>() / n;
        let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let (f_all, s_all) = probabilities(&triples(&|_| true));
        let (ll1, ll2) = runs.iter().fold((0.0, 0.0), |acc, run| {
            let (a, b) = score(run, &f_all, &s_all);
            (acc.0 + a, acc.1 + b)
        });
        let ln_n = (transitions as f64).ln();
        Some(OrderComparison {
            first,
            second,
            margin: (second - first, (n * var).sqrt()),
            bic: (
                -2.0 * ll1 + (k * (k - 1)) as f64 * ln_n,
                -2.0 * ll2 + (k * k * (k - 1)) as f64 * ln_n,
            ),
            transitions,
        })
    }
}

/// The G statistic of independence of a contingency table, its degrees of freedom and the
/// smallest expected count of a cell that enters it (∞ when df = 0), with empty rows and
/// columns removed.
fn independence(table: &[Vec<u64>]) -> (f64, u64, f64) {
    let rows: Vec<u64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..table.first().map_or(0, Vec::len))
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let total: u64 = rows.iter().sum();
    if total == 0 {
        return (0.0, 0, f64::INFINITY);
    }
    let mut g = 0.0;
    let mut low = f64::INFINITY;
    for (i, r) in table.iter().enumerate() {
        for (j, &n) in r.iter().enumerate() {
            let expected = rows[i] as f64 * cols[j] as f64 / total as f64;
            if expected > 0.0 {
                low = low.min(expected);
            }
            if n > 0 {
                g += 2.0 * n as f64 * (n as f64 / expected).ln();
            }
        }
    }
    let nonzero = |v: &[u64]| v.iter().filter(|&&x| x > 0).count() as u64;
    let df = nonzero(&rows).saturating_sub(1) * nonzero(&cols).saturating_sub(1);
    (g, df, if df == 0 { f64::INFINITY } else { low })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survival_counts_runs_at_risk_and_censored() {
        // Vanish at 1, at 2, never (length 4): KM 2/3 after t = 1, 1/3 after t = 2.
        let fit = ChainFit::new(&[vec![0, 1], vec![0, 0, 1], vec![0, 0, 0, 0]], 2);
        let s = fit.survival();
        assert_eq!((s[0].t, s[0].at_risk, s[0].events), (1, 3, 1));
        assert!((s[0].survival - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!((s[1].t, s[1].at_risk, s[1].events), (2, 2, 1));
        assert!((s[1].survival - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!((s[2].t, s[2].at_risk, s[2].events), (3, 1, 0));
        assert_eq!(fit.survival_by_time(), vec![(3, 1), (2, 1), (1, 0)]);
        assert_eq!(fit.never_vanished(), 1);
    }

    #[test]
    fn independence_of_a_proportional_table_is_zero() {
        let (g, df, low) = independence(&[vec![10, 20], vec![30, 60]]);
        assert!(g.abs() < 1e-12 && df == 1 && (low - 10.0).abs() < 1e-12);
        let (_, df, _) = independence(&[vec![10, 0], vec![30, 0]]);
        assert_eq!(df, 0);
    }
}
