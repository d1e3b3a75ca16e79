//! The observed states of a training run: [g≫0], [g∼0] with hysteresis, and [converged].
//!
//! A state quantity (a recorded column, such as the probe gain) is read record by record
//! through a Schmitt trigger: a run enters [g∼0] when the quantity crosses the *enter*
//! threshold (e.g. falls below 1e-6) and returns to [g≫0] only when it crosses back over the
//! *leave* threshold (e.g. rises above 1e-3); in between it keeps its state. So a quantity
//! that flickers around one threshold does not make transitions, and a return is a return
//! across the whole band. With enter = leave this is the plain single threshold. A run
//! starts in [g∼0] when its first record is on the enter side of the enter threshold.
//!
//! [converged] is a third, absorbing state: the run leaves the chain when a convergence
//! rule holds, either a loss target (`loss < 0.01`: the thresholds answer's "given convergence of
//! training does not happen", measured) or a plateau of the loss while the gradient is
//! alive (the mean loss of the last w records improved by less than a fraction r on the w
//! before; a plateau in [g∼0] is vanishing's symptom, not convergence). A record that meets
//! the convergence rule counts as [converged] whatever its gain. A diverged run
//! (NaN) ends at its last finite record.
//!
//! ```
//! use vanish::dynamics::states::{StateRule, ALIVE, VANISHED};
//! let rule = StateRule::parse("gain < 1e-6", Some(1e-3), None).unwrap();
//! // Flickers around 1e-6 stay in [g∼0]; only the rise above 1e-3 is an escape.
//! let gain = [1e-2, 9e-7, 1.1e-6, 8e-7, 2e-3, 1e-4];
//! let s = rule.sequence(&gain, None);
//! assert_eq!(s.states, [ALIVE, VANISHED, VANISHED, VANISHED, ALIVE, ALIVE]);
//! assert!(s.crossed_down);          // from above 1e-3 to below 1e-6 within the run
//! ```

use crate::error::ConfigError;
use crate::output::format::exact;

/// [g≫0]: the gradient is alive.
pub const ALIVE: usize = 0;
/// [g∼0]: the gradient has vanished.
pub const VANISHED: usize = 1;
/// [converged]: training reached its goal first (absorbing).
pub const CONVERGED: usize = 2;

/// The default distance between the enter and the leave threshold of a positive quantity:
/// three decades, so that a return is far beyond the minibatch noise of a gain.
pub const DEFAULT_BAND_DECADES: f64 = 3.0;

/// A comparison `COLUMN op VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The column it reads.
    pub column: String,
    /// `<`, `<=`, `>` or `>=`.
    pub op: String,
    /// The value.
    pub value: f64,
}

impl Threshold {
    /// Parses `COLUMN < VALUE` (or `<=`, `>`, `>=`); `flag` names the flag in errors.
    pub fn parse(text: &str, flag: &str) -> Result<Self, ConfigError> {
        let bad = || {
            ConfigError::new(
                flag,
                format!("'{text}': give COLUMN < VALUE (or <=, >, >=), e.g. 'probe_gain < 1e-6'"),
            )
        };
        for op in ["<=", ">=", "<", ">"] {
            if let Some((column, value)) = text.split_once(op) {
                let value: f64 = value.trim().parse().map_err(|_| bad())?;
                let column = column.trim();
                if column.is_empty() || !value.is_finite() {
                    return Err(bad());
                }
                return Ok(Threshold {
                    column: column.to_string(),
                    op: op.to_string(),
                    value,
                });
            }
        }
        Err(bad())
    }

    /// Whether `v` satisfies the comparison against `value` (the enter side).
    fn holds(&self, v: f64, value: f64) -> bool {
        match self.op.as_str() {
            "<" => v < value,
            "<=" => v <= value,
            ">" => v > value,
            _ => v >= value,
        }
    }

    fn is_below(&self) -> bool {
        self.op.starts_with('<')
    }
}

/// When a run counts as converged.
#[derive(Debug, Clone, PartialEq)]
pub enum Convergence {
    /// A target: `loss < 0.01` (any recorded column and comparison).
    Target(Threshold),
    /// The loss's own plateau: the mean of the last `window` records' loss improved by less
    /// than `rel` (relative) on the mean of the `window` before, while the gradient is alive.
    Plateau {
        /// Records per window.
        window: usize,
        /// Relative improvement below which the loss has stopped.
        rel: f64,
    },
}

impl Convergence {
    /// Parses `--converged`: `COLUMN < VALUE`, `plateau` (5 records, 1 %) or
    /// `plateau(W, REL)`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix("plateau") {
            let bad = || {
                ConfigError::new(
                    "--converged",
                    format!(
                        "'{text}': give plateau or plateau(W, REL), W ≥ 1 records, 0 < REL < 1"
                    ),
                )
            };
            let rest = rest.trim();
            if rest.is_empty() {
                return Ok(Convergence::Plateau {
                    window: 5,
                    rel: 0.01,
                });
            }
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(bad)?;
            let (w, r) = inner.split_once(',').ok_or_else(bad)?;
            let window: usize = w.trim().parse().map_err(|_| bad())?;
            let rel: f64 = r.trim().parse().map_err(|_| bad())?;
            if window == 0 || window > 100_000 || !(rel > 0.0 && rel < 1.0) {
                return Err(bad());
            }
            return Ok(Convergence::Plateau { window, rel });
        }
        Threshold::parse(t, "--converged").map(Convergence::Target)
    }

    /// The column the rule reads.
    pub fn column(&self) -> &str {
        match self {
            Convergence::Target(t) => &t.column,
            Convergence::Plateau { .. } => "loss",
        }
    }

    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Convergence::Target(t) => format!("{} {} {}", t.column, t.op, exact(t.value)),
            Convergence::Plateau { window, rel } => format!(
                "loss plateau: the mean of {window} records improved by < {} on the {window} before",
                exact(*rel)
            ),
        }
    }

    /// Whether the run has converged at record `t`, given its values of the column so far.
    fn holds(&self, values: &[f64], t: usize) -> bool {
        match self {
            Convergence::Target(th) => th.holds(values[t], th.value),
            Convergence::Plateau { window, rel } => {
                let w = *window;
                if t + 1 < 2 * w {
                    return false;
                }
                let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
                let recent = mean(&values[t + 1 - w..=t]);
                let before = mean(&values[t + 1 - 2 * w..t + 1 - w]);
                // Stopped, not rising: a loss that grows has not converged.
                recent <= before && recent >= (1.0 - rel) * before
            }
        }
    }
}

/// The rule that turns a run's records into states.
#[derive(Debug, Clone, PartialEq)]
pub struct StateRule {
    /// Enter [g∼0]: the column, the comparison and the enter threshold.
    pub enter: Threshold,
    /// Leave [g∼0] only when the comparison with this value no longer holds.
    pub leave: f64,
    /// The optional [converged] rule.
    pub convergence: Option<Convergence>,
}

/// One run's states and what they show.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// States per record, up to and including the first [converged] (which ends the
    /// sequence), or up to the last finite value.
    pub states: Vec<usize>,
    /// Whether the value was NaN at some record (a diverged run, cut there).
    pub cut_by_nan: bool,
    /// Whether the quantity moved across the whole band downward within the run: a record
    /// beyond the leave threshold on the alive side, later one that enters [g∼0].
    pub crossed_down: bool,
}

impl StateRule {
    /// The rule from `--state` (`COLUMN < VALUE`), `--leave` (default, for a column whose
    /// name holds `gain`: three decades beyond a positive enter value, on the alive side;
    /// the same value otherwise) and `--converged`.
    pub fn parse(
        state: &str,
        leave: Option<f64>,
        converged: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let enter = Threshold::parse(state, "--state")?;
        let factor = 10f64.powf(DEFAULT_BAND_DECADES);
        // The default band is for gains (ratios spanning decades); other columns get the
        // plain threshold unless --leave is given.
        let is_gain = enter.column.contains("gain");
        let leave = match leave {
            Some(v) => v,
            None if is_gain && enter.value > 0.0 && enter.is_below() => enter.value * factor,
            None if is_gain && enter.value > 0.0 => enter.value / factor,
            None => enter.value,
        };
        if !leave.is_finite() {
            return Err(ConfigError::new("--leave", "must be a finite number"));
        }
        if enter.is_below() && leave < enter.value || !enter.is_below() && leave > enter.value {
            return Err(ConfigError::new(
                "--leave",
                format!(
                    "{} is on the wrong side of the --state threshold {}: for '{}' it must be \
                     {} it",
                    exact(leave),
                    exact(enter.value),
                    enter.op,
                    if enter.is_below() {
                        "at or above"
                    } else {
                        "at or below"
                    }
                ),
            ));
        }
        let convergence = converged.map(Convergence::parse).transpose()?;
        Ok(StateRule {
            enter,
            leave,
            convergence,
        })
    }

    /// The state column.
    pub fn column(&self) -> &str {
        &self.enter.column
    }

    /// Whether enter and leave differ (a band, not a single threshold).
    pub fn has_band(&self) -> bool {
        self.leave != self.enter.value
    }

    /// The band's width in decades (0 without a band, NaN where it is not a ratio).
    pub fn band_decades(&self) -> f64 {
        if !self.has_band() {
            0.0
        } else if self.leave > 0.0 && self.enter.value > 0.0 {
            (self.leave / self.enter.value).log10().abs()
        } else {
            f64::NAN
        }
    }

    /// In words: `probe_gain < 1e-6, leave above 1e-3`.
    pub fn describe(&self) -> String {
        let mut t = format!(
            "{} {} {}",
            self.enter.column,
            self.enter.op,
            exact(self.enter.value)
        );
        if self.has_band() {
            let side = if self.enter.is_below() {
                "above"
            } else {
                "below"
            };
            t.push_str(&format!(", leave {side} {}", exact(self.leave)));
        }
        t
    }

    /// Whether `v` is on the [g∼0] side of the enter threshold.
    pub fn enters(&self, v: f64) -> bool {
        self.enter.holds(v, self.enter.value)
    }

    /// The states of one run from its values of the state column and (with a convergence
    /// rule) of the convergence column.
    ///
    /// # Panics
    /// If a convergence rule is set and `converge` is `None` or shorter than `values`.
    pub fn sequence(&self, values: &[f64], converge: Option<&[f64]>) -> Sequence {
        let end = values
            .iter()
            .position(|v| v.is_nan())
            .unwrap_or(values.len());
        let mut states = Vec::with_capacity(end);
        let mut state = ALIVE;
        let mut seen_beyond_leave = false;
        let mut crossed_down = false;
        for (t, &v) in values[..end].iter().enumerate() {
            if let Some(c) = &self.convergence {
                let cv = converge.expect("the convergence column");
                if cv[t].is_nan() {
                    // A NaN loss is a diverged run: cut here, counted as such.
                    return Sequence {
                        states,
                        cut_by_nan: true,
                        crossed_down,
                    };
                }
                let alive_now = if t == 0 {
                    !self.enters(v)
                } else {
                    state == ALIVE
                };
                let plateau = matches!(c, Convergence::Plateau { .. });
                if (!plateau || alive_now) && c.holds(&cv[..=t], t) {
                    states.push(CONVERGED);
                    return Sequence {
                        states,
                        cut_by_nan: false,
                        crossed_down,
                    };
                }
            }
            state = if t == 0 || state == ALIVE {
                usize::from(self.enters(v))
            } else if self.enter.holds(v, self.leave) {
                VANISHED
            } else {
                ALIVE
            };
            if state == VANISHED && seen_beyond_leave {
                crossed_down = true;
            }
            if !self.enter.holds(v, self.leave) && v != self.leave {
                seen_beyond_leave = true;
            }
            states.push(state);
        }
        Sequence {
            states,
            cut_by_nan: end < values.len(),
            crossed_down,
        }
    }
}

/// The first event of a run that starts in [g≫0]: what happened first and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstEvent {
    /// It entered [g∼0] at this record.
    Vanished(usize),
    /// It converged at this record.
    Converged(usize),
    /// It diverged after this record (its last finite one).
    Diverged(usize),
    /// None of them by its last record.
    Censored(usize),
}

impl FirstEvent {
    /// The record at which it happened (the last record for a censored run).
    pub fn record(self) -> usize {
        match self {
            FirstEvent::Vanished(t)
            | FirstEvent::Converged(t)
            | FirstEvent::Diverged(t)
            | FirstEvent::Censored(t) => t,
        }
    }

    /// The competing risk's cause: 0 vanished, 1 converged, 2 diverged; `None` if censored.
    pub fn cause(self) -> Option<usize> {
        match self {
            FirstEvent::Vanished(_) => Some(0),
            FirstEvent::Converged(_) => Some(1),
            FirstEvent::Diverged(_) => Some(2),
            FirstEvent::Censored(_) => None,
        }
    }
}

impl Sequence {
    /// The first event, for a run that starts in [g≫0] (`None` for one that starts in
    /// [g∼0] or has no records).
    pub fn first_event(&self) -> Option<FirstEvent> {
        if self.states.first() != Some(&ALIVE) {
            return None;
        }
        match self.states.iter().position(|&s| s != ALIVE) {
            Some(t) if self.states[t] == VANISHED => Some(FirstEvent::Vanished(t)),
            Some(t) => Some(FirstEvent::Converged(t)),
            None if self.cut_by_nan => Some(FirstEvent::Diverged(self.states.len() - 1)),
            None => Some(FirstEvent::Censored(self.states.len() - 1)),
        }
    }

    /// The [g≫0]/[g∼0] states that the two-state chain is fitted to: the records before
    /// [converged].
    pub fn chain_states(&self) -> &[usize] {
        let end = self
            .states
            .iter()
            .position(|&s| s == CONVERGED)
            .unwrap_or(self.states.len());
        &self.states[..end]
    }
}
