/* Malicious communication relays: Htran, FakeWpad, and port relays
 * whatever set them up.
 *
 * Htran: its runs (htran*, or any program run with Htran's -tran / -slave /
 * -listen options), with the connections the firewall allowed it (Security
 * 5156: the tunnel's two ends). Confirmed by those connections (the sheet).
 * FakeWpad: its runs; on the host that ran it, inbound connections on
 * 80/tcp or 8888/tcp allowed to a program that is not a web or proxy server
 * (5156), and its proxy.log in the journal; on the clients, the WPAD
 * registry key and wpad[1].htm in the journal.
 * Port relays (the activity "port relay"): Windows' own netsh interface
 * portproxy (its runs, abbreviated or not; the PortProxy keys of the
 * SYSTEM hive and their Sysmon 13 writes): netsh is no tool of the sheet,
 * so the trace names none; a program outside Windows' and Program Files'
 * folders that accepts a connection and within seconds connects on to
 * another host (5156, Sysmon 3), the way Htran relays: Htran a candidate
 * unless the records name it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/toolspec.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Malicious Communication Relay"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

enum { S_EXEC, S_5156, S_5158, S_PROXYLOG, S_WPADHTM, S_NET3, S_PROXYKEY, S_PROXYWRITE };

/* A program outside Windows' and installed software's folders (and not the
 * kernel): what may relay connections without being a service of Windows
 * or an installed proxy. */
static bool users_program(const char *path)
{
    if (!*path || !strcasecmp(path, "System") || !strcasecmp(path, "-"))
        return false;
    static const char *const windows[] = {"C:\\Windows\\", "\\device\\harddiskvolume*\\windows\\*", "C:\\Program Files",
                                          "\\device\\harddiskvolume*\\program files*",
                                          "%SystemRoot%\\", "\\SystemRoot\\"};
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++)
        if (strchr(windows[i], '*') ? tm_iglob(windows[i], path) : !strncasecmp(path, windows[i], strlen(windows[i])))
            return false;
    return true;
}

/* Sysmon 3 connections of users' programs: a relay's two legs. */
static bool users_connection(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return users_program(tm_data(r, "Image"));
}

/* Sysmon 13 writes under the PortProxy key (netsh portproxy's settings). */
static bool proxy_write(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return tm_icontains(tm_data(r, "TargetObject"), "\\Services\\PortProxy\\");
}
static const tm_sub subs[] = {
    [S_EXEC] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
    [S_5156] = {TM_SUB_EVTX, "Security", 5156, NULL, NULL},
    [S_5158] = {TM_SUB_EVTX, "Security", 5158, NULL, NULL},
    [S_PROXYLOG] = {TM_SUB_USN, "proxy.log", 0, NULL, NULL},
    [S_WPADHTM] = {TM_SUB_USN, "wpad*.htm", 0, NULL, NULL},
    [S_NET3] = {TM_SUB_EVTX, SYSMON, 3, users_connection, NULL},
    [S_PROXYKEY] = {TM_SUB_REGKEY, "CurrentControlSet\\Services\\PortProxy\\*\\*", 0, NULL, NULL},
    [S_PROXYWRITE] = {TM_SUB_EVTX, SYSMON, 13, proxy_write, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"Htran", "FakeWpad", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"Htran", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_WFP)},
    {"FakeWpad", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_USN)},
    {"FakeWpad", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_WFP, TM_COV_USN)},
    {NULL, 0, NULL},
};

/* Connections by a program: 5156/5158 whose Application is it. */
static size_t cite_connections(const tm_view *v, tm_trace *t, const char *prog, int64_t from, int64_t to)
{
    size_t n = 0, i0, i1;
    tm_view_window(v, from, to, &i0, &i1);
    for (size_t i = i0; i < i1; i++) {
        const tm_item *it = &v->items[i];
        if ((it->sub != S_5156 && it->sub != S_5158) || it->r->time < from || it->r->time > to)
            continue;
        char app[48];
        tm_program_name_of(tm_data(it->r, "Application"), app, sizeof app);
        if (strcasecmp(app, prog) != 0)
            continue;
        if (it->sub == S_5158)
            tm_cite(t, it->r, it->art, "%s bound port %s", tm_data(it->r, "Application"), tm_data(it->r, "SourcePort"));
        else
            tm_cite(t, it->r, it->art, "firewall allowed %s %s:%s -> %s:%s", tm_data(it->r, "Direction"),
                    tm_data(it->r, "SourceAddress"), tm_data(it->r, "SourcePort"), tm_data(it->r, "DestAddress"),
                    tm_data(it->r, "DestPort"));
        n++;
    }
    return n;
}

static bool htran_like(const tm_run *run)
{
    if (tm_iglob("htran*", run->name))
        return true;
    for (size_t i = 0; i < run->n; i++) {
        const char *c = run->e[i]->command_line;
        if (c && (tm_icontains(c, " -tran ") || tm_icontains(c, " -slave ") || tm_icontains(c, " -listen ")))
            return true;
    }
    return false;
}

/* netsh's words may be cut to any prefix its context tells apart ("netsh i
 * p a v l=8001 c=10.0.0.5" is "interface portproxy add v4tov4"). */
static bool netsh_word(const char *w, size_t n, const char *full)
{
    return n && n <= strlen(full) && !strncasecmp(w, full, n);
}

/* What a netsh command line does to port relays: 'a' add (or set), 'd'
 * delete, 'r' reset, 0 when it is no portproxy change; the listening and
 * the forwarded-to ends (address:port) for 'a' and 'd'. */
static char netsh_portproxy(const char *cmd, char *listen, size_t ln, char *connect, size_t cn)
{
    /* the words after the program */
    const char *w[16];
    size_t len[16], nw = 0;
    for (const char *p = cmd; *p && nw < 16;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        bool quoted = *p == '"';
        if (quoted)
            start = ++p;
        while (*p && (quoted ? *p != '"' : (*p != ' ' && *p != '\t')))
            p++;
        if (p > start || quoted) {
            w[nw] = start;
            len[nw++] = (size_t)(p - start);
        }
        if (quoted && *p)
            p++;
    }
    size_t i = 0;
    if (nw && (tm_icontains(w[0], "netsh") && len[0] >= 5))
        i = 1;
    if (nw < i + 3 || !netsh_word(w[i], len[i], "interface") || !netsh_word(w[i + 1], len[i + 1], "portproxy"))
        return 0;
    const char *verb = w[i + 2];
    size_t vn = len[i + 2];
    char what = netsh_word(verb, vn, "add") || (vn >= 2 && netsh_word(verb, vn, "set")) ? 'a'
                : netsh_word(verb, vn, "delete")                                        ? 'd'
                : netsh_word(verb, vn, "reset")                                         ? 'r'
                                                                                        : 0;
    if (what != 'a' && what != 'd')
        return what;
    /* the parameters, by tag or by place, in netsh's order */
    static const char *const params[] = {"listenport", "connectaddress", "connectport", "listenaddress", "protocol"};
    char val[5][128] = {"", "", "", "", ""};
    size_t place = 0;
    for (size_t k = i + 4; k < nw; k++) {
        const char *eq = memchr(w[k], '=', len[k]);
        size_t p = 5;
        if (eq) {
            for (size_t q = 0; q < 5 && p == 5; q++)
                if (netsh_word(w[k], (size_t)(eq - w[k]), params[q]))
                    p = q;
        } else {
            while (place < 5 && val[place][0])
                place++;
            p = place;
        }
        if (p < 5 && !val[p][0]) {
            const char *v = eq ? eq + 1 : w[k];
            snprintf(val[p], sizeof val[p], "%.*s", (int)(len[k] - (size_t)(v - w[k])), v);
        }
    }
    snprintf(listen, ln, "%.100s:%.32s", val[3][0] ? val[3] : "*", val[0][0] ? val[0] : "?");
    snprintf(connect, cn, "%.100s:%.32s", val[1][0] ? val[1] : "?", val[2][0] ? val[2] : val[0][0] ? val[0] : "?");
    return what;
}

/* Port relays of Windows' own netsh, and the settings they leave (the
 * PortProxy keys: in the SYSTEM hive, written in Sysmon 13). */
static void portproxy(const tm_view *v, tm_traces *out)
{
    static const char *const netsh[] = {"netsh", NULL};
    tm_runs runs;
    tm_view_runs(v, netsh, &runs);
    size_t first = out->n;
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        const char *cmd = run->best && run->best->command_line ? run->best->command_line : "";
        char listen[160], connect[160];
        char what = netsh_portproxy(cmd, listen, sizeof listen, connect, sizeof connect);
        if (!what)
            continue;
        tm_trace *t = tm_trace_for_run(out, v, run, NULL, CATEGORY, TM_ROLE_HOST);
        tm_trace_set(&t->activity, "port relay");
        tm_trace_unattribute(t, NULL);
        tm_confirm(t, false, "netsh interface portproxy, Windows' own relay: no tool of the sheet");
        if (what == 'a') {
            tm_trace_setf(&t->outcome, "relays %s to %s", listen, connect);
            tm_trace_setf(&t->message, "Port relay set up with netsh: %s forwarded to %s", listen, connect);
            char peer[160];
            snprintf(peer, sizeof peer, "%.*s", (int)strcspn(connect, ":"), connect);
            if (strcmp(peer, "?") != 0 && !tm_is_local_address(peer))
                tm_trace_set(&t->peer, peer);
        } else if (what == 'd') {
            tm_trace_setf(&t->outcome, "relay on %s removed", listen);
            tm_trace_setf(&t->message, "Port relay on %s removed with netsh", listen);
        } else {
            tm_trace_set(&t->outcome, "all relays removed");
            tm_trace_set(&t->message, "Port relays removed with netsh (portproxy reset)");
        }
    }
    tm_runs_free(&runs);
    /* the settings: with the netsh run that wrote them (a minute), else
     * a relay of their own */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_PROXYKEY && it->sub != S_PROXYWRITE)
            continue;
        const tm_record *r = it->r;
        tm_trace *t = NULL;
        for (size_t k = first; k < out->n && r->time != TM_TIME_NONE; k++)
            if (out->t[k].time != TM_TIME_NONE && tm_time_gap(out->t[k].time, r->time) <= TM_MIN)
                t = &out->t[k];
        char what[600] = "";
        if (it->sub == S_PROXYWRITE) {
            const char *key = tm_data(r, "TargetObject"), *bs = strrchr(key, '\\');
            snprintf(what, sizeof what, "%s -> %s", bs ? bs + 1 : key, tm_data(r, "Details"));
        } else {
            size_t used = 0;
            for (size_t f = 0; f < r->nfields && used + 1 < sizeof what; f++) {
                const tm_field *fl = &r->fields[f];
                if (strncmp(fl->name, "value.", 6) != 0 || fl->type != TM_F_STR)
                    continue;
                int k = snprintf(what + used, sizeof what - used, "%s%s -> %s", used ? ", " : "", fl->name + 6,
                                 fl->v.str.s);
                used = k > 0 && (size_t)k < sizeof what - used ? used + (size_t)k : sizeof what - 1;
            }
            if (!used)
                continue; /* the key without a relay in it */
        }
        if (!t) {
            t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_HOST,
                                    it->sub == S_PROXYKEY ? "PortProxy key last written"
                                                          : "PortProxy setting written (Sysmon 13)");
            tm_trace_set(&t->activity, "port relay");
            tm_confirm(t, false, "a port relay of Windows (netsh interface portproxy) is configured; the records "
                                 "do not say who set it up");
            tm_trace_setf(&t->outcome, "relays %s", what);
            tm_trace_setf(&t->message, "Port relay configured (PortProxy): %s", what);
            if (it->sub == S_PROXYWRITE && *tm_data(r, "User"))
                tm_trace_set(&t->user, tm_data(r, "User"));
        }
        tm_cite(t, r, it->art, "PortProxy %s: %s",
                it->sub == S_PROXYKEY ? tm_str(r, "key") : "setting written by netsh (Sysmon 13)", what);
    }
}

/* One leg of a connection: which program (and process), the remote end,
 * the local port, and whether it came in. */
typedef struct {
    const tm_item *it;
    char key[300];  /* program and process */
    char prog[48];  /* the program's name */
    char remote[128];
    char local_port[16], remote_port[16];
    bool in;
} conn_leg;

static bool conn_of(const tm_item *it, conn_leg *c)
{
    const tm_record *r = it->r;
    const char *prog, *pid;
    if (it->sub == S_NET3) {
        prog = tm_data(r, "Image");
        pid = tm_data(r, "ProcessId");
        c->in = strcasecmp(tm_data(r, "Initiated"), "false") == 0;
        snprintf(c->remote, sizeof c->remote, "%s", tm_data(r, c->in ? "SourceIp" : "DestinationIp"));
        snprintf(c->local_port, sizeof c->local_port, "%s", tm_data(r, c->in ? "DestinationPort" : "SourcePort"));
        snprintf(c->remote_port, sizeof c->remote_port, "%s", tm_data(r, c->in ? "SourcePort" : "DestinationPort"));
    } else if (it->sub == S_5156) {
        /* the filtering platform writes both directions from this host's
         * side: Source is the local end, Destination the remote one */
        prog = tm_data(r, "Application");
        pid = tm_data(r, "ProcessID");
        const char *dir = tm_data(r, "Direction");
        c->in = !strcmp(dir, "%%14592") || !strcasecmp(dir, "Inbound");
        snprintf(c->remote, sizeof c->remote, "%s", tm_data(r, "DestAddress"));
        snprintf(c->local_port, sizeof c->local_port, "%s", tm_data(r, "SourcePort"));
        snprintf(c->remote_port, sizeof c->remote_port, "%s", tm_data(r, "DestPort"));
    } else {
        return false;
    }
    if (!users_program(prog) || tm_is_local_address(c->remote))
        return false;
    c->it = it;
    snprintf(c->key, sizeof c->key, "%s|%s", prog, pid);
    tm_program_name_of(prog, c->prog, sizeof c->prog);
    return true;
}

/* Listen, then forward: a program outside Windows' and Program Files'
 * folders accepts a connection and within 10 seconds connects on to
 * another host; one trace per program, process and burst (10 minutes)
 * with the legs it relayed.
 * Htran works this way; so do SSH and SOCKS tunnels and a web proxy: Htran
 * is a candidate, named only when the record's program is Htran's. */
static void forwarding(const tm_view *v, tm_traces *out, const tm_strmap *reported)
{
    tm_strmap last_in; /* program and process -> its last inbound leg (item index) */
    tm_strmap_init(&last_in, true);
    tm_strmap open; /* program and process -> its relay's trace, by burst */
    tm_strmap_init(&open, true);
    int64_t *last = NULL; /* per trace made here: its last leg's time */
    size_t nlast = 0, made = out->n;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        conn_leg c;
        const tm_record *r = v->items[i].r;
        if (r->time == TM_TIME_NONE || !conn_of(&v->items[i], &c))
            continue;
        if (tm_strmap_get(reported, c.prog) != TM_STRMAP_NONE)
            continue; /* a relay tool's run cites its connections */
        if (c.in) {
            tm_strmap_put(&last_in, c.key, i);
            continue;
        }
        size_t in = tm_strmap_get(&last_in, c.key);
        conn_leg from;
        if (in == TM_STRMAP_NONE || !conn_of(&v->items[in], &from) || r->time - v->items[in].r->time > 10 * TM_SEC ||
            !strcmp(from.remote, c.remote))
            continue;
        size_t k = tm_strmap_get(&open, c.key);
        if (k == TM_STRMAP_NONE || r->time - last[k - made] >= 10 * TM_MIN) {
            bool htran = tm_iglob("htran*", c.prog);
            tm_trace *t = tm_trace_for_record(out, v, from.it, htran ? "Htran" : NULL, CATEGORY, TM_ROLE_HOST,
                                              "Connection accepted, then relayed");
            tm_trace_set(&t->activity, "port relay");
            if (!htran) {
                static const char *const fits[] = {"Htran", NULL};
                tm_trace_unattribute(t, fits);
            }
            tm_trace_setf(&t->command_line, "%.*s", (int)strcspn(c.key, "|"), c.key);
            tm_trace_set(&t->peer, c.remote);
            tm_trace_set(&t->user, *tm_data(r, "User") ? tm_data(r, "User") : NULL);
            k = out->n - 1;
            tm_strmap_put(&open, c.key, k);
            TM_GROW(last, nlast);
            nlast++;
        }
        tm_trace *t = &out->t[k];
        last[k - made] = r->time;
        tm_cite(t, from.it->r, from.it->art, "%s accepted a connection from %s:%s on port %s", t->command_line,
                from.remote, from.remote_port, from.local_port);
        tm_cite(t, r, v->items[i].art, "%s then connected to %s:%s", t->command_line, c.remote, c.remote_port);
        if (t->tool)
            for (size_t e = 0; e < t->nev; e++)
                t->ev[e].attributes = true; /* the program's own name is in each */
        tm_trace_setf(&t->outcome, "relays port %s to %s:%s", from.local_port, c.remote, c.remote_port);
    }
    for (size_t k = made; k < out->n; k++) {
        tm_trace *t = &out->t[k];
        tm_confirm(t, false, "a program accepted connections and connected on to another host within seconds: a "
                             "relay (Htran, a tunnel or a proxy)");
        tm_trace_setf(&t->message, "%s relayed connections: %s (%zu records)", t->command_line, t->outcome, t->nev);
    }
    free(last);
    tm_strmap_free(&open);
    tm_strmap_free(&last_in);
}

static void run(const tm_view *v, tm_traces *out)
{
    /* the programs that look like either: their executions, grouped into runs */
    tm_strmap progs;
    tm_strmap_init(&progs, false);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_exec *e = v->items[i].exec;
        const char *c = e ? e->command_line : NULL;
        if (e && (tm_iglob("htran*", e->name) || tm_iglob("fakewpad*", e->name) ||
                  (c && (tm_icontains(c, " -tran ") || tm_icontains(c, " -slave ") || tm_icontains(c, " -listen ")))))
            tm_strmap_put(&progs, e->name, 1);
    }
    const tm_exec **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t nsel = 0;
    for (size_t i = 0; progs.n && tm_view_has(v, i); i++)
        if (v->items[i].exec && tm_strmap_get(&progs, v->items[i].exec->name) != TM_STRMAP_NONE)
            sel[nsel++] = v->items[i].exec;
    tm_runs runs;
    tm_runs_build(&runs, tm_view_spill(v), sel, nsel);
    tm_view_free(v, sel);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        bool htran = htran_like(run), fakewpad = tm_iglob("fakewpad*", run->name);
        if (!htran && !fakewpad)
            continue;
        tm_trace *t = tm_trace_for_run(out, v, run, htran ? "Htran" : "FakeWpad", CATEGORY,
                                       htran ? TM_ROLE_SOURCE : TM_ROLE_DESTINATION);
        int64_t end = run->exit ? run->exit->time : run->time + 24 * 3600 * TM_SEC;
        size_t conns = run->time != TM_TIME_NONE ? cite_connections(v, t, run->name, run->time - TM_SEC, end) : 0;
        if (htran)
            tm_confirm(t, conns > 0, conns ? "the firewall allowed its connections to the tunnel's ends (5156)"
                                           : "Htran ran; no allowed connection of it on record (5156)");
        else
            tm_confirm(t, conns > 0, conns ? "it served connections the firewall allowed (5156/5158)"
                                           : "FakeWpad ran; no connection of it on record (5156)");
        tm_trace_setf(&t->message, "%s ran: %s", htran ? "Htran" : "FakeWpad",
                      t->command_line ? t->command_line : run->name);
    }
    tm_runs_free(&runs);
    /* FakeWpad's server log; a client's downloaded WPAD file. */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_PROXYLOG && it->sub != S_WPADHTM)
            continue;
        if (!tm_icontains(tm_str(it->r, "reasons"), "FILE_CREATE"))
            continue;
        bool server = it->sub == S_PROXYLOG;
        tm_trace *t = tm_trace_for_record(out, v, it, "FakeWpad", CATEGORY,
                                          server ? TM_ROLE_DESTINATION : TM_ROLE_SOURCE,
                                          server ? "proxy log created (USN journal)" : "WPAD file fetched (USN journal)");
        tm_cite(t, it->r, it->art, "%s: %s (%s)", tm_str(it->r, "file_name"), tm_str(it->r, "reasons"),
                tm_str(it->r, "file_path"));
        tm_confirm(t, false, server ? "FakeWpad's proxy.log was created; proxy.log is also a common name"
                                    : "a WPAD file was fetched; legitimate where a WPAD server is configured");
        static const char *const fits[] = {"FakeWpad", NULL};
        tm_trace_unattribute(t, fits); /* common file names: no tool named */
        tm_trace_set(&t->activity, server ? "proxy log created" : "wpad file fetched");
        tm_trace_setf(&t->message, "%s", server ? "Proxy log created (FakeWpad writes one)" : "WPAD proxy configuration fetched");
    }
    portproxy(v, out);
    forwarding(v, out, &progs);
    tm_strmap_free(&progs);
}

const tm_plugin tm_plugin_relay = {
    .name = "relay",
    .tools = tools,
    .category = CATEGORY,
    .summary = "Htran and FakeWpad: runs, allowed connections, proxy log and WPAD files",
    .subs = subs,
    .needs = needs,
    .run = run,
};
