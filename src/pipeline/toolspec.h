/* Table-driven matching for tools whose traces follow one pattern: the
 * program runs (process records, Prefetch, typed or scripted commands), it
 * touches a process (Sysmon 10, Security 4656/4663 on lsass.exe ...), it
 * leaves files (USN journal, Sysmon 11), and the sheet's success evidence is
 * one of those. A plugin describes each tool with a tm_tool_spec and calls
 * tm_tool_traces; what the spec cannot say stays in the plugin's code.
 *
 * A plugin lists its specs in its descriptor; the pipeline derives what
 * they read (tm_plugin_subs): the programs (TM_SUB_EXEC, "*" when commands
 * are matched by their text), Sysmon 10/8 and Security 4656/4663 when
 * access_target is given, the USN globs of files with Sysmon 11 and
 * Security 4656/4663; and runs them (tm_tool_traces) before the plugin's
 * own code. */
#ifndef TM_TOOLSPEC_H
#define TM_TOOLSPEC_H

#include "pipeline/plugin.h"

typedef enum {
    TM_OK_NONE,   /* the sheet has no success evidence for this role */
    TM_OK_EXIT0,  /* the tool's process exit with status 0x0 (Security 4689) */
    TM_OK_ACCESS, /* its access to access_target (Sysmon 10, 4663) */
    TM_OK_FILE,   /* one of its files was written (USN, Sysmon 11) */
    TM_OK_SCRIPT, /* a PowerShell script block (4104) holds it */
} tm_ok_rule;

struct tm_tool_spec {
    const char *tool, *category;
    tm_role role;
    const char *const *programs;  /* program-name globs; NULL: any program whose command line matches args */
    const char *const *args;      /* command-line substrings (case-insensitive), any; NULL: no requirement */
    const char *const *args_not;  /* command-line substrings that rule a run out */
    const char *const *files;     /* file-name globs of files it writes (USN journal, Sysmon 11, 4663 objects) */
    const char *access_target;    /* program name of the process it opens ("lsass"), or NULL */
    tm_ok_rule ok;
    const char *ok_reason;        /* reason when confirmed */
    const char *no_ok_reason;     /* reason when not (the sheet's success evidence is missing) */
    bool files_alone;             /* report its files also when no run of it is on record */
    bool one_per_record;          /* script keywords: one trace per record, however many commands match */
    /* The records name the program but not which of the sheet's tools it
     * was (mimikatz without its module): the traces are unattributed, with
     * these candidates (NULL: attributed to `tool`). */
    const char *const *candidates;
};

/* Appends the traces for one tool; returns how many. */
size_t tm_tool_traces(const tm_view *v, tm_traces *out, const tm_tool_spec *spec);

/* A Sysmon 10 / Security 4656/4663 record: the accessing program and the
 * accessed process or object ("" when not such a record). */
bool tm_access_of(const tm_record *r, char *source, size_t sn, const char **target, const char **access);

#endif
