#!/usr/bin/env bash
# What the examiner reads on the terminal: one line per problem kind (not per
# record), positions that say what they are, -q and -v, one message for a
# bad option, no output folder for an input that could not be opened,
# plurals, and --version naming every library.
. "$(dirname "$0")/lib.sh"
need jq

# A log with hundreds of damaged records (bytes overwritten inside five
# chunks, past their headers).
mkdir -p "$T/ev"
"$SRCDIR/bench/make-evtx-spec.sh" 3000 >"$T/spec"
"$TOOLDIR/evtx_writer" "$T/spec" "$T/ev/Security.evtx"
for c in 1 2 3 4 5; do
  for off in $(seq $((4096 + c * 65536 + 600)) 3000 $((4096 + c * 65536 + 60000))); do
    printf '\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa' |
      dd of="$T/ev/Security.evtx" bs=1 seek="$off" conv=notrunc status=none
  done
done
tm scan -o "$T/o" "$T/ev"
assert_eq "$RC" 1 "damaged records: exit 1"
E=$T/o/ev/errors.jsonl
n=$(wc -l <"$E")
[ "$n" -ge 100 ] || fail "errors.jsonl lists each damaged record: $n lines"
lines=$(printf '%s\n' "$ERR" | grep -c .)
[ "$lines" -le 12 ] || fail "the terminal gets a line per kind of problem, not per record: $lines lines for $n errors"
assert_contains "$ERR" "more like it (errors.jsonl lists each)" "a kind of problem said once with its count"
assert_contains "$ERR" "(record id " "a record's position named as a record id"
[ -z "$(printf '%s\n' "$ERR" | grep 'position [0-9]')" ] || fail "a bare 'position N' reached the terminal"
# errors.jsonl: each position says what it is; positions only with a kind
bad=$(jq -c 'select((.position == null) != (.position_kind == null) or
                    (.position_kind != null and (.position_kind | test("^(record_id|record_index|offset|key_offset|usn|line)$") | not)))' "$E")
assert_eq "$bad" "" "every position has its kind"
[ "$(jq -r 'select(.position_kind=="record_id")' "$E" | grep -c position)" -gt 0 ] || fail "no record-id positions"
# in artifact and position order, whatever the workers' order
sorted=$(jq -r 'select(.position_kind=="record_id") | .position' "$E")
assert_eq "$sorted" "$(printf '%s\n' "$sorted" | sort -n)" "errors.jsonl in position order"
# libyal's internals (its function names, "...: unable to retrieve record
# values: 7.") never reach the examiner: the deepest cause in words
libyal='lib(evtx|fwevt|regf|scca|bfio|ewf|cdata|fdata|fcache|cerror)_[a-z_]+:'
if printf '%s\n' "$ERR" | grep -qE "$libyal"; then fail "a libyal function name on the terminal: $(printf '%s\n' "$ERR" | grep -m1 -E "$libyal")"; fi
if grep -qE "$libyal" "$E"; then fail "a libyal function name in errors.jsonl: $(grep -m1 -E "$libyal" "$E")"; fi
# A hive whose root key cannot be read (its base block points at a cell
# that is no key; checksum recomputed): the reason is given, not left empty.
mkdir -p "$T/hv/C/Windows/System32/config"
HV=$T/hv/C/Windows/System32/config/SYSTEM
cp "$FIXTURES/triage/C/Windows/System32/config/SYSTEM" "$HV"
printf '\010\000\000\000' | dd of="$HV" bs=1 seek=36 conv=notrunc status=none # the root cell: the hive bin's header
x=0
for w in $(od -An -v -t u4 -N 508 "$HV"); do x=$((x ^ w)); done
printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((x & 255)) $((x >> 8 & 255)) $((x >> 16 & 255)) $((x >> 24 & 255)))" |
  dd of="$HV" bs=1 seek=508 conv=notrunc status=none
tm scan -v -o "$T/hvo" "$T/hv"
assert_eq "$RC" 1 "a hive without a readable root key"
reason=$(printf '%s\n' "$ERR" | sed -n "s/.*hive's root key cannot be read: //p" | head -1)
[ -n "$reason" ] || fail "the root key's problem without a reason: $ERR"
assert_not_contains "$reason" "the library gave no reason" "libregf's reason kept"
if printf '%s\n' "$ERR" | grep -qE "$libyal"; then fail "a libyal function name in the hive's message"; fi
# -v: each problem as it comes, a line per artifact read
tm scan -v -o "$T/v" "$T/ev"
[ "$(printf '%s\n' "$ERR" | grep -c 'unreadable')" -ge 100 ] || fail "-v says each problem"
assert_contains "$ERR" "Security.evtx: " "-v names the artifact"
assert_contains "$ERR" "records read" "-v: a line per artifact read"
# -q: problems only, nothing on stdout
tm scan -q -o "$T/q" "$T/ev"
assert_eq "$RC" 1 "-q keeps the exit status"
assert_eq "$OUT" "" "-q: no summary line"
assert_contains "$ERR" "more like it" "-q still says the problems"

# An input that cannot be opened: said once, path once, no output folder.
tm scan -o "$T/none" "$T/nosuch.E01" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "a missing input among good ones: exit 1"
assert_eq "$(printf '%s\n' "$ERR" | grep -c 'nosuch.E01')" 1 "the missing input is named in one line"
assert_eq "$(printf '%s\n' "$ERR" | grep -o 'nosuch.E01' | wc -l)" 1 "... and its path once in it"
[ ! -e "$T/none/nosuch" ] || fail "an output folder for an input that could not be opened"
[ -s "$T/none/bare/summary.json" ] || fail "the good input still gets its outputs"
assert_contains "$OUT" "nosuch.E01: not read; no outputs written" "the summary says it was not read"
# Plurals: a folder with one broken file is 1 error, not "1 errors".
mkdir -p "$T/one"
printf 'MAM\004\001\000\000\000' >"$T/one/x.pf"
tm scan -o "$T/p" "$T/one"
assert_contains "$OUT" ", 1 error, in" "1 error"
assert_not_contains "$OUT$ERR" " 1 errors" "no '1 errors'"
assert_not_contains "$OUT$ERR" " 1 traces" "no '1 traces'"

# A bad option: one message and the pointer to --help, nothing else.
tm scan --bogus -o "$T/x" "$FIXTURES/bare.raw"
assert_eq "$RC" 2 "unknown option"
assert_eq "$ERR" "toolmark scan: unknown option '--bogus'
Try 'toolmark scan --help'." "unknown option: one message"
tm scan --format
assert_eq "$ERR" "toolmark scan: option '--format' needs a value
Try 'toolmark scan --help'." "missing value"
tm frobnicate
assert_eq "$(printf '%s\n' "$ERR" | wc -l)" 2 "unknown command: one message and the pointer"

# --version: toolmark and every library, the parsers' included.
tm --version
for lib in libtsk libewf libevtx libregf libscca libbfio libxml2 libyaml pcre2 openssl; do
  grep -q "^$lib [0-9]" <<<"$OUT" || fail "--version lacks $lib"
done
# Progress: redrawn in place on a terminal (script(1) gives it one), with
# the inputs' lines above it, whole; nothing of it elsewhere.
assert_not_contains "$(cat "$T/err")" $'\033[K' "no progress drawing when stderr is not a terminal"
if command -v script >/dev/null; then
  script -qec "'$TOOLMARK' scan -o '$T/tty' '$FIXTURES/hosts/src01.raw' '$FIXTURES/bare.raw' '$T/nosuch.E01'" "$T/typescript" >/dev/null 2>&1
  tty=$(tr -d '\r' <"$T/typescript")
  assert_contains "$tty" $'\033[K[0/3] src01.raw' "progress names the input being read"
  assert_contains "$tty" "artifacts | " "progress counts artifacts"
  assert_contains "$tty" " traces | " "progress counts traces"
  assert_contains "$tty" $'\033[K[3/3] |' "progress ends with every input done"
  # each input's line arrives whole, at the start of a line: after the
  # progress is cleared, or after the line before it when two messages come
  # with no progress drawn between them
  lines=${tty//$'\033[K'/$'\n'}
  assert_contains "$lines" $'\n'"$FIXTURES/hosts/src01.raw: 18 traces (8 confirmed), 0 errors, in $T/tty/src01/" "summary line whole"
  assert_contains "$lines" $'\ntoolmark: '"$T/nosuch.E01: cannot open input" "problem line whole"
  # the progress line is cleared before the case's line, and nothing is drawn after it
  tail=$(tail -c 400 "$T/typescript" | tr -d '\r')
  assert_contains "$tail" $'\033[Kcase: 3 inputs, merged timelines' "the progress line is cleared at the end"
  assert_not_contains "${tail#*case: 3 inputs}" $'\033[K' "nothing drawn after the last line"
fi
finish
