#!/usr/bin/env bash
# The one-way street where the gain moves: training runs in 24 regimes, each fitted with
# the hysteresis chain, [converged] and the competing risks, each with its verdict.
#
#   scripts/dynamics.sh OUT        # writes OUT/n{n}-sw{f}-lr{lr}/ per regime
#
# Regimes: n = 1, 2, 3; σ_w = f × the critical σ_w that `vanish meanfield` finds (χ1 = 1,
# σ_b = 0) for f = 0.5 (ordered), 1 (critical), 2 and 3 (chaotic); learning rate 0.01 and
# 0.1. Each: 24 runs of a 20-layer, width-16 MLP on the teacher task, 2000 steps, a record
# every 10 steps, [g∼0] below probe_gain 1e-6 (leave above 1e-3), [converged] at loss < 0.1.
# About five minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:?usage: scripts/dynamics.sh OUT}"
V="${VANISH:-target/release/vanish}"
mkdir -p "$OUT"
for n in 1 2 3; do
  crit=$("$V" meanfield --n "$n" --sigma-w 1 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["critical"][0]["sigma_w"])')
  for f in 0.5 1 2 3; do
    sw=$(python3 -c "print(f'{$f * $crit:.4g}')")
    for lr in 0.01 0.1; do
      "$V" train --runs 24 --depth 20 --width 16 --n "$n" --sigma-w "$sw" --lr "$lr" \
        --steps 2000 --record-every 10 --fit --converged 'loss < 0.1' --quiet --plot \
        --out "$OUT/n$n-sw$f-lr$lr"
    done
  done
done
