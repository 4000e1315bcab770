/* SDelete: files overwritten, renamed and deleted.
 *
 * Host: sdelete*.exe runs; the per-user EulaAccepted key (first run by that
 * user); files renamed to names of one repeated letter ("sdeleAAAAAAAAAA.AAA"
 * ... "ZZZZZZZZ.ZZZ": SDelete renames a file 26 times before deleting it) in
 * the journal and in Security 4656/4663 (object access); confirmed by 4656
 * on such a name (the sheet). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Deleting Evidence"

enum { S_EXEC, S_EULA, S_USN, S_4656, S_4663 };
static const char *const tools[] = {"sdelete", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"sdelete", TM_ROLE_HOST,
     TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_REGISTRY, TM_COV_USN, TM_COV_OBJECT)},
    {NULL, 0, NULL},
};
static const char *const names[] = {"sdelete*", NULL};

/* A file name whose last 8+ characters (dots aside) are one repeated letter. */
static bool sdelete_name(const char *path)
{
    const char *b = strrchr(path, '\\');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n < 8)
        return false;
    char c = 0;
    size_t run = 0;
    for (size_t i = n; i-- > 0;) {
        if (b[i] == '.')
            continue;
        if (!isupper((unsigned char)b[i]))
            break;
        if (!c)
            c = b[i];
        if (b[i] != c)
            break;
        run++;
    }
    return run >= 8;
}

/* An object with SDelete's renamed name: all this plugin reads of 4656/4663. */
static bool sdelete_object(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return sdelete_name(tm_data(r, "ObjectName"));
}

static const tm_sub subs[] = {
    [S_EXEC] = {TM_SUB_EXEC, "sdelete*", 0, NULL, NULL},
    [S_EULA] = {TM_SUB_FACT, "sysinternals_eula", 0, NULL, NULL},
    [S_USN] = {TM_SUB_USN, "*AAAAAAAA*", 0, NULL, NULL},
    [S_4656] = {TM_SUB_EVTX, "Security", 4656, sdelete_object, NULL},
    [S_4663] = {TM_SUB_EVTX, "Security", 4663, sdelete_object, NULL},
    TM_SUB_END,
};

static void run(const tm_view *v, tm_traces *out)
{
    const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if ((it->sub == S_USN && sdelete_name(tm_str(it->r, "file_name"))) ||
            ((it->sub == S_4656 || it->sub == S_4663) && sdelete_name(tm_data(it->r, "ObjectName"))))
            sel[n++] = it;
    }
    /* Runs of the program, each with the renames within 10 minutes after it. */
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    bool *used = tm_xcalloc(n ? n : 1, sizeof *used);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        tm_trace *t = tm_trace_for_run(out, v, run, "sdelete", CATEGORY, TM_ROLE_HOST);
        bool audited = false;
        /* sel is in time order: from the first at or after run - 1 s */
        size_t k = 0, hi = run->time == TM_TIME_NONE ? 0 : n;
        while (k < hi) {
            size_t mid = k + (hi - k) / 2;
            if (sel[mid]->r->time != TM_TIME_NONE && sel[mid]->r->time < run->time - TM_SEC)
                k = mid + 1;
            else
                hi = mid;
        }
        for (; run->time != TM_TIME_NONE && k < n; k++) {
            const tm_record *r = sel[k]->r;
            if (r->time == TM_TIME_NONE || r->time > run->time + 10 * TM_MIN)
                break;
            used[k] = true;
            if (sel[k]->sub == S_USN)
                tm_cite(t, r, sel[k]->art, "%s: %s", tm_str(r, "file_name"), tm_str(r, "reasons"));
            else
                tm_cite(t, r, sel[k]->art, "access to %s (%s)", tm_data(r, "ObjectName"), tm_data(r, "AccessList"));
            audited |= sel[k]->sub == S_4656;
        }
        size_t e0, e1;
        tm_view_around(v, run->time, TM_MIN, TM_MIN, &e0, &e1);
        for (size_t e = e0; e < e1; e++) {
            const tm_item *it = &v->items[e];
            if (it->sub == S_EULA && strcasecmp(tm_str(it->r, "name"), "SDelete") == 0 && it->r->time != TM_TIME_NONE &&
                it->r->time >= run->time - TM_MIN && it->r->time <= run->time + TM_MIN)
                tm_cite(t, it->r, it->art, "Software\\Sysinternals\\SDelete EulaAccepted written");
        }
        tm_confirm(t, audited, audited ? "deletion of a file with SDelete's renamed name audited (Security 4656)"
                                       : "SDelete ran; no audited deletion of its renamed files (Security 4656)");
        tm_trace_setf(&t->message, "SDelete ran: %s", t->command_line ? t->command_line : run->name);
    }
    /* Renamed files without a run on record. */
    const tm_item **rest = tm_xmalloc((n ? n : 1) * sizeof *rest);
    size_t nr = 0;
    for (size_t k = 0; k < n; k++)
        if (!used[k])
            rest[nr++] = sel[k];
    tm_cluster *cl;
    size_t ncl = tm_clusters(rest, nr, 10 * TM_MIN, &cl);
    for (size_t c = 0; c < ncl; c++) {
        tm_trace *t = tm_trace_add(out, "sdelete", CATEGORY, TM_ROLE_HOST, cl[c].first,
                                   "File renamed to SDelete's pattern");
        tm_trace_set(&t->host, v->host);
        bool audited = false;
        for (size_t i = 0; i < cl[c].n; i++) {
            const tm_item *it = cl[c].it[i];
            if (it->sub == S_USN)
                tm_cite(t, it->r, it->art, "%s: %s", tm_str(it->r, "file_name"), tm_str(it->r, "reasons"));
            else
                tm_cite(t, it->r, it->art, "access to %s (%s)", tm_data(it->r, "ObjectName"), tm_data(it->r, "AccessList"));
            audited |= it->sub == S_4656;
        }
        tm_confirm(t, audited, audited ? "deletion of a file with SDelete's renamed name audited (Security 4656)"
                                       : "files renamed the way SDelete renames them before deleting");
        tm_trace_set(&t->activity, "file securely deleted");
        for (size_t e = 0; e < t->nev; e++) /* the AAAA...ZZZZ renames are SDelete's own */
            tm_trace_attribute(t, TM_ATTR_BEHAVIOUR, &t->ev[e]);
        tm_trace_set(&t->message, "Files securely deleted (SDelete rename pattern)");
    }
    tm_clusters_free(cl, ncl);
    free(rest);
    free(used);
    /* EulaAccepted alone. */
    for (size_t k = 0; tm_view_has(v, k); k++) {
        const tm_item *it = &v->items[k];
        if (it->sub != S_EULA || strcasecmp(tm_str(it->r, "name"), "SDelete") != 0)
            continue;
        /* the runs are in time order: the first at or after the key - 1 min */
        size_t lo = 0, hi = it->r->time == TM_TIME_NONE ? 0 : runs.n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (runs.r[mid].time != TM_TIME_NONE && runs.r[mid].time < it->r->time - TM_MIN)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < runs.n && runs.r[lo].time != TM_TIME_NONE && it->r->time != TM_TIME_NONE &&
            runs.r[lo].time <= it->r->time + TM_MIN)
            continue; /* a run within a minute explains it */
        tm_trace *t = tm_trace_for_record(out, v, it, "sdelete", CATEGORY, TM_ROLE_HOST,
                                          "EULA accepted (registry key last written: first run by this user)");
        if (it->art->user)
            tm_trace_set(&t->user, it->art->user);
        tm_trace_set(&t->activity, "program run");
        tm_trace_attribute(t, TM_ATTR_NAMED, tm_cite(t, it->r, it->art, "Software\\Sysinternals\\SDelete EulaAccepted"));
        tm_confirm(t, false, "only the EulaAccepted registry value: SDelete was run by this user");
        tm_trace_setf(&t->message, "SDelete was first run by %s (EULA accepted)", it->art->user ? it->art->user : "?");
    }
    tm_runs_free(&runs);
    tm_view_free(v, sel);
}

const tm_plugin tm_plugin_sdelete = {
    .name = "sdelete",
    .tools = tools,
    .category = CATEGORY,
    .summary = "SDelete runs, its EULA key, and files renamed to its AAAA...ZZZZ pattern",
    .subs = subs,
    .needs = needs,
    .run = run,
};
