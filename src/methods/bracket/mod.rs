//! The exact tails of ln g as a bracket that holds: `lower ≤ p ≤ upper`, with a best
//! estimate inside, at a requested relative width.
//!
//! Write ln g = K·c − S with c = ln(a·n) the cap and S = Σ Z_i, Z = c − ln f'(X) ≥ 0.
//! Round each Z down to the lattice of step h: Z_d = h·⌊Z/h⌋ ≤ Z < Z_d + h, so with
//! T = Σ ⌊Z_i/h⌋ (an integer), h·T ≤ S < h·T + K·h for every sample. Hence
//!
//! - P(vanish) = P(S > a), a = Kc − ln(vanish threshold): P(hT > a) ≤ p ≤ P(hT + Kh > a);
//! - P(explode) = P(S < b), b = Kc − ln(explode threshold): P(hT + Kh ≤ b) ≤ p ≤ P(hT < b).
//!
//! The law of T is that of K iid lattice indices with the masses P(jh ≤ Z < (j+1)h),
//! computed once by a real FFT, exponentially tilted so that the threshold sits in the middle
//! of the window (a tail of 10^-1000 keeps its relative precision; everything is carried as
//! logarithms). Atoms of x need no special case: the rounding bounds hold sample by sample.
//! The bracket's relative width is about K·h·(the tilt); the step is chosen from `--tol`,
//! and when the memory cap forbids so fine a lattice the bracket is the finest the cap
//! allows (still valid, and said so).
//!
//! What else enters the bounds: the mass outside the FFT window (wrapped around the circle),
//! bounded by a Chernoff bound of the tilted lattice law, and the rounding of the FFT,
//! bounded by the largest value the transform returns where the true law is below 1e-30
//! (its measured noise floor). The masses themselves come from the law's own CDF
//! (accurate to ~1e-15 relative); a factor mass below the range of f64 (5e-324) is
//! dropped.
//!
//! The estimate rounds each Z to the middle of its cell (spreading each lattice point over
//! its cell), at steps h, 2h and 4h, and extrapolates with the order of convergence those
//! three show (about 1.5 near the cap, where the density of ln f' has a square-root
//! singularity; 2 elsewhere), kept inside the bracket.

mod prob;
mod sum;

pub use prob::{LnProb, TailBracket};

use crate::error::ConfigError;
use crate::methods::law::FactorLaw;
use sum::{TiltedSum, release_buffers};

/// The default `--tol`: the bracket's relative width.
pub const DEFAULT_TOL: f64 = 1e-2;
/// The default `--exact-memory`, in megabytes.
pub const DEFAULT_MEMORY_MB: f64 = 256.0;
/// Bytes per lattice point at the peak: the real signal (8), its spectrum (N/2 + 1 complex,
/// 8 per point), the transforms' scratch (up to 8), one factor's masses (8, turned into
/// logs and tilted masses in place; the lattice has at most as many points as the window)
/// and the plans' twiddles of the sizes N, N/2 and N/4 in use (up to 28).
pub const BYTES_PER_POINT: f64 = 64.0;
/// The smallest FFT the bracket uses.
const MIN_POINTS: usize = 1 << 12;

/// How exact `exact` must be and how much memory it may take for it, and the relative
/// error `is` must reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    /// The wanted relative width of the bracket, (upper − lower)/p on the smaller side.
    pub tol: f64,
    /// The memory the lattice may use, in megabytes.
    pub memory_mb: f64,
    /// `--method is`: the relative standard error to reach (`--rel-err`); `--samples` is
    /// then a cap. `None`: exactly `--samples` samples.
    pub rel_err: Option<f64>,
}

impl Default for Accuracy {
    fn default() -> Self {
        Accuracy {
            tol: DEFAULT_TOL,
            memory_mb: DEFAULT_MEMORY_MB,
            rel_err: None,
        }
    }
}

impl Accuracy {
    /// Validates `--tol` (0 < tol < 1) and `--exact-memory` (enough for the smallest
    /// lattice, 4096 points).
    ///
    /// ```
    /// use vanish::methods::bracket::Accuracy;
    /// assert!(Accuracy::new(1e-6, 512.0).is_ok());
    /// assert_eq!(Accuracy::new(0.0, 512.0).unwrap_err().flag, "--tol");
    /// assert_eq!(Accuracy::new(1e-6, 0.01).unwrap_err().flag, "--exact-memory");
    /// ```
    pub fn new(tol: f64, memory_mb: f64) -> Result<Self, ConfigError> {
        if !(tol > 0.0 && tol < 1.0) {
            return Err(ConfigError::new(
                "--tol",
                format!("must be a relative width above 0 and below 1 (e.g. 1e-6), got {tol}"),
            ));
        }
        let least = MIN_POINTS as f64 * BYTES_PER_POINT / 1e6;
        let most = (crate::limits::memory_limit() / 1e6).floor();
        if !(memory_mb.is_finite() && memory_mb >= least && memory_mb <= most) {
            return Err(ConfigError::new(
                "--exact-memory",
                format!(
                    "must be from {least} (megabytes: the smallest lattice, {MIN_POINTS} \
                     points) to {most} (80 % of this machine's memory), got {}",
                    crate::output::format::significant(memory_mb, 4)
                ),
            ));
        }
        Ok(Accuracy {
            tol,
            memory_mb,
            rel_err: None,
        })
    }

    /// The same accuracy with importance sampling's `--rel-err` (0 < REL < 1).
    ///
    /// ```
    /// use vanish::methods::bracket::Accuracy;
    /// assert!(Accuracy::default().with_rel_err(Some(0.01)).is_ok());
    /// assert_eq!(Accuracy::default().with_rel_err(Some(0.0)).unwrap_err().flag, "--rel-err");
    /// ```
    pub fn with_rel_err(self, rel_err: Option<f64>) -> Result<Self, ConfigError> {
        if let Some(r) = rel_err {
            crate::methods::importance::Budget::check_rel_err(r)
                .map_err(|m| ConfigError::new("--rel-err", m))?;
        }
        Ok(Accuracy { rel_err, ..self })
    }

    /// The largest FFT (a power of two) the memory allows.
    fn max_points(&self) -> usize {
        let points = (self.memory_mb * 1e6 / BYTES_PER_POINT).min(2f64.powi(40));
        let mut n = MIN_POINTS;
        while ((2 * n) as f64) <= points {
            n *= 2;
        }
        n
    }
}

/// The exact P(ln g < ln_vanish) and P(ln g > ln_explode) for K = `depth` iid factors, as
/// brackets at the accuracy asked for.
///
/// ```
/// use vanish::methods::{bracket::{Accuracy, exact_brackets}, law::FactorLaw};
/// use vanish::model::activation::Activation;
/// let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
/// // Only all 20 factors at x = 0 explode: 0.3^20, to the digit.
/// let d = "mix(0.3*point(0), 0.7*point(1.5))".parse().unwrap();
/// let law = FactorLaw::new(&f, &d).unwrap();
/// let (_, e) = exact_brackets(&law, 20, (1e-6f64).ln(), (1e6f64).ln(), &Accuracy::default());
/// let truth = 0.3f64.powi(20);
/// assert!(e.lower.p() <= truth && truth <= e.upper.p());
/// assert!((e.estimate.p() / truth - 1.0).abs() < 1e-9);
/// ```
pub fn exact_brackets(
    law: &FactorLaw,
    depth: u32,
    ln_vanish: f64,
    ln_explode: f64,
    accuracy: &Accuracy,
) -> (TailBracket, TailBracket) {
    let k = f64::from(depth);
    let c = law.cap();
    if let Some(y0) = law.point_value() {
        // A point mass: ln g = K·ln f'(x0) exactly.
        let ln_g = k * y0;
        return (
            TailBracket::certain(ln_g < ln_vanish),
            TailBracket::certain(ln_g > ln_explode),
        );
    }
    let a = k * c - ln_vanish;
    let b = k * c - ln_explode;
    let vanish = if a < 0.0 {
        TailBracket::certain(true) // S ≥ 0 > a
    } else {
        refine(law, depth, Event::Above(a), accuracy)
    };
    let explode = if b <= 0.0 {
        TailBracket::certain(false) // S < b ≤ 0 is impossible
    } else {
        refine(law, depth, Event::Below(b), accuracy)
    };
    release_buffers();
    (vanish, explode)
}

/// The event on S = Σ Z_i.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// S > a (vanish).
    Above(f64),
    /// S < b (explode).
    Below(f64),
}

impl Event {
    fn threshold(self) -> f64 {
        match self {
            Event::Above(a) | Event::Below(a) => a,
        }
    }
}

/// One lattice's results: the bracket and the midpoint estimate, all ln P of the event.
#[derive(Debug, Clone, Copy)]
struct AtStep {
    lower: LnProb,
    upper: LnProb,
    estimate: LnProb,
    points: usize,
    /// The tilted sum's sd in units of S (to size finer lattices).
    sd: f64,
}

/// Refines the lattice until the bracket meets the tolerance or the memory cap.
fn refine(law: &FactorLaw, depth: u32, event: Event, accuracy: &Accuracy) -> TailBracket {
    let k = f64::from(depth);
    let cap = accuracy.max_points();
    let sd_z = law.moments().map_or(1.0, |m| m.1.sqrt()).max(1e-300);
    // A pilot lattice where the sum's sd spans ~256 cells, the threshold ≥ 8 cells, and
    // K cells (the rounding's reach) at most half the threshold.
    let h = (sd_z * k.sqrt() / 256.0)
        .min(event.threshold() / 8.0)
        .min(event.threshold() / (2.0 * k));
    let pilot = at_step(law, depth, event, h, cap);
    let Some(pilot) = pilot else {
        return unknown();
    };
    if pilot.points == 0 {
        // Decided without a lattice sum (the threshold lies beyond every sum).
        return combine(&[(h, pilot)], accuracy.tol);
    }
    let width = relative_width(&pilot);
    // The width is linear in h: aim at 70 % of the tolerance, within the memory cap.
    let wanted = if width > 0.0 {
        h * (0.7 * accuracy.tol / width).min(1.0)
    } else {
        h
    };
    let fits = 2.0 * (24.0 * pilot.sd + 8.0 * k * h) / (cap as f64 * 0.9);
    let fine = wanted.max(fits).min(h);
    let mut runs = vec![];
    for scale in [4.0, 2.0, 1.0] {
        if let Some(r) = at_step(law, depth, event, fine * scale, cap) {
            runs.push((fine * scale, r));
        }
    }
    runs.push((h, pilot));
    combine(&runs, accuracy.tol)
}

/// A bracket with nothing known (should not happen: every lattice failed).
fn unknown() -> TailBracket {
    let nan = LnProb {
        ln_p: f64::NAN,
        ln_complement: f64::NAN,
    };
    TailBracket {
        lower: LnProb::certain(false),
        upper: LnProb::certain(true),
        estimate: nan,
        step: f64::NAN,
        points: 0,
        met: false,
        order: None,
    }
}

fn relative_width(r: &AtStep) -> f64 {
    TailBracket {
        lower: r.lower,
        upper: r.upper,
        estimate: r.estimate,
        step: 0.0,
        points: 0,
        met: false,
        order: None,
    }
    .relative_width()
}

/// The intersection of the brackets of every lattice (each holds), and the estimate
/// extrapolated from the three finest steps (h, 2h, 4h) with their observed order.
fn combine(runs: &[(f64, AtStep)], tol: f64) -> TailBracket {
    let mut lower = runs[0].1.lower;
    let mut upper = runs[0].1.upper;
    for (_, r) in runs {
        // p ≥ max of the lower bounds; 1 − p ≥ max of the upper bounds' complements.
        if r.lower.ln_p > lower.ln_p || r.lower.ln_complement < lower.ln_complement {
            lower = LnProb {
                ln_p: lower.ln_p.max(r.lower.ln_p),
                ln_complement: lower.ln_complement.min(r.lower.ln_complement),
            };
        }
        upper = LnProb {
            ln_p: upper.ln_p.min(r.upper.ln_p),
            ln_complement: upper.ln_complement.max(r.upper.ln_complement),
        };
    }
    // The finest lattice is the one with the smallest step among the first three.
    let fine: Vec<&(f64, AtStep)> = runs.iter().take(3).collect();
    let (step, finest) = fine
        .iter()
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .map(|(h, r)| (*h, *r))
        .unwrap_or((runs[0].0, runs[0].1));
    let (mut estimate, mut order) = (finest.estimate, None);
    if fine.len() == 3 {
        // Steps 4h, 2h, h in that order; extrapolate the smaller side's log.
        let (_, is_p) = finest.estimate.small();
        let side = |r: &AtStep| {
            if is_p {
                r.estimate.ln_p
            } else {
                r.estimate.ln_complement
            }
        };
        let (e4, e2, e1) = (side(&fine[0].1), side(&fine[1].1), side(&fine[2].1));
        let (d_coarse, d_fine) = (e4 - e2, e2 - e1);
        if d_coarse * d_fine > 0.0 && d_coarse.abs() > d_fine.abs() {
            let q = (d_coarse / d_fine).log2().clamp(0.5, 4.0);
            let extrapolated = e1 - d_fine / (q.exp2() - 1.0);
            if extrapolated.is_finite() {
                estimate = LnProb::from_side(extrapolated, is_p);
                order = Some(q);
            }
        }
    }
    let mut estimate = clamp_into(estimate, &lower, &upper);
    if lower.ln_p == f64::NEG_INFINITY && upper.ln_complement == f64::NEG_INFINITY {
        // The bracket is [0, 1]: the lattice told nothing, and neither does its estimate.
        estimate = LnProb {
            ln_p: f64::NAN,
            ln_complement: f64::NAN,
        };
    }
    let mut out = TailBracket {
        lower,
        upper,
        estimate,
        step,
        points: finest.points,
        met: false,
        order,
    };
    let width = out.relative_width();
    out.met = width.is_finite() && width <= tol;
    out
}

/// The estimate moved inside [lower, upper] (on p's scale, and its complement with it).
fn clamp_into(est: LnProb, lower: &LnProb, upper: &LnProb) -> LnProb {
    let (_, is_p) = est.small();
    if is_p {
        let ln_p = est.ln_p.clamp(lower.ln_p, upper.ln_p.max(lower.ln_p));
        LnProb::from_side(ln_p, true)
    } else {
        let ln_q = est.ln_complement.clamp(
            upper.ln_complement,
            lower.ln_complement.max(upper.ln_complement),
        );
        LnProb::from_side(ln_q, false)
    }
}

/// The bracket and midpoint estimate of `event` on the lattice of step h, or `None` when
/// the lattice would pass `cap` points.
fn at_step(law: &FactorLaw, depth: u32, event: Event, h: f64, cap: usize) -> Option<AtStep> {
    let k = f64::from(depth);
    // The lattice stops where one factor alone decides the event: Z ≥ a means S > a
    // (vanish certain), Z ≥ b means S ≥ b (explode impossible). Mass beyond is lumped there.
    let decisive = (event.threshold() / h).ceil() + 1.0;
    if !decisive.is_finite() {
        return None;
    }
    // Past `cap` points the lattice stops; what it could not place widens the bracket.
    let limit = (cap as f64).min(decisive) as usize;
    let (masses, dropped) = law.floor_lattice(h, limit, limit as f64 >= decisive);
    // In index units: T > x_lo (lower bound of vanish) etc.
    let x = event.threshold() / h;
    let slack = 1e-9 * (1.0 + x.abs());
    // A threshold beyond every sum the lattice holds, or below the smallest (a law whose
    // ln f' stays below the cap, e.g. x bounded away from 0): decided without a transform.
    let reach = k * (masses.len() - 1) as f64;
    let least = k * masses.iter().position(|&m| m > 0.0).unwrap_or(0) as f64;
    let below_all = x < least - slack;
    if below_all || (dropped == 0.0 && x - k > reach + 1.0) {
        // Above every sum: vanish impossible, explode certain; below every sum (T ≥ least >
        // x): vanish certain, explode impossible.
        let p_is_one = matches!(event, Event::Below(_)) != below_all;
        let certain = LnProb::certain(p_is_one);
        return Some(AtStep {
            lower: certain,
            upper: certain,
            estimate: certain,
            points: 0,
            sd: 0.0,
        });
    }
    let sum = TiltedSum::new(masses, depth, x - 0.5 * k, cap);
    let sum = sum?;
    let (lower, upper, estimate) = match event {
        Event::Above(_) => {
            // P(T > x) ≤ p ≤ P(T > x − K); estimate P(T + U > x − K/2 + 1/2).
            let lo = sum.at_least((x + slack).floor() as i64 + 1);
            let hi = sum.at_least((x - k - slack).floor() as i64 + 1);
            (lo.0, hi.1, sum.spread_above(x - 0.5 * k + 0.5))
        }
        Event::Below(_) => {
            // P(T ≤ x − K) ≤ p ≤ P(T < x), each as 1 − P(T ≥ m).
            let lo = sum.at_least((x - k - slack).floor() as i64 + 1);
            let hi = sum.at_least((x + slack).ceil() as i64);
            let flip = |l: LnProb| LnProb {
                ln_p: l.ln_complement,
                ln_complement: l.ln_p,
            };
            let est = flip(sum.spread_above(x - 0.5 * k + 0.5));
            (flip(lo.1), flip(hi.0), est)
        }
    };
    // Mass the lattice could not hold (below the range of f64, or cut by the cap) moves
    // factors towards the cap: it can only make S smaller than the truth. Widen the side
    // it affects by K times it (absolute).
    let widen = k * dropped;
    let (lower, upper) = if widen > 0.0 {
        match event {
            Event::Above(_) => (lower, add(upper, widen)),
            Event::Below(_) => (add(lower, -widen), upper),
        }
    } else {
        (lower, upper)
    };
    Some(AtStep {
        lower,
        upper,
        estimate,
        points: sum.points(),
        sd: sum.sd * h,
    })
}

/// p + δ (absolute), kept in [0, 1].
fn add(p: LnProb, delta: f64) -> LnProb {
    let value = (p.p() + delta).clamp(0.0, 1.0);
    let complement = (p.complement() - delta).clamp(0.0, 1.0);
    LnProb {
        ln_p: value.ln(),
        ln_complement: complement.ln(),
    }
}
