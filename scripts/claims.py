#!/usr/bin/env python3
"""The claims of the question and its answers against the runs of scripts/reproduce.sh.

Usage: scripts/claims.py RESULTS_DIR  (prints a Markdown table; standard library only)

Every number printed is read from the files that `vanish` wrote into RESULTS_DIR; nothing
here is computed except interpolation along a table's axis and differences of two runs.
"""
import csv
import json
import math
import sys
from pathlib import Path

R = Path(sys.argv[1] if len(sys.argv) > 1 else "results")


def js(path):
    return json.loads((R / path).read_text())


def rows(path):
    with open(R / path, newline="") as f:
        return list(csv.DictReader(f))


def g(x, digits=4):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}g}"


def crossing(xs, ys, level):
    """Where ys crosses level, linearly interpolated between table points (None if never)."""
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if (y0 - level) * (y1 - level) <= 0 and y0 != y1:
            return x0 + (level - y0) * (x1 - x0) / (y1 - y0)
    return None


def at(xs, ys, x):
    """ys linearly interpolated at x (NaN when x is None or outside)."""
    if x is None:
        return float("nan")
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x0 <= x <= x1:
            return y0 + (x - x0) * (y1 - y0) / (x1 - x0)
    return float("nan")


out = []


def claim(who, what, command, says):
    out.append(f"| {who} | {what} | `{command}` | {says} |")


# Thresholds.
th = js("thresholds/thresholds.json")
by_n = {r["n"]: r for r in th["rows"]}
t2 = by_n[2.0]
wt, we = th["widest_t1"], th["widest_e"]
claim("thresholds answer (Esmailian)", "for n = 2, f' < 1/2 outside [−0.658, 0.658]; the widest such interval is at n = 2",
      "vanish thresholds --n 2",
      f"t1(2) = {t2['t1']:.4f}; but the widest is t1 = {wt['t1']:.4f} at n = {wt['n']:.4f} "
      f"(the answer's note on continuous n), not at n = 2")
claim("thresholds answer (Esmailian)", "for n = 2, f' > 1 only inside [−0.441, 0.441]", "vanish thresholds --n 2",
      f"e(2) = {t2['e']:.4f}; widest e = {we['e']:.4f} at n = {we['n']:.4f}")
claim("thresholds answer (Esmailian)", "K = 50, n = 2: one x outside [−9.0, 9.0] cancels 49 maximal factors",
      "vanish thresholds --n 2 --depth 50", f"depth threshold = {t2['depth_threshold']:.4f}")

# tanh(x) against tanh(2x) at K = 50.
s1, s2 = js("sim-tanh-x/summary.json"), js("sim-tanh-2x/summary.json")


def p(s, event):
    mc = s["probabilities"][event]
    ex = s["methods"]["exact"][event]["p"]
    lo, hi = mc["clopper_pearson95"]
    return f"{g(mc['p'])} [{g(lo)}, {g(hi)}] (exact {g(ex)})"


pv1, pv2 = s1["probabilities"]["vanish"]["p"], s2["probabilities"]["vanish"]["p"]
k_sim = s2["config"]["depth"]
claim("question", "with n > 1 the product of K derivatives need not vanish",
      f"vanish sim --n 2 --depth {k_sim} --method exact",
      f"x ~ N(0,1), K = {k_sim}: P(vanish) = {p(s1, 'vanish')} for tanh(x), "
      f"{p(s2, 'vanish')} for tanh(2x); P(explode) = {p(s2, 'explode')} for tanh(2x); "
      f"mean log10 g {g(s1['log10_g']['mean'], 3)} and {g(s2['log10_g']['mean'], 3)}. "
      + ("It need not, but at this input scale it vanishes more often than tanh(x)"
         if pv2 > pv1 else "At this input scale it vanishes less often than tanh(x)"))

# P against depth for several n.
d = rows("depth/table.csv")
k20 = {float(r["n"]): float(r["p_vanish"]) for r in d if float(r["depth"]) == 20}
claim("sech² answer", "a bigger n makes vanishing worse (sech² decays faster than n grows)",
      "vanish table --n 1,1.5,1.81,2,3 --depth 5:100:5 --samples 100000 --method exact",
      "x ~ N(0,1), K = 20: P(vanish) = " + ", ".join(f"{g(v)} (n = {g(n)})" for n, v in sorted(k20.items()))
      + (": at a fixed input scale, yes" if all(a <= b for a, b in zip(
          [v for _, v in sorted(k20.items())], [v for _, v in sorted(k20.items())][1:]))
         else ": not monotone in n"))

# Half inside.
h = rows("half-inside/table.csv")
s = [float(r["s"]) for r in h]
inside = [1 - float(r["fraction_below_inverse_max"]) for r in h]
mean_ln = [float(r["mean_ln_derivative"]) for r in h]
pv = [float(r["p_vanish"]) for r in h]
pe = [float(r["p_explode"]) for r in h]
small_e = [float(r["fraction_above_one"]) for r in h]
s_half = crossing(s, inside, 0.5)
s_zero = crossing(s, mean_ln, 0.0)
s_pv = crossing(s, pv, 0.5)
s_e_half = crossing(s, small_e, 0.5)
s_pe = crossing(s, pe, 0.5)
claim("thresholds answer (Esmailian)", "to prevent vanishing, about half or more of the x's must lie inside [−0.658, 0.658]",
      "vanish table --n 2 --dist 'normal(0,{s})' --s 0.3:1.5:0.05 --depth 50 --samples 100000 --method exact",
      f"tanh(2x), x ~ N(0, s²), K = 50: where half the x's are inside (s = {g(s_half, 3)}), "
      f"P(vanish) = {g(at(s, pv, s_half), 3)}. P(vanish) falls to 1/2 only at s = {g(s_pv, 3)}, "
      f"with {g(at(s, inside, s_pv), 2)} of the x's inside; the median of g stops shrinking "
      f"(E[ln f'] = 0) at s = {g(s_zero, 3)}, with {g(at(s, inside, s_zero), 2)} inside. "
      + ("Half inside is far from enough" if at(s, pv, s_half) > 0.9 else
         "Half inside is about what it takes" if abs(at(s, pv, s_half) - 0.5) < 0.2 else
         "Half inside is more than it takes"))
claim("thresholds answer (Esmailian)", "to avoid exploding, about half or more of the x's must lie outside [−0.441, 0.441]",
      "(the same table as the row above)",
      f"where half the x's are inside ±e (s = {g(s_e_half, 3)}), P(explode) = {g(at(s, pe, s_e_half), 3)}; "
      f"P(explode) reaches 1/2 at s = {g(s_pe, 3)}, with {g(at(s, small_e, s_pe), 2)} of the x's inside ±e")

# Networks: the rescaling claim at initialisation.
na, nb = js("network-tanh-2x/summary.json"), js("network-tanh-x/summary.json")
diff = na["log10_g"]["mean"] - nb["log10_g"]["mean"]
k_net = na["config"]["depth"]
n_net = na["config"]["activation"]["n"] / nb["config"]["activation"]["n"]
expected = k_net * math.log10(n_net)
claim("rescaling answer (zephyr)", "tanh(n·x) only rescales the weights and biases",
      "vanish sim --source network --depth 50 --width 128 --n 2 --sigma-w 0.6 --sigma-b 0.05 -N 1000 --quantity path; the same with --n 1 --sigma-w 1.2 --sigma-b 0.1",
      f"the same networks draw for draw: mean log10 g (the question's path product) differs by "
      f"{diff:.4f}, and K·log10 n = {k_net}·log10 {g(n_net)} = {expected:.4f}; P(vanish) {g(na['probabilities']['vanish']['p'])} "
      f"against {g(nb['probabilities']['vanish']['p'])}. The network is the same; the question's g is not a "
      f"property of it")

# Training.
resc = (R / "rescaling.txt").read_text().splitlines()
claim("Tuyen's comments on the rescaling answer", "…except that the learning rate must be rescaled too",
      "scripts/rescaling.sh",
      "largest relative difference of the loss trajectories, tanh(2x) against tanh(x) with "
      "2× the hidden weights: " +
      "; ".join(l.strip().split("  ")[0] + ": " + l.split("largest relative loss difference ")[1].split(",")[0]
                for l in resc[1:]))
def verdict_text(m):
    """The verdict of a markov.json, as the tool stated it (never decided here)."""
    w = m.get("one_way")
    if not w:
        return "no verdict (not a two-state chain)"
    return f"{w['verdict']}: {w['reason']}"


m = js("train/markov.json")
claim("thresholds answer (Esmailian)", "training is a one-way street: once in [g∼0] it never comes back (the first study's regime)",
      "vanish train --n 1 --runs 48 --depth 30 --width 16 --sigma-w 0.65 --steps 400 --lr 0.05 --fit",
      f"state by {m['rule']}: " + verdict_text(m))

# The study where the gain moves: one folder per regime (scripts/dynamics.sh).
regimes = []
for d in sorted((R / "dynamics").glob("n*-sw*-lr*")):
    mj = js(f"dynamics/{d.name}/markov.json")
    cfg = js(f"dynamics/{d.name}/summary.json")["config"]
    lr = g(cfg["optimizer"]["lr"])
    regimes.append(dict(name=d.name, act=cfg["activation"], sigma_w=cfg["sigma_w"], lr=lr,
                        runs=mj["runs"], m=mj, fe=mj["first_events"], w=mj["one_way"],
                        lat=mj.get("latent") or {}))
if regimes:
    counts = {}
    for r in regimes:
        counts[r["w"]["verdict"]] = counts.get(r["w"]["verdict"], 0) + 1
    moving = [r for r in regimes if r["w"]["runs_crossing_band_down"] >= r["w"]["min_crossings"]]
    with_escapes = [r for r in moving if r["w"]["escapes"] > 0]
    tol = regimes[0]["w"]["tolerance_per_record"]
    wins = {}
    for r in regimes:
        if "winner" in r["lat"]:
            wins[r["lat"]["winner"]] = wins.get(r["lat"]["winner"], 0) + 1
    says = (f"verdicts over {len(regimes)} regimes at τ = {g(tol, 2)} per record: " +
            ", ".join(f"{v} {c}" for v, c in sorted(counts.items())) +
            f". Runs vanished during training (≥ {regimes[0]['w']['min_crossings']} crossed the band) in "
            f"{len(moving)} regimes; returns across the whole band were seen in {len(with_escapes)} of them (" +
            "; ".join(f"{r['act']}, σ_w {g(r['sigma_w'], 3)}, lr {r['lr']}: {r['w']['escapes']} in {r['w']['trials']}"
                      for r in with_escapes) +
            "). The largest 95 % upper bound of p10 among the others is " +
            (g(max(r["w"]["interval95"][1] for r in moving if r["w"]["escapes"] == 0), 3) if len(moving) > len(with_escapes) else "–") +
            " per record. Held-out log-likelihood picks " +
            ", ".join(f"{k} in {v}" for k, v in sorted(wins.items(), key=lambda kv: -kv[1])) +
            f" of {len(regimes)} regimes")
    claim("thresholds answer (Esmailian)", "training is a one-way street [g≫0] → [g∼0], unless convergence comes first",
          "scripts/dynamics.sh results/dynamics", says)
    lines = ["| regime | runs | started vanished | vanished first | converged first | neither | escapes / records in [g∼0] | p10 95% | verdict | best latent model (held-out LL margin ± se) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for r in regimes:
        w, fe, lat = r["w"], r["fe"], r["lat"]
        iv = w["interval95"]
        best = (f"{lat['winner']} (+{g(lat['margin_heldout_log_likelihood'], 3)} ± {g(lat['margin_se_paired_by_run'], 2)} over {lat['runner_up']})"
                if "winner" in lat else "n/a")
        lines.append(f"| {r['act']}, σ_w {g(r['sigma_w'], 3)}, lr {r['lr']} | {r['runs']} | {fe['started_vanished']} | "
                     f"{fe['vanished']['runs']} | {fe['converged']['runs']} | "
                     f"{fe['neither_by_end']['runs']} | {w['escapes']} / {w['trials']} | "
                     f"[{g(iv[0], 3)}, {g(iv[1], 3)}] | {w['verdict']} | {best} |")
    (R / "dynamics.md").write_text("\n".join(lines) + "\n")
mp = rows("train-map/map.csv")
cells = ", ".join(f"σ_w {r['sigma_w']}, n {r['n']}: {g(float(r['fraction_vanished']), 3)}" for r in mp)
claim("thresholds answer (Esmailian)", "a map of which initial weights lead to vanishing", "vanish train --runs 24 --depth 30 --width 16 --sigma-w 0.5:1.5:0.25 --n 1,2 --steps 200 --lr 0.05",
      "fraction of runs vanished by T = 200: " + cells)

print("| who | claim | command | what the runs say |")
print("| --- | --- | --- | --- |")
print("\n".join(out))

# The conclusion: every number read from the runs above; each qualitative phrase is chosen
# by a comparison of those numbers, printed beside it.
if regimes:
    def count(n, f, lr, what):
        r = [x for x in regimes if x["name"] == f"n{n}-sw{f}-lr{lr}"]
        if not r:
            return (0, 0)
        fe = r[0]["fe"]
        if what == "started_vanished":
            return (fe["started_vanished"], r[0]["runs"])
        started = sum(fe[k]["runs"] for k in ("vanished", "converged", "diverged", "neither_by_end"))
        return (fe[what]["runs"], started)

    def shown(n, f, lr, what):
        a, b = count(n, f, lr, what)
        return f"n = {n}: {a}/{b}"

    def share(c):
        return c[0] / c[1] if c[1] else float("nan")

    ns = sorted({int(x["name"][1]) for x in regimes})
    crit = {n: [x for x in regimes if x["name"].startswith(f"n{n}-sw1-")][0]["sigma_w"] for n in ns}
    k20s = [v for n, v in sorted(k20.items()) if n in (1.0, 2.0, 3.0)]
    slow_conv = [share(count(n, 1, "0.01", "converged")) for n in ns]
    fast_van = [share(count(n, 1, "0.1", "vanished")) for n in ns]
    chaos_van = [share(count(n, 3, "0.1", "vanished")) for n in ns]
    ordered = [share(count(n, 0.5, "0.01", "started_vanished")) for n in ns]
    para = (
        "**Why not use tanh(n·x) with n > 1?** At a fixed input scale it makes the question's product vanish "
        + ("more often, not less" if all(a < b for a, b in zip(k20s, k20s[1:])) else "about as often")
        + " (K = 20, x ~ N(0,1): "
        + ", ".join(f"P(vanish) {g(v, 3)} at n = {g(n)}" for n, v in sorted(k20.items()) if n in (1.0, 2.0, 3.0))
        + "). In a network, tanh(n·x) is tanh(x) with n-times larger weights, draw for draw, and it trains the "
        "same with an n²-times larger hidden learning rate (the rescaling rows above). So what matters is the "
        "initial scale against the critical one, σ_w = "
        + ", ".join(f"{g(crit[n], 3)} for n = {n}" for n in ns)
        + " (mean field). At that scale and learning rate 0.01, the share of runs that converged before "
        "vanishing is " + ", ".join(shown(n, 1, "0.01", "converged") for n in ns)
        + ("" if min(slow_conv) > 0.5 else " (not a majority for every n)")
        + "; at learning rate 0.1 the share that vanished first is "
        + ", ".join(shown(n, 1, "0.1", "vanished") for n in ns)
        + (", growing with n, as an n²-times larger step predicts"
           if all(a <= b for a, b in zip(fast_van, fast_van[1:])) and fast_van[-1] > fast_van[0] else "")
        + ". Three times the critical scale at learning rate 0.1, it is "
        + ", ".join(shown(n, 3, "0.1", "vanished") for n in ns)
        + ("; half the critical scale, runs start vanished: " if min(ordered) > 0.5 else "; at half the critical scale, started vanished: ")
        + ", ".join(shown(n, 0.5, "0.01", "started_vanished") for n in ns)
        + f". Once vanished, a return across the whole band (probe gain from below 1e-6 to above 1e-3) was seen "
        f"in {len(with_escapes)} of the {len(moving)} regimes where runs vanished during training; the tool's "
        f"verdict at τ = {g(tol, 2)} per record is "
        + ", ".join(f"{v} in {c}" for v, c in sorted(counts.items()))
        + f" of the {len(regimes)} regimes. Held-out runs prefer "
        + ", ".join(f"{k} in {v}" for k, v in sorted(wins.items(), key=lambda kv: -kv[1]))
        + f" of {len(regimes)} regimes"
        + (": the gain drifts rather than switching between two states"
           if wins.get("ar1", 0) > len(regimes) / 2 else "")
        + ". In short: a larger n is a larger weight scale and a larger effective learning rate; choose σ_w "
        "near the critical 1/n and a learning rate that does not saturate the units, and n itself buys nothing."
    )
    print()
    print(para)
