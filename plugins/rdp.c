/* mstsc: Remote Desktop, on both ends.
 *
 * Source: mstsc.exe runs; the RDP client log (RDPClient 1024 connecting to
 * a server, 1102 its address, 1026/1105 disconnect); the user's Terminal
 * Server Client keys (Servers\<host> with UsernameHint, Default\MRU*).
 * The sheet gives no success evidence for the source: indicators.
 * Destination: the logon (Security 4624 type 10, or type 7 on reconnect),
 * Remote Desktop authentication (RemoteConnectionManager 1149), the session
 * (LocalSessionManager 21 logon, 22 shell, 24 disconnect, 25 reconnect,
 * 23 logoff), 4778/4779 reconnect/disconnect. One trace per connection,
 * an activity with mstsc as candidate (the server's records do not say
 * which client connected). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Remote Login"
#define LSM "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
#define RCM "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
#define RDPC "Microsoft-Windows-TerminalServices-RDPClient/Operational"

enum {
    S_MSTSC, S_1024, S_1102, S_1026, S_1105, S_1025, S_1028, S_1029, S_SERVER, S_MRU,
    S_4624, S_1149, S_261, S_21, S_22, S_23, S_24, S_25, S_4778, S_4779,
};
static const tm_sub subs[] = {
    [S_MSTSC] = {TM_SUB_EXEC, "mstsc", 0, NULL, NULL},
    [S_1024] = {TM_SUB_EVTX, RDPC, 1024, NULL, NULL},
    [S_1102] = {TM_SUB_EVTX, RDPC, 1102, NULL, NULL},
    [S_1026] = {TM_SUB_EVTX, RDPC, 1026, NULL, NULL},
    [S_1105] = {TM_SUB_EVTX, RDPC, 1105, NULL, NULL},
    [S_1025] = {TM_SUB_EVTX, RDPC, 1025, NULL, NULL},
    [S_1028] = {TM_SUB_EVTX, RDPC, 1028, NULL, NULL},
    [S_1029] = {TM_SUB_EVTX, RDPC, 1029, NULL, NULL},
    [S_SERVER] = {TM_SUB_FACT, "rdp_server", 0, NULL, NULL},
    [S_MRU] = {TM_SUB_FACT, "rdp_mru", 0, NULL, NULL},
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    [S_1149] = {TM_SUB_EVTX, RCM, 1149, NULL, NULL},
    [S_261] = {TM_SUB_EVTX, RCM, 261, NULL, NULL},
    [S_21] = {TM_SUB_EVTX, LSM, 21, NULL, NULL},
    [S_22] = {TM_SUB_EVTX, LSM, 22, NULL, NULL},
    [S_23] = {TM_SUB_EVTX, LSM, 23, NULL, NULL},
    [S_24] = {TM_SUB_EVTX, LSM, 24, NULL, NULL},
    [S_25] = {TM_SUB_EVTX, LSM, 25, NULL, NULL},
    [S_4778] = {TM_SUB_EVTX, "Security", 4778, NULL, NULL},
    [S_4779] = {TM_SUB_EVTX, "Security", 4779, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"mstsc", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"mstsc", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_RDPLOG, TM_COV_REGISTRY)},
    {"mstsc", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_LOGON, TM_COV_RDPLOG)},
    {NULL, 0, NULL},
};
static const char *const mstsc_names[] = {"mstsc", NULL};

/* User name without domain, lowercase, and the remote address of an item. */
static void who(const tm_item *it, char *user, size_t un, char *addr, size_t an)
{
    const tm_record *r = it->r;
    const char *u = "", *a = "";
    switch (it->sub) {
    case S_4624: u = tm_data(r, "TargetUserName"); a = tm_data(r, "IpAddress"); break;
    case S_1149: u = tm_data(r, "Param1"); a = tm_data(r, "Param3"); break;
    case S_4778: case S_4779: u = tm_data(r, "AccountName"); a = tm_data(r, "ClientAddress"); break;
    default: u = tm_data(r, "User"); a = tm_data(r, "Address"); break;
    }
    const char *bs = strrchr(u, '\\');
    if (bs)
        u = bs + 1;
    size_t k = 0;
    for (; u[k] && k + 1 < un; k++)
        user[k] = (char)(u[k] >= 'A' && u[k] <= 'Z' ? u[k] + 32 : u[k]);
    user[k] = 0;
    snprintf(addr, an, "%s", a);
}

static bool rdp_logon(const tm_item *it)
{
    if (it->sub != S_4624)
        return true;
    const char *lt = tm_data(it->r, "LogonType");
    return strcmp(lt, "10") == 0;
}

typedef struct {
    char user[128], addr[128];
    const tm_item **it;
    size_t n;
    int64_t last;
    bool open;
} session;

static void destination(const tm_view *v, tm_traces *out)
{
    session *ss = NULL;
    size_t ns = 0;
    size_t *open = NULL, nopen = 0; /* the open sessions, oldest first: a server's logoffs close them */
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub < S_4624 || !rdp_logon(it) || it->r->time == TM_TIME_NONE)
            continue;
        if (it->sub == S_261) /* the listener took a connection: cited with the session below */
            continue;
        char user[128], addr[128];
        who(it, user, sizeof user, addr, sizeof addr);
        bool connect = it->sub == S_1149 || it->sub == S_4624 || it->sub == S_21 || it->sub == S_25 || it->sub == S_4778;
        /* The open session of this user (and address, when both know it). */
        session *s = NULL;
        size_t so = 0;
        for (size_t k = nopen; k-- > 0;) {
            session *c = &ss[open[k]];
            if (strcmp(c->user, user) != 0 && user[0] && c->user[0])
                continue;
            if (addr[0] && c->addr[0] && strcmp(addr, c->addr) != 0 && !tm_is_local_address(addr))
                continue;
            /* a new connection more than 5 minutes after this one's last event starts another */
            if (connect && tm_time_gap(it->r->time, c->last) > 5 * TM_MIN && (it->sub == S_1149 || it->sub == S_4624))
                continue;
            s = c;
            so = k;
            break;
        }
        if (!s) {
            if (!connect)
                continue; /* a disconnect with no connection seen: the connect rolled out of the log */
            TM_GROW(ss, ns);
            s = &ss[ns++];
            memset(s, 0, sizeof *s);
            snprintf(s->user, sizeof s->user, "%s", user);
            s->open = true;
            TM_GROW(open, nopen);
            so = nopen;
            open[nopen++] = ns - 1;
        }
        if (!s->user[0])
            snprintf(s->user, sizeof s->user, "%s", user);
        if (!s->addr[0] && !tm_is_local_address(addr))
            snprintf(s->addr, sizeof s->addr, "%s", addr);
        TM_GROW(s->it, s->n);
        s->it[s->n++] = it;
        s->last = it->r->time;
        if (it->sub == S_23) {
            s->open = false;
            memmove(open + so, open + so + 1, (nopen - so - 1) * sizeof *open);
            nopen--;
        }
    }
    free(open);
    for (size_t k = 0; k < ns; k++) {
        session *s = &ss[k];
        const tm_item *first = s->it[0];
        tm_trace *t = tm_trace_add(out, "mstsc", CATEGORY, TM_ROLE_DESTINATION, first->r->time,
                                   "Remote Desktop connection (first record)");
        tm_trace_set(&t->host, v->host);
        bool logon = false, l21 = false, l24 = false;
        for (size_t i = 0; i < s->n; i++) {
            const tm_item *it = s->it[i];
            const tm_record *r = it->r;
            char acct[256];
            switch (it->sub) {
            case S_4624:
                tm_account(r, "Target", acct, sizeof acct);
                tm_cite(t, r, it->art, "logon type %s of %s from %s (%s), logon id %s", tm_data(r, "LogonType"), acct,
                        tm_data(r, "IpAddress"), tm_data(r, "WorkstationName"), tm_data(r, "TargetLogonId"));
                logon = true;
                tm_trace_set(&t->user, acct);
                tm_trace_set(&t->user_sid, tm_data(r, "TargetUserSid"));
                tm_trace_set(&t->logon_id, tm_data(r, "TargetLogonId"));
                break;
            case S_1149:
                tm_cite(t, r, it->art, "Remote Desktop authentication of %s\\%s from %s", tm_data(r, "Param2"),
                        tm_data(r, "Param1"), tm_data(r, "Param3"));
                if (!t->user)
                    tm_trace_setf(&t->user, "%s\\%s", tm_data(r, "Param2"), tm_data(r, "Param1"));
                break;
            case S_4778:
            case S_4779:
                tm_cite(t, r, it->art, "session %s %s by %s from %s (%s)", tm_data(r, "SessionName"),
                        it->sub == S_4778 ? "reconnected" : "disconnected", tm_data(r, "AccountName"),
                        tm_data(r, "ClientAddress"), tm_data(r, "ClientName"));
                break;
            default: {
                static const char *const what[] = {"logon", "shell start", "logoff", "disconnected", "reconnection"};
                if (it->sub < S_21 || it->sub > S_25)
                    break;
                tm_cite(t, r, it->art, "session %s %s: %s from %s", tm_data(r, "SessionID"), what[it->sub - S_21],
                        tm_data(r, "User"), tm_data(r, "Address"));
                l21 |= it->sub == S_21;
                l24 |= it->sub == S_24;
                if (!t->user && *tm_data(r, "User"))
                    tm_trace_set(&t->user, tm_data(r, "User"));
                break;
            }
            }
        }
        /* the listener's record of the connection, just before the session */
        size_t l0, l1;
        tm_view_around(v, first->r->time, TM_MIN - 1, 0, &l0, &l1);
        for (size_t li = l0; li < l1; li++) {
            const tm_item *l = &v->items[li];
            if (l->sub == S_261 && l->r->time != TM_TIME_NONE && l->r->time <= first->r->time &&
                first->r->time - l->r->time < TM_MIN)
                tm_cite(t, l->r, l->art, "RDP listener received a connection (RemoteConnectionManager 261)");
        }
        if (s->addr[0])
            tm_trace_set(&t->peer, s->addr);
        if (logon && l21 && l24)
            tm_confirm(t, true, "logon (Security 4624) and session logon and disconnect (LocalSessionManager 21, 24)");
        else
            tm_confirm(t, false, "the connection is recorded, but not all of 4624, LocalSessionManager 21 and 24");
        /* Every record here is the server's (logon type 10, the Terminal
         * Services logs): they show Remote Desktop, not which client made
         * the connection (mstsc, xfreerdp, rdesktop, a library), so mstsc
         * is a candidate; the source host's records name it. */
        tm_trace_set(&t->activity, "remote desktop logon");
        tm_trace_unattribute(t, NULL); /* mstsc becomes the candidate */
        tm_trace_setf(&t->message, "Remote Desktop logon of %s%s%s", t->user ? t->user : "?", t->peer ? " from " : "",
                      t->peer ? t->peer : "");
        free(s->it);
    }
    free(ss);
}

/* Cites the client-log records of one connection (1024 and what follows it). */
static void cite_client(tm_trace *t, const tm_view *v, size_t i)
{
    const tm_item *it = &v->items[i];
    tm_cite(t, it->r, it->art, "RDP client connecting to %s", tm_data(it->r, "Value"));
    for (size_t k = i + 1; k < v->n; k++) {
        const tm_item *n = &v->items[k];
        if (n->sub == S_1024)
            break;
        if ((n->sub == S_1102 || n->sub == S_1026 || n->sub == S_1105 || n->sub == S_1025 || n->sub == S_1028 ||
             n->sub == S_1029) &&
            tm_time_gap(n->r->time, it->r->time) < 12 * 3600 * TM_SEC) {
            char s[512];
            tm_event_summary(n->r, s, sizeof s);
            tm_cite(t, n->r, n->art, "RDP client event %u: %s", tm_event_id(n->r), s);
        }
    }
}

/* One trace per connection: an mstsc run, with the client log's records of
 * the connection it made; a client-log connection without a run; the user's
 * saved server key joins the last connection to that server before it. */
static void source(const tm_view *v, tm_traces *out)
{
    size_t first = out->n;
    tm_runs runs;
    tm_view_runs(v, mstsc_names, &runs);
    bool *used = tm_xcalloc(v->n ? v->n : 1, sizeof *used);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        tm_trace *t = tm_trace_for_run(out, v, run, "mstsc", CATEGORY, TM_ROLE_SOURCE);
        size_t k0, k1;
        tm_view_around(v, run->time, TM_SEC, TM_MIN, &k0, &k1);
        for (size_t k = k0; k < k1 && run->time != TM_TIME_NONE; k++) {
            const tm_item *it = &v->items[k];
            if (it->sub != S_1024 || used[k] || it->r->time < run->time - TM_SEC || it->r->time > run->time + TM_MIN)
                continue;
            cite_client(t, v, k);
            used[k] = true;
            if (!t->peer)
                tm_trace_set(&t->peer, tm_data(it->r, "Value"));
            break;
        }
    }
    tm_runs_free(&runs);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_1024 || used[i])
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "mstsc", CATEGORY, TM_ROLE_SOURCE,
                                          "Remote Desktop client connecting (RDPClient 1024)");
        tm_trace_set(&t->peer, tm_data(it->r, "Value"));
        tm_trace_set(&t->user_sid, tm_str(it->r, "user_sid"));
        cite_client(t, v, i);
    }
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_SERVER)
            continue;
        const char *server = tm_str(it->r, "name");
        tm_trace *t = NULL;
        for (size_t k = out->n; k-- > first;) {
            tm_trace *c = &out->t[k];
            if (c->peer && strcasecmp(c->peer, server) == 0 && c->time != TM_TIME_NONE && it->r->time != TM_TIME_NONE &&
                c->time <= it->r->time && it->r->time - c->time < 24 * 3600 * TM_SEC && (!t || c->time > t->time))
                t = c;
        }
        if (!t) {
            t = tm_trace_for_record(out, v, it, "mstsc", CATEGORY, TM_ROLE_SOURCE,
                                    "Terminal Server Client key last written (last connection)");
            tm_trace_set(&t->peer, server);
        }
        if (!t->user && it->art->user)
            tm_trace_set(&t->user, it->art->user);
        tm_cite(t, it->r, it->art, "Terminal Server Client\\Servers\\%s UsernameHint=%s (key written at the last "
                "connection by %s)", server, tm_str(it->r, "UsernameHint"), it->art->user ? it->art->user : "this user");
    }
    free(used);
    for (size_t k = first; k < out->n; k++) {
        tm_trace *t = &out->t[k];
        tm_confirm(t, false, "client side of the connection; the sheet's success evidence is on the destination");
        /* the RDP client's own log and registry keys, or its run */
        tm_trace_set(&t->activity, "remote desktop connection");
        for (size_t e = 0; e < t->nev; e++)
            tm_trace_attribute(t, t->attribution ? t->attribution : TM_ATTR_NAMED, &t->ev[e]);
        tm_trace_setf(&t->message, "Remote Desktop connection to %s%s%s", t->peer ? t->peer : "?",
                      t->user ? " by " : "", t->user ? t->user : "");
    }
}

static void run(const tm_view *v, tm_traces *out)
{
    source(v, out);
    destination(v, out);
}

const tm_plugin tm_plugin_rdp = {
    .name = "rdp",
    .tools = tools,
    .category = CATEGORY,
    .summary = "Remote Desktop: client runs, logs and registry on the source; logons and sessions on the destination",
    .subs = subs,
    .needs = needs,
    .run = run,
};
