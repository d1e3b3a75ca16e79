//! The Gaussian HMM and the AR(1) alternative: the scaled forward–backward against brute
//! force over all paths, recovery of known models within bootstrap standard errors, the
//! coverage of the run-bootstrap interval, model selection by held-out runs and BIC,
//! determinism across thread counts and kernels, bad input, and hmmlearn as an
//! independent oracle.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vanish::dynamics::hmm::{
    Ar1, FitOptions, GaussianHmm, ModelKind, bootstrap, cross_validate, first_passage, fit,
    occupancy,
};

use crate::util::within_5_se;

fn model(initial: &[f64], transition: &[&[f64]], means: &[f64], sds: &[f64]) -> GaussianHmm {
    GaussianHmm::new(
        initial.to_vec(),
        transition.iter().map(|r| r.to_vec()).collect(),
        means.to_vec(),
        sds.to_vec(),
    )
    .unwrap()
}

/// Sparse and sticky: start in [g≫0], leave it with p01 = 0.02, come back with p10 = 0.005;
/// means 3 decades apart.
fn sticky() -> GaussianHmm {
    model(
        &[1.0, 0.0],
        &[&[0.98, 0.02], &[0.005, 0.995]],
        &[0.0, -3.0],
        &[0.5, 0.5],
    )
}

/// Dense: three states, each left with probability 0.3 to each other state; means 3 σ apart.
fn dense3() -> GaussianHmm {
    model(
        &[1.0 / 3.0; 3],
        &[&[0.4, 0.3, 0.3], &[0.3, 0.4, 0.3], &[0.3, 0.3, 0.4]],
        &[1.0, -0.5, -2.0],
        &[0.5, 0.5, 0.5],
    )
}

/// A two-state model between the two: p01 = 0.05, p10 = 0.1, means 3 σ apart.
fn moderate() -> GaussianHmm {
    model(
        &[0.8, 0.2],
        &[&[0.95, 0.05], &[0.1, 0.9]],
        &[0.0, -1.5],
        &[0.5, 0.5],
    )
}

fn observations(m: &GaussianHmm, runs: usize, len: usize, seed: u64) -> Vec<Vec<f64>> {
    m.simulate(&vec![len; runs], &mut ChaCha8Rng::seed_from_u64(seed))
        .1
}

/// ln Σ exp over all k^T state paths, the Viterbi path and the marginals by enumeration.
fn brute_force(m: &GaussianHmm, run: &[f64]) -> (f64, Vec<usize>, Vec<Vec<f64>>) {
    let (k, n) = (m.k(), run.len());
    let ln_b = |j: usize, y: f64| {
        let z = (y - m.means[j]) / m.sds[j];
        -0.5 * z * z - m.sds[j].ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    };
    let paths: Vec<(Vec<usize>, f64)> = (0..k.pow(n as u32))
        .map(|mut code| {
            let path: Vec<usize> = (0..n)
                .map(|_| {
                    let s = code % k;
                    code /= k;
                    s
                })
                .collect();
            let mut lp = m.initial[path[0]].ln() + ln_b(path[0], run[0]);
            for t in 1..n {
                lp += m.transition[path[t - 1]][path[t]].ln() + ln_b(path[t], run[t]);
            }
            (path, lp)
        })
        .collect();
    let top = paths.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = paths.iter().map(|p| (p.1 - top).exp()).sum();
    let ll = top + total.ln();
    let best = paths.iter().find(|p| p.1 == top).unwrap().0.clone();
    let mut marginal = vec![vec![0.0; k]; n];
    for (path, lp) in &paths {
        for (t, &s) in path.iter().enumerate() {
            marginal[t][s] += (lp - ll).exp();
        }
    }
    (ll, best, marginal)
}

#[test]
fn forward_viterbi_and_posteriors_equal_brute_force_over_all_paths() {
    let two = model(
        &[0.6, 0.4],
        &[&[0.8, 0.2], &[0.3, 0.7]],
        &[0.5, -1.0],
        &[0.7, 0.4],
    );
    let three = model(
        &[0.5, 0.3, 0.2],
        &[&[0.7, 0.2, 0.1], &[0.1, 0.6, 0.3], &[0.05, 0.15, 0.8]],
        &[1.0, 0.0, -1.5],
        &[0.6, 0.5, 0.8],
    );
    let run = [0.4, -0.2, -1.1, 0.9, -0.6, -1.3];
    for m in [two, three] {
        let (ll, path, marginal) = brute_force(&m, &run);
        assert!((m.log_likelihood(&run) - ll).abs() < 1e-10, "{ll}");
        assert_eq!(m.viterbi(&run), path);
        for (got, want) in m.posteriors(&run).iter().zip(&marginal) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-10, "{got:?} vs {want:?}");
            }
        }
    }
    assert_eq!(sticky().log_likelihood(&[]), 0.0);
    assert!(sticky().viterbi(&[]).is_empty());
}

#[test]
fn a_record_far_from_every_state_does_not_underflow() {
    // 100 σ from both means: each density is e^-5000 and underflows alone; the shift
    // keeps the likelihood finite and exact (the brute force works in logs).
    let m = sticky();
    let run = [0.1, 50.0, -2.9];
    let (ll, path, _) = brute_force(&m, &run);
    assert!(
        (m.log_likelihood(&run) - ll).abs() < 1e-9 * ll.abs(),
        "{ll}"
    );
    assert_eq!(m.viterbi(&run), path);
}

/// Asserts every transition, mean and σ of `fit` lies within 5 bootstrap SE of `truth`
/// (the initial law too where the truth is inside (0, 1)).
fn recovered(truth: &GaussianHmm, runs: &[Vec<f64>], replicates: usize) {
    let k = truth.k();
    let b = bootstrap(runs, k, &FitOptions::default(), replicates, 7).unwrap();
    assert_eq!(b.failed, 0);
    for i in 0..k {
        for j in 0..k {
            let p = b.transition[i][j];
            within_5_se(
                &format!("a{i}{j}"),
                p.estimate,
                truth.transition[i][j],
                p.se,
            );
            assert!(p.lower <= p.upper);
        }
        within_5_se(
            &format!("μ{i}"),
            b.means[i].estimate,
            truth.means[i],
            b.means[i].se,
        );
        within_5_se(
            &format!("σ{i}"),
            b.sds[i].estimate,
            truth.sds[i],
            b.sds[i].se,
        );
        if truth.initial[i] > 0.0 && truth.initial[i] < 1.0 {
            let p = b.initial[i];
            within_5_se(&format!("π{i}"), p.estimate, truth.initial[i], p.se);
        }
    }
}

#[test]
fn a_sticky_two_state_model_is_recovered_within_5_bootstrap_se() {
    let truth = sticky();
    let runs = observations(&truth, 200, 100, 11);
    let f = fit(&runs, 2, &FitOptions::default()).unwrap();
    assert!(f.converged);
    assert!(f.model.initial[0] > 0.99, "{:?}", f.model.initial);
    recovered(&truth, &runs, 100);
}

#[test]
fn a_dense_three_state_model_is_recovered_within_5_bootstrap_se() {
    let truth = dense3();
    // 60 replicates: the SE itself is then known to about 1/√120 ≈ 9 %, which 5 SE absorb.
    recovered(&truth, &observations(&truth, 200, 100, 12), 60);
}

/// The fraction of `seeds` data sets whose run-bootstrap 95 % interval covers p01 and p10.
fn coverage(seeds: u64, runs: usize, replicates: usize) -> (f64, f64) {
    let truth = model(
        &[0.8, 0.2],
        &[&[0.9, 0.1], &[0.2, 0.8]],
        &[0.0, -2.0],
        &[0.5, 0.5],
    );
    let (mut p01, mut p10) = (0, 0);
    for seed in 0..seeds {
        let data = observations(&truth, runs, 50, 1000 + seed);
        let b = bootstrap(&data, 2, &FitOptions::default(), replicates, seed).unwrap();
        let covers = |i: usize, j: usize| {
            let p = b.transition[i][j];
            usize::from(p.lower <= truth.transition[i][j] && truth.transition[i][j] <= p.upper)
        };
        p01 += covers(0, 1);
        p10 += covers(1, 0);
    }
    (p01 as f64 / seeds as f64, p10 as f64 / seeds as f64)
}

#[test]
fn the_run_bootstrap_interval_of_p01_has_nominal_coverage() {
    // 40 data sets of 40 runs × 50 records, 100 replicates each. At the nominal 0.95 the
    // coverage of 40 intervals has binomial SE √(0.95·0.05/40) = 0.034; 0.85 is 3 SE below.
    let (p01, p10) = coverage(40, 40, 100);
    eprintln!("run-bootstrap 95 % coverage over 40 data sets: p01 {p01}, p10 {p10}");
    assert!(p01 >= 0.85, "coverage of p01 {p01}");
    assert!(p10 >= 0.85, "coverage of p10 {p10}");
}

#[test]
#[ignore = "slow: cargo test --release --test tests hmm::the_run_bootstrap_interval_has_nominal_coverage_at_400_seeds -- --ignored"]
fn the_run_bootstrap_interval_has_nominal_coverage_at_400_seeds() {
    // 400 data sets: binomial SE √(0.95·0.05/400) = 0.011; accept 0.95 ± 3 SE.
    let (p01, p10) = coverage(400, 40, 200);
    eprintln!("run-bootstrap 95 % coverage over 400 data sets: p01 {p01}, p10 {p10}");
    for (what, c) in [("p01", p01), ("p10", p10)] {
        assert!((c - 0.95).abs() <= 3.0 * 0.0109, "coverage of {what} {c}");
    }
}

/// Held-out log-likelihood of `a` minus that of `b`, and the SE of that sum from the paired
/// per-run differences (runs are independent).
fn held_out_gain(runs: &[Vec<f64>], a: ModelKind, b: ModelKind) -> (f64, f64) {
    let o = FitOptions::default();
    let (ca, cb) = (
        cross_validate(runs, a, 5, &o).unwrap(),
        cross_validate(runs, b, 5, &o).unwrap(),
    );
    let d: Vec<f64> = ca
        .run_log_likelihood
        .iter()
        .zip(&cb.run_log_likelihood)
        .map(|(x, y)| x - y)
        .collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    assert!((ca.log_likelihood - cb.log_likelihood - n * mean).abs() < 1e-6 * n);
    (ca.log_likelihood - cb.log_likelihood, (n * var).sqrt())
}

fn bic(runs: &[Vec<f64>], kind: ModelKind) -> f64 {
    match kind {
        ModelKind::Hmm(k) => fit(runs, k, &FitOptions::default()).unwrap().bic,
        ModelKind::Ar1 => Ar1::fit(runs).unwrap().bic,
    }
}

/// `winner` beats `loser` on held-out runs by more than 3 paired SE and on BIC.
fn prefers(runs: &[Vec<f64>], winner: ModelKind, loser: ModelKind) {
    let (gain, se) = held_out_gain(runs, winner, loser);
    assert!(
        gain > 3.0 * se,
        "{winner} vs {loser}: held-out gain {gain} (se {se})"
    );
    let (bw, bl) = (bic(runs, winner), bic(runs, loser));
    assert!(bw < bl, "{winner} vs {loser}: BIC {bw} vs {bl}");
}

#[test]
fn model_selection_picks_two_states_for_two_state_data() {
    let runs = observations(&moderate(), 100, 100, 21);
    prefers(&runs, ModelKind::Hmm(2), ModelKind::Hmm(1));
    prefers(&runs, ModelKind::Hmm(2), ModelKind::Ar1);
    // A third state may fit noise: on held-out runs it gains no more than noise (3 SE),
    // and BIC does not take it.
    let (gain, se) = held_out_gain(&runs, ModelKind::Hmm(3), ModelKind::Hmm(2));
    assert!(gain < 3.0 * se, "hmm(3) over hmm(2): {gain} (se {se})");
    assert!(bic(&runs, ModelKind::Hmm(2)) < bic(&runs, ModelKind::Hmm(3)));
}

#[test]
fn model_selection_picks_ar1_for_a_drifting_gain() {
    let truth = Ar1 {
        intercept: -0.02,
        slope: 0.98,
        sd: 0.1,
        initial_mean: 0.0,
        initial_sd: 1.0,
    };
    let runs = truth.simulate(&[100; 100], &mut ChaCha8Rng::seed_from_u64(22));
    prefers(&runs, ModelKind::Ar1, ModelKind::Hmm(2));
}

#[test]
fn model_selection_picks_three_states_for_three_state_data() {
    let runs = observations(&dense3(), 100, 100, 23);
    prefers(&runs, ModelKind::Hmm(3), ModelKind::Hmm(2));
}

#[test]
fn ar1_is_recovered_within_5_asymptotic_se() {
    let truth = Ar1 {
        intercept: -0.05,
        slope: 0.9,
        sd: 0.2,
        initial_mean: 1.0,
        initial_sd: 0.5,
    };
    let runs = truth.simulate(&[100; 200], &mut ChaCha8Rng::seed_from_u64(31));
    let f = Ar1::fit(&runs).unwrap().model;
    // Least squares: SE(φ) = s/√Sxx, SE(c) = s·√(1/n + x̄²/Sxx), SE(s) ≈ s/√(2n);
    // m0 and s0 from 200 first records: s0/√200 and s0/√400.
    let xs: Vec<f64> = runs
        .iter()
        .flat_map(|r| r[..r.len() - 1].to_vec())
        .collect();
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    within_5_se("φ", f.slope, truth.slope, truth.sd / sxx.sqrt());
    within_5_se(
        "c",
        f.intercept,
        truth.intercept,
        truth.sd * (1.0 / n + mx * mx / sxx).sqrt(),
    );
    within_5_se("s", f.sd, truth.sd, truth.sd / (2.0 * n).sqrt());
    within_5_se(
        "m0",
        f.initial_mean,
        truth.initial_mean,
        0.5 / 200f64.sqrt(),
    );
    within_5_se("s0", f.initial_sd, truth.initial_sd, 0.5 / 400f64.sqrt());
    let ll: f64 = runs.iter().map(|r| f.log_likelihood(r)).sum();
    assert!((ll - Ar1::fit(&runs).unwrap().log_likelihood).abs() < 1e-9 * ll.abs());
    assert!(ll >= runs.iter().map(|r| truth.log_likelihood(r)).sum::<f64>());
}

#[test]
fn occupancy_of_simulated_paths_follows_the_chain() {
    // P(s_t = 1) = (π·A^t)_1 for the moderate chain, within 5 binomial SE at each t.
    let m = moderate();
    let (states, _) = m.simulate(&[40; 2000], &mut ChaCha8Rng::seed_from_u64(41));
    let occ = occupancy(&states, 1, 41);
    assert!(occ[40].is_nan(), "no run has 41 records");
    let mut law = m.initial.clone();
    for (t, &o) in occ.iter().take(40).enumerate() {
        let se = (law[1] * (1.0 - law[1]) / 2000.0).sqrt();
        within_5_se(&format!("P(s_{t} = 1)"), o, law[1], se);
        law = vec![
            law[0] * m.transition[0][0] + law[1] * m.transition[1][0],
            law[0] * m.transition[0][1] + law[1] * m.transition[1][1],
        ];
    }
    let first = first_passage(&states, 1);
    assert_eq!(first.len(), 2000);
    for (path, f) in states.iter().zip(&first) {
        match f {
            Some(t) => assert!(path[*t] == 1 && path[..*t].iter().all(|&s| s == 0)),
            None => assert!(path.iter().all(|&s| s == 0)),
        }
    }
}

#[test]
fn fits_are_the_same_bits_for_any_thread_count_and_kernel() {
    // 200 runs: several E-step chunks, so the chunked reduction is exercised.
    let runs = observations(&moderate(), 200, 60, 51);
    let runs3 = observations(&dense3(), 200, 60, 52);
    let in_pool = |threads: usize, k: usize, data: &[Vec<f64>], options: &FitOptions| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| fit(data, k, options).unwrap())
    };
    let o = FitOptions::default();
    let general = FitOptions {
        specialised: false,
        ..FitOptions::default()
    };
    for (k, data) in [(2, &runs), (3, &runs3)] {
        let one = in_pool(1, k, data, &o);
        assert_eq!(one, in_pool(2, k, data, &o));
        assert_eq!(
            one.log_likelihood.to_bits(),
            in_pool(2, k, data, &o).log_likelihood.to_bits()
        );
        // The kernel compiled for k gives the general loop's bits.
        assert_eq!(one, in_pool(2, k, data, &general));
    }
    let boot = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| bootstrap(&runs, 2, &o, 8, 3).unwrap())
    };
    assert_eq!(boot(1), boot(2));
    let cv = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| cross_validate(&runs, ModelKind::Hmm(2), 4, &o).unwrap())
    };
    assert_eq!(cv(1), cv(2));
}

#[test]
fn bad_input_gets_a_clear_error() {
    let o = FitOptions::default();
    let ok = vec![vec![0.0, 1.0, 2.0], vec![-1.0, 0.5]];
    let err = |r: Result<vanish::dynamics::hmm::HmmFit, String>| r.unwrap_err();
    assert!(err(fit(&ok, 0, &o)).contains("1 to 8 states"));
    assert!(err(fit(&ok, 9, &o)).contains("1 to 8 states"));
    assert!(err(fit(&[], 2, &o)).contains("no observations"));
    assert!(err(fit(&[vec![], vec![]], 2, &o)).contains("no observations"));
    let nan = err(fit(&[vec![0.0, 1.0], vec![2.0, f64::NAN]], 2, &o));
    assert!(nan.contains("record 1 of run 1 is NaN"), "{nan}");
    assert!(err(fit(&[vec![f64::INFINITY]], 1, &o)).contains("finite"));
    let few = err(fit(&[vec![1.0, 1.0, 2.0, 2.0]], 3, &o));
    assert!(few.contains("3 states need at least 3 distinct"), "{few}");
    let zero_iter = FitOptions {
        max_iterations: 0,
        ..FitOptions::default()
    };
    assert!(err(fit(&ok, 2, &zero_iter)).contains("max_iterations"));
    assert!(
        cross_validate(&ok, ModelKind::Hmm(1), 1, &o)
            .unwrap_err()
            .contains("folds")
    );
    assert!(
        cross_validate(&ok, ModelKind::Hmm(1), 3, &o)
            .unwrap_err()
            .contains("folds")
    );
    assert!(
        bootstrap(&ok, 1, &o, 0, 1)
            .unwrap_err()
            .contains("replicates")
    );
    assert!(
        Ar1::fit(&[vec![1.0], vec![2.0]])
            .unwrap_err()
            .contains("two records")
    );
    assert!(
        Ar1::fit(&[vec![1.0, 2.0], vec![1.0, 3.0]])
            .unwrap_err()
            .contains("lagged")
    );
    assert!(
        Ar1::fit(&[vec![1.0, f64::NAN]])
            .unwrap_err()
            .contains("finite")
    );
    // A one-state fit is the sample mean and the ML standard deviation.
    let one = fit(&ok, 1, &o).unwrap().model;
    assert!((one.means[0] - 0.5).abs() < 1e-12);
    assert!((one.sds[0] - 1.0f64.sqrt()).abs() < 1e-12, "{:?}", one.sds);
}

/// Runs `scripts/oracle_hmm.py` on `runs`; `None` when hmmlearn is not installed.
fn hmmlearn_fit(runs: &[Vec<f64>], k: usize) -> Option<serde_json::Value> {
    let have = std::process::Command::new("python3")
        .args(["-c", "import hmmlearn"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!(
            "skipped: hmmlearn oracle (python3 -c 'import hmmlearn' failed; pip install hmmlearn)"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("runs.csv");
    let mut text = String::from("run,step,y\n");
    for (r, run) in runs.iter().enumerate() {
        for (t, y) in run.iter().enumerate() {
            text += &format!("{r},{t},{y:?}\n");
        }
    }
    std::fs::write(&csv, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/oracle_hmm.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&csv)
        .arg(k.to_string())
        .arg("4")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn hmmlearn_agrees_on_likelihood_and_parameters() {
    // hmmlearn loops over runs in Python, so few long runs: 20 runs × 200 records.
    let sticky3 = model(
        &[0.6, 0.3, 0.1],
        &[&[0.9, 0.08, 0.02], &[0.05, 0.9, 0.05], &[0.02, 0.08, 0.9]],
        &[1.0, -1.0, -3.0],
        &[0.5, 0.6, 0.5],
    );
    for (k, truth, seed) in [(2, moderate(), 61), (3, sticky3, 62)] {
        let runs = observations(&truth, 20, 200, seed);
        let Some(theirs) = hmmlearn_fit(&runs, k) else {
            return;
        };
        let floats =
            |key: &str| -> Vec<f64> { serde_json::from_value(theirs[key].clone()).unwrap() };
        let transition: Vec<Vec<f64>> =
            serde_json::from_value(theirs["transition"].clone()).unwrap();
        let their_model = GaussianHmm::new(
            floats("initial"),
            transition,
            floats("means"),
            floats("sds"),
        )
        .unwrap();
        let score = theirs["log_likelihood"].as_f64().unwrap();
        // 1. Our forward algorithm on their parameters gives their score (an independent
        //    implementation of the same likelihood): 1e-9 relative.
        let their_ll: f64 = runs.iter().map(|r| their_model.log_likelihood(r)).sum();
        assert!(
            (their_ll - score).abs() <= 1e-9 * score.abs(),
            "{their_ll} vs {score}"
        );
        // 2. EM finds local optima, so the rule is: our best fit is at least as likely as
        //    theirs, up to the convergence tolerance (1e-6 relative) …
        let ours = fit(&runs, k, &FitOptions::default()).unwrap();
        let ll = ours.log_likelihood;
        assert!(
            ll >= their_ll - 1e-6 * ll.abs(),
            "k={k}: ours {ll} < theirs {their_ll}"
        );
        // 3. … and when both reached the same optimum (1e-6 relative), the parameters agree
        //    to 1e-4 (both stop on a likelihood change, not on the parameters).
        if (ll - their_ll).abs() <= 1e-6 * ll.abs() {
            let m = &ours.model;
            let gap = (0..k)
                .flat_map(|i| {
                    let row = (0..k).map(move |j| (i, j));
                    [
                        (m.means[i] - their_model.means[i]).abs(),
                        (m.sds[i] - their_model.sds[i]).abs(),
                        (m.initial[i] - their_model.initial[i]).abs(),
                    ]
                    .into_iter()
                    .chain(
                        row.map(|(i, j)| (m.transition[i][j] - their_model.transition[i][j]).abs()),
                    )
                })
                .fold(0.0, f64::max);
            eprintln!(
                "k={k}: LL ours {ll}, hmmlearn {their_ll} (their score {score}); \
                 largest parameter gap {gap:.2e}"
            );
            let close = |what: &str, a: f64, b: f64| {
                assert!(
                    (a - b).abs() < 1e-4,
                    "k={k} {what}: ours {a} vs hmmlearn {b}"
                )
            };
            for i in 0..k {
                close("mean", m.means[i], their_model.means[i]);
                close("sd", m.sds[i], their_model.sds[i]);
                close("initial", m.initial[i], their_model.initial[i]);
                for j in 0..k {
                    close(
                        "transition",
                        m.transition[i][j],
                        their_model.transition[i][j],
                    );
                }
            }
        } else {
            eprintln!("k={k}: ours {ll} beats hmmlearn {their_ll} (another local optimum)");
        }
    }
}
