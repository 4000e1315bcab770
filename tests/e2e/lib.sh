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
