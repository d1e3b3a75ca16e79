//! The outcome model: the AUC against a pair count, a known logistic model recovered within
//! its standard errors, pure noise judged as such, calibration of a correct model, thread
//! independence, bad input, and scikit-learn as an independent oracle.

use std::process::Command;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use vanish::dynamics::outcome::{Verdict, auc, cross_validate, fit_logistic};

use crate::util::within_5_se;

/// The true model: η = 4 + 0.6·x1 + 1.5·x2 + 0·x3 with x1 ~ N(1, 2²), x2 ~ N(−3, 0.5²),
/// x3 ~ N(0, 1) (irrelevant); the intercept puts η near −0.5 on average.
const TRUE_INTERCEPT: f64 = 4.0;
const TRUE_COEFFICIENTS: [f64; 3] = [0.6, 1.5, 0.0];

fn names() -> Vec<String> {
    ["ln_gain", "saturated", "irrelevant"]
        .map(String::from)
        .to_vec()
}

fn true_eta(x: &[f64]) -> f64 {
    TRUE_INTERCEPT
        + TRUE_COEFFICIENTS
            .iter()
            .zip(x)
            .map(|(b, v)| b * v)
            .sum::<f64>()
}

/// `n` runs of the true model: features, outcomes and the true linear predictors.
fn simulate(n: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<bool>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = |rng: &mut ChaCha8Rng| -> f64 { StandardNormal.sample(rng) };
    let x: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            vec![
                1.0 + 2.0 * normal(&mut rng),
                -3.0 + 0.5 * normal(&mut rng),
                normal(&mut rng),
            ]
        })
        .collect();
    let eta: Vec<f64> = x.iter().map(|r| true_eta(r)).collect();
    let y = eta
        .iter()
        .map(|&e| rng.random::<f64>() < 1.0 / (1.0 + (-e).exp()))
        .collect();
    (x, y, eta)
}

#[test]
fn auc_and_delong_variance_equal_brute_force_pair_counts_with_ties() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let y: Vec<bool> = (0..41).map(|_| rng.random::<f64>() < 0.4).collect();
    // Scores on a coarse grid: many ties, within and across classes.
    let s: Vec<f64> = y
        .iter()
        .map(|&v| (rng.random::<f64>() * 6.0 + f64::from(u8::from(v)) * 2.0).floor())
        .collect();
    let psi = |a: f64, b: f64| f64::from(u8::from(a > b)) + 0.5 * f64::from(u8::from(a == b));
    let pos: Vec<f64> = s.iter().zip(&y).filter(|e| *e.1).map(|e| *e.0).collect();
    let neg: Vec<f64> = s.iter().zip(&y).filter(|e| !*e.1).map(|e| *e.0).collect();
    let (m, n) = (pos.len() as f64, neg.len() as f64);
    let v10: Vec<f64> = pos
        .iter()
        .map(|&p| neg.iter().map(|&q| psi(p, q)).sum::<f64>() / n)
        .collect();
    let v01: Vec<f64> = neg
        .iter()
        .map(|&q| pos.iter().map(|&p| psi(p, q)).sum::<f64>() / m)
        .collect();
    let pairs = v10.iter().sum::<f64>() / m;
    let var =
        |v: &[f64]| v.iter().map(|x| (x - pairs).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0);
    let se = (var(&v10) / m + var(&v01) / n).sqrt();
    let a = auc(&s, &y).unwrap();
    assert!((a.auc - pairs).abs() < 1e-14, "{} vs {pairs}", a.auc);
    assert!((a.se - se).abs() < 1e-14, "{} vs {se}", a.se);
    assert!(a.interval.0 < a.auc && a.auc < a.interval.1);
    // Reversing the scores mirrors the AUC.
    let r: Vec<f64> = s.iter().map(|v| -v).collect();
    assert!((auc(&r, &y).unwrap().auc - (1.0 - pairs)).abs() < 1e-14);
}

#[test]
fn a_known_logistic_model_is_recovered_and_the_irrelevant_feature_matters_least() {
    let (x, y, _) = simulate(4000, 11);
    // Nearly unpenalised: the fitted coefficients within 5 Wald SEs of the truth.
    let fit = fit_logistic(&x, &y, 1e-6).unwrap();
    for (j, &truth) in TRUE_COEFFICIENTS.iter().enumerate() {
        let se = fit.se_standardised[j] / fit.sds[j];
        within_5_se(&format!("coefficient {j}"), fit.coefficients[j], truth, se);
    }
    // The model's own scale and the standardised one describe the same predictor.
    let eta = fit.intercept
        + fit
            .coefficients
            .iter()
            .zip(&x[7])
            .map(|(b, v)| b * v)
            .sum::<f64>();
    assert!((eta - fit.linear_predictor(&x[7])).abs() < 1e-10);

    let m = cross_validate(&x, &y, &names(), 5, 1.0).unwrap();
    let loss: Vec<f64> = m.features.iter().map(|f| f.drop_one_loss).collect();
    assert!(loss[2] < loss[0] && loss[2] < loss[1], "{loss:?}");
    assert!(
        (m.features[2].single_auc - 0.5).abs() < 0.05,
        "{:?}",
        m.features[2]
    );
    // The true model's AUC on a large fresh sample (its SE is ~50 times smaller).
    let (_, fresh_y, fresh_eta) = simulate(200_000, 12);
    let truth = auc(&fresh_eta, &fresh_y).unwrap();
    within_5_se("cv auc", m.auc.auc, truth.auc, m.auc.se.hypot(truth.se));
    assert_eq!(m.verdict, Verdict::Predictive);
    assert!(m.brier < m.brier_base_rate && m.brier_skill > 0.0);
    assert_eq!(m.calibration.len(), 10);
    assert_eq!(m.calibration.iter().map(|b| b.runs).sum::<usize>(), 4000);
}

#[test]
fn a_pure_noise_outcome_has_little_predictive_power() {
    let (x, _, _) = simulate(1000, 21);
    let mut rng = ChaCha8Rng::seed_from_u64(22);
    let y: Vec<bool> = (0..1000).map(|_| rng.random::<f64>() < 0.3).collect();
    let m = cross_validate(&x, &y, &names(), 5, 1.0).unwrap();
    assert!(
        m.auc.interval.0 < 0.5 && 0.5 < m.auc.interval.1,
        "{:?}",
        m.auc
    );
    assert_eq!(m.verdict, Verdict::LittlePredictivePower);
    assert_eq!(m.to_json()["verdict"], "little predictive power");
    // Out of fold, noise cannot beat the base rate by more than chance.
    assert!(m.brier_skill < 0.01, "{}", m.brier_skill);
}

#[test]
fn a_correct_model_is_calibrated() {
    let (x, y, _) = simulate(5000, 31);
    let m = cross_validate(&x, &y, &names(), 5, 1.0).unwrap();
    let c = m.calibration_fit.unwrap();
    within_5_se("calibration slope", c.slope, 1.0, c.slope_se);
    within_5_se("calibration intercept", c.intercept, 0.0, c.intercept_se);
    // Deciles by increasing prediction.
    assert!(
        m.calibration
            .windows(2)
            .all(|w| w[0].predicted <= w[1].predicted)
    );
    // Few runs: fewer bins, at least 10 runs each.
    let small = cross_validate(&x[..35], &y[..35], &names(), 5, 1.0).unwrap();
    assert_eq!(small.calibration.len(), 3);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (x, y, _) = simulate(600, 41);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| cross_validate(&x, &y, &names(), 4, 1.0).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two);
    assert_eq!(one.to_json().to_string(), two.to_json().to_string());
}

#[test]
fn separable_classes_and_constant_features_are_handled() {
    let x: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64, 7.0]).collect();
    let y: Vec<bool> = (0..40).map(|i| i >= 20).collect();
    let fit = fit_logistic(&x, &y, 1.0).unwrap();
    assert!(fit.coefficients_standardised[0].is_finite() && fit.coefficients_standardised[0] > 1.0);
    assert_eq!(fit.constant, [false, true]);
    assert_eq!((fit.coefficients[1], fit.se_standardised[1]), (0.0, 0.0));
    let alone = fit_logistic(&x.iter().map(|r| vec![r[0]]).collect::<Vec<_>>(), &y, 1.0).unwrap();
    assert!((alone.predict(&[13.0]) - fit.predict(&[13.0, 7.0])).abs() < 1e-12);
    // Without the ridge, separated classes have no finite fit.
    let err = fit_logistic(&x, &y, 0.0).unwrap_err();
    assert!(err.contains("separated"), "{err}");
    let m = cross_validate(&x, &y, &["i".into(), "seven".into()], 4, 1.0).unwrap();
    // Each fold's model has its own scale, so pairs across folds can swap: nearly 1.
    assert!(m.auc.auc > 0.99, "{:?}", m.auc);
    assert_eq!(m.features[1].single_auc, 0.5);
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let x = vec![vec![1.0, 2.0], vec![2.0, 1.0], vec![3.0, 0.0]];
    let y = vec![true, false, true];
    let two = ["a".to_string(), "b".to_string()];
    let cases: Vec<(Result<_, String>, &str)> = vec![
        (fit_logistic(&[], &[], 1.0).map(|_| ()), "no runs"),
        (fit_logistic(&x, &y[..2], 1.0).map(|_| ()), "outcomes"),
        (
            fit_logistic(&[vec![1.0], vec![1.0, 2.0]], &y[..2], 1.0).map(|_| ()),
            "run 1 has",
        ),
        (
            fit_logistic(&[vec![1.0], vec![f64::NAN]], &y[..2], 1.0).map(|_| ()),
            "not finite",
        ),
        (
            fit_logistic(&x, &[true; 3], 1.0).map(|_| ()),
            "same outcome",
        ),
        (fit_logistic(&x, &y, -1.0).map(|_| ()), "ridge"),
        (fit_logistic(&x, &y, f64::NAN).map(|_| ()), "ridge"),
        (
            cross_validate(&x, &y, &two[..1], 2, 1.0).map(|_| ()),
            "names",
        ),
        (cross_validate(&x, &y, &two, 1, 1.0).map(|_| ()), "folds"),
        (cross_validate(&x, &y, &two, 4, 1.0).map(|_| ()), "folds"),
        // Fold 1 holds run 1, the only run without the outcome.
        (cross_validate(&x, &y, &two, 3, 1.0).map(|_| ()), "fold 1"),
        (auc(&[0.1, f64::NAN], &[true, false]).map(|_| ()), "NaN"),
        (auc(&[0.1, 0.2], &[true, true]).map(|_| ()), "both"),
    ];
    for (i, (result, needle)) in cases.into_iter().enumerate() {
        let err = result.expect_err(&format!("case {i} accepted"));
        assert!(err.contains(needle), "case {i}: {err}");
    }
}

/// scikit-learn, when python3 has it: the same penalised fit (C = 1/ridge), the same
/// out-of-fold predictions, and roc_auc_score of the same scores.
#[test]
fn scikit_learn_agrees() {
    let has_sklearn = Command::new("python3")
        .args(["-c", "import sklearn"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sklearn {
        eprintln!(
            "skipping scikit_learn_agrees: `python3 -c 'import sklearn'` failed (pip install scikit-learn)"
        );
        return;
    }
    let (mut x, y, _) = simulate(300, 51);
    for r in &mut x {
        r.push(2.5); // a constant feature: dropped here, zero after StandardScaler there
    }
    let ridge = 0.7;
    let folds = 5;
    let mut names = names();
    names.push("constant".into());
    let m = cross_validate(&x, &y, &names, folds, ridge).unwrap();
    // Scores with ties, for roc_auc_score alone.
    let score: Vec<f64> = m.out_of_fold.iter().map(|p| (p * 8.0).round()).collect();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("runs.csv");
    let mut text = format!("{},y,score\n", names.join(","));
    for ((r, &yi), s) in x.iter().zip(&y).zip(&score) {
        let row: Vec<String> = r.iter().map(|v| format!("{v:e}")).collect();
        text += &format!("{},{},{s}\n", row.join(","), u8::from(yi));
    }
    std::fs::write(&csv, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/oracle_outcome.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&csv)
        .args(["--ridge", &ridge.to_string(), "--folds", &folds.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    // The largest difference seen, printed at the end.
    let worst = std::cell::Cell::new((0.0f64, String::new()));
    let close = |what: &str, a: f64, b: f64, tol: f64| {
        assert!((a - b).abs() <= tol, "{what}: vanish {a} vs sklearn {b}");
        let seen = worst.take();
        worst.set(if (a - b).abs() >= seen.0 {
            ((a - b).abs(), what.to_string())
        } else {
            seen
        });
    };
    let fit = &m.full_fit;
    close(
        "intercept",
        fit.intercept_standardised,
        f(&o["intercept_standardised"]),
        1e-8,
    );
    for j in 0..4 {
        close(&format!("mean {j}"), fit.means[j], f(&o["means"][j]), 1e-12);
        close(
            &format!("coefficient {j}"),
            fit.coefficients_standardised[j],
            f(&o["coefficients_standardised"][j]),
            1e-8,
        );
    }
    for (i, p) in m.out_of_fold.iter().enumerate() {
        close(
            &format!("out-of-fold {i}"),
            *p,
            f(&o["out_of_fold"][i]),
            1e-8,
        );
    }
    close("cv auc", m.auc.auc, f(&o["cv_auc"]), 1e-15);
    close(
        "tied-score auc",
        auc(&score, &y).unwrap().auc,
        f(&o["score_auc"]),
        1e-15,
    );
    let in_sample: Vec<f64> = x.iter().map(|r| fit.predict(r)).collect();
    close(
        "in-sample auc",
        auc(&in_sample, &y).unwrap().auc,
        f(&o["in_sample_auc"]),
        1e-15,
    );
    let (diff, what) = worst.take();
    eprintln!(
        "scikit-learn {}: largest difference {diff:e} ({what})",
        o["sklearn_version"]
    );
}
