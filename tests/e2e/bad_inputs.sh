#!/usr/bin/env bash
# Bad input gets a clear message, a non-zero exit where nothing could be
# read, and never a crash; the other inputs of the run go on.
. "$(dirname "$0")/lib.sh"
B="$FIXTURES/bad"

tm artifacts "$B/truncated.E01"
assert_eq "$RC" 1 "truncated E01"; assert_contains "$OUT$ERR" "incomplete or truncated" "truncated E01 message"
tm artifacts "$B/missing-segment/bare.E01"
assert_eq "$RC" 1 "missing .E02"; assert_contains "$OUT$ERR" "segment file is missing" "missing segment message"
tm artifacts "$B/zeroed-boot.raw"
assert_eq "$RC" 1 "zeroed boot sector (damage, even though read)"
assert_contains "$OUT" "ok: opened from the backup boot sector at sector 18431 (the primary is damaged)" "NTFS backup boot sector used"
assert_contains "$OUT" "vol2:Windows/System32/winevt/Logs/Security.evtx" "the volume's artifacts through the backup"
tm artifacts "$B/zeroed-both.raw"
assert_eq "$RC" 1 "both boot sectors zeroed"
assert_contains "$OUT" "vol2" "zeroed volume listed"; assert_contains "$OUT" "unreadable: boot sector is all zeros" "reason"
assert_contains "$OUT" "vol10:Windows/System32/winevt/Logs/Application.evtx" "the other NTFS volume is still read"
tm artifacts "$B/bitlocker.raw"
assert_eq "$RC" 1 "BitLocker volume"; assert_contains "$OUT" "unreadable: BitLocker-encrypted volume" "BitLocker reason"
assert_contains "$OUT" "vol10:Windows/System32/winevt/Logs/Application.evtx" "the other volume is still read"
tm artifacts "$B/random.bin"
assert_eq "$RC" 1 "random file"; assert_contains "$OUT$ERR" "not a disk image toolmark can read" "random file message"
tm artifacts "$B/empty.raw"
assert_eq "$RC" 1 "empty file"; assert_contains "$OUT$ERR" "empty" "empty file message"
tm artifacts "$T/does-not-exist.E01"
assert_eq "$RC" 1 "missing path"; assert_contains "$OUT$ERR" "No such file or directory" "missing path message"

# E01 damage past the checksums is reported, with where it is, and exit 1.
tm artifacts "$B/flipped-boot.E01"
assert_eq "$RC" 1 "E01 with a damaged boot sector chunk"
assert_contains "$OUT" "E01 data failed its checksum in sectors 2048-2111" "the damaged sectors"
assert_contains "$OUT" "boot sector failed its checksum: the image is damaged there" "not called a zeroed boot sector"
assert_contains "$OUT" "vol10:Windows/System32/winevt/Logs/Application.evtx" "the other volume is read"
tm scan -o "$T/flip" "$B/flipped-evtx.E01"
assert_eq "$RC" 1 "scan of an E01 with damaged chunk data"
assert_contains "$ERR" "E01 data failed its checksum" "damage said on stderr"
assert_eq "$(jq -r '.input.damaged' "$T/flip/flipped-evtx/summary.json")" true "summary: damaged"
[ "$(jq -r '.input.ewf_checksum_errors' "$T/flip/flipped-evtx/summary.json")" -ge 1 ] || fail "summary: checksum errors"
grep -q 'failed its checksum' "$T/flip/flipped-evtx/errors.jsonl" || fail "errors.jsonl: checksum failure"
tm artifacts --verify "$B/flipped-evtx.E01"
assert_eq "$RC" 1 "--verify of a damaged E01"
assert_contains "$OUT" "verification failed: the media reads as MD5" "hash mismatch reported"
tm artifacts --verify --json "$FIXTURES/e01-multi/bare.E01"
assert_eq "$RC" 0 "--verify of an intact E01: $ERR"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.type=="input") | .computed_md5 == .stored_md5')" true "computed = stored MD5"
tm extract -o "$T/fx" "$B/flipped-evtx.E01"
assert_eq "$RC" 1 "extract from damaged E01 data"
grep -F 'Security.evtx' "$T/fx/manifest.csv" | grep -q 'copied from damaged image data' || fail "manifest marks the damaged copy"
grep -F 'System.evtx' "$T/fx/manifest.csv" | grep -q '"ok"' || fail "intact copies stay ok"

# An E01 whose table section is damaged (libewf refuses the whole set, or
# loses its chunks, though table2 mirrors the table): read through a mended
# copy of that segment file (in TMPDIR, removed after), the damage named,
# exit 1; the stored MD5 still matches what is read. With table2 damaged
# too, the set is refused (docs/robustness.md).
put() { printf "$2" | dd of="$1" bs=1 seek="$3" conv=notrunc status=none; } # FILE BYTES OFFSET
table_at() { LC_ALL=C grep -obUaP 'table\x00{11}' "$1" | head -1 | cut -d: -f1; } # FILE -> offset of the table section
mkdir -p "$T/ewf1" "$T/ewf2" "$T/ewf3" "$T/ewf-multi" "$T/ewf-tmp"
E="$FIXTURES/e01/mbr.E01"
t=$(table_at "$E")
cp "$E" "$T/ewf1/mbr.E01"; dd if=/dev/zero of="$T/ewf1/mbr.E01" bs=1 seek=$((t + 76)) count=24 conv=notrunc status=none
cp "$E" "$T/ewf2/mbr.E01"; put "$T/ewf2/mbr.E01" 'XXXX' $((t + 72))                   # the descriptor's checksum
cp "$T/ewf1/mbr.E01" "$T/ewf3/mbr.E01"; t2=$(LC_ALL=C grep -obUaP 'table2\x00{10}' "$E" | head -1 | cut -d: -f1)
dd if=/dev/zero of="$T/ewf3/mbr.E01" bs=1 seek=$((t2 + 76)) count=24 conv=notrunc status=none
before=$(cat "$T/ewf1/mbr.E01" "$T/ewf2/mbr.E01" | sha256sum)
for d in ewf1 ewf2; do
  TMPDIR="$T/ewf-tmp" tm artifacts "$T/$d/mbr.E01"
  assert_eq "$RC" 1 "$d: E01 with a damaged table section"
  assert_contains "$OUT" "mbr.E01: the table section at offset $t" "$d: the damage named"
  assert_contains "$OUT" "is damaged: its chunks are read through the table2 copy" "$d: and how it was read"
  assert_contains "$OUT" "vol2:Windows/System32/winevt/Logs/Security.evtx" "$d: the first volume read"
  assert_contains "$OUT" "vol10:Windows/System32/winevt/Logs/Application.evtx" "$d: the logical volume read"
  assert_eq "$(ls -A "$T/ewf-tmp")" "" "$d: the mended copy removed"
done
assert_eq "$(cat "$T/ewf1/mbr.E01" "$T/ewf2/mbr.E01" | sha256sum)" "$before" "the damaged evidence itself left as it was"
tm artifacts "$T/ewf3/mbr.E01"
assert_eq "$RC" 1 "table and table2 damaged"; assert_contains "$OUT" "libewf cannot open the segment files" "refused, said"
# Both tables damaged by a swapped 4 KiB block (bench/mutate case 50393): the
# first volume's chunks fail, and TSK's own file-system detection tried
# YAFFS2 on it, whose test reads the whole volume: minutes of libewf retries
# under the sanitizer build. The types looked for are named instead.
mkdir -p "$T/ewf4"
"$(dirname "$TOOLMARK")/mutate" 50393 image "$E" "$T/ewf4/mbr.E01" >/dev/null
tm artifacts "$T/ewf4/mbr.E01"
assert_eq "$RC" 1 "tables damaged by a swapped block"
assert_contains "$OUT" "Cannot determine file system type (none of NTFS, FAT, exFAT, ext, HFS, ISO 9660, UFS, APFS)" \
  "the file systems looked for named"
assert_contains "$OUT" "vol-s2048:Windows/System32/winevt/Logs/Security.evtx" "the intact volume read"
cp "$FIXTURES"/e01-multi/* "$T/ewf-multi/"
t=$(table_at "$T/ewf-multi/bare.E03")
dd if=/dev/zero of="$T/ewf-multi/bare.E03" bs=1 seek=$((t + 76)) count=24 conv=notrunc status=none
tm artifacts --verify --json "$T/ewf-multi/bare.E01"
assert_eq "$RC" 1 "a segment of nine with a damaged table section"
assert_contains "$OUT" "bare.E03: the table section at offset $t" "the segment named"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.type=="input") | .computed_md5 == .stored_md5')" true "the media reads as acquired"
[ "$(printf '%s\n' "$OUT" | jq -c 'select(.type=="artifact")' | wc -l)" -gt 0 ] || fail "the multi-segment E01's artifacts"

# Partition-table damage: every entry that cannot be followed is named, and
# what is intact is still read (docs/robustness.md).
M="$FIXTURES/mbr.raw"
put() { printf "$2" | dd of="$1" bs=1 seek="$3" conv=notrunc status=none; } # FILE BYTES OFFSET
head -c $((9 * 1048576)) "$M" >"$T/cut.raw"          # cut exactly at the end of the first volume
cp --sparse=always "$M" "$T/len0.raw"; put "$T/len0.raw" '\0\0\0\0' $((0x1BE + 12))  # entry 1 of length 0
cp --sparse=always "$M" "$T/selfebr.raw"; put "$T/selfebr.raw" '\0\0\0\0' $((20480 * 512 + 0x1CE + 8)) # EBR links to itself
cp --sparse=always "$M" "$T/dup4.raw"                 # four entries for one partition
for k in 1 2 3; do dd if="$M" of="$T/dup4.raw" bs=1 skip=$((0x1BE)) seek=$((0x1BE + 16 * k)) count=16 conv=notrunc status=none; done
# the first entry's start and length flipped past the image's end, the
# extended entry's type to FAT16 (bench/mutate case 70301): the entry that
# says NTFS opens no file system, so it hides no space from the search for
# boot sectors, and the logical NTFS volume behind the lost chain is found
"$(dirname "$TOOLMARK")/mutate" 70301 image "$M" "$T/flip4.raw" >/dev/null
tm artifacts "$T/flip4.raw"
assert_eq "$RC" 1 "MBR with flipped entries"
assert_contains "$OUT" "vol-s34816:Windows/System32/winevt/Logs/Application.evtx" "the logical volume found by its boot sector"
# three more from bench/mutate: the first entry's length flipped past the
# image's end while its NTFS opens (80553: the volume covers what its file
# system holds, not what the entry says); the first entry moved 16 sectors
# on (82005: an NTFS entry where no NTFS opens starts the search); the
# extended entry's type flipped to 0xff (82995: an MBR entry with no file
# system starts it); the first entry's type flipped to extended (100947: its
# "EBR" is an NTFS boot sector, read as a volume)
for c in 80553:vol-s34816 82005:vol-s2048 82995:vol-s34816 100947:vol-s2048; do
  "$(dirname "$TOOLMARK")/mutate" "${c%%:*}" image "$M" "$T/m${c%%:*}.raw" >/dev/null
  tm artifacts "$T/m${c%%:*}.raw"
  assert_contains "$OUT" "${c#*:}:Windows/System32/winevt/Logs/" "case ${c%%:*}: the lost volume found by its boot sector"
done
tm artifacts "$T/cut.raw"
assert_eq "$RC" 1 "truncated disk image"
assert_contains "$OUT" "MBR entry 2 (extended, sector 20480) lies outside the image" "the lost entry named"
assert_contains "$OUT" "vol-s2048:Windows/System32/winevt/Logs/Security.evtx" "the intact first volume is read"
tm artifacts "$T/len0.raw"
assert_eq "$RC" 1 "MBR entry of length 0"
assert_contains "$OUT" "MBR entry 1 (type 0x07, sector 2048) has length 0: read by the NTFS boot sector found there" "named"
assert_contains "$OUT" "vol-s2048:Windows/System32/winevt/Logs/Security.evtx" "its volume is read"
# ... and cut short inside that volume (fuzz_vs: the boot sector's length
# was taken whole, past the image's end)
head -c $((6 * 1048576)) "$T/len0.raw" >"$T/len0-cut.raw"
tm artifacts --json "$T/len0-cut.raw"
assert_eq "$RC" 1 "an entry of length 0, the image cut inside its volume"
assert_contains "$OUT" "MBR entry 1 (sector 2048): the NTFS volume found there ends beyond the end of the image" "named"
assert_eq "$(printf '%s\n' "$OUT" | jq -r 'select(.type=="volume" and .offset==1048576) | .length')" $((5 * 1048576)) "read as far as the image goes"
tm artifacts "$T/selfebr.raw"
assert_eq "$RC" 1 "self-referencing EBR"
assert_contains "$OUT" "chain of EBRs loops back to sector 20480" "the loop named"
assert_contains "$OUT" "NTFS boot sector found at sector 34816 (not in the partition table)" "the lost logical found by its boot sector"
assert_contains "$OUT" "vol-s34816:Windows/System32/winevt/Logs/Application.evtx" "and read"
tm artifacts --json "$T/dup4.raw"
assert_eq "$RC" 0 "one partition listed four times: $ERR"
assert_eq "$(printf '%s\n' "$OUT" | jq -c 'select(.type=="volume")' | wc -l)" 1 "read once"
assert_contains "$OUT" "listed 4 times in the partition table" "the repetition said"

# An entry whose length runs far past the image: named, its volume read as
# far as the image goes, the others read too.
cp --sparse=always "$M" "$T/huge.raw"; put "$T/huge.raw" '\377\377\377\177' $((0x1BE + 12))
tm artifacts "$T/huge.raw"
assert_eq "$RC" 1 "MBR entry of an impossible length"
assert_contains "$OUT" "MBR entry 1 (type 0x07, sector 2048, 2147483647 sectors) ends beyond the end of the image" "named"
assert_contains "$OUT" ":Windows/System32/winevt/Logs/Security.evtx" "its volume is read"
assert_contains "$OUT" ":Windows/System32/winevt/Logs/Application.evtx" "the logical volume is read"
# A GPT whose primary header is damaged is read from its backup header (TSK
# took the protective MBR for the table and lost the volume); with both
# headers damaged the NTFS volume is found by its boot sector.
G="$FIXTURES/gpt.raw"
last=$(( $(stat -c %s "$G") / 512 - 1 ))
cp --sparse=always "$G" "$T/gpt1.raw"; dd if=/dev/zero of="$T/gpt1.raw" bs=512 seek=1 count=1 conv=notrunc status=none
cp --sparse=always "$T/gpt1.raw" "$T/gpt2.raw"; dd if=/dev/zero of="$T/gpt2.raw" bs=512 seek="$last" count=1 conv=notrunc status=none
tm artifacts "$T/gpt1.raw"
assert_eq "$RC" 1 "GPT primary header damaged"
assert_contains "$OUT" "the GPT's primary header is damaged: its partitions are read from the backup header" "named"
assert_contains "$OUT" "vol1:Windows/System32/winevt/Logs/Security.evtx" "the volume read through the backup header"
assert_not_contains "$OUT" "GPT Safety Partition" "the protective MBR is not taken for the table"
tm artifacts "$T/gpt2.raw"
assert_eq "$RC" 1 "GPT with both headers damaged"
assert_contains "$OUT" "the GPT's primary and backup headers are both damaged" "named"
assert_contains "$OUT" "NTFS boot sector found at sector 2048 (not in the partition table): read as a volume" "found by its boot sector"
assert_contains "$OUT" "vol-s2048:Windows/System32/winevt/Logs/Security.evtx" "and read"
tm artifacts "$G"
assert_eq "$RC" 0 "the intact GPT: $ERR"
assert_not_contains "$OUT" "damaged" "the intact GPT: no damage said"

# bench/mutate's volume check (seeds 1529 and 1618): an MBR entry whose
# start a flip moved to empty space (the entry reads as a zeroed NTFS boot
# sector, another NTFS volume opens, so no search ran), and a protective
# MBR whose type a flip changed (one partition of an unknown type over the
# whole disk): the lost NTFS volume is found by its boot sector and read.
cp --sparse=always "$M" "$T/moved.raw"; put "$T/moved.raw" '\0\030\0\0' $((0x1BE + 8)) # entry 1 at sector 6144
tm artifacts "$T/moved.raw"
assert_eq "$RC" 1 "an MBR entry moved off its volume"
assert_contains "$OUT" "NTFS boot sector found at sector 2048 (not in the partition table): read as a volume" "found"
assert_contains "$OUT" "vol-s2048:Windows/System32/winevt/Logs/Security.evtx" "and read"
cp --sparse=always "$G" "$T/gpt-type.raw"; put "$T/gpt-type.raw" '\256' $((0x1BE + 4))    # 0xEE -> 0xAE
tm artifacts "$T/gpt-type.raw"
assert_eq "$RC" 1 "a protective MBR of another type"
assert_contains "$OUT" "NTFS boot sector found at sector 2048 (not in the partition table): read as a volume" "found"
assert_contains "$OUT" "vol-s2048:Windows/System32/winevt/Logs/Security.evtx" "and read"
# (seed 3267) the extended partition's type flipped to 0: TSK lists an
# "Empty" partition there and the walk skips it; its logical NTFS volume is
# found by its boot sector
cp --sparse=always "$M" "$T/ext0.raw"; put "$T/ext0.raw" '\0' $((0x1CE + 4))
tm artifacts "$T/ext0.raw"
assert_eq "$RC" 1 "an extended partition of type 0"
assert_contains "$OUT" "NTFS boot sector found at sector 34816 (not in the partition table): read as a volume" "found"
assert_contains "$OUT" "vol-s34816:Windows/System32/winevt/Logs/Application.evtx" "and read"
tm artifacts "$B/bitlocker.raw"
assert_not_contains "$OUT" "NTFS boot sector found" "a BitLocker volume is not searched for NTFS boot sectors"

# One bad input does not stop the others.
tm artifacts "$B/random.bin" "$FIXTURES/bare.raw" "$T/nope"
assert_eq "$RC" 1 "mixed run"
assert_contains "$OUT" "vol:Windows/System32/winevt/Logs/Security.evtx" "good input processed after a bad one"
tm dump --kind evtx "$B/random.bin" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "dump mixed run"; assert_contains "$OUT" '"event_id":4624' "dump of the good input"
tm extract -o "$T/x" "$B/empty.raw" "$FIXTURES/bare.raw"
assert_eq "$RC" 1 "extract mixed run"; [ -f "$T/x/bare/vol/Windows/System32/winevt/Logs/Security.evtx" ] || fail "extract of the good input"

# A directory with files that cannot be read: a FIFO (must not hang), a
# dangling symlink, and (when not root) a file without read permission.
mkdir -p "$T/dir/C/Windows/System32/winevt/Logs"
cp "$FIXTURES/loose/case 17/evidence-01.bin" "$T/dir/C/Windows/System32/winevt/Logs/Security.evtx"
mkfifo "$T/dir/pipe.evtx"
ln -s /nonexistent "$T/dir/C/Windows/System32/winevt/Logs/System.evtx"
cp "$FIXTURES/loose/case 17/hive-a" "$T/dir/locked"
chmod 000 "$T/dir/locked"
tm artifacts "$T/dir"
assert_eq "$RC" 1 "folder with unreadable entries"
assert_contains "$OUT" "Security.evtx" "readable artifact listed"
assert_contains "$OUT" "symbolic link not followed" "symlink reported"
if [ "$(id -u)" != 0 ]; then assert_contains "$OUT" "locked: cannot read file: Permission denied" "unreadable file reported"; fi

# Names are evidence: escape sequences in them never reach the terminal
# (title change, screen clear, a fake line) - stdout and stderr show them escaped.
evil=$(printf 'x\033]0;pwned\007\033[2J\r\ntoolmark: all clear\302\233')
mkdir -p "$T/esc"
head -c 5000 "$FIXTURES/loose/case 17/evidence-01.bin" >"$T/esc/$evil.evtx"
cp "$FIXTURES/loose/alice_history.txt" "$T/esc/${evil}_history.txt"
tm artifacts "$T/esc"
assert_contains "$OUT" 'x\x1b]0;pwned\x07\x1b[2J\x0d\x0atoolmark: all clear\u009B' "listing shows the name escaped"
tm scan -o "$T/esc-out" "$T/esc"
assert_eq "$RC" 1 "damaged log in the escape folder"
assert_contains "$ERR" 'x\x1b]0;pwned' "message names the file, escaped"
for stream in "$T/out" "$T/err"; do
  if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$stream"; then fail "a control character reached $(basename "$stream")"; fi
  LC_ALL=C grep -q "$(printf '\302\233')" "$stream" && fail "a C1 control reached $(basename "$stream")"
  grep -q '^toolmark: all clear' "$stream" && fail "a fake line reached $(basename "$stream")"
done
finish
