#!/usr/bin/env bash
# Sigma rules in scan: --rules files and folders, toolmark's own rules/
# always loaded, a hit as a trace with its rule in every output, grouping
# of a burst into one trace, hits and traces per level, --min-level and the
# rules it leaves active, a broken rule named by file and line (exit 1, the
# other rules still run), toolmark rules check on the repository's own
# rules, and a process_creation rule on Sysmon 1 and Security 4688 records
# (process_creation/: the rule and the fixture writer's specs).
. "$(dirname "$0")/lib.sh"
need jq
H="$FIXTURES/hosts"
R="$T/rules"
mkdir -p "$R/sub"

cat >"$R/psexesvc.yml" <<'EOF'
title: PsExec service installed (test)
id: 7c1e9a40-0000-4000-8000-000000000001
status: experimental
author: Test Author
tags: [attack.execution, attack.t1569.002]
logsource: {product: windows, service: system}
detection:
    selection: {EventID: 7045, ServiceName: PSEXESVC}
    condition: selection
level: high
EOF
cat >"$R/sub/share_access.yml" <<'EOF'
title: Share access from the lab network (test)
id: 7c1e9a40-0000-4000-8000-000000000002
author: Test Author
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 5145
        IpAddress|cidr: 10.0.0.0/8
    condition: selection
level: low
EOF
cat >"$R/sub/rdp_keyword.yml" <<'EOF'
title: RDP from 10.0.0.21 (test)
id: 7c1e9a40-0000-4000-8000-000000000003
author: Test Author
logsource: {product: windows, service: terminalservices-localsessionmanager}
detection:
    keywords: ['10.0.0.21']
    condition: keywords
level: medium
EOF

# --- toolmark's own rules all load (none skipped, no error)
tm rules check "$SRCDIR/rules"
assert_eq "$RC" 0 "rules check rules/"
own=$(printf '%s\n' "$OUT" | sed -n 's/^\([0-9][0-9]*\) rules\{0,1\} loaded.*/\1/p' | head -1)
[ -n "$own" ] && [ "$own" -ge 1 ] || fail "rules check rules/: no count in '$OUT'"
assert_contains "$OUT" "0 skipped" "rules check rules/: none skipped"

# --- a scan with the test rules (a file and a folder)
tm scan -o "$T/o" --rules "$R/psexesvc.yml" --rules "$R/sub" "$H/dst01.raw"
assert_eq "$RC" 0 "scan --rules"
assert_contains "$ERR" "loaded" "scan --rules says how many rules loaded"
d="$T/o/dst01"
hit=$(jq -c 'select(.rule.id == "7c1e9a40-0000-4000-8000-000000000001")' "$d/traces.jsonl")
assert_eq "$(printf '%s\n' "$hit" | grep -c .)" 1 "the 7045 rule: one trace"
assert_eq "$(jq -r '.activity' <<<"$hit")" "PsExec service installed (test)" "activity = the rule's title"
assert_eq "$(jq -r '.tool' <<<"$hit")" "null" "a SigmaHQ-style rule names no tool"
assert_eq "$(jq -r '.confidence' <<<"$hit")" "indicator" "a rule hit is an indicator"
assert_eq "$(jq -r '.rule.level + "|" + .rule.author + "|" + (.rule.tags|join(","))' <<<"$hit")" \
  "high|Test Author|attack.execution,attack.t1569.002" "the rule object: level, authors, tags"
assert_eq "$(jq -r '.evidence[0].channel + " " + (.evidence[0].event_id|tostring)' <<<"$hit")" "System 7045" \
  "the hit cites its record"
assert_contains "$(jq -r '.evidence[0].summary' <<<"$hit")" "ServiceName=PSEXESVC" "the citation summarises the record"
# the 5145 records of one burst: one trace citing them all
share=$(jq -c 'select(.rule.id == "7c1e9a40-0000-4000-8000-000000000002")' "$d/traces.jsonl")
n5145=$("$TOOLMARK" dump --kind evtx "$H/dst01.raw" 2>/dev/null | jq -c 'select(.event_id == 5145)' | grep -c .)
assert_eq "$(jq -s 'map(.evidence_total) | add' <<<"$share")" "$n5145" "every 5145 record cited by the share rule"
[ "$(printf '%s\n' "$share" | grep -c .)" -lt "$n5145" ] || fail "the 5145 burst is grouped into fewer traces than records"
# keyword search over the event's values
assert_eq "$(jq -c 'select(.rule.id == "7c1e9a40-0000-4000-8000-000000000003")' "$d/traces.jsonl" | grep -c .)" 1 \
  "keyword rule: one trace"
# summary.json: loaded, per rule, per level
assert_eq "$(jq -r '.rules.loaded' "$d/summary.json")" "$((own + 3))" "summary: rules loaded (own + 3)"
assert_eq "$(jq -r '.rules.active' "$d/summary.json")" "$((own + 3))" "summary: every rule active without --min-level"
assert_eq "$(jq -r '.rules.traces_by_level.high' "$d/summary.json")" 1 "summary: traces by level"
# hits: the records matched (the 7045 rule one, the share rule every 5145)
assert_eq "$(jq -r '.rules.hits_by_level.low' "$d/summary.json")" \
  "$(jq -s 'map(select(.rule.level == "low") | .evidence_total) | add' "$d/traces.jsonl")" "summary: hits by level (low)"
assert_eq "$(jq -r '.rules.hits_by_level.low >= '"$n5145" "$d/summary.json")" true "summary: the share rule's hits counted"
[ "$(jq -r '.rules.traces_by_level.low' "$d/summary.json")" -lt "$n5145" ] || fail "summary: traces per level are not hits"
assert_eq "$(jq -r '.rules.hits | map(select(.id == "7c1e9a40-0000-4000-8000-000000000002")) | .[0].records' "$d/summary.json")" \
  "$n5145" "summary: records per rule"
assert_eq "$(jq -r '.rules.paths[0]' "$d/summary.json")" "$SRCDIR/rules" "summary: toolmark's rules first"
# the other outputs carry the rule
assert_contains "$(grep 'PsExec service installed (test)' "$d/traces.csv")" '"7c1e9a40-0000-4000-8000-000000000001","PsExec service installed (test)","high"' "CSV rule columns"
assert_contains "$(cat "$d/traces.l2tcsv")" "sigma_rule: PsExec service installed (test); rule_id: 7c1e9a40-0000-4000-8000-000000000001; rule_level: high" "l2tcsv extra"
assert_contains "$(cat "$d/report.html")" "<h2>Sigma detections</h2>" "report: Sigma section"
assert_contains "$(cat "$d/report.html")" "<h3>high</h3>" "report: grouped by level"
# the plugins' traces are untouched by the rules
assert_eq "$(jq -r 'select(.tool == "PsExec") | .tool' "$d/traces.jsonl" | head -1)" "PsExec" "PsExec still found by its plugin"

# --- --min-level high: only the high rule runs
tm scan -o "$T/o2" --min-level high --rules "$R" "$H/dst01.raw"
assert_eq "$RC" 0 "scan --min-level high"
assert_eq "$(jq -r 'select(.rule != null) | .rule.level' "$T/o2/dst01/traces.jsonl" | sort -u | tr '\n' ' ')" "high " \
  "--min-level high: only high rules"
assert_eq "$(jq -r '.rules.min_level' "$T/o2/dst01/summary.json")" high "summary: min_level"
# the rules at level high or above: toolmark's own and the test's 7045 rule
high=$(find "$SRCDIR/rules" -name '*.yml' -exec cat {} + | grep -cE '^level: *(high|critical)')
assert_eq "$(jq -r '.rules.active' "$T/o2/dst01/summary.json")" "$((high + 1))" "summary: rules active at --min-level high"
assert_eq "$(jq -r '.rules.loaded' "$T/o2/dst01/summary.json")" "$((own + 3))" "summary: every rule still loaded"
assert_contains "$ERR" "($((high + 1)) at level high or above)" "scan says how many rules --min-level leaves active"
tm scan -o "$T/o3" --min-level severe "$H/dst01.raw"
assert_eq "$RC" 2 "unknown level: usage error"
assert_contains "$ERR" "unknown level 'severe'" "unknown level: says so"

# --- a broken rule: named by file and line, the others still run, exit 1
printf 'title: broken\nlogsource: {product: windows\ndetection: [\n' >"$R/sub/broken.yml"
tm scan -o "$T/o4" --rules "$R" "$H/dst01.raw"
assert_eq "$RC" 1 "a broken rule: exit 1"
assert_contains "$ERR" "broken.yml:" "the broken rule named by file"
assert_eq "$(jq -c 'select(.rule.id == "7c1e9a40-0000-4000-8000-000000000001")' "$T/o4/dst01/traces.jsonl" | grep -c .)" 1 \
  "the other rules still ran"
assert_eq "$(jq -r '.rules.errors' "$T/o4/dst01/summary.json")" 1 "summary: rule errors"

# --- a process_creation rule (Sysmon's field names) on Sysmon 1 and on
# Security 4688 records (4688's names mapped), written by the fixture
# writer into a collected folder: one matching record of each, the others
# miss one test each
P="$SRCDIR/tests/e2e/process_creation"
L="$T/ws05/C/Windows/System32/winevt/Logs"
mkdir -p "$L"
"$TOOLDIR/evtx_writer" "$P/Sysmon.spec" "$L/Microsoft-Windows-Sysmon%4Operational.evtx" || fail "evtx_writer Sysmon.spec"
"$TOOLDIR/evtx_writer" "$P/Security.spec" "$L/Security.evtx" || fail "evtx_writer Security.spec"
tm scan -o "$T/o6" --rules "$P/rule.yml" "$T/ws05"
assert_eq "$RC" 0 "scan of the process_creation records"
pc=$(jq -c 'select(.rule.id == "7c1e9a40-0000-4000-8000-000000000004")' "$T/o6/ws05/traces.jsonl")
assert_eq "$(jq -r '.evidence[] | "\(.channel) \(.event_id) \(.record)"' <<<"$pc" | sort | tr '\n' ';')" \
  "Microsoft-Windows-Sysmon/Operational 1 101;Security 4688 201;" "process_creation: the Sysmon 1 and the 4688 record that match, only"
assert_eq "$(jq -r 'select(.evidence[0].event_id == 4688) | .user + "|" + .command_line' <<<"$pc")" "bob|whoami /priv" \
  "the 4688 hit's user (SubjectUserName) and command line"
assert_contains "$(jq -r 'select(.evidence[0].event_id == 4688) | .evidence[0].summary' <<<"$pc")" \
  'NewProcessName=C:\Windows\System32\whoami.exe' "the 4688 citation names the record's own fields"
assert_eq "$(jq -r 'select(.evidence[0].event_id == 1) | .user' <<<"$pc")" 'CORP\alice' "the Sysmon 1 hit's user"

# --- a --rules path that does not exist: exit 1, said once
tm scan -o "$T/o5" --rules "$T/nonexistent" "$H/dst01.raw"
assert_eq "$RC" 1 "missing rules path: exit 1"
assert_contains "$ERR" "cannot read rules $T/nonexistent" "missing rules path: said"
finish
