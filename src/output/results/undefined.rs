//! What a run has no number for, and why: the mean of ln f'(x) when f' = 0 has positive
//! probability (ReLU), the mean of log10 g when g = 0, and probabilities of a `--method`
//! below the range of f64. The terminal says `n/a: why`, JSON writes `null` beside a
//! `…_na` reason, CSV an empty cell; a probability below f64 is given as log10 where the
//! method has it (importance sampling), else as `< 1e-308 (below f64)`, never as 0.

use super::SimResults;
use crate::methods::MethodEstimate;
use crate::methods::importance::LogTail;
use crate::methods::law::Probability;
use crate::output::format::{short, significant};

/// The smallest positive f64 written as a bound (the normal range ends near 2.2e-308).
pub const BELOW_F64: &str = "< 1e-308 (below f64)";

/// One side of a method's probability (p or 1 − p) as it can be told.
#[derive(Debug, Clone, PartialEq)]
pub enum Side {
    /// A number (0 only where the event is impossible: beyond the cap (max f')^K, or a point
    /// mass on the other side).
    Value(f64),
    /// Below the range of f64, with its log10 (importance sampling and exact keep the log).
    Log10(f64),
    /// Below the range of f64, without a log.
    BelowF64,
    /// No estimate, and why.
    NotAvailable(&'static str),
}

impl Side {
    /// The side of `value`: a number when it is one (or exactly 0), else its log10 when
    /// known, else below f64.
    ///
    /// ```
    /// use vanish::output::results::Side;
    /// assert_eq!(Side::of(0.25, false, None), Side::Value(0.25));
    /// assert_eq!(Side::of(0.0, true, None), Side::Value(0.0));
    /// assert_eq!(Side::of(0.0, false, None), Side::BelowF64);
    /// assert_eq!(Side::of(0.0, false, Some(-1234.5)), Side::Log10(-1234.5));
    /// assert_eq!(Side::of(f64::NAN, false, None).value(), None);
    /// ```
    pub fn of(value: f64, exactly_zero: bool, log10: Option<f64>) -> Side {
        match log10 {
            _ if value.is_nan() => Side::NotAvailable("the method has no estimate here"),
            _ if value > 0.0 || exactly_zero => Side::Value(value),
            Some(l) if l.is_finite() => Side::Log10(l),
            Some(l) if l.is_nan() => Side::NotAvailable("the method has no estimate here"),
            Some(_) => Side::NotAvailable("no importance sample hit the event"),
            None => Side::BelowF64,
        }
    }

    /// The number, where there is one.
    pub fn value(&self) -> Option<f64> {
        match self {
            Side::Value(v) => Some(*v),
            _ => None,
        }
    }

    /// log10 of the side, where it is only known as a log.
    pub fn log10(&self) -> Option<f64> {
        match self {
            Side::Log10(l) => Some(*l),
            _ => None,
        }
    }

    /// Why there is no number (for a JSON `…_na` field), where there is none.
    pub fn reason(&self) -> Option<String> {
        match self {
            Side::Value(_) => None,
            Side::Log10(_) => Some("below the range of f64; its log10 is given".into()),
            Side::BelowF64 => {
                Some("below the range of f64 (< 1e-308); the method has no log of it".into())
            }
            Side::NotAvailable(why) => Some((*why).into()),
        }
    }

    /// The terminal's form of a small side: `10^-1234.5`, `< 1e-308 (below f64)`,
    /// `n/a: why`, or the number to 4 significant digits.
    pub fn shown(&self) -> String {
        match self {
            Side::Value(v) => significant(*v, 4),
            Side::Log10(l) => format!("10^{}", short_log10(*l)),
            Side::BelowF64 => BELOW_F64.into(),
            Side::NotAvailable(why) => format!("n/a: {why}"),
        }
    }
}

/// A log10 to one decimal (`-1234.5`).
fn short_log10(l: f64) -> String {
    format!("{l:.1}")
}

/// A method's probability of one event: p and its complement, each as it can be told.
#[derive(Debug, Clone, PartialEq)]
pub struct Tails {
    /// The probability.
    pub p: Side,
    /// 1 − p.
    pub complement: Side,
    /// Importance sampling: its rare side in the log domain.
    pub rare: Option<RareSide>,
}

impl Tails {
    /// Whether a side is below the range of f64 (so that p or 1 − p is 0 or 1 in f64, and
    /// so is any interval of it).
    pub fn below_f64(&self) -> bool {
        [&self.p, &self.complement]
            .iter()
            .any(|s| matches!(s, Side::Log10(_) | Side::BelowF64))
    }
}

/// The rare side of an importance-sampling estimate, in the log domain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RareSide {
    /// Whether it is the complement (else p).
    pub complement: bool,
    /// Its log10 (finite: some sample hit the event).
    pub log10: f64,
    /// Its standard error over its estimate.
    pub relative_error: f64,
    /// Its 95 % interval over its estimate (skew-corrected; see
    /// [`LogTail::ci95_factors`]).
    pub ci95_factors: (f64, f64),
    /// The samples drawn for it.
    pub samples: u64,
    /// Whether `--rel-err` was met (`None` without it).
    pub rel_err_met: Option<bool>,
}

impl RareSide {
    /// The 95 % interval of its log10 (the skew-corrected interval's factors; the lower
    /// end −∞ when the interval reaches 0).
    pub fn log10_ci95(&self) -> (f64, f64) {
        let (lo, hi) = self.ci95_factors;
        (self.log10 + lo.max(0.0).log10(), self.log10 + hi.log10())
    }
}

impl SimResults {
    /// Why the mean and variance of ln f'(x) have no value: f'(x) = 0 (ln f' = −∞) with
    /// positive probability, as for ReLU at x < 0. `None` when every factor was positive.
    pub fn ln_derivative_undefined(&self) -> Option<String> {
        let f = &self.summary.factors;
        (f.zero > 0).then(|| {
            format!(
                "ln f' = -inf with probability {} ({}: f' = 0 in {} of {} factors)",
                short(f.zero as f64 / f.total() as f64),
                self.experiment.activation(),
                f.zero,
                f.total(),
            )
        })
    }

    /// Why the mean and sd of log10 g have no value: g = 0 (log10 g = −∞) in some
    /// samples, or no sample at all. `None` when every g was positive.
    pub fn log10_g_undefined(&self) -> Option<String> {
        let s = &self.summary;
        if s.zero > 0 {
            Some(format!(
                "log10 g = -inf in {} of {} samples (g = 0)",
                s.zero, s.samples
            ))
        } else if s.log10_g.count() == 0 {
            Some("no sample has a finite log10 g".into())
        } else {
            None
        }
    }

    /// P(vanish) (`vanish`) or P(explode) of method `m`, with its sides told as they can
    /// be: 0 and 1 are exact only beyond the cap (max f')^K; elsewhere a side that is 0 in
    /// f64 is below its range.
    pub fn tails(&self, m: &MethodEstimate, vanish: bool) -> Tails {
        let th = self.experiment.thresholds();
        let (p, log): (&Probability, Option<LogTail>) = if vanish {
            (&m.vanish, m.vanish_log)
        } else {
            (&m.explode, m.explode_log)
        };
        // Beyond the cap g < vanish threshold always, g > explode threshold never.
        // A point mass makes g certain: both sides are exactly 0 or 1.
        let certain = self
            .experiment
            .source()
            .iid_dist()
            .is_some_and(|d| d.is_point());
        let (p_exact_zero, complement_exact_zero) = if vanish {
            (certain, certain || th.ln_vanish >= th.ln_cap)
        } else {
            (certain || th.ln_explode >= th.ln_cap, certain)
        };
        // exact's bracket may show a side to be exactly 0 (a law of x bounded away from 0,
        // or bounded: no sum reaches the threshold).
        let bracket_of = if vanish {
            m.vanish_bracket
        } else {
            m.explode_bracket
        };
        let (p_exact_zero, complement_exact_zero) = match bracket_of {
            Some(b) => (
                p_exact_zero || b.upper.ln_p == f64::NEG_INFINITY,
                complement_exact_zero || b.lower.ln_complement == f64::NEG_INFINITY,
            ),
            None => (p_exact_zero, complement_exact_zero),
        };
        let bracket = if vanish {
            m.vanish_bracket
        } else {
            m.explode_bracket
        };
        let log_of = |complement: bool| {
            log.filter(|t| t.rare_is_complement == complement)
                .map(|t| t.log10_rare)
                .or_else(|| {
                    // exact carries logs: a side below f64 is told as its log10.
                    bracket
                        .map(|b| {
                            if complement {
                                b.estimate.log10_complement()
                            } else {
                                b.estimate.log10_p()
                            }
                        })
                        .filter(|l| l.is_finite())
                })
        };
        Tails {
            p: Side::of(p.p, p_exact_zero, log_of(false)),
            complement: Side::of(p.complement, complement_exact_zero, log_of(true)),
            rare: log.filter(|t| t.log10_rare.is_finite()).map(|t| RareSide {
                complement: t.rare_is_complement,
                log10: t.log10_rare,
                relative_error: t.relative_error,
                ci95_factors: t.ci95_factors,
                samples: t.samples,
                rel_err_met: t.rel_err_met,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_below_f64_is_never_a_zero() {
        assert_eq!(Side::BelowF64.shown(), "< 1e-308 (below f64)");
        assert_eq!(Side::Log10(-1234.54).shown(), "10^-1234.5");
        assert_eq!(Side::Value(0.0).shown(), "0");
        assert!(Side::BelowF64.value().is_none() && Side::BelowF64.reason().is_some());
        assert_eq!(
            Side::of(0.0, false, Some(f64::NEG_INFINITY)).shown(),
            "n/a: no importance sample hit the event"
        );
    }
}
