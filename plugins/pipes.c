/* Remote procedure calls over SMB: the named pipes another host opened on
 * IPC$ (Security 5145, detailed file share auditing). Each pipe is one RPC
 * interface, and so one activity: svcctl is the service manager (what
 * PsExec, sc \\host and Impacket use to start a remote service), atsvc the
 * task scheduler (at, schtasks /s), samr and lsarpc the account databases
 * (net user /domain, SharpHound, CME), winreg the remote registry, eventlog
 * the event log service (wevtutil /r:). The pipe says what was asked, not by
 * which tool: activities with the sheet's tools that fit as candidates.
 * One trace per session (logon id), pipe and burst (10 minutes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Remote Command Execution"

static const struct {
    const char *pipe, *activity, *what;
    const char *candidates[3];
} pipes[] = {
    {"svcctl", "remote service execution", "the service control manager", {"PsExec", NULL}},
    {"atsvc", "scheduled task created", "the task scheduler", {"at", "schtasks", NULL}},
    {"samr", "account enumeration", "the account database (SAMR)", {"net-user", NULL}},
    {"lsarpc", "account enumeration", "the local security authority (LSARPC)", {NULL}},
    {"winreg", "remote registry access", "the remote registry", {NULL}},
    {"eventlog", "remote event log access", "the event log service", {"wevtutil", NULL}},
};
#define NPIPES (sizeof pipes / sizeof pipes[0])

static size_t pipe_of(const tm_record *r)
{
    const char *share = tm_data(r, "ShareName"), *name = tm_data(r, "RelativeTargetName");
    size_t sl = strlen(share);
    if (sl < 4 || strcasecmp(share + sl - 4, "IPC$") != 0)
        return NPIPES;
    for (size_t i = 0; i < NPIPES; i++)
        if (strcasecmp(name, pipes[i].pipe) == 0)
            return i;
    return NPIPES;
}

static bool remote_pipe(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return pipe_of(r) < NPIPES && !tm_is_local_address(tm_data(r, "IpAddress"));
}

enum { S_5145 };
static const tm_sub subs[] = {
    [S_5145] = {TM_SUB_EVTX, "Security", 5145, remote_pipe, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {NULL};

static void run(const tm_view *v, tm_traces *out)
{
    tm_bursts bursts; /* by logon id, pipe and address */
    tm_bursts_init(&bursts, out, 10 * TM_MIN);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        const tm_record *r = it->r;
        size_t p = pipe_of(r);
        if (p >= NPIPES)
            continue;
        char acct[256], key[300];
        tm_account(r, "Subject", acct, sizeof acct);
        const char *ip = tm_data(r, "IpAddress");
        snprintf(key, sizeof key, "%s\t%s\t%s", tm_data(r, "SubjectLogonId"), pipes[p].pipe, ip);
        tm_trace *t = tm_burst_find(&bursts, out, key, r->time);
        if (!t) {
            t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_DESTINATION, "Named pipe opened (Security 5145)");
            tm_burst_begin(&bursts, out, key);
            t->generic = true; /* PsExec's and the task plugins' traces explain the same records */
            tm_trace_set(&t->activity, pipes[p].activity);
            tm_trace_unattribute(t, pipes[p].candidates[0] ? pipes[p].candidates : NULL);
            tm_trace_set(&t->user, acct);
            tm_trace_set(&t->user_sid, tm_data(r, "SubjectUserSid"));
            tm_trace_set(&t->logon_id, tm_data(r, "SubjectLogonId"));
            tm_trace_set(&t->peer, ip);
            tm_confirm(t, false, "the pipe says which service was called, not by which program");
        }
        tm_cite(t, r, it->art, "%s from %s opened \\\\%s on IPC$ (%s)", acct, ip, pipes[p].pipe, pipes[p].what);
        size_t n = tm_burst_count(&bursts, out, t);
        tm_trace_setf(&t->message, "%s from %s called %s over the \\\\%s pipe (%zu access%s)", acct, ip, pipes[p].what,
                      pipes[p].pipe, n, n == 1 ? "" : "es");
    }
    tm_bursts_free(&bursts);
}

const tm_plugin tm_plugin_pipes = {
    .name = "pipes",
    .tools = tools,
    .category = CATEGORY,
    .summary = "RPC over SMB named pipes opened from other hosts (5145 on IPC$: svcctl, atsvc, samr, lsarpc, winreg, eventlog)",
    .subs = subs,
    .run = run,
};
