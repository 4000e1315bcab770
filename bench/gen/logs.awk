# logs.awk: the event logs of a busy Windows server for the benchmark, as
# evtx_writer specs (fixtures/writers/evtx_writer.c), deterministic for a
# given seed. Writes three specs (Security, System, Sysmon) and the list of
# planted tool runs the benchmark expects toolmark to report.
#
#   awk -v records=N -v seed=S -v days=D -v out=DIR -f logs.awk
#
# The Security log holds about `records` records: network logon sessions
# (4624, 4672, 4634) with bursts of share access (5140, then 5 to 3,000
# 5145 within seconds, as a client walking a share does), processes with
# command lines (4688/4689), Kerberos (4768/4769), filtering-platform
# connections (5156) and object access (4663). The Sysmon log gets process
# starts and ends, network connections, file creations and registry writes
# at a quarter of that; the System log service state changes. Every
# `every`-th activity is a tool run of the sheet instead (list below).

function rnd() { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 }
function pick(n) { return int(rnd() * n) }
function ts(t,   s, us) {
  # t: seconds since 2024-01-01T00:00:00Z (a float); evtx_writer takes ISO
  s = int(t); us = int((t - s) * 1000000)
  return strftime_utc(s) sprintf(".%06dZ", us)
}
function strftime_utc(s,   d, y, m, dim, rem, h, mi, se) {
  d = int(s / 86400); rem = s - d * 86400
  h = int(rem / 3600); mi = int((rem % 3600) / 60); se = rem % 60
  y = 2024
  while (1) { dy = (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365; if (d < dy) break; d -= dy; y++ }
  split("31 28 31 30 31 30 31 31 30 31 30 31", dim, " ")
  if (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) dim[2] = 29
  for (m = 1; m <= 12 && d >= dim[m]; m++) d -= dim[m]
  return sprintf("%04d-%02d-%02dT%02d:%02d:%02d", y, m, d + 1, h, mi, se)
}
function sec_event(id, t) {
  nsec++
  printf "event %d %s provider=Microsoft-Windows-Security-Auditing guid={54849625-5478-4994-A5BA-3E3B0328C30D} task=12544 keywords=0x8020000000000000 pid=612 tid=%d\n", id, ts(t), 700 + pick(90) > secf
}
function sec(line) { print "data " line > secf }
function subject(user, lid) {
  sec("SubjectUserSid:sid=S-1-5-21-3623811015-3361044348-30300820-" (1100 + user))
  sec("SubjectUserName=" uname[user]); sec("SubjectDomainName=CORP"); sec("SubjectLogonId:hex64=" sprintf("0x%x", lid))
}
function logon(t, user, type, ip, ws, lid, pkg) {
  sec_event(4624, t)
  sec("SubjectUserSid:sid=S-1-5-18"); sec("SubjectUserName=-"); sec("SubjectDomainName=-"); sec("SubjectLogonId:hex64=0x0")
  sec("TargetUserSid:sid=S-1-5-21-3623811015-3361044348-30300820-" (1100 + user))
  sec("TargetUserName=" uname[user]); sec("TargetDomainName=CORP"); sec("TargetLogonId:hex64=" sprintf("0x%x", lid))
  sec("LogonType:u32=" type); sec("LogonProcessName=" (pkg == "NTLM" ? "NtLmSsp" : "Kerberos"))
  sec("AuthenticationPackageName=" pkg); sec("WorkstationName=" ws)
  sec("LogonGuid:guid={00000000-0000-0000-0000-000000000000}"); sec("KeyLength:u32=" (pkg == "NTLM" ? 128 : 0))
  sec("IpAddress=" ip); sec("IpPort=" (49152 + pick(16000)))
}
function proc(t, user, lid, pid, image, cmd, parent, status,   dur) {
  sec_event(4688, t)
  subject(user, lid)
  sec("NewProcessId:hex64=" sprintf("0x%x", pid)); sec("NewProcessName=" image)
  sec("TokenElevationType=%%1936"); sec("ProcessId:hex64=" sprintf("0x%x", 4 + pick(9000)))
  sec("CommandLine=" cmd); sec("ParentProcessName=" parent)
  dur = 0.2 + rnd() * 20
  sec_event(4689, t + dur)
  subject(user, lid)
  sec("Status:hex32=" status); sec("ProcessId:hex64=" sprintf("0x%x", pid)); sec("ProcessName=" image)
  if (pick(4) == 0) { # Sysmon sees a quarter of the processes in full
    sys_event(1, t); sm("RuleName=-"); sm("UtcTime=" substr(ts(t), 1, 23)); sm("ProcessGuid={" guid() "}")
    sm("ProcessId:u32=" pid); sm("Image=" image); sm("CommandLine=" cmd); sm("User=CORP\\" uname[user])
    sm("LogonId:hex64=" sprintf("0x%x", lid)); sm("ParentImage=" parent); sm("OriginalFileName=" base(image))
    sys_event(5, t + dur); sm("UtcTime=" substr(ts(t + dur), 1, 23)); sm("ProcessId:u32=" pid); sm("Image=" image)
  }
}
function base(p,   n, a) { n = split(p, a, "\\"); return a[n] }
function guid() { return sprintf("%08X-%04X-%04X-%04X-%04X%08X", pick(2147483647), pick(65535), pick(65535), pick(65535), pick(65535), pick(2147483647)) }
function sys_event(id, t) {
  nsm++
  printf "event %d %s provider=Microsoft-Windows-Sysmon guid={5770385F-C22A-43E0-BF4C-06F5698FFBD9} version=5 task=%d keywords=0x8000000000000000 pid=2300 tid=3100 sid=S-1-5-18\n", id, ts(t), id > smf
}
function sm(line) { print "data " line > smf }
function svc_event(id, t) {
  nsys++
  printf "event %d %s provider=Service_Control_Manager qualifiers=16384 keywords=0x8080000000000000 pid=640 tid=700\n", id, ts(t) > sysf
}
function sv(line) { print "data " line > sysf }
function planted(tool, role) { want[tool "\t" role]++ }

BEGIN {
  if (!records) records = 100000
  if (!days) days = 105
  if (!every) every = 300
  state = seed ? seed : 1
  secf = out "/Security.spec"; sysf = out "/System.spec"; smf = out "/Sysmon.spec"
  print "channel Security" > secf; print "computer SRV01.corp.example" > secf
  print "channel System" > sysf; print "computer SRV01.corp.example" > sysf
  print "channel Microsoft-Windows-Sysmon/Operational" > smf; print "computer SRV01.corp.example" > smf
  for (i = 0; i < 400; i++) uname[i] = sprintf("user%03d", i)
  uname[0] = "admin"; uname[1] = "backup"; uname[2] = "svc_sql"
  # benign processes: image, command line, parent
  nb = split("C:\\Windows\\System32\\svchost.exe|C:\\Windows\\system32\\svchost.exe -k netsvcs -p|C:\\Windows\\System32\\services.exe;" \
             "C:\\Windows\\System32\\conhost.exe|\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1|C:\\Windows\\System32\\cmd.exe;" \
             "C:\\Windows\\System32\\cmd.exe|C:\\Windows\\system32\\cmd.exe /c C:\\scripts\\rotate-logs.cmd|C:\\Windows\\System32\\svchost.exe;" \
             "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe|powershell.exe -NoProfile -File C:\\scripts\\health.ps1|C:\\Windows\\System32\\svchost.exe;" \
             "C:\\Program Files\\Microsoft SQL Server\\MSSQL15\\MSSQL\\Binn\\sqlservr.exe|\"C:\\Program Files\\Microsoft SQL Server\\MSSQL15\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER|C:\\Windows\\System32\\services.exe;" \
             "C:\\Windows\\System32\\taskhostw.exe|taskhostw.exe Install $(Arg0)|C:\\Windows\\System32\\svchost.exe;" \
             "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe|C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding|C:\\Windows\\System32\\svchost.exe;" \
             "C:\\Windows\\System32\\backgroundTaskHost.exe|\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca|C:\\Windows\\System32\\svchost.exe;" \
             "C:\\Windows\\System32\\robocopy.exe|robocopy D:\\data \\\\nas01\\backup /MIR /R:1 /W:1|C:\\Windows\\System32\\cmd.exe;" \
             "C:\\Windows\\System32\\ipconfig.exe|ipconfig /renew|C:\\Windows\\System32\\svchost.exe", benign, ";")
  # the tool runs planted (source side, by 4688/4689 and sometimes Sysmon 1)
  nt = split("PsExec|C:\\Tools\\PsExec.exe|PsExec.exe \\\\srv%02d -accepteula -s cmd /c \"ipconfig /all\";" \
             "wmic|C:\\Windows\\System32\\wbem\\WMIC.exe|wmic /node:srv%02d process call create \"cmd.exe /c whoami\";" \
             "schtasks|C:\\Windows\\System32\\schtasks.exe|schtasks /create /s srv%02d /tn Updater /tr C:\\Windows\\Temp\\u.bat /sc once /st 23:00;" \
             "net-use|C:\\Windows\\System32\\net.exe|net use \\\\srv%02d\\c$ /user:corp\\admin P@ssw0rd;" \
             "wevtutil|C:\\Windows\\System32\\wevtutil.exe|wevtutil cl Security%.0s;" \
             "Mimikatz_sekurlsa-logonpasswords|C:\\Users\\admin\\mk.exe|mk.exe privilege::debug sekurlsa::logonpasswords exit%.0s;" \
             "vssadmin|C:\\Windows\\System32\\vssadmin.exe|vssadmin create shadow /for=C:%.0s;" \
             "ntdsutil|C:\\Windows\\System32\\ntdsutil.exe|ntdsutil \"ac i ntds\" ifm \"create full c:\\x\" q q%.0s", tools, ";")
  t = 0; step = days * 86400 / records; act = 0; lid = 0x100000
  while (nsec < records) {
    act++
    t += step * (0.5 + rnd()) * 3
    if (act % every == 0) { # a tool run of the sheet
      split(tools[1 + (act / every) % nt], tl, "|")
      cmd = sprintf(tl[3], 1 + pick(40)); pid = 0x4000 + pick(60000)
      proc(t, 0, 0x3e7000 + act, pid, tl[2], cmd, "C:\\Windows\\System32\\cmd.exe", "0x0")
      planted(tl[1], tl[1] == "PsExec" || tl[1] == "wmic" || tl[1] == "schtasks" || tl[1] == "net-use" ? "source" : "host")
      continue
    }
    if (act % every == every / 2) { # PsExec arriving here: logon, share access, service
      lid++
      logon(t, 0, 3, "10.1.2." (10 + pick(200)), "WS" sprintf("%02d", pick(90)), lid, "NTLM")
      sec_event(5145, t + 0.4); subject(0, lid); sec("ObjectType=File"); sec("IpAddress=10.1.2.77"); sec("IpPort=50000")
      sec("ShareName=\\\\*\\ADMIN$"); sec("ShareLocalPath=\\??\\C:\\Windows"); sec("RelativeTargetName=PSEXESVC.exe")
      sec("AccessMask=0x2"); sec("AccessList=%%4417")
      svc_event(7045, t + 0.9); sv("ServiceName=PSEXESVC"); sv("ImagePath=%SystemRoot%\\PSEXESVC.exe")
      sv("ServiceType=user mode service"); sv("StartType=demand start"); sv("AccountName=LocalSystem")
      svc_event(7036, t + 1.0); sv("param1=PSEXESVC"); sv("param2=running")
      svc_event(7036, t + 9.0); sv("param1=PSEXESVC"); sv("param2=stopped")
      planted("PsExec", "destination")
      continue
    }
    r = rnd()
    if (r < 0.34) { # a network logon session walking a share
      lid++; user = pick(20) ? pick(400) : pick(5); ip = "10.1." pick(8) "." (10 + pick(240)); ws = sprintf("WS%03d", pick(400))
      logon(t, user, 3, ip, ws, lid, pick(3) ? "Kerberos" : "NTLM")
      if (user < 5) { sec_event(4672, t); subject(user, lid); sec("PrivilegeList=SeBackupPrivilege SeRestorePrivilege SeDebugPrivilege") }
      share = pick(3) ? "\\\\*\\DATA" : "\\\\*\\IPC$"
      sec_event(5140, t + 0.01); subject(user, lid); sec("ObjectType=File"); sec("IpAddress=" ip); sec("IpPort=50000")
      sec("ShareName=" share); sec("ShareLocalPath=\\??\\D:\\data"); sec("AccessMask=0x1"); sec("AccessList=%%4416")
      n = pick(100) ? 3 + pick(28) : 300 + pick(2700) # most walks are short; one in a hundred reads thousands of files
      for (k = 0; k < n && nsec < records; k++) {
        sec_event(5145, t + 0.02 + k * 0.003); subject(user, lid); sec("ObjectType=File"); sec("IpAddress=" ip)
        sec("IpPort=50000"); sec("ShareName=" share); sec("ShareLocalPath=\\??\\D:\\data")
        sec("RelativeTargetName=projects\\p" pick(300) "\\doc" pick(5000) ".docx"); sec("AccessMask=0x120089")
        sec("AccessList=%%1538 %%1541 %%4416 %%4423")
      }
      sec_event(4634, t + 0.1 + n * 0.003); subject(user, lid); sec("LogonType:u32=3")
      t += n * 0.003
    } else if (r < 0.52) { # processes
      m = 1 + pick(5)
      for (k = 0; k < m; k++) {
        split(benign[1 + pick(nb)], b, "|")
        proc(t + k * 0.5, pick(3), 0x3e7, 0x1000 + pick(60000), b[1], b[2], b[3], "0x0")
      }
    } else if (r < 0.70) { # Kerberos
      user = pick(400)
      sec_event(4768, t); sec("TargetUserName=" uname[user]); sec("TargetDomainName=CORP.EXAMPLE")
      sec("TargetSid:sid=S-1-5-21-3623811015-3361044348-30300820-" (1100 + user)); sec("ServiceName=krbtgt")
      sec("TicketOptions=0x40810010"); sec("Status=0x0"); sec("TicketEncryptionType=0x12"); sec("IpAddress=::ffff:10.1.3." pick(250))
      m = 1 + pick(4)
      for (k = 0; k < m; k++) {
        sec_event(4769, t + k * 0.2); sec("TargetUserName=" uname[user] "@CORP.EXAMPLE"); sec("TargetDomainName=CORP.EXAMPLE")
        sec("ServiceName=" (pick(2) ? "SRV0" pick(9) "$" : "cifs/nas01")); sec("TicketOptions=0x40810000"); sec("TicketEncryptionType=0x12")
        sec("IpAddress=::ffff:10.1.3." pick(250)); sec("Status=0x0")
      }
    } else if (r < 0.88) { # allowed connections
      m = 2 + pick(10)
      for (k = 0; k < m && nsec < records; k++) {
        sec_event(5156, t + k * 0.05); sec("ProcessID:u32=" (4 + pick(4000))); sec("Application=\\device\\harddiskvolume2\\windows\\system32\\svchost.exe")
        sec("Direction=%%14592"); sec("SourceAddress=10.1.0.5"); sec("SourcePort=" (445)); sec("DestAddress=10.1." pick(8) "." pick(250))
        sec("DestPort=" (49152 + pick(16000))); sec("Protocol:u32=6"); sec("FilterRTID:u64=" (60000 + pick(100)))
        sec("LayerName=%%14610"); sec("LayerRTID:u32=44")
      }
      if (pick(3) == 0) { # Sysmon network connection
        sys_event(3, t); sm("UtcTime=" substr(ts(t), 1, 23)); sm("ProcessGuid={" guid() "}"); sm("ProcessId:u32=" pick(9000))
        sm("Image=C:\\Windows\\System32\\svchost.exe"); sm("Protocol=tcp"); sm("Initiated=false")
        sm("SourceIp=10.1." pick(8) "." pick(250)); sm("SourcePort=" (49152 + pick(16000))); sm("DestinationIp=10.1.0.5"); sm("DestinationPort=445")
      }
    } else if (r < 0.94) { # object access
      m = 3 + pick(20)
      for (k = 0; k < m && nsec < records; k++) {
        sec_event(4663, t + k * 0.01); subject(1, 0x3e7); sec("ObjectServer=Security"); sec("ObjectType=File")
        sec("ObjectName=D:\\data\\projects\\p" pick(300) "\\doc" pick(5000) ".docx"); sec("HandleId:hex64=0x" sprintf("%x", pick(65535)))
        sec("AccessList=%%4416"); sec("AccessMask=0x1"); sec("ProcessId:hex64=0x" sprintf("%x", pick(9000))); sec("ProcessName=C:\\Windows\\System32\\robocopy.exe")
      }
    } else { # services, files, registry
      svc_event(7036, t); sv("param1=" (pick(2) ? "Windows Update" : "Background Intelligent Transfer Service")); sv("param2=" (pick(2) ? "running" : "stopped"))
      sys_event(11, t); sm("UtcTime=" substr(ts(t), 1, 23)); sm("ProcessGuid={" guid() "}"); sm("ProcessId:u32=" pick(9000))
      sm("Image=C:\\Windows\\System32\\svchost.exe"); sm("TargetFilename=C:\\Windows\\Temp\\tmp" pick(99999) ".tmp")
      sys_event(13, t + 0.1); sm("EventType=SetValue"); sm("UtcTime=" substr(ts(t), 1, 23)); sm("ProcessGuid={" guid() "}")
      sm("ProcessId:u32=" pick(9000)); sm("Image=C:\\Windows\\System32\\svchost.exe")
      sm("TargetObject=HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\LastOnlineScanTimeForAppCategory"); sm("Details=Binary Data")
    }
  }
  printf "" > (out "/planted.tsv")
  for (k in want) print k "\t" want[k] > (out "/planted.tsv")
  printf "%d Security, %d System, %d Sysmon records\n", nsec, nsys, nsm > "/dev/stderr"
}
