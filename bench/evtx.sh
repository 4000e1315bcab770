#!/usr/bin/env bash
# bench/evtx.sh [RECORDS] [BUILD]: EVTX throughput, side by side with Debian's
# evtxexport on the same file. Prints figures only (no pass/fail).
#   - evtxexport (renders every record as text)
#   - toolmark-parse, every record rendered and parsed (what dump does)
#   - toolmark-parse, subscription of two event ids (what scan does: only
#     wanted records are rendered)
#   - toolmark dump with 1, 2 ... N parser workers (one file split by record range)
#   - toolmark scan (the plugins) with 1 and N workers
set -euo pipefail
n=${1:-200000}
build=${2:-build}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/logs"
bench/make-evtx-spec.sh "$n" >"$dir/spec"
"$build/fixtures/evtx_writer" "$dir/spec" "$dir/logs/Security.evtx"
size=$(stat -c %s "$dir/logs/Security.evtx")
echo "file: $n records, $((size / 1048576)) MiB, $(nproc) cores"
rate() { # LABEL COMMAND...
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { d = b - a; printf "%-44s %7.2f s %9.0f records/s\n", l, d, n / d }'
}
rate "evtxexport (text, every record)" evtxexport "$dir/logs/Security.evtx"
rate "toolmark-parse: every record, XML parsed" "$build/toolmark-parse" --count evtx "$dir/logs/Security.evtx"
rate "toolmark-parse: subscription 4624+4688" "$build/toolmark-parse" --count \
  --want "$(printf 'Security\t4624\nSecurity\t4688')" evtx "$dir/logs/Security.evtx"
rate "toolmark-parse: subscription, nothing wanted" "$build/toolmark-parse" --count \
  --want "$(printf 'System\t7045')" evtx "$dir/logs/Security.evtx"
for j in $(seq 1 "$(nproc)"); do
  rate "toolmark dump -j $j (JSON of every record)" "$build/toolmark" dump -j "$j" "$dir/logs"
done
# The whole pipeline: the plugins' subscription in the workers, executions,
# runs and traces (peak memory of the input process from /usr/bin/time when
# present).
for j in 1 "$(nproc)"; do
  rm -rf "$dir/out"
  rate "toolmark scan -j $j (plugins, traces)" "$build/toolmark" scan -j "$j" -o "$dir/out" "$dir/logs"
done
if [ -x /usr/bin/time ]; then
  rm -rf "$dir/out"
  /usr/bin/time -f "toolmark scan -j 1: peak RSS %M KiB (largest process)" "$build/toolmark" scan -o "$dir/out" "$dir/logs" 2>&1 >/dev/null | tail -1
fi
