#!/usr/bin/env bash
# The rescaling experiment of the rescaling answer and Tuyen's comments on it, measured: does tanh(n·x) "only rescale
# the weights"?
#
#   A: tanh(n·x), hidden weights and biases (σ_w, σ_b), learning rate δ
#   B: tanh(x),   hidden weights and biases (n·σ_w, n·σ_b), hidden learning rate n²·δ
#      (the output layer, linear, is the same in both and keeps δ)
#
# From the same random streams, B's pre-activations are n times A's, so the networks compute
# the same function; under plain SGD the n² makes every update of B n times A's, so they
# stay equivalent. The script trains both and prints the largest relative difference of
# their loss trajectories (rounding), then shows that they part ways with B at the same
# learning rate δ, and under Adam (whose steps do not scale with the gradient).
# For n a power of two every scaling is exact in floating point and the trajectories are
# identical bit for bit; otherwise they start equal to rounding (1e-16), and how long they
# stay together depends on how strongly training amplifies rounding: at a large learning
# rate in the chaotic regime, by about 2× per step (try N=3 LR=0.02 against N=3 LR=0.002).
#
# Usage: scripts/rescaling.sh            # N=2 RUNS=4 STEPS=500 DEPTH=10 WIDTH=32 LR=0.02
#        N=3 STEPS=1000 scripts/rescaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-2}"
RUNS="${RUNS:-4}"
STEPS="${STEPS:-500}"
DEPTH="${DEPTH:-10}"
WIDTH="${WIDTH:-32}"
SW=0.7
SB=0.1
LR="${LR:-0.02}"
VANISH="${VANISH:-target/release/vanish}"
[[ -x "$VANISH" ]] || cargo build --release
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

sw_b=$(python3 -c "print($N*$SW)")
sb_b=$(python3 -c "print($N*$SB)")
n2=$(python3 -c "print($N*$N)")
common=(train --runs "$RUNS" --steps "$STEPS" --depth "$DEPTH" --width "$WIDTH"
        --output-sigma-w 1 --record-every 10 --quiet)
"$VANISH" "${common[@]}" --n "$N" --sigma-w "$SW" --sigma-b "$SB" --lr "$LR" --out "$TMP/a"
"$VANISH" "${common[@]}" --n 1 --sigma-w "$sw_b" --sigma-b "$sb_b" --lr "$LR" \
    --hidden-lr-scale "$n2" --out "$TMP/b"
"$VANISH" "${common[@]}" --n 1 --sigma-w "$sw_b" --sigma-b "$sb_b" --lr "$LR" --out "$TMP/b-same-lr"
"$VANISH" "${common[@]}" --n "$N" --sigma-w "$SW" --sigma-b "$SB" --optimizer adam \
    --lr 1e-3 --out "$TMP/a-adam"
"$VANISH" "${common[@]}" --n 1 --sigma-w "$sw_b" --sigma-b "$sb_b" --optimizer adam \
    --lr 1e-3 --hidden-lr-scale "$n2" --out "$TMP/b-adam"

python3 - "$TMP" "$N" <<'PY'
import csv, sys
tmp, n = sys.argv[1], sys.argv[2]
def losses(name):
    return {(r["run"], int(r["step"])): float(r["loss"])
            for r in csv.DictReader(open(f"{tmp}/{name}/trajectories.csv"))}
def compare(a, b):
    la, lb = losses(a), losses(b)
    rel = {k: abs(la[k] - lb[k]) / abs(la[k]) for k in la}
    worst = max(rel.values())
    # The first step at which any run's losses differ by more than 1e-6 (relative).
    apart = min((k[1] for k, r in rel.items() if r > 1e-6), default=None)
    last = max(k[1] for k in la)
    finals = [(la[k], lb[k]) for k in sorted(la) if k[1] == last]
    return worst, apart, finals[0]
print(f"tanh({n}x) with (σ_w, σ_b, δ)  against  tanh(x) with ({n}σ_w, {n}σ_b), hidden lr {n}²δ")
for label, a, b in [
    ("plain SGD, hidden lr n²·δ (the identity)", "a", "b"),
    ("plain SGD, the same lr δ", "a", "b-same-lr"),
    ("Adam, lr 1e-3 (n² on the hidden layers)", "a-adam", "b-adam"),
]:
    worst, apart, (fa, fb) = compare(a, b)
    apart = "never" if apart is None else f"step {apart}"
    print(f"  {label:<44} largest relative loss difference {worst:.2e}, above 1e-6 from "
          f"{apart}; final loss of run 0: {fa:.6g} vs {fb:.6g}")
PY
