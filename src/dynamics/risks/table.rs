//! The table behind `risks.csv`: one row per grid time, the estimate beside its bands.

use serde::Serialize;

use super::bands::{Band, RiskBands};

/// One row of the table behind `risks.csv`: the estimate and its bands at one grid time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRow {
    /// Grid time (steps).
    pub t: f64,
    /// Runs at risk at t (time ≥ t).
    pub at_risk: u64,
    /// S(t): no event of any cause by t.
    pub survival: f64,
    /// Bootstrap band of S(t).
    pub survival_band: Band,
    /// Per cause: events seen by t.
    pub events: Vec<u64>,
    /// Per cause: CIF_j(t).
    pub cif: Vec<f64>,
    /// Per cause: the delta-method standard error of CIF_j(t).
    pub cif_se: Vec<f64>,
    /// Per cause: the bootstrap band of CIF_j(t).
    pub cif_band: Vec<Band>,
}

impl RiskBands {
    /// The table: one row per grid time.
    pub fn rows(&self) -> Vec<RiskRow> {
        let fit = &self.estimate;
        let causes = 0..fit.causes;
        self.grid
            .iter()
            .enumerate()
            .map(|(g, &t)| RiskRow {
                t,
                at_risk: fit.at_risk(t),
                survival: fit.survival(t),
                survival_band: self.survival[g],
                events: causes.clone().map(|j| fit.events_by(j, t)).collect(),
                cif: causes.clone().map(|j| fit.cif(j, t)).collect(),
                cif_se: causes.clone().map(|j| fit.cif_se(j, t)).collect(),
                cif_band: causes.clone().map(|j| self.cif[j][g]).collect(),
            })
            .collect()
    }
}

impl RiskRow {
    /// CSV column names, with the causes named by `cause_names` (e.g. `["vanish",
    /// "converge", "diverge"]`): `t, at_risk, survival, survival_lower, survival_upper`,
    /// then per cause `{name}_events, {name}_cif, {name}_se, {name}_lower, {name}_upper`.
    pub fn csv_header(cause_names: &[&str]) -> Vec<String> {
        let mut h: Vec<String> = risk_columns::HEADER.map(String::from).to_vec();
        for name in cause_names {
            for col in risk_columns::PER_CAUSE {
                h.push(risk_columns::of_cause(name, col));
            }
        }
        h
    }

    /// The row's fields in the order of [`Self::csv_header`] (numbers in their shortest
    /// round-trip form).
    pub fn csv_record(&self) -> Vec<String> {
        let mut r = vec![
            self.t.to_string(),
            self.at_risk.to_string(),
            self.survival.to_string(),
            self.survival_band.lower.to_string(),
            self.survival_band.upper.to_string(),
        ];
        for j in 0..self.cif.len() {
            r.push(self.events[j].to_string());
            r.push(self.cif[j].to_string());
            r.push(self.cif_se[j].to_string());
            r.push(self.cif_band[j].lower.to_string());
            r.push(self.cif_band[j].upper.to_string());
        }
        r
    }
}

/// The columns of `risks.csv` ([`RiskRow::csv_header`]), as the figures read them.
pub mod risk_columns {
    /// Grid time (steps).
    pub const T: &str = "t";
    /// S(t).
    pub const SURVIVAL: &str = "survival";
    /// The columns before the causes'.
    pub const HEADER: [&str; 5] = [T, "at_risk", SURVIVAL, "survival_lower", "survival_upper"];
    /// CIF_j(t).
    pub const CIF: &str = "cif";
    /// The lower end of its band.
    pub const LOWER: &str = "lower";
    /// The upper end of its band.
    pub const UPPER: &str = "upper";
    /// Each cause's columns, as suffixes of its name.
    pub const PER_CAUSE: [&str; 5] = ["events", CIF, "se", LOWER, UPPER];

    /// Column `col` of `cause` (`vanished_cif`).
    pub fn of_cause(cause: &str, col: &str) -> String {
        format!("{cause}_{col}")
    }
}
