//! Competing risks (Aalen–Johansen) against hand computation, Kaplan–Meier, the empirical
//! fraction, the closed form of independent exponential risks, and lifelines.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vanish::dynamics::risks::{Outcome, RiskBands, RiskRow, aalen_johansen, bootstrap};

use crate::util::within_5_se;

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    // (0, 1]: safe under ln.
    ((rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
}

fn exponential(rng: &mut ChaCha8Rng, rate: f64) -> f64 {
    -uniform(rng).ln() / rate
}

/// Runs with independent exponential latent times for each cause (`rates`) and an
/// exponential censoring time (rate `censor`, 0 = none): the first of them wins.
fn exponential_runs(rates: &[f64], censor: f64, runs: usize, seed: u64) -> Vec<Outcome> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..runs)
        .map(|_| {
            let (cause, time) = rates
                .iter()
                .map(|&r| exponential(&mut rng, r))
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            let c = if censor > 0.0 {
                exponential(&mut rng, censor)
            } else {
                f64::INFINITY
            };
            if c < time {
                Outcome::censored(c)
            } else {
                Outcome::event(time, cause)
            }
        })
        .collect()
}

/// Runs with integer times in 1..=10 (many ties), `causes` causes, censored with
/// probability `censored`.
fn tied_runs(causes: usize, censored: f64, runs: usize, seed: u64) -> Vec<Outcome> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..runs)
        .map(|_| {
            let t = 1.0 + (rng.next_u64() % 10) as f64;
            if uniform(&mut rng) < censored {
                Outcome::censored(t)
            } else {
                Outcome::event(t, (rng.next_u64() % causes as u64) as usize)
            }
        })
        .collect()
}

/// The closed form for independent exponential risks: CIF_j(t) = λ_j/Λ·(1 − e^{−Λt}).
fn exponential_cif(rates: &[f64], j: usize, t: f64) -> f64 {
    let total: f64 = rates.iter().sum();
    rates[j] / total * (1.0 - (-total * t).exp())
}

fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (tolerance {tol:e})"
    );
}

#[test]
fn hand_computed_example_with_ties_and_censoring() {
    // t = 1: cause 0; t = 2: cause 0, cause 1 and a censored run (tied); t = 3: censored;
    // t = 4: two of cause 1; t = 5: censored; t = 6: cause 0.
    let runs = [
        Outcome::censored(2.0),
        Outcome::event(4.0, 1),
        Outcome::event(1.0, 0),
        Outcome::event(2.0, 1),
        Outcome::censored(5.0),
        Outcome::event(6.0, 0),
        Outcome::event(2.0, 0),
        Outcome::censored(3.0),
        Outcome::event(4.0, 1),
    ];
    let fit = aalen_johansen(&runs, 2).unwrap();
    assert_eq!(fit.runs(), 9);
    assert_eq!(fit.event_times(), &[1.0, 2.0, 4.0, 6.0]);
    // By hand:
    //   t=1: n=9 (all), d0=1:            F0 = 1/9,                  S = 8/9
    //   t=2: n=8 (censored-at-2 counts), d0=1, d1=1:
    //                                    F0 = 1/9 + 8/9·1/8 = 2/9,  F1 = 1/9,  S = 8/9·6/8 = 2/3
    //   t=4: n=4 (4, 4, 5, 6), d1=2:     F1 = 1/9 + 2/3·2/4 = 4/9,  S = 1/3
    //   t=6: n=1, d0=1:                  F0 = 2/9 + 1/3 = 5/9,       S = 0
    let expect = [
        (0.5, 9, [0.0, 0.0], 1.0),
        (1.0, 9, [1.0 / 9.0, 0.0], 8.0 / 9.0),
        (1.5, 8, [1.0 / 9.0, 0.0], 8.0 / 9.0),
        (2.0, 8, [2.0 / 9.0, 1.0 / 9.0], 2.0 / 3.0),
        (3.0, 5, [2.0 / 9.0, 1.0 / 9.0], 2.0 / 3.0),
        (4.0, 4, [2.0 / 9.0, 4.0 / 9.0], 1.0 / 3.0),
        (5.0, 2, [2.0 / 9.0, 4.0 / 9.0], 1.0 / 3.0),
        (6.0, 1, [5.0 / 9.0, 4.0 / 9.0], 0.0),
        (7.0, 0, [5.0 / 9.0, 4.0 / 9.0], 0.0),
    ];
    for (t, n, cif, s) in expect {
        assert_eq!(fit.at_risk(t), n, "at risk at {t}");
        for (j, want) in cif.into_iter().enumerate() {
            close(&format!("CIF_{j}({t})"), fit.cif(j, t), want, 1e-12);
        }
        close(&format!("S({t})"), fit.survival(t), s, 1e-12);
        assert_eq!(fit.never_by(t), fit.survival(t));
        close(
            "S + ΣCIF",
            fit.survival(t) + fit.cif(0, t) + fit.cif(1, t),
            1.0,
            1e-12,
        );
    }
    assert_eq!((fit.events_by(0, 2.0), fit.events_by(1, 4.0)), (2, 3));
    close("final 0", fit.final_incidence(0), 5.0 / 9.0, 1e-12);
    close("final 1", fit.final_incidence(1), 4.0 / 9.0, 1e-12);
    // CIF_0 reaches 1/2 at 6; CIF_1 never does.
    assert_eq!((fit.median_time(0), fit.median_time(1)), (Some(6.0), None));
    // Half the final value: 5/18 for cause 0 (first reached at 6), 2/9 for cause 1 (at 4).
    assert_eq!(fit.conditional_median_time(0), Some(6.0));
    assert_eq!(fit.conditional_median_time(1), Some(4.0));
    // Delta-method variance at t = 1 is the binomial one, (1/9)(8/9)/9; at t = 2 for
    // cause 1, by hand from the formula: the t=1 step has F(2) − F(1) = 1/9 and no cause-1
    // event: (1/9)²·1/(9·8); the t=2 step: (8/9)²·1·7/8³.
    close("Var F0(1)", fit.cif_variance(0, 1.0), 8.0 / 729.0, 1e-15);
    let v = (1.0 / 81.0) / 72.0 + (64.0 / 81.0) * 7.0 / 512.0;
    close("Var F1(2)", fit.cif_variance(1, 2.0), v, 1e-15);
    assert_eq!(fit.cif_variance(0, 0.5), 0.0);
}

#[test]
fn one_cause_is_one_minus_kaplan_meier() {
    let runs = tied_runs(1, 0.3, 500, 11);
    let fit = aalen_johansen(&runs, 1).unwrap();
    // Kaplan–Meier by its own definition: at each time with deaths, × (1 − d/n), n being
    // the runs whose time is ≥ t.
    let mut km = 1.0;
    let mut checked = 0;
    for t in 1..=10 {
        let t = f64::from(t);
        let n = runs.iter().filter(|o| o.time >= t).count() as f64;
        let d = runs
            .iter()
            .filter(|o| o.time == t && o.cause.is_some())
            .count() as f64;
        if d > 0.0 {
            km *= 1.0 - d / n;
        }
        for at in [t, t + 0.5] {
            close(&format!("CIF at {at}"), fit.cif(0, at), 1.0 - km, 1e-12);
            close(&format!("S at {at}"), fit.survival(at), km, 1e-12);
            checked += 1;
        }
    }
    assert_eq!(checked, 20);
}

#[test]
fn without_censoring_cif_is_the_empirical_fraction() {
    let runs = tied_runs(3, 0.0, 301, 12);
    let fit = aalen_johansen(&runs, 3).unwrap();
    let n = runs.len() as f64;
    for t in [0.0, 1.0, 2.5, 3.0, 7.0, 10.0, 11.0] {
        for j in 0..3 {
            let by_t = runs
                .iter()
                .filter(|o| o.time <= t && o.cause == Some(j))
                .count();
            close(
                &format!("CIF_{j}({t})"),
                fit.cif(j, t),
                by_t as f64 / n,
                1e-12,
            );
            assert_eq!(fit.events_by(j, t), by_t as u64);
        }
        let alive = runs.iter().filter(|o| o.time > t).count() as f64;
        close(&format!("S({t})"), fit.survival(t), alive / n, 1e-12);
    }
    // Without censoring the conditional median is the lower median of the cause's times.
    for j in 0..3 {
        let mut times: Vec<f64> = runs
            .iter()
            .filter(|o| o.cause == Some(j))
            .map(|o| o.time)
            .collect();
        times.sort_by(f64::total_cmp);
        let lower_median = times[times.len().div_ceil(2) - 1];
        assert_eq!(
            fit.conditional_median_time(j),
            Some(lower_median),
            "cause {j}"
        );
    }
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    let ok = [Outcome::event(1.0, 0), Outcome::censored(2.0)];
    let refused = |runs: &[Outcome], causes: usize, says: &str| {
        let e = aalen_johansen(runs, causes).unwrap_err();
        assert!(e.contains(says), "{e:?} should say {says:?}");
    };
    refused(&[], 2, "no runs");
    refused(&ok, 0, "causes must be at least 1");
    refused(
        &[Outcome::event(1.0, 0), Outcome::event(1.0, 2)],
        2,
        "run 1: cause 2",
    );
    refused(&[Outcome::censored(-1.0)], 1, "run 0: time -1");
    refused(&[Outcome::event(f64::NAN, 0)], 1, "time NaN");
    refused(&[Outcome::event(f64::INFINITY, 0)], 1, "time inf");
    let grid_refused = |grid: &[f64], replicates: usize, says: &str| {
        let e = bootstrap(&ok, 1, grid, replicates, 1).unwrap_err();
        assert!(e.contains(says), "{e:?} should say {says:?}");
    };
    grid_refused(&[], 10, "grid of times is empty");
    grid_refused(&[1.0, f64::NAN], 10, "grid time NaN");
    grid_refused(&[2.0, 1.0], 10, "strictly ascending");
    grid_refused(&[1.0], 0, "replicates must be between 1");
    assert!(
        bootstrap(&[], 1, &[1.0], 10, 1)
            .unwrap_err()
            .contains("no runs")
    );
}

const RATES: [f64; 2] = [1.0, 0.5];
const CENSOR: f64 = 0.3;
const TIMES: [f64; 5] = [0.1, 0.3, 0.7, 1.5, 3.0];

#[test]
fn exponential_risks_match_the_closed_form_within_5_se() {
    let runs = exponential_runs(&RATES, CENSOR, 4000, 21);
    let bands = bootstrap(&runs, 2, &TIMES, 400, 22).unwrap();
    let fit = &bands.estimate;
    // The bootstrap SD of B = 400 replicates has a relative SE of about 1/√(2B) = 3.5 %,
    // and delta and bootstrap differ by O(1/n) besides: 5 × 3.5 % ≈ 18 %.
    let relative = 5.0 / (2.0 * 400f64).sqrt();
    for (g, &t) in TIMES.iter().enumerate() {
        for j in 0..2 {
            let truth = exponential_cif(&RATES, j, t);
            let se = fit.cif_se(j, t);
            within_5_se(&format!("CIF_{j}({t})"), fit.cif(j, t), truth, se);
            let boot = bands.cif[j][g].se;
            assert!(
                (boot / se - 1.0).abs() <= relative,
                "CIF_{j}({t}): bootstrap SE {boot} vs delta SE {se}"
            );
        }
        let s = (-(RATES[0] + RATES[1]) * t).exp();
        within_5_se(&format!("S({t})"), fit.survival(t), s, bands.survival[g].se);
    }
    // CIF_0 → 2/3 reaches 1/2 where 1 − e^{−1.5t} = 3/4: t = ln 4 / 1.5 ≈ 0.924.
    // Its SE by the delta method: SE(CIF) / slope, the slope being λ_0·e^{−Λt}.
    let m = fit.median_time(0).unwrap();
    let se = fit.cif_se(0, m) / (RATES[0] * (-1.5 * m).exp());
    within_5_se("median time of CIF_0", m, 4f64.ln() / 1.5, se);
    let band = bands.median[0];
    assert!(
        band.lower.unwrap() <= m && m <= band.upper.unwrap(),
        "{band:?}"
    );
    // CIF_1 → 1/3 never reaches 1/2.
    assert_eq!(fit.median_time(1), None);
    assert_eq!(
        (bands.median[1].undefined, bands.median[1].lower),
        (400, None)
    );
    // Both causes share the conditional law: time ~ Exp(1.5) given either cause, so the
    // conditional median is ln 2 / 1.5 (follow-up ends near t = 5, where the missing
    // tail e^{−7.5} is negligible). SE from the width of the 95 % band: width / 3.92.
    for j in 0..2 {
        let b = bands.conditional_median[j];
        let se = (b.upper.unwrap() - b.lower.unwrap()) / 3.92;
        let m = fit.conditional_median_time(j).unwrap();
        within_5_se(&format!("conditional median {j}"), m, 2f64.ln() / 1.5, se);
    }
}

/// Coverage of the 95 % percentile band of CIF_j at TIMES over `seeds` data sets of `runs`
/// runs each; returns the worst coverage over (cause, time).
fn worst_coverage(seeds: u64, runs: usize, replicates: usize) -> f64 {
    let mut covered = vec![0u64; 2 * TIMES.len()];
    for seed in 0..seeds {
        let data = exponential_runs(&RATES, CENSOR, runs, 1000 + seed);
        let bands = bootstrap(&data, 2, &TIMES, replicates, seed).unwrap();
        for j in 0..2 {
            for (g, &t) in TIMES.iter().enumerate() {
                let truth = exponential_cif(&RATES, j, t);
                let b = bands.cif[j][g];
                covered[j * TIMES.len() + g] += u64::from(b.lower <= truth && truth <= b.upper);
            }
        }
    }
    let coverage: Vec<f64> = covered.iter().map(|&c| c as f64 / seeds as f64).collect();
    eprintln!("coverage of the 95 % bands (cause 0 then cause 1, at {TIMES:?}): {coverage:?}");
    coverage.into_iter().fold(1.0, f64::min)
}

#[test]
fn bootstrap_band_covers_the_truth_at_the_nominal_rate() {
    // 100 data sets: the binomial SE of a coverage of 0.95 is √(0.95·0.05/100) ≈ 0.022, so
    // 0.85 is 4.6 SE below nominal (per (cause, time); there are 10 of them).
    let worst = worst_coverage(100, 200, 400);
    assert!(worst >= 0.85, "worst coverage {worst}");
}

/// The bigger version: `cargo test --test tests risks::bootstrap_coverage_big -- --ignored`.
#[test]
#[ignore]
fn bootstrap_coverage_big() {
    // 2000 data sets: binomial SE ≈ 0.0049; 0.93 is 4 SE below nominal.
    let worst = worst_coverage(2000, 400, 1000);
    assert!(worst >= 0.93, "worst coverage {worst}");
}

#[test]
fn bootstrap_is_thread_count_invariant_and_a_function_of_the_seed() {
    let runs = tied_runs(3, 0.2, 300, 31);
    let grid = [1.0, 3.0, 5.0, 10.0];
    let run = |threads, seed| -> RiskBands {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| bootstrap(&runs, 3, &grid, 300, seed).unwrap())
    };
    let one = run(1, 5);
    assert_eq!(one, run(2, 5));
    assert_ne!(one.cif, run(2, 6).cif);
    // The table has one row per grid time, in the header's shape.
    let rows = one.rows();
    assert_eq!(rows.len(), grid.len());
    let header = RiskRow::csv_header(&["vanish", "converge", "diverge"]);
    assert!(rows.iter().all(|r| r.csv_record().len() == header.len()));
    assert_eq!(rows[1].cif[2], one.estimate.cif(2, 3.0));
    assert!(rows.iter().all(|r| {
        (0..3).all(|j| r.cif_band[j].lower <= r.cif[j] && r.cif[j] <= r.cif_band[j].upper)
    }));
}

#[test]
fn agrees_with_lifelines() {
    let python = std::process::Command::new("python3")
        .args(["-c", "import lifelines"])
        .output();
    if !matches!(&python, Ok(out) if out.status.success()) {
        eprintln!(
            "risks::agrees_with_lifelines skipped: `python3 -c 'import lifelines'` failed \
             (pip install lifelines to run it)"
        );
        return;
    }
    // Continuous times, so no ties: lifelines would jitter tied event times at random.
    let runs = exponential_runs(&[1.0, 0.5, 0.2], 0.4, 300, 41);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("runs.csv");
    let mut text = String::from("time,cause\n");
    for o in &runs {
        // lifelines: 0 = censored, 1.. = causes.
        let code = o.cause.map_or(0, |c| c + 1);
        text.push_str(&format!("{},{code}\n", o.time));
    }
    std::fs::write(&csv, text).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/oracle_risks.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fit = aalen_johansen(&runs, 3).unwrap();
    let (mut compared, mut worst_cif, mut worst_var) = (0, 0f64, 0f64);
    for j in 0..3 {
        let theirs = &json["causes"][(j + 1).to_string()];
        let times = theirs["times"].as_array().unwrap();
        assert_eq!(times.len(), fit.event_times().len(), "cause {j}");
        for (i, t) in times.iter().enumerate() {
            let t = t.as_f64().unwrap();
            assert_eq!(t, fit.event_times()[i]);
            let cif = theirs["cif"][i].as_f64().unwrap();
            close(&format!("CIF_{j}({t})"), fit.cif(j, t), cif, 1e-9);
            worst_cif = worst_cif.max((fit.cif(j, t) - cif).abs());
            if let Some(v) = theirs["variance"][i].as_f64() {
                worst_var = worst_var.max((fit.cif_variance(j, t) - v).abs());
                close(
                    &format!("Var CIF_{j}({t})"),
                    fit.cif_variance(j, t),
                    v,
                    1e-9,
                );
            }
            compared += 1;
        }
    }
    eprintln!(
        "lifelines {}: {compared} CIFs compared, max |ΔCIF| = {worst_cif:e}, \
         max |ΔVar| = {worst_var:e}",
        json["lifelines"]
    );
    assert!(compared > 600, "{compared}");
}
