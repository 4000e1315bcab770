#!/usr/bin/env bash
# A case of many images: the source (WS02), the destination (SRV01), the DC,
# an unrelated host (SRV02), a truncated E01 and a random file, scanned into
# one case folder. Checks: every good image complete, the bad ones reported,
# exit 1; the merged timeline sorted and complete; the links WS02 -> SRV01
# with their clock offsets, and open ends when WS02 is left out; a manifest
# with labels; a case folder with results refused without --resume or
# --force; --resume after kill -9 mid-run redoes only what was unfinished
# and matches an uninterrupted run byte for byte; -j 1 and -j 4 give the
# same outputs, and no more parser jobs run at once than -j allows; toolmark
# merge rebuilds case/ identically; a task per input (--only) then merge
# gives the same folders as one run.
. "$(dirname "$0")/lib.sh"
need jq
H="$FIXTURES/hosts"
good=("$H/src01.raw" "$H/dst01.raw" "$H/dc01.raw" "$H/dst02.raw")
bad=("$FIXTURES/bad/truncated.E01" "$FIXTURES/bad/random.bin")

# --- the case ---
tm scan -j 2 -o "$T/c" "${good[@]}" "${bad[@]}"
assert_eq "$RC" 1 "a case with bad images: exit 1"
for id in src01 dst01 dc01 dst02; do
  [ -s "$T/c/$id/summary.json" ] || fail "$id: no complete outputs"
done
assert_eq "$(cut -f1,2 "$T/c/inputs.tsv" | grep -v '^#' | tr '\t\n' ': ')" \
  "src01:done dst01:done dc01:done dst02:done truncated:not read random.bin:not read " "how each input ended"
assert_contains "$ERR" "random.bin: no partition table or file system found" "the random file is said"
assert_contains "$OUT" "truncated.E01: not read; no outputs written" "the truncated E01 said"
C="$T/c/case"
for f in traces.jsonl traces.csv traces.l2tcsv traces.body summary.json report.html lateral-movement.csv hosts.dot; do
  [ -s "$C/$f" ] || fail "case/$f missing"
done
# the merged timeline: every trace of every input, in time order (untimed last)
all=0
for id in src01 dst01 dc01 dst02; do all=$((all + $(wc -l <"$T/c/$id/traces.jsonl"))); done
assert_eq "$(wc -l <"$C/traces.jsonl")" "$all" "merged traces.jsonl: every trace"
assert_eq "$(($(wc -l <"$C/traces.csv") - 1))" "$all" "merged traces.csv: every trace"
assert_eq "$(($(wc -l <"$C/traces.l2tcsv") - 1))" "$all" "merged traces.l2tcsv: every trace"
assert_eq "$(wc -l <"$C/traces.body")" "$all" "merged traces.body: every trace"
ts=$(jq -r 'if (.timestamp == 0 and (.timestamp_desc | startswith("Time unknown"))) then 9e18 else .timestamp end' "$C/traces.jsonl")
assert_eq "$ts" "$(printf '%s\n' "$ts" | sort -g)" "merged traces.jsonl in time order"
# line k of each merged file is the same trace (the body file's time, the l2tcsv host)
assert_eq "$(jq -r '(.timestamp / 1000000 | floor)' "$C/traces.jsonl" | md5sum)" \
  "$(awk -F'|' '{print $8}' "$C/traces.body" | md5sum)" "jsonl and body rows line up"
assert_eq "$(jq -r '.host // "-"' "$C/traces.jsonl" | md5sum)" \
  "$(tail -n +2 "$C/traces.l2tcsv" | cut -d, -f9 | md5sum)" "jsonl and l2tcsv rows line up"
# the hosts and who they are
assert_eq "$(jq -r '.inputs[] | select(.id == "src01") | "\(.computer) \(.domain) \(.addresses | join(","))"' "$C/summary.json")" \
  "WS02 corp.example 10.0.0.21" "WS02's identity from its SYSTEM hive"
# the links: WS02 -> SRV01, with the evidence on both ends and the clock offsets seen
link() { jq -r --arg t "$1" '.links[] | select(.tool == $t or .activity == $t) | "\(.from)>\(.to) \(.seen) \(.clock_offset_s)"' "$C/summary.json" | head -1; }
assert_eq "$(link PsExec)" "WS02>SRV01 both ends 1.5" "PsExec linked, offset 1.5 s"
assert_eq "$(link wmic)" "WS02>SRV01 both ends 1.5" "wmic linked"
assert_eq "$(link net-use)" "WS02>SRV01 both ends 0" "net use linked to the share access"
assert_eq "$(link mstsc)" "WS02>SRV01 both ends 4" "RDP linked to the RDP logon"
assert_eq "$(link wevtutil)" "WS02>SRV01 both ends 1" "wevtutil linked to the cleared log"
assert_eq "$(link 'new-credentials logon')" "WS02>SRV01 both ends 6" "the new-credentials logon linked to the logon it made"
assert_eq "$(jq -r '[.links[] | select(.from != "WS02" or .to != "SRV01")] | length' "$C/summary.json")" 0 "no other host pair"
assert_eq "$(jq -r '.open_ends | length' "$C/summary.json")" 0 "no open end when every host is in the case"
assert_eq "$(jq -r '.host_graph[0] | "\(.from)>\(.to)"' "$C/summary.json")" "WS02>SRV01" "the host graph"
assert_contains "$(cat "$C/hosts.dot")" '"WS02" -> "SRV01" [label="PsExec, wmic' "hosts.dot"
assert_contains "$(sed -n 2p "$C/lateral-movement.csv")" '"WS02","SRV01","PsExec","remote service execution","CORP\mallory","evtx:vol/Windows/System32/winevt/Logs/Security.evtx#2001","evtx:vol/Windows/System32/winevt/Logs/Security.evtx#7001",1.500,"both ends"' "lateral-movement.csv row"
if command -v xmllint >/dev/null; then
  xmllint --noout "$C/report.html" 2>"$T/xml.err" || fail "case report.html is not well-formed: $(head -3 "$T/xml.err")"
fi
assert_contains "$(cat "$C/report.html")" "<svg" "the host graph drawn in the report"

# --- an open end: the source left out, SRV01 was reached from a host not in the case ---
tm scan -q -o "$T/open" "$H/dst01.raw" "$H/dc01.raw"
assert_eq "$RC" 0 "scan without the source"
assert_eq "$(jq -r '.open_ends[] | select(.peer == "10.0.0.21") | "\(.host) \(.direction)"' "$T/open/case/summary.json" | head -1)" \
  "SRV01 incoming" "open end: the address SRV01 was reached from"
assert_eq "$(jq -r '.open_ends[] | select(.peer == "10.0.0.21") | .peer_name_in_logons' "$T/open/case/summary.json")" \
  "WS02" "the open end named as SRV01's logons saw it"
assert_contains "$(cat "$T/open/case/report.html")" "not in the case: acquire?" "the report says which host to acquire next"
assert_contains "$(cat "$T/open/case/report.html")" "10.0.0.21 (WS02 in logons)" "the report names the host to acquire"
# a workstation without an address in its image is known by the address other hosts' logons saw it with
assert_eq "$(jq -r '[.identity.seen_in_logons[] | select(.name == "WS02") | .address] | join(",")' "$T/open/dst01/summary.json")" \
  "10.0.0.21" "SRV01's logons saw WS02 at 10.0.0.21"

# --- a manifest, labels, comments; a case folder with results is refused ---
printf '# the case\n%s\tws02-source\n\n%s\n' "$H/src01.raw" "$H/dst01.raw" >"$T/manifest"
tm scan -q -o "$T/m" --manifest "$T/manifest"
assert_eq "$RC" 0 "scan --manifest"
[ -s "$T/m/ws02-source/summary.json" ] && [ -s "$T/m/dst01/summary.json" ] || fail "a label names the input's folder"
tm scan -q -o "$T/m" --manifest "$T/manifest"
assert_eq "$RC" 2 "a case folder with results is refused"
assert_contains "$ERR" "--resume to finish it, --force to scan again" "and says what to do"
tm scan -q --force -o "$T/m" --manifest "$T/manifest"
assert_eq "$RC" 0 "--force scans again"
printf '%s\n' "$T/nosuch" >"$T/bad-manifest"
printf 'x\n' >"$T/empty-manifest"
: >"$T/empty-manifest"
tm scan -q -o "$T/m2" --manifest "$T/empty-manifest"
assert_eq "$RC" 2 "an empty manifest is a usage error"

# --- -j 1 and -j 4: the same outputs; the worker budget holds across inputs ---
TOOLMARK_JOBLOG="$T/jobs1" "$TOOLMARK" scan -q -j 1 -o "$T/j1" "${good[@]}" >/dev/null 2>&1
TOOLMARK_JOBLOG="$T/jobs4" "$TOOLMARK" scan -q -j 4 -o "$T/j4" "${good[@]}" >/dev/null 2>&1
same_outputs "$T/j1" "$T/j4" "-j 1 against -j 4"
most() { awk '{ if ($1 == "+") c++; else c--; if (c > m) m = c } END { print m + 0 }' "$1"; }
assert_eq "$(most "$T/jobs1")" 1 "-j 1: one parser job at a time across four inputs"
[ "$(most "$T/jobs4")" -le 4 ] || fail "-j 4: $(most "$T/jobs4") parser jobs at once"
[ "$(most "$T/jobs4")" -ge 2 ] || fail "-j 4 never ran two parser jobs at once"

# --- toolmark merge rebuilds case/ as the scan made it ---
cp -r "$T/j1" "$T/j1m"
rm -rf "$T/j1m/case"
tm merge "$T/j1m"
assert_eq "$RC" 0 "toolmark merge"
same_outputs "$T/j1/case" "$T/j1m/case" "merge against the scan's case/"

# --- one input at a time (a cluster's job array), then toolmark merge: the same case ---
printf '%s\n%s\n%s\n%s\n' "${good[@]}" >"$T/all.manifest"
for i in 1 2 3 4; do
  tm scan -q -j 1 -o "$T/tasks" --manifest "$T/all.manifest" --only "$i"
  assert_eq "$RC" 0 "task $i"
done
[ ! -e "$T/tasks/case" ] || fail "a task of --only made case/"
tm scan -q -j 1 -o "$T/tasks" --manifest "$T/all.manifest" --only 2
assert_eq "$RC" 2 "a task refuses a folder with its results"
tm merge --manifest "$T/all.manifest" "$T/tasks"
assert_eq "$RC" 0 "merge --manifest"
same_outputs "$T/j1" "$T/tasks" "tasks merged against one run"

# --- kill -9 mid-run, then --resume ---
# A stand-in parser blocks once the first input is complete (its summary.json
# is there) and says so through a FIFO: the run is then midway, for sure.
mkfifo "$T/ready" "$T/hold"
cat >"$T/gate-parse" <<EOF
#!/bin/sh
if [ -e "$T/k/src01/summary.json" ] && mkdir "$T/gate-once" 2>/dev/null; then
  echo midway >"$T/ready"
  read x <"$T/hold"
fi
exec "$TOOLMARK_PARSE" "\$@"
EOF
chmod +x "$T/gate-parse"
TOOLMARK_PARSE="$T/gate-parse" "$TOOLMARK" scan -q -j 1 -P 1 -o "$T/k" "${good[@]}" >/dev/null 2>&1 &
pid=$!
read -r word <"$T/ready"
assert_eq "$word" midway "the run reached the second input"
kill -9 "$pid"
wait "$pid" 2>/dev/null
# every process of the run is gone: they die with their parent (a bounded wait, no sleep)
for _ in $(seq 1 2000); do pgrep -f "$T/gate-parse|$T/k " >/dev/null || break; done
pgrep -f "$T/gate-parse|$T/k " >/dev/null && fail "processes of the killed run are left: $(pgrep -af "$T/gate-parse|$T/k " | head -3)"
[ -s "$T/k/src01/summary.json" ] || fail "the first input was complete before the kill"
[ ! -e "$T/k/dst01/summary.json" ] || fail "the second input looks complete though it was killed"
[ ! -e "$T/k/case/summary.json" ] || fail "a case summary though the run was killed"
before=$(stat -c %Y "$T/k/src01/traces.jsonl")
tm scan -j 1 -o "$T/k" --resume "${good[@]}"
assert_eq "$RC" 0 "--resume"
assert_contains "$OUT" "src01.raw: done in an earlier run, kept" "the finished input is kept"
assert_eq "$(printf '%s\n' "$OUT" | grep -c 'done in an earlier run')" 1 "only it"
assert_eq "$(stat -c %Y "$T/k/src01/traces.jsonl")" "$before" "the kept input's files are untouched"
same_outputs "$T/j1" "$T/k" "--resume after kill -9 against an uninterrupted run"
# an input changed since is scanned again, the others kept
cp "$H/dc01.raw" "$T/dc01.raw"
tm scan -q -o "$T/r" "$H/src01.raw" "$T/dc01.raw"
touch -d '2020-01-01' "$T/dc01.raw"
tm scan -o "$T/r" --resume "$H/src01.raw" "$T/dc01.raw"
assert_contains "$OUT" "src01.raw: done in an earlier run, kept" "the unchanged input kept"
assert_not_contains "$OUT" "dc01.raw: done in an earlier run" "the modified input scanned again"
finish
