#!/usr/bin/env bash
# Self-test of test-report-browser.sh: good.html must pass; each bad-*.html must fail with
# the expected message (and only fail, never crash with exit 2). Prints 'N passed, N failed'.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
driver="${REPORT_BROWSER_DRIVER:-$here/../test-report-browser.sh}"
out="$(mktemp -d)"
declare -A expect=(
  [good]=''
  [bad-console]='console error: something went wrong'
  [bad-img]='broken image (not loaded or naturalWidth 0): img src=missing-plot.png'
  [bad-empty-svg]='empty inline svg figure'
  [bad-network]='network request (report must be self-contained): http://cdn.example.com/style.css'
  [bad-wide]='horizontal overflow on the phone: page is 2008px wide'
  [bad-nofigures]='no figures'
  [bad-jsonly]='with JavaScript disabled only 1/2 figures'
)
pass=0 fail=0
for name in "${!expect[@]}"; do
  log="$out/$name.log"
  "$driver" "$here/$name.html" "$out/$name" >"$log" 2>&1; rc=$?
  want="${expect[$name]}"
  if { [[ -z "$want" && $rc -eq 0 ]] || [[ -n "$want" && $rc -eq 1 ]] && grep -qF -- "$want" "$log"; } \
     && [[ -s "$out/$name/laptop.png" && -s "$out/$name/phone.png" ]]; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name (exit $rc, wanted: ${want:-pass})"; sed 's/^/     /' "$log"
  fi
done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
