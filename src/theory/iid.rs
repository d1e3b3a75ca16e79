//! Closed forms and quadrature: the thresholds of the thresholds answer's analysis and the moments of
//! ln f'(X) for normal X. Knows nothing of Monte Carlo.
//!
//! For f(x) = a·tanh(n·x), f'(x) = a·n·sech²(n·x), with peak a·n at x = 0:
//!
//! | threshold | meaning | closed form |
//! | --- | --- | --- |
//! | [`vanish_threshold`] t1 | f'(x) < 1/(a·n) for \|x\| > t1 | acosh(a·n)/n |
//! | [`explode_threshold`] e | f'(x) > 1 for \|x\| < e | acosh(√(a·n))/n |
//! | [`depth_threshold`] | f'(x)·(a·n)^{K−1} < 1 for \|x\| beyond it | acosh((a·n)^{K/2})/n |
//!
//! With a = 1 these are the thresholds answer's t1(n) = atanh(√(1−1/n²))/n, e(n) = atanh(√(1−1/n))/n and
//! atanh(√(1−1/n^K))/n.

use crate::model::activation::Activation;
use crate::model::distribution::PreActivation;

/// acosh(e^L) for L ≥ 0 without overflow: L + ln(1 + √(1 − e^{−2L})).
pub(crate) fn acosh_exp(ln_y: f64) -> f64 {
    if ln_y <= 0.0 {
        return 0.0;
    }
    if ln_y < 1.0 {
        // acosh(1 + m) = ln1p(m + √(m(m+2))) with m = e^L − 1: exact as L → 0.
        let m = ln_y.exp_m1();
        return (m + (m * (m + 2.0)).sqrt()).ln_1p();
    }
    ln_y + (1.0 + (1.0 - (-2.0 * ln_y).exp()).sqrt()).ln()
}

/// t1: beyond ±t1, f'(x) < 1/(a·n), so one such factor cancels a maximal one.
/// Zero when a·n ≤ 1 (then every x ≠ 0 qualifies).
///
/// ```
/// let t1 = vanish::theory::iid::vanish_threshold(1.0, 2.0);
/// assert!((t1 - 0.658_478_948_462_408).abs() < 1e-12);   // the answer's 0.658
/// ```
pub fn vanish_threshold(a: f64, n: f64) -> f64 {
    acosh_exp((a * n).ln()) / n
}

/// e: inside ±e, f'(x) > 1 (the explode side). Zero when a·n ≤ 1.
///
/// ```
/// let e = vanish::theory::iid::explode_threshold(1.0, 2.0);
/// assert!((e - 0.440_686_793_509_772).abs() < 1e-12);   // the answer's 0.441
/// ```
pub fn explode_threshold(a: f64, n: f64) -> f64 {
    acosh_exp(0.5 * (a * n).ln()) / n
}

/// Beyond ± this, one factor cancels K − 1 maximal ones: f'(x)·(a·n)^{K−1} < 1.
///
/// ```
/// let x = vanish::theory::iid::depth_threshold(1.0, 2.0, 50);
/// assert!((x - 9.0109).abs() < 1e-4);                    // the answer's 9.0 at K = 50
/// ```
pub fn depth_threshold(a: f64, n: f64, depth: u32) -> f64 {
    acosh_exp(0.5 * f64::from(depth) * (a * n).ln()) / n
}

/// The root of a decreasing function on (lo, hi) by bisection, to the last bit.
fn decreasing_root(h: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    crate::theory::roots::bisect(lo, hi, |x| Some(h(x) > 0.0)).expect("h always answers")
}

/// The slope n that widens ±t1 the most for amplitude a, and that t1: for a = 1,
/// n* ≈ 1.8102 and t1 ≈ 0.6627, the answer's "slightly larger interval" for continuous n.
///
/// t1 = acosh(y)/n with y = a·n, so dt1/dn = 0 ⟺ y/√(y²−1) = acosh(y), whose left side
/// falls and right side rises in y: one root y*, and n* = y*/a.
///
/// ```
/// let (n, t1) = vanish::theory::iid::widest_vanish_threshold(1.0);
/// assert!((n - 1.8102).abs() < 1e-4 && (t1 - 0.6627).abs() < 1e-4);
/// ```
pub fn widest_vanish_threshold(a: f64) -> (f64, f64) {
    let y = decreasing_root(|y| y / (y * y - 1.0).sqrt() - y.acosh(), 1.0, 100.0);
    let n = y / a;
    (n, vanish_threshold(a, n))
}

/// The slope n that widens ±e the most for amplitude a, and that e.
///
/// e = acosh(y)/n with y = √(a·n), so de/dn = 0 ⟺ y/(2√(y²−1)) = acosh(y); n* = y*²/a.
pub fn widest_explode_threshold(a: f64) -> (f64, f64) {
    let y = decreasing_root(|y| y / (2.0 * (y * y - 1.0).sqrt()) - y.acosh(), 1.0, 100.0);
    let n = y * y / a;
    (n, explode_threshold(a, n))
}

/// The largest Gauss–Hermite order computed reliably: beyond it the recurrence underflows.
pub const MAX_GAUSS_HERMITE_ORDER: usize = 150;

/// Gauss–Hermite nodes and weights for ∫ e^{−t²} h(t) dt, by Newton's method on the
/// orthonormal Hermite recurrence (Golub–Welsch would need an eigen-solver).
///
/// ```
/// let (t, w) = vanish::theory::iid::gauss_hermite(20);
/// let sum: f64 = w.iter().sum();
/// assert!((sum - std::f64::consts::PI.sqrt()).abs() < 1e-13);
/// let second: f64 = t.iter().zip(&w).map(|(t, w)| w * t * t).sum();
/// assert!((second - std::f64::consts::PI.sqrt() / 2.0).abs() < 1e-13);
/// ```
pub fn gauss_hermite(order: usize) -> (Vec<f64>, Vec<f64>) {
    assert!(
        (1..=MAX_GAUSS_HERMITE_ORDER).contains(&order),
        "Gauss–Hermite order {order} outside 1..={MAX_GAUSS_HERMITE_ORDER}"
    );
    let n = order;
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let mut z = 0.0f64;
    for i in 0..n.div_ceil(2) {
        // Initial guesses from Numerical Recipes' gauher.
        z = match i {
            0 => (2.0 * n as f64 + 1.0).sqrt() - 1.85575 * (2.0 * n as f64 + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * (n as f64).powf(0.426) / z,
            2 => 1.86 * z - 0.86 * nodes[0],
            3 => 1.91 * z - 0.91 * nodes[1],
            _ => 2.0 * z - nodes[i - 2],
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let mut p1 = pim4;
            let mut p2 = 0.0;
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / (jf + 1.0)).sqrt() * p2 - (jf / (jf + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * n as f64).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-15 * z.abs().max(1.0) {
                break;
            }
        }
        nodes[i] = z;
        nodes[n - 1 - i] = -z;
        weights[i] = 2.0 / (pp * pp);
        weights[n - 1 - i] = weights[i];
    }
    (nodes, weights)
}

/// E[h(X)] for X ~ Normal(μ, σ²) by `order`-point Gauss–Hermite quadrature.
pub fn normal_expectation(h: impl Fn(f64) -> f64, mu: f64, sigma: f64, order: usize) -> f64 {
    let (t, w) = gauss_hermite(order);
    let s = std::f64::consts::SQRT_2 * sigma;
    let total: f64 = t.iter().zip(&w).map(|(t, w)| w * h(mu + s * t)).sum();
    total / std::f64::consts::PI.sqrt()
}

/// Mean and variance of ln f'(X) for X ~ Normal(μ, σ²), by Gauss–Hermite quadrature.
/// ln sech² is analytic on the real line but has poles at ±iπ/(2n), which limit the rate of
/// convergence; the accuracy reached is tested against 50-digit references.
pub fn normal_ln_derivative_moments(
    activation: &Activation,
    mu: f64,
    sigma: f64,
    order: usize,
) -> (f64, f64) {
    let mean = normal_expectation(|x| activation.ln_derivative(x), mu, sigma, order);
    let var = normal_expectation(
        |x| (activation.ln_derivative(x) - mean).powi(2),
        mu,
        sigma,
        order,
    );
    (mean, var)
}

/// E[h(X)] by adaptive Gauss–Kronrod quadrature, with the estimated absolute error: exact
/// for a point mass, component by component for a mixture, through x = scale·tan θ for
/// Student's t (only for ν ≥ 3: h may grow like x², as (ln f')² does, and the map cannot
/// reach the tail that carries the rest). `None` whenever h·p does not integrate to a
/// finite value.
///
/// ```
/// use vanish::model::distribution::PreActivation;
/// let d: PreActivation = "mix(0.5*normal(1,2), 0.5*point(3))".parse().unwrap();
/// let (m, _) = vanish::theory::iid::expectation(&d, &|x| x * x, 1e-12).unwrap();
/// assert!((m - (0.5 * 5.0 + 0.5 * 9.0)).abs() < 1e-10);
/// ```
pub fn expectation(dist: &PreActivation, h: &impl Fn(f64) -> f64, tol: f64) -> Option<(f64, f64)> {
    expectation_with_points(dist, h, tol, &[])
}

/// [`expectation`] with extra breakpoints in x (where h·p has a narrow peak the fixed
/// breakpoints would miss, e.g. under an exponential tilt).
pub fn expectation_with_points(
    dist: &PreActivation,
    h: &impl Fn(f64) -> f64,
    tol: f64,
    extra: &[f64],
) -> Option<(f64, f64)> {
    // Breakpoints: the location, the origin (where ln f' bends), and spreads out to where
    // the density is below 1e-300 relative to its peak.
    let points = |mu: f64, scale: f64, reach: f64| {
        let mut p: Vec<f64> = [
            -reach, -8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0, reach,
        ]
        .iter()
        .map(|k| mu + k * scale)
        .collect();
        p.push(0.0);
        p.sort_by(f64::total_cmp);
        p
    };
    let pts = match *dist {
        PreActivation::Point { x0 } => return h(x0).is_finite().then_some((h(x0), 0.0)),
        PreActivation::Mixture(ref m) => {
            let mut total = (0.0, 0.0);
            for (w, d) in m.components() {
                let (v, e) = expectation_with_points(d, h, tol, extra)?;
                total = (total.0 + w * v, total.1 + w * e);
            }
            return Some(total);
        }
        PreActivation::StudentT { nu, scale, .. } => {
            // Polynomial tails: map x = scale·tan θ onto (−π/2, π/2), where the tail is an
            // integrable endpoint singularity while E|h(X)| is finite; the adaptive rule
            // never evaluates the endpoints.
            let half_pi = std::f64::consts::FRAC_PI_2;
            let integrand = |theta: f64| {
                let x = scale * theta.tan();
                let jac = scale / theta.cos().powi(2);
                let p = dist.pdf(x).expect("continuous family") * jac;
                if p == 0.0 || !p.is_finite() {
                    0.0
                } else {
                    h(x) * p
                }
            };
            let mut pts: Vec<f64> = [-1.0, -0.99, -0.9, -0.5, 0.0, 0.5, 0.9, 0.99, 1.0]
                .iter()
                .map(|k| k * half_pi)
                .chain(extra.iter().map(|x| (x / scale).atan()))
                .collect();
            pts.sort_by(f64::total_cmp);
            let (v, e) = crate::theory::quadrature::integrate_pieces(&integrand, &pts, tol);
            // The map reaches |x| ≈ 10¹⁶·scale; the E[x²] tail beyond is ~10^(16(2−ν)), which
            // is below 1e-16 only for ν ≥ 3 (at ν = 2.05 the variance came out 14 % low).
            return (nu >= 3.0 && v.is_finite() && e.is_finite()).then_some((v, e));
        }
        PreActivation::Normal { mu, sigma } => points(mu, sigma, 40.0),
        PreActivation::Laplace { mu, b } => points(mu, b, 750.0),
        PreActivation::Logistic { mu, s } => points(mu, s, 750.0),
        PreActivation::Uniform { lo, hi } => {
            let mut p = vec![lo, hi];
            if lo < 0.0 && 0.0 < hi {
                p.insert(1, 0.0);
            }
            p
        }
    };
    // Extra points inside the support's reach only, so the domain stays the same.
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    let mut pts = pts;
    pts.extend(extra.iter().copied().filter(|x| *x > first && *x < last));
    pts.sort_by(f64::total_cmp);
    let integrand = |x: f64| {
        let p = dist.pdf(x).expect("continuous family");
        if p == 0.0 { 0.0 } else { h(x) * p }
    };
    let (v, e) = crate::theory::quadrature::integrate_pieces(&integrand, &pts, tol);
    (v.is_finite() && e.is_finite()).then_some((v, e))
}

/// Mean and variance of ln f'(X) by [`expectation`], with a bound on their quadrature error.
/// For a·tanh the constant ln(a·n) is kept out of the integrals (moments of ln sech²(n·x)),
/// so a nearly constant ln f' (tiny n or σ) loses no digits to cancellation.
pub fn ln_derivative_moments(
    activation: &Activation,
    dist: &PreActivation,
) -> Option<(f64, f64, f64)> {
    let tol = 1e-12;
    let (constant, n) = match *activation {
        Activation::ScaledTanh { a, n } => ((a * n).ln(), n),
        _ => (0.0, f64::NAN),
    };
    let varying = |x: f64| {
        if n.is_nan() {
            activation.ln_derivative(x)
        } else {
            crate::model::activation::ln_sech2(n * x.abs())
        }
    };
    let (m, e1) = expectation(dist, &varying, tol)?;
    let (var, e2) = expectation(dist, &|x| (varying(x) - m).powi(2), tol)?;
    Some((constant + m, var, e1.max(e2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::activation::Activation;

    /// Against 50-digit mpmath integrals (tests/data, scripts/reference/make_reference.py).
    /// Convergence is geometric at a rate set by the poles at ±iπ/(2n): fast while σ·n ≤ 2,
    /// slow beyond (there the Monte Carlo tests use looser reference checks).
    #[test]
    fn gauss_hermite_matches_reference_moments() {
        let text = include_str!("../../tests/data/normal_moments_reference.csv");
        for line in text.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            let act = Activation::scaled_tanh(v[0], v[1]).unwrap();
            let (m, var) = normal_ln_derivative_moments(&act, v[2], v[3], MAX_GAUSS_HERMITE_ORDER);
            let tol = if v[1] * v[3] <= 2.0 { 1e-7 } else { 1e-3 };
            assert!(((m - v[4]) / v[4]).abs() < tol, "{line}: mean {m}");
            assert!(((var - v[5]) / v[5]).abs() < tol, "{line}: var {var}");
        }
    }

    /// Adaptive quadrature against the same 50-digit references, at every (n, σ) including
    /// those where Gauss–Hermite converges slowly.
    #[test]
    fn adaptive_quadrature_matches_reference_moments() {
        let text = include_str!("../../tests/data/normal_moments_reference.csv");
        for line in text.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            let act = Activation::scaled_tanh(v[0], v[1]).unwrap();
            let dist = PreActivation::normal(v[2], v[3]).unwrap();
            let (m, var, err) = ln_derivative_moments(&act, &dist).unwrap();
            assert!(((m - v[4]) / v[4]).abs() < 1e-10, "{line}: mean {m}");
            assert!(((var - v[5]) / v[5]).abs() < 1e-10, "{line}: var {var}");
            assert!(err < 1e-9, "{line}: error bound {err}");
        }
    }

    /// Student's t through the tan map, against mpmath (30 digits, split at 0, 1, 10, …,
    /// 10⁴, ∞); below ν = 3 the tail the map cannot reach matters, and theory is withheld.
    #[test]
    fn student_t_moments_match_mpmath() {
        let act = Activation::scaled_tanh(1.0, 2.0).unwrap();
        let dist: PreActivation = "student-t(3.5,0.8)".parse().unwrap();
        let (m, var, _) = ln_derivative_moments(&act, &dist).unwrap();
        assert!((m / -1.595_122_392_641_337_9 - 1.0).abs() < 1e-10, "{m}");
        assert!((var / 11.297_648_838_175_62 - 1.0).abs() < 1e-10, "{var}");
        // Nearly constant ln f' (tiny n): Var[ln sech²(n·x)] = 2n⁴σ⁴(1 + O(n²)), no
        // cancellation against ln(a·n).
        let tiny = Activation::scaled_tanh(1.0, 1e-3).unwrap();
        let (_, var, _) =
            ln_derivative_moments(&tiny, &PreActivation::normal(0.0, 1.0).unwrap()).unwrap();
        assert!((var / 2e-12 - 1.0).abs() < 1e-4, "{var}");
        let heavy: PreActivation = "student-t(2.5,1)".parse().unwrap();
        assert!(ln_derivative_moments(&act, &heavy).is_none());
    }

    #[test]
    fn cdfs_agree_with_integrated_densities() {
        for spec in [
            "normal(0.3,1.7)",
            "uniform(-1,3)",
            "laplace(0.5,0.7)",
            "logistic(-0.2,0.4)",
            "student-t(3,1.5)",
        ] {
            let d: PreActivation = spec.parse().unwrap();
            for x in [-2.0, -0.1, 0.4, 1.9] {
                // ∫ from far below (mass there < 1e-9 for all five) to x of the density,
                // on pieces fine enough that no piece looks empty to the first rule.
                let mut pts: Vec<f64> = [-1e5, -1e4, -1e3, -100.0, -30.0, -10.0, -5.0, -2.5]
                    .into_iter()
                    .filter(|&p| p < x)
                    .collect();
                pts.push(x);
                let (v, _) = crate::theory::quadrature::integrate_pieces(
                    &|t| d.pdf(t).unwrap(),
                    &pts,
                    1e-13,
                );
                assert!(
                    (v - d.cdf(x)).abs() < 1e-8,
                    "{spec} at {x}: {v} vs {}",
                    d.cdf(x)
                );
            }
        }
        let lap: PreActivation = "laplace(0,1)".parse().unwrap();
        assert!((lap.cdf(1.0) - (1.0 - 0.5 * (-1f64).exp())).abs() < 1e-15);
    }

    #[test]
    fn thresholds_match_the_seed_and_closed_forms() {
        for n in [1.2, 1.5, 2.0, 3.0, 10.0] {
            let t1 = vanish_threshold(1.0, n);
            assert!((t1 - (1.0 - 1.0 / (n * n)).sqrt().atanh() / n).abs() < 1e-12);
            let e = explode_threshold(1.0, n);
            assert!((e - (1.0 - 1.0 / n).sqrt().atanh() / n).abs() < 1e-12);
            let act = Activation::scaled_tanh(1.0, n).unwrap();
            assert!((act.derivative(t1) - 1.0 / n).abs() < 1e-12);
            assert!((act.derivative(e) - 1.0).abs() < 1e-12);
            let k = 12;
            let d = depth_threshold(1.0, n, k);
            let lhs = act.ln_derivative(d) + f64::from(k - 1) * n.ln();
            assert!(lhs.abs() < 1e-9, "n={n}: {lhs}");
        }
        assert_eq!(format!("{:.3}", vanish_threshold(1.0, 2.0)), "0.658");
        assert_eq!(format!("{:.3}", explode_threshold(1.0, 2.0)), "0.441");
        assert_eq!(format!("{:.1}", depth_threshold(1.0, 2.0, 50)), "9.0");
        // Huge K stays finite: acosh(2^(K/2))/2 ≈ (K/2·ln 2 + ln 2)/2.
        let big = depth_threshold(1.0, 2.0, 1_000_000);
        assert!((big - (500_000.0 * 2f64.ln() + 2f64.ln()) / 2.0).abs() < 1e-6);
        assert_eq!(vanish_threshold(1.0, 0.5), 0.0);
        // Just above a·n = 1: acosh(1 + m) = √(2m)·(1 − m/12 + …), no cancellation.
        let n = 1.0 + 1e-10;
        let m = n - 1.0; // exact
        let t1 = vanish_threshold(1.0, n);
        let series = (2.0 * m).sqrt() * (1.0 - m / 12.0) / n;
        assert!((t1 / series - 1.0).abs() < 1e-14, "{t1} vs {series}");
        // The maximisers, checked by brute force on a fine grid (another algorithm).
        for a in [1.0, 1.7159, 0.5] {
            for (found, f) in [
                (
                    widest_vanish_threshold(a),
                    &(|n| vanish_threshold(a, n)) as &dyn Fn(f64) -> f64,
                ),
                (widest_explode_threshold(a), &|n| explode_threshold(a, n)),
            ] {
                let (n_star, v_star) = found;
                let (mut best_n, mut best) = (0.0, f64::MIN);
                for i in 1..200_000 {
                    let n = i as f64 * 1e-4 / a;
                    if f(n) > best {
                        (best_n, best) = (n, f(n));
                    }
                }
                assert!(
                    (n_star - best_n).abs() < 2e-3 / a,
                    "a={a}: {n_star} vs {best_n}"
                );
                assert!(v_star >= best && v_star - best < 1e-9, "a={a}");
            }
        }
        let (n_star, t_star) = widest_vanish_threshold(1.0);
        assert_eq!(format!("{n_star:.4} {t_star:.4}"), "1.8102 0.6627");
    }
}
