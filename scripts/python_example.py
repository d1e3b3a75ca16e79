"""Load vanish's output files in Python: the README's "Using vanish from Python", runnable.

Usage: python3 scripts/python_example.py SIM_DIR TABLE_DIR TRAIN_DIR
(folders written by `vanish sim --out`, `vanish table --out` and `vanish train --out`).
Needs pandas and hdrhistogram (pip install pandas hdrhistogram).
"""
import json
import sys
from pathlib import Path

import pandas as pd
from hdrh.histogram import HdrHistogram

sim, table, train = (Path(d) for d in sys.argv[1:4])

# summary.json: one run of `vanish sim`, every number with its interval.
summary = json.loads((sim / "summary.json").read_text())
vanish = summary["probabilities"]["vanish"]
print("P(vanish) =", vanish["p"], "95% Wilson", vanish["wilson95"])
print("mean log10 g =", summary["log10_g"]["mean"])

# The law of log10 g, from the two HDR histograms (V2-deflate, base64) in summary.json:
# a value v stands for log10 g = anchor + v/1000 (upper) or anchor - v/1000 (lower).
hist = summary["histogram"]
anchor = hist["anchor_log10_g"]
log10_g = {}
for key, sign in (("upper_hdr_v2_deflate_base64", 1), ("lower_hdr_v2_deflate_base64", -1)):
    h = HdrHistogram.decode(hist[key])
    for item in h.get_recorded_iterator():
        x = anchor + sign * item.value_iterated_to / 1000
        log10_g[x] = log10_g.get(x, 0) + item.count_added_in_this_iter_step
law = pd.Series(log10_g).sort_index()
print("samples in the histograms:", law.sum(), "median log10 g ≈",
      law.index[(law.cumsum() >= law.sum() / 2).argmax()])

# table.csv: one row per cell of `vanish table`, one column per parameter and estimate.
cells = pd.read_csv(table / "table.csv")
print(cells.pivot_table(index="n", columns="depth", values="p_vanish"))

# trajectories.csv: one row per (run, step) of `vanish train`.
runs = pd.read_csv(train / "trajectories.csv")
last = runs.sort_values("step").groupby("run").last()
print("runs:", len(last), "final probe_gain (median):", last["probe_gain"].median())
