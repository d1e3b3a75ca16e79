//! Training runs as the study sees them: the recorded columns a state rule may use, a
//! run's series, what a cell's runs came to ([`Outcome`]), the chain fitted to them, and
//! the prediction of each run's first event from its state at step 0.

use serde_json::json;

use crate::dynamics::markov::ChainFit;
use crate::dynamics::study::{Analysis, Rule, RunSeries};
use crate::error::ConfigError;
use crate::nets::train::{Record, Run};

/// The columns of a record that a state rule can use.
pub const RECORDED: [&str; 6] = [
    "probe_gain",
    "gain",
    "loss",
    "ln_derivative_product",
    "saturated",
    "probe_ln_derivative_product",
];

/// Refuses a rule on a column that training does not record; the error names `--state`
/// or `--converged`.
pub fn check_recorded(rule: &Rule) -> Result<(), ConfigError> {
    if let Some(c) = rule.convergence_column().filter(|c| !RECORDED.contains(c)) {
        return Err(ConfigError::new(
            "--converged",
            format!(
                "'{c}' is not a recorded column: use {}",
                RECORDED.join(", ")
            ),
        ));
    }
    if !RECORDED.contains(&rule.column()) {
        return Err(ConfigError::new(
            "--state",
            format!(
                "'{}' is not a recorded column: use {}",
                rule.column(),
                RECORDED.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The value of a recorded column in a record.
pub fn column(name: &str, r: &Record) -> Option<f64> {
    match name {
        "gain" => Some(r.gain),
        "loss" => Some(r.loss),
        "ln_derivative_product" => Some(r.ln_derivative_product),
        "saturated" => Some(r.saturated),
        "probe_gain" => Some(r.probe_ln_gain.exp()),
        "probe_ln_derivative_product" => Some(r.probe_ln_derivative_product),
        _ => None,
    }
}

/// A run's values of the rule's columns, as `vanish markov` reads them from a file.
pub fn series(run: &Run, rule: &Rule) -> RunSeries {
    let of = |name: &str| -> Vec<f64> {
        run.records
            .iter()
            .map(|rec| column(name, rec).unwrap_or(f64::NAN))
            .collect()
    };
    RunSeries {
        id: run.run.to_string(),
        steps: run.records.iter().map(|r| r.step as f64).collect(),
        values: of(rule.column()),
        converge: rule.convergence_column().map(of),
    }
}

/// What a set of runs came to: vanished by T (the state rule at any record), when, and the
/// final losses.
pub struct Outcome {
    /// Runs in the set.
    pub runs: usize,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs in [g∼0] at some record.
    pub vanished: usize,
    /// The Clopper–Pearson 95 % interval of the fraction vanished.
    pub ci95: (f64, f64),
    /// Each run's first step in [g∼0].
    pub first_vanish: Vec<Option<usize>>,
    /// The median of those steps.
    pub median_step: Option<usize>,
    /// The median final loss of the runs that did not diverge.
    pub median_final_loss: f64,
}

impl Outcome {
    /// The outcome of `runs` under `rule`.
    pub fn of(runs: &[Run], rule: &Rule) -> Self {
        let first_vanish: Vec<Option<usize>> = runs
            .iter()
            .map(|r| {
                let s = series(r, rule);
                let seq = rule.sequence(&s.values, s.converge.as_deref());
                let t = seq
                    .states
                    .iter()
                    .position(|&x| x == crate::dynamics::states::VANISHED)?;
                Some(r.records[t].step)
            })
            .collect();
        let mut times: Vec<usize> = first_vanish.iter().flatten().copied().collect();
        times.sort_unstable();
        let mut finals: Vec<f64> = runs
            .iter()
            .filter(|r| !r.diverged)
            .map(|r| r.records.last().expect("step 0 is recorded").loss)
            .collect();
        finals.sort_by(f64::total_cmp);
        let vanished = times.len();
        Outcome {
            runs: runs.len(),
            diverged: runs.iter().filter(|r| r.diverged).count(),
            vanished,
            ci95: crate::mc::estimate::clopper_pearson(vanished as u64, runs.len() as u64, 0.05),
            median_step: times.get(times.len() / 2).copied(),
            median_final_loss: finals.get(finals.len() / 2).copied().unwrap_or(f64::NAN),
            first_vanish,
        }
    }

    /// The fraction vanished by T.
    pub fn fraction(&self) -> f64 {
        self.vanished as f64 / self.runs as f64
    }
}

/// The two-state chain of a cell's runs (each up to its first NaN in the rule's column).
/// The two-state chain fitted to a cell's runs.
pub fn chain_fit(runs: &[Run], rule: &Rule) -> ChainFit {
    let sequences: Vec<Vec<usize>> = runs
        .iter()
        .map(|r| {
            let s = series(r, rule);
            (rule
                .sequence(&s.values, s.converge.as_deref())
                .chain_states())
            .to_vec()
        })
        .collect();
    ChainFit::new(&sequences, 2)
}

/// What is known of a run at step 0, for predicting its outcome: the probe's log-gain and
/// derivative product, the minibatch's derivative product, the saturated fraction (tanh),
/// and the log weight norms of the first, the middle and the last hidden layer.
fn initial_features(run: &Run) -> Vec<f64> {
    let r = &run.records[0];
    let k = r.weight_norms.len() - 1;
    vec![
        r.probe_ln_gain,
        r.probe_ln_derivative_product,
        r.ln_derivative_product,
        r.saturated,
        r.weight_norms[0].ln(),
        r.weight_norms[k / 2].ln(),
        r.weight_norms[k - 1].ln(),
    ]
}

const FEATURES: [&str; 7] = [
    "probe_ln_gain",
    "probe_ln_derivative_product",
    "ln_derivative_product",
    "saturated",
    "ln_weight_norm_first",
    "ln_weight_norm_middle",
    "ln_weight_norm_last",
];

/// From the initial state to the outcome, run by run: for the runs that start in [g≫0],
/// a cross-validated model of "vanished first" and of "converged first" on
/// [`initial_features`] (features that are not finite for every run are left out).
pub fn predict_outcomes(runs: &[Run], a: &Analysis) -> serde_json::Value {
    use crate::dynamics::states::FirstEvent;
    let alive: Vec<(usize, FirstEvent)> = (a.first_events.iter().enumerate())
        .filter_map(|(i, e)| e.map(|(e, _)| (i, e)))
        .collect();
    let x_all: Vec<Vec<f64>> = alive
        .iter()
        .map(|&(i, _)| initial_features(&runs[i]))
        .collect();
    let keep: Vec<usize> = (0..FEATURES.len())
        .filter(|&j| x_all.iter().all(|x| x[j].is_finite()))
        .collect();
    let x: Vec<Vec<f64>> = x_all
        .iter()
        .map(|r| keep.iter().map(|&j| r[j]).collect())
        .collect();
    let names: Vec<String> = keep.iter().map(|&j| FEATURES[j].to_string()).collect();
    let mut out = serde_json::Map::new();
    for (name, hit) in [
        (
            "vanished_first",
            (|e: &FirstEvent| matches!(e, FirstEvent::Vanished(_))) as fn(&FirstEvent) -> bool,
        ),
        ("converged_first", |e: &FirstEvent| {
            matches!(e, FirstEvent::Converged(_))
        }),
    ] {
        let y: Vec<bool> = alive.iter().map(|(_, e)| hit(e)).collect();
        let positives = y.iter().filter(|&&v| v).count();
        let folds = 5.min(positives).min(y.len() - positives);
        let model = if folds < 2 || names.is_empty() {
            Err(format!(
                "n/a: {positives} of {} runs had it; cross-validation needs at least 2 of each",
                y.len()
            ))
        } else {
            crate::dynamics::outcome::cross_validate(
                &x,
                &y,
                &names,
                folds,
                crate::dynamics::outcome::DEFAULT_RIDGE,
            )
        };
        out.insert(
            name.into(),
            match model {
                Ok(m) => m.to_json(),
                Err(reason) => json!({"model": null, "reason": reason}),
            },
        );
    }
    serde_json::Value::Object(out)
}
