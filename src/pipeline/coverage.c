#include "pipeline/coverage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/msg.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"

typedef struct {
    bool known, on;
} tristate;

struct tm_coverage {
    /* facts */
    bool have_security_hive, have_system_hive, have_software_hive;
    char audit[16][2][64]; /* subcategory -> setting, the ones we read */
    size_t naudit;
    int cmdline_flag;   /* -1 unknown */
    int scriptblock;    /* -1 unknown */
    int prefetcher;     /* -1 unknown */
    bool sysmon_service;
    struct {
        char channel[128];
        uint64_t max_size;
    } sizes[64]; /* configured maximum sizes, by log name */
    size_t nsizes;
    /* logs */
    tm_log_window *logs;
    size_t nlogs;
    tm_strmap log_ix; /* by path */
    /* event records recovery found (shadow copies, deleted logs, carved
     * chunks), by channel: what of a cleared or rolled-over window came back */
    struct rec_window {
        char channel[128];
        uint64_t records;
        int64_t first, last;
        bool from[4]; /* by tm_origin_type */
    } *rec;
    size_t nrec;
    tm_strmap rec_ix;
    /* what was logged */
    uint64_t n4688, n4688_cmdline, n4689, n4624, n4656, n5140, n47xx, n4769, n5156, nsysmon, n4104;
    /* artifacts found, by the source they feed */
    size_t files[TM_COV__COUNT];
    int64_t usn_first, usn_last;
    uint64_t usn_records;
    /* results */
    bool state[TM_COV__COUNT];
    char why[TM_COV__COUNT][200];
    tm_tool_verdict *verdicts;
    size_t nverdicts;
};

tm_coverage *tm_coverage_new(void)
{
    tm_coverage *c = tm_xcalloc(1, sizeof *c);
    c->cmdline_flag = c->scriptblock = c->prefetcher = -1;
    c->usn_first = c->usn_last = TM_TIME_NONE;
    tm_strmap_init(&c->log_ix, false);
    tm_strmap_init(&c->rec_ix, false);
    return c;
}

void tm_coverage_free(tm_coverage *c)
{
    if (!c)
        return;
    free(c->logs);
    tm_strmap_free(&c->log_ix);
    free(c->rec);
    tm_strmap_free(&c->rec_ix);
    free(c->verdicts);
    free(c);
}

static tm_log_window *log_for(tm_coverage *c, const tm_artifact *a)
{
    size_t i = tm_strmap_get(&c->log_ix, a->path);
    if (i != TM_STRMAP_NONE)
        return &c->logs[i];
    TM_GROW(c->logs, c->nlogs);
    tm_strmap_put(&c->log_ix, a->path, c->nlogs);
    tm_log_window *l = &c->logs[c->nlogs++];
    memset(l, 0, sizeof *l);
    snprintf(l->path, sizeof l->path, "%s", a->path);
    l->first = l->last = TM_TIME_NONE;
    return l;
}

/* Audit subcategories we read (PolAdtEv decoded by the registry reader). */
static const char *const audit_keys[] = {
    "Detailed Tracking/Process Creation", "Detailed Tracking/Process Termination", "Logon/Logoff/Logon",
    "Object Access/File System",         "Object Access/Kernel Object",           "Object Access/File Share",
    "Object Access/Detailed File Share", "Account Management/User Account Management",
    "Account Logon/Kerberos Service Ticket Operations", "Object Access/Filtering Platform Connection",
    "Object Access/Other Object Access Events",
};

static const char *audit_of(const tm_coverage *c, const char *key)
{
    for (size_t i = 0; i < c->naudit; i++)
        if (strcmp(c->audit[i][0], key) == 0)
            return c->audit[i][1];
    return NULL;
}

static void fact(tm_coverage *c, const tm_artifact *a, const tm_record *r)
{
    const char *f = tm_record_str(r, "fact");
    if (!f)
        return;
    uint64_t v;
    if (strcmp(f, "audit_policy") == 0) {
        for (size_t i = 0; i < sizeof audit_keys / sizeof audit_keys[0] && c->naudit < 16; i++) {
            const char *s = tm_record_str(r, audit_keys[i]);
            if (s) {
                snprintf(c->audit[c->naudit][0], 64, "%s", audit_keys[i]);
                snprintf(c->audit[c->naudit][1], 64, "%s", s);
                c->naudit++;
            }
        }
    } else if (strcmp(f, "process_cmdline_audit") == 0 &&
               tm_record_uint(r, "ProcessCreationIncludeCmdLine_Enabled", &v)) {
        c->cmdline_flag = v != 0;
    } else if (strcmp(f, "powershell_scriptblock_logging") == 0 &&
               tm_record_uint(r, "EnableScriptBlockLogging", &v)) {
        c->scriptblock = v != 0;
    } else if (strcmp(f, "prefetcher") == 0 && tm_record_uint(r, "EnablePrefetcher", &v)) {
        c->prefetcher = (int)v;
    } else if (strcmp(f, "sysmon_driver") == 0) {
        c->sysmon_service = true;
    } else if (strcmp(f, "service") == 0) {
        const char *n = tm_record_str(r, "name");
        if (n && (strcasecmp(n, "Sysmon") == 0 || strcasecmp(n, "Sysmon64") == 0 || strcasecmp(n, "SysmonDrv") == 0))
            c->sysmon_service = true;
    } else if (strcmp(f, "eventlog") == 0 && tm_record_uint(r, "MaxSize", &v)) {
        /* matched to a log by its name when the logs are known (finish) */
        const char *n = tm_record_str(r, "name");
        if (n && c->nsizes < sizeof c->sizes / sizeof c->sizes[0]) {
            snprintf(c->sizes[c->nsizes].channel, sizeof c->sizes[0].channel, "%s", n);
            c->sizes[c->nsizes++].max_size = v;
        }
    }
    (void)a;
}

/* A recovered event record, counted apart from the live logs' windows. */
static void recovered_record(tm_coverage *c, const tm_artifact *a, const tm_record *r)
{
    const char *ch = tm_record_str(r, "channel");
    if (!ch || !*ch || tm_kind((tm_art_kind)r->kind)->feeds != TM_COV__BY_CHANNEL)
        return;
    size_t i = tm_strmap_get(&c->rec_ix, ch);
    if (i == TM_STRMAP_NONE) {
        TM_GROW(c->rec, c->nrec);
        i = c->nrec++;
        tm_strmap_put(&c->rec_ix, ch, i);
        memset(&c->rec[i], 0, sizeof c->rec[i]);
        snprintf(c->rec[i].channel, sizeof c->rec[i].channel, "%s", ch);
        c->rec[i].first = c->rec[i].last = TM_TIME_NONE;
    }
    struct rec_window *w = &c->rec[i];
    w->records++;
    if ((unsigned)a->origin.type < 4)
        w->from[a->origin.type] = true;
    if (r->time != TM_TIME_NONE) {
        if (w->first == TM_TIME_NONE || r->time < w->first)
            w->first = r->time;
        if (w->last == TM_TIME_NONE || r->time > w->last)
            w->last = r->time;
    }
}

void tm_coverage_record(tm_coverage *c, const tm_artifact *a, const tm_record *r)
{
    if (tm_origin_recovered(&a->origin)) {
        recovered_record(c, a, r); /* the live windows are what the system logs now */
        return;
    }
    switch (tm_kind((tm_art_kind)r->kind)->feeds) {
    case TM_COV_REGISTRY: fact(c, a, r); break;
    case TM_COV_USN:
        c->usn_records++;
        if (r->time != TM_TIME_NONE) {
            if (c->usn_first == TM_TIME_NONE || r->time < c->usn_first)
                c->usn_first = r->time;
            if (c->usn_last == TM_TIME_NONE || r->time > c->usn_last)
                c->usn_last = r->time;
        }
        break;
    case TM_COV__BY_CHANNEL: {
        uint64_t id = 0;
        tm_record_uint(r, "event_id", &id);
        const char *ch = tm_record_str(r, "channel");
        if (!ch)
            break;
        if (strcasecmp(ch, "Security") == 0) {
            switch (id) {
            case 4688:
                c->n4688++;
                if (tm_record_str(r, "data.CommandLine") && *tm_record_str(r, "data.CommandLine"))
                    c->n4688_cmdline++;
                break;
            case 4689: c->n4689++; break;
            case 4624: c->n4624++; break;
            case 4656:
            case 4663: c->n4656++; break;
            case 5140:
            case 5145: c->n5140++; break;
            case 4720:
            case 4722:
            case 4724:
            case 4726:
            case 4728:
            case 4732:
            case 4737:
            case 4738: c->n47xx++; break;
            case 4768:
            case 4769: c->n4769++; break;
            case 5156: c->n5156++; break;
            default: break;
            }
        }
        if (strcasecmp(ch, SYSMON) == 0)
            c->nsysmon++;
        if (strcasecmp(ch, "Microsoft-Windows-PowerShell/Operational") == 0 && id == 4104)
            c->n4104++;
        if ((strcasecmp(ch, "Security") == 0 && id == 1102) || (strcasecmp(ch, "System") == 0 && id == 104)) {
            tm_log_window *l = log_for(c, a);
            l->cleared++;
        }
        break;
    }
    default: break;
    }
}

void tm_coverage_artifact_found(tm_coverage *c, const tm_artifact *a)
{
    if (tm_origin_recovered(&a->origin))
        return;
    tm_cov_source s = tm_kind(a->kind)->feeds;
    if (s < TM_COV__COUNT)
        c->files[s]++;
    if (s == TM_COV_REGISTRY && a->subtype) {
        c->have_security_hive |= strcmp(a->subtype, "SECURITY") == 0;
        c->have_system_hive |= strcmp(a->subtype, "SYSTEM") == 0;
        c->have_software_hive |= strcmp(a->subtype, "SOFTWARE") == 0;
    }
}

void tm_coverage_artifact(tm_coverage *c, const tm_artifact *a, const tm_read_stats *st, bool failed)
{
    if (tm_origin_recovered(&a->origin))
        return;
    if (tm_kind(a->kind)->feeds != TM_COV__BY_CHANNEL)
        return; /* an event log's window */
    tm_log_window *l = log_for(c, a);
    if (st->label[0])
        snprintf(l->channel, sizeof l->channel, "%s", st->label);
    l->records += st->records + st->filtered; /* read, wanted or not */
    l->skipped += st->skipped;
    l->fragments += st->fragments;
    l->recovered += st->recovered;
    l->id_gaps += st->id_gaps;
    l->ids_missing += st->ids_missing;
    l->dirty |= st->dirty;
    l->failed |= failed;
    if (st->first_time != TM_TIME_NONE && (l->first == TM_TIME_NONE || st->first_time < l->first))
        l->first = st->first_time;
    if (st->last_time != TM_TIME_NONE && (l->last == TM_TIME_NONE || st->last_time > l->last))
        l->last = st->last_time;
}

static const tm_log_window *log_of(const tm_coverage *c, const char *channel)
{
    for (size_t i = 0; i < c->nlogs; i++)
        if (strcasecmp(c->logs[i].channel, channel) == 0 && !c->logs[i].failed)
            return &c->logs[i];
    return NULL;
}

/* "recovered_logs" (only when recovery found event records): per channel,
 * the live window, what came back and from where, and whether a cleared or
 * rolled-over window was recovered (docs/recovery.md); cleared live logs
 * of which nothing came back are listed too. */
static void recovered_json(tm_json *j, const tm_coverage *c)
{
    static const char *const from_names[4] = {"live", "vss", "deleted-file", "carved"};
    tm_json_key(j, "recovered_logs");
    tm_json_arr_begin(j);
    for (size_t i = 0; i < c->nrec; i++) {
        const struct rec_window *w = &c->rec[i];
        const tm_log_window *l = log_of(c, w->channel);
        bool older = l && w->first != TM_TIME_NONE && l->first != TM_TIME_NONE && w->first < l->first;
        const char *verdict = !l                ? "recovered: no live log of this channel"
                              : older && l->cleared ? "cleared window recovered"
                              : older            ? "older records recovered (rolled over or deleted)"
                              : l->cleared       ? "cleared window not recovered (what came back is in the live window)"
                                                 : "copies of the live window only";
        tm_json_obj_begin(j);
        tm_json_kstr(j, "channel", w->channel);
        tm_json_ktime(j, "live_first", l ? l->first : TM_TIME_NONE);
        tm_json_ktime(j, "live_last", l ? l->last : TM_TIME_NONE);
        tm_json_kuint(j, "cleared_events", l ? l->cleared : 0);
        tm_json_kuint(j, "recovered_records", w->records);
        tm_json_ktime(j, "recovered_first", w->first);
        tm_json_ktime(j, "recovered_last", w->last);
        tm_json_key(j, "from");
        tm_json_arr_begin(j);
        for (int k = 1; k < 4; k++)
            if (w->from[k])
                tm_json_str(j, from_names[k]);
        tm_json_arr_end(j);
        tm_json_kstr(j, "verdict", verdict);
        tm_json_obj_end(j);
    }
    for (size_t i = 0; i < c->nlogs; i++) {
        const tm_log_window *l = &c->logs[i];
        if (!l->cleared || !l->channel[0] || tm_strmap_get(&c->rec_ix, l->channel) != TM_STRMAP_NONE)
            continue;
        tm_json_obj_begin(j);
        tm_json_kstr(j, "channel", l->channel);
        tm_json_ktime(j, "live_first", l->first);
        tm_json_ktime(j, "live_last", l->last);
        tm_json_kuint(j, "cleared_events", l->cleared);
        tm_json_kuint(j, "recovered_records", 0);
        tm_json_ktime(j, "recovered_first", TM_TIME_NONE);
        tm_json_ktime(j, "recovered_last", TM_TIME_NONE);
        tm_json_key(j, "from");
        tm_json_arr_begin(j);
        tm_json_arr_end(j);
        tm_json_kstr(j, "verdict", "cleared window not recovered");
        tm_json_obj_end(j);
    }
    tm_json_arr_end(j);
}

static bool audit_success(const char *setting)
{
    return setting && strstr(setting, "Success") != NULL;
}

/* An audited source: logged records prove it; else the policy says. */
static void audited(tm_coverage *c, tm_cov_source s, const char *const *subcats, uint64_t seen, const char *events)
{
    const tm_log_window *sec = log_of(c, "Security");
    if (seen) {
        c->state[s] = true;
        snprintf(c->why[s], sizeof c->why[s], "%llu %s records in the Security log", (unsigned long long)seen, events);
        return;
    }
    const char *found = NULL;
    for (size_t i = 0; subcats[i] && !found; i++)
        found = audit_of(c, subcats[i]);
    char setting[64] = ""; /* a copy: the message is written into the same struct */
    if (found)
        snprintf(setting, sizeof setting, "%s", found);
    if (found && !audit_success(setting)) {
        snprintf(c->why[s], sizeof c->why[s], "not audited (%s: %s)%s", subcats[0], setting,
                 sec ? "" : "; no Security log either");
    } else if (!sec) {
        snprintf(c->why[s], sizeof c->why[s], "no readable Security log%s", found ? " (the policy audits it)" : "");
    } else if (found) {
        c->state[s] = true;
        snprintf(c->why[s], sizeof c->why[s], "audited (%s: %s), but no %s record in the log's window", subcats[0],
                 setting, events);
    } else if (!c->have_security_hive) {
        snprintf(c->why[s], sizeof c->why[s], "no %s records, and no SECURITY hive to read the audit policy from",
                 events);
    } else {
        snprintf(c->why[s], sizeof c->why[s], "no %s records; the audit policy does not say (legacy or undecoded)",
                 events);
    }
}

static void logged(tm_coverage *c, tm_cov_source s, const char *channel)
{
    const tm_log_window *l = log_of(c, channel);
    if (l && l->records) {
        c->state[s] = true;
        snprintf(c->why[s], sizeof c->why[s], "%s: %llu record%s", channel, (unsigned long long)l->records,
                 TM_PLURAL(l->records));
    } else if (l) {
        snprintf(c->why[s], sizeof c->why[s], "%s is there but holds no record", channel);
    } else {
        snprintf(c->why[s], sizeof c->why[s], "no %s log", channel);
    }
}

static int cmp_log(const void *pa, const void *pb)
{
    const tm_log_window *a = pa, *b = pb;
    int r = strcmp(a->path, b->path);
    return r ? r : strcmp(a->channel, b->channel);
}

void tm_coverage_finish(tm_coverage *c, const tm_plugin *const *plugins, size_t nplugins)
{
    /* The logs in path order, not in the order workers finished them: the
     * verdicts and summary.json must not depend on -j. */
    if (c->nlogs > 1) {
        tm_sort(c->logs, c->nlogs, sizeof *c->logs, cmp_log);
        tm_strmap_free(&c->log_ix);
        tm_strmap_init(&c->log_ix, false);
        for (size_t i = 0; i < c->nlogs; i++)
            tm_strmap_put(&c->log_ix, c->logs[i].path, i);
    }
    static const char *const proc[] = {"Detailed Tracking/Process Creation", NULL};
    static const char *const term[] = {"Detailed Tracking/Process Termination", NULL};
    static const char *const logon[] = {"Logon/Logoff/Logon", NULL};
    static const char *const obj[] = {"Object Access/File System", "Object Access/Kernel Object", NULL};
    static const char *const share[] = {"Object Access/File Share", "Object Access/Detailed File Share", NULL};
    static const char *const acct[] = {"Account Management/User Account Management", NULL};
    static const char *const krb[] = {"Account Logon/Kerberos Service Ticket Operations", NULL};
    static const char *const wfp[] = {"Object Access/Filtering Platform Connection", NULL};
    /* configured maximum sizes onto the logs */
    for (size_t i = 0; i < c->nsizes; i++)
        for (size_t k = 0; k < c->nlogs; k++)
            if (strcasecmp(c->logs[k].channel, c->sizes[i].channel) == 0)
                c->logs[k].max_size = c->sizes[i].max_size;

    audited(c, TM_COV_PROCESS, proc, c->n4688, "4688");
    audited(c, TM_COV_EXIT, term, c->n4689, "4689");
    audited(c, TM_COV_LOGON, logon, c->n4624, "4624");
    audited(c, TM_COV_OBJECT, obj, c->n4656, "4656/4663");
    audited(c, TM_COV_SHARE, share, c->n5140, "5140/5145");
    audited(c, TM_COV_ACCOUNT, acct, c->n47xx, "account management");
    audited(c, TM_COV_KERBEROS, krb, c->n4769, "4768/4769");
    audited(c, TM_COV_WFP, wfp, c->n5156, "5156");
    if (c->n4688_cmdline) {
        c->state[TM_COV_CMDLINE] = true;
        snprintf(c->why[TM_COV_CMDLINE], 200, "%llu 4688 records carry command lines",
                 (unsigned long long)c->n4688_cmdline);
    } else if (c->cmdline_flag == 1 && c->state[TM_COV_PROCESS]) {
        c->state[TM_COV_CMDLINE] = true;
        snprintf(c->why[TM_COV_CMDLINE], 200, "ProcessCreationIncludeCmdLine_Enabled is 1");
    } else {
        snprintf(c->why[TM_COV_CMDLINE], 200, "%s",
                 !c->state[TM_COV_PROCESS] ? "no process creation auditing"
                 : c->cmdline_flag == 0    ? "ProcessCreationIncludeCmdLine_Enabled is 0: 4688 has no command line"
                                           : "4688 records without command lines (the policy is not set)");
    }
    const tm_log_window *sm = log_of(c, SYSMON);
    if (c->nsysmon || (sm && sm->records)) {
        c->state[TM_COV_SYSMON] = true;
        snprintf(c->why[TM_COV_SYSMON], 200, "Sysmon log with %llu records",
                 (unsigned long long)(sm ? sm->records : c->nsysmon));
    } else if (c->sysmon_service) {
        snprintf(c->why[TM_COV_SYSMON], 200, "Sysmon is installed, but its log is missing or empty");
    } else {
        snprintf(c->why[TM_COV_SYSMON], 200, "Sysmon is not installed (no service, no log)");
    }
    if (c->n4104) {
        c->state[TM_COV_PSLOG] = true;
        snprintf(c->why[TM_COV_PSLOG], 200, "%llu script blocks logged (4104)", (unsigned long long)c->n4104);
    } else if (c->scriptblock == 1) {
        c->state[TM_COV_PSLOG] = true;
        snprintf(c->why[TM_COV_PSLOG], 200, "script block logging is on (policy), no 4104 in the log's window");
    } else {
        snprintf(c->why[TM_COV_PSLOG], 200, "%s",
                 c->scriptblock == 0 ? "script block logging is off (policy)"
                                     : "script block logging is not configured: only suspicious blocks are logged "
                                       "(Windows 10) or none");
    }
    logged(c, TM_COV_SYSTEM, "System");
    logged(c, TM_COV_TASKLOG, "Microsoft-Windows-TaskScheduler/Operational");
    logged(c, TM_COV_WINRMLOG, "Microsoft-Windows-WinRM/Operational");
    logged(c, TM_COV_BITSLOG, "Microsoft-Windows-Bits-Client/Operational");
    logged(c, TM_COV_APPLOG, "Application");
    {
        const char *rdp[] = {"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
                             "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
                             "Microsoft-Windows-TerminalServices-RDPClient/Operational"};
        uint64_t n = 0;
        for (size_t i = 0; i < 3; i++) {
            const tm_log_window *l = log_of(c, rdp[i]);
            n += l ? l->records : 0;
        }
        c->state[TM_COV_RDPLOG] = n > 0;
        snprintf(c->why[TM_COV_RDPLOG], 200, n ? "%llu records in the Terminal Services logs"
                                               : "no Terminal Services log records", (unsigned long long)n);
    }
    if (c->prefetcher == 0) {
        snprintf(c->why[TM_COV_PREFETCH], 200, "Prefetch is disabled (EnablePrefetcher 0; the default on servers)");
    } else if (c->files[TM_COV_PREFETCH]) {
        c->state[TM_COV_PREFETCH] = true;
        snprintf(c->why[TM_COV_PREFETCH], 200, "%zu Prefetch file%s (each keeps up to 8 run times)",
                 c->files[TM_COV_PREFETCH], TM_PLURAL(c->files[TM_COV_PREFETCH]));
    } else {
        snprintf(c->why[TM_COV_PREFETCH], 200, "no Prefetch files found%s",
                 c->prefetcher > 0 ? " although Prefetch is enabled" : "");
    }
    if (c->files[TM_COV_USN] && c->usn_records) {
        c->state[TM_COV_USN] = true;
        char a[TM_TIME_ISO_LEN], b[TM_TIME_ISO_LEN];
        tm_time_iso(c->usn_first, a);
        tm_time_iso(c->usn_last, b);
        snprintf(c->why[TM_COV_USN], 200, "%llu record%s from %.19s to %.19s", (unsigned long long)c->usn_records,
                 TM_PLURAL(c->usn_records), a, b);
    } else {
        snprintf(c->why[TM_COV_USN], 200, "%s", c->files[TM_COV_USN] ? "the USN journal holds no record" : "no USN journal");
    }
    c->state[TM_COV_REGISTRY] = c->files[TM_COV_REGISTRY] > 0;
    snprintf(c->why[TM_COV_REGISTRY], 200, c->files[TM_COV_REGISTRY] ? "%zu hive%s" : "no registry hives", c->files[TM_COV_REGISTRY],
             TM_PLURAL(c->files[TM_COV_REGISTRY]));
    c->state[TM_COV_TASKFILES] = c->files[TM_COV_TASKFILES] > 0;
    snprintf(c->why[TM_COV_TASKFILES], 200, c->files[TM_COV_TASKFILES] ? "%zu task and at-job file%s" : "no task or at-job files",
             c->files[TM_COV_TASKFILES], TM_PLURAL(c->files[TM_COV_TASKFILES]));
    c->state[TM_COV_HISTORY] = c->files[TM_COV_HISTORY] > 0;
    snprintf(c->why[TM_COV_HISTORY], 200, c->files[TM_COV_HISTORY] ? "%zu PowerShell history file%s"
                                                           : "no PowerShell history files",
             c->files[TM_COV_HISTORY], TM_PLURAL(c->files[TM_COV_HISTORY]));

    /* verdicts */
    free(c->verdicts);
    c->verdicts = NULL;
    c->nverdicts = 0;
    for (size_t pi = 0; pi < nplugins; pi++)
        for (const tm_tool_needs *nd = plugins[pi]->needs; nd && nd->tool; nd++) {
            TM_GROW(c->verdicts, c->nverdicts);
            tm_tool_verdict *v = &c->verdicts[c->nverdicts++];
            memset(v, 0, sizeof *v);
            v->tool = nd->tool;
            v->role = tm_role_name(nd->role);
            size_t kf = 0, km = 0;
            for (const tm_cov_source *src = nd->sources; *src < TM_COV__COUNT; src++) {
                if (c->state[*src]) {
                    v->detectable = true;
                    kf += (size_t)snprintf(v->from + kf, kf < sizeof v->from ? sizeof v->from - kf : 0, "%s%s",
                                           kf ? ", " : "", tm_cov_name(*src));
                } else {
                    km += (size_t)snprintf(v->missing + km, km < sizeof v->missing ? sizeof v->missing - km : 0,
                                           "%s%s: %s", km ? "; " : "", tm_cov_name(*src), c->why[*src]);
                }
                if (kf >= sizeof v->from)
                    kf = sizeof v->from - 1;
                if (km >= sizeof v->missing)
                    km = sizeof v->missing - 1;
            }
        }
}

bool tm_coverage_source(const tm_coverage *c, tm_cov_source s, const char **why)
{
    if (why)
        *why = c->why[s];
    return c->state[s];
}

size_t tm_coverage_verdicts(const tm_coverage *c, const tm_tool_verdict **out)
{
    *out = c->verdicts;
    return c->nverdicts;
}

size_t tm_coverage_logs(const tm_coverage *c, const tm_log_window **out)
{
    *out = c->logs;
    return c->nlogs;
}

void tm_coverage_json(tm_json *j, const tm_coverage *c)
{
    tm_json_obj_begin(j);
    tm_json_key(j, "sources");
    tm_json_obj_begin(j);
    for (int s = 0; s < TM_COV__COUNT; s++) {
        tm_json_key(j, tm_cov_key((tm_cov_source)s));
        tm_json_obj_begin(j);
        tm_json_kstr(j, "name", tm_cov_name((tm_cov_source)s));
        tm_json_kbool(j, "available", c->state[s]);
        tm_json_kstr(j, "why", c->why[s]);
        tm_json_obj_end(j);
    }
    tm_json_obj_end(j);
    tm_json_key(j, "event_logs");
    tm_json_arr_begin(j);
    for (size_t i = 0; i < c->nlogs; i++) {
        const tm_log_window *l = &c->logs[i];
        tm_json_obj_begin(j);
        tm_json_kstr(j, "channel", l->channel);
        tm_json_kstr(j, "path", l->path);
        tm_json_kuint(j, "records", l->records);
        tm_json_kuint(j, "unreadable", l->skipped);
        tm_json_kuint(j, "recovered", l->recovered);
        tm_json_kuint(j, "slack_fragments", l->fragments);
        tm_json_ktime(j, "first", l->first);
        tm_json_ktime(j, "last", l->last);
        tm_json_kuint(j, "id_gaps", l->id_gaps);
        tm_json_kuint(j, "ids_missing", l->ids_missing);
        tm_json_kuint(j, "cleared_events", l->cleared);
        tm_json_key(j, "max_size");
        if (l->max_size)
            tm_json_uint(j, l->max_size);
        else
            tm_json_null(j);
        tm_json_kbool(j, "dirty", l->dirty);
        tm_json_kbool(j, "failed", l->failed);
        tm_json_obj_end(j);
    }
    tm_json_arr_end(j);
    if (c->nrec)
        recovered_json(j, c);
    tm_json_key(j, "usn_journal");
    tm_json_obj_begin(j);
    tm_json_kbool(j, "present", c->files[TM_COV_USN] > 0);
    tm_json_kuint(j, "records", c->usn_records);
    tm_json_ktime(j, "first", c->usn_first);
    tm_json_ktime(j, "last", c->usn_last);
    tm_json_obj_end(j);
    tm_json_key(j, "tools");
    tm_json_arr_begin(j);
    for (size_t i = 0; i < c->nverdicts; i++) {
        const tm_tool_verdict *v = &c->verdicts[i];
        tm_json_obj_begin(j);
        tm_json_kstr(j, "tool", v->tool);
        tm_json_kstr(j, "role", v->role);
        tm_json_kbool(j, "detectable", v->detectable);
        tm_json_kstr(j, "detectable_from", v->from[0] ? v->from : NULL);
        tm_json_kstr(j, "not_available", v->missing[0] ? v->missing : NULL);
        tm_json_obj_end(j);
    }
    tm_json_arr_end(j);
    tm_json_obj_end(j);
}
