/* net user / net group: accounts and group memberships added, changed or
 * deleted.
 *
 * Source: net.exe / net1.exe runs with "user" or "group" (4688/Sysmon 1,
 * typed commands); a run that changes something (/add, /delete, /active,
 * a password) is confirmed when the change is recorded on this host (the
 * sheet: 4720, 4726, 4728, 4737 ...); a change of a domain account is
 * recorded on the domain controller.
 * Host or domain controller: the account-management events themselves
 * (4720 created, 4722 enabled, 4724 password reset, 4726 deleted, 4728 and
 * 4732 member added, 4737 group changed, 4738 account changed). They are
 * recorded whatever tool made the change (net, the MMC, PowerShell, ADSI,
 * an exploit): a change cited by a net run is that run's evidence; any
 * other is one trace of the activity ("account created" ...), tool not
 * recorded, net-user its candidate; the message says who made it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Adding or Deleting a User/Group"

enum { S_NET, S_NET1, S_4720, S_4722, S_4724, S_4726, S_4728, S_4732, S_4737, S_4738 };
static const tm_sub subs[] = {
    [S_NET] = {TM_SUB_EXEC, "net", 0, NULL, NULL},
    [S_NET1] = {TM_SUB_EXEC, "net1", 0, NULL, NULL},
    [S_4720] = {TM_SUB_EVTX, "Security", 4720, NULL, NULL},
    [S_4722] = {TM_SUB_EVTX, "Security", 4722, NULL, NULL},
    [S_4724] = {TM_SUB_EVTX, "Security", 4724, NULL, NULL},
    [S_4726] = {TM_SUB_EVTX, "Security", 4726, NULL, NULL},
    [S_4728] = {TM_SUB_EVTX, "Security", 4728, NULL, NULL},
    [S_4732] = {TM_SUB_EVTX, "Security", 4732, NULL, NULL},
    [S_4737] = {TM_SUB_EVTX, "Security", 4737, NULL, NULL},
    [S_4738] = {TM_SUB_EVTX, "Security", 4738, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"net-user", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"net-user", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {"net-user", TM_ROLE_DC, TM_NEEDS(TM_COV_ACCOUNT)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"net user", NULL, NULL, "net-user"},
    {"net group", NULL, NULL, "net-user"},
    {NULL, NULL, NULL, NULL},
};
static const char *const names[] = {"net", "net1", NULL};

static bool is_user_or_group(const tm_run *run)
{
    return run->best && (strncmp(run->best->verb, "user", 4) == 0 || strncmp(run->best->verb, "group", 5) == 0);
}

static bool changes(const char *cmd)
{
    static const char *const opts[] = {"/add", "/del", "/active", "/passwordreq", "/expires", "/times"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (tm_icontains(cmd, opts[i]))
            return true;
    return false;
}

static const char *what(unsigned sub)
{
    static const char *const w[] = {"", "", "account created", "account enabled", "password reset",
                                    "account deleted", "member added to global group", "member added to local group",
                                    "global group changed", "account changed"};
    return w[sub];
}

/* The activity of each change record (docs/traces.md's vocabulary). */
static const char *activity(unsigned sub)
{
    static const char *const a[] = {"", "", "account created", "account enabled", "password reset",
                                    "account deleted", "group member added", "group member added",
                                    "group changed", "account changed"};
    return a[sub];
}

static void run(const tm_view *v, tm_traces *out)
{
    bool *cited = tm_xcalloc(v->n ? v->n : 1, sizeof *cited); /* change records a net run cites */
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        if (!is_user_or_group(run))
            continue;
        const char *cmd = run->best->command_line ? run->best->command_line : "";
        tm_trace *t = tm_trace_for_run(out, v, run, "net-user", CATEGORY, TM_ROLE_SOURCE);
        tm_trace_set(&t->phase, tm_run_phase(run));
        bool change = changes(cmd), recorded = false;
        size_t k0, k1;
        tm_view_around(v, run->time, TM_SEC, TM_MIN, &k0, &k1);
        for (size_t k = k0; change && k < k1 && run->time != TM_TIME_NONE; k++) {
            const tm_item *it = &v->items[k];
            if (it->sub < S_4720 || it->r->time < run->time - TM_SEC || it->r->time > run->time + TM_MIN)
                continue;
            tm_cite(t, it->r, it->art, "%s: %s", what(it->sub), tm_data(it->r, "TargetUserName"));
            recorded = cited[k] = true;
        }
        if (recorded)
            tm_confirm(t, true, "the account change is recorded on this host (Security 47xx)");
        else if (change && tm_icontains(cmd, "/domain"))
            tm_confirm(t, false, "domain account change: recorded on the domain controller, not here");
        else if (change)
            tm_confirm(t, false, "no account-change record (Security 4720 ...) for this command: auditing was off, "
                                 "or it failed");
        else
            tm_confirm(t, false, "account or group listed (reconnaissance); nothing to confirm");
        tm_trace_setf(&t->message, "net %s: %s", run->best->verb, cmd);
    }
    tm_runs_free(&runs);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub < S_4720 || cited[i])
            continue;
        const tm_record *r = it->r;
        /* A domain account's domain differs from the computer's own name. */
        const char *dom = tm_data(r, "TargetDomainName");
        char host[96];
        snprintf(host, sizeof host, "%.*s", (int)strcspn(v->host, "."), v->host);
        bool domain = *dom && strcasecmp(dom, host) != 0 && strcasecmp(dom, "Builtin") != 0;
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, domain ? TM_ROLE_DC : TM_ROLE_HOST,
                                          what(it->sub));
        static const char *const fits[] = {"net-user", NULL};
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, activity(it->sub));
        char subj[256];
        tm_account(r, "Subject", subj, sizeof subj);
        const char *member = tm_data(r, "MemberName");
        tm_cite(t, r, it->art, "%s: %s\\%s%s%s by %s", what(it->sub), dom, tm_data(r, "TargetUserName"),
                *member ? ", member " : "", member, subj);
        tm_trace_set(&t->user, subj);
        tm_trace_set(&t->user_sid, tm_data(r, "SubjectUserSid"));
        tm_trace_set(&t->logon_id, tm_data(r, "SubjectLogonId"));
        tm_confirm(t, false, "%s (Security %u): the change happened; the tool that made it is not recorded here",
                   what(it->sub), tm_event_id(r));
        tm_trace_setf(&t->message, "%s: %s\\%s%s%s by %s", what(it->sub), dom, tm_data(r, "TargetUserName"),
                      *member ? ", member " : "", member, subj);
    }
    free(cited);
}

const tm_plugin tm_plugin_netuser = {
    .name = "netuser",
    .tools = tools,
    .category = CATEGORY,
    .summary = "net user / net group runs; account and group changes (Security 4720-4738)",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
