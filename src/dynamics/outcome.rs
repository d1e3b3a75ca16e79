//! Does the initial state predict the outcome? Features of each training run at step 0
//! (ln of the probe Jacobian gain, the derivative product, the saturated fraction, weight
//! norms …) against a binary outcome per run (vanished by T, or converged by T), judged
//! honestly: by cross-validation, with an interval, a calibration check and a verdict.
//!
//! **The model.** L2-penalised logistic regression on standardised features: each feature
//! is centred and divided by its population standard deviation (÷ n, as scikit-learn's
//! `StandardScaler`); the fit maximises Σ_i [y_i·η_i − ln(1 + e^{η_i})] − (ridge/2)·‖β‖²
//! with η = b + Σ_j β_j·z_j, the intercept b unpenalised, by Newton–Raphson (IRLS) with
//! step halving. This is scikit-learn's `LogisticRegression(C = 1/ridge)` exactly. The
//! default ridge [`DEFAULT_RIDGE`] = 1 weighs like one pseudo-run per unit of a
//! standardised coefficient: negligible beside hundreds of runs, but it keeps the fit
//! finite when the classes are perfectly separated. A constant feature (standard
//! deviation 0 in the runs fitted) carries no information: it is dropped (its coefficient
//! is 0 and [`Logistic::constant`] says so).
//!
//! **Cross-validation.** Run i is held out in fold i mod k; each fold's runs are predicted
//! by a model fitted (standardisation included) on the other folds' runs alone. The
//! out-of-fold probabilities give the AUC (Mann–Whitney, ties count ½) with DeLong's 95 %
//! interval, the Brier score against the base rate's, and the calibration in bins. The
//! DeLong interval treats the out-of-fold scores as fixed, so it leaves out the spread
//! from refitting; with hundreds of runs and a few features that part is small.
//!
//! **The verdict** is a rule on the AUC interval against [`USEFUL_AUC`]: *predictive* if
//! its lower end is above, *little predictive power* if its upper end is below, otherwise
//! *inconclusive* (more runs are needed to tell). No random numbers are drawn, so every
//! number is a pure function of the data; feature loops run on rayon and are collected in
//! order, so the thread count changes nothing.
//!
//! ```
//! use vanish::dynamics::outcome::{cross_validate, Verdict, DEFAULT_RIDGE};
//! // 200 runs: the outcome is decided by the first feature's sign, the second is noise.
//! let x: Vec<Vec<f64>> = (0..200)
//!     .map(|i| vec![(i as f64 * 0.37).sin(), (i as f64 * 1.91).cos()])
//!     .collect();
//! let y: Vec<bool> = x.iter().map(|r| r[0] > 0.0).collect();
//! let names = vec!["ln_gain".to_string(), "noise".to_string()];
//! let m = cross_validate(&x, &y, &names, 5, DEFAULT_RIDGE).unwrap();
//! assert!(m.auc.auc > 0.95);
//! assert_eq!(m.verdict, Verdict::Predictive);
//! assert!(m.features[0].drop_one_loss > m.features[1].drop_one_loss);
//! assert!(m.to_json()["auc"]["interval95"][0].as_f64().unwrap() > 0.6);
//! ```

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::mc::estimate::{Z95, wilson};
use crate::output::format::json_number;

/// The default ridge on the standardised scale: the penalty (ridge/2)·‖β‖² weighs like
/// one pseudo-run per unit of coefficient, so separable data still has a finite fit.
pub const DEFAULT_RIDGE: f64 = 1.0;
/// The AUC that counts as a useful prediction of a run's fate from its initial state.
/// 0.5 is a coin; 0.6 means a vanishing run outranks a healthy one 60 % of the time.
pub const USEFUL_AUC: f64 = 0.6;
/// Calibration bins: at most this many (deciles of the out-of-fold predictions) …
pub const MAX_CALIBRATION_BINS: usize = 10;
/// … and at least this many runs in each, so fewer bins when runs are few.
pub const MIN_RUNS_PER_BIN: usize = 10;
/// Newton steps allowed before a fit is declared not to converge.
const MAX_NEWTON_STEPS: usize = 200;
/// A fit has converged when a full Newton step moves no parameter by more than this times
/// (1 + the largest |parameter|): Newton converges quadratically, so the step just taken
/// leaves an error near the square of this, at the level of rounding.
const NEWTON_TOLERANCE: f64 = 1e-9;

/// A fitted logistic model of P(outcome | features).
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    /// The ridge the fit used (standardised scale).
    pub ridge: f64,
    /// Runs fitted.
    pub runs: usize,
    /// Per feature: the mean of the runs fitted.
    pub means: Vec<f64>,
    /// Per feature: the population standard deviation (÷ n) of the runs fitted.
    pub sds: Vec<f64>,
    /// Per feature: true if it was constant and so dropped (coefficient 0).
    pub constant: Vec<bool>,
    /// The intercept on the standardised scale (the log-odds at the mean features).
    pub intercept_standardised: f64,
    /// Coefficients per standard deviation of each feature.
    pub coefficients_standardised: Vec<f64>,
    /// Standard errors of the standardised coefficients, from the inverse of the penalised
    /// Fisher information (the usual Wald SEs when the ridge is 0); 0 for dropped features.
    pub se_standardised: Vec<f64>,
    /// The intercept on the features' own scale.
    pub intercept: f64,
    /// Coefficients per unit of each feature.
    pub coefficients: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
}

impl Logistic {
    /// The predicted probability of the outcome for one run's features. Panics unless
    /// there is one value per feature fitted (a caller's bug, not bad data).
    ///
    /// ```
    /// let x = vec![vec![0.0], vec![1.0], vec![2.0], vec![3.0]];
    /// let y = vec![false, true, false, true];
    /// let m = vanish::dynamics::outcome::fit_logistic(&x, &y, 1.0).unwrap();
    /// assert!(m.predict(&[3.0]) > m.predict(&[0.0]));
    /// ```
    pub fn predict(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.means.len(), "one value per feature");
        logistic(self.linear_predictor(x))
    }

    /// The log-odds η = b + Σ β_j·z_j for one run's features.
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        let mut eta = self.intercept_standardised;
        for (j, &v) in x.iter().enumerate() {
            if !self.constant[j] {
                eta += self.coefficients_standardised[j] * (v - self.means[j]) / self.sds[j];
            }
        }
        eta
    }
}

/// Fits the penalised logistic regression of `y` on the features `x` (one row per run).
///
/// Errors for no runs, rows of different lengths, a length mismatch, non-finite features,
/// a negative or non-finite ridge, a single class, and a fit that does not converge (with
/// ridge 0, perfectly separated classes have no finite fit).
pub fn fit_logistic(x: &[Vec<f64>], y: &[bool], ridge: f64) -> Result<Logistic, String> {
    check_input(x, y)?;
    if !(ridge.is_finite() && ridge >= 0.0) {
        return Err(format!("the ridge must be finite and ≥ 0, got {ridge}"));
    }
    let (n, d) = (x.len(), x[0].len());
    let mut means = vec![0.0; d];
    let mut sds = vec![0.0; d];
    for j in 0..d {
        let mean = x.iter().map(|r| r[j]).sum::<f64>() / n as f64;
        let var = x.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n as f64;
        (means[j], sds[j]) = (mean, var.sqrt());
    }
    // Relative to the mean: a constant column's computed sd is rounding noise, not 0.
    let constant: Vec<bool> = (0..d).map(|j| sds[j] <= 1e-12 * means[j].abs()).collect();
    let kept: Vec<usize> = (0..d).filter(|&j| !constant[j]).collect();
    let design: Vec<Vec<f64>> = x
        .iter()
        .map(|r| {
            let mut z = Vec::with_capacity(kept.len() + 1);
            z.push(1.0);
            z.extend(kept.iter().map(|&j| (r[j] - means[j]) / sds[j]));
            z
        })
        .collect();
    let fit = newton(&design, y, ridge)?;
    let mut coefficients_standardised = vec![0.0; d];
    let mut se_standardised = vec![0.0; d];
    for (k, &j) in kept.iter().enumerate() {
        coefficients_standardised[j] = fit.theta[k + 1];
        se_standardised[j] = fit.se[k + 1];
    }
    let coefficients: Vec<f64> = (0..d)
        .map(|j| {
            if constant[j] {
                0.0
            } else {
                coefficients_standardised[j] / sds[j]
            }
        })
        .collect();
    let intercept = fit.theta[0] - (0..d).map(|j| coefficients[j] * means[j]).sum::<f64>();
    Ok(Logistic {
        ridge,
        runs: n,
        means,
        sds,
        constant,
        intercept_standardised: fit.theta[0],
        coefficients_standardised,
        se_standardised,
        intercept,
        coefficients,
        iterations: fit.iterations,
    })
}

fn check_input(x: &[Vec<f64>], y: &[bool]) -> Result<(), String> {
    if x.is_empty() {
        return Err("no runs to fit".into());
    }
    if x.len() != y.len() {
        return Err(format!("{} feature rows but {} outcomes", x.len(), y.len()));
    }
    let d = x[0].len();
    for (i, r) in x.iter().enumerate() {
        if r.len() != d {
            return Err(format!("run {i} has {} features, run 0 has {d}", r.len()));
        }
        if let Some(j) = r.iter().position(|v| !v.is_finite()) {
            return Err(format!("run {i}: feature {j} is {}, not finite", r[j]));
        }
    }
    let positives = y.iter().filter(|&&v| v).count();
    if positives == 0 || positives == y.len() {
        return Err(format!(
            "all {} runs have the same outcome ({}): nothing to predict",
            y.len(),
            positives > 0
        ));
    }
    Ok(())
}

/// A converged Newton fit: parameters and their standard errors (intercept first).
struct NewtonFit {
    theta: Vec<f64>,
    se: Vec<f64>,
    iterations: usize,
}

/// Maximises Σ [y·η − ln(1+e^η)] − (ridge/2)·Σ_{k≥1} θ_k² for η = design·θ (column 0 is the
/// unpenalised intercept).
fn newton(design: &[Vec<f64>], y: &[bool], ridge: f64) -> Result<NewtonFit, String> {
    let p = design[0].len();
    let objective = |theta: &[f64]| {
        let ll: f64 = design
            .iter()
            .zip(y)
            .map(|(z, &yi)| {
                let eta = dot(z, theta);
                f64::from(u8::from(yi)) * eta - softplus(eta)
            })
            .sum();
        ll - 0.5 * ridge * theta[1..].iter().map(|t| t * t).sum::<f64>()
    };
    let mut theta = vec![0.0; p];
    let mut current = objective(&theta);
    for step in 1..=MAX_NEWTON_STEPS {
        let (grad, info) = gradient_and_information(design, y, ridge, &theta);
        // A singular information at the start means collinear features; later, with ridge 0,
        // fitted probabilities saturating at 0 and 1 (separation).
        let Some(delta) = cholesky_solve(&info, &grad) else {
            return Err(if step == 1 {
                format!("the features are collinear (ridge {ridge}); use a ridge > 0")
            } else {
                not_converged(ridge)
            });
        };
        // Step halving: the penalised likelihood is concave, so some fraction ascends. Near
        // the optimum a step changes it by less than its rounding error, hence the slack.
        let slack = 1e-12 * (1.0 + current.abs());
        let mut t = 1.0;
        let mut next: Vec<f64>;
        loop {
            next = theta.iter().zip(&delta).map(|(a, b)| a + t * b).collect();
            let value = objective(&next);
            if value >= current - slack || t < 1e-10 {
                current = value;
                break;
            }
            t *= 0.5;
        }
        let size = delta.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = 1.0 + next.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        theta = next;
        if !theta.iter().all(|v| v.is_finite()) || scale > 1e8 {
            break;
        }
        if size <= NEWTON_TOLERANCE * scale {
            let (_, info) = gradient_and_information(design, y, ridge, &theta);
            let se = (0..p)
                .map(|k| {
                    let mut e = vec![0.0; p];
                    e[k] = 1.0;
                    cholesky_solve(&info, &e).map_or(f64::NAN, |col| col[k].sqrt())
                })
                .collect();
            return Ok(NewtonFit {
                theta,
                se,
                iterations: step,
            });
        }
    }
    Err(not_converged(ridge))
}

fn not_converged(ridge: f64) -> String {
    format!(
        "the logistic fit did not converge (ridge {ridge}): the outcomes are perfectly \
         separated by the features; use a ridge > 0"
    )
}

/// The gradient of the penalised log-likelihood and its negative Hessian (the penalised
/// Fisher information Zᵀ·W·Z + ridge·I without the intercept).
fn gradient_and_information(
    design: &[Vec<f64>],
    y: &[bool],
    ridge: f64,
    theta: &[f64],
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let p = theta.len();
    let mut grad = vec![0.0; p];
    let mut info = vec![vec![0.0; p]; p];
    for (z, &yi) in design.iter().zip(y) {
        let mu = logistic(dot(z, theta));
        let (r, w) = (f64::from(u8::from(yi)) - mu, mu * (1.0 - mu));
        for ((g, row), &za) in grad.iter_mut().zip(&mut info).zip(z) {
            *g += r * za;
            for (h, &zb) in row.iter_mut().zip(z) {
                *h += w * za * zb;
            }
        }
    }
    for a in 1..p {
        grad[a] -= ridge * theta[a];
        info[a][a] += ridge;
    }
    (grad, info)
}

/// Solves A·x = b for symmetric positive definite A by Cholesky; `None` if A is not.
fn cholesky_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let p = b.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 1e-300 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let mut z = vec![0.0; p];
    for i in 0..p {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        x[i] = (z[i] - (i + 1..p).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// 1/(1 + e^{−η}) without overflow.
fn logistic(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^η) without overflow.
fn softplus(eta: f64) -> f64 {
    eta.max(0.0) + (-eta.abs()).exp().ln_1p()
}

/// The AUC: the probability that a run with the outcome scores above one without (ties
/// count ½), with DeLong's standard error and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AucEstimate {
    /// The Mann–Whitney AUC.
    pub auc: f64,
    /// DeLong's standard error (NaN when a class has a single run).
    pub se: f64,
    /// auc ± 1.96·se, clipped to [0, 1] ([0, 1] when se is NaN).
    pub interval: (f64, f64),
    /// Runs with the outcome.
    pub positives: usize,
    /// Runs without it.
    pub negatives: usize,
}

/// The AUC of `scores` for the outcomes `y`, by mid-ranks (Mann–Whitney), and DeLong's
/// variance from the placement values: for a run with the outcome, the fraction of runs
/// without it that it outscores (ties ½), and conversely.
///
/// ```
/// // One tie between classes: 3 of 4 pairs ordered, 1 tied → (3 + ½)/4.
/// let a = vanish::dynamics::outcome::auc(&[0.1, 0.5, 0.5, 0.9], &[false, false, true, true]).unwrap();
/// assert_eq!(a.auc, 0.875);
/// ```
pub fn auc(scores: &[f64], y: &[bool]) -> Result<AucEstimate, String> {
    if scores.len() != y.len() {
        return Err(format!("{} scores but {} outcomes", scores.len(), y.len()));
    }
    if let Some(i) = scores.iter().position(|s| s.is_nan()) {
        return Err(format!("score {i} is NaN"));
    }
    let (pos, neg): (Vec<f64>, Vec<f64>) = {
        let p = scores
            .iter()
            .zip(y)
            .filter(|e| *e.1)
            .map(|e| *e.0)
            .collect();
        let n = scores
            .iter()
            .zip(y)
            .filter(|e| !*e.1)
            .map(|e| *e.0)
            .collect();
        (p, n)
    };
    let (m, n) = (pos.len(), neg.len());
    if m == 0 || n == 0 {
        return Err("the AUC needs runs of both outcomes".into());
    }
    let all = mid_ranks(scores);
    let (rank_pos, rank_neg) = (mid_ranks(&pos), mid_ranks(&neg));
    let (mut ip, mut ineg) = (0, 0);
    let (mut v10, mut v01) = (Vec::with_capacity(m), Vec::with_capacity(n));
    for (r, &yi) in all.iter().zip(y) {
        if yi {
            v10.push((r - rank_pos[ip]) / n as f64);
            ip += 1;
        } else {
            v01.push(1.0 - (r - rank_neg[ineg]) / m as f64);
            ineg += 1;
        }
    }
    let a = v10.iter().sum::<f64>() / m as f64;
    let var = |v: &[f64]| v.iter().map(|x| (x - a).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
    let se = if m > 1 && n > 1 {
        (var(&v10) / m as f64 + var(&v01) / n as f64).sqrt()
    } else {
        f64::NAN
    };
    let interval = if se.is_nan() {
        (0.0, 1.0)
    } else {
        ((a - Z95 * se).max(0.0), (a + Z95 * se).min(1.0))
    };
    Ok(AucEstimate {
        auc: a,
        se,
        interval,
        positives: m,
        negatives: n,
    })
}

/// 1-based ranks, ties sharing their mean rank.
fn mid_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        let mid = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        start = end;
    }
    ranks
}

/// One calibration bin of out-of-fold predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationBin {
    /// Runs in the bin.
    pub runs: usize,
    /// The mean predicted probability.
    pub predicted: f64,
    /// Runs in the bin with the outcome.
    pub observed: usize,
    /// observed / runs.
    pub fraction: f64,
    /// The 95 % Wilson interval of the fraction.
    pub wilson: (f64, f64),
}

/// The calibration line: the logistic regression of the outcome on the logit of the
/// out-of-fold prediction (unpenalised). A calibrated model has slope 1 and intercept 0;
/// a slope below 1 means over-confident predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationFit {
    /// The intercept.
    pub intercept: f64,
    /// Its standard error.
    pub intercept_se: f64,
    /// The slope.
    pub slope: f64,
    /// Its standard error.
    pub slope_se: f64,
}

/// What the cross-validated AUC says, by the rule in [`Verdict::rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole AUC interval is above [`USEFUL_AUC`].
    Predictive,
    /// The whole AUC interval is below [`USEFUL_AUC`].
    LittlePredictivePower,
    /// The interval contains [`USEFUL_AUC`]: more runs are needed to tell.
    Inconclusive,
}

impl Verdict {
    /// The rule, as printed beside the verdict.
    ///
    /// ```
    /// assert!(vanish::dynamics::outcome::Verdict::rule().contains("'predictive' if lo > 0.6"));
    /// ```
    pub fn rule() -> String {
        format!(
            "cross-validated AUC with its 95 % DeLong interval [lo, hi]: 'predictive' if \
             lo > {USEFUL_AUC}, 'little predictive power' if hi < {USEFUL_AUC}, \
             'inconclusive' otherwise (0.5 = no skill)"
        )
    }

    /// The verdict for an AUC interval.
    ///
    /// ```
    /// use vanish::dynamics::outcome::Verdict;
    /// assert_eq!(Verdict::from_interval((0.62, 0.70)), Verdict::Predictive);
    /// assert_eq!(Verdict::from_interval((0.45, 0.55)), Verdict::LittlePredictivePower);
    /// assert_eq!(Verdict::from_interval((0.55, 0.65)), Verdict::Inconclusive);
    /// ```
    pub fn from_interval((lo, hi): (f64, f64)) -> Self {
        if lo > USEFUL_AUC {
            Verdict::Predictive
        } else if hi < USEFUL_AUC {
            Verdict::LittlePredictivePower
        } else {
            Verdict::Inconclusive
        }
    }

    /// The verdict in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Predictive => "predictive",
            Verdict::LittlePredictivePower => "little predictive power",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

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

/// Bins of equal count (the first `runs mod bins` one larger) by increasing prediction,
/// ties broken by run index.
fn calibration_bins(p: &[f64], y: &[bool]) -> Vec<CalibrationBin> {
    let bins = (p.len() / MIN_RUNS_PER_BIN).clamp(1, MAX_CALIBRATION_BINS);
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let (size, extra) = (p.len() / bins, p.len() % bins);
    let mut start = 0;
    (0..bins)
        .map(|b| {
            let end = start + size + usize::from(b < extra);
            let idx = &order[start..end];
            start = end;
            let observed = idx.iter().filter(|&&i| y[i]).count();
            CalibrationBin {
                runs: idx.len(),
                predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / idx.len() as f64,
                observed,
                fraction: observed as f64 / idx.len() as f64,
                wilson: wilson(observed as u64, idx.len() as u64, Z95),
            }
        })
        .collect()
}

/// The unpenalised logistic regression of y on logit(p), p kept inside [1e-12, 1 − 1e-12].
fn calibration_fit(p: &[f64], y: &[bool]) -> Option<CalibrationFit> {
    let design: Vec<Vec<f64>> = p
        .iter()
        .map(|&v| {
            let v = v.clamp(1e-12, 1.0 - 1e-12);
            vec![1.0, (v / (1.0 - v)).ln()]
        })
        .collect();
    let fit = newton(&design, y, 0.0).ok()?;
    Some(CalibrationFit {
        intercept: fit.theta[0],
        intercept_se: fit.se[0],
        slope: fit.theta[1],
        slope_se: fit.se[1],
    })
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
