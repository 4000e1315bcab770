/* wevtutil cl and cleared event logs.
 *
 * Source / host: wevtutil.exe runs with "cl" / "clear-log" (remote with
 * /r:host); other wevtutil uses (qe, epl, sl) are reported as indicators
 * that say no log was cleared. PowerShell's Clear-EventLog is not wevtutil:
 * its runs are the activity "event log cleared" with the cmdlet named in
 * the message and no sheet tool.
 * The host whose logs were cleared: System 104 "log cleared" (which log, by
 * whom) and Security 1102 "audit log cleared". Event Viewer, Clear-EventLog,
 * the EvtClearLog API and wevtutil all leave the same record, so it is the
 * activity "event log cleared" with wevtutil as a candidate, never wevtutil
 * itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Deleting Evidence"

enum { S_WEVTUTIL, S_PSCLEAR, S_104, S_1102, S_4624 };
static const tm_sub subs[] = {
    [S_WEVTUTIL] = {TM_SUB_EXEC, "wevtutil", 0, NULL, NULL},
    [S_PSCLEAR] = {TM_SUB_EXEC, "clear-eventlog", 0, NULL, NULL},
    [S_104] = {TM_SUB_EVTX, "System", 104, NULL, NULL},
    [S_1102] = {TM_SUB_EVTX, "Security", 1102, NULL, NULL},
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL}, /* the logon that cleared it, by logon id */
    TM_SUB_END,
};
static const char *const tools[] = {"wevtutil", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"wevtutil", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {"wevtutil", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_SYSTEM)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"wevtutil", NULL, NULL, "wevtutil"},
    {NULL, NULL, NULL, NULL},
};
static const char *const names[] = {"wevtutil", NULL};
static const char *const ps_names[] = {"clear-eventlog", NULL};

static bool clears(const tm_run *run)
{
    if (!run->best)
        return false;
    return strcmp(run->best->verb, "cl") == 0 || strcmp(run->best->verb, "clear-log") == 0;
}

static bool other_use(const tm_run *run)
{
    return !clears(run);
}

static int by_time(const void *a, const void *b)
{
    const tm_item *x = *(const tm_item *const *)a, *y = *(const tm_item *const *)b;
    return x->r->time < y->r->time ? -1 : x->r->time > y->r->time;
}

static void cite_clear(tm_trace *t, const tm_item *it, char *acct, size_t n)
{
    const tm_record *r2 = it->r;
    const char *log = it->sub == S_1102 ? "Security" : tm_data(r2, "Channel");
    tm_account(r2, "Subject", acct, n);
    if (!acct[0]) {
        const char *u = tm_data(r2, "SubjectUserName");
        if (*u)
            snprintf(acct, n, "%s%s%s", tm_data(r2, "SubjectDomainName"), *tm_data(r2, "SubjectDomainName") ? "\\" : "",
                     u);
    }
    tm_cite(t, r2, it->art, "log %s cleared by %s%s", *log ? log : "?", acct[0] ? acct : "?",
            (r2->flags & TM_REC_RECOVERED) ? " (recovered record)" : "");
}

static void run(const tm_view *v, tm_traces *out)
{
    tm_exec_rule r = {.tool = "wevtutil", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_HOST,
                      .names = names, .filter = clears,
                      .success_note = "the clear command ran; success is the 'log cleared' record on the host cleared"};
    size_t first_run = out->n;
    tm_exec_traces(v, out, &r);
    size_t end_run = out->n;
    /* The 'log cleared' records, by time: a local wevtutil cl followed
     * within a minute by one is confirmed by it (the sheet's success
     * evidence), and the record is that run's, not an activity of its own. */
    const tm_item **clr = tm_xmalloc((v->n ? v->n : 1) * sizeof *clr);
    size_t nclr = 0;
    for (size_t i = 0; i < v->n; i++)
        if ((v->items[i].sub == S_104 || v->items[i].sub == S_1102) && v->items[i].r->time != TM_TIME_NONE)
            clr[nclr++] = &v->items[i];
    tm_sort(clr, nclr, sizeof *clr, by_time);
    bool *used = tm_xcalloc(v->n ? v->n : 1, sizeof *used); /* per item */
    for (size_t k = first_run; k < end_run; k++) {
        tm_trace *t = &out->t[k];
        if (t->peer || t->time == TM_TIME_NONE)
            continue;
        size_t lo = 0, hi = nclr;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (clr[mid]->r->time < t->time - 5 * TM_SEC)
                lo = mid + 1;
            else
                hi = mid;
        }
        bool any = false;
        for (size_t c = lo; c < nclr && clr[c]->r->time <= t->time + TM_MIN; c++) {
            size_t item = (size_t)(clr[c] - v->items);
            if (used[item])
                continue;
            char acct[256];
            cite_clear(t, clr[c], acct, sizeof acct);
            used[item] = any = true;
        }
        if (any) {
            tm_confirm(t, true, "the 'log cleared' record follows the run (the sheet's success evidence)");
            tm_trace_set(&t->outcome, "log cleared");
        }
    }
    /* Other uses (querying, exporting logs): reported, never as a clearing. */
    tm_exec_rule q = {.tool = "wevtutil", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_HOST,
                      .names = names, .filter = other_use,
                      .success_note = "wevtutil used without clearing a log (query, export or configuration)"};
    tm_exec_traces(v, out, &q);
    tm_runs ps;
    tm_view_runs(v, ps_names, &ps);
    for (size_t i = 0; i < ps.n; i++) {
        tm_trace *t = tm_trace_for_run(out, v, &ps.r[i], NULL, CATEGORY, TM_ROLE_HOST);
        tm_trace_set(&t->activity, "event log cleared");
        tm_confirm(t, false, "PowerShell's Clear-EventLog ran: a cmdlet, not a tool of the sheet");
        tm_trace_setf(&t->message, "Event logs cleared with PowerShell Clear-EventLog: %s",
                      t->command_line ? t->command_line : "Clear-EventLog");
    }
    tm_runs_free(&ps);
    tm_item_index logons;
    tm_index_by(v, S_4624, "TargetLogonId", &logons);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_104 && it->sub != S_1102)
            continue;
        if (used[i])
            continue; /* cited by the wevtutil run that made it */
        const tm_record *r2 = it->r;
        const char *log = it->sub == S_1102 ? "Security" : tm_data(r2, "Channel");
        /* cleared over the network (wevtutil /r:, a remote Event Viewer):
         * the clearing session is a network logon; else by someone here */
        const tm_item *logon = NULL;
        size_t nl, l0 = tm_index_find(&logons, tm_data(r2, "SubjectLogonId"), &nl);
        for (size_t k = 0; k < nl && !logon; k++)
            if (strcmp(tm_data(logons.it[l0 + k]->r, "LogonType"), "3") == 0)
                logon = logons.it[l0 + k];
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, logon ? TM_ROLE_DESTINATION : TM_ROLE_HOST,
                                          it->sub == S_1102 ? "Audit log cleared (Security 1102)"
                                                            : "Event log cleared (System 104)");
        char acct[256];
        cite_clear(t, it, acct, sizeof acct);
        if (logon) {
            tm_cite(t, logon->r, logon->art, "network logon %s of the clearing session from %s",
                    tm_data(logon->r, "TargetLogonId"), tm_data(logon->r, "IpAddress"));
            tm_trace_take_logon(t, logon->r);
        }
        tm_trace_set(&t->user, acct);
        tm_trace_set(&t->user_sid, tm_data(r2, "SubjectUserSid"));
        tm_trace_set(&t->logon_id, tm_data(r2, "SubjectLogonId"));
        tm_trace_setf(&t->outcome, "%s log cleared", *log ? log : "an event");
        static const char *const fits[] = {"wevtutil", NULL};
        tm_trace_set(&t->activity, "event log cleared");
        tm_trace_unattribute(t, fits);
        tm_confirm(t, false,
                   "the 'log cleared' record (%s %u) is there; it does not say how: wevtutil, Event Viewer, "
                   "Clear-EventLog and the API leave the same record",
                   tm_channel(r2), tm_event_id(r2));
        tm_trace_setf(&t->message, "Event log %s cleared by %s", *log ? log : "?", acct[0] ? acct : "?");
    }
    tm_index_free(&logons);
    free(clr);
    free(used);
}

const tm_plugin tm_plugin_wevtutil = {
    .name = "wevtutil",
    .tools = tools,
    .category = CATEGORY,
    .summary = "Event logs cleared: wevtutil cl runs; System 104 and Security 1102",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
