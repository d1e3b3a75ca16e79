//! The Lugannani–Rice saddlepoint approximation of the tails of ln g = Σ Y_i, from the
//! cumulant generating function κ(t) = ln E[f'(X)^t] of one factor, for f = a·tanh(n·x).
//!
//! Y = c + Z with c = ln(a·n) the cap and Z = ln sech²(n·x) ≤ 0, so κ(t) = t·c + ln E[e^{tZ}]
//! is finite for every t ≥ 0, and for t < 0 as long as the tails of x are lighter than
//! e^{2n|t||x|}. The tilted moments come from adaptive quadrature with breakpoints where
//! the tilt concentrates the integrand.

use std::f64::consts::PI;

use statrs::distribution::{ContinuousCDF, Normal};

use crate::methods::law::Probability;
use crate::model::activation::{Activation, ln_sech2};
use crate::model::distribution::PreActivation;
use crate::theory::iid::expectation_with_points;

/// The cumulants of one factor under the tilt t: (κ(t), κ'(t), κ''(t), κ'''(t)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tilted {
    /// ln E[e^{tY}].
    pub kappa: f64,
    /// The tilted mean of Y.
    pub mean: f64,
    /// The tilted variance of Y.
    pub var: f64,
    /// The tilted third central moment of Y.
    pub third: f64,
}

/// The cumulant generating function of Y = ln f'(X).
#[derive(Debug, Clone)]
pub struct Cgf<'a> {
    n: f64,
    cap: f64,
    dist: &'a PreActivation,
}

/// The smallest t for which E[e^{tZ}] is finite (exclusive): how heavy the tails are.
fn t_min(dist: &PreActivation, n: f64) -> f64 {
    match *dist {
        PreActivation::Normal { .. }
        | PreActivation::Uniform { .. }
        | PreActivation::Point { .. } => f64::NEG_INFINITY,
        PreActivation::Laplace { b, .. } => -1.0 / (2.0 * n * b),
        PreActivation::Logistic { s, .. } => -1.0 / (2.0 * n * s),
        PreActivation::StudentT { .. } => 0.0,
        PreActivation::Mixture(ref m) => m
            .components()
            .iter()
            .map(|(_, d)| t_min(d, n))
            .fold(f64::NEG_INFINITY, f64::max),
    }
}

impl<'a> Cgf<'a> {
    /// For a·tanh(n·x); `None` otherwise.
    pub fn new(activation: &Activation, dist: &'a PreActivation) -> Option<Self> {
        let (a, n) = activation.tanh_params()?;
        Some(Cgf {
            n,
            cap: (a * n).ln(),
            dist,
        })
    }

    /// The cumulants under the tilt t, or `None` outside κ's domain or where the
    /// quadrature cannot hold the tilted weights.
    pub fn at(&self, t: f64) -> Option<Tilted> {
        // κ is finite above t_min, and at t_min = 0 itself (polynomial tails allow t = 0).
        let floor = t_min(self.dist, self.n);
        if t < floor || (t == floor && floor < 0.0) {
            return None;
        }
        let n = self.n;
        // Under t > 0 the weight e^{tZ} ≈ e^{−t n² x²} narrows around 0; under t < 0 it
        // pushes mass outwards, to about |x| = 2n|t|·σ² for normal x.
        let w = 1.0 / (n * t.abs().max(1e-12).sqrt());
        let spread = self.dist.variance().unwrap_or(1.0).sqrt();
        let out = 2.0 * n * t.abs() * spread * spread;
        let mut extra = vec![];
        for k in [0.25, 1.0, 4.0, 16.0] {
            extra.extend([k * w, -k * w]);
        }
        if t < 0.0 {
            for k in [-4.0, -1.0, 0.0, 1.0, 4.0] {
                extra.extend([out + k * spread, -out - k * spread]);
            }
        }
        let z = |x: f64| ln_sech2(n * x.abs());
        let tol = 1e-300;
        let m0 = expectation_with_points(self.dist, &|x| (t * z(x)).exp(), tol, &extra)?.0;
        if !(m0.is_finite() && m0 > 0.0) {
            return None;
        }
        let moment = |k: i32| {
            expectation_with_points(self.dist, &|x| (t * z(x)).exp() * z(x).powi(k), tol, &extra)
                .map(|v| v.0 / m0)
        };
        let (e1, e2, e3) = (moment(1)?, moment(2)?, moment(3)?);
        let var = e2 - e1 * e1;
        let third = e3 - 3.0 * e1 * e2 + 2.0 * e1.powi(3);
        Some(Tilted {
            kappa: t * self.cap + m0.ln(),
            mean: self.cap + e1,
            var,
            third,
        })
    }

    /// The saddlepoint t̂ with K·κ'(t̂) = s: bracket by doubling away from 0, then bisect
    /// (κ' increases with t).
    pub fn saddlepoint(&self, depth: f64, s: f64) -> Option<(f64, Tilted)> {
        let target = s / depth;
        let centre = self.at(0.0)?;
        let (lo, hi) = if target >= centre.mean {
            let mut hi = 1.0;
            while self.at(hi)?.mean < target {
                hi *= 2.0;
                if hi > 1e9 {
                    return None;
                }
            }
            (0.0, hi)
        } else {
            let floor = t_min(self.dist, self.n);
            if floor >= 0.0 {
                return None; // polynomial tails: no tilt below 0
            }
            // Step towards the floor (κ' → −∞ there for exponential tails) or outwards.
            let mut lo = -1.0f64;
            let mut j = 1;
            loop {
                if floor.is_finite() {
                    lo = floor * (1.0 - 0.5f64.powi(j));
                    j += 1;
                }
                let m = self.at(lo)?; // None: the quadrature cannot hold this tilt
                if m.mean <= target {
                    break;
                }
                if j > 50 || lo < -1e4 {
                    return None;
                }
                if !floor.is_finite() {
                    lo *= 2.0;
                }
            }
            (lo, 0.0)
        };
        let t = crate::theory::roots::bisect(lo, hi, |mid| Some(self.at(mid)?.mean < target))?;
        self.at(t).map(|m| (t, m))
    }

    /// The slope n and the cap c = ln(a·n).
    pub fn slope_and_cap(&self) -> (f64, f64) {
        (self.n, self.cap)
    }

    /// P(Σ Y < s) (lower = true) or P(Σ Y > s) for `depth` factors, by Lugannani–Rice;
    /// `None` for laws of x with point masses (the formula is for continuous laws) and
    /// where κ cannot tilt as far as s.
    pub fn tail(&self, depth: u32, s: f64, lower: bool) -> Option<Probability> {
        if self.dist.has_atoms() {
            return None;
        }
        let k = f64::from(depth);
        let cap = k * self.cap;
        if s >= cap {
            // Nothing lies beyond the cap.
            let (p, complement) = if lower { (1.0, 0.0) } else { (0.0, 1.0) };
            return Some(Probability {
                p,
                complement,
                error: f64::NAN,
            });
        }
        let (t, m) = self.saddlepoint(k, s)?;
        let kappa0 = self.at(0.0)?; // the untilted law: κ(0) = 0
        let std = Normal::standard();
        // P(S ≥ s) and P(S < s) from the saddlepoint.
        let (upper, lower_p) = if t.abs() * (k * m.var).sqrt() < 1e-2 {
            // At and near the centre the formula is 0/0 and 1/u − 1/w cancels: use the
            // Edgeworth expansion with the skewness there.
            let skew = k * kappa0.third / (k * kappa0.var).powf(1.5);
            let shift = (s - k * kappa0.mean) / (k * kappa0.var).sqrt();
            let up = std.sf(shift)
                - skew / (6.0 * (2.0 * PI).sqrt())
                    * (1.0 - shift * shift)
                    * (-0.5 * shift * shift).exp();
            (up, 1.0 - up)
        } else {
            let w = t.signum() * (2.0 * (t * s - k * m.kappa)).max(0.0).sqrt();
            let u = t * (k * m.var).sqrt();
            let phi = (-0.5 * w * w).exp() / (2.0 * PI).sqrt();
            let corr = phi * (1.0 / u - 1.0 / w);
            (std.sf(w) + corr, std.cdf(w) - corr)
        };
        let (p, complement) = if lower {
            (lower_p, upper)
        } else {
            (upper, lower_p)
        };
        Some(Probability {
            p: p.clamp(0.0, 1.0),
            complement: complement.clamp(0.0, 1.0),
            error: f64::NAN,
        })
    }
}
