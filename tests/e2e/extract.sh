#!/usr/bin/env bash
# extract: byte-identical content from every image type, a manifest whose
# hashes agree with TSK's icat, holes kept sparse, names sanitised.
. "$(dirname "$0")/lib.sh"
need jq

tm extract -o "$T/x" "$FIXTURES/bare.raw" "$FIXTURES/mbr.raw" "$FIXTURES/gpt.raw" "$FIXTURES/split/gpt.001" \
  "$FIXTURES/e01/mbr.E01" "$FIXTURES/e01-multi/bare.E01"
assert_eq "$RC" 0 "extract exit: $ERR"
ls "$T/x" >"$T/ids"
assert_eq "$(tr '\n' ' ' <"$T/ids")" "bare bare-2 gpt gpt-2 manifest.csv mbr mbr-2 " "input ids"
for other in mbr/vol2 gpt/vol4 gpt-2/vol4 mbr-2/vol2 bare-2/vol; do
  diff -r "$T/x/bare/vol" "$T/x/$other" >&2 || fail "$other differs from the bare volume's extraction"
done
[ -f "$T/x/mbr/vol10/Windows/System32/winevt/Logs/Application.evtx" ] || fail "second NTFS volume not extracted"

# The manifest: header, one row per artifact, hashes that match the files.
head -1 "$T/x/manifest.csv" | grep -q '^"input","input_id","volume"' || fail "manifest header"
rows=$(($(wc -l <"$T/x/manifest.csv") - 1))
assert_eq "$rows" $((17 * 6 + 2)) "manifest rows (17 per C volume, Application.evtx twice)"
sec="$T/x/bare/vol/Windows/System32/winevt/Logs/Security.evtx"
h=$(sha256sum "$sec" | cut -d' ' -f1)
grep -F '"bare","vol",0' "$T/x/manifest.csv" | grep -F 'Security.evtx' | grep -qF "\"$h\"" || fail "manifest hash of Security.evtx"

# $J: the hash agrees with TSK's own icat, and the hole stays a hole.
j="$T/x/bare/vol/\$Extend/\$UsnJrnl%3A\$J"
[ -f "$j" ] || fail "\$J not extracted as \$UsnJrnl%3A\$J"
ino=$(grep -F '"bare","vol",0' "$T/x/manifest.csv" | grep -F '"usn"' | cut -d, -f12 | tr -d '"')
want=$(icat "$FIXTURES/bare.raw" "$ino" | sha256sum | cut -d' ' -f1)
assert_eq "$(sha256sum "$j" | cut -d' ' -f1)" "$want" "\$J content against icat"
grep -F '"bare","vol",0' "$T/x/manifest.csv" | grep -F '"usn"' | grep -qF "\"$want\"" || fail "manifest hash of \$J"
blocks=$(du -k "$j" | cut -f1)
[ "$blocks" -lt 256 ] || fail "\$J hole was materialised ($blocks KiB on disk)"
assert_eq "$(stat -c %s "$j")" "$(icat "$FIXTURES/bare.raw" "$ino" | wc -c)" "\$J logical size against icat"

# No temporary files left behind.
find "$T/x" -name '*.tmp-*' | grep -q . && fail "temporary files left"

# Hostile names from a folder input are sanitised.
mkdir -p "$T/in/C/Windows/Prefetch"
cp "$FIXTURES/loose/case 17/prefetch.bin" "$T/in/C/Windows/Prefetch/CON.pf"
cp "$FIXTURES/loose/case 17/prefetch.bin" "$T/in/C/Windows/Prefetch/$(printf 'a\001b.pf')"
tm extract -o "$T/y" "$T/in"
assert_eq "$RC" 0 "extract folder: $ERR"
[ -f "$T/y/in/folder/C/Windows/Prefetch/_CON.pf" ] || fail "device name not sanitised"
[ -f "$T/y/in/folder/C/Windows/Prefetch/a%01b.pf" ] || fail "control character not sanitised"
# A backslash is part of a name (not a sub-folder), and a TAB in a name is
# \x09 in the manifest's quoted cell.
cp "$FIXTURES/loose/case 17/prefetch.bin" "$T/in/C/Windows/Prefetch/$(printf 'b\\s.pf')"
cp "$FIXTURES/loose/case 17/prefetch.bin" "$T/in/C/Windows/Prefetch/$(printf 't\tab.pf')"
tm extract -o "$T/z" "$T/in"
assert_eq "$RC" 0 "extract folder with \\ and TAB in names: $ERR"
[ -f "$T/z/in/folder/C/Windows/Prefetch/b%5Cs.pf" ] || fail "backslash extracted as a sub-folder"
[ -e "$T/z/in/folder/C/Windows/Prefetch/b" ] && fail "backslash made a folder"
grep -qF 't\x09ab.pf' "$T/z/manifest.csv" || fail "TAB not escaped in the manifest"
grep -q "$(printf '\t')" "$T/z/manifest.csv" && fail "a raw TAB in the manifest"
finish
