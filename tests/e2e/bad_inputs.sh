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
assert_eq "$RC" 1 "zeroed boot sector"
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
