/* Pass-the-hash logons: RemoteLogin-WCE and RemoteLogin-Mimikatz.
 *
 * RemoteLogin-WCE, source: the WCESERVICE service WCE installs to inject
 * credentials (System 7045, confirmed by the sheet; 7036), wceaux.dll in
 * the journal, runs of wce*.exe. WCE installs the same service to list
 * hashes, so the tool is named only with a "wce -s" run; the service alone
 * is an activity with WCE and RemoteLogin-WCE as candidates.
 * RemoteLogin-Mimikatz, source: the logon "sekurlsa::pth" creates (Security
 * 4624 type 9, logon process seclogo) and explicit-credential use (4648)
 * by the same process; runs of mimikatz*.exe with sekurlsa::pth.
 * Destination (both): a network logon by NTLM with no session key
 * (4624 type 3, NtLmSsp, key length 0) that received special privileges
 * (4672, same logon id): how a hash-based logon looks. The sheet's success
 * needs the source host to be one that "should not be connecting", which
 * only the examiner knows: indicators. Reported as RemoteLogin-Mimikatz
 * unless WCE's service is on record on this host.
 * Domain controller: NTLM credential validation (4776, status 0x0) is the
 * sheet's DC evidence, but a DC logs it for every NTLM logon: on its own it
 * says nothing, so it is not reported (docs/coverage.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "Pass-the-hash / Pass-the-ticket"

enum { S_7045, S_7036, S_USN, S_WCE, S_MIMI, S_4624, S_4648, S_4672 };
static const tm_sub subs[] = {
    [S_7045] = {TM_SUB_EVTX, "System", 7045, NULL, NULL},
    [S_7036] = {TM_SUB_EVTX, "System", 7036, NULL, NULL},
    [S_USN] = {TM_SUB_USN, "wceaux.dll", 0, NULL, NULL},
    [S_WCE] = {TM_SUB_EXEC, "wce*", 0, NULL, NULL},
    [S_MIMI] = {TM_SUB_EXEC, "mimikatz*", 0, NULL, NULL},
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    [S_4648] = {TM_SUB_EVTX, "Security", 4648, NULL, NULL},
    [S_4672] = {TM_SUB_EVTX, "Security", 4672, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"RemoteLogin-WCE", "RemoteLogin-Mimikatz", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"RemoteLogin-WCE", TM_ROLE_SOURCE,
     TM_NEEDS(TM_COV_SYSTEM, TM_COV_USN, TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"RemoteLogin-WCE", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_LOGON)},
    {"RemoteLogin-Mimikatz", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_LOGON, TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"RemoteLogin-Mimikatz", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_LOGON)},
    {NULL, 0, NULL},
};

static bool wce_service(const tm_item *it)
{
    return (it->sub == S_7045 && strcasecmp(tm_data(it->r, "ServiceName"), "WCESERVICE") == 0) ||
           (it->sub == S_7036 && strcasecmp(tm_data(it->r, "param1"), "WCESERVICE") == 0);
}

/* WCE's service, its wceaux.dll, and "wce -s" runs (wce alone lists hashes:
 * the WCE plugin). */
static bool wce_item(const tm_item *it, void *ctx)
{
    (void)ctx;
    return wce_service(it) || it->sub == S_USN ||
           (it->sub == S_WCE && it->exec && !it->exec->derived && tm_icontains(it->exec->command_line, " -s"));
}

static void wce_source(const tm_view *v, tm_traces *out, bool *seen)
{
    tm_cluster *cl;
    size_t ncl = tm_view_clusters(v, wce_item, NULL, 10 * TM_MIN, &cl);
    for (size_t c = 0; c < ncl; c++) {
        /* wceaux.dll alone is also what WCE's hash listing leaves (the WCE
         * plugin): pass-the-hash needs the service or a "wce -s" run */
        bool anchor = false;
        for (size_t i = 0; i < cl[c].n; i++)
            anchor |= cl[c].it[i]->sub != S_USN;
        if (!anchor)
            continue;
        tm_trace *t = tm_trace_add(out, "RemoteLogin-WCE", CATEGORY, TM_ROLE_SOURCE, cl[c].first, "First WCE trace");
        tm_trace_set(&t->host, v->host);
        bool installed = false;
        for (size_t i = 0; i < cl[c].n; i++) {
            const tm_item *it = cl[c].it[i];
            if (it->exec) {
                tm_cite_exec(t, it->exec);
                if (!t->command_line && it->exec->command_line)
                    tm_trace_set(&t->command_line, it->exec->command_line);
                if (!t->user && it->exec->user)
                    tm_trace_set(&t->user, it->exec->user);
            } else if (it->sub == S_7045 || it->sub == S_7036) {
                installed |= it->sub == S_7045;
                tm_cite_service(t, it);
            } else {
                tm_cite(t, it->r, it->art, "%s: %s", tm_str(it->r, "file_name"), tm_str(it->r, "reasons"));
            }
        }
        /* WCESERVICE is how WCE gets into lsass, for listing hashes as for
         * pass-the-hash: only "wce -s" says which */
        bool pth = false;
        for (size_t i = 0; i < cl[c].n; i++)
            pth |= cl[c].it[i]->sub == S_WCE;
        if (pth) {
            tm_trace_set(&t->activity, "pass-the-hash logon");
            tm_attribute_by_name(t, TM_ATTR_BEHAVIOUR, "wce"); /* WCESERVICE, wceaux.dll, wce.exe */
            tm_confirm(t, installed, installed ? "WCESERVICE installed (System 7045)"
                                               : "WCE traces without WCESERVICE's install record (System 7045)");
            tm_trace_set(&t->message, "WCE injected credentials (pass-the-hash) on this host");
        } else {
            tm_trace_set(&t->activity, "service installed");
            static const char *const fits[] = {"WCE", NULL};
            tm_trace_unattribute(t, fits);
            tm_confirm(t, false, "WCESERVICE installed: WCE ran, but its command line (wce -s for pass-the-hash) "
                                 "is not on record");
            tm_trace_set(&t->message, "WCE's service WCESERVICE installed (hash listing or pass-the-hash)");
        }
        *seen = true;
    }
    tm_clusters_free(cl, ncl);
}

static void mimikatz_source(const tm_view *v, tm_traces *out)
{
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_4624 || strcmp(tm_data(it->r, "LogonType"), "9") != 0 ||
            strcasecmp(tm_data(it->r, "LogonProcessName"), "seclogo") != 0)
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY, TM_ROLE_SOURCE,
                                          "New-credentials logon (Security 4624 type 9)");
        char acct[256], subj[256];
        tm_account(it->r, "Target", acct, sizeof acct);
        tm_account(it->r, "Subject", subj, sizeof subj);
        tm_cite(t, it->r, it->art, "logon type 9 (seclogo) for %s by %s, process %s, logon id %s",
                                     acct, subj, tm_data(it->r, "ProcessName"), tm_data(it->r, "TargetLogonId"));
        char prog[64];
        tm_program_name_of(tm_data(it->r, "ProcessName"), prog, sizeof prog);
        bool by_mimikatz = tm_iglob("mimikatz*", prog);
        size_t logon = t->nev - 1; /* an index: later citations move the array */
        tm_trace_set(&t->user, subj);
        tm_trace_set(&t->logon_id, tm_data(it->r, "TargetLogonId"));
        /* Explicit credentials used by the same process right after. */
        size_t k0, k1;
        tm_view_around(v, it->r->time, 0, 10 * TM_MIN, &k0, &k1);
        for (size_t k = k0; k < k1; k++) {
            const tm_item *o = &v->items[k];
            if (o->sub != S_4648 || o->r->time < it->r->time || o->r->time > it->r->time + 10 * TM_MIN)
                continue;
            char who[256];
            tm_account(o->r, "Target", who, sizeof who);
            tm_cite(t, o->r, o->art, "explicit credentials of %s used for %s by %s", who, tm_data(o->r, "TargetServerName"),
                    tm_data(o->r, "ProcessName"));
            if (!t->peer && *tm_data(o->r, "TargetServerName") && strcasecmp(tm_data(o->r, "TargetServerName"), "localhost"))
                tm_trace_set(&t->peer, tm_data(o->r, "TargetServerName"));
        }
        tm_confirm(t, false, "logon type 9 through seclogo is what sekurlsa::pth (and runas /netonly) creates; the "
                             "sheet's success evidence is on the destination");
        static const char *const fits[] = {"RemoteLogin-Mimikatz", NULL};
        if (by_mimikatz) { /* the logon's own process is mimikatz */
            tm_trace_set(&t->tool, "RemoteLogin-Mimikatz");
            tm_trace_attribute(t, TM_ATTR_NAMED, &t->ev[logon]);
            tm_trace_set(&t->activity, "pass-the-hash logon");
            tm_trace_setf(&t->message, "mimikatz pass-the-hash logon (type 9, seclogo) with the credentials of %s",
                          acct);
            continue;
        }
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, "new-credentials logon");
        tm_trace_setf(&t->message, "New-credentials logon (type 9, seclogo) with the credentials of %s", acct);
    }
    static const char *const names[] = {"mimikatz*", NULL};
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        if (!run->best || !tm_icontains(run->best->command_line, "sekurlsa::pth"))
            continue;
        tm_trace *t = tm_trace_for_run(out, v, run, "RemoteLogin-Mimikatz", CATEGORY, TM_ROLE_SOURCE);
        tm_trace_set(&t->activity, "pass-the-hash logon");
        tm_confirm(t, false, "mimikatz sekurlsa::pth ran; the sheet's success evidence is on the destination");
        tm_trace_setf(&t->message, "mimikatz pass-the-hash: %s", run->best->command_line);
    }
    tm_runs_free(&runs);
}

static void destination(const tm_view *v, tm_traces *out, bool wce)
{
    tm_item_index privs;
    tm_index_by(v, S_4672, "SubjectLogonId", &privs);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        const tm_record *r = it->r;
        if (it->sub != S_4624 || strcmp(tm_data(r, "LogonType"), "3") != 0 ||
            strcasecmp(tm_data(r, "AuthenticationPackageName"), "NTLM") != 0 ||
            strcmp(tm_data(r, "KeyLength"), "0") != 0 || strcasecmp(tm_data(r, "TargetUserName"), "ANONYMOUS LOGON") == 0)
            continue;
        const char *user = tm_data(r, "TargetUserName");
        size_t ul = strlen(user);
        if (!ul || user[ul - 1] == '$')
            continue; /* computer accounts */
        const char *lid = tm_data(r, "TargetLogonId");
        const tm_item *priv = NULL;
        size_t cnt, at = tm_index_find(&privs, lid, &cnt);
        for (size_t k = at; k < at + cnt && !priv; k++) {
            const tm_item *o = privs.it[k];
            if (r->time != TM_TIME_NONE && o->r->time >= r->time - TM_SEC && o->r->time <= r->time + TM_MIN)
                priv = o;
        }
        if (!priv)
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, CATEGORY,
                                          TM_ROLE_DESTINATION, "Network logon (Security 4624 type 3, NTLM)");
        char acct[256];
        tm_account(r, "Target", acct, sizeof acct);
        tm_cite(t, r, it->art, "NTLM network logon of %s from %s (%s), key length 0, logon id %s", acct,
                tm_data(r, "IpAddress"), tm_data(r, "WorkstationName"), lid);
        tm_cite(t, priv->r, priv->art, "special privileges assigned to logon %s", lid);
        tm_trace_take_logon(t, r);
        tm_trace_set(&t->user_sid, tm_data(r, "TargetUserSid"));
        tm_trace_set(&t->logon_id, lid);
        tm_confirm(t, false, "NTLM network logon without session key that got admin privileges: how pass-the-hash "
                             "looks, and how some legitimate NTLM clients look; whether %s should connect here is "
                             "for the examiner",
                   t->peer ? t->peer : "the source");
        /* the logon does not say which tool passed the hash (nor that one
         * was passed: a local account's NTLM logon looks the same) */
        static const char *const fits_wce[] = {"RemoteLogin-WCE", "RemoteLogin-Mimikatz", NULL};
        static const char *const fits_mimi[] = {"RemoteLogin-Mimikatz", "RemoteLogin-WCE", NULL};
        tm_trace_unattribute(t, wce ? fits_wce : fits_mimi);
        tm_trace_set(&t->activity, "pass-the-hash logon");
        tm_trace_setf(&t->message, "Possible pass-the-hash logon of %s from %s", acct, t->peer ? t->peer : "?");
    }
    tm_index_free(&privs);
}

static void run(const tm_view *v, tm_traces *out)
{
    bool wce = false;
    wce_source(v, out, &wce);
    mimikatz_source(v, out);
    destination(v, out, wce);
}

const tm_plugin tm_plugin_pth = {
    .name = "pth",
    .tools = tools,
    .category = CATEGORY,
    .summary = "Pass-the-hash: WCE's service, mimikatz sekurlsa::pth logons (type 9), hash-based NTLM logons",
    .subs = subs,
    .needs = needs,
    .run = run,
};
