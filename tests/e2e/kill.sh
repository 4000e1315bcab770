#!/usr/bin/env bash
# kill -9 of the supervisor at known moments of a scan (held there by
# TOOLMARK_TEST_HOLD, util/lifetime.h, or by a worker that waits): parsing,
# the plugins, an input's outputs half renamed into place, the case's. After
# each: no process of the run is left (the test holds the read end of the
# run's stdout, which every process of it inherits: EOF there means none is
# left), and nothing under a final name looks complete (summary.json, the
# mark of a complete set, is absent where the run was killed).
. "$(dirname "$0")/lib.sh"
IMG="$FIXTURES/hosts/src01.raw"
[ -f "$IMG" ] || IMG="$FIXTURES/bare.raw"
ID=$(basename "$IMG" .raw)
# a fresh FIFO per run (a run's other workers may have said they run too),
# held open: a hold point's writer never waits, a run that fails early is
# seen by the read's guard
ready() { exec 6<&-; rm -f "$T/ready"; mkfifo "$T/ready"; exec 6<>"$T/ready"; }

# PROCESS PATTERN after the run: none left, no summary.json where it stopped
killed_run() { # NAME WHERE_LEFT_INCOMPLETE...
  local name=$1 sup=$2
  shift 2
  read -t 120 -r point pid <&6
  [ -n "$pid" ] || { fail "$name: the run never reached its hold point"; kill -9 "$sup"; return; }
  kill -9 "$sup"
  wait "$sup" 2>/dev/null
  timeout 120 cat <&5 >/dev/null
  assert_eq "$?" 0 "$name: every process of the run died with the supervisor"
  exec 5<&-
  # gone, a zombie, or on its way out: EOF on the pipe can come before the
  # kernel marks an exiting process a zombie (its files close first), but
  # PF_EXITING (0x4 in /proc/PID/stat's flags) is set before they close
  local stat state flags
  stat=$(cat "/proc/$pid/stat" 2>/dev/null)
  stat=${stat##*) }
  read -r state _ _ _ _ _ flags _ <<<"$stat"
  case "$state" in "" | Z | X) ;;
  *) ((flags & 4)) || { kill -9 "$pid"; fail "$name: the held process ($point) outlived the supervisor"; } ;;
  esac
  for d in "$@"; do
    [ ! -e "$d/summary.json" ] || fail "$name: $d/summary.json, the mark of a complete set, after the kill"
  done
}

# 1. parsing: a worker that says it runs and waits
ready
printf '#!/bin/sh\necho "worker $$" >"%s/ready"\nexec sleep 3600\n' "$T" >"$T/waiting-worker"
chmod +x "$T/waiting-worker"
mkfifo "$T/so1"
"$TOOLMARK" scan -o "$T/o1" --worker "$T/waiting-worker" --worker-timeout 3600 "$IMG" >"$T/so1" 2>"$T/err1" &
sup=$!
exec 5<"$T/so1"
killed_run parsing "$sup" "$T/o1/$ID" "$T/o1/case"
[ -z "$(find "$T/o1" -name 'traces.*' 2>/dev/null)" ] || fail "parsing: traces under a final name"

# 2. the plugins: every record read, the plugins about to run
ready
mkfifo "$T/so2"
TOOLMARK_TEST_HOLD=plugins TOOLMARK_TEST_HOLD_FIFO="$T/ready" "$TOOLMARK" scan -o "$T/o2" "$IMG" >"$T/so2" 2>"$T/err2" &
sup=$!
exec 5<"$T/so2"
killed_run plugins "$sup" "$T/o2/$ID" "$T/o2/case"
[ -z "$(find "$T/o2" -name 'traces.*' -o -name report.html -o -name errors.jsonl 2>/dev/null)" ] ||
  fail "plugins: outputs under a final name"

# 3. an input's outputs: all but summary.json renamed into place
ready
mkfifo "$T/so3"
TOOLMARK_TEST_HOLD="commit:$ID/summary.json" TOOLMARK_TEST_HOLD_FIFO="$T/ready" \
  "$TOOLMARK" scan -o "$T/o3" "$IMG" >"$T/so3" 2>"$T/err3" &
sup=$!
exec 5<"$T/so3"
killed_run "input outputs" "$sup" "$T/o3/$ID" "$T/o3/case"
[ -f "$T/o3/$ID/traces.jsonl" ] || fail "input outputs: held after the other files' renames (the hold point moved?)"
# the folder is not taken for a finished input: --resume scans it again
tm scan --resume -o "$T/o3" "$IMG"
assert_eq "$RC" 0 "input outputs: --resume after the kill: $ERR"
[ -f "$T/o3/$ID/summary.json" ] && [ -f "$T/o3/case/summary.json" ] || fail "input outputs: --resume finished the case"

# 4. the case's outputs, written by the supervisor itself
ready
mkfifo "$T/so4"
TOOLMARK_TEST_HOLD="commit:case/summary.json" TOOLMARK_TEST_HOLD_FIFO="$T/ready" \
  "$TOOLMARK" scan -o "$T/o4" "$IMG" >"$T/so4" 2>"$T/err4" &
sup=$!
exec 5<"$T/so4"
killed_run "case outputs" "$sup" "$T/o4/case"
[ -f "$T/o4/$ID/summary.json" ] || fail "case outputs: the input finished before the case (the hold point moved?)"
finish
