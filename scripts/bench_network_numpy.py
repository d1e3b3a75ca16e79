#!/usr/bin/env python3
"""The natural numpy version of `vanish sim --source network`, as a speed and sanity baseline.

Usage:
  python scripts/bench_network_numpy.py [--width 256] [--depth 50] [--draws 200]
                                        [--n 2] [--sigma-w 1.2] [--sigma-b 0.1] [--seed 1]

Per draw, as vanish does: a fresh network of K = --depth layers of width W (input
dimension d = W, input x0 ~ Normal(0, 1)), weights N(0, sigma_w^2 / fan_in), biases
N(0, sigma_b^2), f(x) = tanh(n x); the forward pass carries the input and a random unit
direction u together (one matrix product with two columns per layer), and gives the three
quantities of vanish: ln g along a random path of units, the sum over layers of the mean
ln f', and ln(|J u|^2 / |u|^2) for the input-output Jacobian J.  float64 throughout.
Only the draws are timed (perf_counter), not the imports or the output.  BLAS runs with
the threads it is given (OPENBLAS_NUM_THREADS etc., default 1 here).  Prints one JSON line
with draws per second and the means of the three quantities, which must agree with
vanish's within their standard errors.
"""
import argparse
import json
import math
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402


def ln_derivative(n, x):
    """ln f'(x) for f = tanh(n x), stable for every x."""
    t = 2.0 * np.abs(n * x)
    return math.log(n) + 2.0 * math.log(2.0) - t - 2.0 * np.log1p(np.exp(-t))


def draw(rng, width, depth, n, sigma_w, sigma_b):
    d = width
    y = rng.standard_normal(d)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    both = np.stack([y, u], axis=1)  # (fan_in, 2): the input and the tangent
    ln_path = ln_layer = ln_jac = 0.0
    fan_in = d
    for _ in range(depth):
        w = rng.standard_normal((width, fan_in)) * (sigma_w / math.sqrt(fan_in))
        b = rng.standard_normal(width) * sigma_b
        xt = w @ both
        x = xt[:, 0] + b
        ld = ln_derivative(n, x)
        v = np.exp(ld) * xt[:, 1]
        ln_path += ld[rng.integers(width)]
        ln_layer += ld.mean()
        nv = v @ v
        ln_jac += math.log(nv) if nv > 0 else -math.inf
        both = np.stack([np.tanh(n * x), v / math.sqrt(nv) if nv > 0 else v], axis=1)
        fan_in = width
    return ln_path, ln_layer, ln_jac


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--n", type=float, default=2.0)
    ap.add_argument("--sigma-w", type=float, default=1.2)
    ap.add_argument("--sigma-b", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.width < 1 or a.depth < 1 or a.draws < 2 or a.n <= 0 or a.sigma_w <= 0 or a.sigma_b < 0:
        ap.error("need width, depth >= 1, draws >= 2, n > 0, sigma_w > 0, sigma_b >= 0")
    rng = np.random.default_rng(a.seed)
    start = time.perf_counter()
    out = np.array([draw(rng, a.width, a.depth, a.n, a.sigma_w, a.sigma_b)
                    for _ in range(a.draws)])
    seconds = time.perf_counter() - start
    mean = out.mean(axis=0) / math.log(10)
    se = out.std(axis=0, ddof=1) / math.sqrt(a.draws) / math.log(10)
    print(json.dumps({
        "tool": "numpy " + np.__version__,
        "width": a.width, "depth": a.depth, "draws": a.draws,
        "seconds": seconds, "draws_per_second": a.draws / seconds,
        "mean_log10": {"path": mean[0], "layer": mean[1], "jacobian": mean[2]},
        "se_log10": {"path": se[0], "layer": se[1], "jacobian": se[2]},
    }))


if __name__ == "__main__":
    main()
