//! The numbers a `sim` run reports, built from an experiment and its summary, with theory
//! beside the estimates where it exists. Pure: no I/O, no timing.

use std::f64::consts::LN_10;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::mc::estimate::ProbabilityEstimate;
use crate::mc::summary::Summary;
use crate::methods::law::Probability;
use crate::methods::{Method, MethodEstimate, mc_off_by};
use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;
use crate::model::experiment::Experiment;
use crate::model::source::Source;
use crate::output::files::csv_text;
use crate::output::format::{exact, json_number};
use crate::output::schema::{HasSchema, SCHEMA, number, number_pair, optional_number};
use crate::theory::iid;

/// The quantiles of log10 g every run reports.
pub const QUANTILES: [f64; 9] = [0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999];

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
        let dist = exp.source.iid_dist()?;
        let act = &exp.activation;
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

/// summary.json of `sim` (and, without the schema and the histograms, the summary of a
/// table's cell): what the figures read, typed; the rest as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimSummary {
    /// The schema version ([`SCHEMA`]) in summary.json; absent in a table's cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<u32>,
    /// The resolved configuration.
    pub config: SimConfig,
    /// N.
    pub samples: u64,
    /// The three probabilities.
    pub probabilities: Probabilities,
    /// The samples that are not in the histogram.
    pub non_finite: NonFinite,
    /// Everything else (methods, thresholds, log10 g, factors, theory, network, histogram).
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl HasSchema for SimSummary {
    fn schema(&self) -> u32 {
        self.schema.unwrap_or(0)
    }
}

/// The configuration in summary.json (that of [`Experiment::to_json`]): the fields the
/// histogram figure reads, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// The activation as written (`tanh(2·x)`).
    pub activation_label: String,
    /// `iid` or `network`.
    pub source: String,
    /// The distribution of x (of the input, for a network).
    pub dist: String,
    /// K.
    pub depth: u32,
    /// The vanish threshold on g.
    pub vanish_below: f64,
    /// The explode threshold on g.
    pub explode_above: f64,
    /// The network, for a network source.
    pub network: Option<NetworkConfig>,
    /// The other fields.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// The network of a `sim` configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// The quantity simulated (`path`, `layer`, `jacobian`).
    pub quantity: String,
    /// The width, or the widths when they differ.
    pub width: Value,
    /// σ_w.
    pub sigma_w: f64,
    /// σ_b.
    pub sigma_b: f64,
    /// The other fields.
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// P(vanish), P(explode), P(in between).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probabilities {
    /// P(g < vanish threshold).
    pub vanish: Estimate,
    /// P(g > explode threshold).
    pub explode: Estimate,
    /// P(in between).
    pub between: Estimate,
}

/// One probability of summary.json with its intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Events.
    pub count: u64,
    /// count / N.
    #[serde(with = "number")]
    pub p: f64,
    /// Its standard error.
    #[serde(with = "number")]
    pub se: f64,
    /// The 95 % Wilson interval.
    #[serde(with = "number_pair")]
    pub wilson95: (f64, f64),
    /// The 95 % Clopper–Pearson interval.
    #[serde(with = "number_pair")]
    pub clopper_pearson95: (f64, f64),
    /// The one-sided 95 % upper bound when nothing was seen.
    #[serde(with = "optional_number")]
    pub upper_bound95: Option<f64>,
}

impl From<&ProbabilityEstimate> for Estimate {
    fn from(e: &ProbabilityEstimate) -> Self {
        Estimate {
            count: e.count,
            p: e.p,
            se: e.se,
            wilson95: e.wilson,
            clopper_pearson95: e.clopper_pearson,
            upper_bound95: e.upper_bound_95,
        }
    }
}

/// The samples outside the histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonFinite {
    /// g = 0.
    pub zero_g: u64,
    /// g not a number.
    pub nan: u64,
    /// Below the histogram's range.
    pub unbinned_below: u64,
    /// Above the histogram's range.
    pub unbinned_above: u64,
}

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
    pub fn with_methods(mut self, methods: &[Method]) -> Self {
        self.methods = methods
            .iter()
            .filter(|&&m| m != Method::Mc)
            .map(|&m| crate::methods::estimate(m, &self.experiment))
            .collect();
        if methods.contains(&Method::Exact) {
            let dist = self.experiment.source.iid_dist().expect("checked: iid");
            let law = crate::methods::law::FactorLaw::new(&self.experiment.activation, dist)
                .expect("checked: a·tanh");
            let bins: Vec<(f64, f64)> = self.summary.buckets().iter().map(|b| (b.0, b.1)).collect();
            self.exact_buckets = Some(crate::methods::law::exact_bin_masses(
                &law,
                self.experiment.depth,
                &bins,
            ));
            let (mut lo, mut hi) = (
                bins.first().map_or(f64::INFINITY, |b| b.0),
                bins.last().map_or(f64::NEG_INFINITY, |b| b.1),
            );
            if let Some(t) = &self.theory {
                let k = f64::from(self.experiment.depth);
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
                    crate::methods::law::exact_bin_masses(&law, self.experiment.depth, &grid);
                self.exact_grid = Some(
                    grid.iter()
                        .zip(masses)
                        .map(|(&(a, b), m)| (a, b, m))
                        .collect(),
                );
            }
        }
        self
    }

    /// How far MC is from a method, in standard errors: (vanish, explode).
    pub fn mc_off_by(&self, m: &MethodEstimate) -> (f64, f64) {
        let n = self.summary.samples;
        (
            mc_off_by(self.summary.vanish, n, &m.vanish),
            mc_off_by(self.summary.explode, n, &m.explode),
        )
    }

    /// Whether E|X| is finite: without it (Student's t with ν ≤ 1) E[ln f'(X)] does not
    /// exist for a·tanh and the per-factor sample mean estimates nothing.
    pub fn x_has_finite_mean(&self) -> bool {
        // For a network, a heavy-tailed input carries into the layers' x as well.
        self.experiment.source.dist().mean().is_some()
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

    /// summary.json as JSON (deterministic: no timing, no thread count), with its schema
    /// version.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.summary()).expect("summaries serialise")
    }

    /// summary.json: the summary with its schema version and the encoded histograms.
    pub fn summary(&self) -> SimSummary {
        SimSummary {
            schema: Some(SCHEMA),
            ..self.summary_with(true)
        }
    }

    /// The summary without a schema version (a table's cell), with the encoded histograms
    /// or without them (tables keep their cells lean: the CSV has the quantiles).
    pub fn to_json_with(&self, histogram: bool) -> Value {
        serde_json::to_value(self.summary_with(histogram)).expect("summaries serialise")
    }

    /// [`SimResults::to_json_with`], typed.
    pub fn summary_with(&self, histogram: bool) -> SimSummary {
        let s = &self.summary;
        let m = &s.log10_g;
        let quantiles: Vec<Value> = QUANTILES
            .iter()
            .zip(&self.quantiles)
            .map(|(&q, v)| json!({"q": q, "log10_g": json_number(v.0)}))
            .collect();
        let (above, below) = self.factor_fractions();
        let f = &s.factors;
        let k = f64::from(self.experiment.depth);
        let theory = self.theory.map_or(Value::Null, |t| {
            json!({
                "method": t.method,
                "quadrature_error": json_number(t.quadrature_error),
                "mean_ln_derivative": json_number(t.mean_ln_derivative),
                "var_ln_derivative": json_number(t.var_ln_derivative),
                "skewness_ln_derivative": t.skewness_ln_derivative.map_or(Value::Null, json_number),
                "fraction_above_one": t.p_above_one.map_or(Value::Null, json_number),
                "fraction_below_inverse_max": t.p_below_inverse_max.map_or(Value::Null, json_number),
                "mean_log10_g": json_number(k * t.mean_ln_derivative / LN_10),
                "sd_log10_g": json_number((k * t.var_ln_derivative).sqrt() / LN_10),
            })
        });
        let method_json = |p: &Probability, z: f64, method: Method| {
            let mut v = json!({
                "p": json_number(p.p),
                "complement": json_number(p.complement),
                "error": json_number(p.error),
                "mc_off_by_se": json_number(z),
            });
            if method == Method::Is && p.p.is_finite() {
                // Importance sampling: `error` is the standard error of the weighted mean,
                // and the interval is the normal one for it, clamped to [0, 1].
                v["ci95"] = json!([
                    json_number((p.p - 1.96 * p.error).max(0.0)),
                    json_number((p.p + 1.96 * p.error).min(1.0)),
                ]);
            }
            v
        };
        let methods: serde_json::Map<String, Value> = self
            .methods
            .iter()
            .map(|m| {
                let (zv, ze) = self.mc_off_by(m);
                (
                    m.method.to_string(),
                    json!({
                        "vanish": method_json(&m.vanish, zv, m.method),
                        "explode": method_json(&m.explode, ze, m.method),
                    }),
                )
            })
            .collect();
        let mut methods = methods;
        if let (Some((_, unplaced)), Some(Value::Object(exact))) =
            (&self.exact_buckets, methods.get_mut("exact"))
        {
            exact.insert("histogram_unplaced_mass".into(), json_number(*unplaced));
        }
        let rest = json!({
            "methods": methods,
            "thresholds": self.thresholds_json(),
            "log10_g": {
                "count": m.count(),
                "mean": json_number(m.mean()),
                "sd": json_number(m.variance().sqrt()),
                "se_mean": json_number(m.std_error()),
                "min": s.log10_g_range.map_or(Value::Null, |r| json_number(r.0)),
                "max": s.log10_g_range.map_or(Value::Null, |r| json_number(r.1)),
                "cap": json_number(s.log10_cap()),
                "quantiles": quantiles,
            },
            "factors": {
                "count": f.total(),
                "zero_derivative": f.zero,
                "infinite_x": f.infinite_x,
                "x_has_finite_mean": self.x_has_finite_mean(),
                "mean_ln_derivative": json_number(f.ln_derivative.mean()),
                "var_ln_derivative": json_number(f.ln_derivative.variance()),
                "se_mean_ln_derivative": json_number(f.ln_derivative.std_error()),
                "fraction_above_one": json_number(above),
                "fraction_below_inverse_max": json_number(below),
            },
            "theory": theory,
            "network": self.network_json(),
            "histogram": {
                "encoding": "HDR V2-deflate, base64; v = round(1000*(log10 g - anchor)); upper records v when v >= 0, lower records -v when v < 0",
                "anchor_log10_g": json_number(s.anchor),
                "quantile_resolution_decades": json_number(self.quantile_resolution()),
                "upper_hdr_v2_deflate_base64": if histogram { json!(crate::output::files::hdr_base64(&s.upper)) } else { Value::Null },
                "lower_hdr_v2_deflate_base64": if histogram { json!(crate::output::files::hdr_base64(&s.lower)) } else { Value::Null },
            },
        });
        let Value::Object(rest) = rest else {
            unreachable!("an object")
        };
        SimSummary {
            schema: None,
            config: serde_json::from_value(self.experiment.to_json())
                .expect("the experiment's configuration reads as SimConfig"),
            samples: s.samples,
            probabilities: Probabilities {
                vanish: (&self.vanish).into(),
                explode: (&self.explode).into(),
                between: (&self.between).into(),
            },
            non_finite: NonFinite {
                zero_g: s.zero,
                nan: s.not_a_number,
                unbinned_below: s.unbinned_below,
                unbinned_above: s.unbinned_above,
            },
            rest,
        }
    }

    /// For a network source: the simulated mean of g beside the mean-field predictions
    /// (E‖Ju‖²/‖u‖² = (W_K/d)·∏χ(q^l), and Σ E[ln φ'] for the path and layer means).
    fn network_json(&self) -> Value {
        let Source::Network { network, quantity } = &self.experiment.source else {
            return Value::Null;
        };
        let lin = &self.summary.linear;
        let prediction = network
            .prediction(&self.experiment.activation)
            .map_or(Value::Null, |p| {
                json!({
                    "q": p.q.iter().map(|&v| json_number(v)).collect::<Vec<_>>(),
                    "chi": p.chi.iter().map(|&v| json_number(v)).collect::<Vec<_>>(),
                    "log10_mean_jacobian_gain": json_number(p.ln_mean_gain / LN_10),
                    "mean_log10_path": json_number(p.mean_ln_path / LN_10),
                })
            });
        json!({
            "quantity": quantity.name(),
            "log10_mean_g": json_number(lin.ln_mean() / LN_10),
            "mean_g_relative_se": json_number(lin.relative_se()),
            "meanfield": prediction,
        })
    }

    fn thresholds_json(&self) -> Value {
        match self.experiment.activation {
            Activation::ScaledTanh { a, n } => json!({
                "t1": json_number(iid::vanish_threshold(a, n)),
                "e": json_number(iid::explode_threshold(a, n)),
                "depth_threshold": json_number(iid::depth_threshold(a, n, self.experiment.depth)),
            }),
            _ => Value::Null,
        }
    }

    /// One CSV row: (header, values), one column per statistic.
    pub fn csv_row(&self) -> (Vec<String>, Vec<String>) {
        let s = &self.summary;
        let e = &self.experiment;
        let (a, n) = e.activation.tanh_params().unwrap_or((f64::NAN, f64::NAN));
        let dist = e.source.dist();
        let mut cols: Vec<(String, String)> = vec![
            ("activation".into(), e.activation.to_string()),
            ("a".into(), exact(a)),
            ("n".into(), exact(n)),
            ("dist".into(), dist.to_string()),
            ("depth".into(), e.depth.to_string()),
            ("samples".into(), s.samples.to_string()),
            ("seed".into(), e.seed.to_string()),
            ("vanish_below".into(), exact(e.vanish_below)),
            ("explode_above".into(), exact(e.explode_above)),
        ];
        for (name, est) in [
            (columns::VANISH, &self.vanish),
            (columns::EXPLODE, &self.explode),
            (columns::BETWEEN, &self.between),
        ] {
            cols.push((columns::count(name), est.count.to_string()));
            cols.push((columns::p(name), exact(est.p)));
            cols.push((format!("p_{name}_wilson_lo"), exact(est.wilson.0)));
            cols.push((format!("p_{name}_wilson_hi"), exact(est.wilson.1)));
            cols.push((columns::cp_lo(name), exact(est.clopper_pearson.0)));
            cols.push((columns::cp_hi(name), exact(est.clopper_pearson.1)));
        }
        for m in &self.methods {
            let (zv, ze) = self.mc_off_by(m);
            for (event, p, z) in [
                (columns::VANISH, &m.vanish, zv),
                (columns::EXPLODE, &m.explode, ze),
            ] {
                let name = columns::method(event, m.method);
                cols.push((name.clone(), exact(p.p)));
                cols.push((format!("{name}_complement"), exact(p.complement)));
                cols.push((format!("{name}_error"), exact(p.error)));
                cols.push((format!("{name}_mc_off_by_se"), exact(z)));
            }
        }
        cols.push(("mean_log10_g".into(), exact(s.log10_g.mean())));
        cols.push(("sd_log10_g".into(), exact(s.log10_g.variance().sqrt())));
        for (q, v) in QUANTILES.iter().zip(&self.quantiles) {
            cols.push((format!("q{}_log10_g", q * 100.0), exact(v.0)));
        }
        let (above, below) = self.factor_fractions();
        cols.push((
            "mean_ln_derivative".into(),
            exact(s.factors.ln_derivative.mean()),
        ));
        cols.push((
            "var_ln_derivative".into(),
            exact(s.factors.ln_derivative.variance()),
        ));
        cols.push(("fraction_above_one".into(), exact(above)));
        cols.push(("fraction_below_inverse_max".into(), exact(below)));
        cols.push(("zero_g".into(), s.zero.to_string()));
        cols.push(("nan".into(), s.not_a_number.to_string()));
        if let Source::Network { network, quantity } = &e.source {
            let widths: Vec<String> = network.widths.iter().map(|w| w.to_string()).collect();
            let width = if network.widths.iter().all(|&w| w == network.widths[0]) {
                widths[0].clone()
            } else {
                widths.join(" ")
            };
            let p = network.prediction(&e.activation);
            cols.extend([
                ("source".into(), "network".into()),
                ("quantity".into(), quantity.name().into()),
                ("input_dim".into(), network.input_dim.to_string()),
                ("width".into(), width),
                ("sigma_w".into(), exact(network.sigma_w)),
                ("sigma_b".into(), exact(network.sigma_b)),
                ("init".into(), network.init.to_string()),
                ("log10_mean_g".into(), exact(s.linear.ln_mean() / LN_10)),
                ("mean_g_relative_se".into(), exact(s.linear.relative_se())),
                (
                    "meanfield_log10_mean_jacobian_gain".into(),
                    exact(p.as_ref().map_or(f64::NAN, |p| p.ln_mean_gain / LN_10)),
                ),
                (
                    "meanfield_mean_log10_path".into(),
                    exact(p.as_ref().map_or(f64::NAN, |p| p.mean_ln_path / LN_10)),
                ),
            ]);
        }
        cols.into_iter().unzip()
    }
}

/// The columns of summary.csv and of table.csv ([`SimResults::csv_row`]) that figures read
/// (table.csv puts the grid's parameters first).
pub mod columns {
    use crate::methods::Method;

    /// The event g < vanish threshold.
    pub const VANISH: &str = "vanish";
    /// The event g > explode threshold.
    pub const EXPLODE: &str = "explode";
    /// The event in between.
    pub const BETWEEN: &str = "between";

    /// The count of `event` (`vanish_count`).
    pub fn count(event: &str) -> String {
        format!("{event}_count")
    }

    /// The Monte Carlo probability of `event` (`p_vanish`).
    pub fn p(event: &str) -> String {
        format!("p_{event}")
    }

    /// The lower end of its 95 % Clopper–Pearson interval (`p_vanish_cp_lo`).
    pub fn cp_lo(event: &str) -> String {
        format!("p_{event}_cp_lo")
    }

    /// The upper end (`p_vanish_cp_hi`).
    pub fn cp_hi(event: &str) -> String {
        format!("p_{event}_cp_hi")
    }

    /// The probability of `event` by `method` (`p_vanish_exact`).
    pub fn method(event: &str, method: Method) -> String {
        format!("p_{event}_{method}")
    }
}

/// The columns of histogram.csv ([`histogram_csv`]).
pub mod histogram_columns {
    /// The bucket's lower edge in log10 g.
    pub const LOG10_G_LO: &str = "log10_g_lo";
    /// Its upper edge.
    pub const LOG10_G_HI: &str = "log10_g_hi";
    /// Samples in it.
    pub const COUNT: &str = "count";
    /// Their fraction of N.
    pub const FRACTION: &str = "fraction";
    /// The fraction per unit of log10 g.
    pub const DENSITY: &str = "density";
    /// With `--method exact`: the exact probability of the bucket.
    pub const EXACT_FRACTION: &str = "exact_fraction";
    /// With `--method exact`: per unit of log10 g.
    pub const EXACT_DENSITY: &str = "exact_density";
    /// Every run's columns.
    pub const HEADER: [&str; 5] = [LOG10_G_LO, LOG10_G_HI, COUNT, FRACTION, DENSITY];
    /// The columns `--method exact` adds.
    pub const EXACT: [&str; 2] = [EXACT_FRACTION, EXACT_DENSITY];
}

/// The columns of exact_density.csv ([`exact_density_csv`]).
pub mod exact_density_columns {
    pub use super::histogram_columns::{EXACT_DENSITY, EXACT_FRACTION, LOG10_G_HI, LOG10_G_LO};
    /// Every column.
    pub const HEADER: [&str; 4] = [LOG10_G_LO, LOG10_G_HI, EXACT_FRACTION, EXACT_DENSITY];
}

/// histogram.csv: the HDR buckets as bins of log10 g, in increasing order; with `--method
/// exact`, the exact probability and density of each bin beside the simulated ones.
pub fn histogram_csv(r: &SimResults) -> String {
    let n = r.summary.samples as f64;
    let mut header: Vec<String> = histogram_columns::HEADER.map(String::from).to_vec();
    if r.exact_buckets.is_some() {
        header.extend(histogram_columns::EXACT.map(String::from));
    }
    let rows: Vec<Vec<String>> = r
        .summary
        .buckets()
        .into_iter()
        .enumerate()
        .map(|(i, (lo, hi, c))| {
            let frac = c as f64 / n;
            let mut row = vec![
                exact(lo),
                exact(hi),
                c.to_string(),
                exact(frac),
                exact(frac / (hi - lo)),
            ];
            if let Some((masses, _)) = &r.exact_buckets {
                row.push(exact(masses[i]));
                row.push(exact(masses[i] / (hi - lo)));
            }
            row
        })
        .collect();
    csv_text(&header, &rows)
}

/// exact_density.csv: the exact law of log10 g on equal bins (with `--method exact`).
pub fn exact_density_csv(grid: &[(f64, f64, f64)]) -> String {
    let header = exact_density_columns::HEADER.map(String::from);
    let rows: Vec<Vec<String>> = grid
        .iter()
        .map(|&(lo, hi, m)| vec![exact(lo), exact(hi), exact(m), exact(m / (hi - lo))])
        .collect();
    csv_text(&header, &rows)
}
