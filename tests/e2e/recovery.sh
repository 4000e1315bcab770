#!/usr/bin/env bash
# Recovery (docs/recovery.md): every citation says where its record was
# found (origin); --no-recover leaves the outputs of an image without
# anything to recover as they are. On generated NTFS volumes: a Security
# log deleted after an attack (a clear), read as a deleted file and its
# chunk carved (reported once, as deleted-file, the chunk named); the same
# with the old file's header overwritten: the attack detected from the
# carved chunk (origin carved:<offset>); a live log whose old copy is left
# behind (nothing added, the copies named); a false "ElfChnk" signature in
# random data (rejected by CRC); a chunk cut after its first 8 KiB
# (salvaged: its complete records read, the rest counted); E01 and raw
# alike.
. "$(dirname "$0")/lib.sh"
need jq
need mkntfs
need faketime
need ewfacquire
: "${TOOLDIR:?}" "${SRCDIR:?}"
H="$FIXTURES/hosts"

# the same outputs but for the report's line of options
same_but_options() { # DIR_A DIR_B WHAT
  local f
  for f in $(cd "$2" && find . -name report.html); do
    sed -i 's|, options <code>--no-recover</code>||' "$2/$f"
  done
  same_outputs "$1" "$2" "$3"
}

# --- origins on live records; --no-recover changes nothing where nothing is recovered
tm scan -q -o "$T/rec" "$H/src01.raw"
assert_eq "$RC" 0 "scan"
tm scan -q --no-recover -o "$T/norec" "$H/src01.raw"
assert_eq "$RC" 0 "scan --no-recover"
same_but_options "$T/rec" "$T/norec" "live image with and without --no-recover"
assert_eq "$(jq -r '.evidence[].origin' "$T/rec/src01/traces.jsonl" | sort -u)" "live" "live citations' origin"
assert_eq "$(jq -c '.origins' "$T/rec/src01/traces.jsonl" | sort -u)" '["live"]' "live traces' origins"
tm scan --help
assert_contains "$OUT" "--no-recover" "scan --help lists --no-recover"

# --- the images: an attack logged, then the log cleared
W="$T/work"
mkdir -p "$W"
attack_and_cleared_logs "$W"
fixture_tool evtx_writer "$SRCDIR/fixtures/scenarios/ws01/System.spec" "$W/system.evtx" || fail "evtx_writer"
L=Windows/System32/winevt/Logs
printf 'mkdir|%s|2016-07-16T13:20:00Z\nfile|attack.evtx|%s/Security.evtx|2016-07-16T13:20:00Z\n' "$L" "$L" >"$W/m1.txt"
# another log is written first, so the new Security.evtx does not take the old one's clusters
after_clear() { # LOG: what Security.evtx holds after the clear
  printf 'file|system.evtx|%s/System.evtx|2016-07-16T13:20:00Z\ndelete|%s/Security.evtx\n' "$L" "$L"
  printf 'file|%s|%s/Security.evtx|2016-07-16T13:20:00Z,2017-05-10T10:00:00Z,2017-05-10T10:00:00Z,2017-05-10T10:00:00Z\n' "$1" "$L"
}
after_clear cleared.evtx >"$W/m2.txt"
after_clear attack.evtx >"$W/m3.txt"
volume() { # OUT MANIFEST2
  truncate -s 8M "$1"
  faketime -f '2016-07-16 13:00:00' mkntfs -F -Q -T -q -L WS09 -s 512 -c 4096 -p 2048 -H 255 -S 63 "$1" >/dev/null 2>&1 ||
    fail "mkntfs"
  # libntfs-3g finds a file written in the same session only after a remount: two sessions
  ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 faketime -f '2017-05-10 10:00:00' "$TOOLDIR/ntfs_populate" "$1" "$W/m1.txt" || fail "ntfs_populate m1"
  ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 faketime -f '2017-05-10 10:00:00' "$TOOLDIR/ntfs_populate" "$1" "$W/$2" || fail "ntfs_populate $2"
}
volume "$W/cleared.raw" m2.txt
volume "$W/moved.raw" m3.txt
at=$(grep -abo 'ElfChnk' "$W/cleared.raw" | head -1 | cut -d: -f1)
[ -n "$at" ] || fail "no chunk left in the cleared image"

# --- the attack comes back from the deleted log, its chunk carved too
tm scan -q -o "$T/c" "$W/cleared.raw"
assert_eq "$RC" 0 "scan of the cleared image"
tr="$T/c/cleared/traces.jsonl"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .origins[]' "$tr")" "deleted-file" "PsExec detected from the deleted log"
del=$(jq -r 'select(.tool == "PsExec") | .evidence[0].path' "$tr")
case "$del" in
  '$Deleted/'*/Windows/System32/winevt/Logs/Security.evtx) ;;
  *) fail "deleted log's path: $del" ;;
esac
assert_eq "$(jq -r 'select(.tool == "PsExec") | .evidence[0].also_found_in' "$tr")" "carved:$at" \
  "the carved copy of the deleted log's chunk named"
assert_eq "$(jq -r 'select(.activity == "event log cleared") | .origins[]' "$tr")" "live" "the clear itself is live"
assert_contains "$(cat "$T/c/cleared/traces.csv")" "(Security 4688) [deleted-file]" "traces.csv names a recovered citation's origin"
assert_contains "$(cat "$T/c/cleared/report.html")" "(4688) [deleted-file]" "report.html names a recovered citation's origin"
assert_eq "$(jq -c '.coverage.recovered_logs[] | [.channel, .cleared_events, .recovered_first, .from, .verdict]' "$T/c/cleared/summary.json")" \
  '["Security",1,"2017-05-10T09:00:00.000000+00:00",["deleted-file","carved"],"cleared window recovered"]' \
  "the coverage verdict: the cleared window recovered"
tm artifacts --json "$W/cleared.raw"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.kind == "evtx-chunk") | .origin')" "carved:$at" "one carved chunk"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.origin == "deleted-file") | .kind')" "evtx" "one deleted log"
assert_eq "$(printf '%s\n' "$OUT" | jq -c 'select(.type == "volume") | .recovery')" \
  '{"deleted_logs":1,"deleted_logs_reused":0,"chunks":1,"chunks_salvaged":0,"signatures_rejected":0,"chunks_repeated":0}' \
  "the volume's recovery counts"
tm scan -q --no-recover -o "$T/cn" "$W/cleared.raw"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .tool' "$T/cn/cleared/traces.jsonl")" "" "--no-recover: no PsExec"
assert_eq "$(jq -r '.origins[]' "$T/cn/cleared/traces.jsonl" | sort -u)" "live" "--no-recover: live only"

# --- the deleted log's first cluster reused: only its chunk, carved, is left
cp --sparse=always "$W/cleared.raw" "$W/carved.raw"
dd if=/dev/zero of="$W/carved.raw" bs=1 seek=$((at - 4096)) count=4096 conv=notrunc status=none
tm scan -q -o "$T/cc" "$W/carved.raw"
assert_eq "$RC" 0 "scan of the carved-only image"
ctr="$T/cc/carved/traces.jsonl"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .origins[]' "$ctr")" "carved:$at" "PsExec detected from the carved chunk"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .evidence[0].path' "$ctr")" "\$Unallocated/chunk-$at.evtx" "carved chunk's path"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .evidence[0].also_found_in' "$ctr")" "null" "found once"
grep -q "^0|\[toolmark\] PsExec .*\] \[carved:$at\]|" "$T/cc/carved/traces.body" ||
  fail "the body file's name carries the carved origin"

# --- E01 and raw give the same
faketime -f '2017-05-12 09:00:00' ewfacquire -u -q -f encase6 -c deflate:fast -C c -D d -e e -E e -N n \
  -t "$W/cleared" "$W/cleared.raw" >/dev/null 2>&1 || fail "ewfacquire"
tm scan -q -o "$T/e" "$W/cleared.E01"
assert_eq "$RC" 0 "scan of the E01"
strip() { jq -c 'del(.input, .input_id)' "$1"; }
[ "$(strip "$T/e/cleared/traces.jsonl")" == "$(strip "$tr")" ] || fail "E01 and raw give different traces"

# --- a live log's old copy: reported once, as live, the copy named
tm scan -q -o "$T/m" "$W/moved.raw"
mv_at=$(grep -abo 'ElfChnk' "$W/moved.raw" | head -1 | cut -d: -f1)
assert_eq "$(jq -r 'select(.tool == "PsExec") | .origins[]' "$T/m/moved/traces.jsonl")" "live" "copied records cited as live"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .evidence[0].also_found_in' "$T/m/moved/traces.jsonl")" \
  "deleted-file; carved:$mv_at" "the copies' places named"
tm scan -q --no-recover -o "$T/mn" "$W/moved.raw"
[ "$(jq -c 'del(.evidence[].also_found_in)' "$T/m/moved/traces.jsonl")" == "$(jq -c . "$T/mn/moved/traces.jsonl")" ] ||
  fail "a carved copy of a live log adds or changes traces"

# --- a false signature in random data: rejected by the header CRC
cp --sparse=always "$W/carved.raw" "$W/false.raw"
fixture_tool bytes 11 65536 >"$W/random.bin"
printf 'ElfChnk\0' | dd of="$W/random.bin" conv=notrunc status=none
free_at=$((6 * 1048576)) # cluster 1536 of 2048: free in a volume this full
blkstat "$W/false.raw" 1536 | grep -q 'Not Allocated' || fail "cluster 1536 is allocated"
dd if="$W/random.bin" of="$W/false.raw" bs=4096 seek=1536 conv=notrunc status=none
tm artifacts --json "$W/false.raw"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.kind == "evtx-chunk") | .origin')" "carved:$at" \
  "the false signature at $free_at is not a chunk"
assert_eq "$(printf '%s\n' "$OUT" | jq -c 'select(.type == "volume") | .recovery | [.signatures_rejected, .deleted_logs_reused]')" \
  "[1,1]" "the false signature counted as rejected; the log whose header is gone as reused"

# --- a chunk cut by a fragment boundary: past its first 8 KiB (3 records), other data
cp --sparse=always "$W/carved.raw" "$W/frag.raw"
dd if="$W/random.bin" of="$W/frag.raw" bs=1 seek=$((at + 8192)) count=57344 conv=notrunc status=none
tm scan -q -o "$T/f" "$W/frag.raw"
assert_eq "$RC" 0 "scan of the fragmented image"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .origins[]' "$T/f/frag/traces.jsonl")" "carved:$at" \
  "the salvaged chunk's first records still give PsExec"
assert_contains "$(cat "$T/f/frag/errors.jsonl")" "fail their checksums" "the salvaged chunk's checksum failure is said"
assert_eq "$(jq -c '.volumes[0].recovery | [.chunks, .chunks_salvaged]' "$T/f/frag/summary.json")" "[0,1]" "the chunk counted as salvaged"
assert_contains "$(cat "$T/f/frag/errors.jsonl")" "23 records could not be read (3 read)" "what the cut cost is counted"

finish
