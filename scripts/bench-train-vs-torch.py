#!/usr/bin/env python3
"""Training steps per second: `vanish train` against the same training in PyTorch (CPU).

Usage (from the repository root, with torch installed, e.g. in target/torch-venv):
  target/torch-venv/bin/python scripts/bench-train-vs-torch.py [--runs 8] [--steps 200]

For each configuration (depth K, width W, batch B) both tools train `--runs` runs of a
tanh MLP (d = 8, one linear output, σ_w = 1, teacher-student MSE, plain SGD lr 0.01) for
`--steps` steps. PyTorch runs them one after another in float64 on one thread
(torch.set_num_threads(1)), the usual way to run many small experiments in a script;
vanish runs them on 1 thread and on all cores. A step is one forward, backward and update
of one minibatch. vanish's seconds are its manifest's elapsed_s (training and records,
without start-up); PyTorch's are perf_counter around its training loops. With
`--precision f32` both train in float32 (`vanish train --precision f32`).
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
    configs = [(20, 16, 32), (50, 16, 32), (20, 64, 64), (50, 64, 128), (20, 256, 128)]
    print(f"training steps per second, {a.runs} runs × {a.steps + 1} steps, tanh MLP, SGD,"
          f" {a.precision};"
          f" torch {torch.__version__}")
    print(f"{'K':>3} {'W':>4} {'B':>4} {'torch 1 thr':>12} {'vanish 1 thr':>13} {'ratio':>6}"
          f" {'vanish ' + str(cores) + ' thr':>13} {'ratio':>6}")
    for depth, width, batch in configs:
        t = torch_steps_per_second(depth, width, batch, a.runs, a.steps, a.precision)
        v1 = vanish_steps_per_second(a.vanish, depth, width, batch, a.runs, a.steps, 1,
                                     a.precision)
        vn = vanish_steps_per_second(a.vanish, depth, width, batch, a.runs, a.steps, cores,
                                     a.precision)
        print(f"{depth:>3} {width:>4} {batch:>4} {t:>12.1f} {v1:>13.1f} {v1 / t:>6.2f}"
              f" {vn:>13.1f} {vn / t:>6.2f}")


if __name__ == "__main__":
    main()
