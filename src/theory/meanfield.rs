//! Mean-field theory of wide random networks (Poole et al. 2016, Schoenholz et al. 2017).
//!
//! With weights N(0, σ_w²/fan_in) and biases N(0, σ_b²), the pre-activations of a wide layer
//! are Gaussian with variance q, and q follows the length map
//! q ↦ σ_w²·E[φ(√q·z)²] + σ_b² (z standard normal) to its fixed point q*. A vector pushed
//! backwards (or a tangent pushed forwards) gains χ1 = σ_w²·E[φ'(√q*·z)²] in squared norm
//! per layer, so E‖Ju‖²/‖u‖² = (W_K/d)·∏ χ1(q^l): χ1 < 1 is the ordered (vanishing) phase,
//! χ1 > 1 the chaotic (exploding) one. Two inputs at correlation c move to
//! C(c) = (σ_w²·E[φ(u1)φ(u2)] + σ_b²)/q*; its stable fixed point c* and the slope there, χ_c,
//! set the depth scale ξ_c = −1/ln χ_c, and ξ_q = −1/ln(χ1 + σ_w²·E[φ''φ]) that of q.
//!
//! Quadrature: φ is piecewise linear (ReLU, leaky ReLU) and the Gaussian integrals have closed
//! forms, or φ is analytic (tanh, sigmoid) and the integrals use the trapezoid rule on
//! z ∈ [−10, 10] (1-D) and [−8.5, 8.5]² (2-D). For an integrand analytic in a strip of
//! half-width d around the real axis the rule's error falls like e^{−2πd/h}; tanh(n·√q·z) has
//! its nearest poles at d = π/(2n√q), so the step h = 0.15/(n√q) (1-D) and 0.3/(n√q) (2-D)
//! gives e^{−66} and e^{−33} before the constant, which grows with the order of the pole
//! (sech⁴ in E[φ'²]). Measured: χ1 within 1e-16 of a 30-digit mpmath quadrature at
//! n = 2, q = 0.52, where h = 0.3/(n√q) was off by 7e-11; the tests hold q* and χ1 to
//! 1e-12 of adaptive Gauss–Kronrod, and c* to 1e-8 of a nested adaptive 2-D integral.
//! Gauss–Hermite converges far more slowly here (2e-6 with 120 nodes at q = 4, n = 1: the
//! poles sit close to the real axis), which is why it is not used.
//!
//! ```
//! use vanish::{model::activation::Activation, theory::meanfield::MeanField};
//! // tanh at σ_w = 1, σ_b = 0 is critical: q* = 0 and χ1 = 1 exactly.
//! let mf = MeanField::new(Activation::scaled_tanh(1.0, 1.0).unwrap(), 1.0, 0.0).unwrap();
//! let fp = mf.fixed_point();
//! assert_eq!(fp.q_star, 0.0);
//! assert!((fp.chi1 - 1.0).abs() < 1e-12);
//! // ReLU: χ1 = σ_w²/2, critical at σ_w = √2 whatever σ_b.
//! let relu = MeanField::new(Activation::Relu, 1.2, 0.1).unwrap();
//! assert!((relu.fixed_point().chi1 - 0.72).abs() < 1e-12);
//! ```

use std::f64::consts::PI;

use crate::error::ConfigError;
use crate::model::activation::Activation;

/// Largest accepted σ_w and σ_b.
pub const MAX_SIGMA: f64 = 100.0;

/// |χ1 − 1| below this is reported as the critical phase.
pub const CRITICAL_TOLERANCE: f64 = 1e-9;

/// Mean-field theory of one (activation, σ_w, σ_b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanField {
    /// The activation φ.
    pub activation: Activation,
    /// Weights N(0, σ_w²/fan_in).
    pub sigma_w: f64,
    /// Biases N(0, σ_b²).
    pub sigma_b: f64,
}

/// Where the length and correlation maps settle, and how fast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedPoint {
    /// The fixed point q* of the length map (∞ where q grows without bound: ReLU-like φ
    /// with σ_w² above the critical value).
    pub q_star: f64,
    /// χ1 = σ_w²·E[φ'(√q*·z)²], the per-layer gain of ‖Ju‖².
    pub chi1: f64,
    /// The stable fixed point of the correlation map: 1 in the ordered phase; NaN where
    /// there is none (smooth φ at σ_b = 0 in the ordered phase, where q^l → 0 and the
    /// correlations freeze; the linear network).
    pub c_star: f64,
    /// The slope of the correlation map at c*.
    pub chi_c: f64,
    /// Depth scale of the convergence of q to q* (∞ at a marginal fixed point).
    pub xi_q: f64,
    /// Depth scale of the convergence of c to c* (∞ on the critical line).
    pub xi_c: f64,
}

impl FixedPoint {
    /// `ordered` (χ1 < 1: gradients vanish), `chaotic` (χ1 > 1: they explode) or `critical`.
    pub fn phase(&self) -> &'static str {
        if (self.chi1 - 1.0).abs() < CRITICAL_TOLERANCE {
            "critical"
        } else if self.chi1 < 1.0 {
            "ordered"
        } else {
            "chaotic"
        }
    }
}

impl MeanField {
    /// Validates σ_w in (0, [`MAX_SIGMA`]] and σ_b in [0, [`MAX_SIGMA`]].
    pub fn new(activation: Activation, sigma_w: f64, sigma_b: f64) -> Result<Self, ConfigError> {
        if !(sigma_w.is_finite() && sigma_w > 0.0 && sigma_w <= MAX_SIGMA) {
            return Err(ConfigError::new(
                "--sigma-w",
                format!("must be a number in (0, {MAX_SIGMA}], got {sigma_w}"),
            ));
        }
        if !(sigma_b.is_finite() && (0.0..=MAX_SIGMA).contains(&sigma_b)) {
            return Err(ConfigError::new(
                "--sigma-b",
                format!("must be a number in [0, {MAX_SIGMA}], got {sigma_b}"),
            ));
        }
        Ok(MeanField {
            activation,
            sigma_w,
            sigma_b,
        })
    }

    fn vw(&self) -> f64 {
        self.sigma_w * self.sigma_w
    }

    fn vb(&self) -> f64 {
        self.sigma_b * self.sigma_b
    }

    /// The length map: q ↦ σ_w²·E[φ(√q·z)²] + σ_b².
    pub fn length_map(&self, q: f64) -> f64 {
        let e = match linear_pieces(&self.activation) {
            Some((_, m2)) => m2 * q,
            None => gauss(&self.activation, q, |x| self.activation.value(x).powi(2)),
        };
        self.vw() * e + self.vb()
    }

    /// χ(q) = σ_w²·E[φ'(√q·z)²]: the gain of ‖Ju‖² through a layer at variance q.
    pub fn chi(&self, q: f64) -> f64 {
        match linear_pieces(&self.activation) {
            Some((_, m2)) => self.vw() * m2,
            None => {
                self.vw()
                    * gauss(&self.activation, q, |x| {
                        self.activation.derivative(x).powi(2)
                    })
            }
        }
    }

    /// E[ln φ'(√q·z)] (closed forms for ReLU, −∞, and leaky ReLU, ½·ln α).
    pub fn mean_ln_derivative(&self, q: f64) -> f64 {
        match self.activation {
            Activation::Relu => f64::NEG_INFINITY,
            Activation::LeakyRelu { alpha } => 0.5 * alpha.ln(),
            _ => gauss(&self.activation, q, |x| self.activation.ln_derivative(x)),
        }
    }

    /// The variances q^1…q^K of layers 1 to `depth` for an input with mean square `m2`
    /// (q^1 = σ_w²·m2 + σ_b²).
    pub fn lengths(&self, m2: f64, depth: u32) -> Vec<f64> {
        let mut q = self.vw() * m2 + self.vb();
        let mut out = Vec::with_capacity(depth as usize);
        for _ in 0..depth {
            out.push(q);
            q = self.length_map(q);
        }
        out
    }

    /// The fixed point of the length map: for bounded φ by bisection between σ_b² and
    /// σ_w²·sup φ² + σ_b²; for ReLU-like φ in closed form.
    pub fn length_fixed_point(&self) -> f64 {
        if let Some(m) = linear_pieces(&self.activation).map(|(_, m2)| m2) {
            // q ↦ σ_w²·m·q + σ_b²: a fixed point only below slope 1 (or 0 when σ_b = 0).
            let slope = self.vw() * m;
            // σ_w = √2 for ReLU gives a slope of 1 + 2e-16: within rounding, critical.
            let slope = if (slope - 1.0).abs() < 1e-12 {
                1.0
            } else {
                slope
            };
            return if self.vb() == 0.0 && slope <= 1.0 {
                0.0
            } else if slope < 1.0 {
                self.vb() / (1.0 - slope)
            } else {
                f64::INFINITY
            };
        }
        let h = |q: f64| self.length_map(q) - q;
        let hi = self.vw() * sup_square(&self.activation) + self.vb();
        let mut lo = self.vb();
        if lo == 0.0 {
            // q = 0 is a fixed point when φ(0) = 0; it is the stable one unless the slope
            // σ_w²·φ'(0)² at 0 exceeds 1, and then a positive one lies above it.
            if self.activation.value(0.0) == 0.0 {
                if self.vw() * self.activation.derivative(0.0).powi(2) <= 1.0 {
                    return 0.0;
                }
                lo = hi * 1e-300;
                while h(lo) <= 0.0 && lo < hi {
                    lo *= 1e3;
                }
            }
        }
        bisect(h, lo, hi)
    }

    /// The correlation map at variance q: c ↦ (σ_w²·E[φ(u1)φ(u2)] + σ_b²)/q, with
    /// (u1, u2) normal, variances q and correlation c.
    pub fn correlation_map(&self, q: f64, c: f64) -> f64 {
        let e = match linear_pieces(&self.activation) {
            Some((alpha, _)) => q * leaky_product(alpha, c),
            None => gauss2(&self.activation, q, c, |x| self.activation.value(x)),
        };
        (self.vw() * e + self.vb()) / q
    }

    /// χ_c(q, c) = σ_w²·E[φ'(u1)φ'(u2)], the slope of the correlation map.
    pub fn correlation_slope(&self, q: f64, c: f64) -> f64 {
        let e = match linear_pieces(&self.activation) {
            Some((alpha, _)) => leaky_slope(alpha, c),
            None => gauss2(&self.activation, q, c, |x| self.activation.derivative(x)),
        };
        self.vw() * e
    }

    /// The integrand evaluations [`MeanField::fixed_point`] may take: for smooth φ the
    /// trapezoid steps shrink as 1/(n·√q) (the poles of tanh(n·√q·z) near the real axis),
    /// so at q ≤ q_max = σ_w²·sup φ² + σ_b² about 200 one-dimensional rules of 20/dz₁
    /// nodes (the length map's bisection) and 150 two-dimensional ones of (17/dz₂)² (the
    /// correlation map's Newton steps and bisection). Closed forms (ReLU-like φ) cost 1.
    pub fn evaluations(&self) -> f64 {
        if linear_pieces(&self.activation).is_some() {
            return 1.0;
        }
        let two = 17.0 / step(&self.activation, self.largest_q(), 0.3) + 1.0;
        self.chi1_evaluations() + 150.0 * two * two
    }

    /// The integrand evaluations of [`MeanField::chi1`]: the 200 one-dimensional rules of
    /// [`MeanField::evaluations`].
    pub fn chi1_evaluations(&self) -> f64 {
        if linear_pieces(&self.activation).is_some() {
            return 1.0;
        }
        200.0 * (20.0 / step(&self.activation, self.largest_q(), 0.15) + 1.0)
    }

    /// The largest q the maps visit: σ_w²·sup φ² + σ_b².
    fn largest_q(&self) -> f64 {
        self.vw() * sup_square(&self.activation) + self.vb()
    }

    /// χ1 at the fixed point q* (cheaper than [`MeanField::fixed_point`]).
    pub fn chi1(&self) -> f64 {
        self.chi(self.length_fixed_point())
    }

    /// q*, χ1, c*, χ_c, ξ_q and ξ_c.
    pub fn fixed_point(&self) -> FixedPoint {
        let q = self.length_fixed_point();
        let chi1 = self.chi(q);
        // ξ_q: the slope of the length map at q* is χ1 + σ_w²·E[φ''φ] (the second term
        // vanishes for piecewise-linear φ with φ(0) = 0, and at q* = 0).
        let slope_q = match linear_pieces(&self.activation) {
            Some((_, m2)) => self.vw() * m2,
            None if q == 0.0 => chi1,
            None => {
                self.vw()
                    * gauss(&self.activation, q, |x| {
                        self.activation.derivative(x).powi(2)
                            + self.activation.second_derivative(x) * self.activation.value(x)
                    })
            }
        };
        let xi_q = if q.is_finite() {
            depth_scale(slope_q)
        } else if (slope_q - 1.0).abs() < CRITICAL_TOLERANCE {
            f64::INFINITY
        } else {
            f64::NAN // q grows without bound: no fixed point to converge to
        };
        let point = |c_star: f64, chi_c: f64, xi_c: f64| FixedPoint {
            q_star: q,
            chi1,
            c_star,
            chi_c,
            xi_q,
            xi_c,
        };
        if let Some((alpha, _)) = linear_pieces(&self.activation)
            && (self.vb() == 0.0 || !q.is_finite())
        {
            // Without σ_b (or as q → ∞) the correlation map of ReLU-like φ no longer
            // depends on q: C(c) = K(c)/K(1), with slope 1 at c = 1, so c → 1 only
            // polynomially in depth (ξ_c = ∞); for the identity (α = 1) every c is a
            // fixed point.
            let c_star = if alpha == 1.0 { f64::NAN } else { 1.0 };
            return point(c_star, 1.0, f64::INFINITY);
        }
        if q == 0.0 {
            // Smooth φ with σ_b = 0 in the ordered phase: q^l → 0, the layers become linear
            // and correlations freeze where they are: no c*, ξ_c = ∞.
            return point(f64::NAN, 1.0, f64::INFINITY);
        }
        if chi1 <= 1.0 {
            // Ordered: inputs converge, c* = 1 and χ_c = χ1.
            return point(1.0, chi1, depth_scale(chi1));
        }
        // Chaotic: h(c) = C(c) − c is convex, ≥ 0 at c = 0 and < 0 just below 1 (slope
        // χ1 > 1 at c = 1), so Newton's method from c = 0 climbs monotonically to c*
        // (h' = χ_c − 1 by Price's theorem); bisection is the fallback.
        let h = |c: f64| self.correlation_map(q, c) - c;
        let mut c = 0.0;
        let mut converged = false;
        for _ in 0..60 {
            let step = h(c) / (self.correlation_slope(q, c) - 1.0);
            let next = c - step;
            if !(next.is_finite() && (c..1.0).contains(&next)) {
                break;
            }
            c = next;
            if step.abs() <= 1e-13 {
                converged = true;
                break;
            }
        }
        let c_star = if converged {
            c
        } else {
            let top = 1.0 - 1e-7;
            if h(top) >= 0.0 {
                1.0
            } else {
                bisect(h, 0.0, top)
            }
        };
        let chi_c = self.correlation_slope(q, c_star);
        point(c_star, chi_c, depth_scale(chi_c))
    }
}

/// The σ_w at which χ1 = 1 for this σ_b: the order/chaos boundary. `None` if χ1 does not
/// cross 1 for σ_w in [1e-3, [`MAX_SIGMA`]].
///
/// ```
/// use vanish::{model::activation::Activation, theory::meanfield::critical_sigma_w};
/// let s = critical_sigma_w(Activation::Relu, 0.3).unwrap();
/// assert!((s - 2f64.sqrt()).abs() < 1e-9);
/// // tanh(2x) at σ_b = 0: χ1 = 4σ_w² at q* = 0, so σ_w = 1/2 (found to about 1e-8 only:
/// // above it χ1 − 1 is of second order in σ_w − 1/2).
/// let t = critical_sigma_w(Activation::scaled_tanh(1.0, 2.0).unwrap(), 0.0).unwrap();
/// assert!((t - 0.5).abs() < 1e-7);
/// ```
pub fn critical_sigma_w(activation: Activation, sigma_b: f64) -> Option<f64> {
    let excess = |ln_s: f64| {
        MeanField {
            activation,
            sigma_w: ln_s.exp(),
            sigma_b,
        }
        .chi1()
            - 1.0
    };
    let (lo, hi) = (1e-3f64.ln(), MAX_SIGMA.ln());
    if excess(lo) >= 0.0 || excess(hi) <= 0.0 {
        return None;
    }
    // χ1 rises through 1 once: bisect on ln σ_w for relative accuracy.
    Some(bisect(|s| -excess(s), lo, hi).exp())
}

/// −1/ln(slope): the number of layers over which a deviation shrinks by e (∞ at slope 1).
fn depth_scale(slope: f64) -> f64 {
    if slope.is_nan() {
        return f64::NAN;
    }
    let l = slope.ln();
    // Within rounding of 1 (σ_w = √2 for ReLU squares to 2 + 4e-16): marginal.
    if l.abs() < 1e-12 {
        f64::INFINITY
    } else {
        -1.0 / l
    }
}

/// For ReLU-like φ: (α, E[φ'(z)²] = (1+α²)/2), α the negative slope.
fn linear_pieces(activation: &Activation) -> Option<(f64, f64)> {
    match *activation {
        Activation::Relu => Some((0.0, 0.5)),
        Activation::LeakyRelu { alpha } => Some((alpha, (1.0 + alpha * alpha) / 2.0)),
        _ => None,
    }
}

/// E[φ(u1)φ(u2)]/q for leaky ReLU with slope α (ReLU: α = 0) and correlation c: the
/// arc-cosine kernel (Cho & Saul 2009) plus the linear parts.
fn leaky_product(alpha: f64, c: f64) -> f64 {
    let c = c.clamp(-1.0, 1.0);
    let arc = ((1.0 - c * c).sqrt() + (PI - c.acos()) * c) / (2.0 * PI);
    alpha * alpha * c + alpha * (1.0 - alpha) * c + (1.0 - alpha).powi(2) * arc
}

/// E[φ'(u1)φ'(u2)] for leaky ReLU: α² + α(1−α) + (1−α)²·P(u1 > 0, u2 > 0).
fn leaky_slope(alpha: f64, c: f64) -> f64 {
    let both = (PI - c.clamp(-1.0, 1.0).acos()) / (2.0 * PI);
    alpha * alpha + alpha * (1.0 - alpha) + (1.0 - alpha).powi(2) * both
}

/// sup φ² for bounded φ.
fn sup_square(activation: &Activation) -> f64 {
    match *activation {
        Activation::ScaledTanh { a, .. } => a * a,
        _ => 1.0,
    }
}

/// The slope scale s of φ: φ(x) is analytic for |Im x| < π/(2s).
fn analytic_scale(activation: &Activation) -> f64 {
    match *activation {
        Activation::ScaledTanh { n, .. } => n,
        _ => 0.5,
    }
}

/// The trapezoid step for E[h(√q·z)] (`factor` 0.15 in 1-D, 0.3 in 2-D; see the module
/// documentation).
fn step(activation: &Activation, q: f64, factor: f64) -> f64 {
    let s = analytic_scale(activation) * q.sqrt();
    if s == 0.0 {
        0.25
    } else {
        (factor / s).min(0.25)
    }
}

const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// E[h(√q·z)] for z standard normal. Exact (h(0)) at q = 0; closed forms for ReLU-like φ
/// are the callers' business (the trapezoid rule would be only second-order at the kink).
fn gauss(activation: &Activation, q: f64, h: impl Fn(f64) -> f64) -> f64 {
    if q == 0.0 {
        return h(0.0);
    }
    if !q.is_finite() {
        return f64::NAN;
    }
    let dz = step(activation, q, 0.15);
    let half = (10.0 / dz).ceil() as i64;
    let r = q.sqrt();
    let mut sum = 0.0;
    for j in -half..=half {
        let z = j as f64 * dz;
        sum += h(r * z) * (-0.5 * z * z).exp();
    }
    sum * dz * INV_SQRT_2PI
}

/// E[h(u1)·h(u2)] for (u1, u2) normal with variances q and correlation c, by the product
/// trapezoid rule on u1 = √q·z1, u2 = √q·(c·z1 + √(1−c²)·z2).
fn gauss2(activation: &Activation, q: f64, c: f64, h: impl Fn(f64) -> f64) -> f64 {
    let dz = step(activation, q, 0.3);
    let half = (8.5 / dz).ceil() as i64;
    let (r, s) = (q.sqrt(), (1.0 - c * c).max(0.0).sqrt());
    let nodes: Vec<(f64, f64)> = (-half..=half)
        .map(|j| {
            let z = j as f64 * dz;
            (z, (-0.5 * z * z).exp() * dz * INV_SQRT_2PI)
        })
        .filter(|&(_, w)| w > 1e-300)
        .collect();
    let mut total = 0.0;
    for &(z1, w1) in &nodes {
        let h1 = h(r * z1);
        let mut inner = 0.0;
        for &(z2, w2) in &nodes {
            inner += w2 * h(r * (c * z1 + s * z2));
        }
        total += w1 * h1 * inner;
    }
    total
}

/// A root of h in [lo, hi], where h(lo) ≥ 0 ≥ h(hi), to the last bits of the interval.
fn bisect(h: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    crate::theory::roots::bisect(lo, hi, |x| Some(h(x) >= 0.0)).expect("h always answers")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trapezoid_matches_adaptive_quadrature() {
        // E[tanh(2·√q·z)²] against Gauss–Kronrod over the normal density.
        let act = Activation::scaled_tanh(1.0, 2.0).unwrap();
        for q in [0.01, 0.7, 4.0, 90.0] {
            let t = gauss(&act, q, |x| act.value(x).powi(2));
            let d = crate::model::distribution::PreActivation::normal(0.0, q.sqrt()).unwrap();
            let (gk, err) =
                crate::theory::iid::expectation(&d, &|x: f64| act.value(x).powi(2), 1e-14).unwrap();
            assert!((t - gk).abs() < 1e-12 + 10.0 * err, "q={q}: {t} vs {gk}");
        }
    }

    #[test]
    fn two_dimensional_rule_reduces_to_one_dimension() {
        // At c = 1, E[φ(u1)φ(u2)] = E[φ(u)²]; at c = 0 it is E[φ]² (0 for odd φ).
        let act = Activation::Sigmoid;
        let q = 2.5;
        let one = gauss(&act, q, |x| act.value(x).powi(2));
        assert!((gauss2(&act, q, 1.0, |x| act.value(x)) - one).abs() < 1e-9);
        let m = gauss(&act, q, |x| act.value(x));
        assert!((gauss2(&act, q, 0.0, |x| act.value(x)) - m * m).abs() < 1e-9);
    }

    #[test]
    fn relu_closed_forms_match_the_kink_free_limit() {
        // leaky-relu(1) is the identity: C(c) = (σ_w²·q·c + σ_b²)/q.
        let mf = MeanField::new(Activation::leaky_relu(1.0).unwrap(), 0.8, 0.3).unwrap();
        let q = mf.length_fixed_point();
        assert!((q - 0.09 / (1.0 - 0.64)).abs() < 1e-15);
        let c = 0.37;
        assert!((mf.correlation_map(q, c) - (0.64 * q * c + 0.09) / q).abs() < 1e-15);
        assert!((leaky_product(0.0, 1.0) - 0.5).abs() < 1e-15);
        assert!((leaky_slope(0.0, 1.0) - 0.5).abs() < 1e-15);
    }
}
