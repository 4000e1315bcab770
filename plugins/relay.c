/* Malicious communication relays: Htran and FakeWpad.
 *
 * Htran: its runs (htran*, or any program run with Htran's -tran / -slave /
 * -listen options), with the connections the firewall allowed it (Security
 * 5156: the tunnel's two ends). Confirmed by those connections (the sheet).
 * FakeWpad: its runs; on the host that ran it, inbound connections on
 * 80/tcp or 8888/tcp allowed to a program that is not a web or proxy server
 * (5156), and its proxy.log in the journal; on the clients, the WPAD
 * registry key and wpad[1].htm in the journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/toolspec.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Malicious Communication Relay"

enum { S_EXEC, S_5156, S_5158, S_PROXYLOG, S_WPADHTM };
static const tm_sub subs[] = {
    [S_EXEC] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
    [S_5156] = {TM_SUB_EVTX, "Security", 5156, NULL, NULL},
    [S_5158] = {TM_SUB_EVTX, "Security", 5158, NULL, NULL},
    [S_PROXYLOG] = {TM_SUB_USN, "proxy.log", 0, NULL, NULL},
    [S_WPADHTM] = {TM_SUB_USN, "wpad*.htm", 0, NULL, NULL},
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

static void run(const tm_view *v, tm_traces *out)
{
    /* the programs that look like either: their executions, grouped into runs */
    tm_strmap progs;
    tm_strmap_init(&progs, false);
    for (size_t i = 0; i < v->n; i++) {
        const tm_exec *e = v->items[i].exec;
        const char *c = e ? e->command_line : NULL;
        if (e && (tm_iglob("htran*", e->name) || tm_iglob("fakewpad*", e->name) ||
                  (c && (tm_icontains(c, " -tran ") || tm_icontains(c, " -slave ") || tm_icontains(c, " -listen ")))))
            tm_strmap_put(&progs, e->name, 1);
    }
    const tm_exec **sel = tm_xmalloc((v->n ? v->n : 1) * sizeof *sel);
    size_t nsel = 0;
    for (size_t i = 0; progs.n && i < v->n; i++)
        if (v->items[i].exec && tm_strmap_get(&progs, v->items[i].exec->name) != TM_STRMAP_NONE)
            sel[nsel++] = v->items[i].exec;
    tm_strmap_free(&progs);
    tm_runs runs;
    tm_runs_build(&runs, sel, nsel);
    free(sel);
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
    for (size_t i = 0; i < v->n; i++) {
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
