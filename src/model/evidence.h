/* Sources of evidence: what a host must have logged or kept for a tool to be
 * seen there. The coverage verdict states each one (there or not, and why);
 * each plugin says which ones each of its tools shows in (its `needs`), and
 * each artifact kind says which one its files feed (model/kind.h). */
#ifndef TM_EVIDENCE_H
#define TM_EVIDENCE_H

typedef enum {
    TM_COV_PROCESS,   /* Security 4688 process creation auditing */
    TM_COV_CMDLINE,   /* command lines in 4688 */
    TM_COV_EXIT,      /* Security 4689 process termination auditing */
    TM_COV_LOGON,     /* Security 4624 logon auditing */
    TM_COV_OBJECT,    /* Security 4656/4663 object access (files, kernel objects) */
    TM_COV_SHARE,     /* Security 5140/5145 file share auditing */
    TM_COV_ACCOUNT,   /* Security 4720... account management auditing */
    TM_COV_KERBEROS,  /* Security 4768/4769 */
    TM_COV_WFP,       /* Security 5156 filtering platform connections */
    TM_COV_SYSMON,    /* Sysmon */
    TM_COV_PSLOG,     /* PowerShell script block logging (4104) */
    TM_COV_SYSTEM,    /* the System log (7045, 7036, 104) */
    TM_COV_TASKLOG,   /* the TaskScheduler operational log */
    TM_COV_RDPLOG,    /* TerminalServices logs */
    TM_COV_WINRMLOG,  /* the WinRM operational log */
    TM_COV_BITSLOG,   /* the Bits-Client operational log */
    TM_COV_APPLOG,    /* the Application log (ESENT) */
    TM_COV_PREFETCH,  /* Prefetch files */
    TM_COV_USN,       /* the USN journal */
    TM_COV_REGISTRY,  /* the hives */
    TM_COV_TASKFILES, /* task XML and at-job files */
    TM_COV_HISTORY,   /* PSReadLine history */
    TM_COV__COUNT,
    /* Not sources themselves, for an artifact kind's row: */
    TM_COV__BY_CHANNEL = TM_COV__COUNT, /* event logs: the sources follow from channel and event id */
    TM_COV__NONE,                       /* feeds none (read with another artifact) */
} tm_cov_source;

/* "process creation auditing (Security 4688)" */
const char *tm_cov_name(tm_cov_source s);
/* "process": the key in summary.json's coverage.sources */
const char *tm_cov_key(tm_cov_source s);

#endif
