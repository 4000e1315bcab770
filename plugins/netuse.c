/* net use: connecting to shared folders of other hosts.
 *
 * Source: net.exe / net1.exe runs with "use" (4688/Sysmon 1, typed
 * commands, scripts); confirmed by 4689 of net.exe with status 0x0 (the
 * sheet).
 * Destination: access to an administrative share (C$, ADMIN$, D$ ...) from
 * another host (Security 5140), with the files then read on it (5145).
 * net use, PsExec, Explorer and a plain `copy \\host\c$` all leave the
 * same records, so this is the activity "share access", net-use a
 * candidate. The connections of one logon to one share less than ten
 * minutes apart are one trace (a burst: the count, first and last time).
 * IPC$ and ordinary shares are not reported: every SMB client opens IPC$
 * and mapped home drives are routine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "File Share/Transfer"

enum { S_NET, S_NET1, S_5140, S_5145 };
static const char *const tools[] = {"net-use", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"net-use", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {"net-use", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_SHARE)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"net use", NULL, NULL, "net-use"},
    {NULL, NULL, NULL, NULL},
};
static const char *const names[] = {"net", "net1", NULL};

static bool is_use(const tm_run *run)
{
    return run->best && strcmp(run->best->verb, "use") == 0;
}

/* "\\*\C$", "\\*\ADMIN$": a share name ending in $ other than IPC$ / print$. */
static bool admin_share(const char *share)
{
    const char *b = strrchr(share, '\\');
    b = b ? b + 1 : share;
    size_t n = strlen(b);
    return n >= 2 && b[n - 1] == '$' && strcasecmp(b, "IPC$") != 0 && strcasecmp(b, "print$") != 0;
}

/* Access to an administrative share: all this plugin reads of 5140/5145. */
static bool on_admin_share(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return admin_share(tm_data(r, "ShareName"));
}

static const tm_sub subs[] = {
    [S_NET] = {TM_SUB_EXEC, "net", 0, NULL, NULL},
    [S_NET1] = {TM_SUB_EXEC, "net1", 0, NULL, NULL},
    [S_5140] = {TM_SUB_EVTX, "Security", 5140, on_admin_share, NULL},
    [S_5145] = {TM_SUB_EVTX, "Security", 5145, on_admin_share, NULL},
    TM_SUB_END,
};

static void run(const tm_view *v, tm_traces *out)
{
    tm_exec_rule r = {.tool = "net-use", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_SOURCE,
                      .names = names, .filter = is_use, .confirm_by_exit = true};
    tm_exec_traces(v, out, &r);
    tm_item_index access;
    tm_index_by(v, S_5145, "SubjectLogonId", &access);
    tm_strmap bursts; /* logon id, share, client -> its open trace (index in out) */
    tm_strmap_init(&bursts, false);
    static const char *const fits[] = {"net-use", NULL};
    size_t first = out->n, *conns = tm_view_alloc(v, v->n, sizeof *conns); /* per trace made here */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const char *ip = tm_data(it->r, "IpAddress");
        if (it->sub != S_5140 || !admin_share(tm_data(it->r, "ShareName")) || tm_is_local_address(ip))
            continue;
        char acct[256], key[600];
        tm_account(it->r, "Subject", acct, sizeof acct);
        snprintf(key, sizeof key, "%s\t%s\t%s", tm_data(it->r, "SubjectLogonId"), tm_data(it->r, "ShareName"), ip);
        size_t open = tm_strmap_get(&bursts, key);
        if (open != TM_STRMAP_NONE && it->r->time != TM_TIME_NONE && out->t[open].nev &&
            it->r->time - out->t[open].ev[out->t[open].nev - 1].time < 10 * TM_MIN) {
            tm_trace *t = &out->t[open];
            tm_cite(t, it->r, it->art, "%s from %s connected to %s (%s)", acct, ip, tm_data(it->r, "ShareName"),
                    tm_data(it->r, "ShareLocalPath"));
            tm_trace_setf(&t->message, "%s connected to %s from %s (%zu connections)", acct,
                          tm_data(it->r, "ShareName"), ip, ++conns[open - first]);
            continue;
        }
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_DESTINATION,
                                          "Administrative share accessed (Security 5140)");
        tm_strmap_put(&bursts, key, out->n - 1);
        conns[out->n - 1 - first] = 1;
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, "share access");
        tm_cite(t, it->r, it->art, "%s from %s connected to %s (%s)", acct, ip, tm_data(it->r, "ShareName"),
                tm_data(it->r, "ShareLocalPath"));
        tm_trace_set(&t->user, acct);
        tm_trace_set(&t->user_sid, tm_data(it->r, "SubjectUserSid"));
        tm_trace_set(&t->logon_id, tm_data(it->r, "SubjectLogonId"));
        tm_trace_set(&t->peer, ip);
        size_t reads = 0, cnt, at = tm_index_find(&access, tm_data(it->r, "SubjectLogonId"), &cnt);
        /* the logon's accesses are in time order: from this connection on */
        size_t lo = at, hi = at + cnt;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int64_t t5 = access.it[mid]->r->time;
            if (t5 != TM_TIME_NONE && t5 < it->r->time)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < at + cnt && reads < 20; k++) {
            const tm_item *o = access.it[k];
            if (strcasecmp(tm_data(o->r, "ShareName"), tm_data(it->r, "ShareName")) != 0 || o->r->time < it->r->time)
                continue;
            tm_cite(t, o->r, o->art, "%s accessed %s on %s (%s)", acct, tm_data(o->r, "RelativeTargetName"),
                    tm_data(o->r, "ShareName"), tm_data(o->r, "AccessList"));
            reads++;
        }
        tm_confirm(t, false, reads ? "files on the share were accessed (Security 5145); the records do not say "
                                     "which program connected"
                                   : "share connection only; no file access recorded (5145)");
        if (reads)
            tm_trace_set(&t->outcome, "files accessed");
        tm_trace_setf(&t->message, "%s connected to %s from %s", acct, tm_data(it->r, "ShareName"), ip);
    }
    tm_strmap_free(&bursts);
    tm_view_free(v, conns);
    tm_index_free(&access);
}

const tm_plugin tm_plugin_netuse = {
    .name = "netuse",
    .tools = tools,
    .category = CATEGORY,
    .summary = "net use on the source; administrative-share connections and file access on the destination",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
