/* Scheduled-task XML (Windows\System32\Tasks\...), parsed with libxml2.
 * Files are UTF-16LE with a BOM on disk; libxml2 detects the encoding.
 * Registration dates and trigger boundaries are the host's local time
 * unless they carry an offset: such values are typed as local time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "readers/reader.h"
#include "util/timeutil.h"

#define MAX_TASK_FILE (16u << 20)

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static char *text_of(const xmlNode *n)
{
    if (!n)
        return NULL;
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return NULL;
    /* Trim surrounding whitespace: task XML is pretty-printed. */
    char *s = (char *)t;
    size_t b = 0, e = strlen(s);
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
        e--;
    char *r = tm_xstrndup(s + b, e - b);
    xmlFree(t);
    return r;
}

static void put_text(tm_fields_enc *e, const char *name, const xmlNode *n)
{
    char *t = text_of(n);
    if (t)
        tm_fenc_str(e, name, t);
    free(t);
}

/* "2017-04-28T12:45:00" (local) or with Z/offset (UTC after conversion). */
static void put_time(tm_fields_enc *e, const char *name, const xmlNode *n)
{
    char *t = text_of(n);
    if (!t)
        return;
    int64_t us;
    size_t l = strlen(t);
    bool has_zone = l > 19 && (t[l - 1] == 'Z' || t[l - 6] == '+' || t[l - 6] == '-');
    if (has_zone && t[l - 1] != 'Z') {
        /* Apply the offset: UTC = local - offset. */
        int sign = t[l - 6] == '-' ? -1 : 1;
        int oh = atoi(t + l - 5), om = atoi(t + l - 2);
        t[l - 6] = '\0';
        if (tm_time_parse_iso(t, &us))
            tm_fenc_time(e, name, us - sign * ((int64_t)oh * 3600 + om * 60) * 1000000LL);
    } else if (tm_time_parse_iso(t, &us)) {
        if (has_zone)
            tm_fenc_time(e, name, us);
        else
            tm_fenc_localtime(e, name, us);
    } else {
        tm_fenc_str(e, name, t); /* keep what is there, unparsed */
    }
    free(t);
}

static void actions(tm_fields_enc *e, const xmlNode *acts, tm_buf *cmdline)
{
    unsigned ne = 0, nc = 0;
    char key[64];
    for (const xmlNode *a = acts ? acts->children : NULL; a; a = a->next) {
        if (a->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)a->name, "Exec") == 0) {
            ne++;
            char *cmd = text_of(child(a, "Command"));
            char *args = text_of(child(a, "Arguments"));
            snprintf(key, sizeof key, "exec.%u.command", ne);
            if (cmd)
                tm_fenc_str(e, key, cmd);
            snprintf(key, sizeof key, "exec.%u.arguments", ne);
            if (args)
                tm_fenc_str(e, key, args);
            snprintf(key, sizeof key, "exec.%u.working_directory", ne);
            put_text(e, key, child(a, "WorkingDirectory"));
            if (cmd) {
                if (cmdline->len)
                    tm_buf_puts(cmdline, " ; ");
                tm_buf_puts(cmdline, cmd);
                if (args && *args) {
                    tm_buf_putc(cmdline, ' ');
                    tm_buf_puts(cmdline, args);
                }
            }
            free(cmd);
            free(args);
        } else if (strcmp((const char *)a->name, "ComHandler") == 0) {
            nc++;
            snprintf(key, sizeof key, "com.%u.class_id", nc);
            put_text(e, key, child(a, "ClassId"));
            snprintf(key, sizeof key, "com.%u.data", nc);
            put_text(e, key, child(a, "Data"));
        } else {
            /* SendEmail, ShowMessage: name the action at least. */
            snprintf(key, sizeof key, "action.other");
            tm_fenc_str(e, key, (const char *)a->name);
        }
    }
    tm_fenc_uint(e, "exec_actions", ne);
    tm_fenc_uint(e, "com_actions", nc);
}

static void triggers(tm_fields_enc *e, const xmlNode *trs)
{
    unsigned n = 0;
    char key[64];
    for (const xmlNode *t = trs ? trs->children : NULL; t; t = t->next) {
        if (t->type != XML_ELEMENT_NODE)
            continue;
        n++;
        snprintf(key, sizeof key, "trigger.%u.type", n);
        tm_fenc_str(e, key, (const char *)t->name);
        snprintf(key, sizeof key, "trigger.%u.start", n);
        put_time(e, key, child(t, "StartBoundary"));
        snprintf(key, sizeof key, "trigger.%u.end", n);
        put_time(e, key, child(t, "EndBoundary"));
        snprintf(key, sizeof key, "trigger.%u.enabled", n);
        put_text(e, key, child(t, "Enabled"));
        snprintf(key, sizeof key, "trigger.%u.interval", n);
        put_text(e, key, child(child(t, "Repetition"), "Interval"));
        snprintf(key, sizeof key, "trigger.%u.user", n);
        put_text(e, key, child(t, "UserId"));
        if (n >= 32)
            break;
    }
    tm_fenc_uint(e, "triggers", n);
}

int tm_read_task(const tm_job *job, tm_source *src, tm_emit *out, tm_read_stats *st)
{
    if (src->size > MAX_TASK_FILE) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "task file of %llu bytes is too large to be task XML",
                        (unsigned long long)src->size);
        return -1;
    }
    size_t n = (size_t)src->size;
    char *buf = tm_xmalloc(n ? n : 1);
    ssize_t got = tm_source_pread(src, 0, buf, n);
    if (got < 0) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "read error: %s", src->err);
        free(buf);
        return -1;
    }
    xmlDoc *doc = xmlReadMemory(buf, (int)got, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
    free(buf);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || strcmp((const char *)root->name, "Task") != 0) {
        tm_emit_problem(out, TM_POS_NONE, 0, true, "not task XML (%s)", doc ? "no Task element" : "XML does not parse");
        if (doc)
            xmlFreeDoc(doc);
        return -1;
    }
    /* The task's name is its path below Windows\System32\Tasks. */
    const char *p = job->path;
    const char *under = NULL;
    for (const char *q = p; *q; q++)
        if ((q == p || q[-1] == '/') && strncasecmp(q, "Windows/System32/Tasks/", 23) == 0)
            under = q + 22;
    tm_fields_enc *e = tm_emit_begin(out, TM_ART_TASK, 0, 0, INT64_MIN);
    char *ver = (char *)xmlGetProp(root, (const xmlChar *)"version");
    if (ver)
        tm_fenc_str(e, "schema_version", ver);
    xmlFree(ver);
    const xmlNode *reg = child(root, "RegistrationInfo");
    put_text(e, "uri", child(reg, "URI"));
    if (under)
        tm_fenc_str(e, "task_path", under);
    put_text(e, "author", child(reg, "Author"));
    put_time(e, "registration_date", child(reg, "Date"));
    put_text(e, "description", child(reg, "Description"));
    put_text(e, "source", child(reg, "Source"));
    const xmlNode *prin = child(child(root, "Principals"), "Principal");
    put_text(e, "user_id", child(prin, "UserId"));
    put_text(e, "group_id", child(prin, "GroupId"));
    put_text(e, "logon_type", child(prin, "LogonType"));
    put_text(e, "run_level", child(prin, "RunLevel"));
    const xmlNode *set = child(root, "Settings");
    put_text(e, "enabled", child(set, "Enabled"));
    put_text(e, "hidden", child(set, "Hidden"));
    tm_buf cmd;
    tm_buf_init(&cmd);
    actions(e, child(root, "Actions"), &cmd);
    if (cmd.len)
        tm_fenc_strn(e, "command_line", cmd.data, cmd.len);
    tm_buf_free(&cmd);
    triggers(e, child(root, "Triggers"));
    tm_fenc_time(e, "file_created", job->crtime);
    tm_fenc_time(e, "file_modified", job->mtime);
    tm_emit_end(out);
    st->records = st->total = 1;
    xmlFreeDoc(doc);
    return 0;
}
