#!/usr/bin/env bash
# Shadow copies (docs/recovery.md) on the shared sample vsstest.qcow2 (an
# NTFS volume with 2 stores in which a file differs), converted to raw in
# the test's folder: each store read as toolmark reads it (libvshadow in a
# namespace of its own, the store handed back to TSK) has the files it had,
# its identifier and creation time as vshadowinfo says; the volume lists
# them from raw and from an E01 alike (libewf and libvshadow in one process
# without their clash); --no-recover leaves them out. Skips without the
# sample or qemu-img.
. "$(dirname "$0")/lib.sh"
need jq
need qemu-img
need icat
need ewfacquire
: "${TESTBIN:?}"
Q=${SHARED:-}/samples/plaso/vsstest.qcow2
[ -n "${SHARED:-}" ] && [ -f "$Q" ] || skip "vsstest.qcow2 not available"
qemu-img convert -O raw "$Q" "$T/vss.raw" || fail "qemu-img convert"

# --- each store as toolmark reads it
ASAN_OPTIONS=detect_leaks=0 "$TESTBIN/vss_dump" "$T/vss.raw" >"$T/dump" || fail "vss_dump"
assert_eq "$(cut -f1 "$T/dump" | sort -u | tr '\n' ' ')" "0 1 2 " "the live volume and two stores"
assert_eq "$(awk -F'\t' '$1==1 {print $4}' "$T/dump" | tr '\n' ' ')" "syslog " "store 1 holds syslog, uncompressed"
assert_eq "$(awk -F'\t' '$1==2 {print $4}' "$T/dump" | sort | tr '\n' ' ')" "another_file syslog.gz " "store 2 holds another_file and syslog.gz"
assert_eq "$(awk -F'\t' '$1==0 {print $4}' "$T/dump" | sort | tr '\n' ' ')" "another_file password.txt syslog.gz " "the live volume"
# the store's syslog is the live syslog.gz uncompressed: its bytes came back right
inode=$(fls "$T/vss.raw" | awk -F'[ :\t]+' '$NF == "syslog.gz" {print $2}' | cut -d- -f1)
want=$(icat "$T/vss.raw" "$inode" | gunzip | python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(sys.stdin.buffer.read()))')
assert_eq "$(awk -F'\t' '$1==1 && $4=="syslog" {print $5 " " $6}' "$T/dump")" "1247 $want" "store 1's syslog"
if command -v vshadowinfo >/dev/null; then
  ids=$(vshadowinfo "$T/vss.raw" | awk '/^\tIdentifier/ {print $3}' | tr '\n' ' ')
  assert_eq "$(awk -F'\t' '$1>0 {print $2}' "$T/dump" | sort -u | tr '\n' ' ')" "$ids" "store ids as vshadowinfo gives them"
fi

# --- the volume lists its stores, from raw and from an E01
tm artifacts --json "$T/vss.raw"
assert_eq "$RC" 0 "artifacts of the raw image"
sc=$(printf '%s\n' "$OUT" | jq -c 'select(.type == "volume") | .shadow_copies')
assert_eq "$(jq -r 'map(.id + " " + .created + " " + (.opened|tostring)) | .[]' <<<"$sc" | tr '\n' ';')" \
  "600f0b69-5bdf-11e3-9d6c-005056c00008 2013-12-03T06:35:09.736378+00:00 true;600f0b6d-5bdf-11e3-9d6c-005056c00008 2013-12-03T06:37:48.919058+00:00 true;" \
  "the stores of the volume"
faketime -f '2017-05-12 09:00:00' ewfacquire -u -q -f encase6 -c deflate:fast -C c -D d -e e -E e -N n \
  -t "$T/vss" "$T/vss.raw" >/dev/null 2>&1 || fail "ewfacquire"
tm artifacts --json "$T/vss.E01"
assert_eq "$RC" 0 "artifacts of the E01"
assert_eq "$(printf '%s\n' "$OUT" | jq -c 'select(.type == "volume") | .shadow_copies')" "$sc" "the same stores from the E01"
tm scan -q -o "$T/s" "$T/vss.E01" "$T/vss.raw"
assert_eq "$RC" 0 "scan of the E01 and the raw image"
assert_eq "$(jq -c '.volumes[0].shadow_copies | length' "$T/s/vss/summary.json")" "2" "summary.json lists the stores"
tm scan -q --no-recover -o "$T/n" "$T/vss.raw"
assert_eq "$(jq -c '.volumes[0].shadow_copies' "$T/n/vss/summary.json")" "null" "--no-recover: no stores"

finish
