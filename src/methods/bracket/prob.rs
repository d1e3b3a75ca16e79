//! What [`exact_brackets`](super::exact_brackets) returns: probabilities carried as logs
//! ([`LnProb`]) and the bracket with its estimate ([`TailBracket`]).

use crate::methods::law::Probability;

/// A probability and its complement as natural logarithms, each with full relative
/// precision (so that p = 10^-1000 and 1 − p = 10^-20 are both told).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LnProb {
    /// ln p (−∞ for 0).
    pub ln_p: f64,
    /// ln(1 − p).
    pub ln_complement: f64,
}

impl LnProb {
    /// From ln of one side: `small_is_p` says whether it is p or 1 − p.
    pub(super) fn from_side(ln_side: f64, side_is_p: bool) -> LnProb {
        let ln_side = ln_side.min(0.0);
        let other = (-ln_side.exp_m1()).ln(); // ln(1 − e^side), exact for tiny sides
        if side_is_p {
            LnProb {
                ln_p: ln_side,
                ln_complement: other,
            }
        } else {
            LnProb {
                ln_p: other,
                ln_complement: ln_side,
            }
        }
    }

    /// Exactly 0 or 1.
    pub(super) fn certain(p_is_one: bool) -> LnProb {
        LnProb::from_side(f64::NEG_INFINITY, !p_is_one)
    }

    /// p as f64 (0 when below its range: see [`LnProb::log10_p`]).
    pub fn p(&self) -> f64 {
        self.ln_p.exp()
    }

    /// 1 − p as f64.
    pub fn complement(&self) -> f64 {
        self.ln_complement.exp()
    }

    /// log10 p, which holds far below the range of f64.
    pub fn log10_p(&self) -> f64 {
        self.ln_p / std::f64::consts::LN_10
    }

    /// log10 (1 − p).
    pub fn log10_complement(&self) -> f64 {
        self.ln_complement / std::f64::consts::LN_10
    }

    /// ln of the smaller side and whether it is p.
    pub(super) fn small(&self) -> (f64, bool) {
        if self.ln_p <= self.ln_complement {
            (self.ln_p, true)
        } else {
            (self.ln_complement, false)
        }
    }
}

/// The exact probability of one event: a bracket that holds, and the best estimate in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TailBracket {
    /// p ≥ lower.p (and 1 − p ≤ lower.complement).
    pub lower: LnProb,
    /// p ≤ upper.p.
    pub upper: LnProb,
    /// The extrapolated estimate, inside the bracket.
    pub estimate: LnProb,
    /// The lattice step h of the finest lattice (0 where no lattice was needed).
    pub step: f64,
    /// The FFT points of the finest lattice.
    pub points: usize,
    /// Whether the bracket's relative width met `--tol` (else the memory cap stopped the
    /// refinement; the bracket still holds).
    pub met: bool,
    /// The order of convergence h^q the estimate's lattices showed (`None` where they
    /// showed none, e.g. at the noise floor).
    pub order: Option<f64>,
}

impl TailBracket {
    /// An exact 0 or 1 (beyond the cap, a point mass).
    pub(super) fn certain(p_is_one: bool) -> TailBracket {
        let c = LnProb::certain(p_is_one);
        TailBracket {
            lower: c,
            upper: c,
            estimate: c,
            step: 0.0,
            points: 0,
            met: true,
            order: None,
        }
    }

    /// The bracket's width over the estimate, on the smaller side of p and 1 − p.
    ///
    /// ```
    /// use vanish::methods::bracket::exact_brackets;
    /// use vanish::methods::{bracket::Accuracy, law::FactorLaw};
    /// use vanish::model::activation::Activation;
    /// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    /// let d = "normal(0,1)".parse().unwrap();
    /// let law = FactorLaw::new(&f, &d).unwrap();
    /// let acc = Accuracy::new(1e-2, 64.0).unwrap();
    /// let (v, _) = exact_brackets(&law, 20, (1e-6f64).ln(), (1e6f64).ln(), &acc);
    /// assert!(v.relative_width() <= 1e-2 && v.met);
    /// assert!(v.lower.p() <= v.estimate.p() && v.estimate.p() <= v.upper.p());
    /// ```
    pub fn relative_width(&self) -> f64 {
        let (ln_est, is_p) = self.estimate.small();
        // The smaller side's bounds: p's are lower/upper, 1 − p's are upper/lower.
        let (lo, hi) = if is_p {
            (self.lower.ln_p, self.upper.ln_p)
        } else {
            (self.upper.ln_complement, self.lower.ln_complement)
        };
        if hi == f64::NEG_INFINITY {
            return 0.0; // exactly 0: nothing to bracket
        }
        if ln_est == f64::NEG_INFINITY {
            return f64::INFINITY; // an upper bound above 0 and no estimate
        }
        (hi - ln_est).exp() - (lo - ln_est).exp()
    }

    /// The estimate as f64 with the distance to the farther end of the bracket as its
    /// error (on the smaller side).
    pub fn probability(&self) -> Probability {
        let (ln_est, is_p) = self.estimate.small();
        let (lo, hi) = if is_p {
            (self.lower.ln_p, self.upper.ln_p)
        } else {
            (self.upper.ln_complement, self.lower.ln_complement)
        };
        let est = ln_est.exp();
        Probability {
            p: self.estimate.p(),
            complement: self.estimate.complement(),
            error: (hi.exp() - est).max(est - lo.exp()).max(0.0),
        }
    }
}
