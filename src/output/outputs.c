#include "output/outputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "util/csv.h"
#include "util/fileout.h"
#include "util/json.h"
#include "util/timeutil.h"

static const struct {
    const char *name, *file;
    unsigned bit;
} formats[] = {
    {"jsonl", "traces.jsonl", TM_OUT_JSONL},   {"csv", "traces.csv", TM_OUT_CSV},
    {"l2tcsv", "traces.l2tcsv", TM_OUT_L2TCSV}, {"body", "traces.body", TM_OUT_BODY},
    {"summary", "summary.json", TM_OUT_SUMMARY}, {"html", "report.html", TM_OUT_HTML},
    {"errors", "errors.jsonl", TM_OUT_ERRORS},
};

unsigned tm_output_formats(const char *list, const char **bad)
{
    unsigned mask = 0;
    char *copy = tm_xstrdup(list), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool found = false;
        if (strcmp(t, "all") == 0) {
            mask |= TM_OUT_ALL;
            found = true;
        }
        for (size_t i = 0; i < sizeof formats / sizeof formats[0] && !found; i++)
            if (strcmp(t, formats[i].name) == 0) {
                mask |= formats[i].bit;
                found = true;
            }
        if (!found) {
            static char badname[64];
            snprintf(badname, sizeof badname, "%s", t);
            if (bad)
                *bad = badname;
            free(copy);
            return 0;
        }
    }
    free(copy);
    return mask;
}

void tm_errors_add(tm_errors *es, const char *scope, const char *where, int volume, bool has_pos, uint64_t pos,
                   bool fatal, const char *message)
{
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 16;
        es->e = tm_xrealloc(es->e, es->cap * sizeof *es->e);
    }
    tm_error *e = &es->e[es->n++];
    e->scope = tm_xstrdup(scope);
    e->where = tm_xstrdup(where ? where : "");
    e->volume = volume;
    e->has_position = has_pos;
    e->position = pos;
    e->fatal = fatal;
    e->message = tm_xstrdup(message ? message : "");
}

void tm_errors_free(tm_errors *es)
{
    for (size_t i = 0; i < es->n; i++) {
        free(es->e[i].scope);
        free(es->e[i].where);
        free(es->e[i].message);
    }
    free(es->e);
    memset(es, 0, sizeof *es);
}

/* ---- helpers ---------------------------------------------------------------- */

static char **volume_labels(const tm_input *in)
{
    char **labels = tm_xcalloc(in->nvols ? in->nvols : 1, sizeof *labels);
    for (size_t i = 0; i < in->nvols; i++) {
        char l[32];
        tm_volume_label(in, &in->vols[i], l, sizeof l);
        labels[i] = tm_xstrdup(l);
    }
    return labels;
}

static void free_labels(const tm_input *in, char **labels)
{
    for (size_t i = 0; i < in->nvols; i++)
        free(labels[i]);
    free(labels);
}

/* "evtx:vol/Windows/.../Security.evtx#1234 (Security 4688)" per evidence, joined. */
static void evidence_refs(tm_buf *b, const tm_trace *t, char **labels, size_t nlabels, bool summaries)
{
    for (size_t i = 0; i < t->nev; i++) {
        const tm_evidence *e = &t->ev[i];
        if (i)
            tm_buf_puts(b, "; ");
        if (summaries) {
            tm_buf_puts(b, e->summary ? e->summary : "");
            continue;
        }
        const char *vol = e->volume >= 0 && (size_t)e->volume < nlabels ? labels[e->volume] : "";
        tm_buf_printf(b, "%s:%s%s%s#%llu", e->kind, vol, *vol ? "/" : "", e->path, (unsigned long long)e->record);
        if (e->event_id)
            tm_buf_printf(b, " (%s %u)", e->channel ? e->channel : "", e->event_id);
    }
}

static const char *time_desc(const tm_trace *t, char *buf, size_t n)
{
    if (t->time != TM_TIME_NONE)
        return t->time_desc ? t->time_desc : "";
    snprintf(buf, n, "Time unknown: %s", t->time_desc ? t->time_desc : "no record gives one");
    return buf;
}

static int64_t trace_time(const tm_trace *t)
{
    return t->time == TM_TIME_NONE ? 0 : t->time; /* plaso's "Not a time" convention */
}

/* ---- Timesketch CSV ---------------------------------------------------------- */

void tm_write_csv(tm_buf *b, const tm_report *r)
{
    static const char *const head[] = {"message",  "datetime",     "timestamp_desc", "timestamp", "tool",
                                       "category", "role",         "outcome",        "confidence", "reason",
                                       "host",     "user",         "user_sid",       "logon_id",  "peer",
                                       "command_line", "phase",    "input",          "input_id",  "evidence",
                                       "evidence_summary"};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        tm_csv_cell(b, head[i], i == 0);
    tm_buf_puts(b, "\r\n");
    char **labels = volume_labels(r->in);
    tm_buf tmp;
    tm_buf_init(&tmp);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        char iso[TM_TIME_ISO_LEN], desc[300];
        tm_time_iso(trace_time(t), iso);
        tm_csv_cell(b, t->message, true);
        tm_csv_cell(b, iso, false);
        tm_csv_cell(b, time_desc(t, desc, sizeof desc), false);
        tm_buf_printf(b, ",%lld", (long long)trace_time(t));
        const char *cells[] = {t->tool,    t->category, tm_role_name(t->role), t->outcome,
                               t->confirmed ? "confirmed" : "indicator", t->reason, t->host, t->user, t->user_sid,
                               t->logon_id, t->peer, t->command_line, t->phase, r->in->path, r->in->id};
        for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++)
            tm_csv_cell(b, cells[k], false);
        tm_buf_reset(&tmp);
        evidence_refs(&tmp, t, labels, r->in->nvols, false);
        tm_csv_cell(b, tm_buf_cstr(&tmp), false);
        tm_buf_reset(&tmp);
        evidence_refs(&tmp, t, labels, r->in->nvols, true);
        tm_csv_cell(b, tm_buf_cstr(&tmp), false);
        tm_buf_puts(b, "\r\n");
    }
    tm_buf_free(&tmp);
    free_labels(r->in, labels);
}

/* ---- plaso l2tcsv ------------------------------------------------------------ */

/* l2tcsv has no quoting: like plaso, commas and line breaks in values become
 * spaces; invalid UTF-8 is replaced and formula-like cells are neutralised. */
static void l2t_field(tm_buf *b, const char *s, bool first)
{
    if (!first)
        tm_buf_putc(b, ',');
    if (!s || !*s) {
        tm_buf_putc(b, '-');
        return;
    }
    if (strchr("=+-@\t\r", s[0]) && s[1])
        tm_buf_putc(b, '\'');
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            char c = (char)p[i];
            tm_buf_putc(b, (c == ',' || c == '\r' || c == '\n' || c == '\t' || (unsigned char)c < 0x20) ? ' ' : c);
            i++;
        } else {
            size_t len = tm_utf8_seq_len(p + i, n - i);
            if (len == 0) {
                tm_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                tm_buf_put(b, p + i, len);
                i += len;
            }
        }
    }
}

void tm_write_l2tcsv(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,"
                   "format,extra\n");
    char **labels = volume_labels(r->in);
    tm_buf tmp;
    tm_buf_init(&tmp);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        char iso[TM_TIME_ISO_LEN], date[16], clock[16], desc[300];
        tm_time_iso(trace_time(t), iso);
        /* MM/DD/YYYY and HH:MM:SS, UTC */
        snprintf(date, sizeof date, "%.2s/%.2s/%.4s", iso + 5, iso + 8, iso);
        snprintf(clock, sizeof clock, "%.8s", iso + 11);
        l2t_field(b, date, true);
        l2t_field(b, clock, false);
        l2t_field(b, "UTC", false);
        l2t_field(b, "....", false);
        l2t_field(b, "EXEC", false);
        l2t_field(b, "toolmark execution trace", false);
        l2t_field(b, time_desc(t, desc, sizeof desc), false);
        l2t_field(b, t->user, false);
        l2t_field(b, t->host, false);
        tm_buf_reset(&tmp);
        tm_buf_printf(&tmp, "%s %s %s: %s", t->tool, tm_role_name(t->role), t->confirmed ? "confirmed" : "indicator",
                      t->message ? t->message : "");
        l2t_field(b, tm_buf_cstr(&tmp), false);
        tm_buf_reset(&tmp);
        tm_buf_printf(&tmp, "%s | command line: %s | evidence: ", t->message ? t->message : "",
                      t->command_line ? t->command_line : "-");
        evidence_refs(&tmp, t, labels, r->in->nvols, false);
        l2t_field(b, tm_buf_cstr(&tmp), false);
        l2t_field(b, "2", false);
        const tm_evidence *e0 = t->nev ? &t->ev[0] : NULL;
        l2t_field(b, e0 ? e0->path : NULL, false);
        tm_buf_reset(&tmp);
        if (e0)
            tm_buf_printf(&tmp, "%llu", (unsigned long long)e0->record);
        l2t_field(b, e0 ? tm_buf_cstr(&tmp) : NULL, false);
        l2t_field(b, t->reason, false);
        l2t_field(b, "toolmark", false);
        tm_buf_reset(&tmp);
        tm_buf_printf(&tmp, "tool: %s; category: %s; role: %s; confidence: %s; peer: %s; phase: %s; input: %s", t->tool,
                      t->category ? t->category : "-", tm_role_name(t->role),
                      t->confirmed ? "confirmed" : "indicator", t->peer ? t->peer : "-", t->phase ? t->phase : "-",
                      r->in->id);
        l2t_field(b, tm_buf_cstr(&tmp), false);
        tm_buf_putc(b, '\n');
    }
    tm_buf_free(&tmp);
    free_labels(r->in, labels);
}

/* ---- TSK body file ----------------------------------------------------------- */

/* A body-file name: '|' separates fields and a line is a record, so both are
 * escaped; control characters too. */
static void body_name(tm_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '|') {
            tm_buf_puts(b, "\\x7c");
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            tm_buf_printf(b, "\\x%02x", c);
            i++;
        } else if (c < 0x80) {
            tm_buf_putc(b, (char)c);
            i++;
        } else {
            size_t len = tm_utf8_seq_len(p + i, n - i);
            if (len == 0) {
                tm_buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                tm_buf_put(b, p + i, len);
                i += len;
            }
        }
    }
}

void tm_write_body(tm_buf *b, const tm_report *r)
{
    tm_buf name;
    tm_buf_init(&name);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        if (t->time == TM_TIME_NONE)
            continue; /* a body file line without a time would sort as 1970 */
        tm_buf_reset(&name);
        tm_buf_printf(&name, "[toolmark %s %s %s] %s", t->tool, tm_role_name(t->role),
                      t->confirmed ? "confirmed" : "indicator", t->message ? t->message : "");
        const char *host = t->host ? t->host : r->host;
        if (host)
            tm_buf_printf(&name, " (host %s)", host);
        long long sec = t->time >= 0 ? t->time / 1000000 : -((-t->time + 999999) / 1000000);
        /* MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime */
        tm_buf_puts(b, "0|");
        body_name(b, tm_buf_cstr(&name));
        tm_buf_printf(b, "|0|----------|0|0|0|%lld|%lld|%lld|%lld\n", sec, sec, sec, sec);
    }
    tm_buf_free(&name);
}

/* ---- errors.jsonl ------------------------------------------------------------- */

void tm_write_errors(tm_buf *b, const tm_report *r)
{
    char **labels = volume_labels(r->in);
    for (size_t i = 0; i < r->errors->n; i++) {
        const tm_error *e = &r->errors->e[i];
        tm_json j;
        tm_json_init(&j, b);
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "input", r->in->path);
        tm_json_kstr(&j, "input_id", r->in->id);
        tm_json_kstr(&j, "scope", e->scope);
        tm_json_kstr(&j, "volume", e->volume >= 0 && (size_t)e->volume < r->in->nvols ? labels[e->volume] : NULL);
        tm_json_kstr(&j, "where", e->where);
        tm_json_key(&j, "position");
        if (e->has_position)
            tm_json_uint(&j, e->position);
        else
            tm_json_null(&j);
        tm_json_kbool(&j, "fatal", e->fatal);
        tm_json_kstr(&j, "message", e->message);
        tm_json_obj_end(&j);
        tm_buf_putc(b, '\n');
    }
    free_labels(r->in, labels);
}

/* ---- summary.json -------------------------------------------------------------- */

size_t tm_tally_tools(const tm_traces *ts, tm_tool_tally **out)
{
    tm_tool_tally *c = NULL;
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++) {
        const tm_trace *t = &ts->t[i];
        size_t k = 0;
        while (k < n && !(strcmp(c[k].tool, t->tool) == 0 && c[k].role == t->role))
            k++;
        if (k == n) {
            TM_GROW(c, n);
            c[n++] = (tm_tool_tally){t->tool, t->role, 0, 0, i, TM_TIME_NONE, TM_TIME_NONE};
        }
        c[k].n++;
        c[k].confirmed += t->confirmed;
        if (t->time != TM_TIME_NONE) {
            if (c[k].first == TM_TIME_NONE || t->time < c[k].first)
                c[k].first = t->time;
            if (c[k].last == TM_TIME_NONE || t->time > c[k].last)
                c[k].last = t->time;
        }
    }
    *out = c;
    return n;
}

void tm_write_summary(tm_buf *b, const tm_report *r)
{
    const tm_input *in = r->in;
    tm_json j;
    tm_json_init(&j, b);
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "toolmark_version", TM_VERSION);
    tm_json_kstr(&j, "options", r->options);
    tm_json_key(&j, "input");
    tm_json_obj_begin(&j);
    tm_json_kstr(&j, "path", in->path);
    tm_json_kstr(&j, "id", in->id);
    tm_json_kstr(&j, "format", in->format);
    tm_json_kstr(&j, "partition_table", in->vs_type);
    tm_json_kuint(&j, "size", in->size);
    tm_json_kuint(&j, "segments", in->segments);
    tm_json_kbool(&j, "opened", in->opened);
    tm_json_kbool(&j, "damaged", in->damaged);
    tm_json_key(&j, "stored_hashes"); /* what an E01 recorded at acquisition; not verified */
    if (in->stored_md5 || in->stored_sha1) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "md5", in->stored_md5);
        tm_json_kstr(&j, "sha1", in->stored_sha1);
        tm_json_obj_end(&j);
    } else {
        tm_json_null(&j);
    }
    tm_json_obj_end(&j);
    tm_json_kstr(&j, "host", r->host);
    tm_json_key(&j, "volumes");
    tm_json_arr_begin(&j);
    for (size_t i = 0; i < in->nvols; i++)
        tm_json_volume(&j, in, &in->vols[i]);
    tm_json_arr_end(&j);
    /* artifacts per kind: found, read, failed, records */
    tm_json_key(&j, "artifacts");
    tm_json_obj_begin(&j);
    for (int k = 0; k < TM_ART__COUNT; k++) {
        size_t found = 0, read = 0, failed = 0;
        uint64_t records = 0, skipped = 0;
        for (size_t i = 0; i < in->narts; i++) {
            if ((int)in->arts[i].kind != k)
                continue;
            found++;
            if (r->arts && r->arts[i].attempted) {
                if (r->arts[i].failed)
                    failed++;
                else
                    read++;
                records += r->arts[i].records;
                skipped += r->arts[i].skipped;
            }
        }
        if (!found)
            continue;
        tm_json_key(&j, tm_art_kind_name((tm_art_kind)k));
        tm_json_obj_begin(&j);
        tm_json_kuint(&j, "found", found);
        tm_json_kuint(&j, "read", read);
        tm_json_kuint(&j, "failed", failed);
        tm_json_kuint(&j, "records", records);
        tm_json_kuint(&j, "unreadable_records", skipped);
        tm_json_obj_end(&j);
    }
    tm_json_obj_end(&j);
    /* traces */
    size_t confirmed = 0, untimed = 0;
    for (size_t i = 0; i < r->traces->n; i++) {
        confirmed += r->traces->t[i].confirmed;
        untimed += r->traces->t[i].time == TM_TIME_NONE;
    }
    tm_json_key(&j, "traces");
    tm_json_obj_begin(&j);
    tm_json_kuint(&j, "total", r->traces->n);
    tm_json_kuint(&j, "confirmed", confirmed);
    tm_json_kuint(&j, "without_time", untimed);
    tm_json_key(&j, "by_tool");
    tm_json_arr_begin(&j);
    tm_tool_tally *tc;
    size_t ntc = tm_tally_tools(r->traces, &tc);
    for (size_t i = 0; i < ntc; i++) {
        tm_json_obj_begin(&j);
        tm_json_kstr(&j, "tool", tc[i].tool);
        tm_json_kstr(&j, "role", tm_role_name(tc[i].role));
        tm_json_kuint(&j, "traces", tc[i].n);
        tm_json_kuint(&j, "confirmed", tc[i].confirmed);
        tm_json_ktime(&j, "first", tc[i].first);
        tm_json_ktime(&j, "last", tc[i].last);
        tm_json_obj_end(&j);
    }
    free(tc);
    tm_json_arr_end(&j);
    tm_json_obj_end(&j);
    tm_json_kuint(&j, "errors", r->errors ? r->errors->n : 0);
    tm_json_key(&j, "coverage");
    if (r->coverage)
        tm_coverage_json(&j, r->coverage);
    else
        tm_json_null(&j);
    tm_json_obj_end(&j);
    tm_buf_putc(b, '\n');
}

/* ---- files ------------------------------------------------------------------------ */

static int write_file(const char *dir, const char *name, const tm_buf *b)
{
    char *path = tm_xasprintf("%s/%s", dir, name);
    tm_fileout f;
    int rc = 0;
    if (tm_fileout_open(&f, path) != 0) {
        rc = -1;
    } else {
        tm_fileout_write(&f, b->data, b->len);
        rc = tm_fileout_commit(&f);
    }
    if (rc != 0)
        fprintf(stderr, "%s: cannot write %s: %s\n", tm_prog, path, strerror(errno));
    free(path);
    return rc;
}

int tm_write_outputs(const char *dir, const tm_report *r, unsigned mask)
{
    if (tm_mkdirs(dir, 0755) != 0) {
        fprintf(stderr, "%s: cannot create %s: %s\n", tm_prog, dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    char **labels = volume_labels(r->in);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (!(mask & formats[i].bit))
            continue;
        tm_buf b;
        tm_buf_init(&b);
        switch (formats[i].bit) {
        case TM_OUT_JSONL:
            for (size_t k = 0; k < r->traces->n; k++) {
                tm_trace_json(&b, &r->traces->t[k], r->in->path, r->in->id, (const char *const *)labels,
                              r->in->nvols);
                tm_buf_putc(&b, '\n');
            }
            break;
        case TM_OUT_CSV: tm_write_csv(&b, r); break;
        case TM_OUT_L2TCSV: tm_write_l2tcsv(&b, r); break;
        case TM_OUT_BODY: tm_write_body(&b, r); break;
        case TM_OUT_SUMMARY: tm_write_summary(&b, r); break;
        case TM_OUT_HTML: tm_write_html(&b, r); break;
        case TM_OUT_ERRORS: tm_write_errors(&b, r); break;
        default: break;
        }
        if (write_file(dir, formats[i].file, &b) != 0)
            rc = -1;
        tm_buf_free(&b);
    }
    free_labels(r->in, labels);
    return rc;
}
