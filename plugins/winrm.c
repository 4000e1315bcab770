/* WinRM and WinRS: commands over Windows Remote Management (5985/tcp).
 *
 * WinRM, source: cscript running winrm.vbs ("winrm invoke ... -r:host"),
 * the client's WinRM log (6 session to a host, 80 request, 143 response,
 * 132 operation done). Confirmed by Sysmon 1 and 5 of cscript.exe (the
 * sheet).
 * WinRS, source: winrs.exe runs, same client log; confirmed by the WinRM
 * log's entries (the sheet).
 * Destination: the service's log (81 request, 82, 134 response, 169 user
 * authenticated, 91/192/193 shell and plugin events), winrshost.exe and
 * wsmprovhost.exe runs. A shell (winrshost.exe, or 91 with a cmd shell) is
 * WinRS, anything else WinRM; confirmed by the WinRM log's entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Command Execution"
#define WRM "Microsoft-Windows-WinRM/Operational"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

enum { S_SCRIPT, S_WINRS, S_HOST, S_PROV, S_WRM, S_LISTENER, S_NET3, S_5156 };

/* The WinRM service checking a request's access to its listener (Security
 * 4656, object server "WS-Management Listener"): the sheet's destination
 * evidence of WinRM and WinRS where the WinRM log says nothing. */
static bool listener_access(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return strcasecmp(tm_data(r, "ObjectServer"), "WS-Management Listener") == 0;
}

static bool winrm_port(const char *p)
{
    return !strcmp(p, "5985") || !strcmp(p, "5986");
}

/* A connection that came in to WinRM's ports (5985 HTTP, 5986 HTTPS):
 * Sysmon 3 (Initiated false) or 5156 (inbound). */
static bool inbound_winrm(const tm_record *r, const void *ctx)
{
    (void)ctx;
    const char *init = tm_data(r, "Initiated"), *dir = tm_data(r, "Direction");
    bool in = *init ? !strcasecmp(init, "false") : (!strcmp(dir, "%%14592") || !strcasecmp(dir, "Inbound"));
    return in && (winrm_port(tm_data(r, "DestinationPort")) || winrm_port(tm_data(r, "SourcePort")) ||
                  winrm_port(tm_data(r, "DestPort")));
}

/* The client's address of an inbound connection to WinRM (5156 writes the
 * local end as Source; Sysmon 3 usually the client, sometimes the local
 * end: the end that is not WinRM's port is the client). */
static const char *winrm_client(const tm_record *r)
{
    if (*tm_data(r, "Application"))
        return tm_data(r, winrm_port(tm_data(r, "SourcePort")) ? "DestAddress" : "SourceAddress");
    return tm_data(r, winrm_port(tm_data(r, "DestinationPort")) ? "SourceIp" : "DestinationIp");
}
static const tm_sub subs[] = {
    [S_SCRIPT] = {TM_SUB_EXEC, "cscript", 0, NULL, NULL},
    [S_WINRS] = {TM_SUB_EXEC, "winrs", 0, NULL, NULL},
    [S_HOST] = {TM_SUB_EXEC, "winrshost", 0, NULL, NULL},
    [S_PROV] = {TM_SUB_EXEC, "wsmprovhost", 0, NULL, NULL},
    [S_WRM] = {TM_SUB_EVTX, WRM, 0, NULL, NULL},
    [S_LISTENER] = {TM_SUB_EVTX, "Security", 4656, listener_access, NULL},
    [S_NET3] = {TM_SUB_EVTX, SYSMON, 3, inbound_winrm, NULL},
    [S_5156] = {TM_SUB_EVTX, "Security", 5156, inbound_winrm, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"WinRM", "WinRS", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"WinRM", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_WINRMLOG)},
    {"WinRM", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_WINRMLOG, TM_COV_PROCESS, TM_COV_SYSMON)},
    {"WinRS", TM_ROLE_SOURCE,
     TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_WINRMLOG, TM_COV_HISTORY)},
    {"WinRS", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_WINRMLOG, TM_COV_PREFETCH)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"cscript", NULL, "winrm", NULL},
    {NULL, NULL, NULL, NULL},
};

/* Client-side event ids (the connecting host) and service-side ones. */
static bool client_event(uint32_t id)
{
    return id == 6 || id == 80 || id == 143 || id == 132 || id == 166 || id == 2 || id == 29 || id == 31 ||
           id == 11 || id == 13 || id == 15 || id == 16;
}
static bool server_event(uint32_t id)
{
    return id == 81 || id == 82 || id == 83 || id == 134 || id == 169 || id == 91 || id == 192 || id == 193;
}

static bool winrm_vbs(const tm_run *run)
{
    for (size_t i = 0; i < run->n; i++)
        if (run->e[i]->command_line && tm_icontains(run->e[i]->command_line, "winrm"))
            return true;
    return false;
}

/* Client log entries within ten minutes after a run's start. */
static size_t cite_client_log(const tm_view *v, tm_trace *t, int64_t start)
{
    size_t n = 0, i0, i1;
    tm_view_around(v, start, TM_SEC, 10 * TM_MIN, &i0, &i1);
    for (size_t i = i0; i < i1; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_WRM || !client_event(tm_event_id(it->r)) || it->r->time == TM_TIME_NONE)
            continue;
        if (it->r->time < start - TM_SEC || it->r->time > start + 10 * TM_MIN)
            continue;
        char s[600];
        tm_event_summary(it->r, s, sizeof s);
        tm_cite(t, it->r, it->art, "WinRM client event %u: %s", tm_event_id(it->r), s);
        n++;
        if (!t->peer) {
            const char *c = tm_data(it->r, "connection");
            char peer[256];
            tm_peer_from_cmdline(c, peer, sizeof peer);
            if (!peer[0])
                snprintf(peer, sizeof peer, "%.*s", (int)strcspn(c, "/:"), c);
            if (peer[0])
                tm_trace_set(&t->peer, peer);
        }
    }
    return n;
}

static void source(const tm_view *v, tm_traces *out)
{
    static const char *const script[] = {"cscript", NULL};
    static const char *const winrs[] = {"winrs", NULL};
    for (int pass = 0; pass < 2; pass++) {
        tm_runs runs;
        tm_view_runs(v, pass ? winrs : script, &runs);
        for (size_t i = 0; i < runs.n; i++) {
            const tm_run *run = &runs.r[i];
            if (!pass && !winrm_vbs(run))
                continue;
            tm_trace *t = tm_trace_for_run(out, v, run, pass ? "WinRS" : "WinRM", CATEGORY, TM_ROLE_SOURCE);
            size_t logged = run->time != TM_TIME_NONE ? cite_client_log(v, t, run->time) : 0;
            bool s1 = false, s5 = false;
            for (size_t k = 0; k < run->n; k++) {
                bool sysmon = strcasecmp(tm_channel(run->e[k]->r), "Microsoft-Windows-Sysmon/Operational") == 0;
                s1 |= sysmon && run->e[k]->kind == TM_EXEC_START;
                s5 |= sysmon && run->e[k]->kind == TM_EXEC_EXIT;
            }
            if (pass)
                tm_confirm(t, logged > 0, logged ? "WinRM client log entries for the connection"
                                                 : "no WinRM log entries for this run");
            else
                tm_confirm(t, s1 && s5, s1 && s5 ? "cscript.exe start and end logged by Sysmon (1 and 5)"
                                                 : "no Sysmon start and end of cscript.exe for this run");
            tm_trace_setf(&t->message, "%s ran%s%s: %s", pass ? "WinRS" : "WinRM (winrm.vbs)",
                          t->peer ? " against " : "", t->peer ? t->peer : "", t->command_line ? t->command_line : "");
        }
        tm_runs_free(&runs);
    }
}

static void destination(const tm_view *v, tm_traces *out)
{
    const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if ((it->sub == S_WRM && server_event(tm_event_id(it->r))) ||
            ((it->sub == S_HOST || it->sub == S_PROV) && it->exec && !it->exec->derived) || it->sub == S_LISTENER ||
            it->sub == S_NET3 || it->sub == S_5156)
            sel[n++] = it;
    }
    tm_cluster *cl;
    size_t ncl = tm_clusters(sel, n, 10 * TM_MIN, &cl);
    for (size_t c = 0; c < ncl; c++) {
        bool shell = false, logged = false, host_process = false;
        for (size_t i = 0; i < cl[c].n; i++) {
            const tm_item *it = cl[c].it[i];
            shell |= it->sub == S_HOST;
            host_process |= it->sub == S_HOST || it->sub == S_PROV;
            if (it->sub == S_WRM) {
                logged = true;
                char s[600];
                tm_event_summary(it->r, s, sizeof s);
                shell |= tm_icontains(s, "shell/cmd");
            }
        }
        tm_trace *t = tm_trace_add(out, shell ? "WinRS" : "WinRM", CATEGORY, TM_ROLE_DESTINATION, cl[c].first,
                                   "First WinRM service record");
        tm_trace_set(&t->host, v->host);
        for (size_t i = 0; i < cl[c].n; i++) {
            const tm_item *it = cl[c].it[i];
            if (it->exec) {
                tm_cite_exec(t, it->exec);
                if (!t->user && it->exec->user)
                    tm_trace_set(&t->user, it->exec->user);
            } else if (it->sub == S_LISTENER) {
                char acct[256];
                tm_account(it->r, "Subject", acct, sizeof acct);
                tm_cite(t, it->r, it->art, "WinRM service (%s) checked %s's access to the WS-Management listener "
                        "(Security 4656)", tm_data(it->r, "ProcessName"), acct);
                if (!t->user && acct[0])
                    tm_trace_set(&t->user, acct);
            } else if (it->sub == S_NET3 || it->sub == S_5156) {
                tm_cite(t, it->r, it->art, "inbound connection to WinRM's port from %s", winrm_client(it->r));
                if (!t->peer && !tm_is_local_address(winrm_client(it->r)))
                    tm_trace_set(&t->peer, winrm_client(it->r));
            } else {
                char s[600];
                tm_event_summary(it->r, s, sizeof s);
                tm_cite(t, it->r, it->art, "WinRM service event %u: %s", tm_event_id(it->r), s);
                const char *u = tm_data(it->r, "username");
                if (!t->user && *u)
                    tm_trace_set(&t->user, u);
            }
        }
        if (!logged && !host_process) {
            /* the request reached the service; what it asked for is not
             * recorded (an enumeration, a command, a PowerShell session) */
            static const char *const fits[] = {"WinRM", "WinRS", NULL};
            tm_trace_unattribute(t, fits);
            tm_trace_set(&t->activity, "winrm access");
            tm_confirm(t, false, "WS-Management requests reached the WinRM service (its access check on the listener, "
                                 "Security 4656, or connections to 5985/5986); the records say neither which client "
                                 "sent them nor what they asked for");
            tm_trace_setf(&t->message, "WS-Management requests%s%s%s%s reached the WinRM service (%zu record%s)",
                          t->user ? " of " : "", t->user ? t->user : "", t->peer ? " from " : "",
                          t->peer ? t->peer : "", t->nev, t->nev == 1 ? "" : "s");
            continue;
        }
        tm_confirm(t, logged, logged ? "WinRM service log entries for the connection"
                                     : "WinRM host process ran; the WinRM log has no entries for it");
        /* winrs asks for the cmd shell resource and runs under winrshost;
         * winrm.vbs invoke asks for WMI resources; PowerShell remoting
         * (wsmprovhost) is neither of the sheet's tools */
        tm_trace_set(&t->activity, "winrm remote execution");
        size_t naming = shell ? tm_attribute_by_name(t, TM_ATTR_BEHAVIOUR, "shell/cmd") +
                                    tm_attribute_by_name(t, TM_ATTR_NAMED, "winrshost")
                              : tm_attribute_by_name(t, TM_ATTR_BEHAVIOUR, "/wmi/");
        if (!naming) {
            static const char *const fits[] = {"WinRS", "WinRM", NULL};
            tm_trace_unattribute(t, fits);
        }
        tm_trace_setf(&t->message, "%s request served%s%s", shell ? "WinRS remote shell" : "WinRM",
                      t->user ? " for " : "", t->user ? t->user : "");
    }
    tm_clusters_free(cl, ncl);
    tm_view_free(v, sel);
}

static void run(const tm_view *v, tm_traces *out)
{
    source(v, out);
    destination(v, out);
}

const tm_plugin tm_plugin_winrm = {
    .name = "winrm",
    .tools = tools,
    .category = CATEGORY,
    .summary = "WinRM (winrm.vbs) and WinRS: client runs and log on the source, service log and hosts on the destination",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
