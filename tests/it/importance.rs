//! Importance sampling (`vanish::methods::importance`) against the exact lattice law:
//! agreement within the stated standard error, lower tails beyond normal x, the same
//! numbers for any thread count, the relative-error target, and the coverage of the 95 %
//! interval over 200 seeds.

use std::sync::atomic::{AtomicU64, Ordering};

use vanish::methods::bracket::{Accuracy, exact_brackets};
use vanish::methods::importance::{self, BLOCK, Budget, LogTail, Tilt};
use vanish::methods::law::{FactorLaw, Probability};
use vanish::methods::saddle::Cgf;
use vanish::model::activation::Activation;
use vanish::model::distribution::PreActivation;

use crate::util::within_5_se;

/// One tail: a·tanh(n·x) with a = 1, x ~ `spec`, K factors, P(ln g < s) or P(ln g > s).
struct Case {
    spec: &'static str,
    n: f64,
    depth: u32,
    s: f64,
    lower: bool,
}

impl Case {
    fn dist(&self) -> PreActivation {
        self.spec.parse().unwrap()
    }

    fn activation(&self) -> Activation {
        Activation::scaled_tanh(1.0, self.n).unwrap()
    }

    fn exact(&self) -> Probability {
        let (f, d) = (self.activation(), self.dist());
        let law = FactorLaw::new(&f, &d).unwrap();
        // A bracket of relative width 2e-3: far below the sampler's errors here.
        let accuracy = Accuracy::new(2e-3, 512.0).unwrap();
        let (below, above) = exact_brackets(&law, self.depth, self.s, self.s, &accuracy);
        if self.lower { below } else { above }.probability()
    }

    fn tilt(&self) -> Tilt {
        let (f, d) = (self.activation(), self.dist());
        let cgf = Cgf::new(&f, &d).unwrap();
        Tilt::new(&cgf, &d, self.depth, self.s, self.lower)
            .unwrap_or_else(|| panic!("{}: no tilt", self.spec))
    }

    fn sample(&self, budget: Budget, seed: u64) -> LogTail {
        self.tilt()
            .sample(budget, seed, &|_| {})
            .unwrap_or_else(|| panic!("{}: no importance sample", self.spec))
    }

    fn name(&self) -> String {
        let side = if self.lower { "<" } else { ">" };
        format!(
            "{} n={} K={} ln g {side} {:.3}",
            self.spec, self.n, self.depth, self.s
        )
    }
}

fn ln(x: f64) -> f64 {
    x.ln()
}

/// Tails of both sides, from about 1e-5 down to 1e-30, with exact errors below 1e-3 of p.
fn cases() -> Vec<Case> {
    vec![
        // P(explode) at the defaults, K = 50: 7.36e-15 (θ > 0, the normal core).
        Case {
            spec: "normal(0,1)",
            n: 2.0,
            depth: 50,
            s: ln(1e6),
            lower: false,
        },
        // σ = 2: 6.35e-29.
        Case {
            spec: "normal(0,2)",
            n: 2.0,
            depth: 50,
            s: ln(1e6),
            lower: false,
        },
        // n = 1.5, K = 30.
        Case {
            spec: "normal(0,1)",
            n: 1.5,
            depth: 30,
            s: ln(1e3),
            lower: false,
        },
        // Lower tails (θ < 0): normal, off-centre normal.
        Case {
            spec: "normal(0,0.4)",
            n: 2.0,
            depth: 50,
            s: ln(1e-6),
            lower: true,
        },
        Case {
            spec: "normal(0.5,1)",
            n: 2.0,
            depth: 50,
            s: ln(1e-75),
            lower: true,
        },
    ]
}

/// Lower tails of the laws beyond normal x.
fn lower_cases() -> Vec<Case> {
    vec![
        Case {
            spec: "laplace(0,0.2)",
            n: 2.0,
            depth: 50,
            s: ln(1e-6),
            lower: true,
        },
        Case {
            spec: "logistic(0,0.12)",
            n: 2.0,
            depth: 50,
            s: ln(1e-6),
            lower: true,
        },
        Case {
            spec: "uniform(-0.8,0.8)",
            n: 2.0,
            depth: 50,
            s: ln(1e-12),
            lower: true,
        },
        Case {
            spec: "mix(0.5*normal(0,0.3), 0.5*laplace(0,0.2))",
            n: 2.0,
            depth: 50,
            s: ln(1e-6),
            lower: true,
        },
        Case {
            spec: "mix(0.6*logistic(0.2,0.1), 0.3*uniform(-0.5,0.5), 0.1*normal(0,1))",
            n: 2.0,
            depth: 40,
            s: ln(1e-12),
            lower: true,
        },
    ]
}

/// Within 5 combined standard errors of exact, with a stated relative error of a few %.
fn agrees(case: &Case, samples: u64) {
    let exact = case.exact();
    let is = case.sample(Budget::fixed(samples), 7);
    let p = is.probability;
    let rare = exact.p.min(exact.complement);
    assert!(rare > 1e-40 && rare < 1e-3, "{}: {exact:?}", case.name());
    // Exact's own error is far below the sampler's: the test is of the sampler.
    assert!(
        exact.error < 0.2 * p.error,
        "{}: exact {exact:?}",
        case.name()
    );
    eprintln!(
        "{}: exact {:e}, is {:e} ± {:.2} %",
        case.name(),
        exact.p,
        p.p,
        100.0 * is.relative_error
    );
    within_5_se(&case.name(), p.p, exact.p, p.error.hypot(exact.error));
    assert!(is.relative_error < 0.05, "{}: {is:?}", case.name());
    assert_eq!(is.samples, samples);
}

#[test]
fn importance_sampling_agrees_with_exact_on_both_sides() {
    for case in cases() {
        agrees(&case, 20_000);
    }
}

#[test]
fn lower_tails_of_laplace_logistic_uniform_and_mixtures_agree_with_exact() {
    for case in lower_cases() {
        agrees(&case, 20_000);
    }
}

#[test]
fn the_numbers_do_not_depend_on_the_thread_count() {
    let run = |threads: usize, case: &Case, budget: Budget| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| case.sample(budget, 11))
    };
    let bits = |t: &LogTail| {
        [
            t.probability.p,
            t.probability.complement,
            t.probability.error,
            t.log10_rare,
        ]
        .map(f64::to_bits)
    };
    for case in [&cases()[0], &lower_cases()[3]] {
        for budget in [
            Budget::fixed(5 * BLOCK + 100),
            Budget {
                samples: 64 * BLOCK,
                rel_err: Some(0.03),
            },
        ] {
            let (one, two) = (run(1, case, budget), run(2, case, budget));
            assert_eq!(bits(&one), bits(&two), "{}", case.name());
            assert_eq!(one, two);
        }
    }
}

#[test]
fn a_relative_error_target_is_met_in_whole_rounds_of_blocks() {
    let case = &cases()[0];
    let budget = Budget {
        samples: 1 << 22,
        rel_err: Some(0.01),
    };
    let told = AtomicU64::new(0);
    let (f, d) = (case.activation(), case.dist());
    let cgf = Cgf::new(&f, &d).unwrap();
    let tell = |n: u64| {
        told.fetch_add(n, Ordering::Relaxed);
    };
    let t =
        importance::log_tail(&cgf, &d, case.depth, case.s, case.lower, budget, 3, &tell).unwrap();
    assert_eq!(t.rel_err_met, Some(true));
    assert!(t.relative_error <= 0.01, "{t:?}");
    // 1, 2, 4, … blocks in all: a power of two of whole blocks, and the round before
    // (half as many) had not met the target.
    let blocks = t.samples / BLOCK;
    assert!(
        t.samples.is_multiple_of(BLOCK) && blocks.is_power_of_two(),
        "{}",
        t.samples
    );
    let half = case.sample(Budget::fixed(t.samples / 2), 3);
    assert!(blocks == 1 || half.relative_error > 0.01, "{half:?}");
    // The progress calls add up to the cap, the undrawn rest told at the end.
    assert_eq!(told.into_inner(), budget.samples);
    // The same numbers as a fixed budget of that size, and again.
    assert_eq!(
        case.sample(Budget::fixed(t.samples), 3).probability,
        t.probability
    );
    assert_eq!(case.sample(budget, 3), t);
    within_5_se(
        "1 % target",
        t.probability.p,
        case.exact().p,
        t.probability.error,
    );
    // A cap too small for the target: all of it is drawn, and the miss is said.
    let capped = case.sample(
        Budget {
            samples: 3 * BLOCK,
            rel_err: Some(0.001),
        },
        3,
    );
    assert_eq!(
        (capped.samples, capped.rel_err_met),
        (3 * BLOCK, Some(false))
    );
}

/// How often the 95 % intervals of `samples` samples cover exact over seeds 0…199: the
/// skew-corrected interval of the rare side (`ci95_factors`) and the plain p ± 1.96·SE.
fn coverage(case: &Case, samples: u64) -> (f64, f64) {
    let exact = case.exact();
    let tilt = case.tilt();
    let (mut corrected, mut plain) = (0, 0);
    for seed in 0..200 {
        let t = tilt.sample(Budget::fixed(samples), seed, &|_| {}).unwrap();
        let p = t.probability;
        let (rare, truth) = if t.rare_is_complement {
            (p.complement, exact.complement)
        } else {
            (p.p, exact.p)
        };
        let (lo, hi) = t.ci95_factors;
        corrected += usize::from(rare * lo <= truth && truth <= rare * hi);
        plain += usize::from((p.p - exact.p).abs() <= 1.96 * p.error);
    }
    (corrected as f64 / 200.0, plain as f64 / 200.0)
}

#[test]
fn coverage_over_200_seeds_of_the_95_percent_interval() {
    // One block (4096 samples) per seed: relative errors of 2–6 %, far above exact's
    // (below 2e-3 at every tail here). A calibrated interval misses 10 of 200 on average,
    // with a binomial SD of 3.1: one case alone falls below 94 % (13 misses or more) about
    // one time in four, so each case is held to 90 % (3 SD) and all of them together,
    // 2000 intervals with an SD of 0.5 %, to 94 %.
    let all: Vec<Case> = cases().into_iter().chain(lower_cases()).collect();
    let mut total = 0.0;
    for case in &all {
        let (c, plain) = coverage(case, BLOCK);
        eprintln!(
            "coverage {}: {c} (plain normal interval {plain})",
            case.name()
        );
        assert!(c >= 0.90, "{}: coverage {c}", case.name());
        total += c / all.len() as f64;
    }
    eprintln!("coverage over all {} cases: {total}", all.len());
    assert!(total >= 0.94, "coverage {total}");
}

#[test]
fn students_t_has_its_upper_tail_and_no_lower_one() {
    // No lattice law here: the saddlepoint approximation, within its own 2 %.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d: PreActivation = "student-t(3,1)".parse().unwrap();
    let cgf = Cgf::new(&f, &d).unwrap();
    let s = 1e3f64.ln();
    let saddle = cgf.tail(30, s, false).unwrap();
    let is = importance::tail(&cgf, &d, 30, s, false, 20_000, 5).unwrap();
    eprintln!(
        "student-t(3,1) K=30 P(g > 1e3): saddle {:e}, is {:e} ± {:e}",
        saddle.p, is.p, is.error
    );
    assert!(saddle.p < 1e-6, "{saddle:?}");
    within_5_se(
        "student-t upper tail",
        is.p,
        saddle.p,
        is.error.hypot(0.02 * saddle.p),
    );
    // Below its mean the tilt does not exist (E[f'^θ] is infinite for θ < 0).
    let mean = 30.0 * cgf.at(0.0).unwrap().mean;
    assert!(
        Tilt::new(&cgf, &d, 30, mean - 20.0, true).is_none(),
        "{mean}"
    );
}

#[test]
fn every_instruction_set_level_samples_the_same_bits() {
    // The sampler's batches run compiled for AVX2/AVX-512 with FMA, or portable with libm's
    // fma: the same files on every level (a level above this CPU's runs the best below).
    let tmp = tempfile::tempdir().unwrap();
    let run = |level: &str| {
        let dir = tmp.path().join(level);
        crate::util::vanish()
            .env("VANISH_SIMD", level)
            .args(["sim", "--n", "2", "--depth", "30", "--samples", "5000"])
            .args(["--dist", "mix(0.7*normal(0,1),0.3*logistic(0,0.5))"])
            .args(["--method", "is", "--quiet", "--out"])
            .arg(&dir)
            .assert()
            .success();
        std::fs::read_to_string(dir.join("summary.json")).unwrap()
    };
    let portable = run("portable");
    assert!(portable.contains("\"is\""), "{portable}");
    for level in ["avx2", "avx512"] {
        assert_eq!(run(level), portable, "VANISH_SIMD={level}");
    }
}
