/* The AD database and shadow copies: ntdsutil and vssadmin.
 *
 * ntdsutil: runs (4688/Sysmon 1, Prefetch, typed) with IFM or snapshot
 * commands; confirmed by a shadow copy created (Security 8222) during the
 * run (the sheet); context: ESENT database copies in the Application log
 * (325/326/327: a database created, attached, detached - the ntds.dit copy),
 * ntds.dit written outside C:\Windows\NTDS in the journal, the Volume Shadow
 * Copy service starting (System 7036).
 * vssadmin: "create shadow" runs, confirmed by 8222 (the sheet); and
 * "list shadows" / "delete shadows" runs as indicators (listing is what
 * backup agents do: reconnaissance at most); files copied out of a shadow
 * copy (4663 on \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy...\NTDS or
 * config) confirm the copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Information Collection"

enum { S_NTDSUTIL, S_VSSADMIN, S_8222, S_ESENT325, S_ESENT326, S_ESENT327, S_7036, S_USN, S_4663 };
static const char *const tools[] = {"ntdsutil", "vssadmin", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"ntdsutil", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_APPLOG, TM_COV_USN)},
    {"vssadmin", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_OBJECT)},
    {NULL, 0, NULL},
};

static bool shadow_object(const char *obj)
{
    return tm_icontains(obj, "HarddiskVolumeShadowCopy") &&
           (tm_icontains(obj, "\\NTDS\\") || tm_icontains(obj, "\\config\\SAM") ||
            tm_icontains(obj, "\\config\\SYSTEM") || tm_icontains(obj, "\\config\\SECURITY"));
}

/* A read from a shadow copy of the AD database or hives: all this plugin
 * reads of 4663. */
static bool shadow_read(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return shadow_object(tm_data(r, "ObjectName"));
}

static const tm_sub subs[] = {
    [S_NTDSUTIL] = {TM_SUB_EXEC, "ntdsutil", 0, NULL, NULL},
    [S_VSSADMIN] = {TM_SUB_EXEC, "vssadmin", 0, NULL, NULL},
    [S_8222] = {TM_SUB_EVTX, "Security", 8222, NULL, NULL},
    [S_ESENT325] = {TM_SUB_EVTX, "Application", 325, NULL, NULL},
    [S_ESENT326] = {TM_SUB_EVTX, "Application", 326, NULL, NULL},
    [S_ESENT327] = {TM_SUB_EVTX, "Application", 327, NULL, NULL},
    [S_7036] = {TM_SUB_EVTX, "System", 7036, NULL, NULL},
    [S_USN] = {TM_SUB_USN, "ntds.dit", 0, NULL, NULL},
    [S_4663] = {TM_SUB_EVTX, "Security", 4663, shadow_read, NULL},
    TM_SUB_END,
};

static void cite_window(const tm_view *v, tm_trace *t, int64_t from, int64_t to, bool *shadow, bool *copied)
{
    size_t k0, k1;
    tm_view_window(v, from, to, &k0, &k1);
    for (size_t k = k0; k < k1; k++) {
        const tm_item *it = &v->items[k];
        if (it->exec || it->r->time == TM_TIME_NONE || it->r->time < from || it->r->time > to)
            continue;
        const tm_record *r = it->r;
        switch (it->sub) {
        case S_8222:
            tm_cite(t, r, it->art, "shadow copy created: %s (%s)", tm_data(r, "ShadowDeviceName"), tm_data(r, "VolumeName"));
            *shadow = true;
            break;
        case S_ESENT325:
        case S_ESENT326:
        case S_ESENT327: {
            if (strcasecmp(tm_str(r, "provider"), "ESENT") != 0 && !tm_icontains(tm_str(r, "provider"), "ESENT"))
                break;
            char s[400];
            tm_event_summary(r, s, sizeof s);
            if (!tm_icontains(s, "ntds"))
                break;
            tm_cite(t, r, it->art, "ESENT %u: %s", tm_event_id(r), s);
            *copied = true;
            break;
        }
        case S_7036:
            if (tm_icontains(tm_data(r, "param1"), "Volume Shadow Copy"))
                tm_cite(t, r, it->art, "%s entered the %s state", tm_data(r, "param1"), tm_data(r, "param2"));
            break;
        case S_USN:
            if (!tm_icontains(tm_str(r, "file_path"), "Windows/NTDS")) {
                tm_cite(t, r, it->art, "%s: %s (%s)", tm_str(r, "file_name"), tm_str(r, "reasons"), tm_str(r, "file_path"));
                *copied = true;
            }
            break;
        case S_4663:
            if (shadow_object(tm_data(r, "ObjectName"))) {
                tm_cite(t, r, it->art, "%s read %s from a shadow copy", tm_data(r, "ProcessName"), tm_data(r, "ObjectName"));
                *copied = true;
            }
            break;
        default: break;
        }
    }
}

static void run(const tm_view *v, tm_traces *out)
{
    static const char *const names[] = {"ntdsutil", "vssadmin", NULL};
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        bool ntds = strcmp(run->name, "ntdsutil") == 0;
        const char *cl = run->best && run->best->command_line ? run->best->command_line : "";
        bool create = ntds ? (tm_icontains(cl, "ifm") || tm_icontains(cl, "snapshot") || tm_icontains(cl, "create"))
                           : tm_icontains(cl, "create shadow");
        bool list = !ntds && tm_icontains(cl, "list");
        bool del = !ntds && tm_icontains(cl, "delete");
        tm_trace *t = tm_trace_for_run(out, v, run, ntds ? "ntdsutil" : "vssadmin", CATEGORY, TM_ROLE_HOST);
        bool shadow = false, copied = false;
        /* up to 30 minutes, but not into the next run of either tool */
        int64_t until = run->time + 30 * TM_MIN;
        for (size_t k = i + 1; k < runs.n && runs.r[k].time != TM_TIME_NONE; k++) /* runs are in time order */
            if (runs.r[k].time > run->time) {
                if (runs.r[k].time < until)
                    until = runs.r[k].time - 1;
                break;
            }
        if (run->time != TM_TIME_NONE && (create || !*cl))
            cite_window(v, t, run->time - TM_SEC, until, &shadow, &copied);
        if (list)
            tm_trace_set(&t->phase, "reconnaissance");
        if (shadow)
            tm_confirm(t, true, "a shadow copy was created during the run (Security 8222)%s",
                       copied ? ", and the AD database or hives were copied from it" : "");
        else if (list)
            tm_confirm(t, false, "shadow copies listed: reconnaissance at most (backup software does this too)");
        else if (del)
            tm_confirm(t, false, "shadow copies deleted (recovery prevented); not a copy of the AD database");
        else
            tm_confirm(t, false, "%s ran; no shadow copy creation on record (Security 8222 needs auditing)%s",
                       run->name, copied ? ", but the database or hives were copied" : "");
        tm_trace_setf(&t->message, "%s: %s", run->name, *cl ? cl : "(command line not recorded)");
    }
    tm_runs_free(&runs);
    /* The database engine copying ntds.dit with no ntdsutil run on record
     * (process auditing off): ESENT 325/326/327 naming an ntds.dit outside
     * C:\Windows\NTDS. */
    const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    /* the records the traces so far cite, by record and event id */
    tm_strmap cited_before;
    tm_strmap_init(&cited_before, false);
    for (size_t i = 0; i < out->n; i++)
        for (size_t e = 0; e < out->t[i].nev; e++) {
            char key[48];
            snprintf(key, sizeof key, "%llu/%u", (unsigned long long)out->t[i].ev[e].record, out->t[i].ev[e].event_id);
            tm_strmap_put(&cited_before, key, 1);
        }
    for (size_t k = 0; tm_view_has(v, k); k++) {
        const tm_item *it = &v->items[k];
        if (it->exec || (it->sub != S_ESENT325 && it->sub != S_ESENT326 && it->sub != S_ESENT327))
            continue;
        char s[400];
        tm_event_summary(it->r, s, sizeof s);
        if (!tm_icontains(s, "ntds.dit") || tm_icontains(s, "\\Windows\\NTDS\\ntds.dit"))
            continue;
        char key[48];
        snprintf(key, sizeof key, "%llu/%u", (unsigned long long)it->r->position, tm_event_id(it->r));
        if (tm_strmap_get(&cited_before, key) == TM_STRMAP_NONE)
            sel[n++] = it;
    }
    tm_strmap_free(&cited_before);
    tm_cluster *cl;
    size_t ncl = tm_clusters(sel, n, 30 * TM_MIN, &cl);
    for (size_t c = 0; c < ncl; c++) {
        tm_trace *t = tm_trace_add(out, "ntdsutil", CATEGORY, TM_ROLE_HOST, cl[c].first,
                                   "AD database copied (ESENT)");
        tm_trace_set(&t->host, v->host);
        for (size_t i = 0; i < cl[c].n; i++) {
            char s[400];
            tm_event_summary(cl[c].it[i]->r, s, sizeof s);
            tm_cite(t, cl[c].it[i]->r, cl[c].it[i]->art, "ESENT %u: %s", tm_event_id(cl[c].it[i]->r), s);
        }
        tm_confirm(t, false, "the database engine wrote a copy of ntds.dit outside C:\\Windows\\NTDS (ntdsutil IFM "
                             "does this); the run itself is not on record");
        tm_trace_set(&t->activity, "ntds copy");
        /* ESENT names the process that wrote the copy ("ntdsutil (1234)") */
        if (!tm_attribute_by_name(t, TM_ATTR_NAMED, "ntdsutil")) {
            static const char *const fits[] = {"ntdsutil", NULL};
            tm_trace_unattribute(t, fits);
        }
        tm_trace_set(&t->message, "Copy of the AD database (ntds.dit) written");
    }
    tm_clusters_free(cl, ncl);
    tm_view_free(v, sel);
}

const tm_plugin tm_plugin_addb = {
    .name = "addb",
    .tools = tools,
    .category = CATEGORY,
    .summary = "ntdsutil and vssadmin: AD database snapshots and shadow copies, files copied out of them",
    .subs = subs,
    .needs = needs,
    .run = run,
};
