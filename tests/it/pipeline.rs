//! The whole pipeline (kernel → summary → estimates) against exact answers: a point mass,
//! a two-point mixture (a binomial law, exactly), and normal x against quadrature.

use std::f64::consts::LN_10;

use crate::util::{tanh_experiment, within_5_se};
use vanish::mc::simulate::simulate;
use vanish::model::activation::Activation;
use vanish::output::results::SimResults;
use vanish::theory::iid::{MAX_GAUSS_HERMITE_ORDER, normal_expectation};

#[test]
fn point_mass_gives_exactly_k_ln_f_prime() {
    for (x0, n, depth) in [
        (0.0, 2.0, 50),
        (0.3, 2.0, 50),
        (1.7, 1.5, 200),
        (-0.5, 3.0, 7),
    ] {
        let exp = tanh_experiment(n, &format!("point({x0})"), depth, 10_000, 3);
        let s = simulate(&exp, 0, &|_| {});
        let f = Activation::scaled_tanh(1.0, n).unwrap();
        let exact = f64::from(depth) * f.ln_derivative(x0) / LN_10;
        let m = &s.log10_g;
        assert!(
            (m.mean() - exact).abs() <= 1e-12 * exact.abs().max(1.0),
            "{x0}"
        );
        assert!(m.variance() < 1e-20);
        // Quantiles sit within the histogram's resolution of the exact value.
        let resolution = 1e-3 * (s.log10_cap() - exact).max(1.0) + 1e-3;
        for q in [0.001, 0.5, 0.999] {
            assert!((s.quantile(q) - exact).abs() <= resolution, "{x0} q={q}");
        }
        let expected = if exact < -6.0 {
            (10_000, 0, 0)
        } else if exact > 6.0 {
            (0, 10_000, 0)
        } else {
            (0, 0, 10_000)
        };
        assert_eq!((s.vanish, s.explode, s.between), expected, "x0={x0}");
        let above = u64::from(f.ln_derivative(x0) > 0.0) * 10_000 * u64::from(depth);
        assert_eq!(s.factors.above_one, above);
    }
}

fn binomial_pmf(k: u64, n: u64, p: f64) -> f64 {
    let mut ln = 0.0;
    for i in 0..k {
        ln += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    (ln + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
}

#[test]
fn two_point_mixture_matches_the_binomial_law() {
    // x = 0 with probability w, else 1: ln g = j·ln 2 + (K − j)·ln f'(1), j ~ Bin(K, w).
    let (w, depth, n) = (0.75, 40u64, 2.0);
    let exp = tanh_experiment(
        n,
        &format!("mix({w}*point(0), {}*point(1))", 1.0 - w),
        depth as u32,
        400_000,
        11,
    );
    let results = SimResults::new(exp.clone(), simulate(&exp, 0, &|_| {}));
    let f = Activation::scaled_tanh(1.0, n).unwrap();
    let (hi, lo) = (f.ln_derivative(0.0), f.ln_derivative(1.0));
    let (mut p_vanish, mut p_explode, mut mean) = (0.0, 0.0, 0.0);
    for j in 0..=depth {
        let ln_g = j as f64 * hi + (depth - j) as f64 * lo;
        let pj = binomial_pmf(j, depth, w);
        mean += pj * ln_g / LN_10;
        if ln_g < 1e-6f64.ln() {
            p_vanish += pj;
        }
        if ln_g > 1e6f64.ln() {
            p_explode += pj;
        }
    }
    assert!(
        p_vanish > 0.01 && p_explode > 0.01,
        "{p_vanish} {p_explode}: a test with teeth"
    );
    for (name, est, truth) in [
        ("vanish", &results.vanish, p_vanish),
        ("explode", &results.explode, p_explode),
    ] {
        let se = (truth * (1.0 - truth) / est.trials as f64).sqrt();
        within_5_se(name, est.p, truth, se);
        assert!(est.clopper_pearson.0 < est.p && est.p < est.clopper_pearson.1);
    }
    let m = &results.summary.log10_g;
    within_5_se("mean log10 g", m.mean(), mean, m.std_error());
}

#[test]
fn normal_factors_match_gauss_hermite_quadrature() {
    for (n, sigma, mu) in [(2.0, 1.0, 0.0), (1.5, 0.7, 0.3), (1.0, 1.0, 0.0)] {
        let depth = 50;
        let exp = tanh_experiment(n, &format!("normal({mu},{sigma})"), depth, 100_000, 5);
        let s = simulate(&exp, 0, &|_| {});
        let f = Activation::scaled_tanh(1.0, n).unwrap();
        let order = MAX_GAUSS_HERMITE_ORDER;
        let mean = normal_expectation(|x| f.ln_derivative(x), mu, sigma, order);
        let var = normal_expectation(|x| (f.ln_derivative(x) - mean).powi(2), mu, sigma, order);
        let mu4 = normal_expectation(|x| (f.ln_derivative(x) - mean).powi(4), mu, sigma, order);
        let m = &s.factors.ln_derivative;
        let count = m.count() as f64;
        within_5_se("mean ln f'", m.mean(), mean, (var / count).sqrt());
        within_5_se(
            "var ln f'",
            m.variance(),
            var,
            ((mu4 - var * var) / count).sqrt(),
        );
        // ln g is a sum of K iid factors: its mean and variance follow exactly.
        let k = f64::from(depth);
        let g = &s.log10_g;
        within_5_se(
            "mean log10 g",
            g.mean(),
            k * mean / LN_10,
            (k * var / g.count() as f64).sqrt() / LN_10,
        );
    }
}

#[test]
fn relu_products_are_zero_unless_every_x_is_positive() {
    // g = 1 if all K draws are positive, else g = 0 exactly: P(between) = 2^−K.
    let depth = 3;
    let exp = vanish::model::experiment::Experiment::new(
        Activation::Relu,
        vanish::model::source::Source::Iid {
            dist: "normal(0,1)".parse().unwrap(),
        },
        depth,
        200_000,
        1e-6,
        1e6,
        8,
    )
    .unwrap();
    let r = SimResults::new(exp.clone(), simulate(&exp, 0, &|_| {}));
    let s = &r.summary;
    let p = 0.125;
    within_5_se(
        "P(between)",
        r.between.p,
        p,
        (p * (1.0 - p) / s.samples as f64).sqrt(),
    );
    assert_eq!(s.zero, s.vanish);
    assert_eq!(s.explode, 0);
    // Per factor: half the derivatives are 0, and they are all below 1/max f' = 1.
    let f = &s.factors;
    assert_eq!(f.below_inverse_max, f.zero);
    let half_se = (0.25 / f.total() as f64).sqrt();
    within_5_se("P(f' = 0)", f.zero as f64 / f.total() as f64, 0.5, half_se);
    assert_eq!(f.ln_derivative.mean(), 0.0);
    // Quantiles: the lower 7/8 are g = 0 (−∞), the top is g = 1 (log10 g = 0).
    assert_eq!(s.quantile(0.5), f64::NEG_INFINITY);
    assert!(s.quantile(0.99).abs() < 1e-3);
}

#[test]
fn factor_statistics_match_quadrature_for_every_family() {
    use vanish::output::results::FactorTheory;
    use vanish::theory::iid::expectation;
    for (n, spec) in [
        (2.0, "laplace(0,0.7)"),
        (1.5, "logistic(0.2,0.5)"),
        (3.0, "uniform(-1,2)"),
        (2.0, "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))"),
        (1.81, "mix(0.5*point(0.3), 0.5*laplace(1,0.4))"),
        // Steep: ln f' bends on a scale of 1/n = 0.01 around 0.
        (100.0, "normal(0,1)"),
        // Far from 0: ln f' ≈ −2|x| + 2 ln 2, whose variance is 4σ² = 4.
        (1.0, "normal(1e6,1)"),
        // Polynomial tails (the fourth moment of ln f' needs ν > 4).
        (2.0, "student-t(6,0.8)"),
    ] {
        let exp = tanh_experiment(n, spec, 20, 50_000, 17);
        let s = simulate(&exp, 0, &|_| {});
        let th = FactorTheory::for_experiment(&exp).unwrap();
        let dist = spec.parse().unwrap();
        let f = Activation::scaled_tanh(1.0, n).unwrap();
        let mean = th.mean_ln_derivative;
        let var = th.var_ln_derivative;
        let (mu4, _) = expectation(&dist, &|x| (f.ln_derivative(x) - mean).powi(4), 1e-10).unwrap();
        let m = &s.factors.ln_derivative;
        let count = m.count() as f64;
        within_5_se(
            &format!("{spec}: mean ln f'"),
            m.mean(),
            mean,
            (var / count).sqrt(),
        );
        within_5_se(
            &format!("{spec}: var ln f'"),
            m.variance(),
            var,
            ((mu4 - var * var) / count).sqrt(),
        );
        for (what, seen, p) in [
            ("f' > 1", s.factors.above_one, th.p_above_one.unwrap()),
            (
                "f' < 1/max",
                s.factors.below_inverse_max,
                th.p_below_inverse_max.unwrap(),
            ),
        ] {
            let frac = seen as f64 / count;
            within_5_se(
                &format!("{spec}: {what}"),
                frac,
                p,
                (p * (1.0 - p) / count).sqrt(),
            );
        }
    }
}

/// Summary quantiles against the exact order statistics of the raw ln g of the same
/// streams, within the width of the bucket each quantile falls in.
fn check_quantiles_against_raw(n: f64, dist: &str, depth: u32, blocks: u32, seed: u64) -> f64 {
    use vanish::mc::summary::FactorSums;
    let samples = u64::from(blocks) * 4096;
    let exp = tanh_experiment(n, dist, depth, samples, seed);
    let s = simulate(&exp, 0, &|_| {});
    let k = vanish::mc::simulate::kernel(&exp);
    let mut all = Vec::new();
    for b in 0..blocks {
        let mut ln_g = vec![0.0; 4096];
        let mut rng = vanish::mc::rng::block_rng(seed, 0, b);
        k.fill_block(&mut rng, &mut ln_g, &mut FactorSums::default());
        all.extend(ln_g.iter().map(|l| l / LN_10));
    }
    all.sort_by(f64::total_cmp);
    let mut widest: f64 = 0.0;
    for q in vanish::output::results::QUANTILES {
        let width = s.quantile_resolution(q);
        widest = widest.max(width);
        let rank = (q * samples as f64).ceil() as usize;
        let exact = all[rank - 1];
        let got = s.quantile(q);
        assert!(
            got == exact || (got - exact).abs() <= width,
            "{dist}, K={depth}, q={q}: {got} vs exact {exact} (bucket {width})"
        );
    }
    widest
}

#[test]
fn quantiles_match_exact_order_statistics_even_deep() {
    // K = 5000: log10 g sits ~1500 decades below the cap, with sd ~ 65 decades. Quantiles
    // must resolve the spread, not the distance from the cap.
    let widest = check_quantiles_against_raw(2.0, "normal(0,1)", 5000, 2, 4);
    assert!(
        widest < 0.65,
        "resolution {widest} against an sd of 65 decades"
    );
}

#[test]
fn quantiles_survive_heavy_tails() {
    // 1 % of x from a t with ν = 0.2: a few products are 10^(10^10) small; the bulk's
    // quantiles must stay sharp (the anchor is a median, not a mean).
    let dist = "mix(0.99*normal(0,1), 0.01*student-t(0.2,1))";
    check_quantiles_against_raw(2.0, dist, 50, 4, 6);
}

#[test]
fn points_on_the_thresholds_are_classified_as_the_kernel_does() {
    use vanish::output::results::FactorTheory;
    use vanish::theory::iid::{explode_threshold, vanish_threshold};
    for n in [2.0, 1.81, 3.0] {
        for x0 in [explode_threshold(1.0, n), vanish_threshold(1.0, n)] {
            let exp = tanh_experiment(n, &format!("point({x0:?})"), 5, 100, 1);
            let s = simulate(&exp, 0, &|_| {});
            let th = FactorTheory::for_experiment(&exp).unwrap();
            let total = s.factors.total() as f64;
            assert_eq!(th.p_above_one.unwrap(), s.factors.above_one as f64 / total);
            assert_eq!(
                th.p_below_inverse_max.unwrap(),
                s.factors.below_inverse_max as f64 / total
            );
        }
    }
}

#[test]
fn factor_skewness_matches_mpmath() {
    // mpmath (30 digits): skewness of ln f'(X), f = tanh(2x), X ~ N(0,1).
    let exp = tanh_experiment(2.0, "normal(0,1)", 50, 10, 1);
    let th = vanish::output::results::FactorTheory::for_experiment(&exp).unwrap();
    let skew = th.skewness_ln_derivative.unwrap();
    assert!(
        (skew / -1.351_020_406_587_038_7 - 1.0).abs() < 1e-10,
        "{skew}"
    );
}
