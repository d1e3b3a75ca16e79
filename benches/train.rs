//! Training speed. `train_steps`: steps per second of one run (forward, backward and SGD
//! update of a minibatch, with the records every 10 steps) at the sizes of the PyTorch
//! comparison (`scripts/bench-train-vs-torch.py`): depth 4–50, width 16–1024, batch
//! 32–256. Each size up to W = 256 runs with the default probe (8 inputs, the network's
//! Jacobian gain at every record) and without it (`probe: 0`), so the probe's cost is their
//! ratio. `dense_layers`: the three products of one W × W layer on a batch, per width and
//! per instruction set this CPU has (throughput in flops), so that a regression of the
//! packed product or of one level's micro-kernel shows by itself.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vanish::model::activation::Activation;
use vanish::nets::linalg::{Layer, Simd};
use vanish::nets::train::{Dataset, TrainSpec, train_run};

fn steps(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 1.0).unwrap();
    let mut group = c.benchmark_group("train_steps");
    group.sample_size(10);
    let sizes = [
        (20, 16, 32, 20),
        (50, 16, 32, 20),
        (20, 64, 64, 20),
        (20, 256, 128, 20),
        (8, 512, 256, 4),
        (4, 1024, 256, 4),
    ];
    for (depth, width, batch, steps) in sizes {
        let spec = TrainSpec {
            depth,
            width,
            batch,
            steps,
            record_every: 10,
            ..TrainSpec::default()
        };
        let data = Dataset::new(&spec, 1);
        group.throughput(Throughput::Elements(spec.steps as u64 + 1));
        let probes: &[usize] = if width <= 256 { &[8, 0] } else { &[0] };
        for &probe in probes {
            let spec = TrainSpec {
                probe,
                ..spec.clone()
            };
            let mut run = 0;
            group.bench_function(format!("K{depth}/W{width}/B{batch}/probe{probe}"), |b| {
                b.iter(|| {
                    run += 1;
                    train_run(&spec, &f, &data, 1, run).records.len()
                })
            });
        }
    }
    group.finish();
}

fn dense_layers(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense_layers");
    for (width, rows) in [(16, 32), (64, 64), (256, 128), (512, 256), (1024, 256)] {
        let shape = Layer {
            rows,
            inputs: width,
            outputs: width,
        };
        let values = |len: usize| -> Vec<f64> {
            (0..len)
                .map(|i| ((i * 7919) % 1013) as f64 / 1013.0 - 0.5)
                .collect()
        };
        let (x, w, b, g) = (
            values(rows * width),
            values(width * width),
            values(width),
            values(rows * width),
        );
        let (mut z, mut gw, mut gb, mut dx) = (
            vec![0.0; rows * width],
            vec![0.0; width * width],
            vec![0.0; width],
            vec![0.0; rows * width],
        );
        group.throughput(Throughput::Elements(2 * (rows * width * width) as u64));
        for isa in Simd::available() {
            if isa == Simd::portable() && width > 64 {
                continue; // libm's fma per element: slow, and only a fallback
            }
            let id = |what: &str| format!("{what}/W{width}/B{rows}/{}", isa.name());
            group.bench_function(id("affine"), |bench| {
                bench.iter(|| isa.affine(shape, &x, &w, &b, &mut z))
            });
            group.bench_function(id("param_grads"), |bench| {
                bench.iter(|| isa.affine_param_grads(shape, &g, &x, &mut gw, &mut gb))
            });
            group.bench_function(id("input_grad"), |bench| {
                bench.iter(|| isa.affine_input_grad(shape, &g, &w, &mut dx))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, steps, dense_layers);
criterion_main!(benches);
