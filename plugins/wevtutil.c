/* wevtutil cl: event logs cleared.
 *
 * Source / host: wevtutil.exe runs with "cl" / "clear-log" (remote with
 * /r:host), PowerShell Clear-EventLog; other wevtutil uses (qe, epl, sl)
 * are reported as indicators that say no log was cleared.
 * Destination (the host whose logs were cleared): System 104 "log cleared"
 * (which log, by whom) and Security 1102 "audit log cleared"; confirmed by
 * them (the sheet: 104 at the start of the cleared log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Deleting Evidence"

enum { S_WEVTUTIL, S_PSCLEAR, S_104, S_1102 };
static const tm_sub subs[] = {
    [S_WEVTUTIL] = {TM_SUB_EXEC, "wevtutil", 0, NULL, NULL},
    [S_PSCLEAR] = {TM_SUB_EXEC, "clear-eventlog", 0, NULL, NULL},
    [S_104] = {TM_SUB_EVTX, "System", 104, NULL, NULL},
    [S_1102] = {TM_SUB_EVTX, "Security", 1102, NULL, NULL},
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
static const char *const names[] = {"wevtutil", "clear-eventlog", NULL};

static bool clears(const tm_run *run)
{
    if (!run->best)
        return false;
    if (strcmp(run->best->name, "clear-eventlog") == 0)
        return true;
    return strcmp(run->best->verb, "cl") == 0 || strcmp(run->best->verb, "clear-log") == 0;
}

static bool other_use(const tm_run *run)
{
    return !clears(run);
}

static void run(const tm_view *v, tm_traces *out)
{
    tm_exec_rule r = {.tool = "wevtutil", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_HOST,
                      .names = names, .filter = clears,
                      .success_note = "the clear command ran; success is the 'log cleared' record on the host cleared"};
    tm_exec_traces(v, out, &r);
    /* Other uses (querying, exporting logs): reported, never as a clearing. */
    tm_exec_rule q = {.tool = "wevtutil", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_HOST,
                      .names = names, .filter = other_use,
                      .success_note = "wevtutil used without clearing a log (query, export or configuration)"};
    tm_exec_traces(v, out, &q);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_104 && it->sub != S_1102)
            continue;
        const tm_record *r2 = it->r;
        const char *log = it->sub == S_1102 ? "Security" : tm_data(r2, "Channel");
        tm_trace *t = tm_trace_for_record(out, v, it, "wevtutil", CATEGORY, TM_ROLE_DESTINATION,
                                          it->sub == S_1102 ? "Audit log cleared (Security 1102)"
                                                            : "Event log cleared (System 104)");
        char acct[256];
        tm_account(r2, "Subject", acct, sizeof acct);
        if (!acct[0]) {
            const char *u = tm_data(r2, "SubjectUserName");
            if (*u)
                snprintf(acct, sizeof acct, "%s%s%s", tm_data(r2, "SubjectDomainName"),
                         *tm_data(r2, "SubjectDomainName") ? "\\" : "", u);
        }
        tm_cite(t, r2, it->art, "log %s cleared by %s%s", *log ? log : "?", acct[0] ? acct : "?",
                (r2->flags & TM_REC_RECOVERED) ? " (recovered record)" : "");
        tm_trace_set(&t->user, acct);
        tm_trace_set(&t->user_sid, tm_data(r2, "SubjectUserSid"));
        tm_trace_set(&t->logon_id, tm_data(r2, "SubjectLogonId"));
        tm_trace_setf(&t->outcome, "%s log cleared", *log ? log : "an event");
        tm_confirm(t, true, "the 'log cleared' record (%s %u) is there", tm_channel(r2), tm_event_id(r2));
        tm_trace_setf(&t->message, "Event log %s cleared by %s", *log ? log : "?", acct[0] ? acct : "?");
    }
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
