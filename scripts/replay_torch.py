#!/usr/bin/env python3
"""Replay a `vanish train --dump DIR` run in PyTorch and report how far its losses are.

Usage:
  python scripts/replay_torch.py DIR

Reads DIR/data.csv, network.json, batches.csv, losses.csv and spec.json (see
`vanish train --help`), builds the same MLP in float64 (torch.nn.Linear layers with the
dumped weights, the activation a*tanh(n*x), relu, leaky_relu or sigmoid between them, a
linear output), and trains it with torch.optim.SGD (momentum, dampening 0) or
torch.optim.Adam on exactly the dumped minibatches, the hidden layers' learning rate
multiplied by hidden_lr_scale. Prints one JSON line: the steps compared, the largest
absolute and relative difference of the per-step losses, and the step where it occurs.
Exit code 1 if the largest relative difference is above --tolerance (default 1e-6).
"""
import argparse
import csv
import json
import math
import os
import sys

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--tolerance", type=float, default=1e-6)
    a = ap.parse_args()
    d = a.dir
    torch.set_default_dtype(torch.float64)
    spec = json.load(open(os.path.join(d, "spec.json")))
    net = json.load(open(os.path.join(d, "network.json")))
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
    out = {"torch": torch.__version__, "steps": len(batches), "max_abs_diff": worst_abs,
           "max_rel_diff": worst_rel, "at_step": worst_step}
    print(json.dumps(out))
    sys.exit(0 if worst_rel <= a.tolerance else 1)


if __name__ == "__main__":
    main()
