//! Training steps per second of one run (forward, backward and SGD update of a minibatch,
//! with the records every 10 steps) at the sizes of the PyTorch comparison: depth 20–50,
//! width 16–256, batch 32–128. The side-by-side run against PyTorch is
//! `scripts/bench-train-vs-torch.py`. Each size runs with the default probe (8 inputs, the
//! network's Jacobian gain at every record) and without it (`probe: 0`), so the probe's cost
//! is their ratio.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vanish::model::activation::Activation;
use vanish::nets::train::{Dataset, TrainSpec, train_run};

fn steps(c: &mut Criterion) {
    let f = Activation::scaled_tanh(1.0, 1.0).unwrap();
    let mut group = c.benchmark_group("train_steps");
    group.sample_size(10);
    for (depth, width, batch) in [(20, 16, 32), (50, 16, 32), (20, 64, 64), (20, 256, 128)] {
        let spec = TrainSpec {
            depth,
            width,
            batch,
            steps: 20,
            record_every: 10,
            ..TrainSpec::default()
        };
        let data = Dataset::new(&spec, 1);
        group.throughput(Throughput::Elements(spec.steps as u64 + 1));
        for probe in [8, 0] {
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

criterion_group!(benches, steps);
criterion_main!(benches);
