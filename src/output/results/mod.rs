//! The numbers a `sim` run reports, built from an experiment and its summary, with theory
//! beside the estimates where it exists. Pure: no I/O, no timing.

mod csv_row;
mod histogram;
mod summary;
mod theory;
mod undefined;

pub use csv_row::columns;
pub use histogram::{exact_density_columns, exact_density_csv, histogram_columns, histogram_csv};
pub use summary::{Estimate, NetworkConfig, NonFinite, Probabilities, SimConfig, SimSummary};
pub use theory::FactorTheory;
pub use undefined::{BELOW_F64, RareSide, Side, Tails};

use std::f64::consts::LN_10;

use crate::mc::estimate::ProbabilityEstimate;
use crate::mc::summary::Summary;
use crate::methods::{Method, MethodEstimate, mc_off_by};
use crate::model::experiment::Experiment;

/// The quantiles of log10 g every run reports.
pub const QUANTILES: [f64; 9] = [0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999];

/// Everything `sim` reports, ready for the table, JSON and CSV exporters.
#[derive(Debug, Clone)]
pub struct SimResults {
    /// The run's experiment.
    pub experiment: Experiment,
    /// P(g < vanish threshold).
    pub vanish: ProbabilityEstimate,
    /// P(g > explode threshold).
    pub explode: ProbabilityEstimate,
    /// P(in between).
    pub between: ProbabilityEstimate,
    /// The summary the estimates came from.
    pub summary: Summary,
    /// Per-factor theory, where available.
    pub theory: Option<FactorTheory>,
    /// The non-MC estimates asked for (`--method`).
    pub methods: Vec<MethodEstimate>,
    /// (log10 g, width of its histogram bucket) at each of [`QUANTILES`].
    pub quantiles: Vec<(f64, f64)>,
    /// With `exact`: the exact probability of each histogram bucket (same order as
    /// [`Summary::buckets`]) and the mass the lattice could not place.
    pub exact_buckets: Option<(Vec<f64>, f64)>,
    /// With `exact`: the exact probability of [`EXACT_GRID_BINS`] equal bins of log10 g
    /// over the simulated range widened to the theory's mean ± 8 sd (every bin, also where
    /// no sample fell: the exact density of the figures).
    pub exact_grid: Option<Vec<(f64, f64, f64)>>,
}

/// Bins of [`SimResults::exact_grid`].
pub const EXACT_GRID_BINS: usize = 480;

impl SimResults {
    /// Estimates from a finished summary.
    pub fn new(experiment: Experiment, summary: Summary) -> Self {
        let n = summary.samples;
        SimResults {
            vanish: ProbabilityEstimate::from_counts(summary.vanish, n),
            explode: ProbabilityEstimate::from_counts(summary.explode, n),
            between: ProbabilityEstimate::from_counts(summary.between, n),
            theory: FactorTheory::for_experiment(&experiment),
            methods: Vec::new(),
            quantiles: summary.quantiles(&QUANTILES),
            exact_buckets: None,
            exact_grid: None,
            experiment,
            summary,
        }
    }

    /// Adds the estimates of `methods` (each already checked with [`Method::check`]).
    pub fn with_methods(self, methods: &[Method]) -> Self {
        methods.iter().fold(self, |r, &m| r.with_method(m, &|_| {}))
    }

    /// Adds the estimate of one method (checked with [`Method::check`]; `mc` adds
    /// nothing), telling `on_step` of its progress out of [`SimResults::method_steps`].
    /// Adding the methods one by one gives what [`SimResults::with_methods`] gives.
    pub fn with_method(mut self, method: Method, on_step: &(dyn Fn(u64) + Sync)) -> Self {
        if method == Method::Mc {
            return self;
        }
        let estimate = crate::methods::estimate_observed(method, &self.experiment, on_step);
        self.methods.push(estimate);
        if method == Method::Exact {
            self.add_exact_density(on_step);
        }
        self
    }

    /// The steps [`SimResults::with_method`] reports for `method`: the method's own, and
    /// for `exact` the histogram's and the density grid's bin masses.
    pub fn method_steps(&self, method: Method) -> u64 {
        match method {
            Method::Mc => 0,
            Method::Exact => crate::methods::steps(method, &self.experiment) + 2,
            _ => crate::methods::steps(method, &self.experiment),
        }
    }

    /// The exact probability of each histogram bucket and of the density grid's bins.
    fn add_exact_density(&mut self, on_step: &(dyn Fn(u64) + Sync)) {
        let dist = self.experiment.source().iid_dist().expect("checked: iid");
        let law = crate::methods::law::FactorLaw::new(&self.experiment.activation(), dist)
            .expect("checked: a·tanh");
        // The exact histogram's FFT (16 bytes per point) within --exact-memory, else left out.
        let points = crate::methods::law::fft_points(&law, self.experiment.depth());
        if points.is_none_or(|p| 16.0 * p > self.experiment.accuracy().memory_mb * 1e6) {
            on_step(2);
            return;
        }
        let bins: Vec<(f64, f64)> = self.summary.buckets().iter().map(|b| (b.0, b.1)).collect();
        self.exact_buckets = Some(crate::methods::law::exact_bin_masses(
            &law,
            self.experiment.depth(),
            &bins,
        ));
        on_step(1);
        let (mut lo, mut hi) = (
            bins.first().map_or(f64::INFINITY, |b| b.0),
            bins.last().map_or(f64::NEG_INFINITY, |b| b.1),
        );
        if let Some(t) = &self.theory {
            let k = f64::from(self.experiment.depth());
            let mean = k * t.mean_ln_derivative / LN_10;
            let sd = (k * t.var_ln_derivative).sqrt() / LN_10;
            if mean.is_finite() && sd.is_finite() {
                lo = lo.min(mean - 8.0 * sd);
                hi = hi.max(mean + 8.0 * sd);
            }
        }
        if lo.is_finite() && hi > lo {
            let w = (hi - lo) / EXACT_GRID_BINS as f64;
            let grid: Vec<(f64, f64)> = (0..EXACT_GRID_BINS)
                .map(|i| (lo + i as f64 * w, lo + (i + 1) as f64 * w))
                .collect();
            let (masses, _) =
                crate::methods::law::exact_bin_masses(&law, self.experiment.depth(), &grid);
            self.exact_grid = Some(
                grid.iter()
                    .zip(masses)
                    .map(|(&(a, b), m)| (a, b, m))
                    .collect(),
            );
        }
        on_step(1);
    }

    /// How far MC is from a method, in standard errors: (vanish, explode).
    pub fn mc_off_by(&self, m: &MethodEstimate) -> (f64, f64) {
        let n = self.summary.samples;
        (
            mc_off_by(self.summary.vanish, n, &m.vanish),
            mc_off_by(self.summary.explode, n, &m.explode),
        )
    }

    /// How far method `m`'s probability of an event (`vanish` or explode) is from exact's
    /// bracket, relative: 0 inside it, (p − upper)/upper above, (p − lower)/lower below, on
    /// the smaller side of p and 1 − p (so that both tails of 10^-100 are judged alike).
    /// `None` without an exact estimate in the run, for exact itself, or where `m` has no
    /// number.
    pub fn off_exact(&self, m: &MethodEstimate, vanish: bool) -> Option<f64> {
        if m.method == Method::Exact {
            return None;
        }
        let exact = self.methods.iter().find(|e| e.method == Method::Exact)?;
        let b = if vanish {
            exact.vanish_bracket?
        } else {
            exact.explode_bracket?
        };
        let p = if vanish { &m.vanish } else { &m.explode };
        let tails = self.tails(m, vanish);
        // The smaller side of exact's estimate, and the method's ln of that side.
        let on_p = b.estimate.ln_p <= b.estimate.ln_complement;
        let side = if on_p { &tails.p } else { &tails.complement };
        let ln_m = match side {
            crate::output::results::Side::Value(v) => v.ln(),
            crate::output::results::Side::Log10(l) => l * std::f64::consts::LN_10,
            _ => return None,
        };
        if p.p.is_nan() || ln_m.is_nan() {
            return None;
        }
        let (lo, hi) = if on_p {
            (b.lower.ln_p, b.upper.ln_p)
        } else {
            (b.upper.ln_complement, b.lower.ln_complement)
        };
        let off = if ln_m > hi {
            (ln_m - hi).exp_m1()
        } else if ln_m < lo {
            (ln_m - lo).exp_m1()
        } else {
            0.0
        };
        // Against a bracket [0, 0] (impossible) no relative distance exists.
        off.is_finite().then_some(off)
    }

    /// Whether E|X| is finite: without it (Student's t with ν ≤ 1) E[ln f'(X)] does not
    /// exist for a·tanh and the per-factor sample mean estimates nothing.
    pub fn x_has_finite_mean(&self) -> bool {
        // For a network, a heavy-tailed input carries into the layers' x as well.
        self.experiment.source().dist().mean().is_some()
    }

    /// The widest histogram bucket among those holding the reported quantiles, in decades.
    pub fn quantile_resolution(&self) -> f64 {
        self.quantiles.iter().map(|q| q.1).fold(0.0, f64::max)
    }

    /// Per-factor fractions: (above one, below 1/max f').
    pub fn factor_fractions(&self) -> (f64, f64) {
        let f = &self.summary.factors;
        let total = f.total() as f64;
        (
            f.above_one as f64 / total,
            f.below_inverse_max as f64 / total,
        )
    }
}
