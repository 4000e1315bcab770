/* PowerShell credential tools: PowerSploit's Invoke-Mimikatz, Out-Minidump
 * and Get-GPPPassword, Find-GPOPasswords, PowerMemory.
 *
 * Found in PowerShell script blocks (4104, parts joined), module logging
 * (4103), typed history (PSReadLine) and powershell command lines (-enc
 * decoded). Confirmed per the sheet: the script block holds the script
 * (Invoke-Mimikatz, Get-GPPPassword, PowerMemory), the dump file was
 * written (Out-Minidump: lsass_<pid>.dmp), the report was written
 * (Find-GPOPasswords: GPPDataReport-*.csv). One trace per script block or
 * command. */
#include "pipeline/toolspec.h"

#define CATEGORY "Password and Hash Dump"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"

static const tm_sub subs[] = {
    {TM_SUB_EXEC, "*", 0},
    {TM_SUB_EVTX, SYSMON, 11},
    {TM_SUB_USN, "lsass_*.dmp", 0},
    {TM_SUB_USN, "GPPDataReport-*", 0},
    TM_SUB_END,
};
static const char *const tools[] = {"PowerSploit_Invoke-Mimikatz", "PowerSploit_Out-Minidump",
                                    "PowerSploit_GetGPPPassword", "Find-GPOPasswords", "PowerMemory", NULL};

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})

static const tm_tool_spec specs[] = {
    {.tool = "PowerSploit_Invoke-Mimikatz", .category = CATEGORY, .role = TM_ROLE_SOURCE,
     .args = P("Invoke-Mimikatz"), .ok = TM_OK_SCRIPT, .one_per_record = true,
     .ok_reason = "a PowerShell script block holds Invoke-Mimikatz (4104)",
     .no_ok_reason = "Invoke-Mimikatz was run; no script block of it on record (4104 needs script block logging)"},
    {.tool = "PowerSploit_Out-Minidump", .category = CATEGORY, .role = TM_ROLE_HOST, .args = P("Out-Minidump"),
     .files = P("lsass_*.dmp"), .ok = TM_OK_FILE, .one_per_record = true, .files_alone = true,
     .ok_reason = "the lsass dump file (lsass_<pid>.dmp) was written",
     .no_ok_reason = "Out-Minidump was run; no dump file on record"},
    {.tool = "PowerSploit_GetGPPPassword", .category = CATEGORY, .role = TM_ROLE_SOURCE,
     .args = P("Get-GPPPassword"), .ok = TM_OK_SCRIPT, .one_per_record = true,
     .ok_reason = "a PowerShell script block holds Get-GPPPassword (4104)",
     .no_ok_reason = "Get-GPPPassword was run; no script block of it on record (4104)"},
    {.tool = "Find-GPOPasswords", .category = CATEGORY, .role = TM_ROLE_SOURCE, .args = P("Find-GPOPasswords"),
     .files = P("GPPDataReport-*"), .ok = TM_OK_FILE, .one_per_record = true, .files_alone = true,
     .ok_reason = "its report (GPPDataReport-*.csv) was written",
     .no_ok_reason = "Find-GPOPasswords was run; its report file is not on record"},
    {.tool = "PowerMemory", .category = CATEGORY, .role = TM_ROLE_SOURCE,
     .args = P("PowerMemory", "Reveal-MemoryCredentials", "RWMC"), .ok = TM_OK_SCRIPT, .one_per_record = true,
     .ok_reason = "a PowerShell script block holds the PowerMemory script (4104)",
     .no_ok_reason = "PowerMemory was run; no script block of it on record (4104)"},
};

static void run(const tm_view *v, tm_traces *out)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        tm_tool_traces(v, out, &specs[i]);
}

const tm_plugin tm_plugin_powersploit = {
    .name = "powersploit",
    .tools = tools,
    .category = CATEGORY,
    .summary = "PowerShell credential tools in script blocks, history and command lines, with their dump files",
    .subs = subs,
    .run = run,
};
