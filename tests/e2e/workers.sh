#!/usr/bin/env bash
# Parser isolation: a worker that crashes or hangs costs its job, is
# reported, and the run goes on.
. "$(dirname "$0")/lib.sh"

printf '#!/bin/sh\nkill -SEGV $$\n' >"$T/crashing-worker"
printf '#!/bin/sh\nexec sleep 3600\n' >"$T/hanging-worker"
printf '#!/bin/sh\nprintf "garbage garbage garbage" >&3\nexec cat <&3 >/dev/null\n' >"$T/lying-worker"
chmod +x "$T"/*-worker

tm dump --kind evtx --worker "$T/crashing-worker" "$FIXTURES/mbr.raw"
assert_eq "$RC" 1 "crashing worker"
assert_contains "$ERR" "parser worker died (Segmentation fault)" "crash reported"
assert_eq "$(printf '%s\n' "$ERR" | grep -c 'parser worker died')" 3 "each of the 3 EVTX jobs reported"

tm dump --kind evtx --worker "$T/hanging-worker" --worker-timeout 1 "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "hanging worker"
assert_contains "$ERR" "no progress for 1 s: parser worker killed" "hang reported"

tm dump --kind evtx --worker "$T/lying-worker" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "malformed worker output"
assert_contains "$ERR" "malformed" "malformed output reported"

# A worker that dies in the middle of an artifact (a library's fault, made
# here by TOOLMARK_TEST_WORKER_FAULT after the 10th of src01's 26 Security
# records): the artifact is reported, the 10 records read before the fault
# are kept (they were still in the worker's batch: the fault handler sends
# them), the other artifacts and inputs are read whole, exit 1.
H="$FIXTURES/hosts/src01.raw"
TOOLMARK_TEST_WORKER_FAULT=10:Logs/Security.evtx tm dump --kind evtx "$H" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "a worker that died mid-artifact"
counts=$(printf '%s\n' "$OUT" | jq -r '.input_id + " " + (.path | sub(".*/"; ""))' | sort | uniq -c | awk '{print $2 "/" $3 "=" $1}' | tr '\n' ' ')
assert_eq "$counts" "bare/Security.evtx=3 bare/System.evtx=2 src01/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx=3 src01/Security.evtx=10 " \
  "the records read before the fault kept, the rest read whole"
# (a sanitizer build's worker reports the fault and exits 1 instead)
assert_contains "$ERR" "Logs/Security.evtx: parse job failed: parser worker " "the artifact reported"
assert_contains "$ERR" "(records delivered before: 10)" "with the records it delivered"
assert_eq "$(printf '%s\n' "$ERR" | grep -c 'parse job failed')" 1 "only that artifact"
TOOLMARK_TEST_WORKER_FAULT=10:Logs/Security.evtx tm scan -o "$T/fault" "$H" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "scan with a worker that died mid-artifact"
assert_eq "$(jq -c '.artifacts.evtx | [.failed, .records]' "$T/fault/src01/summary.json")" "[1,13]" "summary: one log failed, its 10 records and the other log's 3 kept"
grep -q 'parse job failed: parser worker' "$T/fault/src01/errors.jsonl" || fail "errors.jsonl names the worker's end"
[ "$(jq -s length "$T/fault/src01/traces.jsonl")" -gt 0 ] || fail "traces from the records read before the fault"
[ -f "$T/fault/bare/summary.json" ] && [ -f "$T/fault/case/summary.json" ] || fail "the run went on to the next input and the case"

# A real worker still runs after such failures: the next input is fine.
tm dump --kind evtx "$FIXTURES/bare.raw"
assert_eq "$RC" 0 "real worker"
# Each worker runs under its memory budget (RLIMIT_AS); one that runs out
# says so. (Sanitizer builds cannot limit their address space.)
printf '#!/bin/sh\nulimit -v >"%s/limit"\nexit 0\n' "$T" >"$T/limit-worker"
printf '#!/bin/sh\nexit 86\n' >"$T/oom-worker"
chmod +x "$T/limit-worker" "$T/oom-worker"
tm dump --kind evtx --worker "$T/limit-worker" --worker-memory 256M "$FIXTURES/bare.raw"
if [ "${TM_SANITIZED:-0}" != 1 ]; then
  assert_eq "$(cat "$T/limit")" 262144 "the worker's address space limit (KiB)"
  tm scan --worker-memory 256M -o "$T/budget" "$FIXTURES/bare.raw"
  assert_eq "$RC" 0 "a real worker within a 256 MiB budget: $ERR"
fi
tm dump --kind evtx --worker "$T/oom-worker" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "a worker out of memory"
assert_contains "$ERR" "parser worker ran out of its memory budget (--worker-memory 2048 MiB)" "said as such"
tm dump --worker-memory 3X "$FIXTURES/bare.raw"
assert_eq "$RC" 2 "a bad size"
assert_contains "$ERR" "--worker-memory wants a size" "the option named"

# kill -9 of the supervisor takes its input process and workers with it: a
# worker that says when it runs and then waits; the test holds the read end
# of toolmark's stdout, which every one of its processes inherits, so EOF
# there means that none is left.
mkfifo "$T/ready" "$T/stdout"
printf '#!/bin/sh\necho $$ >"%s/ready"\nexec sleep 3600\n' "$T" >"$T/waiting-worker"
chmod +x "$T/waiting-worker"
"$TOOLMARK" dump --kind evtx --worker "$T/waiting-worker" --worker-timeout 3600 "$FIXTURES/bare.raw" \
  >"$T/stdout" 2>"$T/err" &
sup=$!
exec 5<"$T/stdout"
read -r wpid <"$T/ready"
kill -9 "$sup"
wait "$sup" 2>/dev/null
timeout 120 cat <&5 >/dev/null
assert_eq "$?" 0 "the supervisor's children died with it (stdout closed by all)"
exec 5<&-
# gone, or a zombie waiting to be reaped by init
state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$wpid/status" 2>/dev/null)
case "$state" in ""|Z|X) ;; *) kill -9 "$wpid"; fail "the parser worker outlived the supervisor (state $state)" ;; esac
finish
