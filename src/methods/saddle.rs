//! The Lugannani–Rice saddlepoint approximation of the tails of ln g = Σ Y_i, from the
//! cumulant generating function κ(t) = ln E[f'(X)^t] of one factor, for f = a·tanh(n·x),
//! and its second-order form (Daniels 1987; Butler 2007, §2.3.1).
//!
//! With t̂ the saddlepoint (K·κ'(t̂) = s), w = sgn(t̂)·√(2(t̂·s − K·κ(t̂))),
//! u = t̂·√(K·κ''(t̂)) and the standardized cumulants of the K-fold sum at t̂,
//! λ3 = K·κ'''/(K·κ'')^{3/2} and λ4 = K·κ''''/(K·κ'')²:
//!
//! P(S ≥ s) ≈ 1 − Φ(w) + φ(w)·(1/u − 1/w)                                  (relative error O(1/K))
//!          + φ(w)·((λ4/8 − 5λ3²/24)/u − λ3/(2u²) − 1/u³ + 1/w³)          (then O(1/K²))
//!
//! and P(S < s) is Φ(w) minus the same φ(w)·{…} terms, so each side keeps its relative
//! precision.
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

/// The cumulants of one factor under the tilt t: (κ(t), κ'(t), κ''(t), κ'''(t), κ''''(t)).
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
    /// The tilted fourth cumulant of Y (fourth central moment − 3·variance²).
    pub fourth: f64,
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
        // Moments about the tilted mean, not raw ones: far out in a lower tail the mean
        // of Z is many standard deviations from 0 and raw moments would cancel.
        let moment = |centre: f64, k: i32| {
            expectation_with_points(
                self.dist,
                &|x| (t * z(x)).exp() * (z(x) - centre).powi(k),
                tol,
                &extra,
            )
            .map(|v| v.0 / m0)
        };
        let e1 = moment(0.0, 1)?;
        let (var, third, fourth) = (moment(e1, 2)?, moment(e1, 3)?, moment(e1, 4)?);
        Some(Tilted {
            kappa: t * self.cap + m0.ln(),
            mean: self.cap + e1,
            var,
            third,
            fourth: fourth - 3.0 * var * var,
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
        self.tail_of_order(depth, s, lower, Order::First)
    }

    /// [`Cgf::tail`] with Daniels' second-order term: relative error O(1/K²) where
    /// Lugannani–Rice has O(1/K). Same conventions: p and its complement each with full
    /// relative precision, exactly 0 or 1 beyond the cap, `None` for laws with point
    /// masses and where κ cannot tilt as far as s.
    ///
    /// ```
    /// use vanish::methods::saddle::Cgf;
    /// use vanish::model::activation::Activation;
    /// let tanh2 = Activation::scaled_tanh(1.0, 2.0).unwrap();
    /// let x = "normal(0,1)".parse().unwrap();
    /// let cgf = Cgf::new(&tanh2, &x).unwrap();
    /// // P(g > 1e6) at K = 50 is 7.359253e-15 (numerical Laplace inversion):
    /// // Lugannani–Rice is 1.5e-3 low, the second order 1e-5.
    /// let s = 1e6f64.ln();
    /// let first = cgf.tail(50, s, false).unwrap().p;
    /// let second = cgf.tail_second_order(50, s, false).unwrap().p;
    /// assert!((first / 7.359253e-15 - 1.0).abs() > 1e-3);
    /// assert!((second / 7.359253e-15 - 1.0).abs() < 2e-5);
    /// ```
    pub fn tail_second_order(&self, depth: u32, s: f64, lower: bool) -> Option<Probability> {
        self.tail_of_order(depth, s, lower, Order::Second)
    }

    fn tail_of_order(&self, depth: u32, s: f64, lower: bool, order: Order) -> Option<Probability> {
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
        // P(S ≥ s) and P(S < s) from the saddlepoint.
        let (upper, lower_p) = if t.abs() * (k * m.var).sqrt() < order.centre() {
            self.near_centre(k, s, order)?
        } else {
            saddlepoint_formula(k, s, t, &m, order)
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

    /// (P(S ≥ s), P(S < s)) where |t̂|·sd(S) is below `order.centre()`: there the formula
    /// is 0/0 and its terms cancel. The first order takes the Edgeworth expansion with the
    /// skewness. The second order takes the Edgeworth expansion to order 1/K plus the
    /// formula's difference from it at the window's two edges, interpolated linearly in s:
    /// at the mean the Edgeworth terms of order 1/K vanish and its error is O(K^{-3/2})
    /// (1e-4 at K = 20), while the difference is small and smooth across the window.
    fn near_centre(&self, k: f64, s: f64, order: Order) -> Option<(f64, f64)> {
        let c = self.at(0.0)?; // the untilted law: κ(0) = 0
        let sd = (k * c.var).sqrt();
        let expansion = |s: f64| edgeworth((s - k * c.mean) / sd, order.standardized(k, &c)).0;
        let up = expansion(s);
        // The formula's excess over the expansion at the edge t = ±centre/sd(S).
        let edge = |sign: f64| {
            let t = sign * order.centre() / sd;
            let m = self.at(t)?;
            let s_edge = k * m.mean;
            let formula = saddlepoint_formula(k, s_edge, t, &m, order).0;
            Some((s_edge, formula - expansion(s_edge)))
        };
        let excess = match order {
            Order::First => 0.0,
            Order::Second => match (edge(-1.0), edge(1.0)) {
                (Some((s0, d0)), Some((s1, d1))) => d0 + (d1 - d0) * (s - s0) / (s1 - s0),
                // No tilt below 0 (polynomial tails): the expansion alone.
                _ => 0.0,
            },
        };
        Some((up + excess, 1.0 - up - excess))
    }
}

/// (P(S ≥ s), P(S < s)) from the saddlepoint t̂ of s and the cumulants `m` there.
fn saddlepoint_formula(k: f64, s: f64, t: f64, m: &Tilted, order: Order) -> (f64, f64) {
    let w = t.signum() * (2.0 * (t * s - k * m.kappa)).max(0.0).sqrt();
    let u = t * (k * m.var).sqrt();
    lugannani_rice(w, u, order.standardized(k, m))
}

/// Which terms of the saddlepoint expansion a tail keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// Lugannani–Rice.
    First,
    /// Lugannani–Rice with Daniels' second-order term.
    Second,
}

impl Order {
    /// Below this |t̂|·sd(S) the tail comes from [`Cgf::near_centre`]: the saddlepoint
    /// terms cancel there (1/u − 1/w, and 1/w³ − 1/u³ − λ3/(2u²) in the second order,
    /// whose rounding grows like 1/u³: at K = 50 it is 4e-4 at 0.01, 2e-6 at 0.03).
    fn centre(self) -> f64 {
        match self {
            Order::First => 1e-2,
            Order::Second => SECOND_ORDER_CENTRE,
        }
    }

    /// The standardized cumulants (λ3, λ4) of the K-fold sum under `m` that this order
    /// uses: λ3 only for the first, both for the second.
    fn standardized(self, k: f64, m: &Tilted) -> Standardized {
        let lambda3 = k * m.third / (k * m.var).powf(1.5);
        Standardized {
            lambda3,
            lambda4: (self == Order::Second).then(|| k * m.fourth / (k * m.var).powi(2)),
        }
    }
}

/// |t̂|·sd(S) below which the second-order tail is interpolated (see [`Cgf::near_centre`]).
const SECOND_ORDER_CENTRE: f64 = 0.1;

/// The standardized third and fourth cumulants of a sum; `lambda4` is `None` for the
/// first-order formulas, which do not use it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Standardized {
    lambda3: f64,
    lambda4: Option<f64>,
}

/// (P(S ≥ s), P(S < s)) by Lugannani–Rice from w and u, with Daniels' second-order term
/// when λ4 is given (see the module's formula).
fn lugannani_rice(w: f64, u: f64, c: Standardized) -> (f64, f64) {
    let std = Normal::standard();
    let phi = (-0.5 * w * w).exp() / (2.0 * PI).sqrt();
    let mut terms = 1.0 / u - 1.0 / w;
    if let Some(lambda4) = c.lambda4 {
        let l3 = c.lambda3;
        terms += (lambda4 / 8.0 - 5.0 * l3 * l3 / 24.0) / u - l3 / (2.0 * u * u) - 1.0 / u.powi(3)
            + 1.0 / w.powi(3);
    }
    (std.sf(w) + phi * terms, std.cdf(w) - phi * terms)
}

/// (P(S ≥ s), P(S < s)) by the Edgeworth expansion at the standardized distance z from
/// the mean: the skewness term, and with λ4 the terms of order 1/K too.
fn edgeworth(z: f64, c: Standardized) -> (f64, f64) {
    let phi = (-0.5 * z * z).exp() / (2.0 * PI).sqrt();
    let l3 = c.lambda3;
    let he2 = z * z - 1.0;
    let mut terms = l3 / 6.0 * he2;
    if let Some(lambda4) = c.lambda4 {
        let he3 = z * (z * z - 3.0);
        let he5 = z * (z.powi(4) - 10.0 * z * z + 15.0);
        terms += lambda4 / 24.0 * he3 + l3 * l3 / 72.0 * he5;
    }
    let up = Normal::standard().sf(z) + phi * terms;
    (up, 1.0 - up)
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::Gamma;

    /// The tails of a Gamma(α, 1) sum (α unit exponentials, κ(t) = −α·ln(1 − t)) by the
    /// formulas of this module: (first order, second order), each as (P(S ≥ s), P(S < s)).
    fn gamma_tails(alpha: f64, s: f64) -> [(f64, f64); 2] {
        let t = 1.0 - alpha / s; // κ'(t) = α/(1 − t) = s
        let k = |j: i32, f: f64| f * alpha / (1.0 - t).powi(j); // κ^(j)(t) = (j−1)!·α/(1−t)^j
        let (k2, k3, k4) = (k(2, 1.0), k(3, 2.0), k(4, 6.0));
        let w = t.signum() * (2.0 * (t * s + alpha * (1.0 - t).ln())).sqrt();
        let u = t * k2.sqrt();
        let lambda3 = k3 / k2.powf(1.5);
        let first = Standardized {
            lambda3,
            lambda4: None,
        };
        let second = Standardized {
            lambda3,
            lambda4: Some(k4 / (k2 * k2)),
        };
        [lugannani_rice(w, u, first), lugannani_rice(w, u, second)]
    }

    /// The relative errors (first order, second order) of the tail below s·α (q < 1) or
    /// above it, against statrs' incomplete gamma function.
    fn gamma_errors(alpha: f64, q: f64) -> (f64, f64) {
        let exact = Gamma::new(alpha, 1.0).unwrap();
        let s = q * alpha;
        let [first, second] = gamma_tails(alpha, s);
        let pick = |(up, low): (f64, f64)| if q < 1.0 { low } else { up };
        let truth = if q < 1.0 { exact.cdf(s) } else { exact.sf(s) };
        (pick(first) / truth - 1.0, pick(second) / truth - 1.0)
    }

    #[test]
    fn second_order_term_matches_the_gamma_tail_to_order_one_over_k_squared() {
        // Butler's classic check: sums of exponentials, both tails, p from 0.3 to 1e-43.
        for q in [0.3, 0.6, 1.5, 3.0] {
            let (lr20, so20) = gamma_errors(20.0, q);
            let (lr80, so80) = gamma_errors(80.0, q);
            // The order of the error: the slope of ln |error| against ln α.
            let slope = |at20: f64, at80: f64| (at80 / at20).abs().ln() / 4f64.ln();
            let (lr_order, so_order) = (slope(lr20, lr80), slope(so20, so80));
            let all = format!("q = {q}: LR {lr20:e} → {lr80:e}, second order {so20:e} → {so80:e}");
            assert!((-1.4..-0.8).contains(&lr_order), "{all}: LR ∝ α^{lr_order}");
            assert!(
                (-2.3..-1.8).contains(&so_order),
                "{all}: 2nd ∝ α^{so_order}"
            );
            assert!(
                so20.abs() < lr20.abs() / 2.5 && so80.abs() < lr80.abs() / 5.0,
                "{all}"
            );
        }
    }

    #[test]
    fn second_order_edgeworth_meets_the_saddlepoint_formula_at_the_switch() {
        // The two forms of the second-order tail agree where one hands over to the other.
        let alpha: f64 = 50.0;
        for sign in [-1.0, 1.0] {
            let u_switch = sign * SECOND_ORDER_CENTRE;
            // t with t·√κ''(t) = u, κ''(t) = α/(1 − t)²: t = u/(√α + u).
            let t = u_switch / (alpha.sqrt() + u_switch);
            let s = alpha / (1.0 - t);
            let [_, (up, _)] = gamma_tails(alpha, s);
            let sd = alpha.sqrt();
            let near = Standardized {
                lambda3: 2.0 / sd,
                lambda4: Some(6.0 / alpha),
            };
            let (edge, _) = edgeworth((s - alpha) / sd, near);
            let truth = Gamma::new(alpha, 1.0).unwrap().sf(s);
            assert!((up - truth).abs() < 2e-5, "{sign}: saddle {up} vs {truth}");
            assert!(
                (edge - truth).abs() < 2e-5,
                "{sign}: edgeworth {edge} vs {truth}"
            );
        }
    }
}
