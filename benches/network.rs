//! The network source against its normal generator, read from one run:
//!
//! - `normals/raw`: standard normals per second of [`NormalStream::fill`] into a reused
//!   buffer (the fastest use of the generator; the ceiling of a network draw);
//! - `network_weights/INIT/W…/K10`: weights per second of one draw (a fresh network of
//!   K = 10 square layers of width W and an input, forward pass with the Jacobian-vector
//!   product), W = 64, 256, 1024, Gaussian and orthogonal weights. A weight is one entry
//!   of a W×W matrix, whether drawn (Gaussian: one normal each) or implied (orthogonal:
//!   about half a normal each).
//!
//! Both are "elements per second" in criterion's report: the ratio raw / network is the
//! overhead of everything but drawing normals (issue 19 asks ≤ 1.5 at W ≥ 256, Gaussian).
//! `network_draw/…/K50` keeps the older draws-per-second figures. The side-by-side
//! comparison with numpy is `scripts/bench-network-vs-numpy.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vanish::mc::fast::Isa;
use vanish::mc::fast::normals::NormalStream;
use vanish::mc::rng::block_rng;
use vanish::model::activation::Activation;
use vanish::nets::network::{Init, Network};

/// Normals per call of the raw bench: eight pools, as a block of network rows asks.
const RAW_BATCH: usize = 8192;

fn raw_normals(c: &mut Criterion) {
    let mut group = c.benchmark_group("normals");
    let mut stream = NormalStream::new(&mut block_rng(1, 0, 0), Isa::detect());
    let mut buf = vec![0.0; RAW_BATCH];
    group.throughput(Throughput::Elements(RAW_BATCH as u64));
    group.bench_function("raw", |b| {
        b.iter(|| {
            stream.fill(&mut buf);
            black_box(buf[RAW_BATCH - 1])
        })
    });
    group.finish();
}

fn square(width: usize, depth: u32, init: Init) -> Network {
    Network::new(
        "normal(0,1)".parse().unwrap(),
        width,
        &[width],
        depth,
        1.2,
        0.1,
        init,
    )
    .unwrap()
}

fn weights(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let mut group = c.benchmark_group("network_weights");
    group.sample_size(10);
    for init in [Init::Gaussian, Init::Orthogonal] {
        for width in [64, 256, 1024] {
            let depth = 10;
            let net = square(width, depth, init);
            group.throughput(Throughput::Elements(
                (width * width) as u64 * u64::from(depth),
            ));
            let mut i = 0;
            group.bench_function(format!("{init}/W{width}/K{depth}"), |b| {
                b.iter(|| {
                    i += 1;
                    net.with_draw(&f, &mut block_rng(1, 0, i), Isa::detect(), |d| {
                        d.ln_jacobian
                    })
                })
            });
        }
    }
    group.finish();
}

fn draws(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let mut group = c.benchmark_group("network_draw");
    group.sample_size(10);
    for init in [Init::Gaussian, Init::Orthogonal] {
        for width in [64, 256, 1024] {
            let net = square(width, 50, init);
            group.throughput(Throughput::Elements(1));
            let mut i = 0;
            group.bench_function(format!("{init}/W{width}/K50"), |b| {
                b.iter(|| {
                    i += 1;
                    net.with_draw(&f, &mut block_rng(1, 0, i), Isa::detect(), |d| {
                        d.ln_jacobian
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, raw_normals, weights, draws);
criterion_main!(benches);
