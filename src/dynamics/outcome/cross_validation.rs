//! The cross-validated outcome model: out-of-fold predictions, the AUC, Brier score,
//! calibration and per-feature effects, the verdict, and its JSON.

use rayon::prelude::*;
use serde_json::{Value, json};

use super::calibration::{CalibrationBin, CalibrationFit, calibration_bins, calibration_fit};
use super::delong::{AucEstimate, auc};
use super::logistic::{Logistic, check_input, fit_logistic};
use super::verdict::Verdict;
use crate::output::format::json_number;

/// What one feature contributes.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureEffect {
    /// The feature's name.
    pub name: String,
    /// Its coefficient per standard deviation in the fit to all runs.
    pub coefficient_standardised: f64,
    /// That coefficient's standard error.
    pub se_standardised: f64,
    /// True if it was constant over all runs (and so dropped).
    pub constant: bool,
    /// The cross-validated AUC without this feature (0.5 when it is the only one).
    pub drop_one_auc: f64,
    /// The full model's cross-validated AUC minus `drop_one_auc`: what is lost without it.
    pub drop_one_loss: f64,
    /// The cross-validated AUC of this feature alone.
    pub single_auc: f64,
}

/// How well the initial state predicts the outcome: see the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeModel {
    /// The features' names.
    pub names: Vec<String>,
    /// Runs.
    pub runs: usize,
    /// Runs with the outcome.
    pub positives: usize,
    /// positives / runs.
    pub base_rate: f64,
    /// Folds (run i is in fold i mod folds).
    pub folds: usize,
    /// The ridge (standardised scale).
    pub ridge: f64,
    /// The out-of-fold predicted probability of each run.
    pub out_of_fold: Vec<f64>,
    /// The cross-validated AUC.
    pub auc: AucEstimate,
    /// The mean squared error of the out-of-fold probabilities.
    pub brier: f64,
    /// The Brier score of predicting the base rate for every run: base·(1 − base).
    pub brier_base_rate: f64,
    /// 1 − brier / brier_base_rate: above 0 beats the base rate.
    pub brier_skill: f64,
    /// Out-of-fold predictions in bins of equal count, by increasing prediction.
    pub calibration: Vec<CalibrationBin>,
    /// The calibration line (`None` if its fit does not converge, e.g. perfect separation).
    pub calibration_fit: Option<CalibrationFit>,
    /// The fit to all runs.
    pub full_fit: Logistic,
    /// Per feature, in input order.
    pub features: Vec<FeatureEffect>,
    /// The verdict by [`Verdict::rule`].
    pub verdict: Verdict,
}

/// The AUC a model without features has: no skill.
pub const NO_SKILL_AUC: f64 = 0.5;

/// Cross-validates the logistic model of `y` on `x` over `folds` folds (run i in fold
/// i mod folds) and reports the AUC, Brier score, calibration, per-feature effects and the
/// verdict. Errors for bad input (as [`fit_logistic`]), `names` not one per feature, fewer
/// than 2 folds or more folds than runs, or a fold whose training runs are all one class.
pub fn cross_validate(
    x: &[Vec<f64>],
    y: &[bool],
    names: &[String],
    folds: usize,
    ridge: f64,
) -> Result<OutcomeModel, String> {
    check_input(x, y)?;
    let (n, d) = (x.len(), x[0].len());
    if names.len() != d {
        return Err(format!("{} names for {d} features", names.len()));
    }
    if folds < 2 || folds > n {
        return Err(format!(
            "folds must be between 2 and the {n} runs, got {folds}"
        ));
    }
    let full_fit = fit_logistic(x, y, ridge)?;
    let all: Vec<usize> = (0..d).collect();
    let out_of_fold = out_of_fold(x, y, &all, folds, ridge)?;
    let auc = auc(&out_of_fold, y)?;
    let reduced = |cols: Vec<usize>| -> Result<f64, String> {
        if cols.is_empty() {
            return Ok(NO_SKILL_AUC);
        }
        Ok(self::auc(&self::out_of_fold(x, y, &cols, folds, ridge)?, y)?.auc)
    };
    let features = (0..d)
        .into_par_iter()
        .map(|j| -> Result<FeatureEffect, String> {
            let drop_one_auc = reduced((0..d).filter(|&k| k != j).collect())?;
            Ok(FeatureEffect {
                name: names[j].clone(),
                coefficient_standardised: full_fit.coefficients_standardised[j],
                se_standardised: full_fit.se_standardised[j],
                constant: full_fit.constant[j],
                drop_one_auc,
                drop_one_loss: auc.auc - drop_one_auc,
                single_auc: reduced(vec![j])?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let positives = y.iter().filter(|&&v| v).count();
    let base_rate = positives as f64 / n as f64;
    let brier = out_of_fold
        .iter()
        .zip(y)
        .map(|(p, &yi)| (p - f64::from(u8::from(yi))).powi(2))
        .sum::<f64>()
        / n as f64;
    let brier_base_rate = base_rate * (1.0 - base_rate);
    Ok(OutcomeModel {
        names: names.to_vec(),
        runs: n,
        positives,
        base_rate,
        folds,
        ridge,
        calibration: calibration_bins(&out_of_fold, y),
        calibration_fit: calibration_fit(&out_of_fold, y),
        out_of_fold,
        verdict: Verdict::from_interval(auc.interval),
        auc,
        brier,
        brier_base_rate,
        brier_skill: 1.0 - brier / brier_base_rate,
        full_fit,
        features,
    })
}

/// Out-of-fold probabilities of the model on the feature columns `cols`.
fn out_of_fold(
    x: &[Vec<f64>],
    y: &[bool],
    cols: &[usize],
    folds: usize,
    ridge: f64,
) -> Result<Vec<f64>, String> {
    let pick = |r: &Vec<f64>| cols.iter().map(|&j| r[j]).collect::<Vec<f64>>();
    let mut p = vec![f64::NAN; x.len()];
    for f in 0..folds {
        let train = (0..x.len()).filter(|i| i % folds != f);
        let tx: Vec<Vec<f64>> = train.clone().map(|i| pick(&x[i])).collect();
        let ty: Vec<bool> = train.map(|i| y[i]).collect();
        let fit = fit_logistic(&tx, &ty, ridge).map_err(|e| {
            format!("fold {f} of {folds} (runs i with i mod {folds} = {f} held out): {e}")
        })?;
        for i in (f..x.len()).step_by(folds) {
            p[i] = fit.predict(&pick(&x[i]));
        }
    }
    Ok(p)
}

impl OutcomeModel {
    /// Everything but the per-run predictions as JSON; non-finite numbers become the
    /// strings of [`crate::output::format::json_number`].
    pub fn to_json(&self) -> Value {
        let pair = |(a, b): (f64, f64)| json!([json_number(a), json_number(b)]);
        let fit = &self.full_fit;
        json!({
            "runs": self.runs,
            "positives": self.positives,
            "base_rate": json_number(self.base_rate),
            "folds": self.folds,
            "fold_rule": "run i is held out in fold i mod folds",
            "ridge": json_number(self.ridge),
            "ridge_rule": "maximise the log-likelihood minus (ridge/2)·‖β‖² on standardised \
                features (÷ population sd), intercept unpenalised = scikit-learn C = 1/ridge",
            "auc": {
                "auc": json_number(self.auc.auc),
                "se": json_number(self.auc.se),
                "interval95": pair(self.auc.interval),
                "method": "Mann–Whitney on out-of-fold probabilities, DeLong variance",
            },
            "no_skill_auc": json_number(NO_SKILL_AUC),
            "brier": json_number(self.brier),
            "brier_base_rate": json_number(self.brier_base_rate),
            "brier_skill": json_number(self.brier_skill),
            "calibration": self.calibration.iter().map(|b| json!({
                "runs": b.runs,
                "predicted": json_number(b.predicted),
                "observed": b.observed,
                "fraction": json_number(b.fraction),
                "wilson95": pair(b.wilson),
            })).collect::<Vec<_>>(),
            "calibration_fit": self.calibration_fit.map_or(Value::Null, |c| json!({
                "intercept": json_number(c.intercept),
                "intercept_se": json_number(c.intercept_se),
                "slope": json_number(c.slope),
                "slope_se": json_number(c.slope_se),
            })),
            "full_fit": {
                "intercept": json_number(fit.intercept),
                "intercept_standardised": json_number(fit.intercept_standardised),
                "iterations": fit.iterations,
            },
            "features": self.features.iter().zip(&fit.means).zip(&fit.sds).zip(&fit.coefficients)
                .map(|(((f, &mean), &sd), &coef)| json!({
                    "name": f.name,
                    "mean": json_number(mean),
                    "sd": json_number(sd),
                    "constant_dropped": f.constant,
                    "coefficient": json_number(coef),
                    "coefficient_standardised": json_number(f.coefficient_standardised),
                    "se_standardised": json_number(f.se_standardised),
                    "drop_one_auc": json_number(f.drop_one_auc),
                    "drop_one_loss": json_number(f.drop_one_loss),
                    "single_auc": json_number(f.single_auc),
                })).collect::<Vec<_>>(),
            "verdict": self.verdict.as_str(),
            "verdict_rule": Verdict::rule(),
        })
    }
}
