//! exact's bracket lower ≤ p ≤ upper: against closed forms far below the range of f64, as
//! --tol tightens, and its flags.

use crate::util::{refused, vanish};
use vanish::methods::bracket::{Accuracy, TailBracket, exact_brackets};
use vanish::methods::law::FactorLaw;
use vanish::model::activation::Activation;

/// ln of the binomial tail P(J ≥ m) for J ~ Binomial(K, w), summed in the log domain.
fn ln_binomial_at_least(m: u64, k: u64, w: f64) -> f64 {
    let ln_pmf = |j: u64| {
        let mut ln = 0.0;
        for i in 0..j {
            ln += ((k - i) as f64).ln() - ((i + 1) as f64).ln();
        }
        ln + j as f64 * w.ln() + (k - j) as f64 * (1.0 - w).ln()
    };
    let terms: Vec<f64> = (m..=k).map(ln_pmf).collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

fn holds(b: &TailBracket, ln_truth: f64, what: &str) {
    // The bounds hold on p (the check allows the last bits of the logs' rounding).
    let slack = 1e-12 * ln_truth.abs().max(1.0);
    assert!(
        b.lower.ln_p <= ln_truth + slack && ln_truth <= b.upper.ln_p + slack,
        "{what}: ln p = {ln_truth} outside [{}, {}]",
        b.lower.ln_p,
        b.upper.ln_p
    );
    assert!(b.lower.ln_p <= b.estimate.ln_p && b.estimate.ln_p <= b.upper.ln_p);
}

#[test]
fn two_point_mixtures_are_binomial_tails_down_to_1e_minus_300_and_far_below() {
    // x = 0 (weight w) gives Y = ln 2, x = 1.5 gives y1 = ln f'(1.5): ln g explodes iff
    // enough factors sit at 0, a binomial tail. K = 1000, w = 0.3 reaches 10^-523: only
    // its log10 exists.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let (c, y1) = (f.ln_derivative(0.0), f.ln_derivative(1.5));
    for (w, depth) in [(0.3, 20u64), (0.05, 25), (0.02, 200), (0.3, 1000)] {
        let d = format!("mix({w}*point(0), {}*point(1.5))", 1.0 - w)
            .parse()
            .unwrap();
        let law = FactorLaw::new(&f, &d).unwrap();
        // Thresholds half way between two attainable values of ln g, so that the count
        // that explodes is exact: ln g = j·c + (K − j)·y1 > le ⟺ j ≥ m.
        let m = depth - depth / 10;
        let between = |j: u64| j as f64 * c + (depth - j) as f64 * y1;
        let le = 0.5 * (between(m) + between(m - 1));
        let lv = 0.5 * (between(2) + between(1));
        let acc = Accuracy::default();
        let (v, e) = exact_brackets(&law, depth as u32, lv, le, &acc);
        let ln_explode = ln_binomial_at_least(m, depth, w);
        holds(&e, ln_explode, &format!("explode w={w} K={depth}"));
        // Vanish: fewer than 2 factors at 0, i.e. 1 − P(J ≥ 2).
        let ln_not_vanish = ln_binomial_at_least(2, depth, w);
        assert!(
            v.upper.ln_complement <= ln_not_vanish + 1e-9
                && ln_not_vanish <= v.lower.ln_complement + 1e-9,
            "vanish w={w} K={depth}: {v:?} vs ln(1-p) {ln_not_vanish}"
        );
        // Between atoms the lattice puts no mass: the estimate is the truth.
        let rel = (e.estimate.ln_p - ln_explode).abs() / ln_explode.abs();
        assert!(rel < 1e-9, "w={w} K={depth}: {e:?} vs {ln_explode}");
        if ln_explode < -700.0 {
            assert_eq!(e.estimate.p(), 0.0, "below f64: only the log holds");
            assert!(e.estimate.log10_p() < -300.0);
        }
    }
}

#[test]
fn the_bracket_holds_and_shrinks_as_tol_tightens() {
    // n = 2, σ = 1, K = 20: P(vanish) ≈ 0.9458, P(explode) ≈ 1.49e-29. Each bracket holds,
    // so every tighter one lies inside... the truth, which lies in all of them: they
    // intersect, and the widths fall with --tol.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (lv, le) = ((1e-6f64).ln(), (1e6f64).ln());
    let mut last: Option<(TailBracket, TailBracket)> = None;
    for tol in [1e-1, 1e-2, 2e-3] {
        let (v, e) = exact_brackets(&law, 20, lv, le, &Accuracy::new(tol, 1024.0).unwrap());
        for (b, name) in [(&v, "vanish"), (&e, "explode")] {
            assert!(b.met, "{name} at tol {tol}: {b:?}");
            assert!(b.relative_width() <= tol, "{name}: {}", b.relative_width());
        }
        if let Some((pv, pe)) = last {
            for (a, b) in [(pv, v), (pe, e)] {
                // The brackets intersect, the finer is narrower, and its estimate lies
                // in the coarser bracket.
                assert!(a.lower.ln_p <= b.upper.ln_p && b.lower.ln_p <= a.upper.ln_p);
                assert!(b.relative_width() < a.relative_width());
                assert!(a.lower.ln_p <= b.estimate.ln_p && b.estimate.ln_p <= a.upper.ln_p);
            }
        }
        last = Some((v, e));
    }
    let (v, e) = last.unwrap();
    // The estimates, extrapolated with the observed order (≈ 1.5 near the cap).
    assert!(
        (v.estimate.complement() / 5.423_416e-2 - 1.0).abs() < 1e-5,
        "{v:?}"
    );
    assert!((e.estimate.p() / 1.487_9e-29 - 1.0).abs() < 1e-3, "{e:?}");
    let q = e.order.expect("the lattices converge");
    assert!((1.3..1.7).contains(&q), "order {q}");
}

#[test]
fn a_memory_cap_gives_a_wider_bracket_that_still_holds_and_says_so() {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (lv, le) = ((1e-6f64).ln(), (1e6f64).ln());
    let tight = Accuracy::new(1e-3, 256.0).unwrap();
    let (_, fine) = exact_brackets(&law, 20, lv, le, &tight);
    let capped = Accuracy::new(1e-3, 1.0).unwrap();
    let (_, coarse) = exact_brackets(&law, 20, lv, le, &capped);
    assert!(!coarse.met && coarse.relative_width() > 1e-3, "{coarse:?}");
    // The capped bracket contains the fine one's estimate.
    assert!(coarse.lower.ln_p <= fine.estimate.ln_p && fine.estimate.ln_p <= coarse.upper.ln_p);
}

#[test]
fn tails_of_10_to_the_minus_thousands_are_told_in_log10() {
    // K = 10^4: P(explode) is far below f64; sim prints 10^-… and JSON has log10 values.
    let out = vanish()
        .args([
            "sim",
            "--depth",
            "10000",
            "--samples",
            "1000",
            "--method",
            "exact",
        ])
        .args(["--json", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["methods"]["exact"]["explode"];
    assert!(e["p"].is_null() && e["p_na"].is_string(), "{e}");
    let (lo, est, hi) = (
        e["log10_lower"].as_f64().unwrap(),
        e["log10_p"].as_f64().unwrap(),
        e["log10_upper"].as_f64().unwrap(),
    );
    assert!(lo <= est && est <= hi && est < -1000.0, "{e}");
    // The saddlepoint's far tail agrees with the log to a small fraction of a decade.
    let text = vanish()
        .args([
            "sim",
            "--depth",
            "10000",
            "--samples",
            "1000",
            "--method",
            "exact",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("10^-"), "{text}");
    assert!(text.contains("exact bracket (holds)"), "{text}");
}

#[test]
fn bad_tol_and_memory_are_refused_naming_the_flag() {
    for bad in ["0", "1", "-0.001", "2", "nan"] {
        refused(&["sim", "--method", "exact", "--tol", bad], "--tol");
    }
    for bad in ["0", "0.01", "-5", "inf"] {
        refused(
            &["sim", "--method", "exact", "--exact-memory", bad],
            "--exact-memory",
        );
    }
}

#[test]
fn every_reference_tail_lies_in_its_bracket_and_the_estimate_far_inside_it() {
    // tests/data/tail_reference.csv: 276 tails (n ∈ {1, 1.81, 2, 4}, σ ∈ {0.5, 1, 2},
    // K ∈ {20, 50, 1000}, p from 1e-2 to 1e-100) by numerical Laplace inversion in
    // Python (scripts/reference/make_tail_reference.py), sharing nothing with the lattice.
    let (mut inside, mut above, mut below, mut worst) = (0, 0, 0, 0.0f64);
    let mut rows = vec![];
    // Every third case (all n, σ, K and tails appear), to keep the test short.
    for c in crate::saddle::cases().into_iter().step_by(3) {
        let f = Activation::scaled_tanh(1.0, c.n).unwrap();
        let x = format!("normal(0,{})", c.sigma).parse().unwrap();
        let law = FactorLaw::new(&f, &x).unwrap();
        let (v, e) = if c.lower {
            exact_brackets(&law, c.depth, c.s, f64::INFINITY, &Accuracy::default())
        } else {
            exact_brackets(&law, c.depth, f64::NEG_INFINITY, c.s, &Accuracy::default())
        };
        let b = if c.lower { v } else { e };
        // The reference's own uncertainty: its distance from the same inversion at twice
        // the step.
        let own = (c.p - c.p_coarse).abs() / c.p;
        let ln = c.p.ln();
        let slack = own + 1e-12;
        let ok = b.lower.ln_p <= ln + slack && ln <= b.upper.ln_p + slack;
        inside += usize::from(ok);
        let err = b.estimate.ln_p - ln;
        if err > own {
            above += 1;
        } else if err < -own {
            below += 1;
        }
        worst = worst.max(err.abs());
        // The estimate errs by far less than the bracket's width: the old estimate's bias
        // was a fifth of its stated ±, this one's is below a hundredth of the width.
        assert!(
            err.abs() <= 0.01 * b.relative_width() + own,
            "n={} σ={} K={}: estimate off by {err:e}, width {}",
            c.n,
            c.sigma,
            c.depth,
            b.relative_width()
        );
        rows.push(format!(
            "n={} σ={} K={} {} p={:.6e}: est {:+.1e}, width {:.1e}{}",
            c.n,
            c.sigma,
            c.depth,
            if c.lower { "lower" } else { "upper" },
            c.p,
            err,
            b.relative_width(),
            if ok { "" } else { "  OUTSIDE" }
        ));
    }
    eprintln!("{}", rows.join("\n"));
    eprintln!(
        "inside {inside} of {}; estimate above {above}, below {below}; worst {worst:.1e}",
        rows.len()
    );
    assert_eq!(inside, rows.len(), "every reference lies in its bracket");
}

#[test]
fn table_takes_tol_and_rel_err_records_them_and_refuses_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t");
    let args = |out: &std::path::Path| {
        let mut v: Vec<String> = ["table", "--n", "1,2", "--depth", "20", "--samples", "1000"]
            .map(String::from)
            .to_vec();
        v.extend(
            [
                "--method",
                "exact,is",
                "--tol",
                "1e-3",
                "--exact-memory",
                "1024",
            ]
            .map(String::from),
        );
        v.extend(["--rel-err", "0.05"].map(String::from));
        v.extend([
            "--quiet".to_string(),
            "--out".into(),
            out.display().to_string(),
        ]);
        v
    };
    let ok = vanish().args(args(&out)).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["grid"]["exact_tol"], 1e-3);
    assert_eq!(manifest["grid"]["is_rel_err"], 0.05);
    let mut reader = csv::Reader::from_path(out.join("table.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let row = reader.records().nth(1).unwrap().unwrap();
    let col = |name: &str| {
        let i = header.iter().position(|h| h == name).unwrap();
        row[i].parse::<f64>().unwrap()
    };
    // n = 2: P(explode) ≈ 1.49e-29, within a bracket of relative width ≤ 1e-3.
    let (lo, est, hi) = (
        col("p_explode_exact_lower"),
        col("p_explode_exact"),
        col("p_explode_exact_upper"),
    );
    assert!(
        lo <= est && est <= hi && (hi - lo) / est <= 1e-3,
        "{lo} {est} {hi}"
    );
    // A finished journal rewrites its files from itself, the accuracy included.
    let again = vanish().args(args(&out)).arg("--resume").output().unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    for (flag, bad) in [
        ("--tol", "0"),
        ("--rel-err", "1"),
        ("--exact-memory", "0.001"),
    ] {
        refused(
            &["table", "--n", "1,2", "--method", "exact", flag, bad],
            flag,
        );
    }
}

#[test]
fn one_factor_and_laws_that_cannot_reach_a_threshold_are_exact() {
    // K = 1: P(f'(x) < 1e-6) = P(|x| > acosh(1/√(1e-6/2))/2) = erfc(that/√2) = 7.0753e-5.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (v, _) = exact_brackets(&law, 1, (1e-6f64).ln(), (1e6f64).ln(), &Accuracy::default());
    let truth = 7.075_340_109_974_42e-5;
    assert!(v.lower.p() <= truth && truth <= v.upper.p(), "{v:?}");
    assert!((v.estimate.p() / truth - 1.0).abs() < 1e-4, "{v:?}");
    // x never near 0: ln f' stays below ln f'(0.1) < ln 2, so 20 factors never pass 1e6;
    // x in [0.05, 0.1]: nor do they fall below 1e-6. Exactly 0, not "≈ 1" or "below f64".
    for (spec, vanish_zero) in [
        ("mix(0.3*point(0.1), 0.7*point(1.5))", false),
        ("uniform(0.05,0.1)", true),
    ] {
        let d = spec.parse().unwrap();
        let law = FactorLaw::new(&f, &d).unwrap();
        let (v, e) = exact_brackets(
            &law,
            20,
            (1e-6f64).ln(),
            (1e6f64).ln(),
            &Accuracy::default(),
        );
        assert_eq!(e.upper.p(), 0.0, "{spec}: {e:?}");
        assert_eq!(e.estimate.p(), 0.0, "{spec}");
        if vanish_zero {
            assert_eq!(v.upper.p(), 0.0, "{spec}: {v:?}");
        }
    }
    let out = vanish()
        .args([
            "sim",
            "--depth",
            "20",
            "-d",
            "uniform(0.05,0.1)",
            "--method",
            "exact",
        ])
        .args(["--samples", "1000"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text.lines().find(|l| l.starts_with("exact ")).unwrap();
    assert!(row.matches("0 (impossible)").count() == 2, "{text}");
}

#[test]
fn no_method_writes_nan_or_inf_as_a_value() {
    // Every number is a number; what has none is null (JSON) or empty (CSV) with a reason.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("all");
    let run = vanish()
        .args([
            "sim",
            "--depth",
            "50",
            "--samples",
            "20000",
            "--method",
            "all",
        ])
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for (method, v) in summary["methods"].as_object().unwrap() {
        for event in ["vanish", "explode"] {
            for (key, value) in v[event].as_object().unwrap() {
                assert!(
                    !matches!(value.as_str(), Some("nan" | "inf" | "-inf")),
                    "{method}.{event}.{key} = {value}"
                );
                if value.is_null() {
                    assert!(
                        v[event].get(format!("{key}_na")).is_some()
                            || v[event].get("ci95_na").is_some(),
                        "{method}.{event}.{key} is null without a reason"
                    );
                }
            }
        }
    }
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    for (name, cell) in header.iter().zip(row.iter()) {
        if name.starts_with("p_") {
            assert!(!["nan", "inf", "-inf"].contains(&cell), "{name} = {cell}");
        }
    }
}

#[test]
fn a_depth_beyond_the_lattice_is_unknown_never_certain() {
    // K = 10^5: 1 − P(vanish) ≈ 10^-15000 and P(explode) > 0. A bracket the memory cannot
    // resolve must say [0, 1] with no estimate, never an exact 0 or 1 (an earlier build
    // printed "1 (certain)").
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (v, e) = exact_brackets(
        &law,
        100_000,
        (1e-6f64).ln(),
        (1e6f64).ln(),
        &Accuracy::default(),
    );
    assert!(v.lower.ln_complement > f64::NEG_INFINITY, "{v:?}");
    assert!(e.upper.ln_p > f64::NEG_INFINITY, "{e:?}");
    for b in [v, e] {
        assert!(!b.met, "{b:?}");
        let w = b.relative_width();
        assert!(w.is_nan() || w > 1.0, "{b:?}");
    }
}
