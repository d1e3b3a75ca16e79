//! How long the theory methods take per cell: `cargo bench --bench theory`.
//! `exact` is its bracket, both tails, at the default --tol (1e-2) and at 1e-3 (one core).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use vanish::methods::bracket::{Accuracy, exact_brackets};
use vanish::methods::law::FactorLaw;
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
        ("normal(0,1)", 10_000),
    ] {
        let d: PreActivation = spec.parse().unwrap();
        for tol in [1e-2, 1e-3] {
            let accuracy = Accuracy::new(tol, 256.0).unwrap();
            group.bench_function(format!("exact {spec} K={depth} tol={tol}"), |b| {
                b.iter(|| {
                    let law = FactorLaw::new(&f, &d).unwrap();
                    black_box(exact_brackets(&law, depth, lv, le, &accuracy))
                })
            });
        }
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
