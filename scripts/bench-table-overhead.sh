#!/usr/bin/env bash
# Per-cell overhead of `vanish table`: a 1000-cell grid with small N against one cell with
# the same total work (same K, N·1000 samples), in one run, both journaled into --out.
#
# Usage: scripts/bench-table-overhead.sh        N=10000 K=50 THREADS=$(nproc) PRECISION=f64
# Prints derivatives per second of each (from the manifests' elapsed_s: cells, journal,
# tables; no start-up) and their ratio: the fraction of the one-cell throughput that a
# grid of small cells keeps.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-10000}"
K="${K:-50}"
THREADS="${THREADS:-$(nproc)}"
PRECISION="${PRECISION:-f64}"
cargo build --release --quiet
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
run() { # NAME FLAGS...: prints derivatives per second
    local dir="$TMP/$1"
    shift
    target/release/vanish table "$@" --depth "$K" --threads "$THREADS" --precision "$PRECISION" \
        --quiet --out "$dir"
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); g=m["grid"]; ax={a["name"]:a["values"] for a in g["axes"]};
work=sum(ax["samples"])*len(ax["n"])*ax["depth"][0]; print(work/m["elapsed_s"])' "$dir/manifest.json"
}
grid=$(run grid --n 1:2.998:0.002 --samples "$N")
one=$(run one --n 2 --samples $((N * 1000)))
python3 - "$grid" "$one" "$N" "$K" "$THREADS" "$PRECISION" <<'PY'
import sys
grid, one, n, k, threads, precision = sys.argv[1:]
grid, one = float(grid), float(one)
print(f"K={k}, {precision}, {threads} threads, 1000·{n}·{k} = {1000 * int(n) * int(k):.3g} derivatives each")
print(f"1000 cells of N={n}:   {grid:.3g} derivatives/s")
print(f"1 cell of N={1000 * int(n)}: {one:.3g} derivatives/s")
print(f"ratio: {grid / one:.2f}")
PY
