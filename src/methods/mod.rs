//! Estimates of P(vanish) and P(explode) beside Monte Carlo: `exact` (the lattice law of
//! [`law`]) and `clt` (the normal approximation from the exact per-factor mean and
//! variance), the saddlepoint tails ([`saddle`]) and importance sampling under the
//! saddlepoint tilt ([`importance`]). Each holds for iid sources only and is refused
//! elsewhere, never skipped.

pub mod bracket;
pub mod importance;
pub mod law;
pub mod saddle;

use std::fmt;

use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::ConfigError;
use crate::model::experiment::Experiment;
use crate::theory::iid;
use bracket::{TailBracket, exact_brackets};
use law::{FactorLaw, Probability};

/// A way to get the probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Plain Monte Carlo: the counts (always computed).
    Mc,
    /// The exact law of the K-fold sum (lattice + tilted FFT), with an error estimate.
    Exact,
    /// The central limit theorem: ln g ~ Normal(K·μ, K·σ²).
    Clt,
    /// The Lugannani–Rice saddlepoint approximation from κ(t) = ln E[f'(X)^t].
    Saddle,
    /// [`Method::Saddle`] with Daniels' second-order term (relative error O(1/K²)).
    Saddle2,
    /// Importance sampling under the saddlepoint tilt (N samples, its own streams).
    Is,
}

/// What `--method` accepts.
pub const ALLOWED: &str =
    "mc, exact, saddle, saddle2, clt, is, all (= mc,exact,saddle,saddle2,clt,is)";

impl Method {
    /// Parses `mc,exact,clt` or `all`; `mc` is always included.
    pub fn parse_list(s: &str) -> Result<Vec<Method>, ConfigError> {
        let mut out = vec![Method::Mc];
        for word in s.split(',').map(|w| w.trim().to_ascii_lowercase()) {
            let add: &[Method] = match word.as_str() {
                "mc" => &[],
                "exact" => &[Method::Exact],
                "clt" => &[Method::Clt],
                "saddle" => &[Method::Saddle],
                "saddle2" => &[Method::Saddle2],
                "is" => &[Method::Is],
                "all" => &[
                    Method::Exact,
                    Method::Saddle,
                    Method::Saddle2,
                    Method::Clt,
                    Method::Is,
                ],
                other => {
                    return Err(ConfigError::new(
                        "--method",
                        format!("unknown method '{other}'; allowed: {ALLOWED}"),
                    ));
                }
            };
            for m in add {
                if !out.contains(m) {
                    out.push(*m);
                }
            }
        }
        Ok(out)
    }

    /// Refuses a method that does not hold for `exp`, with the reason.
    pub fn check(self, exp: &Experiment) -> Result<(), ConfigError> {
        let refuse = |why: &str| Err(ConfigError::new("--method", format!("{self}: {why}")));
        let Some(dist) = exp.source().iid_dist() else {
            return match self {
                Method::Mc => Ok(()),
                _ => refuse("holds for iid x only (not for --source network); use mc"),
            };
        };
        match self {
            Method::Mc => Ok(()),
            Method::Exact | Method::Is if exp.activation().tanh_params().is_none() => {
                refuse("needs --activation tanh or lecun (a·tanh(n·x))")
            }
            Method::Exact => crate::methods::law::FactorLaw::new(&exp.activation(), dist)
                .map_or(Ok(()), |law| {
                    crate::methods::law::check_size(&law, exp.depth())
                }),
            Method::Saddle | Method::Saddle2
                if crate::methods::saddle::Cgf::new(&exp.activation(), dist).is_none() =>
            {
                refuse("needs a·tanh(n·x) and a continuous law of x (no point masses)")
            }
            Method::Clt if iid::ln_derivative_moments(&exp.activation(), dist).is_none() => {
                refuse("needs finite mean and variance of ln f'(x) (for Student's t, ν ≥ 3)")
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Mc => "mc",
            Method::Exact => "exact",
            Method::Clt => "clt",
            Method::Saddle => "saddle",
            Method::Saddle2 => "saddle2",
            Method::Is => "is",
        })
    }
}

/// One method's two probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodEstimate {
    /// Which method.
    pub method: Method,
    /// P(g < vanish threshold).
    pub vanish: Probability,
    /// P(g > explode threshold).
    pub explode: Probability,
    /// Importance sampling: P(vanish) with log10 of its rare side, which holds where the
    /// probability leaves the range of f64 (`None` for the other methods).
    pub vanish_log: Option<importance::LogTail>,
    /// The same for P(explode).
    pub explode_log: Option<importance::LogTail>,
    /// `exact`: the bracket lower ≤ P(vanish) ≤ upper, in the log domain (`None` for the
    /// other methods).
    pub vanish_bracket: Option<TailBracket>,
    /// The same for P(explode).
    pub explode_bracket: Option<TailBracket>,
}

/// The estimate of a (checked) non-MC method for `exp`.
pub fn estimate(method: Method, exp: &Experiment) -> MethodEstimate {
    estimate_observed(method, exp, &|_| {})
}

/// [`estimate`], telling `on_step` of its progress: importance sampling counts its samples
/// (2·N, both tails), every other method one step when done. The numbers are those of
/// [`estimate`].
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use vanish::methods::{Method, estimate_observed};
/// use vanish::model::{activation::Activation, experiment::Experiment, source::Source};
/// let e = Experiment::new(Activation::scaled_tanh(1.0, 2.0).unwrap(),
///     Source::Iid { dist: "normal(0,1)".parse().unwrap() }, 20, 5000, 1e-6, 1e6, 1).unwrap();
/// let done = AtomicU64::new(0);
/// estimate_observed(Method::Is, &e, &|n| { done.fetch_add(n, Ordering::Relaxed); });
/// assert_eq!(done.into_inner(), 2 * 5000);
/// ```
pub fn estimate_observed(
    method: Method,
    exp: &Experiment,
    on_step: &(dyn Fn(u64) + Sync),
) -> MethodEstimate {
    let estimate = estimate_steps(method, exp, on_step);
    if method != Method::Is {
        on_step(1);
    }
    estimate
}

/// The steps [`estimate_observed`] reports for `method` on `exp`.
pub fn steps(method: Method, exp: &Experiment) -> u64 {
    match method {
        Method::Is => 2 * exp.samples(),
        _ => 1,
    }
}

fn estimate_steps(
    method: Method,
    exp: &Experiment,
    on_step: &(dyn Fn(u64) + Sync),
) -> MethodEstimate {
    let dist = exp.source().iid_dist().expect("checked: iid");
    let th = exp.thresholds();
    let (mut vanish_log, mut explode_log) = (None, None);
    let (mut vanish_bracket, mut explode_bracket) = (None, None);
    let (vanish, explode) = match method {
        Method::Mc => unreachable!("Monte Carlo is the summary itself"),
        Method::Exact => {
            let law = FactorLaw::new(&exp.activation(), dist).expect("checked: a·tanh");
            let (v, e) = exact_brackets(
                &law,
                exp.depth(),
                th.ln_vanish,
                th.ln_explode,
                &exp.accuracy(),
            );
            (vanish_bracket, explode_bracket) = (Some(v), Some(e));
            (v.probability(), e.probability())
        }
        Method::Saddle | Method::Saddle2 => {
            let cgf = crate::methods::saddle::Cgf::new(&exp.activation(), dist).expect("checked");
            let tail = |s: f64, lower: bool| match method {
                Method::Saddle => cgf.tail(exp.depth(), s, lower),
                _ => cgf.tail_second_order(exp.depth(), s, lower),
            };
            // Where κ cannot tilt as far as a threshold (x with exponential tails), the
            // approximation does not exist: shown as n/a.
            (
                tail(th.ln_vanish, true).unwrap_or(Probability::UNAVAILABLE),
                tail(th.ln_explode, false).unwrap_or(Probability::UNAVAILABLE),
            )
        }
        Method::Is => {
            let cgf = crate::methods::saddle::Cgf::new(&exp.activation(), dist).expect("checked");
            let run = |s: f64, lower: bool| {
                importance::log_tail(
                    &cgf,
                    dist,
                    exp.depth(),
                    s,
                    lower,
                    importance::Budget {
                        samples: exp.samples(),
                        rel_err: exp.accuracy().rel_err,
                    },
                    exp.seed(),
                    on_step,
                )
            };
            (vanish_log, explode_log) = (run(th.ln_vanish, true), run(th.ln_explode, false));
            let p = |t: Option<importance::LogTail>| {
                t.map_or(Probability::UNAVAILABLE, |t| t.probability)
            };
            (p(vanish_log), p(explode_log))
        }
        Method::Clt => {
            let (mu, var, _) =
                iid::ln_derivative_moments(&exp.activation(), dist).expect("checked");
            let k = f64::from(exp.depth());
            let sum = Normal::new(k * mu, (k * var).sqrt().max(f64::MIN_POSITIVE))
                .expect("finite moments");
            let below = |s: f64| (sum.cdf(s), sum.sf(s));
            // Beyond the cap everything is below: P(vanish) = 1, whatever the normal says.
            let (v, not_v) = if th.ln_vanish > th.ln_cap {
                (1.0, 0.0)
            } else {
                below(th.ln_vanish)
            };
            let (not_e, e) = if th.ln_explode >= th.ln_cap {
                (1.0, 0.0) // beyond the cap: impossible, whatever the normal says
            } else {
                below(th.ln_explode)
            };
            (
                Probability {
                    p: v,
                    complement: not_v,
                    error: f64::NAN,
                },
                Probability {
                    p: e,
                    complement: not_e,
                    error: f64::NAN,
                },
            )
        }
    };
    MethodEstimate {
        method,
        vanish,
        explode,
        vanish_log,
        explode_log,
        vanish_bracket,
        explode_bracket,
    }
}

/// How many standard errors the Monte Carlo proportion `count/trials` is from the method's
/// p (the standard error under p, so that a rare p judges a few counts fairly).
pub fn mc_off_by(count: u64, trials: u64, p: &Probability) -> f64 {
    if p.p.is_nan() {
        return f64::NAN;
    }
    let n = trials as f64;
    let q = p.p.min(p.complement).max(0.0);
    let se = (q * (1.0 - q) / n).sqrt();
    if se == 0.0 {
        return if count as f64 / n == p.p {
            0.0
        } else {
            f64::INFINITY
        };
    }
    (count as f64 / n - p.p) / se
}
