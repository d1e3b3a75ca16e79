//! Progress on the terminal: one bar per stage of a command's work (what is running,
//! done/total, rate, ETA in seconds), drawn on stderr only when stderr is a terminal and
//! `--quiet` is not given, and only once the stage has run for [`DELAY`] (a second): short
//! work stays silent, long work never does.
//!
//! The library knows nothing of this: its long loops take a callback (`&dyn Fn(u64)`, told
//! the units of each finished block), and the command hands it [`Stage::inc`]. A callback
//! only counts, so progress never changes a number.
//!
//! `VANISH_PROGRESS_DELAY_MS` sets the delay in milliseconds (0 draws at once).
//!
//! [`Timings`] measures the same stages for the time a command prints and the manifest's
//! `elapsed_s` (the whole) and `timings_s` (each part).

use std::io::{self, IsTerminal};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// How long a stage runs before its bar is drawn.
pub(crate) const DELAY: Duration = Duration::from_secs(1);

/// How often a drawn bar is redrawn, also when no block finished in between.
const REDRAW: Duration = Duration::from_millis(200);

/// One stage of a command's work, with a bar on stderr (see the module).
pub(crate) struct Stage {
    bar: ProgressBar,
    /// The thread that draws the bar after the delay, and the sender whose drop stops it.
    reveal: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Stage {
    /// A stage named `what` (e.g. `"importance sampling"`) of `total` `unit`s (e.g.
    /// `"samples"`), drawn on a terminal after [`DELAY`] unless `quiet`.
    pub(crate) fn new(what: &str, total: u64, unit: &str, quiet: bool) -> Stage {
        Stage::styled(what, total, style(unit), quiet)
    }

    /// A stage named `what` whose work is not counted (one computation): its bar shows
    /// what is running and for how long.
    pub(crate) fn working(what: &str, quiet: bool) -> Stage {
        let spinner = ProgressStyle::with_template("{spinner} {prefix}: {elapsed}")
            .expect("a valid template");
        Stage::styled(what, 1, spinner, quiet)
    }

    /// A stage of `total` units drawn in `style`.
    fn styled(what: &str, total: u64, style: ProgressStyle, quiet: bool) -> Stage {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if quiet || !io::stderr().is_terminal() {
            return Stage { bar, reveal: None };
        }
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        let delay = delay();
        if delay.is_zero() {
            show(&bar);
            return Stage { bar, reveal: None };
        }
        let (tx, rx) = mpsc::channel::<()>();
        let shown = bar.clone();
        let thread = std::thread::spawn(move || {
            // A message never comes: the sender's drop (the stage ended) wakes this early.
            if rx.recv_timeout(delay) == Err(mpsc::RecvTimeoutError::Timeout) {
                show(&shown);
            }
        });
        Stage {
            bar,
            reveal: Some((tx, thread)),
        }
    }

    /// Counts `n` more units done (called once per block, from any thread).
    pub(crate) fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
}

impl Drop for Stage {
    /// Clears the bar: a stage leaves nothing on the terminal.
    fn drop(&mut self) {
        if let Some((tx, thread)) = self.reveal.take() {
            drop(tx);
            // The thread only waits and draws; it cannot panic but through indicatif.
            let _ = thread.join();
        }
        self.bar.finish_and_clear();
    }
}

/// Draws `bar` on stderr now and every [`REDRAW`] until it is cleared.
fn show(bar: &ProgressBar) {
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.tick();
    bar.enable_steady_tick(REDRAW);
}

/// [`DELAY`], or `VANISH_PROGRESS_DELAY_MS` when set.
fn delay() -> Duration {
    std::env::var("VANISH_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
        .map_or(DELAY, Duration::from_millis)
}

/// `sim: ███████░░░░ 412,000/1,000,000 samples, 3.21e6/s, ETA 2 s`.
fn style(unit: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!(
        "{{prefix}}: {{wide_bar}} {{human_pos}}/{{human_len}} {unit}, {{rate}}/s, ETA {{eta_s}}"
    ))
    .expect("a valid template")
    .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}", rate(s.per_sec()));
    })
    .with_key("eta_s", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
        // Nothing done yet: no rate to extrapolate from.
        let _ = match s.pos() {
            0 => write!(w, "? s"),
            _ => write!(w, "{} s", s.eta().as_secs()),
        };
    })
}

/// A rate with three significant digits: `850`, `12.5`, `3.2e6`.
fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() {
        return "?".into();
    }
    if per_sec >= 1e4 {
        format!("{per_sec:.2e}")
    } else if per_sec >= 100.0 {
        format!("{per_sec:.0}")
    } else {
        format!("{per_sec:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// The time of a command's work, whole and in parts: from [`Timings::start`] (start of
/// work) to [`Timings::whole`] (its files written), and each [`Timings::part`] within.
pub(crate) struct Timings {
    started: Instant,
    parts: Vec<(&'static str, f64)>,
}

impl Timings {
    /// Starts the clock of the whole.
    pub(crate) fn start() -> Timings {
        Timings {
            started: Instant::now(),
            parts: Vec::new(),
        }
    }

    /// Runs `work` as the part `name` (e.g. `"monte carlo"`) and records its seconds.
    pub(crate) fn part<T>(&mut self, name: &'static str, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let value = work();
        self.parts.push((name, started.elapsed().as_secs_f64()));
        value
    }

    /// The seconds of part `name` (0 if it did not run).
    pub(crate) fn of(&self, name: &str) -> f64 {
        self.parts.iter().filter(|p| p.0 == name).map(|p| p.1).sum()
    }

    /// The seconds since the start: the whole, once the work is done.
    pub(crate) fn whole(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// `time 18.20 s: monte carlo 0.43 s, exact 1.10 s`, for a whole of `whole` seconds.
    pub(crate) fn line(&self, whole: f64) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(name, s)| format!("{name} {s:.2} s"))
            .collect();
        format!("time {whole:.2} s: {}", parts.join(", "))
    }

    /// The manifest's `timings_s`: `{"monte_carlo": 0.43, "exact": 1.1}` (names with `_`
    /// for spaces).
    pub(crate) fn json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (name, s) in &self.parts {
            map.insert(name.replace(' ', "_"), (*s).into());
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_at_a_glance() {
        assert_eq!(rate(3_212_000.0), "3.21e6");
        assert_eq!(rate(850.4), "850");
        assert_eq!(rate(12.5), "12.5");
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(f64::INFINITY), "?");
    }

    #[test]
    fn timings_name_every_part_within_the_whole() {
        let mut t = Timings::start();
        t.part("monte carlo", || {
            std::thread::sleep(Duration::from_millis(20))
        });
        let four = t.part("exact", || 2 + 2);
        assert_eq!(four, 4);
        let whole = t.whole();
        assert!(whole >= t.of("monte carlo") + t.of("exact"));
        assert!(t.of("monte carlo") >= 0.02);
        let line = t.line(1.5);
        assert!(line.starts_with("time 1.50 s: monte carlo 0.0"), "{line}");
        assert!(line.ends_with(", exact 0.00 s"), "{line}");
        let json = t.json();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["exact", "monte_carlo"]);
    }

    #[test]
    fn a_quiet_stage_is_hidden_and_counts() {
        let stage = Stage::new("sim", 10, "samples", true);
        stage.inc(4);
        assert!(stage.bar.is_hidden());
        assert!(stage.reveal.is_none());
        assert_eq!(stage.bar.position(), 4);
    }
}
