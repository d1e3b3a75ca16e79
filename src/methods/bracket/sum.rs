//! The tilted lattice sum behind [`exact_brackets`](super::exact_brackets): the law of
//! T = Σ of K iid lattice indices by one real FFT under an exponential tilt, on a window of
//! the circle, with bounds on what the window misses (a Chernoff bound) and on the
//! transform's rounding (its noise floor); the FFT plans and buffers it reuses.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::{LnProb, MIN_POINTS};
use crate::methods::law::{tilt, tilt_for_mean};

thread_local! {
    /// FFT plans by size, reused by every bracket of a thread.
    static PLANS: RefCell<HashMap<usize, Plans>> = RefCell::new(HashMap::new());
    /// Buffers of the last size used, reused within one [`exact_brackets`] (emptied at its
    /// end, so memory stays flat between calls).
    static BUFFERS: RefCell<HashMap<usize, Vec<Buffers>>> = RefCell::new(HashMap::new());
}

#[derive(Clone)]
struct Plans {
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
}

fn plans(size: usize) -> Plans {
    PLANS.with(|p| {
        p.borrow_mut()
            .entry(size)
            .or_insert_with(|| {
                let mut planner = RealFftPlanner::<f64>::new();
                Plans {
                    forward: planner.plan_fft_forward(size),
                    inverse: planner.plan_fft_inverse(size),
                }
            })
            .clone()
    })
}

/// The memory of one transform: the real signal (input, then output), its spectrum and
/// the transforms' scratch.
#[derive(Default)]
struct Buffers {
    real: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

/// Zeroed buffers for a transform of `size` points, from the thread's pool if it has some.
fn buffers(size: usize, plans: &Plans) -> Buffers {
    // Only one size is pooled at a time: buffers of other sizes are freed first, so the
    // peak stays that of the largest transform.
    let pooled = BUFFERS.with(|b| {
        let mut pool = b.borrow_mut();
        pool.retain(|&s, _| s == size);
        pool.get_mut(&size).and_then(Vec::pop)
    });
    match pooled {
        Some(mut b) => {
            b.real.iter_mut().for_each(|v| *v = 0.0);
            b
        }
        None => {
            let scratch = plans
                .forward
                .get_scratch_len()
                .max(plans.inverse.get_scratch_len());
            Buffers {
                real: plans.forward.make_input_vec(),
                spectrum: plans.forward.make_output_vec(),
                scratch: vec![Complex::new(0.0, 0.0); scratch],
            }
        }
    }
}

/// Empties the thread's pool of buffers, and its cache of plans above 2^20 points (small
/// plans stay: a table's cells reuse them).
pub(super) fn release_buffers() {
    BUFFERS.with(|b| b.borrow_mut().clear());
    PLANS.with(|p| p.borrow_mut().retain(|&size, _| size <= 1 << 20));
}

/// The law of T = Σ of K iid lattice indices under the exponential tilt e^{τT}, on a
/// window of the circle, with bounds on what the window misses.
pub(super) struct TiltedSum {
    /// The tilt per lattice index.
    tau: f64,
    /// K·ln Σ p_j e^{τj}: with it and τ, a tilted mass becomes a probability.
    ln_norm: f64,
    /// The window's centre (the tilted mean of T, rounded).
    centre: i64,
    /// Tilted masses of T = u, at u mod N (in `values.real`; the buffers go back to the
    /// pool when the sum is dropped).
    values: Buffers,
    /// A bound on the tilted mass of T outside the window (wrapped onto it).
    outside: f64,
    /// A bound on the rounding error of each value.
    noise: f64,
    /// The tilted sd of T, in lattice units.
    pub(super) sd: f64,
    /// The largest value T takes.
    max_sum: i64,
}

impl Drop for TiltedSum {
    fn drop(&mut self) {
        let b = std::mem::take(&mut self.values);
        let size = b.real.len();
        if size > 0 {
            BUFFERS.with(|p| p.borrow_mut().entry(size).or_default().push(b));
        }
    }
}

impl TiltedSum {
    /// Tilts the lattice law `p` so that T centres on `target` and convolves it K times,
    /// on the smallest window (≤ `cap`) holding ±48 sd and the target; `None` when none does.
    /// The masses are taken by value and turned into their logs, then into the tilted
    /// masses, in place: one vector of the lattice's length at any time.
    pub(super) fn new(p: Vec<f64>, depth: u32, target: f64, cap: usize) -> Option<TiltedSum> {
        let k = f64::from(depth);
        let last = p.len() - 1;
        let mut ln_p = p;
        for m in ln_p.iter_mut() {
            *m = if *m > 0.0 { m.ln() } else { f64::NEG_INFINITY };
        }
        // The tilted mean lies strictly inside the support (a tilt cannot reach its ends).
        let first = ln_p
            .iter()
            .position(|l| *l > f64::NEG_INFINITY)
            .unwrap_or(0) as f64;
        let inset = (0.5f64).min(0.5 * (last as f64 - first));
        let tau = solve_tilt(
            &ln_p,
            (target / k).clamp(first + inset, last as f64 - inset),
        );
        let (ln_m, mean, var) = tilt(&ln_p, tau);
        let sd = (k * var).sqrt();
        let centre = (k * mean).round() as i64;
        let reach = (target - k * mean).abs() + 24.0 * sd + 4.0 * k + 64.0;
        let size = ((2.0 * reach) as usize)
            .max(MIN_POINTS)
            .checked_next_power_of_two()?;
        if size > cap {
            return None;
        }
        let plans = plans(size);
        let mut buf = buffers(size, &plans);
        // The tilted masses q_j (in place of the logs), wrapped onto the circle.
        let mut q = ln_p;
        for (j, l) in q.iter_mut().enumerate() {
            *l = if *l > f64::NEG_INFINITY {
                (*l + tau * j as f64 - ln_m).exp()
            } else {
                0.0
            };
        }
        for (j, &m) in q.iter().enumerate() {
            buf.real[j % size] += m;
        }
        let Buffers {
            real,
            spectrum,
            scratch,
        } = &mut buf;
        plans
            .forward
            .process_with_scratch(real, spectrum, scratch)
            .ok()?;
        for z in spectrum.iter_mut() {
            *z = z.powu(depth);
        }
        // A real signal's spectrum is real at 0 and at N/2; the power keeps that, up to
        // rounding, which the inverse refuses.
        spectrum[0].im = 0.0;
        let n_half = spectrum.len() - 1;
        spectrum[n_half].im = 0.0;
        plans
            .inverse
            .process_with_scratch(spectrum, real, scratch)
            .ok()?;
        let scale = 1.0 / size as f64;
        for v in real.iter_mut() {
            *v *= scale;
        }
        let half = (size / 2) as i64;
        let mut sum = TiltedSum {
            tau,
            ln_norm: k * ln_m,
            centre,
            values: buf,
            outside: 0.0,
            noise: 0.0,
            sd,
            max_sum: (k * last as f64) as i64,
        };
        sum.outside = outside_bound(&q, mean, var, k, centre - half, centre + half - 1);
        // The noise floor: the largest |value| where the tilted law is below 1e-30 (beyond
        // 40 sd, by the same Chernoff bound), four times over, and never below ε·K·log N.
        let far = (40.0 * sd) as i64 + 1;
        let mut floor = 0.0f64;
        for u in (centre - half)..(centre - far).min(centre + half) {
            floor = floor.max(sum.raw(u).abs());
        }
        for u in (centre + far).max(centre - half)..(centre + half) {
            floor = floor.max(sum.raw(u).abs());
        }
        let theory = f64::EPSILON * k * (size as f64).log2();
        sum.noise = (4.0 * floor).max(theory * 1e-3);
        Some(sum)
    }

    /// The computed tilted mass at u (raw, with rounding noise).
    fn raw(&self, u: i64) -> f64 {
        self.values.real[u.rem_euclid(self.values.real.len() as i64) as usize]
    }

    /// The FFT points.
    pub(super) fn points(&self) -> usize {
        self.values.real.len()
    }

    fn window(&self) -> (i64, i64) {
        let half = (self.values.real.len() / 2) as i64;
        (self.centre - half, self.centre + half - 1)
    }

    /// Bounds on P(T ≥ m): (lower, upper), each with its complement.
    pub(super) fn at_least(&self, m: i64) -> (LnProb, LnProb) {
        if m <= 0 {
            return (LnProb::certain(true), LnProb::certain(true));
        }
        if m > self.max_sum {
            return (LnProb::certain(false), LnProb::certain(false));
        }
        let (lo, hi) = self.window();
        if self.tau >= 0.0 {
            // Σ_{u ≥ m} g_u e^{−τ(u − c)}: weights ≤ 1 beyond the centre.
            let from = m.max(lo);
            let (sum, weights, top) = self.weighted(from, hi.min(self.max_sum));
            let beyond = self.outside * (-self.tau * (hi - self.centre) as f64).exp();
            let below_window = if m < lo { self.outside * top } else { 0.0 };
            let low = (sum - self.noise * weights - self.outside * top).max(0.0);
            let high = sum + self.noise * weights + beyond + below_window;
            let ln_c = self.ln_norm - self.tau * self.centre as f64;
            (
                LnProb::from_side(ln_c + low.ln(), true),
                LnProb::from_side(ln_c + high.ln(), true),
            )
        } else {
            // The rare side is T ≤ m − 1: weights e^{−τ(u − c)} ≤ 1 below the centre.
            let to = (m - 1).min(hi);
            let (sum, weights, top) = self.weighted_down(lo.max(0), to);
            let beyond = self.outside * (-self.tau * (lo - self.centre) as f64).exp();
            let low = (sum - self.noise * weights - self.outside * top).max(0.0);
            let high = sum + self.noise * weights + beyond;
            let ln_c = self.ln_norm - self.tau * self.centre as f64;
            // P(T ≥ m) = 1 − P(T ≤ m − 1): its lower bound from the upper one.
            (
                LnProb::from_side(ln_c + high.ln(), false),
                LnProb::from_side(ln_c + low.ln(), false),
            )
        }
    }

    /// Σ_{u=from}^{to} g_u e^{−τ(u − c)} (τ ≥ 0), the sum of the weights, and the largest
    /// weight.
    fn weighted(&self, from: i64, to: i64) -> (f64, f64, f64) {
        let (mut sum, mut weights) = (0.0, 0.0);
        let top = (-self.tau * (from - self.centre) as f64).exp();
        let ratio = (-self.tau).exp();
        let mut w = top;
        for u in from..=to {
            sum += self.raw(u) * w;
            weights += w;
            w *= ratio;
            if w < 1e-300 {
                break;
            }
        }
        (sum, weights, top)
    }

    /// Σ_{u=from}^{to} g_u e^{−τ(u − c)} for τ < 0, summed from `to` downwards.
    fn weighted_down(&self, from: i64, to: i64) -> (f64, f64, f64) {
        let (mut sum, mut weights) = (0.0, 0.0);
        let top = (-self.tau * (to - self.centre) as f64).exp();
        let ratio = self.tau.exp();
        let mut w = top;
        let mut u = to;
        while u >= from {
            sum += self.raw(u) * w;
            weights += w;
            w *= ratio;
            if w < 1e-300 {
                break;
            }
            u -= 1;
        }
        (sum, weights, top)
    }

    /// The estimate of P(T + U > x), U uniform on [0, 1) (each lattice point spread over its
    /// cell), as ln p with its complement.
    pub(super) fn spread_above(&self, x: f64) -> LnProb {
        let u = x.floor() as i64;
        let frac = (u + 1) as f64 - x; // the part of cell u above x
        let whole = self.at_least(u + 1);
        let cell = self.at_least(u);
        // Midpoints of the bounds of P(T ≥ u+1) and P(T ≥ u), interpolated, on the smaller
        // side of each (the bounds differ only by the noise of the transform).
        let mid = |b: (LnProb, LnProb)| {
            let (lo, hi) = (b.0.small(), b.1.small());
            LnProb::from_side(0.5 * (lo.0 + hi.0), lo.1)
        };
        let (a, b) = (mid(whole), mid(cell));
        let (la, pa) = a.small();
        if pa {
            // P(T ≥ u+1) + frac·P(T = u), both small: interpolate p in the log domain.
            let lb = b.ln_p;
            let ln = log_mix(la, lb, frac);
            LnProb::from_side(ln, true)
        } else {
            let lb = b.ln_complement;
            LnProb::from_side(log_mix(la, lb, frac), false)
        }
    }
}

/// ln((1 − f)·e^a + f·e^b).
fn log_mix(a: f64, b: f64, f: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((1.0 - f) * (a - m).exp() + f * (b - m).exp()).ln()
}

/// The tilt τ with tilted mean `target` per factor: Newton inside a bisection bracket on
/// a coarsened copy of the law (any τ is valid: the window and its bounds follow the tilt
/// actually used).
fn solve_tilt(ln_p: &[f64], target: f64) -> f64 {
    // Coarsen to at most 4096 cells (the tilted mean moves by less than a coarse cell).
    let group = ln_p.len().div_ceil(4096).max(1);
    let coarse: Vec<f64> = ln_p
        .chunks(group)
        .map(|c| {
            let m = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if m == f64::NEG_INFINITY {
                m
            } else {
                m + c.iter().map(|l| (l - m).exp()).sum::<f64>().ln()
            }
        })
        .collect();
    let g = group as f64;
    let target_c = (target / g).min((coarse.len() - 1) as f64);
    let tau = tilt_for_mean(&coarse, target_c, 700.0, 1e-9, 1e-14);
    tau / g
}

/// ln Σ q_j e^{λj}, by running products (one multiplication per term, rescaled before
/// they leave the range of f64).
fn ln_mgf(q: &[f64], lambda: f64) -> f64 {
    let ratio = lambda.exp();
    let (mut w, mut ln_scale, mut sum) = (1.0f64, 0.0f64, 0.0f64);
    for &m in q {
        sum += m * w;
        w *= ratio;
        if w > 1e200 {
            // Rising weights: move w into the scale (sum shrinks with it).
            ln_scale += w.ln();
            sum /= w;
            w = 1.0;
        } else if ratio < 1.0 && w < 1e-20 * sum {
            // Falling weights: what is left is at most w·Σ q ≤ w; add it and stop.
            sum += w;
            break;
        }
    }
    ln_scale + sum.ln()
}

/// A Chernoff bound on the tilted mass of T = Σ K lattice indices outside [lo, hi]:
/// P(T > hi) ≤ exp(K·ln E[e^{λJ}] − λ·hi) for λ > 0 (and the mirror for T < lo), at a few
/// λ up to twice the normal approximation's optimum; `q` are the tilted masses of one index.
fn outside_bound(q: &[f64], mean: f64, var: f64, k: f64, lo: i64, hi: i64) -> f64 {
    let var = var.max(1e-300);
    let mut bound = 0.0;
    for (edge, sign) in [(hi as f64, 1.0), (lo as f64, -1.0)] {
        let dist = sign * (edge - k * mean);
        if dist <= 0.0 {
            return 1.0; // the window does not even hold the mean
        }
        let base = dist / (k * var);
        // A geometric grid of λ (the bound is convex in λ; a lumpy law, e.g. a far atom,
        // wants a λ well below the normal optimum).
        let best = (-10..=1)
            .map(|i| {
                let l = sign * base * 2f64.powi(i);
                k * ln_mgf(q, l) - l * edge
            })
            .fold(f64::INFINITY, f64::min);
        bound += best.exp();
    }
    bound.min(1.0)
}
