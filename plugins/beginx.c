/* BeginX: a client/server remote-command tool. The server listens on a port
 * on the destination and runs what the client sends.
 *
 * Source: the client's runs (beginx*); connections it made (Security 5156,
 * outbound, by that program).
 * Destination: the server's runs; a Windows Firewall rule the user prompt
 * added for it ("TCP/UDP Query User{GUID}<path>" under FirewallRules); and
 * inbound connections the firewall allowed to it (5156). Confirmed when the
 * firewall allowed inbound traffic to the program and the program's rule
 * exists (the sheet: "Windows Firewall permits the traffic and the tool
 * listens"). Firewall rules of other programs are not reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Command Execution"

enum { S_EXEC, S_5156, S_RULES };
static const char *const tools[] = {"BeginX", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"BeginX", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_WFP)},
    {"BeginX", TM_ROLE_DESTINATION,
     TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_WFP, TM_COV_REGISTRY)},
    {NULL, 0, NULL},
};
static const char *const names[] = {"beginx*", NULL};

static bool is_beginx_path(const char *path)
{
    char prog[48];
    tm_program_name_of(path, prog, sizeof prog);
    return strncmp(prog, "beginx", 6) == 0;
}

/* A connection of BeginX: all this plugin reads of 5156. */
static bool beginx_connection(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return is_beginx_path(tm_data(r, "Application"));
}

static const tm_sub subs[] = {
    [S_EXEC] = {TM_SUB_EXEC, "beginx*", 0, NULL, NULL},
    [S_5156] = {TM_SUB_EVTX, "Security", 5156, beginx_connection, NULL},
    [S_RULES] = {TM_SUB_REGKEY, "CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\FirewallRules", 0, NULL, NULL},
    TM_SUB_END,
};

static void run(const tm_view *v, tm_traces *out)
{
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    /* its connections (in time order), found once */
    size_t *conn = tm_view_alloc(v, v->n, sizeof *conn), nconn = 0;
    for (size_t k = 0; runs.n && tm_view_has(v, k); k++)
        if (v->items[k].sub == S_5156 && is_beginx_path(tm_data(v->items[k].r, "Application")))
            conn[nconn++] = k;
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        bool server = tm_icontains(run->name, "server") || tm_icontains(run->name, "srv");
        tm_trace *t = tm_trace_for_run(out, v, run, "BeginX", CATEGORY, server ? TM_ROLE_DESTINATION : TM_ROLE_SOURCE);
        bool allowed = false;
        size_t c = 0, hi = run->time == TM_TIME_NONE ? 0 : nconn;
        while (c < hi) {
            size_t mid = c + (hi - c) / 2;
            int64_t tc = v->items[conn[mid]].r->time;
            if (tc != TM_TIME_NONE && tc < run->time - TM_SEC)
                c = mid + 1;
            else
                hi = mid;
        }
        for (; run->time != TM_TIME_NONE && c < nconn; c++) {
            const tm_item *it = &v->items[conn[c]];
            if (it->r->time == TM_TIME_NONE || it->r->time - run->time > 24 * 3600 * TM_SEC)
                break;
            tm_cite(t, it->r, it->art, "firewall allowed %s %s:%s -> %s:%s (%s)", tm_data(it->r, "Direction"),
                    tm_data(it->r, "SourceAddress"), tm_data(it->r, "SourcePort"), tm_data(it->r, "DestAddress"),
                    tm_data(it->r, "DestPort"), tm_data(it->r, "Application"));
            allowed = true;
            if (!t->peer)
                tm_trace_set(&t->peer, server ? tm_data(it->r, "SourceAddress") : tm_data(it->r, "DestAddress"));
        }
        bool rule = false;
        for (size_t k = 0; tm_view_has(v, k); k++) {
            const tm_item *it = &v->items[k];
            if (it->sub != S_RULES)
                continue;
            for (size_t f = 0; f < it->r->nfields; f++) {
                const tm_field *fl = &it->r->fields[f];
                if (strncmp(fl->name, "value.", 6) == 0 && tm_icontains(fl->name, "Query User") &&
                    tm_icontains(fl->name, "beginx")) {
                    tm_cite(t, it->r, it->art, "firewall rule %s", fl->name + 6);
                    rule = true;
                }
            }
        }
        if (server)
            tm_confirm(t, allowed && rule, allowed && rule
                                               ? "the firewall has a rule for the server and allowed traffic to it"
                                               : "server ran; no firewall rule and allowed connection both recorded");
        else
            tm_confirm(t, allowed, allowed ? "the firewall allowed the client's connection (5156)"
                                           : "client ran; no allowed connection recorded (5156)");
        tm_trace_setf(&t->message, "BeginX %s ran%s%s", server ? "server" : "client", t->peer ? ", peer " : "",
                      t->peer ? t->peer : "");
    }
    tm_runs_free(&runs);
    tm_view_free(v, conn);
}

const tm_plugin tm_plugin_beginx = {
    .name = "beginx",
    .tools = tools,
    .category = CATEGORY,
    .summary = "BeginX client and server runs, their firewall rule and allowed connections",
    .subs = subs,
    .needs = needs,
    .run = run,
};
