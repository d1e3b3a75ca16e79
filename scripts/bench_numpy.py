#!/usr/bin/env python3
"""The natural vectorised numpy version of `vanish sim`, as a speed and sanity baseline.

Usage:
  python scripts/bench_numpy.py [--n 2] [--depth 50] [--samples 1000000] [--seed 1] [--chunk 20000]

Model: f(x) = tanh(n*x), X ~ Normal(0, 1) iid, g = prod_{i=1..K} f'(x_i) with K = --depth.
ln f'(x) = ln n + ln sech^2(n x), computed in f64 with the stable form
  ln n + 2 ln 2 - 2|n x| - 2 log1p(exp(-2|n x|)).
Samples are processed in chunks of --chunk rows (x = rng.standard_normal((chunk, K)),
numpy Generator / PCG64).  Only the sampling and arithmetic are timed (perf_counter),
not the imports or the output.  Prints one JSON line.
"""
import argparse
import json
import math
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # single-threaded (elementwise numpy is anyway)

import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=float, default=2.0, help="tanh gain n in f(x) = tanh(n x)")
    ap.add_argument("--depth", type=int, default=50, help="K, factors per product")
    ap.add_argument("--samples", type=int, default=1_000_000, help="number of products g")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=20_000, help="samples per vectorised chunk")
    args = ap.parse_args()
    n, k, total = args.n, args.depth, args.samples
    if n <= 0 or k < 1 or total < 1 or args.chunk < 1:
        ap.error("need n > 0, depth >= 1, samples >= 1, chunk >= 1")

    ln_vanish, ln_explode = math.log(1e-6), math.log(1e6)
    ln_n, ln4 = np.log(n), 2 * np.log(2)
    rng = np.random.default_rng(args.seed)  # PCG64

    vanish = explode = positive = below = 0
    count, mean, m2 = 0, 0.0, 0.0  # log10 g: running mean and sum of squared deviations

    t0 = time.perf_counter()
    done = 0
    while done < total:
        m = min(args.chunk, total - done)
        x = rng.standard_normal((m, k))
        u = np.abs(n * x)
        lf = ln_n + ln4 - 2 * u - 2 * np.log1p(np.exp(-2 * u))
        ln_g = lf.sum(axis=1)
        vanish += int(np.count_nonzero(ln_g < ln_vanish))
        explode += int(np.count_nonzero(ln_g > ln_explode))
        positive += int(np.count_nonzero(lf > 0))
        below += int(np.count_nonzero(lf < -ln_n))
        log10_g = ln_g / np.log(10)
        c_mean = float(log10_g.mean())
        c_m2 = float(((log10_g - c_mean) ** 2).sum())
        delta = c_mean - mean  # Chan et al. parallel merge of (count, mean, M2)
        new = count + m
        mean += delta * m / new
        m2 += c_m2 + delta * delta * count * m / new
        count = new
        done += m
    seconds = time.perf_counter() - t0

    factors = total * k
    print(json.dumps({
        "tool": "numpy",
        "samples": total,
        "depth": k,
        "n": n,
        "seed": args.seed,
        "seconds": seconds,
        "derivatives_per_second": factors / seconds,
        "p_vanish": vanish / total,
        "p_explode": explode / total,
        "mean_log10_g": mean,
        "var_log10_g": m2 / (count - 1) if count > 1 else 0.0,
        "frac_ln_derivative_positive": positive / factors,
        "frac_ln_derivative_below_neg_ln_n": below / factors,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
