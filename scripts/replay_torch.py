#!/usr/bin/env python3
"""Replay a `vanish train --dump DIR` run in PyTorch and report how far its losses are.

Usage:
  python scripts/replay_torch.py DIR

Reads DIR/data.csv, network.json, batches.csv, losses.csv and spec.json (see
`vanish train --help`), builds the same MLP in the run's precision (spec.json's
"precision": float64, or float32 for `vanish train --precision f32`; a dump without the key
is float64) (torch.nn.Linear layers with the dumped weights, the activation a*tanh(n*x),
relu, leaky_relu or sigmoid between them, a linear output), and trains it with
torch.optim.SGD (momentum, dampening 0) or torch.optim.Adam on exactly the dumped
minibatches, the hidden layers' learning rate multiplied by hidden_lr_scale. The data are
rounded to float32 once, as vanish does; the dumped weights of an f32 run are float32
values, so both start from the same bits. Prints one JSON line: the precision, the steps
compared, the largest absolute and relative difference of the per-step losses, the step
where it occurs, and the tolerance. Exit code 1 if the largest relative difference is above
--tolerance.

The default tolerance is derived from the arithmetic. vanish and PyTorch compute the same
operations in the same precision but sum in other orders (vanish: fixed four-way partial
sums and FMA; PyTorch: its BLAS), so each rounding differs by up to ε = 2^-53 (float64) or
2^-24 ≈ 6.0e-8 (float32) relative. A dot product of W terms differs by about √W·ε (random
rounding errors); a forward and backward pass through K + 1 layers compounds that to about
(K + 1)·√W·ε in the loss and the gradients; each of the S updates moves the weights by a
gradient with that relative error (momentum μ sums each into 1/(1 − μ) updates), and a
well-conditioned run (not chaotic, not diverging) carries them forward without growth, so
the per-step differences add up:

    |loss_vanish − loss_torch| / |loss| ≲ c · ε · (K + 1) · √W · (S + 1) / (1 − μ).

The default is that bound with c = 100 for float32, capped at 1e-2 (a larger relative
difference of the losses no longer tells the arithmetic apart from another run: at K = 20,
W = 32, S = 1000 the bound would pass 0.7), and a flat 1e-6 for float64 (far above its
bound, as before). Measured (K = 6, W = 8, S = 50, tanh(2x) unless said; the bound with
c = 10 is 6.0e-4, 6.0e-3 with μ = 0.9): SGD 3.7e-7, momentum 0.9 4.4e-3, Adam 3.2e-7, relu
3.3e-7, sigmoid (σ_w = 4) 2.7e-7, blobs with Adam 3.0e-7; float64 at most 3.5e-12 (momentum:
tanh(2x) at σ_w = 1 is slightly chaotic, and momentum shows it, in float64 too). The worst,
momentum, is 0.73 of the c = 10 bound: c = 100 leaves a margin of 13 on it and of 1000 on
the rest. At K = 10, W = 32, S = 200 with tanh(x): SGD 5.7e-7, momentum 1.2e-6, Adam 9.5e-7,
relu 1.6e-6 (c = 10 bound 7.5e-3). A run whose differences grow (the chaotic phase:
tanh(2x) at σ_w = 1, K = 10, W = 32, S = 200 reaches 9e-2 in float32 and 3e-10 in float64,
the same growth, since 2^-24/2^-53 = 2^29 ≈ 5e8; a run near divergence) amplifies them
beyond any such bound, in both precisions: there a replay shows the dynamics, not vanish's
arithmetic; give a larger --tolerance knowingly. (The K = 10 numbers are of the build
before the packed-panel kernels; the K = 6 ones of the build with them.)
"""
import argparse
import csv
import json
import math
import os
import sys

import torch


def default_tolerance(spec, net):
    """100·ε·(K + 1)·√W·(S + 1)/(1 − μ), at most 1e-2, for float32; 1e-6 for float64 (see
    the module docstring)."""
    if spec.get("precision", "f64") != "f32":
        return 1e-6
    sizes = net["sizes"]
    layers, width = len(sizes) - 1, max(sizes[1:-1], default=1)
    momentum = spec["optimizer"].get("momentum", 0.0)
    return min(1e-2, 100 * 2.0 ** -24 * layers * math.sqrt(width) * (spec["steps"] + 1)
               / (1.0 - momentum))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--tolerance", type=float, default=None,
                    help="largest relative loss difference allowed (default: see above)")
    a = ap.parse_args()
    d = a.dir
    spec = json.load(open(os.path.join(d, "spec.json")))
    net = json.load(open(os.path.join(d, "network.json")))
    precision = spec.get("precision", "f64")
    if precision not in ("f32", "f64"):
        sys.exit(f"error: {d}/spec.json: precision must be f32 or f64, got {precision!r}")
    torch.set_default_dtype(torch.float32 if precision == "f32" else torch.float64)
    tolerance = a.tolerance if a.tolerance is not None else default_tolerance(spec, net)
    rows = list(csv.reader(open(os.path.join(d, "data.csv"))))
    header, rows = rows[0], rows[1:]
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows])
    classify = header[-1] == "label"
    y = (torch.tensor([int(r[-1]) for r in rows]) if classify
         else torch.tensor([[float(r[-1])] for r in rows]))
    batches = [[int(v) for v in r[1:]] for r in list(csv.reader(open(os.path.join(d, "batches.csv"))))[1:]]
    losses = [float(r[1]) for r in list(csv.reader(open(os.path.join(d, "losses.csv"))))[1:]]

    act = net["activation"]
    if act["kind"] == "tanh":
        phi = lambda z: act["a"] * torch.tanh(act["n"] * z)  # noqa: E731
    elif act["kind"] == "relu":
        phi = torch.relu
    elif act["kind"] == "leaky_relu":
        phi = lambda z: torch.nn.functional.leaky_relu(z, act["alpha"])  # noqa: E731
    else:
        phi = torch.sigmoid
    layers = []
    for layer in net["layers"]:
        w = torch.tensor(layer["weight"])
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(torch.tensor(layer["bias"]))
        layers.append(lin)

    def forward(inp):
        h = inp
        for lin in layers[:-1]:
            h = phi(lin(h))
        return layers[-1](h)

    opt_spec = spec["optimizer"]
    scale = spec["hidden_lr_scale"]
    groups = [
        {"params": [p for lin in layers[:-1] for p in lin.parameters()], "lr": opt_spec["lr"] * scale},
        {"params": list(layers[-1].parameters()), "lr": opt_spec["lr"]},
    ]
    if opt_spec["kind"] == "sgd":
        opt = torch.optim.SGD(groups, lr=opt_spec["lr"], momentum=opt_spec["momentum"])
    else:
        opt = torch.optim.Adam(groups, lr=opt_spec["lr"], betas=tuple(opt_spec["betas"]),
                               eps=opt_spec["eps"])
    loss_fn = torch.nn.functional.cross_entropy if classify else torch.nn.functional.mse_loss

    worst_abs, worst_rel, worst_step = 0.0, 0.0, 0
    for step, rows_of_step in enumerate(batches):
        idx = torch.tensor(rows_of_step)
        opt.zero_grad()
        loss = loss_fn(forward(x[idx]), y[idx])
        value = loss.item()
        diff = abs(value - losses[step])
        rel = diff / abs(losses[step]) if losses[step] != 0 else diff
        if not math.isfinite(rel) or rel > worst_rel:
            worst_abs, worst_rel, worst_step = diff, rel, step
        if step < spec["steps"]:
            loss.backward()
            opt.step()
    out = {"torch": torch.__version__, "precision": precision, "steps": len(batches),
           "max_abs_diff": worst_abs, "max_rel_diff": worst_rel, "at_step": worst_step,
           "tolerance": tolerance}
    print(json.dumps(out))
    sys.exit(0 if worst_rel <= tolerance else 1)


if __name__ == "__main__":
    main()
