//! `vanish markov` and the chain fit: known chains are recovered within their intervals,
//! an absorbing chain gives escape 0 with the exact bound, and the order and homogeneity
//! tests detect what they are built to detect.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vanish::dynamics::markov::ChainFit;

use crate::util::{vanish, within_5_se};

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// `runs` runs of `len` states from a two-state chain with P(0→1) = a, P(1→0) = b,
/// starting in 0.
fn chain(a: f64, b: f64, runs: usize, len: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..runs)
        .map(|_| {
            let mut s = 0;
            (0..len)
                .map(|_| {
                    let now = s;
                    let u = uniform(&mut rng);
                    s = match s {
                        0 => usize::from(u < a),
                        _ => usize::from(u >= b),
                    };
                    now
                })
                .collect()
        })
        .collect()
}

#[test]
fn iid_states_are_recovered_within_their_intervals() {
    // iid states with P(1) = 0.3: a chain with p01 = p11 = 0.3, π = (0.7, 0.3).
    let runs = chain(0.3, 0.7, 300, 100, 1);
    let fit = ChainFit::new(&runs, 2);
    for (i, j, truth) in [(0, 1, 0.3), (1, 1, 0.3), (0, 0, 0.7), (1, 0, 0.7)] {
        let n: u64 = fit.counts[i].iter().sum();
        let se = (truth * (1.0 - truth) / n as f64).sqrt();
        within_5_se(&format!("p{i}{j}"), fit.p[i][j], truth, se);
        let (lo, hi) = fit.intervals[i][j];
        assert!(lo < fit.p[i][j] && fit.p[i][j] < hi);
    }
    let pi = fit.stationary().unwrap();
    assert!((pi[1] - 0.3).abs() < 0.02, "{pi:?}");
    // A first-order (here even zeroth-order) chain: the order and homogeneity tests see
    // nothing at this fixed seed.
    assert!(fit.order_test().p_value > 1e-3, "{:?}", fit.order_test());
    assert_eq!(fit.order_test().df, 2);
    assert!(fit.homogeneity_test().p_value > 1e-3);
}

#[test]
fn an_absorbing_chain_has_no_escape_and_the_exact_bound() {
    let a = 0.05;
    let runs = chain(a, 0.0, 400, 80, 2);
    let fit = ChainFit::new(&runs, 2);
    let e = fit.escape().unwrap();
    assert_eq!(e.escapes, 0);
    assert_eq!(e.trials, fit.counts[1][1]);
    assert!((e.upper_95 - (1.0 - 0.05f64.powf(1.0 / e.trials as f64))).abs() < 1e-15);
    assert_eq!(fit.stationary().unwrap(), vec![0.0, 1.0]);
    let (mean, (lo, hi)) = fit.time_to_absorption().unwrap();
    assert!(lo < 1.0 / a && 1.0 / a < hi, "{mean} [{lo}, {hi}]");
    // The first-vanish times are geometric: the χ² test accepts at this seed, and the
    // Kaplan–Meier curve follows (1 − a)^t within 5 of its (Greenwood-free, binomial) SE.
    let g = fit.geometric_fit().unwrap();
    assert!(g.p_value > 1e-3, "{g:?}");
    for s in fit.survival().iter().filter(|s| s.t <= 40) {
        let truth = (1.0 - a).powf(s.t as f64);
        let se = (truth * (1.0 - truth) / 400.0).sqrt();
        within_5_se(&format!("S({})", s.t), s.survival, truth, se);
    }
}

#[test]
fn second_order_and_drifting_chains_are_detected() {
    // Second order: the next state repeats the one before the current one with prob. 0.9.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let runs: Vec<Vec<usize>> = (0..100)
        .map(|_| {
            let mut s = vec![0, 1];
            while s.len() < 100 {
                let back = s[s.len() - 2];
                let u = uniform(&mut rng);
                s.push(if u < 0.9 { back } else { 1 - back });
            }
            s
        })
        .collect();
    let fit = ChainFit::new(&runs, 2);
    assert!(fit.order_test().p_value < 1e-6, "{:?}", fit.order_test());
    // Held-out runs prefer the second order by many standard errors, and so does BIC.
    let c = vanish::dynamics::markov::OrderComparison::new(&runs, 2, 5).unwrap();
    assert!(c.margin.0 > 5.0 * c.margin.1 && c.bic.1 < c.bic.0, "{c:?}");
    // A first-order chain: the second order gains nothing beyond noise, and BIC prefers
    // the first.
    let first = chain(0.3, 0.4, 100, 100, 11);
    let c = vanish::dynamics::markov::OrderComparison::new(&first, 2, 5).unwrap();
    assert!(c.margin.0 < 3.0 * c.margin.1 && c.bic.0 < c.bic.1, "{c:?}");
    // Drift: p01 = 0.1 in the first half of each run, 0.5 in the second.
    let runs: Vec<Vec<usize>> = (0..200)
        .map(|_| {
            let mut s = 0;
            (0..60)
                .map(|t| {
                    let now = s;
                    let a = if t < 30 { 0.1 } else { 0.5 };
                    s = usize::from(uniform(&mut rng) < if s == 0 { a } else { 0.5 });
                    now
                })
                .collect()
        })
        .collect();
    let fit = ChainFit::new(&runs, 2);
    assert!(
        fit.homogeneity_test().p_value < 1e-6,
        "{:?}",
        fit.homogeneity_test()
    );
}

/// `vanish markov --json ARGS FILE`, its JSON.
fn markov_json(args: &[&str], file: &std::path::Path) -> serde_json::Value {
    let assert = vanish()
        .args(["markov", "--json"])
        .args(args)
        .arg(file)
        .assert()
        .success();
    serde_json::from_slice(&assert.get_output().stdout).unwrap()
}

/// `vanish markov ARGS FILE` exits 2 with one line that names `flag` first.
fn markov_refuses(args: &[&str], file: &std::path::Path, flag: &str) {
    vanish()
        .arg("markov")
        .args(args)
        .arg(file)
        .assert()
        .code(2)
        .stderr(predicates::str::starts_with(format!("error: {flag}")));
}

fn write_csv(path: &std::path::Path, runs: &[Vec<usize>]) {
    let mut text = String::from("run,step,gain\n");
    // Rows shuffled across runs: the reader sorts them by step.
    for t in (0..runs[0].len()).rev() {
        for (r, run) in runs.iter().enumerate() {
            let gain = if run[t] == 1 { "1e-9" } else { "0.5" };
            text.push_str(&format!("run{r},{},{gain}\n", 5 * t));
        }
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn markov_cli_fits_a_trajectories_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("t.csv");
    let runs = chain(0.05, 0.0, 100, 50, 4);
    write_csv(&file, &runs);
    let out = tmp.path().join("out");
    vanish()
        .args(["markov", "--state", "gain < 1e-6", "--json", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("markov.json")).unwrap()).unwrap();
    let fit = ChainFit::new(&runs, 2);
    assert_eq!(j["counts"], serde_json::json!(fit.counts));
    assert_eq!(j["escape"]["escapes"], 0);
    assert_eq!(j["runs"], 100);
    let survival = std::fs::read_to_string(out.join("survival.csv")).unwrap();
    assert!(survival.starts_with("t,at_risk,events,km_survival,geometric_survival\n"));
    // Three states by bins, and a NaN that cuts a run short.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("run0,1000,nan\nrun0,1005,0.5\n");
    std::fs::write(&file, text).unwrap();
    let j = markov_json(&["--bins", "gain: 1e-6, 0.1"], &file);
    assert_eq!(j["states"].as_array().unwrap().len(), 3);
    assert_eq!(j["diverged_runs"], 1);
    assert!(j["escape"].is_null());
    // Bad rules and files: exit 2, one line naming the flag.
    for (args, flag) in [
        (vec!["--state", "gain ~ 1"], "--state"),
        (vec!["--state", "nope < 1"], "FILE"),
        (vec!["--state", "gain < 1e-6", "--leave", "1e-9"], "--leave"),
        (
            vec!["--state", "gain < 1e-6", "--converged", "loss < 1"],
            "--converged",
        ),
        (
            vec!["--state", "gain < 1e-6", "--converged", "plateau(0, 2)"],
            "--converged",
        ),
        (
            vec!["--state", "gain < 1e-6", "--tolerance", "2"],
            "--tolerance",
        ),
        (vec!["--bins", "gain: 1, 0.5"], "--bins"),
    ] {
        markov_refuses(&args, &file, flag);
    }
}

#[test]
fn runs_that_start_vanished_are_not_censored_survivors() {
    let fit = ChainFit::new(&[vec![1, 1, 1], vec![0, 1, 1], vec![0, 0, 0]], 2);
    assert_eq!(fit.started_elsewhere(), 1);
    assert_eq!(fit.never_vanished(), 1);
    assert_eq!(fit.first_vanish_times().collect::<Vec<_>>(), vec![1]);
    assert_eq!(fit.survival()[0].at_risk, 2);
}

#[test]
fn the_geometric_fit_has_its_nominal_size() {
    // 2000 absorbing chains (40 runs of 30 records, p01 = 0.02): the test at level 0.05
    // must reject 5 % of them, within 5 binomial SE.
    let reps = 2000;
    let rejections = (0..reps)
        .filter(|&r| {
            let fit = ChainFit::new(&chain(0.02, 0.0, 40, 30, 1000 + r), 2);
            fit.geometric_fit().is_some_and(|g| g.p_value < 0.05)
        })
        .count();
    let rate = rejections as f64 / reps as f64;
    within_5_se("size", rate, 0.05, (0.05f64 * 0.95 / reps as f64).sqrt());
}

#[test]
fn the_stationary_law_of_a_slowly_mixing_chain_is_solved_exactly() {
    // Long blocks of states 0, 1, 2 (off-diagonal probabilities near 1e-5): power iteration
    // would not settle; the linear solve gives π with π·P = π.
    let mut run = Vec::new();
    for _ in 0..3 {
        run.extend(std::iter::repeat_n(0, 50_000));
        run.extend(std::iter::repeat_n(1, 30_000));
        run.extend(std::iter::repeat_n(2, 20_000));
    }
    let fit = ChainFit::new(&[run], 3);
    let pi = fit.stationary().unwrap();
    assert!((pi.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    for j in 0..3 {
        let image: f64 = (0..3).map(|i| pi[i] * fit.p[i][j]).sum();
        assert!((image - pi[j]).abs() < 1e-12, "{pi:?}");
    }
    // A cycle 0 → 1 → 2 → 0: π_i ∝ 1/(1 − p_ii), the mean time spent in i per visit.
    let w: Vec<f64> = (0..3).map(|i| 1.0 / (1.0 - fit.p[i][i])).collect();
    let total: f64 = w.iter().sum();
    for i in 0..3 {
        assert!((pi[i] - w[i] / total).abs() < 1e-9, "{pi:?}");
    }
}

#[test]
fn markov_refuses_ambiguous_files_and_names_bin_states_neutrally() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("t.csv");
    for (text, what) in [
        ("run,step,gain\na,0,1\na,1,1e-9\na,1,1e-9\n", "twice"),
        ("run,step,gain\na,0,1\na,nan,1e-9\n", "not finite"),
    ] {
        std::fs::write(&file, text).unwrap();
        vanish()
            .args(["markov", "--state", "gain < 1e-6"])
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(what));
    }
    std::fs::write(&file, "run,step,gain\na,0,1\na,1,1e-9\nb,0,1e-9\nb,1,1\n").unwrap();
    let assert = vanish()
        .args(["markov", "--json", "--bins", "gain: 1e-6"])
        .arg(&file)
        .assert()
        .success();
    let j: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(j["states"], serde_json::json!(["s0", "s1"]));
    assert!(j["escape"].is_null() && j["first_vanish"].is_null());
    vanish()
        .args(["markov", "--bins", "gain: 1e-6", "--state", "gain < 1"])
        .arg(&file)
        .assert()
        .code(2);
}

/// Gains of runs from a two-state chain: 1 in [g≫0], 1e-9 in [g∼0], each times a log-normal
/// flicker of `flicker` decades.
fn gains(runs: &[Vec<usize>], flicker: f64, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    runs.iter()
        .map(|r| {
            r.iter()
                .map(|&s| {
                    let u = uniform(&mut rng) - 0.5;
                    10f64.powf(if s == 1 { -9.0 } else { 0.0 } + 2.0 * flicker * u)
                })
                .collect()
        })
        .collect()
}

#[test]
fn hysteresis_ignores_flicker_and_a_single_threshold_is_its_special_case() {
    use vanish::dynamics::states::StateRule;
    // A gain drifting in a flat band around the threshold: a single threshold sees many
    // "escapes", the band none, and the verdict is inconclusive (no run crossed the band).
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let flat: Vec<Vec<f64>> = (0..48)
        .map(|_| {
            let mut lg = -6.0 + 0.3 * (uniform(&mut rng) - 0.5);
            (0..40)
                .map(|_| {
                    lg += 0.1 * (uniform(&mut rng) - 0.5);
                    10f64.powf(lg)
                })
                .collect()
        })
        .collect();
    let single = StateRule::parse("gain < 1e-6", Some(1e-6), None).unwrap();
    let band = StateRule::parse("gain < 1e-6", None, None).unwrap();
    assert_eq!(band.leave, 1e-3);
    let fit_of = |rule: &StateRule| {
        let seqs: Vec<Vec<usize>> = flat.iter().map(|v| rule.sequence(v, None).states).collect();
        (ChainFit::new(&seqs, 2), seqs)
    };
    let (f1, s1) = fit_of(&single);
    // The single threshold is exactly the per-record comparison.
    for (v, s) in flat.iter().zip(&s1) {
        let plain: Vec<usize> = v.iter().map(|&g| usize::from(g < 1e-6)).collect();
        assert_eq!(&plain, s);
    }
    assert!(
        f1.counts[1][0] > 5,
        "flicker makes escapes: {:?}",
        f1.counts
    );
    let (f2, s2) = fit_of(&band);
    assert_eq!(f2.counts[1][0], 0);
    let crossings = flat
        .iter()
        .filter(|v| band.sequence(v, None).crossed_down)
        .count();
    assert_eq!(crossings, 0);
    let t = vanish::dynamics::oneway::one_way(&f2, &s2, crossings, 1e-3, 200, 1);
    assert_eq!(
        t.verdict,
        vanish::dynamics::oneway::Verdict::Inconclusive,
        "{}",
        t.reason
    );
}

#[test]
fn the_verdict_follows_the_escape_rate_against_the_tolerance() {
    use vanish::dynamics::oneway::{Verdict, one_way};
    use vanish::dynamics::states::StateRule;
    let rule = StateRule::parse("gain < 1e-6", None, None).unwrap();
    let verdict = |b: f64, seed: u64| {
        let states = chain(0.05, b, 60, 200, seed);
        let values = gains(&states, 1.0, seed + 1);
        let seqs: Vec<_> = values.iter().map(|v| rule.sequence(v, None)).collect();
        // The band recovers the latent chain: flicker of ±1 decade never crosses it.
        for (s, truth) in seqs.iter().zip(&states) {
            assert_eq!(&s.states, truth);
        }
        let chain_states: Vec<Vec<usize>> = seqs.iter().map(|s| s.states.clone()).collect();
        let crossings = seqs.iter().filter(|s| s.crossed_down).count();
        one_way(
            &ChainFit::new(&chain_states, 2),
            &chain_states,
            crossings,
            1e-3,
            300,
            seed,
        )
    };
    assert_eq!(verdict(0.0, 1).verdict, Verdict::OneWay);
    assert_eq!(verdict(0.05, 2).verdict, Verdict::NotOneWay);
    // At the tolerance itself, "not one-way" is a false alarm: it must be rare (the
    // interval is a 95 % one, so at most 2.5 % + 5 binomial SE over 100 seeds).
    let reps = 100;
    let alarms = (0..reps)
        .filter(|&s| verdict(1e-3, 100 + s).verdict == Verdict::NotOneWay)
        .count();
    let limit = 0.025 + 5.0 * (0.025f64 * 0.975 / reps as f64).sqrt();
    assert!(
        (alarms as f64 / reps as f64) <= limit,
        "{alarms} false alarms"
    );
}

#[test]
fn convergence_is_absorbing_and_a_plateau_counts_only_while_alive() {
    use vanish::dynamics::states::{ALIVE, CONVERGED, FirstEvent, StateRule, VANISHED};
    let target = StateRule::parse("gain < 1e-6", None, Some("loss < 0.1")).unwrap();
    let gain = [1.0, 1.0, 1e-8, 1e-8, 1.0];
    let loss = [1.0, 0.5, 0.3, 0.05, 0.01];
    let s = target.sequence(&gain, Some(&loss));
    assert_eq!(s.states, [ALIVE, ALIVE, VANISHED, CONVERGED]);
    assert_eq!(s.first_event(), Some(FirstEvent::Vanished(2)));
    assert_eq!(s.chain_states(), [ALIVE, ALIVE, VANISHED]);
    let s = target.sequence(&[1.0, 1.0, 1.0], Some(&[1.0, 0.05, 0.01]));
    assert_eq!(s.first_event(), Some(FirstEvent::Converged(1)));
    // A plateau of 2 records against the 2 before: converged at record 3 while alive,
    // but not while vanished.
    let plateau = StateRule::parse("gain < 1e-6", None, Some("plateau(2, 0.01)")).unwrap();
    let flat_loss = [1.0, 1.0, 1.0, 1.0, 1.0];
    let s = plateau.sequence(&[1.0; 5], Some(&flat_loss));
    assert_eq!(s.first_event(), Some(FirstEvent::Converged(3)));
    let s = plateau.sequence(&[1.0, 1e-8, 1e-8, 1e-8, 1e-8], Some(&flat_loss));
    assert_eq!(s.first_event(), Some(FirstEvent::Vanished(1)));
    assert!(!s.states.contains(&CONVERGED));
    // A diverged run ends at its last finite record.
    let s = target.sequence(&[1.0, 1.0, f64::NAN], Some(&[1.0, 1.0, f64::NAN]));
    assert_eq!(s.first_event(), Some(FirstEvent::Diverged(1)));
}

#[test]
fn markov_fits_latent_models_competing_risks_and_checks_them_on_a_known_hmm() {
    // 60 runs of 80 records from a two-state HMM on log10 g (sticky [g≫0] at 0, absorbing
    // [g∼0] at −9, sd 0.7), plus a loss that falls below 0.1 in a third of the runs.
    use vanish::dynamics::hmm::GaussianHmm;
    let truth = GaussianHmm::new(
        vec![1.0, 0.0],
        vec![vec![0.97, 0.03], vec![0.0, 1.0]],
        vec![0.0, -9.0],
        vec![0.7, 0.7],
    )
    .unwrap();
    let mut rng = vanish::mc::rng::block_rng(3, 0, 0);
    let (states, y) = truth.simulate(&vec![80; 60], &mut rng);
    let mut text = String::from("run,step,probe_gain,loss\n");
    for (r, run) in y.iter().enumerate() {
        for (t, v) in run.iter().enumerate() {
            let loss = if r % 3 == 0 && t >= 40 { 0.05 } else { 1.0 };
            text.push_str(&format!("{r},{},{},{loss}\n", 10 * t, 10f64.powf(*v)));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("t.csv");
    std::fs::write(&file, text).unwrap();
    let out = tmp.path().join("out");
    vanish()
        .args(["markov", "--converged", "loss < 0.1", "--replicates", "100"])
        .args(["--tolerance", "0.01", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("markov.json")).unwrap()).unwrap();
    // The true family wins on held-out runs; the latent escape is 0 within its interval.
    let latent = &j["latent"];
    assert_eq!(latent["winner"], "hmm(2)", "{latent}");
    let a10 = &latent["two_state_hmm"]["transition"][1][0];
    assert!(a10["ci95"][0].as_f64().unwrap() <= 0.0 + 1e-12, "{a10}");
    let a01 = &latent["two_state_hmm"]["transition"][0][1];
    let (lo, hi) = (
        a01["ci95"][0].as_f64().unwrap(),
        a01["ci95"][1].as_f64().unwrap(),
    );
    assert!(lo <= 0.03 && 0.03 <= hi, "a01 {a01}");
    // The model is true, so the observed occupancy lies in its 95 % band at most records.
    assert!(latent["posterior_check_coverage"]["hmm"].as_f64().unwrap() >= 0.8);
    // Competing risks: the runs that converge before vanishing are counted as converged.
    let first_vanish: Vec<Option<usize>> = states
        .iter()
        .map(|s| s.iter().position(|&x| x == 1))
        .collect();
    let converged_first = (0..60)
        .filter(|&r| r % 3 == 0 && first_vanish[r].is_none_or(|t| t >= 40))
        .count();
    assert_eq!(j["first_events"]["converged"]["runs"], converged_first);
    let cr = &j["competing_risks"]["causes"]["converged"]["incidence_by_T"]["estimate"];
    assert!((cr.as_f64().unwrap() - converged_first as f64 / 60.0).abs() < 1e-12);
    // The verdict: no escape in ~2500 records in [g∼0]: p10 < 0.0015 (95 %), below τ = 0.01.
    assert_eq!(j["one_way"]["verdict"], "one-way", "{}", j["one_way"]);
    for name in ["viterbi.csv", "ppc.csv", "risks.csv", "survival.csv"] {
        assert!(out.join(name).exists(), "{name}");
    }
    let viterbi = std::fs::read_to_string(out.join("viterbi.csv")).unwrap();
    // Viterbi recovers the hidden states of nearly every record (the means are 13 sd apart).
    let wrong = viterbi
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<usize> = l.split(',').map(|v| v.parse().unwrap()).collect();
            states[f[0]][f[1] / 10] != f[2]
        })
        .count();
    assert_eq!(wrong, 0);
}

#[test]
fn the_order_and_homogeneity_tests_hold_their_size_and_flag_sparse_counts() {
    // 1000 homogeneous first-order chains (40 runs of 50 records, p01 = 0.3, p10 = 0.4):
    // each test at level 0.05 rejects 5 % of them, within 5 binomial SE.
    let reps = 1000;
    let (mut order, mut homogeneity) = (0, 0);
    for r in 0..reps {
        let fit = ChainFit::new(&chain(0.3, 0.4, 40, 50, 5000 + r), 2);
        assert!(fit.order_test().chi2_reliable() && fit.homogeneity_test().chi2_reliable());
        order += usize::from(fit.order_test().p_value < 0.05);
        homogeneity += usize::from(fit.homogeneity_test().p_value < 0.05);
    }
    let se = (0.05f64 * 0.95 / reps as f64).sqrt();
    within_5_se("order test size", order as f64 / reps as f64, 0.05, se);
    within_5_se(
        "homogeneity size",
        homogeneity as f64 / reps as f64,
        0.05,
        se,
    );
    // A sparse chain (p01 = 0.02, p10 = 0.01, 20 runs of 30 records) has expected counts
    // below 5: the tests say their χ² p-values are only indicative.
    let fit = ChainFit::new(&chain(0.02, 0.01, 20, 30, 9), 2);
    let t = fit.order_test();
    assert!(t.df > 0 && !t.chi2_reliable(), "{t:?}");
}

#[test]
fn bins_keep_every_transition_and_fixes_from_the_hostile_pass_hold() {
    use vanish::dynamics::states::{FirstEvent, StateRule};
    // Four states by bins: every transition counted (a state numbered 2 is not
    // [converged] there).
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("t.csv");
    let mut text = String::from("run,step,gain\n");
    let levels = [1.0, 1e-4, 1e-7, 1e-10, 1e-7, 1e-4];
    for r in 0..3 {
        for (t, g) in levels.iter().enumerate() {
            text.push_str(&format!("{r},{t},{g}\n"));
        }
    }
    std::fs::write(&file, text).unwrap();
    let j = markov_json(&["--bins", "gain: 1e-9, 1e-6, 1e-3"], &file);
    assert_eq!(j["transitions"], 15);
    // Bins with hysteresis or [converged], and too few replicates, are refused.
    for (args, flag) in [
        (vec!["--bins", "gain: 1e-6", "--leave", "1e-3"], "--bins"),
        (
            vec!["--bins", "gain: 1e-6", "--converged", "gain < 1"],
            "--bins",
        ),
        (
            vec!["--state", "gain < 1e-6", "--replicates", "1"],
            "--replicates",
        ),
    ] {
        markov_refuses(&args, &file, flag);
    }
    // A rising loss is not a plateau; a NaN loss cuts the run as diverged.
    let plateau = StateRule::parse("gain < 1e-6", None, Some("plateau(2, 0.01)")).unwrap();
    let rising = [1.0, 1.05, 1.1, 1.16, 1.22, 1.28];
    assert_eq!(
        plateau.sequence(&[1.0; 6], Some(&rising)).first_event(),
        Some(FirstEvent::Censored(5))
    );
    let s = plateau.sequence(&[1.0; 4], Some(&[1.0, 0.5, f64::NAN, 0.1]));
    assert!(s.cut_by_nan);
    assert_eq!(s.first_event(), Some(FirstEvent::Diverged(1)));
    // The default band is for gains only.
    let sat = StateRule::parse("saturated > 0.5", None, None).unwrap();
    assert!(!sat.has_band());
    // Runs without records do not count as started in [g∼0].
    let fit = ChainFit::new(&[vec![], vec![1, 1], vec![0, 1]], 2);
    assert_eq!(fit.started_elsewhere(), 1);
}
