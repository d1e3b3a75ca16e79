//! How long importance sampling takes: `cargo bench --bench importance`.
//! Issue 18 asks for a relative standard error of 1 % at P ≈ 1e-15 (n = 2, σ = 1, K = 50:
//! P(g > 10⁶) = 7.36e-15) in under a second on one core.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use vanish::methods::importance::{self, Budget};
use vanish::methods::saddle::Cgf;
use vanish::model::activation::Activation;
use vanish::model::distribution::PreActivation;

fn importance(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("importance");
    group.sample_size(10);
    for (spec, s, lower) in [
        ("normal(0,1)", 1e6f64.ln(), false),
        ("normal(0,0.4)", 1e-6f64.ln(), true),
        ("laplace(0,0.2)", 1e-6f64.ln(), true),
    ] {
        let d: PreActivation = spec.parse().unwrap();
        let side = if lower { "lower" } else { "upper" };
        // The whole call: saddlepoint, envelope and the rounds of blocks to 1 %.
        group.bench_function(format!("1% {spec} K=50 {side}"), |b| {
            b.iter(|| {
                one_core.install(|| {
                    let cgf = Cgf::new(&f, &d).unwrap();
                    let budget = Budget {
                        samples: 1 << 24,
                        rel_err: Some(0.01),
                    };
                    let t = importance::log_tail(&cgf, &d, 50, s, lower, budget, 1, &|_| {});
                    black_box(t.unwrap())
                })
            })
        });
    }
    // Throughput: 10⁵ samples of K = 50 factors (5·10⁶ tilted draws).
    let d: PreActivation = "normal(0,1)".parse().unwrap();
    group.bench_function("1e5 samples normal(0,1) K=50 upper", |b| {
        b.iter(|| {
            one_core.install(|| {
                let cgf = Cgf::new(&f, &d).unwrap();
                let t = importance::tail(&cgf, &d, 50, 1e6f64.ln(), false, 100_000, 1);
                black_box(t.unwrap())
            })
        })
    });
    group.finish();
}

criterion_group!(benches, importance);
criterion_main!(benches);
