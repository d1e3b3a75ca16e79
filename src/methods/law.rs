//! The exact law of ln g = Σ Y_i, Y = ln f'(X), for iid X and f = a·tanh(n·x).
//!
//! One factor's law follows from an exact change of variables: Y ≤ y ⟺ |X| ≥ r(y) with
//! r(y) = acosh(e^{(c−y)/2})/n and c = ln(a·n) the cap. The K-fold sum is computed on a
//! lattice of step h below the cap, by FFT, after exponential tilting: the sum's law is
//! convolved under the tilt that centres it on the threshold, so a tail probability of
//! 1e-30 keeps its relative precision. The computation is repeated at step 2h and the two
//! combined by Richardson extrapolation (midpoint lattices are second order); their
//! difference is the reported error estimate.

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use crate::model::activation::{Activation, ln_sech2};
use crate::model::distribution::PreActivation;

/// Most points of one FFT of the exact law: 2^26 complex numbers, 1 GiB. A law that needs
/// more (a steep slope n, a great depth K) is refused before any work ([`check_size`]).
pub const MAX_FFT_POINTS: usize = 1 << 26;

/// The FFT points [`exact_bin_masses`] needs for K = `depth`, estimated from the moments
/// of Y = ln f'(X) (the window 2·(mean_T + 40·sd_T) of the lattice sum T = Σ (c − Y_i)/h,
/// rounded up to a power of two), or `None` when the moments are not finite.
///
/// ```
/// use vanish::{model::activation::Activation, methods::law::{FactorLaw, fft_points}};
/// let d = "normal(0,1)".parse().unwrap();
/// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
/// assert!(fft_points(&FactorLaw::new(&f, &d).unwrap(), 50).unwrap() < 1e7);
/// let steep = Activation::scaled_tanh(1.0, 1e6).unwrap();
/// assert!(fft_points(&FactorLaw::new(&steep, &d).unwrap(), 50).unwrap() > 1e9);
/// ```
pub fn fft_points(law: &FactorLaw, depth: u32) -> Option<f64> {
    let (mean_y, var_y) = law.moments()?;
    let h = law.step(depth);
    let k = f64::from(depth);
    let (mean_t, sd_t) = (k * (law.cap - mean_y) / h, (k * var_y).sqrt() / h);
    let need = (2.0 * (mean_t + 40.0 * sd_t)).max(1024.0);
    need.is_finite().then(|| need.log2().ceil().exp2())
}

/// Refuses an exact law whose FFT would pass [`MAX_FFT_POINTS`] (naming `--method`, the
/// estimate and the cap).
pub fn check_size(law: &FactorLaw, depth: u32) -> Result<(), crate::error::ConfigError> {
    match fft_points(law, depth) {
        Some(points) if points > MAX_FFT_POINTS as f64 => Err(crate::error::ConfigError::new(
            "--method",
            format!(
                "exact: the law of ln g needs an FFT of {points:.2e} points ({}) here, more \
                 than 2^26 ({}); lower --n or --depth, or leave exact out",
                crate::limits::show_bytes(16.0 * points),
                crate::limits::show_bytes(16.0 * MAX_FFT_POINTS as f64)
            ),
        )),
        _ => Ok(()),
    }
}

/// The law of one factor Y = ln f'(X) for f = a·tanh(n·x).
#[derive(Debug, Clone)]
pub struct FactorLaw<'a> {
    n: f64,
    cap: f64,
    dist: &'a PreActivation,
}

/// P(|X| < r), point masses included.
fn abs_below(dist: &PreActivation, r: f64) -> f64 {
    match dist {
        PreActivation::Point { x0 } => f64::from(u8::from(x0.abs() < r)),
        PreActivation::Mixture(m) => m
            .components()
            .iter()
            .map(|(w, d)| w * abs_below(d, r))
            .sum(),
        d => (d.cdf(r) - d.cdf(-r)).max(0.0),
    }
}

/// P(|X| ≥ r), point masses included, accurate in the far tail.
fn abs_at_least(dist: &PreActivation, r: f64) -> f64 {
    match dist {
        PreActivation::Point { x0 } => f64::from(u8::from(x0.abs() >= r)),
        PreActivation::Mixture(m) => m
            .components()
            .iter()
            .map(|(w, d)| w * abs_at_least(d, r))
            .sum(),
        d => d.cdf(-r) + d.sf(r),
    }
}

impl<'a> FactorLaw<'a> {
    /// The law for `activation` (a·tanh(n·x) only) and iid x from `dist`.
    pub fn new(activation: &Activation, dist: &'a PreActivation) -> Option<Self> {
        let (a, n) = activation.tanh_params()?;
        Some(FactorLaw {
            n,
            cap: (a * n).ln(),
            dist,
        })
    }

    /// c = ln(a·n): Y ≤ c always.
    pub fn cap(&self) -> f64 {
        self.cap
    }

    fn radius(&self, y: f64) -> f64 {
        crate::theory::iid::acosh_exp(0.5 * (self.cap - y)) / self.n
    }

    /// P(Y ≤ y).
    ///
    /// ```
    /// use vanish::{model::activation::Activation, methods::law::FactorLaw};
    /// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    /// let d = "normal(0,1)".parse().unwrap();
    /// let law = FactorLaw::new(&f, &d).unwrap();
    /// // Y ≤ 0 ⟺ f' ≤ 1 ⟺ |x| ≥ e(2) = 0.4407: P = 1 − 0.34056.
    /// assert!((law.cdf(0.0) - (1.0 - 0.340_560)).abs() < 1e-6);
    /// ```
    pub fn cdf(&self, y: f64) -> f64 {
        if y >= self.cap {
            1.0
        } else {
            abs_at_least(self.dist, self.radius(y))
        }
    }

    /// P(Y > y), accurate near the cap where it is small.
    pub fn sf(&self, y: f64) -> f64 {
        if y >= self.cap {
            0.0
        } else {
            abs_below(self.dist, self.radius(y))
        }
    }

    /// The mean and variance of Y, where finite.
    pub(crate) fn moments(&self) -> Option<(f64, f64)> {
        crate::theory::iid::ln_derivative_moments(
            &Activation::ScaledTanh {
                a: self.cap.exp() / self.n,
                n: self.n,
            },
            self.dist,
        )
        .map(|m| (m.0, m.1))
    }

    /// The lattice step for a K-fold sum: fine enough that the sum's sd spans ~10⁴ steps.
    fn step(&self, depth: u32) -> f64 {
        let sd_y = self.moments().map_or(1.0, |m| m.1.sqrt());
        // No lower clamp: a law of ln g narrower than the step would fall into one cell.
        // A point mass (sd 0) gets a step of 1e-4 of its distance below the cap.
        let h = (sd_y * f64::from(depth).sqrt() / 1e4).min(0.05);
        if h > 0.0 {
            h
        } else {
            (self.cap - self.point_value().unwrap_or(self.cap - 1.0)).max(1e-300) * 1e-4
        }
    }

    /// ln f'(x0) when x is a point mass x0.
    pub(crate) fn point_value(&self) -> Option<f64> {
        match self.dist {
            PreActivation::Point { x0 } => Some(self.cap + ln_sech2(self.n * x0.abs())),
            _ => None,
        }
    }

    /// Masses of Z = c − Y rounded down to the lattice of step h: point j carries
    /// P(jh ≤ Z < (j+1)h) = P(c − (j+1)h < Y ≤ c − jh), for j below `points`. The lattice
    /// ends early where the mass left is 0 in f64. When `lump` is set, the last point also
    /// carries everything beyond it; else that mass is returned as unplaced. Returns the
    /// masses and the unplaced mass.
    pub(crate) fn floor_lattice(&self, h: f64, points: usize, lump: bool) -> (Vec<f64>, f64) {
        let points = points.max(1);
        let mut masses = Vec::with_capacity(points.min(1 << 24));
        // P(Y > y) and P(Y ≤ y) at the upper end of the current cell (the cap).
        let (mut sf_hi, mut cdf_hi) = (0.0f64, 1.0f64);
        let mut use_sf = true;
        for j in 0..points {
            if j + 1 == points && lump {
                // The last point: everything from here on.
                masses.push(cdf_hi.max(0.0));
                return (masses, 0.0);
            }
            let lo = self.cap - (j as f64 + 1.0) * h;
            // Difference the small side for precision; switch once the upper part is ≥ ½.
            let m = if use_sf {
                let sf_lo = self.sf(lo);
                let m = sf_lo - sf_hi;
                if sf_lo >= 0.5 {
                    use_sf = false;
                }
                sf_hi = sf_lo;
                cdf_hi = self.cdf(lo);
                m
            } else {
                let cdf_lo = self.cdf(lo);
                let m = cdf_hi - cdf_lo;
                cdf_hi = cdf_lo;
                m
            };
            masses.push(m.max(0.0));
            if cdf_hi <= 0.0 {
                return (masses, 0.0);
            }
        }
        (masses, cdf_hi.max(0.0))
    }

    /// Masses of the lattice points c − j·h, j = 0..: point j carries Y in
    /// (c − (j+½)h, c − (j−½)h]; the last point also carries everything below. Returns the
    /// masses and the mass lumped into the last point from below the lattice.
    fn lattice(&self, h: f64, max_points: usize) -> (Vec<f64>, f64) {
        let mut masses = Vec::new();
        // Upper boundary of bin 0 is the cap itself: P(Y > c) = 0.
        let (mut sf_hi, mut cdf_hi) = (0.0, 1.0);
        let mut j = 0usize;
        loop {
            let lo = self.cap - (j as f64 + 0.5) * h;
            let (sf_lo, cdf_lo) = (self.sf(lo), self.cdf(lo));
            // Difference the small side for precision.
            let m = if sf_lo < 0.5 {
                sf_lo - sf_hi
            } else {
                cdf_hi - cdf_lo
            };
            masses.push(m.max(0.0));
            j += 1;
            if cdf_lo < 1e-300 || j + 1 >= max_points {
                masses.push(cdf_lo.max(0.0));
                return (masses, cdf_lo);
            }
            (sf_hi, cdf_hi) = (sf_lo, cdf_lo);
        }
    }
}

/// A probability computed on one side, with its complement computed on the same side (so
/// that p close to 1 keeps the digits of 1 − p).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probability {
    /// The probability.
    pub p: f64,
    /// 1 − p, with full relative precision.
    pub complement: f64,
    /// An estimate of the absolute error of p (lattice and truncation).
    pub error: f64,
}

impl Probability {
    /// A method that has no answer here (shown as n/a, written as "nan").
    pub const UNAVAILABLE: Probability = Probability {
        p: f64::NAN,
        complement: f64::NAN,
        error: f64::NAN,
    };
}

/// ln Σ p_j e^{τ j} and the tilted mean and variance of j, from ln p_j (−∞ for empty
/// points).
pub(super) fn tilt(ln_p: &[f64], tau: f64) -> (f64, f64, f64) {
    let max = ln_p
        .iter()
        .enumerate()
        .map(|(j, l)| l + tau * j as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut z, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for (j, &l) in ln_p.iter().enumerate() {
        if l > f64::NEG_INFINITY {
            let w = (l + tau * j as f64 - max).exp();
            let jf = j as f64;
            z += w;
            s1 += w * jf;
            s2 += w * jf * jf;
        }
    }
    let mean = s1 / z;
    (max + z.ln(), mean, (s2 / z - mean * mean).max(0.0))
}

/// P(T > t) (upper = true) or P(T ≤ t) for T = Σ of `depth` iid lattice indices with masses
/// `p`, returned as ln of the probability; by FFT under the tilt centring T on t.
fn ln_lattice_tail(p: &[f64], depth: u32, t: f64, upper: bool) -> f64 {
    let k = f64::from(depth);
    let last = (p.len() - 1) as f64;
    if (upper && t >= k * last + 0.5) || (!upper && t < -0.5) {
        return f64::NEG_INFINITY;
    }
    // Solve E_τ[j] = t/K for τ: Newton (dE/dτ = Var_τ) kept inside a bisection bracket.
    let ln_p: Vec<f64> = p
        .iter()
        .map(|&m| if m > 0.0 { m.ln() } else { f64::NEG_INFINITY })
        .collect();
    let target = (t / k).clamp(1e-9, last - 1e-9);
    let tau = tilt_for_mean(&ln_p, target, 50.0, 1e-10, 1e-15);
    let (ln_m, tilted_mean, var) = tilt(&ln_p, tau);
    if (tilted_mean - target).abs() > 1e-6 * target.max(1.0) + 0.5 / k {
        // No tilt centres the sum on t (a law with too few lattice points, e.g. a single
        // atom): the window below would not hold what matters. Such laws have no mass
        // strictly between their points, so the tail beyond t is empty here.
        return f64::NEG_INFINITY;
    }
    // A window of ±24 sd of the tilted sum (and at least one factor's support) holds all
    // that matters; what wraps around the circle is below 1e-100 of the total.
    let sd = (k * var).sqrt();
    let need = (48.0 * sd + 64.0).max(p.len() as f64 + 1.0);
    let size = (need as usize).next_power_of_two();
    let mut buf = vec![Complex::new(0.0, 0.0); size];
    for (j, &l) in ln_p.iter().enumerate() {
        buf[j % size].re += (l + tau * j as f64 - ln_m).exp();
    }
    let mut planner = FftPlanner::<f64>::new();
    planner.plan_fft_forward(size).process(&mut buf);
    for z in buf.iter_mut() {
        *z = z.powu(depth);
    }
    planner.plan_fft_inverse(size).process(&mut buf);
    let scale = 1.0 / size as f64;
    // Lattice point u stands for the cell [u − ½, u + ½) of the continuous sum, so the
    // cell u0 holding t counts in proportion to the part of it beyond t (first order in h
    // otherwise). Sum the tilted law times e^{−τ(u − u0)} over the wanted side, u within
    // half a window.
    let u0 = t.round() as i64;
    let part = if upper {
        u0 as f64 + 0.5 - t
    } else {
        t - (u0 as f64 - 0.5)
    };
    let half = (size / 2) as i64;
    let (from, to) = if upper {
        (u0, u0 + half)
    } else {
        (u0 - half + 1, u0)
    };
    let from = from.max(0);
    let to = to.min((k * last) as i64);
    // ln of each tilted term (−∞ for empty points), summed by log-sum-exp: a steep tilt
    // can make single factors overflow while their products with tiny masses do not.
    let ln_term = |u: i64, weight: f64| {
        let g = (buf[(u.rem_euclid(size as i64)) as usize].re * scale).max(0.0) * weight;
        if g > 0.0 {
            g.ln() - tau * (u - u0) as f64
        } else {
            f64::NEG_INFINITY
        }
    };
    let log_sum = |terms: Vec<f64>| {
        let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return max;
        }
        max + terms.iter().map(|l| (l - max).exp()).sum::<f64>().ln()
    };
    let sum = log_sum(
        (from..=to)
            .map(|u| ln_term(u, if u == u0 { part } else { 1.0 }))
            .collect(),
    );
    k * ln_m - tau * u0 as f64 + sum
}

/// The tilt τ in [−bound, bound] with tilted mean `target` of the lattice law with logs
/// `ln_p`: Newton steps (dE/dτ = Var_τ) kept inside a bisection bracket, until the mean is
/// within `rel_tol` (relative, at least absolute) or the bracket narrower than `width`.
pub(super) fn tilt_for_mean(
    ln_p: &[f64],
    target: f64,
    bound: f64,
    rel_tol: f64,
    width: f64,
) -> f64 {
    let (mut lo, mut hi, mut tau) = (-bound, bound, 0.0f64);
    for _ in 0..200 {
        let (_, mean, var) = tilt(ln_p, tau);
        if (mean - target).abs() <= rel_tol * target.max(1.0) || hi - lo < width {
            break;
        }
        if mean < target {
            lo = tau;
        } else {
            hi = tau;
        }
        let newton = tau - (mean - target) / var;
        tau = if newton > lo && newton < hi && var > 0.0 {
            newton
        } else {
            0.5 * (lo + hi)
        };
    }
    tau
}

/// The exact P(ln g < ln_vanish) and P(ln g > ln_explode) for K = `depth` iid factors, at
/// the default accuracy: the estimates of [`exact_brackets`](crate::methods::bracket::exact_brackets),
/// each with the distance to the farther end of its bracket as `error`.
///
/// ```
/// use vanish::{model::activation::Activation, methods::law::{FactorLaw, exact_tails}};
/// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
/// let d = "mix(0.3*point(0), 0.7*point(1.5))".parse().unwrap();
/// let law = FactorLaw::new(&f, &d).unwrap();
/// let (_vanish, explode) = exact_tails(&law, 20, (1e-6f64).ln(), (1e6f64).ln());
/// // Only all 20 factors at x = 0 explode: 0.3^20.
/// assert!((explode.p / 0.3f64.powi(20) - 1.0).abs() < 1e-6);
/// ```
pub fn exact_tails(
    law: &FactorLaw,
    depth: u32,
    ln_vanish: f64,
    ln_explode: f64,
) -> (Probability, Probability) {
    let (v, e) = crate::methods::bracket::exact_brackets(
        law,
        depth,
        ln_vanish,
        ln_explode,
        &crate::methods::bracket::Accuracy::default(),
    );
    (v.probability(), e.probability())
}

/// The exact probability of each bin [lo, hi) of log10 g, for K = `depth` factors, and the
/// mass the computation could not place (the lattice sum beyond its window; an upper bound
/// on the error of the bins). The lattice law of the sum is computed once, untilted, on a
/// window holding its mean ± 40 sd; each lattice point's mass is spread over its cell.
pub fn exact_bin_masses(law: &FactorLaw, depth: u32, bins: &[(f64, f64)]) -> (Vec<f64>, f64) {
    let h = law.step(depth);
    let k = f64::from(depth);
    let c = law.cap();
    // The lattice down to where one factor alone puts log10 g below every bin.
    let lowest = bins.iter().map(|b| b.0).fold(f64::INFINITY, f64::min) * std::f64::consts::LN_10;
    let decisive = if lowest.is_finite() {
        (((k * c - lowest) / h).ceil().max(1.0) as usize).saturating_add(2)
    } else {
        1 << 20
    };
    let (p, _) = law.lattice(h, decisive.min(1 << 22));
    let mean: f64 = p.iter().enumerate().map(|(j, m)| j as f64 * m).sum();
    let var: f64 = p
        .iter()
        .enumerate()
        .map(|(j, m)| (j as f64 - mean).powi(2) * m)
        .sum();
    let (mean_t, sd_t) = (k * mean, (k * var).sqrt());
    let need = (2.0 * (mean_t + 40.0 * sd_t)).max(1024.0);
    if need.is_nan() || need > MAX_FFT_POINTS as f64 {
        // Past the cap (checked before any work by `check_size`; this guards the rest):
        // no bin is placed, and all the mass is reported as unplaced.
        return (vec![0.0; bins.len()], 1.0);
    }
    let size = (need as usize).next_power_of_two();
    let mut buf = vec![Complex::new(0.0, 0.0); size];
    let mut dropped = 0.0;
    for (j, &m) in p.iter().enumerate() {
        if j < size {
            buf[j].re = m;
        } else {
            dropped += m;
        }
    }
    let mut planner = FftPlanner::<f64>::new();
    planner.plan_fft_forward(size).process(&mut buf);
    for z in buf.iter_mut() {
        *z = z.powu(depth);
    }
    planner.plan_fft_inverse(size).process(&mut buf);
    let scale = 1.0 / size as f64;
    // What wraps around the circle: sums at or beyond the window, by the tilted tail.
    let ln_beyond = ln_lattice_tail(&p, depth, (size - 1) as f64, true);
    let unplaced = ln_beyond.exp() + k * dropped;
    // Spread lattice point t over [x − w/2, x + w/2] in log10 g, x = (Kc − h·t)/ln 10.
    let w = h / std::f64::consts::LN_10;
    let mut masses = vec![0.0; bins.len()];
    let mut sorted: Vec<usize> = (0..bins.len()).collect();
    sorted.sort_by(|&a, &b| bins[a].0.total_cmp(&bins[b].0));
    for (t, z) in buf.iter().enumerate() {
        let m = (z.re * scale).max(0.0);
        if m == 0.0 {
            continue;
        }
        let x = (k * c - h * t as f64) / std::f64::consts::LN_10;
        let (a, b) = (x - 0.5 * w, x + 0.5 * w);
        // First bin whose upper edge is above a.
        let start = sorted.partition_point(|&i| bins[i].1 <= a);
        for &i in &sorted[start..] {
            let (lo, hi) = bins[i];
            if lo >= b {
                break;
            }
            let overlap = hi.min(b) - lo.max(a);
            if overlap > 0.0 {
                masses[i] += m * overlap / w;
            }
        }
    }
    (masses, unplaced)
}
