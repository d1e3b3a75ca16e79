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
//! `network_draw/…/K50` keeps the older draws-per-second figures.
//!
//! On a shared machine two numbers taken seconds apart differ by more than that overhead,
//! so the run ends with `ratio` (skipped when a filter that does not match "ratio" is
//! given): raw normals and network draws measured in alternation, [`ROUNDS`] slices of
//! [`SLICE`] each, printing the medians and the median of the per-round ratios. The
//! side-by-side comparison with numpy is `scripts/bench-network-vs-numpy.sh`.

use criterion::{Criterion, Throughput, criterion_group};
use std::hint::black_box;
use std::time::{Duration, Instant};
use vanish::mc::fast::Isa;
use vanish::mc::fast::normals::{NormalStream, POOL};
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

/// Alternating rounds of the `ratio` report, and the time of each half of a round.
const ROUNDS: usize = 7;
const SLICE: Duration = Duration::from_millis(250);

/// Elements per second of `step` (which does `per_step` elements) run for [`SLICE`].
fn rate(per_step: f64, mut step: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut steps = 0u32;
    while steps == 0 || start.elapsed() < SLICE {
        step();
        steps += 1;
    }
    f64::from(steps) * per_step / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Raw normals/s (the faster of fills of one pool and of eight) and network weights/s
/// (W×W, K = 10) in alternation, one thread.
fn ratio() {
    let f = Activation::scaled_tanh(1.0, 2.0).unwrap();
    println!("ratio: raw normals/s against network weights/s, {ROUNDS} alternating rounds");
    let mut stream = NormalStream::new(&mut block_rng(2, 0, 0), Isa::detect());
    let mut buf = vec![0.0; RAW_BATCH];
    for init in [Init::Gaussian, Init::Orthogonal] {
        for width in [256, 1024] {
            let net = square(width, 10, init);
            let (mut raw, mut network, mut ratios) = (vec![], vec![], vec![]);
            let mut i = 0;
            for _ in 0..ROUNDS {
                // The faster of one pool per call (the buffer stays in L1) and eight.
                let r = [POOL, RAW_BATCH]
                    .map(|size| {
                        let buf = &mut buf[..size];
                        rate(size as f64, || {
                            stream.fill(buf);
                            black_box(buf[size - 1]);
                        })
                    })
                    .into_iter()
                    .fold(0.0, f64::max);
                let n = rate((width * width * 10) as f64, || {
                    i += 1;
                    let g = net.with_draw(&f, &mut block_rng(1, 0, i), Isa::detect(), |d| {
                        d.ln_jacobian
                    });
                    black_box(g);
                });
                raw.push(r);
                network.push(n);
                ratios.push(r / n);
            }
            println!(
                "ratio/{init}/W{width}/K10: raw {:.4e} normals/s, network {:.4e} weights/s, \
                 raw/network {:.3} (median of {ROUNDS}; range {:.3}–{:.3})",
                median(raw),
                median(network),
                median(ratios.clone()),
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
            );
        }
    }
}

/// Whether the command line's filter (criterion's positional argument), if any, matches
/// `name` as a substring; never in criterion's `--test` or `--list` modes.
fn wanted(name: &str) -> bool {
    let takes_value = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--profile-time",
        "--noise-threshold",
        "--significance-level",
        "--confidence-level",
        "--nresamples",
        "--output-format",
        "--plotting-backend",
        "--color",
        "--format",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--test" || a == "--list") {
        return false;
    }
    let mut filters = vec![];
    let mut skip = false;
    for a in &args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if takes_value.contains(&a.as_str()) {
            skip = true;
        } else if !a.starts_with('-') {
            filters.push(a.as_str());
        }
    }
    filters.is_empty()
        || filters.iter().any(|f| {
            f.split('|')
                .any(|part| name.contains(part) || part.contains(name))
        })
}

criterion_group!(benches, raw_normals, weights, draws);

fn main() {
    benches();
    if wanted("ratio") {
        ratio();
    }
    Criterion::default().configure_from_args().final_summary();
}
