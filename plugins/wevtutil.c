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
#include "util/buf.h"
#include "util/strmap.h"
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

/* The account that cleared the log ("DOMAIN\\user", "" when not recorded). */
static void clear_account(const tm_record *r2, char *acct, size_t n)
{
    tm_account(r2, "Subject", acct, n);
    if (!acct[0]) {
        const char *u = tm_data(r2, "SubjectUserName");
        if (*u)
            snprintf(acct, n, "%s%s%s", tm_data(r2, "SubjectDomainName"), *tm_data(r2, "SubjectDomainName") ? "\\" : "",
                     u);
    }
}

static void cite_clear(tm_trace *t, const tm_item *it, char *acct, size_t n)
{
    const tm_record *r2 = it->r;
    const char *log = it->sub == S_1102 ? "Security" : tm_data(r2, "Channel");
    clear_account(r2, acct, n);
    tm_cite(t, r2, it->art, "log %s cleared by %s%s", *log ? log : "?", acct[0] ? acct : "?",
            (r2->flags & TM_REC_RECOVERED) ? " (recovered record)" : "");
}

/* One burst of cleared logs by one account: its trace (by index, the
 * array grows), when its last record was, how many and which logs. */
typedef struct {
    size_t trace;
    int64_t last;
    size_t count, nlogs;
    tm_buf logs; /* the first logs' names, for the message */
    tm_strmap seen; /* the logs named so far */
    bool security, system;
} clear_burst;

#define MAX_LOGS_NAMED 3

/* The 'log cleared' records no wevtutil run explains: one trace per
 * account and burst (records less than 10 minutes apart: a sweep over
 * every log of the host is one trace, with the count). Cleared over the
 * network (wevtutil /r:, a remote Event Viewer) when a record's session is
 * a network logon: the trace's role is then destination and the logon is
 * cited. Event Viewer, Clear-EventLog, the API and wevtutil leave the same
 * record: the activity, wevtutil a candidate. */
static void clear_bursts(const tm_view *v, tm_traces *out, const bool *used)
{
    tm_item_index logons;
    tm_index_by(v, S_4624, "TargetLogonId", &logons);
    tm_strmap open; /* account -> its latest burst */
    tm_strmap_init(&open, true);
    clear_burst *b = NULL;
    size_t nb = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if ((it->sub != S_104 && it->sub != S_1102) || used[i])
            continue;
        const tm_record *r2 = it->r;
        const char *log = it->sub == S_1102 ? "Security" : tm_data(r2, "Channel");
        const tm_item *logon = NULL;
        size_t nl, l0 = tm_index_find(&logons, tm_data(r2, "SubjectLogonId"), &nl);
        for (size_t k = 0; k < nl && !logon; k++)
            if (strcmp(tm_data(logons.it[l0 + k]->r, "LogonType"), "3") == 0)
                logon = logons.it[l0 + k];
        char acct[256];
        clear_account(r2, acct, sizeof acct);
        size_t k = tm_strmap_get(&open, acct);
        if (k == TM_STRMAP_NONE || r2->time == TM_TIME_NONE || b[k].last == TM_TIME_NONE ||
            r2->time - b[k].last >= 10 * TM_MIN) {
            tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_HOST,
                                              it->sub == S_1102 ? "Audit log cleared (Security 1102)"
                                                                : "Event log cleared (System 104)");
            static const char *const fits[] = {"wevtutil", NULL};
            tm_trace_set(&t->activity, "event log cleared");
            tm_trace_unattribute(t, fits);
            TM_GROW(b, nb);
            memset(&b[nb], 0, sizeof b[nb]);
            b[nb].trace = out->n - 1;
            tm_buf_init(&b[nb].logs);
            tm_strmap_init(&b[nb].seen, true);
            tm_strmap_put(&open, acct, nb);
            k = nb++;
        }
        clear_burst *c = &b[k];
        tm_trace *t = &out->t[c->trace];
        cite_clear(t, it, acct, sizeof acct);
        if (!t->user && acct[0])
            tm_trace_set(&t->user, acct);
        if (!t->user_sid && *tm_data(r2, "SubjectUserSid"))
            tm_trace_set(&t->user_sid, tm_data(r2, "SubjectUserSid"));
        if (!t->logon_id && *tm_data(r2, "SubjectLogonId"))
            tm_trace_set(&t->logon_id, tm_data(r2, "SubjectLogonId"));
        if (logon) {
            tm_cite(t, logon->r, logon->art, "network logon %s of the clearing session from %s",
                    tm_data(logon->r, "TargetLogonId"), tm_data(logon->r, "IpAddress"));
            tm_trace_take_logon(t, logon->r);
            t->role = TM_ROLE_DESTINATION;
        }
        c->last = r2->time;
        c->count++;
        c->security |= it->sub == S_1102;
        c->system |= it->sub == S_104;
        if (tm_strmap_get(&c->seen, *log ? log : "?") == TM_STRMAP_NONE) {
            tm_strmap_put(&c->seen, *log ? log : "?", 1);
            if (c->nlogs++ < MAX_LOGS_NAMED)
                tm_buf_printf(&c->logs, "%s%s", c->nlogs > 1 ? ", " : "", *log ? log : "?");
        }
    }
    for (size_t k = 0; k < nb; k++) {
        clear_burst *c = &b[k];
        tm_trace *t = &out->t[c->trace];
        char more[64] = "";
        if (c->nlogs > MAX_LOGS_NAMED)
            snprintf(more, sizeof more, " and %zu more", c->nlogs - MAX_LOGS_NAMED);
        const char *logs = tm_buf_cstr(&c->logs);
        tm_trace_setf(&t->outcome, "%s%s log%s cleared", logs, more, c->nlogs == 1 ? "" : "s");
        if (c->count == 1)
            tm_confirm(t, false,
                       "the 'log cleared' record (%s) is there; it does not say how: wevtutil, Event Viewer, "
                       "Clear-EventLog and the API leave the same record",
                       c->security ? "Security 1102" : "System 104");
        else
            tm_confirm(t, false,
                       "%zu 'log cleared' records (%s%s%s) are there; they do not say how: wevtutil, Event Viewer, "
                       "Clear-EventLog and the API leave the same record",
                       c->count, c->system ? "System 104" : "", c->system && c->security ? ", " : "",
                       c->security ? "Security 1102" : "");
        if (c->nlogs == 1)
            tm_trace_setf(&t->message, "Event log %s cleared by %s", logs, t->user ? t->user : "?");
        else
            tm_trace_setf(&t->message, "Event logs %s%s cleared by %s (%zu records)", logs, more,
                          t->user ? t->user : "?", c->count);
        tm_buf_free(&c->logs);
        tm_strmap_free(&c->seen);
    }
    free(b);
    tm_strmap_free(&open);
    tm_index_free(&logons);
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
    const tm_item **clr = tm_view_alloc(v, v->n, sizeof *clr);
    size_t nclr = 0;
    for (size_t i = 0; tm_view_has(v, i); i++)
        if ((v->items[i].sub == S_104 || v->items[i].sub == S_1102) && v->items[i].r->time != TM_TIME_NONE)
            clr[nclr++] = &v->items[i];
    tm_sort(clr, nclr, sizeof *clr, by_time);
    bool *used = tm_view_alloc(v, v->n, sizeof *used); /* per item */
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
    clear_bursts(v, out, used);
    tm_view_free(v, clr);
    tm_view_free(v, used);
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
