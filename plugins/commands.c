/* The command-phase classifier: every Windows command attackers are known
 * to run (../shared/evidence/commands.json, src/pipeline/cmdline.c), found
 * in any command line toolmark sees - process creation (4688, Sysmon 1),
 * PowerShell script blocks and typed history, at-job and task actions,
 * service image paths - including commands inside `cmd /c` chains and
 * `powershell -enc` payloads. One trace per command run, with its phase.
 *
 * Commands a tool plugin claims (its `claims`: net use, net user, net
 * group, schtasks, at, wmic, dsquery, csvde, nltest, wevtutil, klist purge,
 * cscript running wmiexec.vbs or winrm.vbs) are left to it.
 * `echo ... > file` writing a script (.bat, .cmd, .vbs, .ps1 ...) is
 * reported as script creation. A bare `powershell` with no arguments
 * (an interactive console) is not a command run; nor is `echo` or `set`
 * in a PowerShell statement (aliases of Write-Output and Set-Variable)
 * unless it writes a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cmdline.h"
#include "pipeline/plugin.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Windows command"

static const tm_sub subs[] = {{TM_SUB_EXEC, "*", 0, NULL, NULL}, TM_SUB_END};

/* Names the classifier reports (the table's commands). */
static const char *const tools[] = {
    "tasklist", "ver", "ipconfig", "net time", "systeminfo", "netstat", "whoami", "nbtstat", "net start", "set",
    "qprocess", "nslookup", "dir", "ping", "net view", "type", "echo", "net localgroup", "net config",
    "net share", "quser", "net session", "query", "tracert", "cscript", "dumpel", "tree",
    "LogParser", "net accounts", "route", "move", "copy", "ren", "reg", "powershell", "md", "runas", "sc", "netsh",
    "mofcomp", "del", "taskkill", "klist", "rd", NULL};

static const tm_command_info *lookup(const tm_exec *e)
{
    tm_cmd c = {0};
    snprintf(c.name, sizeof c.name, "%s", e->name);
    snprintf(c.verb, sizeof c.verb, "%s", e->verb);
    return tm_command_lookup(&c);
}

static bool script_file(const char *path)
{
    static const char *const ext[] = {".bat", ".cmd", ".vbs", ".vbe", ".js", ".jse", ".ps1", ".wsf", ".hta"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t el = strlen(ext[i]);
        if (n > el && strcasecmp(path + n - el, ext[i]) == 0)
            return true;
    }
    return false;
}

/* Whether a command line has anything after its program word. */
static bool has_arguments(const char *cl)
{
    if (!cl)
        return false;
    while (*cl == ' ' || *cl == '\t')
        cl++;
    if (*cl == '"') {
        const char *q = strchr(cl + 1, '"');
        cl = q ? q + 1 : cl + strlen(cl);
    } else {
        cl += strcspn(cl, " \t");
    }
    while (*cl == ' ' || *cl == '\t' || *cl == '\r' || *cl == '\n')
        cl++;
    return *cl != 0;
}

static void run(const tm_view *v, tm_traces *out)
{
    /* Executions whose command is in the table, grouped into runs per
     * command (so "cmd /c net view" and net.exe's own 4688 are one run). */
    const tm_exec **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_exec *e = v->items[i].exec;
        if (!e)
            continue;
        const tm_command_info *ci = lookup(e);
        if (!ci && !((e->kind == TM_EXEC_EXIT || e->kind == TM_EXEC_PREFETCH) && strcmp(e->name, "net") == 0))
            continue;
        /* the actions of Windows' own tasks */
        if (e->kind == TM_EXEC_SCHEDULED) {
            const char *task = e->r->kind == TM_ART_TASK ? tm_str(e->r, "uri")
                               : e->r->kind == TM_ART_EVTX ? tm_data(e->r, "TaskName")
                                                           : tm_str(e->r, "Path");
            if (tm_benign_task(task, e->r->kind == TM_ART_EVTX ? e->command_line : tm_str(e->r, "command_line")))
                continue;
        }
        /* a console, not a command: powershell with no arguments */
        if (ci && strcmp(ci->command, "powershell") == 0 && e->kind != TM_EXEC_EXIT && e->kind != TM_EXEC_PREFETCH &&
            !has_arguments(e->command_line))
            continue;
        /* In PowerShell, echo is Write-Output and set is Set-Variable:
         * printing a string is not cmd's echo (writing a script file is) */
        if (ci && e->in_powershell && !e->redirect &&
            (strcmp(ci->command, "echo") == 0 || strcmp(ci->command, "set") == 0))
            continue;
        sel[n++] = e;
    }
    tm_runs runs;
    tm_runs_build(&runs, tm_view_spill(v), sel, n);
    tm_view_free(v, sel);
    /* Commands seen only in the image paths of services installed in a
     * burst, with one pattern (a payload split over hundreds of services):
     * one trace, with the count of services. */
    tm_strmap burst; /* command and pattern -> index of the trace of its burst */
    tm_strmap_init(&burst, true);
    size_t *bcount = NULL, nbc = 0, first = out->n;
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        const tm_exec *b = run->best ? run->best : run->e[0];
        const tm_command_info *ci = lookup(b);
        if (!ci) /* an exit or prefetch-only run of a command whose verb is unknown */
            for (size_t k = 0; k < run->n && !ci; k++)
                ci = lookup(run->e[k]);
        if (!ci)
            continue;
        /* Runs a tool plugin reports (net use, klist purge ...). */
        bool theirs = false;
        for (size_t k = 0; k < run->n && !theirs; k++) {
            const tm_command_info *mi = lookup(run->e[k]);
            theirs = mi && tm_command_claimed(mi->command, run->e[k]);
        }
        if (theirs)
            continue;
        /* Exits and Prefetch alone say a program ran, not which command:
         * for net, the verb is needed. */
        bool only_runtime = true;
        for (size_t k = 0; k < run->n; k++)
            only_runtime &= run->e[k]->kind == TM_EXEC_EXIT || run->e[k]->kind == TM_EXEC_PREFETCH;
        if (only_runtime && strncmp(ci->command, "net ", 4) == 0)
            continue;
        bool services = true;
        for (size_t k = 0; k < run->n; k++)
            services &= run->e[k]->kind == TM_EXEC_SERVICE;
        char key[1100] = "";
        if (services && b->command_line && run->time != TM_TIME_NONE) {
            char pattern[1024];
            tm_text_pattern(b->command_line, pattern, sizeof pattern);
            snprintf(key, sizeof key, "%s|%s", ci->command, pattern);
            size_t k = tm_strmap_get(&burst, key);
            tm_trace *prev = k != TM_STRMAP_NONE ? &out->t[k] : NULL;
            if (prev && prev->nev && prev->ev[prev->nev - 1].time != TM_TIME_NONE &&
                run->time - prev->ev[prev->nev - 1].time < 10 * TM_MIN) {
                tm_cite_run(prev, run);
                bcount[k - first]++;
                tm_trace_setf(&prev->message, "%s (%s) in the image paths of %zu services installed in a burst, the "
                              "first: %s", ci->command, ci->phase, bcount[k - first], prev->command_line);
                continue;
            }
        }
        tm_trace *t = tm_trace_for_run(out, v, run, ci->command, CATEGORY, TM_ROLE_HOST);
        while (nbc < out->n - first) {
            TM_GROW(bcount, nbc);
            bcount[nbc++] = 1;
        }
        if (key[0])
            tm_strmap_put(&burst, key, out->n - 1);
        tm_trace_set(&t->phase, ci->phase);
        if (t->peer)
            t->role = TM_ROLE_SOURCE;
        const char *redir = NULL;
        for (size_t k = 0; k < run->n && !redir; k++)
            redir = run->e[k]->redirect;
        if (!tm_confirm_exit0(t, run)) {
            if (run->start)
                tm_confirm(t, false, "process creation recorded; no exit status 0x0");
            else
                tm_confirm(t, false, "seen in %s; its result is not recorded", tm_exec_kind_name(b->kind));
        }
        if (strcmp(ci->command, "echo") == 0 && redir && script_file(redir)) {
            tm_trace_setf(&t->outcome, "wrote %s", redir);
            tm_trace_setf(&t->message, "Script file %s written with echo: %s", redir, b->command_line);
        } else {
            tm_trace_setf(&t->message, "%s (%s): %s", ci->command, ci->phase,
                          b->command_line ? b->command_line : ci->command);
            if (redir)
                tm_trace_setf(&t->outcome, "output to %s", redir);
        }
    }
    tm_runs_free(&runs);
    tm_strmap_free(&burst);
    free(bcount);
}

const tm_plugin tm_plugin_commands = {
    .name = "commands",
    .tools = tools,
    .category = CATEGORY,
    .summary = "Windows commands attackers run, by phase, from every command line, script and history",
    .subs = subs,
    .run = run,
};
