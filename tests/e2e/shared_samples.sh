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
  want=$(evtxexport "$T/logs/a.bin" 2>/dev/null | grep -c '^Event number')
  got=$(printf '%s\n' "$OUT" | jq -r 'select(.path=="a.bin") | .record_id' | wc -l)
  assert_eq "$got" "$want" "records of a.bin against evtxexport"
  # System2.evtx is cut short at 200,000 bytes, inside its third chunk:
  # evtxexport reads the 194 records of the two whole chunks; toolmark also
  # the 89 records before the cut, and says the file is cut short.
  want=$(evtxexport "$T/logs/b.bin" 2>/dev/null | grep -c '^Event number')
  got=$(printf '%s\n' "$OUT" | jq -r 'select(.path=="b.bin") | .record_id' | sort -un | wc -l)
  assert_eq "$want" 194 "evtxexport on the cut-short System2.evtx"
  assert_eq "$got" 283 "records of the cut-short System2.evtx, the cut chunk included"
  assert_eq "$RC" 1 "a cut-short log is not read completely"
  assert_contains "$ERR" "b.bin: the file ends inside the chunk at offset 135168" "cut chunk named"
  assert_contains "$ERR" "its header lists 96 chunks, 3 are in it" "cut-short file named"
fi

# Registry hives: every key, as regfexport counts them (it counts the root too).
if command -v regfexport >/dev/null; then
  for h in regf/NTUSER.DAT regf/SAM NTUSER-WIN7.DAT winreg/Amcache.hve winreg/win10-Amcache.hve; do
    want=$(regfexport "$P/$h" 2>/dev/null | grep -c '^Key path')
    got=$("$TOOLMARK_PARSE" registry "$P/$h" 2>/dev/null | jq -r 'select(.subkeys!=null) | .key' | wc -l)
    assert_eq "$got" "$((want - 1))" "keys of $h against regfexport"
  done
fi
assert_contains "$("$TOOLMARK_PARSE" registry "$P/regf/SAM" | jq -c 'select(.fact=="sam_user")')" '"name":"Administrator","rid":500' "SAM RIDs"

# Prefetch: libscca's own tool agrees on name, hash, runs and files.
if command -v sccainfo >/dev/null; then
  for f in "$P"/winprefetch/*.pf; do
    case "$f" in *AM_DELTA*) continue ;; esac
    info=$(sccainfo "$f" 2>/dev/null)
    got=$("$TOOLMARK_PARSE" prefetch "$f")
    exe=$(printf '%s\n' "$info" | sed -n 's/^\tExecutable filename\t*: //p')
    runs=$(printf '%s\n' "$info" | sed -n 's/^\tRun count\t*: //p')
    files=$(printf '%s\n' "$info" | sed -n 's/^\tNumber of filenames\t*: //p')
    assert_contains "$got" "\"executable\":\"$exe\"" "$(basename "$f") executable"
    assert_contains "$got" "\"run_count\":$runs," "$(basename "$f") run count"
    assert_contains "$got" "\"file_count\":$files" "$(basename "$f") file count"
  done
fi
# Windows 11 (format 31, compressed): libscca 20200717 rejects it; toolmark
# decompresses it itself. Values as stored in the file.
pf=$("$TOOLMARK_PARSE" prefetch "$P/winprefetch/AM_DELTA_PATCH_1.443.990.0.EX-7037CF86.pf")
assert_contains "$pf" '"executable":"AM_DELTA_PATCH_1.443.990.0.EX","prefetch_hash":"7037CF86","format_version":31,"run_count":1' "Windows 11 prefetch"
assert_contains "$pf" '"file_count":18' "Windows 11 prefetch files"

# The at-job sample: the values plaso documents for it.
job=$("$TOOLMARK_PARSE" atjob "$P/wintask.job")
assert_contains "$job" '"application":"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe"' "job application"
assert_contains "$job" '"parameters":"/ua /installsource scheduler"' "job parameters"
assert_contains "$job" '"author":"Brian"' "job author"
assert_contains "$job" '"last_run":"2013-08-24T12:42:00.112000"' "job last run (local)"
assert_contains "$job" '"trigger.1.type":"DAILY","trigger.1.start":"2013-07-12T15:42:00.000000"' "job trigger"

# The $J excerpt.
usn=$("$TOOLMARK_PARSE" usn "$P/UsnJrnl.raw")
assert_eq "$(printf '%s\n' "$usn" | wc -l)" 19 "USN records in the excerpt"
assert_contains "$(printf '%s\n' "$usn" | head -1)" '"time":"2015-11-30T21:15:27.203125+00:00","usn":0,"offset":0,"version":2,"file_name":"Nieuw - Tekstdocument.txt","reasons":"FILE_CREATE","reason_flags":256,"mft_entry":30,"mft_sequence":1,"parent_mft_entry":5,"parent_mft_sequence":5' "first USN record"

# EVTX-to-MITRE: every record libevtx indexes is delivered (libevtx 20181227
# or toolmark's decoder); only overwritten slack records may stay unreadable.
M="${SHARED:-}/samples/evtx-mitre"
if [ -d "$M" ] && command -v evtxinfo >/dev/null; then
  bad=0 files=0
  while IFS= read -r -d '' f; do
    files=$((files + 1))
    want=$(evtxinfo "$f" 2>/dev/null | sed -n 's/^\tNumber of records\t*: //p')
    got=$("$TOOLMARK_PARSE" evtx "$f" 2>/dev/null | jq -r 'select(.recovered==false) | .record_id' | wc -l)
    [ "$got" = "$want" ] || { bad=$((bad + 1)); echo "records of $f: got $got, evtxinfo says $want" >&2; }
  done < <(find "$M" -name '*.evtx' -print0)
  assert_eq "$bad" 0 "EVTX-to-MITRE files with records missing (of $files)"
fi
# A damaged live record libevtx faults on (bench/mutate case 40758: libfwevt
# SEGVs under the sanitizer build): the fallback to libevtx runs in a child
# of the worker, so a fault costs that record, said, and the log's later
# records are read. TOOLMARK_TEST_FALLBACK_FAULT makes every such child
# fault, in either build.
mkdir -p "$T/fault"
"$(dirname "$TOOLMARK")/mutate" 40758 evtx "$P/evtx/System.evtx" "$T/fault/System.evtx" >/dev/null
tm scan -q -o "$T/fo" "$T/fault"
assert_eq "$RC" 1 "damaged System.evtx: damage said"
assert_contains "$ERR" "3 records could not be read (4473 read)" "damaged System.evtx: the records around the damaged ones read"
TOOLMARK_TEST_FALLBACK_FAULT=1 tm scan -q -o "$T/ff" "$T/fault"
assert_eq "$RC" 1 "libevtx faulting on every fallback: damage said"
assert_contains "$ERR" "3 records could not be read (4473 read)" "libevtx faulting: the records after the fault read"
assert_eq "$(grep -c 'libevtx ended in a fault reading it (Segmentation fault)' "$T/ff/fault/errors.jsonl")" 3 \
  "each fault named on its record"
# A compressed Windows 10 Prefetch file cut short (bench/mutate case 4747):
# libscca decompressed it into zeros and then split them for minutes; the
# reader decompresses itself and names the damage at once.
pf="$P/winprefetch/BYTECODEGENERATOR.EXE-C1E9BCE6.pf"
if [ -f "$pf" ]; then
  head -c 44452 "$pf" >"$T/cut.pf"
  timeout 60 "$TOOLMARK_PARSE" prefetch "$T/cut.pf" >"$T/pf.out" 2>"$T/pf.err"
  assert_eq "$?" 1 "cut-short compressed Prefetch: reported, not hung"
  assert_contains "$(cat "$T/pf.err")" "compressed (MAM) data cannot be decompressed" "cut-short MAM named"
fi
finish
