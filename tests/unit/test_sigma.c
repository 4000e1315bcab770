/* Sigma engine: loading, every modifier and condition form (cases from the
 * specification's examples), log sources and the 4688 field mapping,
 * skip reasons and errors with their lines; with --sigmahq DIR, every
 * SigmaHQ rule and the specification's schema test files, load and match
 * figures. */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "rules/sigma.h"
#include "rules/sigma_int.h" /* the SigmaHQ check makes events from the rules' compiled values */

/* ---- a test event: name/value pairs, optionally a 4688 record read through
 * tm_sigma_record_field ---- */
typedef struct {
    const char *channel;
    uint32_t id;
    const char *const *kv;
    size_t n; /* pairs */
} tev;

static const char *tget(void *ctx, const char *field)
{
    const tev *e = ctx;
    const char *f = tm_sigma_record_field(e->channel, e->id, field);
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->kv[2 * i], f))
            return e->kv[2 * i + 1];
    return NULL;
}

static bool teach(void *ctx, bool (*fn)(void *, const char *), void *arg)
{
    const tev *e = ctx;
    for (size_t i = 0; i < e->n; i++)
        if (fn(arg, e->kv[2 * i + 1]))
            return true;
    return false;
}

static const char *rule_head = "title: test rule\n"
                               "logsource:\n"
                               "    product: windows\n"
                               "    category: process_creation\n"
                               "detection:\n";

/* 1 when the rule (detection body `det`) matches, 0 when not, -1 when it
 * did not load (the report is printed). */
static int try_event(const char *det, const char *channel, uint32_t id, const char *const *kv, size_t n)
{
    tm_sigma_set *s = tm_sigma_set_new();
    tm_sigma_report rep = {0};
    char *text = malloc(strlen(rule_head) + strlen(det) + 1);
    strcpy(text, rule_head);
    strcat(text, det);
    tm_sigma_load_text(s, "t.yml", text, strlen(text), &rep);
    free(text);
    int r = -1;
    if (tm_sigma_count(s) == 1) {
        tev e = {channel, id, kv, n};
        tm_sigma_event ev = {tget, teach, &e};
        r = tm_sigma_match(tm_sigma_at(s, 0), &ev);
    } else {
        fprintf(stderr, "rule did not load:\n%s", rep.log ? rep.log : "");
    }
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    return r;
}

#define KV(...) ((const char *const[]){__VA_ARGS__})
#define NKV(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *) / 2)
#define SYSMON "Microsoft-Windows-Sysmon/Operational"
/* the rule matches an event of these fields */
#define YES(det, ...) CHECK(try_event(det, SYSMON, 1, KV(__VA_ARGS__), NKV(__VA_ARGS__)) == 1)
#define NO(det, ...) CHECK(try_event(det, SYSMON, 1, KV(__VA_ARGS__), NKV(__VA_ARGS__)) == 0)

/* Loads text; returns the set, fills rep. */
static tm_sigma_set *load(const char *text, tm_sigma_report *rep)
{
    tm_sigma_set *s = tm_sigma_set_new();
    memset(rep, 0, sizeof *rep);
    tm_sigma_load_text(s, "t.yml", text, strlen(text), rep);
    return s;
}

static void test_plain_and_wildcards(void)
{
    const char *d = "    selection:\n        Image: 'C:\\Windows\\System32\\whoami.exe'\n    condition: selection\n";
    YES(d, "Image", "C:\\Windows\\System32\\whoami.exe");
    YES(d, "Image", "c:\\windows\\system32\\WHOAMI.EXE"); /* case-insensitive */
    NO(d, "Image", "C:\\Windows\\System32\\whoami.exe2"); /* whole field */
    NO(d, "Image", "D:\\Windows\\System32\\whoami.exe");
    NO(d, "CommandLine", "C:\\Windows\\System32\\whoami.exe"); /* other field */
    NO(d, "Other", "x");                                                  /* absent */
    d = "    selection:\n        Image|cased: 'C:\\Windows\\whoami.exe'\n    condition: selection\n";
    YES(d, "Image", "C:\\Windows\\whoami.exe");
    NO(d, "Image", "c:\\windows\\whoami.exe");
    /* wildcards: prog?.exe, antivirus_V*.exe */
    d = "    selection:\n        Image: 'prog?.exe'\n    condition: selection\n";
    YES(d, "Image", "progA.exe");
    YES(d, "Image", "prog\xc3\xa9.exe"); /* ? is one character, also a multi-byte one */
    NO(d, "Image", "prog.exe");
    NO(d, "Image", "progAB.exe");
    d = "    selection:\n        Image: 'antivirus_V*.exe'\n    condition: selection\n";
    YES(d, "Image", "antivirus_V1.exe");
    YES(d, "Image", "antivirus_V21.2.1.exe");
    YES(d, "Image", "antivirus_V.exe");
    NO(d, "Image", "xantivirus_V1.exe");
    d = "    selection:\n        CommandLine: '*a*b*c*'\n    condition: selection\n";
    YES(d, "CommandLine", "xxaxxbxxcxx");
    YES(d, "CommandLine", "abc");
    NO(d, "CommandLine", "acb");
    d = "    selection:\n        CommandLine: 'ab*b'\n    condition: selection\n";
    YES(d, "CommandLine", "abb");
    YES(d, "CommandLine", "abxxb");
    NO(d, "CommandLine", "ab"); /* the two b's cannot overlap */
    d = "    selection:\n        CommandLine: '*'\n    condition: selection\n";
    YES(d, "CommandLine", "");
    NO(d, "Other", "x"); /* a wildcard does not make an absent field */
    d = "    selection:\n        CommandLine: ''\n    condition: selection\n";
    YES(d, "CommandLine", "");
    NO(d, "CommandLine", "x");
    /* escapes: \* \? literal, \\* a backslash then a wildcard, \\\* both
     * plain, \\\\ two backslashes, a lone backslash is itself */
    d = "    selection:\n        CommandLine: 'a\\*b'\n    condition: selection\n";
    YES(d, "CommandLine", "a*b");
    NO(d, "CommandLine", "axxb");
    d = "    selection:\n        CommandLine: 'a\\?b'\n    condition: selection\n";
    YES(d, "CommandLine", "a?b");
    NO(d, "CommandLine", "axb");
    d = "    selection:\n        CommandLine: 'a\\\\*'\n    condition: selection\n";
    YES(d, "CommandLine", "a\\anything");
    NO(d, "CommandLine", "a*");
    d = "    selection:\n        CommandLine: 'a\\\\\\*'\n    condition: selection\n";
    YES(d, "CommandLine", "a\\*");
    NO(d, "CommandLine", "a\\x");
    d = "    selection:\n        CommandLine: '\\\\\\\\srv'\n    condition: selection\n";
    YES(d, "CommandLine", "\\\\srv");
    NO(d, "CommandLine", "\\srv");
    d = "    selection:\n        CommandLine: 'C:\\\\Windows'\n    condition: selection\n";
    YES(d, "CommandLine", "C:\\Windows");
    /* a quadratic case stays fast: many stars, long value */
    d = "    selection:\n        CommandLine: '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b'\n    condition: selection\n";
    {
        static char big[200001];
        memset(big, 'a', sizeof big - 1);
        clock_t t0 = clock();
        NO(d, "CommandLine", big);
        CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
    }
}

static void test_lists_and_positions(void)
{
    /* EventLog Security and (517 or 1102), from the specification */
    const char *d = "    selection:\n        EventLog: Security\n        EventID:\n            - 517\n"
                    "            - 1102\n    condition: selection\n";
    YES(d, "EventLog", "Security", "EventID", "1102");
    YES(d, "EventLog", "Security", "EventID", "517");
    NO(d, "EventLog", "Security", "EventID", "4624");
    NO(d, "EventLog", "System", "EventID", "517");
    /* numbers compare as strings */
    d = "    selection:\n        EventID: 4688\n    condition: selection\n";
    YES(d, "EventID", "4688");
    NO(d, "EventID", "04688");
    d = "    selection:\n        TicketOptions: '0x40810000'\n        TicketEncryption: '0x17'\n"
        "    condition: selection\n";
    YES(d, "TicketOptions", "0x40810000", "TicketEncryption", "0x17");
    NO(d, "TicketOptions", "0x40810000", "TicketEncryption", "23");
    /* list of maps: OR */
    d = "    selection:\n        - Image|endswith: '\\example.exe'\n        - Description|contains: 'Test executable'\n"
        "    condition: selection\n";
    YES(d, "Image", "C:\\x\\example.exe");
    YES(d, "Description", "A Test Executable here");
    NO(d, "Image", "C:\\x\\example.exe.bak", "Description", "Test");
    d = "    selection:\n        CommandLine|contains: whoami\n    condition: selection\n";
    YES(d, "CommandLine", "cmd /c WhoAmI /all");
    NO(d, "CommandLine", "who ami");
    d = "    selection:\n        Image|startswith: 'adm'\n    condition: selection\n";
    YES(d, "Image", "ADMIN");
    NO(d, "Image", "xadm");
    d = "    selection:\n        Image|endswith: '\\cmd.exe'\n    condition: selection\n";
    YES(d, "Image", "C:\\Windows\\System32\\cmd.exe");
    NO(d, "Image", "C:\\Windows\\System32\\cmd.exe.mui");
    NO(d, "Image", "C:\\Windows\\System32\\xcmd.exe");
    /* wildcards survive inside contains */
    d = "    selection:\n        CommandLine|contains: 'net*user'\n    condition: selection\n";
    YES(d, "CommandLine", "c:\\net.exe  user x");
    /* all: every value */
    d = "    selection:\n        CommandLine|contains|all:\n            - ' -ExternalUrl '\n"
        "            - OabVirtualDirectory\n    condition: selection\n";
    YES(d, "CommandLine", "Set-OabVirtualDirectory -ExternalUrl 'x'");
    NO(d, "CommandLine", "Set-OabVirtualDirectory -InternalUrl 'x'");
    d = "    selection:\n        CommandLine|contains:\n            - ' -ExternalUrl '\n"
        "            - OabVirtualDirectory\n    condition: selection\n";
    YES(d, "CommandLine", "Set-OabVirtualDirectory -InternalUrl 'x'");
    YES(d, "CommandLine", "SET-OABVIRTUALDIRECTORY");
    YES(d, "CommandLine", "x -EXTERNALURL y");
    NO(d, "CommandLine", "Set-OabVirtual Directory -External Url");
    /* many contains values (one automaton) mixed with wildcard ones */
    d = "    selection:\n        CommandLine|contains:\n            - 'abc'\n            - 'bcd'\n"
        "            - 'x?z'\n            - 'cdeX'\n            - 'p*q'\n    condition: selection\n";
    YES(d, "CommandLine", "__bCd__");
    YES(d, "CommandLine", "__CDEx");
    YES(d, "CommandLine", "__xyz__");
    YES(d, "CommandLine", "p__q");
    NO(d, "CommandLine", "ab cd xz cde pp");
    d = "    selection:\n        CommandLine|contains|cased:\n            - 'abc'\n            - 'Bcd'\n"
        "    condition: selection\n";
    YES(d, "CommandLine", "_Bcd_");
    NO(d, "CommandLine", "_bcd_ ABC");
}

static void test_null_exists(void)
{
    /* selection and not filter (PasswordLastSet: null) */
    const char *d = "    selection:\n        EventID: 4738\n    filter:\n        PasswordLastSet: null\n"
                    "    condition: selection and not filter\n";
    YES(d, "EventID", "4738", "PasswordLastSet", "2024-01-01");
    NO(d, "EventID", "4738");
    NO(d, "EventID", "4738", "PasswordLastSet", "");
    d = "    sel_main:\n        FieldA: something\n    selection_empty1:\n        FieldB: ''\n"
        "    selection_empty2:\n        FieldB: null\n    condition: sel_main and 1 of selection_empty*\n";
    YES(d, "FieldA", "something");
    YES(d, "FieldA", "something", "FieldB", "");
    NO(d, "FieldA", "something", "FieldB", "x");
    d = "    selection:\n        EventID: 4738\n        PasswordLastSet|exists: true\n    condition: selection\n";
    YES(d, "EventID", "4738", "PasswordLastSet", "");
    NO(d, "EventID", "4738");
    d = "    selection:\n        PasswordLastSet|exists: false\n    condition: selection\n";
    YES(d, "EventID", "4738");
    NO(d, "PasswordLastSet", "x");
    /* null in a list is invalid (the specification's invalid example) */
    tm_sigma_report rep;
    tm_sigma_set *s = load("title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
                           "    selection_main:\n        FieldA: 'something'\n        FieldB:\n"
                           "            - ''\n            - null\n    condition: selection_main\n",
                           &rep);
    CHECK(rep.errors == 1 && tm_sigma_count(s) == 0);
    CHECK(rep.log && strstr(rep.log, "t.yml:10: "));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
}

static void test_keywords(void)
{
    const char *d = "    keywords:\n        - 'EVILSERVICE'\n        - 'svchost.exe -n evil'\n    condition: keywords\n";
    YES(d, "ServiceName", "my evilservice here");
    YES(d, "Image", "x", "CommandLine", "C:\\svchost.exe -n evil");
    NO(d, "ServiceName", "goodservice", "CommandLine", "svchost.exe -k netsvcs");
    d = "    keywords_cmdlet:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n"
        "    condition: keywords_cmdlet\n";
    YES(d, "Payload", "Set-OabVirtualDirectory -ExternalUrl http://x");
    YES(d, "A", "OabVirtualDirectory", "B", "x -ExternalUrl y"); /* in different fields */
    NO(d, "Payload", "Set-OabVirtualDirectory -InternalUrl http://x");
    d = "    mimikatz_keywords:\n        - 'event::clear'\n        - 'event::drop'\n    condition: mimikatz_keywords\n";
    YES(d, "Data", "mimikatz # EVENT::drop");
    NO(d, "Data", "event:clear");
}

static void test_re(void)
{
    const char *d = "    selection:\n        CommandLine|re: 'ab+c$'\n    condition: selection\n";
    YES(d, "CommandLine", "xxabbbc");
    NO(d, "CommandLine", "xxABBBC"); /* case-sensitive by default */
    NO(d, "CommandLine", "abcx");
    d = "    selection:\n        CommandLine|re|i: 'ab+c$'\n    condition: selection\n";
    YES(d, "CommandLine", "xxABBBC");
    d = "    selection:\n        CommandLine|re: '^second'\n    condition: selection\n";
    NO(d, "CommandLine", "first\nsecond");
    d = "    selection:\n        CommandLine|re|m: '^second'\n    condition: selection\n";
    YES(d, "CommandLine", "first\nsecond");
    d = "    selection:\n        CommandLine|re: 'a.b'\n    condition: selection\n";
    NO(d, "CommandLine", "a\nb");
    d = "    selection:\n        CommandLine|re|s: 'a.b'\n    condition: selection\n";
    YES(d, "CommandLine", "a\nb");
    /* invalid UTF-8 in the value is no crash and can still match */
    d = "    selection:\n        CommandLine|re: 'x.y'\n    condition: selection\n";
    YES(d, "CommandLine", "\xff\xfe x1y");
    /* catastrophic backtracking stops at the match limit */
    d = "    selection:\n        CommandLine|re: '(a+)+$'\n    condition: selection\n";
    NO(d, "CommandLine", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
    /* a bad expression is an error with its line */
    tm_sigma_report rep;
    tm_sigma_set *s = load("title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
                           "    selection:\n        CommandLine|re: 'a(b'\n    condition: selection\n",
                           &rep);
    CHECK(rep.errors == 1);
    CHECK(rep.log && strstr(rep.log, "t.yml:7: regular expression"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
}

static void test_encodings(void)
{
    const char *d = "    selection:\n        CommandLine|base64: 'http://'\n    condition: selection\n";
    YES(d, "CommandLine", "aHR0cDovLw==");
    NO(d, "CommandLine", "x aHR0cDovLw==");
    d = "    selection:\n        CommandLine|base64|contains: 'http://'\n    condition: selection\n";
    YES(d, "CommandLine", "powershell -e aHR0cDovLw== x");
    /* base64offset: /bin/bash at each of the three offsets */
    d = "    selection:\n        CommandLine|base64offset|contains: '/bin/bash'\n    condition: selection\n";
    YES(d, "CommandLine", "x L2Jpbi9iYXNo");                     /* offset 0 */
    YES(d, "CommandLine", "IC9iaW4vYmFzaA==");                   /* " /bin/bash" */
    YES(d, "CommandLine", "eHgvYmluL2Jhc2g=");                   /* "xx/bin/bash" */
    YES(d, "CommandLine", "ICBlY2hvIC9iaW4vYmFzaCBpcyBoZXJl");   /* "  echo /bin/bash is here" */
    NO(d, "CommandLine", "L2Jpbi9zaA==");
    /* wide (utf16le) before base64: PowerShell -EncodedCommand */
    d = "    selection:\n        CommandLine|wide|base64offset|contains: 'ping'\n    condition: selection\n";
    YES(d, "CommandLine", "-enc cABpAG4AZw");
    YES(d, "CommandLine", "-enc xAAaQBuAGcA");
    YES(d, "CommandLine", "-enc wAGkAbgBnA");
    NO(d, "CommandLine", "-enc cGluZw==");
    d = "    selection:\n        CommandLine|utf16le|base64: 'cmd'\n    condition: selection\n";
    YES(d, "CommandLine", "YwBtAGQA");
    d = "    selection:\n        CommandLine|utf16be|base64: 'cmd'\n    condition: selection\n";
    YES(d, "CommandLine", "AGMAbQBk");
    d = "    selection:\n        CommandLine|utf16|base64: 'cmd'\n    condition: selection\n";
    YES(d, "CommandLine", "//5jAG0AZAA=");
    d = "    selection:\n        CommandLine|wide|base64|contains: 'Invoke-Mimikatz'\n    condition: selection\n";
    YES(d, "CommandLine", "x SQBuAHYAbwBrAGUALQBNAGkAbQBpAGsAYQB0AHoA y");
    /* windash: - / en dash, em dash, horizontal bar */
    d = "    selection:\n        CommandLine|windash|contains: ' -enc '\n    condition: selection\n";
    YES(d, "CommandLine", "powershell -enc AAA");
    YES(d, "CommandLine", "powershell /enc AAA");
    YES(d, "CommandLine", "powershell \xe2\x80\x93" "enc AAA");
    YES(d, "CommandLine", "powershell \xe2\x80\x94" "enc AAA");
    YES(d, "CommandLine", "powershell \xe2\x80\x95" "enc AAA");
    NO(d, "CommandLine", "powershell +enc AAA");
    NO(d, "CommandLine", "powershell enc AAA");
    /* each dash independently (all permutations) */
    d = "    selection:\n        CommandLine|windash|contains: '-a -b'\n    condition: selection\n";
    YES(d, "CommandLine", "x /a \xe2\x80\x94" "b");
    YES(d, "CommandLine", "x -a /b");
    /* a dash inside a word is not a switch */
    d = "    selection:\n        CommandLine|windash: 'x-y'\n    condition: selection\n";
    YES(d, "CommandLine", "x-y");
    NO(d, "CommandLine", "x/y");
    d = "    selection:\n        CommandLine|windash|endswith: ' -s'\n    condition: selection\n";
    YES(d, "CommandLine", "psexec \xe2\x80\x93s");
    NO(d, "CommandLine", "psexec \xe2\x80\x93");
}

static void test_numbers_ip_ref(void)
{
    const char *d = "    selection:\n        Count|lt: 10\n    condition: selection\n";
    YES(d, "Count", "9");
    NO(d, "Count", "10");
    NO(d, "Count", "abc");
    d = "    selection:\n        Count|lte: 10\n    condition: selection\n";
    YES(d, "Count", "10");
    NO(d, "Count", "11");
    d = "    selection:\n        Count|gt: 10\n    condition: selection\n";
    YES(d, "Count", "0x20"); /* hexadecimal in the event */
    NO(d, "Count", "10");
    d = "    selection:\n        Count|gte: 10.5\n    condition: selection\n";
    YES(d, "Count", "10.5");
    NO(d, "Count", "10.4");
    d = "    selection:\n        DestinationIp|cidr: 10.0.0.0/8\n    condition: selection\n";
    YES(d, "DestinationIp", "10.1.2.3");
    YES(d, "DestinationIp", "::ffff:10.1.2.3");
    NO(d, "DestinationIp", "11.1.2.3");
    NO(d, "DestinationIp", "fe80::1");
    NO(d, "DestinationIp", "not an ip");
    d = "    selection:\n        DestinationIp|cidr:\n            - 192.168.0.0/16\n            - 'fe80::/10'\n"
        "    condition: selection\n";
    YES(d, "DestinationIp", "192.168.55.1");
    YES(d, "DestinationIp", "fe80::1234:5678");
    YES(d, "DestinationIp", "[fe80::1%12]");
    NO(d, "DestinationIp", "2001:db8::1");
    d = "    selection:\n        DestinationIp|cidr: '2001:db8::/33'\n    condition: selection\n";
    YES(d, "DestinationIp", "2001:db8:7fff::1");
    NO(d, "DestinationIp", "2001:db8:8000::1");
    /* fieldref: TargetFilename equals Image (a process deleting its own image) */
    d = "    selection:\n        TargetFilename|fieldref: Image\n    condition: selection\n";
    YES(d, "TargetFilename", "C:\\x\\a.exe", "Image", "c:\\X\\A.EXE");
    NO(d, "TargetFilename", "C:\\x\\a.exe", "Image", "C:\\x\\b.exe");
    NO(d, "TargetFilename", "C:\\x\\a.exe");
    d = "    selection:\n        User|fieldref|neq: ParentUser\n    condition: selection\n";
    YES(d, "User", "a", "ParentUser", "b");
    NO(d, "User", "a", "ParentUser", "A");
    d = "    selection:\n        CommandLine|fieldref|startswith: Image\n    condition: selection\n";
    YES(d, "CommandLine", "C:\\a.exe /x", "Image", "C:\\a.exe");
    NO(d, "CommandLine", "x C:\\a.exe", "Image", "C:\\a.exe");
    /* neq */
    d = "    selection:\n        User|neq: SYSTEM\n    condition: selection\n";
    YES(d, "User", "bob");
    NO(d, "User", "system");
    /* time parts */
    d = "    selection:\n        UtcTime|hour|gte: 22\n    condition: selection\n";
    YES(d, "UtcTime", "2019-03-02 23:51:00.008");
    NO(d, "UtcTime", "2019-03-02 08:51:00.008");
    d = "    selection:\n        UtcTime|month: 3\n    condition: selection\n";
    YES(d, "UtcTime", "2019-03-02T08:51:00Z");
    NO(d, "UtcTime", "2019-04-02T08:51:00Z");
    d = "    selection:\n        UtcTime|week: 1\n    condition: selection\n";
    YES(d, "UtcTime", "2024-01-01 00:00:00"); /* a Monday: ISO week 1 */
    YES(d, "UtcTime", "2019-12-30 00:00:00"); /* ISO week 1 of 2020 */
    NO(d, "UtcTime", "2021-01-03 00:00:00");  /* week 53 of 2020 */
}

static void test_conditions(void)
{
    const char *sels = "    a:\n        A: 1\n    b:\n        B: 1\n    c:\n        C: 1\n    _d:\n        D: 1\n";
    char d[1024];
    /* not > and > or */
    snprintf(d, sizeof d, "%s    condition: a or b and c\n", sels);
    YES(d, "A", "1");
    NO(d, "B", "1");
    YES(d, "B", "1", "C", "1");
    snprintf(d, sizeof d, "%s    condition: (a or b) and c\n", sels);
    NO(d, "A", "1");
    YES(d, "A", "1", "C", "1");
    snprintf(d, sizeof d, "%s    condition: not a and b\n", sels);
    YES(d, "B", "1");
    NO(d, "A", "1", "B", "1");
    snprintf(d, sizeof d, "%s    condition: not (a and b)\n", sels);
    YES(d, "A", "1");
    NO(d, "A", "1", "B", "1");
    snprintf(d, sizeof d, "%s    condition: a and not b or c\n", sels);
    YES(d, "A", "1");
    YES(d, "C", "1", "B", "1");
    NO(d, "A", "1", "B", "1");
    snprintf(d, sizeof d, "%s    condition: not not a\n", sels);
    YES(d, "A", "1");
    /* 1 of, all of: them excludes _d */
    snprintf(d, sizeof d, "%s    condition: 1 of them\n", sels);
    YES(d, "C", "1");
    NO(d, "D", "1");
    snprintf(d, sizeof d, "%s    condition: all of them\n", sels);
    YES(d, "A", "1", "B", "1", "C", "1");
    NO(d, "A", "1", "B", "1", "D", "1");
    const char *sels2 = "    selection_x:\n        A: 1\n    selection_y:\n        B: 1\n    filter_1:\n        C: 1\n"
                        "    filter_2:\n        D: 1\n    keywords:\n        - kw\n";
    snprintf(d, sizeof d, "%s    condition: 1 of selection* and not 1 of filter*\n", sels2);
    YES(d, "B", "1");
    NO(d, "B", "1", "D", "1");
    NO(d, "C", "1");
    snprintf(d, sizeof d, "%s    condition: all of selection*\n", sels2);
    YES(d, "A", "1", "B", "1");
    NO(d, "A", "1");
    snprintf(d, sizeof d, "%s    condition: 1 of selection* and keywords\n", sels2);
    YES(d, "A", "1", "X", "a kw b");
    NO(d, "A", "1");
    {
        /* `?` is plain in a selection pattern: this one names no selection */
        char t[1024];
        tm_sigma_report rep;
        snprintf(t, sizeof t, "%s%s    condition: all of *_?\n", rule_head, sels2);
        tm_sigma_set *s = load(t, &rep);
        CHECK(rep.errors == 1 && rep.log && strstr(rep.log, "no selection matches '*_?'"));
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
    snprintf(d, sizeof d, "%s    condition: all of filter_*\n", sels2);
    YES(d, "C", "1", "D", "1");
    /* a list of conditions: OR */
    snprintf(d, sizeof d, "%s    condition:\n        - a and b\n        - c\n", sels);
    YES(d, "C", "1");
    YES(d, "A", "1", "B", "1");
    NO(d, "A", "1");
    /* selection names with dots and dashes; keywords in upper case */
    snprintf(d, sizeof d, "    sel.one-x:\n        A: 1\n    sel2:\n        B: 1\n    condition: sel.one-x AND NOT sel2\n");
    YES(d, "A", "1");
    NO(d, "A", "1", "B", "1");
    /* errors: unknown selection, bad syntax, deep nesting */
    tm_sigma_report rep;
    tm_sigma_set *s = load("title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
                           "    selection:\n        A: 1\n    condition: selection and filter\n",
                           &rep);
    CHECK(rep.errors == 1 && tm_sigma_count(s) == 0);
    CHECK(rep.log && strstr(rep.log, "t.yml:8: condition names unknown selection 'filter'"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    const char *bad[] = {"selection and", "(selection", "selection)", "and selection", "1 of", "", "selection selection",
                         "not", "1 of nothing*"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char t[512];
        snprintf(t, sizeof t,
                 "title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
                 "    selection:\n        A: 1\n    condition: '%s'\n",
                 bad[i]);
        s = load(t, &rep);
        CHECK(rep.errors == 1 && tm_sigma_count(s) == 0);
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
    char *deep = malloc(100000);
    size_t k = (size_t)snprintf(deep, 1000, "title: t\nlogsource:\n    product: windows\ndetection:\n"
                                            "    selection:\n        A: 1\n    condition: ");
    for (int i = 0; i < 5000; i++)
        deep[k++] = '(';
    memcpy(deep + k, "selection", 9);
    k += 9;
    for (int i = 0; i < 5000; i++)
        deep[k++] = ')';
    deep[k++] = '\n';
    deep[k] = '\0';
    s = load(deep, &rep);
    CHECK(rep.errors == 1 && rep.log && strstr(rep.log, "deeper than"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    /* long and/or chains are flat, not deep */
    k = (size_t)snprintf(deep, 1000, "title: t\nlogsource:\n    product: windows\ndetection:\n"
                                     "    selection:\n        A: 1\n    condition: selection");
    for (int i = 0; i < 5000; i++) {
        memcpy(deep + k, " and selection", 14);
        k += 14;
    }
    deep[k++] = '\n';
    deep[k] = '\0';
    s = load(deep, &rep);
    CHECK(rep.errors == 0 && tm_sigma_count(s) == 1);
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    free(deep);
}

static void test_skips_errors(void)
{
    tm_sigma_report rep;
    /* three documents: a rule, a correlation, a filter; then a collection */
    const char *text = "title: base\nname: base\nlogsource:\n    product: windows\n    service: security\n"
                       "detection:\n    selection:\n        EventID: 4625\n    condition: selection\n"
                       "---\n"
                       "title: Many failed logins\ncorrelation:\n    type: event_count\n    rules:\n        - base\n"
                       "    group-by:\n        - ComputerName\n    timespan: 1h\n    condition:\n        gte: 100\n"
                       "---\n"
                       "title: Filter admin\nlogsource:\n    category: process_creation\n    product: windows\n"
                       "filter:\n    rules:\n        - x\n    selection:\n        User|startswith: 'adm_'\n"
                       "    condition: selection\n"
                       "---\n"
                       "action: global\ntitle: g\n"
                       "---\n";
    tm_sigma_set *s = load(text, &rep);
    CHECK(tm_sigma_count(s) == 1 && rep.loaded == 1);
    CHECK(rep.skipped[TM_SIGMA_SKIP_CORRELATION] == 1);
    CHECK(rep.skipped[TM_SIGMA_SKIP_FILTER] == 1);
    CHECK(rep.skipped[TM_SIGMA_SKIP_COLLECTION] == 1);
    CHECK(rep.errors == 0);
    CHECK(rep.log && strstr(rep.log, "t.yml:11: skipped (correlation rule)"));
    CHECK(rep.log && strstr(rep.log, "t.yml:22: skipped (filter)"));
    CHECK(rep.log && strstr(rep.log, "t.yml:33: skipped (rule collection)"));
    CHECK_STR(tm_sigma_at(s, 0)->title, "base");
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    /* log sources toolmark does not read */
    s = load("title: t\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n"
             "    selection:\n        Image: x\n    condition: selection\n"
             "---\ntitle: w\nlogsource:\n    category: webserver\ndetection:\n"
             "    selection:\n        cs-uri: x\n    condition: selection\n"
             "---\ntitle: f\nlogsource:\n    product: windows\n    category: file_access\ndetection:\n"
             "    selection:\n        FileName: x\n    condition: selection\n",
             &rep);
    CHECK(rep.skipped[TM_SIGMA_SKIP_LOGSOURCE] == 3 && tm_sigma_count(s) == 0 && rep.errors == 0);
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    /* unknown modifier */
    s = load("title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
             "    selection:\n        Image|frobnicate: x\n    condition: selection\n",
             &rep);
    CHECK(rep.skipped[TM_SIGMA_SKIP_MODIFIER] == 1 && tm_sigma_count(s) == 0);
    CHECK(rep.log && strstr(rep.log, "t.yml:7: skipped (unknown modifier): unknown modifier 'frobnicate' [t]"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    /* expand: without a value skipped; with values expanded (after contains) */
    const char *ex = "title: t\nlogsource:\n    product: windows\n    service: security\ndetection:\n"
                     "    selection:\n        Attributes|contains|expand: '%known_cdcs%'\n"
                     "    filter:\n        Workstation|expand: '\\%plain%Workstations%'\n"
                     "    condition: selection or filter\n";
    s = load(ex, &rep);
    CHECK(rep.skipped[TM_SIGMA_SKIP_PLACEHOLDER] == 1 && tm_sigma_count(s) == 0);
    CHECK(rep.log && strstr(rep.log, "placeholder %known_cdcs% has no value"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    s = tm_sigma_set_new();
    const char *dcs[] = {"dc01", "dc02*.corp"};
    const char *ws[] = {"ws1", "ws2"};
    tm_sigma_set_placeholder(s, "known_cdcs", dcs, 2);
    tm_sigma_set_placeholder(s, "Workstations", ws, 2);
    memset(&rep, 0, sizeof rep);
    tm_sigma_load_text(s, "t.yml", ex, strlen(ex), &rep);
    CHECK(tm_sigma_count(s) == 1);
    if (tm_sigma_count(s) == 1) {
        const tm_sigma_rule *r = tm_sigma_at(s, 0);
        struct {
            const char *k, *v;
            bool want;
        } cases[] = {{"Attributes", "x DC01 y", true},       {"Attributes", "dc02.b.corp", true},
                     {"Attributes", "dc03", false},          {"Workstation", "%plainws2", true},
                     {"Workstation", "ws2", false},          {"Attributes", "%known_cdcs%", false}};
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            const char *kv[] = {cases[i].k, cases[i].v};
            tev e = {"Security", 4662, kv, 1};
            tm_sigma_event ev = {tget, teach, &e};
            CHECK(tm_sigma_match(r, &ev) == cases[i].want);
        }
    }
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    /* errors with their lines */
    s = load("title: t\nlogsource:\n    product: windows\n  bad: [\n", &rep);
    CHECK(rep.errors == 1 && rep.log && strstr(rep.log, "t.yml:4: invalid YAML"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    s = load("title: ok\nlogsource:\n    product: windows\n    service: system\ndetection:\n"
             "    selection:\n        EventID: 7045\n    condition: selection\n"
             "---\ntitle: no detection\nlogsource:\n    product: windows\n"
             "---\ntitle: no condition\nlogsource:\n    product: windows\ndetection:\n    selection:\n        A: 1\n"
             "---\n- a list\n"
             "---\ntitle: bad\nlogsource:\n    product: windows\ndetection:\n    selection:\n        A: 1\n"
             "    condition: selection\n  oops: {\n",
             &rep);
    CHECK(tm_sigma_count(s) == 1);
    CHECK(rep.errors == 4);
    CHECK(rep.log && strstr(rep.log, "t.yml:10: rule has no detection"));
    CHECK(rep.log && strstr(rep.log, "t.yml:18: detection has no condition"));
    CHECK(rep.log && strstr(rep.log, "t.yml:21: a Sigma document must be a map"));
    CHECK(rep.log && strstr(rep.log, "t.yml:30: invalid YAML"));
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    /* deep YAML, aliases, odd values: errors, not crashes */
    char *deep = malloc(20000);
    size_t k = (size_t)snprintf(deep, 100, "title: t\nlogsource: {product: windows}\ndetection: ");
    for (int i = 0; i < 5000; i++)
        deep[k++] = '[';
    deep[k] = '\0';
    s = load(deep, &rep);
    CHECK(rep.errors == 1 && tm_sigma_count(s) == 0);
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
    free(deep);
    const char *odd[] = {
        "title: t\nlogsource: {product: windows}\ndetection: &a {sel: {A: 1}, condition: sel}\nx: *a\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A: [[1]]}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A|exists: maybe}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A|lt: abc}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A|cidr: 10.0.0.0/99}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A|re|cidr: x}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A|i: x}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {}, condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: [], condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {condition: sel}\n",
        "title: t\nlogsource: {product: windows}\ndetection: [1]\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {A: 1}, condition: {x: 1}}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {sel: {[1]: 1}, condition: sel}\n",
        "title: [t]\nlogsource: {product: windows}\ndetection: {sel: {A: 1}, condition: sel}\n",
        "logsource: {product: windows}\ndetection: {sel: {A: 1}, condition: sel}\n",
        "title: t\nlogsource: windows\ndetection: {sel: {A: 1}, condition: sel}\n",
        "\xff\xfe\x41",
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        s = load(odd[i], &rep);
        if (!(rep.errors == 1 && tm_sigma_count(s) == 0))
            fprintf(stderr, "odd case %zu: errors %zu loaded %zu\n%s", i, rep.errors, tm_sigma_count(s),
                    rep.log ? rep.log : "");
        CHECK(rep.errors == 1 && tm_sigma_count(s) == 0);
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
    /* an empty text, an empty document, comments only: nothing, no error */
    const char *empty[] = {"", "---\n", "# c\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        s = load(empty[i], &rep);
        CHECK(rep.errors == 0 && tm_sigma_count(s) == 0);
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
}

static void test_metadata(void)
{
    tm_sigma_report rep;
    tm_sigma_set *s = load("# comment\n"
                           "title: Whoami Execution\nid: 929a690e-bef0-4204-a928-ef5e620d6fcc\nstatus: test\n"
                           "description: Detects a whoami.exe execution\nauthor: Florian Roth\n"
                           "logsource:\n    category: Process_Creation\n    product: Windows\n"
                           "detection:\n    selection:\n        Image: 'C:\\Windows\\System32\\whoami.exe'\n"
                           "    condition: selection\nlevel: high\ntags:\n    - attack.discovery\n    - attack.t1033\n"
                           "toolmark:\n    tool: whoami\n    activity: discovery\n    cite:\n        - Image\n"
                           "        - CommandLine\n",
                           &rep);
    CHECK(tm_sigma_count(s) == 1);
    const tm_sigma_rule *r = tm_sigma_at(s, 0);
    if (r) {
        CHECK_STR(r->title, "Whoami Execution");
        CHECK_STR(r->id, "929a690e-bef0-4204-a928-ef5e620d6fcc");
        CHECK_STR(r->status, "test");
        CHECK_STR(r->author, "Florian Roth");
        CHECK_STR(r->file, "t.yml");
        CHECK(r->line == 2);
        CHECK(r->level == TM_SIGMA_HIGH);
        CHECK(r->ntags == 2 && !strcmp(r->tags[1], "attack.t1033"));
        CHECK_STR(r->product, "windows");
        CHECK_STR(r->category, "process_creation");
        CHECK(r->service == NULL);
        CHECK(r->next == 3);
        if (r->next == 3) {
            CHECK_STR(r->ext[0].key, "tool");
            CHECK_STR(r->ext[0].value, "whoami");
            CHECK_STR(r->ext[2].key, "cite");
            CHECK_STR(r->ext[2].value, "Image, CommandLine");
        }
    }
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
}

static bool has_rule(const tm_sigma_rule *const *c, size_t n, const char *title)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i]->title, title))
            return true;
    return false;
}

static bool has_source(const tm_sigma_source *src, size_t n, const char *ch, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(src[i].channel, ch) && src[i].event_id == id)
            return true;
    return false;
}

static void test_logsources(void)
{
    tm_sigma_report rep;
    tm_sigma_set *s = load(
        "title: proc\nlogsource: {product: windows, category: process_creation}\n"
        "detection: {sel: {Image|endswith: '\\whoami.exe', User|contains: 'adm'}, condition: sel}\n"
        "---\ntitle: logon\nlogsource: {product: windows, service: security}\n"
        "detection: {sel: {EventID: [4624, 4625], LogonType: 3}, condition: sel}\n"
        "---\ntitle: any security\nlogsource: {product: windows, service: security}\n"
        "detection: {sel: {SubjectUserName: 'x'}, condition: sel}\n"
        "---\ntitle: svc\nlogsource: {product: windows, service: system}\n"
        "detection: {sel: {EventID: 7045}, filter: {EventID: 7036}, condition: sel and not filter}\n"
        "---\ntitle: reg\nlogsource: {product: windows, category: registry_event}\n"
        "detection: {sel: {TargetObject|contains: Run}, condition: sel}\n"
        "---\ntitle: regset\nlogsource: {product: windows, category: registry_set}\n"
        "detection: {sel: {TargetObject|contains: Run}, condition: sel}\n"
        "---\ntitle: ps\nlogsource: {product: windows, category: ps_script}\n"
        "detection: {sel: {ScriptBlockText|contains: Mimikatz}, condition: sel}\n"
        "---\ntitle: psc\nlogsource: {product: windows, category: ps_classic_start}\n"
        "detection: {sel: {Data|contains: 'HostName=ConsoleHost'}, condition: sel}\n"
        "---\ntitle: everything\nlogsource: {product: windows}\n"
        "detection: {keywords: [mimikatz], condition: keywords}\n"
        "---\ntitle: sysmon1 only\nlogsource: {product: windows, category: process_creation}\n"
        "detection: {sel: {EventID: 1, Image: x}, condition: sel}\n"
        "---\ntitle: sysmon service\nlogsource: {product: windows, service: sysmon}\n"
        "detection: {sel: {EventID: 16}, condition: sel}\n"
        "---\ntitle: of ids\nlogsource: {product: windows, service: security}\n"
        "detection: {a: {EventID: 4697}, b: {EventID: 4698}, condition: 1 of them}\n"
        "---\ntitle: applocker\nlogsource: {product: windows, service: applocker}\n"
        "detection: {sel: {EventID: 8004}, condition: sel}\n",
        &rep);
    CHECK(rep.loaded == 13 && rep.errors == 0);
    tm_sigma_set_index(s);
    size_t n;
    const tm_sigma_source *src = tm_sigma_sources(s, &n);
    CHECK(has_source(src, n, SYSMON, 1));
    CHECK(has_source(src, n, "Security", 4688));
    CHECK(has_source(src, n, "Security", 4624));
    CHECK(has_source(src, n, "Security", 4625));
    CHECK(has_source(src, n, "Security", 0));
    CHECK(has_source(src, n, "System", 7045));
    CHECK(!has_source(src, n, "System", 7036)); /* negated: not a source */
    CHECK(has_source(src, n, SYSMON, 12) && has_source(src, n, SYSMON, 13) && has_source(src, n, SYSMON, 14));
    CHECK(has_source(src, n, "Microsoft-Windows-PowerShell/Operational", 4104));
    CHECK(has_source(src, n, "PowerShellCore/Operational", 4104));
    CHECK(has_source(src, n, "Windows PowerShell", 400));
    CHECK(has_source(src, n, "*", 0));
    CHECK(has_source(src, n, SYSMON, 16));
    CHECK(has_source(src, n, "Security", 4697) && has_source(src, n, "Security", 4698));
    CHECK(has_source(src, n, "Microsoft-Windows-AppLocker/EXE and DLL", 8004));
    CHECK(has_source(src, n, "Microsoft-Windows-AppLocker/MSI and Script", 8004));

    const tm_sigma_rule *const *c = tm_sigma_candidates(s, SYSMON, 1, &n);
    CHECK(n == 3 && has_rule(c, n, "proc") && has_rule(c, n, "everything") && has_rule(c, n, "sysmon1 only"));
    c = tm_sigma_candidates(s, "security", 4688, &n); /* channel names ignore case */
    CHECK(n == 3 && has_rule(c, n, "proc") && has_rule(c, n, "any security") && has_rule(c, n, "everything"));
    c = tm_sigma_candidates(s, "Security", 4624, &n);
    CHECK(n == 3 && has_rule(c, n, "logon") && has_rule(c, n, "any security") && has_rule(c, n, "everything"));
    c = tm_sigma_candidates(s, "Security", 1102, &n);
    CHECK(n == 2 && has_rule(c, n, "any security") && has_rule(c, n, "everything"));
    c = tm_sigma_candidates(s, SYSMON, 13, &n);
    CHECK(n == 3 && has_rule(c, n, "reg") && has_rule(c, n, "regset"));
    c = tm_sigma_candidates(s, SYSMON, 12, &n);
    CHECK(n == 2 && has_rule(c, n, "reg") && !has_rule(c, n, "regset"));
    c = tm_sigma_candidates(s, SYSMON, 3, &n);
    CHECK(n == 1 && has_rule(c, n, "everything"));
    c = tm_sigma_candidates(s, "Some-Other/Operational", 5, &n);
    CHECK(n == 1 && has_rule(c, n, "everything"));
    c = tm_sigma_candidates(s, "System", 7036, &n);
    CHECK(n == 1);
    c = tm_sigma_candidates(s, "Windows PowerShell", 400, &n);
    CHECK(n == 2 && has_rule(c, n, "psc"));
    /* load order kept */
    c = tm_sigma_candidates(s, "Security", 4624, &n);
    CHECK(n == 3 && !strcmp(c[0]->title, "logon") && !strcmp(c[2]->title, "everything"));

    /* Sysmon 1 and Security 4688 */
    CHECK_STR(tm_sigma_field_name("Security", 4688, "NewProcessName"), "Image");
    CHECK_STR(tm_sigma_field_name("Security", 4688, "ParentProcessName"), "ParentImage");
    CHECK_STR(tm_sigma_field_name("Security", 4688, "CommandLine"), "CommandLine");
    CHECK_STR(tm_sigma_field_name("Security", 4688, "SubjectUserName"), "User");
    CHECK_STR(tm_sigma_field_name("Security", 4688, "NewProcessId"), "ProcessId");
    CHECK_STR(tm_sigma_field_name("Security", 4688, "ProcessId"), "ParentProcessId");
    CHECK_STR(tm_sigma_field_name("Security", 4688, "MandatoryLabel"), "IntegrityLevel");
    CHECK_STR(tm_sigma_field_name("Security", 4624, "SubjectUserName"), "SubjectUserName");
    CHECK_STR(tm_sigma_field_name(SYSMON, 1, "Image"), "Image");
    CHECK_STR(tm_sigma_record_field("Security", 4688, "Image"), "NewProcessName");
    CHECK_STR(tm_sigma_record_field("Security", 4688, "ParentProcessId"), "ProcessId");
    CHECK_STR(tm_sigma_record_field("Security", 4688, "ProcessId"), "NewProcessId");
    CHECK_STR(tm_sigma_record_field("Security", 4688, "OriginalFileName"), "OriginalFileName");
    CHECK_STR(tm_sigma_record_field(SYSMON, 1, "Image"), "Image");

    const tm_sigma_rule *proc = NULL;
    for (size_t i = 0; i < tm_sigma_count(s); i++)
        if (!strcmp(tm_sigma_at(s, i)->title, "proc"))
            proc = tm_sigma_at(s, i);
    CHECK(proc != NULL);
    if (proc) {
        const char *k4688[] = {"NewProcessName", "C:\\Windows\\System32\\whoami.exe", "SubjectUserName", "admin1",
                               "EventID", "4688"};
        tev e = {"Security", 4688, k4688, 3};
        tm_sigma_event ev = {tget, teach, &e};
        CHECK(tm_sigma_match(proc, &ev));
        const char *k1[] = {"Image", "C:\\Windows\\System32\\whoami.exe", "User", "CORP\\admin1", "EventID", "1"};
        tev e1 = {SYSMON, 1, k1, 3};
        ev.ctx = &e1;
        CHECK(tm_sigma_match(proc, &ev));
        /* a Sysmon event read with 4688 names does not match */
        tev e2 = {SYSMON, 1, k4688, 3};
        ev.ctx = &e2;
        CHECK(!tm_sigma_match(proc, &ev));
    }
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
}

/* matching from several threads at once (each has its own PCRE2 match
 * data, freed when the thread ends) */
static void *thread_fn(void *arg)
{
    const tm_sigma_rule *r = arg;
    const char *kv[] = {"CommandLine", "xxABBBC"};
    tev e = {SYSMON, 1, kv, 1};
    tm_sigma_event ev = {tget, teach, &e};
    size_t hits = 0;
    for (int i = 0; i < 20000; i++)
        hits += tm_sigma_match(r, &ev);
    return (void *)hits;
}

static void test_threads(void)
{
    tm_sigma_report rep;
    tm_sigma_set *s = load("title: t\nlogsource: {product: windows, category: process_creation}\n"
                           "detection: {sel: {CommandLine|re|i: 'ab+c$'}, condition: sel}\n",
                           &rep);
    CHECK(tm_sigma_count(s) == 1);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, thread_fn, (void *)tm_sigma_at(s, 0));
    for (int i = 0; i < 4; i++) {
        void *hits;
        pthread_join(th[i], &hits);
        CHECK((size_t)hits == 20000);
    }
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
}

/* ---- the literal pre-filter ---- */

/* The titles of the rules tm_sigma_scan hits, "|"-joined, in order. */
typedef struct {
    char s[1024];
} titles;

static void add_title(void *arg, const tm_sigma_rule *r)
{
    titles *t = arg;
    size_t n = strlen(t->s);
    snprintf(t->s + n, sizeof t->s - n, "%s%s", n ? "|" : "", r->title);
}

/* Scans a Sysmon 1 event with the pre-filter on and off: the hits must be
 * the same; returns them, *tested_on and *tested_off set. */
static const char *scan_both(tm_sigma_set *s, const char *const *kv, size_t n, size_t *tested_on,
                             size_t *tested_off)
{
    static titles on;
    titles off = {{0}};
    on.s[0] = '\0';
    tev e = {SYSMON, 1, kv, n};
    tm_sigma_event ev = {tget, teach, &e};
    tm_sigma_set_prefilter(s, false);
    *tested_off = tm_sigma_scan(s, SYSMON, 1, TM_SIGMA_INFORMATIONAL, &ev, add_title, &off);
    tm_sigma_set_prefilter(s, true);
    *tested_on = tm_sigma_scan(s, SYSMON, 1, TM_SIGMA_INFORMATIONAL, &ev, add_title, &on);
    if (strcmp(on.s, off.s) != 0) {
        fprintf(stderr, "pre-filter changed the hits: '%s' with, '%s' without\n", on.s, off.s);
        check_failures++;
    }
    return on.s;
}

#define PC "logsource: {product: windows, category: process_creation}\n"
static void test_prefilter(void)
{
    tm_sigma_report rep;
    tm_sigma_set *s = load(
        "title: whoami\n" PC "detection: {sel: {Image|endswith: '\\whoami.exe'}, condition: sel}\n"
        "---\ntitle: cased\n" PC "detection: {sel: {CommandLine|cased|contains: SeDebug}, condition: sel}\n"
        "---\ntitle: net\n" PC
        "detection: {sel: {Image|endswith: '\\net.exe'}, f: {CommandLine|contains: view}, condition: sel and not f}\n"
        "---\ntitle: not calc\n" PC "detection: {sel: {Image|contains: calc}, condition: not sel}\n"
        "---\ntitle: keyword\n" PC "detection: {kw: [mimikatz, 'sekurlsa::'], condition: kw}\n"
        "---\ntitle: one of\n" PC
        "detection: {sel_a: {CommandLine|contains: ' -enc '}, sel_b: {CommandLine|windash|contains: ' -nop '},"
        " condition: 1 of sel_*}\n"
        "---\ntitle: regex\n" PC "detection: {sel: {CommandLine|re: 'a+b'}, condition: sel}\n"
        "---\ntitle: all values\n" PC "detection: {sel: {CommandLine|contains|all: [foo, barbaz]}, condition: sel}\n"
        "---\ntitle: base64\n" PC "detection: {sel: {CommandLine|base64offset|contains: 'http://'}, condition: sel}\n"
        "---\ntitle: wildcards\n" PC "detection: {sel: {CommandLine: '*invoke-?xpression*'}, condition: sel}\n"
        "---\ntitle: all of\n" PC
        "detection: {sel_i: {Image|endswith: '\\rundll32.exe'}, sel_c: {CommandLine|contains: comsvcs},"
        " condition: all of sel_*}\n"
        "---\ntitle: fieldref\n" PC "detection: {sel: {ParentImage|fieldref: Image}, condition: sel}\n"
        "---\ntitle: null field\n" PC "detection: {sel: {Image|endswith: 'calc.exe', ParentImage: null}, condition: sel}\n"
        "---\ntitle: neq\n" PC "detection: {sel: {Image|neq: x}, condition: sel}\n"
        "---\ntitle: long\n" PC
        "detection: {sel: {CommandLine|contains: 'C:\\Windows\\System32\\spool\\drivers\\color\\'}, condition: sel}\n",
        &rep);
    CHECK(rep.loaded == 15 && rep.errors == 0);
    if (rep.errors)
        fprintf(stderr, "%s", rep.log);
    tm_sigma_set_index(s);
    size_t on, off;
    /* nothing any literal rule needs: only the four that need no literal
     * (not calc, regex, fieldref, neq) are tested */
    CHECK_STR(scan_both(s, KV("Image", "C:\\x\\y.exe", "CommandLine", "zzz", "ParentImage", "C:\\x\\p.exe"), 3, &on,
                        &off),
              "not calc|neq");
    CHECK(off == 15 && on == 4);
    /* case: the automaton folds, the rule decides */
    CHECK_STR(scan_both(s, KV("Image", "C:\\WINDOWS\\SYSTEM32\\WHOAMI.EXE", "CommandLine", "whoami /priv"), 2, &on, &off),
              "whoami|not calc|neq");
    CHECK(on == 5);
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\cmd.exe", "CommandLine", "echo SeDebug"), 2, &on, &off),
              "cased|not calc|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\cmd.exe", "CommandLine", "echo sedebug"), 2, &on, &off), "not calc|neq");
    CHECK(on == 5); /* cased tested (its literal occurs folded), no hit */
    /* a filter's literal does not make the rule needed; its selection's does */
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\net.exe", "CommandLine", "net view"), 2, &on, &off), "not calc|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\net.exe", "CommandLine", "net user"), 2, &on, &off), "net|not calc|neq");
    /* keywords in any value, in another case */
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\a.exe", "Description", "MimiKatz"), 2, &on, &off),
              "not calc|keyword|neq");
    /* windash: an em dash where the rule wrote '-' */
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "powershell \xe2\x80\x94nop -w hidden"), 2, &on,
                        &off),
              "not calc|one of|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "powershell -enc AAAA"), 2, &on, &off),
              "not calc|one of|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "x barbaz y foo"), 2, &on, &off),
              "not calc|all values|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "x barbaz y"), 2, &on, &off), "not calc|neq");
    /* base64 of "xhttp://" and of "http://" at offset 0 */
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "-e eGh0dHA6Ly8="), 2, &on, &off),
              "not calc|base64|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "-e aHR0cDovLw=="), 2, &on, &off),
              "not calc|base64|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "Invoke-Expression $x"), 2, &on, &off),
              "not calc|wildcards|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\rundll32.exe", "CommandLine", "rundll32 comsvcs.dll MiniDump"), 2, &on,
                        &off),
              "not calc|all of|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\rundll32.exe", "CommandLine", "rundll32 x.dll"), 2, &on, &off),
              "not calc|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "ParentImage", "C:\\W\\P.EXE"), 2, &on, &off),
              "not calc|fieldref|neq");
    CHECK_STR(scan_both(s, KV("Image", "C:\\calc.exe", "CommandLine", "calc"), 2, &on, &off), "null field|neq");
    /* a literal longer than the automaton keeps: its tail is looked for */
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "copy C:\\windows\\system32\\spool\\drivers\\color\\x"),
                        2, &on, &off),
              "not calc|neq|long");
    CHECK_STR(scan_both(s, KV("Image", "C:\\w\\p.exe", "CommandLine", "copy D:\\system32\\spool\\drivers\\color\\x"), 2,
                        &on, &off),
              "not calc|neq");
    CHECK(on == 5); /* the tail occurs: tested, no hit */
    /* an event no rule has for its source, a thread's first: nothing tested
     * (an empty list, no bitmap yet) */
    tm_sigma_thread_cleanup();
    {
        tev e = {"System", 7045, KV("ServiceName", "whoami.exe"), 1};
        tm_sigma_event ev = {tget, teach, &e};
        titles t = {{0}};
        CHECK(tm_sigma_scan(s, "System", 7045, TM_SIGMA_INFORMATIONAL, &ev, add_title, &t) == 0 && !t.s[0]);
    }
    /* --min-level: rules below it are neither tested nor hit */
    {
        tev e = {SYSMON, 1, KV("Image", "C:\\w\\whoami.exe"), 1};
        tm_sigma_event ev = {tget, teach, &e};
        titles t = {{0}};
        CHECK(tm_sigma_scan(s, SYSMON, 1, TM_SIGMA_HIGH, &ev, add_title, &t) == 0 && !t.s[0]);
    }
    tm_sigma_report_free(&rep);
    tm_sigma_set_free(s);
}

/* Edge inputs (empty encoded values, a lone dash, a keyword regular
 * expression, astral UTF-8 in utf16): loaded or refused, never a crash */
static void test_fuzz_regressions(void)
{
    static const char *inputs[] = {
        "title: t\nlogsource: {product: windows}\ndetection: {s: {A|base64offset|contains: ''}, condition: s}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {s: {A|wide|base64: ''}, condition: s}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {s: {A|windash: '-'}, condition: s}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {s: {A|windash|contains: '-a'}, condition: 0 of s}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {s: {'|re': 'a'}, condition: s}\n",
        "title: t\nlogsource: {product: windows}\ndetection: {s: {A|utf16: \"\\xff\\u20ac\\U0001F600\"}, condition: s}\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        tm_sigma_report rep;
        tm_sigma_set *s = load(inputs[i], &rep);
        const char *kv[] = {"A", "-a \xe2\x80", "B", ""};
        tev e = {SYSMON, 1, kv, 2};
        tm_sigma_event ev = {tget, teach, &e};
        for (size_t k = 0; k < tm_sigma_count(s); k++)
            (void)tm_sigma_match(tm_sigma_at(s, k), &ev);
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
}

/* ---- SigmaHQ and the specification's schema tests ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void print_report(const char *what, const tm_sigma_report *rep)
{
    printf("%s: loaded %zu, errors %zu, skipped:", what, rep->loaded, rep->errors);
    for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++)
        printf(" %s %zu%s", tm_sigma_skip_name((tm_sigma_skip)k), rep->skipped[k],
               k + 1 < TM_SIGMA_SKIP_NKINDS ? "," : "\n");
}

/* Every skip line names one of the enum's reasons. */
static bool skip_lines_known(const tm_sigma_report *rep)
{
    const char *p = rep->log;
    size_t skips = 0, known = 0;
    while (p && (p = strstr(p, "skipped ("))) {
        skips++;
        for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++) {
            const char *nm = tm_sigma_skip_name((tm_sigma_skip)k);
            if (!strncmp(p + 9, nm, strlen(nm)) && p[9 + strlen(nm)] == ')')
                known++;
        }
        p++;
    }
    size_t total = 0;
    for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++)
        total += rep->skipped[k];
    return skips == known && skips == total;
}

/* ---- events made from the rules themselves: for a selection's
 * alternative, each field test's value written out (wildcards filled,
 * `?` a letter, a windash a dash), on top of a process start's usual
 * fields for process_creation; as written or upper-cased ---- */

typedef struct {
    const char *channel;
    uint32_t id;
    char *kv[2 * 64];
    size_t n;
} gen_event;

static void gen_put(gen_event *g, const char *name, const char *value, bool append)
{
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->kv[2 * i], name)) {
            if (!append) {
                free(g->kv[2 * i + 1]);
                g->kv[2 * i + 1] = strdup(value);
                return;
            }
            size_t a = strlen(g->kv[2 * i + 1]), b = strlen(value);
            char *v = malloc(a + b + 2);
            memcpy(v, g->kv[2 * i + 1], a);
            v[a] = ' ';
            memcpy(v + a + 1, value, b + 1);
            free(g->kv[2 * i + 1]);
            g->kv[2 * i + 1] = v;
            return;
        }
    if (g->n == 64)
        return;
    g->kv[2 * g->n] = strdup(name);
    g->kv[2 * g->n + 1] = strdup(value);
    g->n++;
}

static void gen_free(gen_event *g)
{
    for (size_t i = 0; i < 2 * g->n; i++)
        free(g->kv[i]);
    g->n = 0;
}

static void render_glob(const tm_glob *g, bool upper, char *out, size_t cap)
{
    size_t k = 0;
#define OUT(c)                                                                                                         \
    do {                                                                                                               \
        if (k + 1 < cap)                                                                                               \
            out[k++] = (char)(c);                                                                                      \
    } while (0)
    if (g->lead_star) {
        OUT('x');
        OUT(' ');
    }
    for (uint32_t i = 0; i < g->nseg; i++) {
        if (i)
            OUT(' ');
        for (uint32_t j = 0; j < g->segs[i].n; j++) {
            uint16_t t = g->segs[i].t[j];
            if (t == 0) /* a NUL of a UTF-16 pattern: a value cannot hold it */
                OUT('.');
            else if (t < 256)
                OUT(upper && t >= 'a' && t <= 'z' ? t - 32 : t);
            else
                OUT(t == TM_TOK_DASH ? '/' : 'a');
        }
    }
    if (g->trail_star) {
        OUT(' ');
        OUT('y');
    }
#undef OUT
    out[k] = '\0';
}

/* The record's name of a Sigma field in this event (4688's own names). */
static const char *rec_name(const gen_event *g, const char *sigma)
{
    return tm_sigma_record_field(g->channel, g->id, sigma);
}

static void gen_alt(gen_event *g, const tm_salt *al, bool upper)
{
    char v[512];
    for (size_t i = 0; i < al->n; i++) {
        const tm_stest *t = &al->tests[i];
        const char *name = t->field ? rec_name(g, t->field) : "Keyword";
        if (t->neq)
            continue;
        switch (t->kind) {
        case TM_TK_GLOB:
            for (size_t k = 0; k < t->nv && k < (t->all ? t->nv : 1); k++) {
                render_glob(&t->v[k].g, upper, v, sizeof v);
                gen_put(g, name, v, true);
            }
            break;
        case TM_TK_NUM:
            if (t->tp == TM_TP_NONE && t->nv) {
                double d = t->v[0].num + (t->cmp == TM_CMP_LT ? -1 : t->cmp == TM_CMP_GT ? 1 : 0);
                snprintf(v, sizeof v, "%.0f", d);
                gen_put(g, name, v, false);
            }
            break;
        case TM_TK_CIDR:
            if (t->nv && !t->v[0].v6) {
                snprintf(v, sizeof v, "%u.%u.%u.%u", t->v[0].addr[0], t->v[0].addr[1], t->v[0].addr[2],
                         t->v[0].addr[3]);
                gen_put(g, name, v, false);
            }
            break;
        case TM_TK_EXISTS:
            if (t->exists)
                gen_put(g, name, "x", false);
            break;
        case TM_TK_NULL: gen_put(g, name, "", false); break;
        default: break; /* re, fieldref: left to the usual fields */
        }
    }
}

/* The fields of a process start (Sysmon 1 names, written under the
 * event's own record names). */
static const char *const proc_fields[] = {
    "UtcTime", "2024-03-02 08:51:00.008", "ProcessGuid", "{c1b49677-43f4-5c7a-0000-0010d3dd8044}",
    "ProcessId", "1028", "Image", "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe",
    "FileVersion", "1.3.28.13", "Description", "Google Installer", "Product", "Google Update",
    "Company", "Google Inc.", "OriginalFileName", "GoogleUpdate.exe",
    "CommandLine", "\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /ua /installsource scheduler",
    "CurrentDirectory", "C:\\Windows\\system32\\", "User", "NT AUTHORITY\\SYSTEM",
    "LogonGuid", "{c1b49677-3fb9-5c09-0000-0020e7030000}", "LogonId", "0x3e7", "TerminalSessionId", "0",
    "IntegrityLevel", "System", "Hashes", "MD5=CCF1D1573F175299ADE01C07791A6541",
    "ParentProcessGuid", "{c1b49677-6b43-5c78-0000-00107fb77544}", "ParentProcessId", "1724",
    "ParentImage", "C:\\Windows\\System32\\taskeng.exe", "ParentCommandLine", "taskeng.exe {88F94E5C}",
    "ParentUser", "NT AUTHORITY\\SYSTEM"};

static void gen_base(gen_event *g, const char *channel, uint32_t id)
{
    g->channel = channel;
    g->id = id;
    char num[16];
    snprintf(num, sizeof num, "%u", id);
    gen_put(g, "EventID", num, false);
    gen_put(g, "Channel", channel, false);
    gen_put(g, "Provider_Name", "Microsoft-Windows-Test", false);
    gen_put(g, "Computer", "ws01.corp.local", false);
    if ((!strcmp(channel, SYSMON) && id == 1) || (!strcmp(channel, "Security") && id == 4688))
        for (size_t i = 0; i < sizeof proc_fields / sizeof *proc_fields; i += 2)
            gen_put(g, rec_name(g, proc_fields[i]), proc_fields[i + 1], false);
}

typedef struct {
    size_t *v, n, cap;
} idlist;

static void add_index(void *arg, const tm_sigma_rule *r)
{
    idlist *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = r->index;
}

typedef struct {
    size_t events, hits, own, tested_on, tested_off, differ;
} same_hits;

/* Scans g with the pre-filter off and on; counts a difference. */
static void compare_scan(tm_sigma_set *s, const gen_event *g, size_t own_index, same_hits *st)
{
    tev e = {g->channel, g->id, (const char *const *)g->kv, g->n};
    tm_sigma_event ev = {tget, teach, &e};
    idlist off = {0}, on = {0};
    tm_sigma_set_prefilter(s, false);
    st->tested_off += tm_sigma_scan(s, g->channel, g->id, TM_SIGMA_INFORMATIONAL, &ev, add_index, &off);
    tm_sigma_set_prefilter(s, true);
    st->tested_on += tm_sigma_scan(s, g->channel, g->id, TM_SIGMA_INFORMATIONAL, &ev, add_index, &on);
    st->events++;
    st->hits += off.n;
    for (size_t i = 0; i < off.n; i++)
        st->own += off.v[i] == own_index;
    if (on.n != off.n || (on.n && memcmp(on.v, off.v, on.n * sizeof *on.v) != 0)) {
        if (st->differ++ < 5) {
            fprintf(stderr, "pre-filter changed the hits of an event made from %s (%zu with, %zu without):\n",
                    tm_sigma_at(s, own_index)->file, on.n, off.n);
            for (size_t i = 0; i < g->n; i++)
                fprintf(stderr, "  %s=%s\n", g->kv[2 * i], g->kv[2 * i + 1]);
        }
    }
    free(off.v);
    free(on.v);
}

/* Every rule of s against events made from every rule (a few selections,
 * alternatives and log sources each, as written and upper-cased) and the
 * sample events: the hits with the pre-filter must be those without. */
static void prefilter_same_hits(tm_sigma_set *s)
{
    same_hits st = {0};
    for (size_t i = 0; i < tm_sigma_count(s); i++) {
        const tm_sigma_rule *r = tm_sigma_at(s, i);
        const tm_sigma_matcher *m = r->m;
        if (!m->nsrc)
            continue;
        /* process_creation rules alternate between Sysmon 1 and 4688 */
        const tm_sigma_source *src = &m->src[m->nsrc > 1 ? i % 2 : 0];
        const char *channel = strcmp(src->channel, TM_SIGMA_ANY_CHANNEL) ? src->channel : "Application";
        for (size_t si = 0; si < m->nsel && si < 3; si++)
            for (size_t ai = 0; ai < m->sels[si].nalt && ai < 2; ai++) {
                gen_event g = {0};
                uint32_t id = src->event_id;
                gen_base(&g, channel, id);
                gen_alt(&g, &m->sels[si].alts[ai], (si + ai + i) % 2 == 1);
                const char *eid = NULL;
                for (size_t k = 0; k < g.n; k++)
                    if (!strcmp(g.kv[2 * k], "EventID"))
                        eid = g.kv[2 * k + 1];
                if (!id && eid && strspn(eid, "0123456789") == strlen(eid) && strlen(eid) < 9)
                    g.id = (uint32_t)strtoul(eid, NULL, 10);
                compare_scan(s, &g, i, &st);
                gen_free(&g);
            }
    }
    printf("pre-filter: %zu events made from the rules, %zu hits (%zu of a rule on its own event); rules tested "
           "per event: %.1f with the pre-filter, %.1f without; %zu events with other hits\n",
           st.events, st.hits, st.own, (double)st.tested_on / (double)st.events,
           (double)st.tested_off / (double)st.events, st.differ);
    CHECK(st.differ == 0);
    CHECK(st.events > tm_sigma_count(s));
    CHECK(st.own > tm_sigma_count(s) / 2); /* the events are close enough to the rules to hit them */
    CHECK(st.tested_on * 10 < st.tested_off);
}

static int sigmahq(const char *shared)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/sigma/rules", shared);
    if (!is_dir(p)) {
        printf("SKIP: %s absent\n", p);
        return 77;
    }
    const char *trees[] = {"rules", "rules-emerging-threats", "rules-threat-hunting"};
    tm_sigma_set *all = tm_sigma_set_new();
    tm_sigma_report total = {0};
    double t0 = now();
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/sigma/%s", shared, trees[i]);
        tm_sigma_report rep = {0};
        CHECK(tm_sigma_load_path(all, p, &rep));
        print_report(trees[i], &rep);
        if (rep.errors)
            printf("%s", rep.log);
        CHECK(skip_lines_known(&rep));
        total.loaded += rep.loaded;
        total.errors += rep.errors;
        for (int k = 0; k < TM_SIGMA_SKIP_NKINDS; k++)
            total.skipped[k] += rep.skipped[k];
        tm_sigma_report_free(&rep);
    }
    double t1 = now();
    tm_sigma_set_index(all);
    double t2 = now();
    print_report("SigmaHQ total", &total);
    printf("load of all three trees: %.3f s (%.1f rules/s), index %.1f ms\n", t1 - t0,
           (double)total.loaded / (t1 - t0), (t2 - t1) * 1e3);
    CHECK(total.errors == 0);
    CHECK(total.loaded > 2500);
    size_t nsrc;
    tm_sigma_sources(all, &nsrc);
    printf("distinct (channel, event id) sources: %zu\n", nsrc);

    /* the Windows rules alone, timed */
    tm_sigma_set *win = tm_sigma_set_new();
    tm_sigma_report wrep = {0};
    t0 = now();
    snprintf(p, sizeof p, "%s/sigma/rules/windows", shared);
    tm_sigma_load_path(win, p, &wrep);
    snprintf(p, sizeof p, "%s/sigma/rules-threat-hunting/windows", shared);
    tm_sigma_load_path(win, p, &wrep);
    snprintf(p, sizeof p, "%s/sigma/rules-emerging-threats", shared);
    tm_sigma_load_path(win, p, &wrep);
    tm_sigma_set_index(win);
    t1 = now();
    print_report("SigmaHQ Windows rules (rules/windows, rules-threat-hunting/windows, rules-emerging-threats)", &wrep);
    printf("Windows rules load + index: %.3f s\n", t1 - t0);
    CHECK(wrep.errors == 0);
    tm_sigma_report_free(&wrep);

    /* matching: a Sysmon 1 event against its candidates */
    size_t nc;
    const tm_sigma_rule *const *c = tm_sigma_candidates(win, SYSMON, 1, &nc);
    const char *kv[] = {"EventID", "1",
                        "Channel", SYSMON,
                        "Provider_Name", "Microsoft-Windows-Sysmon",
                        "Computer", "ws01.corp.local",
                        "UtcTime", "2024-03-02 08:51:00.008",
                        "ProcessGuid", "{c1b49677-43f4-5c7a-0000-0010d3dd8044}",
                        "ProcessId", "1028",
                        "Image", "C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe",
                        "FileVersion", "1.3.28.13",
                        "Description", "Google Installer",
                        "Product", "Google Update",
                        "Company", "Google Inc.",
                        "OriginalFileName", "GoogleUpdate.exe",
                        "CommandLine", "\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /ua /installsource scheduler",
                        "CurrentDirectory", "C:\\Windows\\system32\\",
                        "User", "NT AUTHORITY\\SYSTEM",
                        "LogonGuid", "{c1b49677-3fb9-5c09-0000-0020e7030000}",
                        "LogonId", "0x3e7",
                        "TerminalSessionId", "0",
                        "IntegrityLevel", "System",
                        "Hashes", "MD5=CCF1D1573F175299ADE01C07791A6541,SHA256=68A15A34C2E28B9B521A240B948634617D72AD619E3950BC6DC769E60A0C3CF2,IMPHASH=E96A73C7BF33A464C510EDE582318BF2",
                        "ParentProcessGuid", "{c1b49677-6b43-5c78-0000-00107fb77544}",
                        "ParentProcessId", "1724",
                        "ParentImage", "C:\\Windows\\System32\\taskeng.exe",
                        "ParentCommandLine", "taskeng.exe {88F94E5C-5DC3-4606-AEFA-BDCA976D6113} S-1-5-18:NT AUTHORITY\\System:Service:",
                        "ParentUser", "NT AUTHORITY\\SYSTEM"};
    tev e = {SYSMON, 1, kv, sizeof kv / sizeof *kv / 2};
    tm_sigma_event ev = {tget, teach, &e};
    size_t hits[2] = {0, 0};
    for (int pf = 0; pf < 2; pf++) {
        tm_sigma_set_prefilter(win, pf == 1);
        size_t events = 0, tested = 0;
        idlist l = {0};
        t0 = now();
        do {
            for (int rep = 0; rep < 20; rep++) {
                l.n = 0;
                tested += tm_sigma_scan(win, SYSMON, 1, TM_SIGMA_INFORMATIONAL, &ev, add_index, &l);
                events++;
            }
            t1 = now();
        } while (t1 - t0 < 1.0);
        hits[pf] = l.n;
        free(l.v);
        double secs = t1 - t0;
        printf("match%s: %zu process_creation candidates for (Sysmon, 1), %.1f tested; %.0f events/s "
               "(%zu of the candidates match the sample event)\n",
               pf ? " with the pre-filter" : "", nc, (double)tested / (double)events, (double)events / secs, l.n);
    }
    CHECK(hits[0] == hits[1] && hits[0] >= 1);
    /* and a Security 4688 event, read through the field mapping */
    const char *k4688[] = {"EventID", "4688", "Channel", "Security", "NewProcessName", "C:\\Windows\\System32\\whoami.exe",
                           "CommandLine", "whoami /priv", "ParentProcessName", "C:\\Windows\\System32\\cmd.exe",
                           "SubjectUserName", "bob", "NewProcessId", "0x1234", "ProcessId", "0x999"};
    tev e4 = {"Security", 4688, k4688, sizeof k4688 / sizeof *k4688 / 2};
    ev.ctx = &e4;
    c = tm_sigma_candidates(win, "Security", 4688, &nc);
    size_t h4 = 0;
    for (size_t i = 0; i < nc; i++)
        if (tm_sigma_match(c[i], &ev)) {
            h4++;
            printf("  4688 'whoami /priv' matches: %s\n", c[i]->title);
        }
    CHECK(h4 >= 1);
    prefilter_same_hits(win);
    tm_sigma_set_free(win);
    tm_sigma_set_free(all);

    /* the specification's schema test files */
    const char *schema[][2] = {{"rules/rule_1.yml", "load"},
                               {"rules/rule_ecs.yml", "logsource"},
                               {"filter/filter_1.yml", "filter"},
                               {"filter/filter_ecs.yml", "filter"}};
    for (size_t i = 0; i < sizeof schema / sizeof *schema; i++) {
        snprintf(p, sizeof p, "%s/sigma/spec/tests/schema/%s", shared, schema[i][0]);
        tm_sigma_set *s = tm_sigma_set_new();
        tm_sigma_report rep = {0};
        CHECK(tm_sigma_load_path(s, p, &rep));
        printf("spec test %s: loaded %zu errors %zu%s%s", schema[i][0], rep.loaded, rep.errors, rep.log ? "\n  " : "\n",
               rep.log ? rep.log : "");
        if (!strcmp(schema[i][1], "load"))
            CHECK(rep.loaded == 1);
        else if (!strcmp(schema[i][1], "logsource"))
            CHECK(rep.skipped[TM_SIGMA_SKIP_LOGSOURCE] == 1);
        else
            CHECK(rep.skipped[TM_SIGMA_SKIP_FILTER] == 1);
        CHECK(rep.errors == 0);
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
    snprintf(p, sizeof p, "%s/sigma/spec/tests/schema/correlation", shared);
    {
        tm_sigma_set *s = tm_sigma_set_new();
        tm_sigma_report rep = {0};
        CHECK(tm_sigma_load_path(s, p, &rep));
        print_report("spec tests correlation/", &rep);
        CHECK(rep.skipped[TM_SIGMA_SKIP_CORRELATION] == 8 && rep.errors == 0 && rep.loaded == 0);
        tm_sigma_report_free(&rep);
        tm_sigma_set_free(s);
    }
    return CHECK_DONE();
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--sigmahq"))
        return sigmahq(argv[2]);
    test_plain_and_wildcards();
    test_lists_and_positions();
    test_null_exists();
    test_keywords();
    test_re();
    test_encodings();
    test_numbers_ip_ref();
    test_conditions();
    test_skips_errors();
    test_metadata();
    test_logsources();
    test_threads();
    test_prefilter();
    test_fuzz_regressions();
    return CHECK_DONE();
}
