/* net user / net group: accounts and group memberships added, changed or
 * deleted.
 *
 * Source: net.exe / net1.exe runs with "user" or "group" (4688/Sysmon 1,
 * typed commands); a run that changes something (/add, /delete, /active,
 * a password) is confirmed when the change is recorded on this host (the
 * sheet: 4720, 4726, 4728, 4737 ...); a change of a domain account is
 * recorded on the domain controller.
 * Host or domain controller: the account-management events themselves
 * (ACCOUNT_EVENTS below: users, groups, computer accounts, SID history,
 * renames, the DSRM password). They are
 * recorded whatever tool made the change (net, the MMC, PowerShell, ADSI,
 * an exploit): a change cited by a net run is that run's evidence; any
 * other is one trace of the activity ("account created" ...), tool not
 * recorded, net-user its candidate; the message says who made it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Adding or Deleting a User/Group"

/* The account-management events, one row each: id, the record in words,
 * the activity (docs/traces.md's vocabulary), whether net user / net group
 * can make it (then net-user is the candidate). */
#define ACCOUNT_EVENTS(X) \
    X(4720, "account created", "account created", true) \
    X(4722, "account enabled", "account enabled", true) \
    X(4723, "password change attempted", "password changed", true) \
    X(4724, "password reset", "password reset", true) \
    X(4725, "account disabled", "account disabled", true) \
    X(4726, "account deleted", "account deleted", true) \
    X(4728, "member added to global group", "group member added", true) \
    X(4729, "member removed from global group", "group member removed", true) \
    X(4732, "member added to local group", "group member added", true) \
    X(4733, "member removed from local group", "group member removed", true) \
    X(4737, "global group changed", "group changed", true) \
    X(4738, "account changed", "account changed", true) \
    X(4741, "computer account created", "account created", false) \
    X(4742, "computer account changed", "account changed", false) \
    X(4743, "computer account deleted", "account deleted", false) \
    X(4756, "member added to universal group", "group member added", true) \
    X(4765, "SID history added to an account", "sid history added", false) \
    X(4766, "SID history add failed", "sid history added", false) \
    X(4781, "account renamed", "account renamed", false) \
    X(4794, "directory services restore mode password set", "dsrm password set", false)

#define EVENT_ROW(id, what, activity, net) {id, what, activity, net},
static const struct {
    uint32_t id;
    const char *what, *activity;
    bool net_fits;
} events[] = {ACCOUNT_EVENTS(EVENT_ROW)};
/* Enumeration: SAM objects opened remotely (4661 on the server, through
 * lsass), a user's or a group's local memberships listed (4798, 4799). */
enum { S_NET, S_NET1, S_4661, S_4798, S_4799, S_EVENT }; /* then one subscription per row of events */
static bool sam_object(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return strncmp(tm_data(r, "ObjectType"), "SAM_", 4) == 0;
}
#define EVENT_SUB(id, what, activity, net) {TM_SUB_EVTX, "Security", id, NULL, NULL},
static const tm_sub subs[] = {
    [S_NET] = {TM_SUB_EXEC, "net", 0, NULL, NULL},
    [S_NET1] = {TM_SUB_EXEC, "net1", 0, NULL, NULL},
    [S_4661] = {TM_SUB_EVTX, "Security", 4661, sam_object, NULL},
    [S_4798] = {TM_SUB_EVTX, "Security", 4798, NULL, NULL},
    [S_4799] = {TM_SUB_EVTX, "Security", 4799, NULL, NULL},
    ACCOUNT_EVENTS(EVENT_SUB) TM_SUB_END,
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
    return events[sub - S_EVENT].what;
}

static const char *activity(unsigned sub)
{
    return events[sub - S_EVENT].activity;
}

/* Account and group enumeration: one trace per session (subject logon id)
 * and burst (records less than 10 minutes apart). The records name the
 * account that asked and, for 4798/4799, the calling program; net.exe is
 * one of many programs that ask (PowerShell, SharpHound, CME, the MMC). */
static void enumeration(const tm_view *v, tm_traces *out)
{
    tm_bursts bursts; /* by session and calling program */
    tm_bursts_init(&bursts, out, 10 * TM_MIN);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_4661 && it->sub != S_4798 && it->sub != S_4799)
            continue;
        const tm_record *r = it->r;
        const char *subj_name = tm_data(r, "SubjectUserName");
        size_t sl = strlen(subj_name);
        if (!sl || subj_name[sl - 1] == '$') /* computers ask the DC all the time */
            continue;
        char caller[64];
        tm_program_name_of(tm_data(r, "CallerProcessName"), caller, sizeof caller);
        static const char *const windows[] = {"svchost", "lsass", "explorer", "systemsettings", "consent", "mmc",
                                              "searchui", "searchapp", "wmiprvse"};
        bool routine = false;
        for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++)
            routine |= strcmp(caller, windows[k]) == 0;
        if (routine)
            continue;
        char acct[256], key[400];
        tm_account(r, "Subject", acct, sizeof acct);
        snprintf(key, sizeof key, "%s\t%s", tm_data(r, "SubjectLogonId"), caller);
        tm_trace *t = tm_burst_find(&bursts, out, key, r->time);
        if (!t) {
            bool dc = it->sub == S_4661;
            t = tm_trace_for_record(out, v, it, NULL, CATEGORY, dc ? TM_ROLE_DC : TM_ROLE_HOST,
                                    dc ? "SAM object opened (Security 4661)" : "Group membership enumerated");
            tm_burst_begin(&bursts, out, key);
            tm_trace_set(&t->activity, "account enumeration");
            static const char *const fits[] = {"net-user", NULL};
            tm_trace_unattribute(t, fits);
            tm_trace_set(&t->user, acct);
            tm_trace_set(&t->user_sid, tm_data(r, "SubjectUserSid"));
            tm_trace_set(&t->logon_id, tm_data(r, "SubjectLogonId"));
            tm_confirm(t, false, "accounts or groups were listed; the records do not say by which command");
        }
        if (it->sub == S_4661)
            tm_cite(t, r, it->art, "%s opened %s %s", acct, tm_data(r, "ObjectType"), tm_data(r, "ObjectName"));
        else
            tm_cite(t, r, it->art, "%s listed the %s of %s\\%s (caller %s)", acct,
                    it->sub == S_4798 ? "local groups" : "members", tm_data(r, "TargetDomainName"),
                    tm_data(r, "TargetUserName"), *tm_data(r, "CallerProcessName") ? tm_data(r, "CallerProcessName") : "-");
        size_t n = tm_burst_count(&bursts, out, t);
        tm_trace_setf(&t->message, "%s enumerated accounts or groups%s%s (%zu record%s)", acct, caller[0] && strcmp(caller, "-") ? " with " : "",
                      caller[0] && strcmp(caller, "-") ? caller : "", n, n == 1 ? "" : "s");
    }
    tm_bursts_free(&bursts);
}

static void run(const tm_view *v, tm_traces *out)
{
    enumeration(v, out);
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
            if (it->sub < S_EVENT || it->r->time < run->time - TM_SEC || it->r->time > run->time + TM_MIN)
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
        else {
            tm_confirm(t, false, "account or group listed (reconnaissance); nothing to confirm");
            tm_trace_set(&t->activity, "account enumeration");
        }
        tm_trace_setf(&t->message, "net %s: %s", run->best->verb, cmd);
    }
    tm_runs_free(&runs);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub < S_EVENT || cited[i])
            continue;
        const tm_record *r = it->r;
        /* a computer changing its own account (its password, every 30 days) */
        if (events[it->sub - S_EVENT].id == 4742 &&
            (strcasecmp(tm_data(r, "SubjectUserName"), tm_data(r, "TargetUserName")) == 0 ||
             strcasecmp(tm_data(r, "SubjectUserName"), "ANONYMOUS LOGON") == 0))
            continue;
        /* A domain account's domain differs from the computer's own name. */
        const char *dom = tm_data(r, "TargetDomainName");
        char host[96];
        snprintf(host, sizeof host, "%.*s", (int)strcspn(v->host, "."), v->host);
        bool domain = *dom && strcasecmp(dom, host) != 0 && strcasecmp(dom, "Builtin") != 0;
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, domain ? TM_ROLE_DC : TM_ROLE_HOST,
                                          what(it->sub));
        static const char *const fits[] = {"net-user", NULL};
        tm_trace_unattribute(t, events[it->sub - S_EVENT].net_fits ? fits : NULL);
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
        const char *newname = tm_data(r, "NewTargetUserName");
        if (*newname)
            tm_trace_setf(&t->outcome, "renamed from %s to %s", tm_data(r, "OldTargetUserName"), newname);
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
