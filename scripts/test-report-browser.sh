#!/usr/bin/env bash
# Real-browser test of a self-contained HTML report.
#
#   scripts/test-report-browser.sh REPORT_DIR_OR_INDEX_HTML [SCREENSHOT_DIR]
#   scripts/test-report-browser.sh            # builds a report of small real runs first
#
# Without arguments it runs thresholds, sim, table, meanfield, train (with --fit) and a
# training map with $VANISH (default target/debug/vanish, built if missing) into
# target/report-test/, writes their report with `vanish report`, and checks that (this is
# what .ci/run does).
#
# Renders the report in Debian's headless Chromium at a laptop and a phone viewport, saves
# laptop.png and phone.png (default: screenshots/ next to the report), and fails on network
# access, console/page errors, failed requests, broken images, empty SVG figures, a report
# with no figures, and horizontal overflow on the phone. The checks themselves are in
# report_browser_check.mjs beside this script (read its header).
#
# Installs what it needs if missing: the chromium package (apt-get; as root, or via sudo),
# and playwright-core from the npm registry into ${VANISH_BROWSER_CACHE:-target/browser-driver}
# (relative to the repository root). playwright-core drives /usr/bin/chromium; it never
# downloads a browser of its own.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

if [[ $# -gt 2 ]]; then
  echo "usage: $0 [REPORT_DIR_OR_INDEX_HTML [SCREENSHOT_DIR]]" >&2
  exit 2
fi
if [[ $# -eq 0 ]]; then
  V="${VANISH:-$root/target/debug/vanish}"
  [[ -x "$V" ]] || (cd "$root" && cargo build --quiet)
  runs="$root/target/report-test"
  rm -rf "$runs"
  mkdir -p "$runs"
  echo "runs for the report in $runs ..." >&2
  "$V" thresholds --n 1:4:0.5 --out "$runs/thresholds" >/dev/null
  "$V" sim --n 2 --depth 20 --samples 1e5 --method exact --quiet --out "$runs/sim"
  "$V" table --n 1,2,3 --depth 5:50:5 --samples 1e4 --method exact --quiet --out "$runs/table"
  "$V" meanfield --activation tanh --sigma-w 0.5:2.5:0.25 --sigma-b 0:0.3:0.1 \
    --out "$runs/meanfield" >/dev/null
  "$V" train --n 1 --runs 16 --depth 12 --width 8 --steps 100 --fit --quiet --out "$runs/train"
  "$V" train --runs 8 --depth 12 --width 8 --steps 60 --sigma-w 0.5,1,1.5 --n 1,2 --quiet \
    --out "$runs/map"
  "$V" report "$runs/thresholds" "$runs/sim" "$runs/table" "$runs/meanfield" "$runs/train" \
    "$runs/map" --out "$runs/report" >&2
  set -- "$runs/report"
fi
report="$1"
[[ -d "$report" ]] && report="$report/index.html"
if [[ ! -f "$report" ]]; then
  echo "FAIL no report at $report" >&2
  exit 2
fi
shots="${2:-$(dirname "$report")/screenshots}"

apt_install() {
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "FAIL need root or sudo to apt-get install $*" >&2; exit 2; }
    sudo="sudo"
  fi
  echo "installing $* with apt-get ..." >&2
  local log; log="$(mktemp)"
  if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "FAIL apt-get install $* failed" >&2
    exit 2
  fi
  rm -f "$log"
}

[[ -x /usr/bin/chromium ]] || apt_install chromium
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi

cache="${VANISH_BROWSER_CACHE:-target/browser-driver}"
[[ "$cache" = /* ]] || cache="$root/$cache"
if [[ ! -f "$cache/node_modules/playwright-core/package.json" ]]; then
  echo "installing playwright-core into $cache ..." >&2
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error playwright-core@1 >/dev/null \
    || { echo "FAIL npm install playwright-core@1 into $cache failed" >&2; exit 2; }
fi

VANISH_BROWSER_CACHE="$cache" exec node "$here/report_browser_check.mjs" "$report" "$shots"
