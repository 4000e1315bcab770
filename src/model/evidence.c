#include "model/evidence.h"

static const struct {
    const char *key, *name;
} sources[TM_COV__COUNT] = {
    [TM_COV_PROCESS] = {"process", "process creation auditing (Security 4688)"},
    [TM_COV_CMDLINE] = {"cmdline", "command lines in 4688"},
    [TM_COV_EXIT] = {"exit", "process termination auditing (4689)"},
    [TM_COV_LOGON] = {"logon", "logon auditing (4624)"},
    [TM_COV_OBJECT] = {"object", "object access auditing (4656/4663)"},
    [TM_COV_SHARE] = {"share", "file share auditing (5140/5145)"},
    [TM_COV_ACCOUNT] = {"account", "account management auditing (4720 ...)"},
    [TM_COV_KERBEROS] = {"kerberos", "Kerberos auditing (4768/4769)"},
    [TM_COV_WFP] = {"wfp", "filtering platform auditing (5156)"},
    [TM_COV_SYSMON] = {"sysmon", "Sysmon"},
    [TM_COV_PSLOG] = {"pslog", "PowerShell script block logging (4104)"},
    [TM_COV_SYSTEM] = {"system", "System log"},
    [TM_COV_TASKLOG] = {"tasklog", "Task Scheduler log"},
    [TM_COV_RDPLOG] = {"rdplog", "Terminal Services logs"},
    [TM_COV_WINRMLOG] = {"winrmlog", "WinRM log"},
    [TM_COV_BITSLOG] = {"bitslog", "Bits-Client log"},
    [TM_COV_APPLOG] = {"applog", "Application log"},
    [TM_COV_PREFETCH] = {"prefetch", "Prefetch"},
    [TM_COV_USN] = {"usn", "USN journal"},
    [TM_COV_REGISTRY] = {"registry", "registry hives"},
    [TM_COV_TASKFILES] = {"taskfiles", "task and at-job files"},
    [TM_COV_HISTORY] = {"history", "PowerShell history (PSReadLine)"},
};

const char *tm_cov_name(tm_cov_source s)
{
    return (unsigned)s < TM_COV__COUNT ? sources[s].name : "?";
}

const char *tm_cov_key(tm_cov_source s)
{
    return (unsigned)s < TM_COV__COUNT ? sources[s].key : "?";
}
