#!/usr/bin/env bash
# Regenerates every number and figure of the analysis of the question and its answers (the question "why not use
# tanh(n·x)?" and its answers) into one folder, with an HTML report and a table of claims.
#
#   scripts/reproduce.sh [OUT]        # OUT defaults to results/ (it must not exist yet)
#
# Steps (each one timed; the times go to OUT/timings.txt):
#   thresholds   t1(n), e(n), the depth threshold, their maxima (0.658, 0.441, 9.0, n*)
#   sim          log10 g of tanh(x) and tanh(2x), K = 20, x ~ N(0,1), with the exact law
#   depth        P(vanish), P(explode) against K for n = 1, 1.5, 1.81, 2, 3 (exact beside MC)
#   half-inside  "half or more of the x's need to be inside [−0.658, 0.658]": tanh(2x),
#                x ~ N(0, s²) over s, where the fraction inside crosses 1/2 and where g
#                stops vanishing
#   meanfield    the phase diagram of tanh(2x) networks over (σ_w, σ_b), a 111 × 31 grid
#                (the critical line root-found at each of the 31 σ_b)
#   networks     the rescaling claim at initialisation: tanh(2x) at (0.6, 0.05) against
#                tanh(x) at (1.2, 0.1), the same networks draw for draw
#   train        the one-way street in the regime of the first study: 48 training runs
#                whose gain hardly moves (the verdict must say so)
#   dynamics     the one-way street where the gain moves: 24 regimes (n, σ_w around the
#                critical one, lr), the chain with hysteresis, [converged], competing
#                risks, and the verdict (scripts/dynamics.sh)
#   train-map    which initial points lead to vanishing: σ_w × n
#   rescaling    the rescaling claim in training (scripts/rescaling.sh)
#   report       OUT/report/index.html of all of the above
# and OUT/claims.md: each claim, the command that tests it, and what the run says.
# About a minute and a half on 2 cores after the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-results}"
if [[ -e "$OUT" ]]; then
  echo "error: '$OUT' exists; remove it or give another folder" >&2
  exit 2
fi
mkdir -p "$OUT"
TIMES="$OUT/timings.txt"
: > "$TIMES"

step() {
  local name="$1"; shift
  local t0; t0=$(date +%s.%N)
  "$@"
  local t1; t1=$(date +%s.%N)
  local took; took=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
  printf '%-12s %7s s\n' "$name" "$took" | tee -a "$TIMES"
}

step build cargo build --release --quiet
V=target/release/vanish

thresholds() {
  "$V" thresholds --n 1,1.25,1.5,1.7235,1.8102,2,2.5,3,3.5,4 --depth 50 \
    --out "$OUT/thresholds" --plot > /dev/null
}
step thresholds thresholds
sim_pair() {
  "$V" sim --n 1 --depth 20 --samples 1000000 --method exact --quiet --out "$OUT/sim-tanh-x" --plot
  "$V" sim --n 2 --depth 20 --samples 1000000 --method exact --quiet --out "$OUT/sim-tanh-2x" --plot
}
step sim sim_pair
step depth "$V" table --n 1,1.5,1.81,2,3 --depth 5:100:5 --samples 100000 --method exact \
  --quiet --out "$OUT/depth" --plot
step half-inside "$V" table --n 2 --dist 'normal(0,{s})' --s 0.3:1.5:0.05 --depth 50 \
  --samples 100000 --method exact --quiet --out "$OUT/half-inside" --plot
meanfield() {
  "$V" meanfield --activation tanh --n 2 --sigma-w 0.2:2.4:0.02 --sigma-b 0:0.3:0.01 \
    --out "$OUT/meanfield" --plot > /dev/null
}
step meanfield meanfield
networks() {
  "$V" sim --source network --depth 50 --width 128 --n 2 --sigma-w 0.6 --sigma-b 0.05 -N 1000 \
    --quantity path --quiet --out "$OUT/network-tanh-2x" --plot
  "$V" sim --source network --depth 50 --width 128 --n 1 --sigma-w 1.2 --sigma-b 0.1 -N 1000 \
    --quantity path --quiet --out "$OUT/network-tanh-x" --plot
}
step networks networks
step train "$V" train --n 1 --runs 48 --depth 30 --width 16 --sigma-w 0.65 --steps 400 --lr 0.05 \
  --fit --quiet --out "$OUT/train" --plot
# The one-way street where the gain moves (scripts/dynamics.sh: 24 regimes).
dynamics() { VANISH="$V" scripts/dynamics.sh "$OUT/dynamics"; }
step dynamics dynamics
step train-map "$V" train --runs 24 --depth 30 --width 16 --sigma-w 0.5:1.5:0.25 --n 1,2 \
  --steps 200 --lr 0.05 --quiet --out "$OUT/train-map" --plot
rescaling() { VANISH="$V" scripts/rescaling.sh > "$OUT/rescaling.txt"; }
step rescaling rescaling
step report "$V" report "$OUT/thresholds" "$OUT/sim-tanh-x" "$OUT/sim-tanh-2x" "$OUT/depth" \
  "$OUT/half-inside" "$OUT/meanfield" "$OUT/network-tanh-2x" "$OUT/network-tanh-x" \
  "$OUT/train" "$OUT"/dynamics/n2-sw* "$OUT/train-map" --out "$OUT/report"
python3 scripts/claims.py "$OUT" > "$OUT/claims.md"
cat "$OUT/claims.md"
echo
echo "results in $OUT/ (report: $OUT/report/index.html; times: $TIMES)"
