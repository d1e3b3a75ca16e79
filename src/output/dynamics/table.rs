//! The terminal table of the study, as `markov` and `train --fit` print it.

use crate::dynamics::study::{Analysis, CAUSES, Rule};
use crate::output::format::{label, short};

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
        if let Some(why) = super::row_undefined(fit, i, names) {
            line(format!("{row} n/a: {why}"));
            continue;
        }
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
        line(match super::test_undefined(&test) {
            Some(why) => format!("{what}: n/a: {why}"),
            None => format!(
                "{what}: G = {}, df {}, p = {}{warn}",
                short(test.statistic),
                test.df,
                short(test.p_value)
            ),
        });
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
