//! Envelopes of the tilted law q(x) ∝ e^{θZ(x)}·p(x), Z(x) = ln sech²(n·x) ≤ 0: a finite
//! list of [`Piece`]s, each a law that is quick to draw from, with a weight and a log
//! acceptance a(x) ≤ 0, such that Σ_pieces weight·density(x)·e^{a(x)} is exactly
//! e^{θZ(x)}·p(x) (the unit tests check both on dense grids and at the extremes).
//!
//! A draw picks a piece by its weight, draws x from it, starts over when x falls outside
//! the piece's interval (which supplies the truncation: the weights are those of the
//! untruncated laws), and accepts x with probability e^{a(x)}. A mixture's envelope is the
//! mixture of its components' envelopes, weighted by their masses.
//!
//! The bounds, with u = n·|x|:
//! - θ < 0 (lower tail): θZ = 2|θ|·ln cosh u ≤ c·|x|, c = 2n|θ|. Normal x: e^{c|x|}·p(x)
//!   is two shifted normals on x > 0 and x ≤ 0. Laplace and uniform x: e^{c|x|}·p(x) is
//!   exponential on each interval between 0 and μ (drawn by inversion). Logistic x: its
//!   density is at most twice the Laplace density of the same μ and scale, which is then
//!   tilted as above. Every tilt with c < 1/scale exists (κ is finite there); Student's t
//!   has no tilt below 0 (its polynomial tails make E[f'^θ] infinite).
//! - θ ≥ 0 (upper tail): e^{θZ} ≤ 1, so p itself is an envelope (laplace, logistic,
//!   uniform, Student's t). For normal x that wastes draws when θ is large (q is then a
//!   normal of variance ≈ 1/(2θn²)), so: ln cosh √v is concave in v (its derivative
//!   tanh(u)/(2u) decreases), hence ln cosh u ≥ α·u² on u ≤ U with α = ln cosh(U)/U² (the
//!   chord), and ln cosh u ≥ ln cosh U beyond. The core |x| ≤ U/n is then the narrower
//!   normal p(x)·e^{−2θα n² x²}, the rest p(x)·cosh(U)^{−2θ}; U minimises the envelope's
//!   mass. (A normal narrower than p cannot bound q alone: q's tails are p's times e^{−2θn|x|}.)
//! - Point masses are their own tilted law, weighted by e^{θZ(x0)}.

use std::f64::consts::PI;

use crate::model::activation::ln_sech2;
use crate::model::distribution::PreActivation;

/// How a piece draws x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// x = loc + scale·z with z standard normal (weight: the untruncated law's).
    Gauss {
        /// Location.
        loc: f64,
        /// Scale.
        scale: f64,
    },
    /// Density ∝ e^{e0 + rate·x} on [lo, hi] (the weight is its mass there), by inversion.
    Expo {
        /// Log of the unnormalised density at x = 0.
        e0: f64,
        /// Slope of the log density.
        rate: f64,
    },
    /// Student's t with ν degrees of freedom times `scale`, by Bailey's polar method.
    StudentT {
        /// Degrees of freedom.
        nu: f64,
        /// Scale.
        scale: f64,
    },
    /// x = lo = hi.
    Atom,
}

/// What is added to θZ(x) to give the log acceptance a(x) ≤ 0 of a piece.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Correction {
    /// −c·|x| + q·x² + k.
    Poly {
        /// Slope of the e^{c|x|} bound.
        c: f64,
        /// Curvature of the normal core.
        q: f64,
        /// Constant.
        k: f64,
    },
    /// −c·|x| − 2·ln(1 + e^{−|x − μ|/s}): the logistic density over twice the Laplace one.
    Logistic {
        /// Slope of the e^{c|x|} bound.
        c: f64,
        /// Location.
        mu: f64,
        /// Scale.
        s: f64,
    },
}

impl Correction {
    /// The correction at x (scalar, with libm; the sampler computes it in bulk).
    pub fn at(&self, x: f64) -> f64 {
        match *self {
            Correction::Poly { c, q, k } => -c * x.abs() + q * x * x + k,
            Correction::Logistic { c, mu, s } => {
                -c * x.abs() - 2.0 * (-(x - mu).abs() / s).exp().ln_1p()
            }
        }
    }
}

/// One piece of an envelope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// How x is drawn.
    pub shape: Shape,
    /// The interval of x the piece covers (a draw outside it starts over).
    pub lo: f64,
    /// Its upper end.
    pub hi: f64,
    /// Whether the piece covers (lo, hi] (else the outside: x ≤ lo or x > hi).
    pub inside: bool,
    /// Log of the piece's weight (the mixture weight included).
    pub ln_weight: f64,
    /// Log acceptance a(x) = θZ(x) + correction(x).
    pub correction: Correction,
}

impl Piece {
    /// ln of weight × the piece's density at x (ignoring its interval; −∞ for an atom).
    pub fn ln_density(&self, x: f64) -> f64 {
        match self.shape {
            Shape::Gauss { loc, scale } => {
                let z = (x - loc) / scale;
                self.ln_weight - 0.5 * z * z - (scale * (2.0 * PI).sqrt()).ln()
            }
            Shape::Expo { e0, rate } => e0 + rate * x,
            Shape::StudentT { nu, scale } => {
                let d = PreActivation::student_t(nu, scale).expect("a valid t");
                self.ln_weight + d.pdf(x).expect("continuous").ln()
            }
            Shape::Atom => f64::NEG_INFINITY,
        }
    }

    /// Whether x lies in the piece's interval.
    pub fn covers(&self, x: f64) -> bool {
        if self.shape == Shape::Atom {
            return x == self.lo;
        }
        (self.lo < x && x <= self.hi) == self.inside
    }
}

/// The envelope of the tilted law of x.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Its pieces (none of zero weight).
    pub pieces: Vec<Piece>,
    /// θ.
    pub theta: f64,
}

impl Envelope {
    /// The envelope of e^{θZ(x)}·p(x) for a·tanh(n·x), or `None` where the tilt does not
    /// exist (θ < 0 with Student's t, or with c ≥ 1/scale for laplace and logistic).
    ///
    /// ```
    /// use vanish::methods::importance::envelope::Envelope;
    /// let d = "laplace(0,1)".parse().unwrap();
    /// assert!(Envelope::new(&d, -0.1, 2.0).is_some());   // c = 0.4 < 1/b
    /// assert!(Envelope::new(&d, -0.3, 2.0).is_none());   // c = 1.2: no tilt
    /// assert!(Envelope::new(&"student-t(3,1)".parse().unwrap(), -0.1, 2.0).is_none());
    /// ```
    pub fn new(dist: &PreActivation, theta: f64, n: f64) -> Option<Self> {
        let mut pieces = Vec::new();
        add(dist, 0.0, theta, n, &mut pieces)?;
        pieces.retain(|p| p.ln_weight > f64::NEG_INFINITY);
        (!pieces.is_empty()).then_some(Envelope { pieces, theta })
    }

    /// The log acceptance of piece `k` at x, computed with libm (for tests).
    pub fn ln_accept(&self, k: usize, x: f64, n: f64) -> f64 {
        self.theta * ln_sech2(n * x.abs()) + self.pieces[k].correction.at(x)
    }

    /// ln of the density the sampler draws from, unnormalised: Σ_k weight_k·density_k(x)
    /// ·e^{a_k(x)} over the pieces covering x (continuous pieces only).
    pub fn ln_drawn_density(&self, x: f64, n: f64) -> f64 {
        let terms: Vec<f64> = (0..self.pieces.len())
            .filter(|&k| self.pieces[k].covers(x))
            .map(|k| self.pieces[k].ln_density(x) + self.ln_accept(k, x, n))
            .collect();
        ln_sum(&terms)
    }

    /// Expected proposals per accepted draw, given the tilted mass E_p[e^{θZ}]: total
    /// weight over it.
    pub fn proposals_per_draw(&self, tilted_mass: f64) -> f64 {
        let ln_total = ln_sum(&self.pieces.iter().map(|p| p.ln_weight).collect::<Vec<_>>());
        (ln_total - tilted_mass.ln()).exp()
    }
}

/// ln Σ e^{t} (−∞ for none).
pub fn ln_sum(terms: &[f64]) -> f64 {
    let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
}

/// Adds the pieces of `dist` (of log mixture weight `ln_w`).
fn add(dist: &PreActivation, ln_w: f64, theta: f64, n: f64, out: &mut Vec<Piece>) -> Option<()> {
    let c = if theta < 0.0 { -2.0 * n * theta } else { 0.0 };
    let poly = |q: f64, k: f64| Correction::Poly { c, q, k };
    match *dist {
        PreActivation::Normal { mu, sigma } if theta < 0.0 => {
            // e^{±cx}·N(μ, σ²) = e^{±cμ + c²σ²/2}·N(μ ± cσ², σ²).
            let v = sigma * sigma;
            for (side, lo, hi) in [(1.0, 0.0, f64::INFINITY), (-1.0, f64::NEG_INFINITY, 0.0)] {
                out.push(Piece {
                    shape: Shape::Gauss {
                        loc: mu + side * c * v,
                        scale: sigma,
                    },
                    lo,
                    hi,
                    inside: true,
                    ln_weight: ln_w + side * c * mu + 0.5 * c * c * v,
                    correction: poly(0.0, 0.0),
                });
            }
        }
        PreActivation::Normal { mu, sigma } => normal_core(mu, sigma, ln_w, theta, n, out),
        PreActivation::Laplace { mu, b } => {
            if c >= 1.0 / b {
                return None;
            }
            // ln(e^{c|x|}·p(x)) = −ln 2b − |x − μ|/b + c|x|.
            exponential_pieces(mu, b, -(2.0 * b).ln(), c, ln_w, poly(0.0, 0.0), None, out);
        }
        PreActivation::Logistic { mu, s } => {
            if c >= 1.0 / s {
                return None;
            }
            // p(x) ≤ e^{−|x − μ|/s}/s, twice the Laplace density.
            let corr = Correction::Logistic { c, mu, s };
            exponential_pieces(mu, s, -s.ln(), c, ln_w, corr, None, out);
        }
        PreActivation::Uniform { lo, hi } => {
            let e0 = -(hi - lo).ln();
            exponential_pieces(0.0, 0.0, e0, c, ln_w, poly(0.0, 0.0), Some((lo, hi)), out);
        }
        PreActivation::StudentT { nu, scale, .. } => {
            if theta < 0.0 {
                return None;
            }
            out.push(Piece {
                shape: Shape::StudentT { nu, scale },
                lo: f64::NEG_INFINITY,
                hi: f64::INFINITY,
                inside: true,
                ln_weight: ln_w,
                correction: poly(0.0, 0.0),
            });
        }
        PreActivation::Point { x0 } => {
            let tz = theta * ln_sech2(n * x0.abs());
            out.push(Piece {
                shape: Shape::Atom,
                lo: x0,
                hi: x0,
                inside: true,
                ln_weight: ln_w + tz,
                correction: Correction::Poly {
                    c: 0.0,
                    q: 0.0,
                    k: -tz,
                },
            });
        }
        PreActivation::Mixture(ref m) => {
            for (w, d) in m.components() {
                add(d, ln_w + w.ln(), theta, n, out)?;
            }
        }
    }
    Some(())
}

/// θ ≥ 0, normal x: the narrower normal core on |n·x| ≤ U and p·cosh(U)^{−2θ} beyond, with
/// U minimising the total weight.
fn normal_core(mu: f64, sigma: f64, ln_w: f64, theta: f64, n: f64, out: &mut Vec<Piece>) {
    let v = sigma * sigma;
    let pieces = |big_u: f64| -> [Piece; 2] {
        let ln_cosh_u = -0.5 * ln_sech2(big_u);
        let alpha = if big_u > 0.0 {
            ln_cosh_u / (big_u * big_u)
        } else {
            0.5
        };
        // N(μ, σ²)·e^{−βx²} = W·N(m, s²), β = 2θα n².
        let beta = 2.0 * theta * alpha * n * n;
        let precision = 1.0 / v + 2.0 * beta;
        let core = Piece {
            shape: Shape::Gauss {
                loc: mu / v / precision,
                scale: precision.sqrt().recip(),
            },
            lo: -big_u / n,
            hi: big_u / n,
            inside: true,
            ln_weight: ln_w
                - 0.5 * (1.0 + 2.0 * beta * v).ln()
                - beta * mu * mu / (1.0 + 2.0 * beta * v),
            correction: Correction::Poly {
                c: 0.0,
                q: beta,
                k: 0.0,
            },
        };
        let k = 2.0 * theta * ln_cosh_u;
        let tails = Piece {
            shape: Shape::Gauss {
                loc: mu,
                scale: sigma,
            },
            lo: -big_u / n,
            hi: big_u / n,
            inside: false,
            ln_weight: ln_w - k,
            correction: Correction::Poly { c: 0.0, q: 0.0, k },
        };
        [core, tails]
    };
    let cost = |u: f64| {
        let [a, b] = pieces(u);
        ln_sum(&[a.ln_weight, b.ln_weight])
    };
    let best = (0..60)
        .map(|j| 0.05 * 1.2f64.powi(j))
        .min_by(|&a, &b| cost(a).total_cmp(&cost(b)))
        .expect("a grid");
    out.extend(pieces(best));
}

/// Laplace-like laws tilted by e^{c|x|}: ln density e0 − |x − μ|/b + c|x| (b = 0: no
/// |x − μ| term), on `bounds` (else the whole line), as exponential pieces split at 0
/// and μ. The ln mixture weight `ln_w` is included.
#[allow(clippy::too_many_arguments)]
fn exponential_pieces(
    mu: f64,
    b: f64,
    e0: f64,
    c: f64,
    ln_w: f64,
    correction: Correction,
    bounds: Option<(f64, f64)>,
    out: &mut Vec<Piece>,
) {
    let (lo, hi) = bounds.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    let inv_b = if b > 0.0 { 1.0 / b } else { 0.0 };
    let mut cuts = vec![lo];
    for m in [mu.min(0.0), mu.max(0.0)] {
        if lo < m && m < hi && cuts.last() != Some(&m) {
            cuts.push(m);
        }
    }
    cuts.push(hi);
    for w in cuts.windows(2) {
        let (a, z) = (w[0], w[1]);
        // A point inside (a, z) tells the signs of x − μ and x there.
        let inner = if a.is_finite() && z.is_finite() {
            0.5 * (a + z)
        } else if a.is_finite() {
            a + 1.0
        } else {
            z - 1.0
        };
        let s_mu = if inner > mu { 1.0 } else { -1.0 };
        let s_0 = if inner > 0.0 { 1.0 } else { -1.0 };
        let rate = -s_mu * inv_b + s_0 * c;
        let e = ln_w + e0 + s_mu * mu * inv_b;
        out.push(Piece {
            shape: Shape::Expo { e0: e, rate },
            lo: a,
            hi: z,
            inside: true,
            ln_weight: ln_exponential_mass(e, rate, a, z),
            correction,
        });
    }
}

/// ln ∫_lo^hi e^{e0 + rate·x} dx (finite where the density decays towards an infinite end).
pub fn ln_exponential_mass(e0: f64, rate: f64, lo: f64, hi: f64) -> f64 {
    let len = hi - lo;
    if rate == 0.0 {
        e0 + len.ln()
    } else if rate < 0.0 {
        e0 + rate * lo + (-(rate * len).exp_m1()).ln() - (-rate).ln()
    } else {
        e0 + rate * hi + (-(-rate * len).exp_m1()).ln() - rate.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::saddle::Cgf;
    use crate::model::activation::Activation;

    /// ln of e^{θZ(x)}·p(x), the tilted density unnormalised, from the distribution's own
    /// density (mixtures component by component).
    fn ln_target(d: &PreActivation, theta: f64, n: f64, x: f64) -> f64 {
        ln_pdf(d, x) + theta * ln_sech2(n * x.abs())
    }

    fn ln_pdf(d: &PreActivation, x: f64) -> f64 {
        match d {
            PreActivation::Mixture(m) => ln_sum(
                &m.components()
                    .iter()
                    .map(|(w, c)| w.ln() + ln_pdf(c, x))
                    .collect::<Vec<_>>(),
            ),
            PreActivation::Normal { mu, sigma } => {
                let z = (x - mu) / sigma;
                -0.5 * z * z - (sigma * (2.0 * PI).sqrt()).ln()
            }
            _ => d.pdf(x).expect("continuous").ln(),
        }
    }

    const CASES: &[(&str, f64)] = &[
        ("normal(0,1)", -0.7),
        ("normal(0,1)", 0.0),
        ("normal(0,1)", 1.2),
        ("normal(0,2)", 211.0),
        ("normal(-1,0.3)", 3.0),
        ("normal(0.5,1)", -2.0),
        ("laplace(0,1)", -0.2),
        ("laplace(0.7,0.5)", -0.45),
        ("laplace(-2,1)", 4.0),
        ("logistic(0,0.3)", -0.8),
        ("logistic(1,1)", -0.24),
        ("logistic(0,1)", 2.5),
        ("uniform(-1,3)", -5.0),
        ("uniform(0.5,2)", 7.0),
        ("student-t(3,1)", 1.5),
        ("mix(0.3*normal(0,1), 0.7*laplace(1,0.5))", -0.4),
        ("mix(0.5*normal(0,1), 0.5*logistic(0,0.2))", 2.0),
        ("mix(0.5*uniform(-1,1), 0.5*normal(2,0.5))", -1.0),
    ];

    /// x on a grid of step 0.01 over [−40, 40] (shifted off the ends of the uniforms'
    /// supports, where densities jump), and the extremes.
    fn grid() -> Vec<f64> {
        let mut xs: Vec<f64> = (-4000..=4000)
            .map(|i| f64::from(i) * 0.01 + 3.3e-7)
            .collect();
        for e in [0.0, 1e-300, 1e-12, 1e-6, 0.55, 99.0, 1e3, 1e5] {
            xs.extend([e, -e]);
        }
        xs
    }

    #[test]
    fn every_envelope_dominates_its_tilted_law_and_draws_it_exactly() {
        let n = 2.0;
        for &(spec, theta) in CASES {
            let d: PreActivation = spec.parse().unwrap();
            let env = Envelope::new(&d, theta, n).unwrap_or_else(|| panic!("{spec} {theta}"));
            for x in grid() {
                let target = ln_target(&d, theta, n, x);
                if target == f64::NEG_INFINITY || target < -600.0 {
                    continue; // outside the support, or beyond what f64 tells apart
                }
                // Dominance: the acceptance probability of every piece covering x is ≤ 1.
                for (k, p) in env.pieces.iter().enumerate() {
                    if p.covers(x) {
                        let a = env.ln_accept(k, x, n);
                        assert!(
                            a <= 1e-12 * (1.0 + x.abs()),
                            "{spec} θ={theta} x={x}: a={a}"
                        );
                    }
                }
                // Exactness: what is drawn and accepted has density e^{θZ}·p.
                let drawn = env.ln_drawn_density(x, n);
                let tol = 1e-9 * (1.0 + target.abs());
                assert!(
                    (drawn - target).abs() < tol,
                    "{spec} θ={theta} x={x}: drawn {drawn} vs {target}"
                );
            }
        }
    }

    #[test]
    fn a_point_mass_is_its_own_tilted_law() {
        let env = Envelope::new(&"point(0.3)".parse().unwrap(), -4.0, 2.0).unwrap();
        assert_eq!(env.pieces.len(), 1);
        assert!(env.ln_accept(0, 0.3, 2.0).abs() < 1e-12);
    }

    #[test]
    fn tilts_that_do_not_exist_have_no_envelope() {
        // c = 2n|θ| must stay below 1/scale; Student's t has no tilt below 0.
        for (spec, theta) in [
            ("laplace(0,1)", -0.25),
            ("logistic(0,0.5)", -0.5),
            ("student-t(5,1)", -0.01),
            ("mix(0.5*normal(0,1), 0.5*laplace(0,1))", -0.3),
        ] {
            assert!(
                Envelope::new(&spec.parse().unwrap(), theta, 2.0).is_none(),
                "{spec}"
            );
        }
    }

    #[test]
    fn the_normal_core_wastes_few_draws_where_rejection_from_p_wastes_many() {
        let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
        let d: PreActivation = "normal(0,2)".parse().unwrap();
        let cgf = Cgf::new(&f, &d).unwrap();
        for theta in [1.2, 20.0, 211.0] {
            let m = cgf.at(theta).unwrap();
            let tilted_mass = (m.kappa - theta * 2f64.ln()).exp();
            let per_draw = Envelope::new(&d, theta, 2.0)
                .unwrap()
                .proposals_per_draw(tilted_mass);
            // Rejection from p takes 1/E_p[e^{θZ}] proposals: 4.7, 47 and 340 here.
            assert!(
                per_draw < 1.6 && 1.0 / tilted_mass > 3.0,
                "θ={theta}: {per_draw}"
            );
        }
    }
}
