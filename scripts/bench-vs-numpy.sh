#!/usr/bin/env bash
# Compare `vanish sim` against the natural vectorised numpy version (scripts/bench_numpy.py).
#
# Usage (from anywhere; paths are relative to the repository root):
#   scripts/bench-vs-numpy.sh                     # N=2000000 K=50 THREADS=$(nproc)
#   N=1000000 K=100 THREADS=4 scripts/bench-vs-numpy.sh
#
#   N        samples (products g)        default 2000000
#   K        depth (factors per product) default 50
#   THREADS  threads for the parallel vanish run; a --threads 1 run is always added
#
# Model in both tools: f(x) = tanh(2x), x ~ Normal(0,1), g = prod_{i=1..K} f'(x_i).
# Needs python3 with the venv module, network access to PyPI on the first run (numpy is
# installed into target/bench-venv), and cargo.
#
# Timing: numpy times only its sampling + arithmetic (time.perf_counter inside the script,
# no interpreter start-up or imports); vanish is timed from outside with date +%s.%N, so
# its seconds include process start-up and output.  The comparison is therefore slightly
# in numpy's favour.  "ratio" = derivatives/s relative to numpy (> 1 means faster).
#
# On some processors the environment sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (tuning
# for a specific core); an unexpected value can break or slow numpy's OpenBLAS, so they
# are unset for the numpy command only (vanish does not use them).
set -euo pipefail

cd "$(dirname "$0")/.."
N="${N:-2000000}"
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

echo "N=$N K=$K THREADS=$THREADS" >&2
echo "running numpy ..." >&2
NUMPY_JSON="$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/bench_numpy.py \
    --n 2 --depth "$K" --samples "$N")"

# run_vanish THREADS -> sets VANISH_JSON and VANISH_SECONDS (wall time incl. start-up)
run_vanish() {
    local threads="$1" t0 t1
    echo "running vanish --threads $threads ..." >&2
    t0="$(date +%s.%N)"
    VANISH_JSON="$("$VANISH" sim --n 2 --depth "$K" --samples "$N" --dist 'normal(0,1)' \
        --threads "$threads" --quiet --json)"
    t1="$(date +%s.%N)"
    VANISH_SECONDS="$(python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$t0" "$t1")"
}

run_vanish "$THREADS"
PAR_JSON="$VANISH_JSON" PAR_SECONDS="$VANISH_SECONDS"
run_vanish 1
SER_JSON="$VANISH_JSON" SER_SECONDS="$VANISH_SECONDS"

# Table and P(vanish) sanity check.  vanish's JSON: {"probabilities": {"vanish": {"p": ...}}};
# anything missing or unparsable is shown as n/a instead of failing.
python3 - "$N" "$K" "$THREADS" "$NUMPY_JSON" "$PAR_SECONDS" "$PAR_JSON" "$SER_SECONDS" "$SER_JSON" <<'EOF'
import json, sys

n, k, threads, numpy_json, par_s, par_json, ser_s, ser_json = sys.argv[1:]
factors = int(n) * int(k)

def parse(text):
    for candidate in (text, *reversed(text.strip().splitlines())):
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    return None

def p_vanish(doc):
    try:
        return "%.6f" % float(doc["probabilities"]["vanish"]["p"])
    except (KeyError, TypeError, ValueError):
        return "n/a"

np_doc = json.loads(numpy_json)
np_rate = np_doc["derivatives_per_second"]
rows = [("numpy", 1, np_doc["seconds"], np_rate)]
for label, t, s in (("vanish", threads, par_s), ("vanish", 1, ser_s)):
    rows.append((label, t, float(s), factors / float(s)))

print(f"N={n} K={k}  ({factors:.3g} derivatives per run)")
print(f"{'tool':<8} {'threads':>7} {'seconds':>10} {'derivatives/s':>15} {'ratio vs numpy':>15}")
for tool, t, s, rate in rows:
    print(f"{tool:<8} {t:>7} {s:>10.3f} {rate:>15.4g} {rate / np_rate:>15.2f}")
print()
if parse(par_json) is None or parse(ser_json) is None:
    print("warning: vanish printed no parsable JSON; its timings may not reflect a real run")
print(f"P(vanish)  numpy: {np_doc['p_vanish']:.6f}   vanish (threads={threads}): "
      f"{p_vanish(parse(par_json))}   vanish (threads=1): {p_vanish(parse(ser_json))}")
EOF
