/* Executions and runs.
 *
 * An *execution* is one thing a record says about a program running: a
 * process start (Security 4688, Sysmon 1), an exit with its status (4689,
 * Sysmon 5), a Prefetch run time, a command typed into PowerShell
 * (PSReadLine), a command inside a script block (PowerShell 4104), an
 * at-job or scheduled-task action (a task file, Security 4698), a service's
 * image path (System 7045, Security 4697, Sysmon 13 on the service's
 * ImagePath), a WMI consumer's command line (Sysmon 20), the command line of
 * a shell that started a process (Sysmon 1 ParentCommandLine), the host
 * command line of a PowerShell engine (Windows PowerShell 400), the script
 * given to Invoke-Expression (PowerShell 4103).
 * Commands inside a command line (cmd /c "a & b", powershell -enc) become
 * executions of their own, marked `derived`.
 *
 * A *run* groups the executions that describe the same program run: the
 * start, its exit (same process id), the Prefetch run time a few seconds
 * later, the derived command inside the parent's command line. Plugins reason
 * over runs, so that one run seen by four artifacts is one trace citing four
 * records. */
#ifndef TM_RUNS_H
#define TM_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/artifact.h"
#include "model/record.h"
#include "util/arena.h"

typedef enum {
    TM_EXEC_START,     /* process creation */
    TM_EXEC_EXIT,      /* process exit */
    TM_EXEC_PREFETCH,  /* a run time in a Prefetch file */
    TM_EXEC_HISTORY,   /* a PSReadLine command */
    TM_EXEC_SCRIPT,    /* a command inside a PowerShell script block */
    TM_EXEC_SCHEDULED, /* an at-job / scheduled-task action */
    TM_EXEC_SERVICE,   /* a service's image path (installed) */
    TM_EXEC_CONSUMER,  /* a WMI event consumer's command line (registered) */
} tm_exec_kind;

typedef struct {
    tm_exec_kind kind;
    int64_t time;          /* TM_TIME_NONE when unknown */
    const char *time_desc; /* static */
    char name[48];         /* program: lowercase, no path, no extension ("psexec", "net") */
    char verb[24];         /* its first argument, lowercase */
    char file_name[48];    /* when renamed: the program's name on disk ("svc1"); name is its original */
    bool renamed;          /* the file's own version information names another program (Sysmon 1 OriginalFileName) */
    char *image;           /* as written (full path where the record has one) */
    char *command_line;    /* this command's text */
    char *user;            /* DOMAIN\user */
    char *user_sid;
    char *logon_id;
    char *parent; /* parent image */
    bool has_pid;
    uint64_t pid;
    bool has_status;
    uint32_t status; /* exit status */
    bool derived;    /* split out of another command line */
    bool encoded;    /* from a powershell -enc payload */
    bool in_powershell; /* a PowerShell statement: echo, dir, del ... are cmdlet aliases there */
    char *redirect;  /* "> file" target */
    uint32_t run_count; /* Prefetch */
    const tm_record *r;
    const tm_artifact *art;
} tm_exec;

typedef struct {
    tm_exec *e;
    size_t n, cap;
    tm_arena text;   /* the executions' strings */
    tm_spill *spill; /* where the array and the strings live; NULL: the heap */
} tm_execs;

void tm_execs_init(tm_execs *x);
/* The executions made from now on live in s (--memory, util/spill.h). */
void tm_execs_use_spill(tm_execs *x, tm_spill *s);
void tm_execs_free(tm_execs *x);
/* A copy of s among the executions' strings, freed with them: every string
 * of an execution is one of these. */
char *tm_execs_strdup(tm_execs *x, const char *s);

/* Hooks the deriver needs from the host pass: times for PSReadLine commands. */
typedef struct {
    /* For the k-th command from the end of a history artifact: bounds from
     * the USN journal; false when unknown. */
    bool (*history_bounds)(void *ctx, const tm_artifact *a, size_t k_from_end, int64_t *not_before,
                           int64_t *not_after);
    void *ctx;
    /* Local time to UTC (at-jobs, task XML without offset). */
    bool (*local_to_utc)(void *ctx, int64_t local, int64_t *utc);
} tm_exec_env;

/* Appends the executions a record describes (none for most records).
 * history_k: for a PSReadLine command, its place from the end of its file
 * (1 = the last command), 0 when unknown. */
void tm_execs_from_record(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env,
                          size_t history_k);
/* The commands of a PowerShell script block (parts already joined). */
void tm_execs_from_script(tm_execs *x, const char *text, int64_t time, const char *user, const tm_record *r,
                          const tm_artifact *a);
/* A registry write (Sysmon 13) to a service's ImagePath value
 * (HKLM\System\...\Services\<name>\ImagePath). */
bool tm_service_image_write(const tm_record *r);
/* The command line of a task definition's first Exec action (Command and
 * Arguments, XML entities decoded) into out; false when it has none. */
bool tm_task_xml_action(const char *xml, char *out, size_t n);
/* Sorts by time (unknown last), then artifact path and position. */
void tm_execs_sort(tm_execs *x);

/* ---- runs ---- */
typedef struct {
    const tm_exec **e; /* members, start (if any) first */
    size_t n, cap;
    int64_t time;          /* the run's time: start, else earliest member */
    const char *time_desc;
    const tm_exec *start;  /* START member, else NULL */
    const tm_exec *exit;   /* EXIT member, else NULL */
    const tm_exec *best;   /* member with the fullest command line */
    char name[48];
} tm_run;

typedef struct {
    tm_run *r;
    size_t n, cap;
    tm_spill *spill; /* where r lives (util/spill.h); NULL: the heap */
} tm_runs;

/* Groups executions (already filtered by the caller, e.g. to one program)
 * into runs: exits join the start with the same process id (or the latest
 * open start of that program), Prefetch times join a start within 60 s, a
 * derived command joins its program's own start within 10 s; executions
 * with no process of their own and the same command line and kind within
 * 60 s (one service seen by 7045 and 4697, a shell's command line seen in
 * its own start and as its child's parent) are one run. The runs' array
 * lives in s (a pass's: tm_view_spill; NULL: the heap). */
void tm_runs_build(tm_runs *out, tm_spill *s, const tm_exec *const *execs, size_t n);
/* Moves from's runs to the end of into's (their members with them) and
 * empties from. */
void tm_runs_take(tm_runs *into, tm_runs *from);
void tm_runs_free(tm_runs *rs);

/* A member's file is a renamed copy of the run's program. */
bool tm_run_renamed(const tm_run *r);
/* Exit status 0x0 in the run's exit. */
bool tm_run_succeeded(const tm_run *r);
const char *tm_exec_kind_name(tm_exec_kind k);

#endif
