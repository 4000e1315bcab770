#include "pipeline/runs.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/cmdline.h"
#include "pipeline/plugin.h"
#include "util/buf.h"
#include "util/spill.h"
#include "util/strmap.h"
#include "util/timeutil.h"

void tm_execs_init(tm_execs *x)
{
    memset(x, 0, sizeof *x);
    tm_arena_init(&x->text);
}

void tm_execs_use_spill(tm_execs *x, tm_spill *s)
{
    x->spill = s;
    tm_arena_use_spill(&x->text, s);
}

void tm_execs_free(tm_execs *x)
{
    tm_arena_free(&x->text);
    tm_spill_release(x->spill, x->e, x->cap * sizeof *x->e);
    tm_execs_init(x);
}

char *tm_execs_strdup(tm_execs *x, const char *s)
{
    size_t n = strlen(s);
    char *d = tm_arena_alloc(&x->text, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

const char *tm_exec_kind_name(tm_exec_kind k)
{
    switch (k) {
    case TM_EXEC_START: return "process start";
    case TM_EXEC_EXIT: return "process exit";
    case TM_EXEC_PREFETCH: return "prefetch run";
    case TM_EXEC_HISTORY: return "typed command";
    case TM_EXEC_SCRIPT: return "script block";
    case TM_EXEC_SCHEDULED: return "scheduled action";
    case TM_EXEC_SERVICE: return "service image";
    case TM_EXEC_CONSUMER: return "WMI consumer command";
    }
    return "?";
}

static tm_exec *add(tm_execs *x, tm_exec_kind kind, int64_t time, const char *desc, const tm_record *r,
                    const tm_artifact *a)
{
    x->e = tm_spill_grow(x->spill, x->e, x->n, &x->cap, sizeof *x->e, 64);
    tm_exec *e = &x->e[x->n++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->time = time;
    e->time_desc = desc;
    e->r = r;
    e->art = a;
    return e;
}

static char *dupne(tm_execs *x, const char *s)
{
    return (s && *s && strcmp(s, "-") != 0) ? tm_execs_strdup(x, s) : NULL;
}

static bool parse_num(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

/* "DOMAIN\\user" from prefix+UserName/DomainName, owned, or NULL. */
static char *account(tm_execs *x, const tm_record *r, const char *prefix)
{
    char acct[256];
    tm_account(r, prefix, acct, sizeof acct);
    return acct[0] ? tm_execs_strdup(x, acct) : NULL;
}

/* What the executions made from one line share. The strings are borrowed
 * and copied into each execution (add() may move the array they came from,
 * not the strings). */
typedef struct {
    tm_exec_kind kind;
    int64_t time;
    const char *desc;
    const tm_record *r;
    const tm_artifact *a;
    const char *user, *user_sid, *logon_id, *parent;
} exec_tmpl;

/* Commands cs->c[from..] as executions: `whole` is the line when it is a
 * single command (so its text is kept as written), `derived` whether they
 * come out of another program's command line. */
static void add_commands(tm_execs *x, const exec_tmpl *t, const tm_cmds *cs, size_t from, const char *whole,
                         bool derived)
{
    for (size_t i = from; i < cs->n; i++) {
        const tm_cmd *c = &cs->c[i];
        tm_exec *e = add(x, t->kind, t->time, t->desc, t->r, t->a);
        snprintf(e->name, sizeof e->name, "%s", c->name);
        snprintf(e->verb, sizeof e->verb, "%s", c->verb);
        e->image = tm_execs_strdup(x, c->name);
        e->command_line = tm_execs_strdup(x, whole && cs->n == 1 ? whole : c->text);
        e->user = dupne(x, t->user);
        e->user_sid = dupne(x, t->user_sid);
        e->logon_id = dupne(x, t->logon_id);
        e->parent = dupne(x, t->parent);
        e->derived = derived || i > 0 || c->depth > 0;
        e->encoded = c->from_encoded;
        e->in_powershell = c->in_powershell;
        e->redirect = c->redirect ? tm_execs_strdup(x, c->redirect) : NULL;
    }
}

/* The program name of an execution from its image path. */
static void name_from_image(tm_exec *e)
{
    if (e->image)
        tm_program_name(e->image, strlen(e->image), e->name, sizeof e->name);
}

/* The program an OriginalFileName names: "PsExec.c" -> "psexec",
 * "PowerShell.EXE.MUI" -> "powershell"; "" when none is given. */
static void original_program(const char *ofn, char *out, size_t n)
{
    out[0] = 0;
    if (!ofn || !*ofn || strcmp(ofn, "-") == 0 || strcmp(ofn, "?") == 0)
        return;
    tm_program_name(ofn, strlen(ofn), out, n);
    size_t k = strlen(out);
    static const char *const ext[] = {".mui", ".exe", ".com", ".c", ".dll", ".bin"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t el = strlen(ext[i]);
        if (k > el && strcmp(out + k - el, ext[i]) == 0) {
            k -= el;
            out[k] = 0;
        }
    }
}

/* A process start with its command line, split once: the start takes its
 * program's verb and redirection from the first command; a shell's (cmd,
 * powershell) other commands become derived executions. */
static void add_start(tm_execs *x, tm_exec *e, const char *original)
{
    /* a service's image path is a command line, not a file name */
    if (e->kind != TM_EXEC_SERVICE)
        name_from_image(e);
    /* a copy under another name is still its program (psexec.exe as svc1.exe) */
    char orig[48] = "";
    original_program(original, orig, sizeof orig);
    if (orig[0] && e->name[0] && strncmp(e->name, orig, strlen(orig)) != 0) { /* psexec64 is not a rename */
        snprintf(e->file_name, sizeof e->file_name, "%s", e->name);
        snprintf(e->name, sizeof e->name, "%s", orig);
        e->renamed = true;
    }
    if (!e->command_line)
        return;
    tm_cmds cs;
    tm_cmds_init(&cs);
    tm_cmdline_split(e->command_line, &cs);
    bool self = cs.n && (!e->name[0] || strcmp(cs.c[0].name, e->name) == 0 ||
                         (e->renamed && strcmp(cs.c[0].name, e->file_name) == 0));
    if (cs.n && !e->name[0])
        snprintf(e->name, sizeof e->name, "%s", cs.c[0].name);
    if (self) {
        snprintf(e->verb, sizeof e->verb, "%s", cs.c[0].verb);
        if (cs.c[0].redirect)
            e->redirect = tm_execs_strdup(x, cs.c[0].redirect);
    }
    if (strcmp(e->name, "cmd") == 0 || strcmp(e->name, "powershell") == 0 || strcmp(e->name, "pwsh") == 0) {
        exec_tmpl t = {e->kind, e->time, e->time_desc, e->r, e->art, e->user, e->user_sid, e->logon_id, e->image};
        add_commands(x, &t, &cs, self ? 1 : 0, NULL, true); /* e is not used after this: add() may move it */
    }
    tm_cmds_free(&cs);
}

static int64_t time_field(const tm_record *r, const char *name, const tm_exec_env *env)
{
    const tm_field *f = tm_record_get(r, name);
    if (!f)
        return TM_TIME_NONE;
    if (f->type == TM_F_TIME)
        return f->v.i;
    if (f->type == TM_F_LOCALTIME) {
        int64_t utc;
        if (env && env->local_to_utc && env->local_to_utc(env->ctx, f->v.i, &utc))
            return utc;
        return TM_TIME_NONE;
    }
    return TM_TIME_NONE;
}

static bool is_channel(const tm_record *r, const char *ch)
{
    const char *c = tm_record_str(r, "channel");
    return c && strcasecmp(c, ch) == 0;
}

/* One command, or a line of commands, from an artifact that has no process
 * of its own (history, script, task action, service image). */
enum { LINE_CMD, LINE_SCRIPT, LINE_HOST }; /* cmd's rules, PowerShell's, one program's own command line */
static void add_line(tm_execs *x, tm_exec_kind kind, int64_t t, const char *desc, const tm_record *r,
                     const tm_artifact *a, const char *line, const char *user, int how)
{
    if (!line || !*line)
        return;
    tm_cmds cs;
    tm_cmds_init(&cs);
    if (how == LINE_SCRIPT)
        tm_script_split(line, &cs);
    else if (how == LINE_HOST)
        tm_cmdline_split_one(line, &cs);
    else
        tm_cmdline_split(line, &cs);
    exec_tmpl tp = {kind, t, desc, r, a, user, NULL, NULL, NULL};
    add_commands(x, &tp, &cs, 0, line, false);
    tm_cmds_free(&cs);
}

bool tm_service_image_write(const tm_record *r)
{
    const char *k = tm_data(r, "TargetObject");
    size_t n = strlen(k);
    return n > 10 && strcasecmp(k + n - 10, "\\ImagePath") == 0 && tm_icontains(k, "\\Services\\");
}

/* Sysmon 19/20 write WMI values as MOF strings: ` "cmd.exe /c ... c:\\\\temp"`:
 * blanks around, double quotes, backslash escapes. The plain text, owned. */
static char *mof_string(const char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    char *out = tm_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"'))
            i++;
        out[k++] = s[i];
    }
    out[k] = 0;
    return out;
}

/* The line after "HostApplication=" in a Windows PowerShell event's text. */
static bool powershell_host_line(const char *text, char *out, size_t n)
{
    const char *h = strstr(text, "HostApplication=");
    if (!h)
        return false;
    h += 16;
    size_t len = strcspn(h, "\r\n");
    snprintf(out, n, "%.*s", (int)len, h);
    return len > 0;
}

/* The commands of the shell that started this process (Sysmon 1
 * ParentCommandLine): evidence that the shell ran them, also when its own
 * start is not on record (cmd /c echo ... & del ..., as smbexec leaves).
 * Only shells: other parents' command lines run no commands. */
static void parent_commands(tm_execs *x, const tm_record *r, const tm_artifact *a)
{
    const char *pcl = tm_data(r, "ParentCommandLine");
    char parent[48];
    tm_program_name_of(tm_data(r, "ParentImage"), parent, sizeof parent);
    if (!*pcl || (strcmp(parent, "cmd") != 0 && strcmp(parent, "powershell") != 0 && strcmp(parent, "pwsh") != 0))
        return;
    tm_cmds cs;
    tm_cmds_init(&cs);
    tm_cmdline_split(pcl, &cs);
    bool self = cs.n && strcmp(cs.c[0].name, parent) == 0;
    exec_tmpl t = {TM_EXEC_START, r->time, "Parent's command line (Sysmon 1)", r, a, tm_data(r, "User"), NULL,
                   tm_data(r, "LogonId"), NULL};
    add_commands(x, &t, &cs, self ? 1 : 0, NULL, true);
    tm_cmds_free(&cs);
}

static const char *find_in(const char *s, const char *needle, size_t len)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

/* XML text of one element inside [from, to), entities decoded, appended to b. */
static bool xml_element_text(const char *from, const char *to, const char *tag, tm_buf *b)
{
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *s = find_in(from, open, (size_t)(to - from));
    if (!s)
        return false;
    s += strlen(open);
    const char *e = find_in(s, close, (size_t)(to - s));
    if (!e)
        return false;
    static const struct {
        const char *ent;
        char ch;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    while (s < e) {
        bool done = false;
        if (*s == '&') {
            for (size_t i = 0; i < sizeof ents / sizeof ents[0] && !done; i++) {
                size_t el = strlen(ents[i].ent);
                if ((size_t)(e - s) >= el && strncmp(s, ents[i].ent, el) == 0) {
                    tm_buf_putc(b, ents[i].ch);
                    s += el;
                    done = true;
                }
            }
            if (!done && s + 2 < e && s[1] == '#') {
                const char *p = s + 2;
                unsigned v = 0;
                bool hex = *p == 'x';
                p += hex;
                while (p < e && p - s < 10 && (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
                    v = v * (hex ? 16 : 10) + (unsigned)(isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10)), p++;
                if (p < e && *p == ';' && v >= 32 && v < 127) {
                    tm_buf_putc(b, (char)v);
                    s = p + 1;
                    done = true;
                }
            }
        }
        if (!done)
            tm_buf_putc(b, *s++);
    }
    return true;
}

bool tm_task_xml_action(const char *xml, char *out, size_t n)
{
    if (n)
        out[0] = 0;
    if (!xml || !n)
        return false;
    const char *ex = strstr(xml, "<Exec>");
    if (!ex)
        return false;
    const char *ee = strstr(ex, "</Exec>");
    if (!ee)
        ee = ex + strlen(ex);
    tm_buf b;
    tm_buf_init(&b);
    bool ok = xml_element_text(ex, ee, "Command", &b);
    if (ok && b.len) {
        tm_buf tmp;
        tm_buf_init(&tmp);
        if (xml_element_text(ex, ee, "Arguments", &tmp) && tmp.len) {
            tm_buf_putc(&b, ' ');
            tm_buf_put(&b, tmp.data, tmp.len);
        }
        tm_buf_free(&tmp);
    }
    ok = ok && b.len;
    if (ok)
        snprintf(out, n, "%.*s", (int)b.len, b.data);
    tm_buf_free(&b);
    return ok;
}

/* Process starts and exits (4688/4689, Sysmon 1/5), PowerShell module
 * logging (4103), service installs (7045). */
static void from_event(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env, size_t history_k)
{
    uint64_t eid = 0;
    tm_record_uint(r, "event_id", &eid);
    if (is_channel(r, "Security") && eid == 4688) {
        tm_exec *e = add(x, TM_EXEC_START, r->time, "Process created (Security 4688)", r, a);
        e->image = dupne(x, tm_data(r, "NewProcessName"));
        e->command_line = dupne(x, tm_data(r, "CommandLine"));
        /* Windows 10 names the new process' account in Target*. */
        e->user = account(x, r, "Target");
        if (!e->user)
            e->user = account(x, r, "Subject");
        e->user_sid = dupne(x, tm_data(r, "SubjectUserSid"));
        e->logon_id = dupne(x, tm_data(r, "TargetLogonId"));
        if (!e->logon_id || strcmp(e->logon_id, "0x0") == 0)
            e->logon_id = dupne(x, tm_data(r, "SubjectLogonId"));
        e->parent = dupne(x, tm_data(r, "ParentProcessName"));
        e->has_pid = parse_num(tm_data(r, "NewProcessId"), &e->pid);
        add_start(x, e, NULL);
    } else if (is_channel(r, "Security") && eid == 4689) {
        tm_exec *e = add(x, TM_EXEC_EXIT, r->time, "Process exited (Security 4689)", r, a);
        e->image = dupne(x, tm_data(r, "ProcessName"));
        e->user = account(x, r, "Subject");
        e->user_sid = dupne(x, tm_data(r, "SubjectUserSid"));
        e->logon_id = dupne(x, tm_data(r, "SubjectLogonId"));
        e->has_pid = parse_num(tm_data(r, "ProcessId"), &e->pid);
        uint64_t st;
        if (parse_num(tm_data(r, "Status"), &st)) {
            e->has_status = true;
            e->status = (uint32_t)st;
        }
        name_from_image(e);
    } else if (is_channel(r, "Microsoft-Windows-Sysmon/Operational") && eid == 1) {
        tm_exec *e = add(x, TM_EXEC_START, r->time, "Process created (Sysmon 1)", r, a);
        e->image = dupne(x, tm_data(r, "Image"));
        e->command_line = dupne(x, tm_data(r, "CommandLine"));
        e->user = dupne(x, tm_data(r, "User"));
        e->logon_id = dupne(x, tm_data(r, "LogonId"));
        e->parent = dupne(x, tm_data(r, "ParentImage"));
        e->has_pid = parse_num(tm_data(r, "ProcessId"), &e->pid);
        add_start(x, e, tm_data(r, "OriginalFileName")); /* e may move from here on */
        parent_commands(x, r, a);
    } else if (is_channel(r, "Microsoft-Windows-Sysmon/Operational") && eid == 5) {
        tm_exec *e = add(x, TM_EXEC_EXIT, r->time, "Process terminated (Sysmon 5)", r, a);
        e->image = dupne(x, tm_data(r, "Image"));
        e->has_pid = parse_num(tm_data(r, "ProcessId"), &e->pid);
        name_from_image(e);
    } else if (is_channel(r, "Microsoft-Windows-PowerShell/Operational") && eid == 4103) {
        /* Module logging: ContextInfo names the command ("Command Name =
         * Invoke-Mimikatz") and the user; Payload holds its invocation. */
        const char *ctx = tm_data(r, "ContextInfo");
        const char *cn = strstr(ctx, "Command Name = ");
        if (cn) {
            cn += 15;
            size_t len = strcspn(cn, "\r\n");
            char *name = tm_xstrndup(cn, len);
            const char *payload = tm_data(r, "Payload");
            char *line = *payload ? tm_xasprintf("%s %.*s", name, (int)strcspn(payload, "\r\n"), payload)
                                  : tm_xstrdup(name);
            char user[160] = "";
            const char *u = strstr(ctx, "User = ");
            if (u)
                snprintf(user, sizeof user, "%.*s", (int)strcspn(u + 7, "\r\n"), u + 7);
            tm_exec *e = add(x, TM_EXEC_SCRIPT, r->time, "Command logged (PowerShell 4103)", r, a);
            tm_program_name(name, len, e->name, sizeof e->name);
            e->image = tm_execs_strdup(x, name);
            e->command_line = tm_execs_strdup(x, line);
            e->user = user[0] ? tm_execs_strdup(x, user) : NULL;
            free(name);
            free(line);
            bool iex = strcasecmp(e->name, "invoke-expression") == 0;
            /* add() below may move e: it is not used after this line */
            /* the command line of the PowerShell process itself */
            const char *ha = strstr(ctx, "Host Application = ");
            if (ha) {
                ha += 19;
                char *host = tm_xstrndup(ha, strcspn(ha, "\r\n"));
                add_line(x, TM_EXEC_SCRIPT, r->time, "PowerShell host (PowerShell 4103)", r, a, host,
                         user[0] ? user : NULL, LINE_HOST);
                free(host);
            }
            /* the script Invoke-Expression ran: ParameterBinding ... name="Command"; value="<script>" */
            if (iex) {
                const char *v = strstr(payload, "name=\"Command\"; value=\"");
                if (v) {
                    v += 24;
                    const char *ve = strrchr(v, '"');
                    char *script = tm_xstrndup(v, ve ? (size_t)(ve - v) : strlen(v));
                    add_line(x, TM_EXEC_SCRIPT, r->time, "Script run by Invoke-Expression (PowerShell 4103)", r, a,
                             script, user[0] ? user : NULL, LINE_SCRIPT);
                    free(script);
                }
            }
        }
    } else if (is_channel(r, "System") && eid == 7045) {
        const char *img = tm_data(r, "ImagePath");
        tm_exec *e = add(x, TM_EXEC_SERVICE, r->time, "Service installed (System 7045)", r, a);
        e->image = dupne(x, img);
        e->command_line = dupne(x, img);
        e->user = dupne(x, tm_data(r, "AccountName"));
        e->user_sid = dupne(x, tm_record_str(r, "user_sid"));
        add_start(x, e, NULL);
    } else if (is_channel(r, "Security") && eid == 4697) {
        const char *img = tm_data(r, "ServiceFileName");
        tm_exec *e = add(x, TM_EXEC_SERVICE, r->time, "Service installed (Security 4697)", r, a);
        e->image = dupne(x, img);
        e->command_line = dupne(x, img);
        e->user = account(x, r, "Subject");
        e->user_sid = dupne(x, tm_data(r, "SubjectUserSid"));
        e->logon_id = dupne(x, tm_data(r, "SubjectLogonId"));
        add_start(x, e, NULL);
    } else if (is_channel(r, "Security") && eid == 4698) {
        char action[4096];
        if (tm_task_xml_action(tm_data(r, "TaskContent"), action, sizeof action)) {
            char user[256];
            tm_account(r, "Subject", user, sizeof user);
            add_line(x, TM_EXEC_SCHEDULED, r->time, "Task registered (Security 4698)", r, a, action, user, LINE_CMD);
        }
    } else if (is_channel(r, "Microsoft-Windows-Sysmon/Operational") && eid == 13 && tm_service_image_write(r)) {
        const char *img = tm_data(r, "Details");
        tm_exec *e = add(x, TM_EXEC_SERVICE, r->time, "Service image path set (Sysmon 13)", r, a);
        e->image = dupne(x, img);
        e->command_line = dupne(x, img);
        e->user = dupne(x, tm_data(r, "User"));
        add_start(x, e, NULL);
    } else if (is_channel(r, "Microsoft-Windows-Sysmon/Operational") && eid == 20) {
        /* CommandLineEventConsumer: Type "Command Line", Destination the command */
        if (strcasecmp(tm_data(r, "Type"), "Command Line") == 0) {
            char *cmd = mof_string(tm_data(r, "Destination"));
            add_line(x, TM_EXEC_CONSUMER, r->time, "WMI consumer registered (Sysmon 20)", r, a, cmd,
                     tm_data(r, "User"), LINE_CMD);
            free(cmd);
        }
    } else if (is_channel(r, "Windows PowerShell") && eid == 400) {
        /* the engine's host command line: "HostApplication=powershell.exe -c ..." */
        char line[8192];
        if (powershell_host_line(tm_data(r, "3"), line, sizeof line))
            add_line(x, TM_EXEC_SCRIPT, r->time, "PowerShell engine started (Windows PowerShell 400)", r, a, line,
                     NULL, LINE_HOST);
    }
}

/* The run times a Prefetch file keeps (up to 8). */
static void from_prefetch(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env, size_t history_k)
{
    const char *exe = tm_record_str(r, "executable");
    if (!exe)
        return;
    uint64_t rc = 0;
    tm_record_uint(r, "run_count", &rc);
    for (int i = 1; i <= 8; i++) {
        char k[16];
        snprintf(k, sizeof k, "last_run.%d", i);
        int64_t t = time_field(r, k, env);
        if (t == TM_TIME_NONE)
            continue;
        tm_exec *e = add(x, TM_EXEC_PREFETCH, t, i == 1 ? "Last run (Prefetch)" : "Earlier run (Prefetch)", r, a);
        e->image = tm_execs_strdup(x, exe);
        e->run_count = (uint32_t)rc;
        name_from_image(e);
    }
}

/* A command typed into PowerShell: history_k is its place from the end of
 * its file (1 = the last). */
static void from_history(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env, size_t history_k)
{
    const char *cmd = tm_record_str(r, "command");
    const char *user = tm_record_str(r, "user");
    int64_t nb = TM_TIME_NONE, na = TM_TIME_NONE;
    const char *desc = "Typed before (PSReadLine history last written)";
    if (env && env->history_bounds && history_k && env->history_bounds(env->ctx, a, history_k, &nb, &na)) {
        desc = "Typed before (history file write in the USN journal)";
    } else {
        na = time_field(r, "not_after", env);
    }
    (void)nb;
    add_line(x, TM_EXEC_HISTORY, na, desc, r, a, cmd, user, LINE_SCRIPT);
}

/* An at-job's command. */
static void from_atjob(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env, size_t history_k)
{
    int64_t t = time_field(r, "last_run", env);
    const char *desc = "At-job last run";
    if (t == TM_TIME_NONE) {
        t = time_field(r, "file_created", env);
        desc = "At-job file created";
    }
    add_line(x, TM_EXEC_SCHEDULED, t, desc, r, a, tm_record_str(r, "command_line"),
             tm_record_str(r, "author"), LINE_CMD);
}

/* A scheduled task's action. */
static void from_task(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env, size_t history_k)
{
    int64_t t = time_field(r, "registration_date", env);
    const char *desc = "Task registered";
    if (t == TM_TIME_NONE) {
        t = time_field(r, "file_created", env);
        desc = "Task file created";
    }
    add_line(x, TM_EXEC_SCHEDULED, t, desc, r, a, tm_record_str(r, "command_line"), tm_record_str(r, "author"),
             LINE_CMD);
}

/* A task registered in the TaskCache. */
static void from_registry(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env, size_t history_k)
{
    const char *fact = tm_record_str(r, "fact");
    if (fact && strcmp(fact, "task_cache") == 0) {
        int64_t t = time_field(r, "created", env);
        if (t == TM_TIME_NONE)
            t = r->time;
        add_line(x, TM_EXEC_SCHEDULED, t, "Task registered (TaskCache)", r, a, tm_record_str(r, "command_line"),
                 tm_record_str(r, "Author"), LINE_CMD);
    }
}

/* What each kind's records say about programs running; kinds without an
 * entry describe none. */
static void (*const derivers[TM_ART__COUNT])(tm_execs *, const tm_record *, const tm_artifact *, const tm_exec_env *,
                                             size_t) = {
    [TM_ART_EVTX] = from_event,
    [TM_ART_PREFETCH] = from_prefetch,
    [TM_ART_PSREADLINE] = from_history,
    [TM_ART_ATJOB] = from_atjob,
    [TM_ART_TASK] = from_task,
    [TM_ART_REGISTRY] = from_registry,
};

void tm_execs_from_record(tm_execs *x, const tm_record *r, const tm_artifact *a, const tm_exec_env *env,
                          size_t history_k)
{
    if (r->kind < TM_ART__COUNT && derivers[r->kind])
        derivers[r->kind](x, r, a, env, history_k);
}

/* Script blocks are handled by the pipeline (parts are joined first): see
 * tm_pipeline; this keeps the deriver record-local. */

static int cmp_exec(const void *pa, const void *pb)
{
    const tm_exec *a = pa, *b = pb;
    tm_spill_tick(); /* the executions, and the records ties read, may be in the spill file */
    bool na = a->time == TM_TIME_NONE, nb = b->time == TM_TIME_NONE;
    if (na != nb)
        return na ? 1 : -1;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    int c = strcmp(a->art ? a->art->path : "", b->art ? b->art->path : "");
    if (c)
        return c;
    if (a->r && b->r && a->r->position != b->r->position)
        return a->r->position < b->r->position ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return strcmp(a->name, b->name);
}

void tm_execs_sort(tm_execs *x)
{
    if (x->n > 1)
        tm_spill_sort(x->spill, x->e, x->n, sizeof *x->e, cmp_exec);
}

/* ---- runs ---- */

static void run_add(tm_run *r, const tm_exec *e)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->e = tm_xrealloc(r->e, r->cap * sizeof *r->e);
    }
    r->e[r->n++] = e;
    size_t cl = e->command_line ? strlen(e->command_line) : 0;
    size_t bl = r->best && r->best->command_line ? strlen(r->best->command_line) : 0;
    if (!r->best || cl > bl || (cl == bl && e->kind == TM_EXEC_START && r->best->kind != TM_EXEC_START))
        r->best = e;
}

static tm_run *new_run(tm_runs *rs, const tm_exec *e)
{
    /* in the spill file under a budget: a host's runs grow with its logs,
     * and doubling them on the heap mapped tens of MiB in one copy */
    rs->r = tm_spill_grow(rs->spill, rs->r, rs->n, &rs->cap, sizeof *rs->r, 16);
    tm_run *r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->time = e->time;
    r->time_desc = e->time_desc;
    snprintf(r->name, sizeof r->name, "%s", e->name);
    if (e->kind == TM_EXEC_START && !e->derived)
        r->start = e;
    run_add(r, e);
    return r;
}

static int64_t dist(int64_t a, int64_t b)
{
    return a > b ? a - b : b - a;
}

#define SEC 1000000LL

static int cmp_name_ptr(const void *pa, const void *pb)
{
    const tm_exec *a = *(const tm_exec *const *)pa, *b = *(const tm_exec *const *)pb;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return a < b ? -1 : a > b; /* executions live in one time-sorted array */
}

static int cmp_run(const void *pa, const void *pb)
{
    const tm_run *a = pa, *b = pb;
    bool na = a->time == TM_TIME_NONE, nb = b->time == TM_TIME_NONE;
    if (na != nb)
        return na ? 1 : -1;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->e[0] < b->e[0] ? -1 : a->e[0] > b->e[0];
}

/* Index of the first start at or after t in starts[0..n) (times ascending). */
static size_t first_at(tm_runs *out, const size_t *starts, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (out->r[starts[mid]].start->time < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Starts an exit may end, for finding the latest one quickly: positions
 * into the starts array, in time order, each linked to the latest earlier
 * position of its list that has not exited (union-find with path halving),
 * so that exited starts are skipped in amortised constant time. */
typedef struct {
    size_t *pos;   /* positions in starts[] */
    size_t *up;    /* index + 1 of the latest earlier live entry of the same key, 0 none */
    uint64_t *key; /* pid, or 0 for the lists without one */
    size_t n;
} live_list;

static size_t live_find(live_list *l, size_t i1) /* i1: index + 1; returns index + 1 of a live entry, 0 none */
{
    while (i1 && l->up[i1 - 1] != i1) {
        size_t p = l->up[i1 - 1];
        if (p && l->up[p - 1] != p)
            l->up[i1 - 1] = l->up[p - 1];
        i1 = l->up[i1 - 1];
    }
    return i1;
}

static void live_remove(live_list *l, size_t i)
{
    /* the entry now leads to the one before it, if that is of the same key */
    l->up[i] = i > 0 && l->key[i - 1] == l->key[i] ? i : 0;
}

typedef struct {
    size_t k;
    uint64_t pid;
} pid_pos;

static int cmp_pid_pos(const void *pa, const void *pb)
{
    const pid_pos *a = pa, *b = pb;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

/* build_group's working arrays: in the runs' spill file when large (one
 * program's starts number in the hundreds of thousands on a busy host, an
 * array of each size of them). */
static void *work_alloc(const tm_runs *out, size_t n, size_t size)
{
    size_t cap = 0;
    n = n ? n : 1;
    return tm_spill_grow(tm_spill_for(out->spill, n * size), NULL, 0, &cap, size, n);
}

static void work_free(const tm_runs *out, void *p, size_t n, size_t size)
{
    n = n ? n : 1;
    tm_spill_release(tm_spill_for(out->spill, n * size), p, n * size);
}

static void live_init(const tm_runs *out, live_list *l, size_t n)
{
    l->pos = work_alloc(out, n, sizeof *l->pos);
    l->up = work_alloc(out, n, sizeof *l->up);
    l->key = work_alloc(out, n, sizeof *l->key);
    l->n = 0;
}

static void live_free(const tm_runs *out, live_list *l, size_t n)
{
    work_free(out, l->pos, n, sizeof *l->pos);
    work_free(out, l->up, n, sizeof *l->up);
    work_free(out, l->key, n, sizeof *l->key);
}

/* The last entry of key with position < kmax (index + 1, 0 none). */
static size_t live_last_before(const live_list *l, uint64_t key, size_t kmax)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) { /* first entry > (key, kmax - 1) */
        size_t mid = lo + (hi - lo) / 2;
        if (l->key[mid] < key || (l->key[mid] == key && l->pos[mid] < kmax))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && l->key[lo - 1] == key ? lo : 0;
}

/* One program's executions (time order). */
static void build_group(tm_runs *out, const tm_exec *const *g, size_t n)
{
    size_t *starts = work_alloc(out, n, sizeof *starts);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        tm_spill_tick(); /* the arrays of this pass fill as fast as a copy: the budget counts them */
        if (g[i]->kind == TM_EXEC_START && !g[i]->derived && g[i]->time != TM_TIME_NONE) {
            new_run(out, g[i]);
            starts[ns++] = out->n - 1;
        }
    }
    /* the starts by process id, those without one, and all of them */
    live_list bypid, nopid, all;
    live_init(out, &bypid, ns);
    live_init(out, &nopid, ns);
    live_init(out, &all, ns);
    pid_pos *pp = work_alloc(out, ns, sizeof *pp);
    size_t npp = 0;
    for (size_t k = 0; k < ns; k++) {
        tm_spill_tick();
        const tm_exec *st = out->r[starts[k]].start;
        if (st->has_pid)
            pp[npp++] = (pid_pos){k, st->pid};
        else
            nopid.pos[nopid.n++] = k;
        all.pos[all.n++] = k;
    }
    tm_spill_sort(out->spill, pp, npp, sizeof *pp, cmp_pid_pos);
    for (size_t i = 0; i < npp; i++) {
        bypid.pos[i] = pp[i].k;
        bypid.key[i] = pp[i].pid;
    }
    bypid.n = npp;
    work_free(out, pp, ns, sizeof *pp);
    for (size_t i = 0; i < nopid.n; i++)
        nopid.key[i] = 0;
    for (size_t i = 0; i < all.n; i++)
        all.key[i] = 0;
    live_list *lists[3] = {&bypid, &nopid, &all};
    for (int li = 0; li < 3; li++)
        for (size_t i = 0; i < lists[li]->n; i++)
            lists[li]->up[i] = i + 1; /* every entry is live */
    /* where start k sits in the pid list and in the no-pid list */
    size_t *in_pid = work_alloc(out, ns, sizeof *in_pid), *in_nopid = work_alloc(out, ns, sizeof *in_nopid);
    for (size_t i = 0; i < ns; i++)
        in_pid[i] = in_nopid[i] = SIZE_MAX;
    for (size_t i = 0; i < bypid.n; i++)
        in_pid[bypid.pos[i]] = i;
    for (size_t i = 0; i < nopid.n; i++)
        in_nopid[nopid.pos[i]] = i;

    /* runs with no process of their own, by command line */
    tm_strmap orphans;
    tm_strmap_init(&orphans, false);
    size_t same;
    for (size_t i = 0; i < n; i++) {
        tm_spill_tick();
        const tm_exec *e = g[i];
        if (e->kind == TM_EXEC_START && !e->derived && e->time != TM_TIME_NONE)
            continue;
        tm_run *best = NULL;
        size_t best_k = SIZE_MAX;
        if (e->time != TM_TIME_NONE && ns) {
            if (e->kind == TM_EXEC_EXIT) {
                /* the latest start before the exit with the same process id
                 * (or none known) that has not exited yet, within a week */
                size_t kmax = first_at(out, starts, ns, e->time + 1);
                size_t cand = SIZE_MAX;
                if (e->has_pid) {
                    size_t a = live_last_before(&bypid, e->pid, kmax);
                    a = a ? live_find(&bypid, a) : 0;
                    size_t b = live_last_before(&nopid, 0, kmax);
                    b = b ? live_find(&nopid, b) : 0;
                    size_t ka = a ? bypid.pos[a - 1] : SIZE_MAX, kb = b ? nopid.pos[b - 1] : SIZE_MAX;
                    cand = ka == SIZE_MAX ? kb : kb == SIZE_MAX ? ka : (ka > kb ? ka : kb);
                } else if (kmax > 0) {
                    size_t a = live_find(&all, kmax); /* all.pos[i] == i */
                    cand = a ? all.pos[a - 1] : SIZE_MAX;
                }
                if (cand != SIZE_MAX && e->time - out->r[starts[cand]].start->time <= 7 * 24 * 3600 * SEC) {
                    best = &out->r[starts[cand]];
                    best_k = cand;
                }
            } else {
                /* nearest start within the window; a derived command precedes its own process */
                int64_t lo_w = e->derived && e->kind == TM_EXEC_START ? 0 : 60 * SEC;
                int64_t hi_w = e->derived && e->kind == TM_EXEC_START ? 10 * SEC : 60 * SEC;
                int64_t bestd = 0;
                for (size_t k = first_at(out, starts, ns, e->time - lo_w); k < ns; k++) {
                    tm_run *r = &out->r[starts[k]];
                    int64_t s = r->start->time;
                    if (s > e->time + hi_w)
                        break;
                    /* "net view" and "net use" are different runs of net */
                    if (e->verb[0] && r->start->verb[0] && strcmp(e->verb, r->start->verb) != 0)
                        continue;
                    int64_t d = dist(s, e->time);
                    if (!best || d < bestd) {
                        best = r;
                        bestd = d;
                    }
                }
            }
        }
        if (best) {
            run_add(best, e);
            if (e->kind == TM_EXEC_EXIT) {
                best->exit = e;
                /* it has exited: no later exit ends it */
                live_remove(&all, best_k);
                if (in_pid[best_k] != SIZE_MAX)
                    live_remove(&bypid, in_pid[best_k]);
                if (in_nopid[best_k] != SIZE_MAX)
                    live_remove(&nopid, in_nopid[best_k]);
            }
        } else if (e->kind != TM_EXEC_EXIT && e->command_line && e->time != TM_TIME_NONE &&
                   (same = tm_strmap_get(&orphans, e->command_line)) != TM_STRMAP_NONE &&
                   out->r[same].e[0]->kind == e->kind &&
                   e->time - out->r[same].e[out->r[same].n - 1]->time <= 60 * SEC) {
            run_add(&out->r[same], e);
        } else {
            tm_run *r = new_run(out, e);
            if (e->kind == TM_EXEC_EXIT)
                r->exit = e;
            else if (e->command_line && e->time != TM_TIME_NONE)
                tm_strmap_put(&orphans, e->command_line, out->n - 1);
        }
    }
    tm_strmap_free(&orphans);
    /* a run whose exit came through the nearest-start rule is not in the
     * live lists' way: only exits end runs, and exits go through the lists */
    work_free(out, in_pid, ns, sizeof *in_pid);
    work_free(out, in_nopid, ns, sizeof *in_nopid);
    live_free(out, &bypid, ns);
    live_free(out, &nopid, ns);
    live_free(out, &all, ns);
    work_free(out, starts, n, sizeof *starts);
}

/* An execution with its name's hash: the sort by name reads no name
 * (the executions may be in the spill file, and a sort reads at random). */
typedef struct {
    uint64_t hash;
    const tm_exec *e;
} named_exec;

static int cmp_named(const void *pa, const void *pb)
{
    const named_exec *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return a->e < b->e ? -1 : a->e > b->e; /* executions live in one time-sorted array */
}

void tm_runs_build(tm_runs *out, tm_spill *spill, const tm_exec *const *execs, size_t n)
{
    memset(out, 0, sizeof *out);
    out->spill = spill;
    if (!n)
        return;
    named_exec *k = work_alloc(out, n, sizeof *k); /* in the spill too when large: an entry per execution */
    for (size_t i = 0; i < n; i++) {
        tm_spill_tick();
        k[i] = (named_exec){tm_str_hash(execs[i]->name, false), execs[i]};
    }
    tm_spill_sort(spill, k, n, sizeof *k, cmp_named);
    const tm_exec **s = work_alloc(out, n, sizeof *s);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || s[m - 1] != k[i].e) { /* the same execution may be passed twice */
            k[m] = k[i];
            s[m++] = k[i].e;
        }
    /* A group per name: the executions of one hash, split by name when two
     * names share it (then sorted by name as well: never seen, but exact). */
    size_t i = 0;
    while (i < m) {
        size_t j = i + 1;
        bool one_name = true;
        while (j < m && k[j].hash == k[i].hash) {
            one_name = one_name && strcmp(s[j]->name, s[i]->name) == 0;
            j++;
        }
        if (!one_name)
            tm_sort(s + i, j - i, sizeof *s, cmp_name_ptr);
        for (size_t g = i; g < j;) {
            size_t e = g + 1;
            while (e < j && strcmp(s[e]->name, s[g]->name) == 0)
                e++;
            build_group(out, s + g, e - g);
            g = e;
        }
        i = j;
    }
    work_free(out, k, n, sizeof *k);
    work_free(out, s, n, sizeof *s);
    tm_spill_sort(out->spill, out->r, out->n, sizeof *out->r, cmp_run);
}

void tm_runs_take(tm_runs *into, tm_runs *from)
{
    for (size_t i = 0; i < from->n; i++) {
        into->r = tm_spill_grow(into->spill, into->r, into->n, &into->cap, sizeof *into->r, 16);
        into->r[into->n++] = from->r[i];
    }
    tm_spill_release(from->spill, from->r, from->cap * sizeof *from->r);
    from->r = NULL;
    from->n = from->cap = 0;
}

void tm_runs_free(tm_runs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->r[i].e);
    tm_spill_release(rs->spill, rs->r, rs->cap * sizeof *rs->r);
    memset(rs, 0, sizeof *rs);
}

bool tm_run_renamed(const tm_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i]->renamed)
            return true;
    return false;
}

bool tm_run_succeeded(const tm_run *r)
{
    return r->exit && r->exit->has_status && r->exit->status == 0;
}

void tm_execs_from_script(tm_execs *x, const char *text, int64_t time, const char *user, const tm_record *r,
                          const tm_artifact *a)
{
    add_line(x, TM_EXEC_SCRIPT, time, "Script block logged (PowerShell 4104)", r, a, text, user, LINE_SCRIPT);
}
