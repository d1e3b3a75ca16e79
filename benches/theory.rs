//! How long the theory methods take per cell: `cargo bench --bench theory`.
//! Issue 3 asks for `exact` and `saddle` well under a second for K ≤ 1000.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use vanish::methods::law::{FactorLaw, exact_tails};
use vanish::methods::saddle::Cgf;
use vanish::model::activation::Activation;
use vanish::model::distribution::PreActivation;

fn theory(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let (lv, le) = ((1e-6f64).ln(), (1e6f64).ln());
    let mut group = c.benchmark_group("theory");
    group.sample_size(10);
    for (spec, depth) in [
        ("normal(0,1)", 50),
        ("normal(0,0.5)", 200),
        ("normal(0,1)", 1000),
    ] {
        let d: PreActivation = spec.parse().unwrap();
        group.bench_function(format!("exact {spec} K={depth}"), |b| {
            b.iter(|| {
                let law = FactorLaw::new(&f, &d).unwrap();
                black_box(exact_tails(&law, depth, lv, le))
            })
        });
        group.bench_function(format!("saddle {spec} K={depth}"), |b| {
            b.iter(|| {
                let cgf = Cgf::new(&f, &d).unwrap();
                black_box((cgf.tail(depth, lv, true), cgf.tail(depth, le, false)))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, theory);
criterion_main!(benches);
