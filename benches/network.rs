//! Random-network draws per second at widths 64, 256, 1024 and depth 50 (one fresh network
//! and input per draw, forward pass with the Jacobian-vector product). The side-by-side
//! comparison with numpy is `scripts/bench-network-vs-numpy.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vanish::mc::fast::Isa;
use vanish::mc::rng::block_rng;
use vanish::model::activation::Activation;
use vanish::nets::network::{Init, Network};

fn draws(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    let mut group = c.benchmark_group("network_draw");
    group.sample_size(10);
    for init in [Init::Gaussian, Init::Orthogonal] {
        for width in [64, 256, 1024] {
            let net = Network::new(
                "normal(0,1)".parse().unwrap(),
                width,
                &[width],
                50,
                1.2,
                0.1,
                init,
            )
            .unwrap();
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

criterion_group!(benches, draws);
criterion_main!(benches);
