//! Draws from an [`Envelope`] on the fast kernel's generators: eight xoshiro256++ streams
//! seeded from the block's own ChaCha8 stream, normals by the kernel's Box–Muller, and
//! ln f' by the kernel's branch-free arithmetic ([`block::ln_derivative`]), [`BATCH`]
//! proposals at a time in flat buffers. Accepted draws are kept as ln f'(x) in order, so
//! a block is a pure function of its stream.

use super::envelope::{Correction, Envelope, Shape};
use crate::mc::fast::Isa;
use crate::mc::fast::block::{self, Plan};
use crate::mc::fast::real::{self, Real};
use crate::mc::fast::xoshiro::{Streams, Words};

/// Proposals per batch (whole stages of normal pairs).
pub const BATCH: usize = 512;
/// Batches in a row without one accepted draw beyond which the tilt is judged too costly
/// to sample (about 10⁵ proposals per draw).
const MAX_EMPTY_BATCHES: u32 = 200;

/// A stream of ln f'(x) for x drawn from the tilted law.
pub struct Sampler<'a> {
    env: &'a Envelope,
    plan: Plan<f64>,
    cap: f64,
    /// Piece k is picked when a uniform is ≥ `cumulative[k − 1]` (the last such k).
    cumulative: Vec<f64>,
    /// Per piece: 1 − e^{−|rate|·length} for inversion (exponential pieces).
    expo_q: Vec<f64>,
    has_gauss: bool,
    /// Whether a piece draws by inversion (exponential) or from two uniforms (t).
    has_expo: bool,
    has_t: bool,
    streams: Streams,
    /// The level [`Sampler::batch`] runs on (FMA makes the kernel's `mul_add`s one
    /// instruction; the bits are the same on every level).
    isa: Isa,
    words: Vec<u64>,
    z: Vec<f64>,
    queue: Vec<f64>,
    head: usize,
}

impl<'a> Sampler<'a> {
    /// A sampler of `env` for a·tanh(n·x) with cap ln(a·n), seeded with `streams`.
    pub fn new(env: &'a Envelope, n: f64, cap: f64, streams: Streams) -> Self {
        let lw: Vec<f64> = env.pieces.iter().map(|p| p.ln_weight).collect();
        let top = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = lw.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = w.iter().sum();
        let mut cumulative = Vec::new();
        let mut acc = 0.0;
        for wk in &w[..w.len() - 1] {
            acc += wk;
            cumulative.push(acc / total);
        }
        let expo_q = env
            .pieces
            .iter()
            .map(|p| match p.shape {
                Shape::Expo { rate, .. } => -(-rate.abs() * (p.hi - p.lo)).exp_m1(),
                _ => 0.0,
            })
            .collect();
        Sampler {
            env,
            plan: Plan {
                components: vec![],
                cumulative: vec![],
                two_n: 2.0 * n,
                ln_4an: cap + 4f64.ln(),
                ln_inverse_max: -cap,
                depth: 0,
            },
            cap,
            cumulative,
            expo_q,
            has_gauss: env
                .pieces
                .iter()
                .any(|p| matches!(p.shape, Shape::Gauss { .. })),
            has_expo: env
                .pieces
                .iter()
                .any(|p| matches!(p.shape, Shape::Expo { .. })),
            has_t: env
                .pieces
                .iter()
                .any(|p| matches!(p.shape, Shape::StudentT { .. })),
            streams,
            isa: Isa::detect(),
            words: vec![0; BATCH],
            z: vec![0.0; BATCH],
            queue: Vec::with_capacity(4 * BATCH),
            head: 0,
        }
    }

    /// Σ ln f'(x_i) over the next `depth` draws, or `None` when the envelope keeps
    /// rejecting.
    pub fn next_sum(&mut self, depth: u32) -> Option<f64> {
        let k = depth as usize;
        let mut empty = 0;
        while self.queue.len() - self.head < k {
            if self.head > 0 {
                self.queue.drain(..self.head);
                self.head = 0;
            }
            let before = self.queue.len();
            let isa = self.isa;
            isa.sampler_batch(self);
            if self.queue.len() == before {
                empty += 1;
                if empty > MAX_EMPTY_BATCHES {
                    return None;
                }
            } else {
                empty = 0;
            }
        }
        let sum = self.queue[self.head..self.head + k].iter().sum();
        self.head += k;
        Some(sum)
    }

    #[inline(always)]
    fn uniforms(&mut self, open: bool) -> [f64; BATCH] {
        self.streams.fill(&mut self.words);
        let mut u = [0.0; BATCH];
        for (u, &w) in u.iter_mut().zip(&self.words) {
            *u = if open {
                f64::open_unit(w, w)
            } else {
                f64::unit(w)
            };
        }
        u
    }

    /// One batch of proposals; the accepted ones go to the queue as ln f'(x). Inlined into
    /// [`Isa::sampler_batch`]'s builds, which compile it for each level.
    #[inline(always)]
    pub(crate) fn batch(&mut self) {
        // Only the uniforms the pieces use are drawn.
        let pick = if self.cumulative.is_empty() {
            [0.0; BATCH]
        } else {
            self.uniforms(false)
        };
        let u1 = if self.has_expo || self.has_t {
            self.uniforms(false)
        } else {
            [0.0; BATCH]
        };
        let u2 = if self.has_t {
            self.uniforms(false)
        } else {
            [0.0; BATCH]
        };
        let accept = self.uniforms(true);
        if self.has_gauss {
            block::normals(&mut self.streams, &mut self.words, &mut self.z);
        }
        let pieces = &self.env.pieces;
        let mut which = [0usize; BATCH];
        let mut arg = [1.0; BATCH];
        for i in 0..BATCH {
            let k = self.cumulative.iter().filter(|&&c| pick[i] >= c).count();
            which[i] = k;
            if let Shape::Expo { rate, .. } = pieces[k].shape
                && rate != 0.0
            {
                arg[i] = 1.0 - u1[i] * self.expo_q[k];
            }
        }
        let ln_arg = if self.has_expo {
            real::ln_positive(&arg)
        } else {
            [0.0; BATCH]
        };
        let mut x = [0.0; BATCH];
        let mut ok = [true; BATCH];
        for i in 0..BATCH {
            let p = &pieces[which[i]];
            x[i] = match p.shape {
                Shape::Gauss { loc, scale } => loc + scale * self.z[i],
                Shape::Expo { rate: 0.0, .. } => p.lo + u1[i] * (p.hi - p.lo),
                Shape::Expo { rate, .. } if rate < 0.0 => p.lo + ln_arg[i] / rate,
                Shape::Expo { rate, .. } => p.hi + ln_arg[i] / rate,
                Shape::Atom => p.lo,
                Shape::StudentT { nu, scale } => student_t(nu, scale, u1[i], u2[i]),
            };
            ok[i] = x[i].is_finite() && p.covers(x[i]);
            if !ok[i] {
                x[i] = 0.0;
            }
        }
        let mut y = x;
        block::ln_derivative(&self.plan, &mut y);
        // The logistic correction −2·ln(1 + e^{−|x − μ|/s}), in bulk.
        let mut t = [0.0; BATCH];
        let mut any_logistic = false;
        for i in 0..BATCH {
            if let Correction::Logistic { mu, s, .. } = pieces[which[i]].correction {
                t[i] = (x[i] - mu).abs() / s;
                any_logistic = true;
            }
        }
        let mut soft = [0.0; BATCH];
        if any_logistic {
            let mut e = real::exp_neg(&t);
            for e in &mut e {
                *e += 1.0;
            }
            soft = real::ln_positive(&e);
        }
        let ln_u = real::ln_positive(&accept);
        let theta = self.env.theta;
        for i in 0..BATCH {
            let corr = match pieces[which[i]].correction {
                Correction::Poly { c, q, k } => -c * x[i].abs() + q * x[i] * x[i] + k,
                Correction::Logistic { c, .. } => -c * x[i].abs() - 2.0 * soft[i],
            };
            let a = theta * (y[i] - self.cap) + corr;
            if ok[i] && ln_u[i] < a {
                self.queue.push(y[i]);
            }
        }
    }
}

/// Student's t by Bailey's polar method from two uniforms on [0, 1): NaN when the point
/// falls outside the unit disc (the proposal starts over).
#[inline(always)]
fn student_t(nu: f64, scale: f64, u1: f64, u2: f64) -> f64 {
    let (a, b) = (2.0 * u1 - 1.0, 2.0 * u2 - 1.0);
    let w = a * a + b * b;
    if w > 1.0 || w == 0.0 {
        return f64::NAN;
    }
    scale * a * (nu * (w.powf(-2.0 / nu) - 1.0) / w).sqrt()
}
