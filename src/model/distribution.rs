//! Distributions of the pre-activation x, parsed once from specs such as `normal(0,1)` or
//! `mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))`.
//!
//! Constructors validate and return `Result`; sampling cannot fail (the rand_distr way).
//! The grammar:
//!
//! ```text
//! spec    := normal(μ,σ) | uniform(lo,hi) | laplace(μ,b) | student-t(ν,scale)
//!          | logistic(μ,s) | point(x0) | mix(w1*spec, w2*spec, …)
//! ```
//!
//! Scales (σ, b, s, scale) and ν must be positive, lo < hi, weights positive (they are
//! normalised), all numbers finite.

use std::fmt;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Open01, StandardNormal, StudentT};

use crate::error::ConfigError;

mod parse;

/// The largest ν of `student-t`. Its CDF (statrs) agrees with the normal one to the
/// expected 1/ν up to here (1.4e-7 at 1e6) and drifts from both beyond 1e8 (7e-4 at 1e12,
/// 0.34 at 1e15, NaN at 1e180), so larger ν would give wrong theory columns.
pub const MAX_NU: f64 = 1e6;

/// What the grammar allows, shown with every parse error.
pub const GRAMMAR: &str = "normal(μ,σ), uniform(lo,hi), laplace(μ,b), student-t(ν,scale), \
logistic(μ,s), point(x0), mix(w1*D1, w2*D2, …)";

/// A validated distribution of the pre-activation x.
///
/// ```
/// use vanish::model::distribution::PreActivation;
/// let d: PreActivation = "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))".parse().unwrap();
/// assert!((d.mean().unwrap() - 0.0).abs() < 1e-15);
/// assert!("normal(0,-1)".parse::<PreActivation>().is_err());
/// ```
#[derive(Debug, Clone)]
pub enum PreActivation {
    /// Normal(μ, σ²).
    Normal { mu: f64, sigma: f64 },
    /// Uniform on [lo, hi).
    Uniform { lo: f64, hi: f64 },
    /// Laplace with location μ and scale b (variance 2b²).
    Laplace { mu: f64, b: f64 },
    /// Student's t with ν degrees of freedom, times `scale`.
    StudentT {
        nu: f64,
        scale: f64,
        standard: StudentT<f64>,
    },
    /// Logistic with location μ and scale s (variance π²s²/3).
    Logistic { mu: f64, s: f64 },
    /// A fixed x0, for exact checks.
    Point { x0: f64 },
    /// A finite mixture.
    Mixture(Mixture),
}

/// Components with normalised weights; `cumulative` ends at exactly 1.
#[derive(Debug, Clone)]
pub struct Mixture {
    components: Vec<(f64, PreActivation)>,
    cumulative: Vec<f64>,
    /// The weights as given, for the printed spec.
    given: Vec<f64>,
}

impl Mixture {
    /// The (normalised weight, component) pairs.
    pub fn components(&self) -> &[(f64, PreActivation)] {
        &self.components
    }
}

fn finite(what: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{what} must be finite, got {v}"))
    }
}

fn positive(what: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{what} must be finite and > 0, got {v}"))
    }
}

impl PreActivation {
    /// Normal(μ, σ²); σ > 0.
    pub fn normal(mu: f64, sigma: f64) -> Result<Self, String> {
        Ok(PreActivation::Normal {
            mu: finite("μ", mu)?,
            sigma: positive("σ", sigma)?,
        })
    }

    /// Uniform on [lo, hi); lo < hi.
    pub fn uniform(lo: f64, hi: f64) -> Result<Self, String> {
        finite("lo", lo)?;
        finite("hi", hi)?;
        if lo >= hi {
            return Err(format!("uniform needs lo < hi, got lo={lo:?}, hi={hi:?}"));
        }
        if !(hi - lo).is_finite() {
            return Err(format!(
                "uniform needs a finite width hi − lo, got lo={lo:?}, hi={hi:?}"
            ));
        }
        Ok(PreActivation::Uniform { lo, hi })
    }

    /// Laplace(μ, b); b > 0.
    pub fn laplace(mu: f64, b: f64) -> Result<Self, String> {
        Ok(PreActivation::Laplace {
            mu: finite("μ", mu)?,
            b: positive("b", b)?,
        })
    }

    /// Student's t with 0 < ν ≤ [`MAX_NU`] degrees of freedom, scaled by `scale` > 0.
    ///
    /// ```
    /// use vanish::model::distribution::PreActivation;
    /// assert!(PreActivation::student_t(3.0, 1.0).is_ok());
    /// let why = PreActivation::student_t(1e300, 1.0).unwrap_err();
    /// assert!(why.contains("at most 1e6"), "{why}");
    /// ```
    pub fn student_t(nu: f64, scale: f64) -> Result<Self, String> {
        let nu = positive("ν", nu)?;
        if nu > MAX_NU {
            return Err(format!(
                "ν must be at most 1e6, got {nu:e} (beyond it the law is \
                 normal(0,scale) to within 1e-7, and its CDF loses its accuracy: use normal)"
            ));
        }
        let standard = StudentT::new(nu).map_err(|e| format!("student-t: {e}"))?;
        Ok(PreActivation::StudentT {
            nu,
            scale: positive("scale", scale)?,
            standard,
        })
    }

    /// Logistic(μ, s); s > 0.
    pub fn logistic(mu: f64, s: f64) -> Result<Self, String> {
        Ok(PreActivation::Logistic {
            mu: finite("μ", mu)?,
            s: positive("s", s)?,
        })
    }

    /// The point mass at x0.
    pub fn point(x0: f64) -> Result<Self, String> {
        Ok(PreActivation::Point {
            x0: finite("x0", x0)?,
        })
    }

    /// A mixture; weights must be positive and are normalised to sum to 1 (divided by
    /// the largest first, so that weights near `f64::MAX` do not overflow their sum). The
    /// weights as given are kept for the printed spec, which parses back to the same
    /// mixture.
    ///
    /// ```
    /// use vanish::model::distribution::PreActivation;
    /// let d = PreActivation::mixture(vec![
    ///     (1e308, PreActivation::normal(0.0, 1.0).unwrap()),
    ///     (1e308, PreActivation::point(1.0).unwrap()),
    /// ]).unwrap();
    /// let PreActivation::Mixture(m) = &d else { unreachable!() };
    /// assert_eq!(m.components()[0].0, 0.5);
    /// assert_eq!(d.to_string().parse::<PreActivation>().unwrap().to_string(), d.to_string());
    /// ```
    pub fn mixture(parts: Vec<(f64, PreActivation)>) -> Result<Self, String> {
        if parts.is_empty() {
            return Err("mix needs at least one component".into());
        }
        for (w, _) in &parts {
            positive("a mixture weight", *w)?;
        }
        let largest = parts.iter().map(|(w, _)| *w).fold(0.0, f64::max);
        let total: f64 = parts.iter().map(|(w, _)| w / largest).sum();
        let given: Vec<f64> = parts.iter().map(|(w, _)| *w).collect();
        let mut acc = 0.0;
        let mut cumulative = Vec::with_capacity(parts.len());
        let mut components = Vec::with_capacity(parts.len());
        for (w, d) in parts {
            let share = w / largest / total;
            if share == 0.0 {
                return Err(format!(
                    "a mixture weight {w:e} is too small beside the largest, {largest:e} \
                     (its share underflows to 0)"
                ));
            }
            acc += share;
            cumulative.push(acc);
            components.push((share, d));
        }
        *cumulative.last_mut().expect("non-empty") = 1.0;
        Ok(PreActivation::Mixture(Mixture {
            components,
            cumulative,
            given,
        }))
    }

    /// E[X], or `None` where it does not exist (Student's t with ν ≤ 1).
    pub fn mean(&self) -> Option<f64> {
        self.raw_moment(1)
    }

    /// Var[X], or `None` where it is infinite or undefined.
    pub fn variance(&self) -> Option<f64> {
        let m1 = self.raw_moment(1)?;
        Some(self.raw_moment(2)? - m1 * m1)
    }

    /// E[(X − E X)^4], for standard errors of sample variances; `None` where infinite.
    pub fn fourth_central_moment(&self) -> Option<f64> {
        let m1 = self.raw_moment(1)?;
        let (m2, m3, m4) = (
            self.raw_moment(2)?,
            self.raw_moment(3)?,
            self.raw_moment(4)?,
        );
        Some(m4 - 4.0 * m1 * m3 + 6.0 * m1 * m1 * m2 - 3.0 * m1.powi(4))
    }

    /// E[X^k] for k ≤ 4, from the location and the central moments of each component.
    fn raw_moment(&self, k: u32) -> Option<f64> {
        use std::f64::consts::PI;
        // (location, variance, fourth central moment); every component is symmetric.
        let (mu, c2, c4) = match *self {
            PreActivation::Normal { mu, sigma } => (mu, sigma.powi(2), 3.0 * sigma.powi(4)),
            PreActivation::Uniform { lo, hi } => {
                let w = hi - lo;
                (0.5 * (lo + hi), w * w / 12.0, w.powi(4) / 80.0)
            }
            PreActivation::Laplace { mu, b } => (mu, 2.0 * b * b, 24.0 * b.powi(4)),
            PreActivation::Logistic { mu, s } => (
                mu,
                PI * PI * s * s / 3.0,
                7.0 * PI.powi(4) * s.powi(4) / 15.0,
            ),
            PreActivation::Point { x0 } => (x0, 0.0, 0.0),
            PreActivation::StudentT { nu, scale, .. } => {
                let need = k as f64;
                if nu <= need {
                    return None;
                }
                let c2 = if k >= 2 {
                    scale * scale * nu / (nu - 2.0)
                } else {
                    0.0
                };
                let c4 = if k >= 4 {
                    3.0 * scale.powi(4) * nu * nu / ((nu - 2.0) * (nu - 4.0))
                } else {
                    0.0
                };
                (0.0, c2, c4)
            }
            PreActivation::Mixture(ref m) => {
                let mut sum = 0.0;
                for (w, d) in &m.components {
                    sum += w * d.raw_moment(k)?;
                }
                return Some(sum);
            }
        };
        Some(match k {
            0 => 1.0,
            1 => mu,
            2 => mu * mu + c2,
            3 => mu.powi(3) + 3.0 * mu * c2,
            4 => mu.powi(4) + 6.0 * mu * mu * c2 + c4,
            _ => return None,
        })
    }

    /// P(X ≤ x).
    ///
    /// ```
    /// use vanish::model::distribution::PreActivation;
    /// let d: PreActivation = "laplace(0,1)".parse().unwrap();
    /// assert!((d.cdf(0.0) - 0.5).abs() < 1e-15);
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
        match *self {
            PreActivation::Normal { mu, sigma } => {
                Normal::new(mu, sigma).expect("validated").cdf(x)
            }
            PreActivation::Uniform { lo, hi } => ((x - lo) / (hi - lo)).clamp(0.0, 1.0),
            PreActivation::Laplace { mu, b } => {
                let z = (x - mu) / b;
                if z < 0.0 {
                    0.5 * z.exp()
                } else {
                    1.0 - 0.5 * (-z).exp()
                }
            }
            PreActivation::Logistic { mu, s } => 1.0 / (1.0 + (-(x - mu) / s).exp()),
            PreActivation::StudentT { nu, scale, .. } => {
                StudentsT::new(0.0, scale, nu).expect("validated").cdf(x)
            }
            PreActivation::Point { x0 } => f64::from(u8::from(x >= x0)),
            PreActivation::Mixture(ref m) => m.components.iter().map(|(w, d)| w * d.cdf(x)).sum(),
        }
    }

    /// P(X > x), computed directly in the upper tail (not as 1 − cdf, which loses every
    /// digit there).
    ///
    /// ```
    /// use vanish::model::distribution::PreActivation;
    /// let d: PreActivation = "normal(0,1)".parse().unwrap();
    /// // mpmath: ncdf(−10) = 7.619853024160526e-24; statrs' erfc is good to ~1e-10 there.
    /// assert!((d.sf(10.0) / 7.619853024160526e-24 - 1.0).abs() < 1e-9);
    /// ```
    pub fn sf(&self, x: f64) -> f64 {
        use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
        match *self {
            PreActivation::Normal { mu, sigma } => Normal::new(mu, sigma).expect("validated").sf(x),
            PreActivation::Uniform { lo, hi } => ((hi - x) / (hi - lo)).clamp(0.0, 1.0),
            PreActivation::Laplace { mu, b } => {
                let z = (x - mu) / b;
                if z < 0.0 {
                    1.0 - 0.5 * z.exp()
                } else {
                    0.5 * (-z).exp()
                }
            }
            PreActivation::Logistic { mu, s } => 1.0 / (1.0 + ((x - mu) / s).exp()),
            PreActivation::StudentT { nu, scale, .. } => {
                StudentsT::new(0.0, scale, nu).expect("validated").sf(x)
            }
            PreActivation::Point { x0 } => f64::from(u8::from(x0 > x)),
            PreActivation::Mixture(ref m) => m.components.iter().map(|(w, d)| w * d.sf(x)).sum(),
        }
    }

    /// The density at x, for the continuous families (`None` for a point mass or a mixture,
    /// whose expectations are taken component by component).
    pub fn pdf(&self, x: f64) -> Option<f64> {
        use std::f64::consts::PI;
        Some(match *self {
            PreActivation::Normal { mu, sigma } => {
                let z = (x - mu) / sigma;
                (-0.5 * z * z).exp() / (sigma * (2.0 * PI).sqrt())
            }
            PreActivation::Uniform { lo, hi } => {
                if (lo..=hi).contains(&x) {
                    1.0 / (hi - lo)
                } else {
                    0.0
                }
            }
            PreActivation::Laplace { mu, b } => (-(x - mu).abs() / b).exp() / (2.0 * b),
            PreActivation::Logistic { mu, s } => {
                let e = (-(x - mu).abs() / s).exp();
                e / (s * (1.0 + e) * (1.0 + e))
            }
            PreActivation::StudentT { nu, scale, .. } => {
                use statrs::function::gamma::ln_gamma;
                let t = x / scale;
                let ln_c = ln_gamma(0.5 * (nu + 1.0)) - ln_gamma(0.5 * nu) - 0.5 * (nu * PI).ln();
                (ln_c - 0.5 * (nu + 1.0) * (t * t / nu).ln_1p()).exp() / scale
            }
            PreActivation::Point { .. } | PreActivation::Mixture(_) => return None,
        })
    }

    /// Whether every draw is the same number (for exact checks).
    pub fn is_point(&self) -> bool {
        matches!(self, PreActivation::Point { .. })
    }

    /// Whether any component is a point mass (the saddlepoint formula is for continuous
    /// laws; the exact lattice law handles atoms apart).
    ///
    /// ```
    /// use vanish::model::distribution::PreActivation;
    /// let d: PreActivation = "mix(0.5*point(1), 0.5*normal(0,1))".parse().unwrap();
    /// assert!(d.has_atoms());
    /// assert!(!PreActivation::normal(0.0, 1.0).unwrap().has_atoms());
    /// ```
    pub fn has_atoms(&self) -> bool {
        match self {
            PreActivation::Point { .. } => true,
            PreActivation::Mixture(m) => m.components().iter().any(|(_, d)| d.has_atoms()),
            _ => false,
        }
    }
}

impl Distribution<f64> for PreActivation {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            PreActivation::Normal { mu, sigma } => {
                let z: f64 = rng.sample(StandardNormal);
                mu + sigma * z
            }
            PreActivation::Uniform { lo, hi } => lo + (hi - lo) * rng.random::<f64>(),
            PreActivation::Laplace { mu, b } => {
                // Inverse CDF on the open interval: u ∈ (−½, ½), never ln 0.
                let u: f64 = rng.sample::<f64, _>(Open01) - 0.5;
                mu - b * u.signum() * (-2.0 * u.abs()).ln_1p()
            }
            PreActivation::Logistic { mu, s } => {
                let u: f64 = rng.sample(Open01);
                mu + s * (u / (1.0 - u)).ln()
            }
            PreActivation::StudentT {
                scale,
                ref standard,
                ..
            } => scale * standard.sample(rng),
            PreActivation::Point { x0 } => x0,
            PreActivation::Mixture(ref m) => {
                let u: f64 = rng.random();
                let i = m.cumulative.partition_point(|&c| c <= u);
                m.components[i.min(m.components.len() - 1)].1.sample(rng)
            }
        }
    }
}

impl std::str::FromStr for PreActivation {
    type Err = ConfigError;

    /// Parses a spec; the error names `--dist`, shows the spec with a caret under the bad
    /// token and lists the grammar.
    fn from_str(spec: &str) -> Result<Self, ConfigError> {
        parse::parse(spec).map_err(|e| {
            let caret = " ".repeat(spec[..e.at.min(spec.len())].chars().count());
            ConfigError::new(
                "--dist",
                format!("{}\n  {spec}\n  {caret}^\n  allowed: {GRAMMAR}", e.message),
            )
        })
    }
}

impl fmt::Display for PreActivation {
    /// The canonical spec, which parses back to the same distribution.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreActivation::Normal { mu, sigma } => write!(f, "normal({mu},{sigma})"),
            PreActivation::Uniform { lo, hi } => write!(f, "uniform({lo},{hi})"),
            PreActivation::Laplace { mu, b } => write!(f, "laplace({mu},{b})"),
            PreActivation::StudentT { nu, scale, .. } => write!(f, "student-t({nu},{scale})"),
            PreActivation::Logistic { mu, s } => write!(f, "logistic({mu},{s})"),
            PreActivation::Point { x0 } => write!(f, "point({x0})"),
            PreActivation::Mixture(m) => {
                write!(f, "mix(")?;
                for (i, (w, (_, d))) in m.given.iter().zip(&m.components).enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    // Extreme weights in exponent form (1e308, not 309 digits); both
                    // forms are the shortest that read back to the same bits.
                    if (1e-5..1e16).contains(w) {
                        write!(f, "{w}*{d}")?;
                    } else {
                        write!(f, "{w:e}*{d}")?;
                    }
                }
                write!(f, ")")
            }
        }
    }
}
