/* Remote logons: the network logons other hosts made here (Security 4624
 * logon type 3, and 8 for cleartext), the activity every lateral-movement
 * tool of the sheet leaves on its destination and the link between hosts.
 * No tool is named: a network logon does not say which program made it.
 *
 * One trace per account and source address per burst (logons less than 10
 * minutes apart), with the count; "with administrative rights" when the
 * logon received special privileges (4672, same logon id), which remote
 * execution needs. Left out: computer accounts (NAME$, the domain's own
 * traffic), anonymous logons and logons from this host itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Remote Login"

enum { S_4624, S_4672 };
static bool network_logon(const tm_record *r, const void *ctx)
{
    (void)ctx;
    const char *type = tm_data(r, "LogonType"), *user = tm_data(r, "TargetUserName");
    size_t ul = strlen(user);
    return (strcmp(type, "3") == 0 || strcmp(type, "8") == 0) && ul && user[ul - 1] != '$' &&
           strcasecmp(user, "ANONYMOUS LOGON") != 0 && !tm_is_local_address(tm_data(r, "IpAddress"));
}
static const tm_sub subs[] = {
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, network_logon, NULL},
    [S_4672] = {TM_SUB_EVTX, "Security", 4672, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {NULL};

static void run(const tm_view *v, tm_traces *out)
{
    tm_item_index privileged;
    tm_index_by(v, S_4672, "SubjectLogonId", &privileged);
    tm_bursts bursts; /* by account and address */
    tm_bursts_init(&bursts, out, 10 * TM_MIN);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_4624)
            continue;
        const tm_record *r = it->r;
        char acct[256], key[400];
        tm_account(r, "Target", acct, sizeof acct);
        const char *ip = tm_data(r, "IpAddress");
        snprintf(key, sizeof key, "%s\t%s", acct, ip);
        size_t np;
        tm_index_find(&privileged, tm_data(r, "TargetLogonId"), &np);
        tm_trace *t = tm_burst_find(&bursts, out, key, r->time);
        if (!t) {
            t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_DESTINATION, "Network logon (Security 4624)");
            tm_burst_begin(&bursts, out, key);
            t->generic = true;
            tm_trace_set(&t->activity, "remote logon");
            tm_trace_set(&t->user, acct);
            tm_trace_set(&t->user_sid, tm_data(r, "TargetUserSid"));
            tm_trace_set(&t->logon_id, tm_data(r, "TargetLogonId"));
            tm_trace_set(&t->peer, ip);
            tm_confirm(t, false, "a network logon does not say which program made it");
        }
        tm_cite(t, r, it->art, "logon type %s of %s from %s (%s) by %s, logon id %s%s", tm_data(r, "LogonType"), acct,
                ip, tm_data(r, "WorkstationName"), tm_data(r, "AuthenticationPackageName"),
                tm_data(r, "TargetLogonId"), np ? ", with special privileges (4672)" : "");
        size_t n = tm_burst_count(&bursts, out, t);
        if (np) /* any logon of the burst with special privileges */
            tm_trace_set(&t->outcome, "administrative rights (4672)");
        tm_trace_setf(&t->message, "%s logged on over the network from %s%s (%zu logon%s)", acct, ip,
                      t->outcome ? " with administrative rights" : "", n, n == 1 ? "" : "s");
    }
    tm_bursts_free(&bursts);
    tm_index_free(&privileged);
}

const tm_plugin tm_plugin_logons = {
    .name = "logons",
    .tools = tools,
    .category = CATEGORY,
    .summary = "network logons from other hosts (4624 type 3/8), one trace per account, address and burst",
    .subs = subs,
    .run = run,
};
