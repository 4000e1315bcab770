# Shared helpers for end-to-end tests (sourced). ctest sets TOOLMARK,
# TOOLMARK_PARSE, FIXTURES, TOOLDIR, SRCDIR and SHARED.
set -uo pipefail
: "${TOOLMARK:?}" "${FIXTURES:?}"
export LC_ALL=C TZ=UTC
T=$(mktemp -d "${TMPDIR:-/tmp}/toolmark-test.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
finish() { [ "$failures" -eq 0 ] && { echo "ok"; exit 0; }; echo "$failures failure(s)" >&2; exit 1; }

assert_eq() { # GOT WANT WHAT
  [ "$1" == "$2" ] || fail "$3: got '$1', want '$2'"
}
assert_contains() { # HAYSTACK NEEDLE WHAT
  case "$1" in *"$2"*) ;; *) fail "$3: '$2' not found in: $(printf '%s' "$1" | head -c 2000)" ;; esac
}
assert_not_contains() {
  case "$1" in *"$2"*) fail "$3: '$2' unexpectedly found" ;; esac
}
# Runs toolmark; sets OUT, ERR, RC. A signal death (RC >= 128) is always a failure.
tm() {
  "$TOOLMARK" "$@" >"$T/out" 2>"$T/err"
  RC=$?
  OUT=$(cat "$T/out")
  ERR=$(cat "$T/err")
  [ "$RC" -lt 128 ] || fail "toolmark $* died with status $RC: $ERR"
}
need() { command -v "$1" >/dev/null || skip "$1 not installed"; }
# Two folders of outputs are the same: the same files, byte for byte, but for
# what differs from run to run by design: summary.json's run record (its
# times, its command line, its options) and the bytes read (a worker's
# cache). inputs.tsv is left out. Needs jq.
same_outputs() { # DIR_A DIR_B WHAT
  local f
  (cd "$1" && find . -type f ! -name summary.json ! -name inputs.tsv | sort) >"$T/la"
  (cd "$2" && find . -type f ! -name summary.json ! -name inputs.tsv | sort) >"$T/lb"
  diff -q "$T/la" "$T/lb" >/dev/null || { fail "$3: other files: $(diff "$T/la" "$T/lb" | head -5)"; return; }
  while read -r f; do cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs"; done <"$T/la"
  for f in $(cd "$1" && find . -name summary.json | sort); do
    [ "$(jq -S 'del(.run, .options, .io.read_from_input)' "$1/$f")" == "$(jq -S 'del(.run, .options, .io.read_from_input)' "$2/$f")" ] ||
      fail "$3: $f differs beyond its run record"
  done
}

# The fixture writers (libntfs-3g's leaks are not findings about toolmark:
# as in fixtures.build). Needs TOOLDIR.
fixture_tool() { ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 "$TOOLDIR/$1" "${@:2}"; }
# The recovery tests' two Security logs: DIR/attack.evtx (the PsExec attack
# of src01) and DIR/cleared.evtx (what is left after a clear: one 1102).
# Needs SRCDIR and TOOLDIR.
attack_and_cleared_logs() { # DIR
  fixture_tool evtx_writer "$SRCDIR/fixtures/scenarios/hosts/src01/Security.spec" "$1/attack.evtx" || fail "evtx_writer"
  cat >"$1/cleared.spec" <<'SPEC'
channel Security
computer WS01.corp.example
event 1102 2017-05-10T10:00:00Z provider=Microsoft-Windows-Eventlog guid={fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148} level=4 task=104 keywords=0x4020000000000000 pid=812 tid=1624 record=1
userdata LogFileCleared http://manifests.microsoft.com/win/2004/08/windows/eventlog
data SubjectUserName=mallory
SPEC
  fixture_tool evtx_writer "$1/cleared.spec" "$1/cleared.evtx" || fail "evtx_writer"
}
