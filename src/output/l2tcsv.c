/* traces.l2tcsv: plaso's 17-column l2tcsv. */
#include "output/shared.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "util/timeutil.h"
#include "util/zone.h"

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
    tm_put_escaped(b, s, strlen(s), &tm_escapes_l2t);
}

static void write_l2tcsv(tm_buf *b, const tm_report *r)
{
    tm_buf_puts(b, "date,time,timezone,MACB,source,sourcetype,type,user,host,short,desc,version,filename,inode,notes,"
                   "format,extra\n");
    char **labels = tm_volume_labels(r->in);
    tm_art_lookup *arts = tm_art_lookup_new(r->in);
    tm_buf tmp;
    tm_buf_init(&tmp);
    for (size_t i = 0; i < r->traces->n; i++) {
        const tm_trace *t = &r->traces->t[i];
        char date[24], clock[16], desc[300];
        /* MM/DD/YYYY and HH:MM:SS in the display zone (--tz), whose name
         * plaso puts in the timezone column */
        tm_local_time lt;
        tm_zone_local(tm_trace_time_or_epoch(t), &lt);
        snprintf(date, sizeof date, "%02u/%02u/%04lld", lt.month, lt.day, (long long)lt.year);
        snprintf(clock, sizeof clock, "%02u:%02u:%02u", lt.hour, lt.minute, lt.second);
        l2t_field(b, date, true);
        l2t_field(b, clock, false);
        l2t_field(b, tm_zone_name(), false);
        l2t_field(b, "....", false);
        l2t_field(b, "EXEC", false);
        l2t_field(b, "toolmark execution trace", false);
        l2t_field(b, tm_trace_time_desc(t, desc, sizeof desc), false);
        l2t_field(b, t->user, false);
        l2t_field(b, t->host, false);
        /* short: at most 80 characters, as plaso's; the full text in desc */
        tm_buf_reset(&tmp);
        tm_trace_headline(&tmp, t, 80);
        l2t_field(b, tm_buf_cstr(&tmp), false);
        tm_buf_reset(&tmp);
        tm_trace_headline(&tmp, t, SIZE_MAX);
        tm_buf_printf(&tmp, " | command line: %s | evidence: ", t->command_line ? t->command_line : "-");
        tm_evidence_refs(&tmp, t, labels, r->in->nvols, false);
        l2t_field(b, tm_buf_cstr(&tmp), false);
        l2t_field(b, "2", false);
        const tm_evidence *e0 = t->nev ? &t->ev[0] : NULL;
        l2t_field(b, e0 ? e0->path : NULL, false);
        /* inode: the cited file's MFT entry, as plaso writes it */
        const tm_artifact *a = e0 ? tm_art_lookup_find(arts, e0) : NULL;
        tm_buf_reset(&tmp);
        if (a && a->has_inode)
            tm_buf_printf(&tmp, "%llu", (unsigned long long)a->inode);
        l2t_field(b, tmp.len ? tm_buf_cstr(&tmp) : NULL, false);
        l2t_field(b, t->reason, false);
        l2t_field(b, "toolmark", false);
        tm_buf_reset(&tmp);
        tm_buf_printf(&tmp, "activity: %s; tool: %s; attribution: %s; candidates: ", t->activity ? t->activity : "-",
                      t->tool ? t->tool : "-", t->tool ? tm_attribution_name(t->attribution) : "-");
        if (t->ncand)
            tm_trace_candidates_text(&tmp, t);
        else
            tm_buf_putc(&tmp, '-');
        tm_buf_printf(&tmp, "; category: %s; role: %s; confidence: %s; peer: %s; phase: %s; input: %s",
                      t->category ? t->category : "-", tm_role_name(t->role),
                      t->confirmed ? "confirmed" : "indicator", t->peer ? t->peer : "-", t->phase ? t->phase : "-",
                      r->in->id);
        if (t->rule)
            tm_buf_printf(&tmp, "; sigma_rule: %s; rule_id: %s; rule_level: %s; rule_author: %s",
                          t->rule->title ? t->rule->title : "-", t->rule->id ? t->rule->id : "-",
                          t->rule->level ? t->rule->level : "-", t->rule->author ? t->rule->author : "-");
        l2t_field(b, tm_buf_cstr(&tmp), false);
        tm_buf_putc(b, '\n');
    }
    tm_buf_free(&tmp);
    tm_art_lookup_free(arts);
    tm_volume_labels_free(r->in, labels);
}

const tm_output_format tm_format_l2tcsv = {"l2tcsv", "traces.l2tcsv", write_l2tcsv, true};
