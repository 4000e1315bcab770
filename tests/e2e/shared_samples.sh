#!/usr/bin/env bash
# Interop with real files from ../shared/samples (skipped when absent).
. "$(dirname "$0")/lib.sh"
need jq
P="${SHARED:-}/samples/plaso"
[ -d "$P" ] || skip "no ../shared/samples"

tm artifacts --json "$P/image.E01"
assert_eq "$RC" 0 "image.E01: $ERR"
assert_contains "$OUT" '"format":"ewf"' "image.E01 format"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.type=="volume") | "\(.fs) \(.status)"')" "ext2 skipped" "ext2 volume skipped"
tm artifacts --json "$P/image-split.E01"
assert_contains "$OUT" '"segments":2' "split E01 finds E02"
tm artifacts --json "$P/tsk_volume_system.raw"
assert_contains "$OUT" '"partition_table":"dos"' "MBR sample"
nvol=$(printf '%s\n' "$OUT" | jq -s '[.[] | select(.type=="volume")] | length')
[ "$nvol" -ge 2 ] || fail "volumes of the extended-partition sample: $nvol"

if command -v qemu-img >/dev/null; then
  qemu-img convert -O raw "$P/vsstest.qcow2" "$T/vss.raw"
  tm artifacts --json "$T/vss.raw"
  assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.type=="volume") | "\(.fs) \(.status)"')" "ntfs ok" "NTFS volume with shadow copies"
fi

# Loose EVTX files by signature; record counts agree with evtxexport.
if command -v evtxexport >/dev/null; then
  mkdir -p "$T/logs"
  cp "$P/evtx/System.evtx" "$T/logs/a.bin"
  cp "$P/evtx/System2.evtx" "$T/logs/b.bin"
  tm dump --kind evtx "$T/logs"
  for f in a.bin b.bin; do
    want=$(evtxexport "$T/logs/$f" 2>/dev/null | grep -c '^Event number')
    got=$(printf '%s\n' "$OUT" | jq -r --arg f "$f" 'select(.path==$f) | .record_id' | wc -l)
    assert_eq "$got" "$want" "records of $f against evtxexport"
  done
fi
finish
