#!/usr/bin/env bash
# Folder inputs: a triage collection with a drive folder (C/), and loose
# renamed files recognised by their signatures.
. "$(dirname "$0")/lib.sh"
need jq

tm artifacts --json "$FIXTURES/triage"
assert_eq "$RC" 0 "triage folder: $ERR"
arts=$(printf '%s\n' "$OUT" | jq -c 'select(.type=="artifact") | [.kind,.subtype,.path,.win_path,.user,.by_signature]')
assert_eq "$(printf '%s\n' "$arts" | wc -l)" 17 "artifacts in the triage folder"
assert_contains "$arts" '["evtx",null,"C/Windows/System32/winevt/Logs/Security.evtx","Windows/System32/winevt/Logs/Security.evtx",null,false]' "evtx by path under C/"
assert_contains "$arts" '["registry","NTUSER","C/Users/alice/NTUSER.DAT","Users/alice/NTUSER.DAT","alice",false]' "user hive"
assert_contains "$arts" '["usn",null,"C/$Extend/$UsnJrnl%3A$J","$Extend/$UsnJrnl",null,false]' "collected \$J"

# Velociraptor-style drive folder name.
mkdir -p "$T/v/uploads/auto/C%3A/Windows/Prefetch"
cp "$FIXTURES/loose/case 17/prefetch.bin" "$T/v/uploads/auto/C%3A/Windows/Prefetch/CMD.EXE-4A81B364.pf"
tm artifacts --json "$T/v"
assert_contains "$OUT" '"win_path":"Windows/Prefetch/CMD.EXE-4A81B364.pf"' "C%3A drive folder"

tm artifacts --json "$FIXTURES/loose"
assert_eq "$RC" 0 "loose folder: $ERR"
arts=$(printf '%s\n' "$OUT" | jq -c 'select(.type=="artifact") | [.kind,.subtype,.path,.by_signature]')
assert_contains "$arts" '["evtx",null,"case 17/evidence-01.bin",true]' "renamed EVTX by signature"
assert_contains "$arts" '["registry","SYSTEM","case 17/hive-a",true]' "renamed SYSTEM hive by embedded name"
assert_contains "$arts" '["registry","NTUSER","case 17/hive-b",true]' "renamed NTUSER hive by embedded name"
assert_contains "$arts" '["prefetch",null,"case 17/prefetch.bin",true]' "renamed prefetch by signature"
assert_contains "$arts" '["task",null,"case 17/task-export",true]' "task XML by content"
assert_contains "$arts" '["psreadline",null,"alice_history.txt",true]' "PSReadLine by name"
assert_not_contains "$arts" "readme.txt" "plain text file"

# An empty folder, and a folder holding only an empty folder, are inputs
# with nothing in them (not undefined behaviour in the sort of no names).
mkdir -p "$T/empty" "$T/nested/inner"
tm artifacts --json "$T/empty" "$T/nested"
assert_not_contains "$ERR" "runtime error" "no sanitizer report on empty folders"
assert_eq "$(printf '%s\n' "$OUT" | jq -c 'select(.type=="artifact")' | wc -l)" 0 "no artifact in empty folders"
tm scan -o "$T/empty-out" "$T/empty"
assert_not_contains "$ERR" "runtime error" "scan of an empty folder"
[ -f "$T/empty-out/empty/summary.json" ] || fail "scan of an empty folder wrote no summary: $ERR"

# The folder is never written to.
before=$(find "$FIXTURES/loose" -printf '%p %s %T@\n' | sort | sha256sum)
tm dump "$FIXTURES/loose"
after=$(find "$FIXTURES/loose" -printf '%p %s %T@\n' | sort | sha256sum)
assert_eq "$after" "$before" "input folder unchanged"
assert_contains "$OUT" '"path":"case 17/evidence-01.bin"' "dump of a renamed EVTX"
finish
