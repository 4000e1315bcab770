#!/usr/bin/env bash
# Every reader through the whole pipeline on the ws01 image, with the values
# the scenario (fixtures/scenarios/ws01) put there.
. "$(dirname "$0")/lib.sh"
need jq
tm dump "$FIXTURES/bare.raw"
assert_eq "$RC" 0 "dump of every artifact: $ERR"
printf '%s\n' "$OUT" >"$T/all"
q() { jq -c "$@" "$T/all"; }
fact() { q "select(.fact==\"$1\")"; }

# Registry facts.
assert_contains "$(fact computer_name)" '"ComputerName":"WS01"' "computer name"
assert_contains "$(fact control_set)" '"current":"ControlSet001"' "control set in use"
tz=$(fact time_zone)
assert_contains "$tz" '"TimeZoneKeyName":"Tokyo Standard Time"' "time zone"; assert_contains "$tz" '"Bias":-540' "signed bias"
svc=$(fact service | grep '"Updater Service"')
assert_contains "$svc" '"ImagePath":"C:\\ProgramData\\upd.exe"' "service image path"
assert_contains "$svc" '"time":"2017-04-28T12:40:00.000000+00:00"' "service key written"
assert_contains "$(fact service_dll)" '"ServiceDll":"%SystemRoot%\\System32\\dnsrslvr.dll"' "service DLL"
assert_contains "$(fact interface)" '"IPAddress":"10.0.0.5"' "interface address"
ap=$(fact audit_policy)
assert_contains "$ap" '"Detailed Tracking/Process Creation":"Success"' "audit: process creation"
assert_contains "$ap" '"Logon/Logoff/Logon":"Success and Failure"' "audit: logon"
assert_contains "$ap" '"Object Access/File Share":"No Auditing"' "audit: file share"
assert_contains "$(fact process_cmdline_audit)" '"ProcessCreationIncludeCmdLine_Enabled":1' "command lines audited"
assert_contains "$(fact prefetcher)" '"EnablePrefetcher":3' "prefetcher"
assert_contains "$(fact wdigest)" '"UseLogonCredential":1' "WDigest"
assert_contains "$(fact eventlog | grep Security)" '"MaxSize":20971520' "Security log size"
alice=$(fact sam_user | grep '"name":"alice"')
assert_contains "$alice" '"rid":1001' "SAM RID from the value type"; assert_contains "$alice" '"time":"2017-01-10T09:00:00' "account created"
eula=$(fact sysinternals_eula)
assert_contains "$eula" '"name":"PsExec"' "Sysinternals EULA key"; assert_contains "$eula" '"time":"2017-04-28T12:55:00' "first run of PsExec"
assert_contains "$(fact rdp_server)" '"UsernameHint":"CORP\\admin"' "RDP server"
tc=$(fact task_cache)
assert_contains "$tc" '"Path":"\\Microsoft\\Windows\\Updater"' "TaskCache path"
assert_contains "$tc" '"command_line":"C:\\ProgramData\\upd.exe -connect 10.0.0.99"' "TaskCache actions decoded"
assert_contains "$tc" '"created":"2017-04-28T12:45:00.000000+00:00"' "TaskCache DynamicInfo created"
# Keys: dump (all) gives every key of every hive.
assert_contains "$(q 'select(.key=="ControlSet001\\Services\\Updater Service" and .values!=null)')" '"value.Start":3' "key record with values"

# USN journal: hole skipped, V2 and V3, reasons, parent paths through the MFT.
usn=$(q 'select(.kind=="usn")')
assert_eq "$(printf '%s\n' "$usn" | wc -l)" 11 "USN records"
assert_contains "$usn" '"usn":1048576,' "first USN after the 1 MiB hole"
assert_contains "$usn" '"reasons":"FILE_DELETE|CLOSE"' "reason names"
assert_contains "$usn" '"version":3' "USN_RECORD_V3"
assert_contains "$usn" '"file_path":"Users/alice/Documents/mimi.exe"' "parent path from the MFT"
assert_contains "$usn" '"parent_path_note":"MFT entry' "unresolvable parent explained"

# PSReadLine: lines joined, last command marked, bounds from the file times.
ps=$(q 'select(.kind=="psreadline")')
assert_eq "$(printf '%s\n' "$ps" | wc -l)" 4 "PSReadLine commands"
assert_contains "$ps" '"line":4,"lines":2,"command":"Get-Process |\n  Where-Object { $_.Name -eq \"lsass\" }"' "multi-line command"
assert_contains "$ps" '"not_after":"2017-04-28T12:31:00.000000+00:00","last_command":true' "last command and bound"
assert_contains "$ps" '"user":"alice"' "user from the path"
# ... and bounds from the journal's writes of the file, one write per command.
assert_contains "$ps" '"command":"net use \\\\srv01\\c$ /user:corp\\admin","user":"alice","not_before":"2017-02-01T10:00:00.000000+00:00","not_after":"2017-04-28T12:31:00.000000+00:00","usn_not_before":"2017-04-28T12:30:11.000000+00:00","usn_not_after":"2017-04-28T12:30:40.000000+00:00"' "USN bounds of a command"
assert_contains "$ps" '"line":1,"lines":1,"command":"whoami","user":"alice","not_before":"2017-02-01T10:00:00.000000+00:00","not_after":"2017-04-28T12:31:00.000000+00:00","usn_not_after":"2017-04-28T12:29:10.000001+00:00"' "USN bound of the first command"

# A 70 KB line (cut at 64 KiB, its closing quote lost) and a stray "(" from
# invalid UTF-8 do not swallow the commands after them.
h="$T/hist/C/Users/bob/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine"
mkdir -p "$h"
{ printf 'echo "'; head -c 71680 /dev/zero | tr '\0' 'A'; printf '"\n'
  printf 'net use \\\\10.0.0.9\\c$ /user:corp\\admin\n'
  printf 'echo \377\376(\n'
  printf 'wevtutil cl Security\n'; } >"$h/ConsoleHost_history.txt"
tm dump "$T/hist"
assert_eq "$RC" 0 "history with a long line: $ERR"
hp=$(printf '%s\n' "$OUT" | jq -c 'select(.kind=="psreadline") | [.line, .lines, (.command | .[0:24]), .truncated]')
assert_eq "$(printf '%s\n' "$hp" | wc -l)" 4 "four commands, none swallowed"
assert_contains "$hp" '[1,1,"echo \"AAAAAAAAAAAAAAAAAA",true]' "the long line, cut and marked"
assert_contains "$hp" '[2,1,"net use \\\\10.0.0.9\\c$ /u",null]' "net use after it"
assert_contains "$hp" '[4,1,"wevtutil cl Security",null]' "wevtutil cl after the stray ("
tm scan -o "$T/hist-out" "$T/hist"
assert_contains "$(jq -r .tool "$T/hist-out/hist/traces.jsonl" | sort -u | tr '\n' ' ')" "net-use" "net use traced"
assert_contains "$(jq -r .tool "$T/hist-out/hist/traces.jsonl" | sort -u | tr '\n' ' ')" "wevtutil" "wevtutil traced"

# A NUL inside a command line (a forged log, a history line) does not cut it:
# dump keeps \u0000, traces show U+2400 and still find the peer.
mkdir -p "$T/nul/C/Windows/System32/winevt/Logs" "$T/nul/C/Users/bob/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine"
cat >"$T/nul.spec" <<'SPEC'
channel Security
computer WS09.corp.example
event 4688 2017-05-10T09:10:00Z provider=Microsoft-Windows-Security-Auditing task=13312
data SubjectUserSid:sid=S-1-5-21-3623811015-3361044348-30300820-1105
data SubjectUserName=mallory
data SubjectDomainName=CORP
data SubjectLogonId:hex64=0x7a01
data NewProcessId:hex64=0x1000
data NewProcessName=C:\Windows\System32\net.exe
data ProcessId:hex64=0x0f10
data CommandLine:strnul=net use \0\\10.0.0.9\c$ /user:corp\admin
SPEC
"$TOOLDIR/evtx_writer" "$T/nul.spec" "$T/nul/C/Windows/System32/winevt/Logs/Security.evtx"
printf 'net view \000\\\\10.0.0.7\n' >"$T/nul/C/Users/bob/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt"
tm dump "$T/nul"
assert_contains "$OUT" '"CommandLine":"net use \u0000\\\\10.0.0.9' "dump keeps the NUL in an EVTX string"
assert_contains "$OUT" '"command":"net view \u0000\\\\10.0.0.7"' "dump keeps the NUL in a history line"
tm scan -o "$T/nul-out" "$T/nul"
nt=$(jq -c 'select(.tool=="net-use") | [.peer, .command_line]' "$T/nul-out/nul/traces.jsonl")
assert_contains "$nt" '["10.0.0.9","net use ␀\\\\10.0.0.9\\c$ /user:corp\\admin"]' "the peer after the NUL, the NUL shown"

# Scheduled task XML, at-job, Prefetch; local times converted with the host's zone.
task=$(q 'select(.kind=="task")')
assert_contains "$task" '"command_line":"C:\\ProgramData\\upd.exe -connect 10.0.0.99"' "task action"
assert_contains "$task" '"registration_date":"2017-04-28T21:45:00.000000"' "local registration date"
assert_contains "$task" '"registration_date_utc":"2017-04-28T12:45:00.000000+00:00"' "converted with Tokyo time"
job=$(q 'select(.kind=="atjob")')
assert_contains "$job" '"command_line":"cmd.exe /c \"C:\\Windows\\Temp\\evil.bat\""' "at-job command"
assert_contains "$job" '"last_run_utc":"2017-04-28T13:30:00.000000+00:00"' "at-job last run in UTC"
assert_contains "$job" '"status":"SCHED_S_TASK_READY"' "at-job status"
pf=$(q 'select(.kind=="prefetch")')
assert_contains "$pf" '"executable":"CMD.EXE","prefetch_hash":"4A81B364","format_version":23,"run_count":12' "prefetch"
assert_contains "$pf" '"volume.1.serial":"3C7E0E5A"' "prefetch volume"
assert_contains "$pf" 'WINDOWS\\SYSTEM32\\CMD.EXE' "prefetch referenced files"

# A hive not closed cleanly is reported as such.
"$TOOLDIR/regf_writer" /dev/stdin "$T/SOFTWARE" <<'SPEC'
dirty
key Microsoft\Windows NT\CurrentVersion
value ProductName sz Windows 10 Pro
SPEC
"$TOOLMARK_PARSE" registry "$T/SOFTWARE" >"$T/out" 2>"$T/err"
assert_contains "$(cat "$T/err")" "not closed cleanly" "dirty hive reported"
assert_contains "$(cat "$T/out")" '"ProductName":"Windows 10 Pro"' "dirty hive still read"

# toolmark's own EVTX decoder agrees with libevtx, record for record.
for f in "$FIXTURES"/triage/C/Windows/System32/winevt/Logs/*.evtx; do
  norm='del(.decoded_by,.offset) | walk(if type=="string" and test("^\\s+$") then "" else . end)'
  diff <("$TOOLMARK_PARSE" evtx "$f" | jq -S -c "$norm" | sort) \
       <("$TOOLMARK_PARSE" --libevtx evtx "$f" | jq -S -c "$norm" | sort) >&2 || fail "native decoder differs on $(basename "$f")"
done
finish
