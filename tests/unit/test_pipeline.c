/* Unit tests: the command-line splitter and command table, run grouping,
 * and the dispatcher (subscriptions, views in a fixed order). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pipeline/cmdline.h"
#include "pipeline/pipeline.h"
#include "pipeline/plugin.h"
#include "pipeline/runs.h"
#include "util/buf.h"
#include "util/spill.h"
#include "util/timeutil.h"

/* "name:verb" of each command, joined by spaces. */
static char *split(const char *line, bool script)
{
    tm_cmds cs;
    tm_cmds_init(&cs);
    if (script)
        tm_script_split(line, &cs);
    else
        tm_cmdline_split(line, &cs);
    tm_buf b;
    tm_buf_init(&b);
    for (size_t i = 0; i < cs.n; i++)
        tm_buf_printf(&b, "%s%s:%s", i ? " " : "", cs.c[i].name, cs.c[i].verb);
    char *s = tm_xstrdup(b.len ? tm_buf_cstr(&b) : "");
    tm_buf_free(&b);
    tm_cmds_free(&cs);
    return s;
}

#define CHECK_SPLIT(line, want)                                                                                        \
    do {                                                                                                               \
        char *s_ = split(line, false);                                                                                 \
        CHECK_STR(s_, want);                                                                                           \
        free(s_);                                                                                                      \
    } while (0)

static void test_splitter(void)
{
    CHECK_SPLIT("cmd.exe /c \"net use \\\\srv01\\c$ /user:corp\\admin & copy a.exe \\\\srv01\\c$\\ && del a.exe\"",
                "cmd:/c net:use copy:a.exe del:a.exe");
    CHECK_SPLIT("n^et vi^ew \\\\srv01", "net:view");
    CHECK_SPLIT("\"C:\\Windows\\System32\\NET.EXE\" user /domain", "net:user");
    CHECK_SPLIT("cmd /c ping 10.0.0.1 2>&1 | find \"TTL\"", "cmd:/c ping:10.0.0.1 find:ttl");
    CHECK_SPLIT("@echo off || dir c:\\ ", "echo:off dir:c:\\");
    CHECK_SPLIT("CMD /K \"whoami\"", "cmd:/k whoami:");
    CHECK_SPLIT("", "");
    CHECK_SPLIT("   ", "");
    CHECK_SPLIT("\"unterminated & quote", "unterminated & quote:"); /* cmd: the quote runs to the end */

    /* powershell -enc: base64 of UTF-16LE "ipconfig /all; whoami | findstr x" */
    const char *text = "ipconfig /all; whoami | findstr x";
    tm_buf u16;
    tm_buf_init(&u16);
    for (const char *p = text; *p; p++) {
        tm_buf_putc(&u16, *p);
        tm_buf_putc(&u16, 0);
    }
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    tm_buf line;
    tm_buf_init(&line);
    tm_buf_puts(&line, "powershell.exe -NoP -EncodedCommand ");
    const unsigned char *d = (const unsigned char *)u16.data;
    for (size_t i = 0; i < u16.len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < u16.len ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < u16.len ? d[i + 2] : 0);
        tm_buf_putc(&line, b64[v >> 18 & 63]);
        tm_buf_putc(&line, b64[v >> 12 & 63]);
        tm_buf_putc(&line, i + 1 < u16.len ? b64[v >> 6 & 63] : '=');
        tm_buf_putc(&line, i + 2 < u16.len ? b64[v & 63] : '=');
    }
    tm_cmds cs;
    tm_cmds_init(&cs);
    tm_cmdline_split(tm_buf_cstr(&line), &cs);
    CHECK(cs.n == 4);
    if (cs.n == 4) {
        CHECK_STR(cs.c[0].name, "powershell");
        CHECK_STR(cs.c[1].name, "ipconfig");
        CHECK(cs.c[1].from_encoded && !cs.c[0].from_encoded);
        CHECK_STR(cs.c[2].name, "whoami");
        CHECK_STR(cs.c[3].name, "findstr");
    }
    CHECK_STR(cs.decoded, text);
    tm_cmds_free(&cs);
    /* -e, -ec and -enc are all -EncodedCommand */
    char *ps = tm_xasprintf("powershell -ec %s", strrchr(tm_buf_cstr(&line), ' ') + 1);
    char *s = split(ps, false);
    CHECK_STR(s, "powershell:-ec ipconfig:/all whoami: findstr:x");
    free(s);
    free(ps);
    tm_buf_free(&line);
    tm_buf_free(&u16);
    /* not base64: nothing decoded, no crash */
    CHECK_SPLIT("powershell -enc !!!notbase64", "powershell:-enc");

    /* redirection */
    tm_cmdline_split("cmd /c echo net user > C:\\Windows\\Temp\\run.bat & dir>out.txt", &cs);
    CHECK(cs.n == 3);
    if (cs.n == 3) {
        CHECK_STR(cs.c[1].name, "echo");
        CHECK_STR(cs.c[1].redirect, "C:\\Windows\\Temp\\run.bat");
        CHECK_STR(cs.c[2].name, "dir");
        CHECK_STR(cs.c[2].redirect, "out.txt");
    }
    tm_cmds_free(&cs);

    /* PowerShell text (history, script blocks) */
    s = split("Get-Process | Stop-Process; net localgroup administrators\nwhoami", true);
    CHECK_STR(s, "get-process: stop-process: net:localgroup whoami:");
    free(s);
    s = split("& \"C:\\tools\\psexec.exe\" \\\\srv01 cmd", true);
    CHECK_STR(s, "psexec:\\\\srv01");
    free(s);

    /* hostile input: bounded nesting and count */
    tm_buf deep;
    tm_buf_init(&deep);
    for (int i = 0; i < 50; i++)
        tm_buf_puts(&deep, "cmd /c ");
    tm_buf_puts(&deep, "whoami");
    tm_cmdline_split(tm_buf_cstr(&deep), &cs);
    CHECK(cs.n > 0 && cs.n < 10);
    tm_cmds_free(&cs);
    tm_buf_reset(&deep);
    for (int i = 0; i < 5000; i++)
        tm_buf_puts(&deep, "a&");
    tm_cmdline_split(tm_buf_cstr(&deep), &cs);
    CHECK(cs.n == TM_CMDS_MAX);
    tm_cmds_free(&cs);
    tm_buf_free(&deep);
}

static const char *phase_of(const char *name, const char *verb)
{
    tm_cmd c = {0};
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.verb, sizeof c.verb, "%s", verb);
    const tm_command_info *ci = tm_command_lookup(&c);
    return ci ? ci->command : "(none)";
}

static void test_table(void)
{
    CHECK_STR(phase_of("net", "use"), "net use");
    CHECK_STR(phase_of("net1", "users"), "net user");
    CHECK_STR(phase_of("net", "sessions"), "net session");
    CHECK_STR(phase_of("net", "accounts"), "net accounts");
    CHECK_STR(phase_of("net", ""), "(none)");
    CHECK_STR(phase_of("net", "helpmsg"), "(none)");
    CHECK_STR(phase_of("erase", "x"), "del");
    CHECK_STR(phase_of("rmdir", ""), "rd");
    CHECK_STR(phase_of("echo.", ""), "echo");
    CHECK_STR(phase_of("logparser", ""), "LogParser");
    CHECK_STR(phase_of("notepad", ""), "(none)");
    /* every entry is found by its own name */
    for (size_t i = 0; i < tm_command_count; i++) {
        tm_cmd c = {0};
        const char *sp = strchr(tm_commands[i].command, ' ');
        if (sp) {
            snprintf(c.name, sizeof c.name, "%.*s", (int)(sp - tm_commands[i].command), tm_commands[i].command);
            snprintf(c.verb, sizeof c.verb, "%s", sp + 1);
        } else {
            snprintf(c.name, sizeof c.name, "%s", tm_commands[i].command);
        }
        for (char *p = c.name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        CHECK(tm_command_lookup(&c) == &tm_commands[i]);
    }
}

static tm_exec ex(tm_exec_kind k, const char *t, const char *name, const char *verb, int pid, bool derived)
{
    tm_exec e;
    memset(&e, 0, sizeof e);
    e.kind = k;
    tm_time_parse_iso(t, &e.time);
    snprintf(e.name, sizeof e.name, "%s", name);
    snprintf(e.verb, sizeof e.verb, "%s", verb);
    e.has_pid = pid != 0;
    e.pid = (uint64_t)pid;
    e.derived = derived;
    e.has_status = k == TM_EXEC_EXIT;
    return e;
}

static void test_runs(void)
{
    tm_exec e[] = {
        ex(TM_EXEC_START, "2017-05-10T09:16:00Z", "cmd", "/c", 10, false),
        ex(TM_EXEC_START, "2017-05-10T09:16:00Z", "net", "view", 0, true), /* from cmd's line */
        ex(TM_EXEC_START, "2017-05-10T09:16:00Z", "net", "use", 0, true),
        ex(TM_EXEC_START, "2017-05-10T09:16:00.2Z", "net", "view", 11, false),
        ex(TM_EXEC_EXIT, "2017-05-10T09:16:00.9Z", "net", "", 11, false),
        ex(TM_EXEC_START, "2017-05-10T09:16:01Z", "net", "use", 12, false),
        ex(TM_EXEC_EXIT, "2017-05-10T09:16:02Z", "net", "", 12, false),
        ex(TM_EXEC_PREFETCH, "2017-05-10T09:16:05Z", "net", "", 0, false), /* nearest start: net use */
        ex(TM_EXEC_PREFETCH, "2017-05-10T11:00:00Z", "net", "", 0, false), /* a run seen only in Prefetch */
    };
    e[4].status = 0;
    e[6].status = 5;
    const tm_exec *p[sizeof e / sizeof e[0]];
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        p[i] = &e[i];
    tm_runs rs;
    tm_runs_build(&rs, NULL, p, sizeof e / sizeof e[0]);
    CHECK(rs.n == 4); /* cmd, net view, net use, prefetch-only net */
    size_t seen = 0;
    for (size_t i = 0; i < rs.n; i++) {
        const tm_run *r = &rs.r[i];
        if (r->start == &e[3]) {
            seen++;
            CHECK(r->n == 3 && r->exit == &e[4] && tm_run_succeeded(r));
        } else if (r->start == &e[5]) {
            seen++;
            CHECK(r->n == 4 && r->exit == &e[6] && !tm_run_succeeded(r));
        } else if (r->e[0] == &e[8]) {
            seen++;
            CHECK(r->n == 1 && !r->start);
        }
    }
    CHECK(seen == 3);
    /* runs come out in time order */
    for (size_t i = 1; i < rs.n; i++)
        CHECK(rs.r[i - 1].time <= rs.r[i].time);
    tm_runs_free(&rs);
}

/* ---- the dispatcher, with a plugin that records what it was given ---- */
static char got[4096];
static const tm_sub probe_subs[] = {
    {TM_SUB_EVTX, "Security", 4624, NULL, NULL},
    {TM_SUB_EXEC, "net", 0, NULL, NULL},
    {TM_SUB_USN, "psexesvc*", 0, NULL, NULL},
    TM_SUB_END,
};
static void probe_run(const tm_view *v, tm_traces *out)
{
    (void)out;
    size_t k = strlen(got);
    for (size_t i = 0; i < v->n && k < sizeof got - 64; i++)
        k += (size_t)snprintf(got + k, sizeof got - k, "%u:%s:%llu ", v->items[i].sub,
                              v->items[i].exec ? v->items[i].exec->verb : tm_art_kind_name(v->items[i].r->kind),
                              (unsigned long long)v->items[i].r->position);
}
static const char *const probe_tools[] = {"probe", NULL};
static const tm_plugin probe = {
    .name = "probe", .tools = probe_tools, .category = "test", .summary = "test", .subs = probe_subs, .run = probe_run};

static void feed(tm_pipeline *p, const tm_artifact *a, uint8_t kind, uint64_t pos, const char *time, const char *k1,
                 const char *v1, const char *k2, const char *v2, uint64_t eid)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_fields_enc e;
    int64_t t;
    tm_time_parse_iso(time, &t);
    tm_record_begin(&e, &b, kind, 0, pos, t);
    if (eid)
        tm_fenc_uint(&e, "event_id", eid);
    if (k1)
        tm_fenc_str(&e, k1, v1);
    if (k2)
        tm_fenc_str(&e, k2, v2);
    tm_record_end(&e);
    tm_fields_scratch s = {0};
    tm_record r;
    CHECK(tm_record_decode((const uint8_t *)b.data, b.len, &s, &r));
    tm_pipeline_record(p, a, &r);
    tm_fields_scratch_free(&s);
    tm_buf_free(&b);
}

/* twice: the process creation arrives a second time (a copied chunk) */
static void run_pipeline(bool reversed, bool twice, char *out, size_t n)
{
    const tm_plugin *const plugins[] = {&probe};
    tm_pipeline *p = tm_pipeline_new(plugins, 1);
    /* the worker subscription names the plugin's event and the executions' */
    const char *want = tm_pipeline_want(p, TM_ART_EVTX);
    CHECK(strstr(want, "Security\t4624\n") && strstr(want, "Security\t4688\n"));
    tm_artifact arts[2];
    memset(arts, 0, sizeof arts);
    arts[0].kind = TM_ART_EVTX;
    arts[0].path = "Security.evtx";
    arts[1].kind = TM_ART_USN;
    arts[1].path = "$Extend/$UsnJrnl";
    got[0] = 0;
    for (int step = 0; step < 7; step++) {
        int i = reversed ? 6 - step : step;
        switch (i) {
        case 0: feed(p, &arts[0], TM_ART_EVTX, 7, "2017-05-10T09:00:00Z", "channel", "Security", NULL, NULL, 4624); break;
        case 1: feed(p, &arts[0], TM_ART_EVTX, 8, "2017-05-10T09:00:01Z", "channel", "Security", "data.CommandLine", "net use x", 4688); break;
        case 2: feed(p, &arts[0], TM_ART_EVTX, 9, "2017-05-10T09:00:02Z", "channel", "Security", NULL, NULL, 4625); break;
        case 3: feed(p, &arts[0], TM_ART_EVTX, 10, "2017-05-10T09:00:03Z", "channel", "System", NULL, NULL, 4624); break;
        case 4: feed(p, &arts[1], TM_ART_USN, 4096, "2017-05-10T08:59:59Z", "file_name", "PSEXESVC.exe", NULL, NULL, 0); break;
        case 5: feed(p, &arts[1], TM_ART_USN, 4200, "2017-05-10T09:00:04Z", "file_name", "notes.txt", NULL, NULL, 0); break;
        case 6:
            if (twice)
                feed(p, &arts[0], TM_ART_EVTX, 8, "2017-05-10T09:00:01Z", "channel", "Security", "data.CommandLine", "net use x", 4688);
            break;
        }
    }
    tm_pipeline_stats st = tm_pipeline_get_stats(p);
    CHECK(st.seen == 6u + twice && st.kept == 3u + twice); /* 4625, System 4624 and notes.txt dropped */
    tm_traces ts;
    tm_traces_init(&ts);
    tm_pipeline_finish(p, &ts);
    snprintf(out, n, "%s", got);
    tm_traces_free(&ts);
    tm_pipeline_free(p);
}

/* Executions from PowerShell module logging (4103). */
static void test_4103(void)
{
    tm_buf b;
    tm_buf_init(&b);
    tm_fields_enc e;
    tm_record_begin(&e, &b, TM_ART_EVTX, 0, 5, 1000000);
    tm_fenc_uint(&e, "event_id", 4103);
    tm_fenc_str(&e, "channel", "Microsoft-Windows-PowerShell/Operational");
    tm_fenc_str(&e, "data.ContextInfo", "        Severity = Informational\r\n        Host Name = ConsoleHost\r\n"
                                       "        Command Name = Invoke-Mimikatz\r\n        Command Type = Function\r\n"
                                       "        User = CORP\\admin\r\n");
    tm_fenc_str(&e, "data.Payload", "CommandInvocation(Invoke-Mimikatz): \"Invoke-Mimikatz\"\r\nmore");
    tm_record_end(&e);
    tm_fields_scratch s = {0};
    tm_record r;
    CHECK(tm_record_decode((const uint8_t *)b.data, b.len, &s, &r));
    tm_artifact a;
    memset(&a, 0, sizeof a);
    tm_execs x;
    tm_execs_init(&x);
    tm_execs_from_record(&x, &r, &a, NULL, 0);
    CHECK(x.n == 1);
    if (x.n == 1) {
        CHECK_STR(x.e[0].name, "invoke-mimikatz");
        CHECK_STR(x.e[0].user, "CORP\\admin");
        CHECK_STR(x.e[0].command_line, "Invoke-Mimikatz CommandInvocation(Invoke-Mimikatz): \"Invoke-Mimikatz\"");
        CHECK(x.e[0].kind == TM_EXEC_SCRIPT);
    }
    tm_execs_free(&x);
    tm_fields_scratch_free(&s);
    tm_buf_free(&b);
}

static void test_dispatch(void)
{
    char a[4096], b[4096];
    run_pipeline(false, false, a, sizeof a);
    run_pipeline(true, false, b, sizeof b);
    /* time order, each item with the subscription it matched */
    CHECK_STR(a, "2:usn:4096 0:evtx:7 1:use:8 ");
    CHECK_STR(b, a); /* arrival order does not matter */
    /* a record that arrives twice is seen once */
    run_pipeline(false, true, b, sizeof b);
    CHECK_STR(b, a);
}

/* Windows around a time: by binary search, empty for an unknown time
 * (no arithmetic on TM_TIME_NONE), untimed items (sorted last) never inside. */
static void test_view_around(void)
{
    tm_record r[5] = {{.time = 10}, {.time = 20}, {.time = 30}, {.time = 40}, {.time = TM_TIME_NONE}};
    tm_item items[5];
    for (size_t i = 0; i < 5; i++)
        items[i] = (tm_item){.r = &r[i], .time = r[i].time};
    tm_view v = {.items = items, .n = 5};
    size_t a, e;
    tm_view_around(&v, 25, 5, 10, &a, &e);
    CHECK(a == 1 && e == 3); /* 20 and 30 */
    tm_view_around(&v, 40, 0, INT64_MAX / 4, &a, &e);
    CHECK(a == 3 && e == 4); /* 40, not the untimed item */
    tm_view_around(&v, TM_TIME_NONE, 5, 5, &a, &e);
    CHECK(a == 0 && e == 0);
    tm_view_around(&v, INT64_MAX - 1, 5, 5, &a, &e);
    CHECK(a == e);
    tm_view_window(&v, 30, 20, &a, &e);
    CHECK(a == e);
}


/* Shells named by %COMSPEC%, start's command, PowerShell assignments and
 * aliases, a script written as character codes. */
static void test_splitter_variants(void)
{
    CHECK_SPLIT("%COMSPEC% /Q /c echo cd ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat & del %TEMP%\\execute.bat",
                "cmd:/q echo:cd del:%temp%\\execute.bat");
    CHECK_SPLIT("%%COMSPEC%% /c whoami", "cmd:/c whoami:");
    CHECK_SPLIT("cmd /b /c start /b /min powershell.exe -nop -c Get-Date", "cmd:/b start:/b powershell:-nop get-date:");
    CHECK_SPLIT("start \"title\" /wait net view", "start:title net:view");
    char *s = split("$cmd = Invoke-Mimikatz -Command 'sekurlsa::logonpasswords'; echo done", true);
    CHECK_STR(s, "invoke-mimikatz:-command echo:done");
    free(s);
    tm_cmds cs;
    tm_cmds_init(&cs);
    tm_script_split("echo hi; dir > x.txt", &cs);
    CHECK(cs.n == 2 && cs.c[0].in_powershell && cs.c[1].in_powershell);
    tm_cmds_free(&cs);
    tm_cmds_init(&cs);
    tm_cmdline_split("cmd /c echo hi", &cs);
    CHECK(cs.n == 2 && !cs.c[1].in_powershell);
    tm_cmds_free(&cs);
    /* "IEX net view; whoami; ipconfig" as codes, with the separators CrackMapExec mixes */
    tm_cmds_init(&cs);
    tm_script_split("[string]('73A69H88@32k110,101 ,116T32G118@105S101k119A59f32,119H104@111f97S109G105,59 ,32A105H112"
                    "@99k111,110T102G105@103'.Split('AH@kT,Gf S')"
                    "|%{[char][int]$_})", &cs);
    CHECK_STR(cs.decoded, "IEX net view; whoami; ipconfig");
    bool net = false, who = false;
    for (size_t i = 0; i < cs.n; i++) {
        net |= strcmp(cs.c[i].name, "net") == 0 && strcmp(cs.c[i].verb, "view") == 0 && cs.c[i].from_encoded;
        who |= strcmp(cs.c[i].name, "whoami") == 0;
    }
    CHECK(net && who);
    tm_cmds_free(&cs);
    /* numbers that are not text are left alone */
    tm_cmds_init(&cs);
    tm_script_split("Test-NetConnection -Port 80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104", &cs);
    CHECK(cs.decoded == NULL);
    tm_cmds_free(&cs);
    /* a process' own command line: cmd's & is not special to powershell */
    tm_cmds_init(&cs);
    tm_cmdline_split_one("powershell.exe -nop -C & {whoami}", &cs);
    CHECK(cs.n == 2 && strcmp(cs.c[0].name, "powershell") == 0 && strcmp(cs.c[1].name, "whoami") == 0);
    tm_cmds_free(&cs);
}

/* A record of the given channel and event id with data fields k=v (NULL ends). */
static void record_of(tm_buf *b, tm_fields_scratch *s, tm_record *r, const char *channel, uint32_t id, int64_t t,
                      const char *const *kv)
{
    tm_fields_enc e;
    tm_buf_reset(b);
    tm_record_begin(&e, b, TM_ART_EVTX, 0, 5, t);
    tm_fenc_uint(&e, "event_id", id);
    tm_fenc_str(&e, "channel", channel);
    for (size_t i = 0; kv[i]; i += 2) {
        char k[64];
        snprintf(k, sizeof k, "data.%s", kv[i]);
        tm_fenc_str(&e, k, kv[i + 1]);
    }
    tm_record_end(&e);
    CHECK(tm_record_decode((const uint8_t *)b->data, b->len, s, r));
}

/* The executions of records with no process of their own: a task action
 * in 4698's XML, a service in 4697, a WMI consumer, a shell seen as a
 * parent; one service seen twice is one run. */
static void test_exec_sources(void)
{
    char act[256];
    CHECK(tm_task_xml_action("<Task><Actions><Exec>\r\n<Command>cmd.exe</Command>\r\n<Arguments>/C whoami &gt; "
                             "%windir%\\Temp\\x.tmp 2&gt;&amp;1 &#38; &#x41;</Arguments></Exec></Actions></Task>",
                             act, sizeof act));
    CHECK_STR(act, "cmd.exe /C whoami > %windir%\\Temp\\x.tmp 2>&1 & A");
    CHECK(!tm_task_xml_action("<Task><Actions><ComHandler/></Actions></Task>", act, sizeof act));
    CHECK(!tm_task_xml_action("<Exec><Command>cmd.exe", act, sizeof act)); /* truncated */
    CHECK(!tm_task_xml_action(NULL, act, sizeof act));

    tm_buf b;
    tm_buf_init(&b);
    tm_fields_scratch s = {0};
    tm_record r[4];
    tm_buf keep[4];
    tm_artifact a;
    memset(&a, 0, sizeof a);
    tm_execs x;
    tm_execs_init(&x);
    const char *svc = "%COMSPEC% /Q /c echo cd > %TEMP%\\execute.bat & del %TEMP%\\execute.bat";
    const char *const k7045[] = {"ServiceName", "BTOBTO", "ImagePath", svc, NULL};
    const char *const k4697[] = {"ServiceName", "BTOBTO", "ServiceFileName", svc, "SubjectUserName", "admin",
                                 "SubjectDomainName", "CORP", NULL};
    const char *const k20[] = {"Type", "Command Line", "Destination", " \"cmd.exe /c echo %ProcessId% >> c:\\\\temp\\\\log.txt\"",
                               NULL};
    const char *const k1[] = {"Image", "C:\\Windows\\System32\\cmd.exe", "CommandLine", "cmd.exe /Q /c execute.bat",
                              "ParentImage", "C:\\Windows\\System32\\cmd.exe", "ParentCommandLine",
                              "cmd.exe /Q /c echo x > a.bat & cmd /Q /c execute.bat & del a.bat", "ProcessId", "42", NULL};
    int64_t t0 = 1494407760000000LL;
    /* records decode into the scratch: keep each one's bytes */
    struct {
        const char *ch;
        uint32_t id;
        const char *const *kv;
    } in[] = {{"System", 7045, k7045}, {"Security", 4697, k4697},
              {"Microsoft-Windows-Sysmon/Operational", 20, k20}, {"Microsoft-Windows-Sysmon/Operational", 1, k1}};
    tm_fields_scratch ss[4];
    memset(ss, 0, sizeof ss);
    for (int i = 0; i < 4; i++) {
        tm_buf_init(&keep[i]);
        record_of(&keep[i], &ss[i], &r[i], in[i].ch, in[i].id, t0 + i * 1000000LL, in[i].kv);
        tm_execs_from_record(&x, &r[i], &a, NULL, 0);
    }
    size_t echo = 0, del = 0, consumer = 0, service = 0;
    for (size_t i = 0; i < x.n; i++) {
        echo += strcmp(x.e[i].name, "echo") == 0;
        del += strcmp(x.e[i].name, "del") == 0;
        consumer += x.e[i].kind == TM_EXEC_CONSUMER;
        service += x.e[i].kind == TM_EXEC_SERVICE && strcmp(x.e[i].name, "cmd") == 0;
    }
    CHECK(service == 2);             /* 7045 and 4697, named by their shell */
    CHECK(consumer == 2);            /* the consumer's cmd and its echo */
    CHECK(echo == 4 && del == 3);    /* 7045, 4697, consumer echo, the parent's line */
    for (size_t i = 0; i < x.n; i++)
        if (x.e[i].kind == TM_EXEC_CONSUMER && strcmp(x.e[i].name, "echo") == 0)
            CHECK_STR(x.e[i].redirect, "c:\\temp\\log.txt");
    /* runs: the service's echo seen in 7045 and 4697 is one run */
    const tm_exec **p = tm_xmalloc(x.n * sizeof *p);
    size_t n = 0;
    for (size_t i = 0; i < x.n; i++)
        if (strcmp(x.e[i].name, "del") == 0)
            p[n++] = &x.e[i];
    tm_runs rs;
    tm_runs_build(&rs, NULL, p, n);
    CHECK(rs.n == 2); /* the service's del (7045 + 4697), the parent shell's del */
    if (rs.n == 2)
        CHECK(rs.r[0].n == 2 && rs.r[1].n == 1);
    tm_runs_free(&rs);
    free(p);
    tm_execs_free(&x);
    for (int i = 0; i < 4; i++) {
        tm_buf_free(&keep[i]);
        tm_fields_scratch_free(&ss[i]);
    }
    tm_fields_scratch_free(&s);
    tm_buf_free(&b);
}

/* A burst cites the records that attribute it and the first others, at
 * most TM_TRACE_MAX_CITED, and keeps the total. */
static void test_evidence_cap(void)
{
    tm_traces ts;
    tm_traces_init(&ts);
    tm_trace *t = tm_trace_add(&ts, "PsExec", "c", TM_ROLE_HOST, 0, "t");
    tm_trace *small = tm_trace_add(&ts, NULL, "c", TM_ROLE_HOST, 0, "t");
    t = &ts.t[0];
    for (uint64_t i = 1; i <= 30; i++) {
        tm_evidence ev = {0};
        ev.kind = "evtx";
        ev.path = "Security.evtx";
        ev.record = i;
        ev.event_id = 5145;
        ev.attributes = i == 25;
        tm_trace_add_evidence(t, &ev);
    }
    tm_evidence one = {.kind = "evtx", .path = "System.evtx", .record = 7, .event_id = 7045};
    small = &ts.t[1];
    tm_trace_add_evidence(small, &one);
    tm_traces_cap_evidence(&ts, TM_TRACE_MAX_CITED);
    CHECK(ts.t[0].nev == TM_TRACE_MAX_CITED && ts.t[0].evidence_total == 30);
    bool has25 = false, ordered = true;
    for (size_t i = 0; i < ts.t[0].nev; i++) {
        has25 |= ts.t[0].ev[i].record == 25;
        if (i)
            ordered &= ts.t[0].ev[i - 1].record < ts.t[0].ev[i].record;
    }
    CHECK(has25 && ordered);
    CHECK(ts.t[0].ev[18].record == 19 && ts.t[0].ev[19].record == 25);
    CHECK(ts.t[1].nev == 1 && ts.t[1].evidence_total == 1);
    tm_traces_free(&ts);
}

/* A catch-all activity is dropped when specific traces cite all its records. */
static void test_drop_covered(void)
{
    tm_traces ts;
    tm_traces_init(&ts);
    tm_evidence a = {.kind = "evtx", .path = "Security.evtx", .record = 1, .event_id = 4624};
    tm_evidence b = {.kind = "evtx", .path = "Security.evtx", .record = 2, .event_id = 4624};
    tm_trace_add_evidence(tm_trace_add(&ts, "PsExec", "c", TM_ROLE_DESTINATION, 0, "t"), &a);
    tm_trace *g1 = tm_trace_add(&ts, NULL, "c", TM_ROLE_DESTINATION, 0, "t");
    g1->generic = true;
    tm_trace_add_evidence(g1, &a);
    tm_trace *g2 = tm_trace_add(&ts, NULL, "c", TM_ROLE_DESTINATION, 0, "t");
    g2->generic = true;
    tm_trace_add_evidence(g2, &a);
    tm_trace_add_evidence(g2, &b);
    CHECK(tm_traces_drop_covered(&ts) == 1);
    CHECK(ts.n == 2 && ts.t[0].tool && !ts.t[1].tool && ts.t[1].nev == 2);
    tm_traces_free(&ts);
}

/* Records of one key less than the gap apart are one burst. */
static void test_bursts(void)
{
    tm_traces ts;
    tm_traces_init(&ts);
    tm_bursts b;
    tm_bursts_init(&b, &ts, 10 * TM_MIN);
    int64_t t0 = 1494407760000000LL;
    tm_evidence ev = {.kind = "evtx", .path = "Security.evtx", .record = 1, .event_id = 4624, .time = t0};
    CHECK(tm_burst_find(&b, &ts, "admin\t10.0.0.1", t0) == NULL);
    tm_trace *t = tm_trace_add(&ts, NULL, "c", TM_ROLE_DESTINATION, t0, "t");
    tm_burst_begin(&b, &ts, "admin\t10.0.0.1");
    tm_trace_add_evidence(t, &ev);
    CHECK(tm_burst_count(&b, &ts, t) == 1);
    CHECK(tm_burst_find(&b, &ts, "ADMIN\t10.0.0.1", t0 + 5 * TM_MIN) == t); /* Windows names: case folded */
    CHECK(tm_burst_count(&b, &ts, t) == 2);
    CHECK(tm_burst_find(&b, &ts, "admin\t10.0.0.2", t0 + TM_MIN) == NULL);
    CHECK(tm_burst_find(&b, &ts, "admin\t10.0.0.1", t0 + 11 * TM_MIN) == NULL);
    tm_bursts_free(&b);
    tm_traces_free(&ts);
}

/* Under --memory, traces keep their array, strings, citations and their
 * index in a spill file of their own (they grow with the logs); the same
 * operations work on them, and freeing gives nothing of it to free(). */
static void test_traces_in_spill(void)
{
    tm_traces before;
    tm_traces_init(&before);
    tm_trace_setf(&tm_trace_add(&before, NULL, "c", TM_ROLE_HOST, 0, "t")->message, "made on the heap");
    tm_spill *s = tm_spill_new(".", 0);
    CHECK(s != NULL);
    if (!s)
        return;
    tm_traces_use_spill(s);
    tm_traces ts, part;
    tm_traces_init(&ts);
    tm_traces_init(&part);
    char line[300];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = 0; /* longer than the strings shared per process */
    for (int i = 0; i < 100; i++) {
        tm_trace *t = tm_trace_add(i < 50 ? &ts : &part, "PsExec", "c", TM_ROLE_HOST, i, "t");
        tm_trace_set(&t->command_line, line);
        tm_trace_setf(&t->message, "run %d", i);
        tm_trace_rule rule = {.id = "r1", .title = "a rule", .ntags = 1, .tags = (char *[]){"attack.t1"}};
        if (i == 3)
            tm_trace_set_rule(t, &rule);
        for (uint64_t k = 1; k <= 12; k++) { /* past the linear search: the index is built */
            tm_evidence ev = {.kind = "evtx", .path = "Security.evtx", .record = k, .event_id = 4688};
            tm_trace_add_evidence(t, &ev);
        }
    }
    tm_traces_move(&ts, &part);
    CHECK(ts.n == 100 && part.n == 0);
    CHECK(tm_spill_owns(s, ts.t) && tm_spill_owns(s, ts.t[0].command_line) && tm_spill_owns(s, ts.t[99].ev));
    CHECK(tm_spill_owns(s, ts.t[3].rule) && strcmp(ts.t[3].rule->tags[0], "attack.t1") == 0);
    CHECK(ts.t[99].nev == 12 && ts.t[99].ev[11].record == 12 && strcmp(ts.t[99].message, "run 99") == 0);
    CHECK(tm_trace_find_evidence(&ts.t[42], "Security.evtx", 9, 4688) == &ts.t[42].ev[8]);
    tm_traces_cap_evidence(&ts, 5);
    tm_traces_sort(&ts);
    CHECK(ts.t[0].nev == 5 && ts.t[0].evidence_total == 12 && ts.t[0].time == 0);
    tm_traces_free(&ts); /* nothing of the file reaches free(): the sanitizer build would say so */
    tm_traces_use_spill(NULL);
    tm_spill_free(s);
    CHECK(strcmp(before.t[0].message, "made on the heap") == 0);
    tm_traces_free(&before); /* heap traces made before are freed as heap */
}

int main(void)
{
    test_traces_in_spill();
    test_view_around();
    test_splitter();
    test_splitter_variants();
    test_exec_sources();
    test_evidence_cap();
    test_drop_covered();
    test_bursts();
    test_table();
    test_runs();
    test_4103();
    test_dispatch();
    return CHECK_DONE();
}
