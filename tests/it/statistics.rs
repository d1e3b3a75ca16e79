//! Every distribution's sample moments against its known moments, within 5 standard errors.

use rand_distr::Distribution;
use vanish::mc::rng::block_rng;
use vanish::model::distribution::PreActivation;

use crate::util::within_5_se;

#[test]
fn sample_moments_match_known_moments() {
    let specs = [
        "normal(0.5,2)",
        "uniform(-4,1)",
        "laplace(-1,0.7)",
        "student-t(7,1.5)",
        "logistic(0.3,0.8)",
        "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))",
        "mix(0.3*laplace(2,1), 0.7*logistic(-1,0.5))",
    ];
    let n = 1_000_000usize;
    for (i, spec) in specs.iter().enumerate() {
        let d: PreActivation = spec.parse().unwrap();
        let mut rng = block_rng(2024, i as u32, 0);
        let (mut s1, mut s2) = (0.0, 0.0);
        let mean = d.mean().unwrap();
        for _ in 0..n {
            let x = d.sample(&mut rng) - mean;
            s1 += x;
            s2 += x * x;
        }
        let var = d.variance().unwrap();
        let mu4 = d.fourth_central_moment().unwrap();
        let nf = n as f64;
        within_5_se(&format!("{spec} mean"), s1 / nf, 0.0, (var / nf).sqrt());
        let sample_var = s2 / nf - (s1 / nf).powi(2);
        within_5_se(
            &format!("{spec} variance"),
            sample_var,
            var,
            ((mu4 - var * var) / nf).sqrt(),
        );
    }
}

#[test]
fn heavy_tails_have_no_moments_and_points_are_points() {
    let cauchy: PreActivation = "student-t(1,1)".parse().unwrap();
    assert!(cauchy.mean().is_none() && cauchy.variance().is_none());
    let t3: PreActivation = "student-t(3,2)".parse().unwrap();
    assert_eq!(t3.variance(), Some(4.0 * 3.0));
    assert!(t3.fourth_central_moment().is_none());
    let p: PreActivation = "point(-2.5)".parse().unwrap();
    let mut rng = block_rng(1, 0, 0);
    assert!((0..100).all(|_| p.sample(&mut rng) == -2.5));
}
