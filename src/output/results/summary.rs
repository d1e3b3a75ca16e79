//! summary.json: its typed form ([`SimSummary`]) and how [`SimResults`] builds it (methods,
//! thresholds, log10 g, factors, theory, network and the encoded histograms).

use std::f64::consts::LN_10;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{QUANTILES, SimResults, Tails};
use crate::mc::estimate::ProbabilityEstimate;
use crate::methods::Method;
use crate::methods::law::Probability;
use crate::model::activation::Activation;
use crate::model::source::Source;
use crate::output::format::json_number;
use crate::output::schema::{HasSchema, SCHEMA, number, number_pair, optional_number};
use crate::theory::iid;

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

/// The configuration in summary.json (that of [`Experiment::to_json`](crate::model::experiment::Experiment::to_json)): the fields the
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

impl SimResults {
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
        let k = f64::from(self.experiment.depth());
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
        let method_json =
            |p: &Probability,
             tails: Tails,
             z: f64,
             method: Method,
             bracket: Option<crate::methods::bracket::TailBracket>| {
                let mut v = json!({
                    "error": json_number(p.error),
                    "mc_off_by_se": json_number(z),
                });
                // No number is null with its reason, never the string "nan".
                if p.error.is_nan() {
                    v["error"] = Value::Null;
                    v["error_na"] = json!(match method {
                        Method::Saddle | Method::Saddle2 | Method::Clt => {
                            "an approximation: it carries no error estimate (see exact's bracket)"
                        }
                        _ => "the method has no estimate here",
                    });
                }
                if z.is_nan() {
                    v["mc_off_by_se"] = Value::Null;
                    v["mc_off_by_se_na"] = json!("the method has no estimate here");
                }
                // A side below the range of f64 is null with a reason (and its log10 where the
                // method has one), never 0.
                for (name, side) in [("p", &tails.p), ("complement", &tails.complement)] {
                    v[name] = side.value().map_or(Value::Null, json_number);
                    if let Some(why) = side.reason() {
                        v[format!("{name}_na")] = json!(why);
                    }
                }
                if let Some(b) = bracket {
                    bracket_json(&mut v, &b);
                }
                if method == Method::Is {
                    // Importance sampling: `error` is the standard error of the weighted mean,
                    // and the interval is the normal one for it, clamped to [0, 1]; the
                    // complement's own interval holds where p's collapses to [1, 1].
                    let normal = |x: f64| {
                        json!([
                            json_number((x - 1.96 * p.error).max(0.0)),
                            json_number((x + 1.96 * p.error).min(1.0)),
                        ])
                    };
                    if tails.below_f64() {
                        // The standard error underflowed with the rare side: only the log10
                        // interval below says how sure the estimate is.
                        let why = "the rare side is below the range of f64; see its log10_…_ci95";
                        v["error"] = Value::Null;
                        v["error_na"] = json!(why);
                        v["ci95"] = Value::Null;
                        v["complement_ci95"] = Value::Null;
                        v["ci95_na"] = json!(why);
                    } else if let Some(r) = tails.rare {
                        // The rare side's skew-corrected interval, and p's from it.
                        let (lo, hi) = r.ci95_factors;
                        let rare = 10f64.powf(r.log10);
                        let side =
                            json!([json_number(rare * lo), json_number((rare * hi).min(1.0))]);
                        let other = json!([
                            json_number((1.0 - rare * hi).max(0.0)),
                            json_number(1.0 - rare * lo)
                        ]);
                        let (ci, complement_ci) = if r.complement {
                            (other, side)
                        } else {
                            (side, other)
                        };
                        v["ci95"] = ci;
                        v["complement_ci95"] = complement_ci;
                    } else if p.p.is_finite() {
                        v["ci95"] = normal(p.p);
                        v["complement_ci95"] = normal(p.complement);
                    }
                    if let Some(r) = tails.rare {
                        v["samples"] = json!(r.samples);
                        if let Some(met) = r.rel_err_met {
                            v["rel_err_met"] = json!(met);
                        }
                    }
                    // The rare side's log10, known even below f64, with its interval.
                    if let Some(r) = tails.rare {
                        let name = if r.complement { "complement" } else { "p" };
                        let (lo, hi) = r.log10_ci95();
                        v[format!("log10_{name}")] = json_number(r.log10);
                        v[format!("log10_{name}_ci95")] = json!([json_number(lo), json_number(hi)]);
                    }
                }
                v
            };
        let methods: serde_json::Map<String, Value> = self
            .methods
            .iter()
            .map(|m| {
                let (zv, ze) = self.mc_off_by(m);
                let mut v = json!({
                    "vanish": method_json(&m.vanish, self.tails(m, true), zv, m.method, m.vanish_bracket),
                    "explode": method_json(&m.explode, self.tails(m, false), ze, m.method, m.explode_bracket),
                });
                // Each approximation's relative distance from exact's bracket (0 inside).
                for (event, vanish) in [("vanish", true), ("explode", false)] {
                    if let Some(off) = self.off_exact(m, vanish) {
                        v[event]["off_exact_bracket"] = json_number(off);
                    }
                }
                (m.method.to_string(), v)
            })
            .collect();
        let mut methods = methods;
        if let (Some((_, unplaced)), Some(Value::Object(exact))) =
            (&self.exact_buckets, methods.get_mut("exact"))
        {
            exact.insert("histogram_unplaced_mass".into(), json_number(*unplaced));
        }
        // Means that are −∞ or undefined: null, with the reason beside.
        let or_null = |x: f64, undefined: bool| {
            if undefined {
                Value::Null
            } else {
                json_number(x)
            }
        };
        let (g_na, f_na) = (self.log10_g_undefined(), self.ln_derivative_undefined());
        let mut rest = json!({
            "methods": methods,
            "thresholds": self.thresholds_json(),
            "log10_g": {
                "count": m.count(),
                "mean": or_null(m.mean(), g_na.is_some()),
                "sd": or_null(m.variance().sqrt(), g_na.is_some()),
                "se_mean": or_null(m.std_error(), g_na.is_some()),
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
                "mean_ln_derivative": or_null(f.ln_derivative.mean(), f_na.is_some()),
                "var_ln_derivative": or_null(f.ln_derivative.variance(), f_na.is_some()),
                "se_mean_ln_derivative": or_null(f.ln_derivative.std_error(), f_na.is_some()),
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
        if let Some(why) = g_na {
            rest["log10_g"]["mean_na"] = json!(why);
        }
        if let Some(why) = f_na {
            rest["factors"]["mean_ln_derivative_na"] = json!(why);
        }
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
        let Source::Network { network, quantity } = &self.experiment.source() else {
            return Value::Null;
        };
        let lin = &self.summary.linear;
        let prediction =
            network
                .prediction(&self.experiment.activation())
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
        match self.experiment.activation() {
            Activation::ScaledTanh { a, n } => json!({
                "t1": json_number(iid::vanish_threshold(a, n)),
                "e": json_number(iid::explode_threshold(a, n)),
                "depth_threshold": json_number(iid::depth_threshold(a, n, self.experiment.depth())),
            }),
            _ => Value::Null,
        }
    }
}

/// exact's bracket in a method's JSON: `lower` ≤ p ≤ `upper` (null with a reason where
/// below the range of f64), their log10 (which hold far below it), the log10 of both
/// sides of the estimate, the relative width and whether it met `--tol`.
fn bracket_json(v: &mut Value, b: &crate::methods::bracket::TailBracket) {
    let log10 = |x: f64| {
        if x.is_finite() {
            json_number(x)
        } else {
            Value::Null
        }
    };
    for (name, side) in [("lower", &b.lower), ("upper", &b.upper)] {
        let p = side.p();
        v[name] = if p > 0.0 || side.ln_p == f64::NEG_INFINITY {
            json_number(p)
        } else {
            v[format!("{name}_na")] =
                json!("below the range of f64; see log10_".to_string() + name);
            Value::Null
        };
        v[format!("log10_{name}")] = log10(side.log10_p());
    }
    // The complement's bracket: 1 − upper ≤ 1 − p ≤ 1 − lower.
    v["complement_lower"] = json_number(b.upper.complement());
    v["complement_upper"] = json_number(b.lower.complement());
    v["log10_complement_lower"] = log10(b.upper.log10_complement());
    v["log10_complement_upper"] = log10(b.lower.log10_complement());
    v["log10_p"] = log10(b.estimate.log10_p());
    v["log10_complement"] = log10(b.estimate.log10_complement());
    if b.estimate.ln_p == f64::NEG_INFINITY || b.estimate.ln_complement == f64::NEG_INFINITY {
        v["log10_na"] = json!("a side is exactly 0: log10 is -infinity");
    }
    let width = b.relative_width();
    if width.is_finite() {
        v["relative_width"] = json_number(width);
    } else {
        v["relative_width"] = Value::Null;
        v["relative_width_na"] = json!(if width.is_nan() {
            "the lattice gave no estimate"
        } else {
            "the estimate is 0 in the log domain while the upper bound is not"
        });
    }
    if !b.step.is_finite() {
        v["lattice_step"] = Value::Null;
        v["lattice_step_na"] = json!("no lattice held the law within --exact-memory");
    }
    v["tol_met"] = json!(b.met);
    if b.step.is_finite() {
        v["lattice_step"] = json_number(b.step);
    }
    v["fft_points"] = json!(b.points);
    v["observed_order"] = b.order.map_or(Value::Null, json_number);
}
