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

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::error::ConfigError;
use crate::methods::law::{FactorLaw, Probability};

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
    fn from_side(ln_side: f64, side_is_p: bool) -> LnProb {
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
    fn certain(p_is_one: bool) -> LnProb {
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
    fn small(&self) -> (f64, bool) {
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
    fn certain(p_is_one: bool) -> TailBracket {
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
        points: sum.values.real.len(),
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

thread_local! {
    /// FFT plans by size, reused by every bracket of a thread.
    static PLANS: RefCell<HashMap<usize, Plans>> = RefCell::new(HashMap::new());
    /// Buffers of the last size used, reused within one [`exact_brackets`] (emptied at its
    /// end, so memory stays flat between calls).
    static BUFFERS: RefCell<HashMap<usize, Vec<Buffers>>> = RefCell::new(HashMap::new());
}

#[derive(Clone)]
struct Plans {
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
}

fn plans(size: usize) -> Plans {
    PLANS.with(|p| {
        p.borrow_mut()
            .entry(size)
            .or_insert_with(|| {
                let mut planner = RealFftPlanner::<f64>::new();
                Plans {
                    forward: planner.plan_fft_forward(size),
                    inverse: planner.plan_fft_inverse(size),
                }
            })
            .clone()
    })
}

/// The memory of one transform: the real signal (input, then output), its spectrum and
/// the transforms' scratch.
#[derive(Default)]
struct Buffers {
    real: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

/// Zeroed buffers for a transform of `size` points, from the thread's pool if it has some.
fn buffers(size: usize, plans: &Plans) -> Buffers {
    // Only one size is pooled at a time: buffers of other sizes are freed first, so the
    // peak stays that of the largest transform.
    let pooled = BUFFERS.with(|b| {
        let mut pool = b.borrow_mut();
        pool.retain(|&s, _| s == size);
        pool.get_mut(&size).and_then(Vec::pop)
    });
    match pooled {
        Some(mut b) => {
            b.real.iter_mut().for_each(|v| *v = 0.0);
            b
        }
        None => {
            let scratch = plans
                .forward
                .get_scratch_len()
                .max(plans.inverse.get_scratch_len());
            Buffers {
                real: plans.forward.make_input_vec(),
                spectrum: plans.forward.make_output_vec(),
                scratch: vec![Complex::new(0.0, 0.0); scratch],
            }
        }
    }
}

/// Empties the thread's pool of buffers, and its cache of plans above 2^20 points (small
/// plans stay: a table's cells reuse them).
fn release_buffers() {
    BUFFERS.with(|b| b.borrow_mut().clear());
    PLANS.with(|p| p.borrow_mut().retain(|&size, _| size <= 1 << 20));
}

/// The law of T = Σ of K iid lattice indices under the exponential tilt e^{τT}, on a
/// window of the circle, with bounds on what the window misses.
struct TiltedSum {
    /// The tilt per lattice index.
    tau: f64,
    /// K·ln Σ p_j e^{τj}: with it and τ, a tilted mass becomes a probability.
    ln_norm: f64,
    /// The window's centre (the tilted mean of T, rounded).
    centre: i64,
    /// Tilted masses of T = u, at u mod N (in `values.real`; the buffers go back to the
    /// pool when the sum is dropped).
    values: Buffers,
    /// A bound on the tilted mass of T outside the window (wrapped onto it).
    outside: f64,
    /// A bound on the rounding error of each value.
    noise: f64,
    /// The tilted sd of T, in lattice units.
    sd: f64,
    /// The largest value T takes.
    max_sum: i64,
}

impl Drop for TiltedSum {
    fn drop(&mut self) {
        let b = std::mem::take(&mut self.values);
        let size = b.real.len();
        if size > 0 {
            BUFFERS.with(|p| p.borrow_mut().entry(size).or_default().push(b));
        }
    }
}

impl TiltedSum {
    /// Tilts the lattice law `p` so that T centres on `target` and convolves it K times,
    /// on the smallest window (≤ `cap`) holding ±48 sd and the target; `None` when none does.
    /// The masses are taken by value and turned into their logs, then into the tilted
    /// masses, in place: one vector of the lattice's length at any time.
    fn new(p: Vec<f64>, depth: u32, target: f64, cap: usize) -> Option<TiltedSum> {
        let k = f64::from(depth);
        let last = p.len() - 1;
        let mut ln_p = p;
        for m in ln_p.iter_mut() {
            *m = if *m > 0.0 { m.ln() } else { f64::NEG_INFINITY };
        }
        // The tilted mean lies strictly inside the support (a tilt cannot reach its ends).
        let first = ln_p
            .iter()
            .position(|l| *l > f64::NEG_INFINITY)
            .unwrap_or(0) as f64;
        let inset = (0.5f64).min(0.5 * (last as f64 - first));
        let tau = solve_tilt(
            &ln_p,
            (target / k).clamp(first + inset, last as f64 - inset),
        );
        let (ln_m, mean, var) = tilt(&ln_p, tau);
        let sd = (k * var).sqrt();
        let centre = (k * mean).round() as i64;
        let reach = (target - k * mean).abs() + 24.0 * sd + 4.0 * k + 64.0;
        let size = ((2.0 * reach) as usize)
            .max(MIN_POINTS)
            .checked_next_power_of_two()?;
        if size > cap {
            return None;
        }
        let plans = plans(size);
        let mut buf = buffers(size, &plans);
        // The tilted masses q_j (in place of the logs), wrapped onto the circle.
        let mut q = ln_p;
        for (j, l) in q.iter_mut().enumerate() {
            *l = if *l > f64::NEG_INFINITY {
                (*l + tau * j as f64 - ln_m).exp()
            } else {
                0.0
            };
        }
        for (j, &m) in q.iter().enumerate() {
            buf.real[j % size] += m;
        }
        let Buffers {
            real,
            spectrum,
            scratch,
        } = &mut buf;
        plans
            .forward
            .process_with_scratch(real, spectrum, scratch)
            .ok()?;
        for z in spectrum.iter_mut() {
            *z = z.powu(depth);
        }
        // A real signal's spectrum is real at 0 and at N/2; the power keeps that, up to
        // rounding, which the inverse refuses.
        spectrum[0].im = 0.0;
        let n_half = spectrum.len() - 1;
        spectrum[n_half].im = 0.0;
        plans
            .inverse
            .process_with_scratch(spectrum, real, scratch)
            .ok()?;
        let scale = 1.0 / size as f64;
        for v in real.iter_mut() {
            *v *= scale;
        }
        let half = (size / 2) as i64;
        let mut sum = TiltedSum {
            tau,
            ln_norm: k * ln_m,
            centre,
            values: buf,
            outside: 0.0,
            noise: 0.0,
            sd,
            max_sum: (k * last as f64) as i64,
        };
        sum.outside = outside_bound(&q, mean, var, k, centre - half, centre + half - 1);
        // The noise floor: the largest |value| where the tilted law is below 1e-30 (beyond
        // 40 sd, by the same Chernoff bound), four times over, and never below ε·K·log N.
        let far = (40.0 * sd) as i64 + 1;
        let mut floor = 0.0f64;
        for u in (centre - half)..(centre - far).min(centre + half) {
            floor = floor.max(sum.raw(u).abs());
        }
        for u in (centre + far).max(centre - half)..(centre + half) {
            floor = floor.max(sum.raw(u).abs());
        }
        let theory = f64::EPSILON * k * (size as f64).log2();
        sum.noise = (4.0 * floor).max(theory * 1e-3);
        Some(sum)
    }

    /// The computed tilted mass at u (raw, with rounding noise).
    fn raw(&self, u: i64) -> f64 {
        self.values.real[u.rem_euclid(self.values.real.len() as i64) as usize]
    }

    fn window(&self) -> (i64, i64) {
        let half = (self.values.real.len() / 2) as i64;
        (self.centre - half, self.centre + half - 1)
    }

    /// Bounds on P(T ≥ m): (lower, upper), each with its complement.
    fn at_least(&self, m: i64) -> (LnProb, LnProb) {
        if m <= 0 {
            return (LnProb::certain(true), LnProb::certain(true));
        }
        if m > self.max_sum {
            return (LnProb::certain(false), LnProb::certain(false));
        }
        let (lo, hi) = self.window();
        if self.tau >= 0.0 {
            // Σ_{u ≥ m} g_u e^{−τ(u − c)}: weights ≤ 1 beyond the centre.
            let from = m.max(lo);
            let (sum, weights, top) = self.weighted(from, hi.min(self.max_sum));
            let beyond = self.outside * (-self.tau * (hi - self.centre) as f64).exp();
            let below_window = if m < lo { self.outside * top } else { 0.0 };
            let low = (sum - self.noise * weights - self.outside * top).max(0.0);
            let high = sum + self.noise * weights + beyond + below_window;
            let ln_c = self.ln_norm - self.tau * self.centre as f64;
            (
                LnProb::from_side(ln_c + low.ln(), true),
                LnProb::from_side(ln_c + high.ln(), true),
            )
        } else {
            // The rare side is T ≤ m − 1: weights e^{−τ(u − c)} ≤ 1 below the centre.
            let to = (m - 1).min(hi);
            let (sum, weights, top) = self.weighted_down(lo.max(0), to);
            let beyond = self.outside * (-self.tau * (lo - self.centre) as f64).exp();
            let low = (sum - self.noise * weights - self.outside * top).max(0.0);
            let high = sum + self.noise * weights + beyond;
            let ln_c = self.ln_norm - self.tau * self.centre as f64;
            // P(T ≥ m) = 1 − P(T ≤ m − 1): its lower bound from the upper one.
            (
                LnProb::from_side(ln_c + high.ln(), false),
                LnProb::from_side(ln_c + low.ln(), false),
            )
        }
    }

    /// Σ_{u=from}^{to} g_u e^{−τ(u − c)} (τ ≥ 0), the sum of the weights, and the largest
    /// weight.
    fn weighted(&self, from: i64, to: i64) -> (f64, f64, f64) {
        let (mut sum, mut weights) = (0.0, 0.0);
        let top = (-self.tau * (from - self.centre) as f64).exp();
        let ratio = (-self.tau).exp();
        let mut w = top;
        for u in from..=to {
            sum += self.raw(u) * w;
            weights += w;
            w *= ratio;
            if w < 1e-300 {
                break;
            }
        }
        (sum, weights, top)
    }

    /// Σ_{u=from}^{to} g_u e^{−τ(u − c)} for τ < 0, summed from `to` downwards.
    fn weighted_down(&self, from: i64, to: i64) -> (f64, f64, f64) {
        let (mut sum, mut weights) = (0.0, 0.0);
        let top = (-self.tau * (to - self.centre) as f64).exp();
        let ratio = self.tau.exp();
        let mut w = top;
        let mut u = to;
        while u >= from {
            sum += self.raw(u) * w;
            weights += w;
            w *= ratio;
            if w < 1e-300 {
                break;
            }
            u -= 1;
        }
        (sum, weights, top)
    }

    /// The estimate of P(T + U > x), U uniform on [0, 1) (each lattice point spread over its
    /// cell), as ln p with its complement.
    fn spread_above(&self, x: f64) -> LnProb {
        let u = x.floor() as i64;
        let frac = (u + 1) as f64 - x; // the part of cell u above x
        let whole = self.at_least(u + 1);
        let cell = self.at_least(u);
        // Midpoints of the bounds of P(T ≥ u+1) and P(T ≥ u), interpolated, on the smaller
        // side of each (the bounds differ only by the noise of the transform).
        let mid = |b: (LnProb, LnProb)| {
            let (lo, hi) = (b.0.small(), b.1.small());
            LnProb::from_side(0.5 * (lo.0 + hi.0), lo.1)
        };
        let (a, b) = (mid(whole), mid(cell));
        let (la, pa) = a.small();
        if pa {
            // P(T ≥ u+1) + frac·P(T = u), both small: interpolate p in the log domain.
            let lb = b.ln_p;
            let ln = log_mix(la, lb, frac);
            LnProb::from_side(ln, true)
        } else {
            let lb = b.ln_complement;
            LnProb::from_side(log_mix(la, lb, frac), false)
        }
    }
}

/// ln((1 − f)·e^a + f·e^b).
fn log_mix(a: f64, b: f64, f: f64) -> f64 {
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((1.0 - f) * (a - m).exp() + f * (b - m).exp()).ln()
}

/// ln Σ p_j e^{τj} and the tilted mean and variance of j.
fn tilt(ln_p: &[f64], tau: f64) -> (f64, f64, f64) {
    let max = ln_p
        .iter()
        .enumerate()
        .map(|(j, l)| l + tau * j as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut z, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for (j, &l) in ln_p.iter().enumerate() {
        if l > f64::NEG_INFINITY {
            let w = (l + tau * j as f64 - max).exp();
            let jf = j as f64;
            z += w;
            s1 += w * jf;
            s2 += w * jf * jf;
        }
    }
    let mean = s1 / z;
    (max + z.ln(), mean, (s2 / z - mean * mean).max(0.0))
}

/// The tilt τ with tilted mean `target` per factor: Newton inside a bisection bracket on
/// a coarsened copy of the law (any τ is valid: the window and its bounds follow the tilt
/// actually used).
fn solve_tilt(ln_p: &[f64], target: f64) -> f64 {
    // Coarsen to at most 4096 cells (the tilted mean moves by less than a coarse cell).
    let group = ln_p.len().div_ceil(4096).max(1);
    let coarse: Vec<f64> = ln_p
        .chunks(group)
        .map(|c| {
            let m = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if m == f64::NEG_INFINITY {
                m
            } else {
                m + c.iter().map(|l| (l - m).exp()).sum::<f64>().ln()
            }
        })
        .collect();
    let g = group as f64;
    let target_c = (target / g).min((coarse.len() - 1) as f64);
    let (mut lo, mut hi, mut tau) = (-700.0f64, 700.0f64, 0.0f64);
    for _ in 0..200 {
        let (_, mean, var) = tilt(&coarse, tau);
        if (mean - target_c).abs() <= 1e-9 * target_c.max(1.0) || hi - lo < 1e-14 {
            break;
        }
        if mean < target_c {
            lo = tau;
        } else {
            hi = tau;
        }
        let newton = tau - (mean - target_c) / var;
        tau = if newton > lo && newton < hi && var > 0.0 {
            newton
        } else {
            0.5 * (lo + hi)
        };
    }
    tau / g
}

/// ln Σ q_j e^{λj}, by running products (one multiplication per term, rescaled before
/// they leave the range of f64).
fn ln_mgf(q: &[f64], lambda: f64) -> f64 {
    let ratio = lambda.exp();
    let (mut w, mut ln_scale, mut sum) = (1.0f64, 0.0f64, 0.0f64);
    for &m in q {
        sum += m * w;
        w *= ratio;
        if w > 1e200 {
            // Rising weights: move w into the scale (sum shrinks with it).
            ln_scale += w.ln();
            sum /= w;
            w = 1.0;
        } else if ratio < 1.0 && w < 1e-20 * sum {
            // Falling weights: what is left is at most w·Σ q ≤ w; add it and stop.
            sum += w;
            break;
        }
    }
    ln_scale + sum.ln()
}

/// A Chernoff bound on the tilted mass of T = Σ K lattice indices outside [lo, hi]:
/// P(T > hi) ≤ exp(K·ln E[e^{λJ}] − λ·hi) for λ > 0 (and the mirror for T < lo), at a few
/// λ up to twice the normal approximation's optimum; `q` are the tilted masses of one index.
fn outside_bound(q: &[f64], mean: f64, var: f64, k: f64, lo: i64, hi: i64) -> f64 {
    let var = var.max(1e-300);
    let mut bound = 0.0;
    for (edge, sign) in [(hi as f64, 1.0), (lo as f64, -1.0)] {
        let dist = sign * (edge - k * mean);
        if dist <= 0.0 {
            return 1.0; // the window does not even hold the mean
        }
        let base = dist / (k * var);
        // A geometric grid of λ (the bound is convex in λ; a lumpy law, e.g. a far atom,
        // wants a λ well below the normal optimum).
        let best = (-10..=1)
            .map(|i| {
                let l = sign * base * 2f64.powi(i);
                k * ln_mgf(q, l) - l * edge
            })
            .fold(f64::INFINITY, f64::min);
        bound += best.exp();
    }
    bound.min(1.0)
}
