#!/usr/bin/env bash
# Every image type yields the same artifacts: bare volume, MBR (with an
# extended partition), GPT, split raw, single and multi-segment E01.
. "$(dirname "$0")/lib.sh"
need jq

# The C volume's artifacts as comparable lines (volume labels and offsets differ).
list() { # INPUT VOLUME
  tm artifacts --json "$1"
  [ "$RC" -eq 0 ] || fail "artifacts $1: exit $RC: $ERR"
  printf '%s\n' "$OUT" | jq -c --arg v "$2" 'select(.type=="artifact" and .volume==$v)
    | [.kind,.subtype,.path,.stream,.user,.inode,.size,.si_times,.fn_times]' | sort
}
list "$FIXTURES/bare.raw" vol >"$T/bare"
n=$(wc -l <"$T/bare")
assert_eq "$n" 17 "artifacts on the bare volume"
for want in '"evtx",null,"Windows/System32/winevt/Logs/Security.evtx"' \
            '"registry","NTUSER","Users/alice/NTUSER.DAT",null,"alice"' \
            '"registry-log","NTUSER","Users/alice/NTUSER.DAT.LOG1"' \
            '"registry","AMCACHE","Windows/AppCompat/Programs/Amcache.hve"' \
            '"psreadline",null,"Users/alice/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt",null,"alice"' \
            '"usn",null,"$Extend/$UsnJrnl","$J"' \
            '"atjob",null,"Windows/Tasks/At1.job"' \
            '"task",null,"Windows/System32/Tasks/Microsoft/Windows/Updater"' \
            '"prefetch",null,"Windows/Prefetch/CMD.EXE-4A81B364.pf"'; do
  assert_contains "$(cat "$T/bare")" "$want" "bare volume artifact"
done
assert_not_contains "$(cat "$T/bare")" "notes.txt" "a non-artifact file"
# SI and FN times: SI as set, FN from the (fake) clock at creation.
assert_contains "$(cat "$T/bare")" '"Users/alice/NTUSER.DAT",null,"alice","' "ntuser"
grep -F '"Users/alice/NTUSER.DAT"' "$T/bare" | grep -qF '{"crtime":"2017-01-10T09:00:00.000000+00:00","mtime":"2017-04-28T12:50:00.000000+00:00"' \
  || fail "NTUSER.DAT \$STANDARD_INFORMATION times"
grep -F '"Users/alice/NTUSER.DAT"' "$T/bare" | grep -qF '"2017-05-01T00:00:00.000000+00:00"' \
  || fail "NTUSER.DAT \$FILE_NAME times"

for spec in "mbr.raw vol2" "gpt.raw vol4" "split/gpt.001 vol4" "e01/mbr.E01 vol2" "e01-multi/bare.E01 vol"; do
  set -- $spec
  list "$FIXTURES/$1" "$2" >"$T/other"
  diff -u "$T/bare" "$T/other" >&2 || fail "$1 ($2) differs from the bare volume"
done

# VHD and VMDK, as far as Debian's libtsk opens them (made here with qemu-img).
if command -v qemu-img >/dev/null; then
  for fmt in vpc vmdk; do
    qemu-img convert -q -f raw -O "$fmt" "$FIXTURES/bare.raw" "$T/bare.$fmt"
    tm artifacts --json "$T/bare.$fmt"
    printf '%s\n' "$OUT" | jq -c 'select(.type=="artifact" and .volume=="vol")
      | [.kind,.subtype,.path,.stream,.user,.inode,.size,.si_times,.fn_times]' | sort >"$T/other"
    diff -u "$T/bare" "$T/other" >&2 || fail "$fmt image differs from the raw volume"
  done
fi

# The MBR disk: three volumes, one skipped, and the second NTFS is read too.
tm artifacts --json "$FIXTURES/mbr.raw"
vols=$(printf '%s\n' "$OUT" | jq -r 'select(.type=="volume") | "\(.volume) \(.fs) \(.status) \(.serial)"')
assert_contains "$vols" "vol2 ntfs ok 3C7E0E5A0157C001" "primary NTFS"
assert_contains "$vols" "vol6 ext2 skipped" "ext2 logical partition skipped"
assert_contains "$vols" "vol10 ntfs ok 3C7E0E5A0157D002" "logical NTFS"
assert_contains "$OUT" '"volume":"vol10","volume_offset":17825792,"kind":"evtx"' "artifact on the logical NTFS volume"
tm artifacts --json "$FIXTURES/split/gpt.001"
assert_contains "$OUT" '"format":"split-raw"' "split raw detected"; assert_contains "$OUT" '"segments":3' "segments found"
tm artifacts --json "$FIXTURES/e01-multi/bare.E01"
assert_contains "$OUT" '"format":"ewf"' "E01 detected"; assert_contains "$OUT" '"segments":9' "E01 segments found"

# Human output names skipped volumes too.
tm artifacts "$FIXTURES/mbr.raw"
assert_contains "$OUT" "skipped: file system ext2 is not NTFS" "human volume line"
# Evidence access times stay as they were (O_NOATIME): an access time older
# than the modification time would be updated by any read under relatime.
cp --sparse=always "$FIXTURES/bare.raw" "$T/atime.raw"
mkdir -p "$T/atime-folder"; cp -r "$FIXTURES/loose/." "$T/atime-folder/"
find "$T/atime.raw" "$T/atime-folder" -exec touch -m -d '2010-01-01 00:00:00' {} + -exec touch -a -d '2000-01-01 00:00:00' {} +
# (files only: listing the folders here reads them, which updates their own atime)
before=$(find "$T/atime.raw" "$T/atime-folder" -type f -printf '%p %A@\n' | sort)
tm scan -o "$T/atime-out" "$T/atime.raw" "$T/atime-folder"
assert_eq "$RC" 0 "scan for access times: $ERR"
after=$(find "$T/atime.raw" "$T/atime-folder" -type f -printf '%p %A@\n' | sort)
assert_eq "$after" "$before" "access times of the evidence unchanged"
assert_eq "$(jq -r .input.access_times_kept "$T/atime-out/atime/summary.json")" true "summary: raw image access times kept"
assert_eq "$(jq -r .input.access_times_kept "$T/atime-out/atime-folder/summary.json")" true "summary: folder access times kept"

# Containers TSK reads itself (here VMDK and VHD made by qemu-img) still open.
if command -v qemu-img >/dev/null; then
  qemu-img convert -f raw -O vmdk "$FIXTURES/bare.raw" "$T/bare.vmdk"
  qemu-img convert -f raw -O vpc "$FIXTURES/bare.raw" "$T/bare.vhd"
  for c in vmdk vhd; do
    tm artifacts "$T/bare.$c"
    assert_eq "$RC" 0 "$c image: $ERR"
    assert_contains "$OUT" "vol:Windows/System32/winevt/Logs/Security.evtx" "$c image read through TSK"
  done
fi
# A damaged MFT entry makes TSK leave its file out of every listing without
# an error: the MFT check names it, so the log is not taken for absent.
# (The first attribute's resident data offset is pushed past the attribute.)
cp "$FIXTURES/mbr.raw" "$T/mft.raw"
ino=$(ifind -o 2048 -n Windows/System32/winevt/Logs/Security.evtx "$T/mft.raw")
mftc=$(fsstat -o 2048 "$T/mft.raw" | sed -n 's/^First Cluster of MFT: //p')
printf '\x00\x02' | dd of="$T/mft.raw" bs=1 seek=$((2048 * 512 + mftc * 4096 + ino * 1024 + 0x38 + 0x14)) conv=notrunc status=none
tm artifacts "$T/mft.raw"
assert_eq "$RC" 1 "damaged MFT entry: not everything read"
assert_not_contains "$OUT" "Logs/Security.evtx" "TSK lists no damaged entry"
assert_contains "$OUT$ERR" "1 allocated MFT entries are damaged (entry $ino: resident data runs past the attribute)" "damaged entry named"
tm artifacts "$FIXTURES/mbr.raw"
assert_eq "$RC" 0 "intact MFT: no damage reported: $ERR"
# An index entry whose file type a flip damaged (bench/mutate case 11825:
# System32's entry for "winevt" on vol10 no longer says "directory"): the
# MFT entry decides, and the log below it is still found.
"$(dirname "$TOOLMARK")/mutate" 11825 image "$FIXTURES/mbr.raw" "$T/type.raw" >/dev/null
tm artifacts "$T/type.raw"
assert_contains "$OUT" "vol10:Windows/System32/winevt/Logs/Application.evtx" "directory with a damaged name type descended"
finish
