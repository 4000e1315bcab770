/* Active Directory and network reconnaissance: csvde, ldifde, dsquery,
 * dcdiag, nltest, nmap.
 *
 * Runs of each (4688/Sysmon 1, Prefetch, typed, scripted). Confirmed per the
 * sheet: nltest by exit status 0x0 (4689); csvde and ldifde by the output
 * file named by -f being written (journal, Sysmon 11; csvde's csv*.tmp too);
 * dsquery and dcdiag have no success evidence ("saved output implies
 * success"). nmap: runs, and its packet driver's service (npcap / npf /
 * WinPcap, System 7045) as evidence that it was installed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/toolspec.h"
#include "util/timeutil.h"

#define CATEGORY "Information Collection"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"

/* What the exporters and nmap's driver read; the specs' subscriptions are
 * derived from them. */
enum { S_CSVDE, S_LDIFDE, S_SYSMON11, S_USN_TMP, S_USN_CSV, S_USN_LDF, S_USN_LDIF, S_7045 };
static const tm_sub subs[] = {
    [S_CSVDE] = {TM_SUB_EXEC, "csvde", 0, NULL, NULL},
    [S_LDIFDE] = {TM_SUB_EXEC, "ldifde", 0, NULL, NULL},
    [S_SYSMON11] = {TM_SUB_EVTX, SYSMON, 11, NULL, NULL},
    [S_USN_TMP] = {TM_SUB_USN, "csv*.tmp", 0, NULL, NULL},
    [S_USN_CSV] = {TM_SUB_USN, "*.csv", 0, NULL, NULL},
    [S_USN_LDF] = {TM_SUB_USN, "*.ldf", 0, NULL, NULL},
    [S_USN_LDIF] = {TM_SUB_USN, "*.ldif", 0, NULL, NULL},
    [S_7045] = {TM_SUB_EVTX, "System", 7045, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"csvde", "ldifde", "dsquery", "dcdiag", "nltest", "nmap", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"csvde", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {"ldifde", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {"dsquery", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"dcdiag", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"nltest", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_EXIT, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"nmap", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_SYSTEM)},
    {NULL, 0, NULL},
};

/* The commands of the command table it reports (the classifier leaves them). */
static const tm_command_claim claims[] = {
    {"dsquery", NULL, NULL, "dsquery"},
    {"csvde", NULL, NULL, "csvde"},
    {"nltest", NULL, NULL, "nltest"},
    {NULL, NULL, NULL, NULL},
};

static const tm_tool_spec specs[] = {
    {.tool = "dsquery", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("dsquery"), .ok = TM_OK_NONE,
     .no_ok_reason = "dsquery ran; the sheet: success shows only as saved output"},
    {.tool = "dcdiag", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("dcdiag"), .ok = TM_OK_NONE,
     .no_ok_reason = "dcdiag ran; the sheet: success shows only as saved output"},
    {.tool = "nltest", .category = CATEGORY, .role = TM_ROLE_SOURCE, .programs = TM_NAMES("nltest"), .ok = TM_OK_EXIT0,
     .ok_reason = "nltest.exe exited with status 0x0 (Security 4689)",
     .no_ok_reason = "no exit status 0x0 (Security 4689) for this run"},
    {.tool = "nmap", .category = CATEGORY, .role = TM_ROLE_SOURCE, .programs = TM_NAMES("nmap", "zenmap"), .ok = TM_OK_NONE,
     .no_ok_reason = "nmap ran; the sheet's success evidence is on the scanned hosts (many inbound connections)"},
    {.tool = NULL},
};

/* The file named by -f, or "". */
static void output_file(const char *cl, char *out, size_t n)
{
    out[0] = 0;
    const char *f = cl ? strcasestr(cl, " -f ") : NULL;
    if (!f)
        return;
    f += 4;
    while (*f == ' ')
        f++;
    bool q = *f == '"';
    if (q)
        f++;
    size_t len = q ? strcspn(f, "\"") : strcspn(f, " ");
    const char *base = f;
    for (size_t i = 0; i < len; i++)
        if (f[i] == '\\' || f[i] == '/')
            base = f + i + 1;
    snprintf(out, n, "%.*s", (int)(len - (size_t)(base - f)), base);
}

static void exporters(const tm_view *v, tm_traces *out)
{
    static const char *const names[] = {"csvde", "ldifde", NULL};
    tm_runs runs;
    tm_view_runs(v, names, &runs);
    for (size_t i = 0; i < runs.n; i++) {
        const tm_run *run = &runs.r[i];
        bool csv = strcmp(run->name, "csvde") == 0;
        tm_trace *t = tm_trace_for_run(out, v, run, csv ? "csvde" : "ldifde", CATEGORY, TM_ROLE_HOST);
        char file[260];
        output_file(run->best ? run->best->command_line : NULL, file, sizeof file);
        bool wrote = false;
        size_t k0, k1;
        tm_view_around(v, run->time, TM_SEC, 30 * TM_MIN, &k0, &k1);
        for (size_t k = k0; k < k1 && run->time != TM_TIME_NONE; k++) {
            const tm_item *it = &v->items[k];
            if (it->exec || it->r->time < run->time - TM_SEC || it->r->time > run->time + 30 * TM_MIN)
                continue;
            const char *name = it->r->kind == TM_ART_USN ? tm_str(it->r, "file_name") : "";
            if (it->sub == S_SYSMON11) {
                name = tm_data(it->r, "TargetFilename");
                const char *b = strrchr(name, '\\');
                name = b ? b + 1 : name;
            }
            bool out_file = file[0] && strcasecmp(name, file) == 0;
            bool tmp = csv && tm_iglob("csv*.tmp", name);
            if (!out_file && !tmp)
                continue;
            tm_cite(t, it->r, it->art, "%s: %s", name,
                    it->r->kind == TM_ART_USN ? tm_str(it->r, "reasons") : "written (Sysmon 11)");
            wrote |= out_file;
        }
        if (file[0])
            tm_trace_setf(&t->outcome, "output to %s", file);
        tm_confirm(t, wrote, wrote ? "the output file named by -f was written" :
                                     "no record of the output file named by -f being written");
        tm_trace_setf(&t->message, "%s exported directory objects: %s", run->name,
                      t->command_line ? t->command_line : "");
    }
    tm_runs_free(&runs);
}

static void run(const tm_view *v, tm_traces *out)
{
    exporters(v, out);
    /* nmap's packet driver installed as a service */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->exec || !tm_is_event(it->r, "System", 7045))
            continue;
        const char *name = tm_data(it->r, "ServiceName"), *img = tm_data(it->r, "ImagePath");
        if (!(strcasecmp(name, "npcap") == 0 || strcasecmp(name, "npf") == 0 || tm_icontains(img, "npcap.sys") ||
              tm_icontains(img, "npf.sys")))
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "nmap", CATEGORY, TM_ROLE_SOURCE,
                                          "Packet driver installed (System 7045)");
        tm_cite(t, it->r, it->art, "service %s installed: %s", name, img);
        tm_confirm(t, false, "nmap's packet-capture driver (Npcap/WinPcap) was installed; other capture tools use it "
                             "too");
        static const char *const fits[] = {"nmap", NULL};
        tm_trace_unattribute(t, fits);
        tm_trace_set(&t->activity, "service installed");
        tm_trace_setf(&t->message, "Packet capture driver %s installed (nmap needs it)", name);
    }
}

const tm_plugin tm_plugin_adrecon = {
    .name = "adrecon",
    .tools = tools,
    .category = CATEGORY,
    .summary = "AD and network reconnaissance: csvde, ldifde, dsquery, dcdiag, nltest, nmap",
    .subs = subs,
    .specs = specs,
    .needs = needs,
    .claims = claims,
    .run = run,
};
