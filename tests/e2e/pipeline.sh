#!/usr/bin/env bash
# The whole pipeline (image layer + parser workers) gives the same records
# from an E01 as from the raw image: the guard against the libewf/libyal
# symbol clash (docs/architecture.md).
. "$(dirname "$0")/lib.sh"
need jq

records() { # INPUT
  tm dump --kind evtx "$1"
  [ "$RC" -eq 0 ] || fail "dump $1: exit $RC: $ERR"
  printf '%s\n' "$OUT" | jq -c 'del(.input, .input_id, .volume)'
}
records "$FIXTURES/mbr.raw" >"$T/raw"
records "$FIXTURES/e01/mbr.E01" >"$T/e01"
records "$FIXTURES/bare.raw" >"$T/bare"
records "$FIXTURES/e01-multi/bare.E01" >"$T/multi"
assert_eq "$(wc -l <"$T/raw")" 6 "records from the MBR disk (Security 3, System 2, Application 1)"
diff -u "$T/raw" "$T/e01" >&2 || fail "E01 records differ from raw"
diff -u "$T/bare" "$T/multi" >&2 || fail "multi-segment E01 records differ from raw"

# Values come through libevtx intact, with names from the XML.
logon=$(jq -c 'select(.event_id==4624)' "$T/raw")
assert_contains "$logon" '"record_id":1000' "record id"
assert_contains "$logon" '"time":"2017-04-28T12:27:03.123456+00:00"' "written time"
assert_contains "$logon" '"channel":"Security"' "channel from the record"
assert_contains "$logon" '"computer":"WS01.corp.example"' "computer"
assert_contains "$logon" '"TargetUserName":"alice"' "EventData by name"
assert_contains "$logon" '"LogonType":"2"' "typed EventData value"
assert_contains "$logon" '"TargetLogonId":"0x000000000005a3b1"' "hex value"
assert_contains "$logon" '"path":"Windows/System32/winevt/Logs/Security.evtx"' "origin path"
cleared=$(jq -c 'select(.event_id==1102)' "$T/raw")
assert_contains "$cleared" '"userdata":"LogFileCleared"' "UserData element"
assert_contains "$cleared" '"SubjectUserName":"alice"' "UserData values"
svc=$(jq -c 'select(.event_id==7045)' "$T/raw")
assert_contains "$svc" '"user_sid":"S-1-5-21-3623811015-3361044348-30300820-1013"' "Security UserID"
assert_contains "$svc" '"qualifiers":16384' "qualifiers"
assert_contains "$svc" '"ImagePath":"C:\\ProgramData\\upd.exe"' "service image path"

# Parallel workers give the same records in the same order.
tm dump --kind evtx -j 3 "$FIXTURES/mbr.raw"
printf '%s\n' "$OUT" | jq -c 'del(.input, .input_id, .volume)' >"$T/par"
diff -u "$T/raw" "$T/par" >&2 || fail "-j 3 changes the records or their order"
finish
