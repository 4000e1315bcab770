#!/usr/bin/env bash
# Damaged artifacts: every reader on truncations and bit flips of generated
# and sample files must finish (no crash, no hang), say what went wrong when
# nothing could be read, and still deliver the records before the damage.
. "$(dirname "$0")/lib.sh"
need jq
G="$T/gen"
mkdir -p "$G"
# A multi-chunk event log (about 30 chunks), a hive, a job, a prefetch file.
"$SRCDIR/bench/make-evtx-spec.sh" 3000 >"$T/spec"
"$TOOLDIR/evtx_writer" "$T/spec" "$G/big.evtx"
cp "$FIXTURES/loose/case 17/hive-a" "$G/SYSTEM"
cp "$FIXTURES/loose/case 17/At1.job" "$G/At1.job"
cp "$FIXTURES/loose/case 17/prefetch.bin" "$G/x.pf"
cp "$FIXTURES/loose/case 17/task-export" "$G/task.xml"
cp "$FIXTURES/loose/alice_history.txt" "$G/h.txt"
icat "$FIXTURES/bare.raw" "$(tm artifacts --json "$FIXTURES/bare.raw"; printf '%s\n' "$OUT" | jq -r 'select(.kind=="usn") | .inode')" \
  | tail -c +1048577 >"$G/usn.bin"

# kind file
set -- evtx big.evtx registry SYSTEM atjob At1.job prefetch x.pf task task.xml psreadline h.txt usn usn.bin
cases=0
while [ $# -gt 0 ]; do
  kind=$1 file=$G/$2
  shift 2
  size=$(stat -c %s "$file")
  full=$("$TOOLMARK_PARSE" "$kind" "$file" 2>/dev/null | wc -l)
  [ "$full" -gt 0 ] || fail "$kind: no records from the intact $file"
  for pct in 0 1 10 50 90 99; do
    cut=$((size * pct / 100))
    head -c "$cut" "$file" >"$T/damaged"
    timeout 60 "$TOOLMARK_PARSE" "$kind" "$T/damaged" >"$T/out" 2>"$T/err"
    rc=$?
    cases=$((cases + 1))
    [ "$rc" -lt 124 ] || fail "$kind truncated to $pct%: status $rc (crash or hang)"
    got=$(wc -l <"$T/out")
    # An empty file has nothing to say; anything else must give records or a reason.
    [ "$cut" -eq 0 ] || [ "$got" -gt 0 ] || [ -s "$T/err" ] || fail "$kind truncated to $pct%: nothing read and nothing said"
    # Records before the damage are kept (for the formats read record by record).
    case "$kind" in
      evtx|usn|psreadline)
        if [ "$pct" -ge 50 ]; then
          min=$((full * (pct - 15) / 100))
          [ "$got" -ge "$min" ] || fail "$kind truncated to $pct%: $got of $full records, want at least $min"
        fi ;;
    esac
  done
  # Bit flips at fixed, spread-out positions (deterministic).
  for i in 1 2 3 4 5 6 7 8; do
    cp "$file" "$T/damaged"
    for k in $(seq 1 8); do
      pos=$(( (i * 7919 + k * 104729) % size ))
      printf "\\x$(printf %02x $(( (i * 31 + k * 17) % 256 )))" | dd of="$T/damaged" bs=1 seek="$pos" conv=notrunc status=none
    done
    timeout 60 "$TOOLMARK_PARSE" "$kind" "$T/damaged" >"$T/out" 2>"$T/err"
    rc=$?
    cases=$((cases + 1))
    [ "$rc" -lt 124 ] || fail "$kind with bit flips #$i: status $rc (crash or hang)"
  done
done
echo "$cases damaged files read"

# Through the pipeline: a damaged log inside a folder input costs that log only.
mkdir -p "$T/in/C/Windows/System32/winevt/Logs"
head -c 200000 "$G/big.evtx" >"$T/in/C/Windows/System32/winevt/Logs/Security.evtx"
cp "$G/h.txt" "$T/in/ConsoleHost_history.txt"
tm dump "$T/in"
[ "$RC" -lt 128 ] || fail "dump on damaged input"
assert_contains "$OUT" '"kind":"psreadline"' "other artifacts still read"
assert_contains "$OUT" '"kind":"evtx"' "records before the damage delivered"
# A log cut short inside a chunk: the records before the cut are read, and
# the cut and the chunks the header lists but the file lacks are named.
chunk=65536
head -c $((4096 + 5 * chunk)) "$G/big.evtx" >"$T/five.evtx"
five=$("$TOOLMARK_PARSE" evtx "$T/five.evtx" 2>/dev/null | wc -l)
head -c $((4096 + 5 * chunk + 40000)) "$G/big.evtx" >"$T/cut.evtx"
"$TOOLMARK_PARSE" evtx "$T/cut.evtx" >"$T/out" 2>"$T/err"
got=$(wc -l <"$T/out")
[ "$got" -gt "$five" ] || fail "cut log: $got records, no more than the $five of its whole chunks"
assert_contains "$(cat "$T/err")" "the file ends inside the chunk at offset $((4096 + 5 * chunk))" "cut chunk named"
assert_contains "$(cat "$T/err")" "the file is cut short: its header lists" "missing chunks named"
assert_contains "$(cat "$T/err")" "of them lie past the end of the file" "records past the cut counted"
# One record's header destroyed in the middle of a chunk: the live records
# after it are still read, and the one lost is counted and named.
cp "$G/big.evtx" "$T/hole.evtx"
pos=$(grep -obUaP '\x2a\x2a\x00\x00' "$T/hole.evtx" | cut -d: -f1 |
      awk -v lo=$((4096 + 2 * chunk + 20000)) '$1 > lo { print; exit }')
printf 'XXXX' | dd of="$T/hole.evtx" bs=1 seek="$pos" conv=notrunc status=none
full=$("$TOOLMARK_PARSE" evtx "$G/big.evtx" 2>/dev/null | wc -l)
"$TOOLMARK_PARSE" evtx "$T/hole.evtx" >"$T/out" 2>"$T/err"
assert_eq "$(wc -l <"$T/out")" "$((full - 1))" "records around a destroyed record header"
assert_contains "$(cat "$T/err")" "1 of them cannot be found (damaged chunk)" "the lost record counted"
# A subkey list element flipped to point at no key (bench/mutate case 4007;
# checksums recomputed): libregf leaves the subkey out without an error,
# the guard names the loss.
"$(dirname "$TOOLMARK")/mutate" 4007 registry "$G/SYSTEM" "$T/lost-subkey" >/dev/null
"$TOOLMARK_PARSE" registry "$T/lost-subkey" >"$T/out" 2>"$T/err"
assert_contains "$(cat "$T/err")" "1 keys list subkeys that cannot be found" "lost subkey named"
"$TOOLMARK_PARSE" registry "$G/SYSTEM" >"$T/out" 2>"$T/err"
assert_not_contains "$(cat "$T/err")" "cannot be found" "intact hive: no subkey lost"
# A key's subkey count flipped to 0 while its list still names them
# (bench/mutate case 40704 on the triage SOFTWARE; checksums recomputed):
# libregf reads no subkey of it, without an error; the guard names it.
"$(dirname "$TOOLMARK")/mutate" 40704 registry "$FIXTURES/triage/C/Windows/System32/config/SOFTWARE" "$T/hidden-subkeys" >/dev/null
"$TOOLMARK_PARSE" registry "$T/hidden-subkeys" >"$T/out" 2>"$T/err"
assert_contains "$(cat "$T/err")" "1 keys claim fewer subkeys than their subkey lists hold" "hidden subkeys named"
"$TOOLMARK_PARSE" registry "$FIXTURES/triage/C/Windows/System32/config/SOFTWARE" >"$T/out" 2>"$T/err"
assert_not_contains "$(cat "$T/err")" "claim fewer subkeys" "intact hive: no subkey hidden"
# A USN record whose length field was flipped from 80 to 592 (bench/mutate
# case 62355): trusted, it skipped the five records after it in silence; the
# length a record's file name gives is where it ends, the damage is named.
J="$FIXTURES/triage/C/\$Extend/\$UsnJrnl%3A\$J"
"$(dirname "$TOOLMARK")/mutate" 62355 other "$J" "$T/usn-len" >/dev/null
"$TOOLMARK_PARSE" usn "$T/usn-len" >"$T/out" 2>"$T/err"
assert_eq "$(wc -l <"$T/out")" "$("$TOOLMARK_PARSE" usn "$J" | wc -l)" "every record of the journal read"
assert_contains "$(cat "$T/err")" "USN record at offset 240: its length field says 592 bytes, its file name ends after 80" \
  "the damaged length named"
"$TOOLMARK_PARSE" usn "$J" >"$T/out" 2>"$T/err"
assert_eq "$(cat "$T/err")" "" "intact journal: nothing said"
# A Prefetch file whose file name section is 4 MiB of zeros (2 million empty
# names, which libscca splits with a quadratic append): refused at once.
cp "$G/x.pf" "$T/zeros.pf"
size=$(stat -c %s "$T/zeros.pf")
truncate -s $((size + 4194304)) "$T/zeros.pf"
le32() { printf "\\x%02x\\x%02x\\x%02x\\x%02x" $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
printf "$(le32 "$size")$(le32 4194304)" | dd of="$T/zeros.pf" bs=1 seek=$((0x64)) conv=notrunc status=none
"$TOOLMARK_PARSE" prefetch "$T/zeros.pf" >"$T/out" 2>"$T/err"
assert_contains "$(cat "$T/err")" "its file name section holds 2097152 strings" "absurd file name section refused"
# A hive key that claims 2^31 values (its list holds 3) made libregf
# allocate 24 GB: the guard clamps it, says so, and the hive is read.
mkdir -p "$T/hostile/C/Windows/System32/config"
cp "$SRCDIR/tests/fuzz/corpus/registry/values-count-2147483651" "$T/hostile/C/Windows/System32/config/SYSTEM"
tm dump --worker-memory 512M "$T/hostile"
assert_eq "$RC" 1 "hostile hive: damage reported"
assert_contains "$ERR" "claims 2147483651 values but its values list holds 3" "the clamped key named"
assert_contains "$OUT" '"kind":"registry"' "the rest of the hive read"
# A record whose template instance claims 8 GiB of values (found by
# fuzz_evtx): libevtx, asked for it when toolmark's decoder cannot read it,
# allocates the lot (or faults under the sanitizer build) in the child that
# contains it; the record is named, the log's other 24 are read.
mkdir -p "$T/hostile-log/Windows/System32/winevt/Logs"
cp "$SRCDIR/tests/fuzz/corpus/evtx/template-values-8gib" "$T/hostile-log/Windows/System32/winevt/Logs/Security.evtx"
tm scan --worker-memory 512M -o "$T/hostile-log-out" "$T/hostile-log"
assert_eq "$RC" 1 "8 GiB of template values: damage reported"
assert_contains "$ERR" "record 106 unreadable (neither toolmark's decoder nor libevtx" "the record named"
assert_contains "$ERR" "6 records could not be read (24 read)" "the log's other records read"

finish
