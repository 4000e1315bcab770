/* Password and hash dumpers that run as programs: PwDump7, PWDumpX,
 * QuarksPWDump, gsecdump, lslsass, AceHash, WCE, WebBrowserPassView.
 *
 * Each: its runs (process records, Prefetch, typed commands), its access to
 * lsass.exe (Sysmon 10 with the GrantedAccess the sheet records, Security
 * 4656/4663), the files it leaves (the journal, Sysmon 11), and the sheet's
 * success rule (see the specs). PWDumpX also on the destination: its service
 * (System 7045/7036) and files (DumpSvc.exe, DumpExt.dll, PWHashes.txt).
 * Program names are the tools' own; a renamed copy is found by its files or
 * options where it has some. */
#include <stdlib.h>
#include <string.h>

#include "pipeline/toolspec.h"

#define CATEGORY "Password and Hash Dump"
#define SYSMON "Microsoft-Windows-Sysmon/Operational"

/* What PWDumpX's destination side reads; the specs' own subscriptions are
 * derived from them. */
static const tm_sub subs[] = {
    {TM_SUB_EVTX, "System", 7045, NULL, NULL},
    {TM_SUB_EVTX, "System", 7036, NULL, NULL},
    {TM_SUB_USN, "DumpSvc.exe", 0, NULL, NULL},
    {TM_SUB_USN, "DumpExt.dll", 0, NULL, NULL},
    {TM_SUB_USN, "PWHashes.txt*", 0, NULL, NULL},
    TM_SUB_END,
};
static const char *const tools[] = {"PwDump7",  "PWDumpX", "QuarksPWDump", "gsecdump", "lslsass",
                                    "AceHash", "WCE",     "WebBrowserPassView", NULL};

/* The evidence each tool shows in, per role (the coverage verdict). */
static const tm_tool_needs needs[] = {
    {"PwDump7", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"PWDumpX", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {"PWDumpX", TM_ROLE_DESTINATION, TM_NEEDS(TM_COV_SYSTEM, TM_COV_USN)},
    {"QuarksPWDump", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {"gsecdump", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"lslsass", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"AceHash", TM_ROLE_SOURCE, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {"WCE", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH, TM_COV_USN)},
    {"WebBrowserPassView", TM_ROLE_HOST, TM_NEEDS(TM_COV_PROCESS, TM_COV_SYSMON, TM_COV_PREFETCH)},
    {NULL, 0, NULL},
};

static const tm_tool_spec specs[] = {
    {.tool = "PwDump7", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("pwdump7*"), .ok = TM_OK_NONE,
     .no_ok_reason = "PwDump7 ran; the sheet: success cannot be told from logs or execution history"},
    {.tool = "PWDumpX", .category = CATEGORY, .role = TM_ROLE_SOURCE, .programs = TM_NAMES("pwdumpx*"),
     .files = TM_NAMES("*-PWHashes.txt"), .ok = TM_OK_FILE, .files_alone = true,
     .ok_reason = "the hash output file [destination]-PWHashes.txt was created",
     .no_ok_reason = "PWDumpX ran; its output file ([destination]-PWHashes.txt) is not on record"},
    {.tool = "QuarksPWDump", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("quarkspwdump*", "quarks*"),
     /* the dump, its .LOG1/2 and its transaction files (.TM.blf, .regtrans-ms) */
     .files = TM_NAMES("SAM-*.dmp*"), .ok = TM_OK_FILE, .files_alone = true,
     .ok_reason = "its temporary SAM-*.dmp file was created (and deleted)",
     .no_ok_reason = "QuarksPWDump ran; its temporary SAM-*.dmp file is not on record"},
    {.tool = "gsecdump", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("gsecdump*"),
     .access_target = "lsass", .ok = TM_OK_ACCESS, .ok_reason = "it opened lsass.exe (Sysmon 10)",
     .no_ok_reason = "gsecdump ran; no access to lsass.exe on record (Sysmon 10)"},
    {.tool = "lslsass", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("lslsass*"),
     .access_target = "lsass", .ok = TM_OK_ACCESS, .ok_reason = "it opened lsass.exe (Sysmon 10)",
     .no_ok_reason = "lslsass ran; no access to lsass.exe on record (Sysmon 10)"},
    {.tool = "AceHash", .category = CATEGORY, .role = TM_ROLE_SOURCE, .programs = TM_NAMES("acehash*"),
     .access_target = "lsass", .ok = TM_OK_NONE,
     .no_ok_reason = "AceHash ran; its success shows on the domain controller (NTLM logon, 4624)"},
    {.tool = "WCE", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("wce*"), .args_not = TM_NAMES("-s "),
     .files = TM_NAMES("wceaux.dll"), .access_target = "lsass", .ok = TM_OK_FILE, .files_alone = true,
     .ok_reason = "its temporary wceaux.dll was created (and deleted)",
     .no_ok_reason = "WCE ran; its temporary wceaux.dll is not on record"},
    {.tool = "WebBrowserPassView", .category = CATEGORY, .role = TM_ROLE_HOST, .programs = TM_NAMES("webbrowserpassview*"),
     .ok = TM_OK_NONE,
     .no_ok_reason = "WebBrowserPassView ran; the sheet: success shows only as the saved password file"},
    {.tool = NULL},
};

/* PWDumpX's service on the destination: its install and state changes, and
 * the files it leaves. */
static bool pwdumpx_item(const tm_item *it, void *ctx)
{
    (void)ctx;
    const tm_record *r = it->r;
    if (it->exec)
        return false;
    if (tm_is_event(r, "System", 7045))
        return tm_icontains(tm_data(r, "ServiceName"), "PWDumpX") || tm_icontains(tm_data(r, "ImagePath"), "DumpSvc");
    if (tm_is_event(r, "System", 7036))
        return tm_icontains(tm_data(r, "param1"), "PWDumpX");
    const char *name = tm_str(r, "file_name");
    return r->kind == TM_ART_USN &&
           (tm_iglob("DumpSvc.exe", name) || tm_iglob("DumpExt.dll", name) || tm_iglob("PWHashes.txt*", name));
}

static void pwdumpx_destination(const tm_view *v, tm_traces *out)
{
    tm_cluster *cl;
    size_t ncl = tm_view_clusters(v, pwdumpx_item, NULL, 10 * TM_MIN, &cl);
    for (size_t c = 0; c < ncl; c++) {
        tm_trace *t = tm_trace_add(out, "PWDumpX", CATEGORY, TM_ROLE_DESTINATION, cl[c].first,
                                   "First trace of the PWDumpX service");
        tm_trace_set(&t->host, v->host);
        bool svc = false;
        for (size_t i = 0; i < cl[c].n; i++) {
            const tm_record *r = cl[c].it[i]->r;
            if (r->kind == TM_ART_USN) {
                tm_cite(t, r, cl[c].it[i]->art, "%s: %s", tm_str(r, "file_name"), tm_str(r, "reasons"));
            } else {
                svc |= tm_event_id(r) == 7045;
                tm_cite_service(t, cl[c].it[i]);
            }
        }
        tm_confirm(t, false, svc ? "the PWDumpX service was installed; the sheet's success evidence (the hash file) "
                                   "is on the source"
                                 : "PWDumpX's files on record; the sheet's success evidence is on the source");
        tm_trace_set(&t->activity, "credential dump");
        for (size_t e = 0; e < t->nev; e++) /* DumpSvc.exe, DumpExt.dll, PWHashes.txt: PWDumpX's own */
            tm_trace_attribute(t, TM_ATTR_BEHAVIOUR, &t->ev[e]);
        tm_trace_set(&t->message, "PWDumpX service ran here to dump password hashes");
    }
    tm_clusters_free(cl, ncl);
}

const tm_plugin tm_plugin_pwdump = {
    .name = "pwdump",
    .tools = tools,
    .category = CATEGORY,
    .summary = "Hash dumpers run as programs: runs, lsass access, temporary and output files, PWDumpX's service",
    .subs = subs,
    .specs = specs,
    .needs = needs,
    .run = pwdumpx_destination,
};
