#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target of fuzz/ for a while, one at a time (one core).
#
#   scripts/fuzz.sh SECONDS [TARGET…]          e.g. scripts/fuzz.sh 10 (what .ci/run does)
#   RUNS=10000000 scripts/fuzz.sh 0 dist       10^7 executions instead of a time limit
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`); exits 0
# with a note when they are missing. New inputs go to a temporary folder, never into the
# committed corpus (add one by hand to fuzz/corpus/TARGET when it is worth keeping). A
# crash, a panic or a hang (over 10 s on one input) is saved under
# fuzz/artifacts/TARGET/ and fails the script, unless fuzz/regressions/KNOWN already lists
# a reproducer of that target (a known failure, not fixed yet): then it is reported only.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
unset CARGO_TARGET_DIR   # the fuzz crate builds into fuzz/target

seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET…]}"
shift
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "skipped: no cargo-fuzz on the nightly toolchain (rustup toolchain install nightly; cargo install cargo-fuzz --locked)"
  exit 0
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# -s none: the crate is safe Rust (its one unsafe file is tested against the portable
# path), so AddressSanitizer adds build time and slows every execution for little.
start=$(date +%s)
cargo +nightly fuzz build -s none -a
echo "fuzz build: $(( $(date +%s) - start )) s"

limit=(-max_total_time="$seconds")
if [[ -n "${RUNS:-}" ]]; then
  limit=(-runs="$RUNS")
fi
failed=()
for t in "${targets[@]}"; do
  fresh="$(mktemp -d)"
  mkdir -p "artifacts/$t"
  if cargo +nightly fuzz run -s none -a "$t" "$fresh" "corpus/$t" -- \
      "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -seed=1 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>"$fresh.log"; then
    echo "$t: $(grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec' "$fresh.log" | tr -s ' ' | tr '\n' ' ')"
  elif grep -q "^$t/" regressions/KNOWN 2>/dev/null; then
    echo "$t: a failure, and $t has known failures not fixed yet (fuzz/regressions/KNOWN):"
    grep -E 'panicked|deadly signal|Test unit written|timeout' "$fresh.log" | head -5
  else
    echo "$t: FAILED"
    grep -E 'panicked|deadly signal|Test unit written|timeout' "$fresh.log" | head -5
    failed+=("$t")
  fi
  rm -rf "$fresh" "$fresh.log"
done
echo "fuzzing: $(( $(date +%s) - start )) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "new failures in: ${failed[*]} (reproducers in fuzz/artifacts/)" >&2
  exit 1
fi
