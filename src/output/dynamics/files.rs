//! The CSV files of the study: survival.csv, risks.csv, viterbi.csv, ppc.csv, and the one
//! place that adds every file of a study to a run's files.

use crate::dynamics::markov::ChainFit;
use crate::dynamics::study::{Analysis, CAUSES, Rule, RunSeries};
use crate::output::files::csv_text;
use crate::output::format::{exact, label, pretty_json};
use crate::output::manifest::RunFiles;

/// Adds the study's files to `files`: markov.json, then (two states) survival.csv, and
/// risks.csv, viterbi.csv and ppc.csv when the study has them.
pub fn add_files(files: &mut RunFiles, a: &Analysis, rule: &Rule, runs: &[RunSeries]) {
    files.add(
        "markov.json",
        pretty_json(&super::report_json(a, rule, &rule.state_names())),
    );
    if rule.is_two_state() {
        files.add("survival.csv", survival_csv(&a.fit));
    }
    if let Some(b) = &a.risks {
        files.add("risks.csv", risks_csv(b));
    }
    if let Some(Ok(l)) = &a.latent {
        files.add("viterbi.csv", viterbi_csv(runs, l));
        files.add("ppc.csv", ppc_csv(l));
    }
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

/// risks.csv: the cumulative incidence of each cause and the survival at every step.
pub fn risks_csv(b: &crate::dynamics::risks::RiskBands) -> String {
    let rows: Vec<Vec<String>> = b.rows().iter().map(|r| r.csv_record()).collect();
    csv_text(&crate::dynamics::risks::RiskRow::csv_header(&CAUSES), &rows)
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
