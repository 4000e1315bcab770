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
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Remote Login"
#define LSM "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
#define RCM "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
#define RDPC "Microsoft-Windows-TerminalServices-RDPClient/Operational"

#define RDPCORE "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"

enum {
    S_MSTSC, S_1024, S_1102, S_1026, S_1105, S_1025, S_1028, S_1029, S_SERVER, S_MRU,
    S_4624, S_1149, S_261, S_21, S_22, S_23, S_24, S_25, S_4778, S_4779, /* a session's records */
    S_131, S_140, S_4825, S_NET3, S_5156, S_AXLOAD, S_ANY_EXEC, /* the evidence around it */
};

/* A connection to or from the RDP port (Sysmon 3, Security 5156). */
static bool to_rdp_port(const tm_record *r)
{
    return !strcmp(tm_data(r, "DestinationPort"), "3389") || !strcmp(tm_data(r, "DestPort"), "3389");
}

/* Whether a Sysmon 3 / Security 5156 connection came into this host. */
static bool inbound(const tm_record *r)
{
    const char *init = tm_data(r, "Initiated");
    if (*init)
        return strcasecmp(init, "false") == 0;
    const char *dir = tm_data(r, "Direction");
    return strcmp(dir, "%%14592") == 0 || strcasecmp(dir, "Inbound") == 0;
}

/* A connection to this host's RDP port or from here to another's (Sysmon
 * 3, Security 5156; an inbound one may be written from the server's side,
 * its source port 3389). */
static bool rdp_port(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return to_rdp_port(r) || (inbound(r) && !strcmp(tm_data(r, "SourcePort"), "3389"));
}

/* The Remote Desktop client control loaded (Sysmon 7). */
static bool loads_rdp_control(const tm_record *r, const void *ctx)
{
    (void)ctx;
    const char *dll = tm_data(r, "ImageLoaded");
    const char *bs = strrchr(dll, '\\');
    return strcasecmp(bs ? bs + 1 : dll, "mstscax.dll") == 0;
}
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
    [S_131] = {TM_SUB_EVTX, RDPCORE, 131, NULL, NULL},
    [S_140] = {TM_SUB_EVTX, RDPCORE, 140, NULL, NULL},
    [S_4825] = {TM_SUB_EVTX, "Security", 4825, NULL, NULL},
    [S_NET3] = {TM_SUB_EVTX, SYSMON, 3, rdp_port, NULL},
    [S_5156] = {TM_SUB_EVTX, "Security", 5156, rdp_port, NULL},
    [S_AXLOAD] = {TM_SUB_EVTX, SYSMON, 7, loads_rdp_control, NULL},
    [S_ANY_EXEC] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
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

/* The client's address of a record around an RDP connection, without its
 * port ("10.0.0.21:52011" -> "10.0.0.21"). */
static void client_address(const tm_item *it, char *out, size_t n)
{
    const tm_record *r = it->r;
    const char *a = "";
    switch (it->sub) {
    case S_131: a = tm_data(r, "ClientIP"); break;
    case S_140: a = *tm_data(r, "IPString") ? tm_data(r, "IPString") : tm_data(r, "ClientIP"); break;
    case S_4825: a = tm_data(r, "ClientAddress"); break;
    case S_NET3: a = tm_data(r, to_rdp_port(r) ? "SourceIp" : "DestinationIp"); break;
    case S_5156: a = tm_data(r, to_rdp_port(r) ? "SourceAddress" : "DestAddress"); break;
    default: break;
    }
    snprintf(out, n, "%s", a);
    char *colon = strrchr(out, ':');
    if (colon && strchr(out, ':') == colon) /* one colon: IPv4 and a port */
        *colon = 0;
}

/* A program started from, or a command naming, the RDP client's drives
 * (\\tsclient\C): the session redirected the client's disks. */
static bool client_drive(const tm_item *it)
{
    const tm_exec *e = it->exec;
    return it->sub == S_ANY_EXEC && e && !e->derived &&
           ((e->image && tm_icontains(e->image, "\\\\tsclient\\")) ||
            (e->command_line && tm_icontains(e->command_line, "\\\\tsclient\\")));
}

/* Whether an item is evidence around a server's RDP connection. */
static bool around_server(const tm_item *it)
{
    switch (it->sub) {
    case S_131: case S_140: case S_4825: return true;
    case S_NET3: case S_5156: {
        /* taken by the RDP service (svchost, or the kernel), not by a
         * program that listens on 3389 itself (a relay) */
        const char *image = *tm_data(it->r, "Image") ? tm_data(it->r, "Image") : tm_data(it->r, "Application");
        char prog[48];
        tm_program_name_of(image, prog, sizeof prog);
        return inbound(it->r) && (!prog[0] || !strcmp(prog, "svchost") || !strcmp(prog, "system"));
    }
    default: return client_drive(it);
    }
}

/* Cites a record around a connection; true when it is a failed logon. */
static bool cite_around(tm_trace *t, const tm_item *it)
{
    const tm_record *r = it->r;
    char addr[128];
    client_address(it, addr, sizeof addr);
    switch (it->sub) {
    case S_131:
        tm_cite(t, r, it->art, "RDP server accepted a %s connection from %s (RdpCoreTS 131)", tm_data(r, "ConnType"),
                tm_data(r, "ClientIP"));
        return false;
    case S_140:
        tm_cite(t, r, it->art, "RDP logon from %s failed: wrong user name or password (RdpCoreTS 140)", addr);
        return true;
    case S_4825:
        tm_cite(t, r, it->art, "Remote Desktop access denied to %s\\%s from %s (not allowed to log on through Remote "
                "Desktop)", tm_data(r, "AccountDomain"), tm_data(r, "AccountName"), addr);
        return true;
    case S_NET3:
    case S_5156:
        tm_cite(t, r, it->art, "inbound connection to the RDP port from %s accepted by %s", addr,
                *tm_data(r, "Image") ? tm_data(r, "Image") : tm_data(r, "Application"));
        return false;
    default: {
        char s[900];
        tm_exec_summary(it->exec, s, sizeof s);
        tm_cite(t, r, it->art, "the RDP client's drive used: %s", s);
        return false;
    }
    }
}

/* The evidence around RDP connections that no session explains: the RDP
 * server's accepted connections (RdpCoreTS 131) and failed logons
 * (RdpCoreTS 140, Security 4825), inbound connections to 3389 (Sysmon 3,
 * 5156), the client's drives used in a session (\\tsclient\). A record of
 * a session's address (or, for \\tsclient\, its user) during the session is
 * cited with it (appended to its items); the others make one trace per
 * client and burst: "remote desktop connection" (no logon on record) or
 * "remote desktop logon failed". The server's records do not say which
 * client connected: mstsc is a candidate. */
typedef struct {
    bool failed;
    char key[192];
    const tm_item **it;
    size_t n;
    int64_t last;
} rdp_group;

/* The sessions of one address (or user), in time order, and how far a walk
 * in time order has got through them. */
typedef struct {
    size_t *s;
    size_t n, at;
} session_list;

static void list_sessions(const session *ss, size_t ns, bool by_user, tm_strmap *m, session_list **lists, size_t *nl)
{
    tm_strmap_init(m, true);
    for (size_t k = 0; k < ns; k++) {
        const char *key = by_user ? ss[k].user : ss[k].addr;
        size_t l = tm_strmap_get(m, key);
        if (l == TM_STRMAP_NONE) {
            TM_GROW(*lists, *nl);
            (*lists)[*nl] = (session_list){NULL, 0, 0};
            tm_strmap_put(m, key, *nl);
            l = (*nl)++;
        }
        session_list *sl = &(*lists)[l];
        TM_GROW(sl->s, sl->n);
        sl->s[sl->n++] = k;
    }
}

/* The session of the list that was open at `when` (two minutes either
 * side), or TM_STRMAP_NONE; `when` never goes back, so the walk is linear. */
static size_t open_session(const session *ss, session_list *sl, int64_t when)
{
    while (sl->at < sl->n && ss[sl->s[sl->at]].last + 2 * TM_MIN < when)
        sl->at++;
    if (sl->at == sl->n)
        return TM_STRMAP_NONE;
    const session *c = &ss[sl->s[sl->at]];
    return when >= c->it[0]->r->time - 2 * TM_MIN ? sl->s[sl->at] : TM_STRMAP_NONE;
}

static void around_sessions(const tm_view *v, session *ss, size_t ns, rdp_group **groups, size_t *ngroups)
{
    /* the sessions by address and by user */
    tm_strmap by_addr, by_user;
    session_list *la = NULL, *lu = NULL;
    size_t nla = 0, nlu = 0;
    list_sessions(ss, ns, false, &by_addr, &la, &nla);
    list_sessions(ss, ns, true, &by_user, &lu, &nlu);
    tm_strmap open; /* group key -> its latest burst */
    tm_strmap_init(&open, true);
    rdp_group *g = NULL;
    size_t ng = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        int64_t when = it->exec ? it->exec->time : it->r->time;
        if (!around_server(it) || when == TM_TIME_NONE)
            continue;
        char addr[128], user[128] = "";
        client_address(it, addr, sizeof addr);
        bool drive = it->sub == S_ANY_EXEC;
        if (drive && it->exec->user) {
            const char *u = strrchr(it->exec->user, '\\');
            snprintf(user, sizeof user, "%s", u ? u + 1 : it->exec->user);
        }
        /* a session of this address (user) that was open then */
        size_t l = drive ? (user[0] ? tm_strmap_get(&by_user, user) : TM_STRMAP_NONE)
                         : (addr[0] ? tm_strmap_get(&by_addr, addr) : TM_STRMAP_NONE);
        size_t k = l == TM_STRMAP_NONE ? TM_STRMAP_NONE : open_session(ss, drive ? &lu[l] : &la[l], when);
        if (k != TM_STRMAP_NONE) {
            TM_GROW(ss[k].it, ss[k].n);
            ss[k].it[ss[k].n++] = it;
            continue;
        }
        bool failed = it->sub == S_140 || it->sub == S_4825;
        char key[192];
        snprintf(key, sizeof key, "%c%s", failed ? 'f' : 'c', drive ? user : addr);
        size_t b = tm_strmap_get(&open, key);
        if (b == TM_STRMAP_NONE || when - g[b].last >= 10 * TM_MIN) {
            TM_GROW(g, ng);
            memset(&g[ng], 0, sizeof g[ng]);
            g[ng].failed = failed;
            snprintf(g[ng].key, sizeof g[ng].key, "%s", drive ? user : addr);
            tm_strmap_put(&open, key, ng);
            b = ng++;
        }
        TM_GROW(g[b].it, g[b].n);
        g[b].it[g[b].n++] = it;
        g[b].last = when;
    }
    tm_strmap_free(&open);
    tm_strmap_free(&by_addr);
    tm_strmap_free(&by_user);
    for (size_t l = 0; l < nla; l++)
        free(la[l].s);
    for (size_t l = 0; l < nlu; l++)
        free(lu[l].s);
    free(la);
    free(lu);
    *groups = g;
    *ngroups = ng;
}

static void around_traces(const tm_view *v, tm_traces *out, rdp_group *g, size_t ng)
{
    for (size_t k = 0; k < ng; k++) {
        const tm_item *first = g[k].it[0];
        bool drive = first->sub == S_ANY_EXEC;
        tm_trace *t = tm_trace_add(out, NULL, CATEGORY, TM_ROLE_DESTINATION,
                                   first->exec ? first->exec->time : first->r->time,
                                   g[k].failed ? "Remote Desktop logon refused (first record)"
                                               : "Remote Desktop connection (first record)");
        tm_trace_set(&t->host, v->host);
        for (size_t i = 0; i < g[k].n; i++)
            cite_around(t, g[k].it[i]);
        t->evidence_total = t->nev;
        if (drive) {
            tm_trace_set(&t->user, first->exec->user);
        } else {
            tm_trace_set(&t->peer, g[k].key[0] ? g[k].key : NULL);
            if (first->sub == S_4825)
                tm_trace_setf(&t->user, "%s\\%s", tm_data(first->r, "AccountDomain"), tm_data(first->r, "AccountName"));
        }
        static const char *const fits[] = {"mstsc", NULL};
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, g[k].failed ? "remote desktop logon failed" : "remote desktop connection");
        if (g[k].failed) {
            tm_trace_set(&t->outcome, "logon refused");
            tm_confirm(t, false, "the RDP server refused the logon (RdpCoreTS 140: wrong credentials; Security 4825: "
                                 "not allowed to log on through Remote Desktop)");
            tm_trace_setf(&t->message, "Remote Desktop logon refused%s%s%s%s (%zu record%s)", t->user ? " to " : "",
                          t->user ? t->user : "", t->peer ? " from " : "", t->peer ? t->peer : "", g[k].n,
                          g[k].n == 1 ? "" : "s");
        } else if (drive) {
            tm_confirm(t, false, "a program used the RDP client's drive (\\\\tsclient\\): a Remote Desktop session "
                                 "with drive redirection; its logon is not on record here");
            tm_trace_setf(&t->message, "%s used the RDP client's drive in a Remote Desktop session",
                          t->user ? t->user : "?");
        } else {
            tm_confirm(t, false, "connections to the RDP port were accepted; no logon (Security 4624 type 10, "
                                 "RemoteConnectionManager 1149) is on record for them");
            tm_trace_setf(&t->message, "Remote Desktop connection%s from %s, no logon on record (%zu record%s)",
                          g[k].n == 1 ? "" : "s", t->peer ? t->peer : "?", g[k].n, g[k].n == 1 ? "" : "s");
        }
        free(g[k].it);
    }
    free(g);
}

static void destination(const tm_view *v, tm_traces *out)
{
    session *ss = NULL;
    size_t ns = 0;
    size_t *open = NULL, nopen = 0; /* the open sessions, oldest first: a server's logoffs close them */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub < S_4624 || it->sub > S_4779 || !rdp_logon(it) || it->r->time == TM_TIME_NONE)
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
    rdp_group *groups;
    size_t ngroups;
    around_sessions(v, ss, ns, &groups, &ngroups);
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
            case S_131: case S_140: case S_4825: case S_NET3: case S_5156: case S_ANY_EXEC:
                cite_around(t, it);
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
    around_traces(v, out, groups, ngroups);
}

/* Cites the client-log records of one connection (1024 and what follows it). */
static void cite_client(tm_trace *t, const tm_view *v, size_t i)
{
    const tm_item *it = &v->items[i];
    tm_cite(t, it->r, it->art, "RDP client connecting to %s", tm_data(it->r, "Value"));
    for (size_t k = i + 1; tm_view_has(v, k); k++) {
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

/* A source trace's time and index, to find the mstsc connection a record
 * of mstsc.exe belongs to by binary search. */
typedef struct {
    int64_t time;
    size_t trace;
} timed_trace;

static int by_trace_time(const void *pa, const void *pb)
{
    const timed_trace *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->trace < b->trace ? -1 : a->trace > b->trace;
}

static void cite_client_record(tm_trace *t, const tm_item *it)
{
    const tm_record *r = it->r;
    if (it->sub == S_AXLOAD)
        tm_cite(t, r, it->art, "%s loaded the Remote Desktop client control %s", tm_data(r, "Image"),
                tm_data(r, "ImageLoaded"));
    else
        tm_cite(t, r, it->art, "%s connected to %s:3389", *tm_data(r, "Image") ? tm_data(r, "Image")
                                                                             : tm_data(r, "Application"),
                *tm_data(r, "DestinationIp") ? tm_data(r, "DestinationIp") : tm_data(r, "DestAddress"));
}

/* RDP from the evidence around the client: connections to 3389 (Sysmon 3,
 * 5156) and the Remote Desktop client control mstscax.dll loaded (Sysmon
 * 7). Of mstsc.exe they are cited with its connection (the trace of its
 * run or client log from before them), or make one; of any other program
 * (a script, SharpRDP, a remote-desktop manager) they are the activity
 * "remote desktop connection", one trace per program, process and burst,
 * mstsc a candidate: the sheet's tool is the client mstsc.exe. */
static void other_clients(const tm_view *v, tm_traces *out, size_t first)
{
    size_t nsrc = out->n - first;
    timed_trace *tt = tm_xmalloc((nsrc ? nsrc : 1) * sizeof *tt);
    size_t ntt = 0;
    for (size_t k = first; k < out->n; k++)
        if (out->t[k].time != TM_TIME_NONE)
            tt[ntt++] = (timed_trace){out->t[k].time, k};
    tm_sort(tt, ntt, sizeof *tt, by_trace_time);
    tm_strmap open; /* program and process -> its latest burst */
    tm_strmap_init(&open, true);
    timed_trace *burst = NULL; /* per burst: its trace and its last record's time */
    size_t nburst = 0, made = TM_STRMAP_NONE; /* the last mstsc connection made here */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const tm_record *r = it->r;
        if ((it->sub != S_NET3 && it->sub != S_5156 && it->sub != S_AXLOAD) || r->time == TM_TIME_NONE)
            continue;
        if (it->sub != S_AXLOAD && inbound(r))
            continue;
        const char *image = *tm_data(r, "Image") ? tm_data(r, "Image") : tm_data(r, "Application");
        char prog[48];
        tm_program_name_of(image, prog, sizeof prog);
        if (!strcmp(prog, "mstsc")) {
            /* the latest mstsc connection before it (within 12 hours) */
            size_t lo = 0, hi = ntt;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (tt[mid].time <= r->time + TM_SEC)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            tm_trace *t = lo && r->time - tt[lo - 1].time < 12 * 3600 * TM_SEC ? &out->t[tt[lo - 1].trace] : NULL;
            /* or the connection made here for an earlier record (records come
             * in time order: the latest one made is the one to join) */
            if (made != TM_STRMAP_NONE && (!t || out->t[made].time >= t->time) &&
                r->time - out->t[made].time < 12 * 3600 * TM_SEC)
                t = &out->t[made];
            if (!t) {
                t = tm_trace_for_record(out, v, it, "mstsc", CATEGORY, TM_ROLE_SOURCE,
                                        it->sub == S_AXLOAD ? "Remote Desktop client control loaded (Sysmon 7)"
                                                            : "Connection to the RDP port");
                tm_trace_set(&t->activity, "remote desktop connection");
                tm_trace_set(&t->user, *tm_data(r, "User") ? tm_data(r, "User") : NULL);
                tm_confirm(t, false, "client side of the connection; the sheet's success evidence is on the "
                                     "destination");
                tm_trace_set(&t->message, "Remote Desktop connection by mstsc.exe");
                made = out->n - 1;
            }
            cite_client_record(t, it);
            t->ev[t->nev - 1].attributes = true; /* its Image is mstsc.exe */
            t->attribution = t->attribution ? t->attribution : TM_ATTR_NAMED;
            if (!t->peer && it->sub != S_AXLOAD)
                tm_trace_set(&t->peer, *tm_data(r, "DestinationIp") ? tm_data(r, "DestinationIp")
                                                                    : tm_data(r, "DestAddress"));
            if (!strncmp(t->message, "Remote Desktop connection", 25) && t->peer)
                tm_trace_setf(&t->message, "Remote Desktop connection to %s%s%s", t->peer, t->user ? " by " : "",
                              t->user ? t->user : "");
            continue;
        }
        char key[600];
        snprintf(key, sizeof key, "%s|%s", image, tm_data(r, "ProcessId"));
        size_t k = tm_strmap_get(&open, key);
        if (k == TM_STRMAP_NONE || r->time - burst[k].time >= 10 * TM_MIN) {
            tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_SOURCE,
                                              it->sub == S_AXLOAD ? "Remote Desktop client control loaded (Sysmon 7)"
                                                                  : "Connection to the RDP port");
            tm_trace_set(&t->activity, "remote desktop connection");
            static const char *const fits[] = {"mstsc", NULL};
            tm_trace_unattribute(t, fits);
            tm_trace_set(&t->user, *tm_data(r, "User") ? tm_data(r, "User") : NULL);
            tm_trace_set(&t->command_line, image);
            TM_GROW(burst, nburst);
            burst[nburst] = (timed_trace){r->time, out->n - 1};
            k = nburst++;
            tm_strmap_put(&open, key, k);
        }
        tm_trace *t = &out->t[burst[k].trace];
        burst[k].time = r->time;
        cite_client_record(t, it);
        if (!t->peer && it->sub != S_AXLOAD)
            tm_trace_set(&t->peer, *tm_data(r, "DestinationIp") ? tm_data(r, "DestinationIp") : tm_data(r, "DestAddress"));
    }
    for (size_t k = 0; k < nburst; k++) {
        tm_trace *t = &out->t[burst[k].trace];
        tm_confirm(t, false, "a program other than mstsc.exe spoke RDP (the client control or the RDP port): the "
                             "records do not say which client it was");
        tm_trace_setf(&t->message, "Remote Desktop connection%s%s by %s", t->peer ? " to " : "", t->peer ? t->peer : "",
                      t->command_line ? t->command_line : "?");
    }
    free(burst);
    free(tt);
    tm_strmap_free(&open);
}

/* One trace per connection: an mstsc run, with the client log's records of
 * the connection it made; a client-log connection without a run; the user's
 * saved server key joins the last connection to that server before it. */
static void source(const tm_view *v, tm_traces *out)
{
    size_t first = out->n;
    tm_runs runs;
    tm_view_runs(v, mstsc_names, &runs);
    bool *used = tm_view_alloc(v, v->n, sizeof *used);
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
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_1024 || used[i])
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "mstsc", CATEGORY, TM_ROLE_SOURCE,
                                          "Remote Desktop client connecting (RDPClient 1024)");
        tm_trace_set(&t->peer, tm_data(it->r, "Value"));
        tm_trace_set(&t->user_sid, tm_str(it->r, "user_sid"));
        cite_client(t, v, i);
    }
    for (size_t i = 0; tm_view_has(v, i); i++) {
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
    tm_view_free(v, used);
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
    other_clients(v, out, first);
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
