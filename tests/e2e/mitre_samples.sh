#!/usr/bin/env bash
# The plugins on real attack logs: ../shared/samples/evtx-mitre (CC0), one
# input per file. Prints, per tool id, the files it fires on, and checks
# that the files whose names state a tool get that tool.
. "$(dirname "$0")/lib.sh"
need jq
S="${SHARED:-}/samples/evtx-mitre"
[ -n "${SHARED:-}" ] && [ -d "$S" ] || skip "../shared/samples/evtx-mitre absent"

# One folder per file (a temporary copy: folder inputs never follow symlinks).
mkdir -p "$T/in"
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  d=$(printf '%s/in/f%03d' "$T" "$n")
  mkdir "$d"
  cp "$f" "$d/"
  printf 'f%03d\t%s\n' "$n" "$(basename "$f")" >>"$T/index"
done < <(find "$S" -name '*.evtx' -print0 | sort -z)
[ "$n" -gt 200 ] || fail "expected the 281 sample files, found $n"

tm scan -j 2 -o "$T/scan" "$T"/in/f*
# Healthy logs: everything is read, so no error and exit 0 (slack holds
# remains of old records that no decoder can read; those are counted in
# summary.json, not errors).
assert_eq "$RC" 0 "scan exit status on healthy logs"
assert_eq "$(cat "$T"/scan/f*/errors.jsonl | wc -l)" 0 "errors on healthy logs"
assert_eq "$(printf '%s' "$ERR" | grep -c 'could not')" 0 "warnings on healthy logs"
for d in "$T"/in/f*; do
  [ -f "$T/scan/$(basename "$d")/traces.jsonl" ] || fail "no traces.jsonl for $(basename "$d")"
done

# file<TAB>tool for every trace naming one; file<TAB>?tool for each
# candidate of a trace that does not (the activity is there, the records do
# not say which tool did it)
while IFS=$'\t' read -r id name; do
  jq -r --arg n "$name" 'if .tool then [$n, .tool]|@tsv else .candidates[]|[$n, "?"+.]|@tsv end' "$T/scan/$id/traces.jsonl"
done <"$T/index" | sort -u >"$T/fired"
# file<TAB>activity of every trace
while IFS=$'\t' read -r id name; do
  jq -r --arg n "$name" '[$n, .activity]|@tsv' "$T/scan/$id/traces.jsonl"
done <"$T/index" | sort -u >"$T/acts"
happens() { # FILE ACTIVITY: a trace of the file reports the activity
  grep -qxF "$1"$'\t'"$2" "$T/acts" || fail "$1: no '$2' activity, got: $(awk -F'\t' -v f="$1" '$1==f{print $2}' "$T/acts" | tr '\n' ';')"
}
echo "tool ids and the sample files they fire on:"
cut -f2 "$T/fired" | sort | uniq -c | sort -rn | while read -r count tool; do
  printf '  %-22s %3d file(s): %s\n' "$tool" "$count" \
    "$(awk -F'\t' -v t="$tool" '$2==t{print $1}' "$T/fired" | head -4 | tr '\n' ';' | cut -c1-150)"
done

fires() { # FILE TOOL...
  local file=$1
  shift
  local t
  for t in "$@"; do
    grep -qxF "$file"$'\t'"$t" "$T/fired" && return 0
  done
  fail "$file: expected ${*// / or }, got: $(awk -F'\t' -v f="$file" '$1==f{print $2}' "$T/fired" | tr '\n' ' ')"
}
fires "ID7045-7036 PSexec service installation.evtx" PsExec
fires "ID4688,4697,5140-5145 PSexec remote execution + admin share.evtx" PsExec
fires "ID11,13,17,18-PSexec as system execution.evtx" PsExec
# Impacket's atexec and wmiexec are no tools of the sheet: the task or WMI
# activity is found, its tool left as a candidate ("?tool").
fires "ID4688,4698,4699,5145,4624-ATexec remote trask creation (GLOBAL).evtx" "?schtasks" "?at"
fires "ID4698-4699-Fast created & deleted task by ATexec (susp. arg.).evtx" "?schtasks" "?at"
fires "ID4688-Interactive shell using AT schedule task.evtx" at
fires "ID4688-Scheduled task creation.evtx" schtasks
fires "ID4688,5140,5145-WMIexec execution via SMB (GLOBAL).evtx" "?wmic" "?net-use"
fires "ID4688-5145-WMIexec execution via SMB.evtx" "?wmic" "?net-use"
# a cleared log does not say how: wevtutil is a candidate
fires "ID104-1102-Event log cleared.evtx" "?wevtutil"
fires "ID4688-Clear event log attempt (native).evtx" wevtutil
assert_not_contains "$(grep -F "ID800-4103-4104-Clear event log attempt.evtx" "$T/fired")" $'\twevtutil' "Clear-EventLog is not wevtutil"
# the server's records show Remote Desktop, not which client connected
fires "ID1149-RDP success logins to multiple hosts.evtx" "?mstsc"
fires "ID4688,4778,4779 RDP hijack direct.evtx" "?mstsc"
nofire() { # FILE TOOL: the file's traces do not name TOOL
  grep -qxF "$1"$'\t'"$2" "$T/fired" && fail "$1: names $2"
  return 0
}
# commands inside service image paths (7045, 4697, Sysmon 13 with %%COMSPEC%%), a shell's
# command line seen as a parent (Sysmon 1), a task action in 4698, a WMI consumer (Sysmon 20)
fires "ID7045-4697-SMBexec service registration.evtx" echo
fires "ID7045-4697-SMBexec service registration.evtx" del
fires "ID11,13-SMBexec service registration.evtx" del
fires "ID4697-MSF payload deployed via service.evtx" powershell
fires "ID1-WMIexec process execution.evtx" del
fires "ID4698-4699-Fast created & deleted task by ATexec (susp. arg.).evtx" whoami
fires "ID19-20-WMI registration via PowerLurk.evtx" echo
# a script sent as character codes (CrackMapExec) is decoded
fires "ID1-CrackMapExec payload execution.evtx" PowerSploit_Invoke-Mimikatz
fires "ID1-CrackMapExec payload execution.evtx" Mimikatz_sekurlsa-logonpasswords
fires "ID400-800-CrackMapExec payload execution.evtx" PowerSploit_Invoke-Mimikatz
# echo in PowerShell is Write-Output, not cmd's echo
nofire "ID800-4103-Interactive PipeShell over named pipe (server and client).evtx" echo
# Start-BitsTransfer's default job name
fires "ID60-High volume file downloaded with BITS.evtx" BITS
# activities: SAM enumeration on the DC, network logons, account changes of
# computer accounts, a service whatever installed it
happens "ID4661-Local group enumeration with RID brutforce with CME.evtx" "account enumeration"
happens "ID4799-4624-Local admin group enumerated by SharpHound.evtx" "account enumeration"
happens "4624,4674,4688- CrackMap Exec SMB mimikatz.evtx" "remote logon"
happens "ID4742-SPN set on computer account (DCshadow).evtx" "account changed"
happens "ID 4765 - SID history added.evtx" "sid history added"
happens "ID7045-4697-SMBexec service registration.evtx" "service installed"
# Kerberos requests on the DC
happens "ID4769-Kerberoast ticket with low encryption.evtx" "kerberoasting"
happens "ID4768-Kerberos AS-REP Roasting.evtx" "as-rep roasting"
happens "ID4771-Kerberos brutforce with valid user.evtx" "kerberos password guessing"
# RPC over named pipes: the service manager, the task scheduler, SAMR
happens "ID5145-remote service creation over SMB.evtx" "remote service execution"
happens "ID5145-Remote schedule task creation (ATexec).evtx" "scheduled task created"
fires "ID5145-remote service creation over SMB.evtx" "?PsExec"
# Mimikatz's driver and WCE's service show the program, not the operation
fires "ID7045-New service for Mimikatz +npcap.evtx" "?WCE"
nofire "ID7045-New service for Mimikatz +npcap.evtx" RemoteLogin-WCE
nofire "ID4697-New service for Mimikatz.evtx" Mimikatz_sekurlsa-logonpasswords
fires "ID4624-Mimikatz Pass the hash.evtx" RemoteLogin-Mimikatz "?RemoteLogin-Mimikatz"
fires "ID3-59-60-BITS job created.evtx" BITS
fires "ID4688-BITS transfer initiated.evtx" BITS
fires "ID4688-4648 Lateral movement with net use.evtx" net-use
fires "ID4720-Local user created.evtx" "?net-user"
fires "ID4688-User creation via commandline.evtx" net-user
# mimikatz named, its module not: the modules are the candidates
fires "ID10-Mimikatz LSASS process dump.evtx" "?Mimikatz_sekurlsa-logonpasswords"
fires "ID4656-4663-4658 Mimikatz sekurlsa password dump.evtx" "?Mimikatz_sekurlsa-logonpasswords"
fires "ID4769-Golden ticket issued.evtx" "?Mimikatz_GoldenTicket"
fires "ID4688-IFM created.evtx" ntdsutil
fires "ID325-327-IFM created - ESENT.evtx" ntdsutil "?ntdsutil"

# One trace per run or burst, on the real recordings: Tchopper's 246
# service-manager calls (one session each) from one address, its 244
# services of one image pattern and the command in them, a wevtutil sweep
# of 91 logs
traces_of() { # FILE: the traces of one sample file
  local id
  id=$(awk -F'\t' -v n="$1" '$2==n{print $1}' "$T/index")
  [ -n "$id" ] || fail "no sample file $1"
  cat "$T/scan/$id/traces.jsonl"
}
bursts() { # FILE ACTIVITY: count and evidence_total of its traces of the activity
  traces_of "$1" | jq -r --arg a "$2" 'select(.activity==$a)|.evidence_total' | sort -n | tr '\n' ' '
}
assert_eq "$(bursts "ID5145-service massive remote creation via named pipe - Tchopper.evtx" "remote service execution")" \
  "246 " "Tchopper's svcctl calls: one trace"
assert_eq "$(bursts "ID7000,7009,7045-Payload deployed via service - Tchopper.evtx" "service installed")" \
  "244 " "Tchopper's services: one trace"
assert_eq "$(traces_of "ID7000,7009,7045-Payload deployed via service - Tchopper.evtx" | jq -r 'select(.tool=="powershell")|.evidence_total')" \
  "244" "the command in Tchopper's service images: one trace"
assert_eq "$(bursts "ID104-1102-Event log cleared.evtx" "event log cleared")" "91 " "a sweep of 91 cleared logs: one trace"
assert_eq "$(traces_of "ID104-1102-Event log cleared.evtx" | jq -r '.candidates|join(",")')" "wevtutil" \
  "the sweep's tool is not recorded"
# PsExec's pipes (Sysmon 17/18) name it on the host it ran on
assert_eq "$(traces_of "ID11,13,17,18-PSexec as system execution.evtx" | jq -r 'select(.tool=="PsExec" and .role=="destination")|[.evidence[]|select(.attributes and (.event_id==17 or .event_id==18))]|length')" \
  "8" "PSEXESVC's pipes cited as naming PsExec"
# RDP from the records around it: a scan (RdpCoreTS 131), a refused logon (4825)
assert_eq "$(traces_of "ID131-RDP brutforce (no user info).evtx" | jq -r '[.activity,.peer,.evidence_total,(.candidates|join(","))]|join("|")')" \
  "remote desktop connection|10.23.123.11|154|mstsc" "RdpCoreTS 131: connections, no logon"
assert_eq "$(traces_of "ID4825-Denied RDP connection with valid credentials.evtx" | jq -r '[.activity,.user,.peer,.evidence_total]|join("|")')" \
  'remote desktop logon failed|OFFSEC\svc6test1|10.23.23.9|2' "4825: Remote Desktop logon refused"
# WinRM with sparse logging: the service's access check on its listener;
# which client sent the requests is not recorded
assert_eq "$(traces_of "ID4656-WS Management listener enumeration.evtx" | jq -r '[.activity,.tool,(.candidates|join(",")),.evidence_total]|map(.//"null")|join("|")')" \
  "winrm access|null|WinRM,WinRS|27" "4656 on the WS-Management listener"
# netsh portproxy, abbreviated and not, and its reset: port relays, no sheet tool
assert_eq "$(traces_of "ID4688-netsh RDP port forwarding abuse.evtx" | jq -r 'select(.activity=="port relay")|[.tool,.outcome]|map(.//"null")|join("|")')" \
  "null|relays 0.0.0.0:8001 to 1.1.1.1:3389
null|relays 0.0.0.0:48333 to 127.0.0.1:80
null|all relays removed" "netsh portproxy relays"

# A trace's category is its tool's category in the sheet.
ev="${SHARED}/evidence/tools.json"
if [ -f "$ev" ]; then
  jq -r '.tools[]|[.id,.category]|@tsv' "$ev" | sort >"$T/cats"
  jq -r 'select(.tool)|[.tool,.category]|@tsv' "$T"/scan/f*/traces.jsonl | sort -u | join -t$'\t' - "$T/cats" |
    awk -F'\t' '$2!=$3{print $1": "$2" (sheet: "$3")"}' >"$T/badcat"
  [ -s "$T/badcat" ] && fail "trace categories differ from the sheet: $(cat "$T/badcat")"
fi

# A burst is one trace: at most 20 records cited, with their total
# (Tchopper's 256 services, thousands of share accesses).
big=$(jq -s '[.[]|select((.evidence|length)>20)]|length' "$T"/scan/f*/traces.jsonl)
assert_eq "$big" "0" "no trace cites more than 20 records"
most=$(jq -s 'map(.evidence_total)|max' "$T"/scan/f*/traces.jsonl)
[ "$most" -gt 20 ] || fail "no burst of more than 20 records found (largest evidence_total: $most)"

# SigmaHQ's Windows rules on the same files: hits (records matched) and
# traces per level, in all and for every file, and the plugins' traces
# exactly as without the rules.
SIG="${SHARED}/sigma/rules/windows"
if [ -d "$SIG" ]; then
  tm scan -j 2 -o "$T/sigma" --rules "$SIG" "$T"/in/f*
  assert_eq "$RC" 0 "scan with SigmaHQ's rules"
  # file<TAB>level<TAB>hits of each SigmaHQ rule trace (one jq for all files)
  jq -r 'select(.rule and .rule.author != "toolmark")|[input_filename, .rule.level, .evidence_total]|@tsv' \
    "$T"/sigma/f*/traces.jsonl |
    awk -F'\t' 'FNR == NR {name[$1] = $2; next} {n = split($1, p, "/"); print name[p[n - 1]] "\t" $2 "\t" $3}' \
      "$T/index" - >"$T/sigma_hits"
  # hits and traces per level, critical first: FILE<TAB>LEVEL<TAB>HITS lines
  # of the files named by the index (all: one line for them all)
  per_level() { # INDEX|all
    awk -F'\t' -v all="$1" '
      function line(f,   i, s, o) {
        for (i = 1; i <= 5; i++) if (t[f, L[i]]) { o = o (s++ ? ", " : "") L[i] " " h[f, L[i]] " hits / " t[f, L[i]] " traces" }
        return s ? o : "none"
      }
      BEGIN { split("critical high medium low informational", L, " ") }
      FNR == NR { if (all == "all") next; name[++n] = $2; next }
      { f = all == "all" ? "" : $1; h[f, $2] += $3; t[f, $2]++ }
      END { if (all == "all") print line(""); else for (i = 1; i <= n; i++) printf "  %s: %s\n", name[i], line(name[i]) }
    ' "$T/index" "$T/sigma_hits"
  }
  echo "SigmaHQ rules on the attack samples: $(per_level all)"
  echo "SigmaHQ rules per sample file:"
  per_level files
  # the per-level counts of summary.json agree with the traces
  want=$(awk -F'\t' '$2 == "high" {h += $3} END {print h + 0}' "$T/sigma_hits")
  own=$(jq -r 'select(.rule and .rule.author == "toolmark" and .rule.level == "high")|.evidence_total' \
    "$T"/sigma/f*/traces.jsonl | awk '{h += $1} END {print h + 0}')
  assert_eq "$(jq -s 'map(.rules.hits_by_level.high)|add' "$T"/sigma/f*/summary.json)" "$((want + own))" \
    "summary.json hits_by_level.high: the high rule traces' records"
  hits=$(jq -r 'select(.rule and .rule.author != "toolmark")' "$T"/sigma/f*/traces.jsonl | jq -s length)
  [ "$hits" -gt 100 ] || fail "SigmaHQ's rules: only $hits rule traces on the attack samples"
  for d in "$T"/scan/*/; do
    id=$(basename "$d")
    a=$(jq -c 'select(.rule == null or .rule.author == "toolmark")' "$d/traces.jsonl" | md5sum)
    b=$(jq -c 'select(.rule == null or .rule.author == "toolmark")' "$T/sigma/$id/traces.jsonl" | md5sum)
    [ "$a" = "$b" ] || fail "$id: the plugins' traces change when SigmaHQ's rules run"
  done
  # the most noisy rule stays one trace per burst
  big=$(jq -s '[.[]|select(.rule and (.evidence|length)>20)]|length' "$T"/sigma/f*/traces.jsonl)
  assert_eq "$big" "0" "no rule trace cites more than 20 records"
fi

# Every trace rests on evidence from its own file.
for d in "$T"/scan/*/; do
  bad=$(jq -c 'select((.evidence|length)==0)' "$d/traces.jsonl")
  [ -z "$bad" ] || fail "trace without evidence in $d: $bad"
done
finish
