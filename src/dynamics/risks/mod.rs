//! Competing risks of a training run: it vanishes first (enters [g∼0]), converges first,
//! diverges, or does none of these by the end of its record.
//!
//! Each run gives one [`Outcome`]: the time of its first event and the cause, or no cause
//! when the record ended first (the run is censored at its last record). The estimator is
//! Aalen–Johansen's. At each distinct event time t, with n(t) runs at risk, d_j(t) events of
//! cause j and d(t) = Σ_j d_j(t):
//!
//! - S(t) = S(t−)·(1 − d(t)/n(t)), the Kaplan–Meier probability of no event of any cause
//!   by t ([`CompetingRisks::never_by`]);
//! - CIF_j(t) = Σ_{s ≤ t} S(s−)·d_j(s)/n(s), the probability of a cause-j event by t
//!   while every other cause is still in play (not the 1 − KM of cause j alone, which
//!   would answer "what if the other causes could not happen").
//!
//! At every t, S(t) + Σ_j CIF_j(t) = 1. Conventions:
//!
//! - **Ties.** Events of several causes at the same time enter one step together; the
//!   formula handles them as they are (no jitter).
//! - **Censoring at t.** A run censored at t is still at risk at t (n(t) counts runs with
//!   time ≥ t): it was seen to survive its last record.
//! - **Step functions.** CIF_j and S are right-continuous: the value at t includes the
//!   events at t; before the first event, CIF_j = 0 and S = 1.
//! - **Medians.** [`CompetingRisks::median_time`] is the first time at which CIF_j reaches
//!   ½: half of all runs would have had cause j by then (`None` if it never does, which is
//!   the usual case when another cause competes). [`CompetingRisks::conditional_median_time`]
//!   is the first time at which CIF_j reaches half of its final value: the median time of
//!   cause-j events among runs that had one within follow-up, with censoring accounted for.
//!   Without censoring it is the lower median of the cause-j times. Both compare with a
//!   slack of 1e-12 so that a level reached up to rounding counts as reached.
//!
//! The unit of evidence is the run, so intervals come from resampling runs
//! ([`bootstrap`]); beside them, [`CompetingRisks::cif_variance`] gives the delta-method
//! (Greenwood-type) variance of each CIF.
//!
//! Four runs: cause 0 at 1, censored at 2, cause 1 at 3, cause 0 at 4.
//!
//! ```
//! use vanish::dynamics::risks::{Outcome, aalen_johansen};
//! let runs = [
//!     Outcome::event(1.0, 0),
//!     Outcome::censored(2.0),
//!     Outcome::event(3.0, 1),
//!     Outcome::event(4.0, 0),
//! ];
//! let fit = aalen_johansen(&runs, 2).unwrap();
//! // t = 1: 4 at risk, one cause 0:         CIF_0 = 1/4,             S = 3/4.
//! // t = 3: 2 at risk (the run censored at 2 has left), one cause 1:
//! //                                        CIF_1 = 3/4 · 1/2 = 3/8, S = 3/8.
//! // t = 4: 1 at risk, one cause 0:         CIF_0 = 1/4 + 3/8 = 5/8, S = 0.
//! assert_eq!(fit.cif(0, 0.5), 0.0);
//! assert_eq!(fit.cif(0, 1.0), 0.25);
//! assert_eq!(fit.cif(0, 3.5), 0.25);
//! assert_eq!(fit.cif(1, 3.0), 0.375);
//! assert_eq!(fit.never_by(3.0), 0.375);
//! assert_eq!(fit.final_incidence(0), 0.625);
//! assert_eq!(fit.at_risk(3.0), 2);
//! assert_eq!(fit.median_time(0), Some(4.0)); // CIF_0 first reaches 1/2 at t = 4
//! assert_eq!(fit.median_time(1), None); // CIF_1 never reaches 1/2
//! assert_eq!(fit.conditional_median_time(1), Some(3.0));
//! ```

mod bands;
mod table;

pub use bands::{Band, MedianBand, RESAMPLE_CELL, RiskBands, bootstrap};
pub use table::{RiskRow, risk_columns};

use serde::Serialize;

/// Slack for rounding when a CIF is compared with a level (½, or half its final value).
const ROUNDING: f64 = 1e-12;

/// The first event of one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outcome {
    /// Time of the first event, or of the last record if there was none (in steps, ≥ 0).
    pub time: f64,
    /// The cause (0..causes), or `None`: censored at `time`.
    pub cause: Option<usize>,
}

impl Outcome {
    /// An event of `cause` at `time`.
    pub fn event(time: f64, cause: usize) -> Self {
        Outcome {
            time,
            cause: Some(cause),
        }
    }

    /// A run censored at `time` (no event by its last record).
    pub fn censored(time: f64) -> Self {
        Outcome { time, cause: None }
    }
}

/// The Aalen–Johansen estimate: one step per distinct event time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompetingRisks {
    causes: usize,
    runs: usize,
    /// Every run's time, ascending (for the number at risk at any t).
    #[serde(skip)]
    durations: Vec<f64>,
    /// Distinct event times, ascending.
    times: Vec<f64>,
    /// Runs at risk at each event time.
    at_risk: Vec<u64>,
    /// Events at each event time, `[step * causes + cause]`.
    events: Vec<u64>,
    /// S just after each event time.
    survival: Vec<f64>,
    /// CIF just after each event time, `[step * causes + cause]`.
    cif: Vec<f64>,
}

/// Fits the Aalen–Johansen estimate to one outcome per run, with causes `0..causes`.
///
/// Errors: no runs, no causes, a cause not below `causes`, or a time that is negative or
/// not finite.
pub fn aalen_johansen(outcomes: &[Outcome], causes: usize) -> Result<CompetingRisks, String> {
    validate(outcomes, causes)?;
    let mut sorted = outcomes.to_vec();
    sorted.sort_by(|a, b| a.time.total_cmp(&b.time));
    let mut fit = walk(&sorted, &vec![1; sorted.len()], causes);
    fit.durations = sorted.iter().map(|o| o.time).collect();
    Ok(fit)
}

fn validate(outcomes: &[Outcome], causes: usize) -> Result<(), String> {
    if outcomes.is_empty() {
        return Err("no runs: the competing-risks estimate needs at least one run".into());
    }
    if causes == 0 {
        return Err("causes must be at least 1, got 0".into());
    }
    for (r, o) in outcomes.iter().enumerate() {
        if !(o.time.is_finite() && o.time >= 0.0) {
            return Err(format!(
                "run {r}: time {} is not a finite, non-negative number of steps",
                o.time
            ));
        }
        if let Some(c) = o.cause.filter(|&c| c >= causes) {
            return Err(format!(
                "run {r}: cause {c} is not below the number of causes ({causes})"
            ));
        }
    }
    Ok(())
}

/// The estimate from outcomes sorted by time, run i counted `copies[i]` times (1 for the
/// data, the resampled multiplicity for a bootstrap replicate). `durations` is left empty.
fn walk(sorted: &[Outcome], copies: &[u64], causes: usize) -> CompetingRisks {
    let mut fit = CompetingRisks {
        causes,
        runs: copies.iter().sum::<u64>() as usize,
        durations: Vec::new(),
        times: Vec::new(),
        at_risk: Vec::new(),
        events: Vec::new(),
        survival: Vec::new(),
        cif: Vec::new(),
    };
    let mut remaining: u64 = copies.iter().sum();
    let mut s = 1.0;
    let mut cif = vec![0.0; causes];
    let mut d = vec![0u64; causes];
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].time;
        // Runs with time ≥ t, censored ones included.
        let n = remaining;
        d.fill(0);
        while i < sorted.len() && sorted[i].time == t {
            remaining -= copies[i];
            if let Some(c) = sorted[i].cause {
                d[c] += copies[i];
            }
            i += 1;
        }
        let total: u64 = d.iter().sum();
        if total == 0 {
            continue;
        }
        let nf = n as f64;
        for (f, &dj) in cif.iter_mut().zip(&d) {
            *f += s * dj as f64 / nf;
        }
        s *= (n - total) as f64 / nf;
        fit.times.push(t);
        fit.at_risk.push(n);
        fit.events.extend_from_slice(&d);
        fit.survival.push(s);
        fit.cif.extend_from_slice(&cif);
    }
    fit
}

impl CompetingRisks {
    /// Number of causes.
    pub fn causes(&self) -> usize {
        self.causes
    }

    /// Number of runs fitted.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// The distinct event times (any cause), ascending.
    pub fn event_times(&self) -> &[f64] {
        &self.times
    }

    /// The last step at or before t.
    fn step(&self, t: f64) -> Option<usize> {
        self.times.partition_point(|&s| s <= t).checked_sub(1)
    }

    fn check(&self, cause: usize) {
        assert!(
            cause < self.causes,
            "cause {cause} is not below {}",
            self.causes
        );
    }

    /// CIF_j(t): the probability of a cause-`cause` event by t (right-continuous).
    ///
    /// Panics if `cause` is not below [`Self::causes`] (a programming error, like an index).
    pub fn cif(&self, cause: usize, t: f64) -> f64 {
        self.check(cause);
        self.step(t)
            .map_or(0.0, |k| self.cif[k * self.causes + cause])
    }

    /// S(t): the Kaplan–Meier probability of no event of any cause by t.
    pub fn survival(&self, t: f64) -> f64 {
        self.step(t).map_or(1.0, |k| self.survival[k])
    }

    /// The fraction of runs that did none of the causes by t: S(t).
    pub fn never_by(&self, t: f64) -> f64 {
        self.survival(t)
    }

    /// Runs at risk at t: those whose time is ≥ t (a run censored at t is still at risk).
    pub fn at_risk(&self, t: f64) -> u64 {
        (self.durations.len() - self.durations.partition_point(|&s| s < t)) as u64
    }

    /// Events of `cause` seen by t (a count, not an estimate).
    pub fn events_by(&self, cause: usize, t: f64) -> u64 {
        self.check(cause);
        self.step(t).map_or(0, |k| {
            (0..=k).map(|i| self.events[i * self.causes + cause]).sum()
        })
    }

    /// CIF_j at the last event time: the estimated share of runs that end in `cause`
    /// within follow-up.
    pub fn final_incidence(&self, cause: usize) -> f64 {
        self.cif(cause, f64::INFINITY)
    }

    /// The first event time at which CIF_j ≥ `level` (up to rounding).
    fn first_reaching(&self, cause: usize, level: f64) -> Option<f64> {
        self.check(cause);
        (0..self.times.len())
            .find(|&k| self.cif[k * self.causes + cause] >= level - ROUNDING)
            .map(|k| self.times[k])
    }

    /// The first time at which CIF_j reaches ½ (half of all runs had `cause` by then), or
    /// `None` if it never does within follow-up.
    pub fn median_time(&self, cause: usize) -> Option<f64> {
        self.first_reaching(cause, 0.5)
    }

    /// The conditional median: the first time at which CIF_j reaches half of its final
    /// value, i.e. the median time of cause-`cause` events among runs that had one within
    /// follow-up, censoring accounted for (without censoring: the lower median of those
    /// runs' times). `None` if no run had this cause.
    pub fn conditional_median_time(&self, cause: usize) -> Option<f64> {
        let last = self.final_incidence(cause);
        if last <= 0.0 {
            return None;
        }
        self.first_reaching(cause, 0.5 * last)
    }

    /// The delta-method (Greenwood-type) variance of CIF_j(t), treating the events at each
    /// time as multinomial given the number at risk:
    ///
    /// Var = Σ_{t_i ≤ t} [ (F(t) − F(t_i))²·d_i/(n_i(n_i − d_i))
    ///                   + S(t_i−)²·d_ji(n_i − d_ji)/n_i³
    ///                   − 2(F(t) − F(t_i))·S(t_i−)·d_ji/n_i² ],
    ///
    /// with F = CIF_j and d_i all events at t_i (Collett, *Modelling Survival Data*, 3rd
    /// ed., p. 411; the formula of `lifelines`). The first term is 0 when F(t) = F(t_i),
    /// which covers n_i = d_i (nobody is left after t_i).
    pub fn cif_variance(&self, cause: usize, t: f64) -> f64 {
        self.check(cause);
        let Some(k) = self.step(t) else {
            return 0.0;
        };
        let c = self.causes;
        let f = self.cif[k * c + cause];
        let mut var = 0.0;
        let mut s_before = 1.0;
        for i in 0..=k {
            let n = self.at_risk[i] as f64;
            let d: u64 = self.events[i * c..(i + 1) * c].iter().sum();
            let (d, dj) = (d as f64, self.events[i * c + cause] as f64);
            let diff = f - self.cif[i * c + cause];
            if diff != 0.0 {
                var += diff * diff * d / (n * (n - d));
            }
            var += s_before * s_before * dj * (n - dj) / (n * n * n);
            var -= 2.0 * diff * s_before * dj / (n * n);
            s_before = self.survival[i];
        }
        var.max(0.0)
    }

    /// The delta-method standard error of CIF_j(t): √[`Self::cif_variance`].
    pub fn cif_se(&self, cause: usize, t: f64) -> f64 {
        self.cif_variance(cause, t).sqrt()
    }
}
