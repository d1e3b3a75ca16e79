//! ln f'(x) against 50-digit mpmath values (scripts/reference/make_reference.py): every
//! activation, extreme x, n and a.

use vanish::model::activation::Activation;

#[test]
fn ln_derivative_matches_high_precision_reference() {
    let text = include_str!("../data/ln_derivative_reference.csv");
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (a, n, x): (f64, f64, f64) = (
            f[1].parse().unwrap(),
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
        );
        let reference: f64 = f[4].parse().unwrap();
        let act = match f[0] {
            "tanh" => Activation::scaled_tanh(a, n).unwrap(),
            "sigmoid" => Activation::Sigmoid,
            other => panic!("unknown activation {other}"),
        };
        let got = act.ln_derivative(x);
        assert!(got.is_finite(), "{line}: not finite");
        // f' to a few ulps ⟺ |Δ ln f'| ≤ a few ε; relative once |ln f'| > 1.
        let err = (got - reference).abs() / (f64::EPSILON * reference.abs().max(1.0));
        worst = worst.max(err);
        assert!(err <= 4.0, "{line}: got {got:e}, {err:.1} ulps");
        checked += 1;
    }
    assert!(checked > 500, "only {checked} reference rows");
    eprintln!("ln_derivative: worst error {worst:.2} ulps over {checked} points");
}

#[test]
fn ln_derivative_is_relatively_exact_near_zero() {
    // ln sech²(u) = −u² + u⁴/6 − 2u⁶/45 + 17u⁸/1260 − …: no cancellation near 0
    // (a = n = 1, so no ln(a·n) term).
    let f = Activation::scaled_tanh(1.0, 1.0).unwrap();
    for x in [1e-3f64, 1e-5, 1e-8, 1e-150] {
        let series = -x * x + x.powi(4) / 6.0 - 2.0 * x.powi(6) / 45.0 + 17.0 * x.powi(8) / 1260.0;
        assert!(((f.ln_derivative(x) - series) / series).abs() < 4.0 * f64::EPSILON);
    }
}
