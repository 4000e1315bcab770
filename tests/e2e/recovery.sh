#!/usr/bin/env bash
# Recovery (docs/recovery.md): every citation says where its record was
# found (origin); --no-recover leaves the outputs of an image without
# anything to recover as they are.
. "$(dirname "$0")/lib.sh"
need jq
H="$FIXTURES/hosts"

# --- origins on live records; --no-recover changes nothing where nothing is recovered
tm scan -q -o "$T/rec" "$H/src01.raw"
assert_eq "$RC" 0 "scan"
tm scan -q --no-recover -o "$T/norec" "$H/src01.raw"
assert_eq "$RC" 0 "scan --no-recover"
# the same outputs but for the report's line of options
same_but_options() { # DIR_A DIR_B WHAT
  local f
  for f in $(cd "$2" && find . -name report.html); do
    sed -i 's|, options <code>--no-recover</code>||' "$2/$f"
  done
  same_outputs "$1" "$2" "$3"
}
same_but_options "$T/rec" "$T/norec" "live image with and without --no-recover"
assert_eq "$(jq -r '.evidence[].origin' "$T/rec/src01/traces.jsonl" | sort -u)" "live" "live citations' origin"
assert_eq "$(jq -c '.origins' "$T/rec/src01/traces.jsonl" | sort -u)" '["live"]' "live traces' origins"
tm scan --help
assert_contains "$OUT" "--no-recover" "scan --help lists --no-recover"

finish
