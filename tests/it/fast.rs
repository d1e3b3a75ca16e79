//! The vectorised kernel against independent oracles: ln f' against the reference on a
//! dense grid, its samplers against exact CDFs and tail probabilities, its simulations
//! against exact theory and the reference kernel, and every instruction-set level (portable,
//! AVX2, AVX-512) against the portable path bit for bit.

use rand::Rng;
use vanish::mc::fast::block::{Kind, standard, words_for};
use vanish::mc::fast::real::Real;
use vanish::mc::fast::{FastKernel, Isa, Precision};
use vanish::mc::kernel::Kernel;
use vanish::mc::rng::block_rng;
use vanish::mc::simulate::simulate;
use vanish::mc::summary::FactorSums;
use vanish::methods::law::{FactorLaw, exact_tails};
use vanish::model::activation::Activation;
use vanish::model::distribution::PreActivation;
use vanish::model::experiment::Experiment;
use vanish::model::source::Source;

use crate::util::{manifest, tanh_experiment, vanish, within_5_se};

const FAST: [Precision; 2] = [Precision::F32, Precision::F64];

/// The stated per-factor error bound: |Δ ln f'| ≤ bound·(1 + |ln f'| + |ln(a·n)|) (the
/// last term: ln(4an) and 2n|x| are rounded before they cancel).
fn bound(p: Precision) -> f64 {
    match p {
        Precision::F32 => 3e-7,
        _ => 2e-14,
    }
}

fn kernel(f: Activation, dist: &str, depth: u32, p: Precision, isa: Isa) -> FastKernel {
    FastKernel::new(f, &dist.parse().unwrap(), depth, p, isa).unwrap()
}

/// x rounded to the kernel's precision, as the kernel sees it.
fn rounded(x: f64, p: Precision) -> f64 {
    match p {
        Precision::F32 => f64::from(x as f32),
        _ => x,
    }
}

#[test]
fn fast_ln_derivative_matches_the_reference_on_a_dense_grid() {
    let mut xs: Vec<f64> = (-40_000..=40_000).map(|i| f64::from(i) * 5e-4).collect();
    for i in -3000..=3000 {
        let m = 10f64.powf(f64::from(i) * 0.01); // 1e-30 … 1e30
        xs.extend([m, -m]);
    }
    xs.extend([0.0, -0.0, f64::MIN_POSITIVE, 1e-300, -1e-300]);
    let activations = [
        Activation::scaled_tanh(1.0, 2.0).unwrap(),
        Activation::scaled_tanh(1.0, 0.5).unwrap(),
        Activation::scaled_tanh(1.0, 1.8102).unwrap(),
        Activation::scaled_tanh(3.0, 1000.0).unwrap(),
        Activation::scaled_tanh(1e-3, 1e-3).unwrap(),
        Activation::lecun(),
        Activation::Sigmoid,
    ];
    for f in activations {
        for p in FAST {
            let k = kernel(f, "normal(0,1)", 1, p, Isa::detect());
            let (a, n) = f.tanh_params().unwrap_or((0.5, 0.5));
            // The kernel accepts |x| up to its range over 2n (f32: 1e30/2n).
            let limit = if p == Precision::F32 { 1e29 } else { 1e280 } / (2.0 * n);
            let grid: Vec<f64> = xs.iter().copied().filter(|x| x.abs() <= limit).collect();
            let got = k.ln_derivatives(&grid);
            let mut worst: (f64, f64) = (0.0, 0.0);
            for (&x, &g) in grid.iter().zip(&got) {
                let want = f.ln_derivative(rounded(x, p));
                let err = (g - want).abs() / (1.0 + want.abs() + (a * n).ln().abs());
                if err > worst.0 {
                    worst = (err, x);
                }
            }
            assert!(
                worst.0 <= bound(p),
                "{f} (a={a}, n={n}) {p}: error {:e} at x = {:e}",
                worst.0,
                worst.1
            );
        }
    }
}

/// Kolmogorov–Smirnov distance of `x` from `dist`'s CDF.
fn ks(x: &mut [f64], dist: &PreActivation) -> f64 {
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = dist.cdf(v);
            (c - i as f64 / n).abs().max((c - (i + 1) as f64 / n).abs())
        })
        .fold(0.0, f64::max)
}

#[test]
fn fast_samplers_pass_kolmogorov_smirnov_on_a_million_draws() {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let specs = [
        "normal(0,1)",
        "normal(-1.5,0.3)",
        "uniform(-1,2)",
        "laplace(0.5,2)",
        "logistic(-1,0.7)",
        "mix(0.5*normal(0,0.5), 0.3*laplace(1,0.3), 0.15*logistic(0,1), 0.05*uniform(-4,4))",
    ];
    // α = 0.001: the KS critical value is 1.949/√n.
    let n = 1_000_000;
    let critical = 1.949 / (n as f64).sqrt();
    for (i, spec) in specs.iter().enumerate() {
        let dist: PreActivation = spec.parse().unwrap();
        for p in FAST {
            let k = kernel(f, spec, 50, p, Isa::detect());
            let mut x = k.draws(&mut block_rng(77, 0, i as u32), n);
            let d = ks(&mut x, &dist);
            assert!(
                d < critical,
                "{spec} {p}: KS distance {d:.2e} ≥ {critical:.2e}"
            );
        }
    }
}

/// Asserts that `count` of `n` draws beyond the tail agrees with probability `p` within
/// 5 binomial standard errors, and that the tail is not empty when p·n ≫ 1.
fn tail_within_5_se(what: &str, count: usize, n: usize, p: f64) {
    let n = n as f64;
    let se = (p * (1.0 - p) / n).sqrt();
    within_5_se(what, count as f64 / n, p, se);
}

#[test]
fn fast_tails_beyond_4_and_6_sigma_have_their_frequencies() {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let n = 10_000_000;
    // (spec, σ, P(|X − μ| > kσ) for k = 4 and 6), closed forms.
    let z = |k: f64| libm::erfc(k / std::f64::consts::SQRT_2);
    let s_logistic = std::f64::consts::PI / 3f64.sqrt();
    let cases: [(&str, f64, [f64; 2]); 3] = [
        ("normal(0,1)", 1.0, [z(4.0), z(6.0)]),
        (
            "laplace(0,1)",
            2f64.sqrt(),
            [(-4.0 * 2f64.sqrt()).exp(), (-6.0 * 2f64.sqrt()).exp()],
        ),
        (
            "logistic(0,1)",
            s_logistic,
            [
                2.0 / (1.0 + (4.0 * s_logistic).exp()),
                2.0 / (1.0 + (6.0 * s_logistic).exp()),
            ],
        ),
    ];
    for (i, (spec, sigma, tails)) in cases.into_iter().enumerate() {
        for p in FAST {
            let x = kernel(f, spec, 50, p, Isa::detect()).draws(&mut block_rng(5, 1, i as u32), n);
            for (k, want) in [4.0, 6.0].into_iter().zip(tails) {
                if want * n as f64 > 20.0 {
                    let count = x.iter().filter(|v| v.abs() > k * sigma).count();
                    tail_within_5_se(&format!("{spec} {p} beyond {k}σ"), count, n, want);
                }
            }
        }
    }
}

/// Box–Muller normals whose radius uniform is restricted to (0, 2^−s]: words as the
/// kernel lays them out, radius words shifted right.
fn conditioned_normals<R: Real>(s: u32, pairs: usize, seed: u64) -> Vec<f64>
where
    R::Word: TryFrom<u64> + Into<u64>,
{
    let n = 2 * pairs;
    let mut rng = block_rng(seed, 2, s);
    let mut words: Vec<R::Word> = (0..words_for::<R>(Kind::Normal, n))
        .map(|_| {
            let w: u64 = rng.next_u64();
            R::Word::try_from(w >> (64 - 8 * std::mem::size_of::<R::Word>()))
                .ok()
                .unwrap()
        })
        .collect();
    let radius_words = if R::TWO_WORD_UNIFORM {
        2 * pairs
    } else {
        pairs
    };
    let (hi, lo) = words[..radius_words].split_at_mut(pairs);
    let bits = 8 * std::mem::size_of::<R::Word>() as u32;
    for i in 0..pairs {
        if R::TWO_WORD_UNIFORM {
            // f32: u = (hi ≫ 1)·2^−31 + (lo ≫ 1)·2^−62 + 2^−63.
            let (h, l): (u64, u64) = (hi[i].into(), lo[i].into());
            let (h, l) = if s < bits {
                (h >> s, l)
            } else {
                (0, l >> (s - 31))
            };
            hi[i] = R::Word::try_from(h).ok().unwrap();
            lo[i] = R::Word::try_from(l).ok().unwrap();
        } else {
            let h: u64 = hi[i].into();
            hi[i] = R::Word::try_from(h >> s).ok().unwrap();
        }
    }
    let mut z = vec![R::ZERO; n];
    standard::<R>(Kind::Normal, &words, &mut z);
    z.iter().map(|v| v.to_f64()).collect()
}

/// P(|Z₁| > k | U ≤ q) for Box–Muller with r² = −2 ln U: the mean over the angle of
/// min(1, e^(−k²/(2cos²θ))/q), by the midpoint rule.
fn conditioned_tail(k: f64, q: f64) -> f64 {
    let m = 200_000;
    let h = std::f64::consts::FRAC_PI_2 / f64::from(m);
    let sum: f64 = (0..m)
        .map(|i| {
            let c = ((f64::from(i) + 0.5) * h).cos();
            ((-k * k / (2.0 * c * c)).exp() / q).min(1.0)
        })
        .sum();
    sum / f64::from(m)
}

#[test]
fn fast_normal_tails_hold_at_6_and_8_sigma() {
    // Unconditioned, 6σ happens twice in 10⁹ draws; conditioning the radius uniform on
    // (0, 2^−s] makes it a few per thousand, so the transform's deep tail is tested with
    // thousands of events against the quadrature of the exact conditional law.
    let pairs = 1 << 20;
    for (k, s) in [(6.0, 20), (8.0, 40)] {
        let want = conditioned_tail(k, 2f64.powi(-s));
        for (p, z) in [
            (
                Precision::F32,
                conditioned_normals::<f32>(s as u32, pairs, 3),
            ),
            (
                Precision::F64,
                conditioned_normals::<f64>(s as u32, pairs, 3),
            ),
        ] {
            let count = z.iter().filter(|v| v.abs() > k).count();
            tail_within_5_se(
                &format!("normal {p} beyond {k}σ given U ≤ 2^-{s}"),
                count,
                z.len(),
                want,
            );
        }
    }
}

#[test]
fn fast_paths_agree_bit_for_bit() {
    // Every instruction-set level runs one generic function; forcing each level this CPU
    // has must give the same bits as the portable path, at block lengths and depths that
    // leave partial lane groups and partial chunks.
    let f = Activation::scaled_tanh(1.0, 1.8).unwrap();
    let levels = Isa::levels();
    for spec in [
        "normal(0,1)",
        "uniform(-2,3)",
        "laplace(0.3,0.8)",
        "logistic(0,0.6)",
        "mix(0.6*normal(0,0.5), 0.2*laplace(1,0.3), 0.1*point(0.2), 0.1*uniform(-4,4))",
    ] {
        for p in FAST {
            for (depth, samples) in [(1, 1000), (7, 17), (33, 1), (50, 1000), (65, 4097)] {
                let run = |isa: Isa| {
                    let k = kernel(f, spec, depth, p, isa);
                    let mut ln_g = vec![0.0; samples];
                    let mut factors = FactorSums::default();
                    k.fill_block(&mut block_rng(3, 0, depth), &mut ln_g, &mut factors);
                    (
                        ln_g.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        factors,
                    )
                };
                let portable = run(Isa::portable());
                for &isa in &levels {
                    let what = format!("{spec} {p} K={depth} N={samples} on {}", isa.name());
                    assert_eq!(run(isa), portable, "{what}");
                }
            }
        }
    }
}

#[test]
fn every_level_vanish_simd_names_writes_the_same_files() {
    // VANISH_SIMD forces a level; one above this CPU's falls back to the best it has at
    // or below, and every level writes the same bytes.
    let tmp = tempfile::tempdir().unwrap();
    let best = Isa::detect().name();
    for p in ["f32", "f64"] {
        let run = |simd: &str| {
            let dir = tmp.path().join(format!("{p}-{simd}"));
            vanish()
                .env("VANISH_SIMD", simd)
                .args([
                    "sim",
                    "--samples",
                    "20000",
                    "--depth",
                    "30",
                    "--precision",
                    p,
                ])
                .args([
                    "--dist",
                    "mix(0.9*normal(0,1), 0.1*logistic(1,0.2))",
                    "--quiet",
                ])
                .arg("--out")
                .arg(&dir)
                .assert()
                .success();
            dir
        };
        let portable = run("portable");
        for simd in ["auto", "avx2", "avx512", "AVX2"] {
            let dir = run(simd);
            for name in ["summary.json", "summary.csv", "histogram.csv"] {
                assert_eq!(
                    std::fs::read(dir.join(name)).unwrap(),
                    std::fs::read(portable.join(name)).unwrap(),
                    "{p}: {name} differs between VANISH_SIMD={simd} and portable"
                );
            }
            let level = Isa::at_most(simd).unwrap().name();
            assert!(simd != "auto" || level == best);
            let kernel = manifest(&dir)["kernel"].as_str().unwrap().to_string();
            assert_eq!(kernel, format!("fast-{p}-{level}"), "VANISH_SIMD={simd}");
        }
        let kernel = manifest(&portable)["kernel"].as_str().unwrap().to_string();
        assert_eq!(kernel, format!("fast-{p}-portable"));
    }
}

#[test]
fn a_vanish_simd_that_names_no_level_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let assert = vanish()
        .env("VANISH_SIMD", "sse9")
        .args(["sim", "--samples", "1000", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert_eq!(
        stderr,
        "error: VANISH_SIMD: must be auto, portable, avx2 or avx512, got 'sse9'\n"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn uncovered_experiments_fall_back_to_the_reference_and_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, note) in [
        (vec!["--dist", "student-t(3,1)"], "student-t"),
        (vec!["--activation", "relu"], "relu"),
        (vec!["--dist", "point(0.3)"], "point mass"),
        (vec!["--dist", "mix(1*mix(1*point(3)))"], "point mass"),
    ] {
        let dir = tmp.path().join(note.replace(' ', "-"));
        vanish()
            .args(["sim", "--samples", "1000", "--quiet"])
            .args(&args)
            .arg("--out")
            .arg(&dir)
            .assert()
            .success();
        let m = manifest(&dir);
        assert_eq!(m["kernel"], "scalar-f64", "{args:?}");
        assert!(m["kernel_note"].as_str().unwrap().contains(note), "{m}");
    }
    let dir = tmp.path().join("ref");
    vanish()
        .args([
            "sim",
            "--samples",
            "1000",
            "--quiet",
            "--precision",
            "reference",
            "--out",
        ])
        .arg(&dir)
        .assert()
        .success();
    let m = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(m.contains("\"kernel\": \"scalar-f64\"") && m.contains("\"kernel_note\": null"));
}

fn experiment(
    f: Activation,
    spec: &str,
    depth: u32,
    samples: u64,
    vanish_below: f64,
) -> Experiment {
    Experiment::new(
        f,
        Source::Iid {
            dist: spec.parse().unwrap(),
        },
        depth,
        samples,
        vanish_below,
        1e300,
        11,
    )
    .unwrap()
}

#[test]
fn each_precision_agrees_with_exact_theory_and_the_reference() {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let depth = 20;
    let samples = 200_000;
    for spec in [
        "normal(0,1)",
        "laplace(0,0.7)",
        "logistic(0.2,0.5)",
        "uniform(-2,2)",
        "mix(0.6*normal(0,0.5), 0.3*laplace(1,0.3), 0.1*point(0.2))",
    ] {
        let dist: PreActivation = spec.parse().unwrap();
        let law = FactorLaw::new(&f, &dist).unwrap();
        let (mean, var, _) = vanish::theory::iid::ln_derivative_moments(&f, &dist).unwrap();
        let centred4 = |x: f64| (f.ln_derivative(x) - mean).powi(4);
        let (mu4, _) = vanish::theory::iid::expectation(&dist, &centred4, 1e-10).unwrap();
        // A threshold near the median of ln g, where P(vanish) has the most variance.
        let ln_threshold = f64::from(depth) * mean;
        let (exact, _) = exact_tails(&law, depth, ln_threshold, 1e300f64.ln());
        let mut estimates = Vec::new();
        for p in [Precision::F32, Precision::F64, Precision::Reference] {
            let exp = experiment(f, spec, depth, samples, ln_threshold.exp())
                .with_precision(p)
                .unwrap();
            let s = simulate(&exp, 0, &|_| {});
            let n = s.samples as f64;
            let pv = s.vanish as f64 / n;
            let se = (exact.p * (1.0 - exact.p) / n).sqrt();
            within_5_se(&format!("{spec} {p} P(vanish)"), pv, exact.p, se);
            let lg = &s.log10_g;
            let want = f64::from(depth) * mean / std::f64::consts::LN_10;
            within_5_se(
                &format!("{spec} {p} mean log10 g"),
                lg.mean(),
                want,
                lg.std_error(),
            );
            let fm = &s.factors.ln_derivative;
            within_5_se(
                &format!("{spec} {p} mean ln f'"),
                fm.mean(),
                mean,
                fm.std_error(),
            );
            // The sample variance has variance (μ4 − σ⁴)/n.
            let var_se = ((mu4 - var * var) / fm.count() as f64).sqrt();
            within_5_se(&format!("{spec} {p} var ln f'"), fm.variance(), var, var_se);
            estimates.push((p, pv, se));
        }
        let (_, reference, se) = estimates[2];
        for &(p, pv, _) in &estimates[..2] {
            within_5_se(
                &format!("{spec} {p} P(vanish) against the reference"),
                pv,
                reference,
                se * 2f64.sqrt(),
            );
        }
    }
}

#[test]
fn fast_kernels_are_thread_count_invariant() {
    for p in FAST {
        let exp = tanh_experiment(
            2.0,
            "mix(0.8*normal(0,1), 0.2*laplace(0,2))",
            40,
            300_000,
            4,
        )
        .with_precision(p)
        .unwrap();
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| simulate(&exp, 0, &|_| {}))
        };
        let (a, b) = (run(1), run(3));
        assert_eq!(
            (a.vanish, a.explode, a.between, a.log10_g, a.factors),
            (b.vanish, b.explode, b.between, b.log10_g, b.factors),
            "{p}"
        );
        assert_eq!(a.upper, b.upper);
        assert_eq!(a.lower, b.lower);
    }
}

/// Sums in f32 when `f32` (the fast kernel's partial sums), else in f64.
fn partial_sum(values: impl Iterator<Item = f64>, f32: bool) -> f64 {
    if f32 {
        f64::from(values.fold(0f32, |a, v| a + v as f32))
    } else {
        values.fold(0.0, |a, v| a + v)
    }
}

#[test]
fn fast_blocks_are_their_draws_regrouped_for_every_depth_and_length() {
    // An oracle built from the kernel's own sampler and ln f' but none of its block
    // logic: group g, lane l, factor k is draw g·16K + 16k + l, summed 32 factors at a
    // time in the working precision. Catches lost, repeated or miscounted elements for
    // any K (chunks of 32, stages of 64) and any block length (partial groups of 16).
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    for spec in [
        "normal(0,1)",
        "uniform(-2,2)",
        "laplace(0,0.5)",
        "logistic(0,0.5)",
    ] {
        for p in FAST {
            let f32 = p == Precision::F32;
            for depth in [1u32, 2, 15, 16, 31, 32, 33, 63, 64, 65, 100] {
                for len in [1usize, 5, 16, 17, 100, 1000] {
                    let k = kernel(f, spec, depth, p, Isa::detect());
                    let mut ln_g = vec![0.0; len];
                    let mut sums = FactorSums::default();
                    k.fill_block(&mut block_rng(8, 0, depth), &mut ln_g, &mut sums);
                    let d = depth as usize;
                    let groups = len.div_ceil(16);
                    let x = k.draws(&mut block_rng(8, 0, depth), groups * 16 * d);
                    let l = k.ln_derivatives(&x);
                    let at = |s: usize, j: usize| l[(s / 16) * 16 * d + 16 * j + s % 16];
                    let what = format!("{spec} {p} K={depth} len={len}");
                    for (s, &got) in ln_g.iter().enumerate() {
                        let want: f64 = (0..d)
                            .step_by(32)
                            .map(|r0| partial_sum((r0..d.min(r0 + 32)).map(|j| at(s, j)), f32))
                            .sum();
                        assert_eq!(got.to_bits(), want.to_bits(), "{what}: sample {s}");
                    }
                    let all: Vec<f64> = (0..len)
                        .flat_map(|s| (0..d).map(move |j| (s, j)))
                        .map(|(s, j)| at(s, j))
                        .collect();
                    let limit = -(2f64.ln());
                    let limit = if f32 { f64::from(limit as f32) } else { limit };
                    assert_eq!(sums.count, (len * d) as u64, "{what}");
                    assert_eq!(
                        sums.above_one,
                        all.iter().filter(|&&v| v > 0.0).count() as u64,
                        "{what}"
                    );
                    assert_eq!(
                        sums.below_inverse_max,
                        all.iter().filter(|&&v| v < limit).count() as u64,
                        "{what}"
                    );
                    assert_eq!(sums.shift, at(0, 0), "{what}");
                    let sum: f64 = all.iter().map(|v| v - sums.shift).sum();
                    let scale: f64 = all.iter().map(|v| (v - sums.shift).abs()).sum::<f64>() + 1.0;
                    assert!(
                        (sums.sum - sum).abs() <= 1e-6 * scale,
                        "{what}: {} vs {sum}",
                        sums.sum
                    );
                }
            }
        }
    }
}

#[test]
fn f32_runs_in_f64_what_f32_cannot_represent_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    for (spec, note) in [
        ("mix(1e-9*point(50), 1*normal(0,1))", "weight below 1e-6"),
        ("normal(0,1e19)", "too large for f32"),
        ("uniform(1000,1000.001)", "round x coarsely"),
    ] {
        let dir = tmp.path().join(note.replace(' ', "-"));
        vanish()
            .args([
                "sim",
                "--samples",
                "1000",
                "--quiet",
                "--precision",
                "f32",
                "--dist",
                spec,
            ])
            .arg("--out")
            .arg(&dir)
            .assert()
            .success();
        let m = manifest(&dir);
        assert!(
            m["kernel"].as_str().unwrap().starts_with("fast-f64-"),
            "{spec}: {m}"
        );
        assert!(
            m["kernel_note"].as_str().unwrap().contains(note),
            "{spec}: {m}"
        );
    }
}

#[test]
fn tiny_mixture_weights_keep_their_probability() {
    // mix(w·point(50), normal): each factor is the point with probability w; P(no point in
    // K·N factors) = (1 − w)^(K·N). Counted through the factors below 1/max f' beyond
    // what the normal part gives, with w = 1e-5 and 2·10⁷ factors: 200 expected.
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let w = 1e-5;
    let spec = format!("mix({w:e}*point(50), 1*normal(0,0.01))");
    for p in FAST {
        let k = kernel(f, &spec, 100, p, Isa::detect());
        let x = k.draws(&mut block_rng(12, 0, 0), 20_000_000);
        let hits = x.iter().filter(|v| **v == 50.0).count();
        let n = x.len() as f64;
        within_5_se(
            &format!("{spec} {p}"),
            hits as f64 / n,
            w,
            (w * (1.0 - w) / n).sqrt(),
        );
    }
}
