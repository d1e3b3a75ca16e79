//! Decoding a run: the Viterbi path and the smoothed state probabilities, and the
//! summaries of state paths (occupancy, first passage) for posterior-predictive checks.

use super::forward::{Prepared, Scratch, forward};
use super::{GaussianHmm, M};

impl GaussianHmm {
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
