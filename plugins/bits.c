/* BITS: files copied with the Background Intelligent Transfer Service.
 *
 * Source: bitsadmin.exe runs and PowerShell Start-BitsTransfer; the
 * Bits-Client log (3 job created, 59 transfer started with its URL, 60
 * transfer stopped with its status, 4 job completed); System 7040 (the
 * service's start type changed); the journal's BIT*.tmp temporary files.
 * Confirmed by 60 with status 0x0 (the sheet). Windows' own transfers
 * (Windows Update, Defender, Edge and Office updates from Microsoft hosts)
 * are not reported: only jobs to a share, an IP address or another host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"
#include "util/timeutil.h"

#define CATEGORY "File Share/Transfer"
#define BITS "Microsoft-Windows-Bits-Client/Operational"

enum { S_BITSADMIN, S_PS, S_3, S_59, S_60, S_4, S_7040, S_USN };
static const tm_sub subs[] = {
    [S_BITSADMIN] = {TM_SUB_EXEC, "bitsadmin", 0, NULL, NULL},
    [S_PS] = {TM_SUB_EXEC, "start-bitstransfer", 0, NULL, NULL},
    [S_3] = {TM_SUB_EVTX, BITS, 3, NULL, NULL},
    [S_59] = {TM_SUB_EVTX, BITS, 59, NULL, NULL},
    [S_60] = {TM_SUB_EVTX, BITS, 60, NULL, NULL},
    [S_4] = {TM_SUB_EVTX, BITS, 4, NULL, NULL},
    [S_7040] = {TM_SUB_EVTX, "System", 7040, NULL, NULL},
    [S_USN] = {TM_SUB_USN, "BIT*.tmp", 0, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"BITS", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"BITS", TM_ROLE_SOURCE,
     TM_NEEDS(TM_COV_BITSLOG, TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_HISTORY, TM_COV_USN, TM_COV_SYSTEM)},
    {NULL, 0, NULL},
};

static bool microsoft_url(const char *url)
{
    static const char *const hosts[] = {"windowsupdate.com", "microsoft.com", "windows.com", "msedge.net",
                                        "office.net", "office.com", "live.com", "bing.com", "msn.com", "azureedge.net",
                                        "windows.net", "digicert.com"};
    char host[256];
    tm_peer_from_cmdline(url, host, sizeof host);
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        size_t hl = strlen(host), sl = strlen(hosts[i]);
        if (hl >= sl && strcasecmp(host + hl - sl, hosts[i]) == 0)
            return true;
    }
    return false;
}

/* A BITS job made by a user's program, not by a Windows service or an
 * updater: the creating process of Bits-Client 3. */
static bool user_program(const char *path)
{
    if (!path || !*path)
        return false;
    char prog[64];
    tm_program_name_of(path, prog, sizeof prog);
    static const char *const windows[] = {"svchost", "msmpeng", "onedrive*", "*update*", "officeclicktorun",
                                          "msedge*", "chrome", "mousocoreworker", "wuauclt", "sihclient",
                                          "usoclient", "backgroundtaskhost", "taskhostw", "musnotification*",
                                          "sihost", "devicecensus", "compattelrunner", "system"};
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++)
        if (tm_iglob(windows[i], prog))
            return false;
    return true;
}

static void run(const tm_view *v, tm_traces *out)
{
    static const char *const names[] = {"bitsadmin", "start-bitstransfer", NULL};
    tm_exec_rule r = {.tool = "BITS", .category = CATEGORY, .role = TM_ROLE_SOURCE, .role_local = TM_ROLE_SOURCE,
                      .names = names, .success_note = "BITS job command; success is event 60 with status 0x0"};
    tm_exec_traces(v, out, &r);
    /* Transfers: 59 (start, URL) with the 3 (created) and 60 (stop, status) of the same job id. */
    tm_item_index created, stopped;
    tm_index_by(v, S_3, "jobId", &created);
    tm_index_by(v, S_60, "Id", &stopped);
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_59)
            continue;
        const char *url = tm_data(it->r, "url");
        if (microsoft_url(url))
            continue;
        const char *id = tm_data(it->r, "Id");
        tm_trace *t = tm_trace_for_record(out, v, it, "BITS", CATEGORY, TM_ROLE_SOURCE, "BITS transfer started (59)");
        tm_evidence *started = tm_cite(t, it->r, it->art, "BITS job %s transfer started: %s", tm_data(it->r, "name"), url);
        /* "BITS Transfer" is the job name Start-BitsTransfer gives when none
         * is asked for; Windows' and updaters' jobs carry their own names */
        if (strcmp(tm_data(it->r, "name"), "BITS Transfer") == 0)
            tm_trace_attribute(t, TM_ATTR_BEHAVIOUR, started);
        char peer[256];
        tm_peer_from_cmdline(url, peer, sizeof peer);
        if (peer[0])
            tm_trace_set(&t->peer, peer);
        tm_trace_set(&t->command_line, url);
        tm_trace_set(&t->user_sid, tm_str(it->r, "user_sid"));
        bool ok = false;
        /* the two lists merged in view order */
        size_t nc, ns, c0 = tm_index_find(&created, id, &nc), s0 = tm_index_find(&stopped, id, &ns);
        for (size_t a = 0, b = 0; a < nc || b < ns;) {
            const tm_item *o = b >= ns || (a < nc && created.it[c0 + a] < stopped.it[s0 + b]) ? created.it[c0 + a++]
                                                                                          : stopped.it[s0 + b++];
            if (o->sub == S_3) {
                tm_evidence *made = tm_cite(t, o->r, o->art, "BITS job %s created by %s (%s)", tm_data(o->r, "jobTitle"),
                                            tm_data(o->r, "jobOwner"), tm_data(o->r, "processPath"));
                if (user_program(tm_data(o->r, "processPath")))
                    tm_trace_attribute(t, TM_ATTR_BEHAVIOUR, made);
                if (*tm_data(o->r, "jobOwner"))
                    tm_trace_set(&t->user, tm_data(o->r, "jobOwner"));
            }
            if (o->sub == S_60 && strcmp(tm_data(o->r, "Id"), id) == 0 && o->r->time >= it->r->time) {
                const char *hr = tm_data(o->r, "hr");
                tm_cite(t, o->r, o->art, "BITS transfer stopped: status %s, %s bytes", hr, tm_data(o->r, "bytesTransferred"));
                if (*hr && strtoul(hr, NULL, 0) == 0) {
                    ok = true;
                    tm_trace_set(&t->outcome, "transfer completed, status 0x0");
                } else {
                    tm_trace_setf(&t->outcome, "transfer stopped, status %s", hr);
                }
            }
        }
        /* the journal's temporary file, within the transfer */
        size_t k0, k1;
        tm_view_around(v, it->r->time, TM_SEC, 10 * TM_MIN, &k0, &k1);
        for (size_t k = k0; k < k1; k++) {
            const tm_item *o = &v->items[k];
            if (o->sub == S_USN && o->r->time >= it->r->time - TM_SEC && o->r->time <= it->r->time + 10 * TM_MIN)
                tm_cite(t, o->r, o->art, "%s: %s", tm_str(o->r, "file_name"), tm_str(o->r, "reasons"));
        }
        tm_confirm(t, ok, ok ? "transfer stopped with status 0x0 (Bits-Client 60)"
                             : "no Bits-Client 60 with status 0x0 for this job");
        tm_trace_set(&t->activity, "bits transfer");
        /* Attacker use of BITS, not Windows' or an updater's own job: a job
         * created (3) by a program that is no service or updater. */
        if (!t->attribution) {
            tm_trace_unattribute(t, NULL);
            tm_confirm(t, false, "the job's creator is not recorded, or is Windows or an updater (Bits-Client 3)");
        }
        tm_trace_setf(&t->message, "BITS transfer %s", url);
    }
    tm_index_free(&created);
    tm_index_free(&stopped);
    /* The journal alone: BITS temporary files renamed into place. */
    bool any_59 = false;
    for (size_t i = 0; tm_view_has(v, i); i++)
        any_59 |= v->items[i].sub == S_59;
    if (!any_59) {
        const tm_item **sel = tm_view_alloc(v, v->n, sizeof *sel);
        size_t n = 0;
        for (size_t i = 0; tm_view_has(v, i); i++)
            if (v->items[i].sub == S_USN && tm_icontains(tm_str(v->items[i].r, "reasons"), "RENAME_OLD_NAME"))
                sel[n++] = &v->items[i];
        tm_cluster *cl;
        size_t ncl = tm_clusters(sel, n, 10 * TM_MIN, &cl);
        for (size_t c = 0; c < ncl; c++) {
            tm_trace *t = tm_trace_add(out, "BITS", CATEGORY, TM_ROLE_SOURCE, cl[c].first,
                                       "BITS temporary file renamed (USN journal)");
            tm_trace_set(&t->host, v->host);
            for (size_t i = 0; i < cl[c].n; i++)
                tm_cite(t, cl[c].it[i]->r, cl[c].it[i]->art, "%s: %s (%s)", tm_str(cl[c].it[i]->r, "file_name"),
                        tm_str(cl[c].it[i]->r, "reasons"), tm_str(cl[c].it[i]->r, "file_path"));
            tm_confirm(t, false, "only the journal's BITS temporary file: the Bits-Client log is missing or rolled "
                                 "over (Windows Update also downloads through BITS)");
            tm_trace_set(&t->activity, "bits transfer");
            tm_trace_unattribute(t, NULL);
            tm_trace_set(&t->message, "BITS wrote a file (temporary BIT*.tmp renamed into place)");
        }
        tm_clusters_free(cl, ncl);
        tm_view_free(v, sel);
    }
    /* 7040: BITS start type changed (service started for the transfer) */
    for (size_t i = 0; tm_view_has(v, i); i++) {
        const tm_item *it = &v->items[i];
        if (it->sub != S_7040 || !tm_icontains(tm_data(it->r, "param1"), "Background Intelligent Transfer"))
            continue;
        tm_trace *t = tm_trace_for_record(out, v, it, "BITS", CATEGORY, TM_ROLE_SOURCE,
                                          "BITS start type changed (System 7040)");
        tm_cite(t, it->r, it->art, "start type of %s changed from %s to %s", tm_data(it->r, "param1"),
                tm_data(it->r, "param2"), tm_data(it->r, "param3"));
        tm_confirm(t, false, "the service's start type changed: BITS was started (not recorded when it already ran)");
        tm_trace_set(&t->activity, "service start type changed");
        tm_trace_unattribute(t, NULL);
        tm_trace_set(&t->message, "BITS service start type changed");
    }
}

const tm_plugin tm_plugin_bits = {
    .name = "bits",
    .tools = tools,
    .category = CATEGORY,
    .summary = "BITS transfers to or from other hosts: bitsadmin, Bits-Client log, BIT*.tmp files",
    .subs = subs,
    .needs = needs,
    .run = run,
};
