//! Kernel throughput in derivatives per second: `cargo bench --bench kernel`.
//! Criterion reports "elements/s" = ln f'(x) evaluations (with their draws) per second.
//!
//! Groups: `kernel` (one block of 4096 samples, K = 50, one core) for each precision,
//! instruction-set level this CPU has and distribution; `tally` (the histogram/tally stage
//! alone on one block of the f32 kernel's ln g: `BlockTally::of` and `Bins::bin`, in
//! samples per second; its share of a run is its time per block over the kernel's plus
//! its own); `simulate` (the whole pipeline: kernel, summary and ordered merge) on one
//! thread and on all cores, which gives the scaling ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

use vanish::mc::fast::{FastKernel, Isa, Precision};
use vanish::mc::kernel::{Kernel, ScalarKernel};
use vanish::mc::rng::block_rng;
use vanish::mc::simulate::simulate;
use vanish::mc::summary::{Bins, BlockTally, FactorSums, Summary, Thresholds};
use vanish::model::activation::Activation;
use vanish::model::experiment::{BLOCK_SAMPLES, Experiment};
use vanish::model::source::Source;

const DEPTH: u32 = 50;

fn kernels(dist: &str) -> Vec<Box<dyn Kernel>> {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let d = dist.parse().unwrap();
    let mut out: Vec<Box<dyn Kernel>> = Vec::new();
    for p in [Precision::F32, Precision::F64] {
        for isa in Isa::levels() {
            out.push(Box::new(FastKernel::new(f, &d, DEPTH, p, isa).unwrap()));
        }
    }
    out.push(Box::new(ScalarKernel::new(f, d, DEPTH)));
    out
}

fn kernel(c: &mut Criterion) {
    let filter: Option<String> = std::env::var("VANISH_BENCH_DIST").ok();
    let mut group = c.benchmark_group("kernel");
    group.throughput(Throughput::Elements(BLOCK_SAMPLES * u64::from(DEPTH)));
    for dist in [
        "normal(0,1)",
        "uniform(-2,2)",
        "laplace(0,1)",
        "logistic(0,0.5)",
        "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))",
    ] {
        if filter.as_deref().is_some_and(|f| !dist.starts_with(f)) {
            continue;
        }
        for k in kernels(dist) {
            let mut ln_g = vec![0.0; BLOCK_SAMPLES as usize];
            let mut block = 0u32;
            group.bench_function(format!("{} {dist} K=50, one block", k.name()), |b| {
                b.iter(|| {
                    let mut f = FactorSums::default();
                    block = block.wrapping_add(1);
                    k.fill_block(&mut block_rng(1, 0, block), &mut ln_g, &mut f);
                    black_box((&ln_g, f));
                })
            });
        }
    }
    group.finish();
}

fn tally(c: &mut Criterion) {
    let mut group = c.benchmark_group("tally");
    group.throughput(Throughput::Elements(BLOCK_SAMPLES));
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let k = FastKernel::new(
        f,
        &"normal(0,1)".parse().unwrap(),
        DEPTH,
        Precision::F32,
        Isa::detect(),
    )
    .unwrap();
    let mut ln_g = vec![0.0; BLOCK_SAMPLES as usize];
    let mut factors = FactorSums::default();
    k.fill_block(&mut block_rng(1, 0, 0), &mut ln_g, &mut factors);
    let th = Thresholds {
        ln_vanish: (1e-6f64).ln(),
        ln_explode: (1e6f64).ln(),
        ln_cap: f64::from(DEPTH) * 2f64.ln(),
    };
    group.bench_function("BlockTally::of, one block of 4096 (K=50 f32 normal)", |b| {
        b.iter(|| black_box(BlockTally::of(&th, black_box(&ln_g), &factors)))
    });
    let mut summary = Summary::new(th, -13.0);
    let mut bins = Bins::default();
    group.bench_function("Bins::bin, one block of 4096 (K=50 f32 normal)", |b| {
        b.iter(|| bins.bin(&mut summary, black_box(&ln_g)))
    });
    bins.flush(&mut summary);
    black_box(&summary);
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    let samples = 1_000_000;
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements(samples * u64::from(DEPTH)));
    group.sample_size(10);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for precision in [Precision::F32, Precision::F64, Precision::Reference] {
        let exp = Experiment::new(
            Activation::scaled_tanh(1.0, 2.0).unwrap(),
            Source::Iid {
                dist: "normal(0,1)".parse().unwrap(),
            },
            DEPTH,
            samples,
            1e-6,
            1e6,
            1,
        )
        .unwrap()
        .with_precision(precision)
        .unwrap();
        for threads in [1, cores] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            group.bench_function(
                format!("{precision} normal(0,1) K=50 N=1e6, {threads} thread(s)"),
                |b| b.iter(|| black_box(pool.install(|| simulate(&exp, 0, &|_| {})))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, kernel, tally, pipeline);
criterion_main!(benches);
