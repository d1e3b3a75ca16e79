//! The files and the terminal table of the training-dynamics study ([`crate::dynamics::study`]):
//! markov.json ([`report_json`]), survival.csv, risks.csv, viterbi.csv and ppc.csv
//! ([`files`]), and the table `markov` and `train --fit` print ([`table`]).

mod files;
mod table;

pub use files::{
    add_files, ppc_columns, ppc_csv, risks_csv, survival_columns, survival_csv, viterbi_csv,
};
pub use table::report_table;

use serde_json::{Value, json};

use crate::dynamics::oneway::OneWayTest;
use crate::dynamics::study::{Analysis, CAUSES, Rule};
use crate::output::format::json_number;
use crate::output::schema::Versioned;

/// markov.json: the chain, its tests, the verdict, the competing risks and the latent
/// models, with the schema version.
pub fn report_json(a: &Analysis, rule: &Rule, names: &[String]) -> Versioned<Value> {
    let (fit, diverged) = (&a.fit, a.diverged);
    let test = |t: crate::dynamics::markov::LrTest| {
        let mut v = json!({
            "statistic": json_number(t.statistic), "df": t.df, "p_value": json_number(t.p_value),
            "min_expected_count": json_number(t.min_expected), "chi2_approximation_reliable": t.chi2_reliable(),
        });
        if let Some(why) = test_undefined(&t) {
            v["statistic"] = Value::Null;
            v["p_value"] = Value::Null;
            v["min_expected_count"] = Value::Null;
            v["chi2_approximation_reliable"] = Value::Null;
            v["na"] = json!(why);
        }
        v
    };
    // A row of the chain never left has no transition probabilities: null, with the reason.
    let rows_na: Vec<Option<String>> = (0..fit.k).map(|i| row_undefined(fit, i, names)).collect();
    let p_rows: Vec<Value> = fit
        .p
        .iter()
        .zip(&rows_na)
        .map(|(r, na)| {
            r.iter()
                .map(|&v| {
                    if na.is_some() {
                        Value::Null
                    } else {
                        json_number(v)
                    }
                })
                .collect()
        })
        .collect();
    // Its intervals likewise: [0, 1] would read as an estimate from no data.
    let cp_rows: Vec<Value> = fit
        .intervals
        .iter()
        .zip(&rows_na)
        .map(|(r, na)| {
            r.iter()
                .map(|&(lo, hi)| match na {
                    Some(_) => Value::Null,
                    None => json!([json_number(lo), json_number(hi)]),
                })
                .collect()
        })
        .collect();
    let mut hist = hdrhistogram::Histogram::<u64>::new(3).expect("valid sigfig");
    hist.auto(true);
    for t in fit.first_vanish_times() {
        hist.record(t).expect("auto-resizing");
    }
    Versioned::new(json!({
        "rule": rule.describe(),
        "states": names,
        "runs": fit.runs,
        "diverged_runs": diverged,
        "transitions": fit.transitions(),
        "counts": fit.counts,
        "p": p_rows,
        "p_na": rows_na,
        "p_clopper_pearson_95": cp_rows,
        "stationary": fit.stationary().map_or(Value::Null, |p| json!(p)),
        "order_test": test(fit.order_test()),
        "order_heldout": a.orders.as_ref().map_or(Value::Null, |c| json!({
            "first_order": json_number(c.first),
            "second_order": json_number(c.second),
            "margin_second_minus_first": json_number(c.margin.0),
            "margin_se_paired_by_run": json_number(c.margin.1),
            "bic_first": json_number(c.bic.0),
            "bic_second": json_number(c.bic.1),
            "transitions_scored": c.transitions,
            "method": "5 folds by run; add-½ estimates; both score transitions from each run's third state on",
        })),
        "homogeneity_test": test(fit.homogeneity_test()),
        "escape": fit.escape().filter(|_| rule.is_two_state()).map_or(Value::Null, |e| json!({
            "escapes": e.escapes, "trials": e.trials, "p": json_number(e.p), "upper_95": json_number(e.upper_95),
        })),
        "records_to_absorption": fit.time_to_absorption().filter(|_| rule.is_two_state()).map_or(Value::Null, |(m, (lo, hi))| json!({
            "mean": json_number(m), "ci95": [json_number(lo), json_number(hi)],
        })),
        "first_vanish": if rule.is_two_state() { json!({
            "vanished_runs": fit.first_vanish_times().count(),
            "never_vanished_runs": fit.never_vanished(),
            "started_vanished_runs": fit.started_elsewhere(),
            "geometric_fit": fit.geometric_fit().map_or(Value::Null, test),
            "hdr_v2_deflate_base64": crate::output::files::hdr_base64(&hist),
        }) } else { Value::Null },
        "one_way": a.one_way.as_ref().map_or(Value::Null, one_way_json),
        "first_events": if rule.is_two_state() { first_events_json(a) } else { Value::Null },
        "competing_risks": a.risks.as_ref().map_or(Value::Null, risks_json),
        "latent": match &a.latent {
            Some(Ok(l)) => latent_json(l),
            Some(Err(why)) => json!({"model": null, "reason": why}),
            None => Value::Null,
        },
    }))
}

/// Why row `i` of the chain has no transition probabilities: no transition out of state
/// `i` was seen (its estimates would be 0/0). `None` when there is one.
fn row_undefined(
    fit: &crate::dynamics::markov::ChainFit,
    i: usize,
    names: &[String],
) -> Option<String> {
    (fit.counts[i].iter().sum::<u64>() == 0)
        .then(|| format!("no transitions out of {} to estimate from", names[i]))
}

/// Why a likelihood-ratio test has no statistic: no table with two rows and two columns
/// of counts (df = 0), so nothing to test. `None` when there is one.
fn test_undefined(t: &crate::dynamics::markov::LrTest) -> Option<String> {
    (t.df == 0).then(|| {
        "nothing to test (df = 0: no state was left towards two different states in two \
         different contexts)"
            .to_string()
    })
}

/// The latent models: the comparison, the two-state HMM with intervals, the check.
fn latent_json(l: &crate::dynamics::latent::LatentStudy) -> Value {
    // Percentile intervals of a parameter at its boundary (an escape near 0) can exclude
    // the estimate; they are widened to hold it.
    let iv = |p: &crate::dynamics::hmm::ParameterInterval| json!({"estimate": json_number(p.estimate), "ci95": [json_number(p.lower.min(p.estimate)), json_number(p.upper.max(p.estimate))]});
    let b = &l.two_state;
    json!({
        "data": "log10 of the state column per record (a run ends at its first value that is not positive and finite)",
        "comparison": l.scores.iter().map(|s| json!({
            "model": s.model,
            "heldout_log_likelihood": json_number(s.heldout.log_likelihood),
            "heldout_per_record": json_number(s.heldout.per_observation),
            "folds": s.heldout.folds,
            "bic": json_number(s.bic),
        })).collect::<Vec<_>>(),
        "winner": l.winner,
        "runner_up": l.runner_up,
        "margin_heldout_log_likelihood": json_number(l.margin.0),
        "margin_se_paired_by_run": json_number(l.margin.1),
        "two_state_hmm": {
            "states": ["[g≫0] (higher mean)", "[g∼0] (lower mean)"],
            "intervals": "2.5 % and 97.5 % of run-resampled refits, widened to hold the estimate",
            "log_likelihood": json_number(b.fit.log_likelihood),
            "initial": b.initial.iter().map(iv).collect::<Vec<_>>(),
            "transition": b.transition.iter().map(|r| r.iter().map(iv).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "means_log10": b.means.iter().map(iv).collect::<Vec<_>>(),
            "sds_log10": b.sds.iter().map(iv).collect::<Vec<_>>(),
            "replicates": b.replicates,
            "failed_replicates": b.failed,
        },
        "posterior_check_coverage": {
            "hmm": json_number(l.coverage.0),
            "chain": json_number(l.coverage.1),
            "meaning": "share of record times whose observed occupancy of [g∼0] lies in the model's 95 % band of simulated data sets",
        },
    })
}

/// The competing-risk summary: by the last step, each cause's cumulative incidence and the
/// fraction that did none, with run-resampled 95 % intervals, and the median times.
fn risks_json(b: &crate::dynamics::risks::RiskBands) -> Value {
    let last = b.grid.len() - 1;
    let band = |x: f64, bd: &crate::dynamics::risks::Band| json!({"estimate": json_number(x), "ci95": [json_number(bd.lower), json_number(bd.upper)]});
    let e = &b.estimate;
    let t = b.grid[last];
    let mut causes = serde_json::Map::new();
    for (j, name) in CAUSES.iter().enumerate() {
        causes.insert(
            (*name).into(),
            json!({
                "incidence_by_T": band(e.cif(j, t), &b.cif[j][last]),
                "step_incidence_reaches_half": e.median_time(j).map(json_number),
                "median_step_among_runs_with_it": e.conditional_median_time(j).map(json_number),
            }),
        );
    }
    json!({
        "estimator": "Aalen–Johansen; intervals: 2.5 % and 97.5 % of run-resampled replicates",
        "runs": e.runs(),
        "T": json_number(t),
        "replicates": b.replicates,
        "causes": causes,
        "none_by_T": band(e.never_by(t), &b.survival[last]),
    })
}

/// What the runs that start in [g≫0] did first, with the median step of each.
fn first_events_json(a: &Analysis) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(
        "started_vanished".into(),
        json!(
            a.sequences
                .iter()
                .filter(|s| s.states.first() == Some(&1))
                .count()
        ),
    );
    let names = CAUSES
        .iter()
        .map(|&c| (c, Some(c)))
        .chain([("neither_by_end", None)]);
    for (name, cause) in names {
        let mut steps: Vec<f64> = a
            .first_events
            .iter()
            .flatten()
            .filter(|(e, _)| e.cause().map(|j| CAUSES[j]) == cause)
            .map(|&(_, step)| step)
            .collect();
        steps.sort_by(f64::total_cmp);
        let median = steps.get(steps.len() / 2).copied();
        out.insert(
            name.into(),
            json!({"runs": steps.len(), "median_step": median.map(json_number)}),
        );
    }
    Value::Object(out)
}

fn one_way_json(t: &OneWayTest) -> Value {
    let pair = |(lo, hi): (f64, f64)| json!([json_number(lo), json_number(hi)]);
    json!({
        "verdict": t.verdict.as_str(),
        "reason": t.reason,
        "rule": t.rule,
        "tolerance_per_record": json_number(t.tolerance),
        "escapes": t.escapes,
        "trials": t.trials,
        "p10": json_number(t.p),
        "interval95": pair(t.interval),
        "clopper_pearson95": pair(t.exact),
        "run_resampled95": t.resampled.map_or(Value::Null, pair),
        "replicates": t.replicates,
        "runs_crossing_band_down": t.crossings,
        "runs_exposed": t.runs_exposed,
        "min_crossings": crate::dynamics::oneway::MIN_CROSSINGS,
    })
}
