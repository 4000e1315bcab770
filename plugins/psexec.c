/* PsExec (Sysinternals) and services that behave like it.
 *
 * Source: psexec.exe / psexec64.exe runs (Security 4688/4689, Sysmon 1/5,
 * Prefetch, typed commands), a renamed copy given away by "-accepteula" and
 * a \\host argument, and the per-user EulaAccepted key (its last-written
 * time is the first run by that user). Confirmed by 4689 with status 0x0.
 *
 * Destination: the PSEXESVC service (System 7045 install, 7036 running /
 * stopped), its Prefetch file and process, the journal's create/delete of
 * PSEXESVC.exe, 5145 share access to it, the network logon just before.
 * Confirmed by 7045 for PSEXESVC. With `psexec -r NAME` the service has
 * another name: a service whose image sits directly in %SystemRoot% (what
 * ADMIN$ exposes) and that is gone from the SYSTEM hive, or whose file was
 * deleted or which stopped within minutes, is reported as PsExec-style
 * with its real name, as an indicator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/buf.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define CATEGORY "Command Execution"

enum {
    S_PSEXEC,
    S_ANY_EXEC,
    S_SVC_EXEC,
    S_7045,
    S_7036,
    S_USN,
    S_EULA,
    S_5145,
    S_4624,
    S_SERVICE,
    S_4697,
};


static const char *const tools[] = {"PsExec", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"PsExec", TM_ROLE_SOURCE,
     TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_REGISTRY, TM_COV_HISTORY)},
    {"PsExec", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_SYSTEM, TM_COV_PREFETCH, TM_COV_USN, TM_COV_SHARE, TM_COV_SYSMON)},
    {NULL, 0, NULL},
};

/* A service image directly in the Windows folder: what "psexec -r NAME"
 * copies through ADMIN$ (%SystemRoot%\NAME.exe). */
static bool admin_share_image(const char *img)
{
    const char *p = img;
    if (*p == '"')
        p++;
    static const char *const roots[] = {"%SystemRoot%\\", "%windir%\\", "C:\\Windows\\", "\\SystemRoot\\"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = strlen(roots[i]);
        if (strncasecmp(p, roots[i], n) == 0) {
            const char *rest = p + n;
            return !strpbrk(rest, "\\/") && strlen(rest) > 4;
        }
    }
    return false;
}

static bool is_psexesvc(const char *name)
{
    return strncasecmp(name, "PSEXESVC", 8) == 0;
}

/* Share access naming PSEXESVC: all this plugin reads of 5145. */
static bool names_psexesvc(const tm_record *r, const void *ctx)
{
    (void)ctx;
    return tm_icontains(tm_data(r, "RelativeTargetName"), "PSEXESVC");
}

static const tm_sub subs[] = {
    [S_PSEXEC] = {TM_SUB_EXEC, "psexec*", 0, NULL, NULL},
    [S_ANY_EXEC] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
    [S_SVC_EXEC] = {TM_SUB_EXEC, "psexesvc*", 0, NULL, NULL},
    [S_7045] = {TM_SUB_EVTX, "System", 7045, NULL, NULL},
    [S_7036] = {TM_SUB_EVTX, "System", 7036, NULL, NULL},
    [S_USN] = {TM_SUB_USN, "psexesvc*", 0, NULL, NULL},
    [S_EULA] = {TM_SUB_FACT, "sysinternals_eula", 0, NULL, NULL},
    [S_5145] = {TM_SUB_EVTX, "Security", 5145, names_psexesvc, NULL},
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    [S_SERVICE] = {TM_SUB_FACT, "service", 0, NULL, NULL},
    [S_4697] = {TM_SUB_EVTX, "Security", 4697, NULL, NULL},
    TM_SUB_END,
};

static bool have_system_hive_services(const tm_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].sub == S_SERVICE)
            return true;
    return false;
}

/* Renamed PsExec on the source: a program of another name run with PsExec's
 * own options. */
static bool psexec_like_cmdline(const tm_exec *e)
{
    if (!e->command_line || tm_iglob("psexe*", e->name))
        return false;
    if (e->kind == TM_EXEC_EXIT || e->kind == TM_EXEC_PREFETCH)
        return false;
    return tm_icontains(e->command_line, "-accepteula") && strstr(e->command_line, "\\\\") != NULL;
}

static void source_side(const tm_view *v, tm_traces *out)
{
    /* Runs of psexec*, and of renamed copies. */
    const tm_exec **sel = tm_xmalloc((v->n ? v->n : 1) * sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (!it->exec || it->exec->derived)
            continue;
        if (it->sub == S_PSEXEC)
            sel[n++] = it->exec;
        else if (it->sub == S_ANY_EXEC && psexec_like_cmdline(it->exec))
            sel[n++] = it->exec;
    }
    /* exits of renamed copies: same program name as a psexec-like start */
    tm_strmap copies;
    tm_strmap_init(&copies, false);
    for (size_t k = 0; k < n; k++)
        if (!tm_iglob("psexe*", sel[k]->name))
            tm_strmap_put(&copies, sel[k]->name, 1);
    for (size_t i = 0; i < v->n && copies.n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == S_ANY_EXEC && it->exec && it->exec->kind == TM_EXEC_EXIT &&
            tm_strmap_get(&copies, it->exec->name) != TM_STRMAP_NONE)
            sel[n++] = it->exec;
    }
    tm_strmap_free(&copies);
    tm_runs runs;
    tm_runs_build(&runs, sel, n);
    free(sel);
    bool *eula_used = tm_xcalloc(v->n ? v->n : 1, sizeof *eula_used);
    /* PsExec's EULA facts with a time, in time order */
    size_t *eula = tm_xmalloc((v->n ? v->n : 1) * sizeof *eula), neula = 0;
    for (size_t k = 0; k < v->n; k++)
        if (v->items[k].sub == S_EULA && strcasecmp(tm_str(v->items[k].r, "name"), "PsExec") == 0 &&
            v->items[k].r->time != TM_TIME_NONE)
            eula[neula++] = k;
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        /* Derived-only runs (a psexec inside a cmd line) are still runs. */
        tm_trace *t = tm_trace_for_run(out, v, run, "PsExec", CATEGORY, TM_ROLE_SOURCE);
        bool renamed = !tm_iglob("psexe*", run->name);
        if (renamed) /* named by its own syntax, not by its file name */
            t->attribution = TM_ATTR_BEHAVIOUR;
        tm_confirm_by_exit(t, run, "the remote command may have failed");
        /* The EULA key written at this run (within a minute of it). */
        size_t e0 = 0, e1 = run->time == TM_TIME_NONE ? 0 : neula;
        while (e0 < e1) {
            size_t mid = e0 + (e1 - e0) / 2;
            int64_t te = v->items[eula[mid]].r->time; /* untimed keys sort last */
            if (te != TM_TIME_NONE && te <= run->time - TM_MIN)
                e0 = mid + 1;
            else
                e1 = mid;
        }
        for (size_t e = e0; run->time != TM_TIME_NONE && e < neula; e++) {
            size_t k = eula[e];
            const tm_item *it = &v->items[k];
            int64_t d = tm_time_gap(it->r->time, run->time);
            if (d >= TM_MIN)
                break;
            {
                tm_cite(t, it->r, it->art, "Software\\Sysinternals\\PsExec EulaAccepted written (first run by %s)",
                        it->art->user ? it->art->user : "this user");
                if (!t->user && it->art->user)
                    tm_trace_set(&t->user, it->art->user);
                eula_used[k] = true;
            }
        }
        tm_trace_setf(&t->message, "%s%s ran%s%s%s", renamed ? "PsExec renamed as " : "PsExec",
                      renamed ? run->name : "", t->peer ? " against " : "", t->peer ? t->peer : "",
                      t->confirmed ? " and exited successfully" : "");
    }
    tm_runs_free(&runs);
    free(eula);
    /* EulaAccepted alone: PsExec ran as that user at least once. */
    for (size_t k = 0; k < v->n; k++) {
        const tm_item *it = &v->items[k];
        if (it->sub != S_EULA || eula_used[k] || strcasecmp(tm_str(it->r, "name"), "PsExec") != 0)
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "PsExec", CATEGORY, TM_ROLE_SOURCE,
                                          "EULA accepted (registry key last written: first run by this user)");
        if (it->art->user)
            tm_trace_set(&t->user, it->art->user);
        char val[32];
        tm_trace_set(&t->activity, "program run");
        tm_trace_attribute(t, TM_ATTR_NAMED,
                           tm_cite(t, it->r, it->art, "Software\\Sysinternals\\PsExec EulaAccepted=%s",
                                   tm_field_text(it->r, "EulaAccepted", val, sizeof val)));
        tm_confirm(t, false, "only the EulaAccepted registry value: PsExec was run by this user, no record of the "
                             "run itself");
        tm_trace_setf(&t->message, "PsExec was first run by %s (EULA accepted)",
                      it->art->user ? it->art->user : "this user");
    }
    free(eula_used);
}

/* Destination evidence items: everything about PSEXESVC or a renamed service. */
typedef struct {
    const tm_item *it;
    char service[128]; /* service name this item speaks of */
} dst_item;

/* The services the SYSTEM hive still lists (folded names). */
static void installed_services(const tm_view *v, tm_strmap *m)
{
    tm_strmap_init(m, true);
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].sub == S_SERVICE)
            tm_strmap_put(m, tm_str(v->items[i].r, "name"), 1);
}

static bool renamed_service_install(const tm_item *it, bool hive_known, const tm_strmap *installed,
                                    const tm_item *const *sys, size_t nsys)
{
    const char *name = tm_data(it->r, "ServiceName");
    const char *img = tm_data(it->r, "ImagePath");
    if (is_psexesvc(name) || !admin_share_image(img))
        return false;
    /* removed: no longer in the SYSTEM hive, or stopped / file deleted soon after */
    if (hive_known && tm_strmap_get(installed, name) == TM_STRMAP_NONE)
        return true;
    if (it->r->time == TM_TIME_NONE)
        return false;
    /* the 7036 records (time order) from the install to 10 minutes after */
    size_t lo = 0, hi = nsys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t t = sys[mid]->r->time;
        if (t != TM_TIME_NONE && t < it->r->time)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < nsys; i++) {
        const tm_record *r = sys[i]->r;
        if (r->time == TM_TIME_NONE || r->time - it->r->time > 10 * TM_MIN)
            break;
        if (strcasecmp(tm_data(r, "param1"), name) == 0 && tm_icontains(tm_data(r, "param2"), "stopped"))
            return true;
    }
    return false;
}

static void other_services(const tm_view *v, tm_traces *out, const tm_strmap *renamed);

static void destination_side(const tm_view *v, tm_traces *out)
{
    bool hive_known = have_system_hive_services(v);
    const tm_item **sel = tm_xmalloc((v->n ? v->n : 1) * sizeof *sel);
    const tm_item **sys = tm_xmalloc((v->n ? v->n : 1) * sizeof *sys);
    size_t n = 0, nsys = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].sub == S_7036)
            sys[nsys++] = &v->items[i];
    /* renamed services: their names, each once, in order of first install */
    tm_strmap installed;
    installed_services(v, &installed);
    tm_strmap renamed;
    tm_strmap_init(&renamed, true);
    const char **names = tm_xmalloc((v->n ? v->n : 1) * sizeof *names);
    size_t nren = 0;
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == S_7045 && renamed_service_install(it, hive_known, &installed, sys, nsys) &&
            tm_strmap_get(&renamed, tm_data(it->r, "ServiceName")) == TM_STRMAP_NONE) {
            tm_strmap_put(&renamed, tm_data(it->r, "ServiceName"), nren);
            names[nren++] = tm_data(it->r, "ServiceName");
        }
    }
    tm_strmap_free(&installed);
    /* each item with its service: a renamed one's index, or nren for PSEXESVC */
    size_t *key_of = tm_xmalloc((v->n ? v->n : 1) * sizeof *key_of);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        bool take = false;
        size_t key = nren;
        switch (it->sub) {
        case S_SVC_EXEC: take = !it->exec->derived; break;
        case S_USN: take = true; break;
        case S_7045:
        case S_7036: {
            const char *name = tm_data(it->r, it->sub == S_7045 ? "ServiceName" : "param1");
            size_t r = tm_strmap_get(&renamed, name);
            take = is_psexesvc(name) || r != TM_STRMAP_NONE;
            if (!is_psexesvc(name))
                key = r;
            break;
        }
        case S_5145: take = tm_icontains(tm_data(it->r, "RelativeTargetName"), "PSEXESVC"); break;
        default: break;
        }
        if (take) {
            key_of[n] = key;
            sel[n++] = it;
        }
    }
    other_services(v, out, &renamed);
    tm_strmap_free(&renamed);
    /* Sessions per service: each renamed service by its name, then PSEXESVC. */
    size_t *first = tm_xcalloc(nren + 2, sizeof *first);
    for (size_t i = 0; i < n; i++)
        first[key_of[i] + 1]++;
    for (size_t k = 0; k <= nren; k++)
        first[k + 1] += first[k];
    const tm_item **sub = tm_xmalloc((n ? n : 1) * sizeof *sub);
    size_t *fill = tm_xcalloc(nren + 1, sizeof *fill);
    for (size_t i = 0; i < n; i++)
        sub[first[key_of[i]] + fill[key_of[i]]++] = sel[i];
    free(fill);
    for (size_t key = 0; key <= nren; key++) {
        size_t nsub = first[key + 1] - first[key];
        tm_cluster *cl;
        size_t ncl = tm_clusters(sub + first[key], nsub, 10 * TM_MIN, &cl);
        for (size_t c = 0; c < ncl; c++) {
            const tm_cluster *k = &cl[c];
            const tm_item *install = NULL;
            bool is_renamed = false;
            for (size_t i = 0; i < k->n; i++)
                if (k->it[i]->sub == S_7045 && !install) {
                    install = k->it[i];
                    is_renamed = !is_psexesvc(tm_data(install->r, "ServiceName"));
                }
            tm_trace *t = tm_trace_add(out, "PsExec", CATEGORY, TM_ROLE_DESTINATION, k->first,
                                       install && install->r->time == k->first ? "Service installed (System 7045)"
                                                                               : "First trace of the PsExec service");
            tm_trace_set(&t->host, v->host);
            bool started = false, stopped = false;
            for (size_t i = 0; i < k->n; i++) {
                const tm_item *it = k->it[i];
                const tm_record *r = it->r;
                switch (it->sub) {
                case S_7045:
                    tm_cite(t, r, it->art, "service %s installed: %s (%s, %s)", tm_data(r, "ServiceName"),
                            tm_data(r, "ImagePath"), tm_data(r, "StartType"), tm_data(r, "AccountName"));
                    if (!t->command_line)
                        tm_trace_set(&t->command_line, tm_data(r, "ImagePath"));
                    break;
                case S_7036:
                    tm_cite(t, r, it->art, "service %s entered the %s state", tm_data(r, "param1"), tm_data(r, "param2"));
                    started |= tm_icontains(tm_data(r, "param2"), "running");
                    stopped |= tm_icontains(tm_data(r, "param2"), "stopped");
                    break;
                case S_USN:
                    tm_cite(t, r, it->art, "%s: %s", tm_str(r, "file_name"), tm_str(r, "reasons"));
                    break;
                case S_5145: {
                    char acct[256];
                    tm_account(r, "Subject", acct, sizeof acct);
                    tm_cite(t, r, it->art, "%s from %s wrote %s on share %s", acct, tm_data(r, "IpAddress"),
                            tm_data(r, "RelativeTargetName"), tm_data(r, "ShareName"));
                    if (!t->peer && !tm_is_local_address(tm_data(r, "IpAddress")))
                        tm_trace_set(&t->peer, tm_data(r, "IpAddress"));
                    if (!t->user && acct[0])
                        tm_trace_set(&t->user, acct);
                    break;
                }
                case S_SVC_EXEC:
                    tm_cite_exec(t, it->exec);
                    started |= it->exec->kind == TM_EXEC_START;
                    break;
                default: break;
                }
            }
            /* The network logon that carried it. */
            const tm_item *logon = tm_network_logon_before(v, S_4624, k->first);
            if (logon) {
                char acct[256];
                tm_account(logon->r, "Target", acct, sizeof acct);
                tm_cite(t, logon->r, logon->art, "network logon (type 3) of %s from %s (%s), logon id %s", acct,
                        tm_data(logon->r, "IpAddress"), tm_data(logon->r, "WorkstationName"),
                        tm_data(logon->r, "TargetLogonId"));
                tm_trace_take_logon(t, logon->r);
                tm_trace_set(&t->logon_id, tm_data(logon->r, "TargetLogonId"));
            }
            if (started && stopped)
                tm_trace_set(&t->outcome, "service started and stopped");
            else if (started)
                tm_trace_set(&t->outcome, "service started");
            tm_trace_set(&t->activity, "remote service execution");
            /* PSEXESVC names PsExec; a renamed service does not (PsExec -r,
             * PAExec, RemCom and Impacket install the same way). */
            if (!tm_attribute_by_name(t, TM_ATTR_BEHAVIOUR, "psexesvc")) {
                static const char *const fits[] = {"PsExec", NULL};
                tm_trace_unattribute(t, fits);
            }
            if (install && !is_renamed) {
                tm_confirm(t, true, "PSEXESVC service installed (System 7045)");
                tm_trace_setf(&t->message, "PsExec service PSEXESVC installed%s%s", t->peer ? " from " : "",
                              t->peer ? t->peer : "");
            } else if (install) {
                tm_confirm(t, false,
                           "service %s was installed from an image in %%SystemRoot%% (ADMIN$) and removed soon after: "
                           "PsExec -r or a tool working the same way",
                           tm_data(install->r, "ServiceName"));
                tm_trace_setf(&t->message, "Service %s installed from ADMIN$ and removed, the way PsExec works%s%s",
                              tm_data(install->r, "ServiceName"), t->peer ? " from " : "", t->peer ? t->peer : "");
            } else {
                tm_confirm(t, false, "PSEXESVC traces without its install record (System 7045): the System log may "
                                     "have rolled over or been cleared");
                tm_trace_setf(&t->message, "PsExec service PSEXESVC ran%s%s", t->peer ? " from " : "",
                              t->peer ? t->peer : "");
            }
        }
        tm_clusters_free(cl, ncl);
    }
    free(sub);
    free(names);
    free(key_of);
    free(first);
    free(sel);
    free(sys);
}

/* Every other service installed (System 7045, Security 4697 when System
 * has no 7045 of it within a minute): persistence and remote execution
 * alike install services, and the record does not say which tool did. One
 * trace per service and minute; PSEXESVC and PsExec-style services are
 * reported above. */
static void other_services(const tm_view *v, tm_traces *out, const tm_strmap *renamed)
{
    tm_strmap seen; /* service name -> the trace of its install */
    tm_strmap_init(&seen, true);
    for (size_t i = 0; i < v->n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_7045 && it->sub != S_4697)
            continue;
        const tm_record *r = it->r;
        const char *name = tm_data(r, "ServiceName");
        if (!*name || is_psexesvc(name) || tm_strmap_get(renamed, name) != TM_STRMAP_NONE)
            continue;
        const char *img = tm_data(r, it->sub == S_7045 ? "ImagePath" : "ServiceFileName");
        size_t prev = tm_strmap_get(&seen, name);
        if (prev != TM_STRMAP_NONE && r->time != TM_TIME_NONE && out->t[prev].time != TM_TIME_NONE &&
            r->time - out->t[prev].time <= TM_MIN) {
            tm_cite(&out->t[prev], r, it->art, "service %s installed: %s", name, img);
            continue;
        }
        tm_trace *t = tm_trace_for_record(out, v, it, NULL, "Remote Command Execution", TM_ROLE_HOST,
                                          it->sub == S_7045 ? "Service installed (System 7045)"
                                                            : "Service installed (Security 4697)");
        tm_strmap_put(&seen, name, out->n - 1);
        t->generic = true;
        tm_trace_set(&t->activity, "service installed");
        tm_cite(t, r, it->art, "service %s installed: %s", name, img);
        char acct[256];
        if (it->sub == S_4697) {
            tm_account(r, "Subject", acct, sizeof acct);
            tm_trace_set(&t->user, acct);
            tm_trace_set(&t->logon_id, tm_data(r, "SubjectLogonId"));
        }
        tm_trace_set(&t->command_line, img);
        tm_confirm(t, false, "a service was installed; the record does not say by which program");
        tm_trace_setf(&t->message, "Service %s installed: %s", name, img);
    }
    tm_strmap_free(&seen);
}

static void run(const tm_view *v, tm_traces *out)
{
    source_side(v, out);
    destination_side(v, out);
}

const tm_plugin tm_plugin_psexec = {
    .name = "psexec",
    .tools = tools,
    .category = CATEGORY,
    .summary = "PsExec runs on the source; the PSEXESVC (or renamed) service on the destination",
    .subs = subs,
    .needs = needs,
    .run = run,
};
