#!/usr/bin/env bash
# The report at scale: the report of a large generated case (100,000 traces
# over 18 months, 300 tools and activities, long base64 command lines,
# 10,000 errors) stays small, well-formed and self-contained, and headless
# Chromium (Debian's) renders it and a real scan's report to a screenshot.
. "$(dirname "$0")/lib.sh"
need xmllint
: "${TESTBIN:?}"
"$TESTBIN/test_outputs" --big-report "$T/big.html" 100000 || fail "the large report could not be written"
size=$(stat -c %s "$T/big.html")
[ "$size" -le $((5 * 1024 * 1024)) ] || fail "report of 100,000 traces is $size bytes (over 5 MB)"
xmllint --noout "$T/big.html" 2>"$T/xml.err" || fail "the large report is not well-formed: $(head -3 "$T/xml.err")"
assert_contains "$(head -c 2000 "$T/big.html")" "Content-Security-Policy" "a Content-Security-Policy"
ext=$(grep -oiE '(src|href)="[a-z]+:|url\(|@import|<script|<link|<iframe|<img' "$T/big.html" | grep -v '^href="#' || true)
assert_eq "$ext" "" "the report references nothing outside itself"
# every row, whatever its count, once; the long lists capped
assert_eq "$(grep -c '<h2>All traces</h2>' "$T/big.html")" 1 "one All traces section"
assert_contains "$(cat "$T/big.html")" "The first 1000 of 100000 traces" "All traces capped, and says so"
assert_contains "$(cat "$T/big.html")" "more in traces.jsonl" "a row's list capped, and says where the rest is"
# a time axis with dated ticks
[ "$(grep -o 'text-anchor="middle">20[0-9][0-9]-[0-9][0-9]' "$T/big.html" | wc -l)" -ge 3 ] || fail "the time axis has no dated ticks"

tm scan -o "$T/o" "$FIXTURES/hosts/src01.raw"
assert_eq "$RC" 0 "scan"
command -v chromium >/dev/null || skip "chromium not installed: the rendering was not checked"
for page in "$T/big.html" "$T/o/src01/report.html"; do
  rm -rf "$T/profile"
  timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$T/profile" \
    --window-size=1400,1800 --screenshot="$T/shot.png" "file://$page" >"$T/chromium.log" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] || fail "chromium could not render $(basename "$page") (status $rc): $(tail -3 "$T/chromium.log")"
  [ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "no PNG screenshot of $page"
  [ "$(stat -c %s "$T/shot.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "the screenshot of $page is (nearly) empty"
done
finish
