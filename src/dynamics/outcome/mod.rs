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

mod calibration;
mod cross_validation;
mod delong;
mod logistic;
mod verdict;

pub use calibration::{CalibrationBin, CalibrationFit, MAX_CALIBRATION_BINS, MIN_RUNS_PER_BIN};
pub use cross_validation::{FeatureEffect, NO_SKILL_AUC, OutcomeModel, cross_validate};
pub use delong::{AucEstimate, auc};
pub use logistic::{DEFAULT_RIDGE, Logistic, fit_logistic};
pub use verdict::{USEFUL_AUC, Verdict};
