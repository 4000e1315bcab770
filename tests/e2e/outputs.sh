#!/usr/bin/env bash
# The outputs of toolmark scan as the tools that read them expect them
# (Timesketch JSONL/CSV, plaso l2tcsv, TSK body file for mactime, a
# well-formed self-contained HTML report), hostile strings in all of them,
# --format, --all-events, -P, and the coverage verdict on hosts with and
# without Sysmon, with auditing on and off, and with a cleared log.
. "$(dirname "$0")/lib.sh"
need jq
need xmllint
need mactime
H="$FIXTURES/hosts"

tm scan -o "$T/o" "$H/src01.raw" "$H/dst01.raw" "$H/dst02.raw" "$H/cred01.raw" "$H/evil01.raw"
assert_eq "$RC" 0 "scan"

iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?[+-][0-9]{2}:[0-9]{2}$'
for h in src01 dst01 dst02 cred01 evil01; do
  d="$T/o/$h"
  # --- Timesketch JSONL: message, datetime (ISO 8601), timestamp_desc on every line
  bad=$(jq -c --arg re "$iso" 'select((.message|type)!="string" or (.message|length)==0 or
        ((.datetime|type)!="string") or (.datetime|test($re)|not) or (.timestamp_desc|type)!="string")' "$d/traces.jsonl")
  assert_eq "$bad" "" "$h: Timesketch JSONL mandatory fields"
  n=$(wc -l <"$d/traces.jsonl")
  # --- Timesketch CSV: header with the mandatory columns first; one record per trace, same field count
  assert_eq "$(head -1 "$d/traces.csv" | cut -d, -f1-4)" '"message","datetime","timestamp_desc","timestamp"' "$h: CSV header"
  counts=$(awk 'BEGIN { q = 0; f = 1 }
    { for (i = 1; i <= length($0); i++) { c = substr($0, i, 1); if (c == "\"") q = !q; else if (c == "," && !q) f++ }
      if (q) { next } # a quoted line break: the record goes on
      sub(/\r$/, ""); print f; f = 1 }' "$d/traces.csv" | sort -u)
  assert_eq "$counts" "27" "$h: every CSV record has 27 fields"
  assert_eq "$(awk 'BEGIN{q=0;n=0}{for(i=1;i<=length($0);i++) if(substr($0,i,1)=="\"") q=!q; if(!q) n++}END{print n}' "$d/traces.csv")" \
    "$((n + 1))" "$h: CSV records = traces + header"
  # --- l2tcsv: 17 columns on every line
  assert_eq "$(awk -F, '{print NF}' "$d/traces.l2tcsv" | sort -u)" "17" "$h: l2tcsv has 17 columns on every row"
  assert_eq "$(head -1 "$d/traces.l2tcsv")" \
    "date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,format,extra" "$h: l2tcsv header"
  assert_eq "$(($(wc -l <"$d/traces.l2tcsv") - 1))" "$n" "$h: l2tcsv rows"
  # --- body file: 11 fields, a line per trace (untimed ones with time 0),
  # and mactime gives one row per timed trace: no two lines merge
  assert_eq "$(awk -F'|' '{print NF}' "$d/traces.body" | sort -u)" "11" "$h: body file has 11 fields"
  assert_eq "$(wc -l <"$d/traces.body")" "$n" "$h: a body-file line per trace"
  timed=$(jq -r 'select(.timestamp != 0) | .timestamp' "$d/traces.jsonl" | wc -l)
  mactime -b "$d/traces.body" -d >"$T/mactime.$h" 2>"$T/mactime.err" || fail "$h: mactime rejected the body file: $(cat "$T/mactime.err")"
  assert_eq "$(grep -c '\[toolmark\] ' "$T/mactime.$h")" "$timed" "$h: mactime lists every timed trace, one row each"
  # the inode is the cited artifact's MFT entry, as istat takes it
  bad=$(awk -F'|' '$3 !~ /^[0-9]+-[0-9]+-[0-9]+$/' "$d/traces.body")
  assert_eq "$bad" "" "$h: body inode in entry-type-id form"
  # --- HTML: well-formed, self-contained
  if command -v xmllint >/dev/null; then
    xmllint --noout "$d/report.html" 2>"$T/xml.err" || fail "$h: report.html is not well-formed: $(head -3 "$T/xml.err")"
  fi
  ext=$(grep -oiE '(src|href)="[a-z]+:|url\(|@import|<script|<link|<iframe|<img' "$d/report.html" | grep -v '^href="#' || true)
  assert_eq "$ext" "" "$h: report.html references nothing outside itself"
  # --- summary.json and errors.jsonl
  jq -e '.coverage.sources and .coverage.tools and .coverage.event_logs and .traces.total >= 0' "$d/summary.json" >/dev/null ||
    fail "$h: summary.json lacks the coverage or counts"
  assert_eq "$(jq '.traces.total' "$d/summary.json")" "$n" "$h: summary counts the traces"
  [ ! -s "$d/errors.jsonl" ] || jq -e . "$d/errors.jsonl" >/dev/null || fail "$h: errors.jsonl is not JSON lines"
done

# --- hostile strings (evil01) ---
E="$T/o/evil01"
grep -q '<script>' "$E/report.html" && fail "a <script> from a command line reached the HTML unescaped"
assert_contains "$(cat "$E/report.html")" "echo &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" "HTML escaping of a command line"
assert_contains "$(cat "$E/report.html")" "CORP\\&lt;b&gt;eve&lt;/b&gt;" "HTML escaping of a user name"
assert_contains "$(cat "$E/traces.csv")" "\"'=cmd|' /C calc'!A0\"" "CSV formula neutralised"
assert_contains "$(cat "$E/traces.csv")" '""a,b""""c""' "CSV quoting of quotes and commas"
assert_contains "$(cat "$E/traces.l2tcsv")" ",'=cmd|' /C calc'!A0," "l2tcsv formula neutralised"
assert_contains "$(cat "$E/traces.l2tcsv")" '"a b""c"' "l2tcsv: commas in values become spaces"
assert_contains "$(cat "$E/traces.body")" 'ipconfig %01' "body file: control characters encoded as mactime decodes them"
assert_contains "$(mactime -b "$E/traces.body" -d)" 'ipconfig '$'\x01' "mactime decodes the body file's names"
grep -q $'\x01' "$E/traces.body" "$E/traces.csv" "$E/traces.l2tcsv" && fail "a raw control character reached a text output"
# invalid UTF-8 from the history file: replaced, never passed through
for f in traces.jsonl traces.csv traces.l2tcsv traces.body report.html; do
  iconv -f UTF-8 -t UTF-8 "$E/$f" >/dev/null 2>&1 || fail "$f is not valid UTF-8"
done
assert_contains "$(grep '"tool":"ipconfig"' "$E/traces.jsonl")" '\u0001'$'\xef\xbf\xbd''('$'\xef\xbf\xbd'' /all' \
  "JSON: control character escaped, invalid UTF-8 replaced"
assert_contains "$(cat "$E/traces.csv")" 'ipconfig \x01'$'\xef\xbf\xbd' "CSV: control character shown as \\x01"
grep -q '|' <(cut -d'|' -f2 "$E/traces.body") && fail "a '|' inside a body-file name"

# --- coverage verdicts ---
cov() { jq -r --arg s "$2" '.coverage.sources[$s]|"\(.available) \(.why)"' "$T/o/$1/summary.json"; }
assert_contains "$(cov src01 process)" "true 13 4688 records" "src01: process auditing seen"
assert_contains "$(cov src01 cmdline)" "true" "src01: command lines"
assert_contains "$(cov src01 sysmon)" "false Sysmon is not installed" "src01: no Sysmon"
assert_contains "$(cov cred01 sysmon)" "true Sysmon log" "cred01: Sysmon"
assert_contains "$(cov cred01 pslog)" "true 4 script blocks logged" "cred01: script block logging"
assert_contains "$(cov dst02 process)" "false not audited (Detailed Tracking/Process Creation: No Auditing)" \
  "dst02: process auditing off in the audit policy"
assert_contains "$(cov dst02 prefetch)" "true" "dst02: Prefetch"
assert_eq "$(jq -r '.coverage.tools[]|select(.tool=="wmic" and .role=="destination")|.detectable' "$T/o/dst02/summary.json")" \
  "false" "dst02: wmic on the destination is not detectable without auditing or Sysmon"
assert_contains "$(jq -r '.coverage.tools[]|select(.tool=="PsExec" and .role=="destination")|.detectable_from' "$T/o/dst02/summary.json")" \
  "System log, Prefetch, USN journal" "dst02: PsExec on the destination from default artifacts"
assert_eq "$(jq -r '.coverage.event_logs[]|select(.channel=="Security")|.cleared_events' "$T/o/dst01/summary.json")" "1" \
  "dst01: the cleared Security log is counted"
assert_eq "$(jq -r '.coverage.event_logs[]|select(.channel=="Security")|.records' "$T/o/src01/summary.json")" "26" \
  "src01: Security log records counted, wanted or not"
assert_contains "$(cat "$T/o/dst02/report.html")" "not audited (Detailed Tracking/Process Creation: No Auditing)" \
  "the verdict is in the report"

# --- --format, --all-events, -P ---
tm scan --format csv,summary -o "$T/f" "$H/dst02.raw"
assert_eq "$RC" 0 "scan --format"
assert_eq "$(ls "$T/f/dst02" | tr '\n' ' ')" "summary.json traces.csv " "--format writes only what it names"
tm scan --format jsonl -o "$T/fj" "$H/dst02.raw"
assert_eq "$RC" 0 "scan --format jsonl: the case made from it too"
assert_eq "$(ls "$T/fj/dst02" | tr '\n' ' ')" "summary.json traces.jsonl " "summary.json is always written"
tm scan --format csv,bogus -o "$T/g" "$H/dst02.raw"
assert_eq "$RC" 2 "--format with an unknown name"
tm scan --all-events --format summary -o "$T/ae" "$H/dst02.raw"
assert_eq "$RC" 0 "scan --all-events"
tm dump "$H/dst02.raw"
assert_eq "$(wc -l <"$T/ae/dst02/events.jsonl")" "$(printf '%s\n' "$OUT" | wc -l)" "--all-events writes every record dump prints"
bad=$(jq -c --arg re "$iso" 'select((.message|type)!="string" or (.datetime|test($re)|not) or (.timestamp_desc|type)!="string")' "$T/ae/dst02/events.jsonl" | head -3)
assert_eq "$bad" "" "events.jsonl rows are Timesketch rows too"
tm scan -P 3 -o "$T/p" "$H/src01.raw" "$H/dst01.raw" "$H/dst02.raw" "$H/cred01.raw" "$H/evil01.raw"
assert_eq "$RC" 0 "scan -P 3"
for h in src01 dst01 dst02 cred01 evil01; do
  cmp -s "$T/o/$h/traces.jsonl" "$T/p/$h/traces.jsonl" || fail "$h: -P 3 changed the traces"
  cmp -s "$T/o/$h/traces.csv" "$T/p/$h/traces.csv" || fail "$h: -P 3 changed the CSV"
done
# --- an E01's stored acquisition hash in summary.json: the MD5 of the raw volume it holds ---
tm scan --format summary -o "$T/h" "$FIXTURES/demo/dc01-domain-controller.E01"
assert_eq "$RC" 0 "scan of an E01"
assert_eq "$(jq -r '.input.stored_hashes.md5' "$T/h/dc01-domain-controller/summary.json")" \
  "$(md5sum <"$H/dc01.raw" | cut -d' ' -f1)" "the E01's stored MD5 is the image's"
assert_eq "$(jq -r '.input.stored_hashes' "$T/o/dst02/summary.json")" "null" "a raw image has no stored hash"

# --- errors: an unreadable volume is an error of the input, and the rest goes on ---
tm scan -o "$T/b" "$FIXTURES/bad/zeroed-boot.raw" "$H/dst02.raw"
assert_eq "$RC" 1 "scan with a damaged input"
assert_contains "$(cat "$T/b/zeroed-boot/errors.jsonl")" '"scope":"volume"' "the unreadable volume in errors.jsonl"
[ -s "$T/b/dst02/traces.jsonl" ] || fail "the other input was not scanned"

# --- the run record, a time window and a display zone ---
S="$T/o/src01/summary.json"
assert_eq "$(jq -r '.run.command_line' "$S")" "toolmark scan -o $T/o $H/src01.raw $H/dst01.raw $H/dst02.raw $H/cred01.raw $H/evil01.raw" "run: the command line"
for lib in libtsk libewf libevtx libregf libscca libbfio libxml2 libyaml pcre2 openssl; do
  [ "$(jq -r --arg l "$lib" '.run.libraries[$l] // empty' "$S")" != "" ] || fail "run: no version of $lib"
done
jq -e '.run.started <= .run.input_started and .run.input_started <= .run.input_ended and .run.time_zone == "UTC"
       and .run.from == null and .run.traces_outside_window == 0' "$S" >/dev/null || fail "run: times and defaults: $(jq -c .run "$S")"
all=$(wc -l <"$T/o/src01/traces.jsonl")
first=$(jq -r '.timestamp' "$T/o/src01/traces.jsonl" | sort -n | head -1)
tm scan --tz Asia/Tokyo --from 2017-05-10T18:10:30 --to 2017-05-10 -o "$T/w" "$H/src01.raw"
assert_eq "$RC" 0 "scan with a window and a zone"
W="$T/w/src01"
kept=$(wc -l <"$W/traces.jsonl")
out=$(jq -r '.run.traces_outside_window' "$W/summary.json")
[ "$kept" -lt "$all" ] || fail "--from left nothing out ($kept of $all)"
assert_eq "$((kept + out))" "$all" "traces kept + outside the window = all"
assert_eq "$(jq -r '.run.from, .run.to, .run.time_zone' "$W/summary.json" | tr '\n' ' ')" \
  "2017-05-10T09:10:30.000000+00:00 2017-05-10T14:59:59.999999+00:00 Asia/Tokyo " "the window in UTC, read in the zone"
bad=$(jq -r 'select(.timestamp != 0 and (.timestamp < 1494407430000000 or .timestamp > 1494428399999999)) | .datetime' "$W/traces.jsonl")
assert_eq "$bad" "" "no trace outside the window"
assert_contains "$(sed -n 2p "$W/traces.l2tcsv")" ",Asia/Tokyo,....," "l2tcsv names the zone"
assert_contains "$(sed -n 2p "$W/traces.l2tcsv")" "05/10/2017,18:" "l2tcsv shows the zone's time"
assert_contains "$(jq -r '.datetime' "$W/traces.jsonl" | head -1)" "+00:00" "JSON stays UTC"
tm scan --tz Mars/Olympus -o "$T/x" "$H/src01.raw"
assert_eq "$RC" 2 "an unknown zone is a usage error"
tm scan --from 2017-05-11 --to 2017-05-10 -o "$T/x" "$H/src01.raw"
assert_eq "$RC" 2 "--to before --from"
finish
