/* timestomp: file times changed to hide when a file was touched.
 *
 * Host: runs of timestomp*.exe (and the usual names of such tools:
 * SetMACE, nTimestomp, nTimetools); Sysmon 2 "file creation time changed"
 * moving a file's creation time back by more than a day; Security 4663 with
 * WriteAttributes on a file (the sheet's success: "WriteAttributes ... Audit
 * Success") by such a program, or within a run of one. A Sysmon 2 by a
 * browser, installer or updater that sets a download's original time is
 * common: only backdating by a program outside Windows' and Program Files'
 * folders is reported, as an indicator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Deleting Evidence"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"

enum { S_EXEC, S_EXEC2, S_EXEC3, S_SYSMON2, S_4663 };
static const char *const tools[] = {"timestomp", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"timestomp", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_OBJECT)},
    {NULL, 0, NULL},
};
static const char *const names[] = {"timestomp*", "setmace*", "ntime*", NULL};

static bool stomper(const char *image)
{
    char p[48];
    tm_program_name_of(image, p, sizeof p);
    return tm_iglob("timestomp*", p) || tm_iglob("setmace*", p) || tm_iglob("ntime*", p);
}

/* Object access by a time-stomping program: all this plugin reads of 4663. */
static bool by_stomper(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return stomper(tm_data(r, "ProcessName"));
}

static const tm_sub subs[] = {
    [S_EXEC] = {TM_SUB_EXEC, "timestomp*", 0, NULL, NULL},
    [S_EXEC2] = {TM_SUB_EXEC, "setmace*", 0, NULL, NULL},
    [S_EXEC3] = {TM_SUB_EXEC, "ntime*", 0, NULL, NULL},
    [S_SYSMON2] = {TM_SUB_EVTX, SYSMON, 2, NULL, NULL},
    [S_4663] = {TM_SUB_EVTX, "Security", 4663, by_stomper, NULL},
    TM_SUB_END,
};

static bool system_program(const char *image)
{
    static const char *const dirs[] = {"C:\\Windows\\", "C:\\Program Files\\", "C:\\Program Files (x86)\\"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (strncasecmp(image, dirs[i], strlen(dirs[i])) == 0)
            return true;
    return false;
}

static bool write_attributes(const tm_record *r)
{
    const char *a = tm_data(r, "AccessList");
    return tm_icontains(a, "WriteAttributes") || tm_icontains(a, "%%4424") || tm_icontains(a, "%%1541") ||
           strtoul(tm_data(r, "AccessMask"), NULL, 0) == 0x100;
}

/* Sysmon's "2017-04-28 12:30:00.000" UTC times. */
static int64_t sysmon_time(const char *s)
{
    char iso[64];
    snprintf(iso, sizeof iso, "%s", s);
    if (strlen(iso) > 10 && iso[10] == ' ')
        iso[10] = 'T';
    int64_t t;
    return tm_time_parse_iso(iso, &t) ? t : TM_TIME_NONE;
}

static void run(const tm_view *v, tm_traces *out)
{
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        tm_trace *t = tm_trace_for_run(out, v, run, "timestomp", CATEGORY, TM_ROLE_HOST);
        bool audited = false;
        size_t k0, k1;
        tm_view_around(v, run->time, TM_SEC, 5 * TM_MIN, &k0, &k1);
        for (size_t k = k0; k < k1 && run->time != TM_TIME_NONE; k++) {
            const tm_item *it = &v->items[k];
            if ((it->sub != S_4663 && it->sub != S_SYSMON2) || it->r->time < run->time - TM_SEC ||
                it->r->time > run->time + 5 * TM_MIN)
                continue;
            const char *img = tm_data(it->r, it->sub == S_4663 ? "ProcessName" : "Image");
            if (!stomper(img))
                continue;
            if (it->sub == S_4663 && write_attributes(it->r)) {
                tm_cite(t, it->r, it->art, "%s wrote the attributes of %s", img, tm_data(it->r, "ObjectName"));
                audited = true;
            } else if (it->sub == S_SYSMON2) {
                tm_cite(t, it->r, it->art, "%s changed the creation time of %s from %s to %s", img,
                        tm_data(it->r, "TargetFilename"), tm_data(it->r, "PreviousCreationUtcTime"),
                        tm_data(it->r, "CreationUtcTime"));
            }
        }
        tm_confirm(t, audited, audited ? "WriteAttributes on the target file audited (Security 4663)"
                                       : "the tool ran; no audited WriteAttributes (Security 4663)");
        tm_trace_setf(&t->message, "File times changed with %s: %s", run->name,
                      t->command_line ? t->command_line : "");
    }
    tm_runs_free(&runs);
    /* Backdating by another program (Sysmon 2). */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_SYSMON2)
            continue;
        const char *img = tm_data(it->r, "Image");
        if (stomper(img) || system_program(img))
            continue;
        int64_t now = sysmon_time(tm_data(it->r, "CreationUtcTime")),
                before = sysmon_time(tm_data(it->r, "PreviousCreationUtcTime"));
        if (now == TM_TIME_NONE || before == TM_TIME_NONE || before - now < 24 * 3600 * TM_SEC)
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "timestomp", CATEGORY, TM_ROLE_HOST,
                                          "File creation time changed (Sysmon 2)");
        tm_cite(t, it->r, it->art, "%s moved the creation time of %s back from %s to %s", img,
                tm_data(it->r, "TargetFilename"), tm_data(it->r, "PreviousCreationUtcTime"), tm_data(it->r, "CreationUtcTime"));
        tm_trace_set(&t->user, tm_data(it->r, "User"));
        tm_trace_set(&t->command_line, img);
        tm_confirm(t, false, "creation time moved back by a program outside Windows and Program Files (Sysmon 2)");
        static const char *const fits[] = {"timestomp", NULL};
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, "file time changed");
        tm_trace_setf(&t->message, "Creation time of %s backdated by %s", tm_data(it->r, "TargetFilename"), img);
    }
}

const tm_plugin tm_plugin_timestomp = {
    .name = "timestomp",
    .tools = tools,
    .category = CATEGORY,
    .summary = "File times changed: timestomp-like tools, backdating in Sysmon 2, audited WriteAttributes",
    .subs = subs,
    .needs = needs,
    .run = run,
};
