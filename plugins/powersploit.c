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

static const char *const tools[] = {"PowerSploit_Invoke-Mimikatz", "PowerSploit_Out-Minidump",
                                    "PowerSploit_GetGPPPassword", "Find-GPOPasswords", "PowerMemory", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"PowerSploit_Invoke-Mimikatz", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PSLOG, TM_COV_HISTORY, TM_COV_CMDLINE)},
    {"PowerSploit_Out-Minidump", TM_ROLE_HOST, TM_NEEDS(TM_COV_PSLOG, TM_COV_HISTORY, TM_COV_USN)},
    {"PowerSploit_GetGPPPassword", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PSLOG, TM_COV_HISTORY)},
    {"Find-GPOPasswords", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PSLOG, TM_COV_HISTORY, TM_COV_USN)},
    {"PowerMemory", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PSLOG, TM_COV_HISTORY)},
    {NULL, 0, NULL},
};

static const tm_tool_spec specs[] = {
    {.tool = "PowerSploit_Invoke-Mimikatz", .category = CATEGORY, .role = TM_ROLE_SOURCE,
     .args = TM_NAMES("Invoke-Mimikatz"), .ok = TM_OK_SCRIPT, .one_per_record = true,
     .ok_reason = "a PowerShell script block holds Invoke-Mimikatz (4104)",
     .no_ok_reason = "Invoke-Mimikatz was run; no script block of it on record (4104 needs script block logging)"},
    {.tool = "PowerSploit_Out-Minidump", .category = CATEGORY, .role = TM_ROLE_HOST, .args = TM_NAMES("Out-Minidump"),
     .files = TM_NAMES("lsass_*.dmp"), .ok = TM_OK_FILE, .one_per_record = true, .files_alone = true,
     .ok_reason = "the lsass dump file (lsass_<pid>.dmp) was written",
     .no_ok_reason = "Out-Minidump was run; no dump file on record"},
    {.tool = "PowerSploit_GetGPPPassword", .category = CATEGORY, .role = TM_ROLE_SOURCE,
     .args = TM_NAMES("Get-GPPPassword"), .ok = TM_OK_SCRIPT, .one_per_record = true,
     .ok_reason = "a PowerShell script block holds Get-GPPPassword (4104)",
     .no_ok_reason = "Get-GPPPassword was run; no script block of it on record (4104)"},
    {.tool = "Find-GPOPasswords", .category = CATEGORY, .role = TM_ROLE_SOURCE, .args = TM_NAMES("Find-GPOPasswords"),
     .files = TM_NAMES("GPPDataReport-*"), .ok = TM_OK_FILE, .one_per_record = true, .files_alone = true,
     .ok_reason = "its report (GPPDataReport-*.csv) was written",
     .no_ok_reason = "Find-GPOPasswords was run; its report file is not on record"},
    {.tool = "PowerMemory", .category = CATEGORY, .role = TM_ROLE_SOURCE,
     .args = TM_NAMES("PowerMemory", "Reveal-MemoryCredentials", "RWMC"), .ok = TM_OK_SCRIPT, .one_per_record = true,
     .ok_reason = "a PowerShell script block holds the PowerMemory script (4104)",
     .no_ok_reason = "PowerMemory was run; no script block of it on record (4104)"},
    {.tool = NULL},
};

const tm_plugin tm_plugin_powersploit = {
    .name = "powersploit",
    .tools = tools,
    .category = CATEGORY,
    .summary = "PowerShell credential tools in script blocks, history and command lines, with their dump files",
    .specs = specs,
    .needs = needs,
};
