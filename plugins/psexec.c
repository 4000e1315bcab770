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
#define SYSMON "Microsoft-Windows-Sysmon/Operational"

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
    S_PIPE_CREATED,
    S_PIPE_CONNECTED,
    S_FILE_CREATED,
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

/* Which of PsExec's stream pipes a name is ("\NAME-COMPUTER-PID-stdin",
 * -stdout, -stderr: 1, 2, 4; 0 for any other name), with the part before
 * the stream ("NAME-COMPUTER-PID": the three pipes of one remote process
 * share it) and the service's name (NAME: PSEXESVC, or what psexec -r
 * gave). The hyphenated layout with the three stream names is PsExec's
 * own: RemCom and Impacket's psexec name theirs "RemCom_stdin...", PAExec
 * "PAExecIn..."; a computer name with hyphens leaves NAME its first part. */
static unsigned psexec_stream_pipe(const char *pipe, char *prefix, size_t pn, char *svc, size_t sn)
{
    while (*pipe == '\\')
        pipe++;
    if (strncasecmp(pipe, ".\\pipe\\", 7) == 0)
        pipe += 7;
    const char *dash = strrchr(pipe, '-');
    if (!dash || strchr(pipe, '\\'))
        return 0;
    static const char *const streams[] = {"stdin", "stdout", "stderr"};
    unsigned bit = 0;
    for (unsigned k = 0; k < 3; k++)
        if (strcasecmp(dash + 1, streams[k]) == 0)
            bit = 1u << k;
    if (!bit)
        return 0;
    /* ...-PID-stream: digits before the stream, a computer name before them */
    const char *p = dash;
    size_t digits = 0;
    while (p > pipe && p[-1] >= '0' && p[-1] <= '9') {
        p--;
        digits++;
    }
    if (!digits || p == pipe || p[-1] != '-' || p - 1 == pipe)
        return 0;
    const char *first = strchr(pipe, '-');
    if (first >= p - 1) /* no computer name between NAME and the PID */
        return 0;
    snprintf(prefix, pn, "%.*s", (int)(dash - pipe), pipe);
    snprintf(svc, sn, "%.*s", (int)(first - pipe), pipe);
    return bit;
}

/* The pipe a record names: Sysmon 17/18 PipeName, 5145 RelativeTargetName. */
static const char *pipe_of(const tm_record *r)
{
    const char *p = tm_data(r, "PipeName");
    return *p ? p : tm_data(r, "RelativeTargetName");
}

/* A file written directly in the Windows folder (ADMIN$'s root) whose name
 * ends in .exe: what PsExec copies its service to. */
static bool admin_root_exe(const char *share, const char *rel)
{
    size_t n = strlen(rel);
    return tm_icontains(share, "ADMIN$") && n > 4 && !strpbrk(rel, "\\/") && strcasecmp(rel + n - 4, ".exe") == 0;
}

/* What this plugin reads of the bulk of 5145 share access and of Sysmon's
 * pipe and file events: PSEXESVC, PsExec's stream pipes, executables
 * written to ADMIN$'s root (a renamed service's binary). */
static bool psexec_like_access(const tm_record *r, const void *ctx)
{
    (void)ctx;
    const char *rel = pipe_of(r);
    char prefix[256], svc[128];
    if (tm_icontains(rel, "PSEXESVC") || psexec_stream_pipe(rel, prefix, sizeof prefix, svc, sizeof svc))
        return true;
    const char *file = tm_data(r, "TargetFilename");
    size_t fn = strlen(file);
    if (fn)
        return fn > 4 && strcasecmp(file + fn - 4, ".exe") == 0 && admin_share_image(file);
    return admin_root_exe(tm_data(r, "ShareName"), rel);
}

static const tm_sub subs[] = {
    [S_PSEXEC] = {TM_SUB_EXEC, "psexec*", 0, NULL, NULL},
    [S_ANY_EXEC] = {TM_SUB_EXEC, "*", 0, NULL, NULL},
    [S_SVC_EXEC] = {TM_SUB_EXEC, "psexesvc*", 0, NULL, NULL},
    [S_7045] = {TM_SUB_EVTX, "System", 7045, NULL, NULL},
    [S_7036] = {TM_SUB_EVTX, "System", 7036, NULL, NULL},
    [S_USN] = {TM_SUB_USN, "psexesvc*", 0, NULL, NULL},
    [S_EULA] = {TM_SUB_FACT, "sysinternals_eula", 0, NULL, NULL},
    [S_5145] = {TM_SUB_EVTX, "Security", 5145, psexec_like_access, NULL},
    [S_4624] = {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    [S_SERVICE] = {TM_SUB_FACT, "service", 0, NULL, NULL},
    [S_4697] = {TM_SUB_EVTX, "Security", 4697, NULL, NULL},
    [S_PIPE_CREATED] = {TM_SUB_EVTX, SYSMON, 17, psexec_like_access, NULL},
    [S_PIPE_CONNECTED] = {TM_SUB_EVTX, SYSMON, 18, psexec_like_access, NULL},
    [S_FILE_CREATED] = {TM_SUB_EVTX, SYSMON, 11, psexec_like_access, NULL},
    TM_SUB_END,
};

static bool have_system_hive_services(const tm_view *v)
{
    for (size_t i = 0; tm_view_has(v, i); i++)
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
    const tm_exec **sel = tm_view_alloc(v, v->n, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
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
    for (size_t i = 0; tm_view_has(v, i) && copies.n; i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == S_ANY_EXEC && it->exec && it->exec->kind == TM_EXEC_EXIT &&
            tm_strmap_get(&copies, it->exec->name) != TM_STRMAP_NONE)
            sel[n++] = it->exec;
    }
    tm_strmap_free(&copies);
    tm_runs runs;
    tm_runs_build(&runs, tm_view_spill(v), sel, n);
    tm_view_free(v, sel);
    bool *eula_used = tm_view_alloc(v, v->n, sizeof *eula_used);
    /* PsExec's EULA facts with a time, in time order */
    size_t *eula = tm_view_alloc(v, v->n, sizeof *eula), neula = 0;
    for (size_t k = 0; tm_view_has(v, k); k++)
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
    tm_view_free(v, eula);
    /* EulaAccepted alone: PsExec ran as that user at least once. */
    for (size_t k = 0; tm_view_has(v, k); k++) {
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
    tm_view_free(v, eula_used);
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
    for (size_t i = 0; tm_view_has(v, i); i++)
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
    const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
    const tm_item **sys = tm_view_alloc(v, v->n, sizeof *sys);
    size_t n = 0, nsys = 0;
    for (size_t i = 0; tm_view_has(v, i); i++)
        if (v->items[i].sub == S_7036)
            sys[nsys++] = &v->items[i];
    /* renamed services: their names, each once, in order of first install */
    tm_strmap installed;
    installed_services(v, &installed);
    tm_strmap renamed;
    tm_strmap_init(&renamed, true);
    const char **names = tm_view_alloc(v, v->n, sizeof *names);
    size_t nren = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub == S_7045 && renamed_service_install(it, hive_known, &installed, sys, nsys) &&
            tm_strmap_get(&renamed, tm_data(it->r, "ServiceName")) == TM_STRMAP_NONE) {
            tm_strmap_put(&renamed, tm_data(it->r, "ServiceName"), nren);
            names[nren++] = tm_data(it->r, "ServiceName");
        }
    }
    tm_strmap_free(&installed);
    /* services renamed with psexec -r seen by their pipes: all three stream
     * pipes of one remote process ("NAME-COMPUTER-PID-stdin/stdout/stderr") */
    tm_strmap streams; /* prefix -> the stream bits seen */
    tm_strmap_init(&streams, true);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        char prefix[256], svc[128];
        unsigned bit;
        if ((it->sub != S_PIPE_CREATED && it->sub != S_PIPE_CONNECTED && it->sub != S_5145) ||
            !(bit = psexec_stream_pipe(pipe_of(it->r), prefix, sizeof prefix, svc, sizeof svc)))
            continue;
        size_t seen = tm_strmap_get(&streams, prefix);
        seen = (seen == TM_STRMAP_NONE ? 0 : seen) | bit;
        tm_strmap_put(&streams, prefix, seen);
        if (seen == 7 && !is_psexesvc(svc) && tm_strmap_get(&renamed, svc) == TM_STRMAP_NONE) {
            tm_strmap_put(&renamed, svc, nren);
            names[nren++] = tm_strmap_intern(&renamed, svc);
        }
    }
    /* each item with its service: a renamed one's index, or nren for PSEXESVC */
    size_t *key_of = tm_view_alloc(v, v->n, sizeof *key_of);
    for (size_t i = 0; tm_view_has(v, i); i++) {
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
        case S_5145:
        case S_PIPE_CREATED:
        case S_PIPE_CONNECTED:
        case S_FILE_CREATED: {
            /* the service a pipe, a share access or a file speaks of */
            const char *rel = it->sub == S_FILE_CREATED ? tm_data(it->r, "TargetFilename") : pipe_of(it->r);
            char prefix[256], svc[128];
            if (it->sub == S_FILE_CREATED || admin_root_exe(tm_data(it->r, "ShareName"), rel)) {
                const char *base = strrchr(rel, '\\');
                snprintf(svc, sizeof svc, "%.*s", (int)strcspn(base ? base + 1 : rel, "."), base ? base + 1 : rel);
            } else if (!psexec_stream_pipe(rel, prefix, sizeof prefix, svc, sizeof svc)) {
                snprintf(svc, sizeof svc, "%s", rel + strspn(rel, "\\")); /* a control pipe: \NAME */
            }
            size_t r = tm_strmap_get(&renamed, svc);
            take = is_psexesvc(svc) || r != TM_STRMAP_NONE;
            if (!is_psexesvc(svc))
                key = r;
            break;
        }
        default: break;
        }
        if (take) {
            key_of[n] = key;
            sel[n++] = it;
        }
    }
    other_services(v, out, &renamed);
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
            unsigned streams_seen = 0; /* PsExec's stream pipes of this session */
            for (size_t i = 0; i < k->n; i++) {
                const tm_item *it = k->it[i];
                const tm_record *r = it->r;
                char prefix[256], svc[128];
                if (it->sub != S_FILE_CREATED)
                    streams_seen |= psexec_stream_pipe(pipe_of(r), prefix, sizeof prefix, svc, sizeof svc);
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
                    bool pipe = tm_icontains(tm_data(r, "ShareName"), "IPC$");
                    tm_cite(t, r, it->art, "%s from %s %s %s on share %s", acct, tm_data(r, "IpAddress"),
                            pipe ? "opened pipe" : "wrote", tm_data(r, "RelativeTargetName"), tm_data(r, "ShareName"));
                    if (!t->peer && !tm_is_local_address(tm_data(r, "IpAddress")))
                        tm_trace_set(&t->peer, tm_data(r, "IpAddress"));
                    if (!t->user && acct[0])
                        tm_trace_set(&t->user, acct);
                    break;
                }
                case S_PIPE_CREATED:
                case S_PIPE_CONNECTED:
                    tm_cite(t, r, it->art, "pipe %s %s by %s", tm_data(r, "PipeName"),
                            it->sub == S_PIPE_CREATED ? "created" : "connected", tm_data(r, "Image"));
                    break;
                case S_FILE_CREATED:
                    tm_cite(t, r, it->art, "%s written by %s", tm_data(r, "TargetFilename"), tm_data(r, "Image"));
                    break;
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
            /* PSEXESVC names PsExec (its service, file and pipes); a renamed
             * service is PsExec's when the stream pipes of its remote process
             * follow PsExec's layout (psexec -r NAME); else PAExec, RemCom
             * and Impacket install services the same way. */
            bool by_pipes = key < nren && streams_seen == 7;
            size_t naming = by_pipes ? tm_attribute_by_name(t, TM_ATTR_RENAMED, "-stdin") +
                                           tm_attribute_by_name(t, TM_ATTR_RENAMED, "-stdout") +
                                           tm_attribute_by_name(t, TM_ATTR_RENAMED, "-stderr")
                                     : key < nren ? 0 : tm_attribute_by_name(t, TM_ATTR_BEHAVIOUR, "psexesvc");
            if (!naming) {
                static const char *const fits[] = {"PsExec", NULL};
                tm_trace_unattribute(t, fits);
            }
            const char *name = key < nren ? names[key] : "PSEXESVC";
            const char *from = t->peer ? " from " : "", *peer = t->peer ? t->peer : "";
            if (install && !is_renamed) {
                tm_confirm(t, true, "PSEXESVC service installed (System 7045)");
                tm_trace_setf(&t->message, "PsExec service PSEXESVC installed%s%s", from, peer);
            } else if (install && by_pipes) {
                tm_confirm(t, true,
                           "service %s installed (System 7045), its remote process's pipes named the way PsExec "
                           "names them (%s-COMPUTER-PID-stdin, -stdout, -stderr): psexec -r %s",
                           name, name, name);
                tm_trace_setf(&t->message, "PsExec service installed under the name %s (psexec -r)%s%s", name, from,
                              peer);
            } else if (install) {
                tm_confirm(t, false,
                           "service %s was installed from an image in %%SystemRoot%% (ADMIN$) and removed soon after: "
                           "PsExec -r or a tool working the same way",
                           name);
                tm_trace_setf(&t->message, "Service %s installed from ADMIN$ and removed, the way PsExec works%s%s",
                              name, from, peer);
            } else if (by_pipes) {
                tm_confirm(t, false,
                           "PsExec's pipes under the service name %s (psexec -r %s), without the service's install "
                           "record (System 7045)",
                           name, name);
                tm_trace_setf(&t->message, "PsExec service %s (renamed) ran%s%s", name, from, peer);
            } else {
                tm_confirm(t, false, "PSEXESVC traces without its install record (System 7045): the System log may "
                                     "have rolled over or been cleared");
                tm_trace_setf(&t->message, "PsExec service PSEXESVC ran%s%s", from, peer);
            }
        }
        tm_clusters_free(cl, ncl);
    }
    free(sub);
    tm_view_free(v, names);
    tm_strmap_free(&renamed);
    tm_strmap_free(&streams);
    tm_view_free(v, key_of);
    free(first);
    tm_view_free(v, sel);
    tm_view_free(v, sys);
}

/* Every other service installed (System 7045, Security 4697): persistence
 * and remote execution alike install services, and the record does not
 * say which tool did. One trace per image pattern and burst (installs less
 * than 10 minutes apart): a tool that installs hundreds of services in a
 * row (Tchopper, one per chunk of its payload) is one trace with the count
 * of services; one service seen by 7045 and 4697 is one service. PSEXESVC
 * and PsExec-style services are reported above. */
static void other_services(const tm_view *v, tm_traces *out, const tm_strmap *renamed)
{
    tm_strmap open; /* image pattern -> its latest burst */
    tm_strmap_init(&open, false);
    typedef struct {
        size_t trace;
        int64_t last;
        tm_strmap names; /* the services of the burst */
    } burst;
    burst *b = NULL;
    size_t nb = 0;
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_7045 && it->sub != S_4697)
            continue;
        const tm_record *r = it->r;
        const char *name = tm_data(r, "ServiceName");
        if (!*name || is_psexesvc(name) || tm_strmap_get(renamed, name) != TM_STRMAP_NONE)
            continue;
        const char *img = tm_data(r, it->sub == S_7045 ? "ImagePath" : "ServiceFileName");
        char pattern[1024];
        tm_text_pattern(img, pattern, sizeof pattern);
        size_t k = tm_strmap_get(&open, pattern);
        if (k == TM_STRMAP_NONE || r->time == TM_TIME_NONE || b[k].last == TM_TIME_NONE ||
            r->time - b[k].last >= 10 * TM_MIN) {
            tm_trace *t = tm_trace_for_record(out, v, it, NULL, "Remote Command Execution", TM_ROLE_HOST,
                                              it->sub == S_7045 ? "Service installed (System 7045)"
                                                                : "Service installed (Security 4697)");
            t->generic = true;
            tm_trace_set(&t->activity, "service installed");
            tm_trace_set(&t->command_line, img);
            tm_confirm(t, false, "a service was installed; the record does not say by which program");
            TM_GROW(b, nb);
            b[nb].trace = out->n - 1;
            tm_strmap_init(&b[nb].names, true);
            tm_strmap_put(&open, pattern, nb);
            k = nb++;
        }
        tm_trace *t = &out->t[b[k].trace];
        b[k].last = r->time;
        tm_strmap_put(&b[k].names, name, 1);
        tm_cite(t, r, it->art, "service %s installed: %s", name, img);
        if (it->sub == S_4697 && !t->user) {
            char acct[256];
            tm_account(r, "Subject", acct, sizeof acct);
            tm_trace_set(&t->user, acct);
            tm_trace_set(&t->logon_id, tm_data(r, "SubjectLogonId"));
        }
    }
    for (size_t k = 0; k < nb; k++) {
        tm_trace *t = &out->t[b[k].trace];
        const char *first = t->ev[0].summary + strlen("service "); /* "NAME installed: IMAGE" */
        size_t services = b[k].names.n;
        if (services == 1)
            tm_trace_setf(&t->message, "Service %s", first);
        else
            tm_trace_setf(&t->message, "%zu services installed with one image pattern in a burst, the first: %s",
                          services, first);
        tm_strmap_free(&b[k].names);
    }
    free(b);
    tm_strmap_free(&open);
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
