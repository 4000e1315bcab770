#!/usr/bin/env bash
# Shadow copies made here (docs/recovery.md): an attack logged, a shadow copy
# of the volume taken, then the Security log cleared in place (its clusters
# rewritten, so neither the deleted-log search nor carving finds the old
# records). fixtures' vss_writer gives the cleared volume a store whose view
# is the volume as it was. Checked: the writer is deterministic and writes
# only at 0x1e00 and in its two files' clusters; vshadowinfo reads the store
# with the identifier and creation time written; the store read through
# toolmark's image layer is the old volume byte for byte; the attack is
# detected from the store's log (origin vss:<id>:<time>), the clear is live,
# the coverage verdict says the cleared window was recovered from "vss"; the
# volume lists the store; the E01 gives the same traces; --no-recover no
# PsExec. A store whose view holds the same log as the live volume adds no
# trace: each record is cited once, live, naming the store. A store with
# more saved blocks than one block list block holds reads back whole.
. "$(dirname "$0")/lib.sh"
need jq
need mkntfs
need faketime
need ewfacquire
need ifind
need icat
need istat
need vshadowinfo
: "${TOOLDIR:?}" "${SRCDIR:?}" "${TESTBIN:?}"

W="$T/work"
mkdir -p "$W"
G=7b3a2f10-5c1e-11e7-9a4d-080027a1b2c3
CREATED=2017-05-10T09:50:00Z # after the attack (09:00-09:40), before the clear (10:00)
ORIGIN="vss:$G:2017-05-10T09:50:00.000000+00:00"
S='System Volume Information'
CAT="$S/{3808876b-c176-4e48-b7ae-04046e6cc752}"
STORE="$S/{$G}{3808876b-c176-4e48-b7ae-04046e6cc752}"
L=Windows/System32/winevt/Logs

attack_and_cleared_logs "$W"
assert_eq "$(stat -c %s "$W/attack.evtx")" "$(stat -c %s "$W/cleared.evtx")" "the cleared log takes the old one's clusters"
printf '{5a1f9c2e-3b7d-4e80-9c61-2f4d8e0b7a13}' >"$W/indexer.bin"
head -c 131072 /dev/zero >"$W/catalog.bin"
head -c 1048576 /dev/zero >"$W/store.bin"

# OLD: the attack logged (and the folder Windows keeps its shadow copies in)
printf 'mkdir|%s|2016-07-16T13:20:00Z\nmkdir|%s|2016-07-16T13:00:00Z\nfile|indexer.bin|%s/IndexerVolumeGuid|2016-07-16T13:00:00Z\nfile|attack.evtx|%s/Security.evtx|2016-07-16T13:20:00Z\n' \
  "$L" "$S" "$S" "$L" >"$W/m1.txt"
# the shadow copy's files (zeros: their clusters were free in OLD)
printf 'file|catalog.bin|%s|2017-05-10T09:50:00Z\nfile|store.bin|%s|2017-05-10T09:50:00Z\n' "$CAT" "$STORE" >"$W/m-store.txt"
# NEW: then the log cleared in place
{
  printf 'overwrite|cleared.evtx|%s/Security.evtx|2016-07-16T13:20:00Z,2017-05-10T10:00:00Z,2017-05-10T10:00:00Z,2017-05-10T10:00:00Z\n' "$L"
  cat "$W/m-store.txt"
} >"$W/m2.txt"
populate() { # VOLUME MANIFEST
  ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0 faketime -f '2017-05-10 10:00:00' "$TOOLDIR/ntfs_populate" "$1" "$2" ||
    fail "ntfs_populate $2"
}
truncate -s 8M "$W/old.raw"
faketime -f '2016-07-16 13:00:00' mkntfs -F -Q -T -q -L WS09 -s 512 -c 4096 -p 2048 -H 255 -S 63 "$W/old.raw" >/dev/null 2>&1 ||
  fail "mkntfs"
populate "$W/old.raw" "$W/m1.txt"
cp --sparse=always "$W/old.raw" "$W/cleared.raw"
populate "$W/cleared.raw" "$W/m2.txt"
cp --sparse=always "$W/old.raw" "$W/same.raw"
populate "$W/same.raw" "$W/m-store.txt"

# the store's files by MFT entry (libntfs-3g's own lookup misses one of them)
add_store() { # VOLUME
  local c s
  c=$(ifind -n "$CAT" "$1") && s=$(ifind -n "$STORE" "$1") || { fail "the store's files in $1"; return; }
  fixture_tool vss_writer "$W/old.raw" "$1" "$c" "$s" "$G" "$CREATED" WS02.corp.example 2>/dev/null || fail "vss_writer $1"
}
cp --sparse=always "$W/cleared.raw" "$W/before.raw"
add_store "$W/cleared.raw"
add_store "$W/same.raw"

# --- the writer: deterministic, and nothing written outside its places
cp --sparse=always "$W/before.raw" "$W/again.raw"
add_store "$W/again.raw"
cmp -s "$W/again.raw" "$W/cleared.raw" || fail "vss_writer is not deterministic"
clusters() { # VOLUME FILE: the file's clusters, one a line
  istat "$1" "$(ifind -n "$2" "$1")" | awk '/^Type: \$DATA/ {d = 1; next} d && /^[0-9 ]+$/ {for (i = 1; i <= NF; i++) print $i}'
}
{ clusters "$W/before.raw" "$CAT"; clusters "$W/before.raw" "$STORE"; } | sort -n >"$W/allowed"
[ "$(wc -l <"$W/allowed")" -eq 288 ] || fail "the store's files hold $(wc -l <"$W/allowed") clusters, not 288"
outside=$(cmp -l "$W/before.raw" "$W/cleared.raw" | awk -v allowed="$W/allowed" '
  BEGIN { while ((getline c < allowed) > 0) ok[c] = 1 }
  { o = $1 - 1; if (!(o >= 7680 && o < 8192) && !(int(o / 4096) in ok)) n++ }
  END { print n + 0 }')
assert_eq "$outside" "0" "vss_writer writes only the header at 0x1e00 and its files' clusters"

# --- the store as vshadowinfo and as toolmark's image layer read it
info=$(vshadowinfo "$W/cleared.raw")
assert_contains "$info" "Number of stores:	1" "vshadowinfo: one store"
assert_contains "$info" "Identifier		: $G" "vshadowinfo: the store's identifier"
assert_contains "$info" "Creation time		: May 10, 2017 09:50:00.000000000 UTC" "vshadowinfo: the creation time"
assert_contains "$info" "Volume size		: 8.0 MiB (8388608 bytes)" "vshadowinfo: the volume size"
ASAN_OPTIONS=detect_leaks=0 "$TESTBIN/vss_dump" --save 1 "$W/cleared.raw" "$W/view.raw" || fail "vss_dump --save"
cmp -s "$W/view.raw" "$W/old.raw" || fail "the store's view is not the old volume"
sec=$(ifind -n "$L/Security.evtx" "$W/view.raw")
cmp -s <(icat "$W/view.raw" "$sec") "$W/attack.evtx" || fail "the store's Security.evtx is not the attack log"
cmp -s <(icat "$W/cleared.raw" "$sec") "$W/cleared.evtx" || fail "the live Security.evtx is not the cleared log"
[ "$(grep -abo 'ElfChnk' "$W/cleared.raw" | wc -l)" -eq 2 ] || fail "ElfChnk: the live chunk and the store's copy, nothing else"

# --- the attack detected from the store's log, the clear live
tm scan -q -o "$T/c" "$W/cleared.raw"
assert_eq "$RC" 0 "scan of the cleared image"
tr="$T/c/cleared/traces.jsonl"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .origins[]' "$tr")" "$ORIGIN" "PsExec detected from the store"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .evidence[].path' "$tr" | sort -u)" \
  "\$Shadow1/$L/Security.evtx" "the store's log's path"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .evidence[].also_found_in' "$tr" | sort -u)" "null" "found only in the store"
assert_eq "$(jq -r '.origins[]' "$tr" | sort -u | tr '\n' ' ')" "live $ORIGIN " "no deleted-file or carved origin"
assert_eq "$(jq -r 'select(.activity == "event log cleared") | .origins[]' "$tr")" "live" "the clear itself is live"
assert_contains "$(cat "$T/c/cleared/traces.csv")" "(Security 4688) [$ORIGIN]" "traces.csv names the store"
assert_eq "$(jq -c '.coverage.recovered_logs[] | [.channel, .cleared_events, .recovered_first, .from, .verdict]' "$T/c/cleared/summary.json")" \
  '["Security",1,"2017-05-10T09:00:00.000000+00:00",["vss"],"cleared window recovered"]' \
  "the coverage verdict: the cleared window recovered from the store"
assert_eq "$(jq -c '.volumes[0].shadow_copies' "$T/c/cleared/summary.json")" \
  "[{\"id\":\"$G\",\"created\":\"2017-05-10T09:50:00.000000+00:00\",\"opened\":true}]" "summary.json lists the store"
tm artifacts --json "$W/cleared.raw"
assert_eq "$RC" 0 "artifacts of the cleared image"
assert_eq "$(printf '%s\n' "$OUT" | jq -c 'select(.type == "volume") | .shadow_copies')" \
  "[{\"id\":\"$G\",\"created\":\"2017-05-10T09:50:00.000000+00:00\",\"opened\":true}]" "the volume's store"
assert_eq "$(printf '%s\n' "$OUT" | jq -r "select(.origin == \"$ORIGIN\") | .path")" "\$Shadow1/$L/Security.evtx" \
  "the store's one artifact"

# --- E01 and raw give the same; --no-recover: no PsExec
faketime -f '2017-05-12 09:00:00' ewfacquire -u -q -f encase6 -c deflate:fast -C c -D d -e e -E e -N n \
  -t "$W/cleared" "$W/cleared.raw" >/dev/null 2>&1 || fail "ewfacquire"
tm scan -q -o "$T/e" "$W/cleared.E01"
assert_eq "$RC" 0 "scan of the E01"
strip() { jq -c 'del(.input, .input_id)' "$1"; }
[ "$(strip "$T/e/cleared/traces.jsonl")" == "$(strip "$tr")" ] || fail "E01 and raw give different traces"
tm scan -q --no-recover -o "$T/cn" "$W/cleared.raw"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .tool' "$T/cn/cleared/traces.jsonl")" "" "--no-recover: no PsExec"
assert_eq "$(jq -r '.origins[]' "$T/cn/cleared/traces.jsonl" | sort -u)" "live" "--no-recover: live only"

# --- a store holding the live log: nothing added, each record cited once, live
tm scan -q -o "$T/s" "$W/same.raw"
assert_eq "$RC" 0 "scan of the image whose store holds the live log"
st="$T/s/same/traces.jsonl"
assert_eq "$(jq -r 'select(.tool == "PsExec") | .origins[]' "$st")" "live" "PsExec cited as live"
assert_eq "$(jq -r '.evidence[].also_found_in' "$st" | sort -u)" "$ORIGIN" "every citation names the store"
tm scan -q --no-recover -o "$T/sn" "$W/same.raw"
[ "$(jq -c 'del(.evidence[].also_found_in)' "$st")" == "$(jq -c . "$T/sn/same/traces.jsonl")" ] ||
  fail "a store holding the live log adds or changes traces"
assert_eq "$(jq -c '.coverage.recovered_logs[] | [.from, .verdict]' "$T/s/same/summary.json")" \
  '[["vss"],"copies of the live window only"]' "the coverage verdict: copies only"

# --- more saved blocks than one block list block holds (508): a 10 MiB file rewritten
fixture_tool bytes 5 10485760 >"$W/r1.bin"
fixture_tool bytes 6 10485760 >"$W/r2.bin"
head -c 12582912 /dev/zero >"$W/big.bin"
printf 'mkdir|%s|-\nfile|indexer.bin|%s/IndexerVolumeGuid|-\nfile|r1.bin|data.bin|-\n' "$S" "$S" >"$W/b1.txt"
printf 'overwrite|r2.bin|data.bin|-\nfile|catalog.bin|%s|-\nfile|big.bin|%s|-\n' "$CAT" "$STORE" >"$W/b2.txt"
truncate -s 40M "$W/big-old.raw"
faketime -f '2016-07-16 13:00:00' mkntfs -F -Q -T -q -s 512 -c 4096 -p 2048 -H 255 -S 63 "$W/big-old.raw" >/dev/null 2>&1 ||
  fail "mkntfs"
populate "$W/big-old.raw" "$W/b1.txt"
cp --sparse=always "$W/big-old.raw" "$W/big.raw"
populate "$W/big.raw" "$W/b2.txt"
c=$(ifind -n "$CAT" "$W/big.raw") && s=$(ifind -n "$STORE" "$W/big.raw") || fail "the store's files in big.raw"
saved=$(fixture_tool vss_writer "$W/big-old.raw" "$W/big.raw" "$c" "$s" "$G" 130000000000000000 2>&1) || fail "vss_writer big.raw"
assert_contains "$saved" "645 blocks saved" "the rewritten file's blocks saved (two block list blocks)"
assert_contains "$(vshadowinfo "$W/big.raw")" "Creation time		: Dec 14, 2012 23:06:40.000000000 UTC" "a creation time given as FILETIME"
ASAN_OPTIONS=detect_leaks=0 "$TESTBIN/vss_dump" --save 1 "$W/big.raw" "$W/big-view.raw" || fail "vss_dump --save big.raw"
cmp -s "$W/big-view.raw" "$W/big-old.raw" || fail "the big store's view is not the old volume"

finish
