//! Exact per-factor theory beside the estimates: the moments of ln f'(X) and, for
//! a·tanh(n·x), the fractions of factors above one and below 1/(a·n).

use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;
use crate::model::experiment::Experiment;
use crate::theory::iid;

/// Exact per-factor theory, where the source and activation allow it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactorTheory {
    /// E[ln f'(X)].
    pub mean_ln_derivative: f64,
    /// Var[ln f'(X)].
    pub var_ln_derivative: f64,
    /// The skewness of ln f'(X) (E[(Y − μ)³]/σ³), `None` where the third moment is not finite.
    pub skewness_ln_derivative: Option<f64>,
    /// Bound on the quadrature error of the two moments above.
    pub quadrature_error: f64,
    /// P(f'(X) > 1) = P(|X| < e), for a·tanh(n·x).
    pub p_above_one: Option<f64>,
    /// P(f'(X) < 1/(a·n)) = P(|X| > t1), for a·tanh(n·x).
    pub p_below_inverse_max: Option<f64>,
    /// How the numbers were computed.
    pub method: &'static str,
}

impl FactorTheory {
    /// Theory for iid x: moments of ln f'(X) by adaptive Gauss–Kronrod quadrature (exact
    /// for point masses, per component for mixtures) and, for a·tanh(n·x), the fractions
    /// from the CDF of X at ±e and ±t1. `None` where the moments are not finite or not
    /// implemented (Student's t).
    pub fn for_experiment(exp: &Experiment) -> Option<Self> {
        let dist = exp.source().iid_dist()?;
        let act = &exp.activation();
        let (mean, var, err) = iid::ln_derivative_moments(act, dist)?;
        let (above, below) = match act.tanh_params() {
            Some(_) => (
                Some(fraction(act, dist, Side::AboveOne)),
                Some(fraction(act, dist, Side::BelowInverseMax)),
            ),
            None => (None, None),
        };
        let third = iid::expectation(dist, &|x| (act.ln_derivative(x) - mean).powi(3), 1e-12)
            .map(|(v, _)| v / var.powf(1.5))
            .filter(|v| v.is_finite());
        Some(FactorTheory {
            mean_ln_derivative: mean,
            var_ln_derivative: var,
            skewness_ln_derivative: third,
            quadrature_error: err,
            p_above_one: above,
            p_below_inverse_max: below,
            method: "adaptive Gauss-Kronrod (7/15) quadrature",
        })
    }
}

#[derive(Clone, Copy)]
enum Side {
    AboveOne,
    BelowInverseMax,
}

/// P(f'(X) > 1) or P(f'(X) < 1/(a·n)) for a·tanh(n·x): from the CDF at ±e or ±t1 for the
/// continuous families, and for point masses by the kernel's own test on ln f'(x0), so
/// that a point sitting exactly on a threshold is classified as the simulation does.
fn fraction(act: &Activation, dist: &PreActivation, side: Side) -> f64 {
    let (a, n) = act.tanh_params().expect("a·tanh(n·x)");
    match dist {
        PreActivation::Point { x0 } => {
            let l = act.ln_derivative(*x0);
            f64::from(u8::from(match side {
                Side::AboveOne => l > 0.0,
                Side::BelowInverseMax => l < -act.ln_max_derivative(),
            }))
        }
        PreActivation::Mixture(m) => m
            .components()
            .iter()
            .map(|(w, d)| w * fraction(act, d, side))
            .sum(),
        continuous => {
            let inside = |t: f64| continuous.cdf(t) - continuous.cdf(-t);
            match side {
                Side::AboveOne => inside(iid::explode_threshold(a, n)),
                Side::BelowInverseMax if a * n < 1.0 => 1.0,
                Side::BelowInverseMax => 1.0 - inside(iid::vanish_threshold(a, n)),
            }
        }
    }
}
