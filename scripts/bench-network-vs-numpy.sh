#!/usr/bin/env bash
# Random-network draws per second: `vanish sim --source network` against the natural numpy
# version (scripts/bench_network_numpy.py), side by side in one invocation, at widths 64,
# 256 and 1024 and depth 50.
#
# Usage (from anywhere; paths are relative to the repository root):
#   scripts/bench-network-vs-numpy.sh                # WIDTHS="64 256 1024" K=50 THREADS=$(nproc)
#   WIDTHS="128 512" SCALE=4 scripts/bench-network-vs-numpy.sh
#
#   WIDTHS   widths to measure                                         default "64 256 1024"
#   K        depth                                                     default 50
#   THREADS  threads of the parallel vanish run; a --threads 1 run is always added
#   SCALE    multiplies every draw count (longer, steadier runs)       default 1
#   PY       a Python with numpy to use instead of the venv below (it is then not made)
#
# Model in both tools: tanh(2x), d = W, x0 ~ normal(0,1), σ_w = 1.2, σ_b = 0.1, Gaussian
# weights; every draw is a fresh network, forward pass with the Jacobian-vector product.
# Both compute all three quantities per draw; the means are printed side by side (they
# must agree within their standard errors: a check that both simulate the same thing).
# numpy times its draws with perf_counter (no start-up); vanish's seconds are elapsed_s
# from manifest.json. numpy's BLAS runs on one thread (as vanish --threads 1); "vs numpy"
# is the ratio of draws per second (> 1 means faster).
set -euo pipefail

cd "$(dirname "$0")/.."
WIDTHS="${WIDTHS:-64 256 1024}"
K="${K:-50}"
THREADS="${THREADS:-$(nproc)}"
SCALE="${SCALE:-1}"
VENV=target/bench-venv
PY="${PY:-$VENV/bin/python}"

if [[ ! -x "$PY" && "$PY" == "$VENV/bin/python" ]]; then
    echo "creating $VENV" >&2
    mkdir -p target
    python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet numpy
fi

cargo build --release -j1
VANISH=target/release/vanish
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Draws per width: about 2–4 s of numpy, and ten times as many for vanish.
draws_for() {
    case "$1" in
        64) echo 400 ;;
        128) echo 200 ;;
        256) echo 60 ;;
        512) echo 20 ;;
        *) echo $(( 6 * 1024 * 1024 / ($1 * $1) + 2 )) ;;
    esac
}

for w in $WIDTHS; do
    nd=$(( $(draws_for "$w") * SCALE ))
    echo "width $w: numpy, $nd draws ..." >&2
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_network_numpy.py \
        --width "$w" --depth "$K" --draws "$nd" >"$TMP/numpy-$w.json"
    for threads in 1 "$THREADS"; do
        nv=$(( 10 * nd * threads ))
        for q in path layer jacobian; do
            # Only the jacobian run is timed per thread count; path and layer give the
            # other two means from the same networks (same seed: the same draws).
            if [[ "$q" != jacobian && "$threads" != 1 ]]; then continue; fi
            echo "width $w: vanish --threads $threads --quantity $q, $nv draws ..." >&2
            "$VANISH" sim --source network --width "$w" --depth "$K" --n 2 \
                --sigma-w 1.2 --sigma-b 0.1 --quantity "$q" --samples "$nv" \
                --threads "$threads" --quiet --json --out "$TMP/v-$w-$threads-$q" \
                >"$TMP/v-$w-$threads-$q.json"
        done
    done
done

python3 - "$K" "$TMP" "$THREADS" "$WIDTHS" <<'PY'
import json, sys

k, tmp, threads, widths = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
print(f"K={k}, tanh(2x), d = W, σ_w = 1.2, σ_b = 0.1; draws per second (one network + input each)")
print(f"{'width':>6} {'numpy 1 thr':>12} {'vanish 1 thr':>13} {'vs numpy':>9} "
      f"{'vanish ' + str(threads) + ' thr':>14} {'vs numpy':>9}   mean log10 g (numpy | vanish)")
for w in widths:
    n = json.load(open(f"{tmp}/numpy-{w}.json"))
    rate = {}
    for t in sorted({1, threads}):
        m = json.load(open(f"{tmp}/v-{w}-{t}-jacobian/manifest.json"))
        rate[t] = m["config"]["samples"] / m["elapsed_s"]
    means = []
    for q in ("path", "layer", "jacobian"):
        s = json.load(open(f"{tmp}/v-{w}-1-{q}.json"))["log10_g"]
        z = (s["mean"] - n["mean_log10"][q]) / (s["se_mean"] ** 2 + n["se_log10"][q] ** 2) ** 0.5
        means.append(f"{q} {n['mean_log10'][q]:.3f} | {s['mean']:.3f} ({z:+.1f} se)")
    r = n["draws_per_second"]
    print(f"{w:>6} {r:>12.4g} {rate[1]:>13.4g} {rate[1] / r:>9.2f} "
          f"{rate[threads]:>14.4g} {rate[threads] / r:>9.2f}   " + "; ".join(means))
print()
print(f"numpy: {n['tool']}, BLAS on one thread; vanish: elapsed_s from manifest.json.")
PY
