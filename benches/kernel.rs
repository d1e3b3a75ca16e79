//! Kernel throughput in derivatives per second: `cargo bench --bench kernel`.
//! Criterion reports "elements/s" = ln f'(x) evaluations (with their draws) per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use vanish::activation::Activation;
use vanish::experiment::{BLOCK_SAMPLES, Experiment};
use vanish::kernel::{Kernel, ScalarKernel};
use vanish::rng::block_rng;
use vanish::simulate::simulate;
use vanish::source::Source;
use vanish::summary::FactorSums;

fn kernel(c: &mut Criterion) {
    let depth = 50;
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(BLOCK_SAMPLES * depth as u64));
    for dist in [
        "normal(0,1)",
        "uniform(-2,2)",
        "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))",
    ] {
        let k = ScalarKernel::new(
            Activation::scaled_tanh(1.0, 2.0).unwrap(),
            dist.parse().unwrap(),
            depth,
        );
        let mut ln_g = vec![0.0; BLOCK_SAMPLES as usize];
        let mut block = 0u32;
        group.bench_function(format!("scalar-f64 {dist} K=50, one block"), |b| {
            b.iter(|| {
                let mut f = FactorSums::default();
                block = block.wrapping_add(1);
                k.fill_block(&mut block_rng(1, 0, block), &mut ln_g, &mut f);
                black_box((&ln_g, f));
            })
        });
    }
    group.finish();

    // The whole pipeline (kernel + summary + ordered merge) on all cores.
    let mut group = c.benchmark_group("simulate");
    let samples = 200_000;
    group.throughput(Throughput::Elements(samples * depth as u64));
    group.sample_size(10);
    let exp = Experiment::new(
        Activation::scaled_tanh(1.0, 2.0).unwrap(),
        Source::Iid {
            dist: "normal(0,1)".parse().unwrap(),
        },
        depth,
        samples,
        1e-6,
        1e6,
        1,
    )
    .unwrap();
    group.bench_function("normal(0,1) K=50 N=2e5, all cores", |b| {
        b.iter(|| black_box(simulate(&exp, 0, &|_| {})))
    });
    group.finish();
}

criterion_group!(benches, kernel);
criterion_main!(benches);
