//! Baum–Welch on one thread: a two-state Gaussian HMM fitted to simulated runs of
//! 10³ records, at 10³ runs (10⁶ records) and at the target size of 10⁴ runs (10⁷ records,
//! goal: under 10 s per fit). The 10⁶-record fit is also timed with the general E-step
//! loop, beside the one compiled for k = 2 (same numbers, see the tests).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vanish::dynamics::hmm::{FitOptions, GaussianHmm, fit};

fn truth() -> GaussianHmm {
    GaussianHmm::new(
        vec![0.9, 0.1],
        vec![vec![0.99, 0.01], vec![0.005, 0.995]],
        vec![0.0, -3.0],
        vec![0.5, 0.7],
    )
    .expect("valid model")
}

fn baum_welch(c: &mut Criterion) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let mut group = c.benchmark_group("hmm_fit_1_thread");
    group.sample_size(10);
    for runs in [1_000, 10_000] {
        let (_, data) = truth().simulate(&vec![1_000; runs], &mut ChaCha8Rng::seed_from_u64(1));
        group.throughput(Throughput::Elements((runs * 1_000) as u64));
        let kernels: &[bool] = if runs == 1_000 {
            &[true, false]
        } else {
            &[true]
        };
        for &specialised in kernels {
            let options = FitOptions {
                specialised,
                ..FitOptions::default()
            };
            let name = match specialised {
                true => format!("k2/{runs}x1000"),
                false => format!("k2_general_loop/{runs}x1000"),
            };
            group.bench_function(name, |b| {
                b.iter(|| pool.install(|| fit(&data, 2, &options).expect("fits").iterations))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, baum_welch);
criterion_main!(benches);
