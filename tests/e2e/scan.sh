#!/usr/bin/env bash
# toolmark scan on the host scenarios (fixtures/scenarios/hosts): the exact
# traces per host (time, tool, role, confidence, user, peer), the same
# scenarios with default logging only, benign look-alikes, determinism,
# the output's shape and what the trace cites.
. "$(dirname "$0")/lib.sh"
need jq
H="$FIXTURES/hosts"

# time|tool|role|confidence|user|peer, one line per trace, in output order
# (an activity whose tool is not recorded as ~activity)
summary() { jq -r '[.datetime[0:19],(.tool//("~"+.activity)),.role,.confidence,(.user//"-"),(.peer//"-")]|join("|")' "$1"; }
expect() { # FILE WHAT, expected lines on stdin
  local want got
  want=$(cat)
  got=$(summary "$1")
  [ "$got" == "$want" ] || fail "$2: traces differ:
--- want
$want
--- got
$got"
}

tm scan -o "$T/scan" "$H/src01.raw" "$H/dst01.raw" "$H/dst02.raw" "$H/dc01.raw" "$H/adm01.raw" "$FIXTURES/bare.raw" \
  "$H/cred01.raw" "$H/dc02.raw" "$H/dst03.raw" "$H/src03.raw" "$H/adm02.raw"
assert_eq "$RC" 0 "scan exit status"
assert_contains "$OUT" "src01.raw: 18 traces (8 confirmed), 0 errors, in $T/scan/src01/" "per-input summary line"

# --- source host, full logging (process auditing with command lines) ---
expect "$T/scan/src01/traces.jsonl" "source host" <<'X'
2017-05-10T09:10:00|PsExec|source|confirmed|CORP\mallory|srv01
2017-05-10T09:12:00|wmic|source|confirmed|CORP\mallory|srv01
2017-05-10T09:14:00|schtasks|source|confirmed|CORP\mallory|srv01
2017-05-10T09:16:00|echo|host|indicator|CORP\mallory|-
2017-05-10T09:16:00|net view|source|confirmed|CORP\mallory|srv01
2017-05-10T09:16:01|net-use|source|confirmed|CORP\mallory|srv01
2017-05-10T09:20:00|klist-purge|host|confirmed|CORP\mallory|-
2017-05-10T09:22:00|net localgroup|host|indicator|CORP\mallory|-
2017-05-10T09:22:00|powershell|host|indicator|CORP\mallory|-
2017-05-10T09:22:00|whoami|host|indicator|CORP\mallory|-
2017-05-10T09:24:00|~new-credentials logon|source|indicator|CORP\mallory|srv01
2017-05-10T09:26:00|mstsc|source|indicator|CORP\mallory|srv01
2017-05-10T09:30:00|sdelete|host|confirmed|CORP\mallory|-
2017-05-10T09:32:00|timestomp|host|confirmed|CORP\mallory|-
2017-05-10T09:34:00|wmiexec-vbs|source|indicator|CORP\mallory|srv01
2017-05-10T09:38:00|BITS|source|indicator|mallory|srv01
2017-05-10T09:38:00|WinRS|source|indicator|mallory|srv01
2017-05-10T09:40:00|wevtutil|source|indicator|CORP\mallory|srv01
X
S="$T/scan/src01/traces.jsonl"
# PsExec's run cites the start, the exit 0x0, the Prefetch file and the EULA key.
got=$(jq -r 'select(.tool=="PsExec")|[.outcome,.command_line,([.evidence[]|.kind+":"+(.record|tostring)]|join(","))]|join("|")' "$S")
assert_eq "$got" 'exit status 0x0|PsExec.exe \\srv01 -accepteula -s cmd /c "ipconfig /all"|evtx:2001,prefetch:0,evtx:2002,registry:'"$(jq -r 'select(.tool=="PsExec")|.evidence[3].record' "$S")" "PsExec citations"
assert_eq "$(jq -r 'select(.tool=="PsExec")|.evidence[3].summary' "$S")" \
  'Software\Sysinternals\PsExec EulaAccepted written (first run by mallory)' "EULA key cited in the run"
# Commands inside cmd /c chains and powershell -enc are classified with their phase.
assert_eq "$(jq -r 'select(.tool=="whoami")|.phase' "$S")" "initial investigation" "phase of whoami from -enc"
assert_eq "$(jq -r 'select(.tool=="net localgroup")|.command_line' "$S")" "net localgroup administrators" "decoded -enc command"
assert_eq "$(jq -r 'select(.tool=="echo")|.outcome' "$S")" 'wrote C:\Windows\Temp\run.bat' "echo > script recognised"
assert_contains "$(jq -r 'select(.tool=="echo")|.message' "$S")" "Script file C:\\Windows\\Temp\\run.bat written with echo" "script creation message"
# net view from the cmd chain and net.exe's own 4688/4689 are one run, not two.
assert_eq "$(jq -s '[.[]|select(.tool=="net view")]|length' "$S")" 1 "net view counted once"
assert_eq "$(jq -r 'select(.tool=="net-use")|.phase' "$S")" "reconnaissance" "net use phase"
# The RDP client run, its client-log records and the saved server key are one connection.
assert_eq "$(jq -r 'select(.tool=="mstsc")|[.evidence[].kind]|join(",")' "$S")" "evtx,evtx,evtx,evtx,registry" "mstsc citations"
# Source-side confirmations follow the sheet: exit status 0x0 in Security 4689.
assert_eq "$(jq -r 'select(.tool=="wmic")|.reason' "$S")" 'C:\Windows\System32\wbem\WMIC.exe exited with status 0x0 (Security 4689)' "wmic reason"
assert_eq "$(jq -r 'select(.tool=="sdelete")|.reason' "$S")" "deletion of a file with SDelete's renamed name audited (Security 4656)" "sdelete confirmation"

# --- destination host, full logging ---
expect "$T/scan/dst01/traces.jsonl" "destination host" <<'X'
2017-05-10T09:10:01|PsExec|destination|confirmed|CORP\admin|10.0.0.21
2017-05-10T09:12:01|~wmi remote execution|destination|indicator|CORP\admin|10.0.0.21
2017-05-10T09:12:01|whoami|host|indicator|CORP\admin|-
2017-05-10T09:14:00|~scheduled task created|destination|indicator|CORP\admin|-
2017-05-10T09:16:01|~share access|destination|indicator|CORP\admin|10.0.0.21
2017-05-10T09:24:06|~pass-the-hash logon|destination|indicator|CORP\admin|10.0.0.21
2017-05-10T09:26:04|~remote desktop logon|destination|indicator|CORP\admin|10.0.0.21
2017-05-10T09:34:05|wmiexec-vbs|destination|confirmed|CORP\admin|10.0.0.21
2017-05-10T09:36:00|WinRS|destination|confirmed|CORP\admin|-
2017-05-10T09:40:01|~event log cleared|destination|indicator|CORP\admin|10.0.0.21
X
D="$T/scan/dst01/traces.jsonl"
got=$(jq -r 'select(.tool=="PsExec")|[.evidence[]|.kind+":"+(.event_id//0|tostring)]|join(",")' "$D")
assert_eq "$got" "evtx:5145,usn:0,usn:0,evtx:7045,evtx:7036,prefetch:0,evtx:7036,usn:0,usn:0,evtx:4624" "PsExec destination citations"
assert_eq "$(jq -r 'select(.tool=="PsExec")|.outcome' "$D")" "service started and stopped" "PSEXESVC outcome"
assert_eq "$(jq -r 'select(.tool=="PsExec")|.evidence[]|select(.kind=="usn")|.path' "$D" | sort -u)" '$Extend/$UsnJrnl:$J' "USN evidence path"
assert_eq "$(jq -r 'select(.activity=="scheduled task created")|.outcome' "$D")" "action completed, return code 0" "task outcome"
# A registered task does not say what registered it: schtasks is a candidate, not the tool.
assert_eq "$(jq -r 'select(.activity=="scheduled task created")|[.tool,.attribution,(.candidates|join(","))]|map(.//"null")|join("|")' "$D")" "null|null|schtasks" "task activity unattributed"
# A cleared log names no tool; a named tool cites the record that names it.
assert_eq "$(jq -r 'select(.activity=="event log cleared")|[.tool//"null",(.candidates|join(","))]|join("|")' "$D")" "null|wevtutil" "log cleared: wevtutil a candidate"
assert_eq "$(jq -s '[.[]|select(.tool!=null)|select([.evidence[]|select(.attributes)]|length==0)]|length' "$D" "$S")" 0 "every named tool cites its attributing record"

# --- destination host, Windows' default logging only (no Security log) ---
expect "$T/scan/dst02/traces.jsonl" "default-logging destination" <<'X'
2017-05-10T10:10:01|PsExec|destination|confirmed|-|-
2017-05-10T10:20:00|~remote service execution|destination|indicator|-|-
2017-05-10T10:30:00|~service installed|host|indicator|-|-
2017-05-10T10:40:00|~scheduled task created|destination|indicator|CORP\admin|-
2017-05-10T10:48:00|at|destination|indicator|CORP\admin|-
2017-05-10T11:00:01|PsExec|destination|indicator|-|-
X
D2="$T/scan/dst02/traces.jsonl"
assert_eq "$(jq -r 'select(.datetime|startswith("2017-05-10T10:20"))|.message' "$D2")" \
  "Service UpdSvc installed from ADMIN$ and removed, the way PsExec works" "renamed PsExec service"
assert_contains "$(jq -r 'select(.datetime|startswith("2017-05-10T11:00"))|.reason' "$D2")" "without its install record" "PsExec from Prefetch and USN alone"
assert_eq "$(jq -r 'select(.datetime|startswith("2017-05-10T11:00"))|[.evidence[].kind]|join(",")' "$D2")" "usn,prefetch,usn" "Prefetch+USN session"
assert_not_contains "$(jq -c 'select(.tool or .activity!="service installed")' "$D2")" "Contoso" "a legitimate service install is not PsExec"
assert_eq "$(jq -r 'select(.activity=="service installed")|.message' "$D2")" 'Service Contoso Agent installed: "C:\Program Files\Contoso\agent.exe"' "a legitimate service install is an activity"

# --- domain controller ---
expect "$T/scan/dc01/traces.jsonl" "domain controller" <<'X'
2017-05-10T09:50:00|~account created|domain_controller|indicator|CORP\admin|-
2017-05-10T09:50:02|~group member added|domain_controller|indicator|CORP\admin|-
X
assert_contains "$(cat "$T/scan/dc01/traces.jsonl")" "member added to global group: CORP\\\\Domain Admins" "group change message"

# --- benign administration: look-alikes produce no wrong tool id ---
# (a backup agent listing shadow copies is reconnaissance at most; its read
# of the SAM from a shadow copy is no credential dumper)
expect "$T/scan/adm01/traces.jsonl" "benign admin host" <<'X'
2017-05-11T02:00:00|vssadmin|host|indicator|CORP\ADM01$|-
2017-05-11T09:00:00|~service installed|host|indicator|-|-
2017-05-11T10:00:04|~remote desktop logon|destination|indicator|CORP\admin|10.0.0.30
2017-05-11T10:00:20|net-use|source|confirmed|CORP\admin|fs01
2017-05-11T10:05:00|~remote logon|destination|indicator|CORP\admin|10.0.0.31
2017-05-11T10:06:00|~remote logon|destination|indicator|CORP\backup|10.0.0.32
2017-05-11T11:00:30|~event log cleared|host|indicator|CORP\admin|-
X
# Benign look-alikes name no tool that was not run: the installer's service,
# Windows' own task and BITS job, an admin's RDP session and file-server
# logons, a log cleared from Event Viewer, an inventory script's WMI
# cmdlets and echo aliases (docs/detection.md counts them)
assert_eq "$(jq -r 'select(.tool)|.tool' "$T/scan/adm01/traces.jsonl" | sort -u | tr '\n' ' ')" "net-use vssadmin " \
  "benign host: only the commands that ran are named"
assert_eq "$(jq -r 'select(.tool=="vssadmin")|.phase' "$T/scan/adm01/traces.jsonl")" "reconnaissance" "vssadmin list shadows"

# --- credential theft, escalation, relays, reconnaissance (Sysmon, process
# auditing, PowerShell script block logging) ---
expect "$T/scan/cred01/traces.jsonl" "credential theft host" <<'X'
2017-05-10T09:00:00|PwDump7|host|indicator|CORP\u|-
2017-05-10T09:02:00|gsecdump|host|confirmed|CORP\u|-
2017-05-10T09:04:00|lslsass|host|confirmed|CORP\u|-
2017-05-10T09:06:00|WCE|host|confirmed|CORP\u|-
2017-05-10T09:08:00|QuarksPWDump|host|confirmed|CORP\u|-
2017-05-10T09:10:00|WebBrowserPassView|host|indicator|CORP\u|-
2017-05-10T09:12:00|AceHash|source|indicator|CORP\u|-
2017-05-10T09:14:00|PWDumpX|source|confirmed|CORP\u|-
2017-05-10T09:16:00|Mimikatz_lsadump-sam|host|confirmed|CORP\u|-
2017-05-10T09:18:00|Mimikatz_sekurlsa-logonpasswords|host|confirmed|CORP\u|-
2017-05-10T09:20:00|Mimikatz_sekurlsa-tickets|host|confirmed|CORP\u|-
2017-05-10T09:22:00|Mimikatz_GoldenTicket|source|indicator|CORP\u|-
2017-05-10T09:24:00|Mimikatz_SilverTicket|source|indicator|CORP\u|-
2017-05-10T09:26:00|PowerSploit_Invoke-Mimikatz|source|confirmed|-|-
2017-05-10T09:28:00|PowerSploit_Out-Minidump|host|confirmed|-|-
2017-05-10T09:30:00|PowerSploit_GetGPPPassword|source|confirmed|-|-
2017-05-10T09:32:00|MS14-068|source|indicator|CORP\u|-
2017-05-10T09:34:05|~privilege escalation|host|indicator|CORP\u|-
2017-05-10T09:36:00|SDB-UAC-Bypass|host|confirmed|CORP\u|-
2017-05-10T09:40:00|Htran|source|confirmed|CORP\u|-
2017-05-10T09:42:00|nltest|source|confirmed|CORP\u|-
2017-05-10T09:43:30|~service installed|source|indicator|-|-
2017-05-10T09:44:00|nmap|source|indicator|CORP\u|-
2017-05-10T09:46:00|dsquery|host|indicator|CORP\u|-
2017-05-10T09:48:00|csvde|host|confirmed|CORP\u|-
2017-05-10T09:50:00|PsExec|source|indicator|CORP\u|10.0.0.40
X
C="$T/scan/cred01/traces.jsonl"
# a renamed copy is named by its OriginalFileName, and says so
assert_eq "$(jq -r 'select(.tool=="PsExec")|.attribution' "$C")" "renamed" "renamed PsExec attribution"
assert_contains "$(jq -r 'select(.tool=="PsExec")|.evidence[0].summary' "$C")" "a renamed psexec: OriginalFileName" "renamed PsExec citation"
# the access the sheet's success rests on is cited, with its GrantedAccess
assert_eq "$(jq -r 'select(.tool=="Mimikatz_sekurlsa-logonpasswords")|.evidence[]|select(.event_id==10)|.summary' "$C")" \
  'm opened C:\Windows\system32\lsass.exe (access 0x1010)' "lsass access cited"
assert_eq "$(jq -r 'select(.tool=="Mimikatz_lsadump-sam")|.reason' "$C")" "it opened winlogon.exe (Sysmon 10)" "lsadump::sam reason"
# a script block in two parts is one trace citing the first part
assert_eq "$(jq -r 'select(.tool=="PowerSploit_Invoke-Mimikatz")|[.evidence[].record]|join(",")' "$C")" "40" "Invoke-Mimikatz parts joined"
assert_eq "$(jq -r 'select(.tool=="PowerSploit_Invoke-Mimikatz")|.user_sid' "$C")" "S-1-5-21-3623811015-3361044348-30300820-1107" "script block account"
assert_contains "$(jq -r 'select(.activity=="privilege escalation")|.reason' "$C")" "MS14-058 and MS15-078 leave the same trace" "escalation reason"
assert_eq "$(jq -r 'select(.activity=="privilege escalation")|.candidates|join(",")' "$C")" "MS14-058,MS15-078" "escalation: the exploit is not named"
assert_eq "$(jq -r 'select(.tool=="csvde")|.outcome' "$C")" 'output to users.csv' "csvde output file"

# --- domain controller: AD database copies, a forged ticket in use; the
# service tickets of normal use beside it (AES to a user's SPN, RC4 to a
# computer and to krbtgt) are nothing ---
expect "$T/scan/dc02/traces.jsonl" "domain controller (AD database, Kerberos)" <<'X'
2017-05-10T10:00:00|ntdsutil|host|confirmed|CORP\admin|-
2017-05-10T10:10:00|vssadmin|host|confirmed|CORP\admin|-
2017-05-10T11:00:00|~forged kerberos ticket|domain_controller|indicator|eo.oe.kiwi\admin@eo.oe.kiwi|10.0.0.23
X
# the ticket request and the logon with the forged ticket are one trace
assert_eq "$(jq -r 'select(.activity=="forged kerberos ticket")|[.evidence[].event_id]|join(",")' "$T/scan/dc02/traces.jsonl")" \
  "4769,4624" "golden ticket: request and use together"
assert_eq "$(jq -r 'select(.tool=="ntdsutil")|[.evidence[]|.kind+":"+(.event_id//0|tostring)]|join(",")' "$T/scan/dc02/traces.jsonl")" \
  "evtx:4688,evtx:8222,evtx:325,usn:0,evtx:327" "ntdsutil citations (shadow copy, ESENT copy, ntds.dit written)"

# --- destination of renamed and quieter variants (SRV03) ---
expect "$T/scan/dst03/traces.jsonl" "destination of the variants" <<'X'
2017-05-12T10:00:01|PsExec|destination|confirmed|CORP\admin|10.0.0.21
2017-05-12T10:30:00|~remote service execution|destination|indicator|CORP\svc_deploy|10.0.0.66
2017-05-12T10:40:00|~service installed|host|indicator|-|-
2017-05-12T10:40:00|powershell|host|indicator|LocalSystem|-
2017-05-12T10:59:59|~winrm access|destination|indicator|CORP\admin|10.0.0.21
2017-05-12T11:10:00|~remote desktop connection|destination|indicator|-|10.0.0.88
2017-05-12T11:20:00|~remote desktop logon failed|destination|indicator|-|10.0.0.99
2017-05-12T11:30:00|~remote desktop logon failed|destination|indicator|CORP\guest1|10.0.0.77
2017-05-12T11:40:00|~remote desktop connection|destination|indicator|CORP\admin|-
2017-05-12T12:00:00|~event log cleared|host|indicator|CORP\admin|-
2017-05-12T12:30:00|~account created|host|indicator|CORP\admin|-
2017-05-12T12:31:00|~account changed|domain_controller|indicator|CORP\admin|-
X
V="$T/scan/dst03/traces.jsonl"
# account management from toolmark's rules (rules/security/accounts): the
# host's own account has the host's role, a domain account the domain's; a
# computer changing its own account is left out (fieldref); net user can
# make an account, not change a computer account
assert_eq "$(jq -r 'select(.rule.file and (.rule.file|test("accounts/")))|[.activity,(.candidates|join(",")),.message]|join("|")' "$V")" \
  'account created|net-user|account created: SRV03\support by CORP\admin (1 record)
account changed||computer account changed: CORP\WS09$ by CORP\admin (1 record)' "account rules"
# psexec -r: the renamed service is PsExec's by its stream pipes (Sysmon 17
# and 5145 on IPC$), which the trace cites as what names the tool
assert_eq "$(jq -r 'select(.tool=="PsExec")|.attribution' "$V")" "renamed" "psexec -r named by its pipes"
assert_eq "$(jq -r 'select(.tool=="PsExec")|[.evidence[]|select(.attributes)|.event_id]|join(",")' "$V")" \
  "17,17,17,5145,5145,5145" "the pipes attribute it"
assert_contains "$(jq -r 'select(.tool=="PsExec")|.evidence[0].summary' "$V")" 'wrote RemSvc.exe on share' \
  "the renamed binary written to ADMIN$ is cited"
assert_eq "$(jq -r 'select(.tool=="PsExec")|.message' "$V")" \
  "PsExec service installed under the name RemSvc (psexec -r) from 10.0.0.21" "renamed service message"
# bursts: three sessions' svcctl calls, three services of one pattern, a
# sweep of four logs are one trace each, with their counts
assert_eq "$(jq -r 'select(.activity=="remote service execution" and .tool==null)|[.evidence_total,(.evidence|length)]|join(",")' "$V")" \
  "3,3" "svcctl over three sessions: one trace"
assert_contains "$(jq -r 'select(.activity=="service installed")|.message' "$V")" \
  "3 services installed with one image pattern in a burst, the first: SQBmAC4A" "services of one pattern"
assert_eq "$(jq -r 'select(.tool=="powershell")|.evidence_total' "$V")" 3 "the command in the services' images once"
assert_eq "$(jq -r 'select(.activity=="event log cleared")|[.evidence_total,.message]|join("|")' "$V")" \
  '4|Event logs System, Application, Windows PowerShell and 1 more cleared by CORP\admin (4 records)' "log sweep"
assert_eq "$(jq -r 'select(.activity=="event log cleared")|.candidates|join(",")' "$V")" "wevtutil" "log sweep candidate"
# WinRM with sparse logging: the listener's access check and a connection
assert_eq "$(jq -r 'select(.activity=="winrm access")|[(.candidates|join(",")),(.evidence|map(.event_id)|join(","))]|join("|")' "$V")" \
  "WinRM,WinRS|3,4656,4656" "WinRM request without the WinRM log"
# RDP from the records around it: a scanner's connections, refused logons
assert_eq "$(jq -r 'select(.peer=="10.0.0.88")|[.evidence_total,(.candidates|join(","))]|join("|")' "$V")" \
  "4|mstsc" "RdpCoreTS 131 and Sysmon 3 to 3389: one connection trace"
assert_eq "$(jq -r 'select(.activity=="remote desktop logon failed")|.evidence[0].event_id' "$V" | tr '\n' ' ')" \
  "140 4825 " "refused logons (RdpCoreTS 140, Security 4825)"
assert_contains "$(jq -r 'select(.user=="CORP\\admin" and .activity=="remote desktop connection")|.evidence[0].summary' "$V")" \
  '\\tsclient\C\tools\rc.exe' "a tool run from the RDP client's drive"

# --- source host of the variants (WS04) ---
expect "$T/scan/src03/traces.jsonl" "source of the variants" <<'X'
2017-05-12T09:00:01|~remote desktop connection|source|indicator|CORP\mallory|10.0.0.50
2017-05-12T09:10:00|mstsc|source|indicator|CORP\mallory|10.0.0.51
2017-05-12T09:20:00|~port relay|host|indicator|CORP\mallory|10.0.0.50
2017-05-12T09:20:00|netsh|host|indicator|CORP\mallory|-
2017-05-12T09:30:00|~port relay|host|indicator|CORP\mallory|10.0.0.50
2017-05-12T09:40:00|~shim applied|host|indicator|-|-
X
W="$T/scan/src03/traces.jsonl"
# an RDP client that is not mstsc.exe loads its control: mstsc a candidate only
assert_eq "$(jq -r 'select(.datetime|startswith("2017-05-12T09:00"))|[(.candidates|join(",")),(.evidence|map(.event_id)|join(","))]|join("|")' "$W")" \
  "mstsc|7,3" "mstscax.dll loaded by another program"
assert_eq "$(jq -r 'select(.tool=="mstsc")|[.evidence[]|"\(.event_id):\(.attributes)"]|join(",")' "$W")" \
  "1:true,3:true" "mstsc's own connection to 3389 cited with its run"
# netsh portproxy, abbreviated, with the settings it wrote; no tool of the sheet
assert_eq "$(jq -r 'select(.activity=="port relay" and .command_line!=null and (.command_line|startswith("netsh")))|[.outcome,(.evidence|length),(.candidates|length)]|join("|")' "$W")" \
  "relays *:8443 to 10.0.0.50:3389|3|0" "netsh portproxy relay"
assert_eq "$(jq -r 'select(.activity=="port relay" and .datetime[11:16]=="09:30")|[.outcome,(.candidates|join(","))]|join("|")' "$W")" \
  "relays port 8080 to 10.0.0.50:445|Htran" "listen-then-forward relay"
assert_eq "$(jq -r 'select(.activity=="shim applied")|[(.candidates|join(",")),.command_line]|join("|")' "$W")" \
  'SDB-UAC-Bypass|C:\Windows\System32\cliconfg.exe' "a redirecting compatibility fix"

# --- benign look-alikes of the variants (ADM02) ---
expect "$T/scan/adm02/traces.jsonl" "benign look-alikes of the variants" <<'X'
2017-05-13T10:00:05|~remote desktop logon|destination|indicator|CORP\admin|10.0.0.30
2017-05-13T10:06:00|~service installed|host|indicator|-|-
2017-05-13T10:06:02|~service installed|host|indicator|-|-
2017-05-13T10:20:00|~remote desktop connection|source|indicator|CORP\admin|10.0.0.40
2017-05-13T10:40:00|~port relay|host|indicator|CORP\admin|172.20.1.5
2017-05-13T10:40:00|netsh|host|indicator|CORP\admin|-
2017-05-13T11:00:00|~winrm access|destination|indicator|CORP\admin|-
X
# an admin's RDP session is one trace with the records around it; RDCMan,
# an installer's services, a build tool's pipe, Windows' own BITS jobs and
# compatibility fix, an installed proxy name no tool; netsh ran
assert_eq "$(jq -r 'select(.activity=="remote desktop logon")|[.evidence[].event_id]|join(",")' "$T/scan/adm02/traces.jsonl")" \
  "4624,21,24,3,131,4688" "the admin's session cites the records around it"
assert_eq "$(jq -r 'select(.tool)|.tool' "$T/scan/adm02/traces.jsonl" | sort -u | tr '\n' ' ')" "netsh " \
  "benign variants: only the command that ran is named"

# --- the reader fixture host (ws01) ---
expect "$T/scan/bare/traces.jsonl" "ws01" <<'X'
2017-04-28T12:29:10|whoami|host|indicator|alice|-
2017-04-28T12:30:11|tasklist|host|indicator|CORP\alice|-
2017-04-28T12:30:40|net-use|source|indicator|alice|srv01
2017-04-28T12:40:00|~service installed|host|indicator|-|-
2017-04-28T12:44:00|at|destination|indicator|CORP\alice|-
2017-04-28T12:45:00|~scheduled task created|destination|indicator|CORP\alice|-
2017-04-28T12:55:00|PsExec|source|indicator|alice|-
2017-04-28T12:58:00|mstsc|source|indicator|alice|srv01.corp.example
2017-04-28T13:00:00|~event log cleared|host|indicator|CORP\alice|-
X

# --- the same scenarios with default logging only, as triage folders ---
# Extract, drop what needs audit policy (Security.evtx), scan the folder.
tm extract -o "$T/ex" "$H/src01.raw" "$H/dst01.raw" "$H/cred01.raw"
assert_eq "$RC" 0 "extract of the scenarios"
L=vol/Windows/System32/winevt/Logs
rm -f "$T/ex/src01/$L/Security.evtx" "$T/ex/dst01/$L/Security.evtx" "$T/ex/cred01/$L/Security.evtx" \
  "$T/ex/cred01/$L/Microsoft-Windows-Sysmon%254Operational.evtx" "$T/ex/cred01/$L/Microsoft-Windows-PowerShell%254Operational.evtx"
tm scan -o "$T/scan2" "$T/ex/src01" "$T/ex/dst01" "$T/ex/cred01"
assert_eq "$RC" 0 "scan of the default-logging folders"
expect "$T/scan2/src01/traces.jsonl" "source host, default logging" <<'X'
2017-05-10T09:10:00|PsExec|source|indicator|mallory|-
2017-05-10T09:26:02|mstsc|source|indicator|mallory|srv01
2017-05-10T09:30:01|sdelete|host|indicator|mallory|-
2017-05-10T09:38:00|BITS|source|indicator|mallory|srv01
2017-05-10T09:38:00|WinRS|source|indicator|mallory|srv01
X
expect "$T/scan2/dst01/traces.jsonl" "destination host, default logging" <<'X'
2017-05-10T09:10:01|PsExec|destination|confirmed|-|-
2017-05-10T09:14:00|~scheduled task created|destination|indicator|CORP\admin|-
2017-05-10T09:26:04|~remote desktop logon|destination|indicator|CORP\admin|10.0.0.21
2017-05-10T09:36:00|WinRS|destination|confirmed|CORP\admin|-
X
assert_eq "$(jq -r 'select(.tool=="PsExec")|[.evidence[].kind]|join(",")' "$T/scan2/src01/traces.jsonl")" "prefetch,registry" \
  "PsExec on the source from Prefetch and the EULA key"
# credential tools from Prefetch, the journal and the registry alone
expect "$T/scan2/cred01/traces.jsonl" "credential theft host, default logging" <<'X'
2017-05-10T09:00:00|PwDump7|host|indicator|-|-
2017-05-10T09:06:01|WCE|host|confirmed|-|-
2017-05-10T09:08:01|QuarksPWDump|host|confirmed|-|-
2017-05-10T09:14:20|PWDumpX|source|confirmed|-|-
2017-05-10T09:20:01|Mimikatz_sekurlsa-tickets|host|confirmed|-|-
2017-05-10T09:28:02|PowerSploit_Out-Minidump|host|confirmed|-|-
2017-05-10T09:32:03|MS14-068|source|indicator|-|-
2017-05-10T09:36:01|~shim installed|host|indicator|-|-
2017-05-10T09:43:30|~service installed|source|indicator|-|-
X

# --- the same host from an E01 (libewf in the image process, libyal in the
# workers): the same traces as from the raw volume ---
tm scan -o "$T/scan4" "$FIXTURES/demo/srv01-destination.E01"
assert_eq "$RC" 0 "scan of the demo E01"
strip() { jq -c 'del(.input, .input_id)' "$1"; }
[ "$(strip "$T/scan4/srv01-destination/traces.jsonl")" == "$(strip "$T/scan/dst01/traces.jsonl")" ] ||
  fail "E01 and raw image of the same volume give different traces"

# --- determinism: workers and order do not change the output ---
tm scan -j 3 -o "$T/scan3" "$H/dst01.raw" "$H/src01.raw"
cmp -s "$T/scan/src01/traces.jsonl" "$T/scan3/src01/traces.jsonl" || fail "-j 3 changed src01's traces"
cmp -s "$T/scan/dst01/traces.jsonl" "$T/scan3/dst01/traces.jsonl" || fail "-j 3 changed dst01's traces"
# the summary too (the logs' order once followed which worker finished first),
# but for the options and the bytes read (a worker's block cache sees other reads)
for h in src01 dst01; do
  [ "$(jq -S 'del(.options, .run, .io.read_from_input)' "$T/scan/$h/summary.json")" == \
    "$(jq -S 'del(.options, .run, .io.read_from_input)' "$T/scan3/$h/summary.json")" ] || fail "-j 3 changed $h's summary.json"
done

# --- the record store on disk (--memory): the same outputs as on the heap ---
tm scan -q --memory 64M -o "$T/spilled" "$H/dst01.raw" "$H/src01.raw"
assert_eq "$RC" 0 "scan with the store spilling to disk"
for h in src01 dst01; do
  cmp -s "$T/scan/$h/traces.jsonl" "$T/spilled/$h/traces.jsonl" || fail "--memory changed $h's traces"
done
[ -z "$(ls -A "$T/spilled/src01" | grep spill)" ] || fail "a spill file was left in the output folder"
# the run record says what the budget was and that the store was on disk
jq -e '.run.memory.budget == 67108864 and .run.memory.spill_file > 0 and .run.memory.input_process_peak_rss > 0' \
  "$T/spilled/src01/summary.json" >/dev/null || fail "run.memory: $(jq -c .run.memory "$T/spilled/src01/summary.json")"
tm scan -q --memory 0 -o "$T/heap" "$H/src01.raw"
assert_eq "$RC" 0 "scan without a memory budget"
cmp -s "$T/scan/src01/traces.jsonl" "$T/heap/src01/traces.jsonl" || fail "--memory 0 changed the traces"
jq -e '.run.memory.budget == 0 and .run.memory.spill_file == 0 and .run.memory.spill_trims == 0' \
  "$T/heap/src01/summary.json" >/dev/null || fail "run.memory without a budget: $(jq -c .run.memory "$T/heap/src01/summary.json")"
tm scan -q --memory 1M -o "$T/x" "$H/src01.raw"
assert_eq "$RC" 2 "--memory below 64M is a usage error"

# --- output shape (Timesketch needs message, datetime, timestamp_desc) ---
bad=$(jq -c 'select((.message|type)!="string" or (.datetime|type)!="string" or (.timestamp_desc|type)!="string" or (.timestamp|type)!="number" or (.evidence|length)==0 or (.confidence|test("^(confirmed|indicator)$")|not) or (.reason|type)!="string")' "$T"/scan/*/traces.jsonl)
assert_eq "$bad" "" "every trace has message, datetime, timestamp, timestamp_desc, confidence, reason, evidence"
assert_eq "$(ls -A "$T/scan/src01" | tr '\n' ' ')" \
  "errors.jsonl report.html summary.json traces.body traces.csv traces.jsonl traces.l2tcsv " "the files of an input, no temporary left"

# --- usage ---
tm scan "$H/src01.raw"
assert_eq "$RC" 2 "scan without -o"
tm scan -j 3x -o "$T/j" "$H/src01.raw"
assert_eq "$RC" 2 "a number option with trailing garbage"
assert_contains "$ERR" "-j wants a number from 1 to 256" "the option named"
mkdir -p "$T/evidence"
cp "$FIXTURES/bare.raw" "$T/evidence/"
tm scan -o "$T/evidence/out" "$T/evidence"
assert_eq "$RC" 2 "scan refuses to write inside an input folder"
[ -e "$T/evidence/out" ] && fail "output created inside the input folder"
cd "$T"
tm scan -o nosuch/../evidence/out evidence
cd - >/dev/null
assert_eq "$RC" 2 "scan -o nosuch/../evidence/out refused"; [ ! -e "$T/evidence/out" ] || fail "scan wrote into evidence via .."
tm scan -o "$T/nosuch/../nosuch/./../evidence/./deep/../out" "$T/evidence"
assert_eq "$RC" 2 "scan -o with . and .. in missing folders refused"
# ... nor through a symbolic link met after such a "..", a dangling link
# into the evidence, or a case whose inputs come from a manifest
ln -s evidence "$T/evlink"
ln -s evidence/newdir "$T/dangling"
printf '%s\n' "$T/evidence" >"$T/ev-manifest"
cd "$T"
tm scan -o nosuch/../evlink/out evidence
assert_eq "$RC" 2 "scan -o nosuch/../LINK/out (LINK -> evidence) refused"
tm scan -o dangling/out evidence
assert_eq "$RC" 2 "scan -o through a dangling link into evidence refused"
tm scan -o nosuch/../evlink/./x/../out --manifest ev-manifest
assert_eq "$RC" 2 "a case from a manifest refuses -o through a link into its input"
cd - >/dev/null
[ ! -e "$T/evidence/out" ] && [ ! -e "$T/evidence/newdir" ] || fail "scan wrote into evidence through a link"
[ ! -e "$T/nosuch" ] || fail "scan created a folder before refusing"

# A full disk (a file size limit here): no output is left under a final name
# half written, no temporary file stays, and the summary line says so.
(trap '' XFSZ; ulimit -f 4; "$TOOLMARK" scan -o "$T/full" "$FIXTURES/bare.raw" >"$T/out" 2>"$T/err"; echo $? >"$T/rc")
assert_eq "$(cat "$T/rc")" 1 "scan with outputs that cannot be written"
assert_contains "$(cat "$T/out")" "could not all be written" "summary line on a full disk"
assert_contains "$(cat "$T/err")" "cannot write" "each output that failed is named"
[ -e "$T/full/bare/traces.jsonl" ] && fail "traces.jsonl under its final name though it could not be written"
[ -e "$T/full/bare/summary.json" ] && fail "summary.json (the mark of a complete set) though outputs are missing"
find "$T/full" -name '*.tmp-*' | grep -q . && fail "temporary files left on a full disk"

finish
