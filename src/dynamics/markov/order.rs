//! First- against second-order chains on held-out runs.

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
