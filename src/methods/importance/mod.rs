//! Importance sampling of the rare side of ln g = Σ Y_i under the saddlepoint tilt.
//!
//! Each x is drawn from q(x) ∝ f'(x)^θ p(x) = e^{θY(x)} p(x), with θ the saddlepoint of the
//! threshold s, and every sample of K factors is weighted by the likelihood ratio
//! Π p/q = e^{K·κ(θ) − θ·S}. The estimate is the mean of weight × indicator and its
//! standard error is the weighted samples' own. On the rare side the weight is at most
//! e^{K·κ(θ) − θ·s}: the estimator is bounded.
//!
//! q is sampled by rejection from an [`envelope::Envelope`] (proved to dominate in its unit
//! tests) on the fast kernel's generators and arithmetic ([`draw`]). Both tails work for
//! normal, laplace, logistic and uniform x, point masses and mixtures of them; Student's t
//! only above its mean (no tilt below 0 exists).
//!
//! Blocks of [`BLOCK`] samples draw from their own streams and are summed in block order,
//! so a result is a pure function of (seed, flags) for any thread count; a [`Budget`] with a
//! relative-error target adds blocks in rounds (1, 2, 4, … blocks in all) until the target
//! is met or the sample cap is reached.

pub mod draw;
pub mod envelope;

use rayon::prelude::*;

use crate::mc::fast::xoshiro::Streams;
use crate::mc::rng::block_rng;
/// Stream cells of the sampler, apart from the Monte Carlo cell 0.
use crate::mc::rng::streams::{IMPORTANCE_LOWER as CELL_LOWER, IMPORTANCE_UPPER as CELL_UPPER};
use crate::methods::law::Probability;
use crate::methods::saddle::Cgf;
use crate::model::distribution::PreActivation;
use draw::Sampler;
use envelope::Envelope;

/// Samples per block of the importance sampler (each block has its own stream).
pub const BLOCK: u64 = 4096;

/// How many samples to draw: `samples` is a hard cap; with a `rel_err` target the sampler
/// stops at the first round of blocks (1, 2, 4, … blocks of [`BLOCK`] in all) whose relative
/// standard error is at most `rel_err`, else at the cap.
///
/// ```
/// use vanish::methods::importance::Budget;
/// assert_eq!(Budget::fixed(1000), Budget { samples: 1000, rel_err: None });
/// assert!(Budget::check_rel_err(0.01).is_ok());
/// assert!(Budget::check_rel_err(0.0).unwrap_err().contains("0 < REL < 1"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The most samples drawn (all of them without a target).
    pub samples: u64,
    /// The relative standard error to stop at, in (0, 1).
    pub rel_err: Option<f64>,
}

impl Budget {
    /// Exactly `samples` samples.
    pub fn fixed(samples: u64) -> Self {
        Budget {
            samples,
            rel_err: None,
        }
    }

    /// Refuses a target outside 0 < REL < 1 (or not finite), with what is allowed.
    pub fn check_rel_err(rel_err: f64) -> Result<(), String> {
        if rel_err.is_finite() && rel_err > 0.0 && rel_err < 1.0 {
            Ok(())
        } else {
            Err(format!(
                "must be a relative standard error with 0 < REL < 1 (e.g. 0.01), got {rel_err}"
            ))
        }
    }
}

/// An importance-sampling tail with the log of its rare side: the estimate is
/// e^{Kκ(θ) − θs}·mean(w), so its log10 is known even where the probability is below the
/// range of f64 (P(explode) at K = 10⁴ is near 10^-1000).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogTail {
    /// The probability as f64 (`error` is its standard error).
    pub probability: Probability,
    /// log10 of the rare side's estimate (−∞ when no sample hit it).
    pub log10_rare: f64,
    /// Whether the rare side is the complement (1 − p) rather than p.
    pub rare_is_complement: bool,
    /// The rare side's standard error over its estimate (NaN when it is 0).
    pub relative_error: f64,
    /// The samples drawn (0 when the answer is exact: beyond the cap).
    pub samples: u64,
    /// Whether the budget's relative-error target was met (`None` without a target).
    pub rel_err_met: Option<bool>,
    /// The 95 % interval of the rare side over its estimate, (lower, upper): the normal
    /// interval corrected for the weights' skewness ([`skew_corrected_ci95`]); it holds
    /// below the range of f64 too (multiply, or add the log10s). (1, 1) where the answer is
    /// exact, NaN where no sample hit.
    pub ci95_factors: (f64, f64),
}

/// z of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// The 95 % interval of a mean over its estimate, corrected for skewness (Johnson 1978):
/// the studentised mean T = (x̄ − μ)/se has P(T ≤ t) ≈ Φ(t) + γ(2t² + 1)φ(t)/(6√N), so its
/// quantiles are ±z − γ(2z² + 1)/(6√N), and μ lies in [x̄ − se·q₉₇.₅, x̄ − se·q₂.₅]. The
/// weights of the rare side are right-skewed (half are 0, most of the rest small, a few
/// near their bound), so a low estimate comes with a low standard error and the plain
/// normal interval misses from below about twice as often as from above (39 against 21
/// of 1000 seeds at P(explode) = 7.4e-15 with 4096 samples). The shift is capped at z/2.
///
/// ```
/// use vanish::methods::importance::skew_corrected_ci95;
/// let (lo, hi) = skew_corrected_ci95(0.1, 0.0, 1000);
/// assert!((lo - (1.0 - 0.196)).abs() < 1e-3 && (hi - (1.0 + 0.196)).abs() < 1e-3);
/// let (lo, hi) = skew_corrected_ci95(0.1, 5.0, 1000);
/// assert!(hi - 1.0 > 1.0 - lo);          // right skew: the upper side is the longer one
/// ```
pub fn skew_corrected_ci95(relative_error: f64, skewness: f64, samples: u64) -> (f64, f64) {
    let c = skewness / (6.0 * (samples as f64).sqrt());
    let shift = (c * (2.0 * Z95 * Z95 + 1.0)).clamp(-0.5 * Z95, 0.5 * Z95);
    (
        (1.0 - relative_error * (Z95 - shift)).max(0.0),
        1.0 + relative_error * (Z95 + shift),
    )
}

/// P(Σ Y < s) (lower) or P(Σ Y > s) by importance sampling with `samples` samples of
/// `depth` factors; `None` where the tilt cannot be sampled. The result's `error` is the
/// standard error. Deterministic: blocks of 4096 samples with their own streams, summed
/// in block order.
///
/// ```
/// use vanish::methods::{importance, saddle::Cgf};
/// use vanish::model::activation::Activation;
/// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
/// let d = "normal(0,1)".parse().unwrap();
/// let cgf = Cgf::new(&f, &d).unwrap();
/// // P(g > 10⁶) at K = 50 is 7.36e-15.
/// let p = importance::tail(&cgf, &d, 50, 1e6f64.ln(), false, 20_000, 1).unwrap();
/// assert!((p.p - 7.36e-15).abs() < 5.0 * p.error && p.error < 0.03 * p.p);
/// ```
pub fn tail(
    cgf: &Cgf,
    dist: &PreActivation,
    depth: u32,
    s: f64,
    lower: bool,
    samples: u64,
    seed: u64,
) -> Option<Probability> {
    log_tail(
        cgf,
        dist,
        depth,
        s,
        lower,
        Budget::fixed(samples),
        seed,
        &|_| {},
    )
    .map(|t| t.probability)
}

/// [`tail`] under a [`Budget`], with log10 of its rare side ([`LogTail`]), for probabilities
/// below the range of f64, telling `on_block` the samples of each finished block (for a
/// progress bar). The calls add up to `budget.samples`: what a relative-error target
/// leaves undrawn, and everything when nothing is sampled, is told at the end.
#[allow(clippy::too_many_arguments)]
pub fn log_tail(
    cgf: &Cgf,
    dist: &PreActivation,
    depth: u32,
    s: f64,
    lower: bool,
    budget: Budget,
    seed: u64,
    on_block: &(dyn Fn(u64) + Sync),
) -> Option<LogTail> {
    let Some(tilt) = Tilt::new(cgf, dist, depth, s, lower) else {
        on_block(budget.samples);
        return None;
    };
    tilt.sample(budget, seed, on_block)
}

/// One tail ready to sample: the saddlepoint tilt θ of the threshold, its envelope and
/// the constants of ln f' (finding θ takes quadrature; sampling many seeds reuses it).
///
/// ```
/// use vanish::methods::{importance::{Budget, Tilt}, saddle::Cgf};
/// use vanish::model::activation::Activation;
/// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
/// let d = "laplace(0,0.2)".parse().unwrap();
/// let cgf = Cgf::new(&f, &d).unwrap();
/// let tilt = Tilt::new(&cgf, &d, 50, 1e-6f64.ln(), true).unwrap();   // P(g < 1e-6)
/// let (a, b) = (tilt.sample(Budget::fixed(4096), 1, &|_| {}).unwrap(),
///               tilt.sample(Budget::fixed(4096), 2, &|_| {}).unwrap());
/// assert!((a.probability.p - 5.43e-11).abs() < 5.0 * a.probability.error);
/// assert_ne!(a.probability.p, b.probability.p);
/// ```
#[derive(Debug, Clone)]
pub struct Tilt {
    /// The envelope (`None` beyond the cap, where the answer is exact).
    env: Option<Envelope>,
    n: f64,
    cap: f64,
    depth: u32,
    s: f64,
    lower: bool,
    theta: f64,
    /// K·κ(θ) − θ·s: the log of the weights' bound.
    ln_scale: f64,
    rare_is_lower: bool,
}

impl Tilt {
    /// The tilt for P(Σ Y < s) (lower) or P(Σ Y > s) over `depth` factors, or `None` where
    /// it cannot be found or sampled (Student's t below its mean, a tilt beyond κ's domain).
    pub fn new(cgf: &Cgf, dist: &PreActivation, depth: u32, s: f64, lower: bool) -> Option<Tilt> {
        let k = f64::from(depth);
        let (n, cap) = cgf.slope_and_cap();
        let mut tilt = Tilt {
            env: None,
            n,
            cap,
            depth,
            s,
            lower,
            theta: 0.0,
            ln_scale: 0.0,
            rare_is_lower: !lower,
        };
        if s >= k * cap {
            return Some(tilt); // beyond the cap: certain (lower) or impossible, exactly
        }
        let (theta, m) = cgf.saddlepoint(k, s)?;
        tilt.env = Some(Envelope::new(dist, theta, n)?);
        tilt.theta = theta;
        tilt.ln_scale = k * m.kappa - theta * s;
        // The tilt puts the threshold at the centre: the event and its complement are about
        // equally likely under q, so estimate whichever side is rare under p.
        tilt.rare_is_lower = s < cgf.at(0.0)?.mean * k;
        Some(tilt)
    }

    /// The tail from seed `seed` under `budget` (see [`log_tail`] for `on_block`), or
    /// `None` when the envelope keeps rejecting.
    pub fn sample(
        &self,
        budget: Budget,
        seed: u64,
        on_block: &(dyn Fn(u64) + Sync),
    ) -> Option<LogTail> {
        let (sampled, told) = self.sampled(budget, seed, on_block);
        if told < budget.samples {
            on_block(budget.samples - told);
        }
        sampled
    }

    /// [`Tilt::sample`]'s work: the tail, and how many samples `on_block` was told of.
    fn sampled(
        &self,
        budget: Budget,
        seed: u64,
        on_block: &(dyn Fn(u64) + Sync),
    ) -> (Option<LogTail>, u64) {
        let Some(env) = &self.env else {
            let (p, complement) = if self.lower { (1.0, 0.0) } else { (0.0, 1.0) };
            let exact = LogTail {
                probability: Probability {
                    p,
                    complement,
                    error: 0.0,
                },
                log10_rare: f64::NEG_INFINITY,
                rare_is_complement: self.lower,
                relative_error: f64::NAN,
                samples: 0,
                rel_err_met: budget.rel_err.map(|_| true),
                ci95_factors: (1.0, 1.0),
            };
            return (Some(exact), 0);
        };
        let cell = if self.rare_is_lower {
            CELL_LOWER
        } else {
            CELL_UPPER
        };
        let blocks = budget.samples.div_ceil(BLOCK);
        let mut sums = Sums::default();
        let mut done = 0;
        let mut met = None;
        while done < blocks {
            // Rounds double the blocks drawn; without a target, one round of all of them.
            let until = match budget.rel_err {
                Some(_) => (2 * done).max(1).min(blocks),
                None => blocks,
            };
            let round: Vec<Option<Sums>> = (done..until)
                .into_par_iter()
                .map(|b| {
                    let len = BLOCK.min(budget.samples - b * BLOCK);
                    let sums = self.block(env, seed, cell, b, len)?;
                    on_block(len);
                    Some(sums)
                })
                .collect();
            for block in round {
                let Some(block) = block else {
                    return (None, sums.samples);
                };
                sums.add(&block);
            }
            done = until;
            if let Some(target) = budget.rel_err {
                let rel = sums.relative_error();
                met = Some(rel <= target);
                if rel <= target {
                    break;
                }
            }
        }
        (Some(self.finish(&sums, met)), sums.samples)
    }

    /// Σ w' and Σ w'² over block `b` of `len` samples, with w' = e^{−θ(S − s)} on the rare
    /// event (the constant e^{Kκ(θ) − θs} is applied at the end, so nothing underflows on
    /// the way; w' ≤ 1 there).
    fn block(&self, env: &Envelope, seed: u64, cell: u32, b: u64, len: u64) -> Option<Sums> {
        let mut rng = block_rng(seed, cell, u32::try_from(b).ok()?);
        let mut sampler = Sampler::new(env, self.n, self.cap, Streams::from_rng(&mut rng));
        let mut sums = Sums {
            samples: len,
            ..Sums::default()
        };
        for _ in 0..len {
            let sum = sampler.next_sum(self.depth)?;
            let hit = if self.rare_is_lower {
                sum < self.s
            } else {
                sum > self.s
            };
            if hit {
                let w = (-self.theta * (sum - self.s)).exp();
                sums.s1 += w;
                sums.s2 += w * w;
                sums.s3 += w * w * w;
            }
        }
        Some(sums)
    }

    /// The tail from the sums of all blocks drawn.
    fn finish(&self, sums: &Sums, rel_err_met: Option<bool>) -> LogTail {
        let (mean_w, se_w) = sums.mean_and_error();
        let scale = self.ln_scale.exp();
        let rare = scale * mean_w;
        let (p, complement) = if self.rare_is_lower == self.lower {
            (rare, 1.0 - rare)
        } else {
            (1.0 - rare, rare)
        };
        LogTail {
            probability: Probability {
                p,
                complement,
                error: scale * se_w,
            },
            log10_rare: (self.ln_scale + mean_w.ln()) / std::f64::consts::LN_10,
            rare_is_complement: self.rare_is_lower != self.lower,
            relative_error: sums.relative_error(),
            samples: sums.samples,
            rel_err_met,
            ci95_factors: skew_corrected_ci95(sums.relative_error(), sums.skewness(), sums.samples),
        }
    }
}

/// Running sums over the blocks drawn so far, in block order.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    samples: u64,
    s1: f64,
    s2: f64,
    s3: f64,
}

impl Sums {
    /// Adds a later block's sums.
    fn add(&mut self, other: &Sums) {
        self.samples += other.samples;
        self.s1 += other.s1;
        self.s2 += other.s2;
        self.s3 += other.s3;
    }

    /// The skewness of w' (0 when its variance is 0).
    fn skewness(&self) -> f64 {
        let nf = self.samples as f64;
        let (m1, m2, m3) = (self.s1 / nf, self.s2 / nf, self.s3 / nf);
        let var = m2 - m1 * m1;
        if var > 0.0 {
            (m3 - 3.0 * m1 * m2 + 2.0 * m1 * m1 * m1) / var.powf(1.5)
        } else {
            0.0
        }
    }

    /// (mean of w', its standard error).
    fn mean_and_error(&self) -> (f64, f64) {
        let nf = self.samples as f64;
        let mean = self.s1 / nf;
        let var = (self.s2 / nf - mean * mean).max(0.0);
        (mean, (var / nf).sqrt())
    }

    /// The standard error over the mean (NaN when no sample hit).
    fn relative_error(&self) -> f64 {
        let (mean, se) = self.mean_and_error();
        se / mean
    }
}
