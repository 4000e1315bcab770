/* net user / net group: accounts and group memberships added, changed or
 * deleted, and accounts or groups listed.
 *
 * Source: net.exe / net1.exe runs with "user" or "group" (4688/Sysmon 1,
 * typed commands); a run that changes something (/add, /delete, /active,
 * a password) is confirmed when the change is recorded on this host (the
 * sheet: 4720, 4726, 4728, 4737 ...) and cites it; a change of a domain
 * account is recorded on the domain controller.
 * The account-management events themselves (users, groups, computer
 * accounts, SID history, renames, the DSRM password) are recorded whatever
 * tool made the change (net, the MMC, PowerShell, ADSI, an exploit): they
 * are single-event detections, toolmark's rules in rules/security/accounts/
 * (one trace per session, account and burst, net-user a candidate where
 * net can make the change; left out where a net run here cites them).
 * Enumeration: SAM objects opened (4661 on the DC), local group
 * memberships listed (4798/4799) by a caller that is not Windows' own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Adding or Deleting a User/Group"

/* The account-management events a net run may make, in words for its
 * citations (their own traces come from rules/security/accounts/). */
#define ACCOUNT_EVENTS(X) \
    X(4720, "account created") X(4722, "account enabled") X(4723, "password change attempted") \
    X(4724, "password reset") X(4725, "account disabled") X(4726, "account deleted") \
    X(4728, "member added to global group") X(4729, "member removed from global group") \
    X(4732, "member added to local group") X(4733, "member removed from local group") \
    X(4737, "global group changed") X(4738, "account changed") X(4756, "member added to universal group")

#define EVENT_ROW(id, what) {id, what},
static const struct {
    uint32_t id;
    const char *what;
} events[] = {ACCOUNT_EVENTS(EVENT_ROW)};
/* Enumeration: SAM objects opened remotely (4661 on the server, through
 * lsass), a user's or a group's local memberships listed (4798, 4799). */
enum { S_NET, S_NET1, S_4661, S_4798, S_4799, S_EVENT }; /* then one subscription per row of events */
static bool sam_object(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return strncmp(tm_data(r, "ObjectType"), "SAM_", 4) == 0;
}
#define EVENT_SUB(id, what) {TM_SUB_EVTX, "Security", id, NULL, NULL},
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

/* What a net user / net group command that changes something does, in
 * the activities' words (docs/traces.md): the account events it makes are
 * its evidence, not traces of their own. */
static const char *change_activity(const char *verb, const char *cmd)
{
    bool group = strncmp(verb, "group", 5) == 0;
    /* the words after the verb that are not options: a group and a member */
    size_t words = 0;
    const char *p = tm_icontains(cmd, verb) ? cmd : "";
    for (const char *v = p; *v; v++)
        if (!strncasecmp(v, verb, strlen(verb))) {
            p = v + strlen(verb);
            break;
        }
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p && *p != '/')
            words++;
        p += strcspn(p, " ");
    }
    if (tm_icontains(cmd, "/del"))
        return group ? (words >= 2 ? "group member removed" : "group changed") : "account deleted";
    if (tm_icontains(cmd, "/add"))
        return group ? (words >= 2 ? "group member added" : "group changed") : "account created";
    if (tm_icontains(cmd, "/active:no"))
        return "account disabled";
    if (tm_icontains(cmd, "/active"))
        return "account enabled";
    return group ? "group changed" : "account changed";
}

static const char *what(unsigned sub)
{
    return events[sub - S_EVENT].what;
}

/* Account and group enumeration: one trace per session (subject logon id)
 * and burst (records less than 10 minutes apart). The records name the
 * account that asked and, for 4798/4799, the calling program; net.exe is
 * one of many programs that ask (PowerShell, SharpHound, CME, the MMC). */
static void enumeration(const tm_view *v, tm_traces *out)
{
    tm_bursts bursts; /* by session and calling program */
    tm_bursts_init(&bursts, out, 10 * TM_MIN);
    for (size_t i = 0; tm_view_has(v, i); i++) {
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
            recorded = true;
        }
        if (change)
            tm_trace_set(&t->activity, change_activity(run->best->verb, cmd));
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
}

const tm_plugin tm_plugin_netuser = {
    .name = "netuser",
    .tools = tools,
    .category = CATEGORY,
    .summary = "net user / net group runs and the account changes they make; account and group enumeration",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
