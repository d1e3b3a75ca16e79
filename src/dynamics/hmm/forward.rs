//! The scaled forward–backward pass: ln p(run) of a model, and the E-step of Baum–Welch
//! (the pooled sufficient statistics of all runs, chunk by chunk, with a kernel per k ≤ 4).

use rayon::prelude::*;

use super::{GaussianHmm, HALF_LN_2PI, M};

/// Runs per E-step chunk; chunk statistics are added in chunk order.
const CHUNK_RUNS: usize = 32;

impl GaussianHmm {
    /// ln p(run) by the scaled forward algorithm (the sum of the log scaling factors); 0 for
    /// an empty run, −∞ if the run is impossible under the model to double precision.
    pub fn log_likelihood(&self, run: &[f64]) -> f64 {
        let mut scratch = Scratch::default();
        forward::<0>(&Prepared::new(self), run, &mut scratch)
    }
}

/// The parameters in flat, fixed-size arrays for the E-step.
pub(super) struct Prepared {
    k: usize,
    initial: [f64; M],
    pub(super) transition: [f64; M * M],
    mean: [f64; M],
    inv_sd: [f64; M],
    log_norm: [f64; M],
}

impl Prepared {
    pub(super) fn new(model: &GaussianHmm) -> Self {
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
    pub(super) fn log_density(&self, j: usize, y: f64) -> f64 {
        let z = (y - self.mean[j]) * self.inv_sd[j];
        self.log_norm[j] - 0.5 * z * z
    }
}

/// Per-record buffers of one run, reused across runs of a chunk.
#[derive(Default)]
pub(super) struct Scratch {
    /// exp(ln b_j(y_t) − max_i ln b_i(y_t)), row t.
    pub(super) emission: Vec<f64>,
    /// Scaled forward variables α̂_t(j), row t (each row sums to 1).
    pub(super) alpha: Vec<f64>,
    /// 1/c_t, the inverse scaling factor of record t.
    pub(super) inv_scale: Vec<f64>,
}

/// Pooled sufficient statistics of an E-step. `first`/`second` are Σγ·(y−μ) and Σγ·(y−μ)²
/// around the current means (less cancellation than raw moments); `flow[i·M+j]` is
/// Σ_t α̂_t(i)·b̂_j(t+1)·β̂_{t+1}(j)/c_{t+1}, the expected transitions without the factor a_ij.
#[derive(Clone)]
pub(super) struct Stats {
    pub(super) log_likelihood: f64,
    pub(super) start: [f64; M],
    pub(super) flow: [f64; M * M],
    pub(super) weight: [f64; M],
    pub(super) first: [f64; M],
    pub(super) second: [f64; M],
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
pub(super) fn e_step(runs: &[&[f64]], p: &Prepared, specialised: bool) -> Stats {
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
pub(super) fn forward<const K: usize>(p: &Prepared, run: &[f64], s: &mut Scratch) -> f64 {
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
