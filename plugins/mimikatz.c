/* Mimikatz run as a program: lsadump::sam, sekurlsa::logonpasswords,
 * sekurlsa::tickets (the Kerberos forgeries are in kerberos.c, the
 * PowerShell loader in powersploit.c).
 *
 * The module is read from the command line (mimikatz takes its commands as
 * arguments), so a renamed binary is found too. Success per the sheet:
 * lsadump::sam opens winlogon.exe (Sysmon 10); sekurlsa::logonpasswords
 * opens lsass.exe (Sysmon 10, or 4663 "read from process memory");
 * sekurlsa::tickets writes .kirbi files. A mimikatz*.exe run whose module
 * is not on record (Prefetch alone, or commands typed at its prompt) names
 * mimikatz but not which of the sheet's tools it was: it is reported
 * unattributed, with its modules as the candidates. */
#include "pipeline/toolspec.h"

#define CATEGORY "Password and Hash Dump"

static const char *const tools[] = {"Mimikatz_lsadump-sam", "Mimikatz_sekurlsa-logonpasswords",
                                    "Mimikatz_sekurlsa-tickets", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"Mimikatz_lsadump-sam", TM_ROLE_HOST, TM_NEEDS(TM_COV_CMDLINE, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"Mimikatz_sekurlsa-logonpasswords", TM_ROLE_HOST,
     TM_NEEDS(TM_COV_CMDLINE, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_OBJECT)},
    {"Mimikatz_sekurlsa-tickets", TM_ROLE_HOST, TM_NEEDS(TM_COV_CMDLINE, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {NULL, 0, NULL},
};

static const char *const any_module[] = {"Mimikatz_sekurlsa-logonpasswords", "Mimikatz_sekurlsa-tickets",
                                         "Mimikatz_lsadump-sam", "RemoteLogin-Mimikatz", NULL};

static const tm_tool_spec specs[] = {
    {.tool = "Mimikatz_lsadump-sam", .category = CATEGORY, .role = TM_ROLE_HOST, .args = TM_NAMES("lsadump::sam"),
     .access_target = "winlogon", .ok = TM_OK_ACCESS, .ok_reason = "it opened winlogon.exe (Sysmon 10)",
     .no_ok_reason = "lsadump::sam ran; no access to winlogon.exe on record (Sysmon 10)"},
    {.tool = "Mimikatz_sekurlsa-logonpasswords", .category = CATEGORY, .role = TM_ROLE_HOST,
     .args = TM_NAMES("sekurlsa::logonpasswords", "sekurlsa::msv", "sekurlsa::wdigest"), .access_target = "lsass",
     .ok = TM_OK_ACCESS, .ok_reason = "it opened lsass.exe (Sysmon 10 / Security 4663)",
     .no_ok_reason = "sekurlsa::logonpasswords ran; no access to lsass.exe on record (Sysmon 10, 4663)"},
    {.tool = "Mimikatz_sekurlsa-tickets", .category = CATEGORY, .role = TM_ROLE_HOST, .args = TM_NAMES("sekurlsa::tickets"),
     .files = TM_NAMES("*.kirbi"), .access_target = "lsass", .ok = TM_OK_FILE, .files_alone = true,
     .ok_reason = "ticket files (.kirbi) were written",
     .no_ok_reason = "sekurlsa::tickets ran; no .kirbi file on record"},
    {.tool = "Mimikatz_sekurlsa-logonpasswords", .category = CATEGORY, .role = TM_ROLE_HOST,
     .programs = TM_NAMES("mimikatz*"), .args_not = TM_NAMES("::"), .access_target = "lsass", .ok = TM_OK_ACCESS,
     .ok_reason = "mimikatz opened lsass.exe (Sysmon 10 / Security 4656-4663), the sheet's success evidence for "
                  "sekurlsa::logonpasswords; the module itself is not on record",
     .no_ok_reason = "mimikatz ran, but which module is not on record (Prefetch or a bare start)",
     .candidates = any_module},
    {.tool = NULL},
};

const tm_plugin tm_plugin_mimikatz = {
    .name = "mimikatz",
    .tools = tools,
    .category = CATEGORY,
    .summary = "mimikatz lsadump::sam, sekurlsa::logonpasswords, sekurlsa::tickets: runs by module, process access, "
               ".kirbi files",
    .specs = specs,
    .needs = needs,
};
