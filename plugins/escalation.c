/* Escalation to SYSTEM: MS14-058, MS15-078 and SDB-UAC-Bypass.
 *
 * MS14-058 / MS15-078: a process running as SYSTEM whose parent is a
 * program a user started outside Windows' folders (the sheet: "a parent
 * that could not normally be its parent"), from Security 4688 and Sysmon 1:
 * the parent's own start (found by process id) must be on record with a
 * user's account. The two exploits
 * leave the same trace: the exploit's file name decides (ms15-078*, *15078*
 * ...), otherwise it is reported as MS14-058 and the reason says so.
 * SDB-UAC-Bypass: sdbinst.exe runs, the shim database installed
 * (AppCompatFlags InstalledSDB / Custom registry keys, *.sdb in the
 * journal), the fix applied when the shimmed program started
 * (Application-Experience/Program-Telemetry 500/505), confirmed when the
 * shimmed program started a child process. A fix that starts another
 * program or loads a library (RedirectEXE, InjectDll: what the bypass
 * uses) applied with no install on record is the activity "shim applied". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/strmap.h"
#include "util/buf.h"
#include "util/timeutil.h"

#define CATEGORY "Privilege Escalation"

#define TELEMETRY "Microsoft-Windows-Application-Experience/Program-Telemetry"

enum { S_EXEC, S_SDB_USN, S_CUSTOM, S_INSTALLED, S_FIX500, S_FIX505 };
static const tm_sub subs[] = {
    [S_EXEC] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
    [S_SDB_USN] = {TM_SUB_USN, "*.sdb", 0, NULL, NULL},
    [S_CUSTOM] = {TM_SUB_FACT, "appcompat_custom", 0, NULL, NULL},
    [S_INSTALLED] = {TM_SUB_FACT, "appcompat_installed_sdb", 0, NULL, NULL},
    [S_FIX500] = {TM_SUB_EVTX, TELEMETRY, 500, NULL, NULL},
    [S_FIX505] = {TM_SUB_EVTX, TELEMETRY, 505, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"MS14-058", "MS15-078", "SDB-UAC-Bypass", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"MS14-058", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON)},
    {"MS15-078", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON)},
    {"SDB-UAC-Bypass", TM_ROLE_HOST,
     TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_REGISTRY, TM_COV_USN)},
    {NULL, 0, NULL},
};

static bool system_account(const tm_exec *e)
{
    const char *u = e->user ? e->user : "";
    const char *sid = e->user_sid ? e->user_sid : "";
    return strcmp(sid, "S-1-5-18") == 0 || tm_icontains(u, "\\SYSTEM") || strcasecmp(u, "SYSTEM") == 0 ||
           tm_icontains(u, "WORKGROUP\\") || (u[0] && u[strlen(u) - 1] == '$');
}

static bool windows_program(const char *path)
{
    static const char *const dirs[] = {"C:\\Windows\\", "\\SystemRoot\\", "%SystemRoot%\\", "C:\\Program Files"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strncasecmp(path, dirs[i], strlen(dirs[i])) == 0)
            return true;
    return !strchr(path, '\\'); /* a bare name: not a user's program we can place */
}

/* Process starts by process id, then time: the parent of a start is the
 * latest earlier start with the record's parent pid (within a day). The
 * entries carry their keys: the sort and the search read no execution. */
typedef struct {
    uint64_t pid;
    int64_t time;
    const tm_exec *e;
} pid_entry;

typedef struct {
    pid_entry *e;
    size_t n;
} pid_index;

static int cmp_pid(const void *pa, const void *pb)
{
    const pid_entry *a = pa, *b = pb;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->e < b->e ? -1 : a->e > b->e;
}

static void index_starts(const tm_view *v, pid_index *ix)
{
    ix->e = tm_view_alloc(v, v->n, sizeof *ix->e);
    ix->n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_exec *p = v->items[i].exec;
        if (p && p->kind == TM_EXEC_START && !p->derived && p->has_pid && p->time != TM_TIME_NONE)
            ix->e[ix->n++] = (pid_entry){p->pid, p->time, p};
    }
    tm_view_sort(v, ix->e, ix->n, sizeof *ix->e, cmp_pid);
}

static const tm_exec *parent_of(const pid_index *ix, const tm_exec *e, uint64_t ppid, bool has_ppid)
{
    if (!has_ppid)
        return NULL;
    /* the last entry with pid == ppid and time <= e->time */
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const pid_entry *m = &ix->e[mid];
        if (m->pid < ppid || (m->pid == ppid && m->time <= e->time))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const pid_entry *p = &ix->e[lo - 1];
    if (p->pid != ppid || tm_time_gap(e->time, p->time) > 24 * 3600 * TM_SEC || p->e == e)
        return NULL;
    return p->e;
}

static void exploits(const tm_view *v, tm_traces *out)
{
    pid_index ix;
    index_starts(v, &ix);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_exec *e = v->items[i].exec;
        if (!e || e->kind != TM_EXEC_START || e->derived || !system_account(e))
            continue;
        /* the parent: its image, and its account when we can find its own start */
        uint64_t ppid = 0;
        bool has_ppid = false;
        const char *pp = tm_data(e->r, "ProcessId");
        if (strcasecmp(tm_channel(e->r), "Microsoft-Windows-Sysmon/Operational") == 0)
            pp = tm_data(e->r, "ParentProcessId");
        if (*pp) {
            char *end;
            ppid = strtoull(pp, &end, 0);
            has_ppid = !*end;
        }
        /* The parent's own start must be on record, run by a user: a SYSTEM
         * program (a service, an agent) starting SYSTEM processes gains
         * nothing. */
        const tm_exec *pe = parent_of(&ix, e, ppid, has_ppid);
        const char *parent = e->parent ? e->parent : pe ? pe->image : NULL;
        if (!parent || !pe || windows_program(parent) || system_account(pe) || !pe->user)
            continue;
        char pname[48];
        tm_program_name_of(parent, pname, sizeof pname);
        /* tools with a plugin of their own (mimikatz token::elevate, PsExec -s) */
        if (tm_iglob("mimikatz*", pname) || tm_iglob("psexe*", pname))
            continue;
        bool m15 = tm_icontains(pname, "15-078") || tm_icontains(pname, "15078");
        const char *tool = m15 ? "MS15-078" : "MS14-058";
        tm_trace *t = tm_trace_add(out, tool, CATEGORY, TM_ROLE_HOST, e->time, e->time_desc);
        tm_trace_set(&t->host, v->host);
        tm_trace_set(&t->command_line, e->command_line ? e->command_line : e->image);
        tm_trace_set(&t->user, pe && pe->user ? pe->user : NULL);
        char s[900];
        tm_exec_summary(e, s, sizeof s);
        tm_cite(t, e->r, e->art, "%s as SYSTEM, parent %s", s, parent);
        if (pe) {
            tm_exec_summary(pe, s, sizeof s);
            tm_cite(t, pe->r, pe->art, "parent %s (account %s)", s, pe->user ? pe->user : "?");
        }
        bool named = m15 || tm_icontains(pname, "14-058") || tm_icontains(pname, "14058");
        tm_confirm(t, true, "a process running as SYSTEM was started by %s, a user's program outside Windows' "
                            "folders%s",
                   parent, named ? "" : " (MS14-058 and MS15-078 leave the same trace: the exploit is not named)");
        tm_trace_set(&t->activity, "privilege escalation");
        if (named) { /* the exploit's program carries its name */
            tm_trace_attribute(t, TM_ATTR_NAMED, &t->ev[0]);
            if (t->nev > 1)
                tm_trace_attribute(t, TM_ATTR_NAMED, &t->ev[1]);
        } else {
            static const char *const fits[] = {"MS14-058", "MS15-078", NULL};
            tm_trace_unattribute(t, fits);
        }
        tm_trace_setf(&t->message, "Escalation to SYSTEM: %s started %s as SYSTEM", pname,
                      e->image ? e->image : e->name);
    }
    tm_view_free(v, ix.e);
}

/* A compatibility fix applied (Program-Telemetry 500/505): the program it
 * was applied to and the fix. */
static const char *fix_target(const tm_record *r)
{
    const char *p = tm_data(r, "ExePath");
    return *p ? p : tm_data(r, "ExecutablePath");
}

/* Fixes that run something else in the program's place or inside it. */
static bool redirecting_fix(const tm_record *r)
{
    const char *fix = tm_data(r, "FixName");
    return tm_icontains(fix, "RedirectEXE") || tm_icontains(fix, "InjectDll") || tm_icontains(fix, "Redirect.EXE");
}

static void sdb(const tm_view *v, tm_traces *out)
{
    static const char *const names[] = {"sdbinst", NULL};
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    size_t first = out->n;
    /* process starts by the program name of their parent, in time order */
    tm_strmap by_parent;
    tm_strmap_init(&by_parent, true);
    size_t **kids = NULL, *nkids = NULL, nparents = 0;
    for (size_t c = 0; runs.n && tm_view_has(v, c); c++) {
        const tm_exec *e = v->items[c].exec;
        char pn[48] = "";
        if (e && e->parent)
            tm_program_name_of(e->parent, pn, sizeof pn);
        if (!e || e->kind != TM_EXEC_START || !pn[0])
            continue;
        size_t p = tm_strmap_get(&by_parent, pn);
        if (p == TM_STRMAP_NONE) {
            TM_GROW(kids, nparents);
            TM_GROW(nkids, nparents);
            kids[nparents] = NULL;
            nkids[nparents] = 0;
            tm_strmap_put(&by_parent, pn, nparents);
            p = nparents++;
        }
        TM_GROW(kids[p], nkids[p]);
        kids[p][nkids[p]++] = c;
    }
    bool *fixed = tm_view_alloc(v, v->n, sizeof *fixed); /* fixes cited with an install */
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        tm_trace *t = tm_trace_for_run(out, v, run, "SDB-UAC-Bypass", CATEGORY, TM_ROLE_HOST);
        /* the database it installed, and the program it shims */
        bool child = false;
        size_t k0, k1;
        tm_view_around(v, run->time, TM_MIN - 1, 10 * TM_MIN - 1, &k0, &k1);
        for (size_t k = k0; k < k1 && run->time != TM_TIME_NONE; k++) {
            const tm_item *it = &v->items[k];
            if (it->exec)
                continue;
            int64_t d = it->r->time - run->time;
            if (it->sub == S_SDB_USN && d > -TM_MIN && d < 10 * TM_MIN)
                tm_cite(t, it->r, it->art, "%s: %s", tm_str(it->r, "file_name"), tm_str(it->r, "reasons"));
            if ((it->sub == S_INSTALLED || it->sub == S_CUSTOM) && d > -TM_MIN && d < 10 * TM_MIN) {
                tm_cite(t, it->r, it->art, "AppCompatFlags %s %s", it->sub == S_CUSTOM ? "Custom" : "InstalledSDB",
                        tm_str(it->r, "name"));
                if (it->sub == S_CUSTOM) {
                    /* a child of the shimmed program after the install */
                    char shimmed[48];
                    tm_program_name_of(tm_str(it->r, "name"), shimmed, sizeof shimmed);
                    size_t p = tm_strmap_get(&by_parent, shimmed);
                    for (size_t c = 0; p != TM_STRMAP_NONE && c < nkids[p]; c++) {
                        const tm_exec *e = v->items[kids[p][c]].exec;
                        if (e->time >= run->time) {
                            char s[900];
                            tm_exec_summary(e, s, sizeof s);
                            tm_cite(t, e->r, e->art, "%s (parent %s, the shimmed program)", s, e->parent);
                            child = true;
                        }
                    }
                }
            }
        }
        /* the fix applied when a program started after the install */
        for (size_t k = k0; k < k1 && run->time != TM_TIME_NONE; k++) {
            const tm_item *it = &v->items[k];
            if ((it->sub != S_FIX500 && it->sub != S_FIX505) || it->r->time < run->time)
                continue;
            tm_cite(t, it->r, it->art, "compatibility fix %s applied to %s", tm_data(it->r, "FixName"),
                    fix_target(it->r));
            fixed[k] = true;
        }
        tm_confirm(t, child, child ? "the shimmed program started a process it would not normally start"
                                   : "a shim database was installed; no process started through it on record");
        /* installers run sdbinst too: the bypass is the shimmed program
         * starting what it never would */
        tm_trace_set(&t->activity, "shim installed");
        if (!child) {
            static const char *const fits[] = {"SDB-UAC-Bypass", NULL};
            tm_trace_unattribute(t, fits);
        }
        tm_trace_setf(&t->message, "Shim database installed: %s", t->command_line ? t->command_line : "sdbinst");
    }
    tm_runs_free(&runs);
    for (size_t p = 0; p < nparents; p++)
        free(kids[p]);
    free(kids);
    free(nkids);
    tm_strmap_free(&by_parent);
    /* Installed databases no sdbinst run on record explains (its process
     * records are gone): the registry keeps them. */
    for (size_t k = 0; tm_view_has(v, k); k++) {
        const tm_item *it = &v->items[k];
        if (it->sub != S_INSTALLED)
            continue;
        bool cited = false;
        for (size_t i = first; i < out->n && !cited; i++)
            for (size_t e = 0; e < out->t[i].nev && !cited; e++)
                cited = out->t[i].ev[e].record == it->r->position && strcmp(out->t[i].ev[e].kind, "registry") == 0;
        if (cited)
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "SDB-UAC-Bypass", CATEGORY, TM_ROLE_HOST,
                                          "Shim database installed (InstalledSDB key last written)");
        tm_cite(t, it->r, it->art, "AppCompatFlags InstalledSDB %s: %s (%s)", tm_str(it->r, "name"),
                tm_str(it->r, "DatabasePath"), tm_str(it->r, "DatabaseDescription"));
        size_t c0, c1;
        tm_view_around(v, it->r->time, 10 * TM_MIN - 1, TM_MIN - 1, &c0, &c1);
        for (size_t c = c0; c < c1; c++) {
            const tm_item *o = &v->items[c];
            if (o->sub == S_SDB_USN && o->r->time != TM_TIME_NONE && it->r->time != TM_TIME_NONE &&
                o->r->time > it->r->time - 10 * TM_MIN && o->r->time < it->r->time + TM_MIN)
                tm_cite(t, o->r, o->art, "%s: %s", tm_str(o->r, "file_name"), tm_str(o->r, "reasons"));
        }
        tm_confirm(t, false, "a custom shim database is installed; no process started through it on record "
                             "(installers and compatibility fixes use shims too)");
        static const char *const fits[] = {"SDB-UAC-Bypass", NULL};
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, "shim installed");
        tm_trace_setf(&t->message, "Custom shim database installed: %s", tm_str(it->r, "DatabasePath"));
    }
    /* Redirecting fixes applied with no install on record: per program
     * and burst (10 minutes) */
    tm_strmap open;
    tm_strmap_init(&open, true);
    size_t made = out->n;
    int64_t *last = NULL;
    size_t nlast = 0;
    for (size_t k = 0; tm_view_has(v, k); k++) {
        const tm_item *it = &v->items[k];
        if ((it->sub != S_FIX500 && it->sub != S_FIX505) || fixed[k] || !redirecting_fix(it->r) ||
            it->r->time == TM_TIME_NONE)
            continue;
        const char *target = fix_target(it->r);
        size_t b = tm_strmap_get(&open, target);
        if (b == TM_STRMAP_NONE || it->r->time - last[b - made] >= 10 * TM_MIN) {
            tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_HOST,
                                              "Compatibility fix applied (Program-Telemetry)");
            static const char *const fits[] = {"SDB-UAC-Bypass", NULL};
            tm_trace_unattribute(t, fits);
            tm_trace_set(&t->activity, "shim applied");
            tm_trace_set(&t->command_line, target);
            tm_trace_set(&t->user_sid, *tm_str(it->r, "user_sid") ? tm_str(it->r, "user_sid") : NULL);
            tm_confirm(t, false, "a compatibility fix that runs something in the program's place (%s) was applied; "
                                 "the shim database's install is not on record",
                       tm_data(it->r, "FixName"));
            tm_trace_setf(&t->message, "Compatibility fix %s applied to %s", tm_data(it->r, "FixName"), target);
            b = out->n - 1;
            tm_strmap_put(&open, target, b);
            TM_GROW(last, nlast);
            nlast++;
        }
        last[b - made] = it->r->time;
        tm_cite(&out->t[b], it->r, it->art, "compatibility fix %s applied to %s", tm_data(it->r, "FixName"), target);
    }
    free(last);
    tm_strmap_free(&open);
    tm_view_free(v, fixed);
}

static void run(const tm_view *v, tm_traces *out)
{
    exploits(v, out);
    sdb(v, out);
}

const tm_plugin tm_plugin_escalation = {
    .name = "escalation",
    .tools = tools,
    .category = CATEGORY,
    .summary = "SYSTEM processes started by users' programs (MS14-058, MS15-078); shim databases (SDB UAC bypass)",
    .subs = subs,
    .needs = needs,
    .run = run,
};
