//! The exact law of ln g (lattice + tilted FFT) against closed forms and Monte Carlo.

use crate::util::{tanh_experiment, within_5_se};
use vanish::mc::simulate::simulate;
use vanish::methods::law::{FactorLaw, exact_tails};
use vanish::model::activation::Activation;

fn ln_binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    let mut ln = 0.0;
    for i in 0..k {
        ln += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    ln + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()
}

#[test]
fn two_point_mixture_is_exactly_binomial_in_both_tails() {
    // Y = ln 2 (x = 0, weight w) or ln f'(1.5); ln g = j·ln 2 + (K − j)·ln f'(1.5).
    // (0.3, 20): 1 − P(vanish) ≈ 6e-5 and P(explode) = 0.3^20 ≈ 3.5e-11;
    // (0.05, 25): P(explode) = 0.05^25 ≈ 3e-33.
    for (w, depth) in [(0.3, 20u64), (0.05, 25)] {
        let n = 2.0;
        let f = Activation::scaled_tanh(1.0, n).unwrap();
        let d = format!("mix({w}*point(0), {}*point(1.5))", 1.0 - w)
            .parse()
            .unwrap();
        let law = FactorLaw::new(&f, &d).unwrap();
        let (lv, le) = ((1e-6f64).ln(), (1e6f64).ln());
        let (vanish, explode) = exact_tails(&law, depth as u32, lv, le);
        let (hi, lo) = (f.ln_derivative(0.0), f.ln_derivative(1.5));
        let (mut not_vanish, mut p_explode) = (0.0, 0.0);
        for j in 0..=depth {
            let ln_g = j as f64 * hi + (depth - j) as f64 * lo;
            // Far enough from the thresholds that the lattice cannot move a sum across.
            assert!((ln_g - lv).abs() > 0.02 && (ln_g - le).abs() > 0.02);
            let pj = ln_binomial_pmf(j, depth, w).exp();
            if ln_g >= lv {
                not_vanish += pj;
            }
            if ln_g > le {
                p_explode += pj;
            }
        }
        let rel = |a: f64, b: f64| (a / b - 1.0).abs();
        assert!(
            rel(vanish.complement, not_vanish) < 1e-9,
            "{vanish:?} vs {not_vanish}"
        );
        assert!(
            rel(explode.p, p_explode) < 1e-9,
            "{explode:?} vs {p_explode}"
        );
    }
}

#[test]
fn a_point_mass_is_exact() {
    // Every factor is ln f'(x0): ln g = K·ln f'(x0), on one side of each threshold.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    for (x0, depth, vanish, explode) in [
        (0.3, 50, 0.0, 1.0),
        (1.0, 10, 1.0, 0.0),
        (0.5, 40, 0.0, 0.0),
    ] {
        let d = format!("point({x0})").parse().unwrap();
        let ln_g = f64::from(depth) * f.ln_derivative(x0);
        assert!(
            (ln_g.abs() - 13.8155).abs() > 0.5,
            "x0 = {x0} too close to a threshold"
        );
        let (v, e) = exact_tails(
            &FactorLaw::new(&f, &d).unwrap(),
            depth,
            (1e-6f64).ln(),
            (1e6f64).ln(),
        );
        assert_eq!((v.p, e.p), (vanish, explode), "x0 = {x0}: ln g = {ln_g}");
    }
}

#[test]
fn exact_agrees_with_monte_carlo() {
    for (n, depth, spec, seed) in [
        (2.0, 50, "normal(0,0.4)", 21),
        (2.0, 50, "normal(0,0.5)", 22),
        (1.5, 100, "normal(0,0.45)", 24),
        (3.0, 30, "laplace(0,0.2)", 25),
    ] {
        let exp = tanh_experiment(n, spec, depth, 200_000, seed);
        let s = simulate(&exp, 0, &|_| {});
        let f = Activation::scaled_tanh(1.0, n).unwrap();
        let d = spec.parse().unwrap();
        let law = FactorLaw::new(&f, &d).unwrap();
        let (v, e) = exact_tails(&law, depth, (1e-6f64).ln(), (1e6f64).ln());
        let n = s.samples as f64;
        for (what, count, exact) in [("vanish", s.vanish, v), ("explode", s.explode, e)] {
            let p = exact.p;
            let se = (p * (1.0 - p) / n).sqrt().max(1.0 / n);
            within_5_se(&format!("{spec} {what}"), count as f64 / n, p, se);
            // The bracket (at the default --tol) is narrower than the Monte Carlo resolution.
            assert!(exact.error < se, "{spec} {what}: {exact:?}");
        }
    }
}

#[test]
fn the_seed_explosion_probability_is_about_1e_minus_14() {
    // n = 2, K = 50, x ~ N(0,1): no plain Monte Carlo run sees an explosion.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (v, e) = exact_tails(&law, 50, (1e-6f64).ln(), (1e6f64).ln());
    assert!(e.p > 1e-15 && e.p < 1e-13, "{e:?}");
    assert!(e.error < 5e-3 * e.p, "{e:?}");
    // 1 − P(vanish) = P(between) + P(explode) ≈ 5e-6: against 10⁶ Monte Carlo samples.
    let exp = tanh_experiment(2.0, "normal(0,1)", 50, 1_000_000, 23);
    let s = simulate(&exp, 0, &|_| {});
    let n = s.samples as f64;
    let p = v.complement;
    within_5_se(
        "1 - P(vanish)",
        (s.samples - s.vanish) as f64 / n,
        p,
        (p / n).sqrt(),
    );
}

#[test]
fn the_clt_is_wrong_in_the_far_tail_by_orders_of_magnitude() {
    // The normal approximation ignores the cap and the skew of ln f': at n = 2, K = 50,
    // x ~ N(0,1) it puts P(explode) near 1e-8, the exact law near 7e-15. A regression that
    // quietly "fixes" the CLT column would break this ratio.
    use vanish::methods::{Method, estimate};
    let exp = tanh_experiment(2.0, "normal(0,1)", 50, 1000, 1);
    let exact = estimate(Method::Exact, &exp);
    let clt = estimate(Method::Clt, &exp);
    let ratio = clt.explode.p / exact.explode.p;
    assert!(ratio > 1e5 && ratio < 1e8, "CLT/exact = {ratio:e}");
    // Even 1 − P(vanish) ≈ 5e-6, not a far tail, is off by more than a factor of 10.
    let bulk = clt.vanish.complement / exact.vanish.complement;
    assert!(bulk > 10.0, "{bulk}");
}

#[test]
fn saddlepoint_matches_exact_in_both_tails() {
    // Two independent algorithms (quadrature of κ and Lugannani–Rice; lattice and tilted
    // FFT) agree within 2 % from the bulk down to 1e-158. Observed: 0.02–2 %.
    use vanish::methods::saddle::Cgf;
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let (lv, le) = ((1e-6f64).ln(), (1e6f64).ln());
    for (spec, depth) in [
        ("normal(0,1)", 50),
        ("normal(0,0.4)", 50),
        ("normal(0,0.5)", 50),
        ("normal(0,1)", 1000),
        ("normal(0,0.3)", 1000),
        ("logistic(0,0.3)", 30),
    ] {
        let d = spec.parse().unwrap();
        let (v, e) = exact_tails(&FactorLaw::new(&f, &d).unwrap(), depth, lv, le);
        let cgf = Cgf::new(&f, &d).unwrap();
        let sv = cgf.tail(depth, lv, true);
        let se = cgf.tail(depth, le, false);
        // Every threshold here is within reach of the tilt.
        assert!(se.is_some() && sv.is_some(), "{spec}");
        // Compare the rare side of each event.
        for (what, exact, saddle) in [("vanish", v, sv), ("explode", e, se)] {
            let Some(saddle) = saddle else { continue };
            let (x, s) = if exact.p < 0.5 {
                (exact.p, saddle.p)
            } else {
                (exact.complement, saddle.complement)
            };
            if x > 1e-300 {
                assert!(
                    (s / x - 1.0).abs() < 0.02,
                    "{spec} K={depth} {what}: {s:e} vs {x:e}"
                );
            }
        }
    }
}

#[test]
fn importance_sampling_matches_exact_in_far_tails() {
    use vanish::methods::importance;
    use vanish::methods::saddle::Cgf;
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let (lv, le) = ((1e-6f64).ln(), (1e6f64).ln());
    // (spec, K, which tail): explode ≈ 7e-15 (tilt θ > 0, rejection from p); vanish ≈ 8e-6
    // and ≈ 1e-10 (θ < 0, the two-piece normal envelope).
    // The last two have x off-centre (μ ≠ 0), which the lower-tail envelope must handle.
    for (spec, depth, lower, (lv, le)) in [
        ("normal(0,1)", 50, false, (lv, le)),
        ("normal(0,0.4)", 50, true, (lv, le)),
        ("normal(0,0.35)", 100, true, (lv, le)),
        ("normal(-1,1)", 50, true, ((1e-95f64).ln(), le)),
        ("normal(0.5,1)", 50, true, ((1e-75f64).ln(), le)),
    ] {
        let d = spec.parse().unwrap();
        let (v, e) = exact_tails(&FactorLaw::new(&f, &d).unwrap(), depth, lv, le);
        let exact = if lower { v } else { e };
        let cgf = Cgf::new(&f, &d).unwrap();
        let s = if lower { lv } else { le };
        let is = importance::tail(&cgf, &d, depth, s, lower, 100_000, 3).unwrap();
        assert!(exact.p > 1e-15 && exact.p < 1e-2, "{spec}: {exact:?}");
        within_5_se(&format!("{spec} K={depth}"), is.p, exact.p, is.error);
        // 10⁵ tilted samples give a relative standard error of a few per cent at most.
        assert!(is.error < 0.05 * is.p, "{spec}: {is:?}");
    }
}

#[test]
fn exact_histogram_masses_match_the_law_and_the_samples() {
    use vanish::methods::law::exact_bin_masses;
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let spec = "normal(0,1)";
    let d = spec.parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    // Bins tiling [−200, cap] decades: all the mass, minus what the lattice could not place.
    let cap = 50.0 * 2f64.ln() / std::f64::consts::LN_10;
    let bins: Vec<(f64, f64)> = (0..2200)
        .map(|i| {
            (
                -200.0 + 0.1 * i as f64,
                (-200.0 + 0.1 * (i + 1) as f64).min(cap + 1.0),
            )
        })
        .filter(|b| b.0 < b.1)
        .collect();
    let (masses, unplaced) = exact_bin_masses(&law, 50, &bins);
    let total: f64 = masses.iter().sum();
    assert!(
        (total - 1.0).abs() < 1e-9 + unplaced,
        "total {total}, unplaced {unplaced}"
    );
    // Cumulative masses against Monte Carlo, 5 SE.
    let exp = tanh_experiment(2.0, spec, 50, 200_000, 31);
    let s = simulate(&exp, 0, &|_| {});
    let buckets = s.buckets();
    let bins: Vec<(f64, f64)> = buckets.iter().map(|b| (b.0, b.1)).collect();
    let (masses, _) = exact_bin_masses(&law, 50, &bins);
    let n = s.samples as f64;
    for cut in [-45.0, -35.0, -30.0, -25.0, -15.0] {
        let mc: u64 = buckets.iter().filter(|b| b.1 <= cut).map(|b| b.2).sum();
        let exact: f64 = bins
            .iter()
            .zip(&masses)
            .filter(|(b, _)| b.1 <= cut)
            .map(|(_, m)| m)
            .sum();
        let se = (exact * (1.0 - exact) / n).sqrt();
        within_5_se(&format!("P(log10 g < {cut})"), mc as f64 / n, exact, se);
    }
}

#[test]
fn saddlepoint_at_the_centre_uses_its_limit() {
    // At s = K·κ'(0) the Lugannani–Rice formula is 0/0; its limit must match the exact law
    // there (and be continuous with the formula just beside it).
    use vanish::methods::saddle::Cgf;
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let cgf = Cgf::new(&f, &d).unwrap();
    let depth = 50;
    let mean = 50.0 * cgf.at(0.0).unwrap().mean;
    let law = FactorLaw::new(&f, &d).unwrap();
    for s in [mean, mean + 1e-6, mean - 0.5, mean + 0.5] {
        let saddle = cgf.tail(depth, s, true).unwrap();
        let (exact, _) = exact_tails(&law, depth, s, 1e300f64.ln());
        assert!(
            (saddle.p - exact.p).abs() < 0.005,
            "s = {s}: {} vs {}",
            saddle.p,
            exact.p
        );
    }
}

#[test]
fn saddlepoint_reaches_every_threshold_its_law_allows() {
    // Laplace x: κ'(t) → −∞ as t approaches its floor −1/(2nb), so the lower tail is
    // reachable; Student's t: only t ≥ 0, so the upper (explode) tail.
    use vanish::methods::saddle::Cgf;
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    for (spec, depth, s, lower) in [
        ("laplace(0,1)", 50, (1e-50f64).ln(), true),
        ("student-t(3,1)", 30, (1e6f64).ln(), false),
    ] {
        let d = spec.parse().unwrap();
        let cgf = Cgf::new(&f, &d).unwrap();
        let saddle = cgf.tail(depth, s, lower).expect(spec);
        let law = FactorLaw::new(&f, &d).unwrap();
        let (v, e) = if lower {
            exact_tails(&law, depth, s, 1e300f64.ln())
        } else {
            exact_tails(&law, depth, -1e300, s)
        };
        let exact = if lower { v } else { e };
        assert!(
            (saddle.p / exact.p - 1.0).abs() < 0.02,
            "{spec}: {saddle:?} vs {exact:?}"
        );
    }
}

#[test]
fn exact_moves_smoothly_with_the_threshold() {
    // A threshold inside a lattice cell counts the cell in part: P(explode) must fall
    // steadily as the threshold rises, without the steps of a cell-by-cell count.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let p: Vec<f64> = (0..8)
        .map(|i| {
            exact_tails(&law, 50, -1e300, (1e6f64).ln() + 2e-4 * f64::from(i))
                .1
                .p
        })
        .collect();
    let steps: Vec<f64> = p.windows(2).map(|w| w[0] - w[1]).collect();
    let mean = steps.iter().sum::<f64>() / steps.len() as f64;
    for s in &steps {
        assert!(*s > 0.0 && (s / mean - 1.0).abs() < 0.5, "{steps:?}");
    }
}

#[test]
fn saddlepoint_is_accurate_just_beside_the_centre() {
    // Where 1/u − 1/w cancels (|t|·sd between 1e-4 and 1e-2) the expansion takes over.
    use vanish::methods::saddle::Cgf;
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "normal(0,1)".parse().unwrap();
    let cgf = Cgf::new(&f, &d).unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let mean = 50.0 * cgf.at(0.0).unwrap().mean;
    for delta in [-3e-3, -2e-3, 2e-3, 3e-3, 2e-2] {
        let s = mean + delta;
        let saddle = cgf.tail(50, s, true).unwrap();
        let (exact, _) = exact_tails(&law, 50, s, 1e300f64.ln());
        assert!(
            (saddle.p - exact.p).abs() < 5e-4,
            "δ = {delta}: {} vs {}",
            saddle.p,
            exact.p
        );
    }
}

#[test]
fn atoms_next_to_a_threshold_are_exact_or_covered_by_the_error() {
    let f = Activation::scaled_tanh(1.0, 1.0).unwrap();
    // A single point mass whose ln g sits 0.03 % below the threshold: exactly vanished.
    let d = "point(0.5)".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (v, _) = exact_tails(&law, 100, 3.690_841_3e-11f64.ln(), (1e6f64).ln());
    assert_eq!(v.p, 1.0);
    // Two atoms, the threshold 1e-6 above the sum with j = 10 of each: the lattice cannot
    // tell the side, so its error must cover the binomial truth.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = "mix(0.5*point(0.5), 0.5*point(0.6))".parse().unwrap();
    let law = FactorLaw::new(&f, &d).unwrap();
    let (y1, y2) = (f.ln_derivative(0.5), f.ln_derivative(0.6));
    let depth = 20u64;
    let lv = 10.0 * y1 + 10.0 * y2 + 1e-6;
    let (v, _) = exact_tails(&law, depth as u32, lv, (1e6f64).ln());
    let truth: f64 = (0..=depth)
        .filter(|&j| j as f64 * y1 + (depth - j) as f64 * y2 < lv)
        .map(|j| ln_binomial_pmf(j, depth, 0.5).exp())
        .sum();
    assert!((v.p - truth).abs() <= v.error + 1e-12, "{v:?} vs {truth}");
}
