#!/usr/bin/env python3
"""Training steps per second: `vanish train` against the same training in PyTorch (CPU).

Usage (from the repository root, with torch installed, e.g. in target/torch-venv):
  target/torch-venv/bin/python scripts/bench-train-vs-torch.py [--runs 8] [--steps 200]

For each configuration (depth K, width W, batch B) both tools train the same runs of a
tanh MLP (d = 8, one linear output, σ_w = 1, teacher-student MSE, plain SGD lr 0.01).
Widths up to 64 train `--runs` runs of `--steps` steps; W = 256 half the steps; W = 512
and 1024 (shallower, larger batches: where PyTorch's BLAS is near its peak) 2 runs of
`--steps`/10 steps, so that the whole script takes a few minutes. PyTorch runs the runs
one after another in float64 on one thread (torch.set_num_threads(1)), the usual way to
run many small experiments in a script; at W <= 64 it also trains them stacked ("torch
bmm": every layer one batched matmul over a leading run dimension, one optimizer over
the stacked parameters, each run's loss its own mean), as a careful user runs many small
nets. vanish runs them on 1 thread and on all cores. A step is one forward, backward and
update of one minibatch of one run. vanish's seconds are its manifest's elapsed_s
(training and records, without start-up); PyTorch's are perf_counter around its training
loops. With `--precision f32` both train in float32 (`vanish train --precision f32`).
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import torch


def torch_steps_per_second(depth, width, batch, runs, steps, precision="f64"):
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32 if precision == "f32" else torch.float64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1024, 8, generator=g)
    y = torch.randn(1024, 1, generator=g)
    start = time.perf_counter()
    for _ in range(runs):
        layers = [torch.nn.Linear(8 if i == 0 else width, width) for i in range(depth)]
        layers.append(torch.nn.Linear(width, 1))
        for lin in layers:
            torch.nn.init.normal_(lin.weight, std=1.0 / lin.weight.shape[1] ** 0.5)
            torch.nn.init.zeros_(lin.bias)
        model = torch.nn.Sequential(*[m for lin in layers[:-1] for m in (lin, torch.nn.Tanh())],
                                    layers[-1])
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        for _ in range(steps + 1):
            idx = torch.randint(0, 1024, (batch,), generator=g)
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    return runs * (steps + 1) / (time.perf_counter() - start)


def torch_stacked_steps_per_second(depth, width, batch, runs, steps, precision="f64"):
    """The runs trained side by side: weights (runs, out, in), inputs (runs, batch, in)."""
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32 if precision == "f32" else torch.float64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1024, 8, generator=g)
    y = torch.randn(1024, 1, generator=g)
    start = time.perf_counter()
    sizes = [8] + [width] * depth + [1]
    ws, bs = [], []
    for n, m in zip(sizes[:-1], sizes[1:]):
        ws.append((torch.randn(runs, m, n, generator=g) / n ** 0.5).requires_grad_())
        bs.append(torch.zeros(runs, 1, m, requires_grad=True))
    opt = torch.optim.SGD(ws + bs, lr=0.01)
    for _ in range(steps + 1):
        idx = torch.randint(0, 1024, (runs, batch), generator=g)
        h = x[idx]
        for l, (w, b) in enumerate(zip(ws, bs)):
            h = torch.baddbmm(b, h, w.transpose(1, 2))
            if l + 1 < len(ws):
                h = torch.tanh(h)
        opt.zero_grad()
        # The sum over runs of each run's mean loss: every run gets its own gradient.
        loss = ((h - y[idx]) ** 2).mean(dim=(1, 2)).sum()
        loss.backward()
        opt.step()
    return runs * (steps + 1) / (time.perf_counter() - start)


def vanish_steps_per_second(vanish, depth, width, batch, runs, steps, threads, precision="f64"):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([vanish, "train", "--runs", str(runs), "--depth", str(depth),
                        "--width", str(width), "--batch", str(batch), "--steps", str(steps),
                        "--record-every", str(steps), "--threads", str(threads), "--quiet",
                        "--precision", precision, "--out", tmp], check=True)
        m = json.load(open(os.path.join(tmp, "manifest.json")))
    return runs * (steps + 1) / m["elapsed_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--vanish", default="target/release/vanish")
    ap.add_argument("--precision", choices=["f64", "f32"], default="f64")
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    configs = [(20, 16, 32), (50, 16, 32), (20, 64, 64), (50, 64, 128), (20, 256, 128),
               (8, 512, 256), (4, 1024, 256)]
    print(f"training steps per second (one step of one run), tanh MLP, SGD, {a.precision};"
          f" torch {torch.__version__}")
    print(f"{'K':>3} {'W':>4} {'B':>4} {'runs':>4} {'steps':>5} {'torch 1 thr':>12}"
          f" {'torch bmm':>10} {'vanish 1 thr':>13} {'ratio':>6} {'vs bmm':>6}"
          f" {'vanish ' + str(cores) + ' thr':>13} {'ratio':>6}")
    for depth, width, batch in configs:
        runs, steps = a.runs, a.steps
        if width >= 512:
            runs, steps = 2, max(a.steps // 10, 1)
        elif width >= 256:
            steps = max(a.steps // 2, 1)
        p = a.precision
        t = torch_steps_per_second(depth, width, batch, runs, steps, p)
        v1 = vanish_steps_per_second(a.vanish, depth, width, batch, runs, steps, 1, p)
        tb = torch_stacked_steps_per_second(depth, width, batch, runs, steps, p) if width <= 64 \
            else float("nan")
        vn = vanish_steps_per_second(a.vanish, depth, width, batch, runs, steps, cores, p)
        print(f"{depth:>3} {width:>4} {batch:>4} {runs:>4} {steps + 1:>5} {t:>12.1f} {tb:>10.1f}"
              f" {v1:>13.1f} {v1 / t:>6.2f} {v1 / tb:>6.2f} {vn:>13.1f} {vn / t:>6.2f}")


if __name__ == "__main__":
    main()
