//! Importance sampling of the rare side of ln g = Σ Y_i under the saddlepoint tilt.
//!
//! Each x is drawn from q(x) ∝ f'(x)^θ p(x) = e^{θY(x)} p(x), with θ the saddlepoint of the
//! threshold s, and every sample of K factors is weighted by the likelihood ratio
//! Π p/q = e^{K·κ(θ) − θ·S}. The estimate is the mean of weight × indicator and its
//! standard error is the weighted samples' own.
//!
//! Sampling q: for θ ≥ 0, e^{θZ} ≤ 1 (Z = Y − c ≤ 0), so x ~ p is accepted with probability
//! e^{θZ(x)}: any law of x. For θ < 0 (a rare lower tail), e^{θZ} ≤ e^{2n|θ||x|} and the
//! envelope e^{2n|θ||x|}·p(x) is a pair of shifted, truncated normals when x is normal;
//! other laws are not supported there.

use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::mc::rng::{BlockRng, block_rng};
use crate::methods::law::Probability;
use crate::methods::saddle::Cgf;
use crate::model::activation::ln_sech2;
use crate::model::distribution::PreActivation;

/// Samples per block of the importance sampler (each block has its own stream).
const BLOCK: u64 = 4096;
/// Stream cells of the sampler, apart from the Monte Carlo cell 0.
use crate::mc::rng::streams::{IMPORTANCE_LOWER as CELL_LOWER, IMPORTANCE_UPPER as CELL_UPPER};
/// Proposals per accepted draw beyond which the tilt is judged too costly to sample.
const MAX_PROPOSALS: u32 = 100_000;

/// A sampler of the tilted law of x.
enum Tilted<'a> {
    /// θ ≥ 0: rejection from p.
    FromP { dist: &'a PreActivation },
    /// θ < 0, x ~ Normal(μ, σ²): the two-piece envelope.
    Envelope {
        mu: f64,
        sigma: f64,
        c: f64,
        p_right: f64,
    },
}

impl Tilted<'_> {
    /// One draw of x from q, or `None` when rejection keeps failing.
    fn draw(&self, rng: &mut BlockRng, theta: f64, n: f64) -> Option<f64> {
        for _ in 0..MAX_PROPOSALS {
            let (x, log_accept) = match *self {
                Tilted::FromP { dist } => {
                    let x = dist.sample(rng);
                    (x, theta * ln_sech2(n * x.abs()))
                }
                Tilted::Envelope {
                    mu,
                    sigma,
                    c,
                    p_right,
                } => {
                    // Right piece: e^{cx}·N(μ,σ²) on x > 0 is N(μ + cσ², σ²) there;
                    // left piece mirrored.
                    let right = rng.random::<f64>() < p_right;
                    let centre = if right {
                        mu + c * sigma * sigma
                    } else {
                        mu - c * sigma * sigma
                    };
                    let z: f64 = rng.sample(StandardNormal);
                    let x = centre + sigma * z;
                    if (x > 0.0) != right {
                        continue;
                    }
                    // Accept with e^{θZ(x) − c|x|} ≤ 1.
                    (x, theta * ln_sech2(n * x.abs()) - c * x.abs())
                }
            };
            if rng.random::<f64>().ln() < log_accept {
                return Some(x);
            }
        }
        None
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
}

/// P(Σ Y < s) (lower) or P(Σ Y > s) by importance sampling with `samples` samples of
/// `depth` factors; `None` where the tilt cannot be sampled. The result's `error` is the
/// standard error. Deterministic: blocks of 4096 samples with their own streams, summed
/// in block order.
pub fn tail(
    cgf: &Cgf,
    dist: &PreActivation,
    depth: u32,
    s: f64,
    lower: bool,
    samples: u64,
    seed: u64,
) -> Option<Probability> {
    log_tail(cgf, dist, depth, s, lower, samples, seed, &|_| {}).map(|t| t.probability)
}

/// [`tail`] with log10 of its rare side ([`LogTail`]), for probabilities below the
/// range of f64, telling `on_block` the samples of each finished block (for a progress
/// bar; all `samples` at once when nothing is sampled). The numbers are those of [`tail`].
#[allow(clippy::too_many_arguments)]
pub fn log_tail(
    cgf: &Cgf,
    dist: &PreActivation,
    depth: u32,
    s: f64,
    lower: bool,
    samples: u64,
    seed: u64,
    on_block: &(dyn Fn(u64) + Sync),
) -> Option<LogTail> {
    let sampled = sampled_tail(cgf, dist, depth, s, lower, samples, seed, on_block);
    if sampled.is_none_or(|(_, drew)| !drew) {
        on_block(samples);
    }
    sampled.map(|(t, _)| t)
}

/// [`log_tail`]'s work: the tail, and whether it was sampled (not known beforehand);
/// `on_block` is told only of sampled blocks.
#[allow(clippy::too_many_arguments)]
fn sampled_tail(
    cgf: &Cgf,
    dist: &PreActivation,
    depth: u32,
    s: f64,
    lower: bool,
    samples: u64,
    seed: u64,
    on_block: &(dyn Fn(u64) + Sync),
) -> Option<(LogTail, bool)> {
    let k = f64::from(depth);
    let (n, cap) = cgf.slope_and_cap();
    if s >= k * cap {
        // Beyond the cap: certain (lower) or impossible, exactly.
        let (p, complement) = if lower { (1.0, 0.0) } else { (0.0, 1.0) };
        return Some((
            LogTail {
                probability: Probability {
                    p,
                    complement,
                    error: 0.0,
                },
                log10_rare: f64::NEG_INFINITY,
                rare_is_complement: lower,
                relative_error: f64::NAN,
            },
            false,
        ));
    }
    let (theta, m) = cgf.saddlepoint(k, s)?;
    // The tilt puts the threshold at the centre: the event and its complement are about
    // equally likely under q, so estimate whichever side is rare under p.
    let mean = cgf.at(0.0)?.mean * k;
    let rare_is_lower = s < mean;
    let sampler = if theta >= 0.0 {
        Tilted::FromP { dist }
    } else {
        match *dist {
            PreActivation::Normal { mu, sigma } => {
                let c = 2.0 * n * theta.abs();
                // Pieces are picked by their untruncated weights e^{±cμ + c²σ²/2}: a draw on
                // the wrong side restarts the whole draw, pick included, which supplies the
                // truncation (weighting by the truncated masses as well counts it twice).
                let ln_right = c * mu;
                let ln_left = -c * mu;
                let p_right = 1.0 / (1.0 + (ln_left - ln_right).exp());
                Tilted::Envelope {
                    mu,
                    sigma,
                    c,
                    p_right,
                }
            }
            _ => return None,
        }
    };
    let blocks = samples.div_ceil(BLOCK);
    let cell = if rare_is_lower {
        CELL_LOWER
    } else {
        CELL_UPPER
    };
    // Per block: Σ w' and Σ w'², with w' = e^{−θ(S − s)} on the event (the constant
    // e^{Kκ(θ) − θs} is applied at the end, so nothing underflows on the way).
    let sums: Vec<Option<(f64, f64)>> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let mut rng = block_rng(seed, cell, u32::try_from(b).ok()?);
            let len = BLOCK.min(samples - b * BLOCK);
            let (mut s1, mut s2) = (0.0, 0.0);
            for _ in 0..len {
                let mut sum = 0.0;
                for _ in 0..depth {
                    let x = sampler.draw(&mut rng, theta, n)?;
                    sum += cap + ln_sech2(n * x.abs());
                }
                let hit = if rare_is_lower { sum < s } else { sum > s };
                if hit {
                    let w = (-theta * (sum - s)).exp();
                    s1 += w;
                    s2 += w * w;
                }
            }
            on_block(len);
            Some((s1, s2))
        })
        .collect();
    let (mut s1, mut s2) = (0.0, 0.0);
    for block in sums {
        let (a, b) = block?;
        s1 += a;
        s2 += b;
    }
    let nf = samples as f64;
    let ln_scale = k * m.kappa - theta * s;
    let scale = ln_scale.exp();
    let mean_w = s1 / nf;
    let var_w = (s2 / nf - mean_w * mean_w).max(0.0);
    let rare = scale * mean_w;
    let se = scale * (var_w / nf).sqrt();
    let (p, complement) = if rare_is_lower == lower {
        (rare, 1.0 - rare)
    } else {
        (1.0 - rare, rare)
    };
    Some((
        LogTail {
            probability: Probability {
                p,
                complement,
                error: se,
            },
            log10_rare: (ln_scale + mean_w.ln()) / std::f64::consts::LN_10,
            rare_is_complement: rare_is_lower != lower,
            relative_error: (var_w / nf).sqrt() / mean_w,
        },
        true,
    ))
}
