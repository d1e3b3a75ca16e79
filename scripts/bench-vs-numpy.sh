#!/usr/bin/env bash
# Compare `vanish sim` in each precision against the natural vectorised numpy version
# (scripts/bench_numpy.py), side by side in one invocation.
#
# Usage (from anywhere; paths are relative to the repository root):
#   scripts/bench-vs-numpy.sh                 # N=2000000 NV=20000000 K=50 THREADS=$(nproc)
#   N=1000000 K=100 THREADS=4 scripts/bench-vs-numpy.sh
#
#   N        samples for numpy and for vanish --precision reference   default 2000000
#   NV       samples for vanish --precision f32 and f64               default 20000000
#   K        depth (factors per product)                              default 50
#   THREADS  threads of the parallel vanish runs; --threads 1 runs are always added
#
# Model in both tools: f(x) = tanh(2x), x ~ Normal(0,1), g = prod_{i=1..K} f'(x_i).
# Needs python3 with the venv module, network access to PyPI on the first run (numpy is
# installed into target/bench-venv), and cargo.
#
# Timing: numpy times only its sampling + arithmetic + counting (time.perf_counter inside
# the script, no interpreter start-up or imports); vanish's seconds are its own elapsed_s
# from manifest.json (kernel + summary: no start-up, theory or output). "vs numpy" is the
# ratio of derivatives per second (> 1 means faster).
#
# On some processors the environment sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (tuning
# for a specific core); an unexpected value can break or slow numpy's OpenBLAS, so they
# are unset for the numpy command only (vanish does not use them).
set -euo pipefail

cd "$(dirname "$0")/.."
N="${N:-2000000}"
NV="${NV:-20000000}"
K="${K:-50}"
THREADS="${THREADS:-$(nproc)}"
VENV=target/bench-venv
PY="$VENV/bin/python"

if [[ ! -x "$PY" ]]; then
    echo "creating $VENV" >&2
    mkdir -p target
    python3 -m venv "$VENV"
fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet numpy
fi

cargo build --release
VANISH=target/release/vanish
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "N=$N NV=$NV K=$K THREADS=$THREADS" >&2
echo "running numpy ..." >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_numpy.py \
    --n 2 --depth "$K" --samples "$N" >"$TMP/numpy.json"

# run_vanish PRECISION THREADS SAMPLES: one run, its files under $TMP/PRECISION-THREADS.
run_vanish() {
    local dir="$TMP/$1-$2"
    echo "running vanish --precision $1 --threads $2 --samples $3 ..." >&2
    "$VANISH" sim --n 2 --depth "$K" --samples "$3" --dist 'normal(0,1)' \
        --precision "$1" --threads "$2" --quiet --json --out "$dir" >"$dir.json"
}

for precision in f32 f64 reference; do
    samples="$NV"
    [[ "$precision" == reference ]] && samples="$N"
    for threads in 1 "$THREADS"; do
        run_vanish "$precision" "$threads" "$samples"
    done
done

python3 - "$K" "$TMP" "$THREADS" <<'PY'
import json, sys

k, tmp, threads = int(sys.argv[1]), sys.argv[2], sys.argv[3]
numpy = json.load(open(f"{tmp}/numpy.json"))
np_rate = numpy["derivatives_per_second"]
limit = 1.35e9  # issue 4: RNG + normal + one exp per element, one core of this machine
print(f"K={k}, tanh(2x), x ~ normal(0,1); numpy N={numpy['samples']}")
print(f"{'tool':<24} {'threads':>7} {'N':>9} {'seconds':>8} {'derivs/s':>10} "
      f"{'per core':>9} {'vs numpy':>8} {'of limit':>8}  P(vanish)")
print(f"{'numpy f64':<24} {1:>7} {numpy['samples']:>9.3g} {numpy['seconds']:>8.3f} "
      f"{np_rate:>10.3g} {np_rate:>9.3g} {1:>8.2f} {np_rate / limit:>8.0%}  "
      f"{numpy['p_vanish']:.6f}")
for precision in ("f32", "f64", "reference"):
    for t in sorted({1, int(threads)}):
        m = json.load(open(f"{tmp}/{precision}-{t}/manifest.json"))
        s = json.load(open(f"{tmp}/{precision}-{t}.json"))
        n = m["config"]["samples"]
        rate = n * k / m["elapsed_s"]
        print(f"{'vanish ' + m['kernel']:<24} {t:>7} {n:>9.3g} {m['elapsed_s']:>8.3f} "
              f"{rate:>10.3g} {rate / t:>9.3g} {rate / np_rate:>8.2f} {rate / t / limit:>8.0%}  "
              f"{s['probabilities']['vanish']['p']:.6f}")
print()
print("seconds: numpy's perf_counter around sampling, arithmetic and counting; vanish's own")
print("elapsed_s (kernel + summary; no start-up, theory or output). 'of limit': per-core")
print("rate over 1.35e9/s, the RNG + normal + one-exp-per-element limit quoted in issue 4.")
PY
