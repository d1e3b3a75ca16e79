//! The files and the terminal table of the training-dynamics study ([`crate::dynamics::study`]):
//! markov.json, survival.csv, risks.csv, viterbi.csv and ppc.csv.

use serde_json::{Value, json};

use crate::dynamics::markov::ChainFit;
use crate::dynamics::oneway::OneWayTest;
use crate::dynamics::study::{Analysis, CAUSES, Rule, RunSeries};
use crate::output::files::csv_text;
use crate::output::format::{exact, json_number, label, short};
use crate::output::schema::Versioned;

/// markov.json: the chain, its tests, the verdict, the competing risks and the latent
/// models, with the schema version.
pub fn report_json(a: &Analysis, rule: &Rule, names: &[String]) -> Versioned<Value> {
    let (fit, diverged) = (&a.fit, a.diverged);
    let test = |t: crate::dynamics::markov::LrTest| {
        json!({
            "statistic": json_number(t.statistic), "df": t.df, "p_value": json_number(t.p_value),
            "min_expected_count": json_number(t.min_expected), "chi2_approximation_reliable": t.chi2_reliable(),
        })
    };
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
        "p": fit.p.iter().map(|r| r.iter().map(|&v| json_number(v)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "p_clopper_pearson_95": fit.intervals.iter().map(|r| r.iter().map(|&(lo, hi)| json!([json_number(lo), json_number(hi)])).collect::<Vec<_>>()).collect::<Vec<_>>(),
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

/// viterbi.csv: the two-state HMM's most likely state per run and record.
pub fn viterbi_csv(runs: &[RunSeries], l: &crate::dynamics::latent::LatentStudy) -> String {
    let header = ["run", "step", "state"].map(String::from);
    let mut rows = Vec::new();
    for (r, path) in l.viterbi.iter().enumerate() {
        for (t, s) in path.iter().enumerate() {
            rows.push(vec![
                runs[r].id.clone(),
                label(runs[r].steps[t]),
                s.to_string(),
            ]);
        }
    }
    csv_text(&header, &rows)
}

/// ppc.csv: observed occupancy of [g∼0] and first passage per record, with the 95 % bands
/// of data simulated from the two-state HMM and from the observed-state chain.
pub fn ppc_csv(l: &crate::dynamics::latent::LatentStudy) -> String {
    let header = ppc_columns::HEADER.map(String::from);
    let rows: Vec<Vec<String>> = l
        .posterior_check
        .iter()
        .map(|p| {
            vec![
                p.t.to_string(),
                exact(p.observed_occupancy),
                exact(p.hmm_occupancy.0),
                exact(p.hmm_occupancy.1),
                exact(p.chain_occupancy.0),
                exact(p.chain_occupancy.1),
                exact(p.observed_first_passage),
                exact(p.hmm_first_passage.0),
                exact(p.hmm_first_passage.1),
                exact(p.chain_first_passage.0),
                exact(p.chain_first_passage.1),
            ]
        })
        .collect();
    csv_text(&header, &rows)
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

/// risks.csv: the cumulative incidence of each cause and the survival at every step.
pub fn risks_csv(b: &crate::dynamics::risks::RiskBands) -> String {
    let rows: Vec<Vec<String>> = b.rows().iter().map(|r| r.csv_record()).collect();
    csv_text(&crate::dynamics::risks::RiskRow::csv_header(&CAUSES), &rows)
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

/// The terminal table of the study of the runs in `file`.
pub fn report_table(a: &Analysis, rule: &Rule, names: &[String], file: &std::path::Path) -> String {
    let (fit, diverged) = (&a.fit, a.diverged);
    let mut t = String::new();
    let mut line = |l: String| {
        t.push_str(&l);
        t.push('\n');
    };
    let kind = if rule.is_two_state() {
        "two-state"
    } else {
        "k-state"
    };
    line(format!(
        "{kind} chain from {}: {} runs ({diverged} cut short by NaN), {} transitions; state by {}",
        file.display(),
        fit.runs,
        fit.transitions(),
        rule.describe()
    ));
    line(String::new());
    let mut head = format!("{:<8}", "from");
    for n in names {
        head.push_str(&format!(" {:>30}", format!("→ {n}")));
    }
    line(head);
    for (i, n) in names.iter().enumerate() {
        let mut row = format!("{n:<8}");
        for j in 0..fit.k {
            let (lo, hi) = fit.intervals[i][j];
            row.push_str(&format!(
                " {:>30}",
                format!(
                    "{} [{}, {}] ({})",
                    short(fit.p[i][j]),
                    short(lo),
                    short(hi),
                    fit.counts[i][j]
                )
            ));
        }
        line(row);
    }
    line(String::new());
    match fit.stationary() {
        Some(pi) => line(format!(
            "stationary distribution: {}",
            names
                .iter()
                .zip(&pi)
                .map(|(n, p)| format!("{n} {}", short(*p)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => line(
            "stationary distribution: none (a state was never left, or it is not unique)".into(),
        ),
    }
    if let Some(e) = fit.escape().filter(|_| rule.is_two_state()) {
        line(format!(
            "escape from [g∼0]: {} of {} transitions out of it; p = {} (95% upper bound {})",
            e.escapes,
            e.trials,
            short(e.p),
            short(e.upper_95)
        ));
    }
    if let Some((m, (lo, hi))) = fit.time_to_absorption().filter(|_| rule.is_two_state()) {
        line(format!(
            "records from [g≫0] to [g∼0]: 1/p01 = {} (95% CI [{}, {}])",
            short(m),
            short(lo),
            short(hi)
        ));
    }
    if rule.is_two_state() {
        let fit_line = fit
            .geometric_fit()
            .map_or("too few events to test".into(), |g| {
                format!(
                    "geometric fit χ² = {}, df {}, p = {}",
                    short(g.statistic),
                    g.df,
                    short(g.p_value)
                )
            });
        line(format!(
            "first vanish (runs starting in [g≫0]): {} runs, never: {}; {} started in [g∼0]; \
             {fit_line}",
            fit.first_vanish_times().count(),
            fit.never_vanished(),
            fit.started_elsewhere()
        ));
    }
    for (what, test) in [
        ("first vs second order", fit.order_test()),
        (
            "homogeneity (before vs after half the longest run)",
            fit.homogeneity_test(),
        ),
    ] {
        let warn = if test.df > 0 && !test.chi2_reliable() {
            format!(
                " (an expected count is {} < {}: the χ² p-value is only indicative)",
                short(test.min_expected),
                crate::dynamics::markov::MIN_EXPECTED
            )
        } else {
            String::new()
        };
        line(format!(
            "{what}: G = {}, df {}, p = {}{warn}",
            short(test.statistic),
            test.df,
            short(test.p_value)
        ));
    }
    if let Some(c) = &a.orders {
        line(format!(
            "first vs second order on held-out runs (5 folds): log-likelihood {} vs {}, \
             second − first = {} ± {}; BIC {} vs {}",
            short(c.first),
            short(c.second),
            short(c.margin.0),
            short(c.margin.1),
            short(c.bic.0),
            short(c.bic.1)
        ));
    }
    if let Some(b) = &a.risks {
        let t = *b.grid.last().expect("a grid");
        let e = &b.estimate;
        let last = b.grid.len() - 1;
        let shown: Vec<String> = CAUSES
            .iter()
            .enumerate()
            .map(|(j, name)| {
                format!(
                    "{name} {} [{}, {}]",
                    short(e.cif(j, t)),
                    short(b.cif[j][last].lower),
                    short(b.cif[j][last].upper)
                )
            })
            .collect();
        line(format!(
            "first event by step {} ({} runs starting in [g≫0], 95% run-resampled): {}; none {} [{}, {}]",
            label(t),
            e.runs(),
            shown.join(", "),
            short(e.never_by(t)),
            short(b.survival[last].lower),
            short(b.survival[last].upper)
        ));
    }
    match &a.latent {
        Some(Ok(l)) => {
            let scores: Vec<String> = l
                .scores
                .iter()
                .map(|s| format!("{} {}", s.model, short(s.heldout.log_likelihood)))
                .collect();
            line(format!(
                "latent models on log10 {} (held-out log-likelihood, 5 folds by run): {}; \
                 best {} by {} ± {} over {}",
                rule.column(),
                scores.join(", "),
                l.winner,
                short(l.margin.0),
                short(l.margin.1),
                l.runner_up
            ));
            let b = &l.two_state;
            let a10 = &b.transition[1][0];
            line(format!(
                "two-state HMM: means {} and {} (log10), latent escape a10 = {} [{}, {}] per \
                 record; observed occupancy inside the 95% band of the HMM at {} of records, of \
                 the chain at {}",
                short(b.means[0].estimate),
                short(b.means[1].estimate),
                short(a10.estimate),
                short(a10.lower.min(a10.estimate)),
                short(a10.upper.max(a10.estimate)),
                short(l.coverage.0),
                short(l.coverage.1)
            ));
        }
        Some(Err(why)) => line(format!("latent models: n/a: {why}")),
        None => {}
    }
    if let Some(w) = &a.one_way {
        line(String::new());
        line(format!(
            "one-way street: {} ({})",
            w.verdict.as_str(),
            w.reason
        ));
        line(format!("  rule: {}", w.rule));
    }
    t
}

/// survival.csv: Kaplan–Meier against the fitted chain's geometric law, per time.
pub fn survival_csv(fit: &ChainFit) -> String {
    let header = survival_columns::HEADER.map(String::from);
    let rows: Vec<Vec<String>> = fit
        .survival()
        .iter()
        .map(|s| {
            vec![
                s.t.to_string(),
                s.at_risk.to_string(),
                s.events.to_string(),
                exact(s.survival),
                exact(s.geometric),
            ]
        })
        .collect();
    csv_text(&header, &rows)
}

/// The columns of ppc.csv ([`ppc_csv`]).
pub mod ppc_columns {
    /// The record's index.
    pub const RECORD: &str = "record";
    /// The observed share of runs in [g∼0].
    pub const OBSERVED_OCCUPANCY: &str = "observed_occupancy";
    /// The HMM's 95 % band of it, lower end.
    pub const HMM_OCCUPANCY_LOWER: &str = "hmm_occupancy_lower";
    /// Upper end.
    pub const HMM_OCCUPANCY_UPPER: &str = "hmm_occupancy_upper";
    /// The observed-state chain's 95 % band, lower end.
    pub const CHAIN_OCCUPANCY_LOWER: &str = "chain_occupancy_lower";
    /// Upper end.
    pub const CHAIN_OCCUPANCY_UPPER: &str = "chain_occupancy_upper";
    /// Every column, in order.
    pub const HEADER: [&str; 11] = [
        RECORD,
        OBSERVED_OCCUPANCY,
        HMM_OCCUPANCY_LOWER,
        HMM_OCCUPANCY_UPPER,
        CHAIN_OCCUPANCY_LOWER,
        CHAIN_OCCUPANCY_UPPER,
        "observed_first_passage",
        "hmm_first_passage_lower",
        "hmm_first_passage_upper",
        "chain_first_passage_lower",
        "chain_first_passage_upper",
    ];
}

/// The columns of survival.csv ([`survival_csv`]).
pub mod survival_columns {
    /// Records since the start.
    pub const T: &str = "t";
    /// Kaplan–Meier survival.
    pub const KM_SURVIVAL: &str = "km_survival";
    /// The fitted chain's (1 − p01)^t.
    pub const GEOMETRIC_SURVIVAL: &str = "geometric_survival";
    /// Every column, in order.
    pub const HEADER: [&str; 5] = [T, "at_risk", "events", KM_SURVIVAL, GEOMETRIC_SURVIVAL];
}
