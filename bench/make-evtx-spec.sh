#!/usr/bin/env bash
# make-evtx-spec.sh N > spec: N Security-like events (a mix of 4624, 4688,
# 4672, 4634, 5156 with realistic fields) for evtx_writer.
set -euo pipefail
n=${1:?usage: make-evtx-spec.sh N}
awk -v n="$n" 'BEGIN {
  print "channel Security"; print "computer SRV01.corp.example"
  split("4624 4688 4672 4634 5156", ids, " ")
  for (i = 0; i < n; i++) {
    id = ids[i % 5 + 1]; s = i % 60; m = int(i / 60) % 60; h = int(i / 3600) % 24; d = 1 + int(i / 86400) % 28
    printf "event %s 2017-05-%02dT%02d:%02d:%02d.%06dZ provider=Microsoft-Windows-Security-Auditing guid={54849625-5478-4994-A5BA-3E3B0328C30D} task=12544 keywords=0x8020000000000000 pid=612 tid=%d\n", id, d, h, m, s, i % 1000000, 1000 + i % 50
    print "data SubjectUserSid:sid=S-1-5-18"; print "data SubjectUserName=SRV01$"; print "data SubjectDomainName=CORP"
    print "data SubjectLogonId:hex64=0x3e7"
    printf "data TargetUserSid:sid=S-1-5-21-3623811015-3361044348-30300820-%d\n", 1000 + i % 97
    printf "data TargetUserName=user%d\n", i % 97; print "data TargetDomainName=CORP"
    printf "data TargetLogonId:hex64=0x%x\n", 100000 + i; printf "data LogonType:u32=%d\n", (i % 3) ? 3 : 10
    print "data LogonProcessName=NtLmSsp"; print "data AuthenticationPackageName=NTLM"
    printf "data WorkstationName=WS%02d\n", i % 40; printf "data IpAddress=10.0.%d.%d\n", i % 7, i % 250; print "data IpPort=49152"
    printf "data CommandLine=C:\\Windows\\System32\\cmd.exe /c whoami %d\n", i
  }
}'
