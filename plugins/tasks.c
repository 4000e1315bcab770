/* schtasks and at: scheduled tasks as a way to run commands on a host.
 *
 * Source: schtasks.exe and at.exe runs; confirmed by 4689 status 0x0 (the
 * sheet, schtasks). Remote when the command names a host (/s, \\host).
 * Destination (the host the task runs on): the task's registration
 * (TaskScheduler 106, Security 4698, the task XML file, the TaskCache
 * registry keys, an at-job file), its runs (TaskScheduler 200/201, 129),
 * updates and deletion (140, 141, 4699-4702). Confirmed for schtasks when
 * 106 and 200/201 with a success return code are there (the sheet) - but
 * a registered task does not say what registered it (schtasks, the API,
 * PowerShell, ATexec, a GPO), so it is the activity "scheduled task
 * created", schtasks a candidate. Tasks made by at.exe (At<N>.job files,
 * tasks named At<N>) carry at's own naming and are reported as "at".
 * Tasks of Windows itself and of installed software (under \Microsoft\
 * with a program in System32 or Program Files) are not reported. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Command Execution"
#define TS "Microsoft-Windows-TaskScheduler/Operational"

enum {
    S_SCHTASKS, S_AT, S_106, S_140, S_141, S_200, S_201, S_129, S_102,
    S_4698, S_4699, S_4700, S_4701, S_4702, S_TASKFILE, S_JOBFILE, S_CACHE,
};
static const tm_sub subs[] = {
    [S_SCHTASKS] = {TM_SUB_EXEC, "schtasks", 0, NULL, NULL},
    [S_AT] = {TM_SUB_EXEC, "at", 0, NULL, NULL},
    [S_106] = {TM_SUB_EVTX, TS, 106, NULL, NULL},
    [S_140] = {TM_SUB_EVTX, TS, 140, NULL, NULL},
    [S_141] = {TM_SUB_EVTX, TS, 141, NULL, NULL},
    [S_200] = {TM_SUB_EVTX, TS, 200, NULL, NULL},
    [S_201] = {TM_SUB_EVTX, TS, 201, NULL, NULL},
    [S_129] = {TM_SUB_EVTX, TS, 129, NULL, NULL},
    [S_102] = {TM_SUB_EVTX, TS, 102, NULL, NULL},
    [S_4698] = {TM_SUB_EVTX, "Security", 4698, NULL, NULL},
    [S_4699] = {TM_SUB_EVTX, "Security", 4699, NULL, NULL},
    [S_4700] = {TM_SUB_EVTX, "Security", 4700, NULL, NULL},
    [S_4701] = {TM_SUB_EVTX, "Security", 4701, NULL, NULL},
    [S_4702] = {TM_SUB_EVTX, "Security", 4702, NULL, NULL},
    [S_TASKFILE] = {TM_SUB_KIND, "task", 0, NULL, NULL},
    [S_JOBFILE] = {TM_SUB_KIND, "atjob", 0, NULL, NULL},
    [S_CACHE] = {TM_SUB_FACT, "task_cache", 0, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"schtasks", "at", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"schtasks", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {"schtasks", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_TASKLOG, TM_COV_TASKFILES, TM_COV_REGISTRY)},
    {"at", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {"at", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_TASKFILES, TM_COV_TASKLOG)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"schtasks", NULL, NULL, "schtasks"},
    {"at", NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

/* The task's name as the item gives it, normalised to "\path\name". */
static void task_name(const tm_item *it, char *out, size_t n)
{
    const tm_record *r = it->r;
    const char *s = "";
    switch (it->sub) {
    case S_TASKFILE: s = tm_str(r, "uri"); if (!*s) s = tm_str(r, "task_path"); break;
    case S_CACHE: s = tm_str(r, "Path"); if (!*s) s = tm_str(r, "URI"); break;
    case S_JOBFILE: {
        const char *p = strrchr(it->art->path, '/');
        s = p ? p + 1 : it->art->path;
        break;
    }
    case S_4698: case S_4699: case S_4700: case S_4701: case S_4702: s = tm_data(r, "TaskName"); break;
    default: s = tm_data(r, "TaskName"); break;
    }
    size_t k = 0;
    if (*s != '\\' && *s != '/' && it->sub != S_JOBFILE && k + 1 < n)
        out[k++] = '\\';
    for (; *s && k + 1 < n; s++)
        out[k++] = *s == '/' ? '\\' : *s;
    out[k] = 0;
    if (it->sub == S_JOBFILE && k > 4 && strcasecmp(out + k - 4, ".job") == 0)
        out[k - 4] = 0;
}

static bool at_task(const char *name)
{
    const char *b = strrchr(name, '\\');
    b = b ? b + 1 : name;
    if (strncasecmp(b, "At", 2) != 0 || !b[2])
        return false;
    for (const char *p = b + 2; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

/* The command a registration item says the task runs. */
static const char *task_command(const tm_item *it)
{
    switch (it->sub) {
    case S_TASKFILE:
    case S_CACHE:
    case S_JOBFILE: return tm_str(it->r, "command_line");
    case S_200:
    case S_201: return tm_data(it->r, "ActionName");
    default: return ""; /* 4698's TaskContent is XML; the task file gives the command */
    }
}

typedef struct {
    char name[512];
    const tm_item **it;
    size_t n;
} task_group;

/* The group of a task name (case-insensitive, as Windows compares them). */
static task_group *group_of(task_group **gs, size_t *ng, tm_strmap *ix, const char *name)
{
    size_t i = tm_strmap_get(ix, name);
    if (i != TM_STRMAP_NONE)
        return &(*gs)[i];
    TM_GROW(*gs, *ng);
    tm_strmap_put(ix, name, *ng);
    task_group *g = &(*gs)[(*ng)++];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    return g;
}

static const char *summary(const tm_item *it, char *buf, size_t n)
{
    const tm_record *r = it->r;
    char acct[256];
    switch (it->sub) {
    case S_106: snprintf(buf, n, "task %s registered by %s", tm_data(r, "TaskName"), tm_data(r, "UserContext")); break;
    case S_140: snprintf(buf, n, "task %s updated by %s", tm_data(r, "TaskName"), tm_data(r, "UserName")); break;
    case S_141: snprintf(buf, n, "task %s deleted by %s", tm_data(r, "TaskName"), tm_data(r, "UserName")); break;
    case S_200: snprintf(buf, n, "task %s launched action %s", tm_data(r, "TaskName"), tm_data(r, "ActionName")); break;
    case S_201:
        snprintf(buf, n, "task %s completed action %s, return code %s", tm_data(r, "TaskName"), tm_data(r, "ActionName"),
                 tm_data(r, "ResultCode"));
        break;
    case S_129: snprintf(buf, n, "task %s launched process %s (pid %s)", tm_data(r, "TaskName"), tm_data(r, "Path"), tm_data(r, "ProcessID")); break;
    case S_102: snprintf(buf, n, "task %s finished for %s", tm_data(r, "TaskName"), tm_data(r, "UserContext")); break;
    case S_4698: case S_4699: case S_4700: case S_4701: case S_4702: {
        static const char *const what[] = {"created", "deleted", "enabled", "disabled", "updated"};
        tm_account(r, "Subject", acct, sizeof acct);
        snprintf(buf, n, "task %s %s by %s", tm_data(r, "TaskName"), what[it->sub - S_4698], acct);
        break;
    }
    case S_TASKFILE:
        snprintf(buf, n, "task file %s: runs %s as %s, author %s", tm_str(r, "uri"), tm_str(r, "command_line"),
                 tm_str(r, "user_id"), tm_str(r, "author"));
        break;
    case S_CACHE: snprintf(buf, n, "TaskCache %s: runs %s", tm_str(r, "Path"), tm_str(r, "command_line")); break;
    case S_JOBFILE:
        snprintf(buf, n, "at-job %s: runs %s, author %s, status %s", it->art->path, tm_str(r, "command_line"),
                 tm_str(r, "author"), tm_str(r, "status"));
        break;
    default: buf[0] = 0;
    }
    return buf;
}

static int64_t item_time(const tm_item *it, const tm_hostinfo *h)
{
    if (it->r->time != TM_TIME_NONE)
        return it->r->time;
    const char *keys[] = {"registration_date", "file_created", "created", NULL};
    for (size_t i = 0; keys[i]; i++) {
        const tm_field *f = tm_record_get(it->r, keys[i]);
        if (!f)
            continue;
        if (f->type == TM_F_TIME)
            return f->v.i;
        int64_t u;
        if (f->type == TM_F_LOCALTIME && tm_hostinfo_local_to_utc(h, f->v.i, &u))
            return u;
    }
    return TM_TIME_NONE;
}

static void destination(const tm_view *v, tm_traces *out)
{
    task_group *gs = NULL;
    size_t ng = 0;
    tm_strmap ix;
    tm_strmap_init(&ix, true);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->exec)
            continue;
        char name[512];
        task_name(it, name, sizeof name);
        if (!name[0] || strcmp(name, "\\") == 0)
            continue;
        task_group *g = group_of(&gs, &ng, &ix, name);
        TM_GROW(g->it, g->n);
        g->it[g->n++] = it;
    }
    tm_strmap_free(&ix);
    for (size_t gi = 0; gi < ng; gi++) {
        task_group *g = &gs[gi];
        const char *cmd = "";
        bool job = false;
        /* the task's own definition first, then what its runs name */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < g->n; i++) {
                bool def = g->it[i]->sub == S_TASKFILE || g->it[i]->sub == S_CACHE || g->it[i]->sub == S_JOBFILE;
                if (!*cmd && def == (pass == 0))
                    cmd = task_command(g->it[i]);
                job |= g->it[i]->sub == S_JOBFILE;
            }
        if (tm_benign_task(g->name, cmd))
            continue;
        bool is_at = job || at_task(g->name);
        int64_t first = TM_TIME_NONE;
        const char *desc = "Task registered";
        for (size_t i = 0; i < g->n; i++) {
            int64_t t = item_time(g->it[i], v->info);
            if (t != TM_TIME_NONE && (first == TM_TIME_NONE || t < first)) {
                first = t;
                switch (g->it[i]->sub) {
                case S_200: case S_201: case S_129: case S_102: desc = "Task ran (Task Scheduler)"; break;
                case S_JOBFILE: desc = "At-job file created"; break;
                case S_141: case S_4699: desc = "Task deleted"; break;
                default: desc = "Task registered"; break;
                }
            }
        }
        tm_trace *t = tm_trace_add(out, is_at ? "at" : "schtasks", CATEGORY, TM_ROLE_DESTINATION, first, desc);
        tm_trace_set(&t->host, v->host);
        tm_trace_set(&t->phase, "spread of infection");
        bool reg = false, started = false, ok = false, failed = false;
        char rc[32] = "";
        for (size_t i = 0; i < g->n; i++) {
            const tm_item *it = g->it[i];
            char s[1024];
            tm_cite(t, it->r, it->art, "%s", summary(it, s, sizeof s));
            switch (it->sub) {
            case S_106: case S_4698: reg = true; break;
            case S_200: case S_129: started = true; break;
            case S_201: {
                const char *code = tm_data(it->r, "ResultCode");
                snprintf(rc, sizeof rc, "%s", code);
                if (strtoul(code, NULL, 0) == 0 && *code)
                    ok = true;
                else
                    failed = true;
                break;
            }
            default: break;
            }
            if (!t->user) {
                const char *u = it->sub == S_106 ? tm_data(it->r, "UserContext") : "";
                char acct[256] = "";
                if (it->sub >= S_4698 && it->sub <= S_4702)
                    tm_account(it->r, "Subject", acct, sizeof acct), u = acct;
                if (it->sub == S_TASKFILE || it->sub == S_JOBFILE)
                    u = tm_str(it->r, "author");
                if (*u)
                    tm_trace_set(&t->user, u);
            }
        }
        if (*cmd)
            tm_trace_set(&t->command_line, cmd);
        if (ok)
            tm_trace_setf(&t->outcome, "action completed, return code %s", rc);
        else if (failed)
            tm_trace_setf(&t->outcome, "action completed, return code %s", rc);
        if (is_at)
            tm_confirm(t, false, "at-job found; the sheet defines no success record for at: the job %s",
                       job ? "file is on disk" : "is in the Task Scheduler records");
        else if (reg && started && ok)
            tm_confirm(t, true, "task registered (106/4698), started (200) and completed with return code 0 (201)");
        else
            tm_confirm(t, false, "not the full registered/started/completed-successfully sequence (TaskScheduler 106, "
                                 "200, 201)");
        tm_trace_set(&t->activity, "scheduled task created");
        if (is_at) { /* every record of the group carries at's name for it */
            for (size_t e = 0; e < t->nev; e++)
                tm_trace_attribute(t, TM_ATTR_BEHAVIOUR, &t->ev[e]);
        } else {
            static const char *const fits[] = {"schtasks", NULL};
            tm_trace_unattribute(t, fits);
        }
        tm_trace_setf(&t->message, "%s %s: %s", is_at ? "At-job" : "Scheduled task", g->name, *cmd ? cmd : "(action not recorded)");
    }
    for (size_t gi = 0; gi < ng; gi++)
        free(gs[gi].it);
    free(gs);
}

static const char *const schtasks_names[] = {"schtasks", NULL};
static const char *const at_names[] = {"at", NULL};

/* "at" alone lists jobs; it schedules with a time or /delete. */
static bool at_schedules(const tm_run *run)
{
    return run->best && run->best->command_line && strchr(run->best->command_line, ':');
}

static void run(const tm_view *v, tm_traces *out)
{
    tm_exec_rule st = {.tool = "schtasks", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_HOST,
                       .names = schtasks_names, .confirm_by_exit = true};
    tm_exec_traces(v, out, &st);
    tm_exec_rule at = {.tool = "at", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_HOST,
                       .names = at_names, .filter = at_schedules, .confirm_by_exit = true};
    tm_exec_traces(v, out, &at);
    destination(v, out);
}

const tm_plugin tm_plugin_tasks = {
    .name = "tasks",
    .tools = tools,
    .category = CATEGORY,
    .summary = "schtasks and at: runs on the source; task registration, runs and files on the destination",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
