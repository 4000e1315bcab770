/* wmic and wmiexec.vbs: commands run through WMI.
 *
 * wmic, source: WMIC.exe runs (4688/Sysmon 1, Prefetch, typed commands),
 * remote with /node:; confirmed by 4689 status 0x0 (the sheet).
 * wmic, destination: a process whose parent is WmiPrvSE.exe (what
 * "process call create" starts), or, where the record has no parent, a
 * "cmd.exe /Q /c ... 1> \\127.0.0.1\ADMIN$\__<time>" (how WMI remote
 * execution tools collect output); confirmed when Sysmon logged
 * WmiPrvSE.exe starting and ending around it (the sheet: Sysmon 1 and 5).
 * wmiexec-vbs, source: cscript/wscript running wmiexec*.vbs.
 * wmiexec-vbs, destination: the WMI_SHARE share created (5142), accessed
 * (5145) and deleted (5144); confirmed when creation/deletion and access are
 * all there. The journal's wmi.dll (the script's output file) supports it
 * when auditing was off. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Command Execution"

enum { S_WMIC, S_ALL, S_SCRIPT, S_5142, S_5144, S_5145, S_USN, S_4624 };
/* The share wmiexec.vbs makes: all this plugin reads of 5142/5144/5145. */
static bool wmi_share(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return tm_icontains(tm_data(r, "ShareName"), "WMI_SHARE");
}

static const tm_sub subs[] = {
    [S_WMIC] = {TM_SUB_EXEC, "wmic", 0, NULL, NULL},
    [S_ALL] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
    [S_SCRIPT] = {TM_SUB_EXEC, "?script", 0, NULL, NULL},
    [S_5142] = {TM_SUB_EVTX, "Security", 5142, wmi_share, NULL},
    [S_5144] = {TM_SUB_EVTX, "Security", 5144, wmi_share, NULL},
    [S_5145] = {TM_SUB_EVTX, "Security", 5145, wmi_share, NULL},
    [S_USN] = {TM_SUB_USN, "wmi.dll", 0, NULL, NULL},
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"wmic", "wmiexec-vbs", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"wmic", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_HISTORY)},
    {"wmic", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON)},
    {"wmiexec-vbs", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON)},
    {"wmiexec-vbs", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_SHARE, TM_COV_USN)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"wmic", NULL, NULL, "wmic"},
    {"cscript", NULL, "wmiexec", NULL},
    {NULL, NULL, NULL, NULL},
};

static bool is_wmiexec(const tm_run *run)
{
    for (size_t i = 0; i < run->n; i++)
        if (run->e[i]->command_line && tm_icontains(run->e[i]->command_line, "wmiexec"))
            return true;
    return false;
}

static const char *const wmic_names[] = {"wmic", NULL};
static const char *const script_names[] = {"cscript", "wscript", NULL};

static void cite_logon(tm_trace *t, const tm_item *logon)
{
    if (!logon)
        return;
    char acct[256];
    tm_account(logon->r, "Target", acct, sizeof acct);
    tm_cite(t, logon->r, logon->art, "network logon (type 3) of %s from %s (%s)", acct, tm_data(logon->r, "IpAddress"),
            tm_data(logon->r, "WorkstationName"));
    tm_trace_take_logon(t, logon->r);
}

static void wmic_destination(const tm_view *v, tm_traces *out)
{
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const tm_exec *e = it->exec;
        if (it->sub != S_ALL || !e || e->kind != TM_EXEC_START || e->derived)
            continue;
        char parent[48] = "";
        if (e->parent)
            tm_program_name_of(e->parent, parent, sizeof parent);
        /* Without the parent (4688 before Windows 10 has none), the output
         * redirection wmiexec-style tools use gives it away:
         * cmd.exe /Q /c COMMAND 1> \\127.0.0.1\ADMIN$\__TIMESTAMP 2>&1 */
        bool pattern = !e->parent && strcmp(e->name, "cmd") == 0 && e->command_line &&
                       tm_icontains(e->command_line, "\\\\127.0.0.1\\ADMIN$\\__");
        if (strcmp(parent, "wmiprvse") != 0 && !pattern)
            continue;
        tm_trace *t = tm_trace_add(out, "wmic", CATEGORY, TM_ROLE_DESTINATION, e->time, e->time_desc);
        tm_trace_set(&t->host, v->host);
        tm_trace_set(&t->command_line, e->command_line ? e->command_line : e->image);
        tm_trace_set(&t->user, e->user);
        tm_trace_set(&t->logon_id, e->logon_id);
        char s[900];
        tm_exec_summary(e, s, sizeof s);
        tm_cite(t, e->r, e->art, "%s (parent %s)", s, e->parent ? e->parent : "not recorded; output sent to ADMIN$");
        /* WmiPrvSE.exe's own start and end (Sysmon 1 and 5) around it. */
        bool wstart = false, wend = false;
        size_t w0, w1;
        if (e->time == TM_TIME_NONE)
            w0 = w1 = 0;
        else
            tm_view_around(v, e->time, 10 * TM_MIN - 1, 30 * TM_MIN - 1, &w0, &w1);
        for (size_t k = w0; k < w1; k++) {
            const tm_exec *w = v->items[k].exec;
            if (!w || v->items[k].sub != S_ALL || strcmp(w->name, "wmiprvse") != 0 || w->time == TM_TIME_NONE)
                continue;
            bool sysmon = strcasecmp(tm_channel(w->r), "Microsoft-Windows-Sysmon/Operational") == 0;
            if (w->kind == TM_EXEC_START && sysmon && w->time <= e->time && e->time - w->time < 10 * TM_MIN) {
                tm_cite(t, w->r, w->art, "WmiPrvSE.exe started (Sysmon 1)");
                wstart = true;
            }
            if (w->kind == TM_EXEC_EXIT && sysmon && w->time >= e->time && w->time - e->time < 30 * TM_MIN) {
                tm_cite(t, w->r, w->art, "WmiPrvSE.exe ended (Sysmon 5)");
                wend = true;
            }
        }
        cite_logon(t, tm_network_logon_before(v, S_4624, e->time));
        if (wstart && wend)
            tm_confirm(t, true, "WmiPrvSE.exe start and end logged by Sysmon (1 and 5) around the process it started");
        else
            tm_confirm(t, false, "process started by WmiPrvSE.exe (WMI Win32_Process.Create); Sysmon did not log "
                                 "WmiPrvSE.exe's start and end");
        /* WmiPrvSE starts the processes of every WMI client (wmic,
         * wmiexec.vbs, PowerShell, Impacket): it does not say which */
        static const char *const fits[] = {"wmic", "wmiexec-vbs", NULL};
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, "wmi remote execution");
        tm_trace_setf(&t->message, "Process started through WMI%s%s: %s", t->peer ? " from " : "",
                      t->peer ? t->peer : "", t->command_line ? t->command_line : "");
    }
}

static void wmiexec_destination(const tm_view *v, tm_traces *out)
{
    const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if ((it->sub == S_5142 || it->sub == S_5144 || it->sub == S_5145) &&
            tm_icontains(tm_data(it->r, "ShareName"), "WMI_SHARE"))
            sel[n++] = it;
        else if (it->sub == S_USN)
            sel[n++] = it;
    }
    tm_cluster *cl;
    size_t ncl = tm_clusters(sel, n, 30 * TM_MIN, &cl);
    for (size_t c = 0; c < ncl; c++) {
        bool created = false, deleted = false, accessed = false, usn_only = true;
        tm_trace *t = tm_trace_add(out, "wmiexec-vbs", CATEGORY, TM_ROLE_DESTINATION, cl[c].first,
                                   "First trace of the WMI_SHARE share");
        tm_trace_set(&t->host, v->host);
        for (size_t i = 0; i < cl[c].n; i++) {
            const tm_item *it = cl[c].it[i];
            const tm_record *r = it->r;
            char acct[256];
            tm_account(r, "Subject", acct, sizeof acct);
            switch (it->sub) {
            case S_5142:
                created = true;
                usn_only = false;
                tm_cite(t, r, it->art, "share %s (%s) added by %s", tm_data(r, "ShareName"), tm_data(r, "SharePath"), acct);
                break;
            case S_5144:
                deleted = true;
                usn_only = false;
                tm_cite(t, r, it->art, "share %s deleted by %s", tm_data(r, "ShareName"), acct);
                break;
            case S_5145:
                accessed = true;
                usn_only = false;
                tm_cite(t, r, it->art, "%s from %s accessed %s on %s", acct, tm_data(r, "IpAddress"),
                        tm_data(r, "RelativeTargetName"), tm_data(r, "ShareName"));
                if (!t->peer && !tm_is_local_address(tm_data(r, "IpAddress")))
                    tm_trace_set(&t->peer, tm_data(r, "IpAddress"));
                break;
            case S_USN: tm_cite(t, r, it->art, "%s: %s", tm_str(r, "file_name"), tm_str(r, "reasons")); break;
            }
            if (!t->user && acct[0] && it->sub != S_USN)
                tm_trace_set(&t->user, acct);
        }
        if (created && deleted && accessed)
            tm_confirm(t, true, "WMI_SHARE created, accessed and deleted (Security 5142, 5145, 5144)");
        else if (usn_only)
            tm_confirm(t, false, "only the journal's wmi.dll (wmiexec.vbs output file): share auditing was off or "
                                 "its records are gone");
        else
            tm_confirm(t, false, "WMI_SHARE seen (%s%s%s), not the full create/access/delete sequence",
                       created ? "created " : "", accessed ? "accessed " : "", deleted ? "deleted" : "");
        tm_trace_set(&t->activity, "wmi remote execution");
        /* WMI_SHARE is wmiexec.vbs's own; a wmi.dll written is not (Windows
         * has one of that name, and the journal gives no folder) */
        if (!tm_attribute_by_name(t, TM_ATTR_BEHAVIOUR, "WMI_SHARE")) {
            static const char *const fits[] = {"wmiexec-vbs", NULL};
            tm_trace_unattribute(t, fits);
        }
        tm_trace_setf(&t->message, "wmiexec.vbs output share WMI_SHARE%s%s", t->peer ? " used from " : "",
                      t->peer ? t->peer : "");
    }
    tm_clusters_free(cl, ncl);
    tm_view_free(v, sel);
}

static void run(const tm_view *v, tm_traces *out)
{
    tm_exec_rule wmic = {.tool = "wmic",
                         .category = CATEGORY,
                         .role = TM_ROLE_SOURCE,
                         .role_local = TM_ROLE_HOST,
                         .names = wmic_names,
                         .confirm_by_exit = true};
    tm_exec_traces(v, out, &wmic);
    tm_exec_rule vbs = {.tool = "wmiexec-vbs",
                        .category = CATEGORY,
                        .role = TM_ROLE_SOURCE,
                        .role_local = TM_ROLE_SOURCE,
                        .names = script_names,
                        .filter = is_wmiexec,
                        .success_note = "wmiexec.vbs ran; its success shows on the destination (WMI_SHARE)"};
    size_t made = tm_exec_traces(v, out, &vbs);
    /* wmiexec.vbs /cmd HOST USER PASS COMMAND, /shell HOST USER PASS */
    for (size_t i = out->n - made; i < out->n; i++) {
        tm_trace *t = &out->t[i];
        if (t->peer || !t->command_line)
            continue;
        const char *p = strcasestr(t->command_line, "/cmd ");
        if (!p)
            p = strcasestr(t->command_line, "/shell ");
        if (!p)
            continue;
        p = strchr(p, ' ');
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " \"\t");
        if (n) {
            tm_trace_setf(&t->peer, "%.*s", (int)n, p);
            tm_trace_setf(&t->message, "wmiexec.vbs ran against %s: %s", t->peer, t->command_line);
        }
    }
    wmic_destination(v, out);
    wmiexec_destination(v, out);
}

const tm_plugin tm_plugin_wmi = {
    .name = "wmi",
    .tools = tools,
    .category = CATEGORY,
    .summary = "wmic (source runs, processes started by WmiPrvSE) and wmiexec.vbs (script runs, WMI_SHARE)",
    .subs = subs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
